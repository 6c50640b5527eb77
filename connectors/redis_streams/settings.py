"""What the configuration says about the ``redis`` source and sink (no client import here)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class RedisSourceSettings:
    #: Not in the repr: a Redis URL may carry a password.
    url: str = field(repr=False)
    stream: str
    group: str


@dataclass(frozen=True)
class RedisSinkSettings:
    url: str = field(repr=False)
    stream: str
    maxlen: int
    timeout_s: float
