"""Market data: the bundled snapshot (default, offline) and live Yahoo Finance data (cached, fail-safe).

Every provider follows :class:`MarketData`. Every value says where it came from: ``live`` (fetched now),
``cache`` (fetched earlier, still fresh), ``snapshot`` (the bundled CSVs with their as-of dates) or
``missing`` (no source knows the ticker). When live data fails for some names, :class:`YFinanceProvider`
uses the snapshot for exactly those names and appends one warning naming them to ``.warnings``: never a
silent mix, never a hang.

Examples
--------
>>> from exposure.market import SnapshotProvider
>>> snap = SnapshotProvider()
>>> snap.fundamentals(["NVDA"])[["market_cap_usd_bn", "source"]]  # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
import queue
import sys
import threading
import time
import warnings as _warnings
from collections.abc import Callable, Iterable
from contextlib import nullcontext
from datetime import UTC, date, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any, Protocol, runtime_checkable
from urllib.parse import quote

import numpy as np
import pandas as pd

from exposure._optional import require
from exposure.errors import MarketDataError

__all__ = [
    "DEFAULT_TTL",
    "FUNDAMENTAL_COLUMNS",
    "HOLDING_COLUMNS",
    "MarketData",
    "SnapshotProvider",
    "YFinanceProvider",
    "default_cache_dir",
    "normalize_download",
    "refresh",
]

#: Columns of :meth:`MarketData.fundamentals` (index: ticker). Money in USD billions, price per share.
FUNDAMENTAL_COLUMNS = ["price", "currency", "price_usd", "market_cap_usd_bn", "revenue_usd_bn", "as_of",
                       "source"]
#: Columns of :meth:`MarketData.fund_holdings`. ``weight`` is a fraction of the fund.
HOLDING_COLUMNS = ["ticker", "weight", "as_of", "source"]
#: Cache lifetimes in seconds per data kind: prices move daily, caps/revenues and holdings weekly.
DEFAULT_TTL: dict[str, float] = {"prices": 86_400.0, "fundamentals": 7 * 86_400.0,
                                 "holdings": 7 * 86_400.0, "fx": 86_400.0}
#: Default price history when ``prices()`` gets no start date (days before ``end``).
DEFAULT_HISTORY_DAYS = 365
#: Quote currencies Yahoo gives in a sub-unit (pence, agorot, cents): ISO code and units per ISO unit.
SUBUNIT_CURRENCIES: dict[str, tuple[str, float]] = {"GBp": ("GBP", 100.0), "GBX": ("GBP", 100.0),
                                                    "ILA": ("ILS", 100.0), "ZAc": ("ZAR", 100.0)}
#: Above this many names a progress bar is shown (when stderr is a terminal).
PROGRESS_THRESHOLD = 20
_PRICE_FIELDS = {"Adj Close", "Close", "Open", "High", "Low", "Volume", "Dividends", "Stock Splits",
                 "Capital Gains", "Repaired?"}


@runtime_checkable
class MarketData(Protocol):
    """What :func:`exposure.analyze` and the optimiser need from a market-data source."""

    warnings: list[str]

    def prices(self, tickers: Iterable[str], start: Any = None, end: Any = None) -> pd.DataFrame:
        """Adjusted close in local currency: index dates, one column per ticker."""
        ...

    def fundamentals(self, tickers: Iterable[str]) -> pd.DataFrame:
        """Index ticker (as requested); columns :data:`FUNDAMENTAL_COLUMNS`; ``source`` is ``live``,
        ``cache``, ``snapshot`` or ``missing`` (NaN values: no source knows the ticker)."""
        ...

    def fund_holdings(self, fund: str) -> pd.DataFrame:
        """Columns :data:`HOLDING_COLUMNS`; an empty frame when the fund is unknown."""
        ...

    def fx(self, currency: str) -> float:
        """USD per one unit of ``currency``."""
        ...


# --------------------------------------------------------------------------------------------------
# Snapshot
# --------------------------------------------------------------------------------------------------


_BUNDLED_CACHES: tuple[dict, dict, dict] = ({}, {}, {})


class SnapshotProvider:
    """The bundled, sourced CSVs in ``exposure/data``: offline, reproducible, dated.

    Parameters
    ----------
    data_dir : path, optional
        A folder holding ``prices.csv``, ``companies.csv``, ``fund_holdings.csv``, ``fx.csv`` and
        ``aliases.csv`` in the bundled formats. Default: the package's own ``exposure/data``.

    Notes
    -----
    A missing file is read as an empty table and adds one warning, so the offline default never
    crashes; unknown tickers come back as rows of NaN with ``source='missing'`` and a warning.
    """

    def __init__(self, data_dir: str | os.PathLike[str] | None = None) -> None:
        self.data_dir = Path(data_dir) if data_dir is not None else None
        self.warnings: list[str] = []
        # The bundled files never change while a process runs: every default provider shares one parse.
        caches = _BUNDLED_CACHES if data_dir is None else ({}, {}, {})
        self._tables: dict[str, pd.DataFrame] = caches[0]
        self._indexes: dict[tuple[str, str], dict[str, pd.Series]] = caches[1]
        self._groups: dict[tuple[str, str], dict[str, pd.DataFrame]] = caches[2]

    def prices(self, tickers: Iterable[str], start: Any = None, end: Any = None) -> pd.DataFrame:
        """The one dated snapshot price per ticker, as a one-row frame (local currency).

        The snapshot has no history: the single row is dated with the latest ``as_of`` of the requested
        tickers (each ticker's own date is in ``frame.attrs['as_of']``); ``start``/``end`` are ignored.
        Tickers without a snapshot price are NaN columns (``attrs['source']`` says ``missing``).
        """
        names = _tickers(tickers)
        by_ticker = self._index("prices", "ticker")
        values, as_of, source = {}, {}, {}
        for name in names:
            row = by_ticker.get(name)
            values[name] = np.nan if row is None else float(row["price"])
            as_of[name] = None if row is None else str(row["as_of"])
            source[name] = "missing" if row is None else "snapshot"
        self._warn_missing("prices", [n for n in names if source[n] == "missing"])
        dates = [d for d in as_of.values() if d]
        index = pd.DatetimeIndex([pd.Timestamp(max(dates))] if dates else [], name="date")
        frame = pd.DataFrame([values] if dates else [], index=index, columns=names, dtype=float)
        frame.attrs.update(source=source, as_of=as_of)
        return frame

    def fundamentals(self, tickers: Iterable[str]) -> pd.DataFrame:
        """Price, currency, USD price, market cap and revenue (USD billions) from the bundled files."""
        names = _tickers(tickers)
        prices = self._index("prices", "ticker")
        rows, missing = {}, []
        for name in names:
            quote_row, company = prices.get(name), self._company(name)
            if quote_row is None and company is None:
                missing.append(name)
                rows[name] = _fundamental_row(source="missing")
                continue
            price = currency = price_usd = None
            if quote_row is not None:
                price, currency = float(quote_row["price"]), str(quote_row["currency"])
                price_usd = self._usd(price, currency)
            rows[name] = _fundamental_row(
                price=price, currency=currency, price_usd=price_usd,
                market_cap_usd_bn=_num(company, "market_cap_usd_bn"),
                revenue_usd_bn=_num(company, "revenue_usd_bn"),
                as_of=str((quote_row if quote_row is not None else company)["as_of"]), source="snapshot")
        self._warn_missing("fundamentals", missing)
        return _fundamentals_frame(rows, names)

    def fund_holdings(self, fund: str) -> pd.DataFrame:
        """The bundled holdings of ``fund`` (often its top holdings only); empty if not bundled."""
        key = ("fund_holdings", "fund")
        if key not in self._groups:
            table = self._table("fund_holdings")
            self._groups[key] = {} if table.empty else {
                str(name).strip().upper(): _holdings_frame([
                    {"ticker": _ticker(r["ticker"]), "weight": float(r["weight"]), "as_of": str(r["as_of"]),
                     "source": "snapshot"} for r in rows.to_dict("records")])
                for name, rows in table.groupby("fund", sort=False)}
        frame = self._groups[key].get(_ticker(fund))
        if frame is None:  # not a bundled fund: the shared empty answer
            if "" not in self._groups[key]:
                self._groups[key][""] = _holdings_frame([])
            return self._groups[key][""]  # shared and empty: callers only read it
        return frame.copy()

    def funds(self) -> set[str]:
        """Tickers of the funds whose holdings are bundled (so callers need not ask per ticker)."""
        table = self._table("fund_holdings")
        return set() if table.empty else {_ticker(t) for t in table["fund"]}

    def fx(self, currency: str) -> float:
        """USD per unit of ``currency`` from ``fx.csv``; sub-units (``GBp``) are scaled."""
        iso, per_unit = _currency_unit(currency)
        if iso == "USD":
            return 1.0 / per_unit
        row = self._index("fx", "currency").get(iso)
        if row is None:
            raise MarketDataError(f"No snapshot FX rate for {currency!r}. Fix: add a row to fx.csv "
                                  "(currency,usd_per_unit,as_of,source_url) or use live data.")
        return float(row["usd_per_unit"]) / per_unit

    # -- helpers -----------------------------------------------------------------------------------

    def _usd(self, amount: float, currency: str) -> float | None:
        try:
            return amount * self.fx(currency)
        except MarketDataError as error:
            self.warnings.append(str(error))
            return None

    def _company(self, name: str) -> pd.Series | None:
        row = self._index("companies", "ticker").get(name)
        if row is not None:
            return row
        company_id = self._index("aliases", "alias").get(name)
        if company_id is None:
            return None
        return self._index("companies", "id").get(str(company_id["company_id"]).strip().upper())

    def _index(self, name: str, column: str) -> dict[str, pd.Series]:
        """First row of table ``name`` per upper-cased ``column`` value, built once: lookups are dict gets."""
        key = (name, column)
        if key not in self._indexes:
            table = self._table(name)
            index: dict[str, pd.Series] = {}
            if not table.empty and column in table.columns:
                for _, row in table[table[column].notna()].iterrows():
                    index.setdefault(str(row[column]).strip().upper(), row)
            self._indexes[key] = index
        return self._indexes[key]

    def _table(self, name: str) -> pd.DataFrame:
        if name not in self._tables:
            self._tables[name] = self._read(name)
        return self._tables[name]

    def _read(self, name: str) -> pd.DataFrame:
        filename = f"{name}.csv"
        if self.data_dir is not None:
            path: Any = self.data_dir / filename
        else:
            path = resources.files("exposure") / "data" / filename
        if not path.is_file():
            self.warnings.append(f"Snapshot file {filename} is missing; its data is treated as empty.")
            return pd.DataFrame()
        with path.open("r", encoding="utf-8") as handle:
            return pd.read_csv(handle, dtype={"ticker": str, "as_of": str, "currency": str})

    def _warn_missing(self, kind: str, names: list[str]) -> None:
        if names:
            self.warnings.append(f"No bundled snapshot {kind} for {', '.join(names)}; their values are NaN "
                                 "(source 'missing'). Fix: add them to the snapshot files or use live data.")


# --------------------------------------------------------------------------------------------------
# Yahoo Finance
# --------------------------------------------------------------------------------------------------


class YFinanceProvider:
    """Live Yahoo Finance data through yfinance, cached on disk, falling back to the snapshot.

    Parameters
    ----------
    cache_dir : path, optional
        Where cached frames live. Default: ``$EXPOSURE_CACHE_DIR`` if set, else ``~/.cache/exposure``.
    ttl : float or dict, optional
        Cache lifetime in seconds, one number for every kind or a dict per kind (``prices``,
        ``fundamentals``, ``holdings``, ``fx``). Default :data:`DEFAULT_TTL` (1 day, 7, 7, 1 day).
    timeout : float, default 20
        Hard limit in seconds for a whole request, retries included. Fetches run in daemon worker threads
        and the provider stops waiting at the deadline, so a stuck connection never hangs the caller.
    fallback : MarketData, optional
        Used for the names live data could not provide. Default :class:`SnapshotProvider`.
    retries : int, default 3
        Retries after a Yahoo rate limit (``YFRateLimitError``), with exponential backoff from ``backoff``.
    backoff : float, default 1.0
        First retry delay in seconds; it doubles on each retry.
    workers : int, default 8
        Parallel ``Ticker`` look-ups for fundamentals.

    Notes
    -----
    yfinance is imported on first use only. Prices come from one batched ``yf.download(...,
    auto_adjust=True)`` per request; fundamentals from ``Ticker.info`` (``fast_info`` as backup); fund
    holdings from ``Ticker.funds_data.top_holdings``, which lists the top 10 holdings only.
    """

    def __init__(self, cache_dir: str | os.PathLike[str] | None = None,
                 ttl: float | dict[str, float] | None = None, timeout: float = 20.0,
                 fallback: MarketData | None = None, retries: int = 3, backoff: float = 1.0,
                 workers: int = 8) -> None:
        require("yfinance", "Live market data (--live, YFinanceProvider)")  # one line naming the extra if absent
        self.cache_dir = default_cache_dir() if cache_dir is None else Path(cache_dir).expanduser()
        self.ttl = dict(DEFAULT_TTL)
        if isinstance(ttl, dict):
            self.ttl.update(ttl)
        elif ttl is not None:
            self.ttl = {kind: float(ttl) for kind in DEFAULT_TTL}
        self.timeout = float(timeout)
        self.fallback: MarketData = fallback if fallback is not None else SnapshotProvider()
        self.retries = int(retries)
        self.backoff = float(backoff)
        self.workers = max(1, int(workers))
        self.warnings: list[str] = []
        #: False makes every request skip cache reads (used by :func:`refresh`); writes still happen.
        self.read_cache = True
        #: After a request fails entirely on the network, live fetches are skipped for this many seconds,
        #: so one unreachable network costs one timeout, not one per call.
        self.network_backoff = 60.0
        self._clock: Callable[[], float] = time.time
        self._offline_until = 0.0
        self._offline_reason = ""
        self._unchecked_funds: list[str] = []
        self._unchecked_at: int | None = None

    # -- public API --------------------------------------------------------------------------------

    def prices(self, tickers: Iterable[str], start: Any = None, end: Any = None) -> pd.DataFrame:
        """Adjusted daily close in local currency, index dates, columns tickers, ``[start, end)``.

        Default range: the year before ``end`` (default today). ``frame.attrs['source']`` maps each ticker
        to ``live``, ``cache`` or ``snapshot``; a snapshot column holds a single price at its as-of date.
        """
        names = _tickers(tickers)
        first, last = _date_range(start, end)
        series: dict[str, pd.Series] = {}
        source: dict[str, str] = {}
        for name in names:
            cached = self._cache_read_prices(name, first, last)
            if cached is not None:
                series[name], source[name] = cached, "cache"
        todo = [n for n in names if n not in series]
        failed: dict[str, str] = {}
        if todo:
            deadline = time.monotonic() + self.timeout
            task = {"download": lambda: self._download(todo, first, last, deadline)}
            outcome = self._run(task, deadline, label=f"Downloading prices for {len(todo)} tickers",
                                size=len(todo))["download"]
            frame = outcome if isinstance(outcome, pd.DataFrame) else pd.DataFrame()
            for name in todo:
                column = frame[name].dropna() if name in frame.columns else pd.Series(dtype=float)
                if isinstance(outcome, BaseException):
                    failed[name] = _describe(outcome, self)
                elif column.empty:
                    failed[name] = "no data returned (network unreachable, or unknown symbol)"
                else:
                    series[name], source[name] = column, "live"
                    self._cache_write("prices", name, {"start": first, "end": last, "series": column})
        if failed:
            snapshot = self._from_fallback(lambda: self.fallback.prices(list(failed), first, last))
            known = snapshot.attrs.get("source", {})
            for name in failed:
                series[name] = snapshot[name].dropna() if name in snapshot.columns else pd.Series(dtype=float)
                source[name] = "missing" if series[name].empty or known.get(name) == "missing" else "snapshot"
            self._warn("prices", failed)
        frame = pd.concat([series[n].rename(n) for n in names], axis=1) if names else pd.DataFrame()
        frame = frame.reindex(columns=names).sort_index()
        frame.index = pd.DatetimeIndex(frame.index, name="date")
        frame.attrs["source"] = source
        return frame

    def fundamentals(self, tickers: Iterable[str]) -> pd.DataFrame:
        """Price, currency, USD price, market cap and revenue (USD billions) per ticker.

        Market cap is converted from the quote currency and revenue from the reporting currency
        (``financialCurrency``: TSM quotes in USD but reports in TWD) at live FX rates.
        """
        names = _tickers(tickers)
        raw: dict[str, dict[str, Any]] = {}
        source: dict[str, str] = {}
        for name in names:
            cached = self._cache_read("fundamentals", name)
            if cached is not None:
                raw[name], source[name] = cached, "cache"
        todo = [n for n in names if n not in raw]
        failed: dict[str, str] = {}
        deadline = time.monotonic() + self.timeout
        if todo:
            tasks = {n: (lambda n=n: self._retrying(lambda: _fetch_quote(n), deadline)) for n in todo}
            results = self._run(tasks, deadline, label=f"Fetching fundamentals for {len(todo)} tickers",
                                size=len(todo))
            for name, outcome in results.items():
                if isinstance(outcome, BaseException):
                    failed[name] = _describe(outcome, self)
                else:
                    outcome["as_of"] = self._today()
                    raw[name], source[name] = outcome, "live"
                    self._cache_write("fundamentals", name, outcome)
        failed = {n: failed[n] for n in names if n in failed}  # request order, not completion order
        rates: dict[str, float] = {}
        rows = {n: self._fundamental_row(raw[n], source[n], deadline, rates) for n in raw}
        if failed:
            snapshot = self._from_fallback(lambda: self.fallback.fundamentals(list(failed)))
            for name in failed:
                row = snapshot.loc[name].to_dict() if name in snapshot.index else _fundamental_row()
                rows[name] = {**row, "source": "snapshot" if row.get("source") != "missing" else "missing"}
            self._warn("fundamentals", failed)
        return _fundamentals_frame(rows, names)

    def fund_holdings(self, fund: str) -> pd.DataFrame:
        """A fund's holdings: Yahoo's top 10 only (the rest of the fund is not looked through)."""
        name = _ticker(fund)
        cached = self._cache_read("holdings", name)
        if cached is not None:
            return _holdings_frame([{**r, "source": "cache"} for r in cached])
        quote_ = self._cache_read("fundamentals", name) or {}
        if quote_.get("quote_type") not in (None, "ETF", "MUTUALFUND"):
            return _holdings_frame([])  # a stock, known from its cached quote: nothing to look through
        deadline = time.monotonic() + self.timeout
        outcome = self._run({name: lambda: self._retrying(lambda: _fetch_top_holdings(name), deadline)},
                            deadline, label=f"Fetching holdings of {name}", size=1)[name]
        if isinstance(outcome, BaseException):
            frame = self._from_fallback(lambda: self.fallback.fund_holdings(name)).assign(source="snapshot")
            if frame.empty:
                self._note_unchecked_fund(name, _describe(outcome, self))
            else:
                self.warnings.append(f"Live holdings of {name} unavailable ({_describe(outcome, self)}); "
                                     f"using the bundled snapshot (as of {frame['as_of'].iloc[0]}).")
            return _holdings_frame(frame.to_dict("records"))
        if not outcome:  # Yahoo has no fund data: a stock. Remembered for the holdings TTL.
            self._cache_write("holdings", name, [])
            return _holdings_frame([])
        records = [{"ticker": t, "weight": w, "as_of": self._today()} for t, w in outcome.items()]
        self._cache_write("holdings", name, records)
        self.warnings.append(f"Live holdings of {name} are Yahoo's top {len(records)} only "
                             f"({sum(outcome.values()):.0%} of the fund); the rest is not looked through.")
        return _holdings_frame([{**r, "source": "live"} for r in records])

    def fx(self, currency: str) -> float:
        """USD per unit of ``currency`` (live ``XXXUSD=X``, cached for a day; snapshot on failure)."""
        return self._fx(currency, time.monotonic() + self.timeout)

    # -- fetching ----------------------------------------------------------------------------------

    def _download(self, tickers: list[str], start: pd.Timestamp, end: pd.Timestamp,
                  deadline: float) -> pd.DataFrame:
        """One batched ``yf.download`` (with rate-limit retries), normalised to dates x tickers."""
        import yfinance as yf

        def once() -> pd.DataFrame:
            with _captured_yf_errors() as errors, _warnings.catch_warnings():
                _warnings.filterwarnings("ignore", module="yfinance")
                raw = yf.download(tickers, start=start.strftime("%Y-%m-%d"), end=end.strftime("%Y-%m-%d"),
                                  auto_adjust=True, progress=False, threads=True,
                                  timeout=max(1.0, min(self.timeout, deadline - time.monotonic())))
            frame = normalize_download(raw, tickers)
            if set(tickers) <= _filled(frame):
                return frame
            if any(_is_rate_limit_text(e) for e in errors):
                from yfinance.exceptions import YFRateLimitError

                raise YFRateLimitError()
            network = [e for e in errors if any(m in e for m in _NETWORK_MARKERS)]
            if network and not _filled(frame):  # yf.download logs connection errors instead of raising
                raise ConnectionError(network[0][:200])
            return frame

        return self._retrying(once, deadline)

    def _fx(self, currency: str, deadline: float, rates: dict[str, float] | None = None) -> float:
        """USD per unit; ``rates`` memoises ISO rates within one request (one fetch, one warning)."""
        iso, per_unit = _currency_unit(currency)
        if iso == "USD":
            return 1.0 / per_unit
        if rates is not None and iso in rates:
            return rates[iso] / per_unit
        rate = self._fx_iso(iso, deadline)
        if rates is not None:
            rates[iso] = rate
        return rate / per_unit

    def _fx_iso(self, iso: str, deadline: float) -> float:
        cached = self._cache_read("fx", iso)
        if cached is not None:
            return float(cached["usd_per_unit"])
        outcome = self._run({iso: lambda: self._retrying(lambda: _fetch_fx(iso), deadline)}, deadline,
                            label=f"Fetching {iso} FX", size=1)[iso]
        if not isinstance(outcome, BaseException):
            self._cache_write("fx", iso, {"usd_per_unit": outcome})
            return float(outcome)
        rate = float(self._from_fallback(lambda: self.fallback.fx(iso)))
        self.warnings.append(f"Live FX rate for {iso} unavailable ({_describe(outcome, self)}); "
                             "using the bundled snapshot rate.")
        return rate

    def _fundamental_row(self, raw: dict[str, Any], source: str, deadline: float,
                         rates: dict[str, float]) -> dict[str, Any]:
        """Convert one raw quote (local currencies, units) to a row in USD billions."""

        def usd(amount: Any, currency: Any) -> float | None:
            if amount is None or currency is None or pd.isna(amount):
                return None
            try:
                return float(amount) * self._fx(str(currency), deadline, rates)
            except MarketDataError as error:
                self.warnings.append(str(error))
                return None

        currency = raw.get("currency")
        cap, revenue = usd(raw.get("market_cap"), currency), usd(raw.get("revenue"),
                                                                 raw.get("financial_currency") or currency)
        return _fundamental_row(price=raw.get("price"), currency=currency,
                                price_usd=usd(raw.get("price"), currency),
                                market_cap_usd_bn=None if cap is None else cap / 1e9,
                                revenue_usd_bn=None if revenue is None else revenue / 1e9,
                                as_of=raw.get("as_of"), source=source)

    def _note_unchecked_fund(self, name: str, reason: str) -> None:
        """One warning, updated in place, for every name not known to be a fund that could not be checked."""
        self._unchecked_funds.append(name)
        text = (f"Could not check live whether {', '.join(self._unchecked_funds)} are funds ({reason}); "
                "they are not in the bundled fund holdings either, so they are treated as single stocks.")
        if self._unchecked_at is None:
            self._unchecked_at = len(self.warnings)
            self.warnings.append(text)
        else:
            self.warnings[self._unchecked_at] = text

    def _retrying(self, fetch: Callable[[], Any], deadline: float) -> Any:
        """Call ``fetch``; on a Yahoo rate limit wait ``backoff * 2**k`` s and retry, within the deadline."""
        from yfinance.exceptions import YFRateLimitError

        for attempt in range(self.retries + 1):
            try:
                return fetch()
            except YFRateLimitError:
                delay = self.backoff * 2**attempt
                if attempt == self.retries or time.monotonic() + delay >= deadline:
                    raise
                time.sleep(delay)
        raise AssertionError("unreachable")

    def _run(self, tasks: dict[str, Callable[[], Any]], deadline: float, label: str,
             size: int) -> dict[str, Any]:
        """Run ``tasks`` in daemon threads: each result or exception, ``TimeoutError`` past the deadline.

        When the first answers are all network failures the network is taken as down: the remaining
        tasks, and every request for :attr:`network_backoff` seconds, are skipped (``not tried``).
        """
        if self._offline():
            return dict.fromkeys(tasks, self._not_tried())
        pending: queue.Queue[str] = queue.Queue()
        done: queue.Queue[tuple[str, Any]] = queue.Queue()
        for key in tasks:
            pending.put(key)

        def work() -> None:
            while True:
                try:
                    key = pending.get_nowait()
                except queue.Empty:
                    return
                if self._offline():
                    done.put((key, self._not_tried()))
                    continue
                try:
                    done.put((key, tasks[key]()))
                except Exception as error:  # every failure becomes a fallback, reported by name
                    done.put((key, error))

        for _ in range(min(self.workers, len(tasks))):
            threading.Thread(target=work, daemon=True, name="exposure-market").start()
        results: dict[str, Any] = {}
        failures = successes = 0
        # While a handler is attached, yfinance's own log lines do not reach stderr: our warning says it.
        with _captured_yf_errors(), _progress(label, len(tasks), show=size > PROGRESS_THRESHOLD) as advance:
            while len(results) < len(tasks):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                try:
                    key, value = done.get(timeout=remaining)
                except queue.Empty:
                    break
                results[key] = value
                advance()
                failures, successes = (failures + 1, successes) if _is_network_failure(value) else (
                    failures, successes + 1)
                if successes == 0 and failures >= min(3, len(tasks)):
                    self._trip(value)
        for key in tasks:
            results.setdefault(key, TimeoutError(f"no answer within {self.timeout:g} s"))
        if all(_is_network_failure(v) for v in results.values()):
            self._trip(next(iter(results.values()), None))
        return results

    def _offline(self) -> bool:
        return time.monotonic() < self._offline_until

    def _not_tried(self) -> _NotTried:
        return _NotTried(f"not tried: {self._offline_reason} moments ago")

    def _trip(self, error: Any) -> None:
        """Take the network as down for :attr:`network_backoff` seconds."""
        if isinstance(error, BaseException) and not isinstance(error, _NotTried) and not self._offline():
            self._offline_until = time.monotonic() + self.network_backoff
            self._offline_reason = _describe(error, self)

    def _from_fallback(self, call: Callable[[], Any]) -> Any:
        """Call the fallback provider and pass its own warnings on to the user."""
        seen = len(self.fallback.warnings)
        try:
            return call()
        finally:
            self.warnings.extend(self.fallback.warnings[seen:])

    def _warn(self, kind: str, failed: dict[str, str]) -> None:
        by_reason: dict[str, list[str]] = {}
        for name, reason in failed.items():
            by_reason.setdefault(reason, []).append(name)
        detail = "; ".join(f"{', '.join(names)} ({reason})" for reason, names in by_reason.items())
        self.warnings.append(f"Live {kind} unavailable for {len(failed)} ticker(s), using the bundled "
                             f"snapshot (source 'snapshot') for them: {detail}.")

    # -- cache -------------------------------------------------------------------------------------

    def _cache_path(self, kind: str, key: str) -> Path:
        suffix = ".pkl" if kind == "prices" else ".json"
        return self.cache_dir / kind / (quote(key, safe="") + suffix)

    def _cache_read(self, kind: str, key: str) -> Any:
        """The cached payload if present and younger than the kind's TTL, else None."""
        path = self._cache_path(kind, key)
        if not self.read_cache or not path.is_file():
            return None
        try:
            entry = pd.read_pickle(path) if kind == "prices" else json.loads(path.read_text("utf-8"))
        except Exception:  # a corrupt or foreign file is a miss, refetched and overwritten
            return None
        if self._clock() - float(entry.get("fetched_at", 0.0)) > self.ttl[kind]:
            return None
        return entry["data"]

    def _cache_read_prices(self, ticker: str, start: pd.Timestamp, end: pd.Timestamp) -> pd.Series | None:
        entry = self._cache_read("prices", ticker)
        if entry is None or entry["start"] > start or entry["end"] < end:
            return None
        series = entry["series"]
        return series[(series.index >= start) & (series.index < end)]

    def _cache_write(self, kind: str, key: str, data: Any) -> None:
        """Store atomically; a read-only or full disk only costs the cache, never the request."""
        path = self._cache_path(kind, key)
        entry = {"fetched_at": self._clock(), "data": data}
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.{threading.get_ident()}.tmp")
            if kind == "prices":
                pd.to_pickle(entry, tmp)
            else:
                tmp.write_text(json.dumps(entry, default=str), "utf-8")
            os.replace(tmp, path)
        except OSError as error:
            self.warnings.append(f"Could not write the market-data cache at {path.parent} ({error}).")

    def _today(self) -> str:
        return datetime.fromtimestamp(self._clock(), UTC).date().isoformat()


def default_cache_dir() -> Path:
    """``$EXPOSURE_CACHE_DIR`` if set, else ``~/.cache/exposure``."""
    return Path(os.environ.get("EXPOSURE_CACHE_DIR") or Path.home() / ".cache" / "exposure").expanduser()


def refresh(tickers: Iterable[str], provider: YFinanceProvider | None = None, funds: Iterable[str] = (),
            start: Any = None, end: Any = None) -> pd.DataFrame:
    """Fetch prices, fundamentals (and fund holdings) afresh into the provider's cache.

    Returns one row per ticker or fund with the source each kind ended up from (``live`` means it is
    now cached; ``snapshot`` means the live fetch failed, see ``provider.warnings``).
    """
    provider = provider if provider is not None else YFinanceProvider()
    names, fund_names = _tickers(tickers), _tickers(funds)
    previous, provider.read_cache = provider.read_cache, False
    try:
        table = pd.DataFrame(index=pd.Index(names + fund_names, name="ticker"),
                             columns=["prices", "fundamentals", "holdings"], dtype=object)
        if names:
            table.loc[names, "prices"] = pd.Series(provider.prices(names, start, end).attrs["source"])
            table.loc[names, "fundamentals"] = provider.fundamentals(names)["source"]
        for fund in fund_names:
            holdings = provider.fund_holdings(fund)
            table.loc[fund, "holdings"] = holdings["source"].iloc[0] if not holdings.empty else "missing"
    finally:
        provider.read_cache = previous
    return table


def normalize_download(frame: pd.DataFrame | None, tickers: Iterable[str]) -> pd.DataFrame:
    """Turn any ``yf.download`` layout into adjusted close, index dates (tz-naive), columns tickers.

    Handles MultiIndex ``(field, ticker)`` (``group_by='column'``, the default), ``(ticker, field)``
    (``group_by='ticker'``) and flat single-ticker columns (``multi_level_index=False``, yfinance 0.2).
    Prefers ``Adj Close`` when present (``auto_adjust=False``), else ``Close`` (adjusted when
    ``auto_adjust=True``). Missing tickers are absent or all-NaN columns.
    """
    names = _tickers(tickers)
    if frame is None or frame.empty:
        return pd.DataFrame(index=pd.DatetimeIndex([], name="date"), dtype=float)
    columns = frame.columns
    if isinstance(columns, pd.MultiIndex):
        level = 0 if set(map(str, columns.get_level_values(0))) & _PRICE_FIELDS else 1
        fields = set(map(str, columns.get_level_values(level)))
        by_field = {f: frame.xs(f, axis=1, level=level) for f in ("Adj Close", "Close") if f in fields}
    else:
        if len(names) != 1:
            raise MarketDataError(f"yfinance returned a single-ticker layout for {len(names)} tickers.")
        by_field = {f: frame[[f]].set_axis(names, axis=1) for f in ("Adj Close", "Close") if f in columns}
    if not by_field:
        raise MarketDataError(f"yfinance returned no 'Close' column (columns: {list(columns)}).")
    # A failed ticker brings an all-NaN 'Adj Close' into an auto-adjusted frame: choose per ticker.
    adjusted, close = by_field.get("Adj Close", pd.DataFrame()), by_field.get("Close", pd.DataFrame())
    picked = {}
    for ticker in dict.fromkeys([*map(str, close.columns), *map(str, adjusted.columns)]):
        use_adjusted = ticker in adjusted.columns and (adjusted[ticker].notna().any()
                                                       or ticker not in close.columns)
        picked[ticker.upper()] = (adjusted if use_adjusted else close)[ticker]
    out = pd.DataFrame(picked, index=frame.index)
    index = pd.DatetimeIndex(pd.to_datetime(out.index))
    out.index = (index.tz_localize(None) if index.tz is not None else index).normalize().rename("date")
    out = out.apply(pd.to_numeric, errors="coerce").dropna(how="all").sort_index()
    return out.loc[:, ~out.columns.duplicated()]


# --------------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------------


def _fetch_quote(ticker: str) -> dict[str, Any]:
    """Raw quote from ``Ticker.info`` (backup ``fast_info``): local-currency units, not billions."""
    import yfinance as yf

    handle = yf.Ticker(ticker)
    info = handle.info or {}
    quote_ = {"price": _first(info, "currentPrice", "regularMarketPrice", "previousClose"),
              "currency": info.get("currency"), "market_cap": info.get("marketCap"),
              "revenue": info.get("totalRevenue"), "financial_currency": info.get("financialCurrency"),
              "quote_type": info.get("quoteType")}
    if quote_["price"] is None or quote_["market_cap"] is None or quote_["currency"] is None:
        try:
            fast = handle.fast_info
            pairs = (("price", "lastPrice"), ("market_cap", "marketCap"), ("currency", "currency"))
            for key, fast_key in pairs:
                if quote_[key] is None:
                    quote_[key] = fast[fast_key]
        except (KeyError, TypeError, ValueError, AttributeError):
            pass
    if quote_["price"] is None and quote_["market_cap"] is None:
        raise MarketDataError("no quote returned (unknown symbol?)")
    return {k: (float(v) if isinstance(v, int | float | np.number) else v) for k, v in quote_.items()}


def _fetch_top_holdings(fund: str) -> dict[str, float]:
    import yfinance as yf
    from yfinance.exceptions import YFException, YFRateLimitError

    try:
        table = yf.Ticker(fund).funds_data.top_holdings
    except YFRateLimitError:
        raise
    except (KeyError, IndexError, TypeError, YFException):  # Yahoo has no fund data for a stock
        return {}
    if table is None or table.empty:
        return {}
    weights = table["Holding Percent"] if "Holding Percent" in table.columns else table.iloc[:, -1]
    return {_ticker(symbol): float(weight) for symbol, weight in weights.items()}


def _fetch_fx(iso: str) -> float:
    import yfinance as yf

    rate = yf.Ticker(f"{iso}USD=X").fast_info["lastPrice"]
    if rate is None or not np.isfinite(rate) or rate <= 0:
        raise MarketDataError(f"no FX quote for {iso}USD=X")
    return float(rate)


class _captured_yf_errors:
    """Collect yfinance's logged errors during a call (``download`` logs failures instead of raising)."""

    def __enter__(self) -> list[str]:
        import logging

        self.messages: list[str] = []
        outer = self

        class Collect(logging.Handler):
            def emit(self, record: logging.LogRecord) -> None:
                outer.messages.append(record.getMessage())

        self.handler, self.logger = Collect(logging.ERROR), logging.getLogger("yfinance")
        self.logger.addHandler(self.handler)
        return self.messages

    def __exit__(self, *exc: object) -> None:
        self.logger.removeHandler(self.handler)


class _NotTried(ConnectionError):
    """A live fetch skipped because the network failed moments before."""


_NETWORK_MARKERS = ("DNSError", "Could not resolve", "ConnectionError", "Timeout", "timed out", "curl: (")


def _is_network_failure(outcome: Any) -> bool:
    """A failure of the connection (not of the symbol): worth pausing live fetches for."""
    return isinstance(outcome, OSError | TimeoutError) or type(outcome).__name__ == "YFRateLimitError"


def _is_rate_limit_text(message: str) -> bool:
    return "RateLimit" in message or "Too Many Requests" in message


def _filled(frame: pd.DataFrame) -> set[str]:
    return {c for c in frame.columns if frame[c].notna().any()}


def _progress(label: str, total: int, show: bool) -> Any:
    """A rich progress bar on stderr when ``show`` and stderr is a terminal; else a no-op advance."""
    if not (show and sys.stderr.isatty()):
        return nullcontext(lambda: None)
    from rich.console import Console
    from rich.progress import Progress

    class _Bar:
        def __enter__(self) -> Callable[[], None]:
            self.progress = Progress(console=Console(stderr=True), transient=True)
            self.progress.__enter__()
            task = self.progress.add_task(label, total=total)
            return lambda: self.progress.advance(task)

        def __exit__(self, *exc: object) -> None:
            self.progress.__exit__(None, None, None)

    return _Bar()


def _describe(error: BaseException, provider: YFinanceProvider) -> str:
    """One short reason for the user."""
    if isinstance(error, _NotTried | TimeoutError):
        return str(error) or f"no answer within {provider.timeout:g} s"
    if type(error).__name__ == "YFRateLimitError":
        return f"rate-limited by Yahoo after {provider.retries} retries"
    if isinstance(error, OSError):
        return f"network error: {type(error).__name__}"
    return str(error) or type(error).__name__


def _tickers(tickers: Iterable[str] | str) -> list[str]:
    """Upper-case, stripped, de-duplicated, order kept; a single string is one ticker."""
    items = [tickers] if isinstance(tickers, str) else list(tickers)
    return list(dict.fromkeys(_ticker(t) for t in items if str(t).strip()))


def _ticker(ticker: Any) -> str:
    return str(ticker).strip().upper()


def _currency_unit(currency: str) -> tuple[str, float]:
    """ISO code and sub-units per ISO unit (``GBp`` -> ``('GBP', 100)``)."""
    text = str(currency).strip()
    if text in SUBUNIT_CURRENCIES:
        return SUBUNIT_CURRENCIES[text]
    return text.upper(), 1.0


def _date_range(start: Any, end: Any) -> tuple[pd.Timestamp, pd.Timestamp]:
    last = pd.Timestamp(end).normalize() if end is not None else pd.Timestamp(date.today())
    first = (pd.Timestamp(start).normalize() if start is not None
             else last - timedelta(days=DEFAULT_HISTORY_DAYS))
    if first >= last:
        raise MarketDataError(f"Price range is empty: start {first.date()} is not before end {last.date()}.")
    return first, last


def _num(row: pd.Series | None, column: str) -> float | None:
    if row is None or column not in row or pd.isna(row[column]):
        return None
    return float(row[column])


def _first(mapping: dict[str, Any], *keys: str) -> Any:
    return next((mapping[k] for k in keys if mapping.get(k) is not None), None)


def _fundamental_row(**values: Any) -> dict[str, Any]:
    row = dict.fromkeys(FUNDAMENTAL_COLUMNS)
    row.update({"source": "missing", **values})
    return row


def _fundamentals_frame(rows: dict[str, dict[str, Any]], names: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame.from_dict(rows, orient="index").reindex(index=names, columns=FUNDAMENTAL_COLUMNS)
    for column in ("price", "price_usd", "market_cap_usd_bn", "revenue_usd_bn"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
    frame.index.name = "ticker"
    return frame


def _holdings_frame(records: list[dict[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(records, columns=HOLDING_COLUMNS)
    frame["weight"] = frame["weight"].astype(float)
    return frame
