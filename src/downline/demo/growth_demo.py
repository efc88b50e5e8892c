"""Growth in the demo: a mentor and a pending sponsor-change request, the notifications of the
demo's history for the personas and their first lines (from the outbox, like the worker makes
them), the radar built for today, and on each persona's radar one message already sent (the
company's template in the persona's language) and one follow-up planned; each persona also
gets a message from their sponsor."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from downline.core import events as outbox
from downline.genealogy.models import Distributor
from downline.growth import notify, texts
from downline.growth.actions import (
    do_assign_mentor,
    do_build_radar,
    do_create_followup,
    do_radar_message,
    do_request_sponsor_change,
    do_send_message,
)
from downline.growth.models import Notification, RadarItem

from .tools import ToolsContext

FROM_SPONSOR = {
    "en": "Great month so far, {name}! Call me if you want to plan your team meeting.",
    "ru": "Отличный месяц, {name}! Позвони, если хочешь спланировать встречу команды.",
    "pl": "Świetny miesiąc, {name}! Zadzwoń, jeśli chcesz zaplanować spotkanie zespołu.",
    "de": "Starker Monat bisher, {name}! Ruf mich an, wenn du dein Teamtreffen planen willst.",
}


def seed(ctx: ToolsContext) -> None:
    personas = {
        login: Distributor.objects.get(member_id=member_id)
        for login, member_id in ctx.persona_ids.items()
    }
    if not personas:
        return
    first_lines = {
        login: list(
            Distributor.objects.filter(sponsor=p, kind="distributor").order_by("member_id")[:6]
        )
        for login, p in personas.items()
    }
    # a mentor: the first persona's first recruit looks after their second one
    emma_line = next((line for line in first_lines.values() if len(line) >= 3), [])
    if len(emma_line) >= 3:
        do_assign_mentor(emma_line[1], emma_line[0], user=ctx.admin, note="sponsor on leave")
        # a pending sponsor-change request, with the old sponsor's written consent
        others = [p for p in personas.values() if p.pk != emma_line[2].sponsor_id]
        if others:
            do_request_sponsor_change(
                emma_line[2],
                others[0],
                user=ctx.admin,
                reason="Moved to another city; the old sponsor agreed in writing.",
                consent=True,
            )
    # the history's notifications for the personas and their first lines
    relevant = {p.pk for p in personas.values()}
    relevant |= {m.pk for line in first_lines.values() for m in line}
    enrollees = set(
        Distributor.objects.filter(sponsor_id__in=[p.pk for p in personas.values()]).values_list(
            "pk", flat=True
        )
    )

    def handle(event) -> None:
        if (
            event.kind == outbox.RUN_FINISHED
            or event.member_id in relevant
            or (
                event.kind in (outbox.MEMBER_JOINED, outbox.ORDER_PAID)
                and event.member_id in enrollees
            )
        ):
            notify.handle(event)

    outbox.consume_all(notify.CONSUMER, handle, batch=5000)
    do_build_radar(ctx.today)
    # on each persona's radar: one message sent, one follow-up planned
    for login, persona in personas.items():
        items = list(
            RadarItem.objects.filter(sponsor_id=persona.pk, day=ctx.today).order_by("reason", "id")[
                :2
            ]
        )
        language = ctx.people.get(persona.member_id, (persona.language, None))[0] or "en"
        if items:
            member = Distributor.objects.get(pk=items[0].member_id)
            text = texts.message_template(
                items[0].reason,
                language,
                name=(member.name or member.member_id).split(" ")[0],
                sponsor=(persona.name or login).split(" ")[0],
            )
            try:
                do_radar_message(persona, items[0], text)
            except Exception as error:  # the scanner may hold a template; the demo goes on
                ctx.say(f"growth demo: message of {login} not sent: {error}")
        if len(items) > 1:
            do_create_followup(persona, items[1], due_on=ctx.today + timedelta(days=2), note="call")
        if persona.sponsor_id:
            sponsor = Distributor.objects.get(pk=persona.sponsor_id)
            do_send_message(
                sponsor,
                persona,
                FROM_SPONSOR.get(language, FROM_SPONSOR["en"]).format(
                    name=(persona.name or login).split(" ")[0]
                ),
            )
    notify.consume_events(batch=5000)
    # the history is told in the app only; older notifications are read
    now = timezone.now()
    Notification.objects.filter(delivered_at__isnull=True).update(delivered_at=now)
    Notification.objects.filter(created_at__lt=now - timedelta(days=7)).update(read_at=now)
