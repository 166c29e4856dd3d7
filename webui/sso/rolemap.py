"""From the provider's groups to Pond's roles (POND_OIDC_ROLE_MAP).

The map is written `group:role,group:role,*:role` (a group name may itself hold
colons: the role is what follows the last one), or as a JSON object
`{"group": "role", "*": "role"}` for group names with commas in them (LDAP DNs).
`*` is the role of someone in none of the mapped groups; without it such a person
gets no role and is refused. Group names match exactly, case included.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

from django.core.exceptions import ImproperlyConfigured

from webui.core.roles import ROLE_ORDER

ANYONE = "*"
VARIABLE = "POND_OIDC_ROLE_MAP"


def _bad(item: str, why: str) -> ImproperlyConfigured:
    return ImproperlyConfigured(f"Environment variable {VARIABLE} has {item!r}: {why}.")


def parse_role_map(raw: str | Mapping[str, str]) -> dict[str, str]:
    """{group: role}; raises ImproperlyConfigured naming the variable and the bad item."""
    if isinstance(raw, Mapping):
        pairs = list(raw.items())
    elif raw.strip().startswith("{"):
        try:
            loaded = json.loads(raw)
        except ValueError as exc:
            raise _bad(raw, f"not valid JSON ({exc})") from None
        if not isinstance(loaded, dict):
            raise _bad(raw, "expected a JSON object of group to role")
        pairs = list(loaded.items())
    else:
        pairs = []
        for item in (part.strip() for part in raw.split(",")):
            if not item:
                continue
            group, sep, role = item.rpartition(":")
            if not sep:
                raise _bad(item, "expected group:role, e.g. ml-engineers:engineer")
            pairs.append((group.strip(), role.strip()))
    mapping: dict[str, str] = {}
    for group, role in pairs:
        if not isinstance(group, str) or not isinstance(role, str) or not group:
            raise _bad(f"{group}:{role}", "expected a group name and a role")
        if role not in ROLE_ORDER:
            raise _bad(f"{group}:{role}", f"the role must be one of {', '.join(ROLE_ORDER)}")
        if mapping.get(group, role) != role:
            raise _bad(group, f"mapped to both {mapping[group]} and {role}")
        mapping[group] = role
    return mapping


def roles_for(groups: Iterable[str], mapping: Mapping[str, str]) -> set[str]:
    """The roles these groups give: every mapped group's, else the `*` role, else none."""
    roles = {mapping[group] for group in groups if group != ANYONE and group in mapping}
    if not roles and ANYONE in mapping:
        roles = {mapping[ANYONE]}
    return roles


def groups_in(claims: Mapping[str, object], claim: str) -> list[str]:
    """The group names in `claim`: a list or a single string; a dotted path
    (`realm_access.roles`) is followed when no claim has that very name."""
    value: object = claims.get(claim)
    if claim not in claims and "." in claim:
        value = claims
        for part in claim.split("."):
            value = value.get(part) if isinstance(value, Mapping) else None
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(item) for item in value if isinstance(item, (str, int))]
    return []
