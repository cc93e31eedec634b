"""Fidelity "Portfolio_Positions" downloads, old and new layouts.

Layouts: ``Account Number,Account Name,Symbol,...`` (2021-2024), ``Account number,Account name,...``
(2025+, lower case), and ``Account Name/Number,Symbol,...`` where an account line (``Individual - TOD
...X123``) precedes its positions. Values come from ``Current Value``. Core positions (``SPAXX**``) are
cash; ``Pending Activity`` is pending; option symbols (`` -NFLX260821C100``) are derivatives; the quoted
disclaimers and ``Date downloaded`` lines at the end are text.
"""

from __future__ import annotations

from exposure.holdings.brokers._common import Header, key, nonblank, text_row
from exposure.holdings.rows import Row, is_cash, is_pending, is_total, option_underlying
from exposure.holdings.statement import Statement

NAME = "fidelity"
_VALUE = ("Current Value", "Current value")


def detect(lines: list[str]) -> bool:
    """A Fidelity positions header: an account column, Symbol and Current Value."""
    for _, cells in nonblank(lines[:5]):
        keys = {key(c) for c in cells}
        if "symbol" in keys and "current value" in keys and (
                {"account number", "account name/number", "account name"} & keys):
            return True
    return False


def read(lines: list[str], source: str) -> Statement:
    """Classify every line of a Fidelity positions download."""
    rows: list[Row] = []
    header: Header | None = None
    account = ""
    for line, cells in nonblank(lines):
        if header is None:
            if detect([",".join(cells)]):
                header = Header(cells)
                rows.append(text_row(line, "header"))
            else:
                rows.append(text_row(line, "preamble"))
            continue
        symbol = header.cell(cells, "Symbol")
        named = header.cell(cells, "Account Name", "Account name")
        number = header.cell(cells, "Account Number", "Account number", "Account Name/Number")
        value = header.number(cells, *_VALUE)
        if len(cells) == 1 or (not symbol and value is None):
            if number and not symbol and len([c for c in cells if c]) == 1:
                account = number  # an account line of the "Account Name/Number" layout
                rows.append(text_row(line, "account name"))
            else:
                rows.append(text_row(line, "disclaimer or footer"))
            continue
        row = Row(line=line, kind="security", ticker=symbol.rstrip("*").strip().upper(),
                  name=header.cell(cells, "Description"), account=" ".join(p for p in (named, number) if p) or account,
                  currency="USD", value=value, shares=header.number(cells, "Quantity"),
                  price=header.number(cells, "Last Price", "Last price"),
                  cost=header.number(cells, "Cost Basis Total", "Cost basis total"))
        if is_pending(symbol):
            row.kind, row.ticker = "pending", ""
        elif is_total(symbol) or is_total(row.name):
            row.kind = "total"
        elif is_cash(symbol, row.name) or symbol.endswith("**"):
            row.kind = "cash"
        elif (underlying := option_underlying(symbol)) is not None:
            row.kind, row.underlying, row.ticker = "derivative", underlying, " ".join(symbol.split()).lstrip("-")
        rows.append(row)
    return Statement(NAME, "Fidelity positions", source, rows)
