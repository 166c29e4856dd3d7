from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import m2m_changed, post_delete, post_save


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


def _user_rights_changed(sender, instance, action, reverse, pk_set, **kwargs) -> None:
    # A user's groups or permissions changed (user.groups.add, group.user_set.remove, ...):
    # a token carries its user's rights, so the next request checks them again.
    if not action.startswith("post_"):
        return
    from django.db import transaction

    from registry.auth import forget_everyone, forget_user

    if not reverse:
        user_ids = [instance.pk]
    elif pk_set is not None:
        user_ids = list(pk_set)
    else:  # group.user_set.clear(): whoever was in it
        forget_everyone()
        transaction.on_commit(forget_everyone)
        return

    def forget() -> None:
        for user_id in user_ids:
            forget_user(user_id)

    forget()
    transaction.on_commit(forget)


def _groups_changed(sender, **kwargs) -> None:
    # A group renamed, deleted or given other permissions: anyone may hold it.
    from django.db import transaction

    from registry.auth import forget_everyone

    forget_everyone()
    transaction.on_commit(forget_everyone)


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
        # A token carries its user's Pond role: a change of groups or permissions counts too.
        from django.contrib.auth import get_user_model
        from django.contrib.auth.models import Group

        user_model = get_user_model()
        for field in ("groups", "user_permissions"):
            if hasattr(user_model, field):
                m2m_changed.connect(
                    _user_rights_changed, sender=getattr(user_model, field).through, dispatch_uid=f"registry-user-{field}"
                )
        m2m_changed.connect(_groups_changed, sender=Group.permissions.through, dispatch_uid="registry-group-perms")
        post_save.connect(_groups_changed, sender=Group, dispatch_uid="registry-group-saved")
        post_delete.connect(_groups_changed, sender=Group, dispatch_uid="registry-group-deleted")
