"""Weighted beamformer mismatch (16)-(18): min rho ||W - Wb||^2 + (1 - rho) ||W - Wm||^2, ||W||^2 = P/M.

``Wb`` / ``Wm`` are the WCRB beamformers at rho = 1 / rho = 0 (FDB: eigen-beamformers of V; CPA:
one beam per codebook entry). The lifted SDP (18) is rank-one exact (trust-region subproblem), so
the beamformer is read off the leading eigenvector of each lifted block. ``objective`` is (16a) in W.
"""
from __future__ import annotations

from typing import Any, ClassVar, Mapping

from isactoolbox.bpms.problems import WBFProblem, cached
from isactoolbox.bpms.scenario import BistaticMonostatic
from isactoolbox.bpms.strategies.mismatch import MismatchStrategy, WCRBCodebook, WCRBFullDigital
from isactoolbox.core.options import Option
from isactoolbox.core.result import Result
from isactoolbox.status import Status


class _WBF(MismatchStrategy):
    options: ClassVar[dict[str, Option]] = {
        "rank_tol": Option(1e-5, float, "largest lambda_2 / lambda_1 of a lifted block still read as rank one"),
        "method": Option("sdp", str, "'sdp': the lifted SDP (18) as in the paper; 'closed-form': its exact "
                         "solution W = sqrt(P/M) Xi / ||Xi||_F (no solver call, same answer)",
                         choices=("sdp", "closed-form")),
    }

    def _solve(self, scenario: BistaticMonostatic, backend: Any, options: Mapping[str, Any]) -> Result:
        ext, ext_cached = self.extremes(scenario, backend)
        if not ext.ok:
            return self.failed_extremes(ext)
        name = getattr(backend, "name", str(backend))
        problem, reused = cached(scenario, ("wbf", self.base.name, name),
                                 lambda: WBFProblem(ext.bp.values["W"], ext.ms.values["W"], scenario.power_per_subcarrier))
        if options["method"] == "sdp":
            out = problem.solve(backend, options["rho"])
        else:
            out = problem.closed_form(options["rho"])
        res = self.result_from(out, 0.0 if reused else problem.build_time)
        if not ext_cached:
            res.timings.absorb(ext.timings)
        res.extra.update(model_reused=reused, extremes_reused=ext_cached, lifted_columns=problem.active.tolist())
        if out.W is None:
            return res
        res.values = {"W": out.W, "V": out.V}
        res.objective = out.objective
        if res.status is Status.OPTIMAL and out.extra["lift_rank_ratio"] > options["rank_tol"]:
            res.status = Status.INACCURATE
            res.message = f"lifted solution not rank one (lambda2/lambda1 = {out.extra['lift_rank_ratio']:.1e})"
        return res


class WBFFullDigital(_WBF):
    """FDB-WBF: (18) between the FDB-WCRB beamformers at rho = 1 and rho = 0."""

    name: ClassVar[str] = "wbf-fdb"
    base = WCRBFullDigital


class WBFCodebook(_WBF):
    """CPA-WBF: (18) between the CPA-WCRB beamformers (one per codebook entry) at rho = 1 and 0."""

    name: ClassVar[str] = "wbf-cpa"
    base = WCRBCodebook
