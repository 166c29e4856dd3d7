"""Pond's roles: one auth group per role, made of the dashboard's permissions.

Used by the data migration that creates the groups, and callable again (it is
idempotent) wherever the groups may have been wiped, e.g. after a test flush.
"""

from __future__ import annotations

from typing import Any

VIEWER = "viewer"
ENGINEER = "engineer"
REVIEWER = "reviewer"
ADMIN = "admin"

ENGINEER_PERMS = ("change_registry", "deploy", "request_promotion")
# Reviewers also get the engineer's rights: on a small team the reviewer is an
# engineer too, and separating duties is enforced where it matters (a reviewer
# cannot decide on their own request), not by withholding day-to-day work.
ROLE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    VIEWER: (),
    ENGINEER: ENGINEER_PERMS,
    REVIEWER: (*ENGINEER_PERMS, "decide_promotion"),
    ADMIN: (
        *ENGINEER_PERMS,
        "decide_promotion",
        "add_deploymentresources",
        "change_deploymentresources",
        "delete_deploymentresources",
        "view_deploymentresources",
    ),
}
# Shown in the navigation, strongest first.
ROLE_ORDER = (ADMIN, REVIEWER, ENGINEER, VIEWER)


def ensure_roles(apps: Any = None) -> None:
    """Create the role groups and their permissions (idempotent).

    `apps` is the migration state's registry inside a migration, or None for
    the live models.
    """
    if apps is None:
        from django.apps import apps as live_apps

        apps = live_apps
    from django.contrib.auth.management import create_permissions

    app_config = apps.get_app_config("dashboard")
    # Permissions are normally created after all migrations (post_migrate); the
    # groups need them now.
    app_config.models_module = getattr(app_config, "models_module", None) or True
    create_permissions(app_config, apps=apps, verbosity=0)

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codenames in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        perms = Permission.objects.filter(content_type__app_label="dashboard", codename__in=codenames)
        group.permissions.set(perms)


def role_of(user: Any) -> str:
    """The strongest role a user holds, for the navigation ("admin" for superusers)."""
    if not getattr(user, "is_authenticated", False):
        return ""
    if user.is_superuser:
        return ADMIN
    names = set(user.groups.values_list("name", flat=True))
    for role in ROLE_ORDER:
        if role in names:
            return role
    return "no role"
