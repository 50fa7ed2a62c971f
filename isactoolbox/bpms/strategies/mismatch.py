"""Shared machinery of the weighted-mismatch strategies (WBF, WVM): the rho = 1 / rho = 0 extremes.

Both start from the WCRB solutions for BP only (rho = 1) and MS only (rho = 0), computed once per
scenario, variant (FDB / CPA) and backend and then reused by every rho of a sweep.
"""
from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

from isactoolbox.bpms.problems import cached
from isactoolbox.bpms.scenario import BistaticMonostatic
from isactoolbox.bpms.strategies.base import BPMSStrategy
from isactoolbox.bpms.strategies.wcrb import WCRBCodebook, WCRBFullDigital, _WCRB
from isactoolbox.core.result import Result, Timings


@dataclasses.dataclass
class Extremes:
    """WCRB results at rho = 1 (``bp``) and rho = 0 (``ms``); ``timings`` of computing both."""

    bp: Result
    ms: Result
    timings: Timings

    @property
    def ok(self) -> bool:
        return self.bp.status.is_success and self.ms.status.is_success


class MismatchStrategy(BPMSStrategy):
    #: WCRB variant whose extremes are matched: WCRBFullDigital (FDB) or WCRBCodebook (CPA).
    base: ClassVar[type[_WCRB]] = WCRBFullDigital
    full_power: ClassVar[bool] = True

    def extremes(self, scenario: BistaticMonostatic, backend: Any) -> tuple[Extremes, bool]:
        name = getattr(backend, "name", str(backend))

        def make() -> Extremes:
            bp = self.base().solve(scenario, backend, rho=1.0)
            ms = self.base().solve(scenario, backend, rho=0.0)
            t = Timings()
            t.absorb(bp.timings)
            t.absorb(ms.timings)
            return Extremes(bp, ms, t)

        return cached(scenario, ("extremes", self.base.name, name), make)

    def failed_extremes(self, ext: Extremes) -> Result:
        bad = ext.bp if not ext.bp.status.is_success else ext.ms
        which = "rho = 1" if bad is ext.bp else "rho = 0"
        detail = f": {bad.message}" if bad.message else ""
        return Result(status=bad.status,
                      message=f"{self.base.name} at {which} returned status {bad.status.value}{detail}")


__all__ = ["Extremes", "MismatchStrategy", "WCRBCodebook", "WCRBFullDigital"]
