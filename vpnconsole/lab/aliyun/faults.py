"""Fault knobs (reference §6.11) of the simulated API.

Each knob is scoped to one action (``action="CreateVpnConnection"``) or global
(``action=None``), and fires ``times`` times (``None`` = until cleared).
Knobs are consumed in the order they were added; at most one "answer" fault
fires per request, plus any number of delays.

How the real SDK (tea-openapi 0.4.x) surfaces each kind:

=====================  ==========================================================
``throttle``           400 ``Throttling.User`` -> ``ClientException``; with
                       ``retry_after_ms`` the header ``x-acs-retry-after`` makes it
                       ``ThrottlingException`` (``e.retry_after``)
``unavailable``        503 ``ServiceUnavailable`` -> ``ServerException``
``error_after_commit`` the write is executed and committed, then 500
                       ``InternalError`` -> ``ServerException`` (issue #4808).
                       A retry with the same ClientToken returns the original result.
                       Fires on the next call that *succeeds* (a call that fails
                       validation answers its own error and leaves the knob armed).
``html_502``           502 with an HTML body -> ``UnretryableException`` (code None)
``delay``              answer normally after ``seconds`` of *real* time (use with a
                       low SDK ``read_timeout`` to provoke a timeout)
``drop``               close the socket without an answer -> ``UnretryableException``
``error``              any status/code/message (e.g. 500 ``UnknownError``)
=====================  ==========================================================
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

__all__ = ["Fault", "FaultInjector", "FAULT_KINDS"]

FAULT_KINDS = ("throttle", "unavailable", "error_after_commit", "html_502", "delay", "drop", "error")
_PRE_KINDS = ("throttle", "unavailable", "html_502", "drop", "error")


@dataclass
class Fault:
    kind: str
    action: str | None = None
    times: int | None = 1  # None: unlimited
    status: int = 400
    code: str = ""
    message: str = ""
    retry_after_ms: int | None = None
    seconds: float = 0.0
    fired: int = field(default=0)

    def matches(self, action: str) -> bool:
        return (self.action is None or self.action == action) and (self.times is None or self.fired < self.times)

    @property
    def exhausted(self) -> bool:
        return self.times is not None and self.fired >= self.times


class FaultInjector:
    """Thread-safe list of armed faults. See the module docstring for the kinds."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self.history: list[tuple[str, str]] = []  # (action, kind) of every fired fault

    # -- arming -------------------------------------------------------------
    def add(self, fault: Fault) -> Fault:
        if fault.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {fault.kind!r}")
        if fault.times is not None and fault.times < 1:
            raise ValueError("times must be >= 1 or None")
        with self._lock:
            self._faults.append(fault)
        return fault

    def throttle(self, action: str | None = None, *, times: int | None = 1, retry_after_ms: int | None = None,
                 status: int = 400, code: str = "Throttling.User") -> Fault:
        return self.add(Fault("throttle", action, times, status=status, code=code,
                              message="Request was denied due to user flow control.",
                              retry_after_ms=retry_after_ms))

    def unavailable(self, action: str | None = None, *, times: int | None = 1) -> Fault:
        return self.add(Fault("unavailable", action, times, status=503, code="ServiceUnavailable",
                              message="The request has failed due to a temporary failure of the server."))

    def error_after_commit(self, action: str | None = None, *, times: int | None = 1, status: int = 500,
                           code: str = "InternalError") -> Fault:
        return self.add(Fault("error_after_commit", action, times, status=status, code=code,
                              message="The request processing has failed due to some unknown error, "
                                      "exception or failure."))

    def html_502(self, action: str | None = None, *, times: int | None = 1) -> Fault:
        return self.add(Fault("html_502", action, times, status=502))

    def delay(self, seconds: float, action: str | None = None, *, times: int | None = 1) -> Fault:
        return self.add(Fault("delay", action, times, seconds=seconds))

    def drop(self, action: str | None = None, *, times: int | None = 1) -> Fault:
        return self.add(Fault("drop", action, times))

    def error(self, status: int, code: str, message: str = "", action: str | None = None, *,
              times: int | None = 1, retry_after_ms: int | None = None) -> Fault:
        return self.add(Fault("error", action, times, status=status, code=code,
                              message=message or code, retry_after_ms=retry_after_ms))

    def clear(self, action: str | None = None) -> None:
        """Disarm all faults (or only those scoped to ``action``)."""
        with self._lock:
            self._faults = [f for f in self._faults if action is not None and f.action != action]

    @property
    def armed(self) -> list[Fault]:
        with self._lock:
            return [f for f in self._faults if not f.exhausted]

    # -- consumption (used by the server) -----------------------------------
    def _take(self, action: str, kinds: tuple[str, ...]) -> Fault | None:
        with self._lock:
            for f in self._faults:
                if f.kind in kinds and f.matches(action):
                    f.fired += 1
                    self.history.append((action, f.kind))
                    if f.exhausted:
                        self._faults.remove(f)
                    return f
        return None

    def take_delays(self, action: str) -> float:
        """Consume every matching delay knob once; return the total delay in seconds."""
        total = 0.0
        with self._lock:
            for f in list(self._faults):
                if f.kind == "delay" and f.matches(action):
                    f.fired += 1
                    self.history.append((action, f.kind))
                    total += f.seconds
                    if f.exhausted:
                        self._faults.remove(f)
        return total

    def take_pre(self, action: str) -> Fault | None:
        return self._take(action, _PRE_KINDS)

    def peek_post(self, action: str) -> bool:
        with self._lock:
            return any(f.kind == "error_after_commit" and f.matches(action) for f in self._faults)

    def take_post(self, action: str) -> Fault | None:
        return self._take(action, ("error_after_commit",))
