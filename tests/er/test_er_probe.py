"""The probe on an ER lab: cloud targets are pinged from the router, which an ER cannot do (no CLI);
the probe says so plainly instead of blaming a missing session."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

from vpnconsole.probe import run_probe
from vpnconsole.profile import load_profile

PROFILES = Path(__file__).resolve().parents[2] / "profiles"


def test_router_pings_on_an_er_are_skipped_with_the_reason():
    profile = load_profile(PROFILES / "er3200g2.yaml")
    profile.onprem = dataclasses.replace(profile.onprem, lan_address="192.168.0.1")
    profile.probe = dataclasses.replace(profile.probe, openstack_api=None, api_endpoints=[], floating_ips=[],
                                        cloud_targets=["172.16.0.10"], icmp=False)
    report = asyncio.run(run_probe(profile, icmp="none"))
    assert any("web-managed ER" in w for w in report.warnings), report.warnings
    assert [c.status for c in report.checks if c.kind == "router-ping"] == ["skipped"]
