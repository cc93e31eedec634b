"""Avanza positions export ("positioner", Min ekonomi > Analys > Exportera data), Swedish headers.

Header: ``[Kontonummer;]Namn;Kortnamn;Volym;Marknadsvärde;GAV (SEK);GAV;Valuta;Land;ISIN;Marknad;Typ``
(per account, or summed over accounts without ``Kontonummer``); ``;``, tab or ``|`` separated, decimal
commas. ``Marknadsvärde`` is in Swedish kronor whatever the instrument's ``Valuta``, so every row is SEK
(converted at the rates in use; with no SEK rate the file is refused in one line). Tickers: a Stockholm or
First North listing (``XSTO``, ``FNSE``) is Yahoo's ``.ST`` symbol (``VOLV B`` -> ``VOLV-B.ST``), a US
listing its short name (``AAPL``); funds and other markets are named by their ISIN. The cost basis is
``GAV (SEK)`` x ``Volym``.
"""

from __future__ import annotations

from exposure.holdings.brokers._common import Header, key, nonblank, text_row
from exposure.holdings.numbers import decimal_mark, number_or_none
from exposure.holdings.rows import Row
from exposure.holdings.statement import Statement

NAME = "avanza"
LABEL = "Avanza positions export"
_STOCKHOLM = frozenset({"XSTO", "FNSE"})
_US = frozenset({"XNAS", "XNYS", "ARCX", "BATS", "XASE"})


def _is_header(cells: list[str]) -> bool:
    return {"namn", "kortnamn", "volym", "marknadsvärde"} <= {key(c.lstrip("\ufeff")) for c in cells}


def detect(lines: list[str]) -> bool:
    """The positions header on the first non-blank line."""
    found = nonblank(lines[:3])
    return bool(found) and _is_header(found[0][1])


def read(lines: list[str], source: str) -> Statement:
    """Classify every line of an Avanza positions export."""
    found = nonblank(lines)
    header = Header([c.lstrip("\ufeff") for c in found[0][1]])
    notes: list[str] = []
    data = found[1:]
    columns = ("Volym", "Marknadsvärde", "GAV (SEK)")
    marks = {c: decimal_mark([(line, header.cell(cells, c)) for line, cells in data], c, source, ";", notes)
             for c in columns}
    rows = [text_row(found[0][0], "header")]
    for line, cells in data:
        name, short = header.cell(cells, "Namn"), " ".join(header.cell(cells, "Kortnamn").upper().split())
        shares = number_or_none(header.cell(cells, "Volym"), marks["Volym"])
        average = number_or_none(header.cell(cells, "GAV (SEK)"), marks["GAV (SEK)"])
        market = header.cell(cells, "Marknad").upper()
        ticker = (short.replace(" ", "-") + ".ST" if market in _STOCKHOLM else short if market in _US else "")
        value = number_or_none(header.cell(cells, "Marknadsvärde"), marks["Marknadsvärde"])
        rows.append(Row(line=line, kind="security", ticker=ticker, name=name, account=header.cell(cells, "Kontonummer"),
                        currency="SEK", value=value, shares=shares,
                        cost=shares * average if shares is not None and average is not None else None,
                        identifier="" if ticker else header.cell(cells, "ISIN").upper())
                    if name or short else text_row(line, "footer"))
    notes.append("Avanza gives market values in Swedish kronor (SEK) whatever the instrument's currency.")
    return Statement(NAME, LABEL, source, rows, list(dict.fromkeys(notes)))
