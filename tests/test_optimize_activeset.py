"""Exact re-solves from the previous active set (``exposure.optimize.activeset``), checked on a QP solved by hand.

minimize 1/2 (x1^2 + x2^2)  subject to  x1 + x2 = 1,  x1 <= c,  x1 >= 0,  x2 >= 0.

Without the cap the optimum is (1/2, 1/2). With c < 1/2 the cap binds: x = (c, 1 - c). Stationarity
``x + A'z = 0`` with rows [x1 + x2 = 1; x1 <= c; -x1 <= 0; -x2 <= 0] gives the budget's multiplier
y = -(1 - c) (from x2 + y = 0) and the cap's z = -c - y = 1 - 2c (>= 0 exactly when the cap binds).
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from scipy import sparse
from test_optimize import COMPANIES, DEALS
from test_optimize_fee import VALUES

import exposure as ex
from exposure.optimize import Constraints, clear_cache, problem_data, solve
from exposure.optimize.activeset import resolve

A = sparse.csr_matrix(np.array([[1.0, 1.0], [1.0, 0.0], [-1.0, 0.0], [0.0, -1.0]]))
P, Q = sparse.identity(2, format="csr"), np.zeros(2)


def b_for(cap: float) -> np.ndarray:
    return np.array([1.0, cap, 0.0, 0.0])


def optimum(cap: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The hand-worked optimum at ``cap``: x, multipliers z (Clarabel's signs), slacks s = b - A x."""
    c = min(cap, 0.5)
    x = np.array([c, 1 - c])
    z = np.array([-(1 - c), max(1 - 2 * c, 0.0), 0.0, 0.0])
    return x, z, b_for(cap) - A @ x


@pytest.mark.parametrize(("before", "after", "steps"), [
    (0.3, 0.2, 1),   # the cap binds before and after: one linear solve on the same active set
    (0.7, 0.6, 1),   # it binds neither time: the previous optimum is still the optimum
    (0.3, 0.7, 2),   # loosened past 1/2: its multiplier would be 1 - 1.4 < 0, so it leaves the active set
    (0.7, 0.3, 2),   # tightened below 1/2: (1/2, 1/2) breaks it, so it joins the active set
])
def test_resolve_finds_the_hand_worked_optimum(before, after, steps):
    _, z0, s0 = optimum(before)
    point = resolve(P, Q, A, b_for(after), 1, z0, s0)
    x, z, s = optimum(after)
    assert point is not None and point.steps == steps
    assert point.x == pytest.approx(x, abs=1e-12)
    assert point.z == pytest.approx(z, abs=1e-12)
    assert point.s == pytest.approx(s, abs=1e-12)
    assert point.objective == pytest.approx(0.5 * x @ x, abs=1e-12)


def test_resolve_gives_up_when_no_point_is_certified():
    # Cap below zero: x1 <= -0.1 and x1 >= 0 cannot both hold. No KKT point exists, so no answer is returned
    # (the caller then solves with Clarabel, which reports the infeasibility).
    _, z0, s0 = optimum(0.3)
    assert resolve(P, Q, A, b_for(-0.1), 1, z0, s0) is None
    # A linear program whose active set does not fix x (P = 0, only the budget active): singular, no answer.
    assert resolve(None, np.array([1.0, 1.0]), A, b_for(0.7), 1, np.array([-1.0, 0, 0, 0]),
                   np.array([0.0, 0.7, 0.5, 0.5])) is None


def test_a_cvxpy_re_solve_equals_a_fresh_solve():
    import cvxpy as cp

    from exposure.optimize.running import run

    x, cap = cp.Variable(2), cp.Parameter()
    problem = cp.Problem(cp.Minimize(0.5 * cp.sum_squares(x)), [cp.sum(x) == 1, x[0] <= cap, x >= 0])
    cap.value = 0.3
    run(problem)  # a first solve: the dense interior point's active set, solved exactly
    assert problem._solver_cache["exposure.how"].startswith("dense interior point, exact on its active set")
    assert x.value == pytest.approx([0.3, 0.7], abs=1e-12)
    cap.value = 0.2
    status, solver, _ = run(problem)
    assert (status, solver) == ("optimal", "CLARABEL")
    assert problem._solver_cache["exposure.how"].startswith("active set")
    assert x.value == pytest.approx([0.2, 0.8], abs=1e-12)
    assert problem.constraints[1].dual_value == pytest.approx(0.6, abs=1e-12)  # 1 - 2c
    assert problem.value == pytest.approx(0.5 * (0.04 + 0.64), abs=1e-12)


def test_a_suggestion_re_solved_after_a_new_cap_equals_a_fresh_solve():
    web = ex.DealWeb.from_csv(io.StringIO(COMPANIES), io.StringIO(DEALS))
    pf = ex.Portfolio.from_frame(VALUES)  # LAB exposure 0.325
    constraints = Constraints(hub_caps={"lab": 0.3}, max_weight=1.0, gamma=0.0, min_trade=0.0, universe=[])
    data = problem_data(pf, web, constraints)
    clear_cache()
    solve(data, constraints)
    data.caps[0] = 0.25
    again = solve(data, constraints)
    clear_cache()
    fresh = solve(data, constraints)
    assert "active set" in again.notes[0] and "interior point" in fresh.notes[0]
    assert again.weights == pytest.approx(fresh.weights, abs=1e-6)
    assert again.objective == pytest.approx(fresh.objective, abs=1e-8)
    assert again.duals["hub_caps"][0] == pytest.approx(fresh.duals["hub_caps"][0], rel=1e-5)


def test_a_re_solve_whose_trades_need_the_milp_equals_a_fresh_solve():
    """min_trade 8%: the continuous optimum has dust, rounding it is infeasible, so HiGHS chooses the trades;
    the re-solve (active set from the cached program) and a fresh solve (Clarabel) choose the same trades and
    read the same binding constraints."""
    from exposure.optimize.explain import binding

    web = ex.DealWeb.from_csv(io.StringIO(COMPANIES), io.StringIO(DEALS))
    pf = ex.Portfolio.from_frame(VALUES)
    constraints = Constraints(hub_caps={"lab": 0.3}, min_trade=0.08, fractional=True)
    data = problem_data(pf, web, constraints)
    clear_cache()
    solve(data, constraints)
    data.caps[0] = 0.2
    again = solve(data, constraints)
    clear_cache()
    fresh = solve(data, constraints)
    assert "active set" in again.notes[0] and "interior point" in fresh.notes[0]
    assert all("HiGHS chose the trades" in solved.notes[1] for solved in (again, fresh))
    traded = np.abs(fresh.weights - data.w0) > 1e-9
    assert traded.any() and np.array_equal(np.abs(again.weights - data.w0) > 1e-9, traded)
    assert np.abs(fresh.weights - data.w0)[traded].min() >= 0.08  # no dust
    assert again.weights == pytest.approx(fresh.weights, abs=1e-9)
    assert binding(again, data, constraints).equals(binding(fresh, data, constraints))
