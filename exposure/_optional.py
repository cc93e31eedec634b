"""Optional dependencies: import one, or say in one line which extra installs it.

``pip install exposure`` installs what the main job needs (scoring, paths, stress, the deal web's tables and
the HTML report's tables). The rest comes with extras: ``[optimize]`` (cvxpy), ``[live]`` (yfinance),
``[plots]`` (matplotlib), ``[graph]`` (networkx), ``[dask]``, or ``[all]``.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from exposure.errors import MissingDependencyError

__all__ = ["EXTRAS", "require"]

#: The extra that installs each optional top-level module.
EXTRAS: dict[str, str] = {
    "cvxpy": "optimize",
    "yfinance": "live",
    "matplotlib": "plots",
    "networkx": "graph",
    "dask": "dask",
    "distributed": "dask",
}


def require(module: str, purpose: str) -> ModuleType:
    """Import ``module`` (``"matplotlib.pyplot"`` works too), or raise :class:`MissingDependencyError`.

    ``purpose`` names the feature, e.g. ``"Plots (exposure.plots)"``. The message, "<purpose>: needs <package>,
    which is not installed. Fix: pip install 'exposure[<extra>]'", names the extra that provides the package;
    the CLI prints it as one line and exits with code 2.
    """
    try:
        return importlib.import_module(module)
    except ImportError as error:
        top = module.partition(".")[0]
        missing = (error.name or top).partition(".")[0]
        if missing != top:  # the package is there but one of its own dependencies is broken: not ours to hide
            raise
        extra = EXTRAS.get(top, "all")
        raise MissingDependencyError(
            f"{purpose}: needs {top}, which is not installed. Fix: pip install 'exposure[{extra}]'"
            f" (or pip install 'exposure[all]').", package=top, extra=extra) from error
