"""Suggestion solve times: a 500-name problem, holdings at scale, and a side-by-side with PyPortfolioOpt and skfolio.

Run: ``.venv/bin/python benchmarks/bench_optimize.py [--n 500] [--runs 5] [--no-peers] [--sizes 1000,20000,100000]``.

Part 1 (goals: first solve <= 1 s, re-solve after changing a cap <= 0.1 s): a synthetic deal web of ``n``
listed companies in the 8 AI layers, 20 hubs that many companies sell to, a 40-name portfolio, 20 hub caps
and 8 layer bands. "First solve" builds and compiles the DPP problem and solves it (the cache is emptied
before each run); "re-solve" changes one cap's Parameter and solves again without recompiling.

Part 2 (goal: 20,000 and 100,000 holdings in <= 10 s and <= 2 GB): ``ex.suggest`` end to end, in a child
process whose peak RSS is reported, on a portfolio of six AI names (60% of value) and N - 6 names outside the
web, on the bundled web, with OpenAI capped at half its exposure and every default (stay invested, min trade
0.25%). Wall and CPU seconds are both shown: on a loaded machine (see the load average) wall time is several
times the CPU time, and ``met`` is judged on wall time.

Part 3: the same long-only minimum-variance problem with group bounds (8 layer groups, each 5-30% of the
portfolio, no name above 5%) solved by ``ex.suggest``'s core (no costs, no hub term, fully invested, risk
model = the sample covariance of synthetic returns) and by PyPortfolioOpt and skfolio, all with Clarabel and
the same tolerances (``TOLERANCES``), each timed end to end from the covariance to the weights, and each
library's error measured against a reference solve at 1e-13 tolerances. The peers are installed only in
their own environment, ``benchmarks/.venv-peers`` (created here with ``python -m venv`` + pip on first use;
never project dependencies), and run by ``benchmarks/peers_minvar.py``. If the install fails, that part is
skipped with one line saying so.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from bench_core import median_time  # this folder is on sys.path when the script runs

import exposure as ex
from exposure import optimize
from exposure.models import AI_LAYERS

HERE = Path(__file__).resolve().parent
PEERS_VENV = HERE / ".venv-peers"
LAYERS = sorted(AI_LAYERS)
#: Clarabel's stopping tolerances, the same for every library in part 3.
TOLERANCES = {"tol_gap_abs": 1e-10, "tol_gap_rel": 1e-10, "tol_feas": 1e-10}
#: The reference solve's tolerances (part 3): every library's error is measured against it.
REFERENCE = {"tol_gap_abs": 1e-13, "tol_gap_rel": 1e-13, "tol_feas": 1e-13, "max_iter": 500}


def median_cpu(call: Callable[[], object], runs: int) -> float:
    """Median CPU seconds of ``call`` over ``runs`` runs (this process, every thread)."""
    times = []
    for _ in range(runs):
        start = time.process_time()
        call()
        times.append(time.process_time() - start)
    return statistics.median(times)


def synthetic_web(n: int, hubs: int = 20, seed: int = 0) -> ex.DealWeb:
    """``n`` listed companies over the 8 AI layers; the first ``hubs`` buy compute or chips from many others."""
    rng = np.random.default_rng(seed)
    companies = ["id,name,ticker,layer,revenue_usd_bn,market_cap_usd_bn,as_of,source_url"]
    for k in range(n):
        revenue = float(rng.uniform(5, 200))
        companies.append(f"c{k},Company {k},T{k},{LAYERS[k % len(LAYERS)]},{revenue:.2f},{revenue * 8:.2f},"
                         f"2025-01-01,https://example.com/c{k}")
    deals = ["id,payer,payee,type,amount_usd_bn,duration_years,announced,status,source_url"]
    count = 0
    for k in range(hubs, n):
        for hub in rng.choice(hubs, size=int(rng.integers(1, 4)), replace=False):
            count += 1
            deals.append(f"d{count},c{hub},c{k},cloud_compute_contract,{rng.uniform(5, 100):.2f},5,2025-01,"
                         f"completed,https://example.com/d{count}")
    for _ in range(n // 2):  # chains of two deals and more
        payer, payee = rng.choice(n, size=2, replace=False)
        count += 1
        deals.append(f"d{count},c{payer},c{payee},chip_supply,{rng.uniform(1, 20):.2f},4,2025-01,completed,"
                     f"https://example.com/d{count}")
    return ex.DealWeb.from_csv(io.StringIO("\n".join(companies) + "\n"), io.StringIO("\n".join(deals) + "\n"))




def part_one(n: int, runs: int) -> list[dict]:
    web = synthetic_web(n)
    rng = np.random.default_rng(1)
    held = rng.choice(n, size=40, replace=False)
    weights = dict.fromkeys((f"T{k}" for k in held), 0.95 / 40) | {"CASH": 0.05}
    pf = ex.Portfolio.from_weights(weights)
    before = ex.analyze(pf, web)
    hubs = [f"c{k}" for k in range(20)]
    caps = {h: round(max(0.5 * float(before.hub(h)["total"]), 0.02), 4) for h in hubs}
    constraints = ex.Constraints(hub_caps=caps, layer_bands={layer: (0.05, 0.30) for layer in LAYERS},
                                 max_weight=0.05)
    data = optimize.problem_data(pf, web, constraints)
    shape = optimize.shape_of(data)

    def first() -> None:
        optimize.clear_cache()
        optimize.solve(data, constraints)

    first_s = median_time(first, runs)
    program = optimize.program_for(shape, optimize.constants(data))
    solved = optimize.solve(data, constraints)
    slot = 0
    tight = float(data.caps[slot])

    def resolve() -> None:
        data.caps[slot] = tight * float(rng.uniform(0.9, 1.0))  # a new cap every run
        optimize.solve(data, constraints)

    resolve_s = median_time(resolve, runs)
    data.caps[slot] = tight
    end_to_end = median_time(lambda: ex.suggest(pf, web, constraints), max(2, runs // 2))
    compiled = program.main._cache.param_prog is not None
    info = (f"{shape.n} names, {shape.caps} hub caps, {shape.bands} layer bands, {shape.hubs} hubs in the objective;"
            f" status {solved.status} ({solved.solver}); compiled problem reused: {compiled}")
    return [
        {"step": "first solve (build + compile + solve)", "median_s": first_s, "goal_s": 1.0, "info": info},
        {"step": "re-solve after changing a cap", "median_s": resolve_s, "goal_s": 0.1, "info": ""},
        {"step": "ex.suggest end to end (analyze before/after)", "median_s": end_to_end, "goal_s": None, "info": ""},
    ]


def ensure_peers() -> Path | None:
    """The peers' Python, creating ``benchmarks/.venv-peers`` with PyPortfolioOpt and skfolio if needed."""
    python = PEERS_VENV / "bin" / "python"
    check = [str(python), "-c", "import pypfopt, skfolio"]
    if python.exists() and subprocess.run(check, capture_output=True).returncode == 0:
        return python
    try:
        subprocess.run([sys.executable, "-m", "venv", str(PEERS_VENV)], check=True, capture_output=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "pyportfolioopt", "skfolio"], check=True,
                       capture_output=True, timeout=900)
    except (subprocess.SubprocessError, OSError) as error:
        print(f"peers: skipped, could not install PyPortfolioOpt/skfolio in {PEERS_VENV} ({type(error).__name__}).")
        return None
    return python if subprocess.run(check, capture_output=True).returncode == 0 else None


def scale_row(size: int) -> dict:
    """``ex.suggest`` end to end on ``size`` holdings, in this process (run it in a child for a clean peak RSS)."""
    web = ex.DealWeb.bundled()
    ai = {"NVDA": 0.15, "ORCL": 0.12, "CRWV": 0.10, "MSFT": 0.08, "AMD": 0.08, "AVGO": 0.07}
    rng = np.random.default_rng(0)
    rest = [f"S{k:06d}" for k in range(size - len(ai))]
    spread = rng.uniform(0.5, 1.5, len(rest))
    spread = spread / spread.sum() * (0.95 - sum(ai.values()))
    pf = ex.Portfolio.from_weights(ai | dict(zip(rest, spread, strict=True)) | {"CASH": 0.05})
    cap = float(ex.analyze(pf, web).hub("openai")["total"]) / 2
    wall, cpu = time.perf_counter(), time.process_time()
    sug = ex.suggest(pf, web, ex.Constraints(hub_caps={"openai": cap}))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    assert float(sug.after.hub("openai")["total"]) <= cap + 1e-6
    return {"holdings": size, "wall_s": wall, "cpu_s": cpu, "trades": len(sug.trades),
            "peak_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, "solve_s": sug.timings["solve"]}


def part_two(sizes: list[int]) -> list[dict]:
    rows = []
    for size in sizes:
        done = subprocess.run([sys.executable, __file__, "--scale-row", str(size)], capture_output=True, text=True,
                              timeout=3600)
        if done.returncode != 0:
            rows.append({"holdings": size, "error": done.stderr.strip().splitlines()[-1:]})
            continue
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return rows


def reference_weights(covariance: np.ndarray, groups: np.ndarray, max_weight: float,
                      band: tuple[float, float], upper: np.ndarray | None = None) -> np.ndarray:
    """The minimum-variance weights at 1e-13 tolerances: the yardstick of every library's error (``upper``:
    each group's upper band, ``band[1]`` by default)."""
    import cvxpy as cp

    w = cp.Variable(covariance.shape[0])
    rows = [cp.sum(w) == 1, w >= 0, w <= max_weight]
    for k, group in enumerate(LAYERS):
        members = groups == group
        rows += [cp.sum(w[members]) >= band[0], cp.sum(w[members]) <= (band[1] if upper is None else upper[k])]
    problem = cp.Problem(cp.Minimize(cp.quad_form(w, cp.psd_wrap(covariance))), rows)
    problem.solve(solver="CLARABEL", **REFERENCE)
    return np.asarray(w.value, dtype=float)


def resolve_case(data: optimize.ProblemData, constraints: ex.Constraints, order: list[int], cov: np.ndarray,
                 groups: np.ndarray, band: tuple[float, float], first: np.ndarray, case: str,
                 runs: int) -> tuple[str, float, np.ndarray, float, np.ndarray, float]:
    """A re-solve of the compiled problem after one group's upper band changes, timed from the first solve's
    optimum (restored, untimed, before each run): ``binding`` puts the largest group's band 2% under its share
    (the band binds after, not before), ``still binding`` moves an already binding band by a further 1%, ``not
    binding`` puts a band halfway between the share and 30% (the optimum stays). Returns the row's name, wall
    and CPU medians, the weights, and the reference solve at the new band with its variance."""
    shares = np.array([first[groups == g].sum() for g in LAYERS])
    k = int(np.argmax(shares))
    start = {"binding": band[1], "still binding": 0.98 * shares[k], "not binding": band[1]}[case]
    target = {"binding": 0.98 * shares[k], "still binding": 0.97 * shares[k],
              "not binding": (shares[k] + band[1]) / 2}[case]
    at = data.band_layers.index(LAYERS[k])
    walls, cpus, how = [], [], ""
    for _ in range(runs):
        data.band_hi[at] = start
        optimize.solve(data, constraints)  # the previous optimum (untimed)
        data.band_hi[at] = target
        wall, cpu = time.perf_counter(), time.process_time()
        solved = optimize.solve(data, constraints)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
        how = "active set" if "active set" in solved.notes[0] else "interior point"
    data.band_hi[at] = band[1]
    weights = solved.weights[order]
    hi = np.full(len(LAYERS), band[1])
    hi[k] = target
    ref = reference_weights(cov, groups, constraints.max_weight, band, hi)
    name = f"exposure re-solve, a band {case} ({how})"
    return name, statistics.median(walls), weights, statistics.median(cpus), ref, float(ref @ cov @ ref)


def part_three(n: int, runs: int) -> list[dict] | None:
    python = ensure_peers()
    if python is None:
        return None
    rng = np.random.default_rng(2)
    periods, factors = 2 * n, 5
    loadings = rng.normal(0, 1, (n, factors))
    # Returns in percent: the minimizer does not depend on the scale of S.
    returns = (rng.normal(0, 1.0, (periods, factors)) @ loadings.T) + rng.normal(0, 2.0, (periods, n))
    groups = np.array([LAYERS[k % len(LAYERS)] for k in range(n)])
    max_weight, band = 0.05, (0.05, 0.30)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "problem.npz"
        np.savez(path, returns=returns, groups=groups, max_weight=max_weight, band_names=np.array(LAYERS),
                 band_lo=np.full(len(LAYERS), band[0]), band_hi=np.full(len(LAYERS), band[1]),
                 tolerances=json.dumps(TOLERANCES))
        done = subprocess.run([str(python), str(HERE / "peers_minvar.py"), str(path), str(runs)],
                              capture_output=True, text=True, timeout=1800)
    if done.returncode != 0:
        print(f"peers: skipped, peers_minvar.py failed: {done.stderr.strip().splitlines()[-1:]}")
        return None
    peers = json.loads(done.stdout)

    web = synthetic_web(n, seed=3)
    tickers = [f"T{k}" for k in range(n)]
    web.companies["layer"] = groups  # the same groups as the peers
    pf = ex.Portfolio.from_weights(dict.fromkeys(tickers[:20], 0.05))
    constraints = ex.Constraints(max_weight=max_weight, min_cash=0.0, max_cash=0.0, gamma=0.0, transaction_costs=0.0,
                                 concentration=0.0, min_trade=0.0, layer_bands={g: band for g in LAYERS},
                                 universe=tickers)
    from exposure.optimize import program

    program.SOLVER_OPTIONS["CLARABEL"] = {**TOLERANCES, "verbose": False}  # the peers' tolerances

    def ours() -> np.ndarray:  # end to end, as the peers: covariance from returns, problem data, compile, solve
        optimize.clear_cache()
        covariance = pd.DataFrame(np.cov(returns, rowvar=False, ddof=1), index=tickers, columns=tickers)
        data = optimize.problem_data(pf, web, constraints, risk=covariance)
        solved = optimize.solve(data, constraints)
        return solved.weights[[data.tickers.index(t) for t in tickers]]

    ours_s, ours_cpu = median_time(ours, runs), median_cpu(ours, runs)
    weights = ours()
    covariance = pd.DataFrame(np.cov(returns, rowvar=False, ddof=1), index=tickers, columns=tickers)
    data = optimize.problem_data(pf, web, constraints, risk=covariance)
    order = [data.tickers.index(t) for t in tickers]
    cov = covariance.to_numpy()
    reference = reference_weights(cov, groups, max_weight, band)
    best = float(reference @ cov @ reference)

    def row(name: str, seconds: float, w: np.ndarray, cpu: float, ref: np.ndarray = reference,
            floor: float = best) -> dict:
        return {"library": name, "median_s": seconds, "time_ratio": seconds / ours_s, "cpu_s": cpu,
                "max_abs_weight_error": float(np.abs(w - ref).max()), "variance_error": float(w @ cov @ w) / floor - 1}

    resolves = [row(*resolve_case(data, constraints, order, cov, groups, band, weights, case, runs))
                for case in ("binding", "still binding", "not binding")]
    rows = [row("exposure (end to end: covariance, data, compile, solve)", ours_s, weights, ours_cpu), *resolves]
    for name, result in peers.items():
        if "error" in result:
            print(f"peers: {name} failed ({result['error']})")
            continue
        rows.append(row(name, result["median_s"], np.array(result["weights"]), result.get("cpu_s", np.nan)))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-peers", action="store_true")
    parser.add_argument("--sizes", default="1000,20000,100000", help="holdings counts of part 2 ('' to skip)")
    parser.add_argument("--parts", default="1,2,3", help="which parts to run (default all three)")
    parser.add_argument("--scale-row", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.scale_row is not None:
        print(json.dumps(scale_row(args.scale_row)))
        return
    one = part_one(args.n, args.runs) if "1" in args.parts else []
    if one:
        print(f"Suggestion solve times, medians of {args.runs} runs ({one[0]['info']})")
        print(f"{'step':48} {'median':>10} {'goal':>8}  met")
    for row in one:
        goal = "" if row["goal_s"] is None else f"{row['goal_s']:.2f} s"
        met = "" if row["goal_s"] is None else ("yes" if row["median_s"] <= row["goal_s"] else "NO")
        print(f"{row['step']:48} {row['median_s']:>8.3f} s {goal:>8}  {met}")
    sizes = [int(size) for size in args.sizes.split(",") if size.strip()] if "2" in args.parts else []
    if sizes:
        print("\nex.suggest end to end at scale (OpenAI capped at half, every default; one run each, child process; "
              f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
        print(f"{'holdings':>9} {'wall':>9} {'cpu':>9} {'solve':>9} {'peak RSS':>9} {'trades':>7} {'goal':>13}  met")
        for row in part_two(sizes):
            if "error" in row:
                print(f"{row['holdings']:>9,} failed: {row['error']}")
                continue
            goal, met = ("10 s, 2 GB", "yes" if row["wall_s"] <= 10 and row["peak_gib"] <= 2 else "NO") \
                if row["holdings"] >= 20_000 else ("", "")
            print(f"{row['holdings']:>9,} {row['wall_s']:>7.2f} s {row['cpu_s']:>7.2f} s {row['solve_s']:>7.2f} s "
                  f"{row['peak_gib']:>5.2f} GiB {row['trades']:>7} {goal:>13}  {met}")
    if args.no_peers or "3" not in args.parts:
        print("peers: skipped (--no-peers).")
        return
    three = part_three(args.n, max(3, args.runs // 2))
    if three is None:
        return
    print(f"\nLong-only minimum variance, {args.n} names, 8 group bands 5-30%, max weight 5% (same covariance; "
          f"CLARABEL everywhere with {TOLERANCES}; errors against a 1e-13 reference solve)")
    print(f"{'library':56} {'median':>10} {'cpu':>9} {'time / ours':>12} {'max |w - ref|':>14} {'var / ref - 1':>14}")
    for row in three:
        print(f"{row['library']:56} {row['median_s']:>8.3f} s {row['cpu_s']:>7.3f} s {row['time_ratio']:>12.2f} "
              f"{row['max_abs_weight_error']:>14.2e} {row['variance_error']:>14.2e}")
    print(f"time / ours: the library's median wall time over ours (end to end, first solve); cpu: median CPU "
          f"seconds (steadier on a loaded machine; load average now {os.getloadavg()[0]:.1f}).")
    for unit, key in (("wall", "median_s"), ("cpu", "cpu_s")):
        ours_s, resolve_s = three[0][key], three[1][key]  # the first re-solve row: a band that binds after
        peers = [row[key] for row in three[4:]]
        if peers:
            print(f"goal ({unit}): ours (first solve) <= the fastest peer ({min(peers):.3f} s): "
                  f"{'yes' if ours_s <= min(peers) else 'NO'} ({ours_s:.3f} s)")
        print(f"goal ({unit}): re-solve <= 0.2 x first solve: {'yes' if resolve_s <= 0.2 * ours_s else 'NO'} "
              f"({resolve_s / ours_s:.2f} x)")


if __name__ == "__main__":
    main()
