"""Covariance models: hand-worked numbers, scikit-learn's LedoitWolf, and the offline prior."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from exposure.errors import MarketDataError
from exposure.risk import (
    FACTOR_LOADING,
    LAYER_CORRELATION,
    LAYER_VOLATILITY,
    RiskModel,
    default_covariance,
    ledoit_wolf_covariance,
    returns_from_prices,
    sample_covariance,
)

# Two assets, four periods, returns in percent points (demeaned already: both means are 0).
HAND = pd.DataFrame({"A": [1.0, -1.0, 3.0, -3.0], "B": [1.0, -1.0, -1.0, 1.0]})


def test_sample_covariance_by_hand() -> None:
    # ddof=1: var A = (1+1+9+9)/3, var B = 4/3, cov = (1+1-3-3)/3.
    cov = sample_covariance(HAND, frequency=1, returns_data=True)
    np.testing.assert_allclose(cov.to_numpy(), [[20 / 3, -4 / 3], [-4 / 3, 4 / 3]])
    assert list(cov.index) == ["A", "B"] and list(cov.columns) == ["A", "B"]
    np.testing.assert_allclose(sample_covariance(HAND, frequency=252, returns_data=True), cov * 252)


def test_ledoit_wolf_by_hand() -> None:
    # S = X'X/4 = [[5, -1], [-1, 1]]; m = trace/2 = 3; d2 = ||S - 3I||^2 / 2 = (4+1+1+4)/2 = 5.
    # ||x_k||^2 = 2, 2, 10, 10 -> mean ||x_k||^4 = (4+4+100+100)/4 = 52; ||S||^2 = 25+1+1+1 = 28;
    # b2 = (52 - 28) / (n p) = 24 / 8 = 3 <= d2, so delta = 3/5 = 0.6.
    # Sigma = 0.4 S + 0.6 * 3 I = [[3.8, -0.4], [-0.4, 2.2]].
    cov = ledoit_wolf_covariance(HAND, frequency=1, returns_data=True)
    assert cov.attrs["shrinkage"] == pytest.approx(0.6)
    np.testing.assert_allclose(cov.to_numpy(), [[3.8, -0.4], [-0.4, 2.2]])


def test_ledoit_wolf_matches_sklearn() -> None:
    sklearn_covariance = pytest.importorskip("sklearn.covariance")
    rng = np.random.default_rng(7)
    mixing = rng.normal(size=(6, 6))
    returns = pd.DataFrame(rng.normal(size=(80, 6)) @ mixing * 0.01, columns=list("ABCDEF"))
    fitted = sklearn_covariance.LedoitWolf().fit(returns.to_numpy())
    ours = ledoit_wolf_covariance(returns, frequency=1, returns_data=True)
    np.testing.assert_allclose(ours.to_numpy(), fitted.covariance_, rtol=1e-10)
    assert ours.attrs["shrinkage"] == pytest.approx(fitted.shrinkage_)
    np.testing.assert_allclose(ledoit_wolf_covariance(returns, returns_data=True), ours * 252)


def test_from_prices_uses_common_dates() -> None:
    prices = pd.DataFrame({"X": [100, 101, 99, 102.0], "Y": [50, np.nan, 51, 52.0]},
                          index=pd.bdate_range("2025-01-01", periods=4))
    returns = returns_from_prices(prices)
    assert returns.shape == (3, 2) and returns["X"].iloc[0] == pytest.approx(0.01)
    with pytest.raises(MarketDataError, match="at least 2 dates"):
        sample_covariance(prices.iloc[:2])


def test_default_covariance_one_factor_prior() -> None:
    cov = default_covariance(["NVDA", "AMD", "MSFT", "CASH"],
                             {"NVDA": "semiconductor", "AMD": "semiconductor", "MSFT": "hyperscaler_cloud"})
    semi, cloud = LAYER_VOLATILITY["semiconductor"], LAYER_VOLATILITY["hyperscaler_cloud"]
    a_semi, a_cloud = FACTOR_LOADING["semiconductor"], FACTOR_LOADING["hyperscaler_cloud"]
    assert cov.loc["NVDA", "NVDA"] == pytest.approx(semi**2)
    assert cov.loc["NVDA", "AMD"] == pytest.approx((a_semi**2 + LAYER_CORRELATION) * semi**2)
    assert cov.loc["NVDA", "MSFT"] == pytest.approx(a_semi * a_cloud * semi * cloud)
    assert (cov.loc["CASH"] == 0).all()
    assert np.linalg.eigvalsh(cov.to_numpy()).min() >= -1e-12
    # A sequence aligned with the tickers works too; unknown layers count as 'other'.
    seq = default_covariance(["A", "B"], ["neocloud", "not_a_layer"])
    assert seq.loc["B", "B"] == pytest.approx(LAYER_VOLATILITY["other"] ** 2)


def test_default_prior_is_psd_for_every_layer_mix() -> None:
    layers = list(LAYER_VOLATILITY)
    cov = default_covariance([f"T{i}" for i in range(3 * len(layers))], layers * 3)
    assert np.linalg.eigvalsh(cov.to_numpy()).min() >= -1e-12


def test_risk_model_from_prices_fills_short_history_with_prior() -> None:
    rng = np.random.default_rng(1)
    dates = pd.bdate_range("2024-01-01", periods=120)
    prices = pd.DataFrame(100 * np.exp(np.cumsum(rng.normal(0, 0.02, size=(120, 2)), axis=0)),
                          index=dates, columns=["NVDA", "MSFT"])
    prices["CRWV"] = np.nan
    prices.iloc[-1, 2] = 90.0  # a snapshot fallback: one price, no history
    model = RiskModel.from_prices(prices, layers={"CRWV": "neocloud"})
    assert model.tickers == ["NVDA", "MSFT", "CRWV"] and model.source == "ledoit_wolf+default"
    assert model.covariance.loc["CRWV", "CRWV"] == pytest.approx(LAYER_VOLATILITY["neocloud"] ** 2)
    assert model.covariance.loc["CRWV", "NVDA"] == 0 and "CRWV" in model.notes[0]
    assert 0.2 < model.volatility["NVDA"] < 0.45  # 2% daily ~ 32% a year
    np.testing.assert_allclose(np.diag(model.correlation), 1.0)

    sample = RiskModel.from_prices(prices[["NVDA", "MSFT"]], method="sample")
    assert sample.source == "sample"
    wider = sample.for_tickers(["MSFT", "ORCL", "NVDA"], {"ORCL": "hyperscaler_cloud"})
    assert wider.tickers == ["MSFT", "ORCL", "NVDA"] and wider.source == "sample+default"
    assert wider.covariance.loc["NVDA", "MSFT"] == pytest.approx(sample.covariance.loc["NVDA", "MSFT"])


def test_risk_model_without_history_is_default() -> None:
    one_row = pd.DataFrame({"NVDA": [190.0], "AMD": [217.0]}, index=[pd.Timestamp("2026-02-11")])
    model = RiskModel.from_prices(one_row, layers={"NVDA": "semiconductor", "AMD": "semiconductor"})
    assert model.source == "default" and "prior" in model.notes[0]
    with pytest.raises(ValueError, match="method"):
        RiskModel.from_prices(one_row, method="garch")
    with pytest.raises(ValueError, match="labeled"):
        RiskModel(["A"], pd.DataFrame([[1.0]], index=["B"], columns=["B"]), "x")
