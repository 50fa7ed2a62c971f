"""CSR matrices built from their arrays, cheaply: what the modelling layer and the conic backends share.

A model build and its translation for a solver create about a hundred small CSR matrices. scipy's
constructor costs 20-45 us each, mostly from scanning 64-bit index arrays for their range and
copying them to 32 bits, so these helpers hand it 32-bit indices whenever they fit.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

_INT32_MAX = np.iinfo(np.int32).max


def csr_from_arrays(data: np.ndarray, indices: np.ndarray, indptr: np.ndarray,
                    shape: tuple[int, int]) -> sp.csr_matrix:
    """CSR (shape) from its ``data``, ``indices`` and ``indptr``, with 32-bit indices when they fit
    (scipy then stores them as given: 18 us instead of 44 for a 25k-entry matrix)."""
    if indptr[-1] <= _INT32_MAX and shape[1] <= _INT32_MAX:
        indices, indptr = indices.astype(np.int32, copy=False), indptr.astype(np.int32, copy=False)
    return sp.csr_matrix((data, indices, indptr), shape=shape)


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
