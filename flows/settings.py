"""The one place that maps the `SnifferConfig` onto what each part of the job takes.

Connectors and operators never see the whole configuration: each takes a small frozen settings
object (defined next to the code that uses it) or plain arguments, and the functions here fill
them. The configuration has validated every value before any of this runs. A connector's module
is imported inside its function, so building the settings of one connector never loads another
one's client library.
"""

from __future__ import annotations

from dataclasses import fields
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

from domain.config import SnifferConfig
from operators.delivery import DeliverySettings
from operators.filters import FilterSettings
from operators.scoring import ScoringSettings
from solwire.detect import Detector
from solwire.launchpads import BY_NAME

if TYPE_CHECKING:
    from connectors.kafka.settings import KafkaSinkSettings, KafkaSourceSettings
    from connectors.redis_streams.settings import RedisSinkSettings, RedisSourceSettings
    from connectors.solana_ws.protocol import SolanaWsSettings
    from connectors.webhook import WebhookSettings
    from connectors.yellowstone.settings import YellowstoneSettings

# --- operators ---------------------------------------------------------------------------------


def _prefixed(config: SnifferConfig, prefix: str, settings: type[Any]) -> dict[str, Any]:
    """The configuration's `prefix` fields named like the fields of the dataclass `settings`:
    ``filter_serial_window_s`` is `FilterSettings.serial_window_s`."""
    return {field.name: getattr(config, prefix + field.name) for field in fields(settings)}


def launchpad_detector(config: SnifferConfig) -> Detector:
    """The detector of the configured ``launchpads`` (names the configuration has checked)."""
    return Detector(BY_NAME[name] for name in config.launchpads)


def filter_settings(config: SnifferConfig) -> FilterSettings:
    values = _prefixed(config, "filter_", FilterSettings)
    values["creator_deny"] = frozenset(values["creator_deny"])
    values["name_patterns"] = tuple(values["name_patterns"])
    values["symbol_patterns"] = tuple(values["symbol_patterns"])
    return FilterSettings(**values)


def scoring_settings(config: SnifferConfig) -> ScoringSettings:
    return ScoringSettings(**_prefixed(config, "score_", ScoringSettings))


def delivery_settings(config: SnifferConfig) -> DeliverySettings:
    return DeliverySettings(
        buffer_capacity=config.stream_buffer_capacity,
        drop_policy=config.drop_policy,
        batch_size=config.batch_size,
        send_mode=config.batch_send_mode,
        slice_s=config.batch_timeout_ms / 1e3,
        max_retries=config.send_max_retries,
        retry_delay_s=config.send_retry_delay_us / 1e6,
        retry_backoff=config.send_retry_backoff,
        retry_max_delay_s=config.send_retry_max_delay_ms / 1e3,
        max_age_s=config.max_candidate_age_ms / 1e3,
        rate_limit=config.sink_rate_limit,
        shutdown_timeout_s=config.graceful_shutdown_timeout_ms / 1e3,
    )


# --- connectors --------------------------------------------------------------------------------


def _secret(value: SecretStr | None, field: str) -> str:
    if value is None:  # the configuration's cross-field rules make this unreachable
        raise ValueError(f"{field} is not set")
    return value.get_secret_value()


def solana_ws_settings(config: SnifferConfig) -> SolanaWsSettings:
    """``source=solana_ws``: the ``ws_*`` fields and ``source_queue_capacity``."""
    from connectors.solana_ws.protocol import SolanaWsSettings

    return SolanaWsSettings(
        url=_secret(config.ws_url, "ws_url"),
        programs=tuple(config.ws_programs),
        commitment=config.ws_commitment,
        transaction_subscribe=config.ws_transaction_subscribe,
        ping_interval_s=config.ws_ping_interval_s,
        silence_timeout_s=config.ws_silence_timeout_s,
        max_frame_bytes=config.ws_max_frame_bytes,
        reconnect_initial_s=config.ws_reconnect_initial_s,
        reconnect_max_s=max(config.ws_reconnect_max_s, config.ws_reconnect_initial_s),
        queue_capacity=config.source_queue_capacity,
    )


def yellowstone_settings(config: SnifferConfig) -> YellowstoneSettings:
    """``source=yellowstone``: the ``grpc_*`` fields and ``source_queue_capacity``."""
    from connectors.yellowstone.settings import YellowstoneSettings

    token = config.grpc_token.get_secret_value() if config.grpc_token is not None else None
    return YellowstoneSettings(
        url=_secret(config.grpc_url, "grpc_url"),
        token=token or None,
        programs=tuple(config.grpc_programs),
        commitment=config.grpc_commitment,
        silence_timeout_s=config.grpc_silence_timeout_s,
        max_message_bytes=config.grpc_max_message_bytes,
        queue_capacity=config.source_queue_capacity,
    )


def kafka_source_settings(config: SnifferConfig) -> KafkaSourceSettings:
    """``source=kafka``: ``source_url`` (the brokers), ``source_topic``, ``source_group``."""
    from connectors.kafka.settings import KafkaSourceSettings

    return KafkaSourceSettings(
        brokers=_secret(config.source_url, "source_url"),
        topic=config.source_topic,
        group=config.source_group,
    )


def kafka_sink_settings(config: SnifferConfig) -> KafkaSinkSettings:
    """``sink=kafka``: ``sink_url`` (the brokers), ``sink_topic``, ``sink_timeout_s``."""
    from connectors.kafka.settings import KafkaSinkSettings

    return KafkaSinkSettings(
        brokers=_secret(config.sink_url, "sink_url"),
        topic=config.sink_topic,
        timeout_s=config.sink_timeout_s,
    )


def redis_source_settings(config: SnifferConfig) -> RedisSourceSettings:
    """``source=redis``: ``source_url``, ``source_topic`` (the stream), ``source_group``."""
    from connectors.redis_streams.settings import RedisSourceSettings

    return RedisSourceSettings(
        url=_secret(config.source_url, "source_url"),
        stream=config.source_topic,
        group=config.source_group,
    )


def redis_sink_settings(config: SnifferConfig) -> RedisSinkSettings:
    """``sink=redis``: ``sink_url``, ``sink_topic`` (the stream), ``sink_maxlen``,
    ``sink_timeout_s``."""
    from connectors.redis_streams.settings import RedisSinkSettings

    return RedisSinkSettings(
        url=_secret(config.sink_url, "sink_url"),
        stream=config.sink_topic,
        maxlen=config.sink_maxlen,
        timeout_s=config.sink_timeout_s,
    )


def webhook_settings(config: SnifferConfig) -> WebhookSettings:
    """``sink=webhook``: ``sink_url``, ``sink_token``, ``sink_timeout_s``."""
    from connectors.webhook import WebhookSettings

    return WebhookSettings(
        url=_secret(config.sink_url, "sink_url"),
        token=config.sink_token.get_secret_value() if config.sink_token is not None else None,
        timeout_s=config.sink_timeout_s,
    )


# operators ----------------------------------------------------------------------------------
