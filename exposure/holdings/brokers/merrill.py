"""Merrill (Merrill Edge, Merrill Lynch) holdings exports, in their three published layouts.

* The "Holdings" download: one table, ``"COB Date","Security #","Symbol","CUSIP #","Security
  Description",...,"Account Registration","Account #","Quantity","Price ($)","Value ($)",...``, one row
  per position and account; negative amounts in parentheses; ``--`` for no symbol (bank deposit
  programs, which are cash).
* The web page export (``ExportData*.csv``): ``Exported on:`` and ``Selected account(s):`` lines, then
  per account a summary (``"CMA-Edge 12A-34B56" ,"Value" ,...``) and a table whose header starts
  ``"Symbol "``; a ``Balances`` line opens the cash lines (``Money accounts``, ``Cash balance``,
  ``Pending activity``) and ``Total`` closes the account. Cells are padded (``"JEPI" ,"JPMORGAN..."``).
* The tax-lot view: the same preamble, a blank first column, ``"Symbol "`` cells such as
  ``"JEPI !  Executed Buy"`` (the ticker is the first word) and ``Quantity``, ``Cost Basis``, ``Value``.

Options (``TSLA#B1326C425000``, ``CALL XYZ 425.00 EXP 02-13-26``) are derivatives.
"""

from __future__ import annotations

from exposure.holdings.brokers._common import Header, key, nonblank, text_row
from exposure.holdings.identifiers import is_cusip
from exposure.holdings.rows import Row, is_cash, is_pending, is_total, option_underlying
from exposure.holdings.statement import Statement

NAME = "merrill"
_VALUE = ("Value ($)", "Value")
_QUANTITY = ("Quantity",)
_PRICE = ("Price ($)", "Price")
_PREAMBLE = ("exported on:", "selected account(s):")
#: First cells of the web export's cash lines, after its ``Balances`` line.
_CASH_LINES = ("money accounts", "cash balance")


def _is_header(cells: list[str]) -> bool:
    keys = {key(c) for c in cells}
    return "symbol" in keys and bool({"value", "value ($)"} & keys) and "quantity" in keys


def detect(lines: list[str]) -> bool:
    """A Merrill preamble (``Exported on:`` / ``Selected account(s):``) or the Holdings download header."""
    found = nonblank(lines[:40])
    preamble = {p for _, cells in found[:4] for p in _PREAMBLE if key(cells[0]).startswith(p)}
    if len(preamble) == 2 or (preamble and any(_is_header(c) for _, c in found)):
        return True
    return any(_is_header(cells) and "cob date" in {key(c) for c in cells} for _, cells in found[:3])


def read(lines: list[str], source: str) -> Statement:
    """Classify every line of a Merrill holdings export."""
    rows: list[Row] = []
    header: Header | None = None
    account = ""
    balances = False
    block: list[int] = []
    for line, cells in nonblank(lines):
        first = " ".join(cells[0].split())
        if _is_header(cells):
            header, balances, block = Header(cells), False, []
            rows.append(text_row(line, "header"))
            continue
        if key(first).startswith("selected account(s):"):
            account = first.split(":", 1)[1].strip()
            rows.append(text_row(line, "accounts selected"))
            continue
        if len(cells) > 1 and key(cells[1]) == "value" and first:  # an account's summary: "CMA-Edge 12A-34B56" ,"Value"
            account = first
            rows.append(text_row(line, "account summary"))
            continue
        if header is None or key(first) == "balances" or not any(c.strip() for c in cells[1:]):
            balances = balances or key(first) == "balances"
            rows.append(text_row(line, "balances heading" if key(first) == "balances" else "preamble or summary"))
            continue
        rows.append(_row(line, cells, header, account, balances, block))
    return Statement(NAME, "Merrill holdings", source, rows)


def _row(line: int, cells: list[str], header: Header, account: str, balances: bool, block: list[int]) -> Row:
    """One data line of a Merrill table, classified."""
    symbol_cell = header.cell(cells, "Symbol")
    symbol = symbol_cell.split()[0].upper() if symbol_cell else ""
    name = header.cell(cells, "Security Description", "Description")
    cusip = header.cell(cells, "CUSIP #").upper()
    named = " ".join(p for p in (header.cell(cells, "Account Nickname"), header.cell(cells, "Account Registration"),
                                 header.cell(cells, "Account #")) if p)
    row = Row(line=line, kind="security", ticker=symbol, name=name, account=named or account, currency="USD",
              value=header.number(cells, *_VALUE), shares=header.number(cells, *_QUANTITY),
              price=header.number(cells, *_PRICE), cost=header.number(cells, "Cost Basis", "Total Client Investment"),
              identifier=cusip if is_cusip(cusip) else "")
    label = " ".join(symbol_cell.split())
    if is_total(label):
        row.kind, row.ticker, row.name, row.covers = "total", "", label, list(block)
        return row
    if is_pending(label):
        row.kind, row.ticker = "pending", ""
    elif (balances and key(label) in _CASH_LINES) or is_cash(label, name):
        row.kind, row.identifier, row.ticker = "cash", "", "" if " " in label else symbol
    elif (underlying := option_underlying(symbol) or option_underlying(name)) is not None:
        row.kind, row.underlying, row.ticker = "derivative", underlying, symbol or name
    elif not symbol and _deposit(name):
        row.kind, row.identifier = "cash", ""
    block.append(line)
    return row


def _deposit(name: str) -> bool:
    """Merrill's bank deposit programs (``ML DIRECT DEPOSIT PROGRM``, ``BANK OF AMERICA, NA RASP``) are cash."""
    words = name.upper()
    return "DEPOSIT" in words or "RASP" in words or "BANK OF AMERICA" in words
