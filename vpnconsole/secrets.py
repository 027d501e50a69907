"""The keyring store for a lab's secrets, and where Alibaba credentials come from.

Entries live under the keyring service ``vpnconsole`` as ``<lab>/<kind>``, kinds being ``psk``,
``h3c-password``, ``alibaba-access-key-id`` and ``alibaba-access-key-secret``.  Values come back as
:class:`vpnconsole.redact.Secret` (masked when printed, registered with the logging backstop).

Backend choice is explicit, never a silent plaintext fallback (:func:`select_backend`):

1. a backend the user configured — ``PYTHON_KEYRING_BACKEND`` or keyringrc — unless it is one that
   stores nothing or stores plain text (refused, with the reason);
2. else the Secret Service, when the D-Bus session has one whose default collection is unlocked
   (a locked one is an error: vpnconsole never triggers an unlock prompt nobody can answer);
3. else the encrypted file keyring (``$VPNCONSOLE_HOME/keyring.cfg`` or
   ``$XDG_DATA_HOME/vpnconsole/keyring.cfg``), unlocked by a master password from
   ``VPNCONSOLE_KEYRING_PASSWORD`` or from a callback the caller passes (the CLI/TUI asks).

This module never imports the Alibaba SDK.  No message it produces contains a secret value.
"""

from __future__ import annotations

import configparser
import getpass
import json
import os
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, TextIO

from keyring.backend import KeyringBackend

from vpnconsole.keyring_backend import (
    PROBE_TIMEOUT,
    SERVICE,
    EncryptedFileKeyring,
    InsecureBackendError,
    KeyringLockedError,
    NoBackendError,
    SecretServiceKeyring,
    SecretStoreError,
    WrongMasterPasswordError,
    adopt,
    default_keyring_path,
    probe_secret_service,
    qualified_name,
    refusal_reason,
)
from vpnconsole.profile import NAME_RE
from vpnconsole.psk import generate_psk, psk_problems
from vpnconsole.redact import Secret, redact

__all__ = [
    "KINDS", "SERVICE", "PASSWORD_ENV", "SecretStore", "BackendChoice", "Credentials",
    "SecretStoreError", "NoBackendError", "InsecureBackendError", "KeyringLockedError",
    "WrongMasterPasswordError", "InvalidSecretError",
    "select_backend", "open_store", "read_secret_input", "generate_and_store_psk", "alibaba_credentials",
    "default_keyring_path", "entry_name",
]

KINDS = ("psk", "h3c-password", "alibaba-access-key-id", "alibaba-access-key-secret")
PASSWORD_ENV = "VPNCONSOLE_KEYRING_PASSWORD"
MAX_VALUE_LENGTH = 4096

AskPassword = Callable[[str], "str | None"]
AskNewPassword = Callable[[Path], "str | None"]


class InvalidSecretError(ValueError):
    """A value that must not be stored (e.g. a PSK one end would refuse).  Never contains the value."""


def entry_name(lab: str, kind: str) -> str:
    """The keyring username of one secret: ``<lab>/<kind>`` (the service is ``vpnconsole``)."""
    if not isinstance(lab, str) or not NAME_RE.match(lab):
        raise InvalidSecretError(f"{lab!r} is not a lab name (1–32 of a-z, 0-9 and '-')")
    if kind not in KINDS:
        raise InvalidSecretError(f"unknown secret kind {kind!r}; one of: {', '.join(KINDS)}")
    return f"{lab}/{kind}"


def value_problems(kind: str, value: str) -> list[str]:
    """Why ``value`` should not be stored as ``kind`` (empty list: fine).  Never quotes the value."""
    if not value:
        return ["the value is empty"]
    if len(value) > MAX_VALUE_LENGTH:
        return [f"the value has {len(value)} characters (at most {MAX_VALUE_LENGTH})"]
    if kind == "psk":
        return psk_problems(value)
    problems = []
    if any(not c.isprintable() for c in value):
        problems.append("the value contains line breaks or control characters")
    if kind.startswith("alibaba-") and any(c.isspace() for c in value):
        problems.append("an Alibaba AccessKey never contains whitespace")
    return problems


# --- the store -------------------------------------------------------------------------------------

class SecretStore:
    """A lab's secrets in one keyring backend.  Thread-safe; values are returned as :class:`Secret`."""

    def __init__(self, backend: KeyringBackend, description: str | None = None, *, kind: str = "configured"):
        self._backend = backend
        self._description = description or qualified_name(backend)
        self.kind = kind  # "configured" | "secretservice" | "file"
        self._lock = threading.RLock()

    @classmethod
    def open(cls, ask_master_password: AskPassword | None = None, **kwargs) -> "SecretStore":
        return open_store(ask_master_password, **kwargs)

    @property
    def backend(self) -> KeyringBackend:
        return self._backend

    @property
    def path(self) -> Path | None:
        """The keyring file, for the encrypted file keyring."""
        return self._backend.path if isinstance(self._backend, EncryptedFileKeyring) else None

    def backend_description(self) -> str:
        return self._description

    def get(self, lab: str, kind: str) -> Secret | None:
        name = entry_name(lab, kind)
        value = self._call("read", name, lambda: self._backend.get_password(SERVICE, name))
        return None if value is None else Secret(value, kind)

    def set(self, lab: str, kind: str, value: str | Secret) -> str:
        """Store a value (validated first); returns its fingerprint."""
        name = entry_name(lab, kind)
        if isinstance(value, Secret):
            value = value.reveal()
        if not isinstance(value, str):
            raise InvalidSecretError(f"{name}: a secret is a string")
        secret = Secret(value, kind)  # registers it with the log backstop before anything can log it
        problems = value_problems(kind, value)
        if problems:
            raise InvalidSecretError(f"not storing {name}: " + "; ".join(problems))
        self._call("store", name, lambda: self._backend.set_password(SERVICE, name, value), value)
        return secret.fingerprint

    def delete(self, lab: str, kind: str) -> bool:
        """Remove an entry; ``False`` when there was none."""
        from keyring.errors import PasswordDeleteError

        name = entry_name(lab, kind)

        def delete() -> bool:
            try:
                self._backend.delete_password(SERVICE, name)
            except PasswordDeleteError:
                return False
            return True

        return self._call("delete", name, delete)

    def fingerprint(self, lab: str, kind: str) -> str | None:
        """What to show instead of the value (``sha256:…``), or ``None`` when nothing is stored."""
        secret = self.get(lab, kind)
        return None if secret is None else secret.fingerprint

    def _call(self, what: str, name: str, fn, value: str | None = None):
        from keyring.errors import KeyringError, KeyringLocked

        with self._lock:
            try:
                return fn()
            except SecretStoreError:
                raise
            except KeyringLocked:
                raise KeyringLockedError(f"cannot {what} {name}: the keyring is locked") from None
            except Exception as exc:  # noqa: BLE001 - anything a backend raises becomes one clear error
                known = (KeyringError, OSError, TimeoutError, RuntimeError, ValueError)
                if not isinstance(exc, known) and not _is_dbus_error(exc):
                    raise
                detail = redact(f"{type(exc).__name__}: {exc}", [value] if value else [])
                raise SecretStoreError(f"cannot {what} {name} in {self._description}: {detail}") from None

    def __repr__(self) -> str:
        return f"SecretStore({self._description})"


def _is_dbus_error(exc: BaseException) -> bool:
    mod = type(exc).__module__
    return mod.startswith("secretstorage") or mod.startswith("jeepney")


# --- backend choice --------------------------------------------------------------------------------

@dataclass
class BackendChoice:
    """The backend :func:`select_backend` picked, before any master password is asked for."""

    kind: str  # "configured" | "secretservice" | "file"
    backend: KeyringBackend
    origin: str  # why this one: "PYTHON_KEYRING_BACKEND=…", "keyringrc …", "unlocked default collection…"
    notes: list[str] = field(default_factory=list)

    @property
    def is_file(self) -> bool:
        return isinstance(self.backend, EncryptedFileKeyring)

    @property
    def path(self) -> Path | None:
        return self.backend.path if isinstance(self.backend, EncryptedFileKeyring) else None

    @property
    def needs_password(self) -> bool:
        return isinstance(self.backend, EncryptedFileKeyring) and not self.backend.unlocked

    @property
    def keyring_exists(self) -> bool:
        """For the encrypted file: does it exist yet (if not, a *new* password must be confirmed)?"""
        return not isinstance(self.backend, EncryptedFileKeyring) or self.backend.exists()

    def description(self) -> str:
        describe = getattr(self.backend, "description", None)
        base = describe() if callable(describe) else f"the keyring backend {qualified_name(self.backend)}"
        return base if self.kind == "file" else f"{base}, {self.origin}"

    def open(self, password: str | None = None, *, create: bool = False) -> SecretStore:
        """The store; for the encrypted file, unlock it with ``password`` (``create``: initialise a new
        file with it — the caller has had the user confirm it)."""
        backend = self.backend
        if isinstance(backend, EncryptedFileKeyring) and not backend.unlocked:
            if not password:
                raise NoBackendError(no_backend_message(self))
            if create:
                backend.create(password)
            else:
                backend.unlock(password)
        return SecretStore(backend, self.description(), kind=self.kind)


def keyringrc_path() -> Path:
    from keyring.util import platform_

    return Path(platform_.config_root()) / "keyringrc.cfg"


def _configured_backend() -> tuple[KeyringBackend | None, str]:
    from keyring import core

    name = os.environ.get("PYTHON_KEYRING_BACKEND", "").strip()
    if name:
        origin = f"configured by PYTHON_KEYRING_BACKEND={name}"
        try:
            backend = core.load_env()
        except Exception as exc:  # noqa: BLE001 - import errors, not viable here (RuntimeError)…
            raise SecretStoreError(f"PYTHON_KEYRING_BACKEND={name} cannot be used: {type(exc).__name__}: {exc}") \
                from None
    else:
        rc = keyringrc_path()
        origin = f"configured in {rc}"
        try:
            backend = core.load_config()
        except Exception as exc:  # noqa: BLE001
            raise SecretStoreError(f"the keyring backend configured in {rc} cannot be used: "
                                   f"{type(exc).__name__}: {exc}") from None
    if backend is None:
        return None, ""
    reason = refusal_reason(backend)
    if reason:
        raise InsecureBackendError(
            f"refusing the keyring backend {qualified_name(backend)} ({origin}): {reason}. vpnconsole never keeps "
            "secrets unprotected nor lets a backend prompt by itself; unset it to use the Secret Service or the "
            "encrypted file keyring, or configure another backend")
    return adopt(backend), origin


def select_backend(*, probe_timeout: float = PROBE_TIMEOUT) -> BackendChoice:
    """Pick the keyring backend (see the module doc); nothing is unlocked yet.

    Raises :class:`InsecureBackendError` for a refused configured backend, :class:`KeyringLockedError`
    for a locked Secret Service, :class:`SecretStoreError` for an unusable configured one.
    """
    backend, origin = _configured_backend()
    if backend is not None:
        if isinstance(backend, SecretServiceKeyring):
            probe = probe_secret_service(probe_timeout)
            if probe.state == "locked":
                raise KeyringLockedError(probe.reason)
            if probe.state != "ready":
                raise SecretStoreError(f"the configured Secret Service ({origin}) is not usable: {probe.reason}")
        return BackendChoice("configured", backend, origin)
    probe = probe_secret_service(probe_timeout)
    if probe.state == "ready":
        return BackendChoice("secretservice", SecretServiceKeyring(), probe.reason)
    if probe.state == "locked":
        raise KeyringLockedError(probe.reason)
    if probe.state == "no-default-collection":
        raise SecretStoreError(probe.reason)
    return BackendChoice("file", EncryptedFileKeyring(default_keyring_path()),
                         "no Secret Service", notes=[probe.reason])


def no_backend_message(choice: BackendChoice | None = None) -> str:
    path = choice.path if choice is not None and choice.path else default_keyring_path()
    why = "; ".join(choice.notes) if choice is not None and choice.notes else "no Secret Service"
    exists = choice is not None and choice.is_file and choice.keyring_exists
    head = (f"the encrypted keyring at {path} needs its master password" if exists
            else "no keyring to keep secrets in")
    return (f"{head} ({why}). Configure one of:\n"
            "  1. a Secret Service with an unlocked default collection on the D-Bus session (log in to the desktop "
            "session, or start one with `gnome-keyring-daemon --unlock --components=secrets`, which reads the "
            "password on stdin, inside a D-Bus session);\n"
            f"  2. the encrypted file keyring at {path}: set {PASSWORD_ENV} to its master password (scripts), "
            "or run vpnconsole on a terminal so it can ask;\n"
            "  3. a keyring backend of your choice in PYTHON_KEYRING_BACKEND or "
            f"{keyringrc_path()} (e.g. vpnconsole.keyring_backend.EncryptedFileKeyring).")


def open_store(ask_master_password: AskPassword | None = None, *,
               ask_new_master_password: AskNewPassword | None = None,
               probe_timeout: float = PROBE_TIMEOUT) -> SecretStore:
    """Choose the backend and open it.

    For the encrypted file keyring the master password comes from ``VPNCONSOLE_KEYRING_PASSWORD``,
    else from ``ask_master_password(prompt)``.  A keyring that does not exist yet is created with a
    password from ``ask_new_master_password(path)`` (the caller asks twice and compares) or, without
    it, from ``ask_master_password`` called twice (compared here).  Without either: :class:`NoBackendError`.
    """
    choice = select_backend(probe_timeout=probe_timeout)
    if not choice.needs_password:
        return choice.open()
    path = choice.path
    exists = choice.keyring_exists
    password = os.environ.get(PASSWORD_ENV)
    if password:
        return choice.open(password, create=not exists)
    if exists:
        if ask_master_password is None:
            raise NoBackendError(no_backend_message(choice))
        password = ask_master_password(f"Master password for the encrypted keyring at {path}: ")
        if not password:
            raise SecretStoreError("no master password given")
        return choice.open(password)
    if ask_new_master_password is not None:
        password = ask_new_master_password(path)
    elif ask_master_password is not None:
        password = ask_master_password(f"New master password for the encrypted keyring at {path}: ")
        if password:
            again = ask_master_password("Repeat the new master password: ")
            if again != password:
                raise SecretStoreError("the two master passwords differ; no keyring was created")
    else:
        raise NoBackendError(no_backend_message(choice))
    if not password:
        raise SecretStoreError("no master password given; no keyring was created")
    return choice.open(password, create=True)


# --- reading a value from the user ---------------------------------------------------------------------

def read_secret_input(prompt: str = "Value: ", *, confirm: bool = True, kind: str = "secret",
                      stdin: TextIO | None = None,
                      getpass_fn: Callable[[str], str] | None = None) -> Secret:
    """A secret typed by the user or piped in.

    On a terminal: ``getpass`` (no echo), asked twice and compared when ``confirm``.  Otherwise the
    whole of stdin, minus exactly one trailing newline (``\\n`` or ``\\r\\n``); more lines are an error.
    Raises ``ValueError`` (never containing the value) when it is empty or the entries differ.
    """
    stream = stdin if stdin is not None else sys.stdin
    if stream is not None and stream.isatty():
        ask = getpass_fn or getpass.getpass
        value = ask(prompt)
        if confirm and value:
            if ask("Repeat: ") != value:
                raise ValueError("the two entries differ; nothing was stored")
    else:
        if stream is None:
            raise ValueError("no input: stdin is closed")
        value = stream.read(MAX_VALUE_LENGTH + 3)
        if len(value) > MAX_VALUE_LENGTH + 2:
            raise ValueError(f"the value on stdin is longer than {MAX_VALUE_LENGTH} characters")
        if value.endswith("\r\n"):
            value = value[:-2]
        elif value.endswith("\n"):
            value = value[:-1]
        if "\n" in value or "\r" in value:
            raise ValueError("stdin holds more than one line; pipe exactly the value (one trailing newline is "
                             "allowed)")
    if not value:
        raise ValueError("empty value; nothing was stored")
    return Secret(value, kind)


def generate_and_store_psk(store: SecretStore, lab: str, length: int = 32, *, replace: bool = False) -> str:
    """``secret generate``: a fresh PSK both ends accept, stored; returns only its fingerprint."""
    if not replace:
        existing = store.fingerprint(lab, "psk")
        if existing is not None:
            raise SecretStoreError(f"lab {lab!r} already has a PSK ({existing}); replacing it means re-applying "
                                   "both ends")
    return store.set(lab, "psk", generate_psk(length))


# --- Alibaba credentials -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Credentials:
    """An Alibaba Cloud AccessKey (optionally with an STS token), and where it came from."""

    access_key_id: str
    access_key_secret: Secret
    security_token: Secret | None = None
    source: str = ""

    def __repr__(self) -> str:
        token = ", sts" if self.security_token is not None else ""
        return f"Credentials({self.access_key_id}, {self.access_key_secret!r}{token}, from {self.source})"


def alibaba_credentials(lab: str, store: SecretStore | Callable[[], SecretStore] | None = None) -> Credentials:
    """The AccessKey to call the Alibaba API with for ``lab``.

    The standard chain first: ``ALIBABA_CLOUD_ACCESS_KEY_ID``/``_SECRET`` (+ ``_SECURITY_TOKEN``); the
    aliyun CLI's ``~/.aliyun/config.json`` (profile ``ALIBABA_CLOUD_PROFILE`` or its ``current``; modes
    ``AK`` and ``StsToken``); ``~/.alibabacloud/credentials.ini`` (or ``ALIBABA_CLOUD_CREDENTIALS_FILE``,
    type ``access_key``).  Then the keyring entries ``<lab>/alibaba-access-key-id`` and ``-secret``;
    ``store`` may be a zero-argument callable so the keyring is only opened (and its password asked)
    when the chain has nothing.  Read without importing the Alibaba SDK.
    """
    notes: list[str] = []
    for source in (_from_environment, _from_aliyun_cli, _from_credentials_ini):
        found = source(notes)
        if found is not None:
            return found
    if store is not None:
        if not isinstance(store, SecretStore):
            store = store()
        key_id = store.get(lab, "alibaba-access-key-id")
        key_secret = store.get(lab, "alibaba-access-key-secret")
        if key_id is not None and key_secret is not None:
            return Credentials(key_id.reveal(), key_secret, None, f"keyring entries {lab}/alibaba-access-key-* in "
                                                                  f"{store.backend_description()}")
        if (key_id is None) != (key_secret is None):
            missing = "alibaba-access-key-secret" if key_secret is None else "alibaba-access-key-id"
            raise SecretStoreError(f"the keyring has only half of lab {lab!r}'s AccessKey: {lab}/{missing} is missing")
        notes.append(f"no {lab}/alibaba-access-key-id in {store.backend_description()}")
    else:
        notes.append("the keyring was not consulted")
    raise SecretStoreError(
        "no Alibaba Cloud credentials: set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET, configure "
        f"an AK profile with `aliyun configure`, or store them with `vpnconsole secret set {lab} "
        f"alibaba-access-key-id` and `... alibaba-access-key-secret` (" + "; ".join(notes) + ")")


def _from_environment(notes: list[str]) -> Credentials | None:
    key_id = os.environ.get("ALIBABA_CLOUD_ACCESS_KEY_ID") or ""
    key_secret = os.environ.get("ALIBABA_CLOUD_ACCESS_KEY_SECRET") or ""
    if not key_id and not key_secret:
        notes.append("ALIBABA_CLOUD_ACCESS_KEY_ID is not set")
        return None
    if not key_id or not key_secret:
        missing = "ALIBABA_CLOUD_ACCESS_KEY_SECRET" if not key_secret else "ALIBABA_CLOUD_ACCESS_KEY_ID"
        raise SecretStoreError(f"{missing} is not set while its partner is; set both (or neither)")
    token = os.environ.get("ALIBABA_CLOUD_SECURITY_TOKEN") or None
    return Credentials(key_id, Secret(key_secret, "alibaba-access-key-secret"),
                       Secret(token, "alibaba-security-token") if token else None,
                       "environment (ALIBABA_CLOUD_ACCESS_KEY_ID/SECRET)")


def _home() -> Path:
    return Path(os.path.expanduser("~"))


def _from_aliyun_cli(notes: list[str]) -> Credentials | None:
    if os.environ.get("ALIBABA_CLOUD_CLI_PROFILE_DISABLED", "").lower() == "true":
        notes.append("the aliyun CLI profile is disabled (ALIBABA_CLOUD_CLI_PROFILE_DISABLED)")
        return None
    path = _home() / ".aliyun" / "config.json"
    if not path.is_file():
        notes.append(f"no {path}")
        return None
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        notes.append(f"{path} is not readable JSON ({type(exc).__name__})")
        return None
    if not isinstance(config, dict):
        notes.append(f"{path} is not an aliyun CLI configuration")
        return None
    name = os.environ.get("ALIBABA_CLOUD_PROFILE") or config.get("current") or "default"
    profiles = config.get("profiles") if isinstance(config.get("profiles"), list) else []
    profile = next((p for p in profiles if isinstance(p, dict) and p.get("name") == name), None)
    if profile is None:
        notes.append(f"no profile {name!r} in {path}")
        return None
    mode = profile.get("mode") or "AK"
    if mode not in ("AK", "StsToken"):
        notes.append(f"profile {name!r} in {path} uses mode {mode}, which needs the Alibaba SDK to resolve; "
                     "vpnconsole reads AK and StsToken profiles")
        return None
    key_id, key_secret = profile.get("access_key_id") or "", profile.get("access_key_secret") or ""
    if not key_id or not key_secret:
        notes.append(f"profile {name!r} in {path} has no AccessKey")
        return None
    token = profile.get("sts_token") if mode == "StsToken" else None
    return Credentials(str(key_id), Secret(str(key_secret), "alibaba-access-key-secret"),
                       Secret(str(token), "alibaba-security-token") if token else None,
                       f"aliyun CLI profile {name!r} ({path})")


def _from_credentials_ini(notes: list[str]) -> Credentials | None:
    path = Path(os.environ.get("ALIBABA_CLOUD_CREDENTIALS_FILE") or _home() / ".alibabacloud" / "credentials.ini")
    if not path.is_file():
        notes.append(f"no {path}")
        return None
    parser = configparser.RawConfigParser()
    try:
        parser.read(path, encoding="utf-8")
    except (OSError, configparser.Error, UnicodeDecodeError) as exc:
        notes.append(f"{path} is not readable ({type(exc).__name__})")
        return None
    name = os.environ.get("ALIBABA_CLOUD_PROFILE") or "default"
    if not parser.has_section(name):
        notes.append(f"no profile [{name}] in {path}")
        return None

    def get(option: str) -> str:
        value = parser.get(name, option, fallback="") or ""
        return value.split("#", 1)[0].strip()  # the SDK's reader drops "# comments" the same way

    kind = get("type")
    if kind != "access_key":
        notes.append(f"profile [{name}] in {path} has type {kind or '(none)'}; vpnconsole reads type access_key")
        return None
    key_id, key_secret = get("access_key_id"), get("access_key_secret")
    if not key_id or not key_secret:
        notes.append(f"profile [{name}] in {path} has no AccessKey")
        return None
    return Credentials(key_id, Secret(key_secret, "alibaba-access-key-secret"), None,
                       f"Alibaba credentials file profile [{name}] ({path})")
