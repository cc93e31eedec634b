"""The bundled data keeps its promise: every figure carries a source URL and a date."""

from __future__ import annotations

from importlib import resources

import pandas as pd
import pytest

DATA = resources.files("exposure") / "data"


def read(name: str) -> pd.DataFrame:
    with (DATA / name).open("r", encoding="utf-8") as handle:
        return pd.read_csv(handle, dtype=str, keep_default_na=False)


def dates_parse(column: pd.Series) -> bool:
    return bool(pd.to_datetime(column, format="%Y-%m-%d", errors="coerce").notna().all())


def test_every_company_figure_is_sourced_and_dated():
    companies = read("companies.csv")
    with_figures = companies[(companies["revenue_usd_bn"] != "") | (companies["market_cap_usd_bn"] != "")]
    assert with_figures["source_url"].str.contains("http").all()
    assert dates_parse(with_figures["as_of"])
    # A blank figure of a listed company is explained in its notes.
    listed = companies[companies["ticker"] != ""]
    blank = listed[(listed["revenue_usd_bn"] == "") | (listed["market_cap_usd_bn"] == "")]
    assert (blank["notes"].str.len() > 0).all()


def test_every_deal_is_sourced_dated_and_has_a_status():
    deals = read("deals.csv")
    assert deals["source_url"].str.startswith("http").all()
    assert deals["announced"].str.match(r"^\d{4}-\d{2}(-\d{2})?$").all()
    assert deals["status"].isin(["completed", "announced", "reported", "rumored", "lapsed", "terminated"]).all()


@pytest.mark.parametrize("name, key", [("prices.csv", "ticker"), ("fx.csv", "currency"),
                                       ("fund_holdings.csv", "fund")])
def test_market_snapshots_are_sourced_and_dated(name, key):
    table = read(name)
    assert len(table) > 0 and (table[key] != "").all()
    assert table["source_url"].str.contains("http").all()
    assert dates_parse(table["as_of"])


def test_fund_holdings_are_fractions_with_one_date_per_fund():
    holdings = read("fund_holdings.csv")
    weights = holdings["weight"].astype(float)
    assert ((weights > 0) & (weights < 1)).all()
    assert (weights.groupby(holdings["fund"]).sum() <= 1.0001).all()
    assert (holdings.groupby("fund")["as_of"].nunique() == 1).all()
    assert {"SPY", "VOO", "VTI", "QQQ", "XLK", "VGT", "SMH", "SOXX"} <= set(holdings["fund"])
    assert holdings["fund"].nunique() >= 10
