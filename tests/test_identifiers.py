"""Bundled ISIN / CUSIP identifiers: check digits worked out by hand, sources, and resolution to the web."""

from __future__ import annotations

import io
from importlib import resources

import pandas as pd
import pytest

from exposure.dealweb import DealWeb
from exposure.holdings.identifiers import is_cusip, is_isin, resolve


def _table() -> pd.DataFrame:
    text = (resources.files("exposure") / "data" / "identifiers.csv").read_text(encoding="utf-8")
    return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)


def test_cusip_check_digit_by_hand():
    # Apple 03783310-?: digits 0,3,7,8,3,3,1,0; every second one doubled: 0+6+7+16+3+6+1+0, digit sums
    # 0+6+7+(1+6)+3+6+1+0 = 30 -> check (10 - 0) % 10 = 0: 037833100 (Apple's CUSIP, as on its SEC filings).
    assert is_cusip("037833100")
    assert not is_cusip("037833101")
    # A CINS (foreign issuer, country letter first): N=23 -> 2+3=5; 9*2=18 -> 9; 7; 2*2=4; 8; 4*2=8; 1; 0*2=0;
    # sum 42 -> check 8: N97284108 (Nebius Group N.V.).
    assert is_cusip("N97284108")
    assert not is_cusip("N97284107")
    assert not is_cusip("NVDA") and not is_cusip("ABCDEFGH1")


def test_isin_check_digit_by_hand():
    # ISO 6166 example: US0378331005 (Apple). Letters to numbers: U=30, S=28 -> "3028037833100"; doubling every
    # other digit from the right and adding the digit sums gives 45 -> check (10 - 5) % 10 = 5.
    assert is_isin("US0378331005")
    assert not is_isin("US0378331006")
    assert is_isin("NL0010273215")  # ASML, Euronext Amsterdam
    assert not is_isin("US037833100")  # a CUSIP is not an ISIN


def test_every_row_is_valid_unique_sourced_and_dated_when_added_here():
    table = _table()
    assert table["identifier"].is_unique
    for identifier, kind in zip(table["identifier"], table["kind"], strict=True):
        assert (is_isin(identifier) if kind == "isin" else is_cusip(identifier)), identifier
    assert table["source_url"].str.startswith("https://").all()
    assert (table["ticker"] != "").all()
    cusips = table[table["kind"] == "cusip"]
    assert (cusips["as_of"] != "").all()  # every CUSIP row names the date of its source


def test_a_us_isin_and_its_cusip_agree_on_the_ticker():
    table = _table()
    by_id = dict(zip(table["identifier"], table["ticker"], strict=True))
    for identifier, ticker in by_id.items():
        if is_isin(identifier) and identifier.startswith("US") and identifier[2:11] in by_id:
            assert by_id[identifier[2:11]] == ticker, identifier


def test_bundled_identifiers_of_web_companies_resolve_to_the_company():
    web = DealWeb.bundled()
    assert web.resolve(resolve("US67066G1040")) == "nvidia"  # ISIN
    assert web.resolve(resolve("67066G104")) == "nvidia"  # its CUSIP
    assert web.resolve(resolve("874039100")) == "tsmc"  # the NYSE ADR
    assert web.resolve(resolve("N97284108")) == "nebius"  # a CINS
    assert web.resolve(resolve("NL0010273215")) == "asml"
    assert resolve("US78462F1030") == "SPY"  # a fund: broker files name funds by CUSIP too
    assert resolve("78462F103") == "SPY"
    assert resolve("922908363") == "VOO"  # from Vanguard's fact sheet
    assert resolve("US9229083632") == "VOO"  # its ISIN, derived


def test_a_us_isin_resolves_through_its_cusip_row_and_unknown_ones_stay_unknown():
    # US + CUSIP + check digit: a US ISIN is also looked up by its CUSIP.
    assert resolve("29444U700") == "EQIX"
    assert resolve("US29444U7000") == "EQIX"
    assert resolve("US0231351067") == resolve("023135106") == "AMZN"
    assert resolve("US1912161007") is None  # Coca-Cola: a valid ISIN the bundle does not know
    assert resolve("191216100") is None


@pytest.mark.parametrize("ticker", ["NVDA", "MSFT", "AMZN", "GOOGL", "META", "ORCL", "AMD", "AVGO", "TSM", "INTC",
                                    "MU", "NBIS", "EQIX", "DLR", "VST", "DELL", "NOK", "TSLA", "AAPL", "IBM"])
def test_listed_web_companies_have_a_cusip(ticker):
    table = _table()
    assert ((table["ticker"] == ticker) & (table["kind"] == "cusip")).any()


@pytest.mark.parametrize(("isin", "company"), [("TW0002330008", "tsmc"), ("KR7005930003", "samsung"),
                                               ("KR7005931001", "samsung"), ("KR7000660001", "sk_hynix"),
                                               ("JP3436100006", "softbank"), ("FI0009000681", "nokia"),
                                               ("NL0010273215", "asml"), ("CA1130041058", "brookfield")])
def test_foreign_ordinary_shares_resolve_to_their_company(isin, company):
    assert DealWeb.bundled().resolve(resolve(isin)) == company


def test_a_canadian_isin_and_its_cusip_resolve_alike_and_split_cusips_both_count():
    assert resolve("113004105") == resolve("CA1130041058") == "BAM"  # CA + CUSIP + check digit
    assert resolve("86800U104") == resolve("86800U302") == "SMCI"  # before and after the 2024 split


def test_a_plain_file_of_cusips_or_isins_is_read_as_tickers_and_unknown_ones_stay_unmapped(tmp_path):
    from exposure import Portfolio, analyze

    path = tmp_path / "cusips.csv"
    path.write_text("Symbol/CUSIP,Description,Value\n922908363,VANGUARD S&P 500 ETF,6000\n21873S108,COREWEAVE,500\n"
                    "191216100,COCA COLA,700\n")
    pf = Portfolio.from_csv(path)
    assert dict(zip(pf.positions.index, pf.positions["amount"], strict=True)) == {
        "VOO": 6000.0, "CRWV": 500.0, "191216100": 700.0}
    assert any("922908363 -> VOO, 21873S108 -> CRWV" in n and "kept as they are (unmapped): 191216100" in n
               for n in pf.notes)
    path = tmp_path / "isins.csv"
    path.write_text("ISIN,Name,Value\nTW0002330008,TSMC,1000\nUS1912161007,COCA COLA,700\n")
    report = analyze(Portfolio.from_csv(path))
    holdings = report.holdings.set_index("ticker")
    assert holdings.at["2330.TW", "company_id"] == "tsmc"
    assert holdings.at["US1912161007", "kind"] == "unmapped"  # 700 / 1,700 of the value, reported
