"""Which connector serves the configured `source` and `sink`."""

from __future__ import annotations

from collections.abc import Callable

from bytewax.inputs import Source

from connectors.line_sinks import JsonlFileTransport, NullTransport, StdoutTransport
from connectors.replay import ReplaySource
from connectors.synthetic import SyntheticSource
from domain.config import SnifferConfig
from domain.models import RawFrame
from domain.transport import Transport


class NotAvailableYet(Exception):
    """The configuration names a connector this build does not have."""


def make_source(config: SnifferConfig) -> Source[RawFrame]:
    if config.source == "synthetic":
        return SyntheticSource(
            rate=config.synthetic_rate,
            launch_ratio=config.synthetic_launch_ratio,
            total=config.synthetic_total,
            seed=config.synthetic_seed,
            partitions=config.synthetic_partitions,
        )
    if config.source == "replay":
        assert config.replay_path is not None  # the config's own validation guarantees it
        return ReplaySource(config.replay_path, config.replay_rate)
    raise NotAvailableYet(f"source={config.source} is not available in this build")


def make_transport_factory(config: SnifferConfig) -> Callable[[int], Transport]:
    """A function from worker index to that worker's transport."""
    if config.sink == "stdout":
        shared_stdout = StdoutTransport()
        return lambda worker: shared_stdout
    if config.sink == "jsonl":
        assert config.sink_path is not None
        shared_file = JsonlFileTransport(config.sink_path)
        return lambda worker: shared_file
    if config.sink == "null":
        return lambda worker: NullTransport()
    raise NotAvailableYet(f"sink={config.sink} is not available in this build")
