"""Rendered pages, cached per permission scope, with each person's own parts filled in per request.

A page such as the models list costs tens of milliseconds to build at scale (data
decoding, template rendering) yet is the same for everyone who holds the same
rights. `cached_page` keeps the rendered HTML in Django's cache under

    the path with its query + the permission scope (role and rights) + a generation

and serves it until `POND_PAGE_CACHE_TTL` seconds have passed. What a cached page
never holds: the CSRF token and the user's name are rendered as unguessable marks
(derived from SECRET_KEY, so hostile data cannot contain them) and replaced on
the way out with this request's token and this user's name. Pages are not kept
when they were built from stale or failing upstream data, carry flash messages,
or are anything but a 200 HTML page.

The generation changes after every successful state-changing request to Pond (any
POST, PUT, PATCH or DELETE but logins and the embedded registry's API), so after a
write through Pond every page is rebuilt: people see their own changes at once.
Changes made upstream by others show when the data shown is due for refetch (its
TTL): a page is never kept past that moment.

When an entry has expired, one request rebuilds it (it claims that page with an
atomic add) while the others asking for the same page keep getting the expired copy
for a short grace period, so a slow page is rebuilt once, not by every waiting
connection. A page whose rights changed since its scope was worked out is not kept,
and when the cache is not answering every page is built for its own request.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import logging
import re
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable

from django.conf import settings
from django.contrib.messages import get_messages
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.utils.html import escape

from webui.jfrogml import freshness
from webui.jfrogml.client import upstream_namespace

log = logging.getLogger("pond.pagecache")

View = Callable[..., HttpResponse]

GENERATION_KEY = "pagecache:generation"
RENDER_ATTR = "_pond_page_render"
HIT_HEADER = "X-Pond-Page-Cache"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
# An expired entry may still be served (while one request rebuilds it) for this many TTLs.
_GRACE_TTLS = 6
_WAIT_FOR_RENDER = 5.0
# A rebuild's claim lapses after this long (its request died, or is that slow).
_BUILD_TIMEOUT = 30.0
# An entry that would live less than this is not worth keeping.
_MIN_LIFE = 0.5


def _mark(purpose: str) -> str:
    digest = hmac.new(
        settings.SECRET_KEY.encode(), f"pond-page-cache:{purpose}".encode(), hashlib.sha256
    )
    return f"pond{purpose}{digest.hexdigest()[:24]}"


@functools.cache
def marks() -> tuple[str, str, str]:
    """The placeholders for the CSRF token, the user's name and the server's time
    (letters and digits only)."""
    return _mark("csrf"), _mark("user"), _mark("now")


@functools.cache
def _mark_pattern() -> re.Pattern[bytes]:
    return re.compile(b"(" + b"|".join(re.escape(m.encode()) for m in marks()) + b")")


def _split(body: bytes) -> list[bytes]:
    """The page cut at the marks: text, mark, text, mark, ..., text (kept that way, a
    hit joins the pieces once instead of searching a big page for each mark)."""
    return _mark_pattern().split(body)


def _join(parts: list[bytes], request: HttpRequest) -> bytes:
    csrf_mark, user_mark, now_mark = (m.encode() for m in marks())
    values: dict[bytes, bytes] = {}
    out = []
    for index, part in enumerate(parts):
        if index % 2 == 0:
            out.append(part)
            continue
        value = values.get(part)
        if value is None:
            if part == csrf_mark:
                value = get_token(request).encode()
            elif part == user_mark:
                value = escape(request.user.get_username()).encode()
            else:
                value = str(int(time.time())).encode()
            values[part] = value
        out.append(value)
    return b"".join(out)


def ttl() -> float:
    return float(getattr(settings, "POND_PAGE_CACHE_TTL", 10.0))


def _cache():
    return caches["default"]


def generation() -> str:
    """The current generation ("" when there is none or the cache is not answering)."""
    try:
        return str(_cache().get(GENERATION_KEY) or "")
    except Exception:
        return ""


def bump_generation() -> None:
    """Every cached page is out of date (something was written)."""
    try:
        _cache().set(GENERATION_KEY, uuid.uuid4().hex[:12], timeout=None)
    except Exception:
        log.warning("could not bump the page cache generation", exc_info=True)


def _scope_key(user_id: object) -> str:
    return f"pagecache:scope:{user_id}"


def _scope_of(user) -> str:
    """The rights a page can depend on: the role shown in the navigation and every permission."""
    from webui.dashboard.roles import role_of

    rights = "\n".join(sorted(user.get_all_permissions()))
    raw = f"{role_of(user)}\n{int(user.is_superuser)}\n{int(user.is_staff)}\n{rights}"
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def _state(request: HttpRequest) -> tuple[str, str] | None:
    """(generation, scope) in one cache round trip, each made when missing; None when
    the cache is not answering (the page is then built for this request only).

    A scope is kept with the generation it was worked out under: an admin changing
    someone's groups is a write, so the next page view works it out again.
    """
    user = request.user
    scope_key = _scope_key(user.pk)
    try:
        found = _cache().get_many([GENERATION_KEY, scope_key]) or {}
    except Exception:
        return None
    generation = found.get(GENERATION_KEY)
    if not generation:
        generation = uuid.uuid4().hex[:12]
        try:
            added = _cache().add(GENERATION_KEY, generation, timeout=None)
            if added is None:  # django-redis answers None when Redis is down
                return None
            if not added:
                generation = _cache().get(GENERATION_KEY)
        except Exception:
            return None
        if not generation:
            return None
    generation = str(generation)
    kept = str(found.get(scope_key) or "")
    if kept.startswith(generation + ":"):
        return generation, kept[len(generation) + 1 :]
    scope = _scope_of(user)
    try:
        _cache().set(scope_key, f"{generation}:{scope}", timeout=max(ttl(), 1.0))
    except Exception:
        log.warning("could not keep a permission scope", exc_info=True)
    return generation, scope


def _page_key(request: HttpRequest, generation: str, scope: str) -> str:
    path = hashlib.sha256(request.get_full_path().encode()).hexdigest()[:32]
    return f"pagecache:{upstream_namespace()}:{generation}:{scope}:{path}"


def _has_messages(request: HttpRequest) -> bool:
    # Loading them does not consume them: a page that would show (and so consume)
    # a flash message is rendered for this request only.
    try:
        return len(get_messages(request)) > 0
    except Exception:
        return True


def _personalise(entry: dict, request: HttpRequest, *, hit: str) -> HttpResponse:
    response = HttpResponse(_join(entry["parts"], request), content_type=entry["type"])
    response[HIT_HEADER] = hit
    return response


class _Recent:
    """The last pages this process served, so a hit costs no transfer or decoding.

    An entry never changes under its key (the key holds the generation and scope),
    so a local copy is good until the entry's own expiry.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[str, dict] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> dict | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def put(self, key: str, entry: dict) -> None:
        with self._lock:
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def drop(self, key: str) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


_recent = _Recent(size=256)


def _read(key: str) -> dict | None:
    local = _recent.get(key)
    if local is not None and time.time() < local["exp"]:
        return local
    try:
        entry = _cache().get(key)
    except Exception:
        return None
    if not (isinstance(entry, dict) and "parts" in entry and "exp" in entry):
        return None
    if time.time() < entry["exp"]:
        _recent.put(key, entry)
    return entry


def _render(
    view: View, request: HttpRequest, args: tuple, kwargs: dict
) -> tuple[HttpResponse, dict | None]:
    """Run the view with the marks in place of per-person parts; the entry to keep, if any.

    An entry is kept until the page TTL passes or the first piece of data it was built
    from is due for refetch, whichever comes first.
    """
    setattr(request, RENDER_ATTR, True)
    try:
        with freshness.tracking() as reads:
            response = view(request, *args, **kwargs)
    finally:
        setattr(request, RENDER_ATTR, False)
    degraded, due = reads.degraded, reads.due
    now = time.time()
    expires = now + ttl() if due is None else min(now + ttl(), due)
    keep = (
        expires - now >= _MIN_LIFE
        and response.status_code == 200
        and not degraded
        and not getattr(response, "streaming", False)
        and response.get("Content-Type", "").startswith("text/html")
        and not response.cookies
        and not response.has_header("Content-Disposition")
    )
    if not keep:
        return response, None
    if hasattr(response, "render") and callable(response.render):
        response.render()
    entry = {
        "t": now,
        "exp": expires,
        "parts": _split(response.content),
        "type": response["Content-Type"],
    }
    return response, entry


def _forget(key: str) -> None:
    _recent.drop(key)
    try:
        _cache().delete(key)
    except Exception:
        log.warning("could not drop a rendered page", exc_info=True)


def _store(key: str, entry: dict) -> None:
    _recent.put(key, entry)
    try:
        _cache().set(key, entry, timeout=max(ttl(), 1.0) * (_GRACE_TTLS + 1))
    except Exception:
        log.warning("could not keep a rendered page", exc_info=True)


def _claim(key: str) -> bool | None:
    """Whether this request rebuilds the page (one at a time per page); None: no cache."""
    try:
        return _cache().add(key + ":building", 1, timeout=_BUILD_TIMEOUT)
    except Exception:
        return None


def _release(key: str) -> None:
    try:
        _cache().delete(key + ":building")
    except Exception:
        log.warning("could not release a page rebuild", exc_info=True)


def cached_page(view: View) -> View:
    """Serve the view's HTML from the page cache (GET, logged-in users, no flash messages)."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if (
            ttl() <= 0
            or request.method not in ("GET", "HEAD")
            or not request.user.is_authenticated
            or "format" in request.GET  # exports (CSV, JSON) are built per request
            or _has_messages(request)
        ):
            return view(request, *args, **kwargs)
        state = _state(request)
        if state is None:
            return view(request, *args, **kwargs)
        generation, scope = state
        key = _page_key(request, generation, scope)
        entry = _read(key)
        if entry is not None and time.time() < entry["exp"]:
            return _personalise(entry, request, hit="hit")
        deadline = time.monotonic() + _WAIT_FOR_RENDER
        while True:
            claimed = _claim(key)
            if claimed or claimed is None or time.monotonic() > deadline:
                try:
                    return _rebuild(view, request, args, kwargs, key, scope)
                finally:
                    if claimed:
                        _release(key)
            # Another request is rebuilding this very page: the last copy meanwhile.
            if entry is not None:
                return _personalise(entry, request, hit="stale")
            time.sleep(0.02)
            entry = _read(key)
            if entry is not None:
                return _personalise(entry, request, hit="hit")

    return wrapper


def _rebuild(
    view: View, request: HttpRequest, args: tuple, kwargs: dict, key: str, scope: str
) -> HttpResponse:
    response, fresh = _render(view, request, args, kwargs)
    if fresh is None:
        # Whatever is kept is older than this answer: nobody gets it now.
        _forget(key)
        return _finish(response, request, "skip")
    if _scope_of(request.user) != scope:
        # The rights changed since the scope was worked out: not under that scope.
        try:
            _cache().delete(_scope_key(request.user.pk))
        except Exception:
            log.warning("could not drop a permission scope", exc_info=True)
        return _finish(response, request, "skip")
    _store(key, fresh)
    return _personalise(fresh, request, hit="miss")


def _finish(response: HttpResponse, request: HttpRequest, hit: str) -> HttpResponse:
    """A page rendered with the marks but not kept: personalise it all the same."""
    if response.get("Content-Type", "").startswith("text/html") and not getattr(response, "streaming", False):
        parts = _split(response.content)
        if len(parts) > 1:
            response.content = _join(parts, request)
    response[HIT_HEADER] = hit
    return response


def context(request: HttpRequest) -> dict:
    """Template context: the marks while a page is being built for the cache."""
    if getattr(request, RENDER_ATTR, False):
        csrf_mark, user_mark, now_mark = marks()
        return {"csrf_token": csrf_mark, "nav_username": user_mark, "server_now": now_mark}
    user = getattr(request, "user", None)
    return {
        "nav_username": user.get_username() if user is not None and user.is_authenticated else "",
        "server_now": str(int(time.time())),
    }


class GenerationMiddleware:
    """After a state-changing request succeeds, every cached page is rebuilt on its next view.

    Logging in or out changes no data, and a refused request (4xx/5xx) changed
    nothing, so neither costs the cache anything (a login flood cannot empty it).
    Writes to the embedded registry's API (`/ml/api/`) are upstream writes like any
    JFrog ML client's: they show when the data is due for refetch, and a busy API
    client cannot keep every page from being reused. (Pond's own forms write through
    that API too, but their POST to Pond is what renews the pages.)
    """

    _NO_DATA = frozenset({"login", "logout"})
    _UPSTREAM_PREFIX = "/ml/api/"

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            request.method not in _SAFE_METHODS
            and 200 <= response.status_code < 400
            and not request.path_info.startswith(self._UPSTREAM_PREFIX)
        ):
            match = getattr(request, "resolver_match", None)
            if match is None or match.url_name not in self._NO_DATA:
                bump_generation()
        return response
