"""Traces stored as numbers: one ``RunTrace`` chunk (a zstd-compressed Arrow IPC stream) per
run and range of distributors; ``RunResult.trace`` keeps the JSON traces of older runs and is
``NULL`` for new ones. Chunks are compressed already, so PostgreSQL stores them without TOAST
compression (as in 0003)."""

import django.db.models.deletion
from django.db import migrations, models


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "ALTER TABLE compensation_runtrace ALTER COLUMN data SET STORAGE EXTERNAL"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("compensation", "0004_alter_runresult_by_bonus"),
    ]

    operations = [
        migrations.AlterField(
            model_name="runresult",
            name="trace",
            field=models.BinaryField(blank=True, null=True),
        ),
        migrations.CreateModel(
            name="RunTrace",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("first_distributor", models.BigIntegerField()),
                ("last_distributor", models.BigIntegerField()),
                ("rows", models.PositiveIntegerField()),
                ("data", models.BinaryField()),
                (
                    "run",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="traces",
                        to="compensation.run",
                    ),
                ),
            ],
            options={
                "verbose_name": "run trace chunk",
                "verbose_name_plural": "run trace chunks",
                "constraints": [
                    models.UniqueConstraint(
                        fields=("run", "first_distributor"), name="run_trace_first_distributor"
                    )
                ],
            },
        ),
        migrations.RunPython(forward, migrations.RunPython.noop),
    ]
