"""Currency conversion of holdings to one base currency at the dated rates of ``exposure/data/fx.csv``.

Amounts in two currencies are never added as they stand: every non-base amount is converted, and
:meth:`Converter.notes` names each rate used, its date and its source, so the output says how a
number was obtained.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from importlib import resources

from exposure.errors import PortfolioError, located

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
