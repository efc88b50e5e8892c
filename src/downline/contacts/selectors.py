"""Reads of the contacts app. Every read starts from the owner: ``contacts_of(owner)``."""

from __future__ import annotations

from datetime import datetime, timedelta

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


def stage_counts(owner) -> dict[str, int]:
    rows = contacts_of(owner).values("stage").annotate(n=Count("pk"))
    counts = dict.fromkeys(Contact.Stage.values, 0)
    counts.update({row["stage"]: row["n"] for row in rows})
    return counts


def tags_of(owner, limit: int = 200) -> list[str]:
    """The tags on the owner's 1,000 most recently active contacts (read along the index
    ``contacts_owner_activity``, so a list of 20,000 costs no more than one of 1,000)."""
    tags: dict[str, str] = {}
    recent = contacts_of(owner).order_by("-last_activity_at").values_list("tags", flat=True)
    for row in recent[:1000]:
        for tag in row or ():
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
