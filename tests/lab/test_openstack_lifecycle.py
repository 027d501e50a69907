"""Starting and stopping the simulated OpenStack: nothing may be left behind."""

from __future__ import annotations

import asyncio
import errno
import os
import socket
import ssl
import threading
import time
import urllib.request

import pytest

from vpnconsole.lab.openstack import StaticGate, ThreadedOpenStackLab, Verdict, run_in_thread, start

THREAD = ThreadedOpenStackLab.THREAD_NAME


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def lab_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == THREAD]


def test_threaded_lab_leaves_nothing_behind(tmp_path):
    before = open_fds()
    lab = run_in_thread(api_address="127.0.7.10", services=("keystone", "nova"), tls=True,
                        ca_path=tmp_path / "ca.pem", floating_ips=["127.0.7.100-127.0.7.119"],
                        floating_ports=(22, 80), ephemeral_ports=True)
    assert len(lab_threads()) == 1
    ctx = ssl.create_default_context(cafile=str(tmp_path / "ca.pem"))
    with urllib.request.urlopen(lab.api_url() + "/v3", context=ctx, timeout=5) as r:
        assert r.status == 200
    held = socket.create_connection(("127.0.7.100", lab.floating_port("127.0.7.100", 22)), timeout=5)
    assert held.recv(64).startswith(b"SSH-2.0-")
    bound = [(lst.address, lst.bound_port) for lst in lab.listeners]
    t0 = time.perf_counter()
    lab.close()
    assert time.perf_counter() - t0 < 2
    assert lab_threads() == []
    assert held.recv(64) == b""  # the lab hung up on the open session
    held.close()
    assert open_fds() == before
    for addr, port in (bound[0], bound[-1]):  # every port is free again
        with socket.socket() as s:
            s.bind((addr, port))
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(bound[1], timeout=5)
    lab.close()  # twice is fine


async def test_close_drops_held_connections_at_once(tmp_path):
    before = open_fds()
    gate = StaticGate()
    gate.set(Verdict.BLACKHOLE, "127.0.7.201")
    lab = await start(api_address="127.0.7.200", tls=True, ca_path=tmp_path / "ca.pem",
                      floating_ips=["127.0.7.201", "127.0.7.202"], ephemeral_ports=True, gate=gate)
    ctx = ssl.create_default_context(cafile=str(tmp_path / "ca.pem"))
    held = await asyncio.open_connection("127.0.7.201", lab.floating_port("127.0.7.201"))   # blackholed
    ssh = await asyncio.open_connection("127.0.7.202", lab.floating_port("127.0.7.202"))    # open session
    assert (await ssh[0].readline()).startswith(b"SSH-2.0-")
    https = await asyncio.open_connection("127.0.7.200", lab.api_port(), ssl=ctx, server_hostname="127.0.7.200")
    https[1].write(b"GET /v3 HTTP/1.1\r\nHost: x\r\n\r\n")  # kept alive after the answer
    assert (await https[0].readline()).startswith(b"HTTP/1.1 200")
    for _ in range(50):
        if lab.active_connections == 3:
            break
        await asyncio.sleep(0.01)
    assert lab.active_connections == 3
    t0 = time.perf_counter()
    await lab.close()
    assert time.perf_counter() - t0 < 1
    assert lab.closed and lab.active_connections == 0
    for reader, writer in (held, ssh):
        try:
            assert await asyncio.wait_for(reader.read(), 2) in (b"", b"SSH-2.0-")
        except ConnectionResetError:  # the held connection is reset
            pass
        writer.close()
    https[1].close()
    for _, writer in (held, ssh, https):
        try:
            await writer.wait_closed()
        except (ConnectionError, ssl.SSLError):
            pass
    await lab.close()  # idempotent
    assert open_fds() == before


async def test_async_context_manager():
    async with await start(api_address="127.0.7.210", ephemeral_ports=True) as lab:
        port = lab.api_port()
        reader, writer = await asyncio.open_connection("127.0.7.210", port)
        writer.write(b"GET / HTTP/1.0\r\n\r\n")
        status, _, body = (await reader.read()).partition(b"\r\n")
        assert status.startswith(b"HTTP/1.") and b" 300 MULTIPLE CHOICES" in status
        # no Host header (HTTP/1.0): the links name the address the connection came in on
        assert f'"href": "http://127.0.7.210:{port}/v3/"'.encode() in body
        writer.close()
        await writer.wait_closed()
    assert lab.closed
    with pytest.raises(ConnectionRefusedError):
        await asyncio.open_connection("127.0.7.210", port)


async def test_a_failed_start_unbinds_what_it_had_bound():
    blocker = socket.socket()
    blocker.bind(("127.0.7.225", 0))
    blocker.listen()
    port = blocker.getsockname()[1]
    try:
        before = open_fds()
        with pytest.raises(OSError, match=r"127\.0\.7\.225") as err:
            # every floating IP on the same port: the 6th address is taken
            await start(api_address="127.0.7.219", ephemeral_ports=True, floating_ips=["127.0.7.220-127.0.7.230"],
                        port_map={22: port})
        assert err.value.errno == errno.EADDRINUSE
        assert open_fds() == before
        with socket.socket() as s:  # the addresses before the failure are free again
            s.bind(("127.0.7.220", port))
    finally:
        blocker.close()


def test_a_failed_threaded_start_raises_and_leaves_no_thread():
    blocker = socket.socket()
    blocker.bind(("127.0.7.240", 0))
    blocker.listen()
    try:
        before = open_fds()
        with pytest.raises(OSError, match="cannot listen"):
            run_in_thread(api_address="127.0.7.240", port_map={5000: blocker.getsockname()[1]})
        assert lab_threads() == []
        assert open_fds() == before
    finally:
        blocker.close()


def test_threaded_call_runs_on_the_lab_loop():
    with run_in_thread(api_address="127.0.7.250", ephemeral_ports=True) as lab:
        assert lab.call(lambda: threading.current_thread().name) == THREAD
        assert lab.call(lambda: asyncio.sleep(0, result=42)) == 42
        lab.gate = StaticGate(Verdict.REFUSE)
        assert lab.lab.gate.verdict("127.0.7.250", 5000) is Verdict.REFUSE
    assert lab_threads() == []


async def test_file_descriptor_budget(monkeypatch):
    import resource

    calls = []
    monkeypatch.setattr(resource, "getrlimit", lambda which: (64, 64))
    monkeypatch.setattr(resource, "setrlimit", lambda which, limits: calls.append(limits))
    before = open_fds()
    with pytest.raises(OSError, match="file descriptors") as err:
        await start(api_address="127.0.8.1", floating_ips=["127.0.8.10-127.0.8.200"], ephemeral_ports=True)
    assert err.value.errno == errno.EMFILE and calls == []
    assert open_fds() == before
    # with room under the hard limit the soft one is lifted instead
    monkeypatch.setattr(resource, "getrlimit", lambda which: (64, 1 << 20))
    async with await start(api_address="127.0.8.1", floating_ips=["127.0.8.10-127.0.8.20"],
                           ephemeral_ports=True):
        pass
    assert calls and calls[0][1] == 1 << 20 and calls[0][0] >= 12 + 256
