"""Reading `display current-configuration` (§4.2.5, §5.9) and scripts; ownership of what was read."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from vpnconsole.h3c import naming
from vpnconsole.h3c.parse import (Block, parse_config, to_params, to_params_report, wildcard_network)
from vpnconsole.h3c.render import render_apply
from vpnconsole.params import psk_fingerprint
from vpnconsole.redact import Secret

from .helpers import PSK, example, v5, variant
from .test_render import foreign_config_text

ACL = naming.acl_number("classic")
PROP = naming.ike_proposal_number("classic")

# The classic profile as a V7 router shows it: #-blocks, defaults omitted (authentication-algorithm sha,
# sa duration 86400, exchange-mode main, protocol esp, encapsulation-mode tunnel, authentication-method),
# the device's own line order, the PSK only as ciphertext, global one-liners indented, `return` last.
CLASSIC_DISPLAY = f"""\
<MSR1>display current-configuration
#
 version 7.1.064, Release 0821P16
#
 sysname MSR1
#
 clock timezone Beijing add 08:00:00
#
ospf 1 router-id 192.168.0.1
 area 0.0.0.0
  network 192.168.0.0 0.0.0.255
#
 lldp global enable
#
interface GigabitEthernet0/0
 port link-mode route
 ip address 192.168.0.1 255.255.255.0
#
interface GigabitEthernet0/1
 port link-mode route
 description to ISP
 ip address 198.51.100.10 255.255.255.248
 nat outbound 3001
 ipsec apply policy VPNC-CLASSIC-POL
#
 ip route-static 0.0.0.0 0 198.51.100.9
 ip route-static 172.16.0.0 24 198.51.100.9 description VPNC-CLASSIC
#
acl advanced 3001
 rule 0 permit ip source 192.168.0.0 0.0.255.255
#
acl advanced {ACL}
 description VPNC-CLASSIC vpnconsole interesting traffic
 rule 5 permit ip source 192.168.0.0 0.0.0.255 destination 172.16.0.0 0.0.0.255
#
local-user admin class manage
 password hash $h$6$Zm9vYmFy$YmF6
 service-type ssh
 authorization-attribute user-role network-admin
#
ipsec transform-set VPNC-CLASSIC-TS
 esp encryption-algorithm aes-cbc-128
 esp authentication-algorithm sha1
 pfs dh-group2
#
ipsec policy VPNC-CLASSIC-POL 10 isakmp
 description VPNC-CLASSIC vpnconsole tunnel 1
 transform-set VPNC-CLASSIC-TS
 security acl {ACL}
 remote-address 203.0.113.20
 ike-profile VPNC-CLASSIC-IKEP1
 sa duration time-based 86400
#
ike profile VPNC-CLASSIC-IKEP1
 keychain VPNC-CLASSIC-KC1
 local-identity address 198.51.100.10
 match remote identity address 203.0.113.20 255.255.255.255
 proposal {PROP}
 dpd interval 10 retry 3 periodic
#
ike proposal {PROP}
 description VPNC-CLASSIC vpnconsole
 encryption-algorithm aes-cbc-128
 dh group2
#
ike keychain VPNC-CLASSIC-KC1
 pre-shared-key address 203.0.113.20 255.255.255.255 key cipher $c$3$Qm9ndXNDaXBoZXJUZXh0Rm9yRG9jcw==
#
 ssh server enable
#
return
<MSR1>"""


def test_classic_display_reads_back_as_the_profile():
    config = parse_config(CLASSIC_DISPLAY, "classic", "comware7")
    assert config.warnings == []
    assert config.complete
    assert config.sysname == "MSR1" and config.version.startswith("7.1")
    params, notes = to_params_report(config, "classic")
    assert notes == []
    assert params == example("classic").params(None)  # Comware never shows the PSK: fingerprint unknown
    assert params.tunnels[0].psk_fingerprint is None
    assert to_params(config, "classic", wan_interface="GigabitEthernet0/1") == params
    assert to_params(config, "classic", wan_interface="GE0/1") == params  # abbreviations understood


def test_display_structure_is_kept_generically():
    config = parse_config(CLASSIC_DISPLAY, "classic", "comware7")
    headers = [b.header for b in config.blocks]
    assert headers == ["ospf 1 router-id 192.168.0.1", "local-user admin class manage"]
    assert config.blocks[0].lines == ["area 0.0.0.0", "network 192.168.0.0 0.0.0.255"]
    assert " ip route-static" not in "".join(config.globals)
    assert "ssh server enable" in config.globals and "lldp global enable" in config.globals
    wan = config.interface("GigabitEthernet0/1")
    assert wan.applied_policy == "VPNC-CLASSIC-POL" and wan.applied_form == "apply"
    assert wan.nat_acls == [3001] and wan.primary_ip == "198.51.100.10"
    assert wan.extra == ["port link-mode route"] and wan.description == "to ISP"
    assert [r.network for r in config.routes] == ["0.0.0.0/0", "172.16.0.0/24"]
    assert config.ike_keychains["VPNC-CLASSIC-KC1"].keys[0].cipher.startswith("$c$3$")
    assert config.ike_proposals[PROP].authentication is None  # omitted = default sha


def test_ownership_of_the_display():
    config = parse_config(CLASSIC_DISPLAY, "classic", "comware7")
    ours = {(type(o).__name__, getattr(o, "name", None) or getattr(o, "number", None) or getattr(o, "network", None))
            for o in config.owned()}
    assert ours == {("Acl", ACL), ("IkeProposal", PROP), ("IkeKeychain", "VPNC-CLASSIC-KC1"),
                    ("IkeProfile", "VPNC-CLASSIC-IKEP1"), ("TransformSet", "VPNC-CLASSIC-TS"),
                    ("IpsecPolicy", "VPNC-CLASSIC-POL"), ("Interface", "GigabitEthernet0/1"),
                    ("StaticRoute", "172.16.0.0/24")}
    assert not config.acls[3001].ours
    assert not any(b.ours for b in config.blocks)
    assert config.owned("classic-2") == []


def test_foreign_objects_are_never_ours():
    config = parse_config(foreign_config_text(), "classic", "comware7")
    assert config.warnings == []
    assert not config.ike_profiles["OTHER"].ours
    assert not config.ike_keychains["OTHER-KC"].ours
    assert not config.policies[("OTHER-POL", 10)].ours
    assert not config.interfaces["GIGABITETHERNET0/2"].ours
    assert not config.ike_proposals[960].ours  # in the reserved range but without our marker
    assert not config.acls[3960].ours  # in the reserved range, someone else's description
    rules = config.acls[3001].rules
    assert [i for i, r in sorted(rules.items()) if r.ours] == [1]  # not 0 (other comment), 2 (none), 3 (other lab)
    routes = {r.network: r.ours for r in config.routes}
    assert routes == {"0.0.0.0/0": False, "172.16.0.0/24": True, "172.17.0.0/16": False, "10.1.0.0/24": False}
    # the neighbour lab sees exactly its own rule and route
    other = parse_config(foreign_config_text(), "classic-2", "comware7")
    assert {type(o).__name__ for o in other.owned()} == {"AclRule", "StaticRoute"}
    # and the foreign objects do not disturb our parameters
    params = to_params(config, "classic")
    assert params == variant(example("classic"), **{"onprem.nat_outbound_acl": 3001}).params(None)


def test_our_name_without_our_marker_is_not_ours():
    text = CLASSIC_DISPLAY.replace(" description VPNC-CLASSIC vpnconsole tunnel 1\n", " description by hand\n")
    text = text.replace(" description VPNC-CLASSIC vpnconsole\n", "")
    config = parse_config(text, "classic", "comware7")
    assert not config.policies[("VPNC-CLASSIC-POL", 10)].ours
    assert not config.ike_proposals[PROP].ours
    assert config.transform_sets["VPNC-CLASSIC-TS"].ours  # named objects: the name is the marker


def test_case_insensitive_names():
    text = CLASSIC_DISPLAY.replace("ike-profile VPNC-CLASSIC-IKEP1", "ike-profile vpnc-classic-ikep1")
    config = parse_config(text, "classic", "comware7")
    assert to_params(config, "classic") == example("classic").params(None)


def test_rendered_script_reads_back_with_the_fingerprint():
    for name in ("classic", "dual-tunnel", "hardened"):
        p = example(name)
        plan = render_apply(p, Secret(PSK, "psk"))
        config = parse_config(plan.script(reveal=True), name, "comware7")
        assert config.warnings == [] and config.complete
        assert to_params(config, name) == p.params(psk_fingerprint(PSK))
        assert PSK not in repr(config) and PSK not in str(config.warnings)


def test_unindented_script_without_quits():
    text = f"""system-view
acl advanced {ACL}
description VPNC-CLASSIC vpnconsole interesting traffic
rule permit ip source 192.168.0.0 0.0.0.255 destination 172.16.0.0 0.0.0.255
ike proposal {PROP}
encryption-algorithm aes-cbc-128
authentication-algorithm sha
dh group2
ike keychain VPNC-CLASSIC-KC1
pre-shared-key address 203.0.113.20 255.255.255.255 key simple {PSK}
ike profile VPNC-CLASSIC-IKEP1
keychain VPNC-CLASSIC-KC1
local-identity address 198.51.100.10
match remote identity address 203.0.113.20 255.255.255.255
proposal {PROP}
dpd interval 10 retry 3 periodic
ipsec transform-set VPNC-CLASSIC-TS
esp encryption-algorithm aes-cbc-128
esp authentication-algorithm sha1
pfs dh-group2
ipsec policy VPNC-CLASSIC-POL 10 isakmp
security acl {ACL}
transform-set VPNC-CLASSIC-TS
remote-address 203.0.113.20
ike-profile VPNC-CLASSIC-IKEP1
sa duration time-based 86400
ip route-static 172.16.0.0 255.255.255.0 198.51.100.9 description VPNC-CLASSIC
interface GigabitEthernet0/1
ipsec apply policy VPNC-CLASSIC-POL
return
save force
"""
    config = parse_config(text, "classic", "comware7")
    assert config.warnings == []
    assert list(config.acls[ACL].rules) == [0]  # no id given: the device numbers from 0
    assert to_params(config, "classic") == example("classic").params(psk_fingerprint(PSK))


def test_ikev2_display_with_nested_peers():
    p = example("dual-tunnel")
    text = """\
#
acl advanced 3980
 description VPNC-DUAL-TUNNEL vpnconsole interesting traffic
 rule 5 permit ip source 192.168.0.0 0.0.0.255 destination 172.16.0.0 0.0.255.255
#
ikev2 proposal VPNC-DUAL-TUNNEL-V2PROP
 encryption aes-cbc-256
 integrity sha256
 prf sha256
 dh group14
#
ikev2 policy VPNC-DUAL-TUNNEL-V2POL
 proposal VPNC-DUAL-TUNNEL-V2PROP
#
ikev2 keychain VPNC-DUAL-TUNNEL-KC1
 peer VPNC-DUAL-TUNNEL-PEER1
  address 203.0.113.60 32
  identity address 203.0.113.60
  pre-shared-key ciphertext $c$3$QUJD
 peer SPARE
  address 192.0.2.9 32
  pre-shared-key ciphertext $c$3$REVG
#
ikev2 keychain VPNC-DUAL-TUNNEL-KC2
 peer VPNC-DUAL-TUNNEL-PEER2
  address 203.0.113.61 32
  identity address 203.0.113.61
  pre-shared-key ciphertext $c$3$QUJD
#
ikev2 profile VPNC-DUAL-TUNNEL-IKEP1
 authentication-method local pre-share
 authentication-method remote pre-share
 keychain VPNC-DUAL-TUNNEL-KC1
 identity local address 198.51.100.50
 match remote identity address 203.0.113.60 32
 dpd interval 10 periodic
#
ikev2 profile VPNC-DUAL-TUNNEL-IKEP2
 authentication-method local pre-share
 authentication-method remote pre-share
 keychain VPNC-DUAL-TUNNEL-KC2
 identity local address 198.51.100.50
 match remote identity address 203.0.113.61 32
 dpd interval 10 periodic
#
ipsec transform-set VPNC-DUAL-TUNNEL-TS
 esp encryption-algorithm aes-cbc-256
 esp authentication-algorithm sha256
 pfs dh-group14
#
ipsec policy VPNC-DUAL-TUNNEL-POL 10 isakmp
 description VPNC-DUAL-TUNNEL vpnconsole tunnel 1
 transform-set VPNC-DUAL-TUNNEL-TS
 security acl 3980
 remote-address 203.0.113.60
 ikev2-profile VPNC-DUAL-TUNNEL-IKEP1
 sa duration time-based 86400
#
ipsec policy VPNC-DUAL-TUNNEL-POL 20 isakmp
 description VPNC-DUAL-TUNNEL vpnconsole tunnel 2
 transform-set VPNC-DUAL-TUNNEL-TS
 security acl 3980
 remote-address 203.0.113.61
 ikev2-profile VPNC-DUAL-TUNNEL-IKEP2
 sa duration time-based 86400
#
interface GigabitEthernet0/1
 ipsec apply policy VPNC-DUAL-TUNNEL-POL
#
 ip route-static 172.16.0.0 16 198.51.100.49 description VPNC-DUAL-TUNNEL
#
return
"""
    assert naming.acl_number("dual-tunnel") == 3980
    config = parse_config(text, "dual-tunnel", "comware7")
    assert config.warnings == []
    assert sorted(config.ikev2_keychains["VPNC-DUAL-TUNNEL-KC1"].peers) == ["SPARE", "VPNC-DUAL-TUNNEL-PEER1"]
    params, notes = to_params_report(config, "dual-tunnel")
    assert notes == []
    assert params == p.params(None)
    assert [t.cloud_ip for t in params.tunnels] == ["203.0.113.60", "203.0.113.61"]


CLASSIC_V5_DISPLAY = f"""\
#
 version 5.20, Release 2516P16
#
 sysname MSR1
#
acl number 3001
 rule 0 permit ip source 192.168.0.0 0.0.255.255
#
acl number {ACL}
 description VPNC-CLASSIC vpnconsole interesting traffic
 rule 5 permit ip source 192.168.0.0 0.0.0.255 destination 172.16.0.0 0.0.0.255
#
ike proposal {PROP}
 encryption-algorithm aes-cbc 128
 dh group2
#
ike dpd VPNC-CLASSIC-DPD
 interval-time 10
 time-out 5
#
ike peer VPNC-CLASSIC-PEER1
 proposal {PROP}
 pre-shared-key cipher $c$3$QUJDREVGRw==
 remote-address 203.0.113.20
 local-address 198.51.100.10
 nat traversal
 dpd VPNC-CLASSIC-DPD
#
ipsec proposal VPNC-CLASSIC-PROP
 esp authentication-algorithm sha1
 esp encryption-algorithm aes 128
#
ipsec policy VPNC-CLASSIC-POL 10 isakmp
 security acl {ACL}
 ike-peer VPNC-CLASSIC-PEER1
 proposal VPNC-CLASSIC-PROP
 pfs dh-group2
 sa duration time-based 86400
#
interface GigabitEthernet0/1
 port link-mode route
 ip address 198.51.100.10 255.255.255.248
 nat outbound 3001
 ipsec policy VPNC-CLASSIC-POL
#
 ip route-static 0.0.0.0 0.0.0.0 198.51.100.9
 ip route-static 172.16.0.0 255.255.255.0 198.51.100.9 description VPNC-CLASSIC
#
user-interface con 0
user-interface vty 0 4
 authentication-mode scheme
#
return
"""


def test_classic_v5_display():
    config = parse_config(CLASSIC_V5_DISPLAY, "classic", "comware5")
    assert config.warnings == []
    params, notes = to_params_report(config, "classic")
    assert notes == []
    assert params == v5(example("classic")).params(None)
    # V5 proposals carry no description: ours because our own peer uses it
    assert config.ike_proposals[PROP].ours
    assert [b.header for b in config.blocks] == ["user-interface con 0", "user-interface vty 0 4"]
    # the platform is recognised from the text when not given
    assert parse_config(CLASSIC_V5_DISPLAY, "classic", None).platform == "comware5"
    assert parse_config(CLASSIC_DISPLAY, "classic", None).platform == "comware7"


def test_v5_defaults_when_lines_are_omitted():
    text = CLASSIC_V5_DISPLAY.replace(" esp authentication-algorithm sha1\n", "").replace(
        " esp encryption-algorithm aes 128\n", "").replace(" encryption-algorithm aes-cbc 128\n",
                                                           " encryption-algorithm aes-cbc\n")
    params = to_params(parse_config(text, "classic", "comware5"), "classic")
    assert params.tunnels[0].ipsec.encryption == "des" and params.tunnels[0].ipsec.integrity == "md5"
    assert params.tunnels[0].ike.encryption == "aes128"


def test_v7_defaults_and_dialect_traps():
    text = CLASSIC_DISPLAY.replace(" dh group2\n", "").replace(" sa duration time-based 86400\n", "")
    params, notes = to_params_report(parse_config(text, "classic", "comware7"), "classic")
    t = params.tunnels[0]
    assert t.ike.dh_group == "group1" and t.ipsec.lifetime == 3600 and notes == []
    # `sha1` where the V7 IKE proposal says `sha`: read, but noted as the wrong dialect spelling
    text = CLASSIC_DISPLAY.replace(" dh group2\n", " dh group2\n authentication-algorithm sha1\n")
    params, notes = to_params_report(parse_config(text, "classic", "comware7"), "classic")
    assert params.tunnels[0].ike.integrity == "sha1" and any("spells" in n for n in notes)
    # aggressive mode, no DPD, no PFS
    text = CLASSIC_DISPLAY.replace(" dpd interval 10 retry 3 periodic\n", " exchange-mode aggressive\n").replace(
        " pfs dh-group2\n", "")
    t = to_params(parse_config(text, "classic", "comware7"), "classic").tunnels[0]
    assert (t.ike.mode, t.ike.dpd, t.ipsec.pfs) == ("aggressive", False, "none")


def test_missing_references_become_notes_and_none():
    text = CLASSIC_DISPLAY.replace("ipsec transform-set VPNC-CLASSIC-TS", "ipsec transform-set OTHER-TS")
    params, notes = to_params_report(parse_config(text, "classic", "comware7"), "classic")
    assert params.tunnels[0].ipsec.encryption is None
    assert any("transform-set VPNC-CLASSIC-TS does not exist" in n for n in notes)
    params, notes = to_params_report(parse_config("#\nreturn\n", "classic", "comware7"), "classic")
    assert params.tunnels == () and notes


def test_truncated_text_gives_what_is_there_and_a_warning():
    cut = CLASSIC_DISPLAY[: CLASSIC_DISPLAY.index("ike profile VPNC")]
    config = parse_config(cut, "classic", "comware7")
    assert not config.complete
    assert any("truncated" in w.message for w in config.warnings)
    assert ("VPNC-CLASSIC-POL", 10) in config.policies
    params = to_params(config, "classic")
    assert params.tunnels[0].cloud_ip == "203.0.113.20" and params.tunnels[0].ike.encryption is None


def test_garbage_gives_warnings_not_tracebacks():
    text = ("\x00\x07garbage\r\n%Unrecognized command found at '^' position.\n   ^\n"
            "ike proposal banana\n encryption-algorithm\nacl advanced\n rule x permit\n"
            "acl advanced 3950\n rule 5 permit ip source 10.0.0.0 0.255.0.255 destination 1.2.3.4 0\n"
            " rule 6 comment\n rule banana\n"
            "ike keychain K\n pre-shared-key address 1.2.3.4 key simple\n pre-shared-key\n"
            "ip route-static 300.1.1.1 16 1.1.1.1\nip route-static\n"
            "ipsec policy P 10 isakmp\n sa duration time-based soon\n security acl\n"
            "  ---- More ----\x1b[16D                \x1b[16D return\n")
    config = parse_config(text, "lab", "comware7")
    assert len(config.warnings) >= 8
    assert all(isinstance(str(w), str) for w in config.warnings)
    assert to_params(config, "lab").tunnels == ()
    assert parse_config(b"\xff\xfe binary \x00", "lab", "comware7").warnings
    assert parse_config("", "lab", "comware7").warnings == []
    assert parse_config(None, "lab", "comware7").warnings  # type: ignore[arg-type]


def test_warnings_never_show_a_psk():
    text = f"ike keychain K\n pre-shared-key address 1.2.3.4 key bogus {PSK}\n"
    config = parse_config(text, "lab", "comware7")
    assert config.warnings and PSK not in " ".join(str(w) for w in config.warnings)


def test_device_noise_is_ignored():
    noisy = CLASSIC_DISPLAY.replace("#\n ssh server enable\n", "#\n ssh server enable\n  ---- More ----\n")
    noisy = noisy.replace("\n", "\r\n")
    config = parse_config(noisy, "classic", "comware7")
    assert config.warnings == []
    assert to_params(config, "classic") == example("classic").params(None)


def test_script_undo_lines_apply():
    p = example("classic")
    plan = render_apply(p, Secret(PSK, "psk"))
    text = plan.script(reveal=True) + ("system-view\nipsec transform-set VPNC-CLASSIC-TS\n undo pfs\nquit\n"
                                       "ike profile VPNC-CLASSIC-IKEP1\n undo dpd\nquit\nreturn\n")
    t = to_params(parse_config(text, "classic", "comware7"), "classic").tunnels[0]
    assert t.ipsec.pfs == "none" and t.ike.dpd is False


def test_wildcards():
    assert wildcard_network("192.168.10.0", "0.0.0.255") == "192.168.10.0/24"
    assert wildcard_network("10.0.0.5", "0.0.0.0") == "10.0.0.5/32"
    assert wildcard_network("10.0.0.5", "0") == "10.0.0.5/32"  # how the device shows a host
    assert wildcard_network("172.16.0.0", "0.15.255.255") == "172.16.0.0/12"
    assert wildcard_network("10.0.0.0", "0.255.0.255") is None
    assert wildcard_network("nope", "0.0.0.0") is None


LINES = st.sampled_from([
    "#", "return", "quit", "system-view", "acl advanced 3950", "acl number 3001", " description x",
    " rule 5 permit ip source 10.0.0.0 0.0.0.255 destination 10.1.0.0 0.0.0.255", " rule 1 comment y",
    "ike proposal 950", " encryption-algorithm aes-cbc-128", " dh group14", "ike keychain K",
    " pre-shared-key address 1.1.1.1 255.255.255.255 key simple abc", "ike profile P", " keychain K",
    " proposal 950", " dpd interval 10 retry 3 periodic", "ipsec transform-set T", " esp encryption-algorithm",
    "ipsec policy X 10 isakmp", " security acl 3950", " transform-set T", " ike-profile P", " remote-address 1.1.1.1",
    "interface GigabitEthernet0/0", " ipsec apply policy X", " ip route-static 10.1.0.0 24 1.1.1.2",
    "ikev2 keychain K2", " peer Q", "  address 1.1.1.1 32", "  pre-shared-key plaintext",
    "undo ipsec policy X", "undo acl advanced 3950", " undo rule 5", "ike peer V5", " nat traversal",
])


@settings(max_examples=100, deadline=None)
@given(lines=st.lists(st.one_of(LINES, st.text(max_size=40)), max_size=40))
def test_parser_never_raises(lines):
    text = "\n".join(lines)
    for platform in ("comware7", "comware5", None):
        config = parse_config(text, "lab", platform)
        to_params_report(config, "lab")
        to_params_report(config, None, wan_interface="GigabitEthernet0/0")
        for obj in config.all_objects():
            naming.is_ours(obj, "lab", platform=config.platform, config=config)
    assert all(isinstance(b, Block) for b in config.blocks)
