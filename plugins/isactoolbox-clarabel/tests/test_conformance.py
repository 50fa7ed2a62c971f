import pytest

from isactoolbox.testing import backend_checks


@pytest.mark.parametrize("check", [pytest.param(run, id=name) for name, run in backend_checks("clarabel:clarabel")])
def test_clarabel_conformance(check):
    check()


def test_max_threads_is_validated_and_reaches_clarabel():
    from isactoolbox.core.backend import get_backend
    from isactoolbox.errors import OptionError
    from isactoolbox.modeling import Model, trace

    with pytest.raises(OptionError, match="max_threads"):
        get_backend("clarabel", max_threads=-1)
    m = Model()
    X = m.symmetric("X", 2)
    m.add(X >> 0)
    m.add(trace(X) == 1.0)
    m.minimize(X[0, 0])
    be = get_backend("clarabel", max_threads=2)
    assert be.solve(m.compile()).objective == pytest.approx(0.0, abs=1e-6)
    assert be._prepared[2]["settings"].max_threads == 2
