"""Zerodha Kite holdings download (``holdings.csv``): one row per instrument, amounts in Indian rupees.

Header: ``"Instrument","Qty.","Avg. cost","LTP","Invested","Cur. val","P&L","Net chg.","Day chg.",""``
(older downloads have no ``Invested``; some only ``Instrument,Qty.,Avg. cost,LTP``). ``Cur. val`` is the
market value, else ``Qty.`` x ``LTP``; the cost basis is ``Invested``, else ``Qty.`` x ``Avg. cost``.
The file names no exchange: instruments are taken as NSE listings (Yahoo's ``.NS`` suffix, ``SBIN`` ->
``SBIN.NS``) so they are never mistaken for a US ticker, and a note says so. Amounts are INR.
"""

from __future__ import annotations

from exposure.holdings.brokers._common import Header, key, nonblank, text_row
from exposure.holdings.rows import Row, is_total
from exposure.holdings.statement import Statement

NAME = "zerodha"
#: Kite's series suffixes on an instrument (``RELIANCE-EQ``): not part of the NSE symbol.
_SERIES = ("-EQ", "-BE", "-BZ")


def _is_header(cells: list[str]) -> bool:
    return {"instrument", "qty.", "avg. cost", "ltp"} <= {key(c) for c in cells}


def detect(lines: list[str]) -> bool:
    """The Kite holdings header on one of the first five non-blank lines."""
    return any(_is_header(cells) for _, cells in nonblank(lines[:10])[:5])


def read(lines: list[str], source: str) -> Statement:
    """Classify every line of a Kite holdings download."""
    rows: list[Row] = []
    header: Header | None = None
    for line, cells in nonblank(lines):
        if header is None:
            header = Header(cells) if _is_header(cells) else None
            rows.append(text_row(line, "header" if header else "title"))
            continue
        instrument = header.cell(cells, "Instrument").upper()
        shares, price = header.number(cells, "Qty."), header.number(cells, "LTP")
        value = header.number(cells, "Cur. val")
        if value is None and shares is not None and price is not None:
            value = shares * price
        cost = header.number(cells, "Invested")
        if cost is None and shares is not None and (average := header.number(cells, "Avg. cost")) is not None:
            cost = shares * average
        row = Row(line=line, kind="security", ticker=_ticker(instrument), name=instrument, currency="INR",
                  value=value, cost=cost, shares=shares, price=price)
        if not instrument:
            row = text_row(line, "footer") if value is None else Row(line=line, kind="total", name="Total",
                                                                     currency="INR", value=value)
        elif is_total(instrument):
            row.kind, row.ticker = "total", ""
        if row.kind == "total":
            row.covers = [r.line for r in rows if r.kind == "security"]
        rows.append(row)
    notes = ["Kite holdings name no exchange: each instrument is taken as its NSE listing (Yahoo's .NS)."]
    return Statement(NAME, "Zerodha Kite holdings", source, rows, notes)


def _ticker(instrument: str) -> str:
    """``SBIN`` -> ``SBIN.NS``; a series suffix (``-EQ``) dropped; a ticker with a suffix kept."""
    for series in _SERIES:
        instrument = instrument.removesuffix(series)
    return instrument if "." in instrument or not instrument else instrument + ".NS"
