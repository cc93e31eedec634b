"""Broker export readers: each module has ``NAME``, ``detect(lines)`` and ``read(lines, source)``.

:func:`detect` returns the reader whose detector accepts the file's first lines, or None (the generic
reader then reads the file as a plain table).
"""

from __future__ import annotations

from types import ModuleType

from exposure.holdings.brokers import (
    avanza,
    degiro,
    etrade,
    fidelity,
    futu,
    hargreaves,
    ibkr,
    ibkr_tws,
    merrill,
    portfolio_performance,
    schwab,
    thinkorswim,
    trading212,
    vanguard,
    wealthsimple,
    yahoo,
    zerodha,
)

#: Readable names of the layouts, for messages.
LABELS = {"schwab": "Schwab positions", "etrade": "E*TRADE PortfolioDownload", "ibkr": "Interactive Brokers",
          "vanguard": "Vanguard OfxDownload", "fidelity": "Fidelity positions", "degiro": "DEGIRO portfolio",
          "merrill": "Merrill holdings", "wealthsimple": "Wealthsimple holdings report",
          "zerodha": "Zerodha Kite holdings", "trading212": "Trading 212 Pie",
          "yahoo": "Yahoo Finance portfolio export", "hargreaves": "Hargreaves Lansdown account summary",
          "thinkorswim": thinkorswim.LABEL, "ibkr_tws": ibkr_tws.LABEL,
          "futu": futu.LABEL, "portfolio_performance": portfolio_performance.LABEL,
          "avanza": avanza.LABEL}
READERS: tuple[ModuleType, ...] = (schwab, etrade, ibkr, vanguard, fidelity, degiro, merrill, wealthsimple, zerodha,
                                   trading212, yahoo, hargreaves, thinkorswim, ibkr_tws, futu,
                                   portfolio_performance, avanza)


def detect(lines: list[str]) -> ModuleType | None:
    """The reader module for a file's lines, or None when no broker layout is recognized."""
    head = lines[:60]
    return next((reader for reader in READERS if reader.detect(head)), None)
