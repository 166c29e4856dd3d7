# The row count also counts changes (inserts, updates, deletes, truncates): registry.readcache
# serves a cached page while the number it was made under has not moved.

import secrets

from django.db import migrations, models

POSTGRESQL_INSTALL = [
    """
    CREATE OR REPLACE FUNCTION registry_rowcount_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE registry_rowcount
        SET row_count = row_count + (SELECT count(*) FROM inserted_rows), changes = changes + 1
        WHERE "table" = TG_TABLE_NAME;
        RETURN NULL;
    END $$
    """,
    """
    CREATE OR REPLACE FUNCTION registry_rowcount_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE registry_rowcount
        SET row_count = row_count - (SELECT count(*) FROM deleted_rows), changes = changes + 1
        WHERE "table" = TG_TABLE_NAME;
        RETURN NULL;
    END $$
    """,
    """
    CREATE OR REPLACE FUNCTION registry_rowcount_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE registry_rowcount SET row_count = 0, changes = changes + 1 WHERE "table" = TG_TABLE_NAME;
        RETURN NULL;
    END $$
    """,
    """
    CREATE OR REPLACE FUNCTION registry_rowcount_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE registry_rowcount SET changes = changes + 1 WHERE "table" = TG_TABLE_NAME;
        RETURN NULL;
    END $$
    """,
    # Deferred to commit: the count row is locked only while committing, not for the
    # whole transaction of every model update (adding a version updates its model).
    """
    CREATE CONSTRAINT TRIGGER registry_model_rowcount_upd AFTER UPDATE ON registry_registeredmodel
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION registry_rowcount_changed()
    """,
]
POSTGRESQL_REMOVE = [
    "DROP TRIGGER IF EXISTS registry_model_rowcount_upd ON registry_registeredmodel",
    "DROP FUNCTION IF EXISTS registry_rowcount_changed()",
    # 0003's functions again, without `changes`.
    """
    CREATE OR REPLACE FUNCTION registry_rowcount_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE registry_rowcount SET row_count = row_count + (SELECT count(*) FROM inserted_rows)
        WHERE "table" = TG_TABLE_NAME;
        RETURN NULL;
    END $$
    """,
    """
    CREATE OR REPLACE FUNCTION registry_rowcount_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE registry_rowcount SET row_count = row_count - (SELECT count(*) FROM deleted_rows)
        WHERE "table" = TG_TABLE_NAME;
        RETURN NULL;
    END $$
    """,
    """
    CREATE OR REPLACE FUNCTION registry_rowcount_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE registry_rowcount SET row_count = 0 WHERE "table" = TG_TABLE_NAME;
        RETURN NULL;
    END $$
    """,
]
# SQLite adds the column by remaking the table, which fails while triggers name it:
# 0003's triggers go first and come back (with `changes`) after.
SQLITE_DROP_0003 = ["DROP TRIGGER IF EXISTS registry_model_rowcount_ins", "DROP TRIGGER IF EXISTS registry_model_rowcount_del"]
SQLITE_INSTALL = [
    """
    CREATE TRIGGER registry_model_rowcount_ins AFTER INSERT ON registry_registeredmodel BEGIN
        UPDATE registry_rowcount SET row_count = row_count + 1, changes = changes + 1
        WHERE "table" = 'registry_registeredmodel';
    END
    """,
    """
    CREATE TRIGGER registry_model_rowcount_del AFTER DELETE ON registry_registeredmodel BEGIN
        UPDATE registry_rowcount SET row_count = row_count - 1, changes = changes + 1
        WHERE "table" = 'registry_registeredmodel';
    END
    """,
    """
    CREATE TRIGGER registry_model_rowcount_upd AFTER UPDATE ON registry_registeredmodel BEGIN
        UPDATE registry_rowcount SET changes = changes + 1 WHERE "table" = 'registry_registeredmodel';
    END
    """,
]
SQLITE_REMOVE = [
    "DROP TRIGGER IF EXISTS registry_model_rowcount_upd",
    "DROP TRIGGER IF EXISTS registry_model_rowcount_ins",
    "DROP TRIGGER IF EXISTS registry_model_rowcount_del",
]
SQLITE_RESTORE_0003 = [
    """
    CREATE TRIGGER registry_model_rowcount_ins AFTER INSERT ON registry_registeredmodel BEGIN
        UPDATE registry_rowcount SET row_count = row_count + 1 WHERE "table" = 'registry_registeredmodel';
    END
    """,
    """
    CREATE TRIGGER registry_model_rowcount_del AFTER DELETE ON registry_registeredmodel BEGIN
        UPDATE registry_rowcount SET row_count = row_count - 1 WHERE "table" = 'registry_registeredmodel';
    END
    """,
]


def _sqlite(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "sqlite":
            for sql in statements:
                schema_editor.execute(sql)

    return run


def install(apps, schema_editor):
    statements = {"postgresql": POSTGRESQL_INSTALL, "sqlite": SQLITE_INSTALL}.get(schema_editor.connection.vendor)
    if statements is None:
        return
    for sql in statements:
        schema_editor.execute(sql)
    # A fresh start, never one that a running process may have cached under.
    schema_editor.execute("UPDATE registry_rowcount SET changes = %s", [secrets.randbits(62)])


def remove(apps, schema_editor):
    for sql in {"postgresql": POSTGRESQL_REMOVE, "sqlite": SQLITE_REMOVE}.get(schema_editor.connection.vendor, []):
        schema_editor.execute(sql)


class Migration(migrations.Migration):

    dependencies = [
        ('registry', '0003_rowcount'),
    ]

    operations = [
        # Reversed, each step undoes its own: 0003's SQLite triggers come back last.
        migrations.RunPython(_sqlite(SQLITE_DROP_0003), _sqlite(SQLITE_RESTORE_0003)),
        migrations.AddField(
            model_name='rowcount',
            name='changes',
            field=models.BigIntegerField(default=0),
        ),
        migrations.RunPython(install, remove),
    ]
