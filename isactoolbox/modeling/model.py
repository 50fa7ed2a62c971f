"""The neutral ``Model`` and its compiled canonical form.

``Model.compile()`` lays every variable's real coordinates in one vector ``x`` (length ``nx``) and
every parameter's in one vector ``p``, then stores each constraint block as triplets that value a
fixed sparsity pattern from ``[p; 1]``. ``CompiledModel.data()`` returns a numeric
:class:`CanonicalData` snapshot; when parameter values change only the values are recomputed (one
weighted bincount per block, then vector operations for symmetrisation and equilibration), never the
structure, so AO loops and sweeps re-solve cheaply.

Canonical form (all real except complex LMIs)::

    minimise    c @ x + c0
    subject to  A_eq @ x + b_eq == 0
                G @ x + h <= 0
                mat(F_i @ x + f_i) >> 0         (n_i x n_i, symmetric or Hermitian, row-major)
                lb <= x <= ub,  x[integer] integral
"""
from __future__ import annotations

import copy
import dataclasses
import enum
from typing import Any, Iterable

import numpy as np
import scipy.sparse as sp

from isactoolbox.errors import ModelError
from isactoolbox.modeling.constraint import Constraint
from isactoolbox.modeling.csr import _INT32_MAX, csr_from_arrays, entry_rows, row_lengths
from isactoolbox.modeling.expression import AffineExpression, Parameter, Variable, _increasing, as_expression

HERMITIAN_RTOL = 1e-9


class ProblemClass(str, enum.Enum):
    LP = "LP"
    MILP = "MILP"
    SDP = "SDP"
    MISDP = "MISDP"

    def __str__(self) -> str:
        return self.value


@dataclasses.dataclass
class LMIData:
    name: str
    n: int
    complex: bool
    F: sp.csr_matrix  # (n*n, nx), row-major entries, Hermitian per column
    f: np.ndarray  # (n*n,)
    variable: Variable | None  # set when the LMI is "this matrix variable is PSD"
    scale: np.ndarray | None = None  # d of the congruence D M D applied (None: unscaled)
    #: forms of these data a backend derives (the real embedding of a complex LMI), kept with them: an
    #: LMI without parameters is one LMIData for every data() of the model and of its instances
    derived: dict[str, Any] = dataclasses.field(default_factory=dict, repr=False, compare=False)


@dataclasses.dataclass
class CanonicalData:
    """Numeric snapshot of a compiled model at the current parameter values."""

    c: np.ndarray
    c0: float
    A_eq: sp.csr_matrix
    b_eq: np.ndarray
    G: sp.csr_matrix
    h: np.ndarray
    lmis: list[LMIData]
    lb: np.ndarray
    ub: np.ndarray
    integer: np.ndarray
    #: positive factors applied to each equality / inequality row (duals map back by them)
    eq_scale: np.ndarray | None = None
    ineq_scale: np.ndarray | None = None


class _Block:
    """A stack of affine rows on a fixed sparsity pattern, valued at ``data()`` time from triplets.

    The pattern is every (row, column) pair that some term touches, sorted by row then column
    (column ``nx`` is the constant), so it is CSR structure as it stands. Each input triplet
    ``(row, column, parameter coordinate, coefficient)`` adds ``coefficient * pfull[parameter]`` to its
    pattern entry (``pfull[npar] = 1`` for terms without a parameter). Values are the triplets'
    products, summed per entry by a weighted ``bincount`` where several triplets share one: no
    sparse-matrix objects are built per update.
    """

    def __init__(self, rows: np.ndarray, xcol: np.ndarray, pcol: np.ndarray, vals: np.ndarray,
                 nrows: int, nx: int, npar: int) -> None:
        self.nrows, self.nx, self.npar = nrows, nx, npar
        nx1 = nx + 1
        # 32-bit keys whenever they fit: an LMI's 20k triplets then stay under glibc's mmap threshold
        # (128 kB) array by array, where 64-bit copies were each mapped, faulted in and unmapped
        # again (4x the time of the arithmetic on this kind of VM)
        key = rows.astype(np.int32 if nrows * nx1 <= _INT32_MAX else np.int64)  # a copy: rows may be a term's
        key *= nx1
        key += xcol
        entry = None  # the triplets' pattern entries: None while they are the pattern itself, in order
        if not _increasing(key):
            # Terms arrive as row-sorted runs (CSR order each), merged here by a stable sort. The
            # triplets are kept in the merged order, so a block with one triplet per entry (every LMI
            # here) is valued by a product, with no scatter or bincount per update. Row and column
            # follow from the sorted key, so only three arrays are permuted.
            key, pcol, vals = _stable_sorted(key, pcol, vals)
            if not _increasing(key):  # several triplets on one entry: each entry sums its run
                first = np.ones(key.size, dtype=bool)
                first[1:] = key[1:] != key[:-1]
                entry = np.cumsum(first) - 1
                key = key[first]
            # a floor division and a product: np.divmod of the same keys takes 3.5x as long
            rows = key // nx1
            xcol = key - rows * nx1
        self.key, self.row, self.col = key, rows, xcol
        # row pointers by binary search in the sorted keys (a count over every triplet cost more)
        self.indptr = key.searchsorted(np.arange(nrows + 1, dtype=key.dtype) * nx1)
        vals.setflags(write=False)  # a block without parameters hands them out as its values
        self._entry, self._par, self._coef = entry, pcol, vals
        # a parameter's own coordinates (every Fisher-information map): its values, no product
        self._unit = not np.iscomplexobj(vals) and bool((vals == 1.0).all())
        self.parametric = bool((self._par < npar).any())
        self._cache: tuple[tuple[int, ...], np.ndarray] | None = None

    @property
    def size(self) -> int:
        return int(self.key.size)

    @property
    def is_complex(self) -> bool:
        return np.iscomplexobj(self._coef) and bool(np.any(self._coef.imag))

    def values(self, pfull: np.ndarray | None, stamp: tuple[int, ...]) -> np.ndarray:
        """Values on the pattern (complex for complex blocks), cached per parameter stamp; ``pfull``
        (the parameters' coordinates, then 1) is read only by a parametric block.

        Instances of one compiled model share their blocks (:meth:`CompiledModel.instance`), so the
        cache is read once: another instance replacing it in between costs a recomputation, never
        another instance's values."""
        cache = self._cache
        if cache is not None and (not self.parametric or cache[0] == stamp):
            return cache[1]
        if not self.parametric:  # every triplet's parameter coordinate is the constant 1
            w = self._coef
        else:
            w = pfull.take(self._par)  # take: no 64-bit copy of 32-bit indices, as pfull[...] makes
            if not self._unit:
                w = w * self._coef
        if self._entry is None:
            out = w
        elif np.iscomplexobj(w):
            out = (np.bincount(self._entry, weights=w.real, minlength=self.size)
                   + 1j * np.bincount(self._entry, weights=w.imag, minlength=self.size))
        else:
            out = np.bincount(self._entry, weights=w, minlength=self.size)
        self._cache = (stamp, out)
        return out


#: Blocks with fewer triplets are sorted: slicing costs more than their sort
_MERGE_FROM = 1024
#: Runs shorter than this, in total, are merged into a larger block's dominant run slice by slice
_FEW_MERGED = 64


def _stable_sorted(key: np.ndarray, *arrays: np.ndarray) -> tuple[np.ndarray, ...]:
    """``key`` and ``arrays`` (same length) in the order of key's stable sort.

    The common case is one run holding nearly every triplet (a Fisher-information map) and a few
    entries of other terms (an epigraph's blocks) that belong inside it: those are placed by binary
    search and each array is rebuilt by one concatenation of slices, where a sort and a gather per
    array touched every entry three times (0.1-0.3 ms on a 20k-entry LMI, against 0.04 ms).
    """
    if key.size >= _MERGE_FROM:
        starts = np.flatnonzero(key[1:] < key[:-1]) + 1  # where each increasing run after the first begins
        if starts.size < _FEW_MERGED:  # else the short runs hold too many entries anyway
            bounds = [0, *starts.tolist(), key.size]
            a, b = max(zip(bounds, bounds[1:]), key=lambda run: run[1] - run[0])  # the longest run
            if key.size - (b - a) <= _FEW_MERGED:
                return _merged_into_run(a, b, key, *arrays)
    order = key.argsort(kind="stable")
    return tuple(x.take(order) for x in (key, *arrays))  # take: no 64-bit copy of 32-bit values


def _merged_into_run(a: int, b: int, key: np.ndarray, *arrays: np.ndarray) -> tuple[np.ndarray, ...]:
    """:func:`_stable_sorted` when ``key[a:b]`` is sorted and the few entries outside it are to be
    placed in it."""
    # the few entries outside the run, in stable key order (Python's sort is stable)
    outside = [*range(a), *range(b, key.size)]
    outside_keys = key[:a].tolist() + key[b:].tolist()
    order = sorted(range(len(outside)), key=outside_keys.__getitem__)
    rest, rest_keys = [outside[k] for k in order], np.array([outside_keys[k] for k in order], dtype=key.dtype)
    # a stable sort puts an entry before equal keys of the run when it came before the run, after
    # them when it came after
    dominant = key[a:b]
    left, right = dominant.searchsorted(rest_keys, "left").tolist(), dominant.searchsorted(rest_keys, "right").tolist()
    at = [a, *(a + (lo if i < a else hi) for i, lo, hi in zip(rest, left, right))]  # insertion points in the arrays
    out = []
    for x in (key, *arrays):
        pieces = []
        for k, i in enumerate(rest):
            pieces += (x[at[k]:at[k + 1]], x[i:i + 1])
        pieces.append(x[at[-1]:b])
        out.append(np.concatenate(pieces))
    return tuple(out)


class _HermitianPattern:
    """Where each entry of an LMI block meets its mirror: the union of the pattern and its transpose.

    Row ``i*n + j`` of vec(M) mirrors row ``j*n + i``; for union entry u, ``own[u]`` and ``mirror[u]``
    index the block's pattern at (row, column) and at (mirrored row, column), -1 where absent. Then
    ``(M + M^H) / 2`` and ``M - M^H`` are vector operations on the block's values, fixed at compile time.
    """

    def __init__(self, block: _Block, n: int) -> None:
        nx1 = block.nx + 1
        self._last: tuple[np.ndarray, tuple[np.ndarray, np.ndarray]] | None = None
        self.nrows, self.nx = block.nrows, block.nx
        self._full_layout: _EntryLayout | None = None
        self._partial_layout: tuple[np.ndarray, _EntryLayout] | None = None
        mirror = self._symmetric_mirror(block, n)
        if mirror is not None:
            # Symmetric structure (every Hermitian expression built here): the union is the pattern,
            # and entry q has its mirror at pattern entry mirror[q].
            self.own, self.mirror = None, mirror
            self.row, self.col = block.row, block.col
        else:
            i, j = np.divmod(block.row, n)
            mirrored = (j * n + i) * nx1 + block.col  # key of each entry's mirror position
            union = np.union1d(block.key, mirrored)
            self.own = _lookup(block.key, union)
            self.row, self.col = np.divmod(union, nx1)
            i, j = np.divmod(self.row, n)
            self.mirror = _lookup(block.key, (j * n + i) * nx1 + self.col)

    @staticmethod
    def _symmetric_mirror(block: _Block, n: int) -> np.ndarray | None:
        """Pattern index of each entry's mirror when row ``i*n + j`` has the columns of row ``j*n + i``
        (None otherwise), read off the CSR row pointers: both rows are column-sorted, so the k-th
        entry of one mirrors the k-th of the other. No sort, where searching the mirrored keys took
        one per LMI."""
        rows = np.arange(n * n)
        mirrored_row = (rows % n) * n + rows // n
        counts = row_lengths(block.indptr)
        if not np.array_equal(counts, counts[mirrored_row]):
            return None
        start = block.indptr[:-1]
        itype = np.int32 if block.size <= _INT32_MAX else np.int64  # half the bytes: see _Block
        mirror = (start[mirrored_row] - start).astype(itype).repeat(counts)
        mirror += np.arange(block.size, dtype=itype)
        return mirror if np.array_equal(block.col.take(mirror), block.col) else None

    def layout(self, keep: np.ndarray | None) -> "_EntryLayout":
        """Where the union entries kept by ``keep`` (None: all) go in (F, f). The all-kept layout is
        built once and the last partial one is kept: the exact zeros of a Fisher-information map sit
        at the same entries from one scenario to the next."""
        if keep is None:
            if self._full_layout is None:
                self._full_layout = _EntryLayout(self.row, self.col, self.nrows, self.nx)
            return self._full_layout
        last = self._partial_layout  # read once: instances of one compiled model share this pattern
        if last is not None and np.array_equal(last[0], keep):
            return last[1]
        layout = _EntryLayout(self.row[keep], self.col[keep], self.nrows, self.nx)
        self._partial_layout = (keep, layout)
        return layout

    def parts(self, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(M at the union entries, M^H at the same entries) from the block's values ``v``; the last
        pair is kept, since the compile-time Hermitian check and the first ``data()`` ask for the same."""
        last = self._last  # read once: instances of one compiled model share this pattern
        if last is not None and last[0] is v:
            return last[1]
        # take: 32-bit indices are read as they are (v[...] would copy them to 64 bits first)
        if self.own is None:
            out = (v, v.take(self.mirror))
        else:
            ext = np.concatenate([v, np.zeros(1, dtype=v.dtype)])  # index -1 reads the appended zero
            out = (ext.take(self.own), ext.take(self.mirror))
        if np.iscomplexobj(v):
            np.conjugate(out[1], out=out[1])  # a fresh gather: conjugated in place, no second copy
        self._last = (v, out)
        return out


class _EntryLayout:
    """The structure of a block's (F, f) for a fixed set of entries (row, col) sorted by row then
    column, column ``nx`` the constant: what ``data()`` would otherwise recompute at every update.
    ``row`` is kept, with every row's entry count and first entry: an LMI's equilibration reads each
    entry's matrix position from them."""

    def __init__(self, row: np.ndarray, col: np.ndarray, nrows: int, nx: int) -> None:
        self.row = row
        # row pointers by binary search in the sorted rows, the variables' ones by subtracting the
        # few constant entries: no count over every entry
        rtype = row.dtype if nrows < np.iinfo(row.dtype).max else np.int64  # no widened copy of row
        self.row_starts = row.searchsorted(np.arange(nrows + 1, dtype=rtype))
        self.row_counts = row_lengths(self.row_starts)
        self._diagonal_runs: tuple[int, tuple[np.ndarray, np.ndarray, np.ndarray]] | None = None
        self.var = col < nx
        self.indices = col[self.var]
        self.const = ~self.var
        self.const_rows = row[self.const]
        self.indptr = self.row_starts.copy()
        self.indptr[1:] -= np.cumsum(np.bincount(self.const_rows, minlength=nrows))
        self.shape = (nrows, nx)
        # split() hands these to every update's F (scipy copies them only to narrow them to 32 bits):
        # an in-place change of one F must fail, not corrupt the next update
        for a in (self.indices, self.indptr):
            a.setflags(write=False)

    def diagonal_runs(self, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For an n x n LMI: the entries on its diagonal rows (``i*n + i``), run by run, where each
        nonempty run starts among them, and which diagonal rows have one. Built once per layout
        (what its equilibration reads at every update)."""
        if self._diagonal_runs is None or self._diagonal_runs[0] != n:
            diagonal = np.arange(n) * (n + 1)
            lo, counts = self.row_starts[diagonal], self.row_counts[diagonal]
            before = np.zeros(n, dtype=np.int64)
            np.cumsum(counts[:-1], out=before[1:])
            present = counts > 0
            entries = np.repeat(lo - before, counts) + np.arange(int(counts.sum()))
            self._diagonal_runs = (n, (entries, before[present], present))
        return self._diagonal_runs[1]

    def split(self, v: np.ndarray) -> tuple[sp.csr_matrix, np.ndarray]:
        """(F (nrows, nx) CSR, f (nrows,)) holding the entries' values ``v``."""
        f = np.zeros(self.shape[0], dtype=v.dtype)
        f[self.const_rows] = v[self.const]
        return csr_from_arrays(v[self.var], self.indices, self.indptr, self.shape), f


def _lookup(sorted_keys: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Index of each of ``keys`` in ``sorted_keys`` (unique, ascending), -1 where absent."""
    pos = np.searchsorted(sorted_keys, keys)
    pos = np.minimum(pos, max(sorted_keys.size - 1, 0))
    hit = (sorted_keys.size > 0) & (sorted_keys[pos] == keys) if sorted_keys.size else np.zeros(keys.size, bool)
    return np.where(hit, pos, -1)


class Model:
    """A backend-neutral convex model built from affine expressions.

    >>> m = Model(); x = m.real("x", 2, lb=0); m.add(x.sum() >= 1); m.minimize(x[0] + 2 * x[1])
    """

    def __init__(self, name: str = "model") -> None:
        self.name = name
        self.variables: list[Variable] = []
        self.parameters: list[Parameter] = []
        self.constraints: list[Constraint] = []
        self.objective: AffineExpression | None = None
        self.sense = "min"
        self._names: set[str] = set()

    # -- declarations --
    def _register(self, obj: Any, store: list) -> Any:
        if obj.name in self._names:
            raise ModelError(f"name {obj.name!r} is used twice in model {self.name!r}")
        self._names.add(obj.name)
        store.append(obj)
        return obj

    @staticmethod
    def _shape(shape: int | tuple[int, ...]) -> tuple[int, int]:
        if isinstance(shape, (int, np.integer)):
            return (int(shape), 1)
        shape = tuple(int(s) for s in shape)
        if len(shape) == 1:
            return (shape[0], 1)
        if len(shape) == 2:
            return shape  # type: ignore[return-value]
        raise ModelError(f"variables are scalars, vectors or matrices, got shape {shape}")

    def real(self, name: str, shape: int | tuple[int, ...] = 1, *, lb: Any = None, ub: Any = None) -> Variable:
        return self._register(Variable(name, "real", self._shape(shape), lb=lb, ub=ub), self.variables)

    def integer(self, name: str, shape: int | tuple[int, ...] = 1, *, lb: Any = None, ub: Any = None) -> Variable:
        return self._register(Variable(name, "integer", self._shape(shape), lb=lb, ub=ub), self.variables)

    def binary(self, name: str, shape: int | tuple[int, ...] = 1) -> Variable:
        return self._register(Variable(name, "binary", self._shape(shape)), self.variables)

    def symmetric(self, name: str, n: int, *, psd: bool = False) -> Variable:
        return self._register(Variable(name, "symmetric", (n, n), psd=psd), self.variables)

    def hermitian(self, name: str, n: int, *, psd: bool = False) -> Variable:
        return self._register(Variable(name, "hermitian", (n, n), psd=psd), self.variables)

    def parameter(self, name: str, shape: int | tuple[int, ...] = 1, value: Any = 0.0, *,
                  complex: bool = False) -> Parameter:
        return self._register(Parameter(name, self._shape(shape), value, complex=complex), self.parameters)

    # -- constraints and objective --
    def add(self, constraint: Constraint | Iterable[Constraint], name: str = "") -> Constraint | list[Constraint]:
        if isinstance(constraint, Constraint):
            if name:
                constraint.name = name
            if not constraint.name:
                constraint.name = f"c{len(self.constraints)}"
            for side, _ in constraint.parts:
                self._check_owned(side, constraint.name)
            self.constraints.append(constraint)
            return constraint
        return [self.add(c, f"{name}[{i}]" if name else "") for i, c in enumerate(constraint)]

    def _check_owned(self, expr: AffineExpression, where: str) -> None:
        own = {o.id for o in self.variables} | {o.id for o in self.parameters}
        for oid, obj in expr._objects.items():
            if oid not in own:
                raise ModelError(f"{where}: {obj!r} belongs to another model")

    def minimize(self, expr: Any) -> None:
        self._set_objective(expr, "min")

    def maximize(self, expr: Any) -> None:
        self._set_objective(expr, "max")

    def _set_objective(self, expr: Any, sense: str) -> None:
        expr = as_expression(expr)
        if expr.shape != (1, 1):
            raise ModelError(f"the objective must be a scalar, got shape {expr.shape}")
        self._check_owned(expr, "objective")
        self.objective, self.sense = expr, sense

    def compile(self) -> "CompiledModel":
        return CompiledModel(self)


class CompiledModel:
    """Canonical sparse form of a :class:`Model`, with parameter updates by value only."""

    def __init__(self, model: Model) -> None:
        self.model = model
        self.name = model.name
        self.variables = list(model.variables)
        self.parameters = list(model.parameters)
        self.offsets: dict[int, int] = {}
        nx = 0
        for v in self.variables:
            self.offsets[v.id] = nx
            nx += v.dim
        self.nx = nx
        self.poffsets: dict[int, int] = {}
        npar = 0
        for p in self.parameters:
            self.poffsets[p.id] = npar
            npar += p.pdim
        self.npar = npar
        self.sense = model.sense
        sign = -1.0 if model.sense == "max" else 1.0
        objective = model.objective if model.objective is not None else as_expression(0.0)
        self._objective = self._block([(1, [(objective, sign)])], "objective", real=True)
        eq = [c for c in model.constraints if c.sense == "=="]
        ineq = [c for c in model.constraints if c.sense == "<="]
        self._eq = self._block([(c.size, c.parts) for c in eq], "equality", real=True, names=[c.name for c in eq])
        self._ineq = self._block([(c.size, c.parts) for c in ineq], "inequality", real=True,
                                 names=[c.name for c in ineq])
        self._eq_layout, self._ineq_layout = (_EntryLayout(b.row, b.col, b.nrows, nx) for b in (self._eq, self._ineq))
        self.row_names = {"==": self._row_ranges(eq), "<=": self._row_ranges(ineq)}
        self._lmis: list[tuple[str, int, _Block, Variable | None]] = []
        for v in self.variables:
            if v.psd:
                self._lmis.append((f"{v.name} >> 0", v.shape[0], self._block([(v.size, [(v, 1.0)])], v.name), v))
        for c in model.constraints:
            if c.sense == ">>":
                self._lmis.append((c.name, c.shape[0], self._block([(c.size, c.parts)], c.name), None))
        self._mirrors = [_HermitianPattern(block, n) for _, n, block, _ in self._lmis]
        lb = np.full(nx, -np.inf)
        ub = np.full(nx, np.inf)
        integer = []
        for v in self.variables:
            o = self.offsets[v.id]
            if v.lb is not None:
                lb[o:o + v.dim] = v.lb
            if v.ub is not None:
                ub[o:o + v.dim] = v.ub
            if v.is_integer:
                integer.extend(range(o, o + v.dim))
        self.lb, self.ub = lb, ub
        self.integer = np.array(integer, dtype=np.int64)
        self._data: CanonicalData | None = None
        self._stamp: tuple[int, ...] | None = None
        #: LMIData of the LMIs without parameters, built at the first data() (instances share it)
        self._fixed_lmis: dict[int, LMIData] = {}
        self._check_lmis_hermitian()

    # -- structure --
    @staticmethod
    def _row_ranges(cons: list[Constraint]) -> dict[str, tuple[int, int]]:
        out, r = {}, 0
        for c in cons:
            out[c.name] = (r, r + c.size)
            r += c.size
        return out

    def _block(self, groups: list[tuple[int, list[tuple[AffineExpression, float]]]], what: str,
               real: bool = False, names: list[str] | None = None) -> _Block:
        """The rows of ``groups`` stacked: each group is (its number of rows, [(expression, sign)]); a
        group's rows are the signed sum of its expressions, a 1 x 1 expression broadcast over them."""
        rows, xcols, pcols, vals = [], [], [], []
        r0 = 0
        nx, npar = self.nx, self.npar
        # 32-bit columns and parameter coordinates (CSR indices come as 32 bits): see _Block
        itype = np.int32 if max(nx, npar) < _INT32_MAX else np.int64
        for size, parts in groups:
            for e, sign in parts:
                for (vid, pid), t in e.terms.items():
                    t = _Triplets(t)
                    if vid is not None and vid not in self.offsets:
                        raise ModelError(f"{what}: uses a variable not declared in this model")
                    if vid is None and pid is None:
                        xc, pc = np.full(t.nnz, nx, dtype=itype), np.full(t.nnz, npar, dtype=itype)
                    elif pid is None:
                        xc, pc = t.col.astype(itype, copy=False) + self.offsets[vid], np.full(t.nnz, npar, dtype=itype)
                    elif vid is None:
                        xc, pc = np.full(t.nnz, nx, dtype=itype), t.col.astype(itype, copy=False) + self.poffsets[pid]
                    else:
                        pdim = e._objects[pid].pdim
                        col = t.col.astype(itype, copy=False)
                        xc = col // pdim  # then a product: np.divmod takes 3.5x as long
                        pc = col - xc * pdim
                        xc += self.offsets[vid]
                        pc += self.poffsets[pid]
                    r, data = t.row, (t.data if sign > 0 else -t.data)
                    if e.size != size:  # a scalar side: the same coefficients on every row
                        r = np.repeat(np.arange(size, dtype=itype), t.nnz)
                        xc, pc, data = np.tile(xc, size), np.tile(pc, size), np.tile(data, size)
                    rows.append((r0 + r.astype(np.int64) if r0 + size > _INT32_MAX else r0 + r) if r0 else r)
                    xcols.append(xc)
                    pcols.append(pc)
                    vals.append(data)
            r0 += size
        # indices stay 32-bit where they came so (CSR indices): _Block picks the key's width
        cat = lambda xs, dt: (xs[0] if len(xs) == 1 else np.concatenate(xs)) if xs else np.zeros(0, dt)  # noqa: E731
        v = np.concatenate(vals) if vals else np.zeros(0)
        if real and np.iscomplexobj(v):
            scale = np.max(np.abs(v)) if v.size else 0.0
            if v.size and np.max(np.abs(v.imag)) > 1e-9 * max(scale, 1e-300):
                bad = ""
                if names:
                    bad = " (in " + ", ".join(names[:3]) + ("..." if len(names) > 3 else "") + ")"
                raise ModelError(f"{what} expression is complex{bad}; take .real or use inner()")
            v = v.real
        elif np.iscomplexobj(v) and v.size and not np.any(v.imag):
            v = v.real
        return _Block(cat(rows, np.int64), cat(xcols, np.int64), cat(pcols, np.int64), v, r0, nx, npar)

    def _check_lmis_hermitian(self) -> None:
        """Refuse an LMI that is not Hermitian. One without parameters is checked here, once; one
        with parameters at every ``data()``, at the values it is solved with (its values at compile
        time are placeholders, and a new value can make it asymmetric)."""
        stamp = self._current_stamp()
        for (name, n, block, _), mirror in zip(self._lmis, self._mirrors):
            if not block.parametric:  # valued without the parameters' coordinates
                _hermitian_part(name, *mirror.parts(block.values(None, stamp)))

    @property
    def problem_class(self) -> ProblemClass:
        psd = bool(self._lmis)
        integer = bool(self.integer.size)
        if psd:
            return ProblemClass.MISDP if integer else ProblemClass.SDP
        return ProblemClass.MILP if integer else ProblemClass.LP

    @property
    def has_complex_lmis(self) -> bool:
        return any(block.is_complex for _, _, block, _ in self._lmis)

    # -- numeric data --
    def _pfull(self) -> np.ndarray:
        parts = [p.coordinates() for p in self.parameters]
        parts.append(np.ones(1))
        return np.concatenate(parts)

    def _current_stamp(self) -> tuple[int, ...]:
        # Versions come from one process-wide counter, so stamps of different instances differ.
        return tuple(p.version for p in self.parameters)

    def data(self) -> CanonicalData:
        """Numeric canonical data at the parameters' current values (cached until they change)."""
        stamp = self._current_stamp()
        if self._data is not None and stamp == self._stamp:
            return self._data
        pfull = self._pfull()
        nx = self.nx
        obj = np.zeros(nx + 1)
        np.add.at(obj, self._objective.col, self._objective.values(pfull, stamp).real)
        lmis = []
        for k, ((name, n, block, var), mirror) in enumerate(zip(self._lmis, self._mirrors)):
            if k in self._fixed_lmis:
                lmis.append(self._fixed_lmis[k])
                continue
            M, MH = mirror.parts(block.values(pfull, stamp))
            # Products like T X T^H leave rounding residue where the Hermitian matrix has exact zeros
            # (imaginary diagonal, cancelled couplings): on the network-ISAC SDP 864 entries of
            # ~1e-25 that cost Clarabel sparsity and accuracy (3e-4 relative objective error, against
            # 5.7e-5 with them removed). Exact symmetrisation, then dropping residue, removes them.
            # An LMI without parameters was checked Hermitian at compile time, one with them is here.
            v, keep = _drop_residue(_hermitian_part(name, M, MH, check=block.parametric, parametric=True))
            layout = mirror.layout(keep)
            d = None
            if var is None:
                v, d = _equilibrate_lmi(v, layout, n)
            F, f = layout.split(v)
            lmis.append(LMIData(name, n, block.is_complex, F, f, var, d))
            if not block.parametric:
                for a in (F.data, f):  # shared from now on: an in-place change must fail, not spread
                    a.setflags(write=False)
                self._fixed_lmis[k] = lmis[-1]
        A_eq, b_eq, eq_scale = _equilibrate_rows(self._eq, self._eq_layout, pfull, stamp)
        G, h, ineq_scale = _equilibrate_rows(self._ineq, self._ineq_layout, pfull, stamp)
        self._data = CanonicalData(
            c=obj[:nx].copy(), c0=float(obj[nx]),
            A_eq=A_eq, b_eq=b_eq, G=G, h=h,
            lmis=lmis, lb=self.lb, ub=self.ub, integer=self.integer, eq_scale=eq_scale, ineq_scale=ineq_scale)
        self._stamp = stamp  # only now: data that failed to build are never served as current
        return self._data

    @property
    def version(self) -> tuple[int, ...]:
        """Changes whenever a parameter value changes (backends use it to update in place)."""
        return self._current_stamp()

    # -- instances --
    def parameter(self, name: str) -> Parameter:
        """This model's parameter called ``name`` (an instance's own copy, see :meth:`instance`)."""
        for p in self.parameters:
            if p.name == name:
                return p
        raise ModelError(f"model {self.name!r} has no parameter {name!r}; it has "
                         f"{', '.join(p.name for p in self.parameters) or 'none'}")

    def instance(self) -> "CompiledModel":
        """An independent copy with the same structure and its own parameters (current values).

        The compiled structure (blocks, patterns, bounds) is shared and never modified, so this
        costs microseconds where compiling costs milliseconds: a problem class can compile once per
        problem size and give every new data set (a new scenario of the same size) an instance whose
        parameters it sets. Look the instance's parameters up with :meth:`parameter`; the
        declaring model's Parameter objects stay with this model. The variables are shared: read
        solutions with ``Solution.value``, since ``expr.value()`` reads the last solve of any instance.
        """
        twin = copy.copy(self)
        twin.parameters = [copy.copy(p) for p in self.parameters]
        for p in twin.parameters:
            p.renew_version()  # the twin's stamp differs from this model's (values are read-only: shared)
        twin._data, twin._stamp = None, None
        return twin

    # -- solutions --
    def variable_value(self, var: Variable, x: np.ndarray) -> np.ndarray:
        o = self.offsets[var.id]
        vals = var.entry_map @ x[o:o + var.dim]
        if var.kind != "hermitian":
            vals = vals.real
        return vals.reshape(var.shape)

    def assign(self, x: np.ndarray | None) -> None:
        """Store a solution's coordinates on the variables (for ``expr.value()``)."""
        for v in self.variables:
            o = self.offsets[v.id]
            v.coords = None if x is None else np.asarray(x[o:o + v.dim], dtype=float)

    def objective_value(self, x: np.ndarray) -> float:
        d = self.data()
        val = float(d.c @ x + d.c0)
        return -val if self.sense == "max" else val

    def residuals(self, x: np.ndarray) -> dict[str, float]:
        """Largest violation per constraint class at ``x`` (absolute, in model units)."""
        d = self.data()
        out = {"equality": float(np.max(np.abs(d.A_eq @ x + d.b_eq), initial=0.0)),
               "inequality": float(np.max(d.G @ x + d.h, initial=0.0)),
               "bounds": float(max(np.max(d.lb - x, initial=0.0), np.max(x - d.ub, initial=0.0)))}
        worst = 0.0
        for lmi in d.lmis:
            M = (lmi.F @ x + lmi.f).reshape(lmi.n, lmi.n)
            worst = max(worst, -float(np.linalg.eigvalsh(0.5 * (M + M.conj().T))[0]))
        out["lmi"] = max(worst, 0.0)
        if d.integer.size:
            out["integrality"] = float(np.max(np.abs(x[d.integer] - np.round(x[d.integer]))))
        return out

    def summary(self) -> dict[str, Any]:
        d = self.data()
        return {"name": self.name, "class": str(self.problem_class), "coordinates": self.nx,
                "parameters": self.npar, "equalities": d.A_eq.shape[0], "inequalities": d.G.shape[0],
                "lmis": [(l.name, l.n, "hermitian" if l.complex else "symmetric") for l in d.lmis],
                "integers": int(d.integer.size)}


class _Triplets:
    """(row, col, data) of a sparse matrix, read from CSR without building a COO matrix."""

    def __init__(self, t: sp.spmatrix) -> None:
        if isinstance(t, sp.csr_matrix):
            self.row = entry_rows(t.indptr, dtype=np.int32 if t.shape[0] <= _INT32_MAX else np.int64)
            self.col, self.data = t.indices, t.data
        else:
            t = sp.coo_matrix(t)
            self.row, self.col, self.data = t.row, t.col, t.data
        self.nnz = self.data.size


def _hermitian_part(name: str, M: np.ndarray, MH: np.ndarray, check: bool = True,
                    parametric: bool = False) -> np.ndarray:
    """``(M + M^H) / 2`` at an LMI's entries, from M and M^H there (both left unchanged): M itself
    when it equals M^H exactly, else a new array. Callers never write to the result.

    With ``check``, ModelError unless M equals M^H to HERMITIAN_RTOL relative to its largest entry;
    ``parametric`` says so in the message (the values are the parameters' current ones).
    """
    if np.array_equal(M, MH):  # exactly Hermitian (a Fisher-information map is, by construction):
        return M                # one comparison instead of the check's and the average's passes
    if not (check and M.size):
        out = M + MH
        out *= 0.5
        return out
    out = M - MH
    if np.iscomplexobj(out):
        err, size = np.abs(out).max(), np.abs(M).max()
    else:  # largest magnitudes from max and min: no array of absolute values
        err, size = max(out.max(), -out.min()), max(M.max(), -M.min())
    if err > HERMITIAN_RTOL * max(size, 1e-300):
        where = " at the current parameter values" if parametric else ""
        raise ModelError(f"LMI {name!r} is not symmetric/Hermitian{where} (max asymmetry {err:.2e}); "
                         f"write it as e.g. bmat([[A, B], [B.H, C]])")
    np.add(M, MH, out=out)  # the difference's buffer, reused
    out *= 0.5
    return out


def _row_max(a: np.ndarray, row: np.ndarray, nrows: int) -> np.ndarray:
    """Largest of ``a`` (>= 0) per row, 0 for rows without entries."""
    out = np.zeros(nrows)
    np.maximum.at(out, row, a)
    return out


def _equilibrate_rows(block: _Block, layout: _EntryLayout, pfull: np.ndarray,
                      stamp: tuple[int, ...]) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray]:
    """The rows ``A x + b`` of a linear block, each scaled to unit infinity norm (same feasible set).

    Physical models produce rows whose coefficients span many decades (an SINR row can mix 1e-6
    and 1e6); interior-point solvers then certify points that are off by 1e-4 (measured with
    Clarabel on a network-ISAC SDP). Scaling rows is free and removes that failure mode.
    Returns ``(A (m, nx) CSR, b (m,), the positive factors (m,))``.
    """
    v = block.values(pfull, stamp).real
    norms = _row_max(np.abs(v), block.row, block.nrows)
    scale = np.where(norms > 0, 1.0 / np.where(norms > 0, norms, 1.0), 1.0)
    A, b = layout.split(v * scale[block.row])
    if not A.data.all():  # pattern entries that are zero at these values: not stored
        A = A.copy()  # its own index arrays, not the layout's
        A.eliminate_zeros()
    return A, b, scale


def _drop_residue(v: np.ndarray, rtol: float = 1e-14) -> tuple[np.ndarray, np.ndarray | None]:
    """(values with real and imaginary parts below ``rtol * max|v|`` set to exact zeros, and the mask
    of the entries still nonzero, None when that is all of them); the dropped entries are not stored."""
    if v.size == 0:
        return v, None
    if not np.iscomplexobj(v):  # the entries kept are those at least tol in size (and nonzero)
        tol = rtol * max(v.max(), -v.min())  # no array of absolute values: masks are 8x smaller
        keep = ((v >= tol) | (v <= -tol)) if tol > 0 else v != 0
        return (v, None) if keep.all() else (v[keep], keep)
    tol = rtol * np.abs(v).max()
    re, im = v.real.copy(), v.imag.copy()
    re[np.abs(re) < tol] = 0.0
    im[np.abs(im) < tol] = 0.0
    v = re + 1j * im
    keep = v != 0
    return (v, None) if keep.all() else (v[keep], keep)


def _equilibrate_lmi(v: np.ndarray, layout: _EntryLayout, n: int) -> tuple[np.ndarray, np.ndarray | None]:
    """Values of the congruence ``D M D`` (D diagonal > 0, same PSD set) bringing every diagonal entry's
    largest coefficient to 1; Fisher-information LMIs otherwise mix entries from 1e-6 to 1e3.
    ``v`` are coefficients of M's entries at the rows of vec(M) (row-major) that ``layout`` lists,
    sorted. Returns (the scaled values, a new array, and d), or (v, None) when no diagonal entry has
    a coefficient."""
    entries, starts, present = layout.diagonal_runs(n)
    mags = np.zeros(n)
    if entries.size:  # each diagonal row's largest coefficient, from its run alone
        mags[present] = np.maximum.reduceat(np.abs(v[entries]), starts)
    if not np.any(mags > 0):
        return v, None
    d = 1.0 / np.sqrt(np.where(mags > 0, mags, 1.0))
    # each row's factor d_i d_j repeated over its run: cheaper than gathering it entry by entry
    factors = np.repeat(np.outer(d, d).ravel(), layout.row_counts)
    if np.iscomplexobj(v):
        return v * factors, d
    factors *= v
    return factors, d
