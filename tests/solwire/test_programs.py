"""The on-chain names in `solwire.programs` agree with the captured samples' own copies."""

from __future__ import annotations

import pytest

from domain.config import SnifferConfig
from solwire import programs
from solwire.launchpads import REGISTRY
from solwire.logs import Invoke, render_logs
from tests import solana_samples as samples


def test_program_ids_and_discriminators_match_the_samples() -> None:
    assert programs.PUMP_FUN_PROGRAM == samples.PUMP_FUN
    assert programs.RAYDIUM_AMM_V4_PROGRAM == samples.RAYDIUM_AMM_V4
    assert programs.PUMP_SWAP_PROGRAM == samples.PUMP_SWAP
    assert programs.WRAPPED_SOL == samples.WRAPPED_SOL
    assert programs.CREATE_EVENT == samples.CREATE_EVENT
    assert programs.TRADE_EVENT == samples.TRADE_EVENT
    assert programs.CREATE_POOL_EVENT == samples.CREATE_POOL_EVENT
    assert programs.EVENT_CPI_TAG == samples.EVENT_CPI_TAG


def test_the_configuration_subscribes_to_every_launchpad_of_the_registry() -> None:
    assert SnifferConfig().ws_programs == [lp.program for lp in REGISTRY]
    assert len(set(SnifferConfig().ws_programs)) == len(REGISTRY) == 8


def test_a_static_invocation_cannot_fail() -> None:
    # its lines are worked out once and reused, so it cannot end a transaction
    with pytest.raises(ValueError, match="cannot fail"):
        render_logs([Invoke(programs.PUMP_FUN_PROGRAM, (), 10, fails_with=1, static=True)], 1000)
