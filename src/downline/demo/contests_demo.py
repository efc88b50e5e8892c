"""Contests in the demo: a running customer-volume contest of the open month with live
standings, last month's PV contest frozen with its winners, points criteria, levels and badges,
the personas on the recognition wall (opted in) with their points and a badge."""

from __future__ import annotations

import time

from downline.contests.actions import (
    do_award_badge,
    do_define_badge,
    do_freeze_contest,
    do_publish_contest,
    do_refresh_contest,
    do_set_level,
    do_set_member_settings,
    do_set_point_rule,
    do_upload_contest,
)
from downline.contests.activity import consume_events
from downline.contests.models import BadgeClass, RecognitionEntry
from downline.genealogy.models import Distributor

from .timeline import month_days
from .tools import ToolsContext

RUNNING = """\
contest: {slug}
title:
  en: Customer drive {month}
  ru: Клиентский марафон {month}
  pl: Maraton klientów {month}
  de: Kundenaktion {month}
metric: customer_volume
window: {{from: {start}, to: {end}}}
eligibility: {{good_standing: true}}
tiers:
  - name: Lisbon trip
    threshold: 300
    prize: {{en: A weekend in Lisbon for two, ru: Выходные в Лиссабоне на двоих, pl: Weekend w Lizbonie dla dwojga, de: Ein Wochenende in Lissabon zu zweit}}
  - name: Top ten
    top: 10
    prize: {{en: Dinner with the founders, ru: Ужин с основателями, pl: Kolacja z założycielami, de: Abendessen mit den Gründern}}
tie_breakers: [earlier_achievement, pv]
caps: {{per_order: 150, per_customer: 400}}
"""

FINISHED = """\
contest: {slug}
title:
  en: Volume sprint {month}
  ru: Спринт объёма {month}
  pl: Sprint wolumenu {month}
  de: Volumen-Sprint {month}
metric: pv
window: {{from: {start}, to: {end}}}
eligibility: {{good_standing: true}}
tiers:
  - name: Gold
    top: 3
    prize: {{en: A spa weekend, ru: СПА-выходные, pl: Weekend w spa, de: Ein Wellness-Wochenende}}
  - name: Silver
    top: 10
    prize: {{en: A product hamper, ru: Подарочная корзина, pl: Kosz produktów, de: Ein Produktkorb}}
caps: {{own_purchases_share: 30%, per_order: 300}}
"""

LEVELS = [
    (0, {"en": "Starter", "ru": "Новичок", "pl": "Początkujący", "de": "Einsteiger"}),
    (100, {"en": "Bronze", "ru": "Бронза", "pl": "Brąz", "de": "Bronze"}),
    (300, {"en": "Silver", "ru": "Серебро", "pl": "Srebro", "de": "Silber"}),
    (800, {"en": "Gold", "ru": "Золото", "pl": "Złoto", "de": "Gold"}),
]


def seed(ctx: ToolsContext) -> None:
    started = time.perf_counter()
    for key, points in (
        ("lesson_completed", 10),
        ("quiz_passed", 20),
        ("webinar_attended", 25),
        ("customer_order", 5),
        ("active_month_streak", 50),
    ):
        do_set_point_rule(key, points, actor=ctx.admin)
    for min_points, name in LEVELS:
        do_set_level(min_points, name)
    service = do_define_badge(
        "customer-care",
        name={
            "en": "Customer care",
            "ru": "Забота о клиентах",
            "pl": "Opieka nad klientem",
            "de": "Kundenpflege",
        },
        description={"en": "Five orders of one's own retail customers."},
        criterion=BadgeClass.Criterion.CUSTOMER_ORDERS,
        threshold=5,
    )
    do_define_badge(
        "keen-learner",
        name={
            "en": "Keen learner",
            "ru": "Прилежный ученик",
            "pl": "Pilny uczeń",
            "de": "Wissbegierig",
        },
        description={"en": "Three academy lessons completed."},
        criterion=BadgeClass.Criterion.LESSONS,
        threshold=3,
    )
    do_define_badge(
        "contest-winner",
        name={
            "en": "Contest winner",
            "ru": "Победитель конкурса",
            "pl": "Zwycięzca konkursu",
            "de": "Wettbewerbssieger",
        },
        description={"en": "Won a tier of a company contest."},
        criterion=BadgeClass.Criterion.CONTEST_WINNER,
        threshold=1,
    )
    personas = list(Distributor.objects.filter(member_id__in=ctx.persona_ids.values()))
    for persona in personas:
        do_set_member_settings(persona, board_anonymous=False, recognition_opt_in=True)
    handled = consume_events()  # the demo's history: points, counters, recognition
    consumed = time.perf_counter() - started

    if len(ctx.months) >= 2:
        start, end = month_days(ctx.months[-2])
        finished = do_upload_contest(
            FINISHED.format(
                slug=f"sprint-{ctx.months[-2]}", month=ctx.months[-2], start=start, end=end
            ),
            actor=ctx.admin,
        )
        do_publish_contest(finished, actor=ctx.admin)
        do_freeze_contest(finished, actor=ctx.admin)
    start, end = month_days(ctx.months[-1])
    running = do_upload_contest(
        RUNNING.format(
            slug=f"customers-{ctx.months[-1]}", month=ctx.months[-1], start=start, end=end
        ),
        actor=ctx.admin,
    )
    do_publish_contest(running, actor=ctx.admin)
    do_refresh_contest(running)
    running.refresh_from_db()
    for persona in personas:
        do_award_badge(persona.pk, service)
        RecognitionEntry.objects.get_or_create(
            key=f"demo-certificate:{persona.pk}",
            defaults={
                "member_id": persona.pk,
                "kind": RecognitionEntry.Kind.CERTIFICATE,
                "occurred_on": ctx.today,
                "params": {"certificate": "compliance-basics"},
            },
        )
    ctx.say(
        f"contests: {running.slug} running ({running.ranked} on the board), points and badges "
        f"for {len(personas)} personas in {time.perf_counter() - started:.1f} s "
        f"({handled} events read in {consumed:.1f} s)"
    )
