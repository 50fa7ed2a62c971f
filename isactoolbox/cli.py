"""Command line: ``isactoolbox solve | plugins | backends | compare-backends | demo | reproduce | pareto | sweep``.

Human-readable output by default, JSON with ``--json``. Errors raised on purpose by the toolbox
become one line on stderr and exit code 2, never a traceback.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Sequence

from isactoolbox.errors import IsacToolboxError, OptionError


def _parse_sets(items: Sequence[str]) -> dict[str, Any]:
    from isactoolbox.core.options import parse_cli_value

    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise OptionError("--set", f"expected key=value, got {item!r}")
        out[key.strip()] = parse_cli_value(value.strip())
    return out


def _print_table(rows: list[dict[str, Any]], columns: list[str]) -> None:
    widths = {c: max(len(c), *(len(str(r.get(c, ""))) for r in rows)) if rows else len(c) for c in columns}
    print("  ".join(c.ljust(widths[c]) for c in columns))
    for r in rows:
        print("  ".join(str(r.get(c, "")).ljust(widths[c]) for c in columns))


def cmd_solve(args: argparse.Namespace) -> int:
    from isactoolbox.core.scenario import load_scenario
    from isactoolbox.registry import registry

    from isactoolbox.core.backend import get_backend

    # Resolve every name before any solving, so a typo fails in a second, not after a long run.
    backends = [get_backend(b.strip()) for b in (args.backend or "").split(",") if b.strip()] or None
    scenario = load_scenario(args.scenario)
    options = _parse_sets(args.set or [])
    strategy = registry.strategy(args.strategy)(**options)
    result = strategy.solve(scenario, backends)
    if args.output:
        result.save(args.output)
    if args.json:
        print(result.to_json())
    else:
        print(result.summary())
        if args.output:
            print(f"result      written to {args.output}")
    return 0 if result.status.is_success or result.status.value == "infeasible" else 1


def cmd_plugins(args: argparse.Namespace) -> int:
    from isactoolbox.registry import registry

    rows = [r.to_dict() for r in registry.records()]
    if args.json:
        print(json.dumps(rows, indent=1))
        return 0
    for r in rows:
        r["dist"] = f"{r['distribution']} {r['version']}"
        r["note"] = r["error"] or ""
    _print_table(rows, ["group", "name", "status", "dist", "target", "note"])
    return 0


def cmd_backends(args: argparse.Namespace) -> int:
    from isactoolbox.core.backend import list_backends

    rows = list_backends()
    if args.json:
        print(json.dumps(rows, indent=1))
        return 0
    for r in rows:
        r["usable"] = "yes" if r["available"] else "no"
        r["problem classes"] = ",".join(r["classes"])
    _print_table(rows, ["backend", "usable", "problem classes", "distribution", "detail"])
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from isactoolbox.compare import compare_backends, format_table, write_csv
    from isactoolbox.core.scenario import load_scenario
    from isactoolbox.registry import registry

    scenario = load_scenario(args.scenario)
    options = _parse_sets(args.set or [])
    strategy = registry.strategy(args.strategy)()
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    rows = compare_backends(lambda be: strategy.solve(scenario, be, **options), backends)
    if args.csv:
        write_csv(rows, args.csv)
    if args.plot:
        from isactoolbox.compare import plot_rows

        plot_rows(rows, args.plot)
    if args.json:
        print(json.dumps(rows, indent=1, default=str))
    else:
        print(format_table(rows))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from isactoolbox.demo import run_demo

    return run_demo(out_dir=Path(args.out), as_json=args.json)


def cmd_reproduce(args: argparse.Namespace) -> int:
    from isactoolbox.reproductions import REPRODUCTIONS, load

    if args.list or not args.name:
        for name, target in REPRODUCTIONS.items():
            print(f"{name:24s} {target}")
        return 0
    run = load(args.name)
    options = _parse_sets(args.set or [])
    report = run(Path(args.out), full=args.full, backend=args.backend, pdf=args.pdf, **options)
    if args.json:
        print(json.dumps(report.to_dict(), indent=1))
    else:
        for line in report.lines:
            print(line)
        for f in report.files:
            print(f"written     {f}")
    return 0


def cmd_pareto(args: argparse.Namespace) -> int:
    from isactoolbox.bpms.pareto import ALL_SCHEMES, pareto_sweep, write_sweep
    from isactoolbox.core.scenario import load_scenario

    import numpy as np

    scenario = load_scenario(args.scenario)
    schemes = [s.strip() for s in (args.schemes or ",".join(ALL_SCHEMES)).split(",") if s.strip()]
    rhos = np.linspace(0.0, 1.0, args.points)
    sweep = pareto_sweep(scenario, schemes, rhos, backend=args.backend or "cvxopt")
    if args.csv:
        write_sweep(sweep, args.csv)
    if args.json:
        print(json.dumps(sweep.to_dict(), indent=1, default=str))
    else:
        print(sweep.table())
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="isactoolbox", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("solve", help="run a strategy on a scenario file")
    s.add_argument("scenario", help="scenario JSON file")
    s.add_argument("--strategy", required=True, help="registered strategy name (see `isactoolbox plugins`)")
    s.add_argument("--backend", default=None,
                   help="backend, e.g. picos:cvxopt; a comma list is a fallback chain (default: the strategy's)")
    s.add_argument("--set", action="append", metavar="KEY=VALUE", help="strategy option (JSON value or string)")
    s.add_argument("-o", "--output", help="write the result JSON here")
    s.add_argument("--json", action="store_true", help="print the result as JSON")
    s.set_defaults(func=cmd_solve)

    s = sub.add_parser("plugins", help="list every registered plugin, broken ones too")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_plugins)

    s = sub.add_parser("backends", help="list backends and whether their solvers are usable here")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_backends)

    s = sub.add_parser("compare-backends", help="run one strategy on several backends side by side")
    s.add_argument("scenario")
    s.add_argument("--strategy", required=True)
    s.add_argument("--backends", required=True, help="comma-separated, e.g. picos:cvxopt,pyomo:ipopt")
    s.add_argument("--set", action="append", metavar="KEY=VALUE")
    s.add_argument("--csv", help="also write the table as CSV")
    s.add_argument("--plot", help="also draw the times as a PNG (its data as CSV beside it)")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_compare)

    s = sub.add_parser("demo", help="solve a shipped scenario end to end and write the result")
    s.add_argument("--out", default="isactoolbox-demo", help="output folder")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_demo)

    s = sub.add_parser("reproduce", help="reproduce a paper table or figure (CSV + PNG); --list lists them")
    s.add_argument("name", nargs="?", help="reproduction name, e.g. isal-fig9")
    s.add_argument("--list", action="store_true", help="list the reproductions")
    s.add_argument("--out", default="isactoolbox-figures", help="output folder")
    s.add_argument("--full", action="store_true", help="the paper's size (slow) instead of the quick default")
    s.add_argument("--backend", default=None, help="backend (default: each strategy's)")
    s.add_argument("--set", action="append", metavar="KEY=VALUE", help="reproduction option (JSON value or string)")
    s.add_argument("--pdf", action="store_true", help="also write PDF figures")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_reproduce)

    s = sub.add_parser("pareto", help="BP/MS trade-off: sweep rho over bistatic-monostatic schemes")
    s.add_argument("scenario", help="bistatic-monostatic scenario JSON file")
    s.add_argument("--schemes", help="comma list (default: all seven)")
    s.add_argument("--points", type=int, default=11, help="rho values in [0, 1]")
    s.add_argument("--backend", default=None)
    s.add_argument("--csv", help="also write the points as CSV")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_pareto)

    from isactoolbox.experiments.cli import add_parser as add_sweep_parser

    add_sweep_parser(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except IsacToolboxError as exc:
        print(f"isactoolbox: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("isactoolbox: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
