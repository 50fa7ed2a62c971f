"""Paper 004 reproductions (Figs. 2, 3), the ``isactoolbox pareto`` command and ``write_sweep``.

The done-when relations of the tradeoff (WCRB-FDB best at the ends, FDB no worse than CPA, APA a
single point, monotone WCRB curves) are tested on K = 2 in test_bpms_strategies.py; here they are
checked on the numbers Fig. 3 writes, which adds the paper's main case K = 3.
"""
from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import isactoolbox
from isactoolbox.bpms.pareto import SWEEP_COLUMNS, ParetoPoint, ParetoSweep, mark_dominated, write_sweep
from isactoolbox.bpms.scenario import BistaticMonostatic
from isactoolbox.errors import OptionError
from isactoolbox.reproductions import load
from isactoolbox.reproductions.bpms_figures import beampattern, fig2, fig3, node_directions

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")
SCENARIOS = Path(isactoolbox.__file__).parent / "data" / "scenarios"
TOL = 1e-5  # interior-point accuracy that passes into the CRBs (as in test_bpms_strategies)
SCHEMES = ("wcrb-fdb", "wvm-fdb", "wbf-fdb", "wcrb-cpa", "wvm-cpa", "wbf-cpa", "apa")


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-W", "ignore::FutureWarning", "-m", "isactoolbox.cli", *args],
                          capture_output=True, text=True)


def read_csv(path: Path) -> list[dict[str, str]]:
    with Path(path).open(newline="") as fh:
        return list(csv.DictReader(fh))


# ---------------------------------------------------------------------------------------------
# write_sweep and `isactoolbox pareto`
# ---------------------------------------------------------------------------------------------
def test_write_sweep_round_trips_every_point(tmp_path):
    pts = [ParetoPoint("a", 0.0, 0.1, 0.3, "optimal", True, 0.5),
           ParetoPoint("a", 1.0, 0.2, 0.4, "optimal", True, 0.5),      # dominated by the first
           ParetoPoint("b", 0.5, float("nan"), float("nan"), "solver_error", False, 0.1)]
    mark_dominated(pts)
    path = write_sweep(ParetoSweep(pts), tmp_path / "sub" / "s.csv")
    assert path == tmp_path / "sub" / "s.csv"
    rows = read_csv(path)
    assert tuple(rows[0]) == SWEEP_COLUMNS and len(rows) == 3
    assert [r["dominated"] for r in rows] == ["False", "True", "True"]
    assert rows[2]["verified"] == "False" and np.isnan(float(rows[2]["sqrt_bp"]))
    assert float(rows[0]["sqrt_ms"]) == 0.3 and rows[1]["scheme"] == "a"


def test_pareto_command_end_to_end(tmp_path):
    out = tmp_path / "k2.csv"
    run = cli("pareto", str(SCENARIOS / "bpms_k2.json"), "--schemes", "wcrb-cpa,apa", "--points", "3",
              "--csv", str(out), "--json")
    assert run.returncode == 0, run.stderr
    points = json.loads(run.stdout)["points"]
    rows = read_csv(out)
    assert tuple(rows[0]) == SWEEP_COLUMNS and len(rows) == len(points) == 6
    for r, p in zip(rows, points):
        # the CSV holds the same numbers as the JSON, to the last digit
        assert (r["scheme"], float(r["rho"]), float(r["sqrt_bp"]), float(r["sqrt_ms"])) == \
               (p["scheme"], p["rho"], p["sqrt_bp"], p["sqrt_ms"])
        assert r["verified"] == "True" and r["dominated"] == str(p["dominated"])
    assert [float(r["rho"]) for r in rows[:3]] == [0.0, 0.5, 1.0]
    wcrb = [(float(r["sqrt_bp"]), float(r["sqrt_ms"])) for r in rows[:3]]
    assert wcrb[0][0] > wcrb[2][0] and wcrb[0][1] < wcrb[2][1]  # a tradeoff, in metres
    assert len({(r["sqrt_bp"], r["sqrt_ms"]) for r in rows[3:]}) == 1  # APA: one point


def test_pareto_command_unknown_scheme_is_one_line(tmp_path):
    run = cli("pareto", str(SCENARIOS / "bpms_k2.json"), "--schemes", "wcrb-fdb,no-such", "--points", "2")
    assert run.returncode == 2 and "no-such" in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1 and "Traceback" not in run.stderr


# ---------------------------------------------------------------------------------------------
# Fig. 2
# ---------------------------------------------------------------------------------------------
def test_beampattern_reference_values():
    sc = BistaticMonostatic.paper(2)
    P, n = sc.power_per_subcarrier, sc.n_tx
    angles = np.linspace(-np.pi / 2, np.pi / 2, 181)
    # isotropic full power: P/M in every direction
    iso = np.sqrt(P / n) * np.eye(n)
    assert np.allclose(beampattern(sc, iso, angles), P, rtol=1e-12)
    # one matched beam: array gain n towards its direction, and never more anywhere
    th = node_directions(sc)["UE"]
    from isactoolbox.bpms.arrays import steering

    W = np.sqrt(P / n) * steering(th, n)[:, None]
    assert beampattern(sc, W, np.array([th]))[0] == pytest.approx(n * P, rel=1e-12)
    assert np.max(beampattern(sc, W, angles)) <= n * P * (1 + 1e-12)


def test_fig2_via_cli_writes_png_pdf_csv(tmp_path):
    run = cli("reproduce", "bpms-fig2", "--out", str(tmp_path), "--pdf", "--json")
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    names = sorted(Path(f).name for f in report["files"])
    assert names == ["bpms_fig2.csv", "bpms_fig2.pdf", "bpms_fig2.png"]
    assert all(Path(f).stat().st_size > 0 for f in report["files"])
    rows = read_csv(tmp_path / "bpms_fig2.csv")
    assert len(rows) == 721 and float(rows[0]["angle_deg"]) == -90.0 and float(rows[-1]["angle_deg"]) == 90.0
    panels = report["summary"]["panels"]
    assert set(panels) == {f"{t}-{v}" for t in ("BP", "MS") for v in ("FDB", "CPA", "APA")}
    for panel in panels.values():
        assert panel["status"] in ("optimal", "feasible")
    # APA does not adapt to rho (Fig. 2 c, f); FDB and CPA do
    assert report["summary"]["apa_identical_for_bp_and_ms"] is True
    bp_fdb = np.array([float(r["bp_fdb_W"]) for r in rows])
    ms_fdb = np.array([float(r["ms_fdb_W"]) for r in rows])
    assert np.max(np.abs(bp_fdb - ms_fdb)) > 0.1 * np.max(ms_fdb)
    # MS: the UE, the weakest reflector (10 m^2 against 100 m^2), gets the strongest beam (Sec. IV-C)
    assert panels["MS-FDB"]["strongest_node"] == panels["MS-CPA"]["strongest_node"] == "UE"
    # the dB column is the W column over the isotropic level P/M
    P = BistaticMonostatic.paper(3).power_per_subcarrier
    assert float(rows[300]["bp_cpa_dB"]) == pytest.approx(10 * np.log10(float(rows[300]["bp_cpa_W"]) / P))


def test_unknown_or_bad_options_are_rejected_before_solving(tmp_path):
    with pytest.raises(OptionError, match="colour"):
        fig2(tmp_path, colour="red")
    with pytest.raises(OptionError, match="n_targets"):
        fig2(tmp_path, n_targets=4)
    with pytest.raises(OptionError, match="points"):
        fig3(tmp_path, points=1)
    with pytest.raises(OptionError, match="mismatch_method"):
        fig3(tmp_path, mismatch_method="magic")
    with pytest.raises(OptionError, match="boundary"):
        fig3(tmp_path, boundary="yes")
    assert not any(tmp_path.iterdir())
    run = cli("reproduce", "bpms-fig3", "--out", str(tmp_path), "--set", "nope=1")
    assert run.returncode == 2 and "nope" in run.stderr and "Traceback" not in run.stderr


# ---------------------------------------------------------------------------------------------
# Fig. 3 and the done-when relations on its numbers
# ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def fig3_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("fig3")
    report = load("bpms-fig3")(out)  # quick default: 5 rho points, closed-form mismatch, boundary SDPs
    return report, read_csv(out / "bpms_fig3.csv")


def curve(rows, K, scheme):
    """(rho, sqrt BP, sqrt MS) in m of one scheme from the Fig. 3 CSV, in rho order."""
    sel = sorted((r for r in rows if int(r["K"]) == K and r["scheme"] == scheme), key=lambda r: float(r["rho"]))
    return tuple(np.array([float(r[c]) for r in sel]) for c in ("rho", "sqrt_bp", "sqrt_ms"))


def test_fig3_writes_png_and_csv_of_every_point(fig3_run):
    report, rows = fig3_run
    assert sorted(f.name for f in report.files) == ["bpms_fig3.csv", "bpms_fig3.png"]
    assert all(f.stat().st_size > 0 for f in report.files)
    assert len(rows) == 2 * len(SCHEMES) * 5
    assert {(int(r["K"]), r["scheme"]) for r in rows} == {(K, s) for K in (2, 3) for s in SCHEMES}
    assert all(r["verified"] == "True" for r in rows)
    for r in rows:
        # the boundary distance is measured for mismatch points only, and nothing lies below the boundary
        if r["scheme"].startswith(("wvm", "wbf")) and r["boundary_excess"]:
            assert float(r["boundary_excess"]) > -1e-4, r
        elif not r["scheme"].startswith(("wvm", "wbf")):
            assert r["boundary_excess"] == ""


@pytest.mark.parametrize("K", [2, 3])
def test_wcrb_fdb_is_best_at_each_end(fig3_run, K):
    _, rows = fig3_run
    _, bp, ms = curve(rows, K, "wcrb-fdb")
    for s in SCHEMES:
        _, b, m = curve(rows, K, s)
        assert bp[-1] <= np.min(b) * (1 + TOL), (K, s)   # rho = 1: BP
        assert ms[0] <= np.min(m) * (1 + TOL), (K, s)    # rho = 0: MS


@pytest.mark.parametrize("K", [2, 3])
def test_fdb_never_worse_than_cpa(fig3_run, K):
    _, rows = fig3_run
    rho, bf, mf = curve(rows, K, "wcrb-fdb")
    _, bc, mc = curve(rows, K, "wcrb-cpa")
    # same weighted-sum criterion, larger feasible set
    assert np.all(rho * bf**2 + (1 - rho) * mf**2 <= (rho * bc**2 + (1 - rho) * mc**2) * (1 + TOL))
    # mismatch criteria: no CPA point beats an FDB point of the same criterion in both CRBs
    for crit in ("wcrb", "wvm", "wbf"):
        _, bf, mf = curve(rows, K, f"{crit}-fdb")
        _, bc, mc = curve(rows, K, f"{crit}-cpa")
        both = (bc[:, None] < bf[None, :] * (1 - TOL)) & (mc[:, None] < mf[None, :] * (1 - TOL))
        assert not both.any(), (K, crit)


@pytest.mark.parametrize("K", [2, 3])
def test_apa_is_one_point_and_wcrb_curves_are_monotone(fig3_run, K):
    _, rows = fig3_run
    _, b, m = curve(rows, K, "apa")
    assert np.ptp(b) == 0 and np.ptp(m) == 0
    for s in ("wcrb-fdb", "wcrb-cpa"):
        rho, bp, ms = curve(rows, K, s)
        assert np.all(np.diff(rho) > 0)
        assert np.all(np.diff(bp) <= TOL * bp[:-1]), (K, s, bp)   # BP non-increasing in rho
        assert np.all(np.diff(ms) >= -TOL * ms[:-1]), (K, s, ms)  # MS non-decreasing in rho


def test_fig3_report_states_the_papers_ordering(fig3_run):
    report, _ = fig3_run
    for K in (2, 3):
        s = report.summary[f"K{K}"]
        assert s["wcrb_fdb_best_bp_at_rho1"] and s["wcrb_fdb_best_ms_at_rho0"] and s["all_verified"]
        assert "apa" not in s["front_schemes"] and all(x.endswith("-fdb") for x in s["front_schemes"])
        m = s["mean_boundary_excess"]
        for v in ("fdb", "cpa"):
            # WVM closer to the WCRB boundary than WBF (Sec. IV-C)
            assert 0 <= m[f"wvm-{v}"] < m[f"wbf-{v}"], (K, v, m)
    assert any("WVM closer" in line for line in report.lines)


@pytest.mark.slow
def test_fig3_at_paper_density(tmp_path):
    # 21 rho points; closed-form mismatch so it runs in ~4 min instead of ~22 (the CPA-WBF SDP dominates)
    report = fig3(tmp_path, full=True, mismatch_method="closed-form")
    rows = read_csv(tmp_path / "bpms_fig3.csv")
    assert len(rows) == 2 * len(SCHEMES) * 21
    for K in (2, 3):
        s = report.summary[f"K{K}"]
        assert s["wcrb_fdb_best_bp_at_rho1"] and s["wcrb_fdb_best_ms_at_rho0"]
        for v in ("fdb", "cpa"):
            assert s["mean_boundary_excess"][f"wvm-{v}"] < s["mean_boundary_excess"][f"wbf-{v}"]
        for sch in ("wcrb-fdb", "wcrb-cpa"):
            _, bp, ms = curve(rows, K, sch)
            assert np.all(np.diff(bp) <= TOL * bp[:-1]) and np.all(np.diff(ms) >= -TOL * ms[:-1])
