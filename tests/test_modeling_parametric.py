"""Parameter matrices times variables, coordinates, compiled-model instances, and the CSR helpers
they are built from: each checked against numpy evaluation or scipy's own constructors."""
import numpy as np
import pytest
import scipy.sparse as sp

from isactoolbox.core.backend import get_backend
from isactoolbox.errors import ModelError
from isactoolbox.modeling import Model, bmat, trace
from isactoolbox.modeling.csr import csr_from_arrays, csr_from_triplets, dense_to_csr
from isactoolbox.modeling.expression import _rowwise_kron, _sum_rows, _take_rows


def _hermitian(rng, n):
    B = rng.normal(size=(n, n)) + 1j * rng.normal(size=(n, n))
    return B + B.conj().T


def test_coordinates_map_to_the_entries_through_the_entry_map():
    rng = np.random.default_rng(3)
    m = Model()
    for X in (m.hermitian("H", 3), m.symmetric("S", 3), m.real("r", (2, 2))):
        X.coords = rng.normal(size=X.dim)
        assert X.coordinates.shape == (X.dim, 1)
        assert np.allclose(X.coordinates.value().ravel(), X.coords)
        assert np.allclose((X.entry_map @ X.coords).reshape(X.shape), X.value())


def test_parameter_matrix_times_variables_matches_numpy_before_and_after_an_update():
    rng = np.random.default_rng(4)
    m = Model()
    H = m.hermitian("H", 3)
    x = m.real("x", (4, 2))
    P = m.parameter("P", (5, H.dim), rng.normal(size=(5, H.dim)))
    S = m.symmetric("S", 4)
    Q = m.parameter("Q", (3, 4), rng.normal(size=(3, 4)) + 1j * rng.normal(size=(3, 4)), complex=True)
    R = m.parameter("R", (3, 4), rng.normal(size=(3, 4)))
    H.coords, x.coords, S.coords = rng.normal(size=H.dim), rng.normal(size=8), rng.normal(size=S.dim)
    xv = x.coords.reshape(4, 2)
    cases = {
        "P @ H.coordinates": (lambda: P @ H.coordinates, lambda: P.value @ H.coords[:, None]),
        # one coefficient per product (real parameter, one coordinate per entry), several columns
        "R @ x": (lambda: R @ x, lambda: R.value @ xv),
        "R @ S": (lambda: R @ S, lambda: R.value @ S.value()),
        "Q @ (x + 1)": (lambda: Q @ (x + 1.0), lambda: Q.value @ (xv + 1.0)),
        "Q @ x, real part": (lambda: (Q @ x).real, lambda: (Q.value @ xv).real),
    }
    for name, (expr, want) in cases.items():
        e = expr()
        assert np.allclose(e.value(), want()), name
        P.value = rng.normal(size=P.shape)
        Q.value = rng.normal(size=Q.shape) + 1j * rng.normal(size=Q.shape)
        R.value = rng.normal(size=R.shape)
        assert np.allclose(e.value(), want()), name + " after the update"


def test_parameter_times_variables_compiles_and_updates_like_a_rebuilt_constant_model():
    """The canonical data of ``mat(P @ X.coordinates) >> 0`` after an update equal those of a model
    built with P's new value as a constant map (an independent construction)."""
    rng = np.random.default_rng(5)
    n = 3

    def model(P_value, parametric):
        m = Model()
        X = m.hermitian("X", 2, psd=True)
        if parametric:
            P = m.parameter("P", (n * n, X.dim), np.zeros((n * n, X.dim)))
            F = (P @ X.coordinates).reshape((n, n))
        else:
            P, F = None, ((P_value @ np.linalg.pinv(X.entry_map.toarray())) @ X.reshape((4, 1))).real.reshape((n, n))
        m.add(bmat([[F, np.ones((n, 1))], [np.ones((1, n)), 1.0]]) >> 0, name="schur")
        m.minimize(trace(X).real)
        return m.compile(), P

    B = rng.normal(size=(n * n, 4))
    # rows (a, b) and (b, a) equal, so mat(P x) is symmetric for every x
    P_value = (B.reshape(n, n, 4) + B.reshape(n, n, 4).transpose(1, 0, 2)).reshape(n * n, 4)
    compiled, P = model(P_value, True)
    compiled.data()
    P.value = P_value
    got, want = compiled.data(), model(P_value, False)[0].data()
    for a, b in zip(got.lmis, want.lmis):
        assert np.allclose(a.F.toarray(), b.F.toarray(), atol=1e-12) and np.allclose(a.f, b.f)
    with pytest.raises(ModelError, match="free of variables"):
        compiled.variables[0].coordinates @ compiled.variables[0].coordinates.T


def test_instances_share_the_structure_but_not_the_parameter_values():
    """Two instances of one compiled LP solve their own problems (closed form: min c x, x >= b)."""
    m = Model("lp")
    x = m.real("x", 2)
    b = m.parameter("b", 2, value=1.0)
    m.add(x >= b)
    m.minimize(x.sum())
    template = m.compile()
    one, two = template.instance(), template.instance()
    one.parameter("b").value = [1.0, 2.0]
    two.parameter("b").value = [3.0, -1.0]
    assert one.version != two.version != template.version
    backend = get_backend("cvxopt")
    # interleaved data reads: each instance's block values are its own (rows -x + b <= 0, equilibrated)
    for inst, b_value in ((one, [1.0, 2.0]), (two, [3.0, -1.0]), (one, [1.0, 2.0])):
        d = inst.data()
        assert np.allclose(d.h / d.ineq_scale, b_value)
    s1, s2 = backend.solve(one), backend.solve(two)
    assert np.allclose(s1.value(one.variables[0]).ravel(), [1.0, 2.0], atol=1e-6)
    assert np.allclose(s2.value(two.variables[0]).ravel(), [3.0, -1.0], atol=1e-6)
    assert s1.objective == pytest.approx(3.0, abs=1e-6) and s2.objective == pytest.approx(2.0, abs=1e-6)
    assert np.allclose(template.parameter("b").value.ravel(), [1.0, 1.0])  # the template is untouched
    with pytest.raises(ModelError, match="no parameter 'c'"):
        one.parameter("c")


def test_csr_helpers_equal_scipy_constructions():
    rng = np.random.default_rng(6)
    D = rng.normal(size=(7, 5)) * (rng.random((7, 5)) < 0.5)
    for dense in (D, rng.normal(size=(4, 3)), D.astype(complex) * 1j):
        got = dense_to_csr(dense)
        assert got.indices.dtype == np.int32 and np.array_equal(got.toarray(), dense)
        assert got.nnz == np.count_nonzero(dense)
    coo = sp.coo_matrix(D)
    order = rng.permutation(coo.nnz)
    got = csr_from_triplets(coo.row[order], coo.col[order], coo.data[order], D.shape)
    assert got.has_sorted_indices and np.array_equal(got.toarray(), D)
    ref = sp.csr_matrix(D)
    assert np.array_equal(csr_from_arrays(ref.data, ref.indices.astype(np.int64), ref.indptr.astype(np.int64),
                                          ref.shape).toarray(), D)


def test_assembled_csr_is_the_object_scipys_constructor_builds():
    """csr_from_arrays sets the arrays on the matrix itself (no constructor): the result must have the
    constructor's attributes, 32-bit contiguous indices (also from a strided 64-bit indptr), and
    behave the same in products, slicing, arithmetic and format queries."""
    rng = np.random.default_rng(8)
    D = rng.normal(size=(9, 6)) * (rng.random((9, 6)) < 0.4)
    ref = sp.csr_matrix(D)
    wide = np.repeat(ref.indptr.astype(np.int64), 2)  # a strided view [::2] gives the row pointers back
    got = csr_from_arrays(ref.data.copy(), ref.indices.astype(np.int64), wide[::2], ref.shape)
    made = sp.csr_matrix((ref.data.copy(), ref.indices, ref.indptr), shape=ref.shape)
    assert type(got) is type(made) and vars(got).keys() == vars(made).keys()
    assert got.indices.dtype == got.indptr.dtype == np.int32
    assert got.indices.flags.c_contiguous and got.indptr.flags.c_contiguous
    x = rng.normal(size=6)
    np.testing.assert_array_equal(got @ x, D @ x)
    np.testing.assert_array_equal((got.T @ got).toarray(), (made.T @ made).toarray())
    np.testing.assert_array_equal(got[[2, 0, 5]].toarray(), D[[2, 0, 5]])
    np.testing.assert_array_equal((got - 2 * made).toarray(), -D)
    assert got.has_sorted_indices and got.has_canonical_format and got.nnz == made.nnz
    assert repr(got) == repr(made)
    # inconsistent arrays are not assembled: scipy's constructor sees them and refuses
    with pytest.raises(ValueError):
        csr_from_arrays(ref.data, ref.indices, ref.indptr[:-1], ref.shape)


def test_row_helpers_equal_dense_evaluation():
    a = sp.random(6, 4, density=0.5, random_state=1, format="csr")
    b = sp.random(6, 3, density=0.6, random_state=2, format="csr") * (1 + 2j)
    K = _rowwise_kron(a, b).toarray()
    for i in range(6):
        assert np.allclose(K[i], np.kron(a.toarray()[i], b.toarray()[i]))
    rows = np.array([4, 0, 4, 2])
    assert np.array_equal(_take_rows(b, rows).toarray(), b.toarray()[rows])
    assert np.allclose(_sum_rows(b, rows).toarray(), b.toarray()[rows].sum(axis=0))
    assert np.allclose(_sum_rows(a).toarray(), a.toarray().sum(axis=0))


def test_parametric_lmi_is_checked_hermitian_at_the_values_it_is_solved_with():
    """A parameter value that makes an LMI asymmetric is refused when the data are built (and so by
    every backend's solve), not silently symmetrised; a symmetric value after it is accepted again."""
    m = Model()
    y = m.real("y", 2)
    p = m.parameter("p", 1, value=1.0)
    m.add(bmat([[y[0], p * y[1]], [y[1], y[0] + 1.0]]) >> 0, name="lmi")
    m.minimize(y[0])
    compiled = m.compile()
    assert compiled.data().lmis[0].n == 2
    p.value = 2.0
    with pytest.raises(ModelError, match="'lmi' is not symmetric/Hermitian at the current parameter values"):
        compiled.data()
    with pytest.raises(ModelError, match="not symmetric"):
        get_backend("cvxopt").solve(compiled)
    p.value = 1.0
    assert compiled.data().lmis[0].n == 2


def test_parameter_values_are_read_only_and_instances_share_them_until_set():
    """A change in place would bypass the version (stale compiled data), so values are read-only; an
    instance starts from its template's values and gets its own on the first update."""
    m = Model()
    x = m.real("x", 2)
    p = m.parameter("p", 2, value=[1.0, 2.0])
    m.add(p.T @ x <= 1.0)
    compiled = m.compile()
    with pytest.raises(ValueError):
        p.value[0, 0] = 5.0
    twin = compiled.instance()
    assert twin.version != compiled.version
    twin.parameter("p").value = [3.0, 4.0]
    assert np.array_equal(p.value.ravel(), [1.0, 2.0])
    assert np.array_equal(twin.parameter("p").value.ravel(), [3.0, 4.0])


def test_scalar_parameter_values_fill_every_entry_and_are_checked():
    """A scalar sets every entry (checked once); arrays of another size and non-finite or complex
    values for a real parameter are refused by name."""
    m = Model()
    p = m.parameter("p", (2, 3), value=1.5)
    assert p.value.shape == (2, 3) and np.all(p.value == 1.5) and p.value.dtype == np.float64
    p.value = 2
    assert np.all(p.value == 2.0) and p.value.dtype == np.float64
    p.value = 3.0 + 0.0j  # real in value: accepted, stored real
    assert np.all(p.value == 3.0) and p.value.dtype == np.float64
    for bad, match in ((np.inf, "'p' must be finite"), (1.0 + 1.0j, "'p' is real"),
                       (np.ones(4), r"'p' has shape \(2, 3\)")):
        with pytest.raises(ModelError, match=match):
            p.value = bad
    assert np.all(p.value == 3.0)  # a refused value leaves the old one
    q = m.parameter("q", 2, value=1.0 + 2.0j, complex=True)
    assert np.all(q.value == 1.0 + 2.0j) and q.value.dtype == np.complex128


def test_block_keys_are_32_bits_when_they_fit_and_64_when_not():
    """_Block packs (row, column) into one key; it must widen before the product overflows 32 bits."""
    from isactoolbox.modeling.model import _Block

    for nrows, nx, wide in ((40, 7, False), (2**20, 4096, True)):  # 2**20 * 4097 > 2**31
        rows = np.array([nrows - 1, 3, 3], dtype=np.int32)
        cols = np.array([nx - 1, 5, 2], dtype=np.int32)
        block = _Block(rows, cols, np.array([1, 0, 1], dtype=np.int32), np.array([2.0, 3.0, 4.0]), nrows, nx, npar=1)
        assert block.key.dtype == (np.int64 if wide else np.int32)
        assert list(block.row) == [3, 3, nrows - 1] and list(block.col) == [2, 5, nx - 1]
        assert list(block.key) == [3 * (nx + 1) + 2, 3 * (nx + 1) + 5, (nrows - 1) * (nx + 1) + nx - 1]
        assert block.indptr[3] == 0 and block.indptr[4] == 2 and block.indptr[-2] == 2 and block.indptr[-1] == 3
        # parameter coordinate 0 is p = 10, coordinate 1 (= npar) the constant 1
        assert list(block.values(np.array([10.0, 1.0]), (0,))) == [4.0, 30.0, 2.0]


def test_constant_times_parameter_does_not_alias_the_constant():
    """``L @ p`` keeps its own copy of L: changing the caller's array afterwards changes nothing."""
    m = Model()
    p = m.parameter("p", 2, value=[1.0, 2.0])
    L = np.array([[1.0, 0.0], [0.0, 3.0], [1.0, 1.0]])
    e = L @ p
    L[:] = 7.0
    np.testing.assert_array_equal(e.evaluate({}, {p.id: p.coordinates()}).ravel(), [1.0, 6.0, 3.0])
    p.value = [2.0, 0.0]
    np.testing.assert_array_equal(e.evaluate({}, {p.id: p.coordinates()}).ravel(), [2.0, 0.0, 2.0])


def test_merging_short_runs_into_a_dominant_run_equals_a_stable_sort():
    """_stable_sorted places the few entries outside a block's longest sorted run by binary search;
    numpy's stable argsort is the reference, equal keys (summed later) included, entries before
    and after the run included."""
    from isactoolbox.modeling import model as mm

    rng = np.random.default_rng(7)
    merged = 0
    for trial in range(200):
        run = np.sort(rng.integers(0, 40 if trial % 2 else 10**6, rng.integers(mm._MERGE_FROM, 3000)))
        before, after = rng.integers(0, 10**6, rng.integers(0, 4)), rng.integers(0, 10**6, rng.integers(0, 30))
        if trial % 2:  # small key range: many keys of the short runs equal keys of the run
            before, after = before % 40, after % 40
        key = np.concatenate([before, run, np.sort(after)]).astype(np.int32)
        position = np.arange(key.size)
        got = mm._stable_sorted(key, position, position * 0.5)
        order = key.argsort(kind="stable")
        for g, expected in zip(got, (key[order], position[order], position[order] * 0.5)):
            np.testing.assert_array_equal(g, expected)
            assert g.dtype == expected.dtype
        merged += key.size - run.size <= mm._FEW_MERGED
    assert merged > 100  # the merge path, not only the sort, was checked


def test_lmi_block_of_a_parametric_map_and_epigraph_entries_compiles_as_with_a_full_sort(monkeypatch):
    """An LMI as the BPMS programs write it (a parametric map beside a few epigraph entries) gives
    the same compiled block whether its triplets are merged or sorted outright."""
    from isactoolbox.modeling import model as mm

    def block(merge: bool) -> tuple["mm._Block", "mm.CompiledModel"]:
        if not merge:  # every block sorted outright
            monkeypatch.setattr(mm, "_MERGE_FROM", 10**9)
        m = Model()
        X = m.hermitian("X", 4, psd=True)
        R = np.random.default_rng(0).standard_normal((X.dim, 36, 36))
        A = m.parameter("A", (36 * 36, X.dim), value=(R + R.transpose(0, 2, 1)).reshape(X.dim, -1).T)  # symmetric
        T = m.symmetric("T", 2)
        s = m.parameter("s", 2, value=1.0)
        select = np.zeros((38 * 38, 2))
        select[[36, 38 + 37], [0, 1]] = 1.0
        select[[36 * 38, 37 * 38 + 1], [0, 1]] = 1.0
        F = (A @ X.coordinates).reshape((36, 36))
        m.add(bmat([[F, None], [None, T]]) + (select @ s).reshape((38, 38)) >> 0, name="schur")
        m.minimize(trace(T))
        compiled = m.compile()
        return next(b for name, _, b, _ in compiled._lmis if name == "schur"), compiled

    (merged, cm), (sorted_, cs) = block(True), block(False)
    assert merged.size > 1024
    for attr in ("key", "row", "col", "indptr", "_par", "_coef"):
        np.testing.assert_array_equal(getattr(merged, attr), getattr(sorted_, attr))
    for a, b in zip(cm.data().lmis, cs.data().lmis):
        np.testing.assert_array_equal(a.F.toarray(), b.F.toarray())
