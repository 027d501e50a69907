"""Backend choice: what the user configured is honoured unless it is insecure; no silent fallback."""

from __future__ import annotations

import socket
import threading
import time

import pytest
from keyrings.cryptfile.file import PlaintextKeyring

from vpnconsole import secrets
from vpnconsole.keyring_backend import EncryptedFileKeyring, probe_secret_service
from tests.secretservice import dbus_session  # noqa: F401 - fixture


@pytest.fixture(autouse=True)
def no_session_bus(monkeypatch):
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)


@pytest.mark.parametrize("name, why", [
    ("keyring.backends.null.Keyring", "silently discards every secret"),
    ("keyring.backends.fail.Keyring", "cannot store anything"),
    ("keyrings.cryptfile.file.PlaintextKeyring", "in plain text"),
    ("keyrings.cryptfile.file.EncryptedKeyring", "asks for its password on stdin"),
    ("keyring.backends.chainer.ChainerBackend", "the chainer backend"),
])
def test_refuses_insecure_configured_backends(monkeypatch, name, why):
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", name)
    monkeypatch.setenv("VPNCONSOLE_KEYRING_PASSWORD", "would-be-master")
    with pytest.raises(secrets.InsecureBackendError) as err:
        secrets.open_store()
    message = str(err.value)
    assert f"refusing the keyring backend {name}" in message
    assert f"PYTHON_KEYRING_BACKEND={name}" in message
    assert why in message


class LabelledPlaintext(PlaintextKeyring):
    """A subclass of a plaintext backend (as a plugin might define): still plain text, still refused."""


def test_refuses_subclasses_of_plaintext_backends(monkeypatch):
    # keyrings.alt is not a dependency; its PlaintextKeyring is on the same refusal list.
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", f"{__name__}.LabelledPlaintext")
    with pytest.raises(secrets.InsecureBackendError, match="in plain text"):
        secrets.select_backend()


def test_refuses_insecure_backend_from_keyringrc(isolated_home):
    rc = isolated_home / "config" / "python_keyring" / "keyringrc.cfg"
    rc.parent.mkdir(parents=True)
    rc.write_text("[backend]\ndefault-keyring = keyring.backends.null.Keyring\n")
    with pytest.raises(secrets.InsecureBackendError) as err:
        secrets.select_backend()
    assert f"configured in {rc}" in str(err.value)


def test_honours_a_backend_from_keyringrc(isolated_home):
    rc = isolated_home / "config" / "python_keyring" / "keyringrc.cfg"
    rc.parent.mkdir(parents=True)
    rc.write_text("[backend]\ndefault-keyring = vpnconsole.keyring_backend.EncryptedFileKeyring\n")
    choice = secrets.select_backend()
    assert choice.kind == "configured" and isinstance(choice.backend, EncryptedFileKeyring)
    assert choice.path == isolated_home / "data" / "vpnconsole" / "keyring.cfg"
    assert choice.needs_password and not choice.keyring_exists
    assert f"configured in {rc}" in choice.description()


def test_an_unloadable_configured_backend_is_an_error_not_a_fallback(monkeypatch):
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "no_such_module.Keyring")
    with pytest.raises(secrets.SecretStoreError, match="PYTHON_KEYRING_BACKEND=no_such_module.Keyring cannot be used"):
        secrets.select_backend()
    # A configured Secret Service without a session bus: said so, no fallback to a file.
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.SecretService.Keyring")
    with pytest.raises(secrets.SecretStoreError, match="DBUS_SESSION_BUS_ADDRESS"):
        secrets.select_backend()


def test_no_session_bus_means_the_encrypted_file(isolated_home):
    choice = secrets.select_backend()
    assert choice.kind == "file"
    assert choice.path == isolated_home / "data" / "vpnconsole" / "keyring.cfg"
    assert any("DBUS_SESSION_BUS_ADDRESS is not set" in note for note in choice.notes)
    assert not choice.path.exists()  # choosing creates nothing


@pytest.mark.secretservice
def test_a_session_bus_without_secret_service_means_the_encrypted_file(dbus_session):  # noqa: F811
    probe = probe_secret_service()
    assert probe.state == "absent" and "no Secret Service" in probe.reason
    choice = secrets.select_backend()
    assert choice.kind == "file"


def test_probe_does_not_hang_on_a_silent_bus(tmp_path, monkeypatch):
    """A socket that accepts connections and never answers: the probe gives up within its time-out."""
    path = tmp_path / "silent-bus"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    server.listen(4)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept():
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except OSError:
                pass

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path={path}")
    try:
        start = time.monotonic()
        probe = probe_secret_service(timeout=0.5)
        elapsed = time.monotonic() - start
        assert probe.state == "absent"
        assert elapsed < 3, elapsed
        assert secrets.select_backend(probe_timeout=0.5).kind == "file"
    finally:
        stop.set()
        thread.join()
        for conn in accepted:
            conn.close()
        server.close()


def test_probe_with_a_dead_socket_is_absent(tmp_path, monkeypatch):
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path={tmp_path / 'nobody-here'}")
    probe = probe_secret_service(timeout=0.5)
    assert probe.state == "absent" and "cannot connect" in probe.reason
