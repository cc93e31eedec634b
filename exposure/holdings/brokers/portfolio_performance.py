"""Portfolio Performance statement of assets (Vermögensaufstellung) exported as CSV, German headers.

Header: ``Bestand;Name;Symbol;Kurs;Marktwert;Anteil in %;Notiz`` (shares, name, symbol, quote, market value,
share, note). A row with no ``Bestand`` is a deposit account (cash, ``Verrechnungskonto``) or, named
``Summe``, the total (PP writes it first, and again last). ``Kurs`` carries the quote's currency
(``USD 269,48``), but ``Marktwert`` is in the portfolio's reporting currency, which the file does not name:
values are read as weights (each holding's share of the total), never as dollars, and a note says so. The
decimal mark is read off the amounts (``2.279,86`` in a German locale).
"""

from __future__ import annotations

from exposure.holdings.brokers._common import Header, key, nonblank, text_row
from exposure.holdings.numbers import decimal_mark, number_or_none
from exposure.holdings.rows import Row, is_total
from exposure.holdings.statement import Statement

NAME = "portfolio_performance"
LABEL = "Portfolio Performance statement of assets"


def _is_header(cells: list[str]) -> bool:
    return {"bestand", "name", "symbol", "marktwert"} <= {key(c.lstrip("\ufeff")) for c in cells}


def detect(lines: list[str]) -> bool:
    """The Vermögensaufstellung header on the first non-blank line."""
    found = nonblank(lines[:3])
    return bool(found) and _is_header(found[0][1])


def read(lines: list[str], source: str) -> Statement:
    """Classify every line of a Portfolio Performance statement of assets."""
    found = nonblank(lines)
    header = Header([c.lstrip("\ufeff") for c in found[0][1]])
    notes: list[str] = []
    data = found[1:]
    marks = {column: decimal_mark([(line, header.cell(cells, column)) for line, cells in data], column, source, ";",
                                  notes) for column in ("Bestand", "Marktwert")}
    rows = [text_row(found[0][0], "header")]
    for line, cells in data:
        name, symbol = header.cell(cells, "Name"), header.cell(cells, "Symbol").upper()
        shares = number_or_none(header.cell(cells, "Bestand"), marks["Bestand"])
        row = Row(line=line, kind="security", ticker=symbol, name=name, identifier=header.cell(cells, "ISIN"),
                  value=number_or_none(header.cell(cells, "Marktwert"), marks["Marktwert"]), shares=shares)
        if shares is None:
            row.kind = "total" if is_total(name) or key(name) in ("summe", "summen", "gesamt") else "cash"
        elif not symbol and not row.identifier:
            row.ticker = name.upper()
        rows.append(row)
    held = [r.line for r in rows if r.kind in ("security", "cash")]
    for row in rows:
        if row.kind == "total":
            row.covers = held
    notes.append("a Portfolio Performance statement of assets gives market values in the portfolio's reporting "
                 "currency without naming it: they are read as weights (each holding's share), not as dollars.")
    return Statement(NAME, LABEL, source, rows, list(dict.fromkeys(notes)), amounts="weight")
