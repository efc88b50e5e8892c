"""A webinar as an academy lesson, as the academy sees it: completed only by attendance (the
outreach side says so), once; prerequisites and certificates treat it like any lesson; the
lesson page says what to do; the course folder round-trips the kind (and SCORM packages)."""

from __future__ import annotations

import io
import zipfile

import pytest
import yaml
from django.core.files.base import ContentFile

from downline.academy import actions
from downline.academy.access import Locked
from downline.academy.folder import FolderError, export_course, import_course
from downline.academy.models import Certificate, Course, Lesson, LessonProgress
from downline.academy.scorm import do_attach_scorm
from downline.core.models import Event

from .conftest import lesson


@pytest.fixture
def webinar_lesson(course) -> Lesson:
    item = actions.do_add_lesson(
        lesson("income-claims").module,
        key="live-intro",
        kind=Lesson.Kind.WEBINAR,
        title="Attend the compliance webinar",
        body="Register and attend.",
    )
    item.requires.add(lesson("income-claims"))
    return Lesson.objects.select_related("course").get(pk=item.pk)


def test_only_attendance_completes_a_webinar_lesson(alice_client, webinar_lesson, net):
    actions.do_complete_lesson(net.alice, lesson("income-claims"))
    with pytest.raises(Exception, match="completed when you attend the webinar"):
        actions.do_complete_lesson(net.alice, webinar_lesson)
    response = alice_client.post(f"/academy/lessons/{webinar_lesson.pk}/complete/", follow=True)
    assert "completed when you attend the webinar" in response.content.decode()
    assert not LessonProgress.objects.filter(
        member=net.alice, lesson=webinar_lesson, state="completed"
    ).exists()
    actions.do_complete_lesson(net.alice, webinar_lesson, attended=True)
    actions.do_complete_lesson(net.alice, webinar_lesson, attended=True)
    assert (
        Event.objects.filter(
            kind="lesson.completed", member_id=net.alice.pk, payload__lesson=webinar_lesson.pk
        ).count()
        == 1
    )


def test_a_scorm_lesson_is_not_completed_by_hand(course, net):
    item = actions.do_add_lesson(
        lesson("income-claims").module, key="pkg", kind=Lesson.Kind.SCORM, title="Package"
    )
    with pytest.raises(Exception, match="completed by its SCORM package"):
        actions.do_complete_lesson(net.alice, item)


def test_prerequisite_blocks_the_webinar_lesson(alice_client, webinar_lesson, net):
    with pytest.raises(Locked):
        actions.do_complete_lesson(net.alice, webinar_lesson, attended=True)
    assert alice_client.get(f"/academy/lessons/{webinar_lesson.pk}/").status_code == 403


def test_lesson_page_says_what_to_do(alice_client, webinar_lesson, net):
    actions.do_complete_lesson(net.alice, lesson("income-claims"))
    page = alice_client.get(f"/academy/lessons/{webinar_lesson.pk}/").content.decode()
    assert "What to do" in page
    assert "Register and attend." in page
    assert "No webinar is scheduled for this lesson yet." in page
    assert "Mark as completed" not in page


def test_certificate_waits_for_the_webinar_lesson(webinar_lesson, net):
    member = net.alice
    actions.do_complete_lesson(member, lesson("income-claims"))
    actions.do_complete_lesson(member, lesson("product-claims"))
    quiz = lesson("claims-quiz").quiz
    attempt = actions.do_start_attempt(member, quiz)
    answers = {}
    for question in quiz.questions.prefetch_related("choices"):
        choices = list(question.choices.all())
        if question.kind == "ordering":
            answers[question.pk] = [c.pk for c in sorted(choices, key=lambda c: c.position)]
        else:
            answers[question.pk] = [c.pk for c in choices if c.correct]
    assert actions.do_submit_attempt(attempt, answers).status == "passed"
    assert not Certificate.objects.filter(member_id=member.pk).exists()
    actions.do_complete_lesson(member, webinar_lesson, attended=True)
    assert Certificate.objects.get(member_id=member.pk).key == "compliance-basics"


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr(
            "imsmanifest.xml",
            '<manifest><resources><resource identifier="r" href="index.html"/></resources>'
            "</manifest>",
        )
        package.writestr("index.html", "<p>hello</p>")
    return buffer.getvalue()


def test_folder_round_trips_webinar_and_scorm_lessons(webinar_lesson, tmp_path):
    item = actions.do_add_lesson(
        webinar_lesson.module, key="pkg", kind=Lesson.Kind.SCORM, title="Package"
    )
    do_attach_scorm(item, ContentFile(_zip(), name="p.zip"))
    course = webinar_lesson.course
    out = export_course(course, tmp_path / "out")
    Course.objects.all().delete()
    again = import_course(out)
    kinds = dict(again.lessons.values_list("key", "kind"))
    assert kinds["live-intro"] == "webinar"
    assert kinds["pkg"] == "scorm"
    assert kinds["claims-quiz"] == "quiz"
    assert kinds["income-claims"] == "markdown"
    reimported = again.lessons.get(key="pkg")
    assert reimported.scorm_entry == "index.html"
    assert (
        zipfile.ZipFile(reimported.scorm_package.open("rb")).read("index.html") == b"<p>hello</p>"
    )
    webinar = again.lessons.get(key="live-intro")
    assert [r.key for r in webinar.requires.all()] == ["income-claims"]
    assert webinar.texts.get(language="en").body == "Register and attend."
    second = export_course(again, tmp_path / "out2")
    assert (second / "course.yaml").read_text() == (out / "course.yaml").read_text()


def test_folder_names_a_wrong_kind(course, tmp_path):
    out = export_course(course, tmp_path / "out")
    meta = yaml.safe_load((out / "course.yaml").read_text())
    meta["modules"][0]["lessons"][0]["kind"] = "video"
    (out / "course.yaml").write_text(yaml.safe_dump(meta, allow_unicode=True))
    with pytest.raises(FolderError, match=r"lessons\[0\]\.kind: 'video' is not one of markdown"):
        import_course(out)


def test_console_shows_a_webinar_lesson(client, webinar_lesson):
    from .conftest import verified_staff

    verified_staff(client, "ada", "admin")
    page = client.get(f"/console/academy/lessons/{webinar_lesson.pk}/").content.decode()
    assert "No webinar is linked to this lesson yet." in page
    assert 'name="body"' in page  # its text says what to do
