"""Concentration metrics and the 0-100 score (docs/methods.md, section 3). Pure functions."""

from __future__ import annotations

import numpy as np

#: Upper bounds (exclusive) of the score's grades, in score points (percent of portfolio value).
GRADES: tuple[tuple[float, str], ...] = ((10.0, "low"), (25.0, "moderate"), (50.0, "high"))


def hhi(shares: np.ndarray, dispersed: float = 0.0) -> float:
    """Herfindahl-Hirschman index of non-negative shares, normalized to sum to 1 (0 when all are 0).

    Shares of 30/30/20/20 percent give 0.26 (2,600 in the DOJ/FTC percent convention). ``dispersed`` is a part
    made of many positions too small to count (a fund not looked through): it adds to the total the shares are
    taken of, but no square of its own.
    """
    values = np.clip(np.asarray(shares, dtype=float), 0.0, None)
    total = values.sum() + max(dispersed, 0.0)
    if total <= 0:
        return 0.0
    fractions = values / total
    return float(np.sum(fractions**2))


def effective_number(shares: np.ndarray, dispersed: float = 0.0) -> float:
    """``1 / HHI``: the number of equal positions with the same concentration (0 when all shares are 0)."""
    index = hhi(shares, dispersed)
    return 1.0 / index if index > 0 else 0.0


def score(largest_hub_total: float) -> float:
    """The 0-100 score: 100 x the largest hub total exposure (a fraction of portfolio value)."""
    return float(100.0 * min(max(largest_hub_total, 0.0), 1.0))


def grade(value: float) -> str:
    """``low`` < 10, ``moderate`` < 25, ``high`` < 50, else ``extreme``, of the score as printed.

    The headline shows the score as a whole number (``f"{score:.0f}/100"``), so the grade is that of the
    same rounded number: 24.96 reads "High (25/100)", never "Moderate (25/100)".
    """
    shown = round(value)  # the same round-half-even as the f"{value:.0f}" of the headline
    for bound, name in GRADES:
        if shown < bound:
            return name
    return "extreme"
