"""Shock propagation engine: DebtRank variants and Eisenberg-Noe clearing (pure functions).

Every function takes plain arrays. The sensitivity matrix ``L`` may be a dense ``numpy`` array or any
``scipy.sparse`` matrix/array; ``L[i, j]`` is the fractional equity loss of company ``i`` per unit
fractional loss of company ``j`` (row = the affected company, docs/methods.md section 1). Distress vectors ``h``
are fractions of each company's value in ``[0, 1]``.

Which method answers which question (docs/methods.md, section 4):

* :func:`linear_debtrank` -- the main stress number ("X loses Y% of its value");
* :func:`original_debtrank` -- the lower bound (each company passes its distress on once);
* :func:`nonlinear_debtrank` -- the sensitivity knob between mark-to-market (alpha 0) and
  "only defaults matter" (alpha -> infinity);
* :func:`eisenberg_noe` -- "X fails to pay its contracts": who is paid what, in currency units.

References
----------
Battiston, Puliga, Kaushik, Tasca & Caldarelli (2012), DebtRank: too central to fail? Sci. Rep. 2:541.
Bardoscia, Battiston, Caccioli & Caldarelli (2015), DebtRank: a microscopic foundation for shock
propagation, PLOS ONE 10(6): e0130406.
Bardoscia, Caccioli, Perotti, Vivaldo & Caldarelli (2016), Distress propagation in complex networks:
the case of non-linear DebtRank, PLOS ONE 11(10): e0163825.
Eisenberg & Noe (2001), Systemic risk in financial systems, Management Science 47(2): 236-249.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, TypeAlias

import numpy as np

from exposure._matrix import issparse, to_csr
from exposure.errors import ScenarioError

if TYPE_CHECKING:
    import scipy.sparse as sp  # imported where a sparse matrix is built: it is slow to import

__all__ = [
    "Matrix",
    "creditor_shortfall",
    "eisenberg_noe",
    "first_round",
    "linear_debtrank",
    "nonlinear_debtrank",
    "original_debtrank",
    "split_rounds",
]

Matrix: TypeAlias = "np.ndarray | sp.spmatrix | sp.sparray"
"""A square matrix, dense (numpy) or sparse (any scipy.sparse format)."""


# --------------------------------------------------------------------------------------------------
# DebtRank family
# --------------------------------------------------------------------------------------------------

def linear_debtrank(L: Matrix, h0: np.ndarray, tol: float = 1e-12, max_iter: int = 10_000) -> np.ndarray:
    """Final distress of every company under linear DebtRank (Bardoscia et al. 2015).

    Iterates ``h(t+1) = min(1, h(t) + L (h(t) - h(t-1)))`` from ``h(0) = 0``, ``h(1) = h0``: only the
    *increment* of each company's distress crosses each edge, so old losses are never re-sent around a
    cycle, and the cap at 1 is limited liability. When nothing saturates the result equals the
    Leontief solution ``(I - L)^-1 h0``, the same number as the exposure report.

    Parameters
    ----------
    L : (n, n) array or scipy.sparse matrix
        Sensitivity matrix, non-negative, row = affected company.
    h0 : (n,) array
        Initial shock, fraction of value lost by each company, in [0, 1].
    tol : float, default 1e-12
        Stop when no company's distress moves by more than ``tol`` in one step.
    max_iter : int, default 10_000
        Raise :class:`~exposure.errors.ScenarioError` if not converged by then.

    Returns
    -------
    (n,) array
        Final fractional loss of each company, in [0, 1].

    Examples
    --------
    >>> L = np.array([[0, 0, .2], [.3, 0, 0], [.01, .05, 0]])    # docs/methods.md 6.2
    >>> linear_debtrank(L, np.array([1.0, 0, 0])).round(3).tolist()
    [1.0, 0.3, 0.025]
    """
    L = _check_matrix(L)
    h = _check_shock(h0, L.shape[0])
    _check_iteration(tol, max_iter)
    h_prev = np.zeros_like(h)
    for _ in range(max_iter):
        h_next = np.minimum(1.0, h + L @ (h - h_prev))
        if np.max(np.abs(h_next - h), initial=0.0) < tol:
            return h_next
        h_prev, h = h, h_next
    raise ScenarioError(
        f"linear DebtRank did not converge in {max_iter} steps (tol {tol:g}). Fix: raise max_iter or "
        "tol; a spectral radius of L close to 1 makes propagation slow."
    )


def original_debtrank(L: Matrix, h0: np.ndarray) -> np.ndarray:
    """Final distress under the original DebtRank (Battiston et al. 2012): the lower bound.

    The impact of j on i is ``min(1, L[i, j])``. A company passes its distress on during the single
    step in which it is *distressed*, then becomes *inactive*: it still receives distress, but never
    passes it on again. Every walk that revisits a company is cut, so on cycles and long chains this is
    at most :func:`linear_debtrank` (Bardoscia et al. 2015 show it underestimates).

    Parameters
    ----------
    L : (n, n) array or scipy.sparse matrix
        Sensitivity matrix, non-negative, row = affected company.
    h0 : (n,) array
        Initial shock, fraction of value lost by each company, in [0, 1].

    Returns
    -------
    (n,) array
        Final fractional loss of each company, in [0, 1]. (The paper's DebtRank number
        ``R = v @ (h - h0)`` is one dot product away.)
    """
    L = _check_matrix(L)
    h = _check_shock(h0, L.shape[0])
    impact = np.minimum(L, 1.0) if isinstance(L, np.ndarray) else L.minimum(1.0)
    distressed = h > 0
    undistressed = ~distressed
    # at most n rounds: every round turns at least one distressed company inactive for good
    while distressed.any():
        h = np.minimum(1.0, h + impact @ np.where(distressed, h, 0.0))
        newly = undistressed & (h > 0)
        undistressed &= ~newly
        distressed = newly
    return h


def nonlinear_debtrank(L: Matrix, h0: np.ndarray, alpha: float = 1.0, tol: float = 1e-12,
                       max_iter: int = 10_000) -> np.ndarray:
    """Final distress under non-linear DebtRank (Bardoscia et al. 2016), for an alpha sweep.

    Iterates ``h(t+1) = min(1, h0 + L p(t))`` with the transmitted distress
    ``p = h * exp(alpha * (h - 1))``. ``alpha = 0`` is exactly :func:`linear_debtrank`; larger alpha
    passes on less of a partial loss; ``alpha = inf`` passes on only defaults (``h = 1``), the Furfine
    (2003) default cascade. Losses fall as alpha rises, so the sweep brackets the linear number.

    Parameters
    ----------
    L : (n, n) array or scipy.sparse matrix
        Sensitivity matrix, non-negative, row = affected company.
    h0 : (n,) array
        Initial shock, fraction of value lost by each company, in [0, 1].
    alpha : float, default 1.0
        Non-linearity, >= 0 (``np.inf`` allowed).
    tol, max_iter
        As in :func:`linear_debtrank`.

    Returns
    -------
    (n,) array
        Final fractional loss of each company, in [0, 1].
    """
    L = _check_matrix(L)
    h0 = _check_shock(h0, L.shape[0])
    _check_iteration(tol, max_iter)
    try:
        alpha = float(alpha)
    except (TypeError, ValueError):
        raise ScenarioError(f"alpha must be a number >= 0, got {alpha!r}.") from None
    if np.isnan(alpha) or alpha < 0:
        raise ScenarioError(f"alpha must be >= 0 (0 is linear DebtRank), got {alpha:g}. Fix: use alpha >= 0.")
    h = h0.copy()
    for _ in range(max_iter):
        h_next = np.minimum(1.0, h0 + L @ _transmitted(h, alpha))
        if np.max(np.abs(h_next - h), initial=0.0) < tol:
            return h_next
        h = h_next
    raise ScenarioError(
        f"non-linear DebtRank (alpha {alpha:g}) did not converge in {max_iter} steps. "
        "Fix: raise max_iter or tol."
    )


def first_round(L: Matrix, h0: np.ndarray) -> np.ndarray:
    """Loss of each company from the shock itself and one step of propagation: ``min(1, h0 + L h0)``.

    This is the "direct" part of a stress (docs/methods.md, section 4): the shocked companies' own losses plus
    what their direct counterparties lose; the rest of a DebtRank loss comes in later rounds.
    """
    L = _check_matrix(L)
    h0 = _check_shock(h0, L.shape[0])
    return np.minimum(1.0, h0 + L @ h0)


def split_rounds(L: Matrix, h0: np.ndarray, h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Split final losses ``h`` into ``(first_round, later_rounds)``, both fractions of value.

    ``first_round`` is capped at the final loss, so the two parts are non-negative and add up to ``h``
    for any DebtRank variant (the original one can end below the one-step loss only through the cap).
    """
    first = np.minimum(first_round(L, h0), np.asarray(h, dtype=float))
    return first, np.asarray(h, dtype=float) - first


# --------------------------------------------------------------------------------------------------
# Eisenberg-Noe clearing
# --------------------------------------------------------------------------------------------------

def eisenberg_noe(liabilities: Matrix, external_assets: np.ndarray,
                  tol: float = 1e-12) -> tuple[np.ndarray, np.ndarray]:
    """Greatest clearing payment vector of Eisenberg & Noe (2001), by the fictitious-default algorithm.

    Each company pays ``p_i = min(pbar_i, e_i + sum_j Pi[j, i] p_j)``: all it owes if it can, else
    everything it has, shared pro rata among its creditors. Start with everybody paying in full; the
    companies that cannot are declared in default and their payments are solved for jointly, with the
    others paying in full; repeat until the default set stops growing (at most n rounds). Where
    clearing vectors are not unique (a cycle with no outside money) this returns the greatest one.

    Parameters
    ----------
    liabilities : (n, n) array or scipy.sparse matrix
        ``liabilities[i, j]`` = nominal amount company i owes company j (any currency unit, e.g.
        USD billions), non-negative, zero diagonal.
    external_assets : (n,) array
        Cash each company has from outside the network, same unit, non-negative.
    tol : float, default 1e-12
        Relative tolerance for "cannot pay in full".

    Returns
    -------
    payments : (n,) array
        Total amount each company pays, same unit; ``payments <= liabilities.sum(axis=1)``.
    defaulted : (n,) bool array
        True where a company pays less than it owes.

    Examples
    --------
    >>> p, d = eisenberg_noe(np.array([[0, 10.0], [0, 0]]), np.array([4.0, 0]))
    >>> p.tolist(), d.tolist()
    ([4.0, 0.0], [True, False])
    """
    liab = _check_matrix(liabilities, name="liabilities", diagonal_zero=True)
    n = liab.shape[0]
    e = _check_vector(external_assets, n, "external_assets")
    if np.any(e < 0):
        raise ScenarioError("external_assets must be >= 0. Fix: net external liabilities into the assets "
                            "and floor them at 0.")
    owed = np.asarray(liab.sum(axis=1)).ravel()
    share_t = _relative_liabilities(liab, owed).T.tocsr()   # share_t[i, j] = Pi[j, i], pulls into i
    slack = tol * np.maximum(1.0, owed)

    defaulted = np.zeros(n, dtype=bool)
    payments = owed.copy()
    for _ in range(n + 1):
        payments = _pay_given_defaults(share_t, owed, e, defaulted)
        available = e + share_t @ payments
        now = defaulted | (available < owed - slack)
        if np.array_equal(now, defaulted):
            return payments, defaulted
        defaulted = now
    return payments, defaulted  # unreachable: the default set grows every round


def creditor_shortfall(liabilities: Matrix, payments: np.ndarray) -> np.ndarray:
    """What each company is owed but not paid after clearing, same unit as ``liabilities``.

    ``shortfall_i = sum_j (liabilities[j, i] - Pi[j, i] * payments[j])``: the pro-rata share of every
    debtor's unpaid amount (docs/methods.md, section 4).
    """
    liab = _check_matrix(liabilities, name="liabilities", diagonal_zero=True)
    n = liab.shape[0]
    p = _check_vector(payments, n, "payments")
    owed = np.asarray(liab.sum(axis=1)).ravel()
    share_t = _relative_liabilities(liab, owed).T.tocsr()
    return share_t @ (owed - p)


# --------------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------------

def _transmitted(h: np.ndarray, alpha: float) -> np.ndarray:
    """Non-linear DebtRank's transmitted distress ``h exp(alpha (h - 1))``; defaults pass in full."""
    if alpha == 0:
        return h
    with np.errstate(over="ignore", invalid="ignore"):
        p = h * np.exp(alpha * (h - 1.0))
    return np.where(h >= 1.0, h, p)   # alpha = inf: inf * 0 is nan at h = 1


def _relative_liabilities(liab: Matrix, owed: np.ndarray) -> sp.csr_matrix:
    """``Pi[i, j] = liabilities[i, j] / owed_i`` (0 for a company that owes nothing), sparse."""
    import scipy.sparse as sp

    inv = np.divide(1.0, owed, out=np.zeros_like(owed), where=owed > 0)
    return sp.csr_matrix(sp.diags(inv) @ sp.csr_matrix(liab))


def _pay_given_defaults(share_t: sp.csr_matrix, owed: np.ndarray, e: np.ndarray,
                        defaulted: np.ndarray) -> np.ndarray:
    """Payments when the solvent pay in full and the defaulted pay all they have (one linear solve)."""
    import scipy.sparse as sp

    p = owed.copy()
    if not defaulted.any():
        return p
    d = np.flatnonzero(defaulted)
    s = np.flatnonzero(~defaulted)
    a = share_t[d][:, d]
    rhs = e[d] + share_t[d][:, s] @ owed[s]
    system = sp.identity(len(d), format="csc") - a.tocsc()
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            import scipy.sparse.linalg as spla  # slow to import; only default clearing needs it

            warnings.simplefilter("ignore", spla.MatrixRankWarning)
            p_d = spla.spsolve(system, rhs) if len(d) > 1 else rhs / system.toarray().ravel()
        p_d = np.atleast_1d(p_d)
        ok = bool(np.all(np.isfinite(p_d)))
    except (RuntimeError, ValueError, np.linalg.LinAlgError):
        ok = False
    if not ok:
        # A closed ring of defaulters with no outside money makes the system singular; the greatest
        # solution is then the limit of the monotone map from full payment (Tarski).
        p_d = _greatest_fixed_point(a, rhs, owed[d])
    p[d] = np.clip(p_d, 0.0, owed[d])
    return p


def _greatest_fixed_point(a: sp.csr_matrix, b: np.ndarray, upper: np.ndarray,
                          tol: float = 1e-13, max_iter: int = 1_000_000) -> np.ndarray:
    """Greatest x with ``x = min(upper, b + a x)``, iterating down from ``upper``."""
    x = upper.copy()
    for _ in range(max_iter):
        x_next = np.minimum(upper, b + a @ x)
        if np.max(np.abs(x_next - x), initial=0.0) <= tol * max(1.0, float(upper.max(initial=0.0))):
            return x_next
        x = x_next
    return x


def _check_matrix(L: Matrix, name: str = "L", diagonal_zero: bool = False) -> Matrix:
    """Square, finite, non-negative; sparse input comes back as CSR, dense as float ndarray."""
    if issparse(L):
        m = to_csr(L)
        values = m.data
    else:
        try:
            m = np.asarray(L, dtype=float)
        except (TypeError, ValueError):
            raise ScenarioError(f"{name} must be a numeric square matrix.") from None
        values = m
    if m.ndim != 2 or m.shape[0] != m.shape[1]:
        raise ScenarioError(f"{name} must be a square (n, n) matrix, got shape {m.shape}.")
    if not np.all(np.isfinite(values)):
        raise ScenarioError(f"{name} has NaN or infinite entries. Fix: replace them with 0 or a number.")
    if values.size and values.min() < 0:
        raise ScenarioError(f"{name} has negative entries (min {values.min():g}); losses only add up, "
                            "so every entry must be >= 0.")
    if diagonal_zero and np.any(m.diagonal() != 0):
        raise ScenarioError(f"{name} has a non-zero diagonal: a company cannot owe itself. Fix: set it to 0.")
    return m


def _check_vector(x: np.ndarray, n: int, name: str) -> np.ndarray:
    """A finite float vector of length n."""
    try:
        v = np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        raise ScenarioError(f"{name} must be a numeric vector of length {n}.") from None
    if v.shape != (n,):
        raise ScenarioError(f"{name} must have shape ({n},) to match the matrix, got {v.shape}.")
    if not np.all(np.isfinite(v)):
        raise ScenarioError(f"{name} has NaN or infinite entries.")
    return v


def _check_shock(h0: np.ndarray, n: int) -> np.ndarray:
    """A copy of the shock vector, checked to lie in [0, 1]."""
    h = _check_vector(h0, n, "h0").copy()
    if h.size and (h.min() < 0 or h.max() > 1):
        bad = int(np.argmax((h < 0) | (h > 1)))
        raise ScenarioError(f"h0[{bad}] = {h[bad]:g} is outside [0, 1]: a shock is the fraction of value "
                            "lost (0.5 = half).")
    return h


def _check_iteration(tol: float, max_iter: int) -> None:
    if not tol > 0:
        raise ScenarioError(f"tol must be > 0, got {tol!r}.")
    if int(max_iter) < 1:
        raise ScenarioError(f"max_iter must be >= 1, got {max_iter!r}.")
