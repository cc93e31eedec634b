"""Charles Schwab position exports: one account, or "All-Accounts" with one block per account.

The first line is a title (``"Positions for account Individual ...123 as of ..."`` or ``"Positions for
All-Accounts as of ..."``); an all-accounts file then has, per account, a line naming the account, a
header (pre-2024: ``Quantity``, ``Market Value``; 2024+: ``Qty (Quantity)``, ``Mkt Val (Market
Value)``), the positions, ``Cash & Cash Investments`` and ``Account Total`` (or ``Positions Total``).
"""

from __future__ import annotations

import re

from exposure.holdings.brokers._common import Header, key, nonblank, text_row
from exposure.holdings.rows import Row, is_cash, is_pending, is_total, option_underlying
from exposure.holdings.statement import Statement

NAME = "schwab"
_TITLE = re.compile(r"^Positions for (account )?(?P<account>.*?)\s+as of\b", re.I)
_VALUE = ("Mkt Val (Market Value)", "Market Value")
_QUANTITY = ("Qty (Quantity)", "Quantity")


def detect(lines: list[str]) -> bool:
    """A Schwab title line: ``Positions for account ... as of`` or ``Positions for All-Accounts``."""
    found = nonblank(lines[:3])
    return bool(found) and bool(_TITLE.match(found[0][1][0]))


def read(lines: list[str], source: str) -> Statement:
    """Classify every line of a Schwab positions export."""
    rows: list[Row] = []
    header: Header | None = None
    account = ""
    block: list[int] = []
    found = nonblank(lines)
    for position, (line, cells) in enumerate(found):
        first = cells[0]
        if title := _TITLE.match(first):
            name = title["account"]
            account = "" if name.lower() in ("all-accounts", "custaccs") else name  # CUSTACCS: older all-accounts
            rows.append(text_row(line, "title"))
            continue
        if key(first) == "symbol":
            header, block = Header(cells), []
            rows.append(text_row(line, "header"))
            continue
        following = found[position + 1][1][0] if position + 1 < len(found) else ""
        if header is None or len([c for c in cells if c]) == 1 or key(following) == "symbol":
            if key(following) == "symbol":
                account = " ".join(first.split())
                rows.append(text_row(line, "account name"))
            else:
                rows.append(text_row(line, "disclaimer or footer"))
            continue
        row = Row(line=line, kind="security", ticker=first.rstrip("*").strip().upper(),
                  name=header.cell(cells, "Description"), account=account, currency="USD",
                  value=header.number(cells, *_VALUE), shares=header.number(cells, *_QUANTITY),
                  price=header.number(cells, "Price"), cost=header.number(cells, "Cost Basis"))
        security_type = header.cell(cells, "Security Type", "Asset Type").lower()
        if is_total(first):
            row.kind, row.ticker, row.name, row.covers = "total", first, first, list(block)
        elif is_pending(first):
            row.kind, row.ticker = "pending", ""
        elif is_cash(first) or "money market" in security_type:
            row.kind = "cash"
        elif "option" in security_type or option_underlying(first) is not None:
            row.kind, row.underlying = "derivative", option_underlying(first) or first.split()[0]
        block.append(line)
        rows.append(row)
    return Statement(NAME, "Schwab positions", source, rows)
