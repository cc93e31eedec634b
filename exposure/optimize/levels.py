"""The continuous solve of a large problem with names grouped by level: exact, with a few variables per group.

Names outside every dense block (no hub loading, layer band, scenario loss or risk root: the thousands of
names outside the web), not funds, frozen or excluded, and with the same costs and quadratic coefficient
``k`` (concentration, uncovered variance) differ only in their current weight ``a_i``. Such a name meets
the rest of the problem only through the budget (price ``pi``) and the turnover budget (price ``tau``), so
at the optimum it solves ``min k w^2 + cb (w - a)^+ + cs (a - w)^+ + tau |w - a| - pi w`` over its bounds:

    w_i = clip(a_i, Lb, Ls),  Lb = (pi - cb - tau) / (2 k),  Ls = (pi + cs + tau) / (2 k)

(clipped to the name's bounds): the names below ``Lb`` are bought up to one common level, those above ``Ls``
sold down to one, the others keep their weight. With the ``p`` lowest and ``q`` highest of a group known,
the problem over the other names, one variable for each level (:func:`~exposure.optimize.reduce.restrict`,
a block of ``p`` names at level ``W / p``, kept at or above its highest member, and its mirror for sales) and
the names that keep their weight folded is the full problem restricted to that pattern. Its solution gives
the levels, hence new ``p, q``; the search stops when every name is on the right side of its level (to
:data:`~exposure.optimize.discrete.TRADE_TOL`), which is the full problem's optimality condition: the
weights, the objective and the duals are the full solve's, from a problem of a few hundred rows. When the
search does not settle (or the restricted problem is infeasible), the caller solves the full problem.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from exposure._optional import require
from exposure.errors import ExposureError
from exposure.optimize.constraints import Constraints
from exposure.optimize.data import ProblemData
from exposure.optimize.discrete import TRADE_TOL
from exposure.optimize.program import Program, concentration, constants, inside, loaded, program_for, shape_of, values
from exposure.optimize.reduce import expand, restrict
from exposure.optimize.running import run

if TYPE_CHECKING:
    import cvxpy as cp
else:
    cp = require("cvxpy", "Suggestions (exposure.suggest, exposure.frontier)")

#: Interchangeable names needed to form a group (fewer stay names of their own).
MIN_GROUP = 200
#: Rounds of the level search before the caller falls back to the full problem.
MAX_ROUNDS = 25
#: Clarabel's tolerances for the level search's small problems. A block of ``p`` names has curvature ``2 k / p``
#: in its total weight, so at the default 1e-8 relative gap its level could be off by several percent (the full
#: problem's names alike: 5,000 names at 1e-8 put the level 0.6% off); at 1e-12 the level, read from the
#: budget's price or from the block, is exact to the digits that matter, at a few more iterations of a small
#: problem.
LEVEL_OPTIONS: dict[str, Any] = {"tol_gap_rel": 1e-12, "tol_feas": 1e-12}


@dataclass
class Group:
    """Interchangeable names, ascending by current weight ``a``: costs, quadratic coefficient, bounds."""

    members: np.ndarray
    a: np.ndarray
    kappa: float
    buy_cost: float
    sell_cost: float
    lower: float
    upper: float


@dataclass
class Leveled:
    """The level search's answer: the restricted program and data, the full weights and duals, the solve."""

    program: Program
    data: ProblemData
    weights: np.ndarray
    duals: dict[str, list]
    status: str
    solver: str
    seconds: float
    note: str
    groups: list[Group]


def groups(data: ProblemData, constraints: Constraints) -> list[Group]:
    """The groups of interchangeable names (see the module's docstring), each of at least MIN_GROUP names."""
    if data.risk_matrix is not None:  # a full covariance couples every name
        return []
    kappa = constraints.concentration * concentration(data)
    if data.risk_diag is not None:
        kappa = kappa + data.risk_diag**2
    upper = inside(constraints.max_weight, -1)
    lower = 0.0 if constraints.long_only else -constraints.max_weight
    eligible = ~(data.is_fund | data.frozen | data.excluded) & (kappa > 0) & (data.w0 < upper) & (data.w0 >= lower)
    eligible[loaded(data)] = False
    at = np.flatnonzero(eligible)
    if len(at) < MIN_GROUP:
        return []
    code = np.zeros(len(at), dtype=np.int64)  # one integer per (buy cost, sell cost, kappa)
    for column in (data.buy_costs[at], data.sell_costs[at], kappa[at]):
        distinct, inverse = np.unique(column, return_inverse=True)
        code = code * len(distinct) + inverse.ravel()
    _, which, sizes = np.unique(code, return_inverse=True, return_counts=True)
    out = []
    for k in np.flatnonzero(sizes >= MIN_GROUP):
        members = at[which.ravel() == k]
        members = members[np.argsort(data.w0[members], kind="stable")]
        first = members[0]
        out.append(Group(members, data.w0[members], float(kappa[first]), float(data.buy_costs[first]),
                         float(data.sell_costs[first]), lower, upper))
    return out


def solve_levels(data: ProblemData, constraints: Constraints) -> Leveled | None:
    """The continuous optimum by the level search, or None (no group, infeasible, or no settling)."""
    found = groups(data, constraints)
    if not found:
        return None
    free = np.ones(data.n, dtype=bool)
    for group in found:
        free[group.members] = False
    bought, sold = [0] * len(found), [0] * len(found)
    seconds = 0.0
    blocks: list[tuple[np.ndarray, str, Group]]
    rows: dict[tuple[int, str], int]
    for rounds in range(MAX_ROUNDS + 1):
        if rounds == 0:  # each group as one name at one level, free to trade: feasible when the problem is
            blocks, rows = [(group.members, "both", group) for group in found], {}
        else:
            blocks, rows = _blocks(found, bought, sold, int(free.sum()))
        small, at = restrict(data, free, [block for block, _, _ in blocks])
        program = program_for(shape_of(small), constants(small))
        program.set_values(small, constraints, **_bounds(program, small, constraints, blocks, rows))
        try:
            status, solver, took = run(program.main, ("CLARABEL",), resolve=False, **LEVEL_OPTIONS)
        except ExposureError:
            return None
        seconds += took
        if status not in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE):
            return None
        w = np.asarray(program.variables["w"].value, dtype=float)
        pi, tau = _prices(program)
        settled = rounds > 0
        for g, group in enumerate(found):
            low, high = _levels(group, pi, tau, w, rows.get((g, "buy")), bought[g], rows.get((g, "sell")), sold[g])
            new_bought, new_sold = _count(group.a, low, high)
            settled &= _within(group.a, low, high, bought[g], sold[g])
            bought[g], sold[g] = new_bought, new_sold
        if settled:
            weights, duals = expand(w, program.duals(), data, at, [block for block, _, _ in blocks])
            weights = np.where(np.abs(weights - data.w0) < TRADE_TOL, data.w0, weights)
            weights = np.where(np.abs(weights) < TRADE_TOL, 0.0, weights)
            names = sum(len(group.members) for group in found)
            note = (f"levels: {names:,} interchangeable name(s) in {len(found)} group(s) solved as common levels "
                    f"({rounds} round(s), {small.n} rows instead of {data.n:,}).")
            return Leveled(program, small, weights, duals, status, solver, seconds, note, found)
    return None


def lowest_first(groups: list[Group], buy: np.ndarray, sell: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The same number of buys and sells in each group, moved to its lowest-weight names for buys and its
    highest for sales (ties by position): names of a group differ only in their weight, and buying ``b`` of a
    name costs ``k ((a + b)^2 - a^2)`` of concentration, less the lower ``a`` (a sale, the higher). So this
    never costs objective and makes the choice among exact ties (the MILP's linear model sees none) definite."""
    buy, sell = buy.copy(), sell.copy()
    for group in groups:
        bought, sold = int(buy[group.members].sum()), int(sell[group.members].sum())
        buy[group.members], sell[group.members] = False, False
        buy[group.members[:bought]] = True
        sell[group.members[len(group.members) - sold:]] = True
    return buy, sell


def _blocks(found: list[Group], bought: list[int], sold: list[int],
            free: int) -> tuple[list[tuple[np.ndarray, str, Group]], dict[tuple[int, str], int]]:
    """The blocks of the current pattern (members, side, group) and each block's row in the restricted data."""
    blocks: list[tuple[np.ndarray, str, Group]] = []
    rows: dict[tuple[int, str], int] = {}
    for g, group in enumerate(found):
        for side, count in (("buy", bought[g]), ("sell", sold[g])):
            if count:
                members = group.members[:count] if side == "buy" else group.members[len(group.a) - count:]
                rows[(g, side)] = free + len(blocks)
                blocks.append((members, side, group))
    return blocks, rows


def _bounds(program: Program, small: ProblemData, constraints: Constraints,
            blocks: list[tuple[np.ndarray, str, Group]], rows: dict[tuple[int, str], int]) -> dict[str, np.ndarray]:
    """Trade bounds of the restricted problem: a buying block only buys, up from its highest member's weight;
    a selling block only sells, down to its lowest member's (the first round's blocks trade freely)."""
    v = values(small, constraints, program.scale)
    b_lo, s_lo, b_hi, s_hi = v["b_lo"].copy(), v["s_lo"].copy(), v["b_hi"].copy(), v["s_hi"].copy()
    for row, (members, side, group) in zip(rows.values(), blocks, strict=False):
        total, count = float(small.w0[row]), len(members)
        if side == "buy":
            b_lo[row], s_hi[row] = max(count * float(group.a[count - 1]) - total, 0.0), 0.0
        else:
            s_lo[row], b_hi[row] = max(total - count * float(group.a[len(group.a) - count]), 0.0), 0.0
    return {"b_lo": b_lo, "s_lo": s_lo, "b_hi": b_hi, "s_hi": s_hi}


def _prices(program: Program) -> tuple[float, float]:
    """The budget's price ``pi`` and the turnover budget's ``tau``, in the objective's own (unscaled) units."""
    pi = -float(np.ravel(program.groups["budget"][0].dual_value)[0]) / program.scale
    turnover = program.groups.get("max_turnover")
    tau = float(np.ravel(turnover[0].dual_value)[0]) / program.scale if turnover else 0.0
    return pi, max(tau, 0.0)


def _levels(group: Group, pi: float, tau: float, w: np.ndarray, buy_row: int | None, bought: int,
            sell_row: int | None, sold: int) -> tuple[float, float]:
    """The buying and selling levels: a block's own level when it is off its bound (the solver's primal, more
    precise than the prices), else from the prices; clipped to the names' bounds."""
    low = (pi - group.buy_cost - tau) / (2 * group.kappa)
    high = (pi + group.sell_cost + tau) / (2 * group.kappa)
    if buy_row is not None and w[buy_row] / bought > group.a[bought - 1] + TRADE_TOL:
        low = w[buy_row] / bought
    if sell_row is not None and w[sell_row] / sold < group.a[len(group.a) - sold] - TRADE_TOL:
        high = w[sell_row] / sold
    low, high = min(max(low, group.lower), group.upper), min(max(high, group.lower), group.upper)
    return min(low, high), max(low, high)


def _count(a: np.ndarray, low: float, high: float) -> tuple[int, int]:
    """How many names lie below the buying level and above the selling level."""
    return int(np.searchsorted(a, low, side="left")), int(len(a) - np.searchsorted(a, high, side="right"))


def _within(a: np.ndarray, low: float, high: float, bought: int, sold: int) -> bool:
    """Whether the pattern ``bought, sold`` puts every name on its side of the levels, to TRADE_TOL."""
    buy_lo, buy_hi = _count(a, low - TRADE_TOL, np.inf)[0], _count(a, low + TRADE_TOL, np.inf)[0]
    sell_lo, sell_hi = _count(a, -np.inf, high + TRADE_TOL)[1], _count(a, -np.inf, high - TRADE_TOL)[1]
    return buy_lo <= bought <= buy_hi and sell_lo <= sold <= sell_hi

