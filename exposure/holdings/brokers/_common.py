"""Helpers shared by the broker readers: header lookup by name, cells and numbers of a line."""

from __future__ import annotations

from dataclasses import dataclass

from exposure.holdings.numbers import number_or_none
from exposure.holdings.reader import cells_of
from exposure.holdings.rows import Row


def key(cell: str) -> str:
    """A header cell, lower-case and single-spaced, for comparisons."""
    return " ".join(cell.lower().split())


@dataclass
class Header:
    """A header row: find a column by any of its spellings, read a cell or a number from a data row."""

    cells: list[str]

    def index(self, *names: str) -> int | None:
        """Position of the first column named any of ``names`` (case-insensitive), or None."""
        keys = [key(c) for c in self.cells]
        for name in names:
            if key(name) in keys:
                return keys.index(key(name))
        return None

    def has(self, *names: str) -> bool:
        """True when every one of ``names`` is a column."""
        return all(self.index(name) is not None for name in names)

    def cell(self, cells: list[str], *names: str) -> str:
        """The cell of the first column named any of ``names`` ("" when absent)."""
        at = self.index(*names)
        value = cells[at].strip() if at is not None and at < len(cells) else ""
        return "" if value in ("--", "-", "n/a", "N/A") else value

    def number(self, cells: list[str], *names: str, decimal: str | None = ".") -> float | None:
        """The number in that cell, or None for ``--``, ``n/a``, blanks and text."""
        return number_or_none(self.cell(cells, *names), decimal)


def text_row(line: int, reason: str) -> Row:
    """A header, title, disclaimer or other text line."""
    return Row(line=line, kind="text", reason=reason)


def nonblank(lines: list[str], delimiter: str = ",") -> list[tuple[int, list[str]]]:
    """``(line number, cells)`` of every non-blank line (line numbers start at 1)."""
    found = []
    for number, line in enumerate(lines, start=1):
        cells = cells_of(line, delimiter) or [line]
        if any(c.strip() for c in cells):
            found.append((number, cells))
    return found
