"""Rendering helpers shared by the commands: tables for people, JSON/CSV for scripts."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import typer

from exposure.report import jsonable


def emit_json(data: Any) -> None:
    """Print stable JSON."""
    typer.echo(json.dumps(jsonable(data), indent=2))


def emit_machine(format: str, data: Any, frame: pd.DataFrame) -> bool:
    """Print ``data`` as JSON or ``frame`` as CSV when ``format`` asks for it; False for a table."""
    if format == "json":
        emit_json(data)
        return True
    if format == "csv":
        emit_csv(frame)
        return True
    return False


def emit_csv(frame: pd.DataFrame) -> None:
    """Print a frame as CSV (index included when it is named), formula-like text cells escaped."""
    from exposure.files import frame_to_csv

    typer.echo(frame_to_csv(frame, index=frame.index.name is not None).rstrip("\n"))


def print_table(frame: pd.DataFrame, title: str | None = None, percent_columns: tuple[str, ...] = (),
                max_rows: int | None = None, compact: bool = False, right: tuple[str, ...] = ()) -> None:
    """Print a frame as a table (rich's layout, :mod:`exposure.cli._render`); fractions in ``percent_columns``
    as percents, numbers and ``right`` right-aligned.

    ``compact`` drops the vertical rules and edge padding and keeps each row on one line (a cell too long
    for the terminal ends in an ellipsis), for long listings that must fit 100 columns.
    """
    from exposure.cli import _render

    shown = frame if max_rows is None else frame.head(max_rows)
    index_name = shown.index.name
    rows = [([str(key)] if index_name is not None else [])
            + [_cell(value, column in percent_columns) for column, value in row.items()]
            for key, row in shown.iterrows()]
    headers = ([str(index_name)] if index_name is not None else []) + [str(c) for c in shown.columns]
    kinds = ([False] if index_name is not None else []) + [
        pd.api.types.is_numeric_dtype(shown[c]) or c in right for c in shown.columns]
    widths = _fitted_widths(headers, rows, kinds, _render.screen_width()) if compact else [None] * len(headers)
    columns = [_render.Column(header, "right" if numeric else "left", ellipsis=compact, width=width)
               for header, numeric, width in zip(headers, kinds, widths, strict=True)]
    if not _render.print_table(columns, rows, title=title, compact=compact):
        _rich_table(columns, rows, title, compact)


def _rich_table(columns: list[Any], rows: list[list[str]], title: str | None, compact: bool) -> None:
    """The table through rich, where :func:`exposure.cli._render.print_table` leaves it to rich."""
    from rich import box
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text  # cells as text, never markup

    table = Table(title=Text(title, style="table.title") if title else None, title_justify="left", show_lines=False,
                  box=box.SIMPLE_HEAD if compact else box.HEAVY_HEAD, pad_edge=not compact, collapse_padding=compact)
    for column in columns:
        table.add_column(Text(column.header), justify=column.justify, overflow="ellipsis" if compact else "fold",
                         no_wrap=compact, width=column.width)
    for cells in rows:
        table.add_row(*(Text(cell) for cell in cells))
    Console().print(table)


def _fitted_widths(headers: list[str], rows: list[list[str]], fixed: list[bool], console_width: int) -> list[int]:
    """Column widths that fit ``console_width`` with one line per row: numbers and the first column keep
    their width; the widest text columns give up characters first (their cells then end in an ellipsis)."""
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(headers)]
    keep = [fixed[i] or i == 0 for i in range(len(headers))]
    available = console_width - 2 * len(headers)  # one space of padding each side
    while sum(widths) > available:
        flexible = [i for i in range(len(widths)) if not keep[i] and widths[i] > 6]
        if not flexible:
            break
        widest = max(flexible, key=lambda i: widths[i])
        widths[widest] -= 1
    return widths


def say(text: str) -> None:
    """Print a line of text (``[bold]`` and the like style it; wraps in narrow terminals)."""
    from exposure.cli._render import print_text

    print_text(text)


def _cell(value: Any, as_percent: bool) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if as_percent and isinstance(value, int | float):
        return f"{100 * value:.2f}%"
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value)
