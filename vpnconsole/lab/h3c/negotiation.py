"""The router's own side of IPsec: data path classification, offer building, SA bookkeeping.

On a traffic trigger (``ping -a SRC DST``) the device does, in order (reference §9.17):

1. route lookup for DST -> egress interface (no route / NULL0: nothing is sent, no SA row);
2. outbound NAT evaluation on the egress interface (``nat outbound [ACL]``): the flow is *NAT
   exempt* when no ``nat outbound`` line translates SRC->DST. The router-originated ping itself is
   not translated (reference §1.5: "comes up only for router-originated pings"), so negotiation
   still happens, but the exemption state is handed to the peer, which decides whether LAN traffic
   really passes (ping replies) — modelling "SAs exist but host traffic is NATed" (§8);
3. the IPsec policy applied to that interface; its entries in sequence order; the first entry
   whose ACL has a matching ``permit`` rule (first matching rule by id decides; ``deny`` skips the
   entry) protects the flow. Incomplete entries are skipped (the flow goes out in clear text);
4. an existing IPsec SA for (interface, policy, seq, rule flow) carries the packet; otherwise an
   :class:`~.peer.Offer` is built from the entry (V7 IKEv1: ike-profile -> keychains -> PSK for the
   remote address, exchange mode, proposals, identities, DPD; V7 IKEv2: ikev2-profile / policies /
   keychain peer; V5: ike peer) and :meth:`Peer.negotiate` is called;
5. results populate :class:`~.state.Runtime` (RD or ``Unknown`` IKE rows, IPsec SA pairs with random
   SPIs), syslog lines go to the log buffer, and the echo replies are computed (the first echo is lost
   while negotiating).

Local failures (no PSK for the peer, missing profile, unresolvable remote host name) are logged and
no negotiation happens.

Responder side (the peer initiates, e.g. Alibaba with ``EffectImmediately``): the lab's negotiation
model evaluates the router's configuration itself and installs the outcome with
:func:`install_responder` (``SimulatedH3C.install_responder_sa``): an RD IKE SA and IPsec SAs with
``role="Responder"``. ``SimulatedH3C.drop_peer_sas`` removes a peer's SAs as on its delete notification,
and ``SimulatedH3C.tick_hooks`` let the model apply, on every ``expire()``, what the far end did meanwhile.

Known simplifications: only the first complete transform set / IPsec proposal of an entry is offered;
``aggregation`` mode is treated like ``standard``; per-host uses /32 selectors; DPD is modelled as a
periodic probe evaluated when time advances; IKEv1 SAs are not rekeyed before expiry.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Optional

from .addr import (
    cidr, ip_to_int, is_ip, len_to_mask, matches_wildcard, wildcard_to_len, in_prefix,
)
from .algorithms import IKEV2_DEFAULT, DEFAULT_IKE_PROPOSAL
from .peer import (
    DataPacket, DeleteNotice, DpdOffer, Identity, IkeProposalOffer, Ikev2ProposalOffer, Offer,
    Phase2Offer, Selector,
)
from .routing import local_addresses, lookup
from .state import (
    Acl, AclRule, Config, Dpd, Interface, IpsecPolicyEntry, IkeSa, IpsecSa, RemoteIdentity, decrypt_psk,
)

if TYPE_CHECKING:  # pragma: no cover
    from .device import SimulatedH3C


# ---------------------------------------------------------------------------------------------
# ACL matching / policy completeness
# ---------------------------------------------------------------------------------------------

def rule_matches(acl: Acl, rule: AclRule, src: str, dst: str, protocol: str = "icmp") -> bool:
    if acl.kind == "advanced" and rule.protocol not in ("ip", "", protocol, "1" if protocol == "icmp" else "-"):
        return False
    if rule.source is not None and not matches_wildcard(src, *rule.source):
        return False
    if acl.kind == "advanced" and rule.destination is not None and not matches_wildcard(dst, *rule.destination):
        return False
    return True


def acl_decision(acl: Optional[Acl], src: str, dst: str, count: bool = True) -> Optional[AclRule]:
    if acl is None:
        return None
    for rule in acl.ordered_rules():
        if rule_matches(acl, rule, src, dst):
            if count:
                rule.hits += 1
            return rule
    return None


def incomplete_reasons(dev: "SimulatedH3C", e: IpsecPolicyEntry) -> list[str]:
    cfg = dev.config
    reasons = []
    if e.acl is None:
        reasons.append("ACL not specified")
    if dev.dialect == "v5":
        if not e.ike_peer:
            reasons.append("IKE peer not specified")
        if not e.proposals:
            reasons.append("Proposal not set")
        return reasons
    if not e.transform_sets:
        reasons.append("Transform-set not set")
    else:
        sets = [cfg.transform_sets.get(n.lower()) for n in e.transform_sets]
        if not any(ts is not None and ts.complete() for ts in sets):
            reasons.append("Incomplete transform-set configuration")
    if e.mode == "isakmp" and not e.remote_address:
        reasons.append("Remote-address not set")
    return reasons


# ---------------------------------------------------------------------------------------------
# results
# ---------------------------------------------------------------------------------------------

@dataclass
class EchoResult:
    replies: list[Optional[float]] = field(default_factory=list)  # rtt ms or None (timeout)
    ttl: int = 255
    path: str = ""  # local | noroute | clear | tunnel
    notes: list[str] = field(default_factory=list)


def _wild_to_cidr(addr_wild: Optional[tuple[str, str]]) -> tuple[str, str, str]:
    """(cidr, network, dotted mask) for display and selectors."""
    if addr_wild is None:
        return "0.0.0.0/0", "0.0.0.0", "0.0.0.0"
    addr, wild = addr_wild
    plen = wildcard_to_len(wild)
    if plen is None:
        return f"{addr}/{wild}", addr, wild
    return cidr(addr, plen), cidr(addr, plen).split("/")[0], len_to_mask(plen)


def _identity_from(kind: str, value: str, fallback_name: str) -> Identity:
    if kind == "address":
        return Identity("address", value)
    if kind in ("fqdn", "dn"):
        return Identity("fqdn", value or fallback_name)
    if kind in ("user-fqdn", "email"):
        return Identity("user-fqdn", value)
    return Identity(kind, value)


def _remote_ok(matches: list[RemoteIdentity], ident: Optional[Identity]) -> bool:
    if not matches:
        return True
    if ident is None:
        return False
    for m in matches:
        if m.type == "address" and ident.type == "address" and in_prefix(ident.value, m.value, m.plen):
            return True
        if m.type == "address-range" and ident.type == "address" and \
                ip_to_int(m.value) <= ip_to_int(ident.value) <= ip_to_int(m.high or m.value):
            return True
        if m.type in ("fqdn", "user-fqdn") and m.type == ident.type and m.value.lower() == ident.value.lower():
            return True
    return False


def _id_type(ident: Identity) -> str:
    return {"address": "IPV4_ADDR", "fqdn": "FQDN", "user-fqdn": "USER_FQDN"}.get(ident.type, ident.type.upper())


# ---------------------------------------------------------------------------------------------
# engine
# ---------------------------------------------------------------------------------------------

class Engine:
    def __init__(self, dev: "SimulatedH3C"):
        self.dev = dev

    @property
    def cfg(self) -> Config:
        return self.dev.config

    # -- data path ------------------------------------------------------------------------------
    def nat_exempt(self, itf: Interface, src: str, dst: str) -> bool:
        for n in itf.nat_outbound:
            if n.acl is None:
                return False
            acl = self.cfg.acls.get(n.acl)
            if acl is None:
                continue  # NAT with a missing ACL translates nothing
            rule = acl_decision(acl, src, dst, count=False)
            if rule is not None and rule.action == "permit":
                return False
        return True

    def protecting_entry(self, itf: Interface, src: str, dst: str):
        if not itf.ipsec_policy:
            return None, None
        for e in self.cfg.policy_entries(itf.ipsec_policy):
            if incomplete_reasons(self.dev, e):
                continue
            acl = self.cfg.acls.get(e.acl) if e.acl is not None else None
            rule = acl_decision(acl, src, dst)
            if rule is None or rule.action != "permit":
                continue
            return e, rule
        return None, None

    def echo(self, src: Optional[str], dst: str, count: int, size: int) -> EchoResult:
        dev = self.dev
        dev.expire()
        res = EchoResult()
        locals_ = local_addresses(self.cfg)
        if dst in locals_ or dst.startswith("127."):
            res.path = "local"
            res.replies = [round(dev.rng.uniform(0.2, 0.9), 3) for _ in range(count)]
            return res
        route = lookup(self.cfg, dst)
        if route is None or route.iface in ("NULL0", "InLoopBack0"):
            res.path = "noroute"
            res.replies = [None] * count
            return res
        itf = self.cfg.interfaces.get(route.iface.lower())
        if itf is None or not itf.ip:
            res.path = "noroute"
            res.replies = [None] * count
            return res
        src = src or itf.ip[0]
        entry, rule = self.protecting_entry(itf, src, dst)
        if entry is None:
            res.path = "clear"
            if route.proto == "Direct" or dst in dev.neighbor_addresses():
                ok = dst in dev.neighbor_addresses()
                res.replies = [self._rtt(1.0) if ok else None for _ in range(count)]
                return res
            ok = [dev.peer.deliver(DataPacket("echo", src, dst, False, itf.ip[0], dst, size=size))
                  for _ in range(count)]
            res.replies = [self._rtt() if o else None for o in ok]
            res.ttl = 254 if any(ok) else 255
            return res
        res.path = "tunnel"
        return self._tunnel(itf, entry, rule, src, dst, count, size, res)

    def _rtt(self, base: Optional[float] = None) -> float:
        base = base if base is not None else float(getattr(self.dev.peer, "rtt_ms", 31.0))
        return round(base + self.dev.rng.uniform(-0.4, 0.4), 3)

    def _flow(self, e: IpsecPolicyEntry, rule: AclRule, src: str, dst: str) -> tuple:
        if e.acl_mode == "per-host":
            return (src, "255.255.255.255"), (dst, "255.255.255.255"), f"{src}/32", f"{dst}/32"
        lc, ln, lm = _wild_to_cidr(rule.source)
        rc, rn, rm = _wild_to_cidr(rule.destination)
        return (ln, lm), (rn, rm), lc, rc

    def _tunnel(self, itf, e, rule, src, dst, count, size, res: EchoResult) -> EchoResult:
        dev = self.dev
        fsrc, fdst, lcidr, rcidr = self._flow(e, rule, src, dst)
        exempt = self.nat_exempt(itf, src, dst)
        sa = next((s for s in dev.runtime.ipsec_sas
                   if s.interface == itf.name and s.policy.lower() == e.name.lower() and s.seq == e.seq
                   and s.flow_src == fsrc and s.flow_dst == fdst), None)
        first_lost = False
        if sa is None:
            sa = self.negotiate(itf, e, rule, src, dst, fsrc, fdst, lcidr, rcidr, exempt)
            if sa is None:
                res.replies = [None] * count
                return res
            first_lost = True
        res.ttl = int(getattr(dev.peer, "ttl", 63))
        replies: list[Optional[float]] = []
        for i in range(count):
            if i == 0 and first_lost:
                replies.append(None)
                continue
            pkt = DataPacket("echo", src, dst, True, sa.local_ip, sa.remote_ip, sa.out_spi, exempt, size)
            ok = dev.peer.deliver(pkt)
            wire = size + 28 + 60
            if exempt:
                sa.out_seq += 1
                sa.out_bytes += wire
            if ok:
                sa.in_seq += 1
                sa.in_bytes += wire
            replies.append(self._rtt() if ok else None)
        res.replies = replies
        return res

    # -- negotiation ----------------------------------------------------------------------------
    def _log_p1_fail(self, mode: str, reason: str, local_ip: str, local_id: Optional[Identity],
                     remote_ip: str, remote_id: Optional[Identity] = None, version: str = "ikev1") -> None:
        lid = local_id or Identity("address", local_ip)
        rid_t = _id_type(remote_id) if remote_id else ""
        rid_v = remote_id.value if remote_id else ""
        if version == "ikev2":
            self.dev.log("IKEV2", 6, "IKEV2_SA_ESTABLISH_FAIL",
                         f"Failed to establish IKEv2 SA. Reason: {reason}. SA information: "
                         f"Role: Initiator Local IP: {local_ip} Remote IP: {remote_ip}")
            return
        self.dev.log("IKE", 6, "IKE_P1_SA_ESTABLISH_FAIL",
                     f"Failed to establish phase 1 SA in {mode} mode IKE_P1_STATE_INIT state. "
                     f"Reason: {reason}. SA information: Role: Initiator Local IP: {local_ip} "
                     f"Local ID type: {_id_type(lid)} Local ID: {lid.value} Local port: 500 "
                     f"Retransmissions: 0 Remote IP: {remote_ip} Remote ID type: {rid_t} "
                     f"Remote ID: {rid_v} Remote port: 500 Received retransmissions: 0 "
                     f"Inside VPN instance: Outside VPN instance:")

    def build_offer(self, itf: Interface, e: IpsecPolicyEntry, lcidr: str, rcidr: str, exempt: bool):
        """Return (offer, profile_name, expected_remote_matches, dpd) or (None, reason, ...)."""
        dev, cfg = self.dev, self.cfg
        local_ip = e.local_address or itf.ip[0]
        p2_pfs = None
        if dev.dialect == "v5":
            peer5 = cfg.ike_peers.get((e.ike_peer or "").lower())
            if peer5 is None:
                return None, f"IKE peer {e.ike_peer} does not exist", None, None
            remote = peer5.remote_address
            if not remote:
                return None, "Remote address of the IKE peer not set", None, None
            local_ip = peer5.local_address or local_ip
            props = self._ikev1_proposals(peer5.proposals)
            psk = decrypt_psk(peer5.psk_cipher, dev.psk_secret) if peer5.psk_cipher else None
            if peer5.psk_cipher is None:
                return None, "Failed to get the pre-shared key", None, None
            name = cfg.ike_local_name or cfg.sysname
            if peer5.id_type == "ip":
                local_id = Identity("address", local_ip)
                expected = [RemoteIdentity("address", remote)]
            else:
                local_id = Identity("fqdn" if peer5.id_type == "name" else "user-fqdn", name)
                expected = [RemoteIdentity("fqdn" if peer5.id_type == "name" else "user-fqdn", peer5.remote_name or "")] \
                    if peer5.remote_name else []
            prop = next((cfg.ipsec_proposals.get(n.lower()) for n in e.proposals
                         if cfg.ipsec_proposals.get(n.lower()) is not None), None)
            if prop is None:
                return None, "IPsec proposal does not exist", None, None
            d5 = cfg.ike_dpds.get((peer5.dpd or "").lower())
            dpd = DpdOffer(d5.interval_time, d5.time_out, "on-demand") if d5 else None
            p2 = Phase2Offer(prop.transform, prop.encapsulation, (prop.esp_encryption,),
                             (prop.esp_authentication,), (e.pfs or "").replace("dh-", "") or None,
                             e.sa_time or cfg.ipsec_global_time, e.sa_traffic or cfg.ipsec_global_traffic,
                             Selector(lcidr, rcidr))
            offer = Offer("ikev1", peer5.exchange_mode, local_ip, remote, tuple(props), 86400, psk, local_id,
                          tuple(expected), p2, exempt, peer5.nat_traversal, dpd, comware="v5")
            return offer, peer5.name, expected, dpd
        remote = e.remote_address or ""
        if not is_ip(remote):
            return None, f"Failed to resolve the remote host name {remote}", None, None
        ts = next((cfg.transform_sets[n.lower()] for n in e.transform_sets
                   if n.lower() in cfg.transform_sets and cfg.transform_sets[n.lower()].complete()), None)
        assert ts is not None  # incomplete entries never get here
        p2_pfs = ts.pfs.replace("dh-", "") if ts.pfs else None
        p2 = Phase2Offer(ts.protocol, ts.encapsulation, tuple(ts.esp_encryption), tuple(ts.esp_authentication),
                         p2_pfs, e.sa_time or cfg.ipsec_global_time, e.sa_traffic or cfg.ipsec_global_traffic,
                         Selector(lcidr, rcidr))
        if e.ikev2_profile and dev.dialect == "v7":
            prof2 = cfg.ikev2_profiles.get(e.ikev2_profile.lower())
            if prof2 is None:
                return None, f"IKEv2 profile {e.ikev2_profile} does not exist", None, None
            psk = None
            kc = cfg.ikev2_keychains.get((prof2.keychain or "").lower())
            best = None
            if kc is not None:
                for peer in kc.peers.values():
                    if peer.address and in_prefix(remote, *peer.address):
                        if best is None or peer.address[1] > best.address[1]:
                            best = peer
            if best is None or not best.psk_cipher:
                return None, "Failed to get the pre-shared key", None, None
            psk = decrypt_psk(best.psk_cipher, dev.psk_secret)
            if prof2.identity_local:
                local_id = _identity_from(*prof2.identity_local, cfg.sysname)
            else:
                local_id = Identity("address", local_ip)
            props = self._ikev2_proposals()
            dpd = DpdOffer(prof2.dpd.interval, prof2.dpd.retry or 5, prof2.dpd.mode) if prof2.dpd else None
            offer = Offer("ikev2", None, local_ip, remote, tuple(props), prof2.sa_duration or 86400, psk,
                          local_id, tuple(prof2.match_remote), p2, exempt, True, dpd)
            return offer, prof2.name, prof2.match_remote, dpd
        prof = None
        if e.ike_profile:
            prof = cfg.ike_profiles.get(e.ike_profile.lower())
            if prof is None:
                return None, f"IKE profile {e.ike_profile} does not exist", None, None
        keychains = [cfg.ike_keychains[k.lower()] for k in (prof.keychains if prof else cfg.ike_keychains)
                     if k.lower() in cfg.ike_keychains]
        best_key = None
        for kc in keychains:
            if kc.match_local_address and kc.match_local_address not in (local_ip, itf.name):
                continue
            for key in kc.keys:
                if key.address and in_prefix(remote, key.address, key.plen):
                    if best_key is None or key.plen > best_key.plen:
                        best_key = key
        if best_key is None:
            return None, "Failed to get the pre-shared key", None, None
        psk = decrypt_psk(best_key.cipher, dev.psk_secret)
        if prof and prof.local_identity:
            local_id = _identity_from(*prof.local_identity, cfg.sysname)
        elif cfg.ike_identity:
            local_id = _identity_from(*cfg.ike_identity, cfg.sysname)
        else:
            local_id = Identity("address", local_ip)
        props = self._ikev1_proposals(prof.proposals if prof else [])
        d = (prof.dpd if prof and prof.dpd else cfg.ike_dpd)
        dpd = DpdOffer(d.interval, d.retry or 5, d.mode) if d else None
        expected = prof.match_remote if prof else []
        offer = Offer("ikev1", prof.exchange_mode if prof else "main", local_ip, remote, tuple(props), 86400,
                      psk, local_id, tuple(expected), p2, exempt, True, dpd)
        return offer, prof.name if prof else None, expected, dpd

    def _ikev1_proposals(self, numbers: list[int]) -> list[IkeProposalOffer]:
        cfg = self.cfg
        chosen = [cfg.ike_proposals[n] for n in numbers if n in cfg.ike_proposals]
        if not numbers:
            chosen = [p for _, p in sorted(cfg.ike_proposals.items())]
        out = [IkeProposalOffer(p.encryption, p.authentication, p.dh, p.duration, p.method, label=str(p.number))
               for p in chosen]
        if not numbers or not out:
            d = DEFAULT_IKE_PROPOSAL
            out.append(IkeProposalOffer(d["encryption"], d["authentication"], d["dh"], d["duration"],
                                        d["method"], label="default"))
        return out

    def _ikev2_proposals(self) -> list[Ikev2ProposalOffer]:
        cfg = self.cfg
        out = []
        pols = sorted(cfg.ikev2_policies.values(), key=lambda p: p.priority or 100)
        for pol in pols:
            for n in pol.proposals:
                p = cfg.ikev2_proposals.get(n.lower())
                if p is None or not p.encryption or not p.integrity or not p.dh:
                    continue
                out.append(Ikev2ProposalOffer(tuple(p.encryption), tuple(p.integrity),
                                              tuple(p.prf or p.integrity), tuple(p.dh), p.name))
        if not pols:
            d = IKEV2_DEFAULT
            out.append(Ikev2ProposalOffer(tuple(d["encryption"]), tuple(d["integrity"]), tuple(d["prf"]),
                                          tuple(d["dh"]), "default"))
        return out

    def negotiate(self, itf, e, rule, src, dst, fsrc, fdst, lcidr, rcidr, exempt) -> Optional[IpsecSa]:
        dev = self.dev
        rt = dev.runtime
        offer, prof_name, expected, dpd = self.build_offer(itf, e, lcidr, rcidr, exempt)
        local_ip = e.local_address or itf.ip[0]
        if offer is None:
            self._log_p1_fail("main", prof_name, local_ip, None, e.remote_address or "")
            return None
        existing = next((s for s in rt.ike_sas if s.flag == "RD" and s.remote_ip == offer.remote_address
                         and s.local_ip == offer.local_address and s.version == offer.version), None)
        if existing is not None:
            from dataclasses import replace
            offer = replace(offer, existing_ike_sa=True)
        result = dev.peer.negotiate(offer)
        p1 = result.phase1
        mode = offer.mode or "main"
        now = dev.now()
        if not p1.ok:
            self._log_p1_fail(mode, p1.reason or p1.code or "negotiation failed", offer.local_address,
                              offer.local_id, offer.remote_address, None, offer.version)
            if existing is not None:
                return None
            if not p1.responded:
                rt.ike_sas = [s for s in rt.ike_sas if not (s.flag == "Unknown" and s.remote_ip == offer.remote_address)]
                rt.ike_sas.append(IkeSa(self._conn_id(), offer.version, offer.local_address, offer.remote_address,
                                        "Unknown", prof_name, now, 0, expires=now + dev.options.unknown_linger,
                                        initiator_cookie=self._cookie(), responder_cookie="0000000000000000",
                                        local_id=(_id_type(offer.local_id), offer.local_id.value),
                                        exchange_mode=mode.capitalize()))
            return None
        if existing is None:
            if not _remote_ok(list(expected or []), p1.responder_id):
                self._log_p1_fail(mode, "Failed to match the IKE profile (remote identity mismatch)",
                                  offer.local_address, offer.local_id, offer.remote_address, p1.responder_id,
                                  offer.version)
                dev.peer.notify_delete(DeleteNotice("ike", offer.local_address, offer.remote_address))
                return None
            chosen = p1.chosen
            rid = p1.responder_id or Identity("address", offer.remote_address)
            existing = IkeSa(self._conn_id(), offer.version, offer.local_address, offer.remote_address, "RD",
                             prof_name, now, p1.lifetime, initiator_cookie=self._cookie(),
                             responder_cookie=self._cookie(),
                             local_id=(_id_type(offer.local_id), offer.local_id.value),
                             remote_id=(_id_type(rid), rid.value),
                             method=chosen.method if chosen else "pre-share",
                             authentication=chosen.integrity if chosen else "sha1",
                             encryption=chosen.encryption if chosen else "des-cbc",
                             dh=chosen.dh if chosen else "group1",
                             exchange_mode=mode.capitalize(), nat_detected=p1.nat_detected,
                             dpd=None, last_dpd=now)
            if dpd is not None:
                from .state import Dpd
                existing.dpd = Dpd(dpd.interval, dpd.retry, dpd.mode)
            rt.ike_sas = [s for s in rt.ike_sas if not (s.flag == "Unknown" and s.remote_ip == offer.remote_address)]
            rt.ike_sas.append(existing)
        p2 = result.phase2
        if p2 is None or not p2.ok:
            reason = (p2.reason if p2 else result.reason) or "phase 2 negotiation failed"
            dev.log("IKE", 6, "IKE_P2_SA_ESTABLISH_FAIL",
                    f"Failed to establish phase 2 SA in IKE_P2_STATE_INIT state. Reason: {reason}. "
                    f"SA information: Role: Initiator Local address: {offer.local_address} "
                    f"Remote address: {offer.remote_address} Sour addr: {lcidr} Port: 0 Protocol: IP "
                    f"Dest addr: {rcidr} Port: 0 Protocol: IP Inside VPN instance: Outside VPN instance: "
                    f"Connection ID: {existing.conn_id}")
            return None
        in_spi = dev.rng.randrange(0x1000, 0xFFFFFFFF)
        out_spi = p2.peer_spi if p2.peer_spi is not None else dev.rng.randrange(0x1000, 0xFFFFFFFF)
        sa = IpsecSa(rt.next_tunnel_id, itf.name, e.name, e.seq, offer.local_address, offer.remote_address,
                     fsrc, fdst, in_spi, out_spi, rt.next_ipsec_conn + 4, rt.next_ipsec_conn + 5,
                     p2.encryption or offer.phase2.encryption[0], p2.integrity or offer.phase2.integrity[0],
                     p2.pfs, p2.lifetime_seconds, p2.lifetime_kilobytes, now, existing.conn_id,
                     version=offer.version, nat_t=p1.nat_detected)
        rt.next_tunnel_id += 1
        rt.next_ipsec_conn += 2
        rt.ipsec_sas.append(sa)
        if dev.dialect == "v5":
            existing.phase2_conn_id = self._conn_id()
        for s, d, spi in ((offer.local_address, offer.remote_address, out_spi),
                          (offer.remote_address, offer.local_address, in_spi)):
            dev.log("IPSEC", 6, "IPSEC_SA_ESTABLISH",
                    f"Established IPsec SA. The SA's source address is {s}, destination address is {d}, "
                    f"protocol is ESP, and SPI is {spi}.")
        return sa

    def _conn_id(self) -> int:
        rt = self.dev.runtime
        n = rt.next_conn_id
        rt.next_conn_id += 1
        return n

    def _cookie(self) -> str:
        return f"{self.dev.rng.getrandbits(64):016x}"


# ---------------------------------------------------------------------------------------------
# responder side (the peer initiated): additive hook used by the lab's negotiation model
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ResponderIke:
    """Phase 1 as the router answered it (the peer was the initiator)."""
    version: str  # ikev1 | ikev2
    local_ip: str  # the router's address the peer negotiated with
    remote_ip: str  # the peer (initiator)
    profile: Optional[str]
    local_id: Identity  # the router's identity as sent
    remote_id: Identity  # the initiator's identity
    proposal: IkeProposalOffer  # the router's proposal that matched (label "default" for the built-in one)
    lifetime: int
    exchange_mode: str = "main"
    nat_detected: bool = False
    dpd: Optional[Dpd] = None


@dataclass(frozen=True)
class ResponderChild:
    """One phase-2 SA pair the router accepted as responder (one per CIDR pair)."""
    interface: str
    policy: str
    seq: int
    flow_src: tuple[str, str]  # router side (network, mask): the ACL rule's source
    flow_dst: tuple[str, str]  # far side
    encryption: str
    integrity: str
    pfs: Optional[str]
    lifetime_seconds: int
    lifetime_kilobytes: int
    in_spi: int  # the router's inbound SPI (= the peer's outbound)
    out_spi: int  # the router's outbound SPI (= the peer's inbound)


def install_responder(dev: "SimulatedH3C", ike: ResponderIke,
                      children: "list[ResponderChild] | tuple[ResponderChild, ...]" = ()) -> tuple[IkeSa, list[IpsecSa]]:
    """Install SAs the router negotiated as **responder** (the peer initiated).

    Reuses an existing RD IKE SA with the same endpoints/version, otherwise adds one with
    ``role="Responder"`` (``display ike sa`` RD row; ``verbose`` shows ``Transmitting entity:
    Responder``). Each child becomes an :class:`IpsecSa` with ``role="Responder"``, replacing an
    existing SA of the same policy entry and flow (without notifying the peer). Logs the same
    ``IPSEC_SA_ESTABLISH`` lines as the initiator path. Call with ``dev.lock`` held.
    """
    rt = dev.runtime
    now = dev.now()
    eng = dev.engine
    existing = next((s for s in rt.ike_sas if s.flag == "RD" and s.remote_ip == ike.remote_ip
                     and s.local_ip == ike.local_ip and s.version == ike.version), None)
    if existing is None:
        p = ike.proposal
        existing = IkeSa(eng._conn_id(), ike.version, ike.local_ip, ike.remote_ip, "RD", ike.profile, now,
                         ike.lifetime, role="Responder", initiator_cookie=eng._cookie(),
                         responder_cookie=eng._cookie(), local_id=(_id_type(ike.local_id), ike.local_id.value),
                         remote_id=(_id_type(ike.remote_id), ike.remote_id.value), method=p.method,
                         authentication=p.integrity, encryption=p.encryption, dh=p.dh,
                         exchange_mode=ike.exchange_mode.capitalize(), nat_detected=ike.nat_detected,
                         dpd=ike.dpd, last_dpd=now)
        rt.ike_sas = [s for s in rt.ike_sas if not (s.flag == "Unknown" and s.remote_ip == ike.remote_ip)]
        rt.ike_sas.append(existing)
    out: list[IpsecSa] = []
    for c in children:
        old = [sa for sa in rt.ipsec_sas if sa.interface == c.interface and sa.policy.lower() == c.policy.lower()
               and sa.seq == c.seq and sa.flow_src == c.flow_src and sa.flow_dst == c.flow_dst]
        if old:
            dev._drop_ipsec(old, "The SA was replaced by a new negotiation", notify=False)
        sa = IpsecSa(rt.next_tunnel_id, c.interface, c.policy, c.seq, ike.local_ip, ike.remote_ip, c.flow_src,
                     c.flow_dst, c.in_spi, c.out_spi, rt.next_ipsec_conn + 4, rt.next_ipsec_conn + 5,
                     c.encryption, c.integrity, c.pfs, c.lifetime_seconds, c.lifetime_kilobytes, now,
                     existing.conn_id, version=ike.version, nat_t=ike.nat_detected, role="Responder")
        rt.next_tunnel_id += 1
        rt.next_ipsec_conn += 2
        rt.ipsec_sas.append(sa)
        if dev.dialect == "v5" and existing.phase2_conn_id is None:
            existing.phase2_conn_id = eng._conn_id()
        for s, d, spi in ((ike.local_ip, ike.remote_ip, c.out_spi), (ike.remote_ip, ike.local_ip, c.in_spi)):
            dev.log("IPSEC", 6, "IPSEC_SA_ESTABLISH",
                    f"Established IPsec SA. The SA's source address is {s}, destination address is {d}, "
                    f"protocol is ESP, and SPI is {spi}.")
        out.append(sa)
    return existing, out


def kb_used(sa: IpsecSa, inbound: bool) -> int:
    return math.ceil((sa.in_bytes if inbound else sa.out_bytes) / 1024)
