"""A distributor's own webinar page (``outreach/webinars/<id>/attend/``): the member registers
themselves for training, finds their join link, and after a missed session watches the replay
to the end. Attending completes the webinar's academy lesson (``webinars`` module docstring)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.csp import CSP
from django.utils.translation import gettext as _
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_http_methods

from downline.academy.access import Locked
from downline.genealogy.access import member_required
from downline.genealogy.models import Distributor

from . import pages
from .models import Registration, Webinar, pick
from .webinars import (
    do_record_replay_watched,
    do_register_member,
    next_session,
    own_registration,
    replay_source,
)


def _state(registration: Registration | None, webinar: Webinar, now) -> str:
    """``none`` (not registered), ``ahead`` (session to come or running), ``attended``,
    ``missed`` (over, not attended) for the member's own registration."""
    if registration is None:
        return "none"
    if registration.attended:
        return "attended"
    end = registration.session_at + timedelta(minutes=webinar.duration_minutes)
    return "missed" if now >= end else "ahead"


@csp_override({**settings.SECURE_CSP, "media-src": [CSP.SELF, "https:"]})
@member_required
@require_http_methods(["GET", "POST"])
def webinar_training(request: HttpRequest, member: Distributor, webinar_id: int) -> HttpResponse:
    webinar = get_object_or_404(Webinar.objects.select_related("lesson"), pk=webinar_id)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "register":
                do_register_member(webinar, member, time_zone=request.POST.get("tz", "")[:64])
                messages.success(
                    request, _("You are registered. The invitation is on its way to you.")
                )
            elif action == "replay":
                registration = get_object_or_404(
                    Registration,
                    pk=request.POST.get("registration") or 0,
                    webinar=webinar,
                    owner=member,
                    contact_id=None,
                )
                do_record_replay_watched(registration)
                if request.headers.get("Accept", "").startswith("application/json"):
                    return JsonResponse({"attended": True})
                messages.success(request, _("Thank you for watching the replay."))
        except (Locked, ValidationError) as error:
            text = str(error) if isinstance(error, Locked) else " ".join(error.messages)
            if request.headers.get("Accept", "").startswith("application/json"):
                return JsonResponse({"error": text}, status=400)
            messages.error(request, text)
        return redirect("outreach:webinar_training", webinar.pk)
    now = timezone.now()
    language = request.LANGUAGE_CODE[:2]
    registration = own_registration(webinar, member)
    state = _state(registration, webinar, now)
    return render(
        request,
        "outreach/webinar_training.html",
        {
            "webinar": webinar,
            "title": webinar.title(language),
            "description": pages.markdown(pick(webinar.content, language, "description")),
            "session": next_session(webinar, now),
            "registration": registration,
            "state": state,
            "replay_video": replay_source(webinar) if state == "missed" else "",
        },
    )
