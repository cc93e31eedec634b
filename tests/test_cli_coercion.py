"""Options parsed without pydantic (exposure.cli._coercion) give typer's own values and typer's own errors.

typer 0.29 builds a pydantic TypeAdapter for every parameter; our commands' plain parameters use
:class:`PlainValue` instead. These tests fail loudly if typer's private hook moves (typer is pinned to 0.29.x)
and compare the two paths value by value, valid and invalid, on generated text.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer._click.exceptions import BadParameter
from typer._coercion import build_runtime_param, resolve_type_descriptor
from typer.core import _TyperParameter
from typer.models import OptionInfo

from exposure.cli import app_command
from exposure.cli._coercion import PlainCommand, PlainGroup, PlainValue, plain


class Color(StrEnum):
    red = "red"
    dark_blue = "dark-blue"


NUMBERISH = st.text(alphabet="0123456789+-._eEinfaxX \t", max_size=12)
TEXT = st.one_of(NUMBERISH, st.text(max_size=12), st.sampled_from(["red", "RED", "dark-blue", "blue", "", "a\x00b", ".", "/", "/dev/null"]))


def _outcome(runtime, value):
    try:
        return "ok", runtime._coerce_value(value, param=None, ctx=None)
    except BadParameter as error:
        return "error", error.format_message()


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(kind=st.sampled_from([int, float, str, Path, Color]), value=TEXT)
def test_plain_values_match_typers_own_coercion(kind, value):
    info = OptionInfo()
    ours = _outcome(PlainValue(parameter_info=info, annotation=kind), value)
    theirs = _outcome(build_runtime_param(resolve_type_descriptor(kind, info)), value)
    assert ours == theirs
    if ours[0] == "ok":
        assert type(ours[1]) is type(theirs[1])


def test_typers_private_hook_is_still_there():
    """If this fails, typer changed the private API exposure.cli._coercion relies on: re-check it, or drop the
    fast path (the CLI still works, only slower to start)."""
    assert "_runtime_param" in _TyperParameter.__annotations__
    group = app_command()
    assert isinstance(group, PlainGroup)
    commands = [group.commands[name] for name in group.commands]
    commands += [sub for c in commands for sub in getattr(c, "commands", {}).values()]
    assert all(isinstance(c, PlainCommand | PlainGroup) for c in commands)
    score = group.commands["score"]
    ctx = score.make_context("score", ["portfolios/ai_heavy.csv", "--top", "3", "--format", "json"])
    assert ctx.params["top"] == 3 and ctx.params["format"] == "json" and ctx.params["file"] == Path(
        "portfolios/ai_heavy.csv")
    handled = [p for p in score.get_params(ctx) if isinstance(p, _TyperParameter) and plain(p)]
    assert handled and all(isinstance(p._runtime_param, PlainValue) for p in handled)
    assert all(isinstance(p.get_runtime_param(), PlainValue) for p in handled)  # typer reads our hook


@pytest.mark.parametrize("args, message", [
    (["--format", "xml"], "'xml' is not one of 'table', 'json', 'csv'."),
    (["--top", "abc"], "Input should be a valid integer, unable to parse string as an integer"),
    (["--top", "1.5"], "Input should be a valid integer, unable to parse string as an integer"),
])
def test_bad_values_keep_typers_message(args, message):
    score = app_command().commands["score"]
    with pytest.raises(BadParameter) as caught:
        score.make_context("score", ["portfolios/ai_heavy.csv", *args])
    assert message in caught.value.format_message()
