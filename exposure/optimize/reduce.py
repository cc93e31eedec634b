"""The re-solve on a chosen trade list, over the traded names only: an exact smaller problem for large n.

After the no-dust step fixes every trade but a few at zero, the names that do not trade keep their weights
``w0``. They are folded into one pseudo-name, *the rest*, whose weight is held at ``W = sum(w0_rest)`` and
whose coefficients are their ``w0``-weighted means: with ``w = M x`` (``x`` = the free names and the rest,
``M``'s last column ``w0_rest / W``), every linear row ``a @ w`` becomes ``(M' a) @ x`` and every quadratic
term ``w' Q w`` becomes ``x' (M' Q M) x``, exactly, because the rest cannot trade. So the answer, the
objective and the duals equal the full re-solve's, and the problem has a few rows instead of 6 n.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from exposure.optimize.data import ProblemData
from exposure.optimize.program import concentration

#: From this many names up, the re-solve on a chosen trade list runs on the traded names only.
REDUCE_MIN_N = 2000
#: Above REDUCE_MIN_N names, the trade-choosing MILP considers this many of the largest continuous moves.
MILP_CANDIDATES = 1000
#: After the level search, the MILP considers this many of its groups' (interchangeable) names, the largest
#: continuous moves: more add only symmetric copies of the same choice, which slow HiGHS down.
GROUP_CANDIDATES = 50
#: Constraint groups with one row per name (their duals are expanded back to every name).
PER_NAME = {"trade_bounds", "long_only", "max_weight", "exclude", "frozen"}


def restrict(data: ProblemData, free: np.ndarray,
             blocks: Sequence[np.ndarray] = ()) -> tuple[ProblemData, np.ndarray]:
    """The problem over the names of the mask ``free``, one row per block of ``blocks`` (interchangeable
    names held at one common level, :mod:`~exposure.optimize.levels`: the row is their total weight) and the
    rest (held at ``w0``); also ``free``'s indices. Without a rest (every held name free) there is no
    pseudo-name."""
    at = np.flatnonzero(free)
    outside = ~free
    for block in blocks:
        outside[block] = False
    rest = np.flatnonzero(outside & (data.w0 != 0))
    total = float(data.w0[rest].sum())
    mix = data.w0[rest] / total if len(rest) and total != 0 else np.zeros(0)
    extra = 1 if len(mix) else 0
    spread_mix = np.zeros(data.n)
    spread_mix[rest] = mix
    first = np.array([block[0] for block in blocks], dtype=int)  # a block's names share every coefficient
    size = np.array([len(block) for block in blocks], dtype=float)

    def rows(array: np.ndarray) -> np.ndarray:  # per-name rows (n, ...) -> (free + blocks + rest, ...)
        head = np.concatenate([array[at], array[first]])  # the rest's row is mix @ array[rest], without copies
        return np.concatenate([head, (spread_mix @ array)[None]]) if extra else head

    def pad(array: np.ndarray, block: np.ndarray | float, value: float) -> np.ndarray:
        head = np.concatenate([array[at], np.broadcast_to(block, len(blocks))])
        return np.append(head, value) if extra else head

    spread = concentration(data)
    names = at.tolist() + first.tolist()
    counts = np.ones(data.n) if data.multiplicity is None else data.multiplicity
    out = replace(
        data, tickers=[data.tickers[k] for k in at] + [f"({len(b)} names at one level)" for b in blocks]
        + ["(rest)"] * extra, names=[data.names[k] for k in names] + ["names that do not trade"] * extra,
        layers=[data.layers[k] for k in names] + ["other"] * extra,
        w0=pad(data.w0, np.array([data.w0[b].sum() for b in blocks]), total),
        loadings_all=rows(data.loadings_all), layer_shares=rows(data.layer_shares), ai_share=rows(data.ai_share),
        scenario_losses=rows(data.scenario_losses), buy_costs=pad(data.buy_costs, data.buy_costs[first], 0.0),
        sell_costs=pad(data.sell_costs, data.sell_costs[first], 0.0), frozen=pad(data.frozen, False, True),
        excluded=pad(data.excluded, False, False),
        is_fund=pad(data.is_fund, False, True),  # the rest is many names (no max_weight), frozen (never trades)
        prices=pad(data.prices, np.nan, np.nan),
        # a block of k names at level L = W / k: k c L^2 = (c / k) W^2, and its bounds are k times a name's
        concentration=pad(spread, spread[first] / size, float(spread[rest] @ mix**2) if extra else 0.0),
        multiplicity=pad(counts, size, 1.0) if len(blocks) or data.multiplicity is not None else None,
        risk_root=None if data.risk_root is None else rows(data.risk_root.T).T,
        risk_diag=None if data.risk_diag is None else pad(
            data.risk_diag, data.risk_diag[first] / np.sqrt(size),
            float(np.sqrt(data.risk_diag[rest]**2 @ mix**2)) if extra else 0.0),
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


def expand(weights: np.ndarray, duals: dict[str, list], data: ProblemData, at: np.ndarray,
           blocks: Sequence[np.ndarray] = ()) -> tuple[np.ndarray, dict[str, list]]:
    """The full problem's weights and duals from the restricted problem's (names that do not trade keep
    ``w0``; their per-name duals are zero; a block's names share its level and its per-name duals)."""
    full = data.w0.copy()
    full[at] = weights[:len(at)]
    for k, block in enumerate(blocks):
        full[block] = weights[len(at) + k] / len(block)
    out: dict[str, list] = {}
    for name, group in duals.items():
        per_name = [name in PER_NAME or (name == "budget" and k == 1) for k in range(len(group))]
        out[name] = [_spread_dual(d, data.n, at, blocks, len(weights)) if each else d
                     for d, each in zip(group, per_name, strict=True)]
    return full, out


def _spread_dual(dual: np.ndarray | None, n: int, at: np.ndarray, blocks: Sequence[np.ndarray],
                 size: int) -> np.ndarray | None:
    if dual is None or dual.size != size:
        return dual
    full = np.zeros(n)
    full[at] = dual[:len(at)]
    for k, block in enumerate(blocks):
        full[block] = dual[len(at) + k]
    return full
