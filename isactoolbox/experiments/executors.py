"""Where sweep points run: in this process, in a local process pool, or on a Dask cluster.

Every executor has one method, :meth:`Executor.run`, that takes a picklable function and the
tasks, and yields ``(task, value, error)`` triples **as tasks finish** (not in submission order),
so the caller can store each point the moment it is done. ``error`` is set only when the executor
itself lost the task (a worker process died, a Dask worker was killed): a task whose function
raised is the function's business (the sweep's point runner turns exceptions into stored
failures and never raises).

Only a bounded number of tasks is in flight at a time (``max_pending``, default twice the
workers), so a huge sweep never materialises all its futures, and an interruption loses at most
the points that were running.

``executor_from_spec("serial" | "local" | "local:N" | "dask://host:port")`` builds one from a
command-line string.
"""
from __future__ import annotations

import abc
import concurrent.futures as cf
import multiprocessing
import os
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Callable, Iterable, Iterator, TypeVar

from isactoolbox.errors import IsacToolboxError, OptionError
from isactoolbox.experiments.store import MissingDependencyError

__all__ = ["DaskExecutor", "Executor", "ExecutorLostTask", "LocalExecutor", "SerialExecutor", "executor_from_spec"]

T = TypeVar("T")
R = TypeVar("R")
Completed = tuple[Any, Any, BaseException | None]


class ExecutorLostTask(IsacToolboxError):
    """The executor lost a task (its worker died); the task itself may be fine."""


class Executor(abc.ABC):
    """Runs ``fn(task)`` for every task and yields results as they finish."""

    #: How the executor is named in stores and reports (e.g. ``local:8``, ``dask://host:8786``).
    name: str = ""

    @abc.abstractmethod
    def run(self, fn: Callable[[T], R], tasks: Iterable[T]) -> Iterator[tuple[T, R | None, BaseException | None]]:
        """Yield ``(task, fn(task), None)`` per finished task, or ``(task, None, error)`` if it was lost."""

    def close(self) -> None:
        """Release workers and connections the executor created (idempotent)."""

    def __enter__(self) -> "Executor":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"


class SerialExecutor(Executor):
    """Everything in this process, one task after the other: for debugging (pdb, prints, profiles)
    and for strategies registered only in this process (``registry.register``)."""

    name = "serial"

    def run(self, fn: Callable[[T], R], tasks: Iterable[T]) -> Iterator[tuple[T, R | None, BaseException | None]]:
        for task in tasks:
            yield task, fn(task), None


def _check_workers(workers: int | None, field: str = "workers") -> int:
    if workers is None:
        return os.cpu_count() or 1
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise OptionError(field, f"must be a positive integer, got {workers!r}", owner="executor")
    return workers


class LocalExecutor(Executor):
    """A :class:`concurrent.futures.ProcessPoolExecutor` on this machine (default: every core).

    Worker processes find strategies and backends through installed entry points (with the
    platform's default start method, ``fork`` on Linux, also those registered in this process).
    When a worker process dies (out of memory, a crashing native solver) the tasks in flight are
    reported lost and the pool is replaced, so the rest of the sweep still runs.
    """

    def __init__(self, workers: int | None = None, *, max_pending: int | None = None,
                 mp_context: str | None = None) -> None:
        self.workers = _check_workers(workers)
        self.max_pending = _check_workers(max_pending, "max_pending") if max_pending is not None else 2 * self.workers
        self.mp_context = mp_context
        self.name = f"local:{self.workers}"
        self._pool: cf.ProcessPoolExecutor | None = None

    def _new_pool(self) -> cf.ProcessPoolExecutor:
        ctx = multiprocessing.get_context(self.mp_context) if self.mp_context else None
        return cf.ProcessPoolExecutor(max_workers=self.workers, mp_context=ctx)

    def run(self, fn: Callable[[T], R], tasks: Iterable[T]) -> Iterator[tuple[T, R | None, BaseException | None]]:
        todo = iter(tasks)
        if self._pool is None:
            self._pool = self._new_pool()
        pending: dict[cf.Future, Any] = {}

        def fill() -> None:
            assert self._pool is not None
            while len(pending) < self.max_pending:
                try:
                    task = next(todo)
                except StopIteration:
                    return
                pending[self._pool.submit(fn, task)] = task

        try:
            fill()
            while pending:
                done, _ = cf.wait(list(pending), return_when=cf.FIRST_COMPLETED)
                broken = False
                for fut in done:
                    task = pending.pop(fut)
                    try:
                        value = fut.result()
                    except BrokenProcessPool as exc:
                        broken = True
                        yield task, None, ExecutorLostTask(
                            f"a worker process died while this point was in flight ({exc}); it or a point "
                            f"running beside it crashed the process")
                    except Exception as exc:  # e.g. the task or its result did not pickle
                        yield task, None, exc
                    else:
                        yield task, value, None
                if broken:
                    # Every other in-flight future of a broken pool fails too; report them, then go on
                    # with a fresh pool rather than abandoning the rest of the sweep.
                    for fut, task in list(pending.items()):
                        pending.pop(fut)
                        yield task, None, ExecutorLostTask("a worker process died while this point was in flight")
                    self._pool.shutdown(wait=False, cancel_futures=True)
                    self._pool = self._new_pool()
                fill()
        finally:
            if pending:  # the caller stopped early (interrupt): do not start what is still queued
                for fut in pending:
                    fut.cancel()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


class DaskExecutor(Executor):
    """Tasks on a Dask distributed cluster (``pip install 'isactoolbox[dask]'``).

    ``address`` is the scheduler (``tcp://host:8786``; ``host:port`` is read as tcp); or pass an
    existing ``client``. Workers must have isactoolbox (and the plugins the sweep uses) installed
    at the same version as this process: each point checks it and fails with a clear error
    otherwise, since its key names the toolbox version.
    """

    def __init__(self, address: str | None = None, *, client: Any = None, max_pending: int | None = None,
                 timeout: float = 30.0) -> None:
        try:
            from distributed import Client
        except ImportError:
            raise MissingDependencyError("the dask executor needs dask.distributed, which is not installed: "
                                         "pip install 'dask[distributed]' (or 'isactoolbox[dask]')") from None
        if client is None and not address:
            raise OptionError("executor", "a Dask executor needs a scheduler address (dask://host:port) or a client",
                              owner="DaskExecutor")
        if address and "://" not in address:
            address = f"tcp://{address}"
        self._own_client = client is None
        try:
            self._client = client if client is not None else Client(address, timeout=timeout)
        except OSError as exc:
            raise OptionError("executor", f"cannot reach a Dask scheduler at {address} ({exc})",
                              owner="DaskExecutor") from None
        self.address = address or getattr(getattr(self._client, "scheduler", None), "address", "") or ""
        self.name = f"dask://{self.address.split('://', 1)[-1]}" if self.address else "dask"
        self._max_pending = max_pending

    @property
    def client(self) -> Any:
        return self._client

    def _window(self) -> int:
        if self._max_pending is not None:
            return _check_workers(self._max_pending, "max_pending")
        try:
            threads = sum(self._client.nthreads().values())
        except Exception:  # a scheduler that cannot say: a modest window still keeps workers busy
            threads = 4
        return max(2 * threads, 2)

    def run(self, fn: Callable[[T], R], tasks: Iterable[T]) -> Iterator[tuple[T, R | None, BaseException | None]]:
        from distributed import as_completed

        todo = iter(tasks)
        window = self._window()
        pending: dict[Any, Any] = {}
        queue = as_completed()

        def fill() -> None:
            while len(pending) < window:
                try:
                    task = next(todo)
                except StopIteration:
                    return
                # pure=False: two points that pickle alike must still both run (and never be cached).
                fut = self._client.submit(fn, task, pure=False)
                pending[fut] = task
                queue.add(fut)

        fill()
        try:
            for fut in queue:
                task = pending.pop(fut)
                try:
                    value = fut.result()
                except Exception as exc:  # KilledWorker, CancelledError, a lost connection
                    yield task, None, ExecutorLostTask(f"the Dask cluster lost this point: {type(exc).__name__}: {exc}")
                else:
                    yield task, value, None
                finally:
                    fut.release()
                fill()
        finally:
            if pending:
                self._client.cancel(list(pending))

    def close(self) -> None:
        if self._own_client and self._client is not None:
            self._client.close()
        self._client = None if self._own_client else self._client


def executor_from_spec(spec: "str | Executor | None" = None, *, workers: int | None = None) -> Executor:
    """``None``/``"local"`` (every core), ``"local:N"``, ``"serial"``, or ``"dask://host:port"``."""
    if isinstance(spec, Executor):
        return spec
    if spec is None:
        spec = "local"
    if not isinstance(spec, str):
        raise OptionError("executor", f"must be 'local', 'local:N', 'serial' or 'dask://host:port', got {spec!r}")
    text = spec.strip()
    if text == "serial":
        return SerialExecutor()
    if text == "local" or text.startswith("local:"):
        n = workers
        if text.startswith("local:"):
            try:
                n = int(text.split(":", 1)[1])
            except ValueError:
                raise OptionError("executor", f"'local:N' needs an integer N, got {spec!r}") from None
        return LocalExecutor(n)
    if text.startswith("dask://"):
        address = text[len("dask://"):]
        if not address:
            raise OptionError("executor", "dask:// needs the scheduler's host:port, e.g. dask://127.0.0.1:8786")
        return DaskExecutor(address)
    raise OptionError("executor", f"unknown executor {spec!r}; use 'local', 'local:N', 'serial' or 'dask://host:port'")
