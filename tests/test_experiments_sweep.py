"""Sweeps: specs are validated by field, keys are stable, resumed sweeps compute nothing twice."""
import json
import subprocess
import sys

import pytest

from isactoolbox.errors import OptionError, UnknownPluginError, ValidationError
from isactoolbox.experiments import LocalExecutor, ResultStore, SerialExecutor, SweepSpec, run_sweep
from isactoolbox.experiments.store import ERROR
from isactoolbox.experiments.sweep import point_key
from isactoolbox.isal.strategies.integrated import Integrated
from isactoolbox.registry import registry

# ISAL "integrated" is one small SDP per point (tens of ms): real solves, cheap sweeps.
ISAL = {"name": "isal-budget", "kind": "isal", "fixed": {"n_anchors": 3},
        "grid": {"energy_budget": [0.5, 2.0]}, "seeds": {"start": 0, "count": 3},
        "strategies": ["integrated"], "backends": ["cvxopt"]}


def spec(**changes):
    return SweepSpec.from_dict({**ISAL, **changes})


# -- spec validation --------------------------------------------------------------------------------
@pytest.mark.parametrize("changes, field", [
    ({"colour": "red"}, "colour"),
    ({"grid": {"energy_budge": [1.0]}}, "grid.energy_budge"),
    ({"fixed": {"n_anchors": 3, "seed": 1}}, "fixed.seed"),
    ({"grid": {"n_anchors": [2, 3]}}, "grid.n_anchors"),            # also fixed
    ({"grid": {"energy_budget": []}}, "grid.energy_budget"),
    ({"seeds": [0, 1, 1]}, "seeds"),
    ({"seeds": {"start": 0, "count": -2}}, "seeds.count"),
    ({"strategies": [{"name": "integrated", "options": {"causal": "yes"}}]}, "strategies[0].options.causal"),
    ({"strategies": [{"name": "integrated", "grid": {"slots": ["joint", "diagonal"]}}]}, "strategies[0].grid.slots"),
    ({"strategies": [{"name": "integrated", "colour": 1}]}, "strategies[0].colour"),
    ({"strategies": ["apa"]}, "strategies[0].name"),                  # a bistatic-monostatic strategy
    ({"strategies": ["integrated", "integrated"]}, "strategies"),     # same label twice
    ({"backends": ["nosuchfamily:x"]}, "backends[0]"),
    ({"strategies": []}, "strategies"),
])
def test_bad_specs_name_the_field(changes, field):
    with pytest.raises((ValidationError, OptionError)) as info:
        spec(**changes)
    assert info.value.field == field, str(info.value)
    assert field in str(info.value)


def test_unknown_kind_and_strategy_are_plugin_errors():
    with pytest.raises(UnknownPluginError, match="no-such-kind"):
        spec(kind="no-such-kind")
    with pytest.raises(UnknownPluginError, match="no-such-strategy"):
        spec(strategies=["no-such-strategy"])


def test_spec_file_round_trip_keeps_the_points(tmp_path):
    path = tmp_path / "budget.json"
    path.write_text(json.dumps({k: v for k, v in ISAL.items() if k != "name"}))
    loaded = SweepSpec.load(path)
    assert loaded.name == "budget"                                    # from the file name
    again = SweepSpec.from_dict(loaded.to_dict())
    assert again.keys() == loaded.keys() and len(loaded) == 6


# -- keys ------------------------------------------------------------------------------------------
def test_keys_are_canonical():
    base = spec()
    assert len(set(base.keys())) == len(base) == 6
    # 2 and 2.0 are one value; an option given at its default is the point run without it
    assert spec(grid={"energy_budget": [0.5, 2]}).keys() == base.keys()
    assert spec(strategies=[{"name": "integrated", "options": {"causal": True}, "label": "integrated"}]).keys() \
        == base.keys()
    # moving a one-value grid parameter into "fixed" does not change what is computed
    fixed = spec(fixed={"n_anchors": 3, "energy_budget": 0.5}, grid={})
    assert fixed.keys() == [k for p, k in zip(base.points(), base.keys()) if p.params["energy_budget"] == 0.5]
    # a default backend is the strategy's default, named
    assert spec(backends=[None]).keys() == base.keys()
    # anything that changes the outcome changes the key
    assert not set(spec(strategies=[{"name": "integrated", "options": {"causal": False}}]).keys()) & set(base.keys())
    assert not set(spec(fixed={"n_anchors": 4}).keys()) & set(base.keys())
    assert not set(spec(backends=["picos:qics"]).keys()) & set(base.keys())
    p = base.points()[0]
    other_version = {**p.identity(), "versions": {"isactoolbox": "99.0"}}
    assert point_key(other_version) != p.key


def test_keys_are_the_same_in_a_fresh_interpreter():
    code = ("import json,sys; from isactoolbox.experiments import SweepSpec; "
            "print(json.dumps(SweepSpec.from_dict(json.loads(sys.argv[1])).keys()))")
    out = subprocess.run([sys.executable, "-c", code, json.dumps(ISAL)], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == spec().keys()


def test_points_run_seeds_outermost_and_strategy_option_grids_expand():
    s = spec(strategies=[{"name": "integrated", "grid": {"causal": [True, False]}, "label": "int"}])
    pts = s.points()
    assert len(pts) == 12
    assert [p.seed for p in pts[:4]] == [0, 0, 0, 0]
    assert {p.label for p in pts} == {"int[causal=true]", "int[causal=false]"}


# -- running ---------------------------------------------------------------------------------------
def test_serial_sweep_stores_every_point_verified(tmp_path):
    store_path = tmp_path / "r.sqlite"
    report = run_sweep(spec(), store_path, "serial", progress=False)
    assert (report.points, report.computed, report.skipped, report.failed, report.state) == (6, 6, 0, 0, "finished")
    with ResultStore(store_path) as store:
        rows = store.to_rows("isal-budget")
        assert [r["key"] for r in rows] == spec().keys()
        for r in rows:
            assert r["status"] == "optimal" and r["verified"] is True and r["objective"] > 0
            assert r["objective"] == pytest.approx(r["target-speb"], rel=1e-12)
            res = store.result(r["key"])
            assert res.strategy == "integrated" and res.objective == r["objective"]
        # more energy, more information: a smaller target SPEB on every drop
        by = {(r["seed"], r["energy_budget"]): r["objective"] for r in rows}
        assert all(by[(s, 2.0)] < by[(s, 0.5)] for s in range(3))
        # the objective is reproducible from the key's contents alone
        p = spec().points()[0]
        assert Integrated().solve(p.scenario(), p.backend).objective == pytest.approx(by[(0, 0.5)], rel=1e-9)


class _CountingIntegrated(Integrated):
    """The real integrated strategy, writing one line per run to a side-channel file."""

    name = "counting-integrated"
    log = None

    def _solve(self, scenario, backend, options):
        with open(type(self).log, "a") as fh:
            fh.write(scenario.description + f" budget={scenario.energy_budget}\n")
        return super()._solve(scenario, backend, options)


def test_interrupted_sweep_resumes_without_computing_anything_twice(tmp_path, monkeypatch):
    log = tmp_path / "runs.log"
    monkeypatch.setattr(_CountingIntegrated, "log", str(log))
    monkeypatch.setitem(registry._local["strategy"], "counting-integrated", _CountingIntegrated)
    s = spec(strategies=["counting-integrated"])
    store = tmp_path / "r.sqlite"

    first = run_sweep(s, store, SerialExecutor(), progress=False, max_points=4)
    assert (first.computed, first.state, first.remaining) == (4, "stopped", 2)
    assert len(log.read_text().splitlines()) == 4
    second = run_sweep(s, store, SerialExecutor(), progress=False)
    assert second.skipped == 4 and second.computed == 2 and second.complete
    assert not set(first.computed_keys) & set(second.computed_keys)
    third = run_sweep(s, store, SerialExecutor(), progress=False)
    assert third.computed == 0 and third.skipped == 6

    lines = log.read_text().splitlines()
    assert len(lines) == 6 and len(set(lines)) == 6                  # each point solved exactly once
    with ResultStore(store) as st:
        rows = st.to_rows()
        assert len(rows) == 6 and all(r["runs"] == 1 for r in rows)
        assert {r["run_id"] for r in rows} == {first.run_id, second.run_id}
        assert [r["state"] for r in st.runs()] == ["stopped", "finished", "finished"]


def test_a_point_that_raises_is_a_stored_failure_and_the_sweep_goes_on(tmp_path):
    # energy_budget = -1 is refused by the scenario: the drop itself raises
    s = spec(grid={"energy_budget": [1.0, -1.0]})
    store = tmp_path / "r.sqlite"
    report = run_sweep(s, store, "serial", progress=False)
    assert report.computed == 6 and report.failed == 3 and report.complete
    assert all("energy_budget" in f["error"] for f in report.failures)
    with ResultStore(store) as st:
        failed = [r for r in st.to_rows() if r["status"] == ERROR]
        assert len(failed) == 3 and all(r["energy_budget"] == -1 for r in failed)
        assert all(r["error"].startswith("ScenarioValidationError: invalid ISALNetwork.energy_budget")
                   for r in failed)
        assert st.get(failed[0]["key"])["traceback"].startswith("Traceback")
        assert st.result(failed[0]["key"]) is None
    # failures count as done (a deterministic error would only repeat) unless asked to retry
    assert run_sweep(s, store, "serial", progress=False).computed == 0
    retry = run_sweep(s, store, "serial", progress=False, retry_failed=True)
    assert retry.computed == 3 and retry.failed == 3
    with ResultStore(store) as st:
        assert sorted(r["runs"] for r in st.to_rows()) == [1, 1, 1, 2, 2, 2]


def test_serial_and_local_pool_store_the_same_objectives(tmp_path):
    run_sweep(spec(), tmp_path / "serial.sqlite", "serial", progress=False)
    with LocalExecutor(workers=2) as pool:
        report = run_sweep(spec(), tmp_path / "local.sqlite", pool, progress=False)
    assert report.executor == "local:2" and report.computed == 6 and report.failed == 0
    with ResultStore(tmp_path / "serial.sqlite") as a, ResultStore(tmp_path / "local.sqlite") as b:
        ra, rb = a.to_rows("isal-budget"), b.to_rows("isal-budget")   # in the sweep's order
        workers = {r["worker"] for r in rb}
    assert [r["key"] for r in ra] == [r["key"] for r in rb]
    for x, y in zip(ra, rb):
        assert x["status"] == y["status"]
        assert x["objective"] == pytest.approx(y["objective"], rel=1e-9, abs=0)
    # the pool really ran elsewhere: not in this process
    assert all(not w.endswith(f":{__import__('os').getpid()}") for w in workers)


def test_the_cheapest_kind_sweeps_too(tmp_path):
    # bistatic-monostatic with APA: no optimisation, the CRBs of a fixed allocation
    s = SweepSpec.from_dict({"name": "apa", "kind": "bistatic-monostatic",
                             "fixed": {"n_tx": 8, "n_rx": 8, "n_ue": 8, "n_subcarriers": 64},
                             "grid": {"n_slots": [2, 4]}, "seeds": [0, 1], "strategies": ["apa"]})
    report = run_sweep(s, tmp_path / "r.sqlite", "serial", progress=False)
    assert report.computed == 4 and report.failed == 0
    with ResultStore(tmp_path / "r.sqlite") as st:
        rows = st.to_rows()
    assert {r["status"] for r in rows} == {"feasible"}
    assert all(r["bp-crb"] > 0 and r["ms-crb"] > 0 for r in rows)


def test_bad_run_arguments_are_option_errors(tmp_path):
    with pytest.raises(OptionError) as info:
        run_sweep(spec(), tmp_path / "r.sqlite", "cluster-of-my-dreams", progress=False)
    assert info.value.field == "executor"
    with pytest.raises(OptionError) as info:
        run_sweep(spec(), tmp_path / "r.sqlite", "serial", progress=False, max_points=-1)
    assert info.value.field == "max_points"
    with pytest.raises(OptionError):
        LocalExecutor(workers=0)


def test_progress_callable_sees_every_point(tmp_path):
    calls = []
    run_sweep(spec(grid={"energy_budget": [1.0, -1.0]}, seeds=[0]), tmp_path / "r.sqlite", "serial",
              progress=lambda done, total=None, failures=0: calls.append((done, total, failures)))
    assert calls[0] == (0, 2, 0)
    assert calls[-1][0] == 2 and calls[-1][1] == 2 and calls[-1][2] == 1


class _DiesOnSeedOne(Integrated):
    """Kills its own process on one drop, as a segfaulting native solver would."""

    name = "dies-on-seed-one"

    def _solve(self, scenario, backend, options):
        if "seed 1" in scenario.description:
            __import__("os")._exit(3)
        return super()._solve(scenario, backend, options)


def test_a_dead_worker_process_fails_its_points_and_the_pool_goes_on(tmp_path, monkeypatch):
    monkeypatch.setitem(registry._local["strategy"], "dies-on-seed-one", _DiesOnSeedOne)
    s = spec(strategies=["dies-on-seed-one"], seeds=[0, 1, 2, 3, 4, 5], grid={"energy_budget": [1.0]})
    # fork: the workers inherit the strategy registered in this process only
    with LocalExecutor(workers=2, max_pending=2, mp_context="fork") as pool:
        report = run_sweep(s, tmp_path / "r.sqlite", pool, progress=False)
    assert report.complete and report.computed == 6
    with ResultStore(tmp_path / "r.sqlite") as st:
        rows = {r["seed"]: r for r in st.to_rows()}
    assert rows[1]["status"] == ERROR and "worker process died" in rows[1]["error"]
    # two points in flight at most: seed 1 and possibly the one beside it; the rest ran normally
    assert 1 <= report.failed <= 2
    assert sum(r["status"] == "optimal" for r in rows.values()) == 6 - report.failed


def test_a_default_chain_is_named_in_the_key_and_run_as_the_strategys_own_chain(tmp_path):
    """network-ISAC strategies default to a tuned per-SDP chain; a sweep with the default backend
    names its routes in the key and runs the chain itself, not a plain list of the same names."""
    from isactoolbox.experiments import ResultStore, SweepSpec, run_sweep
    from isactoolbox.experiments.sweep import default_backend_name
    from isactoolbox.registry import registry

    sweep = SweepSpec(name="nisac", kind="network-isac", fixed={"n_bs": 3, "n_users": 2}, seeds=[3],
                      strategies=["closest-bs"], backends=[None])
    (point,) = sweep.points()
    assert point.backend == default_backend_name(registry.strategy("closest-bs"))
    assert point.backend.startswith("cvxopt:conelp")
    with ResultStore(tmp_path / "s.sqlite") as store:
        report = run_sweep(sweep, store, "serial")
        (row,) = store.to_rows("nisac")
    assert not report.failed and row["status"] in ("optimal", "feasible", "infeasible")
