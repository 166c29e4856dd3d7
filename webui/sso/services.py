"""Signing someone in from the claims the provider vouched for.

The person is found by (issuer, `sub`); a first sign-in makes their Pond account.
Their roles are set from the group claim at every sign-in: roles the provider no
longer grants are taken away, and someone with no role is refused (and keeps none).
Superuser and staff status are not the provider's to give or take: they stay as a
Pond admin set them in /admin/.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction
from django.utils import timezone

from webui.core.roles import ROLE_ORDER, ensure_roles
from webui.sso.errors import SignInInvalid, SignInRefused
from webui.sso.models import SsoIdentity
from webui.sso.rolemap import ANYONE, groups_in, parse_role_map, roles_for

log = logging.getLogger("pond.sso")

_USERNAME_UNSAFE = re.compile(r"[^\w.@+-]+")


def sso_user_sign_in(*, issuer: str, claims: Mapping[str, Any]) -> Any:
    """The Pond user these claims belong to, with their roles set; SignInRefused if none."""
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        raise SignInInvalid("The provider's answer names nobody (it has no `sub`).")
    groups = groups_in(claims, settings.POND_OIDC_GROUPS_CLAIM)
    mapping = parse_role_map(settings.POND_OIDC_ROLE_MAP)
    roles = roles_for(groups, mapping)
    identity = (
        SsoIdentity.objects.select_related("user").filter(issuer=issuer, subject=subject).first()
    )
    if not roles:
        if identity is not None:
            # Whatever session they still hold elsewhere loses its rights too.
            sso_roles_apply(user=identity.user, roles=set())
        log.warning(
            "sso sign-in refused: %s (%s) is in no mapped group (groups: %s)",
            subject,
            issuer,
            groups,
        )
        raise SignInRefused(_no_role_message(mapping))
    if identity is not None and not identity.user.is_active:
        raise SignInRefused(
            "Your Pond account is switched off. Ask a Pond admin to switch it on again."
        )
    try:
        with transaction.atomic():
            if identity is None:
                identity = _identity_create(issuer=issuer, subject=subject, claims=claims)
            user = identity.user
            _profile_update(user, claims)
            identity.groups = groups
            identity.last_sign_in_at = timezone.now()
            identity.save(update_fields=["groups", "last_sign_in_at"])
            sso_roles_apply(user=user, roles=roles)
    except IntegrityError:
        # The same person's first sign-in in two tabs at once: the other made the account.
        identity = SsoIdentity.objects.select_related("user").get(issuer=issuer, subject=subject)
        user = identity.user
        sso_roles_apply(user=user, roles=roles)
    return user


def sso_roles_apply(*, user: Any, roles: set[str]) -> bool:
    """Give `user` exactly these Pond roles (other groups are left alone); True if changed."""
    role_groups = {group.name: group for group in Group.objects.filter(name__in=ROLE_ORDER)}
    if len(role_groups) < len(ROLE_ORDER):
        ensure_roles()
        role_groups = {group.name: group for group in Group.objects.filter(name__in=ROLE_ORDER)}
    held = set(user.groups.filter(name__in=ROLE_ORDER).values_list("name", flat=True))
    gone, new = held - roles, roles - held
    if not gone and not new:
        return False
    user.groups.remove(*(role_groups[name] for name in gone))
    user.groups.add(*(role_groups[name] for name in new))
    log.info(
        "sso roles of %s: %s -> %s",
        user.get_username(),
        ",".join(sorted(held)) or "none",
        ",".join(sorted(roles)) or "none",
    )
    return True


def _identity_create(*, issuer: str, subject: str, claims: Mapping[str, Any]) -> SsoIdentity:
    User = get_user_model()
    user = User(username=_free_username(claims, subject))
    user.set_unusable_password()  # signs in through the provider only
    user.save()
    log.info("sso: made account %s for %s at %s", user.get_username(), subject, issuer)
    return SsoIdentity.objects.create(user=user, issuer=issuer, subject=subject)


def _profile_update(user: Any, claims: Mapping[str, Any]) -> None:
    """Name and email as the provider knows them now (the username never changes)."""
    values = {
        "email": _claim(claims, "email", 254),
        "first_name": _claim(claims, "given_name", 150) or _claim(claims, "name", 150),
        "last_name": _claim(claims, "family_name", 150),
    }
    changed = [field for field, value in values.items() if value and getattr(user, field) != value]
    for field in changed:
        setattr(user, field, values[field])
    if changed:
        user.save(update_fields=changed)


def _claim(claims: Mapping[str, Any], name: str, limit: int) -> str:
    value = claims.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def _free_username(claims: Mapping[str, Any], subject: str) -> str:
    """The provider's preferred username (else email, else `sub`), made unique with -2, -3, …

    An existing account with that name is never taken over: a local `alice` and
    alice from the provider are two accounts until an admin links them.
    """
    User = get_user_model()
    wanted = _claim(claims, "preferred_username", 140) or _claim(claims, "email", 140) or subject
    base = _USERNAME_UNSAFE.sub("-", wanted).strip("-")[:140] or "user"
    name, n = base, 1
    while User.objects.filter(username__iexact=name).exists():
        n += 1
        name = f"{base}-{n}"
    return name


def _no_role_message(mapping: Mapping[str, str]) -> str:
    groups = sorted(group for group in mapping if group != ANYONE)
    return (
        f"Your {settings.POND_OIDC_NAME} account is in none of the groups that give a role in Pond"
        f" ({', '.join(groups)}). Ask your administrator to add you to one of them, then sign in again."
    )
