"""The commission engine: a pure library (NumPy and pydantic, never Django).

``compute_period(plan, inputs, state)`` computes one period of a plan written in the plan
language (docs/plan-language.md) over dense arrays and returns every line and per-distributor
figure; ``explain(...)`` turns the result into the trace a distributor reads.
"""

from .compute import compute_period
from .explain import Explainer, explain
from .inputs import EngineState, Lines, PeriodDetails, PeriodInputs, PeriodResult
from .volumes import PlanInputError

__all__ = [
    "EngineState",
    "Explainer",
    "Lines",
    "PeriodDetails",
    "PeriodInputs",
    "PeriodResult",
    "PlanInputError",
    "compute_period",
    "explain",
]
