"""The :class:`Suggestion`: the target, the trades, the reports before and after, and why."""

from __future__ import annotations

import html
import json
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from exposure.analyze import Context, analyze
from exposure.files import frame_to_csv
from exposure.holdings import Holdings
from exposure.optimize.cashfit import fit_cash
from exposure.optimize.constraints import Constraints
from exposure.optimize.data import ProblemData
from exposure.optimize.discrete import TRADE_TOL
from exposure.optimize.explain import binding
from exposure.optimize.inputs import positions
from exposure.portfolio import Portfolio
from exposure.report import ExposureReport, frame_html, jsonable, percent

if TYPE_CHECKING:
    from exposure.market import MarketData
    from exposure.optimize.solve import Solved

CASH = "CASH"
TRADE_COLUMNS = ["name", "action", "weight", "value_usd", "shares", "price_usd"]


@dataclass(repr=False)
class Suggestion:
    """A suggested target portfolio and how it was found. Weights are fractions of total value.

    Attributes
    ----------
    weights : per ticker (index) ``name, layer, current, target, trade``; the cash row is ``CASH``.
    trades : the trades only, indexed by ticker: ``name, action`` (buy/sell), ``weight`` (fraction traded,
        > 0), ``value_usd`` (when the portfolio's value is known, else NaN), ``shares`` (whole shares for
        share and value portfolios, else NaN) and ``price_usd`` (the price used).
    before, after : :func:`exposure.analyze` reports of the current and the target portfolio.
    status, solver : cvxpy's status (``optimal``) and the solver that produced it.
    binding : constraints that bind at the target: ``constraint, bound, value, dual, reading``. The dual is
        the objective's fall per unit the bound is relaxed (objective units are weight traded).
    constraints : every setting with ``value`` and ``source`` (given or default).
    turnover : sum of ``|trade|`` over names. ``objective`` : the optimal objective.
    timings : seconds: ``solve``, ``total``; ``compiled`` (whether the problem was compiled for this call).
    notes : the solver, its time and status, and every assumption made.
    """

    weights: pd.DataFrame
    trades: pd.DataFrame
    before: ExposureReport
    after: ExposureReport
    status: str
    solver: str
    binding: pd.DataFrame
    constraints: pd.DataFrame
    turnover: float
    objective: float
    timings: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    #: The target in the holdings file's own units (``ticker, amount, name`` and the unit: ``shares``,
    #: ``market_value`` or ``weight``), for :meth:`target_csv`.
    holdings: pd.DataFrame | None = None
    units: str = "weight"

    @property
    def target(self) -> pd.Series:
        """Target weight per ticker (cash as ``CASH``), names with a zero target left out."""
        target = self.weights["target"]
        return target[target != 0].rename("weight")

    @property
    def hubs(self) -> pd.DataFrame:
        """Total exposure to each hub before and after (``name, before, after``), largest first."""
        return hub_change(self.before, self.after)

    @property
    def layers(self) -> pd.DataFrame:
        """Weight in each layer before and after (fractions of total value, funds looked through)."""
        both = pd.DataFrame({"before": self.before.layers["weight"], "after": self.after.layers["weight"]})
        return both.fillna(0.0).sort_values("after", ascending=False, kind="stable")

    def summary(self) -> str:
        """One line: trades, turnover, the score before and after."""
        return (f"{len(self.trades)} trade(s), turnover {percent(self.turnover)}: score {self.before.score:.0f} "
                f"({self.before.grade}, {self.before.top_hub_name or 'no hub'}) -> {self.after.score:.0f} "
                f"({self.after.grade}, {self.after.top_hub_name or 'no hub'}); {self.status} with {self.solver}.")

    def to_dict(self) -> dict[str, Any]:
        """Everything as plain Python with stable keys (for ``--format json``)."""
        return jsonable({
            "status": self.status, "solver": self.solver, "turnover": self.turnover, "objective": self.objective,
            "summary": self.summary(), "weights": self.weights, "trades": self.trades.reset_index(),
            "binding": self.binding, "hubs": self.hubs, "layers": self.layers, "score_before": self.before.score,
            "score_after": self.after.score, "constraints": self.constraints, "notes": self.notes,
            "timings": self.timings,
        })

    def to_json(self, indent: int | None = 2) -> str:
        """:meth:`to_dict` as JSON."""
        return json.dumps(self.to_dict(), indent=indent)

    def target_csv(self) -> str:
        """The target as a holdings CSV that ``exposure score`` reads back, in the input's own units:
        ``ticker,shares,name`` for a share-count file (cash as an amount), ``ticker,market_value,name`` for
        values, else ``ticker,weight,name``."""
        if self.holdings is not None:
            kept = self.holdings[self.holdings["amount"] > 0]
            frame = pd.DataFrame({"ticker": kept["ticker"].to_numpy(), self.units: kept["amount"].round(6).to_numpy(),
                                  "name": kept["name"].to_numpy()})
        else:
            kept = self.weights[self.weights["target"] > 0]
            frame = pd.DataFrame({"ticker": kept.index, "weight": kept["target"].round(10).to_numpy(),
                                  "name": kept["name"].to_numpy()})
        return frame_to_csv(frame, index=False)  # names and tickers cannot start a spreadsheet formula

    def __str__(self) -> str:
        return self.summary()

    def __repr__(self) -> str:
        return (f"Suggestion({self.status} with {self.solver}: {len(self.trades)} trade(s), turnover "
                f"{self.turnover:.4f}, score {self.before.score:.0f} -> {self.after.score:.0f}, "
                f"{len(self.binding)} binding constraint(s))")

    def _repr_html_(self) -> str:
        return (f"<div><h4>Suggestion ({html.escape(self.status)}, {html.escape(self.solver)})</h4>"
                f"<p>{html.escape(self.summary())}</p>"
                f"<h5>Trades</h5>{frame_html(self.trades.reset_index(), ['weight'], 30)}"
                f"<h5>Hubs before and after</h5>{frame_html(self.hubs.head(8), ['before', 'after'])}"
                f"<h5>Binding constraints</h5>{frame_html(self.binding, [], 20)}"
                f"<h5>Constraints</h5>{frame_html(self.constraints, [], 30)}"
                f"<p><small>{html.escape(' '.join(self.notes))}</small></p></div>")


def hub_change(before: ExposureReport, after: ExposureReport) -> pd.DataFrame:
    """Total exposure per hub before and after, hubs with any exposure, largest before first."""
    both = pd.DataFrame({"name": before.hubs["name"], "before": before.hubs["total"]})
    both["after"] = after.hubs["total"].reindex(both.index).fillna(0.0)
    both = both[(both["before"] > 0) | (both["after"] > 0)]
    return both.sort_values("before", ascending=False, kind="stable")


def assemble(ctx: Context, data: ProblemData, constraints: Constraints, solved: Solved,
             market: MarketData | None, started: float) -> Suggestion:
    """The :class:`Suggestion` of a solve: tables, the reports before and after, binding constraints, notes."""
    if _nothing_for_ai(data, constraints):
        _keep_holdings(data, constraints, solved)
    fit_cash(data, constraints, solved)
    target = solved.weights
    weights = pd.DataFrame({"name": data.names, "layer": data.layers, "current": data.w0, "target": target},
                           index=pd.Index(data.tickers, name="ticker"))
    weights.loc[CASH] = ["Cash", "cash", data.cash0, solved.cash]
    weights["trade"] = weights["target"] - weights["current"]
    shown = weights[(weights["current"] > 0) | (weights["target"] != 0)]
    shown = shown.sort_values(["target", "current"], ascending=False, kind="stable")
    trades = _trades(data, solved)

    target_pf = _portfolio(shown["target"], f"suggestion for {ctx.portfolio.source}")
    before = analyze(ctx.portfolio, ctx.web, ctx.model, market=market)
    after = analyze(target_pf, ctx.web, ctx.model, market=market)
    notes = list(data.notes) + solved.notes
    holdings, units = _in_units(ctx.portfolio, data, solved, notes)
    if solved.status == "optimal_inaccurate":
        notes.append("the solver reported an inaccurate optimum; check the constraints in .after.")
    return Suggestion(
        weights=shown, trades=trades, before=before, after=after, status=solved.status, solver=solved.solver,
        binding=binding(solved, data, constraints), constraints=constraints.described(),
        turnover=float(np.abs(target - data.w0).sum()), objective=solved.objective, notes=notes,
        timings={"solve": solved.seconds, "compiled": solved.compiled, "total": time.perf_counter() - started},
        holdings=holdings, units=units,
    )


def _nothing_for_ai(data: ProblemData, constraints: Constraints) -> bool:
    """Whether the suggestion has nothing to do for AI concentration: no AI-layer weight held (companies and
    funds' looked-through holdings), no hub cap, layer band, stress cap or risk model asked for, the default
    ``max_weight`` (not given) and cash already within its band. Then the default single-stock cap, meant for
    AI names, does not make a KO/PG portfolio trade a third of its value; an explicit ``max_weight`` does."""
    asked = (constraints.hub_caps or constraints.layer_bands or constraints.stress_caps
             or "max_weight" in constraints.model_fields_set or data.risk_matrix is not None
             or data.risk_root is not None)
    return (not asked and float(data.ai_share @ data.w0) <= TRADE_TOL
            and data.cash_lo - TRADE_TOL <= data.cash0 <= data.cash_hi + TRADE_TOL)


def _keep_holdings(data: ProblemData, constraints: Constraints, solved: Solved) -> None:
    """Replace the solve by "no trade" (in place), with a note reporting single-name concentration apart."""
    solved.weights, solved.cash, solved.shares, solved.duals, solved.objective = (
        data.w0.copy(), data.cash0, None, {}, 0.0)
    over = [f"{t} {w:.1%}" for t, w, fund in zip(data.tickers, data.w0, data.is_fund, strict=True)
            if not fund and w > constraints.max_weight + TRADE_TOL]
    single = (f"; single names above {constraints.max_weight:.0%}: {', '.join(over[:8])} (not an AI risk; pass "
              f"--max-weight {constraints.max_weight:g} to trim them)" if over else "")
    solved.notes.append(f"nothing to do for AI concentration: the holdings have no weight in the AI layers{single}.")


def _in_units(pf: Portfolio, data: ProblemData, solved: Solved,
              notes: list[str]) -> tuple[pd.DataFrame | None, str]:
    """The target in the input's units: share counts (held shares plus whole shares traded; cash an amount) or
    values (value x target weight; untouched names keep their exact amounts). None (weights) for a weights
    file, or when a traded name has no price to turn its weight into shares (the notes say so)."""
    if pf.kind not in ("shares", "market_value") or not data.value_usd:
        return None, "weight"
    table = positions(pf)
    held = pd.Series(table["amount"].to_numpy(dtype=float)).groupby(table["ticker"].to_numpy(), sort=False).sum()
    trade = solved.weights - data.w0
    moved = np.abs(trade) > TRADE_TOL
    rows = []
    for k, ticker in enumerate(data.tickers):
        if not moved[k]:
            if ticker in held.index:
                rows.append((ticker, float(held[ticker]), data.names[k]))
            continue
        if pf.kind == "market_value":
            rows.append((ticker, float(solved.weights[k] * data.value_usd), data.names[k]))
            continue
        count = solved.shares[k] if solved.shares is not None else trade[k] * data.value_usd / data.prices[k]
        if not np.isfinite(count):
            notes.append(f"--out written as weights: {ticker} has no price to turn its trade into shares.")
            return None, "weight"
        rows.append((ticker, float(held.get(ticker, 0.0)) + float(count), data.names[k]))
    rows.append((CASH, max(float(solved.cash), 0.0) * data.value_usd, "Cash"))
    frame = pd.DataFrame(rows, columns=["ticker", "amount", "name"])
    return frame, "shares" if pf.kind == "shares" else "market_value"


def _portfolio(target: pd.Series, source: str) -> Portfolio:
    """The target as a weights portfolio, built from its (clean, distinct) tickers without re-parsing text."""
    kept = target[target != 0] if (target != 0).any() else pd.Series({CASH: 1.0})
    table = pd.DataFrame({"ticker": kept.index.astype(str), "amount": kept.to_numpy(dtype=float), "name": "",
                          "currency": "USD", "account": "", "row": np.arange(1, len(kept) + 1)})
    return Portfolio.from_holdings(Holdings(table, "weight", []), source)


def _trades(data: ProblemData, solved: Solved) -> pd.DataFrame:
    trade = solved.weights - data.w0
    at = np.flatnonzero(np.abs(trade) > TRADE_TOL)
    value = data.value_usd
    shares = solved.shares[at] if solved.shares is not None else np.full(len(at), np.nan)
    frame = pd.DataFrame({
        "name": [data.names[k] for k in at], "action": np.where(trade[at] > 0, "buy", "sell"),
        "weight": np.abs(trade[at]), "value_usd": np.abs(trade[at]) * value if value else np.nan,
        "shares": np.abs(shares), "price_usd": data.prices[at],
    }, index=pd.Index([data.tickers[k] for k in at], name="ticker"), columns=TRADE_COLUMNS)
    return frame.sort_values("weight", ascending=False, kind="stable")
