"""Explicit, typed options for strategies and backends (scikit-learn style parameters)."""
from __future__ import annotations

import dataclasses
import json
from typing import Any, Callable, Mapping

from isactoolbox.errors import OptionError


@dataclasses.dataclass(frozen=True)
class Option:
    """One option: default, accepted type(s), doc, and optional choices / check."""

    default: Any
    kind: type | tuple[type, ...]
    doc: str = ""
    choices: tuple[Any, ...] | None = None
    check: Callable[[Any], str | None] | None = None
    allow_none: bool = False

    def validate(self, name: str, value: Any, owner: str) -> Any:
        if value is None and (self.allow_none or self.default is None):
            return None
        kinds = self.kind if isinstance(self.kind, tuple) else (self.kind,)
        if float in kinds and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
            names = " or ".join(k.__name__ for k in kinds)
            raise OptionError(name, f"must be {names}, got {type(value).__name__} {value!r}", owner=owner)
        if self.choices is not None and value not in self.choices:
            raise OptionError(name, f"must be one of {', '.join(map(repr, self.choices))}, got {value!r}", owner=owner)
        if self.check is not None:
            reason = self.check(value)
            if reason:
                raise OptionError(name, reason, owner=owner)
        return value


def validate_options(specs: Mapping[str, Option], values: Mapping[str, Any], owner: str) -> dict[str, Any]:
    """Check ``values`` against ``specs``; unknown names are errors that list the known ones."""
    out = {}
    for name, value in values.items():
        if name not in specs:
            known = ", ".join(sorted(specs)) or "(none)"
            raise OptionError(name, f"unknown option (known options: {known})", owner=owner)
        out[name] = specs[name].validate(name, value, owner)
    return out


def parse_cli_value(text: str) -> Any:
    """``--set key=value`` values: JSON when it parses (numbers, true/false, lists), else a string."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text
