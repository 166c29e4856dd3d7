# The trigger-kept row count (0003) was a speed device of the registry's own; the
# registry is the embedded stand-in for JFrog ML and counts with COUNT(*) like any
# Django app. Its triggers go first (they write into the table), then the table.

from django.db import migrations

TABLE = "registry_registeredmodel"
STEM = "registry_model_rowcount"
REMOVE = {
    "postgresql": [
        *(f"DROP TRIGGER IF EXISTS {STEM}_{kind} ON {TABLE}" for kind in ("ins", "del", "trunc", "upd")),
        *(f"DROP FUNCTION IF EXISTS registry_rowcount_{name}()" for name in ("inserted", "deleted", "truncated", "changed")),
    ],
    "sqlite": [f"DROP TRIGGER IF EXISTS {STEM}_{kind}" for kind in ("ins", "del", "upd")],
}


def drop_triggers(apps, schema_editor):
    for sql in REMOVE.get(schema_editor.connection.vendor, []):
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0004_token_owners_keep_access"),
    ]

    operations = [
        # Backwards, the table comes back empty and without triggers: readers count.
        migrations.RunPython(drop_triggers, migrations.RunPython.noop),
        migrations.DeleteModel(name="RowCount"),
    ]
