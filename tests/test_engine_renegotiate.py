"""Renegotiate (the console's `n`, `vpnconsole renegotiate LAB`): the router's SAs are reset and
Alibaba is asked to negotiate again; a tunnel whose ends still agree comes back up, one whose router
was edited behind the tool's back now fails phase 1 and says why."""

from __future__ import annotations

import asyncio
import time


from vpnconsole.cli import main
from vpnconsole.engine import Engine
from vpnconsole.lab.runner import LAB_NAME
from vpnconsole.profile import find_profile, load_profile


def _status_until(engine, done, timeout=15.0):
    deadline = time.monotonic() + timeout
    while not done(report := asyncio.run(engine.status())) and time.monotonic() < deadline:
        time.sleep(0.2)
    return report


def test_renegotiate_resets_both_ends_and_exposes_a_hidden_mismatch(running_lab, capsys):
    running, store = running_lab
    engine = Engine(load_profile(find_profile(LAB_NAME)), store, accept_new_host_key=True)
    assert asyncio.run(engine.apply()).ok
    assert _status_until(engine, lambda r: r.verdict.up).verdict.up

    result = asyncio.run(engine.renegotiate())
    assert result.ok and result.renegotiated, result.errors
    assert any(cmd.startswith("reset ipsec sa policy") for cmd in result.h3c)
    assert _status_until(engine, lambda r: r.verdict.up).verdict.up

    number = engine.h3c.load_manifest()["ike_proposal"]
    router = running.lab.router
    running.call(lambda: router.cli("system-view", f"ike proposal {number}", "dh group5", "return"))
    assert _status_until(engine, lambda r: False, timeout=0).verdict.up  # the running SAs survive the edit
    assert main(["renegotiate", LAB_NAME]) == 0
    assert "renegotiate: done" in capsys.readouterr().err
    report = _status_until(engine, lambda r: not r.verdict.up)
    assert report.verdict.code == "configured-differently"
    assert "phase 1 DH group: H3C group5, Alibaba group14" in report.verdict.problems
    assert asyncio.run(engine.teardown()).ok
