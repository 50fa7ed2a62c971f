"""Power/energy allocation in ISAL networks: ``integrated`` (one SDP) and ``step-by-step`` (one SDP per step).

Shared pieces: :mod:`.power_sdp` (the compiled Schur-complement SDP), :mod:`.traversal` (share
searches), :mod:`.sequential` (running steps and splitting energy), :mod:`.common` (options, checks).
"""
