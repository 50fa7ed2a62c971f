"""``isactoolbox sweep``: a sweep killed mid-run resumes from its store with nothing computed twice."""
import argparse
import json
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from isactoolbox import cli
from isactoolbox.experiments.cli import add_parser

# 30 drops x 2 budgets of ISAL "integrated": a few seconds serially, long enough to be killed midway.
N_POINTS = 60
SPEC = {"name": "killed", "kind": "isal", "fixed": {"n_anchors": 3}, "grid": {"energy_budget": [0.5, 2.0]},
        "seeds": {"start": 0, "count": 30}, "strategies": ["integrated"], "backends": ["picos:cvxopt"]}


def sweep_cmd(*args):
    return [sys.executable, "-m", "isactoolbox.experiments.cli", "sweep", *map(str, args)]


def stored(path):
    try:
        with sqlite3.connect(path, timeout=30) as db:
            return {k: (run, at) for k, run, at in db.execute("SELECT key, run_id, finished_at FROM points")}
    except sqlite3.OperationalError:  # the sweep has not created its tables yet
        return {}


def test_killed_sweep_resumes_without_losing_or_recomputing_points(tmp_path):
    spec = tmp_path / "killed.json"
    spec.write_text(json.dumps(SPEC))
    store = tmp_path / "killed.sqlite"
    proc = subprocess.Popen(sweep_cmd(spec, "--store", store, "--executor", "serial", "--json"),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120   # a bound on waiting, not an assertion about speed
        while len(stored(store)) < 5 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert proc.poll() is None, "the sweep finished before it could be killed: make SPEC larger"
        proc.send_signal(signal.SIGKILL)    # a crash: no clean-up, no final commit
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL
    before = stored(store)
    assert 5 <= len(before) < N_POINTS

    out = subprocess.run(sweep_cmd(spec, "--store", store, "--executor", "serial", "--json",
                                   "--export-csv", tmp_path / "killed.csv"),
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["skipped"] == len(before) and report["computed"] == N_POINTS - len(before)
    assert report["complete"] and report["failed"] == 0
    assert out.stderr == ""                                       # --json: no progress bar
    after = stored(store)
    assert len(after) == N_POINTS
    assert {k: after[k] for k in before} == before                # finished points untouched
    with sqlite3.connect(store) as db:
        assert db.execute("SELECT MAX(runs) FROM points").fetchone()[0] == 1
        states = [s for (s,) in db.execute("SELECT state FROM runs ORDER BY started")]
    assert states == ["running", "finished"]                      # the killed run never closed
    assert (tmp_path / "killed.csv").read_text().count("\n") == N_POINTS + 1


def test_human_output_and_failures_exit_1(tmp_path):
    spec = tmp_path / "s.json"
    spec.write_text(json.dumps({**SPEC, "grid": {"energy_budget": [1.0, -1.0]}, "seeds": [0]}))
    out = subprocess.run(sweep_cmd(spec, "--executor", "serial"), capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 1
    assert "2 computed (1 failed)" in out.stdout and "energy_budget" in out.stdout
    assert (tmp_path / "s.sqlite").exists()                       # default store: beside the spec
    assert out.stderr == ""                                       # not a terminal: no progress bar


@pytest.mark.parametrize("spec_text, args, needle", [
    ("{not json", [], "path"),
    (json.dumps({**SPEC, "grid": {"energy_budge": [1.0]}}), [], "grid.energy_budge"),
    (json.dumps(SPEC), ["--executor", "cluster"], "executor"),
    (json.dumps(SPEC), ["--executor", "dask://"], "executor"),
], ids=["not-json", "unknown-parameter", "unknown-executor", "dask-without-address"])
def test_bad_input_is_a_one_line_error_with_exit_2(tmp_path, spec_text, args, needle):
    spec = tmp_path / "s.json"
    spec.write_text(spec_text)
    out = subprocess.run(sweep_cmd(spec, *args), capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 2
    assert out.stderr.startswith("isactoolbox: error:") and needle in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


def test_hooks_into_the_main_parser():
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    if "sweep" not in sub.choices:   # not yet hooked into isactoolbox.cli: hook it here as cli.py will
        add_parser(sub)
    args = parser.parse_args(["sweep", "s.json", "--store", "r.sqlite", "--executor", "dask://127.0.0.1:8786",
                              "--json", "--export-csv", "r.csv"])
    assert (args.spec, args.store, args.executor, args.json, args.export_csv) == (
        "s.json", "r.sqlite", "dask://127.0.0.1:8786", True, "r.csv")
    assert args.func.__name__ == "cmd_sweep"
