"""The radar item's own index on ``sponsor`` goes: ``radar_sponsor_day`` (sponsor, day) serves
every read by sponsor, and one index fewer to fill when the daily build writes every item."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("growth", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="radaritem",
            name="sponsor",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="genealogy.distributor",
                verbose_name="sponsor or mentor",
            ),
        ),
    ]
