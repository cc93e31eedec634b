"""One BLAS thread for the small dense solves of :mod:`~exposure.optimize.interior` and
:mod:`~exposure.optimize.activeset`.

numpy's and scipy's wheels each bundle an OpenBLAS that runs a thread per core. On a matrix of a few hundred
rows a factorization takes milliseconds on one thread, while the other threads cost more to wake than they
save, and on a busy machine they spin waiting for each other: a 500-name first solve's Cholesky factors took
0.2 s of CPU each with two threads on a loaded 2-core machine and 3 ms on one. The CLI runs BLAS on one thread
through ``OPENBLAS_NUM_THREADS``, which OpenBLAS reads only when it loads; a library call cannot rely on that,
so :func:`one_thread` calls the bundled OpenBLAS builds' own ``*_set_num_threads`` (through ctypes, on the
libraries this process has already loaded) for the duration of a block and restores their thread counts after.
Where no OpenBLAS is found (another BLAS, or no ``/proc/self/maps`` to find it by), nothing changes.
"""

from __future__ import annotations

import ctypes
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeAlias

#: The thread-count functions an OpenBLAS build exports: plain, scipy-openblas (32-bit ints), and 64-bit ints.
_NAMES = (("openblas_get_num_threads", "openblas_set_num_threads"),
          ("scipy_openblas_get_num_threads", "scipy_openblas_set_num_threads"),
          ("scipy_openblas_get_num_threads64_", "scipy_openblas_set_num_threads64_"),
          ("openblas_get_num_threads64_", "openblas_set_num_threads64_"))

Getter: TypeAlias = Callable[[], int]
Setter: TypeAlias = Callable[[int], None]


class _Pool:
    """The loaded OpenBLAS builds (found on first use) and the thread counts saved by the outermost block."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.found: list[tuple[Getter, Setter]] | None = None
        self.depth = 0
        self.saved: list[tuple[Setter, int]] = []


_POOL = _Pool()


def openblas() -> list[tuple[Getter, Setter]]:
    """The (get, set) thread-count functions of every OpenBLAS loaded in this process (found once)."""
    if _POOL.found is None:
        found: list[tuple[Getter, Setter]] = []
        try:
            with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
                paths = sorted({line.split(maxsplit=5)[-1].strip() for line in maps
                                if "openblas" in line.lower() and ".so" in line})
        except OSError:
            paths = []
        for path in paths:
            try:
                library = ctypes.CDLL(path)
            except OSError:
                continue
            for get, put in _NAMES:
                if hasattr(library, get) and hasattr(library, put):
                    getter, setter = getattr(library, get), getattr(library, put)
                    getter.restype, setter.restype = ctypes.c_int, None
                    found.append((getter, setter))
                    break
        _POOL.found = found
    return _POOL.found


@contextmanager
def one_thread() -> Iterator[None]:
    """Run the block with every loaded OpenBLAS on one thread; nested and concurrent blocks restore the thread
    counts once, when the last of them ends."""
    with _POOL.lock:
        if _POOL.depth == 0:
            _POOL.saved = [(setter, int(getter())) for getter, setter in openblas()]
            for setter, _ in _POOL.saved:
                setter(1)
        _POOL.depth += 1
    try:
        yield
    finally:
        with _POOL.lock:
            _POOL.depth -= 1
            if _POOL.depth == 0:
                for setter, count in _POOL.saved:
                    setter(count)
