"""analyze() on a hand-built web (numbers by hand) and on the bundled web and samples."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from conftest import PORTFOLIOS, ROOT

import exposure as ex

# From tests/test_network.py: the entries of L for the small web, worked out by hand.
L_CLOUD_LAB, L_CHIP_CLOUD, L_CHIP_LAB, L_LAB_CHIP = 0.4, 7.5 / 74.5, 7 / 74.5 + 0.02, 0.25


def test_hub_table_by_hand(small_web):
    report = ex.analyze(ex.Portfolio.from_weights({"CLD": 0.5, "CHP": 0.5}), small_web)
    lab = report.hubs.loc["lab"]
    assert lab["direct"] == 0
    assert lab["first_order"] == pytest.approx(0.5 * L_CLOUD_LAB + 0.5 * L_CHIP_LAB, abs=1e-9)
    assert lab["network"] == pytest.approx(0.5 * L_CHIP_CLOUD * L_CLOUD_LAB, abs=1e-9)
    assert lab["total"] == pytest.approx(lab["direct"] + lab["first_order"] + lab["network"], abs=1e-15)
    chip = report.hubs.loc["chip"]
    # Cloud reaches chip only through lab: 0.4 * 0.25 = 0.1.
    assert (chip["direct"], chip["first_order"]) == (0.5, 0)
    assert chip["network"] == pytest.approx(0.5 * 0.1, abs=1e-9)
    # Cloud is the largest hub: held 50% plus chip's dependence on it around the chip <-> lab cycle.
    x_chip = L_CHIP_CLOUD / (1 - L_CHIP_LAB * L_LAB_CHIP)
    assert report.hubs.index[0] == "cloud"
    assert report.hubs.loc["cloud", "total"] == pytest.approx(0.5 + 0.5 * x_chip, abs=1e-9)
    assert report.score == pytest.approx(100 * (0.5 + 0.5 * x_chip))
    assert report.grade == "extreme"
    # 50% held directly, 0.5 x_chip = 5.2% through Chip Co's deals with Lab.
    assert report.headline() == ("Extreme AI concentration (55/100): 55% of this portfolio's value rides on "
                                 "Cloud Co, 50% held directly and 5% through Chip Co's deals.")


def test_paths_add_up_to_the_total(small_web):
    report = ex.analyze(ex.Portfolio.from_weights({"CLD": 0.5, "CHP": 0.5}), small_web)
    paths = report.paths("Lab")
    assert list(paths["chain"]) == ["Cloud Co -> Lab", "Chip Co -> Lab", "Chip Co -> Cloud Co -> Lab"]
    assert list(paths["exposure"]) == pytest.approx([0.2, 0.5 * L_CHIP_LAB, 0.5 * L_CHIP_CLOUD * 0.4])
    assert paths["share"].sum() == pytest.approx(1.0)
    assert "D1" in paths.iloc[0]["deals"] and "D2" in paths.iloc[2]["deals"]


def test_explain_one_hub_by_hand(small_web):
    report = ex.analyze(ex.Portfolio.from_weights({"CLD": 0.5, "CHP": 0.5}), small_web)
    # Lab: 0.2 + 0.5 x 0.11396 + 0.5 x 0.10067 x 0.4 = 0.2771, none of it held: 28% through deals.
    text = report.explain("Lab")
    assert text.startswith("28% of this portfolio's value rides on Lab, all of it through deals.")
    assert "Largest chains of deals: CLD: Cloud Co -> Lab, 20.0% of value (deals D1" in text
    assert "CHP: Chip Co -> Lab, 5.7% of value" in text and "Chip Co -> Cloud Co -> Lab, 2.0% of value" in text
    # Chip Co: 50% held, 5% through Cloud Co -> Lab -> Chip Co; the held row is not repeated as a chain.
    chip = report.explain("CHP")
    assert chip.startswith("55% of this portfolio's value rides on Chip Co, 50% held directly and 5% through deals.")
    assert "(held directly)" not in chip
    # Lab depends on Investor's funding (D4, 0.125): 0.2771 / (1 - 0.25 x 0.11396) x 0.125 = 0.036, 4%.
    assert report.explain("inv").startswith("4% of this portfolio's value rides on Investor, all of it through deals")
    # Coca-Cola is outside the web: nothing rides on Apple.
    outside = ex.analyze(ex.Portfolio.from_weights({"KO": 1.0}))
    assert outside.explain("AAPL") == "No part of this portfolio's value rides on Apple."
    with pytest.raises(ex.DealWebError, match="Did you mean"):
        report.explain("Labb")


def test_cash_unmapped_and_normalization(small_web):
    pf = ex.Portfolio.from_weights({"cld": 4, "CHP": 4, "CASH": 1, "ZZZZ": 1})
    report = ex.analyze(pf, small_web)
    assert report.coverage["unmapped_weight"] == pytest.approx(0.1)
    assert report.coverage["unmapped_tickers"] == ["ZZZZ"]
    assert report.coverage["cash_weight"] == pytest.approx(0.1)
    assert any("normalized" in note for note in report.notes)
    assert report.layers.loc["cash", "weight"] == pytest.approx(0.1)
    assert report.hubs.loc["chip", "direct"] == pytest.approx(0.4)
    assert report.metrics["ai_share"] == pytest.approx(0.8)
    # Name HHI over the three non-cash positions 0.4, 0.4, 0.1 (renormalized): (16+16+1)/81.
    assert report.metrics["name_hhi"] == pytest.approx(33 / 81)


def test_hubs_option_and_resolution(small_web):
    report = ex.analyze(ex.Portfolio.from_weights({"CLD": 1}), small_web, hubs=["Lab", "CHP"])
    assert set(report.hubs.index) == {"lab", "chip"}
    assert report.hub("chp")["total"] == pytest.approx(0.1)
    with pytest.raises(ex.DealWebError, match="Did you mean"):
        report.paths("labb")


def test_ai_heavy_sample_has_network_exposure():
    report = ex.analyze(ex.Portfolio.from_csv(PORTFOLIOS / "ai_heavy.csv"))
    for hub in ("openai", "nvidia"):
        assert report.hubs.loc[hub, "network"] > 0
    openai = report.paths("OpenAI", top=5)
    assert openai.iloc[0]["holding"] == "ORCL" and "D004" in openai.iloc[0]["deals"]
    assert 0 < report.score <= 100
    data = json.loads(report.to_json())
    assert {"score", "grade", "hub", "explain", "metrics", "hubs", "layers", "coverage", "parameters"} <= set(data)
    assert "<h4>AI concentration" in report._repr_html_()


def test_estimates_switch_halves_openai_exposure():
    # DESIGN 4 sanity check: ~30% total OpenAI exposure with gigawatt conversions, ~15% without.
    pf = ex.Portfolio.from_weights({"NVDA": .22, "ORCL": .18, "CRWV": .14, "MSFT": .14, "AMD": .12, "AVGO": .10,
                                    "NBIS": .05})
    with_gw = ex.analyze(pf).hubs.loc["openai", "total"]
    without = ex.analyze(pf, model=ex.ExposureModel(use_estimates=False)).hubs.loc["openai", "total"]
    assert 0.2 < with_gw < 0.4 and 0.1 < without < 0.2


@pytest.mark.parametrize("sample", sorted(p.name for p in PORTFOLIOS.glob("*.csv")))
def test_every_sample_scores(sample):
    report = ex.analyze(ex.Portfolio.from_csv(PORTFOLIOS / sample))
    assert ((report.hubs[["direct", "first_order", "network", "total"]] >= 0).all().all())
    assert (report.hubs["total"] <= 1).all()
    assert report.holdings["weight"].sum() == pytest.approx(1.0)


def test_as_of_before_the_boom_has_less_exposure():
    pf = ex.Portfolio.from_csv(PORTFOLIOS / "ai_heavy.csv")
    web = ex.DealWeb.bundled()
    early = ex.analyze(pf, web.as_of("2023-06-30")).hubs.loc["openai", "total"]
    late = ex.analyze(pf, web).hubs.loc["openai", "total"]
    assert early < late


def test_a_funds_holdings_outside_the_web_are_known_not_unmapped():
    """sixty_forty.csv: 240k VTI, 120k SPY, 210k BND, 30k TLT, 25k cash (625k). TLT has no bundled holdings, but
    the file names it "iShares 20+ Year Treasury Bond ETF": a fund not looked through (30/625 = 4.8%), not
    unmapped. A bank in VTI or a Treasury in BND is a known holding outside the web: layer ``other``, no
    warning, no 'check the tickers'."""
    report = ex.analyze(ex.Portfolio.from_csv(PORTFOLIOS / "sixty_forty.csv"))
    assert report.coverage["unmapped_weight"] == 0.0 and report.coverage["unmapped_tickers"] == []
    tlt = report.holdings[report.holdings["ticker"] == "TLT"]
    assert list(tlt["kind"]) == ["fund_other"] and tlt["weight"].sum() == pytest.approx(30 / 625)
    assert not any(note.startswith("WARNING") for note in report.notes)
    outside = report.holdings[report.holdings["kind"] == "outside_web"]
    assert len(outside) and set(outside["layer"]) == {"other"} and set(outside["via"]) <= {"VTI", "SPY", "BND"}
    assert report.coverage["outside_web_weight"] == pytest.approx(outside["weight"].sum())
    # the remainder of a fund beyond its published holdings is many names, never "the largest name"
    assert not str(report.metrics["largest_name"]).endswith(" other")


def test_a_directly_held_listed_stock_outside_the_web_is_known_not_unmapped():
    """50% COST and 20% NFLX (held by bundled funds, not in the deal web), 20% NVDA, 10% XYZQ (nobody knows it).
    Only XYZQ is unmapped (10%, under the 20% warning); COST and NFLX are known holdings outside the web, layer
    ``other``, 70% together; ``analyze_many`` counts the same 10% unmapped."""
    pf = ex.Portfolio.from_weights({"COST": 0.5, "NFLX": 0.2, "NVDA": 0.2, "XYZQ": 0.1})
    report = ex.analyze(pf)
    assert report.coverage["unmapped_tickers"] == ["XYZQ"]
    assert report.coverage["unmapped_weight"] == pytest.approx(0.1)
    assert report.coverage["outside_web_weight"] == pytest.approx(0.7)
    held = report.holdings.set_index("ticker")
    assert held.loc["COST", "kind"] == "outside_web" and held.loc["COST", "layer"] == "other"
    assert not any("COST" in note or note.startswith("WARNING") for note in report.notes)
    many = ex.analyze_many(pd.DataFrame({"account": "a", "ticker": ["COST", "NFLX", "NVDA", "XYZQ"],
                                         "weight": [0.5, 0.2, 0.2, 0.1]}))
    assert many.loc["a", "unmapped_weight"] == pytest.approx(0.1)


def test_a_cd_or_bond_a_broker_describes_is_known_not_unmapped():
    """A real E*TRADE export (tests/fixtures/brokers/etrade_3.csv, Net Account Value 169,664.71) holds a bank CD
    whose symbol is its description, 'KEY BANK CD CLEVELAND OH CD 3.85% 08/24/2026', worth 109,992.74: a coupon and
    a maturity date, so a fixed-income position outside the web (65.4%), not a 65% 'check the tickers' warning."""
    from exposure.holdings.identifiers import fixed_income

    assert fixed_income("KEY BANK CD CLEVELAND OH CD 3.85% 08/24/2026")
    assert fixed_income("US TREASURY NOTE 4.25% 11/15/2034") and fixed_income("T BILL 0% 01/15/2027")
    assert not fixed_income("NVDA") and not fixed_income("BRK B") and not fixed_income("QQQ Dec 31 '26 $600 Put")
    report = ex.analyze(ex.Portfolio.from_csv(ROOT / "tests" / "fixtures" / "brokers" / "etrade_3.csv"))
    held = report.holdings.set_index("ticker")
    cd = "KEY BANK CD CLEVELAND OH CD 3.85% 08/24/2026"
    assert held.loc[cd, "kind"] == "outside_web" and held.loc[cd, "layer"] == "other"
    # the QQQ put (1,407.50) is kept apart as a derivative, so the weights are of 169,664.71 - 1,407.50
    assert held.loc[cd, "weight"] == pytest.approx(109992.74 / (169664.71 - 1407.50), abs=1e-9)
    assert cd not in report.coverage["unmapped_tickers"]
    assert not any(note.startswith("WARNING") for note in report.notes)
    many = ex.analyze_many(pd.DataFrame({"account": "a", "ticker": [cd, "NVDA"], "weight": [0.5, 0.5]}))
    assert many.loc["a", "unmapped_weight"] == 0.0
