"""Explanations: which constraint groups conflict and how far each must move (infeasible problems), and
which constraints bind at the optimum (their duals, in words)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from exposure._optional import require
from exposure.errors import InfeasibleError
from exposure.optimize.constraints import Constraints
from exposure.optimize.data import ProblemData
from exposure.optimize.program import Program
from exposure.optimize.running import run
from exposure.report import percent

if TYPE_CHECKING:
    import cvxpy as cp

    from exposure.optimize.solve import Solved
else:
    cp = require("cvxpy", "Suggestions (exposure.suggest, exposure.frontier)")

#: A constraint counts as binding when its dual exceeds this (objective units per unit of bound).
DUAL_TOL = 1e-6
#: An allowed slack can move a bound this far (fractions): more than any bound needs.
_SLACK_LIMIT = 10.0
_MOVED = 1e-7


def explain_infeasible(program: Program, data: ProblemData, constraints: Constraints) -> InfeasibleError:
    """An :class:`InfeasibleError` naming each group that alone could be relaxed (with the bound it would
    need), or, when no single group suffices, the groups to relax together."""
    problem, built = program.elastic()
    allow, slack = built.allow, built.slack
    entries = [(name, k) for name, param in allow.items() for k in range(param.size if param.ndim else 1)]
    entries = [(name, k) for name, k in entries if _present(name, data, constraints)]

    def solve_with(allowed: set[tuple[str, int]]) -> tuple[bool, dict]:
        for name, param in allow.items():
            size = param.size if param.ndim else 1
            limits = np.array([_SLACK_LIMIT if (name, k) in allowed else 0.0 for k in range(size)])
            param.value = limits if param.ndim else float(limits[0])
        status, _, _ = run(problem)
        if status not in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE):
            return False, {}
        return True, {name: np.atleast_1d(np.asarray(s.value, dtype=float)) for name, s in slack.items()
                      if not isinstance(s, float)}

    ok, joint = solve_with(set(entries))
    if not ok:
        return InfeasibleError("the constraints conflict even with every group relaxed (budget and long-only "
                               "alone). Fix: check the universe and long_only.", [])
    involved = [(name, k) for name, k in entries if joint[name][k] > _MOVED]
    alternatives = []
    for entry in involved if len(entries) > 12 else entries:
        feasible, alone = solve_with({entry})
        if feasible and alone[entry[0]][entry[1]] > _MOVED:
            alternatives.append(_conflict(entry, alone, built.variables, data, constraints, alone=True))
    if alternatives:
        alternatives.sort(key=lambda c: c["move"])
        text = ", or ".join(c["text"] for c in alternatives)
        return InfeasibleError(f"the constraints conflict: {text}. Fix: relax one of them.", alternatives)
    ok, joint = solve_with(set(entries))
    together = [_conflict(entry, joint, built.variables, data, constraints, alone=False) for entry in involved]
    text = ", and ".join(c["text"] for c in together)
    return InfeasibleError(f"the constraints conflict: no single change is enough; together {text}. "
                           "Fix: relax these together.", together)


def _present(name: str, data: ProblemData, constraints: Constraints) -> bool:
    """Whether a slack belongs to a constraint the user actually has (not a vacuous default bound)."""
    if name == "max_turnover":
        return constraints.max_turnover is not None
    if name == "min_cash":
        return constraints.min_cash > 0
    return True


def _band_share(data: ProblemData, constraints: Constraints, w: np.ndarray, cash: float, k: int) -> float:
    """Layer ``k``'s weight as a share of its basis (total value, or the AI sleeve)."""
    base = float(data.ai_share @ w) if constraints.layer_basis == "ai_sleeve" else float(w.sum()) + cash
    return float(data.layer_shares[:, k] @ w) / base if base > 1e-12 else 0.0


def _conflict(entry: tuple[str, int], slacks: dict, variables: dict, data: ProblemData,
              constraints: Constraints, alone: bool) -> dict:
    """One conflicting group: its label, bound, the value it would need, and a sentence."""
    name, k = entry
    move = float(slacks[name][k])
    w = np.asarray(variables["w"].value, dtype=float)
    cash = float(variables["cash"].value)
    if name == "hub_caps":
        label, bound = f"hub cap {data.cap_ids[k]}", float(data.caps[k])
        needed = bound + move
    elif name == "stress_caps":
        label, bound = f"stress cap {data.scenario_names[k]}", float(data.scenario_caps[k])
        needed = bound + move
    elif name in ("band_lo", "band_hi"):
        side = "lower" if name == "band_lo" else "upper"
        label = f"layer {data.band_layers[k]} {side} bound"
        bound = float(data.band_lo[k] if name == "band_lo" else data.band_hi[k])
        needed = _band_share(data, constraints, w, cash, k)
    elif name == "max_weight":
        label, bound, needed = "max_weight", constraints.max_weight, constraints.max_weight + move
    elif name == "min_cash":
        label, bound, needed = "min_cash", constraints.min_cash, max(constraints.min_cash - move, cash)
    elif name == "max_cash":
        label, bound = "max_cash" if constraints.max_cash is not None else "cash ceiling (stay invested)", data.cash_hi
        needed = data.cash_hi + move
    elif name == "max_turnover":
        label, bound = "max_turnover", float(constraints.max_turnover or 0)
        needed = bound + move
    elif name == "frozen":
        traded = [t for t, f, a, b in zip(data.tickers, data.frozen, w, data.w0, strict=True)
                  if f and abs(a - b) > _MOVED]
        label, bound, needed = f"frozen {', '.join(traded) or 'names'}", 0.0, move
    else:  # exclude
        bought = [t for t, e, a, b in zip(data.tickers, data.excluded, w, data.w0, strict=True)
                  if e and a > b + _MOVED]
        label, bound, needed = f"exclude {', '.join(bought) or 'names'}", 0.0, move
    if name == "frozen":
        text = f"{label} must trade up to {needed:.2f}"
    elif name == "exclude":
        text = f"{label} must be bought (up to {needed:.2f})"
    else:
        text = f"{label} {bound:.2f} needs {needed:.2f}"
    return {"group": name, "index": k, "label": label, "bound": bound, "needed": needed, "move": move,
            "alone": alone, "text": text}


def binding(solved: Solved, data: ProblemData, constraints: Constraints) -> pd.DataFrame:
    """Constraints with a non-zero dual, in words: ``constraint, bound, value, dual, reading``."""
    rows: list[dict[str, Any]] = []
    w, cash, duals = solved.weights, solved.cash, solved.duals

    def add(name: str, bound: float, value: float, dual: float, reading: str) -> None:
        rows.append({"constraint": name, "bound": bound, "value": value, "dual": dual, "reading": reading})

    def per_point(dual: float) -> str:
        return f"each point (0.01) of relaxation would save {dual * 0.01:.4f} of objective (weight traded)"

    if duals.get("hub_caps"):
        exposure = data.columns(data.cap_ids).T @ w
        for k, dual in enumerate(duals["hub_caps"][0]):
            if dual > DUAL_TOL:
                add(f"hub cap {data.cap_ids[k]}", float(data.caps[k]), float(exposure[k]), float(dual),
                    f"{data.cap_ids[k]} total exposure is held at its cap {percent(data.caps[k])}; " + per_point(dual))
    # long_only is left out: its duals on names not bought are reduced costs, not news.
    for name, mask in (("max_weight", ~data.is_fund), ("exclude", data.excluded), ("frozen", data.frozen)):
        dual = duals.get(name, [None])[0]
        if dual is None:
            continue
        at = [t for t, d, keep in zip(data.tickers, np.abs(dual), mask, strict=True) if keep and d > DUAL_TOL]
        if not at:
            continue
        listed = f"{', '.join(at[:8])}{'...' if len(at) > 8 else ''}"
        if name == "max_weight":
            add(name, constraints.max_weight, float(w[~data.is_fund].max(initial=0.0)), float(np.abs(dual).sum()),
                f"{listed} held at the max_weight bound")
        elif name == "exclude":
            add(name, 0.0, 0.0, float(np.abs(dual).sum()), f"{listed} would be bought if not excluded")
        else:
            add(name, 0.0, 0.0, float(np.abs(dual).sum()), f"not trading {listed} costs objective")
    for name, bound, value in (("min_cash", data.cash_lo, cash), ("max_cash", data.cash_hi, cash),
                               ("max_turnover", constraints.max_turnover, float(np.abs(w - data.w0).sum()))):
        dual = duals.get(name, [None])[0]
        if bound is not None and dual is not None and float(dual[0]) > DUAL_TOL:
            label = name if name != "max_cash" or constraints.max_cash is not None else "cash ceiling"
            add(label, float(bound), float(value), float(dual[0]), f"{label} binds at {bound:g}; "
                + per_point(float(dual[0])))
    for side in ("band_lo", "band_hi"):
        for k, dual in enumerate(duals.get(side, [np.zeros(0)])[0]):
            if dual > DUAL_TOL:
                bound = float(data.band_lo[k] if side == "band_lo" else data.band_hi[k])
                basis = "AI sleeve" if constraints.layer_basis == "ai_sleeve" else "portfolio's value"
                add(f"layer {data.band_layers[k]} {'lower' if side == 'band_lo' else 'upper'}", bound,
                    _band_share(data, constraints, w, cash, k), float(dual),
                    f"{data.band_layers[k]} held at {percent(bound)} of the {basis}")
    if duals.get("stress_caps"):
        loss = data.scenario_losses.T @ w
        for k, dual in enumerate(duals["stress_caps"][0]):
            if dual > DUAL_TOL:
                add(f"stress cap {data.scenario_names[k]}", float(data.scenario_caps[k]), float(loss[k]),
                    float(dual), f"loss in {data.scenario_names[k]} held at {percent(data.scenario_caps[k])}; "
                    + per_point(float(dual)))
    return pd.DataFrame(rows, columns=["constraint", "bound", "value", "dual", "reading"])
