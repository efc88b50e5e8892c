"""The growth model's parameters (docs/simulation.md): pydantic models, their defaults, and the
YAML file that overrides them.

Volumes (PV, CV) and basket amounts are written like in a plan (``50``, ``59.90``) and kept as
integer hundredths; an amount is in the plan's currency. Rates and probabilities are plain
numbers: a probability lies between 0 and 1; a rate is an expected count per month.

A parameters file lists only what it changes; every other value keeps its default. Mistakes are
reported as ``params.yaml:12: personas.builder.order_probability: must be at most 1``.
"""

from __future__ import annotations

import re
from pathlib import Path as FilePath
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from downline.engine.plan.load import PlanIssue, data_path, format_path, line_of, validation_message
from downline.engine.plan.values import VolumeField
from downline.engine.plan.yaml_source import YamlSyntaxError, load_yaml
from downline.i18n import gettext as _

PERSONAS = ("consumer", "hobbyist", "builder")
MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"
ProbabilityItem = Annotated[float, Field(ge=0, le=1)]
RateItem = Annotated[float, Field(ge=0)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Basket(Strict):
    """One order: its PV, CV and amount (the amount in the plan's currency)."""

    pv: VolumeField
    cv: VolumeField
    amount: VolumeField


class Persona(Strict):
    """How one kind of distributor behaves, month by month."""

    share: float = Field(ge=0, le=1, description="Share of newcomers who are this persona.")
    order_probability: float = Field(
        ge=0, le=1, description="Chance of an own order in a month (before seasonality)."
    )
    basket: Basket = Field(description="The order a distributor of this persona places.")
    starter_kit: bool = Field(description="Buys the starter kit on the join day.")
    recruiting_weight: float = Field(
        ge=0, description="Multiplies the recruiting rate of the distributor's rank."
    )
    customer_acquisition: float = Field(
        ge=0, description="Expected new retail customers per month (before seasonality)."
    )
    churn_weight: float = Field(ge=0, description="Multiplies the churn rate of the tenure.")


def _default_personas() -> dict[str, Persona]:
    return {
        "consumer": Persona(
            share=0.6,
            order_probability=0.7,
            basket=Basket(pv="60", cv="48", amount="69.90"),
            starter_kit=False,
            recruiting_weight=0.2,
            customer_acquisition=0.02,
            churn_weight=1.0,
        ),
        "hobbyist": Persona(
            share=0.3,
            order_probability=0.8,
            basket=Basket(pv="100", cv="80", amount="119.00"),
            starter_kit=True,
            recruiting_weight=1.0,
            customer_acquisition=0.15,
            churn_weight=0.8,
        ),
        "builder": Persona(
            share=0.1,
            order_probability=0.95,
            basket=Basket(pv="150", cv="120", amount="169.00"),
            starter_kit=True,
            recruiting_weight=3.0,
            customer_acquisition=0.4,
            churn_weight=0.5,
        ),
    }


class Personas(Strict):
    """The three personas; their shares add up to 1."""

    consumer: Persona = Field(default_factory=lambda: _default_personas()["consumer"])
    hobbyist: Persona = Field(default_factory=lambda: _default_personas()["hobbyist"])
    builder: Persona = Field(default_factory=lambda: _default_personas()["builder"])

    @model_validator(mode="after")
    def _shares(self) -> Personas:
        total = sum(getattr(self, name).share for name in PERSONAS)
        if abs(total - 1) > 1e-9:
            raise ValueError(
                _("the personas' shares must add up to 1, not %(total)s")
                % {"total": round(total, 6)}
            )
        return self

    def ordered(self) -> list[Persona]:
        return [getattr(self, name) for name in PERSONAS]


class Recruiting(Strict):
    """Recruiting: expected recruits per month of an active distributor, by paid-as rank."""

    by_rank: list[RateItem] = Field(
        default_factory=lambda: [0.15, 0.3, 0.5, 0.8],
        min_length=1,
        description="By the rank's position in the plan (first rank first); the last value "
        "applies to every higher rank.",
    )


class Churn(Strict):
    """Monthly chance that a distributor leaves, by tenure (months since joining)."""

    by_tenure: list[ProbabilityItem] = Field(
        default_factory=lambda: [0.12, 0.1, 0.08, 0.07, 0.06, 0.05, 0.04],
        min_length=1,
        description="Tenure 0 is the join month; the last value applies to every later month.",
    )


class Customers(Strict):
    """Retail customers: how often they order, what, and when they leave."""

    order_probability: float = Field(default=0.6, ge=0, le=1)
    basket: Basket = Field(default_factory=lambda: Basket(pv="50", cv="40", amount="59.90"))
    churn: float = Field(default=0.1, ge=0, le=1, description="Monthly chance to stop buying.")


class Certification(Strict):
    """Who holds the certificates a plan requires (``requires: {certificate: …}``): a share of
    the distributors, or a share by paid-as rank. Each distributor draws one number in [0, 1)
    when joining and holds every required certificate while it is below their share, so
    certification persists and a promotion can only add holders."""

    share: float = Field(
        default=0.7, ge=0, le=1, description="Share of distributors who hold the certificates."
    )
    by_rank: list[ProbabilityItem] | None = Field(
        default=None,
        min_length=1,
        description="Share certified by last month's paid-as rank (first rank first; the last "
        "value applies to every higher rank); replaces share when given.",
    )


class StartNetwork(Strict):
    """The distributors of the first month."""

    tree: str = Field(
        default="random",
        pattern=r"^(random|binary)$",
        description="random: each sponsor is drawn among those before; binary: member i is "
        "sponsored by member (i-1)//2.",
    )


class GrowthParams(Strict):
    """Every parameter of the growth model (docs/simulation.md)."""

    start_month: str = Field(default="2027-01", pattern=MONTH_PATTERN)
    deterministic: bool = Field(
        default=False,
        description="Replace every random draw by its expected value, accumulated per "
        "distributor (see docs/simulation.md).",
    )
    start_network: StartNetwork = Field(default_factory=StartNetwork)
    personas: Personas = Field(default_factory=Personas)
    starter_kit: Basket = Field(default_factory=lambda: Basket(pv="100", cv="50", amount="99.00"))
    recruiting: Recruiting = Field(default_factory=Recruiting)
    churn: Churn = Field(default_factory=Churn)
    customers: Customers = Field(default_factory=Customers)
    certification: Certification = Field(default_factory=Certification)
    seasonality: list[RateItem] = Field(
        default_factory=lambda: [0.9, 0.95, 1.05, 1.0, 1.0, 0.9, 0.85, 0.85, 1.05, 1.1, 1.15, 1.1],
        min_length=12,
        max_length=12,
        description="Multipliers of recruiting, customer acquisition and order chances, "
        "January to December.",
    )

    def seasonal(self, calendar_month: int) -> float:
        """The multiplier of ``calendar_month`` (1 = January)."""
        return self.seasonality[calendar_month - 1]


class ParamsError(ValueError):
    """A parameters file with one or more mistakes; ``messages`` are ``file:line: path: why``."""

    def __init__(self, messages: list[str]) -> None:
        self.messages = messages
        super().__init__("\n".join(messages))


def _issue_text(source: str, issue: PlanIssue) -> str:
    where = f"{source}:{issue.line}" if issue.line else source
    return f"{where}: {issue.path}: {issue.message}" if issue.path else f"{where}: {issue.message}"


def _merge(defaults: Any, overrides: Any) -> Any:
    """``overrides`` laid over ``defaults``: mappings merge key by key, anything else replaces."""
    if isinstance(defaults, dict) and isinstance(overrides, dict):
        merged = dict(defaults)
        for key, value in overrides.items():
            merged[key] = _merge(defaults.get(key), value) if key in defaults else value
        return merged
    return overrides


def _defaults_as_data() -> dict:
    return GrowthParams().model_dump(mode="json")


def params_from_text(text: str, source: str = "<params>") -> GrowthParams:
    """Defaults overridden by the YAML ``text``; :class:`ParamsError` names every mistake."""
    try:
        data, lines = load_yaml(text)
    except YamlSyntaxError as error:
        raise ParamsError([f"{source}:{error.line}: {error.message}"]) from error
    if data in ({}, None):
        return GrowthParams()
    if not isinstance(data, dict):
        raise ParamsError(
            [f"{source}:1: " + _("parameters are a mapping of fields (personas, churn, …)")]
        )
    merged = _merge(_defaults_as_data(), data)
    try:
        return GrowthParams.model_validate(merged)
    except ValidationError as error:
        messages = []
        for item in error.errors():
            path = data_path(merged, item["loc"])
            line = line_of(lines, path) if _within(data, path) else None
            issue = PlanIssue(
                format_path(path), line or line_of(lines, path[:1]), validation_message(item)
            )
            messages.append(_issue_text(source, issue))
        raise ParamsError(messages) from None


def _within(data: Any, path: tuple) -> bool:
    """Whether ``path`` leads somewhere the file itself wrote (not only a default)."""
    node = data
    for part in path:
        if (isinstance(node, dict) and part in node) or (
            isinstance(node, list) and isinstance(part, int) and part < len(node)
        ):
            node = node[part]
        else:
            return False
    return True


def load_params(path: str | FilePath | None) -> GrowthParams:
    """The defaults, or the defaults overridden by the YAML file at ``path``."""
    if path is None:
        return GrowthParams()
    file = FilePath(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as error:
        raise ParamsError(
            [f"{file}: " + _("cannot read the parameters: %(reason)s") % {"reason": error.strerror}]
        ) from error
    return params_from_text(text, source=file.name)


def month_index(text: str) -> int:
    """``"2027-03"`` → months since year 0 (``2027·12 + 2``)."""
    if not re.fullmatch(MONTH_PATTERN, text):
        raise ValueError(text)
    year, month = text.split("-")
    return int(year) * 12 + int(month) - 1
