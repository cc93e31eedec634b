"""Text and tables on the terminal: rich's layout, without rich's start-up cost (issue 13, item 8).

Importing ``rich.console`` and ``rich.table`` costs a cold ``exposure score`` about a tenth of
``import pandas``. The commands print two things: lines of text with a few styles (``[bold]``, ``[yellow]``,
``[bold red]``) and tables. This module lays both out exactly as rich does (word wrap, column widths, the
heavy-headed box; tests/test_render.py compares the two on many inputs and widths) and writes the same
escape codes on a terminal. Where its rules would not match rich's, the text is handed to rich: non-ASCII text
(cell widths) or tabs, a stdout that is not UTF-8 (rich draws ASCII boxes), Windows and Jupyter, a column squeezed
to nothing.

Two deliberate differences: text is never read as rich markup beyond those styles (``[/x]`` in a ticker
made rich raise, and ``[note]`` vanished), and control characters (escape codes included) are dropped from
the text, as rich drops some of them.
"""

from __future__ import annotations

import builtins
import os
import re
import sys
from dataclasses import dataclass

#: Style words the markup knows and their SGR codes, attributes before colors as rich writes them.
ATTRIBUTES = {"bold": "1", "italic": "3"}
COLORS = {"red": "31", "yellow": "33"}
_TAG = re.compile(r"\[(/?)([a-z]+(?: [a-z]+)*)?\]")
_WORD = re.compile(r"\s*\S+\s*")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_TRAILING_SPACE = re.compile(r"\s+$")
#: Box characters by row kind (left, horizontal or blank, divider, right), as rich's HEAVY_HEAD and SIMPLE_HEAD.
HEAVY_HEAD = {"top": "┏━┳┓", "head": "┃ ┃┃", "head_row": "┡━╇┩", "mid": "│ ││", "foot": "│ ││", "bottom": "└─┴┘"}
SIMPLE_HEAD = {"top": "    ", "head": "    ", "head_row": " ── ", "mid": "    ", "foot": "    ", "bottom": "    "}

Line = list[tuple[str, str]]  # (text, SGR codes or "") pieces of one output line


@dataclass(frozen=True)
class Screen:
    """Where the output goes: its width in cells, and whether styles and colors are written."""

    width: int
    styled: bool
    colored: bool

    @classmethod
    def detect(cls) -> Screen | None:
        """The screen as rich's ``Console()`` sees stdout (``COLUMNS``, ``LINES``, ``TERM``, ``FORCE_COLOR``,
        ``TTY_COMPATIBLE``, ``NO_COLOR``, the terminal's size); None where rich would draw differently."""
        out = sys.stdout
        encoding = (getattr(out, "encoding", "utf-8") or "utf-8").lower()
        if sys.platform == "win32" or hasattr(builtins, "get_ipython") or not encoding.startswith("utf"):
            return None
        env = os.environ
        terminal = _is_terminal(out, env)
        dumb = terminal and env.get("TERM", "").lower() in ("dumb", "unknown")
        return cls(width=_width(env, dumb), styled=terminal and not dumb, colored=env.get("NO_COLOR", "") == "")

    def codes(self, style: str) -> str:
        """The SGR codes of ``style`` (style words, e.g. "bold red"), "" when plain."""
        if not self.styled:
            return ""
        words = style.split()
        color = [COLORS[w] for w in words if w in COLORS][-1:] if self.colored else []
        return ";".join([code for name, code in ATTRIBUTES.items() if name in words] + color)

    def write(self, lines: list[Line]) -> None:
        """Print ``lines``, each cropped to the screen's width as rich crops them."""
        out = []
        for line in lines:
            room = self.width
            for text, codes in line:
                text = text[:max(room, 0)]
                room -= len(text)
                out.append(f"\x1b[{codes}m{text}\x1b[0m" if codes and text else text)
            out.append("\n")
        sys.stdout.write("".join(out))


def _is_terminal(out: object, env: os._Environ[str] | dict[str, str]) -> bool:
    compatible = env.get("TTY_COMPATIBLE", "")
    if compatible in ("0", "1"):
        return compatible == "1"
    if env.get("FORCE_COLOR") is not None:
        return env["FORCE_COLOR"] != ""
    try:
        return bool(out.isatty())  # type: ignore[attr-defined]
    except (AttributeError, ValueError):
        return False


def _width(env: os._Environ[str] | dict[str, str], dumb: bool) -> int:
    columns, lines = env.get("COLUMNS", ""), env.get("LINES", "")
    if columns.isdigit() and (lines.isdigit() or not dumb):
        return int(columns) or 80
    if dumb:
        return 80
    for descriptor in (0, 1, 2):
        try:
            return os.get_terminal_size(descriptor).columns or 80
        except (AttributeError, ValueError, OSError):
            continue
    return 80


def clean(text: str) -> str:
    """``text`` without control characters but newlines and tabs."""
    return _CONTROL.sub("", text)


def markup(text: str) -> tuple[str, list[str]]:
    """``text`` without its style tags, and the style words of each character ("" when plain). Only
    ``[bold]``, ``[yellow]`` and the like (and their closing tags) are tags; any other bracket is text."""
    plain: list[str] = []
    styles: list[str] = []
    stack: list[str] = []
    position = 0
    for match in _TAG.finditer(text):
        closing, style = match.group(1), match.group(2) or ""
        known = bool(style) and all(w in ATTRIBUTES or w in COLORS for w in style.split())
        if not (known or (closing and not style and stack)) or (closing and style and style not in stack):
            continue
        piece = text[position:match.start()]
        plain.append(piece)
        styles.extend([" ".join(stack)] * len(piece))
        position = match.end()
        if not closing:
            stack.append(style)
        else:
            del stack[len(stack) - 1 - stack[::-1].index(style) if style else -1]
    piece = text[position:]
    plain.append(piece)
    styles.extend([" ".join(stack)] * len(piece))
    return "".join(plain), styles


def _break_points(text: str, width: int) -> list[int]:
    """Where rich breaks a line of ``text`` to fit ``width`` (``rich._wrap.divide_line``, folding)."""
    breaks: list[int] = []
    offset = 0
    for match in _WORD.finditer(text):
        start, word = match.start(), match.group()
        length = len(word.rstrip())
        if width - offset >= length:
            offset += len(word)
        elif length > width:
            chunks = [word[k:k + width] for k in range(0, len(word), width)]
            for k, chunk in enumerate(chunks):
                if start:
                    breaks.append(start)
                if k == len(chunks) - 1:
                    offset = len(chunk)
                else:
                    start += len(chunk)
        elif offset and start:
            breaks.append(start)
            offset = len(word)
    return breaks


def wrap(text: str, width: int, justify: str | None = None, overflow: str = "fold",
         no_wrap: bool = False) -> list[tuple[int, int, int]]:
    """Lines of ``text`` as rich's ``Text.wrap`` makes them: (start, end, spaces) with ``text[start:end]``
    shown and ``spaces`` added on the left (negative: on the right); ``end`` past ``len(text)`` never
    happens, an ellipsis is marked by ``end`` = -1 - end."""
    lines: list[tuple[int, int, int]] = []
    start = 0
    for raw in text.split("\n"):
        end_of_raw = start + len(raw)
        if no_wrap:
            pieces = [(start, end_of_raw)]
        else:
            cuts = [start + k for k in _break_points(raw, width)]
            pieces = []
            for a, b in zip([start, *cuts], [*cuts, end_of_raw], strict=True):
                if b - a > width and (space := _TRAILING_SPACE.search(text, a, b)) is not None:
                    b -= min(len(space.group()), b - a - width)
                pieces.append((a, b))
        for a, b in pieces:
            if justify == "right":
                b = a + len(text[a:b].rstrip())
            ellipsis = b - a > width and overflow == "ellipsis"
            if b - a > width:
                b = a + width - (1 if ellipsis else 0)
            shown = b - a + ellipsis
            pad = width - shown if justify in ("left", "right") and shown < width else 0
            lines.append((a, -1 - b if ellipsis else b, pad if justify == "right" else -pad))
        start = end_of_raw + 1
    return lines


def _pieces(text: str, codes: list[str], start: int, end: int, base: str = "") -> Line:
    """``text[start:end]`` as runs of equal codes (``base`` where a character has none)."""
    line: Line = []
    for k in range(start, end):
        code = codes[k] or base
        if line and line[-1][1] == code:
            line[-1] = (line[-1][0] + text[k], code)
        else:
            line.append((text[k], code))
    return line


def _laid_out(text: str, codes: list[str], width: int, justify: str | None, base: str = "",
              overflow: str = "fold", no_wrap: bool = False) -> list[Line]:
    """``text`` wrapped and justified into lines of styled pieces; padding takes ``base``."""
    out: list[Line] = []
    for start, end, spaces in wrap(text, width, justify, overflow, no_wrap):
        ellipsis = end < 0
        end = -1 - end if ellipsis else end
        line = _pieces(text, codes, start, end, base)
        if ellipsis:
            line.append(("…", base))
        if spaces > 0:
            line.insert(0, (" " * spaces, base))
        elif spaces < 0:
            line.append((" " * -spaces, base))
        out.append(_merged(line) if base else line)
    return out


def _merged(line: Line) -> Line:
    """Adjacent pieces of one style as one (rich keeps a padded cell's text and padding in one segment)."""
    merged: Line = []
    for text, code in line:
        if merged and merged[-1][1] == code:
            merged[-1] = (merged[-1][0] + text, code)
        else:
            merged.append((text, code))
    return merged


def print_text(text: str) -> None:
    """Print ``text`` (with style tags) wrapped to the screen as rich's ``Console().print(text,
    highlight=False)`` does."""
    screen = Screen.detect()
    plain, styles = markup(clean(text))
    if screen is None or not plain.isascii() or "\t" in plain:
        from rich.console import Console
        from rich.text import Text

        rich_text = Text(plain)
        for start, end, style in _runs(styles):
            if style:
                rich_text.stylize(style, start, end)
        Console().print(rich_text, highlight=False)
        return
    codes = {style: screen.codes(style) for style in set(styles)}
    screen.write(_laid_out(plain, [codes[style] for style in styles], screen.width, None))


def _runs(styles: list[str]) -> list[tuple[int, int, str]]:
    """(start, end, style) of each run of one style."""
    runs: list[tuple[int, int, str]] = []
    for k, style in enumerate(styles):
        if runs and runs[-1][2] == style:
            runs[-1] = (runs[-1][0], k + 1, style)
        else:
            runs.append((k, k + 1, style))
    return runs


@dataclass(frozen=True)
class Column:
    """One column of a table: its header, ``left`` or ``right`` justified, cut with an ellipsis (one line a
    row) or folded onto more lines, an optional fixed width."""

    header: str
    justify: str = "left"
    ellipsis: bool = False
    width: int | None = None


def print_table(columns: list[Column], rows: list[list[str]], title: str | None = None,
                compact: bool = False) -> bool:
    """Print a table as rich's ``Table(title=..., title_justify="left", box=HEAVY_HEAD)`` does, or for
    ``compact`` with ``SIMPLE_HEAD``, no edge padding and collapsed padding; False (nothing printed) where
    rich must do it."""
    screen = Screen.detect()
    rows = [[clean(cell) for cell in row] for row in rows]
    columns = [Column(clean(c.header), c.justify, c.ellipsis, c.width) for c in columns]
    text = [title or ""] + [c.header for c in columns] + [cell for row in rows for cell in row]
    if screen is None or not columns or not all(t.isascii() and "\t" not in t for t in text):
        return False
    n = len(columns)
    pads = [(0 if compact and k == 0 else (0 if compact else 1), 0 if compact and k == n - 1 else 1)
            for k in range(n)]
    cells = [[c.header for c in columns], *rows]
    widths = _column_widths(columns, [[row[k] for row in cells] for k in range(n)], pads, screen.width - n - 1)
    if any(w - left - right < 1 for w, (left, right) in zip(widths, pads, strict=True)):
        return False
    box = SIMPLE_HEAD if compact else HEAVY_HEAD
    table_width = sum(widths) + n + 1
    out: list[Line] = []
    if title:
        italic = screen.codes("italic")
        out += _laid_out(title, [italic] * len(title), table_width, "left", base=italic)
    out.append([(_rule(box["top"], widths), "")])
    bold = screen.codes("bold")
    for index, row in enumerate(cells):
        style = bold if index == 0 else ""
        rendered = []
        for cell, column, width, (left, right) in zip(row, columns, widths, pads, strict=True):
            lines = _laid_out(cell, [style] * len(cell), width - left - right, column.justify, base=style,
                              overflow="ellipsis" if column.ellipsis else "fold", no_wrap=column.ellipsis)
            rendered.append([([(" " * left, style)] if left else []) + line + ([(" " * right, style)] if right else [])
                             for line in lines])
        height = max(len(lines) for lines in rendered)
        for k, lines in enumerate(rendered):
            blank = [(" " * widths[k], style)]
            extra = [blank] * (height - len(lines))
            rendered[k] = extra + lines if index == 0 else lines + extra  # the header sits at the bottom
        kind = "head" if index == 0 else ("foot" if index == len(cells) - 1 else "mid")
        left_edge, divider, right_edge = box[kind][0], box[kind][2], box[kind][3]
        for k in range(height):
            line: Line = [(left_edge, "")]
            for j, lines in enumerate(rendered):
                line += lines[k] + ([(divider, "")] if j < n - 1 else [])
            out.append([*line, (right_edge, "")])
        if index == 0:
            out.append([(_rule(box["head_row"], widths), "")])
    out.append([(_rule(box["bottom"], widths), "")])
    screen.write(out)
    return True


def _rule(chars: str, widths: list[int]) -> str:
    return chars[0] + chars[2].join(chars[1] * w for w in widths) + chars[3]


def _measure(cells: list[str], column: Column, pad: int, max_width: int) -> tuple[int, int]:
    """(minimum, maximum) width of a column with its padding, as rich's ``Table._measure_column``."""
    if max_width < 1:
        return 0, 0
    if column.width is not None:
        return min(column.width + pad, max_width), min(column.width + pad, max_width)
    lows, highs = [], []
    for cell in cells:
        if max_width - pad < 1:
            low, high = max_width, max_width
        else:
            lines, words = cell.splitlines(), cell.split()
            high = max((len(line) for line in lines), default=0)
            low = max((len(word) for word in words), default=high)
            low, high = _normal(low, high, max_width - pad)
            low, high = min(low + pad, max_width), min(high + pad, max_width)
        low, high = _normal(low, high, max_width)
        lows.append(low)
        highs.append(high)
    return min(max(lows, default=1), max_width), min(max(highs, default=max_width), max_width)


def _normal(low: int, high: int, limit: int) -> tuple[int, int]:
    """rich's ``Measurement.normalize().with_maximum(limit)``, zero when nothing fits."""
    low = min(max(0, low), high)
    low, high = max(0, low), max(0, max(low, high))
    low, high = min(low, limit), min(high, limit)
    if high < 1:
        return 0, 0
    low = min(max(0, low), high)
    return max(0, low), max(0, max(low, high))


def _column_widths(columns: list[Column], cells: list[list[str]], pads: list[tuple[int, int]],
                   max_width: int) -> list[int]:
    """Column widths with padding, as rich's ``Table._calculate_column_widths`` (``expand`` off)."""
    pad = [left + right for left, right in pads]
    widths = [_measure(c, col, p, max_width)[1] or 1 for c, col, p in zip(cells, columns, pad, strict=True)]
    if sum(widths) > max_width:
        widths = _collapse(widths, [col.width is None and not col.ellipsis for col in columns], max_width)
        if sum(widths) > max_width:
            widths = _ratio_reduce(sum(widths) - max_width, [1] * len(widths), widths, widths)
        widths = [_measure(c, col, p, w)[1] for c, col, p, w in zip(cells, columns, pad, widths, strict=True)]
    return widths


def _collapse(widths: list[int], wrapable: list[bool], max_width: int) -> list[int]:
    """Shrink the widest wrapable columns first (rich's ``Table._collapse_widths``)."""
    total = sum(widths)
    excess = total - max_width
    if any(wrapable):
        while total and excess > 0:
            widest = max(w for w, ok in zip(widths, wrapable, strict=True) if ok)
            second = max(w if ok and w != widest else 0 for w, ok in zip(widths, wrapable, strict=True))
            ratios = [1 if (w == widest and ok) else 0 for w, ok in zip(widths, wrapable, strict=True)]
            if not any(ratios) or not widest - second:
                break
            widths = _ratio_reduce(excess, ratios, [min(excess, widest - second)] * len(widths), widths)
            total = sum(widths)
            excess = total - max_width
    return widths


def _ratio_reduce(total: int, ratios: list[int], maximums: list[int], values: list[int]) -> list[int]:
    """rich's ``_ratio.ratio_reduce``: take ``total`` off ``values`` in proportion to ``ratios``."""
    ratios = [ratio if top else 0 for ratio, top in zip(ratios, maximums, strict=True)]
    total_ratio = sum(ratios)
    if not total_ratio:
        return values[:]
    remaining = total
    result = []
    for ratio, top, value in zip(ratios, maximums, values, strict=True):
        if ratio and total_ratio > 0:
            given = min(top, round(ratio * remaining / total_ratio))
            result.append(value - given)
            remaining -= given
            total_ratio -= ratio
        else:
            result.append(value)
    return result


def screen_width() -> int:
    """The width rich's ``Console()`` would use for stdout."""
    screen = Screen.detect()
    if screen is not None:
        return screen.width
    from rich.console import Console

    return Console().width
