"""Suggestions at scale (``exposure.optimize.levels``): a water level worked by hand, the level search against
the plain cvxpy + Clarabel solve of the unreduced problem, a 5,000-holding suggestion whose every
constraint holds on re-analysis, with the same trades as without the level search, and whole shares over
the traded names only."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest

import exposure as ex
from exposure.optimize import Constraints, problem_data, solve
from exposure.optimize.discrete import whole_shares
from exposure.optimize.levels import LEVEL_OPTIONS, groups, solve_levels
from exposure.optimize.program import constants, objective_scale, program_for, shape_of
from exposure.optimize.running import run

solve_module = sys.modules["exposure.optimize.solve"]


def plain(data, constraints) -> tuple[np.ndarray, float]:
    """The continuous optimum of the unreduced problem: every name a variable, cvxpy with Clarabel, at the
    level search's tolerances (at Clarabel's default 1e-8 gap, 5,000 names' common level is 0.6% off)."""
    program = program_for(shape_of(data), constants(data))
    program.set_values(data, constraints)
    status, solver, _ = run(program.main, ("CLARABEL",), resolve=False, **LEVEL_OPTIONS)
    assert (status, solver) == ("optimal", "CLARABEL")
    return np.asarray(program.variables["w"].value, dtype=float), float(program.main.value) / program.scale


def test_water_level_by_hand():
    # 300 names outside the web: 100 at 0.1%, 100 at 0.2%, 100 at 0.5% (80%), cash 20% that must come down to
    # exactly 5%: 15% is bought, at the same cost per unit wherever it goes, so only the concentration term
    # 0.01 * sum w^2 decides. It fills the lowest names first: 100 x (0.2% - 0.1%) = 10% lifts the first 100 to
    # 0.2%, and the last 5% spreads over 200 names, 0.025% each: one level L = 0.225%, the 0.5% names keep theirs.
    weights = {f"ZQ{k:04d}": 0.001 if k < 100 else 0.002 if k < 200 else 0.005 for k in range(300)}
    pf = ex.Portfolio.from_weights(weights | {"CASH": 0.2})
    c = Constraints(new_names=False, min_cash=0.05, max_cash=0.05, min_trade=0.0)
    data = problem_data(pf, None, c)
    [group] = groups(data, c)
    assert len(group.members) == 300 and group.kappa == pytest.approx(0.01)
    leveled = solve_levels(data, c)
    assert leveled is not None and leveled.data.n < 10  # two blocks at most, the rest folded
    order = [data.tickers.index(t) for t in weights]
    got = leveled.weights[order]
    assert got[:200] == pytest.approx(np.full(200, 0.00225), abs=1e-9)
    assert got[200:] == pytest.approx(np.full(100, 0.005), abs=1e-12)
    full, objective = plain(data, c)
    assert leveled.weights == pytest.approx(full, abs=1e-7)
    # the objective: 15% bought at cost 1, plus 0.01 * (200 * 0.00225^2 + 100 * 0.005^2)
    expected = 0.15 + 0.01 * (200 * 0.00225**2 + 100 * 0.005**2)
    assert float(leveled.program.main.value) / leveled.program.scale == pytest.approx(expected, rel=1e-7)
    assert objective == pytest.approx(expected, rel=1e-7)


def scale_portfolio(size: int) -> ex.Portfolio:
    """The benchmark's portfolio: six AI names (60% of value), ``size - 6`` names outside the web, 5% cash."""
    ai = {"NVDA": 0.15, "ORCL": 0.12, "CRWV": 0.10, "MSFT": 0.08, "AMD": 0.08, "AVGO": 0.07}
    rng = np.random.default_rng(0)
    rest = [f"S{k:06d}" for k in range(size - len(ai))]
    spread = rng.uniform(0.5, 1.5, len(rest))
    spread = spread / spread.sum() * (0.95 - sum(ai.values()))
    return ex.Portfolio.from_weights(ai | dict(zip(rest, spread, strict=True)) | {"CASH": 0.05})


@pytest.fixture(scope="module")
def large() -> tuple[ex.Portfolio, ex.DealWeb, Constraints]:
    web = ex.DealWeb.bundled()
    pf = scale_portfolio(5000)
    cap = float(ex.analyze(pf, web).hub("openai")["total"]) / 2
    return pf, web, Constraints(hub_caps={"openai": cap})


@pytest.mark.parametrize("turnover", [None, 0.6])
def test_level_search_equals_the_plain_solve(large, turnover):
    # the defaults; and free trades under a turnover budget that binds: the concentration term would bring every
    # name to one level, so the groups both buy and sell, and the budget's price moves both levels
    pf, web, c = large
    if turnover is not None:
        c = c.model_copy(update={"max_turnover": turnover, "transaction_costs": 0.0})
    data = problem_data(pf, web, c)
    leveled = solve_levels(data, c)
    assert leveled is not None and leveled.data.n < 200
    assert (float(leveled.duals["max_turnover"][0][0]) > 1e-6) == (turnover is not None)
    full, objective = plain(data, c)
    assert float(leveled.program.main.value) / leveled.program.scale == pytest.approx(objective, rel=1e-9)
    # the objective is nearly flat along the funds (concentration 0.0001 each): weights agree to 1e-4, the
    # objective to 1e-9
    assert leveled.weights == pytest.approx(full, abs=1e-4)
    assert objective_scale(data, c) > 0


def test_five_thousand_holdings_keep_every_constraint(large, monkeypatch):
    pf, web, c = large
    sug = ex.suggest(pf, web, c)
    assert any(note.startswith("levels:") for note in sug.notes)
    cap = c.hub_caps["openai"]
    assert float(sug.after.hub("openai")["total"]) <= cap + 1e-6
    target = sug.weights["target"]
    assert float(target.sum()) == pytest.approx(1.0, abs=1e-9)
    assert float(target["CASH"]) == pytest.approx(0.05, abs=1e-6)  # stay invested: cash stays at 5%
    stocks = target.drop("CASH")
    assert float(stocks.min()) >= 0 and float(stocks.max()) <= c.max_weight + 1e-9
    trades = sug.trades
    sold_out = (trades["action"] == "sell") & (target.reindex(trades.index) == 0)
    assert ((trades["weight"] >= c.min_trade * (1 - 1e-6)) | sold_out).all()
    # the same suggestion without the level search (the continuous problem over all 5,000 names)
    monkeypatch.setattr(solve_module, "solve_levels", lambda data, constraints: None)
    plain_sug = ex.suggest(pf, web, c)
    assert not any(note.startswith("levels:") for note in plain_sug.notes)
    # the AI names' trades agree; the proceeds go to held names outside the web, which are interchangeable up to
    # their weights, so the two MILPs may pick different ones (or one more) within HiGHS's relative gap, 1e-4
    named = [t for t in trades.index if not t.startswith("S0")]
    assert sorted(named) == sorted(t for t in plain_sug.trades.index if not t.startswith("S0"))
    assert trades.loc[named, "weight"].to_numpy() == pytest.approx(
        plain_sug.trades.loc[named, "weight"].to_numpy(), abs=1e-6)
    bought = trades.loc[trades["action"] == "buy", "weight"].sum()
    assert bought == pytest.approx(plain_sug.trades.loc[plain_sug.trades["action"] == "buy", "weight"].sum(),
                                   abs=1e-6)
    assert sug.objective == pytest.approx(plain_sug.objective, rel=1e-4)


def test_whole_shares_over_the_traded_names_only(large):
    # a value portfolio ($10m): the whole-share step over the traded names only, the others folded, gives the
    # same share counts and weights as over all 5,000 names (which it holds at their weights anyway)
    pf, web, c = large
    frame = pf.positions.reset_index() if "ticker" not in pf.positions.columns else pf.positions
    valued = ex.Portfolio.from_frame(pd.DataFrame({"ticker": frame["ticker"], "value": frame["amount"] * 1e7}))
    fractional = c.model_copy(update={"fractional": True})
    data = problem_data(valued, web, fractional)
    weights = solve(data, fractional).weights
    scale = objective_scale(data, c)
    small = solve_module._whole_shares(data, c, shape_of(data), weights, scale)
    full = whole_shares(data, c, shape_of(data), weights, scale)
    assert small is not None and full is not None
    traded = np.isfinite(full.shares)
    assert traded.sum() == np.isfinite(small.shares).sum() >= 3
    assert small.shares[traded] == pytest.approx(full.shares[traded], abs=0)
    assert small.weights == pytest.approx(full.weights, abs=1e-12)
    assert full.shares[traded] == pytest.approx(np.round(full.shares[traded]), abs=0)  # whole shares
