"""Who may call the registry: bearer tokens and HTTP basic, nothing else, and what they may do.

Session authentication is deliberately absent, so a browser logged in to Pond gets
nothing here (401): the API is for programs holding credentials.

One rule for both schemes (HasRegistryAccess): a token carries its owner's Pond rights,
exactly as that user's password would. A user with a Pond role reads; writes need what
Pond's own forms need (`dashboard.change_registry`, `dashboard.deploy` for deployments:
engineers, reviewers, admins); a user with no role gets 403. `registry.access_api` is the
registry's own right, for a program's account that holds no Pond role: it reads and writes.
Moving a version to staging or production, or out of production, is Pond's review flow's
alone, i.e. the service principal's (registry.services).
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
from django.contrib.auth.models import Permission
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


# Pond's roles, by the names of their groups (webui.core.roles). The registry never
# imports webui, so it names them here; tests/registry/test_roles.py holds the two together.
ROLE_GROUPS = ("viewer", "engineer", "reviewer", "admin")
# The registry's own right: a program's account with no Pond role reads and writes with it.
ACCESS_PERM = "registry.access_api"
# What a write needs, as in Pond's forms: models, versions and experiments; deployments.
CHANGE_PERM = "dashboard.change_registry"
DEPLOY_PERM = "dashboard.deploy"

NO_ACCESS = (
    "These credentials do not grant access to the JFrog ML registry API: their user has no "
    "Pond role (viewers read, engineers, reviewers and admins write)."
)
READ_ONLY = (
    "These credentials may read the registry but not change it: writes need Pond's engineer, "
    "reviewer or admin role."
)


class ServicePrincipal:
    """`request.auth` of a request made with settings.REGISTRY_SERVICE_TOKEN."""


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_create(*, username: str) -> tuple[ApiToken, str]:
    """Create a token (and its user if needed); return the row and the token, shown once.

    The token carries its user's rights. A user made here is a program's account, not a
    person of Pond's: it is given the registry's own right (ACCESS_PERM), or its token
    would be refused. An existing user is given nothing: a viewer's token only reads."""
    user, created = get_user_model().objects.get_or_create(username=username)
    if created:
        app_label, codename = ACCESS_PERM.split(".")
        user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken.objects.create(user=user, key_hash=token_hash(token), prefix=token[:12])
    return row, token


def is_service_principal(auth: Any) -> bool:
    return isinstance(auth, ServicePrincipal)


def _holds_a_role(user: Any) -> bool:
    # A checked token's user comes with its groups prefetched (BearerTokenAuthentication),
    # so the fast path asks no query here.
    return any(group.name in ROLE_GROUPS for group in user.groups.all())


def may_read(user: Any, auth: Any) -> bool:
    """The service principal, anyone with a Pond role, or a holder of a registry right."""
    if is_service_principal(auth):
        return True
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return _holds_a_role(user) or any(user.has_perm(perm) for perm in (ACCESS_PERM, CHANGE_PERM, DEPLOY_PERM))


def may_write(user: Any, auth: Any, *, perm: str = CHANGE_PERM) -> bool:
    """The service principal, a holder of `perm` (superusers hold every one), or of ACCESS_PERM."""
    if is_service_principal(auth):
        return True
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return user.has_perm(perm) or user.has_perm(ACCESS_PERM)


def rights_summary(user: Any) -> str:
    """What a token of `user` may do, in a sentence (for `registry_token create`)."""
    if may_write(user, None):
        return (
            "It may read and write; a version reaches staging or production, or leaves production, "
            "only through a review in Pond (/reviews/)."
        )
    if may_read(user, None):
        return "It may read, not write (writes need Pond's engineer, reviewer or admin role)."
    return (
        f"The registry refuses this token (403) until {user.get_username()} has a Pond role "
        "(viewers read, engineers write)."
    )


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
    """This process checks the user's tokens again (called when the user, their groups or
    their permissions change, or the user goes)."""
    token_cache.forget(user_id=user_id)


def forget_everyone() -> None:
    """This process checks every token again (called when a group or its permissions change)."""
    token_cache.clear()


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
        row = ApiToken.objects.select_related("user").prefetch_related("user__groups").filter(key_hash=digest).first()
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
    """The one rule, whatever the scheme: reads need `may_read`, writes `may_write` with the
    view's `write_permission`. (Which version statuses a writer may set: registry.services.)"""

    message = NO_ACCESS

    def has_permission(self, request, view) -> bool:
        if not may_read(request.user, request.auth):
            return False
        if request.method in permissions.SAFE_METHODS:
            return True
        if may_write(request.user, request.auth, perm=getattr(view, "write_permission", CHANGE_PERM)):
            return True
        self.message = READ_ONLY  # DRF makes a permission object per request
        return False
