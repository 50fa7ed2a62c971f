"""Layout of the unknown-parameter vector theta of an ISAL network (eqs. (7)-(8), (19), (24)).

Per slot, in the paper's order: radar positions ``[x_0, y_0, x_1, y_1, ...]`` (2R), clock offsets
``c * delta_r`` in metres (R, asynchronous networks only), target position ``[x, y]`` (2). Slots
follow each other. All parameters are in metres.
"""
from __future__ import annotations

import dataclasses

import numpy as np

RADAR = "radar"
CLOCK = "clock"
TARGET = "target"


@dataclasses.dataclass(frozen=True)
class ParameterLayout:
    """Index bookkeeping for theta; ``blocks(slot)`` lists the blocks in estimation order."""

    n_radars: int
    n_slots: int
    synchronous: bool

    @property
    def per_slot(self) -> int:
        return 2 * self.n_radars + (0 if self.synchronous else self.n_radars) + 2

    @property
    def size(self) -> int:
        return self.n_slots * self.per_slot

    def block_names(self) -> tuple[str, ...]:
        return (RADAR, TARGET) if self.synchronous else (RADAR, CLOCK, TARGET)

    def index(self, block: str, slot: int = 0) -> np.ndarray:
        """Indices of ``block`` ("radar", "clock" or "target") in ``slot``; empty for clocks of a sync network."""
        if not 0 <= slot < self.n_slots:
            raise IndexError(f"slot {slot} out of range (network has {self.n_slots})")
        base = slot * self.per_slot
        r2 = 2 * self.n_radars
        nc = 0 if self.synchronous else self.n_radars
        if block == RADAR:
            return np.arange(base, base + r2)
        if block == CLOCK:
            return np.arange(base + r2, base + r2 + nc)
        if block == TARGET:
            return np.arange(base + r2 + nc, base + r2 + nc + 2)
        raise ValueError(f"unknown parameter block {block!r} (radar, clock, target)")

    def slot_index(self, slot: int) -> np.ndarray:
        return np.arange(slot * self.per_slot, (slot + 1) * self.per_slot)

    def blocks_index(self, block: str) -> np.ndarray:
        """Indices of ``block`` over all slots."""
        return np.concatenate([self.index(block, s) for s in range(self.n_slots)])

    def labels(self) -> list[str]:
        out = []
        for s in range(self.n_slots):
            for r in range(self.n_radars):
                out += [f"x_radar{r}[{s}]", f"y_radar{r}[{s}]"]
            if not self.synchronous:
                out += [f"b_radar{r}[{s}]" for r in range(self.n_radars)]
            out += [f"x_target[{s}]", f"y_target[{s}]"]
        return out
