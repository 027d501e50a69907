"""Resources of the simulated cloud, and the asynchronous-transition engine.

All resources are plain dataclasses. The negotiation model and the rest of the
lab read them through :meth:`AliyunVpcSim.snapshot` (deep copies) or, while
holding ``sim.lock``, through :meth:`AliyunVpcSim.region`.

Asynchronous model (reference §3.1/§6.6): a write on a VPN gateway starts a
:class:`Task` on that gateway (``Status == "updating"``); a write on a VPC route
table starts a task on the table (entry ``Pending``/``Deleting``). A task ends
after ``seconds`` of clock time and/or after ``polls`` read requests in the
region, whichever comes first; its completion callback then applies the
outcome (gateway back to ``active``, deleted objects removed, entries
``Available``...). Tasks are settled lazily at the start of every request and
of every state read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

__all__ = [
    "IkeConfig",
    "IpsecConfig",
    "BgpConfig",
    "HealthCheck",
    "Tunnel",
    "VpnConnection",
    "CustomerGateway",
    "VpnRouteEntry",
    "VSwitch",
    "RouteEntry",
    "RouteTable",
    "Vpc",
    "VpnGateway",
    "Task",
    "RegionState",
    "Timing",
    "Quotas",
]


@dataclass
class IkeConfig:
    ike_version: str = "ikev1"
    ike_mode: str = "main"
    ike_enc_alg: str = "aes"
    ike_auth_alg: str = "md5"
    ike_pfs: str = "group2"
    ike_lifetime: int = 86400
    local_id: str = ""
    remote_id: str = ""
    psk: str = ""

    def to_api(self, *, lifetime_str: bool = False) -> dict:
        return {
            "IkeVersion": self.ike_version,
            "IkeMode": self.ike_mode,
            "IkeEncAlg": self.ike_enc_alg,
            "IkeAuthAlg": self.ike_auth_alg,
            "IkePfs": self.ike_pfs,
            "IkeLifetime": str(self.ike_lifetime) if lifetime_str else self.ike_lifetime,
            "LocalId": self.local_id,
            "RemoteId": self.remote_id,
            "Psk": self.psk,
        }


@dataclass
class IpsecConfig:
    ipsec_enc_alg: str = "aes"
    ipsec_auth_alg: str = "md5"
    ipsec_pfs: str = "group2"
    ipsec_lifetime: int = 86400

    def to_api(self, *, lifetime_str: bool = False) -> dict:
        return {
            "IpsecEncAlg": self.ipsec_enc_alg,
            "IpsecAuthAlg": self.ipsec_auth_alg,
            "IpsecPfs": self.ipsec_pfs,
            "IpsecLifetime": str(self.ipsec_lifetime) if lifetime_str else self.ipsec_lifetime,
        }


@dataclass
class BgpConfig:
    enable_bgp: bool = False
    local_asn: int = 45104
    tunnel_cidr: str = ""
    local_bgp_ip: str = ""


@dataclass
class HealthCheck:
    enable: bool = False
    dip: str = ""
    sip: str = ""
    interval: int = 3
    retry: int = 3
    policy: str = "revoke_route"


@dataclass
class Tunnel:
    tunnel_id: str
    role: str  # master | slave
    index: int  # 1 | 2
    customer_gateway_id: str
    internet_ip: str
    zone_no: str
    enable_dpd: bool = True
    enable_nat_traversal: bool = True
    ike: IkeConfig = field(default_factory=IkeConfig)
    ipsec: IpsecConfig = field(default_factory=IpsecConfig)
    bgp: BgpConfig = field(default_factory=BgpConfig)
    remote_ca_certificate: str = ""
    state: str = "active"  # active | updating | deleting
    applied_at: float = 0.0  # when the current configuration took effect


@dataclass
class VpnConnection:
    vpn_connection_id: str
    region_id: str
    vpn_gateway_id: str
    name: str
    local_subnet: str
    remote_subnet: str
    create_time: int  # ms epoch
    customer_gateway_id: str = ""  # single-tunnel only
    effect_immediately: bool = False
    auto_config_route: bool = True
    enable_dpd: bool = True
    enable_nat_traversal: bool = True
    enable_tunnels_bgp: bool = False
    ike: IkeConfig = field(default_factory=IkeConfig)  # single-tunnel only
    ipsec: IpsecConfig = field(default_factory=IpsecConfig)  # single-tunnel only
    health_check: HealthCheck = field(default_factory=HealthCheck)
    bgp: BgpConfig = field(default_factory=BgpConfig)
    remote_ca_certificate: str = ""
    tunnels: list[Tunnel] = field(default_factory=list)  # dual-tunnel only (master, slave)
    tags: list[tuple[str, str]] = field(default_factory=list)
    state: str = "init"  # init | active | updating
    deleting: bool = False
    applied: bool = False  # False until the create task has finished
    applied_at: float = 0.0

    @property
    def dual_tunnel(self) -> bool:
        return bool(self.tunnels)

    def tunnel(self, tunnel_id: str) -> Tunnel | None:
        return next((t for t in self.tunnels if t.tunnel_id == tunnel_id), None)

    def customer_gateway_ids(self) -> set[str]:
        if self.tunnels:
            return {t.customer_gateway_id for t in self.tunnels}
        return {self.customer_gateway_id}


@dataclass
class CustomerGateway:
    customer_gateway_id: str
    ip_address: str
    create_time: int
    name: str = ""
    description: str = ""
    asn: int | None = None
    auth_key: str = ""
    tags: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class VpnRouteEntry:
    vpn_gateway_id: str
    route_dest: str
    next_hop: str  # vco-...
    weight: int
    publish_vpc: bool
    create_time: int
    overlay_mode: str = "Ipsec"
    description: str = ""
    state: str = "normal"  # normal | published
    route_entry_type: str = "custom"
    deleting: bool = False


@dataclass
class VSwitch:
    vswitch_id: str
    vpc_id: str
    cidr: str
    zone_id: str
    name: str = ""
    create_time: str = ""


@dataclass
class RouteEntry:
    route_entry_id: str
    route_table_id: str
    destination_cidr_block: str
    type: str = "Custom"  # Custom | System
    status: str = "Pending"  # Pending | Available | Deleting
    next_hop_type: str = ""
    next_hop_id: str = ""
    name: str = ""
    description: str = ""
    gmt_modified: str = ""
    origin: str = ""  # "" | "VpnGateway" (published by PublishVpc)


@dataclass
class RouteTable:
    route_table_id: str
    vpc_id: str
    router_id: str
    route_table_type: str = "System"
    name: str = ""
    description: str = ""
    creation_time: str = ""
    entries: list[RouteEntry] = field(default_factory=list)

    def entry(self, route_entry_id: str) -> RouteEntry | None:
        return next((e for e in self.entries if e.route_entry_id == route_entry_id), None)


@dataclass
class Vpc:
    vpc_id: str
    region_id: str
    cidr: str
    name: str = ""
    vrouter_id: str = ""
    creation_time: str = ""
    vswitches: list[VSwitch] = field(default_factory=list)
    route_tables: list[RouteTable] = field(default_factory=list)

    @property
    def system_route_table(self) -> RouteTable:
        return next(t for t in self.route_tables if t.route_table_type == "System")


@dataclass
class VpnGateway:
    vpn_gateway_id: str
    region_id: str
    vpc_id: str
    vswitch_id: str
    internet_ip: str
    create_time: int
    end_time: int
    name: str = ""
    description: str = ""
    disaster_recovery_internet_ip: str = ""  # dual-tunnel only
    disaster_recovery_vswitch_id: str = ""  # dual-tunnel only
    zone_no: str = ""
    dr_zone_no: str = ""
    spec: str = "10M"
    status: str = "active"  # init | provisioning | active | updating | deleting
    business_status: str = "Normal"  # Normal | FinancialLocked
    charge_type: str = "POSTPAY"
    network_type: str = "public"
    gateway_type: str = "Traditional"
    vpn_type: str = "Normal"  # Normal | NationalStandard
    ipsec_vpn: str = "enable"
    ssl_vpn: str = "disable"
    ssl_max_connections: int = 0
    ssl_vpn_internet_ip: str = ""
    enable_bgp: bool = False
    auto_propagate: bool = False
    system_tag: dict[str, str] = field(default_factory=dict)  # the JSON-string "Tag"
    tags: list[tuple[str, str]] = field(default_factory=list)
    resource_group_id: str = "rg-acfmzw2jz2z3aaa"
    deleting: bool = False

    @property
    def dual_tunnel(self) -> bool:
        return bool(self.disaster_recovery_internet_ip)


@dataclass
class Task:
    kind: str  # "gateway" | "route_table"
    target_id: str
    started: float
    seconds: float | None
    polls: int | None
    on_complete: Callable[[float], None]
    polls_seen: int = 0
    label: str = ""

    def done_at(self, now: float) -> float | None:
        """The completion time if the task is finished at ``now``, else None."""
        if self.seconds is None and self.polls is None:
            return self.started
        if self.seconds is not None and now - self.started >= self.seconds:
            return self.started + self.seconds
        if self.polls is not None and self.polls_seen >= self.polls:
            return now
        return None


@dataclass
class Timing:
    """Durations of the asynchronous transitions.

    Each transition ends after ``*_seconds`` of clock time, or after ``*_polls``
    read requests (Describe*/Download*) in the same region, whichever comes
    first. ``None`` disables that criterion; both ``None`` makes the transition
    instantaneous (it completes on the next request). Polls-based example:
    ``Timing(gateway_update_seconds=None, gateway_update_polls=2)`` shows
    ``updating`` to exactly two reads, the third read sees ``active``.
    """

    gateway_update_seconds: float | None = 1.5
    gateway_update_polls: int | None = None
    route_entry_seconds: float | None = 1.0
    route_entry_polls: int | None = None
    gateway_create_seconds: float | None = 3.0  # per phase: init, then provisioning
    gateway_create_polls: int | None = None

    @classmethod
    def instant(cls) -> "Timing":
        return cls(None, None, None, None, None, None)


@dataclass
class Quotas:
    vpn_gateways_per_region: int = 30
    customer_gateways_per_region: int = 100
    connections_per_gateway: int = 10
    vpn_route_entries_per_gateway: int = 20
    custom_route_entries_per_table: int = 200
    subnets_per_side: int = 10




@dataclass
class IdempotencyRecord:
    fingerprint: tuple
    body: dict


@dataclass
class RegionState:
    region_id: str
    vpcs: dict[str, Vpc] = field(default_factory=dict)
    gateways: dict[str, VpnGateway] = field(default_factory=dict)
    customer_gateways: dict[str, CustomerGateway] = field(default_factory=dict)
    connections: dict[str, VpnConnection] = field(default_factory=dict)
    vpn_routes: list[VpnRouteEntry] = field(default_factory=list)
    tasks: list[Task] = field(default_factory=list)
    tokens: dict[tuple[str, str], IdempotencyRecord] = field(default_factory=dict)

    # -- lookups ------------------------------------------------------------
    def route_table(self, route_table_id: str) -> RouteTable | None:
        for vpc in self.vpcs.values():
            for t in vpc.route_tables:
                if t.route_table_id == route_table_id:
                    return t
        return None

    def vswitch(self, vswitch_id: str) -> VSwitch | None:
        for vpc in self.vpcs.values():
            for v in vpc.vswitches:
                if v.vswitch_id == vswitch_id:
                    return v
        return None

    def gateway_busy(self, gateway_id: str) -> bool:
        return any(t.kind == "gateway" and t.target_id == gateway_id for t in self.tasks)

    def table_busy(self, route_table_id: str) -> bool:
        return any(t.kind == "route_table" and t.target_id == route_table_id for t in self.tasks)

    # -- task engine --------------------------------------------------------
    def start_task(self, task: Task) -> Task:
        self.tasks.append(task)
        return task

    def settle(self, now: float) -> None:
        """Complete every finished task (completion callbacks may start new ones)."""
        for _ in range(1000):
            finished = [(t, t.done_at(now)) for t in self.tasks]
            finished = [(t, at) for t, at in finished if at is not None]
            if not finished:
                return
            finished.sort(key=lambda x: x[1])
            task, at = finished[0]
            self.tasks.remove(task)
            task.on_complete(at)

    def count_poll(self) -> None:
        for t in self.tasks:
            t.polls_seen += 1
