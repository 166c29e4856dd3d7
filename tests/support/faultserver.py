"""A real misbehaving HTTP server that plays a broken JFrog ML in tests.

A threaded `http.server` on 127.0.0.1, scriptable per test and per route:

    with FaultServer() as server:
        server.on("GET", "/v1/models", json_response({"models": [], "total_count": 0}))
        server.on("GET", "/v1/models", status(503, retry_after=1), times=2)  # first two calls
        client = JFrogMLClient(server.url, token="t")
        ...
        assert server.count("GET", "/v1/models") == 3

Behaviours: `json_response`, `text`, `status`, `slow`, `hang` (accept and never
answer), `drop_mid_body` (promise a body, send half, close), `close_connection`
(no answer at all), `sequence`. `refuse()` closes the listening socket so that
connections are refused on the same port; `resume()` listens again. Every request
is recorded (method, path, query, headers, body).
"""

from __future__ import annotations

import json as jsonlib
import re
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

Behaviour = Callable[["_Handler", "FaultServer"], None]


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes
    at: float
    client_port: int


# --- behaviours ---------------------------------------------------------------------


def _send(handler: _Handler, status_code: int, body: bytes, content_type: str, headers: dict | None = None) -> None:
    handler.send_response(status_code)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body)))
    for name, value in (headers or {}).items():
        handler.send_header(name, str(value))
    handler.end_headers()
    if handler.command != "HEAD":
        handler.wfile.write(body)


def json_response(body: Any, status_code: int = 200, headers: dict | None = None) -> Behaviour:
    data = body if isinstance(body, bytes) else jsonlib.dumps(body).encode()
    return lambda handler, server: _send(handler, status_code, data, "application/json", headers)


def text(body: str | bytes, status_code: int = 200, content_type: str = "text/plain", headers: dict | None = None) -> Behaviour:
    data = body.encode() if isinstance(body, str) else body
    return lambda handler, server: _send(handler, status_code, data, content_type, headers)


def status(status_code: int, body: Any = None, *, retry_after: float | str | None = None) -> Behaviour:
    headers = {"Retry-After": retry_after} if retry_after is not None else None
    if body is None:
        body = {"error": {"code": "server_error", "message": f"status {status_code}"}}
    return json_response(body, status_code, headers)


def slow(delay: float, then: Behaviour) -> Behaviour:
    def behave(handler: _Handler, server: FaultServer) -> None:
        if not server.stopping.wait(delay):
            then(handler, server)

    return behave


def hang(handler: _Handler, server: FaultServer) -> None:
    """Accept the request and never answer (until the server stops)."""
    server.stopping.wait(60)
    handler.close_connection = True


def drop_mid_body(handler: _Handler, server: FaultServer) -> None:
    """Promise a JSON body, send part of it, then drop the connection."""
    body = jsonlib.dumps({"models": [{"id": f"m{i}", "name": f"model {i}"} for i in range(50)], "total_count": 50}).encode()
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body[: len(body) // 2])
    handler.wfile.flush()
    handler.close_connection = True
    handler.connection.shutdown(socket.SHUT_RDWR)


def trickle(interval: float, body: bytes = b'{"models": [], "total_count": 0}' + b" " * 200) -> Behaviour:
    """Answer 200 at once, then send the body one byte per `interval` (a slow-loris server)."""

    def behave(handler: _Handler, server: FaultServer) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.flush()
        for byte in body:
            if server.stopping.wait(interval):
                break
            handler.wfile.write(bytes([byte]))
            handler.wfile.flush()
        handler.close_connection = True

    return behave


def chunked(body: bytes, size: int = 1024) -> Behaviour:
    """Answer 200 with the body in chunked transfer encoding (no Content-Length)."""

    def behave(handler: _Handler, server: FaultServer) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        for start in range(0, len(body), size):
            part = body[start : start + size]
            handler.wfile.write(f"{len(part):x}\r\n".encode() + part + b"\r\n")
        handler.wfile.write(b"0\r\n\r\n")
        handler.wfile.flush()

    return behave


def close_connection(handler: _Handler, server: FaultServer) -> None:
    """Read the request, answer nothing, close."""
    handler.close_connection = True
    handler.connection.shutdown(socket.SHUT_RDWR)


def sequence(*behaviours: Behaviour) -> Behaviour:
    """Each call takes the next behaviour; the last one repeats."""
    lock = threading.Lock()
    state = {"i": 0}

    def behave(handler: _Handler, server: FaultServer) -> None:
        with lock:
            i = min(state["i"], len(behaviours) - 1)
            state["i"] += 1
        behaviours[i](handler, server)

    return behave


# --- the server ------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # quiet in test output
        pass

    def _dispatch(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        fault = self.server.fault
        path = parts.path
        if fault.prefix and path.startswith(fault.prefix):
            path = path[len(fault.prefix) :] or "/"
        fault._record(Recorded(self.command, path, parts.query, dict(self.headers.items()), body, time.monotonic(), self.client_address[1]))
        try:
            fault._behaviour_for(self.command, path)(self, fault)
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up (its timeout): that is the point of many drills.
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _dispatch


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    fault: FaultServer


class FaultServer:
    """Start with `with FaultServer() as server:` or `.start()`/`.stop()`."""

    def __init__(self, *, prefix: str = "/ml/api") -> None:
        self.prefix = prefix
        self.port = 0
        self.requests: list[Recorded] = []
        self.stopping = threading.Event()
        self._routes: list[list[Any]] = []
        self._lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.default: Behaviour = status(404, {"error": {"code": "not_found", "message": "No such route."}})

    # lifecycle
    def start(self) -> FaultServer:
        self.stopping.clear()
        self._server = _Server(("127.0.0.1", self.port), _Handler)
        self._server.fault = self
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def refuse(self) -> None:
        """Stop listening: connections to this port are now refused."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def resume(self) -> None:
        """Listen again on the same port."""
        if self._server is None:
            self.start()

    def stop(self) -> None:
        self.stopping.set()
        self.refuse()

    def __enter__(self) -> FaultServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The upstream base URL (what JFROG_ML_URL is set to)."""
        return f"http://127.0.0.1:{self.port}{self.prefix}"

    # scripting
    def on(self, method: str | None, path: str | None, behaviour: Behaviour, *, times: int | None = None) -> None:
        """Answer requests matching method and path (a regex matched in full) with behaviour.

        The newest matching rule wins; a rule with `times` applies that many times.
        """
        pattern = re.compile(path) if path is not None else None
        with self._lock:
            self._routes.append([method, pattern, behaviour, times])

    def reset(self) -> None:
        with self._lock:
            self._routes.clear()
            self.requests.clear()

    def _behaviour_for(self, method: str, path: str) -> Behaviour:
        with self._lock:
            for rule in reversed(self._routes):
                rule_method, pattern, behaviour, times = rule
                if rule_method not in (None, method) or (pattern is not None and not pattern.fullmatch(path)):
                    continue
                if times is not None:
                    if times <= 0:
                        continue
                    rule[3] = times - 1
                return behaviour
        return self.default

    def _record(self, recorded: Recorded) -> None:
        with self._lock:
            self.requests.append(recorded)

    def count(self, method: str | None = None, path: str | None = None) -> int:
        pattern = re.compile(path) if path is not None else None
        with self._lock:
            return sum(
                1
                for r in self.requests
                if method in (None, r.method) and (pattern is None or pattern.fullmatch(r.path))
            )
