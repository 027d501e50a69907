"""``display current-configuration`` / ``saved-configuration`` / ``this`` rendering.

Layout (reference §4.2 point 5 and §5.9): blocks separated by ``#`` lines; a view-creating line
(``acl advanced N``, ``ike profile X``, ``ipsec policy X 10 isakmp``, ``interface IF``) starts in
column 0 and its sub-commands follow indented by one space (two spaces for the second level, the
IKEv2 keychain ``peer``); V7 prints global one-liners (`` sysname``, `` ip route-static``...) with
a one-space indent inside their own ``#`` block; the text ends with ``return``. Defaults are omitted
(``protocol esp``, ``encapsulation-mode tunnel``, ``authentication-method pre-share``,
``exchange-mode main``, ``sa duration 86400`` of an IKE proposal, ...). PSKs only ever appear as
``key cipher $c$3$...``.

Block order follows the §5.9 sample (ACLs, IKE proposals, keychains, profiles, transform sets,
policies, interfaces, routes); a real device interleaves many other features, the order of which is
not documented [≈]. Trailing ``ssh server enable`` / ``line`` / ``local-user`` blocks are included
so that parsers see realistic non-IPsec blocks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

from .addr import len_to_mask
from .algorithms import IKE_AUTH_KEYWORD, v5_esp_enc_keyword, v5_ike_enc_keyword
from .state import (
    Acl, AclRule, Config, Dpd, IkeKeychain, IkePeerV5, IkeProfile, IkeProposal, Ikev2Keychain,
    Ikev2Policy, Ikev2Profile, Ikev2Proposal, Interface, IpsecPolicyEntry, IpsecProposalV5,
    RemoteIdentity, StaticRoute, TransformSet,
)

if TYPE_CHECKING:  # pragma: no cover
    from .device import SimulatedH3C

Block = list[str]


def _rule_line(acl: Acl, r: AclRule) -> str:
    parts = [f"rule {r.id} {r.action}"]
    if acl.kind == "advanced":
        parts.append(r.protocol or "ip")
    if r.source is not None:
        parts.append(f"source {r.source[0]} {r.source[1]}")
    if acl.kind == "advanced" and r.destination is not None:
        parts.append(f"destination {r.destination[0]} {r.destination[1]}")
    return " ".join(parts)


def acl_block(acl: Acl, dialect: str) -> Block:
    if dialect == "v7":
        head = f"acl {acl.kind} {acl.number}"
    else:
        head = f"acl number {acl.number}"
    if acl.name:
        head += f" name {acl.name}"
    lines = [head]
    if acl.description:
        lines.append(f" description {acl.description}")
    for r in acl.ordered_rules():
        lines.append(" " + _rule_line(acl, r))
        if r.comment:
            lines.append(f" rule {r.id} comment {r.comment}")
    return lines


def ike_proposal_block(p: IkeProposal, dialect: str) -> Block:
    lines = [f"ike proposal {p.number}"]
    if p.description:
        lines.append(f" description {p.description}")
    if p.encryption != "des-cbc":
        enc = v5_ike_enc_keyword(p.encryption) if dialect == "v5" else p.encryption
        lines.append(f" encryption-algorithm {enc}")
    if p.dh != "group1":
        lines.append(f" dh {p.dh}")
    if p.authentication != "sha1":
        lines.append(f" authentication-algorithm {IKE_AUTH_KEYWORD[p.authentication]}")
    if p.method != "pre-share":
        lines.append(f" authentication-method {p.method}")
    if p.duration != 86400:
        lines.append(f" sa duration {p.duration}")
    return lines


def _dpd(d: Dpd) -> str:
    s = f"dpd interval {d.interval}"
    if d.retry is not None:
        s += f" retry {d.retry}"
    return s + f" {d.mode}"


def _remote_id(r: RemoteIdentity, mask_style: bool = True) -> str:
    if r.type == "address":
        return f"address {r.value} {len_to_mask(r.plen) if mask_style else r.plen}"
    if r.type == "address-range":
        return f"address range {r.value} {r.high}"
    return f"{r.type} {r.value}"


def keychain_block(k: IkeKeychain) -> Block:
    lines = [f"ike keychain {k.name}"]
    for key in k.keys:
        if key.address is not None:
            lines.append(f" pre-shared-key address {key.address} {len_to_mask(key.plen)} key cipher {key.cipher}")
        else:
            lines.append(f" pre-shared-key hostname {key.hostname} key cipher {key.cipher}")
    if k.match_local_address:
        lines.append(f" match local address {k.match_local_address}")
    return lines


def profile_block(p: IkeProfile) -> Block:
    lines = [f"ike profile {p.name}"]
    for k in p.keychains:
        lines.append(f" keychain {k}")
    if p.exchange_mode != "main":
        lines.append(f" exchange-mode {p.exchange_mode}")
    if p.local_identity:
        t, v = p.local_identity
        lines.append(f" local-identity {t} {v}".rstrip())
    for r in p.match_remote:
        lines.append(f" match remote identity {_remote_id(r)}")
    if p.match_local_address:
        lines.append(f" match local address {p.match_local_address}")
    if p.proposals:
        lines.append(" proposal " + " ".join(str(n) for n in p.proposals))
    if p.dpd:
        lines.append(" " + _dpd(p.dpd))
    if p.priority is not None:
        lines.append(f" priority {p.priority}")
    return lines


def transform_set_block(ts: TransformSet) -> Block:
    lines = [f"ipsec transform-set {ts.name}"]
    if ts.protocol != "esp":
        lines.append(f" protocol {ts.protocol}")
    if ts.encapsulation != "tunnel":
        lines.append(f" encapsulation-mode {ts.encapsulation}")
    if ts.esp_encryption:
        lines.append(" esp encryption-algorithm " + " ".join(ts.esp_encryption))
    if ts.esp_authentication:
        lines.append(" esp authentication-algorithm " + " ".join(ts.esp_authentication))
    if ts.ah_authentication:
        lines.append(" ah authentication-algorithm " + " ".join(ts.ah_authentication))
    if ts.pfs:
        lines.append(f" pfs {ts.pfs}")
    if ts.esn:
        lines.append(" esn enable")
    return lines


def policy_block(e: IpsecPolicyEntry, dialect: str) -> Block:
    lines = [f"ipsec policy {e.name} {e.seq} {e.mode}"]
    if e.description:
        lines.append(f" description {e.description}")
    if dialect == "v5":
        if e.acl is not None:
            lines.append(f" security acl {e.acl}")
        if e.ike_peer:
            lines.append(f" ike-peer {e.ike_peer}")
        if e.proposals:
            lines.append(" proposal " + " ".join(e.proposals))
        if e.pfs:
            lines.append(f" pfs {e.pfs}")
    else:
        if e.transform_sets:
            lines.append(" transform-set " + " ".join(e.transform_sets))
        if e.acl is not None:
            suffix = "" if e.acl_mode == "standard" else f" {e.acl_mode}"
            lines.append(f" security acl {e.acl}{suffix}")
        if e.local_address:
            lines.append(f" local-address {e.local_address}")
        if e.remote_address:
            lines.append(f" remote-address {e.remote_address}")
        if e.ike_profile:
            lines.append(f" ike-profile {e.ike_profile}")
        if e.ikev2_profile:
            lines.append(f" ikev2-profile {e.ikev2_profile}")
    if e.sa_time is not None:
        lines.append(f" sa duration time-based {e.sa_time}")
    if e.sa_traffic is not None:
        lines.append(f" sa duration traffic-based {e.sa_traffic}")
    if e.sa_idle is not None:
        lines.append(f" sa idle-time {e.sa_idle}")
    if e.qos_pre_classify:
        lines.append(" qos pre-classify")
    if e.reverse_route:
        lines.append(" reverse-route dynamic")
    return lines


def interface_block(i: Interface, dialect: str) -> Block:
    lines = [f"interface {i.name}"]
    if i.physical and dialect != "v5" and i.name.lower().startswith(("gigabit", "ten-gig")):
        lines.append(" port link-mode route")
    if i.description:
        lines.append(f" description {i.description}")
    if i.ip:
        lines.append(f" ip address {i.ip[0]} {len_to_mask(i.ip[1])}")
    for n in i.nat_outbound:
        s = " nat outbound"
        if n.acl is not None:
            s += f" {n.acl}"
        if n.address_group is not None:
            s += f" address-group {n.address_group}"
        lines.append(s)
    if i.ipsec_policy:
        lines.append((" ipsec policy " if dialect == "v5" else " ipsec apply policy ") + i.ipsec_policy)
    if i.shutdown:
        lines.append(" shutdown")
    return lines


def route_line(r: StaticRoute, dialect: str) -> str:
    mask = len_to_mask(r.plen) if dialect == "v5" else str(r.plen)
    s = f" ip route-static {r.dest} {mask}"
    if r.interface:
        s += f" {r.interface}"
    if r.nexthop:
        s += f" {r.nexthop}"
    if r.preference != 60:
        s += f" preference {r.preference}"
    if r.tag:
        s += f" tag {r.tag}"
    if r.description:
        s += f" description {r.description}"
    return s


def ikev2_proposal_block(p: Ikev2Proposal) -> Block:
    lines = [f"ikev2 proposal {p.name}"]
    for attr in ("encryption", "integrity", "prf", "dh"):
        vals = getattr(p, attr)
        if vals:
            lines.append(f" {attr} " + " ".join(vals))
    return lines


def ikev2_policy_block(p: Ikev2Policy) -> Block:
    lines = [f"ikev2 policy {p.name}"]
    if p.match_local_address:
        lines.append(f" match local address {p.match_local_address}")
    for n in p.proposals:
        lines.append(f" proposal {n}")
    if p.priority is not None:
        lines.append(f" priority {p.priority}")
    return lines


def ikev2_keychain_block(k: Ikev2Keychain) -> Block:
    lines = [f"ikev2 keychain {k.name}"]
    for peer in k.peers.values():
        lines.append(f" peer {peer.name}")
        if peer.address:
            lines.append(f"  address {peer.address[0]} {peer.address[1]}")
        if peer.hostname:
            lines.append(f"  hostname {peer.hostname}")
        if peer.identity:
            lines.append(f"  identity {peer.identity[0]} {peer.identity[1]}")
        if peer.psk_cipher:
            lines.append(f"  pre-shared-key ciphertext {peer.psk_cipher}")
    return lines


def ikev2_profile_block(p: Ikev2Profile) -> Block:
    lines = [f"ikev2 profile {p.name}"]
    if p.auth_local:
        lines.append(f" authentication-method local {p.auth_local}")
    if p.auth_remote:
        lines.append(f" authentication-method remote {p.auth_remote}")
    if p.keychain:
        lines.append(f" keychain {p.keychain}")
    if p.identity_local:
        lines.append(f" identity local {p.identity_local[0]} {p.identity_local[1]}")
    for r in p.match_remote:
        lines.append(f" match remote identity {_remote_id(r, mask_style=False)}")
    if p.sa_duration is not None:
        lines.append(f" sa duration {p.sa_duration}")
    if p.dpd:
        lines.append(" " + _dpd(p.dpd))
    return lines


def ike_peer_block(p: IkePeerV5) -> Block:
    lines = [f"ike peer {p.name}"]
    if p.exchange_mode != "main":
        lines.append(f" exchange-mode {p.exchange_mode}")
    if p.proposals:
        lines.append(" proposal " + " ".join(str(n) for n in p.proposals))
    if p.psk_cipher:
        lines.append(f" pre-shared-key cipher {p.psk_cipher}")
    if p.id_type != "ip":
        lines.append(f" id-type {p.id_type}")
    if p.remote_name:
        lines.append(f" remote-name {p.remote_name}")
    if p.remote_address:
        lines.append(f" remote-address {p.remote_address}")
    if p.local_address:
        lines.append(f" local-address {p.local_address}")
    if p.nat_traversal:
        lines.append(" nat traversal")
    if p.dpd:
        lines.append(f" dpd {p.dpd}")
    return lines


def ipsec_proposal_block(p: IpsecProposalV5) -> Block:
    lines = [f"ipsec proposal {p.name}"]
    if p.transform != "esp":
        lines.append(f" transform {p.transform}")
    if p.encapsulation != "tunnel":
        lines.append(f" encapsulation-mode {p.encapsulation}")
    if p.esp_encryption != "des-cbc":
        lines.append(f" esp encryption-algorithm {v5_esp_enc_keyword(p.esp_encryption)}")
    if p.esp_authentication != "md5":
        lines.append(f" esp authentication-algorithm {p.esp_authentication}")
    return lines


def global_blocks(cfg: Config, dialect: str) -> list[Block]:
    """The indented system-level one-liners (sysname, ike/ipsec globals)."""
    blocks: list[Block] = [[f" sysname {cfg.sysname}"]]
    g: Block = []
    if cfg.ike_identity:
        g.append(f" ike identity {cfg.ike_identity[0]} {cfg.ike_identity[1]}".rstrip())
    if cfg.ike_local_name:
        g.append(f" ike local-name {cfg.ike_local_name}")
    if cfg.ike_nat_keepalive is not None:
        g.append(f" ike nat-keepalive {cfg.ike_nat_keepalive}")
    if cfg.ike_dpd is not None:
        g.append(" ike " + _dpd(cfg.ike_dpd))
    if cfg.ipsec_global_time != 3600:
        g.append(f" ipsec sa global-duration time-based {cfg.ipsec_global_time}")
    if cfg.ipsec_global_traffic != 1843200:
        g.append(f" ipsec sa global-duration traffic-based {cfg.ipsec_global_traffic}")
    if g:
        blocks.append(g)
    return blocks


def route_block(cfg: Config, dialect: str) -> Optional[Block]:
    if not cfg.routes:
        return None
    return [route_line(r, dialect) for r in cfg.routes]


def config_blocks(dev: "SimulatedH3C", cfg: Config) -> list[Block]:
    dialect = dev.dialect
    blocks: list[Block] = [[f" version {dev.version_string()}"]]
    blocks += global_blocks(cfg, dialect)
    if dialect == "v5":
        blocks += [acl_block(a, dialect) for _, a in sorted(cfg.acls.items())]
        blocks += [interface_block(i, dialect) for i in dev.sorted_interfaces(cfg)]
        blocks += [ike_proposal_block(p, dialect) for _, p in sorted(cfg.ike_proposals.items())]
        blocks += [[f"ike dpd {d.name}"] + ([f" interval-time {d.interval_time}"] if d.interval_time != 10 else [])
                   + ([f" time-out {d.time_out}"] if d.time_out != 5 else []) for d in cfg.ike_dpds.values()]
        blocks += [ike_peer_block(p) for p in cfg.ike_peers.values()]
        blocks += [ipsec_proposal_block(p) for p in cfg.ipsec_proposals.values()]
        blocks += [policy_block(e, dialect) for e in _policies(cfg)]
    else:
        blocks += [acl_block(a, dialect) for _, a in sorted(cfg.acls.items())]
        blocks += [ike_proposal_block(p, dialect) for _, p in sorted(cfg.ike_proposals.items())]
        blocks += [keychain_block(k) for k in cfg.ike_keychains.values()]
        blocks += [profile_block(p) for p in cfg.ike_profiles.values()]
        blocks += [ikev2_proposal_block(p) for p in cfg.ikev2_proposals.values()]
        blocks += [ikev2_policy_block(p) for p in cfg.ikev2_policies.values()]
        blocks += [ikev2_keychain_block(k) for k in cfg.ikev2_keychains.values()]
        blocks += [ikev2_profile_block(p) for p in cfg.ikev2_profiles.values()]
        blocks += [transform_set_block(t) for t in cfg.transform_sets.values()]
        blocks += [policy_block(e, dialect) for e in _policies(cfg)]
        blocks += [interface_block(i, dialect) for i in dev.sorted_interfaces(cfg)]
    rb = route_block(cfg, dialect)
    if rb:
        blocks.append(rb)
    blocks += trailer_blocks(dev, cfg)
    return blocks


def _policies(cfg: Config) -> list[IpsecPolicyEntry]:
    out = []
    for name in cfg.policy_names():
        out += cfg.policy_entries(name)
    return out


def trailer_blocks(dev: "SimulatedH3C", cfg: Config) -> list[Block]:
    blocks: list[Block] = []
    if cfg.ssh_server_enable:
        blocks.append([" ssh server enable"])
    if dev.dialect == "v5":
        blocks.append(["user-interface vty 0 4", " authentication-mode scheme", " protocol inbound ssh"])
        for name, h in cfg.local_users:
            blocks.append([f"local-user {name}", f" password cipher {h}",
                           " authorization-attribute level 3", " service-type ssh"])
    else:
        blocks.append(["line class console", " user-role network-admin"])
        blocks.append(["line vty 0 63", " authentication-mode scheme", " user-role network-operator"])
        for name, h in cfg.local_users:
            blocks.append([f"local-user {name} class manage", f" password hash {h}", " service-type ssh",
                           " authorization-attribute user-role network-admin",
                           " authorization-attribute user-role network-operator"])
    return blocks


def join_blocks(blocks: list[Block]) -> list[str]:
    out: list[str] = []
    for b in blocks:
        out.append("#")
        out.extend(b)
    out.append("#")
    out.append("return")
    return out


def current_configuration(dev: "SimulatedH3C", cfg: Config) -> list[str]:
    return join_blocks(config_blocks(dev, cfg))


def view_block(dev: "SimulatedH3C", cfg: Config, view) -> list[Block]:
    """Blocks shown by ``display this`` in ``view``."""
    d = dev.dialect
    k = view.kind
    try:
        if k == "system":
            blocks = global_blocks(cfg, d)
            rb = route_block(cfg, d)
            if rb:
                blocks.append(rb)
            return blocks
        if k == "acl":
            return [acl_block(cfg.acls[view.key], d)]
        if k == "ike-proposal":
            return [ike_proposal_block(cfg.ike_proposals[view.key], d)]
        if k == "ike-keychain":
            return [keychain_block(cfg.ike_keychains[view.key])]
        if k == "ike-profile":
            return [profile_block(cfg.ike_profiles[view.key])]
        if k == "transform-set":
            return [transform_set_block(cfg.transform_sets[view.key])]
        if k == "ipsec-policy":
            return [policy_block(cfg.ipsec_policies[view.key], d)]
        if k == "interface":
            return [interface_block(cfg.interfaces[view.key], d)]
        if k == "ikev2-proposal":
            return [ikev2_proposal_block(cfg.ikev2_proposals[view.key])]
        if k == "ikev2-policy":
            return [ikev2_policy_block(cfg.ikev2_policies[view.key])]
        if k == "ikev2-keychain":
            return [ikev2_keychain_block(cfg.ikev2_keychains[view.key])]
        if k == "ikev2-peer":
            return [ikev2_keychain_block(cfg.ikev2_keychains[view.parent_key])]
        if k == "ikev2-profile":
            return [ikev2_profile_block(cfg.ikev2_profiles[view.key])]
        if k == "ike-peer":
            return [ike_peer_block(cfg.ike_peers[view.key])]
        if k == "ipsec-proposal":
            return [ipsec_proposal_block(cfg.ipsec_proposals[view.key])]
        if k == "ike-dpd":
            dd = cfg.ike_dpds[view.key]
            return [[f"ike dpd {dd.name}"] + ([f" interval-time {dd.interval_time}"] if dd.interval_time != 10 else [])
                    + ([f" time-out {dd.time_out}"] if dd.time_out != 5 else [])]
    except KeyError:
        return []
    return []
