"""A local cluster: N processes of `python -m bytewax.run flows.sniffer` on this machine, started,
watched and stopped together (`scripts/run-cluster.sh` runs this module).

    python -m flows.cluster -n 2                      # 2 processes, free ports on 127.0.0.1
    python -m flows.cluster -n 3 --base-port 2101 -w 2 -r recovery -s 1 -b 0

Process k runs ``python -m bytewax.run flows.sniffer -i k -a "HOST:P0;HOST:P1;..."`` plus every
argument this module does not know itself (after ``--`` everything is passed on as is), with this
process's environment, so the `SNIFFER_*` settings reach every process alike.

- Standard output carries the candidates of all processes, whole lines only. The networking layer
  under Bytewax prints "worker 1: error connecting to worker 0 ...; retrying" on its standard
  output while a peer is not listening yet; such lines go to standard error instead.
- Standard error carries every line of process k prefixed with ``[k] ``, this launcher's own lines
  prefixed with ``sniffer-cluster:``, and at the end, when every process exited 0 with its final
  snapshot, one unprefixed line: the sum of the processes' final snapshots (the contract's
  conservation laws hold over it). So, as with a single process, the last line on stderr is the
  snapshot.
- SIGINT and SIGTERM are forwarded, once each, to every process still running: each runs its own
  graceful drain (a second signal stops them at once, as it does a single process). The processes
  run in sessions of their own, so a Ctrl-C at a terminal reaches them once, through here, not
  twice. On Linux a process also receives SIGTERM if this launcher dies.
- When a process fails (exit code not 0), the others get SIGTERM: a Bytewax cluster cannot go on
  without one of its processes.
- After the first signal or failure, processes still running `--kill-after` seconds later are
  killed (SIGKILL): a process still waiting for a peer that never comes does not see signals.
- The exit code is 0 when every process exited 0, else that of the first process that failed
  (128 + N for a process ended by signal N).
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import FrameType
from typing import IO, Any

import orjson

from domain.config import ConfigError, load_config
from domain.metrics import SNAPSHOT_KEYS

PREFIX = "sniffer-cluster:"

#: What the networking layer prints on stdout while it retries a connection to a peer.
NETWORK_LINE = re.compile(rb"^worker \d+:\t")

#: Snapshot keys that are not counts: the per-buffer capacity is the same in every process, the
#: uptime of the cluster is that of its longest-running process.
_MAX_KEYS = frozenset({"stream_buffer_capacity", "uptime_s"})

#: Flags this launcher sets itself for every process.
_OWN_FLAGS = ("-i", "--process-id", "-a", "--addresses")

_POLL_S = 0.05


@dataclass
class Options:
    processes: int
    host: str
    base_port: int | None
    kill_after: float | None
    bytewax_args: list[str]


def parse_args(argv: Sequence[str]) -> Options:
    parser = argparse.ArgumentParser(
        prog="python -m flows.cluster",
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


def free_port_run(host: str, count: int) -> int:
    """A port p such that p .. p + count - 1 are free on `host` right now."""
    for _ in range(200):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.bind((host, 0))
            first = int(probe.getsockname()[1])
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


def parse_snapshot(line: bytes) -> dict[str, Any] | None:
    """`line` as a final snapshot, or None if it is not one."""
    try:
        value = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(value, dict) or any(key not in value for key in SNAPSHOT_KEYS):
        return None
    return value


def exit_status(returncode: int) -> int:
    """A child's return code as a shell would report it (128 + N when ended by signal N)."""
    return 128 - returncode if returncode < 0 else returncode


def _parent_death_signal() -> Callable[[], None] | None:
    """On Linux: a `preexec_fn` asking the kernel to send the child SIGTERM when this process
    dies, so a launcher killed with SIGKILL leaves no process behind."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    pr_set_pdeathsig = 1

    def preexec() -> None:
        prctl(pr_set_pdeathsig, int(signal.SIGTERM), 0, 0, 0)

    return preexec


@dataclass
class Member:
    """One process of the cluster."""

    index: int
    proc: subprocess.Popen[bytes]
    last_stderr_line: bytes = b""
    reported: bool = False
    pumps: list[threading.Thread] = field(default_factory=list)


class Cluster:
    def __init__(
        self,
        options: Options,
        kill_after: float,
        stdout: IO[bytes],
        stderr: IO[bytes],
    ) -> None:
        self.options = options
        self.kill_after = kill_after
        self._stdout = stdout
        self._stderr = stderr
        self._out_lock = threading.Lock()
        self._err_lock = threading.Lock()
        self._stdout_broken = False
        self.members: list[Member] = []
        self._signals: list[int] = []
        self._forwarded = 0
        self._kill_at: float | None = None
        self._first_failure: int | None = None

    # --- output ----------------------------------------------------------------------------

    def log(self, message: str) -> None:
        self._write_err(f"{PREFIX} {message}\n".encode())

    def _write_err(self, data: bytes) -> None:
        with self._err_lock:
            try:
                self._stderr.write(data)
                self._stderr.flush()
            except OSError:
                pass

    def _write_out(self, data: bytes) -> None:
        with self._out_lock:
            if self._stdout_broken:
                return
            try:
                self._stdout.write(data)
                self._stdout.flush()
            except OSError:  # the reader went away (`| head`): keep draining the children
                self._stdout_broken = True

    def _on_stdout(self, member: Member, data: bytes) -> None:
        if b"worker " not in data:
            self._write_out(data)
            return
        lines = data.splitlines(keepends=True)
        self._write_out(b"".join(line for line in lines if not NETWORK_LINE.match(line)))
        noise = [line for line in lines if NETWORK_LINE.match(line)]
        if noise:
            self._on_stderr(member, b"".join(noise))

    def _on_stderr(self, member: Member, data: bytes) -> None:
        prefix = f"[{member.index}] ".encode()
        lines = data.splitlines(keepends=True)
        self._write_err(b"".join(prefix + line for line in lines))
        for line in reversed(lines):
            if line.strip():
                member.last_stderr_line = line.strip()
                break

    def _pump(
        self, member: Member, stream: IO[bytes], sink: Callable[[Member, bytes], None]
    ) -> None:
        """Copy `stream` to `sink` in whole lines (a last line without newline gets one)."""
        pending = b""
        read = getattr(stream, "read1", stream.read)
        while chunk := read(1 << 16):
            pending += chunk
            cut = pending.rfind(b"\n") + 1
            if cut:
                sink(member, pending[:cut])
                pending = pending[cut:]
        if pending:
            sink(member, pending + b"\n")
        stream.close()

    # --- lifecycle -------------------------------------------------------------------------

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        # Only record it: the main loop forwards it (a handler must not race the loop).
        self._signals.append(signum)

    def start(self) -> None:
        options = self.options
        base = options.base_port
        if base is None:
            base = free_port_run(options.host, options.processes)
        cluster_addresses = addresses(options.host, base, options.processes)
        self.log(f"{options.processes} processes, addresses {cluster_addresses}")
        preexec = _parent_death_signal()
        for index in range(options.processes):
            command = [
                sys.executable,
                "-m",
                "bytewax.run",
                "flows.sniffer",
                "-i",
                str(index),
                "-a",
                cluster_addresses,
                *options.bytewax_args,
            ]
            proc = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
                preexec_fn=preexec,
            )
            self.members.append(Member(index, proc))
        # Threads only once every process is started: `preexec_fn` must not run beside threads.
        for member in self.members:
            assert member.proc.stdout is not None and member.proc.stderr is not None
            for stream, sink in (
                (member.proc.stdout, self._on_stdout),
                (member.proc.stderr, self._on_stderr),
            ):
                pump = threading.Thread(
                    target=self._pump,
                    args=(member, stream, sink),
                    name=f"cluster-pump-{member.index}",
                    daemon=True,
                )
                pump.start()
                member.pumps.append(pump)

    def _running(self) -> list[Member]:
        return [m for m in self.members if m.proc.poll() is None]

    def _send(self, members: list[Member], signum: int) -> None:
        for member in members:
            with contextlib.suppress(ProcessLookupError):
                member.proc.send_signal(signum)

    def _arm_kill_timer(self) -> None:
        if self._kill_at is None:
            self._kill_at = time.monotonic() + self.kill_after

    def _step(self) -> None:
        """Forward new signals, notice exits, and kill what outlives its deadline."""
        while self._forwarded < len(self._signals):
            signum = self._signals[self._forwarded]
            self._forwarded += 1
            running = self._running()
            if not running:
                continue
            self._send(running, signum)
            name = signal.Signals(signum).name
            self.log(f"{name}: forwarded to processes {', '.join(str(m.index) for m in running)}")
            self._arm_kill_timer()
        for member in self.members:
            code = member.proc.poll()
            if code is None or member.reported:
                continue
            member.reported = True
            self.log(f"process {member.index} exited with code {exit_status(code)}")
            if code != 0 and self._first_failure is None:
                self._first_failure = exit_status(code)
                running = self._running()
                if running:
                    self.log(
                        f"process {member.index} failed: stopping the others (SIGTERM; SIGKILL"
                        f" after {self.kill_after:g} s)"
                    )
                    self._send(running, signal.SIGTERM)
                self._arm_kill_timer()
        if self._kill_at is not None and time.monotonic() >= self._kill_at:
            running = self._running()
            if running:
                self.log(
                    f"still running after {self.kill_after:g} s: killing processes"
                    f" {', '.join(str(m.index) for m in running)}"
                )
                self._send(running, signal.SIGKILL)
            self._kill_at = None

    def wait(self) -> int:
        while self._running():
            self._step()
            time.sleep(_POLL_S)
        self._step()
        for member in self.members:
            for pump in member.pumps:
                pump.join()
        if self._first_failure is not None:
            return self._first_failure
        snapshots = [parse_snapshot(m.last_stderr_line) for m in self.members]
        if all(snapshot is not None for snapshot in snapshots):
            total = sum_snapshots([s for s in snapshots if s is not None])
            self._write_err(orjson.dumps(total) + b"\n")
        return 0

    def run(self) -> int:
        previous = {
            signum: signal.signal(signum, self._on_signal)
            for signum in (signal.SIGINT, signal.SIGTERM)
        }
        try:
            self.start()
            return self.wait()
        finally:
            for member in self._running():  # only if this launcher itself failed
                member.proc.kill()
            for signum, handler in previous.items():
                signal.signal(signum, handler)


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_args(sys.argv[1:] if argv is None else argv)
    # Every process reads the same configuration: a bad one is reported once, here, the way a
    # single process reports it (one line per problem, exit 2), and no process is started.
    try:
        config = load_config()
    except ConfigError as exc:
        for problem in exc.problems:
            print(f"sniffer: configuration error: {problem}", file=sys.stderr)
        return 2
    kill_after = options.kill_after
    if kill_after is None:
        kill_after = config.graceful_shutdown_timeout_ms / 1000 + 10.0
    cluster = Cluster(options, kill_after, sys.stdout.buffer, sys.stderr.buffer)
    return cluster.run()


if __name__ == "__main__":
    sys.exit(main())
