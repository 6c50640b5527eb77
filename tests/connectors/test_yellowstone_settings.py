"""The yellowstone source's settings: validated with one line per problem, the token kept out of
every repr, the default programs those of `launchpads`, and the job's wiring (the source it
builds, the line when the grpc extra is missing)."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry

from connectors.yellowstone.settings import mask_token, target_of
from connectors.yellowstone.source import YellowstoneSource, exit_job
from domain.config import ConfigError, load_config
from domain.metrics import Metrics
from flows.endpoints import make_source
from flows.settings import yellowstone_settings
from solwire.launchpads import BY_NAME
from tests.flows.test_endpoints import RUN_WITHOUT, _python

TOKEN = "tok-0123456789abcdef"


def config_problems(**env: str) -> list[str]:
    try:
        load_config({f"SNIFFER_{k.upper()}": v for k, v in env.items()})
    except ConfigError as exc:
        return exc.problems
    return []


def test_the_job_builds_the_source_the_settings_describe() -> None:
    config = load_config(
        {
            "SNIFFER_SOURCE": "yellowstone",
            "SNIFFER_GRPC_URL": "https://grpc.example.com",
            "SNIFFER_GRPC_TOKEN": TOKEN,
            "SNIFFER_GRPC_COMMITMENT": "confirmed",
            "SNIFFER_GRPC_SILENCE_TIMEOUT_S": "12.5",
            "SNIFFER_LAUNCHPADS": "pump_fun,raydium_launchlab",
        }
    )
    source = make_source(config, Metrics(CollectorRegistry()))
    assert isinstance(source, YellowstoneSource)
    assert source.on_fatal is exit_job
    s = source.settings
    assert (s.url, s.token, s.commitment, s.silence_timeout_s) == (
        "https://grpc.example.com",
        TOKEN,
        "confirmed",
        12.5,
    )
    assert s.programs == (BY_NAME["pump_fun"].program, BY_NAME["raydium_launchlab"].program)
    assert s.max_message_bytes == 64 * 1024 * 1024
    assert TOKEN not in repr(config) + repr(s) + repr(source) + str(config.model_dump())


def test_explicit_programs_win() -> None:
    program = BY_NAME["pump_swap"].program
    config = load_config(
        {
            "SNIFFER_SOURCE": "yellowstone",
            "SNIFFER_GRPC_URL": "http://127.0.0.1:10000",
            "SNIFFER_GRPC_PROGRAMS": f'["{program}"]',
        }
    )
    assert yellowstone_settings(config).programs == (program,)
    assert yellowstone_settings(config).token is None


@pytest.mark.parametrize(
    ("env", "problem"),
    [
        ({"source": "yellowstone"}, "source=yellowstone needs grpc_url"),
        ({"source": "yellowstone", "grpc_url": "grpc.example.com:443"}, "grpc_url: must be"),
        ({"source": "yellowstone", "grpc_url": "https://h:port"}, "grpc_url: not a usable URL"),
        ({"grpc_commitment": "latest"}, "grpc_commitment"),
        ({"grpc_silence_timeout_s": "0"}, "grpc_silence_timeout_s"),
        ({"grpc_max_message_bytes": "1024"}, "grpc_max_message_bytes"),
        ({"grpc_programs": '["not-a-key"]'}, "'not-a-key' is not a base58 program id"),
        ({"grpc_programs": "[]"}, "at least one program id is needed"),
    ],
)
def test_each_problem_is_one_line(env: dict[str, str], problem: str) -> None:
    problems = config_problems(**env)
    assert len(problems) == 1, problems
    assert problem in problems[0]


def test_every_problem_at_once() -> None:
    problems = config_problems(
        source="yellowstone", grpc_commitment="latest", grpc_max_message_bytes="1"
    )
    assert len(problems) == 3, problems


def test_targets_and_masks() -> None:
    assert target_of("https://grpc.example.com") == ("grpc.example.com:443", True)
    assert target_of("http://127.0.0.1:10000/") == ("127.0.0.1:10000", False)
    assert target_of("http://[::1]:9") == ("[::1]:9", False)
    with pytest.raises(ValueError):
        target_of("grpc://x:1")
    assert mask_token(f"bad token {TOKEN}!", TOKEN) == "bad token ***!"


@pytest.mark.e2e
def test_a_missing_grpc_extra_exits_2_with_one_line_naming_it() -> None:
    settings = {"SNIFFER_SOURCE": "yellowstone", "SNIFFER_GRPC_URL": "http://127.0.0.1:9"}
    done = _python(RUN_WITHOUT, settings, "grpc")
    assert done.returncode == 2, done.stderr[-2000:]
    line = "sniffer: source=yellowstone needs the optional dependency grpcio: "
    line += "pip install 'premint-sniffer[grpc]'"
    assert [text for text in done.stderr.splitlines() if text.startswith("sniffer:")] == [line]
    assert "Traceback" not in done.stderr


@pytest.mark.e2e
def test_only_a_yellowstone_job_loads_grpc() -> None:
    code = (
        "import sys, flows.sniffer; print('grpc' in sys.modules, 'google.protobuf' in sys.modules)"
    )
    other = _python(code, {"SNIFFER_SYNTHETIC_TOTAL": "1"})
    assert other.returncode == 0, other.stderr[-2000:]
    assert other.stdout.splitlines()[-1] == "False False"
    settings = {"SNIFFER_SOURCE": "yellowstone", "SNIFFER_GRPC_URL": "http://127.0.0.1:9"}
    mine = _python(code, settings)
    assert mine.returncode == 0, mine.stderr[-2000:]
    assert mine.stdout.splitlines()[-1] == "True True"
