"""The stored ancestor path of the sponsor tree (``genealogy.sponsor_path``): the column (bytewise
``COLLATE "C"`` on PostgreSQL, so that a subtree is one range), its prefix index, and the backfill
of every existing member from ``sponsor_id`` in one recursive statement."""

import django.db.models.functions.text
from django.db import migrations, models

TABLE = "genealogy_distributor"


def collate_bytewise(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f'ALTER TABLE {TABLE} ALTER COLUMN sponsor_path TYPE text COLLATE "C"'
        )


def backfill(apps, schema_editor) -> None:
    schema_editor.execute(
        f"""
WITH RECURSIVE walk(id, path) AS (
    SELECT id, '/' || CAST(id AS TEXT) || '/' FROM {TABLE} WHERE sponsor_id IS NULL
    UNION ALL
    SELECT d.id, w.path || CAST(d.id AS TEXT) || '/' FROM {TABLE} d JOIN walk w ON d.sponsor_id = w.id
)
UPDATE {TABLE} SET sponsor_path = walk.path FROM walk WHERE {TABLE}.id = walk.id"""
    )


class Migration(migrations.Migration):
    dependencies = [
        ("genealogy", "0003_reason_key"),
    ]

    operations = [
        migrations.AddField(
            model_name="distributor",
            name="sponsor_path",
            field=models.TextField(
                blank=True,
                db_default="",
                default="",
                editable=False,
                help_text="the ids from the root of the enrollment tree down to this member",
                verbose_name="sponsor path",
            ),
        ),
        migrations.RunPython(collate_bytewise, migrations.RunPython.noop),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="distributor",
            index=models.Index(
                django.db.models.functions.text.Substr("sponsor_path", 1, 2000),
                name="sponsor_path_idx",
            ),
        ),
    ]
