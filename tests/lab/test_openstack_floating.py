"""Floating-IP listeners on loopback: SSH banners, tiny HTTP, many addresses, loopback only."""

from __future__ import annotations

import asyncio
import errno
import os
import socket
import time
import urllib.request

import pytest

from vpnconsole.lab.openstack import (
    SSH_BANNER,
    OpenStackLabConfig,
    expand_addresses,
    loopback_address,
    run_in_thread,
    start,
)


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def read_until_closed(sock: socket.socket) -> bytes:
    chunks = []
    while chunk := sock.recv(4096):
        chunks.append(chunk)
    return b"".join(chunks)


def test_linux_routes_all_of_127_8_to_lo():
    # Addresses far from 127.0.0.1 bind and answer without any interface configuration.
    with run_in_thread(services=(), floating_ips=["127.0.1.100", "127.1.2.3", "127.254.253.252"],
                       ephemeral_ports=True) as lab:
        for addr in lab.floating_ips:
            with socket.create_connection((addr, lab.floating_port(addr, 22)), timeout=5) as s:
                assert s.getpeername()[0] == addr
                assert s.recv(64) == b"SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.6\r\n"


def test_ssh_banner_then_waits_for_the_client():
    with run_in_thread(services=(), floating_ips=["127.0.2.100-127.0.2.102"], ephemeral_ports=True,
                       ssh_hold_s=0.5) as lab:
        port = lab.floating_port("127.0.2.101", 22)
        with socket.create_connection(("127.0.2.101", port), timeout=5) as s:
            banner = s.recv(256)
            assert banner == (SSH_BANNER + "\r\n").encode()
            s.sendall(b"SSH-2.0-OpenSSH_9.6\r\n")
            s.settimeout(0.2)
            with pytest.raises(TimeoutError):  # no key exchange: it just waits...
                s.recv(1)
            s.settimeout(5)
            assert s.recv(1) == b""  # ...and hangs up after ssh_hold_s, as sshd's LoginGraceTime would


def test_ssh_rejects_a_non_ssh_client():
    with run_in_thread(services=(), floating_ips=["127.0.2.110"], ephemeral_ports=True) as lab:
        with socket.create_connection(("127.0.2.110", lab.floating_port("127.0.2.110")), timeout=5) as s:
            s.sendall(b"GET / HTTP/1.0\r\n\r\n")
            assert read_until_closed(s) == (SSH_BANNER + "\r\nInvalid SSH identification string.\r\n").encode()


def test_other_ports_http_or_close():
    with run_in_thread(services=(), floating_ips=["127.0.2.120"], floating_ports=(22, 80, 443, 3389),
                       floating_protocols={3389: "http"}, ephemeral_ports=True) as lab:
        addr = "127.0.2.120"
        with urllib.request.urlopen(f"http://{addr}:{lab.floating_port(addr, 80)}/", timeout=5) as r:
            assert r.status == 200
            assert r.read() == f"vpnconsole lab: instance at floating IP {addr}, port 80\n".encode()
        with urllib.request.urlopen(f"http://{addr}:{lab.floating_port(addr, 3389)}/", timeout=5) as r:
            assert r.status == 200
        with socket.create_connection((addr, lab.floating_port(addr, 443)), timeout=5) as s:
            assert s.recv(1) == b""  # accepted, then closed
        assert {(lst.port, lst.kind) for lst in lab.listeners} == {(22, "ssh"), (80, "http"), (443, "close"),
                                                                 (3389, "http")}


def test_an_address_the_lab_does_not_simulate_refuses():
    with run_in_thread(services=(), floating_ips=["127.0.2.130"], ephemeral_ports=True) as lab:
        port = lab.floating_port("127.0.2.130")
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.2.131", port), timeout=5)


def test_real_port_22_when_this_process_may_bind_it():
    addr = "127.0.77.22"
    try:
        probe = socket.socket()
        probe.bind((addr, 22))
        probe.close()
    except OSError as exc:
        pytest.skip(f"cannot bind {addr}:22 here ({exc.strerror}); port_map/ephemeral_ports cover this")
    with run_in_thread(services=(), floating_ips=[addr]) as lab:
        assert lab.floating_port(addr, 22) == 22
        with socket.create_connection((addr, 22), timeout=5) as s:
            assert s.recv(64).startswith(b"SSH-2.0-OpenSSH_8.9p1")


def test_port_map_binds_service_ports_elsewhere():
    with socket.socket() as free:
        free.bind(("127.0.2.140", 0))
        port = free.getsockname()[1]
    with run_in_thread(services=(), floating_ips=["127.0.2.140"], port_map={22: port}) as lab:
        lst = lab.listener("127.0.2.140", 22)
        assert (lst.port, lst.bound_port, lst.kind) == (22, port, "ssh")


def hard_nofile_limit() -> float:
    import resource

    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    return float("inf") if hard == resource.RLIM_INFINITY else hard


@pytest.mark.parametrize("ports", [(22,), (22, 80, 443)], ids=["254x1", "254x3"])
async def test_254_addresses_start_and_stop_quickly(ports):
    need = 1 + 254 * len(ports)
    if hard_nofile_limit() < need + 256 + open_fds():
        pytest.skip(f"the hard open-file limit ({hard_nofile_limit()}) is too low for {need} listeners")
    before = open_fds()
    t0 = time.perf_counter()
    lab = await start(api_address="127.0.3.1", floating_ips=["127.0.4.1-127.0.4.254"], floating_ports=ports,
                      ephemeral_ports=True)
    started = time.perf_counter() - t0
    try:
        assert lab.config.listener_count == len(lab.listeners) == need
        # one descriptor per listening socket, nothing else
        assert open_fds() - before == need
        # every address answers on its own ports (a sample, through the event loop)
        for addr in lab.floating_ips[::37] + (lab.floating_ips[-1],):
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(addr, lab.floating_port(addr, 22)), 5)
            assert (await asyncio.wait_for(reader.readline(), 5)).startswith(b"SSH-2.0-")
            writer.close()
            await writer.wait_closed()
    finally:
        t1 = time.perf_counter()
        await lab.close()
        stopped = time.perf_counter() - t1
    assert started < 5 and stopped < 2, (started, stopped)
    assert open_fds() == before
    # the ports are free again
    last = lab.listeners[-1]
    with socket.socket() as s:
        s.bind((last.address, last.bound_port))


@pytest.mark.parametrize("bad", ["0.0.0.0", "192.168.10.100", "10.0.0.1", "::1", "localhost", "127.0.0.0",
                                 "127.255.255.255", "126.255.255.255-127.0.0.5", "127.0.0.5-128.0.0.1",
                                 "192.168.10.0/24", "not an address"])
def test_only_loopback_addresses_are_accepted(bad):
    with pytest.raises(ValueError):
        OpenStackLabConfig(floating_ips=[bad])
    if "-" not in bad and "/" not in bad:
        with pytest.raises(ValueError):
            OpenStackLabConfig(api_address=bad)


async def test_start_refuses_non_loopback_before_binding_anything():
    before = open_fds()
    with pytest.raises(ValueError, match="127.0.0.0/8"):
        await start(api_address="0.0.0.0")
    with pytest.raises(ValueError, match="127.0.0.0/8"):
        await start(floating_ips=["127.0.5.1", "192.168.10.100"], ephemeral_ports=True)
    assert open_fds() == before


def test_address_expansion():
    assert expand_addresses(["127.0.1.100-127.0.1.102", "127.0.1.101", "127.0.1.200"]) == [
        "127.0.1.100", "127.0.1.101", "127.0.1.102", "127.0.1.200"]
    assert expand_addresses(["127.0.9.0/30"]) == ["127.0.9.1", "127.0.9.2"]
    assert len(expand_addresses(["127.0.1.1-127.0.1.254"])) == 254
    with pytest.raises(ValueError, match="backwards"):
        expand_addresses(["127.0.1.9-127.0.1.1"])
    assert loopback_address(" 127.0.1.1 ") == "127.0.1.1"


def test_configuration_errors():
    with pytest.raises(ValueError, match="twice"):
        OpenStackLabConfig(api_address="127.0.1.1", floating_ips=["127.0.1.1"], floating_ports=(5000,))
    with pytest.raises(ValueError, match="unknown OpenStack service"):
        OpenStackLabConfig(services=("swift",))
    with pytest.raises(ValueError, match="TCP port"):
        OpenStackLabConfig(floating_ports=(0,))
    with pytest.raises(ValueError, match="floating protocol"):
        OpenStackLabConfig(floating_protocols={22: "telnet"})


async def test_privileged_port_error_says_what_to_do(monkeypatch):
    real_bind = socket.socket.bind

    def bind(self, address):
        if address[1] == 22:
            raise PermissionError(errno.EACCES, "Permission denied")
        return real_bind(self, address)

    monkeypatch.setattr(socket.socket, "bind", bind)
    before = open_fds()
    with pytest.raises(OSError, match=r"127\.0\.5\.2:22.*port_map") as err:
        await start(api_address="127.0.5.1", port_map={5000: 0}, floating_ips=["127.0.5.2"])
    assert err.value.errno == errno.EACCES
    assert open_fds() == before
