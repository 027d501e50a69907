"""What the real SDK puts on the wire for our requests (a throwaway HTTP server on 127.0.0.1).

Checks the reference's §1.4 for the plan's own calls: single-tunnel IkeConfig/IpsecConfig travel as
JSON strings in the query, dual-tunnel TunnelOptionsSpecification is flattened into the form body.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest

from vpnconsole.alibaba.translate import plan_apply, plan_teardown, sdk_method, to_sdk_request
from vpnconsole.profile import load_profile
from vpnconsole.redact import Secret

from .simulate import results_for

PROJECT = Path(__file__).resolve().parents[2]
PSK_TEXT = "Wire{psk}:[1]=ok"


@pytest.fixture
def recorder():
    seen: list[tuple[str, dict[str, str], dict[str, str]]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length).decode()
            seen.append((self.headers["x-acs-action"], dict(parse_qsl(urlsplit(self.path).query)),
                         dict(parse_qsl(body))))
            out = json.dumps({"RequestId": "r-1"}).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    from alibabacloud_tea_openapi import models as open_api_models
    from alibabacloud_vpc20160428.client import Client

    client = Client(open_api_models.Config(endpoint=f"127.0.0.1:{server.server_port}", protocol="http",
                                           region_id="cn-hangzhou", access_key_id="test-ak",
                                           access_key_secret="test-secret", read_timeout=5000, connect_timeout=2000))
    yield client, seen
    server.shutdown()
    server.server_close()


def _send(client, plan):
    results = results_for(plan)
    for call in plan:
        getattr(client, sdk_method(call.action))(to_sdk_request(call, results))


def test_single_tunnel_wire_format(recorder):
    client, seen = recorder
    p = load_profile(PROJECT / "profiles" / "classic.yaml")
    _send(client, plan_apply(p, Secret(PSK_TEXT, "psk"), nonce="w1"))
    assert [s[0] for s in seen] == ["DescribeVpnGateway", "DescribeRouteTableList", "CreateCustomerGateway",
                                    "CreateVpnConnection", "CreateRouteEntry"]
    action, query, body = seen[3]
    assert body == {}
    assert json.loads(query["IkeConfig"])["Psk"] == PSK_TEXT
    assert json.loads(query["IkeConfig"])["IkeEncAlg"] == "aes"
    assert json.loads(query["IpsecConfig"]) == {"IpsecEncAlg": "aes", "IpsecAuthAlg": "sha1", "IpsecPfs": "group2",
                                                "IpsecLifetime": 86400}
    assert not any(k.startswith("IkeConfig.") for k in query)  # not flattened (the dict-instead-of-JSON bug)
    assert (query["EffectImmediately"], query["EnableDpd"], query["RegionId"]) == ("True", "True", "cn-hangzhou")
    assert query["CustomerGatewayId"] == "cgw-sim0000000001"
    assert query["Tags.1.Key"] == "vpnconsole-lab"
    route = seen[4][1]
    assert (route["RouteTableId"], route["NextHopType"], route["DestinationCidrBlock"]) == \
        ("vtb-sim0000000001", "VpnGateway", "192.168.0.0/24")
    assert all(s[1].get("RegionId") == "cn-hangzhou" for s in seen)


def test_dual_tunnel_wire_format(recorder):
    client, seen = recorder
    p = load_profile(PROJECT / "profiles" / "dual-tunnel.yaml")
    _send(client, plan_apply(p, Secret(PSK_TEXT, "psk"), nonce="w1"))
    action, query, body = next(s for s in seen if s[0] == "CreateVpnConnection")
    assert "IkeConfig" not in query and "CustomerGatewayId" not in query
    assert body["TunnelOptionsSpecification.1.Role"] == "master"
    assert body["TunnelOptionsSpecification.2.Role"] == "slave"
    assert body["TunnelOptionsSpecification.1.TunnelIkeConfig.LocalId"] == "203.0.113.60"
    assert body["TunnelOptionsSpecification.2.TunnelIkeConfig.LocalId"] == "203.0.113.61"
    assert body["TunnelOptionsSpecification.2.TunnelIkeConfig.Psk"] == PSK_TEXT
    assert body["TunnelOptionsSpecification.1.TunnelIpsecConfig.IpsecLifetime"] == "86400"
    assert body["TunnelOptionsSpecification.1.EnableNatTraversal"] == "True"
    assert body["TunnelOptionsSpecification.1.CustomerGatewayId"] == \
        body["TunnelOptionsSpecification.2.CustomerGatewayId"] == "cgw-sim0000000001"


def test_teardown_wire_format(recorder):
    client, seen = recorder
    p = load_profile(PROJECT / "profiles" / "hardened.yaml")
    manifest = {"region": "cn-shanghai", "customer_gateway_id": "cgw-1", "customer_gateway_created": True,
                "vpn_connection_id": "vco-1",
                "route_entries": [{"route_table_id": "vtb-1", "destination": "192.168.0.0/24",
                                   "route_entry_id": "rte-1"}]}
    _send(client, plan_teardown(p, manifest, nonce="w2"))
    assert [s[0] for s in seen] == ["DeleteRouteEntry", "DeleteVpnConnection", "DeleteCustomerGateway"]
    assert seen[0][1] == {"RegionId": "cn-shanghai", "RouteEntryId": "rte-1"}
    assert seen[1][1]["VpnConnectionId"] == "vco-1" and seen[1][1]["ClientToken"].startswith("vpnc-hardened-w2-")
