"""Known quote mints: what new tokens are priced in on pools whose two sides have no roles.

Where a launchpad's layout names the roles (base_mint / quote_mint) the roles decide. Pool
programs with unordered or sorted sides (Raydium AMM v4's coin/pc, CPMM's token_0/token_1, DAMM
v2's token_a/token_b) do not say which side is the new token; there, the token is the side that
is not a well-known quote mint, and with a known quote on both sides or on neither the answer is
"unknown", never a guess: a guess would be a wrong mint half of the time, and users trade on
the mint.
"""

from __future__ import annotations

__all__ = ["KNOWN_QUOTES", "USDC", "USDT", "WRAPPED_SOL", "sorted_pair_roles", "token_and_quote"]

WRAPPED_SOL = "So11111111111111111111111111111111111111112"
USDC = "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v"
USDT = "Es9vMFrzaCERmJfrF4H2FYD4KCoNkY11McCe8BenwNYB"
KNOWN_QUOTES = frozenset((WRAPPED_SOL, USDC, USDT))


def token_and_quote(a: str | None, b: str | None) -> tuple[str | None, str | None]:
    """(token mint, quote mint) of a pool with sides `a` and `b`; (None, None) when exactly one
    side being a known quote mint does not settle it."""
    a_quote = a in KNOWN_QUOTES
    b_quote = b in KNOWN_QUOTES
    if a and b and a_quote != b_quote:
        return (b, a) if a_quote else (a, b)
    return None, None


_UNREADABLE = ("mint", "quote_mint")


def sorted_pair_roles(
    mint_a: str | None, mint_b: str | None
) -> tuple[str | None, str | None, tuple[str, ...]]:
    """`token_and_quote` with the fields to name partial: ``(mint, quote_mint, partial)``.

    A side that could not be read (None or the unknown key "") makes both fields unknown AND
    partial: that side might have been the quote or the token. Both sides read but not exactly
    one a known quote: both None and not partial, since the frame was read in full and simply
    does not tell (ambiguous by design, see above).
    """
    if not mint_a or not mint_b:
        return None, None, _UNREADABLE
    mint, quote = token_and_quote(mint_a, mint_b)
    return mint, quote, ()
