"""A real HTTP proxy in front of the embedded registry that can be told to misbehave.

It forwards every request to the registry unchanged, except where a test says:
- `refuse_version_patch()` answers 405 to PATCH on versions, like a JFrog ML
  without Pond's status extension;
- `after(method, pattern, action)` runs `action()` once after forwarding a
  matching request, before answering it (e.g. delete the candidate right after the archive step).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import requests

_VERSION_PATH = re.compile(r"^/v1/models/[^/]+/versions/[^/]+/?$")


class UpstreamProxy:
    def __init__(self, target: str) -> None:
        self.target = target.rstrip("/")
        self.refuse_patch = False
        self.hooks: list[tuple[str, re.Pattern[str], Callable[[], None]]] = []
        self.seen: list[tuple[str, str, int]] = []
        self._lock = threading.Lock()
        self._session = requests.Session()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format, *args):  # quiet
                pass

            def _handle(self) -> None:
                proxy._forward(self)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/ml/api"

    def refuse_version_patch(self) -> None:
        self.refuse_patch = True

    def after(self, method: str, pattern: str, action: Callable[[], None]) -> None:
        self.hooks.append((method, re.compile(pattern), action))

    def patched(self) -> list[str]:
        return [path for method, path, _ in self.seen if method == "PATCH"]

    def _forward(self, handler: BaseHTTPRequestHandler) -> None:
        path = urlsplit(handler.path).path
        rel = path[len("/ml/api") :] if path.startswith("/ml/api") else path
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        if self.refuse_patch and handler.command == "PATCH" and _VERSION_PATH.match(rel):
            self._answer(handler, 405, b'{"detail": "Method \\"PATCH\\" not allowed."}')
            self.seen.append((handler.command, rel, 405))
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
        self.seen.append((handler.command, rel, resp.status_code))
        # Hooks run before the answer goes back, so Pond's next request sees their effect.
        with self._lock:
            due = [h for h in self.hooks if h[0] == handler.command and h[1].search(rel)]
            self.hooks = [h for h in self.hooks if h not in due]
        for _, _, action in due:
            action()
        self._answer(handler, resp.status_code, resp.content, resp.headers.get("Content-Type", "application/json"))

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
        self.server.shutdown()
        self.server.server_close()
        self._session.close()
