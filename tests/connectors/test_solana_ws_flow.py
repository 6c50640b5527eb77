"""The solana_ws source inside a real Bytewax dataflow: frames from the test server are decoded
by the dataflow into the real launches, and a shutdown request ends the stream cleanly."""

from __future__ import annotations

import threading
import time

import bytewax.operators as op
from bytewax.dataflow import Dataflow
from bytewax.testing import TestingSink
from prometheus_client import CollectorRegistry

from connectors.solana_ws.source import SolanaWsSource
from domain.metrics import Metrics
from domain.models import InvalidFrame, Launch
from domain.shutdown import Shutdown
from flows.stoppable import StoppableSource
from operators.decode import decode_frame
from tests.connectors.ws_frames import (
    CREATEV2_MINT,
    LEGACY_MINT,
    PROGRAMS,
    PUMP_CREATE_LEGACY,
    PUMP_CREATEV2,
    RAYDIUM_INIT_LOGS,
    VOTE_LOGS,
    sample,
)
from tests.connectors.ws_server import Session, SolanaWsServer, wait_for
from tests.jobs import EntryPoint

Decoded = Launch | InvalidFrame | None


def test_the_source_in_a_dataflow_until_shutdown(entry_point: EntryPoint) -> None:
    sent = [PUMP_CREATEV2, VOTE_LOGS, b"not json", PUMP_CREATE_LEGACY, RAYDIUM_INIT_LOGS]

    async def scenario(session: Session) -> None:
        pump, raydium = await session.subscribe(2)
        for frame in sent:
            if frame.startswith(b"{"):
                await session.notify(frame, raydium if frame is RAYDIUM_INIT_LOGS else pump)
            else:
                await session.send(frame)
        await session.hold()

    out: list[Decoded] = []
    shutdown = Shutdown()
    metrics = Metrics(CollectorRegistry())
    with SolanaWsServer(scenario) as server:
        source = SolanaWsSource(
            server.url, PROGRAMS, metrics, reconnect_initial_s=0.02, reconnect_max_s=0.2
        )
        flow = Dataflow("solana_ws_test")
        frames = op.input("in", flow, StoppableSource(source, shutdown))
        decoded = op.map("decode", frames, lambda f: decode_frame(f, time.time()))
        op.output("out", decoded, TestingSink(out))

        def stop_when_everything_arrived() -> None:
            try:
                wait_for(lambda: len(out) >= len(sent), "the frames to pass the dataflow")
            finally:
                shutdown.request()  # also when the wait failed, so the test cannot hang

        watcher = threading.Thread(target=stop_when_everything_arrived, daemon=True)
        watcher.start()
        entry_point(flow)
        watcher.join(5)

        assert len(server.sessions) == 1  # one partition: one connection, whatever the workers
    assert len(source.partitions) == 1
    (part,) = source.partitions
    assert not part.running  # the stream ended, the partition closed, its thread stopped
    assert len(out) == len(sent)
    createv2, vote, garbage, legacy, raydium = out
    assert isinstance(createv2, Launch) and createv2.mint == CREATEV2_MINT
    assert vote is None
    assert isinstance(garbage, InvalidFrame) and garbage.reason == "not_json"
    assert isinstance(legacy, Launch) and legacy.mint == LEGACY_MINT
    assert isinstance(raydium, Launch) and raydium.launchpad == "raydium_amm_v4"
    assert sample(metrics, "sniffer_source_dropped_total") == 0
    assert sample(metrics, "sniffer_source_queue_depth") == 0
