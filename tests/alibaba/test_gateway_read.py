"""read(): hand edits show up, log lines become TunnelState.reason, routes are marked ours, no
Describe is repeated; the PSK never leaks into events, manifests, logs or exception texts."""

from __future__ import annotations

import json
import logging
import urllib.parse
from collections import Counter

import pytest

from tests.alibaba.gateway_fixtures import PSK, aliyun_env, any_lab, classic, dual, psk  # noqa: F401
from vpnconsole.alibaba.errors import AlibabaError
from vpnconsole.alibaba.gateway import reason_from_logs, tunnel_phases
from vpnconsole.alibaba.plan import Call, JsonText
from vpnconsole.lab.aliyun import LogLine


def test_hand_edited_pfs_shows_up_and_apply_restores_it(classic):
    end = classic.end()
    end.apply(psk())
    vco = classic.manifest()["vpn_connection_id"]
    ipsec = {"IpsecEncAlg": "aes", "IpsecAuthAlg": "sha1", "IpsecPfs": "disabled", "IpsecLifetime": 86400}
    end._invoke(Call("hand", "ModifyVpnConnectionAttribute", {"RegionId": classic.region, "VpnConnectionId": vco,
                                                              "IpsecConfig": JsonText(ipsec)}))
    classic.clock.advance(10)
    state = classic.end().read()
    assert state.params.tunnels[0].ipsec.pfs == "none"
    result = classic.end().apply(psk())
    assert result.modified == [vco]
    assert classic.end().read().params.tunnels[0].ipsec.pfs == "group2"


def test_deleted_vpc_route_shows_up(any_lab):
    end = any_lab.end()
    end.apply(psk())
    rid = any_lab.manifest()["route_entries"][0]["route_entry_id"]
    end._invoke(Call("hand", "DeleteRouteEntry", {"RegionId": any_lab.region, "RouteEntryId": rid}))
    any_lab.clock.advance(10)
    state = any_lab.end().read()
    assert not [r for r in state.routes if r.ours]
    assert any("192.168.0.0/24" in e for e in state.errors)
    assert any_lab.end().apply(psk()).created  # put back
    assert not any_lab.end().read().errors


def test_log_lines_give_the_failure_reason_single(classic):
    classic.end().apply(psk())
    vco = classic.manifest()["vpn_connection_id"]
    t = classic.clock.now()
    classic.sim.set_negotiation(vco, "ike_sa_not_established", logs=[
        LogLine(t - 20, "INFO", "isakmp.c:1116", "initiate new phase 1 negotiation: 203.0.113.20[500]<=>198.51.100.10[500]"),
        LogLine(t - 10, "ERROR", "isakmp.c:2040", "no proposal chosen: IKE encryption aes vs H3C 3des"),
    ])
    state = classic.end().read()
    (tunnel,) = state.tunnels
    assert (tunnel.phase1, tunnel.phase2) == ("down", "down")
    assert tunnel.reason.startswith("no proposal chosen")


def test_log_lines_per_tunnel_and_states_dual(dual):
    dual.end().apply(psk())
    vco = dual.manifest()["vpn_connection_id"]
    conn = dual.sim.find_connection(vco)
    master, slave = conn.tunnels
    t = dual.clock.now()
    dual.sim.set_negotiation(vco, "ipsec_sa_established", tunnel_id=master.tunnel_id)
    dual.sim.set_negotiation(vco, "ike_sa_not_established", tunnel_id=slave.tunnel_id, logs=[
        LogLine(t - 5, "ERROR", "isakmp_inf.c:1082", "PSK mismatch: authentication failed (pre-shared keys differ)")])
    state = dual.end().read()
    m, s = state.tunnels
    assert (m.role, m.phase1, m.phase2, m.reason) == ("master", "up", "up", None)
    assert (s.role, s.phase1, s.reason.split(":")[0]) == ("slave", "down", "PSK mismatch")
    assert m.cloud_ip == "203.0.113.60" and s.cloud_ip == "203.0.113.61"


def test_read_repeats_no_describe(any_lab):
    any_lab.end().apply(psk())
    end = any_lab.end()
    end.read()
    counts = Counter(end.last_read_calls)
    assert counts and max(counts.values()) == 1, counts
    assert len(end.last_read_calls) <= 8


def test_read_without_anything_configured(classic):
    state = classic.end().read()
    assert state.reachable and state.params is None and state.tunnels == ()


def test_read_of_an_unreachable_api(classic):
    classic.server.stop()
    state = classic.end(max_attempts=2).read()
    assert not state.reachable and state.errors


def test_phases_and_reasons():
    assert tunnel_phases("ipsec_sa_established") == ("up", "up")
    assert tunnel_phases("ike_sa_established") == ("up", "negotiating")
    assert tunnel_phases("ipsec_sa_not_established") == ("up", "down")
    assert tunnel_phases(None) == ("unknown", "unknown")
    lines = ["2026-01-01 08:00:00 vco-x [INFO]: isakmp.c:1116:initiate new phase 1 negotiation: a<=>b",
             "2026-01-01 08:00:08 vco-x [ERROR]: isakmp.c:1745:phase1 negotiation failed due to time up. a<=>b"]
    assert reason_from_logs(lines).startswith("peer not responding: phase1 negotiation failed")
    assert reason_from_logs(lines[:1]) is None


def test_renegotiate(classic):
    classic.end().apply(psk())
    vco = classic.end().renegotiate()
    assert vco == classic.manifest()["vpn_connection_id"]


def test_psk_never_leaks(any_lab, caplog):
    lab = any_lab
    caplog.set_level(logging.DEBUG)
    lab.sim.faults.error_after_commit("CreateVpnConnection")
    lab.sim.faults.html_502("CreateVpnConnection")
    lab.sim.faults.throttle("ModifyVpnConnectionAttribute", retry_after_ms=500)
    lab.end().apply(psk(), lab.sink)
    lab.profile.ipsec.lifetime = 3600
    lab.end().apply(psk(), lab.sink)
    texts = [repr(e) for e in lab.events] + [json.dumps(lab.manifest())]
    state = lab.end().read()
    texts.append(repr(state))
    lab.sim.faults.error(400, "InvalidParameter", "bad", action="ModifyVpnConnectionAttribute")
    lab.profile.ipsec.lifetime = 7200
    with pytest.raises(AlibabaError) as info:
        lab.end().apply(psk(), lab.sink)
    texts += [str(info.value), repr(info.value)]
    lab.end().teardown(lab.sink)
    texts += [repr(e) for e in lab.events]
    texts += [r.getMessage() for r in caplog.records] + [caplog.text]
    blob = "\n".join(texts)
    for form in (PSK, urllib.parse.quote(PSK), urllib.parse.quote_plus(PSK), json.dumps(PSK)[1:-1]):
        assert form not in blob
