"""Tick-off progress of a lab's ER checklist: persisted per lab, reset when the checklist changes."""

from __future__ import annotations

import pytest

from vpnconsole.h3c.er_checklist import ChecklistProgress, render_checklist, render_teardown_checklist
from vpnconsole.redact import Secret

from .helpers import PSK, article


def test_ticks_survive_a_reload_and_never_hold_a_value():
    checklist = render_checklist(article(), PSK)
    progress = ChecklistProgress.load("er3200g2", checklist)
    assert progress.done == set() and not progress.complete
    progress.tick("t1.vif.name")
    progress.tick("t1.ike-peer.psk")
    assert progress.toggle("t1.vif.bind") is True
    progress.untick("t1.vif.bind")
    path = progress.save()
    text = path.read_text()
    assert PSK.reveal() not in text and "198.51.100.10" not in text
    again = ChecklistProgress.load("er3200g2", checklist)
    assert again.done == {"t1.vif.name", "t1.ike-peer.psk"}
    assert again.remaining[0] == "t1.vif.bind"
    for step_id in again.remaining:
        again.tick(step_id)
    assert again.complete
    with pytest.raises(KeyError):
        again.tick("no.such.step")


def test_a_changed_checklist_resets_the_ticks():
    checklist = render_checklist(article(), PSK)
    progress = ChecklistProgress.load("er3200g2", checklist)
    progress.tick("ike-proposal.dh")
    progress.save()
    profile = article()
    profile.ike.dh_group = "group5"
    changed = ChecklistProgress.load("er3200g2", render_checklist(profile, PSK))
    assert changed.done == set() and changed.was_reset
    # a new PSK changes the checklist too (its fingerprint is part of the hash)
    other = render_checklist(article(), Secret("a-brand-new-psk-0123456789", "psk"))
    assert other.content_hash() != checklist.content_hash()


def test_apply_and_teardown_progress_are_kept_apart():
    apply_list = render_checklist(article(), PSK)
    teardown = render_teardown_checklist(article())
    p = ChecklistProgress.load("er3200g2", apply_list)
    p.tick("t1.vif.name")
    p.save()
    t = ChecklistProgress.load("er3200g2", teardown)
    assert t.done == set() and t.path != p.path
