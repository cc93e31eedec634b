"""Issue 14: missing figures are never zero, the columns add up under one cap, stress bounds are labelled."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from conftest import PORTFOLIOS

import exposure as ex
from exposure.dealweb import DealWeb

HEADER = "id,name,ticker,layer,revenue_usd_bn,market_cap_usd_bn,as_of,source_url,notes\n"
DEAL_HEADER = "id,payer,payee,type,amount_usd_bn,duration_years,announced,status,source_url,notes\n"


def _web(companies: str, deals: str) -> DealWeb:
    return DealWeb.from_csv(io.StringIO(HEADER + companies), io.StringIO(DEAL_HEADER + deals))


def test_funding_channel_without_revenue_is_left_out_and_listed():
    # B received 10 from A but has no revenue figure: its money sources are unknown, so the funding
    # channel (B depends on A) is left out; the value channel (A depends on B) stays: 10 / 500.
    web = _web("a,A,AAA,semiconductor,100,500,2026-01-01,https://e.org,\n"
               "b,B,BBB,networking_hardware,,50,2026-01-01,https://e.org,\n",
               "X,a,b,equity_investment,10,,2025-01,completed,https://e.org,\n")
    s = web.sensitivity()
    L = s.dense()
    assert L[s.index["b"], s.index["a"]] == 0
    assert L[s.index["a"], s.index["b"]] == pytest.approx(10 / 500, abs=1e-15)
    left = s.coverage.set_index(["deal_id", "channel"])["reason"]
    assert "revenue unknown" in left[("X", "funding")]
    report = ex.analyze(ex.Portfolio.from_weights({"BBB": 1}), web)
    assert report.hubs.loc["a", "total"] == 0


def test_nokia_holder_is_not_half_exposed_to_nvidia():
    # Nvidia's $1bn stake in Nokia (D101). Nokia depends on Nvidia only through the funding channel:
    # 0.5 x 1 / (equity received + revenue). Worked out from the bundled figures: when Nokia's revenue
    # is blank the channel is left out (listed in coverage) and the exposure is 0; with the revenue
    # figure it is a few percent. Never 0.5 x 1 / (1 + 0) = 50%.
    web = ex.DealWeb.bundled()
    revenue = web.companies.at["nokia", "revenue_usd_bn"]
    nokia_deals = web.deals[(web.deals["payer"] == "nokia") | (web.deals["payee"] == "nokia")]
    report = ex.analyze(ex.Portfolio.from_weights({"NOK": 1}), web)
    nvidia = report.hubs.loc["nvidia"]
    left = report.coverage["left_out"]
    if list(nokia_deals["id"]) == ["D101"]:
        if pd.isna(revenue):
            assert nvidia["total"] == 0
            assert ((left["deal_id"] == "D101") & (left["channel"] == "funding")).any()
        else:
            assert nvidia["total"] == pytest.approx(0.5 * 1.0 / (1.0 + revenue), abs=1e-12)
    assert nvidia["total"] < 0.05


def test_nokia_with_its_revenue_is_a_few_percent():
    # Nokia's FY2025 net sales EUR 19.889bn (2025 20-F) at the bundled EUR rate 1.1872 = $23.612bn:
    # L[nokia, nvidia] = 0.5 x 1 / (1 + 23.612) = 2.03%, and Nokia has no other deal to carry more.
    web = ex.DealWeb.bundled()
    companies = web.companies.copy()
    companies.loc["nokia", "revenue_usd_bn"] = 19.889 * 1.1872
    only = DealWeb(companies, web.deals[web.deals["id"] == "D101"], web.aliases)
    report = ex.analyze(ex.Portfolio.from_weights({"NOK": 1}), only)
    assert report.hubs.loc["nvidia", "first_order"] == pytest.approx(0.5 / (1 + 19.889 * 1.1872), abs=1e-12)
    assert report.hubs.loc["nvidia", "total"] == pytest.approx(0.0203, abs=5e-5)


def test_every_left_out_channel_is_listed():
    # Independently of the engine: every channel whose denominator lacks a figure must be in coverage.
    web = ex.DealWeb.bundled()
    s = web.sensitivity()
    listed = set(zip(s.coverage["deal_id"], s.coverage["channel"], strict=True))
    gone = {d for d, c in listed if c == "all"}
    revenue, mcap = web.companies["revenue_usd_bn"], web.companies["market_cap_usd_bn"]
    deals = web.deals[~web.deals["id"].isin(gone)]
    equity = deals[deals["type"] == "equity_investment"]
    contracts = deals[~deals["type"].isin(["equity_investment", "other"])]
    expected = {(d, "funding") for d in equity.loc[equity["payee"].map(revenue).isna(), "id"]}
    expected |= {(d, "value") for d in equity.loc[equity["payer"].map(mcap).isna(), "id"]}
    expected |= {(d, "revenue") for d in contracts.loc[contracts["payee"].map(revenue).isna(), "id"]}
    assert expected <= listed
    assert expected  # the bundled web has such gaps (Anthropic, xAI, Nokia, ...)
    counted = set(zip(s.contributions["deal_id"], s.contributions["channel"], strict=True))
    assert not expected & counted


# A web with an entry of L above 1: Inv (market cap 10) holds a $25bn stake in the private Hub,
# L[inv, hub] = 25 / 10 = 2.5. Inv buys $40bn of chips from Sup over 4 years: 10 a year over
# F_sup = 20 + 10, L[sup, inv] = 1/3. Hub (revenue 40) depends on Inv's money: 0.5 x 25 / 65.
BIG = ("hub,Hub,,model_lab,40,,2026-01-01,https://e.org,\n"
       "inv,Inv,INV,investor,5,10,2026-01-01,https://e.org,\n"
       "sup,Sup,SUP,semiconductor,20,100,2026-01-01,https://e.org,\n",
       "S,inv,hub,equity_investment,25,,2025-01,completed,https://e.org,\n"
       "C,inv,sup,chip_supply,40,4,2025-02,completed,https://e.org,\n")


def test_columns_add_up_under_one_cap_when_an_entry_of_L_exceeds_one():
    web = _web(*BIG)
    s = web.sensitivity()
    assert s.dense()[s.index["inv"], s.index["hub"]] == pytest.approx(2.5)
    report = ex.analyze(ex.Portfolio.from_weights({"INV": 0.5, "SUP": 0.5}), web)
    hub = report.hubs.loc["hub"]
    # Wiped-out Hub: Inv loses all its value (capped at 1) and passes on 1, not 2.5: Sup loses 1/3.
    assert hub["direct"] == 0
    assert hub["first_order"] == pytest.approx(0.5 * 1.0, abs=1e-12)
    assert hub["network"] == pytest.approx(0.5 * (1 / 3), abs=1e-12)
    assert hub["total"] == pytest.approx(0.5 + 0.5 / 3, abs=1e-12)
    columns = report.hubs[["direct", "first_order", "network"]].sum(axis=1)
    np.testing.assert_allclose(columns, report.hubs["total"], rtol=0, atol=1e-15)
    assert (report.hubs["total"] <= 1).all()


def test_columns_add_up_on_every_sample():
    for path in sorted(PORTFOLIOS.glob("*.csv")):
        hubs = ex.analyze(ex.Portfolio.from_csv(path)).hubs
        np.testing.assert_allclose(hubs[["direct", "first_order", "network"]].sum(axis=1), hubs["total"],
                                   rtol=0, atol=1e-15)


def test_nonlinear_stress_bounds_are_labelled_and_hold():
    pf = ex.Portfolio.from_csv(PORTFOLIOS / "ai_heavy.csv")
    res = ex.stress(pf, shocks={"openai": 0.5}, method="nonlinear", alpha=2)
    linear = ex.stress(pf, shocks={"openai": 0.5})
    assert res.lower_bound <= res.portfolio_loss <= res.upper_bound
    assert res.upper_bound == pytest.approx(linear.portfolio_loss, abs=1e-12)
    assert "alpha = inf" in res.lower_bound_method and res.upper_bound_method == "linear DebtRank"
    assert "non-linear DebtRank, alpha 2" in res.summary()
    assert "original DebtRank" not in res.summary()
    # Linear DebtRank keeps original DebtRank as its lower bound; original is bounded by the shock and linear.
    assert linear.lower_bound_method == "original DebtRank" and linear.upper_bound is None
    assert linear.lower_bound <= linear.portfolio_loss
    original = ex.stress(pf, shocks={"openai": 0.5}, method="original")
    assert original.lower_bound <= original.portfolio_loss <= original.upper_bound
