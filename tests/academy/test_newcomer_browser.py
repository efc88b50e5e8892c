"""A newcomer on a phone, in Russian, reads two lessons, passes the quiz and downloads the
certificate PDF (real Chromium via Playwright; skipped where /usr/bin/chromium is missing)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import date

import pytest
from django.db import connections

from downline.academy.models import Certificate, LessonProgress, Question, QuizAttempt
from downline.accounts.actions import do_create_user
from downline.genealogy.actions import do_enroll

from .conftest import PASSWORD, lesson

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.real_clock,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian's chromium"),
]


@pytest.fixture
def browser(monkeypatch) -> Iterator:
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--no-first-run"]
        )
        yield browser
        browser.close()
        connections.close_all()


def test_newcomer_completes_lesson_quiz_and_downloads_certificate(
    browser, live_server, course, tmp_path
):
    user = do_create_user("nadia", password=PASSWORD, email="nadia@example.com", language="ru")
    root = do_enroll(member_id="ROOT", sponsor=None, joined_on=date(2026, 2, 1), name="Rosa")
    nadia = do_enroll(
        member_id="NADIA", sponsor=root, joined_on=date(2026, 2, 1), name="Надя Новикова",
        user=user, placement_parent=root, position=1,
    )  # fmt: skip
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, locale="ru-RU", accept_downloads=True
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("#id_username").fill("nadia")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()

    page.goto(f"{live_server.url}/academy/")
    page.get_by_role("link", name="Основы комплаенса").click()
    page.get_by_role("link", name="Что такое заявление о доходе").click()
    assert page.locator("h1").inner_text() == "Что такое заявление о доходе"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.locator("form[action$='/complete/'] button").click()  # → the next lesson
    page.wait_for_url("**/academy/lessons/*/")
    assert page.locator("h1").inner_text() == "Заявления о продукте"
    page.locator("form[action$='/complete/'] button").click()  # → the quiz
    page.wait_for_url("**/quiz/")
    start = page.locator("form:has(input[name=start]) button")
    if not start.count():  # pragma: no cover - shows why on failure
        (tmp_path / "quiz.html").write_text(page.content())
        raise AssertionError(page.locator("main").inner_text())
    start.click()
    page.wait_for_selector("fieldset.quiz-question")

    attempt = QuizAttempt.objects.get(member=nadia)
    for qid in attempt.question_ids:
        question = Question.objects.get(pk=qid)
        choices = list(question.choices.order_by("position"))
        if question.kind == "ordering":
            listing = page.locator(f"ol[data-input='order{qid}']")
            for target, choice in enumerate(choices):
                for _ in range(len(choices)):
                    ids = listing.locator("li").evaluate_all("els => els.map(e => e.dataset.id)")
                    if ids.index(str(choice.pk)) <= target:
                        break
                    listing.locator(f"li[data-id='{choice.pk}'] [data-move=up]").click()
        else:
            for choice in choices:
                if choice.correct:
                    page.locator(f"input[name=q{qid}][value='{choice.pk}']").check()
    page.locator("form input[name=attempt] ~ fieldset ~ button[type=submit]").click()
    page.wait_for_selector("#quiz-result")
    assert "100%" in page.locator("#quiz-result").inner_text()
    assert "Любое утверждение о заработке — да." in page.content()  # the explanation

    assert LessonProgress.objects.filter(member=nadia, state="completed").count() == 3
    cert = Certificate.objects.get(member=nadia)
    page.goto(f"{live_server.url}/academy/#certificates")
    with page.expect_download() as info:
        page.locator(f"a[href$='{cert.code}.pdf']").click()
    path = tmp_path / "certificate.pdf"
    info.value.save_as(path)
    assert path.read_bytes().startswith(b"%PDF")
    page.goto(f"{live_server.url}/academy/certificates/{cert.code}/")
    assert page.locator("#cert-holder").inner_text() == "Надя Новикова"
    assert page.locator("#cert-state").get_attribute("class") == "cert-state-valid"
    assert errors == []
    context.close()
    assert lesson("claims-quiz").pk
