"""Traffic-triggered negotiation with StaticPeer: success and the classic mistakes (reference §8),
as seen from the H3C side (ping, display ike sa / ipsec sa, logbuffer)."""

from __future__ import annotations

import re

import pytest

from vpnconsole.lab.h3c import Identity, NullPeer, Peer, StaticPeer

PING = "ping -a 192.168.10.1 172.16.1.10"

IKEV2_BLOCK = """system-view
ikev2 proposal ALIVPN-P2
 encryption aes-cbc-128
 integrity sha256
 prf sha256
 dh group14
quit
ikev2 policy ALIVPN-POL2
 proposal ALIVPN-P2
quit
ikev2 keychain ALIVPN-KC2
 peer ALIYUN
  address 198.51.100.20 32
  identity address 198.51.100.20
  pre-shared-key plaintext AliDemo-Psk-2024
 quit
quit
ikev2 profile ALIVPN-IKEP2
 authentication-method local pre-share
 authentication-method remote pre-share
 keychain ALIVPN-KC2
 identity local address 203.0.113.2
 match remote identity address 198.51.100.20 32
 sa duration 86400
 dpd interval 10 periodic
quit
ipsec policy ALIVPN-POL 10 isakmp
 security acl 3950
 transform-set ALIVPN-TS
 remote-address 198.51.100.20
 undo ike-profile
 ikev2-profile ALIVPN-IKEP2
 sa duration time-based 86400
quit
return""".splitlines()


def received(out: str) -> int:
    m = re.search(r"(\d+) packet\(s\) received", out)
    assert m, out
    return int(m.group(1))


def ike_rows(dev) -> list[tuple[str, str]]:
    rows = re.findall(r"^    (\d+) +\S+ +(\S+) +(\S+) +IPsec$", nl(dev.cli("display ike sa")), re.M)
    return [(r[1], r[2]) for r in rows]


def logs(dev) -> str:
    return nl(dev.cli("display logbuffer"))


def nl(text: str) -> str:
    return text.replace("\r\n", "\n")


@pytest.fixture
def setup(h3c_make_device):
    def make(dialect="v7", **peer_kw):
        peer = StaticPeer(**peer_kw)
        dev = h3c_make_device(dialect, configured=True, peer=peer)
        return dev, peer
    return make


def test_static_peer_implements_protocol():
    assert isinstance(StaticPeer(), Peer) and isinstance(NullPeer(), Peer)


def test_success_first_echo_lost_then_all_pass(setup, h3c_psk):
    dev, peer = setup()
    out = dev.cli(PING)
    assert out.split("\r\n")[1:3] == [
        "Ping 172.16.1.10 (172.16.1.10) from 192.168.10.1: 56 data bytes, press CTRL+C to break",
        "Request time out"]
    assert received(out) == 4
    assert "5 packet(s) transmitted, 4 packet(s) received, 20.0% packet loss" in out
    assert re.search(r"^round-trip min/avg/max/std-dev = [\d.]+/[\d.]+/[\d.]+/[\d.]+ ms$", nl(out), re.M)
    assert ike_rows(dev) == [("198.51.100.20", "RD")]
    assert received(dev.cli(PING)) == 5
    sa = dev.cli("display ipsec sa")
    assert "Max sent sequence-number: 9" in sa and "Max received sequence-number: 9" in sa
    assert "Perfect Forward Secrecy: dh-group14" in sa
    assert logs(dev).count("IPSEC/6/IPSEC_SA_ESTABLISH") == 2
    # what the router offered (the peer seam)
    offer = peer.negotiations[0]
    assert offer.version == "ikev1" and offer.mode == "main" and offer.psk == h3c_psk
    assert offer.local_id == Identity("address", "203.0.113.2")
    assert [p.label for p in offer.proposals] == ["950"]
    assert offer.phase2.selector.local == "192.168.10.0/24" and offer.phase2.selector.remote == "172.16.0.0/16"
    assert offer.phase2.pfs == "group14" and offer.nat_exempt
    assert len(peer.negotiations) == 1  # the second ping used the existing SA


def test_ping_without_source_goes_out_in_clear(setup):
    dev, peer = setup()
    assert received(dev.cli("ping 172.16.1.10")) == 0
    assert not peer.negotiations and ike_rows(dev) == []


def test_dh_mismatch_no_row_phase1_failure_logged(setup):
    dev, peer = setup(ike_dh="group2")
    assert received(dev.cli(PING)) == 0
    assert ike_rows(dev) == []
    assert dev.cli("display ipsec sa") == "display ipsec sa\r\n<MSR1>"
    lb = logs(dev)
    assert re.search(r"^%Nov 24 \d\d:\d\d:\d\d:\d{3} 2025 MSR1 IKE/6/IKE_P1_SA_ESTABLISH_FAIL: Failed to establish "
                     r"phase 1 SA in main mode .*NO_PROPOSAL_CHOSEN", lb, re.M)


def test_psk_mismatch_unknown_row_then_gone(setup):
    dev, peer = setup(psk="Different-Psk")
    assert received(dev.cli(PING)) == 0
    assert ike_rows(dev) == [("198.51.100.20", "Unknown")]
    assert "IKE_P1_SA_ESTABLISH_FAIL" in logs(dev)
    dev.advance(61)
    assert ike_rows(dev) == []


def test_aggressive_vs_main_and_fix(setup):
    dev, peer = setup(ike_mode="aggressive")
    assert received(dev.cli(PING)) == 0
    assert ike_rows(dev) == [] and "Exchange mode mismatch" in logs(dev)
    dev.cli("system-view", "ike profile ALIVPN-IKEP", "exchange-mode aggressive")
    assert received(dev.cli(PING)) == 4
    assert "Exchange-mode: Aggressive" in dev.cli("display ike sa verbose")


def test_identity_mismatch_behind_nat_and_fix(setup):
    dev, peer = setup(nat_in_path=True, customer_gateway_ip="198.18.0.7")
    assert received(dev.cli(PING)) == 0
    assert ike_rows(dev) == [] and "does not match the expected remote id 198.18.0.7" in logs(dev)
    dev.cli("system-view", "ike profile ALIVPN-IKEP", "local-identity address 198.18.0.7")
    assert received(dev.cli(PING)) == 4
    v = dev.cli("display ike sa verbose")
    assert "NAT traversal: Detected" in v and "Local IP/port: 203.0.113.2/4500" in v
    assert "UDP encapsulation used for NAT traversal: Y" in dev.cli("display ipsec sa")


def test_peer_identity_not_matched_by_profile(setup):
    dev, peer = setup(local_id="vpn.aliyun.example")
    assert received(dev.cli(PING)) == 0
    assert ike_rows(dev) == [] and "remote identity mismatch" in logs(dev)
    dev.cli("system-view", "ike profile ALIVPN-IKEP", "match remote identity fqdn vpn.aliyun.example")
    assert received(dev.cli(PING)) == 4


def test_selectors_not_mirrored_rd_without_ipsec_sa(setup):
    dev, peer = setup(remote_subnets=["192.168.20.0/24"])
    assert received(dev.cli(PING)) == 0
    assert ike_rows(dev) == [("198.51.100.20", "RD")]
    assert dev.cli("display ipsec sa count") == "display ipsec sa count\r\nTotal IPsec SAs count: 0\r\n<MSR1>"
    assert re.search(r"IKE/6/IKE_P2_SA_ESTABLISH_FAIL: .*do not mirror", logs(dev))


def test_multiple_cidrs_one_sa_per_pair(setup):
    dev, peer = setup(local_subnets=["172.16.0.0/16", "172.17.0.0/16"])
    dev.cli("system-view", "acl advanced 3950",
            "rule 10 permit ip source 192.168.10.0 0.0.0.255 destination 172.17.0.0 0.0.255.255", "quit",
            "acl advanced 3001", "rule 2 deny ip source 192.168.10.0 0.0.0.255 destination 172.17.0.0 0.0.255.255",
            "quit", "ip route-static 172.17.0.0 16 203.0.113.1")
    assert received(dev.cli(PING)) == 4
    assert received(dev.cli("ping -a 192.168.10.1 172.17.0.5")) == 4
    assert "Total IPsec Tunnel Count: 2" in dev.cli("display ipsec tunnel count")
    assert ike_rows(dev) == [("198.51.100.20", "RD")]  # one IKE SA carries both


def test_pfs_rules(setup):
    dev, peer = setup()
    dev.cli("system-view", "ipsec transform-set ALIVPN-TS", "undo pfs")
    assert received(dev.cli(PING)) == 0
    assert ike_rows(dev) == [("198.51.100.20", "RD")] and "Responder requires PFS" in logs(dev)
    # weaker initiator group than the responder requires
    dev.cli("system-view", "ipsec transform-set ALIVPN-TS", "pfs dh-group2")
    assert received(dev.cli(PING)) == 0 and "weaker than required" in logs(dev)
    # responder without PFS follows the initiator
    dev2, _ = setup(ipsec_pfs=None)
    assert received(dev2.cli(PING)) == 4


def test_transform_mismatch(setup):
    dev, peer = setup(ipsec_integrity="sha1")
    assert received(dev.cli(PING)) == 0
    assert ike_rows(dev) == [("198.51.100.20", "RD")] and "IKE_P2_SA_ESTABLISH_FAIL" in logs(dev)


def test_policy_not_applied_nothing_happens(setup):
    dev, peer = setup()
    dev.cli("system-view", "interface GigabitEthernet0/0", "undo ipsec apply policy ALIVPN-POL")
    assert received(dev.cli(PING)) == 0
    assert not peer.negotiations and ike_rows(dev) == []
    assert "Interface:" not in dev.cli("display ipsec policy")


def test_missing_route_nothing_triggered(setup):
    dev, peer = setup()
    dev.cli("system-view", "undo ip route-static 0.0.0.0 0", "undo ip route-static 172.16.0.0 16 203.0.113.1")
    assert received(dev.cli(PING)) == 0
    assert not peer.negotiations and ike_rows(dev) == []
    assert "Summary count : 0" in dev.cli("display ip routing-table 172.16.1.10")


def test_nat_not_exempt_sas_up_but_no_traffic(setup):
    dev, peer = setup()
    dev.cli("system-view", "acl advanced 3001", "undo rule 1")
    assert received(dev.cli(PING)) == 0
    assert ike_rows(dev) == [("198.51.100.20", "RD")]
    sa = dev.cli("display ipsec sa")
    assert "Max sent sequence-number: 0" in sa
    assert not peer.negotiations[0].nat_exempt


def test_unreachable_peer_unknown_row(setup):
    dev, peer = setup(reachable=False)
    assert received(dev.cli(PING)) == 0
    assert ike_rows(dev) == [("198.51.100.20", "Unknown")]


def test_missing_psk_for_peer_is_a_local_failure(setup):
    dev, peer = setup()
    dev.cli("system-view", "ike keychain ALIVPN-KC", "undo pre-shared-key address 198.51.100.20 255.255.255.255")
    assert received(dev.cli(PING)) == 0
    assert not peer.negotiations and "Failed to get the pre-shared key" in logs(dev)


def test_incomplete_policy_is_not_used(setup):
    dev, peer = setup()
    dev.cli("system-view", "ipsec policy ALIVPN-POL 10", "undo remote-address")
    assert received(dev.cli(PING)) == 0 and not peer.negotiations


def test_reset_commands_clear_state_and_renegotiate(setup):
    dev, peer = setup()
    dev.cli(PING)
    conn = ike_rows(dev)
    assert conn
    assert dev.cli("reset ipsec sa") == "reset ipsec sa\r\n<MSR1>"
    assert "Total IPsec SAs count: 0" in dev.cli("display ipsec sa count")
    assert not peer.ipsec_spis  # the peer was told
    assert dev.cli("reset ike sa connection-id 1") == "reset ike sa connection-id 1\r\n<MSR1>"
    assert ike_rows(dev) == []
    assert received(dev.cli(PING)) == 4  # first echo lost again
    dev.cli("reset ipsec sa policy ALIVPN-POL 10", "reset ipsec sa remote 198.51.100.20", "reset ike sa")
    assert ike_rows(dev) == [] and "Total IPsec SAs count: 0" in dev.cli("display ipsec sa count")


def test_lifetimes_smaller_wins_countdown_and_expiry(setup):
    dev, peer = setup(ipsec_lifetime=3600, ike_lifetime=28800)
    dev.cli(PING)
    assert "SA duration (kilobytes/sec): 1843200/3600" in dev.cli("display ipsec sa")
    assert "Life duration(sec): 28800" in dev.cli("display ike sa verbose")
    dev.advance(600)
    assert re.search(r"SA remaining duration \(kilobytes/sec\): 18431\d\d/3000\r\n", dev.cli("display ipsec sa"))
    assert "Remaining key duration(sec): 28200" in dev.cli("display ike sa verbose")
    dev.advance(3000)
    assert "Total IPsec SAs count: 0" in dev.cli("display ipsec sa count")
    assert "IPSEC_SA_TERMINATE" in logs(dev)
    dev.advance(28800)
    assert ike_rows(dev) == [] and "IKE_P1_SA_TERMINATE" in logs(dev)


def test_stale_sa_after_peer_loss_then_dpd_cleans_up(setup):
    dev, peer = setup()
    dev.cli(PING)
    peer.clear()  # peer rebooted: its SAs are gone, ours are stale
    assert received(dev.cli(PING)) == 0
    assert ike_rows(dev) == [("198.51.100.20", "RD")]
    dev.advance(11)  # periodic DPD (interval 10) gets no answer
    assert ike_rows(dev) == [] and "DPD timeout" in logs(dev)
    assert "Total IPsec SAs count: 0" in dev.cli("display ipsec sa count")
    assert received(dev.cli(PING)) == 4


def test_clear_sas_hook(setup):
    dev, peer = setup()
    dev.cli(PING)
    dev.clear_sas()
    assert ike_rows(dev) == [] and not dev.runtime.ipsec_sas


def test_ikev2_variant(setup):
    dev, peer = setup(ike_version="ikev2")
    out = dev.cli(*IKEV2_BLOCK)
    assert "%" not in out, out
    assert received(dev.cli(PING)) == 4
    offer = peer.negotiations[-1]
    assert offer.version == "ikev2" and offer.mode is None
    assert offer.proposals[0].encryption == ("aes-cbc-128",)
    v2 = dev.cli("display ikev2 sa")
    assert re.search(r"^  1 +203\.0\.113\.2/500 +198\.51\.100\.20/500 +EST$", nl(v2), re.M)
    assert ike_rows(dev) == []  # display ike sa lists IKEv1 only
    assert "Tunnel ID: 1" in dev.cli("display ikev2 sa verbose")
    dev.cli("reset ikev2 sa")
    assert "/500" not in dev.cli("display ikev2 sa") and not dev.runtime.ipsec_sas


def test_ikev1_router_against_ikev2_peer(setup):
    dev, peer = setup(ike_version="ikev2")
    assert received(dev.cli(PING)) == 0 and "IKE version mismatch" in logs(dev)


def test_v5_nat_traversal_required_when_nat_in_path(h3c_make_device):
    peer = StaticPeer(ike_integrity="sha1", ike_dh="group2", ipsec_integrity="sha1", ipsec_pfs="group2",
                      nat_in_path=True, nat_public_ip="198.18.0.7", remote_id="203.0.113.2")
    dev = h3c_make_device("v5", configured=True, peer=peer)
    assert received(dev.cli(PING)) == 4
    dev.cli("system-view", "ike peer ALIVPN-PEER", "undo nat traversal")
    dev.cli("reset ipsec sa", "reset ike sa")
    assert received(dev.cli(PING)) == 0
    assert peer.negotiations[-1].nat_traversal is False and peer.negotiations[-1].comware == "v5"


def test_alibaba_json_constructor():
    peer = StaticPeer.alibaba(
        "198.51.100.20",
        {"IkeVersion": "ikev1", "IkeMode": "main", "IkeEncAlg": "aes", "IkeAuthAlg": "sha256", "IkePfs": "group14",
         "IkeLifetime": 86400, "Psk": "AliDemo-Psk-2024", "LocalId": "198.51.100.20", "RemoteId": "203.0.113.2"},
        {"IpsecEncAlg": "aes", "IpsecAuthAlg": "sha256", "IpsecPfs": "disabled", "IpsecLifetime": 3600},
        local_subnet="172.16.0.0/16", remote_subnet="192.168.10.0/24")
    assert peer.ike_encryption == "aes-cbc-128" and peer.ipsec_pfs is None and peer.ipsec_lifetime == 3600


def test_null_peer_default(h3c_make_device):
    dev = h3c_make_device(configured=True)
    assert received(dev.cli(PING)) == 0
    assert ike_rows(dev) == [("198.51.100.20", "Unknown")]
