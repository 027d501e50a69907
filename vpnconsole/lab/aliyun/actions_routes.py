"""VPN gateway destination routes and VPC route tables.

Choices where the reference is silent:

* A duplicate VPN route (same gateway, RouteDest and NextHop) -> 400
  ``VpnRouteEntry.AlreadyExists`` (code inferred).
* ``RouteDest`` 0.0.0.0/0 or overlapping 100.64.0.0/10 -> 400 ``InvalidParameter``.
* Only destination-based (``dbr``) VPN routes exist in the sim; ``pbr`` in
  PublishVpnRouteEntry finds nothing (404 ``InvalidRouteEntry.NotFound``).
* A VPN route is ``normal`` until its gateway update finishes, then
  ``published`` when ``PublishVpc=true``; publishing adds an ``Available``
  ``Custom`` entry (NextHopType ``VpnGateway``) to the VPC's System table, and
  withdrawing removes it.
* CreateRouteEntry: only ``NextHopType=VpnGateway`` is simulated (other types
  -> 400 ``InvalidParameter``); the gateway must be in the table's VPC
  (else 404 ``InvalidNextHopId.NotFound``). A destination already in the
  table -> 400 ``RouterEntryConflict.Duplicated``; equal to or inside a vSwitch
  CIDR -> 400 ``InvalidCIDRBlock.Duplicate``. System entries cannot be deleted
  (400 ``OperationDenied.SystemRouteEntry``, code inferred).
* Check order for route-table writes: parameters -> existence -> entry status
  (``IncorrectRouteEntryStatus``) -> duplicates -> table lock (``TaskConflict``)
  -> quota.
"""

from __future__ import annotations

import ipaddress

from .actions import action, dry_run, page
from .errors import ApiError, invalid, missing, not_found
from .sim import Ctx
from .state import RouteEntry, Task, VpnRouteEntry
from .validate import check_description, overlaps_carrier_nat, strict_cidr


# ------------------------------------------------------------- VPN routes
def _vpc_table(ctx: Ctx, gateway_id: str):
    gw = ctx.region.gateways.get(gateway_id)
    vpc = ctx.region.vpcs.get(gw.vpc_id) if gw else None
    return vpc.system_route_table if vpc else None


def publish_vpc_route(ctx: Ctx, r: VpnRouteEntry, at: float) -> None:
    table = _vpc_table(ctx, r.vpn_gateway_id)
    if table is None or any(e.destination_cidr_block == r.route_dest for e in table.entries):
        return
    table.entries.append(RouteEntry(ctx.sim.new_id("rte", ctx.region.region_id), table.route_table_id, r.route_dest,
                                    "Custom", "Available", "VpnGateway", r.vpn_gateway_id,
                                    gmt_modified=ctx.sim.iso(at), origin="VpnGateway"))


def withdraw_vpc_route(ctx: Ctx, r: VpnRouteEntry) -> None:
    table = _vpc_table(ctx, r.vpn_gateway_id)
    if table is None:
        return
    still = any(o is not r and o.vpn_gateway_id == r.vpn_gateway_id and o.route_dest == r.route_dest
                and o.state == "published" for o in ctx.region.vpn_routes)
    if still:
        return
    table.entries[:] = [e for e in table.entries if not (
        e.origin == "VpnGateway" and e.destination_cidr_block == r.route_dest and e.next_hop_id == r.vpn_gateway_id)]


def _route_dest(p, name: str = "RouteDest") -> str:
    dest = p.req(name)
    net = strict_cidr(dest)
    if net is None or dest == "0.0.0.0/0" or overlaps_carrier_nat(net):
        raise invalid(name, "It must be a valid CIDR block other than 0.0.0.0/0 and outside 100.64.0.0/10.")
    return dest


def _find_vpn_route(ctx: Ctx, gw_id: str, dest: str, next_hop: str, weight: int | None = None) -> VpnRouteEntry:
    for r in ctx.region.vpn_routes:
        if (r.vpn_gateway_id == gw_id and r.route_dest == dest and r.next_hop == next_hop
                and (weight is None or r.weight == weight)):
            return r
    raise not_found("InvalidRouteEntry.NotFound", "route entry")


@action("CreateVpnRouteEntry", write=True)
def create_vpn_route_entry(ctx: Ctx) -> dict:
    p, sim, region = ctx.p, ctx.sim, ctx.region
    gw = sim.get_gateway(region, p.req("VpnGatewayId"))
    dest = _route_dest(p)
    next_hop = p.req("NextHop")
    weight = p.int("Weight", required=True)
    if weight not in (0, 100):
        raise invalid("Weight", "Valid values: 0, 100.")
    publish = p.bool("PublishVpc", required=True)
    overlay = p.str("OverlayMode", default="Ipsec")
    if overlay != "Ipsec":
        raise invalid("OverlayMode", "Valid values: Ipsec.")
    desc = p.str("Description")
    if desc is not None:
        check_description(desc)
    conn = region.connections.get(next_hop)
    if conn is None or conn.vpn_gateway_id != gw.vpn_gateway_id:
        raise not_found("InvalidVpnConnectionInstanceId.NotFound", "IPsec-VPN connection")
    if any(r.vpn_gateway_id == gw.vpn_gateway_id and r.route_dest == dest and r.next_hop == next_hop
           for r in region.vpn_routes):
        raise ApiError(400, "VpnRouteEntry.AlreadyExists", "The specified route entry already exists.")
    if sum(1 for r in region.vpn_routes if r.vpn_gateway_id == gw.vpn_gateway_id) >= sim.quotas.vpn_route_entries_per_gateway:
        raise ApiError(400, "Resource.QuotaFull", "The quota of route entries of this VPN gateway is full.")
    sim.check_gateway_writable(region, gw)
    dry_run(ctx)
    r = VpnRouteEntry(gw.vpn_gateway_id, dest, next_hop, weight, bool(publish), sim.ms(ctx.now), overlay, desc or "")
    region.vpn_routes.append(r)

    def done(at: float) -> None:
        if r in region.vpn_routes and r.publish_vpc:
            r.state = "published"
            publish_vpc_route(ctx, r, at)

    sim.gateway_write(ctx, gw, done, label=f"CreateVpnRouteEntry {dest}")
    return {"VpnInstanceId": gw.vpn_gateway_id, "RouteDest": dest, "NextHop": next_hop, "Weight": weight,
            "OverlayMode": overlay, "Description": r.description, "CreateTime": r.create_time, "State": r.state}


@action("DeleteVpnRouteEntry", write=True)
def delete_vpn_route_entry(ctx: Ctx) -> dict:
    p, sim, region = ctx.p, ctx.sim, ctx.region
    gw = sim.get_gateway(region, p.req("VpnGatewayId"))
    dest = p.req("RouteDest")
    next_hop = p.req("NextHop")
    weight = p.int("Weight", required=True)
    r = _find_vpn_route(ctx, gw.vpn_gateway_id, dest, next_hop, weight)
    if r.deleting:
        raise ApiError(400, "VpnGateway.Configuring", "The specified service is configuring.")
    sim.check_gateway_writable(region, gw)
    r.deleting = True

    def gone(at: float) -> None:
        if r in region.vpn_routes:
            withdraw_vpc_route(ctx, r)
            region.vpn_routes.remove(r)

    sim.gateway_write(ctx, gw, gone, label=f"DeleteVpnRouteEntry {dest}")
    return {}


@action("PublishVpnRouteEntry", write=True)
def publish_vpn_route_entry(ctx: Ctx) -> dict:
    p, sim, region = ctx.p, ctx.sim, ctx.region
    gw = sim.get_gateway(region, p.req("VpnGatewayId"))
    dest = p.req("RouteDest")
    next_hop = p.req("NextHop")
    route_type = p.req("RouteType")
    if route_type not in ("dbr", "pbr"):
        raise invalid("RouteType", "Valid values: dbr, pbr.")
    publish = p.bool("PublishVpc", required=True)
    if route_type == "pbr":
        raise not_found("InvalidRouteEntry.NotFound", "route entry")
    r = _find_vpn_route(ctx, gw.vpn_gateway_id, dest, next_hop)
    sim.check_gateway_writable(region, gw)
    r.publish_vpc = bool(publish)

    def done(at: float) -> None:
        if r not in region.vpn_routes:
            return
        if r.publish_vpc:
            r.state = "published"
            publish_vpc_route(ctx, r, at)
        else:
            r.state = "normal"
            withdraw_vpc_route(ctx, r)

    sim.gateway_write(ctx, gw, done, label=f"PublishVpnRouteEntry {dest}")
    return {}


@action("DescribeVpnRouteEntries")
def describe_vpn_route_entries(ctx: Ctx) -> dict:
    p, region = ctx.p, ctx.region
    gw = ctx.sim.get_gateway(region, p.req("VpnGatewayId"))
    kind = p.str("RouteEntryType", default="custom")
    if kind not in ("custom", "bgp"):
        raise invalid("RouteEntryType", "Valid values: custom, bgp.")
    number, size = p.page()
    routes = [r for r in region.vpn_routes if r.vpn_gateway_id == gw.vpn_gateway_id] if kind == "custom" else []
    items = []
    for r in routes:
        conn = region.connections.get(r.next_hop)
        tunnel_id = conn.tunnels[0].tunnel_id if conn and conn.tunnels else ""
        items.append({"VpnInstanceId": r.vpn_gateway_id, "RouteDest": r.route_dest, "NextHop": r.next_hop,
                      "NextHopTunnelId": tunnel_id, "Weight": r.weight, "State": r.state,
                      "RouteEntryType": r.route_entry_type, "Source": "", "AsPath": "", "Community": "",
                      "CreateTime": r.create_time})
    counts = [{"RouteCount": len(routes), "RouteEntryType": kind, "Source": "CUSTOM" if kind == "custom" else "BGP"}]
    return {"TotalCount": len(items), "PageNumber": number, "PageSize": size,
            "VpnRouteEntries": {"VpnRouteEntry": page(items, number, size)},
            "VpnRouteCounts": {"VpnRouteCount": counts}}


# ------------------------------------------------------------ VPC routes
@action("DescribeRouteTableList")
def describe_route_table_list(ctx: Ctx) -> dict:
    p, region = ctx.p, ctx.region
    number, size = p.page()
    f_vpc = p.str("VpcId")
    f_id = p.str("RouteTableId")
    f_name = p.str("RouteTableName")
    f_type = p.str("RouteTableType")
    f_router = p.str("RouterId")
    f_rtype = p.str("RouterType")
    if f_type is not None and f_type not in ("System", "Custom"):
        raise invalid("RouteTableType", "Valid values: System, Custom.")
    if f_rtype is not None and f_rtype not in ("VRouter", "VBR"):
        raise invalid("RouterType", "Valid values: VRouter, VBR.")
    want_tags = p.tags("Tag")
    out = []
    for vpc in region.vpcs.values():
        for t in vpc.route_tables:
            if ((f_vpc and vpc.vpc_id != f_vpc) or (f_id and t.route_table_id != f_id)
                    or (f_name and t.name != f_name) or (f_type and t.route_table_type != f_type)
                    or (f_router and t.router_id != f_router) or (f_rtype and f_rtype != "VRouter") or want_tags):
                continue
            out.append({
                "RouteTableId": t.route_table_id, "RouteTableType": t.route_table_type, "RouteTableName": t.name,
                "RouterId": t.router_id, "RouterType": "VRouter", "VpcId": vpc.vpc_id, "Status": "Available",
                "Description": t.description, "CreationTime": t.creation_time, "AssociateType": "VSwitch",
                "RoutePropagationEnable": True, "ResourceGroupId": "rg-acfmzw2jz2z3aaa", "OwnerId": 1234567890123456,
                "VSwitchIds": {"VSwitchId": [v.vswitch_id for v in vpc.vswitches] if t.route_table_type == "System"
                               else []},
                "GatewayIds": {"GatewayIds": []},
                "Tags": {"Tag": []},
            })
    return {"TotalCount": len(out), "PageNumber": number, "PageSize": size,
            "RouterTableList": {"RouterTableListType": page(out, number, size)}}


def _render_route_entry(ctx: Ctx, e: RouteEntry) -> dict:
    hops = []
    if e.next_hop_type and e.next_hop_type not in ("local", "service"):
        hops.append({"NextHopType": e.next_hop_type, "NextHopId": e.next_hop_id, "Enabled": 1, "Weight": 0,
                     "NextHopRegionId": ctx.region.region_id,
                     "NextHopRelatedInfo": {"InstanceId": "", "InstanceType": "", "RegionId": ""}})
    elif e.next_hop_type:
        hops.append({"NextHopType": e.next_hop_type, "NextHopId": "", "Enabled": 1, "Weight": 0,
                     "NextHopRegionId": ctx.region.region_id,
                     "NextHopRelatedInfo": {"InstanceId": "", "InstanceType": "", "RegionId": ""}})
    return {
        "RouteEntryId": e.route_entry_id, "RouteEntryName": e.name, "RouteTableId": e.route_table_id,
        "DestinationCidrBlock": e.destination_cidr_block, "Type": e.type, "Status": e.status, "IpVersion": "ipv4",
        "Description": e.description, "Origin": e.origin or ("System" if e.type == "System" else "Custom"),
        "ServiceType": "", "GmtModified": e.gmt_modified, "NextHops": {"NextHop": hops},
    }


@action("DescribeRouteEntryList")
def describe_route_entry_list(ctx: Ctx) -> dict:
    p = ctx.p
    table = ctx.sim.get_route_table(ctx.region, p.req("RouteTableId"))
    max_result = p.int("MaxResult", 10, lo=1, hi=100)
    token = p.str("NextToken")
    start = 0
    if token is not None:
        if not token.isdigit():
            raise invalid("NextToken")
        start = int(token)
    f_dest = p.str("DestinationCidrBlock")
    f_list: set[str] = set()
    raw_list = p.structure("DestCidrBlockList")
    if isinstance(raw_list, list):
        f_list = {x for x in raw_list if isinstance(x, str)}
    f_type = p.str("NextHopType")
    f_hop = p.str("NextHopId")
    f_id = p.str("RouteEntryId")
    f_name = p.str("RouteEntryName")
    f_kind = p.str("RouteEntryType")
    if f_kind is not None and f_kind not in ("Custom", "System", "BGP", "CEN", "ECR"):
        raise invalid("RouteEntryType", "Valid values: Custom, System, BGP, CEN, ECR.")
    f_ipv = p.str("IpVersion")
    matched = []
    for e in table.entries:
        if ((f_dest and e.destination_cidr_block != f_dest) or (f_list and e.destination_cidr_block not in f_list)
                or (f_type and e.next_hop_type != f_type) or (f_hop and e.next_hop_id != f_hop)
                or (f_id and e.route_entry_id != f_id) or (f_name and e.name != f_name)
                or (f_kind and e.type != f_kind) or (f_ipv and f_ipv.lower() != "ipv4")):
            continue
        matched.append(e)
    chunk = matched[start:start + max_result]
    nxt = str(start + max_result) if start + max_result < len(matched) else ""
    return {"TotalCount": len(matched), "NextToken": nxt,
            "RouteEntrys": {"RouteEntry": [_render_route_entry(ctx, e) for e in chunk]}}


def _route_task(ctx: Ctx, table_id: str, apply) -> None:
    t = ctx.sim.timing
    ctx.region.start_task(Task("route_table", table_id, ctx.now, t.route_entry_seconds, t.route_entry_polls,
                               apply, label="route entry"))


@action("CreateRouteEntry", write=True)
def create_route_entry(ctx: Ctx) -> dict:
    p, sim, region = ctx.p, ctx.sim, ctx.region
    table = sim.get_route_table(region, p.req("RouteTableId"))
    dest = p.req("DestinationCidrBlock")
    net = strict_cidr(dest)
    if net is None:
        raise invalid("DestinationCidrBlock", "It must be a valid CIDR block.")
    if p.has("NextHopList"):
        raise invalid("NextHopList", "ECMP next-hop lists are not simulated; use NextHopType/NextHopId.")
    hop_type = p.req("NextHopType")
    hop_id = p.req("NextHopId")
    if hop_type != "VpnGateway":
        raise invalid("NextHopType", "The lab only simulates NextHopType=VpnGateway.")
    name = p.str("RouteEntryName")
    if name is not None:
        check_description(name, max_len=128)
    desc = p.str("Description")
    if desc is not None:
        check_description(desc, max_len=256)
    gw = region.gateways.get(hop_id)
    if gw is None or gw.vpc_id != table.vpc_id:
        raise not_found("InvalidNextHopId.NotFound", "next hop")
    if dest == "100.64.0.0/10":
        raise invalid("DestinationCidrBlock", "100.64.0.0/10 is reserved.")
    vpc = region.vpcs[table.vpc_id]
    if any(net.subnet_of(ipaddress.ip_network(v.cidr)) for v in vpc.vswitches):
        raise ApiError(400, "InvalidCIDRBlock.Duplicate",
                       "The destination CIDR block equals or is contained in a vSwitch CIDR block.")
    if any(e.destination_cidr_block == dest for e in table.entries):
        raise ApiError(400, "RouterEntryConflict.Duplicated", "A route entry with this destination already exists.")
    if region.table_busy(table.route_table_id):
        raise ApiError(400, "TaskConflict", "The operation conflicts with another task in progress on the route table.")
    if sum(1 for e in table.entries if e.type == "Custom") >= sim.quotas.custom_route_entries_per_table:
        raise ApiError(400, "Resource.QuotaFull", "The quota of custom route entries of this route table is full.")
    dry_run(ctx)
    e = RouteEntry(sim.new_id("rte", region.region_id), table.route_table_id, dest, "Custom", "Pending", hop_type,
                   hop_id, name or "", desc or "", gmt_modified=sim.iso(ctx.now))
    table.entries.append(e)

    def done(at: float) -> None:
        e.status = "Available"
        e.gmt_modified = sim.iso(at)

    _route_task(ctx, table.route_table_id, done)
    return {"RouteEntryId": e.route_entry_id}


@action("DeleteRouteEntry", write=True)
def delete_route_entry(ctx: Ctx) -> dict:
    p, sim, region = ctx.p, ctx.sim, ctx.region
    entry_id = p.str("RouteEntryId")
    entry = None
    table = None
    if entry_id:
        for vpc in region.vpcs.values():
            for t in vpc.route_tables:
                if (found := t.entry(entry_id)) is not None:
                    entry, table = found, t
        if table_id := p.str("RouteTableId"):
            if table is not None and table.route_table_id != table_id:
                entry = None
    else:
        table_id = p.str("RouteTableId")
        dest = p.str("DestinationCidrBlock")
        if not table_id:
            raise missing("RouteEntryId")
        if not dest:
            raise missing("DestinationCidrBlock")
        table = sim.get_route_table(region, table_id)
        hop = p.str("NextHopId")
        entry = next((e for e in table.entries if e.destination_cidr_block == dest
                      and (not hop or e.next_hop_id == hop)), None)
    if entry is None or table is None:
        raise not_found("InvalidRouteEntry.NotFound", "route entry")
    if entry.type == "System":
        raise ApiError(400, "OperationDenied.SystemRouteEntry", "System route entries cannot be deleted.")
    if entry.status != "Available":
        raise ApiError(400, "IncorrectRouteEntryStatus",
                       "The current status of the route entry does not support this operation.")
    if region.table_busy(table.route_table_id):
        raise ApiError(400, "TaskConflict", "The operation conflicts with another task in progress on the route table.")
    dry_run(ctx)
    entry.status = "Deleting"
    tbl = table

    def done(at: float) -> None:
        if entry in tbl.entries:
            tbl.entries.remove(entry)

    _route_task(ctx, tbl.route_table_id, done)
    return {}
