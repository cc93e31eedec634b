"""Synthetic deal webs and accounts for benchmarks and scale tests (no real data).

:func:`synthetic_web` draws a web in the bundled format with power-law degrees (a few hubs carry most
deals, as Nvidia, Microsoft and OpenAI do in the real web) and amounts scaled to the companies' sizes so
that the sensitivity matrix stays well inside the stable region (spectral radius < 1):

* a company's contract revenue received in the web is at most ``max_web_revenue_share`` of its own revenue,
* the equity it receives is at most half its revenue, and an investor's stakes are at most 10% of its cap.

:func:`synthetic_accounts` draws a long holdings frame (``account, ticker, weight``) over a ticker universe
with Zipf popularity, the input of :func:`exposure.batch.analyze_many`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from exposure.dealweb import DealWeb

LAYERS = ("semiconductor", "hyperscaler_cloud", "neocloud", "model_lab", "foundry_equipment",
          "networking_hardware", "data_center_power", "application", "investor", "other")
_LAYER_SHARES = (0.14, 0.06, 0.08, 0.04, 0.08, 0.08, 0.1, 0.22, 0.1, 0.1)
_CONTRACT_TYPES = ("cloud_compute_contract", "chip_supply", "custom_chip_partnership", "data_center_project",
                   "licensing_partnership")
_CONTRACT_SHARES = (0.35, 0.3, 0.1, 0.15, 0.1)
_STATUSES = ("completed", "announced", "reported", "rumored")
_STATUS_SHARES = (0.55, 0.3, 0.1, 0.05)
_SOURCE = "https://example.invalid/synthetic"


def synthetic_web(n_companies: int, n_deals: int, seed: int = 0, *, private_share: float = 0.1,
                  equity_share: float = 0.25, max_web_revenue_share: float = 0.4) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A random deal web in the bundled CSV format: ``(companies, deals)``.

    Parameters
    ----------
    n_companies, n_deals : size of the web (companies ``c000001...``, deals ``d0000001...``).
    seed : random seed; the same seed gives the same web.
    private_share : fraction of companies without ticker and market cap (private, like OpenAI).
    equity_share : fraction of deals that are equity investments (the rest are contracts).
    max_web_revenue_share : cap on the contract revenue a company receives in the web, as a fraction of
        its own revenue (keeps revenue dependence below ``share / (1 + share)``).

    Returns
    -------
    companies : ``id, name, ticker, layer, revenue_usd_bn, market_cap_usd_bn, as_of, source_url, notes``.
    deals : ``id, payer, payee, type, amount_usd_bn, duration_years, announced, status, source_url, notes,
        capacity_gw, firm_usd_bn`` (amounts in USD bn).
    """
    if n_companies < 2 or n_deals < 0:
        raise ValueError("synthetic_web needs at least 2 companies and a non-negative number of deals.")
    rng = np.random.default_rng(seed)
    revenue = np.clip(rng.lognormal(np.log(2.0), 1.6, n_companies), 0.05, 700.0)
    market_cap = revenue * np.clip(rng.lognormal(np.log(5.0), 0.7, n_companies), 0.5, 60.0)
    listed = rng.random(n_companies) >= private_share
    ids = np.char.add("c", np.char.zfill(np.arange(1, n_companies + 1).astype(str), 6))
    companies = pd.DataFrame({
        "id": ids,
        "name": np.char.add("Synthetic ", ids),
        "ticker": pd.Series(np.char.add("S", np.char.zfill(np.arange(1, n_companies + 1).astype(str), 6)),
                            dtype=object).where(listed, None),
        "layer": rng.choice(LAYERS, n_companies, p=_LAYER_SHARES),
        "revenue_usd_bn": revenue.round(4),
        "market_cap_usd_bn": np.where(listed, market_cap.round(4), np.nan),
        "as_of": "2026-01-01",
        "source_url": _SOURCE,
        "notes": "synthetic",
    })
    revenue = companies["revenue_usd_bn"].to_numpy()
    market_cap = companies["market_cap_usd_bn"].to_numpy()

    # Power-law degrees: deal propensity grows with size, times a Pareto draw.
    propensity = revenue**0.6 * (rng.pareto(1.5, n_companies) + 1.0)
    p = propensity / propensity.sum()
    payer = rng.choice(n_companies, n_deals, p=p)
    payee = rng.choice(n_companies, n_deals, p=p)
    same = payer == payee
    payee[same] = (payee[same] + 1 + rng.integers(0, n_companies - 1, same.sum())) % n_companies
    is_equity = rng.random(n_deals) < equity_share
    kinds = np.where(is_equity, "equity_investment", rng.choice(_CONTRACT_TYPES, n_deals, p=_CONTRACT_SHARES))
    duration = np.where(is_equity, np.nan, rng.integers(1, 8, n_deals).astype(float))
    size = np.sqrt(revenue[payer] * revenue[payee])
    raw = size * rng.lognormal(np.log(0.02), 1.0, n_deals)  # annual value for contracts, amount for equity

    # Scale incoming contract revenue and equity so the web stays stable (module docstring).
    contract = ~is_equity
    received = np.bincount(payee[contract], raw[contract], n_companies)
    scale_in = np.minimum(1.0, max_web_revenue_share * revenue / np.maximum(received, 1e-12))
    raw[contract] *= scale_in[payee[contract]]
    equity_in = np.bincount(payee[is_equity], raw[is_equity], n_companies)
    scale_eq = np.minimum(1.0, 0.5 * revenue / np.maximum(equity_in, 1e-12))
    invested = np.bincount(payer[is_equity], raw[is_equity] * scale_eq[payee[is_equity]], n_companies)
    cap = np.where(np.isnan(market_cap), np.inf, 0.1 * np.nan_to_num(market_cap, nan=np.inf))
    scale_out = np.minimum(1.0, cap / np.maximum(invested, 1e-12))
    raw[is_equity] *= scale_eq[payee[is_equity]] * scale_out[payer[is_equity]]
    amount = np.where(is_equity, raw, raw * np.nan_to_num(duration, nan=1.0))

    months = rng.integers(0, 40, n_deals)
    announced = [f"{2023 + m // 12}-{m % 12 + 1:02d}" for m in months]
    deals = pd.DataFrame({
        "id": np.char.add("d", np.char.zfill(np.arange(1, n_deals + 1).astype(str), 7)),
        "payer": ids[payer],
        "payee": ids[payee],
        "type": kinds,
        "amount_usd_bn": np.maximum(amount, 1e-6).round(6),
        "duration_years": duration,
        "announced": announced,
        "status": rng.choice(_STATUSES, n_deals, p=_STATUS_SHARES),
        "source_url": _SOURCE,
        "notes": "synthetic",
        "capacity_gw": np.nan,
        "firm_usd_bn": np.nan,
    })
    return companies, deals


def synthetic_dealweb(n_companies: int, n_deals: int, seed: int = 0, **options: float) -> DealWeb:
    """:func:`synthetic_web` as a :class:`~exposure.DealWeb` (built directly, without row-by-row validation)."""
    companies, deals = synthetic_web(n_companies, n_deals, seed, **options)
    return DealWeb(companies.set_index("id"), deals)


def synthetic_universe(n_tickers: int, web: DealWeb | None = None, funds: Sequence[str] = ()) -> list[str]:
    """``n_tickers`` tickers: the web's listed tickers and ``funds`` first (the most popular), then fillers
    ``X000001...`` that the web does not know (they count as unmapped)."""
    known = list(funds) + ([] if web is None else [str(t) for t in web.listed["ticker"]])
    known = list(dict.fromkeys(known))[:n_tickers]
    fillers = [f"X{k:06d}" for k in range(1, n_tickers - len(known) + 1)]
    return known + fillers


def synthetic_accounts(n_accounts: int, n_holdings: int, universe: Sequence[str], seed: int = 0,
                       *, popularity: float = 1.0) -> pd.DataFrame:
    """A long holdings frame: ``n_holdings`` distinct tickers per account, Zipf-popular, weights summing to 1.

    Parameters
    ----------
    n_accounts : accounts ``0 .. n_accounts - 1`` (int64 ids).
    n_holdings : distinct tickers per account (at most the universe's size).
    universe : tickers, most popular first (ticker k is drawn with probability ~ ``1 / (k + 10)**popularity``).
    seed : random seed.

    Returns
    -------
    DataFrame ``account`` (int64), ``ticker`` (categorical over ``universe``), ``weight`` (float64).
    """
    universe = list(dict.fromkeys(universe))
    if n_holdings > len(universe):
        raise ValueError(f"{n_holdings} holdings per account need a universe of at least that many tickers.")
    rng = np.random.default_rng(seed)
    cdf = np.cumsum(1.0 / (np.arange(len(universe)) + 10.0) ** popularity)
    cdf /= cdf[-1]

    def draw(count: int) -> np.ndarray:
        return np.minimum(np.searchsorted(cdf, rng.random(count)), len(universe) - 1).astype(np.int32)

    codes = draw(n_accounts * n_holdings).reshape(n_accounts, n_holdings)
    while True:  # redraw repeated tickers within an account until every holding is distinct
        codes.sort(axis=1)
        repeated = np.zeros_like(codes, dtype=bool)
        repeated[:, 1:] = codes[:, 1:] == codes[:, :-1]
        count = int(repeated.sum())
        if count == 0:
            break
        codes[repeated] = draw(count)
    raw = rng.exponential(1.0, (n_accounts, n_holdings))
    weights = raw / raw.sum(axis=1, keepdims=True)
    return pd.DataFrame({
        "account": np.repeat(np.arange(n_accounts, dtype=np.int64), n_holdings),
        "ticker": pd.Categorical.from_codes(codes.ravel(), categories=pd.Index(universe, dtype=object)),
        "weight": weights.ravel(),
    })
