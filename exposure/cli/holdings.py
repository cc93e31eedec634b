"""``exposure holdings``: how a holdings file was read, line by line, so its numbers can be trusted."""

from __future__ import annotations

from typing import Annotated

import typer

from exposure.cli import Format, app
from exposure.cli.common import Account, BaseCurrency, FileArg, Fmt
from exposure.cli.output import emit_machine, print_table, say


@app.command("holdings")
def holdings_command(file: FileArg, format: Fmt = Format.table, account: Account = None,
                     base_currency: BaseCurrency = "USD",
                     lines: Annotated[bool, typer.Option("--lines", help="List every line of the file with its "
                                                                          "class, not only the skipped ones.")] = False
                     ) -> None:
    """Show how a holdings file is read: format, each line's class, what was skipped and why, totals, currencies.

    Example: exposure holdings Portfolio_Positions_Aug-15-2026.csv --account Roth
    """
    from exposure.holdings import line_table, read_holdings
    from exposure.holdings.reader import read_bytes
    from exposure.portfolio import Portfolio

    holdings = read_holdings(read_bytes(file), str(file), base_currency=base_currency)
    portfolio = Portfolio.from_holdings(holdings, str(file))
    if account:
        portfolio = portfolio.account(account)
    table = line_table(holdings)
    positions = portfolio.positions[["name", "account", "amount"]].rename(columns={"amount": portfolio.kind})
    if portfolio.kind != "shares":
        positions["weight"] = portfolio.valued()["weight"].to_numpy()
    label = holdings.statement.label if holdings.statement is not None else "a ticker and amount table"
    counts = table["class"].value_counts().to_dict()
    data = {"file": str(file), "format": holdings.format, "label": label, "kind": portfolio.kind,
            "base_currency": portfolio.base_currency, "accounts": portfolio.accounts, "counts": counts,
            "lines": table.to_dict("records"), "positions": positions.reset_index().to_dict("records"),
            "derivatives": portfolio.derivatives.to_dict("records"), "notes": portfolio.notes}
    if emit_machine(format, data, table):
        return
    shown = ", ".join(f"{n} {kind}" for kind, n in counts.items())
    unit = f"market values in {portfolio.base_currency}" if portfolio.kind == "market_value" else portfolio.kind
    say(f"[bold]{file.name}[/bold]: read as {label} ([bold]{holdings.format}[/bold]); lines: {shown}; {unit}.")
    print_table(positions, title="Positions (summed per ticker; CASH = cash, money market and pending)",
                percent_columns=("weight",))
    if len(portfolio.derivatives):
        print_table(portfolio.derivatives.set_index("ticker"), title="Derivatives (kept apart, not in the weights)")
    listed = table if lines else table[~table["class"].isin(["security", "cash", "pending", "derivative"])]
    if len(listed):
        print_table(listed.set_index("line"), title="Every line and its class" if lines else "Skipped lines and why")
    for note in portfolio.notes:
        say(f"[yellow]note:[/yellow] {note}")
