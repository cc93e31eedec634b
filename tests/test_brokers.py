"""Broker exports (tests/fixtures/brokers, sources in its README) and the holdings reader's edge cases.

Expected values are read off the fixture files by hand (sums and conversions written out in the
comments); exchange rates are those of exposure/data/fx.csv: EUR 1.1872 and CAD 0.718546 USD per unit.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest
from conftest import run_cli
from hypothesis import given, settings
from hypothesis import strategies as st

import exposure as ex
from exposure.errors import PortfolioError
from exposure.holdings import line_table, read_holdings
from exposure.holdings.identifiers import did_you_mean, is_cusip, is_isin, resolve
from exposure.holdings.rows import ROW_CLASSES, option_underlying

BROKERS = Path(__file__).parent / "fixtures" / "brokers"
EUR, CAD = 1.1872, 0.718546


def read(name: str, **options) -> ex.Portfolio:
    return ex.Portfolio.from_csv(BROKERS / name, **options)


def amounts(pf: ex.Portfolio) -> dict[str, float]:
    return pf.positions["amount"].to_dict()


def notes(pf: ex.Portfolio) -> str:
    return " ".join(pf.notes)


# --------------------------------------------------------------------------------------------- Fidelity
def test_fidelity_new_layout_cash_pending_and_short_calls():
    pf = read("fidelity_1.csv")
    assert pf.format == "fidelity" and pf.kind == "market_value"
    assert amounts(pf) == pytest.approx({
        "CASH": 10960.99 + 89998.14,  # SPAXX** core position + Pending activity
        "CAVA": 14884.00, "MU": 2914.98, "NFLX": 15632.00, "ONDS": 11550.00, "RDDT": 17809.00,
        "TEAM": 16222.00, "UBER": 7595.00, "UNH": 40173.00})
    assert sorted(pf.derivatives["underlying"]) == ["NFLX", "ONDS", "TEAM", "UBER", "UNH"]
    assert pf.derivatives["value"].sum() == pytest.approx(-1.00 - 2200.00 - 4201.00 - 1.00 - 2195.00)
    assert pf.accounts == ["Individual - TOD Z00000001"]
    assert "pending activity counted as cash" in notes(pf)
    assert "CASH" in pf.weights.index and pf.weights.sum() == pytest.approx(1.0)
    assert pf.positions.at["UNH", "market_value"] == 40173.00
    assert pf.positions["weight"].to_dict() == pytest.approx(pf.weights.to_dict())


def test_fidelity_old_layout_two_accounts():
    pf = read("fidelity_2.csv")
    assert amounts(pf) == pytest.approx({"VWO": 45900.35, "VOO": 45900.35})
    assert pf.accounts == ["AAAA Z00000000", "BBBB Z00000001"]
    assert amounts(pf.account("bbbb")) == pytest.approx({"VOO": 45900.35})


def test_fidelity_short_view_cash_labels_and_short_puts_in_the_generic_reader():
    pf = read("fidelity_3.csv")
    assert pf.format == "generic"
    assert amounts(pf) == pytest.approx({"XYZ": 4825.0, "CASH": 1638.26 + 2761.66})  # Cash (FCASH), Cash (SPAXX)
    assert pf.derivatives[["ticker", "underlying", "value"]].values.tolist() == [
        ["DEF260227P15", "DEF", -87.0], ["ABC260227P9", "ABC", -750.0]]  # short puts: no error


def test_fidelity_pending_activity_without_an_amount_is_no_error(tmp_path):
    path = tmp_path / "Portfolio_Positions.csv"
    path.write_text("Account Name/Number,Symbol,Description,Quantity,Last Price,Current Value,Type\n"
                    'Individual - Z00000000,AAPL,APPLE INC,25.500,$242.10,"$6,173.55",Cash\n'
                    'Individual - Z00000000,Pending Activity,,,,,""\n')
    pf = ex.Portfolio.from_csv(path)
    assert amounts(pf) == {"AAPL": 6173.55}


# ----------------------------------------------------------------------------------------------- Schwab
def test_schwab_all_accounts_blocks_totals_and_cash():
    pf = read("schwab_1.csv")
    assert amounts(pf) == pytest.approx({"SCHB": 23230.62, "CASH": 2 * 42.82, "VOO": 2010.00, "IAU": 5050.00})
    # the file's own "Account Total" rows disagree with their rows: 23,230.62 + 42.82 = 23,273.44 and
    # 2,010 + 5,050 + 42.82 = 7,102.82, against 23,755.44 both times
    assert "says 23,755.44 USD, but its rows sum to 23,273.44" in notes(pf)
    assert "rows sum to 7,102.82" in notes(pf)
    roth = pf.account("Roth IRA")
    assert amounts(roth) == pytest.approx({"VOO": 2010.00, "IAU": 5050.00, "CASH": 42.82})


def test_schwab_2024_headers_use_market_value_not_quantity_times_price():
    pf = read("schwab_2.csv")
    assert amounts(pf) == pytest.approx({"SCHB": 9099.99})
    assert pf.accounts == ["Individual ...111"]


def test_schwab_2026_theme_quantity_headers_and_trailing_commas():
    pf = read("schwab_3.csv")
    assert amounts(pf) == pytest.approx({"AAPL": 7430.63, "VOO": 24450.73, "QQQ": 2758.11, "CASH": 578.57})
    assert pf.accounts == ["Designated Bene Individual ...063"]


def test_schwab_custaccs_title_and_cells_padded_with_empty_strings(tmp_path):
    # the older all-accounts title ("Positions for CUSTACCS") and rows padded with "" cells, as in the
    # Schwab layout quoted in a public C# importer (code-index file id 41613704640); amounts made up
    pad = ',""' * 16
    head = ('"Symbol","Description","Quantity","Price","Market Value","Security Type"' + "\n")
    path = tmp_path / "All-Accounts-Positions.csv"
    path.write_text(f'"Positions for CUSTACCS as of 09:13 PM ET, 02/04/2023"{pad}\n""{pad}\n'
                    f'"Individual ...111"{pad}\n{head}'
                    '"MSFT","MICROSOFT CORP","100","$400.00","$40,000.00","Equity"\n'
                    '"Cash & Cash Investments","--","--","--","$5.20","Cash and Money Market"\n'
                    '"Account Total","--","--","--","$40,005.20","--"\n'
                    f'""{pad}\n"Roth IRA ...222"{pad}\n{head}'
                    '"VOO","VANGUARD S&P 500","10","$600.00","$6,000.00","ETFs & Closed End Funds"\n'
                    '"Account Total","--","--","--","$6,000.00","--"\n')
    pf = ex.Portfolio.from_csv(path)
    assert amounts(pf) == pytest.approx({"MSFT": 40000.0, "CASH": 5.20, "VOO": 6000.0})
    assert pf.accounts == ["Individual ...111", "Roth IRA ...222"] and "but its rows sum to" not in notes(pf)


# --------------------------------------------------------------------------------------------- Vanguard
def test_vanguard_holdings_then_transactions_table():
    pf = read("vanguard_1.csv")
    assert len(pf.accounts) == 12
    assert pf.positions.at["VTSAX", "amount"] == pytest.approx(15982.40 + 17429.75 + 17992.00)
    assert pf.positions.at["NVDA", "amount"] == pytest.approx(1988.88 + 2486.10 + 2983.32)
    table = line_table(read_holdings((BROKERS / "vanguard_1.csv").read_bytes(), "vanguard_1.csv"))
    assert (table["class"] == "security").sum() == 60
    assert set(table.loc[table["line"] >= 65, "reason"]) == {"trailing table (transactions)"}


def test_vanguard_529_plan_without_symbols():
    pf = read("vanguard_2.csv")
    assert pf.format == "vanguard"
    # 1,634.4842 x $19.64 = 32,101.27 and 626.8554 x $69.83 = 43,773.31: the fund names stand for tickers
    assert amounts(pf) == pytest.approx({"2034/2035 ENROLLMENT PORTFOLIO": 32101.27,
                                         "LARGE-CAP STOCK INDEX PORTFOLIO": 43773.31})
    assert 1634.4842 * 19.64 == pytest.approx(32101.27, abs=0.01) and 626.8554 * 69.83 == pytest.approx(43773.31,
                                                                                                       abs=0.01)


# ---------------------------------------------------------------------------------------------- E*TRADE
def test_etrade_lots_are_never_counted_twice_and_the_total_reconciles():
    pf = read("etrade_1.csv")
    assert amounts(pf) == pytest.approx({
        "HL": 385.52, "IGOI": 3241.25 + 6912.938, "NBGIF": 47520.00 + 7560.00, "SQBG": 1335.36,
        "TWTR": 116525.85, "UTSI": 3086.91, "CASH": 4302.58})
    assert pf.derivatives[["underlying", "shares", "value"]].values.tolist() == [["TWTR", -35.0, -927.5]]
    assert "58 lot sub-row(s) skipped" in notes(pf)
    assert "but its rows sum to" not in notes(pf)  # 189,942.91, the file's TOTAL, is the rows' sum
    assert pf.accounts == ["Individual -0000"]


def test_etrade_custom_view_with_filters_and_a_cusip_symbol():
    pf = read("etrade_2.csv")
    assert pf.positions.at["NVDA", "amount"] == pytest.approx(1829.2622)
    assert pf.positions.at["VOO", "amount"] == pytest.approx(4034.9691)
    assert pf.positions.at["CASH", "amount"] == pytest.approx(67.83)
    assert len(pf.positions) == 22 and "but its rows sum to" not in notes(pf)


def test_etrade_mixed_account_with_a_cd_a_money_market_fund_and_a_long_put():
    """etrade_3.csv: 109,992.74 + 1,167.65 + 1,407.50 (put) + 50,000 (VMFXX) + 7,096.82 = 169,664.71, the
    Net Account Value of its summary line."""
    pf = read("etrade_3.csv")
    assert pf.format == "etrade"
    assert amounts(pf) == pytest.approx({"KEY BANK CD CLEVELAND OH CD 3.85% 08/24/2026": 109992.74,
                                         "LCTX": 1167.65, "CASH": 50000.00 + 7096.82})
    assert pf.derivatives[["underlying", "shares", "value"]].values.tolist() == [["QQQ", 1.0, 1407.50]]
    assert sum(amounts(pf).values()) + 1407.50 == pytest.approx(169664.71)
    assert pf.accounts == ["Individual Brokerage -0000"]


# ----------------------------------------------------------------------------------------------- DEGIRO
def test_degiro_isins_decimal_commas_and_two_currencies():
    pf = read("degiro_1.csv")
    assert pf.positions.at["ASML", "amount"] == pytest.approx(13262.40 * EUR)  # EUR line, converted
    assert pf.positions.at["CRWV", "amount"] == pytest.approx(11323.20)  # USD line, as it is
    assert pf.positions.at["NBIS", "amount"] == pytest.approx(20928.37)
    assert pf.positions.at["CASH", "amount"] == pytest.approx(260.04 * EUR + 105.00)
    assert "EUR at 1.1872 USD per EUR (2026-01-26" in notes(pf)


def test_degiro_unknown_isins_stay_unmapped_and_are_reported():
    pf = read("degiro_2.csv")
    assert pf.positions.at["SHEL", "amount"] == pytest.approx(83.82 * EUR)
    assert "IE0007Y8Y157" in pf.positions.index
    assert "identifiers with no known ticker" in notes(pf) and "VANECK QUANTUM" in notes(pf)


def test_degiro_in_euros_as_base_currency():
    pf = read("degiro_1.csv", base_currency="EUR")
    assert pf.base_currency == "EUR"
    assert pf.positions.at["ASML", "amount"] == pytest.approx(13262.40)
    assert pf.positions.at["CRWV", "amount"] == pytest.approx(11323.20 / EUR)


def test_degiro_french_older_layout_with_the_local_value_in_one_cell():
    pf = read("degiro_3.csv")
    assert pf.format == "degiro"
    # "5.000000" shares and "USD 877.50" use decimal points while the prices use commas ("175,50")
    assert amounts(pf) == pytest.approx({"AAPL": 877.50, "MSFT": 550.00, "IE00B3XXRP09": 475.00 * EUR,
                                         "CASH": 0.75 * EUR + 10.25})


def test_degiro_german_headers_and_a_negative_cash_line():
    pf = read("degiro_4.csv")
    assert amounts(pf) == pytest.approx({"US00724F1012": 1234.12, "US0090661010": 123.30, "CASH": -0.56 * EUR})


# ------------------------------------------------------------------------------------ Interactive Brokers
def test_ibkr_activity_statement_sections_currencies_and_totals():
    pf = read("ibkr_1.csv")
    assert amounts(pf) == pytest.approx({
        "XEQT": 8685.97 * CAD, "XUU": 8701.4 * CAD, "AAPL": 2678.82, "AMZN": 497.0, "VOO": 6395.51,
        "CASH": 10901.116301185 + 29.209999525 * CAD})
    # the CAD group's Total (17,387.37) is its rows' sum; the USD group's (26,837.12) is not (9,571.33)
    assert "row 17 ('Total Stocks USD') says 26,837.12 USD, but its rows sum to 9,571.33" in notes(pf)
    assert "row 13 ('Total Stocks CAD') says" not in notes(pf)
    assert "CAD at 0.718546 USD per CAD (2026-01-16" in notes(pf)


def test_ibkr_flex_query_with_an_option(tmp_path):
    path = tmp_path / "flex.csv"
    path.write_text('"ClientAccountID","CurrencyPrimary","AssetClass","Symbol","Description","Quantity",'
                    '"MarkPrice","PositionValue","UnderlyingSymbol"\n'
                    '"U1","USD","STK","NVDA","NVIDIA CORP","10","180","1800",""\n'
                    '"U1","USD","OPT","NVDA  261218C00200000","NVDA 18DEC26 200 C","-1","5","-500","NVDA"\n'
                    '"U1","EUR","STK","ASML","ASML HOLDING","2","700","1400",""\n')
    pf = ex.Portfolio.from_csv(path)
    assert pf.format == "ibkr"
    assert amounts(pf) == pytest.approx({"NVDA": 1800.0, "ASML": 1400 * EUR})
    assert pf.derivatives["underlying"].tolist() == ["NVDA"]


def test_ibkr_long_open_positions_section_with_lots_in_three_currencies():
    pf = read("ibkr_3.csv")
    assert amounts(pf) == pytest.approx({"ENB": 7599.9 * CAD, "FTS": 5051.2 * CAD, "TD": 9801.45 * CAD,
                                         "MUV2D": 3078 * EUR, "UNVB": 2928 * EUR, "ADP": 5050.08})
    assert "37 lot sub-row(s) skipped" in notes(pf)
    # 7,599.90 + 5,051.20 + 9,801.45 = 22,452.55 CAD and 3,078 + 2,928 = 6,006 EUR: the file's totals hold
    assert "but its rows sum to" not in notes(pf)


def test_ibkr_statement_in_german(tmp_path):
    # the German statement of a public node test (code-index file id 69835457597): IBKR names sections and
    # columns in the account's language ("Offene Positionen", "Menge", "Wert"); USO is a short position
    path = tmp_path / "U1_20260915.csv"
    path.write_text("Statement,Header,Feldname,Feldwert\nStatement,Data,BrokerName,Interactive Brokers LLC\n"
                    "Offene Positionen,Header,DataDiscriminator,Anlagekategorie,Währung,Symbol,Menge,Mult,"
                    "Einstandspreis,Einstandswert,Schlusskurs,Wert,Unrealisierter G/V,Code\n"
                    "Offene Positionen,Data,Summary,Aktien,USD,AAA,120,1,105,12600,150,18000,5400,\n"
                    "Offene Positionen,Data,Summary,Aktien,USD,USO,-8,1,158.58,-1268.64,161.86,-1294.88,-26.24,\n"
                    "Transaktionen,Header,DataDiscriminator,Anlagekategorie,Währung,Konto,Symbol,Datum/Zeit,Menge,"
                    "T.-Kurs,Schlusskurs,Erlös,Provision/Gebühr,Basis,Realisierter G/V,MTM G/V,Code\n"
                    'Transaktionen,Data,Order,Aktien,USD,U1,AAA,"2026-03-02, 10:00:00",20,120,120,-2400,-1,2401,0,0,O\n',
                    encoding="utf-8")
    assert amounts(ex.Portfolio.from_csv(path)) == pytest.approx({"AAA": 18000.0, "USO": -1294.88})


def test_ibkr_open_positions_without_a_value_column_use_quantity_times_close(tmp_path):
    path = tmp_path / "statement.csv"
    path.write_text("Statement,Header,Field Name,Field Value\n"
                    "Open Positions,Header,DataDiscriminator,Asset Category,Currency,Symbol,Quantity,Mult,Cost Price,"
                    "Close Price\nOpen Positions,Data,Summary,Stocks,USD,AAPL,10,1,148.50,152.00\n")
    assert amounts(ex.Portfolio.from_csv(path)) == pytest.approx({"AAPL": 1520.0})


# ----------------------------------------------------------------------------------------------- Merrill
def test_merrill_holdings_download_two_accounts_sweep_and_short_options():
    pf = read("merrill_1.csv")
    assert pf.format == "merrill"
    assert amounts(pf) == pytest.approx({"XYZ": 208660.00, "CASH": 2486.98 + 1258.53})  # IIAXX in both accounts
    assert sorted(pf.derivatives["underlying"]) == ["ABC", "DEF", "XYZ"]
    assert pf.derivatives["value"].sum() == pytest.approx(-1365.00 - 6.00 - 132.00)  # "(1,365.00)" is negative
    assert pf.accounts == ["IRA-Edge AA-11111", "Roth IRA-Edge BB-22222"]
    assert amounts(pf.account("Roth")) == pytest.approx({"CASH": 1258.53})


def test_merrill_web_export_padded_cells_balances_and_total():
    pf = read("merrill_2.csv")
    assert pf.format == "merrill" and pf.accounts == ["CMA-Edge 00A-00000"]
    assert amounts(pf) == pytest.approx({"JEPI": 7035.66, "CASH": 28.00})  # "Money accounts" after "Balances"
    # the sample was trimmed to one position by its author, so its Total is the whole account's
    assert "says 38,897.21 USD, but its rows sum to 7,063.66" in notes(pf)


def test_merrill_bank_deposit_program_without_a_symbol_is_cash():
    pf = read("merrill_3.csv")
    assert amounts(pf) == pytest.approx({"AMD": 4209.90, "VFIAX": 2136.98, "CASH": 774.00})
    assert 10 * 420.99 == pytest.approx(4209.90) and 3.124 * 684.05 == pytest.approx(2136.98, rel=5e-3)


def test_merrill_tax_lot_view_takes_the_first_word_as_ticker(tmp_path):
    path = tmp_path / "ExportData15072026205300.csv"  # the tax-lot layout of merrill_2's source, same account
    path.write_bytes(b'Exported on: 07/15/2026 08:53 PM ET\r\n\r\nSelected account(s):CMA-Edge 00A-00000\r\n,\r\n'
                     b'"" ,"Symbol " ,"Quantity" ,"Unit Cost" ,"Cost Basis" ,"Price" ,"Value" ,'
                     b'"Unrealized Gain/Loss $ Chg % Chg" ," " \r\n'
                     b'"" ,"JEPI !  Executed Buy" ,"122.5084" ,"$57.29" ,"$7,018.37" ,"$56.62" ,"$6,936.42" ,'
                     b'"-$81.95 -1.17%" ,"" \r\n')
    pf = ex.Portfolio.from_csv(path)
    assert pf.format == "merrill" and amounts(pf) == pytest.approx({"JEPI": 6936.42})
    assert pf.accounts == ["CMA-Edge 00A-00000"]


# ------------------------------------------------------------------------------------------- Wealthsimple
def test_wealthsimple_report_three_accounts_cad_and_usd():
    pf = read("wealthsimple_1.csv")
    assert pf.format == "wealthsimple"
    found = amounts(pf)
    assert found["NBIS"] == pytest.approx(237.215) and found["AAPL"] == pytest.approx(1703.617344)
    assert found["SNDK"] == pytest.approx(906.995832)
    assert found["RY.TO"] == pytest.approx(347.469528 * CAD)
    assert found["APTX.TO"] == pytest.approx(33.005 * CAD)  # a TSX listing, not the US ticker APTX
    assert found["UCU.V"] == pytest.approx(0.904887 * CAD)  # TSX-V
    assert found["NVDA"] == pytest.approx(476.054978 * CAD)  # the Nvidia CDR tracks Nvidia
    # CURRENCY rows: USD 1,177.46 + 1,033.83 + 4,755.01 and CAD 23.97 + 136.44
    assert found["CASH"] == pytest.approx(1177.46 + 1033.83 + 4755.01 + (23.97 + 136.44) * CAD)
    assert len(found) == 23 and "USD" not in found and "CAD" not in found
    assert pf.accounts == ["FHSA HQ0000001CAD", "Non-registered HQ0000002CAD", "TFSA HQ0000003CAD"]
    assert amounts(pf.account("Non-registered")) == pytest.approx({"CASH": 1033.83 + 23.97 * CAD})


def test_ibkr_flex_query_real_positions_in_two_currencies():
    pf = read("ibkr_2.csv")
    assert pf.format == "ibkr"
    assert amounts(pf) == pytest.approx({"KESKOB": 21000 * EUR, "TELIA1": 38580 * EUR, "CSWC": 23240.0,
                                         "EPR": 103400.0, "ORC": 41600.0, "TCPC": 25750.0, "TRIN": 16970.0})


def test_ibkr_flex_query_with_record_markers_lots_other_sections_and_cash(tmp_path):
    # synthetic, in the layout of IBKR's "Include header and trailer records" option: BOF/BOA/BOS/EOS lines,
    # "HEADER","POST" / "DATA","POST" prefixes, SUMMARY and LOT rows, a Trades section and a Cash Report
    path = tmp_path / "flex.csv"
    path.write_text(
        '"BOF","U0000000","Positions","1","20261231","20261231"\n"BOA","U0000000"\n'
        '"BOS","TRNT","Trades; trade date basis"\n'
        '"HEADER","TRNT","ClientAccountID","CurrencyPrimary","AssetClass","Symbol","Quantity","TradePrice"\n'
        '"DATA","TRNT","U0000000","USD","STK","MSFT","5","410.50"\n"EOS","TRNT"\n"BOS","POST","Open Positions"\n'
        '"HEADER","POST","ClientAccountID","CurrencyPrimary","AssetClass","Symbol","Description","Quantity",'
        '"MarkPrice","PositionValue","LevelOfDetail"\n'
        '"DATA","POST","U0000000","USD","STK","NVDA","NVIDIA CORP","10","180","1800","SUMMARY"\n'
        '"DATA","POST","U0000000","USD","STK","NVDA","NVIDIA CORP","6","180","1080","LOT"\n'
        '"DATA","POST","U0000000","USD","STK","NVDA","NVIDIA CORP","4","180","720","LOT"\n'
        '"DATA","POST","U0000000","EUR","STK","ASML","ASML HOLDING","1","700","700","SUMMARY"\n"EOS","POST"\n'
        '"BOS","CRTT","Cash Report"\n'
        '"HEADER","CRTT","ClientAccountID","CurrencyPrimary","LevelOfDetail","EndingCash"\n'
        '"DATA","CRTT","U0000000","USD","BaseCurrency","1237.50"\n"DATA","CRTT","U0000000","USD","Currency","50"\n'
        '"DATA","CRTT","U0000000","EUR","Currency","1000"\n"EOS","CRTT"\n"EOA","U0000000"\n"EOF"\n')
    pf = ex.Portfolio.from_csv(path)
    # MSFT is a trade, not a position; the LOT rows are NVDA's lots; cash is the per-currency rows only
    assert amounts(pf) == pytest.approx({"NVDA": 1800.0, "ASML": 700 * EUR, "CASH": 50 + 1000 * EUR})
    assert pf.accounts == ["U0000000"]
    assert "2 lot sub-row(s) skipped" in notes(pf)


def test_ibkr_flex_query_without_positions_names_the_format(tmp_path):
    path = tmp_path / "trades.csv"
    path.write_text('"BOF","U1","trades","1","20260501","20260501"\n"BOS","TRNT","Trades"\n'
                    '"ClientAccountID","AccountAlias","CurrencyPrimary","AssetClass","Symbol","Quantity","TradePrice"\n'
                    '"U1","","USD","STK","AAPL","10","150.25"\n"EOS","TRNT"\n"EOF"\n')
    with pytest.raises(PortfolioError, match="no holdings found in this Interactive Brokers Flex Query file"):
        ex.Portfolio.from_csv(path)


# ----------------------------------------------------------------------------------------- edge cases
def test_generic_file_with_quantity_and_value_uses_the_value_with_a_note(tmp_path):
    path = tmp_path / "h.csv"
    path.write_text("Symbol,Quantity,Last Price,Current Value\nNVDA,10,180,1800\nMSFT,2,400,800\n")
    pf = ex.Portfolio.from_csv(path)
    assert amounts(pf) == {"NVDA": 1800.0, "MSFT": 800.0}
    assert "amounts from 'Current Value' (market value); 'Quantity' not used" in notes(pf)


def test_generic_shares_and_price_give_market_values(tmp_path):
    path = tmp_path / "h.csv"
    path.write_text("ticker,shares,price\nNVDA,10,180\nMSFT,2,400.5\n")
    pf = ex.Portfolio.from_csv(path)
    assert pf.kind == "market_value" and amounts(pf) == {"NVDA": 1800.0, "MSFT": 801.0}


def test_generic_currency_column_is_converted_and_an_unknown_currency_refused(tmp_path):
    path = tmp_path / "h.csv"
    path.write_text("ticker,market_value,currency\n005930.KS,20000000,KRW\nNVDA,1000,USD\n")
    pf = ex.Portfolio.from_csv(path)
    assert pf.positions.at["005930.KS", "amount"] == pytest.approx(20_000_000 * 0.000676819)  # not 20 million USD
    path.write_text("ticker,market_value,currency\nNVDA,1000,XYZ\n")
    with pytest.raises(PortfolioError, match="row 2.*no exchange rate for XYZ"):
        ex.Portfolio.from_csv(path)


def test_schwab_option_is_a_derivative_and_a_short_call_is_no_error(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text('"Positions for account Roth IRA ...999 as of 10:00 AM ET, 2026/05/06"\n\n'
                    '"Symbol","Description","Qty (Quantity)","Price","Mkt Val (Market Value)","Security Type"\n'
                    '"AAPL","APPLE INC","10","$250.00","$2,500.00","Equity"\n'
                    '"AAPL 01/16/2027 300.00 C","CALL APPLE","-1","$4.15","-$415.00","Option"\n'
                    '"Cash & Cash Investments","--","--","--","$100.00","Cash and Money Market"\n'
                    '"Positions Total","","--","--","$2,185.00",""\n')
    pf = ex.Portfolio.from_csv(path)
    assert amounts(pf) == {"AAPL": 2500.0, "CASH": 100.0}
    assert pf.derivatives["value"].tolist() == [-415.0]
    assert "but its rows sum to" not in notes(pf)  # 2,500 - 415 + 100 = 2,185


def test_degiro_english_header_is_detected(tmp_path):
    path = tmp_path / "Portfolio.csv"
    path.write_text('Product,Symbol/ISIN,Quantity,Closing,Local value,,Value in EUR\n'
                    'ASML HOLDING NV,NL0010273215,2,"700,00",EUR,"1400,00","1400,00"\n')
    assert amounts(ex.Portfolio.from_csv(path)) == pytest.approx({"ASML": 1400 * EUR})


@pytest.mark.parametrize("symbol, underlying", [
    (" -NFLX260821C100", "NFLX"), ("TWTR Feb 15 '19 $41 Call", "TWTR"), ("SMAL 04/01/2020 32.00 P", "SMAL"),
    ("-AZN210219C59", "AZN"), ("TSLA#B1326C425000", "TSLA"), ("NVDA", None), ("BRK.B", None), ("SPAXX**", None)])
def test_option_symbols(symbol, underlying):
    assert option_underlying(symbol) == underlying


def test_identifiers_check_digits_and_resolution():
    assert is_isin("US67066G1040") and is_cusip("67066G104") and not is_isin("US67066G1041")
    assert resolve("NL0010273215") == "ASML" and resolve("US21873S1087") == "CRWV"
    assert resolve("21873S108") == "CRWV"  # the CUSIP inside a US ISIN
    assert resolve("US0000000000") is None
    assert did_you_mean("NVDIA", ["NVDA", "MSFT", "AMD"]) == "NVDA"
    assert did_you_mean("ZZZZZZ", ["NVDA", "MSFT"]) is None


def test_mistyped_ticker_gets_did_you_mean_and_a_prominent_warning():
    report = ex.analyze(pd.Series({"NVDIA": 0.8, "MSFT": 0.2}))
    assert report.notes[0].startswith("WARNING: 80% of the portfolio's value is not mapped")
    assert "did you mean NVDA?" in " ".join(report.notes)


def test_account_that_matches_nothing_lists_the_accounts():
    with pytest.raises(PortfolioError, match="no account matches 'Joint'.*Individual XXXX-1111; Roth IRA"):
        read("schwab_1.csv").account("Joint")


def test_unreadable_broker_file_is_one_line_and_exit_2(tmp_path):
    path = tmp_path / "Portfolio_Positions.csv"
    path.write_text("Account Number,Account Name,Symbol,Description,Quantity,Current Value\n")
    code, _, err = run_cli("holdings", path)
    assert code == 2 and len(err.strip().splitlines()) == 1 and "Fidelity positions" in err


def test_broker_file_without_positions_names_the_format(tmp_path):
    path = tmp_path / "Portfolio_Positions.csv"
    path.write_text("Account Number,Account Name,Symbol,Description,Quantity,Current Value\n\n"
                    '"Date downloaded 07/30/2021 2:26 PM ET"\n')
    with pytest.raises(PortfolioError, match="no holdings found in this Fidelity positions file") as error:
        ex.Portfolio.from_csv(path)
    assert "\n" not in str(error.value) and "Fix:" in str(error.value)


@pytest.mark.parametrize("header, row", [
    ('"Date","Action","Symbol","Description","Quantity","Price","Fees & Comm","Amount"',  # Schwab transactions
     '"01/15/2024","Buy","AAPL","APPLE INC","100","$185.50","$1.50","-$18,551.50"'),
    ("Run Date,Action,Symbol,Description,Type,Price ($),Quantity,Amount ($)",  # Fidelity Accounts_History
     "07/30/2026,DIVIDEND RECEIVED SCHD,SCHD,SCHWAB US DIVIDEND EQUITY ETF,Cash,,,0.01"),
    ('"Activity Date","Process Date","Instrument","Trans Code","Quantity","Price","Amount"',  # Robinhood
     '"9/20/2026","9/20/2026","AAPL","Sell","5","$190.00","$950.00"')])
def test_a_transactions_export_is_refused_not_read_as_holdings(tmp_path, header, row):
    path = tmp_path / "export.csv"
    path.write_text(f"{header}\n{row}\n")
    with pytest.raises(PortfolioError, match="a transactions \\(activity\\) export") as error:
        ex.Portfolio.from_csv(path)
    assert "\n" not in str(error.value)


#: Real transactions exports of 29 brokers and trackers (tests/fixtures/brokers/activity): the columns that
#: mark each as activity, read off its header by hand.
ACTIVITY = {
    "avanza": ("datum", "typ av transaktion"), "bitvavo": ("date", "type"),
    "bux": ("transaction time", "transaction category"), "coinbase": ("timestamp", "transaction type"),
    "cointracking": ("date", "type"), "cryptocom": ("timestamp", "transaction description"),
    "degiro": ("datum", "mutatie"), "delta": ("date", "way"), "directa": ("data operazione", "tipo operazione"),
    "disnat": ("date de transaction", "type de transaction"), "etoro": ("date", "type"),
    "finpension-3a": ("date", "category"), "finpension-bvg": ("date", "category"),
    "freetrade": ("timestamp", "type"), "ibkr-dividends": ("settledate", "type"),
    "ibkr-trades": ("tradedate", "buy/sell"), "investengine": ("trade date/time", "transaction type"),
    "investimental": ("settlement date", "order id"), "parqet": ("datetime", "type"),
    "rabobank": ("datum", "type mutatie"), "relai": ("date", "transaction type"),
    "revolut-crypto": ("date", "type"), "revolut-invest": ("date", "type"), "saxo": ("trade date", "type"),
    "schwab": ("date", "action"), "swissquote": ("date", "order #"), "traderepublic": ("datum", "transactietype"),
    "trading212": ("time", "action"), "xtb": ("time", "type")}


def test_every_activity_fixture_is_listed():
    assert sorted(p.stem for p in (BROKERS / "activity").glob("*.csv")) == sorted(ACTIVITY)


@pytest.mark.parametrize("name", sorted(ACTIVITY))
def test_real_transactions_exports_are_refused_in_one_line_naming_their_columns(name):
    """Trading 212, eToro, Revolut, XTB... export only transactions; none may be read (or scored) as holdings."""
    date, action = ACTIVITY[name]
    with pytest.raises(PortfolioError, match="a transactions \\(activity\\) export") as error:
        ex.Portfolio.from_csv(BROKERS / "activity" / f"{name}.csv")
    message = str(error.value)
    assert "\n" not in message and f"'{date}' and '{action}' columns" in message and "Fix:" in message
    assert "read as a ticker and amount table" not in message  # it was not read as holdings at all


def test_position_exports_with_a_date_and_a_type_column_are_not_taken_for_activity(tmp_path):
    """An option expiry or a statement date is no trade date: a tastytrade-like positions view still reads."""
    path = tmp_path / "positions.csv"
    path.write_text("Account,Symbol,Type,Quantity,Exp Date,Mark,Value\n"
                    "X0000,NVDA,Equity,10,,180.00,1800.00\nX0000,MSFT,Equity,2,,500.00,1000.00\n")
    assert amounts(ex.Portfolio.from_csv(path)) == {"NVDA": 1800.0, "MSFT": 1000.0}


# --------------------------------------------------------------------------------------- pandas and display
def test_constructors_take_series_dicts_and_ticker_indexed_frames():
    series = pd.Series({"NVDA": 0.6, "MSFT": 0.4})
    for pf in (ex.Portfolio.from_weights(series), ex.Portfolio.from_weights({"NVDA": 0.6, "MSFT": 0.4}),
               ex.Portfolio.from_frame(series.rename("weight").to_frame()),
               ex.Portfolio.from_frame(series.rename_axis("ticker").rename("weight").to_frame())):
        assert pf.weights.to_dict() == pytest.approx({"NVDA": 0.6, "MSFT": 0.4})
        assert pf.positions.index.name == "ticker" and list(pf.positions.index) == ["NVDA", "MSFT"]


def test_short_repr_and_html():
    pf = read("fidelity_1.csv")
    assert repr(pf) == "Portfolio(9 positions by market_value (USD), 5 options apart, from " \
                       f"{BROKERS / 'fidelity_1.csv'})"
    page = pf._repr_html_()
    assert page.startswith("<p><b>Portfolio(9 positions") and "<table" in page and "UNH" in page


# ------------------------------------------------------------------------------------------------- CLI
def test_holdings_command_json_names_every_line():
    code, out, _ = run_cli("holdings", BROKERS / "etrade_1.csv", "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["format"] == "etrade" and data["counts"]["lot"] == 58
    text = (BROKERS / "etrade_1.csv").read_text().splitlines()
    assert sorted(r["line"] for r in data["lines"]) == [k + 1 for k, line in enumerate(text) if line.strip()]


def test_score_one_account():
    code, out, _ = run_cli("score", BROKERS / "schwab_1.csv", "--account", "2222", "--format", "json")
    assert code == 0 and any("account Roth IRA XXXX-2222 only" in n for n in json.loads(out)["notes"])


# ------------------------------------------------------------------------------------------- property
_SYMBOLS = st.sampled_from(["NVDA", "MSFT", "SPAXX**", "Pending Activity", " -NVDA261218C200", "FCASH**", "AMD",
                            "Account Total"])
_VALUES = st.decimals(min_value=-10_000, max_value=100_000, places=2, allow_nan=False, allow_infinity=False)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["Z1", "Z2"]), _SYMBOLS, _VALUES), min_size=1, max_size=12),
       st.booleans())
def test_every_line_is_classified_once_and_value_is_conserved(rows, footer):
    lines = ["Account Number,Account Name,Symbol,Description,Quantity,Current Value,Type"]
    lines += [f"{account},Individual,{symbol},x,1,${value},Cash" for account, symbol, value in rows]
    lines += ["", '"Date downloaded 07/30/2021 2:26 PM ET"'] if footer else []
    try:
        holdings = read_holdings("\n".join(lines).encode(), "p.csv")
    except PortfolioError as error:
        assert "no holdings found" in str(error) or "only options or futures" in str(error)  # nothing to hold
        return
    table = line_table(holdings)
    assert sorted(table["line"]) == [k + 1 for k, line in enumerate(lines) if line.strip()]
    assert set(table["class"]) <= set(ROW_CLASSES)
    counted = float(sum(v for _, s, v in rows if s != "Account Total"))
    assert holdings.table["amount"].sum() + holdings.derivatives["value"].sum() == pytest.approx(counted)


def test_foreign_listings_in_a_shares_file_are_priced_in_their_currency_and_converted(tmp_path):
    path = tmp_path / "shares.csv"
    path.write_text("ticker,shares\n005930.KS,100\n2330.TW,10\n9984.T,100\nNVDA,10\n")
    # prices.csv: 119,900 KRW, NT$1,670, 3,875 JPY, $197.58; fx.csv: USD per KRW, TWD, JPY
    values = {"005930.KS": 100 * 119900 * 0.000676819, "2330.TW": 10 * 1670 * 0.031858294,
              "9984.T": 100 * 3875 * 0.006354855, "NVDA": 10 * 197.58}
    total = sum(values.values())
    weights = ex.Portfolio.from_csv(path).weights
    assert weights.to_dict() == pytest.approx({t: v / total for t, v in values.items()})


def test_fidelity_account_name_number_layout_with_account_lines(tmp_path):
    # the layout where an account line precedes its positions (synthetic, after Fidelity's documented shape)
    path = tmp_path / "Portfolio_Positions.csv"
    path.write_text("Account Name/Number,Symbol,Description,Quantity,Last Price,Current Value,Cost Basis Total\n"
                    "Individual - TOD...X111,,,,,,\n"
                    ',VTI,VANGUARD TOTAL STOCK MKT ETF,100,"$250.00","$25,000.00","$20,000.00"\n'
                    ',SPAXX**,FIDELITY GOVERNMENT MONEY MARKET,,,"$2,400.00",\n'
                    "ROTH IRA...X222,,,,,,\n"
                    ',FXAIX,FIDELITY 500 INDEX FUND,50,"$200.00","$10,000.00","$7,000.00"\n')
    pf = ex.Portfolio.from_csv(path)
    assert amounts(pf) == {"VTI": 25000.0, "CASH": 2400.0, "FXAIX": 10000.0}
    assert pf.accounts == ["Individual - TOD...X111", "ROTH IRA...X222"]


def test_holdings_report_with_cad_and_usd_rows_is_converted(tmp_path):
    # a Wealthsimple-style holdings report (synthetic: no public sample was found), read by the generic reader
    path = tmp_path / "holdings-report.csv"
    path.write_text("Account Name,Account Number,Symbol,Name,Quantity,Market Price,Market Value,"
                    "Market Value Currency\n"
                    "TFSA,A1,XEQT,iShares Core Equity ETF,100,42.31,4231.00,CAD\n"
                    "TFSA,A1,NVDA,NVIDIA,10,180.00,1800.00,USD\n")
    pf = ex.Portfolio.from_csv(path)
    assert amounts(pf) == pytest.approx({"XEQT": 4231.00 * CAD, "NVDA": 1800.0})
    assert "amounts from 'Market Value' (market value); 'Quantity' not used" in notes(pf)


def test_identifiers_file_rows_are_valid_and_sourced():
    from importlib import resources

    text = (resources.files("exposure") / "data" / "identifiers.csv").read_text(encoding="utf-8")
    table = pd.read_csv(io.StringIO(text), dtype=str)
    assert table["identifier"].is_unique
    pairs = zip(table["identifier"], table["kind"], strict=True)
    assert all(is_isin(i) if k == "isin" else is_cusip(i) for i, k in pairs)
    assert table["source_url"].str.startswith("https://").all() and table["ticker"].notna().all()


def test_etrade_view_without_a_value_column_uses_quantity_times_price(tmp_path):
    path = tmp_path / "PortfolioDownload.csv"
    path.write_text("Account Summary\nAccount,Net Account Value\n\"Brokerage -0001\",1000\n\n"
                    "View Summary - PositionsSimple\nSymbol,Last Price $,Qty #\nNVDA,180.00,5\n"
                    "     01/15/2022,180.00,5\nCASH,,,\n")
    pf = ex.Portfolio.from_csv(path)
    assert amounts(pf) == {"NVDA": 900.0}  # 5 x 180; the lot row is not counted again; CASH has no value
    assert pf.accounts == ["Brokerage -0001"]


def test_ibkr_forex_positions_are_cash_and_the_cash_report_is_not_added_again(tmp_path):
    path = tmp_path / "activity.csv"
    path.write_text("Statement,Header,Field Name,Field Value\n"
                    "Open Positions,Header,DataDiscriminator,Asset Category,Currency,Symbol,Quantity,Mult,Value\n"
                    "Open Positions,Data,Summary,Stocks,USD,KO,100,1,7000\n"
                    "Open Positions,Data,Summary,Forex,EUR,EUR,300,1,300\n"
                    "Cash Report,Header,Currency Summary,Currency,Total\n"
                    "Cash Report,Data,Ending Cash,EUR,300\n")
    pf = ex.Portfolio.from_csv(path)
    assert amounts(pf) == pytest.approx({"KO": 7000.0, "CASH": 300 * EUR})


def test_a_cusip_in_the_symbol_column_resolves_to_its_ticker(tmp_path):
    path = tmp_path / "Portfolio_Positions.csv"
    path.write_text("Account Number,Account Name,Symbol,Description,Quantity,Current Value\n"
                    "X1,Individual,594918104,MICROSOFT CORP,2,$800.00\n"
                    "X1,Individual,912828YK0,US TREASURY NOTE,1000,$990.00\n")
    pf = ex.Portfolio.from_csv(path)
    assert amounts(pf) == {"MSFT": 800.0, "912828YK0": 990.0}  # the CUSIP of US5949181045; a bond stays unmapped
    assert "912828YK0 (US TREASURY NOTE)" in notes(pf)


def test_cost_basis_is_read_where_the_export_gives_it():
    """Values read off the files by hand: Fidelity's 'Cost basis total', IBKR's 'Cost Basis' (in CAD)."""
    fidelity = ex.Portfolio.from_csv(BROKERS / "fidelity_1.csv").positions["cost_basis"]
    assert fidelity["CAVA"] == pytest.approx(13400.00) and fidelity["MU"] == pytest.approx(2309.52)
    ibkr = ex.Portfolio.from_csv(BROKERS / "ibkr_1.csv").positions["cost_basis"]
    cad = 0.718546  # fx.csv: USD per CAD, 2026-01-16
    assert ibkr["XUU"] == pytest.approx(7038.132949 * cad, rel=1e-3)
    assert "cost_basis" not in ex.Portfolio.from_csv(BROKERS / "vanguard_1.csv").positions  # the file has none


def test_score_puts_a_mostly_unmapped_portfolio_warning_right_under_the_headline(tmp_path):
    path = tmp_path / "typo.csv"
    path.write_text("ticker,weight\nNVDIA,0.8\nAAPL,0.2\n")
    lines = " ".join(run_cli("score", path).stdout.split())
    assert "WARNING: 80% of the portfolio's value is not mapped" in lines
    assert "did you mean NVDA?" in lines
    assert lines.index("WARNING") < lines.index("Exposure to companies")  # before the tables, not after


def test_vanguard_admiral_share_classes_are_looked_through_as_their_etf():
    """vanguard_1.csv holds VTSAX and VFIAX, the Admiral share classes of the portfolios behind VTI and VOO
    (one portfolio, several share classes): they are looked through with VTI's and VOO's bundled weights,
    so NVDA through VTSAX is 0.0687 (VTI's NVDA weight, 2026-08-31) x VTSAX's weight in the file."""
    import exposure as ex

    pf = ex.Portfolio.from_csv(BROKERS / "vanguard_1.csv")
    report = ex.analyze(pf)
    assert not {"VTSAX", "VFIAX"} & set(report.coverage["unmapped_tickers"])
    through = report.holdings[(report.holdings["via"] == "VTSAX") & (report.holdings["ticker"] == "NVDA")]
    assert through["weight"].sum() == pytest.approx(0.0687 * pf.weights["VTSAX"], rel=1e-9)
