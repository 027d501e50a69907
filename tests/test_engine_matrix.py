"""The full cycle through the engine on every lab shape: apply → status up → teardown leaves both
ends exactly as before, including unrelated configuration that was there first."""

from __future__ import annotations

import asyncio

import pytest

from tests.test_engine_helpers import (add_foreign_config, assert_clean_after_teardown, cloud_inventory, start_lab,
                                       wait_up)
from vpnconsole.endstate import UP
from vpnconsole.lab.runner import LabSettings

CASES = [
    pytest.param("comware7", False, False, "ikev1", id="v7-single-ikev1"),
    pytest.param("comware7", False, False, "ikev2", id="v7-single-ikev2"),
    pytest.param("comware7", True, False, "ikev1", id="v7-dual-ikev1"),
    pytest.param("comware7", True, False, "ikev2", id="v7-dual-ikev2"),
    pytest.param("comware5", False, False, "ikev1", id="v5-single-ikev1"),
    pytest.param("comware5", True, False, "ikev1", id="v5-dual-ikev1"),
    pytest.param("comware7", False, True, "ikev1", id="v7-single-legacy-ssh"),
    pytest.param("comware5", True, True, "ikev1", id="v5-dual-legacy-ssh"),
]


@pytest.mark.parametrize("platform,dual,legacy,ike", CASES)
def test_full_cycle(monkeypatch, tmp_path, platform, dual, legacy, ike):
    settings = LabSettings(platform=platform, dual_tunnel=dual, legacy_ssh=legacy, fast=True, fixed_ports=False)
    running, ctx = start_lab(monkeypatch, tmp_path, settings, ike_version=ike)
    try:
        engine = ctx.engine()
        assert engine.profile.ike.version == ike
        add_foreign_config(ctx, engine)
        before_config = ctx.config()
        before_cloud = cloud_inventory(ctx)

        assert asyncio.run(engine.status()).verdict.code == "not-configured"
        result = asyncio.run(engine.apply())
        assert result.ok, result.errors
        report = wait_up(engine)
        assert report.verdict.up, report.verdict.as_dict()
        assert report.comparison.clean, report.comparison.as_dict()
        cloud_tunnels = report.alibaba.tunnels
        if dual:
            assert len(cloud_tunnels) == 2
            # Both tunnels negotiated (phase 1) with the router; the master carries the traffic.
            assert all(t.phase1 == UP for t in cloud_tunnels), cloud_tunnels
            master = next(t for t in cloud_tunnels if t.role == "master")
            assert master.phase2 == UP, cloud_tunnels
        else:
            assert [t.phase2 for t in cloud_tunnels] == [UP]
        if ike == "ikev2":
            assert report.h3c.params.tunnels[0].ike.version == "ikev2"
            assert report.alibaba.params.tunnels[0].ike.version == "ikev2"

        # A second apply changes nothing on either end.
        again = asyncio.run(engine.apply())
        assert again.ok, again.errors
        assert again.h3c.sent == 0
        assert not again.alibaba.changed

        result = asyncio.run(engine.teardown())
        assert result.ok, result.errors
        assert_clean_after_teardown(ctx, before_config, before_cloud)
        assert engine.h3c.load_manifest() is None and engine.alibaba.load_manifest() is None
        assert asyncio.run(engine.status()).verdict.code == "not-configured"
    finally:
        running.close()
