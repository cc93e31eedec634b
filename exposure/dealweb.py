"""The deal web: companies (nodes) and deals (edges), loaded, validated, filtered by date, resolved by name.

Every deal carries a source URL, an announcement date and a status; loading refuses a file that breaks
that promise with one line naming the file, row (line number in the file), column and the fix.
"""

from __future__ import annotations

import csv
import difflib
import html
import io
import math
from datetime import date
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from exposure._compat import renamed
from exposure.errors import DealWebError, located
from exposure.files import check_shape, read_text
from exposure.financials import figures_at, later_note, read_financials
from exposure.network import Sensitivity, build_sensitivity

if TYPE_CHECKING:
    import networkx

    from exposure.models import Company, Deal, ExposureModel

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


def _data_file(name: str) -> Path:
    return Path(str(resources.files("exposure") / "data" / name))


class DealWeb:
    """Companies and deals, validated. Build with :meth:`bundled` or :meth:`from_csv`.

    Attributes
    ----------
    companies : DataFrame indexed by company id (``name, ticker, layer, revenue_usd_bn, market_cap_usd_bn,
        as_of, source_url, notes``; figures in USD bn, NaN where no dated source was found).
    deals : DataFrame of deals (``id, payer, payee, type, amount_usd_bn, duration_years, announced, status,
        source_url, notes, capacity_gw, firm_usd_bn, source_kind, source_url_2, checked``; the last five may be
        blank). Lapsed and terminated deals stay listed; they count 0 under the default model.
    aliases : extra names and tickers (upper case) that resolve to a company id.
    cutoff : the as-of date the deals and figures were taken at, or None.
    financials : dated revenue and market-cap rows (``exposure/data/financials.csv``), or None.
    notes : what :meth:`as_of` could not date (figures taken from after the cutoff).
    """

    def __init__(self, companies: pd.DataFrame, deals: pd.DataFrame, aliases: dict[str, str] | None = None,
                 cutoff: date | None = None, financials: pd.DataFrame | None = None,
                 notes: list[str] | None = None) -> None:
        self.companies = companies
        self.deals = deals.reset_index(drop=True)
        self.aliases = dict(aliases or {})
        self.cutoff = cutoff
        self.financials = financials
        self.notes = list(notes or [])
        self._sensitivity: dict[str, Sensitivity] = {}

    # ----------------------------------------------------------------------------------------- loading
    @classmethod
    def bundled(cls) -> DealWeb:
        """The web shipped with the package (``exposure/data``), sourced and dated; see its SOURCES.md."""
        dated = _data_file("financials.csv")
        return cls.from_csv(_data_file("companies.csv"), _data_file("deals.csv"), _data_file("aliases.csv"),
                            financials=dated if dated.exists() else None)

    @classmethod
    def from_csv(cls, companies: Source, deals: Source, aliases: Source | None = None,
                 financials: Source | None = None) -> DealWeb:
        """Load and validate a web from CSV files in the bundled format (see README, "Data"); ``financials``
        holds dated figures for :meth:`as_of` (see :mod:`exposure.financials`)."""
        company_frame = _read_companies(companies)
        deal_frame = _read_deals(deals, set(company_frame.index), companies_file=companies)
        alias_map = _read_aliases(aliases, set(company_frame.index)) if aliases is not None else {}
        dated = read_financials(financials, set(company_frame.index)) if financials is not None else None
        return cls(company_frame, deal_frame, alias_map, financials=dated)

    def with_deals(self, path: Source) -> DealWeb:
        """A new web with a user's deals file merged in (same format); a row with an existing id replaces it."""
        extra = _read_deals(path, set(self.companies.index))
        kept = self.deals[~self.deals["id"].isin(extra["id"])]
        return self._replace(deals=pd.concat([kept, extra], ignore_index=True))

    def with_fundamentals(self, figures: pd.DataFrame) -> DealWeb:
        """A new web with market caps and revenues replaced where ``figures`` (indexed by id) has them."""
        companies = self.companies.copy()
        for column in ("market_cap_usd_bn", "revenue_usd_bn", "as_of"):
            if column in figures:
                update = figures[column].dropna()
                companies.loc[update.index.intersection(companies.index), column] = update
        return self._replace(companies=companies)

    def with_market_figures(self, figures: pd.DataFrame) -> DealWeb:
        """A new web with a market-data provider's fresh figures (``fundamentals()``: indexed by ticker, with
        ``market_cap_usd_bn, revenue_usd_bn, as_of, source``); rows from the snapshot are ignored."""
        if figures.empty or "source" not in figures:
            return self
        by_id = {t: cid for cid, t in self.listed["ticker"].items()}
        fresh = figures[figures["source"].isin(["live", "cache"]) & figures.index.isin(list(by_id))]
        return self if fresh.empty else self.with_fundamentals(fresh.rename(index=by_id))

    def as_of(self, when: str | date) -> DealWeb:
        """The web as it stood on ``when``: only deals announced on or before it (a month counts from its 1st),
        and each company's latest revenue and market cap dated on or before it (:attr:`financials`).

        A figure with no dated row on or before ``when`` keeps its later ``companies.csv`` value, and the new
        web's :attr:`notes` say which (analyze() reports them).
        """
        cutoff = parse_as_of(when)
        announced = pd.to_datetime(self.deals["announced"].str.slice(0, 10), format="mixed").dt.date
        companies, later = figures_at(self.companies, self.financials, cutoff)
        note = later_note(later, self.name_of, cutoff)
        return self._replace(companies=companies, deals=self.deals[announced <= cutoff], cutoff=cutoff,
                             notes=[note] if note else [])

    def _replace(self, companies: pd.DataFrame | None = None, deals: pd.DataFrame | None = None,
                 cutoff: date | None = None, notes: list[str] | None = None) -> DealWeb:
        """A new web with the given parts changed (aliases and financials kept)."""
        return DealWeb(self.companies if companies is None else companies, self.deals if deals is None else deals,
                       self.aliases, cutoff or self.cutoff, self.financials, self.notes if notes is None else notes)

    def future_deals_note(self, today: date | None = None) -> str | None:
        """A note naming the deals announced after ``today`` (default: the date today), or None.

        Such deals are kept (a user may model a deal expected soon) but a dated web should not hold them silently.
        """
        cutoff = today or date.today()
        announced = pd.to_datetime(self.deals["announced"].str.slice(0, 10), format="mixed").dt.date
        future = self.deals.loc[announced > cutoff, "id"].astype(str).tolist()
        if not future:
            return None
        shown = ", ".join(future[:5]) + (f" and {len(future) - 5} more" if len(future) > 5 else "")
        return (f"{len(future)} deal(s) dated after today ({shown}) are counted as if already announced; "
                "check their dates, or use --as-of to leave them out.")

    # -------------------------------------------------------------------------------------- look-ups
    def resolve(self, key: str) -> str:
        """Company id for an id, name, ticker or alias (case-insensitive); DealWebError with close matches."""
        found = self._lookup.get(str(key).strip().upper())
        if found is None:
            close = difflib.get_close_matches(str(key).strip().upper(), list(self._lookup), n=3, cutoff=0.6)
            hint = f" Did you mean {', '.join(sorted({self._lookup[c] for c in close}))}?" if close else ""
            raise DealWebError(f"unknown company '{key}'.{hint} Fix: use a company id, name or ticker from "
                               "`exposure companies`.")
        return found

    def company_for_ticker(self, ticker: str) -> str | None:
        """Company id held through ``ticker`` (listing, share class or alias), or None when not in the web."""
        return self._tickers.get(normalize_ticker(ticker))

    @cached_property
    def _tickers(self) -> dict[str, str]:
        mapping = {normalize_ticker(t): cid for cid, t in self.companies["ticker"].dropna().items()}
        for alias, cid in self.aliases.items():
            mapping.setdefault(normalize_ticker(alias), cid)
        return mapping

    @cached_property
    def name_of(self) -> dict[str, str]:
        """Company id -> display name."""
        return self.companies["name"].astype(str).to_dict()

    @cached_property
    def layer_of(self) -> dict[str, str]:
        """Company id -> layer."""
        return self.companies["layer"].astype(str).to_dict()

    @cached_property
    def _lookup(self) -> dict[str, str]:
        table: dict[str, str] = {}
        for cid, row in self.companies.iterrows():
            for key in (cid, row["name"], row["ticker"]):
                if isinstance(key, str) and key:
                    table.setdefault(key.upper(), str(cid))
        for alias, cid in self.aliases.items():
            table.setdefault(alias.upper(), cid)
        for ticker, cid in self._tickers.items():
            table.setdefault(ticker, cid)
        return table

    @property
    def listed(self) -> pd.DataFrame:
        """Companies with a ticker (the ones a portfolio can hold)."""
        return self.companies[self.companies["ticker"].notna()]

    # --------------------------------------------------------------------------------------- engine
    def sensitivity(self, model: ExposureModel | None = None) -> Sensitivity:
        """The sensitivity matrix ``L`` under ``model`` with its deal-level contributions and coverage."""
        from exposure.models import ExposureModel  # pydantic loads on first use, not at import

        model = model or ExposureModel()
        key = model.model_dump_json()
        if key not in self._sensitivity:
            self._sensitivity[key] = build_sensitivity(self.companies, self.deals, model)
        return self._sensitivity[key]

    def to_networkx(self) -> networkx.MultiDiGraph:
        """The web as a networkx MultiDiGraph: one edge per deal, payer -> payee, with the deal's fields."""
        from exposure._optional import require

        nx = require("networkx", "DealWeb.to_networkx")
        graph = nx.MultiDiGraph()
        for cid, row in self.companies.iterrows():
            graph.add_node(cid, **{k: (None if _blank(v) else v) for k, v in row.items()})
        for row in self.deals.to_dict("records"):
            graph.add_edge(row["payer"], row["payee"], key=row["id"],
                           **{k: (None if _blank(v) else v) for k, v in row.items()})
        return graph

    def __repr__(self) -> str:
        when = f", as of {self.cutoff}" if self.cutoff else ""
        return f"DealWeb({len(self.companies)} companies, {len(self.deals)} deals{when})"

    def _repr_html_(self) -> str:
        """Notebook view: the counts, deals by status, and the ten largest disclosed deals (USD bn)."""
        from exposure.report import frame_html

        names = self.companies["name"]
        deals = self.deals.assign(deal=self.deals["payer"].map(names) + " \u2192 " + self.deals["payee"].map(names),
                                  amount=pd.to_numeric(self.deals["amount_usd_bn"], errors="coerce"))
        largest = deals.nlargest(10, "amount").set_index("id")[["deal", "type", "amount", "status", "announced"]]
        announced = deals["announced"].astype(str)
        span = f"announced {announced.min()} to {announced.max()}" if len(deals) else "no deals"
        when = f"; as of {self.cutoff}" if self.cutoff else ""
        return (f"<div><b>DealWeb</b>: {len(self.companies)} companies ({len(self.listed)} listed), "
                f"{len(deals)} deals {html.escape(span)}{html.escape(when)}"
                f"<h5>Deals by status</h5>{frame_html(deals['status'].value_counts().rename('deals').to_frame())}"
                f"<h5>Largest disclosed deals (USD bn)</h5>{frame_html(largest, max_rows=10)}</div>")


# ------------------------------------------------------------------------------------------ helpers
_SHARE_CLASSES = frozenset("ABCDE")  # single-letter exchange suffixes (.T Tokyo, .L London) are other letters


def normalize_ticker(ticker: str) -> str:
    """Upper-case, trimmed, share-class dot as dash (``BRK.B`` -> ``BRK-B``); exchange suffixes (``9984.T``) kept."""
    text = str(ticker).strip().upper()
    head, dot, tail = text.rpartition(".")
    if dot and tail in _SHARE_CLASSES and not head.isdigit():
        return f"{head}-{tail}"
    return text


normalise_ticker = renamed(normalize_ticker, "normalise_ticker")


def parse_as_of(when: str | date) -> date:
    """A past or present date from ``YYYY-MM-DD`` (or a date); DealWebError otherwise."""
    if isinstance(when, date):
        parsed = when
    else:
        try:
            parsed = date.fromisoformat(str(when).strip())
        except ValueError:
            raise DealWebError(f"as-of date '{when}' is not a date. Fix: write it as YYYY-MM-DD.") from None
    if parsed > date.today():
        raise DealWebError(f"as-of date {parsed} is in the future (today is {date.today()}). "
                           "Fix: use today's date or an earlier one.")
    return parsed


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value)) or value == ""


def _read_table(source: Source, required: list[str], what: str) -> tuple[pd.DataFrame, str]:
    """All cells as stripped text; ``frame.attrs["lines"]`` holds each row's line number in the file."""
    name = _source_name(source)
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
    frame = pd.DataFrame(rows, columns=header, dtype=object)
    frame.attrs["lines"] = lines
    return frame, name


def _source_name(source: Source) -> str:
    return getattr(source, "name", None) or ("<text>" if isinstance(source, io.StringIO) else str(source))


def _line(frame: pd.DataFrame, position: int) -> int:
    """Line number in the file of the frame's row at ``position``."""
    lines = frame.attrs.get("lines")
    return lines[position] if lines else position + 2


def _validated(frame: pd.DataFrame, name: str, model: type[Company] | type[Deal]) -> list[dict]:
    from pydantic import ValidationError

    records = []
    for position, raw in enumerate(frame.to_dict("records")):
        values = {k: (None if v == "" else v) for k, v in raw.items()}
        row = _line(frame, position)
        try:
            record = model.model_validate(values)
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
        for column, value in record:
            if isinstance(value, float) and not math.isfinite(value):
                raise DealWebError(located(f"{values.get(column)!r} is not a finite number", file=name, row=row,
                                           column=column, fix=_FIXES.get(column, "write a plain number.")))
        for column in ("announced", "checked"):
            when = getattr(record, column, None)
            if when is not None:
                _check_calendar_date(when, name, row, column)
        records.append(record.model_dump(mode="json"))
    return records


def _check_yearly(record: dict, name: str, row: int) -> None:
    """An amount spread over its term must stay a finite number of USD bn a year (1e308 over 1e-10 years is not)."""
    years = record.get("duration_years")
    for column in ("amount_usd_bn", "firm_usd_bn"):
        amount = record.get(column)
        if amount is not None and years is not None:
            with np.errstate(over="ignore"):
                yearly = np.float64(amount) / np.float64(years)
            if not np.isfinite(yearly):
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


def _read_companies(source: Source) -> pd.DataFrame:
    frame, name = _read_table(source, ["id", "name", "ticker", "layer"], "companies")
    from exposure.models import Company  # pydantic loads on first use, not at import

    records = _validated(frame, name, Company)
    seen: dict[str, int] = {}
    for position, record in enumerate(records):
        row = _line(frame, position)
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


def _read_deals(source: Source, company_ids: set[str], companies_file: Source | None = None) -> pd.DataFrame:
    frame, name = _read_table(source, DEAL_COLUMNS[:4] + ["announced", "status", "source_url"], "deals")
    from exposure.models import Deal

    records = _validated(frame, name, Deal)
    seen: dict[str, int] = {}
    for position, record in enumerate(records):
        row = _line(frame, position)
        _first_time(record["id"], seen, row, name, "deal", "give each deal a unique id.")
        for column in ("payer", "payee"):
            if record[column] not in company_ids:
                close = difflib.get_close_matches(record[column], sorted(company_ids), n=1)
                hint = f" Did you mean '{close[0]}'?" if close else ""
                where = f" in {_source_name(companies_file)}" if companies_file is not None else ""
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


def _read_aliases(source: Source, company_ids: set[str]) -> dict[str, str]:
    frame, name = _read_table(source, ["alias", "company_id"], "aliases")
    aliases = {}
    for position, (alias, cid) in enumerate(zip(frame["alias"], frame["company_id"], strict=True)):
        if cid not in company_ids:
            raise DealWebError(located(f"unknown company '{cid}'", file=name, row=_line(frame, position),
                                       column="company_id", fix="use a company id from companies.csv."))
        aliases[alias.upper()] = cid
    return aliases
