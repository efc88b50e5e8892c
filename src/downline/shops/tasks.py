"""Background task of the shops app (``django.tasks``; run by ``downline worker``, or at once
with the immediate backend of the tests): reading a WooCommerce partial refund's lines.

The task survives its worker (DESIGN.md rule 14) without a job row of its own: each attempt is
taken in one transaction with the enqueueing of the next task, due when the attempt's lease
ends (``actions.do_take_refund_lookup``). If the worker dies during the request, that task makes
the next attempt; if the attempt ends (a return written, a refund ignored or given up), it finds
nothing to do. A backend that cannot defer tasks (the tests' immediate backend) gets no
follow-up; there a later attempt is made by calling the task again.
"""

from __future__ import annotations

from django.db import transaction
from django.tasks import task
from django.utils import timezone

from .actions import do_make_refund_lookup, do_take_refund_lookup


@task
def look_up_woocommerce_refund(lookup_id: int) -> dict[str, object]:
    """Make the next attempt of ``RefundLookup`` ``lookup_id`` if it is due (see the module)."""
    now = timezone.now()
    with transaction.atomic():
        attempt = do_take_refund_lookup(lookup_id, now)
        if attempt is None:
            return {"lookup": lookup_id, "status": "nothing to do"}
        if look_up_woocommerce_refund.get_backend().supports_defer:
            look_up_woocommerce_refund.using(run_after=attempt.next_attempt_at).enqueue(lookup_id)
    status = do_make_refund_lookup(attempt)
    return {"lookup": lookup_id, "attempt": attempt.number, "status": status}
