"""From the one validated `SnifferConfig` to the small settings each step takes.

No operator or connector sees the whole configuration: each receives only what it uses, in the
units it works in, so it can be built and tested without one. Every rule about the values is
checked once, by the configuration, before the dataflow starts; the functions here only map.
"""

from __future__ import annotations

from domain.config import SnifferConfig
from operators.delivery import DeliverySettings
from operators.filters import FilterSettings
from operators.scoring import ScoringSettings

# --- operators ---------------------------------------------------------------------------------


def filter_settings(config: SnifferConfig) -> FilterSettings:
    return FilterSettings(
        creator_deny=frozenset(config.filter_creator_deny),
        name_patterns=tuple(config.filter_name_patterns),
        symbol_patterns=tuple(config.filter_symbol_patterns),
        min_initial_buy_sol=config.filter_min_initial_buy_sol,
        max_initial_buy_sol=config.filter_max_initial_buy_sol,
        serial_max_launches=config.filter_serial_max_launches,
        serial_window_s=config.filter_serial_window_s,
    )


def scoring_settings(config: SnifferConfig) -> ScoringSettings:
    return ScoringSettings(
        high_threshold=config.score_high_threshold,
        ema_half_life_s=config.score_ema_half_life_s,
        buy_full_sol=config.score_buy_full_sol,
        creator_capacity=config.score_creator_capacity,
    )


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
