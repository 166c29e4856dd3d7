from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import post_delete, post_migrate, post_save


def _token_deleted(sender, instance, **kwargs) -> None:
    from django.db import transaction

    from registry.auth import forget_token

    key_hash = instance.key_hash
    forget_token(key_hash)
    # Again at commit: a request between the delete and the commit still found the row.
    transaction.on_commit(lambda: forget_token(key_hash))


def _user_changed(sender, instance, **kwargs) -> None:
    # Deactivated, renamed or deleted: the next request checks the user's tokens again.
    from django.db import transaction

    from registry.auth import forget_user

    user_id = instance.pk
    forget_user(user_id)
    transaction.on_commit(lambda: forget_user(user_id))


def _recount(sender, using="default", apps=None, **kwargs) -> None:
    from registry.rowcount import recount_all

    # After a partial migrate (or one backwards) the table may be older than this code.
    try:
        fields = {f.name for f in apps.get_model("registry", "RowCount")._meta.get_fields()} if apps else None
    except LookupError:
        return
    if fields is not None and "changes" not in fields:
        return
    recount_all(using)


class RegistryConfig(AppConfig):
    name = "registry"
    verbose_name = "JFrog ML registry (embedded)"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registers the OpenAPI security scheme extensions with drf-spectacular.
        from django.conf import settings

        from registry import openapi  # noqa: F401

        # The token cache of registry.auth forgets what this process changes at once.
        post_delete.connect(_token_deleted, sender="registry.ApiToken", dispatch_uid="registry-token-deleted")
        post_save.connect(_user_changed, sender=settings.AUTH_USER_MODEL, dispatch_uid="registry-user-saved")
        post_delete.connect(_user_changed, sender=settings.AUTH_USER_MODEL, dispatch_uid="registry-user-deleted")
        # `flush` empties the row counts too; it sends post_migrate afterwards.
        post_migrate.connect(_recount, sender=self, dispatch_uid="registry-recount")
