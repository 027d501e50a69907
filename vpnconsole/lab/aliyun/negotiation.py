"""The negotiation seam: where IKE/IPsec ``Status`` and connection logs come from.

Provisioning ``State`` (init/active/updating/deleting) is owned by the sim.
Negotiation ``Status`` (``ike_sa_not_established`` ... ``ipsec_sa_established``)
and the lines of ``DescribeVpnConnectionLogs`` are *pulled* from a
:class:`NegotiationSource` each time a client reads them. The sim does not
implement IKE matching; a later negotiation model that joins this sim and the
simulated H3C implements :class:`NegotiationSource` and is plugged in with
``sim.set_negotiation_source(model)``.

The default source, :class:`PeerNotResponding`, reports
``ike_sa_not_established`` and, when ``EffectImmediately`` is on, racoon-style
"peer not responding" retransmission/time-out lines. Tests override single
connections/tunnels with ``sim.set_negotiation(...)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, Sequence, Union, runtime_checkable

from .state import CustomerGateway, IkeConfig, IpsecConfig, Tunnel, VpnConnection, VpnGateway

__all__ = [
    "LogLine",
    "NegotiationReport",
    "NegotiationTarget",
    "NegotiationSource",
    "PeerNotResponding",
]


@dataclass(frozen=True)
class LogLine:
    """One log record; rendered as ``YYYY-MM-DD HH:MM:SS vco-xxx [LEVEL]: source:message``.

    ``source`` is ``file.c:line`` (e.g. ``isakmp.c:1116``); ``time`` is epoch seconds.
    """

    time: float
    level: str  # DEBUG | INFO | WARNING | ERROR
    source: str
    message: str


# A pre-formatted line (str) is returned verbatim and is never filtered by time.
LogEntry = Union[LogLine, str]


@dataclass(frozen=True)
class NegotiationReport:
    status: str  # one of validate.NEGOTIATION_STATUSES
    logs: Sequence[LogEntry] = field(default_factory=tuple)


@dataclass(frozen=True)
class NegotiationTarget:
    """Everything the cloud side is configured with for one IKE peer.

    ``tunnel`` is None for a single-tunnel connection; for a dual-tunnel
    connection there is one target per tunnel. ``ike``/``ipsec`` are the
    effective settings (connection-level or per-tunnel), PSK in clear.
    All objects are snapshots (deep copies); mutating them has no effect.
    """

    region_id: str
    gateway: VpnGateway
    connection: VpnConnection
    tunnel: Tunnel | None
    customer_gateway: CustomerGateway | None
    local_ip: str  # the Alibaba side of this peer (gateway or tunnel IP)
    remote_ip: str  # the customer gateway IP
    ike: IkeConfig
    ipsec: IpsecConfig
    enable_dpd: bool
    enable_nat_traversal: bool
    effect_immediately: bool
    applied_at: float  # epoch seconds when this configuration took effect


@runtime_checkable
class NegotiationSource(Protocol):
    """Implemented by the negotiation model.

    ``report`` is called with the sim lock held, once per connection (single
    tunnel) or per tunnel (dual tunnel) whenever a client reads ``Status`` or
    logs; it must be fast and must not call mutating sim APIs. Log lines may
    be returned for any time range; the sim filters them to the request's
    ``From``/``To`` or ``MinutePeriod`` window and to ``<= now``.
    """

    def report(self, target: NegotiationTarget, now: float) -> NegotiationReport: ...


class PeerNotResponding:
    """Default: nobody answers on UDP 500, so phase 1 never completes.

    With ``EffectImmediately=false`` the gateway waits for interesting traffic
    and logs nothing; with ``true`` it initiates every ``retry_interval``
    seconds and logs the initiation and the phase-1 time-out.
    """

    def __init__(self, retry_interval: float = 10.0, timeout_after: float = 8.0, max_attempts: int = 120):
        self.retry_interval = retry_interval
        self.timeout_after = timeout_after
        self.max_attempts = max_attempts

    def report(self, target: NegotiationTarget, now: float) -> NegotiationReport:
        if not target.effect_immediately:
            return NegotiationReport("ike_sa_not_established", ())
        lines: list[LogLine] = []
        peer = f"{target.local_ip}[500]<=>{target.remote_ip}[500]"
        start = target.applied_at
        n_total = int(max(0.0, now - start) // self.retry_interval) + 1
        first = max(0, n_total - self.max_attempts)
        for i in range(first, n_total):
            t = start + i * self.retry_interval
            if target.ike.ike_version == "ikev2":
                lines.append(LogLine(t, "INFO", "ikev2.c:3361", f"initiate new IKE_SA_INIT exchange: {peer}"))
                lines.append(LogLine(t + 0.01, "DEBUG", "ikev2_sa_init.c:712", "sending IKE_SA_INIT request"))
                if now >= t + self.timeout_after:
                    lines.append(LogLine(t + self.timeout_after, "ERROR", "ikev2.c:3416",
                                         f"IKE_SA_INIT timed out, peer not responding: {peer}"))
            else:
                mode = "Identity Protection" if target.ike.ike_mode == "main" else "Aggressive"
                lines.append(LogLine(t, "INFO", "isakmp.c:1116", f"initiate new phase 1 negotiation: {peer}"))
                lines.append(LogLine(t + 0.01, "INFO", "isakmp.c:1121", f"begin {mode} mode."))
                if now >= t + self.timeout_after:
                    lines.append(LogLine(t + self.timeout_after, "ERROR", "isakmp.c:1745",
                                         f"phase1 negotiation failed due to time up. {peer}"))
        return NegotiationReport("ike_sa_not_established", tuple(lines))
