"""``exposure deals`` and ``exposure companies``: the bundled web and its sources."""

from __future__ import annotations

from typing import Annotated

import typer

from exposure.cli import Format, app
from exposure.cli.output import emit_machine, print_table


@app.command()
def deals(as_of: Annotated[str | None, typer.Option("--as-of", help="Only deals announced by YYYY-MM-DD.")] = None,
          company: Annotated[str | None, typer.Option("--company", help="Only deals of this company.")] = None,
          format: Annotated[Format, typer.Option("--format", "-f")] = Format.table) -> None:
    """List the deals of the web with amounts, status and sources."""
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
        print_table(table[["payer", "payee", "type", "amount_usd_bn", "capacity_gw", "announced", "status",
                           "source_url"]], title=f"{len(table)} deals (USD bn)")


@app.command()
def companies(layer: Annotated[str | None, typer.Option("--layer", help="Only this layer.")] = None,
              format: Annotated[Format, typer.Option("--format", "-f")] = Format.table) -> None:
    """List the companies of the web with ticker, layer, figures and sources."""
    from exposure.dealweb import DealWeb
    from exposure.errors import DealWebError
    from exposure.models import Layer

    table = DealWeb.bundled().companies
    if layer:
        if layer not in set(Layer):
            raise DealWebError(f"unknown layer '{layer}'. Fix: use one of {', '.join(Layer)}.")
        table = table[table["layer"] == layer]
    if not emit_machine(format, table, table):
        print_table(table[["name", "ticker", "layer", "revenue_usd_bn", "market_cap_usd_bn", "as_of",
                           "source_url"]], title=f"{len(table)} companies (USD bn)")
