"""Tokens made before roles applied to them keep working.

Until tokens carried their owner's rights, any token was accepted. A token made by
`registry_token create ci-bot` belongs to a user with no role; without this, every
call it makes would become a 403 on upgrade. Such owners (no role group, no user or
group permission) get the registry's own right, `registry.access_api` (reads and
writes; staging and production stay the review's), which is what `registry_token
create` now gives a program's new account. People with a role keep exactly their role.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ROLE_GROUPS = ("viewer", "engineer", "reviewer", "admin")


def grant(apps, schema_editor):
    registry = apps.get_app_config("registry")
    registry.models_module = True
    create_permissions(registry, apps=apps, verbosity=0)
    Permission = apps.get_model("auth", "Permission")
    ApiToken = apps.get_model("registry", "ApiToken")
    access = Permission.objects.get(content_type__app_label="registry", codename="access_api")
    for token in ApiToken.objects.select_related("user"):
        user = token.user
        if user.is_superuser or user.groups.filter(name__in=ROLE_GROUPS).exists():
            continue
        if user.user_permissions.exists() or user.groups.filter(permissions__isnull=False).exists():
            continue
        user.user_permissions.add(access)


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0003_rowcount"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
