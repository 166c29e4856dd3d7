"""Keep credentials out of text that came back from an upstream.

An upstream (or a proxy in front of it) may echo the Authorization header it
received in an error message; that message is then shown on a page and logged.
`credential_secrets` lists every form of the credentials a request carried, and
`redact` removes them from any text derived from the answer.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Mapping

REDACTED = "[redacted]"
# Shorter fragments are not worth redacting (and would mangle ordinary words).
_MIN_SECRET = 6


def credential_secrets(headers: Mapping[str, str] | None) -> list[str]:
    """Every form of the credentials in a request's Authorization header, longest first."""
    value = (headers or {}).get("Authorization") or ""
    if not value:
        return []
    found = {value}
    scheme, _, credential = value.partition(" ")
    credential = credential.strip()
    if credential:
        found.add(credential)
    if scheme.lower() == "basic" and credential:
        try:
            decoded = base64.b64decode(credential, validate=True).decode("utf-8", "replace")
        except (binascii.Error, ValueError):
            decoded = ""
        _, _, password = decoded.partition(":")
        found.update(s for s in (decoded, password) if s)
    return sorted((s for s in found if len(s) >= _MIN_SECRET), key=len, reverse=True)


def redact(text: str | None, secrets: Iterable[str]) -> str | None:
    if not text:
        return text
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text
