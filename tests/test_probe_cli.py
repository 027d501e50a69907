"""`vpnconsole probe LAB` against the whole embedded lab, in-process: both ends configured through the
Engine (real SSH, the real SDK), then the CLI probes from the jump host and from the H3C (one SSH
session for the router's pings), and explains failures from the engine's live status.

One lab per module; every test that breaks something repairs it and waits for "up" again.
The CLI sends real ICMP (the kernel answers every 127.x echo), so the ICMP-through-the-gate
assertions call run_probe with the lab's ``icmp_reachable``.
"""

from __future__ import annotations

import asyncio
import json
import re
import time

import pytest

from vpnconsole import secrets
from vpnconsole.cli import main
from vpnconsole.engine import Engine
from vpnconsole.h3c.device import H3CEnd
from vpnconsole.lab.runner import (CLOUD_TARGET, GATEWAY_IPS, LAB_NAME, LAN_ADDRESS, NEXT_HOP, REGION, LabSettings,
                                   ThreadedLab)
from vpnconsole.probe import NO_LAN_ADDRESS, StatusExplainer, render_table, run_probe
from vpnconsole.profile import find_profile, load_profile

MASTER = "probe-cli-master-password"
TIMEOUT = 0.5


class Lab:
    def __init__(self, running, store, home):
        self.running = running
        self.store = store
        self.home = home
        self.info = running.lab.info
        self.router = running.lab.router
        path = find_profile(LAB_NAME)
        # Short per-check timeout: a blackholed check waits this long.
        path.write_text(re.sub(r"(?m)^(\s*timeout_s:).*$", rf"\1 {TIMEOUT}", path.read_text()))
        self.profile = load_profile(path)
        assert self.profile.probe.port_protocols == {self.info.floating_port: "ssh"}
        self.engine = Engine(self.profile, store, accept_new_host_key=True)

    def cli(self, capsys, *extra):
        capsys.readouterr()
        code = main(["probe", LAB_NAME, "--json", "--accept-new-host-key", *extra])
        out = capsys.readouterr()
        return code, json.loads(out.out), out.err

    def wait_up(self, timeout=15.0):
        deadline = time.monotonic() + timeout
        while True:
            report = asyncio.run(self.engine.status())
            if report.verdict.up or time.monotonic() > deadline:
                assert report.verdict.up, report.verdict.as_dict()
                return report
            time.sleep(0.2)

    def router_cli(self, *lines):
        out = self.running.call(lambda: self.router.cli(*lines))
        assert not re.search(r"(?m)^\s*% ", out), out
        return out

    def bring_up(self):
        """Traffic from the router starts IKE again (the first echoes die while it negotiates)."""
        self.router_cli(f"ping -a {LAN_ADDRESS} -c 5 {CLOUD_TARGET}")
        self.wait_up()


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    home = tmp_path_factory.mktemp("probe-cli")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("VPNCONSOLE_HOME", str(home / "home"))
        mp.setenv("VPNCONSOLE_KEYRING_PASSWORD", MASTER)
        mp.setenv("HOME", str(home))
        store = secrets.open_store()
        with ThreadedLab(LabSettings(fast=True, fixed_ports=False), store=store) as running:
            lab = Lab(running, store, home)
            result = asyncio.run(lab.engine.apply())
            assert result.ok, result.errors
            lab.wait_up()
            yield lab


@pytest.fixture
def env(lab, monkeypatch):
    """The conftest gives every test fresh homes; the CLI must find the lab's profile and keyring."""
    monkeypatch.setenv("VPNCONSOLE_HOME", str(lab.home / "home"))
    monkeypatch.setenv("VPNCONSOLE_KEYRING_PASSWORD", MASTER)
    monkeypatch.setenv("HOME", str(lab.home))
    calls = {"status": 0, "sessions": []}
    status, opener = Engine.status, H3CEnd.router_session

    async def counted_status(self):
        calls["status"] += 1
        return await status(self)

    def counted_session(self, *a, **kw):
        session = opener(self, *a, **kw)
        calls["sessions"].append(session)
        return session

    monkeypatch.setattr(Engine, "status", counted_status)
    monkeypatch.setattr(H3CEnd, "router_session", counted_session)
    return calls


def _by_kind(doc, kind):
    return [c for c in doc["checks"] if c["kind"] == kind]


def test_complete_path_passes_from_both_vantage_points(lab, env, capsys):
    code, doc, err = lab.cli(capsys)
    assert code == 0, render_doc(doc)
    assert doc["ok"] is True and doc["schema_version"] == 1 and doc["summary"]["failed"] == 0
    tcp = _by_kind(doc, "tcp")
    assert len(tcp) == 21 and all(c["banner"].startswith("SSH-2.0-") for c in tcp)  # "PORT/ssh" in the profile
    (ping,) = _by_kind(doc, "router-ping")
    assert ping["vantage"] == "h3c" and ping["ok"] is True and ping["received"] >= 1
    assert ping["detail"].endswith(f"from {LAN_ADDRESS}")
    assert env["status"] == 0  # nothing failed: the live status is never read
    (session,) = env["sessions"]
    assert session.connects == 1 and session.commands >= 1
    assert "Traceback" not in err


def render_doc(doc):
    return json.dumps([(c["kind"], c["target"], c["port"], c["status"], c["reasons"]) for c in doc["checks"]
                       if not c["ok"]], indent=1)


def test_vpc_route_missing(lab, env, capsys):
    from alibabacloud_vpc20160428 import models

    route = next(r for r in lab.wait_up().alibaba.routes
                 if r.destination == "127.0.1.0/24" and r.table != "vpn-gateway")
    snap_table = route.table
    sdk = _sdk(lab)
    entry_id = _route_entry_id(lab, "127.0.1.0/24")
    sdk.delete_route_entry(models.DeleteRouteEntryRequest(region_id=REGION, route_entry_id=entry_id))
    base = env["status"]
    try:
        code, doc, _ = lab.cli(capsys)
        assert code == 5 and doc["ok"] is False
        for c in doc["checks"]:
            if c["vantage"] == "jump-host" and c["kind"] in ("tcp", "api"):
                assert c["ok"] is False and c["status"] == "no-answer", c
                assert c["reasons"][0].startswith("no VPC route for 127.0.1.0/24"), c["reasons"]
        assert env["status"] == base + 1  # once per run, however many checks failed

        # The same in the table, and each result streamed to stderr as it arrived.
        capsys.readouterr()
        assert main(["probe", LAB_NAME, "--accept-new-host-key"]) == 5
        out = capsys.readouterr()
        assert "-> no VPC route for 127.0.1.0/24" in out.out and "probe FAILED" in out.out
        assert "probe-tcp: jump-host tcp 127.0.1.100" in out.err and "no VPC route" in out.err
        assert env["status"] == base + 2

        # ICMP through the gate (run_probe with the lab's icmp_reachable): unreachable, same reason.
        async def icmp(address, timeout):
            return lab.running.lab.openstack.icmp_reachable(address)

        explainer = StatusExplainer(lab.engine.status, lab.profile)
        report = asyncio.run(run_probe(lab.profile, explainer=explainer, icmp=icmp))
        pings = [c for c in report.checks if c.kind == "icmp"]
        assert len(pings) == 21 and all(c.status == "unreachable" for c in pings)
        assert all(c.reasons[0].startswith("no VPC route for 127.0.1.0/24") for c in pings)
        assert explainer.calls == 1
    finally:
        sdk.create_route_entry(models.CreateRouteEntryRequest(
            region_id=REGION, route_table_id=snap_table, destination_cidr_block="127.0.1.0/24",
            next_hop_type="VpnGateway", next_hop_id=lab.info.gateway_id))
    lab.wait_up()
    code, doc, _ = lab.cli(capsys)
    assert code == 0, render_doc(doc)


def _sdk(lab):
    from alibabacloud_tea_openapi import models as open_api_models
    from alibabacloud_vpc20160428.client import Client

    return Client(open_api_models.Config(
        endpoint=lab.info.api_endpoint.removeprefix("http://"), protocol="http", region_id=REGION,
        access_key_id=lab.store.get(LAB_NAME, "alibaba-access-key-id").reveal(),
        access_key_secret=lab.store.get(LAB_NAME, "alibaba-access-key-secret").reveal(),
        read_timeout=5000, connect_timeout=2000))


def _route_entry_id(lab, cidr):
    snap = lab.running.call(lambda: lab.running.lab.cloud.snapshot(REGION))
    return next(e.route_entry_id for vpc in snap.vpcs.values() for t in vpc.route_tables for e in t.entries
                if e.destination_cidr_block == cidr and e.next_hop_type == "VpnGateway")


def test_h3c_route_missing(lab, env, capsys):
    routes = (f"ip route-static 172.16.0.0 24 {NEXT_HOP}", f"ip route-static 0.0.0.0 0 {NEXT_HOP}")
    lab.router_cli("system-view", *(f"undo {r}" for r in routes), "return")
    try:
        code, doc, _ = lab.cli(capsys)
        assert code == 5
        fip = _by_kind(doc, "tcp")[0]
        assert fip["status"] == "no-answer" and "H3C has no route to 172.16.0.0/24" in fip["reasons"], fip
        (ping,) = _by_kind(doc, "router-ping")
        assert ping["ok"] is False and "H3C has no route to 172.16.0.0/24" in ping["reasons"], ping
        assert env["status"] == 1 and len(env["sessions"]) == 1 and env["sessions"][0].connects == 1
    finally:
        lab.router_cli("system-view", *routes, "return")
    lab.bring_up()
    code, doc, _ = lab.cli(capsys)
    assert code == 0, render_doc(doc)


def test_tunnel_down_psk_mismatch(lab, env, capsys):
    def set_key(key):
        return lab.router_cli("system-view", "ike keychain VPNC-LAB-KC1",
                              f"pre-shared-key address {GATEWAY_IPS[0]} 255.255.255.255 key simple {key}",
                              "quit", "return", "reset ike sa", "reset ipsec sa")

    set_key("Wrong-Key-1234")
    try:
        code, doc, _ = lab.cli(capsys)
        assert code == 5, doc
        failed = [c for c in doc["checks"] if c["ok"] is False]
        assert {c["kind"] for c in failed} >= {"api", "tcp", "router-ping"}
        for c in failed:
            assert c["reasons"][0].startswith("tunnel phase 1 down"), c
        print(failed[0]["reasons"])
    finally:
        set_key(lab.store.get(LAB_NAME, "psk").reveal())
    lab.bring_up()
    code, doc, _ = lab.cli(capsys)
    assert code == 0, render_doc(doc)


def test_no_lan_address_skips_the_router_vantage_with_a_note(lab, env, capsys):
    profile = load_profile(find_profile(LAB_NAME))
    profile.onprem.lan_address = None
    report = asyncio.run(run_probe(profile, router=None, icmp="none"))
    (ping,) = [c for c in report.checks if c.kind == "router-ping"]
    assert ping.status == "skipped" and ping.ok is None and ping.detail == "onprem.lan_address is not set"
    assert NO_LAN_ADDRESS in report.warnings and report.ok
    assert "note: onprem.lan_address is not set" in render_table(report)


def test_icmp_not_permitted_is_one_line_not_a_traceback(lab, env, capsys):
    import os

    code, doc, err = lab.cli(capsys, "--icmp", "raw")
    if os.geteuid() == 0:
        assert code == 0 and doc["icmp_method"] == "raw"
        return
    assert code == 0, render_doc(doc)
    assert doc["icmp_method"] == "none"
    assert any(w.startswith("ICMP not possible") for w in doc["warnings"])
    assert "Traceback" not in err
