"""On PostgreSQL, store the packed line blocks and the traces without TOAST compression.

Traces are zlib-compressed already and packed integer columns gain little from pglz, which
would cost seconds per million rows (``ALTER TABLE … SET STORAGE EXTERNAL``).
"""

from django.db import migrations

FORWARD = """
ALTER TABLE compensation_lineblock ALTER COLUMN data SET STORAGE EXTERNAL;
ALTER TABLE compensation_runresult ALTER COLUMN trace SET STORAGE EXTERNAL;
"""
BACKWARD = """
ALTER TABLE compensation_lineblock ALTER COLUMN data SET STORAGE EXTENDED;
ALTER TABLE compensation_runresult ALTER COLUMN trace SET STORAGE EXTENDED;
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("compensation", "0002_initial")]

    operations = [migrations.RunPython(forward, backward)]
