"""Questions about the distributor's own numbers, answered from the engine's stored figures.

Intents (``INTENTS``): ``rank_progress`` (how far from the next rank, per condition, from the
latest projection of the current period), ``bonus_not_paid`` (why a bonus was not paid, or not
paid on someone's order, from the trace of the member's latest final run and its lines),
``volumes`` (live PV, CV and group volume of the current period), ``activity`` (active or not
and what is missing) and ``last_payout`` (the last payout and the last statement).

Detection (:func:`detect_intent`): a keyword pattern per intent and language decides first; if
none matches, the retrieval over the intents' example questions (``own:…`` documents, in the
same hybrid index as the articles) decides when an intent is the best hit.

Rule: figures are read, never made up (design rules 4, 5, 12). :func:`compute` reads them
through the selectors the dashboard and the statements use (``compensation.selectors``,
``orders.selectors``) and returns a payload of numbers and keys; :func:`render` puts a stored
payload into words in the reader's language (Babel through ``core.formatting``) when shown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .documents import Doc

INTENTS = ("rank_progress", "bonus_not_paid", "volumes", "activity", "last_payout")

INTENT_EXAMPLES: dict[str, dict[str, list[str]]] = {
    "rank_progress": {
        "en": [
            "How far am I from the next rank?",
            "What is missing for my next rank?",
            "When will I reach Silver?",
            "What do I still need to qualify for Gold?",
        ],
        "ru": [
            "Сколько мне осталось до следующего ранга?",
            "Чего мне не хватает до следующего ранга?",
            "Что мне нужно, чтобы стать Серебром?",
        ],
        "pl": [
            "Ile brakuje mi do następnej rangi?",
            "Czego mi brakuje do awansu?",
            "Co muszę zrobić, żeby osiągnąć Srebro?",
        ],
        "de": [
            "Wie weit bin ich vom nächsten Rang entfernt?",
            "Was fehlt mir noch zum nächsten Rang?",
            "Was brauche ich noch für Silber?",
        ],
    },
    "bonus_not_paid": {
        "en": [
            "Why was I not paid the unilevel bonus?",
            "Why did I not get a commission on Anna's order?",
            "Why is my bonus missing?",
        ],
        "ru": [
            "Почему мне не заплатили бонус?",
            "Почему я не получил комиссию с заказа Анны?",
            "Почему нет моей комиссии?",
        ],
        "pl": [
            "Dlaczego nie dostałem bonusu?",
            "Dlaczego nie dostałam prowizji od zamówienia Anny?",
            "Czemu nie wypłacono mi prowizji?",
        ],
        "de": [
            "Warum wurde mir der Bonus nicht gezahlt?",
            "Warum habe ich keine Provision für Annas Bestellung bekommen?",
            "Wieso fehlt meine Provision?",
        ],
    },
    "volumes": {
        "en": ["What are my volumes this month?", "What is my PV and group volume now?"],
        "ru": ["Какой у меня сейчас объём?", "Какой мой личный и групповой объём?"],
        "pl": ["Jaki mam teraz wolumen?", "Ile wynosi moje PV i wolumen grupowy?"],
        "de": ["Wie hoch ist mein Volumen?", "Wie viel PV und Gruppenvolumen habe ich?"],
    },
    "activity": {
        "en": ["Am I active this month?", "Am I qualified as active?"],
        "ru": ["Я активен в этом месяце?", "Я сейчас активна?"],
        "pl": ["Czy jestem aktywny w tym miesiącu?", "Czy jestem teraz aktywna?"],
        "de": ["Bin ich diesen Monat aktiv?", "Bin ich gerade aktiv?"],
    },
    "last_payout": {
        "en": ["When was my last payout?", "How much was I paid last time?"],
        "ru": ["Когда была моя последняя выплата?", "Сколько мне выплатили в последний раз?"],
        "pl": ["Kiedy była moja ostatnia wypłata?", "Ile mi ostatnio wypłacono?"],
        "de": ["Wann war meine letzte Auszahlung?", "Wie viel wurde mir zuletzt ausgezahlt?"],
    },
}

# Keyword patterns (lower-case text): the first intent whose pattern matches wins.
KEYWORDS: dict[str, dict[str, str]] = {
    "bonus_not_paid": {
        "en": r"\bwhy\b.*(\bnot|n't|\bnever|\bno)\b.*\b(paid|get|got|receive|commission|bonus)"
        r"|\bmissing\b.*\b(bonus|commission)|\b(bonus|commission)\b.*\bmissing",
        "ru": r"почему.*\bне\b.*(заплат|плат|получ|начисл)|почему.*нет.*(комисс|бонус)",
        "pl": r"(dlaczego|czemu).*\bnie\b.*(dosta|wypłac|otrzyma|zapłac|naliczon)"
        r"|(dlaczego|czemu).*brak.*(prowizj|bonus)",
        "de": r"(warum|wieso|weshalb).*(nicht|kein).*(gezahlt|bezahlt|bekommen|erhalten"
        r"|ausgezahlt|provision|bonus)|(warum|wieso).*fehlt.*(provision|bonus)",
    },
    "rank_progress": {
        "en": r"\b(how far|what is missing|what's missing|what do i (still )?need|"
        r"next rank|reach (the )?(next )?rank|reach \w+ rank|become (silver|gold|bronze)|"
        r"qualify for)\b",
        "ru": r"(следующ\w* ранг|до ранга|не хватает|осталось до|стать (серебр|золот|бронз))",
        "pl": r"(następn\w* rang|do rangi|brakuje mi|do awansu|osiągnąć (srebr|złot|brąz))",
        "de": r"(nächst\w* rang|wie weit|was fehlt mir|fehlt mir noch"
        r"|brauche ich (noch )?für (silber|gold|bronze))",
    },
    "last_payout": {
        "en": r"\b(last|latest|recent) (payout|payment)|\bhow much (was i|did i get) paid"
        r"|\bwhen (was|did) i (get )?paid|\bhow much did i (earn|make)",
        "ru": r"последн\w* выплат|сколько мне выплатил|сколько я заработал",
        "pl": r"ostatni\w* wypłat|ile mi (ostatnio )?wypłacon|ile zarobił(em|am)",
        "de": r"letzte\w* auszahlung|zuletzt ausgezahlt|wie ?viel habe ich .*verdient",
    },
    "activity": {
        "en": r"\bam i (still )?active\b|\bmy activity\b",
        "ru": r"\bя (сейчас )?активн|моя активность",
        "pl": r"czy jestem (teraz )?aktywn|moja aktywność",
        "de": r"bin ich (gerade |noch |diesen monat )?aktiv|meine aktivität",
    },
    "volumes": {
        "en": r"\bmy (current )?(pv|cv|gv|volumes?|group volume|personal volume)\b"
        r"|\bwhat is my (pv|cv|gv)",
        "ru": r"(мой|мои|у меня).*(объём|объем|pv|gv)",
        "pl": r"(moje|mój|mam).*(wolumen|pv|gv)",
        "de": r"(mein|meine|habe ich).*(volumen|pv|gv)",
    },
}


def intent_documents(language: str) -> list[Doc]:
    """The intents as documents of the hybrid index (``own:<intent>``)."""
    docs = []
    for intent, by_language in INTENT_EXAMPLES.items():
        examples = by_language.get(language) or by_language["en"]
        docs.append(Doc(f"own:{intent}", examples[0], " ".join(examples), "", language, "own"))
    return docs


# Words that make a question personal ("my", "I", "me"): an intent found only by retrieval
# needs one, so "When do payouts happen?" is answered from the articles, not from figures.
PERSONAL = {
    "en": r"\b(i|me|my|mine|i'm|am i)\b",
    "ru": r"\b(я|мне|меня|мой|моя|моё|мое|мои|моих|моего|моей)\b",
    "pl": r"\b(ja|mi|mnie|mój|moja|moje|moich|mojej|jestem|mam|dostałem|dostałam)\b",
    "de": r"\b(ich|mir|mich|mein|meine|meinen|meinem|meiner)\b",
}


def is_personal(question: str, language: str) -> bool:
    pattern = PERSONAL.get(language, PERSONAL["en"])
    return re.search(pattern, question.lower()) is not None


def keyword_intent(question: str, language: str) -> str | None:
    text = question.lower().replace("ё", "е")
    for intent, patterns in KEYWORDS.items():
        for code in dict.fromkeys((language, "en")):
            pattern = patterns.get(code)
            if pattern and re.search(pattern, text):
                return intent
    return None


# --------------------------------------------------------------------------- reading figures


def _current_period():
    from downline.calendar import bounds_for_instant
    from downline.periods.models import Period

    bounds = bounds_for_instant(
        timezone.now(), settings.DOWNLINE_PERIOD_KIND, settings.DOWNLINE_TIME_ZONE
    )
    return bounds.code, Period.objects.filter(code=bounds.code).first()


def _plain(value):
    """A trace value as JSON: bool, int, or the decimal text as written."""
    if isinstance(value, bool | int):
        return value
    return str(value)


def rank_progress(member) -> dict:
    from downline.compensation.selectors import latest_projection, result_of, trace_of

    code, period = _current_period()
    payload: dict = {"intent": "rank_progress", "period": code}
    run = latest_projection(period) if period is not None else None
    result = result_of(run, member) if run is not None else None
    if result is None:
        payload["missing_data"] = "no_projection"
        return payload
    trace = trace_of(result)
    next_rank = (trace.get("next_rank") or {}).get("name")
    payload.update(
        run=run.pk,
        version=run.plan_version_id,
        computed_at=run.computed_at.isoformat(),
        paid_as=(trace.get("rank") or {}).get("paid_as", ""),
        next_rank=next_rank or "",
        conditions=[],
    )
    for entry in trace.get("ranks", []):
        if entry["name"] == next_rank:
            payload["conditions"] = [
                {
                    "name": c["name"],
                    "required": _plain(c["required"]),
                    "actual": _plain(c["actual"]),
                    "pass": bool(c["pass"]),
                }
                for c in entry["conditions"]
            ]
    return payload


def _latest_final_result(member):
    from downline.compensation.models import Run, RunResult

    return (
        RunResult.objects.filter(distributor=member, run__kind=Run.Kind.FINAL)
        .select_related("run__period", "run__plan_version")
        .order_by("-run__period__starts_at")
        .first()
    )


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


NOT_NAMES = _words(
    "why was were not paid get got the order bonus commission unilevel fast start did have "
    "почему заказ заказа бонус комиссию комиссия получил получила заплатили dlaczego czemu "
    "zamówienia zamówienie bonusu prowizji dostałem dostałam warum wieso bestellung provision "
    "bekommen erhalten gezahlt habe"
)
ORDER_NUMBER = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-_/]{3,63}")


def _named_order(member, question: str):
    """The order the question names: by its number, or the latest order of a member of the
    distributor's team whose name the question mentions. Only orders whose buyer is the
    distributor or in their downline are considered."""
    from downline.genealogy.access import in_downline
    from downline.genealogy.models import Distributor
    from downline.orders.models import Order

    candidates = {
        w.strip(".,?!") for w in ORDER_NUMBER.findall(question) if any(c.isdigit() for c in w)
    }
    if candidates:
        for order in Order.objects.filter(number__in=candidates).select_related("distributor"):
            if in_downline(member, order.distributor):
                return order
    words = {w.lower() for w in re.findall(r"[^\W\d_]{3,}", question.replace("’", "'"))}
    if not words:
        return None
    stems = {w for w in words if w not in NOT_NAMES}
    if not stems:
        return None
    # names: compare the first name (and its first letters, for inflected forms: Anna → Anny)
    match = Q()
    for word in stems:
        word = word.removesuffix("'s")
        match |= (
            Q(name__istartswith=word[:4])
            if len(word) >= 4
            else Q(name__istartswith=f"{word} ") | Q(name__iexact=word)
        )
    team = Distributor.objects.exclude(pk=member.pk).exclude(name="").filter(match)
    for person in team.only("pk", "name", "member_id", "kind")[:50]:
        first = person.name.split()[0].lower()
        close = any(
            w == first or (len(w) >= 4 and w[:4] == first[:4] and abs(len(w) - len(first)) <= 3)
            for w in stems
        )
        if close and in_downline(member, person):
            return (
                Order.objects.filter(distributor=person, kind="product")
                .order_by("-paid_at", "-id")
                .first()
            )
    return None


def bonus_not_paid(member, question: str = "") -> dict:
    from downline.compensation.models import Run, RunResult
    from downline.compensation.selectors import run_lines

    payload: dict = {"intent": "bonus_not_paid"}
    order = _named_order(member, question) if question else None
    result = None
    if order is not None:
        payload.update(order=order.number, order_pk=order.pk, buyer=order.distributor.name)
        result = (
            RunResult.objects.filter(
                distributor=member, run__kind=Run.Kind.FINAL, run__period_id=order.period_id
            )
            .select_related("run__period")
            .first()
        )
        if result is None:
            payload["order_period_open"] = True
            payload["period"] = order.period.code if order.period_id else ""
    if result is None and order is None:
        result = _latest_final_result(member)
    if result is None:
        payload.setdefault("missing_data", "no_final_run")
        return payload
    payload.update(run=result.run_id, period=result.run.period.code, result=result.pk)
    if order is not None:
        payload["lines"] = [
            {"bonus": line.bonus, "level": line.level, "amount": line.amount}
            for line in run_lines(result.run, member)
            if line.source_order_id == order.pk
        ]
        payload["currency"] = result.run.currency
        payload["minor_digits"] = result.run.minor_digits
    return payload


def volumes(member, intent: str = "volumes") -> dict:
    from downline.compensation.plans import loaded_plan, plan_version_for
    from downline.compensation.selectors import latest_projection, result_of
    from downline.orders.selectors import member_period_volumes

    code, period = _current_period()
    payload: dict = {"intent": intent, "period": code, "pv": 0, "cv": 0, "gv": 0, "gcv": 0}
    if period is not None:
        row = member_period_volumes(member, period)
        payload.update(pv=row.pv, cv=row.cv, gv=row.group_pv, gcv=row.group_cv)
        version = plan_version_for(period)
        rule = loaded_plan(version).plan.activity if version is not None else None
        if rule is not None:
            payload["pv_at_least"] = rule.pv_at_least
            payload["cv_at_least"] = rule.cv_at_least
        run = latest_projection(period)
        result = result_of(run, member) if run is not None else None
        if result is not None:
            payload["projected_active"] = bool(result.active)
            payload["computed_at"] = run.computed_at.isoformat()
    payload["status"] = member.status
    return payload


def last_payout(member) -> dict:
    from downline.payouts.models import Payout

    payload: dict = {"intent": "last_payout"}
    payout = (
        Payout.objects.filter(distributor=member)
        .select_related("batch")
        .order_by("-batch__created_at", "-id")
        .first()
    )
    if payout is not None:
        payload["payout"] = {
            "amount": payout.amount,
            "currency": payout.currency,
            "status": payout.status,
            "at": (payout.batch.paid_at or payout.batch.created_at).isoformat(),
        }
    result = _latest_final_result(member)
    if result is not None:
        payload["statement"] = {
            "period": result.run.period.code,
            "earned": result.earned,
            "currency": result.run.currency,
            "minor_digits": result.run.minor_digits,
        }
    return payload


def compute(intent: str, member, question: str = "") -> dict:
    if intent == "rank_progress":
        return rank_progress(member)
    if intent == "bonus_not_paid":
        return bonus_not_paid(member, question)
    if intent in ("volumes", "activity"):
        return volumes(member, intent)
    if intent == "last_payout":
        return last_payout(member)
    raise ValueError(f"unknown intent {intent!r}")


SOURCE_KEYS = {intent: f"own:{intent}" for intent in INTENTS}


# --------------------------------------------------------------------------- words


@dataclass
class Rendered:
    lines: list[str] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)  # (label, url)
    offer_dispute: str = ""  # URL of the dispute form, when one fits


def _url(name: str, *args, query: str = "") -> str:
    try:
        url = reverse(name, args=args)
    except NoReverseMatch:
        return ""
    return f"{url}?{query}" if query else url


def _number(value, language: str) -> str:
    from downline.core.formatting import format_number

    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, int):
        return format_number(value, locale=language)
    text = str(value)
    try:
        number = Decimal(text)
    except InvalidOperation:
        return text
    places = len(text.partition(".")[2]) if "." in text else 0
    return format_number(number, places, locale=language)


def _gap(required, actual, language: str) -> str:
    try:
        gap = Decimal(str(required)) - Decimal(str(actual))
    except InvalidOperation:
        return ""
    if gap <= 0:
        return ""
    text = str(required)
    places = len(text.partition(".")[2]) if "." in text else 0
    from downline.core.formatting import format_number

    return format_number(gap, places, locale=language)


def condition_name(name: str) -> str:
    labels = {
        "pv": _("Personal volume (PV)"),
        "cv": _("Commissionable volume (CV)"),
        "gv": _("Group volume (GV)"),
        "qualifying_volume": _("Counted volume"),
        "active": _("Active this period"),
        "legs": _("Qualified legs"),
        "personally_enrolled": _("Personally enrolled distributors"),
        "personally_enrolled_active": _("Active personally enrolled distributors"),
        "customers": _("Buying retail customers"),
    }
    return labels.get(name, name)


def _volume(hundredths: int | None, language: str) -> str:
    from downline.core.formatting import format_fixed

    return format_fixed(int(hundredths or 0), 2, locale=language)


def render(payload: dict, language: str) -> Rendered:
    """The stored ``payload`` in words, in ``language``."""
    with translation.override(language):
        return _render(payload, language)


def _render(payload: dict, language: str) -> Rendered:
    from downline.compensation.labels import rank_label

    out = Rendered()
    intent = payload.get("intent")
    if intent == "rank_progress":
        out.links.append((_("Your dashboard"), _url("web:dashboard")))
        if payload.get("missing_data"):
            out.lines.append(
                _(
                    "There is no projection of period %(period)s for you yet, so I cannot tell"
                    " your rank progress. It appears once the period's first projection has run."
                )
                % {"period": payload["period"]}
            )
            return out
        from downline.compensation.models import PlanVersion

        version = PlanVersion.objects.filter(pk=payload.get("version")).first()
        paid_as = rank_label(version, payload.get("paid_as", ""), language)
        if not payload.get("next_rank"):
            out.lines.append(
                _("In period %(period)s you are paid as %(rank)s, the highest rank of the plan.")
                % {"period": payload["period"], "rank": paid_as}
            )
            return out
        next_rank = rank_label(version, payload["next_rank"], language)
        out.lines.append(
            _(
                "In period %(period)s you are projected as %(rank)s. For %(next)s (from the"
                " projection of %(at)s):"
            )
            % {
                "period": payload["period"],
                "rank": paid_as,
                "next": next_rank,
                "at": _when(payload.get("computed_at"), language),
            }
        )
        for c in payload.get("conditions", []):
            values = {
                "name": condition_name(c["name"]),
                "actual": _number(c["actual"], language),
                "required": _number(c["required"], language),
            }
            if c["pass"]:
                out.lines.append(_("%(name)s: %(actual)s of %(required)s — met") % values)
            else:
                gap = _gap(c["required"], c["actual"], language)
                values["missing"] = gap or _("not met")
                out.lines.append(
                    _("%(name)s: %(actual)s of %(required)s — missing %(missing)s") % values
                )
        return out
    if intent == "bonus_not_paid":
        return _render_not_paid(payload, language, out)
    if intent in ("volumes", "activity"):
        out.links.append((_("Your dashboard"), _url("web:dashboard")))
        values = {
            "period": payload["period"],
            "pv": _volume(payload.get("pv"), language),
            "cv": _volume(payload.get("cv"), language),
            "gv": _volume(payload.get("gv"), language),
        }
        out.lines.append(
            _("Period %(period)s so far: PV %(pv)s, CV %(cv)s, group volume %(gv)s.") % values
        )
        pv_min, cv_min = payload.get("pv_at_least"), payload.get("cv_at_least")
        missing = []
        if pv_min and payload.get("pv", 0) < pv_min:
            missing.append(
                _("PV %(actual)s of %(required)s")
                % {"actual": values["pv"], "required": _volume(pv_min, language)}
            )
        if cv_min and payload.get("cv", 0) < cv_min:
            missing.append(
                _("CV %(actual)s of %(required)s")
                % {"actual": values["cv"], "required": _volume(cv_min, language)}
            )
        if payload.get("status") not in (None, "active"):
            out.lines.append(_("Your account is not active, so you are not active this period."))
        elif missing:
            out.lines.append(
                _("You are not active yet this period: %(missing)s.")
                % {"missing": ", ".join(missing)}
            )
        elif pv_min or cv_min:
            out.lines.append(_("You meet the activity condition of this period."))
        return out
    if intent == "last_payout":
        from downline.core.formatting import format_money

        out.links.append((_("Your earnings"), _url("web:earnings")))
        payout = payload.get("payout")
        if payout:
            out.lines.append(
                _("Your last payout: %(amount)s, %(status)s, on %(date)s.")
                % {
                    "amount": format_money(payout["amount"], payout["currency"], locale=language),
                    "status": _payout_status(payout["status"]),
                    "date": _when(payout["at"], language, date_only=True),
                }
            )
        else:
            out.lines.append(_("You have not received a payout yet."))
        statement = payload.get("statement")
        if statement:
            out.lines.append(
                _("Your last statement, period %(period)s, credited %(amount)s.")
                % {
                    "period": statement["period"],
                    "amount": format_money(
                        statement["earned"],
                        statement["currency"],
                        places=statement["minor_digits"],
                        locale=language,
                    ),
                }
            )
            out.links.append(
                (_("Statement %(period)s") % statement, _url("web:statement", statement["period"]))
            )
        return out
    return out


def _payout_status(status: str) -> str:
    return {
        "pending": _("pending"),
        "paid": _("paid"),
        "failed": _("failed"),
        "cancelled": _("cancelled"),
    }.get(status, status)


def _when(text: str | None, language: str, date_only: bool = False) -> str:
    from datetime import datetime

    from downline.core.formatting import format_date, format_datetime

    if not text:
        return ""
    moment = datetime.fromisoformat(text)
    if date_only:
        return format_date(moment, locale=language)
    return format_datetime(moment, locale=language)


def _render_not_paid(payload: dict, language: str, out: Rendered) -> Rendered:
    from downline.compensation.labels import bonus_label
    from downline.compensation.models import RunResult
    from downline.compensation.selectors import trace_of
    from downline.core.formatting import format_money

    period = payload.get("period", "")
    order = payload.get("order")
    # a dispute of the named order, else of one of the period's lines (chosen on that page)
    if order:
        dispute = _url("support:dispute_new", query=f"order={order}")
    else:
        dispute = _url("support:dispute_lines", query=f"period={period}" if period else "")
    if payload.get("missing_data") == "no_final_run" and not order:
        out.lines.append(
            _(
                "No period has been closed with a final run for you yet, so no bonus has been"
                " decided. Your dashboard shows the projection of the open period."
            )
        )
        out.links.append((_("Your dashboard"), _url("web:dashboard")))
        return out
    if order and payload.get("order_period_open"):
        out.lines.append(
            _(
                "Order %(order)s (%(buyer)s) belongs to period %(period)s, which has not been"
                " closed yet: its commissions are decided by the period's final run."
            )
            % {"order": order, "buyer": payload.get("buyer", ""), "period": period}
        )
        out.links.append((_("Your dashboard"), _url("web:dashboard")))
        return out
    if order:
        lines = payload.get("lines", [])
        if lines:
            for line in lines:
                out.lines.append(
                    _(
                        "On order %(order)s (%(buyer)s) you were paid %(amount)s %(bonus)s"
                        " (level %(level)d) in period %(period)s."
                    )
                    % {
                        "order": order,
                        "buyer": payload.get("buyer", ""),
                        "amount": format_money(
                            line["amount"],
                            payload.get("currency", "EUR"),
                            places=payload.get("minor_digits"),
                            locale=language,
                        ),
                        "bonus": bonus_label(None, line["bonus"], language),
                        "level": line["level"],
                        "period": period,
                    }
                )
        else:
            out.lines.append(
                _(
                    "Order %(order)s (%(buyer)s) paid you nothing in period %(period)s. What"
                    " the period's final run recorded for you:"
                )
                % {"order": order, "buyer": payload.get("buyer", ""), "period": period}
            )
    result = RunResult.objects.filter(pk=payload.get("result")).first()
    reasons: list[str] = []
    if result is not None:
        with translation.override(language):
            trace = trace_of(result)
        reasons = list(trace.get("messages", []))
        for condition in (trace.get("activity") or {}).get("conditions", []):
            if not condition.get("pass"):
                out.lines.append(
                    _("Activity in %(period)s: %(name)s %(actual)s of %(required)s.")
                    % {
                        "period": period,
                        "name": condition["name"].upper(),
                        "actual": _number(condition["actual"], language),
                        "required": _number(condition["required"], language),
                    }
                )
    if not order:
        if reasons:
            out.lines.append(
                _("What the final run of period %(period)s did not pay you, and why:")
                % {"period": period}
            )
        else:
            out.lines.append(
                _(
                    "The final run of period %(period)s recorded no bonus that was withheld from"
                    " you: every line you qualified for was paid."
                )
                % {"period": period}
            )
    if not (order and payload.get("lines")):
        out.lines.extend(f"• {reason}" for reason in reasons)
    out.links.append(
        (_("Statement %(period)s") % {"period": period}, _url("web:statement", period))
    )
    if dispute:
        out.offer_dispute = dispute
        out.links.append((_("Open a dispute"), dispute))
    return out
