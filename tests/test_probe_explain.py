"""StatusExplainer / explain_from_status on hand-made status reports (no network), and the
explainer being asked once per run and only when something failed."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace as NS

from vpnconsole.probe import H3C, JUMP_HOST, StatusExplainer, explain_from_status
from vpnconsole.verdict import Verdict

PROFILE = NS(onprem=NS(subnets=["192.168.0.0/24"], lan_address="192.168.0.1"), cloud=NS(subnets=["172.16.0.0/24"]))
PARAMS = NS(onprem_subnets=("192.168.0.0/24",), cloud_subnets=("172.16.0.0/24",))


def report(code, summary, problems=(), up=False, params=PARAMS):
    return NS(verdict=Verdict(code, summary, tuple(problems)), h3c=NS(params=params), alibaba=NS(params=params))


def test_phase1_down_says_why():
    r = report("phase1-down", "phase 1 down: PSK mismatch (Alibaba: ike_sa_not_established)")
    assert explain_from_status(r, PROFILE, "192.168.0.10") == [
        "tunnel phase 1 down because PSK mismatch (Alibaba: ike_sa_not_established)"]


def test_routes_for_the_target_subnet_and_the_way_back():
    problems = ["no VPC route for 192.168.0.0/24: the VPC does not send it to the VPN gateway",
                "H3C has no route to 172.16.0.0/24"]
    r = report("route-missing", "tunnel up, but traffic cannot pass: " + problems[0], problems)
    assert explain_from_status(r, PROFILE, "192.168.0.10") == problems
    assert explain_from_status(r, PROFILE, "172.16.0.10", vantage=H3C) == problems


def test_outside_the_live_selectors():
    narrow = NS(onprem_subnets=("192.168.0.0/25",), cloud_subnets=("172.16.0.0/24",))
    r = report("up", "up and passing", params=narrow)
    reasons = explain_from_status(r, PROFILE, "192.168.0.200")
    assert reasons == ["192.168.0.200 is outside the tunnel selectors: H3C's on-prem side is 192.168.0.0/25",
                       "192.168.0.200 is outside the tunnel selectors: Alibaba's on-prem side is 192.168.0.0/25"]


def test_unreachable_and_not_configured_are_the_whole_answer():
    r = report("end-unreachable", "H3C unreachable: cannot connect: timed out")
    assert explain_from_status(r, PROFILE, "192.168.0.10") == [
        "the tunnel cannot be up: H3C unreachable: cannot connect: timed out"]


def test_up_and_routed_points_at_the_target():
    (reason,) = explain_from_status(report("up", "up and passing"), PROFILE, "192.168.0.10")
    assert "up and routed" in reason and "192.168.0.10" in reason


async def test_status_is_read_once_for_many_questions():
    calls = []

    async def status():
        calls.append(1)
        await asyncio.sleep(0.01)
        return report("phase2-down", "phase 2 down: no proposal chosen")

    ex = StatusExplainer(status, PROFILE)
    answers = await asyncio.gather(*(ex.explain(f"192.168.0.{i}", 22) for i in range(10)),
                                   ex.explain_router("172.16.0.10"))
    assert len(calls) == 1 and ex.calls == 1
    assert all(a == ["tunnel phase 2 down because no proposal chosen"] for a in answers)


async def test_a_failing_status_becomes_one_reason_not_an_exception():
    async def status():
        raise RuntimeError("keyring locked")

    ex = StatusExplainer(status, PROFILE)
    assert await ex.explain("192.168.0.10") == ["the live state of the ends could not be read: keyring locked"]


async def test_the_probe_asks_only_when_something_failed(tmp_path):
    from vpnconsole.probe import run_probe

    calls = []

    async def status():
        calls.append(1)
        return report("up", "up and passing", params=None)

    # A port nobody listens on: refused → one explanation for the run.
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        free = s.getsockname()[1]
    probe = NS(openstack_api=None, verify_tls=True, floating_ips=["127.0.0.1"], tcp_ports=[free], icmp=False,
               cloud_targets=[], timeout_s=0.5, api_endpoints=[], port_protocols={})
    profile = NS(name="t", probe=probe, onprem=NS(subnets=["127.0.0.0/8"], lan_address=None), cloud=PROFILE.cloud)
    ex = StatusExplainer(status, profile)
    rep = await run_probe(profile, explainer=ex)
    assert not rep.ok and len(calls) == 1 and "up and routed" in rep.checks[0].reasons[-1]

    probe.tcp_ports = []
    ex = StatusExplainer(status, profile)
    rep = await run_probe(profile, explainer=ex)
    assert rep.ok and len(calls) == 1 and not ex.asked
