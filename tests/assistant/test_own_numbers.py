"""Own-number answers: figures read from the stored runs, in the reader's language."""

from __future__ import annotations

import pytest
from django.utils import translation

from downline.assistant.answers import draft_answer
from downline.assistant.models import Message
from downline.assistant.views_render import show
from downline.compensation.selectors import result_of, run_lines, trace_of

pytestmark = pytest.mark.django_db


def answer(member, question: str, language: str = "en"):
    with translation.override(language):
        draft = draft_answer(member, question, language)
        message = Message(role="assistant", kind=draft.kind, payload=draft.payload)
        return draft, show(message, language)


def test_why_not_paid_quotes_the_final_runs_trace(company):
    draft, shown = answer(company.dan, "Why was I not paid the unilevel bonus?")
    assert draft.kind == "own"
    assert draft.intent == "bonus_not_paid"
    assert draft.payload["period"] == "2026-10"
    result = result_of(company.october, company.dan)
    with translation.override("en"):
        messages = trace_of(result)["messages"]
    assert messages, "DAN was inactive in October: the trace says what went past him"
    text = "\n".join(shown.lines)
    for message in messages:
        assert message in text
    assert "went past you" in text
    assert "PV 30.00 of 50.00" in text
    assert "/earnings/2026-10/" in [url for _label, url in shown.links]


def test_not_paid_on_a_named_order_reads_the_lines(company):
    # CLARA was paid on EVA's order: the lines of the final run say how much
    draft, shown = answer(company.clara, "Why didn't I get a commission on Eva's order?")
    assert draft.payload["order"] == company.eva_order.number
    stored = [
        line
        for line in run_lines(company.october, company.clara)
        if line.source_order_id == company.eva_order.pk
    ]
    assert [line["amount"] for line in draft.payload["lines"]] == [s.amount for s in stored]
    assert stored[0].amount == 1000  # 10 % of CV 100.00, level 1 past the inactive DAN
    assert "€10.00" in "\n".join(shown.lines)
    # DAN (inactive) got nothing on it: the answer gives the trace's reason
    draft, shown = answer(company.dan, f"Why was I not paid on order {company.eva_order.number}?")
    assert draft.payload["lines"] == []
    assert any("went past you" in line for line in shown.lines)


def test_an_order_outside_the_team_is_not_looked_at(company):
    # ANNA's order is above EVA: EVA may not ask about it by number
    from downline.orders.models import Order

    anna_order = Order.objects.filter(distributor=company.anna).first()
    draft, _shown = answer(company.eva, f"Why was I not paid on order {anna_order.number}?")
    assert "order" not in draft.payload


def test_rank_progress_from_the_projection_in_german(company):
    draft, shown = answer(company.dan, "Was fehlt mir noch zum nächsten Rang?", "de")
    assert draft.intent == "rank_progress"
    assert draft.payload["run"] == company.projection.pk
    result = result_of(company.projection, company.dan)
    trace = trace_of(result)
    bronze = next(r for r in trace["ranks"] if r["name"] == "Bronze")
    stored = {c["name"]: c for c in bronze["conditions"]}
    got = {c["name"]: c for c in draft.payload["conditions"]}
    assert got["pv"]["actual"] == str(stored["pv"]["actual"]) == "20.00"
    assert got["gv"]["actual"] == str(stored["gv"]["actual"])
    text = "\n".join(shown.lines)
    assert "Bronze" in text
    assert "20,00" in text
    assert "50,00" in text
    assert "30,00" in text  # PV missing: 50 − 20


def test_volumes_and_activity_from_the_live_period(company):
    draft, shown = answer(company.dan, "Am I active this month?")
    assert draft.intent == "activity"
    assert draft.payload["pv"] == 2000
    assert draft.payload["pv_at_least"] == 5000
    assert "PV 20.00 of 50.00" in "\n".join(shown.lines)
    draft, shown = answer(company.dan, "Какой у меня объём в этом месяце?", "ru")
    assert draft.intent == "volumes"
    assert "20,00" in "\n".join(shown.lines)


def test_last_payout_without_payouts_says_so(company):
    draft, _shown = answer(company.clara, "When was my last payout?")
    assert draft.intent == "last_payout"
    assert "payout" not in draft.payload
    statement = draft.payload["statement"]
    assert statement["period"] == "2026-10"
    assert statement["earned"] == result_of(company.october, company.clara).earned
