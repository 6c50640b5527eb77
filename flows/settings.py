"""From the one validated `SnifferConfig` to the small settings each step takes.

No operator or connector sees the whole configuration: each receives only what it uses, in the
units it works in, so it can be built and tested without one. Every rule about the values is
checked once, by the configuration, before the dataflow starts; the functions here only map.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from domain.config import SnifferConfig
from operators.delivery import DeliverySettings
from operators.filters import FilterSettings
from operators.scoring import ScoringSettings

# --- operators ---------------------------------------------------------------------------------


def _prefixed(config: SnifferConfig, prefix: str, settings: type[Any]) -> dict[str, Any]:
    """The configuration's `prefix` fields named like the fields of the dataclass `settings`:
    ``filter_serial_window_s`` is `FilterSettings.serial_window_s`."""
    return {field.name: getattr(config, prefix + field.name) for field in fields(settings)}


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
        max_age_s=config.max_candidate_age_ms / 1e3,
        rate_limit=config.sink_rate_limit,
        shutdown_timeout_s=config.graceful_shutdown_timeout_ms / 1e3,
    )


# --- connectors --------------------------------------------------------------------------------
