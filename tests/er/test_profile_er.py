"""`platform: er | er-legacy`: validated against what the ER's GUI offers, before anything is sent."""

from __future__ import annotations

import pytest
import yaml

from vpnconsole import algorithms as alg
from vpnconsole.profile import ProfileError, dump_profile, parse_profile
from vpnconsole.templates import defaults_for

from .helpers import PROJECT

BASE = yaml.safe_load((PROJECT / "profiles" / "er3200g2.yaml").read_text(encoding="utf-8"))


def with_(**changes) -> str:
    data = yaml.safe_load(yaml.safe_dump(BASE))
    for path, value in changes.items():
        node = data
        *head, last = path.split("__")
        for key in head:
            node = node[key]
        if value is None:
            node.pop(last, None)
        else:
            node[last] = value
    return yaml.safe_dump(data, allow_unicode=True)


def problems(text: str) -> dict[str, str]:
    with pytest.raises(ProfileError) as exc:
        parse_profile(text)
    return {p.path: p.message for p in exc.value.problems if p.severity == "error"}


def test_the_example_is_valid_without_ssh_login():
    profile = parse_profile(with_(onprem__device={"platform": "er"}))
    assert profile.platform == "er" and profile.onprem.device.username is None
    assert profile.onprem.device.host is None and profile.onprem.device.port == 80
    assert profile.onprem.device.web_managed
    assert parse_profile(dump_profile(profile)) == profile


def test_sha256_is_refused_naming_the_field_and_what_the_er_offers():
    found = problems(with_(ike__integrity="sha256"))
    assert list(found) == ["ike.integrity"]
    assert "not offered" in found["ike.integrity"] and "MD5 (md5), SHA1 (sha1)" in found["ike.integrity"]
    found = problems(with_(ipsec__integrity="sha512"))
    assert "IPsec安全提议" in found["ipsec.integrity"]


def test_group14_on_old_firmware_is_refused_but_offered_by_newer_builds():
    old = with_(onprem__device={"platform": "er-legacy"}, ike__dh_group="DH14 modp2048", ipsec__pfs="group14")
    found = problems(old)
    assert set(found) == {"ike.dh_group", "ipsec.pfs"}
    assert "DH1 modp768 (group1), DH2 modp1024 (group2), DH5 modp1536 (group5)" in found["ike.dh_group"]
    assert "platform: er" in found["ike.dh_group"]
    newer = parse_profile(with_(ike__dh_group="DH14 modp2048", ipsec__pfs="group14"))
    assert newer.ike.dh_group == "group14"


def test_ikev2_nat_acl_and_comware_interface_names_are_refused_on_an_er():
    found = problems(with_(ike__version="ikev2"))
    assert "IKEv1 only" in found["ike.version"]
    found = problems(with_(onprem__nat_outbound_acl=3001))
    assert "nat_outbound_acl" in " ".join(found) and "ER" in found["onprem.nat_outbound_acl"]
    found = problems(with_(onprem__wan_interface="GigabitEthernet0/1"))
    assert "WAN1" in found["onprem.wan_interface"]
    assert parse_profile(with_(onprem__wan_interface="wan2")).onprem.wan_interface == "WAN2"


def test_comware_still_requires_its_login():
    found = problems(with_(onprem__device={"host": "10.0.0.1", "platform": "comware7"},
                           onprem__wan_interface="GigabitEthernet0/1"))
    assert found == {"onprem.device.username": "is required"}


def test_cloud_targets_on_an_er_warn_that_they_cannot_be_pinged_from_it():
    profile = parse_profile(with_(probe__cloud_targets=["172.16.0.10"]))
    assert any(w.path == "probe.cloud_targets" and "no CLI" in w.message for w in profile.warnings)


def test_no_weak_advice_the_old_er_cannot_follow():
    profile = parse_profile(with_(onprem__device={"platform": "er-legacy"}))
    assert not [w for w in profile.warnings if "prefer" in w.message]


def test_vocabulary_has_the_er_spellings():
    rows = {r.name: r for r in alg.vocabulary()}
    assert rows["group2"].spellings[alg.Dialect.ER_IKE] == "DH2 modp1024"
    assert alg.Dialect.ER_LEGACY_IKE not in rows["group14"].spellings
    assert rows["group14"].spellings[alg.Dialect.ER_IKE] == "DH14 modp2048"
    assert alg.Dialect.ER_IKE not in rows["sha256"].spellings
    assert rows["aes128"].spellings[alg.Dialect.ER_ESP] == "AES-128"
    assert alg.resolve(alg.Kind.DH, "DH5 modp1536").name == "group5"
    assert alg.ER_IKE_MODES == {"main": "主模式", "aggressive": "野蛮模式"}


@pytest.mark.parametrize("platform", list(alg.PLATFORMS))
def test_template_defaults_validate_on_their_platform(platform):
    d = defaults_for(platform)
    device = dict(d.device)
    if not alg.is_er(platform):
        device["host"] = "10.0.0.1"
    text = with_(onprem__device=device, onprem__wan_interface=d.wan_interface, ike=d.ike, ipsec=d.ipsec)
    profile = parse_profile(text)
    assert profile.platform == platform
    if alg.is_er(platform):
        assert (d.ike["encryption"], d.ike["integrity"], d.ike["dh_group"], d.ipsec["pfs"]) == (
            "aes128", "sha1", "group2", "group2")
    with pytest.raises(ValueError, match="comware7"):
        defaults_for("msr")
