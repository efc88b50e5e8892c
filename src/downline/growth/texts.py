"""Words for the growth app's stored keys, rendered when read in the reader's language
(DESIGN rule 12): radar reasons, notification kinds, and the company's message templates.

The message templates are the company's content in four languages (data, not interface
strings): a distributor picks one on a radar item, may edit it, and the text then passes the
claim scanner before it is sent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date

from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from downline.compensation.labels import rank_label
from downline.compensation.models import PlanVersion
from downline.core.formatting import format_date, format_money, format_volume

from . import radar


def _day(text: str) -> str:
    try:
        return format_date(date.fromisoformat(text))
    except (TypeError, ValueError):
        return str(text)


def _rank(params: dict, key: str, versions: Mapping[int, PlanVersion] | None = None) -> str:
    """The rank ``params[key]`` named as the item's plan version names it; ``versions``: the
    versions read for a whole list of items (else this one is read)."""
    pk = params.get("version")
    if versions is not None and pk in versions:
        version = versions[pk]
    else:
        version = PlanVersion.objects.filter(pk=pk).first()
    return rank_label(version, params.get(key, ""))


def plan_versions(params: Iterable[dict]) -> dict[int, PlanVersion]:
    """The plan versions the items' ``params`` name, read in one query (for ``reason_text``)."""
    pks = {p.get("version") for p in params if p and isinstance(p.get("version"), int)}
    return PlanVersion.objects.in_bulk(pks) if pks else {}


CONDITION_UNITS = {"pv": "PV", "gv": "GV", "qualifying_volume": ""}


def reason_text(
    reason: str,
    params: dict,
    names: Mapping[str, str] | None = None,
    versions: Mapping[int, PlanVersion] | None = None,
) -> str:
    """One radar item's reason with its exact figures, in the active language; ``names``:
    member id → name of the legs a close-to-rank item names (``leg_member_ids``);
    ``versions``: the plan versions of a list of items (``plan_versions``)."""
    p = params or {}
    if reason == radar.NEWCOMER_NO_ORDER:
        return _("Day %(n)s since joining and no first order yet.") % {"n": p.get("day_n")}
    if reason == radar.NEWCOMER_NO_LESSON:
        return _("Day %(n)s since joining and no lesson completed yet.") % {"n": p.get("day_n")}
    if reason == radar.INACTIVE:
        parts = []
        if p.get("pv_missing"):
            parts.append(format_volume(p["pv_missing"], "PV"))
        if p.get("cv_missing"):
            parts.append(format_volume(p["cv_missing"], "CV"))
        days = p.get("days_left", 0)
        return ngettext(
            "Not active yet: %(days)s day left in the period, %(missing)s missing.",
            "Not active yet: %(days)s days left in the period, %(missing)s missing.",
            days,
        ) % {"days": days, "missing": ", ".join(parts) or "0"}
    if reason == radar.CLOSE_TO_RANK:
        if p.get("conditions") is not None:
            return close_to_rank_text(p, names or {}, versions)
        labels = {
            "pv": _("PV"),
            "gv": _("GV"),
            "qualifying_volume": _("counted volume"),
        }
        missing = ", ".join(
            f"{format_volume(v, '')} {labels.get(k, k)}" for k, v in p.get("missing", {}).items()
        )
        return _("Close to %(rank)s: %(missing)s missing.") % {
            "rank": _rank(p, "rank", versions),
            "missing": missing,
        }
    if reason == radar.RANK_DROPPED:
        return _("Paid as %(to)s in %(period)s, down from %(from)s.") % {
            "to": _rank(p, "to_rank", versions),
            "from": _rank(p, "from_rank", versions),
            "period": p.get("period", ""),
        }
    if reason == radar.AUTOSHIP_FAILED:
        return ngettext(
            "The autoship order due on %(day)s failed (%(n)s attempt).",
            "The autoship order due on %(day)s failed (%(n)s attempts).",
            p.get("attempts", 1),
        ) % {"day": _day(p.get("due_on", "")), "n": p.get("attempts", 1)}
    if reason == radar.CERTIFICATE_EXPIRING:
        return _("Certificate %(key)s expires on %(day)s (in %(n)s days).") % {
            "key": p.get("certificate", ""),
            "day": _day(p.get("expires_on", "")),
            "n": p.get("days_left", 0),
        }
    return reason


def leg_member_ids(params: dict) -> set[str]:
    """The member ids of the legs a close-to-rank item's ``params`` name."""
    return {
        leg["member"]
        for condition in (params or {}).get("conditions") or ()
        for leg in condition.get("legs") or ()
    }


def close_to_rank_text(
    p: dict, names: Mapping[str, str], versions: Mapping[int, PlanVersion] | None = None
) -> str:
    """Every condition of the next rank the member misses, required and actual (the same
    sentences as their own trace, about them instead of to them), and for the counted volume
    the legs below the per-leg cap: "leg of Anna: 1,200 of the 2,000 one leg can count"."""
    rank = _rank(p, "rank", versions)
    version = p.get("version")
    sentences: list[str] = []
    for c in p.get("conditions") or ():
        name, required, actual = c.get("name"), c.get("required", 0), c.get("actual", 0)
        values = {"rank": rank, "required": required, "actual": actual}
        if name in ("pv", "gv"):
            values.update(
                name=name.upper(),
                required=format_volume(required, ""),
                actual=format_volume(actual, ""),
            )
            sentences.append(
                _("%(name)s %(actual)s of the %(required)s needed for %(rank)s") % values
            )
        elif name == "qualifying_volume":
            values.update(required=format_volume(required, ""), actual=format_volume(actual, ""))
            sentences.append(
                _("counted volume %(actual)s of the %(required)s needed for %(rank)s") % values
            )
            for leg in c.get("legs") or ():
                sentences.append(
                    _("leg of %(name)s: %(volume)s of the %(cap)s one leg can count")
                    % {
                        "name": names.get(leg["member"]) or leg["member"],
                        "volume": format_volume(leg["gv"], ""),
                        "cap": format_volume(c.get("cap", 0), ""),
                    }
                )
        elif name == "legs":
            values["leg_rank"] = _rank(
                {"version": version, "rank": c.get("leg_rank", "")}, "rank", versions
            )
            sentences.append(
                _(
                    "%(actual)d of the %(required)d legs holding %(leg_rank)s or higher needed for %(rank)s"
                )
                % values
            )
        elif name == "personally_enrolled":
            sentences.append(
                _(
                    "%(actual)d of the %(required)d personally enrolled distributors needed for %(rank)s"
                )
                % values
            )
        elif name == "personally_enrolled_active":
            sentences.append(
                _(
                    "%(actual)d of the %(required)d active personally enrolled distributors needed for %(rank)s"
                )
                % values
            )
        elif name == "customers":
            sentences.append(
                _("%(actual)d of the %(required)d buying retail customers needed for %(rank)s")
                % values
            )
        elif name == "certificate":
            sentences.append(
                _("%(certificate)s certificate missing for %(rank)s")
                % {"certificate": c.get("key", ""), "rank": rank}
            )
        elif name == "active":
            sentences.append(_("not active, as %(rank)s requires") % {"rank": rank})
    return capfirst("; ".join(sentences)) + "."


def reason_title(reason: str) -> str:
    return {
        radar.NEWCOMER_NO_ORDER: _("Newcomer without a first order"),
        radar.NEWCOMER_NO_LESSON: _("Newcomer without a first lesson"),
        radar.INACTIVE: _("Not active yet"),
        radar.CLOSE_TO_RANK: _("Close to the next rank"),
        radar.RANK_DROPPED: _("Paid rank dropped"),
        radar.AUTOSHIP_FAILED: _("Autoship failed"),
        radar.CERTIFICATE_EXPIRING: _("Certificate expiring"),
    }.get(reason, reason)


# --------------------------------------------------------------------------- notifications

KIND_LABELS = {
    "new_recruit": lambda: _("New recruit"),
    "first_order": lambda: _("A recruit's first order"),
    "rank_reached": lambda: _("Rank reached"),
    "commission_posted": lambda: _("Commission posted"),
    "payout_sent": lambda: _("Payout sent"),
    "clawback": lambda: _("Clawback"),
    "radar_digest": lambda: _("People who need you today"),
    "contest_position": lambda: _("Contest result"),
    "certificate_expiring": lambda: _("Certificate expiring"),
    "certificate_earned": lambda: _("Certificate earned"),
    "ticket_answered": lambda: _("Ticket answered"),
    "message": lambda: _("Message from your team"),
    "mentor_assigned": lambda: _("Mentor assigned"),
    "sponsor_changed": lambda: _("Sponsor changed"),
}


def kind_label(kind: str) -> str:
    label = KIND_LABELS.get(kind)
    return label() if label else kind


def notification_text(kind: str, params: dict) -> str:
    """A notification's sentence with its figures, in the active language."""
    p = params or {}
    if kind == "new_recruit":
        return _("%(name)s joined your team.") % {"name": p.get("name") or p.get("member", "")}
    if kind == "first_order":
        return _("%(name)s placed their first order (%(pv)s).") % {
            "name": p.get("name") or p.get("member", ""),
            "pv": format_volume(p.get("pv", 0), "PV"),
        }
    if kind == "rank_reached":
        return _("You reached %(rank)s in %(period)s.") % {
            "rank": _rank({"version": p.get("version"), "rank": p.get("rank")}, "rank"),
            "period": p.get("period", ""),
        }
    if kind == "commission_posted":
        return _("Your commissions of %(period)s are posted: %(amount)s.") % {
            "period": p.get("period", ""),
            "amount": format_money(p.get("amount", 0), p.get("currency", "EUR")),
        }
    if kind == "payout_sent":
        return _("A payout of %(amount)s was sent to you.") % {
            "amount": format_money(p.get("amount", 0), p.get("currency", "EUR"))
        }
    if kind == "clawback":
        return _("A return took back %(amount)s of your commissions.") % {
            "amount": format_money(abs(p.get("amount", 0)), p.get("currency", "EUR"))
        }
    if kind == "radar_digest":
        n = p.get("count", 0)
        return ngettext(
            "%(n)s person in your team needs you today.",
            "%(n)s people in your team need you today.",
            n,
        ) % {"n": n}
    if kind == "contest_position":
        return _("Contest %(contest)s finished: you placed #%(position)s.") % {
            "contest": p.get("contest", ""),
            "position": p.get("position", "–"),
        }
    if kind == "certificate_expiring":
        return _("Your certificate %(key)s expires on %(day)s.") % {
            "key": p.get("certificate", ""),
            "day": _day(p.get("expires_on", "")),
        }
    if kind == "certificate_earned":
        return _("You earned the certificate %(key)s.") % {"key": p.get("certificate", "")}
    if kind == "ticket_answered":
        return _("Your ticket #%(ticket)s has a new answer.") % {"ticket": p.get("ticket", "")}
    if kind == "message":
        return _("%(name)s wrote to you: %(text)s") % {
            "name": p.get("from_name", ""),
            "text": p.get("text", ""),
        }
    if kind == "mentor_assigned":
        return _("%(name)s is now your mentor.") % {"name": p.get("mentor_name", "")}
    if kind == "sponsor_changed":
        return _("Your sponsor is now %(name)s.") % {"name": p.get("sponsor_name", "")}
    return kind


# --------------------------------------------------------------------------- message templates

# The company's message templates per radar reason, in four languages. {name} is the member's
# first name, {sponsor} the sender's.
MESSAGE_TEMPLATES: dict[str, dict[str, str]] = {
    radar.NEWCOMER_NO_ORDER: {
        "en": "Hi {name}, welcome aboard! Shall we pick your first products together? — {sponsor}",
        "de": "Hallo {name}, willkommen! Sollen wir zusammen deine ersten Produkte aussuchen? — {sponsor}",
        "pl": "Cześć {name}, witaj! Wybierzemy razem Twoje pierwsze produkty? — {sponsor}",
        "ru": "Привет, {name}! Добро пожаловать! Давай вместе выберем твои первые продукты? — {sponsor}",
    },
    radar.NEWCOMER_NO_LESSON: {
        "en": "Hi {name}, the first academy lesson takes ten minutes. Want to start it today? — {sponsor}",
        "de": "Hallo {name}, die erste Lektion der Akademie dauert zehn Minuten. Heute starten? — {sponsor}",
        "pl": "Cześć {name}, pierwsza lekcja w akademii trwa dziesięć minut. Zaczniesz dziś? — {sponsor}",
        "ru": "Привет, {name}! Первый урок академии занимает десять минут. Начнёшь сегодня? — {sponsor}",
    },
    radar.INACTIVE: {
        "en": "Hi {name}, the period ends soon. Can I help you with your order? — {sponsor}",
        "de": "Hallo {name}, der Zeitraum endet bald. Kann ich dir bei deiner Bestellung helfen? — {sponsor}",
        "pl": "Cześć {name}, okres wkrótce się kończy. Pomóc Ci przy zamówieniu? — {sponsor}",
        "ru": "Привет, {name}! Период скоро заканчивается. Помочь тебе с заказом? — {sponsor}",
    },
    radar.CLOSE_TO_RANK: {
        "en": "Hi {name}, you are close to your next rank. Shall we plan the next steps together? — {sponsor}",
        "de": "Hallo {name}, du bist nah am nächsten Rang. Planen wir die nächsten Schritte zusammen? — {sponsor}",
        "pl": "Cześć {name}, jesteś blisko kolejnej rangi. Zaplanujemy razem kolejne kroki? — {sponsor}",
        "ru": "Привет, {name}! Ты близко к следующему рангу. Давай вместе спланируем шаги? — {sponsor}",
    },
    radar.RANK_DROPPED: {
        "en": "Hi {name}, let's have a short call about how your month went. — {sponsor}",
        "de": "Hallo {name}, lass uns kurz telefonieren, wie dein Monat lief. — {sponsor}",
        "pl": "Cześć {name}, porozmawiajmy krótko, jak minął Twój miesiąc. — {sponsor}",
        "ru": "Привет, {name}! Давай коротко созвонимся и обсудим твой месяц. — {sponsor}",
    },
    radar.AUTOSHIP_FAILED: {
        "en": "Hi {name}, your autoship order did not go through. Shall I help you check it? — {sponsor}",
        "de": "Hallo {name}, deine Abo-Bestellung ist nicht durchgegangen. Soll ich helfen? — {sponsor}",
        "pl": "Cześć {name}, Twoje zamówienie automatyczne nie przeszło. Pomóc Ci to sprawdzić? — {sponsor}",
        "ru": "Привет, {name}! Твой автозаказ не прошёл. Помочь разобраться? — {sponsor}",
    },
    radar.CERTIFICATE_EXPIRING: {
        "en": "Hi {name}, your certificate expires soon; the refresher lesson is short. — {sponsor}",
        "de": "Hallo {name}, dein Zertifikat läuft bald ab; die Auffrischung ist kurz. — {sponsor}",
        "pl": "Cześć {name}, Twój certyfikat wkrótce wygasa; lekcja odświeżająca jest krótka. — {sponsor}",
        "ru": "Привет, {name}! Твой сертификат скоро истекает; повторный урок короткий. — {sponsor}",
    },
}


def message_template(reason: str, language: str, *, name: str, sponsor: str) -> str:
    texts = MESSAGE_TEMPLATES.get(reason, MESSAGE_TEMPLATES[radar.NEWCOMER_NO_ORDER])
    text = texts.get(language) or texts["en"]
    return text.format(name=name, sponsor=sponsor)
