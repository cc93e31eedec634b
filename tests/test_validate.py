"""The model checked against the market: the moves table's provenance and the comparison's arithmetic.

Every expected number is worked out by hand in the comments, never copied from the code's output.
"""

from __future__ import annotations

import io
import math

import numpy as np
import pandas as pd
import pytest

from exposure.dealweb import DealWeb
from exposure.errors import DealWebError, MarketDataError
from exposure.validate import (
    MOVE_COLUMNS,
    elasticity,
    load_moves,
    market_betas,
    market_table,
    move_problems,
    rank_correlations,
    rolling_betas,
    spearman,
    validate,
)

# One private buyer, two listed sellers. D1: $20bn over 4 years, announced (weight 1) -> annual 5.
# D2: $6bn over 3 years -> annual 2. Seller revenue 10 (D1) and 8 (D2).
TINY_COMPANIES = """id,name,ticker,layer,revenue_usd_bn,market_cap_usd_bn,as_of,source_url,notes
buyer,Buyer,,model_lab,,,2026-01-01,https://example.org/buyer,private
seller,Seller Co,SLR,neocloud,10,50,2026-01-01,https://example.org/seller,
other,Other Co,OTH,neocloud,8,40,2026-01-01,https://example.org/other,
"""
TINY_DEALS = """id,payer,payee,type,amount_usd_bn,duration_years,announced,status,source_url,notes,capacity_gw,firm_usd_bn
D1,buyer,seller,cloud_compute_contract,20,4,2025-09,announced,https://example.org/d1,,,
D2,buyer,other,cloud_compute_contract,6,3,2025-10,announced,https://example.org/d2,,,
"""


@pytest.fixture
def tiny_web() -> DealWeb:
    return DealWeb.from_csv(io.StringIO(TINY_COMPANIES), io.StringIO(TINY_DEALS))


def moves_frame(*rows: dict[str, object]) -> pd.DataFrame:
    base = {"deal_id": "D1", "company_id": "seller", "ticker": "SLR", "role": "payee", "date": "2025-09-10",
            "move_pct": "10", "basis": "close", "source_url": "https://example.org/move", "notes": ""}
    return pd.DataFrame([{**base, **row} for row in rows], columns=MOVE_COLUMNS)


# ------------------------------------------------------------------------------------ the data file
def test_bundled_moves_are_sourced_dated_and_match_the_web():
    moves = load_moves()
    assert 15 <= len(moves) <= 30
    assert move_problems(moves, DealWeb.bundled()) == []
    assert not moves.duplicated(["deal_id", "company_id"]).any()
    assert moves["source_url"].str.match(r"^https?://").all()


def test_bundled_moves_are_between_listed_companies():
    web = DealWeb.bundled()
    moves = load_moves()
    assert moves["company_id"].map(web.companies["ticker"]).notna().all()


def test_a_bad_row_is_named_by_line_column_and_fix(tiny_web):
    moves = moves_frame({}, {"ticker": "XXX"}, {"deal_id": "D9"}, {"company_id": "other"},
                        {"date": "2025-13-01", "move_pct": "up", "basis": "rumour", "source_url": "none"})
    problems = move_problems(moves, tiny_web)
    assert any("row 3, column 'ticker'" in p and "SLR" in p for p in problems)
    assert any("row 4, column 'deal_id'" in p and "D9" in p for p in problems)
    assert any("row 5, column 'company_id'" in p and "'seller'" in p for p in problems)
    assert sum("row 6" in p for p in problems) == 4  # date, move_pct, basis, source_url
    assert not any("row 2" in p for p in problems)  # the first row is clean
    with pytest.raises(DealWebError, match="and 6 more"):
        market_table(moves, tiny_web)


def test_a_table_without_a_column_is_refused(tmp_path):
    path = tmp_path / "moves.csv"
    path.write_text("deal_id,company_id\nD1,seller\n", encoding="utf-8")
    with pytest.raises(DealWebError, match="missing column"):
        load_moves(path)


# ------------------------------------------------------------------------------------ rank correlation
def test_spearman_by_hand():
    # x ranks 1 2 3 4; y = 10 30 20 40 ranks 1 3 2 4; d = 0 -1 1 0, sum d^2 = 2;
    # rho = 1 - 6 * 2 / (4 * (16 - 1)) = 1 - 12/60 = 0.8. The NaN pair is dropped.
    rho, p_value, n = spearman([1, 2, 3, 4, 5], [10, 30, 20, 40, np.nan])
    assert rho == pytest.approx(0.8)
    assert n == 4
    assert 0 < p_value < 1


def test_spearman_with_ties_by_hand():
    # x = 1 2 2 3 gets average ranks 1 2.5 2.5 4; y ranks 1 2 3 4. Pearson of the ranks:
    # deviations x (-1.5 0 0 1.5), y (-1.5 -0.5 0.5 1.5): covariance sum 4.5, sums of squares 4.5 and 5,
    # rho = 4.5 / sqrt(4.5 * 5) = 3 / sqrt(10).
    rho, _, _ = spearman([1, 2, 2, 3], [1, 2, 3, 4])
    assert rho == pytest.approx(3 / math.sqrt(10))


def test_spearman_needs_three_varying_pairs():
    assert math.isnan(spearman([1, 2], [3, 4])[0])
    assert math.isnan(spearman([1, 1, 1], [3, 4, 5])[0])


# ------------------------------------------------------------------------------------ elasticity
def test_implied_elasticity_of_a_hand_worked_deal(tiny_web):
    # D1: annual 5; F(seller) = revenue 10 + annual received 5 = 15, so L[seller, buyer] = 5/15 = 1/3 at
    # kappa = 1 and revenue share 5/10 = 0.5. A +10% move implies kappa = 0.10 / (1/3) = 0.3.
    table = market_table(moves_frame({}), tiny_web)
    row = table.iloc[0]
    assert row["counterparty"] == "buyer"
    assert row["dependence"] == pytest.approx(1 / 3)
    assert row["deal_dependence"] == pytest.approx(1 / 3)
    assert row["annual_usd_bn"] == pytest.approx(5)
    assert row["revenue_share"] == pytest.approx(0.5)
    assert row["model_share"] == pytest.approx(1 / 3)
    assert row["implied_kappa"] == pytest.approx(0.3)


def test_implied_elasticity_does_not_depend_on_the_models_kappa(tiny_web):
    # At kappa = 0.5, L halves to 1/6 but model_share (L / kappa) stays 1/3, so the implied kappa is 0.3.
    from exposure.models import ExposureModel

    row = market_table(moves_frame({}), tiny_web, ExposureModel(kappa=0.5)).iloc[0]
    assert row["dependence"] == pytest.approx(1 / 6)
    assert row["implied_kappa"] == pytest.approx(0.3)


def test_elasticity_summary_by_hand():
    # model_share 0.5 and 0.25, both moves +25%: implied 0.5 and 1.0 -> median 0.75; the line through the
    # origin fits (0.5*0.25 + 0.25*0.25) / (0.5^2 + 0.25^2) = 0.1875 / 0.3125 = 0.6; one of two is below 1.
    table = pd.DataFrame({"model_share": [0.5, 0.25, np.nan], "move_pct": [25.0, 25.0, 3.0],
                          "implied_kappa": [0.5, 1.0, np.nan]})
    kappa = elasticity(table)
    assert kappa["n"] == 2
    assert kappa["median"] == pytest.approx(0.75)
    assert kappa["fit"] == pytest.approx(0.6)
    assert kappa["model_kappa"] == 1.0
    assert kappa["below_model"] == pytest.approx(0.5)


def test_rank_correlations_by_sample(tiny_web):
    # Three rows: seller on D1 (L = 1/3, +10%, close), other on D2 (L = 2/(8+2) = 0.2, +4%, close) and
    # seller on D1 again with an intraday +2% (the buyer is private, so it has no payer row).
    moves = moves_frame({}, {"deal_id": "D2", "company_id": "other", "ticker": "OTH", "move_pct": "4",
                             "date": "2025-10-10"},
                        {"move_pct": "2", "basis": "intraday"})
    table = market_table(moves, tiny_web)
    assert table["dependence"].tolist() == pytest.approx([1 / 3, 0.2, 1 / 3])
    correlations = rank_correlations(table)
    # ranks of L: 2.5 1 2.5; ranks of moves: 3 2 1 -> deviations (0.5 -1 0.5) and (1 0 -1):
    # covariance sum 0.5 - 0.5 = 0, so rho = 0 over all three.
    assert correlations.loc["all moves", "n"] == 3
    assert correlations.loc["all moves", "rho"] == pytest.approx(0.0)
    assert correlations.loc["closing moves", "n"] == 2  # too few pairs: rho is NaN
    assert math.isnan(correlations.loc["closing moves", "rho"])


def test_validate_on_the_bundled_data_reports_every_sample():
    result = validate()
    assert list(result.correlations.index) == ["all moves", "deal in L", "payees", "closing moves"]
    assert result.correlations.loc["all moves", "n"] == len(load_moves())
    assert "Spearman rho" in result.text and "kappa" in result.text
    assert repr(result).startswith("Validation(")


# ------------------------------------------------------------------------------------ betas
def test_rolling_beta_by_hand():
    # Hub returns +1%, -1%, +2%, 0%; the company's are exactly twice as large, so its beta is 2.
    hub = 100 * np.cumprod([1, 1.01, 0.99, 1.02, 1.0])
    company = 100 * np.cumprod([1, 1.02, 0.98, 1.04, 1.0])
    prices = pd.DataFrame({"hub": hub, "co": company}, index=pd.date_range("2026-01-05", periods=5))
    betas = rolling_betas(prices, ["co"], ["hub"], window=4)
    assert betas.at["co", "hub"] == pytest.approx(2.0)


def test_rolling_betas_need_a_price_history():
    prices = pd.DataFrame({"hub": [1.0, 1.1], "co": [2.0, 2.2]}, index=pd.date_range("2026-01-05", periods=2))
    with pytest.raises(MarketDataError, match="--live"):
        rolling_betas(prices, ["co"], ["hub"], window=60)


def test_market_betas_offline_say_they_need_live():
    from exposure.market import SnapshotProvider

    with pytest.raises(MarketDataError, match="--live"):
        market_betas(SnapshotProvider(), DealWeb.bundled())


# ------------------------------------------------------------------------------------ CLI
def test_cli_validate_json_and_table():
    import json

    from conftest import run_cli

    result = run_cli("validate", "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert len(data["moves"]) == len(load_moves())
    assert [row["sample"] for row in data["correlations"]] == ["all moves", "deal in L", "payees", "closing moves"]
    assert data["betas"] is None and "--live" in data["betas_note"]
    table = run_cli("validate")
    assert table.returncode == 0 and "Spearman rho" in table.stdout


def test_cli_validate_bad_moves_file_is_one_line_and_exit_2(tmp_path):
    from conftest import run_cli

    path = tmp_path / "moves.csv"
    path.write_text(",".join(MOVE_COLUMNS) + "\nD004,oracle,ORCL,payee,2025-09-10,36,close,ftp://x,\n",
                    encoding="utf-8")
    result = run_cli("validate", "--moves", path)
    assert result.returncode == 2
    assert "row 2, column 'source_url'" in result.stderr and "Traceback" not in result.stderr


def test_rho_interval_by_hand():
    # rho = 0.8, n = 4: z = atanh(0.8) = 1.0986, standard error 1.06 / sqrt(1) = 1.06, half-width
    # 1.96 * 1.06 = 2.0776; interval tanh(-0.9790) = -0.7527 to tanh(3.1762) = 0.9965.
    from exposure.validate import rho_interval

    low, high = rho_interval(0.8, 4)
    assert low == pytest.approx(-0.7527, abs=1e-4)
    assert high == pytest.approx(0.9965, abs=1e-4)
    assert all(math.isnan(v) for v in rho_interval(0.8, 3))


def test_market_betas_with_a_price_history(small_web):
    # Cloud's daily returns are exactly twice Chip's, so beta(cloud on chip) = 2 and beta(chip on cloud) =
    # cov(x, 2x) / var(2x) = 0.5. Both are listed hubs of the small web (other companies depend on each).
    rng = np.random.default_rng(0)
    chip = rng.normal(0, 0.02, 80)
    prices = pd.DataFrame({"CHP": 100 * np.cumprod(1 + chip), "CLD": 100 * np.cumprod(1 + 2 * chip)},
                          index=pd.bdate_range("2026-01-05", periods=80))

    class History:
        def prices(self, tickers, start=None, end=None):
            return prices[[t for t in tickers if t in prices]]

    betas = market_betas(History(), small_web, window=60).set_index(["company_id", "hub"])
    assert betas.at[("cloud", "chip"), "beta"] == pytest.approx(2.0)
    assert betas.at[("chip", "cloud"), "beta"] == pytest.approx(0.5)
    matrix, index = small_web.sensitivity().matrix, small_web.sensitivity().index
    assert betas.at[("cloud", "chip"), "dependence"] == pytest.approx(matrix[index["cloud"], index["chip"]])


def test_a_move_must_be_near_the_announcement(tiny_web):
    # D1 was announced in 2025-09: a move dated 2025-08-31 comes before it, and one 46 days after
    # 2025-09-01 (2025-10-17) is outside the 45-day window; 2025-10-16 (45 days) is inside.
    moves = moves_frame({"date": "2025-08-31"}, {"date": "2025-10-17"}, {"date": "2025-10-16"})
    problems = move_problems(moves, tiny_web)
    assert [p.split(":")[0] for p in problems] == ["moves table, row 2, column 'date'",
                                                    "moves table, row 3, column 'date'"]


def test_a_deal_that_lapsed_later_counts_as_announced():
    # The same D1 marked lapsed: the model weighs it 0 today, but the move priced it as announced, so the
    # comparison still sees L[seller, buyer] = 5/15 = 1/3.
    web = DealWeb.from_csv(io.StringIO(TINY_COMPANIES), io.StringIO(TINY_DEALS.replace(
        "2025-09,announced", "2025-09,lapsed")))
    assert web.sensitivity().matrix.sum() == pytest.approx(2 / 10)  # only D2 (2 / (8 + 2)) in today's L
    row = market_table(moves_frame({}), web).iloc[0]
    assert row["dependence"] == pytest.approx(1 / 3)
    assert row["implied_kappa"] == pytest.approx(0.3)
