"""ICMP echo for the probe, without privileges where the system allows it, and never blocking the loop.

Three ways to send an echo request, tried in this order by :func:`choose`:

``raw``    a ``SOCK_RAW``/``IPPROTO_ICMP`` socket: needs root or ``CAP_NET_RAW``.
``dgram``  an unprivileged ICMP datagram socket (``SOCK_DGRAM``/``IPPROTO_ICMP``): Linux allows it
           when the process's group is inside ``net.ipv4.ping_group_range``; the kernel fills in
           the identifier and the checksum.
``ping``   the system ``ping -n -c 1 -W TIMEOUT ADDR`` (setuid or file capabilities), run as a
           subprocess through asyncio (no thread blocks on it).

One socket serves every concurrent echo (a reader callback on the event loop hands each reply to
the waiting request by address and sequence number), so 254 pings cost one descriptor, not 254.

When none of them works :func:`choose` returns an :class:`IcmpChoice` whose ``fn`` is ``None`` and
whose ``reason`` is one plain sentence ("ICMP not possible: …"): the probe reports that line
once and carries on with its TCP checks.

An ICMP function has the shape ``async icmp(address, timeout) -> bool | None``: ``True`` answered,
``False`` no answer within ``timeout`` seconds (or "unreachable"), ``None`` could not tell (an error
sending). The embedded lab supplies its own (``OpenStackLab.icmp_reachable``): the kernel answers
every ping to 127.x, so pinging the lab proves nothing.
"""

from __future__ import annotations

import asyncio
import errno
import itertools
import os
import shutil
import socket
import struct
from dataclasses import dataclass
from typing import Awaitable, Callable, Optional

__all__ = ["IcmpChoice", "IcmpFn", "METHODS", "SocketPinger", "choose", "system_ping"]

IcmpFn = Callable[[str, float], Awaitable[Optional[bool]]]
METHODS = ("raw", "dgram", "ping")

ICMP_ECHO_REQUEST = 8
ICMP_ECHO_REPLY = 0
RECEIVE_BUFFER = 4 * 1024 * 1024
_PAYLOAD = b"vpnconsole-probe" + bytes(range(40))  # 56 bytes, like ping


@dataclass(frozen=True)
class IcmpChoice:
    """The ICMP method in use: ``method`` raw | dgram | ping | injected | none | off."""

    method: str
    fn: Optional[IcmpFn]
    reason: str = ""  # with method "none": the one line to show

    @property
    def available(self) -> bool:
        return self.fn is not None


def _checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    total = (total >> 16) + (total & 0xFFFF)
    total += total >> 16
    return ~total & 0xFFFF


def _echo_request(ident: int, seq: int) -> bytes:
    header = struct.pack("!BBHHH", ICMP_ECHO_REQUEST, 0, 0, ident, seq)
    csum = _checksum(header + _PAYLOAD)
    return struct.pack("!BBHHH", ICMP_ECHO_REQUEST, 0, csum, ident, seq) + _PAYLOAD


class SocketPinger:
    """Echo requests over one raw or datagram ICMP socket, shared by every concurrent request.

    Create it on the loop that will use it (:meth:`open` raises ``PermissionError`` when the
    system does not allow the socket type); :meth:`close` when done.
    """

    def __init__(self, kind: str) -> None:
        if kind not in ("raw", "dgram"):
            raise ValueError(kind)
        self.kind = kind
        self._sock: socket.socket | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._waiting: dict[tuple[str, int], asyncio.Future[bool]] = {}
        self._seq = itertools.count(int.from_bytes(os.urandom(2), "big"))
        self._ident = os.getpid() & 0xFFFF

    @classmethod
    def open(cls, kind: str) -> "SocketPinger":
        pinger = cls(kind)
        sock_type = socket.SOCK_RAW if kind == "raw" else socket.SOCK_DGRAM
        sock = socket.socket(socket.AF_INET, sock_type, socket.IPPROTO_ICMP)
        sock.setblocking(False)
        # Hundreds of replies arrive at once (a raw socket also sees every request on loopback):
        # a default receive buffer of ~200 KiB drops most of them. Privileged: force it.
        for opt in (getattr(socket, "SO_RCVBUFFORCE", None), socket.SO_RCVBUF):
            if opt is None:
                continue
            try:
                sock.setsockopt(socket.SOL_SOCKET, opt, RECEIVE_BUFFER)
                break
            except OSError:
                continue
        pinger._sock = sock
        return pinger

    def _next_seq(self) -> int:
        while True:
            seq = next(self._seq) & 0xFFFF
            if not any(k[1] == seq for k in self._waiting):
                return seq

    def _on_readable(self) -> None:
        assert self._sock is not None
        for _ in range(256):  # drain what is there, then let others run
            try:
                data, (addr, _port) = self._sock.recvfrom(2048)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return
            if self.kind == "raw":
                if len(data) < 20:
                    continue
                data = data[(data[0] & 0x0F) * 4:]
            if len(data) < 8:
                continue
            icmp_type, _code, _csum, ident, seq = struct.unpack("!BBHHH", data[:8])
            if icmp_type != ICMP_ECHO_REPLY:
                continue
            if self.kind == "raw" and ident != self._ident:
                continue  # someone else's ping (a raw socket sees every ICMP packet)
            fut = self._waiting.get((addr, seq))
            if fut is not None and not fut.done():
                fut.set_result(True)

    async def __call__(self, address: str, timeout: float) -> Optional[bool]:
        if self._sock is None:
            raise RuntimeError("closed")
        loop = asyncio.get_running_loop()
        if self._loop is None:
            self._loop = loop
            loop.add_reader(self._sock.fileno(), self._on_readable)
        seq = self._next_seq()
        key = (address, seq)
        fut: asyncio.Future[bool] = loop.create_future()
        self._waiting[key] = fut
        try:
            # Datagram sockets: the kernel replaces the identifier with the socket's and computes
            # the checksum; replies are matched on address and sequence number.
            try:
                self._sock.sendto(_echo_request(self._ident, seq), (address, 0))
            except OSError as exc:
                if exc.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH):
                    return False
                return None
            try:
                async with asyncio.timeout(timeout):
                    return await fut
            except TimeoutError:
                return False
        finally:
            self._waiting.pop(key, None)

    def close(self) -> None:
        if self._sock is None:
            return
        if self._loop is not None and not self._loop.is_closed():
            self._loop.remove_reader(self._sock.fileno())
        self._sock.close()
        self._sock = None
        for fut in self._waiting.values():
            if not fut.done():
                fut.cancel()
        self._waiting.clear()


async def system_ping(address: str, timeout: float, *, binary: str = "ping") -> Optional[bool]:
    """``ping -n -c 1 -W TIMEOUT ADDRESS`` as a subprocess: True (exit 0), False (1), None (else)."""
    wait = f"{max(timeout, 0.1):.3f}".rstrip("0").rstrip(".")  # iputils accepts fractions of a second
    try:
        proc = await asyncio.create_subprocess_exec(
            binary, "-n", "-q", "-c", "1", "-W", wait, address,
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
    except OSError:
        return None
    try:
        rc = await asyncio.wait_for(proc.wait(), timeout + 2.0)
    except asyncio.TimeoutError:
        proc.kill()
        await proc.wait()
        return False
    except asyncio.CancelledError:
        if proc.returncode is None:
            proc.kill()
        raise
    return True if rc == 0 else False if rc == 1 else None


def _ping_group_range() -> str:
    try:
        with open("/proc/sys/net/ipv4/ping_group_range") as fh:
            return " ".join(fh.read().split())
    except OSError:
        return "?"


def choose(force: Optional[str] = None, *, ping_binary: Optional[str] = None) -> tuple[IcmpChoice, Callable[[], None]]:
    """The best ICMP method this process may use, and a function that releases it.

    ``force``: ``raw`` | ``dgram`` | ``ping`` | ``none`` (tests, or a user's choice); a forced
    method that is impossible yields method ``none`` with the reason.
    """
    order = METHODS if force in (None, "auto") else (force,)
    problems: list[str] = []
    for method in order:
        if method in ("raw", "dgram"):
            try:
                pinger = SocketPinger.open(method)
            except OSError as exc:
                if method == "raw":
                    problems.append(f"no raw sockets ({exc.strerror or exc}; needs root or CAP_NET_RAW)")
                else:
                    problems.append(f"no ICMP datagram sockets ({exc.strerror or exc}; "
                                    f"net.ipv4.ping_group_range is {_ping_group_range()}, group {os.getgid()})")
                continue
            return IcmpChoice(method, pinger), pinger.close
        if method == "ping":
            binary = ping_binary or shutil.which("ping")
            if binary is None:
                problems.append("no ping command on PATH")
                continue
            async def fn(address: str, timeout: float, _b: str = binary) -> Optional[bool]:
                return await system_ping(address, timeout, binary=_b)
            return IcmpChoice("ping", fn), lambda: None
        if method == "none":
            problems.append("ICMP disabled for this run")
            continue
        raise ValueError(f"unknown ICMP method {method!r}; use one of {', '.join(METHODS)}, none or auto")
    return IcmpChoice("none", None, "ICMP not possible: " + "; ".join(problems)), lambda: None
