"""The distributions in plugins/ install as a third party's would and pass the conformance suite."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

PLUGINS = Path(__file__).resolve().parent.parent / "plugins"


@pytest.mark.parametrize("dist", sorted(p.name for p in PLUGINS.iterdir() if (p / "pyproject.toml").exists()))
def test_plugin_installs_and_passes_its_conformance_tests(dist, tmp_path):
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                    "--target", str(target), str(PLUGINS / dist)], check=True, capture_output=True)
    env = dict(os.environ, PYTHONPATH=str(target) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    # a fresh interpreter: entry points of a just-installed distribution are read at start-up
    out = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          str(PLUGINS / dist / "tests")], env=env, capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
    assert " passed" in out.stdout
