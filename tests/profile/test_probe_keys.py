"""probe.api_endpoints and protocol suffixes on probe.tcp_ports: validation, the Probe model
(backward compatible), and the dump ⇄ parse round trip."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from vpnconsole.profile import Probe, ProfileError, dump_profile, parse_profile

BASE = yaml.safe_load((Path(__file__).resolve().parents[2] / "profiles" / "classic.yaml").read_text())
SUBNET_HOST = "192.168.0.10"  # inside the classic profile's onprem.subnets


def profile_with(**probe):
    data = copy.deepcopy(BASE)
    data.setdefault("probe", {}).update(probe)
    return parse_profile(yaml.safe_dump(data, sort_keys=False))


def problems_of(**probe):
    with pytest.raises(ProfileError) as info:
        profile_with(**probe)
    return {p.path: p.message for p in info.value.problems if p.severity == "error"}


def test_the_base_profile_has_the_subnet_the_tests_assume():
    p = profile_with()
    assert any(SUBNET_HOST.rsplit(".", 1)[0] in s for s in p.onprem.subnets), p.onprem.subnets


def test_tcp_ports_accept_plain_numbers_and_protocol_suffixes():
    p = profile_with(tcp_ports=[22, "2222/ssh", "8080/HTTP", "443/tcp", "5000"])
    assert p.probe.tcp_ports == [22, 2222, 8080, 443, 5000]
    assert p.probe.port_protocols == {2222: "ssh", 8080: "http", 443: "tcp"}
    assert p.probe.tcp_port_entries() == [22, "2222/ssh", "8080/http", "443/tcp", 5000]


@pytest.mark.parametrize("entry, words", [
    ("2222/telnet", "not a protocol"),
    ("x/ssh", "whole number"),
    ("70000/ssh", "out of range"),
    ("/ssh", "whole number"),
])
def test_bad_tcp_port_entries_name_the_item(entry, words):
    problems = problems_of(tcp_ports=[22, entry])
    assert "probe.tcp_ports[1]" in problems, problems
    assert words in problems["probe.tcp_ports[1]"]


def test_a_port_listed_twice_is_refused():
    problems = problems_of(tcp_ports=[22, "22/ssh"])
    assert "listed twice" in problems["probe.tcp_ports[1]"]


def test_api_endpoints_must_be_http_urls_inside_onprem_subnets():
    p = profile_with(api_endpoints=[f"http://{SUBNET_HOST}:8774/", f"https://{SUBNET_HOST}:9696"])
    assert p.probe.api_endpoints == [f"http://{SUBNET_HOST}:8774/", f"https://{SUBNET_HOST}:9696"]
    problems = problems_of(api_endpoints=["ftp://192.168.0.10/", "http://10.99.0.1:9292/", 5])
    assert "not an http(s) URL" in problems["probe.api_endpoints[0]"]
    assert "outside onprem.subnets" in problems["probe.api_endpoints[1]"]
    assert "not an http(s) URL" in problems["probe.api_endpoints[2]"]


def test_api_endpoints_duplicates_and_unknown_keys():
    api = f"http://{SUBNET_HOST}:8774/"
    problems = problems_of(api_endpoints=[api, api])
    assert "listed twice" in problems["probe.api_endpoints[1]"]
    problems = problems_of(api_endpoint=[api])
    assert "unknown key" in problems["probe.api_endpoint"]


def test_probe_dataclass_stays_backward_compatible():
    old = Probe("https://192.168.0.10:5000/v3", True, ["192.168.0.20"], [22], True, [], 2.0)
    assert old.api_endpoints == [] and old.port_protocols == {}
    assert old.tcp_port_entries() == [22]


def test_dump_and_parse_round_trip_the_new_keys():
    p = profile_with(tcp_ports=[22, "2222/ssh", "8080/http"], api_endpoints=[f"http://{SUBNET_HOST}:9292/"])
    text = dump_profile(p)
    dumped = yaml.safe_load(text)["probe"]
    assert dumped["tcp_ports"] == [22, "2222/ssh", "8080/http"]
    assert dumped["api_endpoints"] == [f"http://{SUBNET_HOST}:9292/"]
    assert "port_protocols" not in dumped
    assert parse_profile(text) == p


def test_a_profile_without_the_new_keys_dumps_as_before():
    p = profile_with()
    dumped = yaml.safe_load(dump_profile(p))["probe"]
    assert "api_endpoints" not in dumped and "port_protocols" not in dumped
    assert all(isinstance(x, int) for x in dumped["tcp_ports"])


def test_the_lab_profile_declares_its_floating_port_as_ssh():
    from vpnconsole.lab.runner import EmbeddedLab, LabInfo, LabSettings

    info = LabInfo(ssh_port=40022, api_endpoint="http://127.0.0.1:40080", keystone_url="http://127.0.1.10:45000/v3",
                   floating_ips="127.0.1.100-127.0.1.120", floating_port=45022, profile_path=None,
                   gateway_id="vpn-bp1labgateway", username="admin", psk_fingerprint="sha256:x")
    text = EmbeddedLab(LabSettings()).profile_text(info)
    p = parse_profile(text)
    assert p.probe.tcp_ports == [45022] and p.probe.port_protocols == {45022: "ssh"}
    assert "45022/ssh" in text
