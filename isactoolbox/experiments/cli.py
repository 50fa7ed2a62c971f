"""``isactoolbox sweep SPEC.json``: run (or resume) a sweep into a result store.

Hooked into the main command line by ``add_parser(subparsers)``; also runnable on its own as
``python -m isactoolbox.experiments.cli sweep SPEC.json ...`` with the same arguments.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import sys
from pathlib import Path
from typing import Any, Iterator, Sequence

from isactoolbox.errors import OptionError


def cmd_sweep(args: argparse.Namespace) -> int:
    from isactoolbox.experiments.executors import executor_from_spec
    from isactoolbox.experiments.store import ResultStore
    from isactoolbox.experiments.sweep import SweepSpec, run_sweep

    # Resolve the spec, the executor and the store before any point runs: a typo fails at once.
    spec = SweepSpec.load(args.spec)
    if args.workers is not None and not args.executor.startswith("local"):
        raise OptionError("--workers", f"sizes the local process pool; the {args.executor!r} executor has its own")
    store_path = Path(args.store) if args.store else Path(args.spec).with_suffix(".sqlite")
    executor = executor_from_spec(args.executor, workers=args.workers)
    try:
        with ResultStore(store_path) as store, _resume_hint_on_interrupt():
            report = run_sweep(spec, store, executor, progress=False if args.json else None,
                               max_points=args.max_points, retry_failed=args.retry_failed)
            exported: list[str] = []
            if args.export_csv:
                exported.append(str(store.to_csv(args.export_csv, sweep=spec.name)))
            if args.export_parquet:
                exported.append(str(store.to_parquet(args.export_parquet, sweep=spec.name)))
    finally:
        executor.close()
    if args.json:
        out: dict[str, Any] = report.to_dict()
        out["exported"] = exported
        print(json.dumps(out, indent=1))
    else:
        for line in report.lines():
            print(line)
        for path in exported:
            print(f"exported    {path}")
    return 1 if report.failed else 0


@contextlib.contextmanager
def _resume_hint_on_interrupt() -> Iterator[None]:
    try:
        yield
    except KeyboardInterrupt:
        print("isactoolbox: finished points are in the store; run the same command again to resume", file=sys.stderr)
        raise


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``sweep`` on the main parser's subparsers (``build_parser`` in isactoolbox.cli)."""
    s = subparsers.add_parser(
        "sweep", help="run or resume a parameter sweep (grid x seeds x strategies x backends) into an SQLite store",
        description="Run every point of SPEC.json not yet in the store; points are written as they finish, "
                    "so an interrupted sweep resumes where it stopped. See docs/experiments.md.")
    s.add_argument("spec", help="sweep spec JSON file")
    s.add_argument("--store", default=None, help="SQLite result store (default: SPEC with suffix .sqlite)")
    s.add_argument("--executor", default="local",
                   help="'local' (process pool, every core; 'local:N' for N workers), 'serial', or "
                        "'dask://host:port' (a Dask scheduler)")
    s.add_argument("--workers", type=int, default=None, help="workers of the local executor (default: all cores)")
    s.add_argument("--max-points", type=int, default=None, help="stop after computing this many points")
    s.add_argument("--retry-failed", action="store_true", help="re-run points stored as failures")
    s.add_argument("--export-csv", metavar="FILE", help="afterwards, write the sweep's rows as CSV")
    s.add_argument("--export-parquet", metavar="FILE", help="afterwards, write them as Parquet (pandas + pyarrow)")
    s.add_argument("--json", action="store_true", help="print the run report as JSON (no progress bar)")
    s.set_defaults(func=cmd_sweep)
    return s


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m isactoolbox.experiments.cli sweep ...``: the main command line, which owns ``sweep``."""
    from isactoolbox.cli import main as toolbox_main

    return toolbox_main(argv)


if __name__ == "__main__":
    sys.exit(main())
