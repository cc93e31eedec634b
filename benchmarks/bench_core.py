"""The core measurements behind ``benchmarks/run.py``: import, analyze, CLI, analyze_many, large webs.

Each ``measure_*`` function returns :class:`Row` objects (median seconds of several runs, the goal and
whether it is met). Timings that need a fresh interpreter (import, CLI, peak memory) run in subprocesses;
``python benchmarks/bench_core.py many ...`` is the child that scores synthetic accounts and reports its
peak resident memory.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
N_HOLDINGS = 30
UNIVERSE = 5_000


@dataclass
class Row:
    """One line of the results table."""

    name: str
    seconds: float | None
    runs: int
    goal: str = ""
    met: bool | None = None
    note: str = ""


def median_time(call: Callable[[], object], runs: int, warmup: int = 0) -> float:
    """Median wall time of ``call`` over ``runs`` runs (after ``warmup`` untimed calls), in seconds."""
    for _ in range(warmup):
        call()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def machine() -> dict[str, str]:
    """Date, CPU, cores, memory, load and library versions, for the table's header."""
    import numpy
    import pandas
    import scipy

    cores = os.cpu_count() or 0
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cores
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30 if hasattr(os, "sysconf") else 0
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        found = re.search(r"model name\s*:\s*(.+)", cpuinfo.read_text())
        cpu = found.group(1).strip() if found else cpu
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu, "cores": f"{usable} usable of {cores}", "memory": f"{memory:.1f} GiB",
        "os": f"{platform.system()} {platform.release()}", "python": platform.python_version(),
        "libraries": f"numpy {numpy.__version__}, scipy {scipy.__version__}, pandas {pandas.__version__}",
        "load": load,
    }


# ------------------------------------------------------------------------------------------ import time
def _import_seconds(module: str) -> float:
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    done = subprocess.run([PYTHON, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    return float(done.stdout.strip())


def measure_import(runs: int) -> list[Row]:
    """``import exposure`` vs ``import pandas`` alone, each in fresh interpreters (alternating)."""
    ours, theirs = [], []
    for _ in range(runs):
        ours.append(_import_seconds("exposure"))
        theirs.append(_import_seconds("pandas"))
    exposure_s, pandas_s = statistics.median(ours), statistics.median(theirs)
    ratio = exposure_s / pandas_s
    return [
        Row("`import pandas` (reference)", pandas_s, runs),
        Row("`import exposure`", exposure_s, runs, "<= 1.6x pandas", ratio <= 1.6, f"{ratio:.2f}x pandas"),
    ]


#: The cold ``exposure score`` run in-process, for :func:`import_culprits`.
SCORE_CODE = "from exposure.cli import main; main(['score', 'portfolios/ai_heavy.csv'])"


def import_culprits(top: int = 8) -> list[tuple[str, float]]:
    """What a cold ``exposure score`` loads beyond ``import pandas``: self import time (ms) summed per top-level
    package (``exposure`` itself per module), largest first, from ``python -X importtime``."""

    def modules(code: str) -> dict[str, float]:
        done = subprocess.run([PYTHON, "-X", "importtime", "-c", code], capture_output=True,
                              text=True, check=True, cwd=ROOT)
        found: dict[str, float] = {}
        for line in done.stderr.splitlines():
            match = re.match(r"import time:\s+(\d+)\s+\|\s+\d+\s+\|\s*(\S+)", line)
            if match:
                found[match.group(2)] = int(match.group(1)) / 1000
        return found

    base = modules("import pandas")
    groups: dict[str, float] = {}
    for name, ms in modules(SCORE_CODE).items():
        if name in base:
            continue
        parts = name.split(".")
        key = ".".join(parts[:2]) if parts[0] == "exposure" else parts[0]
        groups[key] = groups.get(key, 0.0) + ms
    return sorted(groups.items(), key=lambda item: -item[1])[:top]


# --------------------------------------------------------------------------------------------- analyze
def measure_analyze(runs: int) -> list[Row]:
    """``analyze()`` on a 50-holding portfolio, warm (web loaded, one call made before timing)."""
    import exposure as ex
    from exposure.market import SnapshotProvider

    web = ex.DealWeb.bundled()
    funds = ["SPY", "QQQ", "SMH", "XLK", "VGT"]
    tickers = (funds + [str(t) for t in web.listed["ticker"]])[:49]
    weights = {t: 1.0 + (k % 7) for k, t in enumerate(tickers)} | {"CASH": 2.0}
    pf = ex.Portfolio.from_weights(weights)
    market = SnapshotProvider()
    note = f"{len(pf.positions)} holdings ({len(funds)} ETFs looked through), {len(web.companies)} hubs"
    default, default_cpu = _wall_and_cpu(lambda: ex.analyze(pf, web), runs)
    shared, shared_cpu = _wall_and_cpu(lambda: ex.analyze(pf, web, market=market), runs)
    return [
        Row("`analyze(pf, web)`, 50 holdings, warm", default, runs, "<= 20 ms", default <= 0.020,
            f"{note}; CPU {default_cpu * 1000:.1f} ms"),
        Row("`analyze(pf, web, market=snapshot)`, provider reused", shared, runs, "<= 20 ms", shared <= 0.020,
            f"CPU {shared_cpu * 1000:.1f} ms"),
    ]


def _wall_and_cpu(call: Callable[[], object], runs: int) -> tuple[float, float]:
    """Median wall and CPU (``time.process_time``) seconds of ``call`` over the same ``runs`` runs, after one
    untimed call: on a shared machine the wall time includes waiting for other processes, the CPU time does not."""
    call()
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        call()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def _cold(command: list[str], env: dict[str, str] | None = None, terminal: bool = False) -> tuple[float, float]:
    """Wall and CPU (user + system) seconds of one fresh process running ``command``; ``terminal`` runs it on a
    pseudo-terminal of 120 x 40 (what a user at a terminal sees: styles on, the terminal's width), else with its
    output on a pipe."""
    import resource

    def cpu() -> float:
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime

    if not terminal:
        before, start = cpu(), time.perf_counter()
        subprocess.run(command, capture_output=True, check=True, cwd=ROOT, env=env, timeout=300)
        return time.perf_counter() - start, cpu() - before
    import fcntl
    import pty
    import struct
    import termios
    import threading

    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    drained = threading.Thread(target=_drain, args=(leader,), daemon=True)
    drained.start()
    try:
        before, start = cpu(), time.perf_counter()
        subprocess.run(command, stdin=follower, stdout=follower, stderr=follower, check=True, cwd=ROOT, env=env,
                       timeout=300)
        seconds = time.perf_counter() - start, cpu() - before
    finally:
        os.close(follower)
        drained.join(timeout=5)
        os.close(leader)
    return seconds


def _drain(descriptor: int) -> None:
    """Read a pseudo-terminal until it closes, so a child writing to it never blocks."""
    try:
        while os.read(descriptor, 65536):
            pass
    except OSError:  # EIO once the last writer has gone
        pass


def measure_cli(runs: int) -> list[Row]:
    """A cold ``exposure score portfolios/ai_heavy.csv`` against a cold ``python -c "import pandas"``, side by
    side: fresh processes, alternating, medians of ``runs`` each. The score runs on a pseudo-terminal (the path a
    user at a terminal takes: styled output at the terminal's width), and again with its output on a pipe (the
    note gives that ratio too). The package's bytecode is compiled first, as ``pip install`` leaves it (with
    PYTHONDONTWRITEBYTECODE set, every run would compile it again)."""
    import compileall

    compileall.compile_dir(str(ROOT / "exposure"), quiet=1)
    script = Path(PYTHON).parent / "exposure"
    command = [str(script)] if script.exists() else [PYTHON, "-c", "from exposure.cli import main; main()"]
    command += ["score", str(ROOT / "portfolios" / "ai_heavy.csv")]
    ours: list[tuple[float, float]] = []
    piped: list[tuple[float, float]] = []
    theirs: list[tuple[float, float]] = []
    for _ in range(runs):
        ours.append(_cold(command, terminal=True))
        theirs.append(_cold([PYTHON, "-c", "import pandas"]))
        piped.append(_cold(command))
    pandas_s, pandas_cpu = (statistics.median(t[k] for t in theirs) for k in (0, 1))
    score_s, score_cpu = (statistics.median(t[k] for t in ours) for k in (0, 1))
    ratio, cpu_ratio = score_s / pandas_s, score_cpu / pandas_cpu
    pipe_ratio = statistics.median(t[0] for t in piped) / pandas_s
    pipe_cpu = statistics.median(t[1] for t in piped) / pandas_cpu
    # --live with the network unreachable: every request goes to a refusing loopback proxy, cache empty.
    refused = "http://127.0.0.1:9"
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "EXPOSURE_CACHE_DIR": cache, **{k: refused for k in (
            "https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY")}}
        offline, _ = _cold(command + ["--live"], env)
    return [Row("`python -c \"import pandas\"`, cold (reference)", pandas_s, runs),
            Row("`exposure score portfolios/ai_heavy.csv`, cold, on a terminal, side by side", score_s, runs,
                "<= 1.5x pandas", ratio <= 1.5,
                f"**{ratio:.2f}x** `import pandas` (CPU time {cpu_ratio:.2f}x); output on a pipe {pipe_ratio:.2f}x "
                f"(CPU {pipe_cpu:.2f}x)"),
            Row("same with `--live`, network unreachable (snapshot fallback)", offline, 1, "<= 15 s",
                offline <= 15)]


# ---------------------------------------------------------------------------------------- analyze_many
def measure_many(n_accounts: int, runs: int) -> Row:
    """``analyze_many`` for ``n_accounts`` x 30 holdings over a 5,000-ticker universe, in a child process."""
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder) / "accounts.npz"
        subprocess.run([PYTHON, __file__, "generate", "--accounts", str(n_accounts), "--out", str(data)],
                       check=True, cwd=ROOT)
        done = subprocess.run([PYTHON, __file__, "many", "--data", str(data), "--runs", str(runs)],
                              capture_output=True, text=True, check=True, cwd=ROOT)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    seconds, peak = result["median_s"], result["peak_rss_gib"]
    note = (f"peak RSS {peak:.2f} GiB (input frame alone {result['input_rss_gib']:.2f} GiB), "
            f"{result['hubs']} hubs, {result['holdings']:,} rows")
    if n_accounts >= 1_000_000:
        return Row(f"`analyze_many`, {n_accounts:,} accounts", seconds, runs, "< 10 s, < 4 GB",
                   seconds < 10 and peak < 4, note)
    return Row(f"`analyze_many`, {n_accounts:,} accounts", seconds, runs, "", None, note)


def _universe() -> list[str]:
    import pandas as pd

    import exposure as ex
    from exposure.synthetic import synthetic_universe

    funds = sorted(set(pd.read_csv(ROOT / "exposure" / "data" / "fund_holdings.csv")["fund"].astype(str)))
    return synthetic_universe(UNIVERSE, ex.DealWeb.bundled(), funds + ["CASH"])


def _generate(n_accounts: int, out: Path) -> None:
    import numpy as np

    from exposure.synthetic import synthetic_accounts

    frame = synthetic_accounts(n_accounts, N_HOLDINGS, _universe(), seed=42)
    np.savez(out, codes=frame["ticker"].cat.codes.to_numpy(np.int16), weights=frame["weight"].to_numpy())


def _many(data: Path, runs: int) -> None:
    import resource

    import numpy as np
    import pandas as pd

    import exposure as ex
    from exposure.batch import analyze_many

    universe = _universe()
    stored = np.load(data)
    n = len(stored["weights"]) // N_HOLDINGS
    holdings = pd.DataFrame({
        "account": np.repeat(np.arange(n, dtype=np.int64), N_HOLDINGS),
        "ticker": pd.Categorical.from_codes(stored["codes"], categories=pd.Index(universe, dtype=object)),
        "weight": stored["weights"],
    })
    del stored
    web = ex.DealWeb.bundled()
    input_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    times, result = [], None
    for _ in range(runs):
        result = None
        start = time.perf_counter()
        result = analyze_many(holdings, web)
        times.append(time.perf_counter() - start)
    scale = 2**20 if sys.platform != "darwin" else 2**30  # ru_maxrss: KiB on Linux, bytes on macOS
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"median_s": statistics.median(times), "peak_rss_gib": peak / scale,
                      "input_rss_gib": input_rss / scale, "hubs": result.shape[1] - 5,
                      "holdings": len(holdings)}))


# ------------------------------------------------------------------------------------------ large webs
def measure_large_web(runs: int, n_companies: int = 10_000, n_deals: int = 100_000, n_hubs: int = 50,
                      katz_hubs: int = 1) -> list[Row]:
    """Build L, its spectral radius, 50 hub exposures, networkx Katz as reference, and a stress, on a
    synthetic web."""
    import networkx as nx
    import numpy as np

    from exposure.contagion import linear_debtrank, original_debtrank
    from exposure.network import build_sensitivity, hub_exposures, spectral_radius
    from exposure.synthetic import synthetic_web

    companies, deals = synthetic_web(n_companies, n_deals, seed=0)
    companies = companies.set_index("id")
    size = f"{n_companies:,} companies, {n_deals:,} deals"
    build = median_time(lambda: build_sensitivity(companies, deals), runs)
    L = build_sensitivity(companies, deals).matrix
    rho_s = median_time(lambda: spectral_radius(L), runs)
    rho = spectral_radius(L)
    dependents = np.asarray((L != 0).sum(axis=0)).ravel()
    hubs = np.argsort(-dependents, kind="stable")[:n_hubs]
    solve = median_time(lambda: hub_exposures(L, hubs), runs)
    x = hub_exposures(L, hubs)

    # networkx reference: Leontief is Katz with alpha = 1, edges j -> i weighted L_h[i, j], beta = L[:, h].
    katz_times, worst = [], 0.0
    for k in range(katz_hubs):
        h = int(hubs[k])
        L_h = L.tolil(copy=True)
        L_h[h, :] = 0
        graph = nx.from_scipy_sparse_array(L_h.tocsr().T, create_using=nx.DiGraph)
        beta = dict(enumerate(L[:, [h]].toarray().ravel()))
        start = time.perf_counter()
        katz = nx.katz_centrality(graph, alpha=1.0, beta=beta, normalized=False, weight="weight", tol=1e-15,
                                  max_iter=10_000)
        katz_times.append(time.perf_counter() - start)
        ours = x[:, k]
        worst = max(worst, float(np.max(np.abs(np.array([katz[i] for i in range(n_companies)]) - ours))))
    katz_s = statistics.median(katz_times)

    shock = np.zeros(n_companies)
    shock[hubs[0]] = 1.0  # the biggest hub wiped out
    linear = median_time(lambda: linear_debtrank(L, shock), runs)
    lower = median_time(lambda: original_debtrank(L, shock), runs)
    hit = int((linear_debtrank(L, shock) > 0).sum())
    return [
        Row(f"build `L` ({size})", build, runs, note=f"{L.nnz:,} non-zeros"),
        Row("spectral radius (sparse eigensolver)", rho_s, runs, note=f"rho = {rho:.3f}"),
        Row(f"`hub_exposures`, {n_hubs} hubs", solve, runs, "< 5 s", solve < 5,
            "sparse; Neumann series + rank-one correction per hub"),
        Row(f"networkx `katz_centrality`, {katz_hubs} hub (reference)", katz_s, katz_hubs, "",
            None, f"x{n_hubs} hubs ~ {katz_s * n_hubs:.0f} s; max |ours - networkx| = {worst:.1e}"),
        Row("stress: `linear_debtrank`, biggest hub wiped out", linear, runs, "< 1 s", linear < 1,
            f"{hit:,} companies hit"),
        Row("stress: `original_debtrank` (lower bound)", lower, runs, "< 1 s", lower < 1),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description="child processes of benchmarks/run.py")
    parser.add_argument("mode", choices=["generate", "many"])
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--data", type=Path)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if args.mode == "generate":
        _generate(args.accounts, args.out)
    else:
        _many(args.data, args.runs)


if __name__ == "__main__":
    main()
