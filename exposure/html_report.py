"""One self-contained HTML report of a portfolio's exposure, to open in a browser or send to a client.

Tables (pandas Styler), the figures of :mod:`exposure.plots` embedded as base64 PNGs (no external file or
script), the sources of every deal used with links, the as-of dates of the data and the exposure model's
parameters; a stress section and a suggestion section when given. The page is a jinja2 template
(``exposure/templates/report.html``) rendered with autoescaping, so no text from a data file becomes markup.
Build it with :func:`render_report`; ``exposure report FILE --out report.html`` writes it.
"""

from __future__ import annotations

import base64
import html
import io
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

import pandas as pd
from markupsafe import Markup

from exposure.errors import MissingDependencyError
from exposure.report import HUB_COLUMNS, percent

if TYPE_CHECKING:
    import jinja2
    from matplotlib.figure import Figure

    from exposure.dealweb import DealWeb
    from exposure.market import MarketData
    from exposure.models import ExposureModel
    from exposure.optimize import Suggestion
    from exposure.portfolio import Portfolio
    from exposure.report import ExposureReport
    from exposure.scenarios import StressResult

__all__ = ["figure_png", "render_report"]


def render_report(pf: Portfolio, web: DealWeb, *, title: str = "Portfolio", model: ExposureModel | None = None,
                  market: MarketData | None = None, hub: str | None = None,
                  shocks: Mapping[str, float] | None = None, history: bool = True,
                  stress_result: StressResult | None = None, suggestion: Suggestion | None = None,
                  hubs: list[str] | None = None) -> str:
    """The whole report as one HTML string (UTF-8 text, images inline).

    Parameters
    ----------
    pf, web : the holdings and the deal web (use ``web.as_of(date)`` for a past state).
    title : shown at the top (the holdings file name, say).
    model, market : as in :func:`exposure.analyze`.
    hub : the hub for the exposure-over-time figure and the paths table; the score's hub by default.
    shocks : a stress scenario (company -> fraction of value lost); ``{hub: 0.5}`` by default.
    history : include the exposure-over-time figure (about 40 re-analyses of the web).
    stress_result : a :func:`exposure.stress` result to report instead of ``shocks`` (any scenario).
    suggestion : an :func:`exposure.suggest` result: adds the trades (weights, shares and value when
        known), hubs and layers before and after, and the binding constraints.
    hubs : the AI hubs that drive the score, as in :func:`exposure.analyze` (the web's own by default).

    Without matplotlib (the ``[plots]`` extra) the report has every table and says how to get the figures.
    """
    from exposure import __version__
    from exposure.analyze import analyze
    from exposure.datacheck import data_freshness, live_figures

    report = analyze(pf, web, model=model, market=market, hubs=hubs)
    hub_id = web.resolve(hub) if hub else report.top_hub
    if stress_result is None:
        stress_result = _stress(pf, web, model, market, shocks or ({hub_id: 0.5} if hub_id else {}))
    figures, figures_note = _figures(report, pf, web, model, hub_id if history else None)
    tables = _tables(report, hub_id, web, model)
    market_error, tables["market"], tables["figures"] = _as_of(report, web, market)
    tables["parameters"] = _table(_parameters(report.parameters), index=False)
    context = {
        "title": title, "report": report, "version": __version__, "today": date.today(),
        "stamp": datetime.now().strftime("%Y-%m-%d %H:%M"),
        "web_when": f"as of {web.cutoff}" if web.cutoff else f"all {len(web.deals)} deals to {_latest_deal(web)}",
        "web_as_of": f"as of {web.cutoff}" if web.cutoff else "every deal in the data",
        "latest_deal": _latest_deal(web), "n_companies": len(web.companies), "n_deals": len(web.deals),
        "metrics": _metrics(report), "coverage": _coverage(report), "figures": figures,
        "figures_note": figures_note, "hub_name": str(web.companies.at[hub_id, "name"]) if hub_id else "",
        "tables": tables, "market_error": market_error,
        "freshness": data_freshness(web, live=live_figures(market)).line(),  # how old the figures are
        "stress": _stress_section(stress_result) if stress_result is not None else None,
        "suggestion": _suggestion_section(suggestion) if suggestion is not None else None,
    }
    return _template().render(**context)


def figure_png(fig: Figure, dpi: int = 110) -> bytes:
    """A figure as PNG bytes (the figure is closed afterwards)."""
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    plt.close(fig)
    return buffer.getvalue()


# ------------------------------------------------------------------------------------------ sections

@lru_cache(maxsize=1)
def _template() -> jinja2.Template:
    import jinja2

    environment = jinja2.Environment(loader=jinja2.PackageLoader("exposure", "templates"),
                                     autoescape=True, undefined=jinja2.StrictUndefined)
    return environment.get_template("report.html")


def _figures(report: ExposureReport, pf: Portfolio, web: DealWeb, model: ExposureModel | None,
             history_hub: str | None) -> tuple[list[dict[str, str]], str]:
    """The figures as base64 PNGs with captions, or none and a note saying how to get them."""
    try:
        from exposure import plots

        drawn = [(plots.hub_bars(report), "Exposure to the hubs, split into direct holdings, one deal away and "
                  "chains of two deals or more (percent of portfolio value)."),
                 (plots.layer_mix(report), "Look-through weight by layer of the AI stack."),
                 (plots.deal_web(web, report), "The deal web: node area is this portfolio's exposure to each "
                  "company; arrows run from payer or investor to payee, wider for larger deals.")]
        if history_hub is not None:
            drawn.append((plots.exposure_over_time(pf, web, history_hub, model=model),
                          "How the exposure grew as deals were announced, with the deals behind the largest "
                          "jumps."))
    except MissingDependencyError as missing:
        return [], f"The figures need matplotlib: {missing}"
    return [{"png": _png(fig), "caption": caption} for fig, caption in drawn], ""


def _tables(report: ExposureReport, hub_id: str | None, web: DealWeb,
            model: ExposureModel | None) -> dict[str, Markup | None]:
    hubs = report.hubs[report.hubs["total"] > 0].head(15)
    holdings = report.holdings[["ticker", "name", "layer", "weight", "via"]].sort_values("weight", ascending=False)
    paths = report.paths(hub_id, top=10) if hub_id is not None else None
    deals, left_out = _deals(report, web, model)
    return {
        "hubs": _table(hubs[["name", "layer", *HUB_COLUMNS]], HUB_COLUMNS),
        "layers": _table(report.layers, ["weight"]),
        "holdings": _table(holdings, ["weight"], index=False),
        "paths": None if paths is None else _table(paths, ["exposure", "share"]) if not paths.empty
        else Markup("<p>No chain links them.</p>"),
        "deals": _table(deals, index=False, links=["source"]),
        "left_out": None if left_out is None else _table(left_out, index=False),
    }


def _stress_section(result: StressResult) -> dict[str, Any]:
    losses = ["shock", "first_round", "later_rounds", "total", "lower_bound"]
    held = result.holdings[result.holdings["contribution"] > 0]
    try:
        from exposure import plots

        waterfall: str | None = _png(plots.stress_waterfall(result))
    except MissingDependencyError:
        waterfall = None
    return {
        "label": result._label(), "description": result.description, "summary": result.summary(),
        "method": result.method, "loss": percent(result.portfolio_loss), "lower_bound": percent(result.lower_bound),
        "direct": percent(result.direct_loss), "network": percent(result.network_loss), "figure": waterfall,
        "holdings": _table(held[["ticker", "name", "via", "weight", "loss", "contribution"]].head(15),
                           ["weight", "loss", "contribution"], index=False),
        "companies": _table(result.companies.head(15), losses),
        "clearing": None if result.clearing is None else _table(result.clearing, ["shock"]),
        "notes": result.notes,
    }


def _suggestion_section(sug: Suggestion) -> dict[str, Any]:
    trades = sug.trades if "ticker" in sug.trades else sug.trades.reset_index()
    shown = [c for c in ("ticker", "name", "action", "weight", "shares", "value_usd") if c in trades]
    hubs = pd.DataFrame({"name": sug.before.hubs["name"], "before": sug.before.hubs["total"],
                         "after": sug.after.hubs["total"].reindex(sug.before.hubs.index).fillna(0.0)})
    hubs = hubs[(hubs["before"] > 0) | (hubs["after"] > 0)].sort_values("before", ascending=False).head(15)
    layers = pd.concat({"before": sug.before.layers["weight"], "after": sug.after.layers["weight"]},
                       axis=1).fillna(0.0)
    return {
        "summary": sug.summary(), "notes": sug.notes,
        "trades": _table(trades[shown], ["weight"], index=False) if len(trades) else Markup("<p>No trade.</p>"),
        "hubs": _table(hubs, ["before", "after"]), "layers": _table(layers, ["before", "after"]),
        "binding": _table(sug.binding, index=False) if len(sug.binding) else Markup("<p>None binds.</p>"),
    }


def _deals(report: ExposureReport, web: DealWeb, model: ExposureModel | None) -> tuple[pd.DataFrame,
                                                                                      pd.DataFrame | None]:
    """Every deal of the web, those on the portfolio's chains first, and the deals left out with reasons."""
    used = set(web.sensitivity(model).contributions["deal_id"])
    on_chains = _chain_deals(report, web)
    estimated = set(report.coverage["estimated_deals"])
    deals = web.deals.copy()
    names = web.companies["name"]
    amount = pd.to_numeric(deals["amount_usd_bn"], errors="coerce")
    gigawatts = pd.to_numeric(deals["capacity_gw"], errors="coerce") if "capacity_gw" in deals else None
    table = pd.DataFrame({
        "id": deals["id"], "deal": deals["payer"].map(names) + " \u2192 " + deals["payee"].map(names),
        "type": deals["type"].astype(str).str.replace("_", " "),
        "USD bn": [_amount(a, None if gigawatts is None else gigawatts.iloc[k], deal_id in estimated)
                   for k, (a, deal_id) in enumerate(zip(amount, deals["id"], strict=True))],
        "announced": deals["announced"].astype(str), "status": deals["status"].astype(str),
        "in model": deals["id"].isin(used).map({True: "yes", False: "no"}),
        "on chains": deals["id"].isin(on_chains).map({True: "yes", False: ""}),
        "source": deals["source_url"],
    })
    order = pd.DataFrame({"chains": table["on chains"] == "yes", "used": table["in model"] == "yes",
                          "announced": table["announced"]})
    table = table.loc[order.sort_values(["chains", "used", "announced"], ascending=False).index]
    left = report.coverage["left_out"]
    if not isinstance(left, pd.DataFrame) or left.empty:
        return table, None
    grouped = (left.drop_duplicates().groupby(["reason", "channel"])["deal_id"]
               .agg(lambda ids: ", ".join(sorted(set(ids)))).rename("deals").reset_index())
    return table, grouped


def _as_of(report: ExposureReport, web: DealWeb,
           market: MarketData | None) -> tuple[str | None, Markup | None, Markup | None]:
    """``(error, market data table, company figures table)`` for the holdings; the error when unreadable."""
    from exposure.market import SnapshotProvider

    market = market if market is not None else SnapshotProvider()
    held = report.holdings[report.holdings["mapped"]]
    tickers = sorted(set(report.holdings.loc[report.holdings["kind"] != "cash", "ticker"]) |
                     set(held["via"].dropna().loc[lambda s: s != ""]))
    try:
        figures = market.fundamentals(tickers)
    except Exception as error:  # the report still renders; it says what it could not date
        return str(error), None, None
    shown = [c for c in ("price_usd", "market_cap_usd_bn", "revenue_usd_bn", "as_of", "source") if c in figures]
    companies = web.companies.loc[sorted(set(held["company_id"])),
                                  ["name", "revenue_usd_bn", "market_cap_usd_bn", "as_of"]]
    return None, _table(figures[shown].rename_axis("ticker")), _table(companies)


def _metrics(report: ExposureReport) -> dict[str, str]:
    m = report.metrics
    return {"ai_share": percent(m["ai_share"]), "effective_names": f"{m['effective_names']:.1f}",
            "effective_hubs": f"{m['effective_hubs']:.1f}", "spectral_radius": f"{m['spectral_radius']:.3f}"}


def _coverage(report: ExposureReport) -> dict[str, Any]:
    c = report.coverage
    return {"unmapped": percent(c["unmapped_weight"]), "unmapped_tickers": ", ".join(c["unmapped_tickers"]),
            "not_looked_through": percent(c["not_looked_through_weight"]), "deals_left_out": c["deals_left_out"],
            "deals_in_web": c["deals_in_web"], "estimated": len(c["estimated_deals"])}


def _parameters(parameters: Mapping[str, Any]) -> pd.DataFrame:
    rows = [(str(key), "; ".join(f"{k}: {v}" for k, v in value.items()) if isinstance(value, Mapping) else str(value))
            for key, value in parameters.items()]
    return pd.DataFrame(rows, columns=["parameter", "value"])


# ------------------------------------------------------------------------------------------ helpers

def _stress(pf: Portfolio, web: DealWeb, model: Any, market: Any, shocks: Mapping[str, float]) -> Any:
    if not shocks:
        return None
    from exposure.scenarios import stress

    return stress(pf, web, shocks=dict(shocks), model=model, market=market)


def _chain_deals(report: ExposureReport, web: DealWeb, hubs: int = 5) -> set[str]:
    """Ids of the deals on the top chains from the holdings to the portfolio's ``hubs`` largest hubs."""
    known = set(web.deals["id"].astype(str))
    found: set[str] = set()
    for hub in report.hubs[report.hubs["total"] > 0].index[:hubs]:
        for text in report.paths(hub, top=10)["deals"]:
            found |= {token for token in re.findall(r"[\w.-]+", str(text)) if token in known}
    return found


def _png(fig: Figure) -> str:
    return base64.b64encode(figure_png(fig)).decode("ascii")


def _table(frame: pd.DataFrame, percents: Iterable[str] = (), *, index: bool = True,
           links: Iterable[str] = ()) -> Markup:
    """An HTML table (pandas Styler): every text escaped, fractions in ``percents`` as percents, numbers
    right-aligned, URLs in ``links`` as links named by their site."""
    if not frame.index.is_unique:  # Styler needs unique labels to style cells
        frame = frame.reset_index(drop=not index)
    percents, links = [c for c in percents if c in frame], [c for c in links if c in frame]
    numeric = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c]) and c not in percents]
    formats: dict[Any, Callable[[Any], str]] = {c: _percent for c in percents}
    formats |= {c: _number for c in numeric} | {c: _link for c in links}
    styler = (frame.style.format(formats, escape="html", na_rep="")
              .format_index(escape="html", axis=0).format_index(escape="html", axis=1)
              .set_properties(subset=[*percents, *numeric], **{"text-align": "right"}))
    if not index:
        styler = styler.hide(axis="index")
    return Markup(styler.to_html())


def _percent(value: Any) -> str:
    return "" if pd.isna(value) else percent(float(value))


def _number(value: Any) -> str:
    if pd.isna(value):
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return f"{value:,.3g}" if abs(value) < 1000 else f"{value:,.0f}"


def _link(url: Any) -> str:
    """A link named by its site; ``url`` arrives HTML-escaped (Styler escapes before formatting)."""
    text = "" if url is None or (isinstance(url, float) and pd.isna(url)) else str(url)
    if not text.startswith(("http://", "https://")):
        return text
    host = urlparse(html.unescape(text)).netloc.removeprefix("www.")
    return f"<a href=\"{text}\">{html.escape(host)}</a>"


def _amount(amount: float, gigawatts: float | None, estimated: bool) -> str:
    if pd.notna(amount):
        text = f"{amount:,.1f}"
    elif gigawatts is not None and pd.notna(gigawatts):
        text = f"{gigawatts:g} GW"
    else:
        return ""
    return text + (" (estimate)" if estimated else "")


def _latest_deal(web: DealWeb) -> str:
    return str(web.deals["announced"].astype(str).max()) if len(web.deals) else "none"
