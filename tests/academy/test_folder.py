"""Import and export of a course folder; texts, translations and sanitising."""

from __future__ import annotations

import pytest
import yaml

from downline.academy.actions import do_save_lesson_text
from downline.academy.folder import (
    FolderError,
    export_course,
    export_tracks,
    import_course,
    import_folder,
)
from downline.academy.models import Course, Lesson, LessonText, Question, Track
from downline.academy.selectors import translation_status
from downline.academy.texts import pick, render_markdown

from .conftest import FIXTURES, lesson


def _snapshot(course: Course) -> dict:
    lessons = []
    for item in Lesson.objects.filter(course=course).order_by("position"):
        texts = sorted((t.language, t.title, t.body) for t in item.texts.all())
        questions = []
        if item.kind == "quiz":
            for q in item.quiz.questions.order_by("position"):
                questions.append(
                    (q.kind, q.text, q.explanation, [(c.text, c.correct) for c in q.choices.all()])
                )
        lessons.append(
            (item.module.key, item.key, item.kind, item.minutes, texts, questions,
             sorted(r.key for r in item.requires.all()))
        )  # fmt: skip
    return {
        "course": (course.slug, course.area, course.title, course.summary, course.certificate_key,
                   course.certificate_pass_mark, course.certificate_valid_months),
        "lessons": lessons,
    }  # fmt: skip


def test_import_reads_every_part(course):
    assert course.status == Course.Status.PUBLISHED
    assert course.certificate_key == "compliance-basics"
    assert course.certificate_valid_months == 12
    assert [item.key for item in course.lessons.order_by("position")] == [
        "income-claims", "product-claims", "claims-quiz",
    ]  # fmt: skip
    first = lesson("income-claims")
    assert (
        LessonText.objects.get(lesson=first, language="ru").title == "Что такое заявление о доходе"
    )
    assert [r.key for r in lesson("product-claims").requires.all()] == ["income-claims"]
    quiz = lesson("claims-quiz").quiz
    assert (quiz.pass_mark, quiz.max_attempts, quiz.wait_minutes) == (80, 3, 60)
    assert list(quiz.questions.values_list("kind", flat=True)) == [
        "single", "multiple", "ordering", "single", "single",
    ]  # fmt: skip
    track = Track.objects.get(key="first-30-days")
    assert [(i.lesson.key if i.lesson else i.action) for i in track.items.all()] == [
        "income-claims", "first_order", "first_customer", "product-claims",
    ]  # fmt: skip


def test_round_trip(course, tmp_path):
    before = _snapshot(course)
    out = export_course(course, tmp_path / "out")
    export_tracks(tmp_path / "tracks.yaml")
    assert (out / "claims" / "income-claims.ru.md").read_text().startswith("# Что такое")
    Course.objects.all().delete()
    Track.objects.all().delete()
    again = import_course(out)
    assert _snapshot(again) == before
    assert again.status == Course.Status.PUBLISHED
    # a second export of the re-imported course is byte for byte the first one
    second = export_course(again, tmp_path / "out2")
    for path in out.rglob("*"):
        if path.is_file():
            assert (second / path.relative_to(out)).read_bytes() == path.read_bytes(), path


def test_reimport_keeps_progress_of_kept_lessons(course, net):
    from downline.academy.actions import do_complete_lesson

    do_complete_lesson(net.alice, lesson("income-claims"))
    import_folder(FIXTURES)
    from downline.academy.models import LessonProgress

    assert LessonProgress.objects.filter(member=net.alice, state="completed").count() == 1


def test_errors_name_file_and_field(tmp_path, db):
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "course.yaml").write_text(
        yaml.safe_dump({"slug": "bad", "area": "nonsense", "title": {"en": "x"}, "modules": []})
    )
    with pytest.raises(FolderError) as error:
        import_course(folder)
    assert "course.yaml" in str(error.value)
    assert "area" in str(error.value)
    (folder / "course.yaml").write_text(
        yaml.safe_dump(
            {
                "slug": "bad",
                "area": "sales",
                "title": {"en": "x"},
                "modules": [{"key": "m", "lessons": [{"key": "l", "file": "m/l"}]}],
            }
        )
    )
    with pytest.raises(FolderError, match=r"m/l\.en\.md"):
        import_course(folder)
    assert not Course.objects.filter(slug="bad").exists()  # nothing partial


def test_markdown_is_sanitised():
    html = render_markdown(
        "# T\n\n<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n"
        '<video controls src="/academy/files/academy/video/a.mp4">'
        '<track kind="captions" src="/academy/files/academy/video/a.vtt" srclang="en"></video>\n\n'
        "[x](javascript:alert(1))"
    )
    assert "<script" not in html
    assert "onerror" not in html
    assert 'href="javascript' not in html
    assert "<video controls" in html
    assert '<track kind="captions"' in html


def test_pick_falls_back_to_source_language():
    assert pick({"en": "Hello", "ru": "Привет"}, "ru") == "Привет"
    assert pick({"en": "Hello", "de": "Hallo"}, "pl", "de") == "Hallo"
    assert pick({"en": "Hello"}, "pl", "de") == "Hello"


def test_translation_markers(course):
    item = lesson("income-claims")
    assert translation_status(item) == {
        "en": "source", "ru": "current", "pl": "missing", "de": "missing",
    }  # fmt: skip
    do_save_lesson_text(item, language="en", title="What is an income claim", body="Changed.")
    item.refresh_from_db()
    assert item.version == 2
    assert translation_status(item)["ru"] == "outdated"
    do_save_lesson_text(item, language="ru", title="Заявление", body="Изменено.")
    assert translation_status(item)["ru"] == "current"


def test_question_bank_texts(course):
    question = Question.objects.filter(kind="ordering").get()
    assert pick(question.text, "ru").startswith("Расставьте")
