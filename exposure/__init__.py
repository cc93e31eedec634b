"""exposure: how much of a portfolio really rides on a handful of AI-infrastructure hubs.

Quick start::

    import exposure as ex
    web = ex.DealWeb.bundled()
    pf = ex.Portfolio.from_weights({"ORCL": 0.4, "CRWV": 0.3, "AMD": 0.3})
    report = ex.analyze(pf, web)
    report.hubs.head(), report.score, report.paths("openai")

Heavy libraries (cvxpy, yfinance, matplotlib) are imported only by the functions that use them, and the
public names below are loaded on first use: ``import exposure`` alone imports neither numpy nor pandas.
"""

from __future__ import annotations

import importlib
import sys
import warnings
from types import ModuleType
from typing import TYPE_CHECKING, Any

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
from exposure.taxonomy import DealType, Layer, Status

__version__ = "0.1.0"

# Public names, each loaded from its module on first use (``import exposure`` itself loads neither numpy nor
# pandas): name -> (module, attribute), attribute None for a module.
_LAZY: dict[str, tuple[str, str | None]] = {
    "contagion": ("exposure.contagion", None),
    "analyze": ("exposure.analyze", "analyze"),
    "build_context": ("exposure.analyze", "build_context"),
    "DealWeb": ("exposure.dealweb", "DealWeb"),
    "Portfolio": ("exposure.portfolio", "Portfolio"),
    "ExposureReport": ("exposure.report", "ExposureReport"),
    "StressResult": ("exposure.scenarios", "StressResult"),
    "load_scenarios": ("exposure.scenarios", "load_scenarios"),
    "stress": ("exposure.scenarios", "stress"),
    "Company": ("exposure.models", "Company"),
    "Deal": ("exposure.models", "Deal"),
    "ExposureModel": ("exposure.models", "ExposureModel"),
    "suggest": ("exposure.optimize", "suggest"),
    "frontier": ("exposure.optimize", "frontier"),
    "Constraints": ("exposure.optimize", "Constraints"),
    "Suggestion": ("exposure.optimize", "Suggestion"),
    "SnapshotProvider": ("exposure.market", "SnapshotProvider"),
    "YFinanceProvider": ("exposure.market", "YFinanceProvider"),
    "refresh": ("exposure.market", "refresh"),
    "RiskModel": ("exposure.risk", "RiskModel"),
    "analyze_many": ("exposure.batch", "analyze_many"),
    "score_accounts": ("exposure.batch", "score_accounts"),
    "batch": ("exposure.batch", None),
    "plots": ("exposure.plots", None),
    "hub_loadings": ("exposure.loadings", "hub_loadings"),
}

if TYPE_CHECKING:  # pragma: no cover
    from exposure import contagion  # noqa: F401
    from exposure.analyze import analyze, build_context  # noqa: F401
    from exposure.dealweb import DealWeb  # noqa: F401
    from exposure.market import SnapshotProvider, YFinanceProvider  # noqa: F401
    from exposure.portfolio import Portfolio  # noqa: F401
    from exposure.report import ExposureReport  # noqa: F401
    from exposure.scenarios import StressResult, load_scenarios, stress  # noqa: F401


class _Package(ModuleType):
    """The ``exposure`` package. The import system sets ``exposure.analyze`` to the submodule when that is
    first imported; here it stays the function :func:`exposure.analyze` (as an eager import used to leave it)."""

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, ModuleType) and _LAZY.get(name, ("", None))[1] == name:
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


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
        return getattr(importlib.import_module("exposure.contagion"), name)


sys.modules.setdefault(f"{__name__}.stress", _RenamedModule(f"{__name__}.stress"))


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module_name, attribute = _LAZY[name]
        module = importlib.import_module(module_name)
        value = module if attribute is None else getattr(module, attribute)
        globals()[name] = value
        return value
    if not name.startswith("_"):
        try:  # a submodule, e.g. ``ex.network``: an attribute once imported, as the eager package left it
            return importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as error:
            if error.name != f"{__name__}.{name}":
                raise
    raise AttributeError(f"module 'exposure' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "ConstraintError", "DealType", "DealWebError", "ExposureError", "InfeasibleError", "Layer", "MarketDataError",
    "MissingDependencyError", "OutputError", "PortfolioError", "ScenarioError", "Status", *_LAZY,
]
