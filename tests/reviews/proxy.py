"""A real HTTP proxy in front of the embedded registry that can be told to misbehave.

It forwards every request to the registry unchanged, except where a test says:
- `refuse_version_patch()` answers 405 to PATCH on versions, like a JFrog ML
  without Pond's status extension;
- `after(method, pattern, action)` runs `action()` once after forwarding a
  matching request, before answering it (e.g. delete the candidate right after the archive step);
- `fail(method, pattern, status)` answers `status` to the next matching request(s)
  without forwarding them (the upstream refused or broke: nothing changed);
- `fail_after_forwarding(method, pattern, status)` forwards the next matching request
  (the change takes effect) but answers `status` (a gateway that lost the answer);
- `hold(method, pattern, forward=...)` holds the next matching request (forwarded
  first, so it took effect, or not) until the returned event is set or the proxy stops;
  `arrived(...)` says when it came;
- `gate(method, pattern, count)` holds the first `count` matching requests until all of
  them have arrived, then forwards them together (two decisions in the same instant).

Every request is recorded in `seen` as (method, path, status answered, forwarded).
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import requests

_VERSION_PATH = re.compile(r"^/v1/models/[^/]+/versions/[^/]+/?$")


@dataclass
class _Rule:
    method: str
    pattern: re.Pattern[str]
    kind: str  # "fail", "fail_after", "hold", "gate"
    status: int = 0
    times: int = 1
    forward: bool = True
    release: threading.Event = field(default_factory=threading.Event)
    arrived: threading.Event = field(default_factory=threading.Event)
    barrier: threading.Barrier | None = None


class UpstreamProxy:
    def __init__(self, target: str) -> None:
        self.target = target.rstrip("/")
        self.refuse_patch = False
        self.hooks: list[tuple[str, re.Pattern[str], Callable[[], None]]] = []
        self.rules: list[_Rule] = []
        self.seen: list[tuple[str, str, int, bool]] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._session = requests.Session()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format, *args):  # quiet
                pass

            def _handle(self) -> None:
                try:
                    proxy._forward(self)
                except (BrokenPipeError, ConnectionResetError):
                    # The client went away (a killed Pond): nothing to answer.
                    self.close_connection = True

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/ml/api"

    # --- scripting ------------------------------------------------------------------------

    def refuse_version_patch(self) -> None:
        self.refuse_patch = True

    def after(self, method: str, pattern: str, action: Callable[[], None]) -> None:
        self.hooks.append((method, re.compile(pattern), action))

    def _add(self, rule: _Rule) -> _Rule:
        with self._lock:
            self.rules.append(rule)
        return rule

    def fail(self, method: str, pattern: str, status: int = 503, *, times: int = 1) -> None:
        self._add(_Rule(method, re.compile(pattern), "fail", status=status, times=times))

    def fail_after_forwarding(self, method: str, pattern: str, status: int = 502, *, times: int = 1) -> None:
        self._add(_Rule(method, re.compile(pattern), "fail_after", status=status, times=times))

    def hold(self, method: str, pattern: str, *, forward: bool) -> _Rule:
        """Hold the next matching request; `.release.set()` answers it (a held request
        that was not forwarded is then answered 502), `.arrived` is set when it comes."""
        return self._add(_Rule(method, re.compile(pattern), "hold", forward=forward))

    def gate(self, method: str, pattern: str, count: int, *, timeout: float = 30.0) -> _Rule:
        return self._add(
            _Rule(method, re.compile(pattern), "gate", times=count, barrier=threading.Barrier(count, timeout=timeout))
        )

    # --- what happened -------------------------------------------------------------------

    def patched(self) -> list[str]:
        return [path for method, path, _, _ in self.seen if method == "PATCH"]

    def count(self, method: str, pattern: str) -> int:
        """Requests that reached the proxy (forwarded or not)."""
        rx = re.compile(pattern)
        with self._lock:
            return sum(1 for m, path, _, _ in self.seen if m == method and rx.search(path))

    def applied(self, method: str, pattern: str) -> int:
        """Requests the registry received and accepted (2xx): the changes that took effect."""
        rx = re.compile(pattern)
        with self._lock:
            return sum(
                1 for m, path, status, fwd in self.seen if m == method and rx.search(path) and fwd and 200 <= status < 300
            )

    # --- serving ---------------------------------------------------------------------------

    def _rule_for(self, method: str, rel: str) -> _Rule | None:
        with self._lock:
            for rule in self.rules:
                if rule.times > 0 and rule.method == method and rule.pattern.search(rel):
                    rule.times -= 1
                    return rule
        return None

    def _record(self, method: str, rel: str, status: int, forwarded: bool) -> None:
        with self._lock:
            self.seen.append((method, rel, status, forwarded))

    def _forward(self, handler: BaseHTTPRequestHandler) -> None:
        path = urlsplit(handler.path).path
        rel = path[len("/ml/api") :] if path.startswith("/ml/api") else path
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        if self.refuse_patch and handler.command == "PATCH" and _VERSION_PATH.match(rel):
            self._record(handler.command, rel, 405, False)
            self._answer(handler, 405, b'{"detail": "Method \\"PATCH\\" not allowed."}')
            return
        rule = self._rule_for(handler.command, rel)
        if rule is not None and rule.kind == "fail":
            self._record(handler.command, rel, rule.status, False)
            self._answer(handler, rule.status, b'{"error": {"code": "unavailable", "message": "proxy says no"}}')
            return
        if rule is not None and rule.kind == "gate":
            rule.arrived.set()
            # A broken barrier (a timeout) lets the request through all the same.
            with contextlib.suppress(threading.BrokenBarrierError):
                rule.barrier.wait()
        if rule is not None and rule.kind == "hold" and not rule.forward:
            rule.arrived.set()
            self._record(handler.command, rel, 0, False)
            self._wait(rule)
            self._answer(handler, 502, b'{"error": {"code": "bad_gateway", "message": "held, never forwarded"}}')
            return
        headers = {k: v for k, v in handler.headers.items() if k.lower() in ("authorization", "content-type", "accept")}
        query = urlsplit(handler.path).query
        resp = self._session.request(
            handler.command,
            self.target + rel + (f"?{query}" if query else ""),
            data=body or None,
            headers=headers,
            timeout=10,
        )
        self._record(handler.command, rel, resp.status_code, True)
        # Hooks run before the answer goes back, so Pond's next request sees their effect.
        with self._lock:
            due = [h for h in self.hooks if h[0] == handler.command and h[1].search(rel)]
            self.hooks = [h for h in self.hooks if h not in due]
        for _, _, action in due:
            action()
        if rule is not None and rule.kind == "hold":
            rule.arrived.set()
            self._wait(rule)
        if rule is not None and rule.kind == "fail_after":
            self._answer(handler, rule.status, b'{"error": {"code": "bad_gateway", "message": "answer lost"}}')
            return
        self._answer(handler, resp.status_code, resp.content, resp.headers.get("Content-Type", "application/json"))

    def _wait(self, rule: _Rule) -> None:
        while not rule.release.wait(0.1):
            if self._stopping.is_set():
                return

    @staticmethod
    def _answer(handler: BaseHTTPRequestHandler, status: int, body: bytes, content_type: str = "application/json") -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        if handler.command != "HEAD":
            handler.wfile.write(body)

    def __enter__(self) -> UpstreamProxy:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stopping.set()
        self.server.shutdown()
        self.server.server_close()
        self._session.close()
