"""The table of known platforms: which front end a shared launchpad's config account belongs to.

The table is data (``platforms.json`` beside this module), not code: naming a new front end is
one line there. Keys are base58 account keys; a key not in the table is no platform (None).
"""

from __future__ import annotations

import functools
import json
from importlib import resources

__all__ = ["platform_of", "platforms"]


@functools.cache
def platforms() -> dict[str, dict[str, str]]:
    """Launchpad name -> {config account key -> platform name}."""
    text = resources.files(__package__).joinpath("platforms.json").read_text(encoding="utf-8")
    table = json.loads(text)
    return {name: dict(keys) for name, keys in table.items() if not name.startswith("_")}


def platform_of(launchpad: str, config_key: str | None) -> str | None:
    """The platform whose config account is `config_key` on `launchpad`, or None."""
    if not config_key:
        return None
    return platforms().get(launchpad, {}).get(config_key)
