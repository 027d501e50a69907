"""Property: profile → plan → (what Alibaba echoes) → read back == profile.params()."""

from __future__ import annotations

import dataclasses

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vpnconsole.alibaba.translate import (GatewayFacts, params_from_api, params_from_download, plan_apply,
                                          read_connection, to_sdk_request)
from vpnconsole.params import psk_fingerprint
from vpnconsole.profile import dump_profile, parse_profile
from vpnconsole.redact import Secret

from .simulate import Style, answers
from .strategies import profiles, psks

styles = st.builds(Style, st.booleans(), st.sampled_from(["bool", "lower", "title"]),
                   st.sampled_from(["lower", "title"]), st.booleans(), st.booleans())
FAST = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow])


@settings(max_examples=300, **FAST)
@given(profile=profiles(), psk=psks, style=styles, use_facts=st.booleans())
def test_describe_round_trip(profile, psk, style, use_facts):
    facts = None
    if use_facts:
        ips = profile.cloud.gateway_ips
        facts = GatewayFacts(ips[0], ips[1] if len(ips) > 1 else None, "vpc-sim0000000001", None, "active")
    plan = plan_apply(profile, Secret(psk, "psk"), facts, nonce="prop1")
    assert plan.dual_tunnel is (len(profile.cloud.gateway_ips) == 2)
    sim = answers(plan, profile.cloud.gateway_ips, style)
    warnings: list[str] = []
    got = params_from_api(sim["connection"], sim["gateway"], sim["customer_gateway"], warnings=warnings)
    assert got == profile.params(psk_fingerprint(psk))
    assert warnings == []
    assert read_connection(sim["connection"], sim["gateway"], sim["customer_gateway"]).dual_tunnel is plan.dual_tunnel


@settings(max_examples=150, **FAST)
@given(profile=profiles(), psk=psks, style=styles)
def test_download_round_trip(profile, psk, style):
    plan = plan_apply(profile, Secret(psk, "psk"), nonce="prop2")
    sim = answers(plan, profile.cloud.gateway_ips, style)
    warnings: list[str] = []
    got = params_from_download(sim["download"], sim["connection"], warnings=warnings)
    assert got == profile.params(psk_fingerprint(psk))
    assert warnings == []


@settings(max_examples=60, **FAST)
@given(profile=profiles(), psk=psks)
def test_every_generated_call_converts_to_its_sdk_model(profile, psk):
    plan = plan_apply(profile, Secret(psk, "psk"), nonce="prop3")
    results = answers(plan, profile.cloud.gateway_ips)["results"]
    for call in plan:
        request = to_sdk_request(call, results)
        assert type(request).__name__ == f"{call.action}Request"


@settings(max_examples=40, **FAST)
@given(profile=profiles())
def test_generated_profiles_are_valid(profile):
    """The strategy only builds profiles the real validator accepts (so the property means something)."""
    parsed = parse_profile(dump_profile(profile))
    assert dataclasses.replace(parsed, warnings=[]) == dataclasses.replace(profile, warnings=[])
