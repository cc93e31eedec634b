"""Fuzz the loaders: generated CSV bytes must load or raise a typed ExposureError, never anything else.

``Portfolio`` is fuzzed through its file-free core ``Portfolio._from_bytes`` (what ``from_csv`` runs after
its size check) plus a sample through real files; ``DealWeb.from_csv`` through ``io.StringIO`` and files.
Inputs are built from tokens users and brokers actually produce (BOMs, decimal commas, currency
symbols, percent strings, Excel text cells, quotes, control characters, stray delimiters) mixed with
arbitrary text and bytes, so most examples reach deep into the parsers rather than failing at once.

CI runs ``EXPOSURE_FUZZ_EXAMPLES`` examples in total (default 10,000: 7,000 holdings files, 3,000 deal
webs, plus 3% more through real files; about 30 s of CPU). Deterministic: ``derandomize=True`` and no example database. A release run (a few minutes)::

    EXPOSURE_FUZZ_EXAMPLES=200000 EXPOSURE_FUZZ_RANDOM=1 .venv/bin/python -m pytest tests/test_fuzz.py

(``EXPOSURE_FUZZ_RANDOM=1`` draws fresh random examples instead of the fixed derandomized sequence.)
"""

from __future__ import annotations

import enum
import io
import math
import os
import random
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exposure.dealweb import DealWeb
from exposure.errors import ExposureError
from exposure.portfolio import Portfolio

TOTAL = int(os.environ.get("EXPOSURE_FUZZ_EXAMPLES", "10000"))
FUZZ = settings(derandomize=not os.environ.get("EXPOSURE_FUZZ_RANDOM"), database=None, deadline=None,
                suppress_health_check=list(HealthCheck), print_blob=True)

TRICKY = ["", " ", '"', '""', "'", ",", ";", "\t", "|", "\r", "\n", "\x00", "\x07", "\ufeff", "\u200b", "\u2212",
          "é", "€", "¥", "=\"0700\"", "nan", "NaN", "inf", "-inf", "1e308", "1e-320", "1e400", "--", "n/a", "()",
          "(", ")", "%", "$", "+", "-", ".", "..", ",,", "Total", "TOTAL", "Account Total", "Sum", "Cash & Cash",
          "\\", "#", "=SUM(A1:A3)", "0x10", "1_000", "١٢٣"]
TICKERS = ["NVDA", "nvda", " MSFT ", "BRK.B", "BRK-B", "brk/b", "BRK B", "9984.T", "2330.TW", "CASH", "USD", "QQQ",
           "SPY", "ZZZZ", "SPAXX**", "T" * 30, "A B C"]
NUMBERS = ["0", "1", "-1", "0.5", ".5", "5.", "12,5", "0,125", "1,234", "1.234", "1,234.56", "1.234,56",
           "1 234,56", "1'234.50", "$1,234", "-$5", "$-5", "US$ 3", "USD 100", "100 USD", "€5", "5 €", "12.5%",
           "12.5 %", "(100)", "1e3", "1E-2", "+0.9", "\u22125", "1,2,3", "1.2.3", "00012", "3" * 40]
EXTRA = ["name", "Description", "price", "currency", "", "Account", "Cost Basis"]
AMOUNTS = ["weight", "market_value", "shares", "Market Value", "Quantity", "% of portfolio"]
HEADERS = ["ticker", "Symbol", "weight", "Weight (%)", "% of portfolio", "market_value", "Market Value",
           "Current Value", "shares", "Quantity", "Qty", "name", "Description", "currency", "price", "", "ticker "]


def _cell(rng: random.Random, pool: list[str]) -> str:
    roll = rng.random()
    if roll < 0.85:
        return rng.choice(pool)
    if roll < 0.96:
        return rng.choice(TRICKY)
    return "".join(chr(rng.choice([rng.randrange(32, 127), rng.randrange(0, 0x3000)])) for _ in range(rng.randrange(6)))


def holdings_text(rng: random.Random) -> bytes:
    """A holdings file: optional preamble, a header, rows of tickers and amounts, in some encoding."""
    if rng.random() < 0.05:
        return rng.randbytes(rng.randrange(300))
    delimiter = rng.choice([",", ";", "\t", "|", ",", ","])
    newline = rng.choice(["\n", "\r\n", "\r", "\n"])
    lines = [_cell(rng, TRICKY + HEADERS) for _ in range(rng.choice([0, 0, 0, 1, 2]))]
    header = [rng.choice(["ticker", "Symbol", "TICKER", "ticker"]), rng.choice(AMOUNTS)] if rng.random() < 0.8 else []
    header += [_cell(rng, EXTRA if rng.random() < 0.8 else HEADERS) for _ in range(rng.randrange(3))]
    rng.shuffle(header)
    lines.append(delimiter.join(header))
    for _ in range(rng.randrange(8)):
        width = len(header) - 1 if rng.random() < 0.85 else rng.randrange(len(header) + 2)
        row = [_cell(rng, TICKERS)] + [_cell(rng, NUMBERS) for _ in range(width)]
        if rng.random() < 0.25:
            row = [f'"{c}"' for c in row]
        lines.append(delimiter.join(row))
    text = newline.join(lines) + rng.choice(["", newline, newline * 3, delimiter])
    encoding = rng.choice(["utf-8", "utf-8-sig", "latin-1", "cp1252", "utf-16", "utf-8"])
    return text.encode(encoding, errors="replace")


#: One hypothesis draw per example (a seed); the text is built from it with ``random.Random``, which is
#: far cheaper than many small draws and keeps 10,000 examples within seconds. A failure prints the seed.
seeds = st.integers(0, 2**64 - 1)


def _check_portfolio(raw: bytes, name: str) -> None:
    try:
        pf = Portfolio._from_bytes(raw, name)
    except ExposureError as error:
        assert str(error) and "\n" not in str(error), repr(str(error))
        return
    assert pf.kind in ("weight", "market_value", "shares") and len(pf.positions) > 0
    amounts = pf.positions["amount"].to_numpy(float)
    assert np.isfinite(amounts).all() and (amounts >= 0).all()
    if pf.kind != "shares":
        try:
            valued = pf.valued()
        except ExposureError:
            return
        assert math.isclose(float(valued["weight"].sum()), 1.0, rel_tol=1e-9)


@settings(FUZZ, max_examples=max(1, TOTAL * 7 // 10))
@given(seeds)
def test_fuzz_portfolio_bytes(seed):
    _check_portfolio(holdings_text(random.Random(seed)), "fuzz.csv")


@settings(FUZZ, max_examples=max(1, TOTAL // 50))
@given(st.one_of(seeds.map(lambda seed: holdings_text(random.Random(seed))), st.binary(max_size=200)))
def test_fuzz_portfolio_files(tmp_path_factory, raw):
    path: Path = tmp_path_factory.getbasetemp() / "fuzz_holdings.csv"
    path.write_bytes(raw)
    try:
        Portfolio.from_csv(path)
    except ExposureError as error:
        assert "\n" not in str(error)


# ------------------------------------------------------------------------------------------- deal webs
COMPANY_HEADER = ["id", "name", "ticker", "layer", "revenue_usd_bn", "market_cap_usd_bn", "as_of", "source_url",
                  "notes"]
DEAL_HEADER = ["id", "payer", "payee", "type", "amount_usd_bn", "duration_years", "announced", "status",
               "source_url", "notes", "capacity_gw", "firm_usd_bn"]
IDS = ["a", "b", "c", "lab", "A", "a b", "", "zz"]
#: How many leading entries of each VALUES pool are valid.
GOOD = {"id": 4, "payer": 4, "payee": 4, "name": 2, "ticker": 2, "layer": 6, "revenue_usd_bn": 5,
        "market_cap_usd_bn": 2, "as_of": 1, "source_url": 1, "type": 7, "amount_usd_bn": 5, "duration_years": 2,
        "announced": 2, "status": 4, "capacity_gw": 3, "firm_usd_bn": 2}
VALUES = {
    "id": IDS, "payer": IDS, "payee": IDS, "name": ["Alpha", "Gamma Co", ""],
    "ticker": ["AAA", "9984.T", "BRK.B", ""],
    "layer": ["model_lab", "semiconductor", "hyperscaler_cloud", "neocloud", "investor", "other", "lab", ""],
    "revenue_usd_bn": ["10", "0", "", "1e3", "0.5", "-1", "nan", "inf", "abc"],
    "market_cap_usd_bn": ["100", "5000", "", "0", "-5", "1e-9", "inf", "nan"],
    "as_of": ["2026-01-01", "", "yesterday"], "source_url": ["https://e.org", "", "x"], "notes": ["", "n", '"q"'],
    "type": ["cloud_compute_contract", "chip_supply", "equity_investment", "custom_chip_partnership",
             "data_center_project", "licensing_partnership", "other", "chips", ""],
    "amount_usd_bn": ["10", "0", "", "1e3", "0.001", "-1", "nan", "inf", "ten", "1e300"],
    "duration_years": ["", "5", "0", "-2", "inf", "0.0001"],
    "announced": ["2025-01", "2025-01-15", "2025-13", "2025-02-30", "2030-01", "", "01/2025", "9999-12"],
    "status": ["completed", "announced", "reported", "rumored", "done", ""],
    "capacity_gw": ["", "1", "10", "-1", "inf"], "firm_usd_bn": ["", "5", "-1"],
}


def table_text(rng: random.Random, header: list[str]) -> str:
    """A CSV with a mostly right header (columns dropped, duplicated or renamed) and mostly valid cells."""
    if rng.random() < 0.04:
        return "".join(chr(rng.randrange(0, 0x800)) for _ in range(rng.randrange(200)))
    columns = list(header)
    mutation = rng.randrange(10)
    if mutation == 0:
        columns.pop(rng.randrange(len(columns)))
    elif mutation == 1:
        columns.append(rng.choice(header))
    elif mutation == 2:
        columns.append(_cell(rng, TRICKY))
    lines = [",".join(columns)]
    for _ in range(rng.randrange(6)):
        row = [_value(rng, c) for c in columns]
        if "name" in columns and "id" in columns and rng.random() < 0.9:  # companies: mostly unique ids
            row[columns.index("id")] = IDS[len(lines) % 4 - 1]
        if rng.random() < 0.1:
            row += [_cell(rng, TRICKY) for _ in range(rng.randrange(1, 3))]
        lines.append(",".join(f'"{c}"' if ("," in c or "\n" in c) and rng.random() < 0.5 else c for c in row))
        if rng.random() < 0.1:
            lines.append("")
    return rng.choice(["\n", "\r\n"]).join(lines) + "\n"


def _value(rng: random.Random, column: str) -> str:
    """Mostly a valid value of the column (the first entries of its pool), sometimes a bad or tricky one."""
    pool = VALUES.get(column, [""])
    roll = rng.random()
    if roll < 0.95:
        return rng.choice(pool[: GOOD.get(column, len(pool))])
    return rng.choice(pool) if roll < 0.98 else _cell(rng, TRICKY)


def web_texts(seed: int) -> tuple[str, str]:
    rng = random.Random(seed)
    return table_text(rng, COMPANY_HEADER), table_text(rng, DEAL_HEADER)


def _check_web(companies: str | Path, deals: str | Path) -> None:
    sources = [io.StringIO(s) if isinstance(s, str) else s for s in (companies, deals)]
    try:
        web = DealWeb.from_csv(*sources)
    except ExposureError as error:
        assert str(error) and "\n" not in str(error), repr(str(error))
        return
    assert web.deals["payer"].isin(web.companies.index).all() and web.deals["payee"].isin(web.companies.index).all()
    for column in ("amount_usd_bn", "duration_years", "capacity_gw", "firm_usd_bn"):
        values = web.deals[column].dropna().to_numpy(float)
        assert np.isfinite(values).all() and (values >= 0).all()
    web.as_of("2026-01-01")


@settings(FUZZ, max_examples=max(1, TOTAL * 3 // 10))
@given(seeds)
def test_fuzz_dealweb_text(seed):
    _check_web(*web_texts(seed))


@settings(FUZZ, max_examples=max(1, TOTAL // 100))
@given(seeds, st.sampled_from(["utf-8", "utf-8-sig", "latin-1", "utf-16"]))
def test_fuzz_dealweb_files(tmp_path_factory, seed, encoding):
    companies, deals = web_texts(seed)
    folder = tmp_path_factory.getbasetemp()
    paths = [folder / "fuzz_companies.csv", folder / "fuzz_deals.csv"]
    for path, text in zip(paths, (companies, deals), strict=True):
        path.write_bytes(text.encode(encoding, errors="replace"))
    _check_web(*paths)


# ------------------------------------------------------------------------------------------- argv
ROOT = Path(__file__).resolve().parents[1]
ARGV_EXAMPLES = int(os.environ.get("EXPOSURE_FUZZ_ARGV", "150"))
#: Values a user might type after any option: right, wrong type, empty, option-like, hostile.
ANY_VALUE = ["0.1", "-1", "1e400", "nan", "abc", "", "--", "-f", "openai", "openai=0.5", "nvidia=40%", "x=y=z",
             "2025-01-01", "2999-01-01", "semiconductor=0.2:0.45", "=HYPERLINK(\"x\")", "ai_heavy", "\x00"]
FILES = [str(ROOT / "portfolios" / "ai_heavy.csv"), str(ROOT / "portfolios" / "tech_etf.csv"), "nope.csv", ".",
         "/dev/null", str(ROOT / "tests" / "bad_inputs" / "negative_shares.csv")]
#: Not fuzzed: `refresh` and `--live` would try the network (refused by conftest, but slowly through yfinance),
#: and `plot`/`report` draw figures (seconds each); their usage errors are covered in test_cli_errors.py.
SKIPPED_COMMANDS, SKIPPED_OPTIONS = {"refresh", "plot", "report"}, {"--live"}


def _grammar() -> dict[str, list[tuple[str, list[str]]]]:
    """Command -> its options, each with the values worth trying (choices, numbers, anything)."""
    from exposure.cli import app_command

    grammar: dict[str, list[tuple[str, list[str]]]] = {}
    for name, command in app_command().commands.items():
        if name in SKIPPED_COMMANDS:
            continue
        options = []
        for param in command.params:
            for opt in param.opts:
                if not opt.startswith("--") or opt in SKIPPED_OPTIONS:
                    continue
                annotation = param.type_descriptor.annotation
                choices = [m.value for m in annotation] if isinstance(annotation, type) and issubclass(
                    annotation, enum.Enum) else []
                good = [*map(str, choices)] * 6 or ["1", "0.3", "openai", "openai=0.5"]  # mostly sensible values
                options.append((opt, [] if getattr(param, "is_flag", False) else [*good, *ANY_VALUE]))
        grammar[name] = options
    return grammar


def argv_from(rng: random.Random, grammar: dict[str, list[tuple[str, list[str]]]], out_dir: Path) -> list[str]:
    """An argv: a command (sometimes misspelt or missing), a file or not, options in any order, odd tokens."""
    commands = sorted(grammar)
    argv: list[str] = []
    roll = rng.random()
    command = rng.choice(commands)
    if roll < 0.85:
        argv.append(command)
    elif roll < 0.93:
        argv.append(command[:-1] + command[-1] * 2)  # a typo
    for _ in range(rng.choice([0, 1, 1, 1, 2])):
        argv.append(rng.choice(FILES))
    for _ in range(rng.randrange(4)):
        if rng.random() < 0.1:
            argv.append(rng.choice(["--bogus", "-x", "--help", "--version", "--", "-", "--format=json"]))
            continue
        option, values = rng.choice(grammar[command] or [("--help", [])])
        argv.append(option)
        if option == "--out":
            argv.append(str(out_dir / rng.choice(["t.csv", "r.html", "figs", "missing/x.csv"])))
        elif values and rng.random() < 0.95:
            argv.append(rng.choice(values))
    return argv


@settings(FUZZ, max_examples=ARGV_EXAMPLES)
@given(seeds)
def test_fuzz_argv_never_a_traceback(tmp_path_factory, seed):
    from conftest import run_cli

    argv = argv_from(random.Random(seed), _grammar(), tmp_path_factory.getbasetemp())
    code, out, err = run_cli(*argv)
    assert code in (0, 1, 2), (argv, code, err)
    assert "Traceback" not in err and "internal error" not in err, (argv, err)
    if code == 2 and err.startswith("error:"):
        assert len(err.strip().splitlines()) == 1, (argv, err)
