"""Distributor pages, the public verification page, the team report and the console."""

from __future__ import annotations

import io
import zipfile
from datetime import date

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from downline.academy import actions
from downline.academy.models import Certificate, Course, Lesson, Question, QuizAttempt
from downline.academy.selectors import dashboard_card, team_report

from .conftest import lesson, verified_staff
from .test_learning import finish_reading, right_answers


def test_pages_need_a_member(client, course, net):
    response = client.get("/academy/")
    assert response.status_code == 302
    assert "/login" in response["Location"]


def test_home_course_and_lesson(alice_client, course):
    home = alice_client.get("/academy/")
    assert home.status_code == 200
    assert "Compliance basics" in home.content.decode()
    page = alice_client.get("/academy/courses/compliance-basics/")
    assert page.status_code == 200
    text = lesson("income-claims")
    response = alice_client.get(f"/academy/lessons/{text.pk}/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "<strong>earns</strong>" in body
    assert "alert(1)" not in body
    assert "Mark as completed" in body


def test_lesson_in_russian(alice_client, course):
    response = alice_client.get(
        f"/academy/lessons/{lesson('income-claims').pk}/", HTTP_ACCEPT_LANGUAGE="ru"
    )
    assert "Что такое заявление о доходе" in response.content.decode()


def test_drafts_are_hidden(alice_client, course):
    actions.do_unpublish_course(course)
    assert alice_client.get("/academy/courses/compliance-basics/").status_code == 404
    assert alice_client.get(f"/academy/lessons/{lesson('income-claims').pk}/").status_code == 404
    assert "Compliance basics" not in alice_client.get("/academy/").content.decode()


def test_prerequisite_blocks_page_and_posts(alice_client, course, net):
    second, quiz = lesson("product-claims"), lesson("claims-quiz")
    page = alice_client.get(f"/academy/lessons/{second.pk}/")
    assert page.status_code == 403
    assert "What is an income claim" in page.content.decode()
    assert alice_client.post(f"/academy/lessons/{second.pk}/complete/").status_code == 403
    assert alice_client.get(f"/academy/lessons/{quiz.pk}/quiz/").status_code == 403
    assert alice_client.post(f"/academy/lessons/{quiz.pk}/quiz/", {"start": "1"}).status_code == 403
    assert not QuizAttempt.objects.exists()


def test_complete_and_quiz_over_http(alice_client, course, net):
    for key in ("income-claims", "product-claims"):
        response = alice_client.post(f"/academy/lessons/{lesson(key).pk}/complete/")
        assert response.status_code == 302
    quiz = lesson("claims-quiz")
    before = alice_client.get(f"/academy/lessons/{quiz.pk}/quiz/").content.decode()
    assert 'name="start"' in before
    assert "quiz-blocked" not in before
    assert alice_client.post(f"/academy/lessons/{quiz.pk}/quiz/", {"start": "1"}).status_code == 302
    attempt = QuizAttempt.objects.get()
    form = {"attempt": attempt.pk}
    for qid, answer in right_answers(attempt).items():
        if Question.objects.get(pk=qid).kind == "ordering":
            form[f"order{qid}"] = ",".join(map(str, answer))
        else:
            form[f"q{qid}"] = [str(a) for a in answer]
    response = alice_client.post(f"/academy/lessons/{quiz.pk}/quiz/", form)
    assert response.status_code == 302
    result = alice_client.get(response["Location"]).content.decode()
    assert "Passed with 100%" in result
    assert "Any statement about earnings is." in result
    after = alice_client.get(f"/academy/lessons/{quiz.pk}/quiz/").content.decode()
    assert 'id="quiz-blocked"' in after
    assert "You have passed this quiz." in after
    cert = Certificate.objects.get(member=net.alice)
    pdf = alice_client.get(f"/academy/my-certificates/{cert.code}.pdf")
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")


def test_certificate_pdf_is_the_holders_only(client, course, net):
    finish_reading(net.dave)
    cert = actions.do_issue_certificate(net.dave, course, grade=90, issued_on=date(2026, 3, 2))
    client.force_login(net.alice_user)
    assert client.get(f"/academy/my-certificates/{cert.code}.pdf").status_code == 404


def test_verification_page(client, course, net, django_user_model):
    cert = actions.do_issue_certificate(net.alice, course, grade=92, issued_on=date(2025, 1, 10))
    page = client.get(f"/academy/certificates/{cert.code}/").content.decode()
    assert "Alice Adams" in page
    assert "92%" in page
    assert "expired" in page
    fresh = actions.do_issue_certificate(net.alice, course, grade=85, issued_on=date(2026, 3, 1))
    assert (
        'id="cert-state" class="cert-state-valid"'
        in client.get(f"/academy/certificates/{fresh.code}/").content.decode()
    )
    staff = django_user_model.objects.create(username="boss", is_staff=True)
    actions.do_revoke_certificate(fresh, staff=staff, reason="misconduct")
    assert "revoked" in client.get(f"/academy/certificates/{fresh.code}/").content.decode()
    assert client.get("/academy/certificates/nope/").status_code == 404


def test_qr_points_to_verification():
    from downline.academy.pdf import qr_svg

    assert qr_svg("https://example.com/academy/certificates/x/").startswith("<svg")


def test_team_report_is_own_downline_only(alice_client, course, net):
    actions.do_complete_lesson(net.carol, lesson("income-claims"))
    report = team_report(net.alice)
    assert [row["member_id"] for row in report.rows] == ["BOB", "CAROL"]
    assert report.counts["not_started"] == 1
    assert report.counts["active"] == 1
    page = alice_client.get("/academy/team/").content.decode()
    assert "CAROL" in page
    assert "DAVE" not in page
    assert "ROOT" not in page
    assert [r["member_id"] for r in team_report(net.alice, status="not_started").rows] == ["BOB"]


def test_team_report_failed_twice_and_stuck(course, net):
    import time_machine

    from .conftest import NOW

    finish_reading(net.bob)
    quiz = lesson("claims-quiz").quiz
    first = actions.do_start_attempt(net.bob, quiz)
    actions.do_submit_attempt(first, right_answers(first, wrong=5))
    with time_machine.travel(NOW.replace(hour=14), tick=False):
        second = actions.do_start_attempt(net.bob, quiz)
        actions.do_submit_attempt(second, right_answers(second, wrong=5))
    assert [r["member_id"] for r in team_report(net.alice, status="failed_twice").rows] == ["BOB"]
    actions.do_complete_lesson(net.carol, lesson("income-claims"))
    with time_machine.travel(NOW.replace(month=4), tick=False):
        assert [r["member_id"] for r in team_report(net.alice, status="stuck").rows] == ["CAROL"]


def test_dashboard_card_in_two_queries(alice_client, course, net):
    actions.do_open_lesson(net.alice, lesson("income-claims"))
    with CaptureQueriesContext(connection) as queries:
        card = dashboard_card(net.alice, "ru")
    assert len(queries) == 2
    assert card["continue"]["t"] == "Что такое заявление о доходе"
    assert card["total"] == 4
    assert card["done"] == 0
    dashboard = alice_client.get("/")
    if dashboard.status_code == 200:
        assert "Continue where you stopped" in dashboard.content.decode()


def test_media_files_for_members_only(alice_client, client, course):
    item = lesson("income-claims")
    item.video.save("intro.mp4", ContentFile(b"\x00\x00video"), save=False)
    item.captions.save("intro.vtt", ContentFile(b"WEBVTT\n\n00:00.000 --> 00:01.000\nHi\n"))
    page = alice_client.get(f"/academy/lessons/{item.pk}/").content.decode()
    assert "<video" in page
    assert '<track kind="captions"' in page
    response = alice_client.get(f"/academy/files/{item.captions.name}")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/vtt"
    assert alice_client.get("/academy/files/../secret").status_code == 404


def _scorm_zip() -> bytes:
    manifest = """<?xml version="1.0"?>
<manifest identifier="m" xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2"
  xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2">
  <organizations default="o"><organization identifier="o"><title>T</title>
    <item identifier="i" identifierref="r"><title>Tiny</title></item></organization></organizations>
  <resources><resource identifier="r" type="webcontent" adlcp:scormtype="sco" href="sco/index.html">
    <file href="sco/index.html"/></resource></resources>
</manifest>"""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("imsmanifest.xml", manifest)
        package.writestr("sco/index.html", "<html><body>Tiny SCO</body></html>")
    return buffer.getvalue()


def test_scorm_package_reports_completion(alice_client, course, net):
    from downline.academy.scorm import do_attach_scorm

    item = actions.do_add_lesson(
        lesson("income-claims").module, key="tiny-scorm", kind=Lesson.Kind.SCORM, title="Tiny"
    )
    do_attach_scorm(item, ContentFile(_scorm_zip(), name="tiny.zip"))
    item.refresh_from_db()
    assert item.scorm_entry == "sco/index.html"
    page = alice_client.get(f"/academy/lessons/{item.pk}/").content.decode()
    assert f"/academy/lessons/{item.pk}/scorm/sco/index.html" in page
    sco = alice_client.get(f"/academy/lessons/{item.pk}/scorm/sco/index.html")
    assert sco.status_code == 200
    assert b"Tiny SCO" in sco.content
    commit = alice_client.post(
        f"/academy/lessons/{item.pk}/scorm/commit/",
        data='{"cmi.core.lesson_status": "passed", "cmi.core.score.raw": "90"}',
        content_type="application/json",
    )
    assert commit.json() == {"lesson_status": "passed", "score": 90}
    for score in ("abc", "inf", "nan"):
        refused = alice_client.post(
            f"/academy/lessons/{item.pk}/scorm/commit/",
            data=f'{{"cmi.core.score.raw": "{score}"}}',
            content_type="application/json",
        )
        assert refused.status_code == 400, score
    from downline.academy.models import LessonProgress

    assert LessonProgress.objects.get(member=net.alice, lesson=item).state == "completed"


# --- console ------------------------------------------------------------------------------


@pytest.fixture
def admin_client(client, db):
    verified_staff(client, "ada", "admin")
    return client


def test_console_needs_the_capability(client, course, net):
    verified_staff(client, "sue", "support")
    assert client.get("/console/academy/").status_code == 403
    client.force_login(net.alice_user)
    assert client.get("/console/academy/").status_code == 404


def test_console_authoring(admin_client, course):
    assert "compliance-basics" in admin_client.get("/console/academy/").content.decode()
    page = admin_client.get(f"/console/academy/courses/{course.pk}/").content.decode()
    assert "tr-missing" in page
    item = lesson("income-claims")
    response = admin_client.post(
        f"/console/academy/lessons/{item.pk}/",
        {"language": "en", "title": "What is an income claim", "body": "New text."},
    )
    assert response.status_code == 302
    ru = admin_client.get(f"/console/academy/lessons/{item.pk}/?language=ru").content.decode()
    assert "made from version 1" in ru
    preview = admin_client.get(f"/console/academy/lessons/{item.pk}/preview/")
    assert "New text." in preview.content.decode()
    admin_client.post(f"/console/academy/courses/{course.pk}/publish/", {"publish": "0"})
    course.refresh_from_db()
    assert course.status == Course.Status.DRAFT
    admin_client.post(f"/console/academy/courses/{course.pk}/publish/", {"publish": "1"})
    course.refresh_from_db()
    assert (course.status, course.version) == (Course.Status.PUBLISHED, 2)
    new = admin_client.post(
        "/console/academy/courses/new/",
        {"slug": "sales-101", "area": "sales", "source_language": "en", "title_en": "Sales"},
    )
    assert new.status_code == 302
    assert Course.objects.filter(slug="sales-101").exists()


def test_console_grading_and_revocation(admin_client, course, net):
    quiz = lesson("claims-quiz").quiz
    free = Question.objects.create(quiz=quiz, kind="free_text", position=9, text={"en": "Why?"})
    finish_reading(net.alice)
    attempt = actions.do_start_attempt(net.alice, quiz)
    answers = right_answers(
        QuizAttempt(question_ids=[q for q in attempt.question_ids if q != free.pk])
    )
    answers[free.pk] = "Claims mislead."
    actions.do_submit_attempt(attempt, answers)
    assert "attempt 1" in admin_client.get("/console/academy/grading/").content.decode()
    assert (
        "Claims mislead."
        in admin_client.get(f"/console/academy/grading/{attempt.pk}/").content.decode()
    )
    admin_client.post(f"/console/academy/grading/{attempt.pk}/", {f"q{free.pk}": "right"})
    attempt.refresh_from_db()
    assert (attempt.status, attempt.score) == ("passed", 100)
    cert = Certificate.objects.get(member=net.alice)
    admin_client.post(f"/console/academy/certificates/{cert.pk}/revoke/", {"reason": "fraud"})
    cert.refresh_from_db()
    assert cert.revoked_at is not None
    assert cert.revoked_reason == "fraud"


def test_console_kpis(admin_client, course, net):
    finish_reading(net.alice)
    attempt = actions.do_start_attempt(net.alice, lesson("claims-quiz").quiz)
    actions.do_submit_attempt(attempt, right_answers(attempt, wrong=1))
    page = admin_client.get("/console/academy/kpis/")
    body = page.content.decode()
    assert page.status_code == 200
    assert 'id="academy-kpis"' in body
    assert "Is &#x27;I earn 10k a month&#x27; an income claim?" in body or "income claim" in body
