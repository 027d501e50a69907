"""What one end is, live: the shape both adapters (``h3c.device``, ``alibaba.gateway``) return.

DESIGN.md: each end is one adapter with the same shape — ``render(profile) → plan``,
``apply(plan)``, ``read() → EndState``, ``teardown()`` — and ``EndState`` holds the end's live
parameters in the canonical vocabulary, its SA/tunnel state, its routes and its errors, so that
diffing profile↔H3C, profile↔Alibaba and H3C↔Alibaba is one function on one type
(:func:`vpnconsole.diagnose.diff` on ``EndState.params``).

Progress is reported as :class:`Event` objects through a plain callback, so the engine, the CLI
and the TUI can all listen without the adapters knowing who does.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

from vpnconsole.diagnose import End
from vpnconsole.params import VpnParams

# Negotiation state of one tunnel, in one vocabulary for both ends.
UP, DOWN, NEGOTIATING, UNKNOWN = "up", "down", "negotiating", "unknown"


@dataclass(frozen=True)
class TunnelState:
    """One IKE/IPsec peering as one end reports it."""

    cloud_ip: str | None  # the Alibaba address of this tunnel (master first)
    phase1: str  # up | down | negotiating | unknown
    phase2: str
    detail: str = ""  # the end's own words: "RD", "ike_sa_not_established", "ipsec_sa_established"
    role: str | None = None  # master | slave (dual tunnel), None otherwise
    lifetime_left: int | None = None  # seconds left on the IPsec SA, where the end says
    packets_out: int | None = None  # traffic counters where the end reports them
    packets_in: int | None = None
    reason: str | None = None  # why it is down, where the end says (logs, syslog)


@dataclass(frozen=True)
class Route:
    """One route of an end's routing table that matters for the tunnel."""

    destination: str  # CIDR
    next_hop: str | None  # an address, or the next-hop resource id (vpn-…)
    via: str | None = None  # interface (H3C) or next-hop type (Alibaba: VpnGateway, Instance…)
    kind: str = ""  # H3C: Static/Direct/…; Alibaba: Custom/System
    status: str | None = None  # Alibaba: Pending/Available/…
    ours: bool = False  # created by this tool for this lab
    table: str | None = None  # Alibaba route table id / "vpn-gateway"; H3C: None


@dataclass(frozen=True)
class EndState:
    end: End
    reachable: bool  # could the end be read at all
    params: VpnParams | None  # None: nothing of this lab is configured there
    tunnels: tuple[TunnelState, ...] = ()
    routes: tuple[Route, ...] = ()
    errors: tuple[str, ...] = ()  # what went wrong reading it, and what the end itself complains about
    notes: tuple[str, ...] = ()  # what is worth saying but not wrong
    facts: dict[str, Any] = field(default_factory=dict)  # gateway status, platform, sysname, ids…
    read_at: float = field(default_factory=time.time)


@dataclass(frozen=True)
class Event:
    """A progress event: an end, a step, what happened, how long it has taken."""

    end: End
    step: str  # "customer-gateway", "ike-profile", "wait-gateway-active", …
    kind: str  # start | progress | done | error | retry | info
    message: str  # for people; never a secret
    elapsed: float = 0.0  # seconds since the operation began
    status: str | None = None  # the current cloud status ("updating", "Pending"…), where there is one
    data: dict[str, Any] = field(default_factory=dict)  # RequestId, line number, …


EventSink = Callable[[Event], None]


def ignore(event: Event) -> None:
    """The default sink."""


class Cancelled(Exception):
    """The user cancelled a running operation (the adapter stops at a safe point)."""


class CancelToken(Protocol):
    @property
    def cancelled(self) -> bool: ...
