"""Issue 14: missing figures are never zero, the columns add up under one cap, stress bounds are labelled."""

from __future__ import annotations

import io
import json

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


# ------------------------------------------------------------------------------------ hubs from the web
def test_systemic_importance_by_hand(small_web):
    # conftest's web: listed Cloud Co (market cap 200) and Chip Co (1000); Lab and Investor are private.
    # Wiping out Lab costs Cloud 0.4 x 200 and Chip (L[chip,cloud] 0.4 + L[chip,lab]) x 1000.
    from exposure.hubs import systemic_importance

    l_chip_cloud, l_chip_lab = 7.5 / 74.5, 7 / 74.5 + 0.02
    table = systemic_importance(small_web.sensitivity(), small_web.companies)
    lab = 0.4 * 200 + (l_chip_cloud * 0.4 + l_chip_lab) * 1000
    assert table.at["lab", "loss_usd_bn"] == pytest.approx(lab, abs=1e-9)
    assert table.at["lab", "loss_share"] == pytest.approx(lab / 1200, abs=1e-12)
    # Wiping out Chip: Lab loses 0.25 (private, no listed value), Cloud 0.4 x 0.25 of 200 = 20 of the other 200.
    assert table.at["chip", "loss_usd_bn"] == pytest.approx(20, abs=1e-9)
    assert table.at["chip", "loss_share"] == pytest.approx(20 / 200, abs=1e-12)
    assert table.index[0] == "lab" and table["hub"].all()


def test_bundled_hubs_are_the_systemic_names():
    from exposure.hubs import HUB_THRESHOLD, ai_hubs, systemic_importance

    web = ex.DealWeb.bundled()
    hubs = ai_hubs(web)
    assert {"openai", "nvidia"} <= set(hubs)
    assert not {"ibm", "apple", "tesla"} & set(hubs)
    table = systemic_importance(web.sensitivity(), web.companies)
    assert (table.loc[hubs, "loss_share"] >= HUB_THRESHOLD).all()
    # Independently: the loss is market caps times the companies' exposures to the hub.
    s = web.sensitivity()
    mcap = web.companies["market_cap_usd_bn"].reindex(s.ids).fillna(0).to_numpy()
    x = ex.network.hub_exposures(s.matrix, [s.index["nvidia"]])[:, 0]
    assert table.at["nvidia", "loss_usd_bn"] == pytest.approx(mcap @ x, rel=1e-12)


def test_loops_and_cycles_by_hand():
    from exposure.hubs import circular_structures, participation, portfolio_structures

    # A pays B 10 and B pays A 4 (a loop: 4 goes round, 14 gross); A -> B -> C -> A with C paying A 2
    # (a cycle: 2 goes round, 10 + 6 + 2 = 18 gross). Deal D is undisclosed: it closes nothing.
    web = _web("a,A,AAA,semiconductor,100,500,2026-01-01,https://e.org,\n"
               "b,B,BBB,neocloud,50,100,2026-01-01,https://e.org,\n"
               "c,C,CCC,model_lab,20,,2026-01-01,https://e.org,\n",
               "X1,a,b,chip_supply,10,2,2025-01,completed,https://e.org,\n"
               "X2,b,a,cloud_compute_contract,4,2,2025-01,completed,https://e.org,\n"
               "X3,b,c,cloud_compute_contract,6,2,2025-01,completed,https://e.org,\n"
               "X4,c,a,chip_supply,2,2,2025-01,completed,https://e.org,\n"
               "D,c,b,chip_supply,,2,2025-01,completed,https://e.org,\n")
    st = circular_structures(web)
    assert list(st["kind"]) == ["loop", "cycle"]
    assert st.iloc[0]["chain"] == "A -> B -> A" and st.iloc[0]["usd_bn"] == 4 and st.iloc[0]["gross_usd_bn"] == 14
    assert st.iloc[1]["chain"] == "A -> B -> C -> A" and st.iloc[1]["usd_bn"] == 2
    assert st.iloc[1]["gross_usd_bn"] == 18 and st.iloc[1]["deals"] == "X1 | X3 | X4"
    part = participation(st)
    assert part.loc["a"].tolist() == [1, 1, 6.0] and part.loc["c"].tolist() == [0, 1, 2.0]
    held = portfolio_structures(st, {"c": 0.3})
    assert list(held["chain"]) == ["A -> B -> C -> A"] and held.iloc[0]["held_weight"] == 0.3


def test_hubs_command_lists_hubs_and_loops():
    from conftest import run_cli

    table = run_cli("hubs")
    assert table.returncode == 0 and "AI hubs" in table.stdout and "two-party loops" in table.stdout
    data = json.loads(run_cli("hubs", "--format", "json").stdout)
    assert data["threshold"] == 0.0025 and data["hubs"][0]["company"] == "openai"
    assert {"kind", "chain", "usd_bn", "deals"} <= set(data["structures"][0])
    assert run_cli("hubs", "--threshold", "2").returncode == 2


# ------------------------------------------------------------------------------------ the AI score
@pytest.mark.parametrize("weights, grades", [
    ({"NVDA": 1.0}, {"extreme"}),
    ({"AAPL": 0.5, "TSLA": 0.5}, {"low"}),
    ({"IBM": 1.0}, {"low"}),
])
def test_expected_readings(weights, grades):
    report = ex.analyze(ex.Portfolio.from_weights(weights))
    assert report.grade in grades
    # Single-name concentration is reported, and does not drive the grade.
    assert report.metrics["effective_names"] == pytest.approx(len(weights))
    assert report.metrics["largest_name_weight"] == pytest.approx(max(weights.values()))


def test_expected_readings_of_the_samples():
    assert ex.analyze(ex.Portfolio.from_csv(PORTFOLIOS / "no_ai.csv")).score == 0
    heavy = ex.analyze(ex.Portfolio.from_csv(PORTFOLIOS / "ai_heavy.csv"))
    assert heavy.grade in {"high", "extreme"}
    assert heavy.top_hub in heavy.metrics["ai_hubs"]
    nvda = ex.analyze(ex.Portfolio.from_weights({"NVDA": 1.0}))
    assert nvda.score == 100 and nvda.top_hub == "nvidia"
    assert nvda.headline() == ("Extreme AI concentration (100/100): 100% of this portfolio's value rides on Nvidia, "
                               "all of it held directly.")


def test_score_is_over_ai_hubs_only_and_hubs_override():
    # 100% IBM: IBM itself is not a hub, so holding all of it is single-name, not AI, concentration.
    ibm = ex.analyze(ex.Portfolio.from_weights({"IBM": 1.0}))
    assert not ibm.hubs.at["ibm", "ai_hub"] and ibm.hubs.at["ibm", "total"] == 1
    assert ibm.score < 10 and ibm.metrics["name_hhi"] == 1
    forced = ex.analyze(ex.Portfolio.from_weights({"IBM": 1.0}), hubs=["IBM"])
    assert forced.score == 100 and forced.top_hub == "ibm" and list(forced.hubs.index) == ["ibm"]


def test_headline_sentence_names_hub_direct_and_carriers():
    # 50% NVDA, 50% ORCL: Nvidia's total = 0.5 held + 0.5 x Oracle's exposure to Nvidia.
    report = ex.analyze(ex.Portfolio.from_weights({"NVDA": 0.5, "ORCL": 0.5}), hubs=["nvidia"])
    s = ex.DealWeb.bundled().sensitivity()
    x = ex.network.hub_exposures(s.matrix, [s.index["nvidia"]])[:, 0]
    through = 0.5 * x[s.index["oracle"]]
    assert report.hubs.at["nvidia", "total"] == pytest.approx(0.5 + through, abs=1e-12)
    total = round(100 * (0.5 + through))
    expected = (f"{report.grade.capitalize()} AI concentration ({total}/100): {total}% of this portfolio's value "
                f"rides on Nvidia, 50% held directly and {100 * through:.0f}% through Oracle's deals.")
    assert report.headline() == expected
    assert "wiped out" in report.explain() and "small fall" in report.explain()


def test_small_shock_exceeds_the_wiped_out_exposure_on_a_cycle(small_web):
    # METHODS 1.6: hub absorbing (exposure) vs full Leontief column (small shock): cloud held 100%,
    # the hub Lab. Exposure x = 0.4; a small shock to Lab comes back through Chip -> Lab (L[lab, chip]
    # = 0.25), so T[:, lab] = (I - L)^-1 e_lab and the portfolio loses T[cloud, lab] per unit.
    report = ex.analyze(ex.Portfolio.from_weights({"CLD": 1.0}), small_web, hubs=["lab"])
    L = small_web.sensitivity().dense()
    i = small_web.sensitivity().index
    column = np.linalg.inv(np.eye(4) - L)[:, i["lab"]]
    assert report.hubs.at["lab", "total"] == pytest.approx(0.4, abs=1e-12)
    assert report.metrics["small_shock"] == pytest.approx(column[i["cloud"]], abs=1e-12)
    assert report.metrics["small_shock"] > 0.4


def test_ai_share_adds_the_network_dependence_of_the_rest():
    # Inv (investor layer, not AI) holds a $20bn stake in Sup (semiconductor, AI) with market cap 100:
    # L[inv, sup] = 0.2, so 20% of Inv's value rides on the AI layers. 50% Inv + 50% Sup:
    # ai_share = 0.5 (Sup) + 0.5 x 0.2 = 0.6.
    web = _web("inv,Inv,INV,investor,5,100,2026-01-01,https://e.org,\n"
               "sup,Sup,SUP,semiconductor,50,400,2026-01-01,https://e.org,\n",
               "S,inv,sup,equity_investment,20,,2025-01,completed,https://e.org,\n")
    report = ex.analyze(ex.Portfolio.from_weights({"INV": 0.5, "SUP": 0.5}), web)
    assert report.metrics["ai_layer_share"] == pytest.approx(0.5, abs=1e-12)
    assert report.metrics["ai_share"] == pytest.approx(0.6, abs=1e-12)
    mix = report.layer_mix
    assert mix.at["semiconductor", "share"] == 1 and mix.at["semiconductor", "status"] == "above"
    assert mix.at["hyperscaler_cloud", "status"] == "below"


def test_report_repr_is_short_and_hubs_index_is_named():
    report = ex.analyze(ex.Portfolio.from_csv(PORTFOLIOS / "ai_heavy.csv"))
    head = f"<ExposureReport score {report.score:.0f} ({report.grade}), {report.top_hub}"
    assert len(repr(report)) < 200 and repr(report).startswith(head)
    assert report.hubs.index.name == "company"
    assert not report.loops.empty and (report.loops["held_weight"] > 0).all()


# ------------------------------------------------------------------------------------ point in time
PIT_COMPANIES = ("a,A,AAA,model_lab,100,500,2026-01-01,https://e.org,\n"
                 "b,B,BBB,neocloud,50,100,2026-01-01,https://e.org,\n")
PIT_DEALS = "X,a,b,cloud_compute_contract,20,2,2024-01,completed,https://e.org,\n"
PIT_FINANCIALS = ("company_id,metric,value_usd_bn,date,period,source_url,notes\n"
                  "b,revenue,30,2023-12-31,FY,https://e.org/b23,\n"
                  "b,revenue,40,2024-12-31,FY,https://e.org/b24,\n"
                  "a,market_cap,300,2024-03-01,point,https://e.org/a,\n")


def _pit_web(financials: str | None) -> DealWeb:
    return DealWeb.from_csv(io.StringIO(HEADER + PIT_COMPANIES), io.StringIO(DEAL_HEADER + PIT_DEALS),
                            financials=io.StringIO(financials) if financials is not None else None)


def test_as_of_uses_the_latest_figures_dated_on_or_before_it(tmp_path):
    path = tmp_path / "financials.csv"
    path.write_text(PIT_FINANCIALS, encoding="utf-8")
    web = DealWeb.from_csv(io.StringIO(HEADER + PIT_COMPANIES), io.StringIO(DEAL_HEADER + PIT_DEALS),
                           financials=path)
    # A pays B 20 over 2 years = 10 a year. Mid-2024 B's latest revenue is FY2023's 30: L[b, a] = 10 / 40.
    mid_2024 = web.as_of("2024-06-30")
    s = mid_2024.sensitivity()
    assert s.dense()[s.index["b"], s.index["a"]] == pytest.approx(10 / 40, abs=1e-15)
    assert mid_2024.companies.at["a", "market_cap_usd_bn"] == 300
    assert mid_2024.companies.at["a", "as_of"] == "2024-03-01"
    # A's revenue and B's market cap have no dated row by then: kept from companies.csv (2026) and named.
    assert len(mid_2024.notes) == 1
    assert "revenue of A" in mid_2024.notes[0] and "market cap of B" in mid_2024.notes[0]
    report = ex.analyze(ex.Portfolio.from_weights({"BBB": 1}), mid_2024)
    assert report.hubs.at["a", "total"] == pytest.approx(0.25, abs=1e-15)
    assert any("market cap of B" in note for note in report.notes)
    # Mid-2025: FY2024's 40, so 10 / 50.
    mid_2025 = web.as_of("2025-06-30").sensitivity()
    assert mid_2025.dense()[mid_2025.index["b"], mid_2025.index["a"]] == pytest.approx(10 / 50, abs=1e-15)


def test_as_of_without_financials_keeps_the_snapshot_and_says_so():
    web = _pit_web(None).as_of("2024-06-30")
    s = web.sensitivity()
    assert s.dense()[s.index["b"], s.index["a"]] == pytest.approx(10 / 60, abs=1e-15)
    assert "revenue of A, B" in web.notes[0] and "market cap of A, B" in web.notes[0]
    assert _pit_web(None).notes == []  # today's web takes nothing from later


def test_exposure_history_uses_dated_figures():
    from exposure.plots import exposure_history

    history = exposure_history(ex.Portfolio.from_weights({"BBB": 1}), _pit_web(PIT_FINANCIALS), "a",
                               dates=["2024-06-30", "2025-06-30"])
    assert history["total"].tolist() == pytest.approx([0.25, 0.2], abs=1e-15)


@pytest.mark.parametrize("row, column", [
    ("b,profit,3,2024-12-31,FY,https://e.org,", "metric"),
    ("b,revenue,-3,2024-12-31,FY,https://e.org,", "value_usd_bn"),
    ("b,revenue,3,31/12/2024,FY,https://e.org,", "date"),
])
def test_bad_financials_row_names_row_and_column(row, column):
    text = "company_id,metric,value_usd_bn,date,period,source_url,notes\n" + row + "\n"
    with pytest.raises(ex.DealWebError, match=f"row 2.*{column}|{column}.*row 2"):
        _pit_web(text)


def test_score_command_hubs_option_and_sentence():
    from conftest import run_cli

    out = run_cli("score", PORTFOLIOS / "ai_heavy.csv", "--hubs", "openai", "--format", "json")
    data = json.loads(out.stdout)
    assert data["hub"] == "openai" and [h["company"] for h in data["hubs"]] == ["openai"]
    assert data["metrics"]["ai_hubs"] == ["openai"] and data["headline"].endswith("deals.")
    table = run_cli("score", PORTFOLIOS / "ai_heavy.csv")
    assert "AI concentration" in table.stdout and "Circular structures" in table.stdout
