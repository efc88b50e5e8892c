"""``/academy`` through the API (read only): a personal token reads its own lessons, quiz
results and certificates, and for its enrollment downline only what the back office's team
training page shows (the summary); an integration key with ``academy:read`` reads every member.

Network (tests/api/conftest.py): R ─ A ─ C ─ (customer K), R ─ B; the personal token is A's.
Training, on 2026-03-02 with the fixture course of tests/academy (two lessons, then a quiz
with a 12-month certificate):

* A reads both lessons and passes the quiz: certificate, valid until 2027-03-02;
* C reads both lessons and fails the quiz twice;
* B reads the first lesson; R never starts.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from downline.academy import actions
from downline.academy.folder import import_folder
from downline.academy.models import Certificate, Lesson, Question, QuizAttempt
from downline.api.actions import do_create_api_key
from downline.api.scopes import SCOPES

from .conftest import Api, add

COURSES = Path(__file__).parents[1] / "academy" / "fixtures" / "courses"
MARCH = datetime(2026, 3, 2, 12, tzinfo=UTC)
SLUG = "compliance-basics"


def lesson(key: str) -> Lesson:
    return Lesson.objects.select_related("course").get(key=key)


def answers(attempt: QuizAttempt, *, wrong: int) -> dict:
    """Right answers to ``attempt`` except the first ``wrong`` questions."""
    given = {}
    for index, qid in enumerate(attempt.question_ids):
        question = Question.objects.get(pk=qid)
        choices = list(question.choices.order_by("position"))
        if question.kind == "ordering":
            order = [c.pk for c in choices]
            given[qid] = list(reversed(order)) if index < wrong else order
        else:
            right = [c.pk for c in choices if c.correct]
            bad = [c.pk for c in choices if not c.correct][:1]
            given[qid] = bad if index < wrong else right
    return given


def read_and_take_quiz(member, *, wrong: int) -> QuizAttempt:
    actions.do_complete_lesson(member, lesson("income-claims"))
    actions.do_complete_lesson(member, lesson("product-claims"))
    attempt = actions.do_start_attempt(member, lesson("claims-quiz").quiz)
    return actions.do_submit_attempt(attempt, answers(attempt, wrong=wrong))


@pytest.fixture
def training(net, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.DOWNLINE_SITE_URL = "https://office.example.com"
    with time_machine.travel(MARCH, tick=False):
        import_folder(COURSES, publish=True)
        read_and_take_quiz(net["A"], wrong=0)
        read_and_take_quiz(net["C"], wrong=3)
    with time_machine.travel(MARCH + timedelta(hours=2), tick=False):
        attempt = actions.do_start_attempt(net["C"], lesson("claims-quiz").quiz)
        actions.do_submit_attempt(attempt, answers(attempt, wrong=3))
        actions.do_complete_lesson(net["B"], lesson("income-claims"))
    return net


def items(response) -> list[dict]:
    assert response.status_code == 200, response.content
    return response.json()["items"]


# --------------------------------------------------------------------------- personal token


def test_a_personal_token_sees_itself_and_its_teams_summary(training, anna_api):
    with time_machine.travel(MARCH + timedelta(days=1), tick=False):
        rows = items(anna_api.get("/api/v1/academy/members"))
    assert [(r["member_id"], r["level"], r["status"]) for r in rows] == [
        ("A", 0, "learning"),
        ("C", 1, "failed_twice"),
    ]  # never R above her, B beside her, nor the customer K
    assert [(r["lessons_started"], r["lessons_completed"]) for r in rows] == [(3, 3), (3, 2)]


def test_a_personal_token_reads_only_its_own_lessons_quizzes_and_certificates(training, anna_api):
    progress = items(anna_api.get("/api/v1/academy/progress"))
    assert {row["member_id"] for row in progress} == {"A"}
    assert sorted(row["lesson"] for row in progress) == [
        "claims-quiz",
        "income-claims",
        "product-claims",
    ]
    assert items(anna_api.get("/api/v1/academy/progress", member="C")) == []
    quizzes = items(anna_api.get("/api/v1/academy/quiz-results"))
    assert [(q["member_id"], q["status"], q["score"]) for q in quizzes] == [("A", "passed", 100)]
    assert items(anna_api.get("/api/v1/academy/quiz-results", member="C")) == []
    [cert] = items(anna_api.get("/api/v1/academy/certificates"))
    code = Certificate.objects.get(member=training["A"]).code
    assert cert["member_id"] == "A"
    assert cert["code"] == code
    assert cert["expires_on"] == "2027-03-02"
    assert cert["verification_url"] == f"https://office.example.com/academy/certificates/{code}/"
    courses = anna_api.get("/api/v1/academy/members/A/courses").json()
    assert [(c["course"], c["lessons_completed"], c["percent"]) for c in courses] == [
        (SLUG, 3, 100)
    ]


@pytest.mark.parametrize("member_id", ["C", "B", "R", "K", "NOBODY"])
def test_a_personal_token_gets_404_for_anyone_elses_course_progress(member_id, training, anna_api):
    response = anna_api.get(f"/api/v1/academy/members/{member_id}/courses")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


# --------------------------------------------------------------------------- integration key


def test_a_key_reads_every_members_summary_with_the_team_pages_statuses(training, read_api):
    with time_machine.travel(MARCH + timedelta(days=1), tick=False):
        rows = items(read_api.get("/api/v1/academy/members"))
        assert [(r["member_id"], r["status"], r["level"]) for r in rows] == [
            ("R", "not_started", None),
            ("A", "learning", None),
            ("B", "learning", None),
            ("C", "failed_twice", None),
        ]
        by_state = {
            state: [r["member_id"] for r in items(read_api.get(path, state=state))]
            for path in ["/api/v1/academy/members"]
            for state in ["not_started", "learning", "stuck", "failed_twice"]
        }
    assert by_state == {
        "not_started": ["R"],
        "learning": ["A", "B"],
        "stuck": [],
        "failed_twice": ["C"],
    }
    with time_machine.travel(MARCH + timedelta(days=15), tick=False):
        stuck = items(read_api.get("/api/v1/academy/members", state="stuck"))
    assert [r["member_id"] for r in stuck] == ["A", "B"]


def test_a_key_filters_progress_by_member_course_state_and_completion(training, read_api):
    every = items(read_api.get("/api/v1/academy/progress", limit=500))
    assert {row["member_id"] for row in every} == {"A", "B", "C"}
    started = items(read_api.get("/api/v1/academy/progress", state="started"))
    assert [(row["member_id"], row["lesson"]) for row in started] == [("C", "claims-quiz")]
    later = (MARCH + timedelta(hours=1)).isoformat()
    recent = items(read_api.get("/api/v1/academy/progress", completed_since=later))
    assert [(row["member_id"], row["lesson"]) for row in recent] == [("B", "income-claims")]
    assert items(read_api.get("/api/v1/academy/progress", course="other")) == []
    assert len(items(read_api.get("/api/v1/academy/progress", member="C", course=SLUG))) == 3


def test_progress_pages_follow_the_cursor(training, read_api):
    seen, cursor = [], None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        body = read_api.get("/api/v1/academy/progress", **params).json()
        seen += [row["id"] for row in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 7
    assert seen == sorted(seen)


def test_a_key_lists_quiz_results_and_certificates_with_their_state(training, read_api):
    failed = items(read_api.get("/api/v1/academy/quiz-results", state="failed"))
    assert [(q["member_id"], q["attempt"], q["score"], q["pass_mark"]) for q in failed] == [
        ("C", 1, 40, 80),
        ("C", 2, 40, 80),
    ]
    later = (MARCH + timedelta(hours=1)).isoformat()
    recent = items(read_api.get("/api/v1/academy/quiz-results", completed_since=later))
    assert [q["attempt"] for q in recent] == [2]
    with time_machine.travel(datetime(2027, 3, 2, 12, tzinfo=UTC), tick=False):
        valid = items(read_api.get("/api/v1/academy/certificates", state="valid"))
        assert [c["member_id"] for c in valid] == ["A"]
    with time_machine.travel(datetime(2027, 3, 3, 12, tzinfo=UTC), tick=False):
        assert items(read_api.get("/api/v1/academy/certificates", state="valid")) == []
        [expired] = items(read_api.get("/api/v1/academy/certificates", state="expired"))
        assert expired["state"] == "expired"
    assert items(read_api.get("/api/v1/academy/certificates", issued_since="2026-03-03")) == []
    courses = read_api.get("/api/v1/academy/members/C/courses").json()
    assert [(c["lessons_completed"], c["lessons_total"]) for c in courses] == [(2, 3)]


# --------------------------------------------------------------------------- scopes, input

READS = [
    "/api/v1/academy/members",
    "/api/v1/academy/members/A/courses",
    "/api/v1/academy/progress",
    "/api/v1/academy/quiz-results",
    "/api/v1/academy/certificates",
]


@pytest.mark.parametrize("path", READS)
def test_every_academy_operation_needs_academy_read(path, net, staff):
    others = [name for name in SCOPES if name != "academy:read"]
    token = do_create_api_key(name="almost", scopes=others, created_by=staff).token
    response = Api(token).get(path)
    assert response.status_code == 403
    assert "academy:read" in response.json()["detail"]
    assert Api(None).get(path).status_code == 401


@pytest.mark.parametrize("path", READS)
def test_the_academy_is_read_only(path, net, staff_api):
    assert staff_api.post(path, {}).status_code == 405


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/api/v1/academy/members", {"state": "asleep"}, "query.state"),
        ("/api/v1/academy/progress", {"state": "done"}, "query.state"),
        ("/api/v1/academy/progress", {"completed_since": "yesterday"}, "query.completed_since"),
        ("/api/v1/academy/quiz-results", {"cursor": "x"}, "query.cursor"),
        ("/api/v1/academy/certificates", {"issued_since": "2026-02-30"}, "query.issued_since"),
        ("/api/v1/academy/certificates", {"limit": 0}, "query.limit"),
    ],
)
def test_bad_filters_name_the_parameter(path, params, field, net, read_api):
    response = read_api.get(path, **params)
    assert response.status_code == 422
    assert [error["field"] for error in response.json()["errors"]] == [field]


AUTH_TABLES = ("api_apikey", "cache")


def _queries(api: Api, path: str) -> int:
    """Queries of the operation itself (authentication's come and go, see test_contacts_api)."""
    with CaptureQueriesContext(connection) as captured:
        assert api.get(path, limit=500).status_code == 200
    return len([q for q in captured if not any(t in q["sql"] for t in AUTH_TABLES)])


def test_lists_read_a_fixed_number_of_queries(training, read_api, anna_api):
    """No query per row: more members reading and failing cost no more queries."""
    paths = [path for path in READS if "{" not in path and "/courses" not in path]
    before = {(api, path): _queries(api, path) for api in (read_api, anna_api) for path in paths}
    with time_machine.travel(MARCH + timedelta(hours=4), tick=False):
        for name in ("D", "E", "F"):
            member = add(name, training["C"], None)
            read_and_take_quiz(member, wrong=3)
    after = {(api, path): _queries(api, path) for api in (read_api, anna_api) for path in paths}
    assert after == before
