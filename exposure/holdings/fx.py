"""Currency conversion of holdings to one base currency at the dated rates of ``exposure/data/fx.csv``.

Amounts in two currencies are never added as they stand: every non-base amount is converted, and
:meth:`Converter.notes` names each rate used, its date and its source, so the output says how a
number was obtained.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Protocol

from exposure.errors import ExposureError, PortfolioError, located

#: Currency symbols and spellings brokers write, to ISO 4217 codes.
SYMBOLS = {"$": "USD", "US$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "₩": "KRW", "C$": "CAD", "CA$": "CAD",
           "HK$": "HKD", "NT$": "TWD", "CHF": "CHF"}
#: Sub-units quoted by some exchanges (London pence): code -> (ISO code, units per ISO unit).
SUB_UNITS = {"GBX": ("GBP", 100.0), "GBP.": ("GBP", 100.0), "ZAC": ("ZAR", 100.0), "ILA": ("ILS", 100.0)}


@dataclass(frozen=True)
class Rate:
    """US dollars per one unit of ``currency`` on ``as_of``, with the page that gave it."""

    currency: str
    usd_per_unit: float
    as_of: str
    source_url: str


def iso_code(text: str) -> str:
    """ISO code for a currency cell: ``€`` -> ``EUR``, ``usd`` -> ``USD``, ``GBp`` -> ``GBX`` (pence)."""
    raw = text.strip()
    if raw == "GBp":
        return "GBX"
    return SYMBOLS.get(raw, SYMBOLS.get(raw.upper(), raw.upper()))


class FxSource(Protocol):
    """What :func:`live_rates` needs from a market provider (:class:`~exposure.market.YFinanceProvider`)."""

    def fx(self, currency: str) -> float:
        """USD per one unit of ``currency``."""
        ...


class RateTable(dict[str, Rate]):
    """Rates by ISO code that remember every code looked up: reading a file once with it tells which
    currencies the file needs (``--live`` then asks only for those)."""

    def __init__(self, rates: dict[str, Rate]) -> None:
        super().__init__(rates)
        self.asked: set[str] = set()

    def get(self, key: str, default: Any = None) -> Any:  # the lookup Converter makes
        """The rate of ``key`` (or ``default``), noting that ``key`` was asked for."""
        self.asked.add(key)
        return super().get(key, default)


def bundled_rates() -> dict[str, Rate]:
    """The rates of ``exposure/data/fx.csv`` by ISO code."""
    data = (resources.files("exposure") / "data" / "fx.csv").read_text(encoding="utf-8")
    return {row["currency"].strip().upper(): Rate(row["currency"].strip().upper(), float(row["usd_per_unit"]),
                                                  row["as_of"].strip(), row["source_url"].strip())
            for row in csv.DictReader(io.StringIO(data))}


@dataclass
class Converter:
    """Converts amounts to ``base`` and remembers which rates it used (for the notes)."""

    base: str = "USD"
    rates: dict[str, Rate] = field(default_factory=bundled_rates)
    used: dict[str, Rate] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.base = iso_code(self.base)
        self._usd_per_unit(self.base, source="--base-currency", row=None)

    def convert(self, amount: float, currency: str, *, source: str = "<input>", row: int | None = None) -> float:
        """``amount`` of ``currency`` in the base currency."""
        code = iso_code(currency) if currency else self.base
        if code == self.base:
            return amount
        return amount * self._usd_per_unit(code, source=source, row=row) / self._usd_per_unit(self.base, source=source,
                                                                                               row=row)

    def _usd_per_unit(self, code: str, *, source: str, row: int | None) -> float:
        iso, per = SUB_UNITS.get(code, (code, 1.0))
        if iso == "USD":
            return 1.0 / per
        rate = self.rates.get(iso)
        if rate is None:
            known = ", ".join(sorted(self.rates))
            raise PortfolioError(located(f"no exchange rate for {code} (rates known: {known})", file=source, row=row,
                                         column="currency",
                                         fix="add a dated, sourced row to exposure/data/fx.csv, or convert the "
                                             "amounts to a known currency first."))
        if iso != self.base:
            self.used[iso] = rate
        return rate.usd_per_unit / per

    def notes(self) -> list[str]:
        """One note naming every rate used, with its date and source."""
        if not self.used:
            return []
        parts = []
        for code, rate in sorted(self.used.items()):
            if self.base == "USD":
                parts.append(f"{code} at {rate.usd_per_unit:.6g} USD per {code} ({rate.as_of}, {rate.source_url})")
            else:
                parts.append(f"{code} at {rate.usd_per_unit:.6g} USD per {code} ({rate.as_of})")
        if self.base != "USD":
            own = self.rates[self.base] if self.base in self.rates else None
            if own is not None:
                parts.append(f"{self.base} at {own.usd_per_unit:.6g} USD per {self.base} ({own.as_of})")
        return [f"converted to {self.base}: " + "; ".join(parts) + "."]


def base_iso(code: str) -> str:
    """The ISO currency of a code or sub-unit (``GBX`` -> ``GBP``)."""
    return SUB_UNITS.get(code, (code, 1.0))[0]


def live_rates(provider: FxSource, currencies: Iterable[str], today: str) -> tuple[dict[str, Rate], str | None]:
    """Rates to convert with under ``--live``: live ones for ``currencies``, or the bundled ones for all.

    Each currency (symbols and sub-units allowed; USD needs none) is asked of ``provider.fx``, within the
    provider's own timeout and cache. A rate counts as live when the provider says it came from the network
    or its cache (``provider.fx_sources``). If any currency has no live rate, every amount is converted at
    the bundled ``fx.csv`` rates, never a mix of live and bundled rates, and the second value is a note
    saying so; otherwise the note is None and the live rates (dated ``today``) name themselves in
    :meth:`Converter.notes`.
    """
    bundled = bundled_rates()
    wanted = sorted({base_iso(iso_code(c)) for c in currencies if str(c).strip()} - {"USD"})
    live: dict[str, Rate] = {}
    failed: dict[str, str] = {}
    sources: dict[str, str] = getattr(provider, "fx_sources", {})
    for iso in wanted:
        try:
            rate = float(provider.fx(iso))
        except (ExposureError, OSError, ValueError) as error:
            failed[iso] = str(error).splitlines()[0][:120] or type(error).__name__
            continue
        source = sources.get(iso, "live")
        if source not in ("live", "cache") or not (math.isfinite(rate) and rate > 0):
            failed[iso] = (source.removeprefix("snapshot (").removesuffix(")") if source not in ("live", "cache")
                           else f"unusable rate {rate!r}")
            continue
        label = "fetched now" if source == "live" else "cached, under a day old"
        live[iso] = Rate(iso, rate, today, f"Yahoo Finance {iso}USD=X, live ({label})")
    if failed:
        reasons = "; ".join(f"{iso}: {why}" for iso, why in failed.items())
        return bundled, (f"--live: no live exchange rate for {', '.join(failed)} ({reasons}); every amount is "
                         "converted at the bundled fx.csv rates instead (the conversion note names them), not a "
                         "mix of live and bundled rates.")
    return {**bundled, **live}, None


def price_notes(figures: Any, tickers: Iterable[str], base: str = "USD",
                rates: dict[str, Rate] | None = None) -> list[str]:
    """Notes naming each non-USD share price used to value shares, its date and the rate that made it USD,
    and the rate that took the USD values to ``base`` (from ``rates``, else ``fx.csv``).

    ``figures`` is a provider's fundamentals frame (index ticker; ``price``, ``currency``, ``price_usd``,
    ``as_of``, ``source``). Snapshot prices were converted at the ``fx.csv`` rate, whose date and source
    are named; live prices at the provider's rate (its warnings say when that fell back to the snapshot).
    """
    bundled = bundled_rates()
    notes = []
    parts = []
    for ticker in dict.fromkeys(tickers):
        if ticker not in figures.index:
            continue
        row = figures.loc[ticker]
        price, price_usd, currency = row["price"], row["price_usd"], row["currency"]
        if not isinstance(currency, str) or not price or price != price or price_usd != price_usd:
            continue
        code = iso_code(currency)
        iso, per_unit = SUB_UNITS.get(code, (code, 1.0))
        if iso == "USD":
            continue
        usd_per_unit = float(price_usd) / float(price) * per_unit
        rate = bundled.get(iso)
        when = (f"fx.csv rate of {rate.as_of}, {rate.source_url}" if row["source"] == "snapshot" and rate
                else f"{row['source']} rate")
        parts.append(f"{ticker} {float(price):,.6g} {code} ({row['as_of']}) = {float(price_usd):,.2f} USD at "
                     f"{usd_per_unit:.6g} USD per {iso} ({when})")
    if parts:
        notes.append("shares priced in other currencies, converted to USD: " + "; ".join(parts) + ".")
    base_rate = (rates if rates is not None else bundled).get(base_iso(iso_code(base)))
    if base_rate is not None and base_rate.currency != "USD":
        notes.append(f"share values in USD converted to {base_rate.currency} at {base_rate.usd_per_unit:.6g} USD per "
                     f"{base_rate.currency} ({base_rate.as_of}, {base_rate.source_url}).")
    return notes
