"""The claim scanner: one service for everything a distributor writes (DESIGN rule 13).

Pages, e-mails, messages, posts and announcements pass ``submit_text`` before anyone else sees
them. The scanner looks for income, lifestyle, health and recruiting claims (and endorsements
that need "#ad") in English, Russian, Polish and German at once; no language detection is
needed, every lexicon is applied to every text.

API (the names other apps call)::

    from downline.compliance.claims import scan, submit_text, review_status, ClaimVerdict

    scan(text, *, language=None) -> ScanResult
        ScanResult.verdict: ClaimVerdict  ("allow" | "disclose" | "review" | "block"),
            the strictest finding's severity
        ScanResult.findings: list[Finding(category, phrase, start, end, rule, ...)]
            category in {"income", "lifestyle", "health", "recruiting", "endorsement"};
            ``phrase`` is the text as written (``text[start:end]``), ``rule`` names the lexicon
            entry ("en/health/block/cure*") or pattern ("ru/income/review/~amount per period")
        ScanResult.disclosure: key of the required disclosure when the verdict is "disclose"
            ("income_disclosure": link the income disclosure statement; "ad": mark the post
            "#ad"); ``ScanResult.disclosures`` lists every missing one.
    submit_text(text, *, author, source_kind, source_id, language=None) -> ScanResult
        Scans. "block" raises ``ClaimBlocked`` (a ``ValidationError``; its message names the
        phrase and why; ``error.result`` holds the scan). "review" queues a ``ClaimReview``
        row for staff (once per text: the same text of the same source is not queued twice,
        an approved text is not queued again). "allow"/"disclose" withdraw any pending review
        of an earlier text of the same source (and a decision about an earlier text no longer
        applies: ``review_status`` answers "none").
    review_status(source_kind, source_id) -> "none" | "pending" | "approved" | "rejected"
        the state of the latest review of that source.
    do_review_claim(review, *, decision, reason, by) -> ClaimReview
        a staff decision ("approved" | "rejected"), recorded as event ``claim.reviewed``
        {source_kind, source_id, decision} (member_id = the author).

How text is matched:

* Normalised: NFKC, casefold, ё→е, diacritics stripped (ł→l, ß→ss) on both the text and the
  lexicon, so "Wolność finansowa" and "wolnosc finansowa" match alike; "_" and runs of spaces
  become one space; zero-width characters are dropped. Offsets always point into the original.
* Phrases (claim_lexicon/<lang>.yaml) with pyahocorasick, on whole words; a trailing "*" lets
  the last word run on. Every multi-word phrase is also matched without its spaces, so a hashtag
  such as ``#PreventHeartAttack`` is read as "prevent heart attack".
* Patterns (regular expressions in the same files) for amounts per period ("$10,000/month",
  "10 000 zł miesięcznie", "5.000 € im Monat", "300 000 рублей в месяц") and inflections.
* Obfuscations: a second reading maps digits and signs written for letters (``j0b``, ``$ell``),
  joins letters spelled apart (``c-u-r-e-s``, ``c u r e s``) and Latin look-alikes inside
  Cyrillic words; what only this reading finds is a finding too.
* Misspellings: rapidfuzz compares every run of words with the lexicon's phrases of the same
  length (8 letters or more, ``FUZZY_THRESHOLD`` = 88 by ratio).
* A "disclose" finding whose disclosure is already in the text ("#ad", a link to the income
  disclosure) is satisfied and does not count.
"""

from __future__ import annotations

import enum
import hashlib
import itertools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import ahocorasick
import yaml
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from rapidfuzz import fuzz, process

from downline.core.events import record_event

LEXICON_DIR = Path(__file__).with_name("claim_lexicon")
LANGUAGES = ("en", "ru", "pl", "de")
CATEGORIES = ("income", "lifestyle", "health", "recruiting", "endorsement")
SEVERITIES = ("block", "review", "disclose")
FUZZY_THRESHOLD = 88
FUZZY_MIN_LETTERS = 8
CLAIM_REVIEWED = "claim.reviewed"

CATEGORY_LABELS = {
    "income": _("income claim"),
    "lifestyle": _("lifestyle claim"),
    "health": _("health claim"),
    "recruiting": _("recruiting claim"),
    "endorsement": _("endorsement without disclosure"),
}
DISCLOSURE_LABELS = {
    "income_disclosure": _("link the income disclosure statement"),
    "ad": _("mark the post as an advertisement (#ad)"),
}
HOW_LABELS = {
    "exact": _("as written"),
    "pattern": _("pattern"),
    "obfuscated": _("disguised spelling"),
    "fuzzy": _("misspelled"),
}


class ClaimVerdict(enum.StrEnum):
    ALLOW = "allow"
    DISCLOSE = "disclose"
    REVIEW = "review"
    BLOCK = "block"

    @property
    def rank(self) -> int:
        return _RANK[self]

    @property
    def label(self) -> str:
        return str(VERDICT_LABELS[self])


_RANK = {
    ClaimVerdict.ALLOW: 0,
    ClaimVerdict.DISCLOSE: 1,
    ClaimVerdict.REVIEW: 2,
    ClaimVerdict.BLOCK: 3,
}
VERDICT_LABELS = {
    ClaimVerdict.ALLOW: _("allowed"),
    ClaimVerdict.DISCLOSE: _("allowed with a disclosure"),
    ClaimVerdict.REVIEW: _("held for compliance review"),
    ClaimVerdict.BLOCK: _("blocked"),
}


@dataclass(frozen=True)
class Finding:
    category: str
    phrase: str
    start: int
    end: int
    rule: str
    severity: str = "review"
    disclosure: str | None = None
    language: str = "en"
    how: str = "exact"
    satisfied: bool = False

    @property
    def verdict(self) -> ClaimVerdict:
        if self.satisfied:
            return ClaimVerdict.ALLOW
        return ClaimVerdict(self.severity)

    @property
    def category_label(self) -> str:
        return str(CATEGORY_LABELS.get(self.category, self.category))

    @property
    def how_label(self) -> str:
        return str(HOW_LABELS.get(self.how, self.how))

    def as_dict(self) -> dict:
        return {
            "category": self.category,
            "phrase": self.phrase,
            "start": self.start,
            "end": self.end,
            "rule": self.rule,
            "severity": self.severity,
            "disclosure": self.disclosure,
            "language": self.language,
            "how": self.how,
            "satisfied": self.satisfied,
        }


@dataclass
class ScanResult:
    verdict: ClaimVerdict
    findings: list[Finding] = field(default_factory=list)
    disclosure: str | None = None
    disclosures: tuple[str, ...] = ()

    @property
    def allowed(self) -> bool:
        """Publishable now (possibly with a disclosure)."""
        return self.verdict in (ClaimVerdict.ALLOW, ClaimVerdict.DISCLOSE)

    def strictest(self) -> Finding | None:
        counted = [f for f in self.findings if not f.satisfied]
        return max(counted, key=lambda f: f.verdict.rank) if counted else None


class ClaimBlocked(ValidationError):
    """The text holds a claim that may never be published; ``result`` holds the scan."""

    def __init__(self, result: ScanResult):
        self.result = result
        finding = result.strictest()
        if finding is None:  # pragma: no cover - a block always has a finding
            message = gettext("The text holds a claim that may not be published.")
        else:
            message = gettext(
                "“%(phrase)s” is a %(category)s that may not be published; remove it."
            ) % {"phrase": finding.phrase, "category": finding.category_label}
        super().__init__(message, code="claim_blocked")


# --------------------------------------------------------------------------- normalising

_ZERO_WIDTH = {"\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"}
_EXTRA = str.maketrans(
    {
        "ł": "l",
        "đ": "d",
        "ø": "o",
        "æ": "ae",
        "œ": "oe",
        "ı": "i",
        "’": "'",
        "‘": "'",
        "_": " ",
        "‐": "-",
        "‑": "-",
        "–": "-",
        "—": "-",
    }
)
_LEET = {
    "0": "o",
    "1": "i",
    "3": "e",
    "4": "a",
    "5": "s",
    "7": "t",
    "8": "b",
    "@": "a",
    "$": "s",
    "€": "e",
    "!": "i",
    "|": "l",
}
_LATIN_TO_CYRILLIC = str.maketrans(
    {
        "a": "а",
        "c": "с",
        "e": "е",
        "o": "о",
        "p": "р",
        "x": "х",
        "y": "у",
        "k": "к",
        "m": "м",
        "t": "т",
        "h": "н",
        "b": "в",
        "u": "и",
    }
)
_CYRILLIC = re.compile(r"[а-я]")


def _norm_char(ch: str) -> str:
    text = unicodedata.normalize("NFKC", ch).casefold()
    text = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    text = text.translate(_EXTRA)
    return " " if text.isspace() else text


class _View:
    """A normalised reading of a text: its characters and, for each, the index in the original."""

    __slots__ = ("chars", "origin", "text")

    def __init__(self, chars: list[str], origin: list[int]):
        self.chars = chars
        self.origin = origin
        self.text = "".join(chars)

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original span of ``text[start:end]`` (end exclusive)."""
        return self.origin[start], self.origin[end - 1] + 1


def _base_view(text: str) -> _View:
    chars: list[str] = []
    origin: list[int] = []
    for index, ch in enumerate(text):
        if ch in _ZERO_WIDTH:
            continue
        for c in _norm_char(ch):
            if c == " " and chars and chars[-1] == " ":
                continue
            chars.append(c)
            origin.append(index)
    return _View(chars, origin)


def normalise(text: str) -> str:
    """The normalised form of ``text`` (what the lexicon is matched against)."""
    return _base_view(text).text.strip()


_TOKEN = re.compile(r"[\w@$€!|]+")
_SPACED = re.compile(r"(?<!\w)(?:[^\W\d_][-.*/+·~ ]){2,}[^\W\d_](?!\w)")


def _deobfuscated_view(base: _View) -> _View:
    chars = list(base.chars)
    origin = list(base.origin)
    # digits and signs written for letters, inside words that have letters before them
    for match in _TOKEN.finditer(base.text):
        token = match.group()
        if not re.search(r"[^\W\d_]", token):
            continue
        first_letter = re.search(r"[^\W\d_]", token).start()
        if not any(c in _LEET for c in token[first_letter + 1 :]) and not (
            token[0] in "$@" and len(token) > 1
        ):
            continue
        for offset, c in enumerate(token):
            if c not in _LEET:
                continue
            letter_after = bool(re.search(r"[^\W\d_]", token[offset + 1 :]))
            inside = offset > first_letter and (c.isdigit() or letter_after)
            if inside or (offset == 0 and c in "$@" and letter_after):
                chars[match.start() + offset] = _LEET[c]
    # Latin look-alikes inside Cyrillic words
    text = "".join(chars)
    for match in re.finditer(r"\w+", text):
        word = match.group()
        if _CYRILLIC.search(word) and re.search(r"[a-z]", word):
            for offset, c in enumerate(word.translate(_LATIN_TO_CYRILLIC)):
                chars[match.start() + offset] = c
    # letters spelled apart: c-u-r-e-s, c u r e s
    text = "".join(chars)
    drop: set[int] = set()
    for match in _SPACED.finditer(text):
        for offset in range(1, len(match.group()), 2):
            drop.add(match.start() + offset)
    if drop:
        kept = [i for i in range(len(chars)) if i not in drop]
        chars = [chars[i] for i in kept]
        origin = [origin[i] for i in kept]
    return _View(chars, origin)


# --------------------------------------------------------------------------- the lexicon


@dataclass(frozen=True)
class _Entry:
    language: str
    category: str
    severity: str
    disclosure: str | None
    phrase: str  # as in the lexicon
    stem: bool

    @property
    def rule(self) -> str:
        return f"{self.language}/{self.category}/{self.severity}/{self.phrase}"


@dataclass(frozen=True)
class _Pattern:
    language: str
    category: str
    severity: str
    disclosure: str | None
    name: str
    regex: re.Pattern

    @property
    def rule(self) -> str:
        return f"{self.language}/{self.category}/{self.severity}/~{self.name}"


@dataclass
class _Lexicon:
    automaton: ahocorasick.Automaton
    patterns: list[_Pattern]
    markers: dict[str, list[str]]  # disclosure key -> normalised markers
    fuzzy: dict[int, tuple[list[str], list[_Entry]]]  # word count -> (phrases, entries)
    size: int


class LexiconError(ValueError):
    pass


def _entries_of(path: Path) -> tuple[list[_Entry], list[_Pattern], dict[str, list[str]]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    language = data.get("language") or path.stem
    entries: list[_Entry] = []
    for category, severities in (data.get("claims") or {}).items():
        if category not in CATEGORIES:
            raise LexiconError(f"{path.name}: unknown category {category!r}")
        for severity, items in (severities or {}).items():
            if severity not in SEVERITIES:
                raise LexiconError(f"{path.name}: {category}: unknown severity {severity!r}")
            groups = items.items() if severity == "disclose" else [(None, items)]
            for disclosure, phrases in groups:
                for phrase in phrases or ():
                    entries.append(
                        _Entry(
                            language,
                            category,
                            severity,
                            disclosure,
                            str(phrase),
                            str(phrase).endswith("*"),
                        )
                    )
    patterns = []
    for number, item in enumerate(data.get("patterns") or (), start=1):
        try:
            regex = re.compile(normalise(item["regex"]))
        except (KeyError, re.error) as error:
            raise LexiconError(f"{path.name}: pattern {number}: {error}") from error
        if item.get("category") not in CATEGORIES or item.get("severity") not in SEVERITIES:
            raise LexiconError(f"{path.name}: pattern {number}: bad category or severity")
        patterns.append(
            _Pattern(
                language,
                item["category"],
                item["severity"],
                item.get("disclosure"),
                item.get("name", str(number)),
                regex,
            )
        )
    markers = {
        key: [normalise(m) for m in values]
        for key, values in (data.get("disclosures") or {}).items()
    }
    return entries, patterns, markers


@lru_cache(maxsize=1)
def lexicon() -> _Lexicon:
    """The four lexicons, compiled once per process (``lexicon.cache_clear()`` reloads)."""
    automaton = ahocorasick.Automaton()
    keys: dict[str, list[_Entry]] = {}
    patterns: list[_Pattern] = []
    markers: dict[str, list[str]] = {}
    fuzzy: dict[int, tuple[list[str], list[_Entry]]] = {}
    count = 0
    for language in LANGUAGES:
        entries, language_patterns, language_markers = _entries_of(LEXICON_DIR / f"{language}.yaml")
        patterns.extend(language_patterns)
        for key, values in language_markers.items():
            markers.setdefault(key, []).extend(values)
        for entry in entries:
            count += 1
            key = normalise(entry.phrase.rstrip("*"))
            variants = {key}
            if " " in key:
                variants.add(key.replace(" ", ""))
            for variant in variants:
                keys.setdefault(variant, []).append(entry)
            if not entry.stem and len(key.replace(" ", "")) >= FUZZY_MIN_LETTERS:
                phrases, fuzzy_entries = fuzzy.setdefault(key.count(" ") + 1, ([], []))
                phrases.append(key)
                fuzzy_entries.append(entry)
    for key, entries in keys.items():
        automaton.add_word(key, (key, tuple(entries)))
    automaton.make_automaton()
    return _Lexicon(automaton, patterns, markers, fuzzy, count)


# --------------------------------------------------------------------------- scanning


def _word_char(text: str, index: int) -> bool:
    return 0 <= index < len(text) and text[index].isalnum()


def _exact(view: _View, lex: _Lexicon, source: str, how: str) -> list[tuple]:
    found = []
    text = view.text
    for end_index, (key, entries) in lex.automaton.iter(text):
        start = end_index - len(key) + 1
        end = end_index + 1
        if _word_char(text, start - 1):
            continue
        for entry in entries:
            if not entry.stem and _word_char(text, end):
                continue
            stop = end
            if entry.stem:  # the whole word it begins
                while stop < len(text) and text[stop].isalnum():
                    stop += 1
            found.append((entry, *view.span(start, stop), how))
    return found


FUZZY_MAX_WORDS = 20_000  # beyond this, a text is matched exactly only (seconds otherwise)


def _fuzzy(view: _View, lex: _Lexicon) -> list[tuple]:
    words = [(m.start(), m.end(), m.group()) for m in re.finditer(r"[^\W_]+", view.text)]
    words = words[:FUZZY_MAX_WORDS]
    found = []
    for count, (phrases, entries) in lex.fuzzy.items():
        if len(words) < count:
            continue
        windows = [
            " ".join(w[2] for w in words[i : i + count]) for i in range(len(words) - count + 1)
        ]
        scores = process.cdist(
            windows, phrases, scorer=fuzz.ratio, score_cutoff=FUZZY_THRESHOLD, workers=1
        )
        for i, j in zip(*scores.nonzero(), strict=True):
            if windows[i] == phrases[j]:
                continue  # an exact match, found already
            start, end = words[i][0], words[i + count - 1][1]
            found.append((entries[j], *view.span(start, end), "fuzzy"))
    return found


def _has_marker(text: str, marker: str) -> bool:
    start = text.find(marker)
    while start >= 0:
        end = start + len(marker)
        if not (marker[-1].isalnum() and _word_char(text, end)):
            return True
        start = text.find(marker, start + 1)
    return False


def scan(text: str, *, language: str | None = None) -> ScanResult:
    """Scan ``text`` with every lexicon (``language`` is accepted for the record; all four
    lexicons apply). See the module's docstring."""
    text = text or ""
    lex = lexicon()
    base = _base_view(text)
    raw = _exact(base, lex, "base", "exact")
    for pattern in lex.patterns:
        for match in pattern.regex.finditer(base.text):
            if match.end() > match.start():
                start, end = base.span(match.start(), match.end())
                raw.append((pattern, start, end, "pattern"))
    clear = _deobfuscated_view(base)
    if clear.text != base.text:
        raw.extend(_exact(clear, lex, "clear", "obfuscated"))
    raw.extend(_fuzzy(clear, lex))

    present = {
        key: any(_has_marker(base.text, m) for m in markers) for key, markers in lex.markers.items()
    }
    findings: dict[tuple, Finding] = {}
    covered: list[tuple[str, int, int]] = []
    order = {"exact": 0, "pattern": 1, "obfuscated": 2, "fuzzy": 3}
    raw.sort(key=lambda item: (order[item[3]], item[1], -(item[2] - item[1])))
    for rule_source, start, end, how in raw:
        rule = rule_source.rule
        if how in ("obfuscated", "fuzzy") and any(
            r == rule and s < end and start < e for r, s, e in covered
        ):
            continue
        key = (rule, start, end)
        if key in findings:
            continue
        disclosure = rule_source.disclosure
        findings[key] = Finding(
            category=rule_source.category,
            phrase=text[start:end],
            start=start,
            end=end,
            rule=rule,
            severity=rule_source.severity,
            disclosure=disclosure,
            language=rule_source.language,
            how=how,
            satisfied=bool(disclosure and present.get(disclosure)),
        )
        covered.append((rule, start, end))
    ordered = _without_repeats(findings.values())
    verdict = max((f.verdict for f in ordered), key=lambda v: v.rank, default=ClaimVerdict.ALLOW)
    missing: list[str] = []
    for finding in ordered:
        if finding.disclosure and not finding.satisfied and finding.disclosure not in missing:
            missing.append(finding.disclosure)
    return ScanResult(
        verdict=verdict,
        findings=ordered,
        disclosure=missing[0] if verdict == ClaimVerdict.DISCLOSE and missing else None,
        disclosures=tuple(missing),
    )


def _without_repeats(findings: Iterable[Finding]) -> list[Finding]:
    """Drop a finding inside the span of another one of the same category that is at least as
    strict (the same words matched twice: by a phrase and a pattern, in two spellings, or by a
    fuzzy reading of words matched exactly)."""
    strict_first = sorted(
        findings,
        key=lambda f: (-f.verdict.rank, f.how == "fuzzy", -(f.end - f.start), f.start),
    )
    kept: list[Finding] = []
    for finding in strict_first:
        inside = any(
            k.start <= finding.start
            and finding.end <= k.end
            and (k.category == finding.category or finding.how == "fuzzy")
            and k.verdict.rank >= finding.verdict.rank
            for k in kept
        )
        overlaps_exact = finding.how == "fuzzy" and any(
            k.start < finding.end and finding.start < k.end and k.how != "fuzzy" for k in kept
        )
        if not inside and not overlaps_exact:
            kept.append(finding)
    return sorted(kept, key=lambda f: (f.start, -f.verdict.rank))


def highlight(text: str, findings: Iterable[Finding | dict]) -> list[tuple[str, list]]:
    """``text`` cut into segments ``(piece, findings covering it)`` for showing the findings
    highlighted (the template marks the segments that have findings)."""
    spans = []
    for f in findings:
        item = f.as_dict() if isinstance(f, Finding) else dict(f)
        item["category_label"] = str(CATEGORY_LABELS.get(item["category"], item["category"]))
        spans.append(item)
    cuts = sorted({0, len(text), *(s["start"] for s in spans), *(s["end"] for s in spans)})
    segments = []
    for left, right in itertools.pairwise(cuts):
        if left >= right:
            continue
        covering = [s for s in spans if s["start"] <= left and right <= s["end"]]
        segments.append((text[left:right], covering))
    return segments


# --------------------------------------------------------------------------- the queue


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def submit_text(
    text: str,
    *,
    author,
    source_kind: str,
    source_id: str,
    language: str | None = None,
) -> ScanResult:
    """Scan a distributor's text before it is shown to anyone (see the module's docstring)."""
    from .models import ClaimReview

    result = scan(text, language=language)
    source_id = str(source_id)
    if result.verdict == ClaimVerdict.BLOCK:
        raise ClaimBlocked(result)
    digest = _digest(text)
    with transaction.atomic():
        pending = ClaimReview.objects.filter(
            source_kind=source_kind, source_id=source_id, status=ClaimReview.Status.PENDING
        )
        if result.verdict != ClaimVerdict.REVIEW:
            pending.update(status=ClaimReview.Status.WITHDRAWN, decided_at=timezone.now())
            newest = (
                ClaimReview.objects.filter(source_kind=source_kind, source_id=source_id)
                .order_by("-created_at", "-pk")
                .values_list("status", flat=True)
                .first()
            )
            if newest in (ClaimReview.Status.APPROVED, ClaimReview.Status.REJECTED):
                # the decision was about an earlier text; this one needs none
                ClaimReview.objects.create(
                    author=author,
                    source_kind=source_kind,
                    source_id=source_id,
                    language=language or "",
                    text=text,
                    text_sha256=digest,
                    verdict=str(result.verdict),
                    findings=[f.as_dict() for f in result.findings],
                    status=ClaimReview.Status.CLEARED,
                    decided_at=timezone.now(),
                )
            return result
        same = (
            ClaimReview.objects.filter(
                source_kind=source_kind,
                source_id=source_id,
                text_sha256=digest,
                status__in=(ClaimReview.Status.PENDING, ClaimReview.Status.APPROVED),
            )
            .order_by("-created_at", "-pk")
            .first()
        )
        if same is not None:
            return result
        pending.update(status=ClaimReview.Status.WITHDRAWN, decided_at=timezone.now())
        ClaimReview.objects.create(
            author=author,
            source_kind=source_kind,
            source_id=source_id,
            language=language or "",
            text=text,
            text_sha256=digest,
            verdict=str(result.verdict),
            findings=[f.as_dict() for f in result.findings],
        )
    return result


def review_status(source_kind: str, source_id: str) -> str:
    """ "none" | "pending" | "approved" | "rejected": the latest review of that source."""
    from .models import ClaimReview

    newest = (
        ClaimReview.objects.filter(source_kind=source_kind, source_id=str(source_id))
        .order_by("-created_at", "-pk")
        .values_list("status", flat=True)
        .first()
    )
    if newest in (None, ClaimReview.Status.WITHDRAWN, ClaimReview.Status.CLEARED):
        return "none"  # nothing held, or the latest text needed no review
    return newest


def do_review_claim(review, *, decision: str, reason: str, by):
    """Staff decide a pending review: ``decision`` "approved" or "rejected" with a reason."""
    from .models import ClaimReview

    if decision not in (ClaimReview.Status.APPROVED, ClaimReview.Status.REJECTED):
        raise ValidationError(
            {"decision": gettext("Choose approve or reject.")}, code="invalid_decision"
        )
    reason = (reason or "").strip()
    if decision == ClaimReview.Status.REJECTED and not reason:
        raise ValidationError(
            {"reason": gettext("Say why the text is rejected; the author reads it.")},
            code="reason_required",
        )
    with transaction.atomic():
        locked = ClaimReview.objects.select_for_update().get(pk=review.pk)
        if locked.status != ClaimReview.Status.PENDING:
            raise ValidationError(
                gettext("This review was already decided or withdrawn."), code="decided"
            )
        locked.status = decision
        locked.reason = reason[:2000]
        locked.decided_at = timezone.now()
        locked.decided_by = by
        locked.save(update_fields=["status", "reason", "decided_at", "decided_by"])
        record_event(
            CLAIM_REVIEWED,
            {
                "source_kind": locked.source_kind,
                "source_id": locked.source_id,
                "decision": decision,
            },
            member_id=locked.author_id,
        )
    return locked
