"""The console's quiz editor: questions of each kind with their choices in four languages,
validation per kind, reorder and delete, the quiz's settings; and what a distributor then gets."""

from __future__ import annotations

import pytest
from django.test import Client

from downline.academy import actions
from downline.academy.models import Question, Quiz

from .conftest import lesson, verified_staff


@pytest.fixture
def admin_client(client, db):
    verified_staff(client, "ada", "admin")
    return client


@pytest.fixture
def quiz(course) -> Quiz:
    return lesson("claims-quiz").quiz


def form(kind: str, text: str, choices: list[tuple[str, bool]], **extra) -> dict:
    """The posted question form: English texts plus ``extra`` fields (other languages)."""
    data = {"kind": kind, "text_en": text, "choice_rows": str(len(choices) + 2)}
    for index, (choice, correct) in enumerate(choices):
        data[f"choice{index}_en"] = choice
        data[f"order{index}"] = str(index + 1)
        if correct:
            data[f"correct{index}"] = "1"
    data.update(extra)
    return data


def url(quiz: Quiz, tail: str = "") -> str:
    return f"/console/academy/lessons/{quiz.lesson_id}/{tail}"


def test_editor_needs_the_academy_capability(client, quiz, net):
    verified_staff(client, "sue", "support")
    assert client.get(url(quiz, "questions/new/")).status_code == 403
    post = client.post(url(quiz, "questions/new/"), form("single", "Q?", [("a", True), ("b", 0)]))
    assert post.status_code == 403
    first = quiz.questions.first()
    assert client.post(url(quiz, f"questions/{first.pk}/delete/")).status_code == 403
    assert client.post(url(quiz, "quiz/"), {"pass_mark": "10"}).status_code == 403
    other = Client()
    other.force_login(net.alice_user)
    assert other.get(url(quiz, "questions/new/")).status_code == 404
    assert other.post(url(quiz, f"questions/{first.pk}/delete/")).status_code == 404
    assert Question.objects.filter(pk=first.pk).exists()
    quiz.refresh_from_db()
    assert quiz.pass_mark == 80


def test_create_each_kind_in_four_languages(admin_client, quiz):
    before = quiz.questions.count()
    response = admin_client.post(
        url(quiz, "questions/new/"),
        form(
            "single",
            "Which claim is allowed?",
            [("Results vary", True), ("Get rich", False)],
            text_ru="Какое заявление допустимо?",
            text_pl="Które twierdzenie jest dozwolone?",
            text_de="Welche Aussage ist erlaubt?",
            explanation_en="Only honest, typical results.",
            explanation_de="Nur ehrliche, typische Ergebnisse.",
            choice0_ru="Результаты разные",
            choice0_de="Ergebnisse variieren",
        ),
    )
    assert response.status_code == 302
    single = quiz.questions.order_by("-position").first()
    assert single.position == before + 1
    assert single.text == {
        "en": "Which claim is allowed?",
        "ru": "Какое заявление допустимо?",
        "pl": "Które twierdzenie jest dozwolone?",
        "de": "Welche Aussage ist erlaubt?",
    }
    assert single.explanation == {
        "en": "Only honest, typical results.",
        "de": "Nur ehrliche, typische Ergebnisse.",
    }
    choices = list(single.choices.all())
    assert [(c.text, c.correct) for c in choices] == [
        ({"en": "Results vary", "ru": "Результаты разные", "de": "Ergebnisse variieren"}, True),
        ({"en": "Get rich"}, False),
    ]
    admin_client.post(
        url(quiz, "questions/new/"),
        form("multiple", "Which are income claims?", [("A", True), ("B", True), ("C", False)]),
    )
    # ordering: the positions typed set the right order, whatever order the rows come in
    admin_client.post(
        url(quiz, "questions/new/"),
        form(
            "ordering",
            "Put in order",
            [("second", False), ("first", False), ("third", False)],
            order0="2",
            order1="1",
            order2="3",
        ),
    )
    admin_client.post(url(quiz, "questions/new/"), form("free_text", "Explain a refund.", []))
    kinds = list(quiz.questions.order_by("position").values_list("kind", flat=True))
    assert kinds[-4:] == ["single", "multiple", "ordering", "free_text"]
    ordering = quiz.questions.get(kind="ordering", text__en="Put in order")
    assert [c.text["en"] for c in ordering.choices.all()] == ["first", "second", "third"]
    assert not any(c.correct for c in ordering.choices.all())
    # the lesson page lists them
    page = admin_client.get(url(quiz)).content.decode()
    assert "Which claim is allowed?" in page
    assert "Explain a refund." in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (form("single", "Q", [("a", True), ("b", True)]), "exactly one correct choice"),
        (form("single", "Q", [("a", False), ("b", False)]), "exactly one correct choice"),
        (form("multiple", "Q", [("a", False), ("b", False)]), "at least one correct choice"),
        (form("single", "Q", [("a", True)]), "needs at least two choices"),
        (form("ordering", "Q", [("only", False)]), "ordering question needs at least two items"),
        (form("free_text", "Q", [("a", False)]), "free-text question has no choices"),
        (form("single", "", [("a", True), ("b", False)]), "source language (en) is required"),
        (form("bogus", "Q", [("a", True), ("b", False)]), "Choose the kind of question."),
        (
            {**form("single", "Q", [("a", True)]), "choice1_de": "nur deutsch"},
            "Choice 2 has no text in the source language (en).",
        ),
    ],
)
def test_invalid_questions_are_refused_and_nothing_is_saved(admin_client, quiz, data, message):
    before = list(Question.objects.values_list("pk", "text"))
    response = admin_client.post(url(quiz, "questions/new/"), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page
    if data["text_en"]:
        assert data["text_en"] in page  # the form comes back as typed
    assert list(Question.objects.values_list("pk", "text")) == before


def test_edit_keeps_choice_rows_and_removes_emptied_ones(admin_client, quiz):
    question = quiz.questions.filter(kind="multiple").first() or quiz.questions.first()
    page = admin_client.get(url(quiz, f"questions/{question.pk}/")).content.decode()
    first_choice = question.choices.first()
    assert first_choice.text["en"] in page
    kept_pk = first_choice.pk
    response = admin_client.post(
        url(quiz, f"questions/{question.pk}/"),
        form("single", "Rewritten?", [("yes", True), ("no", False)], text_ru="Переписано?"),
    )
    assert response.status_code == 302
    question.refresh_from_db()
    assert question.kind == "single"
    assert question.text == {"en": "Rewritten?", "ru": "Переписано?"}
    choices = list(question.choices.all())
    assert [(c.text["en"], c.correct) for c in choices] == [("yes", True), ("no", False)]
    assert choices[0].pk == kept_pk


def test_reorder_and_delete(admin_client, quiz):
    order = list(quiz.questions.order_by("position").values_list("pk", flat=True))
    assert len(order) >= 2
    admin_client.post(url(quiz, f"questions/{order[1]}/move/"), {"direction": "up"})
    moved = list(quiz.questions.order_by("position").values_list("pk", flat=True))
    assert moved == [order[1], order[0], *order[2:]]
    assert list(quiz.questions.order_by("position").values_list("position", flat=True)) == list(
        range(1, len(order) + 1)
    )
    admin_client.post(url(quiz, f"questions/{order[1]}/move/"), {"direction": "up"})  # first
    assert list(quiz.questions.order_by("position").values_list("pk", flat=True)) == moved
    admin_client.post(url(quiz, f"questions/{order[1]}/move/"), {"direction": "down"})
    assert list(quiz.questions.order_by("position").values_list("pk", flat=True)) == order
    response = admin_client.post(url(quiz, f"questions/{order[0]}/delete/"))
    assert response.status_code == 302
    assert list(quiz.questions.order_by("position").values_list("pk", flat=True)) == order[1:]
    # a question of another quiz is not reachable through this lesson
    assert admin_client.post(url(quiz, "questions/999999/delete/")).status_code == 404


def test_quiz_settings(admin_client, quiz):
    bank = quiz.questions.count()
    admin_client.post(
        url(quiz, "quiz/"),
        {"pass_mark": "70", "draw": str(bank), "max_attempts": "2", "wait_minutes": "30"},
    )
    quiz.refresh_from_db()
    assert (quiz.pass_mark, quiz.draw, quiz.max_attempts, quiz.wait_minutes) == (70, bank, 2, 30)
    for data, message in (
        ({"pass_mark": "101"}, "A pass mark is 0 to 100."),
        ({"pass_mark": "80", "draw": str(bank + 1)}, f"up to the {bank} questions"),
        ({"pass_mark": "abc"}, "abc is not a whole number."),
        ({"pass_mark": "80", "max_attempts": "-1"}, "cannot be negative"),
    ):
        page = admin_client.post(url(quiz, "quiz/"), data, follow=True).content.decode()
        assert message in page, data
    quiz.refresh_from_db()
    assert (quiz.pass_mark, quiz.draw, quiz.max_attempts, quiz.wait_minutes) == (70, bank, 2, 30)


def test_deleting_below_the_draw_count_shrinks_it(quiz):
    actions.do_save_quiz_settings(
        quiz, pass_mark=80, draw=quiz.questions.count(), max_attempts=0, wait_minutes=0
    )
    actions.do_delete_question(quiz.questions.first())
    quiz.refresh_from_db()
    assert quiz.draw == quiz.questions.count()


def test_a_distributor_answers_an_edited_quiz(admin_client, quiz, net):
    """Questions written in the console are what the member is asked and scored on."""
    for question in list(quiz.questions.all()):
        actions.do_delete_question(question)
    admin_client.post(url(quiz, "questions/new/"), form("single", "Pick b", [("a", 0), ("b", 1)]))
    admin_client.post(
        url(quiz, "questions/new/"), form("ordering", "Count", [("one", 0), ("two", 0)])
    )
    actions.do_complete_lesson(net.alice, lesson("income-claims"))
    actions.do_complete_lesson(net.alice, lesson("product-claims"))
    attempt = actions.do_start_attempt(net.alice, quiz)
    single = quiz.questions.get(kind="single")
    ordering = quiz.questions.get(kind="ordering")
    right = single.choices.get(correct=True)
    order = list(ordering.choices.order_by("position").values_list("pk", flat=True))
    done = actions.do_submit_attempt(attempt, {single.pk: [right.pk], ordering.pk: order})
    assert (done.status, done.score) == ("passed", 100)
