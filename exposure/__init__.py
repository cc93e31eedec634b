"""exposure: how much of a portfolio really rides on a handful of AI-infrastructure hubs.

Quick start::

    import exposure as ex
    web = ex.DealWeb.bundled()
    pf = ex.Portfolio.from_weights({"ORCL": 0.4, "CRWV": 0.3, "AMD": 0.3})
    report = ex.analyze(pf, web)
    report.hubs.head(), report.score, report.paths("openai")

Heavy libraries (cvxpy, yfinance, matplotlib) are imported only by the functions that use them.
"""

from __future__ import annotations

import sys
import warnings
from types import ModuleType
from typing import TYPE_CHECKING, Any

from exposure import contagion
from exposure.analyze import analyze, build_context
from exposure.dealweb import DealWeb
from exposure.errors import (
    ConstraintError,
    DealWebError,
    ExposureError,
    InfeasibleError,
    MarketDataError,
    MissingDependencyError,
    OutputError,
    PortfolioError,
    ScenarioError,
)
from exposure.portfolio import Portfolio
from exposure.report import ExposureReport
from exposure.scenarios import StressResult, load_scenarios, stress
from exposure.taxonomy import DealType, Layer, Status

__version__ = "0.1.0"

# Public names that live in modules with heavy imports, loaded on first use.
_LAZY = {
    "Company": "exposure.models",
    "Deal": "exposure.models",
    "ExposureModel": "exposure.models",
    "suggest": "exposure.optimize",
    "frontier": "exposure.optimize",
    "Constraints": "exposure.optimize",
    "Suggestion": "exposure.optimize",
    "SnapshotProvider": "exposure.market",
    "YFinanceProvider": "exposure.market",
    "refresh": "exposure.market",
    "RiskModel": "exposure.risk",
    "analyze_many": "exposure.batch",
    "score_accounts": "exposure.batch",
    "batch": "exposure.batch",
    "plots": "exposure.plots",
    "hub_loadings": "exposure.loadings",
}

if TYPE_CHECKING:  # pragma: no cover
    from exposure.market import SnapshotProvider, YFinanceProvider  # noqa: F401


class _RenamedModule(ModuleType):
    """``exposure.stress`` as a module: the engine's old name, now :mod:`exposure.contagion`.

    ``from exposure.stress import linear_debtrank`` keeps working with a DeprecationWarning, while the
    package attribute ``exposure.stress`` stays the function :func:`exposure.stress`.
    """

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):  # the import system probing (``__path__``, ...), not a user
            raise AttributeError(name)
        warnings.warn("the module exposure.stress is now exposure.contagion; import from there "
                      "(ex.stress stays the stress-test function)", DeprecationWarning, stacklevel=2)
        return getattr(contagion, name)


sys.modules.setdefault(f"{__name__}.stress", _RenamedModule(f"{__name__}.stress"))


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        module = importlib.import_module(_LAZY[name])
        return module if module.__name__ == f"exposure.{name}" else getattr(module, name)
    raise AttributeError(f"module 'exposure' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "ConstraintError", "DealType", "DealWeb", "DealWebError", "ExposureError", "ExposureReport",
    "InfeasibleError", "Layer", "MarketDataError", "MissingDependencyError", "OutputError", "Portfolio",
    "PortfolioError", "ScenarioError", "Status", "StressResult", "analyze", "build_context", "load_scenarios",
    "stress", *_LAZY,
]
