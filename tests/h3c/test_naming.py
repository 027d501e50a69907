"""The ownership scheme: lab-specific names, reserved numbers, markers."""

from __future__ import annotations

import pytest
from hypothesis import given, settings

from vpnconsole.h3c import naming
from vpnconsole.h3c.naming import LabNames, NamingError

from .helpers import lab_names


def test_names_carry_the_lab():
    nm = LabNames("hypermotion-lab")
    assert nm.tag == "VPNC-HYPERMOTION-LAB"
    assert nm.keychain(1) == "VPNC-HYPERMOTION-LAB-KC1"
    assert nm.ike_profile(2) == "VPNC-HYPERMOTION-LAB-IKEP2"
    assert nm.transform_set == "VPNC-HYPERMOTION-LAB-TS"
    assert nm.policy == "VPNC-HYPERMOTION-LAB-POL"
    assert nm.ikev2_proposal == "VPNC-HYPERMOTION-LAB-V2PROP"
    assert nm.ike_peer(1) == "VPNC-HYPERMOTION-LAB-PEER1"
    assert nm.route_description == "VPNC-HYPERMOTION-LAB"
    assert nm.nat_comment == "VPNC-HYPERMOTION-LAB nat-exempt"


def test_longest_lab_fits_every_comware_limit():
    nm = LabNames("a" * 32)
    every = [nm.keychain(2), nm.ike_profile(2), nm.transform_set, nm.policy, nm.ikev2_proposal, nm.ikev2_policy,
             nm.ikev2_keychain(2), nm.ikev2_profile(2), nm.ikev2_peer(2), nm.ike_peer(2), nm.ike_dpd,
             nm.ipsec_proposal]
    assert max(map(len, every)) <= naming.MAX_NAME
    assert len(nm.route_description) <= naming.MAX_ROUTE_DESCRIPTION and " " not in nm.route_description
    assert len(nm.policy_description(2)) <= 80  # Comware policy description limit
    assert len(nm.nat_comment) <= 127


@pytest.mark.parametrize("bad", ["", "A", "-lab", "lab-", "a" * 33, "lab_1", "lab 1", None])
def test_bad_lab_names_refused(bad):
    with pytest.raises(NamingError):
        naming.tag(bad)


def test_reserved_numbers_are_deterministic_and_in_range():
    assert naming.acl_number("classic") == naming.acl_number("classic")
    for lab in ("classic", "dual-tunnel", "hardened", "a", "z" * 32):
        assert naming.acl_number(lab) in naming.ACL_RANGE
        assert naming.ike_proposal_number(lab) in naming.IKE_PROPOSAL_RANGE
        assert naming.acl_number(lab) - 3950 == naming.ike_proposal_number(lab) - 950 == naming.slot(lab)


def test_numbers_probe_past_what_the_device_already_uses():
    first = naming.acl_number("classic")
    taken = {first, first + 1 if first < 3999 else 3950}
    second = naming.acl_number("classic", taken)
    assert second not in taken and second in naming.ACL_RANGE
    with pytest.raises(NamingError):
        naming.acl_number("classic", set(naming.ACL_RANGE))


def test_nat_rule_ids_fit_before_the_first_permit():
    assert naming.choose_nat_rule_ids(3) == (1, 2, 3)
    assert naming.choose_nat_rule_ids(2, taken={1, 2}, below=10) == (3, 4)
    with pytest.raises(NamingError, match="renumber"):
        naming.choose_nat_rule_ids(5, below=5)
    with pytest.raises(NamingError):
        naming.numbers("classic", 2, nat_rule_ids=(1,))


def test_a_name_splits_back_into_one_lab_only():
    # lab "a" must never claim the objects of lab "a-kc1" (and vice versa)
    assert naming.split_name("VPNC-A-KC1-KC1") == ("a-kc1", "KC1")
    assert naming.is_our_name("VPNC-A-KC1-KC1", "a-kc1", "ike-keychain")
    assert not naming.is_our_name("VPNC-A-KC1-KC1", "a", "ike-keychain")
    assert not naming.is_our_name("VPNC-A-KC1", "a-kc1", "ike-keychain")
    assert naming.is_our_name("vpnc-a-kc1", "a", "ike-keychain")  # Comware names are case-insensitive


def test_the_suffix_must_fit_the_object_kind():
    assert naming.is_our_name("VPNC-LAB-IKEP1", "lab", "ike-profile")
    assert not naming.is_our_name("VPNC-LAB-TS", "lab", "ike-profile")
    assert not naming.is_our_name("VPNC-LAB-IKEP", "lab", "ike-profile")
    assert not naming.is_our_name("VPNC-LAB-IKEP1-OLD", "lab", "ike-profile")
    assert not naming.is_our_name("ALIVPN-IKEP", "lab", "ike-profile")
    assert not naming.is_our_name(None, "lab", "ike-profile")


def test_markers():
    assert naming.has_marker("VPNC-LAB vpnconsole", "lab")
    assert naming.has_marker("vpnc-lab", "lab")
    assert not naming.has_marker("VPNC-LAB-2 vpnconsole", "lab")
    assert not naming.has_marker("managed by VPNC-LAB", "lab")
    assert not naming.has_marker(None, "lab")
    assert not naming.has_marker("", "lab")


@settings(max_examples=200, deadline=None)
@given(a=lab_names, b=lab_names)
def test_two_labs_never_share_a_name_or_marker(a, b):
    if a == b:
        return
    na, nb = LabNames(a), LabNames(b)
    for kind, name in (("ike-keychain", na.keychain(1)), ("ike-profile", na.ike_profile(2)),
                       ("ipsec-policy", na.policy), ("transform-set", na.transform_set)):
        assert naming.is_our_name(name, a, kind)
        assert not naming.is_our_name(name, b, kind)
    assert not naming.has_marker(na.acl_description, b)
    assert not naming.has_marker(na.route_description, b)
    assert not naming.has_marker(na.nat_comment, b)
    assert nb.policy != na.policy
