"""dB / dBm conversions used at the user-facing edge of the network-ISAC model."""
from __future__ import annotations

from typing import Any

import numpy as np


def _out(x: np.ndarray) -> Any:
    return x if x.ndim else float(x)


def db_to_linear(value_db: Any) -> Any:
    """Power ratio from dB (float for scalars, array otherwise)."""
    return _out(10.0 ** (np.asarray(value_db, dtype=float) / 10.0))


def linear_to_db(value: Any) -> Any:
    """dB of a power ratio (``-inf`` for zero)."""
    with np.errstate(divide="ignore"):
        return _out(10.0 * np.log10(np.asarray(value, dtype=float)))


def dbm_to_watt(value_dbm: Any) -> Any:
    """Watts from dBm."""
    return _out(10.0 ** ((np.asarray(value_dbm, dtype=float) - 30.0) / 10.0))


def watt_to_dbm(value_w: Any) -> Any:
    """dBm from watts (``-inf`` for zero)."""
    with np.errstate(divide="ignore"):
        return _out(10.0 * np.log10(np.asarray(value_w, dtype=float)) + 30.0)
