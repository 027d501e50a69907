"""Hypothesis strategies: valid lab profiles and PSKs both ends accept."""

from __future__ import annotations

import ipaddress

from hypothesis import strategies as st

from vpnconsole import algorithms as alg
from vpnconsole.algorithms import Dialect, Kind
from vpnconsole.profile import NAME_RE, V5_MAX_LAB_NAME, Cloud, Device, Ike, Ipsec, OnPrem, Profile, Probe, _not_public
from vpnconsole.psk import ALLOWED

_NAME_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789-"
_ID_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789"

lab_names = st.text(_NAME_CHARS, min_size=1, max_size=32).filter(lambda s: bool(NAME_RE.match(s)))
psks = st.text("".join(sorted(ALLOWED)), min_size=1, max_size=100)
lifetimes = st.integers(180, 86400)


def _public_ip() -> st.SearchStrategy[str]:
    return (st.integers(int(ipaddress.IPv4Address("1.0.0.1")), int(ipaddress.IPv4Address("223.255.255.254")))
            .map(lambda n: ipaddress.IPv4Address(n))
            .filter(lambda a: _not_public(a) is None)
            .map(str))


def _subnets(first_octet_pool: list[int], second_octet_pool: range) -> st.SearchStrategy[list[str]]:
    """1–3 non-overlapping networks, each inside its own /16 block of the pool."""
    blocks = st.lists(st.tuples(st.sampled_from(first_octet_pool), st.sampled_from(second_octet_pool)),
                      min_size=1, max_size=3, unique=True)

    @st.composite
    def build(draw):
        out = []
        for a, b in draw(blocks):
            prefix = draw(st.integers(16, 30))
            block = ipaddress.IPv4Network(f"{a}.{b}.0.0/16")
            index = draw(st.integers(0, 2 ** (prefix - 16) - 1))
            base = int(block.network_address) + index * 2 ** (32 - prefix)
            out.append(str(ipaddress.IPv4Network((base, prefix))))
        return out
    return build()


def _names(kind: Kind, dialect: Dialect, *, pfs: bool = False) -> st.SearchStrategy[str]:
    return st.sampled_from([a.name for a in alg.choices(kind, pfs=pfs)
                            if a.available(dialect) and a.available(Dialect.ALIBABA)])


# Built once: strategies constructed inside a draw are re-validated on every example (slow).
_PUBLIC_IPS = st.lists(_public_ip(), min_size=2, max_size=3, unique=True)
_ONPREM_NETS = _subnets([192, 10], range(0, 128))
_CLOUD_NETS = _subnets([172, 10], range(128, 256))
_ALGS = {(kind, d, pfs): _names(kind, d, pfs=pfs) for kind in Kind for d in Dialect for pfs in (False, True)}
_REGIONS = st.sampled_from(["cn-hangzhou", "cn-shanghai", "cn-beijing", "ap-southeast-1", "eu-central-1"])
_GATEWAY_IDS = st.text(_ID_CHARS, min_size=8, max_size=32).map(lambda s: "vpn-" + s)
_ROUTE_TABLES = st.none() | st.text(_ID_CHARS, min_size=8, max_size=32).map(lambda s: "vtb-" + s)
_PLATFORMS = st.sampled_from(sorted(alg.PLATFORMS))
_VERSIONS = st.sampled_from(alg.IKE_VERSIONS)
_MODES = st.sampled_from(alg.IKE_MODES)


@st.composite
def profiles(draw) -> Profile:
    platform = draw(_PLATFORMS)
    dialects = alg.PLATFORMS[platform]
    version = draw(_VERSIONS) if dialects.ikev2 else "ikev1"
    mode = draw(_MODES) if version == "ikev1" else "main"
    ike_dialect = alg.ike_dialect(platform, version)
    # Comware V7 negotiates NAT traversal on its own and cannot turn it off; Alibaba accepts both.
    nat = True if platform == "comware7" else draw(st.booleans())
    ike = Ike(version, mode,
              draw(_ALGS[Kind.ENCRYPTION, ike_dialect, False]),
              draw(_ALGS[Kind.INTEGRITY, ike_dialect, False]),
              draw(_ALGS[Kind.DH, ike_dialect, False]),
              draw(lifetimes), draw(st.booleans()), nat)
    ipsec = Ipsec(draw(_ALGS[Kind.ENCRYPTION, dialects.esp, False]),
                  draw(_ALGS[Kind.INTEGRITY, dialects.esp, False]),
                  draw(_ALGS[Kind.DH, dialects.esp, True]),
                  draw(lifetimes))
    ips = draw(_PUBLIC_IPS)
    public_ip, gateway_ips = ips[0], ips[1:]
    onprem_nets = draw(_ONPREM_NETS)
    cloud_nets = draw(_CLOUD_NETS)
    region = draw(_REGIONS)
    gw = draw(_GATEWAY_IDS)
    rt = draw(_ROUTE_TABLES)
    return Profile(
        name=draw(lab_names.filter(lambda n: len(n) <= V5_MAX_LAB_NAME) if platform == "comware5" else lab_names),
        # a web-managed ER names its WAN port as its GUI does (WAN1); everything else is Comware
        onprem=OnPrem(Device("10.0.0.1", "admin", 22, platform), public_ip,
                      "WAN1" if alg.is_er(platform) else "GigabitEthernet0/1", onprem_nets),
        cloud=Cloud(region, gw, cloud_nets, rt, None, gateway_ips),
        ike=ike, ipsec=ipsec, probe=Probe(), description="generated")
