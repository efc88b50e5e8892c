"""Loading a plan file: YAML → validated :class:`Plan`, or every mistake with its path and line.

Each problem reads ``unilevel.yaml:42: bonuses[2].levels[3]: rate must be between 0% and
100%``. Shape and value errors come from the pydantic models; references between parts of the
plan (rank names, bonus names, tree shapes, money precision) are checked here.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path as FilePath
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import ValidationError

from downline.calendar import PeriodCodeError, bounds_for_code
from downline.i18n import gettext as _
from downline.i18n import ngettext
from downline.money import is_currency_code

from .model import (
    BONUS_NAME_PATTERN,
    CERTIFICATE_KEY_PATTERN,
    LANGUAGE_CODE_PATTERN,
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

MAX_PLAN_BYTES = 256 * 1024
"""The largest plan file, in bytes of UTF-8 (256 KiB; the largest sample plan is 19 KB). A larger
text is refused before it is parsed; the console checks an upload's size before reading it."""


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


def size_issue(size: int) -> PlanIssue | None:
    """The refusal of a plan file of ``size`` bytes when it exceeds :data:`MAX_PLAN_BYTES`."""
    if size <= MAX_PLAN_BYTES:
        return None
    return PlanIssue(
        "",
        None,
        _("the file has %(size)s KiB; a plan file has at most %(limit)s KiB")
        % {"size": f"{-(-size // 1024):,}", "limit": f"{MAX_PLAN_BYTES // 1024:,}"},
    )


def format_path(path: Iterable[str | int]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def data_path(data: Any, loc: tuple[str | int, ...]) -> Path:
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


def line_of(lines: dict[Path, int], path: Path) -> int | None:
    for end in range(len(path), -1, -1):
        if path[:end] in lines:
            return lines[path[:end]]
    return None


def validation_message(error: dict) -> str:
    """A plan designer's wording of one pydantic error, in the current language."""
    kind = error["type"]
    context = error.get("ctx") or {}
    if kind == "value_error":
        return str(context.get("error", error["msg"]))
    simple = {
        "missing": _("this field is required"),
        "extra_forbidden": _("unknown field"),
        "union_tag_not_found": _("every bonus needs a kind"),
        "string_type": _("write text here"),
        "int_type": _("write a whole number"),
        "int_parsing": _("write a whole number"),
        "int_from_float": _("write a whole number"),
        "bool_type": _("write true or false"),
        "bool_parsing": _("write true or false"),
        "list_type": _("write a list"),
        "dict_type": _("write a mapping of fields"),
        "model_type": _("write a mapping of fields"),
    }
    if kind == "dict_type" and error["loc"] and error["loc"][-1] == "label":
        return _("write display names by language code, e.g. {en: Silver, de: Silber}")
    if kind in simple:
        return simple[kind]
    if kind == "union_tag_invalid":
        return _("unknown kind %(kind)r; expected one of %(expected)s") % {
            "kind": context.get("tag"),
            "expected": context.get("expected_tags"),
        }
    if kind == "literal_error":
        return _("must be one of %(expected)s") % {"expected": context.get("expected")}
    if kind == "string_pattern_mismatch" and context.get("pattern") == BONUS_NAME_PATTERN:
        return _("a bonus name uses lowercase letters, digits, - and _, and starts with a letter")
    if kind == "string_pattern_mismatch" and context.get("pattern") == CERTIFICATE_KEY_PATTERN:
        return _(
            "a certificate key uses lowercase letters, digits, - and _, such as compliance-basics"
        )
    if kind == "too_short":
        minimum = int(context.get("min_length", 1))
        return ngettext(
            "needs at least %(count)d item", "needs at least %(count)d items", minimum
        ) % {"count": minimum}
    if kind == "string_too_short":
        return _("must not be empty")
    if kind == "too_long":
        maximum = int(context.get("max_length", 0))
        return ngettext("at most %(count)d item", "at most %(count)d items", maximum) % {
            "count": maximum
        }
    if kind == "string_too_long":
        return _("at most %(count)d characters") % {"count": int(context.get("max_length", 0))}
    if kind == "greater_than_equal":
        return _("must be at least %(minimum)s") % {"minimum": context.get("ge")}
    if kind == "less_than_equal":
        return _("must be at most %(maximum)s") % {"maximum": context.get("le")}
    return error["msg"]


def load_plan_text(text: str, source: str = "<plan>") -> LoadedPlan:
    """Parse and validate a plan; :class:`PlanError` lists every mistake. A text over
    :data:`MAX_PLAN_BYTES` is refused unread; the YAML limits are in ``yaml_source``."""
    encoded = text.encode("utf-8", errors="surrogatepass")
    too_big = size_issue(len(encoded))
    if too_big is not None:
        raise PlanError(source, [too_big])
    digest = hashlib.sha256(encoded).hexdigest()
    try:
        data, lines = load_yaml(text)
    except YamlSyntaxError as error:
        raise PlanError(source, [PlanIssue("", error.line, error.message)]) from error
    if not isinstance(data, dict):
        raise PlanError(
            source,
            [PlanIssue("", 1, _("a plan is a mapping of fields (name, currency, bonuses, …)"))],
        )
    try:
        plan = Plan.model_validate(data)
    except ValidationError as error:
        issues = []
        for item in error.errors():
            path = data_path(data, item["loc"])
            issues.append(
                PlanIssue(format_path(path), line_of(lines, path), validation_message(item))
            )
        raise PlanError(source, issues) from None
    issues = [
        PlanIssue(format_path(path), line_of(lines, path), message)
        for path, message in check_references(plan)
    ]
    if issues:
        raise PlanError(source, issues)
    return LoadedPlan(plan=plan, source=source, digest=digest)


def load_plan(path: str | FilePath) -> LoadedPlan:
    file = FilePath(path)
    try:
        too_big = size_issue(file.stat().st_size)
        if too_big is not None:
            raise PlanError(file.name, [too_big])
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise PlanError(
            file.name,
            [
                PlanIssue(
                    "", None, _("the file is not UTF-8 text (byte %(at)d)") % {"at": error.start}
                )
            ],
        ) from error
    except OSError as error:
        raise PlanError(
            str(file),
            [
                PlanIssue(
                    "", None, _("cannot read the plan: %(reason)s") % {"reason": error.strerror}
                )
            ],
        ) from error
    return load_plan_text(text, source=file.name)


def check_references(plan: Plan) -> list[tuple[Path, str]]:
    """Problems that span several parts of a plan, each with the path it concerns."""
    problems: list[tuple[Path, str]] = []

    def add(path: Path, message: str) -> None:
        problems.append((path, message))

    if isinstance(plan.currency, str) and not is_currency_code(plan.currency):
        add(
            ("currency",),
            _("%(code)r is not an ISO 4217 code such as EUR; use {points: name} for points")
            % {"code": plan.currency},
        )

    rank_names = [rank.name for rank in plan.ranks]
    for index, name in enumerate(rank_names):
        if rank_names.index(name) != index:
            add(("ranks", index, "name"), _("rank %(rank)r is listed twice") % {"rank": name})
    if plan.ranks[0].conditions():
        add(("ranks", 0), _("the first rank is everyone's starting rank and has no conditions"))

    def check_rank(path: Path, name: str) -> None:
        if name not in rank_names:
            add(
                path,
                _("unknown rank %(rank)r; the ranks are %(ranks)s")
                % {"rank": name, "ranks": ", ".join(rank_names)},
            )

    def check_labels(path: Path, labels: dict[str, str] | None) -> None:
        for code in labels or {}:
            if not re.fullmatch(LANGUAGE_CODE_PATTERN, code):
                add(
                    (*path, "label", code),
                    _("%(code)r is not a language code; use two lowercase letters such as en, de")
                    % {"code": code},
                )

    for index, rank in enumerate(plan.ranks):
        check_labels(("ranks", index), rank.label)
        if rank.legs is not None:
            check_rank(("ranks", index, "legs", "rank"), rank.legs.rank)

    def check_money(path: Path, amount: Decimal) -> None:
        try:
            plan.money_minor(amount)
        except ValueError as error:
            add(path, str(error))

    def check_bonuses(path: Path, names: list[str]) -> None:
        for k, name in enumerate(names):
            if name not in bonus_names:
                add((*path, k), _("unknown bonus %(bonus)r") % {"bonus": name})

    bonus_names = [bonus.name for bonus in plan.bonuses]
    for index, bonus in enumerate(plan.bonuses):
        path: Path = ("bonuses", index)
        check_labels(path, bonus.label)
        if bonus_names.index(bonus.name) != index:
            add((*path, "name"), _("bonus name %(bonus)r is used twice") % {"bonus": bonus.name})
        if isinstance(bonus, UnilevelBonus) and bonus.depth_by_rank is not None:
            for rank_name, depth in bonus.depth_by_rank.items():
                check_rank((*path, "depth_by_rank", rank_name), rank_name)
                if not 0 <= depth <= len(bonus.levels):
                    add(
                        (*path, "depth_by_rank", rank_name),
                        _("depth must be between 0 and %(levels)d (the number of levels)")
                        % {"levels": len(bonus.levels)},
                    )
        if isinstance(bonus, GenerationBonus):
            check_rank((*path, "rank"), bonus.rank)
        if isinstance(bonus, MatchingBonus):
            for k, matched in enumerate(bonus.of):
                if matched == bonus.name:
                    add((*path, "of", k), _("a matching bonus cannot match itself"))
                elif matched not in bonus_names[:index]:
                    add(
                        (*path, "of", k),
                        _(
                            "%(bonus)r is not a bonus listed before this one; a matching bonus matches bonuses listed before it"
                        )
                        % {"bonus": matched},
                    )
        if isinstance(bonus, RankAdvancementBonus):
            for rank_name, amount in bonus.amounts.items():
                check_rank((*path, "amounts", rank_name), rank_name)
                check_money((*path, "amounts", rank_name), amount)
        if isinstance(bonus, PoolBonus):
            for rank_name, shares in bonus.shares.items():
                check_rank((*path, "shares", rank_name), rank_name)
                if shares < 0:
                    add((*path, "shares", rank_name), _("shares cannot be negative"))
        if isinstance(bonus, BinaryBonus):
            if plan.network.placement != "binary":
                add((*path, "kind"), _("a binary bonus needs network: {placement: binary}"))
            if bonus.cap_per_period is not None:
                check_money((*path, "cap_per_period"), bonus.cap_per_period)
            if bonus.cycles is not None:
                check_money((*path, "cycles", "pays"), bonus.cycles.pays)
                if bonus.cycles.left == 0 or bonus.cycles.right == 0:
                    add((*path, "cycles"), _("a cycle needs volume on both legs"))
        if isinstance(bonus, MatrixBonus) and plan.network.placement != "matrix":
            add((*path, "kind"), _("a matrix bonus needs network: {placement: matrix, width: N}"))
        if isinstance(bonus, StairstepBonus):
            for k in range(1, len(bonus.brackets)):
                if (
                    bonus.brackets[k].pgv <= bonus.brackets[k - 1].pgv
                    or bonus.brackets[k].rate.value <= bonus.brackets[k - 1].rate.value
                ):
                    add((*path, "brackets", k), _("brackets must rise in both PGV and rate"))
            if (bonus.royalty is None) != (bonus.royalty_requires is None):
                add((*path, "royalty"), _("give royalty and royalty_requires together"))
    for index, cap in enumerate(plan.caps):
        check_bonuses(("caps", index, "bonuses"), cap.bonuses)
        check_money(("caps", index, "max"), cap.max)
    if plan.company_cap is not None:
        check_bonuses(("company_cap", "bonuses"), plan.company_cap.bonuses or [])
    for index, case in enumerate(plan.tests):
        try:
            ZoneInfo(case.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            add(
                ("tests", index, "time_zone"),
                _("unknown time zone %(zone)r") % {"zone": case.time_zone},
            )
            continue
        try:
            bounds_for_code(case.period, case.time_zone)
        except PeriodCodeError as error:
            add(("tests", index, "period"), str(error))
    return problems
