"""Reads of the support app: knowledge base, tickets, SLA and dispute figures."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Q, QuerySet
from django.urls import reverse

from downline.genealogy.models import Distributor

from . import sla
from .kb import ensure_content
from .models import Article, ArticleText, ArticleVote, CannedAnswer, Dispute, Ticket
from .search import search_texts

LANGUAGES = ("en", "ru", "pl", "de")
DEFLECTION_WINDOW = timedelta(days=7)


@dataclass(frozen=True)
class Doc:
    """One document for the assistant: ``text`` is Markdown, ``url`` the article's page."""

    key: str
    title: str
    text: str
    url: str
    language: str


def _language(language: str | None) -> str:
    code = (language or "en").lower().split("-")[0]
    return code if code in LANGUAGES else "en"


def article_text(article: Article, language: str) -> ArticleText | None:
    """The article in ``language``, else English, else any language it has."""
    texts = {text.language: text for text in article.texts.all()}
    return texts.get(_language(language)) or texts.get("en") or next(iter(texts.values()), None)


def published_articles() -> QuerySet[Article]:
    return Article.objects.filter(status=Article.Status.PUBLISHED).prefetch_related("texts")


def kb_documents(language: str) -> list[Doc]:
    """Every published article (hand-written and generated from the active plan) in
    ``language`` (falling back to English), for the assistant."""
    ensure_content()
    docs = []
    for article in published_articles():
        text = article_text(article, language)
        if text is None:
            continue
        docs.append(
            Doc(
                key=f"kb:{article.key}",
                title=text.title,
                text=text.body,
                url=reverse("support:article", args=[article.key]),
                language=text.language,
            )
        )
    return docs


def search(query: str, language: str, limit: int = 8) -> list[tuple[Article, ArticleText]]:
    """Articles matching ``query`` in ``language`` (stemmed), best first; English texts are
    searched too when the language finds nothing."""
    language = _language(language)
    texts = search_texts(query, language, limit=limit)
    if not texts and language != "en":
        texts = search_texts(query, "en", limit=limit)
    return [(text.article, text) for text in texts]


def articles_by_category(language: str) -> dict[str, list[tuple[Article, ArticleText]]]:
    out: dict[str, list] = defaultdict(list)
    for article in published_articles():
        text = article_text(article, language)
        if text is not None:
            out[article.category].append((article, text))
    return dict(out)


def related_of(article: Article, language: str) -> list[tuple[Article, ArticleText]]:
    out = []
    for other in article.related.filter(status=Article.Status.PUBLISHED).prefetch_related("texts"):
        text = article_text(other, language)
        if text is not None:
            out.append((other, text))
    return out


def votes_of(article: Article) -> tuple[int, int]:
    counts = article.votes.aggregate(
        yes=Count("id", filter=Q(helpful=True)), no=Count("id", filter=Q(helpful=False))
    )
    return counts["yes"], counts["no"]


def tickets_of(member: Distributor) -> QuerySet[Ticket]:
    """The member's own tickets (never anyone else's)."""
    return Ticket.objects.filter(member=member).order_by("-created_at", "-id")


def public_messages(ticket: Ticket):
    return ticket.messages.filter(kind="public").prefetch_related("attachments")


def queue(
    *, status: str = "active", group: str = "", assignee=None, priority: str = ""
) -> QuerySet[Ticket]:
    tickets = Ticket.objects.select_related("member", "assignee")
    if status == "active":
        tickets = tickets.filter(
            status__in=[Ticket.Status.NEW, Ticket.Status.OPEN, Ticket.Status.WAITING]
        )
    elif status:
        tickets = tickets.filter(status=status)
    if group:
        tickets = tickets.filter(assignee_group=group)
    if assignee is not None:
        tickets = tickets.filter(assignee=assignee)
    if priority:
        tickets = tickets.filter(priority=priority)
    return tickets.order_by("resolution_due", "id")


def canned_answers(language: str) -> list[CannedAnswer]:
    ensure_content()
    language = _language(language)
    answers = {a.key: a for a in CannedAnswer.objects.filter(language="en")}
    answers.update({a.key: a for a in CannedAnswer.objects.filter(language=language)})
    return [answers[key] for key in sorted(answers)]


@dataclass
class SlaFigures:
    tickets: int
    answered: int
    resolved: int
    first_response_median: int | None  # business seconds
    resolution_median: int | None
    first_response_breaches: int
    resolution_breaches: int
    helpful_votes: int
    deflected: int  # helpful votes not followed by a ticket of that member within the window

    @property
    def deflection_rate(self) -> int | None:
        """Per mille of helpful votes that no ticket followed."""
        return None if not self.helpful_votes else self.deflected * 1000 // self.helpful_votes


def _median(values: list[int]) -> int | None:
    if not values:
        return None
    values = sorted(values)
    return values[len(values) // 2]


def sla_figures(since: datetime, until: datetime) -> SlaFigures:
    tickets = list(Ticket.objects.filter(created_at__gte=since, created_at__lt=until))
    calendar = sla.company_calendar()
    first = [s for t in tickets if (s := sla.first_response_seconds(t, calendar)) is not None]
    resolution = [s for t in tickets if (s := sla.resolution_seconds(t, calendar)) is not None]
    votes = list(ArticleVote.objects.filter(helpful=True, voted_at__gte=since, voted_at__lt=until))
    opened: dict[int, list[datetime]] = defaultdict(list)
    for member_id, created in Ticket.objects.filter(
        member_id__in={v.member_id for v in votes}, created_at__gte=since
    ).values_list("member_id", "created_at"):
        opened[member_id].append(created)
    deflected = sum(
        1
        for vote in votes
        if not any(
            vote.voted_at <= at <= vote.voted_at + DEFLECTION_WINDOW
            for at in opened[vote.member_id]
        )
    )
    return SlaFigures(
        tickets=len(tickets),
        answered=len(first),
        resolved=len(resolution),
        first_response_median=_median(first),
        resolution_median=_median(resolution),
        first_response_breaches=sum(1 for t in tickets if t.first_response_breached),
        resolution_breaches=sum(1 for t in tickets if t.resolution_breached),
        helpful_votes=len(votes),
        deflected=deflected,
    )


def disputes_of(member: Distributor) -> QuerySet[Dispute]:
    return Dispute.objects.filter(member=member).select_related("period", "order")


def dispute_figures() -> dict:
    """Disputes per period and per cause (bonus, condition key), with their outcome."""
    per_period: dict[str, Counter] = defaultdict(Counter)
    per_cause: dict[str, Counter] = defaultdict(Counter)
    for period, cause, bonus, status in Dispute.objects.values_list(
        "period__code", "cause", "bonus", "status"
    ):
        per_period[period][status] += 1
        per_period[period]["total"] += 1
        key = cause or bonus or "unknown"
        per_cause[key][status] += 1
        per_cause[key]["total"] += 1
    return {
        "periods": sorted(per_period.items(), reverse=True),
        "causes": sorted(per_cause.items(), key=lambda item: -item[1]["total"]),
    }


def statement_line_ids(run, member: Distributor) -> list[int]:
    """The dispute ids of ``member``'s lines in final ``run``, in the engine's order (the order
    of ``compensation.selectors.run_lines``): the statement links line ``i`` to
    ``support:dispute_new?line=<ids[i]>``."""
    from .evidence import lines_of

    return [identifier for identifier, _line in lines_of(member, run)]


def closed_runs_of(member: Distributor):
    """Final runs in which ``member`` has lines, newest first (the dispute picker)."""
    from downline.compensation.models import LineBlock, Run

    runs = LineBlock.objects.filter(recipient=member).values_list("run_id", flat=True)
    return (
        Run.objects.filter(pk__in=runs, kind=Run.Kind.FINAL)
        .select_related("period")
        .order_by("-period__starts_at")
    )
