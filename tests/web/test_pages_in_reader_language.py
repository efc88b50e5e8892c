"""Russian, Polish and German readers see rank names, ledger memos and history reasons in their
language (design rule 12: keys stored, words rendered when read).

The plan is ``plan.yaml`` with display names added; the clock stands on 15 October 2026, so the
open period is 2026-10 whatever day the suite runs.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import translation

from downline.compensation.plans import do_activate_plan_version, do_create_plan_version
from downline.compensation.runs import do_run_final, do_run_projection
from downline.genealogy import reasons
from downline.genealogy.actions import do_enroll
from downline.genealogy.models import StructureEvent
from downline.ledger.models import Transaction
from downline.orders.actions import do_place_order
from downline.periods.actions import do_ensure_period

from .conftest import JOINED, PLAN, verified_staff

NOW = datetime(2026, 10, 15, 12, tzinfo=UTC)

LABELS = {
    "  - name: Member\n": "  - name: Member\n"
    "    label: {en: Member, ru: Участник, pl: Członek, de: Mitglied}\n",
    "  - name: Leader\n": "  - name: Leader\n"
    "    label: {en: Leader, ru: Лидер, pl: Lider, de: Teamleiter}\n",
    "  - name: unilevel\n": "  - name: unilevel\n"
    "    label: {en: Team commission, ru: Комиссия по уровням, pl: Prowizja z poziomów, "
    "de: Unilevel-Provision}\n",
}


def labelled_plan() -> str:
    text = PLAN.read_text(encoding="utf-8")
    for old, new in LABELS.items():
        assert old in text
        text = text.replace(old, new)
    return text


@pytest.fixture(autouse=True)
def _language_restored():
    """A request in another language leaves it active in this thread; later tests read English."""
    yield
    translation.deactivate()


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def history(frozen, team):
    """August closed (Carol's order pays Alice unilevel and matching; Alice is a Member), and
    a projection of October in which Alice (PV 25, GV 50) is a Leader."""
    version = do_create_plan_version(labelled_plan())
    do_activate_plan_version(version, do_ensure_period("2026-08"))
    do_place_order(
        team.carol, [(team.product, 2)], "EUR", paid_at=datetime(2026, 8, 10, 12, tzinfo=UTC)
    )
    august = do_run_final(do_ensure_period("2026-08"))
    do_place_order(team.alice, [(team.product, 1)], "EUR", paid_at=NOW)
    do_place_order(team.bob, [(team.product, 1)], "EUR", paid_at=NOW)
    projection = do_run_projection(do_ensure_period("2026-10"))
    return august, projection


def signed_in(client, user, language: str):
    client.force_login(user)
    client.cookies["django_language"] = language
    return client


@pytest.mark.parametrize(
    ("language", "leader"), [("ru", "Лидер"), ("pl", "Lider"), ("de", "Teamleiter")]
)
def test_the_dashboard_names_the_projected_rank_in_the_reader_language(
    client, team, history, language, leader
):
    page = signed_in(client, team.alice_user, language).get(reverse("web:dashboard"))
    assert page.status_code == 200
    projection = page.text.split('id="projection-heading"')[1].split("</section>")[0]
    assert leader in projection
    assert "Leader" not in projection


@pytest.mark.parametrize(
    ("language", "member", "memo"),
    [
        ("ru", "Участник", "Комиссионные за 2026-08 (окончательный расчёт #{run})"),
        ("pl", "Członek", "Prowizje za okres 2026-08 (naliczenie końcowe #{run})"),
        ("de", "Mitglied", "Provisionen für 2026-08 (Abschlusslauf #{run})"),
    ],
)
def test_the_earnings_page_names_ranks_and_ledger_memos_in_the_reader_language(
    client, team, history, language, member, memo
):
    august, _projection = history
    page = signed_in(client, team.alice_user, language).get(reverse("web:earnings"))
    assert page.status_code == 200
    assert page.text.count(f">{member}</td>") >= 2  # paid as and highest rank of August
    assert memo.format(run=august.pk) in page.text
    assert "Commissions of 2026-08" not in page.text


def test_a_ledger_memo_is_stored_as_a_key_with_parameters_and_english_text(history):
    august, _projection = history
    record = Transaction.objects.get(run=august)
    assert record.memo_key == "ledger.commissions"
    assert record.memo_params == {"period": "2026-08", "run": august.pk}
    assert record.memo == f"Commissions of 2026-08 (final run #{august.pk})"


def test_the_console_names_ranks_and_bonuses_in_the_reader_language(client, history):
    august, _projection = history
    verified_staff(client, "ada", "admin")
    client.cookies["django_language"] = "de"
    page = client.get(reverse("web:console_run", args=[august.pk]))
    assert page.status_code == 200
    assert ">Unilevel-Provision</td>" in page.text  # per bonus
    assert ">Mitglied</td>" in page.text  # results: paid as


@pytest.mark.parametrize(
    ("language", "imported"),
    [
        ("ru", "Импортировано из distributors.csv"),
        ("pl", "Zaimportowano z distributors.csv"),
        ("de", "Importiert aus distributors.csv"),
    ],
)
def test_the_console_history_shows_reasons_in_the_reader_language(
    client, frozen, team, language, imported
):
    erin = do_enroll(
        member_id="ERIN",
        sponsor=team.alice,
        joined_on=JOINED,
        name="Erin Evans",
        reason=reasons.reason(reasons.IMPORTED, file="distributors.csv"),
    )
    event = StructureEvent.objects.get(distributor=erin)
    assert (event.reason_key, event.reason_params) == (
        "genealogy.imported",
        {"file": "distributors.csv"},
    )
    assert event.reason == "Imported from distributors.csv"
    verified_staff(client, "sue", "support")
    client.cookies["django_language"] = language
    page = client.get(reverse("web:console_distributor", args=["ERIN"]))
    assert page.status_code == 200
    history = page.text.split('id="history-heading"')[1]
    assert imported in history
    assert "Imported from" not in history
