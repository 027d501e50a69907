"""A full apply / status / teardown through the real SDK, the way the console drives it."""

from __future__ import annotations

import uuid

from alibabacloud_tea_openapi import exceptions as oa_exc

from tests.lab.conftest_aliyun import *  # noqa: F401,F403
from tests.lab.conftest_aliyun import H3C_IP, REGION, M, client, lab, settle, tunnel  # noqa: F401


def wait_gateway_active(lab, client, gw, step=1.0, limit=60):
    for _ in range(limit):
        if client.describe_vpn_gateway(M.DescribeVpnGatewayRequest(region_id=REGION, vpn_gateway_id=gw)
                                       ).body.status == "active":
            return
        lab.advance(step)
    raise AssertionError("gateway never became active")


def retry_configuring(lab, fn, *a):
    for _ in range(30):
        try:
            return fn(*a)
        except oa_exc.ClientException as e:
            if e.code not in ("VpnGateway.Configuring", "TaskConflict", "IncorrectRouteEntryStatus"):
                raise
            lab.advance(1.0)
    raise AssertionError("still configuring")


def test_apply_status_teardown_dual_tunnel(lab, client):
    gw = client.describe_vpn_gateway(M.DescribeVpnGatewayRequest(region_id=REGION,
                                                                 vpn_gateway_id=lab.dual.vpn_gateway_id)).body
    assert gw.disaster_recovery_internet_ip  # -> dual-tunnel mode
    existing = client.describe_customer_gateways(M.DescribeCustomerGatewaysRequest(region_id=REGION)).body
    assert not [c for c in existing.customer_gateways.customer_gateway if c.ip_address == H3C_IP]
    cgw = client.create_customer_gateway(M.CreateCustomerGatewayRequest(
        region_id=REGION, ip_address=H3C_IP, name="h3c-branch", client_token=str(uuid.uuid4()))
    ).body.customer_gateway_id
    vco = client.create_vpn_connection(M.CreateVpnConnectionRequest(
        region_id=REGION, vpn_gateway_id=gw.vpn_gateway_id, name="h3c-site", local_subnet="0.0.0.0/0",
        remote_subnet="0.0.0.0/0", effect_immediately=True, auto_config_route=True, client_token=str(uuid.uuid4()),
        tunnel_options_specification=[tunnel("master", cgw, "Psk-1-aaaa"), tunnel("slave", cgw, "Psk-2-bbbb")])
    ).body.vpn_connection_id
    wait_gateway_active(lab, client, gw.vpn_gateway_id)
    retry_configuring(lab, client.create_vpn_route_entry, M.CreateVpnRouteEntryRequest(
        region_id=REGION, vpn_gateway_id=gw.vpn_gateway_id, route_dest="192.168.10.0/24", next_hop=vco, weight=100,
        publish_vpc=False, client_token=str(uuid.uuid4())))
    wait_gateway_active(lab, client, gw.vpn_gateway_id)
    table = client.describe_route_table_list(M.DescribeRouteTableListRequest(
        region_id=REGION, vpc_id=gw.vpc_id, route_table_type="System")).body.router_table_list.router_table_list_type[0]
    rte = retry_configuring(lab, client.create_route_entry, M.CreateRouteEntryRequest(
        region_id=REGION, route_table_id=table.route_table_id, destination_cidr_block="192.168.10.0/24",
        next_hop_type="VpnGateway", next_hop_id=gw.vpn_gateway_id)).body.route_entry_id

    # status: the H3C side comes up on the master tunnel only
    d = client.describe_vpn_connection(M.DescribeVpnConnectionRequest(region_id=REGION, vpn_connection_id=vco)).body
    master, slave = d.tunnel_options_specification.tunnel_options
    lab.sim.set_negotiation(vco, "ipsec_sa_established", tunnel_id=master.tunnel_id)
    d = client.describe_vpn_connection(M.DescribeVpnConnectionRequest(region_id=REGION, vpn_connection_id=vco)).body
    assert [t.status for t in d.tunnel_options_specification.tunnel_options] == [
        "ipsec_sa_established", "ike_sa_not_established"]
    lab.advance(30)
    logs = client.describe_vpn_connection_logs(M.DescribeVpnConnectionLogsRequest(
        region_id=REGION, vpn_connection_id=vco, tunnel_id=slave.tunnel_id, minute_period=5)).body.data.logs
    assert any("peer not responding" in line for line in logs)

    # teardown, in dependency order
    retry_configuring(lab, client.delete_route_entry, M.DeleteRouteEntryRequest(region_id=REGION, route_entry_id=rte))
    retry_configuring(lab, client.delete_vpn_route_entry, M.DeleteVpnRouteEntryRequest(
        region_id=REGION, vpn_gateway_id=gw.vpn_gateway_id, route_dest="192.168.10.0/24", next_hop=vco, weight=100))
    retry_configuring(lab, client.delete_vpn_connection, M.DeleteVpnConnectionRequest(
        region_id=REGION, vpn_connection_id=vco))
    retry_configuring(lab, client.delete_customer_gateway, M.DeleteCustomerGatewayRequest(
        region_id=REGION, customer_gateway_id=cgw))
    settle(lab)
    snap = lab.sim.snapshot(REGION)
    assert snap.connections == {} and snap.customer_gateways == {} and snap.vpn_routes == []
    assert all(e.type == "System" for e in snap.vpcs[gw.vpc_id].system_route_table.entries)
    assert snap.gateways[gw.vpn_gateway_id].status == "active"
