"""The ``exposure`` command: thin over the Python API.

User mistakes (any :class:`exposure.errors.ExposureError`) print one line on stderr and exit with code 2,
without a traceback. ``--format json`` output is stable for scripts.
"""

from __future__ import annotations

import importlib
import sys
from enum import StrEnum

import typer

from exposure.errors import ExposureError

app = typer.Typer(
    add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
    help="How much of a portfolio rides on the AI-infrastructure hubs, and how to diversify away from it.",
)


class Format(StrEnum):
    """Output formats every command accepts."""

    table = "table"
    json = "json"
    csv = "csv"


def main() -> None:
    """Entry point: run the app, turning user errors into one line and exit code 2."""
    try:
        app(standalone_mode=False)
    except ExposureError as error:
        typer.echo(f"error: {error}", err=True)
        sys.exit(2)
    except (typer.Exit, SystemExit) as stop:
        code = getattr(stop, "exit_code", getattr(stop, "code", 0))
        sys.exit(code)
    except typer.Abort:
        typer.echo("aborted", err=True)
        sys.exit(1)
    except Exception as error:  # click usage errors arrive here in standalone_mode=False
        import click

        if isinstance(error, click.ClickException):
            error.show()
            sys.exit(error.exit_code)
        raise


# Command modules register themselves on ``app`` when imported, in the order `exposure --help` lists them.
for _module in ("score", "hubs", "holdings", "web", "stress", "suggest", "plot", "market", "data", "validate"):
    importlib.import_module(f"exposure.cli.{_module}")
