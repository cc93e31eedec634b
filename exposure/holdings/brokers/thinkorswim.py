"""thinkorswim Position Statement (``yyyy-mm-dd-PositionStatement.csv``, TD Ameritrade and Schwab).

The title ``Position Statement for ACCOUNT (type) on DATE``, section titles (``None``, ``Equities and
Equity Options``), then ``Instrument,Qty,Days,Trade Price,Mark,Mrk Chng,...`` with ``Net Liq`` in newer
layouts and ``P/L Open, P/L Day, BP Effect`` in older ones. Positions are grouped by underlying: a group
row names the symbol (``SPY``, ``/MES``) and its sub-rows follow, a stock by its description
(``SPDR S&P500 ETF TRUST TR UNIT ETF,+100,...``), an option as ``100 (Weeklys) 31 MAY 22 4650 PUT``
(multiplier, expiry, strike, right), a future by its contract name. A group row with a quantity and no
sub-rows is the stock itself (``DRAM,+200,...``); otherwise it is a total of its sub-rows. Values are
``Net Liq``, else quantity x mark (x the option's multiplier); a future without ``Net Liq`` is valued at
its ``P/L Open`` (futures are marked to market). ``Cash & Sweep Vehicle`` is cash; ``EQUITY``,
``OVERALL P/L YTD`` and the buying-power lines are account summary text. Amounts are US dollars.
"""

from __future__ import annotations

import re

from exposure.holdings.brokers._common import Header, key, nonblank, text_row
from exposure.holdings.numbers import number_or_none
from exposure.holdings.rows import Row, is_cash
from exposure.holdings.statement import Statement

NAME = "thinkorswim"
LABEL = "thinkorswim Position Statement"
_TITLE = re.compile(r"^Position Statement for (.+?) on (.+)$")
#: A group row's instrument: a symbol (``SPX``, ``BRK/B``) or a future root (``/MES``), never a description.
_SYMBOL = re.compile(r"^/?[A-Z][A-Z0-9./]{0,9}$")
#: An option sub-row: ``100 21 JAN 22 4795 PUT``, ``100 (Weeklys) 31 MAY 22 4650 PUT``.
_OPTION = re.compile(r"^(\d+)\s+(\([^)]*\)\s+)?\d{1,2}\s+[A-Z]{3}\s+\d{2}\s+[\d.]+\s+(CALL|PUT)$", re.I)


def _is_header(cells: list[str]) -> bool:
    return len(cells) > 3 and [key(c) for c in cells[:3]] == ["instrument", "qty", "days"]


def detect(lines: list[str]) -> bool:
    """A ``Position Statement for`` title and the ``Instrument,Qty,Days`` header in the first lines."""
    found = nonblank(lines[:20])
    return (any(_TITLE.match(cells[0].lstrip("\ufeff").strip()) for _, cells in found)
            and any(_is_header(cells) for _, cells in found))


def read(lines: list[str], source: str) -> Statement:
    """Classify every line of a thinkorswim Position Statement."""
    rows: list[Row] = []
    notes: list[str] = []
    header: Header | None = None
    group: Row | None = None
    for line, cells in nonblank(lines):
        first = cells[0].lstrip("\ufeff").strip()
        if title := _TITLE.match(first):
            notes.append(f"thinkorswim Position Statement of {title[2]}.")
            rows.append(text_row(line, "title"))
        elif "paperMoney" in first:
            notes.append("exported from paperMoney, thinkorswim's simulated trading: these are not real holdings.")
            rows.append(text_row(line, "disclaimer or footer"))
        elif _is_header(cells):
            header, group = Header(cells), None
            rows.append(text_row(line, "header"))
        elif key(first) == "symbol":
            header, group = None, None  # another table (Profits and Losses...): text up to the next header
            rows.append(text_row(line, "header of another table"))
        elif header is None or all(number_or_none(c) is None for c in cells[1:]):
            rows.append(text_row(line, "title or section title"))
        elif "$" in cells[1]:  # a dollar amount where positions have their quantity: the account summary
            group = None
            rows.append(Row(line=line, kind="cash", name=first, currency="USD", value=number_or_none(cells[1]))
                        if is_cash(first) else text_row(line, "account summary"))
        elif _SYMBOL.match(first) and not _OPTION.match(first):
            group = _position(line, first, first, header, cells)
            group.kind, group.reason = "total", f"group of {first}"
            rows.append(group)
        elif group is not None:
            row = _position(line, group.ticker, first, header, cells)
            if row.kind != "text":
                group.covers.append(line)
            rows.append(row)
        else:
            rows.append(text_row(line, "line outside a position group"))
    _groups_without_rows(rows)
    return Statement(NAME, LABEL, source, rows, notes)


def _position(line: int, symbol: str, instrument: str, header: Header, cells: list[str]) -> Row:
    """A group row or sub-row of ``symbol``: a stock, an option or a future, valued as the module says."""
    shares, mark = header.number(cells, "Qty"), header.number(cells, "Mark")
    value = header.number(cells, "Net Liq")
    option = _OPTION.match(instrument)
    future = symbol.startswith("/")
    if value is None and header.index("Net Liq") is None and shares is not None:
        if future:
            value = header.number(cells, "P/L Open")
        elif mark is not None:
            value = shares * mark * (float(option[1]) if option else 1.0)
    row = Row(line=line, kind="security", ticker=symbol, name=instrument, currency="USD", value=value,
              shares=shares, price=mark)
    if shares == 0:
        row.kind, row.reason = "text", "zero quantity"
    elif option or future:
        row.kind, row.underlying = "derivative", symbol
        row.ticker = f"{symbol} {instrument.split(None, 1)[1]}" if option else symbol  # multiplier dropped
    return row


def _groups_without_rows(rows: list[Row]) -> None:
    """A group row with a quantity and no sub-rows is the position itself (``DRAM,+200,...``)."""
    for row in rows:
        if row.kind == "total" and not row.covers:
            if row.shares:
                row.kind, row.reason = ("derivative" if row.ticker.startswith("/") else "security"), ""
                row.underlying = row.ticker if row.kind == "derivative" else ""
            else:
                row.kind, row.reason = "text", "empty position group"
