"""One run of the delivery benchmark: the real send step under Bytewax fed by `BatchFeed` into a
consumer of a chosen delay, the plain-loop baseline doing the same work without Bytewax, and the
whole job with detection at full speed."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import bytewax.operators as op
from bytewax.dataflow import Dataflow
from bytewax.testing import run_main
from prometheus_client import CollectorRegistry

from benchmarks.delivery_feed import CHUNK, BatchFeed, batch_pool, sent_by_priority
from connectors.line_sinks import NullTransport
from domain.config import SnifferConfig, load_config
from domain.metrics import Metrics, conservation_problems
from domain.models import PRIORITIES, Batch
from domain.shutdown import Shutdown
from domain.transport import Transport
from flows.endpoints import make_transport
from flows.pipeline import build_flow
from flows.settings import delivery_settings
from flows.simulated_delay import DelayedTransport
from operators.batch_sender import BatchSender
from operators.delivery import deliver
from operators.stream_buffer import StreamBuffers

OVERLOAD = 10
CONSUMER_DELAY_S = 0.020


def delivery_config(mode: str, policy: str = "drop_newest") -> SnifferConfig:
    """The defaults, but `mode` and `policy`, and a 1 ms drain once the window is over."""
    return load_config(
        {
            "SNIFFER_BATCH_SEND_MODE": mode,
            "SNIFFER_DROP_POLICY": policy,
            "SNIFFER_GRACEFUL_SHUTDOWN_TIMEOUT_MS": "1",
        }
    )


def consumer(delay_s: float) -> Transport:
    return DelayedTransport(NullTransport(), delay_s) if delay_s > 0 else NullTransport()


@dataclass
class Run:
    mode: str
    policy: str
    delay_ms: float
    seconds: float
    offered_per_s: float
    delivered_per_s: float
    delivered_per_s_by_priority: dict[str, float]
    dropped_full_buffer: int
    backpressure_events: int
    dropped_shutdown: int
    conservation_problems: list[str]
    rss_at_start_kb: int = 0


def run_delivery(
    mode: str,
    delay_s: float,
    seconds: float,
    *,
    policy: str = "drop_newest",
    rate: float = 0.0,
    batch: Callable[[int], Batch] | None = None,
) -> Run:
    """The send step alone, fed for `seconds`, into a consumer of `delay_s` per batch."""
    config = delivery_config(mode, policy)
    metrics = Metrics(CollectorRegistry(), capacity=config.stream_buffer_capacity)
    shutdown = Shutdown()
    if batch is None:
        pool = batch_pool(config.batch_size)
        batch = lambda n: pool[n % len(pool)]  # noqa: E731
    feed = BatchFeed(batch, config.batch_size, seconds, rate, metrics, shutdown)
    flow = Dataflow("delivery_benchmark")
    batches = op.input("batches", flow, feed)
    deliver("deliver", batches, delivery_settings(config), metrics, consumer(delay_s), shutdown)
    run_main(flow)
    window, snap = feed.window, metrics.snapshot()
    return Run(
        mode=mode,
        policy=policy,
        delay_ms=delay_s * 1e3,
        seconds=round(window.seconds, 3),
        offered_per_s=window.offered / window.seconds,
        delivered_per_s=window.delivered_per_s(),
        delivered_per_s_by_priority={p: window.delivered_per_s(p) for p in PRIORITIES},
        dropped_full_buffer=int(snap["dropped_full_buffer"]),
        backpressure_events=int(snap["backpressure_events"]),
        dropped_shutdown=int(snap["dropped_shutdown"]),
        conservation_problems=conservation_problems(snap),
        rss_at_start_kb=window.rss_at_start_kb,
    )


def baseline(seconds: float) -> float:
    """Candidates/s of a plain loop doing the send path's work without Bytewax: the same ready-
    made batches, CHUNK at a time, into `StreamBuffers`, then every batch out through
    `BatchSender` (staleness, retries, counting) into the null transport."""
    config = load_config({})
    metrics = Metrics(CollectorRegistry(), capacity=config.stream_buffer_capacity)
    buffers = StreamBuffers(config.stream_buffer_capacity, config.drop_policy, metrics)
    sender = BatchSender(
        NullTransport(),
        metrics,
        max_retries=config.send_max_retries,
        retry_delay_s=config.send_retry_delay_us / 1e6,
    )
    settle = {p: (lambda cs, p=p: buffers.settle(p, cs)) for p in PRIORITIES}
    pool = batch_pool(config.batch_size)
    moved, n = 0, 0
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        for _ in range(CHUNK):
            for candidate in pool[n % len(pool)].candidates:
                buffers.put(candidate)
            n += 1
        while (priority := buffers.next_priority()) is not None:
            taken = buffers.take(priority, config.batch_size)
            sender.send(priority, taken, settle[priority])
            moved += len(taken)
    return moved / (time.perf_counter() - started)


def run_pipeline(total: int) -> dict[str, Any]:
    """The whole job in async mode, every frame a launch, detection as fast as it can go (the
    worker saturates a core), into a 20 ms consumer: candidates delivered per second per priority
    while the input lasts."""
    config = load_config(
        {
            "SNIFFER_SYNTHETIC_RATE": "0",
            "SNIFFER_SYNTHETIC_LAUNCH_RATIO": "1.0",
            "SNIFFER_SYNTHETIC_TOTAL": str(total),
            "SNIFFER_SINK": "null",
            "SNIFFER_SINK_DELAY_MS": str(CONSUMER_DELAY_S * 1e3),
            "SNIFFER_BATCH_SEND_MODE": "async",
            "SNIFFER_GRACEFUL_SHUTDOWN_TIMEOUT_MS": "1",
        }
    )
    metrics = Metrics(CollectorRegistry(), capacity=config.stream_buffer_capacity)
    shutdown = Shutdown()
    marks: list[tuple[float, float, dict[str, float]]] = []

    def watch() -> None:
        while True:
            seen = metrics.snapshot()["tx_seen"]
            if seen:
                marks.append((time.perf_counter(), seen, sent_by_priority(metrics)))
            if seen >= total:
                shutdown.request()  # the input is over: cut the drain (not measured)
                return
            time.sleep(0.02)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    run_main(build_flow(config, metrics, transport=make_transport(config), shutdown=shutdown))
    watcher.join()
    (t0, _, sent0), (t1, _, sent1) = marks[0], marks[-1]
    per_priority = {p: (sent1[p] - sent0[p]) / (t1 - t0) for p in PRIORITIES}
    ideal = config.batch_size / CONSUMER_DELAY_S
    return {
        "frames": total,
        "seconds": round(t1 - t0, 3),
        "frames_per_s": total / (t1 - t0),
        "delivered_per_s_by_priority": per_priority,
        "ideal_per_s_per_priority": ideal,
        "share_of_ideal": {p: per_priority[p] / ideal for p in PRIORITIES},
        "conservation_problems": conservation_problems(metrics.snapshot()),
    }


def ideal_per_s(mode: str, delay_s: float, batch_size: int) -> float | None:
    """What the consumer can take: one batch per delay per sender (sync: one, async: two)."""
    if delay_s <= 0:
        return None
    return batch_size / delay_s * (2 if mode == "async" else 1)
