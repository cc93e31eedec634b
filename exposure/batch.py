"""Many accounts at once: one exposure matrix for the ticker universe, one sparse product for all accounts.

:func:`analyze_many` scores a long holdings frame (``account, ticker, weight|market_value``) on one machine;
:func:`score_accounts` runs the same computation on Dask (a local cluster by default, or any scheduler).
Both give, per account, the numbers :func:`exposure.analyze` gives for that account alone.

The exposure matrix (:func:`exposure_matrix`) has one row per ticker: a company's loading on hub h is
``1{i == h} + x_h[i]`` (direct holding plus every chain of deals ending at h, docs/methods.md 2.1), a fund's
row is the weighted sum of its looked-through holdings' rows, cash and unmapped tickers load on no hub.
Because every hub total is linear in the look-through weights, an account's totals are its normalized
weights times that matrix.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from exposure._optional import require
from exposure.dealweb import DealWeb
from exposure.errors import PortfolioError, located
from exposure.holdings.identifiers import described_fund, known_security
from exposure.hubs import ai_dependence, ai_hubs
from exposure.metrics import GRADES
from exposure.models import AI_LAYERS, ExposureModel
from exposure.network import check_stable, hub_exposures
from exposure.portfolio import CASH_TICKERS
from exposure.webfiles import diversifier_funds

if TYPE_CHECKING:
    import dask.dataframe as dd

    from exposure.market import MarketData

__all__ = ["ExposureMatrix", "analyze_many", "exposure_matrix", "score_accounts"]

AMOUNTS = ("weight", "market_value")
_GRADE_NAMES = [name for _, name in GRADES] + ["extreme"]
_SOURCE = "holdings"


@dataclass(frozen=True)
class ExposureMatrix:
    """Per-ticker loadings, built once for a universe and applied to any number of accounts.

    Attributes
    ----------
    tickers : normalized tickers (trimmed, upper case), the rows.
    hubs : hub company ids, the first ``len(hubs)`` columns of ``values``.
    values : ``(len(tickers), len(hubs) + 2)`` float array: each hub's loading (fraction of the ticker's
        value exposed to the hub), then the AI share (:func:`exposure.hubs.ai_dependence`) and the unmapped
        share of the ticker.
    ai_hubs : which of ``hubs`` are AI hubs, the ones the score is taken over (all when None).
    """

    tickers: pd.Index
    hubs: list[str]
    values: np.ndarray
    ai_hubs: np.ndarray | None = None

    def __repr__(self) -> str:
        loading = int(np.any(self.values[:, : len(self.hubs)] != 0, axis=1).sum())
        return f"ExposureMatrix({len(self.tickers)} tickers x {len(self.hubs)} hubs; {loading} with hub exposure)"

    def score(self, holdings: pd.DataFrame) -> pd.DataFrame:
        """Score a long holdings frame whose tickers are all in :attr:`tickers` (see :func:`analyze_many`)."""
        long = _prepared(holdings)
        rows = self.tickers.get_indexer(long.tickers)
        if (rows < 0).any():
            missing = list(long.tickers[rows < 0][:5])
            raise PortfolioError(located(f"tickers {', '.join(missing)} are not in the exposure matrix",
                                         file=_SOURCE, column="ticker",
                                         fix="build it with exposure_matrix() over every ticker of the holdings."))
        return self._scored(long.account_codes, long.accounts, rows[long.ticker_codes], long.amounts, long.kind)

    def empty_result(self, account_dtype: Any = "int64") -> pd.DataFrame:
        """A result frame with no rows (the schema of :meth:`score`; Dask's ``meta``)."""
        frame = pd.DataFrame({
            "score": pd.Series(dtype=float),
            "grade": pd.Categorical([], categories=_GRADE_NAMES, ordered=True),
            "largest_hub": pd.Categorical([], categories=self.hubs),
            "ai_share": pd.Series(dtype=float),
            "unmapped_weight": pd.Series(dtype=float),
            **{hub: pd.Series(dtype=float) for hub in self.hubs},
        }, index=pd.Index([], dtype=account_dtype, name="account"))
        return frame

    def _scored(self, account_codes: np.ndarray, accounts: pd.Index, rows: np.ndarray, amounts: np.ndarray,
                kind: str) -> pd.DataFrame:
        n, n_hubs = len(accounts), len(self.hubs)
        totals_by_account = np.bincount(account_codes, amounts, n)
        if (empty := np.flatnonzero(~(totals_by_account > 0))).size:
            raise PortfolioError(located(f"every {kind} is zero for {_some(accounts[empty])}", file=_SOURCE,
                                         column=kind, fix="give each account at least one positive amount, "
                                                          "or drop the account."))
        weights = amounts / totals_by_account[account_codes]
        ai_share = np.bincount(account_codes, weights * self.values[:, n_hubs][rows], n)
        unmapped = np.bincount(account_codes, weights * self.values[:, n_hubs + 1][rows], n)

        # Only tickers that load on some hub enter the sparse product (unmapped names and cash are zero rows).
        loads = np.any(self.values[:, :n_hubs] != 0, axis=1)
        compact = (np.cumsum(loads) - 1).astype(np.int32)
        keep = loads[rows]
        matrix = _csr(account_codes[keep], compact[rows[keep]], weights[keep], (n, int(loads.sum())))
        del weights, keep
        totals = matrix @ np.ascontiguousarray(self.values[loads, :n_hubs])
        np.clip(totals, 0.0, 1.0, out=totals)

        scored = np.flatnonzero(self.ai_hubs) if self.ai_hubs is not None else np.arange(n_hubs)
        best = scored[totals[:, scored].argmax(axis=1)] if scored.size else np.zeros(n, dtype=np.int64)
        largest = totals[np.arange(n), best] if scored.size else np.zeros(n)
        score = 100.0 * largest
        # the grade of the score as printed (a whole number, round half even as metrics.grade): 24.96 is High
        grade = np.searchsorted(np.array([bound for bound, _ in GRADES]), np.round(score), side="right")
        frame = pd.DataFrame(totals, index=accounts.rename("account"), columns=list(self.hubs), copy=False)
        frame.insert(0, "score", score)
        frame.insert(1, "grade", pd.Categorical.from_codes(grade, categories=_GRADE_NAMES, ordered=True))
        frame.insert(2, "largest_hub", pd.Categorical.from_codes(np.where(largest > 0, best, -1),
                                                                 categories=self.hubs))
        frame.insert(3, "ai_share", ai_share)
        frame.insert(4, "unmapped_weight", unmapped)
        return frame


def analyze_many(holdings: pd.DataFrame, web: DealWeb | None = None, model: ExposureModel | None = None,
                 market: MarketData | None = None, hubs: list[str] | None = None) -> pd.DataFrame:
    """Score every account of a long holdings frame; per account the same numbers as :func:`exposure.analyze`.

    Parameters
    ----------
    holdings : DataFrame with ``account``, ``ticker`` and exactly one of ``weight`` or ``market_value``
        (one row per position; repeated tickers are summed; amounts are normalized per account; cash rows
        ``CASH``/``USD`` are cash; funds with known holdings are looked through; unknown tickers count as
        unmapped, unless an optional ``name`` column says the ticker is a fund, as analyze() reads a broker's
        "iShares MSCI EM UCITS ETF"). A categorical ``ticker`` column and a sorted ``account`` column are fastest.
    web, model, market : as :func:`exposure.analyze` (bundled web, default model, bundled snapshot).
    hubs : restrict the hubs to these companies (ids, names or tickers); every company by default.

    Returns
    -------
    DataFrame indexed by ``account`` (sorted) with ``score`` (0-100), ``grade``, ``largest_hub`` (company
    id, NaN when no hub exposure), ``ai_share``, ``unmapped_weight`` and one column per hub (its total
    exposure, a fraction of the account's value).

    Examples
    --------
    >>> frame = pd.DataFrame({"account": ["a", "a", "b"], "ticker": ["NVDA", "ORCL", "KO"],
    ...                       "weight": [0.5, 0.5, 1.0]})
    >>> analyze_many(frame)[["score", "grade", "largest_hub"]]  # doctest: +SKIP
    """
    long = _prepared(holdings)
    matrix = exposure_matrix(long.tickers, web, model, market, hubs, named_funds=_named_funds(holdings))
    return matrix._scored(long.account_codes, long.accounts, long.ticker_codes, long.amounts, long.kind)


def exposure_matrix(tickers: Iterable[str], web: DealWeb | None = None, model: ExposureModel | None = None,
                    market: MarketData | None = None, hubs: list[str] | None = None,
                    named_funds: Iterable[str] = ()) -> ExposureMatrix:
    """The :class:`ExposureMatrix` of a ticker universe: one hub solve for the web, one row per ticker.

    Tickers are trimmed and upper-cased. Look-through, cash and unmapped tickers follow
    :func:`exposure.analyze`: a fund with known holdings (``market.fund_holdings``) is replaced by them
    (the part beyond its published holdings, and its holdings outside the web, load on nothing and are not
    unmapped); ``named_funds`` are tickers a broker names as funds, not looked through and not unmapped.
    """
    from exposure.market import SnapshotProvider

    web = web if web is not None else DealWeb.bundled()
    model = model or ExposureModel()
    market = market if market is not None else SnapshotProvider()
    if not isinstance(market, SnapshotProvider):  # live figures, as analyze() uses them
        web = web.with_market_figures(market.fundamentals(list(web.listed["ticker"])))
    sensitivity = web.sensitivity(model)
    check_stable(sensitivity.matrix)
    hub_ids = list(dict.fromkeys(web.resolve(h) for h in hubs)) if hubs else list(sensitivity.ids)
    ai = None if hubs else np.isin(hub_ids, ai_hubs(web, model))
    positions = np.array([sensitivity.index[h] for h in hub_ids], dtype=np.int64)
    company_rows = hub_exposures(sensitivity.matrix, positions)
    company_rows[positions, np.arange(len(positions))] = 1.0  # a held hub is exposed to itself in full
    in_ai = ai_dependence(sensitivity, web.companies["layer"].astype(str).isin(AI_LAYERS)
                          .reindex(sensitivity.ids).to_numpy(bool))

    names = pd.Index(list(dict.fromkeys(_normalized(pd.Index(list(tickers), dtype=object)))), dtype=object)
    n_hubs = len(hub_ids)
    values = np.zeros((len(names), n_hubs + 2))

    securities: set[str] = getattr(market, "securities", set)() | set(_normalized(pd.Index(list(named_funds))))

    def add(row: int, ticker: str, share: float, held_directly: bool = True) -> None:
        cid = web.company_for_ticker(ticker)
        if cid is None:
            # A fund's holding outside the web, a listed security the market data names, or a CD or bond the
            # broker describes is known, not unmapped (as in analyze).
            if held_directly and not known_security(ticker, securities):
                values[row, n_hubs + 1] += share
        else:
            position = sensitivity.index[cid]
            values[row, :n_hubs] += share * company_rows[position]
            values[row, n_hubs] += share * in_ai[position]

    funds = market.funds() if isinstance(market, SnapshotProvider) else None  # None: ask per ticker
    for row, ticker in enumerate(names):
        if ticker in CASH_TICKERS:
            continue
        held = market.fund_holdings(ticker) if funds is None or ticker in funds else None
        if held is None or held.empty:
            add(row, ticker, 1.0, held_directly=ticker not in diversifier_funds())  # AGG: a fund, not a typo
            continue
        for constituent, share in zip(held["ticker"], held["weight"], strict=True):
            add(row, str(constituent).strip().upper(), float(share), held_directly=False)
    return ExposureMatrix(tickers=names, hubs=hub_ids, values=values, ai_hubs=ai)


def score_accounts(source: str | os.PathLike[str] | pd.DataFrame | dd.DataFrame, web: DealWeb | None = None,
                   engine: str = "dask", address: str | None = None, *, model: ExposureModel | None = None,
                   market: MarketData | None = None, hubs: list[str] | None = None, n_workers: int = 2,
                   npartitions: int | None = None) -> pd.DataFrame:
    """:func:`analyze_many` for holdings too large for one process: Parquet files or a Dask DataFrame.

    Parameters
    ----------
    source : a Parquet file or directory (``account, ticker, weight|market_value``), a Dask DataFrame or a
        pandas DataFrame.
    web, model, market, hubs : as :func:`analyze_many`.
    engine : ``"dask"`` (default) or ``"pandas"`` (read everything into one process, then
        :func:`analyze_many`).
    address : a Dask scheduler address (``tcp://host:8786``). None uses the active Dask client when there
        is one (``distributed.Client(...)`` created before the call, left open), and otherwise starts a
        local cluster of ``n_workers`` threads for the call and closes it after.
    npartitions : partitions after the shuffle by account (default: as many as the input has).

    Returns
    -------
    The same frame as :func:`analyze_many`, sorted by account.

    Notes
    -----
    The distinct tickers are read first (one pass over the ``ticker`` column), the exposure matrix is built
    on the client and scattered to every worker once; the holdings are shuffled by ``account`` so that an
    account never straddles partitions, and each partition is scored by :meth:`ExposureMatrix.score`.
    """
    if engine == "pandas":
        frame = source if isinstance(source, pd.DataFrame) else _to_pandas(source)
        return analyze_many(frame, web, model, market, hubs)
    if engine != "dask":
        raise ValueError(f"unknown engine {engine!r}. Fix: use engine='dask' or engine='pandas'.")
    dd = require("dask.dataframe", "score_accounts(engine='dask')")
    require("distributed", "score_accounts(engine='dask')")

    if isinstance(source, pd.DataFrame):
        frame = dd.from_pandas(source, npartitions=max(1, npartitions or n_workers))
    elif isinstance(source, str | os.PathLike):
        frame = dd.read_parquet(os.fspath(source))
    else:
        frame = source
    _check_columns(list(frame.columns))
    with _client(address, n_workers) as client:
        tickers = frame["ticker"].dropna().astype(str).unique().compute()
        matrix = exposure_matrix(list(tickers), web, model, market, hubs)
        shared = client.scatter(matrix, broadcast=True)
        by_account = frame.shuffle(on="account", npartitions=npartitions or frame.npartitions)
        meta = matrix.empty_result(frame["account"].dtype)
        scored = by_account.map_partitions(_score_partition, shared, meta=meta)
        result = client.compute(scored).result()
    return result.sort_index(kind="stable")


# ---------------------------------------------------------------------------------------------- helpers
@dataclass(frozen=True)
class _Long:
    """A validated long holdings frame as codes: position k is account ``accounts[account_codes[k]]``
    holding ``amounts[k]`` of ticker ``tickers[ticker_codes[k]]``."""

    account_codes: np.ndarray
    accounts: pd.Index
    ticker_codes: np.ndarray
    tickers: pd.Index
    amounts: np.ndarray
    kind: str


def _prepared(holdings: pd.DataFrame) -> _Long:
    """Validate a long holdings frame and encode it (PortfolioError naming the account and the fix)."""
    if not isinstance(holdings, pd.DataFrame):
        raise PortfolioError(located(f"expected a DataFrame, got {type(holdings).__name__}", file=_SOURCE,
                                     fix="pass a long DataFrame with columns account, ticker and weight "
                                         "(or market_value)."))
    kind = _check_columns(list(holdings.columns))
    if holdings.empty:
        raise PortfolioError(located("no rows", file=_SOURCE, fix="give at least one (account, ticker, amount) row."))
    account = holdings["account"]
    if account.isna().any():
        row = int(np.flatnonzero(account.isna().to_numpy())[0])
        raise PortfolioError(located("blank account", file=_SOURCE, row=row, column="account",
                                     fix="give every row an account id, or drop the row."))
    account_codes, accounts = _account_codes(account)

    ticker_codes, tickers = _ticker_codes(holdings["ticker"])
    blank_ticker = np.append(tickers.to_numpy() == "", True)  # the last entry is code -1 (missing)
    blank = blank_ticker[ticker_codes]
    if blank.any():
        where = np.flatnonzero(blank)
        raise PortfolioError(located(f"blank ticker for {_some(accounts[account_codes[where]])}", file=_SOURCE,
                                     row=int(where[0]), column="ticker",
                                     fix="fill in the ticker (CASH for cash) or delete the row."))

    raw = holdings[kind]
    amounts = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    bad = ~np.isfinite(amounts)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise PortfolioError(located(
            f"{kind} {raw.iloc[first]!r} of {tickers[ticker_codes[first]]} is not a finite number "
            f"({_some(accounts[account_codes[np.flatnonzero(bad)]])})", file=_SOURCE, row=first, column=kind,
            fix="give every row a plain number, or delete the row."))
    negative = amounts < 0
    if negative.any():
        first = int(np.flatnonzero(negative)[0])
        raise PortfolioError(located(
            f"negative {kind} {amounts[first]:g} of {tickers[ticker_codes[first]]} (a short position) "
            f"({_some(accounts[account_codes[np.flatnonzero(negative)]])})", file=_SOURCE, row=first, column=kind,
            fix="remove short positions: batch scoring is long-only (analyze() takes "
                "Portfolio.from_frame(..., allow_short=True) for one account)."))
    return _Long(account_codes, accounts, ticker_codes, tickers, amounts, kind)


def _check_columns(columns: list[Any]) -> str:
    """The amount column's name, after checking ``account``, ``ticker`` and exactly one amount column."""
    missing = [c for c in ("account", "ticker") if c not in columns]
    if missing:
        raise PortfolioError(located(f"missing column(s) {', '.join(missing)}", file=_SOURCE,
                                     fix="give a long frame with one row per position: account, ticker and "
                                         "weight (or market_value)."))
    present = [c for c in AMOUNTS if c in columns]
    if len(present) == 2:
        raise PortfolioError(located("both 'weight' and 'market_value' columns", file=_SOURCE,
                                     fix="keep one of them (weights are normalized per account either way)."))
    if not present:
        hint = " ('shares' need prices: convert them to market_value first)" if "shares" in columns else ""
        raise PortfolioError(located(f"no amount column{hint}", file=_SOURCE,
                                     fix="add a 'weight' or a 'market_value' column."))
    return present[0]


def _account_codes(account: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Codes into the sorted distinct accounts; a linear pass when the column is already sorted."""
    if account.is_monotonic_increasing:
        values = account.to_numpy()
        starts = np.empty(len(values), dtype=bool)
        starts[0] = True
        starts[1:] = values[1:] != values[:-1]
        return np.cumsum(starts) - 1, pd.Index(account[starts], name="account")
    codes, uniques = pd.factorize(account, sort=True)
    return codes.astype(np.int64), pd.Index(uniques, name="account")


def _ticker_codes(ticker: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Codes into the distinct normalized tickers (-1 for a missing ticker)."""
    if isinstance(ticker.dtype, pd.CategoricalDtype):
        codes, uniques = ticker.cat.codes.to_numpy(), ticker.cat.categories
    else:
        codes, uniques = pd.factorize(ticker)
    normal = _normalized(pd.Index(uniques, dtype=object))
    merged, distinct = pd.factorize(normal)
    remap = np.append(merged, -1)  # code -1 (missing) stays -1
    return remap.astype(np.int32)[codes], pd.Index(distinct, dtype=object)


def _named_funds(holdings: pd.DataFrame) -> list[str]:
    """Tickers whose optional ``name`` says they are funds (ETF, UCITS, index fund), as analyze() reads them."""
    if "name" not in holdings.columns:
        return []
    names = holdings["name"].fillna("").astype(str)
    return holdings.loc[names.map(described_fund).to_numpy(bool), "ticker"].astype(str).tolist()


def _normalized(tickers: pd.Index) -> pd.Index:
    return pd.Index([str(t).strip().upper() for t in tickers], dtype=object)


def _csr(rows: np.ndarray, cols: np.ndarray, data: np.ndarray, shape: tuple[int, int]) -> sp.csr_matrix:
    """A CSR matrix from entries, without a sort when the rows already come in order (duplicates are fine)."""
    if rows.size and np.all(rows[1:] >= rows[:-1]):
        indptr = np.zeros(shape[0] + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=shape[0]), out=indptr[1:])
        return sp.csr_matrix((data, cols, indptr), shape=shape)
    return sp.coo_matrix((data, (rows, cols)), shape=shape).tocsr()


def _some(accounts: Iterable[Any], limit: int = 3) -> str:
    """``account 'a'`` or ``accounts 'a', 'b', 'c' and 4 more`` for messages."""
    distinct = list(dict.fromkeys(accounts))
    shown = ", ".join(repr(a) if isinstance(a, str) else f"'{a}'" for a in distinct[:limit])
    more = f" and {len(distinct) - limit} more" if len(distinct) > limit else ""
    return f"account{'s' if len(distinct) > 1 else ''} {shown}{more}"


def _score_partition(part: pd.DataFrame, matrix: ExposureMatrix) -> pd.DataFrame:
    if part.empty:
        return matrix.empty_result(part["account"].dtype)
    return matrix.score(part)


def _to_pandas(source: Any) -> pd.DataFrame:
    if isinstance(source, str | os.PathLike):
        return pd.read_parquet(os.fspath(source))
    return source.compute()


@contextmanager
def _client(address: str | None, n_workers: int) -> Iterator[Any]:
    """A Dask client on ``address``; else the active client (left open); else a local cluster for the call."""
    from distributed import Client, LocalCluster, default_client

    if address is not None:
        with Client(address) as client:
            yield client
        return
    try:
        active = default_client()
    except ValueError:  # no client yet
        active = None
    if active is not None and active.status == "running":
        yield active
        return
    with LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=False, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        yield client
