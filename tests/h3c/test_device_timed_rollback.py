"""H3CEnd.apply with the router's V7 timed rollback (`configuration commit delay`), over real SSH."""

from __future__ import annotations

import pytest

from vpnconsole.h3c.device import DeviceError, SessionLost
from vpnconsole.lab.h3c.device import CliSession

from .device_helpers import end_for, open_store, profile, router, running, serve

DELAY_MIN = 10


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        yield open_store(tmp_path_factory.mktemp("keyring"), mp)


def test_apply_arms_the_timer_and_commits(store, tmp_path):
    dev = router()
    assert dev.timed_rollback_enabled
    with serve(dev) as srv:
        end = end_for(profile(port=srv.port), store, tmp_path, commit_delay_minutes=DELAY_MIN)
        events = []
        res = end.apply(emit=events.append)
        assert res.changed and res.saved
        assert f"timed rollback armed ({DELAY_MIN} min)" in res.notes
        assert any(e.step == "timed-rollback" and e.kind == "done" and "committed" in e.message for e in events)
        assert "configuration commit delay 10" not in res.lines  # the probe is not a plan line
        assert dev.runtime.commit_delay is None
        after = running(dev)
        assert "ipsec apply policy" in after
        dev.advance(DELAY_MIN * 60 + 5)
        assert running(dev) == after  # committed: nothing rolls back
        assert "CFGMAN_ROLLBACK" not in dev.cli("display logbuffer")
        assert end.apply().sent == 0
        end.teardown()


def _apply_policy_position(store, tmp_path) -> int:
    """Number of command lines (netmiko's session preparation included) the router has read when
    `ipsec apply policy` is answered in a full apply: measured on an identical router."""
    twin = router()
    seen: list[int] = []
    original = CliSession._execute

    def recording(self, line):
        out = original(self, line)
        if line.strip().startswith("ipsec apply policy"):
            seen.append(self.commands)
        return out

    with pytest.MonkeyPatch.context() as mp, serve(twin) as srv:
        mp.setattr(CliSession, "_execute", recording)
        end_for(profile(port=srv.port), store, tmp_path / "twin").apply()
    assert len(seen) == 1, seen
    return seen[0]


def test_push_cut_after_the_binding_rolls_back_when_the_timer_expires(store, tmp_path):
    drop_at = _apply_policy_position(store, tmp_path)
    dev = router()
    with serve(dev) as srv:
        end = end_for(profile(port=srv.port), store, tmp_path / "real", commit_delay_minutes=DELAY_MIN)
        before = running(dev)
        dev.options.drop_after = drop_at
        try:
            with pytest.raises((SessionLost, DeviceError)):
                end.apply()
        finally:
            dev.options.drop_after = None
        # the policy is bound, nobody committed: the timer is still running
        cut = running(dev)
        assert "ipsec apply policy" in cut and cut != before
        pending = dev.runtime.commit_delay
        assert pending is not None and pending.minutes == DELAY_MIN
        assert "Configuration commit delay: 10 minutes" in dev.cli("display configuration commit delay")
        dev.advance(DELAY_MIN * 60 - 30)
        assert running(dev) == cut  # not yet
        dev.advance(60)
        # H3CEnd arms the timer just before the binding step (`interface ...` / `ipsec apply policy`), so
        # the rollback takes back the binding; the objects pushed before it stay (our undo list's job)
        rolled = running(dev)
        assert rolled == "".join(ln for ln in cut.splitlines(keepends=True)
                                 if not ln.lstrip().startswith("ipsec apply policy"))
        assert rolled != before and "ike profile" in rolled
        assert "CFGMAN/4/CFGMAN_ROLLBACK" in dev.cli("display logbuffer")
        # a re-run converges and commits
        res = end.apply()
        assert res.changed and dev.runtime.commit_delay is None
        end.teardown()
        assert running(dev) == before
