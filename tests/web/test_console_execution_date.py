"""The console proposes tomorrow, in the company's time zone, as a batch's execution date.

Half an hour after midnight in Berlin it is still the previous day in UTC; the date the
console proposes must be the company's tomorrow, never the company's today.
"""

from __future__ import annotations

from datetime import UTC, datetime

import time_machine
from django.test import Client
from django.urls import reverse

from downline.payouts.models import PayoutBatch

from .conftest import verified_staff


def test_the_export_form_proposes_the_companys_tomorrow(settings, db):
    settings.DOWNLINE_TIME_ZONE = "Europe/Berlin"
    # 00:30 on 1 March 2027 in Berlin, 23:30 on 28 February in UTC
    with time_machine.travel(datetime(2027, 2, 28, 23, 30, tzinfo=UTC), tick=False):
        finance = Client()
        user = verified_staff(finance, "fin", "finance")
        batch = PayoutBatch.objects.create(
            currency="EUR", minimum=100, status=PayoutBatch.Status.APPROVED, created_by=user
        )
        page = finance.get(reverse("web:console_batch", args=[batch.pk])).text
    assert 'name="execution_date" value="2027-03-02"' in page
