"""Suggestions (cvxpy): the fewest trades that bring a portfolio under hub caps, with reasons when impossible.

The problem (docs/methods.md, section 5) over target weights ``w`` of a universe of tickers and
``cash``::

    minimise    costs @ t + gamma * sum_h E_h(w)^2  (+ ||F_s w||^2 with a risk model, F_s = sqrt(lambda) F)
    subject to  sum(w) + cash = 1, t >= |w - w0|, w >= 0 (long-only), w <= max_weight, cash >= min_cash,
                E_h(w) = e_h @ w <= cap_h, layer bands, frozen names, excluded names, turnover budget,
                scenario losses h_s @ w <= cap_s.

``e_h`` is the loading of each ticker on hub h: for a company ``1{i == h} + x_h[i]`` (docs/methods.md, 2.1), for
a fund the weighted sum of its looked-through holdings' loadings, 0 for an unmapped ticker. Every term is
linear in ``w`` so the totals match :func:`exposure.analyze` of the target portfolio exactly.

The problem is built once per shape with every number a ``cp.Parameter`` (DPP), kept in a small cache,
so a new cap (a frontier, a what-if) costs a solve, not a compilation. When constraints conflict, an
elastic copy (a non-negative slack per constraint group) says which groups conflict and how far each
would have to move; the error never just says "infeasible".
"""

from __future__ import annotations

import html
import json
import math
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from exposure._optional import require
from exposure.analyze import Context, analyze, build_context
from exposure.dealweb import DealWeb
from exposure.errors import ConstraintError, DealWebError, ExposureError, InfeasibleError, ScenarioError
from exposure.files import frame_to_csv
from exposure.models import AI_LAYERS, ExposureModel, Layer
from exposure.network import hub_exposures
from exposure.portfolio import CASH_TICKERS, Portfolio
from exposure.report import ExposureReport, frame_html, jsonable, percent

if TYPE_CHECKING:
    import cvxpy as cp

    from exposure.market import MarketData
else:
    cp = require("cvxpy", "Suggestions (exposure.suggest, exposure.frontier)")

__all__ = ["Constraints", "Suggestion", "frontier", "suggest"]

#: The article's advice: spread the AI sleeve across chips, clouds and neoclouds, 20-45% each.
DEFAULT_LAYER_BANDS: dict[str, tuple[float, float]] = {
    "semiconductor": (0.20, 0.45), "hyperscaler_cloud": (0.20, 0.45), "neocloud": (0.20, 0.45)}
#: Solvers tried in order; both ship with cvxpy 1.9 and solve LPs and QPs.
SOLVERS = ("CLARABEL", "HIGHS")
#: Clarabel stops at an absolute gap of 1e-8 OR a relative gap of 1e-8; a pure risk objective is tiny (variances
#: of ~1e-5), so the absolute test alone would stop 1e-3 from the optimum. Make the relative test decide.
SOLVER_OPTIONS: dict[str, dict[str, float]] = {
    "CLARABEL": {"tol_gap_abs": 1e-12}}
#: A constraint counts as binding when its dual exceeds this (objective units per unit of bound).
DUAL_TOL = 1e-6
#: Trades smaller than this (fraction of portfolio value) are solver noise and dropped.
TRADE_TOL = 1e-10
#: Trades listed in ``.trades`` are at least this big (a ten-millionth of the portfolio); smaller ones are noise.
MIN_TRADE = 1e-7
_CASH = "CASH"
#: Bounds are tightened by this much inside the solver, so solver tolerance and rounding never leave a target
#: above a cap (a bound of exactly 0 or 1 stays exact).
MARGIN = 1e-7
_SLACK_LIMIT = 10.0  # an allowed slack can move a bound this far (fractions): more than any bound needs


# --------------------------------------------------------------------------------------------------
# constraints
# --------------------------------------------------------------------------------------------------

class Constraints(BaseModel):
    """What a suggestion must respect. Fractions are of portfolio value unless said otherwise.

    Parameters
    ----------
    max_weight : largest target weight of any one name (default 0.10, the article's "no name above 10%"). Funds
        (looked through) are exempt: a fund is not one name, and its holdings count in the hub caps and bands.
    min_cash : cash floor (default 0.05: keep liquidity). ``max_cash`` : cash ceiling (default none).
    hub_caps : ``{hub: cap}``, the largest total exposure to a hub (id, name or ticker), e.g. ``{"openai": .15}``.
    layer_bands : ``{layer: (lo, hi)}``. With ``layer_basis="ai_sleeve"`` (default) the bounds are shares of the
        AI sleeve (the weight in AI layers, see ``exposure.models.AI_LAYERS``): ``lo * AI <= layer <= hi * AI``;
        with ``"portfolio"`` they are shares of the whole portfolio. Default: semiconductor, hyperscaler_cloud
        and neocloud each 20-45% of the AI sleeve. A fund counts in each layer by its looked-through holdings.
    max_turnover : the largest sum of ``|target - current|`` over tickers (cash is the residual); default none.
    frozen : tickers not to trade. ``exclude`` : tickers not to buy (held ones may be kept or sold).
    universe : tickers the suggestion may buy, added to the current holdings; default the web's listed companies.
    long_only : no short positions (default true); when false a ticker may go to ``-max_weight``.
    stress_caps : ``{scenario: max loss}`` for the bundled scenarios (``exposure scenarios``): the
        scenario's linear-DebtRank company losses are precomputed, so the cap is linear in the weights.
    transaction_costs : cost per unit of weight traded, one number for all tickers or ``{ticker: cost}`` (others
        1.0). Default 1.0: the objective is plain turnover.
    gamma : weight of the sum of squared hub exposures in the objective (default 0.1). At 0.1 it only breaks
        ties between equally cheap trades (its marginal value stays below the cost of a trade); raise it to
        trade for diversification beyond the caps.
    gamma_hubs : how many hubs the gamma term covers (default 20): the companies the web depends on most (largest
        sum of every company's network exposure to them), plus every capped hub. Few hubs keep the problem sparse.
    risk_aversion : lambda of the risk term when a risk model is given (default 1.0).
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    max_weight: float = Field(default=0.10, gt=0, le=1)
    min_cash: float = Field(default=0.05, ge=0, le=1)
    max_cash: float | None = Field(default=None, ge=0, le=1)
    hub_caps: dict[str, float] = Field(default_factory=dict)
    layer_bands: dict[str, tuple[float, float]] = Field(default_factory=lambda: dict(DEFAULT_LAYER_BANDS))
    layer_basis: Literal["ai_sleeve", "portfolio"] = "ai_sleeve"
    max_turnover: float | None = Field(default=None, ge=0)
    frozen: list[str] = Field(default_factory=list)
    exclude: list[str] = Field(default_factory=list)
    universe: list[str] | None = None
    long_only: bool = True
    stress_caps: dict[str, float] = Field(default_factory=dict)
    transaction_costs: float | dict[str, float] = 1.0
    gamma: float = Field(default=0.1, ge=0)
    gamma_hubs: int = Field(default=20, ge=0)
    risk_aversion: float = Field(default=1.0, ge=0)

    def __init__(self, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as error:
            raise ConstraintError(_constraint_message(error)) from None

    @field_validator("hub_caps", "stress_caps")
    @classmethod
    def _caps_are_fractions(cls, value: dict[str, float]) -> dict[str, float]:
        for key, cap in value.items():
            if not (isinstance(cap, int | float) and 0 <= cap <= 1 and math.isfinite(cap)):
                raise ValueError(f"cap for '{key}' must be a fraction in [0, 1], got {cap}")
        return value

    @field_validator("layer_bands")
    @classmethod
    def _bands_are_ordered(cls, value: dict[str, tuple[float, float]]) -> dict[str, tuple[float, float]]:
        layers = {str(layer) for layer in Layer}
        for layer, (lo, hi) in value.items():
            if layer not in layers:
                raise ValueError(f"unknown layer '{layer}' (use one of {', '.join(sorted(layers))})")
            if not 0 <= lo <= hi <= 1:
                raise ValueError(f"band for '{layer}' must satisfy 0 <= lo <= hi <= 1, got ({lo}, {hi})")
        return value

    @field_validator("transaction_costs")
    @classmethod
    def _costs_non_negative(cls, value: float | dict[str, float]) -> float | dict[str, float]:
        costs = value.values() if isinstance(value, dict) else [value]
        if any(not (c >= 0 and math.isfinite(c)) for c in costs):
            raise ValueError("costs must be finite and >= 0")
        return value

    @model_validator(mode="after")
    def _cash_band(self) -> Constraints:
        if self.max_cash is not None and self.max_cash < self.min_cash:
            raise ValueError(f"max_cash {self.max_cash} is below min_cash {self.min_cash}")
        return self

    def described(self) -> pd.DataFrame:
        """Every setting, its value and whether it is a default (``source``), for the output."""
        given = self.model_fields_set
        rows = [{"constraint": name, "value": _text_value(getattr(self, name)),
                 "source": "given" if name in given else "default"} for name in type(self).model_fields]
        return pd.DataFrame(rows).set_index("constraint")


def _constraint_message(error: ValidationError) -> str:
    first = error.errors()[0]
    field_name = ".".join(str(part) for part in first["loc"]) or "constraints"
    message = str(first["msg"]).removeprefix("Value error, ")
    return f"Constraints.{field_name}: {message}. Fix: correct '{field_name}' (see help(ex.Constraints))."


def _text_value(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}={_text_value(v)}" for k, v in value.items()) or "none"
    if isinstance(value, list | tuple):
        return ("-".join(_text_value(v) for v in value) if value and all(isinstance(v, float | int) for v in value)
                else ", ".join(map(str, value)) or "none")
    if value is None:
        return "none"
    return f"{value:g}" if isinstance(value, float) else str(value)


# --------------------------------------------------------------------------------------------------
# result
# --------------------------------------------------------------------------------------------------

@dataclass
class Suggestion:
    """A suggested target portfolio and how it was found. Weights are fractions of portfolio value.

    Attributes
    ----------
    weights : per ticker (index) ``name, layer, current, target, trade``; the cash row is ``CASH``.
    trades : the trades only: ``ticker, name, action`` (buy/sell), ``weight`` (fraction traded, > 0) and
        ``value_usd`` (when the portfolio's value is known from market values or shares, else NaN).
    before, after : :func:`exposure.analyze` reports of the current and the target portfolio.
    status, solver : cvxpy's status (``optimal``) and the solver that produced it.
    binding : constraints that bind at the target: ``constraint, bound, value, dual, reading``. The dual is
        the objective's fall per unit the bound is relaxed (objective units are weight traded).
    constraints : every setting with ``value`` and ``source`` (given or default).
    turnover : sum of ``|trade|`` over tickers. ``objective`` : the optimal objective.
    timings : seconds: ``compile_and_solve`` (or ``solve`` on a cached problem), ``total``; ``compiled``.
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

    def summary(self) -> str:
        """One line: trades, turnover, the score before and after."""
        return (f"{len(self.trades)} trade(s), turnover {percent(self.turnover)}: score {self.before.score:.0f} "
                f"({self.before.grade}, {self.before.top_hub_name or 'no hub'}) -> {self.after.score:.0f} "
                f"({self.after.grade}, {self.after.top_hub_name or 'no hub'}); {self.status} with {self.solver}.")

    def to_dict(self) -> dict[str, Any]:
        """Everything as plain Python with stable keys (for ``--format json``)."""
        hubs = _hub_change(self.before, self.after)
        return jsonable({
            "status": self.status, "solver": self.solver, "turnover": self.turnover, "objective": self.objective,
            "summary": self.summary(), "weights": self.weights, "trades": self.trades, "binding": self.binding,
            "hubs": hubs, "score_before": self.before.score, "score_after": self.after.score,
            "constraints": self.constraints, "notes": self.notes, "timings": self.timings,
        })

    def to_json(self, indent: int | None = 2) -> str:
        """:meth:`to_dict` as JSON."""
        return json.dumps(self.to_dict(), indent=indent)

    def target_csv(self) -> str:
        """The target as a holdings CSV (``ticker,weight,name``) that ``exposure score`` reads back."""
        kept = self.weights[self.weights["target"] > 0]
        frame = pd.DataFrame({"ticker": kept.index, "weight": kept["target"].round(10).to_numpy(),
                              "name": kept["name"].to_numpy()})
        return frame_to_csv(frame, index=False)  # names and tickers cannot start a spreadsheet formula

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        hubs = _hub_change(self.before, self.after).head(8)
        return (f"<div><h4>Suggestion ({html.escape(self.status)}, {html.escape(self.solver)})</h4>"
                f"<p>{html.escape(self.summary())}</p>"
                f"<h5>Trades</h5>{frame_html(self.trades, ['weight'], 30)}"
                f"<h5>Hubs before and after</h5>{frame_html(hubs, ['before', 'after'])}"
                f"<h5>Binding constraints</h5>{frame_html(self.binding, [], 20)}"
                f"<h5>Constraints</h5>{frame_html(self.constraints, [], 30)}"
                f"<p><small>{html.escape(' '.join(self.notes))}</small></p></div>")


def _hub_change(before: ExposureReport, after: ExposureReport) -> pd.DataFrame:
    both = pd.DataFrame({"name": before.hubs["name"], "before": before.hubs["total"]})
    both["after"] = after.hubs["total"].reindex(both.index).fillna(0.0)
    both = both[(both["before"] > 0) | (both["after"] > 0)]
    return both.sort_values("before", ascending=False, kind="stable")


# --------------------------------------------------------------------------------------------------
# public entry points
# --------------------------------------------------------------------------------------------------

def suggest(pf: Portfolio, web: DealWeb | None = None, constraints: Constraints | None = None,
            risk: Any = None, model: ExposureModel | None = None,
            market: MarketData | None = None) -> Suggestion:
    """The cheapest trades (turnover, optionally cost-weighted) that satisfy ``constraints``.

    Parameters
    ----------
    pf : the current holdings.
    web : the deal web; the bundled one when omitted.
    constraints : :class:`Constraints`; ``Constraints()`` (every default stated in ``.constraints``) when omitted.
    risk : optional risk model: an object with a ``covariance`` DataFrame by ticker (``exposure.risk.RiskModel``)
        or the covariance DataFrame itself (annual variance units). Adds ``risk_aversion * w' S w``.
    model : how deals become dependence (``ExposureModel()`` defaults).
    market : market data provider (bundled snapshot by default), used for look-through and values.

    Returns
    -------
    Suggestion. Raises :class:`~exposure.errors.InfeasibleError` naming the conflicting constraint groups and
    how far each must move, and :class:`~exposure.errors.ConstraintError` for malformed constraints.

    Examples
    --------
    >>> import exposure as ex
    >>> pf = ex.Portfolio.from_csv("portfolios/ai_heavy.csv")            # doctest: +SKIP
    >>> sug = ex.suggest(pf, constraints=ex.Constraints(hub_caps={"openai": 0.15}))  # doctest: +SKIP
    >>> sug.after.hub("openai")["total"] <= 0.15 + 1e-6              # doctest: +SKIP
    True
    """
    started = time.perf_counter()
    constraints = constraints or Constraints()
    market = _Memo(market)
    ctx = build_context(pf, web, model, market)
    data = _problem_data(ctx, constraints, risk, market)
    solved = _solve(data, constraints)
    return _suggestion(ctx, data, constraints, solved, market, started)


def frontier(pf: Portfolio, web: DealWeb | None, hub: str, caps: list[float] | np.ndarray,
             constraints: Constraints | None = None, risk: Any = None, model: ExposureModel | None = None,
             market: MarketData | None = None) -> pd.DataFrame:
    """Sweep the cap on one hub: one re-solve of the same compiled problem per cap.

    Returns a DataFrame with ``cap, turnover, score, hub_exposure, status`` (fractions; score 0-100), one row
    per cap in the order given; an infeasible cap has NaN numbers and ``status`` saying which groups conflict.
    With ``gamma = 0`` the objective is turnover alone and turnover cannot fall as the cap tightens.
    """
    constraints = constraints or Constraints()
    market = _Memo(market)
    ctx = build_context(pf, web, model, market)
    hub_id = _resolve_hub(ctx.web, hub, "hub")
    caps = [float(Constraints(hub_caps={hub_id: float(c)}).hub_caps[hub_id]) for c in caps]
    others = {k: v for k, v in constraints.hub_caps.items() if _resolve_hub(ctx.web, k, "hub_caps") != hub_id}
    current = constraints.model_copy(update={"hub_caps": {**others, hub_id: caps[0] if caps else 1.0}})
    data = _problem_data(ctx, current, risk, market)
    slot = data.cap_ids.index(hub_id)
    column = data.company_ids.index(hub_id)
    rows = []
    for cap in caps:
        data.caps[slot] = cap
        try:
            solved = _solve(data, current)
        except InfeasibleError as error:
            rows.append({"cap": cap, "turnover": np.nan, "score": np.nan, "hub_exposure": np.nan,
                         "status": f"infeasible: {error}"})
            continue
        exposure_all = data.loadings_all.T @ solved.weights
        rows.append({"cap": cap, "turnover": float(np.abs(solved.weights - data.w0).sum()),
                     "score": 100.0 * float(np.clip(exposure_all, 0.0, 1.0).max(initial=0.0)),
                     "hub_exposure": float(exposure_all[column]), "status": solved.status})
    return pd.DataFrame(rows, columns=["cap", "turnover", "score", "hub_exposure", "status"])


# --------------------------------------------------------------------------------------------------
# problem data: tickers, loadings, memberships
# --------------------------------------------------------------------------------------------------

@dataclass
class ProblemData:
    """The numbers of one problem, aligned with ``tickers`` (cash is separate).

    ``loadings_all`` is ``(n, companies)``: each ticker's total exposure loading on every company of the web;
    ``hub_loadings`` / ``cap_loadings`` are its columns for the objective's hubs / the capped hubs.
    ``layer_shares`` is ``(n, layers)``: the share of each ticker in each layer (1 for a company, look-through
    shares for a fund); ``ai_share`` the share in AI layers.
    """

    tickers: list[str]
    names: list[str]
    layers: list[str]
    w0: np.ndarray
    cash0: float
    company_ids: list[str]
    loadings_all: np.ndarray
    hub_ids: list[str]
    cap_ids: list[str]
    caps: np.ndarray
    band_layers: list[str]
    band_lo: np.ndarray
    band_hi: np.ndarray
    layer_shares: np.ndarray
    ai_share: np.ndarray
    scenario_names: list[str]
    scenario_losses: np.ndarray
    scenario_caps: np.ndarray
    costs: np.ndarray
    frozen: np.ndarray
    excluded: np.ndarray
    is_fund: np.ndarray
    risk_root: np.ndarray | None
    value_usd: float | None
    notes: list[str] = field(default_factory=list)

    @property
    def n(self) -> int:
        """Number of tickers (cash excluded)."""
        return len(self.tickers)


def problem_data(pf: Portfolio, web: DealWeb | None = None, constraints: Constraints | None = None,
                 risk: Any = None, model: ExposureModel | None = None,
                 market: MarketData | None = None) -> ProblemData:
    """The arrays :func:`suggest` optimises over (for inspection and benchmarks)."""
    ctx = build_context(pf, web, model, market)
    return _problem_data(ctx, constraints or Constraints(), risk, market)


def _problem_data(ctx: Context, constraints: Constraints, risk: Any, market: MarketData | None) -> ProblemData:
    web = ctx.web
    held = ctx.holdings
    compositions: dict[str, dict[str, float]] = {}
    layer_mix: dict[str, dict[str, float]] = {}
    w0: dict[str, float] = {}
    names: dict[str, str] = {}
    cash0 = float(held.loc[held["kind"] == "cash", "weight"].sum())
    direct = held[(held["via"] == "") & (held["kind"] != "cash")]
    for ticker, rows in direct.groupby("ticker", sort=False):
        w0[ticker] = float(rows["weight"].sum())
        cid = rows["company_id"].iloc[0]
        compositions[ticker] = {cid: 1.0} if isinstance(cid, str) else {}
        layer_mix[ticker] = {str(rows["layer"].iloc[0]): 1.0}
        names[ticker] = str(rows["name"].iloc[0])
    for fund, rows in held[held["via"] != ""].groupby("via", sort=False):
        total = float(rows["weight"].sum())
        w0[fund] = w0.get(fund, 0.0) + total
        mapped = rows[rows["mapped"]]
        compositions[fund] = (mapped.groupby("company_id")["weight"].sum() / total).to_dict()
        layer_mix[fund] = (rows.groupby("layer")["weight"].sum() / total).to_dict()
        names[fund] = f"{fund} (fund, looked through)"
    funds = set(held.loc[held["via"] != "", "via"])
    held_companies = {cid for comp in compositions.values() for cid, s in comp.items() if s == 1.0}

    extra = constraints.universe if constraints.universe is not None else list(web.listed["ticker"])
    notes: list[str] = []
    for raw in extra:
        ticker = str(raw).strip().upper()
        if ticker in w0 or ticker in CASH_TICKERS:
            continue
        cid = web.company_for_ticker(ticker)
        if cid is not None:
            if cid in held_companies:
                continue  # held through another share class or alias
            compositions[ticker], layer_mix[ticker] = {cid: 1.0}, {str(web.companies.at[cid, "layer"]): 1.0}
            names[ticker] = str(web.companies.at[cid, "name"])
        else:
            fund = _fund_rows(ticker, market)
            if fund is None:
                compositions[ticker], layer_mix[ticker], names[ticker] = {}, {"unmapped": 1.0}, ""
                notes.append(f"{ticker} is not in the deal web: it loads on no hub.")
            else:
                compositions[ticker], layer_mix[ticker] = _fund_mix(fund, web)
                funds.add(ticker)
                names[ticker] = f"{ticker} (fund, looked through)"
        w0[ticker] = 0.0
        held_companies.update(c for c, s in compositions[ticker].items() if s == 1.0)

    tickers = list(w0)
    n, company_ids = len(tickers), list(ctx.ids)
    composition = np.zeros((n, len(company_ids)))
    for row, ticker in enumerate(tickers):
        for cid, share in compositions[ticker].items():
            composition[row, ctx.index[cid]] += share
    network = hub_exposures(ctx.L, list(range(len(company_ids))))
    loadings_all = composition @ (np.eye(len(company_ids)) + network)
    cap_ids, caps = [], []
    for key, cap in constraints.hub_caps.items():
        cid = _resolve_hub(web, key, "hub_caps")
        if cid in cap_ids:
            raise ConstraintError(f"Constraints.hub_caps: '{key}' names {cid} twice. Fix: give one cap per hub.")
        cap_ids.append(cid), caps.append(float(cap))
    reach = network.sum(axis=0)
    ranked = [company_ids[k] for k in np.argsort(-reach, kind="stable") if reach[k] > 0]
    hub_ids = list(dict.fromkeys(ranked[: constraints.gamma_hubs] + cap_ids)) if constraints.gamma > 0 else []

    band_layers = list(constraints.layer_bands)
    all_layers = sorted({layer for mix in layer_mix.values() for layer in mix} | set(band_layers))
    layer_shares = np.zeros((n, len(all_layers)))
    for row, ticker in enumerate(tickers):
        for layer, share in layer_mix[ticker].items():
            layer_shares[row, all_layers.index(layer)] = share
    ai_share = layer_shares[:, [k for k, layer in enumerate(all_layers) if layer in AI_LAYERS]].sum(axis=1)
    band_shares = layer_shares[:, [all_layers.index(layer) for layer in band_layers]]

    scenario_names, losses = _scenario_losses(ctx, constraints, composition)
    position = {t: k for k, t in enumerate(tickers)}
    frozen = _mask(constraints.frozen, position, web, "frozen", n)
    excluded = _mask(constraints.exclude, position, web, "exclude", n)
    costs = _costs(constraints.transaction_costs, tickers, web)

    return ProblemData(
        tickers=tickers, names=[names[t] for t in tickers],
        layers=[max(layer_mix[t], key=layer_mix[t].get) if layer_mix[t] else "unmapped" for t in tickers],
        w0=np.array([w0[t] for t in tickers]), cash0=cash0, company_ids=company_ids, loadings_all=loadings_all,
        hub_ids=hub_ids, cap_ids=cap_ids, caps=np.array(caps), band_layers=band_layers,
        band_lo=np.array([constraints.layer_bands[g][0] for g in band_layers]),
        band_hi=np.array([constraints.layer_bands[g][1] for g in band_layers]),
        layer_shares=band_shares, ai_share=ai_share, scenario_names=scenario_names, scenario_losses=losses,
        scenario_caps=np.array([constraints.stress_caps[s] for s in constraints.stress_caps]), costs=costs,
        frozen=frozen, excluded=excluded, is_fund=np.array([t in funds for t in tickers], dtype=bool),
        risk_root=_risk_root(risk, tickers, constraints.risk_aversion, notes),
        value_usd=_portfolio_value(ctx.portfolio, market), notes=notes,
    )


class _Memo:
    """A market-data provider that answers repeated questions from memory.

    One suggestion asks the same fundamentals (the web's listed tickers) and fund holdings three times:
    for the problem, the report before and the report after.
    """

    def __init__(self, market: MarketData | None) -> None:
        from exposure.market import SnapshotProvider

        self._market = market._market if isinstance(market, _Memo) else (market or SnapshotProvider())
        self._fundamentals: dict[tuple[str, ...], pd.DataFrame] = {}
        self._funds: dict[str, pd.DataFrame] = {}

    def fundamentals(self, tickers: Any) -> pd.DataFrame:
        """The wrapped provider's fundamentals, memoised per ticker list."""
        key = tuple(tickers)
        if key not in self._fundamentals:
            self._fundamentals[key] = self._market.fundamentals(list(key))
        return self._fundamentals[key].copy()

    def fund_holdings(self, fund: str) -> pd.DataFrame:
        """The wrapped provider's fund holdings, memoised per fund."""
        if fund not in self._funds:
            self._funds[fund] = self._market.fund_holdings(fund)
        return self._funds[fund]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._market, name)


def _fund_rows(ticker: str, market: MarketData | None) -> pd.DataFrame | None:
    from exposure.market import SnapshotProvider

    provider = market if market is not None else SnapshotProvider()
    rows = provider.fund_holdings(ticker)
    return rows if rows is not None and not rows.empty else None


def _fund_mix(rows: pd.DataFrame, web: DealWeb) -> tuple[dict[str, float], dict[str, float]]:
    composition: dict[str, float] = {}
    layers: dict[str, float] = {}
    for held, share in zip(rows["ticker"], rows["weight"], strict=True):
        cid = web.company_for_ticker(held)
        layer = "unmapped" if cid is None else str(web.companies.at[cid, "layer"])
        if cid is not None:
            composition[cid] = composition.get(cid, 0.0) + float(share)
        layers[layer] = layers.get(layer, 0.0) + float(share)
    rest = 1.0 - float(rows["weight"].sum())
    if rest > 0:
        layers["fund, not looked through"] = layers.get("fund, not looked through", 0.0) + rest
    return composition, layers


def _resolve_hub(web: DealWeb, key: str, field_name: str) -> str:
    try:
        return web.resolve(key)
    except DealWebError as error:
        raise ConstraintError(f"Constraints.{field_name}: {error}") from None


def _mask(keys: list[str], position: dict[str, int], web: DealWeb, field_name: str, n: int) -> np.ndarray:
    mask = np.zeros(n, dtype=bool)
    for key in keys:
        ticker = str(key).strip().upper()
        if ticker not in position:
            cid = web.company_for_ticker(ticker)
            matches = [t for t in position if cid is not None and web.company_for_ticker(t) == cid]
            if not matches:
                raise ConstraintError(f"Constraints.{field_name}: '{key}' is neither held nor in the universe. "
                                      f"Fix: use a held ticker or add it to the universe.")
            ticker = matches[0]
        mask[position[ticker]] = True
    return mask


def _costs(costs: float | dict[str, float], tickers: list[str], web: DealWeb) -> np.ndarray:
    if not isinstance(costs, dict):
        return np.full(len(tickers), float(costs))
    out = np.ones(len(tickers))
    position = {t: k for k, t in enumerate(tickers)}
    for key, cost in costs.items():
        ticker = str(key).strip().upper()
        if ticker not in position:
            raise ConstraintError(f"Constraints.transaction_costs: '{key}' is neither held nor in the universe. "
                                  "Fix: use a ticker of the universe.")
        out[position[ticker]] = float(cost)
    return out


def _scenario_losses(ctx: Context, constraints: Constraints,
                     composition: np.ndarray) -> tuple[list[str], np.ndarray]:
    """Per ticker, the loss of value in each capped scenario (linear DebtRank, precomputed: linear in w)."""
    if not constraints.stress_caps:
        return [], np.zeros((composition.shape[0], 0))
    try:
        from exposure.scenarios import load_scenarios, stress_context
    except ImportError:  # pragma: no cover - the stress module ships with the package
        raise ConstraintError("Constraints.stress_caps: stress scenarios are not available in this version. "
                              "Fix: drop stress_caps.") from None
    scenarios = {name.lower(): s for name, s in load_scenarios().items()}
    columns = []
    for name in constraints.stress_caps:
        scenario = scenarios.get(name.strip().lower())
        if scenario is None:
            raise ConstraintError(f"Constraints.stress_caps: unknown scenario '{name}'. Fix: use one of "
                                  f"{', '.join(sorted(scenarios))} (see `exposure scenarios`).")
        try:
            result = stress_context(ctx, scenario.shocks, scenario.defaults)
        except ScenarioError as error:
            raise ConstraintError(f"Constraints.stress_caps: scenario '{name}': {error}") from None
        loss = result.companies["total"].reindex(ctx.ids).fillna(0.0).to_numpy()
        columns.append(composition @ loss)
    return list(constraints.stress_caps), np.column_stack(columns)


def _risk_root(risk: Any, tickers: list[str], risk_aversion: float, notes: list[str]) -> np.ndarray | None:
    """``F_s`` with ``F_s' F_s = risk_aversion * S`` over the tickers; missing tickers get the median variance."""
    if risk is None:
        return None
    covariance = risk if isinstance(risk, pd.DataFrame) else getattr(risk, "covariance", None)
    if callable(covariance):
        covariance = covariance()
    if not isinstance(covariance, pd.DataFrame):
        raise ConstraintError("risk: expected a covariance DataFrame by ticker or an object with .covariance. "
                              "Fix: pass exposure.risk.RiskModel or a DataFrame.")
    covariance = covariance.rename(index=str.upper, columns=str.upper)
    if (source := getattr(risk, "source", None)) is not None:
        notes.append(f"risk term from the '{source}' covariance, risk_aversion {risk_aversion:g}.")
    notes.extend(getattr(risk, "notes", []))
    known = [t for t in tickers if t in covariance.index]
    diagonal = np.diag(covariance.loc[known, known].to_numpy()) if known else np.array([0.04])
    fill = float(np.median(diagonal))
    full = np.diag(np.full(len(tickers), fill))
    at = [tickers.index(t) for t in known]
    full[np.ix_(at, at)] = covariance.loc[known, known].to_numpy(dtype=float)
    missing = [t for t in tickers if t not in covariance.index]
    if missing:
        notes.append(f"risk model has no row for {len(missing)} ticker(s) ({', '.join(missing[:5])}"
                     f"{'...' if len(missing) > 5 else ''}): median variance {fill:.4f}, uncorrelated.")
    values, vectors = np.linalg.eigh((full + full.T) / 2)
    keep = values > 1e-12 * max(values.max(initial=0.0), 1e-300)
    return np.sqrt(risk_aversion) * (np.sqrt(values[keep])[:, None] * vectors[:, keep].T)


def _portfolio_value(pf: Portfolio, market: MarketData | None) -> float | None:
    if pf.kind == "market_value":
        return float(pf.positions["amount"].sum())
    if pf.kind != "shares":
        return None
    from exposure.market import SnapshotProvider

    provider = market if market is not None else SnapshotProvider()

    def price(ticker: str) -> float | None:
        figures = provider.fundamentals([ticker])
        value = figures.at[ticker, "price_usd"] if ticker in figures.index else None
        return None if value is None or pd.isna(value) else float(value)

    try:
        return float(pf.valued(price)["value"].sum())
    except ExposureError:
        return None


# --------------------------------------------------------------------------------------------------
# the cvxpy programs: built once per shape, re-solved with new parameter values
# --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Shape:
    """What fixes a compiled problem: sizes of every block (values are Parameters)."""

    n: int
    hubs: int
    caps: int
    bands: int
    scenarios: int
    risk_rank: int
    frozen: int = 0
    excluded: int = 0


class Program:
    """The suggestion problem for one :class:`Shape`, with its elastic twin, both DPP.

    ``groups`` maps a constraint group name to its cvxpy constraints (for duals). The elastic twin adds a
    non-negative slack per group (per hub, band side or scenario for the vector groups), each bounded by a
    Parameter ``allow`` (0 = hard), and minimises their sum.
    """

    def __init__(self, shape: Shape) -> None:
        n = shape.n
        self.shape = shape
        self.scale = 1.0
        p = self.params = {
            "w0": cp.Parameter(n, name="w0"), "costs": cp.Parameter(n, nonneg=True, name="costs"),
            "lower": cp.Parameter(n, name="lower"), "max_weight": cp.Parameter(n, nonneg=True, name="max_weight"),
            "exclude_pick": cp.Parameter((shape.excluded, n), name="exclude_pick"),
            "exclude_w0": cp.Parameter(shape.excluded, name="exclude_w0"),
            "frozen_pick": cp.Parameter((shape.frozen, n), name="frozen_pick"),
            "frozen_w0": cp.Parameter(shape.frozen, name="frozen_w0"),
            "min_cash": cp.Parameter(nonneg=True, name="min_cash"), "max_cash": cp.Parameter(name="max_cash"),
            "max_turnover": cp.Parameter(nonneg=True, name="max_turnover"),
            "hub_root": cp.Parameter((shape.hubs, n), name="hub_root"),
            "cap_loadings": cp.Parameter((shape.caps, n), name="cap_loadings"),
            "caps": cp.Parameter(shape.caps, name="caps"),
            "band_lo": cp.Parameter((shape.bands, n), name="band_lo"),
            "band_lo_cash": cp.Parameter(shape.bands, name="band_lo_cash"),
            "band_hi": cp.Parameter((shape.bands, n), name="band_hi"),
            "band_hi_cash": cp.Parameter(shape.bands, name="band_hi_cash"),
            "losses": cp.Parameter((shape.scenarios, n), name="losses"),
            "loss_caps": cp.Parameter(shape.scenarios, name="loss_caps"),
        }
        if shape.risk_rank:
            p["risk_root"] = cp.Parameter((shape.risk_rank, n), name="risk_root")
        self.main, self.groups, self.variables = self._build(elastic=False)
        self._elastic: tuple[cp.Problem, dict, dict] | None = None
        assert self.main.is_dcp(dpp=True), "suggestion problem must be DPP"

    def elastic(self) -> tuple[cp.Problem, dict, dict]:
        """The elastic twin (built on first need): problem, slacks by group, variables."""
        if self._elastic is None:
            problem, slacks, variables = self._build(elastic=True)
            assert problem.is_dcp(dpp=True), "elastic problem must be DPP"
            self._elastic = (problem, slacks, variables)
        return self._elastic

    def _build(self, elastic: bool) -> tuple[cp.Problem, dict, dict]:
        shape, p = self.shape, self.params
        # t >= |w - w0| makes t >= 0 without rows of its own
        w, cash, t = cp.Variable(shape.n, name="w"), cp.Variable(name="cash"), cp.Variable(shape.n)
        sizes = {"max_weight": None, "exclude": None if shape.excluded else 0,
                 "frozen": None if shape.frozen else 0, "min_cash": None, "max_cash": None,
                 "max_turnover": None, "hub_caps": shape.caps, "band_lo": shape.bands, "band_hi": shape.bands,
                 "stress_caps": shape.scenarios}
        slack: dict[str, Any] = {}
        allow: dict[str, cp.Parameter] = {}
        for name, size in sizes.items():
            if elastic and size != 0:
                slack[name] = cp.Variable(size, nonneg=True) if size is not None else cp.Variable(nonneg=True)
                allow[name] = cp.Parameter(size, nonneg=True) if size is not None else cp.Parameter(nonneg=True)
            else:
                slack[name] = 0.0
        groups: dict[str, list] = {
            "budget": [cp.sum(w) + cash == 1],
            "trades": [t >= w - p["w0"], t >= p["w0"] - w],
            "long_only": [w >= p["lower"], cash >= 0],
            "max_weight": [w <= p["max_weight"] + slack["max_weight"]],
            "min_cash": [cash >= p["min_cash"] - slack["min_cash"]],
            "max_cash": [cash <= p["max_cash"] + slack["max_cash"]],
            "max_turnover": [cp.sum(t) <= p["max_turnover"] + slack["max_turnover"]],
        }
        if shape.excluded:
            groups["exclude"] = [p["exclude_pick"] @ w <= p["exclude_w0"] + slack["exclude"]]
        if shape.frozen:
            groups["frozen"] = [p["frozen_pick"] @ w - p["frozen_w0"] <= slack["frozen"],
                                p["frozen_w0"] - p["frozen_pick"] @ w <= slack["frozen"]]
        if shape.caps:
            groups["hub_caps"] = [p["cap_loadings"] @ w <= p["caps"] + slack["hub_caps"]]
        if shape.bands:
            groups["band_lo"] = [p["band_lo"] @ w + cp.multiply(p["band_lo_cash"], cash) >= -slack["band_lo"]]
            groups["band_hi"] = [p["band_hi"] @ w + cp.multiply(p["band_hi_cash"], cash) <= slack["band_hi"]]
        if shape.scenarios:
            groups["stress_caps"] = [p["losses"] @ w <= p["loss_caps"] + slack["stress_caps"]]
        constraints = [c for group in groups.values() for c in group]
        variables = {"w": w, "cash": cash, "t": t}
        if elastic:
            constraints += [slack[name] <= allow[name] for name in allow]
            total = cp.sum([cp.sum(slack[name]) for name in allow])
            problem = cp.Problem(cp.Minimize(total), constraints)
            return problem, {"slack": slack, "allow": allow, "groups": groups}, variables
        objective = p["costs"] @ t
        if shape.hubs:
            objective = objective + cp.sum_squares(p["hub_root"] @ w)
        if shape.risk_rank:
            objective = objective + cp.sum_squares(p["risk_root"] @ w)
        return cp.Problem(cp.Minimize(objective), constraints), groups, variables

    def set_values(self, data: ProblemData, constraints: Constraints) -> None:
        """Write a problem's numbers into the Parameters (no recompilation)."""
        p, n = self.params, data.n
        # One scale for the whole objective (the optimum does not move): solvers stop on an absolute gap, so a
        # pure variance objective of ~1e-7 would otherwise stop far from its optimum.
        risk_size = 0.0 if data.risk_root is None else float((data.risk_root**2).sum()) / n
        self.scale = 1.0 / max(float(data.costs.max(initial=0.0)), constraints.gamma, risk_size, 1e-12)
        p["w0"].value = data.w0
        p["costs"].value = self.scale * data.costs
        p["lower"].value = np.zeros(n) if constraints.long_only else np.full(n, -constraints.max_weight)
        p["max_weight"].value = np.where(data.is_fund, 1.0, _inside(constraints.max_weight, -1))
        if self.shape.excluded:
            p["exclude_pick"].value = np.eye(n)[data.excluded]
            p["exclude_w0"].value = data.w0[data.excluded]
        if self.shape.frozen:
            p["frozen_pick"].value = np.eye(n)[data.frozen]
            p["frozen_w0"].value = data.w0[data.frozen]
        p["min_cash"].value = _inside(constraints.min_cash, +1)
        p["max_cash"].value = 1.0 if constraints.max_cash is None else _inside(constraints.max_cash, -1)
        p["max_turnover"].value = (2.0 * (1 + n) if constraints.max_turnover is None
                                   else _inside(constraints.max_turnover, -1))
        hub_columns = [data.company_ids.index(h) for h in data.hub_ids]
        if self.shape.hubs:
            p["hub_root"].value = np.sqrt(self.scale * constraints.gamma) * data.loadings_all[:, hub_columns].T
        if self.shape.caps:
            p["cap_loadings"].value = data.loadings_all[:, [data.company_ids.index(h) for h in data.cap_ids]].T
            p["caps"].value = np.array([_inside(c, -1) for c in data.caps])
        if self.shape.bands:
            squeeze = np.where(data.band_hi - data.band_lo > 2 * MARGIN, MARGIN, 0.0)
            band_lo = np.where(data.band_lo > 0, data.band_lo + squeeze, data.band_lo)
            band_hi = np.where(data.band_hi < 1, data.band_hi - squeeze, data.band_hi)
            shares, lo, hi = data.layer_shares.T, band_lo[:, None], band_hi[:, None]
            if constraints.layer_basis == "ai_sleeve":
                base, cash_coeff = data.ai_share[None, :], np.zeros(len(data.band_lo))
            else:
                base, cash_coeff = np.ones((1, n)), np.ones(len(data.band_lo))
            p["band_lo"].value = shares - lo * base          # >= 0: layer - lo * base
            p["band_lo_cash"].value = -band_lo * cash_coeff
            p["band_hi"].value = shares - hi * base          # <= 0: layer - hi * base
            p["band_hi_cash"].value = -band_hi * cash_coeff
        if self.shape.scenarios:
            p["losses"].value = data.scenario_losses.T
            p["loss_caps"].value = np.array([_inside(c, -1) for c in data.scenario_caps])
        if self.shape.risk_rank:
            p["risk_root"].value = np.sqrt(self.scale) * data.risk_root


def _inside(bound: float, direction: int) -> float:
    """``bound`` moved by MARGIN into the feasible side (``-1`` for an upper bound), kept within [0, 1]."""
    if bound <= 0 or bound >= 1:
        return float(bound)
    return float(min(max(bound + direction * MARGIN, 0.0), 1.0))


_PROGRAMS: OrderedDict[Shape, Program] = OrderedDict()
_CACHE_SIZE = 8


def program_for(shape: Shape) -> Program:
    """The cached :class:`Program` for ``shape`` (built and compiled on first use; LRU of 8)."""
    if shape in _PROGRAMS:
        _PROGRAMS.move_to_end(shape)
        return _PROGRAMS[shape]
    program = Program(shape)
    _PROGRAMS[shape] = program
    while len(_PROGRAMS) > _CACHE_SIZE:
        _PROGRAMS.popitem(last=False)
    return program


def shape_of(data: ProblemData) -> Shape:
    """The :class:`Shape` of a problem's data."""
    return Shape(n=data.n, hubs=len(data.hub_ids), caps=len(data.cap_ids), bands=len(data.band_layers),
                 scenarios=len(data.scenario_names),
                 risk_rank=0 if data.risk_root is None else data.risk_root.shape[0],
                 frozen=int(data.frozen.sum()), excluded=int(data.excluded.sum()))


@dataclass
class Solved:
    """A solve's outcome: weights, cash, status, solver, objective, duals by group, timings."""

    weights: np.ndarray
    cash: float
    status: str
    solver: str
    objective: float
    duals: dict[str, list]
    seconds: float
    compiled: bool
    program: Program


def _run(problem: cp.Problem) -> tuple[str, str]:
    """Solve with the first solver that answers; returns (status, solver)."""
    last: Exception | None = None
    for solver in SOLVERS:
        try:
            problem.solve(solver=solver, enforce_dpp=True, **SOLVER_OPTIONS.get(solver, {}))
        except cp.error.SolverError as error:
            last = error
            continue
        if problem.status in (cp.OPTIMAL, cp.INFEASIBLE, cp.INFEASIBLE_INACCURATE) or solver == SOLVERS[-1]:
            return str(problem.status), solver
    raise ExposureError(f"no solver could solve the suggestion problem ({last}). Fix: loosen the constraints "
                        "or report the problem with its constraints.")


def _solve(data: ProblemData, constraints: Constraints) -> Solved:
    """Solve the suggestion; on infeasibility raise the explained :class:`InfeasibleError`."""
    program = program_for(shape_of(data))
    program.set_values(data, constraints)
    compiled = program.main._cache.param_prog is None
    started = time.perf_counter()
    status, solver = _run(program.main)
    seconds = time.perf_counter() - started
    if status in (cp.INFEASIBLE, cp.INFEASIBLE_INACCURATE):
        raise _explain_infeasible(program, data, constraints)
    if status not in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE):
        raise ExposureError(f"the solver ended with status '{status}'. Fix: loosen the constraints.")
    v = program.variables
    weights = _clean(np.asarray(v["w"].value, dtype=float), data.w0)
    duals = {name: [np.atleast_1d(np.asarray(c.dual_value, dtype=float)) / program.scale
                    if c.dual_value is not None else None for c in group] for name, group in program.groups.items()}
    return Solved(weights=weights, cash=1.0 - float(weights.sum()), status=status, solver=solver,
                  objective=float(program.main.value) / program.scale, duals=duals, seconds=seconds, compiled=compiled,
                  program=program)


def _clean(weights: np.ndarray, w0: np.ndarray) -> np.ndarray:
    """Snap solver noise: trades below TRADE_TOL vanish, tiny weights are zero."""
    out = np.where(np.abs(weights - w0) < TRADE_TOL, w0, weights)
    return np.where(np.abs(out) < TRADE_TOL, 0.0, out)


# --------------------------------------------------------------------------------------------------
# infeasibility: which groups conflict, and how far each must move
# --------------------------------------------------------------------------------------------------

def _explain_infeasible(program: Program, data: ProblemData, constraints: Constraints) -> InfeasibleError:
    problem, parts, variables = program.elastic()
    allow, slack = parts["allow"], parts["slack"]
    entries = [(name, k) for name, param in allow.items() for k in range(param.size if param.ndim else 1)]
    entries = [(name, k) for name, k in entries if _present(name, k, data, constraints)]

    def solve_with(allowed: set[tuple[str, int]]) -> tuple[bool, dict]:
        for name, param in allow.items():
            size = param.size if param.ndim else 1
            values = np.array([_SLACK_LIMIT if (name, k) in allowed else 0.0 for k in range(size)])
            param.value = values if param.ndim else float(values[0])
        status, _ = _run(problem)
        if status not in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE):
            return False, {}
        return True, {name: np.atleast_1d(np.asarray(s.value, dtype=float)) for name, s in slack.items()
                      if not isinstance(s, float)}

    ok, joint = solve_with(set(entries))
    if not ok:  # only the hard parts (budget, long-only) remain: cannot happen with a valid budget
        return InfeasibleError("the constraints conflict even with every group relaxed (budget and long-only "
                               "alone). Fix: check the universe and long_only.", [])
    involved = [(name, k) for name, k in entries if joint[name][k] > 1e-7]
    alternatives = []
    for entry in entries:
        feasible, alone = solve_with({entry})
        if feasible and alone[entry[0]][entry[1]] > 1e-7:
            alternatives.append(_conflict(entry, alone, variables, data, constraints, alone=True))
    if alternatives:
        alternatives.sort(key=lambda c: c["move"])
        text = ", or ".join(c["text"] for c in alternatives)
        message = f"the constraints conflict: {text}. Fix: relax one of them."
        return InfeasibleError(message, alternatives)
    ok, joint = solve_with(set(entries))
    together = [_conflict(entry, joint, variables, data, constraints, alone=False) for entry in involved]
    text = ", and ".join(c["text"] for c in together)
    return InfeasibleError(f"the constraints conflict: no single change is enough; together {text}. "
                           "Fix: relax these together.", together)


def _present(name: str, k: int, data: ProblemData, constraints: Constraints) -> bool:
    """Whether a slack entry belongs to a constraint the user actually has (not a vacuous default bound)."""
    if name == "frozen":
        return bool(data.frozen.any())
    if name == "exclude":
        return bool(data.excluded.any())
    if name == "max_cash":
        return constraints.max_cash is not None
    if name == "max_turnover":
        return constraints.max_turnover is not None
    if name == "min_cash":
        return constraints.min_cash > 0
    return True


def _conflict(entry: tuple[str, int], slacks: dict, variables: dict, data: ProblemData,
              constraints: Constraints, alone: bool) -> dict:
    """One conflicting group: its label, bound, the value it would need, and a sentence."""
    name, k = entry
    move = float(slacks[name][k])
    w = np.asarray(variables["w"].value, dtype=float)
    cash = float(variables["cash"].value)
    if name == "hub_caps":
        label, bound = f"hub cap {data.cap_ids[k]}", float(data.caps[k])
        needed = bound + move
    elif name == "stress_caps":
        label, bound = f"stress cap {data.scenario_names[k]}", float(data.scenario_caps[k])
        needed = bound + move
    elif name in ("band_lo", "band_hi"):
        layer = data.band_layers[k]
        base = float(data.ai_share @ w) if constraints.layer_basis == "ai_sleeve" else 1.0
        share = float(data.layer_shares[:, k] @ w) / base if base > 1e-12 else 0.0
        side = "lower" if name == "band_lo" else "upper"
        label = f"layer {layer} {side} bound"
        bound = float(data.band_lo[k] if name == "band_lo" else data.band_hi[k])
        needed = share
    elif name == "max_weight":
        label, bound, needed = "max_weight", constraints.max_weight, constraints.max_weight + move
    elif name == "min_cash":
        label, bound, needed = "min_cash", constraints.min_cash, max(constraints.min_cash - move, cash)
    elif name == "max_cash":
        label, bound, needed = "max_cash", float(constraints.max_cash or 0), float(constraints.max_cash or 0) + move
    elif name == "max_turnover":
        label, bound = "max_turnover", float(constraints.max_turnover or 0)
        needed = bound + move
    elif name == "frozen":
        traded = [t for t, f, a, b in zip(data.tickers, data.frozen, w, data.w0, strict=True)
                  if f and abs(a - b) > 1e-7]
        label, bound, needed = f"frozen {', '.join(traded) or 'names'}", 0.0, move
    else:  # exclude
        bought = [t for t, e, a, b in zip(data.tickers, data.excluded, w, data.w0, strict=True)
                  if e and a > b + 1e-7]
        label, bound, needed = f"exclude {', '.join(bought) or 'names'}", 0.0, move
    if name == "frozen":
        text = f"{label} must trade up to {needed:.2f}"
    elif name == "exclude":
        text = f"{label} must be bought (up to {needed:.2f})"
    else:
        text = f"{label} {bound:.2f} needs {needed:.2f}"
    return {"group": name, "index": k, "label": label, "bound": bound, "needed": needed, "move": move,
            "alone": alone, "text": text}


# --------------------------------------------------------------------------------------------------
# assembling the Suggestion
# --------------------------------------------------------------------------------------------------

def _suggestion(ctx: Context, data: ProblemData, constraints: Constraints, solved: Solved,
                market: MarketData | None, started: float) -> Suggestion:
    target = solved.weights
    cash = max(solved.cash, 0.0) if constraints.long_only else solved.cash
    weights = pd.DataFrame({"name": data.names, "layer": data.layers, "current": data.w0, "target": target},
                           index=pd.Index(data.tickers, name="ticker"))
    weights.loc[_CASH] = ["Cash", "cash", data.cash0, cash]
    weights["trade"] = weights["target"] - weights["current"]
    shown = weights[(weights["current"] > 0) | (weights["target"] != 0)]
    shown = shown.sort_values(["target", "current"], ascending=False, kind="stable")

    moved = shown[(shown.index != _CASH) & (shown["trade"].abs() > MIN_TRADE)]
    trades = pd.DataFrame({
        "ticker": moved.index, "name": moved["name"].to_numpy(),
        "action": np.where(moved["trade"] > 0, "buy", "sell"), "weight": moved["trade"].abs().to_numpy(),
        "value_usd": (moved["trade"].abs() * data.value_usd).to_numpy() if data.value_usd else np.nan,
    }).sort_values("weight", ascending=False, kind="stable").reset_index(drop=True)

    target_pf = Portfolio.from_weights({t: float(w) for t, w in shown["target"].items() if w != 0} or {_CASH: 1.0})
    target_pf.source = f"suggestion for {ctx.portfolio.source}"
    before = analyze(ctx.portfolio, ctx.web, ctx.model, market=market)
    after = analyze(target_pf, ctx.web, ctx.model, market=market)
    turnover = float(np.abs(target - data.w0).sum())
    notes = list(data.notes)
    if constraints.max_cash is None and cash > max(constraints.min_cash, data.cash0) + 0.01:
        notes.append(f"sale proceeds are held as cash ({percent(cash)}): the fewest trades; set max_cash "
                     "(--max-cash) to reinvest them.")
    if solved.status == cp.OPTIMAL_INACCURATE:
        notes.append("the solver reported an inaccurate optimum; check the constraints in .after.")
    return Suggestion(
        weights=shown, trades=trades, before=before, after=after, status=solved.status, solver=solved.solver,
        binding=_binding(solved, data, constraints), constraints=constraints.described(), turnover=turnover,
        objective=solved.objective, notes=notes,
        timings={"solve": solved.seconds, "compiled": solved.compiled, "total": time.perf_counter() - started},
    )


def _binding(solved: Solved, data: ProblemData, constraints: Constraints) -> pd.DataFrame:
    """Constraints with a non-zero dual, in words."""
    rows = []
    w, cash, duals = solved.weights, solved.cash, solved.duals

    def add(name: str, bound: float, value: float, dual: float, reading: str) -> None:
        rows.append({"constraint": name, "bound": bound, "value": value, "dual": dual, "reading": reading})

    def per_point(dual: float) -> str:
        return f"each point (0.01) of relaxation would save {dual * 0.01:.4f} of objective (weight traded)"

    if "hub_caps" in duals and duals["hub_caps"][0] is not None:
        exposure = data.loadings_all[:, [data.company_ids.index(h) for h in data.cap_ids]].T @ w
        for k, dual in enumerate(duals["hub_caps"][0]):
            if dual > DUAL_TOL:
                add(f"hub cap {data.cap_ids[k]}", float(data.caps[k]), float(exposure[k]), float(dual),
                    f"{data.cap_ids[k]} total exposure is held at its cap {percent(data.caps[k])}; " + per_point(dual))
    # long_only is left out: its duals on names not bought are reduced costs, not news.
    for name in ("max_weight", "exclude"):
        dual = duals[name][0] if name in duals else None
        if dual is None:
            continue
        names = data.tickers if name == "max_weight" else [t for t, e in zip(data.tickers, data.excluded,
                                                                              strict=True) if e]
        at = [t for t, d in zip(names, dual, strict=True) if d > DUAL_TOL]
        if at:
            bound = constraints.max_weight if name == "max_weight" else 0.0
            value = float(w.max(initial=0.0)) if name == "max_weight" else 0.0
            reading = (f"{', '.join(at[:8])}{'...' if len(at) > 8 else ''} held at the max_weight bound"
                       if name == "max_weight" else f"{', '.join(at[:8])} would be bought if not excluded")
            add(name, bound, value, float(dual.sum()), reading)
    frozen = duals.get("frozen", [None])
    if data.frozen.any() and frozen[0] is not None:
        dual = float(np.abs(frozen[0]).sum() + np.abs(frozen[1]).sum())
        if dual > DUAL_TOL:
            names = [t for t, f in zip(data.tickers, data.frozen, strict=True) if f]
            add("frozen", 0.0, 0.0, dual, f"not trading {', '.join(names)} costs objective")
    for name, bound, value in (("min_cash", constraints.min_cash, cash),
                               ("max_cash", constraints.max_cash, cash),
                               ("max_turnover", constraints.max_turnover, float(np.abs(w - data.w0).sum()))):
        dual = duals[name][0]
        if bound is not None and dual is not None and float(dual[0]) > DUAL_TOL:
            add(name, float(bound), float(value), float(dual[0]), f"{name} binds at {bound:g}; "
                + per_point(float(dual[0])))
    for side in ("band_lo", "band_hi"):
        if side not in duals or duals[side][0] is None:
            continue
        for k, dual in enumerate(duals[side][0]):
            if dual > DUAL_TOL:
                bound = float(data.band_lo[k] if side == "band_lo" else data.band_hi[k])
                basis = "AI sleeve" if constraints.layer_basis == "ai_sleeve" else "portfolio"
                base = float(data.ai_share @ w) if constraints.layer_basis == "ai_sleeve" else 1.0
                share = float(data.layer_shares[:, k] @ w) / base if base > 1e-12 else 0.0
                add(f"layer {data.band_layers[k]} {'lower' if side == 'band_lo' else 'upper'}", bound, share,
                    float(dual), f"{data.band_layers[k]} held at {percent(bound)} of the {basis}")
    if "stress_caps" in duals and duals["stress_caps"][0] is not None:
        loss = data.scenario_losses.T @ w
        for k, dual in enumerate(duals["stress_caps"][0]):
            if dual > DUAL_TOL:
                add(f"stress cap {data.scenario_names[k]}", float(data.scenario_caps[k]), float(loss[k]),
                    float(dual), f"loss in {data.scenario_names[k]} held at {percent(data.scenario_caps[k])}; "
                    + per_point(float(dual)))
    return pd.DataFrame(rows, columns=["constraint", "bound", "value", "dual", "reading"])
