"""SnifferConfig: the contract's names and defaults, presets, precedence, and validation."""

from __future__ import annotations

from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from domain.config import PRESETS, ConfigError, SnifferConfig, load_config
from domain.metrics import Metrics
from flows.endpoints import make_source
from solwire.launchpads import BY_NAME, NAMES, REGISTRY

CONTRACT_DEFAULTS = {
    "batch_size": 16,
    "batch_timeout_ms": 10,
    "send_max_retries": 3,
    "send_retry_delay_us": 100,
    "stream_buffer_capacity": 2048,
    "drop_policy": "drop_newest",
    "batch_send_mode": "sync",
    "graceful_shutdown_timeout_ms": 5000,
    "source": ["synthetic"],
    "sink": "stdout",
    "sink_topic": "sniffer.candidates",
    "sink_rate_limit": 0,
    "sink_delay_ms": 0,
    "metrics_host": "127.0.0.1",
    "max_candidate_age_ms": 0,
    "replay_rate": 0,
    "dead_letter_path": None,
    "snapshot_path": None,
    "send_retry_backoff": 1.0,
    "send_retry_max_delay_ms": 1000,
}

PROJECT_FIELDS = (
    "synthetic_rate synthetic_launch_ratio synthetic_total synthetic_seed synthetic_partitions "
    "replay_path replay_rate ws_url ws_programs sink_path sink_url sink_topic sink_rate_limit "
    "sink_delay_ms metrics_host metrics_port snapshot_path max_candidate_age_ms dead_letter_path "
    "send_retry_backoff send_retry_max_delay_ms"
).split()


def test_defaults_are_the_contracts() -> None:
    config = load_config({})
    for name, value in CONTRACT_DEFAULTS.items():
        assert getattr(config, name) == value, name
    assert config.synthetic_launch_ratio == pytest.approx(0.01)
    assert set(PROJECT_FIELDS) <= set(SnifferConfig.model_fields)
    # Filters are opt-in: nothing is rejected by default.
    assert config.filter_creator_deny == []
    assert config.filter_serial_max_launches == 0
    assert config.filter_min_initial_buy_sol is None


@pytest.mark.parametrize(
    ("preset", "expected"),
    [
        ("standard", {"batch_send_mode": "sync", "send_max_retries": 3, "send_retry_delay_us": 100,
                      "graceful_shutdown_timeout_ms": 5000}),
        ("high_throughput", {"batch_send_mode": "async", "send_max_retries": 5,
                             "send_retry_delay_us": 50, "stream_buffer_capacity": 4096,
                             "graceful_shutdown_timeout_ms": 10000}),
        ("low_latency", {"batch_send_mode": "sync", "send_max_retries": 1,
                         "send_retry_delay_us": 10, "batch_size": 5, "batch_timeout_ms": 5}),
    ],
)  # fmt: skip
def test_presets(preset: str, expected: dict[str, object]) -> None:
    config = load_config({"SNIFFER_PRESET": preset})
    for name, value in expected.items():
        assert getattr(config, name) == value, name
    assert set(PRESETS) == {"standard", "high_throughput", "low_latency"}


def test_precedence_env_over_toml_over_preset_over_defaults(tmp_path: Path) -> None:
    toml = tmp_path / "sniffer.toml"
    toml.write_text('batch_size = 7\nsend_max_retries = 9\ndrop_policy = "block"\n')
    env = {
        "SNIFFER_PRESET": "low_latency",  # batch_size 5, retries 1, timeout 5, delay 10
        "SNIFFER_CONFIG": str(toml),
        "SNIFFER_SEND_MAX_RETRIES": "2",
    }
    config = load_config(env)
    assert config.send_max_retries == 2  # env beats the file
    assert config.batch_size == 7  # the file beats the preset
    assert config.batch_timeout_ms == 5  # the preset beats the default
    assert config.drop_policy == "block"
    assert config.stream_buffer_capacity == 2048  # the default, nobody overrode it


def test_lists_come_from_the_environment_as_json() -> None:
    config = load_config({"SNIFFER_FILTER_CREATOR_DENY": '["A", "B"]'})
    assert config.filter_creator_deny == ["A", "B"]


def problems_of(env: dict[str, str]) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_config(env)
    return info.value.problems


def test_every_problem_is_one_line_naming_field_value_and_rule() -> None:
    problems = problems_of(
        {
            "SNIFFER_BATCH_SIZE": "0",
            "SNIFFER_DROP_POLICY": "drop_random",
            "SNIFFER_SEND_MAX_RETRIES": "-1",
        }
    )
    assert len(problems) == 3
    assert all("\n" not in line for line in problems)
    text = "\n".join(problems)
    assert "batch_size='0'" in text and "greater than 0" in text
    assert "drop_policy='drop_random'" in text and "drop_newest" in text
    assert "send_max_retries='-1'" in text and "greater than or equal to 0" in text


def test_unknown_settings_are_errors_not_silently_ignored(tmp_path: Path) -> None:
    toml = tmp_path / "c.toml"
    toml.write_text("batch_sise = 3\n")
    problems = problems_of({"SNIFFER_CONFIG": str(toml), "SNIFFER_BTCH_SIZE": "4"})
    text = "\n".join(problems)
    assert "SNIFFER_BTCH_SIZE" in text and "unknown setting" in text
    problems = problems_of({"SNIFFER_CONFIG": str(toml)})
    assert any("batch_sise" in p and "unknown setting" in p for p in problems)


def test_unknown_preset_and_unreadable_file(tmp_path: Path) -> None:
    problems = problems_of(
        {"SNIFFER_PRESET": "turbo", "SNIFFER_CONFIG": str(tmp_path / "missing.toml")}
    )
    assert any("turbo" in p and "high_throughput" in p for p in problems)
    assert any("missing.toml" in p and "cannot read" in p for p in problems)
    bad = tmp_path / "bad.toml"
    bad.write_text("batch_size = = 3")
    assert any("not valid TOML" in p for p in problems_of({"SNIFFER_CONFIG": str(bad)}))


def test_fields_that_need_each_other() -> None:
    assert any("replay_path" in p for p in problems_of({"SNIFFER_SOURCE": "replay"}))
    assert any("sink_path" in p for p in problems_of({"SNIFFER_SINK": "jsonl"}))
    band = problems_of(
        {"SNIFFER_FILTER_MIN_INITIAL_BUY_SOL": "3", "SNIFFER_FILTER_MAX_INITIAL_BUY_SOL": "1"}
    )
    assert any("filter_min_initial_buy_sol=3.0" in p for p in band)


def test_bad_json_list_and_bad_regex() -> None:
    problems = problems_of({"SNIFFER_FILTER_CREATOR_DENY": "[not json"})
    assert problems == [
        "SNIFFER_FILTER_CREATOR_DENY='[not json': not valid JSON (lists are given as JSON)"
    ]
    problems = problems_of({"SNIFFER_FILTER_NAME_PATTERNS": '["(unclosed"]'})
    assert any("not a valid regular expression" in p for p in problems)


def test_secrets_are_not_shown() -> None:
    config = load_config({"SNIFFER_WS_URL": "wss://rpc.example/?api-key=supersecret"})
    assert "supersecret" not in repr(config)
    assert config.ws_url is not None
    assert config.ws_url.get_secret_value().endswith("supersecret")


@pytest.mark.parametrize(
    ("name", "value", "rule"),
    [
        # Once checked again by the batching, dedup and stream buffer steps as well.
        ("SNIFFER_BATCH_SIZE", "0", "greater than 0"),
        ("SNIFFER_BATCH_TIMEOUT_MS", "0", "greater than 0"),
        ("SNIFFER_DEDUP_CAPACITY", "0", "greater than 0"),
        ("SNIFFER_DROP_POLICY", "drop_sideways", "drop_newest"),
    ],
)
def test_the_steps_rules_are_the_configurations(name: str, value: str, rule: str) -> None:
    [problem] = problems_of({name: value})
    field = name.removeprefix("SNIFFER_").lower()
    assert problem.startswith(f"{field}={value!r}: ") and rule in problem


def test_a_webhook_sink_needs_an_http_url_with_a_host() -> None:
    webhook = {"SNIFFER_SINK": "webhook"}
    for url in ("ftp://example.com/hook", "https://", "http://host:port/"):
        [problem] = problems_of({**webhook, "SNIFFER_SINK_URL": url})
        assert problem.startswith("configuration: sink_url"), problem
    credentials = {**webhook, "SNIFFER_SINK_URL": "https://user:pw@example.com/hook"}
    assert load_config(credentials).sink == "webhook"
    [problem] = problems_of({**credentials, "SNIFFER_SINK_TOKEN": "t0ken"})
    assert "sink_token" in problem and "pw" not in problem
    assert load_config({**webhook, "SNIFFER_SINK_URL": "http://127.0.0.1:8080/hook"})


def test_kafka_addresses_are_brokers_without_credentials() -> None:
    [problem] = problems_of({"SNIFFER_SOURCE": "kafka", "SNIFFER_SOURCE_URL": "u:secret@b:9092"})
    assert "source_url" in problem and "credentials" in problem and "secret" not in problem
    [problem] = problems_of({"SNIFFER_SINK": "kafka", "SNIFFER_SINK_URL": " kafka:// , "})
    assert "sink_url" in problem and "no Kafka broker" in problem
    config = load_config({"SNIFFER_SINK": "kafka", "SNIFFER_SINK_URL": "kafka://a:9092,b:9092"})
    assert config.sink == "kafka"


def test_problems_between_fields_are_one_line_each() -> None:
    problems = problems_of({"SNIFFER_SOURCE": "replay", "SNIFFER_SINK": "jsonl"})
    assert problems == [
        "configuration: source=replay needs replay_path",
        "configuration: sink=jsonl needs sink_path",
    ]


def test_the_synthetic_rate_is_a_finite_number() -> None:
    [problem] = problems_of({"SNIFFER_SYNTHETIC_RATE": "inf"})
    assert problem.startswith("synthetic_rate='inf': ") and "finite" in problem


def test_the_synthetic_launchpad_mix_is_a_json_object_of_registry_names(tmp_path: Path) -> None:
    assert load_config({}).synthetic_launchpad_mix is None  # the generator's default mix
    env = {"SNIFFER_SYNTHETIC_LAUNCHPAD_MIX": '{"pump_fun": 0.8, "raydium_launchlab": 0.2}'}
    assert load_config(env).synthetic_launchpad_mix == {"pump_fun": 0.8, "raydium_launchlab": 0.2}
    toml = tmp_path / "sniffer.toml"
    toml.write_text("[synthetic_launchpad_mix]\npump_fun = 1\nmoonshot = 0\n")
    config = load_config({"SNIFFER_CONFIG": str(toml)})
    assert config.synthetic_launchpad_mix == {"pump_fun": 1.0, "moonshot": 0.0}


def test_a_bad_launchpad_mix_is_one_line_per_problem() -> None:
    bad = '{"pumpfun": 1, "moonshot": -1, "pump_swap": "lots", "raydium_cpmm": 1e999}'
    with pytest.raises(ConfigError) as caught:
        load_config({"SNIFFER_SYNTHETIC_LAUNCHPAD_MIX": bad})
    problems = caught.value.problems
    assert len(problems) == 4, problems
    assert all(p.startswith("synthetic_launchpad_mix.") for p in problems)
    assert any("'pumpfun' is not a launchpad" in p and "pump_fun" in p for p in problems)
    assert any(p.startswith("synthetic_launchpad_mix.moonshot=-1") for p in problems)
    assert any(p.startswith("synthetic_launchpad_mix.pump_swap='lots'") for p in problems)
    assert any(p.startswith("synthetic_launchpad_mix.raydium_cpmm=inf") for p in problems)
    for zero in ('{"pump_fun": 0}', "{}"):
        with pytest.raises(ConfigError) as caught:
            load_config({"SNIFFER_SYNTHETIC_LAUNCHPAD_MIX": zero})
        [problem] = caught.value.problems
        assert "at least one launchpad needs a share above 0" in problem
    with pytest.raises(ConfigError) as caught:
        load_config({"SNIFFER_SYNTHETIC_LAUNCHPAD_MIX": "[1, 2]"})
    assert len(caught.value.problems) == 1


def test_the_launchpad_mix_reaches_the_synthetic_source() -> None:
    config = load_config({"SNIFFER_SYNTHETIC_LAUNCHPAD_MIX": '{"raydium_amm_v4": 1}'})
    source = make_source(config, Metrics(CollectorRegistry()))
    assert getattr(source, "launchpad_mix", None) == {"raydium_amm_v4": 1.0}


def test_every_launchpad_is_detected_and_subscribed_to_by_default() -> None:
    config = load_config({})
    assert config.launchpads == list(NAMES)
    assert config.ws_programs == [lp.program for lp in REGISTRY]


@pytest.mark.parametrize(
    "value", ['["moonshot", "pump_fun"]', "moonshot, pump_fun", "moonshot,pump_fun,"]
)
def test_launchpads_from_the_environment_as_json_or_joined_by_commas(value: str) -> None:
    config = load_config({"SNIFFER_LAUNCHPADS": value})
    assert config.launchpads == ["moonshot", "pump_fun"]
    # The websocket subscriptions follow, unless given.
    assert config.ws_programs == [BY_NAME["moonshot"].program, BY_NAME["pump_fun"].program]
    given = load_config({"SNIFFER_LAUNCHPADS": value, "SNIFFER_WS_PROGRAMS": '["P1"]'})
    assert given.ws_programs == ["P1"]


def test_launchpads_from_a_toml_file(tmp_path: Path) -> None:
    toml = tmp_path / "c.toml"
    toml.write_text('launchpads = ["raydium_cpmm"]\n')
    assert load_config({"SNIFFER_CONFIG": str(toml)}).launchpads == ["raydium_cpmm"]


def test_each_unknown_launchpad_is_one_line_naming_it() -> None:
    problems = problems_of({"SNIFFER_LAUNCHPADS": "pump_fun,pumpfun,moonshoot"})
    assert len(problems) == 2, problems
    for problem, name in zip(problems, ("pumpfun", "moonshoot"), strict=True):
        assert problem.startswith(f"launchpads={name!r}: not a launchpad; choose from pump_fun, ")
        assert "meteora_damm_v2" in problem
    [problem] = problems_of({"SNIFFER_LAUNCHPADS": ""})
    assert problem.startswith("launchpads='': at least one launchpad is needed")
    [problem] = problems_of({"SNIFFER_LAUNCHPADS": '["pump_fun"'})
    assert problem.startswith("launchpads='[\"pump_fun\"': not a JSON list")


def test_the_retry_backoff_is_a_factor_of_at_least_one() -> None:
    [problem] = problems_of({"SNIFFER_SEND_RETRY_BACKOFF": "0.5"})
    assert problem.startswith("send_retry_backoff='0.5': ")
    config = load_config(
        {"SNIFFER_SEND_RETRY_BACKOFF": "2", "SNIFFER_SEND_RETRY_MAX_DELAY_MS": "50"}
    )
    assert (config.send_retry_backoff, config.send_retry_max_delay_ms) == (2.0, 50)
