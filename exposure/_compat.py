"""Deprecated names kept working: one American spelling throughout (``normalize``, ``analyze``, ``color``)."""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


def renamed(function: F, old_name: str) -> F:
    """``function`` under its old name: same behavior, plus a DeprecationWarning naming the new name."""

    @functools.wraps(function)
    def old(*args: Any, **kwargs: Any) -> Any:
        warnings.warn(f"{old_name} is deprecated; use {function.__name__} (same behavior)", DeprecationWarning,
                      stacklevel=2)
        return function(*args, **kwargs)

    old.__name__ = old_name.rpartition(".")[2]
    old.__doc__ = f"Deprecated alias of :func:`{function.__name__}`."
    return old  # type: ignore[return-value]
