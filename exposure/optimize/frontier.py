"""The frontier: one hub's cap swept, one re-solve of the same compiled problem per cap."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, overload

import numpy as np
import pandas as pd

from exposure.analyze import build_context
from exposure.errors import InfeasibleError
from exposure.optimize.cashfit import fit_cash
from exposure.optimize.constraints import Constraints
from exposure.optimize.data import build
from exposure.optimize.explain import binding
from exposure.optimize.inputs import MemoMarket, resolve_hub, with_account_currency
from exposure.optimize.result import CASH
from exposure.optimize.solve import solve

if TYPE_CHECKING:
    from exposure.dealweb import DealWeb
    from exposure.market import MarketData
    from exposure.models import ExposureModel
    from exposure.portfolio import Portfolio

COLUMNS = ["cap", "turnover", "score", "hub_exposure", "status", "cap_binds", "binding"]


@overload
def frontier(pf: Portfolio, web: DealWeb | None, hub: str, caps: list[float] | np.ndarray,
             constraints: Constraints | None = ..., risk: Any = ..., model: ExposureModel | None = ...,
             market: MarketData | None = ..., *, return_weights: Literal[False] = ...) -> pd.DataFrame: ...


@overload
def frontier(pf: Portfolio, web: DealWeb | None, hub: str, caps: list[float] | np.ndarray,
             constraints: Constraints | None = ..., risk: Any = ..., model: ExposureModel | None = ...,
             market: MarketData | None = ..., *,
             return_weights: Literal[True]) -> tuple[pd.DataFrame, pd.DataFrame]: ...


def frontier(pf: Portfolio, web: DealWeb | None, hub: str, caps: list[float] | np.ndarray,
             constraints: Constraints | None = None, risk: Any = None, model: ExposureModel | None = None,
             market: MarketData | None = None, *,
             return_weights: bool = False) -> pd.DataFrame | tuple[pd.DataFrame, pd.DataFrame]:
    """Sweep the cap on one hub: one re-solve of the same compiled problem per cap.

    Returns a DataFrame, one row per cap in the order given: ``cap, turnover, score, hub_exposure, status``
    (fractions; score 0-100), ``cap_binds`` (whether the swept cap binds) and ``binding`` (the other
    constraints that bind). Where the cap does not bind the frontier is flat, and ``binding`` says which
    constraint decides instead (for example ``max_weight``). An infeasible cap has NaN numbers and a
    ``status`` naming the conflict. With ``return_weights=True`` also returns the target weights
    (tickers x caps, cash as ``CASH``).
    """
    constraints = with_account_currency(constraints or Constraints(), pf)
    market = MemoMarket(market)
    ctx = build_context(pf, web, model, market)
    hub_id = resolve_hub(ctx.web, hub, "hub")
    caps = [float(Constraints(hub_caps={hub_id: float(c)}).hub_caps[hub_id]) for c in caps]
    others = {k: v for k, v in constraints.hub_caps.items() if resolve_hub(ctx.web, k, "hub_caps") != hub_id}
    current = constraints.model_copy(update={"hub_caps": {**others, hub_id: caps[0] if caps else 1.0}})
    data = build(ctx, current, risk, market)
    slot = data.cap_ids.index(hub_id)
    label = f"hub cap {hub_id}"
    rows, columns = [], {}
    for cap in caps:
        data.caps[slot] = cap
        try:
            solved = solve(data, current)
        except InfeasibleError as error:
            rows.append({"cap": cap, "turnover": np.nan, "score": np.nan, "hub_exposure": np.nan,
                         "status": f"infeasible: {error}", "cap_binds": False, "binding": ""})
            continue
        fit_cash(data, current, solved)  # whole shares: cash back within its band, as in suggest
        exposure_all = data.loadings_all.T @ solved.weights
        bound = binding(solved, data, current)["constraint"]
        rows.append({"cap": cap, "turnover": float(np.abs(solved.weights - data.w0).sum()),
                     "score": 100.0 * float(np.clip(exposure_all, 0.0, 1.0).max(initial=0.0)),
                     "hub_exposure": float(data.columns([hub_id])[:, 0] @ solved.weights), "status": solved.status,
                     "cap_binds": bool((bound == label).any()), "binding": ", ".join(bound[bound != label])})
        columns[cap] = np.append(solved.weights, solved.cash)
    table = pd.DataFrame(rows, columns=COLUMNS)
    if not return_weights:
        return table
    weights = pd.DataFrame(columns, index=pd.Index([*data.tickers, CASH], name="ticker"))
    weights.columns.name = "cap"
    return table, weights.loc[(weights.abs() > 0).any(axis=1)] if len(columns) else weights
