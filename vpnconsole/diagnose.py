"""Name every difference between two canonical parameter sets, by phase, in each end's own words.

The classic failures of a site-to-site tunnel are "the two ends are configured differently" and
"the tunnel is up but nothing passes".  This module answers the first, precisely:

    phase 1 DH group: H3C group14 (dh group14), Alibaba group2 (IkePfs=group2)
    phase 2 selector: Alibaba LocalSubnet 172.16.0.0/16 ≠ H3C ACL destination 172.16.0.0/24
    peer: H3C remote-address 47.1.2.3 ≠ Alibaba gateway IP 47.1.2.4

Inputs are :class:`~vpnconsole.params.VpnParams` from any source — the profile, the H3C's parsed
configuration, Alibaba's API answer — so one function serves profile↔H3C, profile↔Alibaba and
H3C↔Alibaba.  ``None`` means "this end does not say" (Comware never shows a PSK in clear) and is
never reported as a difference.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any, Callable

from vpnconsole import algorithms as alg
from vpnconsole.algorithms import Dialect, Kind
from vpnconsole.params import TunnelParams, VpnParams


class End(str, Enum):
    PROFILE = "profile"
    H3C = "h3c"
    ALIBABA = "alibaba"

    @property
    def label(self) -> str:
        return {"profile": "profile", "h3c": "H3C", "alibaba": "Alibaba"}[self.value]


class Phase(str, Enum):
    PEER = "peer"
    PHASE1 = "phase 1"
    PHASE2 = "phase 2"


@dataclass(frozen=True)
class Field:
    phase: Phase
    title: str  # "DH group"
    get: Callable[[TunnelParams], Any]
    names: dict[End, str]  # where each end keeps it: "dh", "IkePfs", "ike.dh_group"
    kind: Kind | None = None  # algorithms get each end's spelling shown too
    pfs: bool = False
    ike_side: bool = True  # which Comware dialect spells it (IKE proposal or ESP transform set)


def _f(phase: Phase, title: str, get: Callable[[TunnelParams], Any], h3c: str, ali: str, prof: str,
       kind: Kind | None = None, pfs: bool = False, ike_side: bool = True) -> Field:
    return Field(phase, title, get, {End.H3C: h3c, End.ALIBABA: ali, End.PROFILE: prof}, kind, pfs, ike_side)


TUNNEL_FIELDS: tuple[Field, ...] = (
    _f(Phase.PEER, "gateway address", lambda t: t.cloud_ip, "remote-address", "gateway IP", "cloud.gateway_ips"),
    _f(Phase.PEER, "customer gateway address", lambda t: t.onprem_ip, "public address", "customer gateway IP",
       "onprem.public_ip"),
    _f(Phase.PHASE1, "IKE version", lambda t: t.ike.version, "IKE version", "IkeVersion", "ike.version"),
    _f(Phase.PHASE1, "negotiation mode", lambda t: t.ike.mode, "exchange-mode", "IkeMode", "ike.mode"),
    _f(Phase.PHASE1, "encryption", lambda t: t.ike.encryption, "encryption-algorithm", "IkeEncAlg",
       "ike.encryption", Kind.ENCRYPTION),
    _f(Phase.PHASE1, "integrity", lambda t: t.ike.integrity, "authentication-algorithm", "IkeAuthAlg",
       "ike.integrity", Kind.INTEGRITY),
    _f(Phase.PHASE1, "DH group", lambda t: t.ike.dh_group, "dh", "IkePfs", "ike.dh_group", Kind.DH),
    _f(Phase.PHASE1, "lifetime", lambda t: t.ike.lifetime, "sa duration", "IkeLifetime", "ike.lifetime"),
    _f(Phase.PHASE1, "DPD", lambda t: t.ike.dpd, "dpd", "EnableDpd", "ike.dpd"),
    _f(Phase.PHASE1, "NAT traversal", lambda t: t.ike.nat_traversal, "nat traversal", "EnableNatTraversal",
       "ike.nat_traversal"),
    _f(Phase.PHASE1, "identity of the H3C", lambda t: t.onprem_id, "local-identity", "RemoteId",
       "onprem.public_ip"),
    _f(Phase.PHASE1, "identity of Alibaba", lambda t: t.cloud_id, "match remote identity", "LocalId",
       "cloud.gateway_ips"),
    _f(Phase.PHASE1, "pre-shared key", lambda t: t.psk_fingerprint, "keychain PSK", "Psk", "keyring PSK"),
    _f(Phase.PHASE2, "encryption", lambda t: t.ipsec.encryption, "esp encryption-algorithm", "IpsecEncAlg",
       "ipsec.encryption", Kind.ENCRYPTION, ike_side=False),
    _f(Phase.PHASE2, "integrity", lambda t: t.ipsec.integrity, "esp authentication-algorithm", "IpsecAuthAlg",
       "ipsec.integrity", Kind.INTEGRITY, ike_side=False),
    _f(Phase.PHASE2, "PFS", lambda t: t.ipsec.pfs, "pfs", "IpsecPfs", "ipsec.pfs", Kind.DH, pfs=True,
       ike_side=False),
    _f(Phase.PHASE2, "lifetime", lambda t: t.ipsec.lifetime, "sa duration time-based", "IpsecLifetime",
       "ipsec.lifetime"),
)

# The traffic selectors are mirrored: the H3C's ACL source is Alibaba's RemoteSubnet.
_SELECTOR_NAMES = {
    "cloud": {End.H3C: "ACL destination", End.ALIBABA: "LocalSubnet", End.PROFILE: "cloud.subnets"},
    "onprem": {End.H3C: "ACL source", End.ALIBABA: "RemoteSubnet", End.PROFILE: "onprem.subnets"},
}


@dataclass(frozen=True)
class Difference:
    phase: Phase
    title: str
    tunnel: int | None  # 0-based tunnel index (master = 0); None for connection-wide fields
    a_end: End
    a_value: Any
    b_end: End
    b_value: Any
    message: str

    def __str__(self) -> str:
        return self.message

    def as_dict(self) -> dict[str, Any]:
        return {"phase": self.phase.value, "field": self.title, "tunnel": self.tunnel,
                self.a_end.value: _plain(self.a_value), self.b_end.value: _plain(self.b_value),
                "message": self.message}


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def _show(field: Field, end: End, value: Any, platform: str) -> str:
    """A value as the end itself writes it: ``group14 (dh group14)``, ``sha1 (authentication-algorithm sha)``."""
    if isinstance(value, bool):
        return "on" if value else "off"
    if field.kind is None or end is End.PROFILE or value is None:
        return str(value)
    try:
        a = alg.by_name(field.kind, value, pfs=field.pfs)
    except alg.UnknownAlgorithm:
        return str(value)
    if end is End.ALIBABA:
        dialect = Dialect.ALIBABA
    else:
        dialects = alg.PLATFORMS.get(platform, alg.PLATFORMS["comware7"])
        dialect = dialects.ike if field.ike_side else dialects.esp
    spelled = a.spellings.get(dialect)
    if spelled is None or spelled == value:
        return str(value)
    if spelled == "":
        return f"{value} (no {field.names[end]} line)"
    return f"{value} ({field.names[end]} {spelled})" if end is End.H3C else f"{value} ({field.names[end]}={spelled})"


def diff(a: VpnParams, b: VpnParams, a_end: End, b_end: End, *, platform: str = "comware7") -> list[Difference]:
    """Every difference between what ``a_end`` and ``b_end`` are configured with."""
    out: list[Difference] = []
    for side in ("cloud", "onprem"):
        av, bv = getattr(a, f"{side}_subnets"), getattr(b, f"{side}_subnets")
        if av and bv and av != bv:
            an, bn = _SELECTOR_NAMES[side][a_end], _SELECTOR_NAMES[side][b_end]
            msg = (f"phase 2 selector: {a_end.label} {an} {_cidrs(av)} ≠ {b_end.label} {bn} {_cidrs(bv)}"
                   f"{_subnet_hint(av, bv, a_end, b_end)}")
            out.append(Difference(Phase.PHASE2, f"{side} subnets", None, a_end, av, b_end, bv, msg))

    pairs, only_a, only_b = _pair_tunnels(a.tunnels, b.tunnels)
    if len(a.tunnels) != len(b.tunnels) and a.tunnels and b.tunnels:
        out.append(Difference(
            Phase.PEER, "tunnels", None, a_end, len(a.tunnels), b_end, len(b.tunnels),
            f"peer: {a_end.label} has {_count(len(a.tunnels))}, {b_end.label} has {_count(len(b.tunnels))}"
            + (" (a dual-tunnel gateway needs both peers on the router)" if 2 in (len(a.tunnels), len(b.tunnels))
               else "")))
    multi = max(len(a.tunnels), len(b.tunnels)) > 1
    for index, (ta, tb) in enumerate(pairs):
        for field in TUNNEL_FIELDS:
            va, vb = field.get(ta), field.get(tb)
            if va is None or vb is None or va == vb:
                continue
            where = f"{field.phase.value}{f' (tunnel {index + 1})' if multi else ''}"
            if field.phase is Phase.PEER or field.title.startswith("identity"):
                msg = (f"{where}: {a_end.label} {field.names[a_end]} {va} ≠ "
                       f"{b_end.label} {field.names[b_end]} {vb}")
            elif field.title == "pre-shared key":
                msg = (f"{where} pre-shared key: {a_end.label} {va} ≠ {b_end.label} {vb} "
                       "(fingerprints differ: the keys are not the same)")
            else:
                msg = (f"{where} {field.title}: {a_end.label} {_show(field, a_end, va, platform)}, "
                       f"{b_end.label} {_show(field, b_end, vb, platform)}")
            out.append(Difference(field.phase, field.title, index, a_end, va, b_end, vb, msg))
    for end, other, leftovers in ((a_end, b_end, only_a), (b_end, a_end, only_b)):
        for tunnel in leftovers:
            out.append(Difference(Phase.PEER, "gateway address", None, end, tunnel.cloud_ip, other, None,
                                  f"peer: {end.label} has a peer {tunnel.cloud_ip or '(address unknown)'} "
                                  f"that {other.label} does not have"))
    return out


def _pair_tunnels(ta: tuple[TunnelParams, ...], tb: tuple[TunnelParams, ...]
                  ) -> tuple[list[tuple[TunnelParams, TunnelParams]], list[TunnelParams], list[TunnelParams]]:
    """Pair tunnels by Alibaba address where both know it, else by position (master first)."""
    pairs: list[tuple[TunnelParams, TunnelParams]] = []
    left, right = list(ta), list(tb)
    for t in list(left):
        match = next((u for u in right if t.cloud_ip and u.cloud_ip == t.cloud_ip), None)
        if match is not None:
            pairs.append((t, match))
            left.remove(t)
            right.remove(match)
    # Unknown or differing addresses: pair the rest in order, so "remote-address 1.2.3.4 ≠ 1.2.3.5"
    # is reported instead of two unrelated "missing peer" lines.
    while left and right:
        pairs.append((left.pop(0), right.pop(0)))
    return pairs, left, right


def _cidrs(values: tuple[str, ...]) -> str:
    return ",".join(values)


def _count(n: int) -> str:
    return f"{n} tunnel{'s' if n != 1 else ''}"


def _subnet_hint(av: tuple[str, ...], bv: tuple[str, ...], a_end: End, b_end: End) -> str:
    if len(av) == 1 and len(bv) == 1:
        return ""  # the message already shows both sides whole
    only_a = sorted(set(av) - set(bv))
    only_b = sorted(set(bv) - set(av))
    parts = []
    if only_a:
        parts.append(f"only {a_end.label}: {', '.join(only_a)}")
    if only_b:
        parts.append(f"only {b_end.label}: {', '.join(only_b)}")
    return f" ({'; '.join(parts)})" if parts else ""


@dataclass(frozen=True)
class Comparison:
    """The three comparisons the console shows: profile↔H3C, profile↔Alibaba, H3C↔Alibaba."""

    profile_h3c: list[Difference]
    profile_alibaba: list[Difference]
    h3c_alibaba: list[Difference]

    @property
    def clean(self) -> bool:
        return not (self.profile_h3c or self.profile_alibaba or self.h3c_alibaba)

    def as_dict(self) -> dict[str, Any]:
        return {"profile_h3c": [d.as_dict() for d in self.profile_h3c],
                "profile_alibaba": [d.as_dict() for d in self.profile_alibaba],
                "h3c_alibaba": [d.as_dict() for d in self.h3c_alibaba]}


def compare(profile: VpnParams, h3c: VpnParams | None, alibaba: VpnParams | None, *,
            platform: str = "comware7") -> Comparison:
    return Comparison(
        diff(profile, h3c, End.PROFILE, End.H3C, platform=platform) if h3c else [],
        diff(profile, alibaba, End.PROFILE, End.ALIBABA, platform=platform) if alibaba else [],
        diff(h3c, alibaba, End.H3C, End.ALIBABA, platform=platform) if h3c and alibaba else [],
    )
