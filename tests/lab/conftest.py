"""Fixtures for the simulated H3C (vpnconsole.lab.h3c). All fixture names start with ``h3c_``."""

from __future__ import annotations

import pytest

from vpnconsole.lab.h3c import H3CServerThread, SimulatedH3C, StaticPeer

# WAN 203.0.113.2/30 (next hop .1) with NAT, LAN 192.168.10.1/24, default route (reference plan)
H3C_BASE_V7 = (
    "interface GigabitEthernet0/0", " ip address 203.0.113.2 255.255.255.252", " nat outbound 3001", "quit",
    "interface GigabitEthernet0/1", " ip address 192.168.10.1 24", "quit",
    "acl advanced 3001", " rule 5 permit ip source 192.168.10.0 0.0.0.255", "quit",
    "ip route-static 0.0.0.0 0 203.0.113.1",
)
H3C_BASE_V5 = (
    "interface GigabitEthernet0/0", " ip address 203.0.113.2 255.255.255.252", "quit",
    "interface GigabitEthernet0/1", " ip address 192.168.10.1 24", "quit",
    "ip route-static 0.0.0.0 0 203.0.113.1",
)

# Reference §1.2, verbatim minus comments (sent from user view)
H3C_V7_BLOCK = """system-view
acl advanced 3950
 description ALIVPN-managed interesting traffic
 rule 5 permit ip source 192.168.10.0 0.0.0.255 destination 172.16.0.0 0.0.255.255
quit
ike proposal 950
 description ALIVPN-managed
 encryption-algorithm aes-cbc-128
 authentication-algorithm sha256
 authentication-method pre-share
 dh group14
 sa duration 86400
quit
ike keychain ALIVPN-KC
 pre-shared-key address 198.51.100.20 255.255.255.255 key simple AliDemo-Psk-2024
quit
ike profile ALIVPN-IKEP
 keychain ALIVPN-KC
 exchange-mode main
 local-identity address 203.0.113.2
 match remote identity address 198.51.100.20 255.255.255.255
 proposal 950
 dpd interval 10 retry 3 periodic
quit
ipsec transform-set ALIVPN-TS
 protocol esp
 encapsulation-mode tunnel
 esp encryption-algorithm aes-cbc-128
 esp authentication-algorithm sha256
 pfs dh-group14
quit
ipsec policy ALIVPN-POL 10 isakmp
 description ALIVPN-managed
 security acl 3950
 transform-set ALIVPN-TS
 remote-address 198.51.100.20
 ike-profile ALIVPN-IKEP
 sa duration time-based 86400
quit
acl advanced 3001
 rule 1 deny ip source 192.168.10.0 0.0.0.255 destination 172.16.0.0 0.0.255.255
 rule 1 comment ALIVPN-nat-exempt
quit
ip route-static 172.16.0.0 16 203.0.113.1 description ALIVPN
interface GigabitEthernet0/0
 ipsec apply policy ALIVPN-POL
quit
return
save force""".splitlines()

# Reference §2, verbatim
H3C_V5_BLOCK = """system-view
acl number 3950
 rule 5 permit ip source 192.168.10.0 0.0.0.255 destination 172.16.0.0 0.0.255.255
quit
ike proposal 950
 encryption-algorithm aes-cbc 128
 authentication-algorithm sha
 authentication-method pre-share
 dh group2
 sa duration 86400
quit
ike dpd ALIVPN-DPD
 interval-time 10
 time-out 5
quit
ike peer ALIVPN-PEER
 exchange-mode main
 proposal 950
 pre-shared-key simple AliDemo-Psk-2024
 remote-address 198.51.100.20
 nat traversal
 dpd ALIVPN-DPD
quit
ipsec proposal ALIVPN-PROP
 transform esp
 encapsulation-mode tunnel
 esp encryption-algorithm aes 128
 esp authentication-algorithm sha1
quit
ipsec policy ALIVPN-POL 10 isakmp
 security acl 3950
 ike-peer ALIVPN-PEER
 proposal ALIVPN-PROP
 pfs dh-group2
 sa duration time-based 86400
quit
interface GigabitEthernet0/0
 ipsec policy ALIVPN-POL
quit
return
save force""".splitlines()

PSK = "AliDemo-Psk-2024"


@pytest.fixture
def h3c_psk() -> str:
    return PSK


@pytest.fixture
def h3c_v7_block() -> list[str]:
    return list(H3C_V7_BLOCK)


@pytest.fixture
def h3c_v5_block() -> list[str]:
    return list(H3C_V5_BLOCK)


@pytest.fixture
def h3c_make_device():
    """Factory: ``h3c_make_device(dialect="v7", configured=True, peer=..., **options)``."""

    def make(dialect: str = "v7", configured: bool = False, peer=None, **options) -> SimulatedH3C:
        base = H3C_BASE_V5 if dialect == "v5" else H3C_BASE_V7
        options.setdefault("sysname", "MSR1")
        options.setdefault("clock", lambda: 1764000000.0)  # fixed: deterministic lifetimes and log stamps
        dev = SimulatedH3C(dialect=dialect, initial_config=base, peer=peer, **options)
        if configured:
            dev.cli(*(H3C_V5_BLOCK if dialect == "v5" else H3C_V7_BLOCK))
        return dev

    return make


@pytest.fixture
def h3c_alibaba_peer():
    """Factory for an Alibaba-like StaticPeer matching the reference plan (override any field)."""

    def make(**kw) -> StaticPeer:
        return StaticPeer(**kw)

    return make


@pytest.fixture
def h3c_server_factory(tmp_path_factory):
    """Start simulated-H3C SSH servers in background threads; all are closed at teardown."""
    servers: list[H3CServerThread] = []

    def start(device: SimulatedH3C, legacy: bool = False, **kw) -> H3CServerThread:
        keydir = tmp_path_factory.mktemp("h3ckeys")
        srv = H3CServerThread(device, legacy=legacy, host_key_path=str(keydir / ("rsa" if legacy else "ed25519")),
                              **kw).start()
        servers.append(srv)
        return srv

    yield start
    for s in servers:
        s.close()
