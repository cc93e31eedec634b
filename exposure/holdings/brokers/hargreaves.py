"""Hargreaves Lansdown account summary download: a preamble with the account's totals, then the stocks.

Preamble: the account (``HL Stocks & Shares ISA``), client name and number, ``Stock value:``, ``Total
cash:``, ``Amount available to invest:`` and ``Total value:``. Header: ``Code,Stock,Units held,Price
(pence),Value (£),Cost (£),Gain/loss (£),...`` (older downloads have no ``Code``, and some lost the ``£``:
``Value ()``). Values are in pounds. ``Total cash`` is the account's cash; ``Stock value`` and ``Total
value`` are totals checked against the rows, as is the closing ``Totals`` row. A ``Code`` is an LSE
EPIC (``OCDO``, Yahoo's ``OCDO.L``) or, for funds, a SEDOL (``B59G4Q7``), kept as it is.
"""

from __future__ import annotations

import re

from exposure.holdings.brokers._common import Header, key, nonblank, text_row
from exposure.holdings.numbers import number_or_none
from exposure.holdings.rows import Row, is_total
from exposure.holdings.statement import Statement

NAME = "hargreaves"
_SEDOL = re.compile(r"^[0-9B-DF-HJ-NP-TV-Z]{6}\d$")
_EPIC = re.compile(r"^[A-Z0-9]{2,4}[A-Z.]?$")


def _is_header(cells: list[str]) -> bool:
    keys = {key(c) for c in cells}
    return {"stock", "units held", "price (pence)"} <= keys


def detect(lines: list[str]) -> bool:
    """The stocks header within the first 20 non-blank lines, after a preamble naming an HL account."""
    found = nonblank(lines[:30])[:20]
    return any(_is_header(cells) for _, cells in found)


def read(lines: list[str], source: str) -> Statement:
    """Classify every line of a Hargreaves Lansdown account summary."""
    rows: list[Row] = []
    header: Header | None = None
    account = ""
    for line, cells in nonblank(lines):
        if header is None:
            rows.append(_preamble(line, cells, account))
            account = account or cells[0].strip()
            if _is_header(cells):
                header = Header(cells)
            continue
        stock, code = header.cell(cells, "Stock"), header.cell(cells, "Code").upper()
        value = number_or_none(_money(header, cells, "value"))
        row = Row(line=line, kind="security", ticker=_ticker(code), name=stock, account=account, currency="GBP",
                  value=value, cost=number_or_none(_money(header, cells, "cost")),
                  shares=header.number(cells, "Units held"))
        if is_total(stock) or is_total(code):
            row.kind, row.ticker = "total", ""
            row.covers = [r.line for r in rows if r.kind == "security"]
        elif not stock and not code:
            row = text_row(line, "footer")
        rows.append(row)
    for total in rows:  # the preamble's totals: every stock, and for the total value the cash too
        if total.reason in ("stock value", "total value"):
            kinds = ("security", "cash") if total.reason == "total value" else ("security",)
            total.covers = [r.line for r in rows if r.kind in kinds]
    return Statement(NAME, "Hargreaves Lansdown account summary", source, rows)


def _preamble(line: int, cells: list[str], account: str) -> Row:
    """A preamble line: the cash, a total of the account, or text."""
    label, amount = key(cells[0]).rstrip(":"), number_or_none(cells[1]) if len(cells) > 1 else None
    if _is_header(cells):
        return text_row(line, "header")
    if label == "total cash" and amount is not None:
        return Row(line=line, kind="cash", name="Total cash", account=account, currency="GBP", value=amount)
    if label in ("stock value", "total value") and amount is not None:
        return Row(line=line, kind="total", name=cells[0].strip(), currency="GBP", value=amount,
                   reason="stock value" if label == "stock value" else "total value")
    return text_row(line, "preamble")


def _money(header: Header, cells: list[str], prefix: str) -> str:
    """The cell of the first column named ``Value (...)``/``Cost (...)`` whatever the currency sign."""
    for index, cell in enumerate(header.cells):
        if key(cell).startswith(prefix + " (") and index < len(cells):
            return cells[index]
    return ""


def _ticker(code: str) -> str:
    """``OCDO`` -> ``OCDO.L``; a SEDOL (a fund) or an empty code as it is."""
    if not code or _SEDOL.match(code) or not _EPIC.match(code):
        return code
    return code.rstrip(".") + ".L"
