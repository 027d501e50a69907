"""Smoke test of the real binary in a real terminal: `vpnconsole lab --ephemeral-ports` inside a
detached tmux session (160×48), driven with ``send-keys`` and read with ``capture-pane``: the lab
screen paints, ``a`` shows the plan, ``y`` applies, the verdict line turns to ✓ up, ``q`` quits and
the process exits 0.  The PSK (read from the same keyring while the lab runs: the lab removes its
secrets when it stops) is on no captured screen."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Callable

import pytest

MASTER = "tmux-smoke-master-password"
BIN = Path(sys.executable).parent / "vpnconsole"

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (scripts/bootstrap.sh "
                                                                      "installs it)")


class Tmux:
    def __init__(self, socket: str, session: str, env: dict[str, str]):
        self.socket, self.session, self.env = socket, session, env
        self.captures: list[str] = []

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(["tmux", "-L", self.socket, "-f", "/dev/null", *args], env=self.env,
                              capture_output=True, text=True, timeout=10, check=check)

    def capture(self) -> str:
        out = self.run("capture-pane", "-p", "-t", self.session, check=False)
        text = out.stdout if out.returncode == 0 else ""
        if text:
            self.captures.append(text)
        return text

    def send(self, *keys: str) -> None:
        self.run("send-keys", "-t", self.session, *keys)

    def wait_for(self, condition: Callable[[str], bool], what: str, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        text = ""
        while time.monotonic() < deadline:
            text = self.capture()
            if condition(text):
                return text
            time.sleep(0.1)
        raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}; the screen was:\n{text}")


VERDICT = re.compile(r"^[✓✗] (up|end-unreachable|not-configured|configured-differently|phase1-down|phase2-down|"
                     r"route-missing)  ")


def verdict_line(text: str) -> str | None:
    """The verdict bar: "✓ up  up and passing", "✗ not-configured  …" (not a card's "P1 ✓ up")."""
    for line in text.splitlines():
        if VERDICT.match(line.strip()):
            return line.strip()
    return None


def test_real_binary_in_tmux(tmp_path, monkeypatch):
    assert BIN.exists(), f"{BIN} is missing: pip install -e . into the venv"
    home = tmp_path / "home"
    xdg = {var: tmp_path / sub for var, sub in (("XDG_CONFIG_HOME", "config"), ("XDG_STATE_HOME", "state"),
                                                ("XDG_DATA_HOME", "data"), ("XDG_CACHE_HOME", "cache"))}
    for path in xdg.values():
        path.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TMUX", "VPNCONSOLE_", "DBUS_SESSION"))}
    env.update({k: str(v) for k, v in xdg.items()})
    env.update(HOME=str(tmp_path), VPNCONSOLE_HOME=str(home), VPNCONSOLE_KEYRING_PASSWORD=MASTER,
               TERM="xterm-256color", LANG="C.UTF-8", LC_ALL="C.UTF-8", TZ="UTC")
    env.pop("NO_COLOR", None)
    socket = f"vpnc-smoke-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    rc_file = tmp_path / "rc"
    command = f"'{BIN}' lab --ephemeral-ports --interval 1; echo $? > '{rc_file}'"
    tmux = Tmux(socket, "console", env)
    started = time.monotonic()
    tmux.run("new-session", "-d", "-s", "console", "-x", "160", "-y", "48", "sh", "-c", command)
    try:
        screen = tmux.wait_for(lambda t: "vpnconsole — lab" in t and verdict_line(t) is not None,
                               "the lab screen with its verdict line", 20)
        assert "not-configured" in verdict_line(screen), screen
        tmux.wait_for(lambda t: "a Apply" in t, "the Apply key in the footer (the engine ready)", 10)
        tmux.send("a")
        tmux.wait_for(lambda t: "Apply lab lab" in t, "the apply plan dialog", 15)
        tmux.send("y")
        screen = tmux.wait_for(lambda t: (verdict_line(t) or "").startswith("✓ up"),
                               "the verdict line showing the tunnel up", 30)
        # The lab removes its secrets from the keyring when it stops: read the PSK while it runs.
        psk = read_psk(env, monkeypatch)
        tmux.send("q")
        deadline = time.monotonic() + 15
        while not rc_file.exists() and time.monotonic() < deadline:
            tmux.capture()
            time.sleep(0.1)
        assert rc_file.exists(), "the console did not exit after q"
        assert rc_file.read_text().strip() == "0"
    finally:
        tmux.run("kill-server", check=False)
    elapsed = time.monotonic() - started
    print(f"tmux smoke: {elapsed:.1f} s, {len(tmux.captures)} captures")
    assert len(psk) >= 8
    leaked = [i for i, text in enumerate(tmux.captures) if psk in text]
    assert not leaked, f"the PSK appeared in {len(leaked)} of {len(tmux.captures)} captures"


def read_psk(env: dict[str, str], monkeypatch) -> str:
    """The lab's PSK from the same keyring file, opened with the console's environment."""
    from vpnconsole import secrets

    for var, value in env.items():
        if var in ("HOME", "VPNCONSOLE_HOME", "VPNCONSOLE_KEYRING_PASSWORD") or var.startswith("XDG_"):
            monkeypatch.setenv(var, value)
    psk = secrets.open_store().get("lab", "psk")
    assert psk is not None, "the embedded lab keeps its PSK in the keyring while it runs"
    return psk.reveal()
