"""Interactive Brokers: Activity Statement CSV (sections) and Flex Query CSV (one table).

Activity Statement: the first cell of every line names its section and the second says ``Header``,
``Data``, ``Total`` or ``SubTotal``. Positions are ``Open Positions`` data rows (``Summary`` rows; ``Lot``
rows are lots), in the currency of their ``Currency`` cell; each currency group has its own Total rows.
Cash is ``Cash Report`` ``Ending Cash`` per currency. ``Account Information`` gives the account and the
base currency; every other section is text.

Flex Query CSV files are read by :mod:`exposure.holdings.brokers.ibkr_flex`.
"""

from __future__ import annotations

from exposure.holdings.brokers import ibkr_flex
from exposure.holdings.brokers._common import Header, key, nonblank, text_row
from exposure.holdings.rows import Row, is_total, option_underlying
from exposure.holdings.statement import Statement

NAME = "ibkr"
_DERIVATIVES = ("option", "future", "warrant", "cfd")
#: The positions section and its columns, in English and German (IBKR names them in the account's language).
_POSITIONS = ("open positions", "long open positions", "short open positions", "offene positionen")
_CATEGORY, _CURRENCY = ("Asset Category", "Anlagekategorie"), ("Currency", "Währung")
_QUANTITY, _PRICE = ("Quantity", "Menge"), ("Close Price", "Schlusskurs")
_VALUE, _COST = ("Value", "Wert"), ("Cost Basis", "Einstandswert")


def _is_activity(found: list[tuple[int, list[str]]]) -> bool:
    return any(len(c) > 2 and key(c[1]) == "header" and (key(c[0]) == "statement" or key(c[0]) in _POSITIONS)
               for _, c in found[:20])


def detect(lines: list[str]) -> bool:
    """An Activity Statement (``Statement,Header``) or a Flex Query file."""
    found = nonblank(lines[:60])
    return _is_activity(found) or ibkr_flex.is_flex(found)


def read(lines: list[str], source: str) -> Statement:
    """Classify every line of an IBKR Activity Statement or Flex Query file."""
    found = nonblank(lines)
    if not _is_activity(found):
        return ibkr_flex.read(found, source)
    rows: list[Row] = []
    headers: dict[str, Header] = {}
    account = base = ""
    group: dict[tuple[str, str], list[int]] = {}
    for line, cells in found:
        section, kind = (cells + ["", ""])[:2]
        data = cells[2:]
        if key(kind) == "header":
            headers[section] = Header(data)
            rows.append(text_row(line, f"{section} header"))
            continue
        header = headers.get(section)
        if section == "Account Information" and len(data) >= 2:
            account = data[1] if key(data[0]) == "account" else account
            base = data[1] if key(data[0]) == "base currency" else base
        if header is None or (key(section) not in _POSITIONS and section != "Cash Report"):
            rows.append(text_row(line, f"{section} section"))
            continue
        if section == "Cash Report":
            rows.append(_cash(line, header, data, account))
            continue
        category = header.cell(data, *_CATEGORY)
        currency = header.cell(data, *_CURRENCY)
        row = Row(line=line, kind="security", ticker=header.cell(data, "Symbol").upper(), account=account,
                  currency=currency, value=_value(header, data), shares=header.number(data, *_QUANTITY),
                  price=header.number(data, *_PRICE), cost=header.number(data, *_COST))
        members = group.setdefault((category, currency), [])
        if key(kind) in ("total", "subtotal"):
            row.kind, row.ticker, row.name = "total", "", f"{kind} {category} {currency}".strip()
            row.covers, group[(category, currency)] = list(members), []
        elif key(header.cell(data, "DataDiscriminator")) == "lot":
            row.kind, row.reason = "lot", "lot of a Summary row"
        elif key(category) == "forex":
            row.kind = "cash"
        elif any(word in key(category) for word in _DERIVATIVES):
            row.kind = "derivative"
            row.underlying = option_underlying(row.ticker) or row.ticker.split()[0]
        if row.kind != "total":
            members.append(line)
        rows.append(row)
    notes = []
    if any(r.kind == "cash" and r.ticker for r in rows):  # cash held as Forex positions: the Cash Report repeats it
        for row in rows:
            if row.kind == "cash" and not row.ticker:
                row.kind, row.reason = "text", "Cash Report line (cash is counted from the Forex positions)"
        notes.append("cash counted from the Open Positions Forex rows, not again from the Cash Report.")
    return Statement(NAME, "Interactive Brokers Activity Statement", source, rows, notes, base_currency=base)


def _value(header: Header, data: list[str]) -> float | None:
    """``Value``, or quantity x close price x multiplier in a statement without a value column."""
    if header.index(*_VALUE) is not None:
        return header.number(data, *_VALUE)
    shares, price = header.number(data, *_QUANTITY), header.number(data, *_PRICE)
    return shares * price * (header.number(data, "Mult") or 1.0) if shares is not None and price is not None else None


def _cash(line: int, header: Header, data: list[str], account: str) -> Row:
    """An ``Ending Cash`` line per currency is cash; the base-currency summary and other lines are text."""
    currency = header.cell(data, "Currency")
    if key(header.cell(data, "Currency Summary")) != "ending cash" or is_total(currency) or "summary" in key(currency):
        return text_row(line, "Cash Report line")
    return Row(line=line, kind="cash", ticker="", name=f"cash {currency}", account=account, currency=currency,
               value=header.number(data, "Total"))
