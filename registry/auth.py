"""Who may call the registry: bearer tokens and HTTP basic, nothing else.

Session authentication is deliberately absent, so a browser logged in to Pond gets
nothing here (401): the API is for programs holding credentials.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import OrderedDict
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from rest_framework import authentication, exceptions, permissions

from registry.models import ApiToken

TOKEN_PREFIX = "jfml_"  # noqa: S105 - a label, not a secret
REALM = "jfrog-ml"

# How long (seconds) a process trusts a bearer token it has already checked without asking
# the database again. A token revoked (or its user deactivated or deleted) through this
# process is refused at once (see `forget_*` and registry.apps); through another process
# (`manage.py registry_token revoke`, another gunicorn worker, a SQL UPDATE) it keeps working
# for at most this long in the processes that had just used it. 0 turns the cache off.
DEFAULT_TOKEN_CACHE_SECONDS = 10.0
# At most this many tokens are remembered per process (least recently used go first).
TOKEN_CACHE_SIZE = 1024


class ServicePrincipal:
    """`request.auth` of a request made with settings.REGISTRY_SERVICE_TOKEN."""


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_create(*, username: str) -> tuple[ApiToken, str]:
    """Create a token (and its user if needed); return the row and the token, shown once."""
    user, _ = get_user_model().objects.get_or_create(username=username)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken.objects.create(user=user, key_hash=token_hash(token), prefix=token[:12])
    return row, token


def token_cache_seconds() -> float:
    return float(getattr(settings, "REGISTRY_TOKEN_CACHE_SECONDS", DEFAULT_TOKEN_CACHE_SECONDS))


class _TokenCache:
    """Successful token checks of this process: sha256 → (expiry, user, auth), LRU-bounded.

    Only valid tokens are remembered, so guessing tokens neither fills it nor skips a check."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[str, tuple[float, Any, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> tuple[Any, Any] | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry[0] <= time.monotonic():
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return entry[1], entry[2]

    def put(self, key: str, user: Any, auth: Any, ttl: float) -> None:
        with self._lock:
            self._entries[key] = (time.monotonic() + ttl, user, auth)
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def forget(self, *, key: str | None = None, user_id: Any = None) -> None:
        with self._lock:
            if key is not None:
                self._entries.pop(key, None)
            if user_id is not None:
                for stale in [k for k, (_, user, _) in self._entries.items() if user.pk == user_id]:
                    del self._entries[stale]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


token_cache = _TokenCache(TOKEN_CACHE_SIZE)


def forget_token(key_hash: str) -> None:
    """This process refuses the token from now on (called when its row is deleted)."""
    token_cache.forget(key=key_hash)


def forget_user(user_id: Any) -> None:
    """This process checks the user's tokens again (called when the user changes or goes)."""
    token_cache.forget(user_id=user_id)


def remembered_bearer(request) -> Any | None:
    """The user of the request's bearer token if this process checked it within the TTL.

    Such a user passes HasRegistryAccess (a token's user, or the service principal), so a
    view may answer a read without DRF's machinery (RegistryApi.dispatch); anything else
    (no token, an unknown or expired one, basic auth) returns None: the full path decides."""
    header = authentication.get_authorization_header(request).split()
    if len(header) != 2 or header[0].lower() != b"bearer" or token_cache_seconds() <= 0:
        return None
    try:
        token = header[1].decode()
    except UnicodeDecodeError:
        return None
    service_token = settings.REGISTRY_SERVICE_TOKEN
    if service_token and hmac.compare_digest(token.encode(), service_token.encode()):
        key = _service_key(service_token)
    else:
        key = token_hash(token)
    cached = token_cache.get(key)
    if cached is None or not isinstance(cached[1], ApiToken | ServicePrincipal):
        return None
    return cached[0]


def _service_key(service_token: str) -> str:
    return "service:" + token_hash(f"{settings.REGISTRY_SERVICE_USERNAME}:{service_token}")


class BearerTokenAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request) -> tuple[Any, Any] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != b"bearer":
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Invalid bearer header: expected 'Bearer <token>'.")
        try:
            token = header[1].decode()
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("Invalid token.") from None
        ttl = token_cache_seconds()
        service_token = settings.REGISTRY_SERVICE_TOKEN
        if service_token and hmac.compare_digest(token.encode(), service_token.encode()):
            return self._service_principal(service_token, ttl)
        digest = token_hash(token)
        # Keyed by the hash, as in the database: the process never holds the token itself.
        cached = token_cache.get(digest) if ttl > 0 else None
        if cached is not None:
            return cached
        row = ApiToken.objects.select_related("user").filter(key_hash=digest).first()
        # The lookup is by hash; comparing again in constant time costs nothing and keeps
        # the check honest should the lookup ever become a prefix or index scan.
        if row is None or not hmac.compare_digest(row.key_hash, digest) or not row.user.is_active:
            raise exceptions.AuthenticationFailed("Invalid token.")
        if ttl > 0:
            token_cache.put(digest, row.user, row, ttl)
        return row.user, row

    @staticmethod
    def _service_principal(service_token: str, ttl: float) -> tuple[Any, Any]:
        username = settings.REGISTRY_SERVICE_USERNAME
        key = _service_key(service_token)
        cached = token_cache.get(key) if ttl > 0 else None
        if cached is not None:
            return cached
        user, _ = get_user_model().objects.get_or_create(username=username)
        principal = (user, ServicePrincipal())
        if ttl > 0:
            token_cache.put(key, *principal, ttl)
        return principal

    def authenticate_header(self, request) -> str:
        return f'Bearer realm="{REALM}"'


class BasicAuthentication(authentication.BasicAuthentication):
    www_authenticate_realm = REALM


class HasRegistryAccess(permissions.BasePermission):
    """A token's user, the service principal, a superuser, or `registry.access_api`."""

    message = "These credentials do not grant access to the JFrog ML registry API."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if user is None or not user.is_authenticated:
            return False
        if isinstance(request.auth, ApiToken | ServicePrincipal):
            return True
        return bool(user.is_superuser or user.has_perm("registry.access_api"))
