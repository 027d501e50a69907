"""Listeners of the simulated OpenStack: the API endpoints, the floating IPs, the path gate.

See the package docstring (:mod:`vpnconsole.lab.openstack`) for what a client sees and why.
"""

from __future__ import annotations

import asyncio
import errno
import ipaddress
import json
import logging
import os
import socket
import ssl
import struct
import threading
import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

from .documents import DEFAULT_SERVICE_PORTS, NOVA_MAX_VERSION, respond
from .gate import GateLike, PathGate, Verdict, as_gate
from .tls import TlsMaterial, make_tls_material

__all__ = [
    "API_SERVICES",
    "DEFAULT_FLOATING_PROTOCOLS",
    "FLOATING_PROTOCOLS",
    "SSH_BANNER",
    "Listener",
    "OpenStackLab",
    "OpenStackLabConfig",
    "ThreadedOpenStackLab",
    "expand_addresses",
    "loopback_address",
    "run_in_thread",
    "start",
]

log = logging.getLogger("vpnconsole.lab.openstack")

LOOPBACK = ipaddress.IPv4Network("127.0.0.0/8")
SSH_BANNER = "SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.6"
API_SERVICES = tuple(DEFAULT_SERVICE_PORTS)  # keystone nova neutron glance
FLOATING_PROTOCOLS = ("ssh", "http", "close")
DEFAULT_FLOATING_PROTOCOLS: dict[int, str] = {22: "ssh", 80: "http", 8080: "http"}  # any other port: "close"
FD_HEADROOM = 256  # descriptors kept free for connections, the event loop, logs, the rest of the process


# --- addresses -----------------------------------------------------------------------------------

def loopback_address(text: object) -> str:
    """``text`` as a dotted IPv4 address in 127.0.0.0/8; anything else is a ValueError."""
    try:
        ip = ipaddress.ip_address(str(text).strip())
    except ValueError:
        raise ValueError(f"{text!r} is not an IP address; the lab listens only on 127.0.0.0/8") from None
    if ip.version != 4 or ip not in LOOPBACK:
        raise ValueError(f"{ip} is not in 127.0.0.0/8; the lab listens only on loopback addresses")
    if ip in (LOOPBACK.network_address, LOOPBACK.broadcast_address):
        raise ValueError(f"{ip} is the network or broadcast address of 127.0.0.0/8; pick a host address")
    return str(ip)


def expand_addresses(entries: Iterable[str]) -> list[str]:
    """Addresses, ``a-b`` ranges (the profile's notation) and ``a/n`` networks -> loopback
    addresses, in order, without duplicates. Every address must be in 127.0.0.0/8."""
    out: dict[str, None] = {}
    for entry in entries:
        text = str(entry).strip()
        if "/" in text:
            try:
                net = ipaddress.IPv4Network(text, strict=False)
            except ValueError:
                raise ValueError(f"{entry!r} is not an address, a range a-b or a network a/n") from None
            ips: Iterable[Any] = net.hosts() if net.num_addresses > 1 else [net.network_address]
        else:
            first, sep, last = text.partition("-")
            lo = ipaddress.IPv4Address(loopback_address(first))
            hi = ipaddress.IPv4Address(loopback_address(last)) if sep else lo
            if hi < lo:
                raise ValueError(f"{entry!r} runs backwards; write the lower address first ({hi}-{lo})")
            ips = (ipaddress.IPv4Address(n) for n in range(int(lo), int(hi) + 1))
        for ip in ips:
            out[loopback_address(ip)] = None
    return list(out)


# --- configuration -------------------------------------------------------------------------------

@dataclass(frozen=True)
class OpenStackLabConfig:
    """What to listen on. Every address must be in 127.0.0.0/8 (ValueError otherwise).

    Ports are *service* ports (5000, 22): what the gate is asked about and what the documents
    name. ``port_map`` binds a service port elsewhere (``{22: 2222}``; 0 = an ephemeral port per
    socket) and ``ephemeral_ports`` does that for every port not in ``port_map`` — tests use it so
    parallel runs never collide and no privilege is needed for port 22. The bound ports are in
    :attr:`OpenStackLab.listeners`.
    """

    api_address: str = "127.0.0.10"
    services: tuple[str, ...] = ("keystone",)
    service_ports: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_SERVICE_PORTS))
    # HTTPS on the API endpoints; the CA certificate is written to ca_path (required with tls).
    tls: bool = False
    ca_path: str | os.PathLike[str] | None = None
    # service -> the root URL the documents name instead of scheme://Host (Keystone's public_endpoint).
    public_endpoints: Mapping[str, str] = field(default_factory=dict)
    floating_ips: tuple[str, ...] = ()  # addresses, "a-b" ranges, "a/n" networks
    floating_ports: tuple[int, ...] = (22,)
    floating_protocols: Mapping[int, str] = field(default_factory=dict)  # port -> ssh | http | close
    port_map: Mapping[int, int] = field(default_factory=dict)
    ephemeral_ports: bool = False
    ssh_banner: str = SSH_BANNER
    ssh_hold_s: float = 10.0  # how long a banner connection stays open without a client ident
    tls_handshake_timeout_s: float = 10.0
    # A blackholed connection whose client half-closes (EOF) is still held this long, so a client
    # that shut down its sending side keeps waiting; then the lab lets go of the descriptor.
    blackhole_eof_hold_s: float = 30.0
    backlog: int = 128
    raise_nofile_limit: bool = True  # lift the soft RLIMIT_NOFILE (up to the hard one) when needed
    server_header: str | None = "Apache/2.4.52 (Ubuntu)"
    nova_max_version: str = NOVA_MAX_VERSION

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "api_address", loopback_address(self.api_address))
        services = (self.services,) if isinstance(self.services, str) else tuple(self.services)
        for s in services:
            if s not in API_SERVICES:
                raise ValueError(f"unknown OpenStack service {s!r}; known: {', '.join(API_SERVICES)}")
            if s not in self.service_ports:
                raise ValueError(f"no port for service {s!r} in service_ports")
        if len(set(services)) != len(services):
            raise ValueError(f"services named twice: {services}")
        set_(self, "services", services)
        fips = (self.floating_ips,) if isinstance(self.floating_ips, str) else tuple(self.floating_ips)
        set_(self, "floating_ips", tuple(expand_addresses(fips)))
        set_(self, "floating_ports", tuple(int(p) for p in self.floating_ports))
        for p in (*self.floating_ports, *(self.service_ports[s] for s in services)):
            _check_port(p, "service port")
        for p, bound in self.port_map.items():
            _check_port(p, "port_map key")
            if bound != 0:
                _check_port(bound, "port_map value")
        for p, proto in self.floating_protocols.items():
            if proto not in FLOATING_PROTOCOLS:
                raise ValueError(f"floating protocol {proto!r} for port {p}; use one of {', '.join(FLOATING_PROTOCOLS)}")
        if self.tls and self.ca_path is None:
            raise ValueError("tls=True needs ca_path: where to write the lab CA certificate for clients")
        for s in self.public_endpoints:
            if s not in API_SERVICES:
                raise ValueError(f"public_endpoints names unknown service {s!r}")
        seen: set[tuple[str, int]] = set()
        for addr, port in self._pairs():
            if (addr, port) in seen:
                raise ValueError(f"{addr}:{port} is configured twice (API address among the floating IPs?)")
            seen.add((addr, port))

    def _pairs(self) -> Iterable[tuple[str, int]]:
        for s in self.services:
            yield self.api_address, self.service_ports[s]
        for a in self.floating_ips:
            for p in self.floating_ports:
                yield a, p

    def bind_port(self, port: int) -> int:
        """The port actually bound for service port ``port`` (0 = ephemeral)."""
        if port in self.port_map:
            return int(self.port_map[port])
        return 0 if self.ephemeral_ports else port

    def floating_protocol(self, port: int) -> str:
        return self.floating_protocols.get(port) or DEFAULT_FLOATING_PROTOCOLS.get(port, "close")

    @property
    def listener_count(self) -> int:
        """Listening sockets (= file descriptors) this configuration needs."""
        return len(self.services) + len(self.floating_ips) * len(self.floating_ports)


def _check_port(p: object, what: str) -> None:
    if not isinstance(p, int) or isinstance(p, bool) or not 1 <= p <= 65535:
        raise ValueError(f"{what} {p!r} is not a TCP port (1-65535)")


@dataclass(frozen=True)
class Listener:
    """One listening socket. ``port`` is the service port, ``bound_port`` where it really listens."""

    kind: str  # keystone | nova | neutron | glance | ssh | http | close
    address: str
    port: int
    bound_port: int
    tls: bool = False

    @property
    def is_api(self) -> bool:
        return self.kind in API_SERVICES


# --- per-connection protocols --------------------------------------------------------------------

def _reset(transport: asyncio.BaseTransport) -> None:
    """Close with RST (SO_LINGER 0), as a refused or reset connection looks from the client."""
    sock = transport.get_extra_info("socket")
    if sock is not None:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
    transport.abort()


class _Gated(asyncio.Protocol):
    """The first protocol of every accepted connection: asks the gate, then serves, holds or resets.

    It stays the transport's protocol for the connection's whole life and forwards to the
    service's protocol, so the lab always knows which connections are open (and can close them),
    and bytes that arrive between a TLS handshake and the hand-over are not lost.
    """

    def __init__(self, lab: OpenStackLab, listener: Listener, factory: Callable[[], asyncio.Protocol]) -> None:
        self._lab = lab
        self._listener = listener
        self._factory = factory
        self._raw: asyncio.Transport | None = None
        self._inner: asyncio.Protocol | None = None
        self._pending: list[bytes] = []
        self._eof = False
        self._lost = False
        self._eof_timer: asyncio.TimerHandle | None = None
        self.verdict: Verdict | None = None

    # connection life
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._raw = transport  # type: ignore[assignment]
        lab = self._lab
        if lab.closing:
            _reset(transport)
            return
        lab._conns.add(self)
        self.verdict = lab._ask(self._listener.address, self._listener.port)
        if self.verdict is Verdict.REFUSE:
            _reset(transport)
        elif self.verdict is Verdict.BLACKHOLE:
            pass  # held: read and discard, never write, until the client gives up or the lab closes
        elif self._listener.tls:
            task = asyncio.get_running_loop().create_task(self._start_tls())
            lab._tasks.add(task)
            task.add_done_callback(lab._tasks.discard)
        else:
            self._hand_over(transport)

    async def _start_tls(self) -> None:
        raw = self._raw
        assert raw is not None and self._lab._tls_context is not None
        loop = asyncio.get_running_loop()
        try:
            tls = await loop.start_tls(raw, self, self._lab._tls_context, server_side=True,
                                       ssl_handshake_timeout=self._lab.config.tls_handshake_timeout_s)
        except asyncio.CancelledError:
            raw.abort()
            raise
        except (OSError, ssl.SSLError, asyncio.TimeoutError, ConnectionError, RuntimeError) as exc:
            log.debug("TLS handshake on %s:%s failed: %r", self._listener.address, self._listener.port, exc)
            raw.abort()
            return
        if tls is None or tls.is_closing() or self._lost:
            raw.abort()
            return
        self._hand_over(tls)

    def _hand_over(self, transport: asyncio.BaseTransport) -> None:
        inner = self._factory()
        self._inner = inner
        inner.connection_made(transport)
        if self._pending:
            data, self._pending = b"".join(self._pending), []
            inner.data_received(data)
        if self._eof and not inner.eof_received():
            transport.close()

    def data_received(self, data: bytes) -> None:
        if self._inner is not None:
            self._inner.data_received(data)
        elif self.verdict is Verdict.OPEN:
            self._pending.append(data)  # between the TLS handshake and the hand-over
        # BLACKHOLE: discarded. Reading does not answer anything; it only lets us notice the
        # client giving up (EOF) and free the descriptor.

    def eof_received(self) -> bool | None:
        if self._inner is not None:
            return self._inner.eof_received()
        self._eof = True
        if self.verdict is Verdict.BLACKHOLE and self._raw is not None:
            # A half-close and a full close look the same from here. Keep quiet for a while (a
            # client that only shut down its sending side still waits for its own timeout), then
            # free the descriptor.
            self._eof_timer = asyncio.get_running_loop().call_later(
                self._lab.config.blackhole_eof_hold_s, self._raw.close)
            return True
        return self.verdict is Verdict.OPEN  # keep a TLS connection open until the hand-over

    def connection_lost(self, exc: Exception | None) -> None:
        self._lost = True
        self._lab._conns.discard(self)
        if self._eof_timer is not None:
            self._eof_timer.cancel()
        if self._inner is not None:
            self._inner.connection_lost(exc)

    def pause_writing(self) -> None:
        if self._inner is not None:
            self._inner.pause_writing()

    def resume_writing(self) -> None:
        if self._inner is not None:
            self._inner.resume_writing()

    def abort(self) -> None:
        if self._raw is not None and not self._raw.is_closing():
            self._raw.abort()


class _SshBanner(asyncio.Protocol):
    """What sshd does before key exchange: its identification line, then it waits for the client's.

    A client identification ``SSH-2.0-...`` is accepted and the connection then idles (no key
    exchange is simulated) until ``hold_s`` or the client closes. Non-SSH input gets OpenSSH's
    "Invalid SSH identification string." and the connection is closed.
    """

    def __init__(self, banner: str, hold_s: float) -> None:
        self._banner = banner.rstrip("\r\n").encode("ascii") + b"\r\n"
        self._hold_s = hold_s
        self._buf = b""
        self._transport: asyncio.Transport | None = None
        self._timer: asyncio.TimerHandle | None = None
        self.client_ident: bytes | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]
        self._transport.write(self._banner)
        self._timer = asyncio.get_running_loop().call_later(self._hold_s, self._transport.close)

    def data_received(self, data: bytes) -> None:
        t = self._transport
        if t is None or self.client_ident is not None:
            return
        self._buf += data
        if b"\n" not in self._buf:
            if len(self._buf) > 8192:
                t.close()
            return
        line = self._buf.split(b"\n", 1)[0].rstrip(b"\r")
        if line.startswith((b"SSH-2.0-", b"SSH-1.99-")):
            self.client_ident = line
        elif line.startswith(b"SSH-"):
            t.write(b"Protocol major versions differ.\r\n")
            t.close()
        else:
            t.write(b"Invalid SSH identification string.\r\n")
            t.close()

    def eof_received(self) -> bool:
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._transport = None


class _TinyHttp(asyncio.Protocol):
    """A one-shot HTTP/1.1 answer naming the floating IP, then close (a web server on an instance)."""

    def __init__(self, address: str, port: int, hold_s: float) -> None:
        self._body = f"vpnconsole lab: instance at floating IP {address}, port {port}\n".encode()
        self._hold_s = hold_s
        self._buf = b""
        self._transport: asyncio.Transport | None = None
        self._timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]
        self._timer = asyncio.get_running_loop().call_later(self._hold_s, self._transport.close)

    def data_received(self, data: bytes) -> None:
        t = self._transport
        if t is None:
            return
        self._buf += data
        if b"\r\n\r\n" not in self._buf and b"\n\n" not in self._buf:
            if len(self._buf) > 16384:
                t.close()
            return
        head_only = self._buf.split(b" ", 1)[0].upper() == b"HEAD"
        head = (b"HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: text/plain; charset=utf-8\r\n"
                b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(self._body))
        t.write(head if head_only else head + self._body)
        t.close()
        self._transport = None

    def eof_received(self) -> bool:
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._transport = None


class _CloseAtOnce(asyncio.Protocol):
    """Accept and close (FIN): the port is open, the service says nothing."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        transport.close()


# --- the lab -------------------------------------------------------------------------------------

class OpenStackLab:
    """A running simulated OpenStack (returned by :func:`start`). Use on the loop that started it."""

    def __init__(self, config: OpenStackLabConfig, gate: PathGate) -> None:
        self.config = config
        self._gate = gate
        self.listeners: tuple[Listener, ...] = ()
        self.tls: TlsMaterial | None = None
        self._tls_context: ssl.SSLContext | None = None
        self._servers: list[asyncio.AbstractServer] = []
        self._web_servers: list[Any] = []
        self._conns: set[_Gated] = set()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._by_key: dict[tuple[str, int], Listener] = {}
        self._addresses: frozenset[str] = frozenset()
        self.closing = False
        self.closed = False

    # the gate
    @property
    def gate(self) -> PathGate:
        return self._gate

    @gate.setter
    def gate(self, gate: GateLike | None) -> None:
        self._gate = as_gate(gate)

    def _ask(self, address: str, port: int | None) -> Verdict:
        try:
            return Verdict(self._gate.verdict(address, port))
        except Exception:
            log.exception("path gate %r failed for %s port %s; treating the path as REFUSE", self._gate, address, port)
            return Verdict.REFUSE

    def icmp_reachable(self, address: str) -> bool:
        """Would ``ping address`` be answered? (The address is simulated and the gate is OPEN for
        ``port=None``.) The lab cannot answer ICMP itself: the kernel answers every 127.x ping."""
        return address in self._addresses and self._ask(address, None) is Verdict.OPEN

    # where things are
    @property
    def ca_path(self) -> Path | None:
        return self.tls.ca_path if self.tls else None

    @property
    def ca_pem(self) -> bytes | None:
        return self.tls.ca_pem if self.tls else None

    @property
    def floating_ips(self) -> tuple[str, ...]:
        return self.config.floating_ips

    def listener(self, address: str, port: int) -> Listener:
        try:
            return self._by_key[(address, port)]
        except KeyError:
            raise KeyError(f"the lab does not listen on {address} port {port}") from None

    def api_port(self, service: str = "keystone") -> int:
        return self.listener(self.config.api_address, self.config.service_ports[service]).bound_port

    def api_url(self, service: str = "keystone") -> str:
        """``http(s)://127.0.0.10:<bound port>`` (no trailing slash)."""
        scheme = "https" if self.config.tls else "http"
        return f"{scheme}://{self.config.api_address}:{self.api_port(service)}"

    def floating_port(self, address: str, port: int = 22) -> int:
        """The port that really listens for service port ``port`` of floating IP ``address``."""
        return self.listener(address, port).bound_port

    @property
    def active_connections(self) -> int:
        return len(self._conns)

    # serving
    def _factory_for(self, listener: Listener) -> Callable[[], asyncio.Protocol]:
        if listener.is_api:
            from aiohttp import web

            async def handler(request: web.BaseRequest) -> web.StreamResponse:
                return await self._handle(listener, request)

            server = web.Server(handler, handler_cancellation=True, access_log=None, keepalive_timeout=15)
            self._web_servers.append(server)
            return server
        hold = self.config.ssh_hold_s
        if listener.kind == "ssh":
            return lambda: _SshBanner(self.config.ssh_banner, hold)
        if listener.kind == "http":
            return lambda: _TinyHttp(listener.address, listener.port, hold)
        return _CloseAtOnce

    async def _handle(self, listener: Listener, request: Any) -> Any:
        from aiohttp import web

        verdict = self._ask(listener.address, listener.port)  # again: a kept-alive connection
        if verdict is not Verdict.OPEN:
            if verdict is Verdict.REFUSE and request.transport is not None:
                _reset(request.transport)
            # Never answer. The handler is cancelled when the connection goes (handler_cancellation).
            await asyncio.Future()
        service = listener.kind
        # Like Werkzeug: the Host header, else the address and port the connection came in on.
        host = request.headers.get("Host") or f"{listener.address}:{listener.bound_port}"
        base = self.config.public_endpoints.get(service) or f"{request.scheme}://{host}"
        keystone = None
        if "keystone" in self.config.services:
            keystone = self.config.public_endpoints.get("keystone") or self.api_url("keystone")
        reply = respond(service, request.method, request.path, base, keystone_url=keystone,
                        nova_max_version=self.config.nova_max_version)
        request_id = f"req-{uuid.uuid4()}"
        if isinstance(reply.body, str):
            body, ctype = reply.body.encode(), "text/plain; charset=UTF-8"
        else:
            body, ctype = json.dumps(reply.body).encode(), "application/json"
        headers = {"Content-Type": ctype, **reply.headers, "x-openstack-request-id": request_id}
        if service == "nova":
            headers["x-compute-request-id"] = request_id
        if self.config.server_header:
            headers["Server"] = self.config.server_header
        return web.Response(status=reply.status, reason=reply.reason, body=body, headers=headers)

    async def _start(self) -> None:
        cfg = self.config
        _ensure_fd_budget(cfg.listener_count, cfg.raise_nofile_limit)
        if cfg.tls:
            self.tls = make_tls_material([cfg.api_address], cfg.ca_path)
            self._tls_context = self.tls.server_context()
        plan: list[tuple[str, str, int, bool]] = [
            (s, cfg.api_address, cfg.service_ports[s], cfg.tls) for s in cfg.services]
        plan += [(cfg.floating_protocol(p), a, p, False) for a in cfg.floating_ips for p in cfg.floating_ports]
        loop = asyncio.get_running_loop()
        listeners = []
        try:
            for kind, address, port, tls in plan:
                sock = _listen(address, cfg.bind_port(port), cfg.backlog)
                try:
                    listener = Listener(kind, address, port, sock.getsockname()[1], tls)
                    factory = self._factory_for(listener)
                    server = await loop.create_server(
                        lambda lst=listener, f=factory: _Gated(self, lst, f), sock=sock, backlog=cfg.backlog)
                except BaseException:
                    sock.close()
                    raise
                self._servers.append(server)
                listeners.append(listener)
        except BaseException:
            await self.close()
            raise
        self.listeners = tuple(listeners)
        self._by_key = {(lst.address, lst.port): lst for lst in listeners}
        self._addresses = frozenset(lst.address for lst in listeners)
        log.info("OpenStack lab: %d listeners (%s%s)", len(listeners), ", ".join(cfg.services) or "no API",
                 f", {len(cfg.floating_ips)} floating IPs" if cfg.floating_ips else "")

    async def close(self) -> None:
        """Stop listening, drop every connection (held ones with RST), free every descriptor."""
        if self.closed:
            return
        self.closing = True
        for server in self._servers:
            server.close()
        for task in list(self._tasks):
            task.cancel()
        for conn in list(self._conns):
            conn.abort()
        await asyncio.sleep(0)  # let connection_lost callbacks run (they cancel hung handlers)
        for ws in self._web_servers:
            await ws.shutdown(0.1)
        if self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
        for server in self._servers:
            try:
                await asyncio.wait_for(server.wait_closed(), 2.0)
            except asyncio.TimeoutError:  # pragma: no cover - a connection outlived its abort
                log.warning("OpenStack lab: a listener did not close within 2 s")
        await asyncio.sleep(0)
        self._servers.clear()
        self._web_servers.clear()
        self.closed = True

    async def __aenter__(self) -> OpenStackLab:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def __repr__(self) -> str:
        state = "closed" if self.closed else f"{len(self.listeners)} listeners"
        return f"<OpenStackLab {self.config.api_address} {state}>"


def _listen(address: str, port: int, backlog: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((address, port))
        sock.listen(backlog)
        sock.setblocking(False)
    except OSError as exc:
        sock.close()
        hint = {
            errno.EACCES: "; ports below 1024 need root or CAP_NET_BIND_SERVICE (or a lower "
                          "net.ipv4.ip_unprivileged_port_start): map the port (port_map={22: 2222}) "
                          "or use ephemeral_ports=True",
            errno.EADDRINUSE: "; something already listens there (a wildcard listener on the same port "
                              "counts too)",
            errno.EADDRNOTAVAIL: "; this system does not route all of 127.0.0.0/8 to lo (Linux does; "
                                 "elsewhere add the address to the loopback interface)",
        }.get(exc.errno or 0, "")
        raise OSError(exc.errno, f"cannot listen on {address}:{port}: {exc.strerror}{hint}") from exc
    return sock


def _open_fds() -> int:
    try:
        return len(os.listdir("/proc/self/fd"))
    except OSError:  # pragma: no cover - not Linux
        return 0


def _ensure_fd_budget(listeners: int, raise_limit: bool) -> None:
    """Check (and if allowed lift) RLIMIT_NOFILE so the listeners plus headroom fit."""
    try:
        import resource
    except ImportError:  # pragma: no cover - not POSIX
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = _open_fds() + listeners + FD_HEADROOM
    if soft == resource.RLIM_INFINITY or want <= soft:
        return
    if raise_limit and (hard == resource.RLIM_INFINITY or want <= hard):
        new = want if hard == resource.RLIM_INFINITY else min(hard, max(want, 4096))
        resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))
        log.info("OpenStack lab: raised the open-file limit from %d to %d for %d listeners", soft, new, listeners)
        return
    raise OSError(errno.EMFILE, f"the lab needs about {want} file descriptors ({listeners} listening sockets "
                                f"+ {FD_HEADROOM} spare); the limit is {soft} (hard {hard}): raise it "
                                "(ulimit -n) or simulate fewer floating IPs or ports")


# --- entry points --------------------------------------------------------------------------------

async def start(config: OpenStackLabConfig | None = None, *, gate: GateLike | None = None,
                **options: Any) -> OpenStackLab:
    """Start the simulated OpenStack on the running loop; ``options`` override ``config`` fields.

    ``await start(floating_ips=["127.0.1.100-127.0.1.120"], ephemeral_ports=True, gate=StaticGate())``.
    On failure nothing stays bound. Close with ``await lab.close()`` (or ``async with``).
    """
    cfg = config or OpenStackLabConfig()
    if options:
        cfg = replace(cfg, **options)
    lab = OpenStackLab(cfg, as_gate(gate))
    await lab._start()
    return lab


class ThreadedOpenStackLab:
    """The lab on its own event loop in a background thread, for synchronous code and tests.

    ``with run_in_thread(...) as lab:`` — attributes of the running :class:`OpenStackLab`
    (``api_url``, ``floating_port``, ``gate``…) are available on this object. :meth:`close` stops
    the loop, closes every socket and joins the thread.
    """

    THREAD_NAME = "vpnconsole-lab-openstack"

    def __init__(self, config: OpenStackLabConfig | None = None, *, gate: GateLike | None = None,
                 **options: Any) -> None:
        self._args = (config, gate, options)
        self.lab: OpenStackLab | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    def start(self, timeout: float = 30.0) -> ThreadedOpenStackLab:
        if self._thread is not None:
            raise RuntimeError("already started")
        config, gate, options = self._args
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self.loop = loop
            try:
                try:
                    self.lab = loop.run_until_complete(start(config, gate=gate, **options))
                except BaseException as exc:  # reported to the starting thread
                    failure.append(exc)
                    return
                finally:
                    ready.set()
                loop.run_forever()
                loop.run_until_complete(self.lab.close())
            finally:
                loop.run_until_complete(loop.shutdown_asyncgens())
                loop.close()

        self._thread = threading.Thread(target=run, name=self.THREAD_NAME, daemon=True)
        self._thread.start()
        if not ready.wait(timeout):
            raise TimeoutError(f"the OpenStack lab did not start within {timeout} s")
        if failure:
            self._thread.join(timeout)
            self._thread = None
            raise failure[0]
        return self

    def call(self, fn: Callable[[], Any], timeout: float = 10.0) -> Any:
        """Run ``fn()`` on the lab's loop (a coroutine function's result is awaited); return its result."""
        assert self.loop is not None

        async def runner() -> Any:
            result = fn()
            return await result if asyncio.iscoroutine(result) else result

        return asyncio.run_coroutine_threadsafe(runner(), self.loop).result(timeout)

    def close(self, timeout: float = 30.0) -> None:
        thread, self._thread = self._thread, None
        if thread is None:
            return
        if self.loop is not None and thread.is_alive():
            self.loop.call_soon_threadsafe(self.loop.stop)
        thread.join(timeout)
        if thread.is_alive():  # pragma: no cover
            raise TimeoutError(f"the OpenStack lab thread did not stop within {timeout} s")

    def __getattr__(self, name: str) -> Any:
        lab = self.__dict__.get("lab")
        if lab is None:
            raise AttributeError(name)
        return getattr(lab, name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "gate" and self.__dict__.get("lab") is not None:
            self.lab.gate = value  # type: ignore[union-attr]  # a reference swap: safe across threads
        else:
            super().__setattr__(name, value)

    def __enter__(self) -> ThreadedOpenStackLab:
        return self if self._thread is not None else self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()


def run_in_thread(config: OpenStackLabConfig | None = None, *, gate: GateLike | None = None,
                  **options: Any) -> ThreadedOpenStackLab:
    """Start the lab in a background thread and return it running (use as a context manager)."""
    return ThreadedOpenStackLab(config, gate=gate, **options).start()
