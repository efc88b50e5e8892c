"""Bank details for the demo's members: IBANs that pass every check of
``downline.payouts.bank_details`` (the country's BBAN structure and ISO 7064 MOD 97-10), made
from a seeded generator. They belong to no real account.

Check digits: with the BBAN followed by the country code and ``00``, letters written as two
digits (A = 10 … Z = 35), the check is ``98 - (that number mod 97)``, two digits.
"""

from __future__ import annotations

import re
import string

import numpy as np

from downline.payouts.bank_details import BBAN_FORMATS

_PART = re.compile(r"(\d+)!([nac])")
_ALPHABETS = {
    "n": string.digits,
    "a": string.ascii_uppercase,
    "c": string.digits + string.ascii_uppercase,
}


def demo_iban(country: str, rng: np.random.Generator) -> str:
    """A valid IBAN of ``country`` (which must use IBANs) with a random BBAN."""
    bban = "".join(
        "".join(rng.choice(list(_ALPHABETS[kind]), size=int(count)).tolist())
        for count, kind in _PART.findall(BBAN_FORMATS[country])
    )
    digits = "".join(str(int(char, 36)) for char in f"{bban}{country}00")
    return f"{country}{98 - int(digits) % 97:02d}{bban}"


def demo_bic(country: str, number: int) -> str:
    """An 8-character BIC of the demo's bank in ``country``: ``DMB`` + a letter, the country,
    and a two-digit location."""
    return f"DMB{string.ascii_uppercase[number % 26]}{country}{number % 90 + 10:02d}"
