"""Currency conversion: bundled fx.csv rates, foreign listings priced in their own currency, and --live rates.

No test touches the network: the live provider is a fake with fixed rates.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from importlib import resources

import pandas as pd
import pytest

from exposure.dealweb import DealWeb
from exposure.errors import MarketDataError
from exposure.holdings.fx import Converter, live_rates, price_notes
from exposure.market import SnapshotProvider

FOREIGN = ["2330.TW", "9984.T", "005930.KS", "005935.KS", "000660.KS", "ASML.AS", "NOKIA.HE"]


def _rows(name: str) -> list[dict[str, str]]:
    text = (resources.files("exposure") / "data" / name).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


class FakeProvider:
    """Stands in for YFinanceProvider: fixed USD-per-unit rates; ``fallback`` names currencies it cannot fetch."""

    def __init__(self, rates: dict[str, float], fallback: tuple[str, ...] = (), **_: object) -> None:
        self.rates, self.fallback = rates, fallback
        self.fx_sources: dict[str, str] = {}
        self.asked: list[str] = []
        self.warnings: list[str] = []

    def fx(self, currency: str) -> float:
        self.asked.append(currency)
        if currency in self.fallback:  # what YFinanceProvider does when the network fails: the snapshot rate
            self.fx_sources[currency] = "snapshot (network error: OSError)"
            return 1.0
        if currency not in self.rates:
            raise MarketDataError(f"no FX quote for {currency}USD=X")
        self.fx_sources[currency] = "live"
        return self.rates[currency]


def test_every_rate_and_every_foreign_price_is_dated_and_sourced():
    rates = {r["currency"]: r for r in _rows("fx.csv")}
    for row in rates.values():
        assert float(row["usd_per_unit"]) > 0 and row["as_of"] and row["source_url"].startswith("http")
    for row in _rows("prices.csv"):
        assert row["currency"] in rates, f"{row['ticker']}: no fx.csv rate for {row['currency']}"
    for currency in ("EUR", "JPY", "KRW", "TWD", "GBP", "CAD", "HKD", "CHF"):
        assert currency in rates


def test_foreign_listings_resolve_and_are_priced_in_their_currency_at_the_bundled_rate():
    web = DealWeb.bundled()
    prices = {r["ticker"]: r for r in _rows("prices.csv")}
    rates = {r["currency"]: float(r["usd_per_unit"]) for r in _rows("fx.csv")}
    figures = SnapshotProvider().fundamentals(FOREIGN)
    for ticker in FOREIGN:
        assert web.resolve(ticker) in {"tsmc", "softbank", "samsung", "sk_hynix", "asml", "nokia"}
        row = prices[ticker]
        assert figures.at[ticker, "currency"] == row["currency"] != "USD"
        expected = float(row["price"]) * rates[row["currency"]]  # local price x USD per unit
        assert figures.at[ticker, "price_usd"] == pytest.approx(expected)
    # by hand from the two rows: 870.10 EUR x 1.1872 USD/EUR = 1,032.98272 USD
    assert prices["ASML.AS"]["price"] == "870.10" and rates["EUR"] == 1.1872
    assert figures.at["ASML.AS", "price_usd"] == pytest.approx(1032.98272)


def test_a_shares_file_of_foreign_listings_is_valued_and_the_output_names_prices_and_rates(tmp_path):
    from exposure import Portfolio, analyze

    path = tmp_path / "shares.csv"
    path.write_text("ticker,shares\n" + "".join(f"{t},10\n" for t in FOREIGN))
    report = analyze(Portfolio.from_csv(path))
    text = " ".join(report.notes)
    assert "shares priced in other currencies, converted to USD" in text
    assert "ASML.AS 870.1 EUR (2025-10-23) = 1,032.98 USD at 1.1872 USD per EUR (fx.csv rate of 2026-01-26" in text


def test_price_notes_name_price_date_and_rate():
    figures = pd.DataFrame({"price": [1670.0, 100.0], "currency": ["TWD", "USD"], "price_usd": [53.44, 100.0],
                            "as_of": ["2026-01-05", "2026-01-05"], "source": ["live", "snapshot"]},
                           index=pd.Index(["2330.TW", "NVDA"], name="ticker"))
    notes = price_notes(figures, ["2330.TW", "NVDA", "UNKNOWN"])
    # 53.44 USD / 1,670 TWD = 0.032 USD per TWD; the USD price needs no note
    assert notes == ["shares priced in other currencies, converted to USD: 2330.TW 1,670 TWD (2026-01-05) = "
                     "53.44 USD at 0.032 USD per TWD (live rate)."]


def test_live_rates_replace_the_bundled_ones_and_name_themselves():
    provider = FakeProvider({"EUR": 1.10, "JPY": 0.0070})
    rates, note = live_rates(provider, ["€", "jpy", "USD", ""], "2026-11-28")
    assert note is None and sorted(provider.asked) == ["EUR", "JPY"]  # symbols and case resolved; USD needs none
    converter = Converter("USD", rates=rates)
    assert converter.convert(1000.0, "EUR") == pytest.approx(1100.0)  # 1,000 EUR x 1.10
    assert converter.convert(10000.0, "JPY") == pytest.approx(70.0)  # 10,000 JPY x 0.0070
    assert converter.notes() == ["converted to USD: EUR at 1.1 USD per EUR (2026-11-28, Yahoo Finance EURUSD=X, "
                                 "live (fetched now)); JPY at 0.007 USD per JPY (2026-11-28, Yahoo Finance "
                                 "JPYUSD=X, live (fetched now))."]


def test_a_sub_unit_asks_for_its_currency():
    provider = FakeProvider({"GBP": 1.30})
    rates, note = live_rates(provider, ["GBp"], "2026-11-28")
    assert note is None and provider.asked == ["GBP"]
    assert Converter("USD", rates=rates).convert(100.0, "GBp") == pytest.approx(1.30)  # 100 pence = 1 GBP


@pytest.mark.parametrize("provider", [FakeProvider({"EUR": 1.10}),  # no quote for JPY at all
                                      FakeProvider({"EUR": 1.10, "JPY": 0.007}, fallback=("JPY",))])
def test_one_missing_live_rate_means_bundled_rates_for_every_currency(provider):
    rates, note = live_rates(provider, ["EUR", "JPY"], "2026-11-28")
    bundled = {r["currency"]: float(r["usd_per_unit"]) for r in _rows("fx.csv")}
    assert note is not None and "no live exchange rate for JPY (JPY: " in note and "not a mix" in note
    assert rates["EUR"].usd_per_unit == bundled["EUR"]  # EUR was live, but is not used alone
    assert Converter("USD", rates=rates).convert(100.0, "EUR") == pytest.approx(100.0 * bundled["EUR"])


def test_cli_live_reads_the_file_again_at_live_rates(tmp_path, monkeypatch):
    import exposure.market
    from exposure.cli.common import load_inputs

    monkeypatch.setattr(exposure.market, "YFinanceProvider", lambda **kw: FakeProvider({"EUR": 1.25}))
    path = tmp_path / "eur.csv"
    path.write_text("ticker,market_value,currency\nASML.AS,1000,EUR\nNVDA,500,USD\n")
    portfolio, _, market = load_inputs(path, None, True, None)
    values = dict(zip(portfolio.positions.index, portfolio.positions["amount"], strict=True))
    assert values == pytest.approx({"ASML.AS": 1250.0, "NVDA": 500.0})  # 1,000 EUR x 1.25
    today = datetime.now(UTC).date().isoformat()
    assert any(f"EUR at 1.25 USD per EUR ({today}, Yahoo Finance EURUSD=X, live" in n for n in portfolio.notes)
    assert isinstance(market, FakeProvider)


def test_cli_live_without_a_live_rate_says_so_and_keeps_the_bundled_rates(tmp_path, monkeypatch):
    import exposure.market
    from exposure.cli.common import load_inputs

    monkeypatch.setattr(exposure.market, "YFinanceProvider", lambda **kw: FakeProvider({}))
    path = tmp_path / "eur.csv"
    path.write_text("ticker,market_value,currency\nASML.AS,1000,EUR\n")
    portfolio, _, _ = load_inputs(path, None, True, None)
    eur = next(float(r["usd_per_unit"]) for r in _rows("fx.csv") if r["currency"] == "EUR")
    assert float(portfolio.positions["amount"].iloc[0]) == pytest.approx(1000.0 * eur)
    assert any("no live exchange rate for EUR" in n for n in portfolio.notes)
    assert any(n.startswith("converted to USD: EUR at") for n in portfolio.notes)  # the bundled rate, named


def test_cli_live_with_only_dollars_asks_for_no_rate(tmp_path, monkeypatch):
    import exposure.market
    from exposure.cli.common import load_inputs

    fake = FakeProvider({})
    monkeypatch.setattr(exposure.market, "YFinanceProvider", lambda **kw: fake)
    path = tmp_path / "usd.csv"
    path.write_text("ticker,market_value\nNVDA,500\n")
    load_inputs(path, None, True, None)
    assert fake.asked == []


@pytest.mark.filterwarnings("ignore::exposure.errors.LiveDataWarning")
def test_the_yfinance_provider_says_where_each_rate_came_from(tmp_path, monkeypatch):
    pytest.importorskip("yfinance")
    from exposure.market import YFinanceProvider, yahoo

    quotes = {"EUR": 1.20}

    def fetch(iso: str) -> float:
        if iso not in quotes:
            raise OSError("offline")
        return quotes[iso]

    monkeypatch.setattr(yahoo, "_fetch_fx", fetch)
    provider = YFinanceProvider(cache_dir=tmp_path, timeout=5, retries=0)
    rates, note = live_rates(provider, ["EUR"], "2026-11-28")
    assert note is None and rates["EUR"].usd_per_unit == 1.20 and provider.fx_sources == {"EUR": "live"}
    rates, note = live_rates(provider, ["EUR", "JPY"], "2026-11-28")  # EUR now from the cache, JPY fails
    assert provider.fx_sources["EUR"] == "cache" and provider.fx_sources["JPY"].startswith("snapshot (")
    assert note is not None and "no live exchange rate for JPY (JPY: network error: OSError)" in note
    assert rates["EUR"].usd_per_unit != 1.20  # the bundled EUR rate: no mix


def test_price_notes_name_the_rate_to_a_non_usd_base():
    from exposure.holdings.fx import Rate

    figures = pd.DataFrame({"price": [100.0], "currency": ["USD"], "price_usd": [100.0], "as_of": ["2026-01-05"],
                            "source": ["snapshot"]}, index=pd.Index(["NVDA"], name="ticker"))
    rates = {"EUR": Rate("EUR", 1.25, "2026-11-28", "Yahoo Finance EURUSD=X, live (fetched now)")}
    assert price_notes(figures, ["NVDA"], "EUR", rates) == [
        "share values in USD converted to EUR at 1.25 USD per EUR (2026-11-28, Yahoo Finance EURUSD=X, live "
        "(fetched now))."]
    assert price_notes(figures, ["NVDA"]) == []  # USD prices in a USD portfolio need no note
