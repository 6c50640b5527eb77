"""Which connector serves the configured `source` and `sink`: the factory of the job's ends.

Each connector's module is imported inside its branch, so the job loads only the client
libraries its configuration names. A connector whose optional dependency is not installed stops
the job with exit code 2 and one line that says which extra to install. The values each
connector takes come from `flows.settings`.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from bytewax.inputs import FixedPartitionedSource

from domain.config import SnifferConfig
from domain.metrics import Metrics
from domain.models import RawFrame
from domain.transport import OpenableTransport
from flows import settings

#: The extra (``pip install 'premint-sniffer[extra]'``) and the top-level module it installs,
#: per connector family.
EXTRAS = {
    "redis": ("redis", "redis"),
    "kafka": ("kafka", "confluent_kafka"),
    "webhook": ("webhook", "httpx"),
    "solana_ws": ("ws", "websockets"),
    "yellowstone": ("grpc", "grpc"),
}
#: The PyPI name of each extra's module, for the message.
_DISTRIBUTIONS = {
    "redis": "redis",
    "confluent_kafka": "confluent-kafka",
    "httpx": "httpx",
    "websockets": "websockets",
    "grpc": "grpcio",
}


@contextmanager
def _needs_extra(role: str, name: str) -> Iterator[None]:
    """Turn the missing optional dependency of connector `name` into exit 2 and one line."""
    extra, module = EXTRAS[name]
    try:
        yield
    except ImportError as exc:
        missing = getattr(exc, "name", None) or ""
        if missing.split(".")[0] != module:
            raise
        print(
            f"sniffer: {role}={name} needs the optional dependency {_DISTRIBUTIONS[module]}: "
            f"pip install 'premint-sniffer[{extra}]'",
            file=sys.stderr,
        )
        sys.stderr.flush()
        raise SystemExit(2) from None


def check_extras(config: SnifferConfig) -> None:
    """Exit 2 with one line now if the configured source's or sink's optional dependency is
    missing (the runtime may call this right after loading the configuration, before it starts
    anything); `make_source` and `make_transport` check the same on their own."""
    for role, name in (*(("source", s) for s in config.source), ("sink", config.sink)):
        if name in EXTRAS:
            with _needs_extra(role, name):
                importlib.import_module(EXTRAS[name][1])


def make_source(config: SnifferConfig, metrics: Metrics) -> FixedPartitionedSource[RawFrame, Any]:
    """The configured source; several side by side become one `MergedSource`."""
    if len(config.source) == 1:
        return _one_source(config.source[0], config, metrics)
    from connectors.merged import MergedSource

    return MergedSource({name: _one_source(name, config, metrics) for name in config.source})


def _one_source(
    name: str, config: SnifferConfig, metrics: Metrics
) -> FixedPartitionedSource[RawFrame, Any]:
    if name == "synthetic":
        from fakechain import SyntheticSource

        return SyntheticSource(
            rate=config.synthetic_rate,
            launch_ratio=config.synthetic_launch_ratio,
            total=config.synthetic_total,
            seed=config.synthetic_seed,
            partitions=config.synthetic_partitions,
            launchpad_mix=config.synthetic_launchpad_mix,
        )
    if name == "replay":
        from connectors.replay import ReplaySource

        assert config.replay_path is not None  # the config's own validation guarantees it
        return ReplaySource(
            config.replay_path, config.replay_rate, partitions=config.replay_partitions
        )
    if name == "solana_ws":
        with _needs_extra("source", "solana_ws"):
            from connectors.solana_ws.source import SolanaWsSource
        return SolanaWsSource.from_settings(settings.solana_ws_settings(config), metrics)
    if name == "redis":
        with _needs_extra("source", "redis"):
            from connectors.redis_streams.source import RedisStreamSource
        return RedisStreamSource.from_settings(settings.redis_source_settings(config), metrics)
    if name == "kafka":
        with _needs_extra("source", "kafka"):
            from connectors.kafka.source import KafkaFrameSource
        return KafkaFrameSource.from_settings(settings.kafka_source_settings(config), metrics)
    if name == "yellowstone":
        with _needs_extra("source", "yellowstone"):
            from connectors.yellowstone.source import YellowstoneSource, exit_job
        return YellowstoneSource(settings.yellowstone_settings(config), metrics, on_fatal=exit_job)
    raise ValueError(f"source={name!r}: no connector serves it")


def make_transport(config: SnifferConfig) -> OpenableTransport:
    """The process's one transport to the configured sink (shared by its senders), not opened
    yet: `flows.pipeline` opens it through the process's closer."""
    transport: OpenableTransport
    if config.sink in ("stdout", "jsonl", "null"):
        from connectors.line_sinks import JsonlFileTransport, NullTransport, StdoutTransport

        if config.sink == "stdout":
            transport = StdoutTransport()
        elif config.sink == "jsonl":
            assert config.sink_path is not None  # the config's own validation guarantees it
            transport = JsonlFileTransport(config.sink_path)
        else:
            transport = NullTransport()
    elif config.sink == "redis":
        with _needs_extra("sink", "redis"):
            from connectors.redis_streams.sink import RedisStreamTransport
        transport = RedisStreamTransport.from_settings(settings.redis_sink_settings(config))
    elif config.sink == "kafka":
        with _needs_extra("sink", "kafka"):
            from connectors.kafka.sink import KafkaTransport
        transport = KafkaTransport.from_settings(settings.kafka_sink_settings(config))
    elif config.sink == "webhook":
        with _needs_extra("sink", "webhook"):
            from connectors.webhook import WebhookTransport
        transport = WebhookTransport.from_settings(settings.webhook_settings(config))
    else:
        raise ValueError(f"sink={config.sink!r}: no connector serves it")
    if config.sink_delay_ms > 0:
        from flows.simulated_delay import DelayedTransport

        transport = DelayedTransport(transport, config.sink_delay_ms / 1e3)
    return transport
