"""The demo's outreach: one page template in four languages (with a B variant), a capture page
for each persona with a greeting in their language and some visits and sign-ups, a welcome
sequence, a scheduled live webinar and an evergreen one, three blog articles in four languages,
and a few e-mails really sent through the mailer (the console backend unless
``DOWNLINE_SMTP_URL`` is set), so the console's "What was sent" has something to show."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.utils import timezone

from downline.genealogy.models import Distributor
from downline.outreach.mail import dispatch_batch, queue_mail
from downline.outreach.models import (
    Article,
    Page,
    PageStat,
    PageTemplate,
    Sequence,
    SequenceStep,
)
from downline.outreach.pages import do_create_page
from downline.outreach.webinars import do_create_webinar

from .tools import ToolsContext

TEMPLATE = {
    "en": {
        "headline": "Your free 5-day skin care mini-course",
        "body": "Five short lessons, one a day: cleansing, protection, nutrition, sleep and a "
        "simple routine that fits a busy morning.\n\n*No purchase needed.*",
    },
    "ru": {
        "headline": "Бесплатный 5-дневный мини-курс по уходу за кожей",
        "body": "Пять коротких уроков, по одному в день: очищение, защита, питание, сон и "
        "простой утренний ритуал.\n\n*Покупка не требуется.*",
    },
    "pl": {
        "headline": "Darmowy 5-dniowy mini-kurs pielęgnacji skóry",
        "body": "Pięć krótkich lekcji, jedna dziennie: oczyszczanie, ochrona, odżywianie, sen i "
        "prosta poranna rutyna.\n\n*Bez obowiązku zakupu.*",
    },
    "de": {
        "headline": "Ihr kostenloser 5-Tage-Minikurs zur Hautpflege",
        "body": "Fünf kurze Lektionen, eine pro Tag: Reinigung, Schutz, Ernährung, Schlaf und "
        "eine einfache Morgenroutine.\n\n*Kein Kauf nötig.*",
    },
}
TEMPLATE_B = {
    "en": {"headline": "Better skin in five minutes a day", "body": "A free mini-course."},
}
GREETINGS = {
    "en": "Hi, I'm {name}. I have used these products for years and I'd love to share what I learned.",
    "ru": "Привет, я {name}. Я много лет пользуюсь этими продуктами и с радостью поделюсь опытом.",
    "pl": "Cześć, jestem {name}. Od lat używam tych produktów i chętnie podzielę się tym, czego się nauczyłam.",
    "de": "Hallo, ich bin {name}. Ich nutze diese Produkte seit Jahren und teile gern, was ich gelernt habe.",
}
STEPS = [
    (
        0,
        "",
        {
            "en": (
                "Your mini-course, day 1",
                "Hello {{first_name}},\n\nhere is lesson 1: cleansing.\n\n{{distributor}}",
            ),
            "ru": (
                "Ваш мини-курс, день 1",
                "Здравствуйте, {{first_name}}!\n\nУрок 1: очищение.\n\n{{distributor}}",
            ),
            "pl": (
                "Twój mini-kurs, dzień 1",
                "Cześć {{first_name}},\n\noto lekcja 1: oczyszczanie.\n\n{{distributor}}",
            ),
            "de": (
                "Ihr Minikurs, Tag 1",
                "Hallo {{first_name}},\n\nhier ist Lektion 1: Reinigung.\n\n{{distributor}}",
            ),
        },
    ),
    (
        24 * 60,
        "",
        {
            "en": ("Day 2: protection", "Lesson 2 is about sun protection."),
            "ru": ("День 2: защита", "Урок 2 — о защите от солнца."),
            "pl": ("Dzień 2: ochrona", "Lekcja 2 dotyczy ochrony przed słońcem."),
            "de": ("Tag 2: Schutz", "Lektion 2 handelt vom Sonnenschutz."),
        },
    ),
    (
        3 * 24 * 60,
        "not_customer",
        {
            "en": ("A question for you", "Would you like a sample? Just reply to this e-mail."),
            "ru": ("Вопрос к вам", "Хотите пробник? Просто ответьте на это письмо."),
            "pl": ("Pytanie do Ciebie", "Chcesz próbkę? Po prostu odpowiedz na tego e-maila."),
            "de": (
                "Eine Frage an Sie",
                "Möchten Sie eine Probe? Antworten Sie einfach auf diese E-Mail.",
            ),
        },
    ),
]
ARTICLES = [
    (
        "morning-routine",
        {
            "en": (
                "A morning routine in five minutes",
                "Five steps for busy mornings.",
                "Cleanse, tone, serum, cream, sunscreen. **That's it.**",
            ),
            "ru": (
                "Утренний уход за пять минут",
                "Пять шагов для занятого утра.",
                "Очищение, тоник, сыворотка, крем, защита от солнца. **Вот и всё.**",
            ),
            "pl": (
                "Poranna pielęgnacja w pięć minut",
                "Pięć kroków na zabiegane poranki.",
                "Oczyszczanie, tonik, serum, krem, filtr. **To wszystko.**",
            ),
            "de": (
                "Morgenroutine in fünf Minuten",
                "Fünf Schritte für eilige Morgen.",
                "Reinigen, Tonisieren, Serum, Creme, Sonnenschutz. **Fertig.**",
            ),
        },
    ),
    (
        "new-serum-set",
        {
            "en": (
                "Meet the new serum set",
                "Our autumn launch.",
                "The set combines three serums for day and night.",
            ),
            "ru": (
                "Новый набор сывороток",
                "Осенняя новинка.",
                "В набор входят три сыворотки для дня и ночи.",
            ),
            "pl": (
                "Poznaj nowy zestaw serum",
                "Nasza jesienna nowość.",
                "Zestaw łączy trzy serum na dzień i na noc.",
            ),
            "de": (
                "Das neue Serum-Set",
                "Unsere Herbstneuheit.",
                "Das Set vereint drei Seren für Tag und Nacht.",
            ),
        },
    ),
    (
        "company-news-autumn",
        {
            "en": (
                "Company news: autumn",
                "Events and training dates.",
                "The academy has new lessons and the next live webinar is scheduled.",
            ),
            "ru": (
                "Новости компании: осень",
                "События и даты обучения.",
                "В академии новые уроки, назначен следующий вебинар.",
            ),
            "pl": (
                "Wiadomości firmy: jesień",
                "Wydarzenia i szkolenia.",
                "W akademii są nowe lekcje, a kolejny webinar jest zaplanowany.",
            ),
            "de": (
                "Firmennews: Herbst",
                "Termine und Schulungen.",
                "Die Akademie hat neue Lektionen, das nächste Live-Webinar steht fest.",
            ),
        },
    ),
]


def seed(ctx: ToolsContext) -> None:
    now = timezone.now()
    template = PageTemplate.objects.create(
        key="skin-care-mini-course",
        name="Skin care mini-course",
        content=TEMPLATE,
        content_b=TEMPLATE_B,
        video_url="https://video.example.com/skin-care-intro",
        lead_course="skin-care-basics",
    )
    personas = Distributor.objects.filter(member_id__in=list(ctx.persona_ids.values()))
    for username, member_id in sorted(ctx.persona_ids.items()):
        member = personas.get(member_id=member_id)
        language = ctx.people.get(member_id, (member.language or "en", None))[0]
        language = language if language in GREETINGS else "en"
        page = do_create_page(member, template, slug=username)
        first = (member.name or username).split()[0]
        Page.objects.filter(pk=page.pk).update(greeting=GREETINGS[language].format(name=first))
        for back in range(14):
            day = (now - timedelta(days=back)).astimezone(ctx.timeline.zone).date()
            visits_a, visits_b = 20 + (back * 7 + len(username)) % 17, 18 + (back * 5) % 13
            PageStat.objects.bulk_create(
                [
                    PageStat(
                        page=page, day=day, variant="a", visits=visits_a, signups=visits_a // 9
                    ),
                    PageStat(
                        page=page, day=day, variant="b", visits=visits_b, signups=visits_b // 6
                    ),
                ]
            )

    sequence = Sequence.objects.create(
        key="mini-course",
        name="Mini-course welcome",
        trigger=Sequence.Trigger.SIGNED_UP,
        reentry="after",
        reentry_days=90,
    )
    for position, (delay, condition, texts) in enumerate(STEPS, start=1):
        SequenceStep.objects.create(
            sequence=sequence,
            position=position,
            delay_minutes=delay,
            condition=condition,
            content={lang: {"subject": s, "body": b} for lang, (s, b) in texts.items()},
        )

    zone = ctx.timeline.zone
    next_week = (now + timedelta(days=7)).astimezone(zone).date()
    do_create_webinar(
        content={
            "en": {
                "title": "The business in 45 minutes",
                "description": "How the company works, live with Q&A.",
            },
            "ru": {
                "title": "Бизнес за 45 минут",
                "description": "Как устроена компания — в прямом эфире с вопросами.",
            },
            "pl": {
                "title": "Biznes w 45 minut",
                "description": "Jak działa firma — na żywo z pytaniami.",
            },
            "de": {
                "title": "Das Geschäft in 45 Minuten",
                "description": "Wie das Unternehmen arbeitet, live mit Fragen.",
            },
        },
        starts_at=datetime.combine(next_week, time(19, 0), tzinfo=zone),
        duration_minutes=45,
    )
    do_create_webinar(
        content={
            "en": {"title": "Skin care basics (recorded)"},
            "ru": {"title": "Основы ухода за кожей (запись)"},
            "pl": {"title": "Podstawy pielęgnacji (nagranie)"},
            "de": {"title": "Grundlagen der Hautpflege (Aufzeichnung)"},
        },
        kind="evergreen",
        viewing_times=["11:00", "20:00"],
        video_url="https://video.example.com/skin-care-basics",
    )

    for back, (slug, texts) in enumerate(ARTICLES):
        Article.objects.create(
            slug=slug,
            content={
                lang: {"title": t, "summary": s, "body": b} for lang, (t, s, b) in texts.items()
            },
            published_at=now - timedelta(days=3 + 9 * back),
        )

    # a few mails really sent (console backend in the demo), for the console's log; sent "at
    # noon" (the latest noon up to now) so the quiet hours do not hold them back
    noon = datetime.combine(now.astimezone(zone).date(), time(12, 0), tzinfo=zone)
    if noon > now:
        noon -= timedelta(days=1)
    for username, member_id in sorted(ctx.persona_ids.items()):
        member = personas.get(member_id=member_id)
        queue_mail(
            key=f"demo:welcome:{username}",
            to_email=f"prospect.{username}@example.com",
            to_name="Sam",
            subject=STEPS[0][2]["en"][0],
            body_text=STEPS[0][2]["en"][1]
            .replace("{{first_name}}", "Sam")
            .replace("{{distributor}}", member.name),
            kind="sequence",
            ref=sequence.key,
            sender=member,
            due_at=noon - timedelta(hours=1),
        )
    dispatch_batch(20, now=noon)
    ctx.say("Outreach: a capture page per persona, a sequence, two webinars, three articles.")
