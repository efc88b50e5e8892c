"""Console pages of the academy (capability ``academy``): authoring, grading, certificates, KPIs."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from downline.accounts.console import console_required

from . import actions, selectors
from .models import (
    LANGUAGES,
    Certificate,
    Course,
    Lesson,
    LessonText,
    Module,
    Question,
    Quiz,
    QuizAttempt,
)
from .scorm import do_attach_scorm, max_bytes
from .texts import pick
from .views import _lesson_context


def _lang() -> str:
    return (get_language() or "en")[:2]


def _error(request, error: ValidationError) -> None:
    messages.error(request, " ".join(error.messages))


@console_required("academy")
def courses(request: HttpRequest) -> HttpResponse:
    language = _lang()
    rows = Course.objects.annotate(n_lessons=Count("lessons", distinct=True))
    return render(
        request,
        "academy/console/courses.html",
        {
            "courses": [(c, pick(c.title, language, c.source_language)) for c in rows],
            "areas": Course.Area.choices,
            "languages": LANGUAGES,
            "grading": selectors.grading_queue().count(),
        },
    )


def _texts_from(post, name: str) -> dict[str, str]:
    return {code: post.get(f"{name}_{code}", "").strip() for code in LANGUAGES}


@console_required("academy")
def course_edit(request: HttpRequest, course_id: int | None = None) -> HttpResponse:
    course = get_object_or_404(Course, pk=course_id) if course_id else None
    if request.method == "POST":
        post = request.POST
        try:
            months = post.get("certificate_valid_months", "").strip()
            course = actions.do_save_course(
                course,
                slug=post.get("slug", "").strip(),
                area=post.get("area", ""),
                source_language=post.get("source_language", "en"),
                title=_texts_from(post, "title"),
                summary=_texts_from(post, "summary"),
                certificate_key=post.get("certificate_key", "").strip(),
                certificate_pass_mark=int(post.get("certificate_pass_mark") or 0),
                certificate_valid_months=int(months) if months.isdigit() else None,
            )
        except (ValidationError, ValueError) as error:
            if isinstance(error, ValidationError):
                _error(request, error)
            else:
                messages.error(request, _("The pass mark must be a whole number."))
            return redirect(request.path)
        messages.success(request, _("Course saved."))
        return redirect("academy:console_course", course.pk)
    modules = []
    if course is not None:
        for module in course.modules.prefetch_related("lessons__texts", "lessons__course"):
            modules.append(
                {
                    "module": module,
                    "title": pick(module.title, _lang(), course.source_language),
                    "lessons": [
                        {
                            "lesson": lesson,
                            "title": pick(
                                {t.language: t.title for t in lesson.texts.all()},
                                _lang(),
                                course.source_language,
                            ),
                            "status": selectors.translation_status(lesson),
                        }
                        for lesson in module.lessons.all()
                    ],
                }
            )
    return render(
        request,
        "academy/console/course.html",
        {
            "course": course,
            "areas": Course.Area.choices,
            "languages": LANGUAGES,
            "modules": modules,
            "kinds": Lesson.Kind.choices,
        },
    )


@require_POST
@console_required("academy")
def course_publish(request: HttpRequest, course_id: int) -> HttpResponse:
    course = get_object_or_404(Course, pk=course_id)
    try:
        if request.POST.get("publish") == "1":
            actions.do_publish_course(course)
            messages.success(request, _("Course published."))
        else:
            actions.do_unpublish_course(course)
            messages.success(request, _("Course unpublished: distributors no longer see it."))
    except ValidationError as error:
        _error(request, error)
    return redirect("academy:console_course", course.pk)


@require_POST
@console_required("academy")
def module_add(request: HttpRequest, course_id: int) -> HttpResponse:
    course = get_object_or_404(Course, pk=course_id)
    try:
        actions.do_add_module(
            course,
            key=request.POST.get("key", "").strip(),
            title=_texts_from(request.POST, "title"),
        )
    except ValidationError as error:
        _error(request, error)
    return redirect("academy:console_course", course.pk)


@require_POST
@console_required("academy")
def lesson_add(request: HttpRequest, module_id: int) -> HttpResponse:
    module = get_object_or_404(Module.objects.select_related("course"), pk=module_id)
    try:
        lesson = actions.do_add_lesson(
            module,
            key=request.POST.get("key", "").strip(),
            kind=request.POST.get("kind", Lesson.Kind.MARKDOWN),
            minutes=int(request.POST.get("minutes") or 5),
            title=request.POST.get("title", "").strip(),
        )
    except ValidationError as error:
        _error(request, error)
        return redirect("academy:console_course", module.course_id)
    return redirect("academy:console_lesson", lesson.pk)


@console_required("academy")
def lesson_edit(request: HttpRequest, lesson_id: int) -> HttpResponse:
    lesson = get_object_or_404(Lesson.objects.select_related("course", "module"), pk=lesson_id)
    language = (
        request.GET.get("language") or request.POST.get("language") or lesson.course.source_language
    )
    if language not in LANGUAGES:
        language = lesson.course.source_language
    if request.method == "POST":
        try:
            actions.do_save_lesson_text(
                lesson,
                language=language,
                title=request.POST.get("title", ""),
                body=request.POST.get("body", ""),
            )
            messages.success(request, _("Text saved."))
        except ValidationError as error:
            _error(request, error)
        return redirect(f"{request.path}?language={language}")
    lesson.refresh_from_db()
    text = LessonText.objects.filter(lesson=lesson, language=language).first()
    source = LessonText.objects.filter(
        lesson=lesson, language=lesson.course.source_language
    ).first()
    return render(
        request,
        "academy/console/lesson.html",
        {
            "lesson": lesson,
            "language": language,
            "languages": LANGUAGES,
            "status": selectors.translation_status(lesson),
            "text": text,
            "source": source,
            "quiz": lesson.quiz if lesson.kind == Lesson.Kind.QUIZ else None,
            "questions": list(lesson.quiz.questions.prefetch_related("choices"))
            if lesson.kind == Lesson.Kind.QUIZ
            else [],
            "scorm_max_mb": max_bytes() // (1024 * 1024),
        },
    )


# --- SCORM package upload -------------------------------------------------------------------


@require_POST
@console_required("academy")
def scorm_upload(request: HttpRequest, lesson_id: int) -> HttpResponse:
    """Upload a SCORM 1.2 zip to a SCORM lesson (checked by ``scorm.check_package``)."""
    lesson = get_object_or_404(Lesson.objects.select_related("course"), pk=lesson_id)
    upload = request.FILES.get("package")
    if upload is None:
        messages.error(request, _("Choose a SCORM package (a zip file) to upload."))
    else:
        try:
            do_attach_scorm(lesson, upload)
        except ValidationError as error:
            _error(request, error)
        else:
            messages.success(request, _("SCORM package uploaded."))
    return redirect("academy:console_lesson", lesson.pk)


# --- quiz editor ----------------------------------------------------------------------------


def _quiz_of(lesson_id: int) -> Quiz:
    return get_object_or_404(Quiz.objects.select_related("lesson__course"), lesson_id=lesson_id)


def _whole(post, name: str) -> int:
    value = post.get(name, "").strip() or "0"
    try:
        return int(value)
    except ValueError:
        raise ValidationError(
            {name: _("%(value)s is not a whole number.") % {"value": value}}
        ) from None


@require_POST
@console_required("academy")
def quiz_settings(request: HttpRequest, lesson_id: int) -> HttpResponse:
    quiz = _quiz_of(lesson_id)
    post = request.POST
    try:
        actions.do_save_quiz_settings(
            quiz,
            pass_mark=_whole(post, "pass_mark"),
            draw=_whole(post, "draw"),
            max_attempts=_whole(post, "max_attempts"),
            wait_minutes=_whole(post, "wait_minutes"),
        )
    except ValidationError as error:
        _error(request, error)
    else:
        messages.success(request, _("Quiz settings saved."))
    return redirect("academy:console_lesson", lesson_id)


EXTRA_CHOICE_ROWS = 2


def _choices_from(post) -> list[actions.ChoiceInput]:
    """The choice rows of the question form (``choice<i>_<lang>``, ``correct<i>``), blank rows
    left out, in the order of their ``order<i>`` numbers (then as listed)."""
    rows = []
    given = post.get("choice_rows", "")
    count = min(int(given), 50) if given.isdigit() else 0
    for index in range(count):
        texts = {code: post.get(f"choice{index}_{code}", "").strip() for code in LANGUAGES}
        if not any(texts.values()):
            continue
        order = post.get(f"order{index}", "").strip()
        rank = int(order) if order.isdigit() else index + 1
        rows.append((rank, index, actions.ChoiceInput(texts, post.get(f"correct{index}") == "1")))
    return [choice for _rank, _index, choice in sorted(rows, key=lambda r: (r[0], r[1]))]


@console_required("academy")
def question_edit(
    request: HttpRequest, lesson_id: int, question_id: int | None = None
) -> HttpResponse:
    """Create or change a question: kind, texts and explanations in the four languages, choices
    with the correct ones (ordering: the right order). An error shows the form again as typed."""
    quiz = _quiz_of(lesson_id)
    question = get_object_or_404(Question, pk=question_id, quiz=quiz) if question_id else None
    post = request.POST if request.method == "POST" else None
    error_text = ""
    if post is not None:
        try:
            saved = actions.do_save_question(
                quiz,
                question,
                kind=post.get("kind", ""),
                text=_texts_from(post, "text"),
                explanation=_texts_from(post, "explanation"),
                choices=_choices_from(post),
            )
        except ValidationError as error:
            error_text = " ".join(error.messages)
        else:
            messages.success(request, _("Question saved."))
            if post.get("another"):
                return redirect("academy:console_question_new", lesson_id)
            return redirect(
                reverse("academy:console_lesson", args=[lesson_id]) + f"#question-{saved.pk}"
            )
    if post is not None:
        kind = post.get("kind", "")
        text, explanation = _texts_from(post, "text"), _texts_from(post, "explanation")
        choices = [
            {"text": c.text, "correct": c.correct, "order": i + 1}
            for i, c in enumerate(_choices_from(post))
        ]
    elif question is not None:
        kind, text, explanation = question.kind, question.text, question.explanation
        choices = [
            {"text": c.text, "correct": c.correct, "order": c.position}
            for c in question.choices.all()
        ]
    else:
        kind, text, explanation, choices = Question.Kind.SINGLE, {}, {}, []
    blank = {"text": {}, "correct": False, "order": ""}
    choices = choices + [blank] * EXTRA_CHOICE_ROWS
    response = render(
        request,
        "academy/console/question.html",
        {
            "lesson": quiz.lesson,
            "quiz": quiz,
            "question": question,
            "kind": kind,
            "kinds": Question.Kind.choices,
            "languages": LANGUAGES,
            "source": quiz.lesson.course.source_language,
            "texts": [(code, text.get(code, ""), explanation.get(code, "")) for code in LANGUAGES],
            "choices": [
                {**c, "index": i, "texts": [(code, c["text"].get(code, "")) for code in LANGUAGES]}
                for i, c in enumerate(choices)
            ],
            "choice_rows": len(choices),
            "error": error_text,
        },
    )
    if error_text:
        response.status_code = 400
    return response


@require_POST
@console_required("academy")
def question_move(request: HttpRequest, lesson_id: int, question_id: int) -> HttpResponse:
    question = get_object_or_404(Question, pk=question_id, quiz__lesson_id=lesson_id)
    actions.do_move_question(question, -1 if request.POST.get("direction") == "up" else 1)
    return redirect(
        reverse("academy:console_lesson", args=[lesson_id]) + f"#question-{question.pk}"
    )


@require_POST
@console_required("academy")
def question_delete(request: HttpRequest, lesson_id: int, question_id: int) -> HttpResponse:
    question = get_object_or_404(Question, pk=question_id, quiz__lesson_id=lesson_id)
    actions.do_delete_question(question)
    messages.success(request, _("Question deleted."))
    return redirect("academy:console_lesson", lesson_id)


@console_required("academy")
def lesson_preview(request: HttpRequest, lesson_id: int) -> HttpResponse:
    """The lesson as a distributor sees it, drafts included (nothing is recorded)."""
    lesson = get_object_or_404(Lesson.objects.select_related("course", "module"), pk=lesson_id)
    context = _lesson_context(None, lesson, request.GET.get("language") or _lang())
    context["preview"] = True
    return render(request, "academy/lesson.html", context)


@console_required("academy")
def grading(request: HttpRequest) -> HttpResponse:
    language = _lang()
    rows = []
    for attempt in selectors.grading_queue().order_by("submitted_at")[:100]:
        rows.append(
            {
                "attempt": attempt,
                "title": pick(
                    {t.language: t.title for t in attempt.quiz.lesson.texts.all()},
                    language,
                    attempt.quiz.lesson.course.source_language,
                ),
            }
        )
    return render(request, "academy/console/grading.html", {"rows": rows})


@console_required("academy")
def grade(request: HttpRequest, attempt_id: int) -> HttpResponse:
    attempt = get_object_or_404(
        QuizAttempt.objects.select_related("quiz__lesson__course"), pk=attempt_id
    )
    source = attempt.quiz.lesson.course.source_language
    free = list(Question.objects.filter(pk__in=attempt.question_ids, kind=Question.Kind.FREE_TEXT))
    if request.method == "POST":
        marks = {}
        for question in free:
            value = request.POST.get(f"q{question.pk}")
            marks[question.pk] = None if value is None else value == "right"
        try:
            actions.do_grade_attempt(attempt, marks, staff=request.user)
            messages.success(request, _("Attempt graded."))
            return redirect("academy:console_grading")
        except ValidationError as error:
            _error(request, error)
            return redirect(request.path)
    items = [
        {
            "q": q,
            "text": pick(q.text, _lang(), source),
            "explanation": pick(q.explanation, _lang(), source),
            "answer": attempt.answers.get(str(q.pk), ""),
        }
        for q in free
    ]
    return render(request, "academy/console/grade.html", {"attempt": attempt, "items": items})


@console_required("academy")
def certificates(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    rows = Certificate.objects.select_related("member", "course").order_by("-id")
    if query:
        rows = rows.filter(member__member_id=query) | rows.filter(code=query)
    return render(
        request,
        "academy/console/certificates.html",
        {"rows": rows[:100], "q": query, "today": timezone.localdate()},
    )


@require_POST
@console_required("academy")
def revoke(request: HttpRequest, cert_id: int) -> HttpResponse:
    cert = get_object_or_404(Certificate, pk=cert_id)
    try:
        actions.do_revoke_certificate(
            cert, staff=request.user, reason=request.POST.get("reason", "")
        )
        messages.success(request, _("Certificate revoked."))
    except ValidationError as error:
        _error(request, error)
    return redirect("academy:console_certificates")


@console_required("academy")
def kpis(request: HttpRequest) -> HttpResponse:
    data = selectors.kpis(_lang())
    return render(
        request,
        "academy/console/kpis.html",
        {
            "data": data,
            "labels": {
                "courses": _("Participation per course"),
                "tracks": _("Participation per track"),
                "members": _("members"),
                "started": _("started"),
                "completed": _("completed"),
                "questions": _("Right answers per question (%), weakest first"),
                "retention": _("Joiners still active (%), trained vs untrained"),
                "pv": _("PV per joiner, trained vs untrained"),
                "trained": _("trained"),
                "untrained": _("untrained"),
            },
        },
    )
