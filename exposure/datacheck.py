"""Checks of the data behind a score: provenance, statuses, conflicts and how old the figures are.

Pure functions over frames already loaded (the deal web's ``companies`` and ``deals``, and the market
snapshot tables as text frames); the ``exposure data check`` command reads the files and prints the result.
A *problem* breaks a promise of the data (a row without a source URL or a date, an unknown status or
company, two rows that disagree); a *warning* is worth knowing but not wrong (old figures, a listed company
without revenue).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

import pandas as pd

from exposure.market.fund_aliases import ALIAS_COLUMNS, alias_problems
from exposure.taxonomy import SourceKind, Status

if TYPE_CHECKING:
    from exposure.dealweb import DealWeb

#: Figures older than this many days are stale: outputs suggest ``--live``.
STALE_DAYS = 90
#: Two rows for the same payer, payee, type and month whose amounts differ by more than this fraction of the
#: larger one disagree (the same deal reported with two amounts).
CONFLICT_TOLERANCE = 0.10
#: ``financials.csv``: columns, metrics and the period each metric allows.
FINANCIAL_COLUMNS = ["company_id", "metric", "value_usd_bn", "date", "period", "source_url", "notes"]
FINANCIAL_PERIODS = {"revenue": {"FY", "TTM"}, "market_cap": {"point"}}


@dataclass(frozen=True)
class Problem:
    """One broken promise, located: file, row (line in the file, when known), column and what is wrong."""

    file: str
    message: str
    row: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        where = ", ".join([self.file] + ([f"row {self.row}"] if self.row else [])
                          + ([f"column '{self.column}'"] if self.column else []))
        return f"{where}: {self.message}"


#: Where a row is: file name and line in the file (None when unknown).
Where = tuple[str, int | None]


def _at(where: Where, message: str, column: str | None = None) -> Problem:
    return Problem(where[0], message, where[1], column)


@dataclass
class DataCheck:
    """The outcome of :func:`check_data`: problems (the data is wrong), warnings and counts per file."""

    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    freshness: Freshness | None = None

    @property
    def ok(self) -> bool:
        """True when no problem was found (warnings allowed)."""
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        """Plain Python for ``--format json``."""
        return {"ok": self.ok, "counts": self.counts, "problems": [str(p) for p in self.problems],
                "warnings": self.warnings, "freshness": self.freshness.to_dict() if self.freshness else None}


@dataclass(frozen=True)
class Freshness:
    """How old a web's data is: its newest deal and the median age (days) of its market figures."""

    newest_deal: str | None
    market_figures: int
    median_age_days: float | None
    today: date
    live: bool = False

    @property
    def stale(self) -> bool:
        """True when the market figures' median age is over :data:`STALE_DAYS` (and they are not live)."""
        return not self.live and self.median_age_days is not None and self.median_age_days > STALE_DAYS

    def line(self) -> str:
        """One line for outputs, e.g. ``Data: newest deal 2026-06; market figures median 10 months old; ...``."""
        parts = [f"newest deal {self.newest_deal or 'none'}"]
        if self.live:
            parts.append("market figures live (--live)")
        elif self.median_age_days is not None:
            parts.append(f"market figures median {_age_text(self.median_age_days)} old "
                         f"({self.market_figures} listed companies)")
        text = "Data: " + "; ".join(parts)
        return text + ("; run with --live for today's prices and market caps." if self.stale else ".")

    def to_dict(self) -> dict[str, Any]:
        """Plain Python for JSON output."""
        return {"newest_deal": self.newest_deal, "market_figures": self.market_figures,
                "market_median_age_days": self.median_age_days, "stale": self.stale, "live": self.live,
                "today": self.today.isoformat(), "line": self.line()}


def live_figures(market: object) -> bool:
    """Whether a market-data provider served any figure from Yahoo (its ``quoted`` tickers, now or from the
    cache): only then may an output call its market figures live, whatever ``--live`` asked for."""
    return bool(getattr(market, "quoted", None))


def data_freshness(web: DealWeb, today: date | None = None, live: bool = False) -> Freshness:
    """The web's newest deal date and the median age in days of its listed companies' market-cap dates.

    A company's ``as_of`` dates its market cap (the figure that goes stale fastest). ``live`` says the
    figures were refreshed from a market-data provider, so their age is not the snapshot's.
    """
    today = today or date.today()
    announced = web.deals["announced"].dropna().astype(str)
    newest = max(announced, key=_month_first) if len(announced) else None
    listed = web.companies[web.companies["ticker"].notna() & web.companies["market_cap_usd_bn"].notna()]
    dates = pd.to_datetime(listed["as_of"], format="%Y-%m-%d", errors="coerce").dropna()
    ages = (pd.Timestamp(today) - dates).dt.days
    median = float(ages.median()) if len(ages) else None
    return Freshness(newest, len(ages), median, today, live)


def check_data(web: DealWeb, *, market: dict[str, pd.DataFrame] | None = None,
               other_deals: pd.DataFrame | None = None, lines: dict[str, int] | None = None,
               deals_file: str = "deals.csv", companies_file: str = "companies.csv", today: date | None = None,
               stale_days: int = STALE_DAYS) -> DataCheck:
    """Check a loaded web (and, optionally, market tables read as text) for provenance, statuses and conflicts.

    ``market`` maps file names (``fund_holdings.csv``, ``fund_aliases.csv``, ``prices.csv``, ``fx.csv``,
    ``financials.csv``) to
    frames of text cells whose ``attrs['lines']`` holds each row's line in the file. ``other_deals`` are
    deals the web's deals must not contradict (the bundled ones, when checking a user's file); ``lines``
    maps deal and company ids to their line in the file. Schema errors are found when the web is loaded
    (:class:`exposure.errors.DealWebError`); this finds what loading lets through.
    """
    today = today or date.today()
    lines = lines or {}
    result = DataCheck(counts={companies_file: len(web.companies), deals_file: len(web.deals)})
    result.problems += _deal_problems(web.deals, deals_file, today, lines)
    result.problems += _deal_conflicts(web.deals, other_deals, deals_file)
    result.problems += _company_problems(web.companies, companies_file, today, lines)
    ids = set(web.companies.index)
    market = market or {}
    for name, frame in market.items():
        result.counts[name] = len(frame)
        if name != ALIASES_FILE:
            result.problems += _market_problems(frame, name, today, ids)
    if ALIASES_FILE in market:
        result.problems += _alias_problems(market[ALIASES_FILE], market.get("fund_holdings.csv"), today)
    if "financials.csv" in market:
        result.problems += _companies_against_financials(web.companies, market["financials.csv"], companies_file)
    result.freshness = data_freshness(web, today)
    result.warnings += _warnings(web, result.freshness, stale_days, market, today)
    return result


# ------------------------------------------------------------------------------------------------ deals
def _deal_problems(deals: pd.DataFrame, name: str, today: date, lines: dict[str, int]) -> list[Problem]:
    problems = []
    for row in deals.to_dict("records"):
        where: Where = (name, lines.get(str(row["id"])))
        problems += _provenance(row, "announced", where, today, month_ok=True)
        if row.get("status") not in set(Status):
            problems.append(_at(where, f"status '{row.get('status')}' is not one of {', '.join(Status)}",
                                "status"))
        problems += _optional_provenance(row, where, today)
    return problems


def _optional_provenance(row: dict[str, Any], where: Where, today: date) -> list[Problem]:
    """The optional deal columns, where filled: ``source_kind``, a second source URL and the ``checked`` date."""
    problems = []
    kind = _text(row.get("source_kind"))
    if kind and kind not in set(SourceKind):
        problems.append(_at(where, f"source_kind '{kind}' is not one of {', '.join(SourceKind)}", "source_kind"))
    second = _text(row.get("source_url_2"))
    if second and "http" not in second:
        problems.append(_at(where, f"second source {second!r} is not a URL (http...)", "source_url_2"))
    checked = _text(row.get("checked"))
    if checked:
        when = _parse_date(checked, month_ok=True)
        if when is None or when > today:
            problems.append(_at(where, f"checked date {checked!r} is not a past YYYY-MM-DD", "checked"))
    return problems


def _deal_conflicts(deals: pd.DataFrame, others: pd.DataFrame | None, name: str) -> list[Problem]:
    """Rows with the same payer, payee, type and announcement month but amounts that differ (> 10%).

    With ``others``, only disagreements that involve at least one row of ``deals`` are reported.
    """
    problems = []
    own = set(deals["id"])
    both = deals if others is None else pd.concat([others[~others["id"].isin(own)], deals], ignore_index=True)
    frame = both.assign(month=both["announced"].astype(str).str.slice(0, 7))
    for (payer, payee, kind, month), group in frame.groupby(["payer", "payee", "type", "month"]):
        amounts = group["amount_usd_bn"].dropna()
        if len(amounts) < 2 or not own & set(group["id"]):
            continue
        low, high = float(amounts.min()), float(amounts.max())
        if high - low > CONFLICT_TOLERANCE * high:
            ids = ", ".join(f"{i} ({a:g})" for i, a in zip(group["id"], group["amount_usd_bn"], strict=True)
                            if not pd.isna(a))
            problems.append(Problem(name, f"conflict: {payer} -> {payee} {kind} in {month} has amounts "
                                          f"{ids} (USD bn). Fix: keep the amount of the primary source, or "
                                          "say in notes why both deals exist and give them different months."))
    return problems


# -------------------------------------------------------------------------------------------- companies
def _company_problems(companies: pd.DataFrame, name: str, today: date, lines: dict[str, int]) -> list[Problem]:
    problems = []
    for cid, row in companies.iterrows():
        where: Where = (name, lines.get(str(cid)))
        has_figure = not (pd.isna(row["revenue_usd_bn"]) and pd.isna(row["market_cap_usd_bn"]))
        if has_figure:
            problems += _provenance(row.to_dict(), "as_of", where, today)
        elif not _text(row.get("source_url")):
            problems.append(_at(where, f"company '{cid}' has no source_url", "source_url"))
    return problems


# ------------------------------------------------------------------------------------------------ market
#: Funds looked through with another fund's holdings (checked by :func:`_alias_problems`).
ALIASES_FILE = "fund_aliases.csv"
_MARKET_RULES: dict[str, tuple[str, str, str]] = {
    # file: (key column, value column, date column)
    "fund_holdings.csv": ("fund", "weight", "as_of"),
    "prices.csv": ("ticker", "price", "as_of"),
    "fx.csv": ("currency", "usd_per_unit", "as_of"),
    "financials.csv": ("company_id", "value_usd_bn", "date"),
}


def _market_problems(frame: pd.DataFrame, name: str, today: date, company_ids: set[str]) -> list[Problem]:
    key, value, when = _MARKET_RULES[name]
    missing = [c for c in (key, value, when, "source_url") if c not in frame]
    if missing:
        return [Problem(name, f"missing column(s) {', '.join(missing)}")]
    problems = []
    lines = frame.attrs.get("lines")
    for position, row in enumerate(frame.to_dict("records")):
        where: Where = (name, lines[position] if lines else position + 2)
        problems += _provenance(row, when, where, today)
        number = _number(row.get(value))
        zero_ok = name == "financials.csv" and row.get("metric") == "revenue"  # a pre-revenue company (Oklo): 0
        too_small = number is None or number < 0 or (number == 0 and not zero_ok)
        if number is None or too_small or (name == "fund_holdings.csv" and number > 1):
            bound = ("a fraction in (0, 1]" if name == "fund_holdings.csv" else
                     "a finite number, 0 or more" if zero_ok else "a finite number above 0")
            problems.append(_at(where, f"{value} {row.get(value)!r} is not {bound}", value))
        if name == "financials.csv":
            problems += _financial_row(row, where, company_ids)
    if name == "fund_holdings.csv":
        problems += _fund_totals(frame, name)
    if name == "financials.csv":
        problems += _financial_conflicts(frame, name)
    return problems


def _alias_problems(frame: pd.DataFrame, holdings: pd.DataFrame | None, today: date) -> list[Problem]:
    """Each alias sourced, dated and sound (:func:`exposure.market.fund_aliases.alias_problems`)."""
    missing = [c for c in ALIAS_COLUMNS[:-1] if c not in frame]
    if missing:
        return [Problem(ALIASES_FILE, f"missing column(s) {', '.join(missing)}")]
    funds = set() if holdings is None else {str(f).strip().upper() for f in holdings["fund"]}
    records = frame.to_dict("records")
    lines = frame.attrs.get("lines")

    def where(position: int) -> Where:
        return ALIASES_FILE, lines[position] if lines else position + 2

    problems = [p for position, row in enumerate(records) for p in _provenance(row, "as_of", where(position), today)]
    return problems + [_at(where(position), message, column)
                       for position, column, message in alias_problems(records, funds)]


def _financial_row(row: dict[str, Any], where: Where, company_ids: set[str]) -> list[Problem]:
    problems = []
    if row.get("company_id") not in company_ids:
        problems.append(_at(where, f"unknown company '{row.get('company_id')}'", "company_id"))
    periods = FINANCIAL_PERIODS.get(str(row.get("metric")))
    if periods is None:
        problems.append(_at(where, f"metric '{row.get('metric')}' is not revenue or market_cap", "metric"))
    elif row.get("period") not in periods:
        problems.append(_at(where, f"period '{row.get('period')}' for {row.get('metric')} is not one of "
                                   f"{', '.join(sorted(periods))}", "period"))
    return problems


def _companies_against_financials(companies: pd.DataFrame, financials: pd.DataFrame, name: str) -> list[Problem]:
    """A company's market cap that disagrees with the financials.csv row of the same date (two sources, one day)."""
    caps = financials[financials["metric"] == "market_cap"]
    by_key = {(cid, when): _number(value) for cid, when, value in
              zip(caps["company_id"], caps["date"], caps["value_usd_bn"], strict=True)}
    problems = []
    for cid, row in companies.iterrows():
        theirs = by_key.get((str(cid), str(row["as_of"])))
        ours = row["market_cap_usd_bn"]
        if theirs is not None and not pd.isna(ours) and not math.isclose(theirs, float(ours), rel_tol=1e-6):
            problems.append(Problem(name, f"conflict: {cid} market cap {float(ours):g} on {row['as_of']} but "
                                          f"financials.csv has {theirs:g} for that date. Fix: keep one figure."))
    return problems


def _financial_conflicts(frame: pd.DataFrame, name: str) -> list[Problem]:
    """Two rows for the same company, metric, period and date with different values."""
    problems = []
    for (cid, metric, period, when), group in frame.groupby(["company_id", "metric", "period", "date"]):
        values = {v for v in (_number(x) for x in group["value_usd_bn"]) if v is not None}
        if len(values) > 1:
            problems.append(Problem(name, f"conflict: {cid} {metric} {period} on {when} has values "
                                          f"{', '.join(f'{v:g}' for v in sorted(values))}. Fix: keep one row "
                                          "per figure (the primary source's)."))
    return problems


def _fund_totals(frame: pd.DataFrame, name: str) -> list[Problem]:
    problems = []
    weights = pd.to_numeric(frame["weight"], errors="coerce")
    for fund, total in weights.groupby(frame["fund"]).sum().items():
        if total > 1.0001:
            problems.append(Problem(name, f"fund {fund}: weights sum to {total:.4f}, above 1. Fix: weights are "
                                          "fractions of the fund's net assets."))
    for fund, dates in frame.groupby("fund")["as_of"].unique().items():
        if len(dates) > 1:
            problems.append(Problem(name, f"fund {fund}: {len(dates)} as_of dates ({', '.join(sorted(dates))}). "
                                          "Fix: keep one holdings snapshot per fund."))
    return problems


# ------------------------------------------------------------------------------------------------ shared
def _provenance(row: dict[str, Any], date_column: str, where: Where, today: date,
                month_ok: bool = False) -> list[Problem]:
    """A source URL and a past date (``YYYY-MM-DD``, or ``YYYY-MM`` where ``month_ok``) on the row."""
    problems = []
    url = _text(row.get("source_url"))
    if not url or "http" not in url:
        problems.append(_at(where, "no source URL (http...)", "source_url"))
    text = _text(row.get(date_column))
    parsed = _parse_date(text, month_ok)
    if parsed is None:
        form = "YYYY-MM-DD" + (" or YYYY-MM" if month_ok else "")
        problems.append(_at(where, f"date {text!r} is not {form}", date_column))
    elif parsed > today:
        problems.append(_at(where, f"date {text} is after today ({today})", date_column))
    return problems


def _warnings(web: DealWeb, fresh: Freshness, stale_days: int, market: dict[str, pd.DataFrame],
              today: date) -> list[str]:
    notes = []
    listed = web.companies[web.companies["ticker"].notna()]
    for column, what in (("revenue_usd_bn", "revenue"), ("market_cap_usd_bn", "market cap")):
        blank = sorted(listed.index[listed[column].isna()])
        if blank:
            notes.append(f"{len(blank)} of {len(listed)} listed companies have no {what}: {', '.join(blank)}")
    if fresh.median_age_days is not None and fresh.median_age_days > stale_days:
        notes.append(f"market caps are stale: median age {fresh.median_age_days:.0f} days "
                     f"(over {stale_days}); run with --live for today's figures")
    holdings = market.get("fund_holdings.csv")
    if holdings is not None and not holdings.empty:
        dates = holdings.groupby("fund")["as_of"].max()
        old = sorted(f for f, d in dates.items() if (_parse_date(d) or today) < date.fromordinal(
            today.toordinal() - stale_days))
        if old:
            notes.append(f"{len(old)} of {len(dates)} funds' holdings are over {stale_days} days old: "
                         f"{', '.join(old)}")
    return notes


def _month_first(text: str) -> str:
    return text if len(text) >= 10 else f"{text}-01"


def _parse_date(text: str | None, month_ok: bool = False) -> date | None:
    if not text:
        return None
    candidate = f"{text}-01" if month_ok and len(text) == 7 else text
    try:
        return date.fromisoformat(candidate) if len(candidate) == 10 else None
    except ValueError:
        return None


def _text(value: Any) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value).strip()


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _age_text(days: float) -> str:
    """Days as a short age: ``45 days`` below three months, else months (30.44 days each)."""
    return f"{days:.0f} days" if days < 90 else f"{days / 30.44:.0f} months"
