"""Constraints of the neutral model: ``lhs - rhs <= 0``, ``== 0`` (elementwise, real) and ``>> 0`` (LMI)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from isactoolbox.errors import ModelError

if TYPE_CHECKING:
    from isactoolbox.modeling.expression import AffineExpression


class Constraint:
    """``sense`` is "<=" (``lhs - rhs <= 0`` elementwise), "==" (``lhs - rhs == 0``) or ">>" (PSD).

    Both sides are kept as written: the compiled model reads their coefficients with opposite signs,
    so ``a >= b`` never builds a negated copy of ``a`` (each such copy is a sparse matrix per term,
    a tenth of a network-ISAC model build). A scalar side broadcasts over the other. ``expr`` gives
    ``lhs - rhs`` as one expression when it is needed.
    """

    def __init__(self, sense: str, lhs: "AffineExpression", name: str = "", *,
                 rhs: "AffineExpression | None" = None) -> None:
        if sense not in ("<=", "==", ">>"):
            raise ModelError(f"unknown constraint sense {sense!r}")
        shape = lhs.shape
        if rhs is not None and rhs.shape != shape:
            if lhs.shape == (1, 1):
                shape = rhs.shape
            elif rhs.shape != (1, 1):
                raise ModelError(f"constraint sides have shapes {lhs.shape} and {rhs.shape}")
        if sense == ">>" and shape[0] != shape[1]:
            raise ModelError(f"an LMI needs a square expression, got {shape}")
        self.sense = sense
        self.lhs, self.rhs = lhs, rhs
        self.shape = shape
        self.name = name
        self._expr: AffineExpression | None = None

    @property
    def size(self) -> int:
        return self.shape[0] * self.shape[1]

    @property
    def parts(self) -> list[tuple["AffineExpression", float]]:
        """``[(lhs, +1), (rhs, -1)]``, without a constant-zero right-hand side."""
        if self.rhs is None or (self.rhs.is_constant and all(t.nnz == 0 for t in self.rhs.terms.values())):
            return [(self.lhs, 1.0)]
        return [(self.lhs, 1.0), (self.rhs, -1.0)]

    @property
    def expr(self) -> "AffineExpression":
        """``lhs - rhs`` (built on first use)."""
        if self._expr is None:
            self._expr = self.lhs if len(self.parts) == 1 else self.lhs - self.rhs
            if self._expr.shape != self.shape:
                self._expr = self._expr._broadcast(self.shape)
        return self._expr

    def __bool__(self) -> bool:
        # Guard against `if x == y:` on expressions, which would silently be True.
        raise ModelError("a constraint has no truth value; add it to a model with Model.add")

    def __repr__(self) -> str:
        return f"<constraint {self.name or '?'}: {self.shape[0]}x{self.shape[1]} {self.sense} 0>"
