"""How much of each commission line came from recruiting-linked volume (docs/simulation.md).

Recruiting-linked orders are starter kits and each distributor's first own order. A line's
**linked amount** is:

1. a line with a source order (unilevel ``per: order``, matrix, fast start, generation): the
   whole amount when that order is recruiting-linked, else 0;
2. a line without an order is split in proportion to the linked share of the CV it rests on,
   ``round_half_up(amount × linked CV / CV)`` (0 when that CV is 0):

   * ``personal`` and ``unilevel`` ``per: distributor`` (the base is the source's own period
     volume): the CV of the orders credited to the line's source;
   * ``binary``: the CV of the recipient's placement legs (everyone below them in the
     placement tree);
   * ``pool``: the company's CV of the period;
   * every other bonus (stairstep, matching, rank advancement): the CV of the enrollment group
     of the line's source (the source and everyone below them; the recipient when the line has
     no source).

CV is the volume of the measure, whatever volume a bonus pays on; retail customers' orders are
never recruiting-linked, so they lower the share.
"""

from __future__ import annotations

import numpy as np

from downline.engine.inputs import PeriodInputs, PeriodResult
from downline.engine.plan import Plan
from downline.engine.rounding import mul_div_round, sum_by
from downline.engine.tree import Tree

OWN_VOLUME_KINDS = {"personal"}


def _tree(result: PeriodResult, name: str, parent: np.ndarray, key=None) -> Tree:
    trees = result.details.trees if result.details is not None else {}
    tree = trees.get(name)
    if tree is None:
        tree = Tree.build(np.asarray(parent, dtype=np.int64), key=key)
    return tree


def linked_amounts(
    plan: Plan, inputs: PeriodInputs, result: PeriodResult, linked_order: np.ndarray
) -> np.ndarray:
    """The recruiting-linked part of every line's amount (int64, minor units)."""
    lines = result.lines
    k = len(lines)
    out = np.zeros(k, dtype=np.int64)
    if k == 0:
        return out
    n = inputs.n
    member = np.asarray(inputs.order_member, dtype=np.int64)
    cv = np.asarray(inputs.order_cv, dtype=np.int64)
    linked_cv = np.where(linked_order, cv, 0)
    credited = sum_by(member, cv, n)
    credited_linked = sum_by(member, linked_cv, n)
    cache: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def enrollment() -> tuple[np.ndarray, np.ndarray]:
        if "enrollment" not in cache:
            tree = _tree(result, "enrollment", inputs.sponsor)
            cache["enrollment"] = (
                tree.subtree_sum(credited_linked),
                tree.subtree_sum(credited),
            )
        return cache["enrollment"]

    def placement_legs() -> tuple[np.ndarray, np.ndarray]:
        if "placement" not in cache:
            tree = _tree(result, "placement", inputs.placement, key=inputs.position)
            cache["placement"] = (
                tree.subtree_sum(credited_linked) - credited_linked,
                tree.subtree_sum(credited) - credited,
            )
        return cache["placement"]

    bonus_of_line = lines.bonus
    bounds = np.searchsorted(bonus_of_line, np.arange(len(plan.bonuses) + 1))
    source_order = np.asarray(lines.source_order, dtype=np.int64)
    for b, bonus in enumerate(plan.bonuses):
        part = slice(int(bounds[b]), int(bounds[b + 1]))
        if part.start == part.stop:
            continue
        amount = lines.amount[part]
        orders = source_order[part]
        with_order = orders >= 0
        if with_order.all():
            out[part] = np.where(linked_order[orders], amount, 0)
            continue
        source = np.asarray(lines.source[part], dtype=np.int64)
        recipient = np.asarray(lines.recipient[part], dtype=np.int64)
        kind = bonus.kind
        if kind in OWN_VOLUME_KINDS or (kind == "unilevel" and bonus.per == "distributor"):
            num, den = credited_linked[source], credited[source]
        elif kind == "binary":
            legs_linked, legs = placement_legs()
            num, den = legs_linked[recipient], legs[recipient]
        elif kind == "pool":
            num = np.full(len(amount), int(linked_cv.sum()), dtype=np.int64)
            den = np.full(len(amount), int(cv.sum()), dtype=np.int64)
        else:
            group_linked, group = enrollment()
            who = np.where(source >= 0, source, recipient)
            num, den = group_linked[who], group[who]
        share = np.zeros(len(amount), dtype=np.int64)
        positive = den > 0
        if positive.any():
            share[positive] = mul_div_round(amount[positive], num[positive], den[positive])
        if with_order.any():
            share[with_order] = np.where(linked_order[orders[with_order]], amount[with_order], 0)
        out[part] = share
    return out
