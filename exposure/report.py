"""Result objects users look at: DataFrames, one-line readings, JSON and notebook HTML."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
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


def _pct(value: float) -> str:
    """A fraction as a whole percent (``0.314`` -> ``31%``), ``<1%`` for small non-zero values."""
    return "<1%" if 0 < value < 0.005 else f"{100 * value:.0f}%"


def _listed(names: list[str], most: int = 3) -> str:
    """``A``, ``A and B``, ``A, B and C``, ``A, B, C and others``."""
    if len(names) > most:
        return ", ".join(names[:most]) + " and others"
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def frame_html(frame: pd.DataFrame, percent_columns: list[str] | None = None, max_rows: int = 15) -> str:
    """A compact HTML table with fractions shown as percents."""
    shown = frame.head(max_rows).copy()
    for column in percent_columns or []:
        if column in shown:
            shown[column] = shown[column].map(lambda v: "" if pd.isna(v) else percent(v))
    return shown.to_html(border=0, classes="exposure-table", na_rep="")


@dataclass(repr=False)
class ExposureReport:
    """What a portfolio rides on: hub exposures, layers, look-through holdings, metrics and the score.

    Every exposure is a fraction of portfolio value. ``hubs`` is indexed by company id with columns
    ``ai_hub`` (whether the company is one of the web's AI hubs), ``direct`` (the hub held),
    ``first_order`` (one deal away), ``network`` (chains of two deals or more) and ``total``
    (``direct + first_order + network``, the value lost if the hub were wiped out), sorted by total.
    ``score`` is 100 x the largest total over the AI hubs (``metrics["ai_hubs"]``); single-name
    concentration (``metrics["largest_name"]``, ``name_hhi``, ``effective_names``) never drives it.
    ``layer_mix`` compares the AI sleeve with the balanced bands; ``loops`` lists the web's circular
    structures that hold a company of the portfolio.
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
    layer_mix: pd.DataFrame
    _loops: Callable[[], pd.DataFrame]
    _paths: Callable[[str, int], pd.DataFrame]
    _resolve: Callable[[str], str]

    @property
    def loops(self) -> pd.DataFrame:
        """The web's loops and cycles with a member this portfolio holds (computed on first use)."""
        if "_loop_frame" not in self.__dict__:
            self.__dict__["_loop_frame"] = self._loops()
        return self.__dict__["_loop_frame"]

    def hub(self, key: str) -> pd.Series:
        """One hub's ``direct, first_order, network, total``; ``key`` is an id, name or ticker."""
        return self.hubs.loc[self._resolve(key)]

    def paths(self, hub: str, top: int = 10) -> pd.DataFrame:
        """The chains holding -> deal -> ... -> hub with deal ids and their share of the hub's total."""
        return self._paths(self._resolve(hub), top)

    def headline(self) -> str:
        """The one-sentence reading of the score: grade, hub, and how the exposure is held."""
        label = f"{self.grade.capitalize()} AI concentration ({self.score:.0f}/100)"
        if self.top_hub is None or self.score <= 0:
            return f"{label}: no part of this portfolio's value rides on the deal web's AI hubs."
        return f"{label}: {self._rides_on(self.top_hub)}."

    def _rides_on(self, hub: str) -> str:
        """"31% of this portfolio's value rides on Nvidia, 22% held directly and 9% through ...'s deals"."""
        row = self.hubs.loc[hub]
        through = float(row["first_order"] + row["network"])
        carriers = self.metrics.get("carriers", []) if hub == self.top_hub else []
        names = [c["name"] for c in carriers]
        listed = _listed(names) if names else ""
        deals = (listed + ("' deals" if listed.endswith("others") else "'s deals")) if names else "deals"
        held = self.holdings[self.holdings["company_id"] == hub]
        own, in_funds = held[held["via"] == ""], held[held["via"] != ""]  # sums, not a difference: no 1e-17 "<1%"
        funds = list(dict.fromkeys(in_funds["via"]))
        parts = [(float(own["weight"].sum()), "held directly"),
                 (float(in_funds["weight"].sum()), f"through funds ({_listed(funds)})" if funds else ""),
                 (through, f"through {deals}")]
        parts = [(share, how) for share, how in parts if share > 0] or [(float(row["total"]), "held directly")]
        if len(parts) == 1:
            how = f"all of it {parts[0][1]}"
        else:
            how = ", ".join(f"{_pct(share)} {text}" for share, text in parts[:-1])
            how += f" and {_pct(parts[-1][0])} {parts[-1][1]}"
        return f"{_pct(row['total'])} of this portfolio's value rides on {row['name']}, {how}"

    def concentration_line(self) -> str:
        """AI share and single-name concentration, reported beside the score (never driving its grade)."""
        m = self.metrics
        largest = (f"largest name {m['largest_name']} {percent(m['largest_name_weight'])}, "
                   if m.get("largest_name") else "")
        return (f"AI share {percent(m['ai_share'])} ({percent(m['ai_layer_share'])} in AI layers + "
                f"{percent(m['ai_network_share'])} network dependence of the rest); single names: {largest}"
                f"HHI {m['name_hhi']:.3f}, effective N {m['effective_names']:.1f}.")

    def explain(self, hub: str | None = None) -> str:
        """The headline, then what the number is: a wiped-out hub's exposure, not a small shock's loss.

        With ``hub`` (an id, name or ticker): that company's exposure, how it is held, and its largest chains
        of deals (:meth:`paths`)."""
        if hub is not None:
            return self._explain_hub(self._resolve(hub))
        shock = self.metrics.get("small_shock")
        if self.top_hub is None or shock is None or self.score <= 0:
            return self.headline()
        hub, total = self.top_hub_name, float(self.hubs.at[self.top_hub, "total"])
        return (f"{self.headline()} That is the loss if {hub} were wiped out, every chain of deals stopping "
                f"at it: {total:.3f}% of the portfolio's value per 1% of {hub}'s. A small fall in {hub}'s value "
                f"costs {shock:.3f}% per 1%, " + ("more, because the loss also feeds back through "
                                                    f"{hub} itself." if round(shock, 3) > round(total, 3) else
                                                    f"about the same: little of the loss feeds back "
                                                    f"through {hub} itself."))

    def _explain_hub(self, hub: str) -> str:
        """One company's reading: its total, how it is held, and the largest chains behind the deal part."""
        if float(self.hubs.at[hub, "total"]) <= 0:
            return f"No part of this portfolio's value rides on {self.hubs.at[hub, 'name']}."
        text = self._rides_on(hub) + ". That is the loss if it were wiped out, every chain of deals stopping at it."
        chains = self.paths(hub, 10)
        chains = chains[chains["deals"] != ""].head(3)  # the held-directly row is already in the sentence
        if len(chains):
            listed = "; ".join(f"{r.holding}: {r.chain}, {percent(r.exposure)} of value (deals {r.deals})"
                               for r in chains.itertuples())
            text += f" Largest chains of deals: {listed}."
        return text

    def to_dict(self) -> dict[str, Any]:
        """Everything as plain Python (stable keys, for ``--format json``)."""
        return jsonable({
            "score": round(self.score, 4), "grade": self.grade, "hub": self.top_hub, "headline": self.headline(),
            "explain": self.explain(), "as_of": self.as_of, "metrics": self.metrics, "hubs": self.hubs,
            "layers": self.layers, "layer_mix": self.layer_mix, "loops": self.loops, "holdings": self.holdings,
            "coverage": self.coverage, "notes": self.notes, "parameters": self.parameters,
        })

    def to_json(self, indent: int | None = 2) -> str:
        """:meth:`to_dict` as JSON."""
        return json.dumps(self.to_dict(), indent=indent)

    def __str__(self) -> str:
        return self.explain()

    def __repr__(self) -> str:
        m = self.metrics
        top = f"{self.top_hub} {percent(m['largest_hub_total'])}" if self.top_hub else "no AI hub"
        return (f"<ExposureReport score {self.score:.0f} ({self.grade}), {top}, AI share {percent(m['ai_share'])}, "
                f"{len(m['ai_hubs'])} AI hubs, {len(self.hubs)} companies, {len(self.holdings)} holdings"
                f"{', as of ' + self.as_of if self.as_of else ''}>")

    def _repr_html_(self) -> str:
        import html  # notebooks only: a cold `exposure score` does not load it

        top = self.hubs[self.hubs["total"] > 0]
        cov = self.coverage
        return (
            f"<div><h4>AI concentration {self.score:.0f} ({self.grade})</h4><p>{html.escape(self.explain())}</p>"
            f"<p>{html.escape(self.concentration_line())}</p>"
            f"<h5>Hubs</h5>{frame_html(top[['name'] + HUB_COLUMNS], HUB_COLUMNS, 12)}"
            f"<h5>Layers</h5>{frame_html(self.layers, ['weight'])}"
            f"<p><small>Unmapped {percent(cov['unmapped_weight'])}, not looked through "
            f"{percent(cov['not_looked_through_weight'])}, {cov['deals_left_out']} deal channel(s) left out "
            f"of L. {html.escape(' '.join(self.notes))}</small></p></div>"
        )
