"""Small builders for the records the flow carries, for tests."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import orjson
from bytewax.inputs import FixedPartitionedSource, StatefulSourcePartition
from bytewax.operators import StatefulLogic

from domain.metrics import Metrics
from domain.models import HIGH, PUMP_FUN, Batch, Candidate, Launch
from domain.transport import SendError


def make_launch(n: int = 0, **overrides: object) -> Launch:
    fields: dict[str, object] = {
        "signature": f"sig{n}",
        "slot": 1000 + n,
        "launchpad": PUMP_FUN,
        "mint": f"mint{n}",
        "creator": f"creator{n}",
        "name": f"Token {n}",
        "symbol": f"T{n}",
        "uri": f"https://ipfs.io/ipfs/cid{n}",
        "initial_buy_sol": 1.0,
        "arrived_at": 1_800_000_000.0 + n,
        "detected_at": 1_800_000_000.0 + n,
    }
    fields.update(overrides)
    return Launch(**fields)  # type: ignore[arg-type]


def named_launch(signature: str, **overrides: object) -> Launch:
    """A launch called `signature` (its mint `mint-<signature>`), all at one time; `overrides`
    replace any field."""
    fields: dict[str, object] = {
        "signature": signature,
        "slot": 1000,
        "launchpad": PUMP_FUN,
        "mint": f"mint-{signature}",
        "creator": "creator",
        "name": "Token",
        "symbol": "TKN",
        "uri": None,
        "initial_buy_sol": 1.0,
        "arrived_at": 1_800_000_000.0,
        "detected_at": 1_800_000_000.0,
    }
    fields.update(overrides)
    return Launch(**fields)  # type: ignore[arg-type]


def make_batch(ns: range | list[int], priority: str = HIGH, score: float = 0.9) -> Batch:
    candidates = tuple(Candidate(make_launch(n), score, priority) for n in ns)
    return Batch(priority, candidates, opened_at=candidates[0].launch.arrived_at)


def make_candidate(
    n: int = 0, priority: str = HIGH, score: float = 0.9, **launch: object
) -> Candidate:
    """One candidate of `priority` around `make_launch(n, **launch)`."""
    return Candidate(make_launch(n, **launch), score, priority)


def signatures(items: Iterable[Candidate] | Batch) -> list[str]:
    """The signatures of candidates (or of a batch's candidates), in order."""
    candidates = items.candidates if isinstance(items, Batch) else items
    return [c.launch.signature for c in candidates]


class FakeClock:
    """A clock for tests: time moves only when told to. Thread-safe.

    Use the instance itself as the clock (`clock()`) and `clock.sleep` as the sleep function: a
    fake sleep records the request and moves the clock, so code that waits for a rate limit
    finishes at once.
    """

    def __init__(self, start: float = 0.0) -> None:
        self._now = start
        self._lock = threading.Lock()
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self._now += max(0.0, seconds)


class RecordingTransport:
    """A transport that keeps every batch it is handed, in the order it got them. Thread-safe."""

    def __init__(self) -> None:
        self.batches: list[Batch] = []
        self.closed = False
        self._lock = threading.Lock()

    def send(self, batch: Batch) -> None:
        with self._lock:
            self.batches.append(batch)

    def close(self) -> None:
        self.closed = True

    def sent(self, priority: str | None = None) -> list[str]:
        """Signatures delivered, in delivery order, optionally of one priority only."""
        with self._lock:
            return [
                c.launch.signature
                for b in self.batches
                if priority is None or b.priority == priority
                for c in b.candidates
            ]


class PoisonTransport(RecordingTransport):
    """Refuses (for good) every batch that holds one of `poison`; delivers the rest."""

    def __init__(self, poison: set[str]) -> None:
        super().__init__()
        self.poison = poison

    def send(self, batch: Batch) -> None:
        if self.poison & set(signatures(batch)):
            raise SendError("refused", retryable=False)
        super().send(batch)


class DeadLetters:
    """A dead-letter writer that keeps the lines; `entries()` reads them back. Thread-safe."""

    def __init__(self) -> None:
        self.lines: list[bytes] = []
        self._lock = threading.Lock()

    def __call__(self, lines: list[bytes]) -> None:
        with self._lock:
            self.lines.extend(lines)

    def entries(self) -> list[tuple[str, str]]:
        """(reason, signature) of every dead-lettered candidate, in the order written."""
        with self._lock:
            records = [orjson.loads(line) for line in self.lines]
        return [(r["reason"], r["candidate"]["signature"]) for r in records]


def metric(metrics: Metrics, name: str, **labels: str) -> float:
    """The current value of one sample of `metrics`, e.g. `metric(m, "sniffer_batches_sent_total",
    priority="HIGH")`; 0 when the series does not exist yet."""
    value = metrics.registry.get_sample_value(name, labels)
    return 0.0 if value is None else value


class _ListPartition(StatefulSourcePartition[Launch, int]):
    def __init__(self, items: list[Launch], resume_state: int | None, batch_size: int) -> None:
        self._items = items
        self._position = resume_state or 0
        self._batch_size = batch_size

    def next_batch(self) -> list[Launch]:
        if self._position >= len(self._items):
            raise StopIteration
        batch = self._items[self._position : self._position + self._batch_size]
        self._position += len(batch)
        return batch

    def snapshot(self) -> int:
        return self._position


class PartitionedSource(FixedPartitionedSource[Launch, int]):
    """One resumable source partition per list of launches, as side-by-side feeds would be."""

    def __init__(self, partitions: dict[str, list[Launch]], batch_size: int = 5) -> None:
        self._partitions = partitions
        self._batch_size = batch_size

    def list_parts(self) -> list[str]:
        return list(self._partitions)

    def build_part(self, step_id: str, for_part: str, resume_state: int | None) -> _ListPartition:
        return _ListPartition(self._partitions[for_part], resume_state, self._batch_size)


Out = TypeVar("Out")


def feed_each(logic: StatefulLogic[Any, Out, Any], items: Iterable[Any]) -> list[Out]:
    """Hand `items` to a stateful logic one by one (it must never ask to be discarded); return
    everything it emitted, in order."""
    out: list[Out] = []
    for item in items:
        emitted, discard = logic.on_item(item)
        assert discard is False
        out.extend(emitted)
    return out


class SlowTransport(RecordingTransport):
    """Takes `seconds` of fake time to acknowledge each batch."""

    def __init__(self, clock: FakeClock, seconds: float) -> None:
        super().__init__()
        self.clock = clock
        self.seconds = seconds

    def send(self, batch: Batch) -> None:
        self.clock.advance(self.seconds)
        super().send(batch)


class Signalling:
    """Wraps a counter so that a test can wait for its next `inc` instead of sleeping."""

    def __init__(self, inner: Any, event: threading.Event) -> None:
        self._inner = inner
        self._event = event

    def inc(self, amount: float = 1) -> None:
        self._inner.inc(amount)
        self._event.set()


def send_from_two_threads(
    send: Callable[[Batch], None], count: int, size: int, low_first: int
) -> None:
    """Send `count` HIGH candidates from one thread and `count` LOW ones (numbered from
    `low_first`) from another, `size` per batch; fails if either thread raised or hung."""
    errors: list[BaseException] = []

    def send_all(priority: str, first: int) -> None:
        try:
            for start in range(first, first + count, size):
                send(make_batch(range(start, start + size), priority=priority))
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    run_threads(send_all, [("HIGH", 0), ("LOW", low_first)])
    assert not errors


def run_threads(target: Callable[..., object], args: Iterable[tuple[Any, ...]]) -> None:
    """Run `target` in one thread per argument tuple, all side by side, and wait for them all;
    fails if one is still running after a minute."""
    threads = [threading.Thread(target=target, args=a) for a in args]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
