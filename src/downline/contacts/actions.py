"""Writes of the contacts app (rule 2): each ``do_*`` validates, runs in one transaction and
names the field and the reason when it refuses (``ValidationError({field: message})``).

The owner is part of every action's contract: callers pass contacts they got from
``selectors.contacts_of(owner)``; ``do_merge_contacts`` refuses contacts of two owners.

Events (rule 11): ``contact.signed_up`` {contact_id, source, source_ref} when a contact is
captured; ``contact.converted`` {contact_id, stage} when a contact becomes a customer or a
distributor. Both carry ``member_id`` = the owner.
"""

from __future__ import annotations

import logging
import zoneinfo
from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from downline.core.events import CONTACT_CONVERTED, CONTACT_SIGNED_UP, record_event

from .models import ConsentRecord, Contact, FollowUpTask, Note, TimelineEntry
from .search import search_text_of, tag_text_of

logger = logging.getLogger(__name__)

MAX_TAGS = 20
MAX_TAG_LENGTH = 40
MAX_NOTE_LENGTH = 10_000
EDITABLE = ("email", "phone", "first_name", "last_name", "language", "time_zone", "tags", "source")
CONVERTED = {Contact.Stage.CUSTOMER, Contact.Stage.DISTRIBUTOR}


@lru_cache(maxsize=1)
def _time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _languages() -> set[str]:
    return {code for code, _name in settings.LANGUAGES}


def clean_tags(value) -> list[str]:
    """Tags from a list or a text separated by commas or semicolons; trimmed, without repeats."""
    if value is None:
        return []
    if isinstance(value, str):
        value = value.replace(";", ",").split(",")
    tags: list[str] = []
    for item in value:
        tag = " ".join(str(item).split())
        if tag and tag.casefold() not in {t.casefold() for t in tags}:
            tags.append(tag)
    return tags


def clean_fields(data: dict) -> dict:
    """Validated contact fields (only those present in ``data``); raises with every bad field."""
    errors: dict[str, str] = {}
    out: dict = {}
    if "email" in data:
        email = (data["email"] or "").strip().lower()
        if email:
            try:
                validate_email(email)
            except ValidationError:
                errors["email"] = _("“%(value)s” is not an e-mail address.") % {"value": email}
        out["email"] = email
    if "phone" in data:
        phone = " ".join((data["phone"] or "").split())
        digits = sum(c.isdigit() for c in phone)
        if phone and (
            any(not (c.isdigit() or c in " +-().") for c in phone) or digits < 5 or len(phone) > 40
        ):
            errors["phone"] = _(
                "“%(value)s” is not a phone number (digits, spaces, + - ( ) only, at least 5 digits)."
            ) % {"value": phone}
        out["phone"] = phone
    for name in ("first_name", "last_name"):
        if name in data:
            value = " ".join((data[name] or "").split())
            if len(value) > 100:
                errors[name] = _("At most 100 characters.")
            out[name] = value
    if "language" in data:
        language = (data["language"] or "en").strip().lower()
        if language not in _languages():
            errors["language"] = _("“%(value)s” is not one of the languages: %(choices)s.") % {
                "value": language,
                "choices": ", ".join(sorted(_languages())),
            }
        out["language"] = language
    if "time_zone" in data:
        tz = (data["time_zone"] or "").strip()
        if tz and tz not in _time_zones():
            errors["time_zone"] = _("“%(value)s” is not a time zone (e.g. Europe/Warsaw).") % {
                "value": tz
            }
        out["time_zone"] = tz
    if "tags" in data:
        tags = clean_tags(data["tags"])
        if len(tags) > MAX_TAGS:
            errors["tags"] = _("At most %(n)s tags.") % {"n": MAX_TAGS}
        elif any(len(t) > MAX_TAG_LENGTH for t in tags):
            errors["tags"] = _("A tag has at most %(n)s characters.") % {"n": MAX_TAG_LENGTH}
        out["tags"] = tags
    if "source" in data:
        source = (data["source"] or "manual").strip()[:40]
        out["source"] = source or "manual"
    if "stage" in data:
        if data["stage"] not in Contact.Stage.values:
            errors["stage"] = _("“%(value)s” is not a stage; choose one of: %(choices)s.") % {
                "value": data["stage"],
                "choices": ", ".join(Contact.Stage.values),
            }
        out["stage"] = data["stage"]
    if errors:
        raise ValidationError(errors)
    return out


def _refresh_keys(contact: Contact) -> None:
    contact.search_text = search_text_of(contact)
    contact.tag_text = tag_text_of(contact.tags)


def _entry(contact: Contact, kind: str, params: dict | None = None, at=None) -> TimelineEntry:
    return TimelineEntry.objects.create(
        contact=contact, kind=kind, params=params or {}, at=at or timezone.now()
    )


def _touch(contact: Contact, at: datetime | None = None) -> None:
    at = at or timezone.now()
    if contact.last_activity_at is None or at > contact.last_activity_at:
        contact.last_activity_at = at
        Contact.objects.filter(pk=contact.pk).update(last_activity_at=at)


def _email_taken(owner, email: str, exclude_pk: int | None = None) -> bool:
    if not email:
        return False
    others = Contact.objects.filter(owner=owner, email=email)
    if exclude_pk:
        others = others.exclude(pk=exclude_pk)
    return others.exists()


# --------------------------------------------------------------------------- create, update


def do_create_contact(owner, *, source: str = "manual", stage: str = "new", **fields) -> Contact:
    """A contact the distributor adds by hand (or an import adds)."""
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise ValidationError({sorted(unknown)[0]: _("Unknown field.")})
    data = clean_fields({**fields, "source": source, "stage": stage})
    if not any(data.get(f) for f in ("email", "phone", "first_name", "last_name")):
        raise ValidationError(
            {"first_name": _("Give at least a name, an e-mail address or a phone number.")}
        )
    with transaction.atomic():
        if _email_taken(owner, data.get("email", "")):
            raise ValidationError(
                {"email": _("You already have a contact with the e-mail %(email)s.") % data}
            )
        contact = Contact(owner=owner, **data)
        _refresh_keys(contact)
        contact.save()
        _entry(contact, "created", {"source": contact.source})
    return contact


def do_update_contact(contact: Contact, **fields) -> Contact:
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise ValidationError({sorted(unknown)[0]: _("Unknown field.")})
    data = clean_fields(fields)
    with transaction.atomic():
        if "email" in data and _email_taken(contact.owner_id, data["email"], contact.pk):
            raise ValidationError(
                {"email": _("You already have a contact with the e-mail %(email)s.") % data}
            )
        changed = [k for k, v in data.items() if getattr(contact, k) != v]
        if not changed:
            return contact
        if "email" in changed and contact.email_consent != Contact.Consent.NONE:
            # consent was given for the old address, not for the new one
            contact.email_consent = Contact.Consent.NONE
            changed.append("email_consent")
        for key in changed:
            if key in data:
                setattr(contact, key, data[key])
        _refresh_keys(contact)
        contact.last_activity_at = timezone.now()
        contact.save()
        _entry(contact, "updated", {"fields": sorted(changed)})
    return contact


def do_set_stage(contact: Contact, stage: str) -> Contact:
    clean_fields({"stage": stage})
    if contact.stage == stage:
        return contact
    with transaction.atomic():
        old = contact.stage
        contact.stage = stage
        contact.last_activity_at = timezone.now()
        contact.save(update_fields=["stage", "last_activity_at"])
        _entry(contact, "stage_changed", {"old": old, "new": stage})
        if stage in CONVERTED:
            record_event(
                CONTACT_CONVERTED,
                {"contact_id": contact.pk, "stage": stage},
                member_id=contact.owner_id,
            )
    return contact


# --------------------------------------------------------------------------- capture and consent


def confirm_url(contact: Contact) -> str:
    base = getattr(settings, "DOWNLINE_SITE_URL", "http://localhost:8000").rstrip("/")
    return base + reverse("contacts:confirm", args=[contact.unsubscribe_token])


def my_data_url(contact: Contact) -> str:
    base = getattr(settings, "DOWNLINE_SITE_URL", "http://localhost:8000").rstrip("/")
    return base + reverse("contacts:my_data", args=[contact.unsubscribe_token])


def send_confirmation(contact: Contact) -> None:
    """The double opt-in e-mail: one link that confirms the address (in the contact's language)."""
    with translation.override(contact.language or "en"):
        context = {
            "contact": contact,
            "link": confirm_url(contact),
            "my_data": my_data_url(contact),
            "owner": contact.owner.name or contact.owner.member_id,
            "company": settings.DOWNLINE_COMPANY_NAME,
        }
        subject = render_to_string("contacts/emails/confirm_subject.txt", context).strip()
        body = render_to_string("contacts/emails/confirm_body.txt", context)
    send_mail(subject, body, None, [contact.email])


def do_capture_contact(
    owner,
    *,
    email: str,
    first_name: str = "",
    last_name: str = "",
    language: str = "en",
    source: str,
    source_ref: str = "",
    consent_text: str,
    consent_email: bool,
    address: str = "",
    send_confirmation_email: bool = True,
) -> Contact:
    """A sign-up (capture page, webinar registration): creates or updates the owner's contact
    with that e-mail, records the consent (the text shown, time, source, address) and a
    timeline entry, and the event ``contact.signed_up``. ``consent_email`` starts the double
    opt-in: consent "pending" and, after the commit, the confirmation e-mail (unless the
    address is confirmed already)."""
    data = clean_fields(
        {"email": email, "first_name": first_name, "last_name": last_name, "language": language}
    )
    if not data["email"]:
        raise ValidationError({"email": _("An e-mail address is required.")})
    if not (consent_text or "").strip():
        raise ValidationError({"consent_text": _("The consent text shown is required.")})
    now = timezone.now()
    with transaction.atomic():
        contact = (
            Contact.objects.select_for_update()
            .filter(owner=owner, email=data["email"], erased_at__isnull=True)
            .first()
        )
        if contact is None:
            contact = Contact(
                owner=owner,
                source=(source or "page")[:40],
                source_ref=(source_ref or "")[:120],
                created_at=now,
                **data,
            )
        else:
            for name in ("first_name", "last_name"):
                if data[name] and not getattr(contact, name):
                    setattr(contact, name, data[name])
            contact.language = data["language"]
        contact.last_activity_at = now
        send = False
        record = ConsentRecord(
            channel="email" if consent_email else "data",
            source=(source or "page")[:40],
            source_ref=(source_ref or "")[:120],
            text_shown=consent_text,
            language=data["language"],
            address=(address or "")[:64],
            given_at=now,
        )
        if consent_email:
            if contact.email_consent == Contact.Consent.CONFIRMED:
                record.confirmed_at = now
            else:
                contact.email_consent = Contact.Consent.PENDING
                send = send_confirmation_email
        _refresh_keys(contact)
        contact.save()
        record.contact = contact
        record.save()
        _entry(contact, "signed_up", {"source": record.source, "source_ref": record.source_ref})
        if consent_email and record.confirmed_at is None:
            _entry(contact, "consent_given", {"source": record.source})
        record_event(
            CONTACT_SIGNED_UP,
            {"contact_id": contact.pk, "source": record.source, "source_ref": record.source_ref},
            member_id=owner.pk,
        )
        if send:
            contact_pk = contact.pk
            transaction.on_commit(lambda: _send_confirmation_safely(contact_pk))
    return contact


def _send_confirmation_safely(contact_pk: int) -> None:
    contact = Contact.objects.select_related("owner").filter(pk=contact_pk).first()
    if contact is None or not contact.email:
        return
    try:
        send_confirmation(contact)
    except Exception:  # the sign-up stands; the contact can sign up again for a new link
        logger.exception("contacts: the confirmation e-mail to contact %s failed", contact_pk)


def do_confirm_email_consent(contact: Contact) -> Contact:
    """The contact clicked the confirmation link: consent confirmed (double opt-in)."""
    if contact.is_erased or not contact.email:
        raise ValidationError({"email": _("This contact has no e-mail address.")})
    with transaction.atomic():
        contact = Contact.objects.select_for_update().get(pk=contact.pk)
        if contact.email_consent == Contact.Consent.CONFIRMED:
            return contact
        now = timezone.now()
        contact.email_consent = Contact.Consent.CONFIRMED
        contact.last_activity_at = now
        contact.save(update_fields=["email_consent", "last_activity_at"])
        contact.consents.filter(
            channel="email", confirmed_at__isnull=True, withdrawn_at__isnull=True
        ).update(confirmed_at=now)
        _entry(contact, "consent_confirmed", {})
    return contact


def do_unsubscribe(contact: Contact) -> Contact:
    """E-mail consent withdrawn (the unsubscribe link, or the contact asked)."""
    with transaction.atomic():
        contact = Contact.objects.select_for_update().get(pk=contact.pk)
        if contact.email_consent == Contact.Consent.WITHDRAWN:
            return contact
        now = timezone.now()
        contact.email_consent = Contact.Consent.WITHDRAWN
        contact.save(update_fields=["email_consent"])
        contact.consents.filter(channel="email", withdrawn_at__isnull=True).update(withdrawn_at=now)
        _entry(contact, "unsubscribed", {})
    return contact


def _check_params(params: dict) -> dict:
    if not isinstance(params, dict):
        raise ValidationError({"params": _("Timeline parameters are a mapping.")})
    for key, value in params.items():
        if isinstance(value, float) or not (
            value is None or isinstance(value, str | int | bool | list)
        ):
            raise ValidationError(
                {"params": _("Parameter %(key)s must be an id, a key or a number.") % {"key": key}}
            )
    return params


def do_add_timeline(contact: Contact, kind: str, params: dict, at=None) -> TimelineEntry:
    """Something happened with the contact (a page visit, an e-mail, a webinar, an order):
    one entry of ``kind`` with ``params`` (ids, keys, numbers; no sentences)."""
    if not kind or len(kind) > 40:
        raise ValidationError({"kind": _("A timeline kind is a key of at most 40 characters.")})
    _check_params(params or {})
    with transaction.atomic():
        entry = _entry(contact, kind, params, at)
        _touch(contact, entry.at)
    return entry


# --------------------------------------------------------------------------- notes and tasks


def do_add_note(contact: Contact, text: str) -> Note:
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": _("Write the note.")})
    if len(text) > MAX_NOTE_LENGTH:
        raise ValidationError({"text": _("At most %(n)s characters.") % {"n": MAX_NOTE_LENGTH}})
    with transaction.atomic():
        note = Note.objects.create(contact=contact, text=text)
        _entry(contact, "note_added", {"note_id": note.pk})
        _touch(contact)
    return note


def do_add_task(contact: Contact, *, title: str, due_at: datetime) -> FollowUpTask:
    title = " ".join((title or "").split())
    if not title:
        raise ValidationError({"title": _("Say what to do.")})
    if len(title) > 200:
        raise ValidationError({"title": _("At most 200 characters.")})
    if due_at is None or timezone.is_naive(due_at):
        raise ValidationError({"due_at": _("Give the date and time it is due.")})
    with transaction.atomic():
        task = FollowUpTask.objects.create(
            contact=contact, owner_id=contact.owner_id, title=title, due_at=due_at
        )
        _entry(contact, "task_added", {"task_id": task.pk})
    return task


def do_complete_task(task: FollowUpTask) -> FollowUpTask:
    with transaction.atomic():
        task = FollowUpTask.objects.select_for_update().get(pk=task.pk)
        if task.done_at is not None:
            return task
        task.done_at = timezone.now()
        task.save(update_fields=["done_at"])
        contact = task.contact
        _entry(contact, "task_done", {"task_id": task.pk})
        _touch(contact, task.done_at)
    return task


# --------------------------------------------------------------------------- merge and erase

STAGE_ORDER = {s: i for i, s in enumerate(Contact.Stage.values)}


def do_merge_contacts(keep: Contact, other: Contact) -> Contact:
    """``other`` is a duplicate of ``keep``: its timeline, notes, tasks and consents move to
    ``keep``; blank fields of ``keep`` take ``other``'s values, tags are joined, the later stage
    wins and a withdrawn consent stays withdrawn. ``other`` is deleted."""
    if keep.pk == other.pk:
        raise ValidationError({"other": _("A contact cannot be merged with itself.")})
    if keep.owner_id != other.owner_id:
        raise ValidationError({"other": _("Both contacts must be yours.")})
    if keep.is_erased or other.is_erased:
        raise ValidationError({"other": _("An erased contact cannot be merged.")})
    with transaction.atomic():
        keep = Contact.objects.select_for_update().get(pk=keep.pk)
        other = Contact.objects.select_for_update().get(pk=other.pk)
        moved = 0
        for model in (TimelineEntry, Note, FollowUpTask, ConsentRecord):
            moved += model.objects.filter(contact=other).update(contact=keep)
        other_email = other.email
        for name in ("phone", "first_name", "last_name", "time_zone", "source_ref"):
            if not getattr(keep, name) and getattr(other, name):
                setattr(keep, name, getattr(other, name))
        keep.tags = clean_tags(list(keep.tags or []) + list(other.tags or []))[:MAX_TAGS]
        if STAGE_ORDER[other.stage] > STAGE_ORDER[keep.stage]:
            keep.stage = other.stage
        if not keep.email and other_email:  # e-mails are unique per owner: at most one has it
            keep.email = other_email
            keep.email_consent = other.email_consent
        keep.created_at = min(keep.created_at, other.created_at)
        keep.last_activity_at = max(keep.last_activity_at, other.last_activity_at)
        other.delete()  # frees its e-mail for keep
        _refresh_keys(keep)
        keep.save()
        _entry(keep, "merged", {"moved": moved})
    return keep


def do_delete_contact_data(contact: Contact, *, reason: str = "contact") -> Contact:
    """Erase a contact's personal data (their request, the owner's, or the retention period):
    names, e-mail, phone, tags, notes, tasks and timeline are gone; the consent records keep
    only their source and times (no address); the row stays as an anonymised tombstone so
    counts by stage and source still add up. ``reason``: contact | owner | retention."""
    with transaction.atomic():
        contact = Contact.objects.select_for_update().get(pk=contact.pk)
        if contact.is_erased:
            return contact
        now = timezone.now()
        contact.notes.all().delete()
        contact.tasks.all().delete()
        contact.timeline.all().delete()
        contact.consents.update(address="", withdrawn_at=now)
        contact.email = ""
        contact.phone = ""
        contact.first_name = ""
        contact.last_name = ""
        contact.time_zone = ""
        contact.source_ref = ""
        contact.tags = []
        contact.search_text = ""
        contact.tag_text = ""
        contact.email_consent = Contact.Consent.WITHDRAWN
        contact.unsubscribe_token = f"erased-{contact.pk}-{now.timestamp():.0f}"
        contact.erased_at = now
        contact.save()
        _entry(contact, "erased", {"reason": reason})
    return contact


def do_erase_inactive_contacts(*, days: int | None = None, now: datetime | None = None) -> int:
    """Erase every contact inactive longer than ``DOWNLINE_CONTACT_RETENTION_DAYS`` (730)."""
    days = days if days is not None else getattr(settings, "DOWNLINE_CONTACT_RETENTION_DAYS", 730)
    cutoff = (now or timezone.now()) - timedelta(days=int(days))
    erased = 0
    ids = list(
        Contact.objects.filter(erased_at__isnull=True, last_activity_at__lt=cutoff).values_list(
            "pk", flat=True
        )
    )
    for pk in ids:
        contact = Contact.objects.filter(pk=pk, erased_at__isnull=True).first()
        if contact is not None:
            do_delete_contact_data(contact, reason="retention")
            erased += 1
    return erased


def do_bulk_create(owner, rows: Iterable[dict], *, fmt: str) -> tuple[int, int]:
    """Write validated import rows (``imports`` checks them first): new contacts are created,
    contacts with the same e-mail get their blank fields filled and the tags joined."""
    rows = list(rows)
    now = timezone.now()
    created = updated = 0
    with transaction.atomic():
        emails = [r["email"] for r in rows if r.get("email")]
        existing = {
            c.email: c
            for c in Contact.objects.select_for_update().filter(
                owner=owner, email__in=emails, erased_at__isnull=True
            )
        }
        new: list[Contact] = []
        for row in rows:
            found = existing.get(row.get("email") or "\0")
            if found is not None:
                for name in ("phone", "first_name", "last_name", "time_zone"):
                    if row.get(name) and not getattr(found, name):
                        setattr(found, name, row[name])
                found.tags = clean_tags(list(found.tags) + row.get("tags", []))[:MAX_TAGS]
                if row.get("stage") and STAGE_ORDER[row["stage"]] > STAGE_ORDER[found.stage]:
                    found.stage = row["stage"]
                _refresh_keys(found)
                found.save()
                updated += 1
                continue
            contact = Contact(
                owner=owner,
                source=fmt,
                created_at=now,
                last_activity_at=now,
                **{k: v for k, v in row.items() if k in EDITABLE or k == "stage"},
            )
            contact.source = fmt
            _refresh_keys(contact)
            new.append(contact)
        Contact.objects.bulk_create(new, batch_size=1000)
        if new:
            created_ids = Contact.objects.filter(
                owner=owner, unsubscribe_token__in=[c.unsubscribe_token for c in new]
            ).values_list("pk", flat=True)
            TimelineEntry.objects.bulk_create(
                [
                    TimelineEntry(contact_id=pk, kind="imported", params={"format": fmt}, at=now)
                    for pk in created_ids
                ],
                batch_size=1000,
            )
        created = len(new)
    return created, updated
