from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from vpnconsole.diagnose import End, compare
from vpnconsole.endstate import EndState, Route, TunnelState
from vpnconsole.profile import load_profile
from vpnconsole.verdict import decide

PROJECT = Path(__file__).resolve().parent.parent
GW = "vpn-bp1classic0001"


@pytest.fixture
def profile():
    return load_profile(PROJECT / "profiles" / "classic.yaml")


def states(profile, *, t_ali=None, t_h3c=None, vpc_routes=None, h3c_routes=None, h3c_params=None):
    params = profile.params()
    up = TunnelState("203.0.113.20", "up", "up", "ipsec_sa_established")
    ali = EndState(End.ALIBABA, True, params, (t_ali or up,),
                   tuple(vpc_routes if vpc_routes is not None else
                         [Route("192.168.0.0/24", GW, "VpnGateway", "Custom", "Available", True, "vtb-x")]))
    h3c = EndState(End.H3C, True, h3c_params or params, (t_h3c or TunnelState("203.0.113.20", "up", "up", "RD"),),
                   tuple(h3c_routes if h3c_routes is not None else
                         [Route("0.0.0.0/0", "198.51.100.9", "GE0/1", "Static")]))
    return h3c, ali


def verdict(profile, h3c, ali):
    return decide(h3c, ali, compare(profile.params(), h3c.params, ali.params),
                  onprem_subnets=profile.onprem.subnets, cloud_subnets=profile.cloud.subnets,
                  wan_interface=profile.onprem.wan_interface, gateway_id=GW)


def test_up_and_passing(profile):
    v = verdict(profile, *states(profile))
    assert v.code == "up" and v.summary == "up and passing"
    assert v.paths == ("192.168.0.0/24 → VPN gateway ✓", "172.16.0.0/24 → GigabitEthernet0/1 (198.51.100.9) ✓")


def test_unreachable_end(profile):
    h3c, ali = states(profile)
    h3c = dataclasses.replace(h3c, reachable=False, errors=("connection refused (127.0.0.1:22)",))
    v = verdict(profile, h3c, ali)
    assert v.code == "end-unreachable" and v.summary == "H3C unreachable: connection refused (127.0.0.1:22)"


def test_not_configured(profile):
    h3c, ali = states(profile)
    v = verdict(profile, h3c, dataclasses.replace(ali, params=None))
    assert v.code == "not-configured" and "Alibaba" in v.summary


def test_phase1_down_with_the_reason_from_the_logs(profile):
    t = TunnelState("203.0.113.20", "down", "down", "ike_sa_not_established", reason="no proposal chosen")
    v = verdict(profile, *states(profile, t_ali=t))
    assert v.code == "phase1-down" and v.summary == "phase 1 down: no proposal chosen"


def test_mismatch_is_the_root_cause(profile):
    params = profile.params()
    t0 = params.tunnels[0]
    h3c_params = dataclasses.replace(params, tunnels=(dataclasses.replace(
        t0, ike=dataclasses.replace(t0.ike, dh_group="group14")),))
    t = TunnelState("203.0.113.20", "down", "down", "ike_sa_not_established")
    v = verdict(profile, *states(profile, t_ali=t, h3c_params=h3c_params))
    assert v.code == "configured-differently"
    assert v.summary == "the ends are configured differently: phase 1 DH group: H3C group14, Alibaba group2"
    assert "phase 1 down: ike_sa_not_established" in v.problems


def test_phase2_down(profile):
    t = TunnelState("203.0.113.20", "up", "down", "ipsec_sa_not_established", reason="PFS mismatch")
    assert verdict(profile, *states(profile, t_ali=t)).summary == "phase 2 down: PFS mismatch"


def test_tunnel_up_but_vpc_route_missing(profile):
    v = verdict(profile, *states(profile, vpc_routes=[]))
    assert v.code == "route-missing"
    assert v.summary == ("tunnel up, but traffic cannot pass: no VPC route for 192.168.0.0/24: the VPC does not "
                         "send it to the VPN gateway")
    assert "192.168.0.0/24 missing in VPC route table ✗" in v.paths


def test_tunnel_up_but_h3c_route_goes_elsewhere(profile):
    v = verdict(profile, *states(profile, h3c_routes=[Route("172.16.0.0/16", "10.0.0.1", "GE0/2", "Static")]))
    assert v.code == "route-missing" and "out of GE0/2, not the WAN GigabitEthernet0/1" in v.summary


def test_pending_vpc_route(profile):
    pending = [Route("192.168.0.0/24", GW, "VpnGateway", "Custom", "Pending", True, "vtb-x")]
    v = verdict(profile, *states(profile, vpc_routes=pending))
    assert v.code == "route-missing" and "Pending" in v.summary
