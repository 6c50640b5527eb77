"""The metrics endpoint: `/metrics` (Prometheus text) and `/snapshot` (the contract's JSON).

A small threaded HTTP server on `metrics_host:metrics_port` (process N of a cluster on
port + N), bound to 127.0.0.1 unless configured otherwise. Bytewax's own API server
(BYTEWAX_DATAFLOW_API_ENABLED) binds every interface and does not serve our registry's snapshot,
so the job serves its own.
"""

from __future__ import annotations

import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import orjson
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from domain.metrics import Metrics

log = logging.getLogger(__name__)


class MetricsEndpoint:
    """Serves `metrics` until `close`; `port` is the bound port (useful when asked for 0)."""

    def __init__(self, metrics: Metrics, host: str, port: int) -> None:
        handler = _handler_for(metrics)
        self._server = ThreadingHTTPServer((host, port), handler)
        self._server.daemon_threads = True
        self.host = host
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="sniffer-metrics", daemon=True
        )
        self._thread.start()
        log.info("metrics on http://%s:%d/metrics and /snapshot", host, self.port)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _handler_for(metrics: Metrics) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path == "/metrics":
                self._reply(200, CONTENT_TYPE_LATEST, generate_latest(metrics.registry))
            elif path == "/snapshot":
                self._reply(200, "application/json", orjson.dumps(metrics.snapshot()))
            else:
                self._reply(404, "text/plain", b"try /metrics or /snapshot\n")

        def _reply(self, status: int, content_type: str, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            return None  # one line per scrape would drown the status line

    return Handler
