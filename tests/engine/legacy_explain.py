"""The explanations as ``downline.engine.explain`` wrote them before traces were stored as
numbers (frozen copy, for tests only): the numbers-first traces must render to exactly these."""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction

import numpy as np

from downline.engine.inputs import TERMINATED, PeriodInputs, PeriodResult
from downline.engine.plan import Plan
from downline.engine.plan.model import BinaryBonus, MatchingBonus
from downline.engine.ranks import leg_cap
from downline.engine.rounding import count_by, sum_by
from downline.i18n import gettext as _
from downline.i18n import ngettext
from downline.money import format_decimal


def volume_text(hundredths: int) -> str:
    """``140000`` → ``"1,400"``, ``140050`` → ``"1,400.50"`` (for sentences)."""
    whole, cents = divmod(abs(int(hundredths)), 100)
    sign = "-" if hundredths < 0 else ""
    return f"{sign}{whole:,}" if cents == 0 else f"{sign}{whole:,}.{cents:02d}"


def volume_value(hundredths: int) -> str:
    """Volumes in the trace's fields: two decimals, no grouping (``"1400.00"``)."""
    return format_decimal(int(hundredths), 2)


def share_text(part: int, total: int) -> str | None:
    """``part ÷ total`` as a percentage rounded down to hundredths of a percent, so a share
    short of a requirement never shows as reaching it (``55``, ``100`` → ``"55%"``;
    ``2``, ``3`` → ``"66.66%"``); ``None`` when ``total ≤ 0``."""
    if total <= 0:
        return None
    hundredths = (int(part) * 10_000) // int(total)
    return format_decimal(hundredths, 2).rstrip("0").rstrip(".") + "%"


class Explainer:
    """Builds traces for the distributors of one computed period."""

    def __init__(self, plan: Plan, inputs: PeriodInputs, result: PeriodResult) -> None:
        if result.details is None:
            raise ValueError("the result has no details; compute it with downline.engine")
        self.plan, self.inputs, self.result = plan, inputs, result
        self.details = result.details
        self.n = inputs.n
        self.minor = plan.minor_digits
        self.currency = plan.currency_code
        self.rank_names = [rank.name for rank in plan.ranks]
        lines = result.lines
        count = len(plan.bonuses)
        # per distributor and bonus: number of lines, amount and amount before caps
        key = lines.recipient.astype(np.int64) * count + lines.bonus.astype(np.int64)
        size = self.n * count
        self.line_count = count_by(key, size).reshape(self.n, count) if size else None
        self.line_amount = sum_by(key, lines.amount, size).reshape(self.n, count) if size else None
        self.line_before = (
            sum_by(key, lines.amount_before_cap, size).reshape(self.n, count) if size else None
        )
        self.conditions_by_rank: dict[int, list] = {}
        for condition in self.details.conditions:
            self.conditions_by_rank.setdefault(condition.rank, []).append(condition)
        self.group_tree = self.details.trees.get(plan.volumes.group_tree)

    # -- formatting --------------------------------------------------------------------------

    def money(self, minor: int) -> str:
        return format_decimal(int(minor), self.minor)

    def money_words(self, minor: int) -> str:
        return f"{self.money(minor)} {self.currency}"

    def bonus_title(self, b: int) -> str:
        bonus = self.plan.bonuses[b]
        return bonus.title or bonus.name

    # -- one distributor ---------------------------------------------------------------------

    def explain(self, d: int) -> dict:
        result, details = self.result, self.details
        trace: dict = {"id": self.inputs.ids[d]}
        trace["volumes"] = {
            "pv": volume_value(result.pv[d]),
            "own_pv": volume_value(details.own_pv[d]),
            "customer_pv": volume_value(details.customer_pv[d]),
            "cv": volume_value(result.cv[d]),
            "gv": volume_value(result.gv[d]),
        }
        if result.qualifying_volume[d] >= 0:
            trace["volumes"]["qualifying_volume"] = volume_value(result.qualifying_volume[d])
        trace["present"] = bool(details.present[d])
        trace["eligible"] = bool(details.eligible[d])
        trace["active"] = bool(result.active[d])
        trace["activity"] = self.activity(d)
        trace["rank"] = {
            "qualified": self.rank_names[int(result.qualified_rank[d])],
            "paid_as": self.rank_names[int(result.paid_as_rank[d])],
            "highest": self.rank_names[int(result.highest_rank[d])],
            "grace_used": int(result.state.grace_used[d]),
        }
        trace["ranks"] = self.ranks(d)
        trace["next_rank"] = self.next_rank(d)
        requirements = self.requirements(d)
        if requirements:
            trace["requirements"] = requirements
        trace["messages"] = self.messages(d)
        trace["earned"] = self.earned(d)
        trace["total"] = self.money(result.earned[d])
        return trace

    def activity(self, d: int) -> dict:
        rule = self.plan.activity
        checks = []
        if rule is not None:
            for name, required, actual in (
                ("pv", rule.pv_at_least, int(self.result.pv[d])),
                ("cv", rule.cv_at_least, int(self.result.cv[d])),
            ):
                if required is not None:
                    checks.append((name, required, actual))
        return {
            "conditions": [
                {
                    "name": name,
                    "required": volume_value(required),
                    "actual": volume_value(actual),
                    "pass": actual >= required,
                }
                for name, required, actual in checks
            ],
            "missing": [
                _("%(name)s %(actual)s of %(required)s")
                % {
                    "name": name.upper(),
                    "actual": volume_text(actual),
                    "required": volume_text(required),
                }
                for name, required, actual in checks
                if actual < required
            ],
        }

    def requirements(self, d: int) -> dict:
        """Per bonus with ``requires``: each requirement with required and actual values."""
        out = {}
        own, customer = int(self.details.own_pv[d]), int(self.details.customer_pv[d])
        for bonus in self.plan.bonuses:
            check = self.details.requirements.get(bonus.name)
            if bonus.requires is None or check is None:
                continue
            conditions = []
            share = bonus.requires.customer_share_at_least
            if share is not None:
                conditions.append(
                    {
                        "name": "customer_share",
                        "required": share.text,
                        "actual": share_text(customer, own + customer),
                        "pass": bool(check.customer_share[d]),
                    }
                )
            if bonus.requires.customers_at_least is not None:
                conditions.append(
                    {
                        "name": "customers",
                        "required": bonus.requires.customers_at_least,
                        "actual": int(self.details.buying_customers[d]),
                        "pass": bool(check.customers[d]),
                    }
                )
            out[bonus.name] = {"met": bool(check.met[d]), "conditions": conditions}
        return out

    def unmet_requirements(self, d: int, b: int) -> str | None:
        """What ``d`` misses of bonus ``b``'s requirements, in words (``None``: nothing)."""
        bonus = self.plan.bonuses[b]
        check = self.details.requirements.get(bonus.name)
        if bonus.requires is None or check is None or check.met[d]:
            return None
        parts = []
        share = bonus.requires.customer_share_at_least
        if share is not None and not check.customer_share[d]:
            own, customer = int(self.details.own_pv[d]), int(self.details.customer_pv[d])
            actual = share_text(customer, own + customer)
            if actual is None:
                parts.append(
                    _("no PV this period, so no customer share of the %(required)s needed")
                    % {"required": share.text}
                )
            else:
                parts.append(
                    _("customer share %(actual)s of %(required)s")
                    % {"actual": actual, "required": share.text}
                )
        customers = bonus.requires.customers_at_least
        if customers is not None and not check.customers[d]:
            parts.append(
                _("%(actual)d of the %(required)d buying retail customers")
                % {"actual": int(self.details.buying_customers[d]), "required": customers}
            )
        return _("%(missing)s: not paid %(bonus)s") % {
            "missing": ", ".join(parts),
            "bonus": self.bonus_title(b),
        }

    def passes_earner_rule(self, d: int, b: int) -> bool:
        if self.plan.bonuses[b].earner == "active":
            return bool(self.result.active[d])
        return bool(self.details.eligible[d])

    def ranks(self, d: int) -> list[dict]:
        out = []
        qualified = int(self.result.qualified_rank[d])
        for r, rank in enumerate(self.plan.ranks):
            if r == 0:
                continue
            conditions = [
                {
                    "name": c.name,
                    "required": self._condition_value(c.name, c.required),
                    "actual": self._condition_value(c.name, int(c.actual[d])),
                    "pass": bool(c.holds[d]),
                }
                for c in self.conditions_by_rank.get(r, [])
            ]
            out.append(
                {
                    "name": rank.name,
                    "holds": bool(self.details.eligible[d]) and all(c["pass"] for c in conditions),
                    "qualified": r == qualified,
                    "conditions": conditions,
                }
            )
        return out

    @staticmethod
    def _condition_value(name: str, value: int):
        if name in ("pv", "gv", "qualifying_volume"):
            return volume_value(value)
        if name == "active":
            return bool(value)
        return int(value)

    def next_rank(self, d: int) -> dict | None:
        """What is missing for the lowest rank above the paid-as rank."""
        paid = int(self.result.paid_as_rank[d])
        if paid + 1 >= len(self.plan.ranks):
            return None
        r = paid + 1
        name = self.rank_names[r]
        missing = []
        if not self.details.eligible[d]:
            missing.append(self._ineligible(d))
        for condition in self.conditions_by_rank.get(r, []):
            if condition.holds[d]:
                continue
            missing.extend(self._missing(d, r, condition))
        return {"name": name, "missing": missing}

    def _ineligible(self, d: int) -> str:
        if not self.details.present[d]:
            return _("you join after this period, so you hold no rank and earn nothing yet")
        if int(self.inputs.status[d]) == TERMINATED:
            return _("your account is terminated, so you hold no rank and earn nothing")
        return _("your account is suspended, so you hold no rank and earn nothing")

    def _missing(self, d: int, r: int, condition) -> list[str]:
        rank = self.rank_names[r]
        actual, required = int(condition.actual[d]), condition.required
        if condition.name == "active":
            return [_("you must be active to be %(rank)s") % {"rank": rank}]
        if condition.name in ("pv", "gv"):
            return [
                _("%(name)s %(actual)s of the %(required)s needed for %(rank)s")
                % {
                    "name": condition.name.upper(),
                    "actual": volume_text(actual),
                    "required": volume_text(required),
                    "rank": rank,
                }
            ]
        if condition.name == "qualifying_volume":
            return self._qualifying_volume(d, r, actual, required)
        if condition.name == "legs":
            legs = self.plan.ranks[r].legs
            return [
                _(
                    "%(actual)d of the %(required)d legs holding %(leg_rank)s or higher needed for %(rank)s"
                )
                % {"actual": actual, "required": required, "leg_rank": legs.rank, "rank": rank}
            ]
        if condition.name == "personally_enrolled":
            text = _(
                "%(actual)d of the %(required)d personally enrolled distributors needed for %(rank)s"
            )
        elif condition.name == "personally_enrolled_active":
            text = _(
                "%(actual)d of the %(required)d active personally enrolled distributors needed for %(rank)s"
            )
        else:
            text = _("%(actual)d of the %(required)d buying retail customers needed for %(rank)s")
        return [text % {"actual": actual, "required": required, "rank": rank}]

    def _qualifying_volume(self, d: int, r: int, actual: int, required: int) -> list[str]:
        """The counted volume and what each leg gives towards it."""
        rule = self.plan.ranks[r].qualifying_volume
        rank = self.rank_names[r]
        cap = leg_cap(rule)
        sentences = [
            _("counted volume %(actual)s of the %(required)s needed for %(rank)s")
            % {"actual": volume_text(actual), "required": volume_text(required), "rank": rank}
        ]
        pv = int(self.result.pv[d])
        own = min(Fraction(pv), cap) if rule.own_pv == "capped" else Fraction(pv)
        sentences.append(
            _("your own PV gives %(gives)s of the %(required)s counted volume needed for %(rank)s")
            % {"gives": volume_text(int(own)), "required": volume_text(required), "rank": rank}
        )
        if self.group_tree is None:
            return sentences
        for number, child in enumerate(self.group_tree.children_of(d).tolist(), start=1):
            gv = int(self.result.gv[child])
            gives = min(Fraction(gv), cap)
            values = {
                "leg": number,
                "id": self.inputs.ids[child],
                "gives": volume_text(int(gives)),
                "required": volume_text(required),
                "rank": rank,
                "volume": volume_text(gv),
                "cap": volume_text(int(cap)),
            }
            if gv > cap:
                text = _(
                    "leg %(leg)d (%(id)s) gives %(gives)s of the %(required)s counted volume needed for %(rank)s: its %(volume)s counts at most %(cap)s"
                )
            else:
                text = _(
                    "leg %(leg)d (%(id)s) gives %(gives)s of the %(required)s counted volume needed for %(rank)s"
                )
            sentences.append(text % values)
        return sentences

    def messages(self, d: int) -> list[str]:
        """What the period did not pay this distributor, and why, in words."""
        details = self.details
        out: list[str] = []
        if not details.eligible[d]:
            out.append(self._ineligible(d))
        inactive = None
        if details.eligible[d] and not self.result.active[d]:
            missing = self.activity(d)["missing"]
            inactive = (
                _("%(missing)s: not active") % {"missing": ", ".join(missing)}
                if missing
                else _("not active")
            )
        for b, bonus in enumerate(self.plan.bonuses):
            # why d was not paid: inactive (failed the earner rule, or skipped by compression),
            # or, passing the earner rule, short of the bonus's requirements
            unmet = None
            if details.eligible[d] and self.passes_earner_rule(d, b):
                unmet = self.unmet_requirements(d, b)
            reason = unmet or inactive
            told: list[tuple[str | None, str]] = []  # (reason, what was not paid)
            title = self.bonus_title(b)
            walk = details.walks.get(bonus.name)
            if walk is not None:
                missed = int(walk.counts.missed[d])
                if missed and walk.compression and not self.result.active[d]:
                    told.append(
                        (
                            inactive,
                            ngettext(
                                "so %(count)d %(bonus)s line went past you",
                                "so %(count)d %(bonus)s lines went past you",
                                missed,
                            )
                            % {"count": missed, "bonus": title},
                        )
                    )
                elif missed:
                    told.append((reason, self._not_paid(missed, title)))
            if isinstance(bonus, MatchingBonus) and bonus.name in details.missed:
                missed = int(details.missed[bonus.name][d])
                if missed:
                    told.append((reason, self._not_paid(missed, title)))
            if isinstance(bonus, BinaryBonus) and bonus.name in details.binary_legs:
                left, right = details.binary_legs[bonus.name]
                earns = self.passes_earner_rule(d, b) and unmet is None
                if not earns and (left[d] or right[d]):
                    values = {
                        "bonus": title,
                        "left": volume_text(left[d]),
                        "right": volume_text(right[d]),
                    }
                    if bonus.flush_inactive:
                        sentence = _(
                            "so %(bonus)s paid nothing and both legs were flushed (left %(left)s, right %(right)s)"
                        )
                    else:
                        sentence = _(
                            "so %(bonus)s paid nothing; the legs carry forward (left %(left)s, right %(right)s)"
                        )
                    told.append((reason, sentence % values))
            if unmet is not None and all(why is not unmet for why, _sentence in told):
                out.append(unmet)
            out.extend(f"{why}, {sentence}" if why else sentence for why, sentence in told)
            if walk is not None and int(walk.counts.beyond_depth[d]):
                beyond = int(walk.counts.beyond_depth[d])
                out.append(
                    ngettext(
                        "your paid-as rank %(rank)s is paid %(bonus)s to depth %(depth)d, so %(count)d line from deeper levels was not paid to you",
                        "your paid-as rank %(rank)s is paid %(bonus)s to depth %(depth)d, so %(count)d lines from deeper levels were not paid to you",
                        beyond,
                    )
                    % {
                        "rank": self.rank_names[int(self.result.paid_as_rank[d])],
                        "depth": int(walk.max_level[d]),
                        "bonus": title,
                        "count": beyond,
                    }
                )
        return out

    @staticmethod
    def _not_paid(count: int, title: str) -> str:
        return ngettext(
            "so %(count)d %(bonus)s line was not paid to you",
            "so %(count)d %(bonus)s lines were not paid to you",
            count,
        ) % {"count": count, "bonus": title}

    def earned(self, d: int) -> dict:
        out = {}
        if self.line_count is None:
            return out
        for b, bonus in enumerate(self.plan.bonuses):
            lines = int(self.line_count[d, b])
            if lines:
                out[bonus.name] = {
                    "lines": lines,
                    "amount": self.money(self.line_amount[d, b]),
                    "amount_before_cap": self.money(self.line_before[d, b]),
                }
        return out

    def all(self) -> Iterator[dict]:
        for d in range(self.n):
            yield self.explain(d)


def explain(plan: Plan, inputs: PeriodInputs, result: PeriodResult, row: int) -> dict:
    """The trace of the distributor in row ``row``."""
    return Explainer(plan, inputs, result).explain(row)
