"""``exposure deals`` and ``exposure companies``: the bundled web and its sources.

Tables fit 100 columns; ``--wide`` adds the source URLs (``--format csv`` or ``json`` always has them).
"""

from __future__ import annotations

from typing import Annotated

import typer

from exposure.cli import Format, app
from exposure.cli.output import emit_machine, print_table, say
from exposure.taxonomy import Layer

Wide = Annotated[bool, typer.Option("--wide", help="Add the source URL column (needs a wide terminal).")]
FormatOption = Annotated[Format, typer.Option("--format", "-f", help="table, json or csv (with sources).")]
DEAL_COLUMNS = ["payer", "payee", "type", "amount_usd_bn", "capacity_gw", "announced", "status"]
#: Column headers of the tables (the CSV and JSON keep the full names).
SHORT = {"revenue_usd_bn": "revenue", "market_cap_usd_bn": "mkt_cap"}
COMPANY_COLUMNS = ["name", "ticker", "layer", "revenue_usd_bn", "market_cap_usd_bn", "as_of"]


@app.command()
def deals(as_of: Annotated[str | None, typer.Option("--as-of", help="Only deals announced by YYYY-MM-DD.")] = None,
          company: Annotated[str | None, typer.Option("--company", help="Only deals of this company.")] = None,
          wide: Wide = False, format: FormatOption = Format.table) -> None:
    """List the deals of the web with amounts, status and sources.

    \b
    Example: exposure deals --company oracle --wide
    """
    from exposure.dealweb import DealWeb

    web = DealWeb.bundled()
    if as_of:
        web = web.as_of(as_of)
    table = web.deals
    if company:
        cid = web.resolve(company)
        table = table[(table["payer"] == cid) | (table["payee"] == cid)]
    table = table.set_index("id")
    if not emit_machine(format, table, table):
        shown = table[DEAL_COLUMNS + (["source_url"] if wide else [])].copy()
        shown.insert(3, "amount", [_amount(usd, gw) for usd, gw in zip(table["amount_usd_bn"], table["capacity_gw"],
                                                                         strict=True)])
        shown = shown.drop(columns=["amount_usd_bn", "capacity_gw"])
        print_table(shown, title=f"{len(table)} deals (amount in USD bn, or GW where only capacity is known)",
                    compact=not wide, right=("amount",))
        if not wide:
            say("Sources: `exposure deals --wide` (or --format csv).")


@app.command()
def companies(layer: Annotated[Layer | None, typer.Option("--layer", help="Only this layer.")] = None,
              wide: Wide = False, format: FormatOption = Format.table) -> None:
    """List the companies of the web with ticker, layer, figures and sources.

    \b
    Example: exposure companies --layer neocloud
    """
    from exposure.dealweb import DealWeb

    table = DealWeb.bundled().companies
    if layer is not None:
        table = table[table["layer"] == layer.value]
    if not emit_machine(format, table, table):
        shown = table[COMPANY_COLUMNS + (["source_url"] if wide else [])].rename(columns=SHORT)
        print_table(shown, title=f"{len(table)} companies (revenue and market cap in USD bn)", compact=not wide)
        if not wide:
            say("Sources: `exposure companies --wide` (or --format csv).")


def _amount(usd_bn: float, gw: float) -> str:
    """One short cell: ``300.0`` (USD bn), ``1.5 GW`` when only the capacity is disclosed, else blank."""
    if usd_bn == usd_bn and usd_bn is not None:  # not NaN
        return f"{usd_bn:,.1f}"
    if gw == gw and gw is not None:
        return f"{gw:g} GW"
    return ""
