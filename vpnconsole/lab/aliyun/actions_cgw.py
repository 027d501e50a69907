"""Customer gateway actions (synchronous in the real API)."""

from __future__ import annotations

from .actions import action, match_tags, page, tags_api
from .errors import ApiError, configuring, invalid
from .masking import remember_secret
from .sim import Ctx
from .state import CustomerGateway
from .validate import check_cgw_ip, check_description, check_name, parse_asn


def render_cgw(cgw: CustomerGateway) -> dict:
    d = {
        "CustomerGatewayId": cgw.customer_gateway_id,
        "IpAddress": cgw.ip_address,
        "Name": cgw.name,
        "Description": cgw.description,
        "CreateTime": cgw.create_time,
        "AuthKey": cgw.auth_key,
        "ResourceGroupId": "rg-acfmzw2jz2z3aaa",
        "Tags": tags_api(cgw.tags),
    }
    if cgw.asn is not None:
        d["Asn"] = cgw.asn
    return d


def _check_auth_key(value: str) -> str:
    if not (1 <= len(value) <= 64) or not value.isascii() or " " in value or "?" in value:
        raise invalid("AuthKey", "It must be 1 to 64 ASCII characters without spaces or question marks.")
    return value


@action("CreateCustomerGateway", write=True)
def create_customer_gateway(ctx: Ctx) -> dict:
    p, region = ctx.p, ctx.region
    ip = check_cgw_ip(p.req("IpAddress"))
    name = p.str("Name")
    desc = p.str("Description")
    if name is not None:
        check_name(name)
    if desc is not None:
        check_description(desc)
    asn = p.str("Asn")
    asn_n = parse_asn("Asn", asn) if asn is not None else None
    auth_key = p.str("AuthKey")
    if auth_key is not None:
        _check_auth_key(auth_key)
    tags = p.tags("Tags")
    if any(c.ip_address == ip for c in region.customer_gateways.values()):
        raise ApiError(400, "InvalidIpAddress.AlreadyExist", "The specified IP address already exists.")
    if len(region.customer_gateways) >= ctx.sim.quotas.customer_gateways_per_region:
        raise ApiError(400, "Resource.QuotaFull", "The quota of customer gateways is full.")
    cgw = CustomerGateway(ctx.sim.new_id("cgw", region.region_id), ip, ctx.sim.ms(ctx.now), name=name or "",
                          description=desc or "", asn=asn_n, auth_key=auth_key or "", tags=tags)
    region.customer_gateways[cgw.customer_gateway_id] = cgw
    remember_secret(cgw.auth_key)
    return {"CustomerGatewayId": cgw.customer_gateway_id, "IpAddress": cgw.ip_address, "Name": cgw.name,
            "Description": cgw.description, "CreateTime": cgw.create_time}


@action("DescribeCustomerGateway")
def describe_customer_gateway(ctx: Ctx) -> dict:
    return render_cgw(ctx.sim.get_cgw(ctx.region, ctx.p.req("CustomerGatewayId")))


@action("DescribeCustomerGateways")
def describe_customer_gateways(ctx: Ctx) -> dict:
    number, size = ctx.p.page()
    f_id = ctx.p.str("CustomerGatewayId")
    want = ctx.p.tags("Tag")
    out = [render_cgw(c) for c in reversed(list(ctx.region.customer_gateways.values()))
           if (not f_id or c.customer_gateway_id == f_id) and match_tags(c.tags, want)]
    return {"TotalCount": len(out), "PageNumber": number, "PageSize": size,
            "CustomerGateways": {"CustomerGateway": page(out, number, size)}}


@action("ModifyCustomerGatewayAttribute", write=True)
def modify_customer_gateway_attribute(ctx: Ctx) -> dict:
    cgw = ctx.sim.get_cgw(ctx.region, ctx.p.req("CustomerGatewayId"))
    name = ctx.p.str("Name")
    desc = ctx.p.str("Description")
    auth_key = ctx.p.str("AuthKey")
    if name is not None:
        check_name(name)
    if desc is not None:
        check_description(desc)
    if auth_key is not None:
        _check_auth_key(auth_key)
    if name is not None:
        cgw.name = name
    if desc is not None:
        cgw.description = desc
    if auth_key is not None:
        cgw.auth_key = auth_key
        remember_secret(auth_key)
    return {"CustomerGatewayId": cgw.customer_gateway_id, "IpAddress": cgw.ip_address, "Name": cgw.name,
            "Description": cgw.description, "CreateTime": cgw.create_time, "ResourceGroupId": "rg-acfmzw2jz2z3aaa"}


@action("DeleteCustomerGateway", write=True)
def delete_customer_gateway(ctx: Ctx) -> dict:
    """In use by a connection -> 400 ``DependencyViolation.VpnConnection`` (code inferred);
    in use only by a connection still being deleted -> 400 ``VpnGateway.Configuring``
    (Terraform retries exactly that code on this action)."""
    region = ctx.region
    cgw = ctx.sim.get_cgw(region, ctx.p.req("CustomerGatewayId"))
    users = [c for c in region.connections.values() if cgw.customer_gateway_id in c.customer_gateway_ids()]
    if users:
        if all(c.deleting for c in users):
            raise configuring()
        raise ApiError(400, "DependencyViolation.VpnConnection",
                       "The specified customer gateway is still used by an IPsec-VPN connection.")
    del region.customer_gateways[cgw.customer_gateway_id]
    return {}
