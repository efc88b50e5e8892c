"""What the assistant reads: documents of the knowledge base, the academy and the active plan.

A :class:`Doc` is one readable unit with a stable ``key`` (what the labelled questions name),
a ``title``, plain ``text`` and the ``url`` a citation links to. Sources:

* ``kb:…`` — published knowledge-base articles (``support.selectors.kb_documents``);
* ``lesson:…`` — published academy lessons (``academy.selectors.learning_documents``);
* ``plan:…`` — the active plan, rendered here from its parsed rules (ranks with their figures,
  bonuses with their rates, the activity rule), so it stays true when the plan changes. Their
  sentences are data in four languages (``PLAN_WORDS``), not interface strings;
* ``own:…`` — the "own numbers" intents (``own_numbers.INTENT_EXAMPLES``), answered from the
  engine's stored figures rather than quoted.

A source app that is missing or fails is skipped (the assistant still answers from the rest).
"""

from __future__ import annotations

import hashlib
import importlib
import logging
from dataclasses import dataclass
from decimal import Decimal

from django.urls import NoReverseMatch, reverse

log = logging.getLogger(__name__)

LANGUAGES = ("en", "ru", "pl", "de")


@dataclass(frozen=True)
class Doc:
    key: str
    title: str
    text: str
    url: str
    language: str
    kind: str = "doc"  # "kb" | "lesson" | "plan" | "own"

    @property
    def digest(self) -> str:
        return hashlib.sha256(f"{self.title}\n{self.text}".encode()).hexdigest()


def _external(module: str, function: str, language: str, kind: str) -> list[Doc]:
    """Documents from another app's selector, or none while it is missing or failing."""
    try:
        reader = getattr(importlib.import_module(module), function)
    except (ImportError, AttributeError):
        return []
    try:
        found = reader(language)
    except Exception:
        log.exception("assistant: %s.%s(%s) failed", module, function, language)
        return []
    docs = []
    for item in found or ():
        key = str(getattr(item, "key", ""))
        if not key:
            continue
        prefix = "kb:" if kind == "kb" else "lesson:"
        docs.append(
            Doc(
                key=key if ":" in key else prefix + key,
                title=str(getattr(item, "title", "")),
                text=str(getattr(item, "text", "")),
                url=str(getattr(item, "url", "")),
                language=str(getattr(item, "language", language) or language),
                kind=kind,
            )
        )
    return docs


def kb_documents(language: str) -> list[Doc]:
    return _external("downline.support.selectors", "kb_documents", language, "kb")


def lesson_documents(language: str) -> list[Doc]:
    return _external("downline.academy.selectors", "learning_documents", language, "lesson")


# --------------------------------------------------------------------------- the active plan

PLAN_WORDS: dict[str, dict[str, str]] = {
    "en": {
        "activity_title": "Being active",
        "activity": "You are active in a period when your personal volume (PV) is at least {pv}"
        " in that period. Only active distributors are paid; an inactive upline is skipped.",
        "activity_cv": " Your commissionable volume (CV) must be at least {cv}.",
        "volumes_title": "Volumes: PV, CV and group volume",
        "volumes": "Personal volume (PV) and commissionable volume (CV) come from your own orders"
        "{customers}. Group volume (GV) is your PV plus the PV of everyone you enrolled,"
        " directly or indirectly. Returns count negative in the period of the return.",
        "customers": " and the orders of the retail customers you enrolled",
        "rank_title": "Rank {rank}: how to qualify",
        "rank_intro": "To be {rank} in a period you need:",
        "pv": "personal volume (PV) of at least {value}",
        "gv": "group volume (GV) of at least {value}",
        "legs": "{count} legs each holding {leg_rank} or higher",
        "qv": "qualifying volume of at least {value}",
        "qv_cap": "qualifying volume of at least {value}, where each leg counts at most {cap}",
        "enrolled": "{value} personally enrolled distributors",
        "enrolled_active": "{value} active personally enrolled distributors",
        "customers_rank": "{value} buying retail customers",
        "active": "to be active",
        "rank_depth": " As {rank} you are paid the {bonus} to level {depth}.",
        "rank_bonus": " The first time you are paid as {rank} you receive a {bonus} of {amount}.",
        "bonus_title": "{bonus}",
        "unilevel": "The {bonus} pays a share of the CV of each order in your team:"
        " {rates} on levels 1 to {levels}.",
        "compression": " Inactive uplines are skipped and do not count as a level"
        " (dynamic compression).",
        "depth": " How deep you are paid depends on your paid-as rank: {depths}.",
        "fast_start": "The {bonus} pays {rates} of the CV of a new distributor's own orders"
        " during their first {days} days to their sponsor and the uplines above.",
        "advancement": "The {bonus} is paid once, the first time your paid-as rank reaches a"
        " rank: {amounts}.",
        "personal": "The {bonus} pays {rate} of your own volume.",
        "matching": "The {bonus} pays {rates} of the {of} earned by the distributors you enrolled.",
        "generic": "The {bonus} is part of the plan ({kind}).",
        "ranks_title": "Ranks of the plan",
        "ranks": "The ranks, from lowest to highest: {ranks}. Each period you are paid as the"
        " highest rank whose conditions all hold.",
        "levels": "level",
    },
    "ru": {
        "activity_title": "Активность",
        "activity": "Вы активны в периоде, если ваш личный объём (PV) за период не меньше {pv}."
        " Выплаты получают только активные дистрибьюторы; неактивный спонсор пропускается.",
        "activity_cv": " Комиссионный объём (CV) должен быть не меньше {cv}.",
        "volumes_title": "Объёмы: PV, CV и групповой объём",
        "volumes": "Личный объём (PV) и комиссионный объём (CV) складываются из ваших заказов"
        "{customers}. Групповой объём (GV) — это ваш PV плюс PV всех, кого вы пригласили,"
        " прямо или косвенно. Возвраты учитываются со знаком минус в периоде возврата.",
        "customers": " и заказов приглашённых вами розничных клиентов",
        "rank_title": "Ранг {rank}: условия квалификации",
        "rank_intro": "Чтобы получить ранг {rank} в периоде, нужно:",
        "pv": "личный объём (PV) не меньше {value}",
        "gv": "групповой объём (GV) не меньше {value}",
        "legs": "{count} ветки, в каждой есть ранг {leg_rank} или выше",
        "qv": "квалификационный объём не меньше {value}",
        "qv_cap": "квалификационный объём не меньше {value}, где каждая ветка засчитывается"
        " не больше {cap}",
        "enrolled": "{value} лично приглашённых дистрибьюторов",
        "enrolled_active": "{value} активных лично приглашённых дистрибьюторов",
        "customers_rank": "{value} покупающих розничных клиентов",
        "active": "быть активным",
        "rank_depth": " С рангом {rank} вам платят {bonus} до уровня {depth}.",
        "rank_bonus": " Когда вам впервые платят по рангу {rank}, вы получаете {bonus}"
        " в размере {amount}.",
        "bonus_title": "{bonus}",
        "unilevel": "{bonus} выплачивает долю CV каждого заказа в вашей команде:"
        " {rates} на уровнях с 1 по {levels}.",
        "compression": " Неактивные спонсоры пропускаются и не считаются уровнем"
        " (динамическая компрессия).",
        "depth": " Глубина выплат зависит от ранга выплаты: {depths}.",
        "fast_start": "{bonus} выплачивает {rates} от CV собственных заказов нового"
        " дистрибьютора в первые {days} дней его спонсору и вышестоящим.",
        "advancement": "{bonus} выплачивается один раз, когда ваш ранг выплаты впервые достигает"
        " ранга: {amounts}.",
        "personal": "{bonus} выплачивает {rate} от вашего собственного объёма.",
        "matching": "{bonus} выплачивает {rates} от {of}, заработанных лично приглашёнными.",
        "generic": "{bonus} входит в план ({kind}).",
        "ranks_title": "Ранги плана",
        "ranks": "Ранги от низшего к высшему: {ranks}. В каждом периоде вам платят по самому"
        " высокому рангу, все условия которого выполнены.",
        "levels": "уровень",
    },
    "pl": {
        "activity_title": "Aktywność",
        "activity": "Jesteś aktywny w okresie, gdy Twój wolumen osobisty (PV) wynosi co najmniej"
        " {pv}. Wypłaty otrzymują tylko aktywni dystrybutorzy; nieaktywny sponsor jest pomijany.",
        "activity_cv": " Wolumen prowizyjny (CV) musi wynosić co najmniej {cv}.",
        "volumes_title": "Wolumeny: PV, CV i wolumen grupowy",
        "volumes": "Wolumen osobisty (PV) i wolumen prowizyjny (CV) pochodzą z Twoich zamówień"
        "{customers}. Wolumen grupowy (GV) to Twoje PV plus PV wszystkich osób, które wprowadziłeś,"
        " bezpośrednio lub pośrednio. Zwroty liczą się na minus w okresie zwrotu.",
        "customers": " oraz zamówień klientów detalicznych, których wprowadziłeś",
        "rank_title": "Ranga {rank}: jak się kwalifikować",
        "rank_intro": "Aby mieć rangę {rank} w okresie, potrzebujesz:",
        "pv": "wolumenu osobistego (PV) co najmniej {value}",
        "gv": "wolumenu grupowego (GV) co najmniej {value}",
        "legs": "{count} linii, w każdej ranga {leg_rank} lub wyższa",
        "qv": "wolumenu kwalifikacyjnego co najmniej {value}",
        "qv_cap": "wolumenu kwalifikacyjnego co najmniej {value}, przy czym każda linia liczy się"
        " najwyżej do {cap}",
        "enrolled": "{value} osobiście wprowadzonych dystrybutorów",
        "enrolled_active": "{value} aktywnych osobiście wprowadzonych dystrybutorów",
        "customers_rank": "{value} kupujących klientów detalicznych",
        "active": "bycia aktywnym",
        "rank_depth": " Z rangą {rank} otrzymujesz {bonus} do poziomu {depth}.",
        "rank_bonus": " Gdy po raz pierwszy otrzymasz wypłatę jako {rank}, dostajesz {bonus}"
        " w wysokości {amount}.",
        "bonus_title": "{bonus}",
        "unilevel": "{bonus} wypłaca część CV każdego zamówienia w Twoim zespole:"
        " {rates} na poziomach od 1 do {levels}.",
        "compression": " Nieaktywni sponsorzy są pomijani i nie liczą się jako poziom"
        " (kompresja dynamiczna).",
        "depth": " Głębokość wypłaty zależy od rangi wypłaty: {depths}.",
        "fast_start": "{bonus} wypłaca {rates} CV własnych zamówień nowego dystrybutora"
        " w ciągu pierwszych {days} dni jego sponsorowi i wyższym liniom.",
        "advancement": "{bonus} jest wypłacany raz, gdy Twoja ranga wypłaty po raz pierwszy"
        " osiągnie rangę: {amounts}.",
        "personal": "{bonus} wypłaca {rate} Twojego własnego wolumenu.",
        "matching": "{bonus} wypłaca {rates} z {of} zarobionych przez osoby, które wprowadziłeś.",
        "generic": "{bonus} jest częścią planu ({kind}).",
        "ranks_title": "Rangi planu",
        "ranks": "Rangi od najniższej do najwyższej: {ranks}. W każdym okresie otrzymujesz"
        " wypłatę według najwyższej rangi, której wszystkie warunki są spełnione.",
        "levels": "poziom",
    },
    "de": {
        "activity_title": "Aktiv sein",
        "activity": "Du bist in einem Zeitraum aktiv, wenn dein persönliches Volumen (PV)"
        " mindestens {pv} beträgt. Nur aktive Vertriebspartner werden bezahlt; ein inaktiver"
        " Sponsor wird übersprungen.",
        "activity_cv": " Dein provisionsfähiges Volumen (CV) muss mindestens {cv} betragen.",
        "volumes_title": "Volumen: PV, CV und Gruppenvolumen",
        "volumes": "Persönliches Volumen (PV) und provisionsfähiges Volumen (CV) stammen aus"
        " deinen Bestellungen{customers}. Das Gruppenvolumen (GV) ist dein PV plus das PV aller,"
        " die du direkt oder indirekt geworben hast. Retouren zählen negativ im Zeitraum der"
        " Retoure.",
        "customers": " und den Bestellungen der Endkunden, die du geworben hast",
        "rank_title": "Rang {rank}: so qualifizierst du dich",
        "rank_intro": "Um in einem Zeitraum {rank} zu sein, brauchst du:",
        "pv": "ein persönliches Volumen (PV) von mindestens {value}",
        "gv": "ein Gruppenvolumen (GV) von mindestens {value}",
        "legs": "{count} Linien mit jeweils {leg_rank} oder höher",
        "qv": "ein Qualifikationsvolumen von mindestens {value}",
        "qv_cap": "ein Qualifikationsvolumen von mindestens {value}, wobei jede Linie höchstens"
        " {cap} zählt",
        "enrolled": "{value} persönlich geworbene Vertriebspartner",
        "enrolled_active": "{value} aktive persönlich geworbene Vertriebspartner",
        "customers_rank": "{value} kaufende Endkunden",
        "active": "aktiv zu sein",
        "rank_depth": " Als {rank} erhältst du die {bonus} bis Ebene {depth}.",
        "rank_bonus": " Wenn du zum ersten Mal als {rank} bezahlt wirst, erhältst du einen"
        " {bonus} von {amount}.",
        "bonus_title": "{bonus}",
        "unilevel": "Die {bonus} zahlt einen Anteil am CV jeder Bestellung in deinem Team:"
        " {rates} auf den Ebenen 1 bis {levels}.",
        "compression": " Inaktive Sponsoren werden übersprungen und zählen nicht als Ebene"
        " (dynamische Kompression).",
        "depth": " Wie tief du bezahlt wirst, hängt von deinem bezahlten Rang ab: {depths}.",
        "fast_start": "Der {bonus} zahlt {rates} des CV der eigenen Bestellungen eines neuen"
        " Vertriebspartners in seinen ersten {days} Tagen an seinen Sponsor und die Sponsoren"
        " darüber.",
        "advancement": "Der {bonus} wird einmal gezahlt, wenn dein bezahlter Rang zum ersten Mal"
        " einen Rang erreicht: {amounts}.",
        "personal": "Der {bonus} zahlt {rate} deines eigenen Volumens.",
        "matching": "Der {bonus} zahlt {rates} der {of}, die deine geworbenen Partner verdienen.",
        "generic": "Der {bonus} ist Teil des Plans ({kind}).",
        "ranks_title": "Die Ränge des Plans",
        "ranks": "Die Ränge vom niedrigsten zum höchsten: {ranks}. In jedem Zeitraum wirst du"
        " nach dem höchsten Rang bezahlt, dessen Bedingungen alle erfüllt sind.",
        "levels": "Ebene",
    },
}


def plan_page_url(anchor: str = "") -> str:
    try:
        url = reverse("assistant:plan")
    except NoReverseMatch:
        return ""
    return f"{url}#{anchor}" if anchor else url


def _volume(hundredths: int, language: str) -> str:
    from downline.core.formatting import format_number

    places = 0 if hundredths % 100 == 0 else 2
    return format_number(Decimal(hundredths).scaleb(-2), places, locale=language)


def _money(amount, currency: str, language: str) -> str:
    from downline.core.formatting import format_money
    from downline.money import minor_units

    digits = minor_units(currency)
    return format_money(int(Decimal(amount).scaleb(digits)), currency, locale=language)


def _label(labels: dict | None, name: str, language: str, fallback: str | None = None) -> str:
    labels = labels or {}
    return labels.get(language) or labels.get("en") or fallback or name


def plan_documents(language: str) -> list[Doc]:
    """The active plan's rules as documents in ``language`` (none while no plan is active)."""
    from downline.compensation.labels import active_plan_version
    from downline.compensation.plans import loaded_plan

    version = active_plan_version()
    if version is None:
        return []
    plan = loaded_plan(version).plan
    return render_plan(plan, language)


def render_plan(plan, language: str) -> list[Doc]:
    words = PLAN_WORDS.get(language, PLAN_WORDS["en"])
    currency = plan.currency if isinstance(plan.currency, str) else "EUR"
    rank_of = {rank.name: _label(rank.label, rank.name, language) for rank in plan.ranks}
    bonus_of = {
        bonus.name: _label(bonus.label, bonus.name, language, bonus.title) for bonus in plan.bonuses
    }
    docs: list[Doc] = []

    def add(key: str, title: str, text: str) -> None:
        anchor = key.split(":", 1)[1].replace(":", "-")
        docs.append(Doc(key, title, text, plan_page_url(anchor), language, "plan"))

    if plan.activity is not None and (plan.activity.pv_at_least or plan.activity.cv_at_least):
        text = ""
        if plan.activity.pv_at_least:
            text = words["activity"].format(pv=_volume(plan.activity.pv_at_least, language))
        if plan.activity.cv_at_least:
            text += words["activity_cv"].format(cv=_volume(plan.activity.cv_at_least, language))
        add("plan:activity", words["activity_title"], text.strip())
    add(
        "plan:volumes",
        words["volumes_title"],
        words["volumes"].format(
            customers=words["customers"] if plan.volumes.include_customers else ""
        ),
    )
    add(
        "plan:ranks",
        words["ranks_title"],
        words["ranks"].format(ranks=", ".join(rank_of[r.name] for r in plan.ranks)),
    )
    depth_bonus = next(
        (b for b in plan.bonuses if getattr(b, "depth_by_rank", None)), None
    )  # the unilevel whose depth depends on the rank
    advancement = next((b for b in plan.bonuses if b.kind == "rank_advancement"), None)
    for rank in plan.ranks[1:]:
        parts = []
        if rank.pv is not None:
            parts.append(words["pv"].format(value=_volume(rank.pv, language)))
        if rank.gv is not None:
            parts.append(words["gv"].format(value=_volume(rank.gv, language)))
        if rank.legs is not None:
            parts.append(
                words["legs"].format(
                    count=rank.legs.count, leg_rank=rank_of.get(rank.legs.rank, rank.legs.rank)
                )
            )
        qv = rank.qualifying_volume
        if qv is not None:
            if qv.max_per_leg is not None:
                parts.append(
                    words["qv_cap"].format(
                        value=_volume(qv.at_least, language), cap=_volume(qv.max_per_leg, language)
                    )
                )
            else:
                parts.append(words["qv"].format(value=_volume(qv.at_least, language)))
        if rank.personally_enrolled:
            parts.append(words["enrolled"].format(value=rank.personally_enrolled))
        if rank.personally_enrolled_active:
            parts.append(words["enrolled_active"].format(value=rank.personally_enrolled_active))
        if rank.customers:
            parts.append(words["customers_rank"].format(value=rank.customers))
        if rank.active:
            parts.append(words["active"])
        label = rank_of[rank.name]
        text = words["rank_intro"].format(rank=label) + " " + "; ".join(parts) + "."
        if depth_bonus is not None and rank.name in depth_bonus.depth_by_rank:
            text += words["rank_depth"].format(
                rank=label,
                bonus=bonus_of[depth_bonus.name],
                depth=depth_bonus.depth_by_rank[rank.name],
            )
        if advancement is not None and rank.name in advancement.amounts:
            text += words["rank_bonus"].format(
                rank=label,
                bonus=bonus_of[advancement.name],
                amount=_money(advancement.amounts[rank.name], currency, language),
            )
        add(f"plan:rank:{rank.name.lower()}", words["rank_title"].format(rank=label), text)
    for bonus in plan.bonuses:
        label = bonus_of[bonus.name]
        rates = getattr(bonus, "levels", None) or []
        rate_text = ", ".join(rate.text for rate in rates)
        if bonus.kind == "unilevel":
            text = words["unilevel"].format(bonus=label, rates=rate_text, levels=len(rates))
            if bonus.compression:
                text += words["compression"]
            if bonus.depth_by_rank:
                text += words["depth"].format(
                    depths=", ".join(
                        f"{rank_of.get(name, name)} {depth}"
                        for name, depth in bonus.depth_by_rank.items()
                    )
                )
        elif bonus.kind == "fast_start":
            text = words["fast_start"].format(bonus=label, rates=rate_text, days=bonus.days)
        elif bonus.kind == "rank_advancement":
            text = words["advancement"].format(
                bonus=label,
                amounts=", ".join(
                    f"{rank_of.get(name, name)} {_money(amount, currency, language)}"
                    for name, amount in bonus.amounts.items()
                ),
            )
        elif bonus.kind == "personal":
            text = words["personal"].format(bonus=label, rate=bonus.rate.text)
        elif bonus.kind == "matching":
            text = words["matching"].format(
                bonus=label, rates=rate_text, of=", ".join(bonus_of.get(n, n) for n in bonus.of)
            )
        else:
            text = words["generic"].format(bonus=label, kind=bonus.kind)
        add(f"plan:bonus:{bonus.name}", words["bonus_title"].format(bonus=label), text)
    return docs
