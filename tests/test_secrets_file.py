"""The encrypted file keyring (keyrings.cryptfile, Argon2id + AES-GCM), for real, in a temporary home.

Every unlock, read and write costs one Argon2 run (~0.9 s with cryptfile's parameters, which stay
the production ones here), so the tests share one keyring where they only read it and count their
operations.
"""

from __future__ import annotations

import base64
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from vpnconsole import secrets
from vpnconsole.keyring_backend import EncryptedFileKeyring
from vpnconsole.psk import psk_problems

PROJECT = Path(__file__).resolve().parent.parent
MASTER = "correct horse battery"
SHARED_PSK = "Shared-Lab-Psk-0123456789+abcdef"


@pytest.fixture(autouse=True)
def no_secret_service(monkeypatch):
    """These tests are about the file keyring: no D-Bus session, whatever the machine has."""
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)


@pytest.fixture(scope="module")
def shared_home(tmp_path_factory) -> Path:
    """A keyring created once (2 Argon2 runs) with a PSK for lab ``shared``; tests only read it."""
    home = tmp_path_factory.mktemp("vpnconsole-home")
    backend = EncryptedFileKeyring(home / "keyring.cfg")
    backend.create(MASTER)
    secrets.SecretStore(backend, kind="file").set("shared", "psk", SHARED_PSK)
    return home


def all_bytes_under(root: Path) -> list[tuple[Path, bytes]]:
    return [(p, p.read_bytes()) for p in root.rglob("*") if p.is_file()]


def test_round_trip_in_a_new_keyring(tmp_path, monkeypatch):
    home = tmp_path / "vpnhome"
    home.mkdir(mode=0o755)
    os.chmod(home, 0o755)
    monkeypatch.setenv("VPNCONSOLE_HOME", str(home))
    asked: list[Path] = []

    def ask_new(path: Path) -> str:  # the caller's confirmation step (asked twice, compared)
        asked.append(path)
        return MASTER

    store = secrets.open_store(ask_new_master_password=ask_new)  # creates: 1 Argon2 run
    path = home / "keyring.cfg"
    assert asked == [path]
    assert store.kind == "file" and store.path == path
    assert str(path) in store.backend_description()

    fingerprint = secrets.generate_and_store_psk(store, "lab-a")  # 1 run
    psk = store.get("lab-a", "psk")  # cached: what was just written
    assert psk is not None and not psk_problems(psk.reveal())
    assert fingerprint == psk.fingerprint == store.fingerprint("lab-a", "psk")
    assert str(psk) == "******" and psk.reveal() not in repr(psk)

    # Nothing under the home holds the PSK: not as text, not base64-encoded, not hex.
    value = psk.reveal().encode()
    needles = [value, base64.b64encode(value), value.hex().encode()]
    for file, data in all_bytes_under(tmp_path):
        for needle in needles:
            assert needle not in data, f"the PSK leaked into {file}"

    # Permissions: the file 0600, its directory tightened to 0700.
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    assert not [p for p in home.iterdir() if p.name.endswith(".tmp")]

    # A fresh store (another process, in effect) with the password from the environment.
    monkeypatch.setenv("VPNCONSOLE_KEYRING_PASSWORD", MASTER)
    again = secrets.open_store()  # unlock: 1 run
    assert again.get("lab-a", "psk") == psk  # 1 run
    assert again.get("lab-a", "h3c-password") is None  # no entry: no decryption

    assert again.delete("lab-a", "psk") is True
    assert again.get("lab-a", "psk") is None
    assert again.delete("lab-a", "psk") is False
    assert stat.S_IMODE(path.stat().st_mode) == 0o600

    # Invalid values are refused before anything is written, and the message never holds them.
    bad = "has a space and a ?"
    with pytest.raises(secrets.InvalidSecretError) as err:
        again.set("lab-a", "psk", bad)
    assert bad not in str(err.value) and "whitespace" in str(err.value)
    with pytest.raises(secrets.InvalidSecretError, match="not a lab name"):
        again.set("../etc", "psk", "Abcdefgh1234-_xyz")
    with pytest.raises(secrets.InvalidSecretError, match="unknown secret kind"):
        again.get("lab-a", "root-password")


def test_wrong_master_password_is_a_clear_error_and_the_right_one_opens(shared_home, monkeypatch):
    monkeypatch.setenv("VPNCONSOLE_HOME", str(shared_home))
    path = shared_home / "keyring.cfg"
    before = path.read_bytes()
    choice = secrets.select_backend()
    assert choice.is_file and choice.path == path and choice.keyring_exists and choice.needs_password

    with pytest.raises(secrets.WrongMasterPasswordError) as err:  # 2 runs (with and without assoc data)
        choice.open("not the password")
    assert str(err.value) == f"wrong master password for the encrypted keyring at {path}"
    assert path.read_bytes() == before  # nothing written with the wrong key
    # The wrong password is forgotten (stock cryptfile keeps it after a failed unlock), and a locked
    # backend raises instead of asking on stdin (stock cryptfile calls getpass here).
    backend = choice.backend
    assert not backend.unlocked and choice.needs_password
    with pytest.raises(secrets.SecretStoreError, match="is locked: no master password was given"):
        backend.get_password("vpnconsole", "shared/psk")
    with pytest.raises(secrets.SecretStoreError, match="is locked"):
        backend.set_password("vpnconsole", "shared/psk", "x" * 20)

    prompts: list[str] = []

    def ask(prompt: str) -> str:  # what the CLI passes (getpass) when on a terminal
        prompts.append(prompt)
        return MASTER

    store = secrets.open_store(ask)  # 1 run
    assert prompts == [f"Master password for the encrypted keyring at {path}: "]
    assert store.get("shared", "psk").reveal() == SHARED_PSK  # 1 run


def test_missing_password_without_secret_service_lists_the_three_ways(tmp_path, monkeypatch):
    monkeypatch.setenv("VPNCONSOLE_HOME", str(tmp_path / "h"))
    with pytest.raises(secrets.NoBackendError) as err:
        secrets.open_store()
    message = str(err.value)
    assert "no keyring to keep secrets in" in message
    assert "DBUS_SESSION_BUS_ADDRESS is not set" in message
    assert "1. a Secret Service" in message
    assert f"2. the encrypted file keyring at {tmp_path / 'h' / 'keyring.cfg'}" in message
    assert "VPNCONSOLE_KEYRING_PASSWORD" in message
    assert "3. a keyring backend of your choice in PYTHON_KEYRING_BACKEND" in message
    assert not (tmp_path / "h").exists()  # nothing created


def test_new_keyring_password_confirmation(tmp_path, monkeypatch):
    monkeypatch.setenv("VPNCONSOLE_HOME", str(tmp_path))
    answers = iter(["first password", "second password"])
    with pytest.raises(secrets.SecretStoreError, match="the two master passwords differ"):
        secrets.open_store(lambda prompt: next(answers))
    with pytest.raises(secrets.SecretStoreError, match="at least 8 characters"):
        secrets.open_store(ask_new_master_password=lambda path: "short")
    with pytest.raises(secrets.SecretStoreError, match="no master password given"):
        secrets.open_store(ask_new_master_password=lambda path: None)
    assert not (tmp_path / "keyring.cfg").exists()


def test_never_prompts_on_stdin_when_not_a_tty(shared_home, tmp_path):
    """A real process with the keyring present, no password and stdin a pipe holding a guess:
    stock keyrings.cryptfile would read the guess with getpass; vpnconsole must stop with the error."""
    env = {k: v for k, v in os.environ.items() if k not in ("DBUS_SESSION_BUS_ADDRESS", "VPNCONSOLE_KEYRING_PASSWORD",
                                                            "PYTHON_KEYRING_BACKEND")}
    env.update(VPNCONSOLE_HOME=str(shared_home), PYTHONPATH=str(PROJECT), HOME=str(tmp_path),
               XDG_CONFIG_HOME=str(tmp_path / "config"))
    code = ("import sys\nfrom vpnconsole import secrets\n"
            "try:\n    secrets.open_store()\nexcept secrets.NoBackendError as exc:\n"
            "    print('ERROR', exc); sys.exit(3)\n")
    proc = subprocess.run([sys.executable, "-c", code], input=MASTER + "\n", env=env, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 3, proc.stderr
    assert "needs its master password" in proc.stdout
    assert "password" not in proc.stderr.lower()  # no getpass prompt, no GetPassWarning


def test_honours_a_configured_cryptfile_keyring_and_stays_compatible(tmp_path, monkeypatch, isolated_home):
    """PYTHON_KEYRING_BACKEND naming stock CryptFileKeyring: used (at its own path) without ever
    prompting, and the file we write is one stock keyrings.cryptfile opens."""
    from keyrings.cryptfile.cryptfile import CryptFileKeyring

    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyrings.cryptfile.cryptfile.CryptFileKeyring")
    monkeypatch.setenv("VPNCONSOLE_KEYRING_PASSWORD", MASTER)
    choice = secrets.select_backend()
    expected = isolated_home / "data" / "python_keyring" / "cryptfile_pass.cfg"
    assert choice.kind == "configured" and choice.path == expected
    assert "PYTHON_KEYRING_BACKEND=keyrings.cryptfile.cryptfile.CryptFileKeyring" in choice.description()
    store = secrets.open_store()  # creates: 1 run
    assert store.kind == "configured" and expected.is_file()
    assert stat.S_IMODE(expected.stat().st_mode) == 0o600

    stock = CryptFileKeyring()
    stock.file_path = str(expected)
    stock.keyring_key = MASTER  # stock unlock: decrypts and checks the reference entry (1 run), raises if wrong
    assert stock._keyring_key == MASTER
