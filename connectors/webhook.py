"""The `webhook` sink: each batch POSTed as one JSON array of the contract's candidate objects.

``POST sink_url`` with ``Content-Type: application/json`` and, when ``sink_token`` is set,
``Authorization: Bearer <token>``; the body is ``[candidate, candidate, ...]`` in batch order, each
object exactly the line the stdout sink prints. One keep-alive `httpx.Client` serves the process
(httpx documents its client as shareable between threads; its connection pool takes a lock, so the
two senders of the async send mode each get a connection of their own).

What the answer means for the send path (`operators.batch_sender`):

- 2xx: delivered.
- 5xx, 408 Request Timeout, 429 Too Many Requests, a connection error or a timeout: a retryable
  `SendError`; the send path retries `send_max_retries` times.
- any other status (4xx, and 3xx: redirects are not followed): `SendError(retryable=False)`
  whose message carries the status, e.g. ``webhook answered 422 Unprocessable Entity: <the start
  of the body>``; the batch is counted in ``send_failures`` and dead-lettered with that reason.

Delivery is at-least-once: a batch whose answer was lost (a timeout) may have been received, and
the send path posts it again. The receiver can drop repeats by the candidates' ``signature``.

Secrets: the token is never logged, never put in an exception message or a repr (an error body
that echoes it is scrubbed). The URL may hold secrets too (a password, a key in the query or a
token-like path segment): it is shown masked, and httpx's own per-request log line is scrubbed.
"""

from __future__ import annotations

import base64
import logging
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit, urlunsplit

import httpx
from pydantic import SecretStr

from connectors._support.closing import CloseOnce
from connectors._support.url_secrets import redact_url, url_secrets
from domain.models import Batch
from domain.transport import SendError

log = logging.getLogger(__name__)

#: Statuses outside 5xx that mean "try again later".
RETRYABLE_STATUSES = frozenset({408, 429})
#: How much of an error answer's body goes into the error message.
BODY_EXCERPT_CHARS = 200


class _Scrubber(logging.Filter):
    """Masks the URL and the token in the records of a logger (httpx logs every request's full
    URL at INFO)."""

    def __init__(self, url: str, shown: str, secrets: list[str]) -> None:
        super().__init__()
        self._url = url
        self._shown = shown
        # Longest first, so that a secret containing another is masked whole.
        self._secrets = sorted(set(secrets), key=len, reverse=True)

    def scrub(self, text: str) -> str:
        text = text.replace(self._url, self._shown)
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: leave it to the handler's own error path
            return True
        scrubbed = self.scrub(message)
        if scrubbed != message:
            record.msg, record.args = scrubbed, None
        return True


@dataclass(frozen=True)
class WebhookSettings:
    """What the configuration says about the ``webhook`` sink."""

    #: Neither in the repr: the URL may carry credentials, the token is one.
    url: str = field(repr=False)
    token: str | None = field(repr=False)
    timeout_s: float


class WebhookTransport:
    """POSTs each batch to `url` as a JSON array; see the module docstring for the outcomes.

    `token` (a plain string or a pydantic `SecretStr`) is sent as a bearer token when given.
    Credentials in the URL itself (``https://user:password@host/...``) are sent as HTTP Basic
    authentication instead; giving both is an error.
    """

    def __init__(self, url: str, token: str | SecretStr | None, timeout_s: float) -> None:
        if isinstance(token, SecretStr):
            token = token.get_secret_value()
        shown = redact_url(url)
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 - raises ValueError for a port that is not a number
            httpx.URL(url)
        except (ValueError, httpx.InvalidURL):
            raise ValueError(f"not a usable webhook URL: {shown}") from None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"the webhook URL must be http:// or https:// with a host: {shown}")
        basic: tuple[str, str] | None = None
        if parts.username is not None or parts.password is not None:
            if token:
                raise ValueError(
                    f"the webhook URL carries credentials and a bearer token is set too; "
                    f"give one of them: {shown}"
                )
            basic = (unquote(parts.username or ""), unquote(parts.password or ""))

        self._shown = shown
        self._timeout_s = timeout_s
        self._token = SecretStr(token) if token else None
        self._headers = {"Content-Type": "application/json"}
        secrets = [secret for secret, _ in url_secrets(url)] + ([token] if token else [])
        if basic is not None:  # as an echoing receiver would show them
            secrets += [basic[1], base64.b64encode(f"{basic[0]}:{basic[1]}".encode()).decode()]
        self._scrubber = _Scrubber(url, shown, secrets)
        logging.getLogger("httpx").addFilter(self._scrubber)
        self._client = httpx.Client(
            timeout=httpx.Timeout(timeout_s),
            auth=httpx.BasicAuth(*basic) if basic is not None else None,
            follow_redirects=False,
            headers={"User-Agent": "premint-sniffer"},
        )
        # The URL without its userinfo: the credentials travel in the Authorization header.
        netloc = parts.netloc.rpartition("@")[2]
        self._url = urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))
        self._closing = CloseOnce()

    @classmethod
    def from_settings(cls, settings: WebhookSettings) -> WebhookTransport:
        """The sink `settings` describe."""
        return cls(settings.url, settings.token, settings.timeout_s)

    def open(self) -> None:
        """Nothing to do: the client connects at the first send (its pool is lazy)."""

    def __repr__(self) -> str:
        token = "set" if self._token is not None else "none"
        return f"WebhookTransport(POST {self._shown}, token={token}, timeout_s={self._timeout_s})"

    def send(self, batch: Batch) -> None:
        if not batch.candidates:
            return
        body = b"[" + b",".join(candidate.json_line() for candidate in batch.candidates) + b"]"
        headers = self._headers
        if self._token is not None:
            headers = {**headers, "Authorization": f"Bearer {self._token.get_secret_value()}"}
        if self._closing.closed:
            raise SendError("the webhook sink is closed", retryable=False)
        try:
            response = self._client.post(self._url, content=body, headers=headers)
        except httpx.TimeoutException as exc:
            raise SendError(
                f"webhook timed out after {self._timeout_s:g} s ({type(exc).__name__})",
                retryable=True,
            ) from None
        except httpx.UnsupportedProtocol as exc:
            raise SendError(f"webhook: {self._scrubber.scrub(str(exc))}", retryable=False) from None
        except httpx.HTTPError as exc:
            raise SendError(
                f"webhook connection failed ({type(exc).__name__}): "
                f"{self._scrubber.scrub(str(exc)) or 'no detail'}",
                retryable=True,
            ) from None
        status = response.status_code
        if 200 <= status < 300:
            return
        message = f"webhook answered {status} {response.reason_phrase}".rstrip()
        excerpt = self._excerpt(response)
        if excerpt:
            message = f"{message}: {excerpt}"
        raise SendError(message, retryable=status >= 500 or status in RETRYABLE_STATUSES)

    def _excerpt(self, response: httpx.Response) -> str:
        """The start of an error answer's body on one line, without the URL's secrets or the
        token (a receiver may echo the request back)."""
        try:
            text = response.text
        except Exception:  # an undecodable body says nothing useful
            return ""
        text = " ".join(self._scrubber.scrub(text).split())
        if len(text) > BODY_EXCERPT_CHARS:
            text = text[:BODY_EXCERPT_CHARS] + "…"
        return text

    @property
    def closed(self) -> bool:
        """Whether the HTTP client (and its keep-alive connections) has been closed."""
        return self._client.is_closed

    def close(self) -> None:
        """Close the client and its connections. Idempotent."""
        if not self._closing.first():
            return
        self._client.close()
        logging.getLogger("httpx").removeFilter(self._scrubber)
