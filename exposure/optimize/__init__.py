"""Suggestions (cvxpy): the cheapest trades that bring a portfolio under hub caps and layer bands, invested,
without dust, in whole shares, with reasons when impossible.

The problem (docs: the README's suggest section) over the target weights ``w`` of the holdings and a
diversifier universe, and ``cash``::

    minimize    buy_costs @ b + sell_costs @ s + gamma * sum_h E_h(w)^2  (+ w' S w with a risk model)
    subject to  w = w0 + b - s, b, s >= 0, sum(w) + cash = 1, 0 <= w <= max_weight (funds exempt),
                min_cash <= cash <= max_cash (default max(current cash, min_cash): stay invested),
                E_h(w) = e_h @ w <= cap_h, layer bands (fractions of total value), frozen and excluded names,
                turnover budget, scenario losses h_s @ w <= cap_s,
                every trade zero or >= min_trade, at most max_trades trades (a MILP, see ``discrete``),
                whole shares for share and value portfolios.

Modules: ``constraints`` (what the user asks), ``inputs`` (universe file, prices, cost basis), ``universe`` (what
may be bought: the reinvestment rule), ``data`` (the numbers), ``program`` (the cvxpy problem, cached per shape),
``levels`` (interchangeable names solved as common levels), ``discrete`` (no dust, whole shares), ``cashfit``
(cash back in its band after rounding), ``explain`` (infeasibility and binding constraints), ``solve``,
``result`` (:class:`Suggestion`), ``frontier``; ``reduce``, ``running``, ``interior``, ``activeset``, ``warm`` and
``blas`` make solves small, quiet and fast.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from exposure.analyze import build_context
from exposure.optimize.constraints import DEFAULT_MIN_TRADE, PRESETS, Constraints
from exposure.optimize.data import ProblemData, build
from exposure.optimize.frontier import frontier
from exposure.optimize.inputs import MemoMarket, load_universe, with_account_currency
from exposure.optimize.program import _PROGRAMS, Program, Shape, clear_cache, constants, program_for, shape_of
from exposure.optimize.result import Suggestion, assemble, hub_change
from exposure.optimize.solve import Solved, solve

if TYPE_CHECKING:
    from exposure.dealweb import DealWeb
    from exposure.market import MarketData
    from exposure.models import ExposureModel
    from exposure.portfolio import Portfolio

__all__ = ["DEFAULT_MIN_TRADE", "PRESETS", "Constraints", "Program", "ProblemData", "Shape", "Solved",
           "Suggestion", "clear_cache", "constants", "frontier", "hub_change", "load_universe", "problem_data",
           "program_for", "shape_of", "solve", "suggest", "_PROGRAMS"]


def suggest(pf: Portfolio, web: DealWeb | None = None, constraints: Constraints | None = None,
            risk: Any = None, model: ExposureModel | None = None,
            market: MarketData | None = None) -> Suggestion:
    """The cheapest trades (cost-weighted turnover, taxes) that satisfy ``constraints``, staying invested.

    Parameters
    ----------
    pf : the current holdings.
    web : the deal web; the bundled one when omitted.
    constraints : :class:`Constraints`; ``Constraints()`` (every default stated in ``.constraints``) when omitted.
    risk : optional risk model: an object with a ``covariance`` DataFrame by ticker (``exposure.risk.RiskModel``)
        or the covariance DataFrame itself (annual variance units). Adds ``risk_aversion * w' S w``.
    model : how deals become dependence (``ExposureModel()`` defaults).
    market : market data provider (bundled snapshot by default), used for look-through, values and prices.

    Returns
    -------
    Suggestion. Raises :class:`~exposure.errors.InfeasibleError` naming the conflicting constraints and how
    far each must move, and :class:`~exposure.errors.ConstraintError` for malformed constraints.

    Examples
    --------
    >>> import exposure as ex
    >>> pf = ex.Portfolio.from_csv("portfolios/ai_heavy.csv")            # doctest: +SKIP
    >>> sug = ex.suggest(pf, constraints=ex.Constraints(hub_caps={"openai": 0.15}))  # doctest: +SKIP
    >>> sug.after.hub("openai")["total"] <= 0.15 + 1e-6              # doctest: +SKIP
    True
    """
    started = time.perf_counter()
    constraints = with_account_currency(constraints or Constraints(), pf)
    memo = MemoMarket(market)
    ctx = build_context(pf, web, model, memo)
    data = build(ctx, constraints, risk, memo)
    solved = solve(data, constraints)
    return assemble(ctx, data, constraints, solved, memo, started)


def problem_data(pf: Portfolio, web: DealWeb | None = None, constraints: Constraints | None = None,
                 risk: Any = None, model: ExposureModel | None = None,
                 market: MarketData | None = None) -> ProblemData:
    """The arrays :func:`suggest` optimizes over (for inspection and benchmarks)."""
    memo = MemoMarket(market)
    return build(build_context(pf, web, model, memo), with_account_currency(constraints or Constraints(), pf), risk,
                 memo)
