"""A first guess of a small quadratic program's active set: a dense primal-dual interior point method in numpy.

cvxpy hands the solver ``minimize 1/2 x'Px + q'x  subject to  A x + s = b, s in {0}^zero x R+^rest``. For a
problem of up to :data:`MAX_VARIABLES` variables whose ``P`` is dense (a full covariance: at least
:data:`MIN_DENSITY` of its entries), Clarabel's sparse
factorization of the dense block costs more than the whole rest of a first solve. Here the same problem is
solved by Mehrotra's predictor-corrector method on dense matrices (a Cholesky factor of
``P + C' W C`` per iteration, with the bounds on the diagonal and the few general rows as a low-rank term),
only to :data:`TOL`: its multipliers and slacks say which bounds and rows are active. The caller then solves
that active set exactly and accepts the point only if it passes every KKT check
(:func:`~exposure.optimize.activeset.resolve`); otherwise Clarabel solves as before. So this module never
decides an answer, it only proposes where to look.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg
from scipy import sparse

from exposure.optimize.activeset import Bounds

#: Problems with more variables are left to Clarabel (one dense Cholesky factor costs n^3 / 3 per iteration).
MAX_VARIABLES = 1000
#: Problems whose ``P`` has fewer non-zeros than this fraction of ``n^2`` are left to Clarabel: its sparse
#: factorization is then cheaper than a dense one (a hub or risk root, a diagonal, a few names).
MIN_DENSITY = 0.1
#: Relative accuracy at which the active set is read (the answer itself comes from the exact KKT solve).
TOL = 1e-10
#: Relative residuals (primal and dual) accepted with the gap closed: the reduced Newton system loses
#: accuracy as the barrier weights grow, and only the active set is read from the point.
RESIDUAL_TOL = 1e-7
#: Iterations before giving up (a feasible, bounded QP takes 10 to 25).
MAX_ITER = 40


def guess(p: sparse.spmatrix | None, q: np.ndarray, a: sparse.spmatrix, b: np.ndarray,
          zero: int) -> tuple[np.ndarray, np.ndarray] | None:
    """Approximate multipliers ``z`` and slacks ``s`` of every row of ``A`` (an inequality is active where
    ``z > s``), or ``None`` when the method did not converge (infeasible, unbounded or too large)."""
    n = len(q)
    if n > MAX_VARIABLES or n == 0 or p is None or p.nnz < MIN_DENSITY * n * n:
        return None
    a = sparse.csr_matrix(a, copy=True)
    a.eliminate_zeros()  # cvxpy keeps explicit zeros: a row of one variable is a bound
    counts = np.diff(a.indptr)
    bounds = Bounds(a, b, zero, counts)
    if (bounds.lo > bounds.hi).any():
        return None
    fixed = bounds.equal
    free = np.flatnonzero(~fixed)
    x_fixed = np.where(fixed, np.where(np.isfinite(bounds.lo), bounds.lo, 0.0), 0.0)
    dense = sparse.csr_matrix(p).toarray()
    general = np.flatnonzero(counts >= 2)
    keep, drop = _pairs(a, b, general[general >= zero])
    ineq = np.setdiff1d(general[general >= zero], np.concatenate([keep, drop]))
    eq = np.concatenate([general[general < zero], keep])  # a band of zero width is an equality
    rows_e, rows_g = a[eq].toarray(), a[ineq].toarray()
    problem = _Dense(dense[np.ix_(free, free)], q[free] + dense[np.ix_(free, np.flatnonzero(fixed))] @
                     x_fixed[fixed], rows_e[:, free], b[eq] - rows_e @ x_fixed, rows_g[:, free],
                     b[ineq] - rows_g @ x_fixed, bounds.lo[free], bounds.hi[free])
    found = problem.solve()
    if found is None:
        return None
    x, y, z_g, s_g, z_lo, s_lo, z_hi, s_hi = found
    z = np.zeros(len(b))
    full = x_fixed.copy()
    full[free] = x
    s = b - a @ full
    z[eq], s[eq] = y, 0.0
    z[ineq], s[ineq] = z_g, s_g
    paired = y[len(eq) - len(keep):]  # the pair's side whose multiplier is positive is the active one
    z[keep], z[drop] = np.maximum(paired, 0.0), np.maximum(-paired, 0.0)
    for mask, row, mult, slack in ((problem.has_lo, bounds.lo_row[free], z_lo, s_lo),
                                   (problem.has_hi, bounds.hi_row[free], z_hi, s_hi)):
        at = row[mask]
        coef = np.abs(np.asarray(a[at, free[mask]]).ravel())
        z[at], s[at] = mult / coef, slack * coef
    at = bounds.lo_row[fixed]  # a fixed variable's row is active
    z[at[at >= 0]], s[at[at >= 0]] = 1.0, 0.0
    s[:zero] = 0.0
    return z, np.maximum(s, 0.0)


def _pairs(a: sparse.csr_matrix, b: np.ndarray, ineq: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row pairs ``a x <= c`` and ``-a x <= -c`` (a band of zero width): no point is interior to both, so
    the pair is solved as one equality (its first row) and its multiplier's sign says which row is active."""
    seen: dict[tuple[bytes, bytes], int] = {}
    keep, drop = [], []
    for i in ineq:
        cols, vals = a.indices[a.indptr[i]:a.indptr[i + 1]], a.data[a.indptr[i]:a.indptr[i + 1]]
        other = seen.pop((cols.tobytes(), (-vals).tobytes()), None)
        if other is not None and abs(b[i] + b[other]) <= 1e-12 * (1 + abs(b[i])):
            keep.append(other)
            drop.append(int(i))
        else:
            seen[(cols.tobytes(), vals.tobytes())] = int(i)
    return np.array(keep, dtype=int), np.array(drop, dtype=int)


class _Dense:
    """``minimize 1/2 x'Px + q'x  s.t.  E x = e, G x <= g, lo <= x <= hi`` on dense arrays."""

    def __init__(self, p: np.ndarray, q: np.ndarray, e_rows: np.ndarray, e: np.ndarray, g_rows: np.ndarray,
                 g: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> None:
        self.p, self.q, self.e_rows, self.e, self.g_rows, self.g = p, q, e_rows, e, g_rows, g
        self.has_lo, self.has_hi = np.isfinite(lo), np.isfinite(hi)
        self.lo, self.hi = lo[self.has_lo], hi[self.has_hi]
        self.m = len(g) + len(self.lo) + len(self.hi)

    def c_times(self, x: np.ndarray) -> np.ndarray:
        """``C x`` for the stacked inequalities ``C x + s = d``: rows ``G``, ``-x_lo``, ``x_hi``."""
        return np.concatenate([self.g_rows @ x, -x[self.has_lo], x[self.has_hi]])

    def ct_times(self, z: np.ndarray) -> np.ndarray:
        """``C' z``."""
        k = len(self.g)
        out = self.g_rows.T @ z[:k]
        out[self.has_lo] -= z[k:k + len(self.lo)]
        out[self.has_hi] += z[k + len(self.lo):]
        return out

    def factor(self, w: np.ndarray) -> tuple | None:
        """Cholesky factors of ``H = P + C' diag(w) C`` and of the equalities' Schur complement."""
        k, n = len(self.g), len(self.q)
        h = self.p + (self.g_rows.T * w[:k]) @ self.g_rows
        diag = np.zeros(n)
        diag[self.has_lo] += w[k:k + len(self.lo)]
        diag[self.has_hi] += w[k + len(self.lo):]
        h[np.diag_indices(n)] += diag + 1e-12 * (1.0 + np.abs(np.diag(h)).max(initial=0.0))
        try:
            chol = scipy.linalg.cho_factor(h, check_finite=False)
            if not len(self.e):
                return chol, None, None
            solved = scipy.linalg.cho_solve(chol, self.e_rows.T, check_finite=False)
            schur = scipy.linalg.cho_factor(self.e_rows @ solved, check_finite=False)
        except (np.linalg.LinAlgError, ValueError):
            return None
        return chol, solved, schur

    def newton(self, factors: tuple, r_d: np.ndarray, r_e: np.ndarray,
               r_h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(dx, dy)`` of ``H dx + E'dy = -r_d - C' r_h``, ``E dx = -r_e``."""
        chol, solved, schur = factors
        rhs = -r_d - self.ct_times(r_h)
        base = scipy.linalg.cho_solve(chol, rhs, check_finite=False)
        if solved is None:
            return base, np.zeros(0)
        dy = scipy.linalg.cho_solve(schur, self.e_rows @ base + r_e, check_finite=False)
        return base - solved @ dy, dy

    def direction(self, factors: tuple, s: np.ndarray, z: np.ndarray, residuals: tuple[np.ndarray, ...],
                  r_sz: np.ndarray) -> tuple[np.ndarray, ...]:
        """The Newton direction ``(dx, dy, ds, dz)`` with complementarity right-hand side ``r_sz``
        (``Z ds + S dz = r_sz``)."""
        r_d, r_e, r_c = residuals
        r_h = (r_sz + z * r_c) / s
        dx, dy = self.newton(factors, r_d, r_e, r_h)
        c_dx = self.c_times(dx)
        return dx, dy, -r_c - c_dx, r_h + z / s * c_dx

    def solve(self) -> tuple[np.ndarray, ...] | None:
        """Mehrotra's predictor-corrector iterations; the point once every residual is within :data:`TOL`."""
        m = self.m
        d = np.concatenate([self.g, -self.lo, self.hi])
        scale = 1.0 + max(np.abs(self.q).max(initial=0.0), np.abs(self.p).max(initial=0.0))
        factors = self.factor(np.ones(m))
        if factors is None:
            return None
        x, y = self.newton(factors, self.q - self.ct_times(d), -self.e, np.zeros(m))
        s = d - self.c_times(x)
        s = s + max(1.0 - s.min(initial=1.0), 0.0)
        z = np.ones(m)
        for _ in range(MAX_ITER):
            r_d = self.p @ x + self.q + self.e_rows.T @ y + self.ct_times(z)
            r_e = self.e_rows @ x - self.e
            r_c = self.c_times(x) + s - d
            mu = float(s @ z) / max(m, 1)
            feasible = max(np.abs(r_e).max(initial=0.0) / (1 + np.abs(self.e).max(initial=0.0)),
                           np.abs(r_c).max(initial=0.0) / (1 + np.abs(d).max(initial=0.0)),
                           np.abs(r_d).max(initial=0.0) / scale) <= RESIDUAL_TOL
            if feasible and mu <= TOL * scale:  # complementarity gap closed: the active set can be read
                k, lo = len(self.g), len(self.lo)
                return x, y, z[:k], s[:k], z[k:k + lo], s[k:k + lo], z[k + lo:], s[k + lo:]
            factors = self.factor(z / s)
            if factors is None or not np.isfinite(mu) or mu > 1e12 * scale:
                return None
            if not m:  # equalities only: one Newton step is the solution
                dx, dy = self.newton(factors, r_d, r_e, np.zeros(0))
                x, y = x + dx, y + dy
                continue

            residuals = (r_d, r_e, r_c)
            _, _, ds, dz = self.direction(factors, s, z, residuals, -s * z)  # the affine (predictor) direction
            sigma = (float((s + (a := _step(s, ds, z, dz, 1.0)) * ds) @ (z + a * dz)) / m / mu) ** 3
            dx, dy, ds, dz = self.direction(factors, s, z, residuals, -s * z - ds * dz + sigma * mu)
            alpha = _step(s, ds, z, dz, 0.99)
            x, y, s, z = x + alpha * dx, y + alpha * dy, s + alpha * ds, z + alpha * dz
        return None


def _step(s: np.ndarray, ds: np.ndarray, z: np.ndarray, dz: np.ndarray, eta: float) -> float:
    """The largest step in (0, 1] keeping ``s`` and ``z`` positive, times ``eta``."""
    ratios = np.concatenate([-s[ds < 0] / ds[ds < 0], -z[dz < 0] / dz[dz < 0]])
    return float(min(1.0, eta * ratios.min(initial=np.inf)))
