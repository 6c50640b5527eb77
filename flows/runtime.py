"""Process lifecycle of the job: configuration or exit 2, logging to stderr, the exit snapshot.

Bytewax imports the flow module in the main thread before the run starts, so this is the place to
refuse a bad configuration (before any worker exists) and to arrange for the final snapshot.
"""

from __future__ import annotations

import atexit
import logging
import sys

import orjson

from domain.config import ConfigError, SnifferConfig, load_config
from domain.metrics import Metrics

log = logging.getLogger("sniffer")


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


def print_snapshot_at_exit(metrics: Metrics) -> None:
    """The contract's JSON snapshot as the last line on stderr when the process exits."""

    def _print() -> None:
        sys.stdout.flush()
        sys.stderr.write(orjson.dumps(metrics.snapshot()).decode() + "\n")
        sys.stderr.flush()

    atexit.register(_print)


def start_process() -> tuple[SnifferConfig, Metrics]:
    config = load_config_or_exit()
    setup_logging(config.log_level)
    metrics = Metrics(capacity=config.stream_buffer_capacity)
    print_snapshot_at_exit(metrics)
    log.info(
        "starting: source=%s sink=%s batch_size=%d batch_timeout_ms=%d",
        config.source,
        config.sink,
        config.batch_size,
        config.batch_timeout_ms,
    )
    return config, metrics
