"""The probe against the OpenStack side of the lab alone, its path gate driven by hand (StaticGate)."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import time

import pytest
import yaml

from vpnconsole import icmp as icmp_mod
from vpnconsole.endstate import Event
from vpnconsole.lab import openstack
from vpnconsole.profile import parse_profile
from vpnconsole.probe import JUMP_HOST, ProbeRun, probe_exit_code, render_table, run_probe

API = "127.0.3.10"
FIRST, LAST = "127.0.3.100", "127.0.3.111"
ADDRESSES = [f"127.0.3.{n}" for n in range(100, 112)]
TIMEOUT = 0.3


def _free_port(address: str) -> int:
    with socket.socket() as sock:
        sock.bind((address, 0))
        return sock.getsockname()[1]


def make_profile(api_url: str | None, *, ports, verify_tls=True, icmp=True, floating=(f"{FIRST}-{LAST}",),
                 subnets=("127.0.3.0/24",)):
    data = {
        "version": 1, "name": "probe-test",
        "onprem": {"device": {"host": "10.0.0.1", "username": "admin"}, "public_ip": "198.51.100.10",
                   "wan_interface": "GigabitEthernet0/1", "subnets": list(subnets)},
        "cloud": {"region": "cn-hangzhou", "vpn_gateway_id": "vpn-bp1example1", "subnets": ["172.16.0.0/16"]},
        "probe": {"openstack_api": api_url, "verify_tls": verify_tls, "floating_ips": list(floating),
                  "tcp_ports": list(ports), "icmp": icmp, "timeout_s": TIMEOUT},
    }
    return parse_profile(yaml.safe_dump(data), source="test")


class GateExplainer:
    """What the engine would say, here read off the test's own gate."""

    def __init__(self, gate):
        self.gate = gate
        self.asked = []

    def explain(self, target_ip, port):
        self.asked.append((target_ip, port))
        return f"the path to {target_ip} is {self.gate.verdict(target_ip, port).value} (test gate)"


@pytest.fixture
async def oslab(tmp_path):
    gate = openstack.StaticGate()
    port = _free_port(FIRST)
    lab = await openstack.start(api_address=API, tls=False, floating_ips=(f"{FIRST}-{LAST}",),
                                floating_ports=(22, 80), port_map={22: port, 80: _free_port(FIRST), 5000: 0},
                                gate=gate)
    lab.ssh_port = port
    try:
        yield lab
    finally:
        await lab.close()


def _icmp(lab):
    async def icmp(address, timeout):
        return lab.icmp_reachable(address)
    return icmp


async def test_complete_path_every_target_passes(oslab):
    ssh, http = oslab.floating_port(FIRST, 22), oslab.floating_port(FIRST, 80)
    profile = make_profile(oslab.api_url() + "/v3", ports=[ssh, http])
    events: list[Event] = []
    report = await run_probe(profile, icmp=_icmp(oslab), emit=events.append,
                             port_protocols={ssh: "ssh", http: "http"})
    assert report.ok, render_table(report)
    assert probe_exit_code(report) == 0
    kinds = [c.kind for c in report.checks]
    assert kinds.count("api") == 1 and kinds.count("tcp") == 24 and kinds.count("icmp") == 12
    api = report.checks[0]
    assert api.http_status == 200 and api.versions[0]["id"].startswith("v3") and api.tls_verified is None
    ssh_checks = [c for c in report.checks if c.port == ssh]
    assert all(c.banner == openstack.SSH_BANNER for c in ssh_checks)
    assert all(c.banner.startswith("HTTP/1.") for c in report.checks if c.port == http)
    assert {c.vantage for c in report.checks} == {JUMP_HOST}
    assert report.icmp_method == "injected" and report.warnings == []
    # streamed: a start, one event per check, a summary
    assert events[0].kind == "start" and events[-1].step == "probe" and events[-1].kind == "done"
    assert len([e for e in events if e.step.startswith("probe-")]) == len(report.checks)
    assert all("check" in e.data for e in events if e.step.startswith("probe-"))


async def test_keystone_root_300_is_success(oslab):
    profile = make_profile(oslab.api_url() + "/", ports=[], floating=())
    report = await run_probe(profile)
    api = report.checks[0]
    assert api.ok and api.http_status == 300
    assert api.versions[0]["id"].startswith("v3") and "300" in api.detail


async def test_blackhole_and_refuse_fail_with_timeout_refused_and_the_explanation(oslab):
    gate = oslab.gate
    gate.set("blackhole", "127.0.3.102")
    gate.set("refuse", "127.0.3.103")
    gate.set("blackhole", API)
    explainer = GateExplainer(gate)
    port = oslab.ssh_port
    profile = make_profile(oslab.api_url() + "/v3", ports=[port])
    start = time.monotonic()
    report = await run_probe(profile, icmp=_icmp(oslab), explainer=explainer, port_protocols={port: "ssh"})
    took = time.monotonic() - start
    assert took < TIMEOUT * 3
    assert not report.ok and probe_exit_code(report) == 5
    by = {(c.kind, c.target): c for c in report.checks}
    black = by[("tcp", "127.0.3.102")]
    assert black.status == "no-answer" and "no SSH banner" in black.detail
    assert black.reasons == ["the path to 127.0.3.102 is blackhole (test gate)"]
    refused = by[("tcp", "127.0.3.103")]
    assert refused.status == "refused" and refused.ok is False
    assert refused.reasons == ["the path to 127.0.3.103 is refuse (test gate)"]
    assert by[("icmp", "127.0.3.102")].status == "unreachable"
    api = by[("api", API)]
    assert api.status == "no-answer" and api.reasons and "blackhole" in api.reasons[0]
    failed = {(c.kind, c.target) for c in report.failed}
    assert failed == {("tcp", "127.0.3.102"), ("icmp", "127.0.3.102"), ("tcp", "127.0.3.103"),
                      ("icmp", "127.0.3.103"), ("api", API)}
    # the explainer is asked only about failures, once per target and port
    assert sorted(explainer.asked, key=str) == sorted([("127.0.3.102", port), ("127.0.3.102", None),
                                                       ("127.0.3.103", port), ("127.0.3.103", None),
                                                       (API, oslab.api_port())], key=str)
    text = render_table(report)
    assert "-> the path to 127.0.3.102 is blackhole (test gate)" in text
    assert text.splitlines()[-1].startswith("probe FAILED")


async def test_plain_tcp_port_counts_a_reset_as_refused_and_silence_as_open(oslab):
    oslab.gate.set("refuse", "127.0.3.105")
    port = oslab.ssh_port
    profile = make_profile(None, ports=[port], icmp=False, floating=("127.0.3.104-127.0.3.105",))
    report = await run_probe(profile, port_protocols={port: "tcp"})
    by = {c.target: c for c in report.checks}
    assert by["127.0.3.104"].ok and by["127.0.3.104"].status == "ok"
    assert by["127.0.3.105"].status == "refused"


async def test_nothing_listening_is_refused(oslab):
    port = _free_port("127.0.3.200")
    profile = make_profile(None, ports=[port], icmp=False, floating=("127.0.3.200",))
    report = await run_probe(profile)
    assert report.checks[0].status == "refused" and report.checks[0].detail == "connection refused"


async def test_target_outside_onprem_subnets_is_said(oslab):
    port = _free_port("127.0.4.200")
    profile = make_profile(None, ports=[port], icmp=False, floating=("127.0.4.200",), subnets=("127.0.0.0/8",))
    profile.onprem.subnets = ["127.0.3.0/24"]  # validation would refuse this profile; the probe still says why
    report = await run_probe(profile)
    assert report.checks[0].reasons[0].startswith("127.0.4.200 is outside onprem.subnets (127.0.3.0/24)")


async def test_results_stream_as_they_finish_and_the_probe_takes_one_timeout(oslab):
    oslab.gate.set("blackhole")  # default: everything silent
    oslab.gate.set("open", FIRST)
    port = oslab.ssh_port
    profile = make_profile(None, ports=[port], icmp=False)
    run = ProbeRun(profile, port_protocols={port: "ssh"})
    seen = []
    start = time.monotonic()
    async for check in run:
        seen.append((check.target, time.monotonic() - start))
    assert seen[0][0] == FIRST and seen[0][1] < TIMEOUT / 2  # the open one arrives first
    assert run.report.duration_s < TIMEOUT * 2  # 12 silent targets, one timeout, not twelve
    assert [c.target for c in run.report.checks] == ADDRESSES  # the report is in profile order


async def test_extra_service_endpoints(tmp_path):
    lab = await openstack.start(api_address="127.0.3.20", services=("keystone", "nova", "neutron", "glance"),
                                ephemeral_ports=True)
    try:
        profile = make_profile(lab.api_url("keystone") + "/v3", ports=[], floating=())
        extra = [lab.api_url("nova") + "/", lab.api_url("neutron") + "/", lab.api_url("glance") + "/"]
        report = await run_probe(profile, extra_apis=extra)
    finally:
        await lab.close()
    assert report.ok, render_table(report)
    nova, neutron, glance = report.checks[1:]
    assert nova.http_status == 200 and nova.versions[1]["max_version"]
    assert neutron.versions[0]["id"] == "v2.0"
    assert glance.http_status == 300 and glance.versions


# --- TLS ---------------------------------------------------------------------------------------------

@pytest.fixture
async def tlslab(tmp_path):
    lab = await openstack.start(api_address="127.0.3.30", tls=True, ca_path=tmp_path / "ca.pem", ephemeral_ports=True)
    try:
        yield lab
    finally:
        await lab.close()


async def test_self_signed_is_refused_by_default_with_a_clear_message(tlslab):
    report = await run_probe(make_profile(tlslab.api_url() + "/v3", ports=[], floating=()))
    api = report.checks[0]
    assert not report.ok and api.status == "tls-error" and api.tls_verified is False
    assert "TLS certificate refused: self-signed certificate in certificate chain" in api.detail
    assert "verify_tls" in api.reasons[0]


async def test_the_ca_bundle_is_accepted(tlslab):
    report = await run_probe(make_profile(tlslab.api_url() + "/v3", ports=[], floating=(),
                                          verify_tls=str(tlslab.ca_path)))
    api = report.checks[0]
    assert report.ok and api.tls_verified is True and api.http_status == 200 and not report.warnings


async def test_verify_false_is_accepted_with_a_warning(tlslab):
    report = await run_probe(make_profile(tlslab.api_url() + "/v3", ports=[], floating=(), verify_tls=False))
    api = report.checks[0]
    assert report.ok and api.tls_verified is False and api.versions
    assert report.warnings == ["WARNING: TLS certificates of the OpenStack API are not verified "
                               "(probe.verify_tls: false)"]
    assert json.loads(report.to_json())["warnings"] == report.warnings


async def test_blackholed_tls_endpoint_is_no_answer(tlslab):
    tlslab.gate = openstack.StaticGate("blackhole")
    report = await run_probe(make_profile(tlslab.api_url() + "/v3", ports=[], floating=(),
                                          verify_tls=str(tlslab.ca_path)))
    assert report.checks[0].status == "no-answer" and "no TLS handshake" in report.checks[0].detail


# --- ICMP --------------------------------------------------------------------------------------------

async def test_no_icmp_possible_gives_one_line_and_tcp_results(oslab, monkeypatch, caplog):
    def no_socket(kind):
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(icmp_mod.SocketPinger, "open", staticmethod(no_socket))
    monkeypatch.setattr(icmp_mod.shutil, "which", lambda name: None)
    port = oslab.ssh_port
    profile = make_profile(None, ports=[port])
    caplog.set_level(logging.DEBUG)
    report = await run_probe(profile, port_protocols={port: "ssh"})
    assert report.icmp_method == "none"
    assert len(report.warnings) == 1
    line = report.warnings[0]
    assert line.startswith("ICMP not possible: no raw sockets (Operation not permitted")
    assert "no ICMP datagram sockets" in line and "no ping command" in line and "\n" not in line
    assert report.ok  # skipped is not failed
    assert all(c.ok for c in report.checks if c.kind == "tcp")
    assert all(c.status == "skipped" for c in report.checks if c.kind == "icmp")
    assert "Traceback" not in caplog.text
    assert render_table(report).count("ICMP not possible") == 2  # one folded row, one warning line


async def test_forcing_none_and_icmp_off(oslab):
    port = oslab.ssh_port
    report = await run_probe(make_profile(None, ports=[port]), icmp="none", port_protocols={port: "ssh"})
    assert report.warnings[0].startswith("ICMP not possible: ICMP disabled")
    off = await run_probe(make_profile(None, ports=[port], icmp=False), port_protocols={port: "ssh"})
    assert off.icmp_method == "off" and not off.warnings and all(c.kind == "tcp" for c in off.checks)


async def test_a_broken_icmp_function_is_one_line_not_a_traceback(oslab):
    async def broken(address, timeout):
        raise OSError("sendto: Operation not permitted")

    port = oslab.ssh_port
    report = await run_probe(make_profile(None, ports=[port], floating=(FIRST,)), icmp=broken,
                             port_protocols={port: "ssh"})
    icmp_check = [c for c in report.checks if c.kind == "icmp"][0]
    assert icmp_check.status == "error" and icmp_check.ok is None
    assert icmp_check.detail == "ICMP echo could not be sent: sendto: Operation not permitted"


@pytest.mark.parametrize("method", ["raw", "ping"])
async def test_real_icmp_methods_on_loopback(method):
    choice, release = icmp_mod.choose(method)
    try:
        if not choice.available:
            pytest.skip(choice.reason)
        results = await asyncio.gather(*(choice.fn(f"127.0.3.{n}", 1.0) for n in (1, 2, 3)))
    finally:
        release()
    assert results == [True, True, True]  # the kernel answers every 127.x ping (why the lab cannot be pinged)


def test_choose_reports_every_reason_in_one_line(monkeypatch):
    def no_socket(kind):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(icmp_mod.SocketPinger, "open", staticmethod(no_socket))
    monkeypatch.setattr(icmp_mod.shutil, "which", lambda name: None)
    choice, _release = icmp_mod.choose()
    assert choice.method == "none" and not choice.available
    assert choice.reason.startswith("ICMP not possible: no raw sockets (Permission denied; needs root or CAP_NET_RAW)")
    assert "net.ipv4.ping_group_range is" in choice.reason
