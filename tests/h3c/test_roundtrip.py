"""The round trip the whole H3C end rests on: profile → render → parse → canonical params == profile.

Each generated profile is checked three ways: the rendered script read back (PSK fingerprint known),
the same configuration as `display current-configuration` prints it (§5.9: defaults omitted, the
device's own line order, PSK only as ciphertext, so the fingerprint is unknown), and apply + teardown
leaving nothing of the lab behind.
"""

from __future__ import annotations

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vpnconsole.h3c import naming
from vpnconsole.h3c.parse import parse_config, to_params_report
from vpnconsole.h3c.render import render_apply, render_teardown
from vpnconsole.params import psk_fingerprint
from vpnconsole.redact import MASK, Secret

from .helpers import displayify, profiles, psks

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _check(profile, psk_text, seed):
    psk = Secret(psk_text, "psk")
    plan = render_apply(profile, psk)
    expected = profile.params(psk_fingerprint(psk_text))

    # 1. the rendered script, read back
    script = plan.script(reveal=True)
    config = parse_config(script, profile.name, profile.platform)
    got, notes = to_params_report(config, profile.name)
    assert config.warnings == []
    assert notes == []
    assert got == expected
    owned = config.owned(profile.name)
    assert owned and all(o.ours for o in owned)
    assert {(n.upper(), s) for n, s in plan.manifest.policy_entries} == set(config.policies)
    secret_lines = [line for line in plan.lines if line.has_secret]
    assert len(secret_lines) == len(profile.cloud.gateway_ips)
    for line in plan.lines:
        if line.has_secret:  # the key is a part of its own: masked text never holds it
            assert line.text().endswith(" " + MASK) and line.reveal().endswith(" " + psk_text)
        else:
            assert line.text() == line.reveal()
    # Substring checks only mean something when the key is not also ordinary text of the plan
    # (Hypothesis readily picks a key like "7" or one that occurs in the lab's name).
    if len(psk_text) >= 12 and psk_text not in plan.script() and psk_text not in repr(profile):
        assert psk_text not in repr(plan) and psk_text not in repr(config) and psk_text not in str(config.warnings)

    # 2. the same configuration in the `display current-configuration` layout
    rng = random.Random(seed)
    text = displayify(plan, shuffle=lambda subs: rng.sample(subs, len(subs)))
    shown = parse_config(text, profile.name, profile.platform)
    got_shown, notes_shown = to_params_report(shown, profile.name)
    assert shown.warnings == [] and shown.complete
    assert notes_shown == []
    assert got_shown == profile.params(None)
    assert {type(o).__name__ for o in shown.owned(profile.name)} == {type(o).__name__ for o in owned}

    # 3. teardown: from the profile and from the parsed configuration alike; nothing of ours remains
    teardown = render_teardown(profile, config=shown)
    assert teardown.script() == render_teardown(profile).script()
    after = parse_config(script + teardown.script(), profile.name, profile.platform)
    assert after.owned(profile.name) == [] and after.warnings == []
    # ... and another lab on the same router finds nothing of its own here
    other = "other-lab" if profile.name != "other-lab" else "another-lab"
    assert config.owned(other) == [] and not any(naming.is_ours(o, other) for o in config.all_objects())


@SETTINGS
@given(profile=profiles("comware7"), psk=psks, seed=st.integers(0, 2 ** 32))
def test_roundtrip_comware7(profile, psk, seed):
    _check(profile, psk, seed)


@SETTINGS
@given(profile=profiles("comware5"), psk=psks, seed=st.integers(0, 2 ** 32))
def test_roundtrip_comware5(profile, psk, seed):
    _check(profile, psk, seed)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), platform=st.sampled_from(["comware7", "comware5"]), psk=psks)
def test_reapply_with_the_live_config_converges(data, platform, psk):
    """Apply A, then B for the same lab rendered against the configuration A left: the result reads as B,
    and holds exactly the objects B alone would have built."""
    a = data.draw(profiles(platform), "a")
    b = data.draw(profiles(platform), "b")
    b.name = a.name
    secret = Secret(psk, "psk")
    first = render_apply(a, secret).script(reveal=True)
    live = parse_config(first, a.name, platform)
    second = render_apply(b, secret, config=live)
    config = parse_config(first + second.script(reveal=True), b.name, platform)
    got, notes = to_params_report(config, b.name)
    assert config.warnings == [] and notes == []
    assert got == b.params(psk_fingerprint(psk))

    def names(cfg):
        return sorted(repr((type(o).__name__, getattr(o, "name", None), getattr(o, "number", None),
                            getattr(o, "id", None), getattr(o, "network", None))) for o in cfg.owned(b.name))
    alone = parse_config(render_apply(b, secret, config=parse_config("", b.name, platform)).script(reveal=True),
                         b.name, platform)
    assert names(config) == names(alone)
