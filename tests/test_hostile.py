"""Hostile and careless runs (issue 13), written as a reviewer's held-out list: each gives one ``error:`` line and
exit 2 (or a correct result), no input file's hash changes, and nothing planted in the market-data cache runs.

Runs go through :func:`exposure.cli.main` in-process (``conftest.run_cli``); the console script itself is run
once in a subprocess. Every input is written here, in a temporary folder.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import pickle
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest
from conftest import run_cli

from exposure.market import cache

HEAVY = "ticker,weight\nNVDA,0.22\nORCL,0.18\nCRWV,0.14\nMSFT,0.14\nAMD,0.12\nAVGO,0.10\nNBIS,0.05\nCASH,0.05\n"
DEALS = ("id,payer,payee,type,amount_usd_bn,duration_years,announced,status,source_url\n"
         "X1,openai,ibm,cloud_compute_contract,10,5,2025-01-01,announced,https://example.com/x1\n")
SCENARIOS = "scenario,company,shock\nmine,openai,0.5\n"
UNIVERSE = "ticker\nXLP\nBND\nVXUS\n"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture
def inputs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """A holdings, deals, scenario and universe file in a fresh folder (the working directory)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "200")
    files = {"holdings": HEAVY, "deals": DEALS, "scenarios": SCENARIOS, "universe": UNIVERSE}
    paths = {}
    for name, text in files.items():
        paths[name] = tmp_path / f"{name}.csv"
        paths[name].write_text(text, encoding="utf-8")
    return paths


def digests(paths: dict[str, Path]) -> dict[str, str]:
    return {name: hashlib.sha256(path.read_bytes()).hexdigest() for name, path in paths.items()}


def one_line(code: int, err: str, *parts: str) -> str:
    """Exit 2 and exactly one ``error: ... Fix: ...`` line on stderr, containing ``parts``."""
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2, err
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Fix:" in lines[0], err
    assert "Traceback" not in err
    for part in parts:
        assert part in lines[0], (part, lines[0])
    return lines[0]


# -- usage mistakes ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("args, parts", [
    (["score"], ["Missing argument"]),
    (["scroe", "holdings.csv"], ["Did you mean 'score'"]),
    (["score", "holdings.csv", "--bogus"], ["--bogus"]),
    (["score", "holdings.csv", "--format", "xml"], ["'xml'"]),
    (["plot", "holdings.csv"], ["--out"]),
    (["deals", "--deals", "deals.csv"], ["--deals"]),
    (["stress", "holdings.csv", "--method", "foo"], ["'foo'"]),
    (["stress", "holdings.csv", "--scenario", "nope"], ["nope"]),
    (["score", "holdings.csv", "--hubs", "nvidai"], ["nvidia"]),
    (["paths", "holdings.csv", "--hub", "opnai"], ["openai"]),
    (["suggest", "holdings.csv", "--hub-cap", "openai"], ["HUB=CAP"]),
    (["suggest", "holdings.csv", "--hub-cap", "openai=abc"], ["'abc'"]),
    (["suggest", "holdings.csv", "--min-trade", "lots"], ["'lots'"]),
    (["suggest", "holdings.csv", "--layer", "semiconductor=0.5:0.3"], ["semiconductor"]),
    (["hubs", "--threshold", "2"], ["--threshold"]),
    (["score", "missing.csv"], ["missing.csv", "not found"]),
])
def test_usage_mistakes_give_one_line_and_exit_2(inputs, args, parts):
    code, out, err = run_cli(*args)
    one_line(code, err, *parts)
    assert out == ""


def test_version_and_a_typo_through_the_console_script(inputs):
    script = shutil.which("exposure") or pytest.skip("the console script is not installed")
    version = subprocess.run([script, "--version"], capture_output=True, text=True, timeout=60)
    assert version.returncode == 0 and version.stdout.startswith("exposure ")
    typo = subprocess.run([script, "scroe", "holdings.csv"], capture_output=True, text=True, timeout=60)
    one_line(typo.returncode, typo.stderr, "score")


# -- special files as inputs ------------------------------------------------------------------------------


def special(tmp_path: Path, kind: str) -> Path:
    if kind == "fifo":
        path = tmp_path / "pipe.csv"
        os.mkfifo(path)
        return path
    if kind == "folder":
        path = tmp_path / "folder.csv"
        path.mkdir()
        return path
    return Path("/dev/zero")


def option_for(role: str, path: Path) -> list[str]:
    return {"holdings": ["score", path], "deals": ["score", "holdings.csv", "--deals", path],
            "scenarios": ["stress", "holdings.csv", "--scenario-file", path, "--scenario", "mine"]}[role]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes need POSIX")
@pytest.mark.parametrize("kind, words", [("fifo", "named pipe"), ("folder", "folder"), ("zero", "device")])
@pytest.mark.parametrize("role", ["holdings", "deals", "scenarios"])
def test_special_files_are_refused_by_name(inputs, tmp_path, role, kind, words):
    path = special(tmp_path, kind)
    code, _, err = run_cli(*option_for(role, path))
    one_line(code, err, str(path), words)


def refuses_without_hanging(args: list[object], seconds: float = 3.0) -> tuple[int, str]:
    """Run the CLI in a thread; if it still waits on a FIFO after ``seconds``, open the pipe's other end so it
    can finish, and report the hang as an AssertionError."""
    result: dict[str, object] = {}
    thread = threading.Thread(target=lambda: result.update(run=run_cli(*args)), daemon=True)
    thread.start()
    thread.join(seconds)
    hung = thread.is_alive()
    if hung:
        fifo = next(Path(a) for a in args if isinstance(a, Path) and a.is_fifo())
        descriptor = os.open(fifo, os.O_WRONLY)  # the reader is waiting: unblock it with an empty pipe
        os.close(descriptor)
        thread.join(60)
    assert not hung, f"exposure {' '.join(map(str, args))} waited on the named pipe for {seconds:g} s"
    code, _, err = result["run"]
    return code, err


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes need POSIX")
def test_universe_fifo_is_refused_without_hanging(inputs, tmp_path):
    path = special(tmp_path, "fifo")
    code, err = refuses_without_hanging(["suggest", "holdings.csv", "--universe", path])
    one_line(code, err, str(path), "named pipe")


def test_universe_folder_is_refused(inputs, tmp_path):
    path = special(tmp_path, "folder")
    code, _, err = run_cli("suggest", "holdings.csv", "--universe", path)
    one_line(code, err, str(path))


# -- --out onto inputs and special files --------------------------------------------------------------


@pytest.mark.parametrize("args", [
    ["suggest", "holdings.csv", "--out", "holdings.csv"],
    ["suggest", "holdings.csv", "--out", "./holdings.csv"],
    ["suggest", "holdings.csv", "--deals", "deals.csv", "--out", "deals.csv"],
    ["suggest", "holdings.csv", "--universe", "universe.csv", "--out", "universe.csv"],
    ["suggest", "holdings.csv", "--out", "link.csv"],
    ["suggest", "holdings.csv", "--out", "hard.csv"],
    ["plot", "holdings.csv", "--out", "holdings.csv"],
    ["report", "holdings.html", "--out", "holdings.html"],
    ["report", "holdings.csv", "--deals", "deals.html", "--out", "deals.html"],
])
def test_out_never_replaces_an_input(inputs, tmp_path, args):
    (tmp_path / "link.csv").symlink_to(inputs["holdings"])
    os.link(inputs["holdings"], tmp_path / "hard.csv")
    inputs["html"] = shutil.copy(inputs["holdings"], tmp_path / "holdings.html")
    inputs["deals_html"] = shutil.copy(inputs["deals"], tmp_path / "deals.html")
    inputs = {k: Path(v) for k, v in inputs.items()}
    before = digests(inputs)
    code, _, err = run_cli(*args)
    one_line(code, err, "refusing")
    assert digests(inputs) == before


@pytest.mark.parametrize("target, words", [("/dev/null", "character device"), ("outdir", "folder")])
def test_out_never_replaces_a_special_file_or_folder(inputs, tmp_path, target, words):
    (tmp_path / "outdir").mkdir()
    code, _, err = run_cli("suggest", "holdings.csv", "--out", target)
    one_line(code, err, words)
    assert Path("/dev/null").is_char_device() and (tmp_path / "outdir").is_dir()


def test_out_onto_a_fifo_is_refused_before_any_work(inputs, tmp_path):
    fifo = special(tmp_path, "fifo")
    started = time.process_time()
    code, _, err = run_cli("suggest", "holdings.csv", "--out", fifo)
    one_line(code, err, "named pipe")
    assert fifo.is_fifo() and time.process_time() - started < 5  # refused before the solve


# -- the market-data cache: corrupt and planted entries ----------------------------------------------------

NOW = 1_780_000_000.0
GOOD_QUOTE = {"price": 190.0, "market_cap": 4.6e12, "revenue": 1.65e11, "currency": "USD",
              "financial_currency": "USD", "quote_type": "EQUITY", "as_of": "2026-06-01"}


def entry(kind: str, data: object, fetched_at: object = NOW - 60) -> str:
    return json.dumps({"schema": cache.SCHEMA_VERSION, "kind": kind, "fetched_at": fetched_at, "data": data})


@pytest.mark.parametrize("kind, text", [
    ("fundamentals", "[]"),
    ("fundamentals", json.dumps({"schema": cache.SCHEMA_VERSION, "kind": "fundamentals", "fetched_at": NOW})),
    ("fundamentals", entry("fundamentals", {**GOOD_QUOTE, "revenue": "abc"})),
    ("fundamentals", entry("fundamentals", {**GOOD_QUOTE, "price": -1})),
    ("fundamentals", entry("fundamentals", GOOD_QUOTE).replace("190.0", "NaN")),
    ("fundamentals", entry("fundamentals", GOOD_QUOTE).replace("190.0", "Infinity")),
    ("fundamentals", entry("fundamentals", GOOD_QUOTE).replace("190.0", "1" + "0" * 400)),  # no float holds it
    ("fundamentals", entry("fundamentals", GOOD_QUOTE, fetched_at=1e300)),                    # never expires
    ("fundamentals", entry("fundamentals", GOOD_QUOTE, fetched_at=NOW + 86_400)),            # from tomorrow
    ("fundamentals", entry("fundamentals", GOOD_QUOTE, fetched_at=int("9" * 400))),
    ("fundamentals", entry("prices", GOOD_QUOTE)),                                            # wrong kind
    ("holdings", entry("holdings", [{"ticker": "NVDA", "weight": 50, "as_of": "2026-06-01"}])),
    ("holdings", entry("holdings", [{"ticker": "NVDA", "weight": 0.7, "as_of": "2026-06-01"},
                                    {"ticker": "AMD", "weight": 0.7, "as_of": "2026-06-01"}])),
    ("prices", entry("prices", {"start": "2026-01-01", "end": "2026-02-01", "dates": ["2026-01-02"],
                                "close": [0.0]})),
    ("fx", entry("fx", {"usd_per_unit": "1.1"})),
    ("fx", "[" * 100_000 + "]" * 100_000),                                                    # nested too deep
])
def test_bad_cache_entries_are_refused(tmp_path, kind, text):
    path = tmp_path / f"{kind}.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(cache.BadEntry) as refused:
        cache.read_entry(path, kind, now=NOW, ttl=86_400)
    assert len(str(refused.value)) < 300 and "\n" not in str(refused.value)


def test_good_entry_is_read_and_expires(tmp_path):
    path = tmp_path / "good.json"
    path.write_text(entry("fundamentals", GOOD_QUOTE), encoding="utf-8")
    assert cache.read_entry(path, "fundamentals", now=NOW, ttl=86_400)["price"] == 190.0
    assert cache.read_entry(path, "fundamentals", now=NOW + 2 * 86_400, ttl=86_400) is None


class _Planted:
    """Unpickling this creates ``marker``: proof that a pickle ran."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (Path(self.marker),))


def test_a_planted_pickle_never_runs(tmp_path, monkeypatch):
    pytest.importorskip("yfinance")
    from exposure.market import YFinanceProvider

    marker = tmp_path / "ran"
    payload = pickle.dumps(_Planted(str(marker)))
    for kind in cache.KINDS:
        folder = tmp_path / "cache" / kind
        folder.mkdir(parents=True)
        for name in ("NVDA.pkl", "NVDA.pickle", "NVDA"):
            (folder / name).write_bytes(payload)
        (folder / "NVDA.json").write_bytes(payload)  # a pickle under the JSON name
    provider = YFinanceProvider(cache_dir=tmp_path / "cache", timeout=1)
    with pytest.warns(Warning):
        for kind in cache.KINDS:
            assert provider._cache_read(kind, "NVDA") is None
    assert not marker.exists()
    assert sum("Ignored the cached" in w for w in provider.warnings) == len(cache.KINDS)


def test_a_poisoned_cache_entry_is_a_miss_on_the_command_line(inputs, tmp_path, monkeypatch):
    """A cached quote with a 400-digit price: the live run warns and values NVDA at the snapshot instead."""
    pytest.importorskip("yfinance")
    folder = tmp_path / "cache" / "fundamentals"
    folder.mkdir(parents=True)
    (folder / "NVDA.json").write_text(entry("fundamentals", GOOD_QUOTE, fetched_at=time.time() - 60)
                                      .replace("190.0", "1" + "0" * 400), encoding="utf-8")
    monkeypatch.setenv("EXPOSURE_CACHE_DIR", str(tmp_path / "cache"))
    Path("shares.csv").write_text("ticker,shares\nNVDA,10\nCASH,1000\n", encoding="utf-8")
    code, out, err = run_cli("score", "shares.csv", "--live", "--format", "json")
    assert code == 0, err
    report = json.loads(out)
    assert "Traceback" not in err and any("NVDA.json" in note for note in report["notes"]), report["notes"]
    assert 0 < report["score"] < 100


# -- CSV injection ---------------------------------------------------------------------------------------

INJECTED = ('ticker,weight,name\n"=HYPERLINK(""http://x"")",0.2,"=cmd|x"\n+SUM,0.1,@evil\n-FOO,0.1,"-1+2"\n'
            '@BAR,0.1,"\tTAB"\nNVDA,0.5,n\n')


def assert_no_formula(text: str) -> None:
    for row in csv.reader(io.StringIO(text)):
        for cell in row:
            if cell.startswith(FORMULA_STARTS):
                try:
                    float(cell)  # a negative number is a number, not a formula
                except ValueError:
                    pytest.fail(f"unescaped formula cell {cell!r} in {text[:300]!r}")


@pytest.mark.parametrize("args", [
    ["holdings", "injected.csv", "--format", "csv"],
    ["suggest", "injected.csv", "--format", "csv"],
    ["paths", "holdings.csv", "--hub", "openai", "--deals", "injected_deals.csv", "--format", "csv"],
])
def test_csv_outputs_escape_formula_cells(inputs, tmp_path, args):
    Path("injected.csv").write_text(INJECTED, encoding="utf-8")
    Path("injected_deals.csv").write_text(DEALS.replace("X1,", "=1+1,"), encoding="utf-8")
    Path("holdings.csv").write_text("ticker,weight\nIBM,0.5\nORCL,0.5\n", encoding="utf-8")
    code, out, err = run_cli(*args)
    assert code == 0, err
    assert_no_formula(out)
    if "--deals" in args:
        assert "'=1+1" in out


def test_suggest_out_escapes_formula_cells(inputs):
    Path("injected.csv").write_text(INJECTED, encoding="utf-8")
    code, _, err = run_cli("suggest", "injected.csv", "--out", "target.csv")
    assert code == 0, err
    text = Path("target.csv").read_text(encoding="utf-8")
    assert_no_formula(text)
    assert "'=HYPERLINK" in text.upper() and "'@evil" in text


# -- overflow, NaN and inf ------------------------------------------------------------------------------


@pytest.mark.parametrize("text, parts", [
    ("ticker,shares\nNVDA,1e308\n", ["shares", "NVDA"]),
    ("ticker,shares\nNVDA,1e307\nAAPL,1e307\n", ["shares"]),
    ("ticker,shares\nNVDA,inf\n", ["row 2", "shares"]),
    ("ticker,market_value\nNVDA,1e308\nAAPL,1e308\n", ["market_value"]),
    ("ticker,weight\nNVDA,1e308\nAAPL,1e308\n", ["weight"]),
    ("ticker,weight\nNVDA,nan\nAAPL,0.5\n", ["row 2", "weight"]),
    ("ticker,shares,price\nNVDA,1e200,1e200\n", ["row 2"]),
])
def test_overflowing_holdings_are_one_line_errors(inputs, text, parts):
    Path("big.csv").write_text(text, encoding="utf-8")
    code, out, err = run_cli("score", "big.csv", "--format", "json")
    one_line(code, err, "big.csv", *parts)
    assert "nan" not in out.lower()


@pytest.mark.parametrize("amount, duration, parts", [
    ("inf", "5", ["row 2", "amount_usd_bn"]),
    ("nan", "5", ["row 2", "amount_usd_bn"]),
    ("1e308", "0.0000001", ["row 2", "overflows"]),
])
def test_overflowing_deals_are_one_line_errors(inputs, amount, duration, parts):
    Path("bad_deals.csv").write_text(DEALS.replace(",10,5,", f",{amount},{duration},"), encoding="utf-8")
    code, _, err = run_cli("score", "holdings.csv", "--deals", "bad_deals.csv")
    one_line(code, err, "bad_deals.csv", *parts)


def test_a_huge_cash_balance_gives_a_correct_near_zero_score(inputs):
    Path("cashy.csv").write_text("ticker,shares,price\nNVDA,10,200\nCASH,1e300,1\n", encoding="utf-8")
    code, out, err = run_cli("score", "cashy.csv", "--format", "json")
    assert code == 0, err
    assert json.loads(out)["score"] == pytest.approx(100 * 2000 / 1e300, abs=1e-12)


def test_inputs_survive_a_whole_hostile_session(inputs, tmp_path):
    """A run of mixed mistakes, then a normal score: every input keeps its hash."""
    before = digests(inputs)
    for args in (["suggest", "holdings.csv", "--out", "holdings.csv"],
                 ["suggest", "holdings.csv", "--deals", "deals.csv", "--out", "deals.csv"],
                 ["stress", "holdings.csv", "--scenario-file", "scenarios.csv", "--scenario", "nope"],
                 ["score", "holdings.csv", "--deals", "deals.csv", "--format", "csv"]):
        run_cli(*args)
    assert digests(inputs) == before


@pytest.mark.parametrize("args, parts", [
    (["--default", "openai=inf"], ["openai", "inf"]),
    (["--default", "openai=-5"], ["openai", "-5"]),
    (["--shock", "openai=2"], ["openai", "[0, 1]"]),
    (["--method", "nonlinear", "--alpha", "nan", "--shock", "openai=0.5"], ["alpha"]),
])
def test_stress_refuses_impossible_shocks_and_resources(inputs, args, parts):
    code, _, err = run_cli("stress", "holdings.csv", *args)
    one_line(code, err, *parts)


@pytest.mark.parametrize("row, parts", [
    ("mine,openai,1e308", ["row 2", "shock"]),
    ("mine,openai,nan", ["row 2", "shock"]),
    ("mine,openai,0.5\nmine,openai,0.7", ["row 3", "twice"]),
])
def test_scenario_files_with_impossible_shocks_are_one_line_errors(inputs, row, parts):
    Path("bad_scenarios.csv").write_text(f"scenario,company,shock\n{row}\n", encoding="utf-8")
    code, _, err = run_cli("stress", "holdings.csv", "--scenario-file", "bad_scenarios.csv", "--scenario", "mine")
    one_line(code, err, "bad_scenarios.csv", *parts)


def test_scenario_names_are_escaped_in_csv(inputs):
    Path("evil_scenarios.csv").write_text("scenario,company,shock\n=evil,openai,0.5\n", encoding="utf-8")
    code, out, err = run_cli("scenarios", "--scenario-file", "evil_scenarios.csv", "--format", "csv")
    assert code == 0, err
    assert_no_formula(out)
    assert "'=evil" in out


def test_alphas_with_nan_names_the_bad_value(inputs):
    code, _, err = run_cli("stress", "holdings.csv", "--shock", "openai=0.5", "--alphas", "1,2,nan")
    one_line(code, err, "nan")
    assert "negative" not in err


def test_typo_in_a_data_subcommand_lists_data_subcommands(inputs):
    code, _, err = run_cli("data", "chek")
    line = one_line(code, err, "check")
    assert "companies" not in line.split("Fix:")[1]


def test_a_deals_file_reusing_a_bundled_id_says_so(inputs):
    Path("mine.csv").write_text(DEALS.replace("X1,openai,ibm", "D004,openai,oracle").replace(",10,5,", ",1,5,"),
                                encoding="utf-8")
    code, out, err = run_cli("score", "holdings.csv", "--deals", "mine.csv", "--format", "json")
    assert code == 0, err
    assert any("D004" in note for note in json.loads(out)["notes"])


def test_a_universe_typo_is_not_bought_silently(inputs):
    Path("typo_universe.csv").write_text("ticker\nZZZZQ\nXLP\nBND\nVXUS\nAGG\n", encoding="utf-8")
    code, out, err = run_cli("suggest", "holdings.csv", "--universe", "typo_universe.csv", "--format", "json")
    if code == 2:
        one_line(code, err, "ZZZZQ")
        return
    result = json.loads(out)
    bought = {w["ticker"]: w for w in result["weights"]}
    warned = any("ZZZZQ" in n and ("typo" in n or "unknown" in n or "not a ticker" in n) for n in result["notes"])
    assert bought.get("ZZZZQ", {}).get("target", 0.0) == 0.0 or warned
    assert bought["XLP"]["layer"] != "unmapped"
