"""``exposure plot`` (PNG figures into a folder) and ``exposure report`` (one self-contained HTML file)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from exposure.cli import app
from exposure.cli.common import (
    Account,
    AsOf,
    BaseCurrency,
    Deals,
    FileArg,
    HubsOpt,
    Live,
    check_out,
    hub_list,
    load_inputs,
    parse_pair,
)
from exposure.cli.output import say
from exposure.errors import ExposureError

Hub = Annotated[str | None, typer.Option("--hub", help="Hub for the history and stress figures (default: the "
                                         "score's hub).")]


@app.command()
def plot(file: FileArg, out: Annotated[Path, typer.Option("--out", help="Folder for the PNG files (created).")],
         hub: Hub = None, as_of: AsOf = None, live: Live = False, deals: Deals = None,
         dpi: Annotated[int, typer.Option("--dpi", help="Resolution of the PNGs.")] = 120,
         account: Account = None, base_currency: BaseCurrency = "USD") -> None:
    """Write the figures as PNGs: hub bars, layers, the deal web, exposure over time, a stress waterfall.

    \b
    Example: exposure plot portfolios/ai_heavy.csv --out figures
    """
    from exposure import plots
    from exposure.analyze import analyze
    from exposure.files import atomic_write
    from exposure.html_report import figure_png
    from exposure.scenarios import stress

    check_out(out, file, deals, folder=True)
    portfolio, web, market = load_inputs(file, as_of, live, deals, account, base_currency)
    report = analyze(portfolio, web, market=market)
    hub_id = web.resolve(hub) if hub else report.top_hub
    figures = {"hub_bars": lambda: plots.hub_bars(report), "layer_mix": lambda: plots.layer_mix(report),
               "deal_web": lambda: plots.deal_web(web, report)}
    if hub_id is not None:
        figures["exposure_over_time"] = lambda: plots.exposure_over_time(portfolio, web, hub_id)
        figures["stress_waterfall"] = lambda: plots.stress_waterfall(
            stress(portfolio, web, shocks={hub_id: 0.5}, market=market))
    out.mkdir(parents=True, exist_ok=True)
    for name, draw in figures.items():
        path = atomic_write(out / f"{name}.png", figure_png(draw(), dpi=dpi), inputs=[file, deals])
        say(f"wrote {path}")


@app.command()
def report(file: FileArg, out: Annotated[Path, typer.Option("--out", help="The HTML file to write.")],
           hub: Hub = None, as_of: AsOf = None, live: Live = False, deals: Deals = None, hubs: HubsOpt = None,
           no_history: Annotated[bool, typer.Option("--no-history", help="Skip the exposure-over-time figure "
                                                    "(faster).")] = False,
           scenario: Annotated[str | None, typer.Option("--scenario", help="A bundled stress scenario for the "
                                                        "stress section (`exposure scenarios`); default: the hub "
                                                        "-50%.")] = None,
           hub_cap: Annotated[list[str] | None, typer.Option("--hub-cap", help="HUB=CAP (repeatable): add a "
                                                             "suggestion section, as `exposure suggest` with "
                                                             "these caps.")] = None,
           account: Account = None, base_currency: BaseCurrency = "USD") -> None:
    """Write one self-contained HTML report: tables, figures, deal sources, as-of dates, model parameters.

    \b
    Example: exposure report portfolios/ai_heavy.csv --out report.html
    """
    from exposure.files import atomic_write
    from exposure.html_report import render_report

    if out.suffix.lower() not in {".html", ".htm"}:
        raise ExposureError(f"{out}: the report is HTML. Fix: give --out a name ending in .html.")
    check_out(out, file, deals)  # say so before the work, not after
    portfolio, web, market = load_inputs(file, as_of, live, deals, account, base_currency)
    stressed = None
    if scenario is not None:
        from exposure.scenarios import stress

        stressed = stress(portfolio, web, scenario=scenario, market=market)
    suggestion = None
    if hub_cap:
        from exposure.optimize import Constraints, suggest

        caps = dict(parse_pair(item, "--hub-cap", "HUB=CAP, e.g. openai=0.15") for item in hub_cap)
        suggestion = suggest(portfolio, web, Constraints(hub_caps=caps), market=market)
    page = render_report(portfolio, web, title=file.name, market=market, hub=hub, history=not no_history,
                         hubs=hub_list(hubs), stress_result=stressed, suggestion=suggestion)
    path = atomic_write(out, page, inputs=[file, deals])
    say(f"wrote {path} ({len(page.encode('utf-8')) / 1e6:.1f} MB)")
