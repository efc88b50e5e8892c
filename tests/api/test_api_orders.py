"""Orders through the API: idempotent creation, live volumes, cancel, return, audit."""

from __future__ import annotations

from datetime import UTC, datetime

import time_machine

from downline.api.models import ApiWrite
from downline.orders.models import Order
from downline.orders.selectors import member_period_volumes
from downline.periods.models import Period

JUNE = datetime(2026, 6, 15, 12, tzinfo=UTC)


def _volumes(member) -> tuple[int, int]:
    """Live PV and group PV of June (the selector folds pending volume deltas in)."""
    row = member_period_volumes(member, Period.objects.get(code="2026-06"))
    return (row.pv, row.group_pv)


def test_the_same_idempotency_key_places_one_order(net, shake, staff_api):
    body = {"buyer": "C", "currency": "EUR", "lines": [{"sku": "SHAKE-1", "quantity": 2}]}
    headers = {"Idempotency-Key": "shop-order-1001"}
    with time_machine.travel(JUNE, tick=False):
        first = staff_api.post("/api/v1/orders", body, headers=headers)
        again = staff_api.post("/api/v1/orders", body, headers=headers)

    assert first.status_code == 201, first.content
    assert again.status_code == 200
    assert again.json()["number"] == first.json()["number"]
    assert Order.objects.count() == 1
    # live volumes moved once, at once: C's PV, and A's and R's group volume
    assert _volumes(net["C"]) == (2500, 2500)
    assert _volumes(net["A"]) == (0, 2500)
    assert _volumes(net["R"]) == (0, 2500)
    assert ApiWrite.objects.filter(operation="orders.place").count() == 1


def test_an_idempotency_key_of_another_buyer_is_a_conflict(net, shake, staff_api):
    headers = {"Idempotency-Key": "k-1"}
    line = [{"sku": "SHAKE-1", "quantity": 1}]
    with time_machine.travel(JUNE, tick=False):
        staff_api.post(
            "/api/v1/orders", {"buyer": "C", "currency": "EUR", "lines": line}, headers=headers
        )
        other = staff_api.post(
            "/api/v1/orders", {"buyer": "B", "currency": "EUR", "lines": line}, headers=headers
        )
    assert other.status_code == 409
    assert other["Content-Type"] == "application/problem+json"
    assert "k-1" in other.json()["detail"]


def test_an_unknown_sku_is_named_by_its_line(net, shake, staff_api):
    body = {
        "buyer": "C",
        "currency": "EUR",
        "lines": [{"sku": "SHAKE-1", "quantity": 1}, {"sku": "NOPE", "quantity": 1}],
    }
    response = staff_api.post("/api/v1/orders", body)
    problem = response.json()
    assert response.status_code == 422
    assert problem["errors"][0]["field"] == "body.lines.1.sku"
    assert "NOPE" in problem["errors"][0]["message"]
    assert Order.objects.count() == 0


def test_a_schema_error_is_a_problem_naming_the_field(net, staff_api):
    response = staff_api.post(
        "/api/v1/orders", {"buyer": "C", "currency": "EUR", "lines": [{"sku": "X", "quantity": 0}]}
    )
    problem = response.json()
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert set(problem) == {"type", "title", "status", "detail", "instance", "errors"}
    assert problem["status"] == 422
    assert problem["instance"] == "/api/v1/orders"
    assert [e["field"] for e in problem["errors"]] == ["body.lines.0.quantity"]


def test_cancel_and_return_take_the_volume_back(net, shake, staff_api):
    with time_machine.travel(JUNE, tick=False):
        one = staff_api.post(
            "/api/v1/orders",
            {"buyer": "C", "currency": "EUR", "lines": [{"sku": "SHAKE-1", "quantity": 1}]},
        )
        two = staff_api.post(
            "/api/v1/orders",
            {"buyer": "C", "currency": "EUR", "lines": [{"sku": "SHAKE-1", "quantity": 3}]},
        )
        assert _volumes(net["C"]) == (5000, 5000)
        cancelled = staff_api.post(
            f"/api/v1/orders/{one.json()['number']}/cancel",
            {"reason": "customer changed their mind"},
        )
        line_id = two.json()["lines"][0]["id"]
        returned = staff_api.post(
            f"/api/v1/orders/{two.json()['number']}/returns",
            {"reason": "damaged", "lines": [{"line_id": line_id, "quantity": 1}]},
            headers={"Idempotency-Key": "ret-1"},
        )
        again = staff_api.post(
            f"/api/v1/orders/{two.json()['number']}/returns",
            {"reason": "damaged", "lines": [{"line_id": line_id, "quantity": 1}]},
            headers={"Idempotency-Key": "ret-1"},
        )
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    assert returned.status_code == 201
    assert returned.json()["returns_order"] == two.json()["number"]
    assert again.status_code == 200
    assert again.json()["number"] == returned.json()["number"]
    assert _volumes(net["C"]) == (2500, 2500)
    operations = sorted(ApiWrite.objects.values_list("operation", flat=True))
    assert operations == ["orders.cancel", "orders.place", "orders.place", "orders.return"]


def test_cancelling_twice_is_a_conflict(net, shake, staff_api):
    with time_machine.travel(JUNE, tick=False):
        one = staff_api.post(
            "/api/v1/orders",
            {"buyer": "C", "currency": "EUR", "lines": [{"sku": "SHAKE-1", "quantity": 1}]},
        )
        path = f"/api/v1/orders/{one.json()['number']}/cancel"
        staff_api.post(path, {"reason": "x"})
        again = staff_api.post(path, {"reason": "x"})
    assert again.status_code == 409
    assert again.json()["title"]


def test_instants_with_any_offset_are_compared_in_utc(net, shake, staff_api):
    """PostgreSQL refuses offsets beyond ±15:59; the filter converts to UTC first (found by
    Schemathesis: a 500 on PostgreSQL)."""
    with time_machine.travel(JUNE, tick=False):
        staff_api.post(
            "/api/v1/orders",
            {"buyer": "C", "currency": "EUR", "lines": [{"sku": "SHAKE-1", "quantity": 1}]},
        )
    response = staff_api.get(
        "/api/v1/orders", paid_from="2026-06-15T23:00:00+16:46", paid_to="2026-06-16T00:00+00:00"
    )
    assert response.status_code == 200
    assert len(response.json()["items"]) == 1
    far = staff_api.get("/api/v1/orders", paid_from="0001-01-01T00:00:00+05:00")
    assert far.status_code == 422
    assert far.json()["errors"][0]["field"] == "query.paid_from"
