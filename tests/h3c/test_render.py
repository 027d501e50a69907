"""Rendering the example profiles: exact command lines, order, views, masking, teardown."""

from __future__ import annotations

import pickle

import pytest

from vpnconsole.h3c import naming
from vpnconsole.h3c.parse import parse_config
from vpnconsole.h3c.plan import Line
from vpnconsole.h3c.render import RenderError, render_apply, render_script, render_teardown
from vpnconsole.redact import MASK, Secret

from .helpers import PSK, example, v5, variant

SECRET = Secret(PSK, "psk")
EXAMPLES = ("classic", "dual-tunnel", "hardened")


def lines(plan):
    return plan.commands()


def block(plan, header):
    """The sub-commands of the block opened by ``header`` (up to its quit)."""
    cmds = plan.commands()
    i = cmds.index(header)
    out = []
    for c in cmds[i + 1:]:
        if c == "quit":
            break
        out.append(c)
    return out


@pytest.mark.parametrize("name", EXAMPLES)
def test_examples_render_for_comware7(name):
    plan = render_apply(example(name), SECRET)
    cmds = lines(plan)
    assert cmds[0] == "system-view"
    assert cmds[-2:] == ["return", "save force"]
    assert plan.platform == "comware7" and plan.action == "apply"
    assert plan.script().endswith("return\nsave force\n")


def test_classic_v7_exact_lines():
    p = example("classic")
    plan = render_apply(p, SECRET)
    acl, prop = naming.acl_number("classic"), naming.ike_proposal_number("classic")
    assert block(plan, f"acl advanced {acl}") == [
        "description VPNC-CLASSIC vpnconsole interesting traffic",
        "rule 5 permit ip source 192.168.0.0 0.0.0.255 destination 172.16.0.0 0.0.0.255",
    ]
    assert block(plan, f"ike proposal {prop}") == [
        "description VPNC-CLASSIC vpnconsole",
        "encryption-algorithm aes-cbc-128",
        "authentication-algorithm sha",  # SHA-1 is `sha` in the IKEv1 proposal...
        "authentication-method pre-share",
        "dh group2",
        "sa duration 86400",
    ]
    assert block(plan, "ike keychain VPNC-CLASSIC-KC1") == [
        f"pre-shared-key address 203.0.113.20 255.255.255.255 key simple {MASK}"]
    assert block(plan, "ike profile VPNC-CLASSIC-IKEP1") == [
        "keychain VPNC-CLASSIC-KC1",
        "exchange-mode main",
        "local-identity address 198.51.100.10",
        "match remote identity address 203.0.113.20 255.255.255.255",
        f"proposal {prop}",
        "dpd interval 10 retry 3 periodic",
    ]
    assert block(plan, "ipsec transform-set VPNC-CLASSIC-TS") == [
        "protocol esp",
        "encapsulation-mode tunnel",
        "esp encryption-algorithm aes-cbc-128",
        "esp authentication-algorithm sha1",  # ...and `sha1` in ESP
        "pfs dh-group2",
    ]
    assert block(plan, "ipsec policy VPNC-CLASSIC-POL 10 isakmp") == [
        "description VPNC-CLASSIC vpnconsole tunnel 1",
        f"security acl {acl}",
        "transform-set VPNC-CLASSIC-TS",
        "remote-address 203.0.113.20",
        "ike-profile VPNC-CLASSIC-IKEP1",
        "sa duration time-based 86400",
    ]
    assert "ip route-static 172.16.0.0 24 198.51.100.9 description VPNC-CLASSIC" in lines(plan)
    assert "authentication-algorithm sha1" not in lines(plan)
    assert "esp authentication-algorithm sha" not in lines(plan)


def test_the_policy_is_applied_last():
    for name in EXAMPLES:
        plan = render_apply(example(name), SECRET)
        cmds = lines(plan)
        wan = example(name).onprem.wan_interface
        assert cmds[-5:] == [f"interface {wan}", f"ipsec apply policy VPNC-{name.upper()}-POL", "quit", "return",
                             "save force"]
        assert plan.lines[-5].enters_view and plan.lines[-5].view == wan


def test_hardened_wildcards_nat_exemption_and_short_lifetime():
    p = example("hardened")
    plan = render_apply(p, SECRET)
    cmds = lines(plan)
    acl = naming.acl_number("hardened")
    assert block(plan, f"acl advanced {acl}")[1:] == [
        "rule 5 permit ip source 192.168.0.0 0.0.0.255 destination 172.16.0.0 0.0.255.255",
        "rule 10 permit ip source 192.168.10.0 0.0.0.255 destination 172.16.0.0 0.0.255.255",
        "rule 15 permit ip source 192.168.20.0 0.0.0.255 destination 172.16.0.0 0.0.255.255",
    ]
    assert block(plan, "acl advanced 3001") == [
        "rule 1 deny ip source 192.168.0.0 0.0.0.255 destination 172.16.0.0 0.0.255.255",
        "rule 1 comment VPNC-HARDENED nat-exempt",
        "rule 2 deny ip source 192.168.10.0 0.0.0.255 destination 172.16.0.0 0.0.255.255",
        "rule 2 comment VPNC-HARDENED nat-exempt",
        "rule 3 deny ip source 192.168.20.0 0.0.0.255 destination 172.16.0.0 0.0.255.255",
        "rule 3 comment VPNC-HARDENED nat-exempt",
    ]
    assert "sa duration time-based 3600" in cmds
    assert plan.manifest.nat_acl == 3001 and plan.manifest.nat_rule_ids == (1, 2, 3)
    assert any("3001" in note for note in plan.notes)


def test_host_routes_and_odd_masks_use_wildcards():
    p = variant(example("classic"), **{"onprem.subnets": ["192.168.0.5/32"], "cloud.subnets": ["172.16.0.0/12"]})
    cmds = lines(render_apply(p, SECRET))
    assert "rule 5 permit ip source 192.168.0.5 0.0.0.0 destination 172.16.0.0 0.15.255.255" in cmds
    assert "ip route-static 172.16.0.0 12 198.51.100.9 description VPNC-CLASSIC" in cmds


def test_ikev2_variant():
    plan = render_apply(example("dual-tunnel"), SECRET)
    assert block(plan, "ikev2 proposal VPNC-DUAL-TUNNEL-V2PROP") == [
        "encryption aes-cbc-256", "integrity sha256", "prf sha256", "dh group14"]
    assert block(plan, "ikev2 policy VPNC-DUAL-TUNNEL-V2POL") == ["proposal VPNC-DUAL-TUNNEL-V2PROP"]
    assert block(plan, "peer VPNC-DUAL-TUNNEL-PEER1") == [
        "address 203.0.113.60 32", "identity address 203.0.113.60", f"pre-shared-key plaintext {MASK}"]
    assert block(plan, "ikev2 profile VPNC-DUAL-TUNNEL-IKEP1") == [
        "authentication-method local pre-share",
        "authentication-method remote pre-share",
        "keychain VPNC-DUAL-TUNNEL-KC1",
        "identity local address 198.51.100.50",
        "match remote identity address 203.0.113.60 32",
        "sa duration 86400",
        "dpd interval 10 periodic",
    ]
    assert "ikev2-profile VPNC-DUAL-TUNNEL-IKEP1" in block(plan, "ipsec policy VPNC-DUAL-TUNNEL-POL 10 isakmp")
    assert not any(c.startswith("ike proposal") or c.startswith("ike profile") for c in lines(plan))
    # IKEv2 integrity spells SHA-1 `sha1` (not the IKEv1 `sha`)
    p = variant(example("dual-tunnel"), **{"ike.integrity": "sha1"})
    assert "integrity sha1" in lines(render_apply(p, SECRET))


def test_dual_tunnel_renders_two_peers_under_one_policy():
    plan = render_apply(example("dual-tunnel"), SECRET)
    script = plan.script()
    assert script.count("ikev2 keychain VPNC-DUAL-TUNNEL-KC") == 2
    assert script.count("ikev2 profile VPNC-DUAL-TUNNEL-IKEP") == 2
    e10 = block(plan, "ipsec policy VPNC-DUAL-TUNNEL-POL 10 isakmp")
    e20 = block(plan, "ipsec policy VPNC-DUAL-TUNNEL-POL 20 isakmp")
    acl = naming.acl_number("dual-tunnel")
    assert f"security acl {acl}" in e10 and f"security acl {acl}" in e20
    assert "remote-address 203.0.113.60" in e10 and "remote-address 203.0.113.61" in e20
    assert "ikev2-profile VPNC-DUAL-TUNNEL-IKEP2" in e20
    assert plan.manifest.policy_entries == (("VPNC-DUAL-TUNNEL-POL", 10), ("VPNC-DUAL-TUNNEL-POL", 20))
    # the IKEv1 flavour: one keychain and one IKE profile per Alibaba IP
    p = variant(example("dual-tunnel"), **{"ike.version": "ikev1"})
    plan1 = render_apply(p, SECRET)
    assert block(plan1, "ike keychain VPNC-DUAL-TUNNEL-KC2") == [
        f"pre-shared-key address 203.0.113.61 255.255.255.255 key simple {MASK}"]
    assert "match remote identity address 203.0.113.61 255.255.255.255" in block(
        plan1, "ike profile VPNC-DUAL-TUNNEL-IKEP2")
    assert lines(plan1).count("ipsec apply policy VPNC-DUAL-TUNNEL-POL") == 1


def test_classic_on_comware5():
    plan = render_apply(v5(example("classic")), SECRET)
    assert plan.platform == "comware5"
    acl, prop = naming.acl_number("classic"), naming.ike_proposal_number("classic")
    cmds = lines(plan)
    assert block(plan, f"acl number {acl}")[1:] == [
        "rule 5 permit ip source 192.168.0.0 0.0.0.255 destination 172.16.0.0 0.0.0.255"]
    assert block(plan, f"ike proposal {prop}") == [
        "encryption-algorithm aes-cbc 128", "authentication-algorithm sha", "authentication-method pre-share",
        "dh group2", "sa duration 86400"]
    assert block(plan, "ike dpd VPNC-CLASSIC-DPD") == ["interval-time 10", "time-out 5"]
    assert block(plan, "ike peer VPNC-CLASSIC-PEER1") == [
        "exchange-mode main", f"proposal {prop}", f"pre-shared-key simple {MASK}", "remote-address 203.0.113.20",
        "local-address 198.51.100.10", "nat traversal", "dpd VPNC-CLASSIC-DPD"]
    assert block(plan, "ipsec proposal VPNC-CLASSIC-PROP") == [
        "transform esp", "encapsulation-mode tunnel", "esp encryption-algorithm aes 128",
        "esp authentication-algorithm sha1"]
    assert block(plan, "ipsec policy VPNC-CLASSIC-POL 10 isakmp") == [
        f"security acl {acl}", "ike-peer VPNC-CLASSIC-PEER1", "proposal VPNC-CLASSIC-PROP", "pfs dh-group2",
        "sa duration time-based 86400"]
    assert cmds[-5:] == ["interface GigabitEthernet0/1", "ipsec policy VPNC-CLASSIC-POL", "quit", "return",
                         "save force"]
    assert not any(c.startswith(("acl advanced", "ike keychain", "ike profile", "ipsec transform-set",
                                 "ipsec apply")) for c in cmds)
    # NAT-T off and DPD off on V5: no line, no dpd object
    plan2 = render_apply(v5(example("classic"), **{"ike.nat_traversal": False, "ike.dpd": False}), SECRET)
    assert "nat traversal" not in lines(plan2) and not any("dpd" in c for c in lines(plan2))


def test_v5_dual_tunnel_and_nat_acl():
    p = v5(example("classic"), **{"cloud.gateway_ips": ["203.0.113.20", "203.0.113.21"],
                                  "onprem.nat_outbound_acl": 3001})
    plan = render_apply(p, SECRET)
    assert "remote-address 203.0.113.21" in block(plan, "ike peer VPNC-CLASSIC-PEER2")
    assert "ike-peer VPNC-CLASSIC-PEER2" in block(plan, "ipsec policy VPNC-CLASSIC-POL 20 isakmp")
    assert block(plan, "acl number 3001")[1] == "rule 1 comment VPNC-CLASSIC nat-exempt"


@pytest.mark.parametrize("changes, path", [
    ({"cloud.gateway_ips": []}, "cloud.gateway_ips"),
    ({"ike.version": "ikev2"}, "ike.version"),
    ({"ike.integrity": "sha256"}, "ike.integrity"),
    ({"ipsec.integrity": "sha512"}, "ipsec.integrity"),
    ({"ipsec.lifetime": 100}, "ipsec.lifetime"),
    ({"onprem.nat_outbound_acl": 3960}, "onprem.nat_outbound_acl"),
])
def test_v5_refusals_name_the_key(changes, path):
    with pytest.raises(RenderError) as err:
        render_apply(v5(example("classic"), **changes), SECRET)
    assert err.value.path == path and path in str(err.value)


def test_empty_gateway_ips_refused_on_v7():
    with pytest.raises(RenderError, match=r"cloud\.gateway_ips"):
        render_apply(variant(example("classic"), **{"cloud.gateway_ips": []}), SECRET)


def test_ikev2_lifetime_range_is_narrower_than_ikev1():
    # `ikev2 profile` `sa duration` takes 120–86400 s; the IKEv1 proposal 60–604800 s
    with pytest.raises(RenderError, match=r"ike\.lifetime.*120–86400"):
        render_apply(variant(example("dual-tunnel"), **{"ike.lifetime": 60}), SECRET)
    assert "sa duration 60" in lines(render_apply(variant(example("classic"), **{"ike.lifetime": 60}), SECRET))


def test_v7_cannot_turn_nat_traversal_off():
    with pytest.raises(RenderError, match=r"ike\.nat_traversal"):
        render_apply(variant(example("classic"), **{"ike.nat_traversal": False}), SECRET)


def test_a_psk_comware_cannot_type_is_refused_without_showing_it():
    bad = "has space?" + "x" * 10
    with pytest.raises(RenderError) as err:
        render_apply(example("classic"), Secret(bad, "psk"))
    assert bad not in str(err.value) and "psk" in str(err.value)


def test_the_psk_never_shows_unless_revealed():
    for name in EXAMPLES:
        plan = render_apply(example(name), SECRET)
        for text in (plan.script(), str(plan), repr(plan), f"{plan}", "\n".join(plan.commands()),
                     repr(plan.lines), repr(plan.manifest), str(plan.notes)):
            assert PSK not in text
        for line in plan.lines:
            assert PSK not in str(line) and PSK not in repr(line) and PSK not in f"{line}"
        secret_lines = [line for line in plan.lines if line.has_secret]
        assert secret_lines and all(PSK in line.reveal() for line in secret_lines)
        assert plan.script(reveal=True).count(PSK) == len(secret_lines)
        with pytest.raises(TypeError):
            pickle.dumps(plan)


def test_render_script_is_masked_by_default():
    text = render_script(example("classic"), SECRET)
    assert MASK in text and PSK not in text
    assert render_script(example("classic")).count(MASK) == 1  # no PSK at hand: a stand-in, masked
    assert render_script(example("classic"), SECRET, reveal=True).count(PSK) == 1
    assert render_script(example("hardened"), teardown=True).startswith("system-view\ninterface ")


def test_views_and_prompts():
    plan = render_apply(example("classic"), SECRET)
    by_text = {line.text(): line for line in plan.lines}
    assert by_text["system-view"].view == "system" and by_text["system-view"].enters_view
    prof = by_text["ike profile VPNC-CLASSIC-IKEP1"]
    assert prof.enters_view and prof.view == "ike-profile-VPNC-CLASSIC-IKEP1"
    assert prof.prompt("MSR1") == "[MSR1-ike-profile-VPNC-CLASSIC-IKEP1]"
    pol = by_text["ipsec policy VPNC-CLASSIC-POL 10 isakmp"]
    assert pol.view == "ipsec-policy-isakmp-VPNC-CLASSIC-POL-10"
    acl = naming.acl_number("classic")
    assert by_text[f"acl advanced {acl}"].view == f"acl-ipv4-adv-{acl}"
    assert by_text["keychain VPNC-CLASSIC-KC1"].view == "ike-profile-VPNC-CLASSIC-IKEP1"
    assert not by_text["keychain VPNC-CLASSIC-KC1"].enters_view
    # after every quit the view is the one the block was opened from
    for before, line in zip(plan.lines, plan.lines[1:]):
        if line.text() == "quit":
            assert line.view == "system"
    assert plan.lines[-1].view == plan.lines[-2].view == "user"
    assert plan.lines[-1].prompt("MSR1") == "<MSR1>"
    # nested IKEv2 peer view
    p2 = render_apply(example("dual-tunnel"), SECRET)
    peer = next(line for line in p2.lines if line.text() == "peer VPNC-DUAL-TUNNEL-PEER1")
    assert peer.view == "ikev2-keychain-VPNC-DUAL-TUNNEL-KC1-peer-VPNC-DUAL-TUNNEL-PEER1" and peer.indent == 1
    quits = [line for line in p2.lines if line.text() == "quit" and line.indent == 1]
    assert quits and all(q.view.startswith("ikev2-keychain-") for q in quits)
    # V5 views
    p5 = render_apply(v5(example("classic")), SECRET)
    views = {line.view for line in p5.lines if line.enters_view}
    assert {f"acl-adv-{acl}", "ike-peer-VPNC-CLASSIC-PEER1", "ipsec-proposal-VPNC-CLASSIC-PROP",
            "ike-dpd-VPNC-CLASSIC-DPD"} <= views


def test_steps_group_lines_by_object():
    plan = render_apply(example("dual-tunnel"), SECRET)
    steps = [name for name, _ in plan.steps()]
    assert steps == ["system-view", "acl", "ikev2-proposal", "ikev2-policy", "ikev2-keychain:1", "ikev2-keychain:2",
                     "ikev2-profile:1", "ikev2-profile:2", "transform-set", "ipsec-policy:1", "ipsec-policy:2",
                     "route", "apply", "save"]


def test_route_without_next_hop_goes_via_the_wan_interface():
    p = variant(example("classic"), **{"onprem.next_hop": None})
    plan = render_apply(p, SECRET)
    assert "ip route-static 172.16.0.0 24 GigabitEthernet0/1 description VPNC-CLASSIC" in lines(plan)
    assert "undo ip route-static 172.16.0.0 24 GigabitEthernet0/1" in render_teardown(p).commands()


def test_numbers_override():
    p = example("hardened")
    n = naming.Numbers(acl=3999, ike_proposal=999, nat_rule_ids=(11, 12, 13))
    cmds = lines(render_apply(p, SECRET, numbers=n))
    assert "acl advanced 3999" in cmds and "rule 11 deny ip source 192.168.0.0 0.0.0.255 destination " \
        "172.16.0.0 0.0.255.255" in cmds
    with pytest.raises(RenderError, match="numbers.acl"):
        render_apply(p, SECRET, numbers=naming.Numbers(3001, 950, (1, 2, 3)))


# --- teardown ------------------------------------------------------------------------------------------

def _order(cmds, *prefixes):
    idx = []
    for prefix in prefixes:
        hits = [i for i, c in enumerate(cmds) if c.startswith(prefix)]
        assert hits, prefix
        idx.append((min(hits), max(hits)))
    for (lo_a, hi_a), (lo_b, _) in zip(idx, idx[1:]):
        assert hi_a < lo_b, (cmds, prefixes)


def test_teardown_order_v7_ikev1():
    p = variant(example("classic"), **{"onprem.nat_outbound_acl": 3001})
    plan = render_teardown(p)
    cmds = lines(plan)
    assert cmds[:4] == ["system-view", "interface GigabitEthernet0/1", "undo ipsec apply policy VPNC-CLASSIC-POL",
                        "quit"]
    _order(cmds, "undo ipsec apply policy", "undo ipsec policy VPNC-CLASSIC-POL 10", "undo ipsec transform-set",
           "undo ike profile", "undo ike keychain", "undo ike proposal", "undo acl advanced", "acl advanced 3001",
           "undo rule 1", "undo ip route-static", "return", "save force")
    assert cmds[-2:] == ["return", "save force"]
    assert all(line.undo for line in plan.lines if line.text().startswith("undo"))
    assert not plan.has_secret


def test_teardown_order_v7_ikev2_dual():
    cmds = lines(render_teardown(example("dual-tunnel")))
    _order(cmds, "undo ipsec apply policy", "undo ipsec policy VPNC-DUAL-TUNNEL-POL 20",
           "undo ipsec policy VPNC-DUAL-TUNNEL-POL 10", "undo ipsec transform-set", "undo ikev2 profile",
           "undo ikev2 keychain", "undo ikev2 policy", "undo ikev2 proposal", "undo acl advanced",
           "undo ip route-static", "save force")
    assert cmds.count("undo ikev2 profile VPNC-DUAL-TUNNEL-IKEP2") == 1


def test_teardown_order_v5():
    p = v5(example("classic"), **{"onprem.nat_outbound_acl": 3001})
    cmds = lines(render_teardown(p))
    assert cmds[1:4] == ["interface GigabitEthernet0/1", "undo ipsec policy VPNC-CLASSIC-POL", "quit"]
    _order(cmds, "undo ipsec policy VPNC-CLASSIC-POL 10", "undo ipsec proposal", "undo ike peer", "undo ike dpd", "undo ike proposal", "undo acl number",
           "acl number 3001", "undo rule 1", "undo ip route-static", "return", "save force")


def test_teardown_does_not_need_the_gateway_ips():
    p = variant(example("classic"), **{"cloud.gateway_ips": []})
    cmds = lines(render_teardown(p))
    assert "undo ike profile VPNC-CLASSIC-IKEP1" in cmds


def test_teardown_from_a_manifest_uses_what_the_apply_used():
    p = example("hardened")
    n = naming.Numbers(acl=3999, ike_proposal=999, nat_rule_ids=(11, 12, 13))
    applied = render_apply(p, SECRET, numbers=n)
    cmds = lines(render_teardown(p, manifest=applied.manifest))
    assert "undo acl advanced 3999" in cmds and "undo rule 12" in cmds and "undo rule 1" not in cmds


FOREIGN = """\
#
acl advanced 3001
 rule 0 deny ip source 10.9.0.0 0.0.255.255 destination 10.8.0.0 0.0.255.255
 rule 0 comment OTHER-nat-exempt
 rule 1 deny ip source 192.168.0.0 0.0.0.255 destination 172.16.0.0 0.0.0.255
 rule 1 comment VPNC-CLASSIC nat-exempt
 rule 2 deny ip source 192.168.0.0 0.0.0.255 destination 172.16.0.0 0.0.0.255
 rule 3 deny ip source 192.168.0.0 0.0.0.255 destination 172.16.0.0 0.0.0.255
 rule 3 comment VPNC-CLASSIC-2 nat-exempt
 rule 5 permit ip source 192.168.0.0 0.0.255.255
#
acl advanced {acl}
 description VPNC-CLASSIC vpnconsole interesting traffic
 rule 5 permit ip source 192.168.0.0 0.0.0.255 destination 172.16.0.0 0.0.0.255
#
acl advanced 3960
 description someone else's
 rule 5 permit ip source 10.0.0.0 0.0.0.255 destination 10.1.0.0 0.0.0.255
#
ike proposal {prop}
 description VPNC-CLASSIC vpnconsole
 encryption-algorithm aes-cbc-128
 dh group2
#
ike proposal 960
 encryption-algorithm aes-cbc-256
#
ike keychain VPNC-CLASSIC-KC1
 pre-shared-key address 203.0.113.20 255.255.255.255 key cipher $c$3$QUJDREVGRw==
#
ike keychain OTHER-KC
 pre-shared-key address 192.0.2.1 255.255.255.255 key cipher $c$3$QUJDREVGRw==
#
ike profile OTHER
 keychain OTHER-KC
#
ike profile VPNC-CLASSIC-IKEP1
 keychain VPNC-CLASSIC-KC1
 local-identity address 198.51.100.10
 match remote identity address 203.0.113.20 255.255.255.255
 proposal {prop}
 dpd interval 10 retry 3 periodic
#
ipsec transform-set VPNC-CLASSIC-TS
 esp encryption-algorithm aes-cbc-128
 esp authentication-algorithm sha1
 pfs dh-group2
#
ipsec policy VPNC-CLASSIC-POL 10 isakmp
 description VPNC-CLASSIC vpnconsole tunnel 1
 transform-set VPNC-CLASSIC-TS
 security acl {acl}
 remote-address 203.0.113.20
 ike-profile VPNC-CLASSIC-IKEP1
 sa duration time-based 86400
#
ipsec policy OTHER-POL 10 isakmp
 security acl 3960
 remote-address 192.0.2.1
 ike-profile OTHER
#
interface GigabitEthernet0/1
 port link-mode route
 ip address 198.51.100.10 255.255.255.248
 nat outbound 3001
 ipsec apply policy VPNC-CLASSIC-POL
#
interface GigabitEthernet0/2
 ipsec apply policy OTHER-POL
#
 ip route-static 0.0.0.0 0 198.51.100.9
 ip route-static 172.16.0.0 24 198.51.100.9 description VPNC-CLASSIC
 ip route-static 172.17.0.0 16 198.51.100.9
 ip route-static 10.1.0.0 24 198.51.100.9 description VPNC-CLASSIC-2
#
return
"""


def foreign_config_text():
    return FOREIGN.format(acl=naming.acl_number("classic"), prop=naming.ike_proposal_number("classic"))


def test_teardown_from_the_device_removes_only_ours():
    p = variant(example("classic"), **{"onprem.nat_outbound_acl": 3001})
    config = parse_config(foreign_config_text(), "classic", "comware7")
    plan = render_teardown(p, config=config)
    cmds = lines(plan)
    acl, prop = naming.acl_number("classic"), naming.ike_proposal_number("classic")
    assert cmds == [
        "system-view",
        "interface GigabitEthernet0/1", "undo ipsec apply policy VPNC-CLASSIC-POL", "quit",
        "undo ipsec policy VPNC-CLASSIC-POL 10",
        "undo ipsec transform-set VPNC-CLASSIC-TS",
        "undo ike profile VPNC-CLASSIC-IKEP1",
        "undo ike keychain VPNC-CLASSIC-KC1",
        f"undo ike proposal {prop}",
        f"undo acl advanced {acl}",
        "acl advanced 3001", "undo rule 1", "quit",
        "undo ip route-static 172.16.0.0 24 198.51.100.9",
        "return", "save force",
    ]
    # and the result, read back, still has every foreign object
    after = parse_config(foreign_config_text() + "\n" + plan.script(), "classic", "comware7")
    assert after.owned("classic") == []
    assert "OTHER" in after.ike_profiles and 960 in after.ike_proposals and 3960 in after.acls
    assert sorted(after.acls[3001].rules) == [0, 2, 3, 5]
    assert len(after.routes) == 3
    assert after.interfaces["GIGABITETHERNET0/2"].applied_policy == "OTHER-POL"


def test_a_foreign_entry_under_our_policy_name_keeps_the_binding():
    text = foreign_config_text().replace(
        "ipsec policy OTHER-POL 10 isakmp",
        "ipsec policy VPNC-CLASSIC-POL 30 isakmp\n description added by hand\n#\nipsec policy OTHER-POL 10 isakmp")
    config = parse_config(text, "classic", "comware7")
    plan = render_teardown(example("classic"), config=config)
    cmds = lines(plan)
    assert "undo ipsec apply policy VPNC-CLASSIC-POL" not in cmds
    assert "undo ipsec policy VPNC-CLASSIC-POL 10" in cmds and "undo ipsec policy VPNC-CLASSIC-POL 30" not in cmds
    assert any("keeps policy" in note for note in plan.notes)


def test_line_is_immutable_and_pickles_without_secret():
    line = Line(("ike proposal 950",), "ike-proposal-950", True, 0, "ike-proposal")
    assert pickle.loads(pickle.dumps(line)) == line
    with pytest.raises(Exception):
        line.view = "system"  # type: ignore[misc]
