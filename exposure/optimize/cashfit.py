"""Cash back within its band after whole-share rounding: one share more or less at a time, every constraint
re-checked, or a note naming the constraint that stops it.

Rounding each trade to whole shares leaves a residual in cash; when the sales are rounded up (to get under
``max_weight``) and the buys down, cash can end above its ceiling (5.53% against 5% on a $40k account). This
step buys one more share of a name already bought, or sells one share fewer of a name already sold (never
below ``min_trade``), largest share first, as long as cash stays at or above its floor and every constraint of
the suggestion still holds (weights, hub caps, layer bands, scenario caps, turnover). No new trade is added,
so ``max_trades`` and ``exclude`` hold by construction.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from exposure.optimize.constraints import Constraints
from exposure.optimize.data import ProblemData
from exposure.optimize.discrete import TRADE_TOL

if TYPE_CHECKING:
    from exposure.optimize.solve import Solved

#: Slack when re-checking a bound (fractions of value): the solver's own feasibility tolerance.
CHECK_TOL = 1e-7
#: The most single-share steps taken (each moves cash by one share; a ceiling miss is a few shares).
MAX_STEPS = 2000


def broken(data: ProblemData, constraints: Constraints, w: np.ndarray) -> str | None:
    """The first constraint ``w`` (cash the residual) breaks, by name, or None when it keeps them all."""
    cash = 1.0 - float(w.sum())
    if cash < data.cash_lo - CHECK_TOL:
        return f"min_cash {data.cash_lo:.2%}"
    traded = np.abs(w - data.w0) > TRADE_TOL
    over = traded & ~data.is_fund & (w > constraints.max_weight + CHECK_TOL)
    if over.any():
        return f"max_weight {constraints.max_weight:.2%} ({data.tickers[int(np.flatnonzero(over)[0])]})"
    if data.cap_ids:
        over = data.columns(data.cap_ids).T @ w - data.caps
        if (over > CHECK_TOL).any():
            return f"hub cap {data.cap_ids[int(np.argmax(over))]}"
    if data.band_layers:
        level = data.layer_shares.T @ w
        base = float(data.ai_share @ w) if constraints.layer_basis == "ai_sleeve" else 1.0
        for k, layer in enumerate(data.band_layers):
            if not data.band_lo[k] * base - CHECK_TOL <= level[k] <= data.band_hi[k] * base + CHECK_TOL:
                return f"layer band {layer}"
    if data.scenario_names:
        over = data.scenario_losses.T @ w - data.scenario_caps
        if (over > CHECK_TOL).any():
            return f"stress cap {data.scenario_names[int(np.argmax(over))]}"
    if data.max_turnover is not None and float(np.abs(w - data.w0).sum()) > data.max_turnover + CHECK_TOL:
        return f"max_turnover {data.max_turnover:.2%}"
    return None


def fit_cash(data: ProblemData, constraints: Constraints, solved: Solved) -> None:
    """Bring cash into ``[cash_lo, cash_hi]`` after whole-share rounding (in place), or say what stops it."""
    if solved.shares is None or data.value_usd is None:
        return
    unit = data.prices / data.value_usd
    whole = np.isfinite(solved.shares) & np.isfinite(unit) & (unit > 0)
    w, shares = solved.weights.copy(), solved.shares.copy()
    start = 1.0 - float(w.sum())
    stop: str | None = None
    for _ in range(MAX_STEPS):
        cash = 1.0 - float(w.sum())
        if data.cash_lo - CHECK_TOL <= cash <= data.cash_hi + CHECK_TOL:
            break
        step, stop = _best_step(data, constraints, w, whole, unit, +1 if cash > data.cash_hi else -1)
        if step is None:
            break
        w[step[0]] += step[1] * unit[step[0]]
        shares[step[0]] += step[1]
    cash = 1.0 - float(w.sum())
    moved = int(np.abs(shares - solved.shares)[whole].sum())
    if moved:
        solved.weights, solved.shares, solved.cash = w, shares, cash
        solved.notes.append(f"whole shares: cash was {start:.2%} after rounding, outside its band "
                            f"[{data.cash_lo:.2%}, {data.cash_hi:.2%}]; {moved} share(s) more bought or fewer "
                            f"sold bring it to {cash:.2%}, every constraint re-checked.")
    if not data.cash_lo - CHECK_TOL <= cash <= data.cash_hi + CHECK_TOL:
        side = "ceiling" if cash > data.cash_hi else "floor"
        limit = data.cash_hi if side == "ceiling" else data.cash_lo
        solved.notes.append(f"whole shares: cash ends at {cash:.2%}, {abs(cash - limit):.2%} of value past its "
                            f"{side} {limit:.2%}: one share more or less of a traded name would break "
                            f"{stop or 'another constraint'}. Use --fractional to meet the band exactly.")


def _best_step(data: ProblemData, constraints: Constraints, w: np.ndarray, whole: np.ndarray, unit: np.ndarray,
               direction: int) -> tuple[tuple[int, int] | None, str | None]:
    """The largest one-share step that moves cash toward its band (``direction`` +1: spend cash) and keeps every
    constraint: ``((index, +1 or -1 share), None)``, or ``(None, what the best refused step breaks)``."""
    trade = w - data.w0
    cash = 1.0 - float(w.sum())
    room = cash - data.cash_lo if direction > 0 else data.cash_hi - cash
    options = []
    reasons: dict[str, list[str]] = {}  # constraint -> the names whose one-share step would break it
    for k in np.flatnonzero(whole & (np.abs(trade) > TRADE_TOL)):
        delta = direction  # +1 share: buy one more or sell one fewer (spends cash); -1 the reverse
        after = trade[k] + delta * unit[k]
        if np.sign(after) != np.sign(trade[k]) or 0 < abs(after) < data.min_trade * (1 - 1e-6):
            reasons.setdefault(f"min_trade {data.min_trade:.2%}", []).append(data.tickers[k])
            continue  # never turn a trade around or below min_trade
        if unit[k] > room + CHECK_TOL:
            bound = f"min_cash {data.cash_lo:.2%}" if direction > 0 else f"the cash ceiling {data.cash_hi:.2%}"
            reasons.setdefault(bound, []).append(data.tickers[k])
            continue
        options.append((unit[k], k, delta))
    for _, k, delta in sorted(options, reverse=True):
        trial = w.copy()
        trial[k] += delta * unit[k]
        why = broken(data, constraints, trial)
        if why is None:
            return (int(k), int(delta)), None
        reasons.setdefault(why.split(" (")[0], []).append(data.tickers[k])
    return None, " or ".join(f"{bound} ({', '.join(names)})" for bound, names in reasons.items()) or None
