"""Network-ISAC strategies (paper 000), one per module:

- :mod:`.exhaustive` (``exhaustive``): every receiver x association, each a convex SDP; the exact reference;
- :mod:`.bigm_misdp` (``bigm-misdp``): big-M mixed-integer SDP by relaxation + rounding or branch-and-bound;
- :mod:`.ao_penalty` (``ao-penalty``): Algorithm 1 of the paper (penalty, MM, alternating b / W steps);
- :mod:`.baselines` (``closest-bs``, ``random``, ``bistatic``): schemes 1-3 of Sec. IV.

Shared pieces: :mod:`.choice_sdp` (the SDP of one receiver choice), :mod:`.sdp_chain` (solving it
through a backend fallback chain with a physical check), :mod:`.recovery` (rank-one beamformers
from SDR solutions) and :mod:`.base` (verification, metrics, result packing).
"""
