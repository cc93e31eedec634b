"""The bundled, sourced snapshot of prices, company figures, fund holdings and FX rates (offline default)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from exposure.errors import MarketDataError
from exposure.market.fund_aliases import FundAlias, parse_aliases, resolve
from exposure.market.protocol import (
    _currency_unit,
    _fundamental_row,
    _fundamentals_frame,
    _holdings_frame,
    _num,
    _ticker,
    _tickers,
)

_BUNDLED_CACHES: tuple[dict, dict, dict, dict, dict, dict] = ({}, {}, {}, {}, {}, {})


class SnapshotProvider:
    """The bundled, sourced CSVs in ``exposure/data``: offline, reproducible, dated.

    Parameters
    ----------
    data_dir : path, optional
        A folder holding ``prices.csv``, ``companies.csv``, ``fund_holdings.csv``, ``fx.csv`` and
        ``aliases.csv`` in the bundled formats, and optionally ``fund_aliases.csv`` (funds looked through with
        another fund's holdings, see :mod:`exposure.market.fund_aliases`). Default: the package's own
        ``exposure/data``.

    Notes
    -----
    A missing file is read as an empty table and adds one warning, so the offline default never
    crashes; unknown tickers come back as rows of NaN with ``source='missing'`` and a warning.
    """

    def __init__(self, data_dir: str | os.PathLike[str] | None = None) -> None:
        self.data_dir = Path(data_dir) if data_dir is not None else None
        self.warnings: list[str] = []
        # The bundled files never change while a process runs: every default provider shares one parse.
        caches = _BUNDLED_CACHES if data_dir is None else ({}, {}, {}, {}, {}, {})
        self._tables: dict[str, pd.DataFrame] = caches[0]
        self._indexes: dict[tuple[str, str], dict[str, pd.Series]] = caches[1]
        self._groups: dict[tuple[str, str], dict[str, pd.DataFrame]] = caches[2]
        self._fund_rows: dict[str, list[dict[str, Any]]] = caches[3]  # fund -> its holdings, as records
        self._fund_aliases: dict[str, FundAlias] = caches[4]  # ticker -> the fund whose holdings it uses
        self._securities: dict[str, frozenset[str]] = caches[5]  # "": securities(), computed once

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
                as_of=str(_dated(quote_row, company)["as_of"]), source="snapshot")
        self._warn_missing("fundamentals", missing)
        return _fundamentals_frame(rows, names)

    def fund_holdings(self, fund: str) -> pd.DataFrame:
        """The bundled holdings of ``fund`` (often its top holdings only); empty if not bundled.

        A fund listed in ``fund_aliases.csv`` gets the holdings of the fund it aliases, and a line in
        ``warnings`` names both (and, for an index tracker, says the holdings are assumed equal).
        """
        rows = self._holdings_rows()
        name = _ticker(fund)
        holder, problem = resolve(name, self._aliases(), set(rows) - {""})
        if problem is not None:
            self.warnings.append(f"fund_aliases.csv: {problem} {name} is not looked through.")
        elif holder is not None and holder != name:
            self.warnings.append(self._fund_aliases[name].note(holder))
        frames = self._groups.setdefault(("fund_holdings", "fund"), {})
        key = holder or ""
        if key not in frames:
            frames[key] = _holdings_frame(rows[key])
        return frames[key].copy() if key else frames[key]  # not a bundled fund: one shared empty frame

    def funds(self) -> set[str]:
        """Tickers of the funds whose holdings are bundled, or that alias one (so callers need not ask per ticker)."""
        own = set(self._holdings_rows()) - {""}
        return own | {t for t in self._aliases() if t and resolve(t, self._fund_aliases, own)[0] is not None}

    def _holdings_rows(self) -> dict[str, list[dict[str, Any]]]:
        """Fund -> its holdings as records, read in one pass over the file (``""``: no holdings, always present)."""
        if not self._fund_rows:
            table = self._table("fund_holdings")
            table = table if table.empty else table[table["fund"].notna()]
            # Whole columns as Python objects at once: iterating pandas' Arrow-backed strings row by row is slow.
            columns = [] if table.empty else [table[c].to_numpy(dtype=object).tolist()
                                              for c in ("fund", "ticker", "weight", "as_of")]
            for fund, ticker, weight, as_of in zip(*columns, strict=True):
                self._fund_rows.setdefault(_ticker(fund), []).append(
                    {"ticker": _ticker(ticker), "weight": float(weight), "as_of": str(as_of), "source": "snapshot"})
            self._fund_rows.setdefault("", [])  # read, even when empty
        return self._fund_rows

    def _aliases(self) -> dict[str, FundAlias]:
        """``fund_aliases.csv`` parsed once; an absent file means no aliases (it is optional)."""
        if not self._fund_aliases:
            table = self._read("fund_aliases", optional=True)
            self._fund_aliases.update(parse_aliases([] if table.empty else table.to_dict("records")))
            self._fund_aliases.setdefault("", FundAlias("", "", "", "", ""))  # read, even when empty
        return self._fund_aliases

    def securities(self) -> set[str]:
        """Tickers the snapshot knows as listed securities outside any fund look-through: every holding named by
        a bundled fund and every priced ticker. A user holding one that is not in the deal web holds a known
        non-AI name (``outside_web``), not a possible typo (``unmapped``)."""
        if "" not in self._securities:  # the snapshot does not change: one pass over its two tables
            named: set[str] = set()
            for name in ("fund_holdings", "prices"):
                table = self._table(name)
                named |= set() if table.empty else {_ticker(t) for t in table["ticker"].dropna().tolist()}
            self._securities[""] = frozenset(named)
        return set(self._securities[""])

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

    def _read(self, name: str, optional: bool = False) -> pd.DataFrame:
        filename = f"{name}.csv"
        if self.data_dir is not None:
            path: Any = self.data_dir / filename
        else:
            path = resources.files("exposure") / "data" / filename
        if not path.is_file():
            if optional:
                return pd.DataFrame()
            self.warnings.append(f"Snapshot file {filename} is missing; its data is treated as empty.")
            return pd.DataFrame()
        with path.open("r", encoding="utf-8") as handle:
            return pd.read_csv(handle, dtype={"ticker": str, "as_of": str, "currency": str})

    def _warn_missing(self, kind: str, names: list[str]) -> None:
        if names:
            self.warnings.append(f"No bundled snapshot {kind} for {', '.join(names)}; their values are NaN "
                                 "(source 'missing'). Fix: add them to the snapshot files or use live data.")



def _dated(quote_row: pd.Series | None, company: pd.Series | None) -> pd.Series:
    """The row whose ``as_of`` dates a snapshot answer: the quote's, else the company's (one of them exists)."""
    row = quote_row if quote_row is not None else company
    assert row is not None
    return row
