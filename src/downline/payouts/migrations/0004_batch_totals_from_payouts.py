"""A batch's ``count`` and ``total`` are its pending and paid payouts (see ``payouts.actions``);
batches written before that rule kept the figures they were drafted with after payouts failed
or the batch was cancelled. Recompute them once."""

from django.db import migrations
from django.db.models import Count, Sum


def recompute(apps, schema_editor) -> None:
    PayoutBatch = apps.get_model("payouts", "PayoutBatch")
    Payout = apps.get_model("payouts", "Payout")
    figures = {
        row["batch_id"]: (row["count"], row["total"])
        for row in Payout.objects.filter(status__in=("pending", "paid"))
        .values("batch_id")
        .annotate(count=Count("id"), total=Sum("amount"))
    }
    for batch in PayoutBatch.objects.only("id", "count", "total").iterator():
        count, total = figures.get(batch.pk, (0, 0))
        if (batch.count, batch.total) != (count, total):
            PayoutBatch.objects.filter(pk=batch.pk).update(count=count, total=total)


class Migration(migrations.Migration):
    dependencies = [("payouts", "0003_compliance_hold_changes")]

    operations = [migrations.RunPython(recompute, migrations.RunPython.noop)]
