"""The lab's negotiation model: the IKE/IPsec pair joining the simulated H3C and the simulated Alibaba VPC.

:class:`LabNegotiation` reads the *live* configuration of both simulated ends and plays what a real
IKE pair between them would do. It implements the three seams of the lab at once:

* the H3C's :class:`~vpnconsole.lab.h3c.peer.Peer` (``router.peer``): when the router initiates
  (a ``ping -a`` matching its policy) :meth:`negotiate` finds the Alibaba connection (single tunnel)
  or tunnel (dual tunnel) whose gateway/tunnel IP is the offer's remote address and whose customer
  gateway is the router's public address, turns its effective ``IkeConfig``/``IpsecConfig``/subnets/
  DPD/NAT-T into a :class:`~vpnconsole.lab.h3c.peer.StaticPeer` (the IKE matching rules live there,
  reused, not copied) and answers. :meth:`deliver` decides whether data passes (phase 2 on the
  Alibaba side, connection/tunnel ``State == active``, gateway not ``FinancialLocked``, an
  ``Available`` VPC route for the on-prem subnet pointing at this VPN gateway, NAT exemption/NAT-T,
  a VPC host at the destination); :meth:`notify_delete` mirrors ``reset ike sa``/``reset ipsec sa``,
  expiry and DPD on the Alibaba side.
* the Alibaba sim's :class:`~vpnconsole.lab.aliyun.negotiation.NegotiationSource`
  (``sim.set_negotiation_source``): :meth:`report` gives the negotiation ``Status`` per connection
  (single) or per tunnel (dual) and racoon-style log lines (``isakmp.c``/``oakley.c``/``pfkey.c``
  sources, ``[500]``/``[4500]`` endpoints) naming the failure: *no proposal chosen*, *PSK mismatch*,
  *ID mismatch*, *exchange mode mismatch*, *PFS mismatch*, *traffic selector mismatch*,
  *peer not responding*, *DPD timeout*. With ``EffectImmediately=true`` Alibaba **initiates** (a few
  seconds after the configuration took effect, then every ``Delays.retry`` seconds while it fails):
  the router's configuration is then evaluated as a Comware *responder* would (below) and, on
  success, the SAs are installed in the router's tables (``display ike sa`` RD row with
  ``Transmitting entity: Responder``, ``display ipsec sa``, ``display ipsec tunnel brief``) through
  :meth:`SimulatedH3C.install_responder_sa`. With ``EffectImmediately=false`` the status follows what
  the router's own initiations (and traffic from the cloud side, see the gate) produced.
* the OpenStack side's :class:`~vpnconsole.lab.openstack.gate.PathGate`: :meth:`verdict` says whether
  an on-prem target (a loopback listener mapped to an on-prem address with ``targets``) is reachable
  from the cloud side; :meth:`explain` gives the reason in plain language, :meth:`check_path` the
  structured :class:`PathReport` (reusable by probe and diagnosis).

Responder rules (H3C evaluated as responder, reference h3c §1.3/§8):

1. Alibaba's packets land on the interface holding the customer-gateway IP (or, with
   ``router_public_ip`` = a NAT in front of the router, the interface routing to Alibaba); the
   router must have a route back to the Alibaba IP out of that interface, and an IPsec policy must be
   applied on it — otherwise the router does not answer (Alibaba: *peer not responding*) [?: a
   router without an applied policy is modelled as ignoring IKE].
2. IKEv1 phase 1: Alibaba's single proposal is matched against **all** ``ike proposal``s plus the
   built-in ``default`` (DES/SHA1/group1); main mode: the key is looked up by peer address in every
   keychain (``match local address`` honoured), then the IKE profile is selected by ``match remote
   identity`` against Alibaba's ``LocalId``; aggressive mode selects the profile first (the ID comes
   in message 1). The selected profile's ``exchange-mode`` must equal Alibaba's ``IkeMode`` [?].
   The router's identity (profile ``local-identity``, else global ``ike identity``, else the interface
   address) must equal Alibaba's ``RemoteId``. IKEv2 (V7): proposals of every ``ikev2 policy`` (or
   the built-in default), profile by ``match remote identity``, key from its keychain peer. V5:
   ``ike peer`` whose ``remote-address`` is Alibaba's IP.
3. Phase 2, per CIDR pair (one SA per pair): an entry of the applied policy with ``remote-address``
   = Alibaba's IP and the phase-1 profile, whose ACL has a permit rule mirroring the pair exactly
   (``source`` = on-prem CIDR, ``destination`` = VPC CIDR); its first complete transform set with ESP
   tunnel, the first ESP encryption (IKEv1) and one of its integrity algorithms equal to Alibaba's;
   PFS (IKEv1): the initiator's group must be at least as strong as the responder's, a side without
   PFS follows the peer, a responder with PFS refuses an initiator without; IKEv2: equal groups.

Alibaba-side modelling choices:

* Any change of a connection/tunnel (new ``applied_at``, IKE/IPsec/subnet/DPD/NAT-T values, ``State``
  leaving ``active``, gateway ``FinancialLocked``) tears its SAs down on both ends (the router's SAs
  for that peer are dropped as on a delete notification); a deleted connection likewise.
* ``Status``: ``ipsec_sa_established`` when at least one phase-2 SA is up, else
  ``ipsec_sa_not_established`` when phase 1 is up and a phase-2 attempt failed, else
  ``ike_sa_established`` when phase 1 is up, else ``ike_sa_not_established``. It lags the exchange
  by ``Delays.phase1``/``Delays.phase2`` (the router shows its SAs at once).
* Alibaba's DPD (``EnableDpd``): SAs the router lost silently (reboot, unreachable) are purged after
  ``Delays.dpd_dead`` seconds; without DPD they stay (the classic asymmetric teardown).
* Phase 2 under an IKE SA both ends still have (after ``reset ipsec sa``, lifetime expiry) reuses the
  router's RD row: only the phase-2 rules are evaluated again. IKE SA rekeying is not modelled.
* ``set_down(ip)`` makes an endpoint unreachable (an Alibaba tunnel IP: "master down"; the router's
  public IP: "ISP blocks UDP 500"): IKE, data and DPD are lost, delete notifications too.
* Traffic the cloud side sends (the gate) triggers an Alibaba-initiated negotiation when the tunnel
  is down (rate-limited by ``Delays.retry``), and packets the router must send back trigger the
  router's own negotiation (through its normal data path): like a real pair, the first connection
  may hang while negotiating and the next one passes.
* Dual tunnel: Alibaba forwards through the master while the master's phase 2 for the pair is up and
  fails over to the slave. The H3C (policy-based, one entry per Alibaba IP, same ACL) uses the
  *first* policy entry whose ACL matches (Comware documentation: no fallback to later entries), so
  with the master down the replies still go to the master entry: the gate then black-holes and
  :meth:`explain` says so.
* The VPC side of a path is the VPC's *system* route table (the sim has no custom tables); VPC hosts
  that answer are addresses inside a vSwitch of the gateway's VPC (or ``cloud_hosts``).

Locking (no deadlock by construction): lock order is router lock → sim lock → model lock.
Router-thread entry points (``negotiate``/``deliver``/``notify_delete`` and the router tick hook,
all called with the router lock held) take the sim lock, then the model lock. :meth:`report` runs on
the sim's thread with the sim lock held: it only *tries* the router lock (non-blocking); when the
router is busy it answers from the model's records and leaves router-side work (installing or
dropping SAs) to the router's next tick. It never calls a mutating sim API (the other entry points
settle the region's pending transitions, as ``sim.snapshot()`` does). The gate takes the router lock
and the sim lock with a short timeout and falls back to its last answer for that target.
"""

from __future__ import annotations

import enum
import ipaddress
import logging
import random
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Iterable, Mapping, Optional, Union

from .aliyun.negotiation import LogLine, NegotiationReport, NegotiationTarget, PeerNotResponding
from .aliyun.state import IkeConfig, IpsecConfig, RegionState, RouteEntry, VpnGateway
from .h3c.addr import in_prefix, ip_to_int, is_ip, len_to_mask, wildcard_to_len
from .h3c.algorithms import DEFAULT_IKE_PROPOSAL, DH_STRENGTH, IKEV2_DEFAULT
from .h3c.negotiation import ResponderChild, ResponderIke, incomplete_reasons, rule_matches
from .h3c.peer import (
    AUTH_FAILED, IDENTITY_MISMATCH, MODE_MISMATCH, NO_PROPOSAL_CHOSEN, PFS_MISMATCH, TIMEOUT, TS_UNACCEPTABLE,
    VERSION_MISMATCH, DataPacket, DeleteNotice, Identity, IkeProposalOffer, Ikev2ProposalOffer, NegotiationResult,
    Offer, Phase1Result, StaticPeer,
)
from .h3c.routing import local_addresses, lookup
from .h3c.state import Dpd, Interface, IpsecPolicyEntry, RemoteIdentity, TransformSet, decrypt_psk

try:  # the OpenStack side of the lab defines the verdicts; keep working if it is absent
    from .openstack.gate import Verdict
except Exception:  # pragma: no cover - only without vpnconsole.lab.openstack
    class Verdict(str, enum.Enum):  # type: ignore[no-redef]
        OPEN = "open"
        BLACKHOLE = "blackhole"
        REFUSE = "refuse"

if TYPE_CHECKING:  # pragma: no cover
    from .aliyun.sim import AliyunVpcSim
    from .h3c.device import SimulatedH3C

__all__ = ["LabNegotiation", "Delays", "PathReport", "PeerState", "Verdict", "STATUSES"]

log = logging.getLogger("vpnconsole.lab.negotiation")

STATUSES = ("ike_sa_not_established", "ike_sa_established", "ipsec_sa_not_established", "ipsec_sa_established")

# extra failure codes (the others come from h3c.peer)
NO_PSK = "no-psk"
NO_POLICY = "no-policy"
PEER_ID_REJECTED = "peer-id-rejected"
DPD_DEAD = "dpd-dead"

Pair = tuple[str, str]  # (VPC-side CIDR, on-prem CIDR)


@dataclass(frozen=True)
class Delays:
    """How long things take on the Alibaba side (seconds of the sim's clock).

    ``initiate``: with ``EffectImmediately``, from the configuration taking effect (or SAs being
    lost) to Alibaba's first IKE packet; ``retry``: between Alibaba-initiated attempts while they
    fail (also the rate limit of traffic-triggered attempts); ``phase1``/``phase2``: until Alibaba
    reports each phase up (its Status lags the router); ``timeout``: phase-1 retransmissions before
    "peer not responding"; ``dpd_dead``: Alibaba's DPD declaring a silent peer dead.
    """

    initiate: float = 3.0
    retry: float = 10.0
    phase1: float = 1.0
    phase2: float = 0.5
    timeout: float = 8.0
    dpd_dead: float = 30.0

    @classmethod
    def instant(cls, **kw) -> "Delays":
        """Everything at once (tests); retries/time-outs keep their spacing so logs stay readable."""
        kw.setdefault("initiate", 0.0)
        kw.setdefault("phase1", 0.0)
        kw.setdefault("phase2", 0.0)
        return cls(**kw)


@dataclass(frozen=True)
class PathReport:
    """What the path from the cloud side to an on-prem target does, and why."""

    verdict: Verdict
    reason: str
    target: str = ""  # the on-prem address
    cloud_source: str = ""
    connection_id: Optional[str] = None
    tunnel_id: Optional[str] = None
    alibaba_ip: Optional[str] = None

    @property
    def ok(self) -> bool:
        return self.verdict == Verdict.OPEN


@dataclass(frozen=True)
class PeerState:
    """The Alibaba side of one IKE peering, as the model holds it (for tests and diagnosis)."""

    connection_id: str
    tunnel_id: Optional[str]
    alibaba_ip: str
    status: str
    reason: str  # the last failure in plain language ("" when none)
    ike_up: bool
    pairs_up: tuple[Pair, ...]


# ------------------------------------------------------------------------------------------------
# small helpers
# ------------------------------------------------------------------------------------------------

def _identity(value: str) -> Identity:
    return Identity("address" if is_ip(value) else "fqdn", value)


def _id_text(ident: Optional[Identity]) -> str:
    if ident is None:
        return "none"
    return f"{'address' if ident.type == 'address' else ident.type} {ident.value}"


def _net(cidr_text: str) -> ipaddress.IPv4Network:
    return ipaddress.IPv4Network(cidr_text, strict=False)


def _contains(cidr_text: str, ip: str) -> bool:
    try:
        return ipaddress.IPv4Address(ip) in _net(cidr_text)
    except ValueError:
        return False


def _flow(cidr_text: str) -> tuple[str, str]:
    """``(network, dotted mask)``: how the router keys an SA flow."""
    n = _net(cidr_text)
    return str(n.network_address), len_to_mask(n.prefixlen)


def _host(cidr_text: str, index: int = 10) -> str:
    n = _net(cidr_text)
    if n.num_addresses <= 2:
        return str(n.network_address)
    return str(n.network_address + min(index, n.num_addresses - 2))


def _rule_cidr(aw: Optional[tuple[str, str]]) -> Optional[str]:
    if aw is None:
        return "0.0.0.0/0"
    addr, wild = aw
    plen = wildcard_to_len(wild)
    if plen is None:
        return None
    return str(_net(f"{addr}/{plen}"))


def _remote_matches(matches: Iterable[RemoteIdentity], ident: Optional[Identity]) -> bool:
    """Does ``ident`` satisfy one of the ``match remote identity`` lines (an empty list matches nothing)."""
    if ident is None:
        return False
    for m in matches:
        if m.type == "address" and ident.type == "address" and is_ip(ident.value) \
                and in_prefix(ident.value, m.value, m.plen):
            return True
        if m.type == "address-range" and ident.type == "address" and is_ip(ident.value) and \
                ip_to_int(m.value) <= ip_to_int(ident.value) <= ip_to_int(m.high or m.value):
            return True
        if m.type in ("fqdn", "user-fqdn") and m.type == ident.type and m.value.lower() == ident.value.lower():
            return True
    return False


def _h3c_identity(kind: str, value: str, sysname: str) -> Identity:
    if kind == "address":
        return Identity("address", value)
    if kind in ("fqdn", "dn"):
        return Identity("fqdn", value or sysname)
    if kind in ("user-fqdn", "email"):
        return Identity("user-fqdn", value)
    return Identity(kind, value)


def _cookie(rng: random.Random) -> str:
    return f"{rng.getrandbits(64):016x}"


def _spi(rng: random.Random) -> int:
    return rng.randrange(0x10000, 0xFFFFFFFF)


class _Stamps:
    """Non-decreasing timestamps for the lines of one exchange: the API sorts logs by time (stably),
    so a line never sorts before one written earlier in the same exchange."""

    def __init__(self, t: float) -> None:
        self.last = t

    def __call__(self, t: float) -> float:
        self.last = max(t, self.last)
        return self.last


def _lpm(entries: Iterable[RouteEntry], ip: str) -> Optional[RouteEntry]:
    best, best_len = None, -1
    for e in entries:
        try:
            n = _net(e.destination_cidr_block)
        except ValueError:
            continue
        if ipaddress.IPv4Address(ip) in n and n.prefixlen > best_len:
            best, best_len = e, n.prefixlen
    return best


# ------------------------------------------------------------------------------------------------
# the cloud side of one IKE peering
# ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _CloudPeer:
    key: tuple[str, Optional[str]]  # (VpnConnectionId, TunnelId or None)
    role: str  # single | master | slave
    gateway_id: str
    vpc_id: str
    alibaba_ip: str
    cgw_ip: str
    ike: IkeConfig
    ipsec: IpsecConfig
    local_subnets: tuple[str, ...]  # VPC side
    remote_subnets: tuple[str, ...]  # on-prem side
    enable_dpd: bool
    enable_nat_traversal: bool
    effect_immediately: bool
    state: str  # active | updating | deleting | init
    applied: bool
    applied_at: float
    locked: bool

    @property
    def conn_id(self) -> str:
        return self.key[0]

    @property
    def tunnel_id(self) -> Optional[str]:
        return self.key[1]

    @property
    def active(self) -> bool:
        return self.applied and self.state == "active" and not self.locked

    def pairs(self) -> list[Pair]:
        return [(c, o) for c in self.local_subnets for o in self.remote_subnets]

    def pair_for(self, cloud_ip: str, onprem_ip: str) -> Optional[Pair]:
        c = next((x for x in self.local_subnets if _contains(x, cloud_ip)), None)
        o = next((x for x in self.remote_subnets if _contains(x, onprem_ip)), None)
        return (c, o) if c and o else None

    def fingerprint(self) -> tuple:
        return (self.applied_at, self.alibaba_ip, self.cgw_ip, tuple(sorted(self.ike.to_api().items())),
                tuple(sorted(self.ipsec.to_api().items())), self.local_subnets, self.remote_subnets,
                self.enable_dpd, self.enable_nat_traversal, self.effect_immediately, self.active)

    def describe(self) -> str:
        if self.role == "single":
            return f"connection {self.conn_id} ({self.alibaba_ip})"
        return f"{self.role} tunnel {self.tunnel_id} of {self.conn_id} ({self.alibaba_ip})"

    def static_peer(self, seen: str, local_address: Optional[str], seed: int) -> StaticPeer:
        """The Alibaba end as the H3C sim's responder model (its matching rules are the ones used)."""
        nat = local_address is not None and seen != local_address
        return StaticPeer.alibaba(
            self.alibaba_ip, self.ike.to_api(), self.ipsec.to_api(), local_subnet=",".join(self.local_subnets),
            remote_subnet=",".join(self.remote_subnets), customer_gateway_ip=self.cgw_ip, nat_in_path=nat,
            nat_public_ip=seen if nat else None, dpd=self.enable_dpd, seed=seed)


def _cloud_peers(region: RegionState) -> list[_CloudPeer]:
    out: list[_CloudPeer] = []
    for conn in region.connections.values():
        gw = region.gateways.get(conn.vpn_gateway_id)
        if gw is None:
            continue
        locked = gw.business_status == "FinancialLocked"
        local = tuple(s for s in conn.local_subnet.split(",") if s)
        remote = tuple(s for s in conn.remote_subnet.split(",") if s)
        if conn.tunnels:
            for t in conn.tunnels:
                cgw = region.customer_gateways.get(t.customer_gateway_id)
                state = "deleting" if conn.deleting or t.state == "deleting" else t.state
                out.append(_CloudPeer(
                    (conn.vpn_connection_id, t.tunnel_id), t.role, gw.vpn_gateway_id, gw.vpc_id, t.internet_ip,
                    cgw.ip_address if cgw else "", IkeConfig(**vars(t.ike)), IpsecConfig(**vars(t.ipsec)),
                    local, remote, t.enable_dpd, t.enable_nat_traversal, conn.effect_immediately, state,
                    conn.applied, t.applied_at or conn.applied_at, locked))
        else:
            cgw = region.customer_gateways.get(conn.customer_gateway_id)
            state = "deleting" if conn.deleting else conn.state
            out.append(_CloudPeer(
                (conn.vpn_connection_id, None), "single", gw.vpn_gateway_id, gw.vpc_id, gw.internet_ip,
                cgw.ip_address if cgw else "", IkeConfig(**vars(conn.ike)), IpsecConfig(**vars(conn.ipsec)),
                local, remote, conn.enable_dpd, conn.enable_nat_traversal, conn.effect_immediately, state,
                conn.applied, conn.applied_at, locked))
    return out


# ------------------------------------------------------------------------------------------------
# the model's record of one peering (the Alibaba side's SAs, failures and logs)
# ------------------------------------------------------------------------------------------------

@dataclass
class _Child:
    pair: Pair
    spi_in: int  # Alibaba's inbound SPI = the router's outbound
    spi_out: Optional[int]  # Alibaba's outbound SPI = the router's inbound (None: not learnt yet)
    at: float  # when Alibaba reports it established
    passes: bool = True  # False: NAT in the path and NAT traversal off


@dataclass
class _Failure:
    phase: int
    code: str
    reason: str  # plain language
    at: float


@dataclass
class _Record:
    key: tuple[str, Optional[str]]
    alibaba_ip: str = ""
    cgw_ip: str = ""
    fingerprint: Optional[tuple] = None
    ike_up: bool = False
    ike_at: float = 0.0
    ike_spi: str = ""
    children: dict = field(default_factory=dict)  # Pair -> _Child
    p1_failure: Optional[_Failure] = None
    p2_failures: dict = field(default_factory=dict)  # Pair -> _Failure
    next_attempt: Optional[float] = None
    last_attempt: Optional[float] = None
    missing_since: Optional[float] = None
    logs: deque = field(default_factory=lambda: deque(maxlen=400))

    def status(self, now: float) -> str:
        if any(c.at <= now for c in self.children.values()):
            return "ipsec_sa_established"
        if self.ike_up and self.ike_at <= now:
            if any(f.at <= now for f in self.p2_failures.values()):
                return "ipsec_sa_not_established"
            return "ike_sa_established"
        return "ike_sa_not_established"

    def has_sas(self) -> bool:
        return self.ike_up or bool(self.children)

    def fully_up(self, cp: _CloudPeer) -> bool:
        return self.ike_up and all(p in self.children for p in cp.pairs())

    def reason(self, pair: Optional[Pair] = None) -> str:
        if pair is not None and pair in self.p2_failures:
            return "phase 2 not established: " + self.p2_failures[pair].reason
        if self.p1_failure is not None:
            return "phase 1 not established: " + self.p1_failure.reason
        if self.p2_failures:
            return "phase 2 not established: " + next(iter(self.p2_failures.values())).reason
        return ""

    def add(self, t: float, level: str, source: str, message: str) -> None:
        self.logs.append(LogLine(t, level, source, message))


# ------------------------------------------------------------------------------------------------
# responder evaluation results
# ------------------------------------------------------------------------------------------------

@dataclass
class _P1:
    ok: bool
    responded: bool = True
    code: str = ""
    reason: str = ""
    router_reason: Optional[str] = None  # IKE_P1_SA_ESTABLISH_FAIL reason on the router (None: no log)
    itf: Optional[Interface] = None
    local_ip: str = ""
    profile: Optional[str] = None
    proposal: Optional[IkeProposalOffer] = None
    lifetime: int = 86400
    router_id: Optional[Identity] = None
    dpd: Optional[Dpd] = None
    nat: bool = False
    nat_t_ok: bool = True


@dataclass
class _P2:
    pair: Pair
    ok: bool
    code: str = ""
    reason: str = ""
    entry: Optional[IpsecPolicyEntry] = None
    encryption: str = ""
    integrity: str = ""
    pfs: Optional[str] = None
    lifetime_s: int = 3600
    lifetime_kb: int = 1843200


# ------------------------------------------------------------------------------------------------
# the model
# ------------------------------------------------------------------------------------------------

class LabNegotiation:
    """Joins a :class:`SimulatedH3C` and an :class:`AliyunVpcSim` region into one IKE/IPsec pair.

    ``router_public_ip``: the router's address as Alibaba sees it when a NAT sits in front of it
    (default: its WAN address is public). ``targets``: loopback listener address → on-prem address
    for the gate (or a callable); an address not mapped is taken as the on-prem address itself
    (``vpnconsole lab`` gives the H3C a loopback /24 as LAN, so its listeners need no map).
    ``cloud_source``: the VPC-side client of the gate (default: host .10 of the first VPC CIDR of the
    connection protecting the target). ``cloud_hosts``: VPC addresses that answer pings (default:
    every address inside a vSwitch of the gateway's VPC). ``attach=True`` plugs the model into both
    sims at once (see :meth:`attach`).
    """

    ttl = 63  # the router reads these for its ping output
    rtt_ms = 31.0

    def __init__(self, router: "SimulatedH3C", cloud: "AliyunVpcSim", region: str, *,
                 delays: Optional[Delays] = None, router_public_ip: Optional[str] = None,
                 targets: Union[Mapping[str, str], Callable[[str], Optional[str]], None] = None,
                 cloud_source: Optional[str] = None, cloud_hosts: Optional[Iterable[str]] = None,
                 seed: int = 0, lock_timeout: float = 0.5, attach: bool = True) -> None:
        self.router = router
        self.cloud = cloud
        self.region = region
        self.delays = delays or Delays()
        self.router_public_ip = router_public_ip
        self.cloud_source = cloud_source
        self.cloud_hosts = set(cloud_hosts) if cloud_hosts is not None else None
        self.lock_timeout = lock_timeout
        self._targets: dict[str, str] = {}
        self._target_fn: Optional[Callable[[str], Optional[str]]] = None
        if callable(targets):
            self._target_fn = targets
        elif targets:
            self._targets.update(targets)
        self._rng = random.Random(seed)
        self._lock = threading.RLock()
        self._records: dict[tuple[str, Optional[str]], _Record] = {}
        self._down: dict[str, float] = {}  # unreachable endpoint -> since (cloud time)
        self._pending_drops: list[tuple[str, Optional[str], int, int, str]] = []
        self._router_busy = 0  # >0 while the router's engine is inside negotiate/deliver/notify
        self._syncing = False
        self._router_addrs: set[str] = set()
        self._gate_cache: dict[str, PathReport] = {}
        self._fallback = PeerNotResponding()
        if attach:
            self.attach()

    # -- wiring ------------------------------------------------------------------------------------
    def attach(self) -> "LabNegotiation":
        """``router.peer = self``, a router tick hook, ``cloud.set_negotiation_source(self)``."""
        with self.router.lock:
            self.router.peer = self
            if self._on_router_tick not in self.router.tick_hooks:
                self.router.tick_hooks.append(self._on_router_tick)
        self.cloud.set_negotiation_source(self)
        return self

    def detach(self) -> None:
        from .h3c.peer import NullPeer

        with self.router.lock:
            if self.router.peer is self:
                self.router.peer = NullPeer()
            if self._on_router_tick in self.router.tick_hooks:
                self.router.tick_hooks.remove(self._on_router_tick)
        if self.cloud.negotiation_source is self:
            self.cloud.set_negotiation_source(PeerNotResponding())

    def map_target(self, address: str, onprem_ip: str) -> None:
        """The gate's loopback listener ``address`` stands for ``onprem_ip`` on the H3C's LAN."""
        with self._lock:
            self._targets[address] = onprem_ip

    def set_down(self, ip: str, down: bool = True) -> None:
        """Make an endpoint unreachable (an Alibaba gateway/tunnel IP, or the router's public IP):
        IKE goes unanswered, data and DPD are lost (e.g. "master tunnel down", "ISP blocks UDP 500")."""
        with self._lock:
            if down:
                self._down.setdefault(ip, self.cloud.now())
            else:
                self._down.pop(ip, None)

    # -- Peer (the H3C's far end) -------------------------------------------------------------------
    def negotiate(self, offer: Offer) -> NegotiationResult:
        with self.cloud.lock, self._lock:
            self._router_busy += 1
            try:
                return self._negotiate(offer)
            finally:
                self._router_busy -= 1

    def deliver(self, packet: DataPacket) -> bool:
        with self.cloud.lock, self._lock:
            self._router_busy += 1
            try:
                return self._deliver(packet)
            finally:
                self._router_busy -= 1

    def notify_delete(self, notice: DeleteNotice) -> None:
        with self.cloud.lock, self._lock:
            self._router_busy += 1
            try:
                self._notify_delete(notice)
            finally:
                self._router_busy -= 1

    # -- NegotiationSource (the Alibaba sim) ---------------------------------------------------------
    def report(self, target: NegotiationTarget, now: float) -> NegotiationReport:
        if target.region_id != self.region:
            return self._fallback.report(target, now)
        got = self.router.lock.acquire(blocking=False)
        try:
            with self._lock:
                mutate = got and not self._router_busy and not self._syncing
                region = self.cloud.region(self.region)
                cps = {cp.key: cp for cp in _cloud_peers(region)}
                key = (target.connection.vpn_connection_id, target.tunnel.tunnel_id if target.tunnel else None)
                cp = cps.get(key)
                if got:
                    self._router_addrs = self._public_addrs()
                if cp is None or cp.cgw_ip not in self._router_addrs:
                    return self._fallback.report(target, now)
                self._syncing = True
                try:
                    if mutate:
                        self._flush_drops()
                    self._sync_peer(cp, now, mutate=mutate, read_router=got)
                finally:
                    self._syncing = False
                rec = self._records[key]
                return NegotiationReport(rec.status(now), tuple(rec.logs))
        finally:
            if got:
                self.router.lock.release()

    # -- PathGate (the OpenStack side) ---------------------------------------------------------------
    def verdict(self, target_ip: str, port: Optional[int]) -> Verdict:
        return self.check_path(target_ip, port, trigger=True).verdict

    def explain(self, target: str, port: Optional[int] = None) -> str:
        """Plain-language reason for what the path from the cloud side to ``target`` does (read-only)."""
        return self.check_path(target, port, trigger=False).reason

    def check_path(self, target: str, port: Optional[int] = None, *, trigger: bool = False) -> PathReport:
        """The whole path cloud → on-prem ``target`` and back. ``trigger``: let the traffic start the
        negotiations a real packet would (the gate does; :meth:`explain` does not)."""
        if not self.router.lock.acquire(timeout=self.lock_timeout):
            return self._cached(target, "the H3C is busy; no fresh answer")
        try:
            if not self.cloud.lock.acquire(timeout=self.lock_timeout):
                return self._cached(target, "the Alibaba API is busy; no fresh answer")
            try:
                with self._lock:
                    rep = self._check_path(target, port, trigger)
                    self._gate_cache[target] = rep
                    return rep
            finally:
                self.cloud.lock.release()
        finally:
            self.router.lock.release()

    # -- inspection ----------------------------------------------------------------------------------
    def peer_state(self, connection_id: str, tunnel_id: Optional[str] = None) -> Optional[PeerState]:
        """The model's view of one connection (single) or tunnel (dual), synced to now."""
        with self.router.lock, self.cloud.lock, self._lock:
            self._sync_all(mutate=not self._router_busy)
            rec = self._records.get((connection_id, tunnel_id))
            if rec is None:
                return None
            now = self.cloud.now()
            return PeerState(connection_id, tunnel_id, rec.alibaba_ip, rec.status(now), rec.reason(),
                             rec.ike_up and rec.ike_at <= now,
                             tuple(p for p, c in rec.children.items() if c.at <= now))

    def sync(self) -> None:
        """Apply everything due now on both ends (the router's tick does this on every display/ping)."""
        with self.router.lock, self.cloud.lock, self._lock:
            self._sync_all(mutate=not self._router_busy)

    # ==============================================================================================
    # internals: addresses
    # ==============================================================================================

    def _public_addrs(self) -> set[str]:
        """Addresses Alibaba may know the router by (its customer gateway). Router lock held."""
        if self.router_public_ip:
            return {self.router_public_ip}
        return set(a for a in local_addresses(self.router.config) if not a.startswith("127."))

    def _seen(self, local_address: str) -> str:
        return self.router_public_ip or local_address

    def _router_endpoint(self, cp: _CloudPeer) -> tuple[Optional[Interface], str, str]:
        """(interface, its address, why-not) where Alibaba's packets for ``cp`` land on the router."""
        cfg = self.router.config
        if self.router_public_ip:
            if cp.cgw_ip != self.router_public_ip:
                return None, "", f"the customer gateway {cp.cgw_ip} is not the H3C's public address"
            r = lookup(cfg, cp.alibaba_ip)
            itf = cfg.interfaces.get(r.iface.lower()) if r else None
            if itf is None or not itf.ip:
                return None, "", f"the H3C has no route to {cp.alibaba_ip}"
            return itf, itf.ip[0], ""
        for itf in cfg.interfaces.values():
            if itf.ip and itf.ip[0] == cp.cgw_ip and not itf.shutdown:
                return itf, itf.ip[0], ""
        return None, "", f"no interface of the H3C holds the customer-gateway address {cp.cgw_ip}"

    def _router_local(self, cp: _CloudPeer) -> Optional[str]:
        itf, ip, _ = self._router_endpoint(cp)
        return ip if itf is not None else None

    # ==============================================================================================
    # internals: synchronisation
    # ==============================================================================================

    def _region(self, settle: bool) -> RegionState:
        region = self.cloud.region(self.region)
        if settle:
            region.settle(self.cloud.now())
        return region

    def _on_router_tick(self, dev: "SimulatedH3C") -> None:
        if self._syncing or self._router_busy:
            return
        with self.cloud.lock, self._lock:
            self._sync_all(mutate=True)

    def _sync_all(self, mutate: bool, region: Optional[RegionState] = None) -> dict:
        """Bring every record in line with the cloud's state (router and sim locks held)."""
        if self._syncing:
            return {cp.key: cp for cp in _cloud_peers(region or self._region(False))}
        self._syncing = True
        try:
            region = region or self._region(settle=True)
            now = self.cloud.now()
            self._router_addrs = self._public_addrs()
            if mutate:
                self._flush_drops()
            cps = {cp.key: cp for cp in _cloud_peers(region) if cp.cgw_ip in self._router_addrs}
            for key, rec in list(self._records.items()):
                if key not in cps:
                    self._teardown(rec, now, "the connection was deleted or no longer points at the H3C", mutate)
                    del self._records[key]
            for cp in cps.values():
                self._sync_peer(cp, now, mutate=mutate, read_router=True)
            return cps
        finally:
            self._syncing = False

    def _record(self, cp: _CloudPeer) -> _Record:
        rec = self._records.get(cp.key)
        if rec is None:
            rec = self._records[cp.key] = _Record(cp.key, cp.alibaba_ip, cp.cgw_ip)
        return rec

    def _sync_peer(self, cp: _CloudPeer, now: float, *, mutate: bool, read_router: bool) -> _Record:
        rec = self._record(cp)
        fp = cp.fingerprint()
        if rec.fingerprint != fp:
            first = rec.fingerprint is None
            old_applied = rec.fingerprint[0] if rec.fingerprint else None
            if not first:
                why = ("the connection configuration changed" if cp.active or cp.state == "updating"
                       else f"the connection is {('FinancialLocked' if cp.locked else cp.state)}")
                self._teardown(rec, now, why, mutate)
            rec.fingerprint = fp
            rec.alibaba_ip, rec.cgw_ip = cp.alibaba_ip, cp.cgw_ip
            rec.p1_failure = None
            rec.p2_failures.clear()
            rec.missing_since = None
            if cp.active and cp.effect_immediately:
                base = cp.applied_at if (first or cp.applied_at != old_applied) else now
                rec.next_attempt = base + self.delays.initiate
            else:
                rec.next_attempt = None
        if not cp.active:
            return rec
        down_since = [self._down[ip] for ip in (cp.alibaba_ip, cp.cgw_ip) if ip in self._down]
        # Alibaba's DPD: the router lost its SAs without telling (reboot, path down)
        if rec.has_sas() and (read_router or down_since):
            if down_since or not self._router_has_sas(cp):
                if rec.missing_since is None:
                    rec.missing_since = min(down_since) if down_since else now
                if cp.enable_dpd and now - rec.missing_since >= self.delays.dpd_dead:
                    rec.add(rec.missing_since + self.delays.dpd_dead, "ERROR", "isakmp_inf.c:1530",
                            f"DPD: remote (ISAKMP-SA spi={rec.ike_spi or _cookie(self._rng)}) seems to be dead "
                            f"(DPD timeout). {self._ends(cp)}")
                    self._teardown(rec, now, "DPD timeout", mutate, log_reason=False)
                    rec.p1_failure = _Failure(1, DPD_DEAD, f"peer not responding (DPD timeout on {cp.alibaba_ip})", now)
            else:
                rec.missing_since = None
        if cp.effect_immediately and rec.next_attempt is None and not rec.fully_up(cp):
            rec.next_attempt = now + self.delays.initiate
        if (mutate and cp.effect_immediately and rec.next_attempt is not None and now >= rec.next_attempt
                and not rec.fully_up(cp)):
            t = rec.next_attempt
            if now - t >= self.delays.retry > 0:
                t += ((now - t) // self.delays.retry) * self.delays.retry
            self._alibaba_initiate(rec, cp, t, now)
        if rec.fully_up(cp):
            rec.next_attempt = None
        return rec

    def _router_has_sas(self, cp: _CloudPeer) -> bool:
        local = self._router_local(cp)
        rt = self.router.runtime
        return any(s.remote_ip == cp.alibaba_ip and s.flag == "RD" and (local is None or s.local_ip == local)
                   for s in rt.ike_sas) or \
            any(sa.remote_ip == cp.alibaba_ip and (local is None or sa.local_ip == local) for sa in rt.ipsec_sas)

    def _teardown(self, rec: _Record, now: float, why: str, mutate: bool, log_reason: bool = True) -> None:
        """Alibaba deletes its SAs for this peer (and tells the router)."""
        if not rec.has_sas():
            return
        if log_reason:
            rec.add(now, "INFO", "isakmp_inf.c:1412", f"purging all SAs of {rec.alibaba_ip}: {why}")
        for c in rec.children.values():
            rec.add(now, "INFO", "isakmp_inf.c:1435", f"purged IPsec-SA proto_id=ESP spi={c.spi_in}.")
        if rec.ike_up:
            rec.add(now, "INFO", "isakmp_inf.c:1461", f"purged ISAKMP-SA spi={rec.ike_spi}.")
        rec.ike_up = False
        rec.children.clear()
        rec.missing_since = None
        rt = self.router.runtime
        drop = (rec.alibaba_ip, None, rt.next_conn_id, rt.next_tunnel_id, f"Deleted by the peer ({why})")
        if mutate:
            self._drop_router(drop)
        else:
            self._pending_drops.append(drop)

    def _drop_router(self, drop: tuple[str, Optional[str], int, int, str]) -> None:
        remote, local, conn_mark, tunnel_mark, reason = drop
        rt = self.router.runtime
        if rt.next_conn_id < conn_mark or rt.next_tunnel_id < tunnel_mark:
            return  # the runtime was reset (reboot): nothing of that age is left
        self.router.drop_peer_sas(remote, local, reason, older_than=(conn_mark, tunnel_mark))

    def _flush_drops(self) -> None:
        drops, self._pending_drops = self._pending_drops, []
        for d in drops:
            self._drop_router(d)

    def _ends(self, cp: _CloudPeer, nat: bool = False) -> str:
        port = 4500 if nat else 500
        return f"{cp.alibaba_ip}[{port}]<=>{cp.cgw_ip}[{port}]"

    # ==============================================================================================
    # the router initiates (Peer.negotiate)
    # ==============================================================================================

    def _timeout(self, reason: str) -> NegotiationResult:
        return NegotiationResult(Phase1Result(False, TIMEOUT, reason, responded=False), reason=reason)

    def _negotiate(self, offer: Offer) -> NegotiationResult:
        cps = self._sync_all(mutate=False, region=self._region(settle=True))
        now = self.cloud.now()
        seen = self._seen(offer.local_address)
        if offer.remote_address in self._down or seen in self._down:
            return self._timeout("Peer did not respond")
        cands = [cp for cp in cps.values() if cp.alibaba_ip == offer.remote_address]
        if not cands:
            region = self._region(False)
            known = any(cp.alibaba_ip == offer.remote_address for cp in _cloud_peers(region)) or any(
                offer.remote_address in (g.internet_ip, g.disaster_recovery_internet_ip)
                for g in region.gateways.values())
            return self._timeout(f"Packets from unknown gateway {seen} ignored" if known else "Peer did not respond")
        cp = next((c for c in cands if c.cgw_ip == seen), None)
        if cp is None:
            return self._timeout(f"Packets from unknown gateway {seen} ignored")
        rec = self._record(cp)
        if not cp.active:
            return self._timeout(f"{cp.describe()} is {'FinancialLocked' if cp.locked else cp.state}")
        if offer.existing_ike_sa and not rec.ike_up:
            # the router reuses an IKE SA Alibaba no longer knows: quick mode goes unanswered
            rec.add(now, "WARNING", "isakmp.c:1340",
                    f"unknown ISAKMP-SA referenced by {seen}[500], ignored (stale SA on the peer)")
            return self._timeout("Quick mode for an IKE SA the peer no longer has")
        st = _Stamps(now)
        sp = cp.static_peer(seen, offer.local_address, self._rng.randrange(1 << 30))
        res = sp.negotiate(offer)
        p1 = res.phase1
        nat = seen != offer.local_address
        ends = self._ends(cp, nat)
        mode = "Aggressive" if (offer.mode == "aggressive") else "Identity Protection"
        if not p1.ok and p1.code == IDENTITY_MISMATCH and offer.version == "ikev1" and offer.mode != "aggressive" \
                and offer.psk != sp.psk:
            # main mode authenticates before the ID can even be read
            p1 = Phase1Result(False, AUTH_FAILED, "Pre-shared key mismatch (authentication failed)", responded=False)
            res = NegotiationResult(p1, reason=p1.reason)
        v2 = offer.version == "ikev2"
        if not offer.existing_ike_sa:
            if v2:
                rec.add(st(now), "INFO", "ikev2.c:3475", f"respond new IKE_SA_INIT exchange: {ends}")
            else:
                rec.add(st(now), "INFO", "isakmp.c:1378", f"respond new phase 1 negotiation: {ends}")
                rec.add(st(now), "INFO", "isakmp.c:1383", f"begin {mode} mode.")
        t1 = now + self.delays.phase1
        if not p1.ok:
            reason = self._p1_reason_initiator(p1.code or "", offer, sp, p1.reason, cp)
            self._log_p1_failure(rec, st, cp, t1, p1.code or "", reason, ends, responder=True, offer=offer)
            if not offer.existing_ike_sa:
                rec.p1_failure = _Failure(1, p1.code or "", reason, t1)
            return res
        # phase 1 up on Alibaba; will the router accept Alibaba's identity?
        if not offer.existing_ike_sa and offer.expected_remote_ids and \
                not _remote_matches(offer.expected_remote_ids, p1.responder_id):
            reason = (f"ID mismatch: the H3C's match remote identity does not accept Alibaba's LocalId "
                      f"{p1.responder_id.value if p1.responder_id else '?'}")
            rec.add(st(t1), "ERROR", "isakmp_inf.c:1082",
                    f"notification INVALID-ID-INFORMATION received from {cp.cgw_ip}[{4500 if nat else 500}]: {reason}")
            rec.p1_failure = _Failure(1, PEER_ID_REJECTED, reason, t1)
            return res
        if not offer.existing_ike_sa or not rec.ike_up:
            rec.ike_up, rec.ike_at = True, t1
            rec.ike_spi = f"{_cookie(self._rng)}:{_cookie(self._rng)}"
            rec.add(st(t1), "INFO", "ikev2.c:3630" if v2 else "isakmp.c:2737",
                    f"{'IKE_SA' if v2 else 'ISAKMP-SA'} established {ends.replace('<=>', '-')} spi:{rec.ike_spi}")
        rec.p1_failure = None
        p2o, p2 = offer.phase2, res.phase2
        if p2o is None or p2 is None:
            return res
        pair = (p2o.selector.remote, p2o.selector.local)
        t2 = t1 + self.delays.phase2
        rec.add(st(t1), "INFO", "ikev2.c:3520" if v2 else "isakmp.c:1560",
                f"respond new {'CREATE_CHILD_SA exchange' if v2 else 'phase 2 negotiation'}: {ends}")
        if not p2.ok:
            reason = self._p2_reason_initiator(p2.code or "", offer, sp, p2.reason)
            self._log_p2_failure(rec, st, t2, p2.code or "", reason, pair, responder=True)
            rec.p2_failures[pair] = _Failure(2, p2.code or "", reason, t2)
            return res
        spi_in = p2.peer_spi or _spi(self._rng)
        passes = not nat or cp.enable_nat_traversal
        rec.children[pair] = _Child(pair, spi_in, None, t2, passes)
        rec.p2_failures.pop(pair, None)
        self._log_child_up(rec, st, t2, cp, nat, spi_in, None)
        return res

    # ==============================================================================================
    # data (Peer.deliver) and deletes (Peer.notify_delete)
    # ==============================================================================================

    def _find_by_spi(self, cps: dict, remote: str, spi: Optional[int]
                     ) -> tuple[Optional[_CloudPeer], Optional[_Record], Optional[_Child]]:
        for key, rec in self._records.items():
            if rec.alibaba_ip != remote:
                continue
            for c in rec.children.values():
                if spi is not None and c.spi_in == spi:
                    return cps.get(key), rec, c
        return None, None, None

    def _deliver(self, packet: DataPacket) -> bool:
        cps = self._sync_all(mutate=False, region=self._region(settle=True))
        now = self.cloud.now()
        region = self._region(False)
        seen = self._seen(packet.local_address) if packet.local_address else ""
        if seen in self._down or packet.remote_address in self._down:
            return False
        if packet.kind == "dpd":
            for key, rec in self._records.items():
                cp = cps.get(key)
                if cp and rec.alibaba_ip == packet.remote_address and rec.cgw_ip == seen and rec.ike_up and cp.active:
                    return True
            return False
        if not packet.via_tunnel:
            # clear text: only the gateways' public addresses answer (VPC addresses are private)
            return any(packet.dst in (g.internet_ip, g.disaster_recovery_internet_ip) and
                       g.business_status != "FinancialLocked" for g in region.gateways.values())
        cp, rec, child = self._find_by_spi(cps, packet.remote_address, packet.out_spi)
        if cp is None or rec is None or child is None:
            return False  # stale SA: Alibaba no longer knows this SPI
        if not cp.active or not child.passes or not packet.nat_exempt:
            return False
        if not self._vpc_host(region, cp, packet.dst):
            return False
        gw = region.gateways.get(cp.gateway_id)
        if gw is None or self._vpc_route_problem(region, gw, packet.src, child.pair[1]) is not None:
            return False
        # the reply leaves through the tunnel Alibaba prefers for this pair
        carrier = self._carrier([c for c in cps.values() if c.conn_id == cp.conn_id], child.pair, now)
        return carrier is not None

    def _notify_delete(self, notice: DeleteNotice) -> None:
        now = self.cloud.now()
        cps = {cp.key: cp for cp in _cloud_peers(self._region(False))}
        seen = self._seen(notice.local_address)
        if notice.remote_address in self._down or seen in self._down:
            return  # the delete notification is lost on the way; Alibaba's DPD will notice
        for key, rec in self._records.items():
            if rec.alibaba_ip != notice.remote_address or rec.cgw_ip != seen:
                continue
            cp = cps.get(key)
            if notice.kind == "ike":
                if rec.ike_up:
                    rec.add(now, "INFO", "isakmp_inf.c:1020",
                            f"ISAKMP-SA deleted {rec.alibaba_ip}[500]-{rec.cgw_ip}[500] spi:{rec.ike_spi} "
                            f"(delete notification from the peer)")
                    rec.ike_up = False
            else:
                gone = [p for p, c in rec.children.items() if c.spi_in in notice.spis or
                        (c.spi_out is not None and c.spi_out in notice.spis)]
                for p in gone:
                    c = rec.children.pop(p)
                    rec.add(now, "INFO", "isakmp_inf.c:1435",
                            f"purged IPsec-SA proto_id=ESP spi={c.spi_in} (delete notification from the peer).")
            if cp is not None and cp.effect_immediately and cp.active and not rec.fully_up(cp) \
                    and rec.next_attempt is None:
                rec.next_attempt = now + self.delays.initiate

    # ==============================================================================================
    # Alibaba initiates (EffectImmediately, or traffic from the VPC)
    # ==============================================================================================

    def _alibaba_initiate(self, rec: _Record, cp: _CloudPeer, t: float, now: float,
                          pairs: Optional[list[Pair]] = None) -> None:
        """One Alibaba-initiated attempt at time ``t`` (router lock held, router mutations allowed)."""
        rec.last_attempt = t
        rec.next_attempt = t + self.delays.retry
        st = _Stamps(t)
        sp = cp.static_peer(cp.cgw_ip, None, 0)
        v2 = sp.ike_version == "ikev2"
        want = [p for p in (pairs or cp.pairs()) if p not in rec.children]
        down = cp.alibaba_ip in self._down or cp.cgw_ip in self._down
        existing = None if (down or not rec.ike_up) else self._p1_existing(cp, sp)
        if rec.ike_up and existing is None and not down:
            rec.ike_up = False  # the router no longer has the IKE SA: Alibaba's is stale, start over
        need_p1 = not rec.ike_up
        ends = self._ends(cp)
        if need_p1:
            if v2:
                rec.add(st(t), "INFO", "ikev2.c:3361", f"initiate new IKE_SA_INIT exchange: {ends}")
                rec.add(st(t), "DEBUG", "ikev2_sa_init.c:712", "sending IKE_SA_INIT request")
            else:
                mode = "Identity Protection" if sp.ike_mode == "main" else "Aggressive"
                rec.add(st(t), "INFO", "isakmp.c:1116", f"initiate new phase 1 negotiation: {ends}")
                rec.add(st(t), "INFO", "isakmp.c:1121", f"begin {mode} mode.")
        if down:
            p1 = _P1(False, False, TIMEOUT, f"peer not responding ({cp.cgw_ip} is unreachable)")
        else:
            p1 = existing if existing is not None else self._respond_p1(cp, sp)
        ends = self._ends(cp, p1.nat)
        t1 = t + self.delays.phase1
        if need_p1 and not p1.ok:
            if p1.router_reason and not down:
                self._router_p1_fail(cp, p1, sp)
            at = t + self.delays.timeout if not p1.responded else t1
            self._log_p1_failure(rec, st, cp, at, p1.code, p1.reason, ends, responder=False)
            rec.p1_failure = _Failure(1, p1.code, p1.reason, at)
            return
        if not p1.ok:  # phase 1 is up on Alibaba's side, the quick mode goes unanswered
            at = t + self.delays.timeout
            for pair in want:
                rec.add(st(t), "INFO", "ikev2.c:3509" if v2 else "isakmp.c:1230",
                        f"initiate new {'CREATE_CHILD_SA exchange' if v2 else 'phase 2 negotiation'}: {ends}")
                rec.add(st(at), "ERROR", "isakmp.c:2037", f"phase2 negotiation failed due to time up. {ends}")
                rec.add(st(at), "ERROR", "isakmp.c:2040", p1.reason)
                rec.p2_failures[pair] = _Failure(2, p1.code or TIMEOUT, p1.reason, at)
            return
        if need_p1:
            rec.ike_up, rec.ike_at = True, t1
            rec.ike_spi = f"{_cookie(self._rng)}:{_cookie(self._rng)}"
            rec.add(st(t1), "INFO", "ikev2.c:3630" if v2 else "isakmp.c:2737",
                    f"{'IKE_SA' if v2 else 'ISAKMP-SA'} established {ends.replace('<=>', '-')} spi:{rec.ike_spi}")
            rec.p1_failure = None
        children: list[ResponderChild] = []
        t2 = t1 + self.delays.phase2
        for pair in want:
            rec.add(st(t1), "INFO", "ikev2.c:3509" if v2 else "isakmp.c:1230",
                    f"initiate new {'CREATE_CHILD_SA exchange' if v2 else 'phase 2 negotiation'}: {ends}")
            r2 = self._respond_p2(cp, sp, p1, pair)
            if not r2.ok:
                self._log_p2_failure(rec, st, t2, r2.code, r2.reason, pair, responder=False)
                rec.p2_failures[pair] = _Failure(2, r2.code, r2.reason, t2)
                self.router.log("IKE", 6, "IKE_P2_SA_ESTABLISH_FAIL",
                                f"Failed to establish phase 2 SA in IKE_P2_STATE_INIT state. Reason: "
                                f"{self._router_p2_text(r2)}. SA information: Role: Responder Local address: "
                                f"{p1.local_ip} Remote address: {cp.alibaba_ip} Sour addr: {pair[1]} Port: 0 "
                                f"Protocol: IP Dest addr: {pair[0]} Port: 0 Protocol: IP Inside VPN instance: "
                                f"Outside VPN instance:")
                continue
            assert r2.entry is not None and p1.itf is not None
            spi_router_in, spi_router_out = _spi(self._rng), _spi(self._rng)
            children.append(ResponderChild(p1.itf.name, r2.entry.name, r2.entry.seq, _flow(pair[1]), _flow(pair[0]),
                                           r2.encryption, r2.integrity, r2.pfs, r2.lifetime_s, r2.lifetime_kb,
                                           spi_router_in, spi_router_out))
            rec.children[pair] = _Child(pair, spi_router_out, spi_router_in, t2, p1.nat_t_ok)
            rec.p2_failures.pop(pair, None)
            self._log_child_up(rec, st, t2, cp, p1.nat, spi_router_out, spi_router_in)
        assert p1.proposal is not None and p1.router_id is not None
        ike = ResponderIke(sp.ike_version, p1.local_ip, cp.alibaba_ip, p1.profile, p1.router_id,
                           _identity(cp.ike.local_id or cp.alibaba_ip), p1.proposal, p1.lifetime,
                           "main" if v2 else sp.ike_mode, p1.nat, p1.dpd)
        if need_p1 or children:
            self.router.install_responder_sa(ike, children)
        if rec.fully_up(cp):
            rec.next_attempt = None

    # -- the H3C as responder: phase 1 ---------------------------------------------------------------
    def _p1_existing(self, cp: _CloudPeer, sp: StaticPeer) -> Optional[_P1]:
        """Phase 2 under an IKE SA both ends already have: what the router's RD row says (None when
        the router has no such IKE SA), or a time-out when the router cannot be reached any more."""
        itf, local_ip, why = self._router_endpoint(cp)
        if itf is None:
            return _P1(False, False, TIMEOUT, f"peer not responding: {why}")
        sa = next((s for s in self.router.runtime.ike_sas if s.flag == "RD" and s.remote_ip == cp.alibaba_ip
                   and s.local_ip == local_ip and s.version == sp.ike_version), None)
        if sa is None:
            return None
        r = lookup(self.router.config, cp.alibaba_ip)
        if r is None or r.iface != itf.name:
            return _P1(False, False, TIMEOUT,
                       f"peer not responding: the H3C has no route back to {cp.alibaba_ip} out of {itf.name}")
        nat = self.router_public_ip is not None and self.router_public_ip != local_ip
        return _P1(True, itf=itf, local_ip=local_ip, profile=sa.profile, nat=nat,
                   nat_t_ok=not nat or cp.enable_nat_traversal, lifetime=sa.lifetime,
                   proposal=IkeProposalOffer(sa.encryption, sa.authentication, sa.dh, sa.lifetime, sa.method),
                   router_id=Identity("fqdn" if sa.local_id[0] == "FQDN" else "address", sa.local_id[1]))

    def _respond_p1(self, cp: _CloudPeer, sp: StaticPeer) -> _P1:
        dev = self.router
        cfg = dev.config
        itf, local_ip, why = self._router_endpoint(cp)
        if itf is None:
            return _P1(False, False, TIMEOUT, f"peer not responding: {why}")
        r = lookup(cfg, cp.alibaba_ip)
        if r is None or r.iface != itf.name:
            return _P1(False, False, TIMEOUT,
                       f"peer not responding: the H3C has no route back to {cp.alibaba_ip} out of {itf.name}")
        if not itf.ipsec_policy:
            return _P1(False, False, TIMEOUT,
                       f"peer not responding: no IPsec policy is applied on {itf.name} ({local_ip}), "
                       f"so the H3C does not answer IKE from {cp.alibaba_ip}")
        nat = self.router_public_ip is not None and self.router_public_ip != local_ip
        base = _P1(False, itf=itf, local_ip=local_ip, nat=nat, nat_t_ok=not nat or cp.enable_nat_traversal)
        if dev.dialect == "v5":
            return self._respond_p1_v5(cp, sp, base)
        if sp.ike_version == "ikev2":
            return self._respond_p1_v2(cp, sp, base)
        return self._respond_p1_v1(cp, sp, base)

    def _fail(self, base: _P1, code: str, reason: str, router_reason: Optional[str], responded: bool = True) -> _P1:
        base.ok, base.code, base.reason = False, code, reason
        base.router_reason, base.responded = router_reason, responded
        return base

    def _ike_candidates(self) -> list[IkeProposalOffer]:
        cfg = self.router.config
        out = [IkeProposalOffer(p.encryption, p.authentication, p.dh, p.duration, p.method, label=str(n))
               for n, p in sorted(cfg.ike_proposals.items())]
        d = DEFAULT_IKE_PROPOSAL
        out.append(IkeProposalOffer(d["encryption"], d["authentication"], d["dh"], d["duration"], d["method"],
                                    label="default"))
        return out

    def _match_proposal(self, sp: StaticPeer) -> tuple[Optional[IkeProposalOffer], str]:
        cands = self._ike_candidates()
        want = (sp.ike_encryption, sp.ike_integrity, sp.ike_dh)
        for p in cands:
            if (p.encryption, p.integrity, p.dh) == want and p.method == "pre-share":
                return p, ""
        return None, self._proposal_detail(cands, sp)

    @staticmethod
    def _proposal_detail(cands: list, sp: StaticPeer) -> str:
        want = {"encryption": sp.ike_encryption, "integrity": sp.ike_integrity, "DH": sp.ike_dh}

        def fields(p) -> dict:
            if isinstance(p, Ikev2ProposalOffer):
                return {"encryption": "/".join(p.encryption), "integrity": "/".join(p.integrity),
                        "DH": "/".join(p.dh)}
            return {"encryption": p.encryption, "integrity": p.integrity, "DH": p.dh}

        def score(p) -> int:
            f = fields(p)
            return sum(1 for k, v in want.items() if v in f[k].split("/"))

        if not cands:
            return "the H3C offers no proposal"
        best = max(cands, key=score)
        f = fields(best)
        diffs = [f"{k} {f[k]} (H3C) vs {v} (Alibaba)" for k, v in want.items() if v not in f[k].split("/")]
        label = f" {best.label}" if getattr(best, "label", "") else ""
        return f"closest H3C proposal{label}: " + ", ".join(diffs or ["authentication method"])

    def _profiles(self, local_ip: str, itf: Interface) -> list:
        cfg = self.router.config
        profs = [p for p in cfg.ike_profiles.values()
                 if p.match_local_address in (None, local_ip, itf.name)]
        return sorted(profs, key=lambda p: p.priority or 100)

    def _psk_for(self, keychain_names: Optional[list[str]], ali_ip: str, local_ip: str,
                 itf: Interface) -> Optional[str]:
        cfg = self.router.config
        names = keychain_names if keychain_names else list(cfg.ike_keychains)
        best = None
        for n in names:
            kc = cfg.ike_keychains.get(n.lower())
            if kc is None or (kc.match_local_address and kc.match_local_address not in (local_ip, itf.name)):
                continue
            for key in kc.keys:
                if key.address and in_prefix(ali_ip, key.address, key.plen) and (best is None or key.plen > best.plen):
                    best = key
        if best is None:
            return None
        return decrypt_psk(best.cipher, self.router.psk_secret) or "\x00undecryptable"

    def _router_id(self, prof_identity: Optional[tuple[str, str]], local_ip: str) -> Identity:
        cfg = self.router.config
        if prof_identity:
            return _h3c_identity(*prof_identity, cfg.sysname)
        if cfg.ike_identity:
            return _h3c_identity(*cfg.ike_identity, cfg.sysname)
        return Identity("address", local_ip)

    def _check_router_id(self, base: _P1, rid: Identity, cp: _CloudPeer) -> Optional[_P1]:
        expected = _identity(cp.ike.remote_id or cp.cgw_ip)
        if not rid.matches(expected):
            return self._fail(base, IDENTITY_MISMATCH,
                              f"ID mismatch: the H3C identifies as {_id_text(rid)} but Alibaba's RemoteId expects "
                              f"{_id_text(expected)}", None)
        return None

    def _respond_p1_v1(self, cp: _CloudPeer, sp: StaticPeer, base: _P1) -> _P1:
        cfg = self.router.config
        itf, local_ip = base.itf, base.local_ip
        assert itf is not None
        ali_id = _identity(cp.ike.local_id or cp.alibaba_ip)
        if not cfg.ike_keychains and cfg.ikev2_keychains:
            return self._fail(base, VERSION_MISMATCH,
                              "IKE version mismatch: Alibaba uses ikev1, the H3C only has IKEv2 configuration",
                              "Failed to find a matching IKE profile", responded=True)
        chosen, detail = self._match_proposal(sp)
        if chosen is None:
            return self._fail(base, NO_PROPOSAL_CHOSEN, f"no proposal chosen: {detail}",
                              "Failed to find a matching IKE proposal")
        profiles = self._profiles(local_ip, itf)
        prof = next((p for p in profiles if _remote_matches(p.match_remote, ali_id)), None)
        if sp.ike_mode == "aggressive":
            if profiles and prof is None:
                return self._fail(base, IDENTITY_MISMATCH,
                                  "ID mismatch: no IKE profile of the H3C matches Alibaba's LocalId "
                                  f"{_id_text(ali_id)}",
                                  "Failed to match the IKE profile (remote identity mismatch)")
            psk = self._psk_for(prof.keychains if prof else None, cp.alibaba_ip, local_ip, itf)
            if psk is None:
                return self._fail(base, NO_PSK,
                                  f"the H3C has no pre-shared key for {cp.alibaba_ip} (ike keychain "
                                  f"pre-shared-key address)", "Failed to get the pre-shared key", responded=False)
            if psk != sp.psk:
                return self._fail(base, AUTH_FAILED, "PSK mismatch: authentication failed (pre-shared keys differ)",
                                  "Failed to authenticate the peer (pre-shared key mismatch)")
        else:
            psk = self._psk_for(None, cp.alibaba_ip, local_ip, itf)
            if psk is None:
                return self._fail(base, NO_PSK,
                                  f"the H3C has no pre-shared key for {cp.alibaba_ip} (ike keychain "
                                  f"pre-shared-key address)", "Failed to get the pre-shared key", responded=False)
            if psk != sp.psk:
                return self._fail(base, AUTH_FAILED, "PSK mismatch: authentication failed (pre-shared keys differ)",
                                  "Failed to decrypt the packet (pre-shared key mismatch)", responded=False)
            if profiles and prof is None:
                return self._fail(base, IDENTITY_MISMATCH,
                                  "ID mismatch: no IKE profile of the H3C matches Alibaba's LocalId "
                                  f"{_id_text(ali_id)}",
                                  "Failed to match the IKE profile (remote identity mismatch)")
        if prof is not None and prof.exchange_mode != sp.ike_mode:
            return self._fail(base, MODE_MISMATCH,
                              f"exchange mode mismatch: H3C profile {prof.name} uses {prof.exchange_mode}, Alibaba "
                              f"{sp.ike_mode}", "Exchange mode mismatch")
        rid = self._router_id(prof.local_identity if prof else None, local_ip)
        bad = self._check_router_id(base, rid, cp)
        if bad is not None:
            return bad
        base.ok, base.profile, base.router_id = True, prof.name if prof else None, rid
        base.proposal = chosen
        base.lifetime = min(chosen.lifetime, cp.ike.ike_lifetime or 86400)
        d = prof.dpd if prof and prof.dpd else cfg.ike_dpd
        base.dpd = Dpd(d.interval, d.retry, d.mode) if d else None
        return base

    def _respond_p1_v2(self, cp: _CloudPeer, sp: StaticPeer, base: _P1) -> _P1:
        cfg = self.router.config
        itf, local_ip = base.itf, base.local_ip
        assert itf is not None
        if not cfg.ikev2_profiles and not cfg.ikev2_keychains:
            return self._fail(base, VERSION_MISMATCH,
                              "IKE version mismatch: Alibaba uses ikev2, the H3C has no IKEv2 configuration",
                              "Failed to find a matching IKEv2 profile")
        cands: list[Ikev2ProposalOffer] = []
        pols = sorted(cfg.ikev2_policies.values(), key=lambda p: p.priority or 100)
        for pol in pols:
            if pol.match_local_address and pol.match_local_address not in (local_ip, itf.name):
                continue
            for n in pol.proposals:
                p = cfg.ikev2_proposals.get(n.lower())
                if p is not None and p.encryption and p.integrity and p.dh:
                    cands.append(Ikev2ProposalOffer(tuple(p.encryption), tuple(p.integrity),
                                                    tuple(p.prf or p.integrity), tuple(p.dh), p.name))
        if not pols:
            d = IKEV2_DEFAULT
            cands.append(Ikev2ProposalOffer(tuple(d["encryption"]), tuple(d["integrity"]), tuple(d["prf"]),
                                            tuple(d["dh"]), "default"))
        prf = sp.ike_prf or sp.ike_integrity
        match = next((p for p in cands if sp.ike_encryption in p.encryption and sp.ike_integrity in p.integrity
                      and prf in p.prf and sp.ike_dh in p.dh), None)
        if match is None:
            return self._fail(base, NO_PROPOSAL_CHOSEN, "no proposal chosen: " + self._proposal_detail(cands, sp),
                              "Failed to find a matching IKEv2 proposal")
        ali_id = _identity(cp.ike.local_id or cp.alibaba_ip)
        prof = next((p for p in cfg.ikev2_profiles.values() if _remote_matches(p.match_remote, ali_id)), None)
        if prof is None:
            return self._fail(base, IDENTITY_MISMATCH,
                              f"ID mismatch: no IKEv2 profile of the H3C matches Alibaba's LocalId {_id_text(ali_id)}",
                              "Failed to match the IKEv2 profile (remote identity mismatch)")
        kc = cfg.ikev2_keychains.get((prof.keychain or "").lower())
        best = None
        for peer in (kc.peers.values() if kc else ()):
            if peer.address and in_prefix(cp.alibaba_ip, *peer.address) and \
                    (best is None or peer.address[1] > best.address[1]):
                best = peer
        if best is None or not best.psk_cipher:
            return self._fail(base, NO_PSK, f"the H3C has no IKEv2 pre-shared key for {cp.alibaba_ip}",
                              "Failed to get the pre-shared key")
        if decrypt_psk(best.psk_cipher, self.router.psk_secret) != sp.psk:
            return self._fail(base, AUTH_FAILED, "PSK mismatch: authentication failed (pre-shared keys differ)",
                              "AUTHENTICATION_FAILED (pre-shared key mismatch)")
        rid = self._router_id(prof.identity_local, local_ip) if prof.identity_local else Identity("address", local_ip)
        bad = self._check_router_id(base, rid, cp)
        if bad is not None:
            return bad
        lifetime = min(prof.sa_duration or 86400, cp.ike.ike_lifetime or 86400)
        base.ok, base.profile, base.router_id, base.lifetime = True, prof.name, rid, lifetime
        base.proposal = IkeProposalOffer(sp.ike_encryption, sp.ike_integrity, sp.ike_dh, lifetime, prf=prf,
                                         label=match.label)
        base.dpd = Dpd(prof.dpd.interval, prof.dpd.retry, prof.dpd.mode) if prof.dpd else None
        return base

    def _respond_p1_v5(self, cp: _CloudPeer, sp: StaticPeer, base: _P1) -> _P1:
        cfg = self.router.config
        if sp.ike_version != "ikev1":
            return self._fail(base, VERSION_MISMATCH, "IKE version mismatch: Comware V5 only speaks ikev1",
                              None, responded=False)
        chosen, detail = self._match_proposal(sp)
        if chosen is None:
            return self._fail(base, NO_PROPOSAL_CHOSEN, f"no proposal chosen: {detail}",
                              "Failed to find a matching IKE proposal")
        peer = next((p for p in cfg.ike_peers.values() if p.remote_address == cp.alibaba_ip), None)
        if peer is None or not peer.psk_cipher:
            return self._fail(base, NO_PSK, f"the H3C has no ike peer with a pre-shared key for {cp.alibaba_ip}",
                              "Failed to get the pre-shared key", responded=False)
        if decrypt_psk(peer.psk_cipher, self.router.psk_secret) != sp.psk:
            return self._fail(base, AUTH_FAILED, "PSK mismatch: authentication failed (pre-shared keys differ)",
                              "Failed to decrypt the packet (pre-shared key mismatch)", responded=False)
        if peer.exchange_mode != sp.ike_mode:
            return self._fail(base, MODE_MISMATCH,
                              f"exchange mode mismatch: H3C ike peer {peer.name} uses {peer.exchange_mode}, "
                              f"Alibaba {sp.ike_mode}", "Exchange mode mismatch")
        if peer.id_type == "ip":
            rid = Identity("address", peer.local_address or base.local_ip)
        else:
            rid = Identity("fqdn" if peer.id_type == "name" else "user-fqdn", cfg.ike_local_name or cfg.sysname)
            ali_id = _identity(cp.ike.local_id or cp.alibaba_ip)
            if peer.remote_name and not (ali_id.type != "address" and ali_id.value.lower() == peer.remote_name.lower()):
                return self._fail(base, IDENTITY_MISMATCH,
                                  f"ID mismatch: ike peer {peer.name} expects remote-name {peer.remote_name}, "
                                  f"Alibaba sends {_id_text(ali_id)}", "Remote identity mismatch")
        bad = self._check_router_id(base, rid, cp)
        if bad is not None:
            return bad
        if base.nat and not peer.nat_traversal:
            base.nat_t_ok = False
        base.ok, base.profile, base.router_id, base.proposal = True, peer.name, rid, chosen
        base.lifetime = min(chosen.lifetime, cp.ike.ike_lifetime or 86400)
        d5 = cfg.ike_dpds.get((peer.dpd or "").lower())
        base.dpd = Dpd(d5.interval_time, d5.time_out, "on-demand") if d5 else None
        return base

    # -- the H3C as responder: phase 2 ---------------------------------------------------------------
    def _respond_p2(self, cp: _CloudPeer, sp: StaticPeer, p1: _P1, pair: Pair) -> _P2:
        dev = self.router
        cfg = dev.config
        cloud_cidr, onprem_cidr = pair
        assert p1.itf is not None
        if not p1.itf.ipsec_policy:
            return _P2(pair, False, NO_POLICY, f"no IPsec policy is applied on {p1.itf.name} any more")
        v5 = dev.dialect == "v5"
        v2 = sp.ike_version == "ikev2"
        entries = []
        for e in cfg.policy_entries(p1.itf.ipsec_policy):
            if e.mode != "isakmp" or incomplete_reasons(dev, e):
                continue
            if v5:
                if (e.ike_peer or "").lower() != (p1.profile or "").lower():
                    continue
            else:
                if e.remote_address != cp.alibaba_ip:
                    continue
                if v2:
                    if (e.ikev2_profile or "").lower() != (p1.profile or "").lower():
                        continue
                else:
                    if e.ikev2_profile:
                        continue
                    if e.ike_profile and p1.profile and e.ike_profile.lower() != p1.profile.lower():
                        continue
            entries.append(e)
        if not entries:
            return _P2(pair, False, NO_POLICY,
                       f"no complete entry of IPsec policy {p1.itf.ipsec_policy} on {p1.itf.name} is for peer "
                       f"{cp.alibaba_ip}{' with IKE profile ' + p1.profile if p1.profile else ''}")
        onet = _net(onprem_cidr)
        cnet = _net(cloud_cidr)
        match: Optional[IpsecPolicyEntry] = None
        acls_seen = []
        for e in entries:
            acl = cfg.acls.get(e.acl) if e.acl is not None else None
            if acl is None:
                continue
            acls_seen.append(str(acl.number))
            rule = next((r for r in acl.ordered_rules()
                         if rule_matches(acl, r, str(onet.network_address), str(cnet.network_address), "ip")), None)
            if rule is not None and rule.action == "permit" and _rule_cidr(rule.source) == str(onet) \
                    and _rule_cidr(rule.destination) == str(cnet) and e.acl_mode != "per-host":
                match = e
                break
        if match is None:
            return _P2(pair, False, TS_UNACCEPTABLE,
                       f"traffic selector mismatch: no rule of H3C ACL {', '.join(acls_seen) or '(none)'} mirrors "
                       f"Alibaba's {cloud_cidr} <-> {onprem_cidr} (needs rule permit ip source {onprem_cidr} "
                       f"destination {cloud_cidr})")
        enc, integ = sp.ipsec_encryption, sp.ipsec_integrity
        h3c_pfs: Optional[str]
        if v5:
            props = [cfg.ipsec_proposals.get(n.lower()) for n in match.proposals]
            prop = next((p for p in props if p is not None and p.transform == "esp" and p.encapsulation == "tunnel"
                         and p.esp_encryption == enc and p.esp_authentication == integ), None)
            if prop is None:
                have = ", ".join(f"{p.esp_encryption}/{p.esp_authentication}" for p in props if p) or "none"
                return _P2(pair, False, NO_PROPOSAL_CHOSEN,
                           f"no proposal chosen (phase 2): H3C ESP {have} vs Alibaba {enc}/{integ}", entry=match)
            h3c_pfs = (match.pfs or "").replace("dh-", "") or None
        else:
            sets: list[TransformSet] = [cfg.transform_sets[n.lower()] for n in match.transform_sets
                                        if n.lower() in cfg.transform_sets and cfg.transform_sets[n.lower()].complete()]
            ts = next((s for s in sets if s.protocol == "esp" and s.encapsulation == "tunnel"
                       and (enc in (s.esp_encryption if v2 else s.esp_encryption[:1]))
                       and integ in s.esp_authentication), None)
            if ts is None:
                have = ", ".join(f"{'/'.join(s.esp_encryption[:1] if not v2 else s.esp_encryption)} "
                                 f"{'/'.join(s.esp_authentication)}" for s in sets) or "none"
                return _P2(pair, False, NO_PROPOSAL_CHOSEN,
                           f"no proposal chosen (phase 2): H3C transform set ESP {have} vs Alibaba {enc}/{integ}",
                           entry=match)
            h3c_pfs = ts.pfs.replace("dh-", "") if ts.pfs else None
        ali_pfs = sp.ipsec_pfs
        pfs = ali_pfs
        if h3c_pfs is not None:
            if ali_pfs is None:
                return _P2(pair, False, PFS_MISMATCH,
                           f"PFS mismatch: the H3C requires PFS {h3c_pfs}, Alibaba has IpsecPfs disabled", entry=match)
            if v2 and ali_pfs != h3c_pfs:
                return _P2(pair, False, PFS_MISMATCH, f"PFS mismatch: H3C {h3c_pfs} vs Alibaba {ali_pfs}", entry=match)
            if not v2 and DH_STRENGTH.get(ali_pfs, 0) < DH_STRENGTH.get(h3c_pfs, 0):
                return _P2(pair, False, PFS_MISMATCH,
                           f"PFS mismatch: Alibaba's {ali_pfs} is weaker than the H3C's {h3c_pfs}", entry=match)
        life = min(sp.ipsec_lifetime or 86400, match.sa_time or cfg.ipsec_global_time)
        return _P2(pair, True, entry=match, encryption=enc, integrity=integ, pfs=pfs, lifetime_s=life,
                   lifetime_kb=match.sa_traffic or cfg.ipsec_global_traffic)

    @staticmethod
    def _router_p2_text(r2: _P2) -> str:
        return {TS_UNACCEPTABLE: "Failed to match the ACL of the IPsec policy (INVALID_ID_INFORMATION)",
                NO_POLICY: "Failed to find a matching IPsec policy",
                NO_PROPOSAL_CHOSEN: "Failed to find a matching IPsec transform set (NO_PROPOSAL_CHOSEN)",
                PFS_MISMATCH: "PFS mismatch (NO_PROPOSAL_CHOSEN)"}.get(r2.code, r2.reason)

    def _router_p1_fail(self, cp: _CloudPeer, p1: _P1, sp: StaticPeer) -> None:
        mode = sp.ike_mode if sp.ike_version == "ikev1" else "main"
        ali_id = _identity(cp.ike.local_id or cp.alibaba_ip)
        id_type = {"address": "IPV4_ADDR", "fqdn": "FQDN"}.get(ali_id.type, ali_id.type.upper())
        if sp.ike_version == "ikev2":
            self.router.log("IKEV2", 6, "IKEV2_SA_ESTABLISH_FAIL",
                            f"Failed to establish IKEv2 SA. Reason: {p1.router_reason}. SA information: "
                            f"Role: Responder Local IP: {p1.local_ip} Remote IP: {cp.alibaba_ip}")
            return
        self.router.log("IKE", 6, "IKE_P1_SA_ESTABLISH_FAIL",
                        f"Failed to establish phase 1 SA in {mode} mode IKE_P1_STATE_INIT state. "
                        f"Reason: {p1.router_reason}. SA information: Role: Responder Local IP: {p1.local_ip} "
                        f"Local ID type:  Local ID:  Local port: 500 Retransmissions: 0 Remote IP: "
                        f"{cp.alibaba_ip} Remote ID type: {id_type} Remote ID: {ali_id.value} Remote port: 500 "
                        f"Received retransmissions: 0 Inside VPN instance: Outside VPN instance:")

    # -- reasons when the router initiated -----------------------------------------------------------
    def _p1_reason_initiator(self, code: str, offer: Offer, sp: StaticPeer, fallback: str, cp: _CloudPeer) -> str:
        if code == NO_PROPOSAL_CHOSEN:
            return "no proposal chosen: " + self._proposal_detail(list(offer.proposals), sp)
        if code == AUTH_FAILED:
            return "PSK mismatch: authentication failed (pre-shared keys differ)"
        if code == IDENTITY_MISMATCH:
            return (f"ID mismatch: the H3C identifies as {_id_text(offer.local_id)} but Alibaba's RemoteId expects "
                    f"{_id_text(_identity(cp.ike.remote_id or cp.cgw_ip))}")
        if code == MODE_MISMATCH:
            return f"exchange mode mismatch: the H3C uses {offer.mode}, Alibaba {sp.ike_mode}"
        if code == VERSION_MISMATCH:
            return f"IKE version mismatch: the H3C uses {offer.version}, Alibaba {sp.ike_version}"
        return fallback

    def _p2_reason_initiator(self, code: str, offer: Offer, sp: StaticPeer, fallback: str) -> str:
        p2 = offer.phase2
        assert p2 is not None
        if code == PFS_MISMATCH:
            return (f"PFS mismatch: the H3C offers {p2.pfs or 'no PFS'}, Alibaba requires "
                    f"{sp.ipsec_pfs or 'none'}")
        if code == TS_UNACCEPTABLE:
            return (f"traffic selector mismatch: the H3C proposes {p2.selector.local} -> {p2.selector.remote}, "
                    f"Alibaba protects {','.join(sp.local_subnets)} <-> {','.join(sp.remote_subnets)}")
        if code == NO_PROPOSAL_CHOSEN:
            return (f"no proposal chosen (phase 2): H3C ESP {p2.encryption[0] if p2.encryption else '?'}/"
                    f"{'/'.join(p2.integrity)} vs Alibaba {sp.ipsec_encryption}/{sp.ipsec_integrity}")
        return fallback

    # -- Alibaba's log lines -------------------------------------------------------------------------
    def _log_p1_failure(self, rec: _Record, st: _Stamps, cp: _CloudPeer, at: float, code: str, reason: str,
                        ends: str, *,
                        responder: bool, offer: Optional[Offer] = None) -> None:
        peer = ends.split("<=>")[1]
        v2 = cp.ike.ike_version == "ikev2"
        if code in (TIMEOUT, NO_PSK, DPD_DEAD) or (code == AUTH_FAILED and not responder and not v2
                                                    and cp.ike.ike_mode == "main"):
            if v2:
                rec.add(st(at), "ERROR", "ikev2.c:3416", f"IKE_SA_INIT timed out, peer not responding: {ends}")
                rec.add(st(at), "ERROR", "ikev2.c:3417", reason)
            else:
                rec.add(st(at), "ERROR", "isakmp.c:1745", f"phase1 negotiation failed due to time up. {ends}")
                if code == AUTH_FAILED:
                    rec.add(st(at), "ERROR", "isakmp.c:2879",
                            f"no answer to the authenticated exchange (message 5): {reason}")
                else:
                    rec.add(st(at), "ERROR", "isakmp.c:1751", reason if reason.startswith("peer not responding")
                            else f"peer not responding: {reason}")
            return
        if responder:
            if code == NO_PROPOSAL_CHOSEN:
                rec.add(st(at), "ERROR", "ipsec_doi.c:1235", f"no suitable proposal found: {reason}")
                rec.add(st(at), "ERROR", "isakmp.c:1469", "failed to pre-process ph1 packet (side: 1, status 1).")
            elif code == MODE_MISMATCH:
                mode = "Aggressive" if offer is not None and offer.mode == "aggressive" else "Identity Protection"
                rec.add(st(at), "ERROR", "isakmp.c:1010",
                        f"exchange {mode} not allowed in any applicable rmconf: {reason}")
            elif code == AUTH_FAILED:
                rec.add(st(at), "ERROR", "oakley.c:2418", "HASH mismatched")
                rec.add(st(at), "ERROR", "isakmp.c:2879", f"phase1 negotiation failed: {reason}. {ends}")
            elif code == IDENTITY_MISMATCH:
                rec.add(st(at), "ERROR", "ipsec_doi.c:3581", f"{reason}")
                rec.add(st(at), "ERROR", "isakmp.c:2879", f"phase1 negotiation failed: ID mismatch. {ends}")
            else:
                rec.add(st(at), "ERROR", "isakmp.c:2879", f"phase1 negotiation failed: {reason}. {ends}")
            return
        notify = {NO_PROPOSAL_CHOSEN: "NO-PROPOSAL-CHOSEN", MODE_MISMATCH: "NO-PROPOSAL-CHOSEN",
                  VERSION_MISMATCH: "NO-PROPOSAL-CHOSEN", AUTH_FAILED: "AUTHENTICATION-FAILED",
                  IDENTITY_MISMATCH: "INVALID-ID-INFORMATION"}.get(code, "PAYLOAD-MALFORMED")
        if code == IDENTITY_MISMATCH and "RemoteId" in reason:
            rec.add(st(at), "ERROR", "ipsec_doi.c:3561", f"mismatched ID was returned: {reason}")
        else:
            rec.add(st(at), "ERROR", "isakmp_inf.c:1082", f"notification {notify} received from {peer}: {reason}")
        rec.add(st(at), "ERROR", "ikev2.c:3402" if v2 else "isakmp.c:1745",
                f"{'IKE_SA_INIT' if v2 else 'phase1'} negotiation failed. {ends}")

    def _log_p2_failure(self, rec: _Record, st: _Stamps, at: float, code: str, reason: str, pair: Pair, *,
                        responder: bool) -> None:
        c, o = pair
        if responder:
            if code == TS_UNACCEPTABLE:
                rec.add(st(at), "ERROR", "isakmp_quick.c:2133",
                        f"policy not found: {c}[0] {o}[0] proto=any dir=out: {reason}")
                rec.add(st(at), "ERROR", "isakmp_quick.c:2138", "failed to get proposal for responder.")
            elif code == PFS_MISMATCH:
                rec.add(st(at), "ERROR", "proposal.c:318", f"pfs group mismatched: {reason}")
                rec.add(st(at), "ERROR", "isakmp_quick.c:2154", "no proposal chosen (phase 2): failed to get proposal.")
            else:
                rec.add(st(at), "ERROR", "proposal.c:1018", f"no suitable proposal found: {reason}")
            rec.add(st(at), "ERROR", "isakmp.c:1513", "failed to pre-process ph2 packet (side: 1, status: 1).")
            return
        notify = {TS_UNACCEPTABLE: "INVALID-ID-INFORMATION", NO_POLICY: "INVALID-ID-INFORMATION"}.get(
            code, "NO-PROPOSAL-CHOSEN")
        rec.add(st(at), "ERROR", "isakmp_inf.c:1082", f"notification {notify} received in phase 2: {reason}")
        rec.add(st(at), "ERROR", "isakmp.c:2059", f"phase2 negotiation failed. {c}<=>{o}")

    def _log_child_up(self, rec: _Record, st: _Stamps, at: float, cp: _CloudPeer, nat: bool, spi_in: int,
                      spi_out: Optional[int]) -> None:
        port = 4500 if nat else 500
        a, r = f"{cp.alibaba_ip}[{port}]", f"{cp.cgw_ip}[{port}]"
        rec.add(st(at), "INFO", "pfkey.c:1106", f"IPsec-SA established: ESP/Tunnel {r}->{a} spi={spi_in}(0x{spi_in:x})")
        if spi_out is not None:
            rec.add(st(at), "INFO", "pfkey.c:1106",
                    f"IPsec-SA established: ESP/Tunnel {a}->{r} spi={spi_out}(0x{spi_out:x})")

    # ==============================================================================================
    # the data path as seen from the cloud (gate / deliver)
    # ==============================================================================================

    def _vpc_host(self, region: RegionState, cp: _CloudPeer, ip: str) -> bool:
        if not any(_contains(c, ip) for c in cp.local_subnets):
            return False
        if self.cloud_hosts is not None:
            return ip in self.cloud_hosts
        vpc = region.vpcs.get(cp.vpc_id)
        if vpc is None:
            return False
        for v in vpc.vswitches:
            n = _net(v.cidr)
            if ipaddress.IPv4Address(ip) in n and ipaddress.IPv4Address(ip) not in (n.network_address,
                                                                                    n.broadcast_address):
                return True
        return False

    def _vpc_route_problem(self, region: RegionState, gw: VpnGateway, onprem_ip: str,
                           onprem_cidr: str) -> Optional[str]:
        vpc = region.vpcs.get(gw.vpc_id)
        if vpc is None:
            return f"the VPC {gw.vpc_id} of the VPN gateway does not exist"
        table = vpc.system_route_table
        best = _lpm(table.entries, onprem_ip)
        if best is None:
            return f"no VPC route for {onprem_cidr} (route table {table.route_table_id} has no entry for {onprem_ip})"
        if best.next_hop_type != "VpnGateway" or best.next_hop_id != gw.vpn_gateway_id:
            hop = f"{best.next_hop_type or best.type} {best.next_hop_id}".strip()
            return (f"the VPC route {best.destination_cidr_block} points to {hop or 'the VPC itself'}, "
                    f"not to the VPN gateway {gw.vpn_gateway_id}")
        if best.status != "Available":
            return (f"the VPC route {best.destination_cidr_block} -> {gw.vpn_gateway_id} is {best.status}, "
                    f"not Available")
        return None

    def _carrier(self, peers: list[_CloudPeer], pair: Pair, now: float) -> Optional[_CloudPeer]:
        """The tunnel Alibaba sends this pair through: the master while it carries it, else the slave."""
        order = sorted(peers, key=lambda c: {"single": 0, "master": 0, "slave": 1}.get(c.role, 2))
        for cp in order:
            rec = self._records.get(cp.key)
            if rec is None or not cp.active or cp.alibaba_ip in self._down or cp.cgw_ip in self._down:
                continue
            if pair in rec.children:  # usable at once; only Alibaba's reported Status lags
                return cp
        return None

    def _resolve_target(self, target: str) -> Optional[str]:
        if target in self._targets:
            return self._targets[target]
        if self._target_fn is not None:
            got = self._target_fn(target)
            if got:
                return got
        if is_ip(target):
            return target  # an on-prem address itself (the embedded lab's LAN may be a loopback /24)
        return None

    def _cached(self, target: str, why: str) -> PathReport:
        with self._lock:
            rep = self._gate_cache.get(target)
        if rep is not None:
            return rep
        return PathReport(Verdict.BLACKHOLE, why, target)

    def _check_path(self, target: str, port: Optional[int], trigger: bool) -> PathReport:
        dev, cfg = self.router, self.router.config
        onprem = self._resolve_target(target)
        if onprem is None:
            return PathReport(Verdict.BLACKHOLE, f"{target} is not mapped to an on-prem address", target)
        region = self._region(settle=True)
        cps = self._sync_all(mutate=trigger, region=region)
        now = self.cloud.now()
        T = onprem
        if not cps:
            return PathReport(Verdict.BLACKHOLE,
                              "no IPsec connection to the H3C (customer gateway "
                              f"{', '.join(sorted(self._router_addrs))})",
                              T)
        by_conn: dict[str, list[_CloudPeer]] = {}
        for cp in cps.values():
            by_conn.setdefault(cp.conn_id, []).append(cp)
        S = self.cloud_source
        conn_peers = None
        for peers in by_conn.values():
            cp0 = peers[0]
            if not any(_contains(o, T) for o in cp0.remote_subnets):
                continue
            src = S or _host(cp0.local_subnets[0])
            if any(_contains(c, src) for c in cp0.local_subnets):
                conn_peers, S = peers, src
                break
        if conn_peers is None:
            listing = "; ".join(f"{p[0].conn_id}: {','.join(p[0].local_subnets)} <-> {','.join(p[0].remote_subnets)}"
                                for p in by_conn.values())
            return PathReport(Verdict.BLACKHOLE,
                              f"no IPsec connection protects {S or 'the VPC'} <-> {T} ({listing})", T, S or "")
        assert S is not None
        cp0 = conn_peers[0]
        pair = cp0.pair_for(S, T)
        assert pair is not None
        cloud_cidr, onprem_cidr = pair
        mk = lambda v, why, cp=None: PathReport(  # noqa: E731
            v, why, T, S, cp0.conn_id, cp.tunnel_id if cp else None, cp.alibaba_ip if cp else None)
        gw = region.gateways.get(cp0.gateway_id)
        if gw is None:
            return mk(Verdict.BLACKHOLE, f"the VPN gateway {cp0.gateway_id} does not exist")
        problem = self._vpc_route_problem(region, gw, T, onprem_cidr)
        if problem is not None:
            return mk(Verdict.BLACKHOLE, problem)
        if gw.business_status == "FinancialLocked":
            return mk(Verdict.BLACKHOLE, f"the VPN gateway {gw.vpn_gateway_id} is FinancialLocked (overdue payment)")
        carrier = self._carrier(conn_peers, pair, now)
        if carrier is None and trigger:
            for cp in sorted(conn_peers, key=lambda c: c.role == "slave"):
                rec = self._records.get(cp.key)
                if rec is None or not cp.active or (cp.alibaba_ip in self._down):
                    continue
                if rec.last_attempt is not None and now - rec.last_attempt < self.delays.retry and \
                        (rec.p1_failure or pair in rec.p2_failures):
                    continue
                if pair not in rec.children:
                    self._alibaba_initiate(rec, cp, now, now, pairs=[pair])
                carrier = self._carrier(conn_peers, pair, now)
                if carrier is not None:
                    break
        if carrier is None:
            return mk(Verdict.BLACKHOLE, self._tunnel_reason(conn_peers, pair, now))
        rec = self._records[carrier.key]
        child = rec.children[pair]
        if not child.passes:
            return mk(Verdict.BLACKHOLE, f"NAT between the H3C and Alibaba but NAT traversal is disabled on "
                                         f"{carrier.describe()}: ESP cannot cross it", carrier)
        local = self._router_local(carrier)
        rsa = next((sa for sa in dev.runtime.ipsec_sas if sa.remote_ip == carrier.alibaba_ip
                    and (local is None or sa.local_ip == local) and sa.out_spi == child.spi_in), None)
        if rsa is None:
            return mk(Verdict.BLACKHOLE, f"the H3C has no IPsec SA for {onprem_cidr} <-> {cloud_cidr} with "
                                         f"{carrier.alibaba_ip} (stale SA on the Alibaba side)", carrier)
        # delivered to the H3C's LAN
        mine = local_addresses(cfg)
        if T in mine:
            if port is None or (port == 22 and cfg.ssh_server_enable):
                return mk(Verdict.OPEN, f"path complete: {S} -> the H3C itself ({T}) through {carrier.describe()}",
                          carrier)
            return mk(Verdict.REFUSE, f"the H3C itself ({T}) does not listen on port {port} (TCP reset)", carrier)
        fwd = lookup(cfg, T)
        if fwd is None or fwd.iface in ("NULL0", "InLoopBack0"):
            return mk(Verdict.BLACKHOLE, f"H3C has no route to {T}", carrier)
        if fwd.iface == rsa.interface:
            return mk(Verdict.BLACKHOLE, f"H3C routes {T} back out of {rsa.interface} (no LAN route to it)", carrier)
        # the reply T -> S
        back = lookup(cfg, S)
        if back is None or back.iface in ("NULL0", "InLoopBack0"):
            return mk(Verdict.BLACKHOLE, f"H3C has no route to {cloud_cidr}", carrier)
        egress = cfg.interfaces.get(back.iface.lower())
        if egress is None:
            return mk(Verdict.BLACKHOLE, f"H3C has no route to {cloud_cidr}", carrier)
        if not egress.ipsec_policy:
            if egress.name != rsa.interface:
                return mk(Verdict.BLACKHOLE, f"H3C routes {cloud_cidr} out of {egress.name}, not out of "
                                             f"{rsa.interface} which carries the IPsec policy", carrier)
            return mk(Verdict.BLACKHOLE, f"IPsec policy not applied on {egress.name} (the route to {cloud_cidr} "
                                         f"leaves there)", carrier)
        if not dev.engine.nat_exempt(egress, T, S):
            return mk(Verdict.BLACKHOLE, f"H3C translates {onprem_cidr} -> {cloud_cidr} with nat outbound on "
                                         f"{egress.name}: the NAT ACL needs a deny rule for the VPN flow", carrier)
        entry, rule = self._protecting(egress, T, S)
        if entry is None or rule is None:
            return mk(Verdict.BLACKHOLE, f"no ACL rule of IPsec policy {egress.ipsec_policy} matches {T} -> {S}: "
                                         f"the H3C sends the replies unencrypted", carrier)
        flow = (_flow(_rule_cidr(rule.source) or onprem_cidr), _flow(_rule_cidr(rule.destination) or cloud_cidr))
        esa = self._entry_sa(egress, entry, flow)
        if esa is None and trigger:
            dev.engine.echo(T, S, 1, 56)  # the reply itself makes the router negotiate that entry
            esa = self._entry_sa(egress, entry, flow)
        if esa is None:
            if entry.remote_address != carrier.alibaba_ip:
                other = next((cp for cp in conn_peers if cp.alibaba_ip == entry.remote_address), None)
                why = f" ({self._tunnel_reason([other], pair, now, prefix=False)})" if other is not None else ""
                return mk(Verdict.BLACKHOLE,
                          f"H3C sends {onprem_cidr} -> {cloud_cidr} through policy {entry.name} {entry.seq} (remote "
                          f"{entry.remote_address}), which has no IPsec SA{why}; Comware uses the first matching "
                          f"entry and does not fall back to the entry for {carrier.alibaba_ip}", carrier)
            return mk(Verdict.BLACKHOLE, f"H3C policy {entry.name} {entry.seq} has no IPsec SA for {onprem_cidr} -> "
                                         f"{cloud_cidr}", carrier)
        ok_back = False
        for key, r in self._records.items():
            cp = cps.get(key)
            if cp is None or r.alibaba_ip != esa.remote_ip or not cp.active or cp.alibaba_ip in self._down:
                continue
            if any(c.spi_in == esa.out_spi and c.passes for c in r.children.values()):
                ok_back = True
        if not ok_back:
            return mk(Verdict.BLACKHOLE, f"the H3C's SA to {esa.remote_ip} (policy {entry.name} {entry.seq}) is stale: "
                                         f"Alibaba no longer has it", carrier)
        via = carrier.describe()
        back_via = f"; replies via policy {entry.name} {entry.seq} ({esa.remote_ip})" \
            if esa.remote_ip != carrier.alibaba_ip else ""
        return mk(Verdict.OPEN, f"path complete: {S} -> {T} through {via}{back_via}", carrier)

    def _protecting(self, itf: Interface, src: str, dst: str):
        cfg = self.router.config
        for e in cfg.policy_entries(itf.ipsec_policy or ""):
            if incomplete_reasons(self.router, e):
                continue
            acl = cfg.acls.get(e.acl) if e.acl is not None else None
            if acl is None:
                continue
            rule = next((r for r in acl.ordered_rules() if rule_matches(acl, r, src, dst)), None)
            if rule is None or rule.action != "permit":
                continue
            return e, rule
        return None, None

    def _entry_sa(self, itf: Interface, e: IpsecPolicyEntry, flow: tuple):
        return next((sa for sa in self.router.runtime.ipsec_sas
                     if sa.interface == itf.name and sa.policy.lower() == e.name.lower() and sa.seq == e.seq
                     and (sa.flow_src, sa.flow_dst) == flow), None)

    def _tunnel_reason(self, peers: list[_CloudPeer], pair: Pair, now: float, prefix: bool = True) -> str:
        parts = []
        for cp in sorted(peers, key=lambda c: c.role == "slave"):
            rec = self._records.get(cp.key)
            if not cp.active:
                why = f"{cp.describe()} is {'FinancialLocked' if cp.locked else cp.state}"
            elif cp.alibaba_ip in self._down or cp.cgw_ip in self._down:
                why = f"{cp.describe()} is unreachable (peer not responding)"
            elif rec is None:
                why = f"{cp.describe()}: not negotiated"
            else:
                r = rec.reason(pair)
                if not r:
                    c = rec.children.get(pair)
                    if c is not None and c.at > now:
                        r = "negotiating"
                    elif cp.effect_immediately:
                        r = "not negotiated yet"
                    else:
                        r = "not negotiated yet (EffectImmediately=false: waiting for traffic)"
                why = f"{cp.describe()}: {r}"
            parts.append(why)
        return (f"tunnel down for {pair[0]} <-> {pair[1]}: " if prefix else "") + "; ".join(parts)
