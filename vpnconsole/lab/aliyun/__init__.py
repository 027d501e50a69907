"""Simulated Alibaba Cloud VPC API (VPN gateway, IPsec connections, routes) for the embedded lab.

Faithful to ``/work/shared/reference/alibaba-vpn-api.md``; driven by the real
``alibabacloud-vpc20160428`` SDK over plain HTTP on 127.0.0.1.

Public API:

* :class:`AliyunVpcSim` - the simulated cloud (state, seeding, dispatch, hooks)
* :class:`AliyunLabServer` (in-loop) / :class:`ThreadedAliyunLab` (background thread)
* :class:`ManualClock` / :class:`SystemClock`, :class:`Timing`, :class:`Quotas`
* :class:`FaultInjector` (``sim.faults``)
* :class:`NegotiationSource` protocol, :class:`NegotiationTarget`, :class:`NegotiationReport`,
  :class:`LogLine`, default :class:`PeerNotResponding`
* Seeds: :class:`RegionSeed`, :class:`VpcSeed`, :class:`GatewaySeed`
"""

from .clock import Clock, ManualClock, SystemClock
from .errors import ApiError
from .faults import Fault, FaultInjector
from .negotiation import LogLine, NegotiationReport, NegotiationSource, NegotiationTarget, PeerNotResponding
from .seed import GatewaySeed, RegionSeed, VpcSeed
from .server import AliyunLabServer, ThreadedAliyunLab
from .sim import API_VERSION, KNOWN_REGIONS, AliyunVpcSim, ApiResponse
from .state import (
    BgpConfig,
    CustomerGateway,
    HealthCheck,
    IkeConfig,
    IpsecConfig,
    Quotas,
    RegionState,
    RouteEntry,
    RouteTable,
    Timing,
    Tunnel,
    VpnConnection,
    VpnGateway,
    VpnRouteEntry,
    Vpc,
    VSwitch,
)

__all__ = [
    "API_VERSION", "KNOWN_REGIONS", "AliyunVpcSim", "ApiResponse", "ApiError", "AliyunLabServer",
    "ThreadedAliyunLab", "Clock", "ManualClock", "SystemClock", "Fault", "FaultInjector", "LogLine",
    "NegotiationReport", "NegotiationSource", "NegotiationTarget", "PeerNotResponding", "GatewaySeed",
    "RegionSeed", "VpcSeed", "BgpConfig", "CustomerGateway", "HealthCheck", "IkeConfig", "IpsecConfig", "Quotas",
    "RegionState", "RouteEntry", "RouteTable", "Timing", "Tunnel", "VpnConnection", "VpnGateway",
    "VpnRouteEntry", "Vpc", "VSwitch",
]
