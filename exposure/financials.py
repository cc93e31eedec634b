"""Dated company figures (``exposure/data/financials.csv``) and the web's figures as they stood on a date.

The file has one row per figure: ``company_id, metric, value_usd_bn, date, period, source_url, notes``;
``metric`` is ``revenue`` (``date`` = the fiscal period's end, ``period`` FY or TTM) or ``market_cap``
(``date`` = the observation date, ``period`` point); values in USD billions. It may be absent, and a
company may have no dated row: then the figure of ``companies.csv`` stays, and :func:`figures_at` lists
it as taken from after the date.
"""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from exposure.errors import DealWebError, located

if TYPE_CHECKING:
    import io

FINANCIAL_COLUMNS = ["company_id", "metric", "value_usd_bn", "date", "period", "source_url", "notes"]
#: financials.csv metric -> companies.csv column.
METRICS = {"revenue": "revenue_usd_bn", "market_cap": "market_cap_usd_bn"}


def read_financials(source: str | Path | io.StringIO, company_ids: set[str]) -> pd.DataFrame:
    """Read and check a financials file: ``company_id, metric, value_usd_bn`` (float), ``date`` (a date).

    Rows of companies not in ``company_ids`` cannot apply to the web and are dropped. A bad row raises
    :class:`DealWebError` naming the file, row, column and the fix.
    """
    from exposure.webfiles import read_rows  # the deal web's safe CSV reader

    table = read_rows(source, FINANCIAL_COLUMNS[:4], "financials")
    name = table.name
    values, dates = [], []
    for line, cells in table.records():
        row = {column: cell or "" for column, cell in cells.items()}
        if row["metric"] not in METRICS:
            raise DealWebError(located(f"unknown metric '{row['metric']}'", file=name, row=line, column="metric",
                                       fix="use revenue or market_cap."))
        try:
            value = float(row["value_usd_bn"])
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or value < 0:
            raise DealWebError(located(f"'{row['value_usd_bn']}' is not an amount", file=name, row=line,
                                       column="value_usd_bn", fix="write the figure in USD billions (0 or more)."))
        try:
            when = date.fromisoformat(row["date"] if len(row["date"]) != 7 else f"{row['date']}-01")
        except ValueError:
            raise DealWebError(located(f"'{row['date']}' is not a date", file=name, row=line, column="date",
                                       fix="write the date as YYYY-MM-DD.")) from None
        values.append(value)
        dates.append(when)
    frame = pd.DataFrame(table.rows, columns=table.header, dtype=object).assign(value_usd_bn=values, date=dates)
    return frame[frame["company_id"].isin(company_ids)].reset_index(drop=True)


def figures_at(companies: pd.DataFrame, financials: pd.DataFrame | None,
               cutoff: date) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Companies with the latest revenue and market cap dated on or before ``cutoff``, and what is not.

    Returns ``(companies, later)``: ``companies`` with ``revenue_usd_bn`` / ``market_cap_usd_bn`` replaced by
    the latest financials row dated on or before ``cutoff`` (and ``as_of`` by the market cap's date), and
    ``later``: one row per figure that had no such row and is kept from ``companies.csv`` although it is
    dated after ``cutoff`` or undated (``company_id, metric, date``).
    """
    companies = companies.copy()
    dated = pd.Series(pd.NaT, index=companies.index, dtype=object)
    kept_dates = pd.to_datetime(companies["as_of"].astype(str).str.slice(0, 10), errors="coerce",
                                format="mixed").dt.date
    later = []
    for metric, column in METRICS.items():
        found = pd.Series(dtype=object)
        if financials is not None and len(financials):
            rows = financials[(financials["metric"] == metric) & (financials["date"] <= cutoff)]
            latest = rows.sort_values("date", kind="stable").groupby("company_id").tail(1).set_index("company_id")
            companies.loc[latest.index, column] = latest["value_usd_bn"].astype(float)
            found = latest["date"]
            if metric == "market_cap":
                dated = found.reindex(companies.index)
        has_figure = companies[column].notna() & ~companies.index.isin(found.index)
        before = kept_dates.map(lambda d: bool(pd.notna(d) and d <= cutoff)).astype(bool)
        after = has_figure & ~before
        later += [{"company_id": cid, "metric": metric, "date": kept_dates[cid]} for cid in companies.index[after]]
    has_date = dated.notna()
    companies.loc[has_date, "as_of"] = [d.isoformat() for d in dated[has_date]]
    return companies, pd.DataFrame(later, columns=["company_id", "metric", "date"])


def later_note(later: pd.DataFrame, names: dict[str, str], cutoff: date, shown: int = 8) -> str | None:
    """One sentence naming the figures taken from after ``cutoff`` (None when there are none)."""
    if later.empty:
        return None
    parts = []
    for metric, label in (("revenue", "revenue"), ("market_cap", "market cap")):
        ids = list(dict.fromkeys(later.loc[later["metric"] == metric, "company_id"]))
        if ids:
            listed = ", ".join(names.get(c, c) for c in ids[:shown])
            parts.append(f"{label} of {listed}" + (f" and {len(ids) - shown} more" if len(ids) > shown else ""))
    return (f"As of {cutoff}: no figure dated on or before it for the {' and the '.join(parts)}; "
            "the later companies.csv figures were used (see exposure/data/financials.csv).")
