"""Shared pieces of the engine tests against the embedded lab (no tests here).

A fixture-free builder so each test file can start the lab with the settings it needs, put
unrelated "customer" configuration on both ends first, and check that teardown leaves it alone.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from vpnconsole import secrets
from vpnconsole.engine import Engine
from vpnconsole.lab.runner import LAB_NAME, REGION, LabSettings, ThreadedLab
from vpnconsole.profile import find_profile, load_profile, save_profile

MASTER = "engine-tests-master-password"

#: configuration that is not ours and must survive apply + teardown byte for byte
FOREIGN_ROUTER_LINES = {
    "v7": ("acl advanced 3999", "rule 0 permit ip source 10.9.9.0 0.0.0.255 destination 10.8.8.0 0.0.0.255",
           "quit", "ip route-static 10.77.0.0 16 198.51.100.9",
           "ike profile customer-other", "match remote identity address 192.0.2.77", "quit"),
    "v5": ("acl number 3999", "rule 0 permit ip source 10.9.9.0 0.0.0.255 destination 10.8.8.0 0.0.0.255",
           "quit", "ip route-static 10.77.0.0 16 198.51.100.9",
           "ike peer customer-other", "remote-address 192.0.2.77", "quit"),
}
FOREIGN_CGW_IP = "192.0.2.77"
FOREIGN_ROUTE = "10.200.0.0/16"


@dataclass
class LabCtx:
    running: ThreadedLab
    store: Any
    profile: Any

    @property
    def router(self) -> Any:
        return self.running.lab.router

    @property
    def cloud(self) -> Any:
        return self.running.lab.cloud

    def engine(self, **kw: Any) -> Engine:
        return Engine(self.profile, self.store, accept_new_host_key=True, **kw)

    def config(self) -> str:
        return self.running.call(lambda: self.router.cli("display current-configuration"))

    def snapshot(self) -> Any:
        return self.cloud.snapshot(REGION)

    def psk(self) -> str:
        return self.store.get(LAB_NAME, "psk").reveal()

    def password(self) -> str:
        return self.store.get(LAB_NAME, "h3c-password").reveal()


def start_lab(monkeypatch: Any, tmp_path: Any, settings: LabSettings | None = None, *,
              ike_version: str = "ikev1") -> tuple[ThreadedLab, LabCtx]:
    monkeypatch.setenv("VPNCONSOLE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("VPNCONSOLE_KEYRING_PASSWORD", MASTER)
    store = secrets.open_store()
    running = ThreadedLab(settings or LabSettings(fast=True, fixed_ports=False), store=store)
    running.start()
    try:
        profile = load_profile(find_profile(LAB_NAME))
        if ike_version != profile.ike.version:
            profile.ike.version = ike_version
            save_profile(profile)  # the CLI reads the file: it must see the same profile
            profile = load_profile(find_profile(LAB_NAME))
    except BaseException:
        running.close()
        raise
    return running, LabCtx(running, store, profile)


def add_foreign_config(ctx: LabCtx, engine: Engine) -> None:
    """A foreign ACL, static route and IKE profile on the router; a customer gateway and a route
    entry of somebody else's in the cloud."""
    dialect = "v5" if ctx.profile.platform == "comware5" else "v7"
    out = ctx.running.call(lambda: ctx.router.run_config(FOREIGN_ROUTER_LINES[dialect]))
    assert "% " not in out, out
    ctx.cloud.add_customer_gateway(REGION, FOREIGN_CGW_IP, name="customer-other")
    from alibabacloud_vpc20160428 import models

    table = foreign_table(ctx)
    engine.alibaba.client.create_route_entry(models.CreateRouteEntryRequest(
        region_id=REGION, route_table_id=table, destination_cidr_block=FOREIGN_ROUTE,
        next_hop_type="VpnGateway", next_hop_id=ctx.profile.cloud.vpn_gateway_id, route_entry_name="customer-other"))


def foreign_table(ctx: LabCtx) -> str:
    snap = ctx.snapshot()
    vpc = next(iter(snap.vpcs.values()))
    return next(t.route_table_id for t in vpc.route_tables if getattr(t, "route_table_type", "System") == "System")


def cloud_inventory(ctx: LabCtx) -> dict[str, Any]:
    snap = ctx.snapshot()
    routes = sorted((e.destination_cidr_block, e.next_hop_type) for vpc in snap.vpcs.values()
                    for t in vpc.route_tables for e in t.entries if e.next_hop_type == "VpnGateway")
    return {"connections": sorted(snap.connections), "cgws": sorted(c.ip_address for c in snap.customer_gateways.values()),
            "routes": routes}


def wait_up(engine: Engine, deadline_s: float = 15.0) -> Any:
    deadline = time.monotonic() + deadline_s
    while True:
        report = asyncio.run(engine.status())
        if report.verdict.up or time.monotonic() > deadline:
            return report
        time.sleep(0.2)


def assert_clean_after_teardown(ctx: LabCtx, before_config: str, before_cloud: dict[str, Any]) -> None:
    after = ctx.config()
    assert after == before_config
    inv = cloud_inventory(ctx)
    assert inv == before_cloud, inv
    assert FOREIGN_CGW_IP in inv["cgws"] and (FOREIGN_ROUTE, "VpnGateway") in inv["routes"]
