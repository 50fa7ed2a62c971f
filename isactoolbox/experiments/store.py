"""The result store of sweeps: one SQLite file, one row per point, written as points finish.

SQLite is embedded (no server) and its file survives a crash of the process that writes it: every
point is its own transaction, committed before the next one is written, in WAL mode with
``synchronous=FULL`` by default (a committed point survives even a power cut). A sweep re-run reads
:meth:`ResultStore.finished_keys` and skips those points, so an interrupted sweep resumes with
nothing lost but the points that were running.

Tables::

    points        one row per point: identity (key, kind, params, seed, strategy, options, backend,
                  toolbox version), outcome (status, objective, metrics, verification, timings,
                  error text, the full Result JSON) and bookkeeping (run id, runs, worker, time)
    sweeps        name -> the sweep spec (JSON) it was last run with
    sweep_points  which keys belong to which sweep (sweeps that share a point share its row)
    runs          one row per run_sweep call: executor, counts, start and end

Export: :meth:`to_rows` (plain dicts), :meth:`to_csv` (standard library only), and, when their
packages are installed, :meth:`to_dataframe` / :meth:`to_parquet` (pandas, pyarrow) and
:meth:`to_dataset` (xarray; dimensions are the parameters that vary, ``seed``, ``strategy`` and
``backend``).
"""
from __future__ import annotations

import csv
import datetime as _dt
import importlib
import json
import math
import sqlite3
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from isactoolbox.core.result import Result
from isactoolbox.errors import IsacToolboxError, ValidationError
from isactoolbox.serialization import from_jsonable, to_jsonable

__all__ = ["ERROR", "MissingDependencyError", "ResultStore", "open_store"]

SCHEMA_VERSION = 1
#: ``status`` of a point whose run raised (its ``error`` column holds the exception text).
ERROR = "error"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS points (
    key             TEXT PRIMARY KEY,
    kind            TEXT NOT NULL,
    params          TEXT NOT NULL,
    seed            INTEGER NOT NULL,
    strategy        TEXT NOT NULL,
    label           TEXT NOT NULL,
    options         TEXT NOT NULL,
    backend         TEXT NOT NULL,
    toolbox_version TEXT NOT NULL,
    status          TEXT NOT NULL,
    objective       REAL,
    metrics         TEXT,
    verified        INTEGER,
    max_violation   REAL,
    time_total      REAL,
    time_solver     REAL,
    time_build      REAL,
    solves          INTEGER,
    wall_seconds    REAL,
    message         TEXT,
    error           TEXT,
    traceback       TEXT,
    result          TEXT,
    worker          TEXT,
    run_id          TEXT,
    runs            INTEGER NOT NULL DEFAULT 1,
    finished_at     TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sweeps (name TEXT PRIMARY KEY, spec TEXT NOT NULL, updated TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sweep_points (
    sweep TEXT NOT NULL, key TEXT NOT NULL, position INTEGER NOT NULL, PRIMARY KEY (sweep, key));
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY, sweep TEXT NOT NULL, executor TEXT NOT NULL, toolbox_version TEXT NOT NULL,
    started TEXT NOT NULL, finished TEXT, points INTEGER, skipped INTEGER, computed INTEGER,
    failed INTEGER, state TEXT NOT NULL);
"""

# Columns a point row written by :meth:`ResultStore.write` may carry (key .. result are the data).
_POINT_COLUMNS = ("key", "kind", "params", "seed", "strategy", "label", "options", "backend", "toolbox_version",
                  "status", "objective", "metrics", "verified", "max_violation", "time_total", "time_solver",
                  "time_build", "solves", "wall_seconds", "message", "error", "traceback", "result", "worker")
_REQUIRED = ("key", "kind", "params", "seed", "strategy", "label", "options", "backend", "toolbox_version", "status")

# Fixed columns of to_rows(), in order; parameters go after "kind", scalar metrics after "max_violation".
_HEAD = ("key", "kind")
_MIDDLE = ("seed", "strategy", "strategy_name", "backend", "status", "objective", "verified", "max_violation")
_TAIL = ("time_total", "time_solver", "time_build", "solves", "wall_seconds", "message", "error", "options",
         "toolbox_version", "worker", "run_id", "runs", "finished_at")
#: Data variables of :meth:`ResultStore.to_dataset` besides the scalar metrics.
_DATASET_VARS = ("status", "objective", "verified", "max_violation", "time_total", "time_solver", "solves",
                 "wall_seconds", "error")


class MissingDependencyError(IsacToolboxError, ImportError):
    """An optional export needs a package that is not installed; the message says which and how."""


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="milliseconds")


def _require(what: str, *modules: str) -> list[Any]:
    missing, loaded = [], []
    for name in modules:
        try:
            loaded.append(importlib.import_module(name))
        except ImportError:
            missing.append(name)
    if missing:
        raise MissingDependencyError(
            f"{what} needs {' and '.join(modules)}; not installed: {', '.join(missing)} "
            f"(pip install {' '.join(missing)})")
    return loaded


def _dumps(obj: Any) -> str:
    return json.dumps(to_jsonable(obj), sort_keys=True, separators=(",", ":"))


def _scalar(value: Any) -> bool:
    return isinstance(value, (bool, int, float, str, np.bool_, np.integer, np.floating)) or value is None


def _plain(value: Any) -> Any:
    """A CSV/DataFrame cell: numbers and strings as they are, anything else as JSON text."""
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if _scalar(value):
        return value
    return json.dumps(to_jsonable(value), sort_keys=True)


class ResultStore:
    """An SQLite result store (a real database file; ``":memory:"`` for throwaway runs).

    Open one per process; every write commits. Several processes may open the same file (SQLite
    serialises writers; ``timeout`` seconds is how long a writer waits for the lock).
    ``synchronous="FULL"`` (default) syncs every commit to disk, so a point survives a power cut;
    ``"NORMAL"`` survives a crash or kill of the process but not of the machine, and saves a disk
    sync per point (worth it only for points that take milliseconds).
    """

    def __init__(self, path: str | Path, *, timeout: float = 60.0, synchronous: str = "FULL") -> None:
        if synchronous not in ("FULL", "NORMAL"):
            raise ValidationError("synchronous", f"must be 'FULL' or 'NORMAL', got {synchronous!r}",
                                  owner="ResultStore")
        self.path = Path(path) if str(path) != ":memory:" else None
        if self.path is not None:
            if self.path.is_dir():
                raise ValidationError("store", f"{self.path} is a directory, not an SQLite file")
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(str(path), timeout=timeout, isolation_level=None)
            self._db.row_factory = sqlite3.Row
            # WAL: readers (an export while a sweep runs) never block the writer; FULL: a committed
            # point is on disk before the next point starts, so a crash loses no finished point.
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(f"PRAGMA synchronous={synchronous}")
            self._db.executescript(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise ValidationError("store", f"{path} is not a usable SQLite result store ({exc})") from None
        row = self._db.execute("SELECT value FROM meta WHERE name = 'schema_version'").fetchone()
        if row is None:
            self._db.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
        elif int(row["value"]) != SCHEMA_VERSION:
            raise ValidationError("store", f"{path} has store schema {row['value']}, this isactoolbox writes "
                                           f"{SCHEMA_VERSION}; use a new store file")

    # -- life cycle --
    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> "ResultStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"ResultStore({str(self.path) if self.path else ':memory:'!r})"

    # -- sweeps and runs --
    def register_sweep(self, name: str, spec: Mapping[str, Any], keys: Sequence[str]) -> None:
        """Record ``spec`` under ``name`` and which ``keys`` (in order) make up the sweep."""
        with self._transaction():
            self._db.execute("INSERT INTO sweeps VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE SET "
                             "spec = excluded.spec, updated = excluded.updated", (name, _dumps(spec), _now()))
            self._db.execute("DELETE FROM sweep_points WHERE sweep = ?", (name,))
            self._db.executemany("INSERT INTO sweep_points VALUES (?, ?, ?)",
                                 [(name, k, i) for i, k in enumerate(keys)])

    def sweeps(self) -> dict[str, dict[str, Any]]:
        """Sweep name -> the spec it was last run with."""
        return {r["name"]: json.loads(r["spec"]) for r in self._db.execute("SELECT name, spec FROM sweeps")}

    def begin_run(self, run_id: str, sweep: str, executor: str, toolbox_version: str, points: int,
                  skipped: int) -> None:
        with self._transaction():
            self._db.execute("INSERT INTO runs (run_id, sweep, executor, toolbox_version, started, points, "
                             "skipped, computed, failed, state) VALUES (?, ?, ?, ?, ?, ?, ?, 0, 0, 'running')",
                             (run_id, sweep, executor, toolbox_version, _now(), points, skipped))

    def end_run(self, run_id: str, computed: int, failed: int, state: str) -> None:
        with self._transaction():
            self._db.execute("UPDATE runs SET finished = ?, computed = ?, failed = ?, state = ? WHERE run_id = ?",
                             (_now(), computed, failed, state, run_id))

    def runs(self) -> list[dict[str, Any]]:
        """Every recorded run_sweep call, oldest first (an interrupted one stays ``running``)."""
        return [dict(r) for r in self._db.execute("SELECT * FROM runs ORDER BY started, rowid")]

    # -- points --
    def write(self, row: Mapping[str, Any], run_id: str | None = None) -> None:
        """Insert (or, for a retried point, replace) one point row and commit it."""
        unknown = sorted(set(row) - set(_POINT_COLUMNS))
        if unknown:
            raise ValidationError(unknown[0], f"not a point column (columns: {', '.join(_POINT_COLUMNS)})",
                                  owner="ResultStore")
        missing = [c for c in _REQUIRED if row.get(c) is None]
        if missing:
            raise ValidationError(missing[0], "is required in a point row", owner="ResultStore")
        values = {c: row.get(c) for c in _POINT_COLUMNS}
        for c in ("objective", "max_violation"):
            # SQLite turns NaN into NULL anyway; say so explicitly (the Result JSON keeps the NaN).
            if isinstance(values[c], float) and math.isnan(values[c]):
                values[c] = None
        if values["verified"] is not None:
            values["verified"] = int(bool(values["verified"]))
        values.update(run_id=run_id, finished_at=_now())
        cols = list(values)
        updates = ", ".join(f"{c} = excluded.{c}" for c in cols if c != "key")
        with self._transaction():
            self._db.execute(f"INSERT INTO points ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))}) "
                             f"ON CONFLICT(key) DO UPDATE SET {updates}, runs = points.runs + 1",
                             [values[c] for c in cols])

    def finished_keys(self, include_failed: bool = True) -> set[str]:
        """Keys of the stored points (``include_failed=False``: only points that ran without raising)."""
        sql = "SELECT key FROM points" + ("" if include_failed else " WHERE status != ?")
        return {r["key"] for r in self._db.execute(sql, () if include_failed else (ERROR,))}

    def failed_keys(self) -> set[str]:
        return {r["key"] for r in self._db.execute("SELECT key FROM points WHERE status = ?", (ERROR,))}

    def __len__(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM points").fetchone()[0])

    def __contains__(self, key: object) -> bool:
        return self._db.execute("SELECT 1 FROM points WHERE key = ?", (key,)).fetchone() is not None

    def get(self, key: str) -> dict[str, Any]:
        """The raw row of one point (JSON columns as text)."""
        row = self._db.execute("SELECT * FROM points WHERE key = ?", (key,)).fetchone()
        if row is None:
            raise ValidationError("key", f"no point {key!r} in {self!r}")
        return dict(row)

    def result(self, key: str) -> Result | None:
        """The full :class:`Result` of a point (None for a point that raised)."""
        text = self.get(key)["result"]
        return None if text is None else Result.from_dict(json.loads(text))

    # -- export --
    def _select(self, sweep: str | None, keys: Iterable[str] | None) -> list[sqlite3.Row]:
        if sweep is not None:
            if sweep not in self.sweeps():
                raise ValidationError("sweep", f"no sweep {sweep!r} in {self!r} "
                                               f"(sweeps: {', '.join(sorted(self.sweeps())) or 'none'})")
            rows = self._db.execute("SELECT p.* FROM points p JOIN sweep_points s ON s.key = p.key "
                                    "WHERE s.sweep = ? ORDER BY s.position", (sweep,)).fetchall()
        else:
            rows = self._db.execute("SELECT * FROM points ORDER BY rowid").fetchall()
        if keys is not None:
            wanted = set(keys)
            rows = [r for r in rows if r["key"] in wanted]
        return rows

    def to_rows(self, sweep: str | None = None, *, keys: Iterable[str] | None = None,
                include_failed: bool = True) -> list[dict[str, Any]]:
        """Flat rows: one per point, each parameter and each scalar metric its own column.

        ``sweep`` keeps the points of one registered sweep (in the sweep's order); ``keys`` any
        subset. A parameter or metric whose name clashes with a fixed column is prefixed
        ``param_`` / ``metric_``. Non-scalar parameters and metrics are JSON text (the full
        values stay in the ``result`` column, see :meth:`result`).
        """
        return self._flatten(sweep, keys, include_failed)[0]

    def _flatten(self, sweep: str | None, keys: Iterable[str] | None,
                 include_failed: bool) -> tuple[list[dict[str, Any]], list[str], list[str]]:
        fixed = set(_HEAD) | set(_MIDDLE) | set(_TAIL)
        out, param_cols, metric_cols = [], {}, {}
        for r in self._select(sweep, keys):
            if not include_failed and r["status"] == ERROR:
                continue
            params = from_jsonable(json.loads(r["params"]))
            metrics = from_jsonable(json.loads(r["metrics"])) if r["metrics"] else {}
            row: dict[str, Any] = {"key": r["key"], "kind": r["kind"]}
            for name, value in params.items():
                col = f"param_{name}" if name in fixed else name
                param_cols.setdefault(col, None)
                row[col] = _plain(value)
            row.update(seed=r["seed"], strategy=r["label"], strategy_name=r["strategy"], backend=r["backend"],
                       status=r["status"], objective=r["objective"],
                       verified=None if r["verified"] is None else bool(r["verified"]),
                       max_violation=r["max_violation"])
            for name, value in metrics.items():
                if np.ndim(value) != 0 or not _scalar(np.asarray(value).item()):
                    continue
                col = f"metric_{name}" if name in fixed or name in param_cols else name
                metric_cols.setdefault(col, None)
                row[col] = _plain(np.asarray(value).item())
            for c in _TAIL:
                row[c] = r[c]
            out.append(row)
        columns = list(_HEAD) + list(param_cols) + list(_MIDDLE) + list(metric_cols) + list(_TAIL)
        return [{c: row.get(c) for c in columns} for row in out], list(param_cols), list(metric_cols)

    def to_csv(self, path: str | Path, sweep: str | None = None, **kwargs: Any) -> Path:
        """Write :meth:`to_rows` as CSV (standard library only); returns the path."""
        rows = self.to_rows(sweep, **kwargs)
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", newline="") as fh:
            columns = list(rows[0]) if rows else list(_HEAD) + list(_MIDDLE) + list(_TAIL)
            writer = csv.DictWriter(fh, fieldnames=columns)
            writer.writeheader()
            writer.writerows(rows)
        return path

    def to_dataframe(self, sweep: str | None = None, **kwargs: Any) -> Any:
        """:meth:`to_rows` as a pandas DataFrame (needs pandas)."""
        (pd,) = _require("ResultStore.to_dataframe", "pandas")
        rows = self.to_rows(sweep, **kwargs)
        return pd.DataFrame(rows, columns=list(rows[0]) if rows else None)

    def to_parquet(self, path: str | Path, sweep: str | None = None, **kwargs: Any) -> Path:
        """Write :meth:`to_rows` as Parquet (needs pandas and pyarrow); returns the path."""
        pd, _ = _require("ResultStore.to_parquet", "pandas", "pyarrow")
        rows = self.to_rows(sweep, **kwargs)
        frame = pd.DataFrame(rows)
        # Parquet columns have one type: a column mixing numbers and JSON text (or all-None) is text.
        for col in frame.columns:
            kinds = {type(v) for v in frame[col] if v is not None}
            if len(kinds) > 1 and not kinds <= {int, float}:
                frame[col] = frame[col].map(lambda v: None if v is None else str(v))
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        frame.to_parquet(path, engine="pyarrow", index=False)
        return path

    def to_dataset(self, sweep: str | None = None, *, keys: Iterable[str] | None = None,
                   include_failed: bool = True) -> Any:
        """An xarray Dataset (needs xarray): one cell per point.

        Dimensions: every parameter that takes more than one value, then ``seed``, ``strategy``
        and ``backend`` (and ``toolbox_version`` or ``kind`` if the rows mix them); data variables:
        status, objective, verified, max_violation, timings, error and every scalar metric.
        Parameters with one value are scalar coordinates. Combinations never run are NaN.
        """
        xr, pd = _require("ResultStore.to_dataset", "xarray", "pandas")
        rows, params, metrics = self._flatten(sweep, keys, include_failed)
        if not rows:
            return xr.Dataset()
        frame = pd.DataFrame(rows)
        first = rows[0]
        varying = [p for p in params if frame[p].nunique(dropna=False) > 1]
        dims = varying + ["seed", "strategy", "backend"]
        dims += [c for c in ("toolbox_version", "kind") if frame[c].nunique(dropna=False) > 1]
        dup = frame.duplicated(subset=dims, keep=False)
        if dup.any():
            clash = frame.loc[dup, dims].iloc[0].to_dict()
            raise ValidationError("sweep", f"several stored points share the coordinates {clash}: export one "
                                           f"sweep at a time (to_dataset(sweep=NAME)) or pass keys=")
        data_vars = list(_DATASET_VARS) + metrics
        ds = xr.Dataset.from_dataframe(frame.set_index(dims)[data_vars])
        for p in params:
            if p not in varying:
                ds = ds.assign_coords({p: first[p]})
        ds.attrs.update(store=str(self.path) if self.path else ":memory:", sweep=sweep or "")
        return ds

    # -- internals --
    def _transaction(self) -> "_Txn":
        return _Txn(self._db)


class _Txn:
    """BEGIN IMMEDIATE ... COMMIT: take the write lock up front so two writers never deadlock."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: type | None, *rest: object) -> None:
        self.db.execute("COMMIT" if exc_type is None else "ROLLBACK")


def open_store(store: "ResultStore | str | Path") -> ResultStore:
    """A :class:`ResultStore` from a path (or the store itself)."""
    return store if isinstance(store, ResultStore) else ResultStore(store)
