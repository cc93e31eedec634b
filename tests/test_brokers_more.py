"""Layouts first contact found unread: Zerodha Kite, Trading 212 Pie, Yahoo Finance, Hargreaves Lansdown, M1.

Fixtures and their sources are in tests/fixtures/brokers/README.md. Expected values are read off the files by
hand (the sums are written out); rates are those of exposure/data/fx.csv: INR 0.010930156 (1 / 91.49 rupees per
dollar, 2026-02-02), EUR 1.1872 and GBP 1.3683 USD per unit.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_cli

import exposure as ex

BROKERS = Path(__file__).parent / "fixtures" / "brokers"
INR, EUR, GBP = 0.010930156, 1.1872, 1.3683
NEW = ["zerodha_1.csv", "trading212_pie_1.csv", "yahoo_1.csv", "yahoo_2.csv", "yahoo_3.csv", "hl_1.csv",
       "hl_2.csv", "m1_1.csv", "ii_1.csv"]


def read(name: str, **options) -> ex.Portfolio:
    return ex.Portfolio.from_csv(BROKERS / name, **options)


def amounts(pf: ex.Portfolio) -> dict[str, float]:
    return pf.positions["amount"].to_dict()


def notes(pf: ex.Portfolio) -> str:
    return " ".join(pf.notes)


def test_zerodha_kite_holdings_in_rupees_converted_at_the_sourced_rate():
    pf = read("zerodha_1.csv")
    assert pf.format == "zerodha" and pf.kind == "market_value"
    cur_val = {"GILT5YBEES.NS": 494625, "INDHOTEL.NS": 7234, "LIQUIDCASE.NS": 1611680, "LTGILTCASE.NS": 1522000,
               "NIFTYBEES.NS": 1637940, "SBIN.NS": 1531650, "VAML.NS": 504217.5}  # the "Cur. val" column
    assert amounts(pf) == pytest.approx({t: v * INR for t, v in cur_val.items()})
    assert pf.positions["amount"].sum() == pytest.approx(7_309_346.5 * INR)  # 79,892.30 USD
    assert pf.weights["SBIN.NS"] == pytest.approx(1_531_650 / 7_309_346.5)  # 20.95%
    assert pf.positions.at["SBIN.NS", "cost_basis"] == pytest.approx(1_461_300 * INR)  # "Invested"
    assert "INR at 0.0109302 USD per INR (2026-02-02" in notes(pf) and "NSE listing" in notes(pf)


def test_zerodha_download_without_cur_val_uses_quantity_times_ltp_and_skips_its_total(tmp_path):
    path = tmp_path / "holdings.csv"
    path.write_text("Instrument,Qty.,Avg. cost,LTP\nINFY-EQ,10,1500,1600\nTCS,5,3200,3300\nTotal,,,\n")
    pf = ex.Portfolio.from_csv(path, base_currency="INR")
    assert amounts(pf) == pytest.approx({"INFY.NS": 10 * 1600, "TCS.NS": 5 * 3300})


def test_trading212_pie_values_name_no_currency_so_they_are_read_as_weights():
    pf = read("trading212_pie_1.csv")
    assert pf.format == "trading212" and pf.kind == "weight"
    assert pf.weights.to_dict() == pytest.approx({"AMD": 148.23 / 409.73, "HIES": 261.50 / 409.73})  # 36.2%, 63.8%
    assert "read as weights" in notes(pf) and "dollars" in notes(pf)


def test_a_fund_the_broker_names_is_a_fund_not_looked_through_not_a_typo():
    """HIES ("iShares MSCI EM UCITS ETF") has no bundled holdings: its name says it is a fund, so its 63.8% is a
    fund not looked through, not "unmapped: check the tickers"."""
    report = ex.analyze(read("trading212_pie_1.csv"))
    coverage = report.coverage
    assert coverage["unmapped_weight"] == 0.0
    assert coverage["not_looked_through_weight"] == pytest.approx(261.50 / 409.73)
    assert not any(note.startswith("WARNING") for note in report.notes)


@pytest.mark.parametrize("name, fund", [
    ("iShares MSCI EM UCITS ETF", True), ("Fidelity 500 Index Fund", True), ("Amundi MSCI World UCITS ETF Acc", True),
    ("Scottish Mortgage Investment Trust", True), ("Vanguard Total Bond Market ETF", True),
    ("Advanced Micro Devices", False), ("Fundamental Global Inc", False), ("Digital Realty Trust", False), ("", False),
    # UK unit trusts and OEICs as HL prints them: share-class words only funds use
    ("Vanguard FTSE Developed World ex-UK Equity Index Accumulation", True),
    ("HSBC FTSE All-Share Index Tracker C Acc", True), ("Fundsmith Equity I Class Accumulation", True),
    ("Ocado Group plc Ordinary 2p", False), ("Equity Residential", False), ("Accenture plc", False),
])
def test_described_fund(name, fund):
    from exposure.holdings.identifiers import described_fund

    assert described_fund(name) is fund


def test_yahoo_export_values_lots_at_the_current_price_and_leaves_cash_transactions_out():
    pf = read("yahoo_1.csv")
    assert pf.format == "yahoo" and amounts(pf) == pytest.approx({"NVDA": 174.18 * 46})  # 8,012.28
    assert "1 $$CASH_TX row(s) not counted" in notes(pf) and "2025/08/29" in notes(pf)


def test_yahoo_export_converts_a_frankfurt_listing_from_euros():
    pf = read("yahoo_2.csv")
    assert amounts(pf) == pytest.approx({"RKLB": 63.1 * 25, "VAN.F": 174.54 * 5 * EUR})  # 1,577.50 and 1,036.07
    assert "EUR at 1.1872 USD per EUR" in notes(pf)


def test_yahoo_export_of_2020_without_a_transaction_type_column():
    pf = read("yahoo_3.csv")
    assert amounts(pf) == pytest.approx({"VTTVX": 19.14 * 1083, "EMB": 115.3 * 19})  # 20,728.62 and 2,190.70


def test_yahoo_sells_net_out_watchlist_rows_are_skipped_and_an_unknown_suffix_is_refused(tmp_path):
    header = ("Symbol,Current Price,Date,Time,Change,Open,High,Low,Volume,Trade Date,Purchase Price,Quantity,"
              "Commission,High Limit,Low Limit,Comment,Transaction Type\n")
    path = tmp_path / "quotes.csv"
    path.write_text(header + "TSLA,400,2026/09/01,16:00 EDT,,,,,,20260101,100.0,3.0,,,,,BUY\n"
                             "TSLA,400,2026/09/01,16:00 EDT,,,,,,20260201,150.0,1.0,,,,,SELL\n"
                             "BABA,116.3,2026/09/01,12:09 EDT,-3.3,116.0,118.1,115.7,5285276,,,,,,,,\n")
    assert amounts(ex.Portfolio.from_csv(path)) == pytest.approx({"TSLA": 400 * 2})
    path.write_text(header + "VOLV-B.ST,250,2026/09/01,17:30 CEST,,,,,,20260101,200.0,10.0,,,,,BUY\n")
    code, _, err = run_cli("score", path)
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "quotes.csv, row 2, column 'Symbol'" in err and "VOLV-B.ST (exchange suffix .ST)" in err


def test_hargreaves_lansdown_summary_with_preamble_cash_and_totals():
    pf = read("hl_2.csv")
    assert pf.format == "hargreaves"
    assert amounts(pf) == pytest.approx({"B59G4Q7": 9710.09 * GBP, "OCDO.L": 2537.61 * GBP, "CASH": 250.00 * GBP})
    # Stock value 9,710.09 + 2,537.61 = 12,247.70 and Total value 12,247.70 + 250.00 = 12,497.70: no gap noted
    assert "but its rows sum to" not in notes(pf)
    assert pf.positions.at["OCDO.L", "cost_basis"] == pytest.approx(3000.00 * GBP)
    assert pf.accounts == ["HL Stocks & Shares ISA"]


def test_hargreaves_lansdown_2017_layout_without_codes_notes_its_placeholder_totals():
    pf = read("hl_1.csv", base_currency="GBP")
    name = "ABERDEEN ASIAN SMALLER COMPANIES INVESTMENT TRUST ORDINARY 25P *1"  # no Code column: the name
    assert amounts(pf) == pytest.approx({name: 1981.44, "CASH": 12345.67})
    assert "row 6 ('Stock value:') says 12,345.67 GBP, but its rows sum to 1,981.44" in notes(pf)


def test_m1_holdings_are_read_by_the_generic_reader_from_their_value_column():
    pf = read("m1_1.csv")
    assert pf.format == "generic"
    assert amounts(pf) == pytest.approx({"VOO": 10585.80, "JPM": 7277.70, "MICC": 245.51})
    assert pf.weights["VOO"] == pytest.approx(10585.80 / 18109.01)  # 58.5%


def test_interactive_investor_market_value_header_names_its_currency():
    pf = read("ii_1.csv")  # "Market Value £", a UTF-8 BOM, a price in pence ("32,997.50p") that is not needed
    assert pf.format == "generic" and amounts(pf) == pytest.approx({"CS1": 329.98 * GBP})  # 451.51 USD
    assert "GBP at 1.3683 USD per GBP" in notes(pf)


def test_a_value_header_naming_a_currency_converts_cells_without_a_sign(tmp_path):
    path = tmp_path / "valuation.csv"
    path.write_text("Investment,Ticker,Quantity,Price,Value (EUR)\nASML,ASML.AS,2,700,1400\n")
    assert amounts(ex.Portfolio.from_csv(path)) == pytest.approx({"ASML.AS": 1400 * EUR})


def test_dhan_holdings_list_names_not_tickers_and_are_refused_in_one_line():
    code, out, err = run_cli("score", BROKERS / "refused" / "dhan_1.csv")
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1
    assert "dhan_1.csv" in err and "no header row with a 'ticker'" in err and "Fix:" in err


@pytest.mark.parametrize("name", NEW)
def test_score_and_report_run_on_every_new_export(name, tmp_path):
    code, out, err = run_cli("score", BROKERS / name)
    assert code == 0 and "Traceback" not in err and name in out
    code, _, err = run_cli("report", BROKERS / name, "--out", tmp_path / "report.html")
    assert code == 0 and (tmp_path / "report.html").stat().st_size > 0, err


def test_an_hl_index_fund_is_a_fund_so_suggest_does_not_cap_it_like_a_stock():
    """hl_2.csv: B59G4Q7, "Vanguard FTSE Developed World ex-UK Equity Index Accumulation", 9,710.09 of 12,497.70
    (77.7%), is a fund not looked through; the single-stock cap of 10% never sells it down."""
    pf = read("hl_2.csv")
    report = ex.analyze(pf)
    assert report.coverage["not_looked_through_weight"] == pytest.approx(9710.09 / 12497.70)
    sug = ex.suggest(pf, None, ex.Constraints(hub_caps={"openai": 0.02}))
    assert "B59G4Q7" not in sug.trades.index
