"""Display names of ranks and bonuses in the plan language (``label``), and how pages pick one:
the reader's language, then English, then the bonus title, then the name."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.template import Context, Template
from django.utils import translation

from downline.compensation.labels import bonus_label, rank_label
from downline.compensation.plans import do_activate_plan_version, do_create_plan_version
from downline.engine.plan import PlanError, load_plan_text
from downline.periods.actions import do_ensure_period

PLANS = Path(__file__).resolve().parents[2] / "plans"
LANGUAGES = ("en", "ru", "pl", "de")

PLAN = """\
name: Labelled plan
currency: EUR
ranks:
  - name: Member
    label: {en: Member, ru: Участник, pl: Członek, de: Mitglied}
  - name: Silver
    label: {en: Silver, de: Silber}
    pv: 100
  - name: Gold
    pv: 200
bonuses:
  - name: unilevel
    title: Unilevel commission
    label:
      en: Team commission
      ru: Комиссия по уровням
    kind: unilevel
    levels: [10%]
  - name: personal
    title: Personal bonus
    kind: personal
    rate: 5%
  - name: retail
    kind: personal
    rate: 1%
"""


def errors_of(text: str) -> str:
    with pytest.raises(PlanError) as caught:
        load_plan_text(text, "plan.yaml")
    return caught.value.summary()


def test_labels_are_read_for_ranks_and_bonuses():
    plan = load_plan_text(PLAN, "plan.yaml").plan
    assert plan.ranks[0].label == {
        "en": "Member",
        "ru": "Участник",
        "pl": "Członek",
        "de": "Mitglied",
    }
    assert plan.ranks[2].label is None
    assert plan.bonuses[0].label == {"en": "Team commission", "ru": "Комиссия по уровням"}


def test_a_language_code_that_is_not_two_lowercase_letters_is_refused_with_its_line():
    text = PLAN.replace("{en: Silver, de: Silber}", "{en: Silver, DE: Silber, deu: Silber}")
    assert errors_of(text).splitlines() == [
        "plan.yaml:7: ranks[1].label.DE: 'DE' is not a language code; use two lowercase "
        "letters such as en, de",
        "plan.yaml:7: ranks[1].label.deu: 'deu' is not a language code; use two lowercase "
        "letters such as en, de",
    ]


def test_an_empty_or_non_text_label_is_refused_with_its_path():
    text = PLAN.replace("      ru: Комиссия по уровням", '      ru: "  "\n      pl: 12')
    assert errors_of(text).splitlines() == [
        "plan.yaml:16: bonuses[0].label.ru: must not be empty",
        "plan.yaml:17: bonuses[0].label.pl: write text here",
    ]


def test_a_label_that_is_not_a_mapping_is_refused():
    text = PLAN.replace("{en: Silver, de: Silber}", "Silber")
    assert errors_of(text) == (
        "plan.yaml:7: ranks[1].label: write display names by language code, "
        "e.g. {en: Silver, de: Silber}"
    )


@pytest.mark.parametrize("path", sorted(PLANS.glob("*.yaml")), ids=lambda p: p.name)
def test_every_sample_plan_names_each_rank_and_bonus_in_the_four_languages(path):
    plan = load_plan_text(path.read_text(encoding="utf-8"), path.name).plan
    for item in [*plan.ranks, *plan.bonuses]:
        assert item.label is not None, f"{path.name}: {item.name} has no label"
        assert set(item.label) >= set(LANGUAGES), f"{path.name}: {item.name}"
    silver = [rank for rank in plan.ranks if rank.name == "Silver"]
    if silver:
        assert silver[0].label["de"] == "Silber"


@pytest.fixture
def version(db):
    version = do_create_plan_version(PLAN)
    do_activate_plan_version(version, do_ensure_period("2026-08"))
    return version


def test_the_reader_language_then_english_then_the_name(version):
    assert rank_label(version, "Member", "ru") == "Участник"
    assert rank_label(version, "Silver", "de") == "Silber"
    assert rank_label(version, "Silver", "pl") == "Silver"  # no Polish label: English
    assert rank_label(version, "Gold", "de") == "Gold"  # no label: the name
    assert rank_label(version, "Platinum", "de") == "Platinum"  # not in this plan: the name
    assert rank_label(version, "Silver", "de-at") == "Silber"  # a regional code finds its language


def test_a_bonus_falls_back_to_english_then_its_title_then_its_name(version):
    assert bonus_label(version, "unilevel", "ru") == "Комиссия по уровням"
    assert bonus_label(version, "unilevel", "de") == "Team commission"
    assert bonus_label(version, "personal", "de") == "Personal bonus"
    assert bonus_label(version, "retail", "de") == "retail"


def test_without_a_version_or_language_the_active_plan_and_language_are_used(version):
    with translation.override("pl"):
        assert rank_label(None, "Member") == "Członek"
    with translation.override("de"):
        assert rank_label(None, "Silver") == "Silber"


def test_without_any_plan_the_name_is_shown(db):
    assert rank_label(None, "Silver", "de") == "Silver"
    assert bonus_label(None, "unilevel", "de") == "unilevel"


def test_a_changed_unlocked_version_shows_its_new_labels(version):
    from downline.compensation.plans import do_update_plan_version

    assert rank_label(version, "Silver", "de") == "Silber"
    version = do_update_plan_version(version, PLAN.replace("de: Silber", "de: Silberrang"))
    assert rank_label(version, "Silver", "de") == "Silberrang"


def test_the_template_filters_use_the_active_language_and_a_given_version(version):
    template = Template(
        "{% load plan_labels %}{{ rank|rank_label }} · {{ rank|rank_label:version }} · "
        "{{ bonus|bonus_label:version }}"
    )
    context = Context({"rank": "Member", "bonus": "unilevel", "version": version})
    with translation.override("de"):
        assert template.render(context) == "Mitglied · Mitglied · Team commission"
    with translation.override("ru"):
        assert template.render(context) == "Участник · Участник · Комиссия по уровням"
