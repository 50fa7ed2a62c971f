"""``ao-penalty``: Algorithm 1 of the paper (penalty (16)-(17), MM, big-M (18)-(21), SDR of (23)).

For one receiving BS s_r the strategy runs the penalty / majorization-minimization loop on the
association variables a_{s,k} in [0, 1] of the rank-relaxed subproblem (23)
(:class:`isactoolbox.network_isac.strategies.ao_model.AOModel`, compiled once per receiver):

    t = 0:   solve (23) with no penalty (c = 0): the big-M relaxation. Infeasible here means
             infeasible for every association with this receiver.
             a^(1) := the beam-power shares tr W~_{s,k} / sum_s tr W~_{s,k} of that solution. The
             solver's own a is uninformative (the power barely depends on a, so an interior-point
             method returns a ~ the analytic centre), while the shares are feasible (tr W~ <= a P and
             sum_s a = 1 imply share >= tr W~ / P) and say which BS the power objective prefers.
    t >= 1:  c_{s,k} = mu (1 - 2 a^(t)_{s,k}) (the Taylor slope of mu (a - a^2) at a^(t)), re-solve,
             a^(t+1) := the solver's a, until |f^(t) - f^(t-1)| <= tol |f^(t)| (step 6) or max_iterations.

f = P_total / P + mu sum_{s,k} (a - a^2) is the penalised objective in units of P; MM makes it
non-increasing up to solver accuracy (the previous iterate is feasible for the next subproblem and
the surrogate majorises f). Then a is rounded (argmax over s per CU), the fixed choice is solved by
:class:`ChoiceSolver` and its beams are recovered rank one (:func:`recover`), so the returned values
are verified beamformers; the power of a fixed choice is an upper bound on the exhaustive optimum.

Simplification (documented, deliberate): the receiver selection b (subproblem (22) and the b part of
the penalty) is handled by enumeration. The AO loop runs for every candidate receiver with b one-hot
(then the b penalty is zero and (22) is trivial), and the cheapest verified rounding wins. The CRLB
constraint C2c couples b with the receiver-specific FIM, which makes a joint b-relaxation both large
(S FIM blocks) and weak; S is small (4 in Table II), so enumerating is cheap compared with the
association search, which the penalty method does handle.

If an iteration fails in every backend after a successful one (a degenerate subproblem: the penalty
drives a beam block to the boundary of the PSD cone), the loop stops with the last successful iterate
and says so in ``extra["receivers"]``.
"""
from __future__ import annotations

import time
from typing import Any, Mapping

import numpy as np

from isactoolbox.core.options import Option
from isactoolbox.core.result import Result, Timings
from isactoolbox.errors import BackendUnavailableError, OptionError, UnsupportedProblemError
from isactoolbox.network_isac.scenario import NetworkISAC
from isactoolbox.network_isac.strategies.ao_model import AOModel
from isactoolbox.network_isac.strategies.base import RECOVERY_OPTIONS, NetworkISACStrategy
from isactoolbox.network_isac.strategies.choice_sdp import ChoiceOutcome, ChoiceSpec
from isactoolbox.network_isac.strategies.recovery import recover
from isactoolbox.network_isac.strategies.sdp_chain import ChoiceSolver, routes
from isactoolbox.status import Status


def _positive(x: float) -> str | None:
    return None if x > 0 else "must be > 0"


def _nonnegative(x: float) -> str | None:
    return None if x >= 0 else "must be >= 0"


def binary_gap(a: np.ndarray) -> float:
    """max a (1 - a) over the association variables (0 when a is binary, 1/4 at a = 1/2)."""
    return float(np.max(a * (1.0 - a))) if a.size else 0.0


class AOSolver:
    """AO models of one scenario (one compiled :class:`AOModel` per receiver and preconditioning).

    ``builds`` counts the models built; the AO loop only changes parameter values, so it stays at
    the number of (receiver, preconditioning) pairs the chain actually used.
    """

    def __init__(self, scenario: NetworkISAC, backends: Any) -> None:
        self.scenario = scenario
        self.routes = routes(backends)
        self._models: dict[tuple[int, bool], AOModel] = {}
        self._last_route: dict[int, int] = {}
        self.builds = 0

    def model(self, receiver: int, precondition: bool) -> AOModel:
        key = (receiver, precondition)
        if key not in self._models:
            self._models[key] = AOModel(self.scenario, receiver, precondition=precondition)
            self.builds += 1
        return self._models[key]

    def solve(self, receiver: int, slopes: np.ndarray) -> tuple[ChoiceOutcome | None, np.ndarray | None, list[dict[str, Any]], Timings]:
        """Subproblem (23) with penalty slopes (S, K) through the chain; the first success wins."""
        attempts: list[dict[str, Any]] = []
        timings = Timings()
        last: tuple[ChoiceOutcome | None, np.ndarray | None] = (None, None)
        # The route that solved this receiver's previous iteration goes first: consecutive AO
        # subproblems differ only in the penalty slopes, and a route that fails on one (e.g.
        # unpreconditioned CVXOPT once the penalty pushes beam blocks to zero) tends to fail on the next.
        first = self._last_route.get(receiver, 0)
        order = [first] + [i for i in range(len(self.routes)) if i != first]
        for i in order:
            be, precondition = self.routes[i]
            name = be.name + (" (preconditioned)" if precondition else "")
            m = self.model(receiver, precondition)
            m.set_penalty(slopes)
            try:
                out, a = m.solve(be)
            except (BackendUnavailableError, UnsupportedProblemError) as exc:
                attempts.append({"backend": name, "status": "unavailable", "message": str(exc)})
                continue
            timings.absorb(out.timings)
            attempts.append({"backend": name, "status": out.status.value, "objective": out.objective,
                             "seconds": out.timings.solver})
            last = (out, a)
            if out.status.is_success:
                self._last_route[receiver] = i
            # An infeasibility verdict is an answer: another solver would not change it.
            if out.status.is_success or out.status in (Status.INFEASIBLE, Status.UNBOUNDED):
                break
        return last[0], last[1], attempts, timings


class AOPenalty(NetworkISACStrategy):
    """Algorithm 1 (penalty + MM + big-M AO) with rounding to a fixed choice and rank-one recovery.

    Values: see :mod:`.base`. Objective: total transmit power of the verified beamformers, W.
    Status FEASIBLE when the rounded choice verifies (a heuristic: never OPTIMAL), INFEASIBLE when
    the big-M relaxation of every receiver is infeasible, SOLVER_ERROR otherwise.
    ``history``: one dict per AO iteration (receiver, iteration, objective (relaxed power, W),
    penalty (mu sum a - a^2, units of P), penalized (power / P + penalty), binary_gap (max a(1-a)),
    seconds). ``extra``: receiver, association, iterations, seconds_per_iteration, per-receiver
    summaries, model builds.
    """

    name = "ao-penalty"
    options = {
        "penalty": Option(1.0, float,
                          "penalty factor mu of (16), relative to the objective in units of P (the per-BS "
                          "power budget): mu = 1 charges a full unit of binary gap a - a^2 like one BS's full power",
                          check=_positive),
        "tolerance": Option(1e-4, float, "relative change of the penalised objective that stops the AO (step 6)",
                            check=_nonnegative),
        "max_iterations": Option(20, int, "AO iterations per receiver (each one SDP)",
                                 check=lambda x: None if x >= 1 else "must be >= 1"),
        "receivers": Option(None, (list, tuple), "candidate receiving BSs (default all)", allow_none=True),
        **RECOVERY_OPTIONS,
    }

    def _solve(self, scenario: NetworkISAC, backend: Any, options: Mapping[str, Any]) -> Result:
        receivers = options["receivers"]
        if receivers is None:
            receivers = list(range(scenario.n_bs))
        elif not receivers or not all(isinstance(r, int) and 0 <= r < scenario.n_bs for r in receivers):
            raise OptionError("receivers", f"must be BS indices in 0..{scenario.n_bs - 1}", owner=self.name)
        ao = AOSolver(scenario, backend)
        fixed = ChoiceSolver(scenario, backend)
        timings = Timings()
        history: list[dict[str, Any]] = []
        summaries: list[dict[str, Any]] = []
        best: dict[str, Any] | None = None
        infeasible = 0
        iterations = 0
        iteration_seconds: list[float] = []
        for r in receivers:
            summary = self._run_receiver(scenario, ao, r, options, history, iteration_seconds, timings)
            summaries.append(summary)
            iterations += summary["iterations"]
            if summary["status"] == "infeasible":
                infeasible += 1
                continue
            if summary["association"] is None:
                continue
            spec = ChoiceSpec.fixed(r, summary["association"])
            chained = fixed.solve(spec)
            timings.absorb(chained.timings)
            out = chained.outcome
            summary["fixed_status"] = out.status.value
            summary["fixed_power"] = out.objective
            summary["fixed_backend"] = chained.backend
            if not out.status.is_success:
                continue
            rec = recover(scenario, out, fixed, randomizations=options["randomizations"], seed=options["seed"])
            timings.solves += rec.solves
            summary["recovered_power"] = rec.objective if rec.feasible else None
            if rec.feasible and (best is None or rec.objective < best["recovered"].objective):
                best = {"receiver": r, "recovered": rec, "outcome": out, "backend": chained.backend,
                        "summary": summary}

        result = Result(status=Status.SOLVER_ERROR, timings=timings, history=history)
        result.extra.update(receivers=summaries, iterations=iterations, model_builds=ao.builds,
                            seconds_per_iteration=float(np.mean(iteration_seconds)) if iteration_seconds else None,
                            sdps=timings.solves)
        if best is None:
            if infeasible == len(receivers):
                result.status = Status.INFEASIBLE
                result.message = f"the big-M relaxation of every receiver ({len(receivers)}) is infeasible"
            else:
                result.message = ("no verified point: the rounded associations of the receivers with a "
                                  "feasible relaxation failed or were infeasible (the problem itself may "
                                  "be feasible; try a smaller penalty or exhaustive)")
            return result
        rec = best["recovered"]
        result.status = Status.FEASIBLE  # a heuristic: no optimality certificate
        result.values = rec.values
        result.objective = rec.objective
        result.backend = best["backend"]
        result.extra.update(receiver=best["receiver"], association=list(best["summary"]["association"]),
                            relaxed_power=best["summary"]["relaxed_power"], fixed_power=best["outcome"].objective,
                            tightness=rec.tightness)
        return result

    def _run_receiver(self, scenario: NetworkISAC, ao: AOSolver, r: int, options: Mapping[str, Any],
                      history: list[dict[str, Any]], iteration_seconds: list[float], timings: Timings) -> dict[str, Any]:
        """The penalty/MM loop of one receiver; appends to ``history``; returns a summary."""
        mu, tol, max_it = options["penalty"], options["tolerance"], options["max_iterations"]
        S, K, P = scenario.n_bs, scenario.n_users, scenario.max_power
        summary: dict[str, Any] = {"receiver": r, "status": "solver_error", "iterations": 0,
                                   "association": None, "relaxed_power": None, "stop": ""}

        def record(t: int, out: ChoiceOutcome, a: np.ndarray, seconds: float) -> float:
            penalty = mu * float(np.sum(a - a * a))
            f = out.objective / P + penalty
            history.append({"receiver": r, "iteration": t, "objective": out.objective, "penalty": penalty,
                            "penalized": f, "binary_gap": binary_gap(a), "seconds": seconds})
            return f

        t0 = time.perf_counter()
        out, _, attempts, tm = ao.solve(r, np.zeros((S, K)))
        timings.absorb(tm)
        iteration_seconds.append(time.perf_counter() - t0)
        summary["attempts0"] = attempts
        if out is None or not out.status.is_success:
            summary["status"] = out.status.value if out is not None else "solver_error"
            summary["stop"] = "big-M relaxation not solved"
            return summary
        summary["relaxed_power"] = out.objective
        a = out.shares()
        f_prev = record(0, out, a, iteration_seconds[-1])
        summary["status"] = "feasible"
        for t in range(1, max_it + 1):
            t0 = time.perf_counter()
            new, a_new, attempts, tm = ao.solve(r, mu * (1.0 - 2.0 * a))
            timings.absorb(tm)
            iteration_seconds.append(time.perf_counter() - t0)
            summary["iterations"] = t
            if new is None or not new.status.is_success or a_new is None:
                summary["stop"] = (f"iteration {t} failed in every backend "
                                   f"({new.status.value if new is not None else 'no backend'}); last iterate used")
                break
            out, a = new, a_new
            f = record(t, out, a, iteration_seconds[-1])
            if abs(f - f_prev) <= tol * max(abs(f), 1e-12):
                summary["stop"] = "converged"
                break
            f_prev = f
        else:
            summary["stop"] = "max_iterations"
        summary["association"] = [int(np.argmax(a[:, k])) for k in range(K)]
        summary["binary_gap"] = binary_gap(a)
        summary["a"] = a.tolist()
        return summary
