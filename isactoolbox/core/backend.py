"""The ``Backend`` interface: turns a compiled neutral model into a solver call and back.

Capabilities are class data read by generic code (CVXPY style): ``family``, ``solvers`` (the names
selectable after the colon, e.g. ``picos:cvxopt``), ``supported`` problem classes per solver.
``solve`` is a template (PICOS style): refuse unsupported models before any work, try an in-place
update of the solver model prepared for the same compiled model, else (re)import, then solve, map
the native status through ``STATUS_MAP`` and time every step.
"""
from __future__ import annotations

import abc
import dataclasses
import enum
import functools
import importlib.metadata
import importlib.util
import time
from typing import Any, ClassVar, Mapping

import numpy as np

from isactoolbox.errors import BackendUnavailableError, OptionError, UnsupportedProblemError
from isactoolbox.status import Status


class Availability(enum.Enum):
    """Usable or why not (falsy when unusable), after Pyomo APPSI."""

    AVAILABLE = "available"
    NOT_INSTALLED = "not installed"
    NEEDS_LICENSE = "needs a license"
    NEEDS_BUILD = "needs a compiled extension"
    BROKEN = "broken"

    def __bool__(self) -> bool:
        return self is Availability.AVAILABLE


@dataclasses.dataclass
class Solution:
    """Raw outcome of one solver call on a compiled model (model coordinates, not physics)."""

    status: Status
    x: np.ndarray | None
    objective: float | None
    backend: str
    solver: str
    solver_version: str = ""
    build_time: float = 0.0
    solve_time: float = 0.0
    iterations: int | None = None
    raw_status: str = ""
    message: str = ""
    log: str | None = None
    certificate: dict[str, Any] = dataclasses.field(default_factory=dict)
    model: Any = dataclasses.field(default=None, repr=False)

    def value(self, expr: Any) -> np.ndarray:
        """Value of a variable or expression of the solved model (complex for Hermitian ones)."""
        from isactoolbox.modeling.expression import Variable

        if self.x is None:
            raise ValueError(f"no primal point (status {self.status}): {self.message}")
        if isinstance(expr, Variable):
            return self.model.variable_value(expr, self.x)
        x_of = {v.id: self.x[self.model.offsets[v.id]: self.model.offsets[v.id] + v.dim]
                for v in self.model.variables}
        p_of = {p.id: p.coordinates() for p in self.model.parameters}
        return expr.evaluate(x_of, p_of)

    def residuals(self) -> dict[str, float]:
        return {} if self.x is None else self.model.residuals(self.x)


class Backend(abc.ABC):
    """Base class of solver backends. Subclasses fill the class data and the three hooks."""

    family: ClassVar[str] = ""
    #: solver name -> problem classes it accepts (strings of ProblemClass)
    supported: ClassVar[dict[str, frozenset[str]]] = {}
    default_solver: ClassVar[str] = ""
    #: native status -> Status; read by the generic mapping
    STATUS_MAP: ClassVar[dict[str, Status]] = {}
    options: ClassVar[dict[str, Any]] = {}  # name -> isactoolbox.core.options.Option

    def __init__(self, solver: str | None = None, **options: Any) -> None:
        from isactoolbox.core.options import validate_options

        solver = solver or self.default_solver
        if solver not in self.supported:
            raise OptionError("solver", f"backend family {self.family!r} has no solver {solver!r} "
                              f"(known: {', '.join(self.supported)})", owner=self.family)
        self.solver = solver
        self.params = {k: o.default for k, o in self.options.items()}
        self.params.update(validate_options(self.options, options, f"backend {self.family}"))
        # (compiled model, its version, solver handle) of the last solve. The model itself is held, not
        # its id(): ids are reused after garbage collection and would hand a stale handle to a new model.
        self._prepared: tuple[Any, int, Any] | None = None

    @property
    def name(self) -> str:
        return f"{self.family}:{self.solver}"

    def __repr__(self) -> str:
        return f"<backend {self.name}>"

    # -- capabilities (class level, no solver import) --
    @classmethod
    def solver_names(cls) -> list[str]:
        return list(cls.supported)

    @classmethod
    @abc.abstractmethod
    def availability(cls, solver: str) -> Availability:
        """Whether ``solver`` is usable here, checked without importing heavy native libraries when possible."""

    @classmethod
    def how_to_enable(cls, solver: str) -> str:
        return f"install the Python package providing {solver!r}"

    @staticmethod
    def _module_present(module: str) -> bool:
        return importlib.util.find_spec(module) is not None

    def supports(self, model: Any, explain: bool = False) -> bool | tuple[bool, str]:
        pc = str(model.problem_class)
        ok = pc in self.supported[self.solver]
        reason = "" if ok else (f"{self.name} does not solve {pc} problems "
                                f"(it accepts {', '.join(sorted(self.supported[self.solver]))})")
        return (ok, reason) if explain else ok

    # -- the template --
    def solve(self, model: Any, *, verbose: bool = False, time_limit: float | None = None,
              keep_log: bool = False) -> Solution:
        ok, reason = self.supports(model, explain=True)  # type: ignore[misc]
        if not ok:
            raise UnsupportedProblemError(reason)
        avail = self.availability(self.solver)
        if not avail:
            raise BackendUnavailableError(f"{self.name} is unusable here ({avail.value}): "
                                          f"{self.how_to_enable(self.solver)}")
        t0 = time.perf_counter()
        version = model.version
        handle = None
        if self._prepared is not None and self._prepared[0] is model:
            _, old_version, old = self._prepared
            handle = old if old_version == version else self._update(old, model)
        if handle is None:
            handle = self._import(model)
        self._prepared = (model, version, handle)  # one model at a time keeps memory flat
        build = time.perf_counter() - t0
        sol = self._solve(handle, model, verbose=verbose, time_limit=time_limit, keep_log=keep_log)
        sol.build_time = build
        sol.model = model
        sol.backend = self.name
        if sol.x is not None:
            sol.x = np.asarray(sol.x, dtype=float)
            model.assign(sol.x)
            if sol.objective is None:
                sol.objective = model.objective_value(sol.x)
        return sol

    # ===================== TO BE OVERRIDDEN =====================
    @abc.abstractmethod
    def _import(self, model: Any) -> Any:
        """Build the solver-side model from ``model.data()``."""

    def _update(self, handle: Any, model: Any) -> Any | None:
        """Update ``handle`` in place for new parameter values; None means re-import."""
        return None

    @abc.abstractmethod
    def _solve(self, handle: Any, model: Any, *, verbose: bool, time_limit: float | None,
               keep_log: bool) -> Solution:
        """Run the solver; return a Solution with status, x (model coordinates) and solve_time."""


# -- lookup ---------------------------------------------------------------------------------------
def get_backend(spec: str, **options: Any) -> Backend:
    """``"family:solver"`` (or just ``"family"``) -> a backend instance, through the registry."""
    from isactoolbox.registry import registry

    family, _, solver = spec.partition(":")
    cls = registry.backend_family(family.strip())
    return cls(solver.strip() or None, **options)


def usable_backends(chain: str) -> list[Backend]:
    """The backends of a default chain ``"a,b,c"`` whose plugin is installed, in order.

    A default chain may name a plugin backend (e.g. clarabel) first; where that plugin is missing
    its route is left out, so the caller still runs on the core backends. When none is usable, the
    first route's error is raised.
    """
    from isactoolbox.errors import IsacToolboxError

    names = [n.strip() for n in chain.split(",") if n.strip()]
    usable = []
    for name in names:
        try:
            usable.append(get_backend(name))
        except IsacToolboxError:
            continue
    if not usable:
        get_backend(names[0])  # raises the named error
    return usable


def list_backends() -> list[dict[str, Any]]:
    """Every registered backend family and solver with its availability (broken plugins included)."""
    from isactoolbox.registry import registry

    rows = []
    for rec in registry.records("backend"):
        if rec.broken:
            rows.append({"backend": rec.name, "solver": "-", "available": False,
                         "detail": f"plugin broken: {rec.error}", "classes": [],
                         "distribution": rec.distribution})
            continue
        cls = rec.loaded
        for solver in cls.solver_names():
            try:
                avail = cls.availability(solver)
            except Exception as exc:  # an availability probe must not break the listing
                avail, detail = Availability.BROKEN, f"{type(exc).__name__}: {exc}"
            else:
                detail = "" if avail else f"{avail.value}: {cls.how_to_enable(solver)}"
            rows.append({"backend": f"{cls.family}:{solver}", "solver": solver, "available": bool(avail),
                         "detail": detail, "classes": sorted(cls.supported[solver]),
                         "distribution": rec.distribution})
    return rows


@functools.lru_cache(maxsize=None)
def distribution_version(name: str) -> str:
    """Installed version of distribution ``name`` ('' when it is not installed), looked up once per process.

    ``importlib.metadata.version`` scans every path entry (2.2 ms a call here), which every solve
    reporting its solver version would otherwise pay: 1.5% of a BPMS WCRB solve.
    """
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return ""


def status_from_map(status_map: Mapping[str, Status], raw: str) -> Status:
    return status_map.get(raw, Status.SOLVER_ERROR)
