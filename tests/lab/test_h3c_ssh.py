"""The simulated H3C over SSH: real netmiko hp_comware (modern + legacy algorithms, V7 + V5),
a raw asyncssh client (a human with ``ssh``), and the transport-level knobs."""

from __future__ import annotations

import asyncio
import re
import time

import paramiko
import pytest
from netmiko import ConnectHandler

from vpnconsole.lab.h3c import H3CServerThread, SimulatedH3C, StaticPeer, start_h3c_server

from .conftest import H3C_BASE_V5, H3C_BASE_V7, H3C_V5_BLOCK, H3C_V7_BLOCK, PSK

ERR = re.compile(r"^\s*%\s*(Unrecognized command|Incomplete command|Wrong parameter|Too many parameters|"
                 r"Ambiguous command)\b", re.M)
CLOCK = lambda: 1764000000.0  # noqa: E731


def connect(srv: H3CServerThread, **kw):
    return ConnectHandler(device_type="hp_comware", host="127.0.0.1", port=srv.port, username="netops",
                          password="s3cret!", **kw)


@pytest.fixture(scope="module")
def v7_server(tmp_path_factory):
    dev = SimulatedH3C(sysname="MSR1", initial_config=H3C_BASE_V7, peer=StaticPeer(), clock=CLOCK)
    key = tmp_path_factory.mktemp("k") / "ed25519"
    with H3CServerThread(dev, username="netops", password="s3cret!", host_key_path=str(key)) as srv:
        yield srv


@pytest.fixture(scope="module")
def v7_conn(v7_server):
    conn = connect(v7_server)
    yield conn
    conn.disconnect()


def test_netmiko_session_preparation_and_prompt(v7_conn):
    assert v7_conn.base_prompt == "MSR1"
    assert v7_conn.find_prompt() == "<MSR1>"
    out = v7_conn.send_command("display version")
    assert out.startswith("H3C Comware Software, Version 7.1.064, Release 0821P16")


def test_netmiko_full_v7_block_readback_save_and_ping(v7_server, v7_conn):
    # §1.2 verbatim through send_config_set (enters system-view itself; drop our own system-view/return/save)
    body = [ln for ln in H3C_V7_BLOCK if ln not in ("system-view", "return", "save force")]
    out = v7_conn.send_config_set(body, cmd_verify=False, read_timeout=20)
    assert not ERR.search(out), out
    assert v7_conn.find_prompt() == "<MSR1>"
    cfg = v7_conn.send_command("display current-configuration")
    assert "ipsec policy ALIVPN-POL 10 isakmp\n description ALIVPN-managed\n transform-set ALIVPN-TS\n" in cfg
    assert re.search(r"^ pre-shared-key address 198\.51\.100\.20 255\.255\.255\.255 key cipher \$c\$3\$\S+$", cfg, re.M)
    assert PSK not in cfg and cfg.rstrip().endswith("return")
    saved = v7_conn.save_config()
    assert "successfully" in saved
    assert v7_conn.find_prompt() == "[MSR1]"  # save_config leaves netmiko in system view (reference §6.3)
    assert "ipsec apply policy ALIVPN-POL" in v7_server.device.cli("display saved-configuration")
    v7_conn.exit_config_mode()
    ping = v7_conn.send_command("ping -a 192.168.10.1 -c 5 172.16.1.10", read_timeout=20)
    assert "5 packet(s) transmitted, 4 packet(s) received, 20.0% packet loss" in ping
    ike = v7_conn.send_command("display ike sa")
    assert re.search(r"^\s+\d+\s+203\.0\.113\.2\s+198\.51\.100\.20\s+RD\s+IPsec$", ike, re.M)
    sa = v7_conn.send_command("display ipsec sa")  # contains "[Inbound ESP SAs]" lines ending in ']'
    assert "[Outbound ESP SAs]" in sa and sa.rstrip().endswith("Status: Active")


def test_netmiko_textfsm_routing_table(v7_conn):
    rows = v7_conn.send_command("display ip routing-table", use_textfsm=True)
    assert isinstance(rows, list) and {"network": "0.0.0.0", "prefix_length": "0", "protocol": "Static",
                                       "distance": "60", "metric": "0", "nexthop_ip": "203.0.113.1",
                                       "nexthop_if": "GE0/0"} in rows


def test_netmiko_error_shapes_over_ssh(v7_conn):
    v7_conn.config_mode()
    out = v7_conn.send_command("ike proposl 950", expect_string=r"\]\s*$", strip_prompt=False, strip_command=False)
    assert out.splitlines()[:3] == ["ike proposl 950", "          ^", " % Unrecognized command found at '^' position."]
    out = v7_conn.send_command("ike profile P-ERR", expect_string=r"\]\s*$", strip_prompt=False)
    assert out.strip() == "[MSR1-ike-profile-P-ERR]"
    out = v7_conn.send_command("dpd interval 500 periodic", expect_string=r"\]\s*$", strip_prompt=False,
                               strip_command=False)
    assert out.splitlines()[1] == " " * (len("[MSR1-ike-profile-P-ERR]") + len("dpd interval ")) + "^"
    assert ERR.search(out)
    v7_conn.exit_config_mode()
    assert v7_conn.find_prompt() == "<MSR1>"


def test_netmiko_error_pattern_raises(v7_conn):
    from netmiko.exceptions import ConfigInvalidException
    with pytest.raises(ConfigInvalidException):
        v7_conn.send_config_set(["ike profile P-X", "bogus command"], error_pattern=ERR.pattern, exit_config_mode=False)
    assert v7_conn.find_prompt() == "[MSR1-ike-profile-P-X]"  # netmiko leaves the session where it failed
    v7_conn.exit_config_mode()


def test_legacy_algorithms_with_paramiko4_and_modern_only_client_refused(tmp_path):
    dev = SimulatedH3C(sysname="OLD", clock=CLOCK)
    with H3CServerThread(dev, legacy=True, username="netops", password="s3cret!",
                         host_key_path=str(tmp_path / "rsa")) as srv:
        conn = connect(srv)
        t = conn.remote_conn.get_transport()
        assert t.get_remote_server_key().get_name() == "ssh-rsa"
        assert conn.find_prompt() == "<OLD>"
        conn.disconnect()
        client = paramiko.SSHClient()
        client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
        with pytest.raises(paramiko.SSHException):
            client.connect("127.0.0.1", port=srv.port, username="netops", password="s3cret!", look_for_keys=False,
                           allow_agent=False, timeout=5,
                           disabled_algorithms={"kex": ["diffie-hellman-group14-sha1", "diffie-hellman-group1-sha1",
                                                        "diffie-hellman-group-exchange-sha1"],
                                                "keys": ["ssh-rsa"]})
        client.close()
    assert (tmp_path / "rsa").read_text().startswith("-----BEGIN OPENSSH PRIVATE KEY-----")


def test_modern_server_refuses_sha1_only_client(v7_server):
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    modern = [k for k in paramiko.Transport._preferred_kex if k != "diffie-hellman-group14-sha1"]
    with pytest.raises(paramiko.SSHException):
        client.connect("127.0.0.1", port=v7_server.port, username="netops", password="s3cret!", look_for_keys=False,
                       allow_agent=False, timeout=5, disabled_algorithms={"kex": modern})
    client.close()


def test_v5_over_netmiko(tmp_path):
    peer = StaticPeer(ike_integrity="sha1", ike_dh="group2", ipsec_integrity="sha1", ipsec_pfs="group2")
    dev = SimulatedH3C(dialect="v5", sysname="MSR1", initial_config=H3C_BASE_V5, peer=peer, clock=CLOCK)
    with H3CServerThread(dev, username="netops", password="s3cret!", host_key_path=str(tmp_path / "k")) as srv:
        conn = connect(srv)
        assert conn.send_command("display version").startswith("H3C Comware Platform Software\nComware Software, "
                                                               "Version 5.20.106")
        body = [ln for ln in H3C_V5_BLOCK if ln not in ("system-view", "return", "save force")]
        out = conn.send_config_set(body, cmd_verify=False, read_timeout=20)
        assert not ERR.search(out), out
        assert "successfully" in conn.save_config()
        conn.exit_config_mode()
        cfg = conn.send_command("display current-configuration")
        assert "ike peer ALIVPN-PEER\n proposal 950\n pre-shared-key cipher $c$3$" in cfg and PSK not in cfg
        rejected = conn.send_config_set(["acl advanced 3950"], cmd_verify=False)
        assert "% Unrecognized command found at '^' position." in rejected
        assert "4 packet(s) received" in conn.send_command("ping -a 192.168.10.1 172.16.1.10", read_timeout=20)
        conn.disconnect()


def test_banner_gate_latency_wrap_and_noise_with_netmiko(tmp_path):
    dev = SimulatedH3C(sysname="MSR1", press_enter_gate=True, latency=0.05, echo_wrap=80, syslog_noise_every=1,
                       clock=CLOCK)
    with H3CServerThread(dev, username="netops", password="s3cret!", host_key_path=str(tmp_path / "k")) as srv:
        conn = connect(srv)
        assert conn.base_prompt == "MSR1"
        t0 = time.monotonic()
        long_cmd = "display current-configuration | include " + "(sysname|ssh server enable|" + "x" * 40 + ")"
        out = conn.send_command(long_cmd)
        assert time.monotonic() - t0 >= 0.05
        assert " sysname MSR1" in out and " ssh server enable" in out
        noise = [ln for ln in out.splitlines() if ln.startswith("%")]
        assert noise and re.match(r"^%\w{3} [ \d]\d \d\d:\d\d:\d\d:\d{3} \d{4} MSR1 [A-Z]+/\d/[A-Z0-9_]+: ", noise[0])
        assert not ERR.search(out)
        conn.disconnect()


def test_drop_after_n_commands(tmp_path):
    dev = SimulatedH3C(sysname="MSR1", drop_after=3, clock=CLOCK)
    with H3CServerThread(dev, username="netops", password="s3cret!", host_key_path=str(tmp_path / "k")) as srv:
        conn = connect(srv)  # session preparation sends "screen-length disable" (command 1)
        conn.send_command("display clock")  # command 2
        conn.send_command("display clock")  # command 3 -> answered, then the connection is dropped
        with pytest.raises(Exception):
            conn.send_command("display version", read_timeout=3)
        assert not dev.sessions


async def test_async_api_interactive_shell_and_persisted_host_key(tmp_path):
    import asyncssh
    keyfile = tmp_path / "hostkey"
    dev = SimulatedH3C(sysname="LAB", clock=CLOCK)
    server = await start_h3c_server(dev, host_key_path=str(keyfile), username="u", password="p")
    try:
        assert server.host == "127.0.0.1" and server.port > 0
        fingerprint = asyncssh.read_private_key(str(keyfile)).get_fingerprint()
        async with asyncssh.connect("127.0.0.1", server.port, username="u", password="p", known_hosts=None) as conn:
            assert conn.get_server_host_key().get_fingerprint() == fingerprint
            proc = await conn.create_process(term_type="vt100", encoding="utf-8")

            async def read_until(s: str) -> str:
                buf = ""
                while not buf.endswith(s):
                    buf += await asyncio.wait_for(proc.stdout.read(4096), 5)
                return buf

            assert "reverse-engineering" in await read_until("<LAB>")
            for ch in "sys":  # a human typing: characters echoed one by one
                proc.stdin.write(ch)
                assert await read_until(ch) == ch
            proc.stdin.write("\t")
            assert await read_until("tem-view ") == "tem-view "
            proc.stdin.write("\r")
            assert "System View: return to User View with Ctrl+Z." in await read_until("[LAB]")
            proc.stdin.write("\x1a")
            assert await read_until("<LAB>") == "\r\n<LAB>"
            proc.stdin.write("quit\r")
            await asyncio.wait_for(proc.wait_closed(), 5)
    finally:
        await server.close()
    server2 = await start_h3c_server(SimulatedH3C(), host_key_path=str(keyfile))
    await server2.close()
    assert asyncssh.read_private_key(str(keyfile)).get_fingerprint() == fingerprint
    with pytest.raises(ValueError):
        await start_h3c_server(SimulatedH3C(), host="0.0.0.0")
