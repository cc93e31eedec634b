"""``exposure refresh``: fetch live prices, fundamentals and fund holdings into the on-disk cache."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from exposure.cli import Format, app
from exposure.cli.output import emit_machine, print_table, say


@app.command("refresh")
def refresh_command(
    tickers: Annotated[list[str] | None, typer.Argument(
        metavar="TICKER",
        help="Yahoo symbols to refresh (default: every listed company of the bundled deal web).")] = None,
    fund: Annotated[list[str] | None, typer.Option(
        "--fund", metavar="FUND",
        help="Also refresh this fund's top-10 holdings (repeatable), e.g. --fund SMH.")] = None,
    cache_dir: Annotated[Path | None, typer.Option(
        "--cache-dir", help="Cache folder (default: $EXPOSURE_CACHE_DIR, else the platform cache folder).")] = None,
    timeout: Annotated[float, typer.Option(
        "--timeout", min=1.0, help="Seconds allowed for each request, retries included.")] = 20.0,
    format: Annotated[Format, typer.Option("--format", "-f", help="table, json or csv.")] = Format.table,
) -> None:
    """Refresh the market-data cache that `--live` reads. Exits 1 when nothing could be fetched live.

    \b
    Example: exposure refresh NVDA AMD --fund SMH --timeout 10
    """
    from exposure.market import YFinanceProvider, refresh

    if not tickers:
        from exposure.dealweb import DealWeb

        tickers = [str(t) for t in DealWeb.bundled().listed["ticker"]]
    provider = YFinanceProvider(cache_dir=cache_dir, timeout=timeout)
    table = refresh(tickers, provider, funds=fund or [])
    data = {"cache_dir": str(provider.cache_dir), "sources": table.reset_index().to_dict("records"),
            "warnings": provider.warnings}
    if not emit_machine(format, data, table):
        print_table(table.fillna(""), title=f"Source of each refreshed value (cache: {provider.cache_dir})")
        for warning in provider.warnings:
            say(f"[yellow]warning:[/yellow] {warning}")
    if not (table == "live").any().any():
        raise typer.Exit(1)  # nothing reached the cache: let scripts notice
