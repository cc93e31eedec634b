"""The ``exposure`` command: thin over the Python API, with ONE error path.

Exit codes (README, "Exit codes", lists the same):

* 0: done.
* 1: nothing fetched live (``refresh``), interrupted (Ctrl-C), stdout closed or full, or an internal error
  (a bug: one line, ``EXPOSURE_DEBUG=1`` shows the traceback).
* 2: a usage or input mistake: an unknown command or option, a missing argument, a bad value, a file that
  cannot be used (any :class:`exposure.errors.ExposureError`). One line on stderr that names the input and
  the fix, with "did you mean" for commands, options and hub names; never a traceback.

typer 0.29 bundles its own click (``typer._click``): its exception classes are the ones caught here, so
nothing depends on the separate ``click`` package.

Start-up: a command's module is imported only when that command runs (:data:`COMMANDS`), and the ``exposure``
script runs BLAS on one thread (:func:`main`), so a cold ``exposure score`` loads little beyond pandas.
"""

from __future__ import annotations

import difflib
import errno
import importlib
import os
import sys
import warnings
from enum import StrEnum
from typing import Annotated, Any

import typer
from typer._click import exceptions as click_errors

from exposure.cli._coercion import PlainGroup, use_plain_commands
from exposure.errors import ExposureError, LiveDataWarning

#: Every command and the module of ``exposure.cli`` that defines it, in the order `exposure --help` lists them.
COMMANDS = {"score": "score", "paths": "score", "hubs": "hubs", "holdings": "holdings", "deals": "web",
            "companies": "web", "stress": "stress", "scenarios": "stress", "suggest": "suggest", "plot": "plot",
            "report": "plot", "refresh": "market", "validate": "validate", "data": "data"}
#: Commands whose matrices can be large enough for several BLAS threads to pay (the optimizer's risk model).
THREADED_COMMANDS = {"suggest", "report"}


class LazyGroup(PlainGroup):
    """The click group behind ``app``: a command's module is imported when the command is first looked up,
    so ``exposure score`` imports no other command's code (``--help`` and error messages load them all)."""

    def list_commands(self, ctx: Any) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            importlib.import_module(f"exposure.cli.{COMMANDS[cmd_name]}")
            self._add_registered()
        return self.commands.get(cmd_name)

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        if args and args[0] not in COMMANDS:
            self.load_all()  # an unknown command: "did you mean" compares it with every name
        return super().resolve_command(ctx, args)

    def load_all(self) -> LazyGroup:
        """Import every command's module; returns the group, now holding every command."""
        for name in COMMANDS:
            self.get_command(None, name)
        return self

    def _add_registered(self) -> None:
        """Build the click commands (and groups) registered on ``app`` that the group does not hold yet, their
        plain options parsed without pydantic (:mod:`exposure.cli._coercion`)."""
        use_plain_commands(app)
        options: dict[str, Any] = {"pretty_exceptions_short": app.pretty_exceptions_short,
                                   "rich_markup_mode": app.rich_markup_mode}
        for info in app.registered_commands:
            name = info.name or typer.main.get_command_name(info.callback.__name__)  # type: ignore[union-attr]
            if name not in self.commands:
                self.commands[name] = typer.main.get_command_from_info(info, **options)
        for group in app.registered_groups:
            if group.name is not None and group.name not in self.commands:
                self.commands[group.name] = typer.main.get_group_from_info(
                    group, suggest_commands=app.suggest_commands, **options)


app = typer.Typer(
    cls=LazyGroup, add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False, rich_markup_mode=None,
    help="How much of a portfolio rides on the AI-infrastructure hubs, and how to diversify away from it.\n\n"
         "Example: exposure score portfolios/ai_heavy.csv",
)

#: Process exit codes.
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class Format(StrEnum):
    """Output formats every command accepts."""

    table = "table"
    json = "json"
    csv = "csv"


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            typer.echo(f"exposure {version('exposure')}")
        except PackageNotFoundError:  # running from a source tree that was never installed
            from exposure import __version__

            typer.echo(f"exposure {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(version: Annotated[bool, typer.Option("--version", is_eager=True, callback=_version,
                                                help="Print the version and exit.")] = False) -> None:
    """How much of a portfolio rides on the AI-infrastructure hubs, and how to diversify away from it.

    \b
    Example: exposure score portfolios/ai_heavy.csv
    """


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``exposure`` script: run the app, exit with 0, 1 or 2 (see the module docstring).

    yfinance downloads in pooled threads that the interpreter joins at exit (``concurrent.futures`` does so
    even for daemon threads); one stuck on a dead connection would keep the process alive long after
    ``--timeout`` (the provider stopped waiting for it). Once the output is flushed, such stragglers are
    abandoned with ``os._exit``, so ``--live`` ends within its timeout.
    """
    import threading

    args = sys.argv[1:] if argv is None else list(argv)
    _one_blas_thread(args)
    before = set(threading.enumerate())
    code = run(args)
    if _stragglers(before):
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        os._exit(code)
    sys.exit(code)


def _one_blas_thread(args: list[str]) -> None:
    """Run BLAS on one thread unless the user chose (``OPENBLAS_NUM_THREADS`` and the like are set) or the
    command is one of :data:`THREADED_COMMANDS`.

    The other commands solve matrices of a few hundred companies, where a LAPACK call takes well under a
    millisecond on one thread, while waking OpenBLAS's threads costs more than the solve (on a busy 2-core
    machine, a 110-company solve took 0.6 s with its threads and 0.4 ms without). The variables are read when
    numpy loads, so this only has an effect before the first import of numpy.
    """
    command = next((arg for arg in args if not arg.startswith("-")), None)
    if "numpy" in sys.modules or command in THREADED_COMMANDS:
        return
    for variable in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS"):
        os.environ.setdefault(variable, "1")


def _stragglers(before: set[Any]) -> bool:
    """Whether a thread started during this run is still running (a fetch abandoned at its deadline)."""
    import threading

    return any(t.is_alive() and t not in before for t in threading.enumerate())


def run(args: list[str]) -> int:
    """Run ``exposure ARGS`` and return the exit code; every failure is one line on stderr."""
    warnings.simplefilter("ignore", LiveDataWarning)  # the commands print the provider's warnings as notes
    try:
        try:
            code = app(args=args, prog_name="exposure", standalone_mode=False)
        finally:
            sys.stdout.flush()  # a closed or full stdout surfaces here, inside the handlers below
    except ExposureError as error:
        return _fail(str(error), EXIT_USAGE)
    except click_errors.NoArgsIsHelpError as error:
        typer.echo(error.format_message(), err=True)
        return EXIT_USAGE
    except click_errors.UsageError as error:
        return _fail(_usage_line(error), EXIT_USAGE)
    except click_errors.ClickException as error:
        return _fail(error.format_message(), error.exit_code if error.exit_code in (1, 2) else EXIT_FAILED)
    except (typer.Abort, KeyboardInterrupt, EOFError):
        return _fail("aborted.", EXIT_FAILED)
    except OSError as error:
        if error.errno in (errno.EPIPE, errno.ENOSPC, errno.EIO) or isinstance(error, BrokenPipeError):
            _silence_stdout()  # the reader went away or the disk is full: nothing more can be said there
            return EXIT_FAILED
        where = f"{error.filename}: " if error.filename else ""
        return _fail(f"{where}{error.strerror or error}. Fix: check the path and its permissions.", EXIT_USAGE)
    except Exception as error:
        if os.environ.get("EXPOSURE_DEBUG"):
            raise
        first = (str(error).splitlines() or [""])[0][:200]
        return _fail(f"internal error ({type(error).__name__}: {first}). This is a bug: please report it with "
                     "the command you ran; EXPOSURE_DEBUG=1 shows the traceback.", EXIT_FAILED)
    if code == 130:  # typer turns Ctrl-C into Exit(130)
        return _fail("aborted.", EXIT_FAILED)
    return code if isinstance(code, int) and code in (EXIT_OK, EXIT_FAILED, EXIT_USAGE) else EXIT_OK


def _fail(message: str, code: int) -> int:
    """Print ``error: MESSAGE`` as one line on stderr (if stderr is still there) and return ``code``."""
    line = " ".join(message.split())
    try:
        print(f"error: {line}", file=sys.stderr, flush=True)
    except (OSError, ValueError):
        pass
    return code


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush cannot print a second error."""
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # stdout replaced by an object without a descriptor
        pass


def _usage_line(error: click_errors.UsageError) -> str:
    """One line for a usage mistake: what is wrong, a close match, and the fix (the usage or the options)."""
    ctx = error.ctx
    command = ctx.command_path if ctx is not None else "exposure"
    message = error.format_message().replace("Value error, ", "").rstrip(".?")
    if isinstance(error, click_errors.NoSuchOption) and ctx is not None:
        return _no_such_option(error.option_name, ctx.command, command)
    if isinstance(error, click_errors.BadOptionUsage):
        return f"{message}. Fix: give a value after {error.option_name}; see `exposure COMMAND --help`."
    if "No such command" in message:  # of the group that was asked: `exposure data chek` lists data's own
        group = getattr(ctx.command, "commands", None) if ctx is not None and ctx.parent is not None else None
        commands = sorted(group) if group else sorted(COMMANDS)
        end = "?" if "Did you mean" in message else "."
        return f"{message}{end} Fix: use one of {', '.join(commands)} (`{command} --help` says what each does)."
    usage = ctx.command.get_usage(ctx).replace("Usage: ", "") if ctx is not None else "exposure COMMAND"
    return f"{command}: {message}. Fix: usage is `{usage}`; see `{command} --help`."


def _no_such_option(option: str, target: Any, command: str) -> str:
    """``no such option`` with close matches, the commands that do take it, and the options this one takes."""
    known = sorted(_options(target) | {"--help"})
    close = difflib.get_close_matches(option, known, n=2, cutoff=0.7)
    line = f"no such option {option} for `{command}`"
    if close:
        line += f" (did you mean {' or '.join(close)}?)"
    elsewhere = sorted(name for name, other in getattr(app_command(), "commands", {}).items()
                       if option in _options(other))
    if elsewhere and not close:
        line += f" ({option} is an option of {', '.join(elsewhere)})"
    return f"{line}. Fix: `{command}` takes {', '.join(known)}."


def _options(command: Any) -> set[str]:
    return {o for p in getattr(command, "params", []) for o in (*p.opts, *p.secondary_opts) if o.startswith("-")}


def app_command() -> Any:
    """The click group behind ``app`` with every command loaded (built once), to list commands and their
    options in messages."""
    global _GROUP
    if _GROUP is None:
        _GROUP = typer.main.get_command(app)
        _GROUP.load_all()
    return _GROUP


_GROUP: Any = None
