"""analyze(): portfolio + deal web (+ market data) -> ExposureReport. The one place they meet."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import scipy.sparse as sp

from exposure.dealweb import DealWeb
from exposure.holdings.identifiers import unmapped_notes
from exposure.metrics import effective_number, grade, hhi, score
from exposure.network import Sensitivity, chains, check_stable
from exposure.portfolio import CASH_TICKERS, Portfolio, look_through
from exposure.report import ExposureReport
from exposure.taxonomy import AI_LAYERS

if TYPE_CHECKING:
    from exposure.market import MarketData
    from exposure.models import ExposureModel


@dataclass
class Context:
    """Everything the engine needs for one portfolio on one web, built once by :func:`build_context`.

    ``weights`` is the look-through portfolio weight of each company (fractions of portfolio value),
    aligned with ``ids`` and the rows of ``L``.
    """

    weights: np.ndarray
    holdings: pd.DataFrame
    web: DealWeb
    model: ExposureModel
    portfolio: Portfolio
    sensitivity: Sensitivity
    notes: list[str] = field(default_factory=list)

    @property
    def ids(self) -> list[str]:
        """Company ids in the order of L's rows and columns."""
        return self.sensitivity.ids

    @property
    def index(self) -> dict[str, int]:
        """Company id -> position in L."""
        return self.sensitivity.index

    @property
    def L(self) -> sp.csr_matrix:  # noqa: N802 (the matrix's name in docs/methods.md)
        """The sensitivity matrix."""
        return self.sensitivity.matrix

    @property
    def spectral_radius(self) -> float:
        """Spectral radius of L (below 1, checked when the context is built)."""
        return self.sensitivity.spectral_radius()


def build_context(pf: Portfolio, web: DealWeb | None = None, model: ExposureModel | None = None,
                  market: MarketData | None = None) -> Context:
    """Value the portfolio, look through its funds, map it onto the web and build ``L``.

    ``market`` defaults to the bundled snapshot; a live provider also refreshes the web's market caps
    and revenues (names it could not fetch keep the snapshot, and its warnings say which).
    """
    from exposure.market import SnapshotProvider
    from exposure.models import ExposureModel

    pf = pf if isinstance(pf, Portfolio) else Portfolio.from_weights(pf)  # a Series or dict of weights
    web = web if web is not None else DealWeb.bundled()
    model = model or ExposureModel()
    market = market if market is not None else SnapshotProvider()
    notes = list(pf.notes)
    seen_warnings = len(getattr(market, "warnings", []))  # a provider reused across calls keeps its old ones
    if (note := pf.normalisation_note()) is not None:
        notes.append(note)
    if (note := web.future_deals_note()) is not None:
        notes.append(note)
    # One batched fundamentals request for everything we may need: the web's listed companies (fresh
    # market caps and revenues) and the portfolio's own tickers (prices for shares).
    held = [t for t in pf.positions["ticker"] if t not in CASH_TICKERS] if pf.kind == "shares" else []
    # The snapshot's figures are already the web's own: it is asked only for share prices.
    refresh = [] if isinstance(market, SnapshotProvider) else list(web.listed["ticker"])
    figures = market.fundamentals(list(dict.fromkeys(refresh + held))) if refresh or held else pd.DataFrame()
    web = web.with_market_figures(figures)

    def usd_price(ticker: str) -> float | None:
        value = figures.at[ticker, "price_usd"] if ticker in figures.index else None
        return None if value is None or pd.isna(value) else float(value)

    valued = pf.valued(usd_price if pf.kind == "shares" else None)
    rows = look_through(valued, market.fund_holdings)
    holdings = _mapped(rows, web, valued)
    notes.extend(unmapped_notes(holdings, [*web.listed["ticker"], *getattr(market, "funds", set)()]))
    notes.extend(getattr(market, "warnings", [])[seen_warnings:])

    sensitivity = web.sensitivity(model)
    check_stable(sensitivity)
    weights = np.zeros(len(sensitivity.ids))
    mapped = holdings["mapped"].to_numpy()
    for cid, weight in _sums(holdings["company_id"][mapped].tolist(), holdings["weight"][mapped].tolist()).items():
        weights[sensitivity.index[cid]] = weight
    return Context(weights=weights, holdings=holdings, web=web, model=model, portfolio=pf, sensitivity=sensitivity,
                   notes=notes)


def analyze(pf: Portfolio, web: DealWeb | None = None, model: ExposureModel | None = None,
            hubs: list[str] | None = None, market: MarketData | None = None) -> ExposureReport:
    """Score a portfolio's exposure to the deal web's hubs.

    Parameters
    ----------
    pf : the holdings.
    web : the deal web; the bundled one when omitted (use ``web.as_of(date)`` for history).
    model : how deals become dependence; ``ExposureModel()`` defaults (docs/methods.md, section 1.1).
    hubs : restrict the hub table to these companies (ids, names or tickers); all companies by default.
    market : market data provider; the bundled snapshot by default.

    Returns
    -------
    ExposureReport with fractions of portfolio value (see its docstring).
    """
    ctx = build_context(pf, web, model, market)
    web = ctx.web
    hub_ids = [web.resolve(h) for h in hubs] if hubs else list(ctx.ids)
    columns = _exposure_columns(ctx, [ctx.index[h] for h in hub_ids])
    order = np.lexsort((-columns["first_order"], -columns["total"]))  # by total, then first order; stable
    ordered = [hub_ids[k] for k in order]
    table = pd.DataFrame({"name": [web.name_of[h] for h in ordered], "layer": [web.layer_of[h] for h in ordered],
                          **{name: values[order] for name, values in columns.items()}},
                         index=pd.Index(ordered, name="company"))

    holdings = ctx.holdings
    weight_by = _sums(holdings["layer"].tolist(), holdings["weight"].tolist())
    layers = pd.DataFrame({"weight": list(weight_by.values())},
                          index=pd.Index(list(weight_by), name="layer")).sort_values("weight", ascending=False)
    not_cash = holdings["kind"].to_numpy() != "cash"
    names = np.fromiter(_sums(holdings["ticker"][not_cash].tolist(),
                              holdings["weight"][not_cash].tolist()).values(), dtype=float)
    totals = table["total"].to_numpy()
    top = table.index[0] if len(table) and totals[0] > 0 else None
    largest = float(totals[0]) if len(table) else 0.0
    value = score(largest)
    coverage = _coverage(ctx)
    metrics = {
        "ai_share": float(sum(w for layer, w in weight_by.items() if layer in AI_LAYERS)),
        "name_hhi": hhi(names),
        "effective_names": effective_number(names),
        "hub_hhi": hhi(totals),
        "effective_hubs": effective_number(totals),
        "largest_hub": top,
        "largest_hub_total": largest,
        "spectral_radius": ctx.spectral_radius,
    }
    return ExposureReport(
        hubs=table, layers=layers, holdings=holdings, coverage=coverage, metrics=metrics, score=value,
        grade=grade(value), top_hub=top, top_hub_name=None if top is None else web.name_of[top],
        notes=ctx.notes, parameters=ctx.model.model_dump(mode="json"),
        as_of=None if web.cutoff is None else web.cutoff.isoformat(),
        _paths=lambda hub, top_n: hub_paths(ctx, hub, top_n), _resolve=web.resolve,
    )


def exposure_table(ctx: Context, hub_ids: list[str]) -> pd.DataFrame:
    """``direct, first_order, network, total`` per hub (fractions of portfolio value), docs/methods.md section 2."""
    return pd.DataFrame(_exposure_columns(ctx, [ctx.index[h] for h in hub_ids]), index=hub_ids)


def _exposure_columns(ctx: Context, positions: list[int]) -> dict[str, np.ndarray]:
    network = ctx.sensitivity.exposures(positions)  # x_h per hub, including the first-order term
    direct = ctx.weights[positions]
    first_order = ctx.weights @ ctx.sensitivity.column(positions)
    beyond = np.clip(ctx.weights @ network - first_order, 0.0, None)
    return {"direct": direct, "first_order": first_order, "network": beyond,
            "total": np.clip(direct + first_order + beyond, 0.0, 1.0)}


def hub_paths(ctx: Context, hub: str, top: int = 10) -> pd.DataFrame:
    """The ``top`` chains holding -> ... -> hub, with the deals on each hop and their share of the total."""
    position = ctx.index[hub]
    total = float(exposure_table(ctx, [hub]).at[hub, "total"])
    starts = {k: float(w) for k, w in enumerate(ctx.weights) if w > 0 and k != position}
    names = ctx.web.name_of
    by_edge = ctx.sensitivity.edge_deals()
    described = _deal_labels(ctx)
    rows = []
    if ctx.weights[position] > 0:
        rows.append({"holding": _ticker(ctx, hub), "chain": f"{names[hub]} (held directly)", "hops": 0,
                     "deals": "", "exposure": float(ctx.weights[position])})
    for chain, contribution in chains(ctx.L, position, starts, limit=max(top * 5, 50)):
        ids = [ctx.ids[k] for k in chain]
        hops = []
        for affected, source in zip(ids[:-1], ids[1:], strict=True):
            hops.append(", ".join(f"{d} ({described[d]}; {c} {v:.3f})" for d, c, v in by_edge[(affected, source)]))
        rows.append({"holding": _ticker(ctx, ids[0]), "chain": " -> ".join(names[i] for i in ids),
                     "hops": len(ids) - 1, "deals": " | ".join(hops), "exposure": contribution})
    frame = pd.DataFrame(rows, columns=["holding", "chain", "hops", "deals", "exposure"])
    frame = frame.sort_values("exposure", ascending=False, kind="stable").head(top).reset_index(drop=True)
    frame["share"] = frame["exposure"] / total if total > 0 else 0.0
    frame.index = pd.RangeIndex(1, len(frame) + 1, name="rank")
    return frame


def _deal_labels(ctx: Context) -> dict[str, str]:
    """Deal id -> ``$300bn, reported`` (headline amount, status) or ``10 GW ~ $350bn est., announced``."""
    counted = ctx.sensitivity.contributions.drop_duplicates("deal_id").set_index("deal_id")
    labels = {}
    for deal in ctx.web.deals.to_dict("records"):
        amount, status = deal["amount_usd_bn"], deal["status"]
        if pd.notna(amount):
            labels[deal["id"]] = f"${amount:,.4g}bn, {status}"
        elif deal["id"] in counted.index and counted.at[deal["id"], "estimate"]:
            weight = ctx.model.status_weights.get(status, 1.0)
            estimate = counted.at[deal["id"], "amount_usd_bn"] / weight if weight else float("nan")
            labels[deal["id"]] = f"{deal['capacity_gw']:g} GW ~ ${estimate:,.4g}bn est., {status}"
        else:
            labels[deal["id"]] = f"undisclosed, {status}"
    return labels


def _ticker(ctx: Context, cid: str) -> str:
    ticker = ctx.web.companies.at[cid, "ticker"]
    return str(ticker) if isinstance(ticker, str) else cid


def _mapped(rows: pd.DataFrame, web: DealWeb, valued: pd.DataFrame) -> pd.DataFrame:
    """Add ``company_id, name, layer, mapped, kind`` to look-through rows (kind: company, cash, fund_other,
    unmapped)."""
    cash = set(valued.loc[valued["is_cash"], "ticker"])
    company_ids, kinds, layers, names = [], [], [], []
    given_names = dict(zip(valued["ticker"], valued["name"], strict=True))
    layer_of, name_of = web.layer_of, web.name_of
    for ticker, via, looked in zip(rows["ticker"].tolist(), rows["via"].tolist(), rows["looked_through"].tolist(),
                                   strict=True):
        cid = None if ticker in cash else web.company_for_ticker(ticker)
        company_ids.append(cid)
        if ticker in cash and not via:
            kinds.append("cash"), layers.append("cash"), names.append("Cash")
        elif cid is not None:
            kinds.append("company"), layers.append(layer_of[cid]), names.append(name_of[cid])
        elif via and not looked:
            kinds.append("fund_other"), layers.append("fund, not looked through")
            names.append(f"{via} holdings beyond the published top holdings")
        else:
            kinds.append("unmapped"), layers.append("unmapped"), names.append(given_names.get(ticker) or "")
    return pd.DataFrame({"ticker": rows["ticker"].to_numpy(), "name": names, "company_id": company_ids,
                         "layer": layers, "weight": rows["weight"].to_numpy(dtype=float),
                         "via": rows["via"].to_numpy(), "kind": kinds,
                         "mapped": [cid is not None for cid in company_ids]})


def _coverage(ctx: Context) -> dict[str, object]:
    holdings = ctx.holdings
    kind, weight, ticker = holdings["kind"].to_numpy(), holdings["weight"].to_numpy(), holdings["ticker"].to_numpy()
    unmapped = kind == "unmapped"
    return {
        "unmapped_weight": float(weight[unmapped].sum()),
        "unmapped_tickers": sorted(set(ticker[unmapped].tolist())),
        "not_looked_through_weight": float(weight[kind == "fund_other"].sum()),
        "cash_weight": float(weight[kind == "cash"].sum()),
        "deals_in_web": int(len(ctx.web.deals)),
        "deals_left_out": len(ctx.sensitivity.left_out_deals()),
        "left_out": ctx.sensitivity.coverage,
        "estimated_deals": ctx.sensitivity.estimated_deals(),
    }


def _sums(keys: list[str], values: list[float]) -> dict[str, float]:
    """Values summed per key, in order of first appearance (a groupby without pandas' overhead)."""
    sums: dict[str, float] = {}
    for key, value in zip(keys, values, strict=True):
        sums[key] = sums.get(key, 0.0) + value
    return sums
