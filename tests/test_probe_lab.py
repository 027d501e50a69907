"""The probe against the whole embedded lab: both ends configured as `apply` would (router through its
CLI, Alibaba through the real SDK), the path gate and the explanations from the real LabNegotiation.

One lab per module (start + configure ≈ 2 s); every test that breaks something repairs it.
"""

from __future__ import annotations

import pytest

from vpnconsole import secrets
from vpnconsole.lab.openstack import OpenStackLab
from vpnconsole.lab.runner import CLOUD_TARGET, LAB_NAME, LAN_ADDRESS, NEXT_HOP, REGION, LabSettings, ThreadedLab
from vpnconsole.probe import H3C, JUMP_HOST, CliRouterPinger, probe_exit_code, render_table, run_probe
from vpnconsole.profile import load_profile

MASTER = "lab-test-master-password"
TIMEOUT = 0.4


class Lab:
    def __init__(self, threaded, store):
        from alibabacloud_tea_openapi import models as open_api_models
        from alibabacloud_vpc20160428.client import Client

        self.threaded = threaded
        self.info = threaded.lab.info
        self.router = threaded.lab.router
        self.negotiation = threaded.lab.negotiation
        self.openstack = next(s for s in threaded.lab._servers if isinstance(s, OpenStackLab))
        self.profile = load_profile(self.info.profile_path)
        self.profile.probe.timeout_s = TIMEOUT
        self.psk = store.get(LAB_NAME, "psk")
        self.client = Client(open_api_models.Config(
            endpoint=self.info.api_endpoint.removeprefix("http://"), protocol="http", region_id=REGION,
            access_key_id=store.get(LAB_NAME, "alibaba-access-key-id").reveal(),
            access_key_secret=store.get(LAB_NAME, "alibaba-access-key-secret").reveal(),
            read_timeout=5000, connect_timeout=2000))
        self.results: dict = {}

    def configure(self):
        from vpnconsole.alibaba import translate
        from vpnconsole.h3c import render

        out = self.router.cli(*render.render_apply(self.profile, self.psk).commands(reveal=True))
        assert "% " not in out, out
        for call in translate.plan_apply(self.profile, self.psk).calls:
            req = translate.to_sdk_request(call, self.results)
            self.results[call.step] = getattr(self.client, translate.sdk_method(call.action))(req).body.to_map()

    def bring_up(self):
        """Traffic from the router starts IKE (the first echoes die while it negotiates)."""
        out = self.router.cli(f"ping -a {LAN_ADDRESS} -c 5 {CLOUD_TARGET}")
        assert "packet(s) received" in out and " 0 packet(s) received" not in out, out

    async def probe(self, **kw):
        async def icmp(address, timeout):
            return self.openstack.icmp_reachable(address)  # the kernel answers every 127.x ping itself

        return await run_probe(self.profile, explainer=self.negotiation, router=CliRouterPinger(self.router.cli),
                               icmp=icmp, port_protocols={self.info.floating_port: "ssh"}, **kw)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        home = tmp_path_factory.mktemp("probe-lab")
        mp.setenv("VPNCONSOLE_HOME", str(home / "home"))
        mp.setenv("VPNCONSOLE_KEYRING_PASSWORD", MASTER)
        store = secrets.open_store()
        with ThreadedLab(LabSettings(fast=True, fixed_ports=False), store=store) as threaded:
            lab = Lab(threaded, store)
            lab.configure()
            yield lab


def _assert_all_pass(report):
    assert report.ok, render_table(report)


async def test_complete_path_every_target_passes_from_both_vantage_points(lab):
    report = await lab.probe()
    _assert_all_pass(report)
    assert probe_exit_code(report) == 0
    floating = [c for c in report.checks if c.kind == "tcp"]
    assert len(floating) == 21 and all(c.banner.startswith("SSH-2.0-") for c in floating)
    assert len([c for c in report.checks if c.kind == "icmp"]) == 21
    api = report.checks[0]
    assert api.kind == "api" and api.http_status == 200 and api.versions[0]["id"].startswith("v3")
    ping = report.checks[-1]
    assert (ping.kind, ping.vantage, ping.target) == ("router-ping", H3C, CLOUD_TARGET)
    assert ping.received >= 1 and ping.detail.endswith(f"from {LAN_ADDRESS}")
    assert {c.vantage for c in report.checks[:-1]} == {JUMP_HOST}


async def test_vpc_route_missing(lab):
    from alibabacloud_vpc20160428 import models

    route_id = lab.results["vpc-route:127.0.1.0/24"]["RouteEntryId"]
    lab.client.delete_route_entry(models.DeleteRouteEntryRequest(region_id=REGION, route_entry_id=route_id))
    try:
        report = await lab.probe()
        assert not report.ok and probe_exit_code(report) == 5
        jump = [c for c in report.checks if c.vantage == JUMP_HOST]
        assert all(c.ok is False for c in jump)
        for c in jump:
            assert c.status in ({"tcp": "no-answer", "icmp": "unreachable", "api": "no-answer"}[c.kind],), c
            assert c.reasons[0].startswith("no VPC route for 127.0.1.0/24"), c.reasons
    finally:
        table = lab.results["discover-route-table"]["RouterTableList"]["RouterTableListType"][0]["RouteTableId"]
        body = lab.client.create_route_entry(models.CreateRouteEntryRequest(
            region_id=REGION, route_table_id=table, destination_cidr_block="127.0.1.0/24",
            next_hop_type="VpnGateway", next_hop_id=lab.info.gateway_id)).body
        lab.results["vpc-route:127.0.1.0/24"] = {"RouteEntryId": body.route_entry_id}
    _assert_all_pass(await lab.probe())


async def test_h3c_route_missing(lab):
    lab.bring_up()  # a tunnel that is up, so the missing route is what breaks the path
    routes = (f"ip route-static 172.16.0.0 24 {NEXT_HOP}", f"ip route-static 0.0.0.0 0 {NEXT_HOP}")
    out = lab.router.cli("system-view", *(f"undo {r}" for r in routes), "return")
    assert "% " not in out
    try:
        report = await lab.probe()
        assert not report.ok
        fip = next(c for c in report.checks if c.kind == "tcp")
        assert fip.status == "no-answer"
        assert fip.reasons == ["H3C has no route to 172.16.0.0/24"]
        assert report.checks[-1].ok is False  # and the router's own ping goes nowhere either
    finally:
        lab.router.cli("system-view", *routes, "return")
    lab.bring_up()
    _assert_all_pass(await lab.probe())


async def test_tunnel_down_psk_mismatch(lab):
    def set_key(key: str) -> str:
        return lab.router.cli("system-view", "ike keychain VPNC-LAB-KC1",
                              f"pre-shared-key address {lab.profile.cloud.gateway_ips[0]} 255.255.255.255 key simple {key}",
                              "quit", "return", "reset ike sa", "reset ipsec sa")

    set_key("Wrong-Key-1234")
    try:
        report = await lab.probe()
        assert not report.ok
        for c in report.checks:
            if c.vantage == JUMP_HOST:
                assert c.ok is False
                assert c.reasons[0].startswith("tunnel down for 172.16.0.0/24 <-> 127.0.1.0/24"), c.reasons
                assert "PSK mismatch" in c.reasons[0]
        assert "PSK mismatch" in render_table(report)
    finally:
        set_key(lab.psk.reveal())
    lab.bring_up()
    _assert_all_pass(await lab.probe())
