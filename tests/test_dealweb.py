"""Loading, validating, filtering and resolving the deal web."""

from __future__ import annotations

import io
from datetime import date

import pytest
from conftest import SMALL_COMPANIES, SMALL_DEALS

from exposure.dealweb import DealWeb, normalize_ticker
from exposure.errors import DealWebError


def load(companies: str = SMALL_COMPANIES, deals: str = SMALL_DEALS) -> DealWeb:
    return DealWeb.from_csv(io.StringIO(companies), io.StringIO(deals))


def test_bundled_web_meets_the_promise():
    web = DealWeb.bundled()
    assert len(web.deals) >= 77 and len(web.companies) >= 45
    assert web.deals["source_url"].str.startswith("http").all()
    assert web.deals["announced"].str.match(r"^\d{4}-\d{2}").all()
    assert web.deals["status"].isin(["completed", "announced", "reported", "rumored", "lapsed", "terminated"]).all()
    listed = web.listed
    assert listed["layer"].notna().all()
    # Every listed company has its figures or a note saying what was not found.
    missing = listed[listed["market_cap_usd_bn"].isna() | listed["revenue_usd_bn"].isna()]
    assert missing["notes"].fillna("").str.len().gt(0).all()
    for hub in ("openai", "nvidia", "oracle", "microsoft", "coreweave", "amd", "broadcom", "softbank"):
        assert hub in web.companies.index


@pytest.mark.parametrize("key, expected", [
    ("openai", "openai"), ("OpenAI", "openai"), ("NVDA", "nvidia"), ("nvda", "nvidia"), ("GOOG", "google"),
    ("GOOGL", "google"), ("TSM", "tsmc"), ("2330.TW", "tsmc"), ("9984.T", "softbank"), ("SFTBY", "softbank"),
])
def test_resolve_ids_names_tickers_and_aliases(key, expected):
    assert DealWeb.bundled().resolve(key) == expected


def test_resolve_unknown_suggests_close_names():
    with pytest.raises(DealWebError, match="Did you mean openai"):
        DealWeb.bundled().resolve("opneai")


def test_ticker_normalization():
    assert normalize_ticker(" brk.b ") == "BRK-B"
    assert normalize_ticker("9984.T") == "9984.T"
    assert normalize_ticker("vod.l") == "VOD.L"


def test_as_of_filters_deals_by_announcement():
    web = load()
    assert list(web.as_of("2024-12-31").deals["id"]) == ["D1", "D2"]
    assert list(web.as_of(date(2025, 1, 1)).deals["id"]) == ["D1", "D2", "D3"]  # a month counts from its 1st
    assert len(web.as_of("2026-01-01").deals) == 7


def test_as_of_rejects_future_and_garbage():
    with pytest.raises(DealWebError, match="in the future"):
        load().as_of("2999-01-01")
    with pytest.raises(DealWebError, match="YYYY-MM-DD"):
        load().as_of("last year")


def test_with_deals_merges_and_replaces(tmp_path):
    extra = tmp_path / "mine.csv"
    extra.write_text("id,payer,payee,type,amount_usd_bn,duration_years,announced,status,source_url,notes\n"
                     "D1,lab,cloud,cloud_compute_contract,50,5,2024-03,completed,https://example.org/x,\n"
                     "U1,cloud,chip,chip_supply,8,4,2025-03,announced,https://example.org/y,\n")
    web = load().with_deals(extra)
    assert len(web.deals) == 8
    assert web.deals.set_index("id").at["D1", "amount_usd_bn"] == 50


def _bad_deal(row: str) -> str:
    return SMALL_DEALS.splitlines()[0] + "\n" + row + "\n"


@pytest.mark.parametrize("row, pattern", [
    ("X1,lab,clod,chip_supply,1,,2025-01,announced,https://e.org,,,", r"row 2, column 'payee': unknown company 'clod'.*cloud"),
    ("X1,lab,cloud,chip_supply,-1,,2025-01,announced,https://e.org,,,", r"row 2, column 'amount_usd_bn'"),
    ("X1,lab,cloud,chip_supply,lots,,2025-01,announced,https://e.org,,,", r"column 'amount_usd_bn'.*'lots'"),
    ("X1,lab,cloud,chip_supply,1,,Jan 2025,announced,https://e.org,,,", r"column 'announced'.*YYYY-MM"),
    ("X1,lab,cloud,gift,1,,2025-01,announced,https://e.org,,,", r"column 'type'.*equity_investment"),
    ("X1,lab,cloud,chip_supply,1,,2025-01,maybe,https://e.org,,,", r"column 'status'.*rumored"),
    ("X1,lab,lab,chip_supply,1,,2025-01,announced,https://e.org,,,", r"column 'payee'.*deals with itself"),
    ("X1,lab,cloud,chip_supply,1,,2025-01,announced,,,,", r"column 'source_url'"),
])
def test_bad_deal_rows_name_row_column_and_fix(row, pattern):
    with pytest.raises(DealWebError, match=pattern) as caught:
        load(deals=_bad_deal(row))
    assert "Fix:" in str(caught.value) or "Did you mean" in str(caught.value)


def test_duplicate_deal_id():
    text = _bad_deal("X1,lab,cloud,chip_supply,1,,2025-01,announced,https://e.org,,,")
    text += "X1,lab,cloud,chip_supply,2,,2025-01,announced,https://e.org,,,\n"
    with pytest.raises(DealWebError, match=r"row 3, column 'id': duplicate deal id 'X1' \(first on row 2\)"):
        load(deals=text)


def test_listed_company_without_ticker_and_unknown_layer():
    bad = SMALL_COMPANIES + "ghost,Ghost,,semiconductor,5,50,2026-01-01,https://e.org,\n"
    with pytest.raises(DealWebError, match=r"row 6, column 'ticker'.*market cap but no ticker"):
        load(companies=bad)
    bad = SMALL_COMPANIES + "ghost,Ghost,GHST,quantum,5,50,2026-01-01,https://e.org,\n"
    with pytest.raises(DealWebError, match=r"row 6, column 'layer'.*model_lab"):
        load(companies=bad)


def test_missing_columns_and_missing_file(tmp_path):
    with pytest.raises(DealWebError, match="missing column"):
        load(deals="id,payer\nX,lab\n")
    with pytest.raises(DealWebError, match="file not found"):
        DealWeb.from_csv(tmp_path / "nope.csv", tmp_path / "nope2.csv")


def test_to_networkx_has_one_edge_per_deal(small_web):
    graph = small_web.to_networkx()
    assert graph.number_of_nodes() == 4 and graph.number_of_edges() == 7
    assert graph.edges["lab", "cloud", "D1"]["amount_usd_bn"] == 100
