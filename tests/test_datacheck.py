"""`exposure data check` and the data-age line: provenance, statuses, conflicts and staleness."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import pandas as pd
import pytest
from conftest import PORTFOLIOS, SMALL_COMPANIES, SMALL_DEALS, run_cli

from exposure.datacheck import check_data, data_freshness
from exposure.dealweb import DealWeb
from exposure.webfiles import data_file

HEADER = "id,payer,payee,type,amount_usd_bn,duration_years,announced,status,source_url,notes\n"


def web_with(deal_rows: str) -> DealWeb:
    return DealWeb.from_csv(io.StringIO(SMALL_COMPANIES), io.StringIO(HEADER + deal_rows))


def test_bundled_data_passes_the_check():
    result = run_cli("data", "check")
    assert result.returncode == 0, result.stdout + result.stderr
    text = " ".join(result.stdout.split())
    assert "0 problem(s)" in text and "deals.csv" in text and "fund_holdings.csv" in text
    assert "Data: newest deal" in text


def test_bundled_data_check_as_json_is_clean():
    data = json.loads(run_cli("data", "check", "--format", "json").stdout)
    assert data["ok"] is True and data["problems"] == []
    assert data["counts"]["deals.csv"] > 100


def test_freshness_of_the_small_web_worked_by_hand(small_web):
    # Both listed companies (cloud, chip) date their market caps 2026-01-01; 2026-04-01 is 31+28+31 = 90 days
    # later, which is not yet over the 90-day limit; one day later it is. The newest deal is D7 (2025-12).
    on_limit = data_freshness(small_web, today=date(2026, 4, 1))
    assert (on_limit.newest_deal, on_limit.market_figures, on_limit.median_age_days) == ("2025-12", 2, 90.0)
    assert not on_limit.stale and "--live" not in on_limit.line()
    late = data_freshness(small_web, today=date(2026, 4, 2))
    assert late.stale and late.median_age_days == 91.0
    assert late.line() == ("Data: newest deal 2025-12; market figures median 3 months old (2 listed companies); "
                           "run with --live for today's prices and market caps.")
    assert not data_freshness(small_web, today=date(2027, 1, 1), live=True).stale


def test_same_deal_with_two_amounts_is_a_conflict():
    # Lab -> Cloud cloud contract in 2024-03 at 100 and 120: they differ by 20, more than 10% of 120.
    web = web_with("A,lab,cloud,cloud_compute_contract,100,5,2024-03,completed,https://e.org/a,\n"
                   "B,lab,cloud,cloud_compute_contract,120,5,2024-03-20,reported,https://e.org/b,\n"
                   # 10 and 10.5 differ by 0.5 < 1.05: the same figure, rounded differently.
                   "C,chip,lab,equity_investment,10,,2025-01,completed,https://e.org/c,\n"
                   "D,chip,lab,equity_investment,10.5,,2025-01,completed,https://e.org/d,\n")
    result = check_data(web, today=date(2026, 1, 1))
    assert len(result.problems) == 1 and not result.ok
    assert "A (100), B (120)" in str(result.problems[0]) and "2024-03" in str(result.problems[0])


def test_user_deals_file_problems_name_row_and_column(tmp_path):
    deals = tmp_path / "mine.csv"
    deals.write_text(HEADER
                     + "X1,openai,oracle,cloud_compute_contract,500,5,2025-09-10,announced,https://e.org/x,\n"
                     + "X2,microsoft,nvidia,chip_supply,5,,2099-01,announced,see notes,\n")
    result = run_cli("data", "check", "--deals", deals)
    assert result.returncode == 2
    problems = [line for line in result.stdout.splitlines() if line.startswith("problem:")]
    assert "row 3, column 'source_url'" in problems[0]
    assert "row 3, column 'announced'" in problems[1] and "after today" in problems[1]
    # The bundled D004 is Oracle's $300bn OpenAI contract of September 2025.
    assert "D004 (300), X1 (500)" in problems[2]
    assert "3 problem(s)" in result.stderr and "Traceback" not in result.stderr


def test_market_tables_are_checked():
    fin = pd.DataFrame({"company_id": ["cloud", "nobody", "chip", "chip", "chip"],
                        "metric": ["revenue", "revenue", "market_cap", "market_cap", "revenue"],
                        "value_usd_bn": ["30", "1", "1000", "900", "-1"],
                        "date": ["2025-12-31", "2025-12-31", "2025-12-31", "2025-12-31", "2025-12-31"],
                        "period": ["FY", "FY", "point", "point", "point"],
                        "source_url": ["https://e.org/1"] * 5, "notes": [""] * 5})
    funds = pd.DataFrame({"fund": ["F", "F"], "ticker": ["CLD", "CHP"], "weight": ["0.7", "0.4"],
                          "as_of": ["2025-12-31", "2025-12-31"], "source_url": ["https://e.org/f", ""]})
    web = DealWeb.from_csv(io.StringIO(SMALL_COMPANIES), io.StringIO(SMALL_DEALS))
    result = check_data(web, market={"financials.csv": fin, "fund_holdings.csv": funds}, today=date(2026, 1, 1))
    text = [str(p) for p in result.problems]
    assert "financials.csv, row 3, column 'company_id': unknown company 'nobody'" in text
    assert any("row 6, column 'value_usd_bn'" in t for t in text)
    assert any("row 6, column 'period'" in t and "revenue" in t for t in text)
    assert any("conflict: chip market_cap point on 2025-12-31 has values 900, 1000" in t for t in text)
    assert "fund_holdings.csv, row 3, column 'source_url': no source URL (http...)" in text
    assert any("fund F: weights sum to 1.1000" in t for t in text)
    assert len(text) == 6


def test_score_output_says_how_old_the_data_is():
    table = run_cli("score", PORTFOLIOS / "ai_heavy.csv")
    assert "Data: newest deal" in " ".join(table.stdout.split())
    data = json.loads(run_cli("score", PORTFOLIOS / "ai_heavy.csv", "--format", "json").stdout)["data"]
    assert data["newest_deal"] >= "2026" and data["market_median_age_days"] > 0


@pytest.mark.parametrize("command", [["paths", "--hub", "openai"], ["stress", "--default", "openai"],
                                     ["suggest", "--hub-cap", "openai=0.02"]])
def test_paths_stress_and_suggest_say_how_old_the_data_is(command):
    newest = max(r["announced"] for r in csv.DictReader(data_file("deals.csv").open(encoding="utf-8")))
    name, *options = command
    table = run_cli(name, PORTFOLIOS / "sixty_forty.csv", *options)
    assert f"Data: newest deal {newest}" in " ".join(table.stdout.split())
    data = json.loads(run_cli(name, PORTFOLIOS / "sixty_forty.csv", *options, "--format", "json").stdout)["data"]
    assert data["newest_deal"] == newest and data["market_median_age_days"] > 0


def test_optional_provenance_columns_are_checked_where_filled():
    header = HEADER.rstrip("\n") + ",source_kind,source_url_2,checked\n"
    rows = ("A,lab,cloud,cloud_compute_contract,100,5,2024-03,completed,https://e.org/a,,filing,https://e.org/b,"
            "2025-12-01\n"
            "B,chip,lab,equity_investment,20,,2025-01,completed,https://e.org/c,,,,\n"
            "C,inv,lab,equity_investment,10,,2025-02,announced,https://e.org/d,,,,\n")
    web = DealWeb.from_csv(io.StringIO(SMALL_COMPANIES), io.StringIO(header + rows))
    # The loader refuses such values in a file; a frame built in Python can still carry them.
    deals = web.deals.assign(**{c: [v or None for v in values] for c, values in {
        "source_kind": ["filing", "", "blog"], "source_url_2": ["https://e.org/b", "", "see above"],
        "checked": ["2025-12-01", "", "2030-01-01"]}.items()})
    result = check_data(DealWeb(web.companies, deals), today=date(2026, 1, 1))
    assert [p.column for p in result.problems] == ["source_kind", "source_url_2", "checked"]


def test_company_market_cap_must_match_financials_of_the_same_date(small_web):
    # Chip Co's companies row says 1000 on 2026-01-01; a financials row of that date saying 900 contradicts it.
    fin = pd.DataFrame({"company_id": ["chip", "cloud"], "metric": ["market_cap"] * 2, "value_usd_bn": ["900", "200"],
                        "date": ["2026-01-01"] * 2, "period": ["point"] * 2,
                        "source_url": ["https://e.org/f"] * 2, "notes": [""] * 2})
    result = check_data(small_web, market={"financials.csv": fin}, today=date(2026, 6, 1))
    assert [str(p) for p in result.problems] == [
        "companies.csv: conflict: chip market cap 1000 on 2026-01-01 but financials.csv has 900 for that date. "
        "Fix: keep one figure."]
