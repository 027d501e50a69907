"""IPv4 routing table of the simulated H3C: connected (Direct) + static routes, longest match."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from .addr import in_prefix, ip_to_int, network_of
from .state import Config

ABBREV = [("GigabitEthernet", "GE"), ("Ten-GigabitEthernet", "XGE"), ("InLoopBack", "InLoop"),
          ("LoopBack", "Loop"), ("Vlan-interface", "Vlan"), ("NULL", "NULL"), ("Tunnel", "Tun")]


def abbreviate(ifname: str) -> str:
    for full, short in sorted(ABBREV, key=lambda x: -len(x[0])):
        if ifname.lower().startswith(full.lower()):
            return short + ifname[len(full):]
    return ifname


@dataclass(frozen=True)
class RouteEntry:
    dest: str
    plen: int
    proto: str  # Direct | Static
    pref: int
    cost: int
    nexthop: str
    iface: str  # full interface name
    description: Optional[str] = None


def _direct(cfg: Config) -> list[RouteEntry]:
    out = [
        RouteEntry("127.0.0.0", 8, "Direct", 0, 0, "127.0.0.1", "InLoopBack0"),
        RouteEntry("127.0.0.1", 32, "Direct", 0, 0, "127.0.0.1", "InLoopBack0"),
        RouteEntry("255.255.255.255", 32, "Direct", 0, 0, "127.0.0.1", "InLoopBack0"),
    ]
    for itf in cfg.interfaces.values():
        if itf.shutdown or not itf.ip:
            continue
        ip, plen = itf.ip
        if plen < 32:
            out.append(RouteEntry(network_of(ip, plen), plen, "Direct", 0, 0, ip, itf.name))
        out.append(RouteEntry(ip, 32, "Direct", 0, 0, "127.0.0.1", "InLoopBack0"))
    return out


def _resolve_nexthop(direct: list[RouteEntry], cfg: Config, nexthop: str) -> Optional[str]:
    best = None
    for r in direct:
        if r.plen == 32 or r.iface == "InLoopBack0":
            continue
        if in_prefix(nexthop, r.dest, r.plen) and (best is None or r.plen > best.plen):
            best = r
    if best is None:
        return None
    # a next hop that is one of our own addresses is not usable
    for itf in cfg.interfaces.values():
        if itf.ip and itf.ip[0] == nexthop:
            return None
    return best.iface


def routing_table(cfg: Config) -> list[RouteEntry]:
    """Active routes (best preference per prefix, ECMP kept), sorted by (address, length)."""
    direct = _direct(cfg)
    cands: list[RouteEntry] = list(direct)
    for r in cfg.routes:
        iface = None
        if r.interface:
            itf = cfg.interfaces.get(r.interface.lower())
            if itf is None or itf.shutdown:
                continue
            iface = itf.name
            if r.interface.upper().startswith("NULL"):
                iface = "NULL0"
            nh = r.nexthop or "0.0.0.0"
        else:
            iface = _resolve_nexthop(direct, cfg, r.nexthop or "")
            nh = r.nexthop or ""
            if iface is None:
                continue
        cands.append(RouteEntry(r.dest, r.plen, "Static", r.preference, 0, nh, iface, r.description))
    best: dict[tuple[str, int], list[RouteEntry]] = {}
    for e in cands:
        key = (e.dest, e.plen)
        cur = best.get(key)
        if cur is None or e.pref < cur[0].pref:
            best[key] = [e]
        elif e.pref == cur[0].pref and e not in cur:
            cur.append(e)
    out: list[RouteEntry] = []
    for key in sorted(best, key=lambda k: (ip_to_int(k[0]), k[1])):
        out.extend(best[key])
    return out


def lookup(cfg: Config, dst: str) -> Optional[RouteEntry]:
    best = None
    for e in routing_table(cfg):
        if in_prefix(dst, e.dest, e.plen) and (best is None or e.plen > best.plen):
            best = e
    return best


def local_addresses(cfg: Config) -> dict[str, str]:
    out = {"127.0.0.1": "InLoopBack0"}
    for itf in cfg.interfaces.values():
        if itf.ip and not itf.shutdown:
            out[itf.ip[0]] = itf.name
    return out
