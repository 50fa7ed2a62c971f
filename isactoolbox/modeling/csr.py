"""CSR matrices built from their arrays, cheaply: what the modelling layer and the conic backends share.

A model build and its translation for a solver create about a hundred small CSR matrices. scipy's
constructor costs 15-45 us each whatever the size: it picks an index dtype by scanning the index
arrays, copies 64-bit ones to 32 bits, and checks the format. The arrays built here are valid by
construction, so :func:`csr_from_arrays` narrows the indices itself and sets them on the matrix
directly (under 1 us), on scipy versions where that gives the same object as the constructor (checked
once, at import; otherwise it calls the constructor).
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

_INT32_MAX = np.iinfo(np.int32).max


def _assembled(data: np.ndarray, indices: np.ndarray, indptr: np.ndarray, shape: tuple[int, int]) -> sp.csr_matrix:
    # no checks: csr_from_arrays hands over consistent, contiguous arrays with 32-bit indices
    M = sp.csr_matrix.__new__(sp.csr_matrix)
    M.__dict__.update(_TEMPLATE)
    M._shape, M.data, M.indices, M.indptr = shape, data, indices, indptr
    return M


def _assembly_matches_scipy() -> dict | None:
    """The attributes scipy's constructor leaves besides the arrays and shape, when an assembled
    matrix equals a constructed one attribute for attribute (None if not: then the constructor runs)."""
    arrays = (np.array([1.0, 2.0]), np.array([0, 1], dtype=np.int32), np.array([0, 1, 2], dtype=np.int32))
    made = sp.csr_matrix(arrays, shape=(2, 3))
    if not isinstance(getattr(made, "_shape", None), tuple):
        return None
    extra = {k: v for k, v in vars(made).items() if k not in ("_shape", "data", "indices", "indptr")}
    probe = sp.csr_matrix.__new__(sp.csr_matrix)
    probe.__dict__.update(extra)
    probe._shape, probe.data, probe.indices, probe.indptr = (2, 3), *arrays
    same = (vars(probe).keys() == vars(made).keys() and probe.shape == made.shape and probe.nnz == made.nnz
            and probe.has_sorted_indices and np.array_equal((probe @ np.ones(3)), made @ np.ones(3))
            and np.array_equal(probe.toarray(), made.toarray()))
    return extra if same else None


_TEMPLATE = _assembly_matches_scipy()


def csr_from_arrays(data: np.ndarray, indices: np.ndarray, indptr: np.ndarray,
                    shape: tuple[int, int]) -> sp.csr_matrix:
    """CSR (shape) from its ``data``, ``indices`` and ``indptr``, stored as given (not copied) except
    for 64-bit indices, narrowed to 32 bits when they fit, as scipy's constructor does."""
    shape = (int(shape[0]), int(shape[1]))
    if (_TEMPLATE is None or indptr[-1] > _INT32_MAX or shape[1] > _INT32_MAX or data.ndim != 1
            or indptr.size != shape[0] + 1 or indices.size != data.size or indptr[-1] != data.size):
        return sp.csr_matrix((data, indices, indptr), shape=shape)
    return _assembled(np.ascontiguousarray(data), np.ascontiguousarray(indices, dtype=np.int32),
                      np.ascontiguousarray(indptr, dtype=np.int32), shape)


def dense_to_csr(D: np.ndarray) -> sp.csr_matrix:
    """CSR of a dense 2-D array without its exact zeros (a full array needs no search for them)."""
    m, n = D.shape
    mask = D != 0
    indptr = np.zeros(m + 1, dtype=np.int64)
    np.cumsum(mask.sum(axis=1), out=indptr[1:])
    if indptr[-1] == D.size:
        return csr_from_arrays(D.ravel(), np.tile(np.arange(n), m), indptr, (m, n))
    return csr_from_arrays(D[mask], np.nonzero(mask)[1], indptr, (m, n))


def csr_from_triplets(rows: np.ndarray, cols: np.ndarray, vals: np.ndarray,
                      shape: tuple[int, int]) -> sp.csr_matrix:
    """CSR of distinct (row, col, value) triplets in any order, sorted by row then column.

    For triplets known to have no duplicates; scipy's COO route also sums duplicates and costs
    0.15-0.3 ms even for a few hundred entries.
    """
    order = np.argsort(rows.astype(np.int64) * shape[1] + cols, kind="stable")
    indptr = np.zeros(shape[0] + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=shape[0]), out=indptr[1:])
    return csr_from_arrays(vals[order], cols[order], indptr, shape)


def row_lengths(indptr: np.ndarray) -> np.ndarray:
    """Entries per row from CSR row pointers: ``np.diff`` without its Python wrapper (3-4 us a
    call, about 40 calls in a BPMS template compile)."""
    return indptr[1:] - indptr[:-1]


def entry_rows(indptr: np.ndarray, first: int = 0, dtype: type = np.int64) -> np.ndarray:
    """The row of every stored entry, from CSR row pointers, rows numbered from ``first``."""
    return np.arange(first, first + indptr.size - 1, dtype=dtype).repeat(row_lengths(indptr))
