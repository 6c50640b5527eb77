"""The ``solana_ws`` source as Bytewax sees it: one partition that owns the client's thread."""

from __future__ import annotations

import asyncio
import contextlib
import random
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta, timezone

from bytewax.inputs import FixedPartitionedSource, StatefulSourcePartition
from pydantic import SecretStr

from connectors._support.url_secrets import redact_url
from connectors.solana_ws.client import _Client, _FrameQueue
from connectors.solana_ws.protocol import (
    DEFAULT_IDLE_WAIT_S,
    MAX_BATCH,
    PARTITION,
    SolanaWsError,
    SolanaWsSettings,
    log,
)
from domain.metrics import Metrics
from domain.models import RawFrame


class SolanaWsPartition(StatefulSourcePartition[RawFrame, None]):
    """The one partition: owns the client thread and the queue. Its snapshot is None (a
    websocket cannot replay what it missed, so there is no position to resume from)."""

    def __init__(
        self,
        settings: SolanaWsSettings,
        metrics: Metrics,
        clock: Callable[[], float] = time.time,
        idle_wait_s: float = DEFAULT_IDLE_WAIT_S,
        rng: random.Random | None = None,
    ) -> None:
        self._queue = _FrameQueue(settings.queue_capacity, metrics)
        self._client = _Client(settings, metrics, clock, self._queue, rng)
        self._idle_wait = timedelta(seconds=idle_wait_s)
        self._guard = threading.Lock()
        self._stopping = False
        self._closed = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._thread = threading.Thread(target=self._thread_main, name=PARTITION, daemon=True)

    def start(self) -> None:
        """Start the client's thread (it connects and subscribes). `SolanaWsSource.build_part`
        calls it: Bytewax builds a partition to read from it at once."""
        if not self._thread.is_alive() and not self._stopping:
            self._thread.start()

    # -- what tests and operators may look at --------------------------------------------------

    @property
    def subscriptions(self) -> Mapping[int, tuple[str, ...]]:
        """Subscription id -> programs, as acknowledged on the current connection."""
        return dict(self._client.subscriptions)

    @property
    def connected(self) -> bool:
        return self._client.connected

    @property
    def connections(self) -> int:
        """Connections opened so far (the first one plus every reconnect)."""
        return self._client.connections

    @property
    def received(self) -> int:
        """Frames handed to the queue so far (replies to our requests excluded)."""
        return self._client.received

    @property
    def dropped(self) -> int:
        return self._queue.dropped

    @property
    def queue_depth(self) -> int:
        return len(self._queue)

    @property
    def fatal(self) -> str | None:
        return self._client.fatal

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    # -- Bytewax ------------------------------------------------------------------------------

    def next_batch(self) -> list[RawFrame]:
        batch = self._queue.take(MAX_BATCH)
        if not batch and self._client.fatal is not None:
            raise SolanaWsError(self._client.fatal)
        return batch

    def next_awake(self) -> datetime | None:
        if len(self._queue) or self._client.fatal is not None:
            return None
        return datetime.now(timezone.utc) + self._idle_wait

    def snapshot(self) -> None:
        return None

    def close(self, timeout_s: float = 5.0) -> None:
        """Stop the client and its connection (a close frame, at most ``close_timeout_s``),
        and wait for the thread."""
        with self._guard:
            self._stopping = True
            loop, task = self._loop, self._task
            if loop is not None and task is not None:
                with contextlib.suppress(RuntimeError):  # the loop has already finished
                    loop.call_soon_threadsafe(task.cancel)
        if self._thread.is_alive():
            self._thread.join(timeout_s)
        if not self._closed:
            self._closed = True
            left = self._queue.discard()
            if left:
                log.info("solana_ws: closed with %d frames the dataflow did not take", left)

    def _thread_main(self) -> None:
        loop = asyncio.new_event_loop()
        try:
            with self._guard:
                if self._stopping:
                    return
                self._loop = loop
                self._task = loop.create_task(self._client.run())
            loop.run_until_complete(self._task)
        except asyncio.CancelledError:
            pass
        except BaseException as exc:  # pragma: no cover - run() catches everything it expects
            self._client.fatal = f"solana_ws: the client thread died: {type(exc).__name__}"
            log.error("solana_ws: the client thread died: %s", type(exc).__name__)
        finally:
            try:
                loop.run_until_complete(loop.shutdown_asyncgens())
            finally:
                loop.close()


class SolanaWsSource(FixedPartitionedSource[RawFrame, None]):
    """Live frames from a Solana RPC websocket; one partition, ``solana_ws-0``.

    No resume state: a websocket cannot replay what it missed, so the snapshot is None and a
    resumed job simply subscribes again. Delivery is at most once across reconnects (a reconnect
    is a gap, measured in the ``source_gap_*`` metrics); duplicates of the reconnect overlap are
    removed downstream by dedup. See the module documentation for the whole behaviour.

    :arg url: the ``ws://`` / ``wss://`` endpoint (may carry an API key; never logged whole).
    :arg programs: program ids: one ``logsSubscribe`` each, or one ``transactionSubscribe``.
    :arg metrics: where ``source_*{source="solana_ws"}`` are counted.
    :arg clock: stamps `RawFrame.arrived_at`.
    :arg idle_wait_s: how long the worker sleeps before polling an empty queue again.
    """

    def __init__(
        self,
        url: str | SecretStr,
        programs: Sequence[str],
        metrics: Metrics,
        *,
        commitment: str = "processed",
        transaction_subscribe: bool = False,
        ping_interval_s: float = 30.0,
        silence_timeout_s: float = 60.0,
        max_frame_bytes: int = 64 * 1024 * 1024,
        reconnect_initial_s: float = 0.5,
        reconnect_max_s: float = 30.0,
        queue_capacity: int = 10_000,
        clock: Callable[[], float] = time.time,
        idle_wait_s: float = DEFAULT_IDLE_WAIT_S,
        open_timeout_s: float = 10.0,
        close_timeout_s: float = 1.0,
    ) -> None:
        if isinstance(url, SecretStr):
            url = url.get_secret_value()
        self.settings = SolanaWsSettings(
            url=url,
            programs=tuple(programs),
            commitment=commitment,
            transaction_subscribe=transaction_subscribe,
            ping_interval_s=ping_interval_s,
            silence_timeout_s=silence_timeout_s,
            max_frame_bytes=max_frame_bytes,
            reconnect_initial_s=reconnect_initial_s,
            reconnect_max_s=max(reconnect_max_s, reconnect_initial_s),
            queue_capacity=queue_capacity,
            open_timeout_s=open_timeout_s,
            close_timeout_s=close_timeout_s,
        )
        self.metrics = metrics
        self.clock = clock
        self.idle_wait_s = idle_wait_s
        #: Every partition this source built (one per run), for inspection.
        self.partitions: list[SolanaWsPartition] = []

    @classmethod
    def from_settings(
        cls,
        settings: SolanaWsSettings,
        metrics: Metrics,
        clock: Callable[[], float] = time.time,
    ) -> SolanaWsSource:
        """The source `settings` describe (the configuration's ``ws_*`` fields)."""
        source = cls(settings.url, settings.programs, metrics, clock=clock)
        source.settings = settings
        return source

    def __repr__(self) -> str:
        return f"SolanaWsSource({redact_url(self.settings.url)!r})"

    def list_parts(self) -> list[str]:
        return [PARTITION]

    def build_part(self, step_id: str, for_part: str, resume_state: None) -> SolanaWsPartition:
        if for_part != PARTITION:
            raise ValueError(f"{for_part!r} is not a partition of this source")
        part = SolanaWsPartition(self.settings, self.metrics, self.clock, self.idle_wait_s)
        self.partitions.append(part)
        part.start()
        return part
