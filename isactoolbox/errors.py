"""One error root for the whole toolbox.

Every message names the field, plugin or option at fault and what to do about it, so the CLI can
print ``str(error)`` as a single line without a traceback.
"""
from __future__ import annotations


class IsacToolboxError(Exception):
    """Root of every error raised on purpose by isactoolbox."""


class ValidationError(IsacToolboxError, ValueError):
    """Bad input: names the offending ``field`` and the ``reason``."""

    def __init__(self, field: str, reason: str, *, owner: str | None = None) -> None:
        self.field = field
        self.reason = reason
        self.owner = owner
        where = f"{owner}.{field}" if owner else field
        super().__init__(f"invalid {where!s}: {reason}")


class ScenarioValidationError(ValidationError):
    """A scenario field (or a scenario file entry) is wrong."""


class OptionError(ValidationError):
    """A strategy or backend option is unknown or has the wrong type or value."""


class UnknownPluginError(IsacToolboxError, LookupError):
    """A scenario kind, metric, strategy or backend name that no plugin registers."""

    def __init__(self, group: str, name: str, known: list[str]) -> None:
        self.group = group
        self.name = name
        self.known = sorted(known)
        super().__init__(
            f"unknown {group} {name!r}; registered {group}s: {', '.join(self.known) or '(none)'}"
        )


class BrokenPluginError(IsacToolboxError, ImportError):
    """A registered plugin failed to import; carries the distribution and the original error."""


class ModelError(IsacToolboxError, ValueError):
    """Misuse of the neutral modelling layer (shape mismatch, non-affine product, ...)."""


class UnsupportedProblemError(IsacToolboxError):
    """A backend refuses a model before solving because it lacks a needed capability."""


class BackendUnavailableError(IsacToolboxError):
    """A backend's solver is not installed or not usable here; the message says how to enable it."""


class ScenarioKindError(IsacToolboxError, TypeError):
    """A strategy was handed a scenario kind it does not declare support for."""
