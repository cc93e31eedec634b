"""Covariance models of returns: sample, Ledoit-Wolf shrinkage, and a documented offline prior.

All covariances are annualized (``frequency`` periods a year, 252 for daily prices) and returned as
DataFrames labeled by ticker on both axes. Pure functions: no network, no files.

References
----------
Ledoit, O. and Wolf, M. (2004). A well-conditioned estimator for large-dimensional covariance matrices.
*Journal of Multivariate Analysis* 88(2), 365-411.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from exposure.errors import MarketDataError

__all__ = [
    "FACTOR_LOADING",
    "LAYER_CORRELATION",
    "LAYER_VOLATILITY",
    "RiskModel",
    "default_covariance",
    "ledoit_wolf_covariance",
    "returns_from_prices",
    "sample_covariance",
]

#: Annualized return volatility per layer (fraction). ASSUMPTION, not estimated by this package:
#: round numbers in the range of the realized daily-return volatility of each layer's large listed
#: names over 2023-2025 (hyperscalers ~25-35%, large chip makers ~45-60%, recently listed neoclouds
#: such as CoreWeave, Nebius or IREN well above 80%). ``model_lab`` has no listing; 60% is a guess.
LAYER_VOLATILITY: dict[str, float] = {
    "model_lab": 0.60, "hyperscaler_cloud": 0.30, "neocloud": 0.85, "semiconductor": 0.50,
    "foundry_equipment": 0.40, "networking_hardware": 0.50, "data_center_power": 0.40,
    "investor": 0.40, "application": 0.40, "other": 0.25, "cash": 0.0,
}
#: Correlation of each layer with one common factor (the AI-infrastructure/market trade). ASSUMPTION:
#: chosen so that cross-layer correlations come out 0.3-0.55, the range usually seen between large US
#: technology names; ``other`` (the rest of the market) loads least.
FACTOR_LOADING: dict[str, float] = {
    "model_lab": 0.70, "hyperscaler_cloud": 0.70, "neocloud": 0.60, "semiconductor": 0.75,
    "foundry_equipment": 0.70, "networking_hardware": 0.65, "data_center_power": 0.55,
    "investor": 0.60, "application": 0.60, "other": 0.50, "cash": 0.0,
}
#: Extra correlation between two names of the same layer (a layer factor). ASSUMPTION.
LAYER_CORRELATION = 0.15
#: Fewest return observations a ticker needs before :meth:`RiskModel.from_prices` estimates it.
MIN_OBSERVATIONS = 60

Layers = Mapping[str, Any] | Sequence[Any] | None


def returns_from_prices(prices: pd.DataFrame) -> pd.DataFrame:
    """Simple period returns (fractions) from a dates x tickers price frame; gaps stay NaN."""
    returns = prices.sort_index().astype(float).pct_change(fill_method=None).iloc[1:]
    return returns.dropna(how="all")


def sample_covariance(prices: pd.DataFrame, frequency: int = 252, returns_data: bool = False) -> pd.DataFrame:
    """Annualized sample covariance (``ddof=1``) of returns over the dates every ticker has.

    Parameters
    ----------
    prices : DataFrame
        Dates x tickers prices (or returns with ``returns_data=True``).
    frequency : int, default 252
        Periods per year (252 daily, 52 weekly, 12 monthly).
    """
    returns = _common_returns(prices, returns_data)
    return _labeled(np.cov(returns.to_numpy(), rowvar=False, ddof=1).reshape(returns.shape[1], -1)
                     * frequency, returns.columns)


def ledoit_wolf_covariance(prices: pd.DataFrame, frequency: int = 252,
                           returns_data: bool = False) -> pd.DataFrame:
    """Annualized Ledoit-Wolf (2004) covariance, shrunk towards a scaled identity.

    ``(1 - delta) S + delta m I`` with ``S`` the maximum-likelihood covariance (divides by ``n``) of
    demeaned returns, ``m = trace(S) / p`` and the optimal intensity ``delta = min(b2, d2) / d2``, where
    ``d2 = ||S - m I||^2 / p`` and ``b2 = sum_k ||x_k x_k' - S||^2 / (n^2 p)`` (Frobenius norms).
    This is the scaled-identity target of the 2004 paper (the same estimator as scikit-learn's
    ``LedoitWolf``), not the constant-correlation target. The intensity is in ``attrs['shrinkage']``.
    """
    returns = _common_returns(prices, returns_data)
    x = returns.to_numpy() - returns.to_numpy().mean(axis=0)
    n, p = x.shape
    sample = x.T @ x / n
    m = np.trace(sample) / p
    d2 = np.sum((sample - m * np.eye(p)) ** 2) / p
    b2_bar = (np.sum(np.sum(x**2, axis=1) ** 2) / n - np.sum(sample**2)) / (n * p)
    delta = 0.0 if d2 == 0 else min(b2_bar, d2) / d2
    covariance = _labeled(((1 - delta) * sample + delta * m * np.eye(p)) * frequency, returns.columns)
    covariance.attrs["shrinkage"] = float(delta)
    return covariance


def default_covariance(tickers: Iterable[str], layers: Layers = None) -> pd.DataFrame:
    """The offline prior when there is no price history: a one-factor model with a layer factor.

    Return of name i: ``r_i = s_i (a_i f + sqrt(c) g_layer(i) + sqrt(1 - a_i^2 - c) e_i)`` with
    unit-variance independent factors, so ``corr_ij = a_i a_j + c [same layer]`` and the matrix is
    positive semi-definite by construction. ``s`` = :data:`LAYER_VOLATILITY`, ``a`` =
    :data:`FACTOR_LOADING`, ``c`` = :data:`LAYER_CORRELATION`: labeled assumptions, not estimates.

    Parameters
    ----------
    tickers : iterable of str
    layers : mapping ticker -> layer, or a sequence aligned with ``tickers``, optional
        Unknown or missing layers count as ``other``; layer ``cash`` (or tickers CASH/USD) has no risk.
    """
    names = _names(tickers)
    layer = _layers(names, layers)
    vol = np.array([LAYER_VOLATILITY[layer[t]] for t in names])
    loading = np.array([FACTOR_LOADING[layer[t]] for t in names])
    same = np.array([[layer[a] == layer[b] and layer[a] != "cash" for b in names] for a in names])
    correlation = np.outer(loading, loading) + LAYER_CORRELATION * same
    np.fill_diagonal(correlation, 1.0)
    return _labeled(correlation * np.outer(vol, vol), names)


@dataclass(frozen=True)
class RiskModel:
    """An annualized return covariance over ``tickers``, with where it came from.

    Attributes
    ----------
    tickers : list of str
    covariance : DataFrame
        Annualized covariance of returns, index and columns ``tickers``.
    source : str
        ``sample``, ``ledoit_wolf``, ``default`` or a combination such as ``ledoit_wolf+default``.
    notes : list of str
        What the user should know (names that fell back to the prior and why).
    """

    tickers: list[str]
    covariance: pd.DataFrame
    source: str
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        cov = self.covariance
        if list(cov.index) != list(self.tickers) or list(cov.columns) != list(self.tickers):
            raise ValueError("RiskModel covariance must be labeled by `tickers` on both axes, in order.")
        if not np.allclose(cov.to_numpy(), cov.to_numpy().T, equal_nan=False):
            raise ValueError("RiskModel covariance must be symmetric.")

    @classmethod
    def default(cls, tickers: Iterable[str], layers: Layers = None) -> RiskModel:
        """The offline prior (:func:`default_covariance`)."""
        covariance = default_covariance(tickers, layers)
        return cls(list(covariance.index), covariance, "default",
                   ["Covariance from the documented layer prior (assumed volatilities), not from prices."])

    @classmethod
    def from_prices(cls, prices: pd.DataFrame, method: str = "ledoit_wolf", frequency: int = 252,
                    layers: Layers = None, min_observations: int = MIN_OBSERVATIONS) -> RiskModel:
        """Estimate from a dates x tickers price frame; names with too little history use the prior.

        Names with fewer than ``min_observations`` returns (a snapshot fallback has one price, hence
        none) get the :func:`default_covariance` block, uncorrelated with the estimated block so the
        matrix stays positive semi-definite; ``notes`` names them.
        """
        estimators = {"ledoit_wolf": ledoit_wolf_covariance, "sample": sample_covariance}
        if method not in estimators:
            raise ValueError(f"Unknown covariance method {method!r}; use one of {sorted(estimators)}.")
        names = _names(prices.columns)
        counts = returns_from_prices(prices).count() if len(prices) > 1 else pd.Series(0, index=names)
        enough = [t for t in names if counts.get(t, 0) >= min_observations]
        short = [t for t in names if t not in enough]
        if len(enough) < 2:
            model = cls.default(names, layers)
            note = (f"Too little price history (fewer than {min_observations} returns) to estimate a "
                    f"covariance for {', '.join(short) or 'any name'}; using the layer prior.")
            return cls(model.tickers, model.covariance, "default", [note])
        estimated = estimators[method](prices[enough], frequency=frequency)
        if not short:
            return cls(names, estimated.loc[names, names], method)
        return cls(names, _block(estimated, default_covariance(short, _layers(short, _subset(layers, names))),
                                 names), f"{method}+default",
                   [f"{', '.join(short)}: fewer than {min_observations} returns; covariance from the "
                    "layer prior, uncorrelated with the estimated names."])

    def for_tickers(self, tickers: Iterable[str], layers: Layers = None) -> RiskModel:
        """The model over ``tickers`` (e.g. an optimizer's universe); unknown names get the prior."""
        names = _names(tickers)
        missing = [t for t in names if t not in self.covariance.index]
        known = [t for t in names if t in self.covariance.index]
        if not missing:
            return RiskModel(names, self.covariance.loc[names, names], self.source, list(self.notes))
        prior = default_covariance(missing, _layers(missing, _subset(layers, names)))
        return RiskModel(names, _block(self.covariance.loc[known, known], prior, names),
                         self.source if "default" in self.source else f"{self.source}+default",
                         [*self.notes, f"{', '.join(missing)}: not in the risk model; layer prior used."])

    @property
    def volatility(self) -> pd.Series:
        """Annualized volatility per ticker (fraction)."""
        return pd.Series(np.sqrt(np.diag(self.covariance.to_numpy())), index=self.tickers, name="volatility")

    @property
    def correlation(self) -> pd.DataFrame:
        """Correlation matrix (zero rows for riskless names such as cash)."""
        vol = self.volatility.to_numpy()
        scale = np.divide(1.0, vol, out=np.zeros_like(vol), where=vol > 0)
        return _labeled(self.covariance.to_numpy() * np.outer(scale, scale), self.tickers)


# -- helpers -----------------------------------------------------------------------------------------


def _common_returns(prices: pd.DataFrame, returns_data: bool) -> pd.DataFrame:
    """Returns on the dates every ticker has; at least two such dates."""
    returns = (prices.astype(float) if returns_data else returns_from_prices(prices)).dropna(how="any")
    if len(returns) < 2:
        raise MarketDataError(
            f"Need at least 2 dates with returns for every ticker ({', '.join(map(str, prices.columns))}); "
            f"got {len(returns)}. Fix: give a longer common price history or use RiskModel.default().")
    return returns


def _labeled(matrix: np.ndarray, tickers: Iterable[Any]) -> pd.DataFrame:
    names = pd.Index([str(t) for t in tickers], name="ticker")
    return pd.DataFrame(matrix, index=names, columns=names.rename(None))


def _block(first: pd.DataFrame, second: pd.DataFrame, order: list[str]) -> pd.DataFrame:
    """Block-diagonal join of two labeled covariances, reordered to ``order``."""
    names = [*first.index, *second.index]
    matrix = np.zeros((len(names), len(names)))
    k = len(first)
    matrix[:k, :k], matrix[k:, k:] = first.to_numpy(), second.to_numpy()
    return _labeled(matrix, names).loc[order, order]


def _names(tickers: Iterable[Any]) -> list[str]:
    return list(dict.fromkeys(str(t) for t in tickers))


def _layers(names: list[str], layers: Layers) -> dict[str, str]:
    if layers is None:
        given: dict[str, Any] = {}
    elif isinstance(layers, Mapping):
        given = {str(k): v for k, v in layers.items()}
    else:
        values = list(layers)
        if len(values) != len(names):
            raise ValueError(f"Got {len(values)} layers for {len(names)} tickers; pass a ticker -> layer mapping.")
        given = dict(zip(names, values, strict=True))
    out = {}
    for name in names:
        layer = str(getattr(given.get(name), "value", given.get(name) or "other"))
        if name.upper() in {"CASH", "USD"}:
            layer = "cash"
        out[name] = layer if layer in LAYER_VOLATILITY else "other"
    return out


def _subset(layers: Layers, names: list[str]) -> Layers:
    """A sequence aligned with ``names`` becomes a mapping, so it survives sub-setting."""
    if layers is None or isinstance(layers, Mapping):
        return layers
    return dict(zip(names, list(layers), strict=True))
