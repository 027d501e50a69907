"""The rendered plans against the embedded simulated Comware device (vpnconsole.lab.h3c), which
follows the reference's view ids (§1.1), error shapes (§6.6) and `display current-configuration`
layout (§5.9): every line accepted, the prompt after each view-entering line is the one the plan
expects, the device's display reads back as the profile, and teardown leaves nothing of ours."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vpnconsole.h3c.parse import parse_config, to_params_report
from vpnconsole.h3c.render import RenderError, render_apply, render_teardown
from vpnconsole.redact import Secret

from .helpers import PSK, example, profiles, v5, variant

device = pytest.importorskip("vpnconsole.lab.h3c.device")

ERROR = re.compile(r"^\s*%\s*(Unrecognized command|Incomplete command|Wrong parameter|Too many parameters|"
                   r"Ambiguous command)\b", re.M)
SYSNAME = "MSR1"


FOREIGN_NAT_RULES = {2: "deny", 20: "permit"}
SIM_INTERFACES = ("GigabitEthernet0/0", "GigabitEthernet0/1", "GigabitEthernet1/0/1")


def sim_profiles(platform: str):
    """Generated profiles whose WAN exists on the simulated device (it has no Dialer interfaces)."""
    def fit(p):
        if p.onprem.wan_interface not in SIM_INTERFACES:
            p.onprem.wan_interface = "GigabitEthernet0/1"
        return p
    return profiles(platform).map(fit)


def _device(platform: str, nat_acl: int | None, wan: str):
    acl = "acl number" if platform == "comware5" else "acl advanced"
    initial = [f"interface {wan}", " ip address 198.51.100.2 255.255.255.0", "quit"]
    if nat_acl is not None:  # the router's own NAT ACL: a deny at 2 and the permit at 20 are not ours
        initial = [f"{acl} {nat_acl}", " rule 2 deny ip source 10.250.0.0 0.0.255.255 destination 10.251.0.0 "
                   "0.0.255.255", " rule 20 permit ip source 10.0.0.0 0.255.255.255", "quit",
                   f"interface {wan}", f" nat outbound {nat_acl}", "quit"] + initial
    return device.SimulatedH3C(device.DeviceOptions(
        dialect="v5" if platform == "comware5" else "v7", sysname=SYSNAME, banner=False, paging=False,
        interfaces=SIM_INTERFACES,
        initial_config=tuple(initial)))


def _display(dev, profile):
    return parse_config(dev.cli("screen-length disable", "display current-configuration"), profile.name,
                        profile.platform)


def _send(dev, plan):
    """Send a plan line by line; no CLI error, and the prompt after every line is the expected one."""
    session = dev.open_session(greet=False)
    session.paging = False
    for line in plan.lines:
        out = "".join(session.feed(line.reveal() + "\n"))
        assert not ERROR.search(out), (line.text(), out.replace(PSK, "******"))
        last = out.rstrip("\r\n").splitlines()[-1] if out.strip() else ""
        assert last.endswith(line.prompt(SYSNAME)), (line.text(), last, line.prompt(SYSNAME))


def _apply_and_check(dev, profile):
    plan = render_apply(profile, Secret(PSK, "psk"), config=_display(dev, profile))
    _send(dev, plan)
    shown = dev.cli("screen-length disable", "display current-configuration")
    assert PSK not in shown
    config = parse_config(shown, profile.name, profile.platform)
    params, notes = to_params_report(config, profile.name, wan_interface=profile.onprem.wan_interface)
    assert config.complete and notes == []
    assert params == profile.params(None)
    nat = profile.onprem.nat_outbound_acl
    if nat is not None:  # the foreign NAT rules are untouched
        rules = config.acls[nat].rules
        assert {i: rules[i].action for i in FOREIGN_NAT_RULES} == FOREIGN_NAT_RULES
        assert not (set(plan.manifest.nat_rule_ids) & set(FOREIGN_NAT_RULES))
    return config, plan


def _owned_names(config, lab):
    return sorted(f"{type(o).__name__}:{getattr(o, 'name', None) or getattr(o, 'number', None) or o.id}"
                  if not hasattr(o, "network") else f"route:{o.network}" for o in config.owned(lab))


def _teardown_and_check(dev, profile, config):
    teardown = render_teardown(profile, config=config)
    out = dev.cli(*teardown.commands())
    assert not ERROR.search(out), out
    after = _display(dev, profile)
    assert after.owned() == []
    nat = profile.onprem.nat_outbound_acl
    if nat is not None:
        assert {i: r.action for i, r in after.acls[nat].rules.items()} == FOREIGN_NAT_RULES
        assert after.interface(profile.onprem.wan_interface).nat_acls == [nat]


def _run(profile):
    dev = _device(profile.platform, profile.onprem.nat_outbound_acl, profile.onprem.wan_interface)
    config, plan = _apply_and_check(dev, profile)
    # the apply's manifest says what the live configuration says
    assert render_teardown(profile, config=config).script() == \
        render_teardown(profile, manifest=plan.manifest).script()
    _teardown_and_check(dev, profile, config)


CASES = {
    "classic": lambda: example("classic"),
    "dual-tunnel": lambda: example("dual-tunnel"),
    "hardened": lambda: example("hardened"),
    "dual-tunnel-ikev1": lambda: variant(example("dual-tunnel"), **{"ike.version": "ikev1"}),
    "classic-v5-dual-nat": lambda: v5(example("classic"), **{"onprem.nat_outbound_acl": 3001,
                                                             "cloud.gateway_ips": ["203.0.113.20", "203.0.113.21"]}),
    "classic-aggressive-nopfs-nodpd-noroute": lambda: variant(example("classic"), **{
        "onprem.next_hop": None, "ike.mode": "aggressive", "ipsec.pfs": "none", "ike.dpd": False}),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_plans_on_the_simulated_device(case):
    _run(CASES[case]())


def test_a_foreign_policy_on_the_wan_is_refused():
    p = example("classic")
    dev = _device("comware7", None, p.onprem.wan_interface)
    dev.cli("system-view", "ipsec policy OTHER 10 isakmp", "quit", f"interface {p.onprem.wan_interface}",
            "ipsec apply policy OTHER", "return")
    with pytest.raises(RenderError, match="onprem.wan_interface.*OTHER"):
        render_apply(p, Secret(PSK, "psk"), config=_display(dev, p))


def test_nat_rules_that_cannot_fit_before_the_permit_are_refused():
    p = variant(example("hardened"), **{"onprem.nat_outbound_acl": 3001})
    dev = _device("comware7", None, p.onprem.wan_interface)
    dev.cli("system-view", "acl advanced 3001", "rule 0 deny ip source 10.0.0.0 0.0.0.255 destination 10.1.0.0 "
            "0.0.0.255", "rule 3 permit ip", "return")
    with pytest.raises(RenderError, match="onprem.nat_outbound_acl.*renumber"):
        render_apply(p, Secret(PSK, "psk"), config=_display(dev, p))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(profile=st.one_of(sim_profiles("comware7"), sim_profiles("comware5")))
def test_generated_profiles_on_the_simulated_device(profile):
    _run(profile)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), platform=st.sampled_from(["comware7", "comware5"]))
def test_reapply_after_a_profile_edit_converges(data, platform):
    """Apply A, then B (the same lab, anything changed): the router ends up exactly as B alone makes it."""
    a = data.draw(sim_profiles(platform), "a")
    b = data.draw(sim_profiles(platform), "b")
    b.name = a.name
    b.onprem.nat_outbound_acl = a.onprem.nat_outbound_acl  # the router's NAT ACL does not move
    b.onprem.wan_interface = data.draw(st.sampled_from([a.onprem.wan_interface, "GigabitEthernet1/0/1"]))
    dev = _device(platform, a.onprem.nat_outbound_acl, a.onprem.wan_interface)
    if b.onprem.nat_outbound_acl is not None and b.onprem.wan_interface != a.onprem.wan_interface:
        dev.cli("system-view", f"interface {b.onprem.wan_interface}", f"nat outbound {b.onprem.nat_outbound_acl}",
                "return")
    _apply_and_check(dev, a)
    config, _ = _apply_and_check(dev, b)
    fresh = _device(platform, b.onprem.nat_outbound_acl, b.onprem.wan_interface)
    assert _owned_names(config, b.name) == _owned_names(_apply_and_check(fresh, b)[0], b.name)
    _teardown_and_check(dev, b, config)
