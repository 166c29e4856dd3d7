"""Making, finding and revoking personal API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from webui.activity.models import Activity
from webui.activity.services import activity_record, fit_text
from webui.api.models import ApiToken

PREFIX = "pond_"
# last_used_at is written at most this often per token (not one write per call).
TOUCH_EVERY = timedelta(seconds=60)


class TokenRefused(Exception):
    def __init__(self, message: str, *, field: str = "name") -> None:
        self.message, self.field = message, field
        super().__init__(message)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def token_create(*, user: Any, name: str) -> tuple[ApiToken, str]:
    """A new token for `user`: (its record, the token itself, to show once)."""
    name = fit_text((name or "").strip(), 100)
    if not name:
        raise TokenRefused("Give the token a name (what will use it, e.g. “release pipeline”).")
    if ApiToken.objects.filter(user=user, name=name, revoked_at__isnull=True).exists():
        raise TokenRefused("You already have a token with this name: revoke it first, or choose another name.")
    token = PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        record = ApiToken.objects.create(user=user, name=name, prefix=token[: len(PREFIX) + 6], digest=digest(token))
        activity_record(user=user, action=Activity.CREATED, kind=Activity.API_TOKEN, object_id=record.pk, object_name=name)
    return record, token


def token_revoke(*, user: Any, token_id: int) -> ApiToken:
    """Revoke one of `user`'s own tokens (revoking twice changes nothing)."""
    record = ApiToken.objects.filter(pk=token_id, user=user).first()
    if record is None:
        raise TokenRefused("No such token of yours.", field="token")
    with transaction.atomic():
        if ApiToken.objects.filter(pk=record.pk, revoked_at__isnull=True).update(revoked_at=timezone.now()):
            activity_record(
                user=user, action=Activity.REVOKED, kind=Activity.API_TOKEN, object_id=record.pk, object_name=record.name
            )
    record.refresh_from_db()
    return record


def tokens_of(user: Any) -> list[ApiToken]:
    return list(ApiToken.objects.filter(user=user))


def token_user(token: str) -> tuple[Any, ApiToken] | None:
    """(user, token record) for a live token of an active user; None otherwise."""
    if not token.startswith(PREFIX) or len(token) > 200:
        return None
    record = ApiToken.objects.select_related("user").filter(digest=digest(token), revoked_at__isnull=True).first()
    if record is None or not record.user.is_active:
        return None
    now = timezone.now()
    if record.last_used_at is None or now - record.last_used_at > TOUCH_EVERY:
        ApiToken.objects.filter(pk=record.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - TOUCH_EVERY)
        ).update(last_used_at=now)
    return record.user, record
