"""The path gate: OPEN / BLACKHOLE / REFUSE as a client sees them."""

from __future__ import annotations

import http.client
import logging
import socket
import ssl
import time

import pytest

from vpnconsole.lab.openstack import (
    ANY,
    OPEN_GATE,
    CallableGate,
    PathGate,
    StaticGate,
    Verdict,
    as_gate,
    run_in_thread,
)

WAIT = 0.3  # how long a client waits for an answer that a blackhole never gives
FIP = "127.0.6.100"
API = "127.0.6.10"


def ssh_connect(lab, addr: str = FIP) -> socket.socket:
    return socket.create_connection((addr, lab.floating_port(addr, 22)), timeout=5)


def assert_reset(lab, addr: str = FIP) -> None:
    """REFUSE as a client sees it: a reset, reported by connect() when the RST is already there by
    the time connect() looks, otherwise by the first read."""
    with pytest.raises(ConnectionResetError):
        with ssh_connect(lab, addr) as s:
            s.recv(64)


def wait_for(predicate, timeout: float = 5.0) -> None:
    end = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > end:
            raise AssertionError("condition not reached")
        time.sleep(0.01)


@pytest.fixture
def gate():
    return StaticGate()


@pytest.fixture
def lab(gate, tmp_path):
    with run_in_thread(api_address=API, tls=True, ca_path=tmp_path / "ca.pem", floating_ips=[FIP, "127.0.6.101"],
                       ephemeral_ports=True, gate=gate, blackhole_eof_hold_s=0.5) as lab:
        yield lab


# --- StaticGate --------------------------------------------------------------------------------

def test_static_gate_most_specific_rule_wins():
    g = StaticGate(Verdict.BLACKHOLE)
    assert isinstance(g, PathGate)
    g.set(Verdict.OPEN, "127.0.1.1")             # the whole address
    g.set("refuse", "127.0.1.1", 22)             # one port of it
    g.set(Verdict.OPEN, ANY, 5000)               # one port everywhere
    g.set(Verdict.REFUSE, "127.0.1.2", None)     # ICMP of one address
    assert g.verdict("127.0.1.1", 22) is Verdict.REFUSE
    assert g.verdict("127.0.1.1", 80) is Verdict.OPEN
    assert g.verdict("127.0.1.1", None) is Verdict.OPEN
    assert g.verdict("127.0.1.9", 5000) is Verdict.OPEN
    assert g.verdict("127.0.1.9", 22) is Verdict.BLACKHOLE
    assert g.verdict("127.0.1.2", None) is Verdict.REFUSE
    assert g.verdict("127.0.1.2", 22) is Verdict.BLACKHOLE
    assert g.asked[("127.0.1.1", 22)] == 1
    g.clear("127.0.1.1", 22)
    assert g.verdict("127.0.1.1", 22) is Verdict.OPEN
    g.clear()
    g.set(Verdict.OPEN)                          # no address, no port: the default
    assert g.default is Verdict.OPEN and g.verdict("127.0.1.1", 22) is Verdict.OPEN


def test_as_gate():
    assert as_gate(None) is OPEN_GATE
    assert OPEN_GATE.verdict("127.0.0.1", 22) is Verdict.OPEN
    g = StaticGate()
    assert as_gate(g) is g
    wrapped = as_gate(lambda ip, port: "blackhole" if port == 22 else Verdict.OPEN)
    assert isinstance(wrapped, CallableGate)
    assert wrapped.verdict("127.0.0.1", 22) is Verdict.BLACKHOLE
    with pytest.raises(TypeError):
        as_gate(42)  # type: ignore[arg-type]


# --- OPEN ----------------------------------------------------------------------------------------

def test_open_connects_and_answers(lab, gate):
    with ssh_connect(lab) as s:
        assert s.recv(64).startswith(b"SSH-2.0-")
    # the gate is asked with the address and the *service* port, not the bound one
    assert gate.asked[(FIP, 22)] == 1
    assert lab.floating_port(FIP, 22) != 22


# --- BLACKHOLE -----------------------------------------------------------------------------------

def test_blackhole_ssh_connects_but_never_answers(lab, gate):
    gate.set(Verdict.BLACKHOLE, FIP)
    with ssh_connect(lab) as s:  # the kernel completes the handshake...
        s.settimeout(WAIT)
        s.sendall(b"SSH-2.0-probe\r\n")
        with pytest.raises(TimeoutError):  # ...but no banner ever comes
            s.recv(64)
        assert lab.active_connections == 1
    # when the client gives up, the lab lets go of the connection too
    wait_for(lambda: lab.active_connections == 0)
    # the other floating IP is unaffected
    with ssh_connect(lab, "127.0.6.101") as s:
        assert s.recv(64).startswith(b"SSH-2.0-")


def test_blackhole_survives_a_half_close(lab, gate):
    # `printf 'GET /\n' | nc -N host port` shuts down its sending side and still waits: it must
    # time out, not see the lab hang up.
    gate.set(Verdict.BLACKHOLE, FIP)
    with ssh_connect(lab) as s:
        s.shutdown(socket.SHUT_WR)
        s.settimeout(WAIT)
        with pytest.raises(TimeoutError):
            s.recv(64)
        s.settimeout(5)
        assert s.recv(64) == b""  # after blackhole_eof_hold_s the lab frees the descriptor
    wait_for(lambda: lab.active_connections == 0)


def test_blackhole_https_never_completes_the_tls_handshake(lab, gate):
    gate.set(Verdict.BLACKHOLE, API, 5000)
    ctx = ssl.create_default_context(cafile=str(lab.ca_path))
    with socket.create_connection((API, lab.api_port()), timeout=5) as raw:
        raw.settimeout(WAIT)
        with pytest.raises(TimeoutError):
            ctx.wrap_socket(raw, server_hostname=API)


def test_blackhole_http_request_times_out():
    g = StaticGate(Verdict.BLACKHOLE)
    with run_in_thread(api_address=API, ephemeral_ports=True, gate=g) as lab:
        conn = http.client.HTTPConnection(API, lab.api_port(), timeout=WAIT)
        try:
            conn.request("GET", "/v3")
            with pytest.raises(TimeoutError):
                conn.getresponse()
        finally:
            conn.close()


# --- REFUSE --------------------------------------------------------------------------------------

def test_refuse_resets_the_connection(lab, gate):
    gate.set(Verdict.REFUSE, FIP, 22)
    for _ in range(20):  # either way, every time
        assert_reset(lab)
    wait_for(lambda: lab.active_connections == 0)


def test_refuse_https(lab, gate):
    gate.set(Verdict.REFUSE, API)
    ctx = ssl.create_default_context(cafile=str(lab.ca_path))
    with pytest.raises(ConnectionResetError):
        with socket.create_connection((API, lab.api_port()), timeout=5) as raw:
            ctx.wrap_socket(raw, server_hostname=API)


# --- the verdict changes -------------------------------------------------------------------------

def test_new_connections_follow_the_gate(lab, gate):
    with ssh_connect(lab) as established:
        assert established.recv(64).startswith(b"SSH-2.0-")
        gate.set(Verdict.REFUSE, FIP)
        assert_reset(lab)
        gate.set(Verdict.OPEN, FIP)
        with ssh_connect(lab) as s:
            assert s.recv(64).startswith(b"SSH-2.0-")
        # an established idle session is not cut by the verdicts above
        established.settimeout(WAIT)
        with pytest.raises(TimeoutError):
            established.recv(1)


@pytest.mark.parametrize("verdict", [Verdict.BLACKHOLE, Verdict.REFUSE])
def test_kept_alive_http_connection_follows_the_gate_per_request(verdict):
    g = StaticGate()
    with run_in_thread(api_address=API, ephemeral_ports=True, gate=g) as lab:
        conn = http.client.HTTPConnection(API, lab.api_port(), timeout=WAIT)
        try:
            conn.request("GET", "/v3")
            r = conn.getresponse()
            assert r.status == 200
            r.read()
            g.set(verdict, API, 5000)
            conn.request("GET", "/v3")  # same connection
            expected = TimeoutError if verdict is Verdict.BLACKHOLE else ConnectionResetError
            with pytest.raises(expected):
                conn.getresponse()
            assert g.asked[(API, 5000)] == 3  # the accept, then each request
        finally:
            conn.close()


def test_the_gate_can_be_replaced_while_running(lab):
    lab.gate = lambda ip, port: Verdict.REFUSE
    assert_reset(lab)
    lab.gate = None  # back to always open
    with ssh_connect(lab) as s:
        assert s.recv(64).startswith(b"SSH-2.0-")


def test_a_failing_gate_refuses_and_is_logged(lab, caplog):
    def broken(ip, port):
        raise RuntimeError("model exploded")

    lab.gate = broken
    with caplog.at_level(logging.ERROR, logger="vpnconsole.lab.openstack"):
        assert_reset(lab)
        wait_for(lambda: any("model exploded" in (r.exc_text or "") or r.exc_info for r in caplog.records))
    assert "treating the path as REFUSE" in caplog.records[0].getMessage()


def test_icmp_is_answered_by_the_gate_not_by_the_lab(lab, gate):
    assert lab.icmp_reachable(FIP) and lab.icmp_reachable(API)
    assert not lab.icmp_reachable("127.0.6.200")  # not simulated
    gate.set(Verdict.BLACKHOLE, FIP, None)
    assert not lab.icmp_reachable(FIP)
    assert gate.asked[(FIP, None)] == 2
    with ssh_connect(lab) as s:  # TCP is a separate question
        assert s.recv(64).startswith(b"SSH-2.0-")
