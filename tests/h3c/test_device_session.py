"""H3CEnd connection handling (host keys, legacy SSH, auth), read() with SA states, reset_sas, and
secrets staying out of every output."""

from __future__ import annotations

import re

import pytest

from vpnconsole.endstate import DOWN, UP
from vpnconsole.h3c.device import AuthError, ConnectError, H3CEnd, HostKeyError, parse_ike_sa, parse_ipsec_sa
from vpnconsole.h3c.hostkeys import default_known_hosts
from vpnconsole.lab.h3c import StaticPeer

from .device_helpers import PASSWORD, PSK, SYSNAME, end_for, open_store, profile, router, serve


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    # one keyring per module (opening it costs a key derivation); tests that change a secret put it back
    with pytest.MonkeyPatch.context() as mp:
        yield open_store(tmp_path_factory.mktemp("keyring"), mp)


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    return tmp_path_factory.mktemp("hostkeys")


def test_unknown_host_key_refused_then_accepted_with_the_flag(store, tmp_path, keys):
    known = default_known_hosts()  # in the test's own HOME
    assert not known.exists()
    with serve(router(), keys / "a") as srv:
        p = profile(port=srv.port)
        with pytest.raises(HostKeyError) as info:
            H3CEnd(p, store, state_dir=tmp_path).read_config()
        assert info.value.status == "unknown-refused" and info.value.fingerprint.startswith("SHA256:")
        assert f"[127.0.0.1]:{srv.port}" in str(info.value) and info.value.fingerprint in str(info.value)
        assert not known.exists() or f"[127.0.0.1]:{srv.port}" not in known.read_text()
        events = []
        H3CEnd(p, store, state_dir=tmp_path, accept_new_host_key=True).read_config(emit=events.append)
        assert f"[127.0.0.1]:{srv.port} ssh-ed25519 " in known.read_text()
        assert any("added to known_hosts" in e.message for e in events)
        # now known: connects without the flag
        assert "sysname EDGE" in H3CEnd(p, store, state_dir=tmp_path).read_config()


def test_unknown_host_key_via_the_callback(store, tmp_path, keys):
    with serve(router(), keys / "b") as srv:
        p = profile(port=srv.port)
        asked = []
        with pytest.raises(HostKeyError) as info:
            H3CEnd(p, store, ask_host_key=lambda *a: asked.append(a) or False).read_config()
        assert info.value.status == "declined" and len(asked) == 1
        host, key_type, fp = asked[0]
        assert (host, key_type) == (f"[127.0.0.1]:{srv.port}", "ssh-ed25519") and fp.startswith("SHA256:")
        H3CEnd(p, store, ask_host_key=lambda *a: True).read_config()
        assert f"[127.0.0.1]:{srv.port}" in default_known_hosts().read_text()


def test_changed_host_key_is_always_refused_with_both_fingerprints(store, tmp_path, keys):
    dev = router()
    with serve(dev, keys / "c") as srv:
        port = srv.port
        p = profile(port=port)
        H3CEnd(p, store, accept_new_host_key=True).read_config()
    with serve(dev, keys / "d") as srv2:  # same router, new key, same port if free (else rewrite)
        known = default_known_hosts()
        text = known.read_text().replace(f"[127.0.0.1]:{port}", f"[127.0.0.1]:{srv2.port}")
        known.write_text(text)
        p = profile(port=srv2.port)
        for kw in ({}, {"accept_new_host_key": True}, {"ask_host_key": lambda *a: True}):
            with pytest.raises(HostKeyError) as info:
                H3CEnd(p, store, **kw).read_config()
            msg = str(info.value)
            assert info.value.status == "changed" and "CHANGED" in msg
            assert len(set(re.findall(r"SHA256:[A-Za-z0-9+/]+", msg))) == 2
            assert "line 1 of" in msg and "ssh-keygen -R" in msg
            assert PASSWORD not in msg


def test_legacy_router_sha1_kex_and_ssh_rsa(store, tmp_path, keys):
    dev = router(peer=None)
    with serve(dev, keys / "legacy-rsa", legacy=True) as srv:
        p = profile(port=srv.port)
        end = end_for(p, store, tmp_path)
        end.apply()
        state = end.read()
        assert state.params == p.params(None)
        assert " ssh-rsa " in default_known_hosts().read_text()
        end.teardown()


def test_auth_and_connect_errors_name_the_host_never_the_secret(store, tmp_path):
    with serve(router()) as srv:
        p = profile(port=srv.port)
        store.set("classic", "h3c-password", "Wrong-Pass-123")
        with pytest.raises(AuthError) as info:
            end_for(p, store, tmp_path).read_config()
        assert f"127.0.0.1:{srv.port}" in str(info.value) and "Wrong-Pass-123" not in str(info.value)
        store.delete("classic", "h3c-password")
        with pytest.raises(AuthError, match="secret set classic h3c-password"):
            end_for(p, store, tmp_path).read_config()
        port = srv.port
    store.set("classic", "h3c-password", PASSWORD)
    with pytest.raises(ConnectError) as info:
        end_for(profile(port=port), store, tmp_path, conn_timeout=3).read_config()
    assert f"127.0.0.1:{port}" in str(info.value) and PASSWORD not in str(info.value)
    state = end_for(profile(port=port), store, tmp_path, conn_timeout=3).read()
    assert not state.reachable and state.errors and state.params is None


def _peer() -> StaticPeer:
    return StaticPeer(public_ip="203.0.113.20", ike_integrity="sha1", ike_dh="group2", ipsec_integrity="sha1",
                      ipsec_pfs="group2", psk=PSK, local_subnets=["172.16.0.0/24"], remote_subnets=["192.168.0.0/24"])


def test_read_before_and_after_the_tunnel_comes_up_and_reset(store, tmp_path):
    dev = router(peer=_peer())
    with serve(dev) as srv:
        p = profile(port=srv.port)
        end = end_for(p, store, tmp_path)
        empty = end.read()
        assert empty.reachable and empty.params is None
        assert [(t.cloud_ip, t.phase1, t.phase2) for t in empty.tunnels] == [("203.0.113.20", DOWN, DOWN)]
        assert any(r.destination == "0.0.0.0/0" and not r.ours for r in empty.routes)
        end.apply()
        ping = dev.cli("ping -a 192.168.0.1 172.16.0.10")
        assert "packet(s) received" in ping and " 0 packet(s) received" not in ping
        state = end.read()
        (t,) = state.tunnels
        assert (t.phase1, t.phase2) == (UP, UP) and "RD" in t.detail
        assert t.lifetime_left is not None and 0 < t.lifetime_left <= 86400
        assert t.packets_out is not None and t.packets_out >= 1
        assert any(r.destination == "172.16.0.0/24" and r.ours and r.next_hop == "198.51.100.9" for r in state.routes)
        sent = end.reset_sas()
        assert sent[0] == "reset ipsec sa policy VPNC-CLASSIC-POL" and any("connection-id" in c for c in sent)
        after = end.read()
        assert after.tunnels[0].phase2 == DOWN
        end.teardown()


def test_session_log_never_holds_psk_or_password(store, tmp_path):
    dev = router(echo_wrap=80)
    with serve(dev) as srv:
        log = tmp_path / "s.log"
        end = end_for(profile(port=srv.port), store, tmp_path, session_log=log)
        end.apply()
        end.read()
        end.teardown()
        text = log.read_text()
        assert "pre-shared-key address 203.0.113.20" in text and f"<{SYSNAME}>" in text
        for secret in (PSK, PASSWORD):
            assert secret not in text and secret not in re.sub(r"[\r\n]", "", text)
        assert PSK[:12] not in text


def test_display_parsers_on_reference_samples():
    ike = """    Connection-ID   Local               Remote              Flag      DOI
-------------------------------------------------------------------------
    3               203.0.113.2         198.51.100.20       RD        IPsec
Flags:
RD--READY RL--REPLACED FD-FADING RK-REKEY
"""
    assert parse_ike_sa(ike)[0]["FLAG"] == "RD"
    v5 = """    total phase-1 SAs:  1
    connection-id  peer            flag        phase   doi
  ----------------------------------------------------------
        1          198.51.100.20   RD|ST       1       IPSEC
        2          198.51.100.20   RD|ST       2       IPSEC
"""
    rows = parse_ike_sa(v5)
    assert [r["PHASE"] for r in rows] == ["1", "2"] and rows[0]["REMOTE"] == "198.51.100.20"
    sa = """-------------------------------
Interface: GigabitEthernet0/0
-------------------------------

  -----------------------------
  IPsec policy: ALIVPN-POL
  Sequence number: 10
  Mode: ISAKMP
  -----------------------------
    Tunnel id: 0
    Tunnel:
        local  address: 203.0.113.2
        remote address: 198.51.100.20

    [Inbound ESP SAs]
      SPI: 2851946721 (0xa9fd5ae1)
      Transform set: ESP-ENCRYPT-AES-CBC-128 ESP-AUTH-SHA256
      SA remaining duration (kilobytes/sec): 1843180/86211
      Max received sequence-number: 37
      Status: Active

    [Outbound ESP SAs]
      SPI: 3365412077 (0xc897a5ed)
      SA remaining duration (kilobytes/sec): 1843179/86211
      Max sent sequence-number: 38
      Status: Active
"""
    (row,) = parse_ipsec_sa(sa)
    assert (row["REMOTE_ADDR"], row["IN_SPI"], row["OUT_SEQ"], row["IN_REMAINING"]) == \
        ("198.51.100.20", "2851946721", "38", "1843180/86211")


def test_ssh_config_host_alias_is_honoured(store, tmp_path, keys):
    """Jump hosts name routers in ~/.ssh/config; the profile may use that alias as its host."""
    from pathlib import Path

    with serve(router(), keys / "cfg") as srv:
        ssh_dir = Path.home() / ".ssh"
        ssh_dir.mkdir(mode=0o700, exist_ok=True)
        (ssh_dir / "config").write_text(f"Host branch-router\n    HostName 127.0.0.1\n    Port {srv.port}\n")
        p = profile(port=srv.port, **{"onprem.device.host": "branch-router"})
        text = H3CEnd(p, store, state_dir=tmp_path, accept_new_host_key=True).read_config()
        assert "sysname EDGE" in text
        (ssh_dir / "config").unlink()
