"""Wealthsimple holdings report (``holdings-report-YYYY-MM-DD.csv``): every account in one table.

Header: ``Account Name,Account Type,Account Classification,Account Number,Symbol,Exchange,MIC,Name,
Security Type,Quantity,Position Direction,Market Price,Market Price Currency,Book Value (CAD),...,
Market Value,Market Value Currency,...``. Values are in their own currency (``Market Value
Currency``), CAD and USD rows mixed. ``CURRENCY`` rows (symbol ``CAD`` or ``USD``) are cash; options
are derivatives; a ``SHORT`` position counts negative; the quoted ``As of ...`` footer is text.
Canadian listings without a suffix get Yahoo's (``APTX`` on TSX is ``APTX.TO``), so they are not taken
for a US ticker; CDRs (``Nvidia CDR``) keep the US ticker of the company they track.
"""

from __future__ import annotations

from exposure.holdings.brokers._common import Header, key, nonblank, text_row
from exposure.holdings.rows import Row, option_underlying
from exposure.holdings.statement import Statement

NAME = "wealthsimple"
#: Yahoo suffixes of the Canadian exchanges Wealthsimple names.
_SUFFIX = {"TSX": ".TO", "XTSE": ".TO", "TSX-V": ".V", "TSXV": ".V", "XTSX": ".V", "NEO": ".NE", "NEOE": ".NE",
           "CBOE CANADA": ".NE", "CSE": ".CN", "XCNQ": ".CN"}


def _is_header(cells: list[str]) -> bool:
    keys = {key(c) for c in cells}
    return {"symbol", "quantity", "market value", "market value currency", "security type"} <= keys


def detect(lines: list[str]) -> bool:
    """The holdings report header on the first non-blank line."""
    found = nonblank(lines[:3])
    return bool(found) and _is_header(found[0][1])


def read(lines: list[str], source: str) -> Statement:
    """Classify every line of a Wealthsimple holdings report."""
    rows: list[Row] = []
    header: Header | None = None
    for line, cells in nonblank(lines):
        if header is None:
            header = Header(cells)
            rows.append(text_row(line, "header"))
            continue
        symbol = header.cell(cells, "Symbol").upper()
        if not symbol or len([c for c in cells if c.strip()]) == 1:
            rows.append(text_row(line, "footer"))
            continue
        name = header.cell(cells, "Name")
        value = header.number(cells, "Market Value")
        if value is not None and key(header.cell(cells, "Position Direction")) == "short":
            value = -abs(value)
        account = " ".join(p for p in (header.cell(cells, "Account Name"), header.cell(cells, "Account Number")) if p)
        row = Row(line=line, kind="security", ticker=_ticker(symbol, name, header.cell(cells, "MIC", "Exchange")),
                  name=name, account=account, currency=header.cell(cells, "Market Value Currency").upper(), value=value,
                  shares=header.number(cells, "Quantity"), price=header.number(cells, "Market Price"))
        security_type = key(header.cell(cells, "Security Type"))
        if security_type in ("currency", "cash"):
            row.kind = "cash"
        elif "option" in security_type or option_underlying(symbol) is not None:
            row.kind, row.underlying = "derivative", option_underlying(symbol) or symbol.split()[0]
        rows.append(row)
    return Statement(NAME, "Wealthsimple holdings report", source, rows)


def _ticker(symbol: str, name: str, exchange: str) -> str:
    """``symbol``, with the Yahoo suffix of its Canadian exchange unless it has one or is a CDR."""
    suffix = _SUFFIX.get(exchange.strip().upper(), "")
    if not suffix or "." in symbol or "CDR" in name.upper():
        return symbol
    return symbol + suffix
