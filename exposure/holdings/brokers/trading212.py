"""Trading 212 Pie export (``Slice,Name,Invested value,Value,Result,Owned quantity,Dividends ...``).

One row per slice, every cell quoted; a summary row (``Total``) may close it. Values are in the
account's currency (GBP or EUR), which the file does not name, for every instrument whatever its
listing. They are therefore read as weights (each slice's share of the Pie's value), never as dollars,
and a note says so. ``Slice`` is Trading 212's short ticker (``HIES`` for a London ETF has no suffix).
"""

from __future__ import annotations

from exposure.holdings.brokers._common import Header, key, nonblank, text_row
from exposure.holdings.rows import Row, is_total
from exposure.holdings.statement import Statement

NAME = "trading212"


def _is_header(cells: list[str]) -> bool:
    keys = [key(c) for c in cells]
    return bool(keys) and keys[0] == "slice" and {"value", "owned quantity"} <= set(keys)


def detect(lines: list[str]) -> bool:
    """The Pie header on the first non-blank line."""
    found = nonblank(lines[:3])
    return bool(found) and _is_header(found[0][1])


def read(lines: list[str], source: str) -> Statement:
    """Classify every line of a Trading 212 Pie export."""
    found = nonblank(lines)
    header = Header(found[0][1])
    rows = [text_row(found[0][0], "header")]
    for line, cells in found[1:]:
        slice_ = header.cell(cells, "Slice").upper()
        row = Row(line=line, kind="security", ticker=slice_, name=header.cell(cells, "Name"),
                  value=header.number(cells, "Value"), shares=header.number(cells, "Owned quantity"))
        if not slice_ or is_total(slice_):
            row.kind, row.ticker = "total", ""
            row.covers = [r.line for r in rows if r.kind == "security"]
        rows.append(row)
    notes = ["a Trading 212 Pie export gives values in the account's currency without naming it: the slices' "
             "values are read as weights (their share of the Pie), not as dollars."]
    return Statement(NAME, "Trading 212 Pie", source, rows, notes, amounts="weight")
