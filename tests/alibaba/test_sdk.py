"""Plan calls → the SDK's own request models (alibabacloud-vpc20160428), and the lazy import."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from vpnconsole.alibaba.plan import Call
from vpnconsole.alibaba.translate import (AlibabaManifest, RouteEntryRecord, VpnRouteRecord, plan_apply,
                                          plan_teardown, sdk_method, to_sdk_request)
from vpnconsole.profile import load_profile
from vpnconsole.redact import Secret

from .simulate import results_for

PROJECT = Path(__file__).resolve().parents[2]
PSK_TEXT = "Sdk{Key}:[7],=ok"
PSK = Secret(PSK_TEXT, "psk")


def _profile(name):
    return load_profile(PROJECT / "profiles" / f"{name}.yaml")


def _all_plans():
    out = []
    for name in ("classic", "hardened", "dual-tunnel"):
        p = _profile(name)
        apply_plan = plan_apply(p, PSK, nonce="s1")
        out.append((f"{name}-apply", apply_plan, results_for(apply_plan)))
        m = AlibabaManifest(p.cloud.region, p.cloud.vpn_gateway_id, "cgw-1", True, "vco-1",
                            [RouteEntryRecord("vtb-1", "192.168.0.0/24", "rte-1"),
                             RouteEntryRecord("vtb-1", "192.168.9.0/24", None, p.cloud.vpn_gateway_id)],
                            [VpnRouteRecord("192.168.0.0/24", "vco-1", 0, "Ipsec")])
        out.append((f"{name}-teardown", plan_teardown(p, m, nonce="s2"), {}))
    return out


CASES = [(f"{label}:{call.step}", call, results) for label, plan, results in _all_plans() for call in plan]


def _prune(value):
    if isinstance(value, dict):
        return {k: _prune(v) for k, v in value.items() if v is not None and v != []}
    if isinstance(value, list):
        return [_prune(v) for v in value]
    return value


@pytest.mark.parametrize("label,call,results", CASES, ids=[c[0] for c in CASES])
def test_every_call_converts_and_to_map_agrees(label, call: Call, results):
    request = to_sdk_request(call, results)
    assert type(request).__name__ == f"{call.action}Request"
    wire = call.reveal(results)
    assert _prune(request.to_map()) == wire
    # types survive: booleans stay bools, lifetimes ints (the SDK serialises them itself)
    for key, value in wire.items():
        assert type(request.to_map()[key]) is type(value)
    from alibabacloud_vpc20160428.client import Client
    assert callable(getattr(Client, sdk_method(call.action)))


def test_dual_tunnel_builds_typed_tunnel_sub_models():
    from alibabacloud_vpc20160428 import models as m
    plan = plan_apply(_profile("dual-tunnel"), PSK, nonce="s1")
    request = to_sdk_request(plan.step("vpn-connection"), results_for(plan))
    assert isinstance(request, m.CreateVpnConnectionRequest)
    assert request.ike_config is None and request.customer_gateway_id is None
    master, slave = request.tunnel_options_specification
    for tunnel in (master, slave):
        assert isinstance(tunnel, m.CreateVpnConnectionRequestTunnelOptionsSpecification)
        assert isinstance(tunnel.tunnel_ike_config, m.CreateVpnConnectionRequestTunnelOptionsSpecificationTunnelIkeConfig)
        assert isinstance(tunnel.tunnel_ipsec_config,
                          m.CreateVpnConnectionRequestTunnelOptionsSpecificationTunnelIpsecConfig)
        assert tunnel.customer_gateway_id == "cgw-sim0000000001" and tunnel.tunnel_ike_config.psk == PSK_TEXT
        assert tunnel.tunnel_ike_config.ike_lifetime == 86400 and tunnel.enable_dpd is True
    assert (master.role, slave.role) == ("master", "slave")
    assert (master.tunnel_ike_config.local_id, slave.tunnel_ike_config.local_id) == ("203.0.113.60", "203.0.113.61")
    assert isinstance(request.tags[0], m.CreateVpnConnectionRequestTags)


def test_single_tunnel_configs_are_json_strings_in_the_model():
    plan = plan_apply(_profile("classic"), PSK, nonce="s1")
    request = to_sdk_request(plan.step("vpn-connection"), results_for(plan))
    assert isinstance(request.ike_config, str) and isinstance(request.ipsec_config, str)
    assert json.loads(request.ike_config)["Psk"] == PSK_TEXT
    assert request.effect_immediately is True and request.region_id == "cn-hangzhou"
    assert request.tunnel_options_specification is None


def test_a_lost_parameter_is_reported_by_name_not_value():
    call = Call("x", "CreateCustomerGateway", {"RegionId": "r", "IpAddres": "198.51.100.1", "Psk": PSK})
    with pytest.raises(ValueError) as info:
        to_sdk_request(call)
    assert "IpAddres" in str(info.value) and PSK_TEXT not in str(info.value)


def test_render_does_not_import_the_sdk():
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from vpnconsole.profile import load_profile\n"
        "from vpnconsole.redact import Secret\n"
        "from vpnconsole.alibaba import translate\n"
        "for name in ('classic', 'hardened', 'dual-tunnel'):\n"
        "    p = load_profile(Path('profiles') / f'{name}.yaml')\n"
        "    translate.render(p, Secret('Abc-123-def', 'psk'))\n"
        "    translate.render(p, teardown=True, manifest={'vpn_connection_id': 'vco-1'})\n"
        "heavy = [m for m in sys.modules if m.split('.')[0] in ('alibabacloud_vpc20160428', "
        "'alibabacloud_tea_openapi', 'darabonba', 'Tea')]\n"
        "print(heavy)\n")
    proc = subprocess.run([sys.executable, "-c", script], cwd=PROJECT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"
