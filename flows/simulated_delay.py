"""A stand-in for a slow downstream consumer: `sink_delay_ms` of latency per batch, for load
experiments and the backpressure tests. Wraps any transport; the job applies it in
`flows.endpoints`, which is why it lives with the wiring rather than among the connectors."""

from __future__ import annotations

import time
from collections.abc import Callable

from domain.models import Batch
from domain.transport import OpenableTransport


class DelayedTransport:
    def __init__(
        self,
        inner: OpenableTransport,
        delay_s: float,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._inner = inner
        self._delay_s = delay_s
        self._sleep = sleep

    def open(self) -> None:
        self._inner.open()

    def send(self, batch: Batch) -> None:
        self._sleep(self._delay_s)
        self._inner.send(batch)

    def close(self) -> None:
        self._inner.close()
