"""End to end: netmiko over SSH to the simulated H3C, the real Alibaba SDK over HTTP to the simulated
VPC API, and the OpenStack listeners on loopback with the negotiation model as their path gate —
each on its own thread, as `vpnconsole lab` runs them. Plus a concurrency test of the locking."""

from __future__ import annotations

import json
import re
import socket
import threading
import time

import pytest
from netmiko import ConnectHandler

from tests.lab.conftest_aliyun import M, make_client  # sets the SDK's environment first
from vpnconsole.lab.aliyun import AliyunVpcSim, ManualClock, ThreadedAliyunLab, Timing
from vpnconsole.lab.h3c import H3CServerThread, SimulatedH3C
from vpnconsole.lab.negotiation import Delays, LabNegotiation, Verdict
from vpnconsole.lab.openstack import run_in_thread

from .negotiation_lab import (
    ALI_SINGLE, BASE, CLOUD_HOST, LAN, NEXT_HOP, REGION, ROUTER_LAN_IP, VPC, WAN_IP, Lab, ali_ike, ali_ipsec,
    h3c_config,
)

FIP = "127.0.7.100"  # an OpenStack floating IP listener standing for 192.168.0.100 on the H3C's LAN
API_ADDR = "127.0.7.99"


def banner(lab, timeout: float = 2.0) -> bytes:
    """What an SSH client sees first from the floating IP (b"" = nothing within the timeout)."""
    with socket.create_connection((FIP, lab.floating_port(FIP, 22)), timeout=timeout) as s:
        s.settimeout(timeout)
        try:
            return s.recv(64)
        except socket.timeout:
            return b""


def test_end_to_end_netmiko_sdk_and_openstack_gate(tmp_path):
    clock = ManualClock()
    sim = AliyunVpcSim(clock=clock, timing=Timing(gateway_update_seconds=5.0, route_entry_seconds=2.0), rng_seed=11)
    vpc = sim.add_vpc(REGION, cidr="172.16.0.0/16", vswitches=[(VPC, "cn-hangzhou-h")])
    gw = sim.add_vpn_gateway(REGION, vpc.vpc_id, dual_tunnel=False, internet_ip=ALI_SINGLE)
    router = SimulatedH3C(sysname="MSR1", initial_config=BASE, clock=clock.now, seed=3)
    model = LabNegotiation(router, sim, REGION, delays=Delays(initiate=2.0, phase1=1.0, phase2=0.5),
                           targets={FIP: "192.168.0.100"}, seed=3)
    with ThreadedAliyunLab(sim) as api, \
            H3CServerThread(router, username="netops", password="s3cret!",
                            host_key_path=str(tmp_path / "ed25519")) as ssh, \
            run_in_thread(api_address=API_ADDR, floating_ips=[FIP], ephemeral_ports=True, gate=model,
                          blackhole_eof_hold_s=0.5) as osl:
        # the H3C end, through netmiko
        conn = ConnectHandler(device_type="hp_comware", host="127.0.0.1", port=ssh.port, username="netops",
                              password="s3cret!")
        try:
            out = conn.send_config_set(h3c_config(), cmd_verify=False, read_timeout=20)
            assert "% " not in out, out
            assert not re.search(r"^\s+\d+\s+\S+\s+\S+\s+(RD|Unknown)\s", conn.send_command("display ike sa"), re.M)

            # the Alibaba end, through the real SDK
            client = make_client(api, REGION)
            cgw = client.create_customer_gateway(M.CreateCustomerGatewayRequest(
                region_id=REGION, ip_address=WAN_IP)).body.customer_gateway_id
            vco = client.create_vpn_connection(M.CreateVpnConnectionRequest(
                region_id=REGION, vpn_gateway_id=gw.vpn_gateway_id, customer_gateway_id=cgw, local_subnet=VPC,
                remote_subnet=LAN, effect_immediately=True, name="vpnconsole-lab",
                ike_config=json.dumps(ali_ike()), ipsec_config=json.dumps(ali_ipsec()))).body.vpn_connection_id

            def describe():
                return client.describe_vpn_connection(M.DescribeVpnConnectionRequest(
                    region_id=REGION, vpn_connection_id=vco)).body

            clock.advance(5.1)
            d = describe()
            assert d.state == "active" and d.status == "ike_sa_not_established"
            route = client.create_route_entry(M.CreateRouteEntryRequest(
                region_id=REGION, route_table_id=vpc.system_route_table.route_table_id,
                destination_cidr_block=LAN, next_hop_type="VpnGateway", next_hop_id=gw.vpn_gateway_id))
            clock.advance(2.1)  # t=7.2: Alibaba initiated at 7.0 (2 s after the change took effect)
            assert describe().status == "ike_sa_not_established"  # phase 1 is reported at 8.0
            ike = conn.send_command("display ike sa")
            assert f"{ALI_SINGLE}       RD" in ike
            assert "Transmitting entity: Responder" in conn.send_command("display ike sa verbose")
            clock.advance(1.5)
            assert describe().status == "ipsec_sa_established"
            logs = client.describe_vpn_connection_logs(M.DescribeVpnConnectionLogsRequest(
                region_id=REGION, vpn_connection_id=vco, minute_period=10)).body.data.logs
            assert any("IPsec-SA established" in ln for ln in logs), logs
            assert "Active" in conn.send_command("display ipsec tunnel brief")
            ping = conn.send_command(f"ping -a {ROUTER_LAN_IP} {CLOUD_HOST}", read_timeout=20)
            assert "5 packet(s) received" in ping, ping

            # the OpenStack floating IP behind the H3C, reached from the VPC: the SSH banner comes back
            assert banner(osl).startswith(b"SSH-2.0-OpenSSH")

            # withdraw the VPC route: the tunnel stays up, nothing passes
            client.delete_route_entry(M.DeleteRouteEntryRequest(region_id=REGION,
                                                                route_entry_id=route.body.route_entry_id))
            clock.advance(2.1)
            assert describe().status == "ipsec_sa_established"
            assert banner(osl, timeout=0.3) == b""  # black-holed: connected, never answered
            assert model.explain(FIP) == "no VPC route for 192.168.0.0/24 (route table " \
                f"{vpc.system_route_table.route_table_id} has no entry for 192.168.0.100)"
            assert "0 packet(s) received" in conn.send_command(f"ping -a {ROUTER_LAN_IP} {CLOUD_HOST}",
                                                               read_timeout=20)
        finally:
            conn.disconnect()


def test_threads_do_not_deadlock():
    """The router's CLI, the cloud API, the gate and the clock hammer the model from four threads."""
    lab = Lab().classic(effect=True)
    lab.advance(1)
    stop = time.monotonic() + 1.5
    errors: list[BaseException] = []
    counts = {"cloud": 0, "router": 0, "gate": 0, "clock": 0}

    def loop(name, fn):
        try:
            while time.monotonic() < stop:
                fn()
                counts[name] += 1
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    def cloud():
        r = lab.call("DescribeVpnConnection", VpnConnectionId=lab.vco)
        assert r.status == 200 and r.body["Status"] in ("ipsec_sa_established", "ike_sa_not_established",
                                                        "ike_sa_established")
        lab.call("DescribeVpnConnectionLogs", VpnConnectionId=lab.vco, MinutePeriod=1)

    def router():
        lab.router.cli("display ike sa", f"ping -a {ROUTER_LAN_IP} -c 1 {CLOUD_HOST}", "display ipsec sa")

    def gate():
        assert lab.model.verdict("127.0.7.10", 22) in (Verdict.OPEN, Verdict.BLACKHOLE)

    def clock():
        lab.clock.advance(0.5)
        if counts["clock"] % 7 == 3:
            lab.router.cli("reset ipsec sa")
        time.sleep(0.005)

    threads = [threading.Thread(target=loop, args=(n, f), daemon=True)
               for n, f in (("cloud", cloud), ("router", router), ("gate", gate), ("clock", clock))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert not any(t.is_alive() for t in threads), "deadlock"
    assert not errors, errors
    assert all(v > 0 for v in counts.values()), counts
    lab.advance(1)
    assert lab.status() == "ipsec_sa_established" and lab.ping() == 5


@pytest.mark.parametrize("busy", ["router", "cloud"])
def test_the_gate_does_not_wait_for_a_busy_end(busy):
    lab = Lab().classic(effect=True)
    lab.advance(1)
    assert lab.model.verdict("127.0.7.10", 22) is Verdict.OPEN
    lab.model.lock_timeout = 0.05
    held = threading.Event()
    release = threading.Event()
    lock = lab.router.lock if busy == "router" else lab.sim.lock

    def hold():
        with lock:
            held.set()
            release.wait(5)

    t = threading.Thread(target=hold, daemon=True)
    t.start()
    held.wait(5)
    try:
        t0 = time.monotonic()
        assert lab.model.verdict("127.0.7.10", 22) is Verdict.OPEN  # the last answer for that target
        assert lab.model.verdict("127.0.7.11", 22) is Verdict.BLACKHOLE  # never asked before
        assert "busy" in lab.model.explain("127.0.7.11")
        assert time.monotonic() - t0 < 1.0
        if busy == "router":
            # the cloud API still answers while the router is busy (report() never blocks on it)
            r = lab.call("DescribeVpnConnection", VpnConnectionId=lab.vco)
            assert r.status == 200 and r.body["Status"] == "ipsec_sa_established"
    finally:
        release.set()
        t.join(5)


def test_loopback_lan_as_vpnconsole_lab_wires_it():
    """`vpnconsole lab` gives the H3C a loopback /24 as LAN so the OpenStack listeners are the on-prem
    hosts themselves: the gate needs no address map."""
    base = ("interface GigabitEthernet0/0", " ip address 203.0.113.2 255.255.255.252", "quit",
            "interface GigabitEthernet0/1", " ip address 127.0.1.1 24", "quit",
            f"ip route-static 0.0.0.0 0 {NEXT_HOP}")
    lab = Lab(base=base)
    lab.configure(acl_rules=(("127.0.1.0/24", VPC),), nat_exempt=False)
    lab.connect(effect=True, remote="127.0.1.0/24")
    with run_in_thread(api_address="127.0.1.10", floating_ips=["127.0.1.100-127.0.1.102"], ephemeral_ports=True,
                       gate=lab.model, blackhole_eof_hold_s=0.5) as osl:
        lab.advance(1)
        assert lab.status() == "ipsec_sa_established"
        with socket.create_connection(("127.0.1.101", osl.floating_port("127.0.1.101", 22)), timeout=2) as s:
            s.settimeout(0.3)
            with pytest.raises(socket.timeout):
                s.recv(64)  # no VPC route for 127.0.1.0/24 yet: black-holed
        assert lab.model.explain("127.0.1.101").startswith("no VPC route for 127.0.1.0/24")
        lab.vpc_route("127.0.1.0/24")
        with socket.create_connection(("127.0.1.101", osl.floating_port("127.0.1.101", 22)), timeout=2) as s:
            s.settimeout(2)
            assert s.recv(64).startswith(b"SSH-2.0-OpenSSH")
        assert lab.ping(src="127.0.1.1") == 5
