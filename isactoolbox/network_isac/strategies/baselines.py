"""The baselines of Sec. IV: schemes 1-3.

- ``closest-bs`` (scheme 1): the BS closest to the target receives; association and beamforming
  optimised (the branch-and-bound of ``bigm-misdp`` restricted to that receiver).
- ``random`` (scheme 2): receiver and association drawn at random (``seed``); beamforming optimised.
- ``bistatic`` (scheme 3): BS ``transmitter`` (default BS 1 of the paper = index 0) serves every CU
  and illuminates the target, BS ``receiver`` (BS 2 = index 1) receives, every other BS is idle.
"""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from isactoolbox.core.options import Option
from isactoolbox.core.result import Result
from isactoolbox.errors import OptionError
from isactoolbox.network_isac.scenario import NetworkISAC
from isactoolbox.network_isac.strategies.base import RECOVERY_OPTIONS, NetworkISACStrategy
from isactoolbox.network_isac.strategies.bigm_misdp import BigMMISDP
from isactoolbox.network_isac.strategies.choice_sdp import ChoiceSpec
from isactoolbox.network_isac.strategies.recovery import recover, recovered_status
from isactoolbox.network_isac.strategies.sdp_chain import ChoiceSolver


class ClosestBS(BigMMISDP):
    """Scheme 1: the receiver is the BS closest to the target; association and beamforming optimised."""

    name = "closest-bs"

    def root_receivers(self, scenario: NetworkISAC, options: Mapping[str, Any]) -> list[int]:
        return [int(np.argmin(scenario.distances_to_target()))]


class FixedChoiceStrategy(NetworkISACStrategy):
    """A strategy whose receiver and association are decided up front; only beamforming is optimised."""

    options = dict(RECOVERY_OPTIONS)

    # ===================== TO BE OVERRIDDEN =====================
    def choice(self, scenario: NetworkISAC, options: Mapping[str, Any]) -> ChoiceSpec:
        """The fixed receiver / association (and idle BSs) of this baseline."""
        raise NotImplementedError

    def _solve(self, scenario: NetworkISAC, backend: Any, options: Mapping[str, Any]) -> Result:
        spec = self.choice(scenario, options)
        spec.validate(scenario)
        solver = ChoiceSolver(scenario, backend)
        chained = solver.solve(spec)
        out = chained.outcome
        result = Result(status=out.status, timings=chained.timings, message=out.message, backend=chained.backend)
        result.extra.update(receiver=spec.receiver, association=list(spec.association), attempts=chained.attempts,
                            silent=sorted(spec.silent))
        if not out.status.is_success:
            return result
        rec = recover(scenario, out, solver, randomizations=options["randomizations"], seed=options["seed"])
        result.timings.solves += rec.solves
        result.values, result.objective = rec.values, rec.objective
        result.status = recovered_status(out.status, rec)
        result.extra["tightness"] = rec.tightness
        return result


class RandomAssociation(FixedChoiceStrategy):
    """Scheme 2: random receiving BS and random association (uniform, from ``seed``)."""

    name = "random"

    def choice(self, scenario: NetworkISAC, options: Mapping[str, Any]) -> ChoiceSpec:
        rng = np.random.default_rng(options["seed"])
        r = int(rng.integers(scenario.n_bs))
        tx = [s for s in range(scenario.n_bs) if s != r]
        return ChoiceSpec.fixed(r, [int(tx[i]) for i in rng.integers(len(tx), size=scenario.n_users)])


class Bistatic(FixedChoiceStrategy):
    """Scheme 3: one BS transmits (serving every CU), another receives, the rest are idle."""

    name = "bistatic"
    options = {
        "transmitter": Option(0, int, "index of the transmitting BS (the paper's BS 1)"),
        "receiver": Option(1, int, "index of the receiving BS (the paper's BS 2)"),
    }

    def choice(self, scenario: NetworkISAC, options: Mapping[str, Any]) -> ChoiceSpec:
        t, r = options["transmitter"], options["receiver"]
        for name, v in (("transmitter", t), ("receiver", r)):
            if not 0 <= v < scenario.n_bs:
                raise OptionError(name, f"must be a BS index in 0..{scenario.n_bs - 1}, got {v}", owner=self.name)
        if t == r:
            raise OptionError("receiver", "must differ from the transmitter", owner=self.name)
        silent = frozenset(s for s in range(scenario.n_bs) if s not in (t, r))
        return ChoiceSpec(r, tuple((t,) for _ in range(scenario.n_users)), silent)
