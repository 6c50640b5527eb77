"""The solana_ws source against a real websocket server on 127.0.0.1 speaking the Solana
protocol: subscriptions, frames handed over byte for byte and decoded, garbage, big frames, the
bounded queue; and its pure helpers."""

from __future__ import annotations

import asyncio
import hashlib
import threading
from datetime import datetime, timezone

import orjson
import pytest
from prometheus_client import CollectorRegistry
from pydantic import SecretStr

from connectors._support.url_secrets import redact_url
from connectors.solana_ws.protocol import MAX_BATCH, PARTITION, classify_error, slot_of
from connectors.solana_ws.source import SolanaWsPartition, SolanaWsSource
from domain.config import SnifferConfig
from domain.metrics import Metrics
from domain.models import InvalidFrame, Launch, RawFrame
from flows.settings import solana_ws_settings
from operators.decode import decode_frame
from solwire.launchpads import BY_NAME, REGISTRY
from tests.connectors.ws_frames import (
    CREATEV2_MINT,
    HELIUS_RAYDIUM_INIT,
    HELIUS_SWAPS,
    INVALID_SUBSCRIPTION_ID,
    LEGACY_MINT,
    PROGRAMS,
    PUMP_CREATE_LEGACY,
    PUMP_CREATEV2,
    RAYDIUM_INIT_LOGS,
    RAYDIUM_MINT,
    SLOT_NOTIFICATION,
    STALE_UNSUBSCRIBE,
    VOTE_LOGS,
    VOTE_SLOT,
    open_partition,
    sample,
)
from tests.connectors.ws_server import Session, SolanaWsServer, wait_for, with_slot
from tests.solana_samples import PUMP_FUN, RAYDIUM_AMM_V4
from tests.waiting import take_items

DETECTED_AT = 1_800_000_000.0


def take_all(part: SolanaWsPartition, count: int) -> list[RawFrame]:
    """Call `next_batch` until `count` frames came out (bounded wait)."""
    return take_items(part.next_batch, count, wait_for)


# --- subscriptions and the end-to-end proof ------------------------------------------------------


def test_logs_subscribe_per_program_and_real_launches_decode_to_their_mints() -> None:
    async def scenario(session: Session) -> None:
        pump, raydium = await session.subscribe(2)
        await session.notify(PUMP_CREATEV2, pump)
        await session.notify(VOTE_LOGS, raydium)
        await session.notify(PUMP_CREATE_LEGACY, pump)
        await session.notify(RAYDIUM_INIT_LOGS, raydium)
        await session.hold()

    clock = iter(range(1000, 2000))
    with (
        SolanaWsServer(scenario) as server,
        open_partition(server.url, clock=lambda: float(next(clock))) as (part, metrics),
    ):
        frames = take_all(part, 4)
        session = server.sessions[0]

        # One logsSubscribe per program, at the configured commitment, nothing else.
        assert [r["method"] for r in session.requests] == ["logsSubscribe", "logsSubscribe"]
        assert [r["params"] for r in session.requests] == [
            [{"mentions": [PUMP_FUN]}, {"commitment": "processed"}],
            [{"mentions": [RAYDIUM_AMM_V4]}, {"commitment": "processed"}],
        ]
        assert all(r["jsonrpc"] == "2.0" for r in session.requests)
        assert len({r["id"] for r in session.requests}) == 2
        # Acks are recorded, never handed on; frames arrive with their exact bytes, in order.
        pump_sub, raydium_sub = session.subscription_ids
        assert part.subscriptions == {pump_sub: (PUMP_FUN,), raydium_sub: (RAYDIUM_AMM_V4,)}
        assert [f.payload for f in frames] == session.sent
        assert all(isinstance(f.payload, bytes) for f in frames)
        assert [f.arrived_at for f in frames] == sorted(f.arrived_at for f in frames)
        assert part.next_batch() == []
        assert sample(metrics, "sniffer_source_queue_depth") == 0
        assert sample(metrics, "sniffer_source_reconnects_total") == 0

    decoded = [decode_frame(f, DETECTED_AT) for f in frames]
    createv2, vote, legacy, raydium = decoded
    assert isinstance(createv2, Launch) and createv2.mint == CREATEV2_MINT
    assert createv2.launchpad == "pump_fun"
    assert vote is None  # a real vote transaction: valid, no launch
    assert isinstance(legacy, Launch) and legacy.mint == LEGACY_MINT
    assert legacy.slot == 284682639 and legacy.name == "excited"
    assert isinstance(raydium, Launch) and raydium.launchpad == "raydium_amm_v4"
    assert raydium.mint is None  # logs carry no account keys
    assert createv2.arrived_at == frames[0].arrived_at  # the source's clock stamps the frame


@pytest.mark.parametrize("commitment", ["confirmed", "finalized"])
def test_the_configured_commitment_is_asked_for(commitment: str) -> None:
    async def scenario(session: Session) -> None:
        await session.subscribe(1)
        await session.hold()

    with (
        SolanaWsServer(scenario) as server,
        open_partition(server.url, (PUMP_FUN,), commitment=commitment) as (part, _),
    ):
        wait_for(lambda: len(part.subscriptions) == 1, "the ack")
        (request,) = server.sessions[0].requests
        assert request["params"] == [{"mentions": [PUMP_FUN]}, {"commitment": commitment}]


def test_the_client_pings_to_keep_the_connection_alive() -> None:
    async def scenario(session: Session) -> None:
        await session.subscribe(1)
        await session.hold()

    with (
        SolanaWsServer(scenario) as server,
        open_partition(server.url, (PUMP_FUN,), ping_interval_s=0.05) as (part, _),
    ):
        wait_for(lambda: len(server.sessions) > 0 and server.sessions[0].pings >= 3, "pings")
        assert part.connected and part.connections == 1


def test_transaction_subscribe_and_real_helius_frames() -> None:
    async def scenario(session: Session) -> None:
        (sub,) = await session.subscribe(1)
        await session.notify(HELIUS_SWAPS[0], sub)
        await session.notify(HELIUS_RAYDIUM_INIT, sub)
        await session.notify(HELIUS_SWAPS[1], sub)
        await session.hold()

    with (
        SolanaWsServer(scenario) as server,
        open_partition(server.url, transaction_subscribe=True, commitment="confirmed") as (
            part,
            _,
        ),
    ):
        frames = take_all(part, 3)
        (request,) = server.sessions[0].requests
        assert request["method"] == "transactionSubscribe"
        assert request["params"] == [
            {"accountInclude": list(PROGRAMS), "failed": False, "vote": False},
            {
                "commitment": "confirmed",
                "encoding": "jsonParsed",
                "transactionDetails": "full",
                "maxSupportedTransactionVersion": 0,
            },
        ]
        assert part.subscriptions == {server.sessions[0].subscription_ids[0]: PROGRAMS}
        assert [f.payload for f in frames] == server.sessions[0].sent

    swap, launch, other_swap = (decode_frame(f, DETECTED_AT) for f in frames)
    assert swap is None and other_swap is None
    assert isinstance(launch, Launch)
    assert launch.mint == RAYDIUM_MINT and launch.slot == 305978588
    assert launch.source == "solana_ws"


# --- garbage -------------------------------------------------------------------------------------

GARBAGE_TEXT = [
    b"not json at all",
    b"[1, 2, 3]",
    b'{"jsonrpc":"2.0","method":"logsNotification","params":{"result":',  # cut mid-frame
    b'{"foo":"bar"}',
    b'{"jsonrpc":"2.0","method":"logsNotification","params":{"result":{"context":{"slot":5},'
    b'"value":{"signature":42,"err":null,"logs":[]}},"subscription":1}}',  # mistyped field
    b'{"jsonrpc":"2.0","result":7}',  # a result without an id: not a reply to anything
    SLOT_NOTIFICATION,  # a real notification of another kind
    # A slot no u64 can hold (and no gauge): the source must not choke on reading it.
    b'{"jsonrpc":"2.0","method":"logsNotification","params":{"result":{"context":{"slot":'
    + b"9" * 400
    + b'},"value":{"signature":[],"err":null,"logs":[]}},"subscription":1}}',
]
GARBAGE_BINARY = [b"\x00\xff\xfe binary", b'{"jsonrpc":"2.0","method":"x"}']


def test_garbage_never_stops_the_source_and_reaches_the_decoder_to_be_counted() -> None:
    """Decision under test: the source hands on everything that is not a reply to its own
    requests; the decoder counts each bad frame as invalid. Replies to nothing are counted by the
    source."""

    async def scenario(session: Session) -> None:
        (sub,) = await session.subscribe(1)
        for frame in GARBAGE_TEXT:
            await session.send(frame)
        for frame in GARBAGE_BINARY:
            await session.send(frame, binary=True)
        # Real replies to requests the client never made: consumed and counted, not handed on.
        await session.ws.send(INVALID_SUBSCRIPTION_ID, text=True)
        await session.ws.send(STALE_UNSUBSCRIBE, text=True)
        odd_error = b'{"jsonrpc":"2.0","error":{"code":[1],"message":{}},"id":null}'
        await session.ws.send(odd_error, text=True)
        await session.notify(PUMP_CREATEV2, sub)
        await session.hold()

    expected = len(GARBAGE_TEXT) + len(GARBAGE_BINARY) + 1
    with SolanaWsServer(scenario) as server, open_partition(server.url, (PUMP_FUN,)) as (part, m):
        frames = take_all(part, expected)
        assert [f.payload for f in frames] == server.sessions[0].sent
        assert part.connected and part.connections == 1
        assert sample(m, "sniffer_source_errors_total", kind="invalid_params") == 1
        assert sample(m, "sniffer_source_errors_total", kind="unexpected_reply") == 1
        assert sample(m, "sniffer_source_errors_total", kind="refused") == 1  # the odd error
        assert sample(m, "sniffer_source_errors_total", kind="internal") == 0
        assert sample(m, "sniffer_source_gap_slots") == 0  # no reconnect, no gap
        assert sample(m, "sniffer_source_reconnects_total") == 0
        assert part.fatal is None

    decoded = [decode_frame(f, DETECTED_AT) for f in frames]
    invalid = [d for d in decoded if isinstance(d, InvalidFrame)]
    assert len(invalid) == len(GARBAGE_TEXT) + len(GARBAGE_BINARY)
    assert {d.reason for d in invalid} >= {"not_json", "not_object", "bad_field"}
    assert isinstance(decoded[-1], Launch) and decoded[-1].mint == CREATEV2_MINT


# --- big frames ----------------------------------------------------------------------------------


def padded_launch(size: int) -> bytes:
    """The real CreateV2 launch frame with filler log lines appended to reach `size` bytes."""
    doc = orjson.loads(PUMP_CREATEV2)
    logs = doc["params"]["result"]["value"]["logs"]
    line = "Program log: " + "x" * 4083
    need = size - len(PUMP_CREATEV2)
    logs.extend([line] * (need // (len(line) + 3) + 1))
    frame = orjson.dumps(doc)
    assert len(frame) >= size
    return frame


def test_frames_far_above_one_mib_arrive_whole() -> None:
    big = padded_launch(2 * 1024 * 1024)
    huge = padded_launch(33 * 1024 * 1024)

    async def scenario(session: Session) -> None:
        (sub,) = await session.subscribe(1)
        await session.notify(big, sub)
        await session.notify(huge, sub)
        await session.notify(VOTE_LOGS, sub)
        await session.hold()

    with SolanaWsServer(scenario) as server, open_partition(server.url, (PUMP_FUN,)) as (part, m):
        frames = take_all(part, 3)
        sent = server.sessions[0].sent
        assert [len(f.payload) for f in frames] == [len(s) for s in sent]
        assert [hashlib.sha256(f.payload).digest() for f in frames] == [  # type: ignore[arg-type]
            hashlib.sha256(s).digest() for s in sent
        ]
        assert part.connections == 1
        assert sample(m, "sniffer_source_errors_total", kind="frame_too_large") == 0

    for frame in frames[:2]:
        launch = decode_frame(frame, DETECTED_AT)
        assert isinstance(launch, Launch) and launch.mint == CREATEV2_MINT


def test_a_frame_above_max_frame_bytes_is_counted_and_the_source_reconnects() -> None:
    big = padded_launch(2 * 1024 * 1024)

    async def scenario(session: Session) -> None:
        (sub,) = await session.subscribe(1)
        if session.index == 0:
            await session.notify(big, sub)  # the client closes the connection (1009)
        await session.notify(VOTE_LOGS, sub)
        await session.hold()

    with (
        SolanaWsServer(scenario) as server,
        open_partition(server.url, (PUMP_FUN,), max_frame_bytes=1024 * 1024) as (part, m),
    ):
        frames = take_all(part, 1)
        assert [len(f.payload) for f in frames] == [len(server.sessions[1].sent[0])]
        assert sample(m, "sniffer_source_errors_total", kind="frame_too_large") == 1
        assert sample(m, "sniffer_source_reconnects_total") == 1
        assert len(server.sessions[1].requests) == 1  # subscribed again


# --- the bounded queue ---------------------------------------------------------------------------


def test_a_full_queue_drops_the_oldest_and_counts_them() -> None:
    capacity, total = 10, 50
    frames_sent = [with_slot(VOTE_LOGS, VOTE_SLOT + i) for i in range(total)]

    async def scenario(session: Session) -> None:
        (sub,) = await session.subscribe(1)
        for frame in frames_sent:
            await session.notify(frame, sub)
        await session.hold()

    depths: list[float] = []
    with (
        SolanaWsServer(scenario) as server,
        open_partition(server.url, (PUMP_FUN,), queue_capacity=capacity) as (part, m),
    ):

        def all_received() -> bool:
            depths.append(sample(m, "sniffer_source_queue_depth"))
            depths.append(part.queue_depth)
            return part.received == total

        wait_for(all_received, "every frame to reach the queue")
        # The dataflow only now starts to drain: the newest `capacity` frames are left.
        assert part.queue_depth == capacity
        assert sample(m, "sniffer_source_queue_depth") == capacity
        assert sample(m, "sniffer_source_dropped_total") == total - capacity == part.dropped
        batch = part.next_batch()
        assert [slot_of(f.payload) for f in batch] == [  # type: ignore[arg-type]
            VOTE_SLOT + i for i in range(total - capacity, total)
        ]
        assert [f.payload for f in batch] == server.sessions[0].sent[total - capacity :]
        assert sample(m, "sniffer_source_queue_depth") == 0
    assert max(depths) <= capacity


def test_next_batch_drains_in_big_batches_and_next_awake_waits_only_when_empty() -> None:
    total = MAX_BATCH + 100
    go = threading.Event()  # frames only once the empty queue was looked at

    async def scenario(session: Session) -> None:
        (sub,) = await session.subscribe(1)
        await asyncio.to_thread(go.wait, 30)
        for _ in range(total):
            await session.notify(VOTE_LOGS, sub)
        await session.hold()

    with (
        SolanaWsServer(scenario) as server,
        open_partition(server.url, (PUMP_FUN,), queue_capacity=2 * total) as (part, _),
    ):
        before = datetime.now(timezone.utc)
        awake = part.next_awake()
        assert awake is not None and awake.tzinfo is not None and awake > before
        go.set()
        wait_for(lambda: part.received == total, "every frame")
        assert part.next_awake() is None  # frames are waiting: poll again at once
        assert len(part.next_batch()) == MAX_BATCH
        assert len(part.next_batch()) == 100
        assert part.next_batch() == []
        assert part.snapshot() is None
        assert len(server.sessions) == 1


def test_close_stops_the_thread_and_the_connection() -> None:
    async def scenario(session: Session) -> None:
        await session.subscribe(2)
        await session.hold()

    with SolanaWsServer(scenario) as server:
        with open_partition(server.url) as (part, _):
            wait_for(lambda: len(part.subscriptions) == 2, "the acks")
            assert part.running
        assert not part.running and not part.connected
        wait_for(lambda: server.sessions[0].ws.close_code is not None, "the server to see a close")
        assert server.sessions[0].ws.close_code == 1000  # a proper goodbye, not a crash


# --- configuration -------------------------------------------------------------------------------


def test_the_settings_map_every_field_of_the_configuration() -> None:
    config = SnifferConfig(
        source="solana_ws",
        ws_url=SecretStr(
            "wss://mainnet.helius-rpc.com/?api-key=0f0f0f0f-1111-2222-3333-444455556666"
        ),
        ws_commitment="confirmed",
        ws_transaction_subscribe=True,
        ws_ping_interval_s=25,
        ws_max_frame_bytes=40 * 1024 * 1024,
        ws_reconnect_initial_s=0.25,
        ws_reconnect_max_s=8,
        source_queue_capacity=123,
    )
    source = SolanaWsSource.from_settings(solana_ws_settings(config), Metrics(CollectorRegistry()))
    s = source.settings
    assert s.url.endswith("api-key=0f0f0f0f-1111-2222-3333-444455556666")
    assert s.programs == tuple(lp.program for lp in REGISTRY)
    assert (s.commitment, s.transaction_subscribe) == ("confirmed", True)
    assert (s.ping_interval_s, s.max_frame_bytes) == (25, 40 * 1024 * 1024)
    assert (s.reconnect_initial_s, s.reconnect_max_s, s.queue_capacity) == (0.25, 8, 123)
    assert source.list_parts() == [PARTITION]
    assert "0f0f0f0f-1111" not in repr(source) and "0f0f0f0f-1111" not in repr(s)
    # The rules are the configuration's, checked before any source exists.
    with pytest.raises(ValueError, match="ws_url"):
        SnifferConfig(source="solana_ws")
    with pytest.raises(ValueError, match="program"):
        SnifferConfig(source="solana_ws", ws_url="ws://127.0.0.1:1/", ws_programs=[])


def test_the_default_subscriptions_are_the_programs_of_the_configured_launchpads() -> None:
    async def scenario(session: Session) -> None:
        await session.subscribe(1)
        await session.hold()

    with SolanaWsServer(scenario) as server:
        config = SnifferConfig(
            source="solana_ws",
            ws_url=server.url,
            ws_transaction_subscribe=True,
            launchpads=["meteora_dbc", "pump_fun"],
        )
        source = SolanaWsSource.from_settings(
            solana_ws_settings(config), Metrics(CollectorRegistry())
        )
        part = source.build_part("input", PARTITION, None)
        try:
            wait_for(lambda: len(server.sessions) > 0 and server.sessions[0].requests, "a request")
            (request,) = server.sessions[0].requests
        finally:
            part.close()
    expected = [BY_NAME["meteora_dbc"].program, BY_NAME["pump_fun"].program]
    assert request["method"] == "transactionSubscribe"
    assert request["params"][0]["accountInclude"] == expected
    # Without transactionSubscribe: one logsSubscribe per program of the same list.
    assert list(solana_ws_settings(config).programs) == expected


# --- pure helpers --------------------------------------------------------------------------------

HELIUS_KEY = "1b2c3d4e-aaaa-bbbb-cccc-1234567890ab"
QUICKNODE_TOKEN = "abcdef0123456789abcdef0123456789"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            f"wss://mainnet.helius-rpc.com/?api-key={HELIUS_KEY}",
            "wss://mainnet.helius-rpc.com/?api-key=1b2c***",
        ),
        (
            f"wss://x.solana-mainnet.quiknode.pro/{QUICKNODE_TOKEN}/",
            "wss://x.solana-mainnet.quiknode.pro/abcd***/",
        ),
        (
            f"wss://solana-mainnet.g.alchemy.com/v2/{QUICKNODE_TOKEN}",
            "wss://solana-mainnet.g.alchemy.com/v2/abcd***",
        ),
        ("wss://user:hunter2@rpc.example.com:8443/ws", "wss://user:***@rpc.example.com:8443/ws"),
        (
            f"wss://{QUICKNODE_TOKEN}@rpc.example.com/",
            "wss://abcd***@rpc.example.com/",
        ),
        ("wss://rpc.example.com/?token=short&x=", "wss://rpc.example.com/?token=***&x="),
        ("wss://api.mainnet-beta.solana.com", "wss://api.mainnet-beta.solana.com"),
        ("ws://127.0.0.1:8900/", "ws://127.0.0.1:8900/"),
        ("ws://[::1", "<unparseable url>"),
    ],
)
def test_redact_url(url: str, expected: str) -> None:
    assert redact_url(url) == expected
    assert redact_url(SecretStr(url)) == expected


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        ({"code": -32601, "message": "Method not found"}, ("method_not_found", True)),
        ({"code": -32602, "message": "Invalid params"}, ("invalid_params", True)),
        ({"code": -32600, "message": "Invalid request"}, ("invalid_request", True)),
        ({"code": 429, "message": "Too many requests"}, ("rate_limited", False)),
        ({"code": -32005, "message": "limit exceeded"}, ("rate_limited", False)),
        ({"code": -32000, "message": "Too Many Requests for this key"}, ("rate_limited", False)),
        ({"code": -32603, "message": "Internal error"}, ("refused", False)),
        ("something odd", ("refused", False)),
    ],
)
def test_classify_error(error: object, expected: tuple[str, bool]) -> None:
    assert classify_error(error) == expected


def test_slot_of_reads_both_notification_shapes_cheaply() -> None:
    assert slot_of(VOTE_LOGS) == VOTE_SLOT
    assert slot_of(PUMP_CREATEV2) == 430_000_000
    assert slot_of(HELIUS_RAYDIUM_INIT) == 305978588  # params.result.slot, after the transaction
    assert slot_of(HELIUS_SWAPS[0]) == 308454032
    assert slot_of(SLOT_NOTIFICATION) is None  # not a transaction's slot
    assert slot_of(b"not json") is None
    assert slot_of(b'{"context":{"slot":18446744073709551615}') == 2**64 - 1
    assert slot_of(b'{"context":{"slot":' + b"1" * 21 + b"}") is None
    assert slot_of(b"") is None
