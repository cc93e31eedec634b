"""A fixed fee per trade (``Constraints.trade_fee``): hand-worked on the three-company web of test_optimize."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from test_optimize import COMPANIES, DEALS

import exposure as ex
from exposure.optimize import Constraints, suggest

# $10,000: CLOUD 6,000, CHIP 2,000, OTHER 1,500, cash 500. Exposure to LAB: 0.5 * 0.60 + 0.125 * 0.20 = 0.325.
VALUES = pd.DataFrame({"ticker": ["CLD", "CHP", "OTH", "CASH"], "market_value": [6000.0, 2000.0, 1500.0, 500.0]})
BASE = {"hub_caps": {"lab": 0.25}, "max_weight": 1.0, "gamma": 0.0, "min_trade": 0.0, "universe": [],
        "fractional": True}


@pytest.fixture(scope="module")
def small_web() -> ex.DealWeb:
    return ex.DealWeb.from_csv(io.StringIO(COMPANIES), io.StringIO(DEALS))


def test_each_trade_pays_the_fee_once(small_web):
    # Cheapest: sell CLOUD x, buy OTHER x (no LAB loading; cash may not grow): 0.5 (0.6 - x) + 0.025 = 0.25,
    # x = 0.15. Objective: costs 0.01 * (0.15 + 0.15) = 0.003 plus two fees of 10 / 10,000 = 0.002: 0.005.
    pf = ex.Portfolio.from_frame(VALUES)
    sug = suggest(pf, small_web, Constraints(**BASE, concentration=0.0, transaction_costs=0.01, trade_fee=10.0))
    assert sorted(sug.trades.index) == ["CLD", "OTH"]
    assert sug.trades.loc["CLD", "weight"] == pytest.approx(0.15, abs=1e-6)
    assert sug.objective == pytest.approx(0.005, abs=1e-6)
    assert any("trade fee: 2 trade(s) x 10.00 = 20.00" in note for note in sug.notes)


def test_a_large_fee_leaves_the_fewest_trades(small_web):
    # The cap needs a sale of CLOUD and staying invested needs a buy: two trades at least. The concentration term
    # spreads the proceeds over CHIP and OTHER without a fee (at concentration 3; at 1, CHIP's LAB loading makes
    # buying it cost more than it spreads: the optimum buys OTHER alone); a fee of 1,000 (10% of value) per
    # trade leaves two.
    pf = ex.Portfolio.from_frame(VALUES)
    free = suggest(pf, small_web, Constraints(**BASE, concentration=3.0))
    assert len(free.trades) >= 3 and free.trades["weight"].min() > 1e-3
    paid = suggest(pf, small_web, Constraints(**BASE, concentration=3.0, trade_fee=1000.0))
    assert len(paid.trades) == 2 and paid.after.hub("lab")["total"] <= 0.25 + 1e-6


def test_a_fee_needs_values(small_web):
    weights = ex.Portfolio.from_weights({"CLD": 0.6, "CHP": 0.2, "OTH": 0.15, "CASH": 0.05})
    with pytest.raises(ex.ConstraintError, match="trade_fee"):
        suggest(weights, small_web, Constraints(**BASE, trade_fee=5.0))
