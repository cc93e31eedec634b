"""analyze(): portfolio + deal web (+ market data) -> ExposureReport. The one place they meet."""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import pandas as pd

from exposure.dealweb import DealWeb
from exposure.holdings.fx import price_notes
from exposure.holdings.identifiers import described_fund, known_security, unmapped_notes
from exposure.hubs import ai_dependence, circular_structures, portfolio_structures, systemic_importance
from exposure.metrics import effective_number, grade, hhi, score
from exposure.network import Sensitivity, chains, check_stable, leontief_solve
from exposure.portfolio import CASH_TICKERS, Portfolio, look_through_columns
from exposure.report import ExposureReport
from exposure.taxonomy import AI_LAYERS, BALANCED_AI_BANDS
from exposure.webfiles import diversifier_funds

if TYPE_CHECKING:
    import scipy.sparse as sp

    from exposure.defaults import DefaultModel
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
    model: ExposureModel | DefaultModel
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
        """The sensitivity matrix, sparse (imports scipy; the engine itself uses ``sensitivity.L``)."""
        return self.sensitivity.matrix

    @property
    def spectral_radius(self) -> float:
        """Spectral radius of L (below 1, checked when the context is built)."""
        return self.sensitivity.spectral_radius()


class _Rows(NamedTuple):
    """The look-through holdings' columns as Python lists: :func:`analyze` sums them without reading the frame
    back column by column (each read of an Arrow-backed column costs more than the sums themselves)."""

    ticker: list[str]
    weight: list[float]
    via: list[str]
    company_id: list[str | None]
    layer: list[str]
    kind: list[str]


def build_context(pf: Portfolio, web: DealWeb | None = None, model: ExposureModel | DefaultModel | None = None,
                  market: MarketData | None = None) -> Context:
    """Value the portfolio, look through its funds, map it onto the web and build ``L``.

    ``market`` defaults to the bundled snapshot; a live provider also refreshes the web's market caps
    and revenues (names it could not fetch keep the snapshot, and its warnings say which).
    """
    return _build(pf, web, model, market)[0]


def _build(pf: Portfolio, web: DealWeb | None, model: ExposureModel | DefaultModel | None,
           market: MarketData | None) -> tuple[Context, _Rows]:
    """:func:`build_context`, with the holdings' columns as lists beside the context."""
    from exposure.defaults import DefaultModel  # ExposureModel()'s values without loading pydantic
    from exposure.market import SnapshotProvider

    pf = pf if isinstance(pf, Portfolio) else Portfolio.from_weights(pf)  # a Series or dict of weights
    web = web if web is not None else DealWeb.bundled()
    parameters = model or DefaultModel()
    market = market if market is not None else SnapshotProvider()
    notes = list(pf.notes) + web.notes
    seen_warnings = len(getattr(market, "warnings", []))  # a provider reused across calls keeps its old ones
    if (note := pf.normalization_note()) is not None:
        notes.append(note)
    if (note := _future_deals_note(web)) is not None:
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

    valued = pf.valuation(usd_price if pf.kind == "shares" else None)
    notes.extend(price_notes(figures, held, pf.base_currency, pf.fx_rates) if held else [])
    rows = look_through_columns(valued.tickers, valued.weight.tolist(), valued.is_cash, market.fund_holdings)
    holdings, columns = _mapped(rows, web, dict(zip(valued.tickers, pf.positions["name"].tolist(), strict=True)),
                                {t for t, is_cash in zip(valued.tickers, valued.is_cash, strict=True) if is_cash},
                                getattr(market, "securities", set)())
    if "unmapped" in columns.kind:  # "did you mean" searches every known ticker: only when needed
        notes.extend(unmapped_notes(holdings, [*web.listed["ticker"], *getattr(market, "funds", set)()]))
    notes.extend(getattr(market, "warnings", [])[seen_warnings:])

    sensitivity = web.sensitivity(parameters)
    check_stable(sensitivity)
    weights = np.zeros(len(sensitivity.ids))
    mapped = [(cid, w) for cid, w in zip(columns.company_id, columns.weight, strict=True) if cid is not None]
    for cid, weight in _sums([cid for cid, _ in mapped], [w for _, w in mapped]).items():
        weights[sensitivity.index[cid]] = weight
    return Context(weights=weights, holdings=holdings, web=web, model=parameters, portfolio=pf, sensitivity=sensitivity,
                   notes=notes), columns


def analyze(pf: Portfolio, web: DealWeb | None = None, model: ExposureModel | DefaultModel | None = None,
            hubs: list[str] | None = None, market: MarketData | None = None) -> ExposureReport:
    """Score a portfolio's AI concentration: its exposure to the deal web's AI hubs.

    Parameters
    ----------
    pf : the holdings.
    web : the deal web; the bundled one when omitted (use ``web.as_of(date)`` for history).
    model : how deals become dependence; ``ExposureModel()`` defaults (docs/methods.md, section 1.1).
    hubs : the AI hubs (ids, names or tickers) that drive the score, and the rows of the hub table. By
        default the web's own AI hubs (:func:`exposure.hubs.ai_hubs`, systemic importance, independent of
        the portfolio) drive the score and the table lists every company, with ``ai_hub`` marking them.
    market : market data provider; the bundled snapshot by default.

    Returns
    -------
    ExposureReport with fractions of portfolio value (see its docstring).
    """
    ctx, rows = _build(pf, web, model, market)
    web = ctx.web
    facts = _web_facts(ctx)
    if hubs:
        table_ids = ai_ids = list(dict.fromkeys(web.resolve(h) for h in hubs))
    else:
        table_ids, ai_ids = list(ctx.ids), list(facts.ai_ids)
    columns = _exposure_columns(ctx, [ctx.index[h] for h in table_ids])
    order = np.lexsort((-columns["first_order"], -columns["total"]))  # by total, then first order; stable
    ordered = [table_ids[k] for k in order]
    is_hub = set(ai_ids)
    flags = np.array([h in is_hub for h in ordered], dtype=bool)
    table = pd.DataFrame({"name": _text([web.name_of[h] for h in ordered]),
                          "layer": _text([web.layer_of[h] for h in ordered]),
                          "ai_hub": flags, **{name: values[order] for name, values in columns.items()}},
                         index=pd.Index(_text(ordered), name="company"))

    holdings = ctx.holdings
    weight_by = _sums(rows.layer, rows.weight)
    layer_weights = np.fromiter(weight_by.values(), dtype=float, count=len(weight_by))
    by_weight = _descending(layer_weights)
    layer_names = list(weight_by)
    layers = pd.DataFrame({"weight": layer_weights[by_weight]},
                          index=pd.Index(_text([layer_names[k] for k in by_weight]), name="layer"))
    hub_totals = columns["total"][order][flags]
    first_hub = int(np.argmax(flags)) if flags.any() else None
    largest = float(hub_totals[0]) if hub_totals.size else 0.0
    top = ordered[first_hub] if first_hub is not None and largest > 0 else None
    value = score(largest)
    ai_layer_share = float(sum(w for layer, w in weight_by.items() if layer in AI_LAYERS))
    ai_share = float(ctx.weights @ facts.ai_dependence)
    metrics = {
        "ai_share": ai_share,
        "ai_layer_share": ai_layer_share,
        "ai_network_share": ai_share - ai_layer_share,
        "ai_hubs": ai_ids,
        **_name_concentration(rows),
        "hub_hhi": hhi(hub_totals),  # over the AI hubs only: a non-hub held (IBM) is no "effective hub"
        "effective_hubs": effective_number(hub_totals),
        "largest_hub": top,
        "largest_hub_total": largest,
        "carriers": [] if top is None else _carriers(ctx, top),
        "small_shock": None if top is None else _small_shock(ctx, top),
        "spectral_radius": ctx.spectral_radius,
    }
    weights_by_id = {cid: float(w) for cid, w in zip(ctx.ids, ctx.weights, strict=True) if w > 0}
    return ExposureReport(
        hubs=table, layers=layers, holdings=holdings, coverage=_coverage(ctx, rows, facts), metrics=metrics,
        score=value,
        grade=grade(value), top_hub=top, top_hub_name=None if top is None else web.name_of[top],
        notes=ctx.notes, parameters=ctx.model.model_dump(mode="json"),
        as_of=None if web.cutoff is None else web.cutoff.isoformat(),
        layer_mix=layer_mix(ai_layer_share, weight_by),
        _loops=lambda: portfolio_structures(circular_structures(web, ctx.model), weights_by_id),
        _paths=lambda hub, top_n: hub_paths(ctx, hub, top_n), _resolve=web.resolve,
    )


def _name_concentration(rows: _Rows) -> dict[str, object]:
    """Single-name concentration over non-cash look-through holdings: largest name, HHI, effective N.

    A fund not looked through (AGG) and a fund's remainder beyond its published holdings are many names, each
    too small to count: they add to the non-cash total the shares are taken of, but no square of their own.
    So 50% NVDA and 50% AGG read HHI 0.25 (effective N 4), not 1.0 as if NVDA were all."""
    named, dispersed = [], 0.0
    for t, w, kind in zip(rows.ticker, rows.weight, rows.kind, strict=True):
        if kind == "fund_other":
            dispersed += w
        elif kind != "cash":
            named.append((t, w))
    by_name = _sums([t for t, _ in named], [w for _, w in named])
    names = np.fromiter(by_name.values(), dtype=float)
    largest = max(by_name, key=by_name.__getitem__) if by_name else None
    return {"largest_name": largest, "largest_name_weight": by_name[largest] if largest else 0.0,
            "name_hhi": hhi(names, dispersed), "effective_names": effective_number(names, dispersed)}


def _carriers(ctx: Context, hub: str) -> list[dict[str, object]]:
    """The held companies that carry the hub's exposure through deals (``w_i x_h[i]``), largest first."""
    position = ctx.index[hub]
    through = ctx.weights * ctx.sensitivity.exposures([position])[:, 0]
    order = [k for k in np.argsort(-through, kind="stable") if through[k] > 0]
    return [{"company": ctx.ids[k], "name": ctx.web.name_of[ctx.ids[k]], "exposure": float(through[k])}
            for k in order]


def _small_shock(ctx: Context, hub: str) -> float:
    """Portfolio loss per unit of a *small* fall in the hub's value, feedback through the hub included:
    ``w @ (I - L)^-1 e_h`` (linear DebtRank before anything saturates, docs/methods.md section 2). A wiped-out hub's
    exposure (the score) stops the feedback at the hub, so it is the smaller of the two per unit."""
    position = ctx.index[hub]

    def column() -> np.ndarray:
        unit = np.zeros((len(ctx.ids), 1))
        unit[position, 0] = 1.0
        return np.clip(leontief_solve(ctx.sensitivity.L, unit)[:, 0], 0.0, None)

    return float(ctx.weights @ ctx.sensitivity._cached(("leontief", position), column))


def layer_mix(ai_layer_share: float, weight_by: dict[str, float]) -> pd.DataFrame:
    """Each AI layer's share of the AI sleeve against :data:`~exposure.taxonomy.BALANCED_AI_BANDS`.

    Columns ``weight`` (fraction of portfolio value), ``share`` (fraction of the AI-layer value), ``lo``,
    ``hi`` (the balanced band) and ``status`` (``below``, ``within``, ``above``; empty without an AI sleeve).
    """
    weight = np.array([weight_by.get(layer, 0.0) for layer in BALANCED_AI_BANDS])
    lo, hi = np.array(list(BALANCED_AI_BANDS.values())).T
    share = weight / ai_layer_share if ai_layer_share > 0 else np.zeros_like(weight)
    status = np.where(share < lo - 1e-12, "below", np.where(share > hi + 1e-12, "above", "within"))
    frame = pd.DataFrame(np.column_stack([weight, share, lo, hi]), columns=["weight", "share", "lo", "hi"],
                         index=pd.Index(_text(list(BALANCED_AI_BANDS)), name="layer"))
    frame["status"] = _text(status.tolist() if ai_layer_share > 0 else [""] * len(status))
    return frame


def exposure_table(ctx: Context, hub_ids: list[str]) -> pd.DataFrame:
    """``direct, first_order, network, total`` per hub (fractions of portfolio value), docs/methods.md section 2."""
    return pd.DataFrame(_exposure_columns(ctx, [ctx.index[h] for h in hub_ids]), index=hub_ids)


def _exposure_columns(ctx: Context, positions: list[int]) -> dict[str, np.ndarray]:
    """The four columns under one cap: a company cannot lose more than its value (limited liability).

    Company i's exposure to hub h is ``x_h[i]``, capped at 1 (:func:`~exposure.network.hub_exposures`);
    its first-order part is ``min(L[i, h], x_h[i])`` and the network part the rest, so for every hub
    ``direct + first_order + network = total = w_h + sum_i w_i x_h[i] <= 1`` exactly, with no clipping.
    """
    def split() -> tuple[np.ndarray, np.ndarray]:  # depends on the web alone
        x = ctx.sensitivity.exposures(positions)  # x_h per hub, including the first-order term, capped at 1
        first = np.minimum(ctx.sensitivity.column(positions), x)
        return first, x - first

    every_company = len(positions) == len(ctx.ids) and positions == list(range(len(ctx.ids)))
    first, rest = ctx.sensitivity._cached("exposure_split", split) if every_company else split()
    direct = ctx.weights[positions]
    first_order = ctx.weights @ first
    beyond = ctx.weights @ rest
    return {"direct": direct, "first_order": first_order, "network": beyond,
            "total": direct + first_order + beyond}


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
    for chain, contribution in chains(ctx.sensitivity.L, position, starts, limit=max(top * 5, 50)):
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
    deals = ctx.web.deals  # column lists, not to_dict("records"): a cold `exposure score` runs this once
    capacities = deals["capacity_gw"].tolist() if "capacity_gw" in deals else [None] * len(deals)
    for deal, amount, status, capacity in zip(deals["id"].tolist(), deals["amount_usd_bn"].tolist(),
                                              deals["status"].tolist(), capacities, strict=True):
        if pd.notna(amount):
            labels[deal] = f"${amount:,.4g}bn, {status}"
        elif deal in counted.index and counted.at[deal, "estimate"]:
            weight = ctx.model.status_weights.get(status, 1.0)
            estimate = counted.at[deal, "amount_usd_bn"] / weight if weight else float("nan")
            labels[deal] = f"{capacity:g} GW ~ ${estimate:,.4g}bn est., {status}"
        else:
            labels[deal] = f"undisclosed, {status}"
    return labels


def _ticker(ctx: Context, cid: str) -> str:
    ticker = ctx.web.companies.at[cid, "ticker"]
    return str(ticker) if isinstance(ticker, str) else cid


def _mapped(rows: tuple[list[str], list[float], list[str], list[bool]], web: DealWeb, given_names: dict[str, str],
            cash: set[str], securities: set[str]) -> tuple[pd.DataFrame, _Rows]:
    """Add ``company_id, name, layer, mapped, kind`` to look-through rows (``ticker, weight, via, looked_through``
    columns, :func:`~exposure.portfolio.look_through_columns`); kind: company, cash, fund_other, outside_web,
    unmapped. ``given_names`` are the names the portfolio gives its tickers and ``cash`` its cash tickers.

    ``unmapped`` is only for what the user holds directly and neither the web nor the market data knows (a typo,
    an unknown identifier); a fund's published holding outside the web (a bank in VTI, a Treasury in BND) and a
    directly held listed security the market data names (``securities``: COST, NFLX) are ``outside_web`` with
    layer ``other``: known, and loading on no hub. A bundled diversifier fund held without bundled holdings (AGG)
    is ``fund_other`` with its ``universe.csv`` layer, as ``suggest`` labels it."""
    tickers, weights, vias, looked_through = rows
    company_ids: list[str | None] = []
    kinds: list[str] = []
    layers: list[str] = []
    names: list[str] = []
    layer_of, name_of, diversifiers = web.layer_of, web.name_of, diversifier_funds()
    known = _memo(web).setdefault("company_for_ticker", {})  # ticker -> company id or None, per web
    for ticker, via, looked in zip(tickers, vias, looked_through, strict=True):
        if ticker in cash:
            cid = None
        elif (cid := known.get(ticker, _UNSEEN)) is _UNSEEN:
            cid = known[ticker] = web.company_for_ticker(ticker)
        company_ids.append(cid)
        if ticker in cash and not via:
            kind, layer, name = "cash", "cash", "Cash"
        elif cid is not None:
            kind, layer, name = "company", layer_of[cid], name_of[cid]
        elif via and not looked:
            kind, layer = "fund_other", "fund, not looked through"
            name = f"{via} holdings beyond the published top holdings"
        elif via:  # a fund's published holding that is no company of the web: known, just not AI
            kind, layer, name = "outside_web", "other", f"{ticker} (in {via}, outside the deal web)"
        elif ticker in diversifiers:  # a bundled diversifier fund whose holdings are not bundled (AGG, XLE)
            fund_name, layer = diversifiers[ticker]
            kind, name = "fund_other", f"{fund_name} (fund, not looked through)"
        elif not via and described_fund(given_names.get(ticker) or ""):  # "iShares MSCI EM UCITS ETF" (HIES)
            kind, layer = "fund_other", "fund, not looked through"
            name = f"{given_names[ticker]} (fund, not looked through)"
        elif known_security(ticker, securities):  # a listed name, or a CD or bond the broker describes
            kind, layer, name = "outside_web", "other", given_names.get(ticker) or f"{ticker} (outside the deal web)"
        else:
            kind, layer, name = "unmapped", "unmapped", given_names.get(ticker) or ""
        kinds.append(kind)
        layers.append(layer)
        names.append(name)
    mapped = np.array([cid is not None for cid in company_ids], dtype=bool)
    frame = pd.DataFrame({"ticker": _text(tickers), "name": _text(names), "company_id": _text(company_ids),
                          "layer": _text(layers), "weight": np.array(weights, dtype=float), "via": _text(vias),
                          "kind": _text(kinds), "mapped": mapped})
    return frame, _Rows(tickers, weights, vias, company_ids, layers, kinds)


def _coverage(ctx: Context, rows: _Rows, facts: _WebFacts) -> dict[str, object]:
    weight = np.array(rows.weight, dtype=float)
    kind = np.array(rows.kind, dtype=object)
    unmapped = kind == "unmapped"
    return {
        "unmapped_weight": float(weight[unmapped].sum()),
        "unmapped_tickers": sorted({t for t, k in zip(rows.ticker, rows.kind, strict=True) if k == "unmapped"}),
        "not_looked_through_weight": float(weight[kind == "fund_other"].sum()),
        "outside_web_weight": float(weight[kind == "outside_web"].sum()),
        "cash_weight": float(weight[kind == "cash"].sum()),
        "deals_in_web": int(len(ctx.web.deals)),
        "deals_left_out": len(ctx.sensitivity.left_out_deals()),
        "channels_left_out": facts.channels_left_out,
        "left_out": ctx.sensitivity.coverage,
        "estimated_deals": ctx.sensitivity.estimated_deals(),
    }


def _sums(keys: list[str], values: list[float]) -> dict[str, float]:
    """Values summed per key, in order of first appearance (a groupby without pandas' overhead)."""
    sums: dict[str, float] = {}
    for key, value in zip(keys, values, strict=True):
        sums[key] = sums.get(key, 0.0) + value
    return sums


def _descending(values: np.ndarray) -> np.ndarray:
    """The order of pandas' ``sort_values(ascending=False)`` (its quicksort on the reversed values, NaN last), ties
    included, without building a frame to sort."""
    positions = np.arange(len(values))
    missing = np.isnan(values)
    kept, at = values[~missing][::-1], positions[~missing][::-1]
    return np.concatenate([at[kept.argsort(kind="quicksort")][::-1], positions[missing]])


@cache
def _text_dtype() -> Any:
    """The dtype pandas gives a column of Python strings (``str`` in pandas 3), or None for plain ``object``."""
    dtype = pd.Series(["text"]).dtype
    return None if pd.api.types.is_object_dtype(dtype) else dtype


def _text(values: list[Any]) -> Any:
    """A column of strings (None for missing) as pandas would infer it, built in one call: inferring a list of
    strings is much of the cost of building a frame. Anything else is returned for pandas to infer."""
    dtype = _text_dtype()
    types = set(map(type, values))
    if dtype is None or str not in types or not types <= {str, type(None)}:
        return values
    return dtype.construct_array_type()._from_sequence(values, dtype=dtype)


class _WebFacts(NamedTuple):
    """What :func:`analyze` needs that depends on the web and model alone, kept beside the sensitivity matrix."""

    companies: pd.DataFrame  # the web's frame they were computed from (guards against a reused object id)
    ai_ids: list[str]
    ai_dependence: np.ndarray
    channels_left_out: int


def _web_facts(ctx: Context) -> _WebFacts:
    web, sensitivity = ctx.web, ctx.sensitivity

    def compute() -> _WebFacts:
        importance = systemic_importance(sensitivity, web.companies)
        in_ai = np.array([web.layer_of[c] in AI_LAYERS for c in ctx.ids])
        return _WebFacts(web.companies, list(importance.index[importance["hub"]]),
                         ai_dependence(sensitivity, in_ai), int((sensitivity.coverage["channel"] != "all").sum()))

    return sensitivity._cached("web_facts", compute, valid=lambda stored: stored.companies is web.companies)


#: Per web object, values derived from it alone (a web never changes once built; the entry goes with the web).
_WEB_MEMO: weakref.WeakKeyDictionary[DealWeb, dict[Any, Any]] = weakref.WeakKeyDictionary()
_UNSEEN = object()


def _memo(web: DealWeb) -> dict[Any, Any]:
    return _WEB_MEMO.setdefault(web, {})


def _future_deals_note(web: DealWeb) -> str | None:
    """:meth:`DealWeb.future_deals_note`, once per web and day."""
    memo = _memo(web)
    today = date.today()
    if memo.get("future_deals_note", (None,))[0] != today:
        memo["future_deals_note"] = (today, web.future_deals_note(today))
    return memo["future_deals_note"][1]
