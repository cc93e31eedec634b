"""Talking to Yahoo Finance through yfinance (imported on first use): raw fetches, layouts, failure kinds."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from contextlib import nullcontext
from typing import Any

import numpy as np
import pandas as pd

from exposure.errors import MarketDataError
from exposure.market.protocol import _first, _ticker, _tickers

#: Above this many names a progress bar is shown (when stderr is a terminal).
PROGRESS_THRESHOLD = 20
_PRICE_FIELDS = {"Adj Close", "Close", "Open", "High", "Low", "Volume", "Dividends", "Stock Splits",
                 "Capital Gains", "Repaired?"}


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


def _describe(error: BaseException, provider: Any) -> str:
    """One short reason for the user (``provider``: the YFinanceProvider, for its timeout and retries)."""
    if isinstance(error, _NotTried | TimeoutError):
        return str(error) or f"no answer within {provider.timeout:g} s"
    if type(error).__name__ == "YFRateLimitError":
        return f"rate-limited by Yahoo after {provider.retries} retries"
    if isinstance(error, OSError):
        return f"network error: {type(error).__name__}"
    return str(error) or type(error).__name__

