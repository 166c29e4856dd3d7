"""Who may call the registry: bearer tokens and HTTP basic, nothing else.

Session authentication is deliberately absent, so a browser logged in to Pond gets
nothing here (401): the API is for programs holding credentials.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from rest_framework import authentication, exceptions, permissions

from registry.models import ApiToken

TOKEN_PREFIX = "jfml_"  # noqa: S105 - a label, not a secret
REALM = "jfrog-ml"


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
        service_token = settings.REGISTRY_SERVICE_TOKEN
        if service_token and hmac.compare_digest(token.encode(), service_token.encode()):
            user, _ = get_user_model().objects.get_or_create(username=settings.REGISTRY_SERVICE_USERNAME)
            return user, ServicePrincipal()
        digest = token_hash(token)
        row = ApiToken.objects.select_related("user").filter(key_hash=digest).first()
        # The lookup is by hash; comparing again in constant time costs nothing and keeps
        # the check honest should the lookup ever become a prefix or index scan.
        if row is None or not hmac.compare_digest(row.key_hash, digest) or not row.user.is_active:
            raise exceptions.AuthenticationFailed("Invalid token.")
        return row.user, row

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
