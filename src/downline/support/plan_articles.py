"""Knowledge-base articles generated from the active plan version, in en, ru, pl and de.

Three articles (category ``plan``, source ``plan``): ``plan-overview`` (currency, network,
activity rules, caps), ``plan-ranks`` (every rank with its conditions and figures) and
``plan-bonuses`` (every bonus with its rates, levels and requirements). Rank and bonus names
come from the plan's labels in each language (``compensation.labels``); the sentences around
the figures are the phrase tables below (content data, one table per language).

When the plan changes they change: :func:`sync_plan_articles` compares a marker (active version
id, its text digest and ``REVISION``) with the one stored in ``ContentState`` ("plan") and renders
again when it differs (raising each article's ``version``). It runs from the daily task
``support.tasks.refresh_plan_articles``, from ``kb_documents`` and the knowledge-base pages (one
indexed read when nothing changed). Plan activation writes no outbox event, so reading the
active version is how support learns of it; compensation is not edited.
"""

from __future__ import annotations

from fractions import Fraction

from django.db import transaction

from downline.compensation.labels import active_plan_version, bonus_label, rank_label
from downline.compensation.models import PlanVersion
from downline.compensation.plans import loaded_plan
from downline.engine.plan.values import format_percent, format_volume

from .search import token_field

REVISION = "3"
LANGUAGES = ("en", "ru", "pl", "de")
KEYS = ("plan-overview", "plan-ranks", "plan-bonuses")

P: dict[str, dict[str, str]] = {
    "en": {
        "overview.title": "Plan: overview ({plan})",
        "ranks.title": "Plan: ranks",
        "bonuses.title": "Plan: bonuses",
        "currency": "Commissions are paid in {currency}.",
        "network": "Placement tree: {placement}. Group volume is counted over the {tree} tree.",
        "customers.yes": "Your retail customers' orders count as your volume.",
        "customers.no": "Retail customers' orders do not count as your volume.",
        "activity": "To be active in a period you need: {rules}.",
        "activity.none": "Every eligible distributor is active; there is no minimum volume.",
        "activity.why": "Only active distributors receive bonuses that require activity.",
        "grace": "A rank is kept for {n} period(s) of grace when its conditions are missed.",
        "cap": "{bonuses} together are capped at {amount} {currency} per period.",
        "ranks.intro": "Ranks from the lowest to the highest; every listed condition must hold.",
        "rank.first": "the starting rank, no conditions",
        "bonuses.intro": "Every bonus of the plan with its figures.",
        "pv": "personal volume (PV) at least {v}",
        "gv": "group volume (GV) at least {v}",
        "qv": "qualifying volume at least {v} (each leg counted up to {cap})",
        "legs": "{n} legs with {rank} or higher",
        "pe": "{n} personally enrolled members",
        "pea": "{n} personally enrolled active members",
        "cust": "{n} retail customers buying in the period",
        "active": "be active",
        "cert": "hold the certificate(s) {keys}",
        "cv_at_least": "commissionable volume (CV) at least {v}",
        "personal": "{rate} of your own {volume}.",
        "unilevel": "Per level of the {tree} tree on {volume}: {levels}.",
        "matrix": "Per level of the matrix on {volume}: {levels}.",
        "fast_start": "On new members' {volume} in their first {days} days, per level: {levels}.",
        "binary": "On the weaker leg's {volume}: {rate}.",
        "binary.cycles": "Per cycle of {left} left and {right} right: {pays} {currency}.",
        "stairstep": "By personal group volume: {brackets}; breakaway at {v}.",
        "generation": "Per generation of {rank} on {volume}: {levels}.",
        "matching": "Of {of} earned by your team, per generation: {levels}.",
        "rank_advancement": "Paid once when you first reach a rank: {amounts}.",
        "pool": "{share} of the company's {of}, shared by: {shares}.",
        "requires": "Requires: {rules}.",
        "share": "customer share at least {v}",
        "customers_at_least": "at least {n} retail customers",
        "level": "level {n}: {rate}",
        "shares": "{rank}: {n} share(s)",
        "other": "{name}: {value}",
    },
    "ru": {
        "overview.title": "План: обзор ({plan})",
        "ranks.title": "План: ранги",
        "bonuses.title": "План: бонусы",
        "currency": "Комиссии выплачиваются в {currency}.",
        "network": "Дерево размещения: {placement}. Групповой объём считается по дереву {tree}.",
        "customers.yes": "Заказы ваших розничных клиентов засчитываются в ваш объём.",
        "customers.no": "Заказы розничных клиентов не засчитываются в ваш объём.",
        "activity": "Чтобы быть активным в периоде, нужно: {rules}.",
        "activity.none": "Каждый допущенный дистрибьютор активен; минимального объёма нет.",
        "activity.why": "Бонусы, требующие активности, получают только активные дистрибьюторы.",
        "grace": "Ранг сохраняется {n} льготный(х) период(а), если условия не выполнены.",
        "cap": "{bonuses} вместе ограничены суммой {amount} {currency} за период.",
        "ranks.intro": "Ранги от низшего к высшему; должны выполняться все условия.",
        "rank.first": "начальный ранг, без условий",
        "bonuses.intro": "Все бонусы плана с их цифрами.",
        "pv": "личный объём (PV) не менее {v}",
        "gv": "групповой объём (GV) не менее {v}",
        "qv": "квалификационный объём не менее {v} (каждая ветка не более {cap})",
        "legs": "{n} веток с рангом {rank} или выше",
        "pe": "{n} лично приглашённых участников",
        "pea": "{n} лично приглашённых активных участников",
        "cust": "{n} розничных клиентов с покупками в периоде",
        "active": "быть активным",
        "cert": "иметь сертификат(ы) {keys}",
        "cv_at_least": "комиссионный объём (CV) не менее {v}",
        "personal": "{rate} от вашего собственного {volume}.",
        "unilevel": "По уровням дерева {tree} от {volume}: {levels}.",
        "matrix": "По уровням матрицы от {volume}: {levels}.",
        "fast_start": "От {volume} новых участников в первые {days} дней, по уровням: {levels}.",
        "binary": "От {volume} слабой ветки: {rate}.",
        "binary.cycles": "За цикл {left} слева и {right} справа: {pays} {currency}.",
        "stairstep": "По личному групповому объёму: {brackets}; отрыв при {v}.",
        "generation": "По поколениям ранга {rank} от {volume}: {levels}.",
        "matching": "От {of}, заработанного вашей командой, по поколениям: {levels}.",
        "rank_advancement": "Выплачивается один раз при первом достижении ранга: {amounts}.",
        "pool": "{share} от {of} компании, делится между: {shares}.",
        "requires": "Условия: {rules}.",
        "share": "доля клиентов не менее {v}",
        "customers_at_least": "не менее {n} розничных клиентов",
        "level": "уровень {n}: {rate}",
        "shares": "{rank}: {n} доля(и)",
        "other": "{name}: {value}",
    },
    "pl": {
        "overview.title": "Plan: przegląd ({plan})",
        "ranks.title": "Plan: rangi",
        "bonuses.title": "Plan: premie",
        "currency": "Prowizje są wypłacane w {currency}.",
        "network": "Drzewo umieszczenia: {placement}. Wolumen grupowy liczony jest w drzewie {tree}.",
        "customers.yes": "Zamówienia Twoich klientów detalicznych liczą się do Twojego wolumenu.",
        "customers.no": "Zamówienia klientów detalicznych nie liczą się do Twojego wolumenu.",
        "activity": "Aby być aktywnym w okresie, potrzebujesz: {rules}.",
        "activity.none": "Każdy uprawniony dystrybutor jest aktywny; nie ma minimalnego wolumenu.",
        "activity.why": "Premie wymagające aktywności otrzymują tylko aktywni dystrybutorzy.",
        "grace": "Ranga jest zachowana przez {n} okres(y) karencji, gdy warunki nie są spełnione.",
        "cap": "{bonuses} razem są ograniczone do {amount} {currency} na okres.",
        "ranks.intro": "Rangi od najniższej do najwyższej; każdy warunek musi być spełniony.",
        "rank.first": "ranga początkowa, bez warunków",
        "bonuses.intro": "Każda premia planu z jej liczbami.",
        "pv": "wolumen osobisty (PV) co najmniej {v}",
        "gv": "wolumen grupowy (GV) co najmniej {v}",
        "qv": "wolumen kwalifikacyjny co najmniej {v} (każda noga liczona do {cap})",
        "legs": "{n} nóg z rangą {rank} lub wyższą",
        "pe": "{n} osobiście wprowadzonych członków",
        "pea": "{n} osobiście wprowadzonych aktywnych członków",
        "cust": "{n} klientów detalicznych kupujących w okresie",
        "active": "być aktywnym",
        "cert": "posiadać certyfikat(y) {keys}",
        "cv_at_least": "wolumen prowizyjny (CV) co najmniej {v}",
        "personal": "{rate} od Twojego własnego {volume}.",
        "unilevel": "Na poziom drzewa {tree} od {volume}: {levels}.",
        "matrix": "Na poziom matrycy od {volume}: {levels}.",
        "fast_start": "Od {volume} nowych członków w ich pierwszych {days} dniach, na poziom: {levels}.",
        "binary": "Od {volume} słabszej nogi: {rate}.",
        "binary.cycles": "Za cykl {left} z lewej i {right} z prawej: {pays} {currency}.",
        "stairstep": "Według osobistego wolumenu grupowego: {brackets}; oderwanie przy {v}.",
        "generation": "Na pokolenie rangi {rank} od {volume}: {levels}.",
        "matching": "Od {of} zarobionej przez Twój zespół, na pokolenie: {levels}.",
        "rank_advancement": "Wypłacana raz, gdy po raz pierwszy osiągniesz rangę: {amounts}.",
        "pool": "{share} z {of} firmy, dzielone między: {shares}.",
        "requires": "Wymaga: {rules}.",
        "share": "udział klientów co najmniej {v}",
        "customers_at_least": "co najmniej {n} klientów detalicznych",
        "level": "poziom {n}: {rate}",
        "shares": "{rank}: {n} udział(y)",
        "other": "{name}: {value}",
    },
    "de": {
        "overview.title": "Plan: Überblick ({plan})",
        "ranks.title": "Plan: Ränge",
        "bonuses.title": "Plan: Boni",
        "currency": "Provisionen werden in {currency} bezahlt.",
        "network": "Platzierungsbaum: {placement}. Gruppenvolumen wird im {tree}-Baum gezählt.",
        "customers.yes": "Bestellungen Ihrer Endkunden zählen als Ihr Volumen.",
        "customers.no": "Bestellungen von Endkunden zählen nicht als Ihr Volumen.",
        "activity": "Um in einer Periode aktiv zu sein, brauchen Sie: {rules}.",
        "activity.none": "Jeder berechtigte Vertriebspartner ist aktiv; es gibt kein Mindestvolumen.",
        "activity.why": "Nur aktive Vertriebspartner erhalten Boni, die Aktivität verlangen.",
        "grace": "Ein Rang wird {n} Schonperiode(n) gehalten, wenn Bedingungen fehlen.",
        "cap": "{bonuses} sind zusammen auf {amount} {currency} pro Periode begrenzt.",
        "ranks.intro": "Ränge vom niedrigsten zum höchsten; jede genannte Bedingung muss gelten.",
        "rank.first": "der Anfangsrang, ohne Bedingungen",
        "bonuses.intro": "Jeder Bonus des Plans mit seinen Zahlen.",
        "pv": "persönliches Volumen (PV) mindestens {v}",
        "gv": "Gruppenvolumen (GV) mindestens {v}",
        "qv": "Qualifikationsvolumen mindestens {v} (jede Linie höchstens {cap})",
        "legs": "{n} Linien mit {rank} oder höher",
        "pe": "{n} persönlich geworbene Mitglieder",
        "pea": "{n} persönlich geworbene aktive Mitglieder",
        "cust": "{n} Endkunden mit Einkauf in der Periode",
        "active": "aktiv sein",
        "cert": "das Zertifikat / die Zertifikate {keys} besitzen",
        "cv_at_least": "provisionsfähiges Volumen (CV) mindestens {v}",
        "personal": "{rate} Ihres eigenen {volume}.",
        "unilevel": "Pro Ebene des {tree}-Baums auf {volume}: {levels}.",
        "matrix": "Pro Ebene der Matrix auf {volume}: {levels}.",
        "fast_start": "Auf {volume} neuer Mitglieder in ihren ersten {days} Tagen, pro Ebene: {levels}.",
        "binary": "Auf {volume} der schwächeren Linie: {rate}.",
        "binary.cycles": "Pro Zyklus von {left} links und {right} rechts: {pays} {currency}.",
        "stairstep": "Nach persönlichem Gruppenvolumen: {brackets}; Breakaway bei {v}.",
        "generation": "Pro Generation von {rank} auf {volume}: {levels}.",
        "matching": "Auf {of} Ihres Teams, pro Generation: {levels}.",
        "rank_advancement": "Einmal bezahlt, wenn Sie einen Rang zum ersten Mal erreichen: {amounts}.",
        "pool": "{share} des {of} des Unternehmens, geteilt von: {shares}.",
        "requires": "Voraussetzung: {rules}.",
        "share": "Kundenanteil mindestens {v}",
        "customers_at_least": "mindestens {n} Endkunden",
        "level": "Ebene {n}: {rate}",
        "shares": "{rank}: {n} Anteil(e)",
        "other": "{name}: {value}",
    },
}

TREES = {
    "en": {"enrollment": "enrollment", "placement": "placement"},
    "ru": {"enrollment": "спонсорскому", "placement": "размещения"},
    "pl": {"enrollment": "wprowadzeń", "placement": "umieszczenia"},
    "de": {"enrollment": "Sponsor", "placement": "Platzierungs"},
}
PLACEMENTS = {
    "en": {"unilevel": "unilevel", "binary": "binary", "matrix": "matrix"},
    "ru": {"unilevel": "одноуровневое", "binary": "бинарное", "matrix": "матрица"},
    "pl": {"unilevel": "jednopoziomowe", "binary": "binarne", "matrix": "matryca"},
    "de": {"unilevel": "Unilevel", "binary": "Binär", "matrix": "Matrix"},
}
VOLUMES = {
    "en": {"pv": "PV", "cv": "CV", "amount": "turnover"},
    "ru": {"pv": "PV", "cv": "CV", "amount": "оборота"},
    "pl": {"pv": "PV", "cv": "CV", "amount": "obrotu"},
    "de": {"pv": "PV", "cv": "CV", "amount": "Umsatz"},
}


def _rate(rate) -> str:
    value = getattr(rate, "value", rate)
    if isinstance(value, Fraction) and value <= 1 and "per unit" not in str(rate):
        return format_percent(value)
    return str(rate)


def _currency(plan) -> str:
    currency = plan.currency
    return currency if isinstance(currency, str) else currency.points


def _rank_conditions(rank, words: dict[str, str], version, language: str) -> list[str]:
    out = []
    if getattr(rank, "active", None):
        out.append(words["active"])
    if getattr(rank, "pv", None) is not None:
        out.append(words["pv"].format(v=format_volume(rank.pv)))
    if getattr(rank, "gv", None) is not None:
        out.append(words["gv"].format(v=format_volume(rank.gv)))
    qv = getattr(rank, "qualifying_volume", None)
    if qv is not None:
        cap = (
            format_volume(qv.max_per_leg) if qv.max_per_leg is not None else _rate(qv.max_leg_share)
        )
        out.append(words["qv"].format(v=format_volume(qv.at_least), cap=cap))
    legs = getattr(rank, "legs", None)
    if legs is not None:
        out.append(
            words["legs"].format(n=legs.count, rank=rank_label(version, legs.rank, language))
        )
    if getattr(rank, "personally_enrolled", None):
        out.append(words["pe"].format(n=rank.personally_enrolled))
    if getattr(rank, "personally_enrolled_active", None):
        out.append(words["pea"].format(n=rank.personally_enrolled_active))
    if getattr(rank, "customers", None):
        out.append(words["cust"].format(n=rank.customers))
    requires = getattr(rank, "requires", None)
    keys = getattr(requires, "certificate", None) if requires is not None else None
    if keys:
        keys = (keys,) if isinstance(keys, str) else tuple(keys)
        out.append(words["cert"].format(keys=", ".join(keys)))
    return out


def _levels(rates, words) -> str:
    return "; ".join(words["level"].format(n=i, rate=_rate(r)) for i, r in enumerate(rates, 1))


def _bonus_text(bonus, plan, version, language: str) -> str:
    words = P[language]
    kind = bonus.kind
    volume = VOLUMES[language].get(getattr(bonus, "volume", "cv"), "CV")
    tree = TREES[language].get(getattr(bonus, "tree", "enrollment"), "")
    currency = _currency(plan)
    if kind == "personal":
        text = words["personal"].format(rate=_rate(bonus.rate), volume=volume)
    elif kind in ("unilevel", "matrix"):
        text = words[kind].format(tree=tree, volume=volume, levels=_levels(bonus.levels, words))
    elif kind == "fast_start":
        text = words["fast_start"].format(
            volume=volume, days=bonus.days, levels=_levels(bonus.levels, words)
        )
    elif kind == "binary":
        parts = []
        if bonus.rate is not None:
            parts.append(words["binary"].format(volume=volume, rate=_rate(bonus.rate)))
        if bonus.cycles is not None:
            parts.append(
                words["binary.cycles"].format(
                    left=format_volume(bonus.cycles.left),
                    right=format_volume(bonus.cycles.right),
                    pays=bonus.cycles.pays,
                    currency=currency,
                )
            )
        text = " ".join(parts)
    elif kind == "stairstep":
        brackets = "; ".join(f"{format_volume(b.pgv)} → {_rate(b.rate)}" for b in bonus.brackets)
        text = words["stairstep"].format(brackets=brackets, v=format_volume(bonus.breakaway_at))
    elif kind == "generation":
        text = words["generation"].format(
            rank=rank_label(version, bonus.rank, language),
            volume=volume,
            levels=_levels(bonus.generations, words),
        )
    elif kind == "matching":
        of = ", ".join(bonus_label(version, name, language) for name in bonus.of)
        text = words["matching"].format(of=of, levels=_levels(bonus.levels, words))
    elif kind == "rank_advancement":
        amounts = "; ".join(
            f"{rank_label(version, name, language)} {amount} {currency}"
            for name, amount in bonus.amounts.items()
        )
        text = words["rank_advancement"].format(amounts=amounts)
    elif kind == "pool":
        shares = "; ".join(
            words["shares"].format(rank=rank_label(version, name, language), n=n)
            for name, n in bonus.shares.items()
        )
        text = words["pool"].format(
            share=_rate(bonus.share), of=VOLUMES[language].get(bonus.of, bonus.of), shares=shares
        )
    else:  # a kind this generator does not know yet: its figures as written
        text = "; ".join(
            words["other"].format(name=name, value=value)
            for name, value in bonus.model_dump(mode="json").items()
            if name not in ("name", "title", "label", "kind", "requires") and value is not None
        )
    requires = getattr(bonus, "requires", None)
    if requires is not None:
        rules = []
        share = getattr(requires, "customer_share_at_least", None)
        if share is not None:
            rules.append(words["share"].format(v=_rate(share)))
        customers = getattr(requires, "customers_at_least", None)
        if customers:
            rules.append(words["customers_at_least"].format(n=customers))
        for name, value in requires.model_dump(mode="json").items():
            if value not in (None, False) and name not in (
                "customer_share_at_least",
                "customers_at_least",
            ):
                rules.append(words["active"] if name == "active" else f"{name}: {value}")
        if rules:
            text += " " + words["requires"].format(rules="; ".join(rules))
    return text


def render(version: PlanVersion, language: str) -> dict[str, tuple[str, str]]:
    """``{key: (title, markdown body)}`` of the plan articles of ``version`` in ``language``."""
    plan = loaded_plan(version).plan
    words = P[language]
    currency = _currency(plan)
    overview = [
        words["currency"].format(currency=currency),
        words["network"].format(
            placement=PLACEMENTS[language].get(plan.network.placement, plan.network.placement),
            tree=TREES[language].get(plan.volumes.group_tree, plan.volumes.group_tree),
        ),
        words["customers.yes" if plan.volumes.include_customers else "customers.no"],
    ]
    rules = []
    if plan.activity is not None:
        if plan.activity.pv_at_least is not None:
            rules.append(words["pv"].format(v=format_volume(plan.activity.pv_at_least)))
        if plan.activity.cv_at_least is not None:
            rules.append(words["cv_at_least"].format(v=format_volume(plan.activity.cv_at_least)))
    overview.append(
        words["activity"].format(rules="; ".join(rules)) if rules else words["activity.none"]
    )
    overview.append(words["activity.why"])
    grace = getattr(plan.rank_rules, "grace_periods", 0)
    if grace:
        overview.append(words["grace"].format(n=grace))
    for cap in plan.caps:
        overview.append(
            words["cap"].format(
                bonuses=", ".join(bonus_label(version, b, language) for b in cap.bonuses),
                amount=cap.max,
                currency=currency,
            )
        )
    if plan.description and language == "en":
        overview.append(plan.description.strip())

    ranks = [words["ranks.intro"], ""]
    for index, rank in enumerate(plan.ranks):
        conditions = _rank_conditions(rank, words, version, language)
        if index == 0 and not conditions:
            conditions = [words["rank.first"]]
        ranks.append(f"- **{rank_label(version, rank.name, language)}**: " + "; ".join(conditions))

    bonuses = [words["bonuses.intro"], ""]
    for bonus in plan.bonuses:
        bonuses.append(
            f"- **{bonus_label(version, bonus.name, language)}**: "
            + _bonus_text(bonus, plan, version, language)
        )
    return {
        "plan-overview": (words["overview.title"].format(plan=plan.name), "\n\n".join(overview)),
        "plan-ranks": (words["ranks.title"], "\n".join(ranks)),
        "plan-bonuses": (words["bonuses.title"], "\n".join(bonuses)),
    }


def _marker(version: PlanVersion | None) -> str:
    if version is None:
        return f"none:{REVISION}"
    return f"{version.pk}:{version.digest[:32]}:{REVISION}"


def sync_plan_articles(*, force: bool = False) -> bool:
    """Render the plan articles again if the active plan version changed; ``True`` if it did.
    Without an active plan the plan articles are archived."""
    from .models import Article, ArticleText, ContentState

    version = active_plan_version()
    marker = _marker(version)
    state = ContentState.objects.filter(name="plan").first()
    if not force and state is not None and state.marker == marker:
        return False
    with transaction.atomic():
        if version is None:
            Article.objects.filter(source=Article.Source.PLAN).update(
                status=Article.Status.ARCHIVED
            )
        else:
            texts = {language: render(version, language) for language in LANGUAGES}
            for position, key in enumerate(KEYS):
                article, created = Article.objects.get_or_create(
                    key=key,
                    defaults={
                        "category": "plan",
                        "source": Article.Source.PLAN,
                        "position": position,
                        "plan_version": version,
                    },
                )
                changed = created
                for language in LANGUAGES:
                    title, body = texts[language][key]
                    row = ArticleText.objects.filter(article=article, language=language).first()
                    if row is None or (row.title, row.body) != (title, body):
                        changed = True
                        ArticleText.objects.update_or_create(
                            article=article,
                            language=language,
                            defaults={
                                "title": title,
                                "body": body,
                                "search_tokens": token_field(title, body, language),
                            },
                        )
                article.status = Article.Status.PUBLISHED
                article.plan_version = version
                if changed and not created:
                    article.version += 1
                article.save()
            by_key = {a.key: a for a in Article.objects.filter(key__in=KEYS)}
            by_key["plan-ranks"].related.add(by_key["plan-bonuses"], by_key["plan-overview"])
            by_key["plan-bonuses"].related.add(by_key["plan-overview"])
            for key, other in (
                ("ranks", "plan-ranks"),
                ("how-commissions-are-computed", "plan-bonuses"),
            ):
                manual = Article.objects.filter(key=key).first()
                if manual is not None:
                    manual.related.add(by_key[other])
        if state is None:
            ContentState.objects.create(name="plan", marker=marker)
        else:
            state.marker = marker
            state.save()
    return True
