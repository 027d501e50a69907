"""Fault knobs of the simulated Alibaba VPC API, and how the real SDK surfaces each."""

from __future__ import annotations

import time

import pytest
from alibabacloud_tea_openapi import exceptions as oa_exc
from darabonba.exceptions import UnretryableException
from darabonba.policy.retry import RetryCondition, RetryOptions

from tests.lab.conftest_aliyun import *  # noqa: F401,F403
from tests.lab.conftest_aliyun import H3C_IP, REGION, M, client, ike_json, lab, make_client  # noqa: F401

DESCRIBE = "DescribeVpnGateways"


def describe(client):
    return client.describe_vpn_gateways(M.DescribeVpnGatewaysRequest(region_id=REGION))


def retrying_client(lab, codes=(), exceptions=()):
    opts = RetryOptions({"retryable": True, "retryCondition": [RetryCondition({
        "maxAttempts": 3, "errorCode": list(codes), "exception": list(exceptions),
        "backoff": {"policy": "Fixed", "period": 10}, "maxDelay": 1000})], "noRetryCondition": []})
    return make_client(lab.server, retry_options=opts)


def test_throttle_plain_and_scoped(lab, client):
    lab.sim.faults.throttle(DESCRIBE, times=2)
    for _ in range(2):
        with pytest.raises(oa_exc.ClientException) as ei:
            describe(client)
        assert ei.value.code == "Throttling.User" and ei.value.status_code == 400
        assert not isinstance(ei.value, oa_exc.ThrottlingException)
    # other actions were never affected, and the knob is spent
    client.describe_regions(M.DescribeRegionsRequest())
    assert describe(client).body.total_count == 2
    assert lab.sim.faults.history == [(DESCRIBE, "throttle")] * 2


def test_throttle_with_retry_after(lab, client):
    lab.sim.faults.throttle(DESCRIBE, retry_after_ms=1500)
    with pytest.raises(oa_exc.ThrottlingException) as ei:
        describe(client)
    assert ei.value.code == "Throttling.User" and ei.value.retry_after == 1500


def test_sdk_retry_honours_throttling(lab):
    lab.sim.faults.throttle(DESCRIBE, times=2, retry_after_ms=20)
    c = retrying_client(lab, codes=["Throttling.User"])
    assert describe(c).body.total_count == 2
    assert len(lab.sim.faults.history) == 2


def test_service_unavailable(lab, client):
    lab.sim.faults.unavailable()  # global
    with pytest.raises(oa_exc.ServerException) as ei:
        client.describe_regions(M.DescribeRegionsRequest())
    assert ei.value.code == "ServiceUnavailable" and ei.value.status_code == 503
    assert ei.value.data["HostId"] == "vpc.aliyuncs.com"


def test_error_after_commit_then_client_token_replay(lab, client):
    cgw = client.create_customer_gateway(M.CreateCustomerGatewayRequest(
        region_id=REGION, ip_address=H3C_IP)).body.customer_gateway_id
    req = M.CreateVpnConnectionRequest(
        region_id=REGION, vpn_gateway_id=lab.single.vpn_gateway_id, customer_gateway_id=cgw,
        local_subnet="172.16.0.0/16", remote_subnet="192.168.10.0/24", ike_config=ike_json(), client_token="op-42")
    lab.sim.faults.error_after_commit("CreateVpnConnection")
    with pytest.raises(oa_exc.ServerException) as ei:
        client.create_vpn_connection(req)
    assert ei.value.status_code == 500 and ei.value.code == "InternalError"
    # ... but the connection exists (terraform issue #4808)
    listed = client.describe_vpn_connections(M.DescribeVpnConnectionsRequest(
        region_id=REGION, vpn_gateway_id=lab.single.vpn_gateway_id)).body.vpn_connections.vpn_connection
    assert len(listed) == 1
    # retrying with the same token returns the original result, even though the gateway is still updating
    again = client.create_vpn_connection(req).body
    assert again.vpn_connection_id == listed[0].vpn_connection_id
    assert len(lab.sim.snapshot(REGION).connections) == 1


def test_html_502(lab, client):
    lab.sim.faults.html_502(DESCRIBE)
    with pytest.raises(UnretryableException) as ei:
        describe(client)
    assert getattr(ei.value, "code", None) is None
    assert describe(client).body.total_count == 2


def test_dropped_connection(lab, client):
    lab.sim.faults.drop(DESCRIBE)
    with pytest.raises(UnretryableException):
        describe(client)
    # with the SDK's RetryError condition, a single drop is retried transparently
    lab.sim.faults.drop(DESCRIBE)
    assert describe(retrying_client(lab, exceptions=["RetryError"])).body.total_count == 2


def test_slow_answer(lab):
    lab.sim.faults.delay(1.0, DESCRIBE)
    fast = make_client(lab.server, read_timeout=150)
    t0 = time.monotonic()
    with pytest.raises(UnretryableException):
        describe(fast)
    assert time.monotonic() - t0 < 0.9
    lab.sim.faults.delay(0.2, DESCRIBE)
    t0 = time.monotonic()
    assert describe(make_client(lab.server)).body.total_count == 2
    assert time.monotonic() - t0 >= 0.2


def test_generic_error_and_unlimited_until_cleared(lab, client):
    lab.sim.faults.error(500, "UnknownError", "The request processing has failed due to some unknown error.",
                         action=DESCRIBE, times=None)
    for _ in range(3):
        with pytest.raises(oa_exc.ServerException) as ei:
            describe(client)
        assert ei.value.code == "UnknownError"
    assert lab.sim.faults.armed
    lab.sim.faults.clear()
    assert describe(client).body.total_count == 2
    with pytest.raises(ValueError):
        lab.sim.faults.throttle(times=0)
