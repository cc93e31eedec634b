"""Run every benchmark and print one markdown table; also written to ``benchmarks/RESULTS.md``.

Usage::

    .venv/bin/python benchmarks/run.py            # full run (a few minutes)
    .venv/bin/python benchmarks/run.py --quick    # smoke run: fewer runs, no 1M accounts, smaller web

Each time is the median of several runs (the ``runs`` column). The header gives the date, the machine's
cores, memory and load average (other processes slow every number down). ``bench_optimize.py`` and
``bench_stress.py`` are run too when they exist, and their output is appended.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import traceback
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_core  # noqa: E402
from bench_core import Row  # noqa: E402

EXTRA_TIMEOUT_S = 600
EXTRA = {  # other helpers' benchmark scripts: (full arguments, quick arguments)
    "bench_optimize.py": (["--runs", "3"], ["--runs", "1", "--no-peers"]),
    "bench_stress.py": ([], ["--runs", "2"]),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a fast smoke run")
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS.md")
    args = parser.parse_args()
    quick = args.quick
    info = bench_core.machine()
    print(f"benchmarks ({'quick' if quick else 'full'}) on {info['cores']} cores, load {info['load']}",
          file=sys.stderr)

    rows: list[Row] = []
    steps: list[tuple[str, Callable[[], list[Row]]]] = [
        ("import", lambda: bench_core.measure_import(3 if quick else 9)),
        ("analyze", lambda: bench_core.measure_analyze(5 if quick else 25)),
        ("cli", lambda: bench_core.measure_cli(7 if quick else 9)),
    ]
    for n_accounts in (10_000, 100_000) if quick else (10_000, 100_000, 1_000_000):
        runs = 1 if quick else (3 if n_accounts >= 1_000_000 else 5)
        steps.append((f"analyze_many {n_accounts:,}", lambda n=n_accounts, r=runs: [bench_core.measure_many(n, r)]))
    if quick:
        steps.append(("large web", lambda: bench_core.measure_large_web(1, 2_000, 20_000, n_hubs=50)))
    else:
        steps.append(("large web", lambda: bench_core.measure_large_web(3)))
    for label, step in steps:
        print(f"  {label} ...", file=sys.stderr, flush=True)
        try:
            rows.extend(step())
        except Exception as error:  # one failing benchmark must not hide the others
            traceback.print_exc(file=sys.stderr)
            rows.append(Row(label, None, 0, note=f"failed: {type(error).__name__}: {error}"[:200]))

    culprits = bench_core.import_culprits()
    extras = [_run_extra(name, options[1] if quick else options[0]) for name, options in EXTRA.items()
              if (HERE / name).exists()]
    text = _markdown(info, rows, culprits, extras, quick)
    print(text)
    from exposure.files import atomic_write

    atomic_write(args.out, text)
    print(f"written to {args.out}", file=sys.stderr)


def _run_extra(name: str, options: list[str]) -> str:
    print(f"  {name} {' '.join(options)} ...", file=sys.stderr, flush=True)
    shown = " ".join(["python", f"benchmarks/{name}", *options])
    try:
        done = subprocess.run([sys.executable, str(HERE / name), *options], capture_output=True, text=True,
                              cwd=HERE.parent, timeout=EXTRA_TIMEOUT_S)
    except subprocess.TimeoutExpired as expired:
        partial = expired.stdout.decode() if isinstance(expired.stdout, bytes) else (expired.stdout or "")
        return f"### `{shown}`\n\n```\n{partial.strip()}\n(stopped after {EXTRA_TIMEOUT_S} s)\n```\n"
    body = done.stdout.strip() or "(no output)"
    if done.returncode != 0:
        last = done.stderr.strip().splitlines()[-1:] or ["no message"]
        body += f"\n(failed with exit code {done.returncode}: {last[0]})"
    return f"### `{shown}`\n\n```\n{body}\n```\n"


def _markdown(info: dict[str, str], rows: list[Row], culprits: list[tuple[str, float]], extras: list[str],
              quick: bool) -> str:
    lines = [
        f"## Benchmarks{' (quick run)' if quick else ''}",
        "",
        f"{info['date']}; {info['cpu']}, {info['cores']} cores, {info['memory']} memory; {info['os']}, "
        f"Python {info['python']}; {info['libraries']}; load average at start {info['load']}.",
        "Command: `python benchmarks/run.py" + (" --quick`" if quick else "`") + ". Medians of `runs` runs.",
        "",
        "| benchmark | median | runs | goal | met | notes |",
        "|---|---:|---:|---|:---:|---|",
    ]
    for row in rows:
        met = "" if row.met is None else ("yes" if row.met else "**no**")
        lines.append(f"| {row.name} | {_seconds(row.seconds)} | {row.runs} | {row.goal} | {met} | {row.note} |")
    lines += ["", "`analyze_many`: synthetic accounts of 30 distinct holdings drawn with Zipf popularity over 5,000 "
              "tickers (the bundled web's listed companies and ETFs first, then tickers the web does not know), "
              "scored on the bundled web with every company as a hub; the peak RSS is the child process's "
              "(input frame included). Large web: `exposure.synthetic.synthetic_web` (power-law degrees), the "
              "50 hubs with the most dependents; networkx's pure-Python Katz is run for one hub on the same graph "
              "as the correctness and speed reference."]
    if culprits:
        lines += ["", "Packages a cold `exposure score` loads beyond `import pandas` (self import ms): "
                  + ", ".join(f"{name} {ms:.0f}" for name, ms in culprits) + "."]
    if extras:
        lines += ["", *extras]
    return "\n".join(lines).rstrip() + "\n"


def _seconds(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value * 1000:.1f} ms" if value < 1 else f"{value:.2f} s"


if __name__ == "__main__":
    main()
