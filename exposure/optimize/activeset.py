"""Exact re-solves of a quadratic program from the previous optimum's active set, certified by its KKT conditions.

cvxpy hands Clarabel ``minimize 1/2 x'Px + q'x  subject to  A x + s = b, s in {0}^m1 x R+^m2``. When only a few
numbers change (a cap, a band: ``b``), the optimum usually keeps the previous optimum's active set (which
bounds and rows hold with equality). Then the optimum solves one linear system, the KKT system of the active
rows::

    [P_FF  A_GF'] [x_F]   [-q_F - P_FB x_B]
    [A_GF    0  ] [y_G] = [ b_G - A_GB x_B]

with ``x_B`` the variables held at a bound and ``G`` the active rows. Its solution is accepted only if it is
a KKT point of the NEW problem: every row and bound holds (primal), every inequality multiplier is >= 0
(dual), ``P x + q + A'z = 0`` (stationarity) and ``z_i s_i = 0`` (complementarity, by construction), each to
:data:`TOL` relative to the data. A convex QP's KKT point is its optimum, so the answer is exact (to rounding),
not an approximation. When a check fails, the violated bound or row joins the active set, or a bound or row
with a negative multiplier leaves it (a primal-dual active-set step), up to :data:`MAX_STEPS` times; after
that, when the system is singular, or when the optimum is degenerate (an active row whose variables are all held
by bounds or other rows: its multiplier is then not unique, and the explanations read Clarabel's central ones),
the caller solves with Clarabel as before. Rows with one free variable
(``w = w0 + b - s`` with ``b``, ``s`` at zero) fix that variable directly, so the dense system spans only the
names that move.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

#: Where the last solution (multipliers, slacks) and how it was found are kept, in cvxpy's per-problem cache.
PREVIOUS, HOW = "exposure.previous", "exposure.how"
#: Relative tolerance of every KKT check (Clarabel's own stopping tolerances are 1e-8 to 1e-12).
TOL = 1e-9
#: Active-set corrections tried before giving up (each is one dense solve over the moving names).
MAX_STEPS = 8
#: Free variables plus active rows above which the dense system is not tried (the caller uses Clarabel).
MAX_SYSTEM = 1200
#: Problems with more variables are not tried (the set-up is linear, but the loops are in Python).
MAX_VARIABLES = 20_000


@dataclass
class KKTPoint:
    """A certified optimum: primal ``x``, multipliers ``z`` (Clarabel's sign: ``P x + q + A'z = 0``),
    slacks ``s = b - A x``, the objective ``1/2 x'Px + q'x`` and the number of linear solves."""

    x: np.ndarray
    z: np.ndarray
    s: np.ndarray
    objective: float
    steps: int


class Bounds:
    """Single-variable rows as bounds ``lo <= x <= hi``: the tightest row of each side and its coefficient."""

    def __init__(self, a: sparse.csr_matrix, b: np.ndarray, zero: int, counts: np.ndarray) -> None:
        n = a.shape[1]
        self.lo, self.hi = np.full(n, -np.inf), np.full(n, np.inf)
        self.lo_row, self.hi_row = np.full(n, -1), np.full(n, -1)
        rows = np.flatnonzero(counts == 1)
        cols, coef = a.indices[a.indptr[rows]], a.data[a.indptr[rows]]
        value = b[rows] / coef
        for side, keep, better in (("lo", (rows < zero) | (coef < 0), -1), ("hi", (rows < zero) | (coef > 0), 1)):
            r, j, v = rows[keep], cols[keep], value[keep]
            order = np.lexsort((better * v, j))  # per variable, the tightest bound first
            first = np.unique(j[order], return_index=True)[1]
            getattr(self, side)[j[order][first]] = v[order][first]
            getattr(self, f"{side}_row")[j[order][first]] = r[order][first]
        self.equal = self.hi - self.lo <= TOL * (1 + np.abs(self.lo))


def resolve(p: sparse.spmatrix | None, q: np.ndarray, a: sparse.spmatrix, b: np.ndarray, zero: int,
            z0: np.ndarray, s0: np.ndarray) -> KKTPoint | None:
    """The new problem's optimum from the previous solution's multipliers ``z0`` and slacks ``s0`` (an
    inequality is active where ``z0 > s0``), or ``None`` when no certified point was found."""
    n = len(q)
    if n > MAX_VARIABLES:
        return None
    a = sparse.csr_matrix(a, copy=True)
    a.eliminate_zeros()  # cvxpy keeps explicit zeros: a row of one variable is a bound
    p = sparse.csr_matrix((n, n)) if p is None else sparse.csr_matrix(p)
    at = a.T.tocsr()
    counts = np.diff(a.indptr)
    bounds = Bounds(a, b, zero, counts)
    general = np.flatnonzero(counts >= 2)
    active_row = z0 > s0
    active_row[:zero] = True
    on_lo = (bounds.lo_row >= 0) & active_row[np.maximum(bounds.lo_row, 0)]
    on_hi = (bounds.hi_row >= 0) & active_row[np.maximum(bounds.hi_row, 0)]
    prefer_lo = z0[np.maximum(bounds.lo_row, 0)] >= z0[np.maximum(bounds.hi_row, 0)]
    state = np.where(on_lo & (~on_hi | prefer_lo), -1, np.where(on_hi, 1, 0))  # 0 free, -1 lower, +1 upper
    tol_p = TOL * (1 + np.abs(b))  # per row
    tol_x = TOL * (1 + np.minimum(np.abs(bounds.lo), np.abs(bounds.hi)))  # per variable
    tol_d = TOL * (1 + float(np.abs(q).max(initial=0.0)) + float(np.abs(p.data).max(initial=0.0)))
    impossible = (counts == 0) & ((b < -tol_p) | ((np.arange(len(b)) < zero) & (b > tol_p)))
    if (bounds.lo > bounds.hi + tol_x).any() or impossible.any():
        return None  # crossed bounds or an impossible empty row: infeasible, for Clarabel to report
    inequality = np.arange(len(b)) >= zero
    multirow = counts >= 2
    for step in range(1, MAX_STEPS + 1):
        found = _solve_active(p, q, a, at, b, bounds, general[active_row[general]], state)
        if found is None:
            return None
        x, y = found
        g = p @ x + q + at @ y
        outside = (x < bounds.lo - tol_x) | (x > bounds.hi + tol_x)
        bad_free = (state == 0) & outside
        bad_mu = (state != 0) & ~bounds.equal & (state * g > tol_d)  # at lower: g >= 0; at upper: g <= 0
        ax = a @ x
        loose = active_row & multirow & (np.abs(ax - b) > tol_p)
        over = ~active_row & multirow & inequality & (ax - b > tol_p)
        negative = active_row & inequality & (y < -tol_d)
        if not (bad_free.any() or bad_mu.any() or over.any() or negative.any()):
            if loose.any() or np.abs(g[state == 0]).max(initial=0.0) > tol_d:
                return None  # a singular or inconsistent system: leave it to Clarabel
            return _point(p, q, a, b, zero, bounds, x, y, g, state, step)
        state[bad_free] = np.where(x[bad_free] < bounds.lo[bad_free], -1, 1)
        state[bad_mu] = 0
        active_row = (active_row | over) & ~negative
    return None


def _solve_active(p: sparse.csr_matrix, q: np.ndarray, a: sparse.csr_matrix, at: sparse.csr_matrix, b: np.ndarray,
                  bounds: Bounds, rows: np.ndarray, state: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Solve the KKT system of an active set (``rows``: the active rows of two variables or more): fixed
    variables at their bounds, rows with one free variable fix it (in waves: every such row at once), the rest
    by one dense solve; then each fixing row's multiplier from its variable's stationarity, last wave first."""
    x = np.where(state < 0, bounds.lo, np.where(state > 0, bounds.hi, 0.0))
    known = state != 0
    sub = a[rows]
    pattern = sub.copy()
    pattern.data = np.ones_like(pattern.data)
    fixing = np.zeros(len(rows), dtype=bool)
    waves: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []  # (rows, variables, coefficients) per wave
    while True:
        free_count = pattern @ (~known).astype(float)
        ready = np.flatnonzero((free_count == 1) & ~fixing)
        if not len(ready):
            break
        lines = sub[ready]
        entry_row = np.repeat(np.arange(len(ready)), np.diff(lines.indptr))
        open_entry = ~known[lines.indices]
        j, coef, line = lines.indices[open_entry], lines.data[open_entry], entry_row[open_entry]
        j, first = np.unique(j, return_index=True)  # two rows fixing one variable: the first (then degenerate)
        coef, line = coef[first], line[first]
        x[j] = (b[rows[ready[line]]] - (lines @ np.where(known, x, 0.0))[line]) / coef
        known[j] = True
        fixing[ready[line]] = True
        waves.append((rows[ready[line]], j, coef))
    free = np.flatnonzero(~known)
    kkt = rows[free_count > 0]
    if (~fixing & (free_count == 0)).any() or len(free) + len(kkt) > MAX_SYSTEM:
        return None  # an active row over fixed variables only: its multiplier is not unique (degenerate)
    y = np.zeros(len(b))
    if len(free):
        fixed = np.flatnonzero(known)
        p_f = p[free]
        a_g = a[kkt]
        a_gf = a_g[:, free].toarray()
        system = np.block([[p_f[:, free].toarray(), a_gf.T], [a_gf, np.zeros((len(kkt), len(kkt)))]])
        rhs = np.concatenate([-q[free] - p_f[:, fixed] @ x[fixed], b[kkt] - a_g[:, fixed] @ x[fixed]])
        try:
            solution = np.linalg.solve(system, rhs)
        except np.linalg.LinAlgError:
            return None
        if not np.isfinite(solution).all():
            return None
        x[free], y[kkt] = solution[:len(free)], solution[len(free):]
    g = p @ x + q + at @ y
    for lines, j, coef in reversed(waves):  # a wave's rows do not touch each other's variables
        y[lines] = -g[j] / coef
        g += a[lines].T @ y[lines]
    return x, y


def _point(p: sparse.csr_matrix, q: np.ndarray, a: sparse.csr_matrix, b: np.ndarray, zero: int, bounds: Bounds,
           x: np.ndarray, y: np.ndarray, g: np.ndarray, state: np.ndarray, steps: int) -> KKTPoint:
    """The certified point in Clarabel's terms: each fixed variable's multiplier on the row of its bound."""
    z = y.copy()
    fixed = np.flatnonzero(state != 0)
    use_hi = np.where(state[fixed] > 0, ~(bounds.equal[fixed] & (g[fixed] > 0)), bounds.equal[fixed] & (g[fixed] < 0))
    rows = np.where(use_hi, bounds.hi_row[fixed], bounds.lo_row[fixed])
    z[rows] = -g[fixed] / np.asarray(a[rows, fixed]).ravel()
    s = b - a @ x
    s[:zero] = 0.0
    s[zero:], z[zero:] = np.maximum(s[zero:], 0.0), np.maximum(z[zero:], 0.0)
    return KKTPoint(x=x, z=z, s=s, objective=float(0.5 * x @ (p @ x) + q @ x), steps=steps)
