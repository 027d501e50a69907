"""The path gate: whether the simulated network lets a connection to an on-prem target through.

Every listener of the OpenStack side of the lab asks its gate, for each accepted connection (and,
on the HTTP API, again for every request of a kept-alive connection), what the network between
the cloud side and ``(target_ip, port)`` does right now:

``OPEN``       the path is complete; the service answers normally.
``BLACKHOLE``  packets vanish (no tunnel, no route): the connection is accepted by the kernel but
               nothing is ever sent back, so the client waits until its own timeout.
``REFUSE``     something answers with a reset: the connection is closed with RST at once.

``target_ip`` is the loopback address the client connected to (``127.0.1.100``), ``port`` the
*service* port (22, 5000; not the ephemeral port a test may have bound instead), or ``None`` for
the address itself (ICMP echo, which the lab cannot simulate on loopback: a probe running against
the lab asks ``OpenStackLab.icmp_reachable`` instead of pinging).

The negotiation model that joins both simulated ends implements :class:`PathGate` ("the path from
the cloud side to this address is complete"); tests use :class:`StaticGate`; the default is
:data:`OPEN_GATE`. A gate is called on the lab's event-loop thread, once per connection or
request: it must be quick and must not block. A gate that raises is treated as ``REFUSE`` (and the
exception is logged), so a broken model is loud instead of silently open.
"""

from __future__ import annotations

import enum
import threading
from typing import Callable, Protocol, Union, runtime_checkable

__all__ = [
    "ANY",
    "OPEN_GATE",
    "CallableGate",
    "GateLike",
    "OpenGate",
    "PathGate",
    "StaticGate",
    "Verdict",
    "as_gate",
]


class Verdict(str, enum.Enum):
    """What the simulated path does to a connection (``Verdict("blackhole")`` works too)."""

    OPEN = "open"
    BLACKHOLE = "blackhole"
    REFUSE = "refuse"


@runtime_checkable
class PathGate(Protocol):
    """Decides, per connection, what the path to ``(target_ip, port)`` does."""

    def verdict(self, target_ip: str, port: int | None) -> Verdict: ...


GateLike = Union[PathGate, Callable[[str, "int | None"], Verdict]]


class OpenGate:
    """Every path is complete (the default: a lab without a negotiation model just works)."""

    def verdict(self, target_ip: str, port: int | None) -> Verdict:
        return Verdict.OPEN

    def __repr__(self) -> str:
        return "OpenGate()"


OPEN_GATE = OpenGate()


class CallableGate:
    """Adapts a plain function ``(target_ip, port) -> Verdict`` (or its string value)."""

    def __init__(self, fn: Callable[[str, "int | None"], Verdict | str]) -> None:
        self._fn = fn

    def verdict(self, target_ip: str, port: int | None) -> Verdict:
        return Verdict(self._fn(target_ip, port))

    def __repr__(self) -> str:
        return f"CallableGate({self._fn!r})"


def as_gate(gate: GateLike | None) -> PathGate:
    """``None`` -> :data:`OPEN_GATE`; an object with ``verdict`` as is; a callable wrapped."""
    if gate is None:
        return OPEN_GATE
    if isinstance(gate, PathGate):
        return gate
    if callable(gate):
        return CallableGate(gate)
    raise TypeError(f"a path gate needs a verdict(target_ip, port) method or must be callable, not {gate!r}")


class _Any:
    def __repr__(self) -> str:
        return "ANY"


ANY = _Any()
"""Wildcard for :class:`StaticGate` rules: any address, or any port (including ``None``/ICMP)."""


class StaticGate:
    """A gate driven by hand (tests, the lab's manual mode).

    Rules map ``(address, port)`` to a verdict, either part may be :data:`ANY`. The most specific
    rule wins: ``(ip, port)``, then ``(ip, ANY)``, then ``(ANY, port)``, then :attr:`default`.
    ``port=None`` is a real key (the address itself, ICMP). Thread-safe: a test may flip rules
    from its own thread while the lab runs in another. Every question is counted in
    :attr:`asked` (``(target_ip, port)`` → number of times) so tests can see the gate was consulted.
    """

    def __init__(self, default: Verdict | str = Verdict.OPEN,
                 rules: dict[tuple[object, object], Verdict | str] | None = None) -> None:
        self._lock = threading.Lock()
        self._default = Verdict(default)
        self._rules: dict[tuple[object, object], Verdict] = {}
        self.asked: dict[tuple[str, int | None], int] = {}
        for (ip, port), v in (rules or {}).items():
            self.set(v, ip, port)

    @property
    def default(self) -> Verdict:
        return self._default

    @default.setter
    def default(self, verdict: Verdict | str) -> None:
        self._default = Verdict(verdict)

    def set(self, verdict: Verdict | str, target_ip: object = ANY, port: object = ANY) -> None:
        """Set the verdict for an address and/or port (``ANY`` for either). ``set(v)`` = default."""
        v = Verdict(verdict)
        if target_ip is ANY and port is ANY:
            self._default = v
            return
        with self._lock:
            self._rules[(target_ip, port)] = v

    def clear(self, target_ip: object = ANY, port: object = ANY) -> None:
        """Drop one rule, or every rule when called without arguments (the default stays)."""
        with self._lock:
            if target_ip is ANY and port is ANY:
                self._rules.clear()
            else:
                self._rules.pop((target_ip, port), None)

    def verdict(self, target_ip: str, port: int | None) -> Verdict:
        with self._lock:
            key = (target_ip, port)
            self.asked[key] = self.asked.get(key, 0) + 1
            for probe in (key, (target_ip, ANY), (ANY, port)):
                v = self._rules.get(probe)
                if v is not None:
                    return v
            return self._default

    def __repr__(self) -> str:
        return f"StaticGate(default={self._default.value!r}, rules={len(self._rules)})"
