"""The figures of an income disclosure statement, from plain arrays (docs/income-disclosure.md).

No Django: :func:`statement` takes one entry per participant (everyone who was a distributor in
the network during the covered periods, those who earned nothing included) and returns the
statement's figures. Money is integer minor units; shares are exact fractions, formatted only
when the statement is rendered.

For ``N`` earnings sorted ascending (``downline.simulation.statistics``, the same definitions
the simulation reports use):

* **earning nothing**: earnings ≤ 0 (a clawback can leave a participant below zero);
* **median**, **p90**: nearest rank, ``x_(k)`` with ``k = max(1, ⌈p·N/100⌉)``;
* **mean**: ``Σ x / N`` rounded half up to a whole minor unit;
* **top-1% share**: the ``⌈N/100⌉`` largest earnings ÷ ``Σ x`` (undefined when ``Σ x ≤ 0``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from downline.money import round_half_up
from downline.simulation.statistics import exact_sum, nearest_rank, top_share

NEW, RECENT, EARLIER = 0, 1, 2  # tenure bands: joined in the covered periods, in the 12 months
TENURE_BANDS = (NEW, RECENT, EARLIER)  # before them, earlier


@dataclass(frozen=True)
class Participants:
    """One entry per participant. ``rank`` indexes the statement's rank names (the highest
    paid-as rank reached in the covered periods); spend is the participant's own orders in the
    covered periods, net of returns, by kind."""

    earnings: np.ndarray  # int64[p]
    rank: np.ndarray  # int64[p]
    tenure: np.ndarray  # int8[p]: NEW, RECENT or EARLIER
    starter_kits: np.ndarray  # int64[p]
    autoship: np.ndarray  # int64[p]
    products: np.ndarray  # int64[p]
    fees: np.ndarray  # int64[p]

    @property
    def count(self) -> int:
        return len(self.earnings)

    @property
    def purchases(self) -> np.ndarray:
        return self.starter_kits + self.autoship + self.products + self.fees


@dataclass(frozen=True)
class Figures:
    """The earnings of one group of participants."""

    participants: int
    share_of_all: Fraction | None  # the group's participants ÷ all participants
    nothing_share: Fraction | None
    median: int | None
    mean: int | None
    p90: int | None
    top_1pct_share: Fraction | None
    total: int


@dataclass(frozen=True)
class Cost:
    """What participants spent on one kind of order: the mean over all participants, the share
    who spent anything and the mean over those who did."""

    total: int
    mean: int | None
    buyers_share: Fraction | None
    mean_of_buyers: int | None


@dataclass(frozen=True)
class Statement:
    overall: Figures
    by_rank: list[tuple[str, Figures]]
    by_tenure: list[tuple[int, Figures]]
    costs: dict[str, Cost]  # starter_kits, autoship, products, fees, all
    net_negative_share: Fraction | None  # earnings minus own purchases below zero
    net_median: int | None
    net_mean: int | None


def figures(earnings: np.ndarray, everyone: int) -> Figures:
    """The figures of one group (see the module rules); an empty group has counts only."""
    ordered = np.sort(np.asarray(earnings, dtype=np.int64))
    count = len(ordered)
    total = exact_sum(ordered)
    share_of_all = Fraction(count, everyone) if everyone else None
    if count == 0:
        return Figures(0, share_of_all, None, None, None, None, None, 0)
    return Figures(
        participants=count,
        share_of_all=share_of_all,
        nothing_share=Fraction(int(np.count_nonzero(ordered <= 0)), count),
        median=nearest_rank(ordered, 50),
        mean=round_half_up(total, count),
        p90=nearest_rank(ordered, 90),
        top_1pct_share=top_share(ordered, 1),
        total=total,
    )


def cost(spend: np.ndarray) -> Cost:
    count = len(spend)
    total = exact_sum(spend)
    buyers = spend > 0
    bought = int(buyers.sum())
    return Cost(
        total=total,
        mean=round_half_up(total, count) if count else None,
        buyers_share=Fraction(bought, count) if count else None,
        mean_of_buyers=round_half_up(exact_sum(spend[buyers]), bought) if bought else None,
    )


def statement(people: Participants, rank_names: Sequence[str]) -> Statement:
    """The statement over ``people``: overall, per rank (every rank of ``rank_names``, empty
    ones included), per tenure band, costs and earnings net of own purchases."""
    everyone = people.count
    net = people.earnings - people.purchases
    ordered_net = np.sort(net)
    return Statement(
        overall=figures(people.earnings, everyone),
        by_rank=[
            (name, figures(people.earnings[people.rank == index], everyone))
            for index, name in enumerate(rank_names)
        ],
        by_tenure=[
            (band, figures(people.earnings[people.tenure == band], everyone))
            for band in TENURE_BANDS
        ],
        costs={
            "starter_kits": cost(people.starter_kits),
            "autoship": cost(people.autoship),
            "products": cost(people.products),
            "fees": cost(people.fees),
            "all": cost(people.purchases),
        },
        net_negative_share=Fraction(int((net < 0).sum()), everyone) if everyone else None,
        net_median=nearest_rank(ordered_net, 50) if everyone else None,
        net_mean=round_half_up(exact_sum(net), everyone) if everyone else None,
    )
