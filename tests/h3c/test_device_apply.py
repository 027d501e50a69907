"""H3CEnd.apply / teardown against the lab router over real SSH (netmiko hp_comware, paramiko)."""

from __future__ import annotations

import json
import os
import stat

import pytest

from vpnconsole.h3c.device import DeviceError, SessionLost
from vpnconsole.h3c.plan import H3CPlan, Line
from vpnconsole.params import psk_fingerprint

from .device_helpers import PASSWORD, PSK, SYSNAME, FOREIGN, end_for, open_store, profile, router, running, saved, serve


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    # one keyring per module (opening it costs a key derivation); tests that change a secret put it back
    with pytest.MonkeyPatch.context() as mp:
        yield open_store(tmp_path_factory.mktemp("keyring"), mp)


def _no_secret(text: str) -> None:
    assert PSK not in text and PASSWORD not in text


def _check_events(events) -> None:
    for e in events:
        _no_secret(e.message + repr(e.data))


@pytest.mark.parametrize("dialect, platform", [("v7", "comware7"), ("v5", "comware5")])
def test_apply_reads_back_the_profile_and_converges(dialect, platform, store, tmp_path):
    dev = router(dialect)
    with serve(dev) as srv:
        p = profile(platform, port=srv.port)
        end = end_for(p, store, tmp_path)
        events = []
        first = end.apply(emit=events.append)
        assert first.sent > 20 and first.saved and first.changed
        state = end.read()
        assert state.reachable and state.errors == ()
        assert state.params == p.params(None)  # PSK only as ciphertext on the device: fingerprint unknown
        assert state.facts["platform"] == platform and state.facts["sysname"] == SYSNAME
        config = running(dev)
        assert saved(dev).split("\n", 1)[1] == config.split("\n", 1)[1]  # save force ran
        # apply twice = no change, nothing sent at all
        second = end.apply(emit=events.append)
        assert (second.sent, second.saved, second.changed) == (0, False, False)
        assert second.skipped == len(end.render(config).lines)
        assert running(dev) == config
        # the manifest: what was created, private, no secret
        manifest = end.manifest_path
        data = json.loads(manifest.read_text())
        assert stat.S_IMODE(os.stat(manifest).st_mode) == 0o600
        assert data["status"] == "applied" and data["lab"] == "classic" and data["acl"]
        assert data["psk_fingerprint"] == psk_fingerprint(PSK)
        assert data["interface"] == p.onprem.wan_interface and data["routes"]
        _no_secret(manifest.read_text())
        _check_events(events)
        # a changed PSK is pushed again (the keychain/peer line only)
        store.set("classic", "psk", PSK + "-2")
        third = end.apply()
        assert 0 < third.sent < first.sent and third.saved
        store.set("classic", "psk", PSK)


def test_teardown_restores_the_router_exactly_including_foreign_config(store, tmp_path):
    dev = router(nat=True, extra=FOREIGN[3:])
    with serve(dev) as srv:
        p = profile(port=srv.port, nat_acl=3001)
        end = end_for(p, store, tmp_path)
        before = running(dev)
        end.apply()
        during = running(dev)
        assert "ipsec apply policy VPNC-CLASSIC-POL" in during
        nat_acl = during.split("acl advanced 3001", 1)[1].split("#", 1)[0]
        assert " deny ip source 192.168.0.0 0.0.0.255 destination 172.16.0.0 0.0.0.255" in nat_acl
        assert end.read().params == p.params(None)
        events = []
        res = end.teardown(emit=events.append)
        assert res.sent > 5 and res.saved
        assert running(dev) == before  # foreign ACLs, NAT ACL rules, IKE profile, routes untouched
        assert not end.manifest_path.exists()
        again = end.teardown()
        assert again.sent == 0 and running(dev) == before
        _check_events(events)
        assert end.read().params is None


def test_teardown_of_a_partial_state_and_with_missing_delete_messages(store, tmp_path):
    dev = router(missing_delete="message")
    with serve(dev) as srv:
        p = profile(port=srv.port)
        end = end_for(p, store, tmp_path)
        before = running(dev)
        end.apply()
        dev.run_config(["undo ip route-static 172.16.0.0 24 198.51.100.9", "interface GigabitEthernet0/1",
                        "undo ipsec apply policy VPNC-CLASSIC-POL", "quit"])
        end.teardown()
        assert running(dev) == before


def test_failing_line_stops_rolls_back_and_does_not_save(store, tmp_path):
    # early V7 knows only md5|sha as IKE hash: sha256 fails in the middle of the ike proposal block
    dev = router("v7-early")
    with serve(dev) as srv:
        p = profile(port=srv.port, **{"ike.integrity": "sha256"})
        end = end_for(p, store, tmp_path, session_log=tmp_path / "session.log")
        before, before_saved = running(dev), saved(dev)
        events = []
        with pytest.raises(DeviceError) as info:
            end.apply(emit=events.append)
        exc = info.value
        assert exc.line == "authentication-algorithm sha256"
        assert exc.device_message.startswith("% Wrong parameter") or exc.device_message.startswith("% Unrecognized")
        assert exc.rolled_back is True and not exc.saved
        assert f"127.0.0.1:{srv.port}" in str(exc) and "authentication-algorithm sha256" in str(exc)
        assert running(dev) == before and saved(dev) == before_saved  # the ACL made before is gone again
        assert end.last_prompt == f"<{SYSNAME}>"
        assert any(e.step == "rollback" and e.kind == "done" for e in events)
        assert any(e.kind == "retry" and "acl number" in e.message for e in events)  # early V7 ACL syntax
        assert not end.manifest_path.exists()
        _check_events(events)
        _no_secret((tmp_path / "session.log").read_text())
        # the same router with a profile it can do: early V7 uses `acl number`
        ok = profile(port=srv.port)
        end_ok = end_for(ok, store, tmp_path)
        end_ok.apply()
        assert end_ok.read().params == ok.params(None)
        assert end_ok.apply().sent == 0
        end_ok.teardown()
        assert running(dev) == before


def test_injected_bad_line_in_a_custom_plan(store, tmp_path):
    dev = router()
    with serve(dev) as srv:
        p = profile(port=srv.port)
        end = end_for(p, store, tmp_path)
        before = running(dev)
        plan = end.render(before)
        lines = list(plan.lines)
        at = next(i for i, ln in enumerate(lines) if ln.text().startswith("ipsec transform-set"))
        bogus = Line(("esp encryption-algorithm rot13",), lines[at].view, step=lines[at].step)
        lines.insert(at + 2, bogus)
        bad = H3CPlan(plan.lab, plan.platform, plan.action, tuple(lines), plan.manifest)
        with pytest.raises(DeviceError) as info:
            end.apply(bad)
        assert info.value.line == "esp encryption-algorithm rot13" and info.value.rolled_back
        assert running(dev) == before
        # a line that silently lands in the wrong view is caught by the prompt check
        wrong = H3CPlan(plan.lab, plan.platform, plan.action,
                        (lines[0], Line(("acl advanced 3999",), "acl-ipv4-adv-3998", True, step="acl")),
                        plan.manifest)
        with pytest.raises(DeviceError, match="expected"):
            end.apply(wrong)
        assert running(dev) == before


@pytest.mark.parametrize("knob", [{"syslog_noise_every": 2}, {"echo_wrap": 80}])
def test_noise_and_echo_wrapping_do_not_confuse_the_push(knob, store, tmp_path):
    dev = router(**knob)
    with serve(dev) as srv:
        p = profile(port=srv.port)
        log = tmp_path / "session.log"
        end = end_for(p, store, tmp_path, session_log=log)
        end.apply()
        assert end.read().params == p.params(None)
        assert end.apply().sent == 0
        text = log.read_text()
        _no_secret(text)
        _no_secret(text.replace("\r", "").replace("\n", ""))  # not even split by a wrap
        if "echo_wrap" in knob:
            assert "******" in text  # the wrapped PSK echo was masked, not just missed
        end.teardown()


@pytest.mark.parametrize("drop_after", [3, 12, 30])
def test_dropped_session_is_reported_and_a_rerun_converges(drop_after, store, tmp_path):
    dev = router()
    with serve(dev) as srv:
        p = profile(port=srv.port)
        end = end_for(p, store, tmp_path)
        before = running(dev)
        dev.options.drop_after = drop_after
        with pytest.raises((SessionLost, DeviceError)) as info:
            end.apply()
        assert f"127.0.0.1:{srv.port}" in str(info.value)
        _no_secret(str(info.value))
        dev.options.drop_after = None
        end.apply()
        assert end.read().params == p.params(None)
        assert end.apply().sent == 0
        end.teardown()
        assert running(dev) == before


def test_timed_rollback_probe_is_reported(store, tmp_path):
    dev = router(timed_rollback=False)  # a V7 release without `configuration commit delay`
    with serve(dev) as srv:
        end = end_for(profile(port=srv.port), store, tmp_path)
        events = []
        res = end.apply(emit=events.append)
        assert res.timed_rollback is False
        assert any(e.step == "timed-rollback" and "no timed rollback" in e.message for e in events)
