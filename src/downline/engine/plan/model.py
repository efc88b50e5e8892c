"""The plan language: pydantic models of a compensation plan file.

The semantics of every field are specified in ``docs/plan-language.md``; the field docstrings
here are what ``downline plan schema`` shows to editors.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from downline.i18n import gettext as _

from .values import MoneyField, PercentField, Rate, RateField, VolumeField

BONUS_NAME_PATTERN = r"^[a-z][a-z0-9_-]*$"
MAX_MONEY_MINOR = 10**15
"""Every amount a plan writes (caps, cycle pay, rank-advancement amounts) is below this many
minor units, so sums of many of them stay far inside int64 (2^63 ≈ 9.2 × 10^18)."""
LANGUAGE_CODE_PATTERN = r"^[a-z]{2}$"
CERTIFICATE_KEY_PATTERN = r"^[a-z0-9][a-z0-9_-]*$"

DisplayName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
Labels = dict[str, DisplayName]
"""Display names by language code: ``{en: Silver, ru: Серебро, pl: Srebro, de: Silber}``.

Only shown to people; the engine computes with ``name``. Keys are two-letter language codes
(checked in ``load.check_references`` so the error names the key)."""

LABEL_DESCRIPTION = (
    "Display names by two-letter language code, e.g. {en: Silver, de: Silber}; shown to "
    "readers in their language (then English, then the name). Never used in computation."
)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _certificate_list(value: object) -> object:
    """One key (``compliance-basics``) or a list of keys, kept as a tuple (plans are hashable)."""
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        return tuple(value)
    return value


CertificateKey = Annotated[
    str, StringConstraints(min_length=1, max_length=60, pattern=CERTIFICATE_KEY_PATTERN)
]
Certificates = Annotated[
    tuple[CertificateKey, ...],
    BeforeValidator(_certificate_list),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": CERTIFICATE_KEY_PATTERN},
                {
                    "type": "array",
                    "items": {"type": "string", "pattern": CERTIFICATE_KEY_PATTERN},
                    "minItems": 1,
                },
            ],
            "description": "A certificate key such as compliance-basics, or a list of keys: "
            "the distributor must hold every one on the period's last day.",
        }
    ),
]


def check_certificates(keys: tuple[str, ...] | None) -> tuple[str, ...] | None:
    if keys is None:
        return keys
    if not keys:
        raise ValueError(_("name at least one certificate"))
    if len(set(keys)) != len(keys):
        raise ValueError(_("a certificate is listed twice"))
    return keys


# --- currency -------------------------------------------------------------------------------


class PointCurrency(Strict):
    """A named point currency (not money), e.g. ``{points: points, decimals: 2}``."""

    points: str = Field(min_length=1, max_length=20, description="Name of the points.")
    decimals: int = Field(default=2, ge=0, le=4, description="Decimal places of the points.")


# --- network, volumes, activity ----------------------------------------------------------------


class Network(Strict):
    """Shape of the placement tree the plan expects."""

    placement: Literal["unilevel", "binary", "matrix"] = "unilevel"
    width: int | None = Field(default=None, ge=1, le=100, description="Matrix width.")

    @model_validator(mode="after")
    def _width(self) -> Network:
        if self.placement == "matrix" and self.width is None:
            raise ValueError(_("a matrix placement needs a width"))
        if self.placement != "matrix" and self.width is not None:
            raise ValueError(_("width is only for a matrix placement"))
        return self


Tree = Literal["enrollment", "placement"]
VolumeName = Literal["pv", "cv", "amount"]


class Volumes(Strict):
    """How the period volumes of a distributor are formed."""

    include_customers: bool = Field(
        default=True,
        description="PV, CV and turnover of a distributor include their retail customers' orders.",
    )
    group_tree: Tree = Field(
        default="enrollment",
        description="Tree over which group volume, legs and rank leg conditions are taken.",
    )


class Activity(Strict):
    """Who is active this period: an eligible distributor meeting every listed minimum."""

    pv_at_least: VolumeField | None = None
    cv_at_least: VolumeField | None = None


# --- ranks ------------------------------------------------------------------------------------


class QualifyingVolume(Strict):
    """Qualifying volume: own PV plus each leg's group volume, each leg counted at most a cap."""

    at_least: VolumeField
    max_per_leg: VolumeField | None = Field(default=None, description="Cap per leg, as a volume.")
    max_leg_share: RateField | None = Field(
        default=None, description="Cap per leg as a share of at_least, e.g. 50%."
    )
    own_pv: Literal["full", "capped"] = Field(
        default="full", description="Whether own PV counts in full or under the same cap."
    )

    @model_validator(mode="after")
    def _one_cap(self) -> QualifyingVolume:
        if (self.max_per_leg is None) == (self.max_leg_share is None):
            raise ValueError(_("give exactly one of max_per_leg or max_leg_share"))
        return self


class Legs(Strict):
    """At least ``count`` legs each holding ``rank`` or higher somewhere in the leg."""

    count: int = Field(ge=1)
    rank: str


class RankRequirements(Strict):
    """What a distributor must also hold to reach a rank: certificates (e.g. a compliance
    training), held on the period's last day."""

    certificate: Certificates = Field(
        description="A certificate key (compliance-basics) or a list of keys; every one must "
        "be held on the period's last day."
    )

    @field_validator("certificate")
    @classmethod
    def _keys(cls, keys: tuple[str, ...] | None) -> tuple[str, ...] | None:
        return check_certificates(keys)


class Rank(Strict):
    """A rank and its conditions; all listed conditions must hold. The first rank has none."""

    name: str = Field(min_length=1, max_length=40)
    label: Labels | None = Field(default=None, description=LABEL_DESCRIPTION)
    pv: VolumeField | None = None
    gv: VolumeField | None = None
    qualifying_volume: QualifyingVolume | None = None
    legs: Legs | None = None
    personally_enrolled: int | None = Field(default=None, ge=1)
    personally_enrolled_active: int | None = Field(default=None, ge=1)
    customers: int | None = Field(
        default=None, ge=1, description="Retail customers who bought this period."
    )
    active: bool | None = Field(default=None, description="Must be active (true).")
    requires: RankRequirements | None = Field(
        default=None,
        description="Certificates the distributor must hold, e.g. {certificate: compliance-basics}.",
    )

    def conditions(self) -> list[str]:
        names = (
            "active",
            "pv",
            "gv",
            "qualifying_volume",
            "legs",
            "personally_enrolled",
            "personally_enrolled_active",
            "customers",
            "requires",
        )
        return [name for name in names if getattr(self, name) not in (None, False)]


class RankRules(Strict):
    grace_periods: int = Field(
        default=0,
        ge=0,
        le=12,
        description="Consecutive periods a distributor keeps their previous paid-as rank "
        "when they fall short of it.",
    )


# --- bonuses ----------------------------------------------------------------------------------

Earner = Literal["active", "eligible"]


class Requirements(Strict):
    """Compliance conditions a distributor must also meet to earn a bonus; a distributor who
    fails one is treated like one who fails the bonus's earner rule."""

    customer_share_at_least: PercentField | None = Field(
        default=None,
        description="Customer PV ÷ (own PV + customer PV) of the period at least this "
        "percentage, e.g. 70% (fails when own PV + customer PV is 0 or less).",
    )
    customers_at_least: int | None = Field(
        default=None,
        ge=1,
        description="Distinct retail customers with a positive net turnover in the period.",
    )
    certificate: Certificates | None = Field(
        default=None,
        description="A certificate key (compliance-basics) or a list of keys the earner must "
        "hold on the period's last day.",
    )

    @field_validator("certificate")
    @classmethod
    def _keys(cls, keys: tuple[str, ...] | None) -> tuple[str, ...] | None:
        return check_certificates(keys)

    @field_validator("customer_share_at_least")
    @classmethod
    def _a_percentage(cls, share: Rate | None) -> Rate | None:
        if share is None:
            return share
        if not share.text.endswith("%"):
            raise ValueError(_("write the customer share as a percentage such as 70%"))
        if share.value <= 0:
            raise ValueError(
                # xgettext:no-python-format
                _("a customer share of 0% requires nothing; give a share above 0% or leave it out")
            )
        return share

    @model_validator(mode="after")
    def _something(self) -> Requirements:
        if (
            self.customer_share_at_least is None
            and self.customers_at_least is None
            and self.certificate is None
        ):
            raise ValueError(
                _("requires needs customer_share_at_least, customers_at_least or certificate")
            )
        return self


class BonusBase(Strict):
    name: str = Field(min_length=1, max_length=40, pattern=BONUS_NAME_PATTERN)
    title: str | None = Field(default=None, description="Name shown to distributors.")
    label: Labels | None = Field(default=None, description=LABEL_DESCRIPTION)
    earner: Earner = Field(
        default="active",
        description="Who can earn: active distributors, or every eligible (status active) one.",
    )
    requires: Requirements | None = Field(
        default=None,
        description="Compliance conditions an earner must also meet (the 70% customer rule, "
        "the 10-customer rule).",
    )


class PersonalBonus(BonusBase):
    """A rate on the distributor's own period volume (one line per distributor)."""

    kind: Literal["personal"]
    volume: VolumeName = "cv"
    rate: RateField


class UnilevelBonus(BonusBase):
    """Rates by level on the volume of each order (or each distributor) below the earner."""

    kind: Literal["unilevel"]
    tree: Tree = "enrollment"
    volume: VolumeName = "cv"
    per: Literal["order", "distributor"] = "order"
    levels: list[RateField] = Field(min_length=1, max_length=30)
    compression: bool = Field(
        default=False,
        description="Dynamic compression: uplines who are not active are skipped and do not "
        "count as a level.",
    )
    depth_by_rank: dict[str, int] | None = Field(
        default=None,
        description="Deepest level paid to each paid-as rank; deeper levels are not paid.",
    )


class MatrixBonus(BonusBase):
    """Rates per placement level of a forced matrix, no compression."""

    kind: Literal["matrix"]
    volume: VolumeName = "cv"
    levels: list[RateField] = Field(min_length=1, max_length=30)


class FastStartBonus(BonusBase):
    """Rates by level on a new distributor's own orders in their first ``days`` days."""

    kind: Literal["fast_start"]
    tree: Tree = "enrollment"
    volume: VolumeName = "cv"
    days: int = Field(ge=1, le=366)
    levels: list[RateField] = Field(min_length=1, max_length=10)


class BinaryCycles(Strict):
    left: VolumeField
    right: VolumeField
    pays: MoneyField


class BinaryBonus(BonusBase):
    """Pairs the two placement legs: a share of the weaker leg, or fixed cycles."""

    kind: Literal["binary"]
    volume: VolumeName = "cv"
    rate: RateField | None = Field(default=None, description="Share of the weaker leg.")
    cycles: BinaryCycles | None = None
    cap_per_period: MoneyField | None = None
    carry_cap: VolumeField | None = Field(
        default=None, description="Most volume a leg carries into the next period."
    )
    flush_inactive: bool = Field(
        default=True, description="An earner who cannot earn this period loses both legs."
    )

    @model_validator(mode="after")
    def _one_method(self) -> BinaryBonus:
        if (self.rate is None) == (self.cycles is None):
            raise ValueError(_("give exactly one of rate (weak-leg share) or cycles"))
        return self


class Bracket(Strict):
    pgv: VolumeField
    rate: RateField


class StairstepBonus(BonusBase):
    """Differential by PGV bracket, with breakaway and a royalty on breakaway groups."""

    kind: Literal["stairstep"]
    tree: Tree = "enrollment"
    brackets: list[Bracket] = Field(min_length=1)
    breakaway_at: VolumeField = Field(description="A member whose PGV reaches this breaks away.")
    royalty: RateField | None = Field(default=None, description="Rate on each breakaway group.")
    royalty_requires: RateField | None = Field(
        default=None, description="Bracket rate the earner needs for the royalty."
    )
    reaches: Literal["children", "first_generation"] = Field(
        default="children",
        description="Which breakaways pay the royalty: each broken-away child (children), or "
        "the first broken-away member in each leg, however deep (first_generation).",
    )


class GenerationBonus(BonusBase):
    """Rates by generation, generations bounded by members holding ``rank`` or higher."""

    kind: Literal["generation"]
    tree: Tree = "enrollment"
    volume: VolumeName = "cv"
    rank: str
    generations: list[RateField] = Field(min_length=1, max_length=20)


class MatchingBonus(BonusBase):
    """Rates by enrollment level on other bonuses' earnings of the earner's downline."""

    kind: Literal["matching"]
    of: list[str] = Field(min_length=1)
    tree: Tree = "enrollment"
    levels: list[RateField] = Field(min_length=1, max_length=10)


class RankAdvancementBonus(BonusBase):
    """A one-time amount the first time ever a distributor's paid-as rank reaches a rank."""

    kind: Literal["rank_advancement"]
    amounts: dict[str, MoneyField] = Field(min_length=1)


class PoolBonus(BonusBase):
    """A share of company volume split among distributors by rank shares."""

    kind: Literal["pool"]
    share: RateField
    of: Literal["cv", "pv", "amount"] = "cv"
    shares: dict[str, int] = Field(min_length=1)
    rounding: Literal["floor_per_share", "largest_remainder"] = "largest_remainder"


Bonus = Annotated[
    PersonalBonus
    | UnilevelBonus
    | MatrixBonus
    | FastStartBonus
    | BinaryBonus
    | StairstepBonus
    | GenerationBonus
    | MatchingBonus
    | RankAdvancementBonus
    | PoolBonus,
    Field(discriminator="kind"),
]


class DistributorCap(Strict):
    """Most a distributor earns per period from ``bonuses`` together; lines are scaled down."""

    bonuses: list[str] = Field(min_length=1)
    max: MoneyField


class CompanyCap(Strict):
    """Total commissions at most ``share`` of company volume; every line scaled down pro rata."""

    share: RateField
    of: Literal["cv", "pv", "amount"] = "cv"
    bonuses: list[str] | None = Field(default=None, description="Capped bonuses; all if empty.")


# --- golden cases -----------------------------------------------------------------------------


class GoldenExpectation(Strict):
    lines: str | None = Field(
        default=None,
        description="CSV with a header naming lines.csv columns; the lines produced, "
        "projected on those columns, must be exactly these (in any order).",
    )
    distributors: str | None = Field(
        default=None,
        description="CSV with id and distributors.csv columns; each listed row must match.",
    )
    totals: dict[str, MoneyField] | None = Field(
        default=None, description="Total per bonus name, and 'total' for all."
    )
    state: dict | None = Field(default=None, description="Expected state.json distributors part.")


class GoldenCase(Strict):
    name: str
    period: str = "2026-10"
    time_zone: str = "UTC"
    distributors: str
    orders: str
    certificates: str | None = Field(
        default=None,
        description="certificates.csv text (member_id,certificate[,valid_from,valid_until]): "
        "who holds the certificates the plan requires.",
    )
    state: dict | None = None
    expect: GoldenExpectation


# --- the plan ---------------------------------------------------------------------------------


class Plan(Strict):
    """A compensation plan."""

    name: str = Field(min_length=1, max_length=120)
    description: str = ""
    currency: str | PointCurrency = Field(
        description="ISO 4217 code of the money paid (EUR), or a point currency."
    )
    network: Network = Network()
    volumes: Volumes = Volumes()
    activity: Activity | None = None
    ranks: list[Rank] = Field(default_factory=lambda: [Rank(name="Member")], min_length=1)
    rank_rules: RankRules = RankRules()
    bonuses: list[Bonus] = Field(min_length=1)
    caps: list[DistributorCap] = []
    company_cap: CompanyCap | None = None
    tests: list[GoldenCase] = []

    @property
    def currency_code(self) -> str:
        return self.currency if isinstance(self.currency, str) else self.currency.points

    @property
    def minor_digits(self) -> int:
        from downline.money import minor_units

        if isinstance(self.currency, str):
            return minor_units(self.currency)
        return self.currency.decimals

    def money_minor(self, amount: Decimal) -> int:
        """``amount`` in minor units; ValueError if it has more decimals than the currency."""
        scaled = amount.scaleb(self.minor_digits)
        if scaled != scaled.to_integral_value():
            raise ValueError(
                _("%(amount)s has more decimals than %(currency)s (%(digits)d)")
                % {"amount": amount, "currency": self.currency_code, "digits": self.minor_digits}
            )
        if abs(scaled) >= MAX_MONEY_MINOR:
            raise ValueError(
                _("%(amount)s is too large: an amount of a plan is below %(limit)s minor units")
                % {"amount": amount, "limit": f"{MAX_MONEY_MINOR:,}"}
            )
        return int(scaled)

    def rank_index(self, name: str) -> int:
        return [rank.name for rank in self.ranks].index(name)

    def certificate_keys(self) -> tuple[str, ...]:
        """Every certificate a rank or a bonus requires, in plan order, each once."""
        keys: list[str] = []
        for block in [rank.requires for rank in self.ranks] + [b.requires for b in self.bonuses]:
            for key in (block.certificate or ()) if block is not None else ():
                if key not in keys:
                    keys.append(key)
        return tuple(keys)
