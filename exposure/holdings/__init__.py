"""Reading the holdings files investors have: broker exports, several accounts, several currencies.

:func:`read_holdings` turns the bytes of a file into :class:`Holdings`: rows in the base currency, the
amount kind, notes, derivatives and, for a recognized broker export, the :class:`Statement` that says
how every line of the file was classified. Broker layouts are in :mod:`exposure.holdings.brokers`;
anything else is read by the generic table reader (:mod:`exposure.holdings.generic`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from exposure.errors import PortfolioError, located
from exposure.holdings import brokers
from exposure.holdings.fx import Converter, Rate
from exposure.holdings.generic import CASH_TICKERS, is_ticker_header, read_frame
from exposure.holdings.reader import (
    check_size,
    comma_lines,
    cut_short,
    decode,
    parse_table,
    refuse_activity,
    split_lines,
)
from exposure.holdings.statement import DERIVATIVE_COLUMNS, Statement, to_positions

__all__ = ["Holdings", "Statement", "line_table", "read_holdings"]
GENERIC = "a ticker and amount table"
LINE_COLUMNS = ["line", "class", "ticker", "account", "currency", "value", "reason"]
_REASONS = {"total": "a total: checked against its rows, not counted", "pending": "pending activity: counted as cash",
            "cash": "cash or money market", "derivative": "kept apart in .derivatives"}


@dataclass
class Holdings:
    """A file's holdings before they are summed per ticker.

    ``table`` has ``ticker, amount, name, currency, account, row``; amounts are of ``kind`` (market
    values are in ``base_currency``). ``statement`` is None for files read by the generic reader.
    """

    table: pd.DataFrame
    kind: str
    notes: list[str]
    base_currency: str = "USD"
    format: str = "generic"
    statement: Statement | None = None
    derivatives: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=DERIVATIVE_COLUMNS))


def read_holdings(raw: bytes, name: str, *, allow_short: bool = False, base_currency: str = "USD",
                  rates: dict[str, Rate] | None = None) -> Holdings:
    """Detect the layout of a holdings file and read it (see the module docstring).

    ``rates`` (USD per unit, by ISO code) replace the bundled ``fx.csv`` rates, e.g. live ones for ``--live``.
    """
    check_size(len(raw), name)
    text, encoding_note = decode(raw, name)
    converter = Converter(base_currency) if rates is None else Converter(base_currency, rates=rates)
    lines = comma_lines(split_lines(text))
    reader = brokers.detect(lines)
    if reader is not None:
        _refuse_cut_short(text, lines, name, reader.NAME)
        statement = reader.read(lines, name)
        try:
            positions = to_positions(statement, converter)
        except PortfolioError as error:
            raise _read_as(error, statement.label) from None
        notes = ([encoding_note] if encoding_note else []) + positions.notes
        return Holdings(positions.table, statement.amounts, notes, converter.base, reader.NAME, statement,
                        positions.derivatives)
    refuse_activity(lines, name)  # a transactions export is named as such, not as a misread generic table
    try:
        frame = parse_table(text, name, is_ticker_header)
        _refuse_cut_short(text, split_lines(text), name, GENERIC, frame.attrs["delimiter"])
        if encoding_note:
            frame.attrs["notes"] = [encoding_note, *frame.attrs.get("notes", [])]
        table, kind, notes = read_frame(frame, allow_short=allow_short, source=name, converter=converter)
    except PortfolioError as error:
        raise _read_as(error, GENERIC) from None
    return Holdings(table, kind, notes, converter.base, derivatives=table.attrs["derivatives"])


def _read_as(error: PortfolioError, layout: str) -> PortfolioError:
    """The error with the layout the file was read as, so a refusal says which format was guessed."""
    message = str(error)
    if "read as" in message or "not a Fidelity" in message:
        return error
    return PortfolioError(message.replace(" Fix:", f" (read as {layout}). Fix:", 1))


def _refuse_cut_short(text: str, lines: list[str], name: str, layout: str, delimiter: str = ",") -> None:
    """One line, not a misread number, when the download stopped in the middle of the last row."""
    line = cut_short(text, lines, delimiter)
    if line is not None:
        raise PortfolioError(located(f"the file ends in the middle of this row, so it was cut short (read as "
                                     f"{brokers.LABELS.get(layout, layout)})", file=name, row=line,
                                     fix="download the export again and do not edit it."))


def line_table(holdings: Holdings) -> pd.DataFrame:
    """One row per classified line of the file: ``line, class, ticker, account, currency, value, reason``.

    Values are as the file gives them (local currency). For a file read by the generic reader only the
    holding rows are listed (its skipped lines are named in the notes).
    """
    if holdings.statement is not None:
        records = [{"line": r.line, "class": r.kind, "ticker": r.ticker or r.identifier, "account": r.account,
                    "currency": r.currency, "value": r.value, "reason": r.reason or _REASONS.get(r.kind, "")}
                   for r in holdings.statement.rows]
    else:
        records = [{"line": row, "class": "cash" if ticker in CASH_TICKERS else "security", "ticker": ticker,
                    "account": account, "currency": currency, "value": amount, "reason": holdings.kind}
                   for ticker, amount, currency, account, row in holdings.table[
                       ["ticker", "amount", "currency", "account", "row"]].itertuples(index=False)]
    return pd.DataFrame(records, columns=LINE_COLUMNS)
