"""The product's own output brings the lab up: the example profiles rendered for the H3C
(``vpnconsole.h3c.render``) and planned for Alibaba (``vpnconsole.alibaba.translate``, sent with
the real SDK over HTTP), joined by the negotiation model."""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path

import pytest

from tests.lab.conftest_aliyun import make_client  # sets the SDK's environment first
from vpnconsole.lab.aliyun import AliyunVpcSim, ManualClock, ThreadedAliyunLab, Timing
from vpnconsole.lab.h3c import SimulatedH3C
from vpnconsole.lab.negotiation import Delays, LabNegotiation, Verdict

render = pytest.importorskip("vpnconsole.h3c.render")
translate = pytest.importorskip("vpnconsole.alibaba.translate")

from vpnconsole.profile import load_profile  # noqa: E402
from vpnconsole.redact import Secret  # noqa: E402

PROFILES = Path(__file__).resolve().parents[2] / "profiles"
PSK = "Lab-Psk-2024"


@pytest.mark.parametrize("name", ["classic", "dual-tunnel"])
def test_rendered_profile_comes_up_on_both_ends(name):
    profile = load_profile(PROFILES / f"{name}.yaml")
    on, cl = profile.onprem, profile.cloud
    region = cl.region
    gw_ips = list(cl.gateway_ips)
    clock = ManualClock()
    sim = AliyunVpcSim(clock=clock, timing=Timing.instant(), rng_seed=5)
    cloud_net = ipaddress.IPv4Network(cl.subnets[0])
    target = str(profile.probe.cloud_targets[0])
    vsw = str(ipaddress.IPv4Network(f"{target}/24", strict=False))
    vpc = sim.add_vpc(region, cidr=str(cloud_net.supernet(new_prefix=min(cloud_net.prefixlen, 16))),
                      vswitches=[vsw, str(ipaddress.IPv4Network(vsw).network_address + 256) + "/24"])
    sim.add_vpn_gateway(region, vpc.vpc_id, dual_tunnel=len(gw_ips) == 2, internet_ip=gw_ips[0],
                        dr_internet_ip=gw_ips[1] if len(gw_ips) == 2 else None, vpn_gateway_id=cl.vpn_gateway_id)
    wan = ipaddress.IPv4Interface(f"{on.public_ip}/30")
    lan = str(on.subnets[0])
    router = SimulatedH3C(sysname="EDGE", clock=clock.now, interfaces=("GigabitEthernet0/0", on.wan_interface),
                          initial_config=(f"interface {on.wan_interface}", f" ip address {wan.ip} {wan.netmask}",
                                          "quit", "interface GigabitEthernet0/0",
                                          f" ip address {on.lan_address} {ipaddress.IPv4Network(lan).netmask}",
                                          "quit", f"ip route-static 0.0.0.0 0 {on.next_hop}"))
    model = LabNegotiation(router, sim, region, delays=Delays.instant(), cloud_source=target,
                           targets={"127.0.8.10": str(ipaddress.IPv4Network(lan).network_address + 10)})

    # the H3C end: the rendered commands, as a driver would send them
    plan = render.render_apply(profile, Secret(PSK))
    out = router.cli(*plan.commands(reveal=True))
    assert not re.search(r"^\s*% ", out, re.M), out

    # the Alibaba end: the planned calls through the real SDK
    aplan = translate.plan_apply(profile, Secret(PSK))
    with ThreadedAliyunLab(sim) as api:
        client = make_client(api, region)
        results: dict = {}
        for call in aplan:
            req = translate.to_sdk_request(call, results)
            results[call.step] = getattr(client, translate.sdk_method(call.action))(req).body.to_map()
    vco = results["vpn-connection"]["VpnConnectionId"]

    clock.advance(1)
    ping = router.cli(f"ping -a {on.lan_address} {target}")
    assert "5 packet(s) received" in ping, ping
    if profile.ike.version == "ikev2":
        rows = re.findall(r"^\s+\d+\s+\S+/\d+\s+\S+/\d+\s+EST\r?$", router.cli("display ikev2 sa"), re.M)
    else:
        rows = re.findall(r"^\s+\d+\s+\S+\s+\S+\s+RD\s+IPsec\r?$", router.cli("display ike sa"), re.M)
    assert len(rows) == len(gw_ips)  # one IKE SA per Alibaba IP (Alibaba initiated, EffectImmediately)
    assert len(router.runtime.ipsec_sas) == len(gw_ips)
    conn = sim.find_connection(vco)
    assert conn is not None
    for tunnel_id in [t.tunnel_id for t in conn.tunnels] or [None]:  # up on the Alibaba side too
        state = model.peer_state(vco, tunnel_id)
        assert state is not None and state.status == "ipsec_sa_established"
    assert model.verdict("127.0.8.10", 22) is Verdict.OPEN
