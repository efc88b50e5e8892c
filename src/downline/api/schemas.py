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
