"""Property tests (hypothesis): invariants of exposure, stress and suggestions on small random inputs.

Deterministic (``derandomize=True``, no example database) and bounded so the file runs in about 30 s;
a release run: ``EXPOSURE_PROPERTY_SCALE=10 python -m pytest tests/test_properties.py``.

Monotonicity, precisely: growing a deal raises (never lowers) every company's exposure to the deal's
*counterparty*: the payer for a contract (the payee depends on it), both ends for an equity stake.
Exposure to *other* hubs may fall, by design: revenue dependence is normalized by the payee's forward
revenue, so a bigger contract dilutes the payee's other customers (DESIGN section 4).
"""

from __future__ import annotations

import io
import os

import numpy as np
import pandas as pd
import pytest
from conftest import SMALL_COMPANIES, SMALL_DEALS
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from exposure.analyze import analyze
from exposure.contagion import linear_debtrank
from exposure.dealweb import DealWeb
from exposure.errors import DealWebError, ExposureError
from exposure.models import ExposureModel
from exposure.network import build_sensitivity, hub_exposures, spectral_radius
from exposure.portfolio import Portfolio

#: Examples per property; ``EXPOSURE_PROPERTY_SCALE=10`` multiplies them for a release run.
SCALE = max(1, int(os.environ.get("EXPOSURE_PROPERTY_SCALE", "1")))
PROFILE = settings(derandomize=True, database=None, deadline=None, max_examples=12 * SCALE,
                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
ENGINE = settings(PROFILE, max_examples=30 * SCALE)
FAST = settings(PROFILE, max_examples=150 * SCALE)
TOL = 1e-9

LAYERS = ["model_lab", "hyperscaler_cloud", "neocloud", "semiconductor", "data_center_power"]
CONTRACTS = ["cloud_compute_contract", "chip_supply", "custom_chip_partnership", "data_center_project"]


# ------------------------------------------------------------------------------------------ strategies
@st.composite
def webs(draw: st.DrawFn, min_companies: int = 3, max_companies: int = 6) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A small random web (companies, deals), always with a contract and an equity stake."""
    n = draw(st.integers(min_companies, max_companies))
    ids = [f"c{k}" for k in range(n)]
    companies = pd.DataFrame({
        "name": [f"Company {k}" for k in range(n)],
        "ticker": [f"T{k}" for k in range(n)],
        "layer": [draw(st.sampled_from(LAYERS)) for _ in ids],
        "revenue_usd_bn": [draw(st.floats(1, 500)) for _ in ids],
        "market_cap_usd_bn": [draw(st.floats(50, 5000)) for _ in ids],
        "as_of": "2026-01-01", "source_url": "https://example.org", "notes": None,
    }, index=pd.Index(ids, name="id"))
    pairs = st.tuples(st.sampled_from(ids), st.sampled_from(ids)).filter(lambda p: p[0] != p[1])
    rows = []
    kinds = ["contract", "equity"] + draw(st.lists(st.sampled_from(["contract", "equity"]), max_size=6))
    for k, kind in enumerate(kinds):
        payer, payee = draw(pairs)
        rows.append({
            "id": f"D{k}", "payer": payer, "payee": payee,
            "type": draw(st.sampled_from(CONTRACTS)) if kind == "contract" else "equity_investment",
            "amount_usd_bn": draw(st.floats(0.1, 40)),
            "duration_years": draw(st.one_of(st.none(), st.floats(1, 10))) if kind == "contract" else None,
            "announced": "2025-01", "status": draw(st.sampled_from(["completed", "announced", "reported", "rumored"])),
            "source_url": "https://example.org", "notes": None, "capacity_gw": None, "firm_usd_bn": None,
        })
    deals = pd.DataFrame(rows)
    for column in ("amount_usd_bn", "duration_years", "capacity_gw", "firm_usd_bn"):
        deals[column] = deals[column].astype(float)
    return companies, deals


def stable(companies: pd.DataFrame, deals: pd.DataFrame) -> DealWeb:
    web = DealWeb(companies, deals)
    assume(spectral_radius(web.sensitivity().matrix) < 0.95)
    return web


weights = st.lists(st.floats(0.01, 1.0), min_size=1, max_size=6)


def portfolio_on(companies: pd.DataFrame, amounts: list[float]) -> dict[str, float]:
    tickers = list(companies["ticker"])
    return {tickers[k % len(tickers)] if k < len(tickers) else f"OTHER{k}": a for k, a in enumerate(amounts)}


def hub_numbers(report) -> np.ndarray:
    return report.hubs.sort_index()[["direct", "first_order", "network", "total"]].to_numpy()


# ---------------------------------------------------------------------------------------- exposure
@PROFILE
@given(webs(), weights)
def test_exposures_are_fractions_of_portfolio_value(web_parts, amounts):
    web = stable(*web_parts)
    report = analyze(Portfolio.from_weights(portfolio_on(web.companies, amounts)), web)
    values = hub_numbers(report)
    assert np.isfinite(values).all()
    assert (values >= -TOL).all() and (values <= 1 + TOL).all()
    assert 0 <= report.score <= 100


@PROFILE
@given(webs(), weights, st.floats(1e-3, 1e6))
def test_scaling_every_position_changes_nothing(web_parts, amounts, factor):
    web = stable(*web_parts)
    base = portfolio_on(web.companies, amounts)
    one = analyze(Portfolio.from_weights(base), web)
    scaled = analyze(Portfolio.from_weights({t: a * factor for t, a in base.items()}), web)
    np.testing.assert_allclose(hub_numbers(one), hub_numbers(scaled), rtol=1e-9, atol=1e-12)
    assert one.score == pytest.approx(scaled.score, rel=1e-9, abs=1e-9)


@PROFILE
@given(webs(), weights, st.sampled_from(["T0", "NEWCO", "CASH"]))
def test_a_zero_weight_holding_changes_nothing(web_parts, amounts, extra):
    web = stable(*web_parts)
    base = portfolio_on(web.companies, amounts)
    assume(extra not in base)
    one = analyze(Portfolio.from_weights(base), web)
    more = analyze(Portfolio.from_weights({**base, extra: 0.0}), web)
    np.testing.assert_allclose(hub_numbers(one), hub_numbers(more), rtol=1e-12, atol=1e-15)
    assert one.metrics["ai_share"] == pytest.approx(more.metrics["ai_share"])


@ENGINE
@given(webs(), st.data())
def test_exposure_to_a_deals_counterparty_never_falls_when_the_deal_grows(web_parts, data):
    companies, deals = web_parts
    model = ExposureModel()
    before = build_sensitivity(companies, deals, model)
    assume(spectral_radius(before.matrix) < 0.95)
    row = data.draw(st.integers(0, len(deals) - 1))
    grown = deals.copy()
    grown.loc[row, "amount_usd_bn"] *= data.draw(st.floats(1.0, 5.0))
    after = build_sensitivity(companies, grown, model)
    assume(spectral_radius(after.matrix) < 0.95)
    deal = deals.loc[row]
    ends = [deal["payer"]] if deal["type"] != "equity_investment" else [deal["payer"], deal["payee"]]
    hubs = [before.index[h] for h in ends]
    x_before, x_after = hub_exposures(before.matrix, hubs), hub_exposures(after.matrix, hubs)
    assert (x_after >= x_before - 1e-12).all()


def test_a_bigger_contract_may_dilute_exposure_to_other_customers(small_web):
    # Documented, not a bug: the payee's forward revenue grows, so each other customer's share shrinks.
    deals = small_web.deals.copy()
    base = build_sensitivity(small_web.companies, deals)
    deals.loc[deals["id"] == "D1", "amount_usd_bn"] *= 10
    grown = build_sensitivity(small_web.companies, deals)
    cloud, lab = base.index["cloud"], base.index["lab"]
    assert grown.dense()[cloud, lab] > base.dense()[cloud, lab]


# ------------------------------------------------------------------------------------------- stress
@st.composite
def stable_matrices(draw: st.DrawFn) -> np.ndarray:
    """Non-negative L with zero diagonal and row sums < 1 (so its spectral radius is < 1)."""
    n = draw(st.integers(2, 7))
    entries = draw(st.lists(st.floats(0, 1), min_size=n * n, max_size=n * n))
    matrix = np.array(entries).reshape(n, n)
    np.fill_diagonal(matrix, 0.0)
    scale = draw(st.floats(0.05, 0.99))
    sums = matrix.sum(axis=1, keepdims=True)
    return np.divide(matrix * scale, sums, out=np.zeros_like(matrix), where=sums > 0)


@FAST
@given(stable_matrices(), st.data())
def test_stress_losses_are_fractions_and_grow_with_the_shock(matrix, data):
    n = matrix.shape[0]
    small = np.array(data.draw(st.lists(st.floats(0, 1), min_size=n, max_size=n)))
    extra = np.array(data.draw(st.lists(st.floats(0, 1), min_size=n, max_size=n)))
    large = np.minimum(1.0, small + extra)
    loss_small, loss_large = linear_debtrank(matrix, small), linear_debtrank(matrix, large)
    for loss in (loss_small, loss_large):
        assert np.isfinite(loss).all() and (loss >= -TOL).all() and (loss <= 1 + TOL).all()
    assert (loss_large >= loss_small - 1e-9).all()
    assert (loss_small >= small - 1e-12).all()  # a shocked company loses at least its shock


_SMALL_WEB = DealWeb.from_csv(io.StringIO(SMALL_COMPANIES), io.StringIO(SMALL_DEALS))


@settings(PROFILE, max_examples=8 * SCALE)
@given(st.floats(0, 1), st.floats(0, 1), st.sampled_from(["lab", "cloud", "chip"]))
def test_portfolio_stress_loss_is_a_fraction_and_monotone(first, second, hub):
    from exposure.scenarios import stress

    pf = Portfolio.from_weights({"CLD": 0.4, "CHP": 0.4, "CASH": 0.2})
    low, high = sorted((first, second))
    loss_low = stress(pf, _SMALL_WEB, shocks={hub: low}).portfolio_loss
    loss_high = stress(pf, _SMALL_WEB, shocks={hub: high}).portfolio_loss
    assert -TOL <= loss_low <= loss_high + 1e-12 <= 1 + TOL + 1e-12


# -------------------------------------------------------------------------------------- suggestions
@settings(PROFILE, max_examples=4 * SCALE)
@given(st.floats(0.08, 0.5), st.floats(0.05, 0.6), st.floats(0.0, 0.2),
       st.lists(st.sampled_from(["NVDA", "MSFT", "ORCL", "AMD", "CRWV", "XOM", "JNJ"]), min_size=2, max_size=5,
                unique=True))
def test_every_suggestion_satisfies_its_constraints(max_weight, cap, min_cash, tickers):
    try:
        from exposure.optimize import Constraints, suggest
    except ImportError:
        pytest.skip("exposure/optimize.py has not landed yet")
    from exposure.errors import InfeasibleError

    web = _bundled()
    pf = Portfolio.from_weights({t: 1.0 for t in tickers})
    constraints = Constraints(max_weight=max_weight, hub_caps={"openai": cap}, min_cash=min_cash)
    try:
        result = suggest(pf, web, constraints)
    except InfeasibleError as error:
        assert "\n" not in str(error) and error.conflicts
        return
    target = result.weights["target"]
    assert target.sum() == pytest.approx(1.0, abs=1e-6)
    assert (target >= -1e-6).all()
    assert target.get("CASH", 0.0) >= min_cash - 1e-6
    funds = set(_fund_tickers())
    names = target.drop(labels=["CASH"], errors="ignore")
    assert (names[~names.index.isin(funds)] <= max_weight + 1e-5).all()
    assert result.after.hub("openai")["total"] <= cap + 1e-5


_CACHE: dict[str, object] = {}


def _bundled() -> DealWeb:
    if "web" not in _CACHE:
        _CACHE["web"] = DealWeb.bundled()
    return _CACHE["web"]  # type: ignore[return-value]


def _fund_tickers() -> list[str]:
    from importlib import resources

    holdings = pd.read_csv(str(resources.files("exposure") / "data" / "fund_holdings.csv"))
    return sorted(set(holdings["fund"]))


def test_invalid_input_never_escapes_as_a_plain_exception():
    # A guard for the properties above: their failures must come from the engine, not from loading.
    with pytest.raises(ExposureError):
        Portfolio.from_weights({"NVDA": -1.0})
    with pytest.raises(DealWebError):
        DealWeb.from_csv(io.StringIO(""), io.StringIO(SMALL_DEALS))
