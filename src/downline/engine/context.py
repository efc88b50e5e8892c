"""Everything computed for one period before and while the bonuses run, shared by the bonus
modules: the trees, volumes, activity, ranks and the lines made so far."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from functools import cached_property

import numpy as np

from .activity import activity, earners, presence
from .inputs import EngineState, PeriodInputs
from .lines import LineBatch, LineStore, RateTable, index_dtype
from .plan import Plan
from .plan.model import BonusBase, Requirements
from .ranks import RankOutcome, decide_ranks
from .requirements import RequirementCheck, check_requirements
from .tree import Tree
from .volumes import Volumes


@dataclass
class PeriodContext:
    plan: Plan
    inputs: PeriodInputs
    state: EngineState
    rates: RateTable = field(default_factory=RateTable)
    new_carry: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    new_awarded: dict[str, np.ndarray] = field(default_factory=dict)
    missed: dict[str, np.ndarray] = field(default_factory=dict)
    walks: dict[str, object] = field(default_factory=dict)  # bonuses.walk.WalkRecord
    binary_legs: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    pools: dict[str, tuple[Fraction, Fraction]] = field(default_factory=dict)
    requirements: dict[str, RequirementCheck] = field(default_factory=dict)  # per bonus name
    _checks: dict[Requirements, RequirementCheck] = field(default_factory=dict, repr=False)

    @property
    def n(self) -> int:
        return self.inputs.n

    @property
    def m(self) -> int:
        return self.inputs.m

    @property
    def minor(self) -> int:
        return self.plan.minor_digits

    @cached_property
    def rows(self) -> type[np.integer]:
        """The dtype of row numbers in lines (int32 while every row fits)."""
        return index_dtype(self.n + 1, self.m + 1)

    def make_lines(self, **columns) -> LineBatch:
        """A batch from columns (see :meth:`LineBatch.make`), row numbers in :attr:`rows`."""
        return LineBatch.make(self.rates, rows=self.rows, **columns)

    @cached_property
    def store(self) -> LineStore:
        """The period's line arrays, bonus by bonus."""
        return LineStore(self.rows, self.n)

    def batch(self, b: int) -> LineBatch:
        """The lines of bonus ``b`` so far (views of the store)."""
        return self.store.batch(b)

    @cached_property
    def enrollment(self) -> Tree:
        return Tree.build(np.asarray(self.inputs.sponsor, dtype=np.int64))

    @cached_property
    def placement(self) -> Tree:
        return Tree.build(
            np.asarray(self.inputs.placement, dtype=np.int64),
            key=np.asarray(self.inputs.position, dtype=np.int64),
        )

    def tree(self, name: str) -> Tree:
        return self.enrollment if name == "enrollment" else self.placement

    @cached_property
    def volumes(self) -> Volumes:
        return Volumes(self.plan, self.inputs, self.tree(self.plan.volumes.group_tree))

    @cached_property
    def _presence(self) -> tuple[np.ndarray, np.ndarray]:
        return presence(self.inputs)

    @property
    def present(self) -> np.ndarray:
        return self._presence[0]

    @property
    def eligible(self) -> np.ndarray:
        return self._presence[1]

    @cached_property
    def active(self) -> np.ndarray:
        return activity(self.plan, self.eligible, self.volumes.pv, self.volumes.cv)

    def earners(self, bonus: BonusBase) -> np.ndarray:
        """Who can earn ``bonus``: passes its earner rule and meets its ``requires``."""
        rule = earners(bonus.earner, self.active, self.eligible)
        if bonus.requires is None:
            return rule
        return rule & self.requirement_check(bonus).met

    def requirement_check(self, bonus: BonusBase) -> RequirementCheck:
        """Who meets each of the bonus's requirements (computed once per distinct block)."""
        requires = bonus.requires
        check = self._checks.get(requires)
        if check is None:
            volumes = self.volumes
            check = check_requirements(
                requires,
                own_pv=volumes.own("pv"),
                customer_pv=volumes.customer("pv"),
                buying_customers=volumes.buying_customers,
                holders=self.inputs.holders,
            )
            self._checks[requires] = check
        self.requirements[bonus.name] = check
        return check

    @cached_property
    def ranks(self) -> RankOutcome:
        return decide_ranks(
            self.plan,
            self.inputs,
            self.state,
            pv=self.volumes.pv,
            gv=self.volumes.gv,
            group_tree=self.volumes.group_tree,
            present=self.present,
            eligible=self.eligible,
            active=self.active,
            buying_customers=self.volumes.buying_customers,
            holders=self.inputs.holders,
        )

    @property
    def paid_as(self) -> np.ndarray:
        return self.ranks.paid_as

    def rank_index(self, name: str) -> int:
        return self.plan.rank_index(name)
