"""Explanations: for any distributor, the trace of docs/plan-language.md "Outputs".

Everything comes from the arrays the period was computed with (``PeriodResult`` and its
``details``): volumes, activity, every rank's conditions with required and actual values and
pass/fail, what is missing for the next rank and for activity, each bonus's compliance
requirements with required and actual values, what the level walks did not pay (skipped by
compression, failed the earner rule or the bonus's requirements, deeper than the rank pays),
and the lines earned per bonus. Sentences are translatable, with named placeholders.

Rule (design rule 12): the numbers come first. :func:`downline.engine.trace_data.trace_data`
gathers them for every distributor with array operations; :class:`TraceRenderer` turns one
row into words in the language of the translation functions it is given. :class:`Explainer`
does both for a period in memory: :func:`explain` gives one distributor's trace, ``all()``
everyone's.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cached_property

from .inputs import PeriodInputs, PeriodResult
from .plan import Plan
from .trace_data import (
    TraceData,
    TraceRenderer,
    Words,
    share_text,
    trace_data,
    volume_text,
    volume_value,
)

__all__ = ["Explainer", "explain", "share_text", "volume_text", "volume_value"]


class Explainer:
    """Builds traces for the distributors of one computed period (in the language of
    ``words``; default: :mod:`downline.i18n`'s current language)."""

    def __init__(
        self, plan: Plan, inputs: PeriodInputs, result: PeriodResult, words: Words | None = None
    ) -> None:
        if result.details is None:
            raise ValueError("the result has no details; compute it with downline.engine")
        self.plan, self.inputs, self.result = plan, inputs, result
        self.n = inputs.n
        self.words = words

    @cached_property
    def data(self) -> TraceData:
        """Every distributor's trace as numbers."""
        return trace_data(self.plan, self.inputs, self.result)

    @cached_property
    def renderer(self) -> TraceRenderer:
        return TraceRenderer(self.plan, self.data.layout, self.words)

    def explain(self, d: int) -> dict:
        """The trace of the distributor in row ``d``."""
        (row,) = self.data.rows(d, d + 1)
        return self.renderer.render(row)

    def all(self) -> Iterator[dict]:
        """Every distributor's trace, in row order."""
        render = self.renderer.render
        for row in self.data.rows():
            yield render(row)


def explain(plan: Plan, inputs: PeriodInputs, result: PeriodResult, row: int) -> dict:
    """The trace of the distributor in row ``row``."""
    return Explainer(plan, inputs, result).explain(row)
