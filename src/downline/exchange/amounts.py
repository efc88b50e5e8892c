"""Amounts between the CSV tables (hundredths of the currency's major unit) and the database
(minor units of the currency: cents for EUR, yen for JPY, fils for KWD)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from downline.money import minor_units

VOLUME_PLACES = 2


def _places(currencies: Sequence[str]) -> np.ndarray:
    unique, inverse = np.unique(np.asarray(currencies, dtype="<U3"), return_inverse=True)
    places = np.array([minor_units(str(code)) for code in unique], dtype=np.int64)
    return places[inverse] if len(currencies) else np.zeros(0, dtype=np.int64)


def hundredths_to_minor(amounts: np.ndarray, currencies: Sequence[str]) -> np.ndarray:
    """Hundredths → minor units. The CSV reader allows no more decimals than the currency has,
    so a currency with fewer than two decimals always divides exactly."""
    places = _places(currencies)
    up = 10 ** np.maximum(places - VOLUME_PLACES, 0)
    down = 10 ** np.maximum(VOLUME_PLACES - places, 0)
    return (amounts.astype(np.int64) * up) // down


def minor_to_hundredths(amounts: np.ndarray, currencies: Sequence[str]) -> np.ndarray:
    """Minor units → hundredths, rounded down where hundredths cannot hold the amount (a
    three-decimal currency with a non-zero third decimal; see :func:`inexact_amounts`)."""
    places = _places(currencies)
    up = 10 ** np.maximum(VOLUME_PLACES - places, 0)
    down = 10 ** np.maximum(places - VOLUME_PLACES, 0)
    return (amounts.astype(np.int64) * up) // down


def inexact_amounts(amounts: np.ndarray, currencies: Sequence[str]) -> np.ndarray:
    """Rows whose amount has more decimals than hundredths hold."""
    down = 10 ** np.maximum(_places(currencies) - VOLUME_PLACES, 0)
    return np.flatnonzero(amounts.astype(np.int64) % down != 0)
