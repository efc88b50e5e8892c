"""The outbox events the academy reads: business actions of the first-30-days checklist.

Consumer ``academy.actions`` turns ``order.paid`` (credited member: first order),
``member.joined`` of a retail customer (their sponsor: first customer) and ``webinar.attended``
into ``BusinessAction`` rows, once per member and action (a unique index).
"""

from __future__ import annotations

from downline.core import events as outbox
from downline.core.models import Event
from downline.genealogy.models import Distributor

from .actions import do_record_business_action
from .models import TrackItem

CONSUMER = "academy.actions"


def handle(event: Event) -> None:
    if event.kind == outbox.ORDER_PAID and event.member_id:
        do_record_business_action(event.member_id, TrackItem.Action.FIRST_ORDER, event.occurred_at)
    elif event.kind == outbox.MEMBER_JOINED and event.payload.get("kind") == "customer":
        sponsor = event.payload.get("sponsor")
        pk = Distributor.objects.filter(member_id=sponsor).values_list("pk", flat=True).first()
        if pk:
            do_record_business_action(pk, TrackItem.Action.FIRST_CUSTOMER, event.occurred_at)
    elif event.kind == outbox.WEBINAR_ATTENDED and event.member_id:
        do_record_business_action(
            event.member_id, TrackItem.Action.WEBINAR_ATTENDED, event.occurred_at
        )


def consume_business_actions(batch: int = 500, seconds: float | None = None) -> int:
    """Handle every new event (see the module docstring), or as many as ``seconds`` allow
    (``core.events.consume_all``); returns how many were read."""
    return outbox.consume_all(CONSUMER, handle, batch=batch, seconds=seconds)
