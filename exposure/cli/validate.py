"""``exposure validate``: the model checked against announcement-day stock moves."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from exposure.cli import Format, app
from exposure.cli.common import Deals, Fmt
from exposure.cli.output import emit_machine, print_table, say

SHOWN = ["deal_id", "ticker", "role", "counterparty", "date", "move_pct", "basis", "dependence", "model_share",
         "implied_kappa"]


@app.command("validate")
def validate_command(
    moves: Annotated[Path | None, typer.Option(
        "--moves", help="Your own announcement-moves CSV (the bundled table's columns).")] = None,
    deals: Deals = None,
    live: Annotated[bool, typer.Option(
        "--live", help="Also compare 60-day return betas to the listed hubs with L (yfinance, cached).")] = False,
    format: Fmt = Format.table,
) -> None:
    """Rank-correlate the model's dependence with announcement-day moves and give the implied kappa.

    Examples: `exposure validate`, `exposure validate --format json`, `exposure validate --live`.
    """
    from exposure.dealweb import DealWeb
    from exposure.errors import MarketDataError
    from exposure.validate import load_moves, market_betas, validate

    web = DealWeb.bundled()
    if deals is not None:
        web = web.with_deals(deals)
    result = validate(web, load_moves(moves))
    betas, note = None, "rolling return betas need a price history: run with --live"
    if live:
        from exposure.market import YFinanceProvider

        try:
            betas = market_betas(YFinanceProvider(timeout=10), web)
            note = f"{len(betas)} company-hub betas over the last 60 trading days"
        except MarketDataError as error:
            note = str(error)
    correlations = result.correlations.rename_axis("sample")
    data = {"moves": result.table.to_dict("records"), "correlations": correlations,
            "kappa": result.kappa.to_dict(), "summary": result.text,
            "betas": None if betas is None else betas.to_dict("records"), "betas_note": note}
    if emit_machine(format, data, result.table):
        return
    print_table(result.table[SHOWN], title="Announcement-day moves and the model's dependence",
                percent_columns=("dependence", "model_share"))
    print_table(correlations.assign(rho=correlations["rho"].map("{:.2f}".format),
                                    p_value=correlations["p_value"].map("{:.3f}".format)),
                title="Spearman rho of L with the move")
    say(result.text)
    if betas is not None and len(betas):
        from exposure.validate import spearman

        rho, p_value, n = spearman(betas["beta"], betas["dependence"])
        say(f"Betas: Spearman rho between beta and L[company, hub] = {rho:.2f} (p = {p_value:.3f}, n = {n}).")
    else:
        say(f"[yellow]note:[/yellow] {note}")
