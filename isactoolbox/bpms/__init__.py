"""Joint bistatic positioning and monostatic sensing (paper 004): scenario, CRBs, beamforming.

Modules: ``scenario`` (BistaticMonostatic), ``arrays`` (ULA steering), ``link`` (multipath OFDM
channel and its channel-domain FIM), ``position_model`` (BP / MS parametrisations and Jacobians),
``fim`` (equilibrated position-domain FIMs linear in V, CRBs), ``metrics`` (bp-crb, ms-crb),
``formulation`` / ``problems`` (neutral-model SDPs), ``recovery`` (beamformers from V),
``strategies`` (wcrb/wbf/wvm x fdb/cpa, apa) and ``pareto`` (rho sweeps).
"""
