"""The CLI prints something true on this machine and turns bad input into one-line errors."""
import importlib.util
import json
import subprocess
import sys

import pytest

from pathlib import Path

import isactoolbox

SCENARIOS = Path(isactoolbox.__file__).parent / "data" / "scenarios"


def run(*args):
    return subprocess.run([sys.executable, "-m", "isactoolbox.cli", *args], capture_output=True, text=True)


def test_backends_reports_what_is_importable_here():
    out = run("backends", "--json")
    assert out.returncode == 0
    rows = {r["backend"]: r for r in json.loads(out.stdout)}
    for backend, module in [("picos:cvxopt", "cvxopt"), ("picos:glpk", "swiglpk"), ("picos:qics", "qics")]:
        assert rows[backend]["available"] == (importlib.util.find_spec(module) is not None)
    assert rows["picos:cvxopt"]["classes"] == ["LP", "SDP"]
    human = run("backends")
    assert human.returncode == 0 and "picos:cvxopt" in human.stdout


def test_plugins_lists_the_builtins_with_their_distribution():
    out = run("plugins", "--json")
    rows = {(r["group"], r["name"]): r for r in json.loads(out.stdout)}
    assert rows[("backend", "picos")]["distribution"] == "isactoolbox"
    assert rows[("scenario", "network-isac")]["status"] == "loaded"


@pytest.mark.parametrize("args, needle", [
    (["solve", "/no/such/file.json", "--strategy", "x"], "path"),
    (["solve", "{scenario}", "--strategy", "no-such-strategy"], "no-such-strategy"),
    (["solve", "{scenario}", "--strategy", "exhaustive", "--set", "oops"], "--set"),
    (["solve", "{scenario}", "--strategy", "exhaustive", "--backend", "nosuch:x"], "nosuch"),
])
def test_bad_input_is_one_line_with_nonzero_exit(args, needle):
    scenario = SCENARIOS / "network_isac_small.json"
    out = run(*[a.format(scenario=scenario) for a in args])
    assert out.returncode == 2, out.stderr
    assert len(out.stderr.strip().splitlines()) == 1 and "Traceback" not in out.stderr
    assert needle in out.stderr


def test_unknown_field_in_scenario_file_is_named(tmp_path):
    scenario = tmp_path / "s.json"
    scenario.write_text(json.dumps({"kind": "network-isac", "fields": {"colour": "red"}}))
    out = run("solve", str(scenario), "--strategy", "exhaustive")
    assert out.returncode == 2 and "colour" in out.stderr and "Traceback" not in out.stderr


def test_missing_field_in_scenario_file_is_named(tmp_path):
    scenario = tmp_path / "s.json"
    scenario.write_text(json.dumps({"kind": "network-isac", "fields": {}}))
    out = run("solve", str(scenario), "--strategy", "exhaustive")
    assert out.returncode == 2 and "missing" in out.stderr and "Traceback" not in out.stderr
