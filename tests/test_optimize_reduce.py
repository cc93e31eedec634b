"""The re-solve over the traded names only (``exposure.optimize.reduce``): hand-worked folding, and the same
answer as the full re-solve on the AI-heavy sample."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest

import exposure as ex
from exposure.optimize import Constraints, load_universe, problem_data, solve
from exposure.optimize.reduce import restrict

solve_module = sys.modules["exposure.optimize.solve"]


@pytest.fixture(scope="module")
def bundled() -> ex.DealWeb:
    return ex.DealWeb.bundled()


@pytest.fixture(scope="module")
def ai_heavy() -> ex.Portfolio:
    return ex.Portfolio.from_csv("portfolios/ai_heavy.csv")


def test_the_rest_is_the_w0_weighted_mean_of_the_names_that_do_not_trade(bundled, ai_heavy):
    data = problem_data(ai_heavy, bundled, Constraints(hub_caps={"openai": 0.1}))
    held = np.flatnonzero(data.w0 > 0)
    free = np.zeros(data.n, dtype=bool)
    free[held[0]] = True
    rest = held[1:]
    small, at = restrict(data, free)
    assert list(at) == [held[0]] and small.tickers == [data.tickers[held[0]], "(rest)"]
    total = data.w0[rest].sum()
    assert small.w0[1] == pytest.approx(total, abs=1e-15)
    # a linear row: sum_i a_i w0_i / W over the rest, so that a @ w is unchanged at w = w0
    assert small.loadings_all.T @ small.w0 == pytest.approx(data.loadings_all.T @ data.w0, abs=1e-12)
    # the concentration term: sum_i c_i w0_i^2 over the rest equals c_rest * W^2
    spread = np.where(data.is_fund, 0.01, 1.0)
    assert small.concentration[1] * total**2 == pytest.approx(spread[rest] @ data.w0[rest] ** 2, rel=1e-12)
    assert small.is_fund[1] and not small.buy_costs[1]


def test_three_names_folded_by_hand():
    # w0 = (0.2, 0.3, 0.5), the first free: the rest weighs 0.8 with shares 0.375 and 0.625. A loading column
    # (1, 2, 4) folds to 0.375 * 2 + 0.625 * 4 = 3.25; concentration 1 each folds to 0.375^2 + 0.625^2 = 0.53125.
    data = problem_data(ex.Portfolio.from_weights({"NVDA": 0.2, "AMD": 0.3, "AVGO": 0.5}), None,
                        Constraints(universe=[]))
    data.loadings_all = np.array([[1.0], [2.0], [4.0]])
    small, _ = restrict(data, np.array([True, False, False]))
    assert small.w0 == pytest.approx([0.2, 0.8])
    assert small.loadings_all[:, 0] == pytest.approx([1.0, 3.25])
    assert small.concentration == pytest.approx([1.0, 0.53125])


@pytest.mark.parametrize("risk", [False, True])
def test_restricted_re_solve_equals_the_full_one(bundled, ai_heavy, monkeypatch, risk):
    # the web's listed companies and every bundled fund as the universe: a wide problem whose optimum has dust
    universe = list(bundled.listed["ticker"]) + list(load_universe().index)
    c = Constraints(hub_caps={"openai": float(ex.analyze(ai_heavy, bundled).hub("openai")["total"]) / 2},
                    preset="balanced-ai", universe=universe)
    covariance = None
    if risk:  # a full covariance over every name of the problem (so the fold of a dense matrix is used)
        tickers = problem_data(ai_heavy, bundled, c).tickers
        rng = np.random.default_rng(0)
        factor = rng.normal(0, 0.1, (len(tickers), 3))
        covariance = pd.DataFrame(factor @ factor.T + np.diag(np.full(len(tickers), 0.04)), index=tickers,
                                  columns=tickers)
    data = problem_data(ai_heavy, bundled, c, risk=covariance)
    monkeypatch.setattr(solve_module, "REDUCE_MIN_N", 10**9)
    full = solve(data, c)
    monkeypatch.setattr(solve_module, "REDUCE_MIN_N", 0)
    small = solve(data, c)
    assert any("traded name(s) only" in note for note in small.notes)
    assert any("no dust" in note for note in full.notes) and not any("only" in n for n in full.notes)
    # The two problems are the same exactly, but the objective is nearly flat along some directions (similar
    # diversifiers), where a solver stopping at a 1e-8 gap may land 1e-5 apart: compare the objective tightly.
    assert small.weights == pytest.approx(full.weights, abs=1e-4)
    assert small.cash == pytest.approx(full.cash, abs=1e-4)
    assert small.objective == pytest.approx(full.objective, rel=1e-6, abs=1e-9)
    for name, group in full.duals.items():
        for mine, theirs in zip(small.duals[name], group, strict=True):
            if theirs is not None:
                assert mine.shape == theirs.shape, name
