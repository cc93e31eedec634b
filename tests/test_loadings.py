"""ex.hub_loadings: numbers by hand on the small web, equal to analyze(), and a hub cap in PyPortfolioOpt."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import PORTFOLIOS

import exposure as ex

# From tests/test_network.py: the entries of L for the small web, worked out by hand.
L_CLOUD_LAB, L_CHIP_CLOUD, L_CHIP_LAB, L_LAB_CHIP = 0.4, 7.5 / 74.5, 7 / 74.5 + 0.02, 0.25


def test_loadings_by_hand_on_the_small_web(small_web):
    loadings = ex.hub_loadings(small_web, tickers=["CLD", " chp ", "CASH", "KO", "CLD"], hubs=["Lab", "CLD", "chip"])
    assert list(loadings.index) == ["CLD", "CHP", "CASH", "KO"] and loadings.index.name == "ticker"
    assert list(loadings.columns) == ["lab", "cloud", "chip"] and loadings.columns.name == "hub"
    expected = pd.DataFrame(
        [[L_CLOUD_LAB, 1.0, L_CLOUD_LAB * L_LAB_CHIP],  # cloud reaches chip only through lab
         [L_CHIP_LAB + L_CHIP_CLOUD * L_CLOUD_LAB,  # chip -> lab, and chip -> cloud -> lab
          L_CHIP_CLOUD / (1 - L_CHIP_LAB * L_LAB_CHIP),  # chip -> cloud, around the chip <-> lab cycle
          1.0],
         [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]],
        index=loadings.index, columns=loadings.columns)
    pd.testing.assert_frame_equal(loadings, expected, rtol=1e-12)


def test_defaults_are_every_listed_ticker_and_every_company(small_web):
    loadings = ex.hub_loadings(small_web)
    assert list(loadings.index) == ["CLD", "CHP"]
    assert set(loadings.columns) == set(small_web.companies.index)


@pytest.mark.parametrize("sample", ["ai_heavy.csv", "tech_etf.csv"])
def test_weights_times_loadings_is_the_reports_total(sample):
    """The linear map: portfolio exposure = weights @ loadings, funds looked through (tech_etf holds QQQ, SMH, XLK)."""
    web = ex.DealWeb.bundled()
    pf = ex.Portfolio.from_csv(PORTFOLIOS / sample)
    report = ex.analyze(pf, web)
    weights = report.holdings.assign(held=report.holdings["via"].where(report.holdings["via"] != "",
                                                                       report.holdings["ticker"]))
    weights = weights.groupby("held")["weight"].sum()  # the file's own positions, funds as one line each
    loadings = ex.hub_loadings(web, weights.index, hubs=["openai", "nvidia", "oracle"])
    exposure = weights @ loadings
    assert exposure.to_numpy() == pytest.approx(report.hubs.loc[list(loadings.columns), "total"].to_numpy(),
                                                abs=1e-12)


def test_pyportfolioopt_with_the_loadings_reproduces_suggests_openai_cap():
    """The same problem in PyPortfolioOpt (a convex objective plus add_constraint) and in ex.suggest.

    Problem: hold ai_heavy.csv; minimize turnover (sum |w - w0| over the stocks) subject to weights in
    [0, 10%], cash >= 5% and OpenAI exposure <= 15%; no layer bands, no diversification term (gamma 0).
    """
    cvxpy = pytest.importorskip("cvxpy")
    base_optimizer = pytest.importorskip("pypfopt.base_optimizer")
    web = ex.DealWeb.bundled()
    pf = ex.Portfolio.from_csv(PORTFOLIOS / "ai_heavy.csv")
    cap, max_weight, min_cash = 0.15, 0.10, 0.05
    sug = ex.suggest(pf, web, ex.Constraints(hub_caps={"openai": cap}, max_weight=max_weight, min_cash=min_cash,
                                             layer_bands={}, universe=[], gamma=0.0))

    w0 = sug.before.holdings.groupby("ticker", sort=False)["weight"].sum()  # current weights, cash included
    tickers = [t for t in w0.index if t != "CASH"]
    loadings = ex.hub_loadings(web, tickers, hubs=["OpenAI"])["openai"]
    names = [*tickers, "CASH"]
    optimizer = base_optimizer.BaseConvexOptimizer(
        len(names), names, weight_bounds=[(0.0, max_weight)] * len(tickers) + [(min_cash, 1.0)])
    openai_loading = np.append(loadings.loc[tickers].to_numpy(), 0.0)  # cash loads on nothing
    optimizer.add_constraint(lambda w: openai_loading @ w <= cap)
    start = w0.loc[tickers].to_numpy()
    peer = pd.Series(optimizer.convex_objective(lambda w: cvxpy.norm1(w[:-1] - start), weights_sum_to_one=True))

    target = sug.weights["target"]  # by ticker, cash included
    ours = sug.after.hubs.at["openai", "total"]
    assert ours == pytest.approx(cap, abs=1e-6)  # the cap binds: 28.8% before
    assert float(target.loc[tickers] @ loadings.loc[tickers]) == pytest.approx(ours, abs=1e-9)
    assert float(peer @ openai_loading) == pytest.approx(ours, abs=1e-6)
    ours_turnover = float((target.loc[tickers] - start).abs().sum())
    peer_turnover = float(np.abs(peer.loc[tickers].to_numpy() - start).sum())
    assert peer_turnover == pytest.approx(ours_turnover, abs=1e-5)
    assert peer["CASH"] == pytest.approx(target["CASH"], abs=1e-5)
