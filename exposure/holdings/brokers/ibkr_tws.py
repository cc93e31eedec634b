"""Interactive Brokers Trader Workstation portfolio export (Account window, File > Export Portfolio).

``Portfolio``, then ``[Account,]Financial Instrument Description,[Exchange,]Position,Currency,Market Price,
Market Value,Average Price,Unrealized P&L,Realized P&L,Liquidate Last,Security Type,Delta Dollars``, one row
per contract, then ``Cash Balances`` (``USD,175359,USD`` per currency and ``Total (in USD)``). Values are
``Market Value`` in the row's ``Currency``. Stocks are named by symbol (``SPY``); options
(``SPX    APR2022 4300 P [SPXW  220429P04300000 100]``) and futures (``MES      MAR2022``) are derivatives of
their first word; rows with a zero position (closed today) are text.
"""

from __future__ import annotations

import re

from exposure.holdings.brokers._common import Header, key, nonblank, text_row
from exposure.holdings.fx import iso_code
from exposure.holdings.numbers import number_or_none
from exposure.holdings.rows import Row, is_total
from exposure.holdings.statement import Statement

NAME = "ibkr_tws"
LABEL = "Interactive Brokers TWS portfolio export"
#: TWS security types that are derivatives (their market value is a premium or a margin, not an exposure).
_DERIVATIVES = frozenset({"OPT", "FOP", "FUT", "WAR", "IOPT", "CFD"})
#: An option's contract in brackets: ``[SPXW  220429P04300000 100]`` (symbol, then the multiplier).
_CONTRACT = re.compile(r"\[([A-Z0-9. ]+?)\s+\d+\]$")


def _is_header(cells: list[str]) -> bool:
    keys = {key(c) for c in cells}
    return {"financial instrument description", "position", "market value", "security type"} <= keys


def detect(lines: list[str]) -> bool:
    """The ``Portfolio`` title followed by the TWS column header."""
    found = nonblank(lines[:4])
    return len(found) > 1 and key(found[0][1][0].lstrip("\ufeff")) == "portfolio" and _is_header(found[1][1])


def read(lines: list[str], source: str) -> Statement:
    """Classify every line of a TWS portfolio export."""
    rows: list[Row] = []
    header: Header | None = None
    in_cash = False
    for line, cells in nonblank(lines):
        first = " ".join(cells[0].split())
        if header is None or _is_header(cells):
            header = Header(cells) if _is_header(cells) else None
            rows.append(text_row(line, "header" if header else "title"))
        elif key(first) == "cash balances":
            in_cash = True
            rows.append(text_row(line, "title"))
        elif in_cash:
            rows.append(_cash(line, cells, rows))
        else:
            rows.append(_position(line, header, cells))
    return Statement(NAME, LABEL, source, rows)


def _position(line: int, header: Header, cells: list[str]) -> Row:
    """A contract row: a security, a derivative of its first word, or text for a zero position."""
    description = " ".join(header.cell(cells, "Financial Instrument Description").split())
    shares = header.number(cells, "Position")
    row = Row(line=line, kind="security", ticker=description.upper(), name=description,
              account=header.cell(cells, "Account"), currency=header.cell(cells, "Currency").upper(),
              value=header.number(cells, "Market Value"), shares=shares, price=header.number(cells, "Market Price"))
    if shares == 0:
        row.kind, row.reason = "text", "zero position (closed)"
    elif header.cell(cells, "Security Type").upper() in _DERIVATIVES:
        row.kind, row.underlying = "derivative", description.split()[0].upper()
        if match := _CONTRACT.search(description):  # the OCC symbol in brackets: ``SPXW 220429P04300000``
            row.ticker = " ".join(match[1].split())
    return row


def _cash(line: int, cells: list[str], rows: list[Row]) -> Row:
    """A ``Cash Balances`` line: a currency and its balance, or their total in the base currency."""
    label = " ".join(cells[0].split())
    value = next((v for c in cells[1:] if (v := number_or_none(c)) is not None), None)
    if is_total(label):
        currency = label.rsplit(" ", 1)[-1].strip("()").upper()
        return Row(line=line, kind="total", name=label, currency=currency, value=value,
                   covers=[r.line for r in rows if r.kind == "cash"])
    return Row(line=line, kind="cash", name=f"{label} cash", currency=iso_code(label), value=value)
