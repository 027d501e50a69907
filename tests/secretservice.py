"""A real Secret Service for tests: a private D-Bus session bus with gnome-keyring-daemon on it.

Use the fixtures by importing them into a test module::

    from tests.secretservice import secret_service, secret_service_session  # noqa: F401

* ``secret_service_session`` (session scope) starts, in a temporary directory,
  ``dbus-daemon --nofork --print-address`` with a minimal session configuration (no service
  activation, so nothing outside the fixture can be started on the bus), then
  ``gnome-keyring-daemon --foreground --unlock --components=secrets`` with its own HOME /
  XDG_DATA_HOME / XDG_RUNTIME_DIR and the login password on stdin.  That creates the ``login``
  collection, makes it the default and unlocks it.  Both daemons are children of the test process
  (their own process group) and are terminated, waited for and their directory removed at the end.
* ``secret_service`` (function scope) points ``DBUS_SESSION_BUS_ADDRESS`` at that bus, makes sure
  the collection is unlocked, and removes every item the test left behind.
* ``empty_secret_service`` (function scope) is a second gnome-keyring-daemon with no keyring at all
  (no default collection).
* ``dbus_session`` (function scope) is a bare session bus with no Secret Service on it.

Fixtures skip, with the reason, only when ``dbus-daemon`` or ``gnome-keyring-daemon`` is not
installed (Debian: ``apt-get install dbus-daemon gnome-keyring``; see ``.ci/secret-service-packages.txt``).
"""

from __future__ import annotations

import contextlib
import os
import select
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import pytest

PACKAGES_HINT = "apt-get install dbus-daemon gnome-keyring (listed in .ci/secret-service-packages.txt)"
LOGIN_PASSWORD = "fixture-login-password"
START_TIMEOUT = 15.0

_BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""


def missing_binaries(*, keyring: bool = True) -> list[str]:
    names = ["dbus-daemon"] + (["gnome-keyring-daemon"] if keyring else [])
    return [name for name in names if shutil.which(name) is None]


def _stop(proc: subprocess.Popen | None) -> None:
    """Terminate a daemon we started (and its process group), then reap it."""
    if proc is None or proc.poll() is not None:
        if proc is not None:
            proc.wait()
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)


@dataclass
class DBusSession:
    """A private session bus (``address`` goes in ``DBUS_SESSION_BUS_ADDRESS``)."""

    root: Path
    address: str
    process: subprocess.Popen
    env: dict[str, str] = field(default_factory=dict)


@dataclass
class SecretServiceSession:
    """gnome-keyring-daemon on a private bus; ``password`` unlocks its ``login`` collection."""

    bus: DBusSession
    process: subprocess.Popen
    password: str

    @property
    def address(self) -> str:
        return self.bus.address

    @property
    def root(self) -> Path:
        return self.bus.root

    def stderr(self) -> str:
        with contextlib.suppress(OSError):
            return (self.root / "gnome-keyring.err").read_text(errors="replace")
        return ""

    @contextlib.contextmanager
    def connection(self):
        """A secretstorage/jeepney connection to this bus (not via the environment)."""
        from jeepney.io.blocking import open_dbus_connection

        conn = open_dbus_connection(self.address)
        try:
            yield conn
        finally:
            conn.close()

    def default_collection(self, conn):
        import secretstorage

        return secretstorage.Collection(conn)

    def is_locked(self) -> bool:
        with self.connection() as conn:
            return self.default_collection(conn).is_locked()

    def lock(self) -> None:
        with self.connection() as conn:
            self.default_collection(conn).lock()

    def unlock(self) -> None:
        """Unlock the login collection with its password, without any prompt (gnome-keyring's own
        ``UnlockWithMasterPassword``, the call its PAM module uses)."""
        from secretstorage.util import DBusAddressWrapper, format_secret, open_session

        with self.connection() as conn:
            collection = self.default_collection(conn)
            if not collection.is_locked():
                return
            session = open_session(conn)
            internal = DBusAddressWrapper("/org/freedesktop/secrets",
                                          "org.gnome.keyring.InternalUnsupportedGuiltRiddenInterface", conn)
            real_path = DBusAddressWrapper("/org/freedesktop/secrets", "org.freedesktop.Secret.Service",
                                           conn).call("ReadAlias", "s", "default")[0]
            internal.call("UnlockWithMasterPassword", "o(oayays)", real_path,
                          format_secret(session, self.password.encode(), "text/plain"))
            if collection.is_locked():
                raise RuntimeError("the login collection stayed locked")

    def items(self, attributes: dict[str, str] | None = None) -> list[tuple[dict[str, str], bytes]]:
        """(attributes, secret) of the items in the default collection, read directly."""
        with self.connection() as conn:
            collection = self.default_collection(conn)
            found = collection.search_items(attributes) if attributes else collection.get_all_items()
            return [(item.get_attributes(), item.get_secret()) for item in found]

    def clear(self, attributes: dict[str, str]) -> None:
        with self.connection() as conn:
            for item in list(self.default_collection(conn).search_items(attributes)):
                item.delete()


@contextlib.contextmanager
def running_dbus(root: Path) -> Iterator[DBusSession]:
    """A session dbus-daemon listening on ``root/run/bus``, stopped on exit."""
    run = root / "run"
    run.mkdir(mode=0o700, parents=True, exist_ok=True)
    config = root / "session.conf"
    config.write_text(_BUS_CONFIG.format(socket=run / "bus"))
    with open(root / "dbus.err", "wb") as err:
        proc = subprocess.Popen(
            ["dbus-daemon", f"--config-file={config}", "--nofork", "--print-address=1"],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err, start_new_session=True, cwd=root)
    try:
        address = _read_line(proc, START_TIMEOUT)
        if not address:
            raise RuntimeError(f"dbus-daemon printed no address: {(root / 'dbus.err').read_text(errors='replace')}")
        env = {"DBUS_SESSION_BUS_ADDRESS": address, "XDG_RUNTIME_DIR": str(run)}
        yield DBusSession(root, address, proc, env)
    finally:
        _stop(proc)
        if proc.stdout is not None:
            proc.stdout.close()


def _read_line(proc: subprocess.Popen, timeout: float) -> str:
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    deadline = time.monotonic() + timeout
    data = b""
    while b"\n" not in data:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or proc.poll() is not None and not select.select([fd], [], [], 0)[0]:
            break
        ready, _, _ = select.select([fd], [], [], remaining)
        if not ready:
            break
        chunk = os.read(fd, 4096)
        if not chunk:
            break
        data += chunk
    return data.split(b"\n", 1)[0].decode().strip()


@contextlib.contextmanager
def running_secret_service(root: Path, *, password: str = LOGIN_PASSWORD,
                           unlock: bool = True) -> Iterator[SecretServiceSession]:
    """dbus-daemon + gnome-keyring-daemon (secrets component) under ``root``; stopped on exit.

    With ``unlock`` the login collection is created (first run) and unlocked with ``password``;
    without it the daemon starts with whatever keyrings ``root`` already holds, all locked.
    """
    with running_dbus(root) as bus:
        home = root / "home"
        for sub in ("", ".config", ".local/share", ".cache"):
            (home / sub).mkdir(mode=0o700, parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GNOME_KEYRING", "DISPLAY", "WAYLAND"))}
        env.update(bus.env, HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"),
                   XDG_DATA_HOME=str(home / ".local/share"), XDG_CACHE_HOME=str(home / ".cache"))
        args = ["gnome-keyring-daemon", "--foreground", "--components=secrets"] + (["--unlock"] if unlock else [])
        with open(root / "gnome-keyring.err", "wb") as err:
            proc = subprocess.Popen(args, env=env, cwd=root, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                    stderr=err, start_new_session=True)
        try:
            assert proc.stdin is not None
            if unlock:
                proc.stdin.write(password.encode())
            proc.stdin.close()
            session = SecretServiceSession(bus, proc, password)
            _wait_for_service(session, need_default=unlock)
            yield session
        finally:
            _stop(proc)


def _wait_for_service(session: SecretServiceSession, *, need_default: bool) -> None:
    from jeepney import DBusAddress, new_method_call
    from jeepney.bus_messages import message_bus

    deadline = time.monotonic() + START_TIMEOUT
    last = "not started"
    while time.monotonic() < deadline:
        if session.process.poll() is not None:
            raise RuntimeError(f"gnome-keyring-daemon exited ({session.process.returncode}): {session.stderr()}")
        try:
            with session.connection() as conn:
                if conn.send_and_get_reply(message_bus.NameHasOwner("org.freedesktop.secrets"), timeout=2).body[0]:
                    if not need_default:
                        return
                    service = DBusAddress("/org/freedesktop/secrets", "org.freedesktop.secrets",
                                          "org.freedesktop.Secret.Service")
                    path = conn.send_and_get_reply(new_method_call(service, "ReadAlias", "s", ("default",)),
                                                   timeout=2).body[0]
                    if len(path) > 1 and not session.default_collection(conn).is_locked():
                        return
                    last = f"default collection {path!r} missing or locked"
                else:
                    last = "org.freedesktop.secrets not owned yet"
        except Exception as exc:  # noqa: BLE001 - retry until the deadline
            last = f"{type(exc).__name__}: {exc}"
        time.sleep(0.05)
    raise RuntimeError(f"gnome-keyring-daemon not ready after {START_TIMEOUT:g} s ({last}): {session.stderr()}")


def _skip_unless_installed(*, keyring: bool = True) -> None:
    missing = missing_binaries(keyring=keyring)
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed ({PACKAGES_HINT})")


@pytest.fixture(scope="session")
def secret_service_session() -> Iterator[SecretServiceSession]:
    _skip_unless_installed()
    root = Path(tempfile.mkdtemp(prefix="vpnconsole-ss-"))
    try:
        with running_secret_service(root) as session:
            yield session
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def secret_service(secret_service_session: SecretServiceSession, monkeypatch) -> Iterator[SecretServiceSession]:
    """The session's Secret Service, unlocked, on ``DBUS_SESSION_BUS_ADDRESS``; items the test
    created under the ``vpnconsole`` service are removed afterwards."""
    session = secret_service_session
    session.unlock()
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", session.address)
    yield session
    session.unlock()
    session.clear({"service": "vpnconsole"})


@pytest.fixture
def empty_secret_service(monkeypatch) -> Iterator[SecretServiceSession]:
    """A separate gnome-keyring-daemon with no keyring at all (so no default collection), on
    ``DBUS_SESSION_BUS_ADDRESS``; started without ``--unlock`` in an empty home."""
    _skip_unless_installed()
    root = Path(tempfile.mkdtemp(prefix="vpnconsole-ss-empty-"))
    try:
        with running_secret_service(root, unlock=False) as session:
            monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", session.address)
            yield session
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def dbus_session(monkeypatch) -> Iterator[DBusSession]:
    """A bare D-Bus session bus (no Secret Service), on ``DBUS_SESSION_BUS_ADDRESS``."""
    _skip_unless_installed(keyring=False)
    root = Path(tempfile.mkdtemp(prefix="vpnconsole-bus-"))
    try:
        with running_dbus(root) as bus:
            monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", bus.address)
            yield bus
    finally:
        shutil.rmtree(root, ignore_errors=True)
