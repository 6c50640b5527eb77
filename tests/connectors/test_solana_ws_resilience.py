"""The solana_ws source when things go wrong: dropped connections (reconnect, resubscribe, the
gap measured), refused subscriptions (method not found, invalid params, rate limits), rejected
handshakes, and an API key that must never be logged whole."""

from __future__ import annotations

import asyncio
import base64
import logging

import pytest

from connectors.solana_ws.protocol import SolanaWsError
from domain.models import Launch, RawFrame
from operators.decode import decode_frame
from tests.connectors.ws_frames import (
    CREATEV2_MINT,
    INVALID_PUBKEY,
    LEGACY_MINT,
    METHOD_NOT_FOUND,
    PROGRAMS,
    PUMP_CREATE_LEGACY,
    PUMP_CREATEV2,
    RATE_LIMITED_429,
    RATE_LIMITED_32005,
    VOTE_LOGS,
    VOTE_SLOT,
    open_partition,
    sample,
)
from tests.connectors.ws_server import Session, SolanaWsServer, wait_for, with_slot
from tests.solana_samples import PUMP_FUN, RAYDIUM_AMM_V4

DETECTED_AT = 1_800_000_000.0
SOURCE_LOGGER = "connectors.solana_ws"


def drain(part: object, into: list[bytes], count: int) -> None:
    def more() -> bool:
        into.extend(f.payload for f in part.next_batch())  # type: ignore[attr-defined]
        return len(into) >= count

    wait_for(more, f"{count} frames")


# --- a connection dropped mid-stream ------------------------------------------------------------


def test_a_dropped_connection_is_reconnected_resubscribed_and_the_gap_measured() -> None:
    before = [with_slot(VOTE_LOGS, VOTE_SLOT), PUMP_CREATEV2, with_slot(VOTE_LOGS, VOTE_SLOT + 2)]
    after = [
        with_slot(VOTE_LOGS, VOTE_SLOT + 30),
        PUMP_CREATEV2,  # the overlap: delivered again after the reconnect
        PUMP_CREATE_LEGACY,
        with_slot(VOTE_LOGS, VOTE_SLOT + 31),
    ]

    async def scenario(session: Session) -> None:
        pump, raydium = await session.subscribe(2)
        if session.index == 0:
            for frame in before:
                await session.notify(frame, pump)
            session.abort()  # no close handshake: a node that went away
            return
        for frame in after:
            await session.notify(frame, raydium if frame is after[0] else pump)
        await session.hold()

    received: list[bytes] = []
    with SolanaWsServer(scenario) as server, open_partition(server.url) as (part, m):
        drain(part, received, len(before) + len(after))
        first, second = server.sessions
        # Everything resubscribed on the new connection, the same way.
        assert [r["params"] for r in second.requests] == [r["params"] for r in first.requests]
        assert [r["params"][0]["mentions"] for r in second.requests] == [
            [PUMP_FUN],
            [RAYDIUM_AMM_V4],
        ]
        assert part.subscriptions == dict(
            zip(second.subscription_ids, [(p,) for p in PROGRAMS], strict=True)
        )
        # The frames of both connections, byte for byte, in order; the overlap included.
        assert received == first.sent + second.sent
        assert sample(m, "sniffer_source_reconnects_total") == 1
        assert sample(m, "sniffer_source_errors_total", kind="connection_lost") == 1
        assert sample(m, "sniffer_source_gap_last_slot_before") == VOTE_SLOT + 2
        assert sample(m, "sniffer_source_gap_first_slot_after") == VOTE_SLOT + 30
        assert sample(m, "sniffer_source_gap_slots") == 28
        assert len(server.sessions) == 2 and part.connections == 2

    launches = [decode_frame(RawFrame(f, DETECTED_AT), DETECTED_AT) for f in received]
    mints = [d.mint for d in launches if isinstance(d, Launch)]
    # The overlap frame decodes to the same launch again: dedup downstream removes it.
    assert mints == [CREATEV2_MINT, CREATEV2_MINT, LEGACY_MINT]


def test_a_socket_that_stays_open_but_says_nothing_is_reconnected() -> None:
    # The first node acknowledges, sends one frame, then hangs: the socket stays open, no frame
    # comes and its pings go unanswered. The watchdog leaves it; the second node delivers.
    async def scenario(session: Session) -> None:
        pump, _ = await session.subscribe(2)
        if session.index == 0:
            await session.notify(PUMP_CREATEV2, pump)
            session.muted = True
            await session.hold()
            return
        await session.notify(PUMP_CREATE_LEGACY, pump)
        await session.hold()

    received: list[bytes] = []
    with (
        SolanaWsServer(scenario) as server,
        open_partition(server.url, silence_timeout_s=0.5) as (part, m),
    ):
        drain(part, received, 2)
        assert len(server.sessions) == 2
        assert server.sessions[0].pings >= 1  # it was asked, and did not answer
        assert sample(m, "sniffer_source_errors_total", kind="silent") == 1
        assert sample(m, "sniffer_source_reconnects_total") == 1
    mints = [decode_frame(RawFrame(f, 0.0), DETECTED_AT) for f in received]
    assert [getattr(x, "mint", None) for x in mints] == [CREATEV2_MINT, LEGACY_MINT]


def test_a_quiet_socket_that_answers_pings_is_kept() -> None:
    async def scenario(session: Session) -> None:
        pump, _ = await session.subscribe(2)
        await asyncio.sleep(1.0)  # longer than the silence timeout, pings answered
        await session.notify(PUMP_CREATEV2, pump)
        await session.hold()

    received: list[bytes] = []
    with (
        SolanaWsServer(scenario) as server,
        open_partition(server.url, silence_timeout_s=0.3) as (part, m),
    ):
        drain(part, received, 1)
        assert len(server.sessions) == 1
        assert sample(m, "sniffer_source_errors_total", kind="silent") == 0


def test_a_server_that_keeps_dropping_is_retried_with_backoff_and_frames_keep_coming() -> None:
    async def scenario(session: Session) -> None:
        (sub,) = await session.subscribe(1)
        await session.notify(with_slot(VOTE_LOGS, VOTE_SLOT + 10 * session.index), sub)
        if session.index < 3:
            session.abort()
            return
        await session.hold()

    received: list[bytes] = []
    with (
        SolanaWsServer(scenario) as server,
        open_partition(server.url, (PUMP_FUN,)) as (part, m),
    ):
        drain(part, received, 4)
        assert received == [s.sent[0] for s in server.sessions]
        assert sample(m, "sniffer_source_reconnects_total") == 3
        assert sample(m, "sniffer_source_gap_slots") == 10
        assert sample(m, "sniffer_source_gap_first_slot_after") == VOTE_SLOT + 30
        assert all(len(s.requests) == 1 for s in server.sessions)


@pytest.fixture
def source_log(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """The source's log from INFO up, what an operator reads."""
    caplog.set_level(logging.INFO, SOURCE_LOGGER)
    return caplog


def error_lines(log: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in log.records if r.levelno == logging.ERROR]


def test_a_rejected_handshake_is_counted_and_retried(source_log: pytest.LogCaptureFixture) -> None:
    async def scenario(session: Session) -> None:
        (sub,) = await session.subscribe(1)
        await session.notify(VOTE_LOGS, sub)
        await session.hold()

    received: list[bytes] = []
    with (
        SolanaWsServer(scenario, reject_first=2) as server,
        open_partition(server.url, (PUMP_FUN,)) as (part, m),
    ):
        drain(part, received, 1)
        assert server.handshakes == 3 and len(server.sessions) == 1
        assert sample(m, "sniffer_source_errors_total", kind="rate_limited") == 2
        assert sample(m, "sniffer_source_reconnects_total") == 0  # never connected before
    assert sum("HTTP 429" in r.getMessage() for r in source_log.records) == 2


# --- refused subscriptions ---------------------------------------------------------------------


def test_method_not_found_is_reported_counted_and_not_retried(
    source_log: pytest.LogCaptureFixture,
) -> None:
    """Decision under test: a permanent refusal gives that subscription up; with nothing left to
    subscribe, the source stops the job with a clear error instead of running blind."""

    async def scenario(session: Session) -> None:
        request = await session.receive_request()
        await session.refuse(request, METHOD_NOT_FOUND)  # Helius' real frame
        await session.hold()

    with (
        SolanaWsServer(scenario, path="/?api-key=0f0f0f0f-1111-2222-3333-444455556666") as server,
        open_partition(server.url, transaction_subscribe=True) as (part, m),
    ):
        wait_for(lambda: part.fatal is not None, "the source to give up")
        with pytest.raises(SolanaWsError, match="every subscription was refused"):
            part.next_batch()
        wait_for(lambda: not part.running, "the client thread to end")
        assert len(server.sessions) == 1 and server.handshakes == 1
        assert [r["method"] for r in server.sessions[0].requests] == ["transactionSubscribe"]
        assert sample(m, "sniffer_source_errors_total", kind="method_not_found") == 1
        assert part.next_awake() is None  # let the worker see the error at once

    refusal = next(line for line in error_lines(source_log) if "method_not_found" in line)
    assert "transactionSubscribe" in refusal and PUMP_FUN in refusal
    assert "Method not found" in refusal and "-32601" in refusal
    assert "api-key=0f0f***" in refusal


def test_an_invalid_program_is_given_up_and_the_others_go_on(
    source_log: pytest.LogCaptureFixture,
) -> None:
    async def scenario(session: Session) -> None:
        if session.index == 0:
            bad = await session.receive_request()
            await session.refuse(bad, INVALID_PUBKEY)  # Agave's real frame
            (good,) = await session.subscribe(1)
            await session.notify(with_slot(VOTE_LOGS, VOTE_SLOT), good)
            session.abort()
            return
        (good,) = await session.subscribe(1)
        await session.notify(with_slot(VOTE_LOGS, VOTE_SLOT + 5), good)
        await session.hold()

    received: list[bytes] = []
    programs = ("NotAProgram", RAYDIUM_AMM_V4)
    with SolanaWsServer(scenario) as server, open_partition(server.url, programs) as (part, m):
        drain(part, received, 2)
        first, second = server.sessions
        assert [r["params"][0]["mentions"] for r in first.requests] == [
            ["NotAProgram"],
            [RAYDIUM_AMM_V4],
        ]
        # Not asked again after the reconnect: only the program that was accepted.
        assert [r["params"][0]["mentions"] for r in second.requests] == [[RAYDIUM_AMM_V4]]
        assert sample(m, "sniffer_source_errors_total", kind="invalid_params") == 1
        assert part.fatal is None
        assert received == first.sent + second.sent
    (refusal,) = error_lines(source_log)
    assert "logsSubscribe of program NotAProgram" in refusal and "invalid_params" in refusal
    assert "Invalid pubkey provided" in refusal


def test_a_rate_limited_subscription_is_asked_again_after_a_backoff(
    source_log: pytest.LogCaptureFixture,
) -> None:
    async def scenario(session: Session) -> None:
        await session.refuse(await session.receive_request(), RATE_LIMITED_429)
        await session.refuse(await session.receive_request(), RATE_LIMITED_32005)
        (sub,) = await session.subscribe(1)
        await session.notify(VOTE_LOGS, sub)
        await session.hold()

    received: list[bytes] = []
    with (
        SolanaWsServer(scenario) as server,
        open_partition(server.url, (PUMP_FUN,), reconnect_initial_s=0.05, reconnect_max_s=0.5) as (
            part,
            m,
        ),
    ):
        drain(part, received, 1)
        (session,) = server.sessions
        # Asked three times in all (two refusals, one ack), on the same connection.
        assert [r["params"][0]["mentions"] for r in session.requests] == [[PUMP_FUN]] * 3
        assert len({r["id"] for r in session.requests}) == 3
        assert sample(m, "sniffer_source_errors_total", kind="rate_limited") == 2
        assert sample(m, "sniffer_source_reconnects_total") == 0
        assert received == session.sent
    warnings = [r.getMessage() for r in source_log.records if "asking again" in r.getMessage()]
    assert len(warnings) == 2
    assert all("rate_limited" in w and PUMP_FUN in w for w in warnings)
    assert "Too many requests" in warnings[0] and "Rate limit exceeded" in warnings[1]


# --- the API key is never logged whole ----------------------------------------------------------

KEY = "9f8e7d6c-5b4a-3210-fedc-ba9876543210"
PATH_TOKEN = "a1b2c3d4e5f60718293a4b5c6d7e8f90"
PASSWORD = "correct-horse-battery"


def test_the_api_key_never_appears_whole_in_any_log_line(
    all_logs: pytest.LogCaptureFixture,
) -> None:
    async def scenario(session: Session) -> None:
        pump, _ = await session.subscribe(2)
        await session.notify(PUMP_CREATEV2, pump)
        if session.index == 0:
            session.abort()
            return
        await session.hold()

    received: list[bytes] = []
    with SolanaWsServer(scenario, path=f"/{PATH_TOKEN}/?api-key={KEY}", reject_first=1) as server:
        url = server.url.replace("ws://", f"ws://sniffer:{PASSWORD}@")
        with open_partition(url) as (part, _):
            drain(part, received, 2)
    # A URL the client refuses outright (its error message quotes the URL).
    with open_partition(f"http://127.0.0.1:1/{PATH_TOKEN}/?api-key={KEY}") as (part, _):
        wait_for(lambda: part.fatal is not None, "the bad URL to be refused")
        with pytest.raises(SolanaWsError) as refused:
            part.next_batch()

    basic = base64.b64encode(f"sniffer:{PASSWORD}".encode()).decode()
    secrets = [KEY, PATH_TOKEN, PASSWORD, basic]
    lines = [r.getMessage() for r in all_logs.records] + all_logs.text.splitlines()
    assert len(lines) > 20
    leaks = [line for line in lines if any(s in line for s in secrets)]
    assert leaks == []
    assert not any(s in str(refused.value) for s in secrets)
    # The URL is still shown, masked, so an operator knows where the source connects.
    shown = [line for line in lines if "/a1b2***/?api-key=9f8e***" in line]
    assert any("sniffer:***@127.0.0.1" in line for line in shown)
    assert any("HTTP 429" in line for line in lines)  # the rejected handshake was logged
    assert any(line.startswith("> GET /a1b2***/") for line in lines)  # websockets' own line
