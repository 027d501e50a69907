"""LabNegotiation: both ends configured alike come up, from either side, and stay consistent over time."""

from __future__ import annotations

import pytest

from vpnconsole.lab.aliyun import NegotiationSource, Timing
from vpnconsole.lab.h3c import Peer
from vpnconsole.lab.negotiation import Delays, LabNegotiation, Verdict
from vpnconsole.lab.openstack import PathGate

from .conftest import H3C_BASE_V5, H3C_V5_BLOCK
from .negotiation_lab import (
    ALI_SINGLE, CLOUD_HOST, LAN, LOOPBACK_TARGET, ONPREM_HOST, VPC, WAN_IP, Lab, ali_ike, ali_ipsec,
)


def assert_up(lab: Lab) -> None:
    assert lab.ike_rows() == [(ALI_SINGLE, "RD")]
    assert lab.ipsec_sa_remotes() == [ALI_SINGLE]
    assert lab.status() == "ipsec_sa_established"


def test_the_model_implements_all_three_seams():
    lab = Lab()
    assert isinstance(lab.model, Peer)
    assert isinstance(lab.model, NegotiationSource)
    assert isinstance(lab.model, PathGate)
    assert lab.router.peer is lab.model and lab.sim.negotiation_source is lab.model
    lab.model.detach()
    assert lab.router.peer is not lab.model and lab.sim.negotiation_source is not lab.model


def test_alibaba_initiates_and_the_h3c_shows_responder_sas():
    lab = Lab().classic(effect=True)
    lab.advance(1)
    assert_up(lab)
    verbose = lab.cli("display ike sa verbose")
    assert "Transmitting entity: Responder" in verbose and "Diffie-Hellman group: Group 2" in verbose
    assert "Remote ID: 198.51.100.20" in verbose and "Profile: IKEP1" in verbose
    sa = lab.cli("display ipsec sa")
    assert "Transmitting entity: Responder" in sa and "Perfect Forward Secrecy: dh-group2" in sa
    assert "sour addr: 192.168.0.0/255.255.255.0" in sa and "dest addr: 172.16.0.0/255.255.255.0" in sa
    logs = lab.logs()
    assert "initiate new phase 1 negotiation: 198.51.100.20[500]<=>203.0.113.2[500]" in logs
    assert "ISAKMP-SA established" in logs and "IPsec-SA established: ESP/Tunnel" in logs
    # the SPIs match across the two ends
    out_spi = lab.router.runtime.ipsec_sas[0].out_spi
    assert f"ESP/Tunnel 203.0.113.2[500]->198.51.100.20[500] spi={out_spi}(" in logs
    # data passes both ways, and the router reuses the responder SA (no new negotiation: no lost echo)
    assert lab.ping() == 5
    assert lab.model.verdict(LOOPBACK_TARGET, 22) is Verdict.OPEN
    assert lab.model.explain(LOOPBACK_TARGET).startswith("path complete: 172.16.0.10 -> 192.168.0.10")


def test_without_effect_immediately_alibaba_waits_for_the_router():
    lab = Lab().classic(effect=False)
    lab.advance(60)
    assert lab.status() == "ike_sa_not_established" and lab.ike_rows() == [] and lab.logs() == ""
    assert lab.ping() == 4  # the first echo is lost while negotiating
    assert_up(lab)
    assert "Transmitting entity: Initiator" in lab.cli("display ike sa verbose")
    logs = lab.logs()
    assert "respond new phase 1 negotiation: 198.51.100.20[500]<=>203.0.113.2[500]" in logs
    assert "respond new phase 2 negotiation" in logs and "IPsec-SA established" in logs


def test_traffic_from_the_cloud_brings_the_tunnel_up_without_effect_immediately():
    lab = Lab().classic(effect=False)
    assert "waiting for traffic" in lab.model.explain(LOOPBACK_TARGET)
    assert lab.model.verdict(LOOPBACK_TARGET, 5000) is Verdict.OPEN  # Alibaba initiates on the SYN
    assert_up(lab)


def test_alibaba_status_lags_and_initiation_waits_a_few_seconds():
    lab = Lab(delays=Delays(initiate=3.0, phase1=1.0, phase2=0.5)).classic(effect=True)
    lab.advance(2.0)
    assert lab.status() == "ike_sa_not_established" and lab.ike_rows() == []
    lab.advance(1.5)  # t=3.5: Alibaba initiated at 3.0, phase 1 reported at 4.0
    assert lab.ike_rows() == [(ALI_SINGLE, "RD")] and lab.status() == "ike_sa_not_established"
    lab.advance(0.6)
    assert lab.status() == "ike_sa_established"
    lab.advance(0.5)
    assert lab.status() == "ipsec_sa_established"


def test_router_initiated_status_lags_but_data_passes_at_once():
    lab = Lab(delays=Delays(phase1=1.0, phase2=1.0)).classic(effect=False)
    assert lab.ping() == 4
    assert lab.status() == "ike_sa_not_established"
    lab.clock.advance(1.0)
    assert lab.status() == "ike_sa_established"
    lab.clock.advance(1.0)
    assert lab.status() == "ipsec_sa_established"


def test_reset_on_the_router_renegotiates_from_alibaba():
    lab = Lab().classic(effect=True)
    lab.advance(1)
    old = {sa.out_spi for sa in lab.router.runtime.ipsec_sas}
    lab.cli("reset ipsec sa")
    assert lab.ipsec_sa_remotes() == [ALI_SINGLE]  # the display's tick: Alibaba re-initiated phase 2
    assert not old & {sa.out_spi for sa in lab.router.runtime.ipsec_sas}
    assert "purged IPsec-SA" in lab.logs()
    lab.cli("reset ike sa")
    assert lab.ike_rows() == [(ALI_SINGLE, "RD")]
    assert "ISAKMP-SA deleted" in lab.logs()
    assert lab.status() == "ipsec_sa_established" and lab.ping() == 5


def test_reset_without_effect_immediately_stays_down_until_traffic():
    lab = Lab().classic(effect=False)
    assert lab.ping() == 4
    lab.cli("reset ipsec sa", "reset ike sa")
    lab.advance(30)
    assert lab.ike_rows() == [] and lab.status() == "ike_sa_not_established"
    assert lab.ping() == 4 and lab.status() == "ipsec_sa_established"


def test_a_cloud_change_tears_down_and_renegotiates_with_the_new_values():
    lab = Lab(timing=Timing(gateway_update_seconds=5.0, route_entry_seconds=1.0, gateway_create_seconds=1.0))
    lab.configure()
    lab.connect(effect=True)
    lab.advance(5.1)
    lab.vpc_route()
    lab.advance(1.1)
    assert_up(lab)
    assert lab.ping() == 5
    # a wrong PSK arrives through ModifyVpnConnectionAttribute: updating, SAs torn down on both ends
    lab.api("ModifyVpnConnectionAttribute", VpnConnectionId=lab.vco, IkeConfig=ali_ike(Psk="Other-Psk-99"))
    assert lab.describe()["State"] == "updating"
    assert lab.ike_rows() == [] and lab.ipsec_sa_remotes() == []
    assert "Deleted by the peer (the connection configuration changed)" in lab.logbuffer()
    assert lab.model.verdict(LOOPBACK_TARGET, 22) is Verdict.BLACKHOLE
    assert "is updating" in lab.model.explain(LOOPBACK_TARGET)
    lab.advance(5.1)
    assert lab.describe()["State"] == "active"
    assert lab.status() == "ike_sa_not_established"
    lab.advance(8)  # Alibaba initiated as soon as the change took effect; message 5 is never answered
    assert "phase1 negotiation failed due to time up" in lab.logs() and "PSK mismatch" in lab.logs()
    # fixed on the H3C (new keys only matter for new SAs): Alibaba's next retry succeeds
    lab.router.run_config(["ike keychain KC1",
                           f" pre-shared-key address {ALI_SINGLE} 255.255.255.255 key simple Other-Psk-99", "quit"])
    lab.advance(2)  # the next retry (every 10 s) succeeds
    assert_up(lab)


def test_router_change_only_affects_new_sas():
    lab = Lab().classic(effect=True)
    lab.advance(1)
    lab.router.run_config(["ipsec transform-set TS", " esp encryption-algorithm aes-cbc-256", "quit"])
    lab.advance(60)
    assert_up(lab)  # existing SAs keep working
    lab.cli("reset ipsec sa")
    lab.advance(1)
    assert lab.ipsec_sa_remotes() == [] and lab.status() == "ipsec_sa_not_established"
    assert "no proposal chosen (phase 2)" in lab.logs()


def test_lifetime_expiry_and_dpd_follow_the_h3c_model():
    lab = Lab().classic(effect=False, ipsec=ali_ipsec(IpsecLifetime=600))
    assert lab.ping() == 4
    assert lab.router.runtime.ipsec_sas[0].lifetime_s == 600  # the smaller lifetime wins
    lab.advance(601)
    assert lab.ipsec_sa_remotes() == [] and lab.ike_rows() == [(ALI_SINGLE, "RD")]
    assert lab.status() == "ike_sa_established"
    assert lab.ping() == 4  # renegotiated under the existing IKE SA
    # Alibaba vanishes: the router's DPD (periodic, 10 s) kills its SAs, Alibaba's own DPD too
    lab.model.set_down(ALI_SINGLE)
    lab.advance(11)
    assert lab.ike_rows() == [] and "Reason: DPD timeout" in lab.logbuffer()
    lab.advance(30)
    assert lab.status() == "ike_sa_not_established" and "DPD timeout" in lab.logs()


def test_router_reboot_leaves_alibaba_with_stale_sas_until_dpd():
    lab = Lab().classic(effect=False)
    assert lab.ping() == 4
    lab.router.clear_sas()  # the router forgot its SAs without telling Alibaba
    lab.advance(5)
    assert lab.status() == "ipsec_sa_established"  # stale, Alibaba does not know yet
    lab.advance(30)
    assert lab.status() == "ike_sa_not_established"
    assert "seems to be dead (DPD timeout)" in lab.logs()


def test_financially_locked_gateway_stops_everything():
    lab = Lab().classic(effect=True)
    lab.advance(1)
    assert lab.model.verdict(LOOPBACK_TARGET, 22) is Verdict.OPEN
    lab.sim.set_gateway_status("cn-hangzhou", lab.gw.vpn_gateway_id, business_status="FinancialLocked")
    lab.advance(1)
    assert lab.ike_rows() == [] and lab.ping() == 0
    assert lab.model.verdict(LOOPBACK_TARGET, 22) is Verdict.BLACKHOLE
    assert "FinancialLocked" in lab.model.explain(LOOPBACK_TARGET)


def test_deleting_the_connection_removes_the_h3c_sas():
    lab = Lab().classic(effect=True)
    lab.advance(1)
    lab.api("DeleteVpnConnection", VpnConnectionId=lab.vco)
    lab.settle()
    lab.advance(1)
    assert lab.ike_rows() == [] and lab.ipsec_sa_remotes() == []
    assert "no IPsec connection" in lab.model.explain(LOOPBACK_TARGET)


def test_one_sa_per_cidr_pair():
    lab = Lab()
    rules = ((LAN, VPC), (LAN, "172.16.1.0/24"))
    lab.configure(acl_rules=rules)
    lab.connect(effect=True, local=f"{VPC},172.16.1.0/24", remote=LAN)
    lab.vpc_route()
    lab.advance(1)
    assert lab.ipsec_sa_remotes() == [ALI_SINGLE, ALI_SINGLE]
    state = lab.model.peer_state(lab.vco)
    assert state is not None and sorted(state.pairs_up) == [(VPC, LAN), ("172.16.1.0/24", LAN)]
    assert lab.ping(dst="172.16.1.20") == 5 and lab.ping() == 5


def test_nat_in_front_of_the_router():
    # WAN 203.0.113.2 is private here; Alibaba sees 198.18.0.5 (the customer gateway)
    lab = Lab(router_public_ip="198.18.0.5")
    lab.classic(effect=False, h3c=dict(local_identity="address 198.18.0.5"), ike=ali_ike(RemoteId="198.18.0.5"))
    assert lab.ping() == 4
    assert "NAT traversal: Detected" in lab.cli("display ike sa verbose")
    assert "198.51.100.20[4500]" in lab.logs()
    assert lab.model.verdict(LOOPBACK_TARGET, 22) is Verdict.OPEN


def test_nat_in_path_without_nat_traversal_on_alibaba():
    lab = Lab(router_public_ip="198.18.0.5")
    lab.classic(effect=False, h3c=dict(local_identity="address 198.18.0.5"), ike=ali_ike(RemoteId="198.18.0.5"),
                )
    lab.api("ModifyVpnConnectionAttribute", VpnConnectionId=lab.vco, EnableNatTraversal=False)
    lab.settle()
    assert lab.ping() == 0  # SAs come up, ESP cannot cross the NAT
    assert lab.status() == "ipsec_sa_established"
    assert "NAT traversal is disabled" in lab.model.explain(LOOPBACK_TARGET)


def test_the_h3c_itself_as_target():
    lab = Lab().classic(effect=True)
    lab.advance(1)
    lab.model.map_target("127.0.7.1", "192.168.0.1")
    assert lab.model.verdict("127.0.7.1", 22) is Verdict.OPEN
    assert lab.model.verdict("127.0.7.1", 5000) is Verdict.REFUSE  # the router's own TCP stack resets
    assert lab.model.verdict("127.0.7.99", 22) is Verdict.BLACKHOLE  # not mapped: taken as is, not on-prem
    assert lab.model.explain("127.0.7.99").startswith("no IPsec connection protects the VPC <-> 127.0.7.99")
    assert "not mapped" in lab.model.explain("openstack.example")


def test_router_ping_to_a_vpc_address_without_a_host():
    lab = Lab().classic(effect=True)
    lab.advance(1)
    assert lab.ping(dst="172.16.0.0") == 0  # the vSwitch network address answers nothing
    assert lab.ping() == 5


def test_target_given_as_onprem_address_and_cloud_source():
    lab = Lab().classic(effect=True)
    lab.advance(1)
    rep = lab.model.check_path(ONPREM_HOST, 22)
    assert rep.ok and rep.target == ONPREM_HOST and rep.cloud_source == CLOUD_HOST and rep.connection_id == lab.vco
    assert rep.alibaba_ip == ALI_SINGLE
    custom = LabNegotiation(lab.router, lab.sim, "cn-hangzhou", cloud_source="172.16.1.5", attach=False)
    assert "no IPsec connection protects 172.16.1.5" in custom.explain(ONPREM_HOST)


@pytest.mark.parametrize("public", [None, "198.18.0.5"])
def test_no_connection_for_this_router(public):
    lab = Lab(router_public_ip=public)
    lab.configure()
    assert "no IPsec connection to the H3C" in lab.model.explain(LOOPBACK_TARGET)
    assert lab.ping() == 0
    assert lab.ike_rows() == [(ALI_SINGLE, "Unknown")]  # nobody answers
    assert WAN_IP in lab.cli("display ike sa")


@pytest.mark.parametrize("effect", [False, True], ids=["h3c-initiates", "alibaba-initiates"])
def test_comware_v5_router(effect):
    # the reference's V5 block (ike peer / ipsec proposal / pfs in the policy), LAN 192.168.10.0/24
    lab = Lab(dialect="v5", base=H3C_BASE_V5)
    out = lab.cli(*H3C_V5_BLOCK)
    assert "% " not in out, out
    lab.connect(effect=effect, local="172.16.0.0/16", remote="192.168.10.0/24",
                ike=ali_ike(Psk="AliDemo-Psk-2024"), ipsec=ali_ipsec())
    lab.vpc_route("192.168.10.0/24")
    lab.advance(1)
    received = lab.ping(src="192.168.10.1")
    assert received == (5 if effect else 4)
    assert lab.status() == "ipsec_sa_established"
    assert "RD|ST" in lab.cli("display ike sa") and ALI_SINGLE in lab.cli("display ipsec sa brief")
    lab.model.map_target("127.0.7.20", "192.168.10.20")
    assert lab.model.verdict("127.0.7.20", 22) is Verdict.OPEN


def test_policy_removed_while_up():
    lab = Lab().classic(effect=True)
    lab.advance(1)
    lab.router.run_config(["interface GigabitEthernet0/0", " undo ipsec apply policy POL", "quit"])
    lab.advance(1)
    assert lab.ipsec_sa_remotes() == []
    assert lab.status() == "ipsec_sa_not_established"  # Alibaba's phase 2 retries find no policy
    assert "no IPsec policy is applied on GigabitEthernet0/0 any more" in lab.logs()
    assert lab.model.verdict(LOOPBACK_TARGET, 22) is Verdict.BLACKHOLE
    lab.router.run_config(["interface GigabitEthernet0/0", " ipsec apply policy POL", "quit"])
    lab.advance(10)
    assert_up(lab)
