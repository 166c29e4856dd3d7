"""mozilla-django-oidc's authentication backend, set up from Pond's settings.

The library does the protocol: the code exchange with the PKCE verifier, the ID
token's signature (the provider's JWKS), its expiry and nonce. Pond adds what the
library leaves to its users: the endpoints from discovery, the token's issuer and
audience, the `sub` of the user info matching the ID token's, people found by `sub`
(webui.sso.services), and every failure mapped here, in one place, to the
SignInError that says what happened.
"""

from __future__ import annotations

import logging
from typing import Any

import jwt
import requests
from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import import_from_settings

from webui.core.auth import CachedModelBackend
from webui.sso.errors import (
    ProviderMisconfigured,
    ProviderUnavailable,
    SignInError,
    SignInInvalid,
)
from webui.sso.provider import ProviderMetadata, provider_metadata, same_issuer
from webui.sso.services import sso_user_sign_in

log = logging.getLogger("pond.sso")

# Signature algorithm of the ID token: RS256, which OpenID Connect makes every provider
# support and the default for every client.
SIGN_ALGO = "RS256"


def library_setting(name: str, *default: Any) -> Any:
    """mozilla-django-oidc's settings, derived from Pond's (POND_OIDC_*): one source."""
    derived = {
        "OIDC_RP_CLIENT_ID": settings.POND_OIDC_CLIENT_ID,
        "OIDC_RP_CLIENT_SECRET": settings.POND_OIDC_CLIENT_SECRET,
        "OIDC_RP_SCOPES": settings.POND_OIDC_SCOPES,
        "OIDC_RP_SIGN_ALGO": SIGN_ALGO,
        "OIDC_RP_IDP_SIGN_KEY": None,
        "OIDC_USE_PKCE": True,
        "OIDC_PKCE_CODE_CHALLENGE_METHOD": "S256",
        "OIDC_USE_NONCE": True,
        "OIDC_ALLOW_UNSECURED_JWT": False,
        "OIDC_VERIFY_SSL": True,
        "OIDC_TIMEOUT": settings.POND_OIDC_TIMEOUT,
        "OIDC_TOKEN_USE_BASIC_AUTH": False,
        # Kept by Pond itself (webui.sso.views), after the session is renewed.
        "OIDC_STORE_ACCESS_TOKEN": False,
        "OIDC_STORE_ID_TOKEN": False,
        "OIDC_AUTHENTICATION_CALLBACK_URL": "oidc_authentication_callback",
    }
    if name in derived:
        return derived[name]
    return import_from_settings(name, *default)


class OIDCBackend(OIDCAuthenticationBackend):
    get_settings = staticmethod(library_setting)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Django makes a backend for every authenticate() and every session's user: no
        # settings reads or network here. Endpoints are read when a sign-in completes.
        from django.contrib.auth import get_user_model

        self.UserModel = get_user_model()
        self.OIDC_RP_SIGN_ALGO = SIGN_ALGO
        self.OIDC_RP_IDP_SIGN_KEY = None
        self.metadata: ProviderMetadata | None = None
        self.id_token = ""

    def get_user(self, user_id: Any) -> Any:
        # The session's user, as for password sign-ins (from Redis when there is one).
        return CachedModelBackend().get_user(user_id)

    def authenticate(self, request: HttpRequest | None, **kwargs: Any) -> Any:
        # Only the callback view passes a nonce; a password sign-in never reaches the provider.
        if request is None or "nonce" not in kwargs or not settings.POND_OIDC_ISSUER:
            return None
        self.OIDC_RP_CLIENT_ID = settings.POND_OIDC_CLIENT_ID
        self.OIDC_RP_CLIENT_SECRET = settings.POND_OIDC_CLIENT_SECRET
        try:
            self.metadata = provider_metadata()
            answered_by = request.GET.get("iss")
            if answered_by and not same_issuer(answered_by, self.metadata.issuer):
                # RFC 9207: an answer from another provider, mixed up with ours.
                raise SignInInvalid(
                    "This answer comes from another provider than the one Pond uses."
                )
            self.OIDC_OP_TOKEN_ENDPOINT = self.metadata.token_endpoint
            self.OIDC_OP_USER_ENDPOINT = self.metadata.userinfo_endpoint
            self.OIDC_OP_JWKS_ENDPOINT = self.metadata.jwks_uri
            return super().authenticate(request, **kwargs)
        except SignInError:
            raise
        except (requests.Timeout, requests.ConnectionError) as exc:
            raise ProviderUnavailable(
                f"{settings.POND_OIDC_NAME} did not answer while finishing your sign-in. Try again in a few minutes."
            ) from exc
        except requests.HTTPError as exc:
            raise _refusal(exc.response) from exc
        except requests.RequestException as exc:  # includes an answer that is not JSON
            log.warning("sso: unreadable answer from the provider: %s", exc)
            raise ProviderMisconfigured(
                "The provider answered with something Pond could not read."
            ) from exc
        except (jwt.PyJWTError, SuspiciousOperation) as exc:
            log.warning("sso: ID token refused: %s", exc)
            raise SignInInvalid(
                "The provider's answer could not be verified (its signature, age or nonce). Sign in again."
            ) from exc
        except (KeyError, TypeError) as exc:  # a token or key set without the fields it must have
            log.warning("sso: malformed answer from the provider", exc_info=True)
            raise ProviderMisconfigured(
                "The provider answered with something Pond could not read."
            ) from exc

    def store_tokens(self, access_token: str, id_token: str) -> None:
        self.id_token = id_token  # the sign-out's id_token_hint, kept by the callback view

    def verify_token(self, token: str, **kwargs: Any) -> dict:
        if not token:
            raise SignInInvalid(
                "The provider returned no ID token: check that POND_OIDC_SCOPES includes openid."
            )
        payload = super().verify_token(token, **kwargs)
        metadata = self.metadata
        if metadata is not None and not same_issuer(str(payload.get("iss", "")), metadata.issuer):
            raise SuspiciousOperation(f"ID token issued by {payload.get('iss')!r}")
        audience = payload.get("aud")
        audiences = [audience] if isinstance(audience, str) else list(audience or [])
        if self.OIDC_RP_CLIENT_ID not in audiences:
            raise SuspiciousOperation(f"ID token meant for {audiences!r}")
        if len(audiences) > 1 and payload.get("azp") != self.OIDC_RP_CLIENT_ID:
            raise SuspiciousOperation(
                "ID token for several audiences without Pond as its authorized party"
            )
        return payload

    def get_userinfo(self, access_token: str, id_token: str, payload: dict) -> dict:
        """The ID token's claims, with the user info endpoint's over them (groups are often only there)."""
        claims = dict(payload)
        if self.OIDC_OP_USER_ENDPOINT:
            info = super().get_userinfo(access_token, id_token, payload)
            if not isinstance(info, dict) or info.get("sub") != payload.get("sub"):
                # OpenID Connect Core 5.3.2: user info about someone else must not be used.
                log.warning("sso: user info names another subject than the ID token")
                raise SignInInvalid(
                    "The provider's answers about you do not agree with each other. Sign in again."
                )
            claims.update(info)
        return claims

    def get_or_create_user(self, access_token: str, id_token: str, payload: dict) -> Any:
        claims = self.get_userinfo(access_token, id_token, payload)
        user = sso_user_sign_in(issuer=settings.POND_OIDC_ISSUER, claims=claims)
        user.sso_id_token = self.id_token
        return user


def _refusal(response: requests.Response | None) -> SignInError:
    """What an error answer from the token, user info or key endpoint means for the person."""
    status = response.status_code if response is not None else 0
    error = ""
    if response is not None:
        try:
            body = response.json()
            error = str(body.get("error", "")) if isinstance(body, dict) else ""
        except ValueError:
            error = ""
    url = response.url if response is not None else ""
    log.warning("sso: provider answered %s (%s) at %s", status, error or "no error code", url)
    if status >= 500 or status in (429, 0):
        return ProviderUnavailable(
            f"{settings.POND_OIDC_NAME} is failing ({status}) while finishing your sign-in. Try again in a few minutes."
        )
    if error == "invalid_grant":
        return SignInInvalid(
            "This sign-in code has expired or was already used (a link opened twice, or a page reloaded). "
            "Sign in again."
        )
    if error in ("invalid_client", "unauthorized_client"):
        return ProviderMisconfigured(
            "The provider did not accept Pond's client credentials. A Pond administrator should check "
            "POND_OIDC_CLIENT_ID and POND_OIDC_CLIENT_SECRET."
        )
    return ProviderMisconfigured(
        f"The provider refused the sign-in ({' '.join(filter(None, (str(status), error)))})."
    )
