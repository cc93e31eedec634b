"""analyze() built for speed (lists instead of frames, values kept per web) gives what its definitions say.

Every sample portfolio and every broker fixture that reads is analyzed twice on one web (cold, then warm with
the per-web values reused) and once on a fresh web; the three agree exactly. The report is then checked against
plain-pandas recomputations of its definitions (look-through, weights per company and per layer, coverage,
single-name HHI), against :func:`exposure.analyze_many` (an independent sparse implementation of the same
totals), and against hand-worked numbers on the small web of tests/test_network.py and on the samples.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import PORTFOLIOS, ROOT

import exposure as ex
from exposure.analyze import _text, build_context, exposure_table
from exposure.hubs import systemic_importance
from exposure.market import SnapshotProvider
from exposure.portfolio import CASH_TICKERS, look_through
from exposure.taxonomy import AI_LAYERS, BALANCED_AI_BANDS

BROKERS = ROOT / "tests" / "fixtures" / "brokers"
FILES = sorted(PORTFOLIOS.glob("*.csv")) + sorted(BROKERS.glob("*.csv"))
TEXT = pd.Series(["text"]).dtype  # what pandas infers for a column of strings
KINDS = {"company", "cash", "fund_other", "outside_web", "unmapped"}
FRAMES = ("hubs", "layers", "holdings", "layer_mix")


@pytest.fixture(scope="module")
def web() -> ex.DealWeb:
    return ex.DealWeb.bundled()


@pytest.fixture(scope="module")
def fresh() -> ex.DealWeb:
    """A second load of the bundled web: its own object, so nothing kept for ``web`` is reused for it."""
    return ex.DealWeb.bundled()


def _portfolio(path: Path) -> ex.Portfolio:
    try:
        return ex.Portfolio.from_csv(path)
    except ex.PortfolioError as error:  # a fixture that needs an option (none today) is not this file's subject
        pytest.skip(f"{path.name}: {error}")


def _price(pf: ex.Portfolio, market: SnapshotProvider):
    if pf.kind != "shares":
        return None
    figures = market.fundamentals([t for t in pf.positions["ticker"] if t not in CASH_TICKERS])
    return lambda t: float(figures.at[t, "price_usd"]) if t in figures.index else None


def _same(a: ex.ExposureReport, b: ex.ExposureReport) -> None:
    for name in FRAMES:
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_exact=True)
    assert (a.score, a.grade, a.top_hub, a.notes, a.metrics.keys()) == (b.score, b.grade, b.top_hub, b.notes,
                                                                        b.metrics.keys())
    for key, value in a.metrics.items():
        assert value == b.metrics[key] or (value != value and b.metrics[key] != b.metrics[key]), key
    for key, value in a.coverage.items():
        if isinstance(value, pd.DataFrame):
            pd.testing.assert_frame_equal(value, b.coverage[key])
        else:
            assert value == b.coverage[key], key


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_warm_cold_and_fresh_web_agree_and_match_the_definitions(path, web, fresh):
    pf = _portfolio(path)
    cold, warm = ex.analyze(pf, web), ex.analyze(pf, web)
    _same(cold, warm)
    _same(warm, ex.analyze(pf, fresh))
    _same(warm, ex.analyze(pf, web, market=SnapshotProvider()))
    report = warm
    holdings = report.holdings

    # The holdings frame: its columns and dtypes, one kind per row, companies named as the web names them.
    assert list(holdings.columns) == ["ticker", "name", "company_id", "layer", "weight", "via", "kind", "mapped"]
    assert isinstance(holdings.index, pd.RangeIndex)
    for column in ("ticker", "layer", "via", "kind"):
        assert holdings[column].dtype == TEXT, column
    assert holdings["weight"].dtype == np.float64 and holdings["mapped"].dtype == bool
    assert set(holdings["kind"]) <= KINDS
    assert (holdings["mapped"] == holdings["company_id"].notna()).all()
    assert (holdings["mapped"] == (holdings["kind"] == "company")).all()
    companies = holdings[holdings["mapped"]]
    assert list(companies["layer"]) == [web.layer_of[c] for c in companies["company_id"]]
    assert list(companies["name"]) == [web.name_of[c] for c in companies["company_id"]]
    assert holdings["weight"].sum() == pytest.approx(1.0, abs=1e-12)

    # Look-through, by its definition: each fund's published holdings times the fund's weight, then
    # "<fund> other" for the rest; everything else as held.
    market = SnapshotProvider()
    valued = pf.valued(_price(pf, market))
    expected = []
    for ticker, weight, is_cash in zip(valued["ticker"], valued["weight"], valued["is_cash"], strict=True):
        fund = None if is_cash else market.fund_holdings(ticker)
        if fund is None or fund.empty:
            expected.append((ticker, weight, ""))
            continue
        expected += [(held, weight * share, ticker) for held, share in zip(fund["ticker"], fund["weight"],
                                                                          strict=True)]
        if 1.0 - fund["weight"].sum() > 0:
            expected.append((f"{ticker} other", weight * (1.0 - fund["weight"].sum()), ticker))
    assert list(zip(holdings["ticker"], holdings["weight"], holdings["via"], strict=True)) == expected
    looked = look_through(valued, market.fund_holdings)
    assert list(looked["ticker"]) == list(holdings["ticker"]) and list(looked["weight"]) == list(holdings["weight"])
    assert ((looked["via"] != "") & ~looked["looked_through"]).sum() == (
        holdings["ticker"].str.endswith(" other") & (holdings["via"] != "")).sum()

    # The hub table: one row per company, by total then first order, columns adding up, AI hubs from the web.
    hubs = report.hubs
    assert list(hubs.columns) == ["name", "layer", "ai_hub", "direct", "first_order", "network", "total"]
    assert hubs.index.name == "company" and hubs.index.dtype == TEXT and set(hubs.index) == set(web.companies.index)
    assert (hubs["total"] == hubs["direct"] + hubs["first_order"] + hubs["network"]).all()
    keys = list(zip(-hubs["total"], -hubs["first_order"], strict=True))
    assert keys == sorted(keys)
    direct = companies.groupby("company_id")["weight"].sum()
    assert hubs["direct"].to_numpy() == pytest.approx(direct.reindex(hubs.index, fill_value=0.0).to_numpy(),
                                                      abs=1e-15)
    importance = systemic_importance(web.sensitivity(), web.companies)
    assert list(hubs["ai_hub"]) == list(importance["hub"].reindex(hubs.index))
    assert report.metrics["ai_hubs"] == list(importance.index[importance["hub"]])
    assert list(hubs["name"]) == list(web.companies["name"].reindex(hubs.index))
    few = list(hubs.index[:3]) + list(hubs.index[-2:])  # the per-web cache against hubs computed alone
    alone = exposure_table(build_context(pf, web), few)
    pd.testing.assert_frame_equal(alone, hubs.loc[few, ["direct", "first_order", "network", "total"]],
                                  check_names=False, check_exact=False, rtol=0, atol=1e-15)

    # Layers: the look-through weight per layer, largest first (pandas' own sort of the grouped sums).
    layers = holdings.groupby("layer", sort=False)["weight"].sum().sort_values(ascending=False)
    assert report.layers.index.name == "layer" and report.layers.index.dtype == TEXT
    assert report.layers["weight"].to_numpy() == pytest.approx(layers.to_numpy(), abs=1e-15)
    assert set(report.layers.index) == set(layers.index)
    assert (np.diff(report.layers["weight"].to_numpy()) <= 0).all()
    ai_layer_share = layers[layers.index.isin(list(AI_LAYERS))].sum()
    assert report.metrics["ai_layer_share"] == pytest.approx(ai_layer_share, abs=1e-15)
    mix = report.layer_mix
    assert list(mix.index) == list(BALANCED_AI_BANDS) and mix["status"].dtype == TEXT
    assert mix["weight"].to_numpy() == pytest.approx(layers.reindex(mix.index, fill_value=0.0).to_numpy(), abs=1e-15)
    if ai_layer_share > 0:
        assert mix["share"].to_numpy() == pytest.approx(mix["weight"].to_numpy() / ai_layer_share, abs=1e-12)
    else:
        assert (mix["status"] == "").all()

    # Coverage and single-name concentration, by their definitions.
    by_kind = holdings.groupby("kind")["weight"].sum()
    for key, kind in (("unmapped_weight", "unmapped"), ("cash_weight", "cash"),
                      ("not_looked_through_weight", "fund_other"), ("outside_web_weight", "outside_web")):
        assert report.coverage[key] == pytest.approx(by_kind.get(kind, 0.0), abs=1e-15)
    assert report.coverage["unmapped_tickers"] == sorted(set(holdings.loc[holdings["kind"] == "unmapped", "ticker"]))
    assert report.coverage["deals_in_web"] == len(web.deals)
    assert report.coverage["channels_left_out"] == int((report.coverage["left_out"]["channel"] != "all").sum())
    # a fund not looked through, and a fund's remainder, are many small names: in the total, no square of their own
    names = holdings[~holdings["kind"].isin(["cash", "fund_other"])].groupby("ticker")["weight"].sum()
    total = names.sum() + holdings.loc[holdings["kind"] == "fund_other", "weight"].sum()
    hhi = float(((names / total) ** 2).sum()) if total > 0 else 0.0
    assert report.metrics["name_hhi"] == pytest.approx(hhi, abs=1e-12)

    # The same totals from analyze_many (one sparse product over per-ticker loadings, another code path; long
    # positions only, so not for a margin loan shown as negative cash).
    if (valued["weight"] < 0).any():
        return
    frame = pd.DataFrame({"account": "a", "ticker": valued["ticker"], "weight": valued["weight"],
                          "name": valued["name"].fillna("")})
    many = ex.analyze_many(frame, web)
    assert many.loc["a", "score"] == pytest.approx(report.score, abs=1e-9)
    assert many.loc["a", "unmapped_weight"] == pytest.approx(report.coverage["unmapped_weight"], abs=1e-12)
    assert many.loc["a", "ai_share"] == pytest.approx(report.metrics["ai_share"], abs=1e-12)
    assert many.loc["a", list(hubs.index)].to_numpy(dtype=float) == pytest.approx(hubs["total"].to_numpy(),
                                                                                 abs=1e-12)


def test_valued_and_valuation_by_definition():
    """``valued()`` keeps the positions' columns and adds ``is_cash`` and ``value``; weights are amount over total
    (market values 1:2:1 give 0.25/0.5/0.25; weights 4:4:1:1 are normalized to 0.4/0.4/0.1/0.1)."""
    by_value = ex.Portfolio.from_frame(pd.DataFrame({"ticker": ["NVDA", "MSFT", "CASH"],
                                                     "market_value": [100.0, 200.0, 100.0]}))
    table = by_value.valued()
    assert list(table.columns) == [*by_value.positions.columns, "is_cash", "value"]
    assert isinstance(table.index, pd.RangeIndex)
    assert list(table["weight"]) == [0.25, 0.5, 0.25] and list(table["value"]) == [100.0, 200.0, 100.0]
    assert list(table["is_cash"]) == [False, False, True] and table["is_cash"].dtype == bool
    by_weight = ex.Portfolio.from_weights({"cld": 4, "CHP": 4, "CASH": 1, "ZZZZ": 1})
    table = by_weight.valued()
    assert table["weight"].to_numpy() == pytest.approx([0.4, 0.4, 0.1, 0.1], abs=1e-15)
    assert table["value"].isna().all() and table["value"].dtype == np.float64
    valuation = by_weight.valuation()
    assert valuation.tickers == list(table["ticker"]) and valuation.is_cash == list(table["is_cash"])
    assert list(valuation.weight) == list(table["weight"])
    shares = ex.Portfolio.from_frame(pd.DataFrame({"ticker": ["AAA", "CASH"], "shares": [10.0, 50.0]}))
    table = shares.valued(lambda ticker: 5.0)  # 10 shares at $5 and $50 cash: 50/100 each
    assert list(table["value"]) == [50.0, 50.0] and list(table["weight"]) == [0.5, 0.5]


def test_hand_worked_small_web_cold_and_warm(small_web):
    """tests/test_analyze.py's hand-worked numbers hold on the first call and on a warm one (values kept per web)."""
    from test_analyze import L_CHIP_CLOUD, L_CHIP_LAB, L_CLOUD_LAB

    pf = ex.Portfolio.from_weights({"CLD": 0.5, "CHP": 0.5})
    for _ in range(2):
        report = ex.analyze(pf, small_web)
        lab = report.hubs.loc["lab"]
        assert lab["first_order"] == pytest.approx(0.5 * L_CLOUD_LAB + 0.5 * L_CHIP_LAB, abs=1e-9)
        assert lab["network"] == pytest.approx(0.5 * L_CHIP_CLOUD * L_CLOUD_LAB, abs=1e-9)
        x_chip = L_CHIP_CLOUD / (1 - L_CHIP_LAB * 0.25)
        assert report.hubs.index[0] == "cloud"
        assert report.hubs.loc["cloud", "total"] == pytest.approx(0.5 + 0.5 * x_chip, abs=1e-9)
    mixed = ex.Portfolio.from_weights({"cld": 4, "CHP": 4, "CASH": 1, "ZZZZ": 1})
    for _ in range(2):
        report = ex.analyze(mixed, small_web)
        assert report.coverage["unmapped_weight"] == pytest.approx(0.1)
        assert report.coverage["unmapped_tickers"] == ["ZZZZ"]
        assert report.coverage["cash_weight"] == pytest.approx(0.1)
        assert report.metrics["name_hhi"] == pytest.approx(33 / 81)  # 0.4, 0.4, 0.1 renormalized
        assert report.layers.loc["cash", "weight"] == pytest.approx(0.1)


def test_hand_worked_samples(web):
    """sixty_forty.csv: TLT (no bundled holdings, 30k of 625k) is a fund not looked through; etrade_3.csv: the CD
    is 109,992.74 of 169,664.71 - 1,407.50 (the put kept apart); COST 50%, NFLX 20%: outside the web, 70%."""
    for _ in range(2):
        report = ex.analyze(ex.Portfolio.from_csv(PORTFOLIOS / "sixty_forty.csv"), web)
        tlt = report.holdings[report.holdings["ticker"] == "TLT"]
        assert list(tlt["kind"]) == ["fund_other"] and tlt["weight"].sum() == pytest.approx(30 / 625)
        report = ex.analyze(ex.Portfolio.from_csv(BROKERS / "etrade_3.csv"), web)
        held = report.holdings.set_index("ticker")
        cd = "KEY BANK CD CLEVELAND OH CD 3.85% 08/24/2026"
        assert held.loc[cd, "weight"] == pytest.approx(109992.74 / (169664.71 - 1407.50), abs=1e-9)
        report = ex.analyze(ex.Portfolio.from_weights({"COST": 0.5, "NFLX": 0.2, "NVDA": 0.2, "XYZQ": 0.1}), web)
        assert report.coverage["outside_web_weight"] == pytest.approx(0.7)
        assert report.coverage["unmapped_tickers"] == ["XYZQ"]


def test_equal_layer_weights_keep_pandas_order(web):
    """Four names at 25% in four layers: ties in the layer table keep the order pandas' sort gives them."""
    pf = ex.Portfolio.from_weights({"NVDA": 0.25, "ORCL": 0.25, "CASH": 0.25, "ZZZZ": 0.25})
    report = ex.analyze(pf, web)
    grouped = report.holdings.groupby("layer", sort=False)["weight"].sum().sort_values(ascending=False)
    assert list(report.layers.index) == list(grouped.index)
    assert list(report.layers["weight"]) == [0.25] * 4


def test_as_of_webs_are_kept_apart(web):
    """Values kept per web never leak between a web and its dated copy."""
    pf = ex.Portfolio.from_csv(PORTFOLIOS / "ai_heavy.csv")
    early = web.as_of("2023-06-30")
    now, then = ex.analyze(pf, web), ex.analyze(pf, early)
    assert now.coverage["deals_in_web"] == len(web.deals) and then.coverage["deals_in_web"] == len(early.deals)
    assert then.hubs.loc["openai", "total"] < now.hubs.loc["openai", "total"]
    _same(then, ex.analyze(pf, early))


@pytest.mark.parametrize("values", [["a", "b"], ["a", None], [None, None], [], ["a", 1], ["a", np.nan],
                                    [1.5, None]])
def test_text_columns_are_what_pandas_infers(values):
    pd.testing.assert_frame_equal(pd.DataFrame({"x": _text(values)}), pd.DataFrame({"x": values}))
    pd.testing.assert_index_equal(pd.Index(_text(values), name="n"), pd.Index(values, name="n"))
