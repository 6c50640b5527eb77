"""The `redis` source against a real redis-server: frames in order, acknowledgement after a
snapshot, re-delivery after a crash, the consumer group, reconnects, and a real Bytewax flow."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta, timezone
from pathlib import Path

import bytewax.operators as op
import pytest
from bytewax.dataflow import Dataflow
from bytewax.recovery import RecoveryConfig, init_db_dir
from bytewax.testing import TestingSink, run_main
from prometheus_client import CollectorRegistry

from connectors.redis_streams.source import RedisStreamPartition, RedisStreamSource
from domain.metrics import Metrics
from domain.models import RawFrame
from domain.shutdown import Shutdown
from flows.stoppable import StoppableSource
from tests.connectors.redis_server import RedisServer, poll, start_redis
from tests.factories import FakeClock, metric
from tests.waiting import take_items

STREAM = "sniffer.frames"
GROUP = "sniffer"
CONSUMER = "sniffer-0"


@pytest.fixture
def server(redis_server: RedisServer) -> RedisServer:
    """The session's redis-server, emptied first: these tests share one stream name."""
    client = redis_server.client()
    try:
        client.flushdb()
    finally:
        client.close()
    return redis_server


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server of the test's own, for a test that stops it."""
    server = start_redis(tmp_path / "redis")
    yield server
    server.stop()


def frame(n: int) -> bytes:
    return b'{"jsonrpc":"2.0","method":"logsNotification","params":{"n":%d}}' % n


def add(server: RedisServer, payloads: list[bytes], field: bytes = b"frame") -> list[str]:
    """XADD each payload as one entry; their ids."""
    client = server.client()
    try:
        with client.pipeline(transaction=False) as pipe:
            for payload in payloads:
                pipe.xadd(STREAM, {field: payload})
            return [entry_id.decode() for entry_id in pipe.execute()]
    finally:
        client.close()


def pending(server: RedisServer) -> int:
    """Entries of the group delivered and not acknowledged (XPENDING)."""
    client = server.client()
    try:
        return int(client.xpending(STREAM, GROUP)["pending"])
    finally:
        client.close()


def source(
    server: RedisServer, clock: Callable[[], float] = lambda: 1234.5, **kwargs: object
) -> RedisStreamSource:
    return RedisStreamSource(server.url, STREAM, GROUP, CONSUMER, clock, **kwargs)  # type: ignore[arg-type]


def build(src: RedisStreamSource, resume_state: str | None = None) -> RedisStreamPartition:
    (part_name,) = src.list_parts()
    return src.build_part("redis_in", part_name, resume_state)


def take(part: RedisStreamPartition, count: int) -> list[RawFrame]:
    """Call next_batch until `count` frames came (each call waits at most its short BLOCK)."""
    frames = take_items(part.next_batch, count, poll)
    assert len(frames) == count, f"more frames than expected: {len(frames)}"
    return frames


def payloads(frames: list[RawFrame]) -> list[bytes | str]:
    return [f.payload for f in frames]


def test_frames_come_out_in_order_as_raw_bytes_in_big_batches(server: RedisServer) -> None:
    sent = [frame(n) for n in range(2500)]
    add(server, sent)
    part = build(source(server, count=1024))
    first = part.next_batch()
    assert len(first) == 1024  # one XREADGROUP COUNT 1024, not one frame a call
    frames = first + take(part, 2500 - 1024)
    part.close()
    assert payloads(frames) == sent
    assert all(isinstance(f.payload, bytes) and f.arrived_at == 1234.5 for f in frames)
    assert {f.source for f in frames} == {"redis"}  # the candidates' ``source`` field


def test_blank_and_garbage_frames_are_handed_on_as_they_are(server: RedisServer) -> None:
    odd = [b"", b"   ", b"not json", b"\xff\xfe\x00binary", b'{"jsonrpc":"2.0","id":1}', frame(1)]
    add(server, odd)
    add(server, [b"x"], field=b"payload")  # an entry without a `frame` field
    part = build(source(server))
    frames = take(part, len(odd) + 1)
    part.close()
    # Nothing is parsed or dropped here: the decoder counts what is invalid.
    assert payloads(frames) == [*odd, b""]


def test_the_group_is_created_when_missing_and_reads_from_the_start(
    server: RedisServer,
) -> None:
    client = server.client()
    assert not client.exists(STREAM)
    part = build(source(server))
    assert part.next_batch() == []  # creates the stream (MKSTREAM) and the group
    groups = client.xinfo_groups(STREAM)
    assert [g["name"] for g in groups] == [GROUP.encode()]
    add(server, [frame(1)])
    assert payloads(take(part, 1)) == [frame(1)]
    part.close()

    # A stream that already holds entries, without the group: nothing before the group is missed.
    client.delete(STREAM)
    add(server, [frame(n) for n in range(3)])
    fresh = build(source(server))
    assert payloads(take(fresh, 3)) == [frame(n) for n in range(3)]
    fresh.close()

    # A group that already exists (BUSYGROUP) is simply used.
    again = build(RedisStreamSource(server.url, STREAM, GROUP, "another-consumer"))
    add(server, [frame(9)])
    assert payloads(take(again, 1)) == [frame(9)]
    again.close()
    client.close()


def test_frames_are_acknowledged_only_after_a_snapshot_covers_them(server: RedisServer) -> None:
    ids = add(server, [frame(n) for n in range(10)])
    part = build(source(server))
    take(part, 10)
    assert pending(server) == 10
    assert part.next_batch() == []
    assert pending(server) == 10  # handed on is not processed: still pending

    assert part.snapshot() == ids[-1]  # the snapshot is the last id handed on ...
    assert pending(server) == 10  # ... and taking it acknowledges nothing yet

    more = add(server, [frame(n) for n in range(10, 15)])
    assert payloads(take(part, 5)) == [frame(n) for n in range(10, 15)]
    # The next next_batch acknowledged what the snapshot covered, and only that.
    assert pending(server) == 5
    assert part.snapshot() == more[-1]
    assert part.next_batch() == []
    assert pending(server) == 0
    part.close()


def test_a_crash_redelivers_what_no_snapshot_covered(server: RedisServer) -> None:
    add(server, [frame(n) for n in range(5)])
    part = build(source(server))
    take(part, 5)
    state = part.snapshot()
    add(server, [frame(n) for n in range(5, 8)])
    take(part, 3)  # acknowledges 0..4 on the way
    assert pending(server) == 3
    part.close()  # the crash: no snapshot of 5..7, nothing acknowledged

    add(server, [frame(8), frame(9)])
    resumed = build(source(server), state)
    # First this consumer's unacknowledged frames, then the new ones, in order.
    assert payloads(take(resumed, 5)) == [frame(n) for n in range(5, 10)]
    resumed.snapshot()
    assert resumed.next_batch() == []
    assert pending(server) == 0
    resumed.close()


def test_a_crash_between_snapshot_and_acknowledgement_loses_and_repeats_nothing(
    server: RedisServer,
) -> None:
    add(server, [frame(n) for n in range(5)])
    part = build(source(server))
    take(part, 5)
    state = part.snapshot()  # the resumed state will hold these five ...
    part.close()  # ... but the process died before the next next_batch acknowledged them
    assert pending(server) == 5

    add(server, [frame(5)])
    resumed = build(source(server), state)
    assert payloads(take(resumed, 1)) == [frame(5)]  # not 0..4 again: the snapshot covers them
    assert pending(server) == 1  # 0..4 acknowledged on resume
    resumed.close()


def test_a_restart_without_recovery_reads_every_pending_frame_again(server: RedisServer) -> None:
    add(server, [frame(n) for n in range(4)])
    part = build(source(server))
    take(part, 4)
    part.snapshot()
    add(server, [frame(4)])
    take(part, 1)  # 0..3 acknowledged, 4 pending
    part.close()

    restarted = build(source(server), None)  # no recovery store: no resume state
    assert payloads(take(restarted, 1)) == [frame(4)]
    restarted.close()

    # A consumer whose pending list is long is re-read in COUNT-sized steps, in order.
    add(server, [frame(n) for n in range(100, 130)])
    small = build(source(server, count=7))
    take(small, 31)
    small.close()
    again = build(source(server, count=7), None)
    assert payloads(take(again, 31)) == [frame(4)] + [frame(n) for n in range(100, 130)]
    again.close()


class _Top(random.Random):
    """The longest wait of the backoff's full jitter, so that the waits are exact."""

    def uniform(self, a: float, b: float) -> float:
        return b


def test_a_lost_connection_is_retried_with_backoff_and_counted(own_server: RedisServer) -> None:
    metrics = Metrics(CollectorRegistry())
    clock = FakeClock(1000.0)
    part = build(
        source(own_server, clock=clock, metrics=metrics, reconnect_initial_s=0.5, rng=_Top())
    )
    add(own_server, [frame(1)])
    assert payloads(take(part, 1)) == [frame(1)]
    assert part.next_awake() is None

    own_server.stop()
    assert part.next_batch() == []  # no exception: the job goes on
    awake = part.next_awake()
    assert awake is not None and awake.tzinfo is timezone.utc
    assert awake.timestamp() == pytest.approx(1000.5)
    assert part.next_batch() == []  # not due yet: no attempt
    clock.advance(0.5)
    assert part.next_batch() == []  # a second failure doubles the wait
    awake = part.next_awake()
    assert awake is not None and awake.timestamp() == pytest.approx(1001.5)
    assert metric(metrics, "sniffer_source_reconnects_total", source="redis") == 0

    own_server.start()  # same port, empty: the group is gone and is created again
    add(own_server, [frame(2), frame(3)])
    clock.advance(1.0)
    assert payloads(take(part, 2)) == [frame(2), frame(3)]
    assert part.next_awake() is None
    assert metric(metrics, "sniffer_source_reconnects_total", source="redis") == 1
    part.close()


def test_a_server_down_at_start_is_waited_for(own_server: RedisServer) -> None:
    metrics = Metrics(CollectorRegistry())
    clock = FakeClock(1000.0)
    part = build(source(own_server, clock=clock, metrics=metrics))
    own_server.stop()
    assert part.next_batch() == []
    own_server.start()
    add(own_server, [frame(1)])
    clock.advance(60)
    assert payloads(take(part, 1)) == [frame(1)]
    # Never connected before: a first connection is not a reconnect.
    assert metric(metrics, "sniffer_source_reconnects_total", source="redis") == 0
    part.close()


def test_a_wrong_key_type_is_an_error_that_does_not_stop_the_source(server: RedisServer) -> None:
    metrics = Metrics(CollectorRegistry())
    clock = FakeClock(1000.0)
    client = server.client()
    client.set(STREAM, "not a stream")
    part = build(source(server, clock=clock, metrics=metrics))
    assert part.next_batch() == []
    labels = {"source": "redis", "kind": "wrongtype"}
    assert metric(metrics, "sniffer_source_errors_total", **labels) == 1
    client.delete(STREAM)  # someone fixes it
    add(server, [frame(1)])
    clock.advance(60)
    assert payloads(take(part, 1)) == [frame(1)]
    part.close()
    client.close()


def test_the_password_is_never_logged_nor_shown(
    tmp_path: Path, all_logs: pytest.LogCaptureFixture
) -> None:
    password = "pa55-word-xyz-4411"
    secured = start_redis(tmp_path / "secured", password=password)
    clock = FakeClock(1000.0)
    src = RedisStreamSource(secured.url, STREAM, GROUP, CONSUMER, clock)
    assert src.list_parts() == [CONSUMER]
    part = build(src)
    try:
        add(secured, [frame(1)])
        assert payloads(take(part, 1)) == [frame(1)]  # logs the group's creation
        secured.stop()
        assert part.next_batch() == []  # logs the lost connection
        secured.start()
        clock.advance(60)
        assert part.next_batch() == []  # logs the group created again, and the recovery
        wrong = RedisStreamSource(secured.url.replace(password, "nope-5566"), STREAM, GROUP)
        refused = build(wrong)
        assert refused.next_batch() == []  # refused credentials: logged, retried later
        refused.close()
    finally:
        part.close()
        secured.stop()
    assert "127.0.0.1" in all_logs.text
    for text in [all_logs.text, repr(src)]:
        assert password not in text and "nope-5566" not in text


# --- inside a real Bytewax dataflow -----------------------------------------------------------


def run_flow(
    server: RedisServer,
    expected: int,
    recovery: RecoveryConfig | None = None,
    *,
    epoch: timedelta = timedelta(milliseconds=50),
    wait_for_acks: bool = True,
) -> list[bytes | str]:
    """Run a flow of the redis source until it has handed on `expected` frames (and, with
    `wait_for_acks`, every frame is acknowledged), then stop it the job's way: a Shutdown
    request that the StoppableSource turns into the end of the stream."""
    shutdown = Shutdown()
    out: list[RawFrame] = []
    problems: list[str] = []

    def stop_when_done() -> None:
        try:
            poll(lambda: len(out) >= expected, f"{expected} frames through the flow")
            if wait_for_acks:
                poll(lambda: pending(server) == 0, "every frame acknowledged")
        except AssertionError as exc:
            problems.append(str(exc))
        finally:
            shutdown.request()

    flow = Dataflow("redis_source_test")
    frames = op.input("redis_in", flow, StoppableSource(source(server), shutdown))
    op.output("out", frames, TestingSink(out))
    watcher = threading.Thread(target=stop_when_done, daemon=True)
    watcher.start()
    run_main(flow, epoch_interval=epoch, recovery_config=recovery)
    watcher.join(timeout=30)
    assert not problems, problems
    return payloads(out)


def test_the_source_runs_in_a_real_flow_and_stops_on_request(server: RedisServer) -> None:
    sent = [frame(n) for n in range(3000)]
    add(server, sent)
    assert run_flow(server, len(sent)) == sent
    assert pending(server) == 0  # acknowledged after the snapshots that covered them


def recovery_store(path: Path) -> RecoveryConfig:
    path.mkdir()
    init_db_dir(path, 1)
    return RecoveryConfig(str(path))


#: An epoch longer than the run: the only snapshot is the one at the end of the stream, which
#: no next_batch follows, so the run ends with every frame still pending.
NO_EPOCH_END = timedelta(seconds=600)


def test_a_resumed_flow_continues_after_its_last_snapshot(
    server: RedisServer, tmp_path: Path
) -> None:
    recovery = recovery_store(tmp_path / "recovery")
    first = [frame(n) for n in range(500)]
    add(server, first)
    assert run_flow(server, 500, recovery, epoch=NO_EPOCH_END, wait_for_acks=False) == first
    assert pending(server) == 500

    second = [frame(n) for n in range(500, 800)]
    add(server, second)
    # The final snapshot of the first run covers its frames: acknowledged on resume, not
    # handed on again.
    assert run_flow(server, 300, recovery) == second
    assert pending(server) == 0


def test_without_recovery_a_restarted_flow_reads_the_unacknowledged_frames_again(
    server: RedisServer,
) -> None:
    first = [frame(n) for n in range(500)]
    add(server, first)
    assert run_flow(server, 500, epoch=NO_EPOCH_END, wait_for_acks=False) == first
    assert pending(server) == 500

    second = [frame(n) for n in range(500, 800)]
    add(server, second)
    # At least once: the pending frames come first, then the new ones.
    assert run_flow(server, 800) == first + second
    assert pending(server) == 0
