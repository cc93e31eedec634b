"""The cvxpy problem: one constraint builder for the cached DPP program, its elastic twin and the MILPs.

Variables are the target weights ``w``, the buys ``b`` and sells ``s`` of every ticker (``w = w0 + b - s``;
``b >= b_lo >= 0`` and ``s >= s_lo >= 0`` need no rows of their own, and long-only is the bound ``s <= w0``)
and the target ``cash``: three variables and about six rows per ticker. Every number is a ``cp.Parameter`` in
the cached program, so a new cap (a frontier, a what-if) costs a solve, not a compilation. The objective sees
a few plain variables only: the cost total ``c = buy_costs @ b + sell_costs @ s`` and the hub and risk roots
``h = H w``, ``r = F w`` are tied to the weights by linear equalities, and the diagonal terms (concentration,
uncovered variances) and a small full covariance have constant coefficients times one scalar Parameter. That
keeps cvxpy's parameter tensors sparse: memory linear in the number of tickers.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy import sparse

from exposure._optional import require
from exposure.optimize.constraints import Constraints
from exposure.optimize.data import ProblemData

if TYPE_CHECKING:
    import cvxpy as cp
else:
    cp = require("cvxpy", "Suggestions (exposure.suggest, exposure.frontier)")


#: Solvers tried in order for the continuous problem (both ship with cvxpy); HiGHS solves the MILPs.
SOLVERS = ("CLARABEL", "HIGHS")
#: Clarabel stops at an absolute OR a relative gap of 1e-8; a pure risk objective is tiny, so make the
#: relative test decide. Every library in the benchmark is given the same tolerances.
SOLVER_OPTIONS: dict[str, dict[str, Any]] = {"CLARABEL": {"tol_gap_abs": 1e-12, "verbose": False},
                                             "HIGHS": {"output_flag": False, "log_to_console": False}}
#: Added for problems of thousands of names: Clarabel's iterative refinement costs a third of each iteration
#: there and changes the optimum by less than the tolerances (20,000 names: 1.5e-9 of the objective).
LARGE_OPTIONS: dict[str, dict[str, Any]] = {"CLARABEL": {"iterative_refinement_enable": False}}
#: Bounds are tightened by this much inside the solver, so solver tolerance never leaves a target above a cap.
MARGIN = 1e-7
#: A fund's weight counts this much of a single name's in the concentration term (a fund is many names), so
#: reinvested money goes to funds first.
FUND_CONCENTRATION = 0.01
#: The largest buy or sell of one name (fractions); larger than any trade can be.
_BIG = 2.0
#: Groups with a slack in the elastic twin; ``None`` = one scalar, else one per entry (hub, band, scenario).
_SCALAR = None


@dataclass(frozen=True)
class Shape:
    """What fixes a compiled problem: the size of every block (values are Parameters)."""

    n: int
    hubs: int
    caps: int
    bands: int
    scenarios: int
    risk_rank: int
    risk_diag: bool = False
    frozen: bool = False
    excluded: bool = False
    loaded: int = 0
    constants_key: str = ""
    trades: bool = True


def loaded(data: ProblemData) -> np.ndarray:
    """The names with a coefficient in a dense block (hub loadings, caps, layer bands, scenario losses, risk
    root), as indices: those blocks are Parameters over these columns only, so that the thousands of names
    outside the web add no (explicit zero) entries to the solver's matrices."""
    mask = np.zeros(data.n, dtype=bool)
    for ids in (data.hub_ids, data.cap_ids):
        if ids:
            mask |= (data.columns(ids) != 0).any(axis=1)
    if data.band_layers:
        mask |= (data.layer_shares != 0).any(axis=1) | (data.ai_share != 0)
    if data.scenario_names:
        mask |= (data.scenario_losses != 0).any(axis=1)
    if data.risk_root is not None:
        mask |= (data.risk_root != 0).any(axis=0)
    return np.flatnonzero(mask)


def concentration(data: ProblemData) -> np.ndarray:
    """Each name's weight in the concentration term (a fund is many names, so reinvested money goes to funds)."""
    return np.where(data.is_fund, FUND_CONCENTRATION, 1.0) if data.concentration is None else data.concentration


def constants(data: ProblemData) -> dict[str, np.ndarray]:
    """The problem's structural vectors, constants of a compiled program (so that no Parameter multiplies a
    vector of variables elementwise, which cvxpy expands into a tensor of n x n): the frozen and excluded
    masks, each name's concentration weight, the uncovered tickers' variances, a full covariance and the
    names of the dense blocks (:func:`loaded`)."""
    out = {"excluded": data.excluded.astype(float), "frozen": data.frozen.astype(float),
           "spread": concentration(data), "loaded": loaded(data)}
    if data.risk_diag is not None:
        out["risk_diag"] = data.risk_diag**2
    if data.risk_matrix is not None:
        out["risk_matrix"] = data.risk_matrix
    return out


def shape_of(data: ProblemData) -> Shape:
    """The :class:`Shape` of a problem's data; its constants (:func:`constants`) are part of it by hash."""
    digest = hashlib.sha1()
    for name, array in sorted(constants(data).items()):
        digest.update(name.encode())
        digest.update(np.ascontiguousarray(array).tobytes())
    return Shape(n=data.n, hubs=len(data.hub_ids), caps=len(data.cap_ids), bands=len(data.band_layers),
                 scenarios=len(data.scenario_names), risk_rank=0 if data.risk_root is None else data.risk_root.shape[0],
                 risk_diag=data.risk_diag is not None, frozen=bool(data.frozen.any()),
                 excluded=bool(data.excluded.any()), loaded=len(loaded(data)), constants_key=digest.hexdigest(),
                 trades=bool(data.buy_costs.any() or data.sell_costs.any() or data.frozen.any()
                             or data.excluded.any() or data.max_turnover is not None))


def inside(bound: float, direction: int) -> float:
    """``bound`` moved by MARGIN into the feasible side (``-1`` for an upper bound), kept within [0, 1]."""
    if bound <= 0 or bound >= 1:
        return float(bound)
    return float(min(max(bound + direction * MARGIN, 0.0), 1.0))


def objective_scale(data: ProblemData, constraints: Constraints) -> float:
    """One factor for the whole objective (the optimum does not move): solvers stop on an absolute gap."""
    risk = 0.0
    if data.risk_matrix is not None:
        risk = float(np.trace(data.risk_matrix)) / data.n
    elif data.risk_root is not None:
        risk = float((data.risk_root**2).sum()) / data.n
    return 1.0 / max(float(data.buy_costs.max(initial=0.0)), constraints.gamma, risk, 1e-12)


def values(data: ProblemData, constraints: Constraints, scale: float) -> dict[str, Any]:
    """Every number of the problem by name, as the Parameters of :class:`Program` expect them."""
    n, at = data.n, loaded(data)
    lo, hi = inside(data.cash_lo, +1), inside(data.cash_hi, -1)
    if hi < lo:  # a band narrower than the margins: keep it exact
        lo, hi = data.cash_lo, data.cash_hi
    count = 1.0 if data.multiplicity is None else data.multiplicity
    v: dict[str, Any] = {
        "w0": data.w0, "buy_cost": scale * data.buy_costs, "sell_cost": scale * data.sell_costs,
        "lower": np.zeros(n) if constraints.long_only else np.full(n, -constraints.max_weight) * count,
        # a name held at exactly max_weight may stay there (the margin must not force a sale of 1e-7)
        "upper": np.where(data.is_fund, 1.0, count * np.maximum(inside(constraints.max_weight, -1),
                                                                 np.minimum(data.w0 / count, constraints.max_weight))),
        "b_lo": np.zeros(n), "s_lo": np.zeros(n), "b_hi": np.full(n, _BIG),
        "spread_scale": scale * constraints.concentration, "risk_scale": scale,
        "min_cash": lo, "max_cash": hi,
        "max_turnover": 2.0 * (1 + n) if constraints.max_turnover is None else inside(constraints.max_turnover, -1),
    }
    if data.hub_ids:
        v["hub_root"] = np.sqrt(scale * constraints.gamma) * data.columns(data.hub_ids)[at].T
    if data.cap_ids:
        v["cap_loadings"] = data.columns(data.cap_ids)[at].T
        v["caps"] = np.array([inside(c, -1) for c in data.caps])
    if data.band_layers:
        squeeze = np.where(data.band_hi - data.band_lo > 2 * MARGIN, MARGIN, 0.0)
        band_lo = np.where(data.band_lo > 0, data.band_lo + squeeze, data.band_lo)
        band_hi = np.where(data.band_hi < 1, data.band_hi - squeeze, data.band_hi)
        shares = data.layer_shares[at].T
        if constraints.layer_basis == "ai_sleeve":  # shares @ w >= band * (ai_share @ w)
            base = data.ai_share[at][None, :]
            v["band_lo"], v["band_lo_rhs"] = shares - band_lo[:, None] * base, np.zeros(len(band_lo))
            v["band_hi"], v["band_hi_rhs"] = shares - band_hi[:, None] * base, np.zeros(len(band_hi))
        else:  # shares @ w >= band * (sum(w) + cash), and sum(w) + cash = 1 (the budget)
            v["band_lo"], v["band_lo_rhs"], v["band_hi"], v["band_hi_rhs"] = shares, band_lo, shares, band_hi
    if data.scenario_names:
        v["losses"] = data.scenario_losses[at].T
        v["loss_caps"] = np.array([inside(c, -1) for c in data.scenario_caps])
    if data.risk_root is not None:
        v["risk_root"] = np.sqrt(scale) * data.risk_root[:, at]
    v["s_hi"] = data.w0 - v["lower"]  # long-only (or the short limit): w = w0 + b - s >= lower
    return v


def _parameters(shape: Shape) -> dict[str, cp.Parameter]:
    n = shape.n
    p = {name: cp.Parameter(n, name=name)
         for name in ("w0", "lower", "upper", "b_lo", "s_lo", "b_hi", "s_hi", "w_lo", "w_hi")}
    p |= {name: cp.Parameter(n, nonneg=True, name=name) for name in ("buy_cost", "sell_cost")}
    p |= {name: cp.Parameter(name=name) for name in ("min_cash", "max_cash", "max_turnover")}
    p |= {name: cp.Parameter(nonneg=True, name=name) for name in ("spread_scale", "risk_scale")}
    blocks = {"hub_root": shape.hubs, "cap_loadings": shape.caps, "band_lo": shape.bands, "band_hi": shape.bands,
              "losses": shape.scenarios, "risk_root": shape.risk_rank}
    p |= {name: cp.Parameter((rows, shape.loaded), name=name) for name, rows in blocks.items() if rows}
    vectors = {"caps": shape.caps, "band_lo_rhs": shape.bands, "band_hi_rhs": shape.bands,
               "loss_caps": shape.scenarios}
    p |= {name: cp.Parameter(size, name=name) for name, size in vectors.items() if size}
    return p


@dataclass
class Built:
    """A built problem's pieces: constraint groups (for duals), variables, slacks and their allowances."""

    groups: dict[str, list]
    variables: dict[str, Any]
    slack: dict[str, Any]
    allow: dict[str, cp.Parameter]


def build(shape: Shape, v: dict[str, Any], c: dict[str, np.ndarray], elastic: bool = False) -> Built:
    """Every constraint group over ``w = w0 + b - s`` and ``cash``; ``v`` holds Parameters or arrays, ``c``
    the constants (:func:`constants`)."""
    b, s, cash = cp.Variable(shape.n, name="b"), cp.Variable(shape.n, name="s"), cp.Variable(name="cash")
    w = cp.Variable(shape.n, name="w")
    dense = w[c["loaded"]] if shape.loaded < shape.n else w  # the columns of the dense blocks

    sizes = {"max_weight": _SCALAR, "exclude": _SCALAR if shape.excluded else 0,
             "frozen": _SCALAR if shape.frozen else 0, "min_cash": _SCALAR, "max_cash": _SCALAR,
             "max_turnover": _SCALAR, "hub_caps": shape.caps, "band_lo": shape.bands, "band_hi": shape.bands,
             "stress_caps": shape.scenarios}
    slack: dict[str, Any] = {}
    allow: dict[str, cp.Parameter] = {}
    for name, size in sizes.items():
        if elastic and size != 0:
            slack[name] = cp.Variable(size, nonneg=True) if size is not None else cp.Variable(nonneg=True)
            allow[name] = cp.Parameter(size, nonneg=True) if size is not None else cp.Parameter(nonneg=True)
        else:
            slack[name] = 0.0
    groups: dict[str, list] = {
        "budget": [cp.sum(w) + cash == 1, w == v["w0"] + b - s],
        "trade_bounds": [b >= v["b_lo"], s >= v["s_lo"], b <= v["b_hi"]],
        "long_only": [s <= v["s_hi"], cash >= 0],  # b_lo, s_lo >= 0 make b, s >= 0
        "max_weight": [w <= v["upper"] + slack["max_weight"]],
        "min_cash": [cash >= v["min_cash"] - slack["min_cash"]],
        "max_cash": [cash <= v["max_cash"] + slack["max_cash"]],
        "max_turnover": [cp.sum(b) + cp.sum(s) <= v["max_turnover"] + slack["max_turnover"]],
    }
    if shape.excluded:
        groups["exclude"] = [cp.multiply(c["excluded"], b) <= slack["exclude"]]
    if shape.frozen:
        groups["frozen"] = [cp.multiply(c["frozen"], b + s) <= slack["frozen"]]
    if shape.caps:
        groups["hub_caps"] = [v["cap_loadings"] @ dense <= v["caps"] + slack["hub_caps"]]
    if shape.bands:
        groups["band_lo"] = [v["band_lo"] @ dense >= v["band_lo_rhs"] - slack["band_lo"]]
        groups["band_hi"] = [v["band_hi"] @ dense <= v["band_hi_rhs"] + slack["band_hi"]]
    if shape.scenarios:
        groups["stress_caps"] = [v["losses"] @ dense <= v["loss_caps"] + slack["stress_caps"]]
    return Built(groups, {"w": w, "b": b, "s": s, "cash": cash, "dense": dense}, slack, allow)


def build_weights_only(shape: Shape, v: dict[str, Any], c: dict[str, np.ndarray]) -> Built:
    """The same problem over ``w`` and ``cash`` alone, for a problem whose trades cost nothing and are not
    counted (no costs, turnover budget, frozen or excluded name: ``Shape.trades`` is False). Then ``b`` and
    ``s`` only place ``w - w0`` in ``[b_lo - s_hi, b_hi - s_lo]``, the window ``w_lo <= w <= w_hi`` (see
    :func:`trade_window`), and leaving them out makes the solver's system a third of the size, with a unique
    solution (free ``b`` and ``s`` are otherwise undetermined: any ``b - s`` with the same difference)."""
    w, cash = cp.Variable(shape.n, name="w"), cp.Variable(name="cash")
    dense = w[c["loaded"]] if shape.loaded < shape.n else w
    groups: dict[str, list] = {
        "budget": [cp.sum(w) + cash == 1],
        "trade_bounds": [w >= v["w_lo"], w <= v["w_hi"]],
        "long_only": [cash >= 0],
        "max_weight": [w <= v["upper"]],
        "min_cash": [cash >= v["min_cash"]],
        "max_cash": [cash <= v["max_cash"]],
    }
    for name, size, rows in (("hub_caps", shape.caps, lambda: v["cap_loadings"] @ dense <= v["caps"]),
                             ("band_lo", shape.bands, lambda: v["band_lo"] @ dense >= v["band_lo_rhs"]),
                             ("band_hi", shape.bands, lambda: v["band_hi"] @ dense <= v["band_hi_rhs"]),
                             ("stress_caps", shape.scenarios, lambda: v["losses"] @ dense <= v["loss_caps"])):
        if size:
            groups[name] = [rows()]
    return Built(groups, {"w": w, "cash": cash, "dense": dense}, {}, {})


def trade_window(v: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """Where ``w = w0 + b - s`` can be with ``b_lo <= b <= b_hi`` and ``s_lo <= s <= s_hi``."""
    return v["w0"] + v["b_lo"] - v["s_hi"], v["w0"] + v["b_hi"] - v["s_lo"]


def quadratic_terms(shape: Shape, v: dict[str, Any], c: dict[str, np.ndarray], built: Built) -> tuple[list, list]:
    """The objective's quadratic terms: hub and risk roots over plain variables tied to ``w`` by equalities,
    diagonal terms and a full covariance with constant coefficients times a scalar Parameter."""
    terms: list = []
    ties: list = []
    for name, rows in (("hub_root", shape.hubs), ("risk_root", shape.risk_rank)):
        if rows:
            root = cp.Variable(rows)
            ties.append(root == v[name] @ built.variables["dense"])
            terms.append(cp.sum_squares(root))
    w = built.variables["w"]
    terms.append(v["spread_scale"] * cp.quad_form(w, sparse.diags(c["spread"]), assume_PSD=True))
    if "risk_diag" in c:
        terms.append(v["risk_scale"] * cp.quad_form(w, sparse.diags(c["risk_diag"]), assume_PSD=True))
    if "risk_matrix" in c:
        terms.append(v["risk_scale"] * cp.quad_form(w, cp.psd_wrap(c["risk_matrix"])))
    return terms, ties


class Program:
    """The suggestion problem for one :class:`Shape`, with its elastic twin, both DPP (parameters only)."""

    def __init__(self, shape: Shape, c: dict[str, np.ndarray]) -> None:
        self.shape = shape
        self.scale = 1.0
        self.params = _parameters(shape)
        self.constants = c
        built = build(shape, self.params, c) if shape.trades else build_weights_only(shape, self.params, c)
        self.groups, self.variables = built.groups, built.variables
        terms, ties = quadratic_terms(shape, self.params, c, built)
        objective: Any = cp.sum(terms) if terms else cp.Constant(0.0)
        if shape.trades:
            cost = cp.Variable(name="cost")
            b, s = built.variables["b"], built.variables["s"]
            ties.append(cost == self.params["buy_cost"] @ b + self.params["sell_cost"] @ s)
            objective = objective + cost
        rows = [row for group in built.groups.values() for row in group]
        self.main = cp.Problem(cp.Minimize(objective), rows + ties)
        self._elastic: tuple[cp.Problem, Built] | None = None
        assert self.main.is_dcp(dpp=True), "suggestion problem must be DPP"  # type: ignore[call-arg]

    def elastic(self) -> tuple[cp.Problem, Built]:
        """The elastic twin (built on first need): minimize the sum of slacks, each bounded by ``allow``."""
        if self._elastic is None:
            built = build(self.shape, self.params, self.constants, elastic=True)
            limits = [built.slack[name] <= built.allow[name] for name in built.allow]
            total = cp.sum([cp.sum(built.slack[name]) for name in built.allow])
            problem = cp.Problem(cp.Minimize(total), [c for g in built.groups.values() for c in g] + limits)
            assert problem.is_dcp(dpp=True), "elastic problem must be DPP"  # type: ignore[call-arg]
            self._elastic = (problem, built)
        return self._elastic

    def duals(self) -> dict[str, list]:
        """Each constraint group's duals of the last solve, in the objective's own (unscaled) units."""
        return {name: [np.atleast_1d(np.asarray(c.dual_value, dtype=float)) / self.scale
                       if c.dual_value is not None else None for c in group] for name, group in self.groups.items()}

    def set_values(self, data: ProblemData, constraints: Constraints, **overrides: np.ndarray) -> dict[str, Any]:
        """Write a problem's numbers (and any ``overrides``, e.g. trade bounds) into the Parameters."""
        self.scale = objective_scale(data, constraints)
        v = values(data, constraints, self.scale) | overrides
        v["w_lo"], v["w_hi"] = trade_window(v)
        for name, param in self.params.items():
            param.value = v[name]
        return v


_PROGRAMS: OrderedDict[Shape, Program] = OrderedDict()
_CACHE_SIZE = 8


def program_for(shape: Shape, c: dict[str, np.ndarray]) -> Program:
    """The cached :class:`Program` for ``shape`` (built and compiled on first use; LRU of 8)."""
    if shape in _PROGRAMS:
        _PROGRAMS.move_to_end(shape)
        return _PROGRAMS[shape]
    program = Program(shape, c)
    _PROGRAMS[shape] = program
    while len(_PROGRAMS) > _CACHE_SIZE:
        _PROGRAMS.popitem(last=False)
    return program


def clear_cache() -> None:
    """Forget every compiled program (benchmarks time first solves with it)."""
    _PROGRAMS.clear()
