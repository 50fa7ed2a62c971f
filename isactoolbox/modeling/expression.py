"""Affine expressions over real decision coordinates, with parameters for cheap data updates.

Representation. Every variable owns ``dim`` real coordinates (a Hermitian n x n matrix has n^2: the
diagonal, and the real and imaginary parts above it) and an *entry map* ``E`` (complex sparse,
``size x dim``) giving its row-major flattened entries. Every parameter likewise owns ``pdim`` real
coordinates (complex parameters store real and imaginary parts) with an entry map.

An expression of shape (m, n) is a dict of *terms* keyed by ``(variable id or None, parameter id or
None)``; each term is a sparse matrix with ``m*n`` rows:

- ``(None, None)``: the constant, one column;
- ``(v, None)``: coefficients on v's coordinates, ``dim`` columns;
- ``(None, p)``: coefficients on p's coordinates, ``pdim`` columns;
- ``(v, p)``: coefficients on the products (v coordinate k) x (p coordinate c), column ``k*pdim + c``.

Every linear map of an expression (constant products, transpose, trace, indexing, real part, block
placement) is then a left product ``L @ term`` applied to all terms alike, and multiplying by a
parameter expression moves ``(v, None)`` terms to ``(v, p)``. Products of two parameters or of two
variables are refused: the layer is affine by design.
"""
from __future__ import annotations

import functools
import itertools
from typing import Any, Iterable

import numpy as np
import scipy.sparse as sp

from isactoolbox.errors import ModelError
from isactoolbox.modeling.csr import _INT32_MAX, csr_from_arrays, dense_to_csr, row_lengths

_ids = itertools.count(1)
#: Parameter versions are drawn from one counter: a compiled model's stamp (the tuple of its
#: parameters' versions) then differs between instances of one compiled structure.
_versions = itertools.count(1)
Key = tuple[int | None, int | None]


def _csr(m: Any) -> sp.csr_matrix:
    return m if isinstance(m, sp.csr_matrix) else sp.csr_matrix(m)


#: Left maps with at most this many entries are formed densely with numpy: scipy.sparse's kron and
#: constructors cost 40-170 us each, most of the model build of a network-ISAC SDP.
_DENSE_MAP_LIMIT = 1 << 16


def _kron(A: np.ndarray | int, B: np.ndarray | int) -> sp.csr_matrix | np.ndarray:
    """kron(A, B), an int standing for the identity of that size: a dense array up to
    ``_DENSE_MAP_LIMIT`` entries (``_map`` applies it as a dense product), CSR above."""
    def size(M: np.ndarray | int) -> int:
        return M * M if isinstance(M, int) else M.size

    def dense(M: np.ndarray | int) -> np.ndarray:
        return np.eye(M) if isinstance(M, int) else M

    def sparse(M: np.ndarray | int) -> sp.csr_matrix:
        return sp.identity(M, format="csr") if isinstance(M, int) else _csr(M)

    if size(A) * size(B) <= _DENSE_MAP_LIMIT:
        if isinstance(B, int) and B == 1:  # A @ (column vector): kron(A, [1]) = A, no copy needed
            return dense(A)
        return np.kron(dense(A), dense(B))
    return sp.kron(sparse(A), sparse(B), format="csr")


def _dense_left_product(L: np.ndarray, t: sp.spmatrix) -> sp.csr_matrix:
    """``L @ t`` for a small dense ``L``: one product and one conversion, where converting L to CSR
    first and multiplying two sparse matrices built three scipy objects. A small ``t`` is made dense
    too (a parameter's or a variable's entry map, most often), which skips scipy's transpose."""
    t = _csr(t)
    if id(t) in _IDENTITY_MAPS:  # a parameter's own entries (E S of the CRB epigraph): L itself
        return dense_to_csr(L.astype(np.result_type(L, t.dtype)))  # a copy: the caller keeps L
    if t.shape[0] * t.shape[1] <= _DENSE_MAP_LIMIT:
        return dense_to_csr(L @ t.toarray())
    return dense_to_csr((t.T @ L.T).T)


def _row(v: np.ndarray) -> sp.csr_matrix:
    """A dense vector as a one-row CSR matrix, built from its structure directly (no dense scan by scipy)."""
    nz = np.flatnonzero(v)
    return csr_from_arrays(v[nz], nz, np.array([0, nz.size]), (1, v.size))


def _sum_rows(t: sp.spmatrix, rows: np.ndarray | None = None) -> sp.csr_matrix:
    """The sum of the given rows of ``t`` (all rows when None) as one CSR row.

    What ``trace`` and ``sum`` need; a bincount over the picked entries, where the product with a
    one-row selection matrix cost a sparse-times-sparse product (about 0.1 ms) per term.
    """
    t = _csr(t) if rows is None else _take_rows(t, np.asarray(rows))
    cols, vals = t.indices, t.data
    n = t.shape[1]
    if np.iscomplexobj(vals):
        total = (np.bincount(cols, weights=vals.real, minlength=n)
                 + 1j * np.bincount(cols, weights=vals.imag, minlength=n))
    else:
        total = np.bincount(cols, weights=vals, minlength=n)
    return _row(total)


def _rowwise_kron(a: sp.spmatrix, b: sp.spmatrix) -> sp.csr_matrix:
    """Row-wise Kronecker (face-splitting) product: row i is kron(a[i], b[i]).

    Built as CSR directly: row i holds every pair (entry of a[i], entry of b[i]) at column
    ``col_a * nb + col_b``, in sorted order when both rows are.
    """
    a, b = _csr(a), _csr(b)
    m, nb = a.shape[0], b.shape[1]
    if _one_per_row(a) and _one_per_row(b):
        # a parameter's or variable's own coordinates, row by row: one product per row
        cols = a.indices.astype(np.int64) * nb + b.indices
        return csr_from_arrays(a.data * b.data, cols, np.arange(m + 1), (m, a.shape[1] * nb))
    ca, cb = row_lengths(a.indptr), row_lengths(b.indptr)
    counts = ca * cb
    indptr = np.zeros(m + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    # the p-th pair of row i: a entry a.indptr[i] + p // cb[i], b entry b.indptr[i] + p % cb[i]
    row = np.repeat(np.arange(m), counts)
    p = np.arange(indptr[-1]) - indptr[row]
    ea = a.indptr[row] + p // cb[row]
    eb = b.indptr[row] + p % cb[row]
    cols = a.indices[ea].astype(np.int64) * nb + b.indices[eb]
    return csr_from_arrays(a.data[ea] * b.data[eb], cols, indptr, (m, a.shape[1] * nb))


def _scatter_rows(pieces: list[tuple[np.ndarray, sp.spmatrix]], nrows: int) -> sp.csr_matrix:
    """One CSR matrix with ``nrows`` rows holding row r of each piece's matrix at row ``target[r]``.

    ``pieces`` are ``(target, matrix)`` with the same column count; all targets together must be
    distinct (blocks of a bmat, a transpose's permutation). Column order inside rows is kept.
    """
    mats = [(np.asarray(target), _csr(t)) for target, t in pieces]
    counts = np.zeros(nrows, dtype=np.int64)
    for target, t in mats:
        counts[target] = row_lengths(t.indptr)
    indptr = np.zeros(nrows + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    if len(mats) == 1 and _increasing(mats[0][0]):
        # rows keep their order (a bmat block alone in its key, e.g. a Fisher-information map): the
        # entries stay where they are, only empty rows are inserted, so the arrays are shared
        t = mats[0][1]
        return csr_from_arrays(t.data, t.indices, indptr, (nrows, t.shape[1]))
    dtype = np.result_type(*[t.dtype for _, t in mats])
    ncols = mats[0][1].shape[1]
    indices = np.empty(indptr[-1], dtype=np.int32 if ncols <= _INT32_MAX else np.int64)
    data = np.empty(indptr[-1], dtype=dtype)
    for target, t in mats:
        # entry q of row r goes to indptr[target[r]] + (q - t.indptr[r])
        dest = (indptr[target] - t.indptr[:-1]).repeat(row_lengths(t.indptr)) + np.arange(t.nnz)
        indices[dest] = t.indices
        data[dest] = t.data
    return csr_from_arrays(data, indices, indptr, (nrows, ncols))


def _scaled(t: sp.spmatrix, factor: Any) -> sp.csr_matrix:
    """``factor * t`` on t's pattern, the index arrays shared (scipy's scalar product builds its result
    through the constructor, 15-45 us; terms are never modified in place)."""
    t = _csr(t)
    return csr_from_arrays(t.data * factor, t.indices, t.indptr, t.shape)


def _increasing(a: np.ndarray) -> bool:
    """Whether ``a`` is strictly increasing (sorted without repeats)."""
    return a.size < 2 or bool((a[1:] > a[:-1]).all())


def _part(t: sp.spmatrix, part: Any) -> sp.csr_matrix:
    """``part(t)`` (np.real or np.imag) on t's pattern, its explicit zeros kept; the index arrays are
    shared, never copied (terms are not modified in place)."""
    t = _csr(t)
    return csr_from_arrays(np.ascontiguousarray(part(t.data)), t.indices, t.indptr, t.shape)


def _one_per_row(t: sp.csr_matrix) -> bool:
    """Whether every row of ``t`` holds exactly one stored entry."""
    if id(t) in _IDENTITY_MAPS:  # a parameter's or coordinate vector's shared identity: no scan
        return True
    return t.nnz == t.shape[0] and bool(np.array_equal(t.indptr, np.arange(t.shape[0] + 1)))


def _take_rows(t: sp.spmatrix, rows: np.ndarray) -> sp.csr_matrix:
    """``t[rows]`` (rows may repeat) from the row pointers, without scipy's fancy indexing."""
    t = _csr(t)
    if _one_per_row(t):  # an identity-like map: entry r is row r
        return csr_from_arrays(t.data[rows], t.indices[rows], np.arange(rows.size + 1), (rows.size, t.shape[1]))
    starts = t.indptr[rows].astype(np.int64)
    counts = t.indptr[rows + 1] - starts
    indptr = np.zeros(rows.size + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    pick = np.repeat(starts - indptr[:-1], counts) + np.arange(indptr[-1])
    return csr_from_arrays(t.data[pick], t.indices[pick], indptr, (rows.size, t.shape[1]))


def _parametric_product(P: "AffineExpression", X: "AffineExpression") -> "AffineExpression":
    """``P @ X`` for a variable-free P (m, k) holding parameters and any X (k, n).

    Entry (i, j) is ``sum_e P[i, e] X[e, j]``: over the expanded index (i, j, e), the row-wise
    Kronecker product of X's row (e, j) and P's row (i, e) gives each product's coefficients on
    (X coordinate, P coordinate) pairs (the ``(v, p)`` layout), and consecutive groups of k rows are
    summed. A compiled model then takes new values of P (a Fisher-information map of a new scenario,
    say) as a parameter update.
    """
    m, k = P.shape
    n = X.shape[1]
    if X.shape[0] != k:
        raise ModelError(f"matmul shapes {P.shape} @ {X.shape} do not match")
    total = m * n * k
    expanded: tuple[np.ndarray, np.ndarray] | None = None  # P's and X's row of each (i, j, e)
    terms: dict[Key, sp.spmatrix] = {}
    for (_, pp), tp in P.terms.items():
        tp = _csr(tp)
        for (vx, px), tx in X.terms.items():
            if pp is not None and px is not None:
                raise ModelError("product of two parameters is not affine in the parameters; "
                                 "fold them into one parameter")
            key = (vx, pp if pp is not None else px)
            tx = _csr(tx)
            if pp is not None and _one_per_row(tp) and _one_per_row(tx):
                # A parameter matrix times a variable's coordinates (a Fisher-information map): each
                # product (i, j, e) is one coefficient, at X's coordinate of (e, j) and P's of (i, e),
                # laid out by broadcasting rather than through expanded row selections.
                x_cols, x_vals = tx.indices.reshape(k, n).T, tx.data.reshape(k, n).T  # (n, k)
                ncols = tx.shape[1] * tp.shape[1]
                itype = np.int32 if max(ncols, total) <= _INT32_MAX else np.int64  # what the CSR keeps
                cols = (x_cols.astype(itype) * tp.shape[1] + tp.indices.reshape(m, 1, k)).ravel()
                vals = (x_vals * tp.data.reshape(m, 1, k)).ravel()
                t = csr_from_arrays(vals, cols, np.arange(0, total + 1, k, dtype=itype), (m * n, ncols))
            else:
                if expanded is None:
                    i, j, e = (a.ravel() for a in np.meshgrid(np.arange(m), np.arange(n), np.arange(k),
                                                              indexing="ij"))
                    expanded = (i * k + e, e * n + j)
                K = _rowwise_kron(_take_rows(tx, expanded[1]), _take_rows(tp, expanded[0]))
                if pp is not None:
                    # every product in a group has its own P coordinate (i, e): no two share a column,
                    # so each group's sum is the concatenation of its k rows
                    t = csr_from_arrays(K.data, K.indices, K.indptr[::k], (m * n, K.shape[1]))
                else:  # constant entries of P: products may share a column, the sparse product sums them
                    group_sum = csr_from_arrays(np.ones(total), np.arange(total), np.arange(0, total + 1, k),
                                                (m * n, total))
                    t = _csr(group_sum @ K)
            terms[key] = _csr(terms[key] + t) if key in terms else t
    return AffineExpression((m, n), terms, {**P._objects, **X._objects})


def _is_real(m: sp.spmatrix) -> bool:
    return not np.iscomplexobj(m.data) or not np.any(m.data.imag)


class AffineExpression:
    """A real or complex matrix-valued affine function of variables (and parameters)."""

    __array_priority__ = 100  # make numpy defer to our __radd__/__rmatmul__

    def __init__(self, shape: tuple[int, int], terms: dict[Key, sp.spmatrix],
                 objects: dict[int, Any]) -> None:
        self.shape = (int(shape[0]), int(shape[1]))
        self.terms = terms
        self._objects = objects  # id -> Variable / Parameter referenced by the terms

    # -- construction helpers --
    @property
    def size(self) -> int:
        return self.shape[0] * self.shape[1]

    @staticmethod
    def constant(value: Any) -> "AffineExpression":
        arr = np.asarray(value)
        arr = arr.astype(np.complex128 if np.iscomplexobj(arr) else np.float64)  # ints and bools too
        # 1-D data are column vectors, like vector variables
        arr = arr.reshape(-1, 1) if arr.ndim == 1 else np.atleast_2d(arr)
        if arr.ndim != 2:
            raise ModelError(f"constants must be scalars, vectors or matrices, got shape {arr.shape}")
        v = arr.ravel()
        nz = np.flatnonzero(v)
        indptr = np.zeros(v.size + 1, dtype=np.int64)
        indptr[nz + 1] = 1
        col = csr_from_arrays(v[nz], np.zeros(nz.size, dtype=np.int64), np.cumsum(indptr), (v.size, 1))
        return AffineExpression(arr.shape, {(None, None): col}, {})

    def _map(self, L: sp.spmatrix | np.ndarray, shape: tuple[int, int]) -> "AffineExpression":
        if isinstance(L, np.ndarray):
            return AffineExpression(shape, {k: _dense_left_product(L, t) for k, t in self.terms.items()},
                                    self._objects)
        L = _csr(L)
        return AffineExpression(shape, {k: _csr(L @ t) for k, t in self.terms.items()}, self._objects)

    def _constant_value(self) -> np.ndarray:
        """The value of a constant expression (no variables, no parameters) as an array of its shape."""
        t = self.terms.get((None, None))
        return np.zeros(self.shape) if t is None else t.toarray().reshape(self.shape)

    @property
    def is_constant(self) -> bool:
        return all(k == (None, None) for k in self.terms)

    @property
    def has_variables(self) -> bool:
        return any(k[0] is not None for k in self.terms)

    @property
    def is_complex(self) -> bool:
        return not all(_is_real(t) for t in self.terms.values())

    # -- elementwise structure --
    def _broadcast(self, shape: tuple[int, int]) -> "AffineExpression":
        if self.shape == shape:
            return self
        if self.shape == (1, 1):
            size = shape[0] * shape[1]
            terms = {}
            for k, t in self.terms.items():  # the one row, repeated
                t = _csr(t)
                terms[k] = csr_from_arrays(np.tile(t.data, size), np.tile(t.indices, size),
                                           np.arange(size + 1) * t.nnz, (size, t.shape[1]))
            return AffineExpression(shape, terms, self._objects)
        raise ModelError(f"shapes {self.shape} and {shape} do not match")

    def _combine(self, other: Any, sign: float) -> "AffineExpression":
        """``self + sign * other`` (sign +1 or -1), broadcasting a scalar side, term by term."""
        if np.isscalar(other) and other == 0:  # sum() starts from 0
            return self
        other = as_expression(other)
        shape = self.shape if self.shape != (1, 1) else other.shape
        a, b = self._broadcast(shape), other._broadcast(shape)
        terms = dict(a.terms)
        for k, t in b.terms.items():
            if k in terms:
                terms[k] = _csr(terms[k] + t if sign > 0 else terms[k] - t)
            else:
                terms[k] = t if sign > 0 else _scaled(t, -1.0)
        return AffineExpression(shape, terms, {**a._objects, **b._objects})

    def __add__(self, other: Any) -> "AffineExpression":
        return self._combine(other, 1.0)

    __radd__ = __add__

    def __neg__(self) -> "AffineExpression":
        return AffineExpression(self.shape, {k: _scaled(t, -1.0) for k, t in self.terms.items()}, self._objects)

    def __sub__(self, other: Any) -> "AffineExpression":
        # one pass, not self + (-other): negating every term first doubled the sparse work
        return self._combine(other, -1.0)

    def __rsub__(self, other: Any) -> "AffineExpression":
        return as_expression(other) - self

    def __mul__(self, other: Any) -> "AffineExpression":
        """Elementwise product; one side must be free of variables (a constant or parameter expression)."""
        if np.isscalar(other):
            return AffineExpression(self.shape, {k: _scaled(t, other) for k, t in self.terms.items()}, self._objects)
        other = as_expression(other)
        if other.is_constant and other.shape == (1, 1):
            c = other.terms[(None, None)].toarray()[0, 0]
            return self * c
        shape = self.shape if self.shape != (1, 1) else other.shape
        a, b = self._broadcast(shape), other._broadcast(shape)
        if a.has_variables and b.has_variables:
            raise ModelError("product of two expressions with variables is not affine")
        if b.has_variables:
            a, b = b, a
        # now b has no variables: its terms are (None, None) and (None, p)
        terms: dict[Key, sp.spmatrix] = {}

        def put(key: Key, m: sp.spmatrix) -> None:
            terms[key] = _csr(terms[key] + m) if key in terms else _csr(m)

        for (va, pa), ta in a.terms.items():
            for (_, pb), tb in b.terms.items():
                if pa is not None and pb is not None:
                    raise ModelError("product of two parameters is not affine in the parameters; "
                                     "fold them into one parameter")
                p = pa if pa is not None else pb
                if pb is None:  # scaling row i by the constant's entry i
                    ta = _csr(ta)
                    col = tb.toarray().ravel()
                    put((va, pa), csr_from_arrays(ta.data * col.repeat(row_lengths(ta.indptr)), ta.indices,
                                                  ta.indptr, ta.shape))
                else:
                    put((va, pb), _rowwise_kron(ta, tb))
        return AffineExpression(shape, terms, {**a._objects, **b._objects})

    __rmul__ = __mul__

    def __truediv__(self, other: Any) -> "AffineExpression":
        if not np.isscalar(other):
            raise ModelError("only division by a scalar constant is supported")
        return self * (1.0 / other)

    # -- matrix structure --
    def __matmul__(self, other: Any) -> "AffineExpression":
        if isinstance(other, AffineExpression) and not other.is_constant:
            if self.has_variables:
                raise ModelError("expression @ expression: one side must be free of variables")
            if self.is_constant:  # a constant on the left: the ordinary linear map of the right side
                return self._constant_value() @ other
            return _parametric_product(self, other)
        if isinstance(other, AffineExpression):
            other = other._constant_value()
        B = np.atleast_2d(np.asarray(other))
        m, n = self.shape
        if B.shape[0] != n:
            raise ModelError(f"matmul shapes {self.shape} @ {B.shape} do not match")
        return self._map(_kron(m, B.T), (m, B.shape[1]))

    def __rmatmul__(self, other: Any) -> "AffineExpression":
        A = np.atleast_2d(np.asarray(other))
        m, n = self.shape
        if A.shape[1] != m:
            raise ModelError(f"matmul shapes {A.shape} @ {self.shape} do not match")
        return self._map(_kron(A, n), (A.shape[0], n))

    @property
    def T(self) -> "AffineExpression":
        m, n = self.shape
        target = np.arange(m * n).reshape(n, m).T.ravel()  # entry (i, j) -> row j*m + i
        return AffineExpression((n, m), {k: _scatter_rows([(target, t)], m * n) for k, t in self.terms.items()},
                                self._objects)

    def conj(self) -> "AffineExpression":
        return AffineExpression(self.shape, {k: t.conj() for k, t in self.terms.items()}, self._objects)

    @property
    def H(self) -> "AffineExpression":
        return self.T.conj()

    @property
    def real(self) -> "AffineExpression":
        return AffineExpression(self.shape, {k: _part(t, np.real) for k, t in self.terms.items()}, self._objects)

    @property
    def imag(self) -> "AffineExpression":
        return AffineExpression(self.shape, {k: _part(t, np.imag) for k, t in self.terms.items()}, self._objects)

    def sum(self) -> "AffineExpression":
        return AffineExpression((1, 1), {k: _sum_rows(t) for k, t in self.terms.items()}, self._objects)

    def __getitem__(self, index: Any) -> "AffineExpression":
        """numpy indexing on the (m, n) entries; a 1-D selection becomes a column vector."""
        if not isinstance(index, tuple) and self.shape[1] == 1:
            index = (index, 0)  # x[i] on a column vector selects rows
        picked = np.arange(self.size).reshape(self.shape)[index]
        sel = picked.reshape(-1, 1) if np.ndim(picked) < 2 else picked
        rows = sel.ravel()
        L = sp.csr_matrix((np.ones(rows.size), (np.arange(rows.size), rows)), shape=(rows.size, self.size))
        return self._map(L, sel.shape)

    def reshape(self, shape: tuple[int, int]) -> "AffineExpression":
        """Row-major reshape."""
        if shape[0] * shape[1] != self.size:
            raise ModelError(f"cannot reshape {self.shape} to {shape}")
        return AffineExpression(shape, self.terms, self._objects)

    # -- constraints --
    # Both sides go to the constraint as they are; the compiled model subtracts them on triplets.
    def __le__(self, other: Any) -> "Constraint":
        from isactoolbox.modeling.constraint import Constraint
        return Constraint("<=", self, rhs=as_expression(other))

    def __ge__(self, other: Any) -> "Constraint":
        from isactoolbox.modeling.constraint import Constraint
        return Constraint("<=", as_expression(other), rhs=self)

    def __eq__(self, other: Any) -> "Constraint":  # type: ignore[override]
        from isactoolbox.modeling.constraint import Constraint
        return Constraint("==", self, rhs=as_expression(other))

    def __rshift__(self, other: Any) -> "Constraint":
        from isactoolbox.modeling.constraint import Constraint
        return Constraint(">>", self, rhs=as_expression(other))

    def __lshift__(self, other: Any) -> "Constraint":
        from isactoolbox.modeling.constraint import Constraint
        return Constraint(">>", as_expression(other), rhs=self)

    __hash__ = None  # type: ignore[assignment]

    # -- evaluation --
    def evaluate(self, x_of: dict[int, np.ndarray], p_of: dict[int, np.ndarray]) -> np.ndarray:
        """Value given coordinate vectors per variable id and per parameter id."""
        out = np.zeros(self.size, dtype=complex)
        for (v, p), t in self.terms.items():
            if v is None and p is None:
                out += t.toarray().ravel()
            elif p is None:
                out += t @ x_of[v]
            elif v is None:
                out += t @ p_of[p]
            else:
                out += t @ np.kron(x_of[v], p_of[p])
        if not self.is_complex:
            out = out.real
        return out.reshape(self.shape)

    def value(self) -> np.ndarray:
        """Value at the variables' last solution and the parameters' current values."""
        x_of, p_of = {}, {}
        for oid, obj in self._objects.items():
            if isinstance(obj, Parameter):
                p_of[oid] = obj.coordinates()
            else:
                if obj.coords is None:
                    raise ModelError(f"variable {obj.name!r} has no value yet (solve first)")
                x_of[oid] = obj.coords
        return self.evaluate(x_of, p_of)

    def __repr__(self) -> str:
        kind = "complex" if self.is_complex else "real"
        return f"<{kind} affine expression {self.shape[0]}x{self.shape[1]}>"


class Variable(AffineExpression):
    """A decision variable; ``kind`` is real, integer, binary, symmetric or hermitian."""

    __hash__ = object.__hash__  # identity, despite the constraint-building __eq__

    def __init__(self, name: str, kind: str, shape: tuple[int, int], *, lb: Any = None, ub: Any = None,
                 psd: bool = False) -> None:
        self.id = next(_ids)
        self.name = name
        self.kind = kind
        self.psd = psd
        if kind in ("symmetric", "hermitian") and shape[0] != shape[1]:
            raise ModelError(f"{kind} variable {name!r} must be square")
        if kind not in ("real", "integer", "binary", "symmetric", "hermitian"):
            raise ModelError(f"unknown variable kind {kind!r}")
        dim, E = _entry_map("real" if kind in ("integer", "binary") else kind, shape)
        if psd and kind not in ("symmetric", "hermitian"):
            raise ModelError(f"psd=True needs a symmetric or hermitian variable, not {kind!r} ({name!r})")
        self.dim = dim
        self.entry_map = E
        self.lb = None if lb is None else np.broadcast_to(np.asarray(lb, float), (dim,)).copy()
        self.ub = None if ub is None else np.broadcast_to(np.asarray(ub, float), (dim,)).copy()
        if kind == "binary":
            self.lb = np.zeros(dim) if self.lb is None else np.maximum(self.lb, 0.0)
            self.ub = np.ones(dim) if self.ub is None else np.minimum(self.ub, 1.0)
        if (self.lb is not None or self.ub is not None) and kind in ("symmetric", "hermitian"):
            raise ModelError(f"bounds on matrix variable {name!r} are not supported; add constraints")
        self.coords: np.ndarray | None = None  # last solution, in coordinates
        super().__init__(shape, {(self.id, None): E}, {self.id: self})

    @property
    def is_integer(self) -> bool:
        return self.kind in ("integer", "binary")

    @property
    def coordinates(self) -> AffineExpression:
        """The variable's ``dim`` real coordinates as a (dim, 1) expression; its entries are
        ``entry_map @ coordinates`` (a symmetric or Hermitian matrix: the diagonal, then the real
        parts above it, then the imaginary parts above it, row-major). A linear map given on the
        coordinates (``A @ X.coordinates``, A a real (m, dim) constant or parameter) is real with
        one coefficient per coordinate; given on the entries it is complex, with a coefficient on
        both entries (x, y) and (y, x) of every coordinate."""
        return AffineExpression((self.dim, 1), {(self.id, None): _entry_map("real", (self.dim, 1))[1]},
                                {self.id: self})

    def __repr__(self) -> str:
        return f"<{self.kind} variable {self.name!r} {self.shape[0]}x{self.shape[1]}>"


class Parameter(AffineExpression):
    """Data that can change between solves without rebuilding the compiled model.

    Real or complex; enters expressions affinely (added, or multiplying a variable-free side).
    """

    __hash__ = object.__hash__

    def __init__(self, name: str, shape: tuple[int, int], value: Any, *, complex: bool = False) -> None:
        self.id = next(_ids)
        self.name = name
        self.complex = bool(complex)
        size = shape[0] * shape[1]
        if self.complex:  # entry r is coordinate r + 1j * coordinate size + r
            cols = np.stack([np.arange(size), size + np.arange(size)], axis=1).ravel()
            E = csr_from_arrays(np.tile([1.0, 1.0j], size), cols, np.arange(0, 2 * size + 1, 2), (size, 2 * size))
        else:
            E = _entry_map("real", (size, 1))[1]  # the identity, shared
        self.pdim = E.shape[1]
        self.entry_map = E
        self.version = 0
        super().__init__(shape, {(None, self.id): E}, {self.id: self})
        self.value = value

    @property
    def value(self) -> np.ndarray:
        return self._value

    @value.setter
    def value(self, new: Any) -> None:
        """An array of the parameter's shape (or of its size), or a scalar for every entry."""
        arr = np.asarray(new)
        if arr.shape != self.shape and arr.ndim:
            arr = arr.reshape(self.shape) if arr.size == self.size else arr
            if arr.shape != self.shape:
                raise ModelError(f"parameter {self.name!r} has shape {self.shape}, got {np.shape(new)}")
        if np.iscomplexobj(arr) and not self.complex:
            if np.any(arr.imag):
                raise ModelError(f"parameter {self.name!r} is real; declare it with complex=True")
            arr = arr.real
        if not np.all(np.isfinite(arr)):
            raise ModelError(f"parameter {self.name!r} must be finite")
        dtype = np.complex128 if self.complex else np.float64
        # a scalar is checked once and filled into a new array; an array is copied (the caller keeps it)
        self._value = np.full(self.shape, arr, dtype=dtype) if arr.ndim == 0 else arr.astype(dtype)
        # Read-only: a change in place would bypass the version (compiled data would go stale), and
        # instances of a compiled model start out sharing their template's values.
        self._value.setflags(write=False)
        self.renew_version()

    def renew_version(self) -> None:
        """A new version for the same value: compiled data holding this parameter count as changed."""
        self.version = next(_versions)

    def coordinates(self) -> np.ndarray:
        flat = self._value.ravel()
        return np.concatenate([flat.real, flat.imag]) if self.complex else flat

    def __repr__(self) -> str:
        return f"<parameter {self.name!r} {self.shape[0]}x{self.shape[1]}>"


#: The identity maps _entry_map shares, by id; held here, so no other object can ever take an id
_IDENTITY_MAPS: dict[int, sp.csr_matrix] = {}


@functools.lru_cache(maxsize=None)
def _entry_map(kind: str, shape: tuple[int, int]) -> tuple[int, sp.csr_matrix]:
    """(dim, E) of a variable of ``kind`` (real, symmetric or hermitian) and ``shape``: E (size, dim)
    gives the row-major entries from the real coordinates. Shared by every variable of that kind and
    shape (a model has many 8 x 8 Hermitian blocks), so its arrays are read-only."""
    n = shape[0]
    if kind == "real":
        dim = shape[0] * shape[1]
        E = csr_from_arrays(np.ones(dim), np.arange(dim), np.arange(dim + 1), (dim, dim))
        _IDENTITY_MAPS[id(E)] = E
    elif kind == "symmetric":
        iu = np.triu_indices(n)
        dim = iu[0].size
        rows = np.concatenate([iu[0] * n + iu[1], iu[1] * n + iu[0]])
        cols = np.concatenate([np.arange(dim), np.arange(dim)])
        keep = np.ones(rows.size, bool)
        keep[dim:][iu[0] == iu[1]] = False  # diagonal entries once
        E = sp.csr_matrix((np.ones(keep.sum()), (rows[keep], cols[keep])), shape=(n * n, dim))
    else:
        iu = np.triu_indices(n, 1)
        m = iu[0].size
        dim = n + 2 * m
        diag = np.arange(n)
        rows = np.concatenate([diag * n + diag, iu[0] * n + iu[1], iu[1] * n + iu[0],
                               iu[0] * n + iu[1], iu[1] * n + iu[0]])
        cols = np.concatenate([diag, n + np.arange(m), n + np.arange(m),
                               n + m + np.arange(m), n + m + np.arange(m)])
        vals = np.concatenate([np.ones(n), np.ones(m), np.ones(m), 1j * np.ones(m), -1j * np.ones(m)])
        E = sp.csr_matrix((vals, (rows, cols)), shape=(n * n, dim))
    for arr in (E.data, E.indices, E.indptr):
        arr.flags.writeable = False
    return dim, E


def as_expression(value: Any) -> AffineExpression:
    if isinstance(value, AffineExpression):
        return value
    return AffineExpression.constant(value)


# -- free functions ---------------------------------------------------------------------------------
def trace(x: Any) -> AffineExpression:
    x = as_expression(x)
    m, n = x.shape
    if m != n:
        raise ModelError(f"trace of a non-square {x.shape} expression")
    diagonal = np.arange(n) * (n + 1)
    return AffineExpression((1, 1), {k: _sum_rows(t, diagonal) for k, t in x.terms.items()}, x._objects)


def congruence(A: Any, x: Any) -> AffineExpression:
    """``A X A^H`` as one linear map (row-major vec: kron(A, conj A)); A a constant (m, n), X (n, n).

    The same as ``A @ X @ A.conj().T``, with one map instead of two: congruence preconditioning and
    Fisher-information projections apply it to every PSD block of a model.
    """
    A = np.atleast_2d(np.asarray(A))
    x = as_expression(x)
    if x.shape != (A.shape[1], A.shape[1]):
        raise ModelError(f"congruence A X A^H: A is {A.shape}, X is {x.shape}")
    return x._map(_kron(A, A.conj()), (A.shape[0], A.shape[0]))


def inner(c: Any, x: Any) -> AffineExpression:
    """Real inner product ``Re tr(C^H X) = Re sum conj(C_ij) X_ij`` (C a constant or parameter)."""
    if not isinstance(c, AffineExpression):
        # Constant C: one row map vec(conj C)^T instead of an elementwise product and a sum, the
        # hot path of every SINR row (several thousand inner products per exhaustive run).
        arr = np.asarray(c)
        x = as_expression(x)
        shape = arr.shape if arr.ndim == 2 else (arr.reshape(-1, 1).shape if arr.ndim == 1 else (1, 1))
        if shape != x.shape:
            raise ModelError(f"inner product shapes {shape} and {x.shape} differ")
        cvec = np.conj(arr).ravel()
        return AffineExpression((1, 1), {k: _row((t.T @ cvec).real) for k, t in x.terms.items()}, x._objects)
    c, x = as_expression(c), as_expression(x)
    if c.shape != x.shape:
        raise ModelError(f"inner product shapes {c.shape} and {x.shape} differ")
    return (c.conj() * x).sum().real


def bmat(blocks: Iterable[Iterable[Any]]) -> AffineExpression:
    """Block matrix from rows of blocks (expressions, arrays, scalars; None for a zero block)."""
    rows = [list(r) for r in blocks]
    heights, widths = [None] * len(rows), [None] * len(rows[0])
    for i, row in enumerate(rows):
        if len(row) != len(widths):
            raise ModelError("bmat rows must have the same number of blocks")
        row[:] = [None if b is None else as_expression(b) for b in row]
        for j, b in enumerate(row):
            if b is None:
                continue
            shape = b.shape
            for store, k, val in ((heights, i, shape[0]), (widths, j, shape[1])):
                if store[k] is not None and store[k] != val:
                    raise ModelError(f"bmat block ({i},{j}) has shape {shape}, inconsistent with its row/column")
                store[k] = val
    if None in heights or None in widths:
        raise ModelError("bmat: every block row and column needs at least one non-None block")
    M, N = sum(heights), sum(widths)
    r0 = np.concatenate([[0], np.cumsum(heights)])
    c0 = np.concatenate([[0], np.cumsum(widths)])
    # Each block's entries move to distinct rows of vec(result): its terms are scattered there,
    # one sparse matrix per key, with no placement maps and no additions.
    pieces: dict[Key, list[tuple[np.ndarray, sp.csr_matrix]]] = {}
    objects: dict[int, Any] = {}
    for i, row in enumerate(rows):
        for j, b in enumerate(row):
            if b is None:
                continue
            e = b
            h, w = e.shape
            target = ((np.arange(h)[:, None] + r0[i]) * N + (np.arange(w)[None, :] + c0[j])).ravel()
            for key, t in e.terms.items():
                pieces.setdefault(key, []).append((target, t))
            objects.update(e._objects)
    return AffineExpression((M, N), {k: _scatter_rows(p, M * N) for k, p in pieces.items()}, objects)


def hstack(items: Iterable[Any]) -> AffineExpression:
    return bmat([list(items)])


def vstack(items: Iterable[Any]) -> AffineExpression:
    return bmat([[i] for i in items])
