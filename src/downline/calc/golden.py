"""Golden cases: the small networks a plan file carries with the results they must produce.

For each case (docs/plan-language.md, "Golden cases"): the distributors and orders are read
with the same CSV rules as ``downline calc``, the period is computed, and

* ``lines``: the lines produced, projected on the columns of the expected header, must be
  exactly the expected rows as a multiset (numbers compared by value: ``8`` equals ``8.00``);
* ``distributors``: each expected row must match the distributor's row on the given columns;
* ``totals``: the paid total of each named bonus, and ``total`` for all;
* ``state``: each listed distributor's state must have the listed fields (a distributor
  missing from the state is a newcomer).

Every difference is reported in words.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from downline.dataset.certificates import certificates_from_text
from downline.dataset.csv_io import DatasetError, network_from_text, orders_from_text
from downline.engine.plan import LoadedPlan
from downline.engine.plan.model import GoldenCase
from downline.engine.summary import summarize
from downline.i18n import gettext as _
from downline.money import format_decimal

from .outputs import DISTRIBUTOR_COLUMNS, LINE_COLUMNS, LineText, distributor_rows
from .run import CalcError, compute, placement_shape
from .state_file import state_entries

NUMERIC_LINE_COLUMNS = {"level", "base", "amount", "amount_before_cap"}
NUMERIC_DISTRIBUTOR_COLUMNS = {
    "pv",
    "cv",
    "gv",
    "qualifying_volume",
    "earned",
    "carry_left",
    "carry_right",
}


@dataclass
class CaseResult:
    name: str
    problems: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.problems


def _cell(value: str, numeric: bool) -> object:
    value = value.strip()
    if numeric and value:
        try:
            return Decimal(value)
        except InvalidOperation:
            return value
    if value.lower() in ("true", "false"):
        return value.lower()
    return value


def _table(
    text: str, known: tuple[str, ...], what: str
) -> tuple[list[str], list[list[str]], list[str]]:
    """Header, rows and problems of an expected CSV table."""
    reader = csv.reader(io.StringIO(text.strip("\n")))
    header = [name.strip() for name in next(reader, [])]
    rows = [row for row in reader if any(cell.strip() for cell in row)]
    problems = [
        _("expected %(what)s: unknown column %(column)r; the columns are %(columns)s")
        % {"what": what, "column": name, "columns": ",".join(known)}
        for name in header
        if name not in known
    ]
    for number, row in enumerate(rows, start=2):
        if len(row) != len(header):
            problems.append(
                _("expected %(what)s, line %(line)d: %(found)d values for %(columns)d columns")
                % {"what": what, "line": number, "found": len(row), "columns": len(header)}
            )
    return header, rows, problems


def _show(header: list[str], row: tuple) -> str:
    return ", ".join(
        f"{name}={format(value, 'f') if isinstance(value, Decimal) else value}"
        for name, value in zip(header, row, strict=True)
    )


def check_lines(expected_text: str, produced: list[tuple[str, ...]]) -> list[str]:
    header, rows, problems = _table(expected_text, LINE_COLUMNS, "lines")
    if problems:
        return problems
    columns = [LINE_COLUMNS.index(name) for name in header]
    numeric = [name in NUMERIC_LINE_COLUMNS for name in header]

    def project(row) -> tuple:
        return tuple(_cell(row[c], numeric[k]) for k, c in enumerate(columns))

    want = Counter(tuple(_cell(cell, numeric[k]) for k, cell in enumerate(row)) for row in rows)
    got = Counter(project(row) for row in produced)
    for row, count in sorted((want - got).items(), key=str):
        problems.extend([_("missing line: %(line)s") % {"line": _show(header, row)}] * count)
    for row, count in sorted((got - want).items(), key=str):
        problems.extend([_("unexpected line: %(line)s") % {"line": _show(header, row)}] * count)
    return problems


def check_distributors(expected_text: str, produced: dict[str, tuple[str, ...]]) -> list[str]:
    header, rows, problems = _table(expected_text, DISTRIBUTOR_COLUMNS, "distributors")
    if problems:
        return problems
    if "id" not in header:
        return [_("expected distributors: the first column must be id")]
    for row in rows:
        values = dict(zip(header, row, strict=True))
        member = values["id"].strip()
        actual = produced.get(member)
        if actual is None:
            problems.append(_("distributor %(id)s: not in the network") % {"id": member})
            continue
        for name in header:
            if name == "id":
                continue
            numeric = name in NUMERIC_DISTRIBUTOR_COLUMNS
            want = _cell(values[name], numeric)
            got = _cell(actual[DISTRIBUTOR_COLUMNS.index(name)], numeric)
            if want != got:
                problems.append(
                    _("distributor %(id)s: %(column)s is %(got)s, expected %(want)s")
                    % {
                        "id": member,
                        "column": name,
                        "got": actual[DISTRIBUTOR_COLUMNS.index(name)] or "(empty)",
                        "want": values[name].strip() or "(empty)",
                    }
                )
    return problems


def check_state(expected: dict, produced: dict[str, dict], newcomer: dict) -> list[str]:
    problems = []
    for member, fields in (expected or {}).items():
        actual = produced.get(str(member), newcomer)
        if not isinstance(fields, dict):
            problems.append(_("expected state of %(id)s: expected a mapping") % {"id": member})
            continue
        for key, want in fields.items():
            got = actual.get(key, newcomer.get(key))
            if key == "carry" and isinstance(want, dict):
                for bonus, pair in want.items():
                    have = (got or {}).get(bonus, ["0.00", "0.00"])
                    if [Decimal(str(v)) for v in pair] != [Decimal(v) for v in have]:
                        problems.append(
                            _("state of %(id)s: carry %(bonus)s is %(got)s, expected %(want)s")
                            % {"id": member, "bonus": bonus, "got": have, "want": list(pair)}
                        )
            elif key == "awarded" and isinstance(want, dict):
                for bonus, rank in want.items():
                    have = (got or {}).get(bonus)
                    if have != rank:
                        problems.append(
                            _("state of %(id)s: awarded %(bonus)s is %(got)s, expected %(want)s")
                            % {"id": member, "bonus": bonus, "got": have or "nothing", "want": rank}
                        )
            elif got != want:
                problems.append(
                    _("state of %(id)s: %(field)s is %(got)s, expected %(want)s")
                    % {"id": member, "field": key, "got": got, "want": want}
                )
    return problems


def run_case(loaded: LoadedPlan, case: GoldenCase) -> CaseResult:
    plan = loaded.plan
    outcome = CaseResult(case.name)
    try:
        network = network_from_text(case.distributors, shape=placement_shape(plan))
        orders = orders_from_text(case.orders, network=network, time_zone=case.time_zone)
        certificates = (
            certificates_from_text(case.certificates, network=network)
            if case.certificates is not None
            else None
        )
        run = compute(
            loaded,
            network,
            orders,
            period=case.period,
            time_zone=case.time_zone,
            state_data=case.state,
            state_source="state",
            certificates=certificates,
        )
    except DatasetError as error:
        outcome.problems.extend(error.summary().splitlines())
        return outcome
    except CalcError as error:
        outcome.problems.extend(error.messages)
        return outcome
    inputs, result = run.inputs, run.result
    expect = case.expect
    if expect.lines is not None:
        outcome.problems += check_lines(expect.lines, list(LineText(plan, inputs, result).rows()))
    if expect.distributors is not None:
        produced = {row[0]: row for row in distributor_rows(plan, inputs, result)}
        outcome.problems += check_distributors(expect.distributors, produced)
    if expect.totals is not None:
        summary = summarize(plan, inputs, result)
        paid = {t.name: t.paid for t in summary.bonuses}
        paid["total"] = summary.paid
        for name, want in expect.totals.items():
            if name not in paid:
                outcome.problems.append(
                    _("totals: %(name)r is neither a bonus of the plan nor total") % {"name": name}
                )
                continue
            got = Decimal(paid[name]).scaleb(-plan.minor_digits)
            if got != want:
                outcome.problems.append(
                    _("totals: %(name)s is %(got)s, expected %(want)s")
                    % {
                        "name": name,
                        "got": format_decimal(paid[name], plan.minor_digits),
                        "want": want,
                    }
                )
    if expect.state is not None:
        expected_state = (
            expect.state.get("distributors", expect.state) if isinstance(expect.state, dict) else {}
        )
        first = plan.ranks[0].name
        newcomer = {
            "highest_rank": first,
            "paid_as_rank": first,
            "grace_used": 0,
            "carry": {b.name: ["0.00", "0.00"] for b in plan.bonuses if b.kind == "binary"},
            "awarded": {},
        }
        outcome.problems += check_state(
            expected_state, state_entries(result.state, plan, inputs.ids), newcomer
        )
    return outcome


def run_cases(loaded: LoadedPlan) -> list[CaseResult]:
    return [run_case(loaded, case) for case in loaded.plan.tests]
