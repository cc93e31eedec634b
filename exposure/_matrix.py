"""Dense or sparse matrices without importing scipy unless one is sparse.

``import scipy.sparse`` takes about as long as ``import pandas`` (it loads numpy's testing and f2py modules
on the way), so the engine keeps a small web's ``L`` as a dense numpy array and imports scipy only for a
large web or when a caller hands it (or asks for) a sparse matrix.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, cast

import numpy as np

if TYPE_CHECKING:
    import scipy.sparse as sp


def issparse(matrix: object) -> bool:
    """Whether ``matrix`` is a scipy.sparse matrix or array; never imports scipy (without it, nothing is)."""
    sparse = sys.modules.get("scipy.sparse")
    return sparse is not None and bool(sparse.issparse(matrix))


def to_csr(matrix: sp.spmatrix | np.ndarray) -> sp.csr_matrix:
    """``matrix`` as a float CSR matrix."""
    import scipy.sparse as sp  # slow to import: only large webs and sparse callers get here

    return sp.csr_matrix(matrix, dtype=float)


def to_dense(matrix: sp.spmatrix | np.ndarray) -> np.ndarray:
    """``matrix`` as a numpy array (a sparse one is densified; a dense one is returned as it is)."""
    return cast("sp.spmatrix", matrix).toarray() if issparse(matrix) else np.asarray(matrix)


def row_dots(a: sp.spmatrix | np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row by row, ``sum_j a[i, j] * b[i, j]`` for a dense or sparse ``a`` and a dense ``b`` of its shape."""
    if issparse(a):
        return np.asarray(cast("sp.spmatrix", a).multiply(b).sum(axis=1)).ravel()
    return (np.asarray(a) * b).sum(axis=1)


def by_column(matrix: sp.spmatrix | np.ndarray) -> tuple[np.ndarray, list[int], list[float]]:
    """The non-zeros column by column, rows ascending (the CSC layout): ``indptr, rows, values``."""
    if issparse(matrix):
        import scipy.sparse as sp

        csc = sp.csc_matrix(matrix, dtype=float)
        csc.sort_indices()
        return csc.indptr, csc.indices.tolist(), csc.data.tolist()
    dense = np.asarray(matrix, dtype=float)
    cols, rows = np.nonzero(dense.T)
    indptr = np.concatenate([[0], np.cumsum(np.bincount(cols, minlength=dense.shape[1]))])
    return indptr, rows.tolist(), dense[rows, cols].tolist()
