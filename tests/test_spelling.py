"""One spelling, American, throughout the package, its docs and tests (``normalize``, ``optimizer``, ``color``).

Deliberate old names kept as deprecated aliases (``normalise_ticker``, ``Portfolio.normalisation_note``) are
identifiers with an underscore and are not flagged.
"""

from __future__ import annotations

import re

from conftest import ROOT

STEMS = ["normalis", "optimis", "minimis", "maximis", "annualis", "memois", "realis", "recognis", "summaris",
         "penalis", "organis", "capitalis", "serialis", "factoris", "standardis", "prioritis", "initialis",
         "visualis", "categoris", "parametris", "utilis", "stabilis", "characteris", "randomis", "localis",
         "customis", "authoris", "amortis", "generalis"]
WORDS = ["colour", "colours", "coloured", "behaviour", "behaviours", "analyse", "analysed", "analysing", "favour",
         "neighbour", "neighbours", "modelling", "modelled", "labelled", "labelling", "licence", "licences", "centre",
         "centres", "barycentre", "catalogue", "artefact", "honour", "honours", "honoured", "travelled",
         "cancelled", "judgement", "programme", "defence", "rumour", "rumours", "rumoured"]
BRITISH = re.compile(r"(?i)(?<![a-z_])(?:[a-z]*(?:" + "|".join(STEMS) + r")(?:e|ed|es|er|ers|ing|ation|ations)"
                     r"|(?:" + "|".join(WORDS) + r"))(?![a-z_])")
#: Files whose owners' pending work still has British spellings; remove a file once it is swept.
PENDING = {"tests/test_optimize.py", "tests/test_risk.py"}


def test_one_spelling_throughout():
    files = [*ROOT.glob("exposure/**/*.py"), *ROOT.glob("exposure/**/*.md"), *ROOT.glob("exposure/templates/*"),
             *ROOT.glob("docs/*.md"), ROOT / "README.md", ROOT / "CHANGELOG.md", *ROOT.glob("tests/*.py"),
             *ROOT.glob("benchmarks/*.py"), *ROOT.glob("benchmarks/*.md"), *ROOT.glob("examples/*.md")]
    found = []
    for path in sorted(files):
        name = path.relative_to(ROOT).as_posix()
        if name in PENDING or name == "tests/test_spelling.py":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            found += [f"{name}:{number}: {word}" for word in BRITISH.findall(line)]
    assert not found, "\n".join(found)
