"""Lossless JSON encoding of numpy arrays (real and complex) and nested containers.

Complex arrays are stored explicitly as ``{"__ndarray__": {"dtype": ..., "shape": ..., "real": [...],
"imag": [...]}}`` so a scenario or result file round-trips bit for bit (floats are written with
``repr`` precision by the json module).
"""
from __future__ import annotations

import json
import math
from enum import Enum
from pathlib import Path
from typing import Any

import numpy as np

_ARRAY_TAG = "__ndarray__"
_COMPLEX_TAG = "__complex__"


def _encode_float(x: float) -> Any:
    # JSON has no inf/nan; keep them representable and lossless.
    if math.isfinite(x):
        return x
    return {"__float__": repr(x)}


def to_jsonable(obj: Any) -> Any:
    """Convert ``obj`` (arrays, numpy scalars, enums, dataclass-like dicts) to plain JSON data."""
    if isinstance(obj, Enum):
        return obj.value
    if isinstance(obj, np.ndarray):
        arr = np.asarray(obj)
        if np.iscomplexobj(arr):
            return {_ARRAY_TAG: {"dtype": "complex128", "shape": list(arr.shape),
                                 "real": [_encode_float(v) for v in arr.real.ravel().tolist()],
                                 "imag": [_encode_float(v) for v in arr.imag.ravel().tolist()]}}
        if arr.dtype == bool:
            return {_ARRAY_TAG: {"dtype": "bool", "shape": list(arr.shape),
                                 "data": arr.ravel().tolist()}}
        if np.issubdtype(arr.dtype, np.integer):
            return {_ARRAY_TAG: {"dtype": "int64", "shape": list(arr.shape),
                                 "data": arr.ravel().tolist()}}
        return {_ARRAY_TAG: {"dtype": "float64", "shape": list(arr.shape),
                             "data": [_encode_float(v) for v in arr.astype(float).ravel().tolist()]}}
    if isinstance(obj, (np.bool_,)):
        return bool(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return _encode_float(float(obj))
    if isinstance(obj, (complex, np.complexfloating)):
        return {_COMPLEX_TAG: [_encode_float(obj.real), _encode_float(obj.imag)]}
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if hasattr(obj, "to_dict"):
        return to_jsonable(obj.to_dict())
    return obj


def _decode_float(v: Any) -> float:
    if isinstance(v, dict) and "__float__" in v:
        return float(v["__float__"])
    return float(v)


def from_jsonable(obj: Any) -> Any:
    """Inverse of :func:`to_jsonable`: tagged dicts become arrays / complex numbers again."""
    if isinstance(obj, dict):
        if _ARRAY_TAG in obj and len(obj) == 1:
            spec = obj[_ARRAY_TAG]
            shape = tuple(spec["shape"])
            dtype = spec["dtype"]
            if dtype == "complex128":
                re = np.array([_decode_float(v) for v in spec["real"]], dtype=float)
                im = np.array([_decode_float(v) for v in spec["imag"]], dtype=float)
                return (re + 1j * im).reshape(shape)
            if dtype == "float64":
                return np.array([_decode_float(v) for v in spec["data"]], dtype=float).reshape(shape)
            return np.array(spec["data"], dtype=dtype).reshape(shape)
        if _COMPLEX_TAG in obj and len(obj) == 1:
            re, im = obj[_COMPLEX_TAG]
            return complex(_decode_float(re), _decode_float(im))
        if "__float__" in obj and len(obj) == 1:
            return _decode_float(obj)
        return {k: from_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [from_jsonable(v) for v in obj]
    return obj


def dump_json(obj: Any, path: str | Path) -> None:
    Path(path).write_text(json.dumps(to_jsonable(obj), indent=1) + "\n")


def load_json(path: str | Path) -> Any:
    return from_jsonable(json.loads(Path(path).read_text()))
