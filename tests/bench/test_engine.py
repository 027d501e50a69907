"""Benchmarks of the engine against the embedded lab with realistic latency: the router answers each
line after 20 ms, the cloud takes 1 s for every gateway update and route entry.

Run with `.venv/bin/python -m pytest -m bench tests/bench/test_engine.py -s -p no:cacheprovider`.
Numbers are printed, never asserted (targets in the messages).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import textwrap
import time
from collections import Counter

import pytest

from tests.test_engine_helpers import MASTER, start_lab, wait_up
from vpnconsole.alibaba.gateway import AlibabaEnd
from vpnconsole.lab.aliyun import Timing
from vpnconsole.lab.runner import LAB_NAME, LabSettings

pytestmark = pytest.mark.bench
LINE_LATENCY = 0.02
UPDATE_WINDOW = 1.0


@pytest.fixture
def slow_lab(monkeypatch, tmp_path):
    running, ctx = start_lab(monkeypatch, tmp_path, LabSettings(fast=True, fixed_ports=False))
    ctx.router.options.latency = LINE_LATENCY
    ctx.cloud.timing = Timing(gateway_update_seconds=UPDATE_WINDOW, route_entry_seconds=UPDATE_WINDOW,
                              gateway_create_seconds=UPDATE_WINDOW)
    try:
        yield ctx
    finally:
        running.close()


def _alibaba(ctx):
    # A poll interval that resolves a 1 s window (the default, 3 s, is sized for the real cloud).
    return AlibabaEnd(ctx.profile, ctx.store, poll_interval=0.2)


def _count_sessions(ctx):
    opened = []
    original = ctx.router.open_session

    def counting(**kw):
        s = original(**kw)
        opened.append(s)
        return s
    ctx.router.open_session = counting
    return opened


def test_concurrent_vs_sequential_apply(slow_lab):
    ctx = slow_lab
    engine = ctx.engine(alibaba=_alibaba(ctx))

    def timed(fn):
        start = time.perf_counter()
        out = fn()
        return time.perf_counter() - start, out

    # Each end alone (the adapters, no engine), then torn down again.
    h3c_alone, _ = timed(lambda: engine.h3c.apply(None))
    ali_alone, _ = timed(lambda: engine.alibaba.apply(engine._psk()))
    assert asyncio.run(engine.teardown()).ok
    # One after the other through the engine.
    sequential, (r1, r2) = timed(lambda: (asyncio.run(engine.apply(("h3c",))), asyncio.run(engine.apply(("alibaba",)))))
    assert r1.ok is not None and r2.ok, (r1.errors, r2.errors)
    assert asyncio.run(engine.teardown()).ok
    # Both at once through the engine (including the renegotiation kick once both are configured).
    events = []
    engine.emit = events.append
    concurrent, result = timed(lambda: asyncio.run(engine.apply()))
    assert result.ok, result.errors
    kick = [e for e in events if e.step == "renegotiate"]
    kick_s = (max(e.elapsed for e in kick) if kick else 0.0)
    report = wait_up(engine, 20)
    slower = max(h3c_alone, ali_alone)
    print(f"\napply at {LINE_LATENCY * 1000:.0f} ms/line and {UPDATE_WINDOW:.0f} s cloud windows: "
          f"H3C alone {h3c_alone:.2f} s, Alibaba alone {ali_alone:.2f} s, sequential {sequential:.2f} s, "
          f"concurrent {concurrent:.2f} s (of which renegotiate kick {kick_s:.2f} s); "
          f"concurrent / slower end = {concurrent / slower:.2f}x, without the kick "
          f"{(concurrent - kick_s) / slower:.2f}x (target <= 1.1x); sequential / concurrent = "
          f"{sequential / concurrent:.2f}x; verdict after apply: {report.verdict.code}")
    assert asyncio.run(engine.teardown()).ok


def test_calls_and_sessions_per_apply_and_refresh(slow_lab):
    ctx = slow_lab
    engine = ctx.engine(alibaba=_alibaba(ctx))
    sessions = _count_sessions(ctx)
    log = engine.alibaba.call_log

    first = len(log)
    assert asyncio.run(engine.apply()).ok
    apply_calls = log[first:]
    apply_sessions = len(sessions)
    wait_up(engine, 20)

    refresh = []
    for _ in range(3):
        sessions.clear()
        first = len(log)
        asyncio.run(engine.status())
        calls = log[first:]
        dup = [k for k, n in Counter(calls).items() if n > 1]
        dup_actions = [a for a, n in Counter(a for a, _ in calls).items() if n > 1 and a.startswith("Describe")]
        refresh.append((len(sessions), len(calls), dup, dup_actions, Counter(a for a, _ in calls)))
    sessions.clear()
    first = len(log)
    asyncio.run(engine.apply())
    noop_calls, noop_sessions = log[first:], len(sessions)

    print(f"\napply (fresh): {len(apply_calls)} API calls "
          f"({sum(1 for a, _ in apply_calls if not a.startswith('Describe'))} writes), {apply_sessions} SSH "
          f"session(s); by action: {dict(Counter(a for a, _ in apply_calls))}")
    print(f"apply (nothing to do): {len(noop_calls)} API calls, {noop_sessions} SSH session(s)")
    for i, (n_ssh, n_api, dup, dup_actions, by) in enumerate(refresh, 1):
        print(f"status refresh {i}: {n_ssh} SSH session(s) (target 1), {n_api} API calls, identical calls "
              f"repeated: {len(dup)} (target 0), Describe actions called more than once: {dup_actions}; {dict(by)}")
    assert asyncio.run(engine.teardown()).ok


def test_peak_rss_of_a_full_apply(slow_lab, tmp_path):
    ctx = slow_lab
    script = textwrap.dedent("""
        import asyncio, json, resource, sys, time
        from vpnconsole import secrets
        from vpnconsole.engine import Engine
        from vpnconsole.profile import find_profile, load_profile
        def hwm():  # VmHWM: this process image's own peak (ru_maxrss may carry the forking parent's)
            for line in open("/proc/self/status"):
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
        before = hwm()
        store = secrets.open_store()
        profile = load_profile(find_profile("lab"))
        engine = Engine(profile, store, accept_new_host_key=True)
        start = time.perf_counter()
        result = asyncio.run(engine.apply())
        elapsed = time.perf_counter() - start
        status = asyncio.run(engine.status())
        loaded = sorted(m for m in ("netmiko", "paramiko", "alibabacloud_vpc20160428", "alibabacloud_tea_openapi")
                        if m in sys.modules)
        print(json.dumps({"ok": result.ok, "errors": result.errors, "elapsed": elapsed, "loaded": loaded,
                          "rss_start_kb": before,
                          "rss_peak_kb": hwm(), "ru_maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
    """)
    env = dict(os.environ, VPNCONSOLE_HOME=os.environ["VPNCONSOLE_HOME"], VPNCONSOLE_KEYRING_PASSWORD=MASTER)
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    data = json.loads(out.stdout.strip().splitlines()[-1])
    assert data["ok"], data["errors"]
    print(f"\npeak RSS of a full apply + status in a fresh process: {data['rss_peak_kb'] / 1024:.1f} MB "
          f"(VmHWM; interpreter at start {data['rss_start_kb'] / 1024:.1f} MB; getrusage ru_maxrss {data['ru_maxrss_kb'] / 1024:.1f} MB, which on Linux can include the forking pytest process; target < 150 MB); loaded {data['loaded']}; "
          f"apply took {data['elapsed']:.2f} s")
    engine = ctx.engine()
    assert asyncio.run(engine.teardown()).ok
    assert LAB_NAME == "lab"
