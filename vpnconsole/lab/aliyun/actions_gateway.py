"""Regions, VPCs/vSwitches and VPN gateway actions."""

from __future__ import annotations

import hashlib
import json

from .actions import action, match_tags, page, tags_api
from .errors import ApiError, invalid, not_found
from .sim import Ctx
from .state import Task, VpnGateway
from .validate import check_description, check_gateway_name

_EN_NAMES = {
    "cn-hangzhou": "China (Hangzhou)", "cn-shanghai": "China (Shanghai)", "cn-beijing": "China (Beijing)",
    "cn-shenzhen": "China (Shenzhen)", "cn-qingdao": "China (Qingdao)", "cn-hongkong": "China (Hong Kong)",
    "ap-southeast-1": "Singapore", "ap-northeast-1": "Japan (Tokyo)", "us-west-1": "US (Silicon Valley)",
    "us-east-1": "US (Virginia)", "eu-central-1": "Germany (Frankfurt)", "eu-west-1": "UK (London)",
}


def render_gateway(ctx: Ctx, gw: VpnGateway) -> dict:
    eni = "eni-" + hashlib.sha1(gw.vpn_gateway_id.encode()).hexdigest()[:20]
    d = {
        "VpnGatewayId": gw.vpn_gateway_id,
        "VpcId": gw.vpc_id,
        "VSwitchId": gw.vswitch_id,
        "InternetIp": gw.internet_ip,
        "CreateTime": gw.create_time,
        "EndTime": gw.end_time,
        "Spec": gw.spec,
        "Name": gw.name,
        "Description": gw.description,
        "Status": gw.status,
        "BusinessStatus": gw.business_status,
        "ChargeType": gw.charge_type,
        "IpsecVpn": gw.ipsec_vpn,
        "SslVpn": gw.ssl_vpn,
        "SslMaxConnections": gw.ssl_max_connections,
        "Tag": json.dumps(gw.system_tag, separators=(",", ":")),
        "Tags": tags_api(gw.tags),
        "EnableBgp": gw.enable_bgp,
        "AutoPropagate": gw.auto_propagate,
        "NetworkType": gw.network_type,
        "GatewayType": gw.gateway_type,
        "VpnType": gw.vpn_type,
        "ResourceGroupId": gw.resource_group_id,
        "EniInstanceIds": {"EniInstanceId": [eni]},
    }
    if gw.ssl_vpn == "enable":
        d["SslVpnInternetIp"] = gw.ssl_vpn_internet_ip or gw.internet_ip
    if gw.dual_tunnel:
        d["DisasterRecoveryInternetIp"] = gw.disaster_recovery_internet_ip
        d["DisasterRecoveryVSwitchId"] = gw.disaster_recovery_vswitch_id
    return d


@action("DescribeRegions")
def describe_regions(ctx: Ctx) -> dict:
    en = (ctx.p.str("AcceptLanguage") or "").lower().startswith("en")
    regions = []
    for rid, local in ctx.sim.known_regions.items():
        endpoint = "vpc.aliyuncs.com" if rid in ("cn-hangzhou",) else f"vpc.{rid}.aliyuncs.com"
        regions.append({"RegionId": rid, "LocalName": _EN_NAMES.get(rid, rid) if en else local,
                        "RegionEndpoint": endpoint})
    return {"Regions": {"Region": regions}}


@action("DescribeVpcs")
def describe_vpcs(ctx: Ctx) -> dict:
    from .actions import dry_run

    dry_run(ctx)
    number, size = ctx.p.page()
    ids = set(filter(None, (ctx.p.str("VpcId") or "").split(",")))
    name = ctx.p.str("VpcName")
    want_tags = ctx.p.tags("Tag")
    out = []
    for vpc in ctx.region.vpcs.values():
        if ids and vpc.vpc_id not in ids:
            continue
        if name and vpc.name != name:
            continue
        if want_tags:
            continue  # seeded VPCs carry no tags
        out.append({
            "VpcId": vpc.vpc_id,
            "RegionId": vpc.region_id,
            "Status": "Available",
            "VpcName": vpc.name,
            "Description": "",
            "CidrBlock": vpc.cidr,
            "VRouterId": vpc.vrouter_id,
            "CreationTime": vpc.creation_time,
            "IsDefault": False,
            "EnabledIpv6": False,
            "ResourceGroupId": "rg-acfmzw2jz2z3aaa",
            "VSwitchIds": {"VSwitchId": [v.vswitch_id for v in vpc.vswitches]},
            "RouterTableIds": {"RouterTableIds": [t.route_table_id for t in vpc.route_tables]},
            "UserCidrs": {"UserCidr": []},
            "SecondaryCidrBlocks": {"SecondaryCidrBlock": []},
            "NatGatewayIds": {"NatGatewayIds": []},
            "Tags": {"Tag": []},
        })
    return {"TotalCount": len(out), "PageNumber": number, "PageSize": size, "Vpcs": {"Vpc": page(out, number, size)}}


@action("DescribeVSwitches")
def describe_vswitches(ctx: Ctx) -> dict:
    number, size = ctx.p.page()
    vpc_id = ctx.p.str("VpcId")
    vsw_id = ctx.p.str("VSwitchId")
    zone = ctx.p.str("ZoneId")
    out = []
    for vpc in ctx.region.vpcs.values():
        if vpc_id and vpc.vpc_id != vpc_id:
            continue
        for v in vpc.vswitches:
            if (vsw_id and v.vswitch_id != vsw_id) or (zone and v.zone_id != zone):
                continue
            out.append({
                "VSwitchId": v.vswitch_id, "VpcId": v.vpc_id, "Status": "Available", "CidrBlock": v.cidr,
                "ZoneId": v.zone_id, "VSwitchName": v.name, "Description": "", "CreationTime": v.create_time,
                "IsDefault": False, "AvailableIpAddressCount": 250, "ResourceGroupId": "rg-acfmzw2jz2z3aaa",
                "RouteTable": {"RouteTableId": vpc.system_route_table.route_table_id, "RouteTableType": "System"},
                "Tags": {"Tag": []},
            })
    return {"TotalCount": len(out), "PageNumber": number, "PageSize": size,
            "VSwitches": {"VSwitch": page(out, number, size)}}


@action("DescribeVpnGateway")
def describe_vpn_gateway(ctx: Ctx) -> dict:
    gw = ctx.sim.get_gateway(ctx.region, ctx.p.req("VpnGatewayId"))
    ctx.p.bool("IncludeReservationData", False)
    return render_gateway(ctx, gw)


@action("DescribeVpnGateways")
def describe_vpn_gateways(ctx: Ctx) -> dict:
    number, size = ctx.p.page()
    f_vpc = ctx.p.str("VpcId")
    f_id = ctx.p.str("VpnGatewayId")
    f_status = ctx.p.str("Status")
    f_bs = ctx.p.str("BusinessStatus")
    f_type = ctx.p.str("GatewayType")
    f_rg = ctx.p.str("ResourceGroupId")
    want_tags = ctx.p.tags("Tag")
    ctx.p.bool("IncludeReservationData", False)
    out = []
    for gw in reversed(list(ctx.region.gateways.values())):
        if ((f_vpc and gw.vpc_id != f_vpc) or (f_id and gw.vpn_gateway_id != f_id)
                or (f_status and gw.status != f_status) or (f_bs and gw.business_status != f_bs)
                or (f_type and gw.gateway_type != f_type) or (f_rg and gw.resource_group_id != f_rg)
                or not match_tags(gw.tags, want_tags)):
            continue
        out.append(render_gateway(ctx, gw))
    return {"TotalCount": len(out), "PageNumber": number, "PageSize": size,
            "VpnGateways": {"VpnGateway": page(out, number, size)}}


@action("ModifyVpnGatewayAttribute", write=True)
def modify_vpn_gateway_attribute(ctx: Ctx) -> dict:
    gw = ctx.sim.get_gateway(ctx.region, ctx.p.req("VpnGatewayId"))
    name = ctx.p.str("Name")
    desc = ctx.p.str("Description")
    auto = ctx.p.bool("AutoPropagate")
    if name is not None:
        check_gateway_name(name)
    if desc is not None:
        check_description(desc)
    ctx.sim.check_gateway_writable(ctx.region, gw)
    if name is not None:
        gw.name = name
    if desc is not None:
        gw.description = desc
    if auto is not None:
        gw.auto_propagate = auto
    ctx.sim.gateway_write(ctx, gw, lambda at: None, label="ModifyVpnGatewayAttribute")
    d = {k: v for k, v in render_gateway(ctx, gw).items()
         if k in ("VpnGatewayId", "VpcId", "VSwitchId", "InternetIp", "CreateTime", "EndTime", "Spec", "Name",
                  "Description", "Status", "BusinessStatus", "EnableBgp", "AutoPropagate", "ResourceGroupId",
                  "DisasterRecoveryInternetIp", "DisasterRecoveryVSwitchId", "SslVpnInternetIp")}
    d["IntranetIp"] = ""
    return d


_BW_CN = (5, 10, 20, 50, 100, 200, 500, 1000)
_BW_INTL = (10, 100, 200, 500, 1000)
_BW_PRIVATE = (200, 1000)


@action("CreateVpnGateway", write=True)
def create_vpn_gateway(ctx: Ctx) -> dict:
    """init -> provisioning -> active (two phases of ``Timing.gateway_create_*``).

    Without ``AutoPay=true`` only an order is placed: the gateway stays ``init``
    (awaiting payment). In a dual-tunnel region a missing
    ``DisasterRecoveryVSwitchId`` gives the misleading 404
    ``InvalidVSwitchId.NotFound`` the real API answers (terraform #6804).
    """
    p, sim, region = ctx.p, ctx.sim, ctx.region
    vpc_id = p.req("VpcId")
    bandwidth = p.int("Bandwidth", required=True)
    network_type = p.str("NetworkType", default="public")
    if network_type not in ("public", "private"):
        raise invalid("NetworkType", "Valid values: public, private.")
    china = region.region_id.startswith("cn-") and region.region_id != "cn-hongkong"
    allowed = _BW_PRIVATE if network_type == "private" else (_BW_CN if china else _BW_INTL)
    if bandwidth not in allowed:
        raise invalid("Bandwidth", f"Valid values: {', '.join(map(str, allowed))}.")
    charge = p.str("InstanceChargeType", default="PREPAY" if china else "POSTPAY")
    if charge not in ("PREPAY", "POSTPAY"):
        raise invalid("InstanceChargeType", "Valid values: PREPAY, POSTPAY.")
    if charge == "PREPAY":
        period = p.int("Period", required=True)
        if period not in (1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 24, 36):
            raise invalid("Period")
    elif china:
        raise invalid("InstanceChargeType", "Only PREPAY is supported on this site.")
    auto_pay = p.bool("AutoPay", False)
    vpn_type = p.str("VpnType", default="Normal")
    if vpn_type not in ("Normal", "NationalStandard"):
        raise invalid("VpnType", "Valid values: Normal, NationalStandard.")
    name = p.str("Name")
    if name is not None:
        check_gateway_name(name)
    enable_ipsec = p.bool("EnableIpsec", True)
    enable_ssl = p.bool("EnableSsl", False)
    ssl_conn = p.int("SslConnections", 5, lo=5, hi=1000)
    vpc = region.vpcs.get(vpc_id)
    if vpc is None:
        raise not_found("InvalidVpcId.NotFound", "VPC")
    vsw_id = p.str("VSwitchId") or (vpc.vswitches[0].vswitch_id if vpc.vswitches else "")
    vsw = region.vswitch(vsw_id) if vsw_id else None
    if vsw is None or vsw.vpc_id != vpc_id:
        raise not_found("InvalidVSwitchId.NotFound", "vSwitch")
    dual = region.region_id in sim.dual_tunnel_regions
    dr_vsw = None
    if dual:
        dr_id = p.str("DisasterRecoveryVSwitchId")
        dr_vsw = region.vswitch(dr_id) if dr_id else None
        if dr_vsw is None or dr_vsw.vpc_id != vpc_id:
            raise not_found("InvalidVSwitchId.NotFound", "vSwitch")
    if len(region.gateways) >= sim.quotas.vpn_gateways_per_region:
        raise ApiError(400, "Resource.QuotaFull", "The quota of VPN gateways is full.")
    gw = sim.add_vpn_gateway(
        region.region_id, vpc_id, dual_tunnel=dual, vswitch_id=vsw.vswitch_id,
        dr_vswitch_id=dr_vsw.vswitch_id if dr_vsw else None, name=name or "", spec=f"{bandwidth}M",
        vpn_type=vpn_type, charge_type="Prepay" if charge == "PREPAY" else "POSTPAY", network_type=network_type,
        ssl_vpn=enable_ssl, status="init")
    gw.ipsec_vpn = "enable" if enable_ipsec else "disable"
    if enable_ssl:
        gw.ssl_max_connections = ssl_conn or 5
    order_id = str(ctx.sim._rng.randrange(10**14, 10**15))
    if auto_pay:
        t = sim.timing

        def provisioned(at: float) -> None:
            if gw.vpn_gateway_id in region.gateways:
                gw.status = "active"

        def paid(at: float) -> None:
            if gw.vpn_gateway_id in region.gateways:
                gw.status = "provisioning"
                region.start_task(Task("gateway", gw.vpn_gateway_id, at, t.gateway_create_seconds,
                                       t.gateway_create_polls, provisioned, label="provisioning"))

        region.start_task(Task("gateway", gw.vpn_gateway_id, ctx.now, t.gateway_create_seconds,
                               t.gateway_create_polls, paid, label="init"))
    return {"VpnGatewayId": gw.vpn_gateway_id, "Name": gw.name, "OrderId": order_id}


@action("DeleteVpnGateway", write=True)
def delete_vpn_gateway(ctx: Ctx) -> dict:
    """Refused while IPsec connections exist (400 ``DependencyViolation.VpnConnection``,
    code inferred) and for an unexpired subscription (403 ``ForbiddenRelease``)."""
    region = ctx.region
    gw = ctx.sim.get_gateway(region, ctx.p.req("VpnGatewayId"))
    if gw.charge_type.upper().startswith("PRE") and gw.end_time > ctx.sim.ms(ctx.now):
        raise ApiError(403, "ForbiddenRelease", "A subscription VPN gateway cannot be released before it expires.")
    if any(c.vpn_gateway_id == gw.vpn_gateway_id for c in region.connections.values()):
        raise ApiError(400, "DependencyViolation.VpnConnection",
                       "The specified VPN gateway still has IPsec-VPN connections.")
    ctx.sim.check_gateway_writable(region, gw)

    def gone(at: float) -> None:
        region.gateways.pop(gw.vpn_gateway_id, None)
        region.vpn_routes[:] = [r for r in region.vpn_routes if r.vpn_gateway_id != gw.vpn_gateway_id]

    ctx.sim.gateway_write(ctx, gw, gone, label="DeleteVpnGateway")
    gw.deleting = True
    gw.status = "deleting"
    return {}


@action("DescribeVpnGatewayAvailableZones")
def describe_vpn_gateway_available_zones(ctx: Ctx) -> dict:
    ctx.p.req("Spec")
    zones: list[str] = []
    for vpc in ctx.region.vpcs.values():
        for v in vpc.vswitches:
            if v.zone_id not in zones:
                zones.append(v.zone_id)
    if not zones:
        zones = [f"{ctx.region.region_id}-a", f"{ctx.region.region_id}-b"]
    return {"RegionId": ctx.region.region_id,
            "AvailableZoneIdList": [{"ZoneId": z, "ZoneName": z} for z in zones]}
