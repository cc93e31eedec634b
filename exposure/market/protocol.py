"""What every market-data provider offers (:class:`MarketData`), the column contracts, and shared helpers."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any, Protocol, runtime_checkable

import pandas as pd

from exposure.errors import MarketDataError

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


@runtime_checkable
class MarketData(Protocol):
    """What :func:`exposure.analyze` and the optimizer need from a market-data source."""

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
