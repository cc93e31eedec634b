"""A broker export read line by line (:class:`Statement`), and its positions in the base currency.

Cash, money market and pending activity become one ``CASH`` row (per account); derivatives go to their
own table; lots, totals and text are skipped. Each total row is checked against the rows it sums, and a
note says when they disagree by more than 0.5%.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

import pandas as pd

from exposure.errors import PortfolioError, located
from exposure.holdings.fx import Converter, iso_code
from exposure.holdings.identifiers import is_cusip, is_isin, resolve
from exposure.holdings.rows import ROW_CLASSES, VALUED, Row

#: Relative gap between a file's own total and the sum of its rows above which a note is written.
RECONCILE_TOLERANCE = 5e-3
DERIVATIVE_COLUMNS = ["ticker", "underlying", "shares", "value", "currency", "account", "row"]


@dataclass
class Statement:
    """The classified lines of one broker export.

    ``format`` is the reader's id (``fidelity``, ``schwab``...), ``label`` a readable name of the layout.
    ``amounts`` is ``market_value``, or ``weight`` for a layout whose values name no currency (their
    proportions are all that can be read).
    """

    format: str
    label: str
    source: str
    rows: list[Row]
    notes: list[str] = field(default_factory=list)
    base_currency: str = ""
    amounts: str = "market_value"

    def counts(self) -> dict[str, int]:
        """How many lines of each class, in :data:`ROW_CLASSES` order."""
        found = Counter(row.kind for row in self.rows)
        return {kind: found.get(kind, 0) for kind in ROW_CLASSES}

    def total_value(self, kinds: tuple[str, ...] = VALUED) -> dict[str, float]:
        """Sum of the values of ``kinds`` rows per currency (local currencies, as in the file)."""
        sums: dict[str, float] = {}
        for row in self.rows:
            if row.kind in kinds and row.value is not None:
                sums[row.currency] = sums.get(row.currency, 0.0) + row.value
        return sums


@dataclass
class Positions:
    """A statement's holdings in the base currency: rows for :func:`group_rows`, derivatives, notes."""

    table: pd.DataFrame
    derivatives: pd.DataFrame
    notes: list[str]


def to_positions(statement: Statement, converter: Converter) -> Positions:
    """Convert a statement's rows to the base currency, resolve identifiers, fold cash, reconcile totals.

    A short stock (a negative security value) is the account's own position: it counts negative, and a note
    names it.
    """
    notes = [f"read as {statement.label}: " + ", ".join(f"{n} {k}" for k, n in statement.counts().items() if n)
             + " line(s)."] + list(statement.notes)
    source = statement.source
    records: list[dict] = []
    derivatives: list[dict] = []
    unresolved: list[str] = []
    for row in statement.rows:
        if row.kind in ("cash", "pending") and row.value is None:
            row.kind, row.reason = "text", f"{row.kind} line with no amount"
        if row.kind not in VALUED:
            continue
        if row.value is None or not math.isfinite(row.value):
            last = row.line == max(r.line for r in statement.rows)
            raise PortfolioError(located(f"no market value for {row.ticker or row.name or row.kind}"
                                         + (" on the file's last line: is the file cut short?" if last else ""),
                                         file=source, row=row.line,
                                         fix="download the export again, with the positions' market values."))
        value = converter.convert(row.value, row.currency or converter.base, source=source, row=row.line)
        if row.kind == "derivative":
            derivatives.append({"ticker": row.ticker, "underlying": row.underlying, "shares": row.shares,
                                "value": value, "currency": converter.base, "account": row.account, "row": row.line})
            continue
        ticker = "CASH" if row.kind in ("cash", "pending") else _ticker(row, unresolved)
        cost = (value if ticker == "CASH" else
                converter.convert(row.cost, row.currency or converter.base, source=source, row=row.line)
                if row.cost is not None and math.isfinite(row.cost) else math.nan)
        records.append({"ticker": ticker, "amount": value, "name": row.name, "currency": converter.base,
                        "account": row.account, "row": row.line, "cost_basis": cost})
    if not records and derivatives:
        raise PortfolioError(located(f"the file holds only options or futures ({len(derivatives)} "
                                     "position(s)) and no stock, fund or cash line; derivatives are kept out of "
                                     "the weights, so there is nothing to score", file=source,
                                     fix="export the account's positions with its stocks, funds and cash, or write "
                                         "a CSV with ticker and value columns for what you want scored."))
    if not records:
        raise PortfolioError(located(f"no holdings found in this {statement.label} file", file=source,
                                     fix="export the positions (holdings) view, not activity or orders."))
    pending = [r for r in statement.rows if r.kind == "pending" and r.value]
    if pending:
        notes.append("pending activity counted as cash: " + ", ".join(f"row {r.line} ({r.value:,.2f} {r.currency})"
                                                                     for r in pending) + ".")
    if derivatives:
        listed = ", ".join(f"{d['ticker']} on {d['underlying']}" for d in derivatives)
        notes.append(f"{len(derivatives)} option or future position(s) kept apart in .derivatives and excluded "
                     f"from the weights: {listed}.")
    if shorts := [f"{r['ticker']} {r['amount']:,.2f}" for r in records if r["amount"] < 0 and r["ticker"] != "CASH"]:
        notes.append(f"short position(s) in the file, counted as negative weights: {', '.join(shorts)} "
                     f"{converter.base}.")
    if unresolved:
        notes.append(f"identifiers with no known ticker (left unmapped): {', '.join(unresolved)}.")
    notes.extend(_skipped(statement))
    notes.extend(reconcile(statement))
    notes.extend(converter.notes())
    return Positions(pd.DataFrame(records), pd.DataFrame(derivatives, columns=DERIVATIVE_COLUMNS), notes)


def reconcile(statement: Statement) -> list[str]:
    """Notes for each total row of the file that disagrees with the rows it covers (same currency)."""
    by_line = {row.line: row for row in statement.rows}
    notes = []
    for total in statement.rows:
        if total.kind != "total" or total.value is None or not total.covers:
            continue
        covered = [by_line[k] for k in total.covers if k in by_line and by_line[k].kind in VALUED]
        if {row.currency for row in covered} - {total.currency}:
            continue  # a total across currencies: not comparable without the broker's own rates
        summed = sum(row.value or 0.0 for row in covered)
        gap = summed - total.value
        if abs(gap) > RECONCILE_TOLERANCE * max(abs(total.value), 1.0):
            notes.append(f"row {total.line} ('{total.ticker or total.name}') says {total.value:,.2f} "
                         f"{total.currency}, but its rows sum to {summed:,.2f} (a gap of {gap:+,.2f}); "
                         "the rows are used.")
    return notes


def _skipped(statement: Statement) -> list[str]:
    """A note naming the total and trailing-text lines skipped, and counting the lot sub-rows."""
    shown_reasons = ("disclaimer or footer", "footer")
    listed = [f"row {r.line} ('{r.ticker or r.name}', a total)" if r.kind == "total" else f"row {r.line} ({r.reason})"
              for r in statement.rows if r.kind == "total" or (r.kind == "text" and r.reason in shown_reasons)]
    lots = [r.line for r in statement.rows if r.kind == "lot"]
    notes = []
    if listed:
        shown = listed if len(listed) <= 8 else [*listed[:7], f"and {len(listed) - 7} more"]
        notes.append(f"skipped as summary or text, not holdings: {', '.join(shown)}.")
    if lots:
        notes.append(f"{len(lots)} lot sub-row(s) skipped (their positions are counted once, on the row above them).")
    return notes


def _ticker(row: Row, unresolved: list[str]) -> str:
    """The row's ticker, or the ticker of its ISIN/CUSIP, or the identifier itself when unknown."""
    if row.ticker and not (is_isin(row.ticker) or is_cusip(row.ticker)):
        return row.ticker
    if row.identifier or row.ticker:
        row.identifier = row.identifier or row.ticker
        found = resolve(row.identifier)
        if found is None:
            unresolved.append(f"{row.identifier} ({row.name})" if row.name else row.identifier)
            return row.identifier
        return found
    return row.name.upper()


def currency_of(text: str, default: str) -> str:
    """ISO code of a currency cell, or ``default`` when the cell is empty."""
    return iso_code(text) if text.strip() else default
