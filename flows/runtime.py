"""Process lifecycle of the job: configuration or exit 2, logging to stderr, starting and closing
the observability pieces (endpoint, status line, snapshot file), graceful shutdown on
SIGINT/SIGTERM, and the exit snapshot.

Bytewax imports the flow module in the main thread before the run starts, so this is the place to
refuse a bad configuration (before any worker exists), to install signal handlers (Python runs
them in the main thread, which Bytewax's run loop hands back to at every signal check), and to
arrange for the final snapshot.
"""

from __future__ import annotations

import argparse
import atexit
import logging
import os
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType

from domain.config import ConfigError, SnifferConfig, load_config
from domain.metrics import Metrics
from domain.shutdown import Shutdown
from flows.endpoints import check_extras
from observability import MetricsEndpoint, SnapshotFile, StatusLine, snapshot_json
from observability.periodic import Periodic

log = logging.getLogger("sniffer")


@dataclass
class Process:
    """What the job's process holds besides the dataflow."""

    config: SnifferConfig
    metrics: Metrics
    shutdown: Shutdown
    process_id: int


def load_config_or_exit() -> SnifferConfig:
    """The configuration, or one line per problem on stderr and exit code 2. No traceback."""
    try:
        return load_config()
    except ConfigError as exc:
        for problem in exc.problems:
            print(f"sniffer: configuration error: {problem}", file=sys.stderr)
        sys.stderr.flush()
        raise SystemExit(2) from None


def setup_logging(level: str) -> None:
    """Logs go to stderr, never stdout: stdout belongs to the stdout sink's candidates."""
    logging.basicConfig(
        stream=sys.stderr,
        level=level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # httpx logs every request at INFO: one line per webhook batch would drown the status line.
    logging.getLogger("httpx").setLevel(logging.WARNING)


def process_id(argv: list[str] | None = None) -> int:
    """This process's index in a cluster (`-i`/`--process-id` of `bytewax.run`, or its
    environment variables), 0 when it runs alone."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("-i", "--process-id", type=int, default=None)
    known, _ = parser.parse_known_args(sys.argv[1:] if argv is None else argv)
    if known.process_id is not None:
        return int(known.process_id)
    if "BYTEWAX_PROCESS_ID" in os.environ:
        return int(os.environ["BYTEWAX_PROCESS_ID"])
    pod, statefulset = (
        os.environ.get("BYTEWAX_POD_NAME"),
        os.environ.get("BYTEWAX_STATEFULSET_NAME"),
    )
    if pod and statefulset and pod.startswith(statefulset + "-"):
        return int(pod[len(statefulset) + 1 :])
    return 0


def install_signal_handlers(shutdown: Shutdown, timeout_ms: int, on_second: object) -> None:
    """First SIGINT/SIGTERM: graceful shutdown. Second: stop at once."""

    def handle(signum: int, frame: FrameType | None) -> None:
        if not shutdown.requested:
            shutdown.request()
            log.warning(
                "%s: stopping input, draining for up to %d ms (again to stop at once)",
                signal.Signals(signum).name,
                timeout_ms,
            )
            return
        log.warning("%s again: stopping at once", signal.Signals(signum).name)
        if callable(on_second):
            on_second()
        os._exit(130)

    signal.signal(signal.SIGINT, handle)
    signal.signal(signal.SIGTERM, handle)


def start_observability(config: SnifferConfig, metrics: Metrics, pid: int) -> Callable[[], None]:
    """Start what the configuration asks for (the endpoint on metrics_port + pid, 0 = off; the
    status line; the snapshot file) and return what closes them and prints the exit snapshot."""
    endpoint = None
    if config.metrics_port:
        endpoint = MetricsEndpoint(metrics, config.metrics_host, config.metrics_port + pid)
        try:
            endpoint.start()
        except OSError as exc:
            print(
                f"sniffer: cannot serve metrics on {endpoint.host}:{endpoint.port}: {exc.strerror}"
                " (set SNIFFER_METRICS_PORT to another port, or 0 to turn the endpoint off)",
                file=sys.stderr,
            )
            raise SystemExit(2) from None
    periodic: list[Periodic] = []
    if config.status_interval_s > 0:
        periodic.append(
            StatusLine(metrics, config.status_interval_s, config.stream_buffer_capacity)
        )
    if config.snapshot_path is not None:
        periodic.append(SnapshotFile(metrics, config.snapshot_path, config.snapshot_interval_s))
    for task in periodic:
        task.start()

    def finish() -> None:
        for task in periodic:
            task.close()  # the snapshot file's last write happens here
        if endpoint is not None:
            endpoint.close()
        sys.stdout.flush()
        # The contract: the snapshot is the last line on stderr.
        sys.stderr.write(snapshot_json(metrics).decode() + "\n")
        sys.stderr.flush()

    return finish


def start_process() -> Process:
    config = load_config_or_exit()
    # A missing optional dependency is a configuration problem too: one line, exit 2, before
    # anything starts.
    check_extras(config)
    setup_logging(config.log_level)
    pid = process_id()
    metrics = Metrics(capacity=config.stream_buffer_capacity)
    shutdown = Shutdown()
    finish = start_observability(config, metrics, pid)

    atexit.register(finish)
    install_signal_handlers(shutdown, config.graceful_shutdown_timeout_ms, on_second=finish)
    log.info(
        "starting: process %d, source=%s sink=%s mode=%s policy=%s batch_size=%d",
        pid,
        ",".join(config.source),
        config.sink,
        config.batch_send_mode,
        config.drop_policy,
        config.batch_size,
    )
    return Process(config, metrics, shutdown, pid)
