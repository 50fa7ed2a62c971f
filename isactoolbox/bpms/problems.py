"""The convex programs of 004 as compiled neutral models, built once per scenario and re-solved.

- :class:`WCRBProblem`: weighted-sum CRB (15), over a full covariance (FDB) or codebook powers
  (CPA); ``rho`` is a model parameter, so a rho sweep re-solves one compiled model.
- :class:`WBFProblem`: lifted weighted beamformer mismatch (18) for given extreme beamformers.
- :class:`WVMProblem`: weighted covariance mismatch (19) without the rank constraint, its
  quadratic objective through the Schur LMI ``[[Y, D], [D^H, I]] >> 0`` (``tr Y >= ||D||_F^2``).

Everything is in scaled units (``X = V / v0``, ``W_s = W / sqrt(v0)``, ``v0 = P / M``); the
:class:`Outcome` carries physical values (W, W^2) and the solver timings.
"""
from __future__ import annotations

import dataclasses
import functools
import time
import weakref
from typing import Any, Callable

import numpy as np

from isactoolbox.bpms.fim import LinearFIM, bp_fim, ms_fim, shared_range
from isactoolbox.bpms.formulation import (add_crb_epigraph, codebook, codebook_fim_expression, codebook_fim_map,
                                          crb_unit, fim_coordinate_map, fim_expression, parametric_fim)
from isactoolbox.bpms.scenario import BistaticMonostatic
from isactoolbox.core.result import Timings
from isactoolbox.modeling import AffineExpression, CompiledModel, Model, bmat, inner, trace
from isactoolbox.status import Status


@dataclasses.dataclass
class Outcome:
    """One solve: status, physical covariance ``V`` (W) and/or beamformers ``W`` (sqrt W), objective."""

    status: Status
    objective: float | None = None
    V: np.ndarray | None = None
    W: np.ndarray | None = None
    powers: np.ndarray | None = None  # CPA: power on each codebook column (W)
    message: str = ""
    timings: Timings = dataclasses.field(default_factory=Timings)
    solver: str = ""
    solver_version: str = ""
    extra: dict[str, Any] = dataclasses.field(default_factory=dict)


def _timed_solve(backend: Any, compiled: Any, outcome: Outcome) -> Any:
    sol = backend.solve(compiled)
    outcome.timings.build += sol.build_time
    outcome.timings.solver += sol.solve_time
    outcome.timings.solves += 1
    outcome.status = sol.status
    outcome.message = sol.message
    outcome.solver, outcome.solver_version = sol.solver, sol.solver_version
    return sol


def covariance_variable(m: Model, sc: BistaticMonostatic, bp: LinearFIM, ms: LinearFIM,
                        reduce_range: bool) -> tuple[AffineExpression, np.ndarray | None, AffineExpression,
                                                     AffineExpression]:
    """The scaled covariance of an FDB program, its power budget, and the two FIMs of it.

    Returns ``(var, Q, Ft_bp, Ft_ms)``. With ``reduce_range`` the variable is ``Y`` (r x r, r = 2K + 2
    on these scenarios) and ``X = Q Y Q^H`` (:func:`~isactoolbox.bpms.fim.shared_range`): the same
    optimum, since both FIMs see X only through ``Q^H X Q`` and ``tr X = tr Y``, but a PSD cone of
    half the side for M_T = 16, K = 3. ``Q`` is None when nothing is removed.
    """
    Q = range_basis(sc, bp, ms, reduce_range)
    if Q is not None:
        bp, ms = bp.restricted(Q), ms.restricted(Q)
    var = m.hermitian("X" if Q is None else "Y", sc.n_tx if Q is None else Q.shape[1], psd=True)
    m.add(trace(var).real <= 1.0, name="power")
    return var, Q, fim_expression(bp, var), fim_expression(ms, var)


def range_basis(sc: BistaticMonostatic, bp: LinearFIM, ms: LinearFIM, reduce_range: bool) -> np.ndarray | None:
    """Q (n_tx, r) of :func:`~isactoolbox.bpms.fim.shared_range`, or None when not reducing or when
    nothing is removed (r = n_tx)."""
    Q = shared_range(bp, ms) if reduce_range else None
    return None if Q is None or Q.shape[1] == sc.n_tx else Q


def full_covariance(Q: np.ndarray | None, Y: np.ndarray) -> np.ndarray:
    """Scaled covariance X (n_tx, n_tx) of the solver's variable: ``Q Y Q^H``, Hermitian exactly."""
    X = Y if Q is None else Q @ Y @ Q.conj().T
    return 0.5 * (X + X.conj().T)


@functools.lru_cache(maxsize=16)
def wcrb_template(use_codebook: bool, size: int, reduced: bool, bp_size: int, bp_target: tuple[int, ...],
                  ms_size: int, ms_target: tuple[int, ...]) -> CompiledModel:
    """The compiled program (15) for one problem size, every scenario-dependent number a parameter.

    Parameters: ``rho``; ``bp_fim``, ``ms_fim`` (:func:`~isactoolbox.bpms.formulation.parametric_fim`);
    ``bp_sqrt_weights``, ``ms_sqrt_weights`` (the CRB weights' square roots, (t, 1)). The variable
    is ``lam`` (q codebook powers, CPA), ``Y`` (the range-reduced r x r covariance) or ``X``.
    Compiled once per size: a Monte-Carlo run over scenarios of one size pays the FIMs and a
    parameter update per scenario, not a model build (a few ms against a 60 ms solve).
    """
    m = Model("wcrb-cpa" if use_codebook else "wcrb-fdb")
    rho = m.parameter("rho", 1, value=0.5)
    if use_codebook:
        var = m.real("lam", size, lb=0.0)
        m.add(var.sum() <= 1.0, name="power")  # unit-norm columns: tr V / v0 = sum lam
    else:
        var = m.hermitian("Y" if reduced else "X", size, psd=True)
        m.add(trace(var).real <= 1.0, name="power")
    crb = {}
    for name, n, target in (("bp", bp_size, bp_target), ("ms", ms_size, ms_target)):
        F = parametric_fim(m, f"{name}_fim", n, var)
        sqrt_weights = m.parameter(f"{name}_sqrt_weights", len(target), value=1.0)
        crb[name] = add_crb_epigraph(m, F, np.asarray(target), sqrt_weights, name)
    # rho tr Tb + (1 - rho) tr Tm, written with one parameter product per trace and no constant 1 - rho
    m.minimize(crb["ms"] + rho * (crb["bp"] - crb["ms"]))
    return m.compile()


class WCRBProblem:
    """(15): min rho tr Tb + (1 - rho) tr Tm  s.t. the two Schur LMIs, tr X <= 1, X >> 0 (or lam >= 0).

    FDB with ``reduce_range`` (the default) solves for ``X = Q Y Q^H`` (:func:`covariance_variable`);
    ``range`` holds ``Q`` (None for the full program) and :meth:`solve` returns the full ``V``.
    ``compiled`` is this scenario's instance of the size's :func:`wcrb_template`.
    """

    def __init__(self, sc: BistaticMonostatic, use_codebook: bool, reduce_range: bool = True) -> None:
        t0 = time.perf_counter()
        self.scenario_power = sc.power_per_subcarrier
        self.bp, self.ms = bp_fim(sc), ms_fim(sc)
        self.unit = crb_unit(sc, self.bp, self.ms)
        self.use_codebook = use_codebook
        self.range = None if use_codebook else range_basis(sc, self.bp, self.ms, reduce_range)
        bp, ms = self.bp, self.ms
        if use_codebook:
            self.U = codebook(sc)
            size = self.U.shape[1]
        else:
            self.U = None
            if self.range is not None:
                bp, ms = bp.restricted(self.range), ms.restricted(self.range)
            size = sc.n_tx if self.range is None else self.range.shape[1]
        template = wcrb_template(use_codebook, size, self.range is not None, bp.size,
                                 tuple(int(t) for t in bp.target), ms.size, tuple(int(t) for t in ms.target))
        self.compiled = template.instance()
        self.var = self.compiled.variables[0]  # lam, Y or X: the template declares it first
        for name, lin in (("bp", bp), ("ms", ms)):
            fim_map = codebook_fim_map(lin, self.U) if use_codebook else fim_coordinate_map(lin, self.var)
            self.compiled.parameter(f"{name}_fim").value = fim_map
            self.compiled.parameter(f"{name}_sqrt_weights").value = np.sqrt(lin.crb_weights / self.unit)
        self.rho = self.compiled.parameter("rho")
        self.build_time = time.perf_counter() - t0

    def solve(self, backend: Any, rho: float) -> Outcome:
        """Outcome with V (W) and the weighted CRB bound (m^2) the relaxation attains."""
        self.rho.value = rho
        out = Outcome(Status.SOLVER_ERROR)
        sol = _timed_solve(backend, self.compiled, out)
        if not sol.status.has_solution or sol.x is None:
            return out
        v0 = self.scenario_power
        if self.use_codebook:
            lam = np.clip(np.asarray(sol.value(self.var), dtype=float).ravel(), 0.0, None)
            out.powers = v0 * lam
            out.V = (self.U * out.powers) @ self.U.conj().T
        else:
            out.V = v0 * full_covariance(self.range, np.asarray(sol.value(self.var)))
        out.objective = float(sol.objective) * self.unit
        return out


class EpsilonConstraintProblem:
    """Exact points of the tradeoff boundary: min CRB_MS s.t. CRB_BP <= b, tr X <= 1 (FDB or CPA).

    The bound ``b`` is a model parameter; used to measure how far a scheme's points are from the
    boundary without the chord error of interpolating sampled WCRB points.
    """

    def __init__(self, sc: BistaticMonostatic, use_codebook: bool, reduce_range: bool = True) -> None:
        t0 = time.perf_counter()
        self.scenario_power = sc.power_per_subcarrier
        self.bp, self.ms = bp_fim(sc), ms_fim(sc)
        self.unit = crb_unit(sc, self.bp, self.ms)
        m = Model("bp-bounded-ms")
        self.bound = m.parameter("bp_bound", 1, value=1.0)
        if use_codebook:
            U = codebook(sc)
            x = m.real("lam", U.shape[1], lb=0.0)
            m.add(x.sum() <= 1.0, name="power")
            Fb, Fm = codebook_fim_expression(self.bp, U, x), codebook_fim_expression(self.ms, U, x)
        else:
            x, _, Fb, Fm = covariance_variable(m, sc, self.bp, self.ms, reduce_range)
        crb_b = add_crb_epigraph(m, Fb, self.bp.target, self.bp.crb_weights / self.unit, "bp")
        crb_m = add_crb_epigraph(m, Fm, self.ms.target, self.ms.crb_weights / self.unit, "ms")
        m.add(crb_b <= self.bound, name="bp_bound")
        m.minimize(crb_m)
        self.compiled = m.compile()
        self.build_time = time.perf_counter() - t0

    def solve(self, backend: Any, bp_bound: float) -> Outcome:
        """Outcome whose objective is the least MS CRB (m^2) with BP CRB <= bp_bound (m^2)."""
        self.bound.value = bp_bound / self.unit
        out = Outcome(Status.SOLVER_ERROR)
        sol = _timed_solve(backend, self.compiled, out)
        if sol.status.has_solution and sol.objective is not None:
            out.objective = float(sol.objective) * self.unit
        return out


class WVMProblem:
    """(19) relaxed: min ||X - Xi(rho)||_F^2 s.t. tr X = 1, X >> 0, Xi = rho Xb + (1 - rho) Xm.

    ``rho ||X - Xb||^2 + (1 - rho) ||X - Xm||^2 = ||X - Xi||^2 + rho (1 - rho) ||Xb - Xm||^2``.
    """

    def __init__(self, V_bp: np.ndarray, V_ms: np.ndarray, power: float) -> None:
        t0 = time.perf_counter()
        self.v0 = power
        self.Xb, self.Xm = V_bp / power, V_ms / power
        n = V_bp.shape[0]
        m = Model("wvm")
        self.rho = m.parameter("rho", 1, value=0.5)
        self.X = m.hermitian("X", n, psd=True)
        Y = m.hermitian("Y", n)
        m.add(trace(self.X).real == 1.0, name="power")  # (19b) full power
        D = self.X - (self.rho * (self.Xb - self.Xm) + self.Xm)
        m.add(bmat([[Y, D], [D.H, np.eye(n)]]) >> 0, name="mismatch_schur")
        m.minimize(trace(Y).real)
        self.compiled = m.compile()
        self.build_time = time.perf_counter() - t0

    def objective(self, V: np.ndarray, rho: float) -> float:
        """(19a) in W^2 for a covariance V (W)."""
        Vb, Vm = self.Xb * self.v0, self.Xm * self.v0
        return float(rho * np.linalg.norm(V - Vb) ** 2 + (1 - rho) * np.linalg.norm(V - Vm) ** 2)

    def closed_form(self, rho: float) -> Outcome:
        """(19) without the rank constraint solved exactly: the Frobenius projection of Xi onto
        {X >> 0, tr X = 1} (eigenvalues projected onto the simplex). When both extremes have
        full power, Xi itself is feasible and is the answer."""
        xi = rho * self.Xb + (1 - rho) * self.Xm
        lam, Q = np.linalg.eigh(0.5 * (xi + xi.conj().T))
        mu = _simplex_projection(lam)
        out = Outcome(Status.OPTIMAL, solver="closed-form")
        out.V = self.v0 * (Q * mu) @ Q.conj().T
        out.objective = self.objective(out.V, rho)
        return out

    def solve(self, backend: Any, rho: float) -> Outcome:
        self.rho.value = rho
        out = Outcome(Status.SOLVER_ERROR)
        sol = _timed_solve(backend, self.compiled, out)
        if not sol.status.has_solution or sol.x is None:
            return out
        X = np.asarray(sol.value(self.X))
        out.V = self.v0 * 0.5 * (X + X.conj().T)
        const = rho * (1 - rho) * np.linalg.norm(self.Xb - self.Xm) ** 2
        out.objective = (float(sol.objective) + const) * self.v0**2
        return out


def _simplex_projection(v: np.ndarray, total: float = 1.0) -> np.ndarray:
    """Euclidean projection of v onto {x >= 0, sum x = total} (sort-based, exact)."""
    u = np.sort(v)[::-1]
    css = np.cumsum(u) - total
    k = np.arange(1, v.size + 1)
    r = np.flatnonzero(u - css / k > 0)[-1]
    return np.maximum(v - css[r] / (r + 1), 0.0)


class WBFProblem:
    """(18): lifted Wt_l = [1; w_l][1; w_l]^H, min sum_l tr(Q_l(rho) Wt_l), sum tr Wt_l = 1 + L', [Wt_l]_00 = 1.

    ``Q_l = [[0, -Xi_l^H], [-Xi_l, I]]`` with ``Xi = rho Wb + (1 - rho) Wm`` (scaled beamformers).
    Columns l where both ``Wb`` and ``Wm`` vanish have ``w_l = 0`` at the optimum (the objective
    is ``||W||^2 - 2 Re<Xi, W>`` at fixed ``||W||``, maximised by ``W`` parallel to ``Xi``), so
    only the other L' columns are lifted; the recovered W keeps L columns.
    """

    def __init__(self, W_bp: np.ndarray, W_ms: np.ndarray, power: float) -> None:
        t0 = time.perf_counter()
        self.v0 = power
        self.Wb, self.Wm = W_bp / np.sqrt(power), W_ms / np.sqrt(power)
        n, L = self.Wb.shape
        self.L = L
        norms = np.linalg.norm(self.Wb, axis=0) + np.linalg.norm(self.Wm, axis=0)
        self.active = np.flatnonzero(norms > 1e-9 * max(norms.max(), 1e-300))
        m = Model("wbf")
        self.rho = m.parameter("rho", 1, value=0.5)
        self.lifted = []
        obj_b, obj_m, total = 0.0, 0.0, 0.0
        for l in self.active:
            Wt = m.hermitian(f"Wt{l}", n + 1, psd=True)
            m.add(Wt[0, 0].real == 1.0, name=f"lift{l}")
            obj_b = obj_b + inner(self._q(self.Wb[:, l]), Wt)
            obj_m = obj_m + inner(self._q(self.Wm[:, l]), Wt)
            total = total + trace(Wt).real
            self.lifted.append(Wt)
        m.add(total == 1.0 + len(self.active), name="power")  # (18b): P/M + L in scaled units
        m.minimize(self.rho * obj_b + (1 - self.rho) * obj_m)
        self.compiled = m.compile()
        self.build_time = time.perf_counter() - t0

    @staticmethod
    def _q(xi: np.ndarray) -> np.ndarray:
        n = xi.shape[0]
        Q = np.zeros((n + 1, n + 1), dtype=complex)
        Q[0, 1:] = -xi.conj()
        Q[1:, 0] = -xi
        Q[1:, 1:] = np.eye(n)
        return Q

    def objective(self, W: np.ndarray, rho: float) -> float:
        """(16a) in W for beamformers W (physical)."""
        s = np.sqrt(self.v0)
        return float(rho * np.linalg.norm(W - s * self.Wb) ** 2 + (1 - rho) * np.linalg.norm(W - s * self.Wm) ** 2)

    def closed_form(self, rho: float) -> Outcome:
        """(16) solved exactly: at fixed ||W||^2 = P/M the objective is const - 2 Re<Xi, W>, so
        W = sqrt(P/M) Xi / ||Xi||_F (Cauchy-Schwarz). The SDP (18) must reproduce it."""
        xi = rho * self.Wb + (1 - rho) * self.Wm
        norm = np.linalg.norm(xi)
        if norm == 0:
            return Outcome(Status.SOLVER_ERROR, message="rho Wb + (1 - rho) Wm = 0: every full-power W is optimal")
        out = Outcome(Status.OPTIMAL, solver="closed-form")
        out.W = np.sqrt(self.v0) * xi / norm
        out.V = out.W @ out.W.conj().T
        out.objective = self.objective(out.W, rho)
        out.extra["lift_rank_ratio"] = 0.0
        return out

    def solve(self, backend: Any, rho: float) -> Outcome:
        self.rho.value = rho
        out = Outcome(Status.SOLVER_ERROR)
        sol = _timed_solve(backend, self.compiled, out)
        if not sol.status.has_solution or sol.x is None:
            return out
        Ws = np.zeros((self.Wb.shape[0], self.L), dtype=complex)
        second = 0.0
        for l, Wt in zip(self.active, self.lifted):
            M = np.asarray(sol.value(Wt))
            M = 0.5 * (M + M.conj().T)
            lam, Q = np.linalg.eigh(M)
            second = max(second, lam[-2] / max(lam[-1], 1e-300))
            v = Q[:, -1] * np.sqrt(max(lam[-1], 0.0))
            Ws[:, l] = v[1:] * np.conj(v[0]) / max(abs(v[0]) ** 2, 1e-300)  # [1; w] up to phase
        out.W = np.sqrt(self.v0) * Ws
        out.V = out.W @ out.W.conj().T
        out.extra["lift_rank_ratio"] = float(second)  # lambda_2 / lambda_1 of the lifted blocks
        out.objective = self.objective(out.W, rho)
        return out


# --- per-scenario cache: compiled models and the rho = 1 / rho = 0 extremes -------------------------
_CACHE: "weakref.WeakKeyDictionary[BistaticMonostatic, dict[Any, Any]]" = weakref.WeakKeyDictionary()


def cached(sc: BistaticMonostatic, key: Any, make: Callable[[], Any]) -> tuple[Any, bool]:
    """(object, was_cached) for ``key`` on this scenario instance."""
    entry = _CACHE.setdefault(sc, {})
    if key in entry:
        return entry[key], True
    entry[key] = make()
    return entry[key], False


def wcrb_problem(sc: BistaticMonostatic, use_codebook: bool,
                 reduce_range: bool = True) -> tuple[WCRBProblem, bool]:
    reduce_range = reduce_range and not use_codebook  # the codebook program has no covariance to reduce
    return cached(sc, ("wcrb", use_codebook, reduce_range), lambda: WCRBProblem(sc, use_codebook, reduce_range))


def clear_cache(sc: BistaticMonostatic | None = None) -> None:
    """Forget compiled models / extremes (of one scenario, or all)."""
    if sc is None:
        _CACHE.clear()
    else:
        _CACHE.pop(sc, None)
