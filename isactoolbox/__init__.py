"""isactoolbox: resource and beamforming optimization for integrated sensing and communication networks.

The interfaces live in :mod:`isactoolbox.core`; convex subproblems are written with
:mod:`isactoolbox.modeling` and solved by a backend from :func:`get_backend`; plugins (scenarios,
metrics, strategies, backends) are found through entry points by :data:`registry`.
"""
from importlib.metadata import PackageNotFoundError, version

from isactoolbox.core.backend import Backend, Solution, get_backend, list_backends
from isactoolbox.core.metric import PerformanceMetric
from isactoolbox.core.result import Result
from isactoolbox.core.scenario import Scenario, load_scenario
from isactoolbox.core.strategy import Strategy
from isactoolbox.registry import registry
from isactoolbox.status import Status

try:
    __version__ = version("isactoolbox")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0+unknown"

__all__ = ["Backend", "PerformanceMetric", "Result", "Scenario", "Solution", "Status", "Strategy",
           "get_backend", "list_backends", "load_scenario", "registry", "__version__"]
