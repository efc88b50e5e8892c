"""Pages of the contests app: boards, recognition, points, residual income, Open Badges, and
the console (capability ``contests``). Views validate and call actions/selectors only."""

from __future__ import annotations

import re
from datetime import date

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from downline.accounts.console import console_required
from downline.core.jobs import LOOP_SLICE_SECONDS
from downline.genealogy.access import member_required
from downline.genealogy.models import Distributor

from . import actions, openbadges, selectors
from .definition import MAX_CONTEST_BYTES, ContestFileError
from .models import (
    POINT_KEYS,
    BadgeAssertion,
    BadgeClass,
    Contest,
    ContestAudit,
    FrozenResult,
    MemberSettings,
    PointLevel,
    PointRule,
)
from .residual import residual_income

POLL_SECONDS = 3


def _lang() -> str:
    return (get_language() or "en")[:2]


def _visible_contest(slug: str) -> Contest:
    contest = Contest.objects.filter(slug=slug).exclude(status=Contest.Status.DRAFT).first()
    if contest is None:
        raise Http404
    return contest


@member_required
def contest_list(request: HttpRequest, member: Distributor) -> HttpResponse:
    contests = selectors.visible_contests()
    return render(
        request,
        "contests/list.html",
        {"contests": [(c, c.title_in(_lang())) for c in contests], "member": member},
    )


def _board_context(contest: Contest, member: Distributor) -> dict:
    return {
        "contest": contest,
        "title": contest.title_in(_lang()),
        "top": selectors.board_top(contest, member),
        "around": selectors.board_around(contest, member),
        "team": selectors.board_team(contest, member),
        "country": selectors.board_country(contest, member),
        "tracker": selectors.tracker(contest, member),
        "member": member,
        "poll_seconds": POLL_SECONDS,
        "running": contest.status == Contest.Status.PUBLISHED,
    }


@member_required
def board(request: HttpRequest, member: Distributor, slug: str) -> HttpResponse:
    contest = _visible_contest(slug)
    if contest.status == Contest.Status.PUBLISHED:
        actions.do_refresh_due(contest=contest, seconds=LOOP_SLICE_SECONDS)
        contest.refresh_from_db()
    settings_row = MemberSettings.objects.filter(member=member).first()
    context = _board_context(contest, member)
    context["settings_row"] = settings_row
    return render(request, "contests/board.html", context)


@member_required
def board_live(request: HttpRequest, member: Distributor, slug: str) -> HttpResponse:
    """The boards' fragment, polled by the page every few seconds (htmx). Folds new orders
    in first: a contest is recomputed at most every ``REFRESH_SECONDS``."""
    contest = _visible_contest(slug)
    if contest.status == Contest.Status.PUBLISHED:
        actions.do_refresh_due(contest=contest, seconds=LOOP_SLICE_SECONDS)
        contest.refresh_from_db()
    return render(request, "contests/_boards.html", _board_context(contest, member))


@member_required
@require_POST
def member_settings(request: HttpRequest, member: Distributor) -> HttpResponse:
    actions.do_set_member_settings(
        member,
        board_anonymous=request.POST.get("board_anonymous") == "on",
        recognition_opt_in=request.POST.get("recognition_opt_in") == "on",
    )
    messages.success(request, _("Your choices are saved."))
    return redirect(request.POST.get("next") or "contests:list")


@member_required
def recognition(request: HttpRequest, member: Distributor) -> HttpResponse:
    settings_row = MemberSettings.objects.filter(member=member).first()
    return render(
        request,
        "contests/recognition.html",
        {
            "items": selectors.recognition_wall(),
            "settings_row": settings_row,
            "member": member,
        },
    )


@member_required
def points(request: HttpRequest, member: Distributor) -> HttpResponse:
    summary = selectors.points_summary(member.pk)
    return render(
        request,
        "contests/points.html",
        {"summary": summary, "language": _lang(), "member": member},
    )


@member_required
def residual(request: HttpRequest, member: Distributor) -> HttpResponse:
    return render(
        request, "contests/residual.html", {"residual": residual_income(member), "member": member}
    )


# --------------------------------------------------------------------------- Open Badges (public)


def badge_issuer(request: HttpRequest) -> JsonResponse:
    return JsonResponse(openbadges.issuer(request), content_type="application/ld+json")


def badge_class_json(request: HttpRequest, slug: str) -> JsonResponse:
    badge = get_object_or_404(BadgeClass, slug=slug)
    return JsonResponse(openbadges.badge_class(request, badge), content_type="application/ld+json")


def badge_image(request: HttpRequest, slug: str) -> HttpResponse:
    badge = get_object_or_404(BadgeClass, slug=slug)
    return HttpResponse(openbadges.image_svg(badge), content_type="image/svg+xml")


def badge_assertion(request: HttpRequest, uid: str) -> JsonResponse:
    item = get_object_or_404(BadgeAssertion.objects.select_related("badge", "member"), uid=uid)
    return JsonResponse(
        openbadges.assertion(request, item),
        status=410 if item.revoked_at else 200,
        content_type="application/ld+json",
    )


def badge_revocations(request: HttpRequest) -> JsonResponse:
    return JsonResponse(openbadges.revocation_list(request), content_type="application/ld+json")


# --------------------------------------------------------------------------- console


@console_required("contests")
def console_contests(request: HttpRequest) -> HttpResponse:
    issues, text = None, ""
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is not None:
            if upload.size > MAX_CONTEST_BYTES:
                issues = [_("A contest file has at most 64 KiB.")]
            else:
                text = upload.read().decode("utf-8", errors="replace")
            name = upload.name
        else:
            text = request.POST.get("source", "")
            name = "contest.yaml"
        if issues is None:
            try:
                contest = actions.do_upload_contest(text, source_name=name, actor=request.user)
            except ContestFileError as error:
                issues = error.summary().splitlines()
            except ValidationError as error:
                issues = list(error.messages)
            else:
                messages.success(
                    request, _("Contest %(slug)s saved as a draft.") % {"slug": contest.slug}
                )
                return redirect("contests:console_contest", contest.slug)
    return render(
        request,
        "contests/console/contests.html",
        {"contests": Contest.objects.all(), "issues": issues, "source": text},
    )


@console_required("contests")
def console_contest(request: HttpRequest, slug: str) -> HttpResponse:
    contest = get_object_or_404(Contest, slug=slug)
    results = FrozenResult.objects.filter(contest=contest).select_related("member")[:200]
    standings = contest.standings.select_related("member").order_by("position")[:50]
    return render(
        request,
        "contests/console/contest.html",
        {
            "contest": contest,
            "results": results,
            "standings": standings,
            "audit": ContestAudit.objects.filter(contest=contest).select_related("actor"),
            "can_freeze": contest.status == Contest.Status.PUBLISHED
            and timezone.localdate() > contest.ends_on,
        },
    )


@console_required("contests")
@require_POST
def console_publish(request: HttpRequest, slug: str) -> HttpResponse:
    contest = get_object_or_404(Contest, slug=slug)
    try:
        actions.do_publish_contest(contest, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("contests:console_contest", slug)


@console_required("contests")
@require_POST
def console_freeze(request: HttpRequest, slug: str) -> HttpResponse:
    contest = get_object_or_404(Contest, slug=slug)
    try:
        actions.do_freeze_contest(contest, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The results are frozen and published."))
    return redirect("contests:console_contest", slug)


@console_required("contests")
def console_points(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        try:
            what = request.POST.get("what")
            if what == "rule":
                actions.do_set_point_rule(
                    request.POST.get("key", ""),
                    _int(request.POST.get("points"), "points"),
                    active=request.POST.get("active") == "on",
                    actor=request.user,
                )
            elif what == "level":
                actions.do_set_level(
                    _int(request.POST.get("min_points"), "min_points"),
                    {"en": request.POST.get("name", "").strip()},
                )
            elif what == "badge":
                actions.do_define_badge(
                    request.POST.get("slug", "").strip(),
                    name={"en": request.POST.get("name", "").strip()},
                    description={"en": request.POST.get("description", "").strip()},
                    criterion=request.POST.get("criterion", ""),
                    threshold=_int(request.POST.get("threshold"), "threshold"),
                )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Saved."))
            return redirect("contests:console_points")
    rules = {rule.key: rule for rule in PointRule.objects.all()}
    return render(
        request,
        "contests/console/points.html",
        {
            "rules": [(key, rules.get(key)) for key in POINT_KEYS],
            "levels": PointLevel.objects.all(),
            "badges": BadgeClass.objects.all(),
            "criteria": BadgeClass.Criterion.choices,
        },
    )


def _int(value, name: str) -> int:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        raise ValidationError({name: _("Write a whole number.")}) from None


@console_required("contests")
def console_recognition_pdf(request: HttpRequest) -> HttpResponse:
    from .report import recognition_pdf

    month = request.GET.get("month") or timezone.localdate().strftime("%Y-%m")
    if not re.fullmatch(r"\d{4}-\d{2}", month):
        raise Http404
    year, number = (int(part) for part in month.split("-"))
    if not 1 <= number <= 12:
        raise Http404
    pdf = recognition_pdf(date(year, number, 1), _lang())
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="recognition-{month}.pdf"'
    return response
