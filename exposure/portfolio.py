"""Holdings in: a portfolio from a file, dict, Series or DataFrame, valued, and looked through funds.

A portfolio keeps what the user gave (``weight``, ``market_value`` or ``shares`` per ticker) and is
valued only when prices are known, so the same file works on the bundled snapshot or live prices.
Nothing is dropped: unknown tickers stay as "unmapped" and cash stays as cash.

Reading files is :mod:`exposure.holdings` (README, "Input formats"): broker exports of Fidelity,
Schwab, Vanguard, E*TRADE, Interactive Brokers and DEGIRO are recognized; any other CSV with a ticker
column and an amount column is read as a table (encodings, delimiters, decimal commas, currency
symbols, percent strings, total rows and broker preambles are handled, each with a note). Market
values are in the base currency (USD unless ``base_currency`` says otherwise), converted at the dated
rates of ``exposure/data/fx.csv``. Options are kept in :attr:`Portfolio.derivatives` and excluded
from the weights.

Refused with one line naming the file, row, column and fix (:class:`~exposure.errors.PortfolioError`):
Excel workbooks and other binary files, files over :data:`MAX_FILE_BYTES`, an empty file, a header
without holdings, no ticker column, no amount column (or weights and shares with no price), duplicate
columns, text, NaN or inf where a number belongs, negative amounts without ``allow_short=True``, all
amounts zero, weights mixing percent strings with plain numbers, mixed decimal marks or currency
symbols, a currency with no rate, an unclosed quote, a row with more fields than the header, control
characters in a ticker, more than :data:`MAX_ROWS` rows.
"""

from __future__ import annotations

import html
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import NamedTuple

import numpy as np
import pandas as pd

from exposure._compat import renamed
from exposure.errors import PortfolioError, located
from exposure.holdings import Holdings, read_holdings
from exposure.holdings.fx import Converter, Rate
from exposure.holdings.generic import AMOUNT_COLUMNS, CASH_TICKERS, HEADER_ALIASES, group_rows, header_key, read_frame
from exposure.holdings.numbers import parse_number
from exposure.holdings.reader import MAX_FILE_BYTES, MAX_ROWS, read_bytes
from exposure.holdings.statement import DERIVATIVE_COLUMNS

__all__ = ["AMOUNT_COLUMNS", "CASH_TICKERS", "MAX_FILE_BYTES", "MAX_ROWS", "Portfolio", "look_through",
           "look_through_columns", "parse_number"]


class Valuation(NamedTuple):
    """The columns :meth:`Portfolio.valued` adds, aligned with the positions."""

    tickers: list[str]
    is_cash: list[bool]
    value: np.ndarray  # base currency (NaN for a weights portfolio)
    weight: np.ndarray  # fractions summing to 1


@dataclass
class Portfolio:
    """A set of positions: ``ticker`` and one amount per row, of one ``kind`` for the whole portfolio.

    Attributes
    ----------
    positions : DataFrame indexed by ticker with ``ticker, amount, name, currency, account, market_value,
        weight`` (tickers trimmed, upper case, summed over accounts; one ``CASH`` row for cash, money market
        and pending; ``market_value`` in the base currency and ``weight`` are NaN when prices are needed).
    kind : ``weight``, ``market_value`` (in ``base_currency``) or ``shares``: what ``amount`` means.
    source : where the positions came from (a file name or ``dict``/``frame``).
    notes : what was done to the input (duplicates summed, currencies converted...), shown in reports.
    rows : the positions before summing, one per line of the file, with their ``account`` and ``row``.
    derivatives : options and the like (``ticker, underlying, shares, value, currency, account, row``),
        excluded from the weights.
    base_currency : the currency of market values.
    format : how the file was read (``generic``, ``fidelity``, ``schwab``...).
    """

    positions: pd.DataFrame
    kind: str
    source: str = "frame"
    notes: list[str] = field(default_factory=list)
    rows: pd.DataFrame | None = None
    derivatives: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=DERIVATIVE_COLUMNS))
    base_currency: str = "USD"
    format: str = "generic"
    #: Exchange rates the file was converted with when not the bundled ``fx.csv`` ones (``--live``).
    fx_rates: dict[str, Rate] | None = None

    # ---------------------------------------------------------------------------------- constructors
    @classmethod
    def from_weights(cls, weights: Mapping[str, float] | pd.Series, *, allow_short: bool = False) -> Portfolio:
        """From ``{ticker: weight}`` or a Series indexed by ticker; weights not summing to 1 are normalized."""
        series = weights if isinstance(weights, pd.Series) else pd.Series(dict(weights), dtype=object)
        frame = pd.DataFrame({"ticker": [str(t) for t in series.index], "weight": list(series.to_numpy())})
        return cls.from_frame(frame, allow_short=allow_short, source="dict")

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, *, allow_short: bool = False, source: str = "frame",
                   base_currency: str = "USD") -> Portfolio:
        """From a DataFrame with a ``ticker`` column (or a ticker index) and an amount column.

        Amount columns are ``weight``, ``market_value`` or ``shares`` (or a broker's spelling of them);
        cells may be numbers or text. Raises :class:`~exposure.errors.PortfolioError` naming the row and
        column.
        """
        converter = Converter(base_currency)
        table, kind, notes = read_frame(_ticker_column(frame), allow_short=allow_short, source=source,
                                        converter=converter)
        return cls.from_holdings(Holdings(table, kind, notes, converter.base), source)

    @classmethod
    def from_csv(cls, path: str | os.PathLike[str], *, allow_short: bool = False,
                 base_currency: str = "USD", fx_rates: dict[str, Rate] | None = None) -> Portfolio:
        """Read a holdings file: a broker's position export or a CSV with a ticker and an amount column.

        Accepted formats and refusals are listed in this module's docstring (and README, "Input formats").
        The size is checked before anything is read, so a huge file is refused at once.
        """
        return cls._from_bytes(read_bytes(path), str(path), allow_short=allow_short, base_currency=base_currency,
                               fx_rates=fx_rates)

    @classmethod
    def _from_bytes(cls, raw: bytes, name: str, *, allow_short: bool = False,
                    base_currency: str = "USD", fx_rates: dict[str, Rate] | None = None) -> Portfolio:
        """Parse the bytes of a holdings file named ``name`` (the file-free core of :meth:`from_csv`)."""
        portfolio = cls.from_holdings(read_holdings(raw, name, allow_short=allow_short, base_currency=base_currency,
                                                    rates=fx_rates), name)
        return portfolio if fx_rates is None else replace(portfolio, fx_rates=fx_rates)

    @classmethod
    def from_holdings(cls, holdings: Holdings, source: str) -> Portfolio:
        """From :class:`~exposure.holdings.Holdings` (what :func:`~exposure.holdings.read_holdings` returns)."""
        notes = list(holdings.notes)
        positions = _indexed(group_rows(holdings.table, holdings.kind, source, notes), holdings.kind)
        return cls(positions=positions, kind=holdings.kind, source=source, notes=notes, rows=holdings.table,
                   derivatives=holdings.derivatives, base_currency=holdings.base_currency, format=holdings.format)

    # ---------------------------------------------------------------------------------------- accounts
    @property
    def accounts(self) -> list[str]:
        """The accounts the positions come from (empty when the input names none)."""
        if self.rows is None or "account" not in self.rows:
            return []
        return list(dict.fromkeys(a for a in self.rows["account"] if a))

    def account(self, name: str) -> Portfolio:
        """The positions of one account: ``name`` is matched case-insensitively against the account labels."""
        matches = [a for a in self.accounts if name.strip().lower() in a.lower()]
        exact = [a for a in matches if a.lower() == name.strip().lower()]
        chosen = exact or matches
        if len(chosen) != 1:
            listed = "; ".join(self.accounts) or "none (the file names no accounts)"
            problem = f"no account matches '{name}'" if not chosen else f"'{name}' matches {len(chosen)} accounts"
            raise PortfolioError(located(f"{problem}; accounts: {listed}", file=self.source,
                                         fix="give a longer part of one account's name or number."))
        assert self.rows is not None
        notes = [*self.notes, f"account {chosen[0]} only."]
        table = self.rows[self.rows["account"] == chosen[0]]
        derivatives = self.derivatives[self.derivatives["account"] == chosen[0]]
        positions = _indexed(group_rows(table, self.kind, self.source, notes), self.kind)
        return replace(self, positions=positions, notes=notes, rows=table, derivatives=derivatives)

    # -------------------------------------------------------------------------------------- valuation
    def valued(self, price: Callable[[str], float | None] | None = None) -> pd.DataFrame:
        """Positions with ``weight`` (fractions summing to 1), ``value`` (base currency when known) and ``is_cash``.

        ``price(ticker)`` gives a USD price per share; it is needed only for ``shares`` portfolios,
        where a missing price is an error naming the ticker. Cash rows count at face value.
        """
        valuation = self.valuation(price)
        table = self.positions.reset_index(drop=True)
        table["is_cash"] = np.array(valuation.is_cash, dtype=bool)
        table["value"] = valuation.value
        table["weight"] = valuation.weight
        return table

    def valuation(self, price: Callable[[str], float | None] | None = None) -> Valuation:
        """:meth:`valued`'s new columns as arrays and lists, without the frame (``analyze()`` needs only these)."""
        tickers = self.positions["ticker"].tolist()
        is_cash = [t in CASH_TICKERS for t in tickers]
        amount = self.positions["amount"]
        if self.kind == "shares":
            converter = Converter(self.base_currency) if self.fx_rates is None else Converter(self.base_currency,
                                                                                             rates=self.fx_rates)
            usd = converter.convert(1.0, "USD")
            values = []
            for ticker, units, cash in zip(tickers, amount.tolist(), is_cash, strict=True):
                unit = 1.0 if cash else (price(ticker) if price else None)
                if unit is None or not np.isfinite(unit):
                    raise PortfolioError(located(f"no price for {ticker} to value its shares", file=self.source,
                                                 column="shares",
                                                 fix="use --live for today's prices, give market_value instead "
                                                     "of shares, or add the ticker to prices.csv."))
                with np.errstate(over="ignore"):
                    value = units * (unit if cash else unit * usd)
                if not np.isfinite(value):
                    raise PortfolioError(located(f"{units:g} shares of {ticker} at {unit:g} overflow the "
                                                 "position's value", file=self.source,
                                                 column="shares", fix="check the number of shares."))
                values.append(value)
            basis = pd.Series(values, dtype=float)
            value = basis.to_numpy()
        else:
            basis = amount
            value = amount.to_numpy() if self.kind == "market_value" else np.full(len(tickers), np.nan)
        with np.errstate(over="ignore"):
            total = float(basis.sum())
        if np.isinf(total):
            raise PortfolioError(located(f"the {self.kind} amounts are too large to add up", file=self.source,
                                         column=self.kind, fix="check the numbers (a stray exponent such as "
                                                               "1e308?)."))
        if not total > 0:
            raise PortfolioError(located(f"the {self.kind} of the portfolio sums to {total:g}", file=self.source,
                                         column=self.kind, fix="give positions with a positive total."))
        return Valuation(tickers, is_cash, value, basis.to_numpy() / total)

    @property
    def weights(self) -> pd.Series:
        """Weight per ticker (fractions summing to 1, cash included); shares are priced with the bundled snapshot."""
        price = None
        if self.kind == "shares":
            from exposure.market import SnapshotProvider

            figures = SnapshotProvider().fundamentals([t for t in self.positions["ticker"] if t not in CASH_TICKERS])

            def price(ticker: str) -> float | None:
                value = figures.at[ticker, "price_usd"] if ticker in figures.index else None
                return None if value is None or pd.isna(value) else float(value)

        valued = self.valued(price)
        return pd.Series(valued["weight"].to_numpy(), index=pd.Index(valued["ticker"], name="ticker"), name="weight")

    def normalization_note(self) -> str | None:
        """A note when given weights did not sum to 1 (they are normalized)."""
        if self.kind != "weight":
            return None
        total = float(self.positions["amount"].sum())
        if abs(total - 1.0) > 1e-6:
            return f"weights summed to {total:g}; normalized to 1."
        return None

    normalisation_note = renamed(normalization_note, "Portfolio.normalisation_note")

    # ------------------------------------------------------------------------------------------ display
    def __repr__(self) -> str:
        unit = f" ({self.base_currency})" if self.kind == "market_value" else ""
        accounts = f", {len(self.accounts)} accounts" if len(self.accounts) > 1 else ""
        options = f", {len(self.derivatives)} options apart" if len(self.derivatives) else ""
        return f"Portfolio({len(self.positions)} positions by {self.kind}{unit}{accounts}{options}, from {self.source})"

    def _repr_html_(self) -> str:
        """The positions table under a one-line title, for notebooks."""
        columns = [c for c in ("name", "amount", "account")
                   if c in self.positions and self.positions[c].astype(bool).any()]
        table = self.positions[columns].rename(columns={"amount": self.kind})
        return f"<p><b>{html.escape(repr(self))}</b></p>" + table.to_html(float_format=lambda v: f"{v:,.4g}")


def _indexed(positions: pd.DataFrame, kind: str) -> pd.DataFrame:
    """Positions indexed by ticker, with ``market_value`` (base currency) and ``weight`` where known without prices."""
    positions = positions.set_index(pd.Index(positions["ticker"], name="ticker"))
    positions["market_value"] = positions["amount"] if kind == "market_value" else np.nan
    total = float(positions["amount"].sum())
    positions["weight"] = positions["amount"] / total if kind != "shares" and total > 0 else np.nan
    return positions


def _ticker_column(frame: pd.DataFrame) -> pd.DataFrame:
    """A frame with a ticker column: a ticker index (named like a ticker column, or unnamed text) becomes one."""
    if any(HEADER_ALIASES.get(header_key(str(c))) == "ticker" for c in frame.columns):
        return frame
    index = frame.index
    named = index.name is not None and HEADER_ALIASES.get(header_key(str(index.name))) == "ticker"
    textual = index.name is None and not pd.api.types.is_numeric_dtype(index)
    if named or textual:
        out = frame.reset_index(names="ticker")
        out.attrs = dict(frame.attrs)
        return out
    return frame


#: The columns of :func:`look_through`.
LOOK_THROUGH_COLUMNS = ["ticker", "weight", "via", "looked_through"]


def look_through(valued: pd.DataFrame, holdings_of: Callable[[str], pd.DataFrame | None]) -> pd.DataFrame:
    """Replace each fund by its holdings times its weight; the rest stays as ``<fund> other``.

    ``holdings_of(ticker)`` returns the fund's ``ticker, weight`` rows or None when it is not a known fund.
    Returns ``ticker, weight, via, looked_through`` rows (``via`` is the fund, or "" for a direct holding).
    """
    columns = look_through_columns(valued["ticker"].tolist(), valued["weight"].tolist(), valued["is_cash"].tolist(),
                                   holdings_of)
    return pd.DataFrame(dict(zip(LOOK_THROUGH_COLUMNS, columns, strict=True)) if columns[0] else None,
                        columns=LOOK_THROUGH_COLUMNS)


def look_through_columns(tickers: list[str], weights: list[float], is_cash: list[bool],
                         holdings_of: Callable[[str], pd.DataFrame | None],
                         ) -> tuple[list[str], list[float], list[str], list[bool]]:
    """:func:`look_through` on the valued positions' ``ticker, weight, is_cash`` columns, returning its four
    columns as lists (``analyze()`` works on the lists and builds one frame at the end)."""
    out_tickers: list[str] = []
    out_weights: list[float] = []
    vias: list[str] = []
    looked: list[bool] = []
    for ticker, weight, cash in zip(tickers, weights, is_cash, strict=True):
        holdings = None if cash else holdings_of(ticker)
        if holdings is None or holdings.empty:
            out_tickers.append(ticker)
            out_weights.append(weight)
            vias.append("")
            looked.append(False)
            continue
        shares = holdings["weight"]
        covered = float(shares.sum())
        held = holdings["ticker"].tolist()
        out_tickers.extend(held)
        out_weights.extend(weight * share for share in shares.tolist())
        vias.extend([ticker] * len(held))
        looked.extend([True] * len(held))
        rest = max(0.0, 1.0 - covered)
        if rest > 0:
            out_tickers.append(f"{ticker} other")
            out_weights.append(weight * rest)
            vias.append(ticker)
            looked.append(False)
    return out_tickers, out_weights, vias, looked
