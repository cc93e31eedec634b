"""The engine's core: deals -> sensitivity matrix ``L``; ``L`` -> network exposure to hubs; paths.

``L[i, j]`` is the fraction of company i's equity value lost per unit fractional loss of company j
(row = affected, column = source), one unit for every deal type so contributions add up
(docs/methods.md, sections 1 and 2). Pure: arrays and frames in, arrays and frames out, no I/O.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from exposure._matrix import by_column, issparse, row_dots, to_csr, to_dense
from exposure.errors import DealWebError
from exposure.taxonomy import CONTRACT_TYPES

if TYPE_CHECKING:
    import scipy.sparse as sp

    from exposure.defaults import DefaultModel
    from exposure.models import ExposureModel

#: Up to this many companies L is kept as a dense array and solved with LAPACK; above it, as a sparse
#: matrix solved by the Neumann series. scipy.sparse takes about as long to import as pandas, so a small
#: web (the bundled one) never imports it unless a caller asks for :attr:`Sensitivity.matrix`.
DENSE_LIMIT = 800


@dataclass(frozen=True)
class Sensitivity:
    """The sensitivity matrix with the deal-level pieces it was summed from.

    Attributes
    ----------
    ids : company ids, the order of L's rows and columns.
    L : L as the engine keeps it: a dense numpy array up to :data:`DENSE_LIMIT` companies, a scipy.sparse
        CSR matrix above (``matrix`` is always CSR).
    contributions : one row per (deal, channel) that entered L: ``deal_id, affected, source, channel,
        value, annual_usd_bn, estimate, assumed_duration``.
    coverage : one row per (deal, channel) left out of L: ``deal_id, channel, reason``.
    """

    ids: list[str]
    L: np.ndarray | sp.csr_matrix
    contributions: pd.DataFrame
    coverage: pd.DataFrame
    index: dict[str, int] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "index", {cid: k for k, cid in enumerate(self.ids)})

    @property
    def matrix(self) -> sp.csr_matrix:
        """L as a scipy.sparse CSR matrix (built from the dense array on first use for a small web)."""
        return self.L if issparse(self.L) else self._cached("csr", lambda: to_csr(self.L))

    def dense(self) -> np.ndarray:
        """L as a dense array (a copy; for small webs and tests)."""
        return to_dense(self.L) if issparse(self.L) else np.array(self.L)

    def exposures(self, hubs: list[int]) -> np.ndarray:
        """``hub_exposures(L, hubs)``, kept per hub: a web is solved once however many portfolios use it."""
        cache: dict[int, np.ndarray] = self._cached("exposures", dict)
        missing = [h for h in dict.fromkeys(hubs) if h not in cache]
        if missing:
            for h, column in zip(missing, hub_exposures(self.L, missing).T, strict=True):
                cache[h] = column
        n = len(self.ids)
        return np.column_stack([cache[h] for h in hubs]) if hubs else np.zeros((n, 0))

    def column(self, hubs: list[int]) -> np.ndarray:
        """``L[:, hubs]`` as a dense array (the first-order dependences on each hub)."""
        return to_dense(self.L[:, hubs]) if hubs else np.zeros((len(self.ids), 0))

    def left_out_deals(self) -> set[str]:
        """Ids of deals that entered no channel of L (undisclosed amounts, missing figures, type other)."""
        return self._cached("left_out", lambda: set(self.coverage["deal_id"]) - set(self.contributions["deal_id"]))

    def edge_deals(self) -> dict[tuple[str, str], list[tuple[str, str, float]]]:
        """(affected, source) -> the ``(deal_id, channel, value)`` pieces of that entry of L, largest first."""
        def build() -> dict[tuple[str, str], list[tuple[str, str, float]]]:
            edges: dict[tuple[str, str], list[tuple[str, str, float]]] = {}
            c = self.contributions
            for affected, source, deal, channel, value in zip(
                    c["affected"].tolist(), c["source"].tolist(), c["deal_id"].tolist(), c["channel"].tolist(),
                    c["value"].tolist(), strict=True):
                edges.setdefault((affected, source), []).append((deal, channel, value))
            return {key: sorted(pieces, key=lambda piece: -piece[2]) for key, pieces in edges.items()}

        return self._cached("edges", build)

    def estimated_deals(self) -> list[str]:
        """Ids of deals whose amount was estimated from gigawatts."""
        return self._cached("estimated", lambda: sorted(set(
            self.contributions.loc[self.contributions["estimate"], "deal_id"])))

    def spectral_radius(self) -> float:
        """Spectral radius of L (see :func:`spectral_radius`), computed once."""
        return self._cached("rho", lambda: spectral_radius(self.L))

    def _cached(self, key: Any, compute: Callable[[], Any], valid: Callable[[Any], bool] | None = None) -> Any:
        # The matrix never changes after construction, so derived values are kept beside it; ``valid`` can
        # reject a stored value (one computed for other inputs) so that it is computed again.
        store = self.__dict__.setdefault("_derived", {})
        if key not in store or (valid is not None and not valid(store[key])):
            store[key] = compute()
        return store[key]


def build_sensitivity(companies: pd.DataFrame, deals: pd.DataFrame,
                      model: ExposureModel | DefaultModel | None = None) -> Sensitivity:
    """Turn deals into ``L`` (docs/methods.md, section 1.1).

    Parameters
    ----------
    companies : indexed by company id, with ``layer, revenue_usd_bn, market_cap_usd_bn`` (USD bn, NaN = unknown).
    deals : ``id, payer, payee, type, amount_usd_bn, duration_years, status`` and optionally
        ``capacity_gw, firm_usd_bn``; payer and payee are company ids.
    model : the channel weights and defaults; ``ExposureModel()`` when omitted.

    Channels: revenue (contracts: the payee depends on the payer, ``kappa * annual / F_payee`` with
    ``F = revenue + annual amounts received in the web``), value (equity: the investor depends on the
    investee, ``amount / market_cap_investor``), funding (equity: the investee depends on its investor's
    money, ``phi * amount / (equity received in the web + revenue)``) and supply (contracts: the payer depends
    on its supplier, ``theta * annual / max(revenue, annual spend in the web)``). A channel whose denominator
    lacks a figure (revenue, market cap) is left out of L and listed in ``coverage``, never computed as zero.

    The deals are a few hundred rows read on every cold start, so the arithmetic is on numpy arrays (pandas'
    per-operation overhead was most of the time); sums per company add in deal order with pandas' compensated
    summation (:func:`_sums_by`), so every value is the same to the last bit as the frame version gave.
    """
    from exposure.defaults import DefaultModel  # ExposureModel()'s values without loading pydantic

    model = model or DefaultModel()
    ids = list(companies.index)
    n = len(ids)
    d = _prepared_deals(companies, deals, model)
    revenue = companies["revenue_usd_bn"].to_numpy(dtype=float, na_value=np.nan)
    mcap = companies["market_cap_usd_bn"].to_numpy(dtype=float, na_value=np.nan)
    payer, payee = d["payer_at"], d["payee_at"]

    def at(values: np.ndarray, where: np.ndarray) -> np.ndarray:  # values[where], NaN for an unknown company
        return np.where(where >= 0, values[np.maximum(where, 0)], np.nan) if n else np.full(len(where), np.nan)

    pieces: list[tuple[np.ndarray, np.ndarray, np.ndarray, str, np.ndarray]] = []
    left_out: list[tuple[np.ndarray, str, np.ndarray]] = []
    usable = np.array([r is None for r in d["reason"]], dtype=bool)
    left_out.append((np.flatnonzero(~usable), "all", d["reason"][~usable]))

    contracts = np.flatnonzero(usable & np.isin(d["type"], sorted(CONTRACT_TYPES)))
    annual, amount = d["annual"], d["amount"]
    forward = revenue + _sums_by(payee[contracts], annual[contracts], n)
    payee_f = at(forward, payee[contracts])
    ok = payee_f > 0  # False for NaN
    pieces.append((contracts[ok], payee[contracts[ok]], payer[contracts[ok]], "revenue",
                   _divided(model.kappa * annual[contracts[ok]], payee_f[ok])))
    left_out.append((contracts[~ok], "revenue", np.full((~ok).sum(), "payee revenue unknown: cannot normalize",
                                                        dtype=object)))
    if model.theta > 0:
        spends = np.zeros(n, dtype=bool)
        spends[payer[contracts][payer[contracts] >= 0]] = True
        base = np.where(spends, np.maximum(revenue, _sums_by(payer[contracts], annual[contracts], n)), np.nan)
        payer_base = at(base, payer[contracts])
        ok = payer_base > 0
        pieces.append((contracts[ok], payer[contracts[ok]], payee[contracts[ok]], "supply",
                       _divided(model.theta * annual[contracts[ok]], payer_base[ok])))
        left_out.append((contracts[~ok], "supply", np.full((~ok).sum(), "payer revenue unknown: cannot normalize",
                                                           dtype=object)))

    equity = np.flatnonzero(usable & (d["type"] == "equity_investment"))
    payer_mcap = at(mcap, payer[equity])
    ok = ~np.isnan(payer_mcap)
    pieces.append((equity[ok], payer[equity[ok]], payee[equity[ok]], "value",
                   _divided(amount[equity[ok]], payer_mcap[ok])))
    left_out.append((equity[~ok], "value", np.full((~ok).sum(), "investor has no market cap (private): no listed "
                                                    "value at stake", dtype=object)))
    if model.phi > 0:
        # The investee's money sources: equity it received in the web plus its revenue. Without a revenue
        # figure the denominator is unknown (a stake would look like all of its money): left out, listed.
        sources = _sums_by(payee[equity], amount[equity], n) + revenue
        payee_sources = at(sources, payee[equity])
        ok = payee_sources > 0
        pieces.append((equity[ok], payee[equity[ok]], payer[equity[ok]], "funding",
                       _divided(model.phi * amount[equity[ok]], payee_sources[ok])))
        left_out.append((equity[~ok], "funding", np.full((~ok).sum(), "investee revenue unknown: cannot normalize",
                                                         dtype=object)))

    contributions, rows, cols, values = _contributions(d, pieces)
    if n <= DENSE_LIMIT:
        matrix = np.zeros((n, n))
        np.add.at(matrix, (rows, cols), values)  # the pieces of one entry add up, in the order of the rows
    else:
        import scipy.sparse as sp

        matrix = sp.coo_matrix((values, (rows, cols)), shape=(n, n)).tocsr()
        matrix.sum_duplicates()
    coverage = pd.DataFrame({
        "deal_id": _objects(np.concatenate([d["id"][where] for where, _, _ in left_out])),
        "channel": _channels([channel for where, channel, _ in left_out for _ in where]),
        "reason": _objects(np.concatenate([reasons for _, _, reasons in left_out]))})
    return Sensitivity(ids=ids, L=matrix, contributions=contributions, coverage=coverage)


def _contributions(d: dict[str, np.ndarray], pieces: list[tuple[np.ndarray, np.ndarray, np.ndarray, str, np.ndarray]]
                   ) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray]:
    """The (deal, channel) rows that enter L (value > 0) as a frame, with their rows, columns and values."""
    where = np.concatenate([p[0] for p in pieces])
    affected = np.concatenate([p[1] for p in pieces])
    source = np.concatenate([p[2] for p in pieces])
    channel = np.array([p[3] for p in pieces for _ in p[0]], dtype=object)
    value = np.concatenate([p[4] for p in pieces]).astype(float)
    flows = np.array([p[3] in ("revenue", "supply") for p in pieces for _ in p[0]], dtype=bool)
    keep = value > 0
    where, affected, source, channel, value, flows = (a[keep] for a in (where, affected, source, channel, value,
                                                                        flows))
    if (affected < 0).any() or (source < 0).any():
        raise ValueError("a deal's payer or payee is not a company of the web")
    frame = pd.DataFrame({
        "deal_id": _objects(d["id"][where]),
        "affected": _objects(d["ids"][affected]) if len(affected) else _objects([]),
        "source": _objects(d["ids"][source]) if len(source) else _objects([]),
        "channel": _channels(channel),
        "value": value,
        "amount_usd_bn": d["amount"][where],
        "annual_usd_bn": np.where(flows, d["annual"][where], np.nan),
        "estimate": d["estimate"][where],
        "assumed_duration": d["assumed_duration"][where] & flows,
    })
    return frame, affected, source, value


def _objects(values: Any) -> np.ndarray:
    """Text values as an object array, which the frame reads as text (pandas infers its string dtype)."""
    return np.asarray(values, dtype=object)


def _divided(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """``numerator / denominator`` without numpy's warnings (a zero market cap gives inf, as pandas gave)."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return numerator / denominator


def _channels(values: Any) -> pd.Series:
    """The channel column: pandas' string dtype even when empty (as a constant column gets)."""
    return pd.Series(np.asarray(values, dtype=object), dtype="str")


def _sums_by(where: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Per company position (``where``; -1 skipped) the sum of ``values`` in their order, NaN skipped, 0 for
    none: pandas' ``groupby().sum()`` bit for bit (Kahan-compensated, as ``pandas._libs.groupby.group_sum``)."""
    total = [0.0] * n
    compensation = [0.0] * n
    for k, value in zip(where.tolist(), values.tolist(), strict=True):
        if k < 0 or value != value:
            continue
        y = value - compensation[k]
        t = total[k] + y
        compensation[k] = t - total[k] - y
        if compensation[k] != compensation[k]:  # an infinite value: keep the sum infinite, not NaN
            compensation[k] = 0.0
        total[k] = t
    return np.array(total, dtype=float)


_DEAL_INPUTS = ("id", "payer", "payee", "type", "amount_usd_bn", "duration_years", "status", "capacity_gw",
                "firm_usd_bn")


def _prepared_deals(companies: pd.DataFrame, deals: pd.DataFrame,
                    model: ExposureModel | DefaultModel) -> dict[str, np.ndarray]:
    """The deals as arrays: ``id, type`` (text), ``payer_at, payee_at`` (company positions, -1 unknown),
    ``amount`` (status-weighted USD bn), ``annual``, ``estimate``, ``assumed_duration`` and ``reason`` (None
    when the deal can enter L); ``ids`` holds the company ids."""
    count = len(deals)
    position = {cid: k for k, cid in enumerate(companies.index)}

    def number(column: str) -> np.ndarray:
        if column not in deals:
            return np.full(count, np.nan)
        return deals[column].astype(float).to_numpy(dtype=float, na_value=np.nan)

    def text(column: str) -> list[str]:
        return [str(value) for value in deals[column].tolist()]

    kinds = text("type")
    payer = np.array([position.get(c, -1) for c in deals["payer"].tolist()], dtype=np.int64)
    payee = np.array([position.get(c, -1) for c in deals["payee"].tolist()], dtype=np.int64)
    headline = number("amount_usd_bn")
    if model.use_firm:
        firm = number("firm_usd_bn")
        headline = np.where(np.isnan(firm), headline, firm)
    layers = [None if not isinstance(v, str) else v for v in companies["layer"].astype(str).tolist()]
    per_gw = np.array([float(model.usd_per_gw.get(layers[k], np.nan)) if k >= 0 and layers[k] is not None
                       else np.nan for k in payee.tolist()], dtype=float)
    capacity = number("capacity_gw")
    weights = {str(k): v for k, v in model.status_weights.items()}
    weight = np.array([float(weights.get(status, np.nan)) for status in text("status")], dtype=float)
    duration = number("duration_years")
    assumed = np.isnan(duration)
    default = np.array([float(model.default_duration_years.get(kind, np.nan)) for kind in kinds], dtype=float)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # an overflow is reported below
        gw_amount = capacity * per_gw
        estimate = np.isnan(headline) & ~np.isnan(gw_amount) & bool(model.use_estimates)
        amount = np.where(estimate, gw_amount, headline) * weight
        duration = np.where(assumed, np.where(estimate, model.gw_duration_years, default), duration)
        annual = amount / duration
    overflow = np.isinf(amount) | np.isinf(annual)
    deal_ids = np.array(text("id"), dtype=object)
    if overflow.any():  # never a silently dropped deal: an infinite amount would become NaN downstream
        ids = ", ".join(deal_ids[overflow][:5])
        raise DealWebError(f"deal(s) {ids}: the amount, or the amount a year, overflows (a stray exponent, or a "
                           "huge capacity_gw?). Fix: check amount_usd_bn, capacity_gw and duration_years.")

    kinds_array = np.array(kinds, dtype=object)
    reason = np.full(count, None, dtype=object)
    gw_only = np.isnan(headline) & ~np.isnan(capacity)
    for why, where in (
            ("type 'other' (e.g. warrants) has no dependence channel", kinds_array == "other"),
            ("stated in GW only; estimates are off", gw_only & (not model.use_estimates)),
            ("stated in GW only; no USD-per-GW figure for the payee's layer", gw_only & np.isnan(per_gw)),
            ("amount undisclosed", np.isnan(amount)),
            ("status weight is 0", amount <= 0)):
        reason[where & np.array([r is None for r in reason], dtype=bool)] = why
    return {"id": deal_ids, "type": kinds_array, "payer_at": payer, "payee_at": payee, "amount": amount,
            "annual": annual, "estimate": estimate, "assumed_duration": assumed, "reason": reason,
            "ids": np.array(list(companies.index), dtype=object)}


def working(matrix: sp.spmatrix | np.ndarray) -> np.ndarray | sp.csr_matrix:
    """``L`` as the solves take it: a dense float array up to :data:`DENSE_LIMIT` companies, CSR above."""
    if matrix.shape[0] <= DENSE_LIMIT:
        return to_dense(matrix).astype(float, copy=False)
    return to_csr(matrix)


def spectral_radius(matrix: sp.spmatrix | np.ndarray) -> float:
    """Largest absolute eigenvalue of ``L``; the Leontief series converges only when it is below 1."""
    n = matrix.shape[0]
    if n == 0:
        return 0.0
    if n <= DENSE_LIMIT or not issparse(matrix):
        dense = to_dense(matrix)
        return float(np.max(np.abs(np.linalg.eigvals(dense))))
    import scipy.sparse.linalg as spla  # slow to import; only large webs need it

    try:
        value = spla.eigs(matrix.astype(float), k=1, which="LM", return_eigenvectors=False, maxiter=5000,
                          tol=1e-8)
        return float(np.abs(value[0]))
    except spla.ArpackNoConvergence:
        # Power iteration on |L| bounds rho for a non-negative matrix and always returns.
        x = np.ones(n) / n
        value = 0.0
        for _ in range(500):
            y = matrix @ x
            value = float(np.abs(y).sum())
            if value == 0:
                return 0.0
            x = y / value
        return value


def check_stable(matrix: sp.spmatrix | np.ndarray | Sensitivity) -> float:
    """Return the spectral radius of ``L``, raising :class:`DealWebError` when it is 1 or more."""
    rho = matrix.spectral_radius() if isinstance(matrix, Sensitivity) else spectral_radius(matrix)
    if rho >= 1:
        raise DealWebError(
            f"the deal web's sensitivity matrix has spectral radius {rho:.3f} >= 1, so network exposure "
            "is unbounded. Fix: lower ExposureModel.kappa or phi, check the deals' amounts and the "
            "companies' revenue and market caps (a tiny market cap makes a stake look huge)."
        )
    return rho


def hub_exposures(matrix: sp.spmatrix | np.ndarray, hubs: list[int] | np.ndarray) -> np.ndarray:
    """Network exposure of every company to each hub, a dense ``(n, len(hubs))`` array of fractions.

    Column k is ``x_h = (I - L_h)^-1 L[:, h]`` with ``L_h`` = L with row h set to zero: every chain of
    dependence ending at hub h, stopping there (h absorbs; its own entry is 0). This equals linear
    DebtRank's company losses when h is wiped out and nothing saturates (docs/methods.md, sections 2 and 4).
    ``I - L`` is factorized once and each hub is a Sherman-Morrison rank-one correction, because
    ``I - L_h = (I - L) + e_h L[h, :]``.

    The one cap is limited liability: a company loses at most its whole value (1). Where the linear solve
    goes above 1 for some company (an entry of L above 1, a strong cycle), that hub's column is recomputed
    by linear DebtRank with h wiped out, which applies the cap while the loss spreads (a saturated company
    passes on 1, not more). Every value is then in [0, 1] and ``x_h[i] >= min(1, L[i, h])``.
    """
    hubs = np.asarray(hubs, dtype=np.int64)
    n = matrix.shape[0]
    if len(hubs) == 0:
        return np.zeros((n, 0))
    m = working(matrix)
    identity_cols = np.zeros((n, len(hubs)))
    identity_cols[hubs, np.arange(len(hubs))] = 1.0
    sources = np.array(to_dense(m[:, hubs]))
    sources[hubs, np.arange(len(hubs))] = 0.0  # a hub's self-dependence (none in a valid web) is not exposure
    solved = leontief_solve(m, np.hstack([sources, identity_cols]))
    y, z = solved[:, : len(hubs)], solved[:, len(hubs):]
    rows = m[hubs, :]  # r_k = L[h_k, :]
    r_y, r_z = row_dots(rows, y.T), row_dots(rows, z.T)
    x = y - z * (r_y / (1.0 + r_z))
    x[hubs, np.arange(len(hubs))] = 0.0
    saturated = np.flatnonzero(x.max(axis=0) > 1.0 + 1e-12)
    if saturated.size:
        from exposure.contagion import linear_debtrank  # the same engine floor; needed only when losses saturate

        for k in saturated:
            wiped = np.zeros(n)
            wiped[hubs[k]] = 1.0
            x[:, k] = linear_debtrank(m, wiped)
            x[hubs[k], k] = 0.0
    return np.clip(x, 0.0, 1.0)


def leontief_solve(matrix: sp.spmatrix, rhs: np.ndarray) -> np.ndarray:
    """``(I - L)^-1 rhs`` for ``L`` with spectral radius < 1: dense LAPACK up to :data:`DENSE_LIMIT`
    companies, the sparse Neumann series above."""
    m = working(matrix)
    if issparse(m):
        return _solve_sparse(m, rhs)
    return np.linalg.solve(np.eye(m.shape[0]) - m, rhs)


def _solve_sparse(csr: sp.csr_matrix, rhs: np.ndarray, tol: float = 1e-14, max_terms: int = 2000) -> np.ndarray:
    """``(I - L)^-1 rhs`` for a sparse ``L`` with spectral radius < 1, by the Neumann series ``sum_k L^k rhs``.

    Power-law webs make a sparse LU fill in badly (10,000 companies and 100,000 deals: 22M non-zeros and
    70 s in ``splu``), while the series costs one sparse product per term and needs about
    ``log(tol) / log(rho)`` terms (30 at rho = 0.35). If it converges too slowly (rho close to 1) the
    sparse LU is the fallback.
    """
    total = rhs.copy()
    term = rhs
    for _ in range(max_terms):
        term = csr @ term
        total += term
        if np.max(np.abs(term), initial=0.0) <= tol * max(1.0, np.max(np.abs(total), initial=0.0)):
            return total
    import scipy.sparse as sp
    import scipy.sparse.linalg as spla  # slow to import; only the fallback needs it

    n = csr.shape[0]
    lu = spla.splu((sp.identity(n, format="csc") - csr.tocsc()).tocsc(), permc_spec="MMD_AT_PLUS_A")
    return lu.solve(rhs)


def chains(matrix: sp.spmatrix | np.ndarray, hub: int, starts: dict[int, float], *, max_hops: int = 6,
           min_contribution: float = 1e-6, limit: int = 5000) -> list[tuple[tuple[int, ...], float]]:
    """Simple chains ``start -> ... -> hub`` of dependence and their contribution ``w_start * prod(L)``.

    ``starts`` maps a company position to its portfolio weight. Chains never pass through the hub
    before their end and never revisit a company; branches below ``min_contribution`` are pruned.
    Returns ``(chain, contribution)`` pairs, largest first, at most ``limit``.
    """
    indptr, indices, data = by_column(matrix)
    best = max(starts.values(), default=0.0)
    found: list[tuple[tuple[int, ...], float]] = []
    # Walk backwards from the hub: who depends on the current node (column of L).
    stack: list[tuple[tuple[int, ...], float]] = [((hub,), 1.0)]
    while stack:
        suffix, product = stack.pop()
        node = suffix[0]
        lo, hi = indptr[node], indptr[node + 1]
        for affected, value in zip(indices[lo:hi], data[lo:hi], strict=True):
            if affected in suffix:
                continue
            chain_product = product * value
            if best * chain_product < min_contribution:
                continue
            chain = (affected,) + suffix
            weight = starts.get(affected, 0.0)
            if weight > 0 and weight * chain_product >= min_contribution:
                found.append((chain, weight * chain_product))
            if len(chain) - 1 < max_hops:
                stack.append((chain, chain_product))
    found.sort(key=lambda item: -item[1])
    return found[:limit]
