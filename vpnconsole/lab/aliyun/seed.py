"""Declarative seeding of the simulated cloud (what exists before the console runs).

Example::

    sim.seed(RegionSeed("cn-shanghai", vpcs=[VpcSeed(
        cidr="172.16.0.0/16",
        vswitches=[("172.16.1.0/24", "cn-shanghai-b"), ("172.16.2.0/24", "cn-shanghai-g")],
        gateways=[GatewaySeed(dual_tunnel=True, name="lab-dual"),
                  GatewaySeed(dual_tunnel=False, name="lab-single", spec="5M")])]))
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable, Mapping, Sequence

if TYPE_CHECKING:
    from .sim import AliyunVpcSim

__all__ = ["GatewaySeed", "VpcSeed", "RegionSeed", "apply_seed"]


@dataclass
class GatewaySeed:
    dual_tunnel: bool = True
    name: str = ""
    description: str = ""
    internet_ip: str | None = None  # default: next free 198.51.100.x
    dr_internet_ip: str | None = None  # dual-tunnel only
    spec: str = "10M"
    vpn_type: str = "Normal"
    business_status: str = "Normal"
    charge_type: str = "POSTPAY"
    network_type: str = "public"
    enable_bgp: bool = False
    status: str = "active"
    system_tag: Mapping[str, str] | None = None
    tags: Sequence[tuple[str, str]] = ()
    vpn_gateway_id: str | None = None


@dataclass
class VpcSeed:
    cidr: str = "172.16.0.0/16"
    vswitches: Sequence[tuple[str, str] | str] = ()  # (cidr, zone) or cidr
    name: str = ""
    gateways: Sequence[GatewaySeed] = ()
    vpc_id: str | None = None


@dataclass
class RegionSeed:
    region_id: str
    vpcs: Sequence[VpcSeed] = field(default_factory=list)
    customer_gateway_ips: Sequence[str] = ()  # pre-existing customer gateways


def apply_seed(sim: "AliyunVpcSim", regions: Iterable[RegionSeed]) -> dict[str, list]:
    out: dict[str, list] = {"vpcs": [], "gateways": [], "customer_gateways": []}
    for rs in regions:
        for vs in rs.vpcs:
            vpc = sim.add_vpc(rs.region_id, cidr=vs.cidr, vswitches=vs.vswitches, name=vs.name, vpc_id=vs.vpc_id)
            out["vpcs"].append(vpc)
            for gs in vs.gateways:
                out["gateways"].append(sim.add_vpn_gateway(
                    rs.region_id, vpc.vpc_id, dual_tunnel=gs.dual_tunnel, name=gs.name, description=gs.description,
                    internet_ip=gs.internet_ip, dr_internet_ip=gs.dr_internet_ip, spec=gs.spec,
                    vpn_type=gs.vpn_type, business_status=gs.business_status, charge_type=gs.charge_type,
                    network_type=gs.network_type, enable_bgp=gs.enable_bgp, status=gs.status,
                    system_tag=gs.system_tag, tags=gs.tags, vpn_gateway_id=gs.vpn_gateway_id))
        for ip in rs.customer_gateway_ips:
            out["customer_gateways"].append(sim.add_customer_gateway(rs.region_id, ip))
    return out
