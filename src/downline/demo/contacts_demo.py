"""The demo's contacts: each persona gets 20–60 contacts in their language, spread over the
pipeline, with notes, follow-ups (some overdue, some due today, some later), timelines and
consent records — written with ``bulk_create`` (well under a second)."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
from django.utils import timezone

from downline.contacts.models import ConsentRecord, Contact, FollowUpTask, Note, TimelineEntry
from downline.contacts.search import search_text_of, tag_text_of
from downline.genealogy.models import Distributor

from .people import person
from .tools import ToolsContext

STAGES = ["new", "contacted", "presented", "customer", "distributor"]
STAGE_WEIGHTS = [0.35, 0.25, 0.18, 0.16, 0.06]
SOURCES = ["page", "manual", "webinar", "csv", "event"]
TAGS = {
    "en": ["tea", "skin care", "neighbour", "gym", "school parents", "webinar"],
    "ru": ["чай", "уход за кожей", "соседи", "спортзал", "родители", "вебинар"],
    "pl": ["herbata", "pielęgnacja", "sąsiedzi", "siłownia", "rodzice", "webinar"],
    "de": ["Tee", "Hautpflege", "Nachbarn", "Fitness", "Eltern", "Webinar"],
}
NOTES = {
    "en": [
        "Likes the green tea; asked about the starter kit.",
        "Call after 6 pm.",
        "Met at the school fair.",
        "Wants a sample for her sister.",
    ],
    "ru": [
        "Понравился зелёный чай, спрашивала о стартовом наборе.",
        "Звонить после 18:00.",
        "Познакомились на школьной ярмарке.",
        "Хочет пробник для сестры.",
    ],
    "pl": [
        "Smakuje jej zielona herbata; pytała o zestaw startowy.",
        "Dzwonić po 18:00.",
        "Poznałyśmy się na festynie w szkole.",
        "Chce próbkę dla siostry.",
    ],
    "de": [
        "Mag den grünen Tee; fragte nach dem Starterset.",
        "Nach 18 Uhr anrufen.",
        "Beim Schulfest kennengelernt.",
        "Möchte eine Probe für ihre Schwester.",
    ],
}
TASKS = {
    "en": ["Call back", "Send the catalogue", "Invite to the webinar", "Ask how the sample was"],
    "ru": ["Перезвонить", "Отправить каталог", "Пригласить на вебинар", "Спросить про пробник"],
    "pl": ["Oddzwonić", "Wysłać katalog", "Zaprosić na webinar", "Zapytać o próbkę"],
    "de": ["Zurückrufen", "Katalog schicken", "Zum Webinar einladen", "Nach der Probe fragen"],
}
CONSENT = {
    "en": "I agree to receive e-mails from {owner} about products and events. I can unsubscribe at any time.",
    "ru": "Я согласен(на) получать письма от {owner} о продуктах и мероприятиях. Отписаться можно в любой момент.",
    "pl": "Zgadzam się na otrzymywanie e-maili od {owner} o produktach i wydarzeniach. Mogę się wypisać w każdej chwili.",
    "de": "Ich möchte E-Mails von {owner} zu Produkten und Veranstaltungen erhalten. Ich kann mich jederzeit abmelden.",
}


def seed(ctx: ToolsContext) -> None:
    rng = np.random.default_rng(ctx.seed + 4242)
    now = timezone.now()
    owners = Distributor.objects.filter(member_id__in=list(ctx.persona_ids.values()))
    contacts: list[Contact] = []
    for owner in owners.order_by("member_id"):
        language = ctx.people.get(owner.member_id, (owner.language or "en", None))[0]
        language = language if language in TAGS else "en"
        for index in range(int(rng.integers(20, 61))):
            who = person(language, rng)
            stage = STAGES[int(rng.choice(len(STAGES), p=STAGE_WEIGHTS))]
            source = SOURCES[int(rng.integers(len(SOURCES)))]
            created = now - timedelta(
                days=int(rng.integers(1, 150)), hours=int(rng.integers(0, 12))
            )
            activity = min(now, created + timedelta(days=int(rng.integers(0, 40))))
            tags = sorted(
                {
                    TAGS[language][int(i)]
                    for i in rng.choice(6, size=int(rng.integers(0, 3)), replace=False)
                }
            )
            consent = "none"
            if source in ("page", "webinar"):
                consent = "confirmed" if rng.random() < 0.8 else "pending"
            email = f"{who.first_name}.{who.last_name}.{owner.member_id}.{index}@example.com".lower().replace(
                " ", ""
            )
            email = email.encode("ascii", "ignore").decode() or f"c{index}@example.com"
            contact = Contact(
                owner=owner,
                email=email,
                phone=f"+{int(rng.integers(30, 80))} {int(rng.integers(600, 800))} {int(rng.integers(100, 999))} {int(rng.integers(100, 999))}"
                if rng.random() < 0.7
                else "",
                first_name=who.first_name,
                last_name=who.last_name,
                language=language,
                source=source,
                source_ref=f"{owner.member_id.lower()}-page" if source == "page" else "",
                tags=tags,
                stage=stage,
                email_consent=consent,
                created_at=created,
                last_activity_at=activity,
            )
            contact.search_text = search_text_of(contact)
            contact.tag_text = tag_text_of(tags)
            contacts.append(contact)
    Contact.objects.bulk_create(contacts, batch_size=500)
    saved = {
        c.unsubscribe_token: c
        for c in Contact.objects.filter(
            unsubscribe_token__in=[c.unsubscribe_token for c in contacts]
        )
    }
    entries: list[TimelineEntry] = []
    notes: list[Note] = []
    tasks: list[FollowUpTask] = []
    consents: list[ConsentRecord] = []
    owner_names = {o.pk: o.name or o.member_id for o in owners}
    for draft in contacts:
        contact = saved[draft.unsubscribe_token]
        language = contact.language
        kind = "signed_up" if contact.source in ("page", "webinar") else "created"
        if contact.source == "csv":
            kind = "imported"
        params = {"source": contact.source} if kind != "imported" else {"format": "csv"}
        entries.append(
            TimelineEntry(contact=contact, kind=kind, params=params, at=contact.created_at)
        )
        if contact.source == "page":
            entries.append(
                TimelineEntry(
                    contact=contact,
                    kind="page_visit",
                    params={"page": contact.source_ref},
                    at=contact.created_at - timedelta(minutes=2),
                )
            )
        if contact.email_consent != "none":
            consents.append(
                ConsentRecord(
                    contact=contact,
                    channel="email",
                    source=contact.source,
                    source_ref=contact.source_ref,
                    text_shown=CONSENT[language].format(owner=owner_names[contact.owner_id]),
                    language=language,
                    address=f"198.51.100.{int(rng.integers(1, 250))}",
                    given_at=contact.created_at,
                    confirmed_at=contact.created_at + timedelta(minutes=int(rng.integers(2, 600)))
                    if contact.email_consent == "confirmed"
                    else None,
                )
            )
        previous = "new"
        for stage in STAGES[1 : STAGES.index(contact.stage) + 1]:
            if stage == "distributor" and previous == "new":
                continue
            entries.append(
                TimelineEntry(
                    contact=contact,
                    kind="stage_changed",
                    params={"old": previous, "new": stage},
                    at=min(
                        contact.last_activity_at,
                        contact.created_at + timedelta(days=STAGES.index(stage) * 3),
                    ),
                )
            )
            previous = stage
        if rng.random() < 0.5:
            notes.append(
                Note(
                    contact=contact,
                    text=NOTES[language][int(rng.integers(len(NOTES[language])))],
                    created_at=contact.last_activity_at,
                )
            )
        if contact.stage in ("new", "contacted", "presented") and rng.random() < 0.6:
            offset = int(rng.integers(-3, 8))  # some overdue, some today, most later
            due = (now + timedelta(days=offset)).replace(
                hour=int(rng.integers(9, 19)), minute=0, second=0, microsecond=0
            )
            tasks.append(
                FollowUpTask(
                    contact=contact,
                    owner_id=contact.owner_id,
                    title=TASKS[language][int(rng.integers(len(TASKS[language])))],
                    due_at=due,
                    reminder_sent_at=due if due < now - timedelta(days=1) else None,
                    created_at=contact.created_at,
                )
            )
    TimelineEntry.objects.bulk_create(entries, batch_size=1000)
    Note.objects.bulk_create(notes, batch_size=1000)
    FollowUpTask.objects.bulk_create(tasks, batch_size=1000)
    ConsentRecord.objects.bulk_create(consents, batch_size=1000)
    ctx.say(
        f"contacts: {len(contacts)} contacts of {owners.count()} personas, "
        f"{len(notes)} notes, {len(tasks)} follow-ups"
    )
