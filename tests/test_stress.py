"""stress(): scenarios on the deal web, agreement with analyze(), fails-to-pay clearing, files and CLI."""

from __future__ import annotations

import io
import json
import sys

import numpy as np
import pytest
from typer.testing import CliRunner

import exposure as ex
from exposure.analyze import build_context
from exposure.cli import app, main
from exposure.errors import DealWebError, ExposureError, ScenarioError
from exposure.network import hub_exposures
from exposure.scenarios import Scenario, StressResult, load_scenarios, stress, stress_context

AI_HEAVY = {"NVDA": 0.22, "ORCL": 0.18, "CRWV": 0.14, "MSFT": 0.14, "AMD": 0.12, "AVGO": 0.10, "NBIS": 0.05,
            "CASH": 0.05}

# A three-company web small enough to clear by hand (USD bn; contracts spread evenly over 5 years):
#   lab -> cloud 100 (20 a year), lab -> neo 50 (10 a year), neo -> cloud 50 (10 a year).
#   Forward revenue F = revenue + annual amounts received: cloud 70 + 20 + 10 = 100, neo 30 + 10 = 40.
#   L[cloud, lab] = 20/100 = 0.2, L[cloud, neo] = 10/100 = 0.1, L[neo, lab] = 10/40 = 0.25.
#   (fund -> app, an equity deal away from the three, keeps the web's equity layer non-empty.)
COMPANIES = """id,name,ticker,layer,revenue_usd_bn,market_cap_usd_bn,as_of,source_url,notes
lab,Lab,,model_lab,10,,2026-01-01,https://example.org,
cloud,Cloud,CLD,hyperscaler_cloud,70,500,2026-01-01,https://example.org,
neo,Neo,NEO,neocloud,30,100,2026-01-01,https://example.org,
fund,Fund,FND,investor,5,50,2026-01-01,https://example.org,
app,App,,application,5,,2026-01-01,https://example.org,
"""
DEALS = """id,payer,payee,type,amount_usd_bn,duration_years,announced,status,source_url,notes
d1,lab,cloud,cloud_compute_contract,100,5,2025-01,completed,https://example.org,
d2,lab,neo,cloud_compute_contract,50,5,2025-01,completed,https://example.org,
d3,neo,cloud,cloud_compute_contract,50,5,2025-01,completed,https://example.org,
d4,fund,app,equity_investment,1,,2025-01,completed,https://example.org,unrelated to the three above
"""


@pytest.fixture(scope="module")
def web() -> ex.DealWeb:
    return ex.DealWeb.bundled()


@pytest.fixture(scope="module")
def pf() -> ex.Portfolio:
    return ex.Portfolio.from_weights(AI_HEAVY)


@pytest.fixture(scope="module")
def small() -> ex.DealWeb:
    return ex.DealWeb.from_csv(io.StringIO(COMPANIES), io.StringIO(DEALS))


@pytest.fixture(scope="module")
def small_pf() -> ex.Portfolio:
    return ex.Portfolio.from_weights({"CLD": 0.5, "NEO": 0.5})


# --------------------------------------------------------------------------------------------------
# agreement with analyze()
# --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("hub", ["openai", "nvidia", "oracle"])
def test_wiping_out_a_hub_reproduces_its_exposure(pf, web, hub):
    # DESIGN 5: x_h = (I - L_h)^-1 L[:, h] is the linear DebtRank loss with h at 1 (h absorbs because its
    # loss is capped) when nothing else saturates; the portfolio loss is then the hub's total exposure.
    ctx = build_context(pf, web)
    result = stress_context(ctx, shocks={hub: 1.0})
    losses = result.companies["total"].reindex(ctx.ids).fillna(0.0).to_numpy()
    position = ctx.index[hub]
    others = np.delete(losses, position)
    assert others.max() < 1, "another company saturates: the identity does not apply"
    expected = hub_exposures(ctx.L, [position])[:, 0]
    np.testing.assert_allclose(np.delete(losses, position), np.delete(expected, position), atol=1e-10)
    report = ex.analyze(pf, web)
    assert result.portfolio_loss == pytest.approx(report.hubs.loc[hub, "total"], abs=1e-10)


def test_names_and_tickers_resolve_to_the_same_stress(pf, web):
    by_id = stress(pf, web, shocks={"nvidia": 0.4}).portfolio_loss
    assert stress(pf, web, shocks={"NVDA": 0.4}).portfolio_loss == pytest.approx(by_id)
    assert stress(pf, web, shocks={"Nvidia": 0.4}).portfolio_loss == pytest.approx(by_id)


def test_result_parts_add_up(pf, web):
    res = stress(pf, web, shocks={"openai": 0.5})
    assert isinstance(res, StressResult)
    assert 0 < res.lower_bound <= res.portfolio_loss < 1
    assert res.direct_loss + res.network_loss == pytest.approx(res.portfolio_loss)
    assert res.holdings["contribution"].sum() == pytest.approx(res.portfolio_loss)
    np.testing.assert_allclose(res.companies["first_round"] + res.companies["later_rounds"],
                               res.companies["total"])
    # alpha 0 of the sweep is linear DebtRank; losses fall as alpha rises
    sweep = res.sensitivity.set_index("alpha")["portfolio_loss"]
    assert sweep[0.0] == pytest.approx(res.portfolio_loss)
    assert sweep.is_monotonic_decreasing
    assert res.companies.loc["openai", "shock"] == 0.5
    assert list(res.companies.columns) == ["name", "layer", "shock", "first_round", "later_rounds", "total",
                                           "lower_bound"]
    cash = res.holdings[res.holdings["ticker"] == "CASH"]
    assert (cash["loss"] == 0).all()


def test_a_held_hub_loses_its_shock_directly(web):
    only_nvidia = ex.Portfolio.from_weights({"NVDA": 1.0})
    res = stress(only_nvidia, web, shocks={"nvidia": 0.4})
    # Nvidia's own loss is at least its shock; feedback through the web can only add to it.
    assert res.portfolio_loss >= 0.4
    assert res.companies.loc["nvidia", "total"] == pytest.approx(res.portfolio_loss)


def test_methods_order(pf, web):
    linear = stress(pf, web, shocks={"openai": 0.5}).portfolio_loss
    original = stress(pf, web, shocks={"openai": 0.5}, method="original").portfolio_loss
    nonlinear = stress(pf, web, shocks={"openai": 0.5}, method="nonlinear", alpha=2).portfolio_loss
    assert original <= linear and nonlinear <= linear


def test_output_formats(pf, web):
    res = stress(pf, web, scenario="openai_half")
    data = json.loads(res.to_json())
    assert data["scenario"] == "openai_half" and data["shocks"] == {"openai": 0.5}
    assert {"portfolio_loss", "lower_bound", "companies", "holdings", "sensitivity"} <= set(data)
    assert "Portfolio loss" in res._repr_html_()
    assert "openai_half" in str(res) and "lower bound" in str(res)


# --------------------------------------------------------------------------------------------------
# "fails to pay": Eisenberg-Noe on the contract layer, worked by hand on the small web
# --------------------------------------------------------------------------------------------------

def test_lab_fails_to_pay_with_half_its_obligations(small, small_pf):
    # lab owes 20 + 10 = 30 a year and has 15: it pays half of each contract.
    # Creditors' shocks = dependence * unpaid share: cloud 0.2 * 0.5 = 0.1, neo 0.25 * 0.5 = 0.125.
    # The lab's revenue edges leave L (their effect is the shock); cloud still depends on neo (0.1):
    # cloud = 0.1 + 0.1 * 0.125 = 0.1125, neo = 0.125, lab wiped out (1).
    # Portfolio 50/50 cloud/neo: 0.5 * 0.1125 + 0.5 * 0.125 = 0.11875.
    res = stress(small_pf, small, defaults={"lab": 15.0})
    np.testing.assert_allclose(res.companies["total"][["lab", "cloud", "neo"]], [1.0, 0.1125, 0.125])
    assert res.portfolio_loss == pytest.approx(0.11875)
    clearing = res.clearing
    assert clearing.loc["lab", "paid_usd_bn"] == pytest.approx(15.0)
    assert clearing.loc["cloud", "unpaid_to_it_usd_bn"] == pytest.approx(10.0)
    assert clearing.loc["neo", "unpaid_to_it_usd_bn"] == pytest.approx(5.0)


def test_two_defaulters_clear_jointly(small, small_pf):
    # lab has 15 (pays half: 10 to cloud, 5 to neo); neo has 0 and passes on the 5 it gets of the 10 it
    # owes cloud. Cloud's shock = 0.2 * 0.5 + 0.1 * 0.5 = 0.15, with no edge left; neo is wiped out.
    # Portfolio: 0.5 * 0.15 + 0.5 * 1 = 0.575.
    res = stress(small_pf, small, defaults={"lab": 15.0, "neo": 0.0})
    assert res.clearing.loc["neo", "paid_usd_bn"] == pytest.approx(5.0)
    assert res.companies.loc["cloud", "total"] == pytest.approx(0.15)
    assert res.portfolio_loss == pytest.approx(0.575)


def test_default_resources_default_to_revenue(small, small_pf):
    # lab's revenue is 10: it pays a third, so 2/3 unpaid. cloud 0.2 * 2/3 + 0.1 * (0.25 * 2/3) = 0.15.
    res = stress(small_pf, small, defaults={"lab": None})
    assert res.defaults == {"lab": 10.0}
    assert res.companies.loc["cloud", "total"] == pytest.approx(0.15)
    assert res.companies.loc["neo", "total"] == pytest.approx(0.25 * 2 / 3)


def test_paying_nothing_equals_wiping_out_through_contracts(small, small_pf):
    # With only contract edges, a lab that pays nothing costs its suppliers exactly what its wipe-out does:
    # cloud = 0.2 + 0.1 * 0.25 = 0.225, neo = 0.25.
    wiped = stress(small_pf, small, shocks={"lab": 1.0})
    unpaid = stress(small_pf, small, defaults={"lab": 0.0})
    assert unpaid.portfolio_loss == pytest.approx(wiped.portfolio_loss)
    assert unpaid.portfolio_loss == pytest.approx(0.5 * 0.225 + 0.5 * 0.25)


def test_paying_in_full_leaves_suppliers_whole(small, small_pf):
    res = stress(small_pf, small, defaults={"lab": 30.0})
    assert res.portfolio_loss == pytest.approx(0.0)
    assert res.clearing.loc["lab", "paid_usd_bn"] == pytest.approx(30.0)


def test_bundled_openai_default_hits_its_suppliers(pf, web):
    res = stress(pf, web, scenario="openai_default")
    assert res.clearing.loc["openai", "paid_usd_bn"] < res.clearing.loc["openai", "owed_usd_bn"]
    assert res.companies.loc["openai", "total"] == 1.0
    assert 0 < res.lower_bound <= res.portfolio_loss < 1


# --------------------------------------------------------------------------------------------------
# bad input
# --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, error, match", [
    ({"shocks": {"opnai": 0.5}}, DealWebError, "Did you mean"),
    ({"shocks": {"openai": 1.5}}, ScenarioError, r"\[0, 1\]"),
    ({"shocks": {"openai": -0.1}}, ScenarioError, r"\[0, 1\]"),
    ({"shocks": {"openai": "half"}}, ScenarioError, r"\[0, 1\]"),
    ({"shocks": {"openai": 0.5, "OpenAI": 0.2}}, ScenarioError, "already shocked"),
    ({"shocks": {"openai": 0.5}, "alphas": (0, -1)}, ScenarioError, "alpha"),
    ({"shocks": {"openai": 0.5}, "method": "nonlinear", "alpha": -2}, ScenarioError, "alpha"),
    ({"shocks": {"openai": 0.5}, "method": "quadratic"}, ScenarioError, "unknown method"),
    ({}, ScenarioError, "no shock"),
    ({"defaults": {"openai": -3}}, ScenarioError, "resources"),
    ({"shocks": {"openai": 0.5}, "defaults": {"openai": 1}}, ScenarioError, "both shocked"),
    ({"scenario": "nope"}, ScenarioError, "unknown scenario"),
])
def test_bad_stress_input_is_one_clear_line(pf, web, kwargs, error, match):
    with pytest.raises(error, match=match) as info:
        stress(pf, web, **kwargs)
    assert "\n" not in str(info.value)


# --------------------------------------------------------------------------------------------------
# scenario files
# --------------------------------------------------------------------------------------------------

def test_bundled_scenarios():
    scenarios = load_scenarios()
    assert {"openai_half", "openai_default", "nvidia_40", "neocloud_default"} <= set(scenarios)
    assert scenarios["openai_half"].shocks == {"openai": 0.5}
    assert scenarios["nvidia_40"].shocks == {"nvidia": 0.4}
    assert scenarios["openai_default"].defaults == {"openai": None}
    assert scenarios["labs_half"].shocks == {"openai": 0.5, "anthropic": 0.5}


def test_every_bundled_scenario_runs(pf, web):
    ctx = build_context(pf, web)
    for sc in load_scenarios().values():
        res = stress_context(ctx, sc.shocks, sc.defaults)
        assert 0 <= res.lower_bound <= res.portfolio_loss <= 1


def test_user_scenario_file(tmp_path, pf, web):
    path = tmp_path / "mine.csv"
    path.write_text("scenario,description,company,shock,kind\nmy_crash,Nvidia and AMD halve,NVDA,50%,shock\n"
                    "my_crash,Nvidia and AMD halve,amd,0.5,shock\nlab_out,,openai,13,default\n")
    scenarios = load_scenarios(path)
    assert scenarios["my_crash"] == Scenario("my_crash", "Nvidia and AMD halve", {"NVDA": 0.5, "amd": 0.5}, {})
    assert scenarios["lab_out"].defaults == {"openai": 13.0}
    res = stress(pf, web, scenario=scenarios["my_crash"])
    assert res.shocks == {"nvidia": 0.5, "amd": 0.5}


@pytest.mark.parametrize("text, match", [
    ("scenario,company\nx,openai\n", "missing column"),
    ("scenario,description,company,shock,kind\nx,,openai,1.5,shock\n", r"row 2, column 'shock'"),
    ("scenario,description,company,shock,kind\nx,,openai,half,shock\n", r"row 2, column 'shock'"),
    ("scenario,description,company,shock,kind\nx,,openai,-5,default\n", r"row 2, column 'shock'"),
    ("scenario,description,company,shock,kind\nx,,openai,0.5,crash\n", r"row 2, column 'kind'"),
    ("scenario,description,company,shock,kind\n,,openai,0.5,shock\n", r"row 2, column 'scenario'"),
    ("scenario,description,company,shock,kind\nx,,,0.5,shock\n", r"row 2, column 'company'"),
    ("scenario,description,company,shock,kind\nx,,openai,0.5,shock\nx,,OpenAI,0.2,shock\n",
     r"row 3, column 'company'.*twice"),
    ("scenario,description,company,shock,kind\n", "no scenarios"),
])
def test_malformed_scenario_file(tmp_path, text, match):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(ScenarioError, match=match) as info:
        load_scenarios(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_missing_scenario_file(tmp_path):
    with pytest.raises(ScenarioError, match="file not found"):
        load_scenarios(tmp_path / "absent.csv")


# --------------------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------------------

@pytest.fixture()
def holdings_file(tmp_path):
    path = tmp_path / "ai_heavy.csv"
    path.write_text("ticker,weight\n" + "".join(f"{t},{w}\n" for t, w in AI_HEAVY.items()))
    return path


def run_main(monkeypatch, args: list[str]) -> tuple[int, str, str]:
    """Run the real entry point (which maps user errors to exit 2) inside CliRunner's isolation."""
    monkeypatch.setattr(sys, "argv", ["exposure", *args])
    runner = CliRunner()
    with runner.isolation() as streams:
        try:
            main()
            code = 0
        except SystemExit as stop:
            code = int(stop.code or 0)
        out, err = streams[0].getvalue().decode(), streams[1].getvalue().decode()
    return code, out, err


def test_cli_stress_scenario_prints_loss_bound_and_holdings(holdings_file):
    result = CliRunner().invoke(app, ["stress", str(holdings_file), "--scenario", "openai_half"])
    assert result.exit_code == 0, result.output
    assert "loses" in result.output and "lower bound" in result.output
    assert "ORCL" in result.output and "Holdings that carry the loss" in result.output


def test_cli_stress_shock_json_matches_api(holdings_file, pf, web):
    result = CliRunner().invoke(app, ["stress", str(holdings_file), "--shock", "openai=0.5", "--shock",
                                      "NVDA=40%", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    expected = stress(pf, web, shocks={"openai": 0.5, "nvidia": 0.4})
    assert data["portfolio_loss"] == pytest.approx(expected.portfolio_loss)


def test_cli_stress_default_and_csv(holdings_file):
    result = CliRunner().invoke(app, ["stress", str(holdings_file), "--default", "openai", "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0].startswith("holding,ticker")


def test_cli_scenarios_lists_bundled_and_user_files(tmp_path):
    result = CliRunner().invoke(app, ["scenarios", "--format", "json"])
    assert result.exit_code == 0
    assert "openai_half" in {row["scenario"] for row in json.loads(result.output)}
    path = tmp_path / "one.csv"
    path.write_text("scenario,description,company,shock,kind\nsolo,,amd,0.3,shock\n")
    result = CliRunner().invoke(app, ["scenarios", "--scenario-file", str(path)])
    assert result.exit_code == 0 and "solo" in result.output


def test_cli_scenario_file_with_a_single_scenario_runs(holdings_file, tmp_path):
    path = tmp_path / "one.csv"
    path.write_text("scenario,description,company,shock,kind\nsolo,,amd,0.3,shock\n")
    result = CliRunner().invoke(app, ["stress", str(holdings_file), "--scenario-file", str(path)])
    assert result.exit_code == 0, result.output
    assert "solo" in result.output


@pytest.mark.parametrize("extra, match", [
    (["--shock", "opnai=0.5"], "unknown company 'opnai'"),
    (["--shock", "openai=1.5"], r"\[0, 1\]"),
    (["--shock", "openai"], "COMPANY=FRACTION"),
    (["--shock", "openai=0.5", "--alphas=-1,0"], "-1 is not a finite number >= 0"),
    (["--shock", "openai=0.5", "--method", "nonlinear", "--alpha=-1"], "alpha"),
    (["--scenario", "nope"], "unknown scenario"),
    ([], "nothing to stress"),
    (["--shock", "openai=0.5", "--scenario", "openai_half"], "not both"),
])
def test_cli_user_mistakes_exit_2_with_one_line(monkeypatch, holdings_file, extra, match):
    code, out, err = run_main(monkeypatch, ["stress", str(holdings_file), *extra])
    assert code == 2
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:")
    assert __import__("re").search(match, lines[0]), lines[0]


def test_cli_malformed_scenario_file_exits_2(monkeypatch, holdings_file, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("scenario,description,company,shock,kind\nx,,openai,2,shock\n")
    code, _, err = run_main(monkeypatch, ["stress", str(holdings_file), "--scenario-file", str(path)])
    assert code == 2 and "row 2, column 'shock'" in err and len(err.strip().splitlines()) == 1
    code, _, err = run_main(monkeypatch, ["scenarios", "--scenario-file", str(path)])
    assert code == 2 and "row 2" in err


def test_errors_are_exposure_errors():
    assert issubclass(ScenarioError, ExposureError) and issubclass(DealWebError, ExposureError)


def test_public_name_is_the_function():
    assert callable(ex.stress) and ex.stress is stress
