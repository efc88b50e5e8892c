"""The labelled questions (``questions.yaml``) and their measurement.

``measure(questions, member)`` returns retrieval hit@3 of the document questions (a right
source among the first three documents), the share of own-number questions whose first
source is the right intent, and the answer times (the whole answer, figures included).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

QUESTIONS = Path(__file__).with_name("questions.yaml")


def load(path: Path = QUESTIONS) -> list[dict]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@dataclass
class Measured:
    doc_questions: int = 0
    doc_hits: int = 0
    own_questions: int = 0
    own_first: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    misses: list[tuple[str, str, list[str], list[str]]] = field(default_factory=list)

    @property
    def hit_at_3(self) -> float:
        return self.doc_hits / self.doc_questions if self.doc_questions else 0.0

    @property
    def own_right_first(self) -> float:
        return self.own_first / self.own_questions if self.own_questions else 0.0

    def percentile(self, share: float) -> float:
        if not self.latencies_ms:
            return 0.0
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def first_sources(question: str, language: str) -> list[str]:
    """The keys the assistant would cite first: ``own:<intent>`` for an own-number question,
    ``refuse:<category>`` for a refusal, else the top three documents."""
    from downline.assistant.answers import classify

    kind, label, hits = classify(question, language)
    if kind == "own":
        return [f"own:{label}"]
    if kind == "refusal":
        return [f"refuse:{label}"]
    return [hit.doc.key for hit in hits[:3]]


def measure(questions: list[dict], member=None) -> Measured:
    from django.utils import translation

    from downline.assistant.answers import draft_answer

    out = Measured()
    for item in questions:
        language, question, expect = item["lang"], item["q"], set(item["expect"])
        with translation.override(language):
            got = first_sources(question, language)
            if item.get("own"):
                out.own_questions += 1
                right = bool(got) and got[0] in expect
                out.own_first += right
            else:
                out.doc_questions += 1
                right = bool(expect & set(got[:3]))
                out.doc_hits += right
            if not right:
                out.misses.append((language, question, sorted(expect), got))
            if member is not None:
                started = time.perf_counter()
                draft_answer(member, question, language)
                out.latencies_ms.append((time.perf_counter() - started) * 1000)
    return out
