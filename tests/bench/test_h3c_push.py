"""Benchmark: our per-line push (h3c.device) vs netmiko's default ``send_config_set`` on the same
commands, against the lab router with a per-line latency (target: ours ≥5× faster).

Run with `.venv/bin/python -m pytest -m bench tests/bench/test_h3c_push.py -s`.  Ours also checks
every line for errors and the prompt after it; netmiko's default checks nothing and waits for ~2 s
of silence.
"""

from __future__ import annotations

import time

import pytest

from tests.h3c.device_helpers import PASSWORD, end_for, open_store, profile, router, running, serve

pytestmark = pytest.mark.bench
LATENCY = 0.01  # seconds the router takes per answered line


def test_push_vs_send_config_set(tmp_path, monkeypatch):
    from netmiko import ConnectHandler

    store = open_store(tmp_path, monkeypatch)
    # ours: connect, read the configuration, render, push line by line with checks, save
    dev = router(latency=LATENCY)
    with serve(dev) as srv:
        p = profile(port=srv.port)
        end = end_for(p, store, tmp_path)
        events = []
        start = time.perf_counter()
        result = end.apply(force=True, emit=events.append)
        ours = time.perf_counter() - start
        first = next(e.elapsed for e in events if e.step == "system-view" and e.kind == "start")
        saved_at = next(e.elapsed for e in events if e.step == "save" and e.kind == "done")
        ours_push = saved_at - first
        plan = end.render(running(dev))
    reference = running(dev)
    commands = [c for c in plan.commands(reveal=True) if c not in ("system-view", "return", "save force")]

    # netmiko's default: connect, send_config_set (enters system-view itself), save_config
    dev2 = router(latency=LATENCY)
    with serve(dev2) as srv:
        start = time.perf_counter()
        conn = ConnectHandler(device_type="hp_comware", host="127.0.0.1", port=srv.port, username="admin",
                              password=PASSWORD)
        push_start = time.perf_counter()
        conn.send_config_set(commands)
        conn.save_config()
        theirs_push = time.perf_counter() - push_start
        conn.disconnect()
        theirs = time.perf_counter() - start
    assert running(dev2).split("\n", 2)[2] == reference.split("\n", 2)[2]  # same end result
    ratio = theirs_push / ours_push
    print(f"\nh3c push of {result.sent} lines at {LATENCY * 1000:.0f} ms/line: push+save ours {ours_push:.2f} s, "
          f"netmiko send_config_set+save_config {theirs_push:.2f} s, ratio {ratio:.1f}x (target >= 5x); "
          f"whole operation incl. connect/read/disconnect: ours {ours:.2f} s, netmiko {theirs:.2f} s "
          f"({theirs / ours:.1f}x)")
    assert ratio > 1
