from __future__ import annotations

import os
from pathlib import Path

import pytest

from vpnconsole.params import psk_fingerprint
from vpnconsole.profile import (ProfileNotFound, canonical_interface, dump_profile, expand_targets,
                                find_profile, list_profiles, load_profile, parse_profile, save_profile)

PROJECT = Path(__file__).resolve().parents[2]


def test_every_example_profile_validates(example_profiles):
    assert {"classic", "hardened", "dual-tunnel"} <= set(example_profiles)
    for name, path in example_profiles.items():
        profile = load_profile(path)
        assert profile.name == name
        assert not [w for w in profile.warnings if "file is named" in w.message]


def test_classic_profile_is_the_classic_setup(example_profiles):
    p = load_profile(example_profiles["classic"])
    assert (p.ike.version, p.ike.mode, p.ike.encryption, p.ike.integrity, p.ike.dh_group, p.ike.lifetime) == (
        "ikev1", "main", "aes128", "sha1", "group2", 86400)
    assert (p.ipsec.encryption, p.ipsec.integrity, p.ipsec.pfs, p.ipsec.lifetime) == ("aes128", "sha1", "group2", 86400)
    assert p.onprem.subnets == ["192.168.0.0/24"] and p.cloud.subnets == ["172.16.0.0/24"]
    assert not p.dual_tunnel


def test_dual_tunnel_profile(example_profiles):
    p = load_profile(example_profiles["dual-tunnel"])
    assert p.dual_tunnel and p.ike.version == "ikev2"
    params = p.params(psk_fingerprint("k" * 20))
    assert [t.cloud_ip for t in params.tunnels] == p.cloud.gateway_ips
    assert all(t.onprem_id == p.onprem.public_ip for t in params.tunnels)


def test_aliases_people_type_are_understood():
    text = (PROJECT / "profiles" / "classic.yaml").read_text()
    text = text.replace("encryption: aes128, integrity: sha1, dh_group: group2",
                        "encryption: AES-128, integrity: SHA, dh_group: DH2 modp1024")
    text = text.replace("pfs: group2", "pfs: modp1024")
    p = parse_profile(text)
    assert (p.ike.encryption, p.ike.integrity, p.ike.dh_group, p.ipsec.pfs) == ("aes128", "sha1", "group2", "group2")


def test_interface_abbreviations_become_full_names():
    assert canonical_interface("GE0/1") == "GigabitEthernet0/1"
    assert canonical_interface("gigabitethernet1/0/1") == "GigabitEthernet1/0/1"
    assert canonical_interface("Dialer1") == "Dialer1"
    assert canonical_interface("XGE1/0/49.100") == "Ten-GigabitEthernet1/0/49.100"
    assert canonical_interface("eth") is None and canonical_interface("Foo0/1") is None


def test_save_is_atomic_and_keeps_the_previous_version(example_profiles, tmp_path):
    p = load_profile(example_profiles["classic"])
    target = tmp_path / "profiles" / "classic.yaml"
    save_profile(p, target)
    first = target.read_text()
    p.description = "changed"
    save_profile(p, target)
    assert (tmp_path / "profiles" / "classic.yaml.bak").read_text() == first
    assert load_profile(target).description == "changed"
    assert not [f for f in os.listdir(target.parent) if f.endswith(".tmp")]


def test_dump_and_parse_round_trip(example_profiles):
    for path in example_profiles.values():
        p = load_profile(path)
        again = parse_profile(dump_profile(p))
        assert again == p


def test_discovery_order(example_profiles, tmp_path, monkeypatch):
    monkeypatch.chdir(PROJECT)
    assert find_profile("classic") == PROJECT / "profiles" / "classic.yaml"
    own = tmp_path / "cfg"
    (own / "profiles").mkdir(parents=True)
    (own / "profiles" / "classic.yaml").write_text((PROJECT / "profiles" / "classic.yaml").read_text())
    monkeypatch.setenv("VPNCONSOLE_HOME", str(own))
    assert find_profile("classic") == own / "profiles" / "classic.yaml"
    entries = [e for e in list_profiles() if e.name == "classic"]
    assert [e.shadowed for e in entries] == [False, True]
    with pytest.raises(ProfileNotFound, match="no profile named 'nope'"):
        find_profile("nope")
    with pytest.raises(ProfileNotFound):
        find_profile("../etc/passwd")
    assert find_profile(str(PROJECT / "profiles" / "hardened.yaml")).name == "hardened.yaml"


def test_xdg_config_home_is_searched(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    (tmp_path / "vpnconsole" / "profiles").mkdir(parents=True)
    target = tmp_path / "vpnconsole" / "profiles" / "classic.yaml"
    target.write_text((PROJECT / "profiles" / "classic.yaml").read_text())
    monkeypatch.chdir(tmp_path)
    assert find_profile("classic") == target


def test_floating_ip_ranges_expand():
    assert [str(a) for a in expand_targets(["192.168.0.1-192.168.0.3", "192.168.0.9"])] == [
        "192.168.0.1", "192.168.0.2", "192.168.0.3", "192.168.0.9"]


def test_warnings_do_not_block(example_profiles):
    p = load_profile(example_profiles["classic"])
    assert any(w.path == "ike.dh_group" and w.severity == "warning" for w in p.warnings)
