"""Fill in the requester's username where a request was saved without it.

The two-person rule compares on `requested_by_name` (the user row may be deleted:
`requested_by` is SET_NULL). Pond's services always set it; a row made another way
(a shell, a fixture, an admin) may have only the foreign key: copy the name from it
while the user still exists. Data only, and safe to run again.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import migrations


def requested_by_name_backfill(apps, schema_editor):
    ReviewRequest = apps.get_model("reviews", "ReviewRequest")
    username_field = get_user_model().USERNAME_FIELD
    missing = ReviewRequest.objects.filter(requested_by_name="", requested_by__isnull=False)
    for pk, name in missing.values_list("pk", f"requested_by__{username_field}").iterator():
        ReviewRequest.objects.filter(pk=pk, requested_by_name="").update(requested_by_name=str(name)[:150])


class Migration(migrations.Migration):
    dependencies = [
        ("reviews", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(requested_by_name_backfill, migrations.RunPython.noop, elidable=True),
    ]
