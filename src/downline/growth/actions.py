"""Writes of the growth app (``do_*``: validated, atomic, with clear errors)."""

from __future__ import annotations

import logging
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from downline.core import events as outbox
from downline.genealogy.access import in_downline
from downline.genealogy.models import Distributor
from downline.genealogy.rules import company_today
from downline.orders.models import Order

from . import notify, radar
from .models import (
    FollowUp,
    MentorAssignment,
    Message,
    Notification,
    NotificationSettings,
    PushSubscription,
    RadarBuild,
    RadarItem,
    SponsorChangeRequest,
)

logger = logging.getLogger(__name__)

MESSAGE_SOURCE = "growth.message"
MAX_MESSAGE = 2000


# --------------------------------------------------------------------------- the radar


def do_build_radar(day: date, *, build: RadarBuild | None = None) -> RadarBuild:
    """Build the radar of ``day`` for every sponsor and add each sponsor's daily digest."""
    if build is None:
        build = RadarBuild.objects.create(
            day=day, status=RadarBuild.Status.RUNNING, started_at=timezone.now()
        )
    try:
        count, timings = radar.build(day)
    except Exception as error:
        RadarBuild.objects.filter(pk=build.pk).update(
            status=RadarBuild.Status.FAILED,
            error=f"{type(error).__name__}: {error}",
            finished_at=timezone.now(),
        )
        raise
    RadarBuild.objects.filter(pk=build.pk).update(
        status=RadarBuild.Status.DONE, items=count, seconds=timings, finished_at=timezone.now()
    )
    build.refresh_from_db()
    return build


def _own_item(item: RadarItem, actor: Distributor) -> RadarItem:
    if item.sponsor_id != actor.pk:
        raise PermissionDenied(_("This radar item belongs to another distributor."))
    return item


def _mark(item: RadarItem, action: str, params: dict) -> None:
    item.action = action
    item.action_params = params
    item.state = RadarItem.State.DONE
    item.acted_at = timezone.now()
    item.save(update_fields=["action", "action_params", "state", "acted_at"])


def do_send_message(
    sender: Distributor,
    recipient: Distributor,
    text: str,
    *,
    item: RadarItem | None = None,
    action: str = "message",
    extra: dict | None = None,
) -> Message:
    """Send ``text`` from ``sender`` to a member of their downline (or a mentee): scanned by
    the claim scanner first; a blocked text raises ``ValidationError`` naming the phrase; a
    text the scanner holds for review is delivered once staff approve it."""
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": _("Write a message first.")})
    if len(text) > MAX_MESSAGE:
        raise ValidationError(
            {"text": _("The message is longer than %(n)s characters.") % {"n": MAX_MESSAGE}}
        )
    mentoring = MentorAssignment.objects.filter(
        member=recipient, mentor=sender, ended_at__isnull=True
    ).exists()
    if recipient.pk == sender.pk or not (mentoring or in_downline(sender, recipient)):
        raise PermissionDenied(_("You can write only to members of your own team."))
    with transaction.atomic():
        message = Message.objects.create(
            sender=sender, recipient=recipient, radar_item=item, text=text, language=sender.language
        )
        verdict = _scan(message, sender)
        message.verdict = verdict
        message.save(update_fields=["verdict"])
        if item is not None:
            _mark(item, action, {"message": message.pk, "verdict": verdict, **(extra or {})})
        if verdict != "review":
            _record_sent(message)
            transaction.on_commit(deliver_now)
    return message


def _scan(message: Message, author: Distributor) -> str:
    try:
        from downline.compliance.claims import submit_text
    except ImportError:  # the scanner is not installed: nothing holds the text
        return "allow"
    result = submit_text(
        message.text,
        author=author,
        source_kind=MESSAGE_SOURCE,
        source_id=str(message.pk),
        language=author.language,
    )
    return str(result.verdict)


def _record_sent(message: Message) -> None:
    outbox.record_event(
        outbox.MESSAGE_SENT,
        {
            "message": message.pk,
            "from": message.sender_id,
            "to": message.recipient_id,
            "from_name": message.sender.name,
        },
        member_id=message.recipient_id,
    )


def do_release_reviewed_message(message_pk: int) -> Message | None:
    """A held message that staff approved: record it as sent (delivered like any other)."""
    message = (
        Message.objects.filter(pk=message_pk, verdict="review").select_related("sender").first()
    )
    if message is None:
        return None
    message.verdict = "approved"
    message.save(update_fields=["verdict"])
    _record_sent(message)
    return message


def deliver_now() -> None:
    """Turn new events into notifications and deliver them (after a message is sent, so the
    recipient sees it at once; the worker does the same on its schedule)."""
    try:
        notify.consume_events()
        notify.deliver_pending()
    except Exception:  # delivery is retried by the worker; never fail the sender's request
        logger.exception("immediate notification delivery failed")


def do_create_followup(
    owner: Distributor, item: RadarItem, *, due_on: date, note: str = ""
) -> FollowUp:
    _own_item(item, owner)
    if due_on < company_today() - timedelta(days=1):
        raise ValidationError({"due_on": _("The follow-up date lies in the past.")})
    with transaction.atomic():
        follow = FollowUp.objects.create(
            owner=owner, member_id=item.member_id, radar_item=item, due_on=due_on, note=note[:2000]
        )
        _mark(item, "followup", {"followup": follow.pk, "due_on": due_on.isoformat()})
    return follow


INVITE_KINDS = ("webinar", "lesson")


def do_invite(owner: Distributor, item: RadarItem, *, kind: str, url: str, text: str) -> Message:
    """Invite the member to a webinar or a lesson: a message with the link, scanned like any
    other."""
    _own_item(item, owner)
    if kind not in INVITE_KINDS:
        raise ValidationError({"kind": _("Choose a webinar or a lesson.")})
    url = (url or "").strip()
    if not (url.startswith("https://") or url.startswith("http://") or url.startswith("/")):
        raise ValidationError({"url": _("Give the link of the webinar or lesson.")})
    member = Distributor.objects.get(pk=item.member_id)
    return do_send_message(
        owner,
        member,
        f"{text.strip()}\n{url}",
        item=item,
        action="invite",
        extra={"kind": kind, "url": url},
    )


def do_radar_message(owner: Distributor, item: RadarItem, text: str) -> Message:
    _own_item(item, owner)
    member = Distributor.objects.get(pk=item.member_id)
    return do_send_message(owner, member, text, item=item)


def do_dismiss(owner: Distributor, item: RadarItem) -> RadarItem:
    _own_item(item, owner)
    item.state = RadarItem.State.DISMISSED
    item.acted_at = timezone.now()
    item.save(update_fields=["state", "acted_at"])
    return item


# --------------------------------------------------------------------------- notifications


def do_mark_read(member: Distributor, ids: list[int] | None = None) -> int:
    notes = Notification.objects.filter(recipient_id=member.pk, read_at__isnull=True)
    if ids is not None:
        notes = notes.filter(pk__in=ids)
    return notes.update(read_at=timezone.now())


def do_save_preferences(
    member: Distributor, prefs: dict, time_zone: str = ""
) -> NotificationSettings:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    clean: dict[str, dict] = {}
    for kind, value in prefs.items():
        if kind not in notify.DEFAULTS:
            raise ValidationError({"kind": _("Unknown kind of notification: %(k)s") % {"k": kind}})
        email = value.get("email", "off")
        if email not in notify.EMAIL_CHOICES:
            raise ValidationError({f"{kind}-email": _("Choose off, immediate or digest.")})
        clean[kind] = {
            "in_app": bool(value.get("in_app")),
            "email": email,
            "push": bool(value.get("push")),
        }
    if time_zone:
        try:
            ZoneInfo(time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValidationError(
                {"time_zone": _("Unknown time zone: %(z)s") % {"z": time_zone}}
            ) from None
    stored, _created = NotificationSettings.objects.update_or_create(
        member=member, defaults={"prefs": clean, "time_zone": time_zone}
    )
    return stored


def do_subscribe_push(
    member: Distributor, *, endpoint: str, p256dh: str, auth: str
) -> PushSubscription:
    if not endpoint.startswith(("https://", "http://127.0.0.1", "http://localhost")):
        raise ValidationError({"endpoint": _("A push endpoint must be an https address.")})
    if not p256dh or not auth:
        raise ValidationError({"keys": _("The subscription has no keys.")})
    sub, _created = PushSubscription.objects.update_or_create(
        endpoint=endpoint,
        defaults={"member": member, "p256dh": p256dh, "auth": auth, "failures": 0},
    )
    return sub


# --------------------------------------------------------------------------- mentors


def _may_manage(user, leader: Distributor | None, member: Distributor, mentor: Distributor) -> bool:
    """Staff with the ``growth`` capability, or an upline leader with ``member`` below them
    and ``mentor`` being themselves or below them (enrollment tree)."""
    from downline.accounts.console import can

    if user is not None and getattr(user, "is_authenticated", False) and can(user, "growth"):
        return True
    if leader is None or member.pk == leader.pk:
        return False
    return in_downline(leader, member, "enrollment") and in_downline(leader, mentor, "enrollment")


def do_assign_mentor(
    member: Distributor,
    mentor: Distributor,
    *,
    user=None,
    leader: Distributor | None = None,
    note: str = "",
) -> MentorAssignment:
    """Give ``member`` a mentor without changing the genealogy. Allowed to staff with the
    ``growth`` capability and to an upline leader who has both in their own team (or is the
    mentor)."""
    if mentor.pk == member.pk:
        raise ValidationError({"mentor": _("A member cannot mentor themselves.")})
    if mentor.is_customer or mentor.status != Distributor.Status.ACTIVE:
        raise ValidationError({"mentor": _("The mentor must be an active distributor.")})
    if not _may_manage(user, leader, member, mentor):
        raise PermissionDenied(
            _("Only the company or an upline leader of both may assign a mentor.")
        )
    with transaction.atomic():
        now = timezone.now()
        MentorAssignment.objects.filter(member=member, ended_at__isnull=True).update(ended_at=now)
        assignment = MentorAssignment.objects.create(
            member=member, mentor=mentor, assigned_by=user, note=note[:2000]
        )
        outbox.record_event(
            outbox.MENTOR_ASSIGNED,
            {"member": member.pk, "mentor": mentor.pk, "assignment": assignment.pk},
            member_id=member.pk,
        )
    return assignment


def do_end_mentor(assignment: MentorAssignment) -> MentorAssignment:
    assignment.ended_at = timezone.now()
    assignment.save(update_fields=["ended_at"])
    return assignment


# --------------------------------------------------------------------------- sponsor change


def min_inactive_days() -> int:
    return int(getattr(settings, "DOWNLINE_SPONSOR_CHANGE_MIN_INACTIVE_DAYS", 180))


def no_change_days() -> int:
    return int(getattr(settings, "DOWNLINE_SPONSOR_CHANGE_NO_CHANGE_DAYS", 30))


def policy_checks(member: Distributor, *, consent: bool, today: date | None = None) -> list[dict]:
    """The policy's conditions with their figures (keys + numbers, rendered when shown)."""
    today = today or company_today()
    old = member.sponsor
    last = (
        Order.objects.filter(distributor=old, returns_order__isnull=True)
        .order_by("-paid_at")
        .values_list("paid_at", flat=True)
        .first()
    )
    since = timezone.localdate(last) if last else old.joined_on
    inactive_days = (today - since).days
    joined_days = (today - member.joined_on).days
    return [
        {
            "key": "old_sponsor_inactive",
            "ok": inactive_days >= min_inactive_days(),
            "days": inactive_days,
            "required": min_inactive_days(),
        },
        {"key": "old_sponsor_consent", "ok": bool(consent)},
        {
            "key": "not_just_joined",
            "ok": joined_days >= no_change_days(),
            "days": joined_days,
            "required": no_change_days(),
        },
    ]


def policy_met(checks: list[dict], *, staff: bool) -> bool:
    by = {c["key"]: c["ok"] for c in checks}
    if not (by["old_sponsor_inactive"] or by["old_sponsor_consent"]):
        return False
    return staff or by["not_just_joined"]


def do_request_sponsor_change(
    member: Distributor,
    new_sponsor: Distributor,
    *,
    user=None,
    requester: Distributor | None = None,
    reason: str,
    consent: bool = False,
) -> SponsorChangeRequest:
    """A request to move ``member`` under ``new_sponsor``, by the member, an upline member of
    theirs or staff (capability ``growth``); refused when the policy's conditions fail."""
    from downline.accounts.console import can

    staff = user is not None and getattr(user, "is_authenticated", False) and can(user, "growth")
    if requester is not None and requester.pk == member.pk:
        role = "member"
    elif requester is not None and in_downline(requester, member, "enrollment"):
        role = "upline"
    elif staff:
        role = "staff"
    else:
        raise PermissionDenied(_("Only the member, their upline or the company may ask for this."))
    if member.sponsor_id is None:
        raise ValidationError({"member": _("The root of the network has no sponsor.")})
    if new_sponsor.pk in (member.pk, member.sponsor_id):
        raise ValidationError({"new_sponsor": _("Choose a sponsor other than the current one.")})
    if new_sponsor.is_customer:
        raise ValidationError({"new_sponsor": _("A retail customer cannot sponsor.")})
    if in_downline(member, new_sponsor, "enrollment"):
        raise ValidationError({"new_sponsor": _("The new sponsor is in the member's own team.")})
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the sponsor should change.")})
    if SponsorChangeRequest.objects.filter(member=member, state="pending").exists():
        raise ValidationError({"member": _("A request for this member is already waiting.")})
    checks = policy_checks(member, consent=consent)
    if not policy_met(checks, staff=role == "staff"):
        failed = [c["key"] for c in checks if not c["ok"]]
        raise ValidationError(
            {
                "policy": _(
                    "The policy's conditions are not met: the old sponsor must have been "
                    "inactive for %(days)s days or agree in writing, and a member who joined "
                    "less than %(join)s days ago can only be moved by the company (%(failed)s)."
                )
                % {
                    "days": min_inactive_days(),
                    "join": no_change_days(),
                    "failed": ", ".join(failed),
                }
            }
        )
    return SponsorChangeRequest.objects.create(
        member=member,
        old_sponsor_id=member.sponsor_id,
        new_sponsor=new_sponsor,
        requested_by=user,
        requester_role=role,
        reason=reason[:2000],
        old_sponsor_consent=consent,
        checks=checks,
    )


def do_decide_sponsor_change(
    request: SponsorChangeRequest, *, user, approve: bool, note: str = ""
) -> SponsorChangeRequest:
    """The company's decision; an approval moves the member with genealogy's own action
    (audited as its structure event) and records ``sponsor.changed``."""
    from downline.accounts.console import can
    from downline.genealogy.actions import do_change_sponsor, do_move
    from downline.genealogy.errors import NetworkIntegrityError

    if not can(user, "growth"):
        raise PermissionDenied(_("Only staff with the growth role decide sponsor changes."))
    if request.state != SponsorChangeRequest.State.PENDING:
        raise ValidationError({"state": _("This request was already decided.")})
    if request.requested_by_id and request.requested_by_id == user.pk:
        raise ValidationError({"decided_by": _("Someone other than the requester must decide.")})
    request.decided_by, request.decided_at, request.decision_note = (
        user,
        timezone.now(),
        note[:2000],
    )
    if not approve:
        request.state = SponsorChangeRequest.State.REJECTED
        request.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
        return request
    try:
        with transaction.atomic():
            member = Distributor.objects.get(pk=request.member_id)
            if member.sponsor_id != request.old_sponsor_id:
                raise ValidationError(
                    {"state": _("The member's sponsor changed since the request.")}
                )
            why = f"sponsor-change request #{request.pk}: {request.reason}"[:500]
            try:
                with transaction.atomic():
                    event = do_change_sponsor(member, request.new_sponsor, actor=user, reason=why)
            except NetworkIntegrityError as error:
                if error.code != "outside_sponsor":
                    raise
                # the placement must move too: spill over under the new sponsor
                events = do_move(member, sponsor=request.new_sponsor, actor=user, reason=why)
                event = events[-1]
            request.state = SponsorChangeRequest.State.APPROVED
            request.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
            outbox.record_event(
                outbox.SPONSOR_CHANGED,
                {
                    "member": member.pk,
                    "old_sponsor": request.old_sponsor_id,
                    "new_sponsor": request.new_sponsor_id,
                    "request": request.pk,
                    "structure_event": event.pk,
                },
                member_id=member.pk,
            )
    except NetworkIntegrityError as error:
        logger.warning("sponsor change #%s refused: %r %s", request.pk, error, error.messages)
        request.state = SponsorChangeRequest.State.FAILED
        request.decision_note = (note + "\n" + " ".join(error.messages)).strip()[:2000]
        request.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
    return request
