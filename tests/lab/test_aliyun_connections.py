"""Customer gateways, IPsec connections, tunnels, logs and config download through the real SDK."""

from __future__ import annotations

import json
import re

import pytest
from alibabacloud_tea_openapi import exceptions as oa_exc

from tests.lab.conftest_aliyun import *  # noqa: F401,F403
from tests.lab.conftest_aliyun import (  # noqa: F401
    H3C_IP,
    H3C_IP2,
    REGION,
    UPDATE_S,
    M,
    client,
    ike_json,
    ipsec_json,
    lab,
    tunnel,
)
from vpnconsole.lab.aliyun import LogLine, NegotiationReport, NegotiationTarget

LOG_RE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d vco-[a-z0-9]+ \[(DEBUG|INFO|WARNING|ERROR)\]: [\w.]+\.c:\d+:.+$")


def code_of(fn, *a, **kw) -> tuple[str, int]:
    with pytest.raises(oa_exc.ClientException) as ei:
        fn(*a, **kw)
    return ei.value.code, ei.value.status_code


def mk_cgw(client, ip=H3C_IP, **kw) -> str:
    return client.create_customer_gateway(M.CreateCustomerGatewayRequest(
        region_id=REGION, ip_address=ip, **kw)).body.customer_gateway_id


def single_req(lab, cgw, **kw):
    args = dict(region_id=REGION, vpn_gateway_id=lab.single.vpn_gateway_id, customer_gateway_id=cgw,
                local_subnet="172.16.0.0/16", remote_subnet="192.168.10.0/24", name="site-a",
                effect_immediately=True, ike_config=ike_json(), ipsec_config=ipsec_json())
    args.update(kw)
    return M.CreateVpnConnectionRequest(**{k: v for k, v in args.items() if v is not None})


def dual_req(lab, cgw, **kw):
    args = dict(region_id=REGION, vpn_gateway_id=lab.dual.vpn_gateway_id, local_subnet="172.16.0.0/16",
                remote_subnet="192.168.10.0/24", name="site-dual", effect_immediately=True,
                tunnel_options_specification=[tunnel("master", cgw, "Psk-Master-1"), tunnel("slave", cgw, "Psk-Slave-2")])
    args.update(kw)
    return M.CreateVpnConnectionRequest(**{k: v for k, v in args.items() if v is not None})


def describe(client, vco):
    return client.describe_vpn_connection(M.DescribeVpnConnectionRequest(region_id=REGION, vpn_connection_id=vco)).body


def gw_status(client, gw):
    return client.describe_vpn_gateway(M.DescribeVpnGatewayRequest(region_id=REGION, vpn_gateway_id=gw)).body.status


# ------------------------------------------------------------ customer gateways
def test_customer_gateway_crud(lab, client):
    r = client.create_customer_gateway(M.CreateCustomerGatewayRequest(
        region_id=REGION, ip_address=H3C_IP, name="h3c", description="branch", asn="1.10",
        tags=[M.CreateCustomerGatewayRequestTags(key="env", value="lab")])).body
    assert r.customer_gateway_id.startswith("cgw-") and r.ip_address == H3C_IP and isinstance(r.create_time, int)
    d = client.describe_customer_gateway(M.DescribeCustomerGatewayRequest(
        region_id=REGION, customer_gateway_id=r.customer_gateway_id)).body
    assert d.asn == 65546 and d.name == "h3c" and d.tags.tag[0].key == "env"
    lst = client.describe_customer_gateways(M.DescribeCustomerGatewaysRequest(region_id=REGION)).body
    assert lst.total_count == 1 and lst.customer_gateways.customer_gateway[0].ip_address == H3C_IP
    tagged = client.describe_customer_gateways(M.DescribeCustomerGatewaysRequest(
        region_id=REGION, tag=[M.DescribeCustomerGatewaysRequestTag(key="env", value="prod")])).body
    assert tagged.total_count == 0
    m = client.modify_customer_gateway_attribute(M.ModifyCustomerGatewayAttributeRequest(
        region_id=REGION, customer_gateway_id=r.customer_gateway_id, name="h3c-2")).body
    assert m.name == "h3c-2" and m.ip_address == H3C_IP
    client.delete_customer_gateway(M.DeleteCustomerGatewayRequest(region_id=REGION,
                                                                  customer_gateway_id=r.customer_gateway_id))
    assert code_of(client.describe_customer_gateway, M.DescribeCustomerGatewayRequest(
        region_id=REGION, customer_gateway_id=r.customer_gateway_id)) == ("InvalidCustomerGatewayInstanceId.NotFound", 404)


@pytest.mark.parametrize("ip", ["127.0.0.1", "100.64.1.1", "169.254.1.1", "224.0.0.5", "239.1.1.1", "255.255.255.255",
                                "0.1.2.3", "10.0.0.256", "1.2.3", "203.0.113.010", "fe80::1"])
def test_customer_gateway_reserved_or_bad_ip(lab, client, ip):
    assert code_of(mk_cgw, client, ip) == ("InvalidIpAddress.WrongFormat", 400)


def test_customer_gateway_validation(lab, client):
    mk_cgw(client)
    assert code_of(mk_cgw, client, H3C_IP) == ("InvalidIpAddress.AlreadyExist", 400)
    assert code_of(mk_cgw, client, H3C_IP2, asn="45104")[0] == "InvalidParameter"
    assert code_of(mk_cgw, client, H3C_IP2, asn="4294967296")[0] == "InvalidParameter"
    assert code_of(mk_cgw, client, H3C_IP2, name="http://x")[0] == "InvalidName"
    assert code_of(mk_cgw, client, H3C_IP2, description="https://x")[0] == "InvalidDescription"
    assert code_of(mk_cgw, client, H3C_IP2, auth_key="has space")[0] == "InvalidParameter"
    lab.sim.quotas.customer_gateways_per_region = 1
    assert code_of(mk_cgw, client, H3C_IP2) == ("Resource.QuotaFull", 400)


def test_delete_cgw_in_use(lab, client):
    cgw = mk_cgw(client)
    vco = client.create_vpn_connection(single_req(lab, cgw)).body.vpn_connection_id
    lab.advance(UPDATE_S)
    assert code_of(client.delete_customer_gateway, M.DeleteCustomerGatewayRequest(
        region_id=REGION, customer_gateway_id=cgw)) == ("DependencyViolation.VpnConnection", 400)
    client.delete_vpn_connection(M.DeleteVpnConnectionRequest(region_id=REGION, vpn_connection_id=vco))
    # the connection is still being removed: the gateway is configuring
    assert code_of(client.delete_customer_gateway, M.DeleteCustomerGatewayRequest(
        region_id=REGION, customer_gateway_id=cgw))[0] == "VpnGateway.Configuring"
    lab.advance(UPDATE_S)
    client.delete_customer_gateway(M.DeleteCustomerGatewayRequest(region_id=REGION, customer_gateway_id=cgw))


# ------------------------------------------------------------ single tunnel
def test_single_tunnel_create_describe(lab, client):
    cgw = mk_cgw(client)
    r = client.create_vpn_connection(single_req(lab, cgw)).body
    assert r.vpn_connection_id.startswith("vco-") and r.name == "site-a" and isinstance(r.create_time, int)
    assert gw_status(client, lab.single.vpn_gateway_id) == "updating"
    d = describe(client, r.vpn_connection_id)
    assert d.state == "init" and d.status == "ike_sa_not_established"
    # any other write on the gateway meanwhile
    code, status = code_of(client.create_vpn_route_entry, M.CreateVpnRouteEntryRequest(
        region_id=REGION, vpn_gateway_id=lab.single.vpn_gateway_id, route_dest="192.168.10.0/24",
        next_hop=r.vpn_connection_id, weight=100, publish_vpc=True))
    assert (code, status) == ("VpnGateway.Configuring", 400)
    lab.advance(UPDATE_S)
    assert gw_status(client, lab.single.vpn_gateway_id) == "active"
    d = describe(client, r.vpn_connection_id)
    assert d.state == "active" and d.status == "ike_sa_not_established"
    assert d.customer_gateway_id == cgw and d.vpn_gateway_id == lab.single.vpn_gateway_id
    assert d.local_subnet == "172.16.0.0/16" and d.remote_subnet == "192.168.10.0/24"
    assert d.effect_immediately is True and d.enable_dpd is True and d.enable_nat_traversal is True
    ike = d.ike_config
    assert (ike.ike_version, ike.ike_enc_alg, ike.ike_auth_alg, ike.ike_pfs) == ("ikev2", "aes256", "sha256", "group14")
    assert ike.ike_lifetime == 86400 and ike.psk == "Secr3t-Key_1"  # int; PSK in clear
    assert ike.local_id == "198.51.100.20" and ike.remote_id == H3C_IP  # defaults
    assert d.ipsec_config.ipsec_lifetime == 3600 and d.ipsec_config.ipsec_pfs == "group14"
    assert d.vco_health_check.enable == "false" and d.vpn_bgp_config.enable_bgp == "false"
    assert d.tunnel_options_specification is None


def test_single_tunnel_defaults(lab, client):
    cgw = mk_cgw(client)
    vco = client.create_vpn_connection(single_req(lab, cgw, ike_config=None, ipsec_config=None, name=None,
                                                  effect_immediately=None)).body.vpn_connection_id
    d = describe(client, vco)
    ike, ipsec = d.ike_config, d.ipsec_config
    assert (ike.ike_version, ike.ike_mode, ike.ike_enc_alg, ike.ike_auth_alg, ike.ike_pfs, ike.ike_lifetime) == (
        "ikev1", "main", "aes", "md5", "group2", 86400)
    assert (ipsec.ipsec_enc_alg, ipsec.ipsec_auth_alg, ipsec.ipsec_pfs, ipsec.ipsec_lifetime) == (
        "aes", "md5", "group2", 86400)
    assert len(ike.psk) == 16 and ike.psk.isalnum()
    assert ike.local_id == lab.single.internet_ip and ike.remote_id == H3C_IP
    assert d.effect_immediately is False and d.enable_dpd is True and d.enable_nat_traversal is True
    assert d.name == vco


def test_single_tunnel_validation(lab, client):
    cgw = mk_cgw(client)
    create = client.create_vpn_connection
    assert code_of(create, single_req(lab, cgw, local_subnet="172.16.0.1/16")) == ("IllegalParam.LocalSubnet", 400)
    assert code_of(create, single_req(lab, cgw, local_subnet="172.16.0.0/16, 10.0.0.0/8"))[0] == "IllegalParam.LocalSubnet"
    assert code_of(create, single_req(lab, cgw, remote_subnet="192.168.10.0/33"))[0] == "IllegalParam.RemoteSubnet"
    assert code_of(create, single_req(lab, cgw, remote_subnet="not-a-cidr"))[0] == "IllegalParam.RemoteSubnet"
    assert code_of(create, single_req(lab, cgw, ike_config=ike_json(IkeEncAlg="aes512")))[0] == "InvalidParameter"
    assert code_of(create, single_req(lab, cgw, ike_config=ike_json(IkePfs="disabled")))[0] == "InvalidParameter"
    assert code_of(create, single_req(lab, cgw, ike_config=ike_json(IkeLifetime=86401)))[0] == "InvalidParameter"
    assert code_of(create, single_req(lab, cgw, ipsec_config=ipsec_json(IpsecAuthAlg="sha386")))[0] == "InvalidParameter"
    assert code_of(create, single_req(lab, cgw, ipsec_config=ipsec_json(IpsecLifetime=-1)))[0] == "InvalidParameter"
    assert code_of(create, single_req(lab, cgw, ike_config=ike_json("has space")))[0] == "InvalidParameter"
    assert code_of(create, single_req(lab, cgw, ike_config=ike_json("x" * 101)))[0] == "InvalidParameter"
    assert code_of(create, single_req(lab, cgw, ike_config=ike_json("")))[0] == "InvalidParameter"
    assert code_of(create, single_req(lab, cgw, ike_config="{not json"))[0] == "InvalidParameter"
    assert code_of(create, single_req(lab, cgw, name="http://bad"))[0] == "InvalidName"
    # the dict-instead-of-JSON SDK misuse: the SDK flattens it to IkeConfig.X=...
    assert code_of(create, single_req(lab, cgw, ike_config={"IkeVersion": "ikev2", "Psk": "abc"}))[0] == "InvalidParameter"
    # tunnel options on a single-tunnel gateway
    assert code_of(create, single_req(lab, cgw, tunnel_options_specification=[tunnel("master", cgw)]))[0] == \
        "VpnConnection.InvalidCreateTunnelOptions"
    assert code_of(create, single_req(lab, "cgw-nope")) == ("InvalidCustomerGatewayInstanceId.NotFound", 404)
    assert code_of(create, single_req(lab, cgw, vpn_gateway_id="vpn-nope")) == ("InvalidVpnGatewayInstanceId.NotFound", 404)
    assert code_of(create, single_req(lab, None))[0] == "MissingParameter"
    assert code_of(create, single_req(lab, cgw, dry_run=True))[0] == "DryRunOperation"
    assert lab.sim.snapshot(REGION).connections == {}
    client.create_vpn_connection(single_req(lab, cgw))
    lab.advance(UPDATE_S)
    assert code_of(create, single_req(lab, cgw)) == ("InvalidVpnConnection.AlreadyExists", 400)


def test_connection_quota(lab, client):
    lab.sim.quotas.connections_per_gateway = 1
    cgw = mk_cgw(client)
    client.create_vpn_connection(dual_req(lab, cgw))
    lab.advance(UPDATE_S)
    assert code_of(client.create_vpn_connection, dual_req(lab, cgw)) == ("Resource.QuotaFull", 400)


def test_single_tunnel_modify_merges_and_echoes(lab, client):
    cgw = mk_cgw(client)
    vco = client.create_vpn_connection(single_req(lab, cgw)).body.vpn_connection_id
    lab.advance(UPDATE_S)
    r = client.modify_vpn_connection_attribute(M.ModifyVpnConnectionAttributeRequest(
        region_id=REGION, vpn_connection_id=vco, ike_config=json.dumps({"IkeLifetime": 3600, "Psk": "New-Psk-9"}),
        health_check_config=json.dumps({"enable": "true", "dip": "172.16.1.10", "sip": "192.168.10.1"}),
        remote_subnet="192.168.10.0/24,192.168.20.0/24")).body
    assert r.ike_config.ike_lifetime == 3600 and r.ike_config.psk == "New-Psk-9"
    assert r.ike_config.ike_enc_alg == "aes256"  # merged with what was there
    assert r.vco_health_check.enable == "true" and r.remote_subnet.endswith("192.168.20.0/24")
    assert describe(client, vco).state == "updating"
    assert code_of(client.modify_vpn_connection_attribute, M.ModifyVpnConnectionAttributeRequest(
        region_id=REGION, vpn_connection_id=vco, name="again"))[0] == "VpnGateway.Configuring"
    lab.advance(UPDATE_S)
    d = describe(client, vco)
    assert d.state == "active" and d.ike_config.psk == "New-Psk-9" and d.vco_health_check.status == "failed"
    assert code_of(client.modify_vpn_connection_attribute, M.ModifyVpnConnectionAttributeRequest(
        region_id=REGION, vpn_connection_id="vco-nope", name="x")) == ("InvalidVpnConnectionInstanceId.NotFound", 404)


def test_delete_connection_disappears_after_update(lab, client):
    cgw = mk_cgw(client)
    vco = client.create_vpn_connection(dual_req(lab, cgw)).body.vpn_connection_id
    lab.advance(UPDATE_S)
    client.delete_vpn_connection(M.DeleteVpnConnectionRequest(region_id=REGION, vpn_connection_id=vco))
    d = describe(client, vco)
    assert [t.state for t in d.tunnel_options_specification.tunnel_options] == ["deleting", "deleting"]
    assert code_of(client.delete_vpn_connection, M.DeleteVpnConnectionRequest(
        region_id=REGION, vpn_connection_id=vco))[0] == "VpnGateway.Configuring"
    lab.advance(UPDATE_S)
    assert code_of(describe, client, vco) == ("InvalidVpnConnectionInstanceId.NotFound", 404)
    assert code_of(client.delete_vpn_connection, M.DeleteVpnConnectionRequest(
        region_id=REGION, vpn_connection_id=vco)) == ("InvalidVpnConnectionInstanceId.NotFound", 404)


# ------------------------------------------------------------ dual tunnel
def test_dual_tunnel_create_describe(lab, client):
    cgw = mk_cgw(client)
    vco = client.create_vpn_connection(dual_req(lab, cgw)).body.vpn_connection_id
    d = describe(client, vco)
    assert [t.state for t in d.tunnel_options_specification.tunnel_options] == ["updating", "updating"]
    lab.advance(UPDATE_S)
    d = describe(client, vco)
    assert d.state == "active"
    t1, t2 = d.tunnel_options_specification.tunnel_options
    assert (t1.role, t1.tunnel_index, t2.role, t2.tunnel_index) == ("master", 1, "slave", 2)
    assert t1.tunnel_id.startswith("tun-") and t1.tunnel_id != t2.tunnel_id
    assert t1.internet_ip == "198.51.100.10" and t2.internet_ip == "198.51.100.11"
    assert t1.customer_gateway_id == cgw == t2.customer_gateway_id
    assert (t1.state, t1.status) == ("active", "ike_sa_not_established")
    # types of the real tunnel blocks: strings
    assert t1.enable_dpd == "true" and t1.enable_nat_traversal == "true"
    assert t1.tunnel_ike_config.ike_lifetime == "86400" and t1.tunnel_ipsec_config.ipsec_lifetime == "3600"
    assert t1.tunnel_ike_config.psk == "Psk-Master-1" and t2.tunnel_ike_config.psk == "Psk-Slave-2"
    assert t1.tunnel_ike_config.local_id == "198.51.100.10" and t2.tunnel_ike_config.local_id == "198.51.100.11"
    assert t1.tunnel_ike_config.remote_id == H3C_IP
    assert d.customer_gateway_id is None
    assert d.ike_config.psk == ""  # top-level blocks are meaningless on dual tunnel
    # the raw wrapper shape
    raw = d.to_map()
    assert isinstance(raw["TunnelOptionsSpecification"]["TunnelOptions"], list)


def test_dual_tunnel_generated_psks(lab, client):
    cgw = mk_cgw(client)
    specs = [tunnel("master", cgw, None), tunnel("slave", cgw, None)]
    vco = client.create_vpn_connection(dual_req(lab, cgw, tunnel_options_specification=specs)).body.vpn_connection_id
    t1, t2 = describe(client, vco).tunnel_options_specification.tunnel_options
    assert len(t1.tunnel_ike_config.psk) == 16 and len(t2.tunnel_ike_config.psk) == 16
    assert t1.tunnel_ike_config.psk != t2.tunnel_ike_config.psk


def test_dual_tunnel_validation(lab, client):
    cgw = mk_cgw(client)
    create = client.create_vpn_connection
    bad = "VpnConnection.InvalidCreateTunnelOptions"
    assert code_of(create, dual_req(lab, cgw, ike_config=ike_json())) == (bad, 400)
    assert code_of(create, dual_req(lab, cgw, customer_gateway_id=cgw))[0] == bad
    assert code_of(create, dual_req(lab, cgw, enable_dpd=True))[0] == bad
    assert code_of(create, dual_req(lab, cgw, tunnel_options_specification=None))[0] == bad
    assert code_of(create, dual_req(lab, cgw, tunnel_options_specification=[tunnel("master", cgw)]))[0] == bad
    assert code_of(create, dual_req(lab, cgw, tunnel_options_specification=[
        tunnel("master", cgw), tunnel("master", cgw)]))[0] == bad
    assert code_of(create, dual_req(lab, cgw, tunnel_options_specification=[
        tunnel("master", cgw), tunnel("slave", cgw), tunnel("slave", cgw)]))[0] == bad
    assert code_of(create, dual_req(lab, cgw, tunnel_options_specification=[
        tunnel("master", cgw), tunnel("slave", cgw, ike_enc_alg="blowfish")]))[0] == "InvalidParameter"
    assert code_of(create, dual_req(lab, cgw, tunnel_options_specification=[
        tunnel("master", cgw, "bad psk"), tunnel("slave", cgw)]))[0] == "InvalidParameter"
    assert code_of(create, dual_req(lab, cgw, tunnel_options_specification=[
        tunnel("master", cgw), tunnel("slave", "cgw-nope")])) == ("InvalidCustomerGatewayInstanceId.NotFound", 404)
    assert code_of(create, dual_req(lab, cgw, tunnel_options_specification=[
        tunnel("master", cgw, ike_lifetime=100000), tunnel("slave", cgw)]))[0] == "InvalidParameter"


def test_modify_dual_tunnel_connection_and_tunnel(lab, client):
    cgw = mk_cgw(client)
    cgw2 = mk_cgw(client, H3C_IP2)
    vco = client.create_vpn_connection(dual_req(lab, cgw)).body.vpn_connection_id
    lab.advance(UPDATE_S)
    t1, t2 = describe(client, vco).tunnel_options_specification.tunnel_options
    T = M.ModifyVpnConnectionAttributeRequestTunnelOptionsSpecification
    r = client.modify_vpn_connection_attribute(M.ModifyVpnConnectionAttributeRequest(
        region_id=REGION, vpn_connection_id=vco, name="renamed",
        tunnel_options_specification=[T(tunnel_id=t2.tunnel_id, role="slave", customer_gateway_id=cgw2,
                                         tunnel_ike_config=M.ModifyVpnConnectionAttributeRequestTunnelOptionsSpecificationTunnelIkeConfig(
                                             ike_auth_alg="sha512", psk="Psk-Slave-3"))])).body
    out = {t.role: t for t in r.tunnel_options_specification.tunnel_options}
    assert r.name == "renamed" and out["slave"].tunnel_ike_config.ike_auth_alg == "sha512"
    assert out["slave"].tunnel_ike_config.ike_lifetime == 86400  # Modify replies are typed ints
    assert out["slave"].customer_gateway_id == cgw2 and out["slave"].tunnel_ike_config.remote_id == H3C_IP2
    assert out["slave"].state == "updating" and out["master"].state == "active"
    lab.advance(UPDATE_S)
    assert code_of(client.modify_vpn_connection_attribute, M.ModifyVpnConnectionAttributeRequest(
        region_id=REGION, vpn_connection_id=vco, ike_config=ike_json()))[0] == "VpnConnection.InvalidCreateTunnelOptions"
    assert code_of(client.modify_vpn_connection_attribute, M.ModifyVpnConnectionAttributeRequest(
        region_id=REGION, vpn_connection_id=vco, tunnel_options_specification=[T(tunnel_id=t1.tunnel_id, role="slave")])
    )[0] == "VpnConnection.InvalidCreateTunnelOptions"
    # ModifyTunnelAttribute: a single, non-indexed TunnelOptionsSpecification in the query
    MT = M.ModifyTunnelAttributeRequestTunnelOptionsSpecification
    r = client.modify_tunnel_attribute(M.ModifyTunnelAttributeRequest(
        region_id=REGION, vpn_connection_id=vco, tunnel_id=t1.tunnel_id,
        tunnel_options_specification=MT(enable_dpd=False, tunnel_ipsec_config=
                                        M.ModifyTunnelAttributeRequestTunnelOptionsSpecificationTunnelIpsecConfig(
                                            ipsec_pfs="disabled", ipsec_lifetime=1800)))).body
    assert r.tunnel_id == t1.tunnel_id and r.role == "master" and r.state == "updating"
    assert r.enable_dpd is False and r.tunnel_ipsec_config.ipsec_pfs == "disabled"
    assert r.tunnel_ipsec_config.ipsec_lifetime == 1800 and r.tunnel_bgp_config.enable_bgp is False
    assert r.tunnel_ike_config.psk == "Psk-Master-1"
    assert code_of(client.modify_tunnel_attribute, M.ModifyTunnelAttributeRequest(
        region_id=REGION, vpn_connection_id=vco, tunnel_id=t2.tunnel_id,
        tunnel_options_specification=MT(enable_dpd=True)))[0] == "VpnGateway.Configuring"
    lab.advance(UPDATE_S)
    t1b = describe(client, vco).tunnel_options_specification.tunnel_options[0]
    assert t1b.state == "active" and t1b.enable_dpd == "false" and t1b.tunnel_ipsec_config.ipsec_lifetime == "1800"
    assert code_of(client.modify_tunnel_attribute, M.ModifyTunnelAttributeRequest(
        region_id=REGION, vpn_connection_id=vco, tunnel_id="tun-nope",
        tunnel_options_specification=MT(enable_dpd=True))) == ("InvalidTunnelId.NotFound", 404)
    assert code_of(client.modify_tunnel_attribute, M.ModifyTunnelAttributeRequest(
        region_id=REGION, vpn_connection_id=vco, tunnel_id=t1.tunnel_id,
        tunnel_options_specification=MT(tunnel_ike_config=
                                        M.ModifyTunnelAttributeRequestTunnelOptionsSpecificationTunnelIkeConfig(
                                            ike_version="ikev3"))))[0] == "InvalidParameter"


def test_describe_connections_filters_and_tag_quirk(lab, client):
    cgw = mk_cgw(client)
    cgw2 = mk_cgw(client, H3C_IP2)
    a = client.create_vpn_connection(dual_req(lab, cgw, tags=[M.CreateVpnConnectionRequestTags(key="k", value="v")])
                                     ).body.vpn_connection_id
    b = client.create_vpn_connection(single_req(lab, cgw2)).body.vpn_connection_id
    body = client.describe_vpn_connections(M.DescribeVpnConnectionsRequest(region_id=REGION)).body
    assert body.total_count == 2 and {c.vpn_connection_id for c in body.vpn_connections.vpn_connection} == {a, b}
    by_gw = client.describe_vpn_connections(M.DescribeVpnConnectionsRequest(
        region_id=REGION, vpn_gateway_id=lab.dual.vpn_gateway_id)).body.vpn_connections.vpn_connection
    assert [c.vpn_connection_id for c in by_gw] == [a]
    assert by_gw[0].tag.tag[0].key == "k"  # list items use "Tag", not "Tags"
    assert by_gw[0].tunnel_options_specification.tunnel_options[0].tunnel_ike_config.ike_lifetime == "86400"
    by_cgw = client.describe_vpn_connections(M.DescribeVpnConnectionsRequest(
        region_id=REGION, customer_gateway_id=cgw)).body.vpn_connections.vpn_connection
    assert [c.vpn_connection_id for c in by_cgw] == [a]
    single = client.describe_vpn_connections(M.DescribeVpnConnectionsRequest(
        region_id=REGION, vpn_connection_id=b)).body.vpn_connections.vpn_connection[0]
    assert single.ike_config.ike_lifetime == 86400 and single.customer_gateway_id == cgw2


# ------------------------------------------------------------ logs / negotiation
def test_logs_need_a_window(lab, client):
    cgw = mk_cgw(client)
    vco = client.create_vpn_connection(single_req(lab, cgw)).body.vpn_connection_id
    code, _ = code_of(client.describe_vpn_connection_logs, M.DescribeVpnConnectionLogsRequest(
        region_id=REGION, vpn_connection_id=vco))
    assert code == "MissingParameter"
    assert code_of(client.describe_vpn_connection_logs, M.DescribeVpnConnectionLogsRequest(
        region_id=REGION, vpn_connection_id=vco, minute_period=11))[0] == "InvalidParameter"


def test_default_logs_peer_not_responding(lab, client):
    cgw = mk_cgw(client)
    vco = client.create_vpn_connection(single_req(lab, cgw)).body.vpn_connection_id
    lab.advance(UPDATE_S)
    lab.advance(60)
    body = client.describe_vpn_connection_logs(M.DescribeVpnConnectionLogsRequest(
        region_id=REGION, vpn_connection_id=vco, minute_period=1, page_size=50)).body
    logs = body.data.logs
    assert logs and body.count == len(logs) and body.is_completed is True
    assert all(LOG_RE.match(line) for line in logs), logs[:3]
    assert all(vco in line for line in logs)
    assert any("timed out" in line or "time up" in line for line in logs)
    # From/To in seconds
    now = int(lab.clock.now())
    win = client.describe_vpn_connection_logs(M.DescribeVpnConnectionLogsRequest(
        region_id=REGION, vpn_connection_id=vco, from_=now - 20, to=now, page_size=50)).body.data.logs
    assert 0 < len(win) < len(logs)
    # EffectImmediately=false: the gateway waits for traffic, nothing is logged
    client.modify_vpn_connection_attribute(M.ModifyVpnConnectionAttributeRequest(
        region_id=REGION, vpn_connection_id=vco, effect_immediately=False))
    lab.advance(UPDATE_S + 60)
    quiet = client.describe_vpn_connection_logs(M.DescribeVpnConnectionLogsRequest(
        region_id=REGION, vpn_connection_id=vco, minute_period=1)).body
    assert quiet.data.logs == [] and quiet.count == 0


def test_negotiation_hook_per_tunnel(lab, client):
    cgw = mk_cgw(client)
    vco = client.create_vpn_connection(dual_req(lab, cgw)).body.vpn_connection_id
    lab.advance(UPDATE_S)
    t1, t2 = describe(client, vco).tunnel_options_specification.tunnel_options
    now = lab.clock.now()
    lab.sim.set_negotiation(vco, "ipsec_sa_established", tunnel_id=t1.tunnel_id, logs=[
        LogLine(now - 5, "INFO", "isakmp.c:2930", "ISAKMP-SA established 198.51.100.10[500]-203.0.113.10[500]"),
        LogLine(now - 4, "INFO", "pfkey.c:1220", "IPsec-SA established: ESP/Tunnel 198.51.100.10->203.0.113.10"),
        LogLine(now - 3600, "INFO", "old.c:1", "outside the window")])
    d = describe(client, vco)
    s1, s2 = [t.status for t in d.tunnel_options_specification.tunnel_options]
    assert (s1, s2) == ("ipsec_sa_established", "ike_sa_not_established")
    assert d.status == "ipsec_sa_established"  # top-level mirrors the master
    logs = client.describe_vpn_connection_logs(M.DescribeVpnConnectionLogsRequest(
        region_id=REGION, vpn_connection_id=vco, tunnel_id=t1.tunnel_id, minute_period=1)).body.data.logs
    assert len(logs) == 2 and "IPsec-SA established" in logs[1] and LOG_RE.match(logs[0])
    paged = client.describe_vpn_connection_logs(M.DescribeVpnConnectionLogsRequest(
        region_id=REGION, vpn_connection_id=vco, tunnel_id=t1.tunnel_id, minute_period=1, page_size=1,
        page_number=2)).body
    assert paged.data.logs == logs[1:] and paged.count == 1
    assert code_of(client.describe_vpn_connection_logs, M.DescribeVpnConnectionLogsRequest(
        region_id=REGION, vpn_connection_id=vco, tunnel_id="tun-nope", minute_period=1))[0] == "InvalidTunnelId.NotFound"
    lab.sim.clear_negotiation(vco, tunnel_id=t1.tunnel_id)
    assert describe(client, vco).status == "ike_sa_not_established"
    with pytest.raises(ValueError):
        lab.sim.set_negotiation(vco, "up")


def test_pluggable_negotiation_source_sees_cloud_config(lab, client):
    seen: list[NegotiationTarget] = []

    class Matching:
        def report(self, target: NegotiationTarget, now: float) -> NegotiationReport:
            seen.append(target)
            ok = target.ike.psk == "Secr3t-Key_1" and target.remote_ip == H3C_IP
            return NegotiationReport("ipsec_sa_established" if ok else "ike_sa_not_established",
                                     [LogLine(now, "INFO", "isakmp.c:1", "established" if ok else "mismatch")])

    lab.sim.set_negotiation_source(Matching())
    cgw = mk_cgw(client)
    vco = client.create_vpn_connection(single_req(lab, cgw)).body.vpn_connection_id
    assert describe(client, vco).status == "ike_sa_not_established"  # not provisioned yet: source not asked
    assert seen == []
    lab.advance(UPDATE_S)
    assert describe(client, vco).status == "ipsec_sa_established"
    t = seen[-1]
    assert t.tunnel is None and t.local_ip == lab.single.internet_ip and t.ike.ike_enc_alg == "aes256"
    assert t.gateway.vpn_gateway_id == lab.single.vpn_gateway_id and t.customer_gateway.ip_address == H3C_IP
    assert t.effect_immediately is True
    # read access to the whole state, as plain objects
    snap = lab.sim.snapshot(REGION)
    assert snap.connections[vco].ike.psk == "Secr3t-Key_1"
    assert snap.vpcs[lab.vpc.vpc_id].system_route_table.route_table_id.startswith("vtb-")
    assert lab.sim.find_connection(vco).ipsec.ipsec_lifetime == 3600


# ------------------------------------------------------------ download config
def test_download_config_single_is_swapped(lab, client):
    cgw = mk_cgw(client)
    vco = client.create_vpn_connection(single_req(lab, cgw)).body.vpn_connection_id
    lab.advance(UPDATE_S)
    c = client.download_vpn_connection_config(M.DownloadVpnConnectionConfigRequest(
        region_id=REGION, vpn_connection_id=vco)).body.vpn_connection_config
    assert c.local == H3C_IP and c.remote == lab.single.internet_ip
    assert c.local_subnet == "192.168.10.0/24" and c.remote_subnet == "172.16.0.0/16"
    assert c.ike_config.local_id == H3C_IP and c.ike_config.remote_id == lab.single.internet_ip
    assert c.ike_config.psk == "Secr3t-Key_1" and c.ipsec_config.ipsec_enc_alg == "aes256"


def test_download_config_dual(lab, client):
    cgw = mk_cgw(client)
    vco = client.create_vpn_connection(dual_req(lab, cgw)).body.vpn_connection_id
    c = client.download_vpn_connection_config(M.DownloadVpnConnectionConfigRequest(
        region_id=REGION, vpn_connection_id=vco)).body.vpn_connection_config
    assert c.local_subnet == "192.168.10.0/24" and c.remote_subnet == "172.16.0.0/16"
    t1, t2 = c.tunnels_config.tunnel_config
    assert (t1.local, t1.remote, t2.remote) == (H3C_IP, "198.51.100.10", "198.51.100.11")
    assert t1.ike_config.local_id == H3C_IP and t1.ike_config.remote_id == "198.51.100.10"
    assert t1.ike_config.psk == "Psk-Master-1" and t2.ike_config.psk == "Psk-Slave-2"
    assert t1.tunnel_id.startswith("tun-")


# ------------------------------------------------------------ idempotency
def test_client_token_idempotency(lab, client):
    cgw = mk_cgw(client)
    first = client.create_vpn_connection(single_req(lab, cgw, client_token="tok-1")).body
    again = client.create_vpn_connection(single_req(lab, cgw, client_token="tok-1")).body
    assert again.vpn_connection_id == first.vpn_connection_id and again.request_id != first.request_id
    assert len(lab.sim.snapshot(REGION).connections) == 1
    code, status = code_of(client.create_vpn_connection, single_req(lab, cgw, client_token="tok-1", name="other"))
    assert (code, status) == ("IdempotentParameterMismatch", 400)
    # a replay wins over the gateway lock; same token on another action is independent
    lab.advance(UPDATE_S)
    c1 = client.create_customer_gateway(M.CreateCustomerGatewayRequest(region_id=REGION, ip_address=H3C_IP2,
                                                                       client_token="tok-1")).body
    c2 = client.create_customer_gateway(M.CreateCustomerGatewayRequest(region_id=REGION, ip_address=H3C_IP2,
                                                                       client_token="tok-1")).body
    assert c1.customer_gateway_id == c2.customer_gateway_id
    assert code_of(client.create_customer_gateway, M.CreateCustomerGatewayRequest(
        region_id=REGION, ip_address=H3C_IP2, client_token="x" * 65))[0] == "InvalidParameter"
