"""The bounded queue between the gRPC thread (put) and the Bytewax worker (take).

Full: the OLDEST frame goes (a fresher transaction is worth more to a sniper), counted in
``source_dropped``; ``source_queue_depth`` follows the queue. What is still queued when the
partition closes is counted as dropped too.
"""

from __future__ import annotations

import threading
import time
from collections import deque

from connectors.yellowstone.settings import SOURCE, log
from domain.metrics import Metrics
from domain.models import RawFrame

#: At most one "queue full" warning this often (the first drop always warns).
_WARN_EVERY_S = 10.0


class HandOver:
    def __init__(self, capacity: int, metrics: Metrics) -> None:
        self.capacity = capacity
        self._frames: deque[RawFrame] = deque()
        self._lock = threading.Lock()
        self._depth = metrics.source_queue_depth.labels(SOURCE)
        self._dropped_metric = metrics.source_dropped.labels(SOURCE)
        self._depth.set(0)
        self._warned_at = 0.0
        self.dropped = 0

    def put(self, frame: RawFrame) -> None:
        with self._lock:
            overflow = len(self._frames) >= self.capacity
            if overflow:
                self._frames.popleft()
                self.dropped += 1
            self._frames.append(frame)
            self._depth.set(len(self._frames))
            dropped = self.dropped
        if overflow:
            self._dropped_metric.inc()
            now = time.monotonic()
            if dropped == 1 or now - self._warned_at >= _WARN_EVERY_S:
                self._warned_at = now
                log.warning(
                    "yellowstone: the dataflow does not keep up: queue full (%d frames), "
                    "dropping the oldest; %d dropped so far",
                    self.capacity,
                    dropped,
                )

    def take(self, limit: int) -> list[RawFrame]:
        with self._lock:
            frames = self._frames
            if len(frames) <= limit:
                batch = list(frames)
                frames.clear()
            else:
                batch = [frames.popleft() for _ in range(limit)]
            self._depth.set(len(frames))
        return batch

    def discard(self) -> int:
        with self._lock:
            left = len(self._frames)
            self._frames.clear()
            self.dropped += left
            self._depth.set(0)
        if left:
            self._dropped_metric.inc(left)
        return left

    def __len__(self) -> int:
        return len(self._frames)
