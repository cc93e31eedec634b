"""DEGIRO ``Portfolio.csv`` in Dutch, English, German, French, Spanish, Italian or Portuguese.

Columns: product, ``Symbool/ISIN`` (``Ticker/ISIN`` in French; an ISIN, not a ticker), quantity, closing
price, the local value, then the value in EUR. The local value is two cells in today's layout (currency
code, amount; the second header cell is blank) and one cell in the older one (``USD 1234.12``). The
local value is used, converted from its own currency. Cash lines (``CASH & CASH FUND & FTX CASH
(EUR)``) have no ISIN. Each column has its own decimal mark (``5.000000`` shares next to ``"175,50"``).
"""

from __future__ import annotations

import re

from exposure.holdings.brokers._common import key, nonblank, text_row
from exposure.holdings.numbers import decimal_mark, number_or_none
from exposure.holdings.rows import Row, is_cash
from exposure.holdings.statement import Statement

NAME = "degiro"
_PRODUCT = ("product", "produkt", "produit", "producto", "prodotto", "produto")
_ISIN = ("symbool/isin", "symbol/isin", "symbole/isin", "símbolo/isin", "simbolo/isin", "ticker/isin", "isin")
#: A local value in one cell: ``USD 1234.12``, ``EUR -0.56``.
_MONEY = re.compile(r"^([A-Z]{3})\s+(\S+)$")


def detect(lines: list[str]) -> bool:
    """A DEGIRO header: product then symbol/ISIN in any of DEGIRO's languages."""
    found = nonblank(lines[:2])
    return bool(found) and len(found[0][1]) >= 5 and key(found[0][1][0]) in _PRODUCT \
        and key(found[0][1][1]) in _ISIN


def read(lines: list[str], source: str) -> Statement:
    """Classify every line of a DEGIRO portfolio export (columns by position, as every language orders them)."""
    found = nonblank(lines)
    notes: list[str] = []
    data = [(line, _cells(cells)) for line, cells in found[1:]]
    marks = [decimal_mark([(line, cells[k]) for line, cells in data if cells[k]], column, source, ",", notes)
             for k, column in ((2, "quantity"), (3, "closing price"), (5, "value"))]
    rows = [text_row(found[0][0], "header")] if found else []
    for line, cells in data:
        product, isin, currency = cells[0], cells[1].upper(), cells[4].upper()
        row = Row(line=line, kind="security", name=product, identifier=isin, currency=currency,
                  value=number_or_none(cells[5], marks[2]), shares=number_or_none(cells[2], marks[0]),
                  price=number_or_none(cells[3], marks[1]))
        if not isin and is_cash(product):
            row.kind = "cash"
        elif not isin and not product:
            row = text_row(line, "footer")
        rows.append(row)
    return Statement(NAME, "DEGIRO portfolio", source, rows, list(dict.fromkeys(notes)))


def _cells(cells: list[str]) -> list[str]:
    """Seven cells (product, ISIN, quantity, price, currency, local value, EUR value), whichever the layout."""
    cells = [c.strip() for c in cells] + [""] * 7
    if match := _MONEY.match(cells[4]):  # the older layout: "USD 1234.12" in one cell
        return [*cells[:4], match[1], match[2], cells[5]]
    return cells[:7]
