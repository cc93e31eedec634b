"""One self-contained HTML report of a portfolio's exposure, to open in a browser or send to a client.

Tables, the figures of :mod:`exposure.plots` embedded as base64 PNGs (no external file, script or
stylesheet), the sources of every deal used with links, the as-of dates of the data, and the exposure
model's parameters. Build it with :func:`render_report`; ``exposure report FILE --out report.html`` writes it.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import pandas as pd

from exposure.report import HUB_COLUMNS, percent

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from exposure.dealweb import DealWeb
    from exposure.market import MarketData
    from exposure.models import ExposureModel
    from exposure.portfolio import Portfolio

__all__ = ["figure_png", "render_report"]

_STYLE = """
body{font-family:-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;max-width:1100px;margin:2em auto;
padding:0 1em;color:#1d1d1d;line-height:1.45}
h1{font-size:1.7em;margin-bottom:.2em}h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:1.8em}
.lead{font-size:1.15em}.muted{color:#666;font-size:.9em}
table{border-collapse:collapse;margin:.6em 0 1em;font-size:.88em}
th,td{padding:.25em .6em;border-bottom:1px solid #eee;text-align:left;vertical-align:top}
th{background:#f5f7fa}td.num{text-align:right;font-variant-numeric:tabular-nums}
figure{margin:1em 0}figure img{max-width:100%;border:1px solid #eee}
figcaption{color:#555;font-size:.9em}.grade{display:inline-block;padding:.1em .6em;border-radius:1em;
background:#1f4e79;color:white;font-size:.8em;vertical-align:middle}
"""


def render_report(pf: Portfolio, web: DealWeb, *, title: str = "Portfolio", model: ExposureModel | None = None,
                  market: MarketData | None = None, hub: str | None = None,
                  shocks: Mapping[str, float] | None = None, history: bool = True) -> str:
    """The whole report as one HTML string (UTF-8 text, images inline).

    Parameters
    ----------
    pf, web : the holdings and the deal web (use ``web.as_of(date)`` for a past state).
    title : shown at the top (the holdings file name, say).
    model, market : as in :func:`exposure.analyze`.
    hub : the hub for the exposure-over-time figure and the paths table; the score's hub by default.
    shocks : a stress scenario (company -> fraction of value lost); ``{hub: 0.5}`` by default.
    history : include the exposure-over-time figure (about 40 re-analyses of the web).
    """
    from exposure import plots
    from exposure.analyze import analyze

    report = analyze(pf, web, model=model, market=market)
    hub_id = web.resolve(hub) if hub else report.top_hub
    sections = [_summary(report, title, web)]
    figures = [(plots.hub_bars(report), "Exposure to the hubs, split into direct holdings, one deal away and "
                "chains of two deals or more (percent of portfolio value).")]
    figures.append((plots.layer_mix(report), "Look-through weight by layer of the AI stack."))
    figures.append((plots.deal_web(web, report), "The deal web: node area is this portfolio's exposure to "
                    "each company; arrows run from payer or investor to payee, wider for larger deals."))
    if hub_id is not None and history:
        figures.append((plots.exposure_over_time(pf, web, hub_id, model=model),
                        "How the exposure grew as deals were announced, with the deals behind the largest jumps."))
    stress_result = _stress(pf, web, model, market, shocks or ({hub_id: 0.5} if hub_id else {}))
    if stress_result is not None:
        figures.append((plots.stress_waterfall(stress_result), html.escape(stress_result.summary())))
    sections.append("<h2>Pictures</h2>" + "".join(_figure(fig, caption) for fig, caption in figures))
    sections.append(_tables(report, hub_id, web))
    sections.append(_deal_sources(report, web, model, _chain_deals(report, web)))
    sections.append(_as_of(report, web, market))
    sections.append(_parameters(report.parameters))
    stamp = datetime.now().strftime("%Y-%m-%d %H:%M")
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}: exposure "
            f"report</title><style>{_STYLE}</style></head><body>{''.join(sections)}<p class='muted'>Generated "
            f"{stamp} by exposure. Exposures are fractions of portfolio value shown as percents; amounts in USD "
            "billions.</p></body></html>")


def figure_png(fig: Figure, dpi: int = 110) -> bytes:
    """A figure as PNG bytes (the figure is closed afterwards)."""
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    plt.close(fig)
    return buffer.getvalue()


# ------------------------------------------------------------------------------------------ sections

def _summary(report: Any, title: str, web: DealWeb) -> str:
    m, c = report.metrics, report.coverage
    when = f"as of {web.cutoff}" if web.cutoff else f"all {len(web.deals)} deals to {_latest_deal(web)}"
    return (
        f"<h1>{html.escape(title)}: AI-infrastructure exposure</h1>"
        f"<p class='muted'>Deal web {html.escape(when)}; {len(web.companies)} companies, {len(web.deals)} deals.</p>"
        f"<p class='lead'><b>Score {report.score:.0f}</b> <span class='grade'>{html.escape(report.grade)}</span> "
        f"{html.escape(report.explain())}</p>"
        f"<p>AI share {percent(m['ai_share'])}; effective names {m['effective_names']:.1f}; effective hubs "
        f"{m['effective_hubs']:.1f}; spectral radius of L {m['spectral_radius']:.3f}.</p>"
        f"<p class='muted'>Coverage: unmapped {percent(c['unmapped_weight'])}"
        + (f" ({html.escape(', '.join(c['unmapped_tickers']))})" if c["unmapped_tickers"] else "")
        + f"; funds not looked through {percent(c['not_looked_through_weight'])}; {c['deals_left_out']} of "
        f"{c['deals_in_web']} deals left out of L; {len(c['estimated_deals'])} deals valued from gigawatts "
        f"(estimates).</p>"
        + "".join(f"<p class='muted'>Note: {html.escape(n)}</p>" for n in report.notes)
    )


def _tables(report: Any, hub_id: str | None, web: DealWeb) -> str:
    hubs = report.hubs[report.hubs["total"] > 0].head(15)
    parts = ["<h2>Hubs</h2><p class='muted'>Top 15 by total exposure, percent of portfolio value.</p>",
             _table(hubs[["name", "layer", *HUB_COLUMNS]], HUB_COLUMNS),
             "<h2>Layers</h2>", _table(report.layers, ["weight"]),
             "<h2>Holdings, looked through</h2>",
             _table(report.holdings[["ticker", "name", "layer", "weight", "via"]].sort_values(
                 "weight", ascending=False), ["weight"], index=False)]
    if hub_id is not None:
        name = str(web.companies.at[hub_id, "name"])
        paths = report.paths(hub_id, top=10)
        parts += [f"<h2>Why: the chains to {html.escape(name)}</h2><p class='muted'>Each row is a chain of deals "
                  "from a holding to the hub: deal id, channel and the dependence on each hop; exposure in percent "
                  "of portfolio value, share of the hub's total.</p>",
                  _table(paths, ["exposure", "share"]) if not paths.empty else "<p>No chain links them.</p>"]
    return "".join(parts)


def _deal_sources(report: Any, web: DealWeb, model: ExposureModel | None, on_chains: set[str]) -> str:
    sensitivity = web.sensitivity(model)
    used = set(sensitivity.contributions["deal_id"])
    deals = web.deals.copy()
    names = web.companies["name"]
    deals["deal"] = deals["payer"].map(names) + " \u2192 " + deals["payee"].map(names)
    deals["used"] = deals["id"].isin(used)
    deals["chains"] = deals["id"].isin(on_chains)
    deals = deals.sort_values(["chains", "used", "announced"], ascending=[False, False, False])
    rows = []
    for row in deals.itertuples(index=False):
        amount = "" if pd.isna(row.amount_usd_bn) else f"{row.amount_usd_bn:,.1f}"
        if not amount and "capacity_gw" in deals and not pd.isna(row.capacity_gw):
            amount = f"{row.capacity_gw:g} GW"
        estimated = " (estimate)" if row.id in set(report.coverage["estimated_deals"]) else ""
        rows.append(f"<tr><td>{html.escape(str(row.id))}</td><td>{html.escape(str(row.deal))}</td>"
                    f"<td>{html.escape(str(row.type).replace('_', ' '))}</td><td class='num'>{amount}{estimated}</td>"
                    f"<td>{html.escape(str(row.announced))}</td><td>{html.escape(str(row.status))}</td>"
                    f"<td>{'yes' if row.used else 'no'}</td><td>{'yes' if row.chains else ''}</td>"
                    f"<td>{_link(row.source_url)}</td></tr>")
    left_out = report.coverage["left_out"]
    reasons = ""
    if isinstance(left_out, pd.DataFrame) and not left_out.empty:
        grouped = (left_out.drop_duplicates().groupby(["reason", "channel"])["deal_id"]
                   .agg(lambda ids: ", ".join(sorted(set(ids)))).rename("deals").reset_index())
        reasons = "<h3>Deals or channels left out of the model, and why</h3>" + _table(grouped, [], index=False)
    return ("<h2>Deals and their sources</h2><p class='muted'>Every deal of the web, the ones on this "
            "portfolio's chains to its top five hubs first. \u201cIn model\u201d says whether the deal entered "
            "the sensitivity matrix L. Amounts in USD billions; gigawatt deals are converted at the model's dollars "
            "per GW.</p><table><thead><tr><th>id</th><th>deal (payer \u2192 payee)</th><th>type</th><th>USD bn</th>"
            "<th>announced</th><th>status</th><th>in model</th><th>on chains</th><th>source</th></tr>"
            f"</thead><tbody>{''.join(rows)}</tbody></table>{reasons}")


def _as_of(report: Any, web: DealWeb, market: MarketData | None) -> str:
    from exposure.market import SnapshotProvider

    market = market if market is not None else SnapshotProvider()
    held = report.holdings[report.holdings["mapped"]]
    tickers = sorted(set(report.holdings.loc[report.holdings["kind"] != "cash", "ticker"]) |
                     set(held["via"].dropna().loc[lambda s: s != ""]))
    try:
        figures = market.fundamentals(tickers)
    except Exception as error:  # the report still renders; it says what it could not date
        return f"<h2>As-of dates</h2><p>Market data could not be read: {html.escape(str(error))}</p>"
    shown = [c for c in ("price_usd", "market_cap_usd_bn", "revenue_usd_bn", "as_of", "source") if c in figures]
    figures = figures[shown].copy()
    figures.index.name = "ticker"
    companies = web.companies.loc[sorted(set(held["company_id"]))]
    return ("<h2>As-of dates</h2>"
            f"<p>Deal web: {html.escape(f'as of {web.cutoff}' if web.cutoff else 'every deal in the data')}, latest "
            f"deal announced {html.escape(_latest_deal(web))}; report generated {date.today()}.</p>"
            "<h3>Market data for the holdings</h3>" + _table(figures, [])
            + "<h3>Company figures behind L (revenue and market cap, USD bn)</h3>"
            + _table(companies[["name", "revenue_usd_bn", "market_cap_usd_bn", "as_of"]], []))


def _parameters(parameters: Mapping[str, Any]) -> str:
    rows = []
    for key, value in parameters.items():
        if isinstance(value, Mapping):
            value = "; ".join(f"{k}: {v}" for k, v in value.items())
        rows.append(f"<tr><td>{html.escape(str(key))}</td><td>{html.escape(str(value))}</td></tr>")
    return ("<h2>The model's parameters</h2><p class='muted'>How deals become dependence (docs/methods.md, "
            "section 1.1): kappa revenue elasticity, phi funding weight, theta supply weight, status weights, "
            "default durations (years) and dollars per gigawatt (USD bn).</p><table><thead><tr><th>parameter</th>"
            f"<th>value</th></tr></thead><tbody>{''.join(rows)}</tbody></table>")


# ------------------------------------------------------------------------------------------ helpers

def _stress(pf: Portfolio, web: DealWeb, model: Any, market: Any, shocks: Mapping[str, float]) -> Any:
    if not shocks:
        return None
    from exposure.scenarios import stress

    return stress(pf, web, shocks=dict(shocks), model=model, market=market)


def _chain_deals(report: Any, web: DealWeb, hubs: int = 5) -> set[str]:
    """Ids of the deals on the top chains from the holdings to the portfolio's ``hubs`` largest hubs."""
    import re

    known = set(web.deals["id"].astype(str))
    found: set[str] = set()
    for hub in report.hubs[report.hubs["total"] > 0].index[:hubs]:
        for text in report.paths(hub, top=10)["deals"]:
            found |= {token for token in re.findall(r"[\w.-]+", str(text)) if token in known}
    return found


def _figure(fig: Figure, caption: str) -> str:
    encoded = base64.b64encode(figure_png(fig)).decode("ascii")
    return (f"<figure><img alt='{html.escape(caption, quote=True)}' src='data:image/png;base64,{encoded}'>"
            f"<figcaption>{caption}</figcaption></figure>")


def _table(frame: pd.DataFrame, percent_columns: list[str], index: bool = True) -> str:
    """An escaped HTML table; fractions in ``percent_columns`` as percents, numbers right-aligned."""
    head = ([frame.index.name or ""] if index else []) + [str(c) for c in frame.columns]
    body = []
    for key, row in frame.iterrows():
        cells = [f"<td>{html.escape(str(key))}</td>"] if index else []
        for column, value in row.items():
            cells.append(_cell(value, column in percent_columns))
        body.append("<tr>" + "".join(cells) + "</tr>")
    return ("<table><thead><tr>" + "".join(f"<th>{html.escape(str(h))}</th>" for h in head)
            + "</tr></thead><tbody>" + "".join(body) + "</tbody></table>")


def _cell(value: Any, as_percent: bool) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "<td></td>"
    if as_percent:
        return f"<td class='num'>{percent(float(value))}</td>"
    if isinstance(value, bool):
        return f"<td>{'yes' if value else 'no'}</td>"
    if isinstance(value, int | float):
        return f"<td class='num'>{value:,.3g}</td>" if abs(value) < 1000 else f"<td class='num'>{value:,.0f}</td>"
    return f"<td>{html.escape(str(value))}</td>"


def _link(url: Any) -> str:
    text = "" if url is None or (isinstance(url, float) and pd.isna(url)) else str(url)
    if not text.startswith(("http://", "https://")):
        return html.escape(text)
    from urllib.parse import urlparse

    host = urlparse(text).netloc.removeprefix("www.")
    return f"<a href='{html.escape(text, quote=True)}'>{html.escape(host)}</a>"


def _latest_deal(web: DealWeb) -> str:
    return str(web.deals["announced"].astype(str).max()) if len(web.deals) else "none"
