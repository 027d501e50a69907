"""diagnose names every difference by phase, in each end's own words."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from vpnconsole.diagnose import End, Phase, compare, diff
from vpnconsole.params import psk_fingerprint
from vpnconsole.profile import load_profile

PROJECT = Path(__file__).resolve().parent.parent


@pytest.fixture
def classic():
    return load_profile(PROJECT / "profiles" / "classic.yaml").params(psk_fingerprint("Classic-Psk-2024"))


def tunnel(params, **changes):
    t = params.tunnels[0]
    ike = dataclasses.replace(t.ike, **changes.pop("ike", {}))
    ipsec = dataclasses.replace(t.ipsec, **changes.pop("ipsec", {}))
    return dataclasses.replace(params, tunnels=(dataclasses.replace(t, ike=ike, ipsec=ipsec, **changes),))


def messages(diffs):
    return [str(d) for d in diffs]


def test_identical_parameters_have_no_difference(classic):
    assert diff(classic, classic, End.H3C, End.ALIBABA) == []
    assert compare(classic, classic, classic).clean


def test_dh_group_mismatch_names_phase_and_both_spellings(classic):
    h3c = tunnel(classic, ike={"dh_group": "group14"})
    assert messages(diff(h3c, classic, End.H3C, End.ALIBABA)) == [
        "phase 1 DH group: H3C group14, Alibaba group2"]


def test_sha1_is_shown_as_each_end_spells_it(classic):
    ali = tunnel(classic, ike={"integrity": "sha256"})
    assert messages(diff(classic, ali, End.H3C, End.ALIBABA)) == [
        "phase 1 integrity: H3C sha1 (authentication-algorithm sha), Alibaba sha256"]
    ali = tunnel(classic, ipsec={"encryption": "aes256"})
    assert messages(diff(classic, ali, End.H3C, End.ALIBABA)) == [
        "phase 2 encryption: H3C aes128 (esp encryption-algorithm aes-cbc-128), Alibaba aes256"]
    ali = tunnel(classic, ike={"encryption": "aes256"})
    assert messages(diff(ali, classic, End.ALIBABA, End.H3C)) == [
        "phase 1 encryption: Alibaba aes256, H3C aes128 (encryption-algorithm aes-cbc-128)"]


def test_pfs_off_on_one_side(classic):
    ali = tunnel(classic, ipsec={"pfs": "none"})
    assert messages(diff(classic, ali, End.H3C, End.ALIBABA)) == [
        "phase 2 PFS: H3C group2 (pfs dh-group2), Alibaba none (IpsecPfs=disabled)"]


def test_selectors_not_mirrored(classic):
    h3c = dataclasses.replace(classic, cloud_subnets=("172.16.0.0/16",))
    assert messages(diff(classic, h3c, End.ALIBABA, End.H3C)) == [
        "phase 2 selector: Alibaba LocalSubnet 172.16.0.0/24 ≠ H3C ACL destination 172.16.0.0/16"]
    h3c = dataclasses.replace(classic, onprem_subnets=("192.168.0.0/24", "192.168.10.0/24"))
    (d,) = diff(h3c, classic, End.H3C, End.ALIBABA)
    assert d.phase is Phase.PHASE2
    assert str(d) == ("phase 2 selector: H3C ACL source 192.168.0.0/24,192.168.10.0/24 ≠ Alibaba RemoteSubnet "
                      "192.168.0.0/24 (only H3C: 192.168.10.0/24)")


def test_peer_address_and_identity(classic):
    h3c = tunnel(classic, cloud_ip="47.1.2.3", cloud_id="47.1.2.3")
    assert messages(diff(h3c, classic, End.H3C, End.ALIBABA)) == [
        "peer: H3C remote-address 47.1.2.3 ≠ Alibaba gateway IP 203.0.113.20",
        "phase 1: H3C match remote identity 47.1.2.3 ≠ Alibaba LocalId 203.0.113.20"]


def test_unknown_values_are_not_differences(classic):
    h3c = tunnel(classic, psk_fingerprint=None)  # Comware shows only `key cipher ...`
    assert diff(h3c, classic, End.H3C, End.ALIBABA) == []
    ali = tunnel(classic, psk_fingerprint=psk_fingerprint("other"))
    (d,) = diff(classic, ali, End.PROFILE, End.ALIBABA)
    assert d.title == "pre-shared key" and "keys are not the same" in str(d)
    assert "Classic-Psk-2024" not in str(d) and "other" not in str(d).split("(")[0]


def test_dual_tunnel_gateway_against_single_peer_router():
    dual = load_profile(PROJECT / "profiles" / "dual-tunnel.yaml").params()
    single = dataclasses.replace(dual, tunnels=dual.tunnels[:1])
    msgs = messages(diff(single, dual, End.H3C, End.ALIBABA))
    assert msgs == ["peer: H3C has 1 tunnel, Alibaba has 2 tunnels (a dual-tunnel gateway needs both peers on the router)",
                    "peer: Alibaba has a peer 203.0.113.61 that H3C does not have"]


def test_dual_tunnel_differences_say_which_tunnel():
    dual = load_profile(PROJECT / "profiles" / "dual-tunnel.yaml").params()
    t1, t2 = dual.tunnels
    other = dataclasses.replace(dual, tunnels=(t1, dataclasses.replace(t2, ike=dataclasses.replace(t2.ike, lifetime=3600))))
    (d,) = diff(dual, other, End.PROFILE, End.ALIBABA)
    assert str(d) == "phase 1 (tunnel 2) lifetime: profile 86400, Alibaba 3600" and d.tunnel == 1


def test_every_tunnel_field_is_compared(classic):
    from vpnconsole.diagnose import TUNNEL_FIELDS

    changed = tunnel(classic, cloud_ip="1.1.1.1", onprem_ip="2.2.2.2", onprem_id="x", cloud_id="y",
                     psk_fingerprint="sha256:000000000000",
                     ike={"version": "ikev2", "mode": "aggressive", "encryption": "des", "integrity": "md5",
                          "dh_group": "group5", "lifetime": 1, "dpd": False, "nat_traversal": False},
                     ipsec={"encryption": "3des", "integrity": "sha512", "pfs": "group14", "lifetime": 2})
    diffs = diff(classic, changed, End.PROFILE, End.ALIBABA)
    assert len(diffs) == len(TUNNEL_FIELDS)
    assert all(d.as_dict()["message"] for d in diffs)
