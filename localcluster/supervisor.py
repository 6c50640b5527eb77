"""The supervisor of a local cluster: N processes of the job started together, their output
merged in whole lines, signals forwarded once, a failing process stopping the rest, and a kill
deadline for processes that no longer answer signals."""

from __future__ import annotations

import contextlib
import ctypes
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import FrameType
from typing import IO

import orjson

from localcluster.jobrun import NETWORK_LINE, job_command, parse_snapshot
from localcluster.options import Options, addresses, free_port_run, sum_snapshots

PREFIX = "sniffer-cluster:"

_POLL_S = 0.05


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
    """Process k runs the job with ``-i k -a ADDRESSES`` and the launcher's other arguments, in
    a session of its own (a terminal's Ctrl-C reaches it once, through here).

    - stdout: the candidates of every process, whole lines only; the network layer's retry
      notices go to stderr instead.
    - stderr: process k's lines prefixed ``[k] ``, the launcher's own prefixed `PREFIX`, and
      last, when every process exited 0 with its snapshot, the sum of the final snapshots.
    - SIGINT/SIGTERM are forwarded once each; a failing process gets the others SIGTERM; what
      still runs `kill_after` seconds after either is killed.
    - `run()` returns 0, or the exit status of the first process that failed.
    """

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
            base = free_port_run(options.processes, options.host)
        cluster_addresses = addresses(options.host, base, options.processes)
        self.log(f"{options.processes} processes, addresses {cluster_addresses}")
        preexec = _parent_death_signal()
        for index in range(options.processes):
            command = job_command("-i", str(index), "-a", cluster_addresses)
            command += options.bytewax_args
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

    def _signal_running(self, signum: int) -> str:
        """Send `signum` to every process still running; their indexes ("0, 1"), "" if none."""
        running = self._running()
        self._send(running, signum)
        return ", ".join(str(m.index) for m in running)

    def _step(self) -> None:
        """Forward new signals, notice exits, and kill what outlives its deadline."""
        while self._forwarded < len(self._signals):
            signum = self._signals[self._forwarded]
            self._forwarded += 1
            if them := self._signal_running(signum):
                self.log(f"{signal.Signals(signum).name}: forwarded to processes {them}")
                self._arm_kill_timer()
        for member in self.members:
            code = member.proc.poll()
            if code is None or member.reported:
                continue
            member.reported = True
            self.log(f"process {member.index} exited with code {exit_status(code)}")
            if code != 0 and self._first_failure is None:
                self._first_failure = exit_status(code)
                if self._signal_running(signal.SIGTERM):
                    self.log(
                        f"process {member.index} failed: stopping the others (SIGTERM; SIGKILL"
                        f" after {self.kill_after:g} s)"
                    )
                self._arm_kill_timer()
        if self._kill_at is not None and time.monotonic() >= self._kill_at:
            if them := self._signal_running(signal.SIGKILL):
                self.log(f"still running after {self.kill_after:g} s: killing processes {them}")
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
