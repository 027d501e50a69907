"""Benchmark: API calls per Alibaba apply / re-apply / read / teardown, against the simulated VPC API.

Run with `.venv/bin/python -m pytest -m bench tests/bench/test_alibaba_calls.py -s`.  The call
counts are printed; the one target asserted is that no Describe call is repeated within one read.
"""

from __future__ import annotations

import time
from collections import Counter

import pytest

from tests.alibaba.gateway_fixtures import aliyun_env, any_lab, psk  # noqa: F401

pytestmark = pytest.mark.bench


def test_alibaba_api_calls(any_lab):
    lab = any_lab
    rows = []

    def measure(label, fn):
        end = lab.end()
        t0 = time.perf_counter()
        fn(end)
        rows.append((label, len(end.call_log), sum(1 for a, _ in end.call_log if not a.startswith("Describe")),
                     time.perf_counter() - t0, end))

    measure("apply (fresh)", lambda e: e.apply(psk()))
    measure("apply (no change)", lambda e: e.apply(psk()))
    measure("read", lambda e: e.read())
    lab.profile.ipsec.lifetime = 3600
    measure("apply (one field changed)", lambda e: e.apply(psk()))
    measure("teardown", lambda e: e.teardown())
    print(f"\n{lab.profile.name}:")
    for label, calls, writes, seconds, _ in rows:
        print(f"  {label:28} {calls:3d} API calls ({writes} writes) {seconds * 1000:7.1f} ms")
    read_end = rows[2][4]
    print("  read calls:", ", ".join(a for a, _ in read_end.last_read_calls))
    assert max(Counter(read_end.last_read_calls).values()) == 1
