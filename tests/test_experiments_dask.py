"""The Dask executor: a real local cluster (two worker processes) behind a dask:// address."""
import os

import pytest

from isactoolbox.experiments import ResultStore, SweepSpec, run_sweep
from isactoolbox.experiments.executors import DaskExecutor, executor_from_spec

distributed = pytest.importorskip(
    "distributed", reason="dask.distributed is not installed: pip install 'isactoolbox[dask]'")

SPEC = SweepSpec.from_dict({"name": "dask-budget", "kind": "isal", "fixed": {"n_anchors": 3},
                            "grid": {"energy_budget": [0.5, 2.0]}, "seeds": [0, 1, 2],
                            "strategies": ["integrated"], "backends": ["picos:cvxopt"]})


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as c:
        yield c


def test_a_sweep_through_a_dask_address_lands_in_the_same_store(cluster, tmp_path):
    store = tmp_path / "r.sqlite"
    # part of the sweep here, the rest on the cluster: one store, nothing computed twice
    first = run_sweep(SPEC, store, "serial", progress=False, max_points=2)
    address = "dask://" + cluster.scheduler_address.split("://", 1)[1]
    second = run_sweep(SPEC, store, address, progress=False)
    assert second.executor == address
    assert (second.skipped, second.computed, second.failed, second.complete) == (2, 4, 0, True)
    assert not set(first.computed_keys) & set(second.computed_keys)

    reference = tmp_path / "serial.sqlite"
    run_sweep(SPEC, reference, "serial", progress=False)
    with ResultStore(store) as st, ResultStore(reference) as ref:
        rows, ref_rows = st.to_rows("dask-budget"), ref.to_rows("dask-budget")
        assert all(r["runs"] == 1 for r in rows)
        on_cluster = {r["worker"] for r in rows if r["key"] in second.computed_keys}
    assert [r["key"] for r in rows] == [r["key"] for r in ref_rows]
    for r, q in zip(rows, ref_rows):
        assert r["status"] == q["status"] == "optimal"
        assert r["objective"] == pytest.approx(q["objective"], rel=1e-9)
    # the points really ran in the cluster's worker processes
    with distributed.Client(cluster) as client:
        worker_pids = {str(pid) for pid in client.run(os.getpid).values()}
    assert {w.rsplit(":", 1)[1] for w in on_cluster} <= worker_pids


def test_dask_addresses(cluster):
    with executor_from_spec("dask://" + cluster.scheduler_address.split("://", 1)[1]) as ex:
        assert isinstance(ex, DaskExecutor) and ex.name.startswith("dask://127.0.0.1:")
        assert list(ex.run(abs, [-3])) == [(-3, 3, None)]
