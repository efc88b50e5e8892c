"""Distributor pages of the academy and the public certificate verification page.

Views are thin: guards (``member_required``), then actions and selectors. A locked lesson
answers 403 with the reason, for the page and for every POST (quiz, completion, SCORM).
"""

from __future__ import annotations

import json
import mimetypes
import posixpath
import zipfile

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseForbidden,
    JsonResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.csp import CSP
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_POST

from downline.genealogy.access import member_required
from downline.genealogy.models import Distributor

from . import actions, selectors
from .access import Locked, lock_reason
from .models import Certificate, Course, Lesson, LessonProgress, Question, Quiz, QuizAttempt
from .pdf import certificate_pdf
from .texts import pick, render_markdown


def _lang() -> str:
    return (get_language() or "en")[:2]


def _published_lesson(lesson_id: int) -> Lesson:
    lesson = get_object_or_404(
        Lesson.objects.select_related("course", "module"),
        pk=lesson_id,
        course__status=Course.Status.PUBLISHED,
    )
    return lesson


def _locked(request: HttpRequest, lesson: Lesson, reason: str) -> HttpResponse:
    html = render_to_string(
        "academy/locked.html", {"lesson": lesson, "reason": reason}, request=request
    )
    return HttpResponseForbidden(html)


@member_required
def home(request: HttpRequest, member: Distributor) -> HttpResponse:
    return render(
        request,
        "academy/home.html",
        {
            "member": member,
            "courses": selectors.course_progress(member),
            "card": selectors.dashboard_card(member),
            "certificates": selectors.certificates_of(member),
            "today": timezone.localdate(),
        },
    )


@member_required
def course(request: HttpRequest, member: Distributor, slug: str) -> HttpResponse:
    course = get_object_or_404(Course, slug=slug, status=Course.Status.PUBLISHED)
    language = _lang()
    return render(
        request,
        "academy/course.html",
        {
            "course": course,
            "title": pick(course.title, language, course.source_language),
            "summary": pick(course.summary, language, course.source_language),
            "modules": selectors.course_outline(member, course),
        },
    )


_UNREAD = object()


def _lesson_context(member, lesson: Lesson, language: str, state=_UNREAD) -> dict:
    """The lesson page's context; ``state`` is the member's progress state when the caller
    already has it (else it is read)."""
    text = selectors.lesson_text(lesson, language)
    siblings = list(
        Lesson.objects.filter(course_id=lesson.course_id)
        .order_by("module__position", "position")
        .values_list("pk", flat=True)
    )
    index = siblings.index(lesson.pk)
    if state is _UNREAD:
        state = (
            LessonProgress.objects.filter(member_id=member.pk, lesson=lesson)
            .values_list("state", flat=True)
            .first()
            if member is not None
            else None
        )
    return {
        "lesson": lesson,
        "text": text,
        "body": render_markdown(text.body if text else ""),
        "course_title": pick(lesson.course.title, language, lesson.course.source_language),
        "state": state,
        "next_id": siblings[index + 1] if index + 1 < len(siblings) else None,
        "previous_id": siblings[index - 1] if index else None,
    }


@member_required
def lesson(request: HttpRequest, member: Distributor, lesson_id: int) -> HttpResponse:
    lesson = _published_lesson(lesson_id)
    if lesson.kind == Lesson.Kind.QUIZ:
        reason = lock_reason(member, lesson)
        if reason is not None:
            return _locked(request, lesson, reason)
        return redirect("academy:quiz", lesson.pk)
    try:  # the action checks that the lesson is open (once per request, not twice)
        progress = actions.do_open_lesson(member, lesson)
    except Locked as error:
        return _locked(request, lesson, str(error))
    context = _lesson_context(member, lesson, _lang(), state=progress.state)
    if lesson.kind == Lesson.Kind.SCORM:
        context["scorm_url"] = reverse(
            "academy:scorm_file", args=[lesson.pk, lesson.scorm_entry or "index.html"]
        )
    return render(request, "academy/lesson.html", context)


@require_POST
@member_required
def complete(request: HttpRequest, member: Distributor, lesson_id: int) -> HttpResponse:
    lesson = _published_lesson(lesson_id)
    try:
        actions.do_complete_lesson(member, lesson)
    except Locked as error:
        return _locked(request, lesson, str(error))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("academy:lesson", lesson.pk)
    messages.success(request, _("Lesson completed."))
    following = request.POST.get("next")
    if following and following.isdigit():
        return redirect("academy:lesson", int(following))
    return redirect("academy:course", lesson.course.slug)


def _question_view(question: Question, language: str, source: str, attempt=None) -> dict:
    choices = list(question.choices.all())
    if question.kind == Question.Kind.ORDERING:
        choices = sorted(choices, key=lambda c: (c.text.get(source, ""), c.pk))  # not the answer
    view = {
        "q": question,
        "text": pick(question.text, language, source),
        "choices": [
            {"id": c.pk, "text": pick(c.text, language, source), "correct": c.correct}
            for c in choices
        ],
        "explanation": pick(question.explanation, language, source),
    }
    if attempt is not None:
        view["answer"] = attempt.answers.get(str(question.pk))
        view["right"] = attempt.marks.get(str(question.pk))
        if question.kind == Question.Kind.ORDERING:
            view["right_order"] = [
                pick(c.text, language, source)
                for c in sorted(question.choices.all(), key=lambda c: (c.position, c.pk))
            ]
    return view


@member_required
def quiz(request: HttpRequest, member: Distributor, lesson_id: int) -> HttpResponse:
    lesson = _published_lesson(lesson_id)
    reason = lock_reason(member, lesson)
    if reason is not None:
        return _locked(request, lesson, reason)
    quiz = get_object_or_404(Quiz, lesson=lesson)
    language, source = _lang(), lesson.course.source_language
    if request.method == "POST":
        try:
            if request.POST.get("start"):
                actions.do_start_attempt(member, quiz)
                return redirect("academy:quiz", lesson.pk)
            attempt = get_object_or_404(
                QuizAttempt, pk=request.POST.get("attempt"), member_id=member.pk, quiz=quiz
            )
            answers = {}
            for qid in attempt.question_ids:
                values = request.POST.getlist(f"q{qid}")
                order = request.POST.get(f"order{qid}")
                if order:
                    values = [v for v in order.split(",") if v.strip()]
                text = request.POST.get(f"text{qid}")
                answers[qid] = text if text is not None else [int(v) for v in values if v.isdigit()]
            attempt = actions.do_submit_attempt(attempt, answers)
            return redirect(reverse("academy:quiz", args=[lesson.pk]) + f"?attempt={attempt.pk}")
        except Locked as error:
            return _locked(request, lesson, str(error))
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("academy:quiz", lesson.pk)
    attempts = selectors.attempts_of(member, quiz)
    open_attempt = next((a for a in attempts if a.status == QuizAttempt.Status.OPEN), None)
    shown = None
    if request.GET.get("attempt"):
        shown = next((a for a in attempts if str(a.pk) == request.GET["attempt"]), None)
    context = _lesson_context(member, lesson, language)
    context.update(
        {
            "quiz": quiz,
            "attempts": attempts,
            "open_attempt": open_attempt,
            "shown": shown,
            "blocked": None if open_attempt else actions.attempt_block(member, quiz),
        }
    )
    for name, attempt in (("questions", open_attempt), ("review", shown)):
        if attempt is None:
            continue
        by_id = {
            q.pk: q
            for q in Question.objects.filter(pk__in=attempt.question_ids).prefetch_related(
                "choices"
            )
        }
        context[name] = [
            _question_view(by_id[qid], language, source, attempt if name == "review" else None)
            for qid in attempt.question_ids
            if qid in by_id
        ]
    return render(request, "academy/quiz.html", context)


@member_required
def certificates(request: HttpRequest, member: Distributor) -> HttpResponse:
    return redirect(reverse("academy:home") + "#certificates")


@member_required
def certificate_download(request: HttpRequest, member: Distributor, code: str) -> HttpResponse:
    cert = get_object_or_404(
        Certificate.objects.select_related("course"), code=code, member_id=member.pk
    )
    verify_url = request.build_absolute_uri(reverse("academy:verify", args=[cert.code]))
    pdf = certificate_pdf(cert, member, verify_url, language=_lang())
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="certificate-{cert.key}.pdf"'
    return response


def verify(request: HttpRequest, code: str) -> HttpResponse:
    """Public: whether the certificate ``code`` is valid, expired or revoked."""
    cert = get_object_or_404(Certificate.objects.select_related("course", "member"), code=code)
    language = _lang()
    return render(
        request,
        "academy/verify.html",
        {
            "cert": cert,
            "holder": cert.member.name or cert.member.member_id,
            "course_title": pick(cert.course.title, language, cert.course.source_language),
            "state": cert.state_on(timezone.localdate()),
        },
    )


@member_required
def team(request: HttpRequest, member: Distributor) -> HttpResponse:
    status = request.GET.get("status", "all")
    try:
        page = int(request.GET.get("page", "1"))
    except ValueError:
        page = 1
    report = selectors.team_report(member, status=status, page=page)
    return render(
        request,
        "academy/team.html",
        {"report": report, "status": status if status in selectors.TEAM_FILTERS else "all"},
    )


@member_required
def media(request: HttpRequest, member: Distributor, path: str) -> HttpResponse:
    """A lesson file (image, video, captions, download) from storage, for members only."""
    path = posixpath.normpath(path)
    if path.startswith(("/", "..")) or not path.startswith("academy/"):
        raise Http404
    if not default_storage.exists(path):
        raise Http404
    content_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
    if path.endswith(".vtt"):
        content_type = "text/vtt"
    return FileResponse(default_storage.open(path, "rb"), content_type=content_type)


# --- SCORM 1.2 ------------------------------------------------------------------------------


@csp_override(
    {
        **settings.SECURE_CSP,
        "frame-ancestors": [CSP.SELF],
        "script-src": [CSP.SELF, CSP.UNSAFE_INLINE],
        "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    }
)
@xframe_options_sameorigin
@member_required
def scorm_file(
    request: HttpRequest, member: Distributor, lesson_id: int, path: str
) -> HttpResponse:
    """A file of the lesson's SCORM package, read from the zip in storage."""
    lesson = _published_lesson(lesson_id)
    if lesson.kind != Lesson.Kind.SCORM or not lesson.scorm_package:
        raise Http404
    reason = lock_reason(member, lesson)
    if reason is not None:
        return _locked(request, lesson, reason)
    path = posixpath.normpath(path)
    if path.startswith(("/", "..")):
        raise Http404
    with lesson.scorm_package.open("rb") as handle, zipfile.ZipFile(handle) as package:
        try:
            data = package.read(path)
        except KeyError:
            raise Http404 from None
    content_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
    response = HttpResponse(data, content_type=content_type)
    return response


@require_POST
@member_required
def scorm_commit(request: HttpRequest, member: Distributor, lesson_id: int) -> HttpResponse:
    lesson = _published_lesson(lesson_id)
    try:
        values = json.loads(request.body or b"{}")
        if not isinstance(values, dict):
            raise ValueError
        state = actions.do_scorm_commit(member, lesson, values)
    except Locked as error:
        return JsonResponse({"error": str(error)}, status=403)
    except ValueError:
        return JsonResponse({"error": "expected a JSON object"}, status=400)
    except ValidationError as error:
        return JsonResponse({"error": " ".join(error.messages)}, status=400)
    return JsonResponse({"lesson_status": state.lesson_status, "score": state.score_raw})
