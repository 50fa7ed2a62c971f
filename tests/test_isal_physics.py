"""ISAL physics: links, Fisher information against finite differences and the paper's Appendix A."""
from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from isactoolbox.isal.fisher import (block_crb, causal_information, fisher_coefficients, fisher_information, speb,
                                     total_speb)
from isactoolbox.isal.links import RANGING, SENSING, link_graph, network_links
from isactoolbox.isal.measurements import (intensity_per_watt, layout_of, link_times, range_jacobian, transmitters,
                                           true_parameters)
from isactoolbox.isal.metrics import ClockOffsetSPEB, RadarSPEB, TargetSPEB
from isactoolbox.isal.scenario import SPEED_OF_LIGHT as C
from isactoolbox.isal.scenario import ISALNetwork


def fd_time_jacobian(sc: ISALNetwork, h: float = 1e-5) -> np.ndarray:
    """Central differences of the link times (s) with respect to theta (m): (S*L, n)."""
    th = true_parameters(sc)
    cols = []
    for k in range(th.size):
        e = np.zeros(th.size)
        e[k] = h
        cols.append(((link_times(sc, th + e) - link_times(sc, th - e)) / (2 * h)).ravel())
    return np.array(cols).T


def test_link_list_counts_and_graph():
    links = network_links(3, 2)
    n = 5
    assert sum(l.kind == SENSING for l in links) == n * n  # every ordered pair, m = n included
    assert sum(l.kind == RANGING for l in links) == 3 * (n - 1) + 2 * 3
    sc = ISALNetwork.random(2, n_radars=3, n_anchors=2)
    g = link_graph(sc)
    assert isinstance(g, nx.DiGraph)
    assert g.number_of_edges() == len(links)
    assert g.nodes["target"]["role"] == "target" and g.nodes["anchor1"]["role"] == "anchor"
    kinds = [d["kind"] for _, _, d in g.edges(data=True)]
    assert kinds.count(SENSING) == 25
    # a ranging edge's time is its distance over c (synchronous)
    d = g.get_edge_data("radar0", "anchor0")
    rng = [v for v in d.values() if v["kind"] == RANGING][0]
    assert rng["time"] == pytest.approx(np.linalg.norm(sc.radar_positions[0, 0] - sc.anchor_positions[0]) / C)


@pytest.mark.parametrize("seed, sync, slots", [(1, True, 1), (2, False, 1), (3, True, 2), (4, False, 2),
                                               (5, False, 1)])
def test_fim_equals_finite_difference_fim_of_link_times(seed, sync, slots):
    sc = ISALNetwork.random(seed, synchronous=sync, n_slots=slots, n_radars=2 + seed % 2)
    power = np.random.default_rng(seed).uniform(0.05, 1.0, (slots, sc.n_active))
    lam = (intensity_per_watt(sc) * power[:, transmitters(sc)]).ravel()  # (S*L,)
    J = fd_time_jacobian(sc)
    fd = J.T @ (C ** 2 * lam[:, None] * J)  # eq. (16) with (13)
    fd += fisher_coefficients(sc).prior()  # the temporal blocks are data, not link information
    fim = fisher_information(sc, power)
    assert np.allclose(fim, fd, rtol=1e-6, atol=1e-7 * np.max(np.abs(fim)))
    # and the analytic range Jacobian is c times the time Jacobian
    assert np.allclose(range_jacobian(sc).reshape(-1, fim.shape[0]) / C, J, atol=1e-13)


def test_coefficients_are_linear_in_powers_and_equilibrated():
    sc = ISALNetwork.random(8, synchronous=False, n_slots=2)
    co = fisher_coefficients(sc)
    rng = np.random.default_rng(0)
    p1, p2 = rng.uniform(0, 1, (2, 2, 4))
    assert np.allclose(co.fim(p1 + 2 * p2) - co.prior(), (co.fim(p1) - co.prior()) + 2 * (co.fim(p2) - co.prior()))
    eq = co.equilibrated(sc.power_max)
    np.testing.assert_allclose(np.diag(eq.fim(np.broadcast_to(sc.power_max / eq.power_scale, (2, 4)))), 1.0)
    # mapping back: same SPEBs from the equilibrated data at normalised powers
    for block in ("target", "radar", "clock"):
        assert total_speb(eq, p1 / eq.power_scale, block) == pytest.approx(total_speb(co, p1, block), rel=1e-9)
    np.testing.assert_allclose(eq.to_physical(eq.fim(p1 / eq.power_scale)), co.fim(p1), rtol=1e-10,
                               atol=1e-12 * np.max(co.fim(p1)))


def _paper_example() -> ISALNetwork:
    # Appendix A: radars 1, 2 and anchors 3, 4 (our indices 0..3), one target
    return ISALNetwork(anchor_positions=[[150.0, 20.0], [30.0, 170.0]],
                       radar_positions=[[[40.0, 60.0], [120.0, 140.0]]], target_positions=[[90.0, 100.0]],
                       synchronous=False)


def _cs(frm: np.ndarray, to: np.ndarray) -> np.ndarray:
    """(cos, sin) of the paper's angle phi_{frm,to} (eq. (2)), divided by c."""
    v = to - frm
    return v / np.linalg.norm(v) / C


def test_jacobian_matches_appendix_a1_a2():
    sc = _paper_example()
    p = {i + 1: q for i, q in enumerate(sc.active_positions(0))}
    t = sc.target_positions[0]
    lay = layout_of(sc)
    J = range_jacobian(sc)[0] / C
    Jr = J[:, lay.index("radar")]
    Jt = J[:, lay.index("target")]
    z = np.zeros(2)
    # (A1) as printed (one duplicated zero row of the extraction removed); columns [x1, y1, x2, y2]
    r1 = lambda frm: np.concatenate([_cs(frm, p[1]), z])  # noqa: E731
    r2 = lambda frm: np.concatenate([z, _cs(frm, p[2])])  # noqa: E731
    a1 = [2 * r1(t), r1(t) + r2(t), r1(t), r1(t), r1(t) + r2(t), 2 * r2(t), r2(t), r2(t),
          r1(t), r2(t), 0 * r1(t), 0 * r1(t), r1(t), r2(t), 0 * r1(t), 0 * r1(t),
          r1(p[2]) + r2(p[1]), r1(p[3]), r1(p[4]), r1(p[2]) + r2(p[1]), r2(p[3]), r2(p[4]),
          r1(p[3]), r2(p[3]), r1(p[4]), r2(p[4])]
    np.testing.assert_allclose(Jr, np.array(a1), atol=1e-20)
    # (A2): sensing row (m, n) is phi_{m,tar} + phi_{n,tar}; ranging rows are zero
    a2 = [_cs(p[m], t) + _cs(p[n], t) for m in range(1, 5) for n in range(1, 5)] + [z] * 10
    np.testing.assert_allclose(Jt, np.array(a2), atol=1e-20)


# (A3) as printed: columns tau_{1,2}, tau_{1,3} (offsets of radar 2 and of the anchors' clock
# relative to radar 1)
A3 = np.array([[0, 0], [1, 0], [0, 1], [0, 1], [-1, 0], [0, 0], [-1, 1], [-1, 1], [0, -1], [1, -1], [0, 0], [0, 0],
               [0, -1], [1, -1], [0, 0], [0, 0], [1, 0], [0, 1], [0, 1], [-1, 0], [-1, 1], [-1, 1], [0, -1], [1, -1],
               [0, -1], [1, -1]], dtype=float)
# our offsets b_r = c (delta_r - delta_anchor): b_1 = -c tau_13, b_2 = c (tau_12 - tau_13)
DB_DTAU = C * np.array([[0.0, -1.0], [1.0, -1.0]])


def test_clock_jacobian_matches_appendix_a3_after_reparametrisation():
    sc = _paper_example()
    lay = layout_of(sc)
    Jb = range_jacobian(sc)[0][:, lay.index("clock")] / C  # d t / d b  (s/m)
    np.testing.assert_allclose(Jb @ DB_DTAU, A3, atol=1e-12)


def test_position_crb_is_invariant_to_the_clock_parametrisation():
    sc = _paper_example()
    lay = layout_of(sc)
    fim = fisher_information(sc, np.array([0.3, 0.9, 0.5, 0.2]))
    T = np.eye(lay.size)
    ic = lay.index("clock")
    T[np.ix_(ic, ic)] = DB_DTAU / C  # theta(ours) = T theta(paper, offsets in s scaled by c)
    fim_paper = T.T @ fim @ T
    for block in ("radar", "target"):
        idx = lay.index(block)
        np.testing.assert_allclose(block_crb(fim_paper, idx), block_crb(fim, idx), rtol=1e-8)
    # the offset block itself does change: it is a different parameter
    assert not np.isclose(speb(fim_paper, ic), speb(fim, ic), rtol=1e-3)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sync_and_async_coincide_for_equal_powers_and_differ_otherwise(seed):
    sync = ISALNetwork.random(seed, n_radars=3, n_slots=1 + seed % 2)
    asyn = sync.replace(synchronous=False)
    equal = {"power": np.full((sync.n_slots, sync.n_active), 0.7)}
    # two-way argument: link (m, n) and (n, m) have equal intensities when P_m = P_n, so their offset
    # terms cancel in the position/offset cross information, and the offsets cost nothing
    for metric in (TargetSPEB(), RadarSPEB()):
        assert metric.evaluate(asyn, equal) == pytest.approx(metric.evaluate(sync, equal), rel=1e-9)
    lay = layout_of(asyn)
    fim = fisher_information(asyn, equal["power"])
    for s in range(asyn.n_slots):
        cross = fim[np.ix_(lay.index("clock", s), np.concatenate([lay.index("radar", s), lay.index("target", s)]))]
        assert np.max(np.abs(cross)) < 1e-9 * np.max(np.abs(fim))
    unequal = {"power": np.random.default_rng(seed).uniform(0.1, 1.0, (sync.n_slots, sync.n_active))}
    # unknown offsets then cost information: a lot for the radars, a little (>> rounding) for the target
    assert RadarSPEB().evaluate(asyn, unequal) > RadarSPEB().evaluate(sync, unequal) * 1.01
    assert TargetSPEB().evaluate(asyn, unequal) > TargetSPEB().evaluate(sync, unequal) * (1 + 1e-7)
    assert ClockOffsetSPEB().evaluate(sync, unequal) == 0.0
    assert ClockOffsetSPEB().evaluate(asyn, unequal) > 0.0


def test_dual_slot_prior_sign_and_causality():
    sc = ISALNetwork.random(5, n_slots=2, synchronous=False)
    co = fisher_coefficients(sc)
    lay = co.layout
    P = np.random.default_rng(1).uniform(0.1, 1, (2, 4))
    fim = co.fim(P)
    r0, r1 = lay.index("radar", 0), lay.index("radar", 1)
    np.testing.assert_allclose(fim[np.ix_(r0, r1)], -np.eye(4) / sc.velocity_variance)  # -T_loc
    c0, c1 = lay.index("clock", 0), lay.index("clock", 1)
    np.testing.assert_allclose(fim[np.ix_(c0, c1)], -np.eye(2) / (C ** 2 * sc.clock_drift_variance))
    # the printed +T gives the same SPEBs (flip the sign of all slot-1 parameters)
    S = np.diag(np.where(np.arange(lay.size) < lay.per_slot, 1.0, -1.0))
    plus = S @ fim @ S
    assert np.all(plus[np.ix_(r0, r1)] > -1e-9)
    for block in ("radar", "clock", "target"):
        for s in range(2):
            assert speb(plus, lay.index(block, s)) == pytest.approx(speb(fim, lay.index(block, s)), rel=1e-9)
    # causal information of slot 0 is exactly the single-slot network of slot 0
    single = ISALNetwork(anchor_positions=sc.anchor_positions, radar_positions=sc.radar_positions[:1],
                         target_positions=sc.target_positions[:1], synchronous=False)
    np.testing.assert_allclose(causal_information(co, P, 0), fisher_information(single, P[:1]), rtol=1e-12)
    # a nearly useless velocity prior decouples the slots
    loose = sc.replace(velocity_variance=1e12, clock_drift_variance=1e12)
    single1 = ISALNetwork(anchor_positions=sc.anchor_positions, radar_positions=sc.radar_positions[1:],
                          target_positions=sc.target_positions[1:], synchronous=False)
    assert TargetSPEB(slot=1).evaluate(loose, {"power": P}) == pytest.approx(
        TargetSPEB().evaluate(single1, {"power": P[1:]}), rel=1e-6)
    # temporal cooperation helps slot 1 (and, smoothed, slot 0)
    assert RadarSPEB(slot=1).evaluate(sc, {"power": P}) < RadarSPEB(slot=1).evaluate(loose, {"power": P})
    assert RadarSPEB(slot=0, causal=False).evaluate(sc, {"power": P}) < RadarSPEB(slot=0).evaluate(sc, {"power": P})


def test_unidentifiable_parameters_give_infinite_speb_without_poisoning_others():
    sc = ISALNetwork.random(3)
    fim = fisher_information(sc, np.full((1, 4), 0.5))
    n = fim.shape[0]
    padded = np.zeros((n + 1, n + 1))  # one extra parameter nothing measures
    padded[:n, :n] = fim
    idx = layout_of(sc).index("target")
    np.testing.assert_allclose(block_crb(padded, idx), np.linalg.inv(fim)[np.ix_(idx, idx)], rtol=1e-9)
    assert np.isinf(speb(padded, [n]))
    assert np.isinf(TargetSPEB().evaluate(sc, {"power": np.zeros((1, 4))}))
