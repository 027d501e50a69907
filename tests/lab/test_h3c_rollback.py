"""Timed rollback of the simulated H3C (V7 ``configuration commit delay`` / ``configuration commit``,
reference §1.4 / §6.7): snapshot, timer on the device clock, restore on expiry, cancel on commit."""

from __future__ import annotations

import pytest

from vpnconsole.lab.h3c import SimulatedH3C


def session(dev: SimulatedH3C):
    s = dev.open_session(greet=False)
    s.paging = False
    return s


def run(s, *lines: str) -> str:
    return "".join(s.feed("".join(line + "\r\n" for line in lines)))


def config(dev: SimulatedH3C) -> str:
    return dev.cli("display current-configuration")


CHANGE = ("acl advanced 3999", " rule 5 permit ip source 10.1.0.0 0.0.255.255", "quit",
          "interface GigabitEthernet0/1", " ipsec apply policy ROLLME", "quit")


@pytest.fixture
def dev(h3c_make_device):
    return h3c_make_device()


def test_expired_delay_restores_the_snapshot_and_logs(dev):
    before = config(dev)
    s = session(dev)
    out = run(s, "system-view", "configuration commit delay 2", *CHANGE)
    assert "%" not in out, out
    changed = config(dev)
    assert changed != before and "acl advanced 3999" in changed and "ipsec apply policy ROLLME" in changed
    dev.advance(119)
    assert config(dev) == changed  # not yet
    dev.advance(2)
    assert config(dev) == before
    log = dev.cli("display logbuffer")
    assert "CFGMAN/4/CFGMAN_ROLLBACK" in log and "rolled back" in log
    assert dev.runtime.commit_delay is None
    # the session is still usable, in system view
    assert run(s, "display configuration commit delay").endswith("[MSR1]")
    assert "No configuration commit delay is set." in run(s, "display configuration commit delay")


def test_commit_cancels_the_timer(dev):
    before = config(dev)
    s = session(dev)
    run(s, "system-view", "configuration commit delay 1", *CHANGE)
    assert "Remaining time: 1 minutes 0 seconds" in run(s, "display configuration commit delay")
    assert run(s, "configuration commit") == "configuration commit\r\n[MSR1]"
    changed = config(dev)
    dev.advance(3600)
    assert config(dev) == changed != before
    assert "CFGMAN_ROLLBACK" not in dev.cli("display logbuffer")


def test_expiry_is_seen_by_the_next_command_without_a_display(dev):
    """With a real clock nobody calls advance(): the next command line notices the deadline."""
    before = config(dev)
    s = session(dev)
    run(s, "system-view", "configuration commit delay 1", "acl advanced 3999")
    assert run(s, "rule 5 permit ip").endswith("[MSR1-acl-ipv4-adv-3999]")
    dev._offset += 61  # the clock moves on, no expire() call
    out = run(s, "rule 10 permit ip")  # the ACL view is gone with the rollback: back in system view
    assert out.endswith("[MSR1]"), out
    assert config(dev) == before


def test_second_delay_restarts_the_timer_but_keeps_the_first_snapshot(dev):
    before = config(dev)
    s = session(dev)
    run(s, "system-view", "configuration commit delay 1", "acl advanced 3998", "quit")
    dev.advance(50)
    run(s, "configuration commit delay 1", "acl advanced 3999", "quit")
    dev.advance(50)
    assert "acl advanced 3998" in config(dev)  # restarted: 50 s into a fresh minute
    dev.advance(20)
    assert config(dev) == before


def test_commit_without_a_timer_is_harmless(dev):
    s = session(dev)
    assert "%" not in run(s, "system-view", "configuration commit")


def test_syntax_errors(dev):
    s = session(dev)
    run(s, "system-view")
    assert "% Wrong parameter" in run(s, "configuration commit delay 0")
    assert "% Wrong parameter" in run(s, "configuration commit delay 65536")
    assert "% Incomplete command" in run(s, "configuration commit delay")
    assert "% Too many parameters" in run(s, "configuration commit now")
    assert "%" not in run(s, "configuration commit delay 65535")
    assert dev.runtime.commit_delay is not None and dev.runtime.commit_delay.minutes == 65535
    # user view does not know it
    assert "% Unrecognized command" in run(s, "return", "configuration commit")


@pytest.mark.parametrize("dialect, options", [("v5", {}), ("v7-early", {}), ("v7", {"timed_rollback": False})])
def test_unsupported_releases_answer_unrecognized(h3c_make_device, dialect, options):
    dev = h3c_make_device(dialect, **options)
    s = session(dev)
    run(s, "system-view")
    out = run(s, "configuration commit delay 5")
    assert "% Unrecognized command found at '^' position." in out
    assert "% Unrecognized command" in run(s, "configuration commit")
    assert dev.runtime.commit_delay is None


def test_reboot_cancels_the_timer(dev):
    s = session(dev)
    run(s, "system-view", "configuration commit delay 1")
    dev.reboot()
    assert dev.runtime.commit_delay is None
