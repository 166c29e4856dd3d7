"""Opaque, prefixed identifiers (`mdl_8f3a...`), the only handles the API exposes."""

from __future__ import annotations

import hashlib
import re
import secrets

MODEL = "mdl"
VERSION = "ver"
EXPERIMENT = "exp"
DEPLOYMENT = "dep"

# Anything that is not shaped like an ID cannot name a row; checking first keeps odd
# path values (NUL bytes, 10 KB strings) away from the database driver.
_ID_SHAPE = re.compile(r"[A-Za-z0-9_-]{1,64}")


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(8)}"


def stable_id(prefix: str, key: str) -> str:
    """A deterministic ID for demo data, so that seeding twice finds the same rows."""
    return f"{prefix}_{hashlib.sha256(key.encode()).hexdigest()[:16]}"


def looks_like_id(value: str) -> bool:
    return bool(_ID_SHAPE.fullmatch(value))
