"""Shared helpers for the ER tests: the classic article profile and what Alibaba receives for it."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from vpnconsole.alibaba.translate import params_from_api, plan_apply
from vpnconsole.params import VpnParams
from vpnconsole.profile import Profile, load_profile
from vpnconsole.redact import Secret

from tests.alibaba.simulate import answers

PROJECT = Path(__file__).resolve().parents[2]
PSK = Secret("Er3200g2-Article-Psk-0123456789", "psk")


def article(**onprem_device) -> Profile:
    """H3C ER3200G2 + Alibaba: IKEv1 main, AES-128, SHA1, DH2, PFS DH2, 192.168.0.0/24 ↔ 172.16.0.0/24."""
    profile = load_profile(PROJECT / "profiles" / "er3200g2.yaml")
    if onprem_device:
        profile.onprem.device = dataclasses.replace(profile.onprem.device, **onprem_device)
    return profile


def dual(profile: Profile) -> Profile:
    profile.cloud.gateway_ips = ["203.0.113.20", "203.0.113.21"]
    return profile


def alibaba_receives(profile: Profile, psk: Secret = PSK) -> VpnParams:
    """What the Alibaba plan sends, read back the way the API echoes it (the Alibaba end's own read-back)."""
    plan = plan_apply(profile, psk, nonce="ertest")
    sim = answers(plan, profile.cloud.gateway_ips)
    warnings: list[str] = []
    params = params_from_api(sim["connection"], sim["gateway"], sim["customer_gateway"], warnings=warnings)
    assert warnings == []
    return params
