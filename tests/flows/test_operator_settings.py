"""flows/settings.py: each operator gets the configuration's values, in its own units."""

from __future__ import annotations

from domain.config import load_config
from flows.settings import delivery_settings, filter_settings, scoring_settings
from operators.delivery import DeliverySettings
from operators.filters import FilterSettings
from operators.scoring import ScoringSettings


def test_the_defaults_of_the_settings_are_the_configurations() -> None:
    config = load_config({})
    assert filter_settings(config) == FilterSettings()
    assert scoring_settings(config) == ScoringSettings()
    assert delivery_settings(config) == DeliverySettings()


def test_every_value_reaches_its_operator_in_its_units() -> None:
    config = load_config(
        {
            "SNIFFER_FILTER_CREATOR_DENY": '["A", "B"]',
            "SNIFFER_FILTER_NAME_PATTERNS": '["^x"]',
            "SNIFFER_FILTER_SYMBOL_PATTERNS": '["Z$"]',
            "SNIFFER_FILTER_MIN_INITIAL_BUY_SOL": "0.5",
            "SNIFFER_FILTER_MAX_INITIAL_BUY_SOL": "2",
            "SNIFFER_FILTER_SERIAL_MAX_LAUNCHES": "3",
            "SNIFFER_FILTER_SERIAL_WINDOW_S": "60",
            "SNIFFER_SCORE_HIGH_THRESHOLD": "0.7",
            "SNIFFER_SCORE_EMA_HALF_LIFE_S": "120",
            "SNIFFER_SCORE_BUY_FULL_SOL": "4",
            "SNIFFER_SCORE_CREATOR_CAPACITY": "9",
            "SNIFFER_STREAM_BUFFER_CAPACITY": "64",
            "SNIFFER_DROP_POLICY": "block",
            "SNIFFER_BATCH_SIZE": "8",
            "SNIFFER_BATCH_SEND_MODE": "async",
            "SNIFFER_BATCH_TIMEOUT_MS": "20",
            "SNIFFER_SEND_MAX_RETRIES": "2",
            "SNIFFER_SEND_RETRY_DELAY_US": "250",
            "SNIFFER_MAX_CANDIDATE_AGE_MS": "1500",
            "SNIFFER_SINK_RATE_LIMIT": "100",
            "SNIFFER_GRACEFUL_SHUTDOWN_TIMEOUT_MS": "3000",
        }
    )
    assert filter_settings(config) == FilterSettings(
        creator_deny=frozenset({"A", "B"}),
        name_patterns=("^x",),
        symbol_patterns=("Z$",),
        min_initial_buy_sol=0.5,
        max_initial_buy_sol=2.0,
        serial_max_launches=3,
        serial_window_s=60.0,
    )
    assert scoring_settings(config) == ScoringSettings(0.7, 120.0, 4.0, 9)
    assert delivery_settings(config) == DeliverySettings(
        buffer_capacity=64,
        drop_policy="block",
        batch_size=8,
        send_mode="async",
        slice_s=0.02,
        max_retries=2,
        retry_delay_s=250e-6,
        max_age_s=1.5,
        rate_limit=100.0,
        shutdown_timeout_s=3.0,
    )
