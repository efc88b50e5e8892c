"""The ready academy content (src/downline/academy/courses/): every course.yaml, quiz and
tracks.yaml loads with yaml.safe_load, follows the agreed folder format, and every file it
names exists in all four languages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2] / "src" / "downline" / "academy" / "courses"
LANGUAGES = ("en", "ru", "pl", "de")
AREAS = {"product", "sales", "recruiting", "leadership", "marketing", "financial", "compliance"}
KINDS = {"single", "multiple", "ordering", "free_text"}
ACTIONS = {"first_order", "first_customer", "webinar_attended"}
KEY = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
DEMO_PLAN = Path(__file__).resolve().parents[2] / "plans" / "unilevel.yaml"
COURSES = sorted(ROOT.glob("*/course.yaml"))


def load(path: Path):
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def assert_texts(value, where: str) -> None:
    assert isinstance(value, dict), f"{where}: a map of language → text"
    assert set(value) == set(LANGUAGES), f"{where}: languages {sorted(value)}"
    for code, text in value.items():
        assert isinstance(text, str), f"{where}.{code}: not text"
        assert text.strip(), f"{where}.{code}: empty"


def words(text: str) -> int:
    return len(re.findall(r"\w+", text))


def test_seven_courses_one_per_area():
    areas = [load(path)["area"] for path in COURSES]
    assert sorted(areas) == sorted(AREAS)


@pytest.mark.parametrize("path", COURSES, ids=lambda p: p.parent.name)
def test_course_folder(path: Path):
    folder = path.parent
    meta = load(path)
    assert meta["slug"] == folder.name
    assert KEY.match(meta["slug"])
    assert meta["area"] in AREAS
    assert meta["source_language"] == "en"
    assert_texts(meta["title"], "title")
    assert_texts(meta["summary"], "summary")
    if "certificate" in meta:
        cert = meta["certificate"]
        assert KEY.match(cert["key"])
        assert 0 < cert["pass_mark"] <= 100
        assert cert["valid_months"] >= 1
    modules = meta["modules"]
    assert 1 <= len(modules) <= 2
    lesson_keys: list[str] = []
    quizzes = 0
    for m in modules:
        assert KEY.match(m["key"])
        assert_texts(m["title"], f"module {m['key']}")
        texts = [item for item in m["lessons"] if "quiz" not in item]
        assert 1 <= len(texts) <= 3, m["key"]
        for item in m["lessons"]:
            key = item["key"]
            assert KEY.match(key), key
            assert key not in lesson_keys, key
            for needed in item.get("requires", []):
                assert needed in lesson_keys, f"{key} requires {needed}, not listed before it"
            lesson_keys.append(key)
            file = item["file"]
            assert ".." not in file
            if "quiz" in item:
                quizzes += 1
                check_quiz(folder / f"{file}.yaml", item["quiz"])
                assert_texts(item["title"], f"{key}.title")
                continue
            assert 1 <= item["minutes"] <= 8
            for code in LANGUAGES:
                lesson = folder / f"{file}.{code}.md"
                assert lesson.is_file(), lesson
                text = lesson.read_text(encoding="utf-8")
                assert text.startswith("# "), f"{lesson}: starts with its title"
                assert 120 <= words(text) <= 420, f"{lesson}: {words(text)} words"
    assert quizzes == 1


def check_quiz(path: Path, meta: dict) -> None:
    assert path.is_file(), path
    assert 0 < meta["pass_mark"] <= 100
    assert meta["attempts"] >= 1
    assert meta["wait_minutes"] >= 0
    questions = load(path)["questions"]
    assert 5 <= len(questions) <= 8, path
    assert 0 < meta["draw"] <= len(questions)
    for index, q in enumerate(questions):
        where = f"{path.name}[{index}]"
        assert q["kind"] in KINDS, where
        assert_texts(q["text"], f"{where}.text")
        assert_texts(q["explanation"], f"{where}.explanation")
        choices = q.get("choices", [])
        for k, choice in enumerate(choices):
            assert_texts(choice["text"], f"{where}.choices[{k}]")
        correct = sum(bool(c.get("correct")) for c in choices)
        if q["kind"] == "single":
            assert correct == 1, where
        elif q["kind"] == "multiple":
            assert correct >= 1, where
        elif q["kind"] == "ordering":
            assert len(choices) >= 2, where
            assert correct == 0, where
        else:
            assert not choices, where


def test_the_compliance_course_carries_the_certificate_and_covers_the_topics():
    meta = load(ROOT / "compliance-basics" / "course.yaml")
    assert meta["certificate"]["key"] == "compliance-basics"
    keys = [item["key"] for m in meta["modules"] for item in m["lessons"]]
    assert {
        "income-claims",
        "product-claims",
        "lawful-plan-vs-pyramid",
        "refunds-and-cancellation",
    } <= set(keys)
    quiz = load(ROOT / "compliance-basics" / "fair-business" / "quiz.yaml")
    assert {q["kind"] for q in quiz["questions"]} >= {"single", "multiple", "ordering"}
    assert sum(q["kind"] == "free_text" for q in quiz["questions"]) <= 1


def test_tracks():
    data = load(ROOT / "tracks.yaml")
    tracks = {t["key"]: t for t in data["tracks"]}
    assert [t["audience"] for t in data["tracks"]] == ["newcomer", "team-leader", "top-leader"]
    assert set(tracks) == {"first-30-days", "team-leader", "top-leader"}
    lessons = {}
    for path in COURSES:
        meta = load(path)
        for m in meta["modules"]:
            for item in m["lessons"]:
                lessons[f"{meta['slug']}/{item['key']}"] = item
    ranks = {rank["name"] for rank in load(DEMO_PLAN)["ranks"]}
    for track in data["tracks"]:
        assert KEY.match(track["key"])
        assert_texts(track["title"], track["key"])
        assert track["items"]
        for item in track["items"]:
            assert ("lesson" in item) != ("action" in item), item
            if "lesson" in item:
                assert item["lesson"] in lessons, item["lesson"]
            else:
                assert item["action"] in ACTIONS
            if "min_rank" in item:
                assert item["min_rank"] in ranks, item
            for field in ("due_days", "unlock_days"):
                if field in item:
                    assert isinstance(item[field], int)
                    assert item[field] >= 0
    first = tracks["first-30-days"]["items"]
    assert {item.get("action") for item in first} >= ACTIONS
    assert all(item.get("due_days", 0) <= 30 for item in first)
