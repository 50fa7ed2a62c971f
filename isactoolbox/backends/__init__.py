"""Solver backends. ``get_backend("picos:cvxopt")`` returns a ready backend instance."""
from isactoolbox.core.backend import Availability, Backend, Solution, get_backend, list_backends

__all__ = ["Availability", "Backend", "Solution", "get_backend", "list_backends"]
