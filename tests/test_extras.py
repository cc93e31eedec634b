"""Optional extras: without them the main job runs, and a feature that needs one says which in one line.

The subprocesses simulate ``pip install exposure`` without extras by blocking the optional packages
(``sys.modules[name] = None`` makes ``import name`` fail as if it were not installed).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib

import pytest
from conftest import PORTFOLIOS, run_cli

import exposure as ex
from exposure._optional import EXTRAS, require
from exposure.errors import ExposureError, MissingDependencyError

ROOT = PORTFOLIOS.parent
OPTIONAL = ["cvxpy", "yfinance", "matplotlib", "networkx", "dask", "distributed"]
SAMPLE = str(PORTFOLIOS / "ai_heavy.csv")


def run_without(blocked: list[str], code: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter in which the ``blocked`` packages cannot be imported."""
    prelude = f"import sys\nfor name in {blocked!r}:\n    sys.modules[name] = None\n"
    return subprocess.run([sys.executable, "-c", prelude + code], capture_output=True, text=True, timeout=120,
                          cwd=ROOT)


def cli_without(blocked: list[str], *args: str) -> subprocess.CompletedProcess[str]:
    return run_without(blocked, f"from exposure.cli import main\nsys.argv = ['exposure', *{list(args)!r}]\nmain()")


def test_score_paths_and_stress_run_without_any_extra():
    for args in (["score", SAMPLE], ["paths", SAMPLE, "--hub", "openai", "--top", "3"],
                 ["stress", SAMPLE, "--scenario", "openai_half"], ["deals", "--format", "csv"]):
        done = cli_without(OPTIONAL, *args)
        assert done.returncode == 0, (args, done.stderr)
        assert done.stdout.strip()
    with_extras = run_cli("score", SAMPLE, "--format", "json")
    without = cli_without(OPTIONAL, "score", SAMPLE, "--format", "json")
    assert json.loads(without.stdout)["score"] == json.loads(with_extras.stdout)["score"]  # same answer, no extras


@pytest.mark.parametrize(("blocked", "args", "extra"), [
    ("cvxpy", ["suggest", SAMPLE, "--hub-cap", "openai=0.15"], "optimize"),
    ("matplotlib", ["plot", SAMPLE, "--out", "{tmp}"], "plots"),
    ("yfinance", ["score", SAMPLE, "--live"], "live"),
])
def test_a_missing_extra_is_one_line_naming_the_pip_command(blocked, args, extra, tmp_path):
    done = cli_without([blocked], *[a.format(tmp=tmp_path / "figures") for a in args])
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert f"pip install 'exposure[{extra}]'" in lines[0] and blocked in lines[0]


def test_the_report_without_matplotlib_has_every_table_and_says_how_to_get_the_figures(tmp_path):
    out = tmp_path / "report.html"
    done = cli_without(["matplotlib"], "report", SAMPLE, "--out", str(out), "--no-history")
    assert done.returncode == 0, done.stderr
    page = out.read_text(encoding="utf-8")
    assert "data:image/png" not in page and "pip install &#39;exposure[plots]&#39;" in page
    assert "Deals and their sources" in page and "Stress: Stress nvidia -50.0%" in page  # the score's hub, half its value


def test_the_python_api_raises_a_typed_error_naming_the_extra():
    done = run_without(["cvxpy"], "import exposure as ex\ntry:\n    ex.suggest\nexcept ex.MissingDependencyError as e:\n"
                                  "    print(type(e).__name__, e.extra, isinstance(e, ImportError))\n")
    assert done.stdout.split() == ["MissingDependencyError", "optimize", "True"], done.stderr


def test_require_names_the_extra_and_leaves_other_import_errors_alone(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "networkx", None)
    with pytest.raises(MissingDependencyError, match=r"pip install 'exposure\[graph\]'") as caught:
        ex.DealWeb.bundled().to_networkx()
    assert isinstance(caught.value, ExposureError) and caught.value.package == "networkx"
    # a package that is installed but whose own dependency is missing is not reported as a missing extra
    (tmp_path / "installed_but_broken.py").write_text("import not_installed_anywhere_xyz\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ImportError) as broken:
        require("installed_but_broken", "a feature")
    assert not isinstance(broken.value, MissingDependencyError)
    assert broken.value.name == "not_installed_anywhere_xyz"


def test_every_extra_named_in_messages_exists_in_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    assert set(EXTRAS.values()) | {"all"} <= set(extras)
    for module, extra in EXTRAS.items():
        assert any(spec.startswith(module) for spec in extras[extra]) or module == "distributed"
    # the core install stays free of the extras' packages
    assert not any(dep.split(">")[0].split("[")[0] in OPTIONAL for dep in project["dependencies"])
    assert project["license"] == "MIT" and "version" in project["dynamic"]
