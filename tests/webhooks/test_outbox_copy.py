"""Many events of one call (a final run's ``rank.advanced`` in a company's first period) are
written with one binary COPY on PostgreSQL: the same rows as the ORM writes, in the same
transaction, handled once by a consumer."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from downline.core.events import COPY_FROM, RANK_ADVANCED, consume_all, record_events
from downline.core.models import Event

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_many_events_are_copied_with_their_payload_member_and_transaction():
    count = COPY_FROM + 7
    items = [
        (None if number % 1000 == 0 else number, {"member": f"D{number:07d}", "rank_index": 2})
        for number in range(count)
    ]
    with transaction.atomic():
        record_events(RANK_ADVANCED, items)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_current_xact_id()::text::bigint")
            (tx,) = cursor.fetchone()
    rows = list(Event.objects.order_by("id").values_list("kind", "member_id", "payload", "tx"))
    assert len(rows) == count
    assert {kind for kind, _member, _payload, _tx in rows} == {RANK_ADVANCED}
    assert {row_tx for _kind, _member, _payload, row_tx in rows} == {tx}
    assert [(member, payload) for _kind, member, payload, _tx in rows] == [
        (member, dict(payload)) for member, payload in items
    ]
    handled: list[int] = []
    assert consume_all("copy-test", lambda event: handled.append(event.pk)) == count
    assert consume_all("copy-test", lambda event: handled.append(event.pk)) == 0
    assert len(set(handled)) == count


def test_a_rolled_back_copy_leaves_no_event():
    def final_run_that_fails() -> None:
        with transaction.atomic():
            record_events(RANK_ADVANCED, [(n, {"member": str(n)}) for n in range(COPY_FROM)])
            raise RuntimeError("the final run failed")

    with pytest.raises(RuntimeError):
        final_run_that_fails()
    assert not Event.objects.exists()
