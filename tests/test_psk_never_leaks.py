"""The PSK appears in no file, log or output that the profile-core commands produce.

Every command runs as a real process (so process arguments, stdout, stderr and files are what a
person would get), with debug logging on, against an encrypted file keyring in a private home.
Afterwards the PSK is searched for in every output and in every file under that home.  A positive
control (`render --reveal`) proves the search would have found it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent
PSK = "Leak-Canary_7f3a9c1e-QWERTY"
PASSWORD = "router-Password-0042"
MASTER = "master-password-for-tests"


@pytest.fixture
def home(tmp_path):
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "profiles").mkdir()
    for name in ("classic", "dual-tunnel", "hardened"):
        shutil.copy(PROJECT / "profiles" / f"{name}.yaml", tmp_path / "home" / "profiles")
    return tmp_path / "home"


def run(home: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "VPNCONSOLE_HOME": str(home),
           "XDG_CONFIG_HOME": str(home / "xdg-config"), "XDG_STATE_HOME": str(home / "xdg-state"),
           "XDG_DATA_HOME": str(home / "xdg-data"), "VPNCONSOLE_KEYRING_PASSWORD": MASTER,
           "ALIBABA_CLOUD_ECS_METADATA_DISABLED": "true", "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run([sys.executable, "-m", "vpnconsole", "-vv", *args], input=stdin, capture_output=True,
                          text=True, env=env, cwd=home, timeout=120)


def test_psk_never_reaches_output_logs_or_files(home):
    outputs: list[str] = []

    def ok(*args: str, stdin: str | None = None, code: int = 0) -> str:
        proc = run(home, *args, stdin=stdin)
        assert proc.returncode == code, f"{args}: {proc.stderr}"
        outputs.extend([proc.stdout, proc.stderr, " ".join(args)])
        return proc.stdout + proc.stderr

    ok("secret", "set", "classic", "psk", stdin=PSK + "\n")
    ok("secret", "set", "classic", "h3c-password", stdin=PASSWORD + "\n")
    ok("secret", "set", "dual-tunnel", "psk", stdin=PSK + "\n")
    shown = ok("secret", "show", "classic")
    from vpnconsole.params import psk_fingerprint

    assert psk_fingerprint(PSK) in shown
    ok("profiles")
    ok("validate", "classic")
    ok("validate", "dual-tunnel", "--json")
    for lab in ("classic", "dual-tunnel"):
        for end in ("h3c", "alibaba"):
            text = ok("render", lab, "--end", end)
            assert "******" in text
            ok("render", lab, "--end", end, "--teardown")
    ok("render", "classic", "--end", "h3c", "--platform", "comware5")
    ok("secret", "generate", "hardened")
    # A bad PSK is refused without being echoed back.
    refused = ok("secret", "set", "hardened", "psk", stdin="bad key?" + PSK + "\n", code=2)
    assert "PSK" in refused

    for text in outputs:
        assert PSK not in text and PASSWORD not in text

    found = []
    for path in home.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            for secret in (PSK, PASSWORD):
                if secret.encode() in data or secret.encode("utf-16-le") in data:
                    found.append(str(path))
    assert found == [], f"secrets found in {found}"

    # Positive control: the search above would have seen the PSK had it been printed.
    revealed = run(home, "render", "classic", "--end", "h3c", "--reveal")
    assert revealed.returncode == 0, revealed.stderr
    assert f"key simple {PSK}" in revealed.stdout
    assert "warning: --reveal prints the pre-shared key" in revealed.stderr
    revealed = run(home, "render", "dual-tunnel", "--end", "alibaba", "--reveal")
    assert PSK in revealed.stdout
