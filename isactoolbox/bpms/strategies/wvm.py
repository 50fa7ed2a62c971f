"""Weighted covariance mismatch (19): min rho ||V - Vb||^2 + (1 - rho) ||V - Vm||^2, tr V = P/M, V >> 0.

``Vb`` / ``Vm`` are the WCRB covariances at rho = 1 / rho = 0. The SDR drops rank V = L (read as
rank V <= L, V = W W^H); beamformers come from the eigendecomposition when rank V <= L, else from
the paper's Gaussian randomisation [14] scored by (19a). ``objective`` is (19a) in W^2 at W W^H.
"""
from __future__ import annotations

from typing import Any, ClassVar, Mapping

from isactoolbox.bpms.problems import WVMProblem, cached
from isactoolbox.bpms.recovery import recover_beamformers
from isactoolbox.bpms.scenario import BistaticMonostatic
from isactoolbox.bpms.strategies.mismatch import MismatchStrategy, WCRBCodebook, WCRBFullDigital
from isactoolbox.core.options import Option
from isactoolbox.core.result import Result
from isactoolbox.status import Status


class _WVM(MismatchStrategy):
    options: ClassVar[dict[str, Option]] = {
        "randomisations": Option(100, int, "Gaussian draws when rank V > L"),
        "seed": Option(0, int, "seed of the randomisation"),
        "method": Option("sdp", str, "'sdp': the relaxed (19) through the neutral model (interior-point "
                         "accuracy, ~1e-5 relative on V here, since the optimum sits on the cone boundary); "
                         "'closed-form': its exact solution, the projection of rho Vb + (1 - rho) Vm onto "
                         "{V >> 0, tr V = P/M}", choices=("sdp", "closed-form")),
    }

    def _solve(self, scenario: BistaticMonostatic, backend: Any, options: Mapping[str, Any]) -> Result:
        ext, ext_cached = self.extremes(scenario, backend)
        if not ext.ok:
            return self.failed_extremes(ext)
        name = getattr(backend, "name", str(backend))
        problem, reused = cached(scenario, ("wvm", self.base.name, name),
                                 lambda: WVMProblem(ext.bp.values["V"], ext.ms.values["V"], scenario.power_per_subcarrier))
        rho = options["rho"]
        out = problem.solve(backend, rho) if options["method"] == "sdp" else problem.closed_form(rho)
        res = self.result_from(out, 0.0 if reused else problem.build_time)
        if not ext_cached:
            res.timings.absorb(ext.timings)
        res.extra.update(model_reused=reused, extremes_reused=ext_cached)
        if out.V is None:
            return res
        W, recovery = recover_beamformers(out.V, scenario.n_slots,
                                          score=lambda Wc: problem.objective(Wc @ Wc.conj().T, rho),
                                          draws=options["randomisations"], seed=options["seed"])
        res.values = {"W": W, "V": out.V}
        res.objective = problem.objective(W @ W.conj().T, rho)
        res.extra.update(relaxation_bound=out.objective, recovery=recovery)
        if res.status is Status.OPTIMAL and not recovery["exact"]:
            res.status = Status.FEASIBLE
            res.message = f"rank V = {recovery['rank']} > L: beamformers by {recovery['method']}"
        return res


class WVMFullDigital(_WVM):
    """FDB-WVM: (19) between the FDB-WCRB covariances at rho = 1 and rho = 0."""

    name: ClassVar[str] = "wvm-fdb"
    base = WCRBFullDigital


class WVMCodebook(_WVM):
    """CPA-WVM: (19) between the CPA-WCRB covariances at rho = 1 and rho = 0."""

    name: ClassVar[str] = "wvm-cpa"
    base = WCRBCodebook
