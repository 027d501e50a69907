"""Injectable clocks for the simulated Alibaba Cloud VPC API.

Every time-dependent behaviour of the sim (update windows, route entry
transitions, log timestamps, ``CreateTime`` values) reads the time through a
:class:`Clock`, so tests can use :class:`ManualClock` and advance time without
sleeping.
"""

from __future__ import annotations

import threading
import time
from typing import Protocol, runtime_checkable

__all__ = ["Clock", "SystemClock", "ManualClock"]


@runtime_checkable
class Clock(Protocol):
    """Source of the current wall-clock time, in epoch seconds (float)."""

    def now(self) -> float: ...


class SystemClock:
    """The real wall clock (``time.time()``)."""

    def now(self) -> float:
        return time.time()


class ManualClock:
    """A clock that only moves when told to. Thread-safe."""

    def __init__(self, start: float = 1_767_225_600.0) -> None:  # 2026-01-01T00:00:00Z
        self._t = float(start)
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return self._t

    def advance(self, seconds: float) -> float:
        """Move the clock forward by ``seconds`` (must be >= 0); return the new time."""
        if seconds < 0:
            raise ValueError("a clock cannot go backwards")
        with self._lock:
            self._t += seconds
            return self._t

    def set(self, t: float) -> None:
        with self._lock:
            self._t = float(t)
