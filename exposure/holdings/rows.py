"""What each line of a broker export is: every non-blank line gets exactly one class.

Classes (:data:`ROW_CLASSES`):

* ``security`` - a holding with a value (stocks, funds, bonds...);
* ``cash`` - cash, money market and sweep positions (``SPAXX**``, ``Cash & Cash Investments``...);
* ``pending`` - pending activity: a cash adjustment, counted with cash;
* ``derivative`` - options and the like: kept in ``Portfolio.derivatives`` with their underlying and
  excluded from the weights (their value is a premium, not an exposure of that size);
* ``lot`` - a tax-lot sub-row of a position above it (never counted twice);
* ``total`` - a total or subtotal of the file; skipped, and checked against the rows it sums;
* ``text`` - headers, titles, account names, disclaimers, footers and trailing tables.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

ROW_CLASSES = ("security", "cash", "pending", "derivative", "lot", "total", "text")
#: Classes whose value is part of the account (securities + cash + pending + derivatives).
VALUED = ("security", "cash", "pending", "derivative")

#: Money-market, sweep and core-position symbols brokers list as positions; they are cash here.
MONEY_MARKET = frozenset({
    "SPAXX", "FDRXX", "FZFXX", "SPRXX", "FCASH", "CORE", "FZDXX", "FMPXX", "QPIFQ", "IIAXX", "VMFXX", "VMMXX",
    "VUSXX", "SWVXX", "SNAXX", "SNVXX", "SNSXX", "TTTXX", "MSPBNA", "CASH", "USD", "$CASH", "CASH_USD", "USD_CASH",
    "CASH-USD"})
_CASH_TEXT = re.compile(r"^(CASH\b|CASH &|CASH AND|MONEY MARKET|SWEEP|CORE POSITION|SETTLEMENT FUND|"
                        r"HELD IN MONEY MARKET|FDIC|BANK DEPOSIT|CASH \()", re.I)
_PENDING = re.compile(r"^PENDING\s+ACTIVITY$", re.I)
_TOTAL = re.compile(r"^((GRAND|ACCOUNT|PORTFOLIO|POSITIONS)\s+)?(SUB[- ]?)?TOTALS?\b.*$|^SUM:?$", re.I)
#: OCC-style option symbols: ``-NFLX260821C100``, ``AAPL260918P200``, ``SPY 240119C00480000``.
_OCC = re.compile(r"^-?\s*([A-Z][A-Z.]{0,5})\s*(\d{6})([CP])(\d+(\.\d+)?)$")
#: Spelled-out options: ``AAPL 01/16/2026 250.00 C``, ``TWTR Feb 15 '19 $41 Call``, ``SMAL 04/01/2020 32.00 P``.
_WORDED = re.compile(r"^([A-Z][A-Z.]{0,5})\s+(\d{1,2}/\d{1,2}/\d{2,4}|[A-Z][a-z]{2}\s+\d{1,2}\s+'\d{2})\s+"
                     r"\$?\d+(\.\d+)?\s+(C|P|CALL|PUT)$", re.I)
#: Merrill-style ``TSLA#B1326C425000``, ``BIDU FEB 12, 2021 260.00 CALL``.
_HASHED = re.compile(r"^([A-Z][A-Z.]{0,5})#[A-Z]\d{4}[A-Z]\d+$")
_DATED = re.compile(r"^([A-Z][A-Z.]{0,5})\s+[A-Z]{3}\s+\d{1,2},\s+\d{4}\s+\$?\d+(\.\d+)?\s+(CALL|PUT)$")
#: Option descriptions: ``CALL XYZ 425.00 EXP 02-13-26`` (Merrill), ``PUT APPLE INC $200 EXP 01/16/26``.
_DESCRIBED = re.compile(r"^(?:CALL|PUT)\s+([A-Z][A-Z.]{0,5})\s+\$?\d+(\.\d+)?\s+EXP\s+\d{1,2}[-/]\d{1,2}[-/]\d{2,4}$")


@dataclass
class Row:
    """One line of a holdings file, classified.

    ``value`` is the market value in ``currency`` (the file's own figure, or shares x price when the
    file gives no value); ``cost`` the position's total cost basis in ``currency`` when the file gives it;
    ``reason`` says why a row is skipped or how its value was found.
    """

    line: int
    kind: str
    ticker: str = ""
    name: str = ""
    account: str = ""
    currency: str = ""
    value: float | None = None
    cost: float | None = None
    shares: float | None = None
    price: float | None = None
    underlying: str = ""
    identifier: str = ""
    reason: str = ""
    covers: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.kind not in ROW_CLASSES:
            raise ValueError(f"unknown row class {self.kind!r}")


def is_cash(symbol: str, description: str = "") -> bool:
    """True for cash, money market and sweep positions, by symbol (``SPAXX**``) or label."""
    bare = symbol.strip().rstrip("*").strip().upper()
    if bare in MONEY_MARKET:
        return True
    return bool(_CASH_TEXT.match(symbol.strip())) or (not bare and bool(_CASH_TEXT.match(description.strip())))


def is_pending(symbol: str) -> bool:
    """True for a broker's ``Pending Activity`` line."""
    return bool(_PENDING.match(" ".join(symbol.split())))


def is_total(text: str) -> bool:
    """True for ``Total``, ``Account Total``, ``Positions Total``, ``Subtotal``, ``Sum``..."""
    return bool(_TOTAL.match(text.strip()))


def option_underlying(symbol: str) -> str | None:
    """The underlying ticker of an option symbol, or None when ``symbol`` is not an option."""
    text = " ".join(symbol.split()).upper()
    for pattern in (_OCC, _WORDED, _HASHED, _DATED, _DESCRIBED):
        if match := pattern.match(text):
            return match[1]
    return None
