"""Pyomo backend: ``pyomo:highs`` (LP/MILP), ``pyomo:ipopt`` (LP/SDP by certified low-rank factorization)
and ``pyomo:highs-oa`` (small (MI)SDPs by eigenvector-cut outer approximation).

Pyomo has no free solver for semidefinite cones, so PSD constraints are reached by two honest routes:

``pyomo:ipopt``
    Each LMI is written ``M(x) = S S^H`` with an explicit factor (see
    :mod:`isactoolbox.backends.pyomo_factor`): a PSD variable ``X`` becomes ``L L^H`` with ``L`` of a
    small rank (option ``rank``, default 1: the SDR beamformer case), any other LMI gets a full-rank
    slack factor. Ipopt (through cyipopt and Pyomo's PyNumero) solves the nonconvex factorized problem;
    its multipliers give an SDP dual point, which :mod:`isactoolbox.backends.pyomo_certificate` checks
    on the canonical data: dual slacks PSD, stationarity, duality gap. If a PSD variable's dual slack has
    a negative eigenvalue, that factor gets one more column along the eigenvector (a descent direction)
    and Ipopt re-solves from there. Status ``optimal`` is reported only with a passed certificate;
    otherwise ``local`` (a KKT point of the factorized problem). Infeasibility is reported only when
    Ipopt's multipliers form a checked Farkas ray; a "locally infeasible" Ipopt answer alone is a
    solver error, never ``infeasible``. Discrete variables are refused (cyipopt has none).

``pyomo:highs``
    The canonical LP/MILP handed to HiGHS through ``pyomo.contrib.solver`` (HiGHS's own optimality
    conditions certify ``optimal``; "infeasible or unbounded" is resolved, see
    :mod:`isactoolbox.backends.pyomo_highs`).

``pyomo:highs-oa``
    :mod:`isactoolbox.backends.pyomo_oa`; measured limits are in that module's docstring.

Set-up: ``pyomo:highs`` needs only ``pyomo`` and ``highspy``; ``pyomo:ipopt`` needs
``bash scripts/install_ipopt.sh`` once per machine (Debian's Ipopt, cyipopt, Pyomo's PyNumero).

Timing. ``build_time`` covers the Pyomo model (and, for Ipopt, the NL file PyNumero writes) of the
first solve; the models rebuilt after a rank increase are counted in ``solve_time``.
"""
from __future__ import annotations

import dataclasses
import functools
import time
from pathlib import Path
from typing import Any

import numpy as np

from isactoolbox.backends.pyomo_certificate import DualCandidate, certify, farkas
from isactoolbox.backends.pyomo_highs import HIGHS_STATUS, highs_version, solve_highs
from isactoolbox.backends.pyomo_linear import build_linear, start_point, trivial_violation
from isactoolbox.core.backend import Availability, Backend, Solution, distribution_version
from isactoolbox.core.options import Option
from isactoolbox.errors import UnsupportedProblemError
from isactoolbox.status import Status

INSTALL_SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "install_ipopt.sh"


def _positive(name: str) -> Any:
    return lambda v: None if v > 0 else f"{name} must be positive"


@functools.lru_cache(maxsize=1)
def _pynumero_ready() -> bool:
    try:
        from pyomo.contrib.pynumero.asl import AmplInterface

        return bool(AmplInterface.available())
    except Exception:  # a broken build must read as "needs build", not crash a listing
        return False


@functools.lru_cache(maxsize=1)
def _cyipopt_importable() -> bool:
    try:
        import cyipopt  # noqa: F401
    except Exception:
        return False
    return True


class PyomoBackend(Backend):
    family = "pyomo"
    supported = {
        "highs": frozenset({"LP", "MILP"}),
        "ipopt": frozenset({"LP", "SDP"}),
        "highs-oa": frozenset({"LP", "MILP", "SDP", "MISDP"}),
    }
    default_solver = "highs"
    STATUS_MAP = {name: status for name, status in HIGHS_STATUS.items()}
    options = {
        "rank": Option(1, int, "pyomo:ipopt: initial rank of the factor L of each PSD variable X = L L^H",
                       check=_positive("rank")),
        "max_rank": Option(None, int, "pyomo:ipopt: cap on that rank (default: the block size)", allow_none=True),
        "slack_rank": Option(None, int, "pyomo:ipopt: rank of the slack factor of other LMIs (default: full)",
                             allow_none=True),
        "max_rounds": Option(8, int, "pyomo:ipopt: Ipopt solves (rank increases, restarts) before "
                             "settling for an uncertified local point", check=_positive("max_rounds")),
        "cert_tol": Option(1e-6, float, "pyomo:ipopt: relative tolerance of the certificate (gap, dual "
                           "stationarity, dual slack eigenvalues)", check=_positive("cert_tol")),
        "feas_tol": Option(1e-6, float, "pyomo:ipopt: primal feasibility tolerance (relative to max(1, |x|))",
                           check=_positive("feas_tol")),
        "ipopt_tol": Option(1e-9, float, "pyomo:ipopt: Ipopt's 'tol'", check=_positive("ipopt_tol")),
        "max_iterations": Option(3000, int, "pyomo:ipopt: Ipopt 'max_iter' per solve",
                                 check=_positive("max_iterations")),
        "seed": Option(0, int, "pyomo:ipopt: seed of the random initial factors"),
        "warm_start": Option(True, bool, "pyomo:ipopt: start re-solves of the same compiled model (new "
                             "parameter values) from the previous factors and ranks"),
        "ipopt_options": Option(None, dict, "pyomo:ipopt: extra raw Ipopt options", allow_none=True),
        "mip_rel_gap": Option(1e-6, float, "pyomo:highs, pyomo:highs-oa: HiGHS relative MIP gap",
                              check=_positive("mip_rel_gap")),
        "oa_tol": Option(1e-7, float, "pyomo:highs-oa: accepted LMI violation, relative to max(1, |M|_2)",
                         check=_positive("oa_tol")),
        "oa_max_rounds": Option(500, int, "pyomo:highs-oa: master solves before giving up",
                                check=_positive("oa_max_rounds")),
        "oa_box": Option(1e4, float, "pyomo:highs-oa: artificial bound on free coordinates when the first "
                         "master is unbounded", check=_positive("oa_box")),
    }

    def __init__(self, solver: str | None = None, **options: Any) -> None:
        super().__init__(solver, **options)
        # (compiled model, x, factors) of the last pyomo:ipopt solve: the start of the next solve of the
        # same model after a parameter change (the model is held, not its id, which can be reused)
        self._warm: tuple[Any, np.ndarray, list[np.ndarray]] | None = None

    # -- capabilities --
    @classmethod
    def availability(cls, solver: str) -> Availability:
        if not cls._module_present("pyomo"):
            return Availability.NOT_INSTALLED
        if solver in ("highs", "highs-oa"):
            return Availability.AVAILABLE if cls._module_present("highspy") else Availability.NOT_INSTALLED
        if not cls._module_present("cyipopt"):
            return Availability.NOT_INSTALLED
        if not _cyipopt_importable():
            return Availability.BROKEN
        return Availability.AVAILABLE if _pynumero_ready() else Availability.NEEDS_BUILD

    @classmethod
    def how_to_enable(cls, solver: str) -> str:
        if solver in ("highs", "highs-oa"):
            return "pip install pyomo highspy"
        script = INSTALL_SCRIPT if INSTALL_SCRIPT.exists() else Path("scripts/install_ipopt.sh")
        return (f"bash {script}  (installs Debian's coinor-libipopt-dev, builds cyipopt against it and "
                "Pyomo's PyNumero library; needs root or sudo for apt-get)")

    def supports(self, model: Any, explain: bool = False) -> bool | tuple[bool, str]:
        ok, reason = super().supports(model, explain=True)  # type: ignore[misc]
        if ok and self.solver == "ipopt" and model.integer.size:
            ok, reason = False, "pyomo:ipopt cannot handle integer variables (cyipopt has none)"
        return (ok, reason) if explain else ok

    # -- hooks --
    def _import(self, model: Any) -> Any:
        d = model.data()
        handle: dict[str, Any] = {"data": d, "trivial": trivial_violation(d)}
        if handle["trivial"]:
            return handle
        if self.solver == "ipopt":
            handle.update(self._import_factorized(model, d))
        else:
            handle["linear"] = build_linear(d, model.nx)
        return handle

    def _solve(self, handle: Any, model: Any, *, verbose: bool, time_limit: float | None,
               keep_log: bool) -> Solution:
        if handle["trivial"]:
            return Solution(Status.INFEASIBLE, None, None, self.name, self.solver, self._version(),
                            raw_status="trivially infeasible", message=handle["trivial"])
        if self.solver == "highs":
            return self._solve_highs(handle, model, verbose=verbose, time_limit=time_limit, keep_log=keep_log)
        if self.solver == "highs-oa":
            return self._solve_oa(handle, model, verbose=verbose, time_limit=time_limit, keep_log=keep_log)
        return self._solve_ipopt(handle, model, verbose=verbose, time_limit=time_limit, keep_log=keep_log)

    def _version(self) -> str:
        if self.solver == "ipopt":
            version = distribution_version("cyipopt")
            return f"cyipopt {version}" if version else ""
        return f"highspy {highs_version()}"

    @staticmethod
    def _model_sense(model: Any, value: float | None) -> float | None:
        """A bound of the canonical minimisation, in the model's own sense (an upper bound for max)."""
        if value is None:
            return None
        return -float(value) if model.sense == "max" else float(value)

    # -- pyomo:highs --
    def _solve_highs(self, handle: Any, model: Any, *, verbose: bool, time_limit: float | None,
                     keep_log: bool) -> Solution:
        lin = handle["linear"]
        out = solve_highs(lin.model, lin.xs, time_limit=time_limit, verbose=verbose,
                          solver_options={"mip_rel_gap": self.params["mip_rel_gap"]})
        cert: dict[str, Any] = {}
        if out.status is Status.OPTIMAL:
            cert = {"solver_optimality": "HiGHS", "objective_bound": self._model_sense(model, out.bound)}
            if model.integer.size and out.bound is not None and out.objective is not None:
                cert["mip_gap"] = abs(out.objective - out.bound) / max(1.0, abs(out.objective))
                cert["mip_nodes"] = out.nodes
        return Solution(out.status, out.x, None, self.name, self.solver, self._version(),
                        solve_time=out.solve_time, iterations=out.iterations, raw_status=out.raw_status,
                        message=out.message, log=out.log if keep_log else None, certificate=cert)

    # -- pyomo:highs-oa --
    def _solve_oa(self, handle: Any, model: Any, *, verbose: bool, time_limit: float | None,
                  keep_log: bool) -> Solution:
        from isactoolbox.backends.pyomo_oa import solve_oa

        d = handle["data"]
        if not d.lmis:
            return self._solve_highs(handle, model, verbose=verbose, time_limit=time_limit, keep_log=keep_log)
        # cuts are added to the Pyomo model: work on a fresh copy so a re-solve starts clean
        lin = build_linear(d, model.nx) if handle.get("oa_used") else handle["linear"]
        handle["oa_used"] = True
        out = solve_oa(lin, d, tol=self.params["oa_tol"], max_rounds=self.params["oa_max_rounds"],
                       box=self.params["oa_box"], mip_rel_gap=self.params["mip_rel_gap"],
                       time_limit=time_limit, verbose=verbose)
        cert = {"objective_bound": self._model_sense(model, out.bound), "lmi_min_eig_rel": out.min_eig_rel, "rounds": out.rounds,
                "cuts": out.cuts, "oa_tol": self.params["oa_tol"], "artificial_box": out.boxed}
        return Solution(out.status, out.x, None, self.name, self.solver, self._version(),
                        solve_time=out.solve_time, iterations=out.iterations, raw_status=out.raw_status,
                        message=out.message, certificate=cert)

    # -- pyomo:ipopt --
    def _settings(self, verbose: bool, time_limit: float | None) -> Any:
        from isactoolbox.backends.pyomo_factor import FactorSettings

        opts: dict[str, Any] = {"tol": self.params["ipopt_tol"], "acceptable_tol": 1e-7,
                                "max_iter": self.params["max_iterations"], "print_level": 5 if verbose else 0,
                                "sb": "yes", "mu_strategy": "adaptive"}
        if time_limit is not None:
            opts["max_cpu_time"] = float(time_limit)
        opts.update(self.params["ipopt_options"] or {})
        return FactorSettings(rank=self.params["rank"], max_rank=self.params["max_rank"],
                              slack_rank=self.params["slack_rank"], max_rounds=self.params["max_rounds"],
                              cert_tol=self.params["cert_tol"], feas_tol=self.params["feas_tol"],
                              ipopt_options=opts, seed=self.params["seed"])

    def _import_factorized(self, model: Any, d: Any) -> dict[str, Any]:
        from isactoolbox.backends.pyomo_factor import prepare

        warm = None
        if self.params["warm_start"] and self._warm is not None and self._warm[0] is model:
            warm = (self._warm[1], self._warm[2])
        return {"prepared": prepare(d, model.nx, self._settings(False, None), warm=warm)}

    def _solve_ipopt(self, handle: Any, model: Any, *, verbose: bool, time_limit: float | None,
                     keep_log: bool) -> Solution:
        from isactoolbox.backends.pyomo_factor import solve_factorized

        d = handle["data"]
        deadline = None if time_limit is None else time.perf_counter() + time_limit
        res = solve_factorized(d, model.nx, self._settings(verbose, time_limit), prepared=handle["prepared"],
                               verbose=verbose, deadline=deadline, keep_log=keep_log)
        cert = dict(res.certificate)
        if model.sense == "max" and cert.get("dual_bound") is not None:
            cert["dual_bound"] = -cert["dual_bound"]  # reported in the model's own sense
        if res.x is not None and res.factors is not None and res.fn is not None:
            if self.params["warm_start"]:
                self._warm = (model, res.x.copy(), [S.copy() for S in res.factors])
            handle["prepared"] = (res.fn, res.x, res.factors, handle["prepared"][3])  # a repeated solve starts here
        return Solution(res.status, res.x, None, self.name, self.solver, self._version(), solve_time=res.seconds,
                        iterations=res.iterations, raw_status=res.raw_status, message=res.message,
                        log=(res.log or None) if keep_log else None, certificate=cert)


__all__ = ["PyomoBackend", "UnsupportedProblemError"]
