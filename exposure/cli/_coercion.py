"""Option values without pydantic: a fast path for the plain annotations our commands use.

typer 0.29 coerces every parameter through a pydantic ``TypeAdapter`` that it builds the first time the
parameter is processed, even when its value is the default ``None``; building one imports pydantic's schema
machinery, about 0.1 s of a cold ``exposure score`` (issue 13, item 8). Our commands and groups
(:class:`PlainParams`) give each plain parameter a :class:`PlainValue` instead: it converts the values that
are unambiguous (an ``int`` written as digits, a ``str``, a ``Path``, a choice of an ``Enum``) exactly as
typer's adapter would, and hands anything else (a bad value, a list, a range) to typer's own coercion, built
only then, so every message for a bad value stays typer's.

This relies on typer's private ``_TyperParameter._runtime_param`` hook (typer is pinned to 0.29.x in
pyproject.toml; tests/test_cli_coercion.py fails loudly if the hook moves).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from functools import cached_property
from pathlib import Path
from typing import Any

from typer import Typer
from typer._click.exceptions import BadParameter
from typer._coercion import RuntimeParam, build_runtime_param, resolve_type_descriptor
from typer._param_types import coerce_cli_choice, coerce_cli_path
from typer.core import TyperCommand, TyperGroup, _TyperParameter

from exposure._plain import DECIMAL, INTEGER, MISS


@dataclass(frozen=True)
class PlainValue(RuntimeParam):
    """Coerce one parameter's value without pydantic where that gives typer's own result; otherwise delegate."""

    def _coerce_value(self, value: Any, param: _TyperParameter, ctx: Any) -> Any:
        done = self._plain(value, param, ctx)
        return self._typer._coerce_value(value, param=param, ctx=ctx) if done is MISS else done

    @cached_property
    def _typer(self) -> RuntimeParam:
        """typer's own coercion for this parameter (a pydantic adapter), built on first need."""
        return build_runtime_param(resolve_type_descriptor(self.annotation, self.parameter_info))

    def _plain(self, value: Any, param: _TyperParameter, ctx: Any) -> Any:
        """The coerced value, or ``MISS`` when typer's coercion must decide (and word any error)."""
        kind, info = self.annotation, self.parameter_info
        if type(value) is kind and kind in (str, int, float):
            return value
        if isinstance(value, str):
            if kind is int and INTEGER.fullmatch(value):
                return int(value)
            if kind is float and DECIMAL.fullmatch(value):
                return float(value)
        if isinstance(kind, type) and issubclass(kind, Enum):
            try:
                return coerce_cli_choice(value, choices=tuple(kind), case_sensitive=info.case_sensitive, ctx=ctx)
            except ValueError:
                return MISS
        if kind is Path and isinstance(value, str | Path):
            try:  # typer reads the text as pydantic does, Path(text), then checks the file as asked
                return coerce_cli_path(Path(value), info, path_type=Path, param=param, ctx=ctx)
            except (BadParameter, ValueError):  # ValueError: a path the OS cannot take (a NUL byte)
                return MISS  # typer words it, with the path as typed
        return MISS


def plain(param: _TyperParameter) -> bool:
    """Whether ``param`` is one :class:`PlainValue` handles: a single value of str, int, float, bool, Path or an
    Enum, without a custom parser, a range or path options (typer routes those elsewhere)."""
    info, kind = param.type_descriptor.parameter_info, param.type_descriptor.annotation
    simple = kind in (str, int, float, bool, Path) or (isinstance(kind, type) and issubclass(kind, Enum))
    return (simple and param.nargs == 1 and not param.multiple and info.parser is None and info.min is None
            and info.max is None and info.path_type is None and not info.allow_dash and not info.resolve_path)


class PlainParams:
    """Mixin for typer's command and group classes: their plain parameters (the ``--help`` flag included,
    which typer creates on first use) get a :class:`PlainValue` before click processes them."""

    def get_params(self, ctx: Any) -> list[Any]:
        params = super().get_params(ctx)  # type: ignore[misc]
        for param in params:
            if isinstance(param, _TyperParameter) and param._runtime_param is None and plain(param):
                descriptor = param.type_descriptor
                param._runtime_param = PlainValue(parameter_info=descriptor.parameter_info,
                                                  annotation=descriptor.annotation)
        return params


class PlainCommand(PlainParams, TyperCommand):
    """A typer command whose plain options are parsed without pydantic."""


class PlainGroup(PlainParams, TyperGroup):
    """A typer group whose plain options are parsed without pydantic."""


def use_plain_commands(app: Typer) -> None:
    """Build ``app``'s commands (and its groups' commands) as :class:`PlainCommand` unless they name another
    class than typer's default."""
    for info in app.registered_commands:
        if info.cls in (None, TyperCommand):
            info.cls = PlainCommand
    for group in app.registered_groups:
        if group.typer_instance is not None:
            use_plain_commands(group.typer_instance)
