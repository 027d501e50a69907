"""Hand edits behind the tool's back: `diff` names them (CLI exit 3), `status` explains them, and a
re-apply converges again."""

from __future__ import annotations

import asyncio
import json

import pytest
from alibabacloud_vpc20160428 import models

from tests.test_engine_helpers import start_lab, wait_up
from vpnconsole.cli import main
from vpnconsole.lab.runner import LAB_NAME, ONPREM_SUBNET, REGION, LabSettings


@pytest.fixture
def applied(monkeypatch, tmp_path):
    running, ctx = start_lab(monkeypatch, tmp_path, LabSettings(fast=True, fixed_ports=False))
    try:
        engine = ctx.engine()
        result = asyncio.run(engine.apply())
        assert result.ok, result.errors
        report = wait_up(engine)
        assert report.verdict.up, report.verdict.as_dict()
        yield ctx, engine
    finally:
        running.close()


def _converges(engine):
    result = asyncio.run(engine.apply())
    assert result.ok, result.errors
    report = wait_up(engine)
    assert report.verdict.up, report.verdict.as_dict()
    assert report.comparison.clean, report.comparison.as_dict()


def test_router_dh_group_edit(applied, capsys):
    ctx, engine = applied
    number = engine.h3c.load_manifest()["ike_proposal"]
    edited = ctx.running.call(lambda: ctx.router.cli("system-view", f"ike proposal {number}", "dh group5", "return"))
    assert "% " not in edited, edited
    assert main(["diff", LAB_NAME]) == 3
    out = capsys.readouterr().out
    assert "phase 1 DH group: profile group14, H3C group5" in out
    assert "phase 1 DH group: H3C group5, Alibaba group14" in out
    assert "profile ↔ Alibaba: same" in out
    assert main(["diff", LAB_NAME, "--json"]) == 3
    out = capsys.readouterr().out
    assert json.loads(out[out.index("{"):])["clean"] is False
    report = asyncio.run(engine.status())
    assert "phase 1 DH group: H3C group5, Alibaba group14" in report.verdict.problems
    _converges(engine)


def test_alibaba_pfs_edit_through_the_sdk(applied, capsys):
    ctx, engine = applied
    vco = engine.alibaba.load_manifest().vpn_connection_id
    live = engine.alibaba.client.describe_vpn_connection(models.DescribeVpnConnectionRequest(
        region_id=REGION, vpn_connection_id=vco)).body.to_map()
    ipsec = dict(live["IpsecConfig"])
    assert ipsec["IpsecPfs"] == "group14"
    ipsec["IpsecPfs"] = "group5"
    engine.alibaba.client.modify_vpn_connection_attribute(models.ModifyVpnConnectionAttributeRequest(
        region_id=REGION, vpn_connection_id=vco, ipsec_config=json.dumps(ipsec)))
    assert main(["diff", LAB_NAME]) == 3
    out = capsys.readouterr().out
    assert "profile ↔ H3C: same" in out
    assert "PFS" in out and "group5" in out, out
    report = asyncio.run(engine.status())
    assert any("PFS" in p and "group5" in p for p in report.verdict.problems), report.verdict.as_dict()
    assert not report.comparison.clean
    _converges(engine)


def test_deleted_vpc_route_entry(applied, capsys):
    ctx, engine = applied
    manifest = engine.alibaba.load_manifest()
    route = next(r for r in manifest.route_entries if r.destination == ONPREM_SUBNET)
    engine.alibaba.client.delete_route_entry(models.DeleteRouteEntryRequest(
        region_id=REGION, route_table_id=route.route_table_id, destination_cidr_block=ONPREM_SUBNET,
        next_hop_id=ctx.profile.cloud.vpn_gateway_id))
    report = asyncio.run(engine.status())
    assert report.verdict.code == "route-missing", report.verdict.as_dict()
    assert ONPREM_SUBNET in report.verdict.summary
    assert f"{ONPREM_SUBNET} missing in VPC route table ✗" in report.verdict.paths
    assert main(["status", LAB_NAME]) == 4
    assert ONPREM_SUBNET in capsys.readouterr().out
    _converges(engine)
