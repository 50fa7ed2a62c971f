"""The affine layer: every expression's compiled coefficients must reproduce numpy evaluation."""
import numpy as np
import pytest

from isactoolbox.errors import ModelError
from isactoolbox.modeling import AffineExpression, Model, Parameter, bmat, congruence, inner, trace


def _random_hermitian(rng, n):
    B = rng.normal(size=(n, n)) + 1j * rng.normal(size=(n, n))
    return B + B.conj().T


def _coords_for(var, value, rng):
    """Real coordinates of a variable that reproduce `value` (solve E @ x = vec(value))."""
    E = var.entry_map.toarray()
    x, *_ = np.linalg.lstsq(np.vstack([E.real, E.imag]),
                            np.concatenate([value.ravel().real, value.ravel().imag]), rcond=None)
    assert np.allclose(E @ x, value.ravel())
    return x


def test_expressions_match_numpy_evaluation():
    rng = np.random.default_rng(0)
    m = Model()
    W = m.hermitian("W", 3)
    S = m.symmetric("S", 2)
    t = m.real("t", 3)
    H = m.parameter("H", (3, 3), _random_hermitian(rng, 3), complex=True)
    g = m.parameter("g", (3,), rng.normal(size=3))
    Wv = _random_hermitian(rng, 3)
    Sv = rng.normal(size=(2, 2)); Sv = Sv + Sv.T
    tv = rng.normal(size=(3, 1))
    W.coords, S.coords, t.coords = _coords_for(W, Wv, rng), _coords_for(S, Sv, rng), tv.ravel()
    A = rng.normal(size=(2, 3)) + 1j * rng.normal(size=(2, 3))
    cases = {
        "inner(H, W)": (inner(H, W), np.real(np.trace(H.value.conj().T @ Wv))),
        # a numpy constant takes the one-row fast path; same value as the parameter path
        "inner(const, A W A^H)": (inner(H.value, A.conj().T @ A @ W), np.real(np.trace(H.value.conj().T @ A.conj().T @ A @ Wv))),
        "trace(A W A^H)": (trace(A @ W @ A.conj().T), np.trace(A @ Wv @ A.conj().T)),
        "g * t": (g * t, g.value * tv),
        "W^H indexing": (W.H[0:2, 1:3], Wv.conj().T[0:2, 1:3]),
        "bmat": (bmat([[S, t[0:2]], [t[0:2].T, 2.0]]), np.block([[Sv, tv[0:2]], [tv[0:2].T, np.array([[2.0]])]])),
        "sum real imag": ((W.real + W.imag).sum(), (Wv.real + Wv.imag).sum()),
        "scalar param": (g[1] * trace(S) + 3, g.value[1] * np.trace(Sv) + 3),
        "congruence(A, W)": (congruence(A, W), A @ Wv @ A.conj().T),
        "congruence(A^H, A W A^H)": (congruence(A.conj().T, congruence(A, W)), A.conj().T @ A @ Wv @ A.conj().T @ A),
        "constant column scaling": (np.arange(1.0, 4.0).reshape(3, 1) * t - tv, np.arange(1.0, 4.0).reshape(3, 1) * tv - tv),
    }
    for name, (expr, want) in cases.items():
        assert np.allclose(expr.value(), np.atleast_2d(want).reshape(expr.shape)), name
    # parameters are read at evaluation time
    g.value = np.ones(3)
    assert np.allclose((g * t).value(), tv)


def test_large_maps_take_the_sparse_path_with_the_same_values(monkeypatch):
    """Left maps above the dense-size limit are built with scipy.sparse.kron: same coefficients."""
    import isactoolbox.modeling.expression as ex

    rng = np.random.default_rng(3)
    A = rng.normal(size=(3, 4)) + 1j * rng.normal(size=(3, 4))

    def terms():
        m = Model()
        X = m.hermitian("X", 4)
        return [e.terms[(X.id, None)].toarray() for e in (congruence(A, X), A @ X, X @ A.T)]

    dense = terms()
    monkeypatch.setattr(ex, "_DENSE_MAP_LIMIT", 0)
    for got, want in zip(terms(), dense):
        assert np.allclose(got, want, rtol=0, atol=1e-13)


def test_congruence_refuses_mismatched_shapes():
    m = Model()
    X = m.hermitian("X", 3)
    with pytest.raises(ModelError, match="congruence"):
        congruence(np.ones((2, 4)), X)


def test_compiled_parameter_update_equals_rebuild():
    """Updating a parameter and re-reading the data must give the same canonical data as a fresh model."""
    rng = np.random.default_rng(1)

    def build(value):
        m = Model()
        W = m.hermitian("W", 3, psd=True)
        p = m.parameter("p", (3, 3), value, complex=True)
        s = m.parameter("s", 1, 2.0)
        m.add(inner(p, W) >= 1.0)
        m.add(s * trace(W).real <= 10.0)
        m.add(bmat([[trace(W).real, s], [s, 1.0]]) >> 0)
        m.minimize(trace(W).real)
        return m, p

    v1, v2 = _random_hermitian(rng, 3), _random_hermitian(rng, 3)
    m1, p1 = build(v1)
    c1 = m1.compile()
    c1.data()
    p1.value = v2
    d_updated = c1.data()
    d_fresh = build(v2)[0].compile().data()
    assert np.allclose(d_updated.G.toarray(), d_fresh.G.toarray())
    assert np.allclose(d_updated.h, d_fresh.h)
    for a, b in zip(d_updated.lmis, d_fresh.lmis):
        assert np.allclose(a.F.toarray(), b.F.toarray()) and np.allclose(a.f, b.f)


def test_model_refuses_non_affine_and_malformed_input():
    m = Model()
    x = m.real("x", 2)
    p = m.parameter("p", 2, 1.0)
    q = m.parameter("q", 2, 1.0)
    with pytest.raises(ModelError, match="two expressions with variables"):
        x * x
    with pytest.raises(ModelError, match="two parameters"):
        (p * q) * x
    W = m.hermitian("W", 2)
    with pytest.raises(ModelError, match="complex"):
        m.add(W[0, 1] >= 0)
        m.compile()
    m2 = Model()
    y = m2.real("y", 2)
    m2.add(bmat([[y[0], y[1]], [0.0, y[0]]]) >> 0)
    with pytest.raises(ModelError, match="not symmetric"):
        m2.compile()
    with pytest.raises(ModelError, match="another model"):
        Model().add(y >= 0)
    with pytest.raises(ModelError, match="no truth value"):
        bool(x == 1)
    with pytest.raises(ModelError, match="shape"):
        p.value = np.ones(3)


def test_hermitian_coordinates_are_real_and_complete():
    m = Model()
    W = m.hermitian("W", 4)
    assert W.dim == 16
    E = W.entry_map.toarray()
    # Hermitian for every coordinate vector, and E is injective (rank 16 over the reals)
    x = np.random.default_rng(3).normal(size=16)
    M = (E @ x).reshape(4, 4)
    assert np.allclose(M, M.conj().T)
    assert np.linalg.matrix_rank(np.vstack([E.real, E.imag])) == 16


def test_congruence_lmi_data_is_exactly_hermitian_without_rounding_residue():
    """B^H (T X T^H) B, the network-ISAC CRLB block, leaves rounding residue where the Hermitian
    matrix has exact zeros (its imaginary diagonal); the canonical data must not carry it (on the
    Table II SDP it was 864 entries of ~1e-25 that cost Clarabel sparsity and accuracy)."""
    rng = np.random.default_rng(3)
    n = 8
    h = rng.normal(size=(2, n)) + 1j * rng.normal(size=(2, n))
    w, V = np.linalg.eigh(np.eye(n) + 1e4 * h.T @ h.conj())
    T = (V / np.sqrt(w)) @ V.conj().T  # Hermitian, like the interference preconditioner
    B = rng.normal(size=(n, 2)) + 1j * rng.normal(size=(n, 2))
    m = Model()
    X = m.hermitian("X", n)
    t = m.real("t", 1)
    m.add(B.conj().T @ (T @ X @ T.conj().T) @ B - t * np.diag([0.0, 1.0]) >> 0, name="schur")
    m.minimize(trace(X).real)
    compiled = m.compile()
    lmi = next(l for l in compiled.data().lmis if l.name == "schur")
    F = lmi.F.tocsr()
    big = np.abs(F.data).max()
    assert np.all((F.data.real == 0) | (np.abs(F.data.real) >= 1e-14 * big))
    assert np.all((F.data.imag == 0) | (np.abs(F.data.imag) >= 1e-14 * big))
    assert not np.any(F[[0, 3]].toarray().imag), "imaginary parts of a Hermitian diagonal must be exact zeros"
    assert (F[[0, 2, 1, 3]] - F.conj()).count_nonzero() == 0  # rows (j, i) = conj rows (i, j), exactly
    # and the data still describe the matrix: compare with numpy at a random Hermitian X, t = 0.7
    Xv = _random_hermitian(rng, n)
    xs = np.zeros(compiled.nx)
    xs[compiled.offsets[X.id]:compiled.offsets[X.id] + X.dim] = _coords_for(X, Xv, rng)
    xs[compiled.offsets[t.id]] = 0.7
    d = lmi.scale if lmi.scale is not None else np.ones(2)
    want = np.diag(d) @ (B.conj().T @ T @ Xv @ T.conj().T @ B - 0.7 * np.diag([0.0, 1.0])) @ np.diag(d)
    assert np.allclose((F @ xs + lmi.f).reshape(2, 2), want)


def test_lmi_with_asymmetric_structure_is_symmetrised_on_the_union_of_both_patterns():
    """An LMI Hermitian within tolerance but stored on an asymmetric pattern (a coefficient only above
    the diagonal) compiles to (M + M^T) / 2 on the union pattern, compared with numpy on the matrix."""
    m = Model()
    y = m.real("y", 2)
    tiny = 1e-10  # asymmetry below the 1e-9 relative Hermitian tolerance, above the 1e-14 residue
    M = bmat([[y[0] + 2.0, y[1] + tiny], [y[1], 3.0 * y[0]]])
    m.add(M >> 0)
    d = m.compile().data()
    lmi = d.lmis[0]
    x = np.array([0.7, -0.4])
    mat = np.array([[x[0] + 2.0, x[1] + tiny], [x[1], 3.0 * x[0]]])
    D = np.diag(lmi.scale)
    got = (lmi.F @ x + lmi.f).reshape(2, 2)
    np.testing.assert_allclose(got, D @ (0.5 * (mat + mat.T)) @ D, rtol=0, atol=1e-15)
    assert got[0, 1] == got[1, 0]
    # the equilibration makes each diagonal entry's largest coefficient 1: y0 + 2 -> 2, 3 y0 -> 3
    np.testing.assert_allclose(lmi.scale, 1.0 / np.sqrt([2.0, 3.0]))


def test_lmi_equilibration_scales_by_each_diagonal_entrys_largest_coefficient():
    """d_i = 1 / sqrt(largest |coefficient| of entry (i, i)), 1 where that entry is empty, read from
    the coefficient matrix entry by entry (a 3 x 3 LMI: an empty middle diagonal, the last row not
    a diagonal one)."""
    m = Model()
    y = m.real("y", 3)
    M = bmat([[4.0 * y[0] - 9.0, y[1], 0.5 * y[2]], [y[1], 0.0, 0.0], [0.5 * y[2], 0.0, 0.25 * y[2] + 0.01]])
    m.add(M >> 0)
    lmi = m.compile().data().lmis[0]
    rows = lmi.F.toarray()
    coefficients = np.hstack([rows, lmi.f[:, None]])
    D = np.diag(lmi.scale)
    largest = [np.abs(coefficients[i * 3 + i] / lmi.scale[i] ** 2).max() for i in range(3)]
    want = [1.0 / np.sqrt(c) if c > 0 else 1.0 for c in largest]
    np.testing.assert_allclose(lmi.scale, want, rtol=1e-14)
    np.testing.assert_allclose(lmi.scale, [1 / 3.0, 1.0, 2.0], rtol=1e-14)
    x = np.array([0.3, -1.2, 0.8])
    value = np.array([[4 * x[0] - 9, x[1], 0.5 * x[2]], [x[1], 0, 0], [0.5 * x[2], 0, 0.25 * x[2] + 0.01]])
    np.testing.assert_allclose((rows @ x + lmi.f).reshape(3, 3), D @ value @ D, rtol=0, atol=1e-14)


def test_two_sided_constraints_compile_to_lhs_minus_rhs_with_scalar_sides_broadcast():
    """Each constraint keeps both sides; the compiled rows must equal lhs - rhs evaluated side by side
    (numpy on each side's value), a 1 x 1 side repeated over the other's entries."""
    rng = np.random.default_rng(11)
    m = Model()
    x = m.real("x", 3)
    y = m.real("y", 3)
    g = m.parameter("g", 1, 2.0)
    S = m.symmetric("S", 2)
    cons = [  # (constraint, p, q): its rows are p - q (<= 0 or == 0)
        (x >= y + 1.0, y + 1.0, x),          # both sides with variables
        (x[0] + 2.0 <= y, x[0] + 2.0, y),    # a scalar left side against a vector
        (g * x == 3.0, g * x, 3.0),          # a parameter product against a scalar
        (x.sum() >= g, g, x.sum()),
    ]
    for c, _, _ in cons:
        m.add(c)
    m.add(S << 2.0 * np.eye(2))            # 2I - S >> 0
    m.minimize(x.sum())
    compiled = m.compile()
    xv, yv = rng.normal(size=3), rng.normal(size=3)
    Sv = rng.normal(size=(2, 2)); Sv = Sv + Sv.T
    x.coords, y.coords = xv, yv
    S.coords = np.array([Sv[0, 0], Sv[0, 1], Sv[1, 1]])
    d = compiled.data()
    point = np.concatenate([xv, yv, S.coords])

    def value(side):
        if isinstance(side, Parameter):
            return side.value.ravel()
        return side.value().ravel() if isinstance(side, AffineExpression) else np.atleast_1d(float(side))

    want = [value(p) - value(q) for _, p, q in cons]  # numpy broadcasts a scalar side
    eq_rows = np.concatenate([w for (c, _, _), w in zip(cons, want) if c.sense == "=="])
    le_rows = np.concatenate([w for (c, _, _), w in zip(cons, want) if c.sense == "<="])
    np.testing.assert_allclose(d.A_eq @ point + d.b_eq, d.eq_scale * eq_rows, atol=1e-12)
    np.testing.assert_allclose(d.G @ point + d.h, d.ineq_scale * le_rows, atol=1e-12)
    lmi = d.lmis[-1]
    D = np.diag(lmi.scale)
    np.testing.assert_allclose((lmi.F @ point + lmi.f).reshape(2, 2), D @ (2 * np.eye(2) - Sv) @ D, atol=1e-12)
    assert cons[1][0].shape == (3, 1) and cons[1][0].expr.shape == (3, 1)
