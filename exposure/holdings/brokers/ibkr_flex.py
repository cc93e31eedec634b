"""Interactive Brokers Flex Query CSV: one or several tables, with or without IBKR's record markers.

A Flex Query file is one table per section (Open Positions, Trades, Cash Report...), each with its own
header row. With "Include header and trailer records" the lines carry markers: ``BOF``/``BOA``/``BOS``
... ``EOS``/``EOA``/``EOF`` lines, and ``"HEADER","POST",...`` / ``"DATA","POST",...`` prefixes (``POST``
is Open Positions); some exports prefix ``OpenPositions,Header`` / ``OpenPositions,Data`` instead.

Positions: a header with ``Symbol``, ``Quantity`` (or ``Position``) and ``PositionValue`` (or
``MarkPrice``); ``LevelOfDetail``/``DataDiscriminator`` ``LOT`` rows are lots of the ``SUMMARY`` row
above them. ``AssetClass`` ``CASH`` is cash; ``OPT``/``FOP``/``FUT``/``WAR``/``CFD`` are derivatives.
Cash: a Cash Report section (``EndingCash`` per ``CurrencyPrimary``): its per-currency rows, or its
base-currency row when the query has no currency breakout. Every other section is text.
"""

from __future__ import annotations

from exposure.holdings.brokers._common import Header, key, text_row
from exposure.holdings.numbers import number_or_none
from exposure.holdings.rows import Row, option_underlying
from exposure.holdings.statement import Statement

_MARKERS = ("bof", "boa", "bos", "eos", "eoa", "eof", "msg")
_DERIVATIVES = ("opt", "fop", "fut", "war", "cfd", "iopt")
#: Flex field names that mark a line as a header (with no number in it).
_FIELDS = frozenset({"clientaccountid", "accountalias", "currencyprimary", "assetclass", "symbol", "description",
                     "conid", "isin", "quantity", "position", "markprice", "positionvalue", "reportdate",
                     "levelofdetail", "tradeprice", "tradedate", "endingcash", "multiplier", "costbasismoney",
                     "underlyingsymbol", "fxratetobase", "subcategory", "listingexchange", "amount", "datetime"})


def _flat(cell: str) -> str:
    return key(cell).replace(" ", "")


def split(cells: list[str]) -> tuple[str, list[str]]:
    """``(record kind, cells)``: ``header``/``data`` when the line carries IBKR's prefix, else ``""``."""
    if len(cells) > 2 and _flat(cells[0]) in ("header", "data") and len(cells[1]) <= 6:
        return _flat(cells[0]), cells[2:]
    if len(cells) > 2 and _flat(cells[1]) in ("header", "data") and _flat(cells[0]) == "openpositions":
        return _flat(cells[1]), cells[2:]
    return "", cells


def is_positions_header(cells: list[str]) -> bool:
    """A Flex Open Positions header."""
    keys = {_flat(c) for c in cells}
    return "symbol" in keys and bool({"quantity", "position", "posqty"} & keys) and bool(
        {"positionvalue", "markprice"} & keys)


def _is_header(kind: str, cells: list[str]) -> bool:
    if kind:
        return kind == "header"
    names = [_flat(c) for c in cells if c.strip()]
    return sum(n in _FIELDS for n in names) >= 2 and not any(number_or_none(c) is not None for c in cells)


def is_flex(found: list[tuple[int, list[str]]]) -> bool:
    """A Flex Query file: a marker line first, or a Flex header among the first lines."""
    if found and _flat(found[0][1][0]) == "bof":
        return True
    for _, cells in found[:20]:
        kind, body = split(cells)
        if is_positions_header(body) or (_is_header(kind, body) and "clientaccountid" in {_flat(c) for c in body}):
            return True
    return False


def read(found: list[tuple[int, list[str]]], source: str) -> Statement:
    """Classify every line of a Flex Query CSV file."""
    rows: list[Row] = []
    header: Header | None = None
    section = ""
    for line, cells in found:
        kind, body = split(cells)
        if _flat(cells[0]) in _MARKERS:
            rows.append(text_row(line, f"{cells[0]} record"))
        elif _is_header(kind, body):
            header = Header([c.replace(" ", "") for c in body])
            keys = {_flat(c) for c in body}
            section = "positions" if is_positions_header(body) else "cash" if "endingcash" in keys else "other"
            rows.append(text_row(line, f"{section} header"))
        elif header is None or section == "other":
            rows.append(text_row(line, "another section of the query"))
        elif section == "cash":
            rows.append(_cash(line, header, body))
        else:
            rows.append(_position(line, header, body))
    _keep_one_cash_level(rows)
    return Statement("ibkr", "Interactive Brokers Flex Query", source, rows)


def _position(line: int, header: Header, cells: list[str]) -> Row:
    """One Open Positions data row."""
    shares = header.number(cells, "Quantity", "Position", "PosQty")
    value = header.number(cells, "PositionValue")
    if value is None and (mark := header.number(cells, "MarkPrice")) is not None:
        value = mark * (shares or 0.0) * (header.number(cells, "Multiplier") or 1.0)
    row = Row(line=line, kind="security", ticker=header.cell(cells, "Symbol").upper(),
              name=header.cell(cells, "Description"),
              account=header.cell(cells, "ClientAccountID", "AccountAlias"),
              currency=header.cell(cells, "CurrencyPrimary", "Currency").upper(), value=value, shares=shares,
              identifier=header.cell(cells, "ISIN"), cost=header.number(cells, "CostBasisMoney"),
              price=header.number(cells, "MarkPrice"))
    asset = key(header.cell(cells, "AssetClass"))
    if key(header.cell(cells, "LevelOfDetail", "DataDiscriminator")) == "lot":
        row.kind, row.reason = "lot", "lot of a SUMMARY row"
    elif asset == "cash":
        row.kind = "cash"
    elif asset in _DERIVATIVES:
        row.kind = "derivative"
        row.underlying = (header.cell(cells, "UnderlyingSymbol") or option_underlying(row.ticker)
                          or row.ticker.split()[0])
    return row


def _cash(line: int, header: Header, cells: list[str]) -> Row:
    """A Cash Report row: ``EndingCash`` in its ``CurrencyPrimary``; the detail level goes in ``reason``."""
    currency = header.cell(cells, "CurrencyPrimary", "Currency").upper()
    value = header.number(cells, "EndingCash")
    detail = key(header.cell(cells, "LevelOfDetail"))
    if value is None or not currency or "SUMMARY" in currency or "summary" in detail:
        return text_row(line, "Cash Report summary line")
    return Row(line=line, kind="cash", name=f"cash {currency}", currency=currency, value=value,
               account=header.cell(cells, "ClientAccountID"), reason=key(header.cell(cells, "LevelOfDetail")))


def _keep_one_cash_level(rows: list[Row]) -> None:
    """Per-currency cash rows when there are any, else the base-currency rows: never both (that double counts)."""
    cash = [r for r in rows if r.kind == "cash" and r.reason in ("currency", "basecurrency")]
    if any(r.reason == "currency" for r in cash):
        for row in cash:
            if row.reason == "basecurrency":
                row.kind, row.reason = "text", "base-currency summary of the per-currency cash rows"
    for row in cash:
        if row.kind == "cash":
            row.reason = ""
