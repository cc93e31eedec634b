"""``exposure hubs``: the web's AI hubs by systemic importance, and its loops and cycles of money."""

from __future__ import annotations

from typing import Annotated

import typer

from exposure.cli import Format, app
from exposure.cli.common import AsOf, Deals, Fmt
from exposure.cli.output import emit_machine, print_table, say


@app.command()
def hubs(as_of: AsOf = None, deals: Deals = None,
         threshold: Annotated[float | None, typer.Option(
             "--threshold", help="Hub when wiping it out costs the rest of the web at least this fraction of "
             "its listed market value (default 0.0025).")] = None,
         top: Annotated[int, typer.Option("--top", help="Rows to show per table.")] = 15,
         format: Fmt = Format.table) -> None:
    """List the AI hubs (DebtRank centrality, independent of any portfolio) and the web's circular deals.

    \b
    Example: exposure hubs --top 10
    """
    from exposure.dealweb import DealWeb
    from exposure.errors import DealWebError
    from exposure.hubs import HUB_THRESHOLD, circular_structures, participation, systemic_importance

    cut = HUB_THRESHOLD if threshold is None else threshold
    if not 0 < cut < 1:
        raise DealWebError(f"--threshold {cut:g} is not a fraction. Fix: give a number between 0 and 1, "
                           f"e.g. {HUB_THRESHOLD}.")
    web = DealWeb.bundled()
    if deals is not None:
        web = web.with_deals(deals)
    if as_of:
        web = web.as_of(as_of)
    structures = circular_structures(web)
    table = systemic_importance(web.sensitivity(), web.companies, cut).join(participation(structures))
    table = table.fillna({"loops": 0, "cycles": 0, "circular_usd_bn": 0.0}).astype({"loops": int, "cycles": int})
    if emit_machine(format, {"threshold": cut, "hubs": table, "structures": structures}, table):
        return
    count = int(table["hub"].sum())
    shown = table.drop(columns=["name", "layer"]).head(max(top, count))
    print_table(shown.round({"loss_usd_bn": 1, "circular_usd_bn": 1}),
                title=f"{count} AI hubs: wiping one out costs the rest of the web >= {100 * cut:g}% of its listed "
                "market value (loss_usd_bn, linear DebtRank)", percent_columns=("loss_share",))
    say(f"{len(structures)} circular structures ({int((structures['kind'] == 'loop').sum())} two-party loops, "
        f"{int((structures['kind'] == 'cycle').sum())} multi-party cycles), by dollars that go all the way round:")
    print_table(structures.head(top)[["kind", "chain", "usd_bn", "gross_usd_bn", "deals"]].round(2))
