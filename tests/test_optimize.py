"""Suggestions: hand-worked optima, every constraint re-checked with analyze(), explained infeasibility,
frontier monotonicity, DPP re-solves without recompiling, and the CLI."""

from __future__ import annotations

import io
import json
import sys

import conftest
import numpy as np
import pandas as pd
import pytest

import exposure as ex
from exposure.models import AI_LAYERS
from exposure.optimize import PRESETS, Constraints, constants, frontier, program_for, shape_of, suggest

TOL = 1e-6

# A three-company web worked by hand. LAB (private hub) pays CLOUD 50 over 5 years: a = 10 a year; CLOUD's
# revenue is 10, so its forward revenue is 20 and L[cloud, lab] = 10 / 20 = 0.5. CLOUD buys chips from CHIP for
# 20 over 4 years: a = 5; CHIP's revenue is 15, forward 20, L[chip, cloud] = 0.25. OTHER has no deal.
# Exposure to LAB: x[cloud] = 0.5, x[chip] = 0.25 * 0.5 = 0.125, x[other] = 0.
COMPANIES = """id,name,ticker,layer,revenue_usd_bn,market_cap_usd_bn,as_of,source_url
lab,Lab,,model_lab,5,,2025-01-01,https://example.com/lab
cloud,Cloud,CLD,hyperscaler_cloud,10,100,2025-01-01,https://example.com/cloud
chip,Chip,CHP,semiconductor,15,100,2025-01-01,https://example.com/chip
other,Other,OTH,semiconductor,20,100,2025-01-01,https://example.com/other
"""
DEALS = """id,payer,payee,type,amount_usd_bn,duration_years,announced,status,source_url
d1,lab,cloud,cloud_compute_contract,50,5,2025-01,completed,https://example.com/d1
d2,cloud,chip,chip_supply,20,4,2025-01,completed,https://example.com/d2
"""
HAND = {"CLD": 0.60, "CHP": 0.20, "OTH": 0.15, "CASH": 0.05}
# Only what a test adds: sale proceeds may stay in cash, no minimum trade, no tie-breakers.
PLAIN = {"max_weight": 1.0, "gamma": 0.0, "max_cash": 1.0, "min_trade": 0.0, "concentration": 0.0}


@pytest.fixture(scope="module")
def small_web() -> ex.DealWeb:
    return ex.DealWeb.from_csv(io.StringIO(COMPANIES), io.StringIO(DEALS))


@pytest.fixture(scope="module")
def bundled() -> ex.DealWeb:
    return ex.DealWeb.bundled()


@pytest.fixture(scope="module")
def ai_heavy() -> ex.Portfolio:
    return ex.Portfolio.from_csv("portfolios/ai_heavy.csv")


def target(sug: ex.Suggestion) -> pd.Series:
    return sug.weights["target"]


# ------------------------------------------------------------------------------------------ by hand
def test_small_web_loadings_are_the_hand_worked_ones(small_web):
    rep = ex.analyze(ex.Portfolio.from_weights(HAND), small_web)
    assert rep.hub("lab")["total"] == pytest.approx(0.6 * 0.5 + 0.2 * 0.125)


def test_capping_a_hub_sells_exactly_the_computable_amount(small_web):
    # Exposure 0.325 must fall to 0.25: selling CLOUD (0.5 per unit) is the cheapest, 0.075 / 0.5 = 0.15.
    sug = suggest(ex.Portfolio.from_weights(HAND), small_web, Constraints(hub_caps={"lab": 0.25}, **PLAIN))
    w = target(sug)
    assert w["CLD"] == pytest.approx(0.45, abs=TOL)
    assert w["CHP"] == pytest.approx(0.20, abs=TOL) and w["OTH"] == pytest.approx(0.15, abs=TOL)
    assert w["CASH"] == pytest.approx(0.20, abs=TOL)
    assert sug.turnover == pytest.approx(0.15, abs=TOL)
    assert list(sug.trades.index) == ["CLD"] and sug.trades.at["CLD", "action"] == "sell"
    assert sug.after.hub("lab")["total"] <= 0.25 + TOL
    assert sug.binding["constraint"].str.contains("hub cap lab").any()


def test_layer_band_on_the_ai_sleeve_hand_worked(small_web):
    # Semiconductors are 0.35 of a 0.95 AI sleeve; at least 40% is needed. Selling s of CLOUD and buying y <= s
    # of chips: 0.6 y + 0.4 s >= 0.03 at cost s + y; the optimum is s = y = 0.03 (cost 0.06), cheaper than
    # selling 0.075 of CLOUD alone.
    sug = suggest(ex.Portfolio.from_weights(HAND), small_web,
                  Constraints(max_weight=1.0, gamma=0.0, layer_bands={"semiconductor": (0.4, 1.0)},
                              layer_basis="ai_sleeve", min_trade=0.0, concentration=0.0, universe=[]))
    w = target(sug)
    assert sug.turnover == pytest.approx(0.06, abs=TOL)
    assert w["CLD"] == pytest.approx(0.57, abs=TOL)
    assert w["CHP"] + w["OTH"] == pytest.approx(0.38, abs=TOL)
    assert w["CASH"] == pytest.approx(0.05, abs=TOL)
    layers = sug.after.layers["weight"]
    assert layers["semiconductor"] / layers[layers.index.isin(AI_LAYERS)].sum() >= 0.4 - TOL


def test_minimum_variance_with_a_diagonal_risk_model_is_inverse_variance(small_web):
    # No costs, no hub term, fully invested: minimize sum s_i^2 w_i^2 with sum w = 1 -> w_i ~ 1 / s_i^2.
    variances = pd.Series({"CLD": 0.04, "CHP": 0.09, "OTH": 0.16})
    cov = pd.DataFrame(np.diag(variances), index=variances.index, columns=variances.index)
    sug = suggest(ex.Portfolio.from_weights(HAND), small_web, Constraints(
        max_weight=1.0, gamma=0.0, transaction_costs=0.0, min_cash=0.0, max_cash=0.0, concentration=0.0,
        universe=[], min_trade=0.0), risk=cov)
    expected = (1 / variances) / (1 / variances).sum()
    for ticker, value in expected.items():
        assert target(sug)[ticker] == pytest.approx(value, abs=1e-5)


# ------------------------------------------------------------------------ every constraint re-checked
def test_every_constraint_holds_on_the_ai_heavy_sample(bundled, ai_heavy):
    c = Constraints(hub_caps={"openai": 0.15, "NVDA": 0.2}, min_cash=0.08, max_turnover=0.9, frozen=["NBIS"],
                    exclude=["META"], stress_caps={"openai_half": 0.08}, preset="balanced-ai")
    sug = suggest(ai_heavy, bundled, c)
    assert sug.status == "optimal" and sug.solver in ("CLARABEL", "HIGHS")
    w = target(sug)
    after = sug.after
    for hub, cap in (("openai", 0.15), ("nvidia", 0.2)):
        assert after.hub(hub)["total"] <= cap + TOL
    names = w.drop("CASH")
    companies = names[[bundled.company_for_ticker(t) is not None for t in names.index]]
    assert companies.max() <= 0.10 + TOL and names.min() >= -TOL  # funds are exempt from max_weight
    # min_cash 0.08 above the current 0.05: stay invested pins cash at max(current, min_cash) = 0.08.
    assert w["CASH"] == pytest.approx(0.08, abs=TOL) and after.coverage["cash_weight"] >= 0.08 - TOL
    assert w.sum() == pytest.approx(1.0, abs=TOL)
    assert w["NBIS"] == pytest.approx(0.05, abs=TOL)
    assert w.get("META", 0.0) <= TOL
    assert sug.turnover <= 0.9 + TOL
    layers = after.layers["weight"]  # fractions of total value, funds looked through
    for layer, (lo, hi) in PRESETS["balanced-ai"]["layer_bands"].items():
        assert lo - TOL <= layers.get(layer, 0.0) <= hi + TOL, layer
    loss = ex.stress(ex.Portfolio.from_weights(w[w > 0].to_dict()), bundled, scenario="openai_half")
    assert loss.portfolio_loss <= 0.08 + TOL
    assert set(sug.trades["action"]) <= {"buy", "sell"}
    assert (sug.trades["weight"] >= 0.0025 * (1 - 1e-6)).all()  # no dust
    described = sug.constraints
    assert described.at["max_weight", "source"] == "default" and described.at["min_cash", "source"] == "given"
    assert "max_weight" in sug.to_dict()["constraints"][0]["constraint"]
    assert "<h4>Suggestion" in sug._repr_html_()


def test_funds_are_looked_through_consistently(bundled):
    pf = ex.Portfolio.from_csv("portfolios/tech_etf.csv")
    before = ex.analyze(pf, bundled).hub("nvidia")["total"]
    cap = round(before * 0.6, 4)
    sug = suggest(pf, bundled, Constraints(hub_caps={"nvidia": cap}))
    assert sug.after.hub("nvidia")["total"] <= cap + TOL
    assert sug.after.hub("nvidia")["total"] == pytest.approx(cap, abs=1e-5)  # the cap binds exactly


def test_trades_in_currency_when_values_are_known(small_web):
    pf = ex.Portfolio.from_frame(pd.DataFrame({"ticker": list(HAND), "market_value": [6000, 2000, 1500, 500]}))
    sug = suggest(pf, small_web, Constraints(hub_caps={"lab": 0.25}, **PLAIN))
    assert sug.trades.at["CLD", "value_usd"] == pytest.approx(0.15 * 10_000, abs=1e-2)


# ---------------------------------------------------------------------------------------- infeasible
def test_infeasible_frozen_against_a_hub_cap_names_both_and_how_far(small_web):
    # CLOUD frozen: selling all of CHIP only brings exposure to 0.325 - 0.025 = 0.30. Or unfreeze CLOUD: with all
    # of CHIP sold, CLOUD must still shed 0.05 / 0.5 = 0.10 (the smallest trade of the frozen name).
    with pytest.raises(ex.InfeasibleError) as caught:
        suggest(ex.Portfolio.from_weights(HAND), small_web,
                Constraints(hub_caps={"lab": 0.25}, frozen=["CLD"], **PLAIN))
    error = caught.value
    groups = {c["group"]: c for c in error.conflicts}
    assert set(groups) == {"hub_caps", "frozen"}
    assert groups["hub_caps"]["needed"] == pytest.approx(0.30, abs=1e-5)
    assert groups["frozen"]["needed"] == pytest.approx(0.10, abs=1e-5)
    assert "hub cap lab 0.25 needs 0.30" in str(error) and "frozen CLD" in str(error)
    assert "infeasible" not in str(error).lower()


def test_infeasible_max_weight_against_max_cash(small_web):
    # Three names at most 0.10 each hold 0.30, so cash is at least 0.70 > 0.50; or max_weight must be 0.5 / 3.
    with pytest.raises(ex.InfeasibleError) as caught:
        suggest(ex.Portfolio.from_weights(HAND), small_web,
                Constraints(max_weight=0.10, max_cash=0.5, gamma=0.0, universe=[]))
    groups = {c["group"]: c for c in caught.value.conflicts}
    assert set(groups) == {"max_weight", "max_cash"}
    assert groups["max_weight"]["needed"] == pytest.approx(0.5 / 3, abs=1e-5)
    assert groups["max_cash"]["needed"] == pytest.approx(0.70, abs=1e-5)
    assert "max_weight 0.10 needs 0.17" in str(caught.value)


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"hub_caps": {"openai": -0.1}}, "hub_caps"),
    ({"layer_bands": {"semiconductor": (0.5, 0.2)}}, "layer_bands"),
    ({"layer_bands": {"chips": (0.1, 0.2)}}, "layer_bands"),
    ({"max_weight": 0.0}, "max_weight"),
    ({"min_cash": 0.3, "max_cash": 0.1}, "max_cash"),
])
def test_malformed_constraints_name_the_field(kwargs, field):
    with pytest.raises(ex.ConstraintError, match=field.split("_")[0]):
        Constraints(**kwargs)


def test_unknown_hub_and_ticker_name_the_field(small_web):
    pf = ex.Portfolio.from_weights(HAND)
    with pytest.raises(ex.ConstraintError, match="hub_caps"):
        suggest(pf, small_web, Constraints(hub_caps={"nobody": 0.1}))
    with pytest.raises(ex.ConstraintError, match="frozen"):
        suggest(pf, small_web, Constraints(frozen=["ZZZZ"]))


# ------------------------------------------------------------------------------- frontier and DPP
def test_frontier_turnover_never_decreases_as_the_cap_tightens(bundled, ai_heavy):
    caps = [0.30, 0.25, 0.20, 0.15, 0.12, 0.10, 0.08]
    table = frontier(ai_heavy, bundled, "openai", caps)
    assert list(table.columns) == ["cap", "turnover", "score", "hub_exposure", "status", "cap_binds", "binding"]
    assert (table["status"] == "optimal").all()
    assert (np.diff(table["turnover"].to_numpy()) >= -1e-6).all()
    assert (table["hub_exposure"] <= table["cap"] + TOL).all()


def test_resolve_with_a_new_cap_reuses_the_compiled_problem(small_web):
    pf = ex.Portfolio.from_weights(HAND)
    first = suggest(pf, small_web, Constraints(hub_caps={"lab": 0.25}, **PLAIN))
    c = Constraints(hub_caps={"lab": 0.2}, **PLAIN)
    from exposure.optimize import problem_data

    data = problem_data(pf, small_web, c)
    program = program_for(shape_of(data), constants(data))
    assert program.main.is_dcp(dpp=True)
    compiled = program.main._cache.param_prog
    assert compiled is not None
    second = suggest(pf, small_web, c)
    assert second.timings["compiled"] is False
    assert program.main._cache.param_prog is compiled  # same compiled parameter->data map: no recompilation
    assert second.turnover == pytest.approx(first.turnover + 0.05 / 0.5, abs=TOL)


def test_cvxpy_is_not_imported_by_import_exposure():
    import subprocess

    code = "import sys, exposure; print('cvxpy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# ----------------------------------------------------------------------------------------------- CLI
def run_cli(args: list[str], monkeypatch, capsys) -> tuple[int, str, str]:
    return tuple(conftest.run_cli(*args))


def test_cli_hub_cap_writes_a_target_under_the_cap(tmp_path, monkeypatch, capsys, bundled):
    out = tmp_path / "target.csv"
    code, stdout, _ = run_cli(["suggest", "portfolios/ai_heavy.csv", "--hub-cap", "openai=0.15", "--out", str(out),
                               "--format", "json"], monkeypatch, capsys)
    assert code == 0
    import json

    data = json.loads(stdout)
    assert data["status"] == "optimal"
    after = ex.analyze(ex.Portfolio.from_csv(out), bundled)
    assert after.hub("openai")["total"] <= 0.15
    assert after.hub("openai")["total"] == pytest.approx(0.15, abs=1e-5)


def test_cli_refuses_to_write_over_the_input(tmp_path, monkeypatch, capsys):
    source = tmp_path / "mine.csv"
    source.write_text("ticker,weight\nNVDA,0.5\nORCL,0.5\n")
    code, _, err = run_cli(["suggest", str(source), "--out", str(source)], monkeypatch, capsys)
    assert code == 2 and "refusing to write over the input" in err
    assert source.read_text() == "ticker,weight\nNVDA,0.5\nORCL,0.5\n"


def test_cli_bad_option_is_one_line_exit_2(monkeypatch, capsys):
    code, _, err = run_cli(["suggest", "portfolios/ai_heavy.csv", "--hub-cap", "openai"], monkeypatch, capsys)
    assert code == 2 and "--hub-cap" in err and len(err.strip().splitlines()) == 1
    code, _, err = run_cli(["suggest", "portfolios/ai_heavy.csv", "--layer", "semiconductor=0.5:0.2"],
                           monkeypatch, capsys)
    assert code == 2 and "layer_bands" in err


def test_a_risk_model_lowers_the_target_variance(bundled):
    # With risk the optimizer minimizes turnover + gamma-term + lambda w'Sw; without, turnover + gamma-term.
    # Optimality of each gives T_r + lambda V_r <= T_n + lambda V_n and T_n <= T_r, hence V_r <= V_n.
    from exposure.risk import RiskModel

    pf = ex.Portfolio.from_csv(conftest.PORTFOLIOS / "ai_heavy.csv")
    universe = ["NVDA", "ORCL", "CRWV", "MSFT", "AMD", "AVGO", "NBIS", "AAPL", "GOOGL", "AMZN", "META", "TSM"]
    layers = {t: bundled.layer_of[bundled.company_for_ticker(t)] for t in universe}
    risk = RiskModel.default(universe, layers)
    constraints = ex.Constraints(universe=universe, hub_caps={"openai": 0.2}, risk_aversion=5.0)
    with_risk = ex.suggest(pf, bundled, constraints, risk=risk)
    without = ex.suggest(pf, bundled, constraints)
    assert with_risk.status == without.status == "optimal"

    def variance(suggestion) -> float:
        w = suggestion.weights["target"].reindex(universe).fillna(0.0).to_numpy()
        return float(w @ risk.covariance.loc[universe, universe].to_numpy() @ w)

    assert variance(with_risk) <= variance(without) + 1e-9
    assert with_risk.after.hub("openai")["total"] <= 0.2 + 1e-6


def test_cli_risk_option_uses_the_prior_and_says_so():
    result = conftest.run_cli("suggest", conftest.PORTFOLIOS / "ai_heavy.csv", "--risk", "prior", "--format", "json")
    assert result.returncode == 0, result.stderr
    notes = " ".join(json.loads(result.stdout)["notes"])
    assert "'default' covariance" in notes
    # Offline, "history" has one snapshot price per name: the prior is used, and the notes say why.
    result = conftest.run_cli("suggest", conftest.PORTFOLIOS / "ai_heavy.csv", "--risk", "history", "--format", "json")
    assert result.returncode == 0 and "Too little price history" in " ".join(json.loads(result.stdout)["notes"])
    bad = conftest.run_cli("suggest", conftest.PORTFOLIOS / "ai_heavy.csv", "--risk", "guess")
    assert bad.returncode == 2 and "'--risk': 'guess' is not one of" in bad.stderr


# ------------------------------------------------------------------ suggestions an investor would trade
def test_openai_at_half_stays_invested_without_dust_and_keeps_every_constraint(bundled, ai_heavy):
    before = ex.analyze(ai_heavy, bundled).hub("openai")["total"]
    cap = before / 2
    c = Constraints(hub_caps={"openai": cap}, preset="balanced-ai")
    sug = suggest(ai_heavy, bundled, c)
    w = target(sug)
    # Stay invested: the sample holds 5% cash and min_cash is 5%, so cash <= max(0.05, 0.05).
    assert w["CASH"] <= max(0.05, c.min_cash) + TOL
    assert (sug.trades["weight"] >= 0.0025 * (1 - 1e-6)).all()
    assert ((sug.weights["target"] == 0) | (sug.weights["target"] >= 1e-9)).all()  # no 4e-09 weights
    after = ex.analyze(ex.Portfolio.from_weights(sug.target.to_dict()), bundled)  # re-analysis of the target
    assert after.hub("openai")["total"] <= cap + TOL
    layers = after.layers["weight"]
    for layer, (lo, hi) in PRESETS["balanced-ai"]["layer_bands"].items():
        assert lo - TOL <= layers.get(layer, 0.0) <= hi + TOL, layer
    companies = w.drop("CASH")[[bundled.company_for_ticker(t) is not None for t in w.drop("CASH").index]]
    assert companies.max() <= c.max_weight + TOL
    assert sug.target.sum() == pytest.approx(1.0, abs=TOL)
    assert any("solved by" in note for note in sug.notes)
    assert len(repr(sug)) < 300 and repr(sug).startswith("Suggestion(")


def test_contradictory_bands_are_infeasible_and_named(bundled, ai_heavy):
    # Two layers of at least 60% of total value each need 120% of it: no portfolio, never an all-cash "optimum".
    with pytest.raises(ex.InfeasibleError) as caught:
        suggest(ai_heavy, bundled, Constraints(layer_bands={"semiconductor": (0.6, 0.9), "neocloud": (0.6, 0.9)}))
    assert "layer" in str(caught.value) and caught.value.conflicts


def test_max_trades_and_min_trade_hold_exactly(small_web):
    # Capping LAB at 0.25 needs selling 0.15 of CLOUD (hand-worked above); proceeds must be reinvested in CHIP or
    # OTHER (stay invested). With one buy allowed at most, the answer has exactly two trades.
    c = Constraints(hub_caps={"lab": 0.25}, max_weight=1.0, max_trades=2, min_trade=0.05, universe=[])
    sug = suggest(ex.Portfolio.from_weights(HAND), small_web, c)
    assert len(sug.trades) <= 2 and (sug.trades["weight"] >= 0.05 - TOL).all()
    assert target(sug)["CASH"] == pytest.approx(0.05, abs=TOL)
    assert sug.after.hub("lab")["total"] <= 0.25 + TOL


def test_whole_shares_with_the_residual_in_cash(small_web):
    # $10,000: CLD 60 shares at $100, CHP 40 at $50, OTH 30 at $50, $500 cash. Prices via a provider stub.
    pf = ex.Portfolio.from_frame(pd.DataFrame({"ticker": ["CLD", "CHP", "OTH", "CASH"], "shares": [60, 40, 30, 500]}))
    prices = {"CLD": 100.0, "CHP": 50.0, "OTH": 50.0}

    class Prices(ex.SnapshotProvider):
        def fundamentals(self, tickers):
            frame = super().fundamentals(tickers)
            for t in tickers:
                if t in prices:
                    frame.loc[t, "price_usd"] = prices[t]
            return frame

    sug = suggest(pf, small_web, Constraints(hub_caps={"lab": 0.2}, max_weight=1.0, universe=[]), market=Prices())
    shares = sug.trades["shares"]
    assert (shares == shares.round()).all() and shares.notna().all()
    for ticker, row in sug.trades.iterrows():
        assert row["weight"] * 10_000 == pytest.approx(row["shares"] * prices[ticker], abs=1e-6)
    assert sug.after.hub("lab")["total"] <= 0.2 + TOL
    assert target(sug)["CASH"] >= 0.05 - TOL


def test_tax_rate_sells_the_loser_first(small_web):
    # CHP and OTH load equally on nothing; CLD must shed exposure. Make CHP and OTH both sellable by a cap on CHIP's
    # layer: the one with the gain costs tax_rate * gain / value more per unit sold, so the loser is sold.
    frame = pd.DataFrame({"ticker": ["CLD", "CHP", "OTH", "CASH"], "market_value": [6000, 2000, 1500, 500]})
    pf = ex.Portfolio.from_frame(frame)
    pf.positions["cost_basis"] = [6000, 1000, 3000, 500]  # as broker exports give it (total per position)
    c = Constraints(max_weight=1.0, layer_bands={"semiconductor": (0.0, 0.25)}, tax_rate=0.3, universe=[],
                    max_cash=1.0, gamma=0.0, concentration=0.0)
    sug = suggest(pf, small_web, c)
    # Semiconductors are 0.35 and must fall to 0.25: selling 0.10 of OTH (a loss) costs 0.10; CHP would cost
    # 0.10 * (1 + 0.3 * 0.5) = 0.115.
    assert sug.trades.index.tolist() == ["OTH"] and sug.trades.at["OTH", "weight"] == pytest.approx(0.10, abs=TOL)


def test_suggest_json_parses_and_names_the_solver():
    result = conftest.run_cli("suggest", conftest.PORTFOLIOS / "ai_heavy.csv", "--hub-cap", "openai=0.1",
                              "--preset", "balanced-ai", "--max-trades", "12", "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["status"] == "optimal" and len(data["trades"]) <= 12
    assert result.stderr == ""


def test_frontier_returns_compositions_and_says_what_flattens_it(bundled, ai_heavy):
    table, weights = frontier(ai_heavy, bundled, "openai", [0.30, 0.10], return_weights=True)
    assert list(weights.columns) == [0.30, 0.10]
    assert weights.sum().to_numpy() == pytest.approx([1.0, 1.0], abs=TOL)
    # At 0.30 the cap is slack (OpenAI exposure is below it once max_weight is met), so max_weight decides.
    assert not table.at[0, "cap_binds"] and "max_weight" in table.at[0, "binding"]
    assert table.at[1, "cap_binds"]


def test_a_bought_bond_fund_is_named_and_counts_as_other_not_unmapped(bundled, ai_heavy):
    """BND holds only bonds (BOND: rows, no company of the web): bought, it shows its name from universe.csv
    and layer ``other``, as analyze() labels a fund's holdings outside the web, never ``unmapped``."""
    sug = suggest(ai_heavy, bundled, Constraints(hub_caps={"openai": 0.0}))  # VTI and VXUS load on OpenAI: BND
    rows = sug.weights
    bought = rows.loc[sug.trades.index[sug.trades["action"] == "buy"]]
    assert "unmapped" not in set(rows["layer"])
    assert rows.at["BND", "name"].startswith("Vanguard Total Bond Market ETF") and rows.at["BND", "layer"] == "other"
    assert len(bought) and set(bought["layer"]) == {"other"}  # the proceeds go to diversifiers outside the web


def test_funds_held_without_bundled_holdings_are_not_capped_like_one_stock(bundled):
    """max_weight caps any *single stock* at 10%; AGG (a bond fund, no bundled holdings) is many names. A 60% AGG,
    40% NVDA holder is told to trim Nvidia to 10% (30% of value moves), 5% to the cash floor, and the other 25%
    to AGG (the held fund outside the web: it loads on no hub, so the hub term prefers it to VTI): 0.85. A fund
    is never capped like one stock."""
    pf = ex.Portfolio.from_weights({"AGG": 0.6, "NVDA": 0.4})
    sug = suggest(pf, bundled)
    rows = sug.weights
    assert rows.at["AGG", "target"] == pytest.approx(0.85, abs=1e-6)
    assert rows.at["NVDA", "target"] == pytest.approx(0.10, abs=1e-6)
    assert sug.trades.at["AGG", "action"] == "buy"
