"""Futu / moomoo positions export (``持仓-<account>-<date>.csv``), simplified-Chinese headers.

Header: ``"代码","名称","持有数量","现价","平均成本价","市值"`` (code, name, quantity held, current price,
average cost, market value). Options use OCC-style codes without padding (``MSFT270617C390000``) and are
derivatives; a strategy row (``MSFT270617C390/480``, ``MSFT 垂直策略``, a vertical spread) sums its legs and
is a total; rows with a zero quantity (closed) are text. The file names no currency: US codes (letters)
are read in US dollars and a note says so; a numeric code (a Hong Kong or China listing) is refused,
since its currency cannot be told from the file.
"""

from __future__ import annotations

import re

from exposure.errors import PortfolioError, located
from exposure.holdings.brokers._common import Header, key, nonblank, text_row
from exposure.holdings.rows import Row, option_underlying
from exposure.holdings.statement import Statement

NAME = "futu"
LABEL = "Futu/moomoo positions export"
_COLUMNS = ("代码", "名称", "持有数量", "市值")
#: A strategy row's code: two strikes after the expiry and right (``MSFT270617C390/480``).
_STRATEGY = re.compile(r"^[A-Z][A-Z.]{0,5}\d{6}[CP][\d.]+/[\d.]+$")
_US_CODE = re.compile(r"^[A-Z][A-Z.\-]{0,9}$")


def _is_header(cells: list[str]) -> bool:
    return set(_COLUMNS) <= {key(c.lstrip("\ufeff")) for c in cells}


def detect(lines: list[str]) -> bool:
    """The Futu column header on the first non-blank line."""
    found = nonblank(lines[:3])
    return bool(found) and _is_header(found[0][1])


def read(lines: list[str], source: str) -> Statement:
    """Classify every line of a Futu positions export."""
    rows: list[Row] = []
    header: Header | None = None
    strategy: Row | None = None
    for line, cells in nonblank(lines):
        if header is None:
            header = Header([c.lstrip("\ufeff") for c in cells])
            rows.append(text_row(line, "header"))
            continue
        code, name = header.cell(cells, "代码").upper(), header.cell(cells, "名称")
        shares = header.number(cells, "持有数量")
        row = Row(line=line, kind="security", ticker=code, name=name, currency="USD",
                  value=header.number(cells, "市值"), shares=shares, price=header.number(cells, "现价"),
                  cost=_cost(shares, header.number(cells, "平均成本价")))
        if shares == 0:
            row.kind, row.reason, row.cost = "text", "zero quantity (closed)", None
        elif _STRATEGY.match(code):
            row.kind, row.reason, row.cost = "total", f"option strategy {name}", None
            strategy = row
        elif (underlying := option_underlying(code)) is not None:
            row.kind, row.underlying, row.cost = "derivative", underlying, None
            if strategy is not None and code.startswith(strategy.ticker[:len(underlying) + 7]):
                strategy.covers.append(line)
        elif not _US_CODE.match(code):
            raise PortfolioError(located(f"Futu code {code} ({name}) is not a US listing, and the file names no "
                                         "currency for it", file=source, row=line,
                                         fix="export each market's positions separately and list non-US ones in a "
                                             "CSV with ticker, value and currency columns."))
        rows.append(row)
    notes = ["Futu positions name no currency: US codes are read in US dollars."]
    return Statement(NAME, LABEL, source, rows, notes)


def _cost(shares: float | None, average: float | None) -> float | None:
    """Cost basis: quantity x average cost, when both are given."""
    return shares * average if shares is not None and average is not None else None
