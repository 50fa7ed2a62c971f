import pytest

from isactoolbox.testing import backend_checks


@pytest.mark.parametrize("check", [pytest.param(run, id=name) for name, run in backend_checks("clarabel:clarabel")])
def test_clarabel_conformance(check):
    check()
