"""Fixtures for the simulated Alibaba Cloud VPC API tests (import explicitly).

``from tests.lab.conftest_aliyun import *``  (the environment variable below
must be set before ``alibabacloud_credentials`` is imported anywhere).
"""

from __future__ import annotations

import os

os.environ["ALIBABA_CLOUD_ECS_METADATA_DISABLED"] = "true"
os.environ.setdefault("ALIBABA_CLOUD_CLI_PROFILE_DISABLED", "true")

import json  # noqa: E402
from dataclasses import dataclass  # noqa: E402

import pytest  # noqa: E402
from alibabacloud_tea_openapi import models as open_api_models  # noqa: E402
from alibabacloud_vpc20160428 import models as M  # noqa: E402
from alibabacloud_vpc20160428.client import Client as VpcClient  # noqa: E402

from vpnconsole.lab.aliyun import (  # noqa: E402
    AliyunVpcSim,
    ManualClock,
    ThreadedAliyunLab,
    Timing,
    VpnGateway,
    Vpc,
)

REGION = "cn-shanghai"
UPDATE_S = 5.0
ROUTE_S = 3.0
H3C_IP = "203.0.113.10"
H3C_IP2 = "203.0.113.20"

__all__ = [
    "M", "VpcClient", "REGION", "UPDATE_S", "ROUTE_S", "H3C_IP", "H3C_IP2", "Lab", "lab", "client", "make_client",
    "ike_json", "ipsec_json", "tunnel", "settle",
]


@dataclass
class Lab:
    sim: AliyunVpcSim
    clock: ManualClock
    server: ThreadedAliyunLab
    vpc: Vpc
    dual: VpnGateway
    single: VpnGateway

    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)


def make_client(server: ThreadedAliyunLab, region: str = REGION, **extra) -> VpcClient:
    kwargs = server.sdk_config_kwargs(region, read_timeout=3000, connect_timeout=1000)
    kwargs.update(extra)
    return VpcClient(open_api_models.Config(**kwargs))


@pytest.fixture
def lab():
    clock = ManualClock()
    sim = AliyunVpcSim(clock=clock, timing=Timing(gateway_update_seconds=UPDATE_S, route_entry_seconds=ROUTE_S,
                                                  gateway_create_seconds=10.0), rng_seed=1234)
    vpc = sim.add_vpc(REGION, cidr="172.16.0.0/16", name="lab-vpc",
                      vswitches=[("172.16.1.0/24", "cn-shanghai-b"), ("172.16.2.0/24", "cn-shanghai-g")])
    dual = sim.add_vpn_gateway(REGION, vpc.vpc_id, dual_tunnel=True, name="gw-dual",
                               internet_ip="198.51.100.10", dr_internet_ip="198.51.100.11")
    single = sim.add_vpn_gateway(REGION, vpc.vpc_id, dual_tunnel=False, name="gw-single", spec="5M",
                                 internet_ip="198.51.100.20")
    with ThreadedAliyunLab(sim) as server:
        yield Lab(sim, clock, server, vpc, dual, single)


@pytest.fixture
def client(lab: Lab) -> VpcClient:
    return make_client(lab.server)


def ike_json(psk: str = "Secr3t-Key_1", **over) -> str:
    d = {"IkeVersion": "ikev2", "IkeMode": "main", "IkeEncAlg": "aes256", "IkeAuthAlg": "sha256",
         "IkePfs": "group14", "IkeLifetime": 86400, "Psk": psk}
    d.update(over)
    return json.dumps(d)


def ipsec_json(**over) -> str:
    d = {"IpsecEncAlg": "aes256", "IpsecAuthAlg": "sha256", "IpsecPfs": "group14", "IpsecLifetime": 3600}
    d.update(over)
    return json.dumps(d)


def tunnel(role: str, cgw: str, psk: str | None = None, **ike_over):
    ike = dict(ike_version="ikev2", ike_mode="main", ike_enc_alg="aes256", ike_auth_alg="sha256",
               ike_pfs="group14", ike_lifetime=86400, psk=psk)
    ike.update(ike_over)
    return M.CreateVpnConnectionRequestTunnelOptionsSpecification(
        customer_gateway_id=cgw, role=role, enable_dpd=True, enable_nat_traversal=True,
        tunnel_ike_config=M.CreateVpnConnectionRequestTunnelOptionsSpecificationTunnelIkeConfig(**ike),
        tunnel_ipsec_config=M.CreateVpnConnectionRequestTunnelOptionsSpecificationTunnelIpsecConfig(
            ipsec_enc_alg="aes256", ipsec_auth_alg="sha256", ipsec_pfs="group14", ipsec_lifetime=3600))


def settle(lab: Lab) -> None:
    """Let every pending transition finish."""
    lab.advance(max(UPDATE_S, ROUTE_S) + 0.1)
