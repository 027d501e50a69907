"""The peer seam: what the far end of the simulated H3C's IPsec tunnel answers.

The simulated router models its OWN side completely (route lookup, applied policy, ACL match,
profile/keychain/identity/transform selection, NAT exemption) and turns that into a plain-data
:class:`Offer`. Everything the *remote* gateway decides is behind the :class:`Peer` protocol:

* :meth:`Peer.negotiate` — given the router's offer (H3C is the initiator, triggered by traffic),
  return a :class:`NegotiationResult`: phase-1 outcome (chosen proposal, responder identity,
  lifetime, NAT detection), phase-2 outcome (chosen transform, PFS, lifetime, peer SPI) and whether
  data will pass, each with a machine-readable ``code`` and a human ``reason`` on failure.
  The router then checks the responder identity against its own ``match remote identity`` and
  populates its SA tables, log buffer and ping output.
* :meth:`Peer.deliver` — a data packet (ICMP echo through an established tunnel, a clear-text
  packet, or a DPD probe): does an answer come back?
* :meth:`Peer.notify_delete` — the router deleted SAs (``reset ike sa``/``reset ipsec sa``, lifetime
  expiry, DPD): the peer should forget them too.

All values are plain strings in Comware V7 spelling: encryption ``aes-cbc-128``..., integrity
``md5|sha1|sha256|sha384|sha512``, DH ``group14``, PFS ``group14`` or ``None``, CIDRs
``a.b.c.d/n``. Identities are ``Identity(type, value)`` with type ``address`` or ``fqdn`` or
``user-fqdn``.

:class:`NullPeer` (the default: nothing answers — IKE retransmits to nowhere) and
:class:`StaticPeer` (an Alibaba-Cloud-VPN-Gateway-like responder configured from plain values,
:meth:`StaticPeer.alibaba` accepts Alibaba's ``IkeConfig``/``IpsecConfig`` JSON keys) implement it.
A negotiation model driven by the simulated Alibaba API can implement the same protocol.

StaticPeer matching rules (the responder side, reference h3c §1.3 / §7 / §8, alibaba §2.3):

1. unreachable, or the packets arrive from an IP other than the configured customer-gateway IP
   (after NAT when ``nat_in_path``) -> no answer (``timeout``; the router keeps an ``Unknown`` row);
2. IKE version must match (``version-mismatch``); IKEv1 exchange mode must match
   (``mode-mismatch``);
3. the first offered proposal whose encryption, integrity (and PRF for IKEv2), DH group and
   authentication method equal the peer's wins (``no-proposal-chosen`` otherwise); the smaller
   of the two lifetimes is used;
4. the initiator identity must equal the peer's expected remote id (Alibaba ``RemoteId``;
   ``identity-mismatch``), the PSK must be identical (``auth-failed``); the responder returns its
   own identity (Alibaba ``LocalId``) for the router to check;
5. phase 2: ESP, tunnel mode, first offered encryption (IKEv1 uses only the first) and
   integrity must equal the peer's (``no-proposal-chosen``); PFS: a responder without PFS follows
   the initiator, a responder with PFS refuses an initiator without PFS and (IKEv1) requires the
   initiator's group to be at least as strong (``pfs-mismatch``); the selectors must mirror the
   peer's CIDR lists exactly — the router's local network must be one of the peer's
   ``remote_subnets`` and its remote network one of the peer's ``local_subnets``
   (``ts-unacceptable``); one SA per CIDR pair (alibaba §2.3.2);
6. data passes when phase 2 is up, the router's flow is exempt from NAT, NAT traversal is
   possible (V5 needs ``nat traversal`` when a NAT is in the path) and the destination lies in the
   peer's local subnets (optionally restricted to ``hosts``).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from typing import Optional, Protocol, runtime_checkable

from .addr import in_prefix, is_ip
from .algorithms import DH_STRENGTH

# failure codes --------------------------------------------------------------------------------
TIMEOUT = "timeout"
VERSION_MISMATCH = "version-mismatch"
MODE_MISMATCH = "mode-mismatch"
NO_PROPOSAL_CHOSEN = "no-proposal-chosen"
AUTH_FAILED = "auth-failed"
IDENTITY_MISMATCH = "identity-mismatch"
PFS_MISMATCH = "pfs-mismatch"
TS_UNACCEPTABLE = "ts-unacceptable"
NO_SA = "no-sa"


@dataclass(frozen=True)
class Identity:
    type: str  # address | fqdn | user-fqdn
    value: str

    def matches(self, other: "Identity") -> bool:
        if self.type != other.type:
            return False
        if self.type == "address":
            return self.value == other.value
        return self.value.lower() == other.value.lower()


@dataclass(frozen=True)
class IkeProposalOffer:
    encryption: str
    integrity: str
    dh: str
    lifetime: int = 86400
    method: str = "pre-share"
    prf: Optional[str] = None  # IKEv2 only
    label: str = ""  # "950", "default", IKEv2 proposal name


@dataclass(frozen=True)
class Ikev2ProposalOffer:
    """An IKEv2 proposal: lists of acceptable transforms (any combination)."""
    encryption: tuple[str, ...]
    integrity: tuple[str, ...]
    prf: tuple[str, ...]
    dh: tuple[str, ...]
    label: str = ""


@dataclass(frozen=True)
class Selector:
    local: str  # router-side network (CIDR), the ACL rule's source
    remote: str  # far-side network (CIDR), the ACL rule's destination
    protocol: str = "ip"


@dataclass(frozen=True)
class Phase2Offer:
    protocol: str  # esp | ah | ah-esp
    encapsulation: str  # tunnel | transport
    encryption: tuple[str, ...]
    integrity: tuple[str, ...]
    pfs: Optional[str]  # group14 ... or None
    lifetime_seconds: int
    lifetime_kilobytes: int
    selector: Selector


@dataclass(frozen=True)
class DpdOffer:
    interval: int
    retry: int
    mode: str


@dataclass(frozen=True)
class Offer:
    version: str  # ikev1 | ikev2
    mode: Optional[str]  # main | aggressive (IKEv1) / None (IKEv2)
    local_address: str  # router's own tunnel address (interface IP or local-address)
    remote_address: str  # the peer address the router sends to
    proposals: tuple  # IkeProposalOffer... (IKEv1) or Ikev2ProposalOffer... (IKEv2)
    ike_lifetime: int  # IKEv2 profile sa duration; IKEv1 uses per-proposal lifetimes
    psk: Optional[str]
    local_id: Identity
    expected_remote_ids: tuple = ()  # what the router will accept (informative)
    phase2: Optional[Phase2Offer] = None
    nat_exempt: bool = True
    nat_traversal: bool = True
    dpd: Optional[DpdOffer] = None
    existing_ike_sa: bool = False  # phase 1 already up; only phase 2 is being negotiated
    comware: str = "v7"


@dataclass(frozen=True)
class Phase1Result:
    ok: bool
    code: Optional[str] = None
    reason: str = ""
    responded: bool = True  # False: nothing came back (retransmissions, Unknown row lingers)
    chosen: Optional[IkeProposalOffer] = None
    lifetime: int = 86400
    responder_id: Optional[Identity] = None
    nat_detected: bool = False


@dataclass(frozen=True)
class Phase2Result:
    ok: bool
    code: Optional[str] = None
    reason: str = ""
    encryption: Optional[str] = None
    integrity: Optional[str] = None
    pfs: Optional[str] = None
    lifetime_seconds: int = 3600
    lifetime_kilobytes: int = 1843200
    peer_spi: Optional[int] = None


@dataclass(frozen=True)
class NegotiationResult:
    phase1: Phase1Result
    phase2: Optional[Phase2Result] = None
    traffic_passes: bool = False
    reason: str = ""


@dataclass(frozen=True)
class DataPacket:
    kind: str  # "echo" (ICMP echo) | "dpd"
    src: str
    dst: str
    via_tunnel: bool
    local_address: str = ""  # tunnel endpoints (via_tunnel / dpd)
    remote_address: str = ""
    out_spi: Optional[int] = None
    nat_exempt: bool = True
    size: int = 56


@dataclass(frozen=True)
class DeleteNotice:
    kind: str  # ike | ipsec
    local_address: str
    remote_address: str
    spis: tuple[int, ...] = ()


@runtime_checkable
class Peer(Protocol):
    def negotiate(self, offer: Offer) -> NegotiationResult: ...

    def deliver(self, packet: DataPacket) -> bool: ...

    def notify_delete(self, notice: DeleteNotice) -> None: ...


class NullPeer:
    """No peer at all: IKE packets go unanswered, nothing replies to pings."""

    def negotiate(self, offer: Offer) -> NegotiationResult:
        return NegotiationResult(Phase1Result(False, TIMEOUT, "Peer did not respond", responded=False),
                                 reason="no peer")

    def deliver(self, packet: DataPacket) -> bool:
        return False

    def notify_delete(self, notice: DeleteNotice) -> None:
        return None


# ---------------------------------------------------------------------------------------------
# StaticPeer
# ---------------------------------------------------------------------------------------------

_ALI_ENC = {"aes": "aes-cbc-128", "aes192": "aes-cbc-192", "aes256": "aes-cbc-256",
            "des": "des-cbc", "3des": "3des-cbc", "sm4": "sm4-cbc"}
_ALI_HASH = {"md5": "md5", "sha1": "sha1", "sha256": "sha256", "sha384": "sha384",
             "sha512": "sha512", "sm3": "sm3"}


def _identity(value: str) -> Identity:
    return Identity("address" if is_ip(value) else "fqdn", value)


def _cidr_ok(cidr: str) -> tuple[str, int]:
    net, _, plen = cidr.partition("/")
    return net, int(plen or 32)


@dataclass
class StaticPeer:
    """An Alibaba-like responder described by plain values (see module docstring for the rules).

    ``local_subnets`` = the peer's own (VPC) CIDRs, ``remote_subnets`` = the CIDRs it expects on the
    router side (Alibaba LocalSubnet / RemoteSubnet). ``local_id`` defaults to ``public_ip``,
    ``remote_id`` (the identity expected from the router) to ``customer_gateway_ip``.
    """

    public_ip: str = "198.51.100.20"
    customer_gateway_ip: Optional[str] = None  # None: accept the router's source address
    ike_version: str = "ikev1"
    ike_mode: str = "main"
    ike_encryption: str = "aes-cbc-128"
    ike_integrity: str = "sha256"
    ike_prf: Optional[str] = None  # IKEv2; None -> same as integrity
    ike_dh: str = "group14"
    ike_lifetime: int = 86400
    psk: str = "AliDemo-Psk-2024"
    local_id: Optional[str] = None
    remote_id: Optional[str] = None
    ipsec_encryption: str = "aes-cbc-128"
    ipsec_integrity: str = "sha256"
    ipsec_pfs: Optional[str] = "group14"
    ipsec_lifetime: int = 86400
    local_subnets: list[str] = field(default_factory=lambda: ["172.16.0.0/16"])
    remote_subnets: list[str] = field(default_factory=lambda: ["192.168.10.0/24"])
    reachable: bool = True
    nat_in_path: bool = False
    nat_public_ip: Optional[str] = None  # the router's address as seen by the peer when NATed
    dpd: bool = True
    hosts: Optional[list[str]] = None  # hosts that answer pings (None: every VPC address)
    rtt_ms: float = 31.0
    ttl: int = 63
    # state
    ike_sas: set = field(default_factory=set)  # {(router_addr, remote_addr)}
    ipsec_spis: set = field(default_factory=set)  # SPIs the peer will accept (router's outbound)
    negotiations: list = field(default_factory=list)  # every Offer received (for tests)
    no_nat_t_spis: set = field(default_factory=set)
    seed: int = 0
    _rng: Optional[random.Random] = field(default=None, repr=False, compare=False)

    @classmethod
    def alibaba(cls, public_ip: str, ike_config: dict, ipsec_config: dict, *, local_subnet: str,
                remote_subnet: str, customer_gateway_ip: Optional[str] = None, **kw) -> "StaticPeer":
        """Build from Alibaba ``IkeConfig`` / ``IpsecConfig`` dicts and comma-separated CIDR lists."""
        ike = {k.lower(): v for k, v in ike_config.items()}
        ips = {k.lower(): v for k, v in ipsec_config.items()}
        pfs = ips.get("ipsecpfs", "group2")
        return cls(
            public_ip=public_ip,
            customer_gateway_ip=customer_gateway_ip,
            ike_version=ike.get("ikeversion", "ikev1"),
            ike_mode=ike.get("ikemode", "main"),
            ike_encryption=_ALI_ENC[ike.get("ikeencalg", "aes")],
            ike_integrity=_ALI_HASH[ike.get("ikeauthalg", "md5")],
            ike_dh=ike.get("ikepfs", "group2"),
            ike_lifetime=int(ike.get("ikelifetime", 86400)),
            psk=ike.get("psk", ""),
            local_id=ike.get("localid") or None,
            remote_id=ike.get("remoteid") or None,
            ipsec_encryption=_ALI_ENC[ips.get("ipsecencalg", "aes")],
            ipsec_integrity=_ALI_HASH[ips.get("ipsecauthalg", "md5")],
            ipsec_pfs=None if pfs == "disabled" else pfs,
            ipsec_lifetime=int(ips.get("ipseclifetime", 86400)),
            local_subnets=[s for s in local_subnet.split(",") if s],
            remote_subnets=[s for s in remote_subnet.split(",") if s],
            **kw,
        )

    # -- helpers -------------------------------------------------------------------------------
    def _seen_source(self, offer_addr: str) -> str:
        if self.nat_in_path:
            return self.nat_public_ip or self.customer_gateway_ip or offer_addr
        return offer_addr

    def _my_id(self) -> Identity:
        return _identity(self.local_id or self.public_ip)

    def _expected_id(self, seen: str) -> Identity:
        return _identity(self.remote_id or self.customer_gateway_ip or seen)

    def with_changes(self, **kw) -> "StaticPeer":
        return replace(self, ike_sas=set(), ipsec_spis=set(), negotiations=[], no_nat_t_spis=set(), _rng=None,
                       **kw)

    def clear(self) -> None:
        """Forget every SA (peer reboot / console reset): the router's SAs go stale."""
        self.ike_sas.clear()
        self.ipsec_spis.clear()

    # -- Peer protocol -------------------------------------------------------------------------
    def negotiate(self, offer: Offer) -> NegotiationResult:
        self.negotiations.append(offer)
        fail = lambda code, reason, responded=True: NegotiationResult(  # noqa: E731
            Phase1Result(False, code, reason, responded=responded), reason=reason)
        if not self.reachable or offer.remote_address != self.public_ip:
            return fail(TIMEOUT, "Peer did not respond", responded=False)
        seen = self._seen_source(offer.local_address)
        if self.customer_gateway_ip and seen != self.customer_gateway_ip:
            return fail(TIMEOUT, f"Packets from unknown gateway {seen} ignored", responded=False)
        nat_detected = seen != offer.local_address
        if offer.version != self.ike_version:
            return fail(VERSION_MISMATCH, f"IKE version mismatch ({offer.version} vs {self.ike_version})")
        if offer.version == "ikev1" and (offer.mode or "main") != self.ike_mode:
            return fail(MODE_MISMATCH, f"Exchange mode mismatch ({offer.mode} vs {self.ike_mode})")

        chosen: Optional[IkeProposalOffer] = None
        prf = self.ike_prf or self.ike_integrity
        for p in offer.proposals:
            if isinstance(p, Ikev2ProposalOffer):
                if (self.ike_encryption in p.encryption and self.ike_integrity in p.integrity
                        and prf in p.prf and self.ike_dh in p.dh):
                    chosen = IkeProposalOffer(self.ike_encryption, self.ike_integrity, self.ike_dh,
                                              lifetime=offer.ike_lifetime, prf=prf, label=p.label)
                    break
            elif (p.encryption == self.ike_encryption and p.integrity == self.ike_integrity
                  and p.dh == self.ike_dh and p.method == "pre-share"):
                chosen = p
                break
        if chosen is None:
            return fail(NO_PROPOSAL_CHOSEN, "No matching IKE proposal (NO_PROPOSAL_CHOSEN)")
        lifetime = min(chosen.lifetime if offer.version == "ikev1" else offer.ike_lifetime,
                       self.ike_lifetime or 86400)

        if not offer.local_id.matches(self._expected_id(seen)):
            return fail(IDENTITY_MISMATCH,
                        f"Initiator identity {offer.local_id.value} does not match the expected "
                        f"remote id {self._expected_id(seen).value}")
        if offer.psk is None or offer.psk != self.psk:
            # main mode: fails at the authenticated exchange -> retransmissions, row lingers
            return fail(AUTH_FAILED, "Pre-shared key mismatch (authentication failed)", responded=False)

        p1 = Phase1Result(True, chosen=chosen, lifetime=lifetime, responder_id=self._my_id(),
                          nat_detected=nat_detected)
        self.ike_sas.add((seen, self.public_ip))
        p2o = offer.phase2
        if p2o is None:
            return NegotiationResult(p1, None, False, "no phase 2 requested")

        def p2fail(code, reason):
            return NegotiationResult(p1, Phase2Result(False, code, reason), False, reason)

        if p2o.protocol != "esp" or p2o.encapsulation != "tunnel":
            return p2fail(NO_PROPOSAL_CHOSEN, "Only ESP in tunnel mode is accepted")
        encs = p2o.encryption[:1] if offer.version == "ikev1" else p2o.encryption
        if self.ipsec_encryption not in encs or self.ipsec_integrity not in p2o.integrity:
            return p2fail(NO_PROPOSAL_CHOSEN, "No matching IPsec transform (NO_PROPOSAL_CHOSEN)")
        pfs = p2o.pfs
        if self.ipsec_pfs is not None:
            if pfs is None:
                return p2fail(PFS_MISMATCH, "Responder requires PFS, initiator offered none")
            if offer.version == "ikev1":
                if DH_STRENGTH.get(pfs, 0) < DH_STRENGTH.get(self.ipsec_pfs, 0):
                    return p2fail(PFS_MISMATCH, f"PFS {pfs} weaker than required {self.ipsec_pfs}")
            elif pfs != self.ipsec_pfs:
                return p2fail(PFS_MISMATCH, f"PFS group mismatch ({pfs} vs {self.ipsec_pfs})")
        sel = p2o.selector
        if sel.local not in self.remote_subnets or sel.remote not in self.local_subnets:
            return p2fail(TS_UNACCEPTABLE,
                          f"Traffic selectors {sel.local}->{sel.remote} do not mirror "
                          f"{','.join(self.local_subnets)}<->{','.join(self.remote_subnets)}")
        life = min(p2o.lifetime_seconds, self.ipsec_lifetime or 86400)
        if self._rng is None:
            self._rng = random.Random(self.seed)
        spi = self._rng.randrange(0x1000, 0xFFFFFFFF)
        self.ipsec_spis.add(spi)
        p2 = Phase2Result(True, encryption=self.ipsec_encryption, integrity=self.ipsec_integrity,
                          pfs=pfs, lifetime_seconds=life, lifetime_kilobytes=p2o.lifetime_kilobytes,
                          peer_spi=spi)
        nat_ok = not self.nat_in_path or offer.nat_traversal
        if not nat_ok:
            self.no_nat_t_spis.add(spi)  # ESP cannot cross the NAT without UDP encapsulation
        passes = offer.nat_exempt and nat_ok
        reason = "" if passes else ("source NATed before encryption" if not offer.nat_exempt
                                    else "NAT in path without NAT traversal")
        return NegotiationResult(p1, p2, passes, reason)

    def _host_up(self, dst: str) -> bool:
        if self.hosts is not None:
            return dst in self.hosts
        return any(in_prefix(dst, *_cidr_ok(c)) for c in self.local_subnets)

    def deliver(self, packet: DataPacket) -> bool:
        if not self.reachable:
            return False
        if packet.kind == "dpd":
            return bool(self.ike_sas) and packet.remote_address == self.public_ip
        if not packet.via_tunnel:
            return packet.dst == self.public_ip
        if packet.out_spi is not None and packet.out_spi not in self.ipsec_spis:
            return False  # stale SA: the peer no longer knows it
        if packet.out_spi in self.no_nat_t_spis:
            return False
        if not packet.nat_exempt:
            return False
        return self._host_up(packet.dst)

    def notify_delete(self, notice: DeleteNotice) -> None:
        if notice.kind == "ike":
            self.ike_sas = {s for s in self.ike_sas if s[1] != notice.remote_address}
        for spi in notice.spis:
            self.ipsec_spis.discard(spi)
