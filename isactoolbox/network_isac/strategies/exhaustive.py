"""``exhaustive``: every receiving BS x association, each a convex SDP (Theorem 1); the exact reference.

There are S (S-1)^K fixed choices. Each is solved through the backend chain (per-SDP fallback with a
physical check, :mod:`.sdp_chain`); the cheapest feasible one is the optimum of problem (8) under the
SDR, certified when every other choice has a definite answer (optimal or infeasible). The choices run
in parallel across processes; every evaluated choice is listed in ``Result.extra["choices"]``.
"""
from __future__ import annotations

import contextlib
import itertools
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from typing import Any, Iterable, Iterator, Mapping, Sequence

from isactoolbox.core.options import Option
from isactoolbox.core.result import Result, Timings
from isactoolbox.network_isac.scenario import NetworkISAC
from isactoolbox.network_isac.strategies.base import RECOVERY_OPTIONS, NetworkISACStrategy
from isactoolbox.network_isac.strategies.choice_sdp import ChoiceSpec
from isactoolbox.network_isac.strategies.recovery import recover, recovered_status
from isactoolbox.network_isac.strategies.sdp_chain import ChainOutcome, ChoiceSolver, chain_from_specs, route_specs
from isactoolbox.status import Status


def all_choices(scenario: NetworkISAC, receivers: Iterable[int] | None = None) -> list[ChoiceSpec]:
    """Every fixed (receiver, association) of ``receivers`` (default all BSs)."""
    S, K = scenario.n_bs, scenario.n_users
    out = []
    for r in (range(S) if receivers is None else receivers):
        tx = [s for s in range(S) if s != r]
        out.extend(ChoiceSpec.fixed(r, assoc) for assoc in itertools.product(tx, repeat=K))
    return out


def choice_row(spec: ChoiceSpec, chained: ChainOutcome) -> dict[str, Any]:
    """One line of the evaluated-choices table."""
    return {"receiver": spec.receiver, "association": list(spec.association),
            "status": chained.outcome.status.value, "power": chained.outcome.objective,
            "backend": chained.backend, "attempts": chained.attempts}


# -- worker side: one ChoiceSolver per process, so each worker compiles and keeps its own models --
_WORKER: dict[str, Any] = {}


def _init_worker(scenario: NetworkISAC, specs: Sequence[tuple[str, dict[str, Any], bool]]) -> None:
    _WORKER["solver"] = ChoiceSolver(scenario, chain_from_specs(specs))


def _solve_in_worker(spec: ChoiceSpec) -> ChainOutcome:
    return _WORKER["solver"].solve(spec)


@contextlib.contextmanager
def single_threaded_children() -> Iterator[None]:
    """Processes started inside this block load OpenBLAS/OpenMP with one thread (read at their import)."""
    saved = {k: os.environ.get(k) for k in _THREAD_VARS}
    os.environ.update({k: "1" for k in _THREAD_VARS})
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


_THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def solve_choices(scenario: NetworkISAC, specs: Sequence[ChoiceSpec], backends: Sequence[Any], *,
                  workers: int = 1, progress: Any = None) -> list[ChainOutcome]:
    """Solve every spec (in order); ``workers > 1`` uses a process pool, each worker its own backends."""
    if workers <= 1 or len(specs) < 2:
        solver = ChoiceSolver(scenario, backends)
        out = []
        for spec in specs:
            out.append(solver.solve(spec))
            if progress is not None:
                progress(out[-1])
        return out
    # "spawn", not fork: a forked worker inherits locks held by the parent's solver/BLAS threads and
    # was seen to hang in a long test session; spawned workers start clean (about 1 s of imports each).
    # One BLAS thread per worker: the pool already runs one SDP per core.
    with single_threaded_children(), \
            ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                                initializer=_init_worker, initargs=(scenario, route_specs(backends))) as pool:
        out = []
        for res in pool.map(_solve_in_worker, specs, chunksize=max(1, len(specs) // (8 * workers))):
            out.append(res)
            if progress is not None:
                progress(res)
        return out


def summarize(specs: Sequence[ChoiceSpec], outcomes: Sequence[ChainOutcome]) -> tuple[int | None, Status, str]:
    """Index of the cheapest feasible choice, the certificate status, and a message."""
    best = None
    for i, ch in enumerate(outcomes):
        o = ch.outcome
        if o.status.is_success and o.objective is not None and (best is None or o.objective < outcomes[best].outcome.objective):
            best = i
    undecided = [i for i, ch in enumerate(outcomes)
                 if not (ch.outcome.status.is_success or ch.outcome.status is Status.INFEASIBLE)]
    if best is None:
        if undecided:
            return None, Status.SOLVER_ERROR, (f"no choice solved; {len(undecided)} of {len(specs)} failed "
                                               f"in every backend")
        return None, Status.INFEASIBLE, f"all {len(specs)} choices are infeasible"
    status = outcomes[best].outcome.status
    message = ""
    if undecided:
        status = Status.FEASIBLE
        message = (f"{len(undecided)} of {len(specs)} choices failed in every backend, so the best solved "
                   f"choice is not certified optimal")
    return best, status, message


class Exhaustive(NetworkISACStrategy):
    """Exact optimum of (8) under the SDR by enumerating every receiver and association.

    Values: see :mod:`.base`. Objective: total transmit power, W. ``extra["choices"]``: every
    evaluated choice with status, power and backend attempts.
    """

    name = "exhaustive"
    options = {
        "workers": Option(0, int, "processes for the enumeration (0 = all cores)",
                          check=lambda x: None if x >= 0 else "must be >= 0"),
        "receivers": Option(None, (list, tuple), "restrict the receiving BS to these indices", allow_none=True),
        "progress": Option(True, bool, "progress bar on stderr (drawn only on a terminal)"),
        **RECOVERY_OPTIONS,
    }

    def _solve(self, scenario: NetworkISAC, backend: Any, options: Mapping[str, Any]) -> Result:
        receivers = options["receivers"]
        if receivers is not None:
            from isactoolbox.errors import OptionError

            if not all(isinstance(r, int) and 0 <= r < scenario.n_bs for r in receivers) or not receivers:
                raise OptionError("receivers", f"must be BS indices in 0..{scenario.n_bs - 1}", owner=self.name)
        specs = all_choices(scenario, receivers)
        from isactoolbox.experiments.progress import progress_bar

        workers = options["workers"] or os.cpu_count() or 1
        with progress_bar(len(specs), label="exhaustive", quiet=not options["progress"]) as bar:
            outcomes = solve_choices(scenario, specs, backend, workers=workers,
                                     progress=lambda ch: bar.advance(failed=not (ch.outcome.status.is_success
                                                                                 or ch.outcome.status is Status.INFEASIBLE)))
        return self.result_from_choices(scenario, specs, outcomes, backend, options)

    def result_from_choices(self, scenario: NetworkISAC, specs: Sequence[ChoiceSpec], outcomes: Sequence[ChainOutcome],
                            backend: Any, options: Mapping[str, Any]) -> Result:
        timings = Timings()
        for ch in outcomes:
            timings.absorb(ch.timings)
        best, status, message = summarize(specs, outcomes)
        result = Result(status=status, timings=timings, message=message)
        result.extra["choices"] = [choice_row(s, ch) for s, ch in zip(specs, outcomes)]
        result.extra["sdps"] = timings.solves
        if best is None:
            return result
        chosen = outcomes[best]
        recovered = recover(scenario, chosen.outcome, ChoiceSolver(scenario, backend),
                            randomizations=options["randomizations"], seed=options["seed"])
        result.timings.solves += recovered.solves
        result.values = recovered.values
        result.objective = recovered.objective
        result.status = recovered_status(status, recovered)
        result.backend = chosen.backend
        result.extra["tightness"] = recovered.tightness
        result.extra["relaxed_power"] = chosen.outcome.objective
        return result
