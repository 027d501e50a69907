"""The engine against the embedded lab: apply → status up → diff clean → a hand edit named by diff →
teardown leaves both ends as they were.  Real SSH (netmiko), the real SDK over HTTP."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from vpnconsole.cli import main
from vpnconsole.engine import Engine
from vpnconsole.lab.runner import LAB_NAME
from vpnconsole.profile import find_profile, load_profile


@pytest.fixture
def lab(running_lab):
    return running_lab


def test_full_cycle_through_the_engine_and_the_cli(lab, capsys):
    running, store = lab
    router = running.lab.router
    before = router.cli("display current-configuration")
    profile = load_profile(find_profile(LAB_NAME))
    engine = Engine(profile, store, accept_new_host_key=True)

    report = asyncio.run(engine.status())
    assert report.verdict.code == "not-configured"

    result = asyncio.run(engine.apply())
    assert result.ok, result.errors
    # Alibaba initiates (EffectImmediately); the first status may still see it negotiating.
    deadline = time.monotonic() + 15
    while True:
        report = asyncio.run(engine.status())
        if report.verdict.up or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert report.verdict.up, report.verdict.as_dict()
    assert report.comparison.clean, report.comparison.as_dict()

    # The same through the command line: diff is clean, status says up.
    assert main(["diff", LAB_NAME]) == 0
    assert main(["status", LAB_NAME, "--json"]) == 0
    out = capsys.readouterr().out
    assert json.loads(out[out.index("{"):])["verdict"]["up"] is True

    # Someone changes the DH group on the router behind the tool's back.
    number = engine.h3c.load_manifest()["ike_proposal"]
    edited = running.call(lambda: router.cli("system-view", f"ike proposal {number}", "dh group5", "return"))
    assert "% " not in edited, edited
    assert main(["diff", LAB_NAME]) == 3
    out = capsys.readouterr().out
    assert "phase 1 DH group: H3C group5, Alibaba group14" in out
    assert "phase 1 DH group: profile group14, H3C group5" in out
    report = asyncio.run(engine.status())  # status explains it
    assert "phase 1 DH group: H3C group5, Alibaba group14" in report.verdict.problems

    # Teardown leaves the router as it was and nothing of ours in the cloud.
    result = asyncio.run(engine.teardown())
    assert result.ok, result.errors
    after = router.cli("display current-configuration")
    assert after == before
    snap = running.lab.cloud.snapshot("cn-hangzhou")
    assert not snap.connections and not snap.customer_gateways
    routes = [e for vpc in snap.vpcs.values() for t in vpc.route_tables for e in t.entries
              if e.next_hop_type == "VpnGateway"]
    assert routes == []
    audit = (engine.audit.path).read_text()
    assert '"operation": "apply"' in audit and '"operation": "teardown"' in audit
    assert store.get(LAB_NAME, "psk").reveal() not in audit
