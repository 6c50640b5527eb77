"""The send path's behaviour, checked on the real dataflow (`build_flow`) and the real command.

These are the seed's delivery tests (backpressure, async ordering, sustained load, configuration
validation, metrics, drop policies), ported from the Rust sniffer and turned from timing checks
into behaviour checks: every input is finite and known (the synthetic source's ground truth), the
consumer is a transport that records what it got, and each test asserts what was delivered, what
was dropped and what was counted. No test asserts a duration.

Where a test runs at a given rate, the rate only shapes the load; it is never checked. The rate a
run actually reached is printed and recorded as a test property (`pytest -s`, or junit xml).
"""

from __future__ import annotations

import itertools
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from bytewax.testing import run_main
from prometheus_client import CollectorRegistry

from connectors.replay import ReplaySource
from domain.config import SnifferConfig, load_config
from domain.metrics import Metrics, conservation_problems
from domain.models import HIGH, LOW, PRIORITIES, Batch
from domain.transport import SendError, Transport
from fakechain import SyntheticSource, SyntheticTx, generate_range
from flows.endpoints import make_transport
from flows.pipeline import build_flow
from tests.factories import RecordingTransport
from tests.jobs import EntryPoint, run_job, run_two_workers

SEED = 11
MODES = ["sync", "async"]


# --- helpers -------------------------------------------------------------------------------------


def make_config(**settings: object) -> SnifferConfig:
    """The configuration the job would load from these `SNIFFER_*` settings."""
    return load_config({f"SNIFFER_{name.upper()}": str(value) for name, value in settings.items()})


def make_metrics(config: SnifferConfig) -> Metrics:
    return Metrics(CollectorRegistry(), capacity=config.stream_buffer_capacity)


def launches(total: int, partitions: int = 1) -> list[SyntheticTx]:
    """The launch frames of a synthetic run of `total` frames, in global (detection) order."""
    return [tx for tx in generate_range(SEED, total, 1.0, partitions=partitions) if tx.is_launch]


class DepthSampler:
    """The highest `sniffer_stream_buffer_depth{priority}` seen, sample after sample."""

    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics
        self.max = dict.fromkeys(PRIORITIES, 0.0)
        self.samples = 0
        self._lock = threading.Lock()

    def sample(self) -> None:
        get = self._metrics.registry.get_sample_value
        depths = {p: get("sniffer_stream_buffer_depth", {"priority": p}) or 0.0 for p in PRIORITIES}
        with self._lock:
            self.samples += 1
            for priority, depth in depths.items():
                self.max[priority] = max(self.max[priority], depth)


@contextmanager
def watching(sampler: DepthSampler, interval_s: float = 0.002) -> Iterator[None]:
    """Sample the depth from a thread of its own while the body runs (the transport samples
    too, on every send)."""
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            sampler.sample()
            stop.wait(interval_s)

    thread = threading.Thread(target=loop, name="depth-watcher", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


class Recorder(RecordingTransport):
    """A transport that records every batch it acknowledged, in the order it got them.

    Optionally it passes each batch on to `inner` (a real transport, e.g. the configured one with
    its `sink_delay_ms`), sleeps `delay_s` per send, samples the buffer depth on every send,
    holds every send until `gate` is set, and fails the attempts `fail(batch_no, attempt)` picks
    (batch_no counts distinct batches in the order they first reached the transport, attempt
    counts from 0).
    """

    def __init__(
        self,
        *,
        inner: Transport | None = None,
        delay_s: float = 0.0,
        sampler: DepthSampler | None = None,
        gate: threading.Event | None = None,
        fail: Callable[[int, int], bool] | None = None,
    ) -> None:
        super().__init__()
        self.failed_attempts = 0
        self.failed_batches: list[Batch] = []
        self._inner = inner
        self._delay_s = delay_s
        self._sampler = sampler
        self._gate = gate
        self._fail = fail
        #: Every distinct batch that reached the transport, by its number.
        self.seen: dict[int, Batch] = {}
        self._attempts: dict[str, int] = {}
        self._numbers: dict[str, int] = {}

    def send(self, batch: Batch) -> None:
        if self._sampler is not None:
            self._sampler.sample()
        if self._gate is not None:
            # The safety net only: the test's watcher always sets the gate well before this.
            self._gate.wait(timeout=30)
        key = batch.candidates[0].launch.signature
        with self._lock:
            number = self._numbers.setdefault(key, len(self._numbers))
            self.seen.setdefault(number, batch)
            attempt = self._attempts.get(key, 0)
            self._attempts[key] = attempt + 1
        if self._delay_s:
            time.sleep(self._delay_s)
        if self._fail is not None and self._fail(number, attempt):
            with self._lock:
                self.failed_attempts += 1
            raise SendError(f"refused batch {number}, attempt {attempt}")
        if self._inner is not None:
            self._inner.send(batch)
        super().send(batch)

    def close(self) -> None:
        if self._inner is not None:
            self._inner.close()
        super().close()


def sample(metrics: Metrics, name: str, **labels: str) -> float:
    value = metrics.registry.get_sample_value(name, labels)
    assert value is not None, f"no series {name}{labels}"
    return value


def check_end_state(metrics: Metrics, transport: Recorder) -> dict[str, float]:
    """What holds at the end of every finite run: both laws, empty buffers, and the transport got
    exactly what `candidates_sent` counts, each candidate once."""
    snap = metrics.snapshot()
    assert conservation_problems(snap) == []
    assert snap["stream_buffer_depth"] == 0
    delivered = transport.sent()
    assert len(delivered) == len(set(delivered)), "a candidate was delivered twice"
    assert len(delivered) == snap["candidates_sent"]
    for priority in PRIORITIES:
        got = len(transport.sent(priority))
        assert sample(metrics, "sniffer_candidates_sent_total", priority=priority) == got
        assert sample(metrics, "sniffer_stream_buffer_depth", priority=priority) == 0
    return snap


def report_rate(record_property: Callable[[str, object], None], name: str, rate: float) -> None:
    record_property(name, round(rate))
    print(f"{name}: {rate:,.0f}")


# --- 1. backpressure: a 20,000 tx/s all-launch producer into a 20 ms consumer ------------------

#: One second's worth at the nominal 20,000 tx/s. Every frame is a launch, and this machine decodes
#: and scores only about 8,000 launch frames a second per process, so the producer runs as fast as
#: it can (the rate is reported); the consumer takes about 800 candidates/s per priority.
BACKPRESSURE_TOTAL = 20_000
BACKPRESSURE = {
    "synthetic_rate": 20_000,
    "synthetic_launch_ratio": 1.0,
    "synthetic_total": BACKPRESSURE_TOTAL,
    "synthetic_seed": SEED,
    "sink": "null",
    "sink_delay_ms": 20,
    # Small enough that the drain at the end (2 x 256 candidates at 16 per 20 ms) stays short.
    "stream_buffer_capacity": 256,
}


@pytest.mark.parametrize("mode", MODES)
def test_backpressure_is_counted_and_the_buffer_stays_bounded(
    mode: str, record_property: Callable[[str, object], None]
) -> None:
    config = make_config(**BACKPRESSURE, batch_send_mode=mode)
    metrics = make_metrics(config)
    sampler = DepthSampler(metrics)
    # The configured transport (null sink, 20 ms per batch) behind a recorder that samples the
    # buffer depth on every send.
    transport = Recorder(inner=make_transport(config), sampler=sampler)
    started = time.perf_counter()
    with watching(sampler):
        run_main(build_flow(config, metrics, transport=transport))
    report_rate(record_property, "tx_per_s", BACKPRESSURE_TOTAL / (time.perf_counter() - started))

    snap = check_end_state(metrics, transport)
    assert snap["tx_seen"] == snap["candidates_detected"] == BACKPRESSURE_TOTAL
    assert snap["backpressure_events"] > 0
    # drop_newest (the default): every candidate that found its buffer full was dropped.
    assert snap["dropped_full_buffer"] == snap["backpressure_events"]
    assert snap["candidates_sent"] > 0
    assert sampler.samples > 100
    for priority in PRIORITIES:
        assert 0 < sampler.max[priority] <= config.stream_buffer_capacity, sampler.max


@pytest.mark.e2e
def test_backpressure_with_the_real_command() -> None:
    settings = {f"SNIFFER_{k.upper()}": str(v) for k, v in BACKPRESSURE.items()}
    del settings["SNIFFER_SINK"]  # the default stdout sink, so the candidates can be read back
    result = run_job({**settings, "SNIFFER_BATCH_SEND_MODE": "async"}, "-w", "2", timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    result.assert_conserved()
    snap = result.snapshot
    assert snap["tx_seen"] == snap["candidates_detected"] == BACKPRESSURE_TOTAL
    assert snap["backpressure_events"] > 0
    assert snap["dropped_full_buffer"] == snap["backpressure_events"]
    assert snap["stream_buffer_depth"] == 0
    signatures = [c["signature"] for c in result.candidates]
    assert len(signatures) == len(set(signatures)) == snap["candidates_sent"]


# --- 2. order per priority per source partition, parallel producers ----------------------------

ORDER_TOTAL = 6_000
ORDER_PARTITIONS = 4


@pytest.mark.parametrize("mode", MODES)
def test_order_is_kept_per_priority_per_partition_with_parallel_producers(mode: str) -> None:
    config = make_config(
        synthetic_rate=0,
        synthetic_launch_ratio=1.0,
        synthetic_total=ORDER_TOTAL,
        synthetic_seed=SEED,
        synthetic_partitions=ORDER_PARTITIONS,
        batch_send_mode=mode,
        # block: nothing may be lost, so the delivered set can be checked whole; a small buffer
        # and a slowish consumer keep both senders and the buffers busy.
        drop_policy="block",
        stream_buffer_capacity=64,
    )
    metrics = make_metrics(config)
    transport = Recorder(delay_s=0.0005)
    run_two_workers(build_flow(config, metrics, transport=transport))

    snap = check_end_state(metrics, transport)
    index = {tx.signature: tx.index for tx in launches(ORDER_TOTAL, ORDER_PARTITIONS)}
    assert sorted(transport.sent()) == sorted(index), "not every launch was delivered"
    assert snap["dropped_full_buffer"] == 0
    assert snap["backpressure_events"] > 0  # the block policy was exercised
    for priority in PRIORITIES:
        frames = [index[s] for s in transport.sent(priority)]
        for partition in range(ORDER_PARTITIONS):
            mine = [g for g in frames if g % ORDER_PARTITIONS == partition]
            assert mine, (priority, partition)
            assert mine == sorted(mine), f"{priority} candidates of partition {partition} reordered"
    # The partitions really ran side by side: their candidates interleave in what was sent (more
    # runs of one partition than there are partitions), so the order above was not a given.
    partitions = [index[s] % ORDER_PARTITIONS for s in transport.sent()]
    runs = 1 + sum(a != b for a, b in itertools.pairwise(partitions))
    assert runs > ORDER_PARTITIONS


# --- 3. sustained load: 10,000 tx/s for 2 s, every frame a launch, a fast consumer -------------

SUSTAINED_TOTAL = 20_000
SUSTAINED_RATE = 10_000


@pytest.fixture(scope="module")
def all_launch_frames(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """20,000 recorded synthetic frames, every one a launch, one JSON document a line; and their
    signatures in order.

    Replayed rather than generated on the fly: generating a launch frame costs more than
    detecting it, and with every frame a launch the synthetic source alone tops out near 8,000
    frames/s here, while the replay of the same frames holds 10,000 frames/s.
    """
    frames = launches(SUSTAINED_TOTAL)
    path = tmp_path_factory.mktemp("sustained") / "launches.jsonl"
    path.write_bytes(b"".join(tx.payload + b"\n" for tx in frames))
    return path, [tx.signature for tx in frames]


@pytest.mark.parametrize(
    ("mode", "runner"),
    [
        pytest.param("sync", run_main, id="sync-1-worker"),
        pytest.param("async", run_main, id="async-1-worker"),
        pytest.param("async", run_two_workers, id="async-2-workers"),
    ],
)
def test_sustained_load_with_defaults_delivers_in_order_and_counts_what_it_drops(
    mode: str,
    runner: EntryPoint,
    all_launch_frames: tuple[Path, list[str]],
    record_property: Callable[[str, object], None],
) -> None:
    config = make_config(batch_send_mode=mode)  # every other setting at its default
    metrics = make_metrics(config)
    transport = Recorder()
    path, signatures = all_launch_frames
    source = ReplaySource(path, rate=SUSTAINED_RATE)
    started = time.perf_counter()
    runner(build_flow(config, metrics, source=source, transport=transport))
    report_rate(record_property, "tx_per_s", SUSTAINED_TOTAL / (time.perf_counter() - started))

    snap = check_end_state(metrics, transport)
    assert snap["tx_seen"] == snap["candidates_detected"] == SUSTAINED_TOTAL
    # Whether the consumer keeps up depends on how busy the machine is, so drops are reported,
    # not forbidden: each one is a counted backpressure event (drop_newest, the default), and
    # what is not dropped is delivered.
    record_property("dropped_full_buffer", snap["dropped_full_buffer"])
    assert snap["dropped_full_buffer"] == snap["backpressure_events"]
    assert snap["candidates_sent"] == snap["candidates_detected"] - snap["dropped_full_buffer"] > 0
    # Every delivered launch once, in detection order within each priority (one partition).
    order = {signature: n for n, signature in enumerate(signatures)}
    sent = transport.sent()
    assert len(sent) == len(set(sent)) and set(sent) <= set(order)
    for priority in PRIORITIES:
        ranks = [order[s] for s in transport.sent(priority)]
        assert ranks == sorted(ranks), priority


# --- 4. configuration validation of the delivery fields, through the real command --------------

BAD_DELIVERY_SETTINGS = {
    "stream_buffer_capacity": ("0", "greater than 0"),
    "drop_policy": ("unknown", "'drop_oldest', 'drop_newest' or 'block'"),
    "batch_send_mode": ("unknown", "'sync' or 'async'"),
    "send_max_retries": ("-1", "greater than or equal to 0"),
    "sink_rate_limit": ("-1", "greater than or equal to 0"),
    "max_candidate_age_ms": ("-1", "greater than or equal to 0"),
}


def check_config_error_lines(lines: list[str], fields: list[str]) -> None:
    assert len(lines) == len(fields), lines
    assert all(line.startswith("sniffer: configuration error: ") for line in lines), lines
    for field in fields:
        value, rule = BAD_DELIVERY_SETTINGS[field]
        [line] = [line for line in lines if f" {field}={value!r}: " in line]
        assert rule in line, line


@pytest.mark.e2e
@pytest.mark.parametrize("field", list(BAD_DELIVERY_SETTINGS))
def test_a_bad_delivery_setting_exits_2_with_one_line(field: str) -> None:
    value, _ = BAD_DELIVERY_SETTINGS[field]
    result = run_job({f"SNIFFER_{field.upper()}": value}, timeout=60)
    assert result.returncode == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    check_config_error_lines(result.stderr.strip().splitlines(), [field])


@pytest.mark.e2e
def test_every_bad_delivery_setting_at_once_gives_one_line_each() -> None:
    settings = {f"SNIFFER_{f.upper()}": value for f, (value, _) in BAD_DELIVERY_SETTINGS.items()}
    result = run_job(settings, timeout=60)
    assert result.returncode == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    check_config_error_lines(result.stderr.strip().splitlines(), list(BAD_DELIVERY_SETTINGS))


# --- 5. every metric of the send path moves, checked by name ------------------------------------

METRICS_TOTAL = 3_000
#: Every STALE_EVERY-th batch of frames the source reads is stamped as having arrived
#: STALE_BY_S ago: with max_candidate_age_ms far below that and far above the job's own latency,
#: those candidates (and only those) are stale when their turn comes, whatever the machine's
#: speed. (A small age limit and a slow consumer would make the count depend on timing.)
STALE_EVERY = 4
STALE_BY_S = 30.0


class BackdatingClock:
    """The source's clock: the wall clock, but every `every`-th reading is `by_s` in the past."""

    def __init__(self, every: int, by_s: float) -> None:
        self._every = every
        self._by_s = by_s
        self._calls = 0
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            self._calls += 1
            late = self._calls % self._every == 0
        return time.time() - (self._by_s if late else 0.0)


def refused_for_good(number: int) -> bool:
    return number % 7 == 3


def refuse_some(number: int, attempt: int) -> bool:
    """Every 7th batch fails every attempt; every 5th of the others fails its first attempt."""
    return refused_for_good(number) or (number % 5 == 1 and attempt == 0)


@pytest.mark.parametrize("mode", MODES)
def test_every_send_path_metric_moves(mode: str) -> None:
    config = make_config(
        batch_send_mode=mode,
        batch_size=4,
        stream_buffer_capacity=16,
        send_max_retries=2,
        send_retry_delay_us=100,
        max_candidate_age_ms=5_000,
    )
    metrics = make_metrics(config)
    sampler = DepthSampler(metrics)
    transport = Recorder(delay_s=0.002, sampler=sampler, fail=refuse_some)
    source = SyntheticSource(
        total=METRICS_TOTAL,
        seed=SEED,
        launch_ratio=1.0,
        batch_size=256,
        clock=BackdatingClock(STALE_EVERY, STALE_BY_S),
    )
    run_main(build_flow(config, metrics, source=source, transport=transport))

    snap = check_end_state(metrics, transport)
    assert snap["tx_seen"] == snap["candidates_detected"] == METRICS_TOTAL

    for priority in PRIORITIES:
        sent = sample(metrics, "sniffer_candidates_sent_total", priority=priority)
        batches = sample(metrics, "sniffer_batches_sent_total", priority=priority)
        dropped = sample(metrics, "sniffer_dropped_full_buffer_total", priority=priority)
        assert sent > 0 and batches > 0 and dropped > 0, (priority, sent, batches, dropped)
        assert batches == len([b for b in transport.batches if b.priority == priority])
        # Mid-run the buffer held candidates (a batch being sent is still counted in it) ...
        assert sampler.max[priority] > 0
        # ... and at the end it is empty (check_end_state).
    assert sample(metrics, "sniffer_backpressure_events_total") == snap["dropped_full_buffer"] > 0

    # Retries and failures, exactly as the transport saw them: a batch refused for good was tried
    # 1 + send_max_retries times and its candidates count as failures; every other refused
    # attempt was retried once.
    retries = sample(metrics, "sniffer_send_retries_total")
    failures = sample(metrics, "sniffer_send_failures_total")
    for_good = [b for n, b in transport.seen.items() if refused_for_good(n)]
    assert retries > 0 and failures > 0
    assert failures == sum(len(b.candidates) for b in for_good) == snap["send_failures"]
    assert retries == transport.failed_attempts - len(for_good)
    once = [n for n in transport.seen if not refused_for_good(n) and n % 5 == 1]
    assert transport.failed_attempts == len(for_good) * (1 + config.send_max_retries) + len(once)

    stale = sample(metrics, "sniffer_dropped_stale_total")
    assert stale > 0
    assert stale == snap["dropped_stale"]

    # Histograms: one batch_size observation per batch sent, one latency per candidate sent.
    sent_total = snap["candidates_sent"]
    assert sample(metrics, "sniffer_batch_size_count") == snap["batches_sent"]
    assert sample(metrics, "sniffer_batch_size_sum") == sent_total
    assert sample(metrics, "sniffer_batch_size_bucket", le="4.0") == snap["batches_sent"]
    assert sample(metrics, "sniffer_detect_to_send_seconds_count") == sent_total
    assert sample(metrics, "sniffer_detect_to_send_seconds_sum") > 0
    # No delivered candidate was one of the back-dated ones: those all went stale.
    assert sample(metrics, "sniffer_detect_to_send_seconds_bucket", le="10.0") == sent_total


@pytest.mark.parametrize("mode", MODES)
def test_rate_limited_sink_with_block_still_delivers_everything(
    mode: str, entry_point: EntryPoint
) -> None:
    config = make_config(
        batch_send_mode=mode,
        drop_policy="block",
        stream_buffer_capacity=16,
        sink_rate_limit=4_000,
    )
    metrics = make_metrics(config)
    transport = Recorder()
    total = 600
    source = SyntheticSource(total=total, seed=SEED, launch_ratio=1.0, batch_size=200)
    entry_point(build_flow(config, metrics, source=source, transport=transport))

    snap = check_end_state(metrics, transport)
    assert sorted(transport.sent()) == sorted(tx.signature for tx in launches(total))
    assert snap["candidates_sent"] == snap["candidates_detected"] == total
    assert snap["dropped_full_buffer"] == snap["dropped_stale"] == snap["send_failures"] == 0
    assert snap["backpressure_events"] > 0  # the limit held the consumer back and block waited


# --- 6. which candidates survive each policy ----------------------------------------------------

POLICY_TOTAL = 160
POLICY_CAPACITY = 8


@pytest.fixture(scope="module")
def truth_by_priority() -> dict[str, list[str]]:
    """Every launch's signature, in detection order, per priority (a run that drops nothing
    decides the priorities: scores are the same every run)."""
    config = make_config(drop_policy="block")
    metrics = make_metrics(config)
    transport = Recorder()
    source = SyntheticSource(total=POLICY_TOTAL, seed=SEED, launch_ratio=1.0)
    run_main(build_flow(config, metrics, source=source, transport=transport))
    order = [tx.signature for tx in launches(POLICY_TOTAL)]
    priority = {c.launch.signature: c.priority for b in transport.batches for c in b.candidates}
    assert sorted(priority) == sorted(order)
    truth = {p: [s for s in order if priority[s] == p] for p in PRIORITIES}
    assert min(len(truth[HIGH]), len(truth[LOW])) > 2 * POLICY_CAPACITY
    return truth


def release_when(gate: threading.Event, ready: Callable[[], bool], timeout_s: float) -> list[bool]:
    """Set `gate` as soon as `ready()`, or after `timeout_s` at the latest; the list returned
    holds True once the gate was opened because `ready()` became true."""
    met: list[bool] = []

    def loop() -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if ready():
                met.append(True)
                break
            time.sleep(0.001)
        gate.set()

    threading.Thread(target=loop, name="gate-keeper", daemon=True).start()
    return met


@pytest.mark.parametrize("policy", ["drop_newest", "drop_oldest", "block"])
@pytest.mark.parametrize("mode", MODES)
def test_which_candidates_each_policy_keeps(
    policy: str, mode: str, entry_point: EntryPoint, truth_by_priority: dict[str, list[str]]
) -> None:
    capacity = POLICY_CAPACITY
    config = make_config(
        drop_policy=policy,
        batch_send_mode=mode,
        stream_buffer_capacity=capacity,
        # One candidate a batch: every candidate reaches the send step as soon as it is scored
        # (no partial batch waits for its timeout), and at most one per priority is in flight.
        batch_size=1,
    )
    metrics = make_metrics(config)
    gate = threading.Event()
    transport = Recorder(gate=gate)

    def everything_buffered_or_dropped() -> bool:
        snap = metrics.snapshot()
        held = snap["dropped_full_buffer"] + snap["stream_buffer_depth"]
        return snap["candidates_detected"] == POLICY_TOTAL == held

    def buffer_full() -> bool:
        return metrics.snapshot()["backpressure_events"] > 0

    # Every send waits until the whole input is in the buffers (or dropped); with `block` that
    # can never be, so until the input has found the buffer full. The source hands the whole
    # input over in one batch.
    met = release_when(
        gate, buffer_full if policy == "block" else everything_buffered_or_dropped, timeout_s=20
    )
    source = SyntheticSource(
        total=POLICY_TOTAL, seed=SEED, launch_ratio=1.0, batch_size=POLICY_TOTAL
    )
    entry_point(build_flow(config, metrics, source=source, transport=transport))
    assert met == [True], "the input never filled the buffers while the consumer was held"

    snap = check_end_state(metrics, transport)
    for priority in PRIORITIES:
        truth = truth_by_priority[priority]
        got = transport.sent(priority)
        dropped = sample(metrics, "sniffer_dropped_full_buffer_total", priority=priority)
        if policy == "block":
            assert got == truth
            assert dropped == 0
            continue
        assert dropped == len(truth) - capacity
        if policy == "drop_newest":
            assert got == truth[:capacity]
        else:
            # drop_oldest keeps the last `capacity`, except the candidate a sender had already
            # taken when the buffer filled (it is being sent and cannot be dropped).
            # Which one that is depends on when the sender thread first ran, so only its place
            # (before every kept one) is asserted.
            in_flight = 0 if got == truth[-capacity:] else 1
            newest = len(truth) - capacity + in_flight
            assert got[in_flight:] == truth[newest:], got
            assert got[:in_flight] == [] or got[0] in truth[:newest], got
    if policy != "block":
        assert snap["backpressure_events"] == snap["dropped_full_buffer"]
    else:
        assert snap["dropped_full_buffer"] == 0 and snap["backpressure_events"] > 0


# --- async senders get the GIL back promptly ----------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_sender_threads_shorten_the_thread_switch_interval(mode: str) -> None:
    """With CPython's default 5 ms switch interval, a worker busy detecting kept the GIL from the
    sender threads so long that a 20 ms consumer got a quarter to a half of its capacity
    (benchmarks/delivery.py); both modes send from threads and lower the interval to 1 ms."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(0.005)
    try:
        config = make_config(batch_send_mode=mode)
        transport = Recorder()
        source = SyntheticSource(total=50, seed=SEED, launch_ratio=1.0)
        run_main(build_flow(config, make_metrics(config), source=source, transport=transport))
        assert sys.getswitchinterval() <= 0.001
        assert len(transport.sent()) == 50
    finally:
        sys.setswitchinterval(before)
