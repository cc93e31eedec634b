"""``exposure stress`` and ``exposure scenarios``: what a hub's fall or failure to pay costs a portfolio."""

from __future__ import annotations

import math
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from exposure.cli import Format, app
from exposure.cli.common import Account, BaseCurrency, FileArg, Fmt, freshness_of, load_inputs, parse_pair
from exposure.cli.output import emit_machine, print_table, say
from exposure.errors import ScenarioError

ScenarioFile = Annotated[Path | None, typer.Option(
    "--scenario-file", help="Your scenarios CSV (scenario,description,company,shock,kind).")]


class Method(StrEnum):
    """Propagation of ``--method``: linear DebtRank (main number), original DebtRank (lower bound), non-linear."""

    linear = "linear"
    original = "original"
    nonlinear = "nonlinear"


LOSS_COLUMNS = ("shock", "first_round", "later_rounds", "total", "lower_bound")


@app.command("stress")
def stress_command(
    file: FileArg,
    shock: Annotated[list[str] | None, typer.Option(
        "--shock", metavar="COMPANY=FRACTION",
        help="COMPANY=FRACTION of value lost, e.g. openai=0.5 or nvidia=40%. Repeatable.")] = None,
    default: Annotated[list[str] | None, typer.Option(
        "--default", metavar="COMPANY[=USD_BN]",
        help="COMPANY fails to pay its contracts; COMPANY=USD_BN gives its annual resources "
        "(default: its latest revenue). Repeatable.")] = None,
    scenario: Annotated[str | None, typer.Option(
        "--scenario", metavar="NAME", help="A named scenario (see `exposure scenarios`).")] = None,
    scenario_file: ScenarioFile = None,
    method: Annotated[Method, typer.Option(
        "--method", help="linear (main number), original (a lower bound of linear) or nonlinear (--alpha).",
    )] = Method.linear,
    alpha: Annotated[float, typer.Option("--alpha", help="Non-linearity for --method nonlinear (>= 0).")] = 1.0,
    alphas: Annotated[str, typer.Option(
        "--alphas", metavar="A,B,...", help="Comma-separated alphas of the sensitivity sweep (each >= 0).")] = "0,1,5",
    as_of: Annotated[str | None, typer.Option("--as-of", help="Only deals announced by YYYY-MM-DD.")] = None,
    live: Annotated[bool, typer.Option("--live", help="Refresh prices and market caps with yfinance.")] = False,
    deals: Annotated[Path | None, typer.Option("--deals", help="Your own deals CSV, merged in.")] = None,
    top: Annotated[int, typer.Option("--top", help="Rows to show per table.")] = 10,
    format: Fmt = Format.table, account: Account = None, base_currency: BaseCurrency = "USD",
) -> None:
    """Stress a portfolio: shocked companies lose value and the losses spread through the deal web.

    \b
    Example: exposure stress portfolios/ai_heavy.csv --shock openai=0.5 --method nonlinear
    """
    from exposure.scenarios import load_scenarios, stress

    chosen = None
    if scenario is not None or scenario_file is not None:
        if shock or default:
            raise ScenarioError("give either --shock/--default or --scenario/--scenario-file, not both.")
        chosen = _choose(load_scenarios(scenario_file), scenario, scenario_file)
    elif not shock and not default:
        raise ScenarioError("nothing to stress. Fix: add --shock openai=0.5, --default openai or --scenario NAME "
                            "(see `exposure scenarios`).")
    shocks = dict(parse_pair(text, "--shock", "COMPANY=FRACTION, e.g. openai=0.5 or nvidia=40%", ScenarioError)
                  for text in shock or [])
    defaults = dict(_default(text) for text in default or [])
    sweep = _alphas(alphas)
    portfolio, web, market = load_inputs(file, as_of, live, deals, account, base_currency)
    result = stress(portfolio, web, shocks=shocks or None, defaults=defaults or None, method=method.value,
                    alphas=sweep, market=market, alpha=alpha, scenario=chosen)

    freshness = freshness_of(web, market)
    if emit_machine(format, {**result.to_dict(), "data": freshness.to_dict()}, result.holdings):
        return
    say(f"[bold]{file.name}[/bold]: {result.summary()}")
    if result.description:
        say(result.description)
    carried = result.holdings[result.holdings["contribution"] > 0]
    if len(carried):
        shown = carried.set_index("ticker")[["name", "via", "weight", "loss", "contribution"]]
        print_table(shown, title="Holdings that carry the loss (fractions of portfolio value)",
                    percent_columns=("weight", "loss", "contribution"), max_rows=top)
    title = f"Company losses (fractions of each company's value; lower_bound: {result.lower_bound_method})"
    print_table(result.companies[["name", *LOSS_COLUMNS]], title=title,
                percent_columns=LOSS_COLUMNS, max_rows=top)
    if result.clearing is not None:
        print_table(result.clearing, title="Contract clearing, Eisenberg-Noe (USD bn a year)",
                    percent_columns=("shock",), max_rows=top)
    say("Sensitivity (non-linear DebtRank): " + ", ".join(
        f"alpha {a:g} -> {100 * v:.1f}%" for a, v in zip(result.sensitivity["alpha"],
                                                          result.sensitivity["portfolio_loss"], strict=True)))
    for note in result.notes:
        say(f"[yellow]note:[/yellow] {note}")
    say(freshness.line())


@app.command("scenarios")
def scenarios_command(scenario_file: ScenarioFile = None, format: Fmt = Format.table) -> None:
    """List the named stress scenarios (bundled, or those of --scenario-file).

    \b
    Example: exposure scenarios --format csv
    """
    import pandas as pd

    from exposure.scenarios import load_scenarios

    rows = []
    for name, sc in load_scenarios(scenario_file).items():
        parts = [f"{c} -{100 * v:g}%" for c, v in sc.shocks.items()]
        parts += [f"{c} fails to pay" + ("" if v is None else f" (resources {v:g} USD bn/yr)")
                  for c, v in sc.defaults.items()]
        rows.append({"scenario": name, "shocks": "; ".join(parts), "description": sc.description})
    table = pd.DataFrame(rows, columns=["scenario", "shocks", "description"]).set_index("scenario")
    if not emit_machine(format, table, table):
        print_table(table, title=f"{len(table)} scenarios: `exposure stress FILE --scenario NAME`")


def _choose(scenarios: dict, name: str | None, path: Path | None):
    """The scenario to run: by name, or the only one of a user file."""
    from exposure.scenarios import _pick

    if name is None:
        if len(scenarios) == 1:
            return next(iter(scenarios.values()))
        raise ScenarioError(f"{path} holds {len(scenarios)} scenarios. Fix: add --scenario with one of "
                            f"{', '.join(sorted(scenarios))}.")
    return _pick(scenarios, name, "bundled" if path is None else str(path))


def _default(text: str) -> tuple[str, float | None]:
    """``openai`` (resources = its revenue) or ``openai=13`` (USD bn a year)."""
    if "=" not in text:
        return text.strip(), None
    company, _, value = text.partition("=")
    try:
        return company.strip(), float(value)
    except ValueError:
        raise ScenarioError(f"--default '{text}' must look like COMPANY or COMPANY=USD_BN, e.g. openai=13.") from None


def _alphas(text: str) -> list[float]:
    try:
        values = [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise ScenarioError(f"--alphas '{text}' must be comma-separated numbers >= 0, e.g. 0,1,5.") from None
    bad = [v for v in values if not (math.isfinite(v) and v >= 0)]
    if bad:
        raise ScenarioError(f"--alphas '{text}': {bad[0]:g} is not a finite number >= 0. Fix: give alphas such as "
                            "0,1,5 (0 is linear DebtRank).")
    return values
