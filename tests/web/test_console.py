"""The company console: staff roles on every view (guessed ids too), distributors (search,
status, moves with a reason, notes), plans (validation shown line by line, diffs, impact),
runs as background jobs with progress, payouts with a second approver, adjustments, returns."""

import csv
import io
from datetime import UTC, datetime

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from downline.compensation.models import PlanVersion, Run
from downline.genealogy.models import Distributor, StructureEvent
from downline.ledger.selectors import balance
from downline.orders.actions import do_place_order
from downline.payouts.models import PayoutBatch, PayoutProfile
from downline.periods.models import Period
from downline.web.models import Note, RunJob

from .conftest import PLAN, at, verified_staff

FINANCE_ONLY = [
    ("web:console_plans", []),
    ("web:console_periods", []),
    ("web:console_payouts", []),
    ("web:console_adjustments", []),
    ("web:console_returns", []),
]
SUPPORT_ONLY = [("web:console_distributors", []), ("web:console_distributor", ["BOB"])]
EVERY_STAFF = [("web:console", []), ("web:console_charts", [])]


@pytest.fixture
def admin(db):
    client = Client()
    verified_staff(client, "ada", "admin")
    return client


@pytest.fixture
def finance(db):
    client = Client()
    client.user = verified_staff(client, "fin", "finance")
    return client


@pytest.fixture
def finance2(db):
    client = Client()
    client.user = verified_staff(client, "fin2", "finance")
    return client


@pytest.fixture
def support(db):
    client = Client()
    verified_staff(client, "sue", "support")
    return client


def _get(client, name, args):
    return client.get(reverse(name, args=args)).status_code


def test_roles_open_only_their_sections(settled, admin, finance, support):
    for name, args in FINANCE_ONLY:
        assert _get(admin, name, args) == 200, name
        assert _get(finance, name, args) == 200, name
        assert _get(support, name, args) == 403, name
    for name, args in SUPPORT_ONLY:
        assert _get(admin, name, args) == 200, name
        assert _get(support, name, args) == 200, name
        assert _get(finance, name, args) == 403, name
    for name, args in EVERY_STAFF:
        for client in (admin, finance, support):
            assert _get(client, name, args) == 200, name


def test_distributors_and_anonymous_never_reach_the_console(settled, client):
    every = FINANCE_ONLY + SUPPORT_ONLY + EVERY_STAFF
    for name, args in every:
        response = client.get(reverse(name, args=args))
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]
    client.force_login(settled.team.alice_user)
    for name, args in every:
        assert _get(client, name, args) == 404, name


def test_staff_without_a_confirmed_code_are_sent_to_confirm_one(settled, client):
    client.force_login(settled.team.staff_user)
    response = client.get(reverse("web:console_payouts"))
    assert response["Location"].startswith(reverse("web:two_factor"))


def test_writes_are_refused_to_the_wrong_role(settled, finance, support):
    bob = reverse("web:console_distributor_move", args=["BOB"])
    assert finance.post(bob, {"sponsor": "DAVE", "reason": "x"}).status_code == 403
    assert support.post(reverse("web:console_run_start"), {"kind": "preview"}).status_code == 403
    assert support.post(reverse("web:console_payouts"), {"currency": "EUR"}).status_code == 403
    assert finance.post(reverse("web:console_plans"), {"text": "x"}).status_code == 403
    assert not RunJob.objects.exists()


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("web:console_distributor", ["NOPE"]),
        ("web:console_plan", [99999]),
        ("web:console_run", [99999]),
        ("web:console_job", [99999]),
        ("web:console_batch", [99999]),
    ],
)
def test_guessed_ids_are_404(settled, admin, name, args):
    assert _get(admin, name, args) == 404


def test_search_profile_status_move_and_notes(settled, support):
    found = support.get(reverse("web:console_distributors"), {"q": "car"})
    assert "CAROL" in found.text
    assert "DAVE" not in found.text
    url = reverse("web:console_distributor_status", args=["CAROL"])
    refused = support.post(url, {"status": "suspended", "reason": ""})
    assert refused.status_code == 400
    assert "This field is required." in refused.text
    support.post(url, {"status": "suspended", "reason": "asked by phone"})
    assert Distributor.objects.get(member_id="CAROL").status == "suspended"
    move = support.post(
        reverse("web:console_distributor_move", args=["CAROL"]),
        {"sponsor": "DAVE", "reason": "wrong sponsor at sign-up"},
    )
    assert move.status_code == 302
    carol = Distributor.objects.get(member_id="CAROL")
    assert carol.sponsor.member_id == "DAVE"
    event = StructureEvent.objects.filter(distributor=carol, kind="sponsor_changed").get()
    assert event.reason == "wrong sponsor at sign-up"
    assert event.actor.username == "sue"
    cycle = support.post(
        reverse("web:console_distributor_move", args=["ROOT"]),
        {"sponsor": "CAROL", "reason": "test"},
    )
    assert cycle.status_code == 400
    assert 'class="form-errors"' in cycle.text
    support.post(reverse("web:console_distributor_note", args=["CAROL"]), {"text": "Call back"})
    assert Note.objects.get().text == "Call back"
    page = support.get(reverse("web:console_distributor", args=["CAROL"]))
    assert "Call back" in page.text
    assert "wrong sponsor at sign-up" in page.text


def test_plan_mistakes_are_shown_on_their_lines_and_nothing_is_stored(settled, admin):
    text = PLAN.read_text().replace("pv: 20", "pv: twenty")
    response = admin.post(reverse("web:console_plans"), {"text": text, "note": "typo"})
    assert response.status_code == 400
    line = text.splitlines().index("    pv: twenty") + 1
    assert f'href="#plan-line-{line}"' in response.text
    assert f'<li id="plan-line-{line}" class="bad">' in response.text
    assert PlanVersion.objects.count() == 1


def test_a_new_version_its_diffs_and_its_impact(settled, admin):
    text = PLAN.read_text().replace("levels: [10%, 5%]", "levels: [12%, 5%]")
    response = admin.post(reverse("web:console_plans"), {"text": text, "note": "more"})
    new = PlanVersion.objects.get(number=2)
    assert response["Location"] == reverse("web:console_plan", args=[new.pk])
    august = Period.objects.get(code="2026-08")
    page = admin.get(
        reverse("web:console_plan_compare"),
        {"a": settled.version.pk, "b": new.pk, "period": august.pk},
    )
    assert "-    levels: [10%, 5%]" in page.text
    assert "+    levels: [12%, 5%]" in page.text
    assert "<code>bonuses.unilevel.levels</code>" in page.text
    # August with 12 %: Bob's unilevel 4.80 instead of 4.00, Alice's matching 2.40
    impact = page.text.split('id="impact-heading"')[1]
    assert "BOB" in impact
    assert ">4.80<" in impact


def test_a_locked_version_cannot_be_edited(settled, admin):
    url = reverse("web:console_plan", args=[settled.version.pk])
    assert "Check and save" not in admin.get(url).text
    response = admin.post(url, {"text": PLAN.read_text(), "note": "x"})
    assert response.status_code == 400
    assert "can no longer change" in response.text


def test_a_preview_runs_as_a_job_and_compares_with_the_final(settled, finance):
    september = Period.objects.get(code="2026-09")
    response = finance.post(
        reverse("web:console_run_start"), {"period": september.pk, "kind": "preview"}
    )
    job = RunJob.objects.get()
    assert response["Location"] == reverse("web:console_job", args=[job.pk])
    assert job.status == "done"
    assert job.steps == ["load", "compute", "results"]
    fragment = finance.get(response["Location"], headers={"HX-Request": "true"})
    assert "hx-trigger" not in fragment.text  # finished: no more polling
    run = finance.get(reverse("web:console_run", args=[job.run_id])).text
    assert f"Compared with {settled.september}" in run
    assert "Every distributor earns the same." in run
    assert "BOB" in run.split('id="results"')[1]


def test_a_final_runs_as_a_job_and_closes_the_period(settled, finance):
    do_place_order(settled.team.bob, [(settled.team.product, 1)], "EUR", paid_at=at(2026, 10, 3))
    october = Period.objects.get(code="2026-10")
    # October has ended: it is five minutes past midnight on 1 November in Berlin (CET)
    with time_machine.travel(datetime(2026, 10, 31, 23, 5, tzinfo=UTC), tick=False):
        finance.post(reverse("web:console_run_start"), {"period": october.pk, "kind": "final"})
    job = RunJob.objects.get()
    assert job.status == "done", job.error
    assert job.steps == ["load", "compute", "lines", "results", "ledger", "close"]
    october.refresh_from_db()
    assert not october.is_open
    assert Run.objects.get(pk=job.run_id).kind == "final"


def test_a_refused_run_shows_why(open_period_clock, settled, finance):
    open_period = settled.projection.period
    finance.post(reverse("web:console_run_start"), {"period": open_period.pk, "kind": "final"})
    job = RunJob.objects.get()
    assert job.status == "failed"
    assert "has not ended yet" in job.error
    assert "has not ended yet" in finance.get(reverse("web:console_job", args=[job.pk])).text


def test_payout_batch_needs_a_second_person_then_exports_and_is_paid(settled, finance, finance2):
    team = settled.team
    for member in (team.alice, team.bob):
        PayoutProfile.objects.create(
            distributor=member,
            account_holder=member.name,
            iban="DE89370400440532013000",
            bic="COBADEFFXXX",
            tax_id="T1",
        )
    finance.post(reverse("web:console_payouts"), {"currency": "EUR", "minimum": "1.00"})
    batch = PayoutBatch.objects.get()
    assert batch.status == "draft"
    assert batch.count == 2
    page = finance.get(reverse("web:console_batch", args=[batch.pk])).text
    assert "Another staff member must approve this batch." in page
    finance.post(reverse("web:console_batch_approve", args=[batch.pk]))
    assert PayoutBatch.objects.get().status == "draft"
    finance2.post(reverse("web:console_batch_approve", args=[batch.pk]))
    assert PayoutBatch.objects.get().status == "approved"
    download = finance.post(
        reverse("web:console_batch_export", args=[batch.pk]),
        {"file_format": "csv", "execution_date": "2026-12-01", "debtor_name": "Co"},
    )
    assert download["Content-Disposition"].endswith(f'payout-batch-{batch.pk}.csv"')
    rows = list(csv.reader(io.StringIO(download.content.decode())))
    assert any("ALICE" in row for row in rows)
    bob_payout = batch.payouts.get(distributor=team.bob)
    finance.post(reverse("web:console_payout_failed", args=[bob_payout.pk]), {"reason": "closed"})
    finance.post(reverse("web:console_batch_paid", args=[batch.pk]))
    assert PayoutBatch.objects.get().status == "paid"
    assert balance(team.alice, "EUR").wallet == 0
    assert balance(team.bob, "EUR").wallet > 0  # the failed payout went back


def test_adjustments_post_and_refuse_bad_amounts(settled, finance):
    url = reverse("web:console_adjustments")
    bad = finance.post(
        url,
        {
            "member_id": "DAVE",
            "amount": "1.234",
            "currency": "EUR",
            "reason": "r",
            "reference": "T",
        },
    )
    assert bad.status_code == 400
    assert 'id="id_amount_error"' in bad.text
    finance.post(
        url,
        {
            "member_id": "DAVE",
            "amount": "12,50",
            "currency": "EUR",
            "reason": "goodwill",
            "reference": "TICKET-1",
        },
    )
    assert balance(settled.team.dave, "EUR").wallet == 1250


def test_a_return_after_the_close_is_recorded_with_its_clawback(settled, finance):
    url = reverse("web:console_returns")
    order = settled.carol_order  # August, 1 of 2 left
    page = finance.get(url, {"order": order.number})
    field = f"line_{order.lines.get().pk}"
    assert f'name="{field}"' in page.text
    response = finance.post(
        url + f"?order={order.number}", {field: "1", "reason": "damaged in transit"}
    )
    assert response.status_code == 302
    refund = order.returns.get(reason="damaged in transit")
    assert refund.after_close
    assert refund.clawback.amount < 0


def test_the_charts_data_come_from_the_final_runs(settled, admin):
    data = admin.get(reverse("web:console_charts")).json()
    assert data["periods"] == ["2026-08", "2026-09"]
    # August: Bob 4, Alice 2 + 2, Root 1, Carol 2 + 100; September: Alice 4, Root 2 + 2, Bob 2 + 100
    assert data["paid"] == ["111.00", "110.00"]
    assert data["ranks"]["names"] == ["Member", "Leader"]
    assert data["active"][0] == 5  # the five distributors (plan.yaml: active from PV 0)
    page = admin.get(reverse("web:console")).text
    assert 'data-source="/console/charts.json"' in page
    assert "echarts.min.js" in page
