"""Network ISAC (paper 000): joint receiving-BS selection, user association and beamforming.

Modules: :mod:`.scenario` (the instance), :mod:`.geometry` (angles, ULA), :mod:`.sinr`
(communication model), :mod:`.fim` (sensing FIM, linear in the transmit covariances, and CRLB),
:mod:`.solution` (the decision a strategy returns), :mod:`.metrics`, and :mod:`.strategies`.
"""
from isactoolbox.network_isac.scenario import NetworkISAC

__all__ = ["NetworkISAC"]
