"""Low-rank factorization (Burer-Monteiro) of a compiled SDP as a Pyomo NLP, solved by Ipopt via cyipopt.

Two kinds of LMI in the canonical data (see :mod:`isactoolbox.modeling.model`):

- "this variable is PSD" (``LMIData.variable`` set): the variable ``X`` (n x n symmetric or
  Hermitian) is *replaced* by ``L L^H`` with ``L`` real/complex n x r, r a small chosen rank. Every
  row of the model that touches ``X`` becomes a quadratic form in the entries of ``L``; ``X`` is not
  an NLP variable at all, so the coordinates returned for it are exactly those of ``L L^H`` (PSD by
  construction). Eliminating ``X`` (rather than adding ``X == L L^H`` as constraints) matters: the
  linearised coupling rows made Ipopt's filter line search crawl (thousands of iterations on the
  network-ISAC SDP).
- any other LMI ``M(x) >= 0`` becomes ``coords(M(x)) - coords(S S^H) == 0`` with a slack factor
  ``S`` of full rank n (no rank assumption on a constraint's slack).

Coordinates of an n x n matrix: symmetric, the upper triangle row by row; Hermitian, the diagonal,
then the real and the imaginary parts of the strict upper triangle row by row (the layout of a
Hermitian :class:`~isactoolbox.modeling.Variable`).

Dual information for the certificate (:mod:`isactoolbox.backends.pyomo_certificate`): Ipopt's
multipliers ``y``, ``z`` of the linear rows and ``nu_j`` of the coupling rows give
``Z_j = -mat(E_j (nu_j / d_j))`` (``E_j`` coordinates-to-entries, ``d_j = diag(E_j^H E_j)``); the
dual slack of a PSD variable follows from the reduced cost (the classical Burer-Monteiro
certificate ``C - A^*(y)``).
"""
from __future__ import annotations

import dataclasses
import functools
import io
import time
from typing import Any

import numpy as np
import scipy.sparse as sp

from isactoolbox.modeling.csr import row_lengths


@functools.lru_cache(maxsize=64)
def coordinate_maps(n: int, is_complex: bool) -> tuple[sp.csr_matrix, sp.csr_matrix, np.ndarray, np.ndarray,
                                                         np.ndarray, np.ndarray]:
    """``(P, E, d, I, J, kind)`` for n x n symmetric (real) or Hermitian (complex) matrices.

    ``coords = Re(P @ vec(M))`` (row-major vec), ``vec(M) = E @ coords``, ``d = diag(E^H E)``;
    coordinate k is entry ``(I[k], J[k])`` with ``kind`` 0 (real entry / diagonal), 1 (real part),
    2 (imaginary part).
    """
    if not is_complex:
        I, J = np.triu_indices(n)
        m = I.size
        kind = np.zeros(m, np.int8)
        P = sp.csr_matrix((np.ones(m), (np.arange(m), I * n + J)), shape=(m, n * n))
        off = I != J
        rows = np.concatenate([I * n + J, (J * n + I)[off]])
        cols = np.concatenate([np.arange(m), np.arange(m)[off]])
        E = sp.csr_matrix((np.ones(rows.size), (rows, cols)), shape=(n * n, m))
        d = np.where(off, 2.0, 1.0)
        return P, E, d, I, J, kind
    iu, ju = np.triu_indices(n, 1)
    q = iu.size
    diag = np.arange(n)
    I = np.concatenate([diag, iu, iu])
    J = np.concatenate([diag, ju, ju])
    kind = np.concatenate([np.zeros(n), np.ones(q), 2 * np.ones(q)]).astype(np.int8)
    m = n + 2 * q
    P = sp.csr_matrix((np.concatenate([np.ones(n + q), -1j * np.ones(q)]), (np.arange(m), I * n + J)),
                      shape=(m, n * n))
    rows = np.concatenate([diag * n + diag, iu * n + ju, ju * n + iu, iu * n + ju, ju * n + iu])
    cols = np.concatenate([diag, n + np.arange(q), n + np.arange(q), n + q + np.arange(q), n + q + np.arange(q)])
    vals = np.concatenate([np.ones(n + 2 * q), 1j * np.ones(q), -1j * np.ones(q)])
    E = sp.csr_matrix((vals, (rows, cols)), shape=(n * n, m))
    d = np.concatenate([np.ones(n), 2 * np.ones(2 * q)])
    return P, E, d, I, J, kind


@functools.lru_cache(maxsize=64)
def quadratic_map(n: int, is_complex: bool) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray]:
    """``(T, p, q)``: ``sum_k a_k coords_k(l l^H) = sum_t (T @ a)_t l_{p_t} l_{q_t}`` for one column ``l``.

    ``l`` is the real vector ``[Re l; Im l]`` (just ``l`` when real); ``T`` is a signed selection.
    Coordinate identities per column: diagonal ``a_i^2 + b_i^2``, real part ``a_i a_j + b_i b_j``,
    imaginary part ``b_i a_j - a_i b_j`` (``l = a + i b``).
    """
    _, _, _, I, J, kind = coordinate_maps(n, is_complex)
    m = I.size
    if not is_complex:
        p, q = I.astype(np.int64), J.astype(np.int64)
        T = sp.csr_matrix((np.ones(m), (np.arange(m), np.arange(m))), shape=(m, m))
        return T, p, q
    k = np.arange(m)
    re, im = kind == 1, kind == 2
    dg = kind == 0
    # two (pair, sign) entries per coordinate
    p1 = np.where(dg | re, I, J)
    q1 = np.where(dg | re, J, n + I)
    s1 = np.ones(m)
    p2 = np.where(dg | re, n + I, I)
    q2 = np.where(dg | re, n + J, n + J)
    s2 = np.where(im, -1.0, 1.0)
    pairs = np.concatenate([p1 * (2 * n) + q1, p2 * (2 * n) + q2])
    uniq, inv = np.unique(pairs, return_inverse=True)
    T = sp.csr_matrix((np.concatenate([s1, s2]), (inv, np.concatenate([k, k]))), shape=(uniq.size, m))
    return T, (uniq // (2 * n)).astype(np.int64), (uniq % (2 * n)).astype(np.int64)


def coords_of(M: np.ndarray, is_complex: bool) -> np.ndarray:
    n = M.shape[0]
    P = coordinate_maps(n, is_complex)[0]
    return np.real(P @ M.ravel())


def matrix_of(coords: np.ndarray, n: int, is_complex: bool) -> np.ndarray:
    E = coordinate_maps(n, is_complex)[1]
    out = (E @ coords).reshape(n, n)
    return out if is_complex else out.real


@dataclasses.dataclass
class FactorBlock:
    """One LMI of the canonical data and its factor (n x rank, complex when ``is_complex``)."""

    index: int
    name: str
    n: int
    is_complex: bool
    rank: int
    variable: bool  # True: "this model variable is PSD", the variable is replaced by L L^H
    K: sp.csr_matrix  # (m, nx): coords(M(x)) = K x + k
    k: np.ndarray
    var_cols: np.ndarray | None  # when ``variable``: x index of each coordinate

    @property
    def m(self) -> int:
        return self.K.shape[0]

    def dual_slack(self, nu: np.ndarray) -> np.ndarray:
        _, E, d, *_ = coordinate_maps(self.n, self.is_complex)
        Z = -(E @ (nu / d)).reshape(self.n, self.n)
        return Z if self.is_complex else Z.real

    def product(self, S: np.ndarray) -> np.ndarray:
        return S @ S.conj().T


def variable_columns(lmi: Any) -> np.ndarray | None:
    """x indices of the coordinates when ``lmi`` is "a variable is PSD" (checked, not assumed), else None."""
    if lmi.variable is None:
        return None
    P = coordinate_maps(lmi.n, lmi.complex)[0]
    K = sp.csr_matrix(np.real(P @ lmi.F))
    K.eliminate_zeros()
    K.sort_indices()
    if np.all(row_lengths(K.indptr) == 1) and np.allclose(K.data, 1.0) and not np.any(np.real(P @ lmi.f)):
        return K.indices.copy()
    return None


def factor_blocks(d: Any, rank: int, slack_rank: int | None) -> list[FactorBlock]:
    blocks = []
    for i, lmi in enumerate(d.lmis):
        P = coordinate_maps(lmi.n, lmi.complex)[0]
        K = sp.csr_matrix(np.real(P @ lmi.F))
        K.eliminate_zeros()
        k = np.real(P @ lmi.f)
        var_cols = variable_columns(lmi)
        is_var = var_cols is not None
        r = min(rank, lmi.n) if is_var else min(slack_rank or lmi.n, lmi.n)
        blocks.append(FactorBlock(i, lmi.name, lmi.n, bool(lmi.complex), max(r, 1), is_var, K, k, var_cols))
    _enough_freedom(d, blocks)
    return blocks


def _enough_freedom(d: Any, blocks: list[FactorBlock]) -> None:
    """Raise low ranks until the factorized problem has fewer equalities than variables.

    Ipopt refuses square-or-worse equality systems (Not_Enough_Degrees_Of_Freedom).
    """
    nx = d.A_eq.shape[1]
    replaced = sum(b.m for b in blocks if b.variable)
    n_eq = int(np.count_nonzero(row_lengths(sp.csr_matrix(d.A_eq).indptr))) + sum(b.m for b in blocks if not b.variable)

    def n_var() -> int:
        return nx - replaced + sum(b.n * b.rank * (2 if b.is_complex else 1) for b in blocks)

    growable = [b for b in blocks if b.variable]
    while n_var() <= n_eq and any(b.rank < b.n for b in growable):
        b = min((b for b in growable if b.rank < b.n), key=lambda b: b.rank)
        b.rank += 1


# -- the Pyomo NLP --------------------------------------------------------------------------------
@dataclasses.dataclass
class FactorNLP:
    model: Any
    nlp: Any
    blocks: list[FactorBlock]
    nx: int
    nf: int
    re_idx: list[np.ndarray]  # per block: factor-vector index of Re S (n x r)
    im_idx: list[np.ndarray | None]
    x_pos: np.ndarray  # NLP primal index of each x coordinate (-1: replaced by a factor, or unused)
    f_pos: np.ndarray  # NLP primal index of each factor entry
    eq_pos: np.ndarray  # NLP constraint index of each canonical equality row (-1: row without variables)
    ineq_pos: np.ndarray
    couple_pos: list[np.ndarray]  # per block: NLP constraint index of each coupling row (empty for variables)


def _factor_layout(blocks: list[FactorBlock]) -> tuple[list[np.ndarray], list[np.ndarray | None], int]:
    re_idx, im_idx, nf = [], [], 0
    for b in blocks:
        size = b.n * b.rank
        re_idx.append(nf + np.arange(size).reshape(b.n, b.rank))
        nf += size
        if b.is_complex:
            im_idx.append(nf + np.arange(size).reshape(b.n, b.rank))
            nf += size
        else:
            im_idx.append(None)
    return re_idx, im_idx, nf


class _RowBuilder:
    """Pyomo expressions ``A[i] @ x + b[i]`` with every PSD variable's coordinates replaced by ``L L^H``.

    The replaced columns of a block go through the sparse map ``A_V @ T^T`` (one product for all rows),
    giving per row the real symmetric form ``l^T H l`` of each factor column ``l``. A form with many
    entries but low rank (an SINR row's ``Re tr(h h^H W)`` is rank 2 over ``[Re l; Im l]``) is written
    as ``sum_j sigma_j (g_j^T l)^2`` instead of entry by entry: 2 squares of 2n-term sums instead of
    2n^2 products, which is what Pyomo's NL writer spends its time on.
    """

    def __init__(self, blocks: list[FactorBlock], re_idx: list[np.ndarray], im_idx: list[np.ndarray | None],
                 xs: list, fv: list, nx: int) -> None:
        self.xs, self.fv = xs, fv
        self.vblocks = []
        keep = np.ones(nx, bool)
        for b, re, im in zip(blocks, re_idx, im_idx):
            if not b.variable:
                continue
            keep[b.var_cols] = False
            T, p, q = quadratic_map(b.n, b.is_complex)
            ell = re if im is None else np.vstack([re, im])  # (n or 2n, rank) factor-vector indices
            self.vblocks.append((b.var_cols, T, p, q, ell))
        self.keep = sp.diags(keep.astype(float))

    def _quadratic_terms(self, coefs: np.ndarray, pairs: np.ndarray, p: np.ndarray, q: np.ndarray,
                         ell: np.ndarray) -> list:
        from pyomo.core.expr.numeric_expr import (LinearExpression, MonomialTermExpression, PowExpression,
                                                  ProductExpression)

        fv = self.fv
        dim, rank = ell.shape
        if coefs.size > 2 * dim:
            H = np.zeros((dim, dim))
            np.add.at(H, (p[pairs], q[pairs]), 0.5 * coefs)
            H = H + H.T
            w, G = np.linalg.eigh(H)
            keep = np.abs(w) > 1e-13 * np.max(np.abs(w))
            if np.count_nonzero(keep) * (dim + 2) < coefs.size:
                terms = []
                for sigma, g in zip(w[keep].tolist(), G[:, keep].T):
                    nz = np.flatnonzero(np.abs(g) > 1e-15)
                    gl = g[nz].tolist()
                    for r in range(rank):
                        lin = LinearExpression(constant=0.0, linear_coefs=gl, linear_vars=[fv[j] for j in ell[nz, r]])
                        terms.append(ProductExpression((sigma, PowExpression((lin, 2)))))
                return terms
        terms = []
        for t, coef in zip(pairs.tolist(), coefs.tolist()):
            for fp, fq in zip(ell[p[t]].tolist(), ell[q[t]].tolist()):
                terms.append(ProductExpression((MonomialTermExpression((coef, fv[fp])), fv[fq])))
        return terms

    def rows(self, A: sp.spmatrix, b: np.ndarray, rows: np.ndarray) -> list:
        from pyomo.core.expr.numeric_expr import LinearExpression, SumExpression

        A = sp.csr_matrix(A)
        lin = sp.csr_matrix(A @ self.keep)
        lin.eliminate_zeros()
        quads = []
        for cols, T, p, q, ell in self.vblocks:
            H = sp.csr_matrix(A[:, cols] @ T.T)
            H.eliminate_zeros()
            quads.append((H, p, q, ell))
        xs = self.xs
        out = []
        for i in rows:
            s, e = lin.indptr[i], lin.indptr[i + 1]
            expr = LinearExpression(constant=float(b[i]), linear_coefs=lin.data[s:e].tolist(),
                                    linear_vars=[xs[j] for j in lin.indices[s:e]])
            terms = []
            for H, p, q, ell in quads:
                hs, he = H.indptr[i], H.indptr[i + 1]
                if he > hs:
                    terms += self._quadratic_terms(H.data[hs:he], H.indices[hs:he], p, q, ell)
            out.append(SumExpression([expr, *terms]) if terms else expr)
        return out


def _slack_rows(b: FactorBlock, re: np.ndarray, im: np.ndarray | None, fv: list) -> list:
    """Pyomo expressions of coords(S S^H) for a slack factor, coordinate by coordinate."""
    from pyomo.core.expr.numeric_expr import ProductExpression, SumExpression

    T, P, Q = quadratic_map(b.n, b.is_complex)
    ell = re if im is None else np.vstack([re, im])
    Tc = sp.csc_matrix(T)
    out = []
    for k in range(b.m):
        s, e = Tc.indptr[k], Tc.indptr[k + 1]
        terms = []
        for t, sign in zip(Tc.indices[s:e].tolist(), Tc.data[s:e].tolist()):
            for fp, fq in zip(ell[P[t]].tolist(), ell[Q[t]].tolist()):
                prod = ProductExpression((fv[fp], fv[fq]))
                terms.append(prod if sign > 0 else -prod)
        out.append(SumExpression(terms))
    return out


def build_factor_nlp(d: Any, nx: int, blocks: list[FactorBlock]) -> FactorNLP:
    """Pyomo model of the factorized problem and its PyNumero NLP (the NL file is written here)."""
    import pyomo.environ as pyo
    from pyomo.contrib.pynumero.interfaces.pyomo_nlp import PyomoNLP

    from isactoolbox.backends.pyomo_linear import nonempty_rows

    m = pyo.ConcreteModel("isactoolbox-factorized")

    def bounds(model: Any, j: int) -> tuple[float | None, float | None]:
        lo, hi = d.lb[j], d.ub[j]
        return (float(lo) if np.isfinite(lo) else None, float(hi) if np.isfinite(hi) else None)

    m.x = pyo.Var(range(nx), bounds=bounds, initialize=0.0)
    xs = [m.x[j] for j in range(nx)]
    re_idx, im_idx, nf = _factor_layout(blocks)
    m.f = pyo.Var(range(nf), initialize=0.0)
    fv = [m.f[j] for j in range(nf)]
    rb = _RowBuilder(blocks, re_idx, im_idx, xs, fv, nx)
    m.obj = pyo.Objective(expr=rb.rows(sp.csr_matrix(d.c.reshape(1, -1)), np.array([d.c0]), np.array([0]))[0],
                          sense=pyo.minimize)
    eq_rows, ineq_rows = nonempty_rows(d.A_eq), nonempty_rows(d.G)
    eq = rb.rows(d.A_eq, d.b_eq, eq_rows)
    ineq = rb.rows(d.G, d.h, ineq_rows)
    m.eq = pyo.Constraint(range(len(eq)), rule=lambda model, i: eq[i] == 0)
    m.ineq = pyo.Constraint(range(len(ineq)), rule=lambda model, i: ineq[i] <= 0)
    m.couple = pyo.Block(range(len(blocks)))
    for bi, (b, re, im) in enumerate(zip(blocks, re_idx, im_idx)):
        if b.variable:
            continue
        linear = rb.rows(b.K, b.k, np.arange(b.m))
        rows = [lp - q for lp, q in zip(linear, _slack_rows(b, re, im, fv))]
        m.couple[bi].c = pyo.Constraint(range(len(rows)), rule=lambda blk, k, rows=rows: rows[k] == 0)
    nlp = PyomoNLP(m)
    vpos = {id(v): i for i, v in enumerate(nlp.get_pyomo_variables())}
    cpos = {id(c): i for i, c in enumerate(nlp.get_pyomo_constraints())}
    x_pos = np.array([vpos.get(id(v), -1) for v in xs], dtype=np.int64)
    f_pos = np.array([vpos.get(id(v), -1) for v in fv], dtype=np.int64)
    eq_pos = np.full(d.A_eq.shape[0], -1, np.int64)
    eq_pos[eq_rows] = [cpos[id(m.eq[i])] for i in range(len(eq_rows))]
    ineq_pos = np.full(d.G.shape[0], -1, np.int64)
    ineq_pos[ineq_rows] = [cpos[id(m.ineq[i])] for i in range(len(ineq_rows))]
    couple_pos = [np.zeros(0, np.int64) if b.variable else
                  np.array([cpos[id(m.couple[bi].c[k])] for k in range(b.m)], dtype=np.int64)
                  for bi, b in enumerate(blocks)]
    return FactorNLP(m, nlp, blocks, nx, nf, re_idx, im_idx, x_pos, f_pos, eq_pos, ineq_pos, couple_pos)


# -- points ---------------------------------------------------------------------------------------
def factors_from_vector(fn: FactorNLP, f: np.ndarray) -> list[np.ndarray]:
    out = []
    for re, im in zip(fn.re_idx, fn.im_idx):
        S = f[re]
        out.append(S + 1j * f[im] if im is not None else S)
    return out


def vector_from_factors(fn: FactorNLP, factors: list[np.ndarray]) -> np.ndarray:
    f = np.zeros(fn.nf)
    for S, re, im in zip(factors, fn.re_idx, fn.im_idx):
        f[re] = S.real
        if im is not None:
            f[im] = S.imag
    return f


def substitute_factors(blocks: list[FactorBlock], x: np.ndarray, factors: list[np.ndarray]) -> np.ndarray:
    """x with each PSD variable's coordinates replaced by those of its exact ``L L^H`` (PSD by construction)."""
    x = x.copy()
    for b, S in zip(blocks, factors):
        if b.variable:
            x[b.var_cols] = coords_of(b.product(S), b.is_complex)
    return x


def initial_factors(d: Any, blocks: list[FactorBlock], x: np.ndarray, rng: np.random.Generator,
                    previous: list[np.ndarray] | None = None) -> tuple[np.ndarray, list[np.ndarray]]:
    """A start: random low-rank factors for PSD variables, slack factors from the eigenvalues of M(x).

    ``previous`` factors (a warm start, possibly of a lower rank) are reused column by column.
    """
    factors = []
    x = x.copy()
    for bi, b in enumerate(blocks):
        if not b.variable:
            continue
        S = (rng.standard_normal((b.n, b.rank)) + (1j * rng.standard_normal((b.n, b.rank)) if b.is_complex else 0))
        S /= np.sqrt(2.0 * b.n * b.rank)
        if previous is not None and previous[bi] is not None:
            P = previous[bi]
            c = min(P.shape[1], b.rank)
            S[:, :c] = P[:, :c]
            S[:, c:] *= 1e-3 * max(np.linalg.norm(P), 1e-3)
        x[b.var_cols] = coords_of(b.product(S), b.is_complex)
        factors.append((bi, S))
    by_block: dict[int, np.ndarray] = dict(factors)
    for bi, b in enumerate(blocks):
        if b.variable:
            continue
        M = matrix_of(b.K @ x + b.k, b.n, b.is_complex)
        if previous is not None and previous[bi] is not None and previous[bi].shape[1] == b.rank:
            by_block[bi] = previous[bi]
            continue
        w, U = np.linalg.eigh(0.5 * (M + M.conj().T))
        floor = 1e-2 * max(1.0, float(np.max(np.abs(w), initial=0.0)))
        S = U * np.sqrt(np.maximum(w, floor))
        by_block[bi] = S[:, ::-1][:, :b.rank]
    return x, [by_block[i] for i in range(len(blocks))]


# -- Ipopt ----------------------------------------------------------------------------------------
IPOPT_STATUS_NAMES = {
    0: "Solve_Succeeded", 1: "Solved_To_Acceptable_Level", 2: "Infeasible_Problem_Detected",
    3: "Search_Direction_Becomes_Too_Small", 4: "Diverging_Iterates", 5: "User_Requested_Stop",
    6: "Feasible_Point_Found", -1: "Maximum_Iterations_Exceeded", -2: "Restoration_Failed",
    -3: "Error_In_Step_Computation", -4: "Maximum_CpuTime_Exceeded", -10: "Not_Enough_Degrees_Of_Freedom",
    -11: "Invalid_Problem_Definition", -12: "Invalid_Option", -13: "Invalid_Number_Detected",
    -100: "Unrecoverable_Exception", -101: "NonIpopt_Exception_Thrown", -102: "Insufficient_Memory",
    -199: "Internal_Error",
}


@dataclasses.dataclass
class IpoptRun:
    x: np.ndarray  # model coordinates as Ipopt left them
    f: np.ndarray  # factor vector
    y: np.ndarray
    z: np.ndarray
    nu: list[np.ndarray]
    status: int
    status_name: str
    iterations: int
    seconds: float
    log: str
    timed_out: bool = False


def run_ipopt(fn: FactorNLP, x0: np.ndarray, f0: np.ndarray, options: dict[str, Any], *,
              verbose: bool = False, deadline: float | None = None, keep_log: bool = False) -> IpoptRun:
    from pyomo.common.tee import capture_output
    from pyomo.contrib.pynumero.interfaces.cyipopt_interface import CyIpoptNLP

    counter = {"iter": 0, "timed_out": False}

    def callback(nlp, alg_mod, iter_count, obj_value, inf_pr, inf_du, mu, d_norm,  # noqa: ANN001
                 regularization_size, alpha_du, alpha_pr, ls_trials) -> bool:
        counter["iter"] = int(iter_count)
        if deadline is not None and time.perf_counter() > deadline:
            counter["timed_out"] = True
            return False
        return True

    nlp = fn.nlp
    start = np.asarray(nlp.init_primals(), dtype=float).copy()
    have = fn.x_pos >= 0
    start[fn.x_pos[have]] = x0[have]
    start[fn.f_pos[fn.f_pos >= 0]] = f0[fn.f_pos >= 0]
    lo, hi = nlp.primals_lb(), nlp.primals_ub()
    start = np.clip(start, lo, hi)
    problem = CyIpoptNLP(nlp, intermediate_callback=callback)
    for key, value in options.items():
        try:
            problem.add_option(key, value)
        except TypeError as exc:
            from isactoolbox.errors import OptionError

            raise OptionError("ipopt_options", f"Ipopt rejected option {key}={value!r} (wrong name or type: "
                              "Ipopt wants floats for real options)", owner="pyomo:ipopt") from exc
    t0 = time.perf_counter()
    buf = io.StringIO()
    if verbose:
        sol, info = problem.solve(start)
    else:
        with capture_output(buf, capture_fd=True):
            sol, info = problem.solve(start)
    seconds = time.perf_counter() - t0
    log = buf.getvalue() if keep_log else ""
    g = np.asarray(info["mult_g"], dtype=float)
    x = x0.copy()
    x[have] = sol[fn.x_pos[have]]
    f = np.zeros(fn.nf)
    f[fn.f_pos >= 0] = sol[fn.f_pos[fn.f_pos >= 0]]

    def pick(pos: np.ndarray) -> np.ndarray:
        v = np.zeros(pos.size)
        v[pos >= 0] = g[pos[pos >= 0]]
        return v

    status = int(info["status"])
    return IpoptRun(x, f, pick(fn.eq_pos), pick(fn.ineq_pos), [pick(p) for p in fn.couple_pos], status,
                    IPOPT_STATUS_NAMES.get(status, str(info.get("status_msg", status))), counter["iter"],
                    seconds, log, counter["timed_out"])


# -- the certified rank loop ----------------------------------------------------------------------
@dataclasses.dataclass
class FactorSettings:
    rank: int = 1
    max_rank: int | None = None
    slack_rank: int | None = None
    max_rounds: int = 8
    cert_tol: float = 1e-6
    feas_tol: float = 1e-6
    ipopt_options: dict[str, Any] = dataclasses.field(default_factory=dict)
    seed: int = 0


@dataclasses.dataclass
class FactorResult:
    status: Any  # isactoolbox.status.Status
    x: np.ndarray | None
    factors: list[np.ndarray] | None
    certificate: dict[str, Any]
    iterations: int
    seconds: float
    raw_status: str
    message: str
    log: str
    fn: FactorNLP | None = None


def prepare(d: Any, nx: int, settings: FactorSettings, *, warm: tuple[np.ndarray, list[np.ndarray]] | None = None,
            ) -> tuple[FactorNLP, np.ndarray, list[np.ndarray], np.random.Generator]:
    """Blocks, start point and the first NLP (the model-building part of a solve)."""
    from isactoolbox.backends.pyomo_linear import start_point

    blocks = factor_blocks(d, settings.rank, settings.slack_rank)
    previous = None
    x0 = start_point(d, nx)
    if warm is not None and len(warm[1]) == len(blocks) and warm[0].size == nx:
        x0, previous = warm[0].copy(), warm[1]
        for b, S in zip(blocks, previous):
            if b.variable and S.shape[0] == b.n:
                b.rank = max(b.rank, S.shape[1])
    rng = np.random.default_rng(settings.seed)
    x0, factors = initial_factors(d, blocks, x0, rng, previous)
    return build_factor_nlp(d, nx, blocks), x0, factors, rng


def _better(new: dict[str, Any], old: dict[str, Any]) -> bool:
    feasible_new = "primal infeasibility" not in new["failed"]
    feasible_old = "primal infeasibility" not in old["failed"]
    if feasible_new != feasible_old:
        return feasible_new
    if feasible_new:
        return new["primal_objective"] <= old["primal_objective"] + 1e-9 * max(1.0, abs(old["primal_objective"]))
    return new["primal_infeasibility"] < old["primal_infeasibility"]


def _grow(blocks: list[FactorBlock], Zs: list[np.ndarray], factors: list[np.ndarray], tol: float,
          cap: int | None) -> list[np.ndarray] | None:
    """One more factor column, along the most negative eigenvector of the dual slack, for each PSD
    variable whose dual slack is not PSD (adding ``t v`` lowers the Lagrangian by ``t^2 |lambda_min|``)."""
    out = list(factors)
    grown = False
    for bi, (b, Z) in enumerate(zip(blocks, Zs)):
        limit = min(b.n, cap) if cap else b.n
        if not b.variable or b.rank >= limit:
            continue
        w, U = np.linalg.eigh(0.5 * (Z + Z.conj().T))
        if w[0] >= -tol * max(1.0, float(np.max(np.abs(w)))):
            continue
        S = factors[bi]
        step = np.sqrt(max(1e-2 * float(np.real(np.trace(S @ S.conj().T))), 1e-6))
        v = U[:, :1] if np.iscomplexobj(S) else U[:, :1].real
        out[bi] = np.hstack([S, step * v])
        b.rank += 1
        grown = True
    return out if grown else None


def solve_factorized(d: Any, nx: int, settings: FactorSettings, *, prepared: tuple | None = None,
                     verbose: bool = False, deadline: float | None = None, keep_log: bool = False,
                     prove: bool = True) -> FactorResult:
    """Solve the canonical problem ``d`` by certified low-rank factorization.

    Loop: Ipopt solve; build the dual candidate from the multipliers; :func:`certify`. Certified ->
    OPTIMAL. Otherwise raise the ranks of PSD variables whose dual slack is not PSD (or perturb the
    factors once when none can grow) and re-solve from the current point, up to ``max_rounds``
    solves; then LOCAL (feasible KKT point without certificate) or INACCURATE. When Ipopt never finds
    a feasible point, a Farkas ray is sought and checked (INFEASIBLE only if it passes); when the
    iterates diverge, a recession direction and a feasible point are sought (UNBOUNDED only if both
    pass). ``prove=False`` skips those (used for the auxiliary problems themselves).
    """
    from isactoolbox.backends.pyomo_certificate import DualCandidate, canonical_residuals, certify, farkas
    from isactoolbox.status import Status

    fn, x0, factors, rng = prepared if prepared is not None else prepare(d, nx, settings)
    blocks = fn.blocks
    tol, feas_tol = settings.cert_tol, settings.feas_tol
    t_start = time.perf_counter()
    rounds: list[dict[str, Any]] = []
    logs: list[str] = []
    iterations = 0
    best: tuple[np.ndarray, list[np.ndarray], dict[str, Any], FactorNLP] | None = None
    status: Any = None
    message = raw = ""
    restarts_left = 1
    diverged = False
    for rnd in range(settings.max_rounds):
        run = run_ipopt(fn, x0, vector_from_factors(fn, factors), settings.ipopt_options, verbose=verbose,
                        deadline=deadline, keep_log=keep_log)
        iterations += run.iterations
        logs.append(run.log)
        raw = run.status_name
        factors = factors_from_vector(fn, run.f)
        x = substitute_factors(blocks, run.x, factors)
        dual = DualCandidate(run.y, run.z, [None if b.variable else b.dual_slack(nu) for b, nu in zip(blocks, run.nu)],
                             [b.var_cols for b in blocks])
        if run.status == 2 and prove:  # locally infeasible: Ipopt's multipliers may already be a Farkas ray
            proof = farkas(d, dual)
            rounds.append({"round": rnd, "ipopt": raw, "ranks": _ranks(blocks), **proof})
            if proof["infeasibility_proven"]:
                return FactorResult(Status.INFEASIBLE, None, None, {"rounds": rounds, **proof}, iterations,
                                    time.perf_counter() - t_start, raw,
                                    "infeasible: Ipopt's multipliers form a checked Farkas ray", "\n".join(logs), fn)
            break
        if run.status == 4:
            diverged = True
            break
        if run.status in (-3, -10, -11, -12, -13, -100, -101, -102, -199):
            message = f"Ipopt stopped: {raw}"
            break
        residual = max(canonical_residuals(d, x).values())
        cert = certify(d, x, dual, primal_residual=residual, tol=tol, feas_tol=feas_tol)
        Zs = cert.pop("dual_slacks")
        cert.update({"ranks": _ranks(blocks), "ipopt": raw})
        rounds.append({"round": rnd, **{k: cert[k] for k in ("ipopt", "ranks", "relative_gap",
                                                              "dual_slack_min_eig_rel", "dual_infeasibility",
                                                              "primal_infeasibility", "failed")}})
        if best is None or cert["certified"] or _better(cert, best[2]):
            best = (x, [S.copy() for S in factors], cert, fn)
        if cert["certified"]:
            status = Status.OPTIMAL
            break
        if run.timed_out or run.status == -4 or (deadline is not None and time.perf_counter() > deadline):
            status, message = Status.TIME_LIMIT, "time limit before a certificate"
            break
        if run.status in (-1, -2, 3) and "primal infeasibility" in cert["failed"]:
            break  # no feasible point: see below
        grown = _grow(blocks, Zs, factors, tol, settings.max_rank)
        if grown is not None:
            factors = grown
            fn = build_factor_nlp(d, nx, blocks)
        elif restarts_left > 0:
            restarts_left -= 1
            factors = [S + 1e-2 * max(1e-3, float(np.linalg.norm(S))) / np.sqrt(S.size)
                       * (rng.standard_normal(S.shape) + (1j * rng.standard_normal(S.shape)
                                                          if np.iscomplexobj(S) else 0)) for S in factors]
        else:
            break
        x0 = x
    seconds = time.perf_counter() - t_start
    log = "\n".join(l for l in logs if l)
    feasible = best is not None and "primal infeasibility" not in best[2]["failed"]
    if prove and diverged:
        proof = _prove_unbounded(d, nx, settings, verbose=verbose, deadline=deadline)
        iterations += proof.pop("iterations")
        seconds = time.perf_counter() - t_start
        if proof["unbounded_direction"] and proof["feasible_point"]:
            return FactorResult(Status.UNBOUNDED, None, None, {"rounds": rounds, **proof}, iterations, seconds, raw,
                                "unbounded: checked recession direction and feasible point", log, fn)
        return FactorResult(Status.SOLVER_ERROR, None, None, {"rounds": rounds, **proof}, iterations, seconds, raw,
                            "Ipopt's iterates diverged and no checked direction of unboundedness was found", log, fn)
    if prove and not feasible and status is not Status.TIME_LIMIT:
        proof = _prove_infeasible(d, settings, verbose=verbose, deadline=deadline)
        iterations += proof.pop("iterations")
        seconds = time.perf_counter() - t_start
        if proof["infeasibility_proven"]:
            return FactorResult(Status.INFEASIBLE, None, None, {"rounds": rounds, **proof}, iterations, seconds,
                                raw, "infeasible: checked Farkas ray (from the factorized dual ray problem)", log, fn)
        message = message or (f"no feasible point found ({raw}); infeasibility not proven "
                              "(the factorized problem is nonconvex)")
    if best is None:
        return FactorResult(Status.SOLVER_ERROR, None, None, {"rounds": rounds}, iterations, seconds, raw,
                            message or f"Ipopt stopped: {raw}", log, fn)
    x, factors, cert, fn = best
    if status is None or (status is Status.OPTIMAL and not cert["certified"]):
        if not feasible:
            status = Status.ITERATION_LIMIT if raw == "Maximum_Iterations_Exceeded" else Status.INACCURATE
        else:
            status = Status.LOCAL
        message = message or ("no certificate of global optimality (" + ", ".join(cert["failed"])
                              + f") after {len(rounds)} Ipopt solve(s)")
    certificate = {k: cert[k] for k in ("certified", "duality_gap", "relative_gap", "dual_bound",
                                        "dual_slack_min_eig", "dual_slack_min_eig_rel", "dual_infeasibility",
                                        "primal_infeasibility", "failed")}
    certificate.update({"rank": max(cert["ranks"].values(), default=0), "ranks": cert["ranks"],
                        "rounds": rounds, "tolerance": tol})
    return FactorResult(status, x, factors, certificate, iterations, seconds, raw, message or "certified", log, fn)


def _ranks(blocks: list[FactorBlock]) -> dict[str, int]:
    return {b.name: b.rank for b in blocks if b.variable}


def _aux_settings(settings: FactorSettings) -> FactorSettings:
    return dataclasses.replace(settings, max_rounds=min(settings.max_rounds, 4))


def _prove_infeasible(d: Any, settings: FactorSettings, *, verbose: bool, deadline: float | None) -> dict[str, Any]:
    from isactoolbox.backends.pyomo_certificate import farkas
    from isactoolbox.backends.pyomo_rays import farkas_problem

    ray_d, unpack = farkas_problem(d)
    res = solve_factorized(ray_d, ray_d.c.size, _aux_settings(settings), verbose=verbose, deadline=deadline,
                           prove=False)
    if res.x is None:
        return {"infeasibility_proven": False, "ray_search": res.raw_status, "iterations": res.iterations}
    proof = farkas(d, unpack(res.x))
    return {**proof, "ray_search": res.raw_status, "iterations": res.iterations}


def _prove_unbounded(d: Any, nx: int, settings: FactorSettings, *, verbose: bool,
                     deadline: float | None) -> dict[str, Any]:
    from isactoolbox.backends.pyomo_certificate import canonical_residuals, primal_ray
    from isactoolbox.backends.pyomo_rays import feasibility_problem, recession_problem

    aux = _aux_settings(settings)
    rec = solve_factorized(recession_problem(d), nx, aux, verbose=verbose, deadline=deadline, prove=False)
    iters = rec.iterations
    out: dict[str, Any] = {"unbounded_direction": False, "feasible_point": False}
    if rec.x is not None:
        out.update(primal_ray(d, rec.x))
    if out["unbounded_direction"]:
        feas = solve_factorized(feasibility_problem(d), nx, aux, verbose=verbose, deadline=deadline, prove=False)
        iters += feas.iterations
        if feas.x is not None:
            res = max(canonical_residuals(d, feas.x).values())
            out["feasible_point"] = res <= settings.feas_tol * max(1.0, float(np.max(np.abs(feas.x))))
            out["feasible_point_residual"] = res
    out["iterations"] = iters
    return out
