"""Running a cvxpy problem quietly: Clarabel (re-solving from the previous active set, :mod:`warm`) then HiGHS."""

from __future__ import annotations

import os
import sys
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from exposure._optional import require
from exposure.errors import ExposureError
from exposure.optimize.activeset import HOW
from exposure.optimize.program import LARGE_OPTIONS, SOLVER_OPTIONS, SOLVERS

if TYPE_CHECKING:
    import cvxpy as cp
else:
    cp = require("cvxpy", "Suggestions (exposure.suggest, exposure.frontier)")


_BANNER_SHOWN: list[bool] = []


def _swallow_highs_banner() -> None:
    """HiGHS prints its banner on stdout when the first ``Highs`` object of a process is made, whatever its
    options; make that first object here, once, with the process's stdout and stderr pointed at /dev/null.
    (Every later solve is silenced by options alone: no file descriptor is touched while other threads of the
    process, such as a test runner's channel, may be writing.)"""
    if _BANNER_SHOWN:
        return
    _BANNER_SHOWN.append(True)
    try:
        import highspy
    except ImportError:  # pragma: no cover - HiGHS is a dependency
        return
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            os.dup2(null.fileno(), 2)
            highspy.Highs()
    finally:
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in saved:
            os.close(fd)


@contextmanager
def quiet() -> Iterator[None]:
    """Silence solvers: no banner (see :func:`_swallow_highs_banner`), no cvxpy warnings."""
    _swallow_highs_banner()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def run(problem: cp.Problem, solvers: tuple[str, ...] = SOLVERS, *, large: bool = False, resolve: bool = True,
        **options: Any) -> tuple[str, str, float]:
    """Solve quietly with the first solver that answers; returns (status, solver, seconds). ``large``: a
    problem of thousands of names, solved with :data:`LARGE_OPTIONS` too; ``resolve``: Clarabel may re-solve from
    the previous active set (:mod:`~exposure.optimize.warm`)."""
    last: Exception | None = None
    started = time.perf_counter()
    for solver in solvers:
        extra = LARGE_OPTIONS.get(solver, {}) if large else {}
        try:
            with quiet():
                problem.solve(solver=_instance(solver), **SOLVER_OPTIONS.get(solver, {}), **extra, **options,
                              **({"exposure_resolve": resolve} if solver == "CLARABEL" else {}))
        except cp.error.SolverError as error:
            last = error
            continue
        if problem.status in (cp.OPTIMAL, cp.INFEASIBLE, cp.INFEASIBLE_INACCURATE) or solver == solvers[-1]:
            return str(problem.status), solver, time.perf_counter() - started
    raise ExposureError(f"no solver could solve the suggestion problem ({last}). Fix: loosen the constraints "
                        "or report the problem with its constraints.")


def _instance(solver: str) -> Any:
    """Clarabel as :class:`~exposure.optimize.warm.ResolvingClarabel` (exact re-solves from the previous active
    set); any other solver by name."""
    if solver != "CLARABEL":
        return solver
    from exposure.optimize.warm import SOLVER

    return SOLVER


def method(problem: cp.Problem) -> str:
    """How the last Clarabel solve of ``problem`` was found ("interior point" or "active set ..."), or ""."""
    return str(problem._solver_cache.get(HOW, ""))
