"""``exposure suggest``: the fewest trades that bring a portfolio under hub caps (thin over ex.suggest)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import pandas as pd
import typer

from exposure.cli import Format, app
from exposure.cli.common import (
    Account,
    AsOf,
    BaseCurrency,
    Deals,
    FileArg,
    Fmt,
    Live,
    check_out,
    freshness_of,
    load_inputs,
    parse_number,
    parse_pair,
    split_pair,
)
from exposure.cli.output import emit_machine, print_table, say
from exposure.errors import ConstraintError

if TYPE_CHECKING:
    from exposure.dealweb import DealWeb
    from exposure.market import MarketData
    from exposure.optimize import Suggestion
    from exposure.portfolio import Portfolio
    from exposure.risk import RiskModel



class Risk(StrEnum):
    """Risk term of ``--risk``."""

    none = "none"
    prior = "prior"
    history = "history"


Caps = Annotated[list[str] | None, typer.Option(
    "--hub-cap", metavar="HUB=CAP",
    help="HUB=CAP, the largest total exposure to a hub (repeatable), e.g. openai=0.15.")]
Bands = Annotated[list[str] | None, typer.Option(
    "--layer", metavar="LAYER=LO:HI",
    help="LAYER=LO:HI, the layer's weight as a fraction of total value (repeatable), e.g. "
         "semiconductor=0.1:0.25. Overrides the preset's band for that layer.")]


@app.command()
def suggest(
    file: FileArg,
    max_weight: Annotated[float | None, typer.Option("--max-weight", help="Largest weight of one name "
                                                     "(default 0.10).")] = None,
    hub_cap: Caps = None,
    min_cash: Annotated[float | None, typer.Option("--min-cash", help="Cash floor (default 0.05).")] = None,
    max_cash: Annotated[float | None, typer.Option("--max-cash", help="Cash ceiling (default: stay invested, "
                                                   "cash at most max(current cash, --min-cash)).")] = None,
    preset: Annotated[str | None, typer.Option("--preset", help="Named settings: balanced-ai (AI sleeve spread "
                                               "over chips, clouds and neoclouds; see README).")] = None,
    min_trade: Annotated[str | None, typer.Option("--min-trade", help="Smallest trade: a fraction of value "
                                                  "(0.0025, 0.25%) or an amount from 1 up (500); default 0.25%.")]
    = None,
    max_trades: Annotated[int | None, typer.Option("--max-trades", help="Most trades (default none).")] = None,
    trade_fee: Annotated[float | None, typer.Option("--trade-fee", help="Fixed cost per trade in the portfolio's "
                                                    "currency (needs values or shares; default 0).")] = None,
    fractional: Annotated[bool, typer.Option("--fractional", help="Allow fractional shares (default: whole "
                                             "shares for share and value portfolios).")] = False,
    tax_rate: Annotated[float | None, typer.Option("--tax-rate", help="Tax on realized gains, with the holdings' "
                                                   "cost_basis (default 0).")] = None,
    universe: Annotated[Path | None, typer.Option("--universe", help="CSV with a 'ticker' column: the names "
                                                  "that may be bought (default: one fund of universe.csv in the "
                                                  "account's currency, broad market first; see README).")] = None,
    no_new_names: Annotated[bool, typer.Option("--no-new-names", help="Trade only what is held.")] = False,
    layer: Bands = None,
    max_turnover: Annotated[float | None, typer.Option("--max-turnover", help="Largest sum of |trades| "
                                                       "(default none).")] = None,
    frozen: Annotated[str | None, typer.Option("--frozen", help="Comma-separated tickers not to trade.")] = None,
    exclude: Annotated[str | None, typer.Option("--exclude", help="Comma-separated tickers not to buy.")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write the target holdings CSV here, in the "
                                             "input's units (shares, values or weights; never over the input).")]
    = None,
    risk: Annotated[Risk, typer.Option("--risk", help="Risk term: none, prior (the documented layer prior) or "
                                       "history (a year of prices; live with --live, else the prior).")] = Risk.none,
    risk_aversion: Annotated[float | None, typer.Option("--risk-aversion", help="Weight of the risk term "
                                                        "(default 1.0).")] = None,
    as_of: AsOf = None, live: Live = False, deals: Deals = None, format: Fmt = Format.table,
    account: Account = None, base_currency: BaseCurrency = "USD",
) -> None:
    """Suggest trades an investor would make: hub caps, no name above --max-weight, stay invested, layer bands,
    no trade below --min-trade, whole shares.

    \b
    Example: exposure suggest portfolios/ai_heavy.csv --hub-cap openai=0.10 --preset balanced-ai --out target.csv
    """
    from exposure.files import atomic_write
    from exposure.optimize import Constraints, load_universe
    from exposure.optimize import suggest as run_suggest

    given: dict[str, object] = {}
    if preset is not None:
        given["preset"] = preset
    if min_trade is not None:
        given["min_trade"] = parse_number(min_trade, "--min-trade", min_trade)
    if max_trades is not None:
        given["max_trades"] = max_trades
    if trade_fee is not None:
        given["trade_fee"] = trade_fee
    if fractional:
        given["fractional"] = True
    if tax_rate is not None:
        given["tax_rate"] = tax_rate
    if universe is not None:
        given["universe"] = list(load_universe(universe).index)
    if no_new_names:
        given["new_names"] = False
    if max_weight is not None:
        given["max_weight"] = max_weight
    if min_cash is not None:
        given["min_cash"] = min_cash
    if max_cash is not None:
        given["max_cash"] = max_cash
    if max_turnover is not None:
        given["max_turnover"] = max_turnover
    if hub_cap:
        given["hub_caps"] = dict(parse_pair(item, "--hub-cap", "HUB=CAP, e.g. openai=0.15") for item in hub_cap)
    if layer:
        from exposure.optimize import PRESETS

        bands = dict(PRESETS.get(preset or "", {}).get("layer_bands", {}))
        bands |= {name: _band(value) for name, value in
                  (split_pair(item, "--layer", "LAYER=LO:HI, e.g. semiconductor=0.1:0.25") for item in layer)}
        given["layer_bands"] = bands
    if frozen:
        given["frozen"] = _tickers(frozen)
    if exclude:
        given["exclude"] = _tickers(exclude)
    if risk_aversion is not None:
        given["risk_aversion"] = risk_aversion
    constraints = Constraints(**given)
    if out is not None:  # refuse before reading and solving, so a mistake costs nothing
        check_out(out, file, deals, universe)

    portfolio, web, market = load_inputs(file, as_of, live, deals, account, base_currency)
    model = None if risk is Risk.none else _risk_model(risk.value, portfolio, web, market)
    result = run_suggest(portfolio, web, constraints, risk=model, market=market)  # currency read from the file
    if out is not None:
        atomic_write(out, result.target_csv(), inputs=[file, deals, universe])
    freshness = freshness_of(web, market)
    if not emit_machine(format, {**result.to_dict(), "data": freshness.to_dict()}, result.weights):
        _print(result, file, out)
        say(freshness.line())


def _risk_model(kind: str, portfolio: Portfolio, web: DealWeb, market: MarketData | None) -> RiskModel:
    """The covariance over the default universe (holdings and the web's listed companies), by layer."""
    from exposure.market import SnapshotProvider
    from exposure.portfolio import CASH_TICKERS
    from exposure.risk import RiskModel

    held = [t for t in portfolio.positions["ticker"] if t not in CASH_TICKERS]
    tickers = list(dict.fromkeys(held + list(web.listed["ticker"])))
    layers = {t: web.layer_of[cid] for t in tickers if (cid := web.company_for_ticker(t)) is not None}
    if kind == "prior":
        return RiskModel.default(tickers, layers)
    provider = market if market is not None else SnapshotProvider()
    start = (pd.Timestamp.today() - pd.DateOffset(years=1)).normalize()
    return RiskModel.from_prices(provider.prices(tickers, start=start), layers=layers)


def _print(result: Suggestion, file: Path, out: Path | None) -> None:
    say(f"[bold]{file.name}[/bold]: {result.summary()}")
    if result.trades.empty and any(note.startswith("nothing to do for AI") for note in result.notes):
        say("No trade: nothing to do for AI concentration (see the note on single names).")
    elif result.trades.empty:
        say("No trade needed: the portfolio already meets every constraint.")
    else:
        shown = result.trades.dropna(axis=1, how="all")
        print_table(shown, title="Trades (fractions of portfolio value)", percent_columns=("weight",))
    print_table(result.weights, title="Current and target weights", percent_columns=("current", "target", "trade"))
    if not result.hubs.empty:  # a portfolio outside the web has no hub to show
        print_table(result.hubs, title="Total exposure to hubs, before and after",
                    percent_columns=("before", "after"), max_rows=8)
    if not result.binding.empty:
        print_table(result.binding.set_index("constraint")[["bound", "value", "dual", "reading"]],
                    title="Binding constraints (dual: objective saved per unit of relaxation)")
    shown = result.constraints.reset_index()
    say("Constraints: " + "; ".join(f"{c} {v}{' (default)' if s == 'default' else ''}"
                                    for c, v, s in zip(shown["constraint"], shown["value"], shown["source"],
                                                       strict=True)))
    for note in result.notes:
        say(f"[yellow]note:[/yellow] {note}")
    if out is not None:
        say(f"Target written to {out}.")


def _band(value: str) -> tuple[float, float]:
    lo, sep, hi = value.partition(":")
    if not sep:
        raise ConstraintError(f"--layer band '{value}' is not LO:HI. Fix: write e.g. semiconductor=0.2:0.45.")
    return parse_number(lo, "--layer", value), parse_number(hi, "--layer", value)



def _tickers(text: str) -> list[str]:
    return [t.strip().upper() for t in text.split(",") if t.strip()]
