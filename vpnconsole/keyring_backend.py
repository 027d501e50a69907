"""The two keyring backends vpnconsole picks by itself, made safe for a headless console.

Both are thin subclasses of the ``keyring`` backends they are named after, so entries stay readable by
the ``keyring`` CLI and other tools; what changes is that neither ever prompts on its own:

* :class:`SecretServiceKeyring` — ``keyring.backends.SecretService.Keyring`` whose D-Bus calls have
  time-outs and which raises :class:`KeyringLockedError` on a locked collection instead of asking the
  desktop to show an unlock prompt (which, in an SSH session, nobody can answer and the call blocks
  for ever); it never creates a collection (that prompts too).
* :class:`EncryptedFileKeyring` — ``keyrings.cryptfile.cryptfile.CryptFileKeyring`` (Argon2id key
  derivation, AES-128-GCM per entry) that never calls ``getpass`` (stock cryptfile reads the master
  password from stdin whenever it has none), verifies the master password when unlocking, forgets a
  wrong one (stock cryptfile keeps it after a failed ``keyring_key`` assignment and would encrypt new
  entries with it), writes its file atomically with mode 0600 under a 0700 directory, and caches
  decrypted entries in memory while the file is unchanged (every read otherwise costs one Argon2 run).

Both have priority -1: the ``keyring`` library never picks them by itself, but naming them in
``PYTHON_KEYRING_BACKEND`` or keyringrc works (e.g. to choose the encrypted file explicitly while a
Secret Service is running).  This module also knows which configured backends to refuse.

Nothing here ever puts a secret value in an exception message.
"""

from __future__ import annotations

import base64
import configparser
import contextlib
import fcntl
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from keyring.backend import KeyringBackend
from keyring.backends import SecretService as _ss
from keyring.compat import properties
from keyring.errors import PasswordDeleteError
from keyrings.cryptfile.cryptfile import CryptFileKeyring
from keyrings.cryptfile.escape import escape as escape_for_ini
from keyrings.cryptfile.file import EncryptedKeyring as _CryptfileEncryptedKeyring

SERVICE = "vpnconsole"
SECRETS_BUS_NAME = "org.freedesktop.secrets"
DEFAULT_COLLECTION = "/org/freedesktop/secrets/aliases/default"
DBUS_TIMEOUT = 5.0  # seconds for one D-Bus call once connected
PROBE_TIMEOUT = 3.0  # seconds for the whole "is there an unlocked Secret Service?" check

_REFERENCE_SECTION = "keyring-setting"
_REFERENCE_KEY = "password reference"
_REFERENCE_VALUE = "password reference value"
MIN_MASTER_PASSWORD = 8


# --- errors ----------------------------------------------------------------------------------------

class SecretStoreError(Exception):
    """Any problem with the keyring.  Messages never contain a secret value."""


class NoBackendError(SecretStoreError):
    """No keyring could be chosen without asking for something we were not given."""


class InsecureBackendError(SecretStoreError):
    """The configured keyring backend would store secrets unprotected (or not at all)."""


class KeyringLockedError(SecretStoreError):
    """The Secret Service collection is locked and unlocking it would need an interactive prompt."""


class WrongMasterPasswordError(SecretStoreError):
    """The master password does not open the encrypted file keyring."""


def locked_message(label: str | None = None) -> str:
    which = f" (Secret Service collection {label!r})" if label else " (Secret Service)"
    return (f"the keyring is locked{which}: unlock it (e.g. log in to the desktop session, or run "
            "`gnome-keyring-daemon --replace --unlock`, which reads the password on stdin) or use the encrypted "
            "file keyring (PYTHON_KEYRING_BACKEND=vpnconsole.keyring_backend.EncryptedFileKeyring); vpnconsole "
            "never opens an unlock prompt, which would block a headless session")


def no_default_collection_message() -> str:
    return ("the Secret Service on this D-Bus session has no default collection (creating one needs an "
            "interactive prompt): create it once from a desktop session (e.g. seahorse), or use the "
            "encrypted file keyring (PYTHON_KEYRING_BACKEND=vpnconsole.keyring_backend.EncryptedFileKeyring)")


# --- paths -----------------------------------------------------------------------------------------

def default_keyring_path() -> Path:
    """``$VPNCONSOLE_HOME/keyring.cfg``, else ``$XDG_DATA_HOME/vpnconsole/keyring.cfg``."""
    if home := os.environ.get("VPNCONSOLE_HOME"):
        return Path(home) / "keyring.cfg"
    data = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(data) / "vpnconsole" / "keyring.cfg"


def _private_dir(path: Path) -> None:
    """Create ``path`` (mode 0700) if needed; tighten it to 0700 when it is ours."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    st = path.stat()
    if st.st_uid == os.geteuid() and st.st_mode & 0o077:
        os.chmod(path, 0o700)


# --- D-Bus with time-outs --------------------------------------------------------------------------

_connection_class = None


def _timeout_connection_class():
    global _connection_class
    if _connection_class is None:
        from jeepney.io.blocking import DBusConnection

        class TimeoutDBusConnection(DBusConnection):
            """A jeepney connection whose waits all end: no call can block a headless session for ever."""

            def __init__(self, sock, call_timeout: float = DBUS_TIMEOUT):
                self.call_timeout = call_timeout  # before super().__init__, which says Hello
                super().__init__(sock)

            def send_and_get_reply(self, message, *, timeout=None):
                return super().send_and_get_reply(message,
                                                  timeout=self.call_timeout if timeout is None else timeout)

            def recv_until_filtered(self, queue, *, timeout=None):
                return super().recv_until_filtered(queue, timeout=self.call_timeout if timeout is None else timeout)

        _connection_class = TimeoutDBusConnection
    return _connection_class


def open_session_bus(timeout: float = DBUS_TIMEOUT):
    """Connect to the D-Bus session bus; every later call on it times out after ``timeout`` seconds.

    Raises :class:`SecretStoreError` with the reason when there is no session bus to connect to.
    """
    from jeepney.bus import get_bus
    from jeepney.io.blocking import prep_socket

    address = os.environ.get("DBUS_SESSION_BUS_ADDRESS")
    if not address:
        raise SecretStoreError("no D-Bus session (DBUS_SESSION_BUS_ADDRESS is not set)")
    try:
        sock = prep_socket(get_bus(address), timeout=min(timeout, 2.0))
    except (OSError, ValueError, KeyError, StopIteration, RuntimeError) as exc:
        raise SecretStoreError(f"cannot connect to the D-Bus session bus: {exc or type(exc).__name__}") from None
    try:
        return _timeout_connection_class()(sock, timeout)
    except (OSError, TimeoutError) as exc:
        sock.close()
        raise SecretStoreError(f"the D-Bus session bus does not answer: {exc or type(exc).__name__}") from None


@dataclass(frozen=True)
class SecretServiceProbe:
    """What :func:`probe_secret_service` found.  ``state`` is one of ``ready`` (an unlocked default
    collection), ``locked``, ``no-default-collection`` or ``absent`` (no bus, no service, or no answer)."""

    state: str
    reason: str
    collection_label: str | None = None

    @property
    def ready(self) -> bool:
        return self.state == "ready"


def probe_secret_service(timeout: float = PROBE_TIMEOUT) -> SecretServiceProbe:
    """Is a Secret Service with an unlocked default collection reachable?  Never prompts, never hangs:
    each D-Bus call times out after ``timeout`` seconds."""
    try:
        from jeepney import DBusAddress, DBusErrorResponse, MessageType, Properties, new_method_call
        from jeepney.bus_messages import message_bus
    except ImportError:  # pragma: no cover - jeepney is a dependency of SecretStorage
        return SecretServiceProbe("absent", "jeepney (D-Bus) is not installed")
    try:
        conn = open_session_bus(timeout)
    except SecretStoreError as exc:
        return SecretServiceProbe("absent", str(exc))
    try:
        def call(msg):
            reply = conn.send_and_get_reply(msg, timeout=timeout)
            if reply.header.message_type == MessageType.error:
                raise SecretStoreError(str(DBusErrorResponse(reply)))
            return reply.body

        owned = call(message_bus.NameHasOwner(SECRETS_BUS_NAME))[0]
        if not owned and SECRETS_BUS_NAME not in call(message_bus.ListActivatableNames())[0]:
            return SecretServiceProbe("absent", "no Secret Service (org.freedesktop.secrets) on the D-Bus session")
        service = DBusAddress("/org/freedesktop/secrets", SECRETS_BUS_NAME, "org.freedesktop.Secret.Service")
        # ReadAlias starts an activatable service; the time-out bounds that too.
        path = call(new_method_call(service, "ReadAlias", "s", ("default",)))[0]
        if len(path) <= 1:
            return SecretServiceProbe("no-default-collection", no_default_collection_message())
        collection = DBusAddress(path, SECRETS_BUS_NAME, "org.freedesktop.Secret.Collection")
        label = call(Properties(collection).get("Label"))[0][1]
        locked = call(Properties(collection).get("Locked"))[0][1]
        if locked:
            return SecretServiceProbe("locked", locked_message(label), label)
        return SecretServiceProbe("ready", f"unlocked default collection {label!r}", label)
    except TimeoutError:
        return SecretServiceProbe("absent", f"the Secret Service did not answer within {timeout:g} s")
    except (SecretStoreError, OSError, ValueError) as exc:
        return SecretServiceProbe("absent", f"the Secret Service is not usable: {exc or type(exc).__name__}")
    finally:
        conn.close()


# --- Secret Service --------------------------------------------------------------------------------

class SecretServiceKeyring(_ss.Keyring):
    """``keyring.backends.SecretService.Keyring`` that never prompts and never waits for ever."""

    appid = "vpnconsole"

    @properties.classproperty
    def priority(cls) -> float:
        probe = probe_secret_service()
        if probe.state == "absent":
            raise RuntimeError(probe.reason)
        return -1  # usable, but only when chosen explicitly

    def get_preferred_collection(self):
        import secretstorage
        from secretstorage.exceptions import ItemNotFoundException, SecretStorageException

        conn = open_session_bus()
        try:
            path = getattr(self, "preferred_collection", None) or DEFAULT_COLLECTION
            try:
                collection = secretstorage.Collection(conn, path)
            except ItemNotFoundException:
                if path == DEFAULT_COLLECTION:
                    raise SecretStoreError(no_default_collection_message()) from None
                raise SecretStoreError(f"the Secret Service has no collection {path}") from None
            except SecretStorageException as exc:
                raise SecretStoreError(f"the Secret Service is not usable: {exc}") from None
            if collection.is_locked():
                raise KeyringLockedError(locked_message(collection.get_label()))
        except BaseException:
            conn.close()
            raise
        return collection

    def unlock(self, item) -> None:
        if item.is_locked():
            raise KeyringLockedError(locked_message())

    def description(self) -> str:
        return "the Secret Service (D-Bus session keyring)"


# --- encrypted file --------------------------------------------------------------------------------

class EncryptedFileKeyring(CryptFileKeyring):
    """keyrings.cryptfile's Argon2id + AES-GCM file keyring that never prompts (see the module doc).

    Use :meth:`unlock` (existing file) or :meth:`create` (new file) before anything else; until then
    every access raises :class:`SecretStoreError` instead of asking on stdin.
    """

    filename = "keyring.cfg"

    @properties.classproperty
    def priority(cls) -> float:
        CryptFileKeyring.priority  # noqa: B018 - raises RuntimeError without argon2-cffi / pycryptodome
        return -1  # only when chosen explicitly

    def __init__(self, path: str | os.PathLike[str] | None = None):
        super().__init__()
        self.file_path = str(path if path is not None else default_keyring_path())
        self._mutex = threading.RLock()
        self._cache: dict[tuple[str, str], str | None] = {}
        self._cache_signature: tuple[int, int, int] | None = None
        self._session_salt: bytes | None = None
        self._derived: dict[tuple[str, bytes], bytes] = {}

    # -- one Argon2 derivation per salt, not per entry --------------------------------------------
    # Stock cryptfile draws a fresh salt for every entry it writes, so every write and every read
    # pays a full Argon2 run (~0.4 s).  Here all entries written while the keyring is unlocked share
    # one random salt, and derived keys are remembered (in memory, like the master password itself)
    # until the keyring is locked.  Each entry still gets its own random GCM nonce, the file format
    # is unchanged (stock cryptfile reads it), and an attacker still pays Argon2 per password guess.
    def _create_cipher(self, password, salt, nonce=None):
        from Crypto.Cipher import AES

        aesmode = self._get_mode(self.aesmode)
        cache_key = (password, bytes(salt))
        key = self._derived.get(cache_key)
        if key is None:
            from argon2.low_level import Type, hash_secret_raw

            key = hash_secret_raw(secret=password.encode(self.password_encoding), salt=salt,
                                  time_cost=self.time_cost, memory_cost=self.memory_cost,
                                  parallelism=self.parallelism, hash_len=16, type=Type.ID)
            if password == self._keyring_key:  # never remember keys of a wrong password
                self._derived[cache_key] = key
        return AES.new(key, aesmode, nonce)

    def encrypt(self, password, assoc=None):
        if self._session_salt is None:
            self._session_salt = os.urandom(16)
        cipher = self._create_cipher(self.keyring_key, self._session_salt)
        if assoc is not None:
            cipher.update(assoc)
        data, mac = cipher.encrypt_and_digest(password)
        fields = dict(salt=self._session_salt, data=data, mac=mac, nonce=cipher.nonce)
        return json.dumps({k: base64.encodebytes(v).decode()[:-1] for k, v in fields.items()}).encode()

    # -- never prompt ---------------------------------------------------------------------------
    def _get_new_password(self) -> str:
        raise NoBackendError(f"the encrypted keyring at {self.file_path} does not exist yet and no master "
                             "password was given to create it")

    def _unlock(self) -> None:
        if self._keyring_key is None:
            raise SecretStoreError(f"the encrypted keyring at {self.file_path} is locked: no master password "
                                   "was given")
        self._verify()

    # Stock cryptfile's keyring_key property unlocks (or creates) on first use by calling getpass,
    # and keeps a wrong key after a failed assignment; these never prompt and forget a wrong key.
    @property
    def keyring_key(self) -> str:
        if self._keyring_key is None:
            self._unlock()  # raises: no master password was given
        return self._keyring_key

    @keyring_key.setter
    def keyring_key(self, key: str) -> None:
        if self.exists():
            self.unlock(key)
        else:
            self.create(key)

    @keyring_key.deleter
    def keyring_key(self) -> None:
        self.lock()

    # -- state ----------------------------------------------------------------------------------
    @property
    def path(self) -> Path:
        return Path(self.file_path)

    @property
    def unlocked(self) -> bool:
        return self._keyring_key is not None

    def exists(self) -> bool:
        """Has this file been initialised as a keyring (it holds the password reference)?"""
        config = self._read_config()
        return config.has_option(escape_for_ini(_REFERENCE_SECTION), escape_for_ini(_REFERENCE_KEY))

    def unlock(self, password: str) -> None:
        """Open an existing keyring, verifying ``password`` against its reference entry."""
        if not password or not password.strip():
            raise SecretStoreError("the master password is empty")
        with self._mutex:
            if not self.exists():
                if self._read_config().sections():
                    raise SecretStoreError(f"{self.file_path} is not an encrypted keyring (no password reference)")
                raise NoBackendError(f"there is no encrypted keyring at {self.file_path} yet")
            self._keyring_key = password
            try:
                self._verify()
            except BaseException:
                self._keyring_key = None
                self._derived.clear()
                raise
            self._tighten_permissions()

    def create(self, password: str) -> None:
        """Initialise a new keyring file protected by ``password`` (the caller confirmed it)."""
        if not password or not password.strip():
            raise SecretStoreError("the master password is empty")
        if len(password) < MIN_MASTER_PASSWORD:
            raise SecretStoreError(f"a new master password needs at least {MIN_MASTER_PASSWORD} characters")
        with self._mutex:
            if self.exists():
                raise SecretStoreError(f"an encrypted keyring already exists at {self.file_path}")
            self._keyring_key = password
            try:
                self._init_file()
            except BaseException:
                self._keyring_key = None
                raise

    def lock(self) -> None:
        with self._mutex:
            self._keyring_key = None
            self._session_salt = None
            self._derived.clear()
            self._cache.clear()
            self._cache_signature = None

    def _verify(self) -> None:
        try:
            if not self._check_file():
                raise SecretStoreError(f"{self.file_path} is not an encrypted keyring (no password reference)")
        except ValueError as exc:  # scheme mismatch
            raise SecretStoreError(f"the encrypted keyring at {self.file_path} has an unsupported format: {exc}") \
                from None
        try:
            # AES-GCM authenticates: a wrong key fails the MAC check (ValueError), it never decrypts to junk.
            reference = CryptFileKeyring.get_password(self, _REFERENCE_SECTION, _REFERENCE_KEY)
        except (ValueError, UnicodeDecodeError, KeyError):
            reference = None
        if reference != _REFERENCE_VALUE:
            raise WrongMasterPasswordError(f"wrong master password for the encrypted keyring at {self.file_path}")
        # Entries written in this session reuse the reference entry's salt, whose key the check above
        # has just derived: writing a secret then costs no further Argon2 run.
        self._session_salt = self._entry_salt(_REFERENCE_SECTION, _REFERENCE_KEY)

    def _entry_salt(self, service: str, username: str) -> bytes | None:
        try:
            raw = self._read_config().get(escape_for_ini(service), escape_for_ini(username))
            payload = json.loads(base64.decodebytes(raw.encode()).decode())
            return base64.decodebytes(payload["salt"].encode())
        except (configparser.Error, ValueError, KeyError, TypeError):
            return None  # an odd entry: encrypt() then draws a fresh salt

    # -- reads, cached while the file is unchanged -----------------------------------------------
    def _signature(self) -> tuple[int, int, int] | None:
        try:
            st = os.stat(self.file_path)
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_size, st.st_mtime_ns)

    def get_password(self, service: str, username: str) -> str | None:
        with self._mutex:
            if self._keyring_key is None:
                self._unlock()  # raises: no password
            signature = self._signature()
            if signature != self._cache_signature:
                self._cache.clear()
                self._cache_signature = signature
            key = (service, username)
            if key not in self._cache:
                try:
                    self._cache[key] = super().get_password(service, username)
                except ValueError:
                    raise SecretStoreError(f"the entry {service}/{username} in {self.file_path} cannot be decrypted "
                                           "(written with another master password, or the file was altered)") \
                        from None
            return self._cache[key]

    def set_password(self, service: str, username: str, password: str) -> None:
        with self._mutex:
            if self._keyring_key is None:
                self._unlock()
            super().set_password(service, username, password)
            # The file changed: forget what was cached, but remember what we just wrote (saves an
            # Argon2 run when the caller reads it back, e.g. for its fingerprint).
            self._cache = {(service, username): password}
            self._cache_signature = self._signature()

    def delete_password(self, service: str, username: str) -> None:
        with self._mutex, self._file_lock():
            config = self._read_config()
            section, option = escape_for_ini(service), escape_for_ini(username)
            if not config.has_option(section, option):
                raise PasswordDeleteError("Password not found")
            config.remove_option(section, option)
            if not config.items(section):
                config.remove_section(section)
            self._atomic_write(config)

    # -- writes: atomic, 0600, serialised between processes ----------------------------------------
    def _read_config(self) -> configparser.RawConfigParser:
        config = configparser.RawConfigParser()
        try:
            with open(self.file_path, encoding="utf-8") as fh:
                config.read_file(fh)
        except FileNotFoundError:
            pass
        except (configparser.Error, UnicodeDecodeError) as exc:
            raise SecretStoreError(f"{self.file_path} is not a readable keyring file: {type(exc).__name__}") from None
        return config

    def _ensure_file_path(self) -> None:
        _private_dir(self.path.parent)

    def _write_config_value(self, service: str, key: str, value: str) -> None:
        self._ensure_file_path()
        with self._file_lock():
            config = self._read_config()
            service, key = escape_for_ini(service), escape_for_ini(key)
            if not config.has_section(service):
                config.add_section(service)
            config.set(service, key, value)
            self._atomic_write(config)

    @contextlib.contextmanager
    def _file_lock(self) -> Iterator[None]:
        self._ensure_file_path()
        lock_path = self.file_path + ".lock"
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def _atomic_write(self, config: configparser.RawConfigParser) -> None:
        target = self.path
        tmp = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                config.write(fh)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        with contextlib.suppress(OSError):
            dfd = os.open(target.parent, os.O_RDONLY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)

    def _tighten_permissions(self) -> None:
        with contextlib.suppress(OSError):
            st = os.stat(self.file_path)
            if st.st_uid == os.geteuid() and st.st_mode & 0o077:
                os.chmod(self.file_path, 0o600)

    def description(self) -> str:
        return f"the encrypted file keyring at {self.file_path} (Argon2id + AES-128-{self.aesmode})"


# --- which configured backends to refuse -------------------------------------------------------------

_INSECURE: dict[str, str] = {
    "keyring.backends.fail.Keyring": "it cannot store anything (it is what `keyring` falls back to when it "
                                     "finds no usable backend)",
    "keyring.backends.null.Keyring": "it silently discards every secret",
    "keyrings.alt.file.PlaintextKeyring": "it writes secrets to a file in plain text",
    "keyrings.cryptfile.file.PlaintextKeyring": "it writes secrets to a file in plain text",
    "keyrings.alt.pyfs.PlaintextKeyring": "it writes secrets to a file in plain text",
}
_PROMPTING: dict[str, str] = {
    "keyrings.cryptfile.file.EncryptedKeyring": "it asks for its password on stdin (getpass), which blocks or "
                                                "misreads a headless session; use "
                                                "keyrings.cryptfile.cryptfile.CryptFileKeyring instead",
    "keyrings.alt.file.EncryptedKeyring": "it asks for its password on stdin (getpass), which blocks or misreads "
                                          "a headless session; use vpnconsole.keyring_backend.EncryptedFileKeyring",
}


def qualified_name(obj: Any) -> str:
    cls = obj if isinstance(obj, type) else type(obj)
    return f"{cls.__module__}.{cls.__qualname__}"


def refusal_reason(backend: KeyringBackend) -> str | None:
    """Why vpnconsole will not keep secrets in ``backend`` (``None``: it is acceptable)."""
    from keyring.backends.chainer import ChainerBackend

    if isinstance(backend, ChainerBackend):
        members = list(type(backend).backends)
        if not members:
            return "the chainer backend resolves to no keyring at all, so secrets would not be stored"
        for member in members:
            if isinstance(member, _CryptfileEncryptedKeyring) and not isinstance(member, EncryptedFileKeyring):
                # inside a chain vpnconsole cannot hand it the master password: it would call getpass
                reason = ("it asks for its master password on stdin (getpass) when the chain reaches it, which "
                          "blocks or misreads a headless session")
            else:
                reason = refusal_reason(member)
            if reason:
                return f"the chainer backend includes {qualified_name(member)}, and {reason}"
        return None
    if isinstance(backend, CryptFileKeyring):
        return None  # adopted: unlocked by vpnconsole, never by getpass
    for cls in type(backend).__mro__:
        name = f"{cls.__module__}.{cls.__qualname__}"
        if name in _INSECURE:
            return _INSECURE[name]
        if name in _PROMPTING:
            return _PROMPTING[name]
        if "plaintext" in cls.__name__.lower():
            return "it stores secrets in plain text"
    if isinstance(backend, _CryptfileEncryptedKeyring):
        return _PROMPTING["keyrings.cryptfile.file.EncryptedKeyring"]
    return None


def adopt(backend: KeyringBackend) -> KeyringBackend:
    """The non-prompting equivalent of a configured backend (same storage), or the backend itself."""
    if isinstance(backend, CryptFileKeyring) and not isinstance(backend, EncryptedFileKeyring):
        adopted = EncryptedFileKeyring(backend.file_path)
        return adopted
    if type(backend) is _ss.Keyring:
        adopted_ss = SecretServiceKeyring()
        vars(adopted_ss).update(vars(backend))  # preferred_collection, scheme (KEYRING_PROPERTY_*)
        return adopted_ss
    return backend

