"""Reading the deal web's CSV files (companies, deals, aliases) and validating every row.

The inputs side of :class:`exposure.dealweb.DealWeb`: one safe CSV reader (regular files only, size and shape
limits, line numbers kept) and pydantic validation, refusing a bad row with one line naming the file, row
(line number in the file), column and the fix. The bundled files (``plain=True``, checked by
``exposure data check`` in the tests) are read with plain checks of the same constraints
(:data:`COMPANY_FIELDS`, :data:`DEAL_FIELDS`), which spare a cold ``exposure score`` loading pydantic; a row
that fails them still goes to pydantic, so the error is the same.
"""

from __future__ import annotations

import csv
import difflib
import functools
import io
import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from exposure._plain import Choice, Field, Number, Text, plain_record
from exposure.errors import DealWebError, located
from exposure.files import check_shape, read_text
from exposure.taxonomy import DealType, Layer, SourceKind, Status

COMPANY_COLUMNS = ["id", "name", "ticker", "layer", "revenue_usd_bn", "market_cap_usd_bn", "as_of",
                   "source_url", "notes"]
DEAL_COLUMNS = ["id", "payer", "payee", "type", "amount_usd_bn", "duration_years", "announced", "status",
                "source_url", "notes"]
OPTIONAL_DEAL_COLUMNS = ["capacity_gw", "firm_usd_bn", "source_kind", "source_url_2", "checked"]
_FIXES = {
    "type": "use one of equity_investment, cloud_compute_contract, chip_supply, custom_chip_partnership, "
            "data_center_project, licensing_partnership, other.",
    "status": "use one of completed, announced, reported, rumored, lapsed, terminated.",
    "source_kind": "use one of filing, company_release, news, aggregator, or leave it blank.",
    "checked": "write the date the status was last checked as YYYY-MM-DD, or leave it blank.",
    "layer": "use one of model_lab, hyperscaler_cloud, neocloud, semiconductor, foundry_equipment, "
             "networking_hardware, data_center_power, investor, application, other.",
    "announced": "write the date as YYYY-MM or YYYY-MM-DD.",
    "source_url": "give the URL of the public report the row comes from.",
    "id": "give every row a non-empty id (companies: lowercase letters, digits and _).",
    "amount_usd_bn": "write the amount in USD billions (0 or more), or leave it blank if undisclosed.",
    "firm_usd_bn": "write the firm part in USD billions (0 or more), or leave it blank.",
    "capacity_gw": "write the capacity in gigawatts (0 or more), or leave it blank.",
    "duration_years": "write the term in years (more than 0), or leave it blank to use the default.",
    "revenue_usd_bn": "write the latest fiscal-year revenue in USD billions (0 or more), or leave it blank.",
    "market_cap_usd_bn": "write the market cap in USD billions (more than 0), or leave it blank if private.",
}
Source = str | Path | io.StringIO
#: The constraints of :class:`exposure.models.Company` and :class:`exposure.models.Deal`, field by field, as plain
#: checks (tests/test_dealweb_plain.py checks that they match the models).
COMPANY_FIELDS: dict[str, Field] = {
    "id": Text(required=True, min_length=1, pattern=r"^[a-z0-9_]+$"), "name": Text(required=True, min_length=1),
    "ticker": Text(), "layer": Choice(Layer), "revenue_usd_bn": Number(ge=0), "market_cap_usd_bn": Number(gt=0),
    "as_of": Text(), "source_url": Text(), "notes": Text(),
}
DEAL_FIELDS: dict[str, Field] = {
    "id": Text(required=True, min_length=1), "payer": Text(required=True, min_length=1),
    "payee": Text(required=True, min_length=1), "type": Choice(DealType), "amount_usd_bn": Number(ge=0),
    "duration_years": Number(gt=0), "announced": Text(required=True, pattern=r"^\d{4}-\d{2}(-\d{2})?$"),
    "status": Choice(Status), "source_url": Text(required=True, min_length=1), "notes": Text(),
    "capacity_gw": Number(ge=0), "firm_usd_bn": Number(ge=0), "source_kind": Choice(SourceKind, required=False),
    "source_url_2": Text(), "checked": Text(pattern=r"^\d{4}-\d{2}-\d{2}$"),
}


def data_file(name: str) -> Path:
    """A file of the bundled data (``exposure/data``)."""
    return Path(str(resources.files("exposure") / "data" / name))


@functools.cache
def diversifier_funds() -> dict[str, tuple[str, str]]:
    """The bundled diversifier funds of ``universe.csv`` (broad, sector, ex-US, bond): ticker -> (name, layer).

    ``suggest`` buys them; one held without bundled holdings (AGG, XLE) is a known fund outside the deal web,
    never an unmapped ticker (a typo)."""
    with data_file("universe.csv").open(encoding="utf-8") as handle:
        return {row["ticker"].strip().upper(): (row["name"].strip(), row["layer"].strip() or "other")
                for row in csv.DictReader(handle)}


def blank(value: object) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value)) or value == ""


@dataclass
class Rows:
    """A CSV file's rows as stripped text, each as long as the header, and each row's line number in the file."""

    name: str
    header: list[str]
    rows: list[list[str]]
    lines: list[int]

    def records(self) -> Iterator[tuple[int, dict[str, str | None]]]:
        """``(line, {column: text or None when blank})`` for each row."""
        for line, cells in zip(self.lines, self.rows, strict=True):
            yield line, {column: (cell or None) for column, cell in zip(self.header, cells, strict=True)}


def read_table(source: Source, required: list[str], what: str) -> tuple[pd.DataFrame, str]:
    """All cells as stripped text; ``frame.attrs["lines"]`` holds each row's line number in the file."""
    table = read_rows(source, required, what)
    frame = pd.DataFrame(table.rows, columns=table.header, dtype=object)
    frame.attrs["lines"] = table.lines
    return frame, table.name


def read_rows(source: Source, required: list[str], what: str) -> Rows:
    """The rows of a CSV file (regular files only, size and shape limits); DealWebError naming the file, row and
    fix for a file that is not a CSV with a header holding ``required``."""
    name = source_name(source)
    if isinstance(source, io.StringIO):
        text = source.getvalue()
        check_shape(text, name, what=what, error=DealWebError)
    else:
        text = read_text(source, what=what, error=DealWebError).text
    if "\x00" in text:
        raise DealWebError(f"{name}: the {what} file contains NUL bytes, it is not a text CSV. "
                           "Fix: save it as UTF-8 comma-separated values with a header row.")
    reader = csv.reader(io.StringIO(text.replace("\r\n", "\n").replace("\r", "\n")), strict=True)
    header: list[str] | None = None
    rows: list[list[str]] = []
    lines: list[int] = []
    previous = 0
    try:
        for cells in reader:
            line, previous = previous + 1, reader.line_num
            cells = [c.strip() for c in cells]
            if not any(cells):
                continue
            if header is None:
                header = cells
                while header and header[-1] == "":
                    header.pop()
                continue
            if any(cells[len(header):]):
                raise DealWebError(located(f"{len(cells)} fields but the header has {len(header)}", file=name,
                                           row=line, fix="quote fields that contain a comma, or fix the row."))
            rows.append((cells + [""] * len(header))[: len(header)])
            lines.append(line)
    except csv.Error as error:
        if "unexpected end of data" in str(error):
            raise DealWebError(located("a quote opened on this row is never closed", file=name, row=previous + 1,
                                       fix='close the quote ("...") or remove it.')) from None
        raise DealWebError(located(f"cannot read the {what} file as CSV ({error})", file=name, row=previous + 1,
                                   fix="save it as UTF-8 comma-separated values with a header row.")) from None
    if header is None:
        raise DealWebError(located(f"the {what} file is empty", file=name,
                                   fix=f"add a header row with {', '.join(required)}."))
    duplicated = sorted({c for c in header if header.count(c) > 1})
    if duplicated:
        raise DealWebError(located(f"duplicate column(s) {', '.join(repr(c) for c in duplicated)}", file=name,
                                   row=1, fix="keep one column of each name."))
    missing = [c for c in required if c not in header]
    if missing:
        raise DealWebError(located(f"missing column(s) {', '.join(missing)}", file=name,
                                   fix=f"the header must include {', '.join(required)}."))
    return Rows(name, header, rows, lines)


def source_name(source: Source) -> str:
    return getattr(source, "name", None) or ("<text>" if isinstance(source, io.StringIO) else str(source))


def table_line(frame: pd.DataFrame, position: int) -> int:
    """Line number in the file of the frame's row at ``position``."""
    lines = frame.attrs.get("lines")
    return lines[position] if lines else position + 2


def _validated(table: Rows, fields: dict[str, Field], plain: bool) -> list[dict]:
    """Each row as the model's ``model_dump(mode="json")`` (``fields`` says which model); DealWebError naming the
    row, column and fix for the first bad value. ``plain``: rows that pass :data:`fields`' plain checks skip
    pydantic."""
    name, records = table.name, []
    for row, values in table.records():
        record = plain_record(values, fields) if plain else None
        if record is None:
            record = _pydantic_record(values, fields, name, row)
        for column, value in record.items():
            if isinstance(value, float) and not math.isfinite(value):
                raise DealWebError(located(f"{values.get(column)!r} is not a finite number", file=name, row=row,
                                           column=column, fix=_FIXES.get(column, "write a plain number.")))
        for column in ("announced", "checked"):
            when = record.get(column)
            if isinstance(when, str):
                _check_calendar_date(when, name, row, column)
        records.append(record)
    return records


def _pydantic_record(values: dict, fields: dict[str, Field], name: str, row: int) -> dict:
    """One row validated by its pydantic model (:class:`exposure.models.Company` for :data:`COMPANY_FIELDS`,
    else :class:`exposure.models.Deal`), dumped as JSON values; DealWebError worded from pydantic's error."""
    from pydantic import ValidationError

    from exposure.models import Company, Deal

    model = Company if fields is COMPANY_FIELDS else Deal
    try:
        return model.model_validate(values).model_dump(mode="json")
    except ValidationError as error:
        first = error.errors()[0]
        column = str(first["loc"][0]) if first["loc"] else None
        shown = values.get(column) if column else None
        if shown is None and first["type"] in ("missing", "string_type", "int_type", "float_type", "enum"):
            message = f"missing {column}"
        else:
            message = f"{first['msg'].lower()} (got {shown!r})" if shown is not None else first["msg"].lower()
        fix = _FIXES.get(column or "", f"correct the value of '{column}'.")
        raise DealWebError(located(message, file=name, row=row, column=column, fix=fix)) from None


def _check_yearly(record: dict, name: str, row: int) -> None:
    """An amount spread over its term must stay a finite number of USD bn a year (1e308 over 1e-10 years is not)."""
    years = record.get("duration_years")
    for column in ("amount_usd_bn", "firm_usd_bn"):
        amount = record.get(column)
        if amount is not None and years is not None:
            yearly = float(amount) / float(years)  # years > 0 (checked); a float overflow gives inf
            if not math.isfinite(yearly):
                raise DealWebError(located(f"{amount:g} over {years:g} years overflows the yearly amount",
                                           file=name, row=row, column=column,
                                           fix="check the amount (USD bn) and the term (years)."))


def _check_calendar_date(when: str, name: str, row: int, column: str) -> None:
    try:
        date.fromisoformat(when if len(when) == 10 else f"{when}-01")
    except ValueError:
        raise DealWebError(located(f"'{when}' is not a calendar date", file=name, row=row, column=column,
                                   fix=_FIXES[column])) from None


def _first_time(record_id: str, seen: dict[str, int], row: int, name: str, what: str, fix: str) -> None:
    """Record ``record_id`` at ``row``; DealWebError naming both rows when it was seen before."""
    if record_id in seen:
        raise DealWebError(located(f"duplicate {what} id '{record_id}' (first on row {seen[record_id]})",
                                   file=name, row=row, column="id", fix=fix))
    seen[record_id] = row


def read_companies(source: Source, plain: bool = False) -> pd.DataFrame:
    """Companies indexed by id; ``plain`` for our own (bundled) files: valid rows skip pydantic."""
    table = read_rows(source, ["id", "name", "ticker", "layer"], "companies")
    name, records = table.name, _validated(table, COMPANY_FIELDS, plain)
    seen: dict[str, int] = {}
    for row, record in zip(table.lines, records, strict=True):
        _first_time(record["id"], seen, row, name, "company", "give each company one row.")
        if record["market_cap_usd_bn"] is not None and not record["ticker"]:
            raise DealWebError(located(f"company '{record['id']}' has a market cap but no ticker", file=name,
                                       row=row, column="ticker",
                                       fix="give a listed company its Yahoo ticker, or leave its market cap blank."))
    companies = pd.DataFrame(records, columns=COMPANY_COLUMNS).set_index("id")
    companies["ticker"] = companies["ticker"].replace("", None)
    for column in ("revenue_usd_bn", "market_cap_usd_bn"):
        companies[column] = companies[column].astype(float)
    return companies


def read_deals(source: Source, company_ids: set[str], companies_file: Source | None = None,
               plain: bool = False) -> pd.DataFrame:
    """Deals checked against ``company_ids``; ``plain`` for our own (bundled) files: valid rows skip pydantic."""
    table = read_rows(source, DEAL_COLUMNS[:4] + ["announced", "status", "source_url"], "deals")
    name, records = table.name, _validated(table, DEAL_FIELDS, plain)
    seen: dict[str, int] = {}
    for row, record in zip(table.lines, records, strict=True):
        _first_time(record["id"], seen, row, name, "deal", "give each deal a unique id.")
        for column in ("payer", "payee"):
            if record[column] not in company_ids:
                close = difflib.get_close_matches(record[column], sorted(company_ids), n=1)
                hint = f" Did you mean '{close[0]}'?" if close else ""
                where = f" in {source_name(companies_file)}" if companies_file is not None else ""
                raise DealWebError(located(f"unknown company '{record[column]}'.{hint}", file=name, row=row,
                                           column=column, fix=f"use a company id{where} or add the company."))
        if record["payer"] == record["payee"]:
            raise DealWebError(located(f"company '{record['payer']}' deals with itself", file=name, row=row,
                                       column="payee", fix="a deal needs two different companies."))
        _check_yearly(record, name, row)
    deals = pd.DataFrame(records, columns=DEAL_COLUMNS + OPTIONAL_DEAL_COLUMNS)
    for column in ("amount_usd_bn", "duration_years", "capacity_gw", "firm_usd_bn"):
        deals[column] = deals[column].astype(float)
    return deals


def read_aliases(source: Source, company_ids: set[str]) -> dict[str, str]:
    table = read_rows(source, ["alias", "company_id"], "aliases")
    aliases = {}
    for row, values in table.records():
        alias, cid = values["alias"] or "", values["company_id"] or ""
        if cid not in company_ids:
            raise DealWebError(located(f"unknown company '{cid}'", file=table.name, row=row,
                                       column="company_id", fix="use a company id from companies.csv."))
        aliases[alias.upper()] = cid
    return aliases
