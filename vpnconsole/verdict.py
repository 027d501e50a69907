"""One verdict from both ends' live state: up and passing, or the first thing that is wrong and why.

The order follows the path a packet needs: both ends reachable → the lab configured on both →
both configured alike (the live diff) → phase 1 → phase 2 → a route on each side.  The first
failing step is the verdict; everything else that is wrong is listed too, so the user sees the
root cause first and the consequences after it.  Pure: it reads EndStates, it never asks an end.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

from vpnconsole.diagnose import Comparison
from vpnconsole.endstate import DOWN, NEGOTIATING, UP, EndState, Route

# Verdict codes, stable for --json and the exit code (4 unless "up").
UP_PASSING = "up"
UNREACHABLE = "end-unreachable"
NOT_CONFIGURED = "not-configured"
MISMATCH = "configured-differently"
PHASE1_DOWN = "phase1-down"
PHASE2_DOWN = "phase2-down"
ROUTE_MISSING = "route-missing"


@dataclass(frozen=True)
class Verdict:
    code: str
    summary: str  # one line for people
    problems: tuple[str, ...] = ()  # every finding, root cause first
    paths: tuple[str, ...] = ()  # per-subnet path lines: "172.16.0.0/24 → VPN gateway ✓"
    details: dict[str, Any] = field(default_factory=dict)
    #: which checks this verdict rests on, where not every check was possible (a web-managed ER
    #: cannot be read: "configuration and SAs: not readable …", "tunnel state …: from the Alibaba side")
    checks: tuple[str, ...] = ()

    @property
    def up(self) -> bool:
        return self.code == UP_PASSING

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "up": self.up, "summary": self.summary, "problems": list(self.problems),
                "paths": list(self.paths), "checks": list(self.checks)}


def _covering(routes: tuple[Route, ...], subnet: str) -> Route | None:
    """The longest-prefix route that carries the whole ``subnet``."""
    net = ipaddress.IPv4Network(subnet)
    best: tuple[int, Route] | None = None
    for route in routes:
        try:
            dest = ipaddress.IPv4Network(route.destination, strict=False)
        except ValueError:
            continue
        if net.subnet_of(dest) and (best is None or dest.prefixlen > best[0]):
            best = (dest.prefixlen, route)
    return best[1] if best else None


def route_paths(onprem_subnets: list[str], cloud_subnets: list[str], h3c: EndState | None,
                alibaba: EndState | None, *, wan_interface: str, gateway_id: str) -> tuple[list[str], list[str]]:
    """(path lines, problems) for each subnet: the VPC must send on-prem subnets to the VPN gateway,
    the H3C must send cloud subnets out of the WAN interface carrying the policy."""
    lines: list[str] = []
    problems: list[str] = []
    if alibaba is not None and alibaba.reachable:
        vpc_routes = tuple(r for r in alibaba.routes if r.table != "vpn-gateway")
        for subnet in onprem_subnets:
            route = _covering(vpc_routes, subnet)
            if route is None:
                lines.append(f"{subnet} missing in VPC route table ✗")
                problems.append(f"no VPC route for {subnet}: the VPC does not send it to the VPN gateway")
            elif route.next_hop != gateway_id:
                lines.append(f"{subnet} → {route.via or ''} {route.next_hop} ✗ (not the VPN gateway)")
                problems.append(f"VPC route for {subnet} points at {route.next_hop}, not the VPN gateway {gateway_id}")
            elif route.status not in (None, "Available"):
                lines.append(f"{subnet} → VPN gateway ({route.status}) …")
                problems.append(f"VPC route for {subnet} is {route.status}, not yet Available")
            else:
                lines.append(f"{subnet} → VPN gateway ✓")
    if h3c is not None and h3c.reachable:
        short = _short_interface(wan_interface)
        for subnet in cloud_subnets:
            route = _covering(h3c.routes, subnet)
            if route is None:
                lines.append(f"{subnet} missing in H3C routing table ✗")
                problems.append(f"H3C has no route to {subnet}")
            elif route.via not in (wan_interface, short):
                lines.append(f"{subnet} → {route.via} ✗ (not the WAN {wan_interface})")
                problems.append(f"H3C routes {subnet} out of {route.via}, not the WAN {wan_interface} "
                                "that carries the IPsec policy")
            else:
                lines.append(f"{subnet} → {wan_interface} ({route.next_hop}) ✓")
    return lines, problems


def _short_interface(name: str) -> str:
    """Comware's routing table abbreviates interface names: GigabitEthernet0/1 → GE0/1."""
    for full, short in (("Ten-GigabitEthernet", "XGE"), ("GigabitEthernet", "GE"), ("Ethernet", "Eth"),
                        ("Vlan-interface", "Vlan"), ("Route-Aggregation", "RAGG")):
        if name.startswith(full):
            return short + name[len(full):]
    return name


def _blind(state: EndState | None) -> bool:
    """An end that cannot be read at all by design (a web-managed H3C ER): its facts say so."""
    return state is not None and state.facts.get("readable") is False


def _blind_checks(h3c: EndState) -> tuple[str, ...]:
    checks = h3c.facts.get("checks")
    return tuple(f"{k}: {v}" if not str(v).startswith(k) else str(v) for k, v in checks.items()) \
        if isinstance(checks, dict) else tuple(h3c.notes)


def decide(h3c: EndState | None, alibaba: EndState | None, comparison: Comparison | None, *,
           onprem_subnets: list[str], cloud_subnets: list[str], wan_interface: str, gateway_id: str) -> Verdict:
    if _blind(h3c):
        return _decide_blind(h3c, alibaba, comparison, onprem_subnets=onprem_subnets, cloud_subnets=cloud_subnets,
                             wan_interface=wan_interface, gateway_id=gateway_id)
    problems: list[str] = []
    for state, name in ((h3c, "H3C"), (alibaba, "Alibaba")):
        if state is None or not state.reachable:
            why = "; ".join(state.errors) if state is not None and state.errors else "no answer"
            problems.append(f"{name} unreachable: {why}")
    if problems:
        return Verdict(UNREACHABLE, problems[0], tuple(problems))
    assert h3c is not None and alibaba is not None
    missing = [name for state, name in ((h3c, "H3C"), (alibaba, "Alibaba")) if state.params is None]
    if missing:
        summary = f"not configured on {' and '.join(missing)}: run apply"
        return Verdict(NOT_CONFIGURED, summary, (summary,))

    diffs = [str(d) for d in comparison.h3c_alibaba] if comparison else []
    paths, route_problems = route_paths(onprem_subnets, cloud_subnets, h3c, alibaba, wan_interface=wan_interface,
                                        gateway_id=gateway_id)
    tunnels = alibaba.tunnels or h3c.tunnels
    p1_down = [t for t in tunnels if t.phase1 != UP]
    p2_down = [t for t in tunnels if t.phase1 == UP and t.phase2 != UP]
    # Dual tunnel: the master carrying traffic is enough for "up"; the slave down is a warning.
    carrying = [t for t in tunnels if t.phase1 == UP and t.phase2 == UP]

    def reason(t) -> str:
        where = f" (tunnel {t.role} {t.cloud_ip})" if len(tunnels) > 1 else ""
        text = t.reason or t.detail or ("negotiating" if NEGOTIATING in (t.phase1, t.phase2) else "no SA")
        return f"{where}: {text}"

    if diffs:
        problems.extend(diffs)
    if not carrying:
        if p1_down:
            problems.extend(f"phase 1 down{reason(t)}" for t in p1_down)
        problems.extend(f"phase 2 down{reason(t)}" for t in p2_down)
    else:
        problems.extend(f"tunnel {t.role or ''} {t.cloud_ip} down (standby){reason(t)}".replace("  ", " ")
                        for t in tunnels if t not in carrying)
    problems.extend(route_problems)

    if diffs and not carrying:
        return Verdict(MISMATCH, f"the ends are configured differently: {diffs[0]}", tuple(problems), tuple(paths))
    if not carrying and p1_down:
        first = p1_down[0]
        return Verdict(PHASE1_DOWN, f"phase 1 down{reason(first)}", tuple(problems), tuple(paths))
    if not carrying:
        first = p2_down[0] if p2_down else tunnels[0] if tunnels else None
        summary = f"phase 2 down{reason(first)}" if first else "no tunnel reported by either end"
        return Verdict(PHASE2_DOWN, summary, tuple(problems), tuple(paths))
    if route_problems:
        return Verdict(ROUTE_MISSING, f"tunnel up, but traffic cannot pass: {route_problems[0]}", tuple(problems),
                       tuple(paths))
    summary = "up and passing" + (f" ({len(problems)} warning{'s' if len(problems) != 1 else ''})" if problems else "")
    return Verdict(UP_PASSING, summary, tuple(problems), tuple(paths))


def _decide_blind(h3c: EndState, alibaba: EndState | None, comparison: Comparison | None, *,
                  onprem_subnets: list[str], cloud_subnets: list[str], wan_interface: str,
                  gateway_id: str) -> Verdict:
    """The verdict when the H3C end cannot be read (web-managed ER): everything about the tunnel comes
    from Alibaba (its tunnel states and negotiation-log reasons), the router's own side only from the
    operator's confirmation and a reachability check; ``checks`` says which is which."""
    import dataclasses

    checks = _blind_checks(h3c)
    if alibaba is None or not alibaba.reachable:
        why = "; ".join(alibaba.errors) if alibaba is not None and alibaba.errors else "no answer"
        summary = f"Alibaba unreachable: {why} (and the ER cannot be read, so nothing can be checked)"
        return Verdict(UNREACHABLE, summary, (summary,), checks=checks)
    extra: list[str] = []
    if not h3c.reachable:
        extra.append("; ".join(h3c.errors) or "the ER did not answer")
    if not h3c.facts.get("confirmed"):
        extra.append("the operator has not confirmed entering the ER checklist yet")
    elif h3c.facts.get("confirmed_current") is False and h3c.facts.get("checklist_hash"):
        extra.append("the ER checklist changed since the operator confirmed it")
    if alibaba.params is None:
        summary = "not configured on Alibaba: run apply (the ER is configured by hand from the checklist)"
        return Verdict(NOT_CONFIGURED, summary, (summary, *extra), checks=checks)
    # The router's routes cannot be read: only the VPC side of each path is checked.
    inner = decide(dataclasses.replace(h3c, facts={}, params=alibaba.params, reachable=True, routes=(),
                                       tunnels=()), alibaba, None, onprem_subnets=onprem_subnets,
                   cloud_subnets=[], wan_interface=wan_interface, gateway_id=gateway_id)
    problems = list(inner.problems) + extra
    summary = inner.summary + (" — seen from Alibaba (the ER itself cannot be read)" if inner.up
                               else f"; {extra[0]}" if extra else "")
    return Verdict(inner.code, summary, tuple(problems), inner.paths, inner.details, checks)


__all__ = ["Verdict", "decide", "route_paths", "UP_PASSING", "UNREACHABLE", "NOT_CONFIGURED", "MISMATCH",
           "PHASE1_DOWN", "PHASE2_DOWN", "ROUTE_MISSING", "DOWN"]
