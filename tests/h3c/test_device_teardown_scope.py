"""H3CEnd.teardown is scoped by the manifest AND the name/marker: against the lab router over real SSH.

* an object that carries this lab's name or marker but was not recorded by this console survives, with a note;
* a recorded object that no longer carries the marker (reused by someone) survives, with a note;
* a normal apply → teardown leaves the router byte-identical;
* without a manifest (lost state directory) teardown still cleans, by name and marker, and says so.
"""

from __future__ import annotations

import pytest

from vpnconsole.h3c.parse import parse_config
from vpnconsole.h3c.render import render_teardown

from .device_helpers import PASSWORD, PSK, end_for, open_store, profile, router, running, serve

#: someone else's objects that look like ours (they appear after our apply, e.g. another console's)
LOOKALIKES = ("ike keychain VPNC-CLASSIC-KC9", "quit",
              "ip route-static 10.99.0.0 16 198.51.100.9 description VPNC-CLASSIC")
UNDO_LOOKALIKES = ("undo ike keychain VPNC-CLASSIC-KC9", "undo ip route-static 10.99.0.0 16 198.51.100.9")


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        yield open_store(tmp_path_factory.mktemp("keyring"), mp)


def _no_secret(text: str) -> None:
    assert PSK not in text and PASSWORD not in text


def test_lookalikes_not_in_the_manifest_survive_teardown(store, tmp_path):
    dev = router()
    with serve(dev) as srv:
        end = end_for(profile(port=srv.port), store, tmp_path)
        before = running(dev)
        end.apply()
        assert end.manifest_path.exists()
        out = dev.run_config(LOOKALIKES)
        assert "% " not in out, out
        events = []
        res = end.teardown(emit=events.append)
        assert res.sent > 5 and res.saved
        after = running(dev)
        assert "ike keychain VPNC-CLASSIC-KC9" in after
        assert "ip route-static 10.99.0.0 16 198.51.100.9 description VPNC-CLASSIC" in after
        assert "VPNC-CLASSIC-KC1" not in after and "VPNC-CLASSIC-POL" not in after  # ours is gone
        notes = "\n".join(res.notes)
        assert ("VPNC-CLASSIC-KC9 (ike-keychain) carries this lab's marker but this console did not record "
                "creating it; left in place — remove it by hand or re-apply to adopt it") in notes
        assert "route 10.99.0.0/16 via 198.51.100.9 carries this lab's marker" in notes
        assert "no manifest" not in notes
        assert any(e.kind == "info" and "VPNC-CLASSIC-KC9" in e.message for e in events)
        for e in events:
            _no_secret(e.message + repr(e.data))
        assert not end.manifest_path.exists()
        # remove the look-alikes by hand: the router is then exactly as before the apply
        dev.run_config(UNDO_LOOKALIKES)
        assert running(dev) == before


def test_normal_teardown_is_byte_identical_and_has_no_scope_notes(store, tmp_path):
    dev = router()
    with serve(dev) as srv:
        end = end_for(profile(port=srv.port), store, tmp_path)
        before = running(dev)
        end.apply()
        res = end.teardown()
        assert res.changed and res.saved
        assert running(dev) == before
        assert not any("left in place" in n or "no manifest" in n for n in res.notes), res.notes
        assert end.teardown().sent == 0 and running(dev) == before


def test_teardown_without_a_manifest_still_cleans_by_name_and_marker(store, tmp_path):
    dev = router()
    with serve(dev) as srv:
        end = end_for(profile(port=srv.port), store, tmp_path)
        before = running(dev)
        end.apply()
        end.manifest_path.unlink()  # the state directory was lost
        events = []
        res = end.teardown(emit=events.append)
        assert res.sent > 5 and res.saved
        assert running(dev) == before
        assert any(n.startswith("no manifest: removing objects recognised by name and marker only")
                   for n in res.notes), res.notes
        assert any(e.kind == "info" and e.message.startswith("no manifest:") for e in events)


def test_a_recorded_object_reused_without_our_marker_is_left_with_a_note(store, tmp_path):
    dev = router()
    with serve(dev) as srv:
        p = profile(port=srv.port)
        end = end_for(p, store, tmp_path)
        end.apply()
        recorded = end.load_manifest()["routes"][0]
        dest, length, via = recorded
        # somebody re-labels our route for their own use
        dev.run_config([f"undo ip route-static {dest} {length} {via}",
                        f"ip route-static {dest} {length} {via} description ops-team"])
        res = end.teardown()
        after = running(dev)
        assert f"ip route-static {dest} {length} {via} description ops-team" in after
        assert "VPNC-CLASSIC" not in after  # everything else of ours is gone
        assert any(f"route {dest}/{length} via {via} is in this console's manifest but no longer carries" in n
                   for n in res.notes), res.notes


def test_render_teardown_with_config_and_manifest_is_the_intersection(store, tmp_path):
    dev = router()
    with serve(dev) as srv:
        end = end_for(profile(port=srv.port), store, tmp_path)
        end.apply()
        dev.run_config(LOOKALIKES)
        text = running(dev)
        p = end.profile
        config = parse_config(text, p.name, p.platform)
        by_marker = render_teardown(p, config=config).commands()
        scoped = render_teardown(p, config=config, manifest=end.load_manifest())
        assert "undo ike keychain VPNC-CLASSIC-KC9" in by_marker
        assert "undo ike keychain VPNC-CLASSIC-KC9" not in scoped.commands()
        assert "undo ip route-static 10.99.0.0 16 198.51.100.9" not in scoped.commands()
        assert set(scoped.commands()) == set(by_marker) - {"undo ike keychain VPNC-CLASSIC-KC9",
                                                           "undo ip route-static 10.99.0.0 16 198.51.100.9"}
        # a manifest of another lab never scopes this one's teardown to anything
        other = dict(end.load_manifest(), lab="someone-else")
        foreign = render_teardown(p, config=config, manifest=other)
        assert [c for c in foreign.commands() if c.startswith("undo")] == []
        assert any("belongs to lab 'someone-else'" in n for n in foreign.notes)
        end.teardown()
