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
                max_rows: int | None = None, compact: bool = False) -> None:
    """Print a frame as a rich table; fractions in ``percent_columns`` as percents.

    ``compact`` drops the vertical rules and edge padding, for long listings that must fit 100 columns.
    """
    from rich import box
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, title_justify="left", show_lines=False,
                  **({"box": box.SIMPLE_HEAD, "pad_edge": False, "collapse_padding": True} if compact else {}))
    shown = frame if max_rows is None else frame.head(max_rows)
    index_name = shown.index.name
    if index_name is not None:
        table.add_column(str(index_name))
    for column in shown.columns:
        numeric = pd.api.types.is_numeric_dtype(shown[column])
        table.add_column(str(column), justify="right" if numeric else "left", overflow="fold")
    for key, row in shown.iterrows():
        cells = [str(key)] if index_name is not None else []
        for column, value in row.items():
            cells.append(_cell(value, column in percent_columns))
        table.add_row(*cells)
    Console().print(table)


def say(text: str) -> None:
    """Print a line of text through rich (wraps in narrow terminals)."""
    from rich.console import Console

    Console().print(text, highlight=False)


def _cell(value: Any, as_percent: bool) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if as_percent and isinstance(value, int | float):
        return f"{100 * value:.2f}%"
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value)
