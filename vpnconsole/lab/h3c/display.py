"""``display ...`` renderers (reference §5 layouts), all computed from device state.

Exact-format sources: §5.2 ike proposal, §5.3 ike sa (newer V7 layout with the Local column; V5
layout), §5.4 ipsec sa (V7 and V5), §5.5 ipsec sa brief/count, §5.6 ipsec tunnel, §5.7 ipsec
policy, §5.8 ip routing-table (parsed by ntc-templates ``hp_comware_display_ip_routing-table``),
§5.10 ping. Layouts the reference does not spell out are marked [≈] at their renderer:
``display acl``, ``display ipsec transform-set``, ``display ikev2 sa``, ``display logbuffer``,
``display version`` beyond its first lines, the "incomplete" reason indentation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

from .addr import in_prefix, is_ip, len_to_mask
from .algorithms import (
    DEFAULT_IKE_PROPOSAL, IKE_AUTH_METHODS, dh_display, enc_display, esp_auth_transform,
    esp_enc_transform, hash_display,
)
from .negotiation import incomplete_reasons, kb_used
from .render import _rule_line
from .routing import abbreviate, lookup, routing_table
from .state import Acl, IpsecSa

if TYPE_CHECKING:  # pragma: no cover
    from .device import SimulatedH3C


# ---------------------------------------------------------------------------------------------
# version
# ---------------------------------------------------------------------------------------------

def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def uptime_text(seconds: float) -> str:
    s = int(seconds)
    weeks, s = divmod(s, 7 * 86400)
    days, s = divmod(s, 86400)
    hours, s = divmod(s, 3600)
    minutes = s // 60
    return ", ".join([_plural(weeks, "week"), _plural(days, "day"), _plural(hours, "hour"),
                      _plural(minutes, "minute")])


def display_version(dev: "SimulatedH3C") -> list[str]:
    o = dev.options
    up = uptime_text(dev.now() - dev.boot_time)
    if dev.dialect == "v5":
        return [
            "H3C Comware Platform Software",
            f"Comware Software, Version {dev.version_string()}",
            "Copyright (c) 2004-2017 Hangzhou H3C Tech. Co., Ltd. All rights reserved.",
            f"H3C {dev.model} uptime is {up}",
            "Last reboot reason : User reboot",
            "",
            f"CPU type: FREESCALE MPC8349 533MHz",
            "256M bytes DDR SDRAM Memory",
            "4M bytes Flash Memory",
            "Pcb               Version:  2.0",
            "Logic             Version:  1.0",
        ]
    ver = dev.version_string()
    short = ver.split(",")[0]
    rel = ver.split("Release ")[-1].lower()
    return [
        f"H3C Comware Software, Version {ver}",
        "Copyright (c) 2004-2021 New H3C Technologies Co., Ltd. All rights reserved.",
        f"H3C {dev.model} uptime is {up}",
        "Last reboot reason : User reboot",
        "",
        f"Boot image: flash:/msr36-cmw710-boot-r{rel}.bin",
        f"Boot image version: {short}, Release {ver.split('Release ')[-1]}",
        "  Compiled Mar 05 2021 15:00:00",
        f"System image: flash:/msr36-cmw710-system-r{rel}.bin",
        f"System image version: {short}, Release {ver.split('Release ')[-1]}",
        "  Compiled Mar 05 2021 15:00:00",
    ]


# ---------------------------------------------------------------------------------------------
# IKE
# ---------------------------------------------------------------------------------------------

def display_ike_proposal(dev: "SimulatedH3C") -> list[str]:
    lines = [
        " Priority Authentication Authentication Encryption  Diffie-Hellman Duration",
        "              method       algorithm    algorithm       group      (seconds)",
        "----------------------------------------------------------------------------",
    ]
    rows = [(str(n), p.method, p.authentication, p.encryption, p.dh, p.duration)
            for n, p in sorted(dev.config.ike_proposals.items())]
    d = DEFAULT_IKE_PROPOSAL
    rows.append(("default", d["method"], d["authentication"], d["encryption"], d["dh"], d["duration"]))
    for prio, method, auth, enc, dh, dur in rows:
        lines.append(f" {prio:<9}{IKE_AUTH_METHODS[method]:<19}{hash_display(auth):<11}"
                     f"{enc_display(enc):<12}{dh_display(dh):<15}{dur}")
    return lines


def display_ike_sa(dev: "SimulatedH3C", verbose: bool = False, conn_id: Optional[int] = None,
                   remote: Optional[str] = None) -> list[str]:
    sas = [s for s in dev.runtime.ike_sas if s.version == "ikev1"]
    if dev.dialect == "v5" and not verbose:
        rows = []
        for s in sas:
            flag = "RD|ST" if s.flag == "RD" else "Unknown"
            rows.append(f"    {s.conn_id:<15}{s.remote_ip:<16}{flag:<12}1       IPSEC")
            if s.phase2_conn_id is not None:
                rows.append(f"    {s.phase2_conn_id:<15}{s.remote_ip:<16}{flag:<12}2       IPSEC")
        return [f"    total phase-1 SAs:  {len(sas)}",
                "    connection-id  peer            flag        phase   doi",
                "  ----------------------------------------------------------"] + rows + [
                "", "  flag meaning",
                "  RD--READY ST--STAYALIVE RL--REPLACED FD--FADING TO--TIMEOUT RK--REKEY"]
    if verbose:
        if conn_id is not None:
            sas = [s for s in sas if s.conn_id == conn_id]
        if remote is not None:
            sas = [s for s in sas if s.remote_ip == remote]
        out: list[str] = []
        now = dev.now()
        for s in sas:
            port = 4500 if s.nat_detected else 500
            remaining = max(0, int(s.created + s.lifetime - now)) if s.flag == "RD" else 0
            out += [
                "   -----------------------------------------------",
                f"   Connection ID: {s.conn_id}",
                "   Outside VPN:",
                "   Inside VPN:",
                f"   Profile: {s.profile or ''}".rstrip(),
                f"   Transmitting entity: {s.role}",
                f"   Initiator cookie: {s.initiator_cookie}",
                f"   Responder cookie: {s.responder_cookie}",
                "   -----------------------------------------------",
                f"   Local IP/port: {s.local_ip}/{port}",
                f"   Local ID type: {s.local_id[0]}",
                f"   Local ID: {s.local_id[1]}",
                "",
                f"   Remote IP/port: {s.remote_ip}/{port}",
                f"   Remote ID type: {s.remote_id[0] if s.flag == 'RD' else ''}".rstrip(),
                f"   Remote ID: {s.remote_id[1] if s.flag == 'RD' else ''}".rstrip(),
                "",
                f"   Authentication-method: {IKE_AUTH_METHODS.get(s.method, s.method.upper())}",
                f"   Authentication-algorithm: {hash_display(s.authentication)}",
                f"   Encryption-algorithm: {enc_display(s.encryption)}",
                "",
                f"   Life duration(sec): {s.lifetime}",
                f"   Remaining key duration(sec): {remaining}",
                f"   Exchange-mode: {s.exchange_mode}",
                f"   Diffie-Hellman group: {dh_display(s.dh)}",
                f"   NAT traversal: {'Detected' if s.nat_detected else 'Not detected'}",
                "",
                "   Extend authentication: Disabled",
                "   Assigned IP address:",
                "   Vendor ID index:0xffffffff",
                "   Vendor ID sequence number:0x0",
            ]
        return out
    lines = [
        "    Connection-ID   Local               Remote              Flag      DOI",
        "-------------------------------------------------------------------------",
    ]
    for s in sas:
        lines.append(f"    {s.conn_id:<16}{s.local_ip:<20}{s.remote_ip:<20}{s.flag:<10}IPsec")
    lines += ["Flags:", "RD--READY RL--REPLACED FD-FADING RK-REKEY"]
    return lines


def display_ikev2_sa(dev: "SimulatedH3C", verbose: bool = False) -> list[str]:
    """[≈] V7 ``display ikev2 sa`` layout."""
    sas = [s for s in dev.runtime.ike_sas if s.version == "ikev2"]
    if verbose:
        out = []
        now = dev.now()
        for s in sas:
            port = 4500 if s.nat_detected else 500
            out += [
                "   -----------------------------------------------",
                f"   Tunnel ID: {s.conn_id}",
                f"   Local IP/Port: {s.local_ip}/{port}",
                f"   Remote IP/Port: {s.remote_ip}/{port}",
                "   Outside VRF: -",
                "   Inside VRF: -",
                f"   Local SPI: {s.initiator_cookie}",
                f"   Remote SPI: {s.responder_cookie}",
                "",
                f"   Local ID type: {s.local_id[0]}",
                f"   Local ID: {s.local_id[1]}",
                f"   Remote ID type: {s.remote_id[0]}",
                f"   Remote ID: {s.remote_id[1]}",
                "",
                "   Auth sign method: Pre-shared key",
                "   Auth verify method: Pre-shared key",
                f"   Integrity algorithm: HMAC_{hash_display(s.authentication)}",
                f"   PRF algorithm: HMAC_{hash_display(s.authentication)}",
                f"   Encryption algorithm: {enc_display(s.encryption)}",
                "",
                f"   Life duration: {s.lifetime} secs",
                f"   Remaining key duration: {max(0, int(s.created + s.lifetime - now))} secs",
                f"   Diffie-Hellman group: {dh_display(s.dh)}",
                f"   NAT traversal: {'Detected' if s.nat_detected else 'Not detected'}",
                "   DPD: Interval 0 secs, Retry interval 0 secs" if s.dpd is None else
                f"   DPD: Interval {s.dpd.interval} secs, Retry interval {s.dpd.retry or 5} secs",
            ]
        return out
    lines = [
        "Tunnel ID   Local                      Remote                      Status",
        "---------------------------------------------------------------------------",
    ]
    for s in sas:
        port = 4500 if s.nat_detected else 500
        status = "EST" if s.flag == "RD" else "IN-NEGO"
        lines.append(f"  {s.conn_id:<10}{s.local_ip + '/' + str(port):<27}{s.remote_ip + '/' + str(port):<28}{status}")
    lines += ["Status:", "IN-NEGO: Negotiating, EST: Established, DEL:Deleting"]
    return lines


# ---------------------------------------------------------------------------------------------
# IPsec SAs / tunnels
# ---------------------------------------------------------------------------------------------

def _flow(f: tuple[str, str]) -> str:
    return f"{f[0]}/{f[1]}"


def _remaining(dev, sa: IpsecSa) -> tuple[int, int, int]:
    sec = max(0, int(sa.created + sa.lifetime_s - dev.now()))
    return sec, max(0, sa.lifetime_kb - kb_used(sa, True)), max(0, sa.lifetime_kb - kb_used(sa, False))


def filter_sas(dev, policy: Optional[str] = None, seq: Optional[int] = None, remote: Optional[str] = None,
               interface: Optional[str] = None) -> list[IpsecSa]:
    out = []
    for sa in dev.runtime.ipsec_sas:
        if policy is not None and sa.policy.lower() != policy.lower():
            continue
        if seq is not None and sa.seq != seq:
            continue
        if remote is not None and sa.remote_ip != remote:
            continue
        if interface is not None and sa.interface.lower() != interface.lower():
            continue
        out.append(sa)
    return out


def display_ipsec_sa(dev: "SimulatedH3C", sas: list[IpsecSa]) -> list[str]:
    if not sas:
        return []
    v5 = dev.dialect == "v5"
    out: list[str] = []
    by_if: dict[str, list[IpsecSa]] = {}
    for sa in sas:
        by_if.setdefault(sa.interface, []).append(sa)
    for ifname, group in by_if.items():
        if v5:
            out += ["===============================", f"Interface: {ifname}", "    path MTU: 1500",
                    "===============================", ""]
        else:
            out += ["-------------------------------", f"Interface: {ifname}", "-------------------------------", ""]
        for sa in group:
            sec, in_kb, out_kb = _remaining(dev, sa)
            if v5:
                pfs = f"DH group {sa.pfs.replace('group', '')}" if sa.pfs else ""
                transform = f"{esp_enc_transform(sa.encryption, v5=True)} {esp_auth_transform(sa.authentication)}"
                out += [
                    "  -----------------------------",
                    f"  IPsec policy name: \"{sa.policy}\"",
                    f"  sequence number: {sa.seq}",
                    "  mode: isakmp",
                    "  -----------------------------",
                    f"    connection id: {sa.ike_conn_id + 1}",
                    "    encapsulation mode: tunnel",
                    f"    perfect forward secrecy: {pfs}".rstrip(),
                    "    tunnel:",
                    f"        local  address: {sa.local_ip}",
                    f"        remote address: {sa.remote_ip}",
                    "    flow:",
                    f"        sour addr: {_flow(sa.flow_src)}  port: 0  protocol: IP",
                    f"        dest addr: {_flow(sa.flow_dst)}  port: 0  protocol: IP",
                    "",
                    "    [inbound ESP SAs]",
                    f"      spi: {sa.in_spi} (0x{sa.in_spi:08x})",
                    f"      proposal: {transform}",
                    f"      sa duration (kilobytes/sec): {sa.lifetime_kb}/{sa.lifetime_s}",
                    f"      sa remaining duration (kilobytes/sec): {in_kb}/{sec}",
                    f"      max received sequence-number: {sa.in_seq}",
                    "      anti-replay check enable: Y",
                    "      anti-replay window size: 32",
                    f"      udp encapsulation used for nat traversal: {'Y' if sa.nat_t else 'N'}",
                    "",
                    "    [outbound ESP SAs]",
                    f"      spi: {sa.out_spi} (0x{sa.out_spi:08x})",
                    f"      proposal: {transform}",
                    f"      sa duration (kilobytes/sec): {sa.lifetime_kb}/{sa.lifetime_s}",
                    f"      sa remaining duration (kilobytes/sec): {out_kb}/{sec}",
                    f"      max sent sequence-number: {sa.out_seq}",
                    f"      udp encapsulation used for nat traversal: {'Y' if sa.nat_t else 'N'}",
                    "",
                ]
                continue
            pfs = f"dh-{sa.pfs}" if sa.pfs else ""
            transform = f"{esp_enc_transform(sa.encryption)} {esp_auth_transform(sa.authentication)}"
            nat = "Y" if sa.nat_t else "N"
            out += [
                "  -----------------------------",
                f"  IPsec policy: {sa.policy}",
                f"  Sequence number: {sa.seq}",
                "  Mode: ISAKMP",
                "  -----------------------------",
                f"    Tunnel id: {sa.tunnel_id}",
                "    Encapsulation mode: tunnel",
                f"    Perfect Forward Secrecy: {pfs}".rstrip() if not pfs else f"    Perfect Forward Secrecy: {pfs}",
                "    Inside VPN:",
                "    Extended Sequence Numbers enable: N",
                "    Traffic Flow Confidentiality enable: N",
                f"    Transmitting entity: {sa.role}",
                f"    Path MTU: {1420 if not sa.nat_t else 1412}",
                "    Tunnel:",
                f"        local  address: {sa.local_ip}",
                f"        remote address: {sa.remote_ip}",
                "    Flow:",
                f"        sour addr: {_flow(sa.flow_src)}  port: 0  protocol: ip",
                f"        dest addr: {_flow(sa.flow_dst)}  port: 0  protocol: ip",
                "",
                "    [Inbound ESP SAs]",
                f"      SPI: {sa.in_spi} (0x{sa.in_spi:08x})",
                f"      Connection ID: {sa.in_conn}",
                f"      Transform set: {transform}",
                f"      SA duration (kilobytes/sec): {sa.lifetime_kb}/{sa.lifetime_s}",
                f"      SA remaining duration (kilobytes/sec): {in_kb}/{sec}",
                f"      Max received sequence-number: {sa.in_seq}",
                "      Anti-replay check enable: Y",
                "      Anti-replay window size: 64",
                f"      UDP encapsulation used for NAT traversal: {nat}",
                "      Status: Active",
                "",
                "    [Outbound ESP SAs]",
                f"      SPI: {sa.out_spi} (0x{sa.out_spi:08x})",
                f"      Connection ID: {sa.out_conn}",
                f"      Transform set: {transform}",
                f"      SA duration (kilobytes/sec): {sa.lifetime_kb}/{sa.lifetime_s}",
                f"      SA remaining duration (kilobytes/sec): {out_kb}/{sec}",
                f"      Max sent sequence-number: {sa.out_seq}",
                f"      UDP encapsulation used for NAT traversal: {nat}",
                "      Status: Active",
                "",
            ]
    while out and out[-1] == "":
        out.pop()
    return out


def display_ipsec_sa_brief(dev: "SimulatedH3C") -> list[str]:
    sas = dev.runtime.ipsec_sas
    if dev.dialect == "v5":
        lines = ["---------------------------------------------------------------------------",
                 "Src Address     Dst Address     SPI         Protocol  Algorithm",
                 "---------------------------------------------------------------------------"]
        for sa in sas:
            alg = f"E:{esp_enc_transform(sa.encryption, True)[12:]}; A:HMAC-{sa.authentication.upper()}-96"
            lines.append(f"{sa.local_ip:<16}{sa.remote_ip:<16}{sa.out_spi:<12}{'ESP':<10}{alg}")
            lines.append(f"{sa.remote_ip:<16}{sa.local_ip:<16}{sa.in_spi:<12}{'ESP':<10}{alg}")
        return lines
    lines = ["-----------------------------------------------------------------------",
             "Interface/Global   Dst Address      SPI         Protocol  Status",
             "-----------------------------------------------------------------------"]
    for sa in sas:
        ab = abbreviate(sa.interface)
        lines.append(f"{ab:<19}{sa.remote_ip:<17}{sa.out_spi:<12}{'ESP':<10}Active")
        lines.append(f"{ab:<19}{sa.local_ip:<17}{sa.in_spi:<12}{'ESP':<10}Active")
    return lines


def display_ipsec_tunnel(dev: "SimulatedH3C", kind: str, tunnel_id: Optional[int] = None) -> list[str]:
    sas = dev.runtime.ipsec_sas
    if kind == "count":
        return [f"Total IPsec Tunnel Count: {len(sas)}"]
    if kind == "brief":
        lines = ["----------------------------------------------------------------------------",
                 "Tunn-id   Src Address     Dst Address     Inbound SPI   Outbound SPI  Status",
                 "----------------------------------------------------------------------------"]
        for sa in sas:
            lines.append(f"{sa.tunnel_id:<10}{sa.local_ip:<16}{sa.remote_ip:<16}{sa.in_spi:<14}{sa.out_spi:<14}Active")
        return lines
    out: list[str] = []
    for sa in sas:
        if tunnel_id is not None and sa.tunnel_id != tunnel_id:
            continue
        if out:
            out.append("")
        out += [
            f"Tunnel ID: {sa.tunnel_id}",
            "Status: Active",
            f"Perfect forward secrecy: {'dh-' + sa.pfs if sa.pfs else ''}".rstrip(),
            "SA's SPI:",
            f"    outbound:  {sa.out_spi}  (0x{sa.out_spi:08x})   [ESP]",
            f"    inbound:   {sa.in_spi}  (0x{sa.in_spi:08x})   [ESP]",
            "Tunnel:",
            f"    local  address: {sa.local_ip}",
            f"    remote address: {sa.remote_ip}",
            "Flow:",
            f"    sour addr: {_flow(sa.flow_src)}  port: 0  protocol: ip",
            f"    dest addr: {_flow(sa.flow_dst)}  port: 0  protocol: ip",
        ]
    return out


# ---------------------------------------------------------------------------------------------
# IPsec policy / transform set / proposal
# ---------------------------------------------------------------------------------------------

def display_ipsec_policy(dev: "SimulatedH3C", name: Optional[str] = None, seq: Optional[int] = None) -> list[str]:
    cfg = dev.config
    names = [name] if name else cfg.policy_names()
    out: list[str] = []
    for n in names:
        entries = cfg.policy_entries(n)
        if seq is not None:
            entries = [e for e in entries if e.seq == seq]
        if not entries:
            continue
        out += ["-------------------------------------------", f"IPsec Policy: {entries[0].name}"]
        for itf in cfg.interfaces_with_policy(n):
            out.append(f"Interface: {itf.name}")
        out += ["-------------------------------------------", ""]
        for e in entries:
            out += ["  -----------------------------", f"  Sequence number: {e.seq}",
                    f"  Mode: {'ISAKMP' if e.mode == 'isakmp' else 'Manual'}",
                    "  -----------------------------"]
            reasons = incomplete_reasons(dev, e)
            if reasons:
                out.append("  The policy configuration is incomplete:")
                out += [" " * 19 + r for r in reasons]
            out.append(f"  Description: {e.description or ''}".rstrip())
            out.append(f"  Security data flow: {e.acl if e.acl is not None else ''}".rstrip())
            out.append(f"  Selector mode: {e.acl_mode}")
            if dev.dialect == "v5":
                out.append(f"  IKE peer: {e.ike_peer or ''}".rstrip())
                out.append(f"  Proposal: {' '.join(e.proposals)}".rstrip())
                out.append(f"  Perfect forward secrecy: {e.pfs or ''}".rstrip())
            else:
                out.append(f"  Local address: {e.local_address or ''}".rstrip())
                out.append(f"  Remote address: {e.remote_address or ''}".rstrip())
                out.append(f"  Transform set: {' '.join(e.transform_sets)}".rstrip())
                out.append(f"  IKE profile: {e.ike_profile or ''}".rstrip())
                out.append(f"  IKEv2 profile: {e.ikev2_profile or ''}".rstrip())
            out.append("  SA duration(time based): " + (f"{e.sa_time} seconds" if e.sa_time else "").rstrip()
                       if e.sa_time else "  SA duration(time based):")
            out.append(f"  SA duration(traffic based): {str(e.sa_traffic) + ' kilobytes' if e.sa_traffic else ''}".rstrip())
            out.append(f"  SA idle time: {str(e.sa_idle) + ' seconds' if e.sa_idle else ''}".rstrip())
            out.append("")
    while out and out[-1] == "":
        out.pop()
    return out


def display_transform_set(dev: "SimulatedH3C", name: Optional[str] = None) -> list[str]:
    """[≈] layout from H3C command references."""
    out: list[str] = []
    for ts in dev.config.transform_sets.values():
        if name and ts.name.lower() != name.lower():
            continue
        if out:
            out.append("")
        out += [
            f"IPsec transform set: {ts.name}",
            f"  State: {'complete' if ts.complete() else 'incomplete'}",
            f"  Encapsulation mode: {ts.encapsulation}",
            f"  ESN: {'Enabled' if ts.esn else 'Disabled'}",
            f"  PFS: {ts.pfs or ''}".rstrip(),
            f"  Transform: {ts.protocol.upper()}",
        ]
        if ts.protocol in ("ah", "ah-esp"):
            out += ["  AH protocol:", f"    Integrity: {' '.join(a.upper() for a in ts.ah_authentication)}".rstrip()]
        if ts.protocol in ("esp", "ah-esp"):
            out += ["  ESP protocol:",
                    f"    Integrity: {' '.join(a.upper() for a in ts.esp_authentication)}".rstrip(),
                    f"    Encryption: {' '.join(a.upper() for a in ts.esp_encryption)}".rstrip()]
    return out


def display_ipsec_proposal(dev: "SimulatedH3C", name: Optional[str] = None) -> list[str]:
    """[≈] V5 ``display ipsec proposal``."""
    out: list[str] = []
    for p in dev.config.ipsec_proposals.values():
        if name and p.name.lower() != name.lower():
            continue
        if out:
            out.append("")
        out += [f"   IPsec proposal name: {p.name}",
                f"   encapsulation mode: {p.encapsulation}",
                f"   transform: {p.transform}",
                f"   ESP protocol: authentication {p.esp_authentication}, encryption {esp_enc_transform(p.esp_encryption, True)[12:]}"]
    return out


# ---------------------------------------------------------------------------------------------
# ACL / routing / logbuffer
# ---------------------------------------------------------------------------------------------

def display_acl(dev: "SimulatedH3C", acl: Acl) -> list[str]:
    """[≈] V7: ``Advanced IPv4 ACL 3950, 1 rule,``; V5: ``Advanced ACL  3950, named -none-, 1 rule,``."""
    n = len(acl.rules)
    rules = f"{n} rule" + ("" if n == 1 else "s")
    kind = "Advanced" if acl.kind == "advanced" else "Basic"
    if dev.dialect == "v5":
        lines = [f"{kind} ACL  {acl.number}, named {acl.name or '-none-'}, {rules},"]
        if acl.description:
            lines.append(acl.description)
        lines.append(f"ACL's step is {acl.step}")
    else:
        named = f" named {acl.name}," if acl.name else ""
        lines = [f"{kind} IPv4 ACL {acl.number},{named} {rules},"]
        if acl.description:
            lines.append(acl.description)
        lines.append(f"ACL's step is {acl.step}, start ID is 0")
    for r in acl.ordered_rules():
        s = " " + _rule_line(acl, r)
        if r.hits:
            s += f" ({r.hits} time{'s' if r.hits != 1 else ''} matched)"
        lines.append(s)
        if r.comment:
            lines.append(f" rule {r.id} comment {r.comment}")
    return lines


def _route_rows(entries) -> list[str]:
    rows = []
    prev = None
    for e in entries:
        if prev is not None and (prev.dest, prev.plen) == (e.dest, e.plen):
            rows.append(f"{'':<43}{e.nexthop:<16}{abbreviate(e.iface)}")
        else:
            rows.append(f"{e.dest + '/' + str(e.plen):<19}{e.proto:<8}{e.pref:<4}{e.cost:<12}{e.nexthop:<16}"
                        f"{abbreviate(e.iface)}")
        prev = e
    return rows


def display_routing_table(dev: "SimulatedH3C", dest: Optional[str] = None, plen: Optional[int] = None,
                          protocol: Optional[str] = None) -> list[str]:
    header = "Destination/Mask   Proto   Pre Cost        NextHop         Interface"
    table = routing_table(dev.config)
    if dest is None:
        if protocol:
            table = [e for e in table if e.proto.lower() == protocol]
        if dev.dialect == "v5":
            title = ["Routing Tables: Public"]
            return title + [f"         Destinations : {len({(e.dest, e.plen) for e in table})}"
                            f"        Routes : {len(table)}", "", header] + _route_rows(table)
        return ["", f"Destinations : {len({(e.dest, e.plen) for e in table}):<9}Routes : {len(table)}", "",
                header] + _route_rows(table)
    if plen is None:
        best = lookup(dev.config, dest)
        entries = [e for e in table if best and (e.dest, e.plen) == (best.dest, best.plen)]
    else:
        entries = [e for e in table if e.plen == plen and in_prefix(e.dest, dest, plen)
                   and e.dest == _net(dest, plen)]
    if not entries:
        return ["", "Summary count : 0"]
    return ["", f"Summary count : {len(entries)}", "", header] + _route_rows(entries)


def _net(ip: str, plen: int) -> str:
    from .addr import network_of
    return network_of(ip, plen)


def display_commit_delay(dev: "SimulatedH3C") -> list[str]:
    """``display configuration commit delay`` (invented wording [?])."""
    pending = dev.runtime.commit_delay
    if pending is None:
        return ["No configuration commit delay is set."]
    left = max(0, int(pending.deadline - dev.now()))
    return [f"Configuration commit delay: {pending.minutes} minutes",
            f"Remaining time: {left // 60} minutes {left % 60} seconds"]


def display_logbuffer(dev: "SimulatedH3C") -> list[str]:
    """[≈] V7 layout."""
    buf = dev.runtime.logbuffer
    return [
        "Log buffer: Enabled",
        "Max buffer size: 1024",
        "Actual buffer size: 512",
        "Dropped messages: 0",
        "Overwritten messages: 0",
        f"Current messages: {len(buf)}",
    ] + list(buf)


def display_interface_brief(dev: "SimulatedH3C") -> list[str]:
    """[≈] V7 ``display interface brief`` (route-mode part only)."""
    lines = ["Brief information on interfaces in route mode:",
             "Link: ADM - administratively down; Stby - standby",
             "Protocol: (s) - spoofing",
             "Interface            Link Protocol Primary IP      Description"]
    for itf in dev.sorted_interfaces(dev.config) + []:
        link = "ADM" if itf.shutdown else "UP"
        proto = "DOWN" if itf.shutdown else ("UP" if itf.physical else "UP(s)")
        ip = itf.ip[0] if itf.ip else "--"
        lines.append(f"{abbreviate(itf.name):<21}{link:<5}{proto:<9}{ip:<16}{itf.description or ''}".rstrip())
    return lines


def is_valid_ip(text: str) -> bool:
    return is_ip(text)


__all__ = [n for n in dir() if n.startswith("display_")] + ["filter_sas", "len_to_mask"]
