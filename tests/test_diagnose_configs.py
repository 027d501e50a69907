"""diagnose on real configurations: the profile rendered onto the simulated H3C and sent to the
simulated Alibaba API, read back by the parsers, then hand-edited on either end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.lab.conftest_aliyun import make_client  # sets the SDK's environment first
from vpnconsole.alibaba import translate
from vpnconsole.diagnose import compare
from vpnconsole.h3c import parse, render
from vpnconsole.lab.aliyun import AliyunVpcSim, ManualClock, ThreadedAliyunLab, Timing
from vpnconsole.lab.h3c import SimulatedH3C
from vpnconsole.params import psk_fingerprint
from vpnconsole.profile import load_profile
from vpnconsole.redact import Secret

PROJECT = Path(__file__).resolve().parent.parent
PSK = Secret("Diag-Psk-2024-abcdef", "psk")


@pytest.fixture
def ends():
    profile = load_profile(PROJECT / "profiles" / "classic.yaml")
    router = SimulatedH3C(sysname="BRANCH", interfaces=("GigabitEthernet0/0", "GigabitEthernet0/1"),
                          initial_config=("interface GigabitEthernet0/1", "ip address 198.51.100.10 30", "quit"))
    out = router.cli(*render.render_apply(profile, PSK).commands(reveal=True))
    assert "% " not in out
    sim = AliyunVpcSim(clock=ManualClock(), timing=Timing.instant(), rng_seed=3)
    vpc = sim.add_vpc("cn-hangzhou", cidr="172.16.0.0/16", vswitches=["172.16.0.0/24"])
    sim.add_vpn_gateway("cn-hangzhou", vpc.vpc_id, dual_tunnel=False, internet_ip="203.0.113.20",
                        vpn_gateway_id=profile.cloud.vpn_gateway_id)
    with ThreadedAliyunLab(sim) as api:
        client = make_client(api, "cn-hangzhou")
        results: dict = {}
        for call in translate.plan_apply(profile, PSK):
            req = translate.to_sdk_request(call, results)
            results[call.step] = getattr(client, translate.sdk_method(call.action))(req).body.to_map()
        yield profile, router, client, results["vpn-connection"]["VpnConnectionId"]


def h3c_params(router, profile):
    text = router.cli("display current-configuration")
    return parse.to_params(parse.parse_config(text, profile.name, "comware7"), profile.name)


def alibaba_params(client, vco):
    from alibabacloud_vpc20160428 import models

    conn = client.describe_vpn_connection(models.DescribeVpnConnectionRequest(
        region_id="cn-hangzhou", vpn_connection_id=vco)).body.to_map()
    gw = client.describe_vpn_gateway(models.DescribeVpnGatewayRequest(
        region_id="cn-hangzhou", vpn_gateway_id=conn["VpnGatewayId"])).body.to_map()
    cgw = client.describe_customer_gateway(models.DescribeCustomerGatewayRequest(
        region_id="cn-hangzhou", customer_gateway_id=conn["CustomerGatewayId"])).body.to_map()
    return translate.params_from_api(conn, gw, cgw)


def test_rendered_ends_agree_with_the_profile_and_each_other(ends):
    profile, router, client, vco = ends
    result = compare(profile.params(psk_fingerprint(PSK.reveal())), h3c_params(router, profile),
                     alibaba_params(client, vco))
    assert result.clean, result.as_dict()


def test_hand_edited_ends_are_named_field_by_field(ends):
    from alibabacloud_vpc20160428 import models

    profile, router, client, vco = ends
    plan = render.render_apply(profile, PSK)
    proposal = plan.manifest.ike_proposal
    acl = plan.manifest.acl
    # On the router: someone "fixes" the DH group and widens the ACL destination by hand.
    out = router.cli("system-view", f"ike proposal {proposal}", "dh group14", "quit",
                     f"acl advanced {acl}", "rule 5 permit ip source 192.168.0.0 0.0.0.255 "
                     "destination 172.16.0.0 0.0.255.255", "return")
    assert "% " not in out
    # On Alibaba: PFS switched off in the console.
    ipsec = {"IpsecEncAlg": "aes", "IpsecAuthAlg": "sha1", "IpsecPfs": "disabled", "IpsecLifetime": 86400}
    client.modify_vpn_connection_attribute(models.ModifyVpnConnectionAttributeRequest(
        region_id="cn-hangzhou", vpn_connection_id=vco, ipsec_config=json.dumps(ipsec)))

    result = compare(profile.params(psk_fingerprint(PSK.reveal())), h3c_params(router, profile),
                     alibaba_params(client, vco))
    h3c_ali = [str(d) for d in result.h3c_alibaba]
    assert "phase 1 DH group: H3C group14, Alibaba group2" in h3c_ali
    assert ("phase 2 selector: H3C ACL destination 172.16.0.0/16 ≠ Alibaba LocalSubnet 172.16.0.0/24"
            in h3c_ali)
    assert "phase 2 PFS: H3C group2 (pfs dh-group2), Alibaba none (IpsecPfs=disabled)" in h3c_ali
    assert len(h3c_ali) == 3
    assert [str(d) for d in result.profile_alibaba] == ["phase 2 PFS: profile group2, Alibaba none (IpsecPfs=disabled)"]
    assert {d.title for d in result.profile_h3c} == {"DH group", "cloud subnets"}
