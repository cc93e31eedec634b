"""``exposure score`` and ``exposure paths``: the main job."""

from __future__ import annotations

from typing import Annotated

import typer

from exposure.cli import Format, app
from exposure.cli.common import (
    Account,
    AsOf,
    BaseCurrency,
    Deals,
    FileArg,
    Fmt,
    HubsOpt,
    Live,
    freshness_of,
    hub_list,
    load_inputs,
)
from exposure.cli.output import emit_machine, print_table, say
from exposure.report import ExposureReport


@app.command()
def score(file: FileArg, as_of: AsOf = None, hubs: HubsOpt = None,
          top: Annotated[int, typer.Option("--top", help="Hub rows to show in the table.")] = 10,
          live: Live = False, deals: Deals = None, format: Fmt = Format.table, account: Account = None,
          base_currency: BaseCurrency = "USD") -> None:
    """Score a portfolio: exposure to every hub (direct, first order, network), layers, concentration.

    \b
    Example: exposure score portfolios/ai_heavy.csv --format json
    """
    from exposure.analyze import analyze

    portfolio, web, market = load_inputs(file, as_of, live, deals, account, base_currency)
    report = analyze(portfolio, web, hubs=hub_list(hubs), market=market)
    freshness = freshness_of(web, market)  # how old the deals and market figures are
    if format != Format.table:  # the JSON document is built only when it is printed
        emit_machine(format, {**report.to_dict(), "data": freshness.to_dict()}, report.hubs)
        return
    say(f"[bold]{file.name}[/bold]: {report.explain()}")
    # what undermines the score itself (much of the value unmapped, a mistyped ticker) comes first
    urgent = [n for n in report.notes if n.startswith("WARNING") or "did you mean" in n]
    for note in urgent:
        say(f"[bold red]{note}[/bold red]")
    shown = report.hubs[report.hubs["total"] > 0]
    if len(shown):  # no company of the web at all (a no-AI portfolio): no empty "top 0" table
        print_table(shown[["name", "ai_hub", "direct", "first_order", "network", "total"]],
                    title=f"Exposure to companies of the web (fractions of portfolio value), top "
                          f"{min(top, len(shown))}",
                    percent_columns=("direct", "first_order", "network", "total"), max_rows=top)
    _through_deals(report)
    print_table(report.layers, title="Look-through weight by layer", percent_columns=("weight",))
    m, c = report.metrics, report.coverage
    say(report.concentration_line())
    mix = report.layer_mix[report.layer_mix["status"].isin(["below", "above"])]
    if len(mix):
        say("AI sleeve against the balanced bands: " + "; ".join(
            f"{layer} {100 * row['share']:.0f}% ({row['status']} {100 * row['lo']:.0f}-{100 * row['hi']:.0f}%)"
            for layer, row in mix.iterrows()))
    _loops(report)
    say(f"AI hubs: {', '.join(m['ai_hubs']) or 'none'} | effective hubs {m['effective_hubs']:.1f} | "
        f"spectral radius of L {m['spectral_radius']:.3f}")
    unmapped = c["unmapped_tickers"]
    listed = ", ".join(unmapped[:10]) + (f" and {len(unmapped) - 10} more" if len(unmapped) > 10 else "")
    say("Coverage: unmapped (tickers neither the web nor the market data knows: check them) "
        f"{100 * c['unmapped_weight']:.1f}%"
        + (f" ({listed})" if unmapped else "")
        + f", known holdings outside the web (layer other, no deal exposure) {100 * c['outside_web_weight']:.1f}%"
        + f", funds not looked through {100 * c['not_looked_through_weight']:.1f}%, "
        f"{c['deals_left_out']} of {c['deals_in_web']} deals left out of L (undisclosed amounts or figures), "
        f"{c['channels_left_out']} deal channels left out (a revenue or market cap missing), "
        f"{len(c['estimated_deals'])} deals valued from gigawatts (estimates).")
    for note in report.notes:
        if note not in urgent:
            say(f"[yellow]note:[/yellow] {note}")
    say(freshness.line())
    if report.top_hub:
        say(f"Why: `exposure paths {file} --hub {report.top_hub}`")


def _loops(report: ExposureReport, shown: int = 3) -> None:
    """The web's circular structures this portfolio holds a member of, largest circulating dollars first."""
    loops = report.loops
    if loops.empty:
        return
    say(f"Circular structures this portfolio holds a member of ({len(loops)}; `exposure hubs` lists all):")
    for _, row in loops.head(shown).iterrows():
        say(f"  {row['kind']} {row['chain']}: ${row['usd_bn']:,.4g}bn goes round (deals {row['deals']}); "
            f"held: {row['held']} ({100 * row['held_weight']:.0f}%)")


def _through_deals(report: ExposureReport, chains: int = 3) -> None:
    """The hub this portfolio rides on most through deals (not holdings), with its top chains."""
    indirect = report.hubs["first_order"] + report.hubs["network"]
    if indirect.empty or not indirect.max() > 0:
        return
    hub = str(indirect.idxmax())
    row = report.hubs.loc[hub]
    held = f", besides {100 * row['direct']:.1f}% held directly" if row["direct"] > 0 else ", without holding it"
    say(f"Through deals alone, {100 * indirect[hub]:.1f}% of the portfolio's value depends on "
        f"[bold]{row['name']}[/bold]{held}. Largest chains:")
    for _, chain in report.paths(hub, top=chains + 1).query("hops > 0").head(chains).iterrows():
        say(f"  {chain['holding']}: {chain['chain']}, {100 * chain['exposure']:.1f}% of value ({chain['deals']})")


@app.command()
def paths(file: FileArg, hub: Annotated[str, typer.Option("--hub", help="Hub id, name or ticker.")],
          top: Annotated[int, typer.Option("--top", help="Number of chains.")] = 10,
          as_of: AsOf = None, live: Live = False, deals: Deals = None, format: Fmt = Format.table,
          account: Account = None, base_currency: BaseCurrency = "USD") -> None:
    """Explain one hub's exposure: the chains holding -> deal -> ... -> hub behind it.

    \b
    Example: exposure paths portfolios/ai_heavy.csv --hub openai
    """
    from exposure.analyze import analyze

    portfolio, web, market = load_inputs(file, as_of, live, deals, account, base_currency)
    report = analyze(portfolio, web, market=market)
    hub_id = web.resolve(hub)
    table = report.paths(hub_id, top=top)
    freshness = freshness_of(web, market)
    if emit_machine(format, {"hub": hub_id, "total": report.hubs.at[hub_id, "total"], "paths": table,
                             "data": freshness.to_dict()}, table):
        return
    row = report.hubs.loc[hub_id]
    say(f"[bold]{row['name']}[/bold]: total {100 * row['total']:.2f}% of portfolio value "
        f"(direct {100 * row['direct']:.2f}%, first order {100 * row['first_order']:.2f}%, "
        f"network {100 * row['network']:.2f}%).")
    if table.empty:
        say("No chain of deals links this portfolio to that hub.")
    else:
        print_table(table, title=f"Top {len(table)} chains to {row['name']} (deal id, channel, dependence per hop)",
                    percent_columns=("exposure", "share"))
    say(freshness.line())
