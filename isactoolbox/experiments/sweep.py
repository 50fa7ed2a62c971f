"""Parameter sweeps: scenario parameters x Monte-Carlo drops x strategies x backends, resumable.

A :class:`SweepSpec` names a scenario kind, fields held ``fixed``, a ``grid`` of parameters (every
combination is run), the ``seeds`` of the random drops (``Scenario.random(seed, ...)``), the
strategies (each with options, and optionally its own option grid) and the backends. It expands
into :class:`Point` s; each point's ``key`` is a hash of the canonical JSON of everything that
determines its outcome: scenario kind and parameters (fixed and swept alike), seed, strategy and
its options with defaults filled in, backend, and the versions of isactoolbox and of any plugin
distribution involved. The same point in another sweep, or in a re-run, has the same key.

:func:`run_sweep` skips points whose key is already in the store, runs the others on an executor
and writes each one the moment it finishes (see :mod:`.store`), so an interrupted sweep resumes
where it stopped: nothing finished is lost and nothing is computed twice. A point that raises is
stored as a failure with its error text and the sweep goes on.

A spec as JSON (``isactoolbox sweep SPEC.json``)::

    {"name": "isal-budget",
     "kind": "isal",
     "fixed": {"n_anchors": 3, "n_radars": 2},
     "grid": {"energy_budget": [0.5, 1.0, 2.0]},
     "seeds": {"start": 0, "count": 5},
     "strategies": ["integrated", {"name": "integrated", "options": {"causal": false}, "label": "smoothed"}],
     "backends": ["picos:cvxopt"]}

Points run in the order seeds (outer), grid, strategies, backends (inner): a sweep stopped early
has every grid value for its first seeds, which is what a Monte-Carlo average needs.
"""
from __future__ import annotations

import dataclasses
import hashlib
import inspect
import itertools
import json
import os
import socket
import time
import traceback
import uuid
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from isactoolbox.errors import IsacToolboxError, OptionError, ValidationError
from isactoolbox.experiments.executors import Executor, executor_from_spec
from isactoolbox.experiments.progress import Progress, ProgressCallback
from isactoolbox.experiments.store import ERROR, ResultStore, open_store
from isactoolbox.serialization import from_jsonable, to_jsonable

__all__ = ["Point", "StrategyEntry", "SweepReport", "SweepSpec", "canonical_json", "point_key", "run_point",
           "run_sweep", "toolbox_version"]

_OWNER = "sweep spec"
_SPEC_KEYS = ("name", "description", "kind", "fixed", "grid", "seeds", "strategies", "backends")
_STRATEGY_KEYS = ("name", "options", "grid", "label")
#: Hex digits of the sha256 kept in a key (96 bits: no collision in any sweep that fits a disk).
KEY_LENGTH = 24


def toolbox_version() -> str:
    from isactoolbox import __version__

    return __version__


# -- canonical JSON and keys ----------------------------------------------------------------------
def _normalise(obj: Any) -> Any:
    # 1 and 1.0 are the same parameter value: write integral floats as ints so both hash alike.
    if isinstance(obj, bool) or obj is None or isinstance(obj, str):
        return obj
    if isinstance(obj, float):
        return int(obj) if obj.is_integer() and abs(obj) < 2 ** 63 else obj
    if isinstance(obj, dict):
        return {k: _normalise(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_normalise(v) for v in obj]
    return obj


def canonical_json(obj: Any) -> str:
    """Sorted keys, no whitespace, arrays tagged losslessly, integral floats as ints."""
    return json.dumps(_normalise(to_jsonable(obj)), sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def point_key(identity: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical_json(identity).encode()).hexdigest()[:KEY_LENGTH]


def _plugin_version(group: str, name: str) -> str | None:
    """``dist version`` of a plugin from another distribution; None for isactoolbox's own."""
    from isactoolbox.registry import registry

    rec = next((r for r in registry.records(group, load=False) if r.name == name), None)
    if rec is None:  # registered in this process only (registry.register): name the class instead
        obj = registry.get(group, name)
        return f"local {getattr(obj, '__module__', '?')}.{getattr(obj, '__qualname__', '?')}"
    if rec.distribution == "isactoolbox":
        return None
    return f"{rec.distribution} {rec.version}"


# -- the spec -------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class StrategyEntry:
    """One strategy variant of a sweep: registry ``name``, user ``options`` and a unique ``label``."""

    name: str
    options: dict[str, Any]
    label: str


@dataclasses.dataclass(frozen=True)
class Point:
    """One run: a scenario drawn from ``(kind, params, seed)``, solved by one strategy on one backend."""

    key: str
    index: int
    kind: str
    params: dict[str, Any]      # canonical JSON data (arrays tagged), fixed and swept fields together
    seed: int
    strategy: str
    label: str
    options: dict[str, Any]     # as given in the spec (what the strategy is built with)
    all_options: dict[str, Any]  # with defaults filled in (what the key hashes)
    backend: str
    versions: dict[str, str]

    @property
    def toolbox_version(self) -> str:
        return self.versions["isactoolbox"]

    def identity(self) -> dict[str, Any]:
        return {"kind": self.kind, "params": self.params, "seed": self.seed, "strategy": self.strategy,
                "options": to_jsonable(self.all_options), "backend": self.backend, "versions": self.versions}

    def scenario(self) -> Any:
        """The scenario of this point, drawn afresh (deterministic in ``params`` and ``seed``)."""
        from isactoolbox.registry import registry

        return registry.scenario(self.kind).random(self.seed, **from_jsonable(self.params))

    def row(self) -> dict[str, Any]:
        """The identity columns of this point's store row."""
        return {"key": self.key, "kind": self.kind, "params": canonical_json(self.params), "seed": self.seed,
                "strategy": self.strategy, "label": self.label, "options": canonical_json(self.all_options),
                "backend": self.backend, "toolbox_version": self.toolbox_version}

    def failure_row(self, error: BaseException, tb: str | None = None) -> dict[str, Any]:
        row = self.row()
        row.update(status=ERROR, error=f"{type(error).__name__}: {error}", traceback=tb)
        return row


def _field(name: str, reason: str) -> ValidationError:
    return ValidationError(name, reason, owner=_OWNER)


def _check_names(cls: type, names: Sequence[str], where: str) -> None:
    """Each name is a field of the scenario or a keyword of its ``random`` (e.g. ``n_radars``)."""
    fields = set(cls.field_specs())
    sig = inspect.signature(cls.random)
    keywords = {p.name for p in sig.parameters.values()
                if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD) and p.name not in ("seed", "cls")}
    known = sorted(fields | keywords)
    for name in names:
        if name == "seed":
            raise _field(f"{where}.seed", "seeds are given by the spec's 'seeds' entry, not as a parameter")
        if name not in fields and name not in keywords:
            raise _field(f"{where}.{name}", f"not a field of scenario kind {cls.kind!r} nor an argument of its "
                                            f"random() (known: {', '.join(known)})")


def _seeds(value: Any) -> list[int]:
    if isinstance(value, Mapping):
        unknown = sorted(set(value) - {"start", "count"})
        if unknown:
            raise _field(f"seeds.{unknown[0]}", "unknown entry; write {\"start\": S, \"count\": N} or a list")
        start, count = value.get("start", 0), value.get("count")
        for name, v in (("start", start), ("count", count)):
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                raise _field(f"seeds.{name}", f"must be a non-negative integer, got {v!r}")
        seeds = list(range(start, start + count))
    elif isinstance(value, (list, tuple)):
        seeds = list(value)
    else:
        raise _field("seeds", f"must be a list of integers or {{\"start\": S, \"count\": N}}, got {value!r}")
    if not seeds:
        raise _field("seeds", "is empty: a sweep needs at least one drop")
    for i, s in enumerate(seeds):
        if isinstance(s, bool) or not isinstance(s, int) or s < 0:
            raise _field(f"seeds[{i}]", f"must be a non-negative integer, got {s!r}")
    if len(set(seeds)) != len(seeds):
        dup = next(s for s in seeds if seeds.count(s) > 1)
        raise _field("seeds", f"seed {dup} is listed twice")
    return seeds


def _grid(value: Any, where: str) -> dict[str, list[Any]]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise _field(where, f"must map each parameter to a list of values, got {type(value).__name__}")
    out = {}
    for name, values in value.items():
        if not isinstance(values, (list, tuple)) or not values:
            raise _field(f"{where}.{name}", f"must be a non-empty list of values, got {values!r}")
        out[str(name)] = list(values)
    return out


def _label(name: str, options: Mapping[str, Any]) -> str:
    if not options:
        return name
    inner = ",".join(f"{k}={canonical_json(v)}" for k, v in sorted(options.items()))
    return f"{name}[{inner}]"


def default_backend_name(cls: type) -> str:
    """A strategy's default backend by full names. It may be a chain (network ISAC:
    "cvxopt:conelp,clarabel:clarabel,pyomo:ipopt"); routes whose plugin is missing are left out."""
    from isactoolbox.core.backend import usable_backends

    return ",".join(b.name for b in usable_backends(cls.default_backend))


@dataclasses.dataclass
class SweepSpec:
    """What to run. Build with keywords or :meth:`from_dict` / :meth:`load` (validated either way)."""

    kind: str
    strategies: list[Any]
    seeds: Any = dataclasses.field(default_factory=lambda: [0])
    fixed: dict[str, Any] = dataclasses.field(default_factory=dict)
    grid: dict[str, list[Any]] = dataclasses.field(default_factory=dict)
    backends: list[str | None] = dataclasses.field(default_factory=lambda: [None])
    name: str = "sweep"
    description: str = ""
    # Resolved by validation: the seeds, the strategy variants (option grids expanded), backend names.
    seed_list: list[int] = dataclasses.field(init=False, repr=False, compare=False)
    entries: list[StrategyEntry] = dataclasses.field(init=False, repr=False, compare=False)
    backend_list: list[str | None] = dataclasses.field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._validate()

    # -- construction --
    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, default_name: str = "sweep") -> "SweepSpec":
        if not isinstance(data, Mapping):
            raise _field("spec", f"must be a JSON object, got {type(data).__name__}")
        unknown = sorted(set(data) - set(_SPEC_KEYS))
        if unknown:
            raise _field(unknown[0], f"unknown sweep spec entry (known: {', '.join(_SPEC_KEYS)})")
        for required in ("kind", "strategies"):
            if required not in data:
                raise _field(required, "is required")
        kwargs = {k: data[k] for k in _SPEC_KEYS if k in data}
        kwargs.setdefault("name", default_name)
        return cls(**kwargs)

    @classmethod
    def load(cls, path: str | Path) -> "SweepSpec":
        """Read a JSON spec; its name defaults to the file's stem."""
        path = Path(path)
        try:
            data = json.loads(path.read_text())
        except FileNotFoundError:
            raise _field("path", f"no sweep spec at {path}") from None
        except json.JSONDecodeError as exc:
            raise _field("path", f"{path} is not valid JSON ({exc})") from None
        return cls.from_dict(data, default_name=path.stem)

    @classmethod
    def coerce(cls, spec: "SweepSpec | Mapping[str, Any] | str | Path") -> "SweepSpec":
        if isinstance(spec, SweepSpec):
            return spec
        if isinstance(spec, Mapping):
            return cls.from_dict(spec)
        return cls.load(spec)

    def to_dict(self) -> dict[str, Any]:
        return to_jsonable({"name": self.name, "description": self.description, "kind": self.kind,
                            "fixed": self.fixed, "grid": self.grid, "seeds": self.seed_list,
                            "strategies": [{"name": e.name, "options": e.options, "label": e.label}
                                           for e in self.entries],
                            "backends": self.backend_list})

    # -- validation (every name is resolved before anything runs) --
    def _validate(self) -> None:
        from isactoolbox.core.backend import get_backend
        from isactoolbox.core.scenario import Scenario
        from isactoolbox.registry import registry

        if not isinstance(self.name, str) or not self.name.strip():
            raise _field("name", f"must be a non-empty string, got {self.name!r}")
        if not isinstance(self.description, str):
            raise _field("description", f"must be a string, got {self.description!r}")
        if not isinstance(self.kind, str):
            raise _field("kind", f"must be a scenario kind name, got {self.kind!r}")
        scen_cls = registry.scenario(self.kind)
        if getattr(scen_cls.random, "__func__", None) is Scenario.random.__func__:
            raise _field("kind", f"scenario kind {self.kind!r} does not draw random instances (no random())")
        if not isinstance(self.fixed, Mapping):
            raise _field("fixed", f"must map field names to values, got {type(self.fixed).__name__}")
        grid = _grid(self.grid, "grid")
        _check_names(scen_cls, list(self.fixed), "fixed")
        _check_names(scen_cls, list(grid), "grid")
        both = sorted(set(self.fixed) & set(grid))
        if both:
            raise _field(f"grid.{both[0]}", "is also in 'fixed'; a parameter is either fixed or swept")
        self.grid = grid
        self.fixed = dict(self.fixed)
        self.seed_list = _seeds(self.seeds)

        if not isinstance(self.strategies, (list, tuple)) or not self.strategies:
            raise _field("strategies", "must be a non-empty list of strategy names or {\"name\": ..., ...} objects")
        entries: list[StrategyEntry] = []
        self._classes: dict[str, type] = {}
        for i, item in enumerate(self.strategies):
            where = f"strategies[{i}]"
            if isinstance(item, StrategyEntry):
                item = {"name": item.name, "options": item.options, "label": item.label}
            if isinstance(item, str):
                item = {"name": item}
            if not isinstance(item, Mapping):
                raise _field(where, f"must be a strategy name or an object, got {item!r}")
            unknown = sorted(set(item) - set(_STRATEGY_KEYS))
            if unknown:
                raise _field(f"{where}.{unknown[0]}", f"unknown entry (known: {', '.join(_STRATEGY_KEYS)})")
            name = item.get("name")
            if not isinstance(name, str):
                raise _field(f"{where}.name", f"must be a registered strategy name, got {name!r}")
            cls = registry.strategy(name)
            if cls.scenario_kinds and self.kind not in cls.scenario_kinds:
                raise _field(f"{where}.name", f"strategy {name!r} works on {', '.join(cls.scenario_kinds)}, "
                                              f"not on {self.kind!r}")
            options = item.get("options") or {}
            if not isinstance(options, Mapping):
                raise _field(f"{where}.options", f"must map option names to values, got {options!r}")
            opt_grid = _grid(item.get("grid"), f"{where}.grid")
            both = sorted(set(options) & set(opt_grid))
            if both:
                raise _field(f"{where}.grid.{both[0]}", "is also in 'options'; an option is either fixed or swept")
            base_label = item.get("label") or name
            if not isinstance(base_label, str):
                raise _field(f"{where}.label", f"must be a string, got {base_label!r}")
            for combo in itertools.product(*opt_grid.values()):
                swept = dict(zip(opt_grid, combo))
                opts = {**options, **swept}
                try:
                    cls(**opts)
                except OptionError as exc:
                    sub = "grid" if exc.field in swept else "options"
                    raise OptionError(f"{where}.{sub}.{exc.field}", exc.reason, owner=_OWNER) from None
                label = _label(base_label, swept) if item.get("label") else _label(name, opts)
                entries.append(StrategyEntry(name, dict(opts), label))
                self._classes[name] = cls
        labels = [e.label for e in entries]
        for lab in labels:
            if labels.count(lab) > 1:
                raise _field("strategies", f"two strategy entries have the label {lab!r}; give one a 'label'")
        self.entries = entries

        if not isinstance(self.backends, (list, tuple)) or not self.backends:
            raise _field("backends", "must be a non-empty list of backend names (null: each strategy's default)")
        resolved: list[str | None] = []
        for i, spec in enumerate(self.backends):
            if spec is None:
                resolved.append(None)
                continue
            if not isinstance(spec, str) or not spec.strip():
                raise _field(f"backends[{i}]", f"must be a backend name like 'picos:cvxopt', got {spec!r}")
            try:
                resolved.append(",".join(get_backend(b.strip()).name for b in spec.split(",") if b.strip()))
            except IsacToolboxError as exc:
                raise _field(f"backends[{i}]", str(exc)) from None
        self.backend_list = resolved

    # -- expansion --
    def points(self) -> list[Point]:
        """Every point, in run order (seeds outer; grid; strategies; backends inner)."""
        base_versions = {"isactoolbox": toolbox_version()}
        v = _plugin_version("scenario", self.kind)
        if v:
            base_versions[f"scenario:{self.kind}"] = v
        # Per (strategy variant, backend): full options, concrete backend name and plugin versions.
        runs: list[tuple[StrategyEntry, dict[str, Any], str, dict[str, str]]] = []
        for entry in self.entries:
            cls = self._classes[entry.name]
            all_options = cls(**entry.options).get_params()
            for backend in self.backend_list:
                be = backend if backend is not None else default_backend_name(cls)
                versions = dict(base_versions)
                v = _plugin_version("strategy", entry.name)
                if v:
                    versions[f"strategy:{entry.name}"] = v
                for family in sorted({b.split(":", 1)[0] for b in be.split(",")}):
                    v = _plugin_version("backend", family)
                    if v:
                        versions[f"backend:{family}"] = v
                runs.append((entry, all_options, be, versions))
        out: list[Point] = []
        seen: dict[str, int] = {}
        combos = list(itertools.product(*self.grid.values()))
        for seed in self.seed_list:
            for combo in combos:
                params = to_jsonable({**self.fixed, **dict(zip(self.grid, combo))})
                for entry, all_options, be, versions in runs:
                    point = Point("", len(out), self.kind, params, seed, entry.name, entry.label,
                                  entry.options, all_options, be, versions)
                    key = point_key(point.identity())
                    if key in seen:
                        raise _field("strategies", f"points {seen[key]} and {len(out)} are the same run "
                                                   f"({entry.label} on {be}, seed {seed}): two entries resolve "
                                                   f"to identical options and backend")
                    seen[key] = len(out)
                    out.append(dataclasses.replace(point, key=key))
        return out

    def keys(self) -> list[str]:
        return [p.key for p in self.points()]

    def __len__(self) -> int:
        n = len(self.seed_list) * len(self.entries) * len(self.backend_list)
        for values in self.grid.values():
            n *= len(values)
        return n


# -- running one point (in a worker) --------------------------------------------------------------
def run_point(point: Point) -> dict[str, Any]:
    """Draw the scenario, solve, and return the point's store row. Never raises: a point that
    fails becomes a row with status ``error`` and the exception text."""
    t0 = time.perf_counter()
    row = point.row()
    try:
        here = toolbox_version()
        if here != point.toolbox_version:
            raise IsacToolboxError(f"this worker runs isactoolbox {here} but the sweep's keys name "
                                   f"{point.toolbox_version}; install the same version on every worker")
        from isactoolbox.registry import registry

        scenario = point.scenario()
        strategy = registry.strategy(point.strategy)(**point.options)
        # The strategy's own default (e.g. the network-ISAC chain with per-route tolerances) when the
        # point names it: the names alone would lose the route options.
        default = point.backend == default_backend_name(type(strategy))
        result = strategy.solve(scenario, None if default else point.backend)
        checked = bool(result.verification.checks)
        objective = result.objective
        row.update(status=result.status.value,
                   objective=None if objective is None else float(objective),
                   metrics=json.dumps(to_jsonable(result.metrics), sort_keys=True),
                   verified=result.verification.passed if checked else None,
                   max_violation=float(result.verification.max_violation) if checked else None,
                   time_total=result.timings.total, time_solver=result.timings.solver,
                   time_build=result.timings.build, solves=result.timings.solves,
                   message=result.message or None,
                   result=json.dumps(result.to_dict(), separators=(",", ":")))
    except Exception as exc:  # a failing point is data, not a reason to stop the sweep
        row.update(status=ERROR, error=f"{type(exc).__name__}: {exc}", traceback=traceback.format_exc())
    row["wall_seconds"] = time.perf_counter() - t0
    row["worker"] = f"{socket.gethostname()}:{os.getpid()}"
    return row


# -- the runner -----------------------------------------------------------------------------------
@dataclasses.dataclass
class SweepReport:
    """What one :func:`run_sweep` call did."""

    name: str
    run_id: str
    store: str
    executor: str
    points: int
    skipped: int
    computed: int
    failed: int
    seconds: float
    state: str                       # "finished", "stopped" (max_points) or "interrupted"
    computed_keys: list[str] = dataclasses.field(default_factory=list)
    failures: list[dict[str, str]] = dataclasses.field(default_factory=list)

    @property
    def remaining(self) -> int:
        """Points of the sweep not in the store after this run."""
        return self.points - self.skipped - self.computed

    @property
    def complete(self) -> bool:
        return self.remaining == 0

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d.update(remaining=self.remaining, complete=self.complete)
        return d

    def lines(self) -> list[str]:
        out = [f"sweep       {self.name}  ({self.points} points, run {self.run_id} on {self.executor})",
               f"store       {self.store}",
               f"this run    {self.computed} computed ({self.failed} failed), {self.skipped} already stored, "
               f"{self.remaining} remaining, {self.seconds:.1f} s, {self.state}"]
        for f in self.failures[:5]:
            out.append(f"failed      {f['label']} seed {f['seed']} {f['params']}: {f['error']}")
        if len(self.failures) > 5:
            out.append(f"failed      ... and {len(self.failures) - 5} more (see the store's error column)")
        return out


ProgressArg = bool | ProgressCallback | Callable[..., None] | None


def run_sweep(spec: "SweepSpec | Mapping[str, Any] | str | Path", store: "ResultStore | str | Path",
              executor: "Executor | str | None" = None, progress: ProgressArg = None, *,
              max_points: int | None = None, retry_failed: bool = False) -> SweepReport:
    """Run every point of ``spec`` not yet in ``store``; write each as it finishes.

    ``executor``: an :class:`Executor` or ``"local"`` (default, every core), ``"local:N"``,
    ``"serial"``, ``"dask://host:port"``. ``progress``: None/True for a bar on stderr when it is a
    terminal, False for none, or a callable ``progress(done, total, failures)``. ``max_points``
    stops after that many points (the rest is left for a later run). ``retry_failed`` re-runs
    points stored as failures (they are skipped otherwise: a deterministic error would only
    repeat).
    """
    spec = SweepSpec.coerce(spec)
    if max_points is not None and (isinstance(max_points, bool) or not isinstance(max_points, int) or max_points < 0):
        raise OptionError("max_points", f"must be a non-negative integer, got {max_points!r}", owner="run_sweep")
    points = spec.points()
    own_store = not isinstance(store, ResultStore)
    st = open_store(store)
    own_executor = not isinstance(executor, Executor)
    try:
        ex = executor_from_spec(executor)
    except BaseException:
        if own_store:
            st.close()
        raise
    run_id = uuid.uuid4().hex[:12]
    start = time.perf_counter()
    computed, failed, state = 0, 0, "interrupted"
    computed_keys: list[str] = []
    failures: list[dict[str, str]] = []
    bar: Any = None
    try:
        st.register_sweep(spec.name, spec.to_dict(), [p.key for p in points])
        stored = st.finished_keys(include_failed=not retry_failed)
        todo = [p for p in points if p.key not in stored]
        skipped = len(points) - len(todo)
        if max_points is not None:
            todo = todo[:max_points]
        st.begin_run(run_id, spec.name, ex.name, toolbox_version(), len(points), skipped)
        if progress is None or progress is True:
            label = f"sweep {spec.name}" + (f" ({skipped} stored)" if skipped else "")
            bar = Progress(len(todo), label=label)
            report_progress: Callable[..., None] = bar
        elif progress is False:
            report_progress = lambda done, total=None, failures=0: None  # noqa: E731
        else:
            report_progress = progress
        report_progress(0, len(todo), 0)
        for point, row, lost in ex.run(run_point, todo):
            if lost is not None:
                row = point.failure_row(lost)
            st.write(row, run_id)
            computed += 1
            computed_keys.append(point.key)
            if row["status"] == ERROR:
                failed += 1
                failures.append({"key": point.key, "label": point.label, "seed": str(point.seed),
                                 "params": canonical_json(from_jsonable(point.params)), "error": row["error"]})
            report_progress(computed, len(todo), failed)
        state = "finished" if computed + skipped == len(points) else "stopped"
    finally:
        try:
            st.end_run(run_id, computed, failed, state)
        except Exception:  # an interrupted store must not hide the original interruption
            pass
        if bar is not None:
            bar.close()
        if own_executor:
            ex.close()
        store_name = str(st.path) if st.path else ":memory:"
        if own_store:
            st.close()
    return SweepReport(spec.name, run_id, store_name, ex.name, len(points), skipped, computed, failed,
                       time.perf_counter() - start, state, computed_keys, failures)
