"""analyze_many equals analyze() per account; input errors name the account; Dask equals the single machine."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import exposure as ex
from exposure.batch import analyze_many, exposure_matrix, score_accounts
from exposure.errors import PortfolioError
from exposure.market import SnapshotProvider

SAMPLES = sorted((Path(__file__).parents[1] / "portfolios").glob("*.csv"))


@pytest.fixture(scope="module")
def web() -> ex.DealWeb:
    return ex.DealWeb.bundled()


@pytest.fixture(scope="module")
def market() -> SnapshotProvider:
    return SnapshotProvider()


def _long(name: str, pf: ex.Portfolio, market: SnapshotProvider) -> pd.DataFrame:
    """A sample portfolio as long rows with weights (shares valued at snapshot prices, as analyze() does)."""
    prices = market.fundamentals(list(pf.positions["ticker"]))["price_usd"]
    valued = pf.valued(lambda t: float(prices[t]) if t in prices and pd.notna(prices[t]) else None)
    return pd.DataFrame({"account": name, "ticker": valued["ticker"], "weight": valued["weight"],
                         "name": valued["name"]})


def _assert_matches(row: pd.Series, report: ex.ExposureReport, hubs: list[str]) -> None:
    assert row["score"] == pytest.approx(report.score, abs=1e-9)
    assert row["grade"] == report.grade
    expected_hub = report.metrics["largest_hub"]
    assert (pd.isna(row["largest_hub"]) and expected_hub is None) or row["largest_hub"] == expected_hub
    assert row["ai_share"] == pytest.approx(report.metrics["ai_share"], abs=1e-12)
    assert row["unmapped_weight"] == pytest.approx(report.coverage["unmapped_weight"], abs=1e-12)
    totals = report.hubs["total"].reindex(hubs).to_numpy()
    np.testing.assert_allclose(row[hubs].to_numpy(float), totals, rtol=0, atol=1e-12)


def test_equals_analyze_on_every_sample(web: ex.DealWeb, market: SnapshotProvider) -> None:
    assert len(SAMPLES) >= 5
    pfs = {path.stem: ex.Portfolio.from_csv(path) for path in SAMPLES}
    holdings = pd.concat([_long(name, pf, market) for name, pf in pfs.items()], ignore_index=True)
    result = analyze_many(holdings, web, market=market)
    assert list(result.index) == sorted(pfs)
    hubs = list(web.companies.index)
    assert list(result.columns) == ["score", "grade", "largest_hub", "ai_share", "unmapped_weight", *hubs]
    for name, pf in pfs.items():
        _assert_matches(result.loc[name], ex.analyze(pf, web, market=market), hubs)


def test_equals_analyze_on_random_accounts(web: ex.DealWeb, market: SnapshotProvider) -> None:
    rng = np.random.default_rng(7)
    universe = list(web.listed["ticker"]) + ["SPY", "QQQ", "SMH", "CASH", "usd", "ZZZZ", "brk.b", " nvda "]
    frames = []
    for account in range(8):
        tickers = rng.choice(universe, size=rng.integers(1, 25), replace=True)  # repeats are summed
        amounts = rng.exponential(1000.0, len(tickers)) * (rng.random(len(tickers)) > 0.1)
        amounts[0] += 1.0
        frames.append(pd.DataFrame({"account": f"acct-{account}", "ticker": tickers, "market_value": amounts}))
    holdings = pd.concat(frames, ignore_index=True).sample(frac=1.0, random_state=3)  # accounts interleaved
    result = analyze_many(holdings, web, market=market)
    hubs = list(web.companies.index)
    for account, rows in holdings.groupby("account"):
        pf = ex.Portfolio.from_frame(rows[["ticker", "market_value"]].reset_index(drop=True))
        _assert_matches(result.loc[account], ex.analyze(pf, web, market=market), hubs)


def test_weight_and_market_value_agree_and_hubs_restrict(web: ex.DealWeb, market: SnapshotProvider) -> None:
    by_weight = pd.DataFrame({"account": [2, 2, 1, 1, 1], "ticker": ["ORCL", "CRWV", "NVDA", "AMD", "CASH"],
                              "weight": [0.5, 0.5, 0.2, 0.3, 0.5]})
    by_value = by_weight.rename(columns={"weight": "market_value"}).assign(market_value=lambda f: f.market_value * 7)
    hubs = ["OpenAI", "NVDA"]
    a = analyze_many(by_weight, web, market=market, hubs=hubs)
    b = analyze_many(by_value, web, market=market, hubs=hubs)
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-12)
    assert list(a.columns[5:]) == ["openai", "nvidia"] and list(a.index) == [1, 2]
    pf = ex.Portfolio.from_weights({"ORCL": 0.5, "CRWV": 0.5})
    _assert_matches(a.loc[2], ex.analyze(pf, web, hubs=hubs, market=market), ["openai", "nvidia"])


def test_exposure_matrix_rows(web: ex.DealWeb, market: SnapshotProvider) -> None:
    matrix = exposure_matrix(["NVDA", "CASH", "NOPE"], web, market=market, hubs=["nvidia", "openai"])
    assert matrix.values.shape == (3, 4)
    assert matrix.values[0, 0] == 1.0 and matrix.values[0, 1] > 0  # Nvidia: itself in full, OpenAI via deals
    assert np.all(matrix.values[1] == 0)  # cash loads on nothing
    assert matrix.values[2].tolist() == [0.0, 0.0, 0.0, 1.0]  # unknown: unmapped


@pytest.mark.parametrize(("frame", "needle"), [
    (pd.DataFrame({"ticker": ["A"], "weight": [1.0]}), "missing column(s) account"),
    (pd.DataFrame({"account": [1], "ticker": ["A"], "weight": [1.0], "market_value": [5.0]}),
     "both 'weight' and 'market_value'"),
    (pd.DataFrame({"account": [1], "ticker": ["A"], "shares": [3.0]}), "convert them to market_value"),
    (pd.DataFrame({"account": ["x", "y"], "ticker": ["NVDA", "MSFT"], "weight": [0.5, -0.1]}),
     "negative weight -0.1 of MSFT (a short position) (account 'y')"),
    (pd.DataFrame({"account": ["x", "z", "z"], "ticker": ["NVDA", "MSFT", "KO"], "weight": [0.5, 0.0, 0.0]}),
     "every weight is zero for account 'z'"),
    (pd.DataFrame({"account": ["x"], "ticker": ["NVDA"], "market_value": ["lots"]}), "is not a finite number"),
    (pd.DataFrame({"account": ["x", "w"], "ticker": ["NVDA", None], "weight": [1.0, 1.0]}),
     "blank ticker for account 'w'"),
    (pd.DataFrame({"account": [], "ticker": [], "weight": []}), "no rows"),
])
def test_input_errors_name_the_account_and_the_fix(frame: pd.DataFrame, needle: str, web: ex.DealWeb,
                                                   market: SnapshotProvider) -> None:
    with pytest.raises(PortfolioError) as error:
        analyze_many(frame, web, market=market)
    assert needle in str(error.value)
    assert "Fix:" in str(error.value)


@pytest.mark.filterwarnings("ignore:Couldn.t detect a suitable IP address")
def test_dask_path_equals_single_machine(tmp_path: Path, web: ex.DealWeb, market: SnapshotProvider) -> None:
    pytest.importorskip("distributed")
    from exposure.synthetic import synthetic_accounts, synthetic_universe

    universe = synthetic_universe(300, web, ["SPY", "QQQ", "SMH", "CASH"])
    holdings = synthetic_accounts(400, 12, universe, seed=5)
    holdings["ticker"] = holdings["ticker"].astype(str)
    holdings = holdings.sample(frac=1.0, random_state=1).reset_index(drop=True)  # accounts scattered
    path = tmp_path / "holdings.parquet"
    holdings.to_parquet(path, row_group_size=1000)
    single = analyze_many(holdings, web, market=market)
    distributed = score_accounts(path, web, market=market, npartitions=4)
    pd.testing.assert_frame_equal(distributed, single, check_exact=False, rtol=1e-12, atol=1e-15)
    local = score_accounts(path, web, engine="pandas", market=market)
    pd.testing.assert_frame_equal(local, single)


@pytest.mark.filterwarnings("ignore:Couldn.t detect a suitable IP address")
def test_dask_path_uses_the_active_client(monkeypatch: pytest.MonkeyPatch, web: ex.DealWeb,
                                          market: SnapshotProvider) -> None:
    """With a client already running, score_accounts runs on it, starts no cluster and leaves it open."""
    distributed = pytest.importorskip("distributed")
    from exposure.synthetic import synthetic_accounts, synthetic_universe

    holdings = synthetic_accounts(60, 8, synthetic_universe(100, web, ["QQQ", "CASH"]), seed=3)
    holdings["ticker"] = holdings["ticker"].astype(str)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        def no_new_cluster(*args: object, **kwargs: object) -> None:
            raise AssertionError("score_accounts started a cluster of its own")

        monkeypatch.setattr(distributed, "LocalCluster", no_new_cluster)
        scored = score_accounts(holdings, web, market=market, npartitions=2)
        assert client.status == "running"
        tasks = client.run_on_scheduler(lambda dask_scheduler: len(dask_scheduler.task_prefixes))
    assert tasks > 0  # the work went through the user's scheduler
    pd.testing.assert_frame_equal(scored, analyze_many(holdings, web, market=market), check_exact=False,
                                  rtol=1e-12, atol=1e-15)


def test_synthetic_accounts_are_distinct_normalized_and_deterministic() -> None:
    from exposure.synthetic import synthetic_accounts

    universe = [f"T{k}" for k in range(50)]
    frame = synthetic_accounts(200, 30, universe, seed=2)
    assert frame.equals(synthetic_accounts(200, 30, universe, seed=2))
    assert len(frame) == 200 * 30
    assert not frame.duplicated(["account", "ticker"]).any()
    np.testing.assert_allclose(frame.groupby("account")["weight"].sum(), 1.0)
    with pytest.raises(ValueError, match="universe"):
        synthetic_accounts(1, 51, universe)


def test_grade_at_a_boundary_is_the_printed_scores_as_in_analyze(web: ex.DealWeb, market: SnapshotProvider) -> None:
    """24.96% NVDA prints 25/100, so both analyze() and analyze_many grade it High, not Moderate."""
    frame = pd.DataFrame({"account": ["a", "a"], "ticker": ["NVDA", "CASH"], "weight": [0.2496, 0.7504]})
    row = analyze_many(frame, web, market=market).loc["a"]
    report = ex.analyze(ex.Portfolio.from_weights({"NVDA": 0.2496, "CASH": 0.7504}), web, market=market)
    assert row["score"] == pytest.approx(24.96) and row["grade"] == report.grade == "high"
