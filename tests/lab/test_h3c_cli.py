"""CLI behaviour of the simulated H3C without SSH: prompts, views, errors, abbreviations, undo."""

from __future__ import annotations

import re

import pytest

from vpnconsole.lab.h3c import SimulatedH3C
from vpnconsole.lab.h3c.cli import CliError, Cursor


def session(dev: SimulatedH3C):
    s = dev.open_session()
    s.paging = False
    greeting = s.greeting()
    return s, greeting


def run(s, *lines: str) -> str:
    return "".join(s.feed("".join(line + "\r\n" for line in lines)))


def caret_block(prompt: str, line: str, kind: str, col: int) -> str:
    return f"{prompt}{line}\r\n{' ' * col}^\r\n % {kind} found at '^' position.\r\n"


@pytest.fixture
def dev(h3c_make_device):
    return h3c_make_device()


# ----------------------------------------------------------------------------------------------
# session basics
# ----------------------------------------------------------------------------------------------

def test_greeting_banner_and_user_prompt(dev):
    s, greeting = session(dev)
    assert greeting.startswith("\r\n***")
    assert "no decompiling or reverse-engineering shall be allowed." in greeting
    assert greeting.endswith("\r\n<MSR1>")


def test_press_enter_gate(h3c_make_device):
    dev = h3c_make_device(press_enter_gate=True, banner=False)
    s = dev.open_session()
    g = s.greeting()
    assert g.endswith("Press Y or ENTER to continue, N to exit.")
    assert "".join(s.feed("\n")) == "\r\n<MSR1>"
    s2 = dev.open_session()
    s2.greeting()
    s2.feed("n")
    assert s2.closed


def test_echo_crlf_bare_enter_and_prompt_without_newline(dev):
    s, g = session(dev)
    out = "".join(s.feed("\n"))
    assert out == "\r\n<MSR1>"
    out = "".join(s.feed("\r"))
    assert out == "\r\n<MSR1>"
    assert "".join(s.feed("\n")) == ""  # the LF of a CRLF split across packets is not a second Enter
    out = "".join(s.feed("system-view\r\n"))
    assert out == "system-view\r\nSystem View: return to User View with Ctrl+Z.\r\n[MSR1]"


def test_several_commands_in_one_packet_each_echoed_in_turn(dev):
    s, g = session(dev)
    chunks = s.feed("system-view\nike profile P1\nkeychain K1\nquit\n")
    assert len(chunks) == 4
    text = "".join(chunks)
    assert text == ("system-view\r\nSystem View: return to User View with Ctrl+Z.\r\n"
                    "[MSR1]ike profile P1\r\n[MSR1-ike-profile-P1]keychain K1\r\n"
                    "[MSR1-ike-profile-P1]quit\r\n[MSR1]")


def test_character_at_a_time_typing_with_backspace(dev):
    s, g = session(dev)
    out = ""
    for ch in "dis verx\x7fsion":
        out += "".join(s.feed(ch))
    assert "\b \b" in out
    out += "".join(s.feed("\r"))
    assert "H3C Comware Software, Version 7.1.064" in out


def test_quit_pops_views_and_closes_in_user_view(dev):
    s, g = session(dev)
    run(s, "system-view", "ikev2 keychain KC2", "peer ALIYUN")
    assert s.prompt() == "[MSR1-ikev2-keychain-KC2-peer-ALIYUN]"
    run(s, "quit")
    assert s.prompt() == "[MSR1-ikev2-keychain-KC2]"
    run(s, "quit", "quit")
    assert s.prompt() == "<MSR1>"
    run(s, "quit")
    assert s.closed


def test_return_and_ctrl_z(dev):
    s, g = session(dev)
    run(s, "system-view", "interface GigabitEthernet0/0")
    assert s.prompt() == "[MSR1-GigabitEthernet0/0]"
    assert run(s, "return").endswith("<MSR1>")
    run(s, "system-view", "acl advanced 3950")
    out = "".join(s.feed("\x1a"))
    assert out == "\r\n<MSR1>"
    # return does not exist in user view
    assert "Unrecognized command" in run(s, "return")


@pytest.mark.parametrize("cmd,prompt", [
    ("acl advanced 3950", "[MSR1-acl-ipv4-adv-3950]"),
    ("acl basic 2001", "[MSR1-acl-ipv4-basic-2001]"),
    ("ike proposal 950", "[MSR1-ike-proposal-950]"),
    ("ike keychain ALIVPN-KC", "[MSR1-ike-keychain-ALIVPN-KC]"),
    ("ike profile ALIVPN-IKEP", "[MSR1-ike-profile-ALIVPN-IKEP]"),
    ("ipsec transform-set ALIVPN-TS", "[MSR1-ipsec-transform-set-ALIVPN-TS]"),
    ("ipsec policy ALIVPN-POL 10 isakmp", "[MSR1-ipsec-policy-isakmp-ALIVPN-POL-10]"),
    ("interface GigabitEthernet0/0", "[MSR1-GigabitEthernet0/0]"),
    ("int g0/1", "[MSR1-GigabitEthernet0/1]"),
    ("interface LoopBack 0", "[MSR1-LoopBack0]"),
    ("ikev2 proposal P2", "[MSR1-ikev2-proposal-P2]"),
    ("ikev2 policy POL2", "[MSR1-ikev2-policy-POL2]"),
    ("ikev2 profile PR2", "[MSR1-ikev2-profile-PR2]"),
])
def test_v7_view_prompts(dev, cmd, prompt):
    s, g = session(dev)
    run(s, "system-view", cmd)
    assert s.prompt() == prompt


@pytest.mark.parametrize("cmd,prompt", [
    ("acl number 3950", "[R5-acl-adv-3950]"),
    ("ike peer ALIVPN-PEER", "[R5-ike-peer-ALIVPN-PEER]"),
    ("ike dpd ALIVPN-DPD", "[R5-ike-dpd-ALIVPN-DPD]"),
    ("ipsec proposal ALIVPN-PROP", "[R5-ipsec-proposal-ALIVPN-PROP]"),
])
def test_v5_view_prompts(h3c_make_device, cmd, prompt):
    dev = h3c_make_device("v5", sysname="R5")
    s, g = session(dev)
    run(s, "system-view", cmd)
    assert s.prompt() == prompt


def test_sysname_changes_prompt_immediately_including_hyphens(dev):
    s, g = session(dev)
    out = run(s, "system-view", "sysname Branch-R1", "ike profile x")
    assert "[Branch-R1]ike profile x" in out
    assert s.prompt() == "[Branch-R1-ike-profile-x]"
    run(s, "quit", "undo sysname")
    assert s.prompt() == "[H3C]"


# ----------------------------------------------------------------------------------------------
# errors: exact Comware shape, caret column = prompt length + token offset
# ----------------------------------------------------------------------------------------------

def test_reference_error_samples_exact(dev):
    """The five samples of reference §6.6, byte for byte."""
    s, g = session(dev)
    out = run(s, "system-view", "ike proposl 950", "ike proposal 950", "dh group3", "quit",
              "ipsec policy ALIVPN-POL 10 isakmp", "security acl", "quit",
              "ip route-static 172.16.0.0 16 203.0.113.1 foo", "i")
    assert caret_block("[MSR1]", "ike proposl 950", "Unrecognized command", 10) in out
    assert caret_block("[MSR1-ike-proposal-950]", "dh group3", "Wrong parameter", 26) in out
    assert caret_block("[MSR1-ipsec-policy-isakmp-ALIVPN-POL-10]", "security acl", "Incomplete command", 53) in out
    assert caret_block("[MSR1]", "ip route-static 172.16.0.0 16 203.0.113.1 foo", "Too many parameters", 48) in out
    assert caret_block("[MSR1]", "i", "Ambiguous command", 6) in out


@pytest.mark.parametrize("view_cmds,line,kind,token", [
    (["ike profile P"], "dpd interval 0 periodic", "Wrong parameter", "0"),
    (["ike profile P"], "dpd interval 301 periodic", "Wrong parameter", "301"),
    (["ike profile P"], "dpd interval 10 retry 3", "Incomplete command", None),
    (["ike profile P"], "keychain", "Incomplete command", None),
    (["ike proposal 1"], "sa duration 59", "Wrong parameter", "59"),
    (["ike proposal 1"], "dh", "Incomplete command", None),
    (["ike proposal 1"], "encryption-algorithm aes-cbc-512", "Wrong parameter", "aes-cbc-512"),
    (["ipsec policy P 1 isakmp"], "sa duration time-based 179", "Wrong parameter", "179"),
    (["ipsec policy P 1 isakmp"], "security acl 2999", "Wrong parameter", "2999"),
    ([], "acl advanced 2999", "Wrong parameter", "2999"),
    ([], "acl basic 3000", "Wrong parameter", "3000"),
    ([], "ike proposal 70000", "Wrong parameter", "70000"),
    ([], "ip route-static 172.16.0.300 16 203.0.113.1", "Wrong parameter", "172.16.0.300"),
    ([], "ip route-static 172.16.0.0 255.0.255.0 203.0.113.1", "Wrong parameter", "255.0.255.0"),
    (["acl advanced 3950"], "rule 5 permit ip source 10.0.0.0 0.0.0.256", "Wrong parameter", "0.0.0.256"),
    (["acl advanced 3950"], "rule 5 permit ip source 10.0.0.0 0.0.0.255 destinaton any", "Too many parameters",
     "destinaton"),
    (["ipsec transform-set T"], "pfs dh-group3", "Wrong parameter", "dh-group3"),
    (["ike keychain K"], "pre-shared-key address 198.51.100.20 255.255.255.255 key simple", "Incomplete command", None),
    ([], "ike profile " + "x" * 64, "Wrong parameter", "x" * 64),
    ([], "display ike sx", "Unrecognized command", "sx"),
    ([], "display", "Incomplete command", None),
    ([], "d", "Ambiguous command", "d"),
    ([], "ipsec policy P 10", "Incomplete command", None),
])
def test_error_classes_and_caret_column(dev, view_cmds, line, kind, token):
    s, g = session(dev)
    run(s, "system-view", *view_cmds)
    prompt = s.prompt()
    out = prompt + run(s, line)
    col = len(prompt) + (line.rindex(token) if token else len(line) + 1)
    assert caret_block(prompt, line, kind, col) in out, out
    if kind != "Ambiguous command":
        assert s.prompt() == prompt  # the view did not change


def test_reset_only_in_user_view(dev):
    s, g = session(dev)
    run(s, "system-view")
    assert caret_block("[MSR1]", "reset ike sa", "Unrecognized command", 6) in "[MSR1]" + run(s, "reset ike sa")
    run(s, "return")
    assert run(s, "reset ike sa") == "reset ike sa\r\n<MSR1>"


def test_screen_length_only_in_user_view(dev):
    s, g = session(dev)
    assert run(s, "screen-length disable") == "screen-length disable\r\n<MSR1>"
    assert "Unrecognized command" in run(s, "system-view", "screen-length disable")


def test_display_save_ping_work_in_sub_views(dev):
    s, g = session(dev)
    out = run(s, "system-view", "ike profile P", "display version", "save force", "ping 203.0.113.1")
    assert "H3C Comware Software" in out and "successfully" in out
    assert "5 packet(s) received" in out  # the next hop answers
    assert s.prompt() == "[MSR1-ike-profile-P]"


def test_parent_view_fallback_moves_to_system_view(dev):
    s, g = session(dev)
    run(s, "system-view", "ike profile P", "ip route-static 10.0.0.0 8 203.0.113.1")
    assert s.prompt() == "[MSR1]"
    run(s, "ike profile P", "interface g0/1")
    assert s.prompt() == "[MSR1-GigabitEthernet0/1]"
    dev2 = SimulatedH3C(parent_view_fallback=False)
    s2, _ = session(dev2)
    out = run(s2, "system-view", "ike profile P", "ip route-static 10.0.0.0 8 203.0.113.1")
    assert "Unrecognized command" in out and s2.prompt() == "[H3C-ike-profile-P]"


# ----------------------------------------------------------------------------------------------
# abbreviations, help
# ----------------------------------------------------------------------------------------------

def test_unique_abbreviations_accepted(dev):
    s, g = session(dev)
    out = run(s, "dis ver", "sys", "ike prop 7", "encr aes-cbc-256", "q", "int g0/2", "ip add 10.1.1.1 24", "ret",
              "dis cur | inc ^ ip address 10.1.1.1")
    assert "H3C Comware Software" in out
    assert out.endswith(" ip address 10.1.1.1 255.255.255.0\r\n<MSR1>")
    assert dev.config.ike_proposals[7].encryption == "aes-cbc-256"


def test_keyword_case_insensitive_and_exact_match_wins(dev):
    s, g = session(dev)
    run(s, "SYSTEM-VIEW", "IKE proposal 5")  # "ike" exact even though "ikev2" shares the prefix
    assert s.prompt() == "[MSR1-ike-proposal-5]"


def test_context_help_lists_candidates_and_keeps_line(dev):
    s, g = session(dev)
    run(s, "system-view")
    out = "".join(s.feed("ike ?"))
    assert "  keychain" in out and "  profile" in out and "  proposal" in out
    assert out.endswith("[MSR1]ike ")
    out = "".join(s.feed("prop?"))
    assert "  proposal" in out and "profile" not in out
    s.feed("\x03")
    out = "".join(s.feed("ip route-static 1.1.1.0 24 2.2.2.2 ?"))
    assert "<cr>" in out and "description" in out


def test_question_mark_in_psk_is_swallowed_by_help(dev):
    """Reference §1.3 PSK hygiene: '?' triggers help, the key loses the '?'."""
    s, g = session(dev)
    run(s, "system-view", "ike keychain K")
    s.feed("pre-shared-key address 198.51.100.20 key simple ab?cd\r")
    key = dev.config.ike_keychains["k"].keys[0]
    from vpnconsole.lab.h3c.state import decrypt_psk
    assert decrypt_psk(key.cipher, dev.psk_secret) == "abcd"


def test_tab_completes_unique_keyword(dev):
    s, g = session(dev)
    out = "".join(s.feed("system-v\t"))
    assert out.endswith("system-view ")


def test_cursor_ambiguity_rules():
    c = Cursor("ip rout")
    assert c.kw("ip", "ipsec", cmd=True) == "ip"
    with pytest.raises(CliError) as e:
        Cursor("i").kw("ip", "ipsec", "ike", cmd=True)
    assert e.value.kind == "Ambiguous command" and e.value.offset == 0


# ----------------------------------------------------------------------------------------------
# dialects
# ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("cmds", [
    ["acl advanced 3950"], ["ike keychain K"], ["ike profile P"], ["ipsec transform-set T"],
    ["ikev2 proposal X"], ["interface g0/0", "ipsec apply policy P"],
])
def test_v5_rejects_v7_only_commands(h3c_make_device, cmds):
    dev = h3c_make_device("v5")
    s, g = session(dev)
    out = run(s, "system-view", *cmds)
    assert out.count("% Unrecognized command found at '^' position.") == 1


@pytest.mark.parametrize("cmds", [
    ["ike peer P"], ["ipsec proposal P"], ["ike local-name X"], ["interface g0/0", "ipsec policy P"],
])
def test_v7_rejects_v5_only_commands(dev, cmds):
    s, g = session(dev)
    out = run(s, "system-view", *cmds)
    # interface "ipsec policy P" is retried in system view (parent-view fallback), where it is incomplete
    assert len(re.findall(r"^ % (Unrecognized|Incomplete) command found at '\^' position\.", out, re.M)) == 1


def test_early_v7_accepts_acl_number_only_and_md5_sha(h3c_make_device):
    dev = h3c_make_device("v7-early")
    s, g = session(dev)
    out = run(s, "system-view", "acl advanced 3950")
    assert "Unrecognized command" in out
    run(s, "acl number 3950")
    assert s.prompt() == "[MSR1-acl-adv-3950]"
    out = run(s, "quit", "ike proposal 1", "authentication-algorithm sha256")
    assert "Wrong parameter" in out
    assert "ikev2" not in "".join(run(s, "quit", "display current-configuration"))


@pytest.mark.parametrize("dialect,needle", [
    ("v7", "H3C Comware Software, Version 7.1.064, Release 0821P16"),
    ("v7-early", "H3C Comware Software, Version 7.1.049"),
    ("v5", "H3C Comware Platform Software\r\nComware Software, Version 5.20.106, Release 2516P16"),
])
def test_display_version_per_dialect(h3c_make_device, dialect, needle):
    dev = h3c_make_device(dialect)
    assert needle in dev.cli("display version")


# ----------------------------------------------------------------------------------------------
# undo forms, idempotency, strict mode
# ----------------------------------------------------------------------------------------------

def test_undo_forms_revert_everything(h3c_make_device, h3c_v7_block):
    dev = h3c_make_device(configured=True)
    teardown = """system-view
interface GigabitEthernet0/0
 undo ipsec apply policy ALIVPN-POL
quit
ipsec policy ALIVPN-POL 10
 undo sa duration time-based
 undo ike-profile
 undo remote-address
 undo transform-set
 undo security acl
 undo description
quit
undo ipsec policy ALIVPN-POL 10
ipsec transform-set ALIVPN-TS
 undo pfs
 undo esp encryption-algorithm
quit
undo ipsec transform-set ALIVPN-TS
ike profile ALIVPN-IKEP
 undo dpd
 undo proposal
 undo match remote identity address 198.51.100.20 255.255.255.255
 undo local-identity
 undo keychain ALIVPN-KC
quit
undo ike profile ALIVPN-IKEP
ike keychain ALIVPN-KC
 undo pre-shared-key address 198.51.100.20 255.255.255.255
quit
undo ike keychain ALIVPN-KC
ike proposal 950
 undo dh
 undo encryption-algorithm
 undo description
quit
undo ike proposal 950
undo acl advanced 3950
acl advanced 3001
 undo rule 1 comment
 undo rule 1
quit
undo ip route-static 172.16.0.0 16 203.0.113.1
return""".splitlines()
    out = dev.cli(*teardown)
    assert "%" not in out, out
    cfg = dev.config
    assert not cfg.ipsec_policies and not cfg.transform_sets and not cfg.ike_profiles
    assert not cfg.ike_keychains and not cfg.ike_proposals and 3950 not in cfg.acls
    assert list(cfg.acls[3001].rules) == [5]
    assert [r.dest for r in cfg.routes] == ["0.0.0.0"]
    assert cfg.interfaces["gigabitethernet0/0"].ipsec_policy is None


def test_undo_in_sub_views_restores_defaults(dev):
    out = dev.cli("system-view", "ike proposal 5", "dh group14", "authentication-algorithm sha256", "sa duration 600",
                  "display this", "undo dh", "undo authentication-algorithm", "undo sa duration", "display this")
    assert " dh group14\r\n authentication-algorithm sha256\r\n sa duration 600\r\n" in out
    assert out.rstrip().endswith("#\r\nike proposal 5\r\n#\r\nreturn\r\n[MSR1-ike-proposal-5]")


def test_undo_ipsec_policy_whole_and_per_seq(dev):
    dev.cli("system-view", "ipsec policy P 10 isakmp", "quit", "ipsec policy P 20 isakmp", "quit",
            "ipsec policy Q 1 isakmp", "quit", "undo ipsec policy P 10")
    assert sorted(dev.config.ipsec_policies) == [("p", 20), ("q", 1)]
    dev.cli("system-view", "undo ipsec policy p")  # case-insensitive names
    assert sorted(dev.config.ipsec_policies) == [("q", 1)]


def test_policy_mode_required_at_creation_and_not_changeable(dev):
    s, g = session(dev)
    out = run(s, "system-view", "ipsec policy P 10")
    assert "Incomplete command" in out
    run(s, "ipsec policy P 10 isakmp", "quit")
    run(s, "ipsec policy P 10")
    assert s.prompt() == "[MSR1-ipsec-policy-isakmp-P-10]"
    out = run(s, "quit", "ipsec policy P 10 manual")
    assert "already exists in isakmp mode" in out


def test_missing_object_deletion_silent_or_message(h3c_make_device):
    silent = h3c_make_device()
    assert silent.cli("system-view", "undo ike profile NOPE") == \
        "system-view\r\nSystem View: return to User View with Ctrl+Z.\r\n[MSR1]undo ike profile NOPE\r\n[MSR1]"
    loud = h3c_make_device(missing_delete="message")
    out = loud.cli("system-view", "undo ike profile NOPE", "undo acl advanced 3999",
                   "undo ip route-static 9.9.9.0 24 203.0.113.1")
    assert "The IKE profile does not exist." in out
    assert "The ACL does not exist." in out
    assert "The static route does not exist." in out
    assert "^" not in out


def test_strict_mode_refuses_deleting_referenced_objects(h3c_make_device):
    dev = h3c_make_device(configured=True, strict_references=True)
    out = dev.cli("system-view", "undo ike proposal 950", "undo ike keychain ALIVPN-KC", "undo acl advanced 3950",
                  "undo ipsec policy ALIVPN-POL")
    assert out.count("cannot be deleted.") == 4
    assert 950 in dev.config.ike_proposals and dev.config.ipsec_policies
    lax = h3c_make_device(configured=True)
    lax.cli("system-view", "undo ike proposal 950")
    assert 950 not in lax.config.ike_proposals


def test_only_one_ipv4_policy_per_interface(dev):
    out = dev.cli("system-view", "interface g0/0", "ipsec apply policy A", "ipsec apply policy B")
    assert "another IPv4 IPsec policy is already applied" in out
    assert "^" not in out
    assert dev.config.interfaces["gigabitethernet0/0"].ipsec_policy == "A"


def test_acl_rule_auto_ids_and_comments(dev):
    dev.cli("system-view", "acl advanced 3999", "rule permit ip", "rule deny ip source 10.0.0.1 0",
            "rule 2 permit ip destination 10.9.0.0 0.0.255.255", "rule permit ip", "rule 2 comment hello world")
    acl = dev.config.acls[3999]
    assert list(sorted(acl.rules)) == [0, 2, 5, 10]
    assert acl.rules[2].comment == "hello world"
    out = dev.cli("system-view", "acl advanced 3999", "rule 77 comment x")
    assert "The rule does not exist." in out


# ----------------------------------------------------------------------------------------------
# knobs at the session level
# ----------------------------------------------------------------------------------------------

def test_paging_more_prompt_until_screen_length_disable(h3c_make_device):
    dev = h3c_make_device(configured=True)
    s = dev.open_session()
    s.greeting()
    out = "".join(s.feed("display current-configuration\r"))
    assert out.endswith("  ---- More ----")
    assert out.count("\r\n") == 1 + 24
    out2 = "".join(s.feed(" "))
    assert out2.startswith("\x1b[16D                \x1b[16D")
    while out2.endswith("---- More ----"):
        out2 = "".join(s.feed(" "))
    assert out2.endswith("return\r\n<MSR1>")
    # q aborts
    s.feed("display current-configuration\r")
    assert "".join(s.feed("q")).endswith("<MSR1>")
    s.feed("screen-length disable\r")
    out = "".join(s.feed("display current-configuration\r"))
    assert "More" not in out and out.endswith("return\r\n<MSR1>")


def test_echo_wrap_at_80_columns(h3c_make_device):
    dev = h3c_make_device(echo_wrap=80)
    s, g = session(dev)
    line = "display current-configuration | include " + "x" * 60
    out = "".join(s.feed(line + "\r"))
    first = out.split("\r\n")[0]
    assert len("<MSR1>" + first) == 80
    assert out.startswith(line[:74] + "\r\n" + line[74:] + "\r\n")


def test_syslog_noise_injected_every_n_commands(h3c_make_device):
    dev = h3c_make_device(syslog_noise_every=2)
    s, g = session(dev)
    out = run(s, "display clock", "display clock", "display clock", "display clock")
    logs = re.findall(r"^%\w{3} [ \d]\d \d\d:\d\d:\d\d:\d{3} \d{4} MSR1 [A-Z]+/\d/[A-Z0-9_]+: .*$", out, re.M)
    assert len(logs) == 2
    # an anchored error regex (reference §6.5) must not match the noise
    err = re.compile(r"^\s*%\s*(Unrecognized command|Incomplete command|Wrong parameter|Too many parameters|"
                     r"Ambiguous command)\b", re.M)
    assert not err.search(out)
    assert "Wrong parameter" in out or "Unrecognized command" in out  # the noise does contain the words


def test_terminal_monitor_delivers_logs_asynchronously(h3c_make_device):
    dev = h3c_make_device()
    s, g = session(dev)
    got: list[str] = []
    s.writer = got.append
    dev.log("IKE", 6, "TEST", "not shown")
    assert not got
    run(s, "terminal monitor")
    s.feed("dis")
    dev.log("IKE", 6, "TEST", "hello")
    assert len(got) == 1 and got[0].startswith("\r\n%") and got[0].endswith("MSR1 IKE/6/TEST: hello\r\n<MSR1>dis")
    run(s, "undo terminal monitor")


def test_save_with_confirmation_dialog(h3c_make_device):
    dev = h3c_make_device()
    s, g = session(dev)
    run(s, "system-view", "sysname CHANGED", "return")
    out = "".join(s.feed("save\r"))
    assert out.endswith("Are you sure? [Y/N]:")
    out = "".join(s.feed("y\r"))
    assert out.endswith("press the enter key):")
    out = "".join(s.feed("\r"))
    assert "Saved the current configuration to mainboard device successfully." in out
    assert out.endswith("<CHANGED>")
    assert dev.saved_config.sysname == "CHANGED"


def test_save_force_and_saved_configuration_and_reboot(h3c_make_device):
    dev = h3c_make_device()
    dev.cli("system-view", "ike proposal 42")
    assert "ike proposal 42" not in dev.cli("display saved-configuration")
    out = dev.cli("save force")
    assert out == "save force\r\nValidating file. Please wait...\r\n" \
                  "Saved the current configuration to mainboard device successfully.\r\n<MSR1>"
    assert "ike proposal 42" in dev.cli("display saved-configuration")
    dev.cli("system-view", "undo ike proposal 42")
    dev.reboot()
    assert 42 in dev.config.ike_proposals
