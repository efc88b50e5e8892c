"""Writes of outreach that are not the mail core (``mail``), pages (``pages``), sequences
(``sequences``) or webinars (``webinars``): unsubscribing, broadcasts, enrollments removed by
their distributor, company content.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from downline.genealogy.models import Distributor

from . import sequences
from .mail import do_suppress, queue_many
from .models import Broadcast, Enrollment, OutboundMail, Suppression


def do_unsubscribe_address(
    email: str, *, contact_id: int | None = None, reason: str = "unsubscribe"
) -> None:
    """One-click unsubscribe: the address is suppressed, leaves every sequence, and every
    contact with that address has e-mail consent withdrawn."""
    email = email.strip().lower()
    with transaction.atomic():
        do_suppress(
            email,
            Suppression.Reason.COMPLAINT
            if reason == "complaint"
            else Suppression.Reason.UNSUBSCRIBE,
        )
        sequences.leave(email=email, reason="unsubscribed")
        from downline.contacts.actions import do_unsubscribe
        from downline.contacts.models import Contact

        contacts = Contact.objects.filter(email__iexact=email)
        for contact in contacts:
            if contact.email_consent != "withdrawn":
                do_unsubscribe(contact)


def do_remove_enrollment(owner: Distributor, enrollment_id: int) -> Enrollment:
    """The distributor takes a contact out of a sequence."""
    with transaction.atomic():
        enrollment = (
            Enrollment.objects.select_for_update()
            .filter(pk=enrollment_id, owner=owner, state=Enrollment.State.ACTIVE)
            .first()
        )
        if enrollment is None:
            raise ValidationError(
                {"enrollment": _("No running enrollment %(id)s of yours.") % {"id": enrollment_id}}
            )
        enrollment.state = Enrollment.State.LEFT
        enrollment.left_reason = "removed"
        enrollment.next_due_at = None
        enrollment.save(update_fields=["state", "left_reason", "next_due_at"])
    return enrollment


def segment(owner: Distributor, *, stages: list[str], tags: list[str]):
    """The owner's contacts with e-mail consent in the chosen stages and with all the tags."""
    from downline.contacts.selectors import contacts_of

    contacts = (
        contacts_of(owner).exclude(email="").filter(email_consent__in=("pending", "confirmed"))
    )
    if stages:
        contacts = contacts.filter(stage__in=stages)
    result = list(contacts)
    if tags:
        wanted = set(tags)
        result = [c for c in result if wanted <= set(c.tags or [])]
    return result


def do_send_broadcast(
    owner: Distributor | None,
    *,
    subject: str,
    body: str,
    language: str = "en",
    stages: list[str] | None = None,
    tags: list[str] | None = None,
) -> Broadcast:
    """A broadcast to a segment of the owner's contacts, or (no owner) company news to every
    active distributor with an e-mail address. A distributor's text passes the claim scanner
    first: "block" raises ``ClaimBlocked`` (nothing is kept); "review" keeps the broadcast
    ``held`` until staff decide (event ``claim.reviewed``: approved → sent, rejected → kept as
    rejected)."""
    stages, tags = stages or [], tags or []
    with transaction.atomic():
        broadcast = Broadcast.objects.create(
            owner=owner, subject=subject, body=body, language=language, stages=stages, tags=tags
        )
        if owner is not None:
            from downline.compliance.claims import ClaimVerdict, submit_text

            result = submit_text(
                f"{subject}\n\n{body}",
                author=owner,
                source_kind=BROADCAST_SOURCE,
                source_id=str(broadcast.pk),
                language=language,
            )
            if result.verdict == ClaimVerdict.REVIEW:
                broadcast.state = Broadcast.State.HELD
                broadcast.save(update_fields=["state"])
                return broadcast
        _queue_broadcast(broadcast)
    return broadcast


BROADCAST_SOURCE = "outreach.broadcast"


def on_broadcast_reviewed(payload: dict) -> None:
    if payload.get("source_kind") != BROADCAST_SOURCE:
        return
    broadcast = Broadcast.objects.filter(
        pk=payload.get("source_id"), state=Broadcast.State.HELD
    ).first()
    if broadcast is None:
        return
    if payload.get("decision") == "approved":
        _queue_broadcast(broadcast)
    else:
        broadcast.state = Broadcast.State.REJECTED
        broadcast.save(update_fields=["state"])


def _queue_broadcast(broadcast: Broadcast) -> None:
    owner, language = broadcast.owner, broadcast.language
    if owner is not None:
        recipients = [
            (c.pk, c.email, c.first_name, c.language or language, c.time_zone)
            for c in segment(owner, stages=broadcast.stages, tags=broadcast.tags)
        ]
    else:
        recipients = [
            (None, m.email, m.name, m.language or language, "")
            for m in Distributor.objects.filter(status=Distributor.Status.ACTIVE)
            .exclude(email="")
            .exclude(kind=Distributor.Kind.CUSTOMER)
        ]
    now = timezone.now()
    rows = [
        OutboundMail(
            key=f"bc:{broadcast.pk}:{email.lower()}",
            sender=owner,
            contact_id=contact_id,
            to_email=email.strip().lower(),
            to_name=name[:200],
            language=lang,
            time_zone=tz or "",
            kind="broadcast",
            ref=str(broadcast.pk),
            subject=broadcast.subject,
            body_text=broadcast.body.replace("{{first_name}}", name or ""),
            due_at=now,
        )
        for contact_id, email, name, lang, tz in recipients
    ]
    broadcast.recipients = queue_many(rows)
    broadcast.state = Broadcast.State.SENT
    broadcast.save(update_fields=["recipients", "state"])
