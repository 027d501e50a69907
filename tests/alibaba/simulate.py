"""What Alibaba would answer to an executed apply plan, built the way the real API echoes a request.

Written from ``alibaba-vpn-api.md`` (§1.5, §2.2, §2.3.5, §2.4), independent of the read-back code:
the request's JSON-string IkeConfig/IpsecConfig come back as objects; in tunnel blocks lifetimes and
DPD/NAT-T flags come back as strings; the PSK comes back in clear; DownloadVpnConnectionConfig is
written from the customer gateway's point of view (Local/Remote, subnets and identities swapped).
``style`` chooses among the loose types the real API is known to use.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from vpnconsole.alibaba.plan import AlibabaPlan


@dataclass(frozen=True)
class Style:
    """Which of the documented loose encodings an answer uses."""

    int_as_str: bool = False  # connection-level lifetimes as "86400" (tunnel blocks always strings)
    bool_spelling: str = "bool"  # bool | lower ("true") | title ("True") — top-level flags
    tunnel_bool_spelling: str = "lower"  # lower | title — tunnel flags are strings
    slave_first: bool = False  # TunnelOptions order as sent by the server
    empty_tunnel_options: bool = False  # single tunnel: an empty TunnelOptions wrapper present


CGW_ID = "cgw-sim0000000001"
VCO_ID = "vco-sim0000000001"
VPC_ID = "vpc-sim0000000001"
SYSTEM_TABLE = "vtb-sim0000000001"


def results_for(plan: AlibabaPlan) -> dict[str, dict[str, Any]]:
    """Response bodies of the plan's steps (what refs resolve against)."""
    results: dict[str, dict[str, Any]] = {}
    for n, call in enumerate(plan.calls):
        if call.action == "DescribeVpnGateway":
            results[call.step] = {"VpnGatewayId": call.params["VpnGatewayId"], "VpcId": VPC_ID, "Status": "active"}
        elif call.action == "DescribeRouteTableList":
            results[call.step] = {"RouterTableList": {"RouterTableListType": [
                {"RouteTableId": SYSTEM_TABLE, "RouteTableType": "System", "VpcId": VPC_ID}]}, "TotalCount": 1}
        elif call.action == "CreateCustomerGateway":
            results[call.step] = {"CustomerGatewayId": CGW_ID, "IpAddress": call.params["IpAddress"]}
        elif call.action == "CreateVpnConnection":
            results[call.step] = {"VpnConnectionId": VCO_ID, "Name": call.params.get("Name")}
        elif call.action == "CreateRouteEntry":
            results[call.step] = {"RouteEntryId": f"rte-sim{n:010d}"}
    return results


def _bool(value: bool, spelling: str) -> Any:
    if spelling == "bool":
        return value
    text = "true" if value else "false"
    return text.title() if spelling == "title" else text


def _int(value: int, as_str: bool) -> Any:
    return str(value) if as_str else value


def _ike_echo(ike: dict[str, Any], *, as_str: bool) -> dict[str, Any]:
    out = dict(ike)
    out["IkeLifetime"] = _int(int(ike["IkeLifetime"]), as_str)
    return out


def _ipsec_echo(ipsec: dict[str, Any], *, as_str: bool) -> dict[str, Any]:
    out = dict(ipsec)
    out["IpsecLifetime"] = _int(int(ipsec["IpsecLifetime"]), as_str)
    return out


def answers(plan: AlibabaPlan, gateway_ips: list[str], style: Style = Style()) -> dict[str, Any]:
    """DescribeVpnConnection, DescribeVpnGateway, the customer gateway and DownloadVpnConnectionConfig
    bodies after ``plan`` ran."""
    results = results_for(plan)
    create_cgw = plan.step("customer-gateway").reveal(results)
    create = plan.step("vpn-connection").reveal(results)
    gateway = {"VpnGatewayId": create["VpnGatewayId"], "VpcId": VPC_ID, "Status": "active",
               "InternetIp": gateway_ips[0], "Spec": "10M", "Tag": '{"VpnEnableBgp":"true"}',
               "BusinessStatus": "Normal", "VpnType": "Normal"}
    if len(gateway_ips) > 1:
        gateway["DisasterRecoveryInternetIp"] = gateway_ips[1]
        gateway["DisasterRecoveryVSwitchId"] = "vsw-sim2"
    cgw = {"CustomerGatewayId": CGW_ID, "IpAddress": create_cgw["IpAddress"], "Name": create_cgw["Name"],
           "Description": create_cgw["Description"], "Asn": 0}
    connection: dict[str, Any] = {
        "RequestId": "sim-1", "VpnConnectionId": VCO_ID, "VpnGatewayId": create["VpnGatewayId"],
        "Name": create["Name"], "LocalSubnet": create["LocalSubnet"], "RemoteSubnet": create["RemoteSubnet"],
        "CreateTime": 1700000000000, "EffectImmediately": create["EffectImmediately"],
        "State": "active", "NetworkType": "public", "Spec": "1000M",
        "VpnBgpConfig": {"EnableBgp": "false", "Status": "false"},
    }
    download: dict[str, Any] = {"LocalSubnet": create["RemoteSubnet"], "RemoteSubnet": create["LocalSubnet"],
                                "Local": create_cgw["IpAddress"], "Remote": gateway_ips[0]}
    if "TunnelOptionsSpecification" in create:
        tunnels, configs = [], []
        for index, t in enumerate(create["TunnelOptionsSpecification"], 1):
            ip = gateway_ips[0] if t["Role"] == "master" else gateway_ips[1]
            tid = f"tun-sim{index:010d}"
            tunnels.append({
                "TunnelId": tid, "Role": t["Role"], "TunnelIndex": index, "CustomerGatewayId": t["CustomerGatewayId"],
                "InternetIp": ip, "ZoneNo": "cn-sim-a", "State": "active", "Status": "ipsec_sa_established",
                "EnableDpd": _bool(t["EnableDpd"], style.tunnel_bool_spelling),
                "EnableNatTraversal": _bool(t["EnableNatTraversal"], style.tunnel_bool_spelling),
                "TunnelIkeConfig": _ike_echo(t["TunnelIkeConfig"], as_str=True),
                "TunnelIpsecConfig": _ipsec_echo(t["TunnelIpsecConfig"], as_str=True),
                "TunnelBgpConfig": {"BgpStatus": "false", "LocalAsn": "45104"},
            })
            ike = t["TunnelIkeConfig"]
            configs.append({"TunnelId": tid, "Local": create_cgw["IpAddress"], "Remote": ip,
                            "IkeConfig": {**ike, "LocalId": ike["RemoteId"], "RemoteId": ike["LocalId"]},
                            "IpsecConfig": dict(t["TunnelIpsecConfig"])})
        if style.slave_first:
            tunnels.reverse()
            configs.reverse()
        connection["TunnelOptionsSpecification"] = {"TunnelOptions": tunnels}
        # Top-level blocks of a dual-tunnel connection carry nothing meaningful.
        connection["IkeConfig"] = {}
        connection["IpsecConfig"] = {}
        connection["Status"] = "ipsec_sa_established"
        download["TunnelsConfig"] = {"TunnelConfig": configs}
    else:
        ike = json.loads(create["IkeConfig"])
        ipsec = json.loads(create["IpsecConfig"])
        connection.update({
            "CustomerGatewayId": create["CustomerGatewayId"], "InternetIp": gateway_ips[0],
            "Status": "ipsec_sa_established",
            "EnableDpd": _bool(create["EnableDpd"], style.bool_spelling),
            "EnableNatTraversal": _bool(create["EnableNatTraversal"], style.bool_spelling),
            "IkeConfig": _ike_echo(ike, as_str=style.int_as_str),
            "IpsecConfig": _ipsec_echo(ipsec, as_str=style.int_as_str),
            "VcoHealthCheck": {"Enable": "false"},
        })
        if style.empty_tunnel_options:
            connection["TunnelOptionsSpecification"] = {"TunnelOptions": []}
        download["IkeConfig"] = {**ike, "LocalId": ike["RemoteId"], "RemoteId": ike["LocalId"]}
        download["IpsecConfig"] = ipsec
    return {"connection": connection, "gateway": gateway, "customer_gateway": cgw,
            "download": {"RequestId": "sim-2", "VpnConnectionConfig": download}, "results": results}
