"""`SnifferConfig`: every runtime parameter of the job in one validated object.

Where a value comes from, highest first (the contract, "Running it"):

1. environment variables ``SNIFFER_<FIELD>`` (lists as JSON),
2. the TOML file named by ``SNIFFER_CONFIG``,
3. the preset named by ``SNIFFER_PRESET`` (``standard`` when unset),
4. the defaults below.

`load_config` turns every problem (a bad value, an unknown key, an unreadable file, an unknown
preset) into a `ConfigError` holding one line per problem, so the job can print them all and exit 2
before the dataflow starts. Every rule about a value is checked here and only here: the steps and
connectors take the values as given (flows/settings.py hands each one its share).
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
)

from solwire.launchpads import BY_NAME, NAMES

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised only on 3.10
    import tomli as tomllib

ENV_PREFIX = "SNIFFER_"
CONFIG_FILE_ENV = "SNIFFER_CONFIG"
PRESET_ENV = "SNIFFER_PRESET"

#: The seed's deployment recommendations (contract, "Presets"). Only what differs from the
#: defaults is listed; `standard` is the defaults themselves.
PRESETS: dict[str, dict[str, Any]] = {
    "standard": {},
    "high_throughput": {
        "batch_send_mode": "async",
        "send_max_retries": 5,
        "send_retry_delay_us": 50,
        "stream_buffer_capacity": 4096,
        "graceful_shutdown_timeout_ms": 10000,
    },
    "low_latency": {
        "batch_send_mode": "sync",
        "send_max_retries": 1,
        "send_retry_delay_us": 10,
        "batch_size": 5,
        "batch_timeout_ms": 5,
    },
}

DEFAULT_METRICS_PORT = 9464


def _registry_name(name: str) -> str:
    if name not in NAMES:
        raise ValueError(f"{name!r} is not a launchpad (choose from {', '.join(NAMES)})")
    return name


# Keys and values of `synthetic_launchpad_mix` are checked one by one, so that every bad entry is
# a line of its own.
_LaunchpadName = Annotated[str, AfterValidator(_registry_name)]
_Share = Annotated[float, Field(ge=0, allow_inf_nan=False)]


def launchpad_programs(names: Iterable[str]) -> list[str]:
    """The program ids of the named launchpads, in the order given, each once: what the
    ``solana_ws`` source subscribes to by default."""
    return list(dict.fromkeys(BY_NAME[name].program for name in names))


def _known_launchpad(name: str) -> str:
    name = name.strip().lower()
    if name not in BY_NAME:
        raise ValueError(f"not a launchpad; choose from {', '.join(NAMES)}")
    return name


#: Each name checked on its own, so that each unknown one is its own problem line.
_LaunchpadNames = Annotated[list[Annotated[str, AfterValidator(_known_launchpad)]], NoDecode]

SourceName = Literal["synthetic", "replay", "solana_ws", "redis", "kafka", "yellowstone"]
#: One source, or several side by side (their frames merged and deduplicated).
_SourceNames = Annotated[list[SourceName], NoDecode]


def _default_source() -> list[SourceName]:
    return ["synthetic"]


def _default_ws_programs(data: dict[str, Any]) -> list[str]:
    # `launchpads` is validated first (it is declared first); when it failed, its own error is
    # reported and the default here does not matter.
    return launchpad_programs(data.get("launchpads", NAMES))


class ConfigError(Exception):
    """The configuration is unusable; `problems` holds one human-readable line per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class SnifferConfig(BaseSettings):
    """Every runtime parameter of the sniffer. Names and defaults of the seed's fields are fixed
    by the contract; the rest are the project's own."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        extra="forbid",
        case_sensitive=False,
        validate_default=True,
        frozen=True,
    )

    # --- the seed's runtime parameters (contract: exact names and defaults) ---
    batch_size: int = Field(16, gt=0)
    batch_timeout_ms: int = Field(10, gt=0)
    send_max_retries: int = Field(3, ge=0)
    send_retry_delay_us: int = Field(100, ge=0)
    #: The retry delay's growth factor after each retry (1 = fixed, the seed's) and its cap.
    send_retry_backoff: float = Field(1.0, ge=1.0, le=100.0, allow_inf_nan=False)
    send_retry_max_delay_ms: int = Field(1000, gt=0)
    stream_buffer_capacity: int = Field(2048, gt=0)
    drop_policy: Literal["drop_oldest", "drop_newest", "block"] = "drop_newest"
    batch_send_mode: Literal["sync", "async"] = "sync"
    graceful_shutdown_timeout_ms: int = Field(5000, gt=0)

    # --- detection ---
    #: Names of the launchpad registry; the environment gives them as a JSON list or joined by
    #: commas (NoDecode: the field's own validator parses the text, not pydantic-settings).
    launchpads: _LaunchpadNames = Field(default_factory=lambda: list(NAMES))

    # --- sources ---
    #: The environment gives one name, names joined by commas, or a JSON list.
    source: _SourceNames = Field(default_factory=lambda: _default_source())
    synthetic_rate: float = Field(200.0, ge=0, allow_inf_nan=False)
    synthetic_launch_ratio: float = Field(0.01, ge=0, le=1)
    synthetic_total: int | None = Field(None, ge=0)
    synthetic_seed: int = 1
    synthetic_partitions: int = Field(1, gt=0, le=1024)
    synthetic_launchpad_mix: dict[_LaunchpadName, _Share] | None = Field(
        None,
        description="launchpad name -> share of the synthetic launches (JSON object); "
        "unset = the generator's default mix (pump.fun the majority)",
    )
    replay_path: Path | None = None
    replay_rate: float = Field(0.0, ge=0)
    replay_partitions: int = Field(1, gt=0, le=1024)
    ws_url: SecretStr | None = None
    #: Default: the programs of every launchpad in `launchpads`.
    ws_programs: list[str] = Field(default_factory=_default_ws_programs)
    ws_commitment: Literal["processed", "confirmed", "finalized"] = "processed"
    ws_transaction_subscribe: bool = Field(
        False, description="use Helius transactionSubscribe (full transactions, Raydium mints)"
    )
    ws_ping_interval_s: float = Field(30.0, ge=20, le=60)
    #: Reconnect when nothing at all (no frame, then no pong to a ping) arrived for this long.
    ws_silence_timeout_s: float = Field(60.0, gt=0)
    ws_max_frame_bytes: int = Field(64 * 1024 * 1024, ge=32 * 1024 * 1024)
    ws_reconnect_initial_s: float = Field(0.5, gt=0)
    ws_reconnect_max_s: float = Field(30.0, gt=0)
    source_queue_capacity: int = Field(
        10_000, gt=0, description="frames a push source (solana_ws) holds before dropping"
    )
    source_url: SecretStr | None = Field(
        None, description="the redis or kafka source's server (redis://…, Kafka brokers)"
    )
    source_topic: str = Field("sniffer.frames", min_length=1)
    source_group: str = Field("sniffer", min_length=1)
    record_path: Path | None = None

    # --- the yellowstone source (Yellowstone / Geyser gRPC) ---
    grpc_url: SecretStr | None = Field(
        None, description="http://host:port (plaintext) or https://host[:port] (TLS)"
    )
    grpc_token: SecretStr | None = Field(None, description="sent as x-token; never logged")
    grpc_programs: list[str] = Field(
        default_factory=_default_ws_programs,
        description="account_include of the subscription; default: the programs of `launchpads`",
    )
    grpc_commitment: Literal["processed", "confirmed", "finalized"] = "processed"
    grpc_silence_timeout_s: float = Field(30.0, gt=0, allow_inf_nan=False)
    grpc_max_message_bytes: int = Field(64 * 1024 * 1024, ge=4 * 1024 * 1024, le=2**31 - 1)

    # --- sinks ---
    sink: Literal["stdout", "jsonl", "null", "redis", "webhook", "kafka"] = "stdout"
    sink_path: Path | None = None
    sink_url: SecretStr | None = None
    sink_topic: str = Field("sniffer.candidates", min_length=1)
    sink_rate_limit: float = Field(0.0, ge=0)
    sink_delay_ms: float = Field(0.0, ge=0)
    sink_token: SecretStr | None = Field(None, description="the webhook sink's bearer token")
    sink_timeout_s: float = Field(5.0, gt=0)
    sink_maxlen: int = Field(100_000, gt=0, description="the redis sink's MAXLEN ~ bound")

    # --- observability ---
    metrics_host: str = "127.0.0.1"
    metrics_port: int = Field(DEFAULT_METRICS_PORT, ge=0, le=65535)
    snapshot_path: Path | None = None
    dead_letter_path: Path | None = None
    snapshot_interval_s: float = Field(5.0, gt=0)
    status_interval_s: float = Field(
        5.0, ge=0, description="seconds between status lines on stderr; 0 = off"
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    # --- delivery ---
    max_candidate_age_ms: int = Field(0, ge=0)

    # --- dedup ---
    dedup_capacity: int = Field(
        100_000, gt=0, description="signatures and (mint, event) pairs remembered (each) for dedup"
    )

    # --- filters: all off by default, so every successful launch becomes a candidate ---
    filter_creator_deny: list[str] = Field(default_factory=list)
    filter_name_patterns: list[str] = Field(
        default_factory=list, description="regexes; a launch whose name matches is rejected"
    )
    filter_symbol_patterns: list[str] = Field(
        default_factory=list, description="regexes; a launch whose symbol matches is rejected"
    )
    filter_min_initial_buy_sol: float | None = Field(None, ge=0)
    filter_max_initial_buy_sol: float | None = Field(None, ge=0)
    filter_serial_max_launches: int = Field(
        0, ge=0, description="reject a creator's launches beyond this many per window; 0 = off"
    )
    filter_serial_window_s: float = Field(3 * 3600.0, gt=0)

    # --- scoring ---
    score_high_threshold: float = Field(0.6, ge=0, le=1)
    score_ema_half_life_s: float = Field(3600.0, gt=0)
    score_buy_full_sol: float = Field(2.0, gt=0)
    score_creator_capacity: int = Field(100_000, gt=0)

    @field_validator("filter_name_patterns", "filter_symbol_patterns")
    @classmethod
    def _patterns_compile(cls, patterns: list[str]) -> list[str]:
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"{pattern!r} is not a valid regular expression: {exc}") from None
        return patterns

    @field_validator("synthetic_launchpad_mix")
    @classmethod
    def _mix_not_all_zero(cls, mix: dict[str, float] | None) -> dict[str, float] | None:
        if mix is not None and not any(share > 0 for share in mix.values()):
            raise ValueError("at least one launchpad needs a share above 0")
        return mix

    @field_validator("launchpads", "source", mode="before")
    @classmethod
    def _names_from_text(cls, value: Any) -> Any:
        """A JSON list or comma-separated names (from the environment); a list (TOML) as is."""
        if not isinstance(value, str):
            return value
        text = value.strip()
        if text.startswith("["):
            try:
                return json.loads(text)
            except ValueError:
                problem = "not a JSON list of names (or give names joined by commas)"
                raise ValueError(problem) from None
        return [name for name in (part.strip() for part in text.split(",")) if name]

    @field_validator("launchpads")
    @classmethod
    def _some_launchpads(cls, names: list[str]) -> list[str]:
        if not names:
            raise ValueError(f"at least one launchpad is needed; choose from {', '.join(NAMES)}")
        return list(dict.fromkeys(names))

    @field_validator("source")
    @classmethod
    def _some_sources(cls, names: list[str]) -> list[str]:
        if not names:
            raise ValueError("at least one source is needed")
        return list(dict.fromkeys(names))

    @field_validator("ws_programs")
    @classmethod
    def _programs_not_empty(cls, programs: list[str]) -> list[str]:
        if not programs:
            raise ValueError("at least one program id is needed")
        return programs

    @field_validator("grpc_programs")
    @classmethod
    def _grpc_programs_are_keys(cls, programs: list[str]) -> list[str]:
        if not programs:
            raise ValueError("at least one program id is needed")
        for program in programs:
            if not _BASE58_KEY.fullmatch(program):
                raise ValueError(f"{program!r} is not a base58 program id")
        return programs

    @model_validator(mode="after")
    def _fields_that_need_each_other(self) -> SnifferConfig:
        problems = _cross_field_problems(self.model_dump())
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Init kwargs carry the TOML file and the preset, already merged in that order by
        # `load_config`; the environment sits above both, as the contract requires.
        return (env_settings, init_settings)


def load_config(environ: Mapping[str, str] | None = None) -> SnifferConfig:
    """Build the configuration from the environment, the TOML file and the preset.

    Raises `ConfigError` with one line per problem.
    """
    environ = os.environ if environ is None else environ
    problems: list[str] = []

    preset_name = environ.get(PRESET_ENV, "standard").strip() or "standard"
    preset = PRESETS.get(preset_name)
    if preset is None:
        problems.append(
            f"{PRESET_ENV}={preset_name!r}: unknown preset; choose one of {', '.join(PRESETS)}"
        )
        preset = {}

    from_file: dict[str, Any] = {}
    config_file = environ.get(CONFIG_FILE_ENV)
    if config_file:
        try:
            from_file = tomllib.loads(Path(config_file).read_text(encoding="utf-8"))
        except OSError as exc:
            problems.append(f"{CONFIG_FILE_ENV}={config_file!r}: cannot read it: {exc.strerror}")
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            problems.append(f"{CONFIG_FILE_ENV}={config_file!r}: not valid TOML: {exc}")

    known = set(SnifferConfig.model_fields)
    for name in sorted(environ):
        if not name.upper().startswith(ENV_PREFIX) or name.upper() in (CONFIG_FILE_ENV, PRESET_ENV):
            continue
        field = name[len(ENV_PREFIX) :].lower()
        if field not in known:
            problems.append(f"{name}: unknown setting (no field {field!r} in SnifferConfig)")

    if problems:
        raise ConfigError(problems)

    merged = {**preset, **from_file}
    try:
        if environ is os.environ:
            return SnifferConfig(**merged)
        return _with_environ(environ, merged)
    except ValidationError as exc:
        # The model-level check reports its problems as one joined message, and pydantic skips
        # it once a field failed: list them from the raw values instead, one line each, so that
        # one run reports every problem, not the next one after each fix.
        problems = [line for line in _describe(exc) if not line.startswith("configuration: ")]
        raw = {**merged, **_settings_from_env(environ)}
        problems += [f"configuration: {p}" for p in _cross_field_problems(raw)]
        raise ConfigError(problems) from None
    except SettingsError as exc:
        raise ConfigError([_describe_settings_error(exc, environ)]) from None


def _settings_from_env(environ: Mapping[str, str]) -> dict[str, str]:
    return {
        name[len(ENV_PREFIX) :].lower(): value
        for name, value in environ.items()
        if name.upper().startswith(ENV_PREFIX)
    }


def _cross_field_problems(values: Mapping[str, Any]) -> list[str]:
    """Rules between fields, over validated values or (after a field error) raw ones."""
    problems = []
    sink = values.get("sink", "stdout")
    sources = _source_names(values.get("source", ["synthetic"]))
    if "replay" in sources and values.get("replay_path") is None:
        problems.append("source=replay needs replay_path")
    if "solana_ws" in sources and values.get("ws_url") is None:
        problems.append("source=solana_ws needs ws_url")
    for source in ("redis", "kafka"):
        if source in sources and values.get("source_url") is None:
            problems.append(f"source={source} needs source_url")
    if "redis" in sources and "kafka" in sources:
        problems.append("source: redis and kafka both read source_url; run one of them")
    if sink == "jsonl" and values.get("sink_path") is None:
        problems.append("sink=jsonl needs sink_path")
    if sink in ("redis", "webhook", "kafka") and values.get("sink_url") is None:
        problems.append(f"sink={sink} needs sink_url")
    problems += _address_problems(values)
    problems += _grpc_problems(values)
    try:
        low = values.get("filter_min_initial_buy_sol")
        high = values.get("filter_max_initial_buy_sol")
        if low is not None and high is not None and float(low) > float(high):
            problems.append(
                f"filter_min_initial_buy_sol={float(low)} is above "
                f"filter_max_initial_buy_sol={float(high)}"
            )
    except (TypeError, ValueError):
        pass  # already reported as a field error
    return problems


#: A Solana public key in base58: 32 bytes are 32 to 44 characters of the bitcoin alphabet.
_BASE58_KEY = re.compile(r"[1-9A-HJ-NP-Za-km-z]{32,44}")


def _grpc_problems(values: Mapping[str, Any]) -> list[str]:
    """The yellowstone source's rules: an endpoint it can dial."""
    url = _secret_text(values.get("grpc_url"))
    if url is None:
        sources = _source_names(values.get("source", ["synthetic"]))
        return ["source=yellowstone needs grpc_url"] if "yellowstone" in sources else []
    try:
        parts = urlsplit(str(url))
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        return ["grpc_url: not a usable URL"]
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return ["grpc_url: must be http://host:port (plaintext) or https://host[:port] (TLS)"]
    return []


def _secret_text(value: Any) -> str | None:
    return value.get_secret_value() if isinstance(value, SecretStr) else value


def _source_names(value: Any) -> list[str]:
    """The `source` names, validated or (after a field error) raw text."""
    if isinstance(value, str):
        return [part.strip() for part in value.strip("[]").replace('"', "").split(",")]
    return [str(name) for name in value] if isinstance(value, (list, tuple)) else []


def _address_problems(values: Mapping[str, Any]) -> list[str]:
    """The forms of the sink's and source's addresses. A problem names the field, never the
    address: it may carry a password."""
    problems = []
    sink_url = _secret_text(values.get("sink_url"))
    if values.get("sink") == "webhook" and isinstance(sink_url, str):
        try:
            parts = urlsplit(sink_url)
            parts.port  # noqa: B018 - raises ValueError for a port that is not a number
        except ValueError:
            problems.append("sink_url: not a usable webhook URL")
        else:
            if parts.scheme not in ("http", "https") or not parts.hostname:
                problems.append("sink_url: the webhook URL must be http:// or https:// with a host")
            elif (parts.username is not None or parts.password is not None) and _secret_text(
                values.get("sink_token")
            ):
                problems.append(
                    "sink_url carries credentials and sink_token is set too; give one of them"
                )
    sources = _source_names(values.get("source", ["synthetic"]))
    for role, field in (("source", "source_url"), ("sink", "sink_url")):
        brokers = _secret_text(values.get(field))
        uses_kafka = "kafka" in sources if role == "source" else values.get("sink") == "kafka"
        if not uses_kafka or not isinstance(brokers, str):
            continue
        entries = [_without_scheme(entry.strip()).rstrip("/") for entry in brokers.split(",")]
        if any("@" in entry for entry in entries):
            problems.append(
                f"{field}: Kafka brokers are host:port; "
                "credentials in the address are not supported"
            )
        elif not any(entries):
            problems.append(f"{field}: no Kafka broker given (expected host:port[,host:port...])")
    return problems


def _without_scheme(broker: str) -> str:
    for scheme in ("kafka://", "tcp://", "plaintext://"):
        if broker.lower().startswith(scheme):
            return broker[len(scheme) :]
    return broker


def _with_environ(environ: Mapping[str, str], merged: dict[str, Any]) -> SnifferConfig:
    """Build from an explicit environment (tests) without touching `os.environ`."""
    saved = dict(os.environ)
    try:
        os.environ.clear()
        os.environ.update(environ)
        return SnifferConfig(**merged)
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _describe(exc: ValidationError) -> list[str]:
    lines = []
    for error in exc.errors(include_url=False):
        if error["type"] == "default_factory_not_called":
            continue  # a default derived from a field that failed: that field's error says it
        # A list item's index is left out: ``launchpads='pumpfun'`` names the field and the value.
        loc = ".".join(str(part) for part in error["loc"] if not isinstance(part, int))
        loc = loc or "configuration"
        msg = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            lines.append(f"{loc}={error['input']!r}: unknown setting (no such field)")
        elif loc == "configuration":
            lines.append(f"configuration: {msg}")
        else:
            lines.append(f"{loc}={error['input']!r}: {msg}")
    return lines


def _describe_settings_error(exc: SettingsError, environ: Mapping[str, str]) -> str:
    # pydantic-settings words this as 'error parsing value for field "x" from source "Env..."'.
    match = re.search(r'field "([^"]+)"', str(exc))
    if match:
        field = match.group(1)
        value = environ.get(ENV_PREFIX + field.upper(), "")
        return f"{ENV_PREFIX}{field.upper()}={value!r}: not valid JSON (lists are given as JSON)"
    return f"configuration: {exc}"
