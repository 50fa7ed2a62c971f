"""Experiments: resumable parameter sweeps, a result store, executors and progress bars.

* :mod:`.sweep` -- :class:`SweepSpec` (scenario kind, fixed fields, a grid of parameters, seeds,
  strategies, backends) and :func:`run_sweep`;
* :mod:`.store` -- :class:`ResultStore`, an SQLite file written point by point, exported to CSV,
  Parquet or an xarray Dataset;
* :mod:`.executors` -- serial, local process pool (default) and Dask distributed executors;
* :mod:`.progress` -- a dependency-free progress bar reusable by any long loop.

See docs/experiments.md.
"""
from isactoolbox.experiments.executors import (DaskExecutor, Executor, LocalExecutor, SerialExecutor,
                                               executor_from_spec)
from isactoolbox.experiments.progress import Progress, ProgressCallback, progress_bar
from isactoolbox.experiments.store import MissingDependencyError, ResultStore, open_store
from isactoolbox.experiments.sweep import Point, SweepReport, SweepSpec, run_point, run_sweep

__all__ = ["DaskExecutor", "Executor", "LocalExecutor", "MissingDependencyError", "Point", "Progress",
           "ProgressCallback", "ResultStore", "SerialExecutor", "SweepReport", "SweepSpec", "executor_from_spec",
           "open_store", "progress_bar", "run_point", "run_sweep"]
