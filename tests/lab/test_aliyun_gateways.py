"""Regions, VPCs and VPN gateways of the simulated Alibaba VPC API."""

from __future__ import annotations

import json

import pytest
from alibabacloud_tea_openapi import exceptions as oa_exc

from tests.lab.conftest_aliyun import *  # noqa: F401,F403
from tests.lab.conftest_aliyun import REGION, UPDATE_S, M, client, lab, make_client  # noqa: F401
from vpnconsole.lab.aliyun import AliyunVpcSim, GatewaySeed, ManualClock, RegionSeed, ThreadedAliyunLab, Timing, VpcSeed


def test_describe_regions(client):
    regions = client.describe_regions(M.DescribeRegionsRequest(accept_language="en-US")).body.regions.region
    by_id = {r.region_id: r for r in regions}
    assert by_id["cn-shanghai"].local_name == "China (Shanghai)"
    assert by_id["cn-hangzhou"].region_endpoint == "vpc.aliyuncs.com"
    assert by_id["ap-southeast-1"].region_endpoint == "vpc.ap-southeast-1.aliyuncs.com"


def test_describe_vpcs_and_vswitches(lab, client):
    vpcs = client.describe_vpcs(M.DescribeVpcsRequest(region_id=REGION)).body
    assert vpcs.total_count == 1
    v = vpcs.vpcs.vpc[0]
    assert v.vpc_id.startswith("vpc-") and v.cidr_block == "172.16.0.0/16" and v.vpc_name == "lab-vpc"
    assert len(v.v_switch_ids.v_switch_id) == 2 and all(x.startswith("vsw-") for x in v.v_switch_ids.v_switch_id)
    assert v.router_table_ids.router_table_ids[0].startswith("vtb-")
    sw = client.describe_vswitches(M.DescribeVSwitchesRequest(region_id=REGION, vpc_id=v.vpc_id)).body
    assert {s.cidr_block for s in sw.v_switches.v_switch} == {"172.16.1.0/24", "172.16.2.0/24"}
    assert {s.zone_id for s in sw.v_switches.v_switch} == {"cn-shanghai-b", "cn-shanghai-g"}
    with pytest.raises(oa_exc.ClientException) as ei:
        client.describe_vpcs(M.DescribeVpcsRequest(region_id=REGION, dry_run=True))
    assert ei.value.code == "DryRunOperation"


def test_describe_gateway_dual_and_single(lab, client):
    d = client.describe_vpn_gateway(M.DescribeVpnGatewayRequest(region_id=REGION,
                                                                vpn_gateway_id=lab.dual.vpn_gateway_id)).body
    assert d.vpn_gateway_id.startswith("vpn-") and d.status == "active" and d.business_status == "Normal"
    assert d.internet_ip == "198.51.100.10" and d.disaster_recovery_internet_ip == "198.51.100.11"
    assert d.disaster_recovery_vswitch_id.startswith("vsw-") and d.v_switch_id != d.disaster_recovery_vswitch_id
    assert d.spec == "10M" and d.vpn_type == "Normal" and d.vpc_id == lab.vpc.vpc_id
    tag = json.loads(d.tag)  # a JSON string, like the real API
    assert tag["VpnEnableBgp"] == "true"
    assert isinstance(d.create_time, int) and isinstance(d.enable_bgp, bool)
    s = client.describe_vpn_gateway(M.DescribeVpnGatewayRequest(region_id=REGION,
                                                                vpn_gateway_id=lab.single.vpn_gateway_id))
    raw = s.body.to_map()
    assert "DisasterRecoveryInternetIp" not in raw and "DisasterRecoveryVSwitchId" not in raw
    assert s.body.spec == "5M"
    with pytest.raises(oa_exc.ClientException) as ei:
        client.describe_vpn_gateway(M.DescribeVpnGatewayRequest(region_id=REGION, vpn_gateway_id="vpn-nope"))
    assert ei.value.code == "InvalidVpnGatewayInstanceId.NotFound" and ei.value.status_code == 404


def test_describe_gateways_filters_and_paging(lab, client):
    body = client.describe_vpn_gateways(M.DescribeVpnGatewaysRequest(region_id=REGION)).body
    assert body.total_count == 2 and len(body.vpn_gateways.vpn_gateway) == 2
    assert body.page_number == 1 and body.page_size == 10
    one = client.describe_vpn_gateways(M.DescribeVpnGatewaysRequest(
        region_id=REGION, vpn_gateway_id=lab.single.vpn_gateway_id)).body
    assert [g.vpn_gateway_id for g in one.vpn_gateways.vpn_gateway] == [lab.single.vpn_gateway_id]
    p2 = client.describe_vpn_gateways(M.DescribeVpnGatewaysRequest(region_id=REGION, page_size=1, page_number=2)).body
    assert p2.total_count == 2 and len(p2.vpn_gateways.vpn_gateway) == 1
    with pytest.raises(oa_exc.ClientException) as ei:
        client.describe_vpn_gateways(M.DescribeVpnGatewaysRequest(region_id=REGION, page_size=51))
    assert ei.value.code == "InvalidParameter"
    # state is per region
    other = client.describe_vpn_gateways(M.DescribeVpnGatewaysRequest(region_id="cn-beijing")).body
    assert other.total_count == 0


def test_modify_gateway_attribute_updating_window(lab, client):
    gw = lab.dual.vpn_gateway_id
    r = client.modify_vpn_gateway_attribute(M.ModifyVpnGatewayAttributeRequest(
        region_id=REGION, vpn_gateway_id=gw, name="renamed-gw", description="lab", auto_propagate=True)).body
    assert r.name == "renamed-gw" and r.status == "updating" and r.auto_propagate is True
    with pytest.raises(oa_exc.ClientException) as ei:
        client.modify_vpn_gateway_attribute(M.ModifyVpnGatewayAttributeRequest(
            region_id=REGION, vpn_gateway_id=gw, name="again"))
    assert ei.value.code == "VpnGateway.Configuring" and ei.value.status_code == 400
    lab.advance(UPDATE_S - 0.5)
    st = client.describe_vpn_gateway(M.DescribeVpnGatewayRequest(region_id=REGION, vpn_gateway_id=gw)).body.status
    assert st == "updating"
    lab.advance(0.5)
    st = client.describe_vpn_gateway(M.DescribeVpnGatewayRequest(region_id=REGION, vpn_gateway_id=gw)).body.status
    assert st == "active"
    with pytest.raises(oa_exc.ClientException) as ei:
        client.modify_vpn_gateway_attribute(M.ModifyVpnGatewayAttributeRequest(
            region_id=REGION, vpn_gateway_id=gw, name="9starts-with-digit"))
    assert ei.value.code == "InvalidName"


def test_financial_locked(lab, client):
    lab.sim.set_gateway_status(REGION, lab.dual.vpn_gateway_id, business_status="FinancialLocked")
    with pytest.raises(oa_exc.ClientException) as ei:
        client.modify_vpn_gateway_attribute(M.ModifyVpnGatewayAttributeRequest(
            region_id=REGION, vpn_gateway_id=lab.dual.vpn_gateway_id, name="x-name"))
    assert ei.value.code == "VpnGateway.FinancialLocked"


def test_polls_based_timing():
    sim = AliyunVpcSim(clock=ManualClock(), timing=Timing(gateway_update_seconds=None, gateway_update_polls=2))
    out = sim.seed(RegionSeed(REGION, vpcs=[VpcSeed(vswitches=["172.16.1.0/24"], gateways=[GatewaySeed()])]))
    gw = out["gateways"][0].vpn_gateway_id
    with ThreadedAliyunLab(sim) as server:
        c = make_client(server)
        c.modify_vpn_gateway_attribute(M.ModifyVpnGatewayAttributeRequest(region_id=REGION, vpn_gateway_id=gw,
                                                                           name="polled"))
        req = M.DescribeVpnGatewayRequest(region_id=REGION, vpn_gateway_id=gw)
        assert [c.describe_vpn_gateway(req).body.status for _ in range(3)] == ["updating", "updating", "active"]


def test_create_vpn_gateway_lifecycle(lab, client):
    vsw = [v.vswitch_id for v in lab.vpc.vswitches]
    # dual-tunnel region without DisasterRecoveryVSwitchId: the misleading real answer (terraform #6804)
    with pytest.raises(oa_exc.ClientException) as ei:
        client.create_vpn_gateway(M.CreateVpnGatewayRequest(
            region_id=REGION, vpc_id=lab.vpc.vpc_id, bandwidth=10, v_switch_id=vsw[0], instance_charge_type="PREPAY",
            period=1, auto_pay=True))
    assert ei.value.code == "InvalidVSwitchId.NotFound"
    with pytest.raises(oa_exc.ClientException) as ei:
        client.create_vpn_gateway(M.CreateVpnGatewayRequest(
            region_id=REGION, vpc_id=lab.vpc.vpc_id, bandwidth=7, v_switch_id=vsw[0],
            disaster_recovery_vswitch_id=vsw[1], instance_charge_type="PREPAY", period=1, auto_pay=True))
    assert ei.value.code == "InvalidParameter"
    r = client.create_vpn_gateway(M.CreateVpnGatewayRequest(
        region_id=REGION, vpc_id=lab.vpc.vpc_id, bandwidth=10, v_switch_id=vsw[0],
        disaster_recovery_vswitch_id=vsw[1], instance_charge_type="PREPAY", period=1, auto_pay=True,
        name="new-gw")).body
    assert r.vpn_gateway_id.startswith("vpn-") and r.order_id
    req = M.DescribeVpnGatewayRequest(region_id=REGION, vpn_gateway_id=r.vpn_gateway_id)
    assert client.describe_vpn_gateway(req).body.status == "init"
    lab.advance(10)
    assert client.describe_vpn_gateway(req).body.status == "provisioning"
    lab.advance(10)
    g = client.describe_vpn_gateway(req).body
    assert g.status == "active" and g.disaster_recovery_internet_ip and g.spec == "10M"
    # delete: subscription cannot be released before it expires
    with pytest.raises(oa_exc.ClientException) as ei:
        client.delete_vpn_gateway(M.DeleteVpnGatewayRequest(region_id=REGION, vpn_gateway_id=r.vpn_gateway_id))
    assert ei.value.code == "ForbiddenRelease" and ei.value.status_code == 403


def test_delete_vpn_gateway(lab, client):
    gw = lab.single.vpn_gateway_id
    client.delete_vpn_gateway(M.DeleteVpnGatewayRequest(region_id=REGION, vpn_gateway_id=gw))
    req = M.DescribeVpnGatewayRequest(region_id=REGION, vpn_gateway_id=gw)
    assert client.describe_vpn_gateway(req).body.status == "deleting"
    lab.advance(UPDATE_S)
    with pytest.raises(oa_exc.ClientException) as ei:
        client.describe_vpn_gateway(req)
    assert ei.value.code == "InvalidVpnGatewayInstanceId.NotFound"
