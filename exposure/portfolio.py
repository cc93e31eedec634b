"""Holdings in: read a CSV, dict or DataFrame, validate, value, and look through funds.

A portfolio keeps what the user gave (``weight``, ``market_value`` or ``shares`` per ticker) and is
valued only when prices are known, so the same file works on the bundled snapshot or live prices.
Nothing is dropped: unknown tickers stay as "unmapped" and cash stays as cash.
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from exposure.errors import PortfolioError, located

AMOUNT_COLUMNS = ("weight", "market_value", "shares")
CASH_TICKERS = frozenset({"CASH", "USD", "$CASH", "CASH_USD", "USD_CASH", "CASH-USD"})
#: Holdings files above this size are refused: a portfolio is a few thousand rows at most.
MAX_FILE_BYTES = 20 * 1024 * 1024
_HEADER_ALIASES = {
    "symbol": "ticker", "ticker": "ticker", "ticker symbol": "ticker",
    "weight": "weight", "weight (%)": "weight", "weight %": "weight", "% of portfolio": "weight",
    "allocation": "weight", "market_value": "market_value", "market value": "market_value",
    "value": "market_value", "marketvalue": "market_value", "shares": "shares", "quantity": "shares",
    "qty": "shares", "units": "shares", "name": "name", "description": "name", "currency": "currency",
}
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


@dataclass
class Portfolio:
    """A set of positions: ``ticker`` and one amount per row, of one ``kind`` for the whole portfolio.

    Attributes
    ----------
    positions : DataFrame with ``ticker, amount, name, currency`` (tickers trimmed, upper case, summed).
    kind : ``weight``, ``market_value`` or ``shares``: what ``amount`` means.
    source : where the positions came from (a file name or ``dict``/``frame``).
    notes : what was done to the input (duplicates summed, weights normalised), shown in reports.
    """

    positions: pd.DataFrame
    kind: str
    source: str = "frame"
    notes: list[str] = field(default_factory=list)

    # ---------------------------------------------------------------------------------- constructors
    @classmethod
    def from_weights(cls, weights: Mapping[str, float], *, allow_short: bool = False) -> Portfolio:
        """From ``{ticker: weight}``; weights not summing to 1 are normalised (and the notes say so)."""
        frame = pd.DataFrame({"ticker": list(weights), "weight": list(weights.values())})
        return cls.from_frame(frame, allow_short=allow_short, source="dict")

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, *, allow_short: bool = False, source: str = "frame") -> Portfolio:
        """From a DataFrame with ``ticker`` and exactly one of ``weight``, ``market_value``, ``shares``."""
        frame = frame.rename(columns=lambda c: _HEADER_ALIASES.get(str(c).strip().lower(), str(c).strip()))
        if frame.columns.duplicated().any():
            dupes = sorted(set(frame.columns[frame.columns.duplicated()]))
            raise PortfolioError(located(f"duplicate column(s) {', '.join(dupes)}", file=source,
                                         fix="keep one column of each name."))
        if "ticker" not in frame.columns:
            raise PortfolioError(located("no 'ticker' column", file=source,
                                         fix="add a header row with 'ticker' and one of weight, market_value, "
                                             "shares."))
        present = [c for c in AMOUNT_COLUMNS if c in frame.columns]
        if len(present) != 1:
            message = ("no amount column" if not present else
                       f"{len(present)} amount columns ({', '.join(present)})")
            raise PortfolioError(located(message, file=source,
                                         fix="give exactly one of weight, market_value, shares."))
        kind = present[0]
        notes: list[str] = []
        rows = []
        for position, raw in enumerate(frame.to_dict("records")):
            line = position + 2 + getattr(frame, "attrs", {}).get("header_line", 1) - 1
            ticker = "" if raw["ticker"] is None or (isinstance(raw["ticker"], float)
                                                      and math.isnan(raw["ticker"])) else str(raw["ticker"])
            ticker = ticker.strip().upper()
            amount_text = raw[kind]
            if not ticker and _is_blank(amount_text):
                continue  # a blank row
            if not ticker:
                raise PortfolioError(located("empty ticker", file=source, row=line, column="ticker",
                                             fix="fill in the ticker or delete the row."))
            amount = parse_number(amount_text, file=source, row=line, column=kind)
            if amount < 0 and not allow_short:
                raise PortfolioError(located(f"negative {kind} {amount:g} for {ticker} (a short position)",
                                             file=source, row=line, column=kind,
                                             fix="remove the row, or pass allow_short=True to model shorts."))
            rows.append({"ticker": ticker, "amount": amount, "name": _text(raw.get("name")),
                         "currency": (_text(raw.get("currency")) or "USD").upper(), "row": line})
        if not rows:
            raise PortfolioError(located("no holdings", file=source,
                                         fix="add at least one row with a ticker and an amount."))
        table = pd.DataFrame(rows)
        if kind != "shares" and table["currency"].ne("USD").any():
            odd = ", ".join(sorted(table.loc[table["currency"].ne("USD"), "ticker"]))
            notes.append(f"amounts of {odd} are taken as USD; the currency column is only used to price shares.")
        if table["ticker"].duplicated().any():
            dupes = sorted(set(table.loc[table["ticker"].duplicated(), "ticker"]))
            notes.append(f"duplicate tickers summed: {', '.join(dupes)}.")
        positions = (table.groupby("ticker", sort=False)
                     .agg(amount=("amount", "sum"), name=("name", "first"), currency=("currency", "first"))
                     .reset_index())
        if kind != "shares" and not positions["amount"].abs().sum() > 0:
            raise PortfolioError(located(f"every {kind} is zero", file=source, column=kind,
                                         fix="give at least one position a positive amount."))
        return cls(positions=positions, kind=kind, source=source, notes=notes)

    @classmethod
    def from_csv(cls, path: str | os.PathLike[str], *, allow_short: bool = False) -> Portfolio:
        """Read a holdings CSV: ``ticker`` and one of ``weight``, ``market_value``, ``shares``.

        Accepted (see README, "Input formats"): UTF-8 with or without BOM, latin-1, ``,`` ``;`` or tab
        delimiters, a header row below a broker's preamble, blank lines, thousands separators, currency
        symbols, percent strings, quoted fields, share-class spellings (``BRK.B``).
        """
        name = str(path)
        file = Path(path)
        if not file.is_file():
            raise PortfolioError(located("file not found", file=name, fix="check the path."))
        size = file.stat().st_size
        if size > MAX_FILE_BYTES:
            raise PortfolioError(located(f"file is {size / 1e6:.0f} MB; holdings files are limited to "
                                         f"{MAX_FILE_BYTES / 1e6:.0f} MB", file=name,
                                         fix="split it, or aggregate positions per ticker first."))
        raw = file.read_bytes()
        frame = _parse_holdings_text(_decode(raw), name)
        return cls.from_frame(frame, allow_short=allow_short, source=name)

    # -------------------------------------------------------------------------------------- valuation
    def valued(self, price: Callable[[str], float | None] | None = None) -> pd.DataFrame:
        """Positions with ``weight`` (fractions summing to 1), ``value`` (USD when known) and ``is_cash``.

        ``price(ticker)`` gives a USD price per share; it is needed only for ``shares`` portfolios,
        where a missing price is an error naming the ticker. Cash rows count at face value.
        """
        table = self.positions.copy()
        table["is_cash"] = table["ticker"].isin(CASH_TICKERS)
        if self.kind == "shares":
            values = []
            for ticker, amount, is_cash in zip(table["ticker"], table["amount"], table["is_cash"], strict=True):
                unit = 1.0 if is_cash else (price(ticker) if price else None)
                if unit is None or not np.isfinite(unit):
                    raise PortfolioError(located(f"no price for {ticker} to value its shares", file=self.source,
                                                 column="shares",
                                                 fix="use --live for today's prices, give market_value instead "
                                                     "of shares, or add the ticker to prices.csv."))
                values.append(amount * unit)
            table["value"] = values
        elif self.kind == "market_value":
            table["value"] = table["amount"]
        else:
            table["value"] = np.nan
        basis = table["value"] if self.kind != "weight" else table["amount"]
        total = float(basis.sum())
        if not total > 0:
            raise PortfolioError(located(f"the {self.kind} of the portfolio sums to {total:g}", file=self.source,
                                         column=self.kind, fix="give positions with a positive total."))
        table["weight"] = basis / total
        return table

    def normalisation_note(self) -> str | None:
        """A note when given weights did not sum to 1 (they are normalised)."""
        if self.kind != "weight":
            return None
        total = float(self.positions["amount"].sum())
        if abs(total - 1.0) > 1e-6:
            return f"weights summed to {total:g}; normalised to 1."
        return None

    def __repr__(self) -> str:
        return f"Portfolio({len(self.positions)} positions by {self.kind}, from {self.source})"


def look_through(valued: pd.DataFrame, holdings_of: Callable[[str], pd.DataFrame | None]) -> pd.DataFrame:
    """Replace each fund by its holdings times its weight; the rest stays as ``<fund> other``.

    ``holdings_of(ticker)`` returns the fund's ``ticker, weight`` rows or None when it is not a known fund.
    Returns ``ticker, weight, via, looked_through`` rows (``via`` is the fund, or "" for a direct holding).
    """
    rows: list[dict] = []
    for ticker, weight, is_cash in zip(valued["ticker"], valued["weight"], valued["is_cash"], strict=True):
        holdings = None if is_cash else holdings_of(ticker)
        if holdings is None or holdings.empty:
            rows.append({"ticker": ticker, "weight": weight, "via": "", "looked_through": False})
            continue
        covered = float(holdings["weight"].sum())
        for held, share in zip(holdings["ticker"], holdings["weight"], strict=True):
            rows.append({"ticker": held, "weight": weight * share, "via": ticker, "looked_through": True})
        rest = max(0.0, 1.0 - covered)
        if rest > 0:
            rows.append({"ticker": f"{ticker} other", "weight": weight * rest, "via": ticker,
                         "looked_through": False})
    return pd.DataFrame(rows, columns=["ticker", "weight", "via", "looked_through"])


# ------------------------------------------------------------------------------------------- parsing
def parse_number(value: object, *, file: str = "<input>", row: int | None = None, column: str | None = None) -> float:
    """A finite float from a number or text like ``1,234.56``, ``$1,234``, ``12.5%`` (-> 0.125), ``(100)``."""
    if isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool):
        number = float(value)
    else:
        text = "" if value is None else str(value).strip()
        negative = text.startswith("(") and text.endswith(")")
        text = text.strip("()").replace("\u00a0", "").replace(" ", "")
        percent = text.endswith("%")
        text = text.rstrip("%").lstrip("$€£¥").replace("$", "")
        if text.count(",") and text.count("."):
            text = text.replace(",", "")
        elif text.count(",") == 1 and len(text.split(",")[1]) != 3:
            text = text.replace(",", ".")  # decimal comma (12,5)
        else:
            text = text.replace(",", "")
        if not _NUMBER.match(text):
            shown = "" if value is None else str(value)
            raise PortfolioError(located(f"'{shown}' is not a number", file=file, row=row, column=column,
                                         fix="write a plain number such as 1234.56 or 12.5%."))
        number = float(text) * (-1 if negative else 1) / (100.0 if percent else 1.0)
    if not math.isfinite(number):
        raise PortfolioError(located(f"'{value}' is not a finite number", file=file, row=row, column=column,
                                     fix="replace NaN/inf with a real amount or delete the row."))
    return number


def _decode(raw: bytes) -> str:
    for encoding in ("utf-8-sig", "utf-16") if raw[:2] in (b"\xff\xfe", b"\xfe\xff") else ("utf-8-sig",):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1")


def _parse_holdings_text(text: str, name: str) -> pd.DataFrame:
    """Find the header row (it may follow a broker's preamble), sniff the delimiter, read all as text."""
    lines = text.splitlines()
    if not any(line.strip() for line in lines):
        raise PortfolioError(located("file is empty", file=name,
                                     fix="add a header row (ticker,weight) and one row per holding."))
    header_index = None
    delimiter = ","
    for index, line in enumerate(lines[:50]):
        for candidate in (",", ";", "\t", "|"):
            cells = [c.strip().strip('"').strip().lower() for c in line.split(candidate)]
            if any(_HEADER_ALIASES.get(c) == "ticker" for c in cells) and len(cells) > 1:
                header_index, delimiter = index, candidate
                break
        if header_index is not None:
            break
    if header_index is None:
        raise PortfolioError(located("no header row with a 'ticker' (or 'symbol') column in the first 50 lines",
                                     file=name, fix="add a header row such as: ticker,weight"))
    body = "\n".join(lines[header_index:])
    reader = csv.reader(io.StringIO(body), delimiter=delimiter, quotechar='"', skipinitialspace=True)
    rows = [r for r in reader]
    header = [h.strip() for h in rows[0]]
    while header and header[-1] == "":
        header.pop()  # trailing delimiter
    data = []
    for offset, cells in enumerate(rows[1:], start=1):
        cells = [c.strip() for c in cells]
        if not any(cells):
            data.append([""] * len(header))
            continue
        extra = cells[len(header):]
        if any(extra):
            raise PortfolioError(located(f"{len(cells)} fields but the header has {len(header)}", file=name,
                                         row=header_index + offset + 1,
                                         fix="quote fields that contain the delimiter, or fix the row."))
        data.append((cells + [""] * len(header))[: len(header)])
    frame = pd.DataFrame(data, columns=header, dtype=object)
    frame.attrs["header_line"] = header_index + 1
    if frame.empty:
        raise PortfolioError(located("header only, no holdings", file=name,
                                     fix="add one row per holding under the header."))
    return frame


def _is_blank(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or str(value).strip() == ""


def _text(value: object) -> str:
    return "" if _is_blank(value) else str(value).strip()
