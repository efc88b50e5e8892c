"""``/contacts``: a distributor's CRM through the actions of the back office's contact pages
(``contacts.actions``), with their validation.

Who sees what. A contact belongs to one distributor (its ``owner``) and is theirs alone: a
personal token reads only its own member's contacts (``contacts.selectors.contacts_of``), never
a sponsor's, an upline's or a downline member's; any other contact is 404. An integration key
with ``contacts:read`` / ``contacts:write`` reaches every owner's contacts (staff level) and
names the owner when it creates one. Erased contacts (anonymised tombstones) are not listed and
answer 404.

Writes. Create is ``do_create_contact`` (the back office's "new contact"); with ``consent`` the
consent is recorded as a sign-up records it (``do_capture_contact``: the text shown, time,
source, address; e-mail consent starts the double opt-in) and with ``note`` a first note is
added (``do_add_note``). Update is ``do_update_contact`` then ``do_set_stage`` (the back
office's edit form); notes are added with ``do_add_note``; delete erases the contact's personal
data (``do_delete_contact_data``, as the back office's "erase"). Each write runs in one
transaction with its ``ApiWrite`` audit row. The claim scanner is not applied: the back office
does not scan contacts either, since nobody but the owner ever reads them.

A refusal of an action names the field as ``body.<field>`` (422).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Path, Query, Router, Status

from downline.contacts import selectors
from downline.contacts.actions import (
    do_add_note,
    do_capture_contact,
    do_create_contact,
    do_delete_contact_data,
    do_set_stage,
    do_update_contact,
)
from downline.contacts.models import Contact
from downline.contacts.search import search_key
from downline.genealogy.models import Distributor

from .. import audit
from ..auth import need, viewer
from ..errors import ApiProblem, utc_instant
from ..pagination import DEFAULT_LIMIT, MAX_LIMIT, page
from ..schemas import (
    ContactDetailOut,
    ContactIn,
    ContactNoteOut,
    ContactPage,
    ContactPatch,
    ContactStage,
    NoteIn,
)
from .visibility import not_found

router = Router()

MAX_ID = 2**63 - 1
CONTACT_ID = Path(..., ge=1, le=MAX_ID, description="the contact's id")
# an action's field name → where it sits in the request body
BODY_FIELDS = {
    "consent_text": "body.consent.text_shown",
    "text": "body.text",
}
UPDATED_SINCE = Query(None, description="only contacts with activity at or after this instant")
ERASE_REASON = Query(
    "owner", description="who asked: the owner (as in the back office) or the contact"
)
DETAIL_NOTES = 100
DETAIL_CONSENTS = 20


def refused(error: ValidationError) -> ApiProblem:
    """An action's ``ValidationError({field: message})`` as a 422 naming ``body.<field>``."""
    if hasattr(error, "error_dict"):
        errors = [
            (BODY_FIELDS.get(field, f"body.{field}"), message)
            for field, messages in error.message_dict.items()
            for message in messages
        ]
    else:
        errors = [("body", message) for message in error.messages]
    detail = "; ".join(f"{field}: {message}" for field, message in errors)
    return ApiProblem(422, detail, errors=errors)


def contact_dict(contact: Contact) -> dict:
    return {
        "id": contact.pk,
        "owner": contact.owner.member_id,
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "email": contact.email,
        "phone": contact.phone,
        "language": contact.language,
        "time_zone": contact.time_zone,
        "source": contact.source,
        "source_ref": contact.source_ref,
        "tags": list(contact.tags or []),
        "stage": contact.stage,
        "email_consent": contact.email_consent,
        "created_at": contact.created_at,
        "last_activity_at": contact.last_activity_at,
    }


def contact_detail(contact: Contact) -> dict:
    """A contact with its newest notes and consent records (what its back-office page lists)."""
    notes = [
        {"id": note.pk, "text": note.text, "created_at": note.created_at}
        for note in contact.notes.all()[:DETAIL_NOTES]
    ]
    consents = [
        {
            "channel": record.channel,
            "source": record.source,
            "source_ref": record.source_ref,
            "text_shown": record.text_shown,
            "language": record.language,
            "given_at": record.given_at,
            "confirmed_at": record.confirmed_at,
            "withdrawn_at": record.withdrawn_at,
        }
        for record in contact.consents.all()[:DETAIL_CONSENTS]
    ]
    return {**contact_dict(contact), "notes": notes, "consents": consents}


def visible_contacts(member: Distributor | None) -> QuerySet[Contact]:
    """A personal token's member's own contacts; every owner's for an integration key."""
    rows = (
        selectors.contacts_of(member)
        if member is not None
        else Contact.objects.filter(erased_at__isnull=True)
    )
    return rows.select_related("owner")


def matching(rows: QuerySet[Contact], *, search: str, stage: str, tag: str) -> QuerySet[Contact]:
    """The rule of ``selectors.search_contacts`` over any set of contacts: every word of
    ``search`` in the names, e-mail, phone or tags (any case, with or without diacritics), in
    ``stage``, carrying ``tag``."""
    for word in search_key(search).split():
        rows = rows.filter(search_text__contains=word)
    if stage:
        rows = rows.filter(stage=stage)
    if tag and search_key(tag):
        rows = rows.filter(tag_text__contains=f"|{search_key(tag)}|")
    return rows


def _contact_or_404(request: HttpRequest, contact_id: int, *, lock: bool = False) -> Contact:
    rows = visible_contacts(viewer(request))
    if lock:
        rows = rows.select_for_update(of=("self",))
    contact = rows.filter(pk=contact_id).first()
    if contact is None:
        raise not_found(_("contact %(id)s") % {"id": contact_id})
    return contact


def _owner(request: HttpRequest, owner_id: str | None) -> Distributor:
    """Whose contact a new one is: a personal token's own member; for an integration key the
    distributor named in ``owner`` (422 naming ``body.owner`` when missing or not one)."""
    member = viewer(request)
    if member is not None:
        if owner_id not in (None, member.member_id):
            raise not_found(_("member %(id)s") % {"id": owner_id})
        return member
    if not owner_id:
        message = _("Name the distributor the contact belongs to (member id).")
        raise ApiProblem(422, message, errors=[("body.owner", message)])
    owner = Distributor.objects.filter(member_id=owner_id.strip()).first()
    if owner is None:
        message = _("There is no member %(id)s.") % {"id": owner_id}
        raise ApiProblem(422, message, errors=[("body.owner", message)])
    if owner.is_customer:
        message = _("%(id)s is a retail customer; contacts belong to distributors.") % {
            "id": owner_id
        }
        raise ApiProblem(422, message, errors=[("body.owner", message)])
    return owner


def _fresh(contact: Contact) -> dict:
    return contact_detail(Contact.objects.select_related("owner").get(pk=contact.pk))


@router.get("", response=ContactPage, summary="List contacts")
def list_contacts(
    request: HttpRequest,
    cursor: str | None = None,
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
    stage: ContactStage | None = None,
    tag: str | None = Query(None, max_length=40, description="a tag, in any case"),
    search: str | None = Query(
        None, max_length=200, description="words in names, e-mail, phone or tags"
    ),
    updated_since: datetime | None = UPDATED_SINCE,
    owner: str | None = Query(None, max_length=64, description="member id of the owner"),
):
    """Contacts the caller may read (a personal token: its own only), by id."""
    need(request, "contacts:read")
    rows = matching(
        visible_contacts(viewer(request)), search=search or "", stage=stage or "", tag=tag or ""
    )
    if owner:
        rows = rows.filter(owner__member_id=owner)
    since = utc_instant(updated_since, "query.updated_since")
    if since is not None:
        rows = rows.filter(last_activity_at__gte=since)
    return page(rows, cursor=cursor, limit=limit, render=contact_dict)


@router.get("/{contact_id}", response=ContactDetailOut, summary="Read a contact")
def get_contact(request: HttpRequest, contact_id: int = CONTACT_ID):
    need(request, "contacts:read")
    return contact_detail(_contact_or_404(request, contact_id))


@router.post("", response={201: ContactDetailOut}, summary="Create a contact")
def create_contact(request: HttpRequest, payload: ContactIn):
    """A contact of ``owner``, with the consent it gave (``consent``) and a first ``note``."""
    need(request, "contacts:write")
    owner = _owner(request, payload.owner)
    fields = payload.model_dump(
        include={"first_name", "last_name", "email", "phone", "language", "time_zone", "tags"}
    )
    try:
        with transaction.atomic():
            contact = do_create_contact(owner, source=payload.source, stage=payload.stage, **fields)
            if payload.consent is not None:
                contact = do_capture_contact(
                    owner,
                    email=contact.email,
                    first_name=contact.first_name,
                    last_name=contact.last_name,
                    language=contact.language,
                    source=contact.source,
                    source_ref=payload.consent.source_ref,
                    consent_text=payload.consent.text_shown,
                    consent_email=payload.consent.email,
                    address=payload.consent.address,
                )
            if payload.note is not None:
                do_add_note(contact, payload.note)
            audit.record(request, "contacts.create", contact.pk, 201)
    except ValidationError as error:
        raise refused(error) from None
    return Status(201, _fresh(contact))


@router.patch("/{contact_id}", response=ContactDetailOut, summary="Update a contact")
def update_contact(request: HttpRequest, payload: ContactPatch, contact_id: int = CONTACT_ID):
    """Change the fields sent (names, e-mail, phone, language, time zone, tags; a new e-mail
    resets the e-mail consent) and move the ``stage`` (to customer or distributor: the event
    ``contact.converted``)."""
    need(request, "contacts:write")
    changes = payload.model_dump(exclude_unset=True)
    stage = changes.pop("stage", None)
    for name, value in list(changes.items()):
        if value is None:  # an explicit null clears a text; tags null means no tags
            changes[name] = [] if name == "tags" else ""
    try:
        with transaction.atomic():
            contact = _contact_or_404(request, contact_id, lock=True)
            if changes:
                contact = do_update_contact(contact, **changes)
            if stage is not None:
                contact = do_set_stage(contact, stage)
            audit.record(request, "contacts.update", contact.pk)
    except ValidationError as error:
        raise refused(error) from None
    return _fresh(contact)


@router.post(
    "/{contact_id}/notes", response={201: ContactNoteOut}, summary="Add a note to a contact"
)
def add_note(request: HttpRequest, payload: NoteIn, contact_id: int = CONTACT_ID):
    need(request, "contacts:write")
    try:
        with transaction.atomic():
            contact = _contact_or_404(request, contact_id, lock=True)
            note = do_add_note(contact, payload.text)
            audit.record(request, "contacts.note", contact.pk, 201)
    except ValidationError as error:
        raise refused(error) from None
    return Status(201, {"id": note.pk, "text": note.text, "created_at": note.created_at})


@router.delete("/{contact_id}", response={204: None}, summary="Erase a contact's data")
def erase_contact(
    request: HttpRequest,
    contact_id: int = CONTACT_ID,
    reason: Literal["owner", "contact"] = ERASE_REASON,
):
    """Erase the contact's personal data (names, e-mail, phone, tags, notes, tasks, timeline;
    consent records keep only source and times); an anonymised row stays for the counts."""
    need(request, "contacts:write")
    with transaction.atomic():
        contact = _contact_or_404(request, contact_id, lock=True)
        do_delete_contact_data(contact, reason=reason)
        audit.record(request, "contacts.erase", contact.pk, 204)
    return Status(204, None)
