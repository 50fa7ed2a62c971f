"""Plugin registry over entry points.

Built-ins are registered through the project's own ``pyproject.toml`` entry points, exactly as a
third party registers theirs. Discovery reads entry-point metadata and imports nothing; a plugin is
imported on first use. A plugin that fails to import is recorded as broken (with its distribution
and error) and never breaks the others.
"""
from __future__ import annotations

import dataclasses
import importlib.metadata as md
import traceback
import warnings
from typing import Any

from isactoolbox.errors import BrokenPluginError, UnknownPluginError

GROUPS = {
    "scenario": "isactoolbox.scenarios",
    "metric": "isactoolbox.metrics",
    "strategy": "isactoolbox.strategies",
    "backend": "isactoolbox.backends",
}


@dataclasses.dataclass
class PluginRecord:
    group: str
    name: str
    value: str  # "module:attr"
    distribution: str
    version: str
    loaded: Any = None
    error: str | None = None

    @property
    def broken(self) -> bool:
        return self.error is not None

    def to_dict(self) -> dict[str, Any]:
        return {"group": self.group, "name": self.name, "target": self.value,
                "distribution": self.distribution, "version": self.version,
                "status": "broken" if self.broken else ("loaded" if self.loaded is not None else "found"),
                "error": self.error}


class Registry:
    """Finds plugins per group; loads each lazily and defensively."""

    def __init__(self) -> None:
        self._records: dict[str, dict[str, PluginRecord]] | None = None
        self._local: dict[str, dict[str, Any]] = {g: {} for g in GROUPS}

    # -- discovery (no imports) --
    def _discover(self) -> dict[str, dict[str, PluginRecord]]:
        if self._records is None:
            records: dict[str, dict[str, PluginRecord]] = {g: {} for g in GROUPS}
            for group, ep_group in GROUPS.items():
                for ep in md.entry_points(group=ep_group):
                    dist = getattr(ep, "dist", None)
                    rec = PluginRecord(group, ep.name, ep.value,
                                       dist.metadata["Name"] if dist is not None else "?",
                                       dist.version if dist is not None else "?")
                    if ep.name in records[group] and records[group][ep.name].value != ep.value:
                        warnings.warn(f"{group} plugin {ep.name!r} registered twice "
                                      f"({records[group][ep.name].distribution} and {rec.distribution}); "
                                      f"keeping the first", stacklevel=2)
                        continue
                    records[group].setdefault(ep.name, rec)
            self._records = records
        return self._records

    def refresh(self) -> None:
        """Forget discovered entry points (after installing a plugin in this process)."""
        self._records = None

    def register(self, group: str, name: str, obj: Any) -> None:
        """Register an object in this process only (tests, notebooks); entry points are the durable way."""
        self._local[group][name] = obj

    def names(self, group: str, include_broken: bool = False) -> list[str]:
        recs = self._discover()[group]
        names = set(self._local[group])
        for n, r in recs.items():
            if include_broken or not r.broken:
                names.add(n)
        return sorted(names)

    def records(self, group: str | None = None, load: bool = True) -> list[PluginRecord]:
        """All plugin records (optionally importing each, so broken ones show their error)."""
        out = []
        for g in ([group] if group else list(GROUPS)):
            for name, rec in sorted(self._discover()[g].items()):
                if load:
                    self._try_load(rec)
                out.append(rec)
        return out

    # -- loading --
    @staticmethod
    def _try_load(rec: PluginRecord) -> None:
        if rec.loaded is not None or rec.error is not None:
            return
        try:
            module, _, attr = rec.value.partition(":")
            obj = __import__(module, fromlist=["_"])
            for part in attr.split(".") if attr else []:
                obj = getattr(obj, part)
            rec.loaded = obj
        except Exception as exc:  # a broken plugin must never break discovery
            rec.error = f"{type(exc).__name__}: {exc}"
            rec.traceback = traceback.format_exc()  # type: ignore[attr-defined]

    def get(self, group: str, name: str) -> Any:
        if name in self._local[group]:
            return self._local[group][name]
        recs = self._discover()[group]
        if name not in recs:
            raise UnknownPluginError(group, name, self.names(group))
        rec = recs[name]
        self._try_load(rec)
        if rec.broken:
            raise BrokenPluginError(f"{group} plugin {name!r} from distribution {rec.distribution} "
                                    f"failed to import: {rec.error}")
        return rec.loaded

    # -- typed helpers --
    def scenario(self, kind: str) -> Any:
        return self.get("scenario", kind)

    def metric(self, name: str) -> Any:
        return self.get("metric", name)

    def strategy(self, name: str) -> Any:
        return self.get("strategy", name)

    def backend_family(self, family: str) -> Any:
        return self.get("backend", family)


registry = Registry()
