"""The generic reader: a table with a ticker column and an amount column, from a file, dict or frame.

Header names are case-insensitive with common broker spellings (``Symbol``, ``Quantity``, ``Market
Value``, ``Current Value``, ``% of Portfolio``...). When a file has several amount columns the market
value is used first, then shares x price (with a price column), then the weight, and a note says which.
A ``currency`` column converts market values to the base currency (:mod:`exposure.holdings.fx`); an
``account`` column is kept so one account can be selected.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from exposure.errors import PortfolioError, located
from exposure.holdings.fx import SUB_UNITS, Converter, bundled_rates, iso_code
from exposure.holdings.identifiers import identifier_tickers
from exposure.holdings.numbers import (
    NotANumber,
    clean_cell,
    decimal_mark,
    is_blank,
    located_amount,
    number_or_none,
    parse_amount,
    text,
)
from exposure.holdings.rows import MONEY_MARKET, option_underlying
from exposure.holdings.statement import DERIVATIVE_COLUMNS

AMOUNT_COLUMNS = ("weight", "market_value", "shares")
CASH_TICKERS = frozenset({"CASH", "USD", "$CASH", "CASH_USD", "USD_CASH", "CASH-USD"})
#: Columns whose duplicates are refused; duplicates of the others keep the first.
_ESSENTIAL = ("ticker", *AMOUNT_COLUMNS)
HEADER_ALIASES = {
    "symbol": "ticker", "ticker": "ticker", "ticker symbol": "ticker", "symbol/cusip": "ticker",
    "symbol/cusip #": "ticker", "isin": "ticker", "cusip": "ticker",
    "weight": "weight", "weight (%)": "weight", "weight %": "weight", "% of portfolio": "weight",
    "portfolio %": "weight", "allocation": "weight",
    "market value": "market_value", "value": "market_value", "marketvalue": "market_value",
    "current value": "market_value", "total value": "market_value", "position value": "market_value",
    "market value ($)": "market_value", "market value (usd)": "market_value", "value $": "market_value",
    "mkt val (market value)": "market_value", "value ($)": "market_value",
    "shares": "shares", "quantity": "shares", "qty": "shares", "qty (quantity)": "shares", "units": "shares",
    "qty #": "shares",
    "name": "name", "description": "name", "security name": "name", "investment name": "name",
    "currency": "currency", "market value currency": "currency",
    "price": "price", "last price": "price", "share price": "price", "close price": "price",
    "market price": "price", "last price $": "price", "price ($)": "price",
    "account": "account", "account name": "account", "account number": "account",
    "account name/number": "account",
}
_TOTAL = re.compile(r"^((GRAND|ACCOUNT|PORTFOLIO)\s+)?(SUB[- ]?)?TOTALS?\b.*$|^SUM:?$")
#: A market value header naming its currency: ``Market Value £`` (Interactive Investor), ``Value (EUR)``.
_MONEY_HEADER = re.compile(r"^(market value|value|current value|total value)\s*(\(\s*(\S+)\s*\)|(£|€|\$))$")
_SHARE_CLASS = re.compile(r"^([A-Z]{1,6})[./\- ]([A-Z])$")
_INVISIBLE = re.compile("[\u200b-\u200f\u2060\ufeff]")  # zero-width marks pasted in from web pages
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


@dataclass
class _Entry:
    """One data row on its way to a position: its line in the file, cleaned ticker, raw amount, raw cells."""

    line: int
    ticker: str
    amount: object
    raw: dict


def is_ticker_header(cell: str) -> bool:
    """True when a header cell names the ticker column."""
    return HEADER_ALIASES.get(header_key(cell)) == "ticker"


def read_frame(frame: pd.DataFrame, *, allow_short: bool, source: str,
               converter: Converter) -> tuple[pd.DataFrame, str, list[str]]:
    """Rows ``ticker, amount, name, currency, account, row`` of a generic table, its kind and notes.

    Cells may be numbers or text in any of the formats of :mod:`exposure.holdings.numbers`. Option rows
    (``-NFLX260821C100``) are kept apart, in the table's ``attrs["derivatives"]`` (never refused as shorts).
    Raises :class:`~exposure.errors.PortfolioError` naming the row (line in the file) and column.
    """
    attrs = dict(getattr(frame, "attrs", {}) or {})
    header_line = int(attrs.get("header_line", 1))
    notes: list[str] = list(attrs.get("notes", []))
    frame, originals, renamed = _renamed(frame, source, header_line)
    kind, frame = _amount_column(frame, originals, renamed, source, header_line, notes)
    lines = list(attrs.get("lines") or range(header_line + 1, header_line + 1 + len(frame)))
    records = frame.to_dict("records")
    tickers, identifier_note = identifier_tickers([ticker_text(raw["ticker"], source, line)
                                                   for line, raw in zip(lines, records, strict=True)])
    notes.extend([identifier_note] if identifier_note else [])
    entries = [_Entry(line, ticker, raw[kind], raw) for line, ticker, raw in zip(lines, tickers, records, strict=True)]
    entries = _drop_summary_rows(entries, kind, source, notes)
    decimal = decimal_mark(((e.line, e.amount) for e in entries), kind, source, attrs.get("delimiter"), notes)
    rows = []
    derivatives: list[dict] = []
    percent_rows: dict[bool, int] = {}
    currency_rows: dict[str, int] = {}
    for entry in entries:
        if (underlying := option_underlying(entry.ticker)) is not None:
            derivatives.append(_derivative(entry, underlying, kind, decimal, source, converter))
            continue
        if is_blank(entry.amount):
            cut = " on the file's last line: is the file cut short?" if entry.line == lines[-1] else ""
            raise PortfolioError(located(f"no {kind} for {entry.ticker}{cut}", file=source, row=entry.line,
                                         column=kind, fix=f"fill in the {kind} or delete the row."))
        amount, percent, symbol = located_amount(entry.amount, decimal, source, entry.line, kind)
        if amount != 0:
            percent_rows.setdefault(percent, entry.line)
        if symbol:
            currency_rows.setdefault(symbol, entry.line)
        if amount < 0 and not allow_short:
            raise PortfolioError(located(f"negative {kind} {amount:g} for {entry.ticker} (a short position)",
                                         file=source, row=entry.line, column=kind,
                                         fix="remove the row, or pass allow_short=True to model shorts."))
        currency = iso_code(text(entry.raw.get("currency")) or symbol or converter.base)
        if kind == "market_value":
            amount = converter.convert(amount, currency, source=source, row=entry.line)
        rows.append({"ticker": entry.ticker, "amount": amount, "name": text(entry.raw.get("name")),
                     "currency": converter.base if kind == "market_value" else currency,
                     "account": text(entry.raw.get("account")), "row": entry.line})
    _check_consistent_units(kind, percent_rows, currency_rows, source)
    if not rows:
        raise PortfolioError(located("no holdings", file=source,
                                     fix="add at least one row with a ticker and an amount."))
    notes.extend(converter.notes())
    table = pd.DataFrame(rows)
    table.attrs["derivatives"] = pd.DataFrame(derivatives, columns=DERIVATIVE_COLUMNS)
    if derivatives:
        notes.append(f"{len(derivatives)} option position(s) kept apart in .derivatives and excluded from the "
                     "weights: " + ", ".join(d["ticker"] for d in derivatives) + ".")
    return table, kind, notes


def _derivative(entry: _Entry, underlying: str, kind: str, decimal: str, source: str,
                converter: Converter) -> dict:
    """An option row of a generic table, in the columns of ``Portfolio.derivatives``."""
    amount = None if is_blank(entry.amount) else located_amount(entry.amount, decimal, source, entry.line, kind)[0]
    currency = iso_code(text(entry.raw.get("currency")) or converter.base)
    value = converter.convert(amount, currency, source=source, row=entry.line) \
        if amount is not None and kind == "market_value" else None
    return {"ticker": entry.ticker.lstrip("-"), "underlying": underlying,
            "shares": number_or_none(entry.raw.get("shares")), "value": value, "currency": converter.base,
            "account": text(entry.raw.get("account")), "row": entry.line}


def group_rows(table: pd.DataFrame, kind: str, source: str, notes: list[str]) -> pd.DataFrame:
    """One position per ticker: share-class spellings and duplicates (or accounts) summed, with notes."""
    table = table.copy()
    table["key"] = table["ticker"].map(holding_key)
    has_basis = "cost_basis" in table and table.loc[table["ticker"] != "CASH", "cost_basis"].notna().any()
    if not table["key"].duplicated().any():  # one row per holding: nothing to sum (fast for 100k rows)
        keep = ["ticker", "amount", "name", "currency", "account"] + ["cost_basis"] * bool(has_basis)
        return _checked_total(table[keep].reset_index(drop=True), kind, source)
    spellings = table.groupby("key", sort=False)["ticker"].agg(lambda s: list(dict.fromkeys(s)))
    merged = {k: v for k, v in spellings.items() if len(v) > 1}
    if merged:
        notes.append("share-class spellings summed as one holding: "
                     + "; ".join(" = ".join(v) for v in merged.values()) + ".")
    table["ticker"] = table["key"].map(spellings.str[0])
    accounts = table["account"].replace("", np.nan).dropna().unique() if "account" in table else []
    duplicated = table["ticker"].duplicated(keep=False) & ~table["ticker"].isin(["CASH"])
    if len(accounts) > 1:
        across = table[duplicated].groupby("ticker")["account"].nunique()
        if (across > 1).any():
            notes.append(f"held in several accounts and summed: {', '.join(sorted(across[across > 1].index))}.")
        duplicated &= ~table["ticker"].isin(across[across > 1].index)
    if duplicated.any():
        notes.append(f"duplicate tickers summed: {', '.join(sorted(set(table.loc[duplicated, 'ticker'])))}.")
    columns = {"amount": ("amount", "sum"), "name": ("name", "first"), "currency": ("currency", "first"),
               "account": ("account", lambda s: ", ".join(dict.fromkeys(a for a in s if a)))}
    if has_basis:
        # known only when every row of the ticker gives it: a partial sum would understate the gain
        columns["cost_basis"] = ("cost_basis", lambda s: s.sum() if s.notna().all() else np.nan)
    positions = table.groupby("ticker", sort=False).agg(**columns).reset_index()
    return _checked_total(positions, kind, source)


def _checked_total(positions: pd.DataFrame, kind: str, source: str) -> pd.DataFrame:
    """``positions`` once their amounts add up to a finite, non-zero total (else a located PortfolioError)."""
    with np.errstate(over="ignore", invalid="ignore"):
        summed = positions["amount"].to_numpy(float)
        finite = bool(np.isfinite(summed).all() and np.isfinite(np.abs(summed).sum()))
    if not finite:
        raise PortfolioError(located(f"the {kind} amounts are too large to add up", file=source, column=kind,
                                     fix="check the numbers (a stray exponent such as 1e308?)."))
    if kind != "shares" and not positions["amount"].abs().sum() > 0:
        raise PortfolioError(located(f"every {kind} is zero", file=source, column=kind,
                                     fix="give at least one position a positive amount."))
    return positions


def _renamed(frame: pd.DataFrame, source: str, header_line: int) -> tuple[pd.DataFrame, list[str], list[str]]:
    """The frame with canonical column names; duplicates of essential columns are refused."""
    originals = [str(c).strip() for c in frame.columns]
    renamed = [HEADER_ALIASES.get(header_key(c), c) for c in originals]
    named = {k: code for k, c in enumerate(originals) if (code := _header_currency(c)) and renamed[k] == c}
    for k in named:
        renamed[k] = "market_value"
    clashes = []
    for target in dict.fromkeys(c for c in renamed if renamed.count(c) > 1 and c in _ESSENTIAL):
        spelled = [o for o, r in zip(originals, renamed, strict=True) if r == target]
        clashes.append(f"{' and '.join(repr(s) for s in spelled)} (both read as '{target}')"
                       if len(set(spelled)) > 1 else f"'{target}' ({len(spelled)} times)")
    if clashes:
        raise PortfolioError(located(f"duplicate column(s): {'; '.join(clashes)}", file=source,
                                     row=header_line, fix="keep one column of each name."))
    keep = [k for k, name in enumerate(renamed) if name not in renamed[:k]]
    frame = frame.iloc[:, keep].set_axis([renamed[k] for k in keep], axis=1)
    if named and "currency" not in frame.columns:
        frame = frame.assign(currency=next(iter(named.values())))  # the header's currency, for every row
    if "ticker" not in frame.columns:
        raise PortfolioError(located("no 'ticker' column", file=source, row=header_line,
                                     fix="add a header row with 'ticker' and one of weight, market_value, shares."))
    return frame, originals, renamed


def _header_currency(cell: str) -> str | None:
    """The currency a market value header names (``Market Value £`` -> ``GBP``), or None."""
    match = _MONEY_HEADER.match(header_key(cell))
    if match is None:
        return None
    code = iso_code(match[3] or match[4])
    return code if code == "USD" or code in bundled_rates() or code in SUB_UNITS else None


def _amount_column(frame: pd.DataFrame, originals: list[str], renamed: list[str], source: str, header_line: int,
                   notes: list[str]) -> tuple[str, pd.DataFrame]:
    """Which amount to use: market value, else shares x price, else the one amount column there is."""
    present = [c for c in AMOUNT_COLUMNS if c in frame.columns]
    spelled = {r: o for o, r in zip(originals, renamed, strict=True) if r in (*AMOUNT_COLUMNS, "price")}
    if "market_value" in present and len(present) > 1:
        others = ", ".join(f"'{spelled[c]}'" for c in present if c != "market_value")
        notes.append(f"amounts from '{spelled['market_value']}' (market value); {others} not used.")
        return "market_value", frame
    if "shares" in present and "price" in frame.columns:
        priced = _shares_times_price(frame)
        if priced is not None:
            others = "".join(f"; '{spelled[c]}' not used" for c in present if c != "shares")
            notes.append(f"market values are '{spelled['shares']}' x '{spelled['price']}'{others}.")
            return "market_value", frame.assign(market_value=priced)
    if len(present) != 1:
        listed = [f"'{spelled[c]}' ({c})" for c in AMOUNT_COLUMNS if c in present]
        message = ("no amount column (weight, market_value or shares)" if not present else
                   f"{len(present)} amount columns: {', '.join(listed)}")
        raise PortfolioError(located(message, file=source, row=header_line,
                                     fix="keep exactly one of weight, market_value, shares"
                                         + (" and delete the other columns." if present else ".")))
    return present[0], frame


def _shares_times_price(frame: pd.DataFrame) -> list[object] | None:
    """Per-row shares x price, or None when a row with shares has no readable price."""
    values: list[object] = []
    for shares, price in zip(frame["shares"], frame["price"], strict=True):
        count, unit = number_or_none(shares), number_or_none(price)
        if count is None:
            values.append(shares)  # left for the usual checks (blank, total or text rows)
        elif unit is None:
            return None
        else:
            values.append(count * unit)
    return values


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
                                     fix="add a currency column naming each row's currency, or convert every "
                                         "amount to one currency."))


def _drop_summary_rows(entries: list[_Entry], kind: str, source: str, notes: list[str]) -> list[_Entry]:
    """Drop blank rows, total rows and trailing disclaimer text; refuse other rows without a ticker."""
    kept: list[_Entry] = []
    skipped: list[str] = []
    holding_lines = [e.line for e in entries if e.ticker and not _TOTAL.match(e.ticker) and not is_blank(e.amount)]
    last_holding = max(holding_lines, default=0)
    for position, entry in enumerate(entries):
        others = [text(v) for k, v in entry.raw.items() if k not in ("ticker", kind)]
        if not entry.ticker and is_blank(entry.amount) and not any(others):
            continue  # a blank row
        if entry.ticker and _TOTAL.match(entry.ticker):
            skipped.append(f"row {entry.line} ('{entry.ticker.title()}')")
            continue
        if not entry.ticker:
            if any(_TOTAL.match(o.upper()) for o in others):
                skipped.append(f"row {entry.line} (a total)")
                continue
            if is_blank(entry.amount) and entry.line > last_holding:
                skipped.append(f"row {entry.line} (text after the holdings)")
                continue
            later = [e for e in entries[position + 1:] if e.ticker or not is_blank(e.amount)]
            if not later and _is_sum_of(entry.amount, [e.amount for e in kept]):
                skipped.append(f"row {entry.line} (no ticker; its amount is the sum of the rows above)")
                continue
            raise PortfolioError(located("empty ticker", file=source, row=entry.line, column="ticker",
                                         fix="fill in the ticker or delete the row (total rows may say 'Total')."))
        if is_blank(entry.amount) and entry.line > last_holding and not _looks_like_ticker(entry.ticker):
            skipped.append(f"row {entry.line} (text after the holdings)")
            continue
        kept.append(entry)
    if skipped:
        notes.append(f"skipped as summary or text, not holdings: {', '.join(skipped)}.")
    return kept


def _is_sum_of(total: object, amounts: list[object]) -> bool:
    try:
        value = parse_amount(total, None)[0]
        parts = [parse_amount(a, None)[0] for a in amounts]
    except NotANumber:
        return False
    return len(parts) > 1 and value != 0 and math.isclose(value, sum(parts), rel_tol=5e-3)


def _looks_like_ticker(value: str) -> bool:
    return len(value) <= 24 and not any(ch.isspace() for ch in value)


def ticker_text(value: object, source: str, line: int) -> str:
    """Trimmed, upper-case ticker; cash and money-market labels become CASH, broker markers (``**``) go."""
    cleaned = _INVISIBLE.sub("", clean_cell(value)).upper()
    if _CONTROL.search(cleaned):
        raise PortfolioError(located(f"ticker {cleaned!r} contains control characters", file=source, row=line,
                                     column="ticker", fix="retype the ticker; the file may be damaged."))
    cleaned = " ".join(cleaned.split())
    starred = cleaned.endswith("*")
    cleaned = cleaned.rstrip("*").strip()
    if cleaned not in CASH_TICKERS and re.match(r"^CASH\b", cleaned) and not _looks_like_ticker(cleaned):
        return "CASH"  # broker labels: "Cash & Cash Investments", "Cash and sweep"
    if cleaned in MONEY_MARKET and cleaned not in CASH_TICKERS or (starred and cleaned):
        return "CASH"  # money market and core positions (SPAXX**, VMFXX)
    if match := _SHARE_CLASS.match(cleaned):
        if cleaned[len(match[1])] in "/ ":
            return f"{match[1]}-{match[2]}"  # BRK/B, BRK B -> Yahoo's BRK-B
    return cleaned


def holding_key(ticker: str) -> str:
    """Share-class spellings (``BRK.B``/``BRK-B``) share one key so they are summed as one holding."""
    match = _SHARE_CLASS.match(ticker)
    return f"{match[1]}-{match[2]}" if match else ticker


def header_key(cell: str) -> str:
    """A header cell, lower-case, single-spaced, ``_`` read as a space."""
    return " ".join(clean_cell(cell).lower().replace("_", " ").split())
