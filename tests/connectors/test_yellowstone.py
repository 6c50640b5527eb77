"""The yellowstone source against a real gRPC server (tests/connectors/yellowstone_server.py)
streaming the shared fixtures' real mainnet transactions: every launch found with its mint; a
broken stream resumed from the last slot with nothing lost or repeated; silence left; pings
answered; a refused token stops the source with one clear line; bad messages counted."""

from __future__ import annotations

import logging
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from prometheus_client import CollectorRegistry

from connectors.yellowstone import geyser_pb2 as pb
from connectors.yellowstone.settings import YellowstoneError, YellowstoneSettings
from connectors.yellowstone.source import YellowstonePartition, YellowstoneSource
from domain.metrics import Metrics
from domain.models import Launch, RawFrame
from operators.decode import decode_frame
from solwire.programs import PUMP_FUN
from tests.connectors.yellowstone_server import Session, YellowstoneServer, update_of
from tests.real_txs import get_transaction_result, manifest
from tests.waiting import take_items, wait_for

TOKEN = "s3cret-token-0123456789"
#: The real transactions, in slot order (as a server streams them).
UPDATES = sorted(
    (update_of(get_transaction_result(entry)) for entry in manifest().values()),
    key=lambda update: update.transaction.slot,
)
MINTS = {entry["mint"] for entry in manifest().values() if not entry["failed"]}


def sample(metrics: Metrics, name: str, **labels: str) -> float:
    value = metrics.registry.get_sample_value(name, {"source": "yellowstone", **labels})
    return 0.0 if value is None else value


def settings(url: str, **overrides: Any) -> YellowstoneSettings:
    values: dict[str, Any] = {
        "url": url,
        "token": TOKEN,
        "programs": (PUMP_FUN,),
        "reconnect_initial_s": 0.02,
        "reconnect_max_s": 0.1,
        "silence_timeout_s": 30.0,
    }
    values.update(overrides)
    return YellowstoneSettings(**values)


@pytest.fixture
def metrics() -> Metrics:
    return Metrics(CollectorRegistry())


@pytest.fixture
def open_part(metrics: Metrics) -> Iterator[Any]:
    parts: list[YellowstonePartition] = []

    def build(url: str, resume: int | None = None, **overrides: Any) -> YellowstonePartition:
        source = YellowstoneSource(settings(url, **overrides), metrics)
        part = source.build_part("in", "yellowstone-0", resume)
        parts.append(part)
        return part

    yield build
    for part in parts:
        part.close()


def take(part: YellowstonePartition, count: int) -> list[RawFrame]:
    return take_items(part.next_batch, count, lambda probe, what: wait_for(probe, what, 30))


def launch_mints(frames: list[RawFrame]) -> list[str | None]:
    found = [decode_frame(frame, time.time()) for frame in frames]
    return [item.mint for item in found if isinstance(item, Launch)]


def stream_all(session: Session) -> None:
    for update in UPDATES:
        session.send(update)
    session.hold()


def test_every_launch_found_with_its_mint(open_part: Any, metrics: Metrics) -> None:
    with YellowstoneServer(stream_all) as server:
        part = open_part(server.url)
        frames = take(part, len(UPDATES))
        (session,) = server.sessions
        request = session.request
    assert len(frames) == len(UPDATES)
    assert all(frame.source == "yellowstone" for frame in frames)
    mints = launch_mints(frames)
    assert sorted(mints) == sorted(MINTS)  # failed launches ignored, every other one found
    # What the server was asked: the token, the launchpad filter, processed, the live head.
    assert session.metadata["x-token"] == TOKEN
    wanted = request.transactions["launchpads"]
    assert list(wanted.account_include) == [PUMP_FUN]
    assert (wanted.vote, wanted.failed) == (False, False)
    assert request.commitment == pb.CommitmentLevel.Value("PROCESSED")
    assert not request.HasField("from_slot")
    assert part.snapshot() == UPDATES[-1].transaction.slot
    assert sample(metrics, "sniffer_source_dropped_total") == 0


def test_a_broken_stream_resumes_from_the_last_slot_without_loss_or_repeat(
    open_part: Any, metrics: Metrics
) -> None:
    half = len(UPDATES) // 2
    last_before = UPDATES[half - 1].transaction.slot

    def first(session: Session) -> None:
        for update in UPDATES[:half]:
            session.send(update)
        wait_for(lambda: part.client.received >= half, "the first half to arrive")
        session.abort(grpc.StatusCode.UNAVAILABLE, "node restarting")

    def second(session: Session) -> None:
        # A real server replays from from_slot: that slot's transactions again, then the rest.
        start = session.from_slot
        assert start is not None
        for update in UPDATES:
            if update.transaction.slot >= start:
                session.send(update)
        session.hold()

    with YellowstoneServer(first, second) as server:
        part = open_part(server.url)
        frames = take(part, len(UPDATES))
        assert server.sessions[1].from_slot == last_before
        assert sample(metrics, "sniffer_source_reconnects_total") == 1
        assert sample(metrics, "sniffer_source_gap_slots") == 0
        assert sample(metrics, "sniffer_source_errors_total", kind="connection_lost") == 1
    signatures = [frame.payload.signature for frame in frames]  # type: ignore[union-attr]
    assert len(signatures) == len(set(signatures)) == len(UPDATES)
    assert sorted(launch_mints(frames)) == sorted(MINTS)


def test_a_resumed_partition_subscribes_from_its_snapshot(open_part: Any) -> None:
    resume = UPDATES[0].transaction.slot

    def replay(session: Session) -> None:
        for update in UPDATES:
            if update.transaction.slot >= (session.from_slot or 0):
                session.send(update)
        session.hold()

    with YellowstoneServer(replay) as server:
        part = open_part(server.url, resume)
        take(part, len(UPDATES))
        assert server.sessions[0].from_slot == resume


def test_a_replay_the_server_cannot_serve_falls_back_to_the_live_head(
    open_part: Any, metrics: Metrics
) -> None:
    live = UPDATES[-1]
    resume = live.transaction.slot - 5000

    def too_old(session: Session) -> None:
        session.abort(grpc.StatusCode.OUT_OF_RANGE, f"slot {resume} is not available")

    def lost_before_anything(session: Session) -> None:
        assert session.from_slot is None
        session.abort(grpc.StatusCode.UNAVAILABLE, "restarting")

    def at_head(session: Session) -> None:
        assert session.from_slot is None  # not the refused slot again
        session.send(live)
        session.hold()

    with YellowstoneServer(too_old, lost_before_anything, at_head) as server:
        part = open_part(server.url, resume)
        (frame,) = take(part, 1)
        assert part.client.requested_from == [resume, None, None]
    assert frame.payload.slot == live.transaction.slot  # type: ignore[union-attr]
    assert sample(metrics, "sniffer_source_errors_total", kind="replay_unavailable") == 1
    assert sample(metrics, "sniffer_source_gap_slots") == 5000
    assert sample(metrics, "sniffer_source_gap_last_slot_before") == resume


def test_a_silent_server_is_left_within_the_silence_timeout(
    open_part: Any, metrics: Metrics
) -> None:
    def silent(session: Session) -> None:
        session.send(UPDATES[0])
        session.hold()  # no message, no ping: the client must leave on its own

    def then(session: Session) -> None:
        for update in UPDATES[1:]:
            session.send(update)
        session.hold()

    with YellowstoneServer(silent, then) as server:
        part = open_part(server.url, silence_timeout_s=1.0)
        frames = take(part, len(UPDATES))
        assert server.sessions[1].from_slot == UPDATES[0].transaction.slot
    assert len(frames) == len(UPDATES)
    assert sample(metrics, "sniffer_source_errors_total", kind="silent") == 1


def test_server_pings_are_answered_on_the_stream(open_part: Any) -> None:
    def pinging(session: Session) -> None:
        for _ in range(3):
            replies = len(session.ping_replies())
            session.ping()
            wait_for(lambda n=replies: len(session.ping_replies()) > n, "a ping reply")
        session.send(UPDATES[0])
        session.hold()

    with YellowstoneServer(pinging) as server:
        part = open_part(server.url)
        take(part, 1)
        assert server.sessions[0].ping_replies() == [1, 1, 1]
        assert len(server.sessions) == 1  # the pings did not cost the stream
    assert part.client.pings_answered == 3


def test_a_refused_token_stops_the_source_with_one_clear_line(
    open_part: Any, metrics: Metrics, caplog: pytest.LogCaptureFixture
) -> None:
    def refuse(session: Session) -> None:
        session.abort(grpc.StatusCode.UNAUTHENTICATED, f"invalid x-token {TOKEN}")

    fatal: list[str] = []
    with (
        caplog.at_level(logging.INFO, logger="connectors.yellowstone"),
        YellowstoneServer(refuse) as server,
    ):
        source = YellowstoneSource(settings(server.url), metrics, on_fatal=fatal.append)
        part = source.build_part("in", "yellowstone-0", None)
        try:
            wait_for(lambda: part.fatal, "the source to give up")
            with pytest.raises(YellowstoneError, match="refused the token"):
                part.next_batch()
            wait_for(lambda: not part.running, "the client thread to end")
        finally:
            part.close()
        assert len(server.sessions) == 1  # no retry of a refused token
    assert len(fatal) == 1 and "UNAUTHENTICATED" in fatal[0]
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert TOKEN not in caplog.text and TOKEN not in fatal[0]
    assert sample(metrics, "sniffer_source_errors_total", kind="unauthenticated") == 1


def test_an_oversized_message_and_a_transaction_without_meta_are_counted(
    open_part: Any, metrics: Metrics
) -> None:
    without_meta = pb.SubscribeUpdate()
    without_meta.CopyFrom(UPDATES[0])
    without_meta.transaction.transaction.ClearField("meta")
    huge = pb.SubscribeUpdate()
    huge.CopyFrom(UPDATES[1])
    huge.transaction.transaction.meta.log_messages.append("x" * 200_000)

    def bad(session: Session) -> None:
        session.send(without_meta)
        session.send(huge)
        session.hold()

    with YellowstoneServer(bad, stream_all) as server:
        part = open_part(server.url, max_message_bytes=100_000)
        frames = take(part, len(UPDATES))
        wait_for(lambda: len(server.sessions) == 2, "the resubscription")
    assert sorted(launch_mints(frames)) == sorted(MINTS)
    assert sample(metrics, "sniffer_source_errors_total", kind="no_meta") == 1
    assert sample(metrics, "sniffer_source_errors_total", kind="message_too_large") == 1
    assert part.fatal is None


def self_signed(directory: Path) -> tuple[bytes, bytes]:
    """A throwaway key and certificate for 127.0.0.1 (openssl)."""
    key, certificate = directory / "key.pem", directory / "cert.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-keyout", str(key), "-out", str(certificate), "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return key.read_bytes(), certificate.read_bytes()


def test_an_https_url_is_tls_with_the_token(open_part: Any, tmp_path: Path) -> None:
    key, certificate = self_signed(tmp_path)
    with YellowstoneServer(stream_all, tls=(key, certificate)) as server:
        assert server.url.startswith("https://")
        part = open_part(server.url, tls_root_certificates=certificate)
        frames = take(part, len(UPDATES))
        assert server.sessions[0].metadata["x-token"] == TOKEN
    assert sorted(launch_mints(frames)) == sorted(MINTS)


def test_an_https_url_refuses_a_server_it_cannot_verify(
    open_part: Any, metrics: Metrics, tmp_path: Path
) -> None:
    with YellowstoneServer(stream_all, tls=self_signed(tmp_path)) as server:
        part = open_part(server.url)  # the system's roots: the self-signed server is refused
        wait_for(
            lambda: sample(metrics, "sniffer_source_errors_total", kind="connect_failed") >= 2,
            "failed attempts, retried",
        )
        assert not server.sessions  # the token never reached a server it could not verify
    assert part.fatal is None and part.client.received == 0
