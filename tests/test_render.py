"""exposure.cli._render prints what rich printed before it (the same bytes), on a pipe and on a terminal, for
text and tables of many shapes and widths; and treats user text as text."""

from __future__ import annotations

import random

import pytest
from rich import box
from rich.console import Console
from rich.table import Table

from exposure.cli import _render
from exposure.cli.output import print_table, say

WORDS = ["a", "to", "the", "AI", "Nvidia", "OpenAI", "->", "22.00%", "(deals", "D004)", "exposure,", "x" * 17,
         "superlongtickernamewithoutspaces_0123456789", "", " "]


def _text(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(WORDS) + rng.choice([" ", " ", "  ", ""]) for _ in range(n))


def _screen(monkeypatch: pytest.MonkeyPatch, width: int, terminal: bool) -> None:
    monkeypatch.setenv("COLUMNS", str(width))
    monkeypatch.setenv("LINES", "25")
    monkeypatch.setenv("TTY_COMPATIBLE", "1" if terminal else "0")
    for name in ("FORCE_COLOR", "NO_COLOR", "TERM"):
        monkeypatch.delenv(name, raising=False)


def _both(capsys: pytest.CaptureFixture[str], ours, theirs) -> tuple[str, str]:
    ours()
    got = capsys.readouterr().out
    theirs()
    return got, capsys.readouterr().out


@pytest.mark.parametrize("terminal", [False, True])
def test_text_wraps_and_styles_as_rich_does(monkeypatch, capsys, terminal):
    rng = random.Random(7)
    for case in range(150):
        _screen(monkeypatch, rng.choice([10, 20, 37, 80, 120]), terminal)
        text = (f"[bold]{_text(rng, 2)}[/bold]: {_text(rng, rng.randint(0, 30))} "
                f"[bold red]{_text(rng, 3)}[/bold red] [yellow]note:[/yellow] {_text(rng, rng.randint(0, 9))}")
        if case % 5 == 0:
            text = text.replace(" [yellow]", "\n[yellow]")
        got, expected = _both(capsys, lambda t=text: say(t), lambda t=text: Console().print(t, highlight=False))
        assert got == expected, text


@pytest.mark.parametrize("terminal", [False, True])
@pytest.mark.parametrize("compact", [False, True])
def test_tables_lay_out_as_rich_does(monkeypatch, capsys, terminal, compact):
    import pandas as pd

    rng = random.Random(11)
    for _ in range(60):
        width = rng.choice([30, 50, 80, 100, 160])
        _screen(monkeypatch, width, terminal)
        n_columns, n_rows = rng.randint(1, 6), rng.randint(0, 8)
        frame = pd.DataFrame({f"{_text(rng, 1).strip() or 'c'}{k}": (
            [rng.random() * 10 ** rng.randint(0, 4) for _ in range(n_rows)] if rng.random() < 0.4
            else [_text(rng, rng.randint(0, 5)) for _ in range(n_rows)]) for k in range(n_columns)})
        if rng.random() < 0.5:
            frame.index = pd.Index([f"row{k}" for k in range(n_rows)], name="company")
        title = _text(rng, rng.randint(0, 12)).strip() or None
        got = capsys.readouterr().out
        print_table(frame, title=title, compact=compact)
        got = capsys.readouterr().out
        _rich_reference(frame, title, compact)
        assert got == capsys.readouterr().out, (width, title, frame.to_dict())


def _rich_reference(frame, title, compact):
    """The table as exposure printed it with rich (the code before exposure.cli._render)."""
    import pandas as pd

    from exposure.cli.output import _cell, _fitted_widths

    table = Table(title=title, title_justify="left", show_lines=False,
                  box=box.SIMPLE_HEAD if compact else box.HEAVY_HEAD, pad_edge=not compact, collapse_padding=compact)
    index_name = frame.index.name
    rows = [([str(key)] if index_name is not None else []) + [_cell(v, False) for v in row.values]
            for key, row in frame.iterrows()]
    headers = ([str(index_name)] if index_name is not None else []) + [str(c) for c in frame.columns]
    kinds = ([False] if index_name is not None else []) + [pd.api.types.is_numeric_dtype(frame[c])
                                                          for c in frame.columns]
    widths = _fitted_widths(headers, rows, kinds, Console().width) if compact else [None] * len(headers)
    for header, numeric, width in zip(headers, kinds, widths, strict=True):
        table.add_column(header, justify="right" if numeric else "left", overflow="ellipsis" if compact else "fold",
                         no_wrap=compact, width=width)
    for cells in rows:
        table.add_row(*cells)
    Console().print(table)


def test_the_terminal_gets_rich_escape_codes(monkeypatch, capsys):
    _screen(monkeypatch, 30, True)
    say("[bold]a.csv[/bold]: some text [bold red]WARNING x[/bold red] [yellow]note:[/yellow] end")
    assert capsys.readouterr().out == ("\x1b[1ma.csv\x1b[0m: some text \x1b[1;31mWARNING x\x1b[0m \n"
                                       "\x1b[33mnote:\x1b[0m end\n")
    monkeypatch.setenv("NO_COLOR", "1")  # no color, bold stays (as rich does)
    say("[bold red]W[/bold red] [yellow]n[/yellow]")
    assert capsys.readouterr().out == "\x1b[1mW\x1b[0m n\n"


def test_user_text_is_text_not_markup(monkeypatch, capsys):
    """A ticker or file name with brackets is printed as it is (rich dropped '[note]' and raised on '[/x]'),
    and control characters (a terminal escape planted in a file) are dropped."""
    _screen(monkeypatch, 80, True)
    say("[bold]my[old].csv[/bold]: unmapped [/X], [note] \x1b[31mred\x07")
    assert capsys.readouterr().out == "\x1b[1mmy[old].csv\x1b[0m: unmapped [/X], [note] [31mred\n"
    say("Société [/x] générale")  # non-ASCII goes through rich, still as text
    assert capsys.readouterr().out == "Société [/x] générale\n"


def test_non_ascii_tables_go_through_rich_with_cells_as_text(monkeypatch, capsys):
    import pandas as pd

    _screen(monkeypatch, 60, False)
    print_table(pd.DataFrame({"name": ["FläktGroup", "[/x]"]}), title="Companies")
    out = capsys.readouterr().out
    assert "FläktGroup" in out and "[/x]" in out and out.startswith("Companies")


def test_width_follows_columns_and_terminal_rules(monkeypatch):
    monkeypatch.setenv("COLUMNS", "123")
    monkeypatch.delenv("LINES", raising=False)
    monkeypatch.setenv("TTY_COMPATIBLE", "0")
    assert _render.screen_width() == Console().width == 123
    monkeypatch.delenv("COLUMNS")
    assert _render.screen_width() == Console().width
