"""What many test modules share, offered once as fixtures.

- `entry_point`: runs an in-process dataflow single-worker (`run_main`) and with two workers
  (`cluster_main`), as Bytewax's own tests do; a test taking it runs once per entry point.
- `job_topology`: runs the real job one process with two workers, or as two processes through
  the local-cluster launcher; for end-to-end tests whose result must not depend on the layout.
- `started`: processes a test starts, killed (with their children) if still running at the end.
- `all_logs`: `caplog` at DEBUG for every logger, for the tests that look for leaked secrets.
- The outside systems, each started at most once per session: `redis_server`, `kafka_broker`,
  `http_server`; and `ws_server`, a factory (each websocket test scripts its own scenario).
  The server classes live beside the connector tests; they are imported only when a fixture is
  used, so a missing client library fails only the tests that need it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from localcluster.jobrun import JobResult, run_cluster, run_job
from tests.jobs import ENTRY_POINTS, EntryPoint

if TYPE_CHECKING:
    from tests.connectors.http_server import HttpServer
    from tests.connectors.kafka_broker import TansuBroker
    from tests.connectors.redis_server import RedisServer
    from tests.connectors.ws_server import SolanaWsServer

JobRunner = Callable[[dict[str, str]], JobResult]


@pytest.fixture(params=list(ENTRY_POINTS))
def entry_point(request: pytest.FixtureRequest) -> EntryPoint:
    """Run a dataflow to its end: single worker, then two workers."""
    return ENTRY_POINTS[request.param]


JOB_TOPOLOGIES: dict[str, JobRunner] = {
    "one-process-2w": lambda settings: run_job(settings, "-w", "2"),
    "two-processes": lambda settings: run_cluster(settings, 2),
}


@pytest.fixture(params=list(JOB_TOPOLOGIES))
def job_topology(request: pytest.FixtureRequest) -> JobRunner:
    """Run the real job to its end with more than one worker: threads, then processes."""
    return JOB_TOPOLOGIES[request.param]


def children_of(pid: int) -> list[int]:
    """Processes whose parent is `pid` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid ...: comm may hold spaces, so split after its closing paren.
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


@pytest.fixture
def started() -> Iterator[list[subprocess.Popen[Any]]]:
    """Every process a test starts; whatever still runs at the end is killed, with the
    processes it started itself (a launcher's)."""
    procs: list[subprocess.Popen[Any]] = []
    try:
        yield procs
    finally:
        for proc in procs:
            if proc.poll() is None:
                for child in children_of(proc.pid):
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(child, signal.SIGKILL)
                proc.kill()
            proc.communicate(timeout=30)


@pytest.fixture
def all_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """`caplog` capturing every logger from DEBUG up: for the tests that check a secret never
    reaches a log line, whichever library writes it."""
    caplog.set_level(logging.DEBUG)
    return caplog


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """One redis-server for the session; a test uses keys of its own."""
    from tests.connectors.redis_server import start_redis

    server = start_redis(tmp_path_factory.mktemp("redis"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def kafka_broker() -> Iterator[TansuBroker]:
    """One Kafka broker for the session; a test uses topics of its own (`unique_topic`)."""
    from tests.connectors.kafka_broker import running_broker

    yield from running_broker()


@pytest.fixture(scope="session")
def http_server() -> Iterator[HttpServer]:
    """One scriptable HTTP endpoint for the session; a test scripts its own answers."""
    from tests.connectors.http_server import HttpServer

    with HttpServer() as server:
        yield server


@pytest.fixture
def ws_server() -> Iterator[Callable[..., SolanaWsServer]]:
    """`ws_server(scenario, **options)`: a started Solana websocket server, stopped (and its
    scenario's errors raised) when the test ends."""
    from tests.connectors.ws_server import SolanaWsServer

    with contextlib.ExitStack() as stack:

        def start(*args: Any, **kwargs: Any) -> SolanaWsServer:
            return stack.enter_context(SolanaWsServer(*args, **kwargs))

        yield start
