"""Run inside ``benchmarks/.venv-peers`` (PyPortfolioOpt and skfolio): the long-only minimum-variance problem
with group bounds, from an ``.npz`` written by ``bench_optimize.py``; prints JSON with weights and timings.

Not part of the package and never imported by it: ``bench_optimize.py`` calls it with the peers' Python.
"""

from __future__ import annotations

import json
import statistics
import sys
import time

import numpy as np


def main(path: str, runs: int) -> None:
    data = np.load(path, allow_pickle=False)
    returns, groups = data["returns"], [str(g) for g in data["groups"]]
    max_weight = float(data["max_weight"])
    bands = {str(g): (float(lo), float(hi)) for g, lo, hi in zip(data["band_names"], data["band_lo"],
                                                                  data["band_hi"], strict=True)}
    n = returns.shape[1]
    tolerances = json.loads(str(data["tolerances"]))  # the same Clarabel tolerances for every library
    out: dict[str, dict] = {}

    try:
        import pandas as pd
        from pypfopt import EfficientFrontier

        names = [f"A{k}" for k in range(n)]
        mapper = dict(zip(names, groups, strict=True))

        def pypfopt_solve() -> np.ndarray:  # end to end: the covariance from the returns, as ours
            frame = pd.DataFrame(np.cov(returns, rowvar=False, ddof=1), index=names, columns=names)
            frontier = EfficientFrontier(None, frame, weight_bounds=(0, max_weight), solver="CLARABEL",
                                         solver_options=tolerances)
            frontier.add_sector_constraints(mapper, {g: b[0] for g, b in bands.items()},
                                            {g: b[1] for g, b in bands.items()})
            weights = frontier.min_volatility()
            return np.array([weights[name] for name in names])

        out["PyPortfolioOpt"] = _timed(pypfopt_solve, runs)
    except Exception as error:  # a peer failing must not stop the others
        out["PyPortfolioOpt"] = {"error": f"{type(error).__name__}: {error}"}

    try:
        from skfolio import RiskMeasure
        from skfolio.optimization import MeanRisk, ObjectiveFunction

        constraints = [f"{g} >= {b[0]}" for g, b in bands.items()] + [f"{g} <= {b[1]}" for g, b in bands.items()]

        def skfolio_solve() -> np.ndarray:
            model = MeanRisk(objective_function=ObjectiveFunction.MINIMIZE_RISK, risk_measure=RiskMeasure.VARIANCE,
                             min_weights=0.0, max_weights=max_weight, groups=[groups],
                             linear_constraints=constraints, solver="CLARABEL",
                             solver_params=tolerances)
            model.fit(returns)
            return np.asarray(model.weights_)

        out["skfolio"] = _timed(skfolio_solve, runs)
    except Exception as error:
        out["skfolio"] = {"error": f"{type(error).__name__}: {error}"}
    print(json.dumps(out))


def _timed(solve, runs: int) -> dict:
    """Median wall and CPU seconds (CPU time is the steadier measure on a loaded machine) and the weights."""
    times, cpus, weights = [], [], None
    for _ in range(runs):
        started, cpu = time.perf_counter(), time.process_time()
        weights = solve()
        times.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu)
    return {"weights": weights.tolist(), "median_s": statistics.median(times), "first_s": times[0],
            "cpu_s": statistics.median(cpus)}


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 3)
