"""Secrets in connection URLs: what a URL looks like in a log line, and masking its secrets
wherever they turn up in other text (exception messages, client libraries' own log lines).

Every connector that takes a URL (`solana_ws`, `redis`, `webhook`) shows it only through
`redact_url`: API keys live in query strings, passwords and long path segments.
"""

from __future__ import annotations

import base64
import re
import urllib.parse

from pydantic import SecretStr

#: A path segment this long made of token characters is taken for a key (QuickNode, Alchemy,
#: Chainstack and Triton put the key in the path).
_TOKEN_SEGMENT = re.compile(r"[A-Za-z0-9_\-]{16,}")
#: Values shorter than this are fully masked; longer ones keep a 4-character prefix, which is
#: enough to tell two keys apart in a log and far too little to use.
_SHOW_PREFIX_FROM = 12
#: Secrets shorter than this are masked in a URL but not searched for in free text (replacing
#: every "ab" in a log line would mangle it and protect nothing).
_SCRUB_MIN = 6


def _mask(value: str) -> str:
    if len(value) >= _SHOW_PREFIX_FROM:
        return value[:4] + "***"
    return "***"


def redact_url(url: str | SecretStr) -> str:
    """`url` with its secrets masked: query values, the userinfo password (always wholly), a
    long user name, the fragment, and long token-like path segments. A value of 12 characters or
    more keeps its first 4 (enough to tell two keys apart, far too little to use). Never
    raises."""
    if isinstance(url, SecretStr):
        url = url.get_secret_value()
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return "<unparseable url>"
    userinfo, at, hostport = parts.netloc.rpartition("@")
    netloc = parts.netloc
    if at:
        user, colon, _ = userinfo.partition(":")
        if _TOKEN_SEGMENT.fullmatch(user):
            user = _mask(user)
        netloc = f"{user}:***@{hostport}" if colon else f"{user}@{hostport}"
    path = "/".join(
        _mask(segment) if _TOKEN_SEGMENT.fullmatch(segment) else segment
        for segment in parts.path.split("/")
    )
    query = "&".join(_redact_query_item(item) for item in parts.query.split("&") if item)
    fragment = _mask(parts.fragment) if parts.fragment else ""
    return urllib.parse.urlunsplit((parts.scheme, netloc, path, query, fragment))


def _redact_query_item(item: str) -> str:
    name, equals, value = item.partition("=")
    if equals:
        return f"{name}={_mask(value)}" if value else f"{name}="
    return _mask(name)  # a bare "?KEY"


def url_secrets(url: str) -> list[tuple[str, str]]:
    """Every secret `redact_url` masks, with its mask, as it may appear in other text (raw and
    percent-decoded), plus the value of the Basic ``Authorization`` header ``websockets`` builds
    from the userinfo. Longest first, so a secret is masked before any part of it."""
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return []
    found: dict[str, str] = {}
    userinfo, at, _ = parts.netloc.rpartition("@")
    if at:
        user, colon, password = userinfo.partition(":")
        if colon:
            found[password] = "***"
            try:
                plain_user = urllib.parse.unquote(user, errors="strict")
                plain_password = urllib.parse.unquote(password, errors="strict")
                basic = f"{plain_user}:{plain_password}".encode(errors="surrogateescape")
                found[base64.b64encode(basic).decode()] = "***"
            except (UnicodeError, ValueError):
                pass
        if _TOKEN_SEGMENT.fullmatch(user):
            found[user] = _mask(user)
    for segment in parts.path.split("/"):
        if _TOKEN_SEGMENT.fullmatch(segment):
            found[segment] = _mask(segment)
    for item in parts.query.split("&"):
        name, equals, value = item.partition("=")
        secret = value if equals else name
        found[secret] = _mask(secret)
    if parts.fragment:
        found[parts.fragment] = _mask(parts.fragment)
    for secret, masked in list(found.items()):
        found.setdefault(urllib.parse.unquote(secret), masked)
    usable = [(s, m) for s, m in found.items() if len(s) >= _SCRUB_MIN]
    return sorted(usable, key=lambda pair: len(pair[0]), reverse=True)


class Redactor:
    """Masks one URL's secrets wherever they appear in a text (exception messages, the
    ``websockets`` library's log lines)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.shown = redact_url(url)
        self._secrets = url_secrets(url)

    def scrub(self, text: str) -> str:
        text = text.replace(self.url, self.shown)
        for secret, masked in self._secrets:
            if secret in text:
                text = text.replace(secret, masked)
        return text
