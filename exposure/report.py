"""Result objects users look at: DataFrames, one-line readings, JSON and notebook HTML."""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

HUB_COLUMNS = ["direct", "first_order", "network", "total"]


def percent(value: float) -> str:
    """A fraction as a percent with one decimal (``0.1234`` -> ``12.3%``)."""
    return f"{100 * value:.1f}%"


def jsonable(value: Any) -> Any:
    """Plain Python for json.dumps: numpy scalars, NaN -> None, frames -> records."""
    if isinstance(value, pd.DataFrame):
        return [jsonable(r) for r in value.reset_index().to_dict("records")]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def frame_html(frame: pd.DataFrame, percent_columns: list[str] | None = None, max_rows: int = 15) -> str:
    """A compact HTML table with fractions shown as percents."""
    shown = frame.head(max_rows).copy()
    for column in percent_columns or []:
        if column in shown:
            shown[column] = shown[column].map(lambda v: "" if pd.isna(v) else percent(v))
    return shown.to_html(border=0, classes="exposure-table", na_rep="")


@dataclass
class ExposureReport:
    """What a portfolio rides on: hub exposures, layers, look-through holdings, metrics and the score.

    Every exposure is a fraction of portfolio value. ``hubs`` is indexed by company id with columns
    ``direct`` (the hub held), ``first_order`` (one deal away), ``network`` (chains of two deals or more)
    and ``total``, sorted by total.
    """

    hubs: pd.DataFrame
    layers: pd.DataFrame
    holdings: pd.DataFrame
    coverage: dict[str, Any]
    metrics: dict[str, Any]
    score: float
    grade: str
    top_hub: str | None
    top_hub_name: str | None
    notes: list[str]
    parameters: dict[str, Any]
    as_of: str | None
    _paths: Callable[[str, int], pd.DataFrame] = field(repr=False)
    _resolve: Callable[[str], str] = field(repr=False)

    def hub(self, key: str) -> pd.Series:
        """One hub's ``direct, first_order, network, total``; ``key`` is an id, name or ticker."""
        return self.hubs.loc[self._resolve(key)]

    def paths(self, hub: str, top: int = 10) -> pd.DataFrame:
        """The chains holding -> deal -> ... -> hub with deal ids and their share of the hub's total."""
        return self._paths(self._resolve(hub), top)

    def explain(self) -> str:
        """The one-sentence reading of the score."""
        if self.top_hub is None or self.score <= 0:
            return f"{self.score:.0f}: no part of this portfolio's value depends on the deal web's hubs."
        return (f"{self.score:.0f}: {self.score:.0f}% of this portfolio's value depends on {self.top_hub_name}, "
                "directly or through deals.")

    def to_dict(self) -> dict[str, Any]:
        """Everything as plain Python (stable keys, for ``--format json``)."""
        return jsonable({
            "score": round(self.score, 4), "grade": self.grade, "hub": self.top_hub, "explain": self.explain(),
            "as_of": self.as_of, "metrics": self.metrics, "hubs": self.hubs, "layers": self.layers,
            "holdings": self.holdings, "coverage": self.coverage, "notes": self.notes,
            "parameters": self.parameters,
        })

    def to_json(self, indent: int | None = 2) -> str:
        """:meth:`to_dict` as JSON."""
        return json.dumps(self.to_dict(), indent=indent)

    def __str__(self) -> str:
        return self.explain()

    def _repr_html_(self) -> str:
        top = self.hubs[self.hubs["total"] > 0]
        cov = self.coverage
        return (
            f"<div><h4>Exposure score {self.score:.0f} ({self.grade})</h4><p>{html.escape(self.explain())}</p>"
            f"<p>AI share {percent(self.metrics['ai_share'])}; effective names "
            f"{self.metrics['effective_names']:.1f}; effective hubs {self.metrics['effective_hubs']:.1f}.</p>"
            f"<h5>Hubs</h5>{frame_html(top[['name'] + HUB_COLUMNS], HUB_COLUMNS, 12)}"
            f"<h5>Layers</h5>{frame_html(self.layers, ['weight'])}"
            f"<p><small>Unmapped {percent(cov['unmapped_weight'])}, not looked through "
            f"{percent(cov['not_looked_through_weight'])}, {cov['deals_left_out']} deal channel(s) left out "
            f"of L. {html.escape(' '.join(self.notes))}</small></p></div>"
        )
