"""Matplotlib figures of exposure, the deal web, its history, stress and the suggestion frontier.

Every figure function takes ``ax=None``: without it the function makes a new figure and returns the
:class:`matplotlib.figure.Figure` (show it in a notebook, ``plt.show()`` it, or ``fig.savefig``); with it
the function draws on your Axes (a panel of your own subplots) and returns that Axes, as
``pypfopt.plotting`` does. Matplotlib (the ``[plots]`` extra) is imported inside the functions, so
``import exposure`` stays light, and its backend is never chosen here: ``MPLBACKEND``, your
``matplotlib.use(...)`` or matplotlib's own default (an interactive backend where one can run, Agg where none
can) applies. Exposures and losses are fractions of portfolio value, drawn as percents; deal amounts are
USD billions.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any, Literal, overload

import numpy as np
import pandas as pd

from exposure._optional import require
from exposure.history import exposure_history
from exposure.web_layout import WEB_COLUMNS, draw_edges, edge_handles, edges_of, layout, place_labels

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from exposure.dealweb import DealWeb
    from exposure.portfolio import Portfolio
    from exposure.report import ExposureReport
    from exposure.scenarios import StressResult

__all__ = ["LAYER_COLORS", "deal_web", "exposure_history", "exposure_over_time", "frontier_plot",
           "hub_bars", "layer_mix", "stress_waterfall"]

#: One color per layer of the stack (color-blind-friendly Tableau hues), shared by every figure.
LAYER_COLORS: dict[str, str] = {
    "model_lab": "#d62728",
    "hyperscaler_cloud": "#1f77b4",
    "neocloud": "#17becf",
    "semiconductor": "#2ca02c",
    "foundry_equipment": "#bcbd22",
    "networking_hardware": "#9467bd",
    "data_center_power": "#ff7f0e",
    "investor": "#8c564b",
    "application": "#e377c2",
    "other": "#7f7f7f",
    "cash": "#c7c7c7",
    "unmapped": "#dddddd",
    "fund, not looked through": "#aaaaaa",
}
_PARTS = {"direct": "#1f4e79", "first_order": "#4f9bd9", "network": "#a9cfef"}
_PART_LABELS = {"direct": "direct (hub held)", "first_order": "first order (one deal)",
                "network": "network (two deals or more)"}


# ------------------------------------------------------------------------------------------ figures

@overload
def hub_bars(report: ExposureReport, top: int = ..., *, ax: None = ...) -> Figure: ...
@overload
def hub_bars(report: ExposureReport, top: int = ..., *, ax: Axes) -> Axes: ...
def hub_bars(report: ExposureReport, top: int = 10, *, ax: Axes | None = None) -> Figure | Axes:
    """Horizontal bars of the ``top`` hubs' total exposure, stacked direct / first order / network.

    Lengths are percents of portfolio value; the total is written at the end of each bar. Returns a new
    Figure, or ``ax`` when given.
    """
    shown = report.hubs[report.hubs["total"] > 0].head(top).iloc[::-1]
    ax, drawn = _canvas(ax, figsize=(8, 0.45 * max(len(shown), 3) + 1.6))
    left = np.zeros(len(shown))
    for part, color in _PARTS.items():
        values = shown[part].to_numpy(dtype=float)
        ax.barh(shown["name"], values, left=left, color=color, label=_PART_LABELS[part], height=0.7)
        left += values
    for y, total in enumerate(shown["total"]):
        ax.text(total, y, f" {100 * total:.1f}%", va="center", fontsize=9)
    _percent_axis(ax.xaxis)
    ax.set_xlim(0, max(float(shown["total"].max()) * 1.15, 0.01) if len(shown) else 0.01)
    ax.set_xlabel("exposure, % of portfolio value")
    ax.set_title(f"Exposure to the deal web's hubs (top {len(shown)}); score {report.score:.0f}, {report.grade}")
    if shown.empty:
        ax.set_title(f"No exposure to the deal web's hubs; score {report.score:.0f}, {report.grade}")
        ax.text(0.5, 0.5, "no holding depends on any hub, directly or through deals", transform=ax.transAxes,
                ha="center", va="center")
        ax.set_yticks([])
    else:
        ax.legend(loc="lower right", fontsize=8, frameon=False)
    _tidy(ax, grid="x")
    return drawn


@overload
def layer_mix(before: Any, after: Any = ..., labels: tuple[str, str] = ..., *, ax: None = ...) -> Figure: ...
@overload
def layer_mix(before: Any, after: Any = ..., labels: tuple[str, str] = ..., *, ax: Axes) -> Axes: ...
def layer_mix(before: Any, after: Any = None, labels: tuple[str, str] = ("before", "after"), *,
              ax: Axes | None = None) -> Figure | Axes:
    """Look-through weight by layer of the stack, optionally before and after (grouped bars).

    ``before`` and ``after`` are :class:`~exposure.report.ExposureReport` objects, their ``layers``
    frames, or Series of weights indexed by layer (fractions of portfolio value). Returns a new Figure, or
    ``ax`` when given.
    """
    columns = {labels[0]: _layer_weights(before)}
    if after is not None:
        columns[labels[1]] = _layer_weights(after)
    frame = pd.concat(columns, axis=1).fillna(0.0)  # every layer of either side
    from exposure.models import AI_LAYERS

    # AI layers on top, largest first; cash, funds not looked through, unmapped and the rest below them
    largest = frame.max(axis=1)
    frame = frame.loc[sorted(frame.index, key=lambda layer: (layer in AI_LAYERS, largest[layer]))]
    ax, drawn = _canvas(ax, figsize=(8, 0.42 * len(frame) * (1.4 if after is not None else 1) + 1.6))
    y = np.arange(len(frame))
    colors = [LAYER_COLORS.get(layer, "#7f7f7f") for layer in frame.index]
    if after is None:
        ax.barh(y, frame.iloc[:, 0], color=colors, height=0.7)
        _bar_values(ax, y, frame.iloc[:, 0])
    else:
        height = 0.38
        ax.barh(y + height / 2, frame.iloc[:, 0], height=height, color=colors, alpha=0.45,
                label=labels[0], edgecolor="#555555", linewidth=0.5)
        ax.barh(y - height / 2, frame.iloc[:, 1], height=height, color=colors, label=labels[1],
                edgecolor="#333333", linewidth=0.5)
        _bar_values(ax, y + height / 2, frame.iloc[:, 0], size=8)
        _bar_values(ax, y - height / 2, frame.iloc[:, 1], size=8)
        from matplotlib.patches import Patch

        ax.legend(handles=[Patch(facecolor="#888888", alpha=0.45, edgecolor="#555555", label=f"{labels[0]} (light)"),
                           Patch(facecolor="#555555", edgecolor="#333333", label=f"{labels[1]} (solid)")],
                  loc="lower right", frameon=False, fontsize=9)
    ax.set_yticks(y, [_pretty(layer) for layer in frame.index])
    _percent_axis(ax.xaxis)
    ax.set_xlim(0, max(float(frame.to_numpy().max()) * 1.18, 0.01))
    ax.set_xlabel("look-through weight, % of portfolio value")
    ax.set_title("Portfolio by layer of the AI stack" + (f" ({labels[0]} and {labels[1]})" if after is not None
                                                        else ""))
    _tidy(ax, grid="x")
    return drawn


@overload
def deal_web(web: DealWeb, report: ExposureReport | None = ..., hubs: Iterable[str] | None = ...,
             label_top: int = ..., *, ax: None = ...) -> Figure: ...
@overload
def deal_web(web: DealWeb, report: ExposureReport | None = ..., hubs: Iterable[str] | None = ...,
             label_top: int = ..., *, ax: Axes) -> Axes: ...
def deal_web(web: DealWeb, report: ExposureReport | None = None, hubs: Iterable[str] | None = None,
             label_top: int = 16, *, ax: Axes | None = None) -> Figure | Axes:
    """The deal web as a graph: companies as nodes, deals as arrows from payer to payee.

    Node color is the company's layer; node area is the portfolio's total exposure to the company when
    ``report`` is given (else the company's deal volume, USD bn); arrow width grows with the deals'
    amount (USD bn; undisclosed amounts are thin dashed lines). Companies sit in columns by layer, in
    the order money flows (investors, labs, clouds, chips, equipment and power), so the picture is the
    same every run. Every company is named; ``hubs`` (ids, names or tickers) and the ``label_top``
    largest nodes in bold, with the portfolio's exposure. Returns a new Figure (14 x 10 inches), or ``ax``
    when given (give it room: the legends sit to the right of the Axes).
    """
    from matplotlib.lines import Line2D

    companies = web.companies
    edges = edges_of(web)
    involved = sorted(set(edges["payer"]) | set(edges["payee"]))
    volume = pd.concat([edges.groupby("payer")["amount"].sum(), edges.groupby("payee")["amount"].sum()])
    volume = volume.groupby(level=0).sum().reindex(involved, fill_value=0.0)
    if report is not None:
        size_value = report.hubs["total"].reindex(involved, fill_value=0.0).astype(float)
        size_label = "portfolio exposure"
    else:
        size_value = volume
        size_label = "disclosed deal volume"
    magnitude = size_value.abs()  # a short position's exposure is negative: its node is as large as a long's
    area = 20 + 1100 * magnitude / max(float(magnitude.max()), 1e-9)
    positions = layout(involved, edges, companies["layer"], list(LAYER_COLORS))

    # a fixed layout (not "constrained"), so label positions can be measured before the first draw
    drawn: Figure | Axes
    if ax is None:
        fig, ax = _pyplot().subplots(figsize=(14, 10))
        fig.subplots_adjust(left=0.01, right=0.84, top=0.94, bottom=0.01)
        drawn = fig
    else:
        drawn = ax
    ax.set_ylim(-0.03, 1.1)
    ax.set_xlim(-0.6, len(WEB_COLUMNS) - 0.5)
    draw_edges(ax, edges, positions, area)
    for k, group in enumerate(WEB_COLUMNS):
        ax.text(k, 1.03, "\n".join(_pretty(layer) for layer in group if layer in set(companies.loc[involved, "layer"])),
                ha="center", va="bottom", fontsize=9, color="#555555", style="italic")
    xy = np.array([positions[c] for c in involved])
    colors = [LAYER_COLORS.get(str(companies.at[c, "layer"]), "#7f7f7f") for c in involved]
    ax.scatter(xy[:, 0], xy[:, 1], s=area.to_numpy(), c=colors, edgecolors="white", linewidths=0.8, zorder=3)

    wanted = [web.resolve(h) for h in hubs] if hubs is not None else []
    floor = 5e-4 if report is not None else 0.0  # an exposure that rounds to 0.0% is not a main node
    ranked = [c for c in size_value.sort_values(ascending=False).index if size_value[c] > floor]
    main = list(dict.fromkeys([h for h in wanted if h in positions] + ranked[:label_top]))
    layer_handles = [Line2D([], [], marker="o", ls="", markersize=9, markerfacecolor=LAYER_COLORS[layer],
                            markeredgecolor="white", label=_pretty(layer))
                     for layer in LAYER_COLORS if layer in set(companies.loc[involved, "layer"])]
    legend = ax.legend(handles=layer_handles, title="layer (node color)", loc="upper left",
                       bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize=9)
    ax.add_artist(legend)
    ax.legend(handles=edge_handles(edges), title="deal amount (arrow width)", loc="upper left",
              bbox_to_anchor=(1.0, 0.55), frameon=False, fontsize=9)
    when = f" as of {web.cutoff}" if getattr(web, "cutoff", None) else ""
    ax.set_title(f"The AI-infrastructure deal web{when}: {len(involved)} companies with deals, {len(web.deals)} deals\n"
                 f"arrows run from payer or investor to payee; node area: {size_label}"
                 + (" (% of portfolio value, labeled)" if report is not None else " (USD bn)"), fontsize=11)
    ax.set_axis_off()
    place_labels(ax, involved, set(main), positions, companies, size_value if report is not None else None, area)
    return drawn


@overload
def exposure_over_time(pf: Portfolio, web: DealWeb, hub: str, dates: Iterable[str | date] | None = ...,
                       model: Any = ..., top_jumps: int = ..., history: pd.DataFrame | None = ..., *,
                       ax: None = ...) -> Figure: ...
@overload
def exposure_over_time(pf: Portfolio, web: DealWeb, hub: str, dates: Iterable[str | date] | None = ...,
                       model: Any = ..., top_jumps: int = ..., history: pd.DataFrame | None = ..., *,
                       ax: Axes) -> Axes: ...
def exposure_over_time(pf: Portfolio, web: DealWeb, hub: str, dates: Iterable[str | date] | None = None,
                       model: Any = None, top_jumps: int = 4, history: pd.DataFrame | None = None, *,
                       ax: Axes | None = None) -> Figure | Axes:
    """How a portfolio's exposure to ``hub`` grew deal by deal (see :func:`exposure_history`).

    A step line of the total split into direct / first order / network (percent of portfolio value),
    with the ``top_jumps`` largest rises annotated by the deals behind them. Pass ``history`` (from
    :func:`exposure_history`) to draw one already computed. Returns a new Figure, or ``ax`` when given.
    """
    import matplotlib.dates as mdates

    if history is None:
        history = exposure_history(pf, web, hub, dates, model, top_jumps)
    name = str(web.companies.at[web.resolve(hub), "name"])
    ax, drawn = _canvas(ax, figsize=(10, 5.2))
    x = history.index.to_numpy()
    stacks = [history[p].to_numpy(dtype=float) for p in _PARTS]
    ax.stackplot(x, *stacks, step="post", colors=list(_PARTS.values()), labels=list(_PART_LABELS.values()),
                 alpha=0.9)
    ax.step(x, history["total"], where="post", color="#0b2a45", linewidth=1.4)
    peak = max(float(history["total"].max()), 0.01)
    biggest = float(history["change"].max())
    jumps = history[(history["drivers"].map(len) > 0) & (history["change"] >= max(0.001, 0.1 * biggest))]
    deals = web.deals.set_index("id")
    names = web.companies["name"].str.split(" (", regex=False).str[0]
    level, last_when = -1, None
    for when, row in jumps.sort_index().iterrows():
        # stack annotations whose jumps are close in time instead of letting them overlap
        level = level + 1 if last_when is not None and (when - last_when).days < 150 else 0
        last_when = when
        text = f"+{100 * row['change']:.1f} pts on {when:%d %b %Y}:\n" + "\n".join(
            f"{d} {names[deals.at[d, 'payer']]} \u2192 {names[deals.at[d, 'payee']]}" for d in row["drivers"])
        ax.annotate(text, (when, row["total"]), xytext=(-10, 14 + 52 * level), textcoords="offset points",
                    ha="right", va="bottom", fontsize=8,
                    arrowprops={"arrowstyle": "-", "color": "#555555", "lw": 0.7},
                    bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "#bbbbbb", "lw": 0.5})
    _percent_axis(ax.yaxis)
    ax.set_ylim(0, peak * (1.3 + 0.25 * max(level, 0)))
    ax.set_xlim(x[0], max(pd.Timestamp(date.today()), x[-1]))
    ax.xaxis.set_major_locator(mdates.MonthLocator(bymonth=(1, 7)))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%b %Y"))
    ax.set_ylabel(f"exposure to {name}, % of portfolio value")
    ax.set_xlabel("deals announced up to this date (web as of)")
    last = history["total"].iloc[-1]
    verb = "grew" if last >= history["total"].iloc[0] else "changed"
    ax.set_title(f"How the portfolio's exposure to {name} {verb} deal by deal: "
                 f"{100 * history['total'].iloc[0]:.1f}% on {history.index[0]:%d %b %Y} to {100 * last:.1f}% now")
    ax.legend(loc="upper left", fontsize=8, frameon=False)
    _tidy(ax, grid="y")
    return drawn


@overload
def frontier_plot(frame: pd.DataFrame, hub: str | None = ..., *, ax: None = ...) -> Figure: ...
@overload
def frontier_plot(frame: pd.DataFrame, hub: str | None = ..., *,
                  ax: Sequence[Axes]) -> tuple[Axes, Axes]: ...
def frontier_plot(frame: pd.DataFrame, hub: str | None = None, *,
                  ax: Sequence[Axes] | None = None) -> Figure | tuple[Axes, Axes]:
    """The suggestion frontier: turnover needed (left) and score reached (right) per hub cap.

    ``frame`` is :func:`exposure.optimize.frontier`'s output: ``cap, turnover, score, hub_exposure, status``
    (cap, turnover and exposure as fractions; score 0-100). Infeasible caps are marked with a cross.
    Returns a new Figure of two panels, or the two Axes given as ``ax`` (turnover, exposure).
    """
    frame = frame.sort_values("cap")
    ok = frame["status"].astype(str).str.startswith("optimal")
    if ax is None:
        fig, (left, right) = _pyplot().subplots(1, 2, figsize=(11, 4.4), layout="constrained")
    else:
        left, right = ax
    left.plot(frame.loc[ok, "cap"], frame.loc[ok, "turnover"], "o-", color="#1f4e79")
    right.plot(frame.loc[ok, "cap"], frame.loc[ok, "hub_exposure"], "o-", color="#1f4e79",
               label="exposure after the trades")
    if "score" in frame:
        right.plot(frame.loc[ok, "cap"], frame.loc[ok, "score"] / 100, "s--", color="#ff7f0e",
                   markersize=4, label="largest hub exposure after (score)")
    caps = frame["cap"].to_numpy(dtype=float)
    right.plot(caps, caps, ":", color="#888888", label="cap (exposure = cap)")
    for panel in (left, right):
        for cap in frame.loc[~ok, "cap"]:
            panel.axvline(cap, color="#d62728", alpha=0.25, lw=6)
        _percent_axis(panel.xaxis)
        _percent_axis(panel.yaxis)
        who = f"{hub} " if hub else ""
        panel.set_xlabel(f"cap on {who}hub exposure, % of portfolio value")
        _tidy(panel, grid="both")
    if (~ok).any():
        left.plot([], [], color="#d62728", alpha=0.25, lw=6, label="infeasible cap")
        left.legend(frameon=False, fontsize=8)
    left.set_ylabel("turnover (sum of |trades|), % of portfolio value")
    left.set_title("Trading needed to meet the cap")
    right.set_ylabel("% of portfolio value")
    right.set_title("Hub exposure after the trades")
    right.legend(frameon=False, fontsize=8)
    left.set_ylim(bottom=0)
    right.set_ylim(bottom=0)
    return fig if ax is None else (left, right)


@overload
def stress_waterfall(result: StressResult, top: int = ..., *, ax: None = ...) -> Figure: ...
@overload
def stress_waterfall(result: StressResult, top: int = ..., *, ax: Axes) -> Axes: ...
def stress_waterfall(result: StressResult, top: int = 10, *, ax: Axes | None = None) -> Figure | Axes:
    """Waterfall of a stress scenario's portfolio loss by holding (percent of portfolio value).

    Each bar is a holding's contribution (weight x the company's loss, summed over ETF look-through);
    the last bar is the portfolio loss. Holdings beyond ``top`` or below 0.05% are summed as "others".
    Returns a new Figure, or ``ax`` when given.
    """
    held = result.holdings[result.holdings["contribution"] >= 5e-4]  # below 0.05% goes to "others"
    parts = held.groupby("ticker")["contribution"].sum().sort_values(ascending=False)
    parts.index = [_held_as(ticker, held.loc[held["ticker"] == ticker, "via"]) for ticker in parts.index]
    parts = parts.head(top)
    small = float(result.portfolio_loss) - float(parts.sum())  # the rest of the holdings, each small
    if small >= 5e-4:
        parts = pd.concat([parts, pd.Series({"others": small})])
    names = list(parts.index) + ["portfolio loss"]
    starts = np.concatenate([[0.0], np.cumsum(parts.to_numpy())[:-1], [0.0]])
    heights = np.concatenate([parts.to_numpy(), [float(result.portfolio_loss)]])
    ax, drawn = _canvas(ax, figsize=(max(7.0, 0.75 * len(names) + 2), 4.8))
    colors = ["#d62728"] * len(parts) + ["#1f4e79"]
    ax.bar(names, heights, bottom=starts, color=colors, width=0.65)
    for k, (start, height) in enumerate(zip(starts, heights, strict=True)):
        ax.text(k, start + height, f"{100 * height:.1f}%", ha="center", va="bottom", fontsize=8)
        if k < len(parts) - 1:
            ax.plot([k + 0.33, k + 0.67], [start + height] * 2, color="#888888", lw=0.7)
    from matplotlib.lines import Line2D
    from matplotlib.patheffects import withStroke

    last = len(names) - 1
    ax.hlines(result.lower_bound, last - 0.325, last + 0.325, colors="white", linestyles="--", lw=1.2)
    ax.legend(handles=[Line2D([], [], color="white", ls="--", lw=1.2,
                              path_effects=[withStroke(linewidth=4, foreground="#1f4e79")],
                              label=f"lower bound {100 * result.lower_bound:.1f}% ({result.lower_bound_method})")],
              loc="upper left", frameon=False, fontsize=8)
    _percent_axis(ax.yaxis)
    ax.set_ylim(0, max(float((starts + heights).max()), 0.001) * 1.18)
    ax.set_ylabel("loss, % of portfolio value")
    ax.tick_params(axis="x", rotation=35)
    for tick in ax.get_xticklabels():
        tick.set_horizontalalignment("right")
    ax.set_title(f"{result._label()}: where the {100 * result.portfolio_loss:.1f}% loss comes from "
                 f"({result.method} DebtRank)", fontsize=11)
    _tidy(ax, grid="y")
    return drawn


# ------------------------------------------------------------------------------------------ helpers

def _pyplot() -> Any:
    """matplotlib.pyplot on the user's backend (never chosen here), or one line naming the ``[plots]`` extra."""
    return require("matplotlib.pyplot", "Plots (exposure.plots, exposure plot, exposure report)")


def _canvas(ax: Axes | None, figsize: tuple[float, float]) -> tuple[Axes, Figure | Axes]:
    """``(axes to draw on, what to return)``: the caller's Axes twice, or a new figure's Axes and the figure."""
    if ax is not None:
        return ax, ax
    fig, new = _pyplot().subplots(figsize=figsize, layout="constrained")
    return new, fig


def _percent_axis(axis: Any) -> None:
    """Tick labels as percents of a fraction, with a decimal only where a tick needs one."""
    from matplotlib.ticker import FuncFormatter

    def label(value: float, _position: float) -> str:
        points = 100 * value
        return f"{points:.0f}%" if abs(points - round(points)) < 1e-9 else f"{points:.1f}%"

    axis.set_major_formatter(FuncFormatter(label))


def _tidy(ax: Axes, grid: Literal["both", "x", "y"]) -> None:
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis=grid, color="#e5e5e5", linewidth=0.7)
    ax.set_axisbelow(True)


def _bar_values(ax: Axes, y: np.ndarray, values: pd.Series, size: int = 9) -> None:
    for position, value in zip(y, values, strict=True):
        if value > 0:
            ax.text(value, position, f" {100 * value:.1f}%", va="center", fontsize=size)


def _held_as(ticker: str, vias: pd.Series) -> str:
    """``NVDA``, ``NVDA (via QQQ, SMH)`` or ``NVDA (held, via SMH)``: how a look-through holding is held."""
    through = sorted({str(v) for v in vias.dropna() if str(v)})
    if not through:
        return ticker
    held = vias.isna().any() or (vias.astype(str) == "").any()
    return f"{ticker} ({'held, ' if held else ''}via {', '.join(through)})"


def _pretty(layer: str) -> str:
    return str(layer).replace("_", " ")


def _layer_weights(source: Any) -> pd.Series:
    layers = getattr(source, "layers", source)
    if isinstance(layers, pd.DataFrame):
        layers = layers["weight"]
    series = pd.Series(layers, dtype=float)
    return series.groupby(level=0).sum()
