"""A simulated H3C + simulated Alibaba VPC joined by :class:`LabNegotiation`, built in-process.

Imported explicitly by ``test_negotiation_*.py``. Addresses (documentation ranges)::

    LAN 192.168.0.0/24 (H3C 192.168.0.1, OpenStack host 192.168.0.10)
    H3C WAN GigabitEthernet0/0 203.0.113.2/30 (next hop .1), nat outbound 3001 for the LAN
    Alibaba single-tunnel gateway 198.51.100.20; dual-tunnel 198.51.100.10 (master) / .11 (slave)
    VPC 172.16.0.0/16, vSwitches 172.16.0.0/24 (VPN-protected, SaaS host 172.16.0.10), 172.16.1.0/24

The "classic profile": IKEv1 main, aes128/sha1/group2, PFS group2, 192.168.0.0/24 <-> 172.16.0.0/24.
One ManualClock drives both ends (the router reads ``clock.now``).
"""

from __future__ import annotations

import json
import re
from typing import Optional, Sequence

from vpnconsole.lab.aliyun import AliyunVpcSim, ManualClock, Timing
from vpnconsole.lab.h3c import SimulatedH3C
from vpnconsole.lab.negotiation import Delays, LabNegotiation

REGION = "cn-hangzhou"
WAN_IP = "203.0.113.2"
NEXT_HOP = "203.0.113.1"
ALI_SINGLE = "198.51.100.20"
ALI_MASTER = "198.51.100.10"
ALI_SLAVE = "198.51.100.11"
LAN = "192.168.0.0/24"
VPC = "172.16.0.0/24"
ROUTER_LAN_IP = "192.168.0.1"
ONPREM_HOST = "192.168.0.10"
CLOUD_HOST = "172.16.0.10"
PSK = "Lab-Psk-2024"
LOOPBACK_TARGET = "127.0.7.10"

AUTH = {"Authorization": "ACS3-HMAC-SHA256 Credential=LTAI-lab,SignedHeaders=host,Signature=0"}

BASE = (
    "interface GigabitEthernet0/0", " ip address 203.0.113.2 255.255.255.252", " nat outbound 3001", "quit",
    "interface GigabitEthernet0/1", " ip address 192.168.0.1 24", "quit",
    "acl advanced 3001", " rule 5 permit ip source 192.168.0.0 0.0.0.255", "quit",
    # the Internet path to Alibaba's public addresses (no default route: the VPC route is the tool's)
    "ip route-static 198.51.100.0 24 203.0.113.1",
)


def h3c_config(ali_ips: Sequence[str] = (ALI_SINGLE,), *, psk: str = PSK, ike_enc: str = "aes-cbc-128",
               ike_auth: str = "sha", dh: str = "group2", mode: str = "main",
               local_identity: Optional[str] = f"address {WAN_IP}", match_remote: Optional[Sequence[str]] = None,
               esp_enc: str = "aes-cbc-128", esp_auth: str = "sha1", pfs: Optional[str] = "dh-group2",
               acl_rules: Sequence[tuple[str, str]] = ((LAN, VPC),), apply: bool = True, route: bool = True,
               nat_exempt: bool = True, dpd: bool = True) -> list[str]:
    """System-view lines for the H3C end (reference §1.2 shape, one keychain/profile/entry per Alibaba IP)."""

    def wild(cidr: str) -> str:
        net, plen = cidr.split("/")
        w = (1 << (32 - int(plen))) - 1
        return f"{net} {'.'.join(str((w >> s) & 255) for s in (24, 16, 8, 0))}"

    lines = ["acl advanced 3950"]
    for i, (src, dst) in enumerate(acl_rules, 1):
        lines.append(f" rule {5 * i} permit ip source {wild(src)} destination {wild(dst)}")
    lines += ["quit", "ike proposal 950", f" encryption-algorithm {ike_enc}", f" authentication-algorithm {ike_auth}",
              f" dh {dh}", " sa duration 86400", "quit"]
    for i, ip in enumerate(ali_ips, 1):
        lines += [f"ike keychain KC{i}", f" pre-shared-key address {ip} 255.255.255.255 key simple {psk}", "quit"]
        lines += [f"ike profile IKEP{i}", f" keychain KC{i}", f" exchange-mode {mode}"]
        if local_identity:
            lines.append(f" local-identity {local_identity}")
        remote = match_remote[i - 1] if match_remote else f"address {ip} 255.255.255.255"
        lines += [f" match remote identity {remote}", " proposal 950"]
        if dpd:
            lines.append(" dpd interval 10 retry 3 periodic")
        lines.append("quit")
    lines += ["ipsec transform-set TS", " protocol esp", " encapsulation-mode tunnel",
              f" esp encryption-algorithm {esp_enc}", f" esp authentication-algorithm {esp_auth}"]
    if pfs:
        lines.append(f" pfs {pfs}")
    lines.append("quit")
    for i, ip in enumerate(ali_ips, 1):
        lines += [f"ipsec policy POL {10 * i} isakmp", " security acl 3950", " transform-set TS",
                  f" remote-address {ip}", f" ike-profile IKEP{i}", " sa duration time-based 86400", "quit"]
    if nat_exempt:
        lines += ["acl advanced 3001"]
        for i, (src, dst) in enumerate(acl_rules, 1):
            lines.append(f" rule {i} deny ip source {wild(src)} destination {wild(dst)}")
        lines.append("quit")
    if route:
        for _, dst in acl_rules:
            net, plen = dst.split("/")
            lines.append(f"ip route-static {net} {plen} {NEXT_HOP} description ALIVPN")
    if apply:
        lines += ["interface GigabitEthernet0/0", " ipsec apply policy POL", "quit"]
    return lines


def ali_ike(**over) -> dict:
    d = {"IkeVersion": "ikev1", "IkeMode": "main", "IkeEncAlg": "aes", "IkeAuthAlg": "sha1", "IkePfs": "group2",
         "IkeLifetime": 86400, "Psk": PSK}
    d.update(over)
    return d


def ali_ipsec(**over) -> dict:
    d = {"IpsecEncAlg": "aes", "IpsecAuthAlg": "sha1", "IpsecPfs": "group2", "IpsecLifetime": 86400}
    d.update(over)
    return d


class Lab:
    """Both ends plus the model. ``dual=True`` uses the dual-tunnel gateway."""

    def __init__(self, *, dual: bool = False, delays: Optional[Delays] = None, timing: Optional[Timing] = None,
                 router_public_ip: Optional[str] = None, seed: int = 7, dialect: str = "v7",
                 base: Sequence[str] = BASE) -> None:
        self.clock = ManualClock()
        self.sim = AliyunVpcSim(clock=self.clock, timing=timing or Timing.instant(), rng_seed=seed)
        self.vpc = self.sim.add_vpc(REGION, cidr="172.16.0.0/16", name="saas-vpc",
                                    vswitches=[(VPC, "cn-hangzhou-h"), ("172.16.1.0/24", "cn-hangzhou-i")])
        self.dual = dual
        if dual:
            self.gw = self.sim.add_vpn_gateway(REGION, self.vpc.vpc_id, dual_tunnel=True, internet_ip=ALI_MASTER,
                                               dr_internet_ip=ALI_SLAVE)
            self.ali_ips = (ALI_MASTER, ALI_SLAVE)
        else:
            self.gw = self.sim.add_vpn_gateway(REGION, self.vpc.vpc_id, dual_tunnel=False, internet_ip=ALI_SINGLE)
            self.ali_ips = (ALI_SINGLE,)
        self.router = SimulatedH3C(sysname="MSR1", dialect=dialect, initial_config=tuple(base), clock=self.clock.now,
                                   seed=seed)
        self.model = LabNegotiation(self.router, self.sim, REGION, delays=delays or Delays.instant(),
                                    router_public_ip=router_public_ip, targets={LOOPBACK_TARGET: ONPREM_HOST},
                                    seed=seed)
        self.cgw = self.api("CreateCustomerGateway", IpAddress=router_public_ip or WAN_IP)["CustomerGatewayId"]
        self.vco: Optional[str] = None
        self.route_entry: Optional[str] = None

    # -- the cloud end -----------------------------------------------------------------------------
    def call(self, action: str, **params):
        flat = {"RegionId": REGION}
        for k, v in params.items():
            flat[k] = json.dumps(v) if isinstance(v, dict) else ("true" if v is True else "false" if v is False
                                                                  else str(v))
        return self.sim.handle(action, flat, AUTH)

    def api(self, action: str, **params) -> dict:
        r = self.call(action, **params)
        assert r.status == 200, (action, r.status, r.body)
        return r.body

    def connect(self, *, ike: Optional[dict] = None, ipsec: Optional[dict] = None, effect: bool = True,
                local: str = VPC, remote: str = LAN, tunnels: Optional[Sequence[tuple[dict, dict]]] = None) -> str:
        """CreateVpnConnection (single tunnel: IkeConfig/IpsecConfig; dual: per-tunnel configs)."""
        params = dict(VpnGatewayId=self.gw.vpn_gateway_id, LocalSubnet=local, RemoteSubnet=remote,
                      EffectImmediately=effect, Name="vpnconsole-lab")
        if self.dual:
            specs = list(tunnels or [(ike or ali_ike(), ipsec or ali_ipsec())] * 2)
            for i, (role, (t_ike, t_ipsec)) in enumerate(zip(("master", "slave"), specs), 1):
                base = f"TunnelOptionsSpecification.{i}"
                params[f"{base}.CustomerGatewayId"] = self.cgw
                params[f"{base}.Role"] = role
                for k, v in t_ike.items():
                    params[f"{base}.TunnelIkeConfig.{k}"] = v
                for k, v in t_ipsec.items():
                    params[f"{base}.TunnelIpsecConfig.{k}"] = v
        else:
            params.update(CustomerGatewayId=self.cgw, IkeConfig=ike or ali_ike(), IpsecConfig=ipsec or ali_ipsec())
        self.vco = self.api("CreateVpnConnection", **params)["VpnConnectionId"]
        self.settle()
        return self.vco

    def vpc_route(self, dest: str = LAN) -> str:
        self.route_entry = self.api("CreateRouteEntry", RouteTableId=self.vpc.system_route_table.route_table_id,
                                    DestinationCidrBlock=dest, NextHopType="VpnGateway",
                                    NextHopId=self.gw.vpn_gateway_id)["RouteEntryId"]
        self.settle()
        return self.route_entry

    def settle(self) -> None:
        self.api("DescribeVpnGateway", VpnGatewayId=self.gw.vpn_gateway_id)  # completes instant tasks

    def describe(self) -> dict:
        assert self.vco
        return self.api("DescribeVpnConnection", VpnConnectionId=self.vco)

    def status(self, role: Optional[str] = None) -> str:
        d = self.describe()
        if role is None:
            return d["Status"]
        return next(t["Status"] for t in d["TunnelOptionsSpecification"]["TunnelOptions"] if t["Role"] == role)

    def tunnel_id(self, role: str) -> str:
        return next(t["TunnelId"] for t in self.describe()["TunnelOptionsSpecification"]["TunnelOptions"]
                    if t["Role"] == role)

    def logs(self, role: Optional[str] = None, minutes: int = 10) -> str:
        assert self.vco
        params = dict(VpnConnectionId=self.vco, MinutePeriod=minutes, PageSize=50)
        if role is not None:
            params["TunnelId"] = self.tunnel_id(role)
        return "\n".join(self.api("DescribeVpnConnectionLogs", **params)["Data"]["Logs"])

    # -- the H3C end --------------------------------------------------------------------------------
    def configure(self, **kw) -> str:
        out = self.router.run_config(h3c_config(self.ali_ips, **kw))
        assert "% " not in out, out
        return out

    def cli(self, *lines: str) -> str:
        return self.router.cli(*lines)

    def ping(self, src: str = ROUTER_LAN_IP, dst: str = CLOUD_HOST, count: int = 5) -> int:
        out = self.cli(f"ping -a {src} -c {count} {dst}")
        m = re.search(r"(\d+) packet\(s\) received", out)
        assert m, out
        return int(m.group(1))

    def ike_rows(self) -> list[tuple[str, str]]:
        """``display ike sa``: [(remote, flag)]."""
        out = self.cli("display ike sa")
        return re.findall(r"^\s+\d+\s+\S+\s+(\S+)\s+(RD|Unknown)\s+IPsec", out, re.M)

    def ipsec_sa_remotes(self) -> list[str]:
        out = self.cli("display ipsec tunnel brief")
        return re.findall(r"^\d+\s+\S+\s+(\S+)\s+\d+\s+\d+\s+Active", out, re.M)

    def logbuffer(self) -> str:
        return "\n".join(self.router.runtime.logbuffer)

    def advance(self, seconds: float) -> None:
        """Time passes on both ends (the router's displays/pings also run its tick)."""
        self.clock.advance(seconds)
        self.router.expire()

    # -- the whole thing ------------------------------------------------------------------------------
    def classic(self, *, effect: bool = True, h3c: Optional[dict] = None, ike: Optional[dict] = None,
                ipsec: Optional[dict] = None, route: bool = True, **conn) -> "Lab":
        """Configure both ends with the classic profile (overrides per end), plus the VPC route."""
        self.configure(**(h3c or {}))
        self.connect(ike=ike, ipsec=ipsec, effect=effect, **conn)
        if route:
            self.vpc_route()
        return self
