"""The SQLite result store: a real file in WAL mode, one committed row per point, exports."""
import csv
import json
import re
import sqlite3
import sys

import pytest

from isactoolbox.errors import ValidationError
from isactoolbox.experiments import MissingDependencyError, ResultStore, SweepSpec, run_sweep

SPEC = {"name": "budget", "kind": "isal", "fixed": {"n_anchors": 3},
        "grid": {"energy_budget": [0.5, 2.0]}, "seeds": [0, 1], "strategies": ["integrated"]}


@pytest.fixture(scope="module")
def filled(tmp_path_factory):
    path = tmp_path_factory.mktemp("store") / "results.sqlite"
    run_sweep(SweepSpec.from_dict(SPEC), path, "serial", progress=False)
    return path


def test_the_store_is_a_plain_sqlite_file_in_wal_mode(filled):
    db = sqlite3.connect(filled)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    cols = {r[1] for r in db.execute("PRAGMA table_info(points)")}
    assert {"key", "params", "status", "objective", "metrics", "verified", "max_violation", "time_total",
            "time_solver", "error", "result", "toolbox_version"} <= cols
    rows = db.execute("SELECT key, params, status, metrics, result FROM points").fetchall()
    assert len(rows) == 4
    for key, params, status, metrics, result in rows:
        assert json.loads(params)["n_anchors"] == 3
        assert "target-speb" in json.loads(metrics)
        assert json.loads(result)["status"] == status


def test_a_second_connection_sees_each_point_as_soon_as_it_is_written(tmp_path):
    # commit per point: another process (an export, a resumed run) reads it at once
    writer = ResultStore(tmp_path / "r.sqlite")
    reader = ResultStore(tmp_path / "r.sqlite")
    row = {"key": "k1", "kind": "isal", "params": "{}", "seed": 0, "strategy": "integrated", "label": "integrated",
           "options": "{}", "backend": "picos:cvxopt", "toolbox_version": "0", "status": "optimal",
           "objective": 1.5}
    writer.write(row, run_id="r1")
    assert reader.finished_keys() == {"k1"}
    writer.write({**row, "objective": 2.5}, run_id="r2")
    got = reader.get("k1")
    assert (got["objective"], got["runs"], got["run_id"]) == (2.5, 2, "r2")
    writer.close()
    reader.close()


def test_bad_rows_and_files_are_refused_by_name(tmp_path):
    with ResultStore(tmp_path / "r.sqlite") as st:
        with pytest.raises(ValidationError, match="colour"):
            st.write({"key": "k", "colour": 1})
        with pytest.raises(ValidationError) as info:
            st.write({"key": "k"})
        assert info.value.field == "kind"
        with pytest.raises(ValidationError) as info:
            st.to_rows("no-such-sweep")
        assert info.value.field == "sweep"
    with pytest.raises(ValidationError) as info:
        ResultStore(tmp_path / "r.sqlite", synchronous="OFF")     # OFF would lose points in a crash
    assert info.value.field == "synchronous"
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"this is not a database, just bytes" * 100)
    with pytest.raises(ValidationError) as info:
        ResultStore(junk)
    assert info.value.field == "store"


def test_rows_and_csv(filled, tmp_path):
    with ResultStore(filled) as st:
        rows = st.to_rows("budget")
        out = st.to_csv(tmp_path / "out" / "budget.csv", sweep="budget")
    assert len(rows) == 4
    first = rows[0]
    assert list(first)[:4] == ["key", "kind", "energy_budget", "n_anchors"]
    assert first["strategy"] == "integrated" and first["backend"] == "cvxopt:conelp"
    with out.open() as fh:
        read = list(csv.DictReader(fh))
    assert [r["key"] for r in read] == [r["key"] for r in rows]
    assert float(read[0]["objective"]) == first["objective"]          # repr precision survives CSV
    assert float(read[0]["target-speb"]) == first["target-speb"]


def test_dataset_has_one_cell_per_point(filled):
    pytest.importorskip("xarray", reason="xarray not installed (optional export)")
    with ResultStore(filled) as st:
        ds = st.to_dataset("budget")
        rows = st.to_rows("budget")
    assert dict(ds.sizes) == {"energy_budget": 2, "seed": 2, "strategy": 1, "backend": 1}
    assert int(ds["n_anchors"]) == 3                                  # constant parameter: a scalar coordinate
    for r in rows:
        cell = ds["objective"].sel(energy_budget=r["energy_budget"], seed=r["seed"], strategy="integrated",
                                   backend="picos:cvxopt")
        assert float(cell) == r["objective"]
    # Monte-Carlo mean over drops, the usual next step
    mean = ds["target-speb"].mean("seed").squeeze()
    assert float(mean.sel(energy_budget=2.0)) < float(mean.sel(energy_budget=0.5))


def test_parquet_round_trip(filled, tmp_path):
    pd = pytest.importorskip("pandas", reason="pandas not installed (optional export)")
    pytest.importorskip("pyarrow", reason="pyarrow not installed (optional export)")
    with ResultStore(filled) as st:
        path = st.to_parquet(tmp_path / "budget.parquet", sweep="budget")
        rows = st.to_rows("budget")
    frame = pd.read_parquet(path)
    assert list(frame["key"]) == [r["key"] for r in rows]
    assert list(frame["objective"]) == [r["objective"] for r in rows]


@pytest.mark.parametrize("method, missing", [("to_dataset", "xarray"), ("to_parquet", "pyarrow"),
                                             ("to_dataframe", "pandas")])
def test_a_missing_optional_package_is_named(filled, tmp_path, monkeypatch, method, missing):
    # None in sys.modules makes `import name` raise ImportError: the package is "not installed"
    monkeypatch.setitem(sys.modules, missing, None)
    with ResultStore(filled) as st:
        args = (tmp_path / "x.parquet",) if method == "to_parquet" else ()
        with pytest.raises(MissingDependencyError) as info:
            getattr(st, method)(*args)
    # the install hint names the missing package (with any other missing one: pandas is optional too)
    assert re.search(rf"not installed: [\w, ]*{missing}", str(info.value))
    assert re.search(rf"pip install [\w ]*{missing}", str(info.value))
    assert isinstance(info.value, ImportError)
