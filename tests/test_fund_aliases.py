"""fund_aliases.csv: a share class or an index tracker looked through with another fund's bundled holdings."""

from __future__ import annotations

import io
from datetime import date

import pandas as pd
import pytest
from conftest import SMALL_COMPANIES, SMALL_DEALS

import exposure as ex
from exposure.datacheck import check_data
from exposure.dealweb import DealWeb
from exposure.market import SnapshotProvider
from exposure.market.fund_aliases import alias_problems, parse_aliases, resolve

HEADER = "ticker,same_portfolio_as,relation,source_url,as_of,notes\n"


def aliases_frame(rows: str) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(HEADER + rows), dtype=str, keep_default_na=False)


def test_all_vtsax_gets_exactly_vtis_loadings():
    """VTSAX (Admiral Shares) and VTI (ETF Shares) are one portfolio: identical hub exposures and score. By hand,
    NVDA through VTSAX is 0.0687, VTI's NVDA weight in fund_holdings.csv (Vanguard holdings of 2026-08-31)."""
    vtsax = ex.analyze(ex.Portfolio.from_weights({"VTSAX": 1.0}))
    vti = ex.analyze(ex.Portfolio.from_weights({"VTI": 1.0}))
    pd.testing.assert_frame_equal(vtsax.hubs, vti.hubs)
    assert vtsax.score == vti.score
    nvda = vtsax.holdings[(vtsax.holdings["via"] == "VTSAX") & (vtsax.holdings["ticker"] == "NVDA")]
    assert nvda["weight"].sum() == pytest.approx(0.0687, rel=1e-12)
    note = next(n for n in vtsax.notes if n.startswith("VTSAX is looked through"))
    assert "VTI's holdings" in note and "share classes of one portfolio" in note and "fundId=0585" in note


def test_an_index_tracker_says_its_holdings_are_assumed():
    """FXAIX is not SPY's portfolio, only the same index: the note must say the holdings are assumed equal."""
    report = ex.analyze(ex.Portfolio.from_weights({"FXAIX": 0.5, "NVDA": 0.5}))
    note = next(n for n in report.notes if n.startswith("FXAIX is looked through with SPY's holdings"))
    assert "tracks the same index as SPY; its holdings are assumed equal" in note
    assert "FXAIX" not in report.coverage["unmapped_tickers"]


def test_every_bundled_alias_resolves_and_is_listed_as_a_fund():
    snapshot = SnapshotProvider()
    for ticker in ["VTSAX", "VFIAX", "VTIAX", "VBTLX", "VIGAX", "FXAIX", "SWPPX"]:
        assert ticker in snapshot.funds()
        assert not snapshot.fund_holdings(ticker).empty


def test_chains_resolve_and_loops_and_dead_ends_do_not():
    aliases = parse_aliases([{"ticker": "A", "same_portfolio_as": "B"}, {"ticker": "B", "same_portfolio_as": "F"},
                             {"ticker": "X", "same_portfolio_as": "Y"}, {"ticker": "Y", "same_portfolio_as": "X"},
                             {"ticker": "D", "same_portfolio_as": "NOPE"}])
    assert resolve("A", aliases, {"F"}) == ("F", None)  # through B
    assert resolve("F", aliases, {"F"}) == ("F", None)  # a fund with holdings is its own holder
    assert resolve("ZZZ", aliases, {"F"}) == (None, None)  # not a fund at all
    assert resolve("X", aliases, {"F"})[1].startswith("alias loop X -> Y -> X.")
    assert resolve("D", aliases, {"F"})[1].startswith("alias D -> NOPE: NOPE has no bundled holdings.")


def test_data_check_refuses_an_unknown_target_and_a_loop_with_one_line_each():
    web = DealWeb.from_csv(io.StringIO(SMALL_COMPANIES), io.StringIO(SMALL_DEALS))
    funds = pd.DataFrame({"fund": ["F"], "ticker": ["CLD"], "weight": ["0.5"], "as_of": ["2025-12-31"],
                          "source_url": ["https://e.org/f"]})
    url = "https://e.org/a"
    aliases = aliases_frame(f"GOOD,F,share_class,{url},2025-12-31,\n"
                            f"LOST,NOPE,share_class,{url},2025-12-31,\n"
                            f"X,Y,same_index,{url},2025-12-31,\n"
                            f"Y,X,same_index,{url},2025-12-31,\n")
    result = check_data(web, market={"fund_holdings.csv": funds, "fund_aliases.csv": aliases},
                        today=date(2026, 1, 1))
    assert [str(p) for p in result.problems] == [
        "fund_aliases.csv, row 3, column 'same_portfolio_as': alias LOST -> NOPE: NOPE has no bundled holdings. "
        "Fix: add NOPE's holdings to fund_holdings.csv, or point the alias at a fund that has them.",
        "fund_aliases.csv, row 4, column 'same_portfolio_as': alias loop X -> Y -> X. Fix: point one of them at "
        "a fund with bundled holdings."]
    assert result.counts["fund_aliases.csv"] == 4


def test_an_alias_needs_a_known_relation_one_row_and_no_rows_of_its_own():
    records = aliases_frame("F,G,cousin,https://e.org,2025-12-31,\nA,F,share_class,https://e.org,2025-12-31,\n"
                            "A,F,share_class,https://e.org,2025-12-31,\n").to_dict("records")
    problems = alias_problems(records, {"F", "G"})
    assert (0, "relation", "relation 'cousin' is not one of share_class, same_index") in problems
    assert (0, "ticker", "F has its own rows in fund_holdings.csv. Fix: remove its alias or its rows, so one "
                         "source of holdings is left.") in problems
    assert (2, "ticker", "A is listed twice. Fix: keep one row per fund.") in problems
    assert len(problems) == 3


def test_a_broken_alias_in_a_data_folder_is_a_warning_not_a_crash(tmp_path):
    (tmp_path / "fund_holdings.csv").write_text("fund,ticker,weight,as_of,source_url\n"
                                                "F,NVDA,0.5,2025-12-31,https://e.org/f\n")
    (tmp_path / "fund_aliases.csv").write_text(HEADER + "X,Y,share_class,https://e.org,2025-12-31,\n"
                                                        "Y,X,share_class,https://e.org,2025-12-31,\n"
                                                        "A,F,share_class,https://e.org,2025-12-31,\n")
    snapshot = SnapshotProvider(tmp_path)
    assert snapshot.fund_holdings("X").empty
    assert snapshot.warnings[-1].startswith("fund_aliases.csv: alias loop X -> Y -> X.")
    assert snapshot.fund_holdings("A")["weight"].tolist() == [0.5]
    assert snapshot.funds() == {"F", "A"}


def test_a_data_folder_without_an_aliases_file_has_no_aliases_and_no_warning(tmp_path):
    (tmp_path / "fund_holdings.csv").write_text("fund,ticker,weight,as_of,source_url\n"
                                                "F,NVDA,0.5,2025-12-31,https://e.org/f\n")
    snapshot = SnapshotProvider(tmp_path)
    assert snapshot.fund_holdings("VTSAX").empty and snapshot.funds() == {"F"}
    assert not any("fund_aliases" in w for w in snapshot.warnings)
