"""The kafka source (`KafkaFrameSource`, on Bytewax's KafkaSource) against a real broker (Tansu).

Frames are real mainnet samples from tests/fixtures/, produced with a plain confluent_kafka
Producer, read back by the source, alone and inside real Bytewax dataflows, and decoded.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import bytewax.operators as op
import pytest
from bytewax.connectors.kafka import KafkaError as BytewaxKafkaError
from bytewax.connectors.kafka import KafkaSourceMessage
from bytewax.dataflow import Dataflow
from bytewax.inputs import StatefulSourcePartition
from bytewax.recovery import RecoveryConfig, init_db_dir
from bytewax.testing import TestingSink, run_main
from confluent_kafka import KafkaError, Producer
from prometheus_client import CollectorRegistry

from connectors.kafka.source import KafkaFramePartition, KafkaFrameSource, KafkaSourceErrors
from domain.config import SnifferConfig
from domain.metrics import Metrics
from domain.models import InvalidFrame, Launch, RawFrame
from domain.shutdown import Shutdown
from flows.settings import kafka_source_settings
from flows.stoppable import StoppableSource
from operators.decode import decode_frame
from tests.connectors.kafka_broker import TansuBroker, free_port, unique_topic
from tests.jobs import EntryPoint
from tests.solana_samples import DETECTED_AT, fixture_bytes, fixture_lines

WAIT_S = 30.0

#: Real samples, one frame each, and the mint each decodes to (None: a logs-only Raydium launch
#: carries no mint; "ignored": a swap, no launch).
SAMPLES: list[tuple[bytes, str | None]] = [
    (
        fixture_bytes("converted_pumpfun_create_legacy_logsNotification.json").strip(),
        "ER2N5eaDoC68kNhj7LyaScimzq7deaqxiw88rewvxaKp",
    ),
    (
        fixture_bytes("converted_pumpfun_createv2_logsNotification.json").strip(),
        "7YD6ZHb39jGb33ki2iFd7kHK11yMkSFCc9kvjJscpump",
    ),
    (fixture_bytes("converted_raydium_initialize2_logsNotification.json").strip(), None),
    (
        fixture_lines("helius_transactionNotification_raydium_initialize2_one.jsonl")[0],
        "6Ed5YTw9AoUhr5VcsjZdGHqpdruqgCaZcLv7WU6npump",
    ),
    (fixture_lines("helius_transactionNotification_raydium_swaps_two.jsonl")[0], "ignored"),
]


@pytest.fixture
def broker(kafka_broker: TansuBroker) -> TansuBroker:
    """The session's broker; each test makes topics of its own (`unique_topic`)."""
    return kafka_broker


def produce(
    broker: TansuBroker, topic: str, payloads: Iterable[bytes | None], partition: int | None = None
) -> None:
    producer = Producer({"bootstrap.servers": broker.bootstrap})
    errors: list[Any] = []
    for n, payload in enumerate(payloads):
        producer.produce(
            topic,
            value=payload,
            key=f"k{n}".encode(),
            partition=-1 if partition is None else partition,  # -1: the partitioner decides
            on_delivery=lambda err, _msg: errors.append(err) if err else None,
        )
    assert producer.flush(WAIT_S) == 0
    assert errors == []


def drain(part: StatefulSourcePartition[RawFrame, Any]) -> list[RawFrame]:
    """Every frame up to the end of the partition (a source built with tail=False)."""
    frames: list[RawFrame] = []
    deadline = time.monotonic() + WAIT_S
    while True:
        assert time.monotonic() < deadline, f"no end of partition after {len(frames)} frames"
        try:
            frames.extend(part.next_batch())
        except StopIteration:
            return frames


def read_until(part: StatefulSourcePartition[RawFrame, Any], count: int) -> list[RawFrame]:
    frames: list[RawFrame] = []
    deadline = time.monotonic() + WAIT_S
    while len(frames) < count:
        assert time.monotonic() < deadline, f"read {len(frames)} of {count} frames"
        frames.extend(part.next_batch())
    return frames


def outcome(frame: RawFrame) -> str | None:
    decoded = decode_frame(frame, DETECTED_AT)
    if isinstance(decoded, Launch):
        return decoded.mint
    if isinstance(decoded, InvalidFrame):
        return f"invalid:{decoded.reason}"
    return "ignored"


def error_count(metrics: Metrics, kind: str | None = None) -> float:
    total = 0.0
    for family in metrics.registry.collect():
        for sample in family.samples:
            if (
                sample.name == "sniffer_source_errors_total"
                and sample.labels["source"] == "kafka"
                and (kind is None or sample.labels["kind"] == kind)
            ):
                total += sample.value
    return total


# --- one partition, read directly ----------------------------------------------------------------


def test_real_frames_come_out_as_raw_frames_that_decode_to_their_mints(broker: TansuBroker) -> None:
    topic = broker.create_topic(unique_topic(), partitions=1)
    produce(broker, topic, [payload for payload, _ in SAMPLES])
    source = KafkaFrameSource(broker.bootstrap, topic, group=None, tail=False, clock=lambda: 42.0)

    (part_name,) = source.list_parts()
    assert part_name == f"0-{topic}"
    part = source.build_part("kafka_in", part_name, None)
    frames = drain(part)
    part.close()

    assert [f.payload for f in frames] == [payload for payload, _ in SAMPLES]
    assert all(f.arrived_at == 42.0 and f.source == "kafka" for f in frames)
    assert [outcome(f) for f in frames] == [mint for _, mint in SAMPLES]


def test_a_message_without_value_is_an_empty_frame_the_decoder_counts_invalid(
    broker: TansuBroker,
) -> None:
    topic = broker.create_topic(unique_topic(), partitions=1)
    produce(broker, topic, [None, b"not json"])
    part = KafkaFrameSource(broker.bootstrap, topic, group=None, tail=False).build_part(
        "kafka_in", f"0-{topic}", None
    )

    frames = drain(part)
    part.close()

    assert [f.payload for f in frames] == [b"", b"not json"]
    assert [outcome(f) for f in frames] == ["invalid:not_json", "invalid:not_json"]


def test_resume_state_is_the_next_offset_and_resuming_continues_after_it(
    broker: TansuBroker,
) -> None:
    topic = broker.create_topic(unique_topic(), partitions=1)
    payloads = [f'{{"n":{n}}}'.encode() for n in range(20)]
    produce(broker, topic, payloads)
    source = KafkaFrameSource(broker.bootstrap, topic, group=None, tail=False, batch_size=7)

    first = source.build_part("kafka_in", f"0-{topic}", None)
    taken = read_until(first, 7)
    state = first.snapshot()
    first.close()
    assert state == len(taken)

    rest = drain(source.build_part("kafka_in", f"0-{topic}", state))

    assert [f.payload for f in taken + rest] == payloads


def test_without_resume_state_the_group_continues_from_its_committed_offsets(
    broker: TansuBroker,
) -> None:
    # The group's offsets are committed with the consumer assigned (not subscribed) to its
    # partitions, as Bytewax does; a new run with no recovery state starts where it stopped.
    topic = broker.create_topic(unique_topic(), partitions=1)
    group = f"sniffer-{uuid.uuid4().hex[:8]}"
    produce(broker, topic, [f'{{"n":{n}}}'.encode() for n in range(10)])

    first = KafkaFrameSource(broker.bootstrap, topic, group=group, tail=False)
    part = first.build_part("kafka_in", f"0-{topic}", None)
    assert len(drain(part)) == 10
    part.close()  # commits the final offsets

    produce(broker, topic, [f'{{"n":{n}}}'.encode() for n in range(10, 15)])
    again = KafkaFrameSource(broker.bootstrap, topic, group=group, tail=False)
    part = again.build_part("kafka_in", f"0-{topic}", None)
    frames = drain(part)
    part.close()

    assert [f.payload for f in frames] == [f'{{"n":{n}}}'.encode() for n in range(10, 15)]


def test_built_from_the_configuration(broker: TansuBroker) -> None:
    topic = broker.create_topic(unique_topic(), partitions=3)
    config = SnifferConfig(
        source="kafka",
        source_url=f"{broker.bootstrap}",
        source_topic=topic,
        source_group=f"g-{uuid.uuid4().hex[:8]}",
    )
    source = KafkaFrameSource.from_settings(kafka_source_settings(config), tail=False)

    assert sorted(source.list_parts()) == [f"{n}-{topic}" for n in range(3)]


def test_unreachable_brokers_fail_list_parts_instead_of_hanging() -> None:
    source = KafkaFrameSource(f"127.0.0.1:{free_port()}", "sniffer.frames", connect_timeout_s=0.5)

    with pytest.raises(RuntimeError, match="no answer from the brokers"):
        source.list_parts()


# --- errors from the consumer --------------------------------------------------------------------


class _ScriptedPartition(StatefulSourcePartition[Any, Any]):
    """Stands in for Bytewax's Kafka partition: hands out prepared batches, then ends."""

    def __init__(self, batches: list[list[Any]]) -> None:
        self._batches = batches
        self.closed = False

    def next_batch(self) -> list[Any]:
        if not self._batches:
            raise StopIteration
        return self._batches.pop(0)

    def snapshot(self) -> Any:
        return -1000  # what Bytewax's partition holds after an error without offset

    def close(self) -> None:
        self.closed = True


def test_consumer_errors_are_counted_and_skipped_and_the_position_stays_real() -> None:
    metrics = Metrics(CollectorRegistry())
    good = KafkaSourceMessage(key=b"k", value=b'{"a":1}', offset=5, partition=0)
    transport = BytewaxKafkaError(
        KafkaError(KafkaError._TRANSPORT, "connection lost"),
        KafkaSourceMessage(key=None, value=None, offset=-1001),
    )
    part = KafkaFramePartition(
        _ScriptedPartition([[good, transport], [transport]]),
        "0-t",
        None,
        lambda: 1.0,
        KafkaSourceErrors(metrics),
    )

    assert part.next_batch() == [RawFrame(b'{"a":1}', 1.0, "kafka")]
    assert part.next_batch() == []
    with pytest.raises(StopIteration):
        part.next_batch()

    assert error_count(metrics, "transport") == 2
    assert part.snapshot() == 6  # after offset 5, not the -1000 the inner partition reports


def test_the_consumer_losing_its_broker_counts_errors_and_never_raises() -> None:
    metrics = Metrics(CollectorRegistry())
    with TansuBroker() as broker:
        topic = broker.create_topic(unique_topic(), partitions=1)
        produce(broker, topic, [b'{"n":1}'])
        source = KafkaFrameSource(broker.bootstrap, topic, group=None, metrics=metrics)
        part = source.build_part("kafka_in", f"0-{topic}", None)
        assert [f.payload for f in read_until(part, 1)] == [b'{"n":1}']

        broker.stop()
        deadline = time.monotonic() + WAIT_S
        while error_count(metrics) == 0:
            assert time.monotonic() < deadline, "no consumer error reported"
            assert part.next_batch() == []
        part.close()

    assert part.snapshot() == 1


# --- inside Bytewax dataflows --------------------------------------------------------------------


def frames_flow(source: Any, sink: list[RawFrame]) -> Dataflow:
    flow = Dataflow("kafka_frames")
    frames = op.input("kafka_in", flow, source)
    op.output("out", frames, TestingSink(sink))
    return flow


def test_a_dataflow_reads_every_partition_to_its_end(
    broker: TansuBroker, entry_point: EntryPoint
) -> None:
    topic = broker.create_topic(unique_topic(), partitions=3)
    for partition in range(3):
        produce(broker, topic, [payload for payload, _ in SAMPLES], partition=partition)
    got: list[RawFrame] = []

    entry_point(frames_flow(KafkaFrameSource(broker.bootstrap, topic, group=None, tail=False), got))

    assert sorted(outcome(f) or "" for f in got) == sorted((mint or "") for _, mint in SAMPLES * 3)


def test_a_tailing_dataflow_ends_on_a_shutdown_request_once_its_frames_arrived(
    broker: TansuBroker,
) -> None:
    topic = broker.create_topic(unique_topic(), partitions=2)
    produce(broker, topic, [payload for payload, _ in SAMPLES], partition=0)
    produce(broker, topic, [payload for payload, _ in SAMPLES], partition=1)
    expected = len(SAMPLES) * 2
    shutdown = Shutdown()
    got: list[RawFrame] = []
    seen = [0]

    def count(_step: str, _frame: RawFrame) -> None:
        seen[0] += 1
        if seen[0] >= expected:
            shutdown.request()

    flow = Dataflow("kafka_tail")
    source = StoppableSource(KafkaFrameSource(broker.bootstrap, topic, group=None), shutdown)
    frames = op.input("kafka_in", flow, source)
    op.output("out", op.inspect("count", frames, count), TestingSink(got))
    # A bound on the test, not on the code: if the frames never come, stop instead of hanging.
    watchdog = threading.Timer(WAIT_S, shutdown.request)
    watchdog.start()
    try:
        run_main(flow)
    finally:
        watchdog.cancel()

    assert len(got) == expected
    assert sorted(outcome(f) or "" for f in got) == sorted((m or "") for _, m in SAMPLES * 2)


def test_with_recovery_a_rerun_resumes_after_the_last_frame(
    broker: TansuBroker, tmp_path: Path
) -> None:
    topic = broker.create_topic(unique_topic(), partitions=2)
    produce(broker, topic, [f'{{"n":{n}}}'.encode() for n in range(6)], partition=0)
    produce(broker, topic, [f'{{"n":{n}}}'.encode() for n in range(6, 10)], partition=1)
    init_db_dir(tmp_path, 1)
    recovery = RecoveryConfig(str(tmp_path))

    def run_once() -> list[bytes | str]:
        got: list[RawFrame] = []
        source = KafkaFrameSource(broker.bootstrap, topic, group=None, tail=False)
        run_main(frames_flow(source, got), recovery_config=recovery)
        return sorted(f.payload for f in got)

    assert run_once() == sorted(f'{{"n":{n}}}'.encode() for n in range(10))

    produce(broker, topic, [b'{"n":10}', b'{"n":11}'], partition=0)
    produce(broker, topic, [b'{"n":12}'], partition=1)

    assert run_once() == [b'{"n":10}', b'{"n":11}', b'{"n":12}']
