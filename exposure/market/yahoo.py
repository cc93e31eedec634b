"""Live Yahoo Finance data through yfinance, cached on disk (JSON, validated), falling back to the snapshot."""

from __future__ import annotations

import os
import queue
import threading
import time
import warnings as _warnings
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd

from exposure._optional import require
from exposure.errors import ExposureError, LiveDataWarning, MarketDataError
from exposure.market import cache
from exposure.market.fetch import (
    _NETWORK_MARKERS,
    PROGRESS_THRESHOLD,
    _captured_yf_errors,
    _describe,
    _fetch_fx,
    _fetch_quote,
    _fetch_top_holdings,
    _filled,
    _is_network_failure,
    _is_rate_limit_text,
    _NotTried,
    _progress,
    normalize_download,
)
from exposure.market.protocol import (
    DEFAULT_TTL,
    MarketData,
    _currency_unit,
    _date_range,
    _fundamental_row,
    _fundamentals_frame,
    _holdings_frame,
    _ticker,
    _tickers,
)
from exposure.market.snapshot import SnapshotProvider


class YFinanceProvider:
    """Live Yahoo Finance data through yfinance, cached on disk, falling back to the snapshot.

    Parameters
    ----------
    cache_dir : path, optional
        Where cached entries live (JSON, validated). Default: :func:`default_cache_dir` (``$EXPOSURE_CACHE_DIR``, else
        the platform cache folder from platformdirs).
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
        self.cache_dir = cache.default_cache_dir() if cache_dir is None else Path(cache_dir).expanduser()
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
        #: Where each FX rate came from, by ISO code: ``live``, ``cache`` or ``snapshot (<why>)`` (the fallback).
        self.fx_sources: dict[str, str] = {}
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
        #: Tickers Yahoo (or the cache) returned a quote for: known listed securities, not possible typos.
        self._quoted: set[str] = set()

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
            tasks: dict[str, Callable[[], Any]] = {
                n: partial(self._retrying, partial(_fetch_quote, n), deadline) for n in todo}
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
        self._quoted.update(raw)
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
                self._say(f"Live holdings of {name} unavailable ({_describe(outcome, self)}); "
                                     f"using the bundled snapshot (as of {frame['as_of'].iloc[0]}).")
            return _holdings_frame(frame.to_dict("records"))
        if not outcome:  # Yahoo has no fund data: a stock. Remembered for the holdings TTL.
            self._cache_write("holdings", name, [])
            return _holdings_frame([])
        records = [{"ticker": t, "weight": w, "as_of": self._today()} for t, w in outcome.items()]
        self._cache_write("holdings", name, records)
        self._say(f"Live holdings of {name} are Yahoo's top {len(records)} only "
                             f"({sum(outcome.values()):.0%} of the fund); the rest is not looked through.")
        return _holdings_frame([{**r, "source": "live"} for r in records])

    @property
    def quoted(self) -> frozenset[str]:
        """Tickers whose fundamentals came from Yahoo (now or from the on-disk cache), not from the snapshot: an
        output may call its market figures live only when this is not empty."""
        return frozenset(self._quoted)

    def securities(self) -> set[str]:
        """Tickers known as listed securities: the fallback's (the snapshot's priced and fund-held names) and
        every ticker quoted live or from the cache, so ``--live`` never turns a known name (KO) into a
        possible typo that the snapshot run counts as a known non-AI holding."""
        known: set[str] = set(getattr(self.fallback, "securities", set)())
        return known | self._quoted

    def funds(self) -> set[str]:
        """The fallback's funds with bundled holdings (or aliases of one), for "did you mean" suggestions."""
        return set(getattr(self.fallback, "funds", set)())

    def fx(self, currency: str) -> float:
        """USD per unit of ``currency`` (live ``XXXUSD=X``, cached for a day; snapshot on failure)."""
        return self._fx(currency, time.monotonic() + self.timeout)

    # -- fetching ----------------------------------------------------------------------------------

    def _download(self, tickers: list[str], start: pd.Timestamp, end: pd.Timestamp,
                  deadline: float) -> pd.DataFrame:
        """One batched ``yf.download`` (with rate-limit retries), normalized to dates x tickers."""
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
        """USD per unit; ``rates`` memoizes ISO rates within one request (one fetch, one warning)."""
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
            self.fx_sources[iso] = "cache"
            return float(cached["usd_per_unit"])
        outcome = self._run({iso: lambda: self._retrying(lambda: _fetch_fx(iso), deadline)}, deadline,
                            label=f"Fetching {iso} FX", size=1)[iso]
        if not isinstance(outcome, BaseException):
            self._cache_write("fx", iso, {"usd_per_unit": outcome})
            self.fx_sources[iso] = "live"
            return float(outcome)
        reason = _describe(outcome, self)
        self.fx_sources[iso] = f"snapshot ({reason})"
        rate = float(self._from_fallback(lambda: self.fallback.fx(iso)))
        self._say(f"Live FX rate for {iso} unavailable ({reason}); using the bundled snapshot rate.")
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
                self._say(str(error))
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
        self._say(f"Live {kind} unavailable for {len(failed)} ticker(s), using the bundled "
                             f"snapshot (source 'snapshot') for them: {detail}.")

    # -- cache (exposure.market.cache: JSON only, validated) -------------------------------------------

    def _cache_read(self, kind: str, key: str) -> Any:
        """The cached payload if present, valid and younger than the kind's TTL, else None.

        An invalid entry (corrupt, wrong shape, poisoned values, from the future) is a miss with one warning.
        """
        if not self.read_cache:
            return None
        path = cache.entry_path(self.cache_dir, kind, key)
        try:
            return cache.read_entry(path, kind, now=self._clock(), ttl=self.ttl[kind])
        except cache.BadEntry as error:
            reason = str(error).rstrip(".")
            self._say(f"Ignored the cached {kind} of {key} ({path.name}): {reason}. It is fetched again.")
            return None

    def _cache_read_prices(self, ticker: str, start: pd.Timestamp, end: pd.Timestamp) -> pd.Series | None:
        entry = self._cache_read("prices", ticker)
        if entry is None:
            return None
        first, last, series = cache.prices_series(entry)
        if first > start or last < end:
            return None
        return series[(series.index >= start) & (series.index < end)]

    def _cache_write(self, kind: str, key: str, data: Any) -> None:
        """Store atomically; a read-only or full disk only costs the cache, never the request."""
        path = cache.entry_path(self.cache_dir, kind, key)
        try:
            cache.write_entry(path, kind, data, now=self._clock())
        except (OSError, ExposureError) as error:
            self._say(f"Could not write the market-data cache at {path.parent} ({error}).")

    def _say(self, text: str) -> None:
        """One warning: listed in ``.warnings`` (the CLI prints those) and raised as a :class:`LiveDataWarning`."""
        self.warnings.append(text)
        _warnings.warn(text, LiveDataWarning, stacklevel=3)

    def _today(self) -> str:
        return datetime.fromtimestamp(self._clock(), UTC).date().isoformat()




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

