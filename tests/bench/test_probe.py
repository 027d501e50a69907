"""Benchmark: probing 254 floating IPs concurrently vs one after the other (and vs fping for ICMP).

Run with `.venv/bin/python -m pytest -m bench tests/bench/test_probe.py -s`. Numbers are printed,
never asserted. The simulated OpenStack (OPEN gate, one SSH-speaking listener per address) runs on
its own loop in a background thread, so the probe's loop only carries the probe; the "worst loop
lag" is the largest oversleep of a 1 ms ticker on the probe's loop while the probe runs.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import time

import pytest
import yaml

from vpnconsole import icmp as icmp_mod
from vpnconsole.lab import openstack
from vpnconsole.probe import run_probe
from vpnconsole.profile import parse_profile

pytestmark = pytest.mark.bench

FIRST, LAST = "127.0.5.1", "127.0.5.254"
ADDRESSES = [f"127.0.5.{n}" for n in range(1, 255)]
TIMEOUT = 1.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((FIRST, 0))
        return sock.getsockname()[1]


def _profile(port: int, icmp: bool):
    data = {
        "version": 1, "name": "bench",
        "onprem": {"device": {"host": "10.0.0.1", "username": "admin"}, "public_ip": "198.51.100.10",
                   "wan_interface": "GigabitEthernet0/1", "subnets": ["127.0.5.0/24"]},
        "cloud": {"region": "cn-hangzhou", "vpn_gateway_id": "vpn-bp1example1", "subnets": ["172.16.0.0/16"]},
        "probe": {"floating_ips": [f"{FIRST}-{LAST}"], "tcp_ports": [port], "icmp": icmp, "timeout_s": TIMEOUT},
    }
    return parse_profile(yaml.safe_dump(data), source="bench")


async def _timed(coro_fn):
    """(wall seconds, worst loop lag in ms, result) of one awaited call, with a 1 ms ticker running."""
    worst = 0.0
    stop = False

    async def ticker():
        nonlocal worst
        loop = asyncio.get_running_loop()
        while not stop:
            t = loop.time()
            await asyncio.sleep(0.001)
            worst = max(worst, loop.time() - t - 0.001)

    tick = asyncio.create_task(ticker())
    await asyncio.sleep(0.01)
    start = time.perf_counter()
    result = await coro_fn()
    wall = time.perf_counter() - start
    stop = True
    await tick
    return wall, worst * 1000, result


def test_probe_254_floating_ips():
    port = _free_port()
    with openstack.run_in_thread(floating_ips=(f"{FIRST}-{LAST}",), floating_ports=(22,), port_map={22: port, 5000: 0}):
        async def main():
            rows = []
            tcp = _profile(port, icmp=False)
            wall_c, lag_c, rep_c = await _timed(lambda: run_probe(tcp, port_protocols={port: "ssh"}))
            assert rep_c.ok and len(rep_c.checks) == 254
            wall_s, lag_s, rep_s = await _timed(lambda: run_probe(tcp, port_protocols={port: "ssh"}, concurrency=1))
            assert rep_s.ok
            rows.append(("TCP+SSH banner, 254 addresses, concurrent", wall_c, lag_c))
            rows.append(("TCP+SSH banner, 254 addresses, one after the other", wall_s, lag_s))

            choice, release = icmp_mod.choose()
            release()
            if choice.available:
                both = _profile(port, icmp=True)
                wall_i, lag_i, rep_i = await _timed(lambda: run_probe(both, port_protocols={port: "ssh"}))
                assert rep_i.ok, rep_i.warnings
                rows.append((f"TCP + ICMP ({choice.method}), 254 addresses, concurrent", wall_i, lag_i))
                icmp_only = _profile(port, icmp=True)
                icmp_only.probe.tcp_ports = []
                wall_io, lag_io, _ = await _timed(lambda: run_probe(icmp_only))
                rows.append((f"ICMP only ({choice.method}), concurrent", wall_io, lag_io))
                wall_is, lag_is, _ = await _timed(lambda: run_probe(icmp_only, concurrency=1))
                rows.append((f"ICMP only ({choice.method}), one after the other", wall_is, lag_is))
            else:
                print(choice.reason)
            return rows

        rows = asyncio.run(main())

    fping = shutil.which("fping")
    if fping:
        # fping paces its requests (-i, default 10 ms between targets); -i 1 is its fastest pace.
        for extra, label in (([], "fping -c 1 (default pace)"), (["-i", "1"], "fping -c 1 -i 1")):
            start = time.perf_counter()
            proc = subprocess.run([fping, "-q", "-c", "1", "-t", str(int(TIMEOUT * 1000)), *extra, *ADDRESSES],
                                  capture_output=True, text=True)
            rows.append((f"{label}, 254 addresses", time.perf_counter() - start, None))
            if proc.returncode != 0:
                print(f"{label}: exit {proc.returncode}: {proc.stderr.strip()[-300:]}")
    else:
        print("fping not installed: no comparison")

    print()
    base = rows[0][1]
    for name, wall, lag in rows:
        lag_text = f"worst loop lag {lag:6.2f} ms" if lag is not None else ""
        print(f"{name:55s} {wall * 1000:9.1f} ms  ×{wall / base:6.2f}  {lag_text}")
    seq = next(w for n, w, _ in rows if "TCP+SSH banner" in n and "other" in n)
    print(f"concurrent TCP probe is {seq / base:.1f}× faster than one after the other")
    if fping:
        icmp_c = next((w for n, w, _ in rows if n.startswith("ICMP only") and "concurrent" in n), None)
        fping_w = rows[-1][1]
        if icmp_c:
            print(f"ICMP-only probe / fping wall time: {icmp_c / fping_w:.2f}")


def test_probe_254_silent_addresses_take_one_timeout():
    """Every address blackholed: the whole probe should take about one timeout, not 254."""
    port = _free_port()
    gate = openstack.StaticGate("blackhole")
    with openstack.run_in_thread(floating_ips=(f"{FIRST}-{LAST}",), floating_ports=(22,), port_map={22: port, 5000: 0},
                                 gate=gate):
        profile = _profile(port, icmp=False)
        profile.probe.timeout_s = 0.5

        async def main():
            return await _timed(lambda: run_probe(profile, port_protocols={port: "ssh"}))

        wall, lag, report = asyncio.run(main())
    assert not report.ok and all(c.status == "no-answer" for c in report.checks)
    print(f"\n254 silent addresses, timeout 0.5 s: {wall * 1000:.0f} ms (one after the other would be "
          f"~{254 * 0.5:.0f} s), worst loop lag {lag:.2f} ms")
