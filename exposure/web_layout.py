"""The deal-web picture's layout and drawing primitives (used by :func:`exposure.plots.deal_web`).

Positions are in data units: one column per group of layers, heights in [0, 1]. Matplotlib is only touched
through the Axes passed in (the ``[plots]`` extra), so importing this module stays light.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from exposure.dealweb import DealWeb

__all__ = ["WEB_COLUMNS", "draw_edges", "edge_handles", "edges_of", "layout", "place_labels"]


def edges_of(web: DealWeb) -> pd.DataFrame:
    """One row per (payer, payee): summed disclosed amount (USD bn; gigawatt-only deals count 0) and count."""
    deals = web.deals.copy()
    deals["amount"] = pd.to_numeric(deals["amount_usd_bn"], errors="coerce")
    deals["disclosed"] = deals["amount"].notna()
    deals["amount"] = deals["amount"].fillna(0.0)
    grouped = deals.groupby(["payer", "payee"], sort=False)
    return grouped.agg(amount=("amount", "sum"), disclosed=("disclosed", "any"),
                       deals=("id", "count")).reset_index()


#: Columns of the deal-web picture, left to right, roughly the way money flows through the stack.
WEB_COLUMNS: tuple[tuple[str, ...], ...] = (
    ("investor",), ("model_lab", "application"), ("hyperscaler_cloud", "neocloud"), ("semiconductor",),
    ("foundry_equipment", "networking_hardware", "data_center_power", "other"),
)


def layout(nodes: Sequence[str], edges: pd.DataFrame, layers: pd.Series,
           order: Sequence[str]) -> dict[str, np.ndarray]:
    """Layered layout: one column per group of layers (:data:`WEB_COLUMNS`), ordered within a column by
    layer (in ``order``) and then by the barycenter of each company's partners (a few sweeps), to keep
    arrows short and crossings few."""
    column_of = {layer: k for k, group in enumerate(WEB_COLUMNS) for layer in group}
    columns: list[list[str]] = [[] for _ in WEB_COLUMNS]
    for node in nodes:
        columns[column_of.get(str(layers[node]), len(WEB_COLUMNS) - 1)].append(node)
    rank = {layer: k for k, layer in enumerate(order)}
    for members in columns:
        members.sort(key=lambda n: (rank.get(str(layers[n]), 99), n))
    partners: dict[str, list[tuple[str, float]]] = {n: [] for n in nodes}
    for payer, payee, amount in edges[["payer", "payee", "amount"]].itertuples(index=False):
        weight = 1.0 + math.log1p(amount)
        partners[payer].append((payee, weight))
        partners[payee].append((payer, weight))

    def heights(members: list[str]) -> dict[str, float]:
        return {n: (k + 0.5) / len(members) for k, n in enumerate(members)}

    y = {n: v for members in columns for n, v in heights(members).items()}
    for _ in range(6):
        for members in columns:
            def center(node: str) -> float:
                linked = partners[node]
                if not linked:
                    return y[node]
                return sum(y[p] * w for p, w in linked) / sum(w for _, w in linked)

            # keep each layer together inside its column, order by barycenter within the layer
            members.sort(key=lambda n: (rank.get(str(layers[n]), 99), center(n)))
            y.update(heights(members))
    return {n: np.array([float(k), 1.0 - y[n]]) for k, members in enumerate(columns) for n in members}


def _xy(point: np.ndarray) -> tuple[float, float]:
    return float(point[0]), float(point[1])


def _edge_width(amount: float) -> float:
    return 0.5 + 1.1 * math.sqrt(amount / 10.0)


def draw_edges(ax: Axes, edges: pd.DataFrame, positions: dict[str, np.ndarray], area: pd.Series) -> None:
    from matplotlib.patches import FancyArrowPatch

    for row in edges.sort_values("amount").itertuples(index=False):
        if row.payer == row.payee:
            continue
        disclosed = row.amount > 0
        width = _edge_width(row.amount) if disclosed else 0.6
        arrow = FancyArrowPatch(
            _xy(positions[row.payer]), _xy(positions[row.payee]), arrowstyle="-|>", mutation_scale=8 + width,
            connectionstyle="arc3,rad=0.12", linewidth=width, linestyle="-" if disclosed else (0, (3, 2)),
            color="#6b6b6b", alpha=0.45 if disclosed else 0.35, zorder=1,
            shrinkA=math.sqrt(area[row.payer]) / 2, shrinkB=math.sqrt(area[row.payee]) / 2 + 1)
        ax.add_artist(arrow)  # not add_patch: the limits are fixed, and updating them per arrow is slow


def edge_handles(edges: pd.DataFrame) -> list[Any]:
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], color="#6b6b6b", alpha=0.6, lw=_edge_width(a), label=f"${a:g}B")
               for a in (5, 50, 300)]
    if (edges["amount"] <= 0).any():
        handles.append(Line2D([], [], color="#6b6b6b", alpha=0.6, lw=0.6, ls=(0, (3, 2)),
                              label="undisclosed or in GW"))
    return handles


def place_labels(ax: Axes, nodes: Sequence[str], main: set[str], positions: dict[str, np.ndarray],
            companies: pd.DataFrame, exposure: pd.Series | None, area: pd.Series) -> None:
    """Names above their nodes (``main`` ones bold, with exposure), nudged apart so that none overlap."""
    fig = ax.figure
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]  # Agg-based canvases, inline too
    to_px = ax.transData.transform
    texts = []
    for node in nodes:
        bold = node in main
        name = str(companies.at[node, "name"]).split(" (")[0]
        if bold and exposure is not None and exposure.get(node, 0) > 0:
            value = 100 * float(exposure[node])
            name += f" {value:.0f}%" if value >= 9.95 else f" {value:.1f}%"
        style: dict[str, Any] = {"fontsize": 9 if bold else 7, "fontweight": "bold" if bold else "normal",
                 "color": "#111111" if bold else "#444444"}
        probe = ax.text(0, 0, name, **style)
        box = probe.get_window_extent(renderer)
        probe.remove()
        x, y = to_px(positions[node])
        offset = math.sqrt(area[node]) / 2 * fig.dpi / 72 + 2
        texts.append({"node": node, "text": name, "style": style, "x": x, "y": y + offset + box.height / 2,
                      "w": box.width + 4, "h": box.height + 2, "home": y + offset + box.height / 2})
    for _ in range(300):
        moved = False
        for a in range(len(texts)):
            for b in range(a + 1, len(texts)):
                p, q = texts[a], texts[b]
                dx = (p["w"] + q["w"]) / 2 - abs(p["x"] - q["x"])
                dy = (p["h"] + q["h"]) / 2 - abs(p["y"] - q["y"])
                if dx > 0 and dy > 0:
                    moved = True
                    sign = 1 if p["y"] >= q["y"] else -1
                    p["y"] += sign * (dy / 2 + 0.5)
                    q["y"] -= sign * (dy / 2 + 0.5)
        if not moved:
            break
    inverse = ax.transData.inverted().transform
    for item in texts:
        x, y = inverse((item["x"], item["y"]))
        moved_far = abs(item["y"] - item["home"]) > 4  # a leader line only when the label had to move
        ax.annotate(item["text"], _xy(positions[item["node"]]), xytext=(x, y), ha="center", va="center", zorder=5,
                    bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.75},
                    arrowprops={"arrowstyle": "-", "color": "#aaaaaa", "lw": 0.4, "shrinkA": 0,
                                "shrinkB": math.sqrt(area[item["node"]]) / 2} if moved_far else None,
                    **item["style"])
