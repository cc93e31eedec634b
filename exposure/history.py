"""A portfolio's exposure to one hub as the deal web stood on past dates, and the deals behind each rise.

Pure computation (no plotting, no files): :func:`exposure.plots.exposure_over_time` draws it. Exposures are
fractions of portfolio value.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from exposure.dealweb import DealWeb
    from exposure.portfolio import Portfolio

__all__ = ["HISTORY_START", "exposure_history"]

#: Where the history starts when no dates are given.
HISTORY_START = date(2023, 1, 1)


def exposure_history(pf: Portfolio, web: DealWeb, hub: str, dates: Iterable[str | date] | None = None,
                     model: Any = None, top_jumps: int = 4) -> pd.DataFrame:
    """A portfolio's exposure to ``hub`` as the web stood on each date (:meth:`DealWeb.as_of`: the deals
    announced by then, and revenues and market caps dated on or before it where ``financials.csv`` has them).

    ``dates`` default to 2023-01-01 and every date a deal was announced since, up to today. Returns a
    frame indexed by date with ``direct, first_order, network, total`` (fractions of portfolio value),
    ``change`` (versus the previous date), ``new_deals`` (ids announced since the previous date) and
    ``drivers``: for the ``top_jumps`` largest rises, the new deals that add most, ranked by their
    marginal contribution to the total on that date (the derivative of the total with respect to each
    deal's entries of ``L``, times the entries).
    """
    from dataclasses import replace

    from exposure.analyze import build_context, exposure_table
    from exposure.dealweb import parse_as_of

    hub_id = web.resolve(hub)
    ctx = build_context(pf, web, model)
    announced = web.announced
    points = sorted({parse_as_of(d) for d in dates}) if dates is not None else _deal_dates(announced)
    rows, states = [], {}
    previous: date | None = None
    for point in points:
        sub = web.as_of(point)  # deals announced by then, figures dated on or before it
        sens = sub.sensitivity(ctx.model)
        state = replace(ctx, sensitivity=sens, web=sub)  # L, ids and index follow the sensitivity
        row = exposure_table(state, [hub_id]).loc[hub_id].to_dict()
        fresh = web.deals.loc[(announced <= point) & (announced > previous), "id"] if previous else []
        row.update(date=pd.Timestamp(point), new_deals=list(fresh))
        rows.append(row)
        states[pd.Timestamp(point)] = state
        previous = point
    frame = pd.DataFrame(rows).set_index("date")
    frame["change"] = frame["total"].diff().fillna(0.0)
    frame["drivers"] = [[] for _ in range(len(frame))]
    for when in frame["change"].nlargest(top_jumps).index:
        if frame.at[when, "change"] > 1e-6:
            effect = _deal_effects(states[when], hub_id)
            ranked = effect.reindex(frame.at[when, "new_deals"]).dropna().sort_values(ascending=False)
            frame.at[when, "drivers"] = list(ranked[ranked > 1e-6].index[:3])
    return frame


def _deal_dates(announced: pd.Series) -> list[date]:
    today = date.today()
    later = {d for d in announced if HISTORY_START < d <= today}
    return sorted({HISTORY_START, *later, today})


def _deal_effects(ctx: Any, hub: str) -> pd.Series:
    """Each deal's marginal contribution to the portfolio's indirect exposure to ``hub`` (a fraction).

    With ``x = (I - L_h)^-1 L[:, h]`` and ``u = (I - L_h)^-T w``, the derivative of ``w'x`` with respect
    to ``L[i, j]`` (i not h) is ``u_i (x_j + [j = h])``; a deal's effect sums that times its entries.
    """
    h = ctx.index[hub]
    dense = ctx.L.toarray()
    dense[h, :] = 0.0
    system = np.eye(len(ctx.ids)) - dense
    x = np.linalg.solve(system, ctx.L[:, [h]].toarray().ravel())
    u = np.linalg.solve(system.T, ctx.weights)
    parts = ctx.sensitivity.contributions
    affected = parts["affected"].map(ctx.index).to_numpy()
    source = parts["source"].map(ctx.index).to_numpy()
    gain = u[affected] * (x[source] + (source == h)) * parts["value"].to_numpy(dtype=float)
    gain[affected == h] = 0.0
    return pd.Series(gain, index=parts["deal_id"].to_numpy()).groupby(level=0).sum()
