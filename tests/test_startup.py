"""Start-up stays light: what `import exposure` and a cold `exposure score` load (modules, not timings;
the timing is in benchmarks/bench_core.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("scipy", "cvxpy", "matplotlib", "networkx", "yfinance", "pydantic", "typer._adapters", "rich")


def _loaded(code: str) -> dict[str, object]:
    """Run ``code`` in a fresh interpreter (``sys.argv[1:]`` holds :data:`HEAVY`); it prints one JSON line last."""
    done = subprocess.run([sys.executable, "-c", code, *HEAVY], capture_output=True, text=True, cwd=ROOT,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_import_exposure_loads_neither_numpy_nor_pandas():
    found = _loaded("import json, sys, exposure\n"
                    "print(json.dumps(sorted(m for m in ['numpy', 'pandas', 'pydantic', *sys.argv[1:]] "
                    "if m in sys.modules)))")
    assert found == []


def test_cold_score_loads_no_heavy_library_and_no_other_command():
    found = _loaded("import contextlib, io, json, sys\n"
                    "from exposure.cli import run\n"
                    "with contextlib.redirect_stdout(io.StringIO()):\n"
                    "    code = run(['score', 'portfolios/ai_heavy.csv'])\n"
                    "heavy = sorted(m for m in sys.argv[1:] if m in sys.modules)\n"
                    "commands = sorted(m for m in sys.modules if m.startswith('exposure.cli.'))\n"
                    "print(json.dumps({'code': code, 'heavy': heavy, 'commands': commands}))")
    assert found["code"] == 0
    assert found["heavy"] == []
    assert found["commands"] == ["exposure.cli._coercion", "exposure.cli._render", "exposure.cli.common",
                                 "exposure.cli.output",
                                 "exposure.cli.score"]


def test_command_table_lists_every_registered_command():
    from exposure.cli import COMMANDS, app, app_command

    group = app_command()
    assert sorted(group.commands) == sorted(COMMANDS)  # `--help` lists them in the order of COMMANDS
    registered = [info.name or getattr(info.callback, "__name__", "") for info in app.registered_commands]
    registered += [info.name for info in app.registered_groups]
    assert sorted(registered) == sorted(COMMANDS)


def test_the_script_runs_blas_on_one_thread_except_for_suggest():
    env = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS") and k != "VECLIB_MAXIMUM_THREADS"}
    code = ("import json, os, sys\n"
            "from exposure.cli import _one_blas_thread\n"
            "_one_blas_thread(sys.argv[1:])\n"
            "print(json.dumps(os.environ.get('OPENBLAS_NUM_THREADS')))")
    for args, expected in ((["score", "x.csv"], "1"), (["--version"], "1"), (["suggest", "x.csv"], None)):
        done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=ROOT,
                              timeout=120, env=env)
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout) == expected, args
    kept = {**env, "OPENBLAS_NUM_THREADS": "2"}  # the user's choice wins
    done = subprocess.run([sys.executable, "-c", code, "score"], capture_output=True, text=True, cwd=ROOT,
                          timeout=120, env=kept)
    assert json.loads(done.stdout) == "2"
