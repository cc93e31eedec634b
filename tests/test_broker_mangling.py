"""Real broker exports (tests/fixtures/brokers) mangled the ways files get mangled on their way to a user.

Each mangled file either loads with the same positions as the original (same format, same total) or is
refused with one line that names the layout it was read as. A download cut short is never read as if it
were whole: a cut row is named, not taken as a smaller number.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest

import exposure as ex
from exposure.errors import PortfolioError

BROKERS = Path(__file__).parent / "fixtures" / "brokers"
FIXTURES = sorted(p.name for p in BROKERS.glob("*.csv"))


def _rewrite(text: str, delimiter: str = ",", quoting: int = csv.QUOTE_MINIMAL, pad: bool = False,
             extra: bool = False, newline: str = "\n") -> str:
    first = text.lstrip().split("\n", 1)[0]
    rows = list(csv.reader(io.StringIO(text), delimiter=";" if first.count(";") > first.count(",") else ","))
    width = max(len(r) for r in rows)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, quoting=quoting, lineterminator=newline)
    for row in rows:
        writer.writerow(row + [""] * (width - len(row) if pad else 0) + (["extra"] if extra and row else []))
    return out.getvalue()


def _variants(text: str) -> Iterator[tuple[str, bytes]]:
    """Ways a file is changed on its way to a user, as bytes."""
    yield "UTF-8 byte-order mark", ("\ufeff" + text).encode()
    yield "CRLF line ends", text.replace("\r\n", "\n").replace("\n", "\r\n").encode()
    yield "semicolons (European Excel)", _rewrite(text, ";").encode()
    yield "tabs", _rewrite(text, "\t").encode()
    yield "Excel: minimal quoting", _rewrite(text, newline="\r\n").encode()
    yield "Excel: every cell quoted", _rewrite(text, quoting=csv.QUOTE_ALL).encode()
    try:  # a file in a script Windows-1252 lacks (Futu's Chinese headers) cannot be re-saved in it at all
        yield "Excel: rows padded to the widest, Windows-1252", _rewrite(text, pad=True, newline="\r\n").encode(
            "cp1252")
    except UnicodeEncodeError:
        yield "Excel: rows padded to the widest", _rewrite(text, pad=True, newline="\r\n").encode()
    yield "an extra column on every line", _rewrite(text, extra=True).encode()


def _total(pf: ex.Portfolio) -> float:
    return float(pf.positions["amount"].sum() + pf.derivatives["value"].fillna(0).sum())


@pytest.mark.parametrize("name", FIXTURES)
def test_mangled_exports_load_the_same_positions(name, tmp_path):
    text = (BROKERS / name).read_text(encoding="utf-8-sig")  # a BOM is the encoding's, not the text's
    original = ex.Portfolio.from_csv(BROKERS / name)
    for label, raw in _variants(text):
        path = tmp_path / name
        path.write_bytes(raw)
        pf = ex.Portfolio.from_csv(path)
        assert pf.format == original.format, label
        assert sorted(pf.positions.index) == sorted(original.positions.index), label
        assert _total(pf) == pytest.approx(_total(original), rel=5e-3), label


@pytest.mark.parametrize("name", FIXTURES)
def test_a_download_cut_short_is_named_in_one_line_or_read_as_its_whole_rows(name, tmp_path):
    text = (BROKERS / name).read_text(encoding="utf-8-sig")  # a BOM is the encoding's, not the text's
    original = _total(ex.Portfolio.from_csv(BROKERS / name))
    for fraction in (0.35, 0.6, 0.85):
        path = tmp_path / name
        path.write_text(text[: int(len(text) * fraction)], encoding="utf-8", newline="")
        try:
            pf = ex.Portfolio.from_csv(path)
        except PortfolioError as error:
            message = str(error)
            assert "\n" not in message and "Fix:" in message
            assert "read as" in message or "cut short" in message or "no header row" in message, message
        else:  # the cut fell between rows: what is read is whole rows, never more than the file's total
            assert abs(_total(pf)) <= abs(original) * 1.005 or pf.format == "generic"


def test_a_row_cut_in_the_middle_of_a_number_is_refused(tmp_path):
    path = tmp_path / "Portfolio_Positions.csv"
    path.write_text("Account Number,Account Name,Symbol,Description,Quantity,Last Price,Current Value\n"
                    'Z00000001,Individual,NVDA,NVIDIA CORP,100,$180.00,"$18,000.00"\n'
                    'Z00000001,Individual,MSFT,MICROSOFT CORP,10,$400.00,"$4,0', encoding="utf-8")
    with pytest.raises(PortfolioError, match=r"row 3: the file ends in the middle of this row.*Fidelity"):
        ex.Portfolio.from_csv(path)
