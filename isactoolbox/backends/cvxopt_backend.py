"""``cvxopt:conelp``: the neutral model's canonical data handed straight to ``cvxopt.solvers.conelp``.

conelp solves ``min c'x s.t. G x + s = h, A x = b, s in K`` with K a nonnegative orthant times PSD
cones, which is the canonical form of :mod:`isactoolbox.modeling.model` up to signs, so nothing sits
in between (``picos:cvxopt`` rebuilds a PICOS problem first: 0.03 s on the network-ISAC SDP and
0.10 s on the BPMS WCRB SDP). Complex Hermitian LMIs are embedded as the real
``[[Re M, -Im M], [Im M, Re M]] >> 0`` (:mod:`isactoolbox.backends.conic_form`).

Defaults are PICOS's for CVXOPT (picos 2.6: ``abs_ipm_opt_tol = rel_ipm_opt_tol = 1e-8``, feastol =
the relative feasibility tolerances = 1e-8, ``cvxopt_kktreg = 1e-9``, the ``chol`` KKT solver first
and ``ldl`` after a failure), so this backend gives the answers ``picos:cvxopt`` gives on the same
data. One exception: PICOS passes ``maxiters = 10**6`` when no limit is set; on the network-ISAC
SDP at tolerances 1e-10 (unreachable) that kept ``ldl`` iterating for over 5 minutes at 0.08 s an
iteration, so the limit here is CVXOPT's own 100 (converged solves here take 20-40).
CVXOPT has no time limit: ``time_limit`` is ignored. LP and SDP only (conelp has no integers).
"""
from __future__ import annotations

import contextlib
import io
import sys
import time
from typing import Any, TextIO

import numpy as np
import scipy.sparse as sp

from isactoolbox.backends.conic_form import orthant_rows, real_lmis, stack_rows
from isactoolbox.core.backend import Availability, Backend, Solution, distribution_version
from isactoolbox.core.options import Option
from isactoolbox.modeling.csr import entry_rows, row_lengths
from isactoolbox.status import Status

#: What PICOS passes as ``maxiters`` when the user sets no iteration limit.
_PICOS_MAXITERS = 10 ** 6


def _positive(v: float) -> str | None:
    return None if v > 0 else "must be > 0"


def _nonnegative(v: float) -> str | None:
    return None if v >= 0 else "must be >= 0"


#: Dense size (rows x columns of A_eq) up to which dependent equality rows are looked for; the
#: toolbox's models have a few dozen equalities, a QR of that size costs well under a millisecond.
_RANK_CHECK_LIMIT = 4_000_000


def _independent_rows(A: sp.csr_matrix, b: np.ndarray) -> tuple[np.ndarray, int | None]:
    """Indices of a maximal independent set of rows of the equalities ``A x + b = 0`` (in order), and
    the index of a dropped row the kept ones contradict (None when consistent).

    Pivoted QR of ``A^T``; a row is dependent when its pivot is below 1e-10 of the largest. Larger
    systems than ``_RANK_CHECK_LIMIT`` are passed on unchecked.
    """
    p, n = A.shape
    if p <= 1 or p * n > _RANK_CHECK_LIMIT:
        return np.arange(p), None
    import scipy.linalg as sla

    dense = A.toarray()
    R, piv = sla.qr(dense.T, mode="r", pivoting=True)
    diag = np.abs(np.diag(R))
    rank = int(np.sum(diag > 1e-10 * max(diag[0], np.finfo(float).tiny))) if diag.size else 0
    if rank == p:
        return np.arange(p), None
    kept = np.sort(piv[:rank])
    dropped = np.sort(piv[rank:])
    x0 = np.linalg.lstsq(dense[kept], -b[kept], rcond=None)[0]
    resid = np.abs(dense[dropped] @ x0 + b[dropped])
    scale = 1.0 + np.abs(b[dropped]) + np.abs(dense[dropped]).sum(axis=1) * np.abs(x0).max(initial=0.0)
    worst = int(np.argmax(resid / scale))
    return kept, (int(dropped[worst]) if resid[worst] > 1e-9 * scale[worst] else None)


#: Largest G (entries) handed to conelp as a dense matrix (256 MB); its dense KKT solvers allocate a
#: dense copy of that size anyway.
_DENSE_G_SIZE = 1 << 25

def _spmatrix(M: sp.spmatrix) -> Any:
    """scipy.sparse (m, n) -> cvxopt.spmatrix 'd', through the buffer protocol (no Python lists).

    CVXOPT's triplet constructor costs superlinearly in the entries per column (33 ms for the
    143k-entry G of the BPMS WCRB SDP, ~485 per column), so the rows go in chunks of about 16
    entries per column and ``cvxopt.sparse`` stacks them, which is linear: 4 ms on the same G.
    """
    import cvxopt

    M = sp.csr_matrix(M)
    m, n = M.shape
    target = max(4096, 16 * n)
    cuts = np.searchsorted(M.indptr, np.arange(target, M.nnz, target), side="right") - 1
    cuts = np.unique(np.concatenate([[0], cuts, [m]]))
    parts = []
    for r0, r1 in zip(cuts[:-1], cuts[1:]):
        a, b = M.indptr[r0], M.indptr[r1]
        rows = np.repeat(np.arange(r1 - r0, dtype=np.int64), np.diff(M.indptr[r0:r1 + 1]))
        parts.append(cvxopt.spmatrix(cvxopt.matrix(M.data[a:b].astype(float)), cvxopt.matrix(rows),
                                     cvxopt.matrix(M.indices[a:b].astype(np.int64)), (int(r1 - r0), n), "d"))
    if not parts:
        return cvxopt.spmatrix([], [], [], (m, n), "d")
    return parts[0] if len(parts) == 1 else cvxopt.sparse(parts)


class _Tee(io.TextIOBase):
    """Writes to a buffer and, when verbose, to the real stdout too (keep_log with verbose)."""

    def __init__(self, buffer: io.StringIO, echo: TextIO | None) -> None:
        self.buffer, self.echo = buffer, echo

    def write(self, text: str) -> int:
        self.buffer.write(text)
        if self.echo is not None:
            self.echo.write(text)
        return len(text)


class CvxoptBackend(Backend):
    family = "cvxopt"
    supported = {"conelp": frozenset({"LP", "SDP"})}
    default_solver = "conelp"
    options = {
        "abs_tol": Option(1e-8, float, "absolute duality-gap tolerance (CVXOPT abstol; PICOS's default 1e-8)",
                          check=_nonnegative),
        "rel_tol": Option(1e-8, float, "relative duality-gap tolerance (CVXOPT reltol; PICOS's default 1e-8)",
                          check=_nonnegative),
        "feas_tol": Option(1e-8, float, "primal and dual feasibility tolerance, relative (CVXOPT feastol; "
                           "PICOS's default 1e-8)", check=_positive),
        "max_iterations": Option(100, int, "iteration limit (CVXOPT maxiters; CVXOPT's default). PICOS passes "
                                 f"{_PICOS_MAXITERS} when unset, which never stops a stalled solve",
                                 check=lambda n: None if n >= 1 else "must be >= 1"),
        "kkt_solver": Option("chol", str, "CVXOPT KKT solver", choices=("chol", "ldl", "ldl2", "qr", "chol2")),
        "kkt_fallback": Option(True, bool, "when the KKT solver raises on a singular system, or ends with "
                               "status 'unknown' before the iteration limit, solve once more with 'ldl' "
                               "(PICOS's behaviour)"),
        "kkt_reg": Option(1e-9, float, "regularisation of the 'ldl' KKT solver (CVXOPT kktreg; PICOS's default "
                          "1e-9); also skips CVXOPT's rank pre-check. None = CVXOPT's default (none)",
                          allow_none=True, check=_nonnegative),
        "reduced_tol": Option(1e-4, float, "an 'unknown' stop whose relative residuals and gap (absolute or "
                              "relative) are all below this is INACCURATE, not SOLVER_ERROR (Clarabel's "
                              "reduced accuracy)", check=_positive),
    }
    # conelp's 'unknown' is resolved by _unknown_status from the residuals and the iteration count.
    STATUS_MAP = {
        "optimal": Status.OPTIMAL,
        "primal infeasible": Status.INFEASIBLE,
        "dual infeasible": Status.UNBOUNDED,
        "unknown": Status.SOLVER_ERROR,
    }

    @classmethod
    def availability(cls, solver: str) -> Availability:
        return Availability.AVAILABLE if cls._module_present("cvxopt") else Availability.NOT_INSTALLED

    @classmethod
    def how_to_enable(cls, solver: str) -> str:
        return "pip install cvxopt"

    # -- hooks --
    def _import(self, model: Any) -> dict[str, Any]:
        """conelp's arguments (c, G, h, dims, A, b) from ``model.data()``; all 'd' cvxopt matrices."""
        import cvxopt

        d = model.data()
        nx = model.nx
        A_lin, b_lin = orthant_rows(d, nx)
        lmis = real_lmis(d)
        # s = h - G x = vec(M); M is symmetric, so row- and column-major vec (CVXOPT's) agree.
        G = self._cone_matrix([(A_lin, 1.0)] + [(F, -1.0) for F, _, _ in lmis], nx)
        h = np.concatenate([b_lin] + [f for _, f, _ in lmis])
        handle: dict[str, Any] = {
            "c": cvxopt.matrix(d.c.astype(float)), "G": G, "h": cvxopt.matrix(h.astype(float)),
            "dims": {"l": int(A_lin.shape[0]), "q": [], "s": [n for _, _, n in lmis]},
            "c0": d.c0, "infeasible": None,  # why the equalities are inconsistent, if they are
        }
        if d.A_eq.shape[0]:
            # CVXOPT needs A of full row rank: empty rows go (as PICOS drops them); one with b != 0
            # is the constraint 0 == b, infeasible without a solve. Rows that repeat others go too:
            # whether 'chol' then raises or runs to the iteration limit depends on rounding in the
            # BLAS build (both seen on the same LP), so they are not left to the solver.
            A_eq = sp.csr_matrix(d.A_eq, copy=True)  # the canonical data's arrays may be shared, read-only
            A_eq.eliminate_zeros()
            empty = row_lengths(A_eq.indptr) == 0
            bad = np.flatnonzero(empty & (d.b_eq != 0))
            if bad.size:
                handle["infeasible"] = f"equality row {int(bad[0])} reads 0 == nonzero"
            rows = np.flatnonzero(~empty)
            kept, inconsistent = _independent_rows(A_eq[rows], d.b_eq[rows])
            if inconsistent is not None and handle["infeasible"] is None:
                handle["infeasible"] = (f"equality row {int(rows[inconsistent])} is a combination of "
                                        "other rows with a different right-hand side")
            rows = rows[kept]
            if rows.size:
                handle["A"] = _spmatrix(A_eq[rows])
                handle["b"] = cvxopt.matrix(-d.b_eq[rows].astype(float))
        return handle

    def _cone_matrix(self, blocks: list[tuple[sp.csr_matrix, float]], n: int) -> Any:
        """G for conelp: the row blocks ``sign * M`` stacked, each M a CSR matrix with ``n`` columns.

        Dense for conelp's dense KKT solvers (every one but 'chol2') up to _DENSE_G_SIZE entries: they
        copy G into a dense matrix at every iteration (``Gs[:, :] = G`` in kkt_chol) and multiply by
        it in every residual, both slow from a sparse G. Dense, the same iterations ran 2.1x faster on
        the BPMS WCRB SDP (122 -> 58 ms), 1.9x on its full 16 x 16 program and 1.3-1.5x on the
        network-ISAC SDPs, down to 0.6% filled (4686 x 1158, branch-and-bound root: 7.1 -> 5.5 s).
        The dense G is filled from the blocks' entries directly, in CVXOPT's own buffer, with no stacked
        sparse G or numpy copy in between (canonical data hold no duplicate entries, so assigning them
        equals summing them).
        """
        import cvxopt

        m = sum(M.shape[0] for M, _ in blocks)
        if self.params["kkt_solver"] == "chol2" or m * n > _DENSE_G_SIZE:
            return _spmatrix(stack_rows([M if sign > 0 else -M for M, sign in blocks], n))
        # A zero matrix as the outer product of two zero vectors: CVXOPT's constructor writes a scalar
        # fill entry by entry (0.25 ms for the 1233 x 103 G of the BPMS WCRB SDP), its product
        # through BLAS (0.09 ms); 0 * 0 is +0.0 exactly.
        G = cvxopt.matrix(0.0, (m, 1)) * cvxopt.matrix(0.0, (1, n))
        view = np.asarray(G)  # CVXOPT's buffer, column-major: filled in place, no second dense copy
        if not (view.flags.writeable and np.may_share_memory(view, np.asarray(G))):
            view = np.zeros((m, n), order="F")  # a CVXOPT that exports copies: fill, then copy once
            G = None
        flat = view.reshape(-1, order="F")  # a view: entry (i, j) at i + j m
        r0 = 0
        for M, sign in blocks:
            # flat positions instead of view[rows, cols]: numpy's two-index assignment took twice as long
            pos = np.multiply(M.indices, m, dtype=np.int64)  # widened in the product, no separate cast
            pos += entry_rows(M.indptr, first=r0)
            flat[pos] = M.data if sign > 0 else -M.data
            r0 += M.shape[0]
        return G if G is not None else cvxopt.matrix(view)

    def _solve(self, handle: dict[str, Any], model: Any, *, verbose: bool, time_limit: float | None,
               keep_log: bool) -> Solution:
        import cvxopt

        version = distribution_version("cvxopt")
        if handle["infeasible"] is not None:
            return Solution(Status.INFEASIBLE, None, None, self.name, self.solver, version,
                            raw_status="inconsistent equality rows", message=handle["infeasible"])
        maxiters = self.params["max_iterations"]
        opts = {"abstol": self.params["abs_tol"], "reltol": self.params["rel_tol"],
                "feastol": self.params["feas_tol"], "maxiters": maxiters,
                "show_progress": verbose or keep_log}
        if self.params["kkt_reg"] is not None:
            opts["kktreg"] = self.params["kkt_reg"]
        args = {k: handle[k] for k in ("c", "G", "h", "dims")}
        args.update({k: handle[k] for k in ("A", "b") if k in handle})
        log = io.StringIO()
        kkt = self.params["kkt_solver"]
        fallback_reason = ""
        attempts: list[tuple[str, str, int | None]] = []  # (kkt solver, conelp status or exception, iterations)
        t0 = time.perf_counter()

        def conelp(kktsolver: str) -> dict[str, Any]:
            redirect = (contextlib.redirect_stdout(_Tee(log, sys.stdout if verbose else None)) if keep_log
                        else contextlib.nullcontext())
            try:
                with redirect:
                    # options= keeps the settings local: cvxopt.solvers.options is global state.
                    out = cvxopt.solvers.conelp(kktsolver=kktsolver, options=opts, **args)
            except (ArithmeticError, ValueError) as exc:
                attempts.append((kktsolver, type(exc).__name__, None))
                raise
            attempts.append((kktsolver, str(out["status"]), int(out["iterations"])))
            return out

        try:
            result = conelp(kkt)
        except (ArithmeticError, ValueError) as exc:
            if not (self.params["kkt_fallback"] and kkt != "ldl"):
                return Solution(Status.SOLVER_ERROR, None, None, self.name, self.solver, version,
                                solve_time=time.perf_counter() - t0, raw_status=type(exc).__name__,
                                message=f"conelp with kkt_solver={kkt!r} failed: {type(exc).__name__}: {exc}",
                                log=log.getvalue() or None)
            fallback_reason = f"{kkt!r} raised {type(exc).__name__}: {exc}"
            result = None
        if result is not None and result["status"] == "unknown" and self.params["kkt_fallback"] and kkt != "ldl" \
                and result["iterations"] < maxiters:
            fallback_reason = f"{kkt!r} ended with status 'unknown' after {result['iterations']} iterations"
        if fallback_reason:
            first = result
            try:
                result, kkt = conelp("ldl"), "ldl"
            except (ArithmeticError, ValueError) as exc:
                if first is None:
                    return Solution(Status.SOLVER_ERROR, None, None, self.name, self.solver, version,
                                    solve_time=time.perf_counter() - t0, raw_status=type(exc).__name__,
                                    message=f"conelp failed with both KKT solvers: {fallback_reason}; "
                                            f"'ldl' raised {type(exc).__name__}: {exc}",
                                    log=log.getvalue() or None)
                fallback_reason += f"; 'ldl' raised {type(exc).__name__}: {exc}, kept the first result"
                result = first
            # a second 'unknown' no better than the first: keep the first (it is the cheaper KKT solver's)
            if first is not None and result is not first and result["status"] == "unknown" and \
                    self._badness(first) < self._badness(result):
                result, kkt = first, self.params["kkt_solver"]
        elapsed = time.perf_counter() - t0
        raw = str(result["status"])
        status = self.STATUS_MAP.get(raw, Status.SOLVER_ERROR)
        message = ""
        if raw == "unknown":
            status, message = self._unknown_status(result, maxiters)
        if fallback_reason:
            message = (message + "; " if message else "") + f"KKT fallback to 'ldl': {fallback_reason}"
        x = np.array(result["x"]).ravel() if status.has_solution and result["x"] is not None else None
        if status.has_solution and x is None:
            status = Status.SOLVER_ERROR
        c0 = handle["c0"]
        cert: dict[str, Any] = {"kkt_solver": kkt, "kkt_attempts": attempts}
        for ours, theirs in (("primal_objective", "primal objective"), ("dual_objective", "dual objective")):
            v = result.get(theirs)
            # objectives of the compiled (minimisation) model, constant included; None when undefined
            cert[ours] = None if v is None or raw in ("primal infeasible", "dual infeasible") else float(v) + c0
        for ours, theirs in (("gap", "gap"), ("relative_gap", "relative gap"),
                             ("primal_infeasibility", "primal infeasibility"),
                             ("dual_infeasibility", "dual infeasibility"),
                             ("primal_infeasibility_certificate_residual", "residual as primal infeasibility certificate"),
                             ("dual_infeasibility_certificate_residual", "residual as dual infeasibility certificate")):
            v = result.get(theirs)
            cert[ours] = None if v is None else float(v)
        return Solution(status, x, None, self.name, self.solver, version, solve_time=elapsed,
                        iterations=int(result["iterations"]), raw_status=raw, message=message,
                        log=log.getvalue() or None, certificate=cert)

    # -- status of an 'unknown' stop --
    def _unknown_status(self, result: dict[str, Any], maxiters: int) -> tuple[Status, str]:
        """conelp says 'unknown' at the iteration limit or on a singular KKT system; read its residuals.

        Meeting the requested tolerances is OPTIMAL (conelp checks convergence and the limit in one
        test and reports 'unknown' when both hold), within ``reduced_tol`` INACCURATE, otherwise
        ITERATION_LIMIT at the limit and SOLVER_ERROR before it.
        """
        pres, dres = result.get("primal infeasibility"), result.get("dual infeasibility")
        gap, relgap = result.get("gap"), result.get("relative gap")
        at_limit = int(result["iterations"]) >= maxiters
        where = f"after {result['iterations']} iterations" + (" (the limit)" if at_limit else " (singular KKT system)")
        detail = f"pres={pres}, dres={dres}, gap={gap}, relgap={relgap}"

        def within(feas: float, abs_gap: float, rel_gap: float) -> bool:
            if pres is None or dres is None or pres > feas or dres > feas:
                return False
            return (gap is not None and gap <= abs_gap) or (relgap is not None and relgap <= rel_gap)

        p = self.params
        if within(p["feas_tol"], p["abs_tol"], p["rel_tol"]):
            return Status.OPTIMAL, f"conelp status 'unknown' {where}, but the tolerances are met ({detail})"
        r = p["reduced_tol"]
        if within(r, r, r):
            return Status.INACCURATE, f"conelp stopped {where} at reduced accuracy ({detail})"
        if at_limit:
            return Status.ITERATION_LIMIT, f"conelp stopped {where} ({detail})"
        return Status.SOLVER_ERROR, f"conelp stopped {where} far from optimal ({detail})"

    @staticmethod
    def _badness(result: dict[str, Any]) -> float:
        """Largest of the residuals and the relative gap (inf when one is missing): lower is better."""
        vals = [result.get(k) for k in ("primal infeasibility", "dual infeasibility", "relative gap")]
        return max(float("inf") if v is None else abs(float(v)) for v in vals)
