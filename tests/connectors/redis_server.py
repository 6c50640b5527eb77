"""A real `redis-server` for tests, on a free loopback port, without persistence.

`RedisServer` starts ``redis-server --port P --bind 127.0.0.1 --save "" --appendonly no`` in a
temporary directory, waits until PING answers (a bounded poll), and kills it at the end. It can be
stopped and started again on the same port to play an outage (the data is gone afterwards, as it
would be for a Redis without persistence). Nothing here skips: without the binary, or when the
server does not come up, the test fails with the server's own output. `scripts/system-deps.sh`
installs the Debian package ``redis-server``.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import redis

from tests.waiting import wait_for

#: How long a server may take to answer PING after it was started (it is ready in milliseconds).
START_TIMEOUT_S = 20.0

T = TypeVar("T")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def poll(probe: Callable[[], T | None], what: str, timeout_s: float = 20.0) -> T:
    """Call `probe` until it returns something truthy and return that; fail after `timeout_s`
    saying what did not happen. A bounded wait, never a timing assertion."""
    return wait_for(probe, what, timeout=timeout_s, interval=0.01)


def redis_server_binary() -> str:
    path = shutil.which("redis-server")
    assert path is not None, (
        "`redis-server` is not installed: run scripts/system-deps.sh as root (Debian package"
        " `redis-server`), or scripts/test.sh, which does"
    )
    return path


class RedisServer:
    """One ``redis-server`` on 127.0.0.1 in `workdir`, optionally with a password."""

    def __init__(self, workdir: Path, password: str | None = None) -> None:
        self.workdir = workdir
        self.password = password
        self.port = free_port()
        self._process: subprocess.Popen[bytes] | None = None
        self._log = workdir / "redis-server.log"

    @property
    def url(self) -> str:
        auth = f":{self.password}@" if self.password else ""
        return f"redis://{auth}127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        """A plain client for the test's own reads and writes (bytes in, bytes out)."""
        return redis.Redis(
            host="127.0.0.1",
            port=self.port,
            password=self.password,
            socket_timeout=5,
            socket_connect_timeout=5,
            protocol=2,
        )

    def start(self) -> RedisServer:
        """Start (or start again, on the same port) and wait until PING answers."""
        assert self._process is None, "already running"
        self.workdir.mkdir(parents=True, exist_ok=True)
        args = [
            redis_server_binary(),
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(self.workdir),
            "--logfile",
            "",
        ]
        if self.password:
            args += ["--requirepass", self.password]
        with self._log.open("ab") as out:
            self._process = subprocess.Popen(
                args, cwd=self.workdir, stdout=out, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if self._process.poll() is not None:
                code = self._process.returncode
                self._process = None
                raise AssertionError(
                    f"redis-server exited with {code} on port {self.port}:\n{self.output()}"
                )
            if self._answers_ping():
                return self
            if time.monotonic() >= deadline:
                self.stop()
                raise AssertionError(
                    f"redis-server on port {self.port} did not answer PING within "
                    f"{START_TIMEOUT_S:.0f} s:\n{self.output()}"
                )
            time.sleep(0.01)

    def stop(self) -> None:
        """Kill the server and wait until it is gone (its data goes with it)."""
        process, self._process = self._process, None
        if process is None:
            return
        process.kill()
        process.wait(timeout=10)

    def output(self) -> str:
        try:
            return self._log.read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    def _answers_ping(self) -> bool:
        client = self.client()
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False
        finally:
            client.close()


def start_redis(workdir: Path, password: str | None = None) -> RedisServer:
    """A started server; a port taken between choosing and binding is retried on another."""
    last: AssertionError | None = None
    for _ in range(3):
        server = RedisServer(workdir, password)
        try:
            return server.start()
        except AssertionError as exc:
            last = exc
    assert last is not None
    raise last
