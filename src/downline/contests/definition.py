"""Contest files: YAML in the plan language's style, validated with pydantic.

A contest file::

    contest: spring-customers          # the slug (addresses, events)
    title: {en: Spring customer drive, de: Frühjahrs-Kundenaktion}
    metric: customer_volume            # see METRICS
    window: {from: 2026-03-01, to: 2026-03-31}
    eligibility: {active: true, good_standing: true, certified: compliance-basics}
    tiers:
      - {name: Lisbon trip, threshold: 500, prize: {en: A weekend in Lisbon for two}}
      - {name: Top ten, top: 10, prize: {en: A dinner with the founders}}
    tie_breakers: [earlier_achievement, pv]
    caps: {per_order: 200, per_customer: 300, own_purchases_share: 20%}

Volumes (``threshold``, ``per_order``, ``per_customer`` of the volume metrics) are written in PV
with at most two decimals and kept as integer hundredths; counts are whole numbers.

Every mistake reads ``contest.yaml:LINE: path: message`` (:class:`ContestFileError`), like a
plan file's. Contests that reward what the pyramid-risk rules forbid are refused with the rule
(:data:`RULES`): a metric that counts recruiting alone (P1), and a metric that counts the
member's own purchases without a cap on their share, or with a share above 30% (P2).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from typing import Any, Literal

from django.utils.translation import gettext as _
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from downline.engine.plan.load import data_path, format_path, line_of, validation_message
from downline.engine.plan.values import parse_rate, parse_volume
from downline.engine.plan.yaml_source import YamlSyntaxError, load_yaml

MAX_CONTEST_BYTES = 64 * 1024

VOLUME_METRICS = ("customer_volume", "pv")
COUNT_METRICS = (
    "new_customers",
    "rank_advancements",
    "training_completed",
    "webinar_attendance",
)
METRICS = VOLUME_METRICS + COUNT_METRICS
RECRUITING_METRICS = (
    "new_distributors",
    "enrollments",
    "recruits",
    "sponsored",
    "personal_enrollments",
    "starter_kits",
)
OWN_PURCHASE_METRICS = ("own_purchases", "personal_purchases", "own_volume")
RESERVED_SLUGS = ("points", "settings", "recognition")
MAX_OWN_SHARE = Fraction(3, 10)
"""The largest share of a score that a member's own purchases may make (Amway rule 4.12: at
least 70% of the volume from customers)."""

RULES: dict[str, str] = {
    "P1": (
        "P1 no reward for recruiting alone: Koscot test (FTC guidance Q2), Vemma order 2016 "
        "(no compensation for recruiting), EU UCPD Annex I point 14; indicator I5"
    ),
    "P2": (
        "P2 no reward for own purchases beyond a limit: FTC 2018 guidance (purchases to "
        "qualify), Vemma order 2016 (no compensation linked to own purchases), Amway rule 4.12 "
        "(≥ 70% customer volume), indicator I8"
    ),
}


def _texts(value: Any) -> dict[str, str]:
    if isinstance(value, str):
        value = {"en": value}
    if not isinstance(value, dict) or not value:
        raise ValueError(_("write a text, or texts by language code, e.g. {en: Trip, de: Reise}"))
    out = {}
    for key, text in value.items():
        if key not in ("en", "ru", "pl", "de"):
            raise ValueError(_("%(key)r is not one of the languages en, ru, pl, de") % {"key": key})
        if not isinstance(text, str) or not text.strip():
            raise ValueError(_("the %(key)s text must not be empty") % {"key": key})
        out[key] = text.strip()
    return out


class Window(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    starts: date = Field(alias="from")
    ends: date = Field(alias="to")

    @model_validator(mode="after")
    def _order(self) -> Window:
        if self.ends < self.starts:
            raise ValueError(_("the window ends before it starts"))
        return self


class Eligibility(BaseModel):
    model_config = ConfigDict(extra="forbid")

    active: bool = False
    good_standing: bool = True
    certified: str | None = Field(default=None, pattern=r"^[a-z0-9][a-z0-9_-]*$")


class Tier(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    threshold: Any = None
    top: int | None = Field(default=None, ge=1, le=100_000)
    prize: dict[str, str]

    _check_prize = field_validator("prize", mode="before")(lambda cls, v: _texts(v))

    @model_validator(mode="after")
    def _one_kind(self) -> Tier:
        if (self.threshold is None) == (self.top is None):
            raise ValueError(_("a tier has either a threshold or top (the best N), not both"))
        return self


class Caps(BaseModel):
    model_config = ConfigDict(extra="forbid")

    per_order: Any = None
    per_customer: Any = None
    own_purchases_share: Any = None


class ContestFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    contest: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")
    title: dict[str, str]
    metric: str
    window: Window
    eligibility: Eligibility = Eligibility()
    tiers: list[Tier] = Field(min_length=1, max_length=20)
    tie_breakers: list[Literal["earlier_achievement", "pv"]] = ["earlier_achievement", "pv"]
    caps: Caps = Caps()

    _check_title = field_validator("title", mode="before")(lambda cls, v: _texts(v))


@dataclass(frozen=True)
class ContestIssue:
    path: str
    line: int | None
    message: str


class ContestFileError(ValueError):
    """A contest file with mistakes; ``str()`` lists them as ``file:line: path: message``."""

    def __init__(self, source: str, issues: list[ContestIssue]) -> None:
        self.source = source
        self.issues = issues
        super().__init__(self.summary())

    def summary(self) -> str:
        out = []
        for issue in self.issues:
            where = f"{self.source}:{issue.line}" if issue.line else self.source
            out.append(
                f"{where}: {issue.path}: {issue.message}"
                if issue.path
                else f"{where}: {issue.message}"
            )
        return "\n".join(out)


@dataclass(frozen=True)
class Contest:
    """A validated contest, units resolved: volumes in hundredths, shares exact."""

    slug: str
    title: dict[str, str]
    metric: str
    starts_on: date
    ends_on: date
    active: bool
    good_standing: bool
    certified: str | None
    tiers: tuple[dict, ...]  # {name, threshold (int|None), top (int|None), prize}
    tie_breakers: tuple[str, ...]
    per_order: int | None
    per_customer: int | None
    own_share: Fraction | None
    digest: str

    def as_json(self) -> dict:
        return {
            "slug": self.slug,
            "title": self.title,
            "metric": self.metric,
            "starts_on": self.starts_on.isoformat(),
            "ends_on": self.ends_on.isoformat(),
            "active": self.active,
            "good_standing": self.good_standing,
            "certified": self.certified,
            "tiers": list(self.tiers),
            "tie_breakers": list(self.tie_breakers),
            "per_order": self.per_order,
            "per_customer": self.per_customer,
            "own_share": None
            if self.own_share is None
            else [self.own_share.numerator, self.own_share.denominator],
            "digest": self.digest,
        }

    @classmethod
    def from_json(cls, data: dict) -> Contest:
        share = data.get("own_share")
        return cls(
            slug=data["slug"],
            title=data["title"],
            metric=data["metric"],
            starts_on=date.fromisoformat(data["starts_on"]),
            ends_on=date.fromisoformat(data["ends_on"]),
            active=data["active"],
            good_standing=data["good_standing"],
            certified=data["certified"],
            tiers=tuple(data["tiers"]),
            tie_breakers=tuple(data["tie_breakers"]),
            per_order=data["per_order"],
            per_customer=data["per_customer"],
            own_share=None if share is None else Fraction(share[0], share[1]),
            digest=data.get("digest", ""),
        )

    @property
    def is_volume(self) -> bool:
        return self.metric in VOLUME_METRICS


def load_contest_text(text: str, source: str = "contest.yaml") -> Contest:
    """Parse, validate and check a contest file against the pyramid-risk rules; raises
    :class:`ContestFileError` listing every mistake with its line."""
    encoded = text.encode("utf-8", errors="surrogatepass")
    if len(encoded) > MAX_CONTEST_BYTES:
        raise ContestFileError(
            source,
            [ContestIssue("", None, _("a contest file has at most %(kib)d KiB") % {"kib": 64})],
        )
    try:
        data, lines = load_yaml(text)
    except YamlSyntaxError as error:
        raise ContestFileError(source, [ContestIssue("", error.line, error.message)]) from error
    if not isinstance(data, dict):
        raise ContestFileError(
            source,
            [ContestIssue("", 1, _("a contest is a mapping of fields (contest, metric, …)"))],
        )
    try:
        parsed = ContestFile.model_validate(data)
    except ValidationError as error:
        issues = []
        for item in error.errors():
            path = data_path(data, tuple(item["loc"]))
            issues.append(
                ContestIssue(format_path(path), line_of(lines, path), validation_message(item))
            )
        raise ContestFileError(source, issues) from None
    issues: list[ContestIssue] = []

    def issue(path: tuple, message: str) -> None:
        issues.append(ContestIssue(format_path(path), line_of(lines, path), message))

    if parsed.contest in RESERVED_SLUGS:
        issue(
            ("contest",),
            _("%(slug)r is reserved for a page; choose another") % {"slug": parsed.contest},
        )
    metric = parsed.metric
    if metric in RECRUITING_METRICS:
        issue(
            ("metric",),
            _(
                "refused: the metric %(metric)s rewards recruiting alone; a contest rewards "
                "sales to customers, learning or service (rule %(rule)s)"
            )
            % {"metric": metric, "rule": RULES["P1"]},
        )
    elif metric in OWN_PURCHASE_METRICS:
        issue(
            ("metric",),
            _(
                "refused: the metric %(metric)s rewards a distributor's own purchases "
                "(rule %(rule)s)"
            )
            % {"metric": metric, "rule": RULES["P2"]},
        )
    elif metric not in METRICS:
        issue(
            ("metric",),
            _("unknown metric %(metric)r; expected one of %(expected)s")
            % {"metric": metric, "expected": ", ".join(METRICS)},
        )
    volume = metric in VOLUME_METRICS

    def amount(value: Any, path: tuple) -> int | None:
        if value is None:
            return None
        try:
            if volume:
                result = parse_volume(value)
            else:
                if isinstance(value, bool) or not isinstance(value, int):
                    raise ValueError(_("write a whole number (this metric counts)"))
                result = value
        except ValueError as error:
            issue(path, str(error))
            return None
        if result <= 0:
            issue(path, _("must be above zero"))
            return None
        return result

    tiers = []
    for index, tier in enumerate(parsed.tiers):
        tiers.append(
            {
                "name": tier.name,
                "threshold": amount(tier.threshold, ("tiers", index, "threshold")),
                "top": tier.top,
                "prize": tier.prize,
            }
        )
    per_order = amount(parsed.caps.per_order, ("caps", "per_order"))
    per_customer = amount(parsed.caps.per_customer, ("caps", "per_customer"))
    if not volume and (per_order or per_customer):
        issue(("caps",), _("caps per order and per customer apply to the volume metrics only"))
    share: Fraction | None = None
    if parsed.caps.own_purchases_share is not None:
        try:
            share = parse_rate(parsed.caps.own_purchases_share).value
        except ValueError as error:
            issue(("caps", "own_purchases_share"), str(error))
    if metric == "pv":
        if share is None and ("caps", "own_purchases_share") not in [
            tuple(i.path.split(".")) for i in issues
        ]:
            issue(
                ("caps", "own_purchases_share") if "caps" in data else ("metric",),
                _(
                    "refused: the metric pv counts the distributor's own purchases; cap their "
                    "share with caps.own_purchases_share (at most %(limit)s) (rule %(rule)s)"
                )
                % {"limit": "30%", "rule": RULES["P2"]},
            )
        elif share is not None and share > MAX_OWN_SHARE:
            issue(
                ("caps", "own_purchases_share"),
                _(
                    "refused: own purchases may make at most %(limit)s of a score, not "
                    "%(share)s (rule %(rule)s)"
                )
                % {
                    "limit": "30%",
                    "share": parsed.caps.own_purchases_share,
                    "rule": RULES["P2"],
                },
            )
    elif share is not None and metric in METRICS:
        issue(
            ("caps", "own_purchases_share"),
            _("only the metric pv counts own purchases; remove this cap"),
        )
    if issues:
        raise ContestFileError(source, issues)
    return Contest(
        slug=parsed.contest,
        title=parsed.title,
        metric=metric,
        starts_on=parsed.window.starts,
        ends_on=parsed.window.ends,
        active=parsed.eligibility.active,
        good_standing=parsed.eligibility.good_standing,
        certified=parsed.eligibility.certified,
        tiers=tuple(tiers),
        tie_breakers=tuple(parsed.tie_breakers),
        per_order=per_order,
        per_customer=per_customer,
        own_share=share,
        digest=hashlib.sha256(encoded).hexdigest(),
    )
