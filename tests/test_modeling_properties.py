"""Property test: the compiled canonical data (offsets, parameter maps) reproduce direct evaluation of
the expression terms at random points and random parameter values."""
import numpy as np
from hypothesis import given, settings, strategies as st

from isactoolbox.modeling import Model, bmat, inner, trace


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 4), seed=st.integers(0, 10_000), complex_data=st.booleans())
def test_compiled_rows_equal_direct_evaluation(n, seed, complex_data):
    rng = np.random.default_rng(seed)
    m = Model()
    W = m.hermitian("W", n, psd=True)
    S = m.symmetric("S", n)
    t = m.real("t", 2)
    C = rng.normal(size=(n, n)) + (1j * rng.normal(size=(n, n)) if complex_data else 0)
    C = C + C.conj().T
    P = m.parameter("P", (n, n), C, complex=complex_data)
    g = m.parameter("g", 1, rng.normal())
    ineq = [inner(P, W) + g * t[0] - 1.0, trace(S) - t[1], g * (S[0, 0] + 2 * t[1])]
    for e in ineq:
        m.add(e <= 0)
    lmi = bmat([[W + (g * t[0]) * np.eye(n), C @ S], [S @ C.conj().T, t[1] * np.eye(n)]])
    m.add(lmi >> 0)
    m.minimize(trace(W).real - g * t.sum())
    compiled = m.compile()
    for _ in range(2):  # before and after a parameter update
        x = rng.normal(size=compiled.nx)
        compiled.assign(x)
        d = compiled.data()
        direct = np.concatenate([e.value().ravel() for e in ineq])
        # rows and LMIs are equilibrated (positive row factors, congruence D M D): undo it
        assert np.all(d.ineq_scale > 0)
        assert np.allclose(d.G @ x + d.h, d.ineq_scale * direct)
        lmi_data = d.lmis[-1]
        D = np.diag(lmi_data.scale)
        assert np.allclose((lmi_data.F @ x + lmi_data.f).reshape(2 * n, 2 * n), D @ lmi.value() @ D)
        assert np.isclose(d.c @ x + d.c0, (trace(W).real - g * t.sum()).value()[0, 0])
        g.value = rng.normal()
        B = rng.normal(size=(n, n)) + (1j * rng.normal(size=(n, n)) if complex_data else 0)
        P.value = B + B.conj().T
