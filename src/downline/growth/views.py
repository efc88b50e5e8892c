"""Pages of the growth app: the radar, notifications and their settings, web push, team care
(mentor, sponsor change) for distributors; mentors, requests and delivery stats in the console."""

from __future__ import annotations

import json
from datetime import date, timedelta

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from downline.accounts.console import console_required
from downline.genealogy.access import member_required, visible_member
from downline.genealogy.models import Distributor

from . import actions, notify, selectors, texts
from .models import (
    FollowUp,
    MentorAssignment,
    NotificationSettings,
    RadarItem,
    SponsorChangeRequest,
)


def _errors(request, error: ValidationError | PermissionDenied) -> None:
    if isinstance(error, ValidationError):
        for text in error.messages:
            messages.error(request, text)
    else:
        messages.error(request, str(error) or _("Not allowed."))


# --------------------------------------------------------------------------- radar


@member_required
def radar(request, member):
    day, rows = selectors.radar_of(member)
    first = (member.name or "").split(" ")[0]
    language = request.LANGUAGE_CODE if hasattr(request, "LANGUAGE_CODE") else member.language
    for row in rows:
        row_name = (row.member.name or row.member.member_id).split(" ")[0]
        row.item.template_text = texts.message_template(
            row.item.reason, row.member.language or language, name=row_name, sponsor=first
        )
    return render(
        request,
        "growth/radar.html",
        {
            "day": day,
            "rows": rows,
            "open": sum(1 for r in rows if r.item.state == RadarItem.State.OPEN),
            "mentees": selectors.mentees_of(member),
            "followups": FollowUp.objects.filter(owner=member, done_at__isnull=True)
            .select_related("member")
            .order_by("due_on", "id")[:30],
            "tomorrow": timezone.localdate() + timedelta(days=1),
            "lesson_url": "/academy/",
        },
    )


def _item(member, pk: int) -> RadarItem:
    item = RadarItem.objects.filter(pk=pk, sponsor_id=member.pk).first()
    if item is None:
        raise Http404
    return item


@require_POST
@member_required
def radar_act(request, member, pk: int, action: str):
    item = _item(member, pk)
    try:
        if action == "message":
            message = actions.do_radar_message(member, item, request.POST.get("text", ""))
            if message.verdict == "review":
                messages.info(request, _("Your message waits for the compliance team's review."))
            else:
                messages.success(request, _("Message sent."))
        elif action == "followup":
            try:
                due = date.fromisoformat(request.POST.get("due_on", ""))
            except ValueError:
                raise ValidationError({"due_on": _("Give the follow-up date.")}) from None
            actions.do_create_followup(member, item, due_on=due, note=request.POST.get("note", ""))
            messages.success(request, _("Follow-up saved."))
        elif action == "invite":
            actions.do_invite(
                member,
                item,
                kind=request.POST.get("kind", ""),
                url=request.POST.get("url", ""),
                text=request.POST.get("text", ""),
            )
            messages.success(request, _("Invitation sent."))
        elif action == "dismiss":
            actions.do_dismiss(member, item)
        else:
            raise Http404
    except (ValidationError, PermissionDenied) as error:
        _errors(request, error)
    return redirect("growth:radar")


# --------------------------------------------------------------------------- notifications


@member_required
def notifications(request, member):
    if request.method == "POST":
        actions.do_mark_read(member)
        return redirect("growth:notifications")
    return render(
        request,
        "growth/notifications.html",
        {"notes": selectors.notifications_of(member)},
    )


@member_required
def notification_settings(request, member):
    stored = NotificationSettings.objects.filter(member=member).first()
    if request.method == "POST":
        prefs = {
            kind: {
                "in_app": request.POST.get(f"{kind}-in_app") == "on",
                "email": request.POST.get(f"{kind}-email", "off"),
                "push": request.POST.get(f"{kind}-push") == "on",
            }
            for kind in notify.KINDS
        }
        try:
            actions.do_save_preferences(member, prefs, request.POST.get("time_zone", "").strip())
        except ValidationError as error:
            _errors(request, error)
        else:
            messages.success(request, _("Preferences saved."))
            return redirect("growth:notification_settings")
    prefs = notify.preferences_of(member.pk, stored)
    rows = [(kind, texts.kind_label(kind), prefs[kind]) for kind in notify.KINDS]
    keys = notify.vapid_keys()
    return render(
        request,
        "growth/notification_settings.html",
        {
            "rows": rows,
            "time_zone": (stored.time_zone if stored else "") or settings.DOWNLINE_TIME_ZONE,
            "push_on": keys is not None,
            "vapid_public": keys[0] if keys else "",
            "email_choices": [
                ("off", _("off")),
                ("immediate", _("at once")),
                ("digest", _("daily digest")),
            ],
        },
    )


@require_POST
@member_required
def push_subscribe(request, member):
    if notify.vapid_keys() is None:
        return JsonResponse({"error": _("Web push is off on this server.")}, status=409)
    try:
        data = json.loads(request.body or b"{}")
        keys = data.get("keys") or {}
        actions.do_subscribe_push(
            member,
            endpoint=str(data.get("endpoint", "")),
            p256dh=str(keys.get("p256dh", "")),
            auth=str(keys.get("auth", "")),
        )
    except (ValueError, AttributeError):
        return JsonResponse({"error": _("Not a push subscription.")}, status=400)
    except ValidationError as error:
        return JsonResponse({"error": " ".join(error.messages)}, status=400)
    return JsonResponse({"ok": True})


SERVICE_WORKER = """self.addEventListener('push', function (event) {
  var data = {};
  try { data = event.data ? event.data.json() : {}; } catch (e) { data = {body: event.data && event.data.text()}; }
  event.waitUntil(self.registration.showNotification(data.title || 'Downline', {
    body: data.body || '', data: {url: data.url || '/growth/notifications/'}
  }));
});
self.addEventListener('notificationclick', function (event) {
  event.notification.close();
  event.waitUntil(clients.openWindow(event.notification.data.url));
});
"""


def service_worker(request):
    response = HttpResponse(SERVICE_WORKER, content_type="application/javascript")
    response["Service-Worker-Allowed"] = "/"
    response["Cache-Control"] = "no-cache"
    return response


# --------------------------------------------------------------------------- team care


@member_required
def team_care(request, member):
    """An upline leader assigns a mentor; a member or their upline asks for a sponsor change."""
    if request.method == "POST":
        form = request.POST.get("form")
        target = visible_member(member, request.POST.get("member_id", "").strip(), "enrollment")
        try:
            if target is None:
                raise ValidationError({"member_id": _("No such member in your team.")})
            if form == "mentor":
                mentor = visible_member(
                    member, request.POST.get("mentor_id", "").strip(), "enrollment"
                )
                if mentor is None:
                    raise ValidationError(
                        {"mentor_id": _("The mentor must be you or in your team.")}
                    )
                actions.do_assign_mentor(
                    target, mentor, leader=member, note=request.POST.get("note", "")
                )
                messages.success(request, _("Mentor assigned."))
            elif form == "sponsor":
                new = Distributor.objects.filter(
                    member_id=request.POST.get("new_sponsor_id", "").strip()
                ).first()
                if new is None:
                    raise ValidationError({"new_sponsor_id": _("No member with this id.")})
                actions.do_request_sponsor_change(
                    target,
                    new,
                    user=request.user,
                    requester=member,
                    reason=request.POST.get("reason", ""),
                    consent=request.POST.get("consent") == "on",
                )
                messages.success(request, _("Request sent to the company."))
            else:
                raise Http404
        except (ValidationError, PermissionDenied) as error:
            _errors(request, error)
        return redirect("growth:team_care")
    mine = SponsorChangeRequest.objects.filter(requested_by=request.user).select_related(
        "member", "new_sponsor"
    )[:20]
    return render(
        request,
        "growth/team_care.html",
        {"requests": mine, "mentees": selectors.mentees_of(member)},
    )


# --------------------------------------------------------------------------- console


@console_required("growth")
def console_mentors(request):
    if request.method == "POST":
        member = Distributor.objects.filter(
            member_id=request.POST.get("member_id", "").strip()
        ).first()
        mentor = Distributor.objects.filter(
            member_id=request.POST.get("mentor_id", "").strip()
        ).first()
        try:
            if member is None or mentor is None:
                raise ValidationError({"member_id": _("Give the member id of both members.")})
            actions.do_assign_mentor(
                member, mentor, user=request.user, note=request.POST.get("note", "")
            )
            messages.success(request, _("Mentor assigned."))
        except (ValidationError, PermissionDenied) as error:
            _errors(request, error)
        return redirect("growth:console_mentors")
    assignments = MentorAssignment.objects.select_related("member", "mentor", "assigned_by")[:200]
    return render(request, "growth/console_mentors.html", {"assignments": assignments})


@require_POST
@console_required("growth")
def console_mentor_end(request, pk: int):
    assignment = get_object_or_404(MentorAssignment, pk=pk, ended_at__isnull=True)
    actions.do_end_mentor(assignment)
    return redirect("growth:console_mentors")


CHECK_LABELS = {
    "old_sponsor_inactive": lambda c: (
        _("Old sponsor inactive for %(days)s days (policy: %(required)s)") % c
    ),
    "old_sponsor_consent": lambda c: _("Old sponsor's written consent"),
    "not_just_joined": lambda c: _("Member joined %(days)s days ago (policy: %(required)s)") % c,
}


@console_required("growth")
def console_requests(request):
    if request.method == "POST":
        req = get_object_or_404(SponsorChangeRequest, pk=request.POST.get("request"))
        try:
            actions.do_decide_sponsor_change(
                req,
                user=request.user,
                approve=request.POST.get("decision") == "approve",
                note=request.POST.get("note", ""),
            )
        except (ValidationError, PermissionDenied) as error:
            _errors(request, error)
        else:
            messages.success(request, _("Decision recorded."))
        return redirect("growth:console_requests")
    rows = list(selectors.pending_requests()[:200])
    for row in rows:
        row.check_rows = [
            (CHECK_LABELS[c["key"]](c) if c["key"] in CHECK_LABELS else c["key"], c["ok"])
            for c in row.checks
        ]
    return render(request, "growth/console_requests.html", {"rows": rows})


@console_required("growth")
def console_notifications(request):
    return render(request, "growth/console_notifications.html", selectors.delivery_stats())
