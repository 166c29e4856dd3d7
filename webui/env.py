"""Typed readers for environment variables that refuse bad values loudly.

Every setting comes from the environment; a malformed value stops start-up with a
message that names the variable, instead of surfacing later as an odd behaviour.
"""

from __future__ import annotations

import ipaddress
import os
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _bad(name: str, value: str, expected: str) -> ImproperlyConfigured:
    return ImproperlyConfigured(f"Environment variable {name}={value!r} is not valid: expected {expected}.")


def envstr(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def envbool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise _bad(name, raw, "one of 1/0, true/false, yes/no, on/off")


def envint(name: str, default: int, *, minimum: int | None = None, maximum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise _bad(name, raw, "a whole number") from None
    if minimum is not None and value < minimum:
        raise _bad(name, raw, f"a whole number >= {minimum}")
    if maximum is not None and value > maximum:
        raise _bad(name, raw, f"a whole number <= {maximum}")
    return value


def envfloat(name: str, default: float, *, minimum: float | None = None) -> float:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw.strip())
    except ValueError:
        raise _bad(name, raw, "a number") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise _bad(name, raw, "a finite number")
    if minimum is not None and value < minimum:
        raise _bad(name, raw, f"a number >= {minimum}")
    return value


def envlist(name: str, default: list[str] | None = None) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


def envurl(name: str, default: str = "", *, schemes: tuple[str, ...] = ("http", "https")) -> str:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip()
    parts = urlsplit(value)
    if parts.scheme not in schemes or not parts.netloc:
        raise _bad(name, raw, f"a URL starting with {' or '.join(s + '://' for s in schemes)}")
    return value.rstrip("/")


def envjson(name: str, default: object = None) -> object:
    """A JSON value (for structured settings such as lists of rules)."""
    import json

    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise _bad(name, raw, f"valid JSON ({exc})") from None


def envnetworks(name: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """A comma-separated list of IP addresses or networks (CIDR), e.g. "10.0.0.2,172.18.0.0/16"."""
    networks = []
    for item in envlist(name, []):
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise _bad(name, item, "IP addresses or networks, e.g. 10.0.0.2,172.18.0.0/16") from None
    return networks
