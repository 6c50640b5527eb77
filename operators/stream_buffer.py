"""The stream buffers: one bounded FIFO of candidates per priority, with the drop policy.

This is what bounds memory when the consumer is slower than the launches: inside an epoch Bytewax's
queues between steps are unbounded, so the send step takes every candidate off them at once and
keeps it here, where `stream_buffer_capacity` holds.

- `drop_newest`: a candidate that finds its buffer full is dropped.
- `drop_oldest`: the oldest waiting candidate is dropped to make room.
- `block`: `put` refuses with `FULL`; the caller makes room (sends, or waits for a sender).

Every candidate that finds its buffer full counts one `backpressure_events`; every dropped one
counts in `dropped_full_buffer{priority}` (and goes to the dead-letter file when one is set).

A candidate taken for sending stays counted in the buffer depth (as "in flight") until the send
is over, so the second conservation law holds at every instant, and a recovery snapshot taken
mid-send still holds it (at-least-once).

The buffers are shared between the dataflow's worker thread and, in async mode, the sender
threads: every method takes `self.lock`, a `threading.Condition` that senders and a blocked
producer wait on.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterable
from enum import Enum
from typing import Literal

from domain.metrics import Metrics
from domain.models import HIGH, LOW, PRIORITIES, Candidate, DeadLetterWriter

DropPolicy = Literal["drop_oldest", "drop_newest", "block"]


class Put(Enum):
    ACCEPTED = "accepted"
    #: The arriving candidate was dropped (drop_newest).
    DROPPED_NEWEST = "dropped_newest"
    #: The arriving candidate was accepted; the oldest waiting one was dropped (drop_oldest).
    DROPPED_OLDEST = "dropped_oldest"
    #: Full and the policy is `block`: nothing changed; make room and try again.
    FULL = "full"


class StreamBuffers:
    """A HIGH and a LOW buffer of `capacity` candidates each, under one lock."""

    def __init__(
        self,
        capacity: int,
        policy: DropPolicy,
        metrics: Metrics,
        dead_letter: DeadLetterWriter | None = None,
        contents: Iterable[Candidate] = (),
    ) -> None:
        self.capacity = capacity
        self.policy = policy
        self.lock = threading.Condition()
        self._waiting: dict[str, deque[Candidate]] = {p: deque() for p in PRIORITIES}
        # Taken by a sender and not yet settled, oldest first (one sender per priority at a time).
        self._in_flight: dict[str, deque[Candidate]] = {p: deque() for p in PRIORITIES}
        self.metrics = metrics
        self._dead_letter = dead_letter
        self._depth_gauges = {p: metrics.stream_buffer_depth.labels(p) for p in PRIORITIES}
        self._dropped = {p: metrics.dropped_full_buffer.labels(p) for p in PRIORITIES}
        for candidate in contents:
            # Resumed contents were accepted before the crash: they are restored as they were,
            # even if the capacity has since been lowered.
            self._waiting[candidate.priority].append(candidate)
        for priority in PRIORITIES:
            self._update_depth(priority)

    # --- producer side ---------------------------------------------------------------------

    def put(self, candidate: Candidate) -> Put:
        priority = candidate.priority
        with self.lock:
            waiting = self._waiting[priority]
            if len(waiting) + len(self._in_flight[priority]) < self.capacity:
                waiting.append(candidate)
                self._update_depth(priority)
                self.lock.notify_all()
                return Put.ACCEPTED
            self.metrics.backpressure_events.inc()
            if self.policy == "block":
                return Put.FULL
            if self.policy == "drop_newest" or not waiting:
                # drop_oldest with everything in flight has nothing it may drop: the newest goes.
                self._drop(priority, candidate)
                return Put.DROPPED_NEWEST
            self._drop(priority, waiting.popleft())
            waiting.append(candidate)
            self.lock.notify_all()
            return Put.DROPPED_OLDEST

    def put_when_room(
        self, candidate: Candidate, give_up: Callable[[], bool] = lambda: False
    ) -> bool:
        """Block-policy put for the async mode: wait until a sender has made room.

        Counts one backpressure event per candidate, however long it waits. Returns False,
        having changed nothing, if `give_up()` turns true while waiting (the shutdown deadline
        passed).
        """
        if self.put(candidate) is not Put.FULL:
            return True
        return self.place_when_room(candidate, give_up)

    def place_when_room(
        self, candidate: Candidate, give_up: Callable[[], bool] = lambda: False
    ) -> bool:
        """`put` refused this candidate (block): wait until a sender has made room and place it,
        counting no second backpressure event. False, having changed nothing, if `give_up()`
        turns true while waiting."""
        priority = candidate.priority
        with self.lock:
            while len(self._waiting[priority]) + len(self._in_flight[priority]) >= self.capacity:
                if give_up():
                    return False
                self.lock.wait(timeout=0.05)
            self._waiting[priority].append(candidate)
            self._update_depth(priority)
            self.lock.notify_all()
            return True

    # --- sender side -----------------------------------------------------------------------

    def next_priority(self) -> str | None:
        """HIGH when HIGH candidates wait, else LOW when LOW ones do, else None."""
        with self.lock:
            if self._waiting[HIGH]:
                return HIGH
            if self._waiting[LOW]:
                return LOW
            return None

    def waiting(self, priority: str) -> int:
        with self.lock:
            return len(self._waiting[priority])

    def take(self, priority: str, max_items: int) -> list[Candidate]:
        """Up to `max_items` oldest waiting candidates, now in flight until `settle`."""
        with self.lock:
            waiting = self._waiting[priority]
            taken = [waiting.popleft() for _ in range(min(max_items, len(waiting)))]
            self._in_flight[priority].extend(taken)
            return taken

    def settle(self, priority: str, candidates: list[Candidate]) -> None:
        """These in-flight candidates are settled (sent, failed or stale)."""
        with self.lock:
            in_flight = self._in_flight[priority]
            for candidate in candidates:
                in_flight.remove(candidate)
            self._update_depth(priority)
            self.lock.notify_all()

    # --- both ------------------------------------------------------------------------------

    def depth(self) -> int:
        """Candidates held, waiting or in flight, over both priorities."""
        with self.lock:
            return sum(len(w) + len(self._in_flight[p]) for p, w in self._waiting.items())

    def is_empty(self) -> bool:
        return self.depth() == 0

    def contents(self) -> tuple[Candidate, ...]:
        """Everything held, in flight first, then waiting, oldest first per priority: the
        recovery snapshot. A candidate in flight when the process dies is sent again after the
        restart (at-least-once)."""
        with self.lock:
            return tuple(c for p in PRIORITIES for c in (*self._in_flight[p], *self._waiting[p]))

    def drain_all(self) -> list[Candidate]:
        """Take everything still waiting out of the buffers (the shutdown deadline passed)."""
        with self.lock:
            left = list(self._waiting[HIGH]) + list(self._waiting[LOW])
            for priority in PRIORITIES:
                self._waiting[priority].clear()
                self._update_depth(priority)
            self.lock.notify_all()
            return left

    def _drop(self, priority: str, candidate: Candidate) -> None:
        self._dropped[priority].inc()
        if self._dead_letter is not None:
            self._dead_letter([candidate.dead_letter_line("dropped_full_buffer")])

    def _update_depth(self, priority: str) -> None:
        held = len(self._waiting[priority]) + len(self._in_flight[priority])
        self._depth_gauges[priority].set(held)
