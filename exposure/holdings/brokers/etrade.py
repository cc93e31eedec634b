"""E*TRADE ``PortfolioDownload.csv``: an account summary, a "View Summary" block, then the positions.

Lot rows (an indented acquisition date, or ``--``) follow their position and are never counted twice;
custom views change the columns (``Qty #``, ``Value $``). ``CASH`` is cash, ``TOTAL`` the total of the
positions above it, ``Generated at`` a footer. Options read like ``TWTR Feb 15 '19 $41 Call``.
"""

from __future__ import annotations

import re

from exposure.holdings.brokers._common import Header, key, nonblank, text_row
from exposure.holdings.rows import Row, is_cash, is_pending, is_total, option_underlying
from exposure.holdings.statement import Statement

NAME = "etrade"
_LOT = re.compile(r"^\s*(\d{1,2}/\d{1,2}/\d{2,4}|--)\s*$")  # a lot's acquisition date: never a symbol
_VALUE = ("Value $", "Market Value $", "Value")
_QUANTITY = ("Quantity", "Qty #", "Quantity #")
_PRICE = ("Last Price $", "Last Price")


def _is_header(cells: list[str]) -> bool:
    keys = {key(c) for c in cells}
    amounts = {key(c) for c in (*_VALUE, *_QUANTITY)}
    return key(cells[0]) == "symbol" and bool(amounts & keys) and "security type(s)" not in keys


def _value(header: Header, cells: list[str]) -> float | None:
    """``Value $``, or quantity x last price in views without a value column."""
    value = header.number(cells, *_VALUE)
    if value is None and header.index(*_VALUE) is None:
        shares, price = header.number(cells, *_QUANTITY), header.number(cells, *_PRICE)
        value = shares * price if shares is not None and price is not None else None
    return value


def detect(lines: list[str]) -> bool:
    """The ``Account Summary`` title of a PortfolioDownload file."""
    found = nonblank(lines[:3])
    return bool(found) and key(found[0][1][0]) == "account summary"


def read(lines: list[str], source: str) -> Statement:
    """Classify every line of an E*TRADE PortfolioDownload file."""
    rows: list[Row] = []
    header: Header | None = None
    after_summary = False
    account = ""
    parent: Row | None = None
    for line, cells in nonblank(lines):
        if header is None:
            follows_summary, after_summary = after_summary, key(cells[0]) == "account" and len(cells) > 1
            if after_summary:
                rows.append(text_row(line, "account summary header"))
            elif follows_summary and len(cells) > 1:
                account = cells[0]
                rows.append(text_row(line, "account summary"))
            elif _is_header(cells):
                header = Header(cells)
                rows.append(text_row(line, "header"))
            else:
                rows.append(text_row(line, "title or view filter"))
            continue
        if _LOT.match(cells[0]) and parent is not None:
            rows.append(Row(line=line, kind="lot", ticker=parent.ticker, account=account, currency="USD",
                            value=_value(header, cells), shares=header.number(cells, *_QUANTITY),
                            reason=f"lot of row {parent.line}"))
            continue
        symbol = " ".join(cells[0].split())
        if len([c for c in cells if c]) == 1 or key(symbol).startswith("generated at"):
            rows.append(text_row(line, "footer"))
            continue
        row = Row(line=line, kind="security", ticker=symbol.upper(), account=account, currency="USD",
                  value=_value(header, cells), shares=header.number(cells, *_QUANTITY),
                  price=header.number(cells, *_PRICE))
        if is_total(symbol):
            row.kind, row.covers = "total", [r.line for r in rows if r.kind in ("security", "cash", "derivative")]
        elif is_pending(symbol):
            row.kind, row.ticker = "pending", ""
        elif is_cash(symbol):
            row.kind = "cash"
        elif (underlying := option_underlying(symbol)) is not None:
            row.kind, row.underlying = "derivative", underlying
        parent = row if row.kind in ("security", "derivative") else None
        rows.append(row)
    return Statement(NAME, "E*TRADE PortfolioDownload", source, rows)
