"""Reads of the contacts app. Every read starts from the owner: ``contacts_of(owner)``.

A list of 20,000 contacts is searched through the owner-first trigram index of migration
``0002_search`` on PostgreSQL; its count is exact without a search (the stage chips' counts,
read from the index ``contacts_owner_stage`` alone) and capped at ``COUNT_CAP`` with one
(``count_matches``), so a one-letter search does not count the whole list."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import connection
from django.db.models import Count, QuerySet
from django.utils import timezone

from .models import Contact, FollowUpTask
from .search import search_key


def contacts_of(owner) -> QuerySet[Contact]:
    """The owner's contacts, and nobody else's (erased tombstones left out)."""
    return Contact.objects.filter(owner=owner, erased_at__isnull=True)


def contact_of(owner, contact_id) -> Contact | None:
    """The owner's contact ``contact_id`` or ``None`` (another owner's contact is ``None`` too)."""
    try:
        pk = int(contact_id)
    except (TypeError, ValueError):
        return None
    return contacts_of(owner).filter(pk=pk).first()


COUNT_CAP = 1000
LIST_FIELDS = (
    "pk",
    "owner_id",
    "first_name",
    "last_name",
    "email",
    "phone",
    "stage",
    "tags",
    "last_activity_at",
    "erased_at",
)


def search_contacts(owner, *, query: str = "", stage: str = "", tag: str = "") -> QuerySet[Contact]:
    """The owner's contacts matching every word of ``query`` (names, e-mail, phone, tags, in any
    case and with or without diacritics), in ``stage`` and carrying ``tag``; the most recently
    active first."""
    contacts = contacts_of(owner)
    for word in search_key(query).split():
        contacts = contacts.filter(search_text__contains=word)
    if stage:
        contacts = contacts.filter(stage=stage)
    if tag:
        contacts = contacts.filter(tag_text__contains=f"|{search_key(tag)}|")
    return contacts.order_by("-last_activity_at", "-pk")


def list_rows(contacts: QuerySet[Contact]) -> QuerySet[Contact]:
    """Only the columns the list shows (not the search keys, tokens and consent fields)."""
    return contacts.only(*LIST_FIELDS)


def count_matches(contacts: QuerySet[Contact], cap: int = COUNT_CAP) -> int:
    """How many rows ``contacts`` has, counted up to ``cap + 1`` (more than ``cap``: the
    list says so instead of a number)."""
    return contacts.order_by()[: cap + 1].count()


def stage_counts(owner) -> dict[str, int]:
    """The owner's contacts per stage (``COUNT(*)``: read from the index alone)."""
    rows = contacts_of(owner).order_by().values("stage").annotate(n=Count("*"))
    counts = dict.fromkeys(Contact.Stage.values, 0)
    counts.update({row["stage"]: row["n"] for row in rows})
    return counts


def tags_of(owner, limit: int = 200) -> list[str]:
    """The tags on the owner's 1,000 most recently active contacts (read along the index
    ``contacts_owner_activity``, so a list of 20,000 costs no more than one of 1,000); the
    database unpacks the tag arrays and returns each tag once."""
    recent = contacts_of(owner).order_by("-last_activity_at").values("tags")[:1000]
    sql, params = recent.query.sql_with_params()
    unpack = (
        "SELECT DISTINCT t.value FROM ({sql}) AS r, jsonb_array_elements_text(r.tags) AS t"
        if connection.vendor == "postgresql"
        else "SELECT DISTINCT t.value FROM ({sql}) AS r, json_each(r.tags) AS t"
    )
    with connection.cursor() as cursor:
        cursor.execute(unpack.format(sql=sql), params)
        found = [value for (value,) in cursor.fetchall() if isinstance(value, str)]
    tags: dict[str, str] = {}
    for tag in sorted(found):
        tags.setdefault(tag.casefold(), tag)
    return sorted(tags.values(), key=str.casefold)[:limit]


def tasks_due(owner, *, until: datetime | None = None) -> QuerySet[FollowUpTask]:
    """The owner's open follow-ups due until ``until`` (default: the end of today), overdue first."""
    if until is None:
        now = timezone.localtime()
        until = now.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    return (
        FollowUpTask.objects.filter(
            owner=owner, done_at__isnull=True, due_at__lt=until, contact__erased_at__isnull=True
        )
        .select_related("contact")
        .order_by("due_at", "pk")
    )


def open_tasks(contact) -> QuerySet[FollowUpTask]:
    return contact.tasks.filter(done_at__isnull=True).order_by("due_at", "pk")
