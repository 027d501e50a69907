"""asyncssh front end of the simulated H3C: password auth, PTY shell, modern or legacy algorithms.

* binds only to loopback (``127.0.0.1`` default, ``::1`` accepted); ``port=0`` picks an ephemeral
  port, exposed as :attr:`H3CServer.port`;
* host key persisted at ``host_key_path`` (generated if missing: ed25519 in modern mode, RSA-2048 in
  legacy mode); ``None`` = a throw-away in-memory key;
* modern mode: curve25519/ECDH/group14-16-sha2 key exchange, ssh-ed25519 (or rsa-sha2-*) host key,
  SHA-2 MACs — what paramiko 5 requires;
* ``legacy=True``: ONLY ``diffie-hellman-group14-sha1`` key exchange and the ``ssh-rsa`` (SHA-1)
  host-key algorithm, CTR/CBC ciphers, ``hmac-sha1`` — an old Comware release; paramiko 4 connects,
  a modern-only client cannot;
* the server identifies as ``SSH-2.0-Comware-<version>``; no exec, no SFTP, no forwarding.

:class:`H3CServerThread` runs the server on its own event loop in a daemon thread for blocking
clients such as netmiko, with clean shutdown (``with H3CServerThread(dev) as srv: srv.port``).
"""

from __future__ import annotations

import asyncio
import os
import threading
from dataclasses import dataclass, field
from typing import Optional, Union

import asyncssh

from .device import CliSession, DeviceOptions, SimulatedH3C
from .peer import Peer

MODERN_KEX = ["curve25519-sha256", "curve25519-sha256@libssh.org", "ecdh-sha2-nistp256",
              "ecdh-sha2-nistp384", "ecdh-sha2-nistp521", "diffie-hellman-group16-sha512",
              "diffie-hellman-group14-sha256"]
MODERN_MACS = ["hmac-sha2-256-etm@openssh.com", "hmac-sha2-512-etm@openssh.com", "hmac-sha2-256", "hmac-sha2-512"]
LEGACY_KEX = ["diffie-hellman-group14-sha1"]
LEGACY_CIPHERS = ["aes128-ctr", "aes192-ctr", "aes256-ctr", "aes128-cbc", "aes256-cbc", "3des-cbc"]
LEGACY_MACS = ["hmac-sha1"]

_LOOPBACK = ("127.0.0.1", "::1", "localhost")


def load_or_create_host_key(path: Optional[str], legacy: bool) -> asyncssh.SSHKey:
    want = "ssh-rsa" if legacy else "ssh-ed25519"
    if path and os.path.exists(path):
        key = asyncssh.read_private_key(path)
        if legacy and key.algorithm != b"ssh-rsa":
            raise ValueError(f"legacy mode needs an RSA host key; {path} holds {key.algorithm.decode()}")
        return key
    key = asyncssh.generate_private_key(want, key_size=2048) if legacy else asyncssh.generate_private_key(want)
    if path:
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        key.write_private_key(path)
        os.chmod(path, 0o600)
    return key


class _SSHServer(asyncssh.SSHServer):
    def __init__(self, owner: "H3CServer"):
        self._owner = owner
        self._conn: Optional[asyncssh.SSHServerConnection] = None

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self._conn = conn
        self._owner._conns.add(conn)

    def connection_lost(self, exc: Optional[Exception]) -> None:
        if self._conn is not None:
            self._owner._conns.discard(self._conn)

    def begin_auth(self, username: str) -> bool:
        return True

    def password_auth_supported(self) -> bool:
        return True

    def validate_password(self, username: str, password: str) -> bool:
        return username == self._owner.username and password == self._owner.password

    def session_requested(self):
        return _ShellSession(self._owner)


class _ShellSession(asyncssh.SSHServerSession):
    def __init__(self, owner: "H3CServer"):
        self._owner = owner
        self._chan = None
        self._cli: Optional[CliSession] = None
        self._queue: asyncio.Queue = asyncio.Queue()
        self._task: Optional[asyncio.Task] = None
        self._loop = asyncio.get_event_loop()

    def connection_made(self, chan) -> None:
        self._chan = chan

    def pty_requested(self, term_type, term_size, term_modes) -> bool:
        return True

    def shell_requested(self) -> bool:
        return True

    def exec_requested(self, command: str) -> bool:
        return False

    def subsystem_requested(self, subsystem: str) -> bool:
        return False

    def session_started(self) -> None:
        dev = self._owner.device
        self._cli = dev.open_session(username=self._owner.username)
        loop = self._loop

        def writer(text: str) -> None:
            loop.call_soon_threadsafe(self._write, text)
        self._cli.writer = writer
        self._write(self._cli.greeting())
        self._task = loop.create_task(self._pump())

    def _write(self, text: str) -> None:
        if self._chan is not None and not self._chan.is_closing():
            self._chan.write(text.encode("utf-8"))

    def data_received(self, data, datatype) -> None:
        if isinstance(data, bytes):
            data = data.decode("utf-8", errors="replace")
        self._queue.put_nowait(data)

    def eof_received(self) -> bool:
        self._queue.put_nowait(None)
        return False

    def connection_lost(self, exc) -> None:
        self._queue.put_nowait(None)
        if self._cli is not None:
            self._owner.device.close_session(self._cli)

    async def _pump(self) -> None:
        latency = self._owner.device.options.latency
        cli = self._cli
        assert cli is not None
        while True:
            data = await self._queue.get()
            if data is None:
                break
            chunks = cli.feed(data)
            for chunk in chunks:
                if latency and not chunk.startswith("\r\n"):
                    # per-command latency; a bare Enter (chunk = CRLF + prompt) is answered at once
                    await asyncio.sleep(latency)
                self._write(chunk)
            if cli.drop:
                conn = self._chan.get_extra_info("connection")
                if conn is not None:
                    conn.abort()
                else:
                    self._chan.close()
                break
            if cli.closed:
                self._chan.close()
                break


@dataclass
class H3CServer:
    """A running simulated-H3C SSH server (returned by :func:`start_h3c_server`)."""

    device: SimulatedH3C
    host: str
    port: int
    username: str
    password: str
    legacy: bool
    _acceptor: Optional[asyncssh.SSHAcceptor] = None
    _conns: set = field(default_factory=set)

    async def close(self) -> None:
        if self._acceptor is not None:
            self._acceptor.close()
            await self._acceptor.wait_closed()
            self._acceptor = None
        conns = list(self._conns)
        for c in conns:
            c.close()
        for c in conns:
            try:
                await asyncio.wait_for(c.wait_closed(), 2)
            except Exception:  # pragma: no cover - best effort
                pass
        self._conns.clear()


async def start_h3c_server(device: Union[SimulatedH3C, DeviceOptions, None] = None, *, host: str = "127.0.0.1",
                           port: int = 0, username: str = "admin", password: str = "admin",
                           host_key_path: Optional[str] = None, legacy: bool = False,
                           peer: Optional[Peer] = None) -> H3CServer:
    """Start an SSH server for ``device`` (a :class:`SimulatedH3C`, or options to build one)."""
    if host not in _LOOPBACK:
        raise ValueError("the simulated H3C only listens on loopback (127.0.0.1 / ::1)")
    if device is None or isinstance(device, DeviceOptions):
        device = SimulatedH3C(device, peer=peer)
    elif peer is not None:
        device.peer = peer
    if not device.config.local_users:
        import base64
        import hashlib
        h = "$h$6$" + base64.b64encode(hashlib.sha512((username + password).encode()).digest()[:48]).decode()
        device.config.local_users.append((username, h))
        device.saved_config.local_users.append((username, h))
    key = load_or_create_host_key(host_key_path, legacy)
    keypair = asyncssh.load_keypairs([key])[0]
    if legacy:
        keypair.host_key_algorithms = [b"ssh-rsa"]
        keypair.sig_algorithms = [b"ssh-rsa"]
        algs = dict(kex_algs=LEGACY_KEX, encryption_algs=LEGACY_CIPHERS, mac_algs=LEGACY_MACS)
    else:
        if key.algorithm == b"ssh-rsa":
            keypair.host_key_algorithms = [b"rsa-sha2-512", b"rsa-sha2-256"]
        algs = dict(kex_algs=MODERN_KEX, mac_algs=MODERN_MACS)
    server = H3CServer(device, host, 0, username, password, legacy)
    acceptor = await asyncssh.create_server(
        lambda: _SSHServer(server), host, port,
        server_host_keys=[keypair],
        server_version=f"Comware-{device.version_string().split(',')[0]}",
        encoding=None, line_editor=False, allow_pty=True, x11_forwarding=False,
        agent_forwarding=False, sftp_factory=None, allow_scp=False,
        compression_algs=["none"], **algs,
    )
    server._acceptor = acceptor
    server.port = acceptor.sockets[0].getsockname()[1]
    return server


class H3CServerThread:
    """Run :func:`start_h3c_server` on a private event loop in a daemon thread.

    ``with H3CServerThread(device, legacy=True) as srv: ConnectHandler(port=srv.port, ...)``
    """

    def __init__(self, device: Union[SimulatedH3C, DeviceOptions, None] = None, **kwargs):
        if device is None or isinstance(device, DeviceOptions):
            device = SimulatedH3C(device, peer=kwargs.pop("peer", None))
        self.device: SimulatedH3C = device
        self._kwargs = kwargs
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._thread: Optional[threading.Thread] = None
        self._ready = threading.Event()
        self._error: Optional[BaseException] = None
        self.server: Optional[H3CServer] = None

    @property
    def port(self) -> int:
        assert self.server is not None, "server not started"
        return self.server.port

    @property
    def host(self) -> str:
        return self._kwargs.get("host", "127.0.0.1")

    def start(self, timeout: float = 15.0) -> "H3CServerThread":
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="h3c-sim-ssh", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise TimeoutError("simulated H3C server did not start")
        if self._error is not None:
            raise self._error
        return self

    def _run(self) -> None:
        loop = self._loop
        assert loop is not None
        asyncio.set_event_loop(loop)
        try:
            self.server = loop.run_until_complete(start_h3c_server(self.device, **self._kwargs))
        except BaseException as e:  # noqa: BLE001 - reported to the starting thread
            self._error = e
            self._ready.set()
            loop.close()
            return
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            try:
                loop.run_until_complete(self.server.close())
                pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
                for t in pending:
                    t.cancel()
                if pending:
                    loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            finally:
                loop.close()

    def close(self, timeout: float = 10.0) -> None:
        if self._loop is None or self._thread is None:
            return
        if self._loop.is_running():
            self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout)
        self._loop = None

    def __enter__(self) -> "H3CServerThread":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()
