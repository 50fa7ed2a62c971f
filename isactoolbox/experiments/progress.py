"""A dependency-free progress bar on stderr: points done / total, failures and ETA.

Long runs (sweeps, exhaustive enumeration, reproductions) report through one small protocol, a
callable ``progress(done, total, failures)`` with absolute counts, so a loop deep inside a
strategy needs no knowledge of how (or whether) the progress is shown::

    from isactoolbox.experiments.progress import progress_bar

    with progress_bar(len(choices), label="exhaustive") as progress:
        for i, choice in enumerate(choices, 1):
            ...
            progress(i, failures=n_failed)

The bar draws itself only on a terminal: with ``quiet=True`` (``--json`` mode) or when the stream
is not a TTY (pipes, CI logs, files) every call is a no-op, so JSON on stdout and logs stay clean.
"""
from __future__ import annotations

import math
import sys
import time
from typing import Protocol, TextIO

__all__ = ["Progress", "ProgressCallback", "format_duration", "progress_bar"]


class ProgressCallback(Protocol):
    """What long runs call: absolute counts, so a missed or repeated call never skews the bar."""

    def __call__(self, done: int, total: int | None = None, failures: int = 0) -> None: ...


def format_duration(seconds: float) -> str:
    """``h:mm:ss`` (or ``m:ss`` under an hour); ``--:--`` when unknown."""
    if seconds is None or not math.isfinite(seconds) or seconds < 0:
        return "--:--"
    s = int(round(seconds))
    h, rest = divmod(s, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class Progress:
    """A single-line progress bar: ``label [#####-----] 12/40  30%  1 failed  ETA 0:12``.

    ``enabled=None`` (default) draws only when ``stream`` is a terminal and ``quiet`` is false;
    ``enabled=True`` forces drawing (e.g. into a file, for tests). ``min_interval`` limits redraws
    so a sweep of many fast points does not spend its time writing to the terminal.
    """

    def __init__(self, total: int | None, *, label: str = "", quiet: bool = False,
                 stream: TextIO | None = None, enabled: bool | None = None, width: int = 24,
                 min_interval: float = 0.1) -> None:
        self.total = total
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        if enabled is None:
            isatty = getattr(self.stream, "isatty", None)
            enabled = bool(isatty and isatty()) and not quiet
        self.enabled = bool(enabled) and not quiet
        self.width = width
        self.min_interval = min_interval
        self.done = 0
        self.failures = 0
        self._start = time.monotonic()
        self._last_draw = -math.inf
        self._last_len = 0
        self._last_line = ""
        self._closed = False

    # -- the callable protocol --
    def __call__(self, done: int, total: int | None = None, failures: int = 0) -> None:
        if total is not None:
            self.total = total
        self.done = done
        self.failures = failures
        self._draw()

    def advance(self, n: int = 1, *, failed: bool = False) -> None:
        """Count ``n`` more points (failed ones too); convenient in ``as_completed`` loops."""
        self.done += n
        if failed:
            self.failures += n
        self._draw()

    # -- rendering --
    def eta(self) -> float:
        """Seconds left, extrapolated from the mean time per point so far (inf when unknown)."""
        if not self.total or self.done <= 0:
            return math.inf
        elapsed = time.monotonic() - self._start
        return elapsed / self.done * max(self.total - self.done, 0)

    def render(self) -> str:
        elapsed = time.monotonic() - self._start
        parts = [self.label] if self.label else []
        if self.total:
            frac = min(self.done / self.total, 1.0)
            filled = int(round(frac * self.width))
            parts.append("[" + "#" * filled + "-" * (self.width - filled) + "]")
            parts.append(f"{self.done}/{self.total}")
            parts.append(f"{100 * frac:3.0f}%")
        else:
            parts.append(f"{self.done} done")
        if self.failures:
            parts.append(f"{self.failures} failed")
        if self.total and self.done < self.total:
            parts.append(f"ETA {format_duration(self.eta())}")
        else:
            parts.append(f"in {format_duration(elapsed)}")
        return "  ".join(parts)

    def _draw(self, force: bool = False) -> None:
        if not self.enabled or self._closed:
            return
        now = time.monotonic()
        finished = self.total is not None and self.done >= self.total
        if not (force or finished) and now - self._last_draw < self.min_interval:
            return
        self._last_draw = now
        line = self.render()
        if line == self._last_line:
            return
        self._last_line = line
        # Pad over the previous line: a shorter line would leave its tail on screen.
        pad = " " * max(self._last_len - len(line), 0)
        self._last_len = len(line)
        self.stream.write("\r" + line + pad)
        self.stream.flush()

    def close(self) -> None:
        """Draw the final state and end the line (idempotent)."""
        if self.enabled and not self._closed:
            self._draw(force=True)
            self.stream.write("\n")
            self.stream.flush()
        self._closed = True

    def __enter__(self) -> "Progress":
        self._draw(force=True)
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def progress_bar(total: int | None, *, label: str = "", quiet: bool = False,
                 stream: TextIO | None = None, enabled: bool | None = None) -> Progress:
    """A :class:`Progress` for ``total`` points; silent when ``quiet`` or not on a terminal."""
    return Progress(total, label=label, quiet=quiet, stream=stream, enabled=enabled)
