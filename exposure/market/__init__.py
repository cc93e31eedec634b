"""Market data: the bundled snapshot (default, offline) and live Yahoo Finance data (cached, fail-safe).

Every provider follows :class:`MarketData`. Every value says where it came from: ``live`` (fetched now),
``cache`` (fetched earlier, still fresh), ``snapshot`` (the bundled CSVs with their as-of dates) or
``missing`` (no source knows the ticker). When live data fails for some names, :class:`YFinanceProvider`
uses the snapshot for exactly those names and appends one warning naming them to ``.warnings``: never a
silent mix, never a hang.

Modules: :mod:`~exposure.market.protocol` (the :class:`MarketData` protocol, column contracts),
:mod:`~exposure.market.snapshot` (bundled CSVs), :mod:`~exposure.market.yahoo` (live provider, ``refresh``),
:mod:`~exposure.market.fetch` (yfinance calls), :mod:`~exposure.market.cache` (JSON cache, no pickle).
Fallbacks and ignored cache entries are also raised as :class:`LiveDataWarning` through :mod:`warnings`.

Examples
--------
>>> from exposure.market import SnapshotProvider
>>> snap = SnapshotProvider()
>>> snap.fundamentals(["NVDA"])[["market_cap_usd_bn", "source"]]  # doctest: +SKIP
"""

from __future__ import annotations

from exposure.errors import LiveDataWarning
from exposure.market.cache import SCHEMA_VERSION, default_cache_dir
from exposure.market.fetch import normalize_download
from exposure.market.protocol import (
    DEFAULT_HISTORY_DAYS,
    DEFAULT_TTL,
    FUNDAMENTAL_COLUMNS,
    HOLDING_COLUMNS,
    SUBUNIT_CURRENCIES,
    MarketData,
)
from exposure.market.snapshot import SnapshotProvider
from exposure.market.yahoo import YFinanceProvider, refresh

__all__ = [
    "DEFAULT_HISTORY_DAYS",
    "DEFAULT_TTL",
    "FUNDAMENTAL_COLUMNS",
    "HOLDING_COLUMNS",
    "SCHEMA_VERSION",
    "SUBUNIT_CURRENCIES",
    "LiveDataWarning",
    "MarketData",
    "SnapshotProvider",
    "YFinanceProvider",
    "default_cache_dir",
    "normalize_download",
    "refresh",
]
