"""The store on a real Secret Service: gnome-keyring-daemon on a private D-Bus session bus."""

from __future__ import annotations

import time

import pytest

from vpnconsole import secrets
from vpnconsole.keyring_backend import SecretServiceKeyring, probe_secret_service
from vpnconsole.redact import redact
from tests.secretservice import (  # noqa: F401 - fixtures
    empty_secret_service,
    secret_service,
    secret_service_session,
)

pytestmark = pytest.mark.secretservice

PSK = "Ss-Lab-Psk-9876543210_zyxwvu"


def test_chooses_the_unlocked_secret_service(secret_service, isolated_home):
    probe = probe_secret_service()
    assert probe.ready and probe.collection_label == "Login"
    choice = secrets.select_backend()
    assert choice.kind == "secretservice" and isinstance(choice.backend, SecretServiceKeyring)
    assert not choice.needs_password
    store = secrets.open_store()  # no master password involved
    assert store.kind == "secretservice" and "Secret Service" in store.backend_description()
    assert not (isolated_home / "data" / "vpnconsole").exists()  # no file keyring on the side


def test_set_get_delete_round_trip(secret_service):
    store = secrets.open_store()
    fingerprint = store.set("lab-s", "psk", PSK)
    assert redact(f"log line {PSK}") == "log line ******"  # stored values join the log backstop
    store.set("lab-s", "h3c-password", "Router pass #1")
    assert store.get("lab-s", "psk").reveal() == PSK
    assert store.fingerprint("lab-s", "psk") == fingerprint
    assert store.get("lab-s", "h3c-password").reveal() == "Router pass #1"

    # Stored as the `keyring` library stores it (readable by `keyring get vpnconsole lab-s/psk`).
    items = secret_service.items({"service": "vpnconsole", "username": "lab-s/psk"})
    assert [secret for _, secret in items] == [PSK.encode()]
    assert items[0][0]["application"] == "vpnconsole"

    store.set("lab-s", "psk", PSK[::-1])  # replace, not duplicate
    assert len(secret_service.items({"service": "vpnconsole", "username": "lab-s/psk"})) == 1
    assert store.get("lab-s", "psk").reveal() == PSK[::-1]

    assert store.delete("lab-s", "psk") is True
    assert store.get("lab-s", "psk") is None
    assert store.delete("lab-s", "psk") is False
    assert store.get("other-lab", "psk") is None


def test_generate_prints_only_a_fingerprint(secret_service):
    store = secrets.open_store()
    fingerprint = secrets.generate_and_store_psk(store, "lab-g")
    stored = store.get("lab-g", "psk")
    assert fingerprint == stored.fingerprint and fingerprint.startswith("sha256:")
    assert stored.reveal() not in fingerprint
    with pytest.raises(secrets.SecretStoreError, match="already has a PSK"):
        secrets.generate_and_store_psk(store, "lab-g")
    assert secrets.generate_and_store_psk(store, "lab-g", replace=True) != fingerprint


def test_locked_collection_is_a_clear_error_without_prompt(secret_service):
    store = secrets.open_store()
    store.set("lab-l", "psk", PSK)
    secret_service.lock()
    assert secret_service.is_locked()

    start = time.monotonic()
    with pytest.raises(secrets.KeyringLockedError) as err:
        secrets.open_store()
    message = str(err.value)
    assert message.startswith("the keyring is locked")
    assert "unlock it (e.g. log in to the desktop session" in message and "gnome-keyring-daemon" in message
    assert "encrypted file keyring" in message

    # A store opened before the lock: its reads fail the same way, immediately, no unlock prompt.
    with pytest.raises(secrets.KeyringLockedError, match="the keyring is locked"):
        store.get("lab-l", "psk")
    with pytest.raises(secrets.KeyringLockedError):
        store.set("lab-l", "psk", PSK)
    assert time.monotonic() - start < 5
    assert secret_service.is_locked()  # we never asked for it to be unlocked

    secret_service.unlock()
    assert store.get("lab-l", "psk").reveal() == PSK


def test_honours_a_configured_secret_service(secret_service, monkeypatch):
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.SecretService.Keyring")
    choice = secrets.select_backend()
    assert choice.kind == "configured"
    assert isinstance(choice.backend, SecretServiceKeyring)  # the non-prompting equivalent
    assert "PYTHON_KEYRING_BACKEND=keyring.backends.SecretService.Keyring" in choice.description()
    store = choice.open()
    store.set("lab-c", "psk", PSK)
    assert store.get("lab-c", "psk").reveal() == PSK
    secret_service.lock()
    with pytest.raises(secrets.KeyringLockedError):
        secrets.select_backend()


def test_configured_encrypted_file_wins_over_a_running_secret_service(secret_service, monkeypatch, isolated_home):
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "vpnconsole.keyring_backend.EncryptedFileKeyring")
    choice = secrets.select_backend()
    assert choice.kind == "configured" and choice.is_file
    assert choice.path == isolated_home / "data" / "vpnconsole" / "keyring.cfg"


def test_alibaba_credentials_fall_back_to_the_keyring(secret_service, monkeypatch):
    monkeypatch.delenv("ALIBABA_CLOUD_ACCESS_KEY_ID", raising=False)
    monkeypatch.delenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", raising=False)
    monkeypatch.delenv("ALIBABA_CLOUD_CREDENTIALS_FILE", raising=False)
    monkeypatch.delenv("ALIBABA_CLOUD_PROFILE", raising=False)
    store = secrets.open_store()
    store.set("lab-k", "alibaba-access-key-id", "LTAI5tKeyringExample")
    with pytest.raises(secrets.SecretStoreError, match="only half"):
        secrets.alibaba_credentials("lab-k", store)
    store.set("lab-k", "alibaba-access-key-secret", "KeyringSecretValue0123456789ab")
    opened: list[int] = []

    def factory():
        opened.append(1)
        return store

    creds = secrets.alibaba_credentials("lab-k", factory)
    assert opened == [1]
    assert creds.access_key_id == "LTAI5tKeyringExample"
    assert creds.access_key_secret.reveal() == "KeyringSecretValue0123456789ab"
    assert creds.security_token is None and creds.source.startswith("keyring entries lab-k/")
    assert "KeyringSecretValue" not in repr(creds)


def test_no_default_collection_is_a_clear_error(empty_secret_service):
    """Creating the default collection would need a prompt, so it is reported instead."""
    assert probe_secret_service().state == "no-default-collection"
    with pytest.raises(secrets.SecretStoreError, match="has no default collection"):
        secrets.open_store()
