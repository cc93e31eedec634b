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
from exposure.optimize import Constraints, frontier, program_for, shape_of, suggest

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
PLAIN = {"max_weight": 1.0, "layer_bands": {}, "gamma": 0.0}  # only what a test adds


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
    assert list(sug.trades["ticker"]) == ["CLD"] and sug.trades.at[0, "action"] == "sell"
    assert sug.after.hub("lab")["total"] <= 0.25 + TOL
    assert sug.binding["constraint"].str.contains("hub cap lab").any()


def test_layer_band_on_the_ai_sleeve_hand_worked(small_web):
    # Semiconductors are 0.35 of a 0.95 AI sleeve; at least 40% is needed. Selling s of CLOUD and buying y <= s
    # of chips: 0.6 y + 0.4 s >= 0.03 at cost s + y; the optimum is s = y = 0.03 (cost 0.06), cheaper than
    # selling 0.075 of CLOUD alone.
    sug = suggest(ex.Portfolio.from_weights(HAND), small_web,
                  Constraints(max_weight=1.0, gamma=0.0, layer_bands={"semiconductor": (0.4, 1.0)}))
    w = target(sug)
    assert sug.turnover == pytest.approx(0.06, abs=TOL)
    assert w["CLD"] == pytest.approx(0.57, abs=TOL)
    assert w["CHP"] + w["OTH"] == pytest.approx(0.38, abs=TOL)
    assert w["CASH"] == pytest.approx(0.05, abs=TOL)
    layers = sug.after.layers["weight"]
    assert layers["semiconductor"] / layers[layers.index.isin(AI_LAYERS)].sum() >= 0.4 - TOL


def test_minimum_variance_with_a_diagonal_risk_model_is_inverse_variance(small_web):
    # No costs, no hub term, fully invested: minimise sum s_i^2 w_i^2 with sum w = 1 -> w_i ~ 1 / s_i^2.
    variances = pd.Series({"CLD": 0.04, "CHP": 0.09, "OTH": 0.16})
    cov = pd.DataFrame(np.diag(variances), index=variances.index, columns=variances.index)
    sug = suggest(ex.Portfolio.from_weights(HAND), small_web, Constraints(
        max_weight=1.0, layer_bands={}, gamma=0.0, transaction_costs=0.0, min_cash=0.0, max_cash=0.0), risk=cov)
    expected = (1 / variances) / (1 / variances).sum()
    for ticker, value in expected.items():
        assert target(sug)[ticker] == pytest.approx(value, abs=1e-5)


# ------------------------------------------------------------------------ every constraint re-checked
def test_every_constraint_holds_on_the_ai_heavy_sample(bundled, ai_heavy):
    c = Constraints(hub_caps={"openai": 0.15, "NVDA": 0.2}, min_cash=0.08, max_turnover=0.9, frozen=["NBIS"],
                    exclude=["META"], stress_caps={"openai_half": 0.08})
    sug = suggest(ai_heavy, bundled, c)
    assert sug.status == "optimal" and sug.solver in ("CLARABEL", "HIGHS")
    w = target(sug)
    after = sug.after
    for hub, cap in (("openai", 0.15), ("nvidia", 0.2)):
        assert after.hub(hub)["total"] <= cap + TOL
    names = w.drop("CASH")
    assert names.max() <= 0.10 + TOL and names.min() >= -TOL
    assert w["CASH"] >= 0.08 - TOL and after.coverage["cash_weight"] >= 0.08 - TOL
    assert w.sum() == pytest.approx(1.0, abs=TOL)
    assert w["NBIS"] == pytest.approx(0.05, abs=TOL)
    assert w.get("META", 0.0) <= TOL
    assert sug.turnover <= 0.9 + TOL
    layers = after.layers["weight"]
    sleeve = layers[layers.index.isin(AI_LAYERS)].sum()
    for layer in ("semiconductor", "hyperscaler_cloud", "neocloud"):
        share = layers.get(layer, 0.0) / sleeve
        assert 0.20 - TOL <= share <= 0.45 + TOL, layer
    loss = ex.stress(ex.Portfolio.from_weights(w[w > 0].to_dict()), bundled, scenario="openai_half")
    assert loss.portfolio_loss <= 0.08 + TOL
    assert set(sug.trades["action"]) <= {"buy", "sell"}
    described = sug.constraints
    assert described.at["max_weight", "source"] == "default" and described.at["min_cash", "source"] == "given"
    assert "max_weight" in sug.to_dict()["constraints"][0]["constraint"]
    assert "<h4>Suggestion" in sug._repr_html_()


def test_funds_are_looked_through_consistently(bundled):
    pf = ex.Portfolio.from_csv("portfolios/tech_etf.csv")
    before = ex.analyze(pf, bundled).hub("nvidia")["total"]
    cap = round(before * 0.6, 4)
    sug = suggest(pf, bundled, Constraints(hub_caps={"nvidia": cap}, layer_bands={}))
    assert sug.after.hub("nvidia")["total"] <= cap + TOL
    assert sug.after.hub("nvidia")["total"] == pytest.approx(cap, abs=1e-5)  # the cap binds exactly


def test_trades_in_currency_when_values_are_known(small_web):
    pf = ex.Portfolio.from_frame(pd.DataFrame({"ticker": list(HAND), "market_value": [6000, 2000, 1500, 500]}))
    sug = suggest(pf, small_web, Constraints(hub_caps={"lab": 0.25}, **PLAIN))
    assert sug.trades.at[0, "value_usd"] == pytest.approx(0.15 * 10_000, abs=1e-2)


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
                Constraints(max_weight=0.10, max_cash=0.5, layer_bands={}, gamma=0.0))
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
    assert list(table.columns) == ["cap", "turnover", "score", "hub_exposure", "status"]
    assert (table["status"] == "optimal").all()
    assert (np.diff(table["turnover"].to_numpy()) >= -1e-6).all()
    assert (table["hub_exposure"] <= table["cap"] + TOL).all()


def test_resolve_with_a_new_cap_reuses_the_compiled_problem(small_web):
    pf = ex.Portfolio.from_weights(HAND)
    first = suggest(pf, small_web, Constraints(hub_caps={"lab": 0.25}, **PLAIN))
    c = Constraints(hub_caps={"lab": 0.2}, **PLAIN)
    from exposure.optimize import problem_data

    program = program_for(shape_of(problem_data(pf, small_web, c)))
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
    # With risk the optimiser minimises turnover + gamma-term + lambda w'Sw; without, turnover + gamma-term.
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
