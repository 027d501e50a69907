"""The classic mistakes, configured on both ends, and their symptoms on BOTH ends.

H3C side per reference h3c §8 (display ike sa / display ipsec sa / log buffer), Alibaba side per
alibaba §2.3 (Status) and §2.4 (a log line naming the reason). Most mistakes are checked with the
router initiating (``EffectImmediately=false``: a ``ping -a`` triggers) and with Alibaba initiating
(``EffectImmediately=true``: the H3C answers as responder).
"""

from __future__ import annotations

import pytest

from vpnconsole.lab.aliyun import Timing
from vpnconsole.lab.negotiation import Verdict

from .negotiation_lab import ALI_SINGLE, LOOPBACK_TARGET, Lab, ali_ike, ali_ipsec

INITIATORS = pytest.mark.parametrize("effect", [False, True], ids=["h3c-initiates", "alibaba-initiates"])


def run(lab: Lab, effect: bool) -> int:
    """Let the configured pair try: Alibaba's attempt (and its time-out), or the router's ping.

    Returns the echo replies of a ``ping -a`` from the LAN (with Alibaba initiating, the ping comes
    after the symptoms were checked: it makes the router initiate too)."""
    if effect:
        lab.advance(9)  # past Alibaba's phase-1 time-out (8 s)
        return -1
    return lab.ping()


def ping_fails(lab: Lab) -> None:
    assert lab.ping() == 0


def assert_nothing_on_h3c(lab: Lab) -> None:
    assert lab.ike_rows() == []
    assert lab.cli("display ipsec sa").strip().endswith("<MSR1>") and lab.ipsec_sa_remotes() == []


def assert_p1_fail_logged(lab: Lab, reason: str, role: str) -> None:
    lines = [ln for ln in lab.router.runtime.logbuffer if "IKE_P1_SA_ESTABLISH_FAIL" in ln]
    assert lines, lab.logbuffer()
    assert any(reason in ln and f"Role: {role}" in ln for ln in lines), lines


def assert_p2_fail_logged(lab: Lab, reason: str, role: str) -> None:
    lines = [ln for ln in lab.router.runtime.logbuffer if "IKE_P2_SA_ESTABLISH_FAIL" in ln]
    assert any(reason in ln and f"Role: {role}" in ln for ln in lines), lab.logbuffer()


def explain(lab: Lab) -> str:
    return lab.model.explain(LOOPBACK_TARGET)


# ---------------------------------------------------------------------------------------------
# phase 1
# ---------------------------------------------------------------------------------------------

@INITIATORS
def test_dh_mismatch(effect):
    lab = Lab().classic(effect=effect, h3c=dict(dh="group14"))
    assert run(lab, effect) in (0, -1)
    assert_nothing_on_h3c(lab)  # §8: no row (nothing matched)
    if effect:
        assert_p1_fail_logged(lab, "Failed to find a matching IKE proposal", "Responder")
        assert "notification NO-PROPOSAL-CHOSEN received from 203.0.113.2[500]" in lab.logs()
    else:
        assert_p1_fail_logged(lab, "No matching IKE proposal", "Initiator")
        assert "no suitable proposal found: no proposal chosen" in lab.logs()
    assert lab.status() == "ike_sa_not_established"
    assert "DH group14 (H3C) vs group2 (Alibaba)" in lab.logs()
    assert "phase 1 not established: no proposal chosen" in explain(lab)
    assert "DH group14 (H3C) vs group2 (Alibaba)" in explain(lab)
    assert lab.model.verdict(LOOPBACK_TARGET, 22) is Verdict.BLACKHOLE
    ping_fails(lab)


def test_alibaba_proposal_matching_the_h3c_default_proposal_succeeds_as_responder():
    # reference §1.3: as responder the H3C also accepts its built-in default proposal
    lab = Lab().classic(effect=True, h3c=dict(dh="group14"),
                        ike=ali_ike(IkeEncAlg="des", IkeAuthAlg="sha1", IkePfs="group1"))
    lab.advance(1)
    assert lab.ike_rows() == [(ALI_SINGLE, "RD")]
    assert "Encryption-algorithm: DES-CBC" in lab.cli("display ike sa verbose")
    assert lab.status() == "ipsec_sa_established"


@INITIATORS
def test_wrong_psk(effect):
    lab = Lab().classic(effect=effect, h3c=dict(psk="Wrong-Psk-2024"))
    assert run(lab, effect) in (0, -1)
    if effect:
        assert_nothing_on_h3c(lab)
        assert_p1_fail_logged(lab, "pre-shared key mismatch", "Responder")
        assert "phase1 negotiation failed due to time up" in lab.logs()
    else:
        # §8: Unknown (main mode fails at the authenticated exchange), gone after the retransmissions
        assert lab.ike_rows() == [(ALI_SINGLE, "Unknown")] and lab.ipsec_sa_remotes() == []
        assert "HASH mismatched" in lab.logs()
        lab.advance(61)
        assert lab.ike_rows() == []
    assert "PSK mismatch" in lab.logs()
    assert lab.status() == "ike_sa_not_established"
    assert "phase 1 not established: PSK mismatch" in explain(lab)
    ping_fails(lab)


@INITIATORS
def test_aggressive_vs_main(effect):
    lab = Lab().classic(effect=effect, h3c=dict(mode="aggressive"))
    assert run(lab, effect) in (0, -1)
    assert_nothing_on_h3c(lab)
    if effect:
        assert_p1_fail_logged(lab, "Exchange mode mismatch", "Responder")
        assert "notification NO-PROPOSAL-CHOSEN received from 203.0.113.2[500]: exchange mode mismatch" in lab.logs()
    else:
        assert_p1_fail_logged(lab, "Exchange mode mismatch", "Initiator")
        assert "exchange Aggressive not allowed in any applicable rmconf: exchange mode mismatch" in lab.logs()
    assert lab.status() == "ike_sa_not_established"
    assert "exchange mode mismatch" in explain(lab) and "aggressive" in explain(lab)
    ping_fails(lab)


@INITIATORS
def test_identity_mismatch_h3c_sends_its_private_address(effect):
    # §8: the H3C thinks it is behind NAT and sends a private WAN address as ID; Alibaba's RemoteId is public
    lab = Lab().classic(effect=effect, h3c=dict(local_identity="address 10.0.0.2"))
    assert run(lab, effect) in (0, -1)
    assert_nothing_on_h3c(lab)
    logs = lab.logs()
    assert "ID mismatch: the H3C identifies as address 10.0.0.2 but Alibaba's RemoteId expects address 203.0.113.2" \
        in logs
    if not effect:
        assert_p1_fail_logged(lab, "does not match the expected remote id", "Initiator")
    assert lab.status() == "ike_sa_not_established"
    assert "phase 1 not established: ID mismatch" in explain(lab)
    ping_fails(lab)


@INITIATORS
def test_identity_mismatch_no_profile_matches_alibaba_local_id(effect):
    # Alibaba's LocalId is an FQDN; the H3C profile matches the gateway address
    lab = Lab().classic(effect=effect, ike=ali_ike(LocalId="vpn.example.com"))
    assert run(lab, effect) in (0, -1)
    assert_nothing_on_h3c(lab)
    assert_p1_fail_logged(lab, "remote identity mismatch", "Responder" if effect else "Initiator")
    assert "INVALID-ID-INFORMATION" in lab.logs() and "ID mismatch" in lab.logs()
    assert "vpn.example.com" in lab.logs()
    assert lab.status() == "ike_sa_not_established"
    assert "ID mismatch" in explain(lab)


# ---------------------------------------------------------------------------------------------
# phase 2
# ---------------------------------------------------------------------------------------------
    ping_fails(lab)


def test_pfs_mismatch_h3c_without_pfs():
    lab = Lab().classic(effect=False, h3c=dict(pfs=None))
    assert lab.ping() == 0
    assert lab.ike_rows() == [(ALI_SINGLE, "RD")] and lab.ipsec_sa_remotes() == []  # §8: RD, no IPsec SA
    assert_p2_fail_logged(lab, "Responder requires PFS", "Initiator")
    assert lab.status() == "ipsec_sa_not_established"
    assert "pfs group mismatched: PFS mismatch: the H3C offers no PFS, Alibaba requires group2" in lab.logs()
    assert "phase 2 not established: PFS mismatch" in explain(lab)
    # traffic from the VPC makes Alibaba initiate with group2, and a responder without PFS follows
    # the initiator (§1.3): that direction works — the IKEv1 PFS rules are asymmetric
    assert lab.model.verdict(LOOPBACK_TARGET, 22) is Verdict.OPEN
    assert lab.status() == "ipsec_sa_established"


def test_pfs_mismatch_alibaba_weaker_than_the_h3c_responder():
    lab = Lab().classic(effect=True, h3c=dict(pfs="dh-group14"))
    lab.advance(1)
    assert lab.ike_rows() == [(ALI_SINGLE, "RD")] and lab.ipsec_sa_remotes() == []
    assert_p2_fail_logged(lab, "PFS mismatch", "Responder")
    assert lab.status() == "ipsec_sa_not_established"
    assert "received in phase 2: PFS mismatch: Alibaba's group2 is weaker than the H3C's group14" in lab.logs()
    assert "phase 2 not established: PFS mismatch" in explain(lab)


def test_pfs_ikev1_rules_are_asymmetric():
    # reference §1.3: a side without PFS follows the peer; the initiator must be at least as strong
    lab = Lab().classic(effect=True, h3c=dict(pfs=None))
    lab.advance(1)
    assert lab.status() == "ipsec_sa_established"  # Alibaba initiates with group2, the H3C follows
    assert "Perfect Forward Secrecy: dh-group2" in lab.cli("display ipsec sa")
    lab2 = Lab().classic(effect=False, h3c=dict(pfs="dh-group14"))
    assert lab2.ping() == 4  # the H3C initiates with group14 >= Alibaba's group2
    assert lab2.status() == "ipsec_sa_established"


@INITIATORS
def test_transform_mismatch(effect):
    lab = Lab().classic(effect=effect, h3c=dict(esp_enc="aes-cbc-256"))
    assert run(lab, effect) in (0, -1)
    assert lab.ike_rows() == [(ALI_SINGLE, "RD")] and lab.ipsec_sa_remotes() == []
    assert lab.status() == "ipsec_sa_not_established"
    assert "no proposal chosen (phase 2)" in lab.logs() and "aes-cbc-256" in lab.logs()
    assert "phase 2 not established: no proposal chosen (phase 2)" in explain(lab)
    ping_fails(lab)


@INITIATORS
def test_selectors_not_mirrored(effect):
    lab = Lab().classic(effect=effect, h3c=dict(acl_rules=(("192.168.0.0/24", "172.16.0.0/16"),)))
    assert run(lab, effect) in (0, -1)
    assert lab.ike_rows() == [(ALI_SINGLE, "RD")] and lab.ipsec_sa_remotes() == []  # §8: RD, no IPsec SA
    if effect:
        assert_p2_fail_logged(lab, "Failed to match the ACL", "Responder")
        assert "INVALID-ID-INFORMATION received in phase 2: traffic selector mismatch" in lab.logs()
    else:
        assert_p2_fail_logged(lab, "do not mirror", "Initiator")
        assert "policy not found: 172.16.0.0/16[0] 192.168.0.0/24[0]" in lab.logs()
        assert "traffic selector mismatch: the H3C proposes 192.168.0.0/24 -> 172.16.0.0/16" in lab.logs()
    assert lab.status() == "ipsec_sa_not_established"
    assert "phase 2 not established: traffic selector mismatch" in explain(lab)


# ---------------------------------------------------------------------------------------------
# nothing negotiated at all
# ---------------------------------------------------------------------------------------------
    ping_fails(lab)


@INITIATORS
def test_policy_not_applied(effect):
    lab = Lab().classic(effect=effect, h3c=dict(apply=False))
    assert run(lab, effect) in (0, -1)
    assert_nothing_on_h3c(lab)  # §8: no row, empty
    assert "Interface:" not in lab.cli("display ipsec policy")
    assert "IKE_P1_SA_ESTABLISH_FAIL" not in lab.logbuffer()  # nothing ever reached IKE
    assert lab.status() == "ike_sa_not_established"
    if effect:
        logs = lab.logs()
        assert "phase1 negotiation failed due to time up" in logs
        assert "peer not responding: no IPsec policy is applied on GigabitEthernet0/0" in logs
        assert "no IPsec policy is applied on GigabitEthernet0/0" in explain(lab)
    else:
        assert lab.logs() == ""  # Alibaba never heard anything (the ping left in clear text)
    ping_fails(lab)


def test_alibaba_endpoint_unreachable():
    lab = Lab().classic(effect=True)
    lab.model.set_down(ALI_SINGLE)
    run(lab, True)
    assert lab.ike_rows() == [] and "peer not responding" in lab.logs()
    assert lab.status() == "ike_sa_not_established"
    ping_fails(lab)
    assert lab.ike_rows() == [(ALI_SINGLE, "Unknown")]  # §8: the router's own attempt retransmits
    assert "unreachable" in explain(lab)


# ---------------------------------------------------------------------------------------------
# "the tunnel is up but nothing passes"
# ---------------------------------------------------------------------------------------------

@INITIATORS
def test_missing_vpc_route(effect):
    lab = Lab().classic(effect=effect, route=False)
    run(lab, effect)
    ping_fails(lab)
    assert lab.ike_rows() == [(ALI_SINGLE, "RD")] and lab.ipsec_sa_remotes() == [ALI_SINGLE]
    assert lab.status() == "ipsec_sa_established"
    assert lab.model.verdict(LOOPBACK_TARGET, 22) is Verdict.BLACKHOLE
    assert explain(lab).startswith("no VPC route for 192.168.0.0/24")
    lab.vpc_route()
    assert lab.ping() == 5 and lab.model.verdict(LOOPBACK_TARGET, 22) is Verdict.OPEN


def test_vpc_route_pending_or_elsewhere():
    lab = Lab(timing=Timing(gateway_update_seconds=None, route_entry_seconds=3.0))
    lab.classic(effect=True)
    lab.advance(1)
    assert lab.status() == "ipsec_sa_established"
    assert "is Pending, not Available" in explain(lab)
    assert lab.model.verdict(LOOPBACK_TARGET, 22) is Verdict.BLACKHOLE
    lab.advance(3)
    assert lab.model.verdict(LOOPBACK_TARGET, 22) is Verdict.OPEN
    # the on-prem prefix routed to another VPN gateway of the VPC (a longer prefix wins)
    other = lab.sim.add_vpn_gateway("cn-hangzhou", lab.vpc.vpc_id, dual_tunnel=False, internet_ip="198.51.100.30")
    lab.api("CreateRouteEntry", RouteTableId=lab.vpc.system_route_table.route_table_id,
            DestinationCidrBlock="192.168.0.0/25", NextHopType="VpnGateway", NextHopId=other.vpn_gateway_id)
    lab.advance(3.1)
    assert f"points to VpnGateway {other.vpn_gateway_id}, not to the VPN gateway" in explain(lab)
    assert lab.ping() == 0  # the echo replies go to the other gateway


def test_missing_h3c_route():
    lab = Lab().classic(effect=True, h3c=dict(route=False))
    lab.advance(1)
    # both ends up (Alibaba initiated; the H3C only needs its route to Alibaba's public IP)...
    assert lab.ike_rows() == [(ALI_SINGLE, "RD")] and lab.ipsec_sa_remotes() == [ALI_SINGLE]
    assert lab.status() == "ipsec_sa_established"
    # ...but nothing passes
    assert lab.ping() == 0
    assert lab.model.verdict(LOOPBACK_TARGET, 22) is Verdict.BLACKHOLE
    assert explain(lab) == "H3C has no route to 172.16.0.0/24"
    lab.router.run_config(["ip route-static 172.16.0.0 24 203.0.113.1"])
    assert lab.ping() == 5 and lab.model.verdict(LOOPBACK_TARGET, 22) is Verdict.OPEN


def test_h3c_route_out_of_the_wrong_interface():
    lab = Lab().classic(effect=True, h3c=dict(route=False))
    lab.router.run_config(["ip route-static 172.16.0.0 24 192.168.0.254"])
    lab.advance(1)
    assert lab.status() == "ipsec_sa_established"
    assert lab.ping() == 0  # §8: route points elsewhere, ACL never hit
    assert "out of GigabitEthernet0/1, not out of GigabitEthernet0/0 which carries the IPsec policy" in explain(lab)


def test_nat_not_exempted():
    lab = Lab().classic(effect=True, h3c=dict(nat_exempt=False))
    lab.advance(1)
    assert lab.status() == "ipsec_sa_established" and lab.ipsec_sa_remotes() == [ALI_SINGLE]
    assert lab.ping() == 0  # §8: SAs exist, LAN traffic is translated
    assert "nat outbound on GigabitEthernet0/0" in explain(lab)
    assert lab.model.verdict(LOOPBACK_TARGET, 22) is Verdict.BLACKHOLE


def test_ikev2_pair_and_version_mismatch():
    lab = Lab()
    lab.router.run_config([
        "acl advanced 3950", " rule 5 permit ip source 192.168.0.0 0.0.0.255 destination 172.16.0.0 0.0.0.255", "quit",
        "ikev2 proposal P2", " encryption aes-cbc-128", " integrity sha1", " prf sha1", " dh group14", "quit",
        "ikev2 policy POL2", " proposal P2", "quit",
        "ikev2 keychain KC2", " peer ALI", "  address 198.51.100.20 32", "  identity address 198.51.100.20",
        "  pre-shared-key plaintext Lab-Psk-2024", "  quit", "quit",
        "ikev2 profile PROF2", " authentication-method local pre-share", " authentication-method remote pre-share",
        " keychain KC2", " identity local address 203.0.113.2", " match remote identity address 198.51.100.20 32",
        "quit",
        "ipsec transform-set TS", " esp encryption-algorithm aes-cbc-128", " esp authentication-algorithm sha1",
        " pfs dh-group14", "quit",
        "ipsec policy POL 10 isakmp", " security acl 3950", " transform-set TS", " remote-address 198.51.100.20",
        " ikev2-profile PROF2", "quit",
        "acl advanced 3001", " rule 1 deny ip source 192.168.0.0 0.0.0.255 destination 172.16.0.0 0.0.0.255", "quit",
        "ip route-static 172.16.0.0 24 203.0.113.1",
        "interface GigabitEthernet0/0", " ipsec apply policy POL", "quit"])
    lab.connect(effect=True, ike=ali_ike(IkeVersion="ikev2", IkePfs="group14"), ipsec=ali_ipsec(IpsecPfs="group14"))
    lab.vpc_route()
    lab.advance(1)
    assert lab.status() == "ipsec_sa_established"
    assert "EST" in lab.cli("display ikev2 sa") and lab.ipsec_sa_remotes() == [ALI_SINGLE]
    assert "initiate new IKE_SA_INIT exchange" in lab.logs() and "IKE_SA established" in lab.logs()
    assert lab.ping() == 5
    # Alibaba switched back to IKEv1: the H3C has no IKEv1 keychain at all
    lab.api("ModifyVpnConnectionAttribute", VpnConnectionId=lab.vco, IkeConfig=ali_ike(IkePfs="group14"))
    lab.settle()
    lab.advance(1)
    assert lab.status() == "ike_sa_not_established"
    assert "IKE version mismatch" in lab.logs() and "IKE version mismatch" in explain(lab)
