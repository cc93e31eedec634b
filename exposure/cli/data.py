"""``exposure data check``: is the bundled data (or your deals file) sourced, dated, consistent and recent?"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from exposure.cli import Format, app
from exposure.cli._coercion import PlainGroup
from exposure.cli.output import emit_json, say

if TYPE_CHECKING:
    import pandas as pd

data_app = typer.Typer(cls=PlainGroup, no_args_is_help=True,
                       help="Check the data behind the scores: sources, dates, conflicts.\n\n"
                            "Example: exposure data check --deals my_deals.csv")
app.add_typer(data_app, name="data")

#: Market snapshot files checked with the bundled data, and the columns each must have.
MARKET_FILES = {"fund_holdings.csv": ["fund", "ticker", "weight", "as_of", "source_url"],
                "fund_aliases.csv": ["ticker", "same_portfolio_as", "relation", "source_url", "as_of"],
                "prices.csv": ["ticker", "price", "currency", "as_of", "source_url"],
                "fx.csv": ["currency", "usd_per_unit", "as_of", "source_url"],
                "financials.csv": ["company_id", "metric", "value_usd_bn", "date", "period", "source_url"]}


@data_app.command("check")
def check(deals: Annotated[Path | None, typer.Option(
        "--deals", help="Check your deals CSV (against the bundled companies and deals) instead.")] = None,
          format: Annotated[Format, typer.Option("--format", "-f", help="table or json.")] = Format.table) -> None:
    """Validate the bundled data or a deals file: schema, a source URL and a date on every row, statuses,
    conflicts between rows, and how old the figures are. Exit code 0 when clean, 2 with one line per problem.

    Examples: `exposure data check`; `exposure data check --deals my_deals.csv`.
    """
    from exposure.datacheck import check_data
    from exposure.dealweb import DealWeb
    from exposure.errors import DealWebError
    from exposure.webfiles import data_file, read_deals

    bundled = DealWeb.bundled()
    lines = _lines(data_file("companies.csv"), "companies")
    if deals is None:
        web, other, market, deals_name = bundled, None, _market_tables(), "deals.csv"
        lines.update(_lines(data_file("deals.csv"), "deals"))
    else:
        web = DealWeb(bundled.companies, read_deals(deals, set(bundled.companies.index)), bundled.aliases)
        other, market, deals_name = bundled.deals, None, str(deals)
        lines.update(_lines(deals, "deals"))
    result = check_data(web, market=market, other_deals=other, lines=lines, deals_file=deals_name)
    if format == Format.json:
        emit_json(result.to_dict())
    else:
        files = ", ".join(f"{name} {count} rows" for name, count in result.counts.items())
        say(f"Checked {files}.")
        if result.freshness is not None:
            say(result.freshness.line())
        for warning in result.warnings:
            say(f"[yellow]warning:[/yellow] {warning}")
        say(f"{len(result.problems)} problem(s), {len(result.warnings)} warning(s).")
        for problem in result.problems:
            typer.echo(f"problem: {problem}")
    if not result.ok:  # a typed error: main() prints it and exits with code 2
        raise DealWebError(f"{len(result.problems)} problem(s) in the data (one per line above). "
                           "Fix: correct each row named, then run `exposure data check` again.")


def _lines(path: Path, what: str) -> dict[str, int]:
    """Row id -> line in the file, so a problem names the line a person edits."""
    from exposure.webfiles import read_table

    frame, _ = read_table(path, ["id"], what)
    return dict(zip(frame["id"], frame.attrs["lines"], strict=True))


def _market_tables() -> dict[str, pd.DataFrame]:
    """The bundled market snapshot files as text frames (with their lines); a file not shipped is skipped."""
    from exposure.webfiles import data_file, read_table

    tables = {}
    for name, columns in MARKET_FILES.items():
        path = data_file(name)
        if path.exists():
            tables[name] = read_table(path, columns, name.removesuffix(".csv"))[0]
    return tables
