"""A bonus's compliance requirements (docs/plan-language.md, "Requirements").

For distributor ``d`` in the period, with ``own`` = own PV, ``customer`` = customer PV (the PV of
``d``'s retail customers' orders, whatever ``volumes.include_customers`` says) and
``total = own + customer``:

* ``customer_share_at_least: P`` holds ⇔ ``total > 0`` and ``customer ≥ P × total``, compared
  exactly: with ``P = num/den`` and ``divmod(total × num, den) = (q, r)``,
  ``customer ≥ q`` when ``r = 0`` and ``customer > q`` otherwise;
* ``customers_at_least: N`` holds ⇔ ``d`` has at least ``N`` buying retail customers (distinct
  retail customers with a positive net turnover in the plan's currency, as the rank condition
  ``customers``);
* ``certificate: K`` (a key or a list of keys) holds ⇔ ``d`` holds every certificate ``K`` on the
  period's last day (the input ``PeriodInputs.certificates``; a key not given is held by nobody).

A distributor who fails a requirement of a bonus is treated like one who fails the bonus's
earner rule.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from .plan.model import Requirements
from .rounding import mul_divmod


@dataclass
class RequirementCheck:
    """Who meets each requirement of one ``requires`` block (``None``: not written)."""

    customer_share: np.ndarray | None  # bool[n]
    customers: np.ndarray | None  # bool[n]
    met: np.ndarray  # bool[n]: every written requirement holds
    certificates: dict[str, np.ndarray] = field(default_factory=dict)  # key -> bool[n] held


def share_at_least(customer: np.ndarray, own: np.ndarray, share: Fraction) -> np.ndarray:
    """``total > 0 and customer ≥ share × total`` per distributor, exact in integers."""
    total = own + customer
    floor, remainder = mul_divmod(total, share.numerator, share.denominator)
    return (total > 0) & ((customer > floor) | ((customer == floor) & (remainder == 0)))


def check_requirements(
    requires: Requirements,
    *,
    own_pv: np.ndarray,
    customer_pv: np.ndarray,
    buying_customers: np.ndarray,
    holders: Callable[[str], np.ndarray] | None = None,
) -> RequirementCheck:
    """Who meets each requirement of ``requires``; ``holders(key)`` gives bool[n], who holds
    certificate ``key`` (needed when ``requires`` names a certificate)."""
    met = np.ones(len(own_pv), dtype=bool)
    share = customers = None
    if requires.customer_share_at_least is not None:
        share = share_at_least(customer_pv, own_pv, requires.customer_share_at_least.value)
        met &= share
    if requires.customers_at_least is not None:
        customers = buying_customers >= requires.customers_at_least
        met &= customers
    certificates = {}
    for key in requires.certificate or ():
        if holders is None:
            raise ValueError(f"requires certificate {key!r}: no certificate holders given")
        certificates[key] = holders(key)
        met &= certificates[key]
    return RequirementCheck(
        customer_share=share, customers=customers, met=met, certificates=certificates
    )
