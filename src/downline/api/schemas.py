"""Shapes of what the API reads and writes (the OpenAPI document is generated from them).

Money is integer minor units of ``currency``; PV and CV are integer hundredths. List items have
every field optional, because ``fields=`` may leave any of them out; detail answers have them
all.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from ninja import Field, Schema
from pydantic import ConfigDict, field_validator


class Strict(Schema):
    """Request bodies refuse unknown fields, so a misspelt field is named, not ignored, and
    text with a NUL character (which PostgreSQL cannot store), naming the field."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: object) -> object:
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("must not contain a NUL character (U+0000)")
        return value


# --------------------------------------------------------------------------- members


class MemberOut(Schema):
    member_id: str
    name: str
    email: str
    kind: str
    status: str
    sponsor: str | None
    placement_parent: str | None
    placement_position: int | None
    joined_on: date
    country: str
    language: str
    currency: str
    enrollment_downline: int
    placement_downline: int


class MemberItem(Schema):
    member_id: str | None = None
    name: str | None = None
    email: str | None = None
    kind: str | None = None
    status: str | None = None
    sponsor: str | None = None
    placement_parent: str | None = None
    placement_position: int | None = None
    joined_on: date | None = None
    country: str | None = None
    language: str | None = None
    currency: str | None = None
    enrollment_downline: int | None = None
    placement_downline: int | None = None


MEMBER_FIELDS = tuple(MemberOut.model_fields)


class MemberPage(Schema):
    items: list[MemberItem]
    next_cursor: str | None


class EnrollIn(Strict):
    member_id: str = Field(..., min_length=1, max_length=64)
    sponsor: str = Field(..., min_length=1, max_length=64, description="the sponsor's member id")
    joined_on: date
    kind: Literal["distributor", "customer"] = "distributor"
    name: str = Field("", max_length=200)
    email: str = Field("", max_length=254)
    country: str = Field("", max_length=2)
    language: Literal["en", "ru", "pl", "de"] = "en"
    currency: str | None = Field(None, min_length=3, max_length=3)
    placement_mode: (
        Literal["spillover", "extreme_left", "extreme_right", "weaker_leg", "explicit"] | None
    ) = None
    placement_parent: str | None = Field(None, min_length=1, max_length=64)
    position: int | None = Field(None, ge=1, le=1000)
    reason: str = Field("", max_length=500)


class MoveIn(Strict):
    sponsor: str = Field(..., min_length=1, max_length=64, description="the new sponsor")
    placement_parent: str | None = Field(None, min_length=1, max_length=64)
    position: int | None = Field(None, ge=1, le=1000)
    placement_mode: (
        Literal["spillover", "extreme_left", "extreme_right", "weaker_leg", "explicit"] | None
    ) = None
    reason: str = Field(..., min_length=1, max_length=500)


# --------------------------------------------------------------------------- products


class PriceOut(Schema):
    currency: str
    amount: int


class ProductOut(Schema):
    sku: str
    name: str
    names: dict[str, str]
    kind: str
    pv: int
    cv: int
    active: bool
    prices: list[PriceOut]


class ProductPage(Schema):
    items: list[ProductOut]
    next_cursor: str | None


# --------------------------------------------------------------------------- orders


class OrderLineOut(Schema):
    id: int
    sku: str
    description: str
    quantity: int
    unit_price: int
    unit_pv: int
    unit_cv: int


class OrderOut(Schema):
    number: str
    buyer: str
    credited_to: str
    is_customer_order: bool
    kind: str
    status: str
    returns_order: str | None
    currency: str
    amount: int
    pv: int
    cv: int
    paid_at: datetime
    period: str
    lines: list[OrderLineOut]


class OrderItem(Schema):
    number: str | None = None
    buyer: str | None = None
    credited_to: str | None = None
    is_customer_order: bool | None = None
    kind: str | None = None
    status: str | None = None
    returns_order: str | None = None
    currency: str | None = None
    amount: int | None = None
    pv: int | None = None
    cv: int | None = None
    paid_at: datetime | None = None
    period: str | None = None
    lines: list[OrderLineOut] | None = None


ORDER_FIELDS = tuple(OrderOut.model_fields)


class OrderPage(Schema):
    items: list[OrderItem]
    next_cursor: str | None


class LineIn(Strict):
    sku: str = Field(..., min_length=1, max_length=64)
    quantity: int = Field(..., ge=1, le=99_999)


class OrderIn(Strict):
    buyer: str = Field(..., min_length=1, max_length=64, description="the buyer's member id")
    currency: str = Field(..., min_length=3, max_length=3)
    lines: list[LineIn] = Field(..., min_length=1, max_length=500)
    paid_at: datetime | None = None
    number: str | None = Field(None, min_length=1, max_length=64)


class CancelIn(Strict):
    reason: str = Field(..., min_length=1, max_length=500)


class ReturnLineIn(Strict):
    line_id: int = Field(..., ge=1, description="id of a line of the order (OrderLineOut.id)")
    quantity: int = Field(..., ge=1, le=99_999)


class ReturnIn(Strict):
    reason: str = Field(..., min_length=1, max_length=500)
    lines: list[ReturnLineIn] | None = Field(
        None, max_length=500, description="omit to return everything not yet returned"
    )
    refunded_at: datetime | None = None


# --------------------------------------------------------------------------- periods and runs


class PeriodOut(Schema):
    code: str
    kind: str
    status: str
    starts_at: datetime
    ends_at: datetime
    closed_at: datetime | None


class PeriodPage(Schema):
    items: list[PeriodOut]
    next_cursor: str | None


class RunOut(Schema):
    id: int
    period: str
    kind: str
    computed_at: datetime
    finished_at: datetime
    currency: str
    distributors: int
    orders: int
    lines: int
    total_paid: int
    total_pv: int
    total_cv: int


class RunPage(Schema):
    items: list[RunOut]
    next_cursor: str | None


class RunJobOut(Schema):
    id: int
    period: str
    kind: str
    status: str
    error: str
    run: int | None


class StartRunIn(Strict):
    kind: Literal["preview"] = "preview"


# --------------------------------------------------------------------------- money


class CommissionLineOut(Schema):
    bonus: str
    level: int
    source: str | None = Field(
        None, description="member id of the source; null when none or outside the viewer's team"
    )
    source_order: str | None
    base: int
    rate_num: int
    rate_den: int
    amount_before_cap: int
    amount: int
    clawback: bool


class CommissionLinePage(Schema):
    items: list[CommissionLineOut]
    next_cursor: str | None


class StatementOut(Schema):
    member_id: str
    period: str
    run: int
    currency: str
    earned: int
    by_bonus: dict[str, int]
    clawbacks: int
    rank: str | None


class BalanceOut(Schema):
    currency: str
    wallet: int
    owed: int
    net: int


class PayoutOut(Schema):
    id: int
    batch: int
    member_id: str
    currency: str
    amount: int
    status: str
    updated_at: datetime


class PayoutPage(Schema):
    items: list[PayoutOut]
    next_cursor: str | None


# --------------------------------------------------------------------------- contacts

ContactStage = Literal["new", "contacted", "presented", "customer", "distributor"]
ContactLanguage = Literal["en", "ru", "pl", "de"]


def _no_nul_in_items(values: list[str] | None) -> list[str] | None:
    """Tags are stored as JSON, and PostgreSQL's JSON cannot hold a NUL character."""
    if values is not None and any("\x00" in value for value in values):
        raise ValueError("must not contain a NUL character (U+0000)")
    return values


class ContactOut(Schema):
    id: int = Field(..., examples=[812])
    owner: str = Field(..., description="member id of the distributor it belongs to")
    first_name: str = Field(..., examples=["Jana"])
    last_name: str = Field(..., examples=["Nowak"])
    email: str = Field(..., examples=["jana@example.com"])
    phone: str = Field(..., examples=["+48 601 234 567"])
    language: str = Field(..., examples=["pl"])
    time_zone: str = Field(..., examples=["Europe/Warsaw"])
    source: str = Field(..., examples=["api"])
    source_ref: str
    tags: list[str] = Field(..., examples=[["gym", "vegan"]])
    stage: str = Field(..., examples=["contacted"])
    email_consent: str = Field(
        ...,
        description="none | pending (double opt-in e-mail sent) | confirmed | withdrawn",
        examples=["pending"],
    )
    created_at: datetime
    last_activity_at: datetime = Field(
        ..., description="last change, note, stage move or timeline event (`updated_since`)"
    )


class ContactPage(Schema):
    items: list[ContactOut]
    next_cursor: str | None


class ContactNoteOut(Schema):
    id: int
    text: str = Field(..., examples=["Wants the starter kit after payday."])
    created_at: datetime


class ConsentOut(Schema):
    channel: str = Field(..., description="email (double opt-in) or data (keep my data)")
    source: str
    source_ref: str
    text_shown: str
    language: str
    given_at: datetime
    confirmed_at: datetime | None
    withdrawn_at: datetime | None


class ContactDetailOut(ContactOut):
    notes: list[ContactNoteOut] = Field(..., description="the newest 100, newest first")
    consents: list[ConsentOut] = Field(..., description="the newest 20, newest first")


class ConsentIn(Strict):
    """The consent the contact gave where the integration captured them (the exact text shown
    to them); recorded like a sign-up on a capture page (``do_capture_contact``)."""

    text_shown: str = Field(
        ...,
        min_length=1,
        max_length=10_000,
        examples=["Yes, e-mail me news and offers from Jana. I can unsubscribe at any time."],
    )
    email: bool = Field(
        True,
        description="consent to e-mail: starts the double opt-in (a confirmation e-mail)",
    )
    source_ref: str = Field("", max_length=120, examples=["newsletter-form"])
    address: str = Field("", max_length=64, description="IP address it came from")


class ContactIn(Strict):
    owner: str | None = Field(
        None,
        min_length=1,
        max_length=64,
        description="member id of the distributor it belongs to (required for an integration key)",
        examples=["D0000042"],
    )
    first_name: str = Field("", max_length=200, examples=["Jana"])
    last_name: str = Field("", max_length=200, examples=["Nowak"])
    email: str = Field("", max_length=254, examples=["jana@example.com"])
    phone: str = Field("", max_length=100)
    language: ContactLanguage = "en"
    time_zone: str = Field("", max_length=64, examples=["Europe/Warsaw"])
    tags: list[str] = Field(default_factory=list, max_length=100, examples=[["gym"]])
    stage: ContactStage = "new"
    source: str = Field("api", min_length=1, max_length=40)
    note: str | None = Field(None, min_length=1, max_length=10_000)
    consent: ConsentIn | None = None

    _tags = field_validator("tags")(_no_nul_in_items)


class ContactPatch(Strict):
    """Only the fields sent change; ``stage`` moves the pipeline (``do_set_stage``)."""

    first_name: str | None = Field(None, max_length=200)
    last_name: str | None = Field(None, max_length=200)
    email: str | None = Field(None, max_length=254)
    phone: str | None = Field(None, max_length=100)
    language: ContactLanguage | None = None
    time_zone: str | None = Field(None, max_length=64)
    tags: list[str] | None = Field(None, max_length=100, examples=[["gym", "hot lead"]])
    stage: ContactStage | None = Field(None, examples=["presented"])

    _tags = field_validator("tags")(_no_nul_in_items)


class NoteIn(Strict):
    text: str = Field(
        ..., min_length=1, max_length=10_000, examples=["Called; call back on Friday."]
    )


# --------------------------------------------------------------------------- academy


class TrainingSummaryOut(Schema):
    member_id: str = Field(..., examples=["D0000042"])
    name: str
    joined_on: date
    level: int | None = Field(
        ...,
        description="levels below a personal token's member (0: the member); null for a key",
    )
    lessons_started: int
    lessons_completed: int
    last_activity_at: datetime | None
    status: Literal["not_started", "learning", "stuck", "failed_twice"] = Field(
        ..., description="as on the back office's team training page", examples=["learning"]
    )


class TrainingSummaryPage(Schema):
    items: list[TrainingSummaryOut]
    next_cursor: str | None


class CourseProgressOut(Schema):
    course: str = Field(..., description="course slug", examples=["compliance-basics"])
    title: str = Field(..., examples=["Compliance basics"])
    lessons_total: int
    lessons_completed: int
    percent: int = Field(..., description="completed × 100 ÷ total, rounded down")


class LessonProgressOut(Schema):
    id: int
    member_id: str
    course: str = Field(..., examples=["compliance-basics"])
    lesson: str = Field(..., description="lesson key", examples=["income-claims"])
    lesson_kind: str = Field(..., examples=["markdown"])
    state: Literal["started", "completed"]
    started_at: datetime
    completed_at: datetime | None
    updated_at: datetime


class LessonProgressPage(Schema):
    items: list[LessonProgressOut]
    next_cursor: str | None


class QuizResultOut(Schema):
    id: int
    member_id: str
    course: str
    lesson: str = Field(..., examples=["claims-quiz"])
    attempt: int = Field(..., description="1 for the member's first attempt of this quiz")
    status: Literal["open", "grading", "passed", "failed"]
    score: int | None = Field(..., description="percent right, rounded down", examples=[80])
    pass_mark: int = Field(..., examples=[80])
    questions: int
    started_at: datetime
    submitted_at: datetime | None


class QuizResultPage(Schema):
    items: list[QuizResultOut]
    next_cursor: str | None


class CertificateOut(Schema):
    code: str = Field(..., description="public verification code", examples=["q2Vd8xJm0bA1"])
    member_id: str
    course: str
    course_title: str = Field(..., examples=["Compliance basics"])
    key: str = Field(..., examples=["compliance-basics"])
    grade: int = Field(..., examples=[92])
    passed: bool
    course_version: int
    issued_on: date
    expires_on: date | None
    state: Literal["valid", "expired", "revoked", "failed"]
    revoked_at: datetime | None
    verification_url: str = Field(
        ..., examples=["https://office.example.com/academy/certificates/q2Vd8xJm0bA1/"]
    )


class CertificatePage(Schema):
    items: list[CertificateOut]
    next_cursor: str | None
