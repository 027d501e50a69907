"""A table of bad profiles: each must be refused with exit code 2 and a message naming the key.

Each case starts from a valid profile (the classic example), changes one thing, runs
``vpnconsole validate`` in-process and checks the exit code and that stderr names the key path and
says what is allowed.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from vpnconsole.cli import main

BASE = yaml.safe_load((Path(__file__).resolve().parents[2] / "profiles" / "classic.yaml").read_text())
DELETE = object()


def mutate(data: dict, path: str, value: Any) -> dict:
    data = copy.deepcopy(data)
    keys = path.split(".")
    node = data
    for key in keys[:-1]:
        node = node.setdefault(key, {}) if isinstance(node, dict) else node[int(key)]
    last = keys[-1]
    if value is DELETE:
        del node[last]
    else:
        node[last] = value
    return data


# (case id, key path changed, new value, key path expected in the message, words expected in it)
CASES = [
    ("name-uppercase", "name", "Classic_Lab", "name", "a-z"),
    ("name-too-long", "name", "x" * 40, "name", "at most 32"),
    ("name-missing", "name", DELETE, "name", "required"),
    ("version-2", "version", 2, "version", "allowed 1–1"),
    ("unknown-top-key", "tunnels", 2, "tunnels", "unknown key"),
    ("psk-in-profile", "ike.psk", "secret123", "ike.psk", "keyring"),
    ("password-in-device", "onprem.device.password", "hunter22", "onprem.device.password", "keyring"),
    ("typo-key-suggests", "onprem.subnet", ["192.168.0.0/24"], "onprem.subnet", "did you mean 'subnets'"),
    ("onprem-not-mapping", "onprem", "router", "onprem", "must be a mapping"),
    ("device-missing", "onprem.device", DELETE, "onprem.device", "required"),
    ("host-bad", "onprem.device.host", "bad host!", "onprem.device.host", "neither an IPv4 address nor a host"),
    ("port-zero", "onprem.device.port", 0, "onprem.device.port", "1–65535"),
    ("port-text", "onprem.device.port", "ssh", "onprem.device.port", "whole number"),
    ("username-space", "onprem.device.username", "ad min", "onprem.device.username", "no spaces"),
    ("platform-unknown", "onprem.device.platform", "comware9", "onprem.device.platform", "comware7, comware5"),
    ("public-ip-private", "onprem.public_ip", "192.168.1.1", "onprem.public_ip", "private"),
    ("public-ip-cgnat", "onprem.public_ip", "100.64.1.1", "onprem.public_ip", "carrier-grade NAT"),
    ("public-ip-garbage", "onprem.public_ip", "198.51.100.300", "onprem.public_ip", "not an IPv4 address"),
    ("public-ip-missing", "onprem.public_ip", DELETE, "onprem.public_ip", "required"),
    ("wan-interface-bad", "onprem.wan_interface", "eth zero", "onprem.wan_interface", "GigabitEthernet0/1"),
    ("subnet-host-bits", "onprem.subnets", ["192.168.0.1/24"], "onprem.subnets[0]", "did you mean 192.168.0.0/24"),
    ("subnet-no-prefix", "onprem.subnets", ["192.168.0.0"], "onprem.subnets[0]", "no prefix length"),
    ("subnet-garbage", "onprem.subnets", ["lan"], "onprem.subnets[0]", "CIDR"),
    ("subnet-duplicate", "onprem.subnets", ["192.168.0.0/24", "192.168.0.0/24"], "onprem.subnets[1]", "listed twice"),
    ("subnet-nested", "onprem.subnets", ["192.168.0.0/16", "192.168.1.0/24"], "onprem.subnets[1]", "overlaps"),
    ("subnet-default-route", "cloud.subnets", ["0.0.0.0/0"], "cloud.subnets[0]", "destination-routing"),
    ("subnets-empty", "onprem.subnets", [], "onprem.subnets", "at least one"),
    ("subnets-too-many", "cloud.subnets", [f"172.16.{i}.0/24" for i in range(11)], "cloud.subnets", "at most 10"),
    ("sides-overlap", "cloud.subnets", ["192.168.0.0/25"], "cloud.subnets[0]", "overlaps the on-prem network"),
    ("nat-acl-basic", "onprem.nat_outbound_acl", 2001, "onprem.nat_outbound_acl", "advanced ACL"),
    ("nat-acl-range", "onprem.nat_outbound_acl", 5000, "onprem.nat_outbound_acl", "2000–3999"),
    ("lan-address-outside", "onprem.lan_address", "10.9.9.9", "onprem.lan_address", "not inside onprem.subnets"),
    ("next-hop-bad", "onprem.next_hop", "gateway", "onprem.next_hop", "not an IPv4 address"),
    ("region-bad", "cloud.region", "Hangzhou", "cloud.region", "cn-hangzhou"),
    ("gateway-id-bad", "cloud.vpn_gateway_id", "vgw-123", "cloud.vpn_gateway_id", "'vpn-'"),
    ("gateway-id-missing", "cloud.vpn_gateway_id", DELETE, "cloud.vpn_gateway_id", "required"),
    ("route-table-bad", "cloud.route_table_id", "rtb-1234567890", "cloud.route_table_id", "'vtb-'"),
    ("endpoint-bad", "cloud.endpoint", "ftp://x", "cloud.endpoint", "host[:port]"),
    ("gateway-ips-three", "cloud.gateway_ips", ["203.0.113.1", "203.0.113.2", "203.0.113.3"], "cloud.gateway_ips",
     "at most 2"),
    ("gateway-ip-private", "cloud.gateway_ips", ["10.1.1.1"], "cloud.gateway_ips[0]", "public"),
    ("gateway-ip-is-ours", "cloud.gateway_ips", ["198.51.100.10"], "cloud.gateway_ips", "different public"),
    ("ike-version-bad", "ike.version", "ikev3", "ike.version", "ikev1, ikev2"),
    ("ike-mode-bad", "ike.mode", "quick", "ike.mode", "main, aggressive"),
    ("aggressive-ikev2", "ike", {"version": "ikev2", "mode": "aggressive"}, "ike.mode", "only in IKEv1"),
    ("encryption-unknown", "ike.encryption", "chacha20", "ike.encryption", "aes128, aes192, aes256, 3des, des"),
    ("integrity-unknown", "ipsec.integrity", "sha3", "ipsec.integrity", "md5, sha1, sha256"),
    ("dh-unknown", "ike.dh_group", "group24", "ike.dh_group", "group1, group2, group5, group14"),
    ("pfs-unknown", "ipsec.pfs", "group19", "ipsec.pfs", "none"),
    ("ike-lifetime-too-long", "ike.lifetime", 604800, "ike.lifetime", "60–86400"),
    ("ike-lifetime-too-short", "ike.lifetime", 30, "ike.lifetime", "60–86400"),
    ("ipsec-lifetime-too-short", "ipsec.lifetime", 120, "ipsec.lifetime", "180–86400"),
    ("lifetime-text", "ipsec.lifetime", "one day", "ipsec.lifetime", "whole number"),
    ("dpd-not-bool", "ike.dpd", "sometimes", "ike.dpd", "true or false"),
    ("natt-off-v7", "ike.nat_traversal", False, "ike.nat_traversal", "cannot turn it off"),
    ("v5-sha256", "onprem.device.platform", "comware5", None, None),  # filled below: needs two changes
    ("probe-api-outside", "probe.openstack_api", "https://10.10.10.10:5000/v3", "probe.openstack_api",
     "never enter the tunnel"),
    ("probe-api-not-url", "probe.openstack_api", "keystone", "probe.openstack_api", "http(s) URL"),
    ("floating-outside", "probe.floating_ips", ["10.0.0.5"], "probe.floating_ips[0]", "never enter the tunnel"),
    ("floating-backwards", "probe.floating_ips", ["192.168.0.120-192.168.0.100"], "probe.floating_ips[0]",
     "runs backwards"),
    ("floating-garbage", "probe.floating_ips", ["fip-1"], "probe.floating_ips[0]", "range like"),
    ("cloud-target-outside", "probe.cloud_targets", ["8.8.8.8"], "probe.cloud_targets[0]", "outside cloud.subnets"),
    ("tcp-port-bad", "probe.tcp_ports", [22, 70000], "probe.tcp_ports[1]", "1–65535"),
    ("timeout-zero", "probe.timeout_s", 0, "probe.timeout_s", "0.1 to 60"),
    ("verify-tls-missing-file", "probe.verify_tls", "/nonexistent/ca.pem", "probe.verify_tls", "does not exist"),
]


def _case_data(case_id: str, path: str, value: Any) -> dict:
    if case_id == "v5-sha256":
        data = mutate(BASE, "onprem.device.platform", "comware5")
        data = mutate(data, "ike.integrity", "sha256")
        return mutate(data, "ike.nat_traversal", True)
    if case_id == "aggressive-ikev2":
        data = mutate(BASE, "ike.version", "ikev2")
        return mutate(data, "ike.mode", "aggressive")
    return mutate(BASE, path, value)


EXPECT = {"v5-sha256": ("ike.integrity", "not available in the Comware V5 IKE proposal")}


def test_the_table_is_big_enough():
    assert len({c[0] for c in CASES}) == len(CASES) >= 40


@pytest.mark.parametrize("case_id,path,value,key,words", CASES, ids=[c[0] for c in CASES])
def test_bad_profile_is_refused_naming_the_key(case_id, path, value, key, words, tmp_path, capsys):
    key, words = EXPECT.get(case_id, (key, words))
    data = _case_data(case_id, path, value)
    file = tmp_path / "classic.yaml"
    file.write_text(yaml.safe_dump(data, sort_keys=False))
    code = main(["validate", str(file)])
    err = capsys.readouterr().err
    assert code == 2, err
    lines = [line for line in err.splitlines() if line.strip().startswith(f"{key}:")]
    assert lines, f"no message names {key!r}:\n{err}"
    assert any(words in line for line in lines), f"{words!r} not in messages for {key}:\n{err}"


def test_every_problem_is_reported_at_once(tmp_path, capsys):
    data = mutate(BASE, "name", "BAD")
    data = mutate(data, "onprem.public_ip", "10.0.0.1")
    data = mutate(data, "ike.dh_group", "group99")
    data = mutate(data, "probe.timeout_s", -1)
    file = tmp_path / "x.yaml"
    file.write_text(yaml.safe_dump(data))
    assert main(["validate", str(file)]) == 2
    err = capsys.readouterr().err
    for key in ("name:", "onprem.public_ip:", "ike.dh_group:", "probe.timeout_s:"):
        assert key in err


def test_messages_carry_the_line_number(tmp_path, capsys):
    text = (Path(__file__).resolve().parents[2] / "profiles" / "classic.yaml").read_text()
    text = text.replace("subnets: [192.168.0.0/24]", "subnets: [192.168.0.5/24]")
    line_no = next(i for i, line in enumerate(text.splitlines(), 1) if "192.168.0.5/24" in line)
    file = tmp_path / "classic.yaml"
    file.write_text(text)
    assert main(["validate", str(file)]) == 2
    err = capsys.readouterr().err
    assert f"onprem.subnets[0]: '192.168.0.5/24' has host bits set; did you mean 192.168.0.0/24? (line {line_no})" in err


@pytest.mark.parametrize("text,expected", [
    ("name: [unclosed", "line 1, column"),
    ("name: x\n  bad: indent\n", "line 2"),
    ("a: 1\na: 2\n", "key appears twice"),
    ("- just\n- a list\n", "must be a mapping"),
    ("", "empty"),
    ("name: &a [*a]\n", "recursive alias"),
    ("\tname: tab\n", "line 1"),
])
def test_yaml_syntax_errors_report_where(text, expected, tmp_path, capsys):
    file = tmp_path / "broken.yaml"
    file.write_text(text)
    assert main(["validate", str(file)]) == 2
    assert expected in capsys.readouterr().err


def test_ikev2_lifetime_follows_the_ikev2_profile_range(tmp_path, capsys):
    data = mutate(BASE, "ike", {"version": "ikev2", "encryption": "aes128", "integrity": "sha1", "dh_group": "group2",
                                "lifetime": 100})
    file = tmp_path / "classic.yaml"
    file.write_text(yaml.safe_dump(data))
    assert main(["validate", str(file)]) == 2
    assert "ike.lifetime: 100 s is outside what both ends accept: 120–86400 s" in capsys.readouterr().err


def test_v5_lab_names_must_fit_the_v5_object_names(tmp_path, capsys):
    data = mutate(BASE, "onprem.device.platform", "comware5")
    data = mutate(data, "name", "a-rather-long-lab-name-x")
    file = tmp_path / "x.yaml"
    file.write_text(yaml.safe_dump(data))
    assert main(["validate", str(file)]) == 2
    assert "name: is 24 characters; on a Comware V5 router" in capsys.readouterr().err
