"""``bulk_sql.read_arrays``: a query's columns as arrays, the same on SQLite and on PostgreSQL
(where the rows arrive through ``COPY … TO STDOUT`` and Arrow's CSV reader)."""

from __future__ import annotations

import numpy as np
import pytest

from downline.core.bulk_sql import read_arrays

pytestmark = pytest.mark.django_db

AWKWARD = ["plain", 'a "quoted", text', "two\nlines", "", "  spaced  ", "Łódź – Köln"]


def values_sql(rows: list[tuple[int, str, int]]) -> tuple[str, list]:
    """A query over literal rows (the same SQL on both databases)."""
    selects = " UNION ALL ".join(
        f"SELECT {k} AS k, %s AS t, {n} AS n, {k % 2} AS b" for k, (_i, _t, n) in enumerate(rows)
    )
    return f"SELECT k, t, n, b FROM ({selects}) AS v ORDER BY k", [t for _i, t, _n in rows]


def test_texts_numbers_and_flags_come_back_exactly_and_in_order():
    rows = [(k, text, (-1) ** k * 2**40 + k) for k, text in enumerate(AWKWARD)]
    sql, params = values_sql(rows)
    keys, texts, numbers, flags = read_arrays(
        sql, params, types=(np.int64, str, np.int64, np.bool_)
    )
    assert texts == AWKWARD
    assert keys.dtype == np.int64
    assert keys.tolist() == list(range(len(AWKWARD)))
    assert numbers.tolist() == [n for _k, _t, n in rows]
    assert flags.dtype == np.bool_
    assert flags.tolist() == [k % 2 == 1 for k in range(len(rows))]


def test_an_empty_result_gives_empty_columns_of_the_asked_types():
    keys, texts = read_arrays(
        "SELECT id, member_id FROM genealogy_distributor WHERE id < 0", types=(np.int32, str)
    )
    assert texts == []
    assert keys.dtype == np.int32
    assert keys.size == 0


def test_a_null_is_refused_with_the_column_named():
    with pytest.raises(ValueError, match=r"column 1 .* holds NULL"):
        read_arrays("SELECT 1, CAST(NULL AS BIGINT)", types=(np.int64, np.int64))
