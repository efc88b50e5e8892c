"""Loading a plan file: YAML → validated :class:`Plan`, or every mistake with its path and line.

Each problem reads ``unilevel.yaml:42: bonuses[2].levels[3]: rate must be between 0% and
100%``. Shape and value errors come from the pydantic models; references between parts of the
plan (rank names, bonus names, tree shapes, money precision) are checked here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path as FilePath
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import ValidationError

from downline.calendar import PeriodCodeError, bounds_for_code
from downline.money import is_currency_code

from .model import (
    BinaryBonus,
    GenerationBonus,
    MatchingBonus,
    MatrixBonus,
    Plan,
    PoolBonus,
    RankAdvancementBonus,
    StairstepBonus,
    UnilevelBonus,
)
from .yaml_source import Path, YamlSyntaxError, load_yaml


@dataclass(frozen=True)
class PlanIssue:
    path: str
    line: int | None
    message: str


class PlanError(ValueError):
    """A plan file with one or more mistakes."""

    def __init__(self, source: str, issues: list[PlanIssue]) -> None:
        self.source = source
        self.issues = issues
        super().__init__(self.summary())

    def summary(self) -> str:
        lines = []
        for issue in self.issues:
            where = f"{self.source}:{issue.line}" if issue.line else self.source
            lines.append(
                f"{where}: {issue.path}: {issue.message}"
                if issue.path
                else f"{where}: {issue.message}"
            )
        return "\n".join(lines)


@dataclass(frozen=True)
class LoadedPlan:
    plan: Plan
    source: str
    digest: str  # sha256 of the file's bytes


def format_path(path: Iterable[str | int]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _data_path(data: Any, loc: tuple[str | int, ...]) -> Path:
    """The part of a pydantic error location that names real keys and indices of ``data``
    (dropping union tags and model names pydantic inserts)."""
    path: list[str | int] = []
    node = data
    for part in loc:
        if (isinstance(node, dict) and isinstance(part, str) and part in node) or (
            isinstance(node, list) and isinstance(part, int) and part < len(node)
        ):
            node = node[part]
            path.append(part)
        elif isinstance(node, dict) and isinstance(part, str) and len(path) == len(loc) - 1:
            path.append(part)  # a missing or unknown key: name it
    return tuple(path)


def _line_of(lines: dict[Path, int], path: Path) -> int | None:
    for end in range(len(path), -1, -1):
        if path[:end] in lines:
            return lines[path[:end]]
    return None


def _message(error: dict) -> str:
    kind = error["type"]
    if kind == "missing":
        return "this field is required"
    if kind == "extra_forbidden":
        return "unknown field"
    if kind == "union_tag_invalid":
        context = error.get("ctx", {})
        return (
            f"unknown kind {context.get('tag')!r}; expected one of {context.get('expected_tags')}"
        )
    if kind == "union_tag_not_found":
        return "every bonus needs a kind"
    message = error["msg"]
    return message.removeprefix("Value error, ")


def load_plan_text(text: str, source: str = "<plan>") -> LoadedPlan:
    """Parse and validate a plan; :class:`PlanError` lists every mistake."""
    digest = hashlib.sha256(text.encode()).hexdigest()
    try:
        data, lines = load_yaml(text)
    except YamlSyntaxError as error:
        raise PlanError(source, [PlanIssue("", error.line, error.message)]) from error
    if not isinstance(data, dict):
        raise PlanError(
            source, [PlanIssue("", 1, "a plan is a mapping of fields (name, currency, bonuses, …)")]
        )
    try:
        plan = Plan.model_validate(data)
    except ValidationError as error:
        issues = []
        for item in error.errors():
            path = _data_path(data, item["loc"])
            issues.append(PlanIssue(format_path(path), _line_of(lines, path), _message(item)))
        raise PlanError(source, issues) from None
    issues = [
        PlanIssue(format_path(path), _line_of(lines, path), message)
        for path, message in check_references(plan)
    ]
    if issues:
        raise PlanError(source, issues)
    return LoadedPlan(plan=plan, source=source, digest=digest)


def load_plan(path: str | FilePath) -> LoadedPlan:
    file = FilePath(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as error:
        raise PlanError(
            str(file), [PlanIssue("", None, f"cannot read the plan: {error.strerror}")]
        ) from error
    return load_plan_text(text, source=file.name)


def check_references(plan: Plan) -> list[tuple[Path, str]]:
    """Problems that span several parts of a plan, each with the path it concerns."""
    problems: list[tuple[Path, str]] = []
    add = problems.append
    if isinstance(plan.currency, str) and not is_currency_code(plan.currency):
        add(
            (
                ("currency",),
                f"{plan.currency!r} is not an ISO 4217 code such as EUR; use {{points: name}} for points",
            )
        )

    rank_names = [rank.name for rank in plan.ranks]
    for index, name in enumerate(rank_names):
        if rank_names.index(name) != index:
            add((("ranks", index, "name"), f"rank {name!r} is listed twice"))
    if plan.ranks[0].conditions():
        add((("ranks", 0), "the first rank is everyone's starting rank and has no conditions"))

    def check_rank(path: Path, name: str) -> None:
        if name not in rank_names:
            add((path, f"unknown rank {name!r}; the ranks are {', '.join(rank_names)}"))

    for index, rank in enumerate(plan.ranks):
        if rank.legs is not None:
            check_rank(("ranks", index, "legs", "rank"), rank.legs.rank)

    def check_money(path: Path, amount) -> None:
        try:
            plan.money_minor(amount)
        except ValueError as error:
            add((path, str(error)))

    bonus_names = [bonus.name for bonus in plan.bonuses]
    for index, bonus in enumerate(plan.bonuses):
        path: Path = ("bonuses", index)
        if bonus_names.index(bonus.name) != index:
            add(((*path, "name"), f"bonus name {bonus.name!r} is used twice"))
        if isinstance(bonus, UnilevelBonus) and bonus.depth_by_rank is not None:
            for rank_name, depth in bonus.depth_by_rank.items():
                check_rank((*path, "depth_by_rank", rank_name), rank_name)
                if not 0 <= depth <= len(bonus.levels):
                    add(
                        (
                            (*path, "depth_by_rank", rank_name),
                            f"depth must be between 0 and {len(bonus.levels)} (the number of levels)",
                        )
                    )
        if isinstance(bonus, GenerationBonus):
            check_rank((*path, "rank"), bonus.rank)
        if isinstance(bonus, MatchingBonus):
            for k, matched in enumerate(bonus.of):
                if matched not in bonus_names[:index]:
                    reason = "itself" if matched == bonus.name else "a bonus listed before this one"
                    add(
                        (
                            (*path, "of", k),
                            f"{matched!r} is not {reason}; a matching bonus matches bonuses listed before it",
                        )
                    )
        if isinstance(bonus, RankAdvancementBonus):
            for rank_name, amount in bonus.amounts.items():
                check_rank((*path, "amounts", rank_name), rank_name)
                check_money((*path, "amounts", rank_name), amount)
        if isinstance(bonus, PoolBonus):
            for rank_name, shares in bonus.shares.items():
                check_rank((*path, "shares", rank_name), rank_name)
                if shares < 0:
                    add(((*path, "shares", rank_name), "shares cannot be negative"))
        if isinstance(bonus, BinaryBonus):
            if plan.network.placement != "binary":
                add(((*path, "kind"), "a binary bonus needs network: {placement: binary}"))
            if bonus.cap_per_period is not None:
                check_money((*path, "cap_per_period"), bonus.cap_per_period)
            if bonus.cycles is not None:
                check_money((*path, "cycles", "pays"), bonus.cycles.pays)
                if bonus.cycles.left == 0 or bonus.cycles.right == 0:
                    add(((*path, "cycles"), "a cycle needs volume on both legs"))
        if isinstance(bonus, MatrixBonus) and plan.network.placement != "matrix":
            add(((*path, "kind"), "a matrix bonus needs network: {placement: matrix, width: N}"))
        if isinstance(bonus, StairstepBonus):
            for k in range(1, len(bonus.brackets)):
                if (
                    bonus.brackets[k].pgv <= bonus.brackets[k - 1].pgv
                    or bonus.brackets[k].rate.value <= bonus.brackets[k - 1].rate.value
                ):
                    add(((*path, "brackets", k), "brackets must rise in both PGV and rate"))
            if (bonus.royalty is None) != (bonus.royalty_requires is None):
                add(((*path, "royalty"), "give royalty and royalty_requires together"))
    for index, cap in enumerate(plan.caps):
        for k, name in enumerate(cap.bonuses):
            if name not in bonus_names:
                add((("caps", index, "bonuses", k), f"unknown bonus {name!r}"))
        check_money(("caps", index, "max"), cap.max)
    if plan.company_cap is not None:
        for k, name in enumerate(plan.company_cap.bonuses or []):
            if name not in bonus_names:
                add((("company_cap", "bonuses", k), f"unknown bonus {name!r}"))
    for index, case in enumerate(plan.tests):
        try:
            ZoneInfo(case.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            add((("tests", index, "time_zone"), f"unknown time zone {case.time_zone!r}"))
            continue
        try:
            bounds_for_code(case.period, case.time_zone)
        except PeriodCodeError as error:
            add((("tests", index, "period"), str(error)))
    return problems
