"""The ``Scenario`` interface: validated physical data of one problem instance.

A concrete scenario is a frozen dataclass whose fields are declared with :func:`scalar` and
:func:`array`. The base class coerces and validates every field on construction (raising
:class:`~isactoolbox.errors.ScenarioValidationError` naming the field), round-trips losslessly to
JSON, and draws random instances from a seed through the :meth:`Scenario.random` hook.
"""
from __future__ import annotations

import abc
import dataclasses
import json
from pathlib import Path
from typing import Any, Callable, ClassVar, Mapping, Sequence

import numpy as np

from isactoolbox.errors import ScenarioValidationError
from isactoolbox.serialization import from_jsonable, to_jsonable

FORMAT_VERSION = 1

# --- field checks --------------------------------------------------------------------------------
Check = Callable[[Any], str | None]  # returns a reason when the value is bad, else None


def positive(x: Any) -> str | None:
    return None if np.all(np.asarray(x) > 0) else "must be > 0"


def nonnegative(x: Any) -> str | None:
    return None if np.all(np.asarray(x) >= 0) else "must be >= 0"


def in_range(lo: float, hi: float) -> Check:
    def check(x: Any) -> str | None:
        a = np.asarray(x)
        return None if np.all((a >= lo) & (a <= hi)) else f"must lie in [{lo}, {hi}]"
    return check


def one_of(*choices: Any) -> Check:
    def check(x: Any) -> str | None:
        return None if x in choices else f"must be one of {', '.join(map(repr, choices))}"
    return check


def scalar(default: Any = dataclasses.MISSING, *, kind: type = float, unit: str = "",
           doc: str = "", checks: Sequence[Check] = ()) -> Any:
    """Declare a scalar field (``kind`` float, int, bool or str) with its unit and checks."""
    meta = {"shape": None, "kind": kind, "unit": unit, "doc": doc, "checks": tuple(checks)}
    return dataclasses.field(default=default, metadata=meta)


def array(shape: tuple[str | int | None, ...], *, dtype: type = float, unit: str = "",
          doc: str = "", checks: Sequence[Check] = (), optional: bool = False) -> Any:
    """Declare an array field.

    ``shape`` entries are ints (fixed), names (sizes that must agree across fields, e.g. ``"K"``)
    or None (free). ``optional`` fields default to None (e.g. channels drawn later).
    """
    meta = {"shape": tuple(shape), "kind": dtype, "unit": unit, "doc": doc,
            "checks": tuple(checks), "optional": optional}
    if optional:
        return dataclasses.field(default=None, metadata=meta)
    return dataclasses.field(metadata=meta)


# --- the interface -------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True, kw_only=True, eq=False)
class Scenario(abc.ABC):
    """Physical data of one problem instance (SI units inside).

    Subclasses are ``@dataclasses.dataclass(frozen=True, kw_only=True, eq=False)`` and set ``kind``
    (the registry name). Override :meth:`_check_consistency` for cross-field checks and
    :meth:`random` to draw instances.
    """

    kind: ClassVar[str] = ""
    #: Human description of the scenario, e.g. where it came from.
    description: str = scalar("", kind=str, doc="free text")

    # -- construction & validation --
    def __post_init__(self) -> None:
        sizes: dict[str, tuple[int, str]] = {}
        for f in dataclasses.fields(self):
            meta = f.metadata
            if "kind" not in meta:
                continue
            value = getattr(self, f.name)
            value = self._coerce(f.name, value, meta, sizes)
            object.__setattr__(self, f.name, value)
        self._check_consistency()

    def _coerce(self, name: str, value: Any, meta: Mapping[str, Any],
                sizes: dict[str, tuple[int, str]]) -> Any:
        owner = type(self).__name__
        kind = meta["kind"]
        if meta["shape"] is None:
            if value is None:
                raise ScenarioValidationError(name, "is required", owner=owner)
            if kind is str:
                if not isinstance(value, str):
                    raise ScenarioValidationError(name, f"must be a string, got {type(value).__name__}", owner=owner)
            elif kind is bool:
                if not isinstance(value, (bool, np.bool_)):
                    raise ScenarioValidationError(name, f"must be true/false, got {value!r}", owner=owner)
                value = bool(value)
            else:
                if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
                    raise ScenarioValidationError(name, f"must be a number, got {value!r}", owner=owner)
                if kind is int:
                    if float(value) != int(value):
                        raise ScenarioValidationError(name, f"must be an integer, got {value!r}", owner=owner)
                    value = int(value)
                else:
                    value = float(value)
                    if not np.isfinite(value):
                        raise ScenarioValidationError(name, "must be finite (got NaN or inf)", owner=owner)
        else:
            if value is None:
                if meta.get("optional"):
                    return None
                raise ScenarioValidationError(name, "is required", owner=owner)
            try:
                if kind is complex:
                    arr = np.array(value, dtype=complex)
                elif kind is int:
                    raw = np.array(value)
                    if raw.size and (not np.all(np.isfinite(raw.astype(float))) or np.any(raw.astype(float) != np.round(raw.astype(float)))):
                        raise ScenarioValidationError(name, "must hold integers", owner=owner)
                    arr = raw.astype(np.int64)
                elif kind is bool:
                    arr = np.array(value, dtype=bool)
                else:
                    if np.iscomplexobj(np.asarray(value)):
                        raise ScenarioValidationError(name, "must be real", owner=owner)
                    arr = np.array(value, dtype=float)
            except (TypeError, ValueError) as exc:
                if isinstance(exc, ScenarioValidationError):
                    raise
                raise ScenarioValidationError(name, f"cannot be read as an array ({exc})", owner=owner) from None
            if kind in (float, complex) and not np.all(np.isfinite(arr)):
                raise ScenarioValidationError(name, "must be finite (contains NaN or inf)", owner=owner)
            shape = meta["shape"]
            if arr.ndim != len(shape):
                raise ScenarioValidationError(
                    name, f"must have {len(shape)} dimension(s) {self._shape_text(shape)}, got shape {arr.shape}", owner=owner)
            for axis, (want, got) in enumerate(zip(shape, arr.shape)):
                if isinstance(want, int) and want != got:
                    raise ScenarioValidationError(
                        name, f"axis {axis} must have length {want} {self._shape_text(shape)}, got shape {arr.shape}", owner=owner)
                if isinstance(want, str):
                    if want in sizes and sizes[want][0] != got:
                        other_len, other = sizes[want]
                        raise ScenarioValidationError(
                            name, f"axis {axis} ({want}) has length {got} but {other} says {want} = {other_len}", owner=owner)
                    sizes.setdefault(want, (got, name))
            arr.setflags(write=False)
            value = arr
        for check in meta["checks"]:
            reason = check(value)
            if reason:
                raise ScenarioValidationError(name, reason, owner=owner)
        return value

    @staticmethod
    def _shape_text(shape: tuple) -> str:
        return "(" + ", ".join("*" if s is None else str(s) for s in shape) + ")"

    def _check_consistency(self) -> None:
        """Cross-field checks (coincident nodes, empty user sets...). Raise ScenarioValidationError."""

    # -- random instances --
    @classmethod
    def random(cls, seed: int, **overrides: Any) -> "Scenario":
        """Draw an instance from ``seed``; ``overrides`` set any field explicitly."""
        raise NotImplementedError(f"{cls.__name__} does not draw random instances")

    # -- introspection --
    @classmethod
    def field_specs(cls) -> dict[str, Mapping[str, Any]]:
        """Name -> metadata (shape, kind, unit, doc) of every declared field."""
        return {f.name: f.metadata for f in dataclasses.fields(cls) if "kind" in f.metadata}

    def replace(self, **changes: Any) -> "Scenario":
        """A validated copy with some fields changed (scenarios are immutable)."""
        return dataclasses.replace(self, **changes)

    # -- file round trip --
    def to_dict(self) -> dict[str, Any]:
        fields = {name: getattr(self, name) for name in self.field_specs()}
        return {"kind": self.kind, "format_version": FORMAT_VERSION, "fields": fields}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Scenario":
        """Rebuild from :meth:`to_dict` output (tagged arrays decoded or not)."""
        data = from_jsonable(dict(data))
        owner = cls.__name__
        if data.get("kind") != cls.kind:
            raise ScenarioValidationError("kind", f"file holds kind {data.get('kind')!r}, expected {cls.kind!r}", owner=owner)
        fields = data.get("fields")
        if not isinstance(fields, dict):
            raise ScenarioValidationError("fields", "missing or not a mapping", owner=owner)
        specs = cls.field_specs()
        unknown = sorted(set(fields) - set(specs))
        if unknown:
            raise ScenarioValidationError(
                unknown[0], f"unknown field in scenario file (known fields: {', '.join(sorted(specs))})", owner=owner)
        missing = [f.name for f in dataclasses.fields(cls) if "kind" in f.metadata and f.name not in fields
                   and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
        if missing:
            raise ScenarioValidationError(missing[0], "is required but missing from the scenario file"
                                          + (f" (also missing: {', '.join(missing[1:])})" if missing[1:] else ""),
                                          owner=owner)
        return cls(**fields)

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.write_text(json.dumps(to_jsonable(self.to_dict()), indent=1) + "\n")
        return path

    def equals(self, other: "Scenario") -> bool:
        """Exact equality of kind and every field (arrays compared bitwise, NaN-free by validation)."""
        if type(self) is not type(other):
            return False
        for name in self.field_specs():
            a, b = getattr(self, name), getattr(other, name)
            if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
                if a is None or b is None or a.shape != b.shape or a.dtype != b.dtype or not np.array_equal(a, b):
                    return False
            elif a != b:
                return False
        return True


def load_scenario(path: str | Path) -> Scenario:
    """Load any scenario file; its ``kind`` picks the class from the registry."""
    from isactoolbox.registry import registry

    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise ScenarioValidationError("path", f"no scenario file at {path}") from None
    except json.JSONDecodeError as exc:
        raise ScenarioValidationError("path", f"{path} is not valid JSON ({exc})") from None
    if not isinstance(data, dict) or "kind" not in data:
        raise ScenarioValidationError("kind", f"{path} has no 'kind' entry naming the scenario type")
    cls = registry.scenario(data["kind"])
    return cls.from_dict(data)
