"""The period's line store: bonuses in plan order, room that grows, views that stay current."""

from __future__ import annotations

import numpy as np
import pytest

from downline.engine.lines import LineBatch, LineStore, RateTable


def batch(rates: RateTable, recipients: list[int], amount: int) -> LineBatch:
    return LineBatch.make(
        rates,
        recipient=np.array(recipients),
        source=-1,
        source_order=-1,
        level=0,
        base=0,
        rate_num=1,
        rate_den=10,
        amount=amount,
        rows=np.int32,
    )


def test_batches_are_stored_in_order_and_survive_a_reallocation():
    rates = RateTable()
    store = LineStore(np.int32, n=1)
    first = store.append(0, batch(rates, [0, 1, 2], 5), rates)
    first.amount[0] = 7  # a cap changing a stored line
    for k in range(1, 6):  # more than the spare room: the arrays are reallocated
        store.append(k, batch(rates, list(range(10)), k), rates)
    lines = store.lines(rates)
    assert len(lines) == 53
    assert lines.bonus.tolist() == [0] * 3 + [b for b in range(1, 6) for _ in range(10)]
    assert store.batch(0).amount.tolist() == [7, 5, 5]
    assert store.batch(0).amount_before_cap.tolist() == [5, 5, 5]
    assert lines.rate_num.tolist() == [1] * 53
    assert lines.rate_den.tolist() == [10] * 53


def test_bonuses_must_come_in_plan_order():
    rates = RateTable()
    store = LineStore(np.int32, n=1)
    with pytest.raises(ValueError, match="plan order"):
        store.append(1, batch(rates, [0], 1), rates)
