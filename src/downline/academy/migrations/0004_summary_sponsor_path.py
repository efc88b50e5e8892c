"""The training summary keeps a copy of the member's sponsor path with the same generated prefix
and depth as the distributor table (``TrainingSummary``): the path column and the prefix
bytewise ``COLLATE "C"`` on PostgreSQL, filled from the distributors, and an index on the
prefix that carries what the sponsor's team report counts."""

from django.db import migrations, models

import downline.genealogy.models

TABLE = "academy_trainingsummary"
KEY_SQL = "SUBSTRING(sponsor_path, 1, 2000)"
DEPTH_SQL = "LENGTH(sponsor_path) - LENGTH(REPLACE(sponsor_path, '/', '')) - 2"


def add_columns(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"""ALTER TABLE {TABLE}
            ADD COLUMN sponsor_path text COLLATE "C" NOT NULL DEFAULT '',
            ADD COLUMN sponsor_path_key text COLLATE "C" GENERATED ALWAYS AS ({KEY_SQL}) STORED,
            ADD COLUMN sponsor_depth integer GENERATED ALWAYS AS ({DEPTH_SQL}) STORED"""
        )
    else:
        model = apps.get_model("academy", "TrainingSummary")
        for name in ("sponsor_path", "sponsor_path_key", "sponsor_depth"):
            schema_editor.add_field(model, model._meta.get_field(name))
    if schema_editor.connection.vendor == "postgresql":
        # the deferred foreign-key checks of the rows updated below would otherwise still be
        # pending when the index is built in the same transaction, which PostgreSQL refuses
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    schema_editor.execute(
        f"UPDATE {TABLE} SET sponsor_path = d.sponsor_path FROM genealogy_distributor d "
        f"WHERE d.id = {TABLE}.member_id"
    )


def drop_columns(apps, schema_editor) -> None:
    model = apps.get_model("academy", "TrainingSummary")
    for name in ("sponsor_depth", "sponsor_path_key", "sponsor_path"):
        schema_editor.remove_field(model, model._meta.get_field(name))


class Migration(migrations.Migration):
    dependencies = [
        ("academy", "0003_scale_kpis"),
        ("genealogy", "0005_sponsor_path_key"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(
                    model_name="trainingsummary",
                    name="sponsor_path",
                    field=models.TextField(
                        db_default="", default="", editable=False, verbose_name="sponsor path"
                    ),
                ),
                migrations.AddField(
                    model_name="trainingsummary",
                    name="sponsor_path_key",
                    field=downline.genealogy.models.sponsor_path_key_field(),
                ),
                migrations.AddField(
                    model_name="trainingsummary",
                    name="sponsor_depth",
                    field=downline.genealogy.models.sponsor_depth_field(),
                ),
            ]
        ),
        migrations.RunPython(add_columns, drop_columns),
        migrations.AddIndex(
            model_name="trainingsummary",
            index=models.Index(
                fields=["sponsor_path_key"],
                include=("member", "sponsor_depth", "touched", "last_at", "failed_twice"),
                name="summary_team_idx",
            ),
        ),
    ]
