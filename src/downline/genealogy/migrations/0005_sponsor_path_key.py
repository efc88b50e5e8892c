"""The indexed prefix of the sponsor path and the depth, written by the database
(``genealogy.sponsor_path``): two stored generated columns (the prefix bytewise ``COLLATE "C"``
on PostgreSQL, added with one table rewrite), and an index on the prefix that carries id,
depth and kind, replacing the expression index on the path, so that a subtree's members and
levels are read from the index alone."""

from django.db import migrations, models

import downline.genealogy.models

TABLE = "genealogy_distributor"
KEY_SQL = "SUBSTRING(sponsor_path, 1, 2000)"
DEPTH_SQL = "LENGTH(sponsor_path) - LENGTH(REPLACE(sponsor_path, '/', '')) - 2"


def add_columns(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f'ALTER TABLE {TABLE} ADD COLUMN sponsor_path_key text COLLATE "C" '
            f"GENERATED ALWAYS AS ({KEY_SQL}) STORED, "
            f"ADD COLUMN sponsor_depth integer GENERATED ALWAYS AS ({DEPTH_SQL}) STORED"
        )
        return
    model = apps.get_model("genealogy", "Distributor")
    for name in ("sponsor_path_key", "sponsor_depth"):
        schema_editor.add_field(model, model._meta.get_field(name))


def drop_columns(apps, schema_editor) -> None:
    model = apps.get_model("genealogy", "Distributor")
    for name in ("sponsor_path_key", "sponsor_depth"):
        schema_editor.remove_field(model, model._meta.get_field(name))


class Migration(migrations.Migration):
    dependencies = [
        ("genealogy", "0004_sponsor_path"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(
                    model_name="distributor",
                    name="sponsor_path_key",
                    field=downline.genealogy.models.sponsor_path_key_field(),
                ),
                migrations.AddField(
                    model_name="distributor",
                    name="sponsor_depth",
                    field=downline.genealogy.models.sponsor_depth_field(),
                ),
            ]
        ),
        migrations.RunPython(add_columns, drop_columns),
        migrations.RemoveIndex(model_name="distributor", name="sponsor_path_idx"),
        migrations.AddIndex(
            model_name="distributor",
            index=models.Index(
                fields=["sponsor_path_key"],
                include=("id", "sponsor_depth", "kind"),
                name="sponsor_path_key_idx",
            ),
        ),
    ]
