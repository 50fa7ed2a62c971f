"""Constraints of the neutral model: ``expr <= 0``, ``expr == 0`` (elementwise, real) and ``expr >> 0`` (LMI)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from isactoolbox.errors import ModelError

if TYPE_CHECKING:
    from isactoolbox.modeling.expression import AffineExpression


class Constraint:
    """``sense`` is "<=" (expr <= 0 elementwise), "==" (expr == 0) or ">>" (expr PSD)."""

    def __init__(self, sense: str, expr: "AffineExpression", name: str = "") -> None:
        if sense not in ("<=", "==", ">>"):
            raise ModelError(f"unknown constraint sense {sense!r}")
        if sense == ">>" and expr.shape[0] != expr.shape[1]:
            raise ModelError(f"an LMI needs a square expression, got {expr.shape}")
        self.sense = sense
        self.expr = expr
        self.name = name

    def __bool__(self) -> bool:
        # Guard against `if x == y:` on expressions, which would silently be True.
        raise ModelError("a constraint has no truth value; add it to a model with Model.add")

    def __repr__(self) -> str:
        return f"<constraint {self.name or '?'}: {self.expr.shape[0]}x{self.expr.shape[1]} {self.sense} 0>"
