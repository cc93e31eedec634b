"""The example notebooks run top to bottom from a clean kernel, offline, and are stored without outputs."""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
NOTEBOOKS = sorted(EXAMPLES.glob("*.ipynb"))
CELL_TIMEOUT = 120  # seconds; the slowest cell (exposure over time) takes a few


def test_there_are_at_least_three_notebooks():
    assert {"01_quick_start.ipynb", "02_deal_web.ipynb", "03_diversification.ipynb"} <= {p.name for p in NOTEBOOKS}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_is_stored_clean_and_teaches(path: Path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    prose = [c for c in nb.cells if c.cell_type == "markdown"]
    assert all(not c.outputs and c.execution_count is None for c in code), "clear the outputs before committing"
    assert len(prose) >= 5 and nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_headless(path: Path):
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3", allow_errors=False,
                            resources={"metadata": {"path": str(EXAMPLES)}})
    try:
        client.execute()
    except CellExecutionError as error:  # the failing cell and its traceback, not a kernel dump
        pytest.fail(f"{path.name}: a cell failed\n{error}")
    figures = sum("image/png" in o.get("data", {}) for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert figures >= 2, "the notebook should show its figures"
    assert sys.executable  # the kernel is this interpreter's (the venv's) python3
