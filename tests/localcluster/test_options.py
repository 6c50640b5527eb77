"""The launcher's plain parts: its command line (what it keeps, what it passes on to every
process, what it refuses), the ports and addresses, and the sum of the final snapshots."""

from __future__ import annotations

import socket

import pytest

from domain.metrics import SNAPSHOT_KEYS
from localcluster.jobrun import is_network_line, parse_snapshot
from localcluster.options import addresses, free_port_run, parse_args, sum_snapshots


def test_launcher_arguments() -> None:
    options = parse_args(["-n", "3", "-w", "2", "--base-port", "2101", "-r", "rec", "-s", "1"])
    assert (options.processes, options.base_port) == (3, 2101)
    assert options.bytewax_args == ["-w", "2", "-r", "rec", "-s", "1"]
    # After --, everything goes to bytewax.run as is, even what looks like a launcher option.
    assert parse_args(["-b", "0", "--", "-n", "5"]).bytewax_args == ["-b", "0", "-n", "5"]
    for own in (["-i", "1"], ["-a", "x:1"], ["--process-id=1"], ["--", "--addresses", "x:1"]):
        with pytest.raises(SystemExit):
            parse_args(own)


def test_sum_of_snapshots() -> None:
    one = dict.fromkeys(SNAPSHOT_KEYS, 1) | {"stream_buffer_capacity": 2048, "uptime_s": 2.5}
    two = dict.fromkeys(SNAPSHOT_KEYS, 2) | {"stream_buffer_capacity": 2048, "uptime_s": 1.5}
    total = sum_snapshots([one, two])
    assert total["tx_seen"] == total["candidates_sent"] == 3
    assert (total["stream_buffer_capacity"], total["uptime_s"]) == (2048, 2.5)


def test_a_free_run_of_ports_can_be_bound_and_named() -> None:
    base = free_port_run(3)
    socks = []
    try:
        for port in range(base, base + 3):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            socks.append(sock)
            sock.bind(("127.0.0.1", port))
    finally:
        for sock in socks:
            sock.close()
    assert addresses("h", base, 2) == f"h:{base};h:{base + 1}"


def test_a_final_snapshot_is_told_from_other_lines() -> None:
    line = b"{" + b",".join(f'"{key}":0'.encode() for key in SNAPSHOT_KEYS) + b"}"
    assert parse_snapshot(line) == dict.fromkeys(SNAPSHOT_KEYS, 0)
    assert parse_snapshot(b'{"tx_seen": 1}') is None
    assert parse_snapshot(b"not json") is None
    assert is_network_line("worker 1:\terror connecting to worker 0; retrying")
    assert not is_network_line('{"signature": "worker 1:"}')
