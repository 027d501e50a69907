"""Alibaba answers → VpnParams: shapes from the reference, loose types, garbage."""

from __future__ import annotations

import copy

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vpnconsole.alibaba.readback import UNKNOWN, UNKNOWN_LIFETIME
from vpnconsole.alibaba.translate import params_from_api, params_from_download, read_connection, read_download
from vpnconsole.params import IkeParams, IpsecParams, TunnelParams, VpnParams, psk_fingerprint

PSK_TEXT = "ReadBack-psk-001"

SINGLE = {
    "RequestId": "r1", "VpnConnectionId": "vco-1", "VpnGatewayId": "vpn-1", "CustomerGatewayId": "cgw-1",
    "Name": "vpnconsole-lab", "LocalSubnet": "172.16.0.0/16", "RemoteSubnet": "192.168.10.0/24,192.168.0.0/24",
    "EffectImmediately": True, "EnableDpd": True, "EnableNatTraversal": False, "State": "active",
    "Status": "ipsec_sa_established", "InternetIp": "203.0.113.20",
    "IkeConfig": {"IkeVersion": "ikev1", "IkeMode": "aggressive", "IkeEncAlg": "aes", "IkeAuthAlg": "sha1",
                  "IkePfs": "group2", "IkeLifetime": 86400, "LocalId": "203.0.113.20", "RemoteId": "198.51.100.10",
                  "Psk": PSK_TEXT},
    "IpsecConfig": {"IpsecEncAlg": "aes256", "IpsecAuthAlg": "sha256", "IpsecPfs": "disabled", "IpsecLifetime": 3600},
    "VcoHealthCheck": {"Enable": "false"}, "VpnBgpConfig": {"EnableBgp": "false"},
}
GATEWAY = {"VpnGatewayId": "vpn-1", "InternetIp": "203.0.113.20", "Status": "active", "VpcId": "vpc-1"}
CGW = {"CustomerGatewayId": "cgw-1", "IpAddress": "198.51.100.10", "Name": "vpnconsole-lab"}


def _tunnel(role, index, ip):
    return {"TunnelId": f"tun-{index}", "Role": role, "TunnelIndex": index, "CustomerGatewayId": "cgw-1",
            "InternetIp": ip, "State": "active", "Status": "ipsec_sa_established",
            "EnableDpd": "true", "EnableNatTraversal": "True",
            "TunnelIkeConfig": {"IkeVersion": "ikev2", "IkeMode": "main", "IkeEncAlg": "aes256", "IkeAuthAlg": "sha256",
                                "IkePfs": "group14", "IkeLifetime": "86400", "LocalId": ip,
                                "RemoteId": "198.51.100.10", "Psk": PSK_TEXT},
            "TunnelIpsecConfig": {"IpsecEncAlg": "aes256", "IpsecAuthAlg": "sha256", "IpsecPfs": "group14",
                                  "IpsecLifetime": "3600"},
            "TunnelBgpConfig": {"BgpStatus": "false"}}


DUAL = {
    "VpnConnectionId": "vco-2", "VpnGatewayId": "vpn-2", "LocalSubnet": "172.16.0.0/16",
    "RemoteSubnet": "192.168.0.0/24", "IkeConfig": {}, "IpsecConfig": {}, "EnableDpd": True,
    "TunnelOptionsSpecification": {"TunnelOptions": [_tunnel("slave", 2, "203.0.113.61"),
                                                     _tunnel("master", 1, "203.0.113.60")]},
}
DUAL_GATEWAY = {"InternetIp": "203.0.113.60", "DisasterRecoveryInternetIp": "203.0.113.61"}


def test_single_tunnel_describe():
    warnings: list[str] = []
    got = params_from_api(SINGLE, GATEWAY, CGW, warnings=warnings)
    assert warnings == []
    fp = psk_fingerprint(PSK_TEXT)
    ike = IkeParams("ikev1", "aggressive", "aes128", "sha1", "group2", 86400, True, False)
    ipsec = IpsecParams("aes256", "sha256", "none", 3600)
    assert got == VpnParams((TunnelParams(ike, ipsec, "198.51.100.10", "203.0.113.20", "198.51.100.10",
                                          "203.0.113.20", fp),),
                            ("192.168.0.0/24", "192.168.10.0/24"), ("172.16.0.0/16",))


def test_dual_tunnel_describe_master_first_strings_normalized():
    result = read_connection(DUAL, DUAL_GATEWAY, CGW)
    assert result.dual_tunnel and result.warnings == []
    master, slave = result.params.tunnels
    assert (master.cloud_ip, slave.cloud_ip) == ("203.0.113.60", "203.0.113.61")
    assert (master.cloud_id, slave.cloud_id) == ("203.0.113.60", "203.0.113.61")
    assert master.ike == IkeParams("ikev2", "main", "aes256", "sha256", "group14", 86400, True, True)
    assert master.ipsec == IpsecParams("aes256", "sha256", "group14", 3600)
    assert master.onprem_ip == "198.51.100.10" and master.psk_fingerprint == psk_fingerprint(PSK_TEXT)
    assert result.params.cloud_subnets == ("172.16.0.0/16",)


def test_dual_tunnel_ips_fall_back_to_the_gateway():
    conn = copy.deepcopy(DUAL)
    for t in conn["TunnelOptionsSpecification"]["TunnelOptions"]:
        del t["InternetIp"]
    master, slave = params_from_api(conn, DUAL_GATEWAY, CGW).tunnels
    assert (master.cloud_ip, slave.cloud_ip) == ("203.0.113.60", "203.0.113.61")


def test_loose_types_are_normalized():
    for lifetime, flag, expect in ((86400, True, True), ("86400", "true", True), ("86400", "False", False),
                                   (86400.0, 1, True), (" 86400 ", 0, False), ("86400.0", "FALSE", False)):
        conn = copy.deepcopy(SINGLE)
        conn["IkeConfig"]["IkeLifetime"] = lifetime
        conn["EnableDpd"] = flag
        warnings: list[str] = []
        got = params_from_api(conn, GATEWAY, CGW, warnings=warnings)
        assert got.tunnels[0].ike.lifetime == 86400 and got.tunnels[0].ike.dpd is expect, (lifetime, flag)
        assert warnings == []


def test_ikev2_reads_as_main_mode():
    conn = copy.deepcopy(SINGLE)
    conn["IkeConfig"]["IkeVersion"] = "ikev2"
    assert params_from_api(conn, GATEWAY, CGW).tunnels[0].ike.mode == "main"


def test_missing_and_garbage_values_become_visible_unknowns_with_warnings():
    conn = copy.deepcopy(SINGLE)
    conn["IkeConfig"].update({"IkeEncAlg": "sm4", "IkeAuthAlg": None, "IkeLifetime": "forever", "Psk": 12})
    conn["IpsecConfig"] = "garbage"
    conn["EnableNatTraversal"] = "maybe"
    conn["LocalSubnet"] = "172.16.0.0/16, nonsense,10.0.0.5/8"
    result = read_connection(conn, GATEWAY, CGW)
    t = result.params.tunnels[0]
    assert t.ike.encryption == "sm4" and t.ike.integrity == UNKNOWN and t.ike.lifetime == UNKNOWN_LIFETIME
    assert t.ipsec == IpsecParams(UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN_LIFETIME)
    assert t.ike.nat_traversal is True and t.psk_fingerprint is None
    assert result.params.cloud_subnets == ("10.0.0.0/8", "172.16.0.0/16")
    text = "\n".join(result.warnings)
    for needle in ("IkeEncAlg", "IkeAuthAlg", "IkeLifetime", "Psk", "IpsecConfig", "EnableNatTraversal", "nonsense",
                   "host bits"):
        assert needle in text, needle


def test_warnings_never_contain_the_psk():
    for bad in (["not", "text"], 12, {"x": 1}, ""):
        conn = copy.deepcopy(SINGLE)
        conn["IkeConfig"]["Psk"] = bad
        conn["IkeConfig"]["IkeLifetime"] = "bad"
        result = read_connection(conn, GATEWAY, CGW)
        assert result.warnings and result.params.tunnels[0].psk_fingerprint is None
        assert all(PSK_TEXT not in w for w in result.warnings)


def test_missing_customer_gateway_and_gateway():
    result = read_connection(SINGLE, None, None)
    assert result.params.tunnels[0].onprem_ip is None
    assert result.params.tunnels[0].cloud_ip == "203.0.113.20"  # from the connection's InternetIp
    assert any("customer gateway" in w for w in result.warnings)
    other = dict(CGW, CustomerGatewayId="cgw-other")
    assert params_from_api(SINGLE, GATEWAY, other).tunnels[0].onprem_ip is None


def test_alias_spelling_is_read_with_a_warning():
    conn = copy.deepcopy(SINGLE)
    conn["IkeConfig"]["IkeEncAlg"] = "AES128"
    result = read_connection(conn, GATEWAY, CGW)
    assert result.params.tunnels[0].ike.encryption == "aes128"
    assert any("not Alibaba's spelling" in w for w in result.warnings)


def test_dual_tunnel_with_bad_roles_is_warned():
    conn = copy.deepcopy(DUAL)
    conn["TunnelOptionsSpecification"]["TunnelOptions"][0]["Role"] = "master"
    result = read_connection(conn, DUAL_GATEWAY, CGW)
    assert len(result.params.tunnels) == 2 and any("one master and one slave" in w for w in result.warnings)


def test_download_single_is_swapped_back():
    download = {"RequestId": "r", "VpnConnectionConfig": {
        "Local": "198.51.100.10", "Remote": "203.0.113.20",
        "LocalSubnet": "192.168.0.0/24,192.168.10.0/24", "RemoteSubnet": "172.16.0.0/16",
        "IkeConfig": {**SINGLE["IkeConfig"], "LocalId": "198.51.100.10", "RemoteId": "203.0.113.20"},
        "IpsecConfig": SINGLE["IpsecConfig"]}}
    warnings: list[str] = []
    assert params_from_download(download, SINGLE, warnings=warnings) == params_from_api(SINGLE, GATEWAY, CGW)
    assert warnings == []
    alone = read_download(download)
    assert alone.params.tunnels[0].ike.nat_traversal is True  # not in the download: Alibaba's default
    assert any("DPD" in w for w in alone.warnings)


def test_download_dual_orders_by_the_connection_roles():
    configs = []
    for t in DUAL["TunnelOptionsSpecification"]["TunnelOptions"]:  # slave first, as the server sent them
        ike = t["TunnelIkeConfig"]
        configs.append({"TunnelId": t["TunnelId"], "Local": "198.51.100.10", "Remote": t["InternetIp"],
                        "IkeConfig": {**ike, "LocalId": ike["RemoteId"], "RemoteId": ike["LocalId"]},
                        "IpsecConfig": t["TunnelIpsecConfig"]})
    download = {"VpnConnectionConfig": {"LocalSubnet": "192.168.0.0/24", "RemoteSubnet": "172.16.0.0/16",
                                        "Local": "198.51.100.10", "Remote": "203.0.113.60",
                                        "TunnelsConfig": {"TunnelConfig": configs}}}
    result = read_download(download, DUAL)
    assert result.dual_tunnel and result.warnings == []
    assert result.params == params_from_api(DUAL, DUAL_GATEWAY, CGW)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(
        st.sampled_from(["IkeConfig", "IpsecConfig", "TunnelOptionsSpecification", "TunnelOptions", "Role",
                         "LocalSubnet", "RemoteSubnet", "IkeLifetime", "EnableDpd", "Psk", "InternetIp",
                         "VpnConnectionConfig", "TunnelsConfig", "TunnelConfig", "Local", "Remote", "TunnelId",
                         "TunnelIkeConfig", "TunnelIpsecConfig", "IkeEncAlg", "IpsecPfs", "CustomerGatewayId",
                         "TunnelIndex", "IkeVersion", "IkeMode", "LocalId", "IpAddress", "EnableNatTraversal"]),
        children, max_size=6),
    max_leaves=25)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(conn=json_values, gw=json_values, cgw=json_values)
def test_garbage_never_raises(conn, gw, cgw):
    params_from_api(conn, gw, cgw, warnings=[])
    params_from_download(conn, gw, warnings=[])
    params_from_download({"VpnConnectionConfig": conn}, {"TunnelOptionsSpecification": gw})


def _paths(node, prefix=()):
    if isinstance(node, dict):
        for k, v in node.items():
            yield prefix + (k,)
            yield from _paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield prefix + (i,)
            yield from _paths(v, prefix + (i,))


def _replace(doc, path, value):
    node = doc
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), base=st.sampled_from(["single", "dual"]))
def test_realistic_bodies_with_garbage_in_places_never_raise(data, base):
    conn = copy.deepcopy(SINGLE if base == "single" else DUAL)
    paths = list(_paths(conn))
    for path in data.draw(st.lists(st.sampled_from(paths), min_size=1, max_size=4, unique=True)):
        try:
            _replace(conn, path, data.draw(json_values))
        except (KeyError, IndexError, TypeError):
            pass  # an earlier replacement removed the parent
    warnings: list[str] = []
    params_from_api(conn, DUAL_GATEWAY if base == "dual" else GATEWAY, CGW, warnings=warnings)
    assert all(PSK_TEXT not in w for w in warnings)


def test_customer_gateway_list_body_is_accepted():
    listing = {"CustomerGateways": {"CustomerGateway": [dict(CGW, CustomerGatewayId="cgw-0", IpAddress="192.0.2.1"),
                                                        CGW]}, "TotalCount": 2}
    assert params_from_api(SINGLE, GATEWAY, listing).tunnels[0].onprem_ip == "198.51.100.10"
    warnings: list[str] = []
    params_from_api(SINGLE, GATEWAY, {"CustomerGateways": {"CustomerGateway": []}}, warnings=warnings)
    assert any("not in the list" in w for w in warnings)
