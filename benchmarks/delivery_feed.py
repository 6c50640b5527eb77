"""The delivery benchmark's input: candidates shaped like real ones, and `BatchFeed`, a Bytewax
source that hands the send step ready-made batches for a fixed window, as fast as it can or at a
set rate, noting what was sent and the process's memory when the window opens and closes."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone

from bytewax.inputs import FixedPartitionedSource, StatefulSourcePartition

from domain.metrics import Metrics
from domain.models import HIGH, LOW, PRIORITIES, PUMP_FUN, Batch, Candidate, Launch
from domain.shutdown import Shutdown

KEY = "launches"
#: Batches handed to the send step per `next_batch` ("big chunks": 1,024 candidates).
CHUNK = 64
#: Distinct ready-made batches the throughput runs cycle through (16,384 candidates).
POOL_BATCHES = 1024


# --- candidates ------------------------------------------------------------------------------


def make_candidate(n: int, priority: str, now: float) -> Candidate:
    """A candidate shaped like a real one (field sizes of a pump.fun launch)."""
    launch = Launch(
        signature=f"{n:0>88}",
        slot=400_000_000 + n // 8,
        launchpad=PUMP_FUN,
        mint=f"{n:0>40}pump",
        creator=f"{n:0>44}",
        name=f"Token number {n}",
        symbol=f"T{n % 100000}",
        uri=f"https://ipfs.io/ipfs/bafkrei{n:0>52}",
        initial_buy_sol=1.5,
        arrived_at=now,
        detected_at=now,
    )
    return Candidate(launch, 0.7 if priority == HIGH else 0.5, priority)


def make_batch(number: int, batch_size: int) -> Batch:
    """Batch `number`: HIGH and LOW alternate, so both priorities get half the load."""
    priority = HIGH if number % 2 == 0 else LOW
    now = time.time()
    first = number * batch_size
    candidates = tuple(make_candidate(first + i, priority, now) for i in range(batch_size))
    return Batch(priority, candidates, opened_at=now)


def batch_pool(batch_size: int) -> list[Batch]:
    return [make_batch(n, batch_size) for n in range(POOL_BATCHES)]


# --- the feed: ready-made batches for the send step ------------------------------------------


@dataclass
class Window:
    """What the feed saw between its first batch and the end of its stream."""

    started: float = 0.0
    ended: float = 0.0
    offered: int = 0
    sent_at_start: dict[str, float] = field(default_factory=dict)
    sent_at_end: dict[str, float] = field(default_factory=dict)
    rss_at_start_kb: int = 0

    @property
    def seconds(self) -> float:
        return self.ended - self.started

    def delivered_per_s(self, priority: str | None = None) -> float:
        priorities = PRIORITIES if priority is None else (priority,)
        sent = sum(self.sent_at_end[p] - self.sent_at_start[p] for p in priorities)
        return sent / self.seconds


def sent_by_priority(metrics: Metrics) -> dict[str, float]:
    get = metrics.registry.get_sample_value
    return {p: get("sniffer_candidates_sent_total", {"priority": p}) or 0.0 for p in PRIORITIES}


# --- memory of this process ------------------------------------------------------------------


def rss_kb() -> dict[str, int]:
    """VmRSS and VmHWM (peak) of this process, in kB."""
    values = {"VmRSS": 0, "VmHWM": 0}
    try:
        with open("/proc/self/status") as status:
            for line in status:
                name, _, rest = line.partition(":")
                if name in values:
                    values[name] = int(rest.split()[0])
    except OSError:  # not Linux: the peak from getrusage (kB on Linux, bytes on macOS)
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        values = {"VmRSS": peak, "VmHWM": peak}
    return values


class FeedPartition(StatefulSourcePartition[tuple[str, Batch], None]):
    def __init__(self, feed: BatchFeed) -> None:
        self._feed = feed
        self._emitted = 0
        self._start = 0.0

    def next_batch(self) -> list[tuple[str, Batch]]:
        feed, window = self._feed, self._feed.window
        now = time.perf_counter()
        if self._emitted == 0 and not window.started:
            window.rss_at_start_kb = rss_kb()["VmRSS"]
            window.sent_at_start = sent_by_priority(feed.metrics)
            window.started = self._start = now
        if now - self._start >= feed.seconds:
            window.sent_at_end = sent_by_priority(feed.metrics)
            window.ended = now
            feed.shutdown.request()  # a 1 ms drain: what is left is not measured
            raise StopIteration
        count = CHUNK
        if feed.rate > 0:
            due = int((now - self._start) * feed.rate / feed.batch_size) + 1 - self._emitted
            count = max(0, min(CHUNK, due))
        batches = [(KEY, feed.batch(self._emitted + i)) for i in range(count)]
        self._emitted += count
        window.offered += count * feed.batch_size
        return batches

    def next_awake(self) -> datetime | None:
        feed = self._feed
        if feed.rate <= 0 or not self._start:
            return None
        due = self._start + self._emitted * feed.batch_size / feed.rate
        # perf_counter and the wall clock differ by a constant: convert through "now".
        return datetime.fromtimestamp(time.time() + (due - time.perf_counter()), tz=timezone.utc)

    def snapshot(self) -> None:
        return None


@dataclass(eq=False)
class BatchFeed(FixedPartitionedSource[tuple[str, Batch], None]):
    """One partition handing `(key, Batch)` tuples to the send step, CHUNK batches a call, for
    `seconds`; at `rate` candidates/s, or as fast as it can with rate 0."""

    batch: Callable[[int], Batch]
    batch_size: int
    seconds: float
    rate: float
    metrics: Metrics
    shutdown: Shutdown
    window: Window = field(default_factory=Window, init=False)

    def list_parts(self) -> list[str]:
        return ["feed"]

    def build_part(self, step_id: str, for_part: str, resume_state: None) -> FeedPartition:
        return FeedPartition(self)
