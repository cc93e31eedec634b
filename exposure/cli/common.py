"""Options and input loading shared by the commands that read a holdings file."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from exposure.cli import Format
from exposure.errors import ConstraintError, ExposureError

if TYPE_CHECKING:
    from exposure.datacheck import Freshness
    from exposure.holdings.fx import FxSource
    from exposure.portfolio import Portfolio

FileArg = Annotated[Path, typer.Argument(metavar="FILE", help="Holdings CSV: a broker's positions export, or ticker "
                                         "and one of weight, market_value, shares.")]
AsOf = Annotated[str | None, typer.Option("--as-of", help="Only deals announced on or before YYYY-MM-DD.")]
Live = Annotated[bool, typer.Option("--live", help="Refresh prices, market caps and exchange rates with yfinance "
                                                  "(cached).")]
Deals = Annotated[Path | None, typer.Option("--deals", help="Your own deals CSV, merged into the bundled web.")]
Fmt = Annotated[Format, typer.Option("--format", "-f", help="table, json or csv.")]
Account = Annotated[str | None, typer.Option("--account", help="Only this account of a multi-account export "
                                                               "(part of its name or number).")]
BaseCurrency = Annotated[str, typer.Option("--base-currency", help="Currency of market values (USD, EUR, CAD...).")]
HubsOpt = Annotated[str | None, typer.Option(
    "--hubs", help="Comma-separated AI hubs (ids, names or tickers) instead of the web's own (`exposure hubs`); "
    "the score and the hub table use them.")]


def hub_list(hubs: str | None) -> list[str] | None:
    """``--hubs openai,nvidia`` -> ``["openai", "nvidia"]`` (None when not given)."""
    return [h.strip() for h in hubs.split(",") if h.strip()] if hubs else None


def load_inputs(file: Path, as_of: str | None, live: bool, deals: Path | None, account: str | None = None,
                base_currency: str = "USD"):
    """Read the portfolio and the web as the options ask; returns (portfolio, web, market or None)."""
    from exposure.dealweb import DealWeb
    from exposure.portfolio import Portfolio

    market = None
    if live:
        from exposure.market import YFinanceProvider

        market = YFinanceProvider(timeout=10)
        portfolio = with_live_fx(file, base_currency, market)
    else:
        portfolio = Portfolio.from_csv(file, base_currency=base_currency)
    if account:
        portfolio = portfolio.account(account)
    web = DealWeb.bundled()
    if deals is not None:
        web = web.with_deals(deals)
    if as_of:
        web = web.as_of(as_of)
    return portfolio, web, market


def freshness_of(web, market) -> Freshness:
    """How old the web's deals and market figures are, for every output's "Data:" line and JSON ``data``."""
    from exposure.datacheck import data_freshness, live_figures

    return data_freshness(web, live=live_figures(market))


def with_live_fx(file: Path, base_currency: str, market: FxSource) -> Portfolio:
    """The portfolio converted at live exchange rates for the currencies it needs (``--live``).

    The file is read once at the bundled rates, which tells the currencies it uses; when there are any
    but USD it is read again at live ones. When a live rate is missing, the bundled rates stay for every
    currency and a note says so (never a mix).
    """
    from datetime import UTC, datetime

    from exposure.holdings.fx import RateTable, base_iso, bundled_rates, live_rates
    from exposure.portfolio import Portfolio

    table = RateTable(bundled_rates())
    portfolio = Portfolio.from_csv(file, base_currency=base_currency, fx_rates=table)
    currencies = {*table.asked, portfolio.base_currency}
    if all(base_iso(code) == "USD" for code in currencies):
        return portfolio
    rates, note = live_rates(market, currencies, datetime.now(UTC).date().isoformat())
    if note is not None:
        portfolio.notes.append(note)
        return portfolio
    return Portfolio.from_csv(file, base_currency=base_currency, fx_rates=rates)


def check_out(out: Path, *inputs: Path | None, folder: bool = False) -> Path:
    """Refuse ``--out`` before any work: onto an input of the run (the files given, the market-data cache, the
    bundled data every run reads), onto anything but a regular file (or folder, for ``folder=True``), or into
    a folder that cannot be written."""
    from exposure.files import check_output
    from exposure.market import default_cache_dir

    bundled = Path(__file__).resolve().parents[1] / "data"
    return check_output(out, inputs=[*inputs, default_cache_dir(), bundled], folder=folder)


def split_pair(item: str, option: str, form: str, error: type[ExposureError] = ConstraintError) -> tuple[str, str]:
    """``NAME=VALUE`` -> (name, value text); ``form`` (e.g. "HUB=CAP, e.g. openai=0.15") goes into the error."""
    name, sep, value = item.partition("=")
    if not sep or not name.strip() or not value.strip():
        raise error(f"{option} '{item}' is not {form.split(',')[0]}. Fix: write {form}.")
    return name.strip(), value.strip()


def parse_number(text: str, option: str, item: str, error: type[ExposureError] = ConstraintError) -> float:
    """A fraction, or a percentage (``40%`` -> 0.4), from an option's value."""
    try:
        return float(text.strip().rstrip("%")) / (100.0 if text.strip().endswith("%") else 1.0)
    except ValueError:
        raise error(f"{option} '{item}': '{text}' is not a number. Fix: write a fraction such as 0.15.") from None


def parse_pair(item: str, option: str, form: str, error: type[ExposureError] = ConstraintError) -> tuple[str, float]:
    """``openai=0.15`` or ``nvidia=40%`` -> (name, fraction), for --hub-cap, --shock and the like."""
    name, value = split_pair(item, option, form, error)
    return name, parse_number(value, option, item, error)
