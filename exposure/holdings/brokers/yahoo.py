"""Yahoo Finance portfolio export (``quotes.csv``): one row per lot, with Yahoo's quote of the symbol.

Header: ``Symbol,Current Price,Date,Time,Change,Open,High,Low,Volume,Trade Date,Purchase Price,Quantity,
Commission,High Limit,Low Limit,Comment`` and, since 2025, ``Transaction Type``. A lot's value is
``Current Price`` x ``Quantity`` (``SELL`` lots count negative), in the currency of the listing, which
the file does not name: it follows from Yahoo's suffix (``VAN.F`` Frankfurt, EUR; ``.L`` London,
pence; none, USD) and a suffix of unknown currency is refused. Rows without a quantity are watchlist
entries; ``$$CASH_TX`` rows are cash deposits and withdrawals, not a balance, so they are not counted.
"""

from __future__ import annotations

from exposure.errors import PortfolioError, located
from exposure.holdings.brokers._common import Header, key, nonblank, text_row
from exposure.holdings.rows import Row
from exposure.holdings.statement import Statement

NAME = "yahoo"
#: The currency of each Yahoo exchange suffix (London and Johannesburg quote in sub-units).
SUFFIX_CURRENCY = {
    "": "USD", "TO": "CAD", "V": "CAD", "NE": "CAD", "CN": "CAD", "L": "GBX", "IL": "USD", "DE": "EUR",
    "F": "EUR", "BE": "EUR", "DU": "EUR", "HM": "EUR", "MU": "EUR", "SG": "EUR", "PA": "EUR", "AS": "EUR",
    "BR": "EUR", "LS": "EUR", "MI": "EUR", "MC": "EUR", "HE": "EUR", "VI": "EUR", "IR": "EUR", "SW": "CHF",
    "T": "JPY", "KS": "KRW", "KQ": "KRW", "TW": "TWD", "TWO": "TWD", "HK": "HKD", "NS": "INR", "BO": "INR",
    "JO": "ZAC"}
_CRYPTO_QUOTES = ("USD", "EUR", "GBP", "CAD", "JPY")
_CASH = "$$CASH_TX"


def _is_header(cells: list[str]) -> bool:
    return {"symbol", "current price", "trade date", "purchase price", "quantity"} <= {key(c) for c in cells}


def detect(lines: list[str]) -> bool:
    """The Yahoo portfolio header on the first non-blank line."""
    found = nonblank(lines[:3])
    return bool(found) and _is_header(found[0][1])


def read(lines: list[str], source: str) -> Statement:
    """Classify every line of a Yahoo Finance portfolio export."""
    found = nonblank(lines)
    header = Header(found[0][1])
    rows = [text_row(found[0][0], "header")]
    dates: set[str] = set()
    cash = 0
    for line, cells in found[1:]:
        symbol = header.cell(cells, "Symbol").upper()
        action = key(header.cell(cells, "Transaction Type"))
        shares, price = header.number(cells, "Quantity"), header.number(cells, "Current Price")
        if symbol == _CASH:
            cash += 1
            rows.append(text_row(line, f"cash transaction ({action or 'no type'}): not a balance, not counted"))
            continue
        if not symbol or shares is None:
            rows.append(text_row(line, "watchlist entry (no quantity)" if symbol else "footer"))
            continue
        if action not in ("", "buy", "sell"):
            rows.append(text_row(line, f"{action} transaction: not a lot"))
            continue
        signed = -shares if action == "sell" else shares
        dates.add(header.cell(cells, "Date"))
        rows.append(Row(line=line, kind="security", ticker=symbol, currency=_currency(symbol, source, line),
                        value=signed * price if price is not None else None, shares=signed, price=price,
                        reason="Current Price x Quantity"))
    notes = [f"values are Yahoo's Current Price x Quantity of each lot (quotes of {', '.join(sorted(dates))}), "
             "in the currency of each listing's exchange suffix."] if dates else []
    if cash:
        notes.append(f"{cash} $$CASH_TX row(s) not counted: they are cash deposits and withdrawals, and the "
                     "export gives no cash balance.")
    return Statement(NAME, "Yahoo Finance portfolio export", source, rows, notes)


def _currency(symbol: str, source: str, line: int) -> str:
    """The currency a Yahoo symbol is quoted in (``BTC-USD`` its quote currency), or a located error."""
    base, _, quote = symbol.rpartition("-")
    if base and quote in _CRYPTO_QUOTES:
        return quote
    suffix = symbol.rpartition(".")[2] if "." in symbol else ""
    if suffix in ("A", "B", "C") and "." in symbol:
        suffix = ""  # share classes (BRK.B) are US listings
    if suffix not in SUFFIX_CURRENCY:
        raise PortfolioError(located(f"the currency of {symbol} (exchange suffix .{suffix}) is not known, and "
                                     "Yahoo's export does not name it", file=source, row=line, column="Symbol",
                                     fix="convert this lot to a known currency in a plain ticker,market_value "
                                         "file, or remove it."))
    return SUFFIX_CURRENCY[suffix]
