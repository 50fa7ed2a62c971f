"""Searches over energy shares ("traversal", paper 003 Sec. 4): full grid, coarse-to-fine, golden section.

Shares ``x`` of ``parts`` consumers (steps, slots) lie on the lattice
``x = min_share + resolution * n`` (n non-negative integers) of the simplex ``sum(x) = 1``. Every
method evaluates ``f`` only on that lattice, so a fast search that finds the grid's best point
returns exactly the grid's answer. Evaluations are memoised per lattice point.
"""
from __future__ import annotations

import dataclasses
import itertools
import math
from typing import Callable

import numpy as np

SEARCHES = ("grid", "refine", "golden")
_INV_PHI = (math.sqrt(5.0) - 1.0) / 2.0


@dataclasses.dataclass
class SearchResult:
    shares: np.ndarray
    value: float
    evaluations: int
    history: list[tuple[tuple[float, ...], float]]


class Lattice:
    """Integer coordinates ``n`` (length parts - 1; the last share takes the rest) of the share lattice."""

    def __init__(self, parts: int, resolution: float, min_share: float) -> None:
        if parts < 1:
            raise ValueError("parts must be >= 1")
        free = 1.0 - parts * min_share
        if free < -1e-12:
            raise ValueError(f"min_share {min_share} is too large for {parts} parts")
        self.parts = parts
        self.min_share = min_share
        self.total = int(round(max(free, 0.0) / resolution))
        self.resolution = max(free, 0.0) / self.total if self.total else resolution

    def shares(self, n: tuple[int, ...]) -> np.ndarray:
        last = self.total - sum(n)
        return self.min_share + self.resolution * np.array([*n, last], dtype=float)

    def feasible(self, n: tuple[int, ...]) -> bool:
        return all(v >= 0 for v in n) and sum(n) <= self.total

    def points(self, step: int = 1) -> list[tuple[int, ...]]:
        """Every lattice point whose free coordinates are multiples of ``step``."""
        d = self.parts - 1
        ticks = range(0, self.total + 1, step)
        return [n for n in itertools.product(ticks, repeat=d) if sum(n) <= self.total]


class _Memo:
    def __init__(self, f: Callable[[np.ndarray], float], lattice: Lattice) -> None:
        self.f, self.lattice = f, lattice
        self.cache: dict[tuple[int, ...], float] = {}
        self.history: list[tuple[tuple[float, ...], float]] = []

    def __call__(self, n: tuple[int, ...]) -> float:
        if n not in self.cache:
            x = self.lattice.shares(n)
            v = float(self.f(x))
            self.cache[n] = v if np.isfinite(v) else np.inf
            self.history.append((tuple(float(s) for s in x), v))
        return self.cache[n]

    def best(self) -> tuple[tuple[int, ...], float]:
        # ties go to the lexicographically smallest point, so every method breaks them alike
        n = min(self.cache, key=lambda k: (self.cache[k], k))
        return n, self.cache[n]


def _result(memo: _Memo) -> SearchResult:
    n, v = memo.best()
    return SearchResult(memo.lattice.shares(n), v, len(memo.cache), memo.history)


def grid_search(f: Callable[[np.ndarray], float], lattice: Lattice) -> SearchResult:
    """Evaluate every lattice point."""
    memo = _Memo(f, lattice)
    for n in lattice.points():
        memo(n)
    return _result(memo)


def refine_search(f: Callable[[np.ndarray], float], lattice: Lattice, points: int = 5) -> SearchResult:
    """Coarse-to-fine: a coarse lattice (about ``points`` ticks per axis), then halve the step around the best.

    At every level the neighbourhood of the incumbent (+-2 steps per free axis) is evaluated, so a
    local minimum of the coarse level's basin is tracked down to the full resolution.
    """
    memo = _Memo(f, lattice)
    if lattice.parts == 1 or lattice.total == 0:
        memo(tuple([0] * (lattice.parts - 1)))
        return _result(memo)
    step = 1
    while lattice.total // (step * 2) >= points - 1:
        step *= 2
    for n in lattice.points(step):
        memo(n)
    if lattice.total % step:  # the coarse ticks may miss the far end of each axis
        for axis in range(lattice.parts - 1):
            n = [0] * (lattice.parts - 1)
            n[axis] = lattice.total
            memo(tuple(n))
        memo(tuple([0] * (lattice.parts - 1)))
    while True:
        best, _ = memo.best()
        for delta in itertools.product(range(-2, 3), repeat=lattice.parts - 1):
            n = tuple(b + step * d for b, d in zip(best, delta))
            if lattice.feasible(n):
                memo(n)
        if step == 1 and memo.best()[0] == best:
            break
        step = max(step // 2, 1)
    return _result(memo)


def _golden_int(g: Callable[[int], float], lo: int, hi: int) -> int:
    """Minimiser of ``g`` over integers in [lo, hi], assuming unimodality (golden-section bracketing)."""
    a, b = lo, hi
    while b - a > 3:
        c = b - int(round((b - a) * _INV_PHI))
        d = a + int(round((b - a) * _INV_PHI))
        if c >= d:
            c, d = d - 1, d
        if g(c) <= g(d):
            b = d
        else:
            a = c
    return min(range(a, b + 1), key=lambda i: (g(i), i))


def golden_search(f: Callable[[np.ndarray], float], lattice: Lattice) -> SearchResult:
    """Golden-section search per free axis, nested (axis 0 outermost); exact for unimodal slices."""
    memo = _Memo(f, lattice)
    d = lattice.parts - 1
    if d == 0 or lattice.total == 0:
        memo(tuple([0] * d))
        return _result(memo)

    def best_rest(prefix: tuple[int, ...]) -> tuple[tuple[int, ...], float]:
        if len(prefix) == d:
            return prefix, memo(prefix)
        room = lattice.total - sum(prefix)
        inner: dict[int, tuple[tuple[int, ...], float]] = {}

        def g(i: int) -> float:
            if i not in inner:
                inner[i] = best_rest(prefix + (i,))
            return inner[i][1]

        i = _golden_int(g, 0, room)
        return inner[i]

    best_rest(())
    return _result(memo)


def search(f: Callable[[np.ndarray], float], parts: int, *, method: str = "refine", resolution: float = 0.01,
           min_share: float = 0.0, points: int = 5) -> SearchResult:
    """Minimise ``f(shares)`` over the share lattice with ``method`` in :data:`SEARCHES`."""
    lattice = Lattice(parts, resolution, min_share)
    if method == "grid":
        return grid_search(f, lattice)
    if method == "refine":
        return refine_search(f, lattice, points)
    if method == "golden":
        return golden_search(f, lattice)
    raise ValueError(f"unknown search {method!r}; choose one of {SEARCHES}")
