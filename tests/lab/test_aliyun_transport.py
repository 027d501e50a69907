"""Transport of the simulated Alibaba VPC API: SDK wiring, credentials, RegionId, unknown actions, logging."""

from __future__ import annotations

import hashlib
import json
import logging
import urllib.error
import urllib.parse
import urllib.request

import pytest
from alibabacloud_tea_openapi import exceptions as oa_exc

from tests.lab.conftest_aliyun import *  # noqa: F401,F403
from tests.lab.conftest_aliyun import H3C_IP, REGION, M, client, ike_json, ipsec_json, lab, make_client, tunnel  # noqa: F401
from vpnconsole.lab.aliyun import AliyunLabServer, AliyunVpcSim, ManualClock, ThreadedAliyunLab, Timing


def raw_post(lab, params: dict, headers: dict | None = None, body: bytes = b"", method: str = "POST"):
    """A hand-made request (the SDK refuses to send some of these)."""
    url = f"http://{lab.server.endpoint}/?" + urllib.parse.urlencode(params)
    req = urllib.request.Request(url, data=body if method == "POST" else None, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=3) as r:
            return r.status, dict(r.headers), json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), json.loads(e.read())


AUTH = {"Authorization": "ACS3-HMAC-SHA256 Credential=x,SignedHeaders=host,Signature=00"}


def test_sdk_round_trip_and_unique_request_ids(lab, client):
    ids = set()
    for _ in range(3):
        r = client.describe_vpn_gateways(M.DescribeVpnGatewaysRequest(region_id=REGION))
        assert r.status_code == 200
        ids.add(r.body.request_id)
    assert len(ids) == 3
    assert r.headers["content-type"].startswith("application/json")


def test_missing_credentials(lab):
    status, _, body = raw_post(lab, {"RegionId": REGION}, {"x-acs-action": "DescribeVpnGateways"})
    assert status == 400 and body["Code"] == "InvalidAccessKeyId.NotFound"
    assert set(body) == {"RequestId", "HostId", "Code", "Message", "Recommend"}
    status, _, body = raw_post(lab, {"RegionId": REGION}, {"x-acs-action": "DescribeVpnGateways",
                                                           "Authorization": "ACS3-HMAC-SHA256 Signature=00"})
    assert status == 400 and body["Code"] == "IncompleteSignature"
    # legacy v2 style: AccessKeyId without Signature
    status, _, body = raw_post(lab, {"RegionId": REGION, "Action": "DescribeVpnGateways", "AccessKeyId": "x"})
    assert body["Code"] == "IncompleteSignature"


def test_legacy_action_param_and_v2_signing(lab):
    # fallback: Action query parameter (legacy RPC signing puts everything in the query)
    status, _, body = raw_post(lab, {"RegionId": REGION, "Action": "DescribeVpnGateways", "AccessKeyId": "x",
                                     "Signature": "abc", "Version": "2016-04-28", "Format": "json",
                                     "SignatureNonce": "n", "Timestamp": "2026-01-01T00:00:00Z"})
    assert status == 200 and body["TotalCount"] == 2
    # the real SDK with signature_algorithm v2
    c = make_client(lab.server, signature_algorithm="v2")
    assert c.describe_vpn_gateways(M.DescribeVpnGatewaysRequest(region_id=REGION)).body.total_count == 2


def test_wrong_version(lab):
    status, _, body = raw_post(lab, {"RegionId": REGION}, {"x-acs-action": "DescribeVpnGateways",
                                                           "x-acs-version": "2014-05-26", **AUTH})
    assert status == 400 and body["Code"] == "InvalidVersion"


def test_sdk_without_credentials_fails_before_io(lab):
    from alibabacloud_tea_openapi import models as open_api_models
    from alibabacloud_vpc20160428.client import Client

    c = Client(open_api_models.Config(endpoint=lab.server.endpoint, protocol="http", region_id=REGION,
                                      access_key_id="", access_key_secret=""))
    before = lab.sim.request_count
    with pytest.raises(Exception):
        c.describe_vpn_gateways(M.DescribeVpnGatewaysRequest(region_id=REGION))
    assert lab.sim.request_count == before


def test_missing_region_id(lab, client):
    with pytest.raises(oa_exc.ClientException) as ei:
        client.describe_vpn_gateways(M.DescribeVpnGatewaysRequest())
    assert ei.value.code == "MissingRegionId" and ei.value.status_code == 400
    assert "RegionId" in ei.value.data["Message"]
    with pytest.raises(oa_exc.ClientException) as ei:
        client.describe_vpn_gateways(M.DescribeVpnGatewaysRequest(region_id="xx-nowhere-1"))
    assert ei.value.code == "InvalidRegionId.NotFound" and ei.value.status_code == 404
    # DescribeRegions has no RegionId in its request model
    assert client.describe_regions(M.DescribeRegionsRequest()).body.regions.region


def test_missing_parameter_names_it(lab, client):
    with pytest.raises(oa_exc.ClientException) as ei:
        client.describe_vpn_gateway(M.DescribeVpnGatewayRequest(region_id=REGION))
    assert ei.value.code == "MissingParameter" and "VpnGatewayId" in ei.value.data["Message"]


def test_unknown_action(lab, client, caplog):
    from alibabacloud_tea_openapi.utils_models import Params, OpenApiRequest
    from darabonba.runtime import RuntimeOptions

    params = Params(action="FrobnicateVpnGateway", version="2016-04-28", protocol="HTTP", pathname="/",
                    method="POST", auth_type="AK", style="RPC", req_body_type="formData", body_type="json")
    with caplog.at_level(logging.WARNING, logger="vpnconsole.lab.aliyun"):
        with pytest.raises(oa_exc.ClientException) as ei:
            client.call_api(params, OpenApiRequest(query={"RegionId": REGION}), RuntimeOptions())
    assert ei.value.code == "InvalidAction.NotFound" and ei.value.status_code == 404
    assert any("FrobnicateVpnGateway" in r.getMessage() for r in caplog.records)


def test_content_sha256_mismatch(lab):
    body = b"TunnelOptionsSpecification.1.Role=master"
    status, _, out = raw_post(lab, {"RegionId": REGION}, {
        "x-acs-action": "DescribeVpnGateways", **AUTH, "Content-Type": "application/x-www-form-urlencoded",
        "x-acs-content-sha256": hashlib.sha256(b"other").hexdigest()}, body)
    assert status == 400 and out["Code"] == "SignatureDoesNotMatch"


def test_form_body_merged_with_query(lab):
    body = urllib.parse.urlencode({"VpnGatewayId": lab.dual.vpn_gateway_id}).encode()
    status, _, out = raw_post(lab, {"RegionId": REGION}, {
        "x-acs-action": "DescribeVpnGateway", **AUTH, "Content-Type": "application/x-www-form-urlencoded",
        "x-acs-content-sha256": hashlib.sha256(body).hexdigest()}, body)
    assert status == 200 and out["VpnGatewayId"] == lab.dual.vpn_gateway_id


def test_get_available_zones(lab, client):
    r = client.describe_vpn_gateway_available_zones(
        M.DescribeVpnGatewayAvailableZonesRequest(region_id=REGION, spec="10M"))
    assert {z.zone_id for z in r.body.available_zone_id_list} == {"cn-shanghai-b", "cn-shanghai-g"}


def test_binds_loopback_only():
    with pytest.raises(ValueError):
        AliyunLabServer(host="0.0.0.0")


def test_threaded_lab_clean_shutdown():
    lab = ThreadedAliyunLab(AliyunVpcSim(clock=ManualClock())).start()
    port = lab.port
    lab.stop()
    import socket

    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
    lab.stop()  # idempotent


async def test_in_loop_server_with_async_sdk():
    clock = ManualClock()
    sim = AliyunVpcSim(clock=clock, timing=Timing(gateway_update_seconds=2), rng_seed=7)
    vpc = sim.add_vpc(REGION, vswitches=["172.16.1.0/24", "172.16.2.0/24"])
    gw = sim.add_vpn_gateway(REGION, vpc.vpc_id, dual_tunnel=False)
    async with AliyunLabServer(sim) as srv:
        from alibabacloud_tea_openapi import models as open_api_models
        from alibabacloud_vpc20160428.client import Client

        c = Client(open_api_models.Config(**srv.sdk_config_kwargs(REGION, read_timeout=3000, connect_timeout=1000)))
        cgw = (await c.create_customer_gateway_async(
            M.CreateCustomerGatewayRequest(region_id=REGION, ip_address=H3C_IP))).body.customer_gateway_id
        r = await c.create_vpn_connection_async(M.CreateVpnConnectionRequest(
            region_id=REGION, vpn_gateway_id=gw.vpn_gateway_id, customer_gateway_id=cgw,
            local_subnet="172.16.0.0/16", remote_subnet="192.168.10.0/24", ike_config=ike_json(),
            ipsec_config=ipsec_json()))
        g = await c.describe_vpn_gateway_async(M.DescribeVpnGatewayRequest(region_id=REGION,
                                                                            vpn_gateway_id=gw.vpn_gateway_id))
        assert g.body.status == "updating"
        clock.advance(2)
        g = await c.describe_vpn_gateway_async(M.DescribeVpnGatewayRequest(region_id=REGION,
                                                                            vpn_gateway_id=gw.vpn_gateway_id))
        assert g.body.status == "active"
        d = await c.describe_vpn_connection_async(M.DescribeVpnConnectionRequest(
            region_id=REGION, vpn_connection_id=r.body.vpn_connection_id))
        assert d.body.state == "active"


def test_psk_never_logged(lab, client, caplog):
    psk1, psk2, psk3, psk4 = "Zq9-PSK-one-1111", "Zq9-PSK-two-2222", "Zq9-PSK-3-3333", "Zq9-PSK-bad'4444"
    with caplog.at_level(logging.DEBUG, logger="vpnconsole.lab.aliyun"):
        cgw = client.create_customer_gateway(M.CreateCustomerGatewayRequest(
            region_id=REGION, ip_address=H3C_IP, auth_key="bgp-md5-secret")).body.customer_gateway_id
        client.create_vpn_connection(M.CreateVpnConnectionRequest(
            region_id=REGION, vpn_gateway_id=lab.dual.vpn_gateway_id, local_subnet="172.16.0.0/16",
            remote_subnet="192.168.10.0/24",
            tunnel_options_specification=[tunnel("master", cgw, psk1), tunnel("slave", cgw, psk2)]))
        lab.advance(10)
        client.create_vpn_connection(M.CreateVpnConnectionRequest(
            region_id=REGION, vpn_gateway_id=lab.single.vpn_gateway_id, customer_gateway_id=cgw,
            local_subnet="172.16.0.0/16", remote_subnet="192.168.10.0/24", ike_config=ike_json(psk3)))
        with pytest.raises(oa_exc.ClientException):  # invalid PSK: must not be echoed either
            client.create_vpn_connection(M.CreateVpnConnectionRequest(
                region_id=REGION, vpn_gateway_id=lab.single.vpn_gateway_id, customer_gateway_id=cgw,
                local_subnet="172.16.0.0/16", remote_subnet="192.168.10.0/24", ike_config=ike_json(psk4)))
        with pytest.raises(oa_exc.ClientException):  # unparseable JSON containing the PSK
            client.create_vpn_connection(M.CreateVpnConnectionRequest(
                region_id=REGION, vpn_gateway_id=lab.single.vpn_gateway_id, customer_gateway_id=cgw,
                local_subnet="172.16.0.0/16", remote_subnet="192.168.10.0/24", ike_config='{"Psk": "' + psk4))
        client.describe_vpn_connections(M.DescribeVpnConnectionsRequest(region_id=REGION))
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "CreateVpnConnection" in text
    for secret in (psk1, psk2, psk3, psk4, "bgp-md5-secret"):
        assert secret not in text
