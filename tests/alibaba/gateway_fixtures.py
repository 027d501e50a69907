"""Shared set-up of the ``test_gateway_*`` tests: the lab's simulated VPC API over real HTTP, the
example profiles pointed at it, and an :class:`AlibabaEnd` whose clock and sleep are the sim's
ManualClock (nothing waits for real)."""

from __future__ import annotations

import json
import os
import random
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

os.environ["ALIBABA_CLOUD_ECS_METADATA_DISABLED"] = "true"

from vpnconsole.alibaba.gateway import MANIFEST_NAME, AlibabaEnd  # noqa: E402
from vpnconsole.lab.aliyun import AliyunVpcSim, ManualClock, ThreadedAliyunLab, Timing  # noqa: E402
from vpnconsole.profile import load_profile  # noqa: E402
from vpnconsole.redact import Secret  # noqa: E402

PROFILES = Path(__file__).resolve().parents[2] / "profiles"
PSK = "Gw-Test-Psk_2024!x"
UPDATE_S = 5.0
ROUTE_S = 3.0


@dataclass
class GwLab:
    sim: AliyunVpcSim
    clock: ManualClock
    server: ThreadedAliyunLab
    region: str
    profile: Any
    state_dir: Path
    vpc_id: str
    table_id: str
    events: list = field(default_factory=list)
    sleeps: list = field(default_factory=list)

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.clock.advance(max(0.0, seconds))

    def end(self, profile: Any = None, **kw: Any) -> AlibabaEnd:
        opts = dict(state_dir=self.state_dir, clock=self.clock.now, sleep=self.sleep, connect_timeout=1.0,
                    read_timeout=3.0, poll_interval=2.0, rng=random.Random(7))
        opts.update(kw)
        return AlibabaEnd(profile or self.profile, None, **opts)

    def sink(self, event) -> None:
        self.events.append(event)

    def inventory(self) -> dict[str, Any]:
        st = self.sim.snapshot(self.region)
        table = next(t for v in st.vpcs.values() for t in v.route_tables if t.route_table_id == self.table_id)
        return {
            "cgws": sorted((c.ip_address, c.name) for c in st.customer_gateways.values()),
            "connections": sorted((c.name, c.vpn_connection_id) for c in st.connections.values()),
            "routes": sorted((e.destination_cidr_block, e.next_hop_id, e.name) for e in table.entries
                             if e.type == "Custom"),
            "vpn_routes": len(st.vpn_routes),
        }

    def ours(self) -> dict[str, Any]:
        inv = self.inventory()
        name = f"vpnconsole-{self.profile.name}"
        return {"cgws": [c for c in inv["cgws"] if c[1] == name],
                "connections": [c for c in inv["connections"] if c[0] == name],
                "routes": [r for r in inv["routes"] if r[2] == name]}

    def tokens(self, action: str) -> set[str]:
        st = self.sim.snapshot(self.region)
        return {tok for (a, tok) in st.tokens if a == action}

    def manifest(self) -> dict | None:
        path = self.state_dir / MANIFEST_NAME
        return json.loads(path.read_text()) if path.exists() else None

    def manifest_mode(self) -> int:
        return stat.S_IMODE((self.state_dir / MANIFEST_NAME).stat().st_mode)


def build_lab(tmp_path: Path, name: str, *, timing: Timing | None = None) -> tuple[GwLab, ThreadedAliyunLab]:
    profile = load_profile(PROFILES / f"{name}.yaml")
    region = profile.cloud.region
    clock = ManualClock()
    sim = AliyunVpcSim(clock=clock, timing=timing or Timing(gateway_update_seconds=UPDATE_S,
                                                            route_entry_seconds=ROUTE_S), rng_seed=11)
    vpc = sim.add_vpc(region, cidr="172.16.0.0/12", vswitches=[("172.20.1.0/24", f"{region}-a"),
                                                               ("172.20.2.0/24", f"{region}-b")])
    ips = list(profile.cloud.gateway_ips)
    sim.add_vpn_gateway(region, vpc.vpc_id, dual_tunnel=len(ips) == 2, internet_ip=ips[0],
                        dr_internet_ip=ips[1] if len(ips) == 2 else None, vpn_gateway_id=profile.cloud.vpn_gateway_id)
    server = ThreadedAliyunLab(sim).start()
    profile.cloud.endpoint = f"http://127.0.0.1:{server.port}"
    lab = GwLab(sim, clock, server, region, profile, tmp_path / "state", vpc.vpc_id,
                vpc.system_route_table.route_table_id)
    return lab, server


@pytest.fixture
def aliyun_env(monkeypatch):
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAI-gateway-test")
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "gateway-test-secret-value")
    for var in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy"):
        monkeypatch.delenv(var, raising=False)


def _lab_fixture(name: str):
    @pytest.fixture
    def fixture(tmp_path, aliyun_env):
        lab, server = build_lab(tmp_path, name)
        try:
            yield lab
        finally:
            server.stop()
    return fixture


classic = _lab_fixture("classic")
dual = _lab_fixture("dual-tunnel")


@pytest.fixture(params=["classic", "dual-tunnel"])
def any_lab(request, tmp_path, aliyun_env):
    lab, server = build_lab(tmp_path, request.param)
    try:
        yield lab
    finally:
        server.stop()


def psk() -> Secret:
    return Secret(PSK, "psk")
