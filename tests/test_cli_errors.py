"""User mistakes at the command line: exit code 2, one line on stderr naming the input and the fix, no traceback.

Most cases run :func:`exposure.cli.main` in-process (it is what the ``exposure`` script calls) with
``sys.argv`` set, which keeps the file fast; two run the real entry point in a subprocess to prove the
exit code and the absence of a traceback end to end.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import SMALL_DEALS, run_cli

ROOT = Path(__file__).resolve().parents[1]
BAD = Path(__file__).parent / "bad_inputs"
SAMPLE = ROOT / "portfolios" / "ai_heavy.csv"


def run(monkeypatch, capsys, *args: str) -> tuple[int, str, str]:
    """Run ``exposure ARGS`` through ``exposure.cli.main``; returns (exit code, stdout, stderr)."""
    monkeypatch.setenv("COLUMNS", "200")
    return tuple(run_cli(*args))


def one_line_error(code: int, err: str, *parts: str) -> str:
    assert code == 2, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ") and "Fix:" in lines[0], err
    assert "Traceback" not in err
    for part in parts:
        assert part in lines[0], f"{part!r} not in {lines[0]!r}"
    return lines[0]


@pytest.mark.parametrize("name, parts", [
    ("empty.csv", ["file is empty"]),
    ("header_only.csv", ["header only"]),
    ("no_ticker_column.csv", ["'ticker'"]),
    ("two_amount_columns.csv", ["2 amount columns"]),
    ("nan_weight.csv", ["row 3", "column 'weight'"]),
    ("inf_weight.csv", ["row 2", "column 'weight'"]),
    ("negative_shares.csv", ["row 3", "column 'shares'"]),
    ("all_zero.csv", ["every weight is zero"]),
    ("duplicate_columns.csv", ["duplicate column"]),
    ("non_numeric.csv", ["row 2", "'lots'"]),
    ("shares_without_price.csv", ["no price for ZZZZ"]),
    ("excel_workbook.csv", ["Excel workbook"]),
    ("unclosed_quote.csv", ["row 2", "never closed"]),
    ("mixed_percent.csv", ["row 3", "percent"]),
])
def test_score_refuses_bad_holdings_with_one_line(monkeypatch, capsys, name, parts):
    code, _, err = run(monkeypatch, capsys, "score", BAD / name)
    one_line_error(code, err, name, *parts)


@pytest.mark.parametrize("name, key", [("only_cash.csv", "cash_weight"), ("only_unmapped.csv", "unmapped_weight")])
def test_odd_but_valid_portfolios_score_zero(monkeypatch, capsys, name, key):
    import json

    code, out, err = run(monkeypatch, capsys, "score", BAD / name, "--format", "json")
    assert code == 0, err
    report = json.loads(out)
    assert report["score"] == 0
    assert report["coverage"][key] == pytest.approx(1.0)


def test_messy_broker_export_scores(monkeypatch, capsys):
    code, out, err = run(monkeypatch, capsys, "score", BAD / "broker_export.csv", "--format", "json")
    assert code == 0, err
    assert "Account Total" in out  # the note about the skipped summary row travels with the report


def test_missing_file(monkeypatch, capsys, tmp_path):
    code, _, err = run(monkeypatch, capsys, "score", tmp_path / "nope.csv")
    one_line_error(code, err, "nope.csv", "file not found")


@pytest.mark.parametrize("args, parts", [
    (["companies", "--layer", "x"], ["'x' is not one of", "model_lab"]),
    (["deals", "--as-of", "2999-01-01"], ["in the future"]),
    (["deals", "--as-of", "last week"], ["not a date"]),
    (["score", SAMPLE, "--as-of", "2999-01-01"], ["in the future"]),
    (["score", SAMPLE, "--hubs", "opnai"], ["unknown company 'opnai'", "Did you mean"]),
    (["paths", SAMPLE, "--hub", "OpenAl"], ["unknown company 'OpenAl'", "Did you mean", "openai"]),
    (["deals", "--company", "nvidya"], ["unknown company 'nvidya'", "nvidia"]),
    (["stress", SAMPLE], ["nothing to stress"]),
])
def test_bad_options(monkeypatch, capsys, args, parts):
    code, _, err = run(monkeypatch, capsys, *args)
    one_line_error(code, err, *parts)


def test_bad_user_deals_file(monkeypatch, capsys, tmp_path):
    deals = tmp_path / "my_deals.csv"
    deals.write_text(SMALL_DEALS.splitlines()[0] + "\n"
                     "U1,openai,nvidia,chip_supply,-5,,2025-01,announced,https://e.org,,,\n")
    code, _, err = run(monkeypatch, capsys, "score", SAMPLE, "--deals", deals)
    one_line_error(code, err, "my_deals.csv", "row 2", "column 'amount_usd_bn'")


def test_user_deals_that_make_the_web_unstable(monkeypatch, capsys, tmp_path):
    deals = tmp_path / "loop.csv"
    deals.write_text(SMALL_DEALS.splitlines()[0] + "\n"
                     "U1,nvidia,microsoft,equity_investment,20000,,2025-01,completed,https://e.org,,,\n"
                     "U2,microsoft,nvidia,equity_investment,20000,,2025-01,completed,https://e.org,,,\n")
    code, _, err = run(monkeypatch, capsys, "score", SAMPLE, "--deals", deals)
    one_line_error(code, err, "spectral radius")


def _needs_suggest_command():
    try:
        import exposure.cli.suggest  # noqa: F401
        import exposure.optimize  # noqa: F401
    except ImportError:
        pytest.skip("the suggest command has not landed yet")


def test_suggest_with_contradictory_constraints(monkeypatch, capsys):
    _needs_suggest_command()
    code, _, err = run(monkeypatch, capsys, "suggest", SAMPLE, "--min-cash", "0.9", "--max-cash", "0.5")
    one_line_error(code, err, "min_cash")


def test_suggest_refuses_to_write_over_its_input(monkeypatch, capsys, tmp_path):
    _needs_suggest_command()
    holdings = tmp_path / "mine.csv"
    holdings.write_bytes(SAMPLE.read_bytes())
    code, _, err = run(monkeypatch, capsys, "suggest", holdings, "--out", holdings)
    one_line_error(code, err, "refusing to write over the input")
    assert holdings.read_bytes() == SAMPLE.read_bytes()


def _entry_point(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.run([sys.executable, "-c", "from exposure.cli import main; main()", *args],
                          capture_output=True, text=True, env=env, timeout=120, cwd=ROOT)


def test_entry_point_exit_code_and_no_traceback():
    done = _entry_point("score", str(BAD / "negative_shares.csv"))
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().count("\n") == 0 and "row 3" in done.stderr


def test_entry_point_bad_layer():
    done = _entry_point("companies", "--layer", "x")
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and "'x' is not one of" in done.stderr


# ---------------------------------------------------------------------------------------------------------------
# Usage mistakes through the installed console script (the `exposure` file pip wrote), in fresh processes.
SCRIPT = Path(sys.executable).parent / "exposure"


def _script(*args: object, **kwargs) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200"}
    streams = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, **kwargs}
    return subprocess.run([str(SCRIPT), *map(str, args)], text=True, env=env, timeout=120, cwd=ROOT, **streams)


@pytest.mark.parametrize("args, parts", [
    ([], ["Usage: exposure", "score"]),  # no command: the help, on stderr, exit 2
    (["score"], ["Missing argument 'FILE'", "exposure score [OPTIONS]"]),
    (["scroe", "x.csv"], ["No such command 'scroe'", "Did you mean 'score'"]),
    (["score", SAMPLE, "--bogus"], ["no such option --bogus", "--format"]),
    (["score", SAMPLE, "--fromat", "json"], ["did you mean --format"]),
    (["score", SAMPLE, "--format", "xml"], ["'xml' is not one of", "table", "json", "csv"]),
    (["score", SAMPLE, "--top", "many"], ["'--top'", "integer"]),
    (["score", SAMPLE, "--top"], ["'--top' requires an argument"]),
    (["plot", SAMPLE], ["Missing option '--out'"]),
    (["deals", "--deals", "f.csv"], ["no such option --deals", "option of", "score"]),
    (["stress", SAMPLE, "--method", "quadratic"], ["'quadratic' is not one of", "linear"]),
    (["suggest", SAMPLE, "--risk", "maybe"], ["'maybe' is not one of", "history"]),
    (["paths", SAMPLE, "--hub", "opnai"], ["unknown company 'opnai'", "Did you mean openai"]),
    (["paths", SAMPLE, "--hub", "nvdia"], ["Did you mean nvidia, nokia?"]),  # the closest first
    (["score", SAMPLE, "extra"], ["unexpected extra argument"]),
])
def test_usage_mistakes_through_the_console_script(args, parts):
    done = _script(*args)
    assert done.returncode == 2, (args, done.stderr)
    assert "Traceback" not in done.stderr and done.stdout == "", (args, done.stderr)
    if args:
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: ") and "Fix:" in lines[0], done.stderr
    for part in parts:
        assert part in done.stderr, (part, done.stderr)


def test_version_through_the_console_script():
    from importlib.metadata import version

    done = _script("--version")
    assert done.returncode == 0 and done.stdout.strip() == f"exposure {version('exposure')}"


def test_a_closed_stdout_exits_1_quietly():
    reader = subprocess.Popen([str(SCRIPT), "deals", "--format", "json"], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, cwd=ROOT)
    reader.stdout.close()  # like `exposure deals | head -0`: the pipe is gone before the first write
    err = reader.stderr.read().decode()
    assert reader.wait(timeout=120) == 1
    assert err == "", err


def test_a_full_stdout_exits_1_quietly():
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full on this system")
    with open("/dev/full", "w") as full:
        done = _script("deals", "--format", "json", stdout=full)
    assert done.returncode == 1 and done.stderr == "", done.stderr


def test_runs_without_the_click_package(tmp_path):
    """typer bundles its own click: the error path must not need the separate `click` distribution."""
    blocker = tmp_path / "click.py"
    blocker.write_text("raise ImportError('click is not installed here')\n")
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    for args in (["score", str(SAMPLE), "--format", "xml"], ["scroe"], ["score", str(SAMPLE), "--bogus"]):
        done = subprocess.run([str(SCRIPT), *args], capture_output=True, text=True, env=env, timeout=120, cwd=ROOT)
        assert done.returncode == 2 and done.stderr.startswith("error: "), done.stderr
        assert "Traceback" not in done.stderr and "click" not in done.stderr, done.stderr


# ---------------------------------------------------------------------------------------------------------------
# Inputs: one reader (exposure.files.read_text) for holdings, --deals and --scenario-file.
def _fifo(tmp_path: Path) -> Path:
    if not hasattr(os, "mkfifo"):
        pytest.skip("no named pipes on this system")
    path = tmp_path / "pipe.csv"
    os.mkfifo(path)
    return path


@pytest.mark.parametrize("where", ["holdings", "--deals", "--scenario-file"])
@pytest.mark.parametrize("special, kind", [("fifo", "named pipe (FIFO)"), ("/dev/zero", "character device"),
                                           ("folder", "is a folder")])
def test_special_files_as_inputs_are_named_not_read(monkeypatch, capsys, tmp_path, where, special, kind):
    path = {"fifo": lambda: _fifo(tmp_path), "folder": lambda: tmp_path,
            "/dev/zero": lambda: Path("/dev/zero")}[special]()
    if not path.exists():
        pytest.skip(f"{path} does not exist here")
    args = {"holdings": ["score", path], "--deals": ["score", SAMPLE, "--deals", path],
            "--scenario-file": ["stress", SAMPLE, "--scenario-file", path]}[where]
    code, _, err = run(monkeypatch, capsys, *args)  # a FIFO or /dev/zero would hang or fill memory if read
    one_line_error(code, err, str(path), kind, "not a regular file" if special != "folder" else "folder")


def test_size_limit_is_checked_before_reading(monkeypatch, capsys, tmp_path):
    from exposure.files import MAX_INPUT_BYTES

    huge = tmp_path / "huge.csv"
    with open(huge, "wb") as handle:  # a sparse file: 1 GB long, no disk used, never read
        handle.write(b"ticker,weight\n")
        handle.truncate(1 << 30)
    assert huge.stat().st_size > MAX_INPUT_BYTES
    for args in (["score", huge], ["score", SAMPLE, "--deals", huge], ["stress", SAMPLE, "--scenario-file", huge]):
        code, _, err = run(monkeypatch, capsys, *args)
        one_line_error(code, err, "huge.csv", "1074 MB", "limited to 21 MB")


def test_row_and_column_limits(monkeypatch, capsys, tmp_path):
    from exposure.files import MAX_COLUMNS, MAX_ROWS

    rows = tmp_path / "rows.csv"
    rows.write_text(SMALL_DEALS.splitlines()[0] + "\n" + "x\n" * (MAX_ROWS + 1))
    code, _, err = run(monkeypatch, capsys, "score", SAMPLE, "--deals", rows)
    one_line_error(code, err, "rows.csv", f"{MAX_ROWS + 2:,} lines", f"limited to {MAX_ROWS:,}")
    wide = tmp_path / "wide.csv"
    wide.write_text("ticker,weight\n" + "," * 600_000 + "\n")  # 600,001 fields on line 2
    code, _, err = run(monkeypatch, capsys, "score", wide)
    one_line_error(code, err, "wide.csv", "row 2", "600,001 fields", f"limited to {MAX_COLUMNS} columns")


def test_one_encoding_rule_for_every_input(tmp_path):
    from exposure.errors import ScenarioError
    from exposure.files import read_text

    path = tmp_path / "s.csv"
    path.write_bytes("scenario,description,company,shock,kind\nx,Caf\u00e9 \u2013 crash,openai,0.5,shock\n"
                     .encode("cp1252"))
    read = read_text(path, what="scenario", error=ScenarioError)
    assert "Caf\u00e9 \u2013 crash" in read.text and read.encoding == "Windows-1252"
    path.write_bytes(b"\xef\xbb\xbfscenario,company\n")  # UTF-8 with a BOM: the BOM is dropped
    assert read_text(path, what="scenario").text == "scenario,company\n"
    path.write_bytes("scenario,company\n".encode("utf-16"))
    assert read_text(path, what="scenario").text == "scenario,company\n"
    from exposure.scenarios import load_scenarios

    path.write_bytes("scenario,description,company,shock,kind\nx,Caf\u00e9,openai,0.5,shock\n".encode("cp1252"))
    assert load_scenarios(path)["x"].description == "Caf\u00e9"


# ---------------------------------------------------------------------------------------------------------------
# Outputs: one writer (exposure.files.atomic_write, checked first by check_output).
def _holdings_and_deals(tmp_path: Path) -> tuple[Path, Path]:
    holdings, deals = tmp_path / "good.csv", tmp_path / "my_deals.csv"
    holdings.write_bytes(SAMPLE.read_bytes())
    deals.write_text(SMALL_DEALS.splitlines()[0] + "\n"
                     "U1,openai,nvidia,chip_supply,5,,2025-01,announced,https://e.org,,,\n")
    return holdings, deals


def test_out_never_touches_an_input(monkeypatch, capsys, tmp_path):
    import hashlib

    holdings, deals = _holdings_and_deals(tmp_path)
    link = tmp_path / "hard_link.csv"
    os.link(deals, link)
    digest = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in (holdings, deals)}
    for target in (deals, link, holdings, tmp_path / "." / "good.csv"):
        for command in (["suggest", holdings, "--deals", deals, "--out", target],
                        ["report", holdings, "--deals", deals, "--out", target]):
            code, _, err = run(monkeypatch, capsys, *command)
            assert code == 2 and "Traceback" not in err, err
            assert err.count("\n") == 1 and ("refusing to write over the input" in err or ".html" in err), err
    assert {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in (holdings, deals)} == digest


def test_out_never_replaces_a_special_file(monkeypatch, capsys, tmp_path):
    holdings, _ = _holdings_and_deals(tmp_path)
    fifo = _fifo(tmp_path)
    for target, kind in ((Path("/dev/null"), "character device"), (fifo, "named pipe"), (tmp_path, "folder")):
        code, _, err = run(monkeypatch, capsys, "suggest", holdings, "--out", target)
        one_line_error(code, err, str(target), kind, "never replaces it")
    assert Path("/dev/null").is_char_device() and fifo.is_fifo()


def test_out_into_the_cache_is_refused(monkeypatch, capsys, tmp_path):
    holdings, _ = _holdings_and_deals(tmp_path)
    cache = tmp_path / "cache"
    (cache / "prices").mkdir(parents=True)
    monkeypatch.setenv("EXPOSURE_CACHE_DIR", str(cache))
    code, _, err = run(monkeypatch, capsys, "suggest", holdings, "--out", cache / "prices" / "NVDA.json")
    one_line_error(code, err, "refusing to write inside", str(cache))


def test_unwritable_or_missing_folder_is_refused_before_the_work(monkeypatch, capsys, tmp_path):
    holdings, _ = _holdings_and_deals(tmp_path)
    called = []
    monkeypatch.setattr("exposure.optimize.suggest", lambda *a, **k: called.append(1))
    code, _, err = run(monkeypatch, capsys, "suggest", holdings, "--out", tmp_path / "no" / "such" / "t.csv")
    one_line_error(code, err, "does not exist")
    if os.geteuid() != 0:  # root writes anywhere
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o500)
        try:
            for command in (["suggest", holdings, "--out", locked / "t.csv"],
                            ["plot", holdings, "--out", locked / "figures"],
                            ["report", holdings, "--out", locked / "r.html"]):
                code, _, err = run(monkeypatch, capsys, *command)
                one_line_error(code, err, "cannot be written")
        finally:
            locked.chmod(0o700)
    assert called == []  # the solver never ran


def test_a_full_disk_is_one_line_and_leaves_no_file(monkeypatch, tmp_path):
    import errno

    from exposure.errors import OutputError
    from exposure.files import atomic_write

    target = tmp_path / "out.csv"
    target.write_text("old\n")

    def full(*_):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OutputError, match="No space left on device"):
        atomic_write(target, "new\n")
    assert target.read_text() == "old\n" and [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_csv_outputs_escape_formula_cells_but_not_numbers(monkeypatch, capsys, tmp_path):
    import pandas as pd

    from exposure.files import frame_to_csv

    frame = pd.DataFrame({"ticker": ["=HYPERLINK(\"http://x\")", "+cmd|' /C calc'!A0", "@SUM(A1)", "-2+3",
                                     "\tx", "\rx", "NVDA"],
                          "weight": [-0.5, 0.1, 0.2, 0.3, 0.4, 0.5, 1.0]})
    lines = frame_to_csv(frame, index=False).splitlines()
    assert lines[1:4] == ['"\'=HYPERLINK(""http://x"")",-0.5', "'+cmd|' /C calc'!A0,0.1", "'@SUM(A1),0.2"]
    assert lines[4] == "'-2+3,0.3" and lines[-1] == "NVDA,1.0"
    holdings = tmp_path / "inject.csv"
    holdings.write_text('ticker,weight,name\n"=HYPERLINK(""http://x"")",0.5,@SUM(A1)\nNVDA,0.5,-cmd\n')
    code, out, err = run(monkeypatch, capsys, "stress", holdings, "--shock", "nvidia=0.5", "--format", "csv")
    assert code == 0, err
    assert "'=HYPERLINK" in out and "'@SUM(A1)" in out and "\n=" not in out and ",=" not in out and ",@" not in out


# ---------------------------------------------------------------------------------------------------------------
# Numbers: an overflow is an error naming the row or the deal, never a NaN score or a silently dropped deal.
def _one_deal(tmp_path: Path, row: str) -> Path:
    path = tmp_path / "one_deal.csv"
    path.write_text(SMALL_DEALS.splitlines()[0] + "\n" + row + "\n")
    return path


def test_shares_times_price_overflow_names_the_ticker(monkeypatch, capsys, tmp_path):
    holdings = tmp_path / "huge_shares.csv"
    holdings.write_text("ticker,shares\nNVDA,1e307\nAMD,5\n")  # 1e307 x ~$190 = inf
    code, _, err = run(monkeypatch, capsys, "score", holdings)
    one_line_error(code, err, "huge_shares.csv", "column 'shares'", "NVDA", "overflow")


def test_market_values_that_overflow_their_sum(monkeypatch, capsys, tmp_path):
    holdings = tmp_path / "huge_values.csv"
    holdings.write_text("ticker,market_value\nNVDA,1e308\nAMD,1e308\n")  # each finite, the total is not
    code, _, err = run(monkeypatch, capsys, "score", holdings)
    one_line_error(code, err, "huge_values.csv", "column 'market_value'", "too large to add up")


def test_a_yearly_amount_that_overflows_names_the_row(monkeypatch, capsys, tmp_path):
    deals = _one_deal(tmp_path, "U1,openai,oracle,cloud_compute_contract,1e308,1e-10,2025-01,announced,"
                                "https://e.org,,,")  # 1e308 / 1e-10 = inf USD bn a year
    code, _, err = run(monkeypatch, capsys, "score", SAMPLE, "--deals", deals)
    one_line_error(code, err, "one_deal.csv", "row 2", "column 'amount_usd_bn'", "overflows")


def test_a_capacity_estimate_that_overflows_names_the_deal(monkeypatch, capsys, tmp_path):
    deals = _one_deal(tmp_path, "U1,openai,oracle,chip_supply,,,2025-01,announced,https://e.org,,1e308,")
    code, _, err = run(monkeypatch, capsys, "score", SAMPLE, "--deals", deals)
    one_line_error(code, err, "U1", "overflows", "capacity_gw")


def test_a_deal_dated_in_the_future_gets_a_note(monkeypatch, capsys, tmp_path):
    import json

    deals = _one_deal(tmp_path, "U1,openai,oracle,cloud_compute_contract,5,,2099-01,announced,https://e.org,,,")
    code, out, err = run(monkeypatch, capsys, "score", SAMPLE, "--deals", deals, "--format", "json")
    assert code == 0, err
    report = json.loads(out)
    assert any("dated after today (U1)" in note for note in report["notes"]), report["notes"]
    assert 0 <= report["score"] <= 100


# ---------------------------------------------------------------------------------------------------------------
# Help that teaches: an example per command, choices for enumerated options, flags as flags; narrow listings.
def test_every_command_has_an_example_and_lists_choices(monkeypatch, capsys):
    from exposure.cli import app_command

    commands = app_command().commands
    for name in commands:
        code, out, err = run(monkeypatch, capsys, name, "--help")
        assert code == 0, err
        assert "Example" in out and f"exposure {name}" in out.split("Example", 1)[1], (name, out)
        assert "<bool>" not in out, (name, out)  # flags are shown as flags
    choices = {("score", "--format"): "<table|json|csv>", ("stress", "--method"): "<linear|original|nonlinear>",
               ("suggest", "--risk"): "<none|prior|history>", ("companies", "--layer"): "model_lab|"}
    for (name, option), shown in choices.items():
        _, out, _ = run(monkeypatch, capsys, name, "--help")
        line = next(line for line in out.splitlines() if line.lstrip().startswith((option, "-f, " + option)))
        assert shown in line, (name, line)


@pytest.mark.parametrize("command", ["deals", "companies"])
def test_listings_fit_100_columns(monkeypatch, capsys, command):
    import json

    monkeypatch.setenv("COLUMNS", "100")
    code, out, err = run_cli(command)
    assert code == 0, err
    count = len(json.loads(run_cli(command, "--format", "json").stdout))
    lines = out.splitlines()
    assert max(len(line) for line in lines) <= 100
    assert "https://" not in out and len(lines) < count * 1.1 + 10, len(lines)  # a line per row
    wide = run_cli(command, "--wide").stdout
    assert "https://" in wide


def test_python_dash_m_runs_the_same_command_line():
    """``python -m exposure`` is the console script: the same usage error, one line, exit 2."""
    done = subprocess.run([sys.executable, "-m", "exposure", "scroe"], capture_output=True, text=True, timeout=120,
                          cwd=ROOT)
    assert done.returncode == 2 and "Did you mean 'score'" in done.stderr and "Traceback" not in done.stderr
