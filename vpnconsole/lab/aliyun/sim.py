"""The simulated Alibaba Cloud VPC API (version 2016-04-28): state, seeding, dispatch.

:class:`AliyunVpcSim` is transport independent: :meth:`AliyunVpcSim.handle`
takes an action name, the merged flat parameters and the request headers and
returns an :class:`ApiResponse`. :mod:`.server` puts it behind HTTP.

Choices where the reference is silent (documented here, applied everywhere):

* Unknown action: HTTP 404 ``InvalidAction.NotFound`` "Specified api is not
  found, please check your url and method." (the answer of Alibaba's API
  gateway for an action it does not know). It is checked before credentials.
  A missing action gets the same answer.
* ``x-acs-version`` / ``Version`` other than ``2016-04-28``: 400 ``InvalidVersion``.
* Credentials: no ``Authorization`` header and no ``AccessKeyId`` parameter ->
  400 ``InvalidAccessKeyId.NotFound``; an ``Authorization`` header without a
  ``Credential=<ak>`` part, or ``AccessKeyId`` without ``Signature`` -> 400
  ``IncompleteSignature``. Signatures are never verified. When the SDK's
  ``x-acs-content-sha256`` header does not match the body: 400
  ``SignatureDoesNotMatch`` (a cheap integrity test of the request builder).
* ``RegionId`` is required by every action except ``DescribeRegions`` (whose
  request model has no RegionId). Absent -> 400 ``MissingRegionId``; a region
  the sim does not know -> 404 ``InvalidRegionId.NotFound``.
* Other missing required parameters -> 400 ``MissingParameter`` naming it.
* ``*.NotFound`` codes are answered with HTTP 404.
* ``ClientToken`` results are cached per region+action+token for successful
  writes only; a replay gets the original body with a fresh RequestId.
"""

from __future__ import annotations

import copy
import hashlib
import logging
import random
import string
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Iterable, Mapping, Sequence

from .clock import Clock, SystemClock
from .errors import HOST_ID, ApiError, configuring, not_found
from .masking import mask_params
from .negotiation import LogLine, NegotiationReport, NegotiationSource, NegotiationTarget, PeerNotResponding
from .params import TRANSPORT_PARAMS, ParamReader
from .state import (
    CustomerGateway,
    IdempotencyRecord,
    Quotas,
    RegionState,
    RouteEntry,
    RouteTable,
    Task,
    Timing,
    Tunnel,
    VpnConnection,
    VpnGateway,
    Vpc,
    VSwitch,
)
from .validate import NEGOTIATION_STATUSES, strict_cidr

__all__ = ["AliyunVpcSim", "ApiResponse", "Ctx", "KNOWN_REGIONS", "API_VERSION"]

logger = logging.getLogger("vpnconsole.lab.aliyun")

API_VERSION = "2016-04-28"

# region id -> local name (a realistic subset of the public regions)
KNOWN_REGIONS: dict[str, str] = {
    "cn-qingdao": "华北1（青岛）",
    "cn-beijing": "华北2（北京）",
    "cn-zhangjiakou": "华北3（张家口）",
    "cn-huhehaote": "华北5（呼和浩特）",
    "cn-wulanchabu": "华北6（乌兰察布）",
    "cn-hangzhou": "华东1（杭州）",
    "cn-shanghai": "华东2（上海）",
    "cn-shenzhen": "华南1（深圳）",
    "cn-heyuan": "华南2（河源）",
    "cn-guangzhou": "华南3（广州）",
    "cn-chengdu": "西南1（成都）",
    "cn-hongkong": "中国香港",
    "ap-northeast-1": "日本（东京）",
    "ap-northeast-2": "韩国（首尔）",
    "ap-southeast-1": "新加坡",
    "ap-southeast-3": "马来西亚（吉隆坡）",
    "ap-southeast-5": "印度尼西亚（雅加达）",
    "ap-southeast-6": "菲律宾（马尼拉）",
    "ap-southeast-7": "泰国（曼谷）",
    "us-east-1": "美国（弗吉尼亚）",
    "us-west-1": "美国（硅谷）",
    "eu-west-1": "英国（伦敦）",
    "eu-central-1": "德国（法兰克福）",
    "me-east-1": "阿联酋（迪拜）",
}
_CENTRAL_ENDPOINT_REGIONS = {"cn-hangzhou", "cn-shanghai", "cn-beijing", "cn-qingdao", "cn-shenzhen",
                             "cn-hongkong", "ap-southeast-1", "us-east-1", "us-west-1"}
_ID_INFIX = {"cn-hangzhou": "bp1", "cn-shanghai": "uf6", "cn-beijing": "2ze", "cn-shenzhen": "wz9",
             "cn-qingdao": "m5e", "ap-southeast-1": "t4n", "cn-hongkong": "j6c", "eu-central-1": "gw8"}


@dataclass
class ApiResponse:
    status: int
    body: dict
    headers: dict[str, str] = field(default_factory=dict)
    code: str | None = None  # error code, None on success


@dataclass
class Ctx:
    """What an action handler gets."""

    sim: "AliyunVpcSim"
    region: RegionState
    p: ParamReader
    now: float
    action: str
    request_id: str


Handler = Callable[[Ctx], dict]


class AliyunVpcSim:
    """The simulated cloud. Thread-safe (one re-entrant lock around everything).

    Seeding::

        sim = AliyunVpcSim(clock=ManualClock(), timing=Timing(gateway_update_seconds=5))
        vpc = sim.add_vpc("cn-shanghai", cidr="172.16.0.0/16",
                          vswitches=[("172.16.1.0/24", "cn-shanghai-b"), ("172.16.2.0/24", "cn-shanghai-g")])
        dual = sim.add_vpn_gateway("cn-shanghai", vpc.vpc_id, dual_tunnel=True)
        single = sim.add_vpn_gateway("cn-shanghai", vpc.vpc_id, dual_tunnel=False)

    or ``sim.seed(RegionSeed(...))`` (see :mod:`.seed`).
    """

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        timing: Timing | None = None,
        quotas: Quotas | None = None,
        regions: Mapping[str, str] | Iterable[str] | None = None,
        negotiation: NegotiationSource | None = None,
        faults: "FaultInjector | None" = None,
        rng_seed: int | None = None,
        log_utc_offset_hours: float = 8.0,
        check_content_sha256: bool = True,
        dual_tunnel_regions: Iterable[str] | None = None,
    ) -> None:
        from .faults import FaultInjector

        self.clock: Clock = clock or SystemClock()
        self.timing = timing or Timing()
        self.quotas = quotas or Quotas()
        if regions is None:
            self.known_regions = dict(KNOWN_REGIONS)
        elif isinstance(regions, Mapping):
            self.known_regions = dict(regions)
        else:
            self.known_regions = {r: KNOWN_REGIONS.get(r, r) for r in regions}
        # Regions where CreateVpnGateway creates dual-tunnel gateways (needs DisasterRecoveryVSwitchId).
        self.dual_tunnel_regions = set(self.known_regions if dual_tunnel_regions is None else dual_tunnel_regions)
        self.faults = faults or FaultInjector()
        self.lock = threading.RLock()
        self.check_content_sha256 = check_content_sha256
        self.log_tz = timezone(timedelta(hours=log_utc_offset_hours))
        self._rng = random.Random(rng_seed) if rng_seed is not None else random.SystemRandom()
        self._regions: dict[str, RegionState] = {}
        self._negotiation: NegotiationSource = negotiation or PeerNotResponding()
        self._overrides: dict[tuple[str, str | None], NegotiationReport] = {}
        self._ip_pool = iter(f"198.51.100.{i}" for i in range(10, 250))
        self.request_count = 0
        from . import actions  # registers the handlers

        self._actions: dict[str, tuple[Handler, bool]] = actions.REGISTRY

    # ------------------------------------------------------------------ ids
    def new_id(self, prefix: str, region_id: str = "") -> str:
        alphabet = string.ascii_lowercase + string.digits
        infix = _ID_INFIX.get(region_id) or "".join(self._rng.choice(alphabet) for _ in range(3))
        return f"{prefix}-{infix}{''.join(self._rng.choice(alphabet) for _ in range(18))}"

    def new_psk(self) -> str:
        alphabet = string.ascii_letters + string.digits
        return "".join(self._rng.choice(alphabet) for _ in range(16))

    def next_public_ip(self) -> str:
        """The next simulated public IP (TEST-NET-2, 198.51.100.0/24; never routed)."""
        return next(self._ip_pool)

    # -------------------------------------------------------------- time
    def now(self) -> float:
        return self.clock.now()

    @staticmethod
    def ms(t: float) -> int:
        return int(t * 1000)

    @staticmethod
    def iso(t: float) -> str:
        return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

    def log_time(self, t: float) -> str:
        return datetime.fromtimestamp(t, self.log_tz).strftime("%Y-%m-%d %H:%M:%S")

    # ------------------------------------------------------------ regions
    def region(self, region_id: str) -> RegionState:
        """The live state of a region (hold ``sim.lock`` while reading it from another thread)."""
        with self.lock:
            if region_id not in self.known_regions:
                raise KeyError(f"unknown region {region_id!r}")
            st = self._regions.get(region_id)
            if st is None:
                st = self._regions[region_id] = RegionState(region_id)
            return st

    def snapshot(self, region_id: str | None = None) -> Any:
        """Deep copy of one region's state (settled to now), or of all used regions as a dict."""
        with self.lock:
            now = self.now()
            if region_id is not None:
                st = self.region(region_id)
                st.settle(now)
                return copy.deepcopy(st)
            for st in self._regions.values():
                st.settle(now)
            return copy.deepcopy(self._regions)

    def find_connection(self, vpn_connection_id: str) -> VpnConnection | None:
        """A snapshot of a connection in any region (PSKs in clear), or None."""
        with self.lock:
            for st in self._regions.values():
                st.settle(self.now())
                if vpn_connection_id in st.connections:
                    return copy.deepcopy(st.connections[vpn_connection_id])
        return None

    # -------------------------------------------------------------- seeding
    def add_vpc(
        self,
        region_id: str,
        *,
        cidr: str = "172.16.0.0/16",
        vswitches: Sequence[tuple[str, str] | str] = (),
        name: str = "",
        vpc_id: str | None = None,
    ) -> Vpc:
        """Create a VPC with its System route table and vSwitches ((cidr, zone) or cidr)."""
        with self.lock:
            st = self.region(region_id)
            net = strict_cidr(cidr)
            if net is None:
                raise ValueError(f"bad VPC CIDR {cidr!r}")
            now = self.now()
            vpc = Vpc(vpc_id or self.new_id("vpc", region_id), region_id, cidr, name=name,
                      vrouter_id=self.new_id("vrt", region_id), creation_time=self.iso(now))
            table = RouteTable(self.new_id("vtb", region_id), vpc.vpc_id, vpc.vrouter_id, "System",
                               creation_time=self.iso(now))
            table.entries.append(RouteEntry("", table.route_table_id, "100.64.0.0/10", "System", "Available",
                                            "service", "", gmt_modified=self.iso(now)))
            vpc.route_tables.append(table)
            st.vpcs[vpc.vpc_id] = vpc
            for v in vswitches:
                c, z = (v, "") if isinstance(v, str) else v
                self.add_vswitch(region_id, vpc.vpc_id, c, zone_id=z)
            return vpc

    def add_vswitch(self, region_id: str, vpc_id: str, cidr: str, *, zone_id: str = "", name: str = "",
                    vswitch_id: str | None = None) -> VSwitch:
        with self.lock:
            st = self.region(region_id)
            vpc = st.vpcs[vpc_id]
            net = strict_cidr(cidr)
            if net is None or not net.subnet_of(strict_cidr(vpc.cidr)):  # type: ignore[arg-type]
                raise ValueError(f"vSwitch CIDR {cidr!r} is not inside the VPC CIDR {vpc.cidr}")
            now = self.now()
            zone = zone_id or f"{region_id}-{'abcdefghij'[len(vpc.vswitches) % 10]}"
            vsw = VSwitch(vswitch_id or self.new_id("vsw", region_id), vpc_id, cidr, zone, name,
                          create_time=self.iso(now))
            vpc.vswitches.append(vsw)
            vpc.system_route_table.entries.append(
                RouteEntry("", vpc.system_route_table.route_table_id, cidr, "System", "Available", "local", "",
                           gmt_modified=self.iso(now)))
            return vsw

    def add_vpn_gateway(
        self,
        region_id: str,
        vpc_id: str,
        *,
        dual_tunnel: bool = True,
        internet_ip: str | None = None,
        dr_internet_ip: str | None = None,
        vswitch_id: str | None = None,
        dr_vswitch_id: str | None = None,
        name: str = "",
        description: str = "",
        spec: str = "10M",
        vpn_type: str = "Normal",
        business_status: str = "Normal",
        charge_type: str = "POSTPAY",
        network_type: str = "public",
        enable_bgp: bool = False,
        auto_propagate: bool = False,
        ssl_vpn: bool = False,
        status: str = "active",
        system_tag: Mapping[str, str] | None = None,
        tags: Sequence[tuple[str, str]] = (),
        vpn_gateway_id: str | None = None,
    ) -> VpnGateway:
        """Seed an existing, paid VPN gateway (single- or dual-tunnel) in a seeded VPC.

        Missing vSwitches are taken from the VPC (the first two, or created in
        the VPC CIDR); missing IPs come from 198.51.100.0/24 (documentation range).
        """
        with self.lock:
            st = self.region(region_id)
            vpc = st.vpcs[vpc_id]
            if not vpc.vswitches:
                base = strict_cidr(vpc.cidr)
                assert base is not None
                subnets = base.subnets(new_prefix=max(base.prefixlen, 24))
                for _ in range(2):
                    s = next(subnets)
                    self.add_vswitch(region_id, vpc_id, str(s))
            vsw = st.vswitch(vswitch_id) if vswitch_id else vpc.vswitches[0]
            if vsw is None:
                raise ValueError(f"unknown vSwitch {vswitch_id}")
            dr_vsw = None
            if dual_tunnel:
                dr_vsw = (st.vswitch(dr_vswitch_id) if dr_vswitch_id
                          else vpc.vswitches[1] if len(vpc.vswitches) > 1 else vsw)
                if dr_vsw is None:
                    raise ValueError(f"unknown vSwitch {dr_vswitch_id}")
            now = self.now()
            tag = dict(system_tag) if system_tag is not None else {
                "VpnEnableBgp": "true", "VisuallySsl": "true", "PbrPriority": "true", "VpnNewImage": "true",
                "VpnVersion": "v1.2.4", "IDaaSNewVersion": "true"}
            gw_id = vpn_gateway_id or self.new_id("vpn", region_id)
            gw = VpnGateway(
                vpn_gateway_id=gw_id,
                region_id=region_id,
                vpc_id=vpc_id,
                vswitch_id=vsw.vswitch_id,
                internet_ip=internet_ip or self.next_public_ip(),
                create_time=self.ms(now),
                end_time=self.ms(now + 365 * 86400) if charge_type.upper().startswith("PRE") else 32503651200000,
                name=name or gw_id,
                description=description,
                disaster_recovery_internet_ip=(dr_internet_ip or self.next_public_ip()) if dual_tunnel else "",
                disaster_recovery_vswitch_id=dr_vsw.vswitch_id if dr_vsw else "",
                zone_no=vsw.zone_id,
                dr_zone_no=dr_vsw.zone_id if dr_vsw else "",
                spec=spec,
                status=status,
                business_status=business_status,
                charge_type=charge_type,
                network_type=network_type,
                vpn_type=vpn_type,
                ssl_vpn="enable" if ssl_vpn else "disable",
                ssl_max_connections=5 if ssl_vpn else 0,
                enable_bgp=enable_bgp,
                auto_propagate=auto_propagate,
                system_tag=tag,
                tags=list(tags),
            )
            st.gateways[gw.vpn_gateway_id] = gw
            return gw

    def add_customer_gateway(self, region_id: str, ip_address: str, *, name: str = "", asn: int | None = None,
                             description: str = "") -> CustomerGateway:
        with self.lock:
            st = self.region(region_id)
            cgw = CustomerGateway(self.new_id("cgw", region_id), ip_address, self.ms(self.now()), name=name,
                                  description=description, asn=asn)
            st.customer_gateways[cgw.customer_gateway_id] = cgw
            return cgw

    def seed(self, *regions: "RegionSeed") -> dict[str, list]:
        """Apply :class:`.seed.RegionSeed` declarations; returns {"vpcs": [...], "gateways": [...]}."""
        from .seed import apply_seed

        return apply_seed(self, regions)

    # ------------------------------------------------------ state helpers
    def set_gateway_status(self, region_id: str, vpn_gateway_id: str, status: str | None = None, *,
                           business_status: str | None = None) -> None:
        """Test/lab hook: force a gateway's Status and/or BusinessStatus."""
        with self.lock:
            gw = self.region(region_id).gateways[vpn_gateway_id]
            if status is not None:
                gw.status = status
            if business_status is not None:
                gw.business_status = business_status

    def gateway_write(self, ctx: Ctx, gw: VpnGateway, apply: Callable[[float], None], *, label: str = "",
                      seconds: float | None | str = "default", polls: int | None | str = "default") -> Task:
        """Start an asynchronous write on a gateway: ``updating`` now, ``apply(t)`` + ``active`` when done."""
        region = ctx.region
        gw.status = "updating"

        def done(at: float) -> None:
            apply(at)
            if gw.vpn_gateway_id in region.gateways and not gw.deleting:
                gw.status = "active"

        return region.start_task(Task(
            "gateway", gw.vpn_gateway_id, ctx.now,
            self.timing.gateway_update_seconds if seconds == "default" else seconds,  # type: ignore[arg-type]
            self.timing.gateway_update_polls if polls == "default" else polls,  # type: ignore[arg-type]
            done, label=label))

    def check_gateway_writable(self, region: RegionState, gw: VpnGateway) -> None:
        if gw.business_status == "FinancialLocked":
            raise ApiError(400, "VpnGateway.FinancialLocked", "The specified VPN gateway has overdue payments.")
        if gw.status == "updating" or region.gateway_busy(gw.vpn_gateway_id):
            raise configuring()
        if gw.status != "active":
            raise ApiError(400, "IncorrectStatus.VpnGateway",
                           "The current status of the resource does not support this operation.")

    def get_gateway(self, region: RegionState, gw_id: str) -> VpnGateway:
        gw = region.gateways.get(gw_id)
        if gw is None:
            raise not_found("InvalidVpnGatewayInstanceId.NotFound", "VPN gateway")
        return gw

    def get_connection(self, region: RegionState, vco_id: str) -> VpnConnection:
        conn = region.connections.get(vco_id)
        if conn is None:
            raise not_found("InvalidVpnConnectionInstanceId.NotFound", "IPsec-VPN connection")
        return conn

    def get_cgw(self, region: RegionState, cgw_id: str) -> CustomerGateway:
        cgw = region.customer_gateways.get(cgw_id)
        if cgw is None:
            raise not_found("InvalidCustomerGatewayInstanceId.NotFound", "customer gateway")
        return cgw

    def get_route_table(self, region: RegionState, table_id: str) -> RouteTable:
        t = region.route_table(table_id)
        if t is None:
            raise not_found("InvalidRouteTableId.NotFound", "route table")
        return t

    # ---------------------------------------------------------- negotiation
    def set_negotiation_source(self, source: NegotiationSource) -> None:
        """Plug in the negotiation model (replaces the default :class:`PeerNotResponding`)."""
        with self.lock:
            self._negotiation = source

    @property
    def negotiation_source(self) -> NegotiationSource:
        return self._negotiation

    def set_negotiation(self, vpn_connection_id: str, status: str, logs: Sequence[LogLine | str] | None = None,
                        *, tunnel_id: str | None = None) -> None:
        """Test hook: pin the negotiation Status (and logs) of a connection or of one of its tunnels.

        For a dual-tunnel connection pass ``tunnel_id``; without it the override
        applies to every tunnel that has no tunnel-specific override.
        """
        if status not in NEGOTIATION_STATUSES:
            raise ValueError(f"status must be one of {NEGOTIATION_STATUSES}")
        with self.lock:
            self._overrides[(vpn_connection_id, tunnel_id)] = NegotiationReport(status, tuple(logs or ()))

    def clear_negotiation(self, vpn_connection_id: str | None = None, *, tunnel_id: str | None = None) -> None:
        with self.lock:
            if vpn_connection_id is None:
                self._overrides.clear()
            else:
                self._overrides.pop((vpn_connection_id, tunnel_id), None)

    def negotiation_target(self, region: RegionState, conn: VpnConnection, tunnel: Tunnel | None) -> NegotiationTarget:
        gw = region.gateways.get(conn.vpn_gateway_id)
        cgw_id = tunnel.customer_gateway_id if tunnel else conn.customer_gateway_id
        cgw = region.customer_gateways.get(cgw_id)
        snap = copy.deepcopy
        return NegotiationTarget(
            region_id=region.region_id,
            gateway=snap(gw),
            connection=snap(conn),
            tunnel=snap(tunnel),
            customer_gateway=snap(cgw),
            local_ip=tunnel.internet_ip if tunnel else (gw.internet_ip if gw else ""),
            remote_ip=cgw.ip_address if cgw else "",
            ike=snap(tunnel.ike if tunnel else conn.ike),
            ipsec=snap(tunnel.ipsec if tunnel else conn.ipsec),
            enable_dpd=tunnel.enable_dpd if tunnel else conn.enable_dpd,
            enable_nat_traversal=tunnel.enable_nat_traversal if tunnel else conn.enable_nat_traversal,
            effect_immediately=conn.effect_immediately,
            applied_at=tunnel.applied_at if tunnel else conn.applied_at,
        )

    def negotiation(self, region: RegionState, conn: VpnConnection, tunnel: Tunnel | None, now: float) -> NegotiationReport:
        tid = tunnel.tunnel_id if tunnel else None
        for key in ((conn.vpn_connection_id, tid), (conn.vpn_connection_id, None)):
            if key in self._overrides:
                return self._overrides[key]
        if not conn.applied:
            return NegotiationReport("ike_sa_not_established", ())
        rep = self._negotiation.report(self.negotiation_target(region, conn, tunnel), now)
        if rep.status not in NEGOTIATION_STATUSES:
            logger.error("negotiation source returned an invalid status %r", rep.status)
            return NegotiationReport("ike_sa_not_established", rep.logs)
        return rep

    def format_log(self, vco_id: str, entry: LogLine | str) -> str:
        if isinstance(entry, str):
            return entry
        return f"{self.log_time(entry.time)} {vco_id} [{entry.level}]: {entry.source}:{entry.message}"

    # ------------------------------------------------------------ dispatch
    def new_request_id(self) -> str:
        return str(uuid.uuid4()).upper()

    def error_response(self, err: ApiError, request_id: str) -> ApiResponse:
        body = {
            "RequestId": request_id,
            "HostId": HOST_ID,
            "Code": err.code,
            "Message": err.message,
            "Recommend": f"https://api.aliyun.com/troubleshoot?q={err.code}&product=Vpc&requestId={request_id}",
        }
        return ApiResponse(err.status, body, dict(err.headers), err.code)

    def is_known_action(self, action: str) -> bool:
        return action in self._actions

    def handle(self, action: str | None, params: Mapping[str, str], headers: Mapping[str, str] | None = None,
               *, body: bytes | None = None, request_id: str | None = None,
               after_commit: Callable[[], ApiError | None] | None = None) -> ApiResponse:
        """Process one API call. ``headers`` keys are matched case-insensitively.

        ``after_commit`` (used by the fault knobs) is called after a successful
        handler ran and its result was recorded for ClientToken replay; if it
        returns an error, that error is answered instead of the success.
        """
        request_id = request_id or self.new_request_id()
        hdrs = {k.lower(): v for k, v in (headers or {}).items()}
        action = action or ""
        t0 = time.perf_counter()
        region_id = params.get("RegionId", "")
        try:
            with self.lock:
                self.request_count += 1
                resp = self._dispatch(action, dict(params), hdrs, body, request_id, after_commit)
        except ApiError as err:
            resp = self.error_response(err, request_id)
        except Exception:  # a bug in the sim: answer like the real API does on internal failures
            logger.exception("%s %s: internal error in the simulated API", request_id, action)
            resp = self.error_response(ApiError(500, "InternalError", "The request processing has failed due to "
                                                "some unknown error, exception or failure."), request_id)
        level = logging.WARNING if resp.code == "InvalidAction.NotFound" else logging.INFO
        logger.log(level, "%s %s region=%s params=%s -> %d %s (%.1f ms)", request_id, action or "<none>",
                   region_id or "-", mask_params({k: v for k, v in params.items() if k not in ("Signature",)}),
                   resp.status, resp.code or "OK", (time.perf_counter() - t0) * 1000)
        return resp

    def _dispatch(self, action: str, params: dict[str, str], hdrs: dict[str, str], body: bytes | None,
                  request_id: str, after_commit: Callable[[], ApiError | None] | None) -> ApiResponse:
        version = hdrs.get("x-acs-version") or params.get("Version")
        if version and version != API_VERSION:
            raise ApiError(400, "InvalidVersion", "Specified parameter Version is not valid.")
        entry = self._actions.get(action)
        if entry is None:
            raise ApiError(404, "InvalidAction.NotFound", "Specified api is not found, please check your url and method.")
        handler, is_write = entry
        self._check_credentials(params, hdrs, body)
        clean = {k: v for k, v in params.items() if k not in TRANSPORT_PARAMS}
        reader = ParamReader(clean)
        if action == "DescribeRegions":
            region_id = clean.get("RegionId") or next(iter(self.known_regions))
        else:
            region_id = reader.req("RegionId")
        if region_id not in self.known_regions:
            raise not_found("InvalidRegionId.NotFound", "RegionId")
        region = self.region(region_id)
        now = self.now()
        region.settle(now)

        token = clean.get("ClientToken") if is_write else None
        fingerprint: tuple = ()
        if token is not None:
            if not token or len(token) > 64 or not token.isascii():
                raise ApiError(400, "InvalidParameter", 'The specified parameter "ClientToken" is not valid.')
            fingerprint = tuple(sorted((k, v) for k, v in clean.items() if k != "ClientToken"))
            rec = region.tokens.get((action, token))
            if rec is not None:
                if rec.fingerprint != fingerprint:
                    raise ApiError(400, "IdempotentParameterMismatch", "The request uses the same client token as "
                                   "a previous, but non-identical request.")
                out = copy.deepcopy(rec.body)
                out["RequestId"] = request_id
                return ApiResponse(200, out)

        ctx = Ctx(self, region, reader, now, action, request_id)
        try:
            result = handler(ctx)
        finally:
            if not is_write:
                region.count_poll()
        result = dict(result)
        result["RequestId"] = request_id
        if token is not None:
            region.tokens[(action, token)] = IdempotencyRecord(fingerprint, copy.deepcopy(result))
        if after_commit is not None:
            err = after_commit()
            if err is not None:
                raise err
        return ApiResponse(200, result)

    def _check_credentials(self, params: Mapping[str, str], hdrs: Mapping[str, str], body: bytes | None) -> None:
        auth = hdrs.get("authorization")
        ak = params.get("AccessKeyId")
        if not auth and not ak:
            raise ApiError(400, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
        if auth:
            cred = ""
            for part in auth.replace(" ", ",").split(","):
                if part.startswith("Credential="):
                    cred = part[len("Credential="):]
            if not cred:
                raise ApiError(400, "IncompleteSignature", "The request signature does not conform to Aliyun standards.")
            want = hdrs.get("x-acs-content-sha256")
            if self.check_content_sha256 and want and body is not None:
                if hashlib.sha256(body).hexdigest() != want.lower():
                    raise ApiError(400, "SignatureDoesNotMatch",
                                   "The request body does not match the x-acs-content-sha256 header.")
        elif not params.get("Signature"):
            raise ApiError(400, "IncompleteSignature", "The request signature does not conform to Aliyun standards.")
