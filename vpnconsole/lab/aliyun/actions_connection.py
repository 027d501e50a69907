"""IPsec-VPN connection, tunnel, log and configuration-download actions.

Mode is chosen by the gateway (reference §2.3.1): a single-tunnel gateway (no
``DisasterRecoveryInternetIp``) takes ``CustomerGatewayId`` + JSON-string
``IkeConfig``/``IpsecConfig``...; a dual-tunnel gateway takes exactly one
``master`` and one ``slave`` ``TunnelOptionsSpecification``. Mixing the two
gives 400 ``VpnConnection.InvalidCreateTunnelOptions`` (also on Modify, and
also for ``TunnelOptionsSpecification`` sent to a single-tunnel gateway: the
reference only documents the first direction, the sim applies it both ways).

Choices where the reference is silent:

* A partial ``IkeConfig``/``IpsecConfig``/tunnel config on Modify is merged
  onto the current values (clients should still send the full object, §5).
* For a dual-tunnel connection, the top-level ``IkeConfig``/``IpsecConfig`` of
  Describe are "empty or meaningless" in the real API: the sim returns the
  documented defaults with empty ``Psk``/``LocalId``/``RemoteId``, and the
  top-level ``Status`` mirrors the master tunnel.
* Deleting a connection also removes the VPN route entries whose next hop it
  is (and their published VPC routes).
* ``DescribeVpnConnectionLogs`` without ``TunnelId`` on a dual-tunnel
  connection returns both tunnels' lines merged; lines are chronological;
  ``Count`` is the number of lines on the returned page (SDK field comment).
  Neither ``MinutePeriod`` nor ``From``+``To`` -> 400 ``MissingParameter``
  naming ``MinutePeriod``.
* An unknown ``TunnelId`` -> 404 ``InvalidTunnelId.NotFound``.
"""

from __future__ import annotations

import copy
import ipaddress
from typing import Any

from .actions import action, dry_run, match_tags, page, tags_api
from .errors import ApiError, invalid, missing, not_found
from .masking import remember_secret
from .params import parse_bool
from .sim import Ctx
from .state import BgpConfig, IkeConfig, IpsecConfig, RegionState, Tunnel, VpnConnection, VpnGateway
from .validate import (
    ENUMS_NATIONAL,
    ENUMS_NORMAL,
    check_name,
    check_subnets,
    parse_bgp,
    parse_health_check,
    parse_ike,
    parse_ipsec,
)

SINGLE_TUNNEL_PARAMS = ("CustomerGatewayId", "IkeConfig", "IpsecConfig", "HealthCheckConfig", "BgpConfig",
                        "EnableDpd", "EnableNatTraversal", "RemoteCaCertificate")


def _tunnel_options_error(detail: str) -> ApiError:
    return ApiError(400, "VpnConnection.InvalidCreateTunnelOptions",
                    f"The specified tunnel options are invalid. {detail}")


def _enums(gw: VpnGateway) -> dict:
    return ENUMS_NATIONAL if gw.vpn_type == "NationalStandard" else ENUMS_NORMAL


def _default_ike(ctx: Ctx, gw: VpnGateway, local_ip: str, remote_ip: str) -> IkeConfig:
    national = gw.vpn_type == "NationalStandard"
    return IkeConfig(ike_enc_alg="sm4" if national else "aes", ike_auth_alg="sm3" if national else "md5",
                     local_id=local_ip, remote_id=remote_ip, psk=ctx.sim.new_psk())


def _default_ipsec(gw: VpnGateway) -> IpsecConfig:
    national = gw.vpn_type == "NationalStandard"
    return IpsecConfig(ipsec_enc_alg="sm4" if national else "aes", ipsec_auth_alg="sm3" if national else "md5")


def _sub(spec: dict, key: str, param: str) -> dict | None:
    v = spec.get(key)
    if v is None:
        return None
    if not isinstance(v, dict):
        raise invalid(param, "It must be an object (Name.N.Key), not a string.")
    return v


def _peer_ip(cidr: str, local_ip: str) -> str:
    if not cidr:
        return ""
    hosts = [str(h) for h in ipaddress.ip_network(cidr).hosts()]
    others = [h for h in hosts if h != local_ip]
    return others[0] if others else ""


def _check_bgp_unique(region: RegionState, gw: VpnGateway, cidrs: list[str], exclude: str | None) -> None:
    cidrs = [c for c in cidrs if c]
    if len(set(cidrs)) != len(cidrs):
        raise invalid("TunnelCidr", "The tunnel CIDR blocks must be unique per VPN gateway.")
    for c in region.connections.values():
        if c.vpn_gateway_id != gw.vpn_gateway_id or c.vpn_connection_id == exclude:
            continue
        used = [t.bgp.tunnel_cidr for t in c.tunnels] + [c.bgp.tunnel_cidr]
        if any(x and x in used for x in cidrs):
            raise invalid("TunnelCidr", "The tunnel CIDR block is already used on this VPN gateway.")


def _apply_tunnel_spec(ctx: Ctx, gw: VpnGateway, tun: Tunnel, spec: dict, base: str, *,
                       tunnels_bgp: bool, creating: bool) -> Tunnel:
    """Return a copy of ``tun`` with the (partial) spec applied and validated."""
    region = ctx.region
    t = copy.deepcopy(tun)
    enums = _enums(gw)
    if "CustomerGatewayId" in spec:
        cgw_id = spec["CustomerGatewayId"]
        if not isinstance(cgw_id, str) or not cgw_id:
            raise missing(f"{base}.CustomerGatewayId")
        cgw = ctx.sim.get_cgw(region, cgw_id)
        if t.customer_gateway_id != cgw_id and (creating or t.ike.remote_id == _cgw_ip(region, t.customer_gateway_id)):
            t.ike.remote_id = cgw.ip_address  # RemoteId follows the CGW unless set explicitly
        t.customer_gateway_id = cgw_id
    elif creating:
        raise missing(f"{base}.CustomerGatewayId")
    if "EnableDpd" in spec:
        t.enable_dpd = parse_bool(f"{base}.EnableDpd", spec["EnableDpd"])
    if "EnableNatTraversal" in spec:
        t.enable_nat_traversal = parse_bool(f"{base}.EnableNatTraversal", spec["EnableNatTraversal"])
    t.ike = parse_ike(f"{base}.TunnelIkeConfig", _sub(spec, "TunnelIkeConfig", f"{base}.TunnelIkeConfig"),
                      t.ike, enums)
    t.ipsec = parse_ipsec(f"{base}.TunnelIpsecConfig",
                          _sub(spec, "TunnelIpsecConfig", f"{base}.TunnelIpsecConfig"), t.ipsec, enums)
    bgp_raw = _sub(spec, "TunnelBgpConfig", f"{base}.TunnelBgpConfig")
    if tunnels_bgp and creating and bgp_raw is None:
        raise missing(f"{base}.TunnelBgpConfig")
    if bgp_raw is not None or tunnels_bgp != t.bgp.enable_bgp:
        t.bgp = parse_bgp(f"{base}.TunnelBgpConfig", bgp_raw or {}, t.bgp, enable_default=tunnels_bgp)
        t.bgp.enable_bgp = tunnels_bgp
    if t.bgp.enable_bgp and region.customer_gateways[t.customer_gateway_id].asn is None:
        raise invalid(f"{base}.CustomerGatewayId", "The customer gateway must have an ASN to use BGP.")
    if "RemoteCaCertificate" in spec:
        if gw.vpn_type != "NationalStandard":
            raise invalid(f"{base}.RemoteCaCertificate", "Only NationalStandard gateways use certificates.")
        t.remote_ca_certificate = str(spec["RemoteCaCertificate"])
    return t


def _cgw_ip(region: RegionState, cgw_id: str) -> str:
    c = region.customer_gateways.get(cgw_id)
    return c.ip_address if c else ""


# ---------------------------------------------------------------- rendering
def _bool_str(b: bool) -> str:
    return "true" if b else "false"


def render_tunnel(ctx: Ctx, conn: VpnConnection, t: Tunnel) -> dict:
    """A ``TunnelOptions`` item of DescribeVpnConnection(s): lifetimes, DPD, NAT-T and ASNs as strings."""
    status = ctx.sim.negotiation(ctx.region, conn, t, ctx.now).status
    cgw = ctx.region.customer_gateways.get(t.customer_gateway_id)
    d = {
        "TunnelId": t.tunnel_id,
        "Role": t.role,
        "TunnelIndex": t.index,
        "CustomerGatewayId": t.customer_gateway_id,
        "InternetIp": t.internet_ip,
        "ZoneNo": t.zone_no,
        "EnableDpd": _bool_str(t.enable_dpd),
        "EnableNatTraversal": _bool_str(t.enable_nat_traversal),
        "State": t.state,
        "Status": status,
        "TunnelIkeConfig": t.ike.to_api(lifetime_str=True),
        "TunnelIpsecConfig": t.ipsec.to_api(lifetime_str=True),
        "TunnelBgpConfig": {
            "BgpStatus": "success" if t.bgp.enable_bgp and status == "ipsec_sa_established" else "false",
            "LocalAsn": str(t.bgp.local_asn),
            "LocalBgpIp": t.bgp.local_bgp_ip,
            "PeerAsn": str(cgw.asn) if cgw and cgw.asn is not None else "",
            "PeerBgpIp": _peer_ip(t.bgp.tunnel_cidr, t.bgp.local_bgp_ip),
            "TunnelCidr": t.bgp.tunnel_cidr,
        },
    }
    if t.remote_ca_certificate:
        d["RemoteCaCertificate"] = t.remote_ca_certificate
    return d


def render_tunnel_modify(ctx: Ctx, t: Tunnel, *, with_enable_bgp: bool) -> dict:
    """Tunnel shape of the Modify* replies: typed bools and ints."""
    cgw = ctx.region.customer_gateways.get(t.customer_gateway_id)
    bgp = {
        "LocalAsn": t.bgp.local_asn,
        "LocalBgpIp": t.bgp.local_bgp_ip,
        "PeerAsn": cgw.asn if cgw else None,
        "PeerBgpIp": _peer_ip(t.bgp.tunnel_cidr, t.bgp.local_bgp_ip),
        "TunnelCidr": t.bgp.tunnel_cidr,
    }
    if with_enable_bgp:
        bgp["EnableBgp"] = t.bgp.enable_bgp
    return {
        "TunnelId": t.tunnel_id,
        "Role": t.role,
        "State": t.state,
        "CustomerGatewayId": t.customer_gateway_id,
        "InternetIp": t.internet_ip,
        "ZoneNo": t.zone_no,
        "EnableDpd": t.enable_dpd,
        "EnableNatTraversal": t.enable_nat_traversal,
        "RemoteCaCertificate": t.remote_ca_certificate,
        "TunnelIkeConfig": t.ike.to_api(),
        "TunnelIpsecConfig": t.ipsec.to_api(),
        "TunnelBgpConfig": bgp,
    }


def _single_blocks(ctx: Ctx, conn: VpnConnection, status: str) -> dict:
    cgw = ctx.region.customer_gateways.get(conn.customer_gateway_id)
    hc = conn.health_check
    return {
        "IkeConfig": conn.ike.to_api(),
        "IpsecConfig": conn.ipsec.to_api(),
        "VcoHealthCheck": {
            "Enable": _bool_str(hc.enable), "Dip": hc.dip, "Sip": hc.sip, "Interval": hc.interval,
            "Retry": hc.retry, "Policy": hc.policy,
            "Status": ("success" if status == "ipsec_sa_established" else "failed") if hc.enable else "",
        },
        "VpnBgpConfig": {
            "EnableBgp": _bool_str(conn.bgp.enable_bgp),
            "LocalAsn": conn.bgp.local_asn,
            "LocalBgpIp": conn.bgp.local_bgp_ip,
            "PeerAsn": cgw.asn if cgw else None,
            "PeerBgpIp": _peer_ip(conn.bgp.tunnel_cidr, conn.bgp.local_bgp_ip),
            "TunnelCidr": conn.bgp.tunnel_cidr,
            "AuthKey": cgw.auth_key if cgw else "",
            "Status": ("success" if status == "ipsec_sa_established" else "false") if conn.bgp.enable_bgp else "false",
        },
    }


def render_connection(ctx: Ctx, conn: VpnConnection, *, list_item: bool = False) -> dict:
    gw = ctx.region.gateways.get(conn.vpn_gateway_id)
    d: dict[str, Any] = {
        "VpnConnectionId": conn.vpn_connection_id,
        "VpnGatewayId": conn.vpn_gateway_id,
        "Name": conn.name,
        "LocalSubnet": conn.local_subnet,
        "RemoteSubnet": conn.remote_subnet,
        "CreateTime": conn.create_time,
        "EffectImmediately": conn.effect_immediately,
        "EnableDpd": conn.enable_dpd,
        "EnableNatTraversal": conn.enable_nat_traversal,
        "EnableTunnelsBgp": conn.enable_tunnels_bgp,
        "State": conn.state,
        "NetworkType": gw.network_type if gw else "public",
        "Spec": "1000M",
        "TunnelBandwidth": "Standard",
        "AttachType": "VPNGW",
        "AttachInstanceId": conn.vpn_gateway_id,
        "CrossAccountAuthorized": False,
        "TransitRouterId": "",
        "TransitRouterName": "",
        "ResourceGroupId": "rg-acfmzw2jz2z3aaa",
        ("Tag" if list_item else "Tags"): tags_api(conn.tags),
    }
    if conn.dual_tunnel:
        tunnels = [render_tunnel(ctx, conn, t) for t in conn.tunnels]
        d["Status"] = tunnels[0]["Status"]
        d["TunnelOptionsSpecification"] = {"TunnelOptions": tunnels}
        meaningless = IkeConfig(psk="", local_id="", remote_id="").to_api()
        d["IkeConfig"] = meaningless
        d["IpsecConfig"] = IpsecConfig().to_api()
    else:
        status = ctx.sim.negotiation(ctx.region, conn, None, ctx.now).status
        d["Status"] = status
        d["CustomerGatewayId"] = conn.customer_gateway_id
        d["InternetIp"] = gw.internet_ip if gw else ""
        d["ZoneNo"] = gw.zone_no if gw else ""
        d.update(_single_blocks(ctx, conn, status))
    return d


def render_modify(ctx: Ctx, conn: VpnConnection) -> dict:
    d = {
        "VpnConnectionId": conn.vpn_connection_id,
        "VpnGatewayId": conn.vpn_gateway_id,
        "Name": conn.name,
        "Description": "",
        "LocalSubnet": conn.local_subnet,
        "RemoteSubnet": conn.remote_subnet,
        "CreateTime": conn.create_time,
        "EffectImmediately": conn.effect_immediately,
        "EnableDpd": conn.enable_dpd,
        "EnableNatTraversal": conn.enable_nat_traversal,
        "EnableTunnelsBgp": conn.enable_tunnels_bgp,
        "ResourceGroupId": "rg-acfmzw2jz2z3aaa",
    }
    if conn.dual_tunnel:
        d["TunnelOptionsSpecification"] = {
            "TunnelOptions": [render_tunnel_modify(ctx, t, with_enable_bgp=False) for t in conn.tunnels]}
    else:
        status = ctx.sim.negotiation(ctx.region, conn, None, ctx.now).status
        d["CustomerGatewayId"] = conn.customer_gateway_id
        blocks = _single_blocks(ctx, conn, status)
        blocks["VcoHealthCheck"].pop("Policy", None)
        blocks["VcoHealthCheck"].pop("Status", None)
        blocks["VpnBgpConfig"].pop("AuthKey", None)
        d.update(blocks)
    return d


# ------------------------------------------------------------------ actions
def _remember_psks(conn: VpnConnection) -> None:
    remember_secret(conn.ike.psk)
    for t in conn.tunnels:
        remember_secret(t.ike.psk)


def _finish(conn: VpnConnection, at: float) -> None:
    conn.state = "active"
    conn.applied = True
    conn.applied_at = at
    for t in conn.tunnels:
        if t.state == "updating":
            t.state = "active"
            t.applied_at = at


@action("CreateVpnConnection", write=True)
def create_vpn_connection(ctx: Ctx) -> dict:
    p, sim, region = ctx.p, ctx.sim, ctx.region
    gw_id = p.req("VpnGatewayId")
    local = check_subnets("LocalSubnet", p.req("LocalSubnet"), sim.quotas.subnets_per_side)
    remote = check_subnets("RemoteSubnet", p.req("RemoteSubnet"), sim.quotas.subnets_per_side)
    name = p.str("Name")
    if name is not None:
        check_name(name)
    effect = p.bool("EffectImmediately", False)
    auto_route = p.bool("AutoConfigRoute", True)
    tunnels_bgp = p.bool("EnableTunnelsBgp", False)
    tags = p.tags("Tags")
    gw = sim.get_gateway(region, gw_id)
    enums = _enums(gw)
    conn_id = sim.new_id("vco", region.region_id)
    conn = VpnConnection(conn_id, region.region_id, gw_id, name or conn_id, local, remote, sim.ms(ctx.now),
                         effect_immediately=bool(effect), auto_config_route=bool(auto_route), tags=tags)
    if gw.dual_tunnel:
        bad = [n for n in SINGLE_TUNNEL_PARAMS if p.has(n)]
        if bad:
            raise _tunnel_options_error(f"{', '.join(bad)} cannot be used with a dual-tunnel VPN gateway.")
        specs = p.object_list("TunnelOptionsSpecification") or []
        roles = [s.get("Role") for s in specs]
        if len(specs) != 2 or sorted(map(str, roles)) != ["master", "slave"]:
            raise _tunnel_options_error("Exactly one master and one slave tunnel are required.")
        conn.enable_tunnels_bgp = bool(tunnels_bgp)
        tunnels = []
        for i, spec in enumerate(specs, 1):
            master = spec["Role"] == "master"
            ip = gw.internet_ip if master else gw.disaster_recovery_internet_ip
            cgw_id = spec.get("CustomerGatewayId")
            if not isinstance(cgw_id, str) or not cgw_id:
                raise missing(f"TunnelOptionsSpecification.{i}.CustomerGatewayId")
            cgw = sim.get_cgw(region, cgw_id)
            blank = Tunnel(sim.new_id("tun", region.region_id), spec["Role"], 1 if master else 2, cgw_id, ip,
                           gw.zone_no if master else gw.dr_zone_no, ike=_default_ike(ctx, gw, ip, cgw.ip_address),
                           ipsec=_default_ipsec(gw), state="updating")
            tunnels.append(_apply_tunnel_spec(ctx, gw, blank, spec, f"TunnelOptionsSpecification.{i}",
                                              tunnels_bgp=bool(tunnels_bgp), creating=True))
        tunnels.sort(key=lambda t: t.index)
        _check_bgp_unique(region, gw, [t.bgp.tunnel_cidr for t in tunnels if t.bgp.enable_bgp], None)
        conn.tunnels = tunnels
    else:
        if p.has("TunnelOptionsSpecification") or tunnels_bgp:
            raise _tunnel_options_error("TunnelOptionsSpecification cannot be used with a single-tunnel VPN gateway.")
        cgw = sim.get_cgw(region, p.req("CustomerGatewayId"))
        conn.customer_gateway_id = cgw.customer_gateway_id
        conn.ike = parse_ike("IkeConfig", p.json_object("IkeConfig"),
                             _default_ike(ctx, gw, gw.internet_ip, cgw.ip_address), enums)
        conn.ipsec = parse_ipsec("IpsecConfig", p.json_object("IpsecConfig"), _default_ipsec(gw), enums)
        conn.health_check = parse_health_check("HealthCheckConfig", p.json_object("HealthCheckConfig"),
                                               conn.health_check)
        conn.bgp = parse_bgp("BgpConfig", p.json_object("BgpConfig"), BgpConfig())
        if conn.bgp.enable_bgp:
            if cgw.asn is None:
                raise invalid("BgpConfig", "The customer gateway must have an ASN to use BGP.")
            _check_bgp_unique(region, gw, [conn.bgp.tunnel_cidr], None)
        conn.enable_dpd = bool(p.bool("EnableDpd", True))
        conn.enable_nat_traversal = bool(p.bool("EnableNatTraversal", True))
        if p.has("RemoteCaCertificate"):
            if gw.vpn_type != "NationalStandard":
                raise invalid("RemoteCaCertificate", "Only NationalStandard gateways use certificates.")
            conn.remote_ca_certificate = p.str("RemoteCaCertificate") or ""
        if any(c.vpn_gateway_id == gw_id and not c.dual_tunnel and c.customer_gateway_id == cgw.customer_gateway_id
               for c in region.connections.values()):
            raise ApiError(400, "InvalidVpnConnection.AlreadyExists", "The specified IPsec-VPN connection already exists.")
    if sum(1 for c in region.connections.values() if c.vpn_gateway_id == gw_id) >= sim.quotas.connections_per_gateway:
        raise ApiError(400, "Resource.QuotaFull", "The quota of IPsec-VPN connections of this VPN gateway is full.")
    sim.check_gateway_writable(region, gw)
    dry_run(ctx)
    region.connections[conn_id] = conn
    _remember_psks(conn)
    sim.gateway_write(ctx, gw, lambda at: _finish(conn, at), label=f"CreateVpnConnection {conn_id}")
    return {"VpnConnectionId": conn_id, "Name": conn.name, "CreateTime": conn.create_time}


@action("ModifyVpnConnectionAttribute", write=True)
def modify_vpn_connection_attribute(ctx: Ctx) -> dict:
    p, sim, region = ctx.p, ctx.sim, ctx.region
    conn = sim.get_connection(region, p.req("VpnConnectionId"))
    gw = sim.get_gateway(region, conn.vpn_gateway_id)
    enums = _enums(gw)
    new = copy.deepcopy(conn)
    name = p.str("Name")
    if name is not None:
        new.name = check_name(name)
    if p.str("LocalSubnet") is not None:
        new.local_subnet = check_subnets("LocalSubnet", p.req("LocalSubnet"), sim.quotas.subnets_per_side)
    if p.str("RemoteSubnet") is not None:
        new.remote_subnet = check_subnets("RemoteSubnet", p.req("RemoteSubnet"), sim.quotas.subnets_per_side)
    new.effect_immediately = bool(p.bool("EffectImmediately", conn.effect_immediately))
    new.auto_config_route = bool(p.bool("AutoConfigRoute", conn.auto_config_route))
    changed_tunnels: set[str] = set()
    if conn.dual_tunnel:
        bad = [n for n in SINGLE_TUNNEL_PARAMS if p.has(n)]
        if bad:
            raise _tunnel_options_error(f"{', '.join(bad)} cannot be used with a dual-tunnel connection.")
        new.enable_tunnels_bgp = bool(p.bool("EnableTunnelsBgp", conn.enable_tunnels_bgp))
        specs = p.object_list("TunnelOptionsSpecification") or []
        if len(specs) > 2:
            raise _tunnel_options_error("At most one master and one slave tunnel.")
        seen: set[str] = set()
        for i, spec in enumerate(specs, 1):
            base = f"TunnelOptionsSpecification.{i}"
            tid = spec.get("TunnelId")
            role = spec.get("Role")
            if tid:
                cur = new.tunnel(str(tid))
                if cur is None:
                    raise not_found("InvalidTunnelId.NotFound", "tunnel")
                if role is not None and role != cur.role:
                    raise _tunnel_options_error(f"{base}.Role does not match the tunnel.")
            elif role in ("master", "slave"):
                cur = next(t for t in new.tunnels if t.role == role)
            else:
                raise missing(f"{base}.TunnelId")
            if cur.tunnel_id in seen:
                raise _tunnel_options_error("A tunnel is specified twice.")
            seen.add(cur.tunnel_id)
            upd = _apply_tunnel_spec(ctx, gw, cur, spec, base, tunnels_bgp=new.enable_tunnels_bgp, creating=False)
            new.tunnels[new.tunnels.index(cur)] = upd
            changed_tunnels.add(upd.tunnel_id)
        if new.enable_tunnels_bgp != conn.enable_tunnels_bgp:
            for idx, t in enumerate(new.tunnels):
                if t.tunnel_id not in seen:
                    new.tunnels[idx] = _apply_tunnel_spec(ctx, gw, t, {}, f"TunnelOptionsSpecification.{idx + 1}",
                                                          tunnels_bgp=new.enable_tunnels_bgp, creating=False)
            changed_tunnels |= {t.tunnel_id for t in new.tunnels}
        _check_bgp_unique(region, gw, [t.bgp.tunnel_cidr for t in new.tunnels if t.bgp.enable_bgp],
                          conn.vpn_connection_id)
    else:
        if p.has("TunnelOptionsSpecification") or p.bool("EnableTunnelsBgp", False):
            raise _tunnel_options_error("TunnelOptionsSpecification cannot be used with a single-tunnel connection.")
        new.ike = parse_ike("IkeConfig", p.json_object("IkeConfig"), conn.ike, enums)
        new.ipsec = parse_ipsec("IpsecConfig", p.json_object("IpsecConfig"), conn.ipsec, enums)
        new.health_check = parse_health_check("HealthCheckConfig", p.json_object("HealthCheckConfig"),
                                              conn.health_check)
        new.bgp = parse_bgp("BgpConfig", p.json_object("BgpConfig"), conn.bgp)
        if new.bgp.enable_bgp:
            cgw = region.customer_gateways.get(conn.customer_gateway_id)
            if cgw is None or cgw.asn is None:
                raise invalid("BgpConfig", "The customer gateway must have an ASN to use BGP.")
            _check_bgp_unique(region, gw, [new.bgp.tunnel_cidr], conn.vpn_connection_id)
        new.enable_dpd = bool(p.bool("EnableDpd", conn.enable_dpd))
        new.enable_nat_traversal = bool(p.bool("EnableNatTraversal", conn.enable_nat_traversal))
    if conn.deleting:
        raise ApiError(400, "VpnGateway.Configuring", "The specified service is configuring.")
    sim.check_gateway_writable(region, gw)
    # commit
    for f in ("name", "local_subnet", "remote_subnet", "effect_immediately", "auto_config_route", "ike", "ipsec",
              "health_check", "bgp", "enable_dpd", "enable_nat_traversal", "enable_tunnels_bgp", "tunnels"):
        setattr(conn, f, getattr(new, f))
    _remember_psks(conn)
    conn.state = "updating"
    for t in conn.tunnels:
        if t.tunnel_id in changed_tunnels or not changed_tunnels:
            t.state = "updating"
    sim.gateway_write(ctx, gw, lambda at: _finish(conn, at), label=f"ModifyVpnConnectionAttribute {conn.vpn_connection_id}")
    return render_modify(ctx, conn)


@action("ModifyTunnelAttribute", write=True)
def modify_tunnel_attribute(ctx: Ctx) -> dict:
    p, sim, region = ctx.p, ctx.sim, ctx.region
    conn = sim.get_connection(region, p.req("VpnConnectionId"))
    tid = p.req("TunnelId")
    tun = conn.tunnel(tid)
    if tun is None:
        raise not_found("InvalidTunnelId.NotFound", "tunnel")
    spec = p.structure("TunnelOptionsSpecification")
    if spec is None:
        raise missing("TunnelOptionsSpecification")
    if not isinstance(spec, dict) or any(k.isdigit() for k in spec):
        raise invalid("TunnelOptionsSpecification", "It must be a single object (TunnelOptionsSpecification.Key).")
    gw = sim.get_gateway(region, conn.vpn_gateway_id)
    if "TunnelBgpConfig" in spec and not conn.enable_tunnels_bgp:
        raise invalid("TunnelOptionsSpecification.TunnelBgpConfig",
                      "Enable BGP for the connection first (ModifyVpnConnectionAttribute EnableTunnelsBgp).")
    upd = _apply_tunnel_spec(ctx, gw, tun, spec, "TunnelOptionsSpecification", tunnels_bgp=conn.enable_tunnels_bgp,
                             creating=False)
    if upd.bgp.enable_bgp:
        _check_bgp_unique(region, gw, [upd.bgp.tunnel_cidr] + [t.bgp.tunnel_cidr for t in conn.tunnels
                                                               if t.tunnel_id != tid and t.bgp.enable_bgp],
                          conn.vpn_connection_id)
    if conn.deleting:
        raise ApiError(400, "VpnGateway.Configuring", "The specified service is configuring.")
    sim.check_gateway_writable(region, gw)
    upd.state = "updating"
    remember_secret(upd.ike.psk)
    conn.tunnels[conn.tunnels.index(tun)] = upd
    conn.state = "updating"
    sim.gateway_write(ctx, gw, lambda at: _finish(conn, at), label=f"ModifyTunnelAttribute {tid}")
    return render_tunnel_modify(ctx, upd, with_enable_bgp=True)


@action("DeleteVpnConnection", write=True)
def delete_vpn_connection(ctx: Ctx) -> dict:
    sim, region = ctx.sim, ctx.region
    conn = sim.get_connection(region, ctx.p.req("VpnConnectionId"))
    gw = sim.get_gateway(region, conn.vpn_gateway_id)
    if conn.deleting:
        raise ApiError(400, "VpnGateway.Configuring", "The specified service is configuring.")
    sim.check_gateway_writable(region, gw)
    conn.deleting = True
    conn.state = "updating"
    for t in conn.tunnels:
        t.state = "deleting"
    vco = conn.vpn_connection_id

    def gone(at: float) -> None:
        region.connections.pop(vco, None)
        from .actions_routes import withdraw_vpc_route

        for r in [r for r in region.vpn_routes if r.next_hop == vco]:
            withdraw_vpc_route(ctx, r)
            region.vpn_routes.remove(r)

    sim.gateway_write(ctx, gw, gone, label=f"DeleteVpnConnection {vco}")
    return {}


@action("DescribeVpnConnection")
def describe_vpn_connection(ctx: Ctx) -> dict:
    conn = ctx.sim.get_connection(ctx.region, ctx.p.req("VpnConnectionId"))
    return render_connection(ctx, conn)


@action("DescribeVpnConnections")
def describe_vpn_connections(ctx: Ctx) -> dict:
    number, size = ctx.p.page()
    f_gw = ctx.p.str("VpnGatewayId")
    f_cgw = ctx.p.str("CustomerGatewayId")
    f_id = ctx.p.str("VpnConnectionId")
    want = ctx.p.tags("Tag")
    items = []
    for c in reversed(list(ctx.region.connections.values())):
        if ((f_gw and c.vpn_gateway_id != f_gw) or (f_cgw and f_cgw not in c.customer_gateway_ids())
                or (f_id and c.vpn_connection_id != f_id) or not match_tags(c.tags, want)):
            continue
        items.append(c)
    out = [render_connection(ctx, c, list_item=True) for c in page(items, number, size)]
    return {"TotalCount": len(items), "PageNumber": number, "PageSize": size, "VpnConnections": {"VpnConnection": out}}


@action("DescribeVpnConnectionLogs")
def describe_vpn_connection_logs(ctx: Ctx) -> dict:
    p, sim = ctx.p, ctx.sim
    conn = sim.get_connection(ctx.region, p.req("VpnConnectionId"))
    tid = p.str("TunnelId")
    if tid is not None and conn.tunnel(tid) is None:
        raise not_found("InvalidTunnelId.NotFound", "tunnel")
    frm = p.int("From", lo=0)
    to = p.int("To", lo=0)
    minutes = p.int("MinutePeriod", lo=1, hi=10)
    if frm is not None and to is not None:
        if frm > to:
            raise invalid("From", "From must not be later than To.")
        lo, hi = float(frm), float(to)
    elif minutes is not None:
        lo, hi = ctx.now - minutes * 60, ctx.now
    else:
        raise missing("MinutePeriod")
    number, size = p.page()
    targets = [conn.tunnel(tid)] if tid else (conn.tunnels or [None])
    entries: list[tuple[float, str]] = []
    for t in targets:
        for e in sim.negotiation(ctx.region, conn, t, ctx.now).logs:
            if isinstance(e, str):
                entries.append((ctx.now, e))
            elif lo <= e.time <= hi and e.time <= ctx.now:
                entries.append((e.time, sim.format_log(conn.vpn_connection_id, e)))
    entries.sort(key=lambda x: x[0])
    lines = [line for _, line in page(entries, number, size)]
    return {"Count": len(lines), "IsCompleted": True, "PageNumber": number, "PageSize": size, "Data": {"Logs": lines}}


def _swapped_ike(ike: IkeConfig) -> dict:
    d = ike.to_api()
    d["LocalId"], d["RemoteId"] = ike.remote_id, ike.local_id
    return d


@action("DownloadVpnConnectionConfig")
def download_vpn_connection_config(ctx: Ctx) -> dict:
    """Written from the customer gateway's point of view: Local/Remote and the subnets swapped."""
    region = ctx.region
    conn = ctx.sim.get_connection(region, ctx.p.req("VpnConnectionId"))
    cfg: dict[str, Any] = {"LocalSubnet": conn.remote_subnet, "RemoteSubnet": conn.local_subnet}
    if conn.dual_tunnel:
        master = conn.tunnels[0]
        cfg["Local"] = _cgw_ip(region, master.customer_gateway_id)
        cfg["Remote"] = master.internet_ip
        cfg["TunnelsConfig"] = {"TunnelConfig": [
            {"TunnelId": t.tunnel_id, "Local": _cgw_ip(region, t.customer_gateway_id), "Remote": t.internet_ip,
             "IkeConfig": _swapped_ike(t.ike), "IpsecConfig": t.ipsec.to_api()} for t in conn.tunnels]}
        bgp = []
        for t in conn.tunnels:
            if t.bgp.enable_bgp:
                cgw = region.customer_gateways.get(t.customer_gateway_id)
                bgp.append({"TunnelId": t.tunnel_id, "LocalAsn": str(cgw.asn) if cgw and cgw.asn else "",
                            "LocalBgpIp": _peer_ip(t.bgp.tunnel_cidr, t.bgp.local_bgp_ip),
                            "PeerAsn": str(t.bgp.local_asn), "PeerBgpIp": t.bgp.local_bgp_ip,
                            "TunnelCidr": t.bgp.tunnel_cidr})
        if bgp:
            cfg["BgpConfigs"] = {"BgpConfig": bgp}
    else:
        gw = region.gateways.get(conn.vpn_gateway_id)
        cfg["Local"] = _cgw_ip(region, conn.customer_gateway_id)
        cfg["Remote"] = gw.internet_ip if gw else ""
        cfg["IkeConfig"] = _swapped_ike(conn.ike)
        cfg["IpsecConfig"] = conn.ipsec.to_api()
    return {"VpnConnectionConfig": cfg}
