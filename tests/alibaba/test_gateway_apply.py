"""AlibabaEnd against the simulated VPC API over real HTTP with the real SDK: discover, apply,
idempotence, modify-in-place, CGW reuse, FinancialLocked, credentials from the keyring."""

from __future__ import annotations

import json

import pytest

from tests.alibaba.gateway_fixtures import PSK, aliyun_env, any_lab, classic, dual, psk  # noqa: F401
from vpnconsole.alibaba.errors import GatewayLockedError
from vpnconsole.alibaba.gateway import AlibabaEnd
from vpnconsole.params import psk_fingerprint


def test_discover_single_gateway(classic):
    facts = classic.end().discover()
    assert not facts.dual_tunnel
    assert facts.ips == ("203.0.113.20",)
    assert facts.status == "active" and facts.vpc_id == classic.vpc_id
    assert facts.route_table_id == classic.table_id


def test_discover_dual_gateway(dual):
    end = dual.end()
    facts = end.discover()
    assert facts.dual_tunnel and facts.ips == ("203.0.113.60", "203.0.113.61")
    assert end.last_discovery.customer_gateway is None and end.last_discovery.connection is None


def test_apply_then_read_equals_profile(any_lab):
    end = any_lab.end()
    result = end.apply(psk(), any_lab.sink)
    assert len(result.created) == 3 and result.writes == 3
    state = any_lab.end().read()
    assert state.reachable and not state.errors, state.errors
    assert state.params == any_lab.profile.params(psk_fingerprint(PSK))
    assert [r.destination for r in state.routes if r.ours] == ["192.168.0.0/24"]
    assert state.facts["connection_state"] == "active"
    assert len(state.tunnels) == len(any_lab.profile.cloud.gateway_ips)
    if any_lab.profile.dual_tunnel:
        assert [t.role for t in state.tunnels] == ["master", "slave"]
    # progress events carry the elapsed time and the cloud status while waiting
    waits = [e for e in any_lab.events if e.kind == "progress"]
    assert any(e.status == "updating" for e in waits) and any(e.status == "Pending" for e in waits)
    assert all(e.elapsed >= 0 for e in any_lab.events)
    # the manifest: 0600, what we created, the nonce, complete
    m = any_lab.manifest()
    assert any_lab.manifest_mode() == 0o600
    assert m["complete"] is True and m["nonce"] == result.nonce and m["customer_gateway_created"] is True
    assert m["vpn_connection_id"] == result.created[1]


def test_apply_twice_creates_nothing_and_writes_nothing(any_lab):
    any_lab.end().apply(psk())
    before = any_lab.inventory()
    second = any_lab.end()
    result = second.apply(psk())
    assert any_lab.inventory() == before
    assert result.created == [] and result.modified == [] and result.writes == 0
    assert all(action.startswith("Describe") for action, _ in second.call_log)
    assert len(result.unchanged) == 3


def test_changed_parameter_modifies_in_place(any_lab):
    any_lab.end().apply(psk())
    vco = any_lab.ours()["connections"][0][1]
    any_lab.profile.ipsec.pfs = "group5"
    any_lab.profile.ike.lifetime = 28800
    end = any_lab.end()
    result = end.apply(psk(), any_lab.sink)
    assert result.modified == [vco] and result.created == []
    assert [a for a, _ in end.call_log if not a.startswith("Describe")] == ["ModifyVpnConnectionAttribute"]
    assert any_lab.ours()["connections"][0][1] == vco  # same connection, not recreated
    state = any_lab.end().read()
    assert state.params == any_lab.profile.params(psk_fingerprint(PSK))
    # a new PSK is a parameter change too
    new = type(psk())("Another-Psk-77", "psk")
    assert any_lab.end().apply(new).modified == [vco]
    assert any_lab.end().read().params.tunnels[0].psk_fingerprint == psk_fingerprint("Another-Psk-77")


def test_modify_sends_full_configs(dual):
    dual.end().apply(psk())
    dual.profile.ike.integrity = "sha512"
    end = dual.end()
    end.apply(psk())
    (masked,) = [json.loads(p) for a, p in end.call_log if a == "ModifyVpnConnectionAttribute"]
    tunnels = masked["TunnelOptionsSpecification"]
    assert sorted(t["Role"] for t in tunnels) == ["master", "slave"]
    assert all(t["TunnelId"].startswith("tun-") for t in tunnels)
    assert all(set(t["TunnelIkeConfig"]) >= {"IkeVersion", "IkeMode", "IkeEncAlg", "IkeAuthAlg", "IkePfs",
                                             "IkeLifetime", "LocalId", "RemoteId", "Psk"} for t in tunnels)
    assert all(t["TunnelIkeConfig"]["Psk"] == "******" for t in tunnels)


def test_existing_customer_gateway_is_reused_and_kept(classic):
    existing = classic.sim.add_customer_gateway(classic.region, classic.profile.onprem.public_ip, name="office")
    result = classic.end().apply(psk())
    assert existing.customer_gateway_id in result.adopted
    assert len(classic.inventory()["cgws"]) == 1
    assert classic.manifest()["customer_gateway_created"] is False
    td = classic.end().teardown()
    assert existing.customer_gateway_id in td.kept
    assert classic.inventory()["cgws"] == [(classic.profile.onprem.public_ip, "office")]
    assert classic.inventory()["connections"] == [] and classic.inventory()["routes"] == []


def test_financial_locked_gateway_fails_before_any_write(classic):
    classic.sim.set_gateway_status(classic.region, classic.profile.cloud.vpn_gateway_id,
                                   business_status="FinancialLocked")
    end = classic.end()
    with pytest.raises(GatewayLockedError, match="FinancialLocked"):
        end.apply(psk())
    assert all(action.startswith("Describe") for action, _ in end.call_log)
    assert classic.inventory()["cgws"] == []
    state = classic.end().read()
    assert any("FinancialLocked" in e for e in state.errors)


def test_credentials_from_the_keyring(tmp_path, monkeypatch, classic):
    from vpnconsole import secrets

    monkeypatch.delenv("ALIBABA_CLOUD_ACCESS_KEY_ID")
    monkeypatch.delenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET")
    monkeypatch.setenv("ALIBABA_CLOUD_CLI_PROFILE_DISABLED", "true")
    monkeypatch.setenv("VPNCONSOLE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("VPNCONSOLE_KEYRING_PASSWORD", "gateway-test-master")
    store = secrets.open_store()
    store.set("classic", "alibaba-access-key-id", "LTAI-from-keyring")
    store.set("classic", "alibaba-access-key-secret", "keyring-secret-value")
    store.set("classic", "psk", PSK)
    end = AlibabaEnd(classic.profile, lambda: store, state_dir=classic.state_dir, clock=classic.clock.now,
                     sleep=classic.sleep)
    result = end.apply()  # PSK from the store too
    assert len(result.created) == 3
    assert end.read().params == classic.profile.params(psk_fingerprint(PSK))


def test_endpoint_parsing():
    from vpnconsole.alibaba.client import parse_endpoint

    ep = parse_endpoint("http://127.0.0.1:18765")
    assert (ep.host, ep.protocol) == ("127.0.0.1:18765", "http")
    ep = parse_endpoint("vpc.cn-shanghai.aliyuncs.com")
    assert (ep.host, ep.protocol) == ("vpc.cn-shanghai.aliyuncs.com", "https")
    assert parse_endpoint(None).host is None


def test_gateway_module_does_not_import_the_sdk():
    import subprocess
    import sys

    code = ("import sys, vpnconsole.alibaba.gateway, vpnconsole.alibaba.client, vpnconsole.alibaba.errors; "
            "print(any(m.startswith(('alibabacloud', 'darabonba', 'Tea')) for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
