"""A course as a folder of Markdown and YAML, so companies keep courses in version control.

Layout (``docs/academy.md`` has the full description)::

    courses/<slug>/course.yaml        slug, area, source_language, certificate, title, summary,
                                      modules → lessons (key, minutes, requires, file, quiz,
                                      kind: markdown | webinar | scorm, scorm: <file>.zip)
    courses/<slug>/<file>.<lang>.md   a lesson's text; its first ``# `` heading is the title
    courses/<slug>/<file>.yaml        a quiz: questions with kind, text, explanation, choices
    courses/tracks.yaml               tracks and their items (lessons and business actions)

``import_course(path)`` creates or updates the course of ``course.yaml`` in one transaction:
modules and lessons are matched by key (progress of kept lessons stays), those no longer in the
folder are removed, quizzes are rewritten. Errors name the file and the field.
``export_course(course, path)`` writes the same layout back; import → export → import gives
the same course.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.utils import timezone

from .models import (
    LANGUAGES,
    Choice,
    Course,
    Lesson,
    LessonText,
    Module,
    Question,
    Quiz,
    Track,
    TrackItem,
)

_KEY = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_HEADING = re.compile(r"\A\s*#\s+(.+?)\s*\n")


class FolderError(ValidationError):
    """A course folder that cannot be imported; the message names the file and field."""


def _fail(where: Path | str, message: str) -> FolderError:
    return FolderError(f"{where}: {message}")


def _load_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise _fail(path, "file not found") from None
    except yaml.YAMLError as error:
        raise _fail(path, f"not valid YAML ({error})") from None


def _texts(value: Any, where: str) -> dict[str, str]:
    if value is None:
        return {}
    if isinstance(value, str):
        return {"en": value}
    if not isinstance(value, dict):
        raise FolderError(f"{where}: expected a map of language → text")
    out = {}
    for code, text in value.items():
        if code not in LANGUAGES:
            raise FolderError(f"{where}: unknown language {code!r} (use {', '.join(LANGUAGES)})")
        if text:
            out[code] = str(text).strip()
    return out


def _key(value: Any, where: str) -> str:
    if not isinstance(value, str) or not _KEY.match(value):
        raise FolderError(f"{where}: {value!r} is not a key (lower-case letters, digits, - and _)")
    return value


def split_markdown(text: str) -> tuple[str, str]:
    """(title, body) of a lesson file: the first ``# `` heading and the rest."""
    match = _HEADING.match(text)
    if match is None:
        return "", text.strip()
    return match.group(1).strip(), text[match.end() :].strip()


@transaction.atomic
def import_course(folder: str | Path, *, publish: bool | None = None) -> Course:
    """Create or update the course in ``folder`` (see the module docstring)."""
    folder = Path(folder)
    meta_path = folder / "course.yaml"
    meta = _load_yaml(meta_path)
    if not isinstance(meta, dict):
        raise _fail(meta_path, "expected a map at the top")
    where = str(meta_path)
    slug = _key(meta.get("slug"), f"{where}: slug")
    area = meta.get("area")
    if area not in Course.Area.values:
        raise _fail(meta_path, f"area {area!r} is not one of {', '.join(Course.Area.values)}")
    source = meta.get("source_language", "en")
    if source not in LANGUAGES:
        raise _fail(meta_path, f"source_language {source!r} is not one of {', '.join(LANGUAGES)}")
    title = _texts(meta.get("title"), f"{where}: title")
    if not title.get(source):
        raise _fail(meta_path, f"title: the source language ({source}) is required")
    cert = meta.get("certificate") or {}
    if cert and not isinstance(cert, dict):
        raise _fail(meta_path, "certificate: expected a map with key, pass_mark, valid_months")
    course = Course.objects.filter(slug=slug).first() or Course(slug=slug)
    course.area, course.source_language = area, source
    course.title = title
    course.summary = _texts(meta.get("summary"), f"{where}: summary")
    course.position = int(meta.get("position", course.position or 0))
    course.certificate_key = _key(cert["key"], f"{where}: certificate.key") if cert else ""
    course.certificate_pass_mark = int(cert.get("pass_mark", 0)) if cert else 0
    course.certificate_valid_months = cert.get("valid_months") if cert else None
    if "version" in meta:
        course.version = int(meta["version"])
    status = meta.get("status")
    if publish is not None:
        status = "published" if publish else "draft"
    if status in Course.Status.values:
        course.status = status
    if course.status == Course.Status.PUBLISHED and course.published_at is None:
        course.published_at = timezone.now()
    course.save()

    modules = meta.get("modules") or []
    if not isinstance(modules, list) or not modules:
        raise _fail(meta_path, "modules: a list of at least one module is required")
    kept_modules, kept_lessons, requires = [], [], {}
    position = 0
    for m_index, m in enumerate(modules):
        m_where = f"{where}: modules[{m_index}]"
        key = _key(m.get("key"), f"{m_where}.key")
        module, _created = Module.objects.update_or_create(
            course=course,
            key=key,
            defaults={"position": m_index + 1, "title": _texts(m.get("title"), f"{m_where}.title")},
        )
        kept_modules.append(module.pk)
        for l_index, item in enumerate(m.get("lessons") or []):
            l_where = f"{m_where}.lessons[{l_index}]"
            position += 1
            lesson = _import_lesson(folder, course, module, item, position, l_where)
            kept_lessons.append(lesson.pk)
            requires[lesson] = [
                _key(k, f"{l_where}.requires") for k in (item.get("requires") or [])
            ]
    course.lessons.exclude(pk__in=kept_lessons).delete()
    course.modules.exclude(pk__in=kept_modules).delete()
    by_key = {lesson.key: lesson for lesson in requires}
    for lesson, keys in requires.items():
        missing = [k for k in keys if k not in by_key]
        if missing:
            raise _fail(meta_path, f"lesson {lesson.key}: requires unknown lessons {missing}")
        lesson.requires.set([by_key[k] for k in keys])
    return course


def _import_lesson(
    folder: Path, course: Course, module: Module, item: dict, position: int, where: str
) -> Lesson:
    key = _key(item.get("key"), f"{where}.key")
    file = item.get("file")
    if not isinstance(file, str) or not file or ".." in file:
        raise FolderError(f"{where}.file: a path inside the course folder is required")
    quiz_meta = item.get("quiz")
    kind = _lesson_kind(item, where)
    lesson = Lesson.objects.filter(course=course, key=key).first() or Lesson(course=course, key=key)
    lesson.module, lesson.kind, lesson.position = module, kind, position
    lesson.minutes = int(item.get("minutes", 5))
    lesson.required = bool(item.get("required", True))
    for field in ("video", "captions", "attachment"):
        name = item.get(field)
        if name:
            path = folder / name
            if not path.is_file() or ".." in name:
                raise FolderError(f"{where}.{field}: file {name} not found in the folder")
            with path.open("rb") as handle:
                getattr(lesson, field).save(f"{course.slug}-{path.name}", File(handle), save=False)
    if kind == Lesson.Kind.SCORM and item.get("scorm"):
        _import_scorm(folder, course, lesson, str(item["scorm"]), f"{where}.scorm")
    lesson.save()

    titles = _texts(item.get("title"), f"{where}.title")
    if kind == Lesson.Kind.QUIZ:
        _import_quiz(folder / f"{file}.yaml", lesson, quiz_meta or {}, titles)
        return lesson
    texts = {}
    for code in LANGUAGES:
        path = folder / f"{file}.{code}.md"
        if path.is_file():
            texts[code] = split_markdown(path.read_text(encoding="utf-8"))
    if course.source_language not in texts:
        raise FolderError(
            f"{where}.file: {file}.{course.source_language}.md (the source language) is missing"
        )
    _save_texts(lesson, {c: (titles.get(c) or t, b) for c, (t, b) in texts.items()})
    return lesson


_FOLDER_KINDS = (Lesson.Kind.MARKDOWN, Lesson.Kind.WEBINAR, Lesson.Kind.SCORM)


def _lesson_kind(item: dict, where: str) -> str:
    """A lesson with ``quiz`` is a quiz; otherwise ``kind`` (markdown, webinar, scorm; default
    markdown). A webinar lesson's text says what to do; attending a webinar linked to it in
    outreach completes it. A SCORM lesson may name its package (``scorm: file.zip``)."""
    kind = item.get("kind")
    if item.get("quiz") is not None:
        if kind not in (None, Lesson.Kind.QUIZ):
            raise FolderError(f"{where}.kind: a lesson with quiz settings is a quiz, not {kind!r}")
        return Lesson.Kind.QUIZ
    if kind is None:
        return Lesson.Kind.MARKDOWN
    if kind not in _FOLDER_KINDS:
        raise FolderError(
            f"{where}.kind: {kind!r} is not one of {', '.join(_FOLDER_KINDS)} "
            "(a quiz is a lesson with quiz settings)"
        )
    return kind


def _import_scorm(folder: Path, course: Course, lesson: Lesson, name: str, where: str) -> None:
    from .scorm import check_package

    path = folder / name
    if ".." in name or not path.is_file():
        raise FolderError(f"{where}: file {name} not found in the folder")
    with path.open("rb") as handle:
        try:
            entry = check_package(handle, path.stat().st_size)
        except ValidationError as error:
            raise FolderError(f"{where}: {name}: {' '.join(error.messages)}") from None
        handle.seek(0)
        lesson.scorm_package.save(f"{course.slug}-{lesson.key}.zip", File(handle), save=False)
    lesson.scorm_entry = entry


def _save_texts(lesson: Lesson, texts: dict[str, tuple[str, str]]) -> None:
    source = lesson.course.source_language
    current = {t.language: t for t in LessonText.objects.filter(lesson=lesson)}
    old = current.get(source)
    if old is not None and (old.title, old.body) != texts[source]:
        lesson.version += 1
        lesson.save(update_fields=["version"])
    for code, (title, body) in texts.items():
        row = current.pop(code, None) or LessonText(lesson=lesson, language=code)
        row.title = title or lesson.key
        row.body = body
        row.source_version = lesson.version
        row.save()
    LessonText.objects.filter(pk__in=[row.pk for row in current.values()]).delete()


def _import_quiz(path: Path, lesson: Lesson, meta: dict, titles: dict[str, str]) -> None:
    data = _load_yaml(path)
    titles = titles or _texts(data.get("title"), f"{path}: title")
    if not titles:
        titles = {lesson.course.source_language: lesson.key.replace("-", " ").capitalize()}
    _save_texts(lesson, {code: (title, "") for code, title in titles.items()})
    quiz, _created = Quiz.objects.update_or_create(
        lesson=lesson,
        defaults={
            "pass_mark": int(meta.get("pass_mark", 80)),
            "draw": int(meta.get("draw", 0)),
            "max_attempts": int(meta.get("attempts", 0)),
            "wait_minutes": int(meta.get("wait_minutes", 0)),
        },
    )
    if not 0 <= quiz.pass_mark <= 100:
        raise _fail(path, "quiz.pass_mark: a percentage from 0 to 100")
    questions = data.get("questions") or []
    if not isinstance(questions, list) or not questions:
        raise _fail(path, "questions: a list of at least one question is required")
    quiz.questions.all().delete()
    for q_index, q in enumerate(questions):
        where = f"{path}: questions[{q_index}]"
        kind = q.get("kind")
        if kind not in Question.Kind.values:
            raise FolderError(
                f"{where}.kind: {kind!r} is not one of {', '.join(Question.Kind.values)}"
            )
        question = Question.objects.create(
            quiz=quiz,
            kind=kind,
            position=q_index + 1,
            text=_texts(q.get("text"), f"{where}.text"),
            explanation=_texts(q.get("explanation"), f"{where}.explanation"),
        )
        choices = q.get("choices") or []
        if kind != Question.Kind.FREE_TEXT and len(choices) < 2:
            raise FolderError(f"{where}.choices: at least two choices are required")
        if kind in (Question.Kind.SINGLE, Question.Kind.MULTIPLE) and not any(
            c.get("correct") for c in choices
        ):
            raise FolderError(f"{where}.choices: mark at least one choice correct: true")
        if kind == Question.Kind.SINGLE and sum(bool(c.get("correct")) for c in choices) != 1:
            raise FolderError(f"{where}.choices: a single-choice question has one correct choice")
        Choice.objects.bulk_create(
            Choice(
                question=question,
                position=c_index + 1,
                text=_texts(c.get("text"), f"{where}.choices[{c_index}].text"),
                correct=bool(c.get("correct")),
            )
            for c_index, c in enumerate(choices)
        )


@transaction.atomic
def import_tracks(path: str | Path) -> list[Track]:
    """Create or replace the tracks of ``tracks.yaml``."""
    path = Path(path)
    data = _load_yaml(path)
    tracks = []
    for t_index, t in enumerate(data.get("tracks") or []):
        where = f"{path}: tracks[{t_index}]"
        key = _key(t.get("key"), f"{where}.key")
        audience = t.get("audience")
        if audience not in Track.Audience.values:
            raise FolderError(f"{where}.audience: one of {', '.join(Track.Audience.values)}")
        track, _created = Track.objects.update_or_create(
            key=key,
            defaults={
                "audience": audience,
                "title": _texts(t.get("title"), f"{where}.title"),
                "position": t_index + 1,
            },
        )
        track.items.all().delete()
        items = []
        for i_index, item in enumerate(t.get("items") or []):
            i_where = f"{where}.items[{i_index}]"
            lesson = None
            action = ""
            if item.get("lesson"):
                slug, _sep, lesson_key = str(item["lesson"]).partition("/")
                lesson = Lesson.objects.filter(course__slug=slug, key=lesson_key).first()
                if lesson is None:
                    raise FolderError(f"{i_where}.lesson: no lesson {item['lesson']}")
            else:
                action = item.get("action") or ""
                if action not in TrackItem.Action.values:
                    raise FolderError(
                        f"{i_where}: a lesson or an action "
                        f"({', '.join(TrackItem.Action.values)}) is required"
                    )
            items.append(
                TrackItem(
                    track=track,
                    position=i_index + 1,
                    lesson=lesson,
                    action=action,
                    due_days=item.get("due_days"),
                    min_rank=str(item.get("min_rank") or ""),
                    unlock_days=item.get("unlock_days"),
                )
            )
        TrackItem.objects.bulk_create(items)
        tracks.append(track)
    return tracks


def import_folder(root: str | Path, *, publish: bool | None = None) -> list[Course]:
    """Every course folder under ``root`` (each with a course.yaml), then ``tracks.yaml``."""
    root = Path(root)
    courses = [
        import_course(path.parent, publish=publish) for path in sorted(root.glob("*/course.yaml"))
    ]
    if (root / "tracks.yaml").is_file():
        import_tracks(root / "tracks.yaml")
    return courses


# --- export ---------------------------------------------------------------------------------


def _dump(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100), encoding="utf-8"
    )


def export_course(course: Course, folder: str | Path) -> Path:
    """Write ``course`` as a folder (see the module docstring); returns the folder."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    meta: dict[str, Any] = {
        "slug": course.slug,
        "area": course.area,
        "source_language": course.source_language,
        "status": course.status,
        "version": course.version,
    }
    if course.certificate_key:
        meta["certificate"] = {
            "key": course.certificate_key,
            "pass_mark": course.certificate_pass_mark,
            "valid_months": course.certificate_valid_months,
        }
    meta["title"] = dict(course.title)
    meta["summary"] = dict(course.summary)
    modules = []
    for module in course.modules.order_by("position", "id"):
        lessons = []
        for lesson in module.lessons.order_by("position", "id").prefetch_related("requires"):
            file = f"{module.key}/{lesson.key}"
            entry: dict[str, Any] = {"key": lesson.key, "minutes": lesson.minutes}
            if not lesson.required:
                entry["required"] = False
            needs = sorted(r.key for r in lesson.requires.all())
            if needs:
                entry["requires"] = needs
            texts = {t.language: t for t in lesson.texts.all()}
            if lesson.kind == Lesson.Kind.QUIZ:
                quiz = lesson.quiz
                entry["quiz"] = {
                    "pass_mark": quiz.pass_mark,
                    "draw": quiz.draw,
                    "attempts": quiz.max_attempts,
                    "wait_minutes": quiz.wait_minutes,
                }
                entry["title"] = {c: t.title for c, t in sorted(texts.items())}
                _export_quiz(quiz, folder / f"{file}.yaml")
            else:
                if lesson.kind != Lesson.Kind.MARKDOWN:
                    entry["kind"] = lesson.kind
                if lesson.kind == Lesson.Kind.SCORM and lesson.scorm_package:
                    entry["scorm"] = f"{file}.zip"
                    target = folder / f"{file}.zip"
                    target.parent.mkdir(parents=True, exist_ok=True)
                    with lesson.scorm_package.open("rb") as handle:
                        target.write_bytes(handle.read())
                for code, text in texts.items():
                    path = folder / f"{file}.{code}.md"
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_text(f"# {text.title}\n\n{text.body}\n", encoding="utf-8")
            entry["file"] = file
            lessons.append(entry)
        modules.append({"key": module.key, "title": dict(module.title), "lessons": lessons})
    meta["modules"] = modules
    _dump(folder / "course.yaml", meta)
    return folder


def _export_quiz(quiz: Quiz, path: Path) -> None:
    questions = []
    for question in quiz.questions.order_by("position", "id").prefetch_related("choices"):
        entry: dict[str, Any] = {"kind": question.kind, "text": dict(question.text)}
        if question.explanation:
            entry["explanation"] = dict(question.explanation)
        if question.kind != Question.Kind.FREE_TEXT:
            entry["choices"] = [
                {"text": dict(c.text), "correct": c.correct} for c in question.choices.all()
            ]
        questions.append(entry)
    _dump(path, {"questions": questions})


def export_tracks(path: str | Path) -> Path:
    path = Path(path)
    tracks = []
    for track in Track.objects.prefetch_related("items__lesson__course"):
        items = []
        for item in track.items.all():
            entry: dict[str, Any] = (
                {"lesson": f"{item.lesson.course.slug}/{item.lesson.key}"}
                if item.lesson_id
                else {"action": item.action}
            )
            for field in ("due_days", "min_rank", "unlock_days"):
                if getattr(item, field):
                    entry[field] = getattr(item, field)
            items.append(entry)
        tracks.append(
            {
                "key": track.key,
                "audience": track.audience,
                "title": dict(track.title),
                "items": items,
            }
        )
    _dump(path, {"tracks": tracks})
    return path
