"""Django's ModelBackend, with the logged-in user's row read from Redis instead of the database.

Every page view loads the user behind the session; at a few thousand views a second
that query (and the ORM building it) is a large share of a page-cache hit. With Redis
configured, the row is kept there as JSON of its fields as they came from the database
(before any permission caches are attached), written and read as raw bytes past
django-redis's pickle serializer: whatever is found under the key, loading it cannot
run code. It is dropped whenever the user is saved or deleted, so a password change,
a deactivation or a new name act on the next request.
A bulk `QuerySet.update()` sends no signal; `_TTL` bounds how long such a change can
go unseen. Without Redis (the embedded default) this is plain ModelBackend.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.cache import caches
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

log = logging.getLogger("pond.auth")

_TTL = 30.0


def _enabled() -> bool:
    return settings.CACHES.get("default", {}).get("BACKEND", "").startswith("django_redis.")


def _key(user_id: Any) -> str:
    # Per database: two Ponds sharing one Redis and key prefix never swap user rows.
    database = hashlib.sha256(str(settings.DATABASES["default"].get("NAME", "")).encode()).hexdigest()[:8]
    return f"auth:user:{database}:{user_id}"


def _dumps(user: Any) -> bytes:
    return json.dumps(
        {
            f.attname: None if f.value_from_object(user) is None else f.value_to_string(user)
            for f in user._meta.concrete_fields
        }
    ).encode()


def _loads(raw: bytes) -> Any:
    """The user a `_dumps` wrote, or None for anything else."""
    User = get_user_model()
    try:
        values = json.loads(raw)
        fields = {f.attname: f for f in User._meta.concrete_fields}
        if not isinstance(values, dict) or set(values) != set(fields):
            return None
        user = User(
            **{name: None if value is None else fields[name].to_python(value) for name, value in values.items()}
        )
    except (ValueError, TypeError, ValidationError):
        return None
    user._state.adding = False
    user._state.db = "default"
    return user


def _redis():
    from django_redis import get_redis_connection

    return get_redis_connection("default")


class CachedModelBackend(ModelBackend):
    def get_user(self, user_id: Any) -> Any:
        if not _enabled():
            return super().get_user(user_id)
        key = caches["default"].make_key(_key(user_id))
        try:
            raw = _redis().get(key)
        except Exception:
            raw = None
        if isinstance(raw, bytes):
            user = _loads(raw)
            if user is not None and str(user.pk) == str(user_id):
                return user if self.user_can_authenticate(user) else None
        user = super().get_user(user_id)
        if user is not None:
            try:
                _redis().set(key, _dumps(user), px=int(_TTL * 1000))
            except Exception:
                log.warning("could not keep user %s in the cache", user_id, exc_info=True)
        return user


def forget(user_id: Any) -> None:
    if not _enabled():
        return
    try:
        _redis().delete(caches["default"].make_key(_key(user_id)))
    except Exception:
        log.warning("could not drop user %s from the cache", user_id, exc_info=True)


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="pond-auth-user-saved")
@receiver(post_delete, sender=settings.AUTH_USER_MODEL, dispatch_uid="pond-auth-user-deleted")
def _user_changed(sender: type, instance: Any, **kwargs: Any) -> None:
    user_id = instance.pk
    forget(user_id)
    # Again once the change is committed: a request between the save and the commit
    # read the old row from the database and may have put it back.
    transaction.on_commit(lambda: forget(user_id))
