"""isactoolbox-phase-recovery: the ``wcrb-fdb-phase`` strategy (WCRB-FDB, uniform-phase recovery)."""
from isactoolbox_phase_recovery.strategy import WCRBPhaseRecovery

__all__ = ["WCRBPhaseRecovery"]
