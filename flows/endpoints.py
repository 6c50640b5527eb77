"""Which connector serves the configured `source` and `sink`."""

from __future__ import annotations

from typing import Any

from bytewax.inputs import FixedPartitionedSource
from pydantic import SecretStr

from connectors.kafka import KafkaFrameSource, KafkaTransport
from connectors.line_sinks import JsonlFileTransport, NullTransport, StdoutTransport
from connectors.redis_streams import RedisStreamSource, RedisStreamTransport
from connectors.replay import ReplaySource
from connectors.simulated_delay import DelayedTransport
from connectors.solana_ws import SolanaWsSource
from connectors.webhook import WebhookTransport
from domain.config import SnifferConfig
from domain.metrics import Metrics
from domain.models import RawFrame
from domain.transport import Transport
from fakechain import SyntheticSource


def make_source(config: SnifferConfig, metrics: Metrics) -> FixedPartitionedSource[RawFrame, Any]:
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
        return ReplaySource(
            config.replay_path, config.replay_rate, partitions=config.replay_partitions
        )
    if config.source == "solana_ws":
        return SolanaWsSource.from_config(config, metrics)
    if config.source == "redis":
        return RedisStreamSource(
            _secret(config.source_url),
            config.source_topic,
            config.source_group,
            metrics=metrics,
        )
    if config.source == "kafka":
        return KafkaFrameSource.from_config(config, metrics)
    raise ValueError(f"source={config.source!r}: no connector serves it")


def _secret(value: SecretStr | None) -> str:
    assert value is not None  # the config's own validation guarantees it
    return value.get_secret_value()


def make_transport(config: SnifferConfig) -> Transport:
    """The process's one transport to the configured sink (shared by its senders)."""
    transport: Transport
    if config.sink == "stdout":
        transport = StdoutTransport()
    elif config.sink == "jsonl":
        assert config.sink_path is not None  # the config's own validation guarantees it
        transport = JsonlFileTransport(config.sink_path)
    elif config.sink == "null":
        transport = NullTransport()
    elif config.sink == "redis":
        transport = RedisStreamTransport(
            _secret(config.sink_url), config.sink_topic, config.sink_maxlen, config.sink_timeout_s
        )
    elif config.sink == "kafka":
        transport = KafkaTransport.from_config(config)
    elif config.sink == "webhook":
        transport = WebhookTransport(
            _secret(config.sink_url), config.sink_token, config.sink_timeout_s
        )
    else:
        raise ValueError(f"sink={config.sink!r}: no connector serves it")
    if config.sink_delay_ms > 0:
        transport = DelayedTransport(transport, config.sink_delay_ms / 1e3)
    return transport
