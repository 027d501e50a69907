"""Display layouts of the simulated H3C against the reference samples (h3c-comware-ipsec.md §5)."""

from __future__ import annotations

import re

import pytest
import textfsm
from ntc_templates.parse import parse_output

from vpnconsole.lab.h3c.state import IkeSa, IpsecSa


def lines_of(text: str) -> list[str]:
    """Output lines between the echoed command and the trailing prompt."""
    parts = text.split("\r\n")
    return parts[1:-1]


SAMPLE_IKE_PROPOSAL = """\
 Priority Authentication Authentication Encryption  Diffie-Hellman Duration
              method       algorithm    algorithm       group      (seconds)
----------------------------------------------------------------------------
 950      PRE-SHARED-KEY     SHA256     AES-CBC-128 Group 14       86400
 default  PRE-SHARED-KEY     SHA1       DES-CBC     Group 1        86400"""

SAMPLE_ROUTES = """
Destinations : 9        Routes : 9

Destination/Mask   Proto   Pre Cost        NextHop         Interface
0.0.0.0/0          Static  60  0           203.0.113.1     GE0/0
127.0.0.0/8        Direct  0   0           127.0.0.1       InLoop0
127.0.0.1/32       Direct  0   0           127.0.0.1       InLoop0
172.16.0.0/16      Static  60  0           203.0.113.1     GE0/0
192.168.10.0/24    Direct  0   0           192.168.10.1    GE0/1
192.168.10.1/32    Direct  0   0           127.0.0.1       InLoop0
203.0.113.0/30     Direct  0   0           203.0.113.2     GE0/0
203.0.113.2/32     Direct  0   0           127.0.0.1       InLoop0
255.255.255.255/32 Direct  0   0           127.0.0.1       InLoop0"""

SAMPLE_ROUTE_ONE = """
Summary count : 1

Destination/Mask   Proto   Pre Cost        NextHop         Interface
172.16.0.0/16      Static  60  0           203.0.113.1     GE0/0"""

SAMPLE_POLICY = """\
-------------------------------------------
IPsec Policy: ALIVPN-POL
Interface: GigabitEthernet0/0
-------------------------------------------

  -----------------------------
  Sequence number: 10
  Mode: ISAKMP
  -----------------------------
  Description: ALIVPN-managed
  Security data flow: 3950
  Selector mode: standard
  Local address:
  Remote address: 198.51.100.20
  Transform set: ALIVPN-TS
  IKE profile: ALIVPN-IKEP
  IKEv2 profile:
  SA duration(time based): 86400 seconds
  SA duration(traffic based):
  SA idle time:"""

SAMPLE_IKE_SA = """\
    Connection-ID   Local               Remote              Flag      DOI
-------------------------------------------------------------------------
    3               203.0.113.2         198.51.100.20       RD        IPsec
Flags:
RD--READY RL--REPLACED FD-FADING RK-REKEY"""

SAMPLE_IKE_SA_VERBOSE = """\
   -----------------------------------------------
   Connection ID: 3
   Outside VPN:
   Inside VPN:
   Profile: ALIVPN-IKEP
   Transmitting entity: Initiator
   Initiator cookie: 5c1e9a07b23d44f1
   Responder cookie: 9a0f6b2c7e41d5a8
   -----------------------------------------------
   Local IP/port: 203.0.113.2/500
   Local ID type: IPV4_ADDR
   Local ID: 203.0.113.2

   Remote IP/port: 198.51.100.20/500
   Remote ID type: IPV4_ADDR
   Remote ID: 198.51.100.20

   Authentication-method: PRE-SHARED-KEY
   Authentication-algorithm: SHA256
   Encryption-algorithm: AES-CBC-128

   Life duration(sec): 86400
   Remaining key duration(sec): 85934
   Exchange-mode: Main
   Diffie-Hellman group: Group 14
   NAT traversal: Not detected

   Extend authentication: Disabled
   Assigned IP address:
   Vendor ID index:0xffffffff
   Vendor ID sequence number:0x0"""

SAMPLE_IPSEC_SA = """\
-------------------------------
Interface: GigabitEthernet0/0
-------------------------------

  -----------------------------
  IPsec policy: ALIVPN-POL
  Sequence number: 10
  Mode: ISAKMP
  -----------------------------
    Tunnel id: 0
    Encapsulation mode: tunnel
    Perfect Forward Secrecy: dh-group14
    Inside VPN:
    Extended Sequence Numbers enable: N
    Traffic Flow Confidentiality enable: N
    Transmitting entity: Initiator
    Path MTU: 1420
    Tunnel:
        local  address: 203.0.113.2
        remote address: 198.51.100.20
    Flow:
        sour addr: 192.168.10.0/255.255.255.0  port: 0  protocol: ip
        dest addr: 172.16.0.0/255.255.0.0  port: 0  protocol: ip

    [Inbound ESP SAs]
      SPI: 2851946721 (0xa9fd5ae1)
      Connection ID: 4294967300
      Transform set: ESP-ENCRYPT-AES-CBC-128 ESP-AUTH-SHA256
      SA duration (kilobytes/sec): 1843200/86400
      SA remaining duration (kilobytes/sec): 1843180/86211
      Max received sequence-number: 37
      Anti-replay check enable: Y
      Anti-replay window size: 64
      UDP encapsulation used for NAT traversal: N
      Status: Active

    [Outbound ESP SAs]
      SPI: 3365412077 (0xc897a5ed)
      Connection ID: 4294967301
      Transform set: ESP-ENCRYPT-AES-CBC-128 ESP-AUTH-SHA256
      SA duration (kilobytes/sec): 1843200/86400
      SA remaining duration (kilobytes/sec): 1843179/86211
      Max sent sequence-number: 38
      UDP encapsulation used for NAT traversal: N
      Status: Active"""

SAMPLE_SA_BRIEF = """\
-----------------------------------------------------------------------
Interface/Global   Dst Address      SPI         Protocol  Status
-----------------------------------------------------------------------
GE0/0              198.51.100.20    3365412077  ESP       Active
GE0/0              203.0.113.2      2851946721  ESP       Active"""

SAMPLE_TUNNEL_BRIEF = """\
----------------------------------------------------------------------------
Tunn-id   Src Address     Dst Address     Inbound SPI   Outbound SPI  Status
----------------------------------------------------------------------------
0         203.0.113.2     198.51.100.20   2851946721    3365412077    Active"""

SAMPLE_TUNNEL = """\
Tunnel ID: 0
Status: Active
Perfect forward secrecy: dh-group14
SA's SPI:
    outbound:  3365412077  (0xc897a5ed)   [ESP]
    inbound:   2851946721  (0xa9fd5ae1)   [ESP]
Tunnel:
    local  address: 203.0.113.2
    remote address: 198.51.100.20
Flow:
    sour addr: 192.168.10.0/255.255.255.0  port: 0  protocol: ip
    dest addr: 172.16.0.0/255.255.0.0  port: 0  protocol: ip"""

SAMPLE_INCLUDE = """\
 rule 1 comment ALIVPN-nat-exempt
 description ALIVPN-managed interesting traffic
 description ALIVPN-managed
ike keychain ALIVPN-KC
ike profile ALIVPN-IKEP
 keychain ALIVPN-KC
ipsec transform-set ALIVPN-TS
ipsec policy ALIVPN-POL 10 isakmp
 description ALIVPN-managed
 transform-set ALIVPN-TS
 ike-profile ALIVPN-IKEP
 ipsec apply policy ALIVPN-POL
 ip route-static 172.16.0.0 16 203.0.113.1 description ALIVPN"""

# §5.9 object rendering (the keychain line is checked separately: the cipher text is per device)
SAMPLE_CONFIG_BLOCKS = """\
#
acl advanced 3950
 description ALIVPN-managed interesting traffic
 rule 5 permit ip source 192.168.10.0 0.0.0.255 destination 172.16.0.0 0.0.255.255
#
ike proposal 950
 description ALIVPN-managed
 encryption-algorithm aes-cbc-128
 dh group14
 authentication-algorithm sha256
#
ike keychain ALIVPN-KC
#
ike profile ALIVPN-IKEP
 keychain ALIVPN-KC
 local-identity address 203.0.113.2
 match remote identity address 198.51.100.20 255.255.255.255
 proposal 950
 dpd interval 10 retry 3 periodic
#
ipsec transform-set ALIVPN-TS
 esp encryption-algorithm aes-cbc-128
 esp authentication-algorithm sha256
 pfs dh-group14
#
ipsec policy ALIVPN-POL 10 isakmp
 description ALIVPN-managed
 transform-set ALIVPN-TS
 security acl 3950
 remote-address 198.51.100.20
 ike-profile ALIVPN-IKEP
 sa duration time-based 86400
#
interface NULL0
#
interface GigabitEthernet0/0
 port link-mode route
 ip address 203.0.113.2 255.255.255.252
 nat outbound 3001
 ipsec apply policy ALIVPN-POL
#"""


@pytest.fixture
def configured(h3c_make_device):
    return h3c_make_device(configured=True)


def _fix_hex(sample: str) -> str:
    """The reference samples pair each decimal SPI with a hex value that does not equal it
    (0xa9fd5ae1 != 2851946721); a device prints the consistent pair, so the test does too."""
    return sample.replace("0xa9fd5ae1", f"0x{2851946721:08x}").replace("0xc897a5ed", f"0x{3365412077:08x}")


def _install_sample_sas(dev):
    """Put the SA rows of the reference samples into the runtime tables (fixed SPIs/clock)."""
    now = dev.now()
    dev.runtime.ike_sas.append(IkeSa(
        3, "ikev1", "203.0.113.2", "198.51.100.20", "RD", "ALIVPN-IKEP", now - 466, 86400,
        initiator_cookie="5c1e9a07b23d44f1", responder_cookie="9a0f6b2c7e41d5a8",
        local_id=("IPV4_ADDR", "203.0.113.2"), remote_id=("IPV4_ADDR", "198.51.100.20"),
        authentication="sha256", encryption="aes-cbc-128", dh="group14"))
    dev.runtime.ipsec_sas.append(IpsecSa(
        0, "GigabitEthernet0/0", "ALIVPN-POL", 10, "203.0.113.2", "198.51.100.20",
        ("192.168.10.0", "255.255.255.0"), ("172.16.0.0", "255.255.0.0"), 2851946721, 3365412077,
        4294967300, 4294967301, "aes-cbc-128", "sha256", "group14", 86400, 1843200, now - 189, 3,
        in_seq=37, out_seq=38, in_bytes=20 * 1024, out_bytes=21 * 1024))


def test_display_ike_proposal_exact(configured):
    assert "\r\n".join(lines_of(configured.cli("display ike proposal"))) == SAMPLE_IKE_PROPOSAL.replace("\n", "\r\n")


def test_display_routing_table_exact_and_single_destination(configured):
    assert "\r\n".join(lines_of(configured.cli("display ip routing-table"))) == SAMPLE_ROUTES.replace("\n", "\r\n")
    assert "\r\n".join(lines_of(configured.cli("display ip routing-table 172.16.1.10"))) == \
        SAMPLE_ROUTE_ONE.replace("\n", "\r\n")
    assert "172.16.0.0/16" in configured.cli("display ip routing-table 172.16.0.0 16")


def test_routing_table_parses_with_ntc_template(configured):
    raw = "\n".join(lines_of(configured.cli("display ip routing-table")))
    rows = parse_output(platform="hp_comware", command="display ip routing-table", data=raw)
    assert len(rows) == 9
    assert rows[0] == {"network": "0.0.0.0", "prefix_length": "0", "protocol": "Static", "distance": "60",
                       "metric": "0", "nexthop_ip": "203.0.113.1", "nexthop_if": "GE0/0"}
    one = parse_output(platform="hp_comware", command="display ip routing-table 172.16.1.10",
                       data="\n".join(lines_of(configured.cli("display ip routing-table 172.16.1.10"))))
    assert [r["network"] for r in one] == ["172.16.0.0"]


def test_routing_table_ecmp_and_v5_layout_parse(h3c_make_device):
    dev = h3c_make_device()
    dev.cli("system-view", "interface g0/2", "ip address 10.9.9.1 24", "quit",
            "ip route-static 172.20.0.0 16 203.0.113.1", "ip route-static 172.20.0.0 16 10.9.9.2",
            "ip route-static 172.21.0.0 16 10.99.0.1")  # unresolvable next hop: inactive
    raw = "\n".join(lines_of(dev.cli("display ip routing-table")))
    assert "172.21.0.0" not in raw
    assert re.search(r"^ {43}10\.9\.9\.2 +GE0/2$", raw, re.M)
    rows = parse_output(platform="hp_comware", command="display ip routing-table", data=raw)
    assert [r["nexthop_ip"] for r in rows if r["network"] == "172.20.0.0"] == ["203.0.113.1", "10.9.9.2"]
    v5 = h3c_make_device("v5")
    raw5 = "\n".join(lines_of(v5.cli("display ip routing-table")))
    assert raw5.startswith("Routing Tables: Public")
    assert len(parse_output(platform="hp_comware", command="display ip routing-table", data=raw5)) == 8


def test_display_ipsec_policy_exact_and_incomplete_reasons(configured):
    assert "\r\n".join(lines_of(configured.cli("display ipsec policy ALIVPN-POL"))) == SAMPLE_POLICY.replace("\n", "\r\n")
    configured.cli("system-view", "ipsec policy NEW 5 isakmp", "transform-set NOPE")
    out = configured.cli("display ipsec policy NEW 5")
    assert "Interface:" not in out  # not applied anywhere (reference §8)
    assert "  The policy configuration is incomplete:\r\n" in out
    for reason in ("ACL not specified", "Incomplete transform-set configuration", "Remote-address not set"):
        assert " " * 19 + reason + "\r\n" in out
    configured.cli("system-view", "ipsec policy NEW 5", "undo transform-set")
    assert "Transform-set not set" in configured.cli("display ipsec policy NEW")


def test_display_sa_tables_exact(configured):
    _install_sample_sas(configured)
    j = lambda cmd: "\r\n".join(lines_of(configured.cli(cmd)))  # noqa: E731
    assert j("display ike sa") == SAMPLE_IKE_SA.replace("\n", "\r\n")
    assert j("display ike sa verbose") == SAMPLE_IKE_SA_VERBOSE.replace("\n", "\r\n")
    assert j("display ike sa verbose connection-id 3") == SAMPLE_IKE_SA_VERBOSE.replace("\n", "\r\n")
    assert j("display ike sa verbose connection-id 4") == ""
    assert j("display ipsec sa") == _fix_hex(SAMPLE_IPSEC_SA).replace("\n", "\r\n")
    assert j("display ipsec sa policy ALIVPN-POL 10") == _fix_hex(SAMPLE_IPSEC_SA).replace("\n", "\r\n")
    assert j("display ipsec sa remote 198.51.100.20") == _fix_hex(SAMPLE_IPSEC_SA).replace("\n", "\r\n")
    assert j("display ipsec sa remote 198.51.100.21") == ""
    assert j("display ipsec sa brief") == SAMPLE_SA_BRIEF.replace("\n", "\r\n")
    assert j("display ipsec sa count") == "Total IPsec SAs count: 2"
    assert j("display ipsec tunnel brief") == SAMPLE_TUNNEL_BRIEF.replace("\n", "\r\n")
    assert j("display ipsec tunnel count") == "Total IPsec Tunnel Count: 1"
    assert j("display ipsec tunnel tunnel-id 0") == _fix_hex(SAMPLE_TUNNEL).replace("\n", "\r\n")


def test_reference_textfsm_templates_parse_sim_output(configured):
    """The self-written templates of reference §5.12 parse the simulator's SA displays."""
    _install_sample_sas(configured)
    ike_tpl = """Value CONNECTION_ID (\\d+)
Value LOCAL (\\d+\\.\\d+\\.\\d+\\.\\d+|\\S+:\\S+)
Value REMOTE (\\S+)
Value FLAG (\\S+)
Value DOI (\\S+)

Start
  ^\\s*Connection-ID\\s+Local\\s+Remote -> WithLocal
  ^\\s*Connection-ID\\s+Remote -> NoLocal
  ^\\s*$$
  ^.*$$

WithLocal
  ^\\s*-+\\s*$$
  ^\\s*${CONNECTION_ID}\\s+${LOCAL}\\s+${REMOTE}\\s+${FLAG}\\s+${DOI}\\s*$$ -> Record
  ^\\s*Flags: -> End
  ^\\s*$$

NoLocal
  ^\\s*-+\\s*$$
  ^\\s*${CONNECTION_ID}\\s+${REMOTE}\\s+${FLAG}\\s+${DOI}\\s*$$ -> Record
  ^\\s*Flags: -> End
  ^\\s*$$
"""
    import io
    fsm = textfsm.TextFSM(io.StringIO(ike_tpl))
    rows = fsm.ParseText("\n".join(lines_of(configured.cli("display ike sa"))))
    assert rows == [["3", "203.0.113.2", "198.51.100.20", "RD", "IPsec"]]


def test_current_configuration_v7_layout(configured, h3c_psk):
    text = "\n".join(lines_of(configured.cli("display current-configuration")))
    assert text.startswith("#\n version 7.1.064, Release 0821P16\n#\n sysname MSR1\n#\n")
    assert text.endswith("\n#\nreturn")
    # keychain line carries only the cipher form
    m = re.search(r"^ pre-shared-key address 198\.51\.100\.20 255\.255\.255\.255 key cipher (\$c\$3\$\S+)$", text, re.M)
    assert m, text
    stripped = re.sub(r"^ pre-shared-key .*\n", "", text, flags=re.M)
    assert SAMPLE_CONFIG_BLOCKS in stripped
    assert "#\n ip route-static 0.0.0.0 0 203.0.113.1\n ip route-static 172.16.0.0 16 203.0.113.1 description ALIVPN\n#" in text
    assert h3c_psk not in text
    # structure: every block starts at column 0 (or is a one-space global block), ends with '#'
    for block in text.split("\n#\n")[1:-1]:
        first = block.split("\n")[0]
        assert not first.startswith("  ")


def test_include_filter_matches_reference_sample(configured):
    out = configured.cli("display current-configuration | include ALIVPN")
    assert "\r\n".join(lines_of(out)) == SAMPLE_INCLUDE.replace("\n", "\r\n")


def test_begin_exclude_and_interface_filters(configured):
    out = lines_of(configured.cli("display current-configuration | begin ^ipsec policy"))
    assert out[0] == "ipsec policy ALIVPN-POL 10 isakmp" and out[-1] == "return"
    out = lines_of(configured.cli("display current-configuration | exclude ^ "))
    assert all(not ln.startswith(" ") for ln in out)
    out = lines_of(configured.cli("display current-configuration interface GigabitEthernet0/0"))
    assert out == ["#", "interface GigabitEthernet0/0", " port link-mode route", " ip address 203.0.113.2 255.255.255.252",
                   " nat outbound 3001", " ipsec apply policy ALIVPN-POL", "#", "return"]
    bad = configured.cli("display current-configuration | include (")
    assert "% Wrong parameter found at '^' position." in bad


def test_display_this_in_sub_view(configured):
    out = configured.cli("system-view", "ike profile ALIVPN-IKEP", "display this")
    assert "[MSR1-ike-profile-ALIVPN-IKEP]display this\r\n#\r\nike profile ALIVPN-IKEP\r\n keychain ALIVPN-KC\r\n" in out
    assert out.endswith("#\r\nreturn\r\n[MSR1-ike-profile-ALIVPN-IKEP]")


def test_psk_never_displayed(h3c_make_device, h3c_psk, h3c_alibaba_peer):
    dev = h3c_make_device(configured=True, peer=h3c_alibaba_peer())
    dev.cli("system-view", "ikev2 keychain KC2", "peer P", "address 198.51.100.20 32",
            f"pre-shared-key plaintext {h3c_psk}")
    dev.cli("ping -a 192.168.10.1 172.16.1.10")
    cmds = ["display current-configuration", "display saved-configuration", "display ike sa verbose",
            "display ipsec sa", "display logbuffer", "display ike proposal", "display ipsec policy",
            "display ipsec transform-set", "display acl all", "display ikev2 sa verbose"]
    for cmd in cmds:
        assert h3c_psk not in dev.cli(cmd), cmd
    for view in (["ike keychain ALIVPN-KC"], ["ikev2 keychain KC2"], ["ikev2 keychain KC2", "peer P"]):
        out = dev.cli("system-view", *view, "display this")
        assert h3c_psk not in out.split("display this", 1)[1]
        assert "$c$3$" in out


def test_cipher_psk_roundtrip_keeps_key_working(h3c_make_device, h3c_alibaba_peer):
    """A `key cipher` copied from the config works like the original plaintext."""
    dev = h3c_make_device(configured=True, peer=h3c_alibaba_peer())
    cipher = re.search(r"key cipher (\S+)", dev.cli("display current-configuration")).group(1)
    dev.cli("system-view", "ike keychain ALIVPN-KC",
            f"pre-shared-key address 198.51.100.20 255.255.255.255 key cipher {cipher}")
    assert "4 packet(s) received" in dev.cli("ping -a 192.168.10.1 172.16.1.10")
    bad = dev.cli("system-view", "ike keychain ALIVPN-KC", "pre-shared-key address 198.51.100.20 key cipher plaintext")
    assert "Wrong parameter" in bad


def test_display_acl_and_transform_set(configured):
    out = lines_of(configured.cli("display acl 3950"))
    assert out[0] == "Advanced IPv4 ACL 3950, 1 rule,"
    assert " rule 5 permit ip source 192.168.10.0 0.0.0.255 destination 172.16.0.0 0.0.255.255" in out
    out = lines_of(configured.cli("display acl 3001"))
    assert out[:2] == ["Advanced IPv4 ACL 3001, 2 rules,", "ACL's step is 5, start ID is 0"]
    assert " rule 1 comment ALIVPN-nat-exempt" in out
    assert "Advanced IPv4 ACL 3001" in configured.cli("display acl all")
    ts = lines_of(configured.cli("display ipsec transform-set"))
    assert ts[:2] == ["IPsec transform set: ALIVPN-TS", "  State: complete"]
    assert "    Encryption: AES-CBC-128" in ts


def test_v5_config_block_round_trip(h3c_make_device, h3c_psk):
    dev = h3c_make_device("v5", configured=True)
    out = dev.cli("display current-configuration")
    text = "\n".join(lines_of(out))
    assert text.startswith("#\n version 5.20.106, Release 2516P16\n#\n sysname MSR1\n#\n")
    for block in [
        "acl number 3950\n rule 5 permit ip source 192.168.10.0 0.0.0.255 destination 172.16.0.0 0.0.255.255",
        "ike proposal 950\n encryption-algorithm aes-cbc 128\n dh group2",
        "ike dpd ALIVPN-DPD\n#",
        "ipsec proposal ALIVPN-PROP\n esp encryption-algorithm aes 128\n esp authentication-algorithm sha1\n#",
        "ipsec policy ALIVPN-POL 10 isakmp\n security acl 3950\n ike-peer ALIVPN-PEER\n proposal ALIVPN-PROP\n"
        " pfs dh-group2\n sa duration time-based 86400\n#",
        "interface GigabitEthernet0/0\n ip address 203.0.113.2 255.255.255.252\n ipsec policy ALIVPN-POL\n#",
        " ip route-static 0.0.0.0 0.0.0.0 203.0.113.1\n#",
    ]:
        assert block in text, block
    assert re.search(r"^ike peer ALIVPN-PEER\n proposal 950\n pre-shared-key cipher \$c\$3\$\S+\n"
                     r" remote-address 198\.51\.100\.20\n nat traversal\n dpd ALIVPN-DPD\n#", text, re.M)
    assert h3c_psk not in text
    assert "Saved the current configuration" in dev.cli("save force")


def test_v5_sa_layouts(h3c_make_device, h3c_alibaba_peer):
    peer = h3c_alibaba_peer(ike_integrity="sha1", ike_dh="group2", ipsec_integrity="sha1", ipsec_pfs="group2")
    dev = h3c_make_device("v5", configured=True, peer=peer)
    assert "4 packet(s) received" in dev.cli("ping -a 192.168.10.1 172.16.1.10")
    ike = lines_of(dev.cli("display ike sa"))
    assert ike[0] == "    total phase-1 SAs:  1"
    assert re.match(r"^    1 +198\.51\.100\.20 +RD\|ST +1 +IPSEC$", ike[3])
    assert re.match(r"^    2 +198\.51\.100\.20 +RD\|ST +2 +IPSEC$", ike[4])
    sa = dev.cli("display ipsec sa")
    assert "  IPsec policy name: \"ALIVPN-POL\"" in sa and "    perfect forward secrecy: DH group 2" in sa
    assert "      proposal: ESP-ENCRYPT-AES-128 ESP-AUTH-SHA1" in sa
    assert "    [inbound ESP SAs]" in sa
