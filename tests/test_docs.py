"""The documentation: it builds (mkdocs, strict), and nothing in the package points outside the repository."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from conftest import ROOT

PACKAGE = ROOT / "exposure"
#: Files that exist only outside this repository (the project's working notes); the package may not cite them.
OUTSIDE = re.compile(r"METHODS\.md|DESIGN\.md|DESIGN section|METHODS (section )?\d|shared/reference")


def test_the_docs_build_strictly(tmp_path):
    pytest.importorskip("mkdocstrings")
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    api = (tmp_path / "site" / "api" / "index.html").read_text(encoding="utf-8")
    for name in ("analyze", "hub_loadings", "linear_debtrank", "suggest", "MissingDependencyError"):
        assert name in api
    methods = (tmp_path / "site" / "methods" / "index.html").read_text(encoding="utf-8")
    assert "Worked examples the tests check" in methods


def test_no_reference_in_the_package_points_outside_the_repository():
    cited = []
    for path in sorted(PACKAGE.rglob("*")):
        if path.suffix in {".py", ".md", ".html", ".csv"}:
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
                if OUTSIDE.search(line):
                    cited.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not cited, "\n".join(cited)


def test_every_docs_page_the_package_cites_exists():
    cited = set()
    for path in PACKAGE.rglob("*.py"):
        cited |= set(re.findall(r"docs/[\w./-]+\.md", path.read_text(encoding="utf-8")))
    assert cited, "the package cites its docs"
    assert all((ROOT / page).is_file() for page in cited), sorted(cited)
