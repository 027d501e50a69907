"""`vpnconsole lab`: the whole lab from one command, driven by the real clients, and gone after Ctrl-C."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from vpnconsole import secrets
from vpnconsole.lab.runner import LAB_NAME, LabError, LabSettings, ThreadedLab
from vpnconsole.profile import load_profile

MASTER = "lab-test-master-password"


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("VPNCONSOLE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("VPNCONSOLE_KEYRING_PASSWORD", MASTER)
    return secrets.open_store()


def _get(url: str, timeout: float) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:  # Keystone answers / with 300 Multiple Choices
        return exc.code, json.loads(exc.read())


def _sdk_client(info, store):
    from alibabacloud_tea_openapi import models as open_api_models
    from alibabacloud_vpc20160428.client import Client

    return Client(open_api_models.Config(
        endpoint=info.api_endpoint.removeprefix("http://"), protocol="http", region_id="cn-hangzhou",
        access_key_id=store.get(LAB_NAME, "alibaba-access-key-id").reveal(),
        access_key_secret=store.get(LAB_NAME, "alibaba-access-key-secret").reveal(),
        read_timeout=5000, connect_timeout=2000))


def _apply_alibaba(client, plan):
    from alibabacloud_vpc20160428 import models

    from vpnconsole.alibaba import translate

    results: dict = {}
    for call in plan.calls:
        req = translate.to_sdk_request(call, results)
        results[call.step] = getattr(client, translate.sdk_method(call.action))(req).body.to_map()
        if call.mutating:  # the gateway is the lock: wait for it to be active again
            for _ in range(50):
                gw = client.describe_vpn_gateway(models.DescribeVpnGatewayRequest(
                    region_id=plan.region, vpn_gateway_id=results.get("discover-gateway", {}).get("VpnGatewayId")
                    or call.params.get("VpnGatewayId") or plan_gateway(plan))).body
                if gw.status == "active":
                    break
                time.sleep(0.05)
    return results


def plan_gateway(plan):
    return next(c.params["VpnGatewayId"] for c in plan.calls if "VpnGatewayId" in c.params)


def test_the_lab_comes_up_end_to_end_with_the_real_clients(store):
    from netmiko import ConnectHandler

    from vpnconsole.alibaba import translate
    from vpnconsole.h3c import render

    with ThreadedLab(LabSettings(fast=True, fixed_ports=False), store=store) as lab:
        info = lab.lab.info
        profile = load_profile(info.profile_path)
        assert profile.name == LAB_NAME and profile.cloud.endpoint == info.api_endpoint
        psk = store.get(LAB_NAME, "psk")
        assert psk.fingerprint == info.psk_fingerprint

        # Before anything is configured the OpenStack API is behind a broken path: it hangs.
        with pytest.raises((TimeoutError, urllib.error.URLError)):
            _get(info.keystone_url, timeout=0.5)
        assert lab.lab.negotiation.explain("127.0.1.10", 5000) == (
            "no IPsec connection to the H3C (customer gateway 198.51.100.10)")

        # The H3C end, through netmiko over SSH with the password from the keyring.
        conn = ConnectHandler(device_type="hp_comware", host="127.0.0.1", port=info.ssh_port,
                              username=info.username, password=store.get(LAB_NAME, "h3c-password").reveal(),
                              fast_cli=True, conn_timeout=10)
        try:
            assert "Comware Software, Version 7" in conn.send_command("display version")
            commands = render.render_apply(profile, psk).commands(reveal=True)
            assert commands[0] == "system-view" and commands[-2:] == ["return", "save force"]
            out = conn.send_config_set(commands[1:-2], exit_config_mode=True)
            assert not re.search(r"^\s*% ", out, re.M), out
            assert "successfully" in conn.save_config()

            # The Alibaba end, through the real SDK with the lab's keys from the keyring.
            client = _sdk_client(info, store)
            results = _apply_alibaba(client, translate.plan_apply(profile, psk))
            assert results["vpn-connection"]["VpnConnectionId"].startswith("vco-")

            # Alibaba initiates (EffectImmediately): both ends report the tunnel.
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                ike = conn.send_command("display ike sa")
                if re.search(r"\sRD\s", ike):
                    break
                time.sleep(0.1)
            assert re.search(r"\sRD\s+IPsec", ike), ike
            assert "Status: Active" in conn.send_command("display ipsec sa")
        finally:
            conn.disconnect()

        from alibabacloud_vpc20160428 import models

        body = client.describe_vpn_connection(models.DescribeVpnConnectionRequest(
            region_id="cn-hangzhou", vpn_connection_id=results["vpn-connection"]["VpnConnectionId"])).body
        assert body.status == "ipsec_sa_established"

        # Now the OpenStack API and a floating IP answer through the tunnel.
        status, doc = _get(info.keystone_url.removesuffix("/v3") + "/", timeout=3)
        assert status == 300 and doc["versions"]["values"][0]["id"].startswith("v3")
        import socket

        with socket.create_connection(("127.0.1.105", info.floating_port), timeout=3) as sock:
            sock.settimeout(3)
            assert sock.recv(64).startswith(b"SSH-2.0-")


def test_the_lab_refuses_to_overwrite_a_profile_it_did_not_write(store, tmp_path):
    folder = tmp_path / "home" / "profiles"
    folder.mkdir(parents=True)
    (folder / "lab.yaml").write_text("name: lab\n")
    with pytest.raises(LabError, match="was not written by `vpnconsole lab`"):
        ThreadedLab(LabSettings(fast=True, fixed_ports=False), store=store).__enter__()
    assert (folder / "lab.yaml").read_text() == "name: lab\n"
    assert store.get(LAB_NAME, "psk") is None  # nothing half-made stays behind


def _children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def test_headless_lab_stops_cleanly_on_ctrl_c_and_leaves_nothing(tmp_path):
    home = tmp_path / "home"
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path), "VPNCONSOLE_HOME": str(home),
           "VPNCONSOLE_KEYRING_PASSWORD": MASTER, "PYTHONDONTWRITEBYTECODE": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "vpnconsole", "lab", "--headless", "--ephemeral-ports"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        lines = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if line.startswith("ready"):
                break
        text = "".join(lines)
        assert "ready; stop with Ctrl-C" in text, text + proc.stderr.read() if proc.poll() is not None else text
        ssh_port = int(re.search(r"ssh -p (\d+)", text).group(1))
        assert (home / "profiles" / "lab.yaml").is_file()
        # While it runs, its PSK is in the keyring (so we can look for it on disk afterwards).
        probe = subprocess.run([sys.executable, "-c",
                                "from vpnconsole import secrets; print(secrets.open_store().get('lab', 'psk').reveal())"],
                               capture_output=True, text=True, env=env, timeout=60)
        psk = probe.stdout.strip()
        assert len(psk) == 32
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert "lab stopped" in err
    assert _children(proc.pid) == []
    # The port is free again.
    import socket

    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", ssh_port), timeout=1).close()
    left = sorted(str(p.relative_to(home)) for p in home.rglob("*") if p.is_file())
    # What stays on purpose: the keyring itself (now without the lab's entries) and the router's
    # host key, so `known_hosts` keeps trusting the lab across runs.
    assert left == ["keyring.cfg", "keyring.cfg.lock", "state/lab/ssh_host_ed25519_key"], left
    for path in home.rglob("*"):
        if path.is_file():
            assert psk.encode() not in path.read_bytes()
    for stream in (text, out, err):
        assert psk not in stream
    check = subprocess.run([sys.executable, "-m", "vpnconsole", "secret", "show", "lab", "--json"],
                           capture_output=True, text=True, env=env, timeout=60)
    assert json.loads(check.stdout)["fingerprints"] == {k: None for k in json.loads(check.stdout)["fingerprints"]}
