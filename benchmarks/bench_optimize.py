"""Suggestion solve times on a synthetic 500-name universe, and a side-by-side with PyPortfolioOpt and skfolio.

Run: ``.venv/bin/python benchmarks/bench_optimize.py [--n 500] [--runs 5] [--no-peers]``.

Part 1 (goals: first solve <= 1 s, re-solve after changing a cap <= 0.1 s): a synthetic deal web of ``n``
listed companies in the 8 AI layers, 20 hubs that many companies sell to, a 40-name portfolio, 20 hub caps
and 8 layer bands. "First solve" builds and compiles the DPP problem and solves it (the cache is emptied
before each run); "re-solve" changes one cap's Parameter and solves again without recompiling. Medians of
``--runs`` runs. The end-to-end ``ex.suggest`` time (which also analyses the portfolio before and after)
is shown for reference.

Part 2: the same long-only minimum-variance problem with group bounds (8 layer groups, each 5-30% of the
portfolio, no name above 5%) solved by ``ex.suggest`` (no costs, no hub term, fully invested, risk model =
the sample covariance of synthetic returns) and by PyPortfolioOpt and skfolio. The peers are installed
only in their own environment, ``benchmarks/.venv-peers`` (created here with ``python -m venv`` + pip on
first use; never project dependencies), and run by ``benchmarks/peers_minvar.py``. If the install fails,
that part is skipped with one line saying so.
"""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
import tempfile
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
        optimize._PROGRAMS.clear()
        optimize._solve(data, constraints)

    first_s = median_time(first, runs)
    program = optimize.program_for(shape)
    solved = optimize._solve(data, constraints)
    slot = 0
    tight = float(data.caps[slot])

    def resolve() -> None:
        data.caps[slot] = tight * float(rng.uniform(0.9, 1.0))  # a new cap every run
        optimize._solve(data, constraints)

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


def part_two(n: int, runs: int) -> list[dict] | None:
    python = ensure_peers()
    if python is None:
        return None
    rng = np.random.default_rng(2)
    periods, factors = 2 * n, 5
    loadings = rng.normal(0, 1, (n, factors))
    # Returns in percent: the minimizer does not depend on the scale of S, and at this scale every library's
    # default solver tolerances reach the optimum (in decimals the variances are ~1e-7 and absolute-gap stops
    # leave weights 1e-4 apart; ex.suggest rescales its objective itself).
    returns = (rng.normal(0, 1.0, (periods, factors)) @ loadings.T) + rng.normal(0, 2.0, (periods, n))
    groups = np.array([LAYERS[k % len(LAYERS)] for k in range(n)])
    max_weight, band = 0.05, (0.05, 0.30)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "problem.npz"
        np.savez(path, returns=returns, groups=groups, max_weight=max_weight, band_names=np.array(LAYERS),
                 band_lo=np.full(len(LAYERS), band[0]), band_hi=np.full(len(LAYERS), band[1]))
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
    covariance = pd.DataFrame(np.cov(returns, rowvar=False, ddof=1), index=tickers, columns=tickers)
    constraints = ex.Constraints(max_weight=max_weight, min_cash=0.0, max_cash=0.0, gamma=0.0, transaction_costs=0.0,
                                 layer_basis="portfolio", layer_bands={g: band for g in LAYERS}, universe=tickers)
    data = optimize.problem_data(pf, web, constraints, risk=covariance)
    order = [data.tickers.index(t) for t in tickers]

    def ours() -> np.ndarray:
        optimize._PROGRAMS.clear()
        return optimize._solve(data, constraints).weights[order]

    ours_s = median_time(ours, runs)
    weights = ours()
    resolve_s = median_time(lambda: optimize._solve(data, constraints), runs)
    cov = covariance.to_numpy()
    variance = float(weights @ cov @ weights)
    rows = [{"library": "exposure (ex.suggest core: build + compile + solve)", "median_s": ours_s,
             "max_abs_weight_diff": 0.0, "time_ratio": 1.0, "variance_ratio": 1.0},
            {"library": "exposure (re-solve, compiled problem reused)", "median_s": resolve_s,
             "max_abs_weight_diff": 0.0, "time_ratio": resolve_s / ours_s, "variance_ratio": 1.0}]
    for name, result in peers.items():
        if "error" in result:
            print(f"peers: {name} failed ({result['error']})")
            continue
        theirs = np.array(result["weights"])
        diff = float(np.abs(theirs - weights).max())
        rows.append({"library": name, "median_s": result["median_s"], "max_abs_weight_diff": diff,
                     "time_ratio": result["median_s"] / ours_s,
                     "variance_ratio": float(theirs @ cov @ theirs) / variance})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-peers", action="store_true")
    args = parser.parse_args()
    one = part_one(args.n, args.runs)
    print(f"Suggestion solve times, medians of {args.runs} runs ({one[0]['info']})")
    print(f"{'step':48} {'median':>10} {'goal':>8}  met")
    for row in one:
        goal = "" if row["goal_s"] is None else f"{row['goal_s']:.2f} s"
        met = "" if row["goal_s"] is None else ("yes" if row["median_s"] <= row["goal_s"] else "NO")
        print(f"{row['step']:48} {row['median_s']:>8.3f} s {goal:>8}  {met}")
    if args.no_peers:
        print("peers: skipped (--no-peers).")
        return
    two = part_two(args.n, max(3, args.runs // 2))
    if two is None:
        return
    print(f"\nLong-only minimum variance, {args.n} names, 8 group bands 5-30%, max weight 5% "
          "(same covariance, CLARABEL everywhere)")
    print(f"{'library':52} {'median':>10} {'max |w - ours|':>15} {'time / ours':>12} {'var / ours - 1':>15}"
          "  same (1e-4)")
    for row in two:
        same = "yes" if row["max_abs_weight_diff"] <= 1e-4 else "NO"
        print(f"{row['library']:52} {row['median_s']:>8.3f} s {row['max_abs_weight_diff']:>15.2e} "
              f"{row['time_ratio']:>12.2f} {row['variance_ratio'] - 1:>15.2e}  {same}")
    print("time / ours: the peer's median over ours (first solve); var / ours - 1 > 0: the peer's weights have "
          "more variance than ours.")


if __name__ == "__main__":
    main()
