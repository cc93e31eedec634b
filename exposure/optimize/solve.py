"""One suggestion solve: the cached continuous program, then the no-dust and whole-share steps."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from exposure._optional import require
from exposure.errors import ExposureError
from exposure.optimize.constraints import Constraints
from exposure.optimize.data import ProblemData
from exposure.optimize.discrete import TRADE_TOL, choose_trades, dust, keep_largest, trade_bounds, whole_shares
from exposure.optimize.explain import explain_infeasible
from exposure.optimize.program import Program, constants, program_for, run, shape_of

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
    program = program_for(shape, constants(data))
    program.set_values(data, constraints)
    compiled = program.main._cache.param_prog is None
    status, solver, seconds = _solve_main(program, data, constraints)
    notes = [f"solved by {solver} in {seconds:.3f} s ({status}{', compiled' if compiled else ''})."]
    weights = _clean(program, data)
    if dust(weights, data, constraints):
        room = data.w0 - (0.0 if constraints.long_only else -constraints.max_weight)
        choice = keep_largest(data, constraints, weights)
        program.set_values(data, constraints, **trade_bounds(choice, data.min_trade, room))
        status, solver, more = run(program.main)
        how = "kept the continuous optimum's largest trades"
        if status not in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE):
            choice = choose_trades(data, constraints, shape, weights, program.scale)
            program.set_values(data, constraints, **trade_bounds(choice, data.min_trade, room))
            status, solver, more = _solve_main(program, data, constraints)
            how = f"HiGHS chose the trades (MILP, {choice.seconds:.3f} s, {choice.status})"
        seconds += choice.seconds + more
        notes.append(f"no dust: {how}, {int(choice.buy.sum() + choice.sell.sum())} trade(s) of at least "
                     f"{data.min_trade:.2%}; {solver} re-solved the weights on them in {more:.3f} s.")
        weights = _clean(program, data)
    duals = {name: [np.atleast_1d(np.asarray(c.dual_value, dtype=float)) / program.scale
                    if c.dual_value is not None else None for c in group] for name, group in program.groups.items()}
    objective = float(program.main.value) / program.scale
    shares = None
    rounded = whole_shares(data, constraints, shape, weights, program.scale)
    if rounded is not None:
        weights, shares = rounded.weights, rounded.shares
        notes.append(rounded.note)
    cash = 1.0 - float(weights.sum())  # the budget: cash is the residual
    return Solved(weights=weights, cash=max(cash, 0.0) if constraints.long_only else cash, status=status,
                  solver=solver, objective=objective, duals=duals, seconds=seconds, compiled=compiled,
                  program=program, shares=shares, notes=notes)


def _solve_main(program: Program, data: ProblemData, constraints: Constraints) -> tuple[str, str, float]:
    status, solver, seconds = run(program.main)
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
