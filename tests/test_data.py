"""The bundled data keeps its promise: every figure carries a source URL and a date."""

from __future__ import annotations

import json
import math
from importlib import resources

import pandas as pd
import pytest

DATA = resources.files("exposure") / "data"


def read(name: str) -> pd.DataFrame:
    with (DATA / name).open("r", encoding="utf-8") as handle:
        return pd.read_csv(handle, dtype=str, keep_default_na=False)


def dates_parse(column: pd.Series) -> bool:
    return bool(pd.to_datetime(column, format="%Y-%m-%d", errors="coerce").notna().all())


def test_every_company_figure_is_sourced_and_dated():
    companies = read("companies.csv")
    with_figures = companies[(companies["revenue_usd_bn"] != "") | (companies["market_cap_usd_bn"] != "")]
    assert with_figures["source_url"].str.contains("http").all()
    assert dates_parse(with_figures["as_of"])
    # A blank figure of a listed company is explained in its notes.
    listed = companies[companies["ticker"] != ""]
    blank = listed[(listed["revenue_usd_bn"] == "") | (listed["market_cap_usd_bn"] == "")]
    assert (blank["notes"].str.len() > 0).all()


def test_every_deal_is_sourced_dated_and_has_a_status():
    deals = read("deals.csv")
    assert deals["source_url"].str.startswith("http").all()
    assert deals["announced"].str.match(r"^\d{4}-\d{2}(-\d{2})?$").all()
    assert deals["status"].isin(["completed", "announced", "reported", "rumored", "lapsed", "terminated"]).all()


def test_every_deal_says_what_its_source_is_and_when_it_was_checked():
    deals = read("deals.csv")
    assert deals["source_kind"].isin(["filing", "company_release", "news", "aggregator"]).all()
    second = deals["source_url_2"]
    assert second[second != ""].str.startswith("http").all()
    assert (second != deals["source_url"]).all()
    assert dates_parse(deals["checked"])
    announced = pd.to_datetime(deals["announced"].str.slice(0, 7), format="%Y-%m")
    assert (pd.to_datetime(deals["checked"]) >= announced).all()
    # A deal that is no longer in force says why in its notes.
    ended = deals[deals["status"].isin(["lapsed", "terminated"])]
    assert (ended["notes"].str.len() > 0).all()


def test_deal_ids_are_unique_and_counterparties_exist():
    deals, companies = read("deals.csv"), read("companies.csv")
    assert deals["id"].is_unique and companies["id"].is_unique
    assert set(deals["payer"]) | set(deals["payee"]) <= set(companies["id"])
    assert (deals["payer"] != deals["payee"]).all()
    aliases = read("aliases.csv")
    assert set(aliases["company_id"]) <= set(companies["id"])


@pytest.mark.parametrize("name, key", [("prices.csv", "ticker"), ("fx.csv", "currency"),
                                       ("fund_holdings.csv", "fund")])
def test_market_snapshots_are_sourced_and_dated(name, key):
    table = read(name)
    assert len(table) > 0 and (table[key] != "").all()
    assert table["source_url"].str.contains("http").all()
    assert dates_parse(table["as_of"])


def test_fund_holdings_are_fractions_with_one_date_per_fund():
    holdings = read("fund_holdings.csv")
    weights = holdings["weight"].astype(float)
    assert ((weights > 0) & (weights < 1)).all()
    assert (weights.groupby(holdings["fund"]).sum() <= 1.0001).all()
    assert (holdings.groupby("fund")["as_of"].nunique() == 1).all()
    assert {"SPY", "VOO", "VTI", "QQQ", "XLK", "VGT", "SMH", "SOXX"} <= set(holdings["fund"])
    assert holdings["fund"].nunique() >= 10


def test_financials_rows_are_sourced_dated_positive_and_name_known_companies():
    financials = read("financials.csv")
    assert list(financials.columns) == ["company_id", "metric", "value_usd_bn", "date", "period", "source_url",
                                        "notes"]
    assert financials["source_url"].str.startswith("http").all()
    assert dates_parse(financials["date"])
    values = financials["value_usd_bn"].astype(float)
    # positive, but for pre-revenue Oklo's sourced revenue of 0
    zero = values == 0
    assert (values >= 0).all() and values.map(math.isfinite).all()
    assert set(financials.loc[zero, "company_id"]) <= {"oklo"} and (financials.loc[zero, "metric"] == "revenue").all()
    assert set(financials["company_id"]) <= set(read("companies.csv")["id"])
    assert ((financials["metric"] == "revenue") & financials["period"].isin(["FY", "TTM"])
            | (financials["metric"] == "market_cap") & (financials["period"] == "point")).all()
    assert not financials.duplicated(["company_id", "metric", "period", "date"]).any()
    # Worked from the sources: Nvidia's FY2025 revenue (ended 2025-01-26) was $130.5bn, Microsoft's year-end
    # 2024 market cap $3,133.80bn.
    nvda = financials.set_index(["company_id", "metric", "date"])["value_usd_bn"].astype(float)
    assert nvda[("nvidia", "revenue", "2025-01-26")] == 130.5
    assert nvda[("microsoft", "market_cap", "2024-12-31")] == 3133.8


def test_every_listed_company_has_a_latest_revenue_and_market_cap_row_in_financials():
    companies = read("companies.csv")
    financials = read("financials.csv")
    for metric, column in (("revenue", "revenue_usd_bn"), ("market_cap", "market_cap_usd_bn")):
        with_figure = set(companies.loc[(companies["ticker"] != "") & (companies[column] != ""), "id"])
        assert with_figure <= set(financials.loc[financials["metric"] == metric, "company_id"])


def test_added_funds_are_bundled_and_the_bond_fund_carries_no_ai_exposure(tmp_path):
    from conftest import run_cli

    holdings = read("fund_holdings.csv")
    assert {"IGV", "ARKK", "SCHG", "VUG", "VXUS", "BND"} <= set(holdings["fund"])
    assert "QQQM" in set(holdings["fund"])  # its own N-PORT rows (a separate fund from QQQ)
    # BND holds bonds only: its rows are issuers under BOND: pseudo-tickers, which no company matches.
    assert holdings.loc[holdings["fund"] == "BND", "ticker"].str.startswith("BOND:").all()
    bond_only = tmp_path / "bonds.csv"
    bond_only.write_text("ticker,weight\nBND,1.0\n")
    result = run_cli("score", bond_only, "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["score"] == 0 and data["metrics"]["ai_share"] == 0


def test_every_diversifier_fund_has_a_dated_close_so_whole_shares_can_be_priced():
    prices = read("prices.csv").set_index("ticker")
    universe = read("universe.csv")
    # the US-listed ones; the UCITS rows (VUSA.L, CSPX.AS) have no sourced close yet, and suggest says so
    funds = universe.loc[universe["category"].str.endswith("fund") & (universe["currency"] == "USD"), "ticker"]
    assert set(funds) <= set(prices.index)
    assert (prices.loc[list(funds), "currency"] == "USD").all()
    # Read from the cited files: XLV closed at 174.62 on 2026-08-21 (johnamcminn-hub/market-data-public) and
    # BND at 72.46 on 2026-07-27 (antoniosanso/etf-datalake; its 2026-07-28 row is intraday and not used).
    assert prices.at["XLV", "price"] == "174.62" and prices.at["XLV", "as_of"] == "2026-08-21"
    assert prices.at["BND", "price"] == "72.46" and prices.at["BND", "as_of"] == "2026-07-27"


def test_refreshed_vgt_and_qqq_holdings_come_from_the_issuers_files():
    holdings = read("fund_holdings.csv")
    weight = holdings.set_index(["fund", "ticker"])["weight"].astype(float)
    as_of = holdings.groupby("fund")["as_of"].first()
    # Vanguard's VGT holdings as of 2026-08-31 print NVDA at 17.73 % ($30,258,873,302 of the fund's $170.2bn).
    # QQQ's N-PORT-P for 2026-03-31 (accession 0001067839-26-000024) values NVDA at $32,338,337,302.40 of
    # $372,507,306,132.08 net assets = 8.6813 %; QQQM's for 2026-05-31 (0001378872-26-001400) at
    # $7,898,764,080.06 of $97,151,481,157 = 8.1304 %. Stored as fractions rounded to 6 decimals.
    assert weight[("VGT", "NVDA")] == pytest.approx(0.1773)
    assert weight[("QQQ", "NVDA")] == pytest.approx(32_338_337_302.40 / 372_507_306_132.08, abs=5e-7)
    assert weight[("QQQM", "NVDA")] == pytest.approx(7_898_764_080.06 / 97_151_481_157, abs=5e-7)
    assert as_of["VGT"] == "2026-08-31" and as_of["QQQ"] == "2026-03-31" and as_of["QQQM"] == "2026-05-31"
    # QQQM is a separate fund tracking the same Nasdaq-100 index: it now has its own (newer) rows, no alias.
    assert "QQQM" not in set(read("fund_aliases.csv")["ticker"])


def test_ai_investor_funds_are_bundled_from_issuer_files_with_their_dates():
    holdings = read("fund_holdings.csv")
    assert {"BOTZ", "FTEC", "IYW", "AIQ", "ARKK", "IGV", "SCHG", "VUG", "SMH", "SOXX"} <= set(holdings["fund"])
    weight = holdings.set_index(["fund", "ticker"])["weight"].astype(float)
    as_of = holdings.groupby("fund")["as_of"].first()
    # Read from the cited issuer files: Global X's BOTZ file (2026-09-25) lists Intuitive Surgical at 8.51 %,
    # the iShares IYW workbook (NAV date 2026-09-16) NVIDIA at 13.72527 %, ARK's ARKK CSV (2026-10-02) Tesla at
    # 9.13 %, SSGA's SPY file (2026-10-01) NVIDIA at 8.454497 %, VanEck's SMH file (2026-10-01) NVIDIA at 19.27 %.
    assert weight[("BOTZ", "ISRG")] == pytest.approx(0.0851) and as_of["BOTZ"] == "2026-09-25"
    assert weight[("IYW", "NVDA")] == pytest.approx(0.137253) and as_of["IYW"] == "2026-09-16"
    assert weight[("ARKK", "TSLA")] == pytest.approx(0.0913) and as_of["ARKK"] == "2026-10-02"
    assert weight[("SPY", "NVDA")] == pytest.approx(0.084545) and as_of["SPY"] == "2026-10-01"
    assert weight[("SMH", "NVDA")] == pytest.approx(0.1927) and as_of["SMH"] == "2026-10-01"
    # FTEC's newest public holdings are its SEC N-PORT for 2026-04-30; weights are value / reported total.
    assert as_of["FTEC"] == "2026-04-30"


def test_broad_funds_and_xlv_come_from_the_issuers_files_with_their_dates():
    holdings = read("fund_holdings.csv")
    weight = holdings.set_index(["fund", "ticker"])["weight"].astype(float)
    as_of = holdings.groupby("fund")["as_of"].first()
    # Read from the cited issuer files: SSGA's XLV file (01-Oct-2026) lists Eli Lilly at 15.233236 %, the
    # iShares ITOT and IVV workbooks (NAV date 2026-09-16) NVIDIA at 7.00788 % and 7.86365 %, Schwab's SCHB file
    # of 2026-09-24 NVIDIA at 7.27746 %. Stored as fractions rounded to 6 decimals.
    assert weight[("XLV", "LLY")] == pytest.approx(0.152332) and as_of["XLV"] == "2026-10-01"
    assert weight[("ITOT", "NVDA")] == pytest.approx(0.070079) and as_of["ITOT"] == "2026-09-16"
    assert weight[("IVV", "NVDA")] == pytest.approx(0.078637) and as_of["IVV"] == "2026-09-16"
    assert weight[("SCHB", "NVDA")] == pytest.approx(0.072775) and as_of["SCHB"] == "2026-09-24"
    prices = read("prices.csv").set_index("ticker")
    assert prices.at["CHAT", "price"] == "81.96" and prices.at["CHAT", "as_of"] == "2026-07-31"


def test_every_listed_company_has_revenue():
    # Issue 16, done-when: "Every listed company has revenue", in companies.csv and as a dated row. Oklo is
    # pre-revenue: its revenue is a sourced 0 (Trefis, revenue LTM 0), not a blank.
    companies = read("companies.csv")
    financials = read("financials.csv")
    listed = companies[companies["ticker"] != ""]
    assert not set(listed.loc[listed["revenue_usd_bn"] == "", "id"])
    assert set(listed["id"]) <= set(financials.loc[financials["metric"] == "revenue", "company_id"])
    assert listed.set_index("id").at["oklo", "revenue_usd_bn"] == "0"


def test_blue_owl_revenue_and_micron_ttm_match_their_sources():
    rows = read("financials.csv").set_index(["company_id", "metric", "date"])["value_usd_bn"].astype(float)
    # SEC XBRL 'Revenues' of Blue Owl's 10-Ks (USD thousands 1,731,608 / 2,295,427 / 2,870,178), rounded.
    assert rows[("blue_owl", "revenue", "2023-12-31")] == 1.732
    assert rows[("blue_owl", "revenue", "2024-12-31")] == 2.295
    assert rows[("blue_owl", "revenue", "2025-12-31")] == 2.87
    # Micron's four quarters to 2026-05-28 in its releases, USD mn: 11,315 + 13,643 + 23,860 + 41,456.
    assert rows[("micron", "revenue", "2026-05-28")] == pytest.approx(90.274)


def _financial_rows() -> pd.Series:
    rows = read("financials.csv")
    return rows.set_index(["company_id", "metric", "date"])["value_usd_bn"].astype(float)


@pytest.mark.parametrize("company, price, shares", [
    # The daggerok/Stocks feed (asOfDate 2026-10-02): each company's price and sharesOutstanding, as printed there.
    ("nvidia", 233.95, 24_147_000_000), ("microsoft", 517.53, 7_425_545_491), ("apple", 333.69, 14_594_180_000),
    ("amazon", 251.52, 10_786_313_572), ("tsmc", 472.78, 5_186_474_013), ("broadcom", 355.14, 4_773_629_865),
    ("micron", 1074.89, 1_129_393_151), ("amd", 633.91, 1_632_475_042), ("oracle", 142.3, 3_031_501_149),
])
def test_october_2026_market_caps_are_the_feeds_price_times_its_share_count(company, price, shares):
    # Issue 16: the biggest names' market caps were January-June 2026; the 2026-10-02 rows are Yahoo's marketCap,
    # which for these single-class companies is the printed price times the printed share count (to 0.01bn).
    assert _financial_rows()[(company, "market_cap", "2026-10-02")] == pytest.approx(price * shares / 1e9, abs=0.006)


def test_newer_market_caps_are_appended_and_as_of_picks_the_latest_row_on_or_before_the_date():
    import exposure as ex

    rows = _financial_rows()
    # History is kept: Nvidia's March and April 2026 rows stay beside the October one.
    assert rows[("nvidia", "market_cap", "2026-03-18")] == 4450
    assert rows[("nvidia", "market_cap", "2026-04-06")] == 4320
    web = ex.DealWeb.bundled()
    assert web.as_of("2026-09-01").companies.at["nvidia", "market_cap_usd_bn"] == 4320
    assert web.as_of("2026-11-01").companies.at["nvidia", "market_cap_usd_bn"] == pytest.approx(5649.19)


def test_fiscal_years_that_ended_in_2026_have_their_revenue():
    rows = _financial_rows()
    # SEC XBRL 10-K revenue (USD) as compiled in the daggerok/Stocks feed: Microsoft FY ended 2026-06-30
    # 331,839,000,000; Cisco 2026-07-25 63,325,000,000; KLA 2026-06-30 13,579,476,000; Supermicro 2026-06-30
    # 39,063,072,000; Snowflake 2026-01-31 4,683,946,000.
    assert rows[("microsoft", "revenue", "2026-06-30")] == 331.839
    assert rows[("cisco", "revenue", "2026-07-25")] == 63.325
    assert rows[("kla", "revenue", "2026-06-30")] == 13.579
    assert rows[("supermicro", "revenue", "2026-06-30")] == 39.063
    assert rows[("snowflake", "revenue", "2026-01-31")] == 4.684


def test_yearly_history_blanks_do_not_grow():
    # Issue 14, item 5: listed company x {revenue, market_cap} x 2023-2026, a cell is blank when financials.csv has
    # no row dated in that calendar year. 130 were blank before the HF pass of 2026-12-07, 94 after it
    # (SOURCES_MARKET.md lists them); a later pass may only lower the count.
    companies = read("companies.csv")
    rows = read("financials.csv")
    years = rows["date"].str[:4]
    have = set(zip(rows["company_id"], rows["metric"], years, strict=True))
    listed = companies.loc[companies["ticker"] != "", "id"]
    blank = [(c, m, y) for c in listed for m in ("revenue", "market_cap") for y in ("2023", "2024", "2025", "2026")
             if (c, m, y) not in have]
    assert len(blank) <= 94


def test_stock_prices_refreshed_to_october_2026_keep_their_feed_dates():
    prices = read("prices.csv").set_index("ticker")
    # The daggerok/Stocks feed's prices: MSFT 517.53 and ORCL 142.3 on 2026-10-02; DigitalBridge's last quote is
    # 2026-09-29 ($16). NVDA keeps its 2026-07-01 close (tests/test_brokers.py works a value out from it).
    assert (prices.at["MSFT", "price"], prices.at["MSFT", "as_of"]) == ("517.53", "2026-10-02")
    assert (prices.at["ORCL", "price"], prices.at["ORCL", "as_of"]) == ("142.3", "2026-10-02")
    assert (prices.at["DBRG", "price"], prices.at["DBRG", "as_of"]) == ("16", "2026-09-29")
    assert prices.at["NVDA", "as_of"] == "2026-07-01"
