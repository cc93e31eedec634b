"""First solves by the dense interior point's active set (``exposure.optimize.interior``), solved exactly.

Every answer is checked against conditions worked out independently of the code under test: the KKT
conditions of the QP (primal feasibility, dual signs, stationarity, complementarity) and an independent cvxpy
formulation solved by Clarabel at 1e-12. Degenerate problems (tied names, a band fixed at one value, many
names at the weight cap) and an infeasible one (layer floors summing past 100%) are included.
"""

from __future__ import annotations

import functools
import io
import sys

import cvxpy as cp
import numpy as np
import pandas as pd
import pytest
from scipy import sparse

import exposure as ex
from exposure.optimize import Constraints, clear_cache, problem_data, solve, warm
from exposure.optimize.activeset import resolve
from exposure.optimize.blas import one_thread, openblas
from exposure.optimize.interior import guess

LAYERS = ["semiconductor", "hyperscaler_cloud", "neocloud", "model_lab"]
TIGHT = {"tol_gap_abs": 1e-12, "tol_gap_rel": 1e-12, "tol_feas": 1e-12}


def random_qp(seed: int) -> tuple[sparse.csc_matrix, np.ndarray, sparse.csc_matrix, np.ndarray, int]:
    """minimize 1/2 x'Px + q'x  s.t.  sum(x) = 1, 0 <= x <= u, G x <= h, in the solver's form ``A x + s = b``
    (the first row an equality), with ``P = F'F + diag`` dense and two of the rows ``G x <= h`` tight."""
    rng = np.random.default_rng(seed)
    n = 40
    f = rng.normal(size=(5, n))
    p = f.T @ f + np.diag(rng.uniform(0.5, 2.0, n))
    q = rng.normal(scale=0.5, size=n)
    upper = rng.uniform(0.04, 0.2, n)
    g = rng.uniform(0, 1, (4, n)) * (rng.uniform(size=(4, n)) < 0.3)
    x_free = np.full(n, 1 / n)
    h = g @ x_free * np.array([0.6, 0.8, 1.5, 3.0])  # the first two bind, the others not
    a = sparse.vstack([np.ones((1, n)), -sparse.identity(n), sparse.identity(n), g]).tocsc()
    b = np.concatenate([[1.0], np.zeros(n), upper, h])
    return sparse.csc_matrix(p), q, a, b, 1


@pytest.mark.parametrize("seed", range(5))
def test_the_guess_solved_on_its_active_set_meets_every_kkt_condition(seed):
    p, q, a, b, zero = random_qp(seed)
    start = guess(p, q, a, b, zero)
    assert start is not None
    point = resolve(p, q, a, b, zero, *start)
    assert point is not None
    x, z = point.x, point.z
    slack = b - a @ x
    assert np.abs(slack[:zero]).max() <= 1e-10  # the budget holds
    assert slack[zero:].min() >= -1e-10  # every bound and row holds
    assert z[zero:].min() >= -1e-10  # inequality multipliers are non-negative
    assert np.abs(p @ x + q + a.T @ z).max() <= 1e-9  # stationarity
    assert np.abs(z[zero:] * slack[zero:]).max() <= 1e-10  # complementarity
    w = cp.Variable(len(q))  # the same problem, written independently
    reference = cp.Problem(cp.Minimize(0.5 * cp.quad_form(w, cp.psd_wrap(p.toarray())) + q @ w),
                           [a[:zero] @ w == b[:zero], a[zero:] @ w <= b[zero:]])
    reference.solve(solver="CLARABEL", **TIGHT)
    assert x == pytest.approx(w.value, abs=1e-7)


def test_an_infeasible_qp_gets_no_guess():
    p, q, a, b, zero = random_qp(0)
    b[-4] = -1.0  # G x <= -1 with G >= 0 and x >= 0: impossible
    start = guess(p, q, a, b, zero)
    assert start is None or resolve(p, q, a, b, zero, *start) is None


@functools.cache
def web_of(n: int) -> ex.DealWeb:
    companies = ["id,name,ticker,layer,revenue_usd_bn,market_cap_usd_bn,as_of,source_url"]
    companies += [f"c{k},Company {k},T{k},{LAYERS[k % 4]},10,80,2025-01-01,https://example.com/c{k}"
                  for k in range(n)]
    deals = "id,payer,payee,type,amount_usd_bn,duration_years,announced,status,source_url\n" \
            "d1,c0,c1,chip_supply,5,4,2025-01,completed,https://example.com/d1\n"
    return ex.DealWeb.from_csv(io.StringIO("\n".join(companies) + "\n"), io.StringIO(deals))


def min_variance(n: int, seed: int, max_weight: float, bands: dict[str, tuple[float, float]],
                 tie: bool = False) -> tuple[np.ndarray, np.ndarray, ex.optimize.Solved, list[str]]:
    """The fully invested long-only minimum variance through ``optimize.solve``, and the covariance."""
    rng = np.random.default_rng(seed)
    returns = rng.normal(size=(3 * n, 3)) @ rng.normal(size=(3, n)) + rng.normal(scale=2.0, size=(3 * n, n))
    if tie:  # T1 and T5 are the same quiet asset in the same layer: the split between them is not unique
        returns[:, 1] = returns[:, 5] = 0.3 * returns[:, 1]
    tickers = [f"T{k}" for k in range(n)]
    covariance = np.cov(returns, rowvar=False)
    constraints = Constraints(max_weight=max_weight, min_cash=0.0, max_cash=0.0, gamma=0.0, transaction_costs=0.0,
                              concentration=0.0, min_trade=0.0, layer_bands=bands, universe=tickers)
    pf = ex.Portfolio.from_weights(dict.fromkeys(tickers[:10], 0.1))
    data = problem_data(pf, web_of(n), constraints, risk=pd.DataFrame(covariance, tickers, tickers))
    clear_cache()
    solved = solve(data, constraints)
    order = [data.tickers.index(t) for t in tickers]
    return solved.weights[order], covariance, solved, tickers


def reference(covariance: np.ndarray, max_weight: float, bands: dict[str, tuple[float, float]]) -> np.ndarray:
    n = len(covariance)
    w = cp.Variable(n)
    rows = [cp.sum(w) == 1, w >= 0, w <= max_weight]
    for layer, (lo, hi) in bands.items():
        members = [k for k in range(n) if LAYERS[k % 4] == layer]
        rows += [cp.sum(w[members]) >= lo, cp.sum(w[members]) <= hi]
    cp.Problem(cp.Minimize(cp.quad_form(w, cp.psd_wrap(covariance))), rows).solve(solver="CLARABEL", **TIGHT)
    return np.asarray(w.value)


@pytest.mark.parametrize(("seed", "max_weight", "bands", "tie"), [
    (0, 0.10, {"semiconductor": (0.30, 0.40), "neocloud": (0.05, 0.20)}, False),
    (1, 0.10, {"semiconductor": (0.25, 0.25)}, False),  # a band fixed at one value: binding exactly
    (2, 0.03, {}, False),  # 40 names at most 3% each: the cap binds on most of them
    (3, 0.10, {"model_lab": (0.30, 0.50)}, True),  # two identical names
    (5, 0.05, dict.fromkeys(LAYERS, (0.05, 0.30)), False),  # the benchmark's shape: every layer banded, 5% cap
])
def test_min_variance_first_solve_agrees_with_an_independent_cvxpy_solve(seed, max_weight, bands, tie):
    weights, covariance, solved, _ = min_variance(40, seed, max_weight, bands, tie)
    expected = reference(covariance, max_weight, bands)
    best = float(expected @ covariance @ expected)
    assert float(weights @ covariance @ weights) == pytest.approx(best, rel=1e-5)
    assert weights.min() >= -1e-12 and weights.max() <= max_weight + 1e-12
    assert weights.sum() == pytest.approx(1.0, abs=1e-9)
    for layer, (lo, hi) in bands.items():
        share = sum(weights[k] for k in range(40) if LAYERS[k % 4] == layer)
        assert lo - 1e-9 <= share <= hi + 1e-9
    if tie:  # only the pair's total is determined
        weights[1], expected[1] = weights[1] + weights[5], expected[1] + expected[5]
        weights[5] = expected[5] = 0.0
    else:  # a unique optimum, solved exactly on the interior point's active set
        assert "dense interior point, exact on its active set" in solved.notes[0]
    assert weights == pytest.approx(expected, abs=2e-6)  # the solver keeps bounds 1e-7 inside


def test_layer_floors_past_the_whole_portfolio_raise_infeasible_naming_them():
    bands = {layer: (0.3, 0.6) for layer in LAYERS}  # four floors of 30%: 120% of the portfolio
    with pytest.raises(ex.InfeasibleError) as caught:
        min_variance(40, 4, 0.10, bands)
    assert "layer" in str(caught.value) and "lower bound" in str(caught.value)


@pytest.fixture
def two_blas_threads():
    """Every loaded OpenBLAS on two threads for the test (the suite runs them on one), restored after; yields
    the libraries and their counts then (an old OpenBLAS started on one thread, SCS's, may stay on one)."""
    if not sys.platform.startswith("linux"):
        pytest.skip("OpenBLAS is found through /proc/self/maps")
    libraries = openblas()
    assert libraries, "numpy's and scipy's wheels bundle OpenBLAS"
    saved = [get() for get, _ in libraries]
    for _, put in libraries:
        put(2)
    raised = [get() for get, _ in libraries]
    assert 2 in raised  # numpy's and scipy's own builds at least
    yield libraries, raised
    for (_, put), count in zip(libraries, saved, strict=True):
        put(count)


def test_one_thread_runs_every_openblas_on_one_thread_and_restores_the_count(two_blas_threads):
    libraries, raised = two_blas_threads
    with one_thread():
        assert [get() for get, _ in libraries] == [1] * len(libraries)
        with one_thread():  # nested: the outer block restores
            pass
        assert [get() for get, _ in libraries] == [1] * len(libraries)
    assert [get() for get, _ in libraries] == raised


def test_the_dense_first_solve_runs_blas_on_one_thread(two_blas_threads, monkeypatch):
    libraries, raised = two_blas_threads
    seen: list[list[int]] = []

    def spy(*args):
        seen.append([get() for get, _ in libraries])
        return guess(*args)

    monkeypatch.setattr(warm, "guess", spy)
    weights, covariance, solved, _ = min_variance(40, 0, 0.10, {})
    assert seen == [[1] * len(libraries)]  # inside the solve
    assert [get() for get, _ in libraries] == raised  # restored after
    assert weights == pytest.approx(reference(covariance, 0.10, {}), abs=2e-6)
