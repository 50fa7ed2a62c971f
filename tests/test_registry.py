"""Plugins: a throwaway distribution installed in a temp dir is discovered; a broken one is reported
and does not break discovery. Discovery is checked in a fresh interpreter (entry-point metadata and
.pth files are read at start-up)."""
import json
import os
import subprocess
import sys
import textwrap

import pytest

from isactoolbox.errors import UnknownPluginError
from isactoolbox.registry import registry

GOOD = """
from isactoolbox.core.strategy import Strategy

class EchoStrategy(Strategy):
    name = "echo"
    scenario_kinds = ("toy",)
    def _solve(self, scenario, backend, options):
        raise NotImplementedError
    def verify(self, scenario, values, options):
        raise NotImplementedError
"""


def _write_dist(root, name, module_source, entry_points):
    pkg = root / name
    (pkg / name).mkdir(parents=True)
    (pkg / name / "__init__.py").write_text(textwrap.dedent(module_source))
    eps = "\n".join(f'{k} = "{v}"' for k, v in entry_points.items())
    (pkg / "pyproject.toml").write_text(textwrap.dedent(f"""
        [build-system]
        requires = ["setuptools>=61"]
        build-backend = "setuptools.build_meta"
        [project]
        name = "{name}"
        version = "0.0.1"
        [project.entry-points."isactoolbox.strategies"]
        """) + eps + "\n")
    return pkg


@pytest.fixture(scope="module")
def plugin_site(tmp_path_factory):
    root = tmp_path_factory.mktemp("plugins")
    good = _write_dist(root, "isac_good_plugin", GOOD, {"echo": "isac_good_plugin:EchoStrategy"})
    bad = _write_dist(root, "isac_broken_plugin", "raise ImportError('deliberately broken for the test')\n",
                      {"broken-one": "isac_broken_plugin:Whatever"})
    site = root / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                    "--target", str(site), str(good), str(bad)], check=True, capture_output=True)
    return site


def _plugins_json(site):
    env = dict(os.environ, PYTHONPATH=str(site) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    out = subprocess.run([sys.executable, "-m", "isactoolbox.cli", "plugins", "--json"], env=env,
                         capture_output=True, text=True, check=True)
    return {(r["group"], r["name"]): r for r in json.loads(out.stdout)}


def test_installed_plugin_is_discovered_and_broken_one_is_isolated(plugin_site):
    rows = _plugins_json(plugin_site)
    good = rows[("strategy", "echo")]
    assert good["status"] == "loaded" and good["distribution"] == "isac_good_plugin"
    broken = rows[("strategy", "broken-one")]
    assert broken["status"] == "broken" and "deliberately broken" in broken["error"]
    assert broken["distribution"] == "isac_broken_plugin"
    # the built-ins still load next to the broken plugin
    assert rows[("backend", "picos")]["status"] == "loaded"


def test_unknown_names_list_the_known_ones():
    with pytest.raises(UnknownPluginError, match="picos"):
        registry.backend_family("nosuchbackend")
