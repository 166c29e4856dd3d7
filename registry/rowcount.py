"""Exact row counts without counting: a `RowCount` row per table, kept by triggers.

Migration 0003 installs the triggers (PostgreSQL: statement-level, with transition
tables, so a bulk insert costs one update; SQLite: row-level) and the first count, in
one transaction. Every insert and delete, whoever makes it (services, bulk seeding,
raw SQL), moves the count in the same transaction; a TRUNCATE of the table resets it.
`changes` moves on every insert, update, delete and truncate (PostgreSQL: updates
counted at commit, by a deferred trigger); registry.readcache uses it to know a
cached answer is still true.

A missing row means "unknown" and readers count the table instead. Rows go missing
only when the count table itself is emptied (`flush`, which tests do between
transactional tests); `post_migrate`, which `flush` sends, recounts.
"""

from __future__ import annotations

import secrets

from django.db import connections, transaction

# Tables whose rows are counted, with the name stem of their triggers.
COUNTED = {"registry_registeredmodel": "registry_model_rowcount"}


def triggers_installed(table: str, using: str = "default") -> bool:
    connection = connections[using]
    name = COUNTED[table] + "_ins"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT 1 FROM pg_trigger WHERE tgname = %s", [name])
        elif connection.vendor == "sqlite":
            cursor.execute("SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND name = %s", [name])
        else:
            return False
        return cursor.fetchone() is not None


def recount(table: str, using: str = "default") -> int | None:
    """Count `table` again and store it; None (and nothing stored) without the triggers.

    Writers are held off while counting, so that no insert slips between the count and
    the stored row (an insert whose trigger found no row would be lost forever)."""
    if not triggers_installed(table, using):
        return None
    connection = connections[using]
    quoted = connection.ops.quote_name(table)
    with transaction.atomic(using=using), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"LOCK TABLE {quoted} IN SHARE MODE")
        # SQLite: the transaction is IMMEDIATE (Pond's settings), so it already holds the write lock.
        cursor.execute(f"SELECT count(*) FROM {quoted}")  # noqa: S608 - a name from COUNTED, quoted
        (count,) = cursor.fetchone()
        cursor.execute("DELETE FROM registry_rowcount WHERE \"table\" = %s", [table])
        # `changes` starts anywhere but where a process may have cached something under it.
        cursor.execute(
            "INSERT INTO registry_rowcount (\"table\", row_count, changes) VALUES (%s, %s, %s)",
            [table, count, secrets.randbits(62)],
        )
    return count


def read(table: str, using: str = "default") -> tuple[int, int] | None:
    """(rows, changes) of `table`, or None while unknown."""
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT row_count, changes FROM registry_rowcount WHERE \"table\" = %s", [table])
        row = cursor.fetchone()
    return None if row is None else (row[0], row[1])


def recount_all(using: str = "default", **_: object) -> None:
    """`post_migrate` receiver: make sure every counted table has its row."""
    for table in COUNTED:
        recount(table, using)
