"""The probe's pure parts: Comware ping output, version documents, the JSON schema, the table."""

from __future__ import annotations

import json

import pytest

from vpnconsole.probe import (
    SCHEMA_VERSION,
    Check,
    CliRouterPinger,
    ProbeReport,
    parse_comware_ping,
    parse_versions,
    probe_exit_code,
    render_table,
)

# Reference §5.10, verbatim.
V7_OUTPUT = """<MSR1>ping -a 192.168.10.1 172.16.1.10
Ping 172.16.1.10 (172.16.1.10) from 192.168.10.1: 56 data bytes, press CTRL+C to break
Request time out
56 bytes from 172.16.1.10: icmp_seq=1 ttl=63 time=31.204 ms
56 bytes from 172.16.1.10: icmp_seq=2 ttl=63 time=30.876 ms
56 bytes from 172.16.1.10: icmp_seq=3 ttl=63 time=31.010 ms
56 bytes from 172.16.1.10: icmp_seq=4 ttl=63 time=30.992 ms

--- Ping statistics for 172.16.1.10 ---
5 packet(s) transmitted, 4 packet(s) received, 20.0% packet loss
round-trip min/avg/max/std-dev = 30.876/31.020/31.204/0.118 ms
"""
V7_VARIANT_FAIL = """PING 172.16.1.10 (172.16.1.10): 56 data bytes, press CTRL_C to break
Request time out
Request time out
Request time out
Request time out
Request time out

--- 172.16.1.10 ping statistics ---
5 packet(s) transmitted, 0 packet(s) received, 100.0% packet loss
"""
V5_OUTPUT = """<MSR1>ping -a 192.168.10.1 172.16.1.10
  PING 172.16.1.10: 56  data bytes, press CTRL_C to break
    Request time out
    Reply from 172.16.1.10: bytes=56 Sequence=2 ttl=63 time=31 ms
    Reply from 172.16.1.10: bytes=56 Sequence=3 ttl=63 time=30 ms
    Reply from 172.16.1.10: bytes=56 Sequence=4 ttl=63 time=32 ms
    Reply from 172.16.1.10: bytes=56 Sequence=5 ttl=63 time=31 ms

  --- 172.16.1.10 ping statistics ---
    5 packet(s) transmitted
    4 packet(s) received
    20.00% packet loss
    round-trip min/avg/max = 30/31/32 ms
"""


def test_comware_v7_ping_statistics():
    stats = parse_comware_ping(V7_OUTPUT)
    assert (stats.sent, stats.received) == (5, 4)
    assert (stats.rtt_min_ms, stats.rtt_avg_ms, stats.rtt_max_ms) == (30.876, 31.020, 31.204)


def test_comware_v7_variant_total_loss_has_no_round_trip():
    stats = parse_comware_ping(V7_VARIANT_FAIL)
    assert (stats.sent, stats.received, stats.rtt_avg_ms) == (5, 0, None)


def test_comware_v5_ping_statistics():
    stats = parse_comware_ping(V5_OUTPUT)
    assert (stats.sent, stats.received) == (5, 4)
    assert (stats.rtt_min_ms, stats.rtt_avg_ms, stats.rtt_max_ms) == (30, 31, 32)


@pytest.mark.parametrize("text", ["Ping foo: Failed to resolve the host name.", "", "% Unrecognized command found at '^' position."])
def test_no_statistics_is_none(text):
    assert parse_comware_ping(text) is None


async def test_cli_router_pinger_builds_the_command_and_parses_both_dialects():
    sent = []

    def send(cmd):
        sent.append(cmd)
        return V5_OUTPUT if len(sent) == 1 else V7_VARIANT_FAIL

    pinger = CliRouterPinger(send)
    assert await pinger.ping("192.168.10.1", "172.16.1.10", 5, 0.5) == (5, 4)
    assert sent == ["ping -a 192.168.10.1 -c 5 -t 500 172.16.1.10"]
    assert await pinger.ping(None, "172.16.1.10", 3, 2) == (5, 0)
    assert sent[1] == "ping -c 3 -t 2000 172.16.1.10"


async def test_cli_router_pinger_says_what_the_router_printed_instead():
    async def send(cmd):
        return "<R1>ping -a 1.2.3.4 x\nPing x: Failed to resolve the host name.\n<R1>"

    with pytest.raises(RuntimeError, match="no ping statistics: .*Failed to resolve"):
        await CliRouterPinger(send).ping("1.2.3.4", "x", 5, 1)


def test_version_documents_of_every_shape():
    keystone_root = {"versions": {"values": [{"id": "v3.14", "status": "stable", "links": []}]}}
    keystone_v3 = {"version": {"id": "v3.14", "status": "stable"}}
    nova_root = {"versions": [{"id": "v2.0", "status": "SUPPORTED", "version": "", "min_version": ""},
                              {"id": "v2.1", "status": "CURRENT", "version": "2.96", "min_version": "2.1"}]}
    assert parse_versions(keystone_root) == [{"id": "v3.14", "status": "stable", "min_version": None,
                                              "max_version": None}]
    assert parse_versions(keystone_v3)[0]["id"] == "v3.14"
    assert parse_versions(nova_root)[1] == {"id": "v2.1", "status": "CURRENT", "min_version": "2.1",
                                            "max_version": "2.96"}
    assert parse_versions({"error": {"code": 401}}) is None
    assert parse_versions([1, 2]) is None
    assert parse_versions({"versions": {"values": [{"no": "id"}]}}) == []


CHECK_KEYS = {"kind", "vantage", "target", "port", "url", "status", "ok", "latency_ms", "detail", "reasons",
              "http_status", "versions", "banner", "tls_verified", "sent", "received"}


def _report(*checks: Check, warnings=()) -> ProbeReport:
    return ProbeReport("lab", list(checks), list(warnings), 1_700_000_000.0, 0.42, 0.5, "raw")


def test_json_schema_shape():
    report = _report(
        Check("api", "jump-host", "127.0.1.10", 5000, url="http://127.0.1.10:5000/v3", status="ok", ok=True,
              latency_ms=3.14159, http_status=200, versions=[{"id": "v3.14", "status": "stable",
                                                              "min_version": None, "max_version": None}]),
        Check("tcp", "jump-host", "127.0.1.100", 22, status="no-answer", ok=False,
              detail="TCP connected, but no SSH banner within 0.5 s", reasons=["no VPC route for 127.0.1.0/24"]),
        Check("icmp", "jump-host", "127.0.1.100", status="skipped", ok=None, detail="ICMP not possible"),
        Check("router-ping", "h3c", "172.16.0.10", status="ok", ok=True, sent=5, received=4),
        warnings=["ICMP not possible: no raw sockets"])
    doc = json.loads(report.to_json())
    assert set(doc) == {"schema_version", "profile", "ok", "started_at", "duration_s", "timeout_s", "icmp_method",
                        "warnings", "summary", "checks"}
    assert doc["schema_version"] == SCHEMA_VERSION == 1
    assert doc["ok"] is False and doc["profile"] == "lab"
    assert doc["started_at"] == "2023-11-14T22:13:20Z"
    assert doc["summary"] == {"total": 4, "passed": 2, "failed": 1, "skipped": 1}
    assert all(set(c) == CHECK_KEYS for c in doc["checks"])
    assert doc["checks"][0]["latency_ms"] == 3.142
    assert doc["checks"][1]["reasons"] == ["no VPC route for 127.0.1.0/24"]
    assert [c["vantage"] for c in doc["checks"]] == ["jump-host"] * 3 + ["h3c"]
    assert probe_exit_code(report) == 5


def test_skipped_is_not_a_failure_and_exit_code_zero():
    report = _report(Check("icmp", "jump-host", "10.0.0.1", status="skipped", ok=None),
                     Check("tcp", "jump-host", "10.0.0.1", 22, status="ok", ok=True))
    assert report.ok and probe_exit_code(report) == 0


def test_table_folds_consecutive_alike_addresses_and_shows_reasons():
    checks = []
    for n in range(100, 110):
        ok = n != 105
        checks.append(Check("tcp", "jump-host", f"10.0.0.{n}", 22, status="ok" if ok else "refused", ok=ok,
                            latency_ms=1.0, detail="SSH-2.0-x" if ok else "connection refused",
                            reasons=[] if ok else ["the H3C has no route to 10.0.0.105"]))
    text = render_table(_report(*checks))
    lines = text.splitlines()
    assert lines[0].split() == ["VANTAGE", "CHECK", "TARGET", "RESULT", "TIME", "DETAIL"]
    assert any("10.0.0.100-10.0.0.104:22" in ln and "open ×5" in ln for ln in lines)
    assert any("10.0.0.105:22" in ln and "refused" in ln for ln in lines)
    assert any("-> the H3C has no route to 10.0.0.105" in ln for ln in lines)
    assert any("10.0.0.106-10.0.0.109:22" in ln and "open ×4" in ln for ln in lines)
    assert lines[-1].startswith("probe FAILED: 9 passed, 1 failed, 0 skipped")
    full = render_table(_report(*checks), compact=False)
    assert len(full.splitlines()) == 1 + 10 + 1 + 1
