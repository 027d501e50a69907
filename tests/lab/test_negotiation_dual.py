"""Dual-tunnel gateway: two Alibaba IPs, one customer gateway, one policy entry per IP on the H3C."""

from __future__ import annotations

from vpnconsole.lab.negotiation import Verdict

from .negotiation_lab import ALI_MASTER, ALI_SLAVE, LOOPBACK_TARGET, PSK, Lab, ali_ike, ali_ipsec


def dual_lab(**kw) -> Lab:
    lab = Lab(dual=True).classic(effect=True, **kw)
    lab.advance(1)
    return lab


def test_both_tunnels_up():
    lab = dual_lab()
    assert sorted(lab.ike_rows()) == [(ALI_MASTER, "RD"), (ALI_SLAVE, "RD")]
    assert sorted(lab.ipsec_sa_remotes()) == [ALI_MASTER, ALI_SLAVE]
    sa = lab.cli("display ipsec sa")
    assert "Sequence number: 10" in sa and "Sequence number: 20" in sa
    assert lab.status("master") == lab.status("slave") == "ipsec_sa_established"
    assert lab.describe()["Status"] == "ipsec_sa_established"  # the top level mirrors the master
    master_logs, slave_logs = lab.logs("master"), lab.logs("slave")
    assert "198.51.100.10[500]<=>203.0.113.2[500]" in master_logs and ALI_SLAVE not in master_logs
    assert "198.51.100.11[500]<=>203.0.113.2[500]" in slave_logs and ALI_MASTER not in slave_logs
    assert lab.ping() == 5
    rep = lab.model.check_path(LOOPBACK_TARGET, 22)
    assert rep.ok and rep.alibaba_ip == ALI_MASTER and rep.tunnel_id == lab.tunnel_id("master")
    state = lab.model.peer_state(lab.vco, lab.tunnel_id("slave"))
    assert state is not None and state.status == "ipsec_sa_established" and state.alibaba_ip == ALI_SLAVE


def test_router_initiated_dual_tunnel_uses_the_master_entry_and_traffic_brings_up_the_slave():
    lab = Lab(dual=True).classic(effect=False)
    assert lab.ping() == 4  # entry 10 (master) matches first
    assert lab.ike_rows() == [(ALI_MASTER, "RD")]
    assert lab.status("master") == "ipsec_sa_established" and lab.status("slave") == "ike_sa_not_established"
    assert "waiting for traffic" not in lab.model.explain(LOOPBACK_TARGET)


def test_master_down_alibaba_fails_over_to_the_slave():
    lab = dual_lab()
    lab.model.set_down(ALI_MASTER)
    lab.advance(11)  # the H3C's DPD (periodic, 10 s) declares the master dead
    assert lab.ike_rows() == [(ALI_SLAVE, "RD")] and lab.ipsec_sa_remotes() == [ALI_SLAVE]
    assert "Reason: DPD timeout" in lab.logbuffer()
    lab.advance(30)  # Alibaba's DPD too
    assert lab.status("master") == "ike_sa_not_established"
    assert "seems to be dead (DPD timeout)" in lab.logs("master")
    lab.advance(9)
    assert "peer not responding" in lab.logs("master")  # its re-initiations go unanswered
    assert lab.status("slave") == "ipsec_sa_established"
    assert lab.describe()["Status"] == "ike_sa_not_established"
    # Alibaba now sends the flow through the slave tunnel...
    rep = lab.model.check_path(LOOPBACK_TARGET, 22)
    assert rep.alibaba_ip == ALI_SLAVE and rep.tunnel_id == lab.tunnel_id("slave")
    # ...but a policy-based H3C sends the replies by the FIRST matching entry (seq 10 = master):
    # Comware does not fall back to entry 20, so the path black-holes, and the reason says so
    assert rep.verdict is Verdict.BLACKHOLE
    assert "through policy POL 10 (remote 198.51.100.10), which has no IPsec SA" in rep.reason
    assert "does not fall back to the entry for 198.51.100.11" in rep.reason
    assert lab.model.verdict(LOOPBACK_TARGET, 22) is Verdict.BLACKHOLE
    assert (ALI_MASTER, "Unknown") in lab.ike_rows()  # the reply made the H3C try the master
    assert lab.ping() == 0
    # the master comes back: Alibaba's next retry re-establishes it, traffic flows through it again
    lab.model.set_down(ALI_MASTER, False)
    lab.advance(10)
    assert lab.status("master") == "ipsec_sa_established"
    assert sorted(lab.ike_rows()) == [(ALI_MASTER, "RD"), (ALI_SLAVE, "RD")]
    assert lab.ping() == 5
    rep = lab.model.check_path(LOOPBACK_TARGET, 22)
    assert rep.ok and rep.alibaba_ip == ALI_MASTER


def test_slave_down_changes_nothing_for_traffic():
    lab = dual_lab()
    lab.model.set_down(ALI_SLAVE)
    lab.advance(41)
    assert lab.status("slave") == "ike_sa_not_established" and lab.status("master") == "ipsec_sa_established"
    assert lab.ping() == 5 and lab.model.verdict(LOOPBACK_TARGET, 22) is Verdict.OPEN


def test_master_tunnel_modified_while_the_slave_carries():
    lab = dual_lab()
    master = lab.tunnel_id("master")
    lab.api("ModifyTunnelAttribute", VpnConnectionId=lab.vco, TunnelId=master,
            **{"TunnelOptionsSpecification.CustomerGatewayId": lab.cgw,
               "TunnelOptionsSpecification.TunnelIkeConfig.Psk": "New-Master-Psk-1"})
    lab.settle()
    lab.advance(1)
    # the master renegotiates with the new key and fails: the H3C still has the old one for it
    assert lab.status("master") == "ike_sa_not_established"
    assert lab.status("slave") == "ipsec_sa_established"
    assert lab.ike_rows() == [(ALI_SLAVE, "RD")]
    lab.advance(8)
    assert "PSK mismatch" in lab.logs("master") and "PSK mismatch" not in lab.logs("slave")
    reason = lab.model.explain(LOOPBACK_TARGET)
    assert "through policy POL 10 (remote 198.51.100.10), which has no IPsec SA (master tunnel" in reason
    assert "phase 1 not established: PSK mismatch" in reason


def test_per_tunnel_parameters():
    # the two tunnels may differ; here the slave uses aes256/group14 and the H3C only speaks the master's set
    lab = Lab(dual=True)
    lab.configure()
    lab.connect(effect=True, tunnels=[(ali_ike(), ali_ipsec()),
                                      (ali_ike(IkeEncAlg="aes256", IkePfs="group14", Psk=PSK), ali_ipsec())])
    lab.vpc_route()
    lab.advance(1)
    assert lab.status("master") == "ipsec_sa_established"
    assert lab.status("slave") == "ike_sa_not_established"
    assert "encryption aes-cbc-128 (H3C) vs aes-cbc-256 (Alibaba)" in lab.logs("slave")
    assert lab.ike_rows() == [(ALI_MASTER, "RD")]
