"""The re-solve on a chosen trade list, over the traded names only: an exact smaller problem for large n.

After the no-dust step fixes every trade but a few at zero, the names that do not trade keep their weights
``w0``. They are folded into one pseudo-name, *the rest*, whose weight is held at ``W = sum(w0_rest)`` and
whose coefficients are their ``w0``-weighted means: with ``w = M x`` (``x`` = the free names and the rest,
``M``'s last column ``w0_rest / W``), every linear row ``a @ w`` becomes ``(M' a) @ x`` and every quadratic
term ``w' Q w`` becomes ``x' (M' Q M) x``, exactly, because the rest cannot trade. So the answer, the
objective and the duals equal the full re-solve's, and the problem has a few rows instead of 6 n.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from exposure.optimize.data import ProblemData
from exposure.optimize.program import concentration

#: From this many names up, the re-solve on a chosen trade list runs on the traded names only.
REDUCE_MIN_N = 2000
#: Above REDUCE_MIN_N names, the trade-choosing MILP considers this many of the largest continuous moves.
MILP_CANDIDATES = 1000
#: Constraint groups with one row per name (their duals are expanded back to every name).
PER_NAME = {"trade_bounds", "long_only", "max_weight", "exclude", "frozen"}


def restrict(data: ProblemData, free: np.ndarray) -> tuple[ProblemData, np.ndarray]:
    """The problem over the names of the mask ``free`` and the rest (held at ``w0``); also ``free``'s
    indices. Without a rest (every held name free) there is no pseudo-name."""
    at = np.flatnonzero(free)
    rest = np.flatnonzero(~free & (data.w0 != 0))
    total = float(data.w0[rest].sum())
    mix = data.w0[rest] / total if len(rest) and total != 0 else np.zeros(0)
    extra = 1 if len(mix) else 0

    def rows(array: np.ndarray) -> np.ndarray:  # per-name rows (n, ...) -> (free + rest, ...)
        head = array[at]
        return np.concatenate([head, (mix @ array[rest])[None]]) if extra else head

    def pad(array: np.ndarray, value: float) -> np.ndarray:
        return np.append(array[at], value) if extra else array[at]

    spread = concentration(data)
    weights = np.append(data.w0[at], total) if extra else data.w0[at]
    out = replace(
        data, tickers=[data.tickers[k] for k in at] + ["(rest)"] * extra,
        names=[data.names[k] for k in at] + ["names that do not trade"] * extra,
        layers=[data.layers[k] for k in at] + ["other"] * extra, w0=weights,
        loadings_all=rows(data.loadings_all), layer_shares=rows(data.layer_shares), ai_share=rows(data.ai_share),
        scenario_losses=rows(data.scenario_losses), buy_costs=pad(data.buy_costs, 0.0),
        sell_costs=pad(data.sell_costs, 0.0), frozen=pad(data.frozen, True), excluded=pad(data.excluded, False),
        is_fund=pad(data.is_fund, True),  # the rest is many names (no max_weight), frozen (never trades)
        prices=pad(data.prices, np.nan),
        concentration=pad(spread, float(spread[rest] @ mix**2)) if extra else spread[at],
        risk_root=None if data.risk_root is None else rows(data.risk_root.T).T,
        risk_diag=None if data.risk_diag is None else pad(data.risk_diag, float(np.sqrt(data.risk_diag[rest]**2
                                                                                      @ mix**2))),
        risk_matrix=None if data.risk_matrix is None else _fold(data.risk_matrix, at, rest, mix),
        notes=[])
    return out, at


def _fold(matrix: np.ndarray, at: np.ndarray, rest: np.ndarray, mix: np.ndarray) -> np.ndarray:
    """``M' S M`` for the free names ``at`` and the rest (``mix``: the rest's ``w0`` shares)."""
    if not len(mix):
        return matrix[np.ix_(at, at)]
    cross = matrix[np.ix_(at, rest)] @ mix
    corner = float(mix @ matrix[np.ix_(rest, rest)] @ mix)
    return np.block([[matrix[np.ix_(at, at)], cross[:, None]], [cross[None, :], np.array([[corner]])]])


def expand(weights: np.ndarray, duals: dict[str, list], data: ProblemData,
           at: np.ndarray) -> tuple[np.ndarray, dict[str, list]]:
    """The full problem's weights and duals from the restricted problem's (names that do not trade keep
    ``w0``; their per-name duals are zero)."""
    full = data.w0.copy()
    full[at] = weights[:len(at)]
    out: dict[str, list] = {}
    for name, group in duals.items():
        per_name = [name in PER_NAME or (name == "budget" and k == 1) for k in range(len(group))]
        out[name] = [_spread_dual(d, data.n, at, len(weights)) if each else d
                     for d, each in zip(group, per_name, strict=True)]
    return full, out


def _spread_dual(dual: np.ndarray | None, n: int, at: np.ndarray, size: int) -> np.ndarray | None:
    if dual is None or dual.size != size:
        return dual
    full = np.zeros(n)
    full[at] = dual[:len(at)]
    return full
