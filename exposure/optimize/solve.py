"""One suggestion solve: the cached continuous program, then the no-dust and whole-share steps."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from exposure._optional import require
from exposure.errors import ExposureError
from exposure.optimize.constraints import Constraints
from exposure.optimize.data import ProblemData
from exposure.optimize.discrete import (
    TRADE_TOL,
    Choice,
    Rounded,
    choose_trades,
    dust,
    keep_largest,
    trade_bounds,
    whole_shares,
)
from exposure.optimize.explain import explain_infeasible
from exposure.optimize.levels import Group, lowest_first, solve_levels
from exposure.optimize.program import Program, Shape, constants, objective_scale, program_for, shape_of
from exposure.optimize.reduce import GROUP_CANDIDATES, MILP_CANDIDATES, REDUCE_MIN_N, expand, restrict
from exposure.optimize.running import method, run

if TYPE_CHECKING:
    import cvxpy as cp
else:
    cp = require("cvxpy", "Suggestions (exposure.suggest, exposure.frontier)")


@dataclass
class Solved:
    """A solve's outcome: weights and cash (fractions), status, solver, objective, duals by group, the
    shares traded (NaN unless whole shares), seconds, whether it compiled, and notes on each step."""

    weights: np.ndarray
    cash: float
    status: str
    solver: str
    objective: float
    duals: dict[str, list]
    seconds: float
    compiled: bool
    program: Program
    shares: np.ndarray | None = None
    notes: list[str] = field(default_factory=list)


def solve(data: ProblemData, constraints: Constraints) -> Solved:
    """Solve the suggestion; on infeasibility raise the explained :class:`~exposure.errors.InfeasibleError`."""
    shape = shape_of(data)
    scale = objective_scale(data, constraints)
    leveled = solve_levels(data, constraints) if data.n >= REDUCE_MIN_N else None
    if leveled is not None:
        program, compiled, how = leveled.program, True, ""
        status, solver, seconds = leveled.status, leveled.solver, leveled.seconds
        weights, duals = leveled.weights, leveled.duals
    else:
        program = program_for(shape, constants(data))
        program.set_values(data, constraints)
        compiled = program.main._cache.param_prog is None
        status, solver, seconds = _solve_main(program, data, constraints)
        how = method(program.main)
        weights, duals = _clean(program, data), program.duals()
    notes = [f"solved by {solver}{f' ({how})' if how else ''} in {seconds:.3f} s ({status}"
             f"{', compiled' if compiled else ''})."] + ([leveled.note] if leveled is not None else [])
    if dust(weights, data, constraints):
        choice, how = keep_largest(data, constraints, weights), "kept the continuous optimum's largest trades"
        if data.trade_fee == 0:  # with a fee per trade, the MILP (which counts it) chooses
            on, status, solver, more = _on_trades(program, data, constraints, choice, run_main=False)
        if data.trade_fee > 0 or status not in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE):
            choice = _milp_choice(data, constraints, shape, weights, scale,
                                  None if leveled is None else leveled.groups)
            on, status, solver, more = _on_trades(program, data, constraints, choice, run_main=True)
            how = f"HiGHS chose the trades (MILP, {choice.seconds:.3f} s, {choice.status})"
        seconds += choice.seconds + more
        names = "" if on.at is None else f" (over the {len(on.at)} traded name(s) only)"
        notes.append(f"no dust: {how}, {int(choice.buy.sum() + choice.sell.sum())} trade(s) of at least "
                     f"{data.min_trade:.2%}; {solver} re-solved the weights on them{names} in {more:.3f} s.")
        program = on.program
        weights, duals = _clean(program, on.data), program.duals()
        if on.at is not None:
            weights, duals = expand(weights, duals, data, on.at)
        weights = np.where(choice.buy | choice.sell, weights, data.w0)  # fixed at no trade: no solver noise
    objective = float(program.main.value) / program.scale
    if data.trade_fee > 0:
        count = int((np.abs(weights - data.w0) > TRADE_TOL).sum())
        objective += count * data.trade_fee
        fee = constraints.trade_fee
        notes.append(f"trade fee: {count} trade(s) x {fee:,.2f} = {count * fee:,.2f} ({count * data.trade_fee:.4%} "
                     "of value), counted in the objective; the MILP chose the trades with the fee.")
    shares = None
    rounded = _whole_shares(data, constraints, shape, weights, scale)
    if rounded is not None:
        weights, shares = rounded.weights, rounded.shares
        notes.append(rounded.note)
    cash = 1.0 - float(weights.sum())  # the budget: cash is the residual
    return Solved(weights=weights, cash=max(cash, 0.0) if constraints.long_only else cash, status=status,
                  solver=solver, objective=objective, duals=duals, seconds=seconds, compiled=compiled,
                  program=program, shares=shares, notes=notes)


def _milp_choice(data: ProblemData, constraints: Constraints, shape: Shape, w_star: np.ndarray,
                 scale: float, groups: list[Group] | None) -> Choice:
    """The MILP's trade list; for large problems over the continuous optimum's largest moves and the funds only
    (the other names folded, held at ``w0``), so that the MILP has a few thousand booleans at most. After the
    level search (``groups``), every name outside its groups that moves is a candidate, and of the groups'
    interchangeable names only the GROUP_CANDIDATES largest moves; the chosen trades of a group then go to
    its lowest-weight names (buys) and highest (sales), :func:`~exposure.optimize.levels.lowest_first`."""
    if data.n < REDUCE_MIN_N:
        return choose_trades(data, constraints, shape, w_star, scale)
    move = np.abs(w_star - data.w0)
    free = data.is_fund.copy()
    if groups is not None:
        grouped = np.zeros(data.n, dtype=bool)
        for group in groups:
            grouped[group.members] = True
        free |= ~grouped & (move > TRADE_TOL)
        move = np.where(grouped, move, 0.0)
    top = np.argsort(-move, kind="stable")[:MILP_CANDIDATES if groups is None else GROUP_CANDIDATES]
    free[top] |= move[top] > TRADE_TOL
    small, at = restrict(data, free)
    picked = choose_trades(small, constraints, shape_of(small), np.append(w_star[at], small.w0[len(at):]), scale)
    buy, sell = np.zeros(data.n, dtype=bool), np.zeros(data.n, dtype=bool)
    buy[at], sell[at] = picked.buy[:len(at)], picked.sell[:len(at)]
    if groups is not None:
        buy, sell = lowest_first(groups, buy, sell)
    return Choice(buy, sell, picked.status, picked.seconds)


def _whole_shares(data: ProblemData, constraints: Constraints, shape: Shape, weights: np.ndarray,
                  scale: float) -> Rounded | None:
    """Whole shares (:func:`~exposure.optimize.discrete.whole_shares`); for large problems over the traded names
    only, the others folded exactly (they do not trade in that step either)."""
    if data.n < REDUCE_MIN_N:
        return whole_shares(data, constraints, shape, weights, scale)
    small, at = restrict(data, np.abs(weights - data.w0) > TRADE_TOL)
    rounded = whole_shares(small, constraints, shape_of(small), np.append(weights[at], small.w0[len(at):]), scale)
    if rounded is None:
        return None
    full, shares = weights.copy(), np.full(data.n, np.nan)
    full[at], shares[at] = rounded.weights[:len(at)], rounded.shares[:len(at)]
    return Rounded(full, shares, rounded.note)


@dataclass
class _OnTrades:
    """The program re-solved on a trade list, its data, and the free names' indices when restricted."""

    program: Program
    data: ProblemData
    at: np.ndarray | None


def _on_trades(program: Program, data: ProblemData, constraints: Constraints, choice: Choice,
               run_main: bool) -> tuple[_OnTrades, str, str, float]:
    """Re-solve with every trade but ``choice``'s fixed at zero: on the traded names only (:mod:`reduce`)
    for large problems, else on the same compiled program. ``run_main`` explains an infeasible answer."""
    on = _OnTrades(program, data, None)
    if data.n >= REDUCE_MIN_N:
        small, at = restrict(data, choice.buy | choice.sell)
        extra = small.n - len(at)
        choice = Choice(np.append(choice.buy[at], [False] * extra), np.append(choice.sell[at], [False] * extra),
                        choice.status, choice.seconds)
        on = _OnTrades(program_for(shape_of(small), constants(small)), small, at)
    room = on.data.w0 - (0.0 if constraints.long_only else -constraints.max_weight)
    on.program.set_values(on.data, constraints, **trade_bounds(choice, on.data.min_trade, room))
    # Interior point here (no re-solve from the previous active set): with most trades fixed, many sets of
    # multipliers fit, and the explanations read the interior point's central ones.
    status, solver, seconds = (_solve_main(on.program, on.data, constraints, resolve=False) if run_main
                               else run(on.program.main, resolve=False))
    return on, status, solver, seconds


def _solve_main(program: Program, data: ProblemData, constraints: Constraints,
                resolve: bool = True) -> tuple[str, str, float]:
    status, solver, seconds = run(program.main, large=data.n >= REDUCE_MIN_N, resolve=resolve)
    if status in (cp.INFEASIBLE, cp.INFEASIBLE_INACCURATE):
        raise explain_infeasible(program, data, constraints)
    if status not in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE):
        raise ExposureError(f"the solver ended with status '{status}'. Fix: loosen the constraints.")
    return status, solver, seconds


def _clean(program: Program, data: ProblemData) -> np.ndarray:
    """The solved weights with solver noise snapped: trades below TRADE_TOL vanish, tiny weights are zero."""
    weights = np.asarray(program.variables["w"].value, dtype=float)
    out = np.where(np.abs(weights - data.w0) < TRADE_TOL, data.w0, weights)
    return np.where(np.abs(out) < TRADE_TOL, 0.0, out)
