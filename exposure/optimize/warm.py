"""Clarabel for cvxpy, re-solving from the previous optimum's active set when that is exact (:mod:`activeset`).

A cached program's second and later solves (a new cap, a band, a frontier point, the no-dust re-solve) first
try :func:`activeset.resolve` from the last solution's multipliers and slacks; a point that passes every KKT
check of the new problem is returned as Clarabel's answer would be (status optimal, duals included), else
Clarabel solves from scratch as before. Only quadratic programs (zero and non-negative cones) are tried. A
first solve of a small problem with a dense ``P`` (:mod:`interior`: a full covariance) takes its active set
from a dense interior point method in numpy (a Cholesky factor per iteration where Clarabel factors the dense
covariance block sparsely) and solves that set exactly, with the same KKT checks. A Clarabel answer is itself
polished the same way (its own active set solved exactly) when the problem is small. A side solve
(``exposure_resolve=False``: the no-dust step's re-solve with most trades fixed) neither starts from nor
replaces the remembered active set, so the next solve of the main problem starts from the main optimum.
"""

from __future__ import annotations

import time
from types import SimpleNamespace
from typing import Any

import numpy as np
from cvxpy.reductions.solvers.conic_solvers.clarabel_conif import CLARABEL
from cvxpy.reductions.solvers.conic_solvers.conic_solver import ConicSolver

from exposure.optimize.activeset import HOW, PREVIOUS, KKTPoint, resolve
from exposure.optimize.blas import one_thread
from exposure.optimize.interior import guess

#: ``problem.solve(..., exposure_resolve=False)``: a side solve, by Clarabel (its central multipliers), that
#: leaves the remembered active set alone.
RESOLVE_OPTION = "exposure_resolve"
#: Up to this many variables, Clarabel's answer is polished: its active set solved exactly and KKT-checked
#: (Clarabel stops at a gap of 1e-8 to 1e-12; on an ill-conditioned risk model its weights are then only
#: accurate to about 1e-6).
POLISH_MAX_VARIABLES = 5000


class ResolvingClarabel(CLARABEL):
    """CLARABEL that re-solves from the previous active set first (cvxpy's custom-solver interface)."""

    def name(self) -> str:
        return "EXPOSURE_CLARABEL"

    def solve_via_data(self, data: dict, warm_start: bool, verbose: bool, solver_opts: dict,
                       solver_cache: dict | None = None) -> Any:
        with one_thread():  # small dense factorizations: OpenBLAS's threads cost more than they save
            return self._solve(data, verbose, solver_opts, solver_cache)

    def _solve(self, data: dict, verbose: bool, solver_opts: dict, solver_cache: dict | None) -> Any:
        dims = data[ConicSolver.DIMS]
        a, b = data["A"], data["b"]
        quadratic = dims.zero + dims.nonneg == a.shape[0]
        cache = solver_cache if solver_cache is not None else {}
        solver_opts = dict(solver_opts)
        shortcut = bool(solver_opts.pop(RESOLVE_OPTION, True))
        previous = cache.get(PREVIOUS)
        if shortcut and quadratic:
            started = time.perf_counter()
            if previous is not None and len(previous[0]) == a.shape[0]:
                point, how = resolve(data.get("P"), data["c"], a, b, dims.zero, *previous), "active set"
            else:  # a first solve: the active set of a dense interior point (small problems only)
                start = guess(data.get("P"), data["c"], a, b, dims.zero)
                point = None if start is None else resolve(data.get("P"), data["c"], a, b, dims.zero, *start)
                how = "dense interior point, exact on its active set"
            if point is not None:
                return _answer(cache, point, f"{how} ({point.steps} linear solve(s))", started)
        results = super().solve_via_data(data, False, verbose, solver_opts, None)
        solved = quadratic and str(results.status) == "Solved" and results.z is not None
        point = None
        if solved and len(data["c"]) <= POLISH_MAX_VARIABLES:
            point = resolve(data.get("P"), data["c"], a, b, dims.zero, np.asarray(results.z), np.asarray(results.s))
        cache[HOW] = "interior point" if point is None else "interior point, polished on its active set"
        if shortcut:  # a side solve (resolve=False: most trades fixed) keeps the main problem's active set
            cache[PREVIOUS] = None if not solved else (point.z, point.s) if point is not None else (
                np.asarray(results.z), np.asarray(results.s))
        if point is not None:  # the interior point's active set solved exactly: the same optimum, exact.
            # Its multipliers stay the interior point's: when several sets of multipliers fit (a degenerate
            # optimum) those are the central ones, which name every constraint that holds the optimum.
            return SimpleNamespace(x=point.x, z=results.z, s=results.s, status="Solved", obj_val=point.objective,
                                   solve_time=results.solve_time, iterations=results.iterations)
        return results


def _answer(cache: dict, point: KKTPoint, how: str, started: float) -> SimpleNamespace:
    """A certified point as Clarabel's results (status optimal, duals included), remembered for re-solves."""
    cache[PREVIOUS], cache[HOW] = (point.z, point.s), how
    return SimpleNamespace(x=point.x, z=point.z, s=point.s, status="Solved", obj_val=point.objective,
                           solve_time=time.perf_counter() - started, iterations=point.steps)


#: The one instance (cvxpy keys its compiled-problem cache by the solver object).
SOLVER = ResolvingClarabel()
