"""The launcher's command line, the ports its processes listen on, and the sum of their final
snapshots: the parts of a local cluster that are plain functions, tested without processes."""

from __future__ import annotations

import argparse
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from domain.metrics import SNAPSHOT_KEYS

#: Snapshot keys that are not counts: the per-buffer capacity is the same in every process, the
#: uptime of the cluster is that of its longest-running process.
_MAX_KEYS = frozenset({"stream_buffer_capacity", "uptime_s"})

#: Flags the launcher sets itself for every process.
_OWN_FLAGS = ("-i", "--process-id", "-a", "--addresses")


@dataclass
class Options:
    processes: int
    host: str
    base_port: int | None
    kill_after: float | None
    bytewax_args: list[str]


def parse_args(argv: Sequence[str]) -> Options:
    parser = argparse.ArgumentParser(
        prog="python -m localcluster",
        description="Run the sniffer as a cluster of N local processes. Arguments it does not"
        " know (and everything after --) go to every `python -m bytewax.run flows.sniffer`.",
        allow_abbrev=False,
    )
    parser.add_argument(
        "-n", "--processes", type=int, default=2, help="number of processes (default 2)"
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address the processes listen on (default 127.0.0.1)"
    )
    parser.add_argument(
        "--base-port",
        type=int,
        default=None,
        help="process k listens on base-port + k (default: a free run of ports)",
    )
    parser.add_argument(
        "--kill-after",
        type=float,
        default=None,
        help="seconds after the first signal or failure before processes still running are"
        " killed (default: graceful_shutdown_timeout_ms + 10 s)",
    )
    argv = list(argv)
    passthrough: list[str] = []
    if "--" in argv:
        cut = argv.index("--")
        argv, passthrough = argv[:cut], argv[cut + 1 :]
    known, unknown = parser.parse_known_args(argv)
    bytewax_args = unknown + passthrough
    if known.processes < 1:
        parser.error(f"--processes={known.processes}: must be at least 1")
    if known.base_port is not None and not 0 < known.base_port <= 65536 - known.processes:
        parser.error(f"--base-port={known.base_port}: ports base-port .. base-port + n - 1")
    if known.kill_after is not None and known.kill_after <= 0:
        parser.error(f"--kill-after={known.kill_after}: must be > 0")
    for arg in bytewax_args:
        flag = arg.split("=", 1)[0]
        if flag in _OWN_FLAGS or (flag[:2] in ("-i", "-a") and not flag.startswith("--")):
            parser.error(f"{arg}: the launcher sets -i and -a of every process itself")
    return Options(known.processes, known.host, known.base_port, known.kill_after, bytewax_args)


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port on `host` that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def free_port_run(count: int, host: str = "127.0.0.1") -> int:
    """A port p such that p .. p + count - 1 are free on `host` right now."""
    for _ in range(200):
        first = free_port(host)
        if first + count > 65536:
            continue
        socks: list[socket.socket] = []
        try:
            for port in range(first, first + count):
                sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                socks.append(sock)
                sock.bind((host, port))
            return first
        except OSError:
            continue
        finally:
            for sock in socks:
                sock.close()
    raise OSError(f"no {count} consecutive free ports on {host}")


def addresses(host: str, base_port: int, count: int) -> str:
    """The `-a` argument: ``host:port`` of every process, separated by ``;``."""
    return ";".join(f"{host}:{base_port + k}" for k in range(count))


def sum_snapshots(snapshots: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The cluster's totals: counts summed, capacity and uptime the largest."""
    total: dict[str, Any] = {}
    for key in SNAPSHOT_KEYS:
        values = [snapshot[key] for snapshot in snapshots]
        total[key] = max(values) if key in _MAX_KEYS else sum(values)
    return total
