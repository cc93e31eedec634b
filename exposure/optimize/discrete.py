"""No dust and whole shares: two small mixed-integer programs (HiGHS) around the continuous optimum.

1. *Which trades.* When the continuous optimum has a trade below ``min_trade`` or more than ``max_trades``
   trades (a sale of a whole position counts at any size: a position smaller than ``min_trade`` can only
   be sold whole), its trades of at least ``min_trade`` (the ``max_trades`` largest) are kept and the weights
   re-solved exactly with every other trade fixed at zero (round and re-solve). Only when that is infeasible
   does a MILP choose the trades: booleans ``zb_i, zs_i`` with ``m zb_i <= b_i <= M zb_i`` (sells alike),
   ``zb_i + zs_i <= 1`` and ``sum(z) <= max_trades``, under every linear constraint of the suggestion. Its
   objective is the linear part (costs) plus the quadratic part linearised at the continuous optimum. The
   weights are then re-solved by the exact (quadratic) problem with each chosen trade bounded below by
   ``min_trade`` and every other trade fixed at zero, so names that do not trade keep their weight exactly.
2. *Whole shares.* For share and value portfolios with prices, integer share counts ``k_i`` replace the
   traded weights (``w_i = w0_i + k_i p_i / V``), as close as possible to the exact weights (least absolute
   deviation) under every constraint, with the rounding residual in cash (the cash ceiling grows by at most
   one share per trade). When no whole-share solution keeps every constraint, the trades stay fractional and
   a note says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from exposure._optional import require
from exposure.errors import InfeasibleError
from exposure.optimize.constraints import Constraints
from exposure.optimize.data import ProblemData
from exposure.optimize.program import Shape, build, constants, values
from exposure.optimize.running import run

if TYPE_CHECKING:
    import cvxpy as cp
else:
    cp = require("cvxpy", "Suggestions (exposure.suggest, exposure.frontier)")


#: Trades smaller than this (fraction of value) are solver noise, not trades.
TRADE_TOL = 1e-9
#: Above this many names only the continuous optimum's trades (and the funds) are candidates in the MILP.
ALL_CANDIDATES_MAX_N = 2000
#: Seconds HiGHS may spend on one MILP; the best solution found by then is used (the notes say so).
MILP_SECONDS = 20.0
#: HiGHS feasibility tolerances for the MILPs, below the margin the bounds are tightened by, so that a chosen
#: trade list stays feasible for the exact re-solve.
MILP_OPTIONS: dict[str, Any] = {"time_limit": MILP_SECONDS, "mip_feasibility_tolerance": 1e-9,
                                "primal_feasibility_tolerance": 1e-9}


def dust(w: np.ndarray, data: ProblemData, constraints: Constraints) -> bool:
    """Whether ``w`` trades below ``min_trade`` or more than ``max_trades`` names (or trades at all when each
    trade pays a fee: then the MILP chooses the trades)."""
    trades = np.abs(w - data.w0)
    traded = trades > TRADE_TOL
    if data.trade_fee > 0 and traded.any():
        return True
    small = traded & (trades < data.min_trade * (1 - 1e-6)) & ~_sold_out(w, data)
    return bool(small.any()) or (constraints.max_trades is not None and int(traded.sum()) > constraints.max_trades)


@dataclass
class Choice:
    """The MILP's chosen buys and sells (masks over tickers), its status and time."""

    buy: np.ndarray
    sell: np.ndarray
    status: str
    seconds: float


def keep_largest(data: ProblemData, constraints: Constraints, w_star: np.ndarray) -> Choice:
    """Round: the continuous optimum's trades of at least ``min_trade``, at most the ``max_trades`` largest."""
    trade = w_star - data.w0
    size = np.where((np.abs(trade) >= data.min_trade * (1 - 1e-6)) | _sold_out(w_star, data), np.abs(trade), 0.0)
    if constraints.max_trades is not None:
        order = np.argsort(-size, kind="stable")
        size[order[constraints.max_trades:]] = 0.0
    return Choice(buy=(size > 0) & (trade > 0), sell=(size > 0) & (trade < 0), status="rounded", seconds=0.0)


def _sold_out(w: np.ndarray, data: ProblemData) -> np.ndarray:
    """Sales of a whole position: allowed below ``min_trade`` (a position smaller than it can only go whole)."""
    return (data.w0 > 0) & (np.abs(w) <= TRADE_TOL)


def choose_trades(data: ProblemData, constraints: Constraints, shape: Shape, w_star: np.ndarray,
                  scale: float) -> Choice:
    """The MILP of step 1; raises :class:`InfeasibleError` naming min_trade / max_trades when none exists."""
    v = values(data, constraints, scale)
    n, m = data.n, data.min_trade
    moved = np.abs(w_star - data.w0) > TRADE_TOL
    candidate = np.ones(n, bool) if n <= ALL_CANDIDATES_MAX_N else (moved | data.is_fund)
    room_buy = np.where(candidate, np.maximum(v["upper"] - data.w0, 0.0), 0.0)
    room_sell = np.where(candidate, np.maximum(data.w0 - v["lower"], 0.0), 0.0)
    v["b_hi"], v["s_hi"] = room_buy, room_sell
    built = build(shape, v, constants(data))
    b, s, w = built.variables["b"], built.variables["s"], built.variables["w"]
    at = np.flatnonzero(candidate)
    zb, zs = cp.Variable(len(at), boolean=True), cp.Variable(len(at), boolean=True)
    extra = [b[at] <= cp.multiply(room_buy[at], zb), s[at] <= cp.multiply(room_sell[at], zs),
             b[at] >= m * zb, s[at] >= cp.multiply(np.minimum(m, room_sell[at]), zs), zb + zs <= 1]
    if constraints.max_trades is not None:
        extra.append(cp.sum(zb) + cp.sum(zs) <= constraints.max_trades)
    objective = v["buy_cost"] @ b + v["sell_cost"] @ s + _gradient(data, v, w_star) @ w
    if data.trade_fee > 0:  # the fixed cost of each trade, in the objective's (scaled) units
        objective = objective + scale * data.trade_fee * (cp.sum(zb) + cp.sum(zs))
    problem = cp.Problem(cp.Minimize(objective), [c for g in built.groups.values() for c in g] + extra)
    status, _, seconds = run(problem, ("HIGHS",), **MILP_OPTIONS)
    if b.value is None or status in (cp.INFEASIBLE, cp.INFEASIBLE_INACCURATE):
        limit = f"max_trades {constraints.max_trades} and " if constraints.max_trades is not None else ""
        raise InfeasibleError(
            f"the constraints conflict: {limit}min_trade {m:.4f} leave no trade list that keeps every other "
            "constraint. Fix: allow more trades (--max-trades) or a smaller --min-trade.",
            [{"group": "max_trades", "bound": constraints.max_trades, "text": "max_trades"},
             {"group": "min_trade", "bound": m, "text": "min_trade"}])
    buy, sell = np.zeros(n, bool), np.zeros(n, bool)
    buy[at], sell[at] = np.asarray(zb.value) > 0.5, np.asarray(zs.value) > 0.5
    return Choice(buy, sell, status, seconds)


def _gradient(data: ProblemData, v: dict, w_star: np.ndarray) -> np.ndarray:
    """The gradient of the objective's quadratic part at ``w_star`` (in the scaled units of ``v``)."""
    grad = np.zeros(data.n)
    c = constants(data)
    at = c["loaded"]
    for name in ("hub_root", "risk_root"):
        if name in v:
            grad[at] += 2 * v[name].T @ (v[name] @ w_star[at])
    grad += 2 * v["spread_scale"] * c["spread"] * w_star
    if "risk_diag" in c:
        grad += 2 * v["risk_scale"] * c["risk_diag"] * w_star
    if "risk_matrix" in c:
        grad += 2 * v["risk_scale"] * c["risk_matrix"] @ w_star
    return grad


def trade_bounds(choice: Choice, m: float, room_sell: np.ndarray) -> dict[str, np.ndarray]:
    """Parameter overrides for the exact re-solve: chosen trades at least ``m`` (a sale of a position smaller
    than ``m`` sells all of it), the others zero; ``room_sell`` is how much of each name may be sold."""
    floor = m * (1 + 1e-6) + 1e-12
    return {"b_lo": np.where(choice.buy, floor, 0.0), "b_hi": np.where(choice.buy, 2.0, 0.0),
            "s_lo": np.where(choice.sell, np.minimum(floor, room_sell), 0.0),
            "s_hi": np.where(choice.sell, room_sell, 0.0)}


@dataclass
class Rounded:
    """Whole-share trades: new weights, shares traded per ticker (NaN where fractional), a note."""

    weights: np.ndarray
    shares: np.ndarray
    note: str


def whole_shares(data: ProblemData, constraints: Constraints, shape: Shape, w: np.ndarray,
                 scale: float) -> Rounded | None:
    """Step 2: integer share counts for the traded names; None when there is nothing to round."""
    if data.value_usd is None or constraints.fractional:
        return None
    trade = w - data.w0
    traded = np.abs(trade) > TRADE_TOL
    unit = data.prices / data.value_usd  # weight of one share
    priced = traded & np.isfinite(unit) & (unit > 0)
    if not priced.any():
        if not traded.any():
            return None
        names = [data.tickers[i] for i in np.flatnonzero(traded)]
        return Rounded(w, np.full(data.n, np.nan),
                       f"whole shares: no traded name has a price in the market data ({', '.join(names[:5])}"
                       f"{' and others' if len(names) > 5 else ''}): the trades are fractional. Fix: --live fetches "
                       "prices, or trade the amounts shown.")
    v = values(data, constraints, scale)
    fixed = traded & ~priced  # no price: the exact fractional trade
    v["b_lo"] = v["b_hi"] = np.where(fixed, np.maximum(trade, 0.0), 0.0)
    v["s_lo"] = v["s_hi"] = np.where(fixed, np.maximum(-trade, 0.0), 0.0)
    floor = data.min_trade * (1 + 1e-6)
    v["b_lo"] = np.where(priced & (trade > 0), floor, v["b_lo"])
    v["s_lo"] = np.where(priced & (trade < 0), np.minimum(floor, data.w0), v["s_lo"])
    v["b_hi"] = np.where(priced & (trade > 0), 2.0, v["b_hi"])
    v["s_hi"] = np.where(priced & (trade < 0), data.w0 - v["lower"], v["s_hi"])
    v["max_cash"] = float(v["max_cash"]) + float(unit[priced].sum())
    built = build(shape, v, constants(data))
    weights = built.variables["w"]
    at = np.flatnonzero(priced)
    count = cp.Variable(len(at), integer=True)
    gap = cp.Variable(len(at))
    extra = [weights[at] == data.w0[at] + cp.multiply(unit[at], count),
             gap >= weights[at] - w[at], gap >= w[at] - weights[at]]
    problem = cp.Problem(cp.Minimize(cp.sum(gap)), [c for g in built.groups.values() for c in g] + extra)
    status, _, _ = run(problem, ("HIGHS",), **MILP_OPTIONS)
    if count.value is None or status in (cp.INFEASIBLE, cp.INFEASIBLE_INACCURATE):
        return Rounded(w, np.where(traded, trade / np.where(priced, unit, np.nan), np.nan),
                       f"whole shares: no whole-share trade list keeps every constraint ({status}); the trades "
                       "are fractional. Use --fractional to silence this, or loosen the constraints.")
    shares = np.full(data.n, np.nan)
    shares[at] = np.round(np.asarray(count.value, dtype=float))
    new = w.copy()
    new[at] = data.w0[at] + unit[at] * shares[at]
    without = int(fixed.sum())
    note = (f"whole shares at the market data's prices: {len(at)} trade(s) rounded, residual "
            f"{abs(float(new.sum() - w.sum())):.4%} of value to cash")
    note += f"; {without} name(s) without a price trade fractionally." if without else "."
    return Rounded(new, shares, note)
