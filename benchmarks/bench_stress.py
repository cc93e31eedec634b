"""Stress time on a synthetic 10,000-company sparse web (goal: a whole stress under 1 s).

Run: ``.venv/bin/python benchmarks/bench_stress.py [--n 10000] [--runs 7]``. The web is generated with
numpy: power-law out-degrees (a few companies depend on many others), sources drawn with power-law
popularity (a few hubs everyone depends on), random weights, and each row rescaled to sum to a value in
[0.3, 0.9] so the spectral radius stays below 1. Prints the median of several runs per step.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

import numpy as np
import scipy.sparse as sp
from bench_core import median_time  # this folder is on sys.path when the script runs

from exposure.contagion import eisenberg_noe, linear_debtrank, nonlinear_debtrank, original_debtrank, split_rounds


def synthetic_web(n: int, seed: int = 0) -> sp.csr_matrix:
    """Sparse L (row = affected) with power-law degrees and row sums in [0.3, 0.9]."""
    rng = np.random.default_rng(seed)
    degrees = np.minimum(np.floor(rng.pareto(1.5, n) + 1).astype(int) * 2, n // 10)
    popularity = 1.0 / np.arange(1, n + 1) ** 1.1          # Zipf: company 0 is the biggest hub
    popularity /= popularity.sum()
    rows = np.repeat(np.arange(n), degrees)
    cols = rng.choice(n, size=rows.size, p=popularity)
    keep = rows != cols
    values = rng.random(keep.sum())
    L = sp.csr_matrix((values, (rows[keep], cols[keep])), shape=(n, n))
    L.sum_duplicates()
    sums = np.asarray(L.sum(axis=1)).ravel()
    target = rng.uniform(0.3, 0.9, n)
    scale = np.divide(target, sums, out=np.zeros(n), where=sums > 0)
    return sp.csr_matrix(sp.diags(scale) @ L)




def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    L = synthetic_web(args.n)
    h0 = np.zeros(args.n)
    h0[0], h0[1] = 1.0, 0.5                                    # the biggest hub wiped out, the next halved
    weights = np.random.default_rng(1).dirichlet(np.ones(args.n))
    liabilities = sp.csr_matrix(L.multiply(100.0).T)          # who owes whom, same sparsity, USD bn
    owed = np.asarray(liabilities.sum(axis=1)).ravel()
    external = owed * np.random.default_rng(2).uniform(0.5, 1.2, args.n)

    def full_stress() -> float:
        h = linear_debtrank(L, h0)
        low = original_debtrank(L, h0)
        sweep = [weights @ nonlinear_debtrank(L, h0, alpha=a) for a in (0, 1, 5)]
        first, later = split_rounds(L, h0, h)
        return float(weights @ h + weights @ low + sum(sweep) + first.sum() + later.sum())

    steps: list[tuple[str, Callable[[], object]]] = [
        ("linear DebtRank", lambda: linear_debtrank(L, h0)),
        ("original DebtRank", lambda: original_debtrank(L, h0)),
        ("non-linear DebtRank, alpha 1", lambda: nonlinear_debtrank(L, h0, alpha=1.0)),
        ("whole stress (linear + lower bound + 3-alpha sweep + split)", full_stress),
        ("Eisenberg-Noe clearing", lambda: eisenberg_noe(liabilities, external)),
    ]
    h = linear_debtrank(L, h0)
    _, defaulted = eisenberg_noe(liabilities, external)
    print(f"synthetic web: {args.n:,} companies, {L.nnz:,} dependencies, max row sum "
          f"{np.asarray(L.sum(axis=1)).max():.2f}; {int((h > 0).sum()):,} companies hit, "
          f"{int((h >= 1).sum())} wiped out; EN: {int(defaulted.sum()):,} defaults")
    print(f"median of {args.runs} runs")
    width = max(len(name) for name, _ in steps)
    for name, step in steps:
        print(f"  {name:<{width}}  {1000 * median_time(step, args.runs):8.1f} ms")


if __name__ == "__main__":
    main()
