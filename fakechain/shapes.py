"""The invocation shapes of real launch and trade transactions, for the synthetic generator.

Each builder returns the top-level instructions of one transaction as `solwire.logs.Invoke`
trees, copying a real mainnet capture: which programs run at which depth, what they log, and
the compute units the SPL programs charge (constant per instruction on mainnet). Rendering them
with `solwire.logs.render_logs` gives the transaction's log lines. `extra` shifts the
launchpad program's own cost so that consecutive synthetic transactions do not look cloned.

Where a builder takes event bytes it also takes a `str`: the base64 text itself, or a template
placeholder (`fakechain.templates.slot`), so the encoder can render a shape once and fill in the
drawn events later.
"""

from __future__ import annotations

import functools

from solwire.logs import (
    DATA_PREFIX,
    LOG_PREFIX,
    Invoke,
    anchor_error_line,
    program_data_line,
    program_log,
    ray_log_line,
)
from solwire.programs import (
    ASSOCIATED_TOKEN_PROGRAM,
    COMPUTE_BUDGET_PROGRAM,
    METAPLEX_METADATA_PROGRAM,
    OPENBOOK_PROGRAM,
    PUMP_FEE_PROGRAM,
    PUMP_FUN_PROGRAM,
    RAYDIUM_AMM_V4_PROGRAM,
    RAYDIUM_ROUTE_PROGRAM,
    SYSTEM_PROGRAM,
    TOKEN_2022_PROGRAM,
    TOKEN_PROGRAM,
)

PUMP_FEES_RETURN = "AAAAAAAAAABfAAAAAAAAAB4AAAAAAAAA"  # GetFees: lp 0, protocol 95, creator 30 bps
_TOKEN_SIZE_RETURN = "pQAAAAAAAAA="  # GetAccountDataSize: 165
_TOKEN_2022_SIZE_RETURN = "qgAAAAAAAAA="  # GetAccountDataSize: 170

SYSTEM_IX = Invoke(SYSTEM_PROGRAM, static=True)
COMPUTE_BUDGET_IX = Invoke(COMPUTE_BUDGET_PROGRAM, static=True)


@functools.cache
def _token(message: str, cost: int, program: str = TOKEN_PROGRAM) -> Invoke:
    """An SPL Token instruction that logs its name: a shared, static invocation."""
    return Invoke(program, (program_log(message),), cost, static=True)


@functools.cache
def ata_create(token_program: str = TOKEN_PROGRAM, instruction: str = "Create") -> Invoke:
    """The Associated Token Account program creating one token account (a static invocation)."""
    if token_program == TOKEN_PROGRAM:
        body: tuple[str | Invoke, ...] = (
            program_log(instruction),
            Invoke(
                TOKEN_PROGRAM,
                (program_log("Instruction: GetAccountDataSize"),),
                1595,
                _TOKEN_SIZE_RETURN,
            ),
            SYSTEM_IX,
            program_log("Initialize the associated token account"),
            Invoke(
                TOKEN_PROGRAM,
                (
                    program_log("Instruction: InitializeImmutableOwner"),
                    program_log("Please upgrade to SPL Token 2022 for immutable owner support"),
                ),
                1405,
            ),
            _token("Instruction: InitializeAccount3", 4214),
        )
        return Invoke(ASSOCIATED_TOKEN_PROGRAM, body, 14626, static=True)
    body = (
        program_log(instruction),
        Invoke(
            TOKEN_2022_PROGRAM,
            (program_log("Instruction: GetAccountDataSize"),),
            1447,
            _TOKEN_2022_SIZE_RETURN,
        ),
        SYSTEM_IX,
        program_log("Initialize the associated token account"),
        _token("Instruction: InitializeImmutableOwner", 736, TOKEN_2022_PROGRAM),
        _token("Instruction: InitializeAccount3", 1969, TOKEN_2022_PROGRAM),
    )
    return Invoke(ASSOCIATED_TOKEN_PROGRAM, body, 12645, static=True)


ATA_CREATE_LEGACY = ata_create()
ATA_CREATE_2022 = ata_create(TOKEN_2022_PROGRAM)
ATA_CREATE_IDEMPOTENT_2022 = ata_create(TOKEN_2022_PROGRAM, "CreateIdempotent")
_PUMP_EVENT_CPI_LEGACY = Invoke(PUMP_FUN_PROGRAM, (), 2003, static=True)
_PUMP_EVENT_CPI = Invoke(PUMP_FUN_PROGRAM, (), 2125, static=True)
_METAPLEX_CREATE = Invoke(
    METAPLEX_METADATA_PROGRAM,
    (
        program_log("IX: Create Metadata Accounts v3"),
        SYSTEM_IX,
        program_log("Allocate space for the account"),
        SYSTEM_IX,
        program_log("Assign the account to the owning program"),
        SYSTEM_IX,
    ),
    35808,
    static=True,
)
_OPENBOOK_INIT = Invoke(OPENBOOK_PROGRAM, (), 2319, static=True)
_SYNC_NATIVE = _token("Instruction: SyncNative", 3045)
_TRANSFER = _token("Instruction: Transfer", 4645)
_TRANSFER_OTHER = _token("Instruction: Transfer", 4736)
_TRANSFER_CHECKED_2022 = _token("Instruction: TransferChecked", 2562, TOKEN_2022_PROGRAM)
_GET_FEES = Invoke(
    PUMP_FEE_PROGRAM, (program_log("Instruction: GetFees"),), 3302, PUMP_FEES_RETURN, static=True
)

#: The pump.fun slippage error: the creator's buy cost more than its cap.
PUMP_TOO_MUCH_SOL = 6002
_PUMP_TOO_MUCH_SOL_MESSAGE = "slippage: Too much SOL required to buy the given amount of tokens."


def _pump(
    instruction: str,
    steps: tuple[str | Invoke, ...],
    cost: int,
    returns: str | None = None,
    fails_with: int | None = None,
) -> Invoke:
    """A pump.fun instruction: its ``Instruction:`` line, then what it does."""
    body = (program_log(f"Instruction: {instruction}"), *steps)
    return Invoke(PUMP_FUN_PROGRAM, body, cost, returns, fails_with)


#: An event as bytes, or its base64 text (or a template slot) as a str.
Event = bytes | str


def _data_line(event: Event) -> str:
    return DATA_PREFIX + event if isinstance(event, str) else program_data_line(event)


def _event_legacy(event: Event) -> tuple[str | Invoke, ...]:
    """The 2024 program emits its event after the self-CPI."""
    return (_PUMP_EVENT_CPI_LEGACY, _data_line(event))


def _event(event: Event) -> tuple[str | Invoke, ...]:
    """The current program emits its event before the self-CPI."""
    return (_data_line(event), _PUMP_EVENT_CPI)


def pump_create_legacy(create_event: Event, extra: int = 0) -> Invoke:
    """pump.fun ``create`` (2024): SPL Token mint, Metaplex metadata, event after the self-CPI."""
    steps: tuple[str | Invoke, ...] = (
        SYSTEM_IX,
        _token("Instruction: InitializeMint2", 2780),
        SYSTEM_IX,
        ATA_CREATE_LEGACY,
        _METAPLEX_CREATE,
        _token("Instruction: MintTo", 4492),
        _token("Instruction: SetAuthority", 2911),
    )
    return _pump("Create", (*steps, *_event_legacy(create_event)), 51622 + extra)


def pump_create_v2(create_event: Event, extra: int = 0) -> Invoke:
    """pump.fun ``create_v2`` (2025-): Token-2022 mint with metadata extension, event before
    the self-CPI."""
    steps: tuple[str | Invoke, ...] = (
        SYSTEM_IX,
        _token("MetadataPointerInstruction::Initialize", 925, TOKEN_2022_PROGRAM),
        _token("Instruction: InitializeMint2", 1772, TOKEN_2022_PROGRAM),
        SYSTEM_IX,
        ATA_CREATE_2022,
        SYSTEM_IX,
        _token("TokenMetadataInstruction: Initialize", 3514, TOKEN_2022_PROGRAM),
        _token("TokenMetadataInstruction: UpdateAuthority", 3871, TOKEN_2022_PROGRAM),
        _token("Instruction: MintTo", 1714, TOKEN_2022_PROGRAM),
        _token("Instruction: SetAuthority", 1044, TOKEN_2022_PROGRAM),
    )
    return _pump("CreateV2", (*steps, *_event(create_event)), 64490 + extra)


def pump_buy_legacy(trade_event: Event, extra: int = 0) -> Invoke:
    """pump.fun ``buy`` (2024 program): token transfer, two SOL transfers, event."""
    steps = (_TRANSFER, SYSTEM_IX, SYSTEM_IX, *_event_legacy(trade_event))
    return _pump("Buy", steps, 29009 + extra)


def pump_sell_legacy(trade_event: Event, extra: int = 0) -> Invoke:
    return _pump("Sell", (_TRANSFER, *_event_legacy(trade_event)), 25270 + extra)


def pump_buy(trade_event: Event, extra: int = 0) -> Invoke:
    """pump.fun ``buy`` (current program): fee lookup, Token-2022 transfer, SOL transfers to the
    curve, the fee recipients and the creator vault, event before the self-CPI."""
    steps = (SYSTEM_IX, _GET_FEES, _TRANSFER_CHECKED_2022, *(SYSTEM_IX,) * 5, *_event(trade_event))
    return _pump("Buy", steps, 63106 + extra)


def pump_sell(trade_event: Event, extra: int = 0) -> Invoke:
    steps = (_GET_FEES, _TRANSFER_CHECKED_2022, *_event(trade_event))
    return _pump("Sell", steps, 41230 + extra)


def pump_buy_failing(
    sol_cap: int | str, sol_needed: int | str, legacy: bool, extra: int = 0
) -> Invoke:
    """A pump.fun buy that stops on the slippage check (``TooMuchSolRequired``, 6002)."""
    error = anchor_error_line(
        "programs/pump/src/lib.rs",
        444 if not legacy else 291,
        "TooMuchSolRequired",
        PUMP_TOO_MUCH_SOL,
        _PUMP_TOO_MUCH_SOL_MESSAGE,
    )
    lines = (program_log(f"Left: {sol_cap}"), program_log(f"Right: {sol_needed}"))
    if legacy:
        return _pump("Buy", (error, *lines), 16420 + extra, fails_with=PUMP_TOO_MUCH_SOL)
    steps = (_GET_FEES, error, *lines)
    return _pump("Buy", steps, 50559 + extra, PUMP_FEES_RETURN, PUMP_TOO_MUCH_SOL)


def _ray_log(ray_log: Event) -> str:
    return LOG_PREFIX + "ray_log: " + ray_log if isinstance(ray_log, str) else ray_log_line(ray_log)


def raydium_swap_direct(ray_log: Event, extra: int = 0) -> list[Invoke]:
    """A swap sent straight to Raydium AMM v4, wrapping SOL in a temporary account."""
    return [
        COMPUTE_BUDGET_IX,
        COMPUTE_BUDGET_IX,
        SYSTEM_IX,
        _token("Instruction: InitializeAccount", 3443),
        Invoke(
            RAYDIUM_AMM_V4_PROGRAM,
            (_ray_log(ray_log), _TRANSFER_OTHER, _TRANSFER),
            22195 + extra,
        ),
        _token("Instruction: CloseAccount", 2915),
        SYSTEM_IX,
    ]


def raydium_swap_routed(
    ray_log: Event,
    amount_in: int | str,
    minimum_out: int | str,
    out: int | str,
    extra: int = 0,
) -> list[Invoke]:
    """A swap through Raydium's router, which calls AMM v4 at depth 2 (the amounts as numbers,
    or as template slots)."""
    route = Invoke(
        RAYDIUM_ROUTE_PROGRAM,
        (
            program_log(
                "process_swap_base_in_with_user_account:RouteSwapBaseInArgs { "
                f"amount_in: {amount_in}, minimum_amount_out: {minimum_out} }}"
            ),
            ATA_CREATE_LEGACY,
            Invoke(
                RAYDIUM_AMM_V4_PROGRAM,
                (_ray_log(ray_log), _TRANSFER, _TRANSFER_OTHER),
                21158 + extra,
            ),
            program_log(f"{amount_in} -> {out}"),
        ),
        28384,
    )
    close = Invoke(
        RAYDIUM_ROUTE_PROGRAM,
        (program_log("process_close_token_account"), _token("Instruction: CloseAccount", 2915)),
        4578,
    )
    return [route, close, COMPUTE_BUDGET_IX, COMPUTE_BUDGET_IX]


def raydium_initialize2(arguments: str, init_log: bytes, extra: int = 0) -> list[Invoke]:
    """A Raydium AMM v4 pool creation (``initialize2``) with its ``InitLog``.

    `arguments` is the line Raydium logs first (`solwire.logs.initialize2_line`).
    """
    body: tuple[str | Invoke, ...] = (
        arguments,
        SYSTEM_IX,
        _SYNC_NATIVE,
        *(SYSTEM_IX,) * 6,
        _token("Instruction: InitializeMint", 2920),
        *(SYSTEM_IX,) * 3,
        _token("Instruction: InitializeAccount", 3445),
        *(SYSTEM_IX,) * 3,
        _token("Instruction: InitializeAccount", 4475),
        *(SYSTEM_IX,) * 6,
        _OPENBOOK_INIT,
        ATA_CREATE_LEGACY,
        _TRANSFER_OTHER,
        _TRANSFER,
        _token("Instruction: MintTo", 4492),
        ray_log_line(init_log),
    )
    return [
        SYSTEM_IX,
        _token("Instruction: InitializeAccount", 3443),
        Invoke(RAYDIUM_AMM_V4_PROGRAM, body, 117582 + extra),
        _token("Instruction: CloseAccount", 2915),
    ]


#: Raydium's ``RepeatCreateAmm`` (the pool exists already): custom error 49.
RAYDIUM_REPEAT_CREATE_AMM = 49


def raydium_initialize2_repeat(arguments: str, pool: str, extra: int = 0) -> list[Invoke]:
    """An ``initialize2`` that fails with ``RepeatCreateAmm``: the create line is still logged."""
    body: tuple[str | Invoke, ...] = (
        arguments,
        SYSTEM_IX,
        _SYNC_NATIVE,
        program_log(pool),
        program_log("Error: RepeatCreateAmm"),
    )
    return [
        COMPUTE_BUDGET_IX,
        COMPUTE_BUDGET_IX,
        SYSTEM_IX,
        _token("Instruction: InitializeAccount", 3443),
        Invoke(RAYDIUM_AMM_V4_PROGRAM, body, 23695 + extra, fails_with=RAYDIUM_REPEAT_CREATE_AMM),
    ]


#: SPL Token's ``InsufficientFunds``: custom error 1.
TOKEN_INSUFFICIENT_FUNDS = 1


def token_transfer_failing(extra: int = 0) -> Invoke:
    """An SPL Token transfer short of funds: what fails a bundle after its launch succeeded."""
    body = (program_log("Instruction: Transfer"), program_log("Error: insufficient funds"))
    return Invoke(TOKEN_PROGRAM, body, 4100 + extra, fails_with=TOKEN_INSUFFICIENT_FUNDS)


# --- the pump.fun bonding curve ---------------------------------------------------------------


def tokens_for_sol(sol_in: int, virtual_sol: int, virtual_tokens: int) -> int:
    """Tokens a buy of `sol_in` lamports receives on a constant-product bonding curve."""
    return virtual_tokens * sol_in // (virtual_sol + sol_in)


def sol_for_tokens(tokens_in: int, virtual_sol: int, virtual_tokens: int) -> int:
    """Lamports a sell of `tokens_in` receives on a constant-product bonding curve."""
    return virtual_sol * tokens_in // (virtual_tokens + tokens_in)
