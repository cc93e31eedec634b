"""The numbers of one suggestion problem: tickers, current weights, hub loadings, layer shares, costs, bounds.

``loadings_all`` is ``(n, companies)``: each ticker's total exposure loading on every company of the web, for a
company ``1{i == h} + x_h[i]``, for a fund the weighted sum of its looked-through holdings' loadings, 0 for a
ticker outside the web. Every term is linear in the weights, so totals match :func:`exposure.analyze` of the
target portfolio exactly. Without hub caps and with ``gamma = 0`` nothing needs them: ``(n, 0)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from exposure.errors import ConstraintError, ScenarioError
from exposure.network import hub_exposures
from exposure.optimize.blas import one_thread
from exposure.optimize.constraints import Constraints
from exposure.optimize.inputs import cost_basis, portfolio_value, prices_usd, resolve_hub
from exposure.optimize.universe import add_universe, main_layer
from exposure.taxonomy import AI_LAYERS

if TYPE_CHECKING:
    from exposure.analyze import Context
    from exposure.dealweb import DealWeb
    from exposure.market import MarketData

#: Above this many names, a covariance is used through its root (rank x n) rather than as an n x n matrix.
QUAD_FORM_MAX_N = 3000


@dataclass
class ProblemData:
    """The numbers of one problem, aligned with ``tickers`` (cash is separate). Fractions of total value.

    ``layer_shares`` is ``(n, bands)``: the share of each ticker in each banded layer (1 for a company,
    look-through shares for a fund); ``ai_share`` its share in AI layers. ``buy_costs`` / ``sell_costs`` are
    the objective's cost per unit of weight bought / sold (selling a winner adds ``tax_rate * gain / value``).
    ``risk_matrix`` (full coverage, small n) or ``risk_root`` + ``risk_diag`` carry ``risk_aversion * S``.
    ``prices`` are USD per share (NaN when unknown), ``value_usd`` the portfolio's value (None for weights).
    """

    tickers: list[str]
    names: list[str]
    layers: list[str]
    w0: np.ndarray
    cash0: float
    cash_lo: float
    cash_hi: float
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
    buy_costs: np.ndarray
    sell_costs: np.ndarray
    frozen: np.ndarray
    excluded: np.ndarray
    is_fund: np.ndarray
    risk_matrix: np.ndarray | None
    risk_root: np.ndarray | None
    risk_diag: np.ndarray | None
    prices: np.ndarray
    value_usd: float | None
    min_trade: float
    notes: list[str] = field(default_factory=list)
    #: Each name's weight in the concentration term; None: 1, and FUND_CONCENTRATION for a fund.
    concentration: np.ndarray | None = None
    #: The fixed cost of one trade, a fraction of value (``Constraints.trade_fee`` over the portfolio's value).
    trade_fee: float = 0.0
    #: ``Constraints.max_turnover`` (None: no turnover budget); with none and no costs, trades need no variables.
    max_turnover: float | None = None
    #: How many identical names each row stands for (the level groups of :mod:`~exposure.optimize.levels`,
    #: whose row is their total weight: bounds scale with it); None: one each.
    multiplicity: np.ndarray | None = None

    @property
    def n(self) -> int:
        """Number of tickers (cash excluded)."""
        return len(self.tickers)

    def columns(self, hubs: list[str]) -> np.ndarray:
        """``loadings_all``'s columns for ``hubs`` (company ids), as ``(n, len(hubs))``."""
        index = {cid: k for k, cid in enumerate(self.company_ids)}
        return self.loadings_all[:, [index[h] for h in hubs]]


def build(ctx: Context, constraints: Constraints, risk: Any, market: MarketData) -> ProblemData:
    """The problem's numbers from an analysis context (holdings looked through, web, ``L``)."""
    web = ctx.web
    held = ctx.holdings
    compositions: dict[str, dict[str, float]] = {}
    layer_mix: dict[str, dict[str, float]] = {}
    w0: dict[str, float] = {}
    names: dict[str, str] = {}
    cash0 = float(held.loc[held["kind"] == "cash", "weight"].sum())
    direct = held[(held["via"] == "") & (held["kind"] != "cash")]
    firsts = direct.groupby("ticker", sort=False).agg(weight=("weight", "sum"), company_id=("company_id", "first"),
                                                      layer=("layer", "first"), name=("name", "first"))
    for ticker, weight, cid, layer, name in zip(firsts.index.tolist(), firsts["weight"].tolist(),
                                                firsts["company_id"].tolist(), firsts["layer"].tolist(),
                                                firsts["name"].tolist(), strict=True):
        w0[ticker] = float(weight)
        compositions[ticker] = {cid: 1.0} if isinstance(cid, str) else {}
        layer_mix[ticker] = {str(layer): 1.0}
        names[ticker] = str(name)
    for fund, rows in held[held["via"] != ""].groupby("via", sort=False):
        total = float(rows["weight"].sum())
        w0[fund] = w0.get(fund, 0.0) + total
        mapped = rows[rows["mapped"]]
        compositions[fund] = (mapped.groupby("company_id")["weight"].sum() / total).to_dict()
        layer_mix[fund] = (rows.groupby("layer")["weight"].sum() / total).to_dict()
        names[fund] = f"{fund} (fund, looked through)"
    # looked-through funds, and funds held without bundled holdings (AGG, a broker's "... UCITS ETF"): many names
    # each, so exempt from the single-name max_weight like every fund
    funds = set(held.loc[held["via"] != "", "via"]) | set(direct.loc[direct["kind"] == "fund_other", "ticker"])
    notes: list[str] = []
    add_universe(constraints, web, market, w0, compositions, layer_mix, names, funds, notes)

    tickers = list(w0)
    n, company_ids = len(tickers), list(ctx.ids)
    # Only the names on the web (companies, looked-through funds) have a composition: the thousands of names
    # outside it stay zero rows, never multiplied (np.zeros leaves their pages untouched).
    on_web = np.array([row for row, ticker in enumerate(tickers) if compositions[ticker]], dtype=int)
    composition = np.zeros((len(on_web), len(company_ids)))
    for row, at in enumerate(on_web):
        for cid, share in compositions[tickers[at]].items():
            composition[row, ctx.index[cid]] += share
    cap_ids, caps = [], []
    for key, cap in constraints.hub_caps.items():
        cid = resolve_hub(web, key, "hub_caps")
        if cid in cap_ids:
            raise ConstraintError(f"Constraints.hub_caps: '{key}' names {cid} twice. Fix: give one cap per hub.")
        cap_ids.append(cid)
        caps.append(float(cap))
    if constraints.gamma > 0 or cap_ids:
        network = hub_exposures(ctx.L, list(range(len(company_ids))))
        loadings_all = np.zeros((n, len(company_ids)))
        loadings_all[on_web] = composition @ (np.eye(len(company_ids)) + network)
        reach = network.sum(axis=0)
        ranked = [company_ids[k] for k in np.argsort(-reach, kind="stable") if reach[k] > 0]
        hub_ids = list(dict.fromkeys(ranked[: constraints.gamma_hubs] + cap_ids)) if constraints.gamma > 0 else []
    else:  # no hub cap and no hub term (a pure minimum-variance problem): no hub loadings to compute
        company_ids, loadings_all, hub_ids = [], np.zeros((n, 0)), []

    band_layers = list(constraints.layer_bands)
    all_layers = sorted({layer for mix in layer_mix.values() for layer in mix} | set(band_layers))
    layer_shares = np.zeros((n, len(all_layers)))
    column = {layer: k for k, layer in enumerate(all_layers)}
    for row, ticker in enumerate(tickers):
        for layer, share in layer_mix[ticker].items():
            layer_shares[row, column[layer]] = share
    ai_share = layer_shares[:, [k for k, layer in enumerate(all_layers) if layer in AI_LAYERS]].sum(axis=1)
    band_shares = layer_shares[:, [all_layers.index(layer) for layer in band_layers]]

    scenario_names, losses = _scenario_losses(ctx, constraints, composition, on_web, n)
    position = {t: k for k, t in enumerate(tickers)}
    value = portfolio_value(ctx.portfolio, market)
    w0_array = np.array([w0[t] for t in tickers])
    buy_costs = _costs(constraints.transaction_costs, tickers)
    sell_costs = buy_costs + _tax_costs(ctx, constraints, tickers, w0_array, value, notes)
    prices = prices_usd(tickers, market).to_numpy(dtype=float) if value is not None else np.full(n, np.nan)
    matrix, root, diag = _risk(risk, tickers, constraints.risk_aversion, notes)
    cash_lo, cash_hi = constraints.cash_band(cash0)
    return ProblemData(
        tickers=tickers, names=[names[t] for t in tickers],
        layers=[main_layer(layer_mix[t]) for t in tickers],
        w0=w0_array, cash0=cash0, cash_lo=cash_lo, cash_hi=cash_hi, company_ids=company_ids,
        loadings_all=loadings_all, hub_ids=hub_ids, cap_ids=cap_ids, caps=np.array(caps), band_layers=band_layers,
        band_lo=np.array([constraints.layer_bands[g][0] for g in band_layers]),
        band_hi=np.array([constraints.layer_bands[g][1] for g in band_layers]),
        layer_shares=band_shares, ai_share=ai_share, scenario_names=scenario_names, scenario_losses=losses,
        scenario_caps=np.array([constraints.stress_caps[s] for s in constraints.stress_caps]),
        buy_costs=buy_costs, sell_costs=sell_costs,
        frozen=_mask(constraints.frozen, position, web, "frozen", n),
        excluded=_mask(constraints.exclude, position, web, "exclude", n),
        is_fund=np.array([t in funds for t in tickers], dtype=bool),
        risk_matrix=matrix, risk_root=root, risk_diag=diag, prices=prices, value_usd=value,
        min_trade=constraints.min_trade_fraction(value), notes=notes,
        trade_fee=constraints.trade_fee_fraction(value), max_turnover=constraints.max_turnover,
    )


def _mask(keys: list[str], position: dict[str, int], web: DealWeb, field_name: str, n: int) -> np.ndarray:
    mask = np.zeros(n, dtype=bool)
    by_company: dict[str, str] = {}
    for key in keys:
        ticker = str(key).strip().upper()
        if ticker not in position:
            cid = web.company_for_ticker(ticker)
            if not by_company:
                by_company = {c: t for t in position if (c := web.company_for_ticker(t)) is not None}
            if cid is None or cid not in by_company:
                raise ConstraintError(f"Constraints.{field_name}: '{key}' is neither held nor in the universe. "
                                      f"Fix: use a held ticker or add it to the universe.")
            ticker = by_company[cid]
        mask[position[ticker]] = True
    return mask


def _costs(costs: float | dict[str, float], tickers: list[str]) -> np.ndarray:
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


def _tax_costs(ctx: Context, constraints: Constraints, tickers: list[str], w0: np.ndarray, value: float | None,
               notes: list[str]) -> np.ndarray:
    """Tax per unit of weight sold: ``tax_rate * max(gain, 0) / market value`` from the holdings' cost basis.

    A loser costs no tax (its loss is not credited, so selling and buying back never pays by itself).
    """
    out = np.zeros(len(tickers))
    if constraints.tax_rate == 0:
        return out
    basis = cost_basis(ctx.portfolio)
    if basis is None or value is None:
        notes.append("tax_rate ignored: the holdings have no cost_basis column with values or shares.")
        return out
    for k, ticker in enumerate(tickers):
        held = w0[k] * value
        paid = basis.get(ticker)
        if held > 0 and paid is not None and np.isfinite(paid):
            out[k] = constraints.tax_rate * max(held - float(paid), 0.0) / held
    known = int(sum(1 for t in tickers if pd.notna(basis.get(t))))
    notes.append(f"tax: {constraints.tax_rate:g} of realized gains counted as a cost for {known} name(s) with a "
                 "cost basis.")
    return out


def _scenario_losses(ctx: Context, constraints: Constraints, composition: np.ndarray, on_web: np.ndarray,
                     n: int) -> tuple[list[str], np.ndarray]:
    """Per ticker, the loss of value in each capped scenario (linear DebtRank, precomputed: linear in w);
    ``composition`` holds the rows ``on_web`` of the ``n`` tickers (the others lose nothing)."""
    if not constraints.stress_caps:
        return [], np.zeros((n, 0))
    from exposure.scenarios import load_scenarios, stress_context

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
    losses = np.zeros((n, len(columns)))
    losses[on_web] = np.column_stack(columns)
    return list(constraints.stress_caps), losses


def _risk(risk: Any, tickers: list[str], risk_aversion: float,
          notes: list[str]) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None]:
    """``risk_aversion * S`` over the tickers as ``(matrix, None, None)`` when the covariance covers every
    ticker at full rank and n is small, else ``(None, root, diag)`` with ``root' root`` the covered block and
    ``diag`` the standard deviation of uncovered tickers (the median variance, uncorrelated)."""
    if risk is None:
        return None, None, None
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
    covered = covariance.index.intersection(pd.Index(tickers))
    at = pd.Index(tickers).get_indexer(covered)
    block = covariance.loc[covered, covered].to_numpy(dtype=float)
    block = risk_aversion * (block + block.T) / 2
    fill = float(np.median(np.diag(block))) if len(covered) else 0.04 * risk_aversion
    n = len(tickers)
    if len(covered) == n and n <= QUAD_FORM_MAX_N and _positive_definite(block):
        order = np.argsort(at)
        return block[np.ix_(order, order)], None, None
    values, vectors = np.linalg.eigh(block) if len(covered) else (np.zeros(0), np.zeros((0, 0)))
    keep = values > 1e-12 * max(values.max(initial=0.0), 1e-300)
    root = np.zeros((int(keep.sum()), n))
    root[:, at] = np.sqrt(values[keep])[:, None] * vectors[:, keep].T
    diag = np.full(n, np.sqrt(max(fill, 0.0)))
    diag[at] = 0.0
    missing = [t for t, d in zip(tickers, diag, strict=True) if d > 0]
    if missing:
        notes.append(f"risk model has no row for {len(missing)} ticker(s) ({', '.join(missing[:5])}"
                     f"{'...' if len(missing) > 5 else ''}): median variance {fill / max(risk_aversion, 1e-300):.4f}, "
                     "uncorrelated.")
    return None, root, diag if missing else None


def _positive_definite(matrix: np.ndarray) -> bool:
    """Whether a symmetric matrix is positive definite (a Cholesky factor exists: ~10x cheaper than eigh). On one
    BLAS thread: at a few hundred names two threads only spin against each other (CPU 0.2 s against 4 ms)."""
    try:
        with one_thread():
            np.linalg.cholesky(matrix)
    except np.linalg.LinAlgError:
        return False
    return True
