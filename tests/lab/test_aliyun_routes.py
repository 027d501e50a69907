"""VPN gateway routes and VPC route tables of the simulated Alibaba VPC API."""

from __future__ import annotations

import pytest
from alibabacloud_tea_openapi import exceptions as oa_exc

from tests.lab.conftest_aliyun import *  # noqa: F401,F403
from tests.lab.conftest_aliyun import H3C_IP, REGION, ROUTE_S, UPDATE_S, M, client, lab, tunnel  # noqa: F401


def code_of(fn, *a, **kw):
    with pytest.raises(oa_exc.ClientException) as ei:
        fn(*a, **kw)
    return ei.value.code, ei.value.status_code


@pytest.fixture
def vco(lab, client):
    cgw = client.create_customer_gateway(M.CreateCustomerGatewayRequest(
        region_id=REGION, ip_address=H3C_IP)).body.customer_gateway_id
    v = client.create_vpn_connection(M.CreateVpnConnectionRequest(
        region_id=REGION, vpn_gateway_id=lab.dual.vpn_gateway_id, local_subnet="0.0.0.0/0", remote_subnet="0.0.0.0/0",
        tunnel_options_specification=[tunnel("master", cgw, "a-psk-1"), tunnel("slave", cgw, "a-psk-2")])
    ).body.vpn_connection_id
    lab.advance(UPDATE_S)
    return v


def system_table(lab, client) -> str:
    body = client.describe_route_table_list(M.DescribeRouteTableListRequest(
        region_id=REGION, vpc_id=lab.vpc.vpc_id, route_table_type="System")).body
    assert body.total_count == 1
    t = body.router_table_list.router_table_list_type[0]
    assert t.route_table_type == "System" and t.vpc_id == lab.vpc.vpc_id and t.router_type == "VRouter"
    assert len(t.v_switch_ids.v_switch_id) == 2
    return t.route_table_id


def entries(client, table, **kw):
    return client.describe_route_entry_list(M.DescribeRouteEntryListRequest(
        region_id=REGION, route_table_id=table, max_result=100, **kw)).body


def test_vpn_route_entry_lifecycle(lab, client, vco):
    gw = lab.dual.vpn_gateway_id
    r = client.create_vpn_route_entry(M.CreateVpnRouteEntryRequest(
        region_id=REGION, vpn_gateway_id=gw, route_dest="192.168.10.0/24", next_hop=vco, weight=100,
        publish_vpc=True, description="to h3c")).body
    assert (r.vpn_instance_id, r.route_dest, r.next_hop, r.weight, r.overlay_mode) == (
        gw, "192.168.10.0/24", vco, 100, "Ipsec")
    assert r.state == "normal" and isinstance(r.create_time, int)
    assert client.describe_vpn_gateway(M.DescribeVpnGatewayRequest(region_id=REGION, vpn_gateway_id=gw)
                                       ).body.status == "updating"
    lab.advance(UPDATE_S)
    body = client.describe_vpn_route_entries(M.DescribeVpnRouteEntriesRequest(region_id=REGION, vpn_gateway_id=gw)).body
    assert body.total_count == 1
    e = body.vpn_route_entries.vpn_route_entry[0]
    assert e.state == "published" and e.next_hop_tunnel_id.startswith("tun-") and e.route_entry_type == "custom"
    assert body.vpn_route_counts.vpn_route_count[0].route_count == 1
    # published into the VPC system table
    table = system_table(lab, client)
    hop = [x for x in entries(client, table).route_entrys.route_entry if x.destination_cidr_block == "192.168.10.0/24"]
    assert hop and hop[0].next_hops.next_hop[0].next_hop_type == "VpnGateway" and hop[0].status == "Available"
    # withdraw
    client.publish_vpn_route_entry(M.PublishVpnRouteEntryRequest(
        region_id=REGION, vpn_gateway_id=gw, route_dest="192.168.10.0/24", next_hop=vco, route_type="dbr",
        publish_vpc=False))
    lab.advance(UPDATE_S)
    e = client.describe_vpn_route_entries(M.DescribeVpnRouteEntriesRequest(
        region_id=REGION, vpn_gateway_id=gw)).body.vpn_route_entries.vpn_route_entry[0]
    assert e.state == "normal"
    assert not [x for x in entries(client, table).route_entrys.route_entry
                if x.destination_cidr_block == "192.168.10.0/24"]
    # delete needs the full key, weight included
    assert code_of(client.delete_vpn_route_entry, M.DeleteVpnRouteEntryRequest(
        region_id=REGION, vpn_gateway_id=gw, route_dest="192.168.10.0/24", next_hop=vco, weight=0)) == (
        "InvalidRouteEntry.NotFound", 404)
    client.delete_vpn_route_entry(M.DeleteVpnRouteEntryRequest(
        region_id=REGION, vpn_gateway_id=gw, route_dest="192.168.10.0/24", next_hop=vco, weight=100))
    lab.advance(UPDATE_S)
    assert client.describe_vpn_route_entries(M.DescribeVpnRouteEntriesRequest(
        region_id=REGION, vpn_gateway_id=gw)).body.total_count == 0


def test_vpn_route_entry_validation(lab, client, vco):
    gw = lab.dual.vpn_gateway_id

    def create(**kw):
        args = dict(region_id=REGION, vpn_gateway_id=gw, route_dest="192.168.10.0/24", next_hop=vco, weight=100,
                    publish_vpc=True)
        args.update(kw)
        return client.create_vpn_route_entry(M.CreateVpnRouteEntryRequest(**{k: v for k, v in args.items()
                                                                               if v is not None}))

    assert code_of(create, route_dest="0.0.0.0/0")[0] == "InvalidParameter"
    assert code_of(create, route_dest="100.64.0.0/16")[0] == "InvalidParameter"
    assert code_of(create, weight=50)[0] == "InvalidParameter"
    assert code_of(create, weight=None)[0] == "MissingParameter"
    assert code_of(create, publish_vpc=None)[0] == "MissingParameter"
    assert code_of(create, next_hop="vco-nope") == ("InvalidVpnConnectionInstanceId.NotFound", 404)
    assert code_of(create, dry_run=True)[0] == "DryRunOperation"
    create()
    lab.advance(UPDATE_S)
    assert code_of(create)[0] == "VpnRouteEntry.AlreadyExists"
    lab.sim.quotas.vpn_route_entries_per_gateway = 1
    assert code_of(create, route_dest="192.168.11.0/24") == ("Resource.QuotaFull", 400)


def test_deleting_connection_removes_its_routes(lab, client, vco):
    gw = lab.dual.vpn_gateway_id
    client.create_vpn_route_entry(M.CreateVpnRouteEntryRequest(
        region_id=REGION, vpn_gateway_id=gw, route_dest="192.168.10.0/24", next_hop=vco, weight=100, publish_vpc=True))
    lab.advance(UPDATE_S)
    client.delete_vpn_connection(M.DeleteVpnConnectionRequest(region_id=REGION, vpn_connection_id=vco))
    lab.advance(UPDATE_S)
    assert client.describe_vpn_route_entries(M.DescribeVpnRouteEntriesRequest(
        region_id=REGION, vpn_gateway_id=gw)).body.total_count == 0


def test_vpc_route_entry_pending_available_and_conflicts(lab, client):
    table = system_table(lab, client)
    gw = lab.dual.vpn_gateway_id
    before = entries(client, table)
    assert {e.type for e in before.route_entrys.route_entry} == {"System"}
    rte = client.create_route_entry(M.CreateRouteEntryRequest(
        region_id=REGION, route_table_id=table, destination_cidr_block="192.168.10.0/24", next_hop_type="VpnGateway",
        next_hop_id=gw, route_entry_name="to-h3c")).body.route_entry_id
    assert rte.startswith("rte-")
    e = entries(client, table, route_entry_id=rte).route_entrys.route_entry[0]
    assert e.status == "Pending" and e.type == "Custom" and e.route_entry_name == "to-h3c"
    assert e.next_hops.next_hop[0].next_hop_id == gw and e.next_hops.next_hop[0].next_hop_type == "VpnGateway"
    # another write in the same table while one is pending
    assert code_of(client.create_route_entry, M.CreateRouteEntryRequest(
        region_id=REGION, route_table_id=table, destination_cidr_block="192.168.20.0/24", next_hop_type="VpnGateway",
        next_hop_id=gw)) == ("TaskConflict", 400)
    # deleting a Pending entry
    assert code_of(client.delete_route_entry, M.DeleteRouteEntryRequest(region_id=REGION, route_entry_id=rte)) == (
        "IncorrectRouteEntryStatus", 400)
    lab.advance(ROUTE_S)
    assert entries(client, table, route_entry_id=rte).route_entrys.route_entry[0].status == "Available"
    assert code_of(client.create_route_entry, M.CreateRouteEntryRequest(
        region_id=REGION, route_table_id=table, destination_cidr_block="192.168.10.0/24", next_hop_type="VpnGateway",
        next_hop_id=gw))[0] == "RouterEntryConflict.Duplicated"
    assert code_of(client.create_route_entry, M.CreateRouteEntryRequest(
        region_id=REGION, route_table_id=table, destination_cidr_block="172.16.1.128/25", next_hop_type="VpnGateway",
        next_hop_id=gw))[0] == "InvalidCIDRBlock.Duplicate"
    assert code_of(client.create_route_entry, M.CreateRouteEntryRequest(
        region_id=REGION, route_table_id=table, destination_cidr_block="192.168.30.0/24", next_hop_type="VpnGateway",
        next_hop_id="vpn-nope")) == ("InvalidNextHopId.NotFound", 404)
    assert code_of(client.create_route_entry, M.CreateRouteEntryRequest(
        region_id=REGION, route_table_id="vtb-nope", destination_cidr_block="192.168.30.0/24",
        next_hop_type="VpnGateway", next_hop_id=gw)) == ("InvalidRouteTableId.NotFound", 404)
    # delete by table + destination
    client.delete_route_entry(M.DeleteRouteEntryRequest(region_id=REGION, route_table_id=table,
                                                        destination_cidr_block="192.168.10.0/24", next_hop_id=gw))
    assert entries(client, table, route_entry_id=rte).route_entrys.route_entry[0].status == "Deleting"
    assert code_of(client.delete_route_entry, M.DeleteRouteEntryRequest(region_id=REGION, route_entry_id=rte)) == (
        "IncorrectRouteEntryStatus", 400)
    lab.advance(ROUTE_S)
    assert entries(client, table, route_entry_id=rte).total_count == 0
    assert code_of(client.delete_route_entry, M.DeleteRouteEntryRequest(region_id=REGION, route_entry_id=rte)) == (
        "InvalidRouteEntry.NotFound", 404)


def test_route_entry_list_paging(lab, client):
    table = system_table(lab, client)
    gw = lab.dual.vpn_gateway_id
    for i in range(3):
        client.create_route_entry(M.CreateRouteEntryRequest(
            region_id=REGION, route_table_id=table, destination_cidr_block=f"10.{i}.0.0/16", next_hop_type="VpnGateway",
            next_hop_id=gw))
        lab.advance(ROUTE_S)
    total = entries(client, table).total_count
    assert total == 6  # 3 custom + 100.64.0.0/10 + 2 vSwitch system routes
    seen, token = [], None
    while True:
        body = client.describe_route_entry_list(M.DescribeRouteEntryListRequest(
            region_id=REGION, route_table_id=table, max_result=4, next_token=token)).body
        seen += [e.destination_cidr_block for e in body.route_entrys.route_entry]
        token = body.next_token
        if not token:
            break
    assert len(seen) == total == len(set(seen))
    custom = entries(client, table, route_entry_type="Custom").route_entrys.route_entry
    assert {e.destination_cidr_block for e in custom} == {"10.0.0.0/16", "10.1.0.0/16", "10.2.0.0/16"}
    assert code_of(client.describe_route_entry_list, M.DescribeRouteEntryListRequest(region_id=REGION))[0] == \
        "MissingParameter"
