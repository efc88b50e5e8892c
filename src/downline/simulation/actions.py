"""Writes of the plan lab: starting a simulation as a background task.

``do_start_simulation`` checks every input before it writes anything and reports every problem
at once, each tied to the form field it is about: numbers out of range, a missing or doubled
plan, a plan text or a parameters text with mistakes (``file:line: field: why``, the same
wording as ``downline simulate``), two compared plans in different currencies. Only a request
without a problem becomes a ``SimulationRun`` row and a queued task.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from downline.compensation.models import PlanVersion
from downline.core.errors import DownlineError
from downline.core.jobs import INTERACTIVE_PRIORITY
from downline.engine.plan import LoadedPlan, PlanError, load_plan_text

from .cli import MAX_MONTHS
from .models import SimulationRun
from .params import GrowthParams, ParamsError, params_from_text

MAX_START_DISTRIBUTORS = 100_000
MAX_REPLICAS = 100
MAX_SEED = 2**63 - 1
PASTED = "pasted"


class SimulationInputError(DownlineError):
    """A simulation request with mistakes; ``problems`` pairs each message with its field
    (``None``: the request as a whole)."""

    def __init__(self, problems: list[tuple[str | None, str]]) -> None:
        self.problems = problems
        super().__init__("\n".join(message for _field, message in problems))


@dataclass(frozen=True)
class SimulationRequest:
    """What the console asks for. A plan is either a stored version or a pasted text; the
    compared plan is optional and given the same way."""

    plan_version: PlanVersion | None = None
    plan_text: str = ""
    compare_version: PlanVersion | None = None
    compare_text: str = ""
    months: int = 12
    start_distributors: int = 100
    replicas: int = 5
    seed: int = 1
    params_text: str = ""


def _source_name(label: str) -> str:
    """A file name for a plan: the simulation names a plan by its file name's stem."""
    return re.sub(r"[\\/]+", "-", label).strip() + ".yaml"


def version_label(version: PlanVersion) -> str:
    return f"{version.name} v{version.number}"


def loaded_plans(run: SimulationRun) -> list[LoadedPlan]:
    """The run's plan (and compared plan), parsed from the texts the run keeps."""
    plans = [load_plan_text(run.plan_text, _source_name(run.plan_label))]
    if run.compare_text:
        plans.append(load_plan_text(run.compare_text, _source_name(run.compare_label)))
    return plans


def growth_params(run: SimulationRun) -> GrowthParams:
    return params_from_text(run.params_text, source="parameters")


def _check_range(
    problems: list[tuple[str | None, str]], field: str, title: str, value: int, low: int, high: int
) -> None:
    if not low <= value <= high:
        problems.append(
            (
                field,
                _("%(field)s must be between %(low)s and %(high)s, not %(value)s.")
                % {"field": title, "low": f"{low:,}", "high": f"{high:,}", "value": value},
            )
        )


def _one_plan(
    problems: list[tuple[str | None, str]],
    *,
    version: PlanVersion | None,
    text: str,
    version_field: str,
    text_field: str,
    required: bool,
) -> tuple[str, str, LoadedPlan | None]:
    """(label, text, parsed plan) of one plan given as a version or a pasted text."""
    text = text.strip()
    if version is not None and text:
        problems.append(
            (
                text_field,
                _("Choose a stored plan version or paste a plan, not both."),
            )
        )
        return "", "", None
    if version is None and not text:
        if required:
            problems.append((version_field, _("Choose a plan version or paste a plan.")))
        return "", "", None
    if version is not None:
        label, text, field = version_label(version), version.text, version_field
    else:
        label, field = "", text_field
    try:
        loaded = load_plan_text(text, _source_name(label or PASTED))
    except PlanError as error:
        problems.extend((field, line) for line in error.summary().splitlines())
        return "", "", None
    if not label:
        pasted = _("pasted")
        label = f"{loaded.plan.name} ({pasted})"
    return label, text + ("" if text.endswith("\n") else "\n"), loaded


def do_start_simulation(request: SimulationRequest, *, actor) -> SimulationRun:
    """Queue a simulation of ``request`` (see the module rules); the returned run shows its
    progress and, once done, its metrics."""
    problems: list[tuple[str | None, str]] = []
    _check_range(problems, "months", _("Months"), request.months, 1, MAX_MONTHS)
    _check_range(
        problems,
        "start_distributors",
        _("Distributors at the start"),
        request.start_distributors,
        1,
        MAX_START_DISTRIBUTORS,
    )
    _check_range(problems, "replicas", _("Replicas"), request.replicas, 1, MAX_REPLICAS)
    _check_range(problems, "seed", _("Seed"), request.seed, 0, MAX_SEED)
    label, text, first = _one_plan(
        problems,
        version=request.plan_version,
        text=request.plan_text,
        version_field="plan_version",
        text_field="plan_text",
        required=True,
    )
    compare_label, compare_text, second = _one_plan(
        problems,
        version=request.compare_version,
        text=request.compare_text,
        version_field="compare_version",
        text_field="compare_text",
        required=False,
    )
    if (
        first is not None
        and second is not None
        and first.plan.currency_code != second.plan.currency_code
    ):
        problems.append(
            (
                "compare_version" if request.compare_version else "compare_text",
                _(
                    "%(second)s pays in %(currency_b)s but %(first)s pays in "
                    "%(currency_a)s; compare plans that pay in the same currency."
                )
                % {
                    "second": compare_label,
                    "currency_b": second.plan.currency_code,
                    "first": label,
                    "currency_a": first.plan.currency_code,
                },
            )
        )
    try:
        params_from_text(request.params_text, source=_("parameters"))
    except ParamsError as error:
        problems.extend(("params_text", message) for message in error.messages)
    if problems:
        raise SimulationInputError(problems)
    with transaction.atomic():
        run = SimulationRun.objects.create(
            started_by=actor,
            plan_version=request.plan_version,
            plan_label=label[:200],
            plan_text=text,
            compare_version=request.compare_version if second is not None else None,
            compare_label=compare_label[:200],
            compare_text=compare_text,
            months=request.months,
            start_distributors=request.start_distributors,
            replicas=request.replicas,
            seed=request.seed,
            params_text=request.params_text.strip(),
            message=_("Waiting for a worker"),
        )
    from .tasks import run_simulation

    result = run_simulation.using(priority=INTERACTIVE_PRIORITY).enqueue(run.pk)
    SimulationRun.objects.filter(pk=run.pk).update(task_id=str(result.id)[:64])
    run.refresh_from_db()
    return run
