"""Reasons the platform writes as message keys with parameters, rendered in the reader's
language. Existing rows are left as they are: ``StructureEvent.reason_text`` recognises the
English reasons the platform wrote before keys existed ("Imported from distributors.csv") and
renders them in the reader's language; a reason a person typed is shown as written.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("genealogy", "0002_name_search_trgm"),
    ]

    operations = [
        migrations.AddField(
            model_name="structureevent",
            name="reason_key",
            field=models.CharField(
                blank=True,
                help_text="a reason the platform wrote, as a message key rendered in the reader's language",
                max_length=60,
                null=True,
                verbose_name="reason key",
            ),
        ),
        migrations.AddField(
            model_name="structureevent",
            name="reason_params",
            field=models.JSONField(blank=True, null=True, verbose_name="reason parameters"),
        ),
    ]
