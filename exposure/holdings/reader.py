"""From a file on disk to a table of text cells: size limits, encodings, header search, CSV quirks.

:func:`read_bytes` is the one place that opens a holdings file, so a shared safe reader can replace it.
Broker readers (:mod:`exposure.holdings.brokers`) work on the decoded lines; the generic reader uses
:func:`parse_table`.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Callable

import pandas as pd

from exposure.errors import PortfolioError, located
from exposure.holdings.numbers import clean_cell

#: Holdings files above this size are refused before reading: a portfolio is a few thousand rows at most.
MAX_FILE_BYTES = 20 * 1024 * 1024
#: Holdings files with more data rows are refused while reading (parsing stays well under a few seconds).
MAX_ROWS = 100_000
#: How far down a broker's preamble the header row is looked for.
HEADER_SEARCH_LINES = 50


def read_bytes(path: str | os.PathLike[str]) -> bytes:
    """The bytes of a holdings file through the one safe reader (:func:`exposure.files.read_bytes`): a regular
    file only (a FIFO, device or folder is named, never read), the size checked before anything is read."""
    from exposure import files

    return files.read_bytes(path, what="holdings", error=PortfolioError, max_bytes=MAX_FILE_BYTES)


def check_size(size: int, name: str) -> None:
    """Refuse a holdings file over :data:`MAX_FILE_BYTES`."""
    if size > MAX_FILE_BYTES:
        raise PortfolioError(located(f"file is {size / 1e6:.0f} MB; holdings files are limited to "
                                     f"{MAX_FILE_BYTES / 1e6:.0f} MB", file=name,
                                     fix="split it, or aggregate positions per ticker first."))


def split_lines(text: str) -> list[str]:
    """Lines of a file whatever its newline convention (``\\r\\n``, ``\\n``, ``\\r``)."""
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def comma_lines(lines: list[str]) -> list[str]:
    """The lines as comma-separated CSV, whichever of ``,``, ``;``, tab or ``|`` the file uses.

    The delimiter is the one that splits the first 20 non-blank lines into the most cells (a file saved
    by a European Excel uses ``;``, and its decimal commas are then quoted here, not split).
    """
    sample = [line for line in lines if line.strip()][:20]
    counts = {d: sum(len(_raw_cells(line, d)) for line in sample) for d in (",", ";", "\t", "|")}
    delimiter = max(counts, key=lambda d: (counts[d], d == ","))
    if delimiter == ",":
        return lines
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for line in lines:
        writer.writerow(_raw_cells(line, delimiter))
    return out.getvalue().split("\n")[: len(lines)]


def _raw_cells(line: str, delimiter: str) -> list[str]:
    try:
        return next(csv.reader([line], delimiter=delimiter), [])
    except csv.Error:
        return [line]


def cut_short(text: str, lines: list[str], delimiter: str = ",") -> int | None:
    """The line number of a last row cut short (a download interrupted mid-row), or None.

    Only a file that does not end with a newline is suspect; its last line is cut when it has an unclosed
    quote, or fewer cells than the line above it while both have several (a one-cell footer is fine).
    """
    if not text or text.endswith(("\n", "\r")):
        return None
    numbered = [(k, line) for k, line in enumerate(lines, start=1) if line.strip()]
    if len(numbered) < 2:
        return None
    (_, previous), (number, last) = numbered[-2], numbered[-1]
    if last.count('"') % 2:
        return number
    before, after = len(_raw_cells(previous, delimiter)), len(_raw_cells(last, delimiter))
    return number if 1 < after < before else None


#: Header cells of transaction (activity) exports, in the languages brokers write them: a per-row date or time
#: column and a column saying what happened (or a ledger's order id / running balance) mark one.
_ACTIVITY_DATE = re.compile(r"^(date|time|datum|tijd|data|fecha|timestamp|datetime)\b|\b(date|time|datum|timestamp)$"
                            r"|^(settledate|tradedate|valutadatum|date/time)$")
#: Date columns of position exports (statement date, option expiry, lot acquired): they mark no activity.
_POSITION_DATES = frozenset({"cob date", "reportdate", "report date", "as of date", "as of", "exp date",
                             "expiration date", "expiry date", "date acquired", "acquired date", "maturity date",
                             "open date", "last update time", "update time"})
_ACTIVITY_ACTIONS = frozenset({
    "action", "type", "side", "way", "category", "transaction", "transaction type", "transaction category",
    "transaction kind", "transaction description", "trans code", "activity", "activity type", "buy/sell",
    "buy / sell", "typ av transaktion", "type de transaction", "transactietype", "type mutatie", "mutatie",
    "tipo operazione", "tipo de operación", "tipo", "order id", "order #", "order number", "operation id",
    "transaction id", "tx-id", "transaction hash", "saldo", "balance"})


def _activity_key(cell: str) -> str:
    """A header cell for the activity test: lower-case, single-spaced, a trailing ``(CET)``/``(UTC)`` dropped."""
    return re.sub(r"\s*\([^)]*\)$", "", " ".join(cell.lower().split()))


def refuse_activity(lines: list[str], name: str) -> None:
    """Refuse a transactions (activity) export, whose Symbol/Quantity/Price columns would read as holdings.

    Checked on the first 50 lines with every delimiter: a header with a per-row date (``Date``, ``Time``,
    ``Datum``, ``Trade Date``, ``Timestamp (UTC)``...) and an action, order id or running balance column.
    """
    for number, line in enumerate(lines[:HEADER_SEARCH_LINES], start=1):
        for delimiter in (",", ";", "\t"):
            cells = [_activity_key(c) for c in _raw_cells(line, delimiter)]
            dates = [c for c in cells if _ACTIVITY_DATE.search(c) and c not in _POSITION_DATES]
            actions = [c for c in cells if c in _ACTIVITY_ACTIONS]
            if len(cells) > 2 and dates and actions:
                raise PortfolioError(located(f"a transactions (activity) export: its '{dates[0]}' and "
                                             f"'{actions[0]}' columns list trades, not the positions held",
                                             file=name, row=number,
                                             fix="download the positions (holdings) export of the account "
                                                 "instead."))


def cells_of(line: str, delimiter: str = ",") -> list[str]:
    """The cleaned cells of one CSV line ([] when the line is not valid CSV)."""
    try:
        return [clean_cell(c) for c in next(csv.reader([line], delimiter=delimiter, skipinitialspace=True), [])]
    except csv.Error:
        return []


def decode(raw: bytes, name: str = "<input>") -> tuple[str, str | None]:
    """Text of a holdings file and a note when it was not UTF-8: the one rule of :func:`exposure.files.decode`
    (UTF-16 with a BOM, else UTF-8 with or without BOM, else Windows-1252, else latin-1); refuses workbooks and
    binary files, and files over the row or column limits."""
    from exposure import files

    text, note = files.decode(raw, name, error=PortfolioError)
    files.check_shape(text, name, what="holdings", error=PortfolioError)  # row and column limits, before parsing
    return text, note


def refuse_binary(text: str, name: str) -> None:
    if "\x00" in text:
        raise PortfolioError(located("the file contains NUL bytes: it is not a text CSV", file=name,
                                     fix="export the holdings as CSV (comma or semicolon separated text)."))


def parse_table(text: str, name: str, is_ticker: Callable[[str], bool]) -> pd.DataFrame:
    """Find the header row (it may follow a broker's preamble), sniff the delimiter, read all as text.

    Returns a DataFrame of text cells with ``attrs``: ``header_line`` and ``lines`` (line numbers in
    the file of the header and of each row) and ``delimiter``.
    """
    refuse_binary(text, name)
    lines = split_lines(text)
    if not any(line.strip() for line in lines):
        raise PortfolioError(located("file is empty", file=name,
                                     fix="add a header row (ticker,weight) and one row per holding."))
    header_index, delimiter = _find_header(lines, name, is_ticker)
    body = io.StringIO("\n".join(lines[header_index:]))
    reader = csv.reader(body, delimiter=delimiter, quotechar='"', skipinitialspace=True)
    data: list[list[str]] = []
    row_lines: list[int] = []
    header: list[str] = []
    previous = 0
    try:
        for cells in reader:
            line = header_index + previous + 1  # the record's first line in the file
            previous = reader.line_num
            if any("\n" in c for c in cells):
                raise PortfolioError(located("a quote opened on this row is never closed", file=name, row=line,
                                             fix='close the quote ("...") or remove it.'))
            cells = [clean_cell(c) for c in cells]
            if not header:
                header = _header_cells(cells)
                continue
            if not any(cells):
                continue
            extra = cells[len(header):]
            if any(extra):
                raise PortfolioError(located(f"{len(cells)} fields but the header has {len(header)}", file=name,
                                             row=line, fix="quote fields that contain the delimiter (a number "
                                                           'with a thousands separator: "1,234.56"), or fix the row.'))
            data.append((cells + [""] * len(header))[: len(header)])
            row_lines.append(line)
            if len(data) > MAX_ROWS:
                raise PortfolioError(located(f"more than {MAX_ROWS:,} rows of holdings", file=name, row=line,
                                             fix="aggregate positions per ticker first, or split the file."))
    except csv.Error as error:
        raise PortfolioError(located(f"cannot read the file as CSV ({error})", file=name,
                                     row=header_index + previous + 1,
                                     fix="save it as plain comma-separated text.")) from None
    frame = pd.DataFrame(data, columns=header, dtype=object)
    frame.attrs.update(header_line=header_index + 1, lines=row_lines, delimiter=delimiter)
    if frame.empty:
        raise PortfolioError(located("header only, no holdings", file=name, row=header_index + 1,
                                     fix="add one row per holding under the header."))
    return frame


def _find_header(lines: list[str], name: str, is_ticker: Callable[[str], bool]) -> tuple[int, str]:
    """Index of the first line (of the first 50) with a ticker column, and its delimiter."""
    for index, line in enumerate(lines[:HEADER_SEARCH_LINES]):
        for candidate in (",", ";", "\t", "|"):
            if candidate not in line:
                continue
            try:
                cells = next(csv.reader([line], delimiter=candidate, quotechar='"', skipinitialspace=True), [])
            except csv.Error:
                continue
            if len(cells) > 1 and any(is_ticker(c) for c in cells):
                return index, candidate
    raise PortfolioError(located(f"no header row with a 'ticker' (or 'symbol') column in the first "
                                 f"{HEADER_SEARCH_LINES} lines, and not a Fidelity, Schwab, Vanguard, E*TRADE, "
                                 "Merrill, Interactive Brokers (statement, Flex or TWS), thinkorswim, DEGIRO, "
                                 "Wealthsimple, Zerodha, Futu, Trading 212 Pie, Yahoo Finance or Hargreaves Lansdown "
                                 "positions export", file=name,
                                 fix="export your broker's positions as CSV, or add a header row such as: "
                                     "ticker,weight"))


def _header_cells(cells: list[str]) -> list[str]:
    header = list(cells)
    while header and header[-1] == "":
        header.pop()  # trailing delimiter
    return [cell or f"column {k + 1}" for k, cell in enumerate(header)]


