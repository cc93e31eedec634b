"""Vanguard ``OfxDownload.csv``: a holdings table, then (after blank lines) a transactions table.

Holdings header: ``Account Number,Investment Name,Symbol,Shares,Share Price,Total Value`` (brokerage)
or ``Fund Account Number,Fund Name,Price,Shares,Total Value`` (529 plans, no symbol). Money-market and
settlement funds (``VMFXX``) are cash. The transactions table and anything after it are text.
"""

from __future__ import annotations

from exposure.holdings.brokers._common import Header, key, nonblank, text_row
from exposure.holdings.rows import Row, is_cash, is_total
from exposure.holdings.statement import Statement

NAME = "vanguard"


def _is_header(cells: list[str]) -> bool:
    keys = {key(c) for c in cells}
    return "total value" in keys and "shares" in keys and bool({"account number", "fund account number"} & keys)


def detect(lines: list[str]) -> bool:
    """The OfxDownload holdings header on the first non-blank line."""
    found = nonblank(lines[:3])
    return bool(found) and _is_header(found[0][1])


def read(lines: list[str], source: str) -> Statement:
    """Classify every line of a Vanguard OfxDownload file."""
    rows: list[Row] = []
    header: Header | None = None
    trailing = False
    for line, cells in nonblank(lines):
        if trailing:
            rows.append(text_row(line, "trailing table (transactions)"))
            continue
        if header is None and _is_header(cells):
            header = Header(cells)
            rows.append(text_row(line, "header"))
            continue
        if header is None or "trade date" in {key(c) for c in cells}:
            trailing = header is not None
            rows.append(text_row(line, "trailing table (transactions)" if trailing else "preamble"))
            continue
        symbol = header.cell(cells, "Symbol")
        name = header.cell(cells, "Investment Name", "Fund Name")
        row = Row(line=line, kind="security", ticker=symbol.upper() if symbol.lower() not in ("", "null") else "",
                  name=name, account=header.cell(cells, "Account Number", "Fund Account Number"), currency="USD",
                  value=header.number(cells, "Total Value"), shares=header.number(cells, "Shares"),
                  price=header.number(cells, "Share Price", "Price"))
        if is_total(symbol or name):
            row.kind = "total"
        elif is_cash(symbol, name) or "money market" in name.lower() or "settlement fund" in name.lower():
            row.kind = "cash"
        rows.append(row)
    return Statement(NAME, "Vanguard OfxDownload", source, rows)
