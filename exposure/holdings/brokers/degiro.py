"""DEGIRO ``Portfolio.csv`` in Dutch, English, German, French, Spanish, Italian or Portuguese.

Columns: product, ``Symbool/ISIN`` (an ISIN, not a ticker), quantity, closing price, then the local
value as two cells (currency code, amount; the second header cell is blank) and the value in EUR. The
local value is used, converted from its own currency. Cash lines (``CASH & CASH FUND & FTX CASH (EUR)``)
have no ISIN. Numbers use decimal commas.
"""

from __future__ import annotations

from exposure.holdings.brokers._common import key, nonblank, text_row
from exposure.holdings.numbers import decimal_mark, number_or_none
from exposure.holdings.rows import Row, is_cash
from exposure.holdings.statement import Statement

NAME = "degiro"
_PRODUCT = ("product", "produkt", "produit", "producto", "prodotto", "produto")
_ISIN = ("symbool/isin", "symbol/isin", "symbole/isin", "símbolo/isin", "simbolo/isin", "isin")


def detect(lines: list[str]) -> bool:
    """A DEGIRO header: product then symbol/ISIN in any of DEGIRO's languages."""
    found = nonblank(lines[:2])
    return bool(found) and len(found[0][1]) >= 6 and key(found[0][1][0]) in _PRODUCT \
        and key(found[0][1][1]) in _ISIN


def read(lines: list[str], source: str) -> Statement:
    """Classify every line of a DEGIRO portfolio export (columns by position, as every language orders them)."""
    rows: list[Row] = []
    found = nonblank(lines)
    notes: list[str] = []
    amounts = [(line, cell) for line, cells in found[1:] for cell in cells[2:7] if cell.strip()]
    decimal = decimal_mark(amounts, "value", source, ",", notes)
    for position, (line, cells) in enumerate(found):
        if position == 0:
            rows.append(text_row(line, "header"))
            continue
        cells = cells + [""] * (7 - len(cells))
        product, isin, currency = cells[0], cells[1].upper(), cells[4].upper()
        row = Row(line=line, kind="security", name=product, identifier=isin, currency=currency,
                  value=number_or_none(cells[5], decimal), shares=number_or_none(cells[2], decimal),
                  price=number_or_none(cells[3], decimal))
        if not isin and is_cash(product):
            row.kind = "cash"
        rows.append(row)
    return Statement(NAME, "DEGIRO portfolio", source, rows, notes)
