"""The commission engine: a pure library (NumPy and pydantic, never Django).

``compute_period(plan, inputs, state)`` computes one period of a plan written in the plan
language (docs/plan-language.md) over dense arrays and returns every line and per-distributor
figure; ``downline.engine.explain.explain(...)`` turns the result into the trace a distributor
reads.

The names below are imported on first use (PEP 562), so importing one submodule (say
``downline.engine.memory`` or ``downline.engine.tree``) does not load the whole engine.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .compute import compute_period
    from .explain import Explainer
    from .inputs import EngineState, Lines, PeriodDetails, PeriodInputs, PeriodResult
    from .volumes import PlanInputError

_WHERE = {
    "compute_period": ".compute",
    "Explainer": ".explain",
    "EngineState": ".inputs",
    "Lines": ".inputs",
    "PeriodDetails": ".inputs",
    "PeriodInputs": ".inputs",
    "PeriodResult": ".inputs",
    "PlanInputError": ".volumes",
}

__all__ = [
    "EngineState",
    "Explainer",
    "Lines",
    "PeriodDetails",
    "PeriodInputs",
    "PeriodResult",
    "PlanInputError",
    "compute_period",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
