"""What the conic backends (``cvxopt:conelp``, ``clarabel``) share: the neutral canonical data as
``A x <= b`` rows and real LMIs.

Both solvers take ``min c'x`` over ``A x + s = b`` with ``s`` in a product of a nonnegative orthant
and PSD cones, so a backend needs the orthant rows (inequalities and finite bounds stacked) and
every LMI as a real symmetric one; these are built here once, with the same row order everywhere:
``G x + h <= 0``, then ``-x_i <= -lb_i`` for finite lower bounds, then ``x_i <= ub_i`` for finite
upper bounds.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from isactoolbox.modeling.csr import csr_from_arrays, csr_from_triplets, entry_rows


def real_embedding(F: sp.spmatrix, f: np.ndarray, n: int) -> tuple[sp.csr_matrix, np.ndarray]:
    """Row-major data of the real ``2n x 2n`` matrix ``[[Re M, -Im M], [Im M, Re M]]``.

    ``F`` (n*n, nx) and ``f`` (n*n,) give ``vec(M) = F x + f`` row-major for a Hermitian ``M``;
    the result is ``(F2, f2)`` of shapes (4n^2, nx) and (4n^2,), real, with ``M >> 0`` exactly when
    the embedded matrix is PSD. Entries whose real or imaginary part is exactly zero are not stored.
    """
    N = 2 * n
    F = sp.csr_matrix(F)
    i, j = np.divmod(entry_rows(F.indptr), n)
    re, im = F.data.real, F.data.imag
    keep_re, keep_im = re != 0, im != 0
    # Each entry of M lands in two places of the embedding per part: Re on both diagonal blocks,
    # Im with sign -1 upper right and +1 lower left.
    rows = np.concatenate([(i * N + j)[keep_re], ((i + n) * N + j + n)[keep_re],
                           (i * N + j + n)[keep_im], ((i + n) * N + j)[keep_im]])
    cols = np.concatenate([F.indices[keep_re], F.indices[keep_re], F.indices[keep_im], F.indices[keep_im]])
    vals = np.concatenate([re[keep_re], re[keep_re], -im[keep_im], im[keep_im]])
    F2 = csr_from_triplets(rows, cols, vals, (N * N, F.shape[1]))  # distinct positions: no duplicates
    f = np.asarray(f)
    fi, fj = np.divmod(np.arange(n * n), n)
    f2 = np.zeros(N * N)
    f2[fi * N + fj] = f.real
    f2[(fi + n) * N + fj + n] = f.real
    if np.iscomplexobj(f):
        f2[fi * N + fj + n] = -f.imag
        f2[(fi + n) * N + fj] = f.imag
    return F2, f2


def stack_rows(mats: list[sp.csr_matrix], ncols: int) -> sp.csr_matrix:
    """The CSR matrices ``mats`` (each with ``ncols`` columns) stacked vertically.

    By concatenating their arrays: ``scipy.sparse.vstack`` goes through COO and costs 0.1-0.3 ms,
    a noticeable part of a 60 ms solve.
    """
    if not mats:
        return sp.csr_matrix((0, ncols))
    offsets = np.cumsum([0] + [M.nnz for M in mats[:-1]])
    indptr = np.concatenate([[0]] + [M.indptr[1:].astype(np.int64) + o for M, o in zip(mats, offsets)])
    return csr_from_arrays(np.concatenate([M.data for M in mats]), np.concatenate([M.indices for M in mats]),
                           indptr, (sum(M.shape[0] for M in mats), ncols))


def orthant_rows(data: Any, nx: int) -> tuple[sp.csr_matrix, np.ndarray]:
    """``(A, b)`` with ``A x <= b`` equivalent to ``G x + h <= 0`` and the finite bounds.

    ``data`` is a :class:`~isactoolbox.modeling.model.CanonicalData`; ``A`` is (m, nx) with
    m = rows of G + finite lower bounds + finite upper bounds, in that order.
    """
    lo, hi = np.flatnonzero(np.isfinite(data.lb)), np.flatnonzero(np.isfinite(data.ub))
    # one entry per bound row: -x_i <= -lb_i, then x_i <= ub_i
    bounds = csr_from_arrays(np.concatenate([-np.ones(lo.size), np.ones(hi.size)]), np.concatenate([lo, hi]),
                             np.arange(lo.size + hi.size + 1), (lo.size + hi.size, nx))
    A = stack_rows([data.G, bounds], nx)
    b = np.concatenate([-data.h, -data.lb[lo], data.ub[hi]])
    return A, b


def real_lmis(data: Any) -> list[tuple[sp.csr_matrix, np.ndarray, int]]:
    """Every LMI of ``data`` as real ``(F, f, n)``: ``mat(F x + f) >> 0``, row-major n x n symmetric.

    Complex Hermitian LMIs come back embedded (:func:`real_embedding`, so n is twice theirs), the
    embedding kept in ``lmi.derived`` (an LMI without parameters is embedded once, not per solve).
    """
    out = []
    for lmi in data.lmis:
        if lmi.complex:
            if "real_embedding" not in lmi.derived:  # once per LMIData: fixed LMIs keep theirs
                F, f = real_embedding(lmi.F, lmi.f, lmi.n)
                for a in (F.data, F.indices, F.indptr, f):  # shared by later solves: read-only
                    a.setflags(write=False)
                lmi.derived["real_embedding"] = (F, f)
            F, f = lmi.derived["real_embedding"]
            out.append((F, f, 2 * lmi.n))
        else:
            F = lmi.F if not np.iscomplexobj(lmi.F.data) else sp.csr_matrix(lmi.F.real)
            out.append((F, np.real(lmi.f), lmi.n))
    return out
