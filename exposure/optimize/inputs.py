"""What the optimizer reads besides the engine: the diversifier universe, prices, values and cost basis.

Kept apart from the maths so the problem builder sees plain numbers. The bundled universe is
``exposure/data/universe.csv`` (``ticker, name, category, layer, currency, source_url, as_of``): broad, sector,
ex-US and bond funds an investor can buy to diversify away from the AI web, each with the currency of its
listing and where and when it was listed. Rows are in order of preference within a category and currency (the
first broad fund is the one sale proceeds go to, see ``universe.add_universe``).
"""

from __future__ import annotations

import csv
import io
import re
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from exposure.errors import ConstraintError, DealWebError, ExposureError
from exposure.portfolio import CASH_TICKERS, Portfolio

if TYPE_CHECKING:
    from exposure.dealweb import DealWeb
    from exposure.market import MarketData
    from exposure.optimize.constraints import Constraints

UNIVERSE_COLUMNS = ["ticker", "name", "category", "layer", "currency", "source_url", "as_of"]
#: Exchange suffixes of held tickers that say which currency an account trades in (London in GBP; Xetra,
#: Euronext Amsterdam, Paris, Milan in EUR), used when the holdings were not converted from another currency.
_SUFFIX_CURRENCY = {".L": "GBP", ".DE": "EUR", ".AS": "EUR", ".PA": "EUR", ".MI": "EUR"}
_CONVERTED = re.compile(r"converted to [A-Z]{3}: ([A-Z]{3}) at")
#: Largest universe file read (bytes): a universe is a list of names, not a data dump.
_MAX_UNIVERSE_BYTES = 20_000_000


def load_universe(path: str | Path | None = None) -> pd.DataFrame:
    """The diversifier universe indexed by ticker: the bundled list, or a user's CSV with at least ``ticker``.

    A user's file may omit every other column; ``layer`` defaults to ``other`` (outside the AI web), ``currency``
    to blank (any account).
    Raises :class:`ConstraintError` naming the file, row and fix for a file that cannot be used.
    """
    if path is None:
        text = (resources.files("exposure") / "data" / "universe.csv").read_text(encoding="utf-8")
        source = "exposure/data/universe.csv"
    else:
        from exposure.files import read_text  # a regular file only, size checked before reading (no FIFO hang)

        text = read_text(path, what="universe", error=ConstraintError, max_bytes=_MAX_UNIVERSE_BYTES).text
        source = str(path)
    rows = list(csv.DictReader(io.StringIO(text)))
    if not rows or "ticker" not in {(k or "").strip().lower() for k in rows[0]}:
        raise ConstraintError(f"{source}: no 'ticker' column. Fix: give a CSV whose header has 'ticker'.")
    records = []
    for line, row in enumerate(rows, start=2):
        clean = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}
        ticker = clean.get("ticker", "").upper()
        if not ticker:
            raise ConstraintError(f"{source}, row {line}, column 'ticker': empty ticker. Fix: fill it in or delete "
                                  "the row.")
        records.append({column: clean.get(column, "") for column in UNIVERSE_COLUMNS} | {"ticker": ticker})
    frame = pd.DataFrame(records, columns=UNIVERSE_COLUMNS)
    frame["layer"] = frame["layer"].replace("", "other")
    frame["currency"] = frame["currency"].str.upper()
    return frame.drop_duplicates("ticker").set_index("ticker")


class MemoMarket:
    """A market-data provider that answers repeated questions from memory.

    One suggestion asks the same fundamentals and fund holdings three times: for the problem, and for the
    reports before and after.
    """

    def __init__(self, market: MarketData | None) -> None:
        from exposure.market import SnapshotProvider

        self._market: Any = market._market if isinstance(market, MemoMarket) else (market or SnapshotProvider())
        self._fundamentals: dict[tuple[str, ...], pd.DataFrame] = {}
        self._funds: dict[str, pd.DataFrame] = {}

    def fundamentals(self, tickers: Any) -> pd.DataFrame:
        """The wrapped provider's fundamentals, memoized per ticker list."""
        key = tuple(tickers)
        if key not in self._fundamentals:
            self._fundamentals[key] = self._market.fundamentals(list(key))
        return self._fundamentals[key].copy()

    def fund_holdings(self, fund: str) -> pd.DataFrame:
        """The wrapped provider's fund holdings, memoized per fund."""
        if fund not in self._funds:
            self._funds[fund] = self._market.fund_holdings(fund)
        return self._funds[fund]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._market, name)


def fund_rows(ticker: str, market: MarketData) -> pd.DataFrame | None:
    """A fund's bundled (or live) holdings, or None when the ticker is not a fund with holdings."""
    rows = market.fund_holdings(ticker)
    return rows if rows is not None and not rows.empty else None


def prices_usd(tickers: list[str], market: MarketData) -> pd.Series:
    """USD price per share of each ticker (NaN where the provider has none), one batched request."""
    if not tickers:
        return pd.Series(dtype=float)
    figures = market.fundamentals(tickers)
    column = figures["price_usd"] if "price_usd" in figures else pd.Series(dtype=float)
    return pd.to_numeric(column, errors="coerce").reindex(tickers)


def positions(pf: Portfolio) -> pd.DataFrame:
    """The portfolio's positions with ``ticker`` as a column (whether the frame has it as column or index)."""
    table = pf.positions
    return table if "ticker" in table.columns else table.reset_index()


def portfolio_value(pf: Portfolio, market: MarketData) -> float | None:
    """Total value in the base currency for value and share portfolios; None for weights."""
    if pf.kind == "market_value":
        return float(positions(pf)["amount"].sum())
    if pf.kind != "shares":
        return None
    held = [t for t in positions(pf)["ticker"] if t not in CASH_TICKERS]
    price = prices_usd(held, market)
    try:
        return float(pf.valued(lambda t: None if pd.isna(price.get(t)) else float(price[t]))["value"].sum())
    except ExposureError:
        return None


def cost_basis(pf: Portfolio) -> pd.Series | None:
    """Total cost basis per ticker (base currency) when the holdings carry ``cost_basis``, else None."""
    table = positions(pf)
    if "cost_basis" not in table.columns:
        return None
    basis = pd.to_numeric(table["cost_basis"], errors="coerce")
    return basis.groupby(table["ticker"]).sum(min_count=1)


def with_account_currency(constraints: Constraints, pf: Portfolio) -> Constraints:
    """``constraints`` with ``currency`` read from the holdings (:func:`account_currency`) when not given."""
    if constraints.currency is not None:
        return constraints
    return constraints.model_copy(update={"currency": account_currency(pf)})


def account_currency(pf: Portfolio) -> str:
    """The currency the account trades in, which decides the diversifier funds offered (a UK account is offered
    UCITS funds listed in GBP, not US ETFs it may not be allowed to buy).

    In order: a base currency other than USD; the currency the holdings' values were converted from (a
    Hargreaves Lansdown or interactive investor export in GBP, a DEGIRO one in EUR: the reader's note says so);
    the exchange suffix most of the held tickers carry (``.L``: GBP); else USD.
    """
    if pf.base_currency.upper() != "USD":
        return pf.base_currency.upper()
    for note in pf.notes:
        if found := _CONVERTED.search(note):
            return found.group(1)
    votes: dict[str, int] = {}
    for ticker in positions(pf)["ticker"]:
        for suffix, currency in _SUFFIX_CURRENCY.items():
            if str(ticker).upper().endswith(suffix):
                votes[currency] = votes.get(currency, 0) + 1
    held = int((~positions(pf)["ticker"].isin(CASH_TICKERS)).sum())
    best = max(votes, key=votes.__getitem__, default=None)
    return best if best is not None and 2 * votes[best] > held else "USD"


def resolve_hub(web: DealWeb, key: str, field_name: str) -> str:
    """A hub's company id from an id, name or ticker; a :class:`ConstraintError` naming the field otherwise."""
    try:
        return web.resolve(key)
    except DealWebError as error:
        raise ConstraintError(f"Constraints.{field_name}: {error}") from None
