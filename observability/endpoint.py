"""The metrics endpoint: `/metrics` and `/snapshot` over HTTP on `metrics_host:metrics_port`
(process N of a cluster on port + N), bound to 127.0.0.1 unless configured otherwise.

`/metrics` is prometheus_client's own WSGI exposition, so it negotiates the format a scraper asks
for (Prometheus text, or OpenMetrics through the Accept header) and gzips when Accept-Encoding
allows. `/snapshot` is the contract's JSON. Bytewax's own API server binds every interface and
does not serve our registry's snapshot, so the job serves its own.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from socketserver import ThreadingMixIn
from typing import TYPE_CHECKING
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import make_wsgi_app

from domain.metrics import Metrics
from observability.snapshot_file import snapshot_json

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIEnvironment

log = logging.getLogger(__name__)


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True  # a scrape under way never holds the process open at exit


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        return None  # one line per scrape would drown the status line


class MetricsEndpoint:
    """Serves `metrics` from `start()` until `close()`. `port` is the bound port once started
    (useful when asked for 0, any free port)."""

    def __init__(self, metrics: Metrics, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self._metrics = metrics
        self._prometheus = make_wsgi_app(metrics.registry)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Bind and serve on a daemon thread; an OSError (port taken, bad host) is the caller's."""
        if self._server is not None:
            raise RuntimeError("the metrics endpoint was already started")
        server = make_server(
            self.host, self.port, self._app, server_class=_Server, handler_class=_QuietHandler
        )
        self._server = server
        self.port = int(server.server_address[1])
        self._thread = threading.Thread(
            target=server.serve_forever, name="sniffer-metrics", daemon=True
        )
        self._thread.start()
        log.info("metrics on http://%s:%d/metrics and /snapshot", self.host, self.port)

    def close(self) -> None:
        """Stop serving and release the port. Safe to call twice, or without `start`."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _app(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/metrics":
            body: Iterable[bytes] = self._prometheus(environ, start_response)
            return body
        if path != "/snapshot":
            return _reply(
                start_response, "404 Not Found", "text/plain", b"try /metrics or /snapshot\n"
            )
        if environ.get("REQUEST_METHOD") != "GET":
            return _reply(start_response, "405 Method Not Allowed", "text/plain", b"use GET\n")
        return _reply(start_response, "200 OK", "application/json", snapshot_json(self._metrics))


def _reply(
    start_response: StartResponse, status: str, content_type: str, body: bytes
) -> list[bytes]:
    start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(body)))])
    return [body]
