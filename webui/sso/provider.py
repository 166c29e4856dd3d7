"""The provider's endpoints, from its discovery document.

Read when a sign-in starts, when its answer comes back and at sign-out: one small
GET each time, bounded by POND_OIDC_TIMEOUT, so a provider that moved an endpoint or
rotated its configuration is followed at once and a provider that is down is seen
before anyone is sent to it. Nothing is kept between requests.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import requests
from django.conf import settings

from webui.sso.errors import ProviderMisconfigured, ProviderUnavailable

log = logging.getLogger("pond.sso")

DISCOVERY_PATH = "/.well-known/openid-configuration"


@dataclass(frozen=True)
class ProviderMetadata:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str = ""
    end_session_endpoint: str = ""


def sso_enabled() -> bool:
    return bool(settings.POND_OIDC_ISSUER)


def local_login_allowed() -> bool:
    """Password sign-in: on unless switched off, and always when there is no SSO."""
    return settings.POND_LOCAL_LOGIN or not sso_enabled()


def same_issuer(a: str, b: str) -> bool:
    # POND_OIDC_ISSUER is kept without a trailing slash; some providers' issuer has one.
    return a.rstrip("/") == b.rstrip("/")


def provider_metadata() -> ProviderMetadata:
    """The configured provider's endpoints; ProviderUnavailable or ProviderMisconfigured."""
    issuer = settings.POND_OIDC_ISSUER
    url = issuer.rstrip("/") + DISCOVERY_PATH
    doc = _get_json(url)
    if not isinstance(doc, dict):
        raise ProviderMisconfigured(
            f"The provider's discovery document at {url} is not a JSON object."
        )
    if not same_issuer(str(doc.get("issuer", "")), issuer):
        raise ProviderMisconfigured(
            f"The provider calls itself {doc.get('issuer')!r}, not {issuer!r}: check POND_OIDC_ISSUER."
        )
    missing = [
        name
        for name in ("authorization_endpoint", "token_endpoint", "jwks_uri")
        if not doc.get(name)
    ]
    if missing:
        raise ProviderMisconfigured(
            f"The provider's discovery document has no {', '.join(missing)}."
        )
    return ProviderMetadata(
        issuer=str(doc["issuer"]),
        authorization_endpoint=str(doc["authorization_endpoint"]),
        token_endpoint=str(doc["token_endpoint"]),
        jwks_uri=str(doc["jwks_uri"]),
        userinfo_endpoint=str(doc.get("userinfo_endpoint") or ""),
        end_session_endpoint=str(doc.get("end_session_endpoint") or ""),
    )


def _get_json(url: str) -> object:
    started = time.monotonic()
    outcome = "error"
    try:
        response = requests.get(
            url,
            timeout=settings.POND_OIDC_TIMEOUT,
            headers={"Accept": "application/json"},
            allow_redirects=False,
        )
        outcome = str(response.status_code)
    except requests.Timeout as exc:
        outcome = "timeout"
        raise ProviderUnavailable(
            _not_answering(f"did not answer within {settings.POND_OIDC_TIMEOUT:g} s")
        ) from exc
    except requests.RequestException as exc:
        raise ProviderUnavailable(_not_answering("could not be reached")) from exc
    finally:
        log.info("oidc GET %s -> %s in %.0f ms", url, outcome, (time.monotonic() - started) * 1000)
    if response.status_code >= 500:
        raise ProviderUnavailable(
            _not_answering(f"answered with an error ({response.status_code})")
        )
    if response.status_code != 200:
        raise ProviderMisconfigured(
            f"The provider answered {response.status_code} at {url}: check POND_OIDC_ISSUER."
        )
    try:
        return response.json()
    except ValueError as exc:
        raise ProviderMisconfigured(
            f"The provider's discovery document at {url} is not JSON."
        ) from exc


def _not_answering(how: str) -> str:
    return f"{settings.POND_OIDC_NAME} ({settings.POND_OIDC_ISSUER}) {how}. Try again in a few minutes."
