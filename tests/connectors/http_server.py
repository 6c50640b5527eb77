"""A real HTTP server for the webhook tests: `http.server.ThreadingHTTPServer` on 127.0.0.1.

It records every request (method, path, headers, body, the client's port) and answers from a
script: a queue of `Answer`s taken one per request, then `default` once the queue is empty. An
answer may wait before it replies (a slow receiver); the wait ends early when the server stops,
so a test never hangs on it. HTTP/1.1 with Content-Length, so clients keep their connections.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType


@dataclass(frozen=True)
class Answer:
    status: int = 200
    body: bytes = b'{"ok":true}'
    #: Seconds to wait before answering.
    delay_s: float = 0.0
    #: Put the request's Authorization header into the body (a receiver that echoes requests).
    echo_authorization: bool = False


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    client_port: int


@dataclass
class _State:
    script: deque[Answer] = field(default_factory=deque)
    default: Answer = field(default_factory=Answer)
    requests: list[Request] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stopping: threading.Event = field(default_factory=threading.Event)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body leave at once, as real servers send them
    server: _Server

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        state = self.server.state
        request = Request(
            "POST",
            self.path,
            {name.lower(): value for name, value in self.headers.items()},
            body,
            self.client_address[1],
        )
        with state.lock:
            state.requests.append(request)
            answer = state.script.popleft() if state.script else state.default
        if answer.delay_s and state.stopping.wait(answer.delay_s):
            return  # the server is stopping: no answer
        reply = answer.body
        if answer.echo_authorization:
            reply += b" you sent: " + request.headers.get("authorization", "").encode()
        try:
            self.send_response(answer.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test)

    def log_message(self, format: str, *args: object) -> None:
        return None  # quiet: the tests read `requests`


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.state = _State()


class HttpServer:
    """`with HttpServer() as server:` ... `server.url`, `server.script(...)`, `server.requests`."""

    def __init__(self) -> None:
        self._server = _Server()
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def script(self, *answers: Answer | int) -> None:
        """Answers for the next requests, in order (an int is a status with the default body)."""
        with self._server.state.lock:
            self._server.state.script.extend(
                Answer(a) if isinstance(a, int) else a for a in answers
            )

    def reset(self) -> None:
        """Forget the requests seen and the answers not yet given: a fresh start for the next
        test sharing this server."""
        with self._server.state.lock:
            self._server.state.script.clear()
            self._server.state.requests.clear()

    @property
    def requests(self) -> list[Request]:
        with self._server.state.lock:
            return list(self._server.state.requests)

    def __enter__(self) -> HttpServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.state.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)
