"""Typed errors. Each message is one line that names the input (file, row, column) and the fix.

The CLI prints ``str(error)`` and exits with code 2 for every :class:`ExposureError`.
"""

from __future__ import annotations


class ExposureError(Exception):
    """Base class of every user-facing error of exposure."""


def located(message: str, *, file: object = None, row: int | None = None, column: str | None = None,
            fix: str | None = None) -> str:
    """Compose one line: ``file, row R, column 'C': message. Fix: ...``."""
    where = []
    if file is not None:
        where.append(str(file))
    if row is not None:
        where.append(f"row {row}")
    if column is not None:
        where.append(f"column '{column}'")
    text = (", ".join(where) + ": " if where else "") + message
    if fix:
        text += ("" if text.endswith((".", "!", "?")) else ".") + f" Fix: {fix}"
    return text


class PortfolioError(ExposureError, ValueError):
    """A holdings file, dict or frame that cannot be read as a portfolio."""


class DealWebError(ExposureError, ValueError):
    """A companies/deals file or a deal web that is inconsistent or unusable."""


class ScenarioError(ExposureError, ValueError):
    """A stress shock, default or scenario file that cannot be used."""


class ConstraintError(ExposureError, ValueError):
    """Suggestion constraints that are malformed (as opposed to merely conflicting)."""


class InfeasibleError(ExposureError):
    """Constraints that conflict; ``conflicts`` lists each group and how far it would have to move."""

    def __init__(self, message: str, conflicts: list[dict] | None = None) -> None:
        super().__init__(message)
        self.conflicts = conflicts or []


class OutputError(ExposureError, ValueError):
    """An output path that must not or cannot be written (an input of the run, a device, a full disk)."""


class MarketDataError(ExposureError):
    """Live market data that could not be fetched or understood."""


class MissingDependencyError(ExposureError, ImportError):
    """An optional package (an extra) that a feature needs is not installed; the message names the pip command."""

    def __init__(self, message: str, package: str, extra: str) -> None:
        super().__init__(message, name=package)
        self.package = package
        self.extra = extra


class LiveDataWarning(UserWarning):
    """Live data fell back to the snapshot, or a market-data cache entry was ignored.

    Raised through :mod:`warnings` by :class:`exposure.market.YFinanceProvider` besides being listed in its
    ``.warnings`` (which the CLI prints as notes, so the CLI silences this category).
    """
