"""Paper 003 reproductions (Figs. 9-13): files, and CSV numbers checked against independent solves.

Each reproduction runs at a small size into tmp_path. The checks do not re-read the reproduction's
own arithmetic: they compare with the ``step-by-step`` / ``integrated`` strategies solved afresh
(their own runners, traversal and verification), with inequalities that follow from the model
(the joint SDP's feasible set contains every slot-by-slot split; the "efim" carry never has more
information than one interval with the summed powers), and with the 1/B scaling of eq. (14).
"""
from __future__ import annotations

import csv
import subprocess
import sys

import numpy as np
import pytest

from isactoolbox.errors import OptionError
from isactoolbox.isal.networks import shipped_network
from isactoolbox.isal.strategies.integrated import Integrated
from isactoolbox.isal.strategies.step_by_step import StepByStep
from isactoolbox.reproductions import load
from isactoolbox.reproductions.isal_figures import fig9, fig10, fig11, fig12, fig13


def read(path) -> list[dict[str, str]]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def col(rows, name) -> np.ndarray:
    return np.array([float(r[name]) for r in rows])


def check_files(report, stem, pdf=False):
    names = sorted(p.name for p in report.files)
    expected = sorted([f"{stem}.csv", f"{stem}.png"] + ([f"{stem}.pdf"] if pdf else []))
    assert names == expected
    for p in report.files:
        assert p.exists() and p.stat().st_size > 0


def test_fig9_curve_minimum_is_the_strategys_traversal_and_share_zero_is_the_integrated_sdp(tmp_path):
    names = ["single_abundant_b", "single_limited_b"]
    rep = fig9(tmp_path, networks=names, resolution=0.1)
    check_files(rep, "isal_fig9")
    rows = read(tmp_path / "isal_fig9.csv")
    assert len(rows) == 2 * 11
    for name in names:
        r = [x for x in rows if x["network"] == name]
        share, sbs = col(r, "radar_share"), col(r, "step_by_step_target_speb_m2")
        integ = col(r, "integrated_target_speb_m2")
        np.testing.assert_allclose(share + col(r, "target_share"), 1.0, rtol=1e-12)
        np.testing.assert_allclose(col(r, "radar_energy_J") + col(r, "target_energy_J"), 2.0, rtol=1e-12)  # 2 J/slot
        assert all(x["status"] == "optimal" for x in r)
        sc = shipped_network(name)
        # step 1 silent: step 2 alone is the integrated SDP, solved independently by the strategy
        assert share[0] == 0.0 and sbs[0] == pytest.approx(Integrated().solve(sc).objective, rel=1e-6)
        assert integ[0] == pytest.approx(sbs[0], rel=1e-6)
        # all energy to radar localisation: the target is never illuminated
        assert share[-1] == 1.0 and np.isinf(sbs[-1])
        # the curve's minimum is the step-by-step strategy's grid traversal on the same lattice
        ref = StepByStep(search="grid", resolution=0.1, min_share=0.0).solve(sc)
        assert ref.verification.passed
        k = int(np.argmin(sbs))
        assert sbs[k] == pytest.approx(ref.objective, rel=1e-7)
        assert share[k] == pytest.approx(ref.extra["energy_fraction"][0, 0], abs=1e-12)
    s = rep.summary["single_abundant_b"]
    assert s["step_by_step_best_m2"] == pytest.approx(np.min(col([x for x in rows if x["network"] == names[0]],
                                                                 "step_by_step_target_speb_m2")))


def test_fig9_efim_carry_never_beats_the_integrated_level(tmp_path):
    # single_limited_b: the integrated optimum leaves every node below its 1 W limit, so it is also the
    # optimum without limits, which no allocation of the same energy beats; the efim carry never holds
    # more information than one interval with the steps' summed powers (same total energy)
    sc = shipped_network("single_limited_b")
    integ = Integrated().solve(sc)
    assert np.max(integ.values["power"]) < 1.0 * (1 - 1e-4)
    fig9(tmp_path, networks=["single_limited_b"], resolution=0.125, carry="efim")
    rows = read(tmp_path / "isal_fig9.csv")
    sbs = col(rows, "step_by_step_target_speb_m2")
    assert np.all(sbs >= integ.objective * (1 - 1e-6))


def test_fig9_budget_option_binds(tmp_path):
    # the integrated SPEB at 1 J is twice that at 2 J: the FIM is linear in the powers and, below the
    # node limits (single_limited_b: 0.5 W each at 2 J), the budget is the only active constraint
    fig9(tmp_path / "a", networks=["single_limited_b"], resolution=0.5, budget=1.0)
    fig9(tmp_path / "b", networks=["single_limited_b"], resolution=0.5)
    one = col(read(tmp_path / "a" / "isal_fig9.csv"), "integrated_target_speb_m2")
    two = col(read(tmp_path / "b" / "isal_fig9.csv"), "integrated_target_speb_m2")
    np.testing.assert_allclose(one, 2.0 * two, rtol=1e-5)
    np.testing.assert_allclose(col(read(tmp_path / "a" / "isal_fig9.csv"), "radar_energy_J")
                               + col(read(tmp_path / "a" / "isal_fig9.csv"), "target_energy_J"), 1.0)


def test_fig10_joint_integrated_below_every_split_and_minimum_matches_strategies(tmp_path):
    rep = fig10(tmp_path, networks=["dual_abundant_limited"], resolution=0.25, step_resolution=0.25, search="grid")
    check_files(rep, "isal_fig10")
    rows = read(tmp_path / "isal_fig10.csv")
    assert len(rows) == 5
    split = col(rows, "first_slot_share")
    sbs, seq, joint = (col(rows, k) for k in ("step_by_step_total_m2", "integrated_sequential_total_m2",
                                              "integrated_joint_total_m2"))
    # a slot without energy never sees its target
    assert np.isinf(sbs[0]) and np.isinf(sbs[-1]) and np.isinf(seq[0]) and np.isinf(seq[-1])
    inner = slice(1, -1)
    # the slot-by-slot powers at any split are feasible for the joint SDP, with the same objective
    assert np.all(joint[inner] <= seq[inner] * (1 + 1e-6))
    assert np.isinf(float(rows[0]["step_by_step_first_slot_m2"])) and rows[0]["step_by_step_second_slot_m2"] == ""
    np.testing.assert_allclose(col(rows[inner], "step_by_step_first_slot_m2")
                               + col(rows[inner], "step_by_step_second_slot_m2"), sbs[inner], rtol=1e-12)
    sc = shipped_network("dual_abundant_limited")
    ref = StepByStep(search="grid", resolution=0.25, min_share=0.0).solve(sc)
    assert ref.verification.passed and np.min(sbs) == pytest.approx(ref.objective, rel=1e-7)
    assert split[int(np.argmin(sbs))] == pytest.approx(ref.extra["slot_shares"][0], abs=1e-12)
    seq_ref = Integrated(slots="sequential", search="grid", resolution=0.25, min_share=0.0).solve(sc)
    assert np.min(seq) == pytest.approx(seq_ref.objective, rel=1e-6)
    assert joint[0] == pytest.approx(Integrated().solve(sc).objective, rel=1e-9)
    # conclusion (ii) on this network: the sensing-limited second slot gets most of the energy
    assert rep.summary["dual_abundant_limited"]["integrated_joint_first_slot_share"] < 0.5
    assert rep.summary["dual_abundant_limited"]["slot_limited"] == [False, True]


def test_fig11_points_are_lattice_points_no_better_than_the_full_traversal(tmp_path):
    rep = fig11(tmp_path, networks=["single_abundant_b"], resolution=0.25, fixed=[0.25])
    check_files(rep, "isal_fig11")
    rows = read(tmp_path / "isal_fig11.csv")
    assert len(rows) == 3 * 4  # three fixed steps, swept share 0 .. 0.75
    shares = np.c_[col(rows, "radar_share"), col(rows, "clock_share"), col(rows, "target_share")]
    np.testing.assert_allclose(shares.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(col(rows, "fixed_share"), 0.25)
    for r in rows:
        assert float(r[f"{r['fixed_step']}_share"]) == float(r["fixed_share"])
        assert float(r[f"{r['swept_step']}_share"]) == float(r["swept_share"])
    sbs = col(rows, "step_by_step_target_speb_m2")
    sc = shipped_network("single_abundant_b", synchronous=False)
    best = StepByStep(search="grid", resolution=0.25, min_share=0.0).solve(sc)
    assert np.all(sbs >= best.objective * (1 - 1e-7))
    # one point re-solved by the strategy with fixed shares (its own runner and verification)
    k = int(np.nanargmin(np.where(np.isfinite(sbs), sbs, np.nan)))
    point = StepByStep(step_shares=shares[k].tolist()).solve(sc)
    assert point.verification.passed and point.objective == pytest.approx(sbs[k], rel=1e-7)
    assert np.all(col(rows, "integrated_target_speb_m2") == pytest.approx(Integrated().solve(sc).objective))


def test_fig12_dual_async_against_strategies(tmp_path):
    rep = fig12(tmp_path, networks=["dual_limited_abundant"], resolution=0.5, step_resolution=0.5, search="grid")
    check_files(rep, "isal_fig12")
    rows = read(tmp_path / "isal_fig12.csv")
    assert len(rows) == 3 and rows[1]["status"] == "optimal"
    r = rows[1]
    assert float(r["first_slot_share"]) == 0.5
    sc = shipped_network("dual_limited_abundant", synchronous=False)
    ref = StepByStep(slot_shares=[0.5, 0.5], search="grid", resolution=0.5, min_share=0.0).solve(sc)
    assert ref.verification.passed and float(r["step_by_step_total_m2"]) == pytest.approx(ref.objective, rel=1e-7)
    assert float(r["integrated_joint_total_m2"]) <= float(r["integrated_sequential_total_m2"]) * (1 + 1e-6)
    assert len(r["step_shares_first_slot"].split("/")) == 3  # radar / clock / target


def test_fig13_speb_scales_as_one_over_bandwidth(tmp_path):
    rep = fig13(tmp_path, resolution=0.25, pdf=True)
    check_files(rep, "isal_fig13", pdf=True)
    rows = read(tmp_path / "isal_fig13.csv")
    wide = [r for r in rows if float(r["bandwidth_Hz"]) == 500e6]
    narrow = [r for r in rows if float(r["bandwidth_Hz"]) == 5e6]
    assert len(wide) == len(narrow) == 5 and wide[0]["network"] == "single_limited_a"
    # eq. (14): xi ~ B^2 / (N0 B) = B, so every FIM scales by 100 and the allocations do not change
    sc = shipped_network("single_limited_a")
    ratio = sc.xi / sc.replace(bandwidth=5e6).xi
    assert ratio == pytest.approx(100.0, rel=1e-12)
    for key in ("step_by_step_target_speb_m2", "integrated_target_speb_m2"):
        a, b = col(wide, key), col(narrow, key)
        ok = np.isfinite(a)
        assert np.array_equal(ok, np.isfinite(b))
        np.testing.assert_allclose(b[ok] / a[ok], ratio, rtol=1e-5)
    assert rep.summary["5 MHz"]["integrated_over_first_bandwidth"] == pytest.approx(100.0, rel=1e-5)


@pytest.mark.parametrize("fig", [fig9, fig10, fig11, fig12, fig13])
def test_unknown_and_bad_options_name_the_option(fig, tmp_path):
    with pytest.raises(OptionError, match="colour"):
        fig(tmp_path, colour="red")
    with pytest.raises(OptionError, match="resolution"):
        fig(tmp_path, resolution=0.3)  # 1/0.3 is not a whole number of lattice steps
    with pytest.raises(OptionError, match="budget"):
        fig(tmp_path, budget=-1.0)
    assert not any(tmp_path.iterdir())  # nothing is solved or written before the options are checked


def test_network_and_fixed_options_are_checked(tmp_path):
    with pytest.raises(OptionError, match="networks"):
        fig9(tmp_path, networks=["dual_abundant_limited"])  # a dual-slot network in a single-slot figure
    with pytest.raises(OptionError, match="network"):
        fig13(tmp_path, network="nowhere")
    with pytest.raises(OptionError, match="fixed"):
        fig11(tmp_path, resolution=0.25, fixed=[0.9])  # snaps to share 1: nothing left to sweep


def test_registered_names_resolve_to_these_functions():
    for k, f in zip((9, 10, 11, 12, 13), (fig9, fig10, fig11, fig12, fig13)):
        assert load(f"isal-fig{k}") is f


def test_cli_reproduce_isal_fig9(tmp_path):
    out = subprocess.run([sys.executable, "-m", "isactoolbox.cli", "reproduce", "isal-fig9", "--out", str(tmp_path)],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "isal_fig9.csv").exists() and (tmp_path / "isal_fig9.png").exists()
    rows = read(tmp_path / "isal_fig9.csv")
    assert {r["network"] for r in rows} == {"single_abundant_a", "single_abundant_b", "single_limited_a",
                                            "single_limited_b"}
    assert "Fig. 9a" in out.stdout
    bad = subprocess.run([sys.executable, "-m", "isactoolbox.cli", "reproduce", "isal-fig9", "--out", str(tmp_path),
                          "--set", "colour=red"], capture_output=True, text=True)
    assert bad.returncode == 2 and "colour" in bad.stderr and "Traceback" not in bad.stderr
