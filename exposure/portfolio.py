"""Holdings in: read a CSV, dict or DataFrame, validate, value, and look through funds.

A portfolio keeps what the user gave (``weight``, ``market_value`` or ``shares`` per ticker) and is
valued only when prices are known, so the same file works on the bundled snapshot or live prices.
Nothing is dropped: unknown tickers stay as "unmapped" and cash stays as cash.

Input formats :meth:`Portfolio.from_csv` accepts (README, "Input formats", lists the same):

* encodings: UTF-8 with or without BOM, UTF-16 with BOM, Windows-1252 / latin-1 (a note says so);
* delimiters ``,`` ``;`` tab ``|``, taken from the header row, which may follow a broker's preamble
  (searched in the first 50 lines); header names are case-insensitive with common broker spellings
  (``Symbol``, ``Quantity``, ``Market Value``, ``Current Value``, ``% of Portfolio``...);
* numbers: ``1234.56``, ``"1,234.56"`` (quoted in a comma file), ``1.234,56`` and ``12,5`` (decimal
  comma), ``1'234.56``, ``1 234,56``, currency symbols or codes (``$1,234``, ``1 234,56 €``,
  ``USD 100``), percent strings (``12.5%`` -> 0.125), accounting negatives ``(100)``, the unicode
  minus, Excel text cells (``="0700"``). The file's decimal mark comes from its unambiguous values
  (``12,5``, ``0.125``, ``1,234.56``); when every value is ambiguous (``1,234``) it is ``,`` for a
  ``;``-separated file and ``.`` otherwise, and a note says so;
* blank lines, trailing delimiters, quoted fields, surrounding whitespace, any ticker case;
* share classes ``BRK.B``, ``BRK-B``, ``BRK/B`` and ``BRK B`` are one holding (summed, noted);
  exchange suffixes (``9984.T``) are kept as given;
* summary rows are skipped with a note: a ticker reading ``Total``/``Totals``/``Grand total``/
  ``Subtotal``/``Sum``, a row with no ticker whose other cells say "total", or a last row with no
  ticker whose amount equals the sum of the rows above; disclaimer text lines after the last holding
  (no amount) are skipped too. Any other row without a ticker is an error;
* cash: ``CASH``, ``USD`` and broker labels such as ``Cash & Cash Investments``; the money-market
  markers of some brokers (``SPAXX**``) are stripped.

Refused with one line naming the file, row, column and fix (:class:`~exposure.errors.PortfolioError`):
Excel workbooks and other binary files, files over :data:`MAX_FILE_BYTES` (refused before reading),
an empty file, a header without holdings, no ticker column, no or several amount columns, duplicate
columns, text, NaN or inf where a number belongs, negative amounts without ``allow_short=True``, all
amounts zero, weights mixing percent strings with plain numbers, mixed decimal marks or currencies,
an unclosed quote, a row with more fields than the header, control characters in a ticker, more than
:data:`MAX_ROWS` rows.
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from exposure.errors import PortfolioError, located

AMOUNT_COLUMNS = ("weight", "market_value", "shares")
CASH_TICKERS = frozenset({"CASH", "USD", "$CASH", "CASH_USD", "USD_CASH", "CASH-USD"})
#: Holdings files above this size are refused before reading: a portfolio is a few thousand rows at most.
MAX_FILE_BYTES = 20 * 1024 * 1024
#: Holdings files with more data rows are refused while reading (parsing stays well under a few seconds).
MAX_ROWS = 100_000
#: How far down a broker's preamble the header row is looked for.
HEADER_SEARCH_LINES = 50
_HEADER_ALIASES = {
    "symbol": "ticker", "ticker": "ticker", "ticker symbol": "ticker", "symbol/cusip": "ticker",
    "weight": "weight", "weight (%)": "weight", "weight %": "weight", "% of portfolio": "weight",
    "portfolio %": "weight", "allocation": "weight",
    "market value": "market_value", "value": "market_value", "marketvalue": "market_value",
    "current value": "market_value", "total value": "market_value", "position value": "market_value",
    "market value ($)": "market_value", "market value (usd)": "market_value",
    "shares": "shares", "quantity": "shares", "qty": "shares", "qty (quantity)": "shares", "units": "shares",
    "name": "name", "description": "name", "security name": "name", "investment name": "name",
    "currency": "currency",
}
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_CURRENCY = r"(?:US\$|[$€£¥]|USD|EUR|GBP|JPY|CHF|CAD|AUD|HKD)"
_AMOUNT = re.compile(rf"^(?P<s1>[+-]?)(?P<c1>{_CURRENCY})?(?P<s2>[+-]?)(?P<num>[\d.,]*\d[\d.,]*|[.,]\d+)"
                     rf"(?P<exp>[eE][+-]?\d+)?(?P<pct>%)?(?P<c2>{_CURRENCY})?$")
_GROUPED = {sep: re.compile(rf"^[1-9]\d{{0,2}}(?:{re.escape(sep)}\d{{2,3}})*{re.escape(sep)}\d{{3}}$")
            for sep in ",."}
_SPACES = dict.fromkeys(map(ord, " \u00a0\u202f\u2009\u2007'\u2019"), None)
_TOTAL = re.compile(r"^((GRAND|ACCOUNT|PORTFOLIO)\s+)?(SUB[- ]?)?TOTALS?\b.*$|^SUM:?$")
_SHARE_CLASS = re.compile(r"^([A-Z]{1,6})[./\- ]([A-Z])$")
_INVISIBLE = re.compile("[\u200b-\u200f\u2060\ufeff]")  # zero-width marks pasted in from web pages
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_EXCEL_TEXT = re.compile(r'^=\s*"(.*)"$', re.S)


class _NotANumber(ValueError):
    """Raised by :func:`_parse_amount`; callers turn it into a located PortfolioError."""


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
        """From a DataFrame with ``ticker`` and exactly one of ``weight``, ``market_value``, ``shares``.

        Cells may be numbers or text in any of the formats listed in the module docstring. Raises
        :class:`~exposure.errors.PortfolioError` naming the row (line in the file) and column.
        """
        attrs = dict(getattr(frame, "attrs", {}) or {})
        header_line = int(attrs.get("header_line", 1))
        originals = [str(c).strip() for c in frame.columns]
        renamed = [_HEADER_ALIASES.get(_header_key(c), c) for c in originals]
        if len(set(renamed)) != len(renamed):
            clashes = []
            for target in dict.fromkeys(c for c in renamed if renamed.count(c) > 1):
                spelled = [o for o, r in zip(originals, renamed, strict=True) if r == target]
                clashes.append(f"{' and '.join(repr(s) for s in spelled)} (both read as '{target}')"
                               if len(set(spelled)) > 1 else f"'{target}' ({len(spelled)} times)")
            raise PortfolioError(located(f"duplicate column(s): {'; '.join(clashes)}", file=source,
                                         row=header_line, fix="keep one column of each name."))
        frame = frame.set_axis(renamed, axis=1)
        if "ticker" not in frame.columns:
            raise PortfolioError(located("no 'ticker' column", file=source, row=header_line,
                                         fix="add a header row with 'ticker' and one of weight, market_value, "
                                             "shares."))
        present = [c for c in AMOUNT_COLUMNS if c in frame.columns]
        if len(present) != 1:
            spelled = [f"'{o}' ({r})" for o, r in zip(originals, renamed, strict=True) if r in AMOUNT_COLUMNS]
            message = ("no amount column (weight, market_value or shares)" if not present else
                       f"{len(present)} amount columns: {', '.join(spelled)}")
            raise PortfolioError(located(message, file=source, row=header_line,
                                         fix="keep exactly one of weight, market_value, shares"
                                             + (" and delete the other columns." if present else ".")))
        kind = present[0]
        lines = list(attrs.get("lines") or range(header_line + 1, header_line + 1 + len(frame)))
        records = frame.to_dict("records")
        entries = [_Entry(line, _ticker_text(raw["ticker"], source, line), raw[kind], raw)
                   for line, raw in zip(lines, records, strict=True)]
        notes: list[str] = list(attrs.get("notes", []))
        entries = _drop_summary_rows(entries, kind, source, notes)
        decimal = _decimal_mark(entries, kind, source, attrs.get("delimiter"), notes)
        rows = []
        percent_rows: dict[bool, int] = {}
        currency_rows: dict[str, int] = {}
        for entry in entries:
            if _is_blank(entry.amount):
                raise PortfolioError(located(f"no {kind} for {entry.ticker}", file=source, row=entry.line,
                                             column=kind, fix=f"fill in the {kind} or delete the row."))
            amount, percent, currency = _located_amount(entry.amount, decimal, source, entry.line, kind)
            if amount != 0:
                percent_rows.setdefault(percent, entry.line)
            if currency:
                currency_rows.setdefault(currency, entry.line)
            if amount < 0 and not allow_short:
                raise PortfolioError(located(f"negative {kind} {amount:g} for {entry.ticker} (a short position)",
                                             file=source, row=entry.line, column=kind,
                                             fix="remove the row, or pass allow_short=True to model shorts."))
            rows.append({"ticker": entry.ticker, "amount": amount, "name": _text(entry.raw.get("name")),
                         "currency": (_text(entry.raw.get("currency")) or "USD").upper(), "row": entry.line})
        _check_consistent_units(kind, percent_rows, currency_rows, source)
        if not rows:
            raise PortfolioError(located("no holdings", file=source,
                                         fix="add at least one row with a ticker and an amount."))
        table = pd.DataFrame(rows)
        if kind != "shares" and table["currency"].ne("USD").any():
            odd = ", ".join(sorted(set(table.loc[table["currency"].ne("USD"), "ticker"])))
            notes.append(f"amounts of {odd} are taken as USD; the currency column is only used to price shares.")
        table["key"] = table["ticker"].map(_holding_key)
        spellings = table.groupby("key", sort=False)["ticker"].agg(lambda s: list(dict.fromkeys(s)))
        merged = {k: v for k, v in spellings.items() if len(v) > 1}
        if merged:
            notes.append("share-class spellings summed as one holding: "
                         + "; ".join(" = ".join(v) for v in merged.values()) + ".")
        if table["ticker"].duplicated().any():
            dupes = sorted(set(table.loc[table["ticker"].duplicated(), "ticker"]))
            notes.append(f"duplicate tickers summed: {', '.join(dupes)}.")
        table["ticker"] = table["key"].map(spellings.str[0])
        positions = (table.groupby("ticker", sort=False)
                     .agg(amount=("amount", "sum"), name=("name", "first"), currency=("currency", "first"))
                     .reset_index())
        with np.errstate(over="ignore", invalid="ignore"):
            summed = positions["amount"].to_numpy(float)
            finite = bool(np.isfinite(summed).all() and np.isfinite(np.abs(summed).sum()))
        if not finite:
            raise PortfolioError(located(f"the {kind} amounts are too large to add up", file=source, column=kind,
                                         fix="check the numbers (a stray exponent such as 1e308?)."))
        if kind != "shares" and not positions["amount"].abs().sum() > 0:
            raise PortfolioError(located(f"every {kind} is zero", file=source, column=kind,
                                         fix="give at least one position a positive amount."))
        return cls(positions=positions, kind=kind, source=source, notes=notes)

    @classmethod
    def from_csv(cls, path: str | os.PathLike[str], *, allow_short: bool = False) -> Portfolio:
        """Read a holdings CSV: ``ticker`` and one of ``weight``, ``market_value``, ``shares``.

        Accepted formats and refusals are listed in this module's docstring (and README, "Input formats").
        The size is checked before anything is read, so a huge file is refused at once.
        """
        from exposure.files import read_text

        name = str(path)
        read = read_text(path, what="holdings", error=PortfolioError, max_bytes=MAX_FILE_BYTES)
        return cls._from_text(read.text, read.note, name, allow_short=allow_short)

    @classmethod
    def _from_bytes(cls, raw: bytes, name: str, *, allow_short: bool = False) -> Portfolio:
        """Parse the bytes of a holdings file named ``name`` (the file-free core of :meth:`from_csv`)."""
        if len(raw) > MAX_FILE_BYTES:
            raise PortfolioError(located(f"file is {len(raw) / 1e6:.0f} MB; holdings files are limited to "
                                         f"{MAX_FILE_BYTES / 1e6:.0f} MB", file=name,
                                         fix="split it, or aggregate positions per ticker first."))
        text, encoding_note = _decode(raw, name)
        return cls._from_text(text, encoding_note, name, allow_short=allow_short)

    @classmethod
    def _from_text(cls, text: str, encoding_note: str | None, name: str, *, allow_short: bool = False) -> Portfolio:
        """Parse the decoded text of a holdings file (``encoding_note`` says when it was not UTF-8)."""
        frame = _parse_holdings_text(text, name)
        if encoding_note:
            frame.attrs["notes"] = [encoding_note, *frame.attrs.get("notes", [])]
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
                value = amount * unit
                if not np.isfinite(value):
                    raise PortfolioError(located(f"{amount:g} shares of {ticker} at {unit:g} overflow the "
                                                 "position's value", file=self.source,
                                                 column="shares", fix="check the number of shares."))
                values.append(value)
            table["value"] = values
        elif self.kind == "market_value":
            table["value"] = table["amount"]
        else:
            table["value"] = np.nan
        basis = table["value"] if self.kind != "weight" else table["amount"]
        with np.errstate(over="ignore"):
            total = float(basis.sum())
        if np.isinf(total):
            raise PortfolioError(located(f"the {self.kind} amounts are too large to add up", file=self.source,
                                         column=self.kind, fix="check the numbers (a stray exponent such as "
                                                               "1e308?)."))
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
    for ticker, weight, is_cash in zip(valued["ticker"].tolist(), valued["weight"].tolist(),
                                       valued["is_cash"].tolist(), strict=True):
        holdings = None if is_cash else holdings_of(ticker)
        if holdings is None or holdings.empty:
            rows.append({"ticker": ticker, "weight": weight, "via": "", "looked_through": False})
            continue
        covered = float(holdings["weight"].sum())
        for held, share in zip(holdings["ticker"].tolist(), holdings["weight"].tolist(), strict=True):
            rows.append({"ticker": held, "weight": weight * share, "via": ticker, "looked_through": True})
        rest = max(0.0, 1.0 - covered)
        if rest > 0:
            rows.append({"ticker": f"{ticker} other", "weight": weight * rest, "via": ticker,
                         "looked_through": False})
    return pd.DataFrame(rows, columns=["ticker", "weight", "via", "looked_through"])



# ------------------------------------------------------------------------------------------- parsing
def parse_number(value: object, *, file: str = "<input>", row: int | None = None, column: str | None = None,
                 decimal: str | None = None) -> float:
    """A finite float from a number or text like ``1,234.56``, ``$1,234``, ``12.5%`` (-> 0.125), ``(100)``.

    ``decimal`` is the decimal mark (``.`` or ``,``) for ambiguous text such as ``1,234``; by default
    each value decides for itself and an ambiguous one reads ``,`` as a thousands separator.
    Raises :class:`~exposure.errors.PortfolioError` naming ``file``, ``row`` and ``column``.
    """
    return _located_amount(value, decimal, file, row, column)[0]


@dataclass
class _Entry:
    """One data row on its way to a position: its line in the file, cleaned ticker, raw amount, raw cells."""

    line: int
    ticker: str
    amount: object
    raw: dict


def _located_amount(value: object, decimal: str | None, file: str, row: int | None,
                    column: str | None) -> tuple[float, bool, str]:
    try:
        return _parse_amount(value, decimal)
    except _NotANumber as problem:
        shown = "" if value is None else str(value)
        missing = str(problem) == "not finite"
        raise PortfolioError(located(f"'{shown}' is not {'a finite' if missing else 'a'} number", file=file,
                                     row=row, column=column,
                                     fix="replace NaN/inf with a real amount or delete the row." if missing
                                     else "write a plain number such as 1234.56 or 12.5%.")) from None


def _parse_amount(value: object, decimal: str | None) -> tuple[float, bool, str]:
    """``(number, was_percent, currency_symbol)``; raises _NotANumber."""
    if isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool):
        number = float(value)
        if not math.isfinite(number):
            raise _NotANumber("not finite")
        return number, False, ""
    text = _clean_cell(value).upper().replace("\u2212", "-").translate(_SPACES)
    if text.lower() in ("nan", "inf", "-inf", "+inf", "infinity", "-infinity"):
        raise _NotANumber("not finite")
    negative = text.startswith("(") and text.endswith(")")
    if negative:
        text = text[1:-1]
    match = _AMOUNT.match(text)
    if not match or (match["s1"] and match["s2"]) or (match["c1"] and match["c2"]) or (
            negative and (match["s1"] or match["s2"])):
        raise _NotANumber("text")
    digits = _resolve_separators(match["num"], decimal)
    if digits is None or not _NUMBER.match(digits + (match["exp"] or "")):
        raise _NotANumber("text")
    number = float(digits + (match["exp"] or ""))
    if "-" in (match["s1"] + match["s2"]) or negative:
        number = -number
    if match["pct"]:
        number /= 100.0
    if not math.isfinite(number):
        raise _NotANumber("not finite")
    return number, bool(match["pct"]), (match["c1"] or match["c2"] or "").replace("US$", "$").replace("USD", "$")


def _resolve_separators(number: str, decimal: str | None) -> str | None:
    """Plain ``1234.5`` from ``1,234.5``/``1.234,5``/``12,5``; None when the separators make no sense."""
    commas, points = number.count(","), number.count(".")
    if commas and points:
        mark = "," if number.rfind(",") > number.rfind(".") else "."
        thousands = "." if mark == "," else ","
        whole, _, fraction = number.rpartition(mark)
        if number.count(mark) > 1 or not _GROUPED[thousands].match(whole) or not fraction.isdigit():
            return None
        return whole.replace(thousands, "") + "." + fraction
    if not commas and not points:
        return number
    separator = "," if commas else "."
    if commas + points > 1:  # only thousands separators can repeat
        return number.replace(separator, "") if _GROUPED[separator].match(number) else None
    if _GROUPED[separator].match(number):  # 1,234 or 1.234: ambiguous, the file's decimal mark decides
        return number.replace(separator, ".") if (decimal or ".") == separator else number.replace(separator, "")
    whole, _, fraction = number.partition(separator)
    return (whole or "0") + "." + fraction if fraction else None


def _decimal_evidence(text: str) -> str | None:
    """The decimal mark a single amount text proves (``,`` or ``.``), or None when it is ambiguous."""
    match = _AMOUNT.match(text.upper().replace("\u2212", "-").translate(_SPACES).strip("()"))
    if not match:
        return None
    number = match["num"]
    commas, points = number.count(","), number.count(".")
    if commas and points:
        return "," if number.rfind(",") > number.rfind(".") else "."
    if commas + points == 0:
        return None
    separator = "," if commas else "."
    other = "." if separator == "," else ","
    if commas + points > 1:
        return other if _GROUPED[separator].match(number) else None
    return None if _GROUPED[separator].match(number) else separator


def _decimal_mark(entries: list[_Entry], kind: str, source: str, delimiter: str | None, notes: list[str]) -> str:
    """The file's decimal mark: from its unambiguous amounts, else ``,`` for ``;`` files and ``.`` otherwise."""
    seen: dict[str, tuple[int, str]] = {}
    ambiguous: tuple[int, str] | None = None
    for entry in entries:
        if not isinstance(entry.amount, str):
            continue
        text = _clean_cell(entry.amount)
        mark = _decimal_evidence(text)
        if mark is None:
            if ambiguous is None and _AMOUNT.match(text.upper().translate(_SPACES).strip("()")) and (
                    "," in text or "." in text):
                ambiguous = (entry.line, text)
            continue
        seen.setdefault(mark, (entry.line, text))
    if len(seen) > 1:
        (comma_row, comma_text), (point_row, point_text) = seen[","], seen["."]
        raise PortfolioError(located(f"the {kind} column mixes decimal commas (row {comma_row}: '{comma_text}') and "
                                     f"decimal points (row {point_row}: '{point_text}')", file=source,
                                     row=max(comma_row, point_row), column=kind,
                                     fix="write every number with the same decimal mark."))
    if seen:
        mark = next(iter(seen))
    else:
        mark = "," if delimiter == ";" else "."
        if ambiguous is not None and delimiter not in (",", None):  # in a comma file "1,234" had to be quoted
            reading = "decimal mark" if mark in ambiguous[1] else "thousands separator"
            notes.append(f"'{ambiguous[1]}' (row {ambiguous[0]}) and numbers like it could be read two ways; "
                         f"read with '{mark}' as the decimal mark, so its separator is a {reading}.")
    if mark == "," and seen:
        notes.append("numbers read with ',' as the decimal mark and '.' as the thousands separator.")
    return mark


def _check_consistent_units(kind: str, percent_rows: dict[bool, int], currency_rows: dict[str, int],
                            source: str) -> None:
    if True in percent_rows and kind != "weight":
        raise PortfolioError(located(f"a percent string in the {kind} column", file=source, row=percent_rows[True],
                                     column=kind, fix=f"write the {kind} as a plain number, or use a weight "
                                                      "column for percentages."))
    if len(percent_rows) > 1:
        raise PortfolioError(located("weights mix percent strings (row "
                                     f"{percent_rows[True]}) and plain numbers (row {percent_rows[False]}), "
                                     "so 50% and 50 would differ a hundredfold", file=source,
                                     row=max(percent_rows.values()), column=kind,
                                     fix="write every weight the same way (all with % or none)."))
    if len(currency_rows) > 1:
        listed = ", ".join(f"{c} (row {r})" for c, r in currency_rows.items())
        raise PortfolioError(located(f"amounts in several currencies: {listed}", file=source,
                                     row=max(currency_rows.values()), column=kind,
                                     fix="convert every amount to one currency (USD), or give shares with a "
                                         "currency column."))


def _drop_summary_rows(entries: list[_Entry], kind: str, source: str, notes: list[str]) -> list[_Entry]:
    """Drop blank rows, total rows and trailing disclaimer text; refuse other rows without a ticker."""
    kept: list[_Entry] = []
    skipped: list[str] = []
    holding_lines = [e.line for e in entries if e.ticker and not _TOTAL.match(e.ticker) and not _is_blank(e.amount)]
    last_holding = max(holding_lines, default=0)
    for position, entry in enumerate(entries):
        others = [_text(v) for k, v in entry.raw.items() if k not in ("ticker", kind)]
        if not entry.ticker and _is_blank(entry.amount) and not any(others):
            continue  # a blank row
        if entry.ticker and _TOTAL.match(entry.ticker):
            skipped.append(f"row {entry.line} ('{entry.ticker.title()}')")
            continue
        if not entry.ticker:
            if any(_TOTAL.match(o.upper()) for o in others):
                skipped.append(f"row {entry.line} (a total)")
                continue
            if _is_blank(entry.amount) and entry.line > last_holding:
                skipped.append(f"row {entry.line} (text after the holdings)")
                continue
            later = [e for e in entries[position + 1:] if e.ticker or not _is_blank(e.amount)]
            if not later and _is_sum_of(entry.amount, [e.amount for e in kept]):
                skipped.append(f"row {entry.line} (no ticker; its amount is the sum of the rows above)")
                continue
            raise PortfolioError(located("empty ticker", file=source, row=entry.line, column="ticker",
                                         fix="fill in the ticker or delete the row (total rows may say 'Total')."))
        if _is_blank(entry.amount) and entry.line > last_holding and not _looks_like_ticker(entry.ticker):
            skipped.append(f"row {entry.line} (text after the holdings)")
            continue
        kept.append(entry)
    if skipped:
        notes.append(f"skipped as summary or text, not holdings: {', '.join(skipped)}.")
    return kept


def _is_sum_of(total: object, amounts: list[object]) -> bool:
    try:
        value = _parse_amount(total, None)[0]
        parts = [_parse_amount(a, None)[0] for a in amounts]
    except _NotANumber:
        return False
    return len(parts) > 1 and value != 0 and math.isclose(value, sum(parts), rel_tol=5e-3)


def _looks_like_ticker(text: str) -> bool:
    return len(text) <= 24 and not any(ch.isspace() for ch in text)


def _ticker_text(value: object, source: str, line: int) -> str:
    """Trimmed, upper-case ticker; cash labels become CASH, broker markers (``**``) go."""
    text = _INVISIBLE.sub("", _clean_cell(value)).upper()
    if _CONTROL.search(text):
        raise PortfolioError(located(f"ticker {text!r} contains control characters", file=source, row=line,
                                     column="ticker", fix="retype the ticker; the file may be damaged."))
    text = " ".join(text.split()).rstrip("*").strip()
    if text not in CASH_TICKERS and re.match(r"^CASH\b", text) and not _looks_like_ticker(text):
        return "CASH"  # broker labels: "Cash & Cash Investments", "Cash and sweep"
    if match := _SHARE_CLASS.match(text):
        if text[len(match[1])] in "/ ":
            return f"{match[1]}-{match[2]}"  # BRK/B, BRK B -> Yahoo's BRK-B
    return text


def _holding_key(ticker: str) -> str:
    """Share-class spellings (``BRK.B``/``BRK-B``) share one key so they are summed as one holding."""
    match = _SHARE_CLASS.match(ticker)
    return f"{match[1]}-{match[2]}" if match else ticker


def _header_key(text: str) -> str:
    return " ".join(_clean_cell(text).lower().replace("_", " ").split())


def _clean_cell(value: object) -> str:
    """Text of a cell, trimmed, with Excel's ``="..."`` text wrapper removed."""
    if _is_blank(value):
        return ""
    text = str(value).strip()
    if match := _EXCEL_TEXT.match(text):
        text = match[1].strip()
    return text


def _decode(raw: bytes, name: str = "<input>") -> tuple[str, str | None]:
    """Text of a holdings file and a note when it was not UTF-8 (the one rule of :func:`exposure.files.decode`)."""
    from exposure.files import decode

    return decode(raw, name, error=PortfolioError)


def _refuse_binary(text: str, name: str) -> None:
    if "\x00" in text:
        raise PortfolioError(located("the file contains NUL bytes: it is not a text CSV", file=name,
                                     fix="export the holdings as CSV (comma or semicolon separated text)."))


def _parse_holdings_text(text: str, name: str) -> pd.DataFrame:
    """Find the header row (it may follow a broker's preamble), sniff the delimiter, read all as text.

    Returns a DataFrame of text cells with ``attrs``: ``header_line`` and ``lines`` (line numbers in
    the file of the header and of each row) and ``delimiter``.
    """
    _refuse_binary(text, name)
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if not any(line.strip() for line in lines):
        raise PortfolioError(located("file is empty", file=name,
                                     fix="add a header row (ticker,weight) and one row per holding."))
    header_index, delimiter = _find_header(lines, name)
    body = io.StringIO("\n".join(lines[header_index:]))
    reader = csv.reader(body, delimiter=delimiter, quotechar='"', skipinitialspace=True)
    data: list[list[str]] = []
    row_lines: list[int] = []
    header: list[str] = []
    previous = 0
    try:
        for cells in reader:
            line = header_index + previous + 1  # the record's first line in the file
            previous = reader.line_num
            if any("\n" in c for c in cells):
                raise PortfolioError(located("a quote opened on this row is never closed", file=name, row=line,
                                             fix='close the quote ("...") or remove it.'))
            cells = [_clean_cell(c) for c in cells]
            if not header:
                header = _header_cells(cells)
                continue
            if not any(cells):
                continue
            extra = cells[len(header):]
            if any(extra):
                raise PortfolioError(located(f"{len(cells)} fields but the header has {len(header)}", file=name,
                                             row=line, fix="quote fields that contain the delimiter (a number "
                                                           'with a thousands separator: "1,234.56"), or fix the row.'))
            data.append((cells + [""] * len(header))[: len(header)])
            row_lines.append(line)
            if len(data) > MAX_ROWS:
                raise PortfolioError(located(f"more than {MAX_ROWS:,} rows of holdings", file=name, row=line,
                                             fix="aggregate positions per ticker first, or split the file."))
    except csv.Error as error:
        raise PortfolioError(located(f"cannot read the file as CSV ({error})", file=name,
                                     row=header_index + previous + 1,
                                     fix="save it as plain comma-separated text.")) from None
    frame = pd.DataFrame(data, columns=header, dtype=object)
    frame.attrs.update(header_line=header_index + 1, lines=row_lines, delimiter=delimiter)
    if frame.empty:
        raise PortfolioError(located("header only, no holdings", file=name, row=header_index + 1,
                                     fix="add one row per holding under the header."))
    return frame


def _find_header(lines: list[str], name: str) -> tuple[int, str]:
    """Index of the first line (of the first 50) with a ticker column, and its delimiter."""
    for index, line in enumerate(lines[:HEADER_SEARCH_LINES]):
        for candidate in (",", ";", "\t", "|"):
            if candidate not in line:
                continue
            try:
                cells = next(csv.reader([line], delimiter=candidate, quotechar='"', skipinitialspace=True), [])
            except csv.Error:
                continue
            if len(cells) > 1 and any(_HEADER_ALIASES.get(_header_key(c)) == "ticker" for c in cells):
                return index, candidate
    raise PortfolioError(located(f"no header row with a 'ticker' (or 'symbol') column in the first "
                                 f"{HEADER_SEARCH_LINES} lines", file=name,
                                 fix="add a header row such as: ticker,weight"))


def _header_cells(cells: list[str]) -> list[str]:
    header = list(cells)
    while header and header[-1] == "":
        header.pop()  # trailing delimiter
    return [cell or f"column {k + 1}" for k, cell in enumerate(header)]


def _is_blank(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or str(value).strip() == ""


def _text(value: object) -> str:
    return "" if _is_blank(value) else str(value).strip()
