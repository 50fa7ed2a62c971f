"""Backend-neutral convex modelling: affine algebra over real/complex-Hermitian variables.

See ``docs/modeling.md``. The layer stays affine on purpose; it is the seam between strategies
(which describe their convex subproblems once) and backends (which translate).
"""
from isactoolbox.modeling.constraint import Constraint
from isactoolbox.modeling.expression import (AffineExpression, Parameter, Variable, as_expression, bmat,
                                             congruence, hstack, inner, trace, vstack)
from isactoolbox.modeling.model import CanonicalData, CompiledModel, LMIData, Model, ProblemClass

__all__ = ["AffineExpression", "CanonicalData", "CompiledModel", "Constraint", "LMIData", "Model", "Parameter",
           "ProblemClass", "Variable", "as_expression", "bmat", "congruence", "hstack", "inner", "trace", "vstack"]
