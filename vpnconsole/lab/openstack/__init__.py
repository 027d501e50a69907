"""The OpenStack side of the embedded lab: API endpoints and floating IPs on loopback, behind a gate.

What the SaaS in the VPC would reach through the tunnel, simulated on 127.0.0.0/8:

* **API endpoints** on one address (default ``127.0.0.10``): Keystone's version discovery on 5000
  (``GET /`` → 300 ``{"versions": {"values": [...]}}``, ``GET /v3`` → 200 ``{"version": ...}``,
  headers ``Vary: X-Auth-Token``, ``x-openstack-request-id: req-<uuid>``), and optionally Nova
  (8774), Neutron (9696), Glance (9292) with their own document shapes (:mod:`.documents`).
  HTTP, or HTTPS with a CA generated at start (:mod:`.tls`) whose certificate is written to the
  path the caller gives.
* **Floating IPs**: for each address × port one TCP listener. Port 22 speaks like sshd (the
  banner ``SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.6``, then waits for the client's), 80 and 8080
  answer a one-line HTTP page, any other port accepts and closes.
* **The path gate** (:mod:`.gate`): every connection asks ``gate.verdict(target_ip, port)``
  first. ``OPEN`` serves; ``BLACKHOLE`` holds the connection and never answers; ``REFUSE``
  resets it. The negotiation model implements the gate from the state of both simulated ends.

Usage::

    lab = await start(floating_ips=["127.0.1.100-127.0.1.120"], tls=True, ca_path=tmp / "ca.pem",
                      gate=StaticGate())
    lab.api_url()            # https://127.0.0.10:5000
    lab.floating_port("127.0.1.100", 22)
    await lab.close()

    with run_in_thread(floating_ips=[...], ephemeral_ports=True) as lab:   # synchronous code
        ...

What a client sees, and the limits of doing this on loopback without privileges
-------------------------------------------------------------------------------

*Addresses.* Linux routes all of 127.0.0.0/8 to ``lo`` (``local 127.0.0.0/8 dev lo`` in the
local table), so binding ``127.0.1.100`` needs no configuration. Every address given to the lab
must be in 127.0.0.0/8 (``ValueError`` otherwise): the lab never listens on a real interface.
An address the lab does not simulate answers a connection with RST (nothing listens there).

*BLACKHOLE.* A listening socket completes the TCP handshake in the kernel before the program
sees the connection, so a client's ``connect()`` always succeeds; a real blackhole would make the
connect itself time out. The lab does the next best thing: the connection is accepted and
nothing is ever sent — no SSH banner, no TLS ServerHello (the gate is asked *before* the TLS
handshake starts), no HTTP response — so the client waits until its own read/handshake timeout.
What the client sends is read and discarded (indistinguishable from not reading, apart from TCP
flow control) so that the lab notices when the client gives up and frees the descriptor; after
the client's FIN the connection is still held, silent, for ``blackhole_eof_hold_s`` (30 s: a
half-closed client keeps waiting, and a full close cannot be told from a half-close without
writing). Held connections are reset when the lab closes. A probe must therefore treat
"connected, then nothing within the timeout" as unreachable, not only a connect timeout.
(Reproducing a connect timeout would need a listen queue kept full, or packet filtering, which
needs privileges: not done.)

*REFUSE.* Likewise a real refusal is a RST answering the SYN (``ECONNREFUSED``). Here the
connection is accepted and immediately closed with ``SO_LINGER`` 0, i.e. a RST. The client sees
``ECONNRESET`` (``ConnectionResetError``), not ``ECONNREFUSED``: from its first read, or from
``connect()`` itself when the RST has already arrived by the time a non-blocking connect (every
connect with a timeout) checks its result — both happen, depending on scheduling. A probe must
treat a reset at or right after connecting like a refusal.

*When the gate is asked.* Once per accepted connection, and on the HTTP API again for every
request of a kept-alive connection (so a pooled connection stops working when the path goes
down: BLACKHOLE then hangs the request, REFUSE resets the connection). Other established
connections (an idle SSH banner session) are not affected by later changes of the verdict.

*ICMP.* Ping cannot be simulated per address without privileges (raw sockets, or netfilter
rules): an echo request to any 127.x address is answered by the kernel itself, whatever the lab
or the gate says. The probe must not ping the lab's addresses and conclude anything; running
against the lab it asks :meth:`OpenStackLab.icmp_reachable` (the gate with ``port=None``)
instead of sending ICMP.

*File descriptors.* One listening socket per (address, port) — the kernel cannot listen on a
range of addresses without privileges (TPROXY), and a wildcard listener would also listen on the
real interfaces. So the lab holds ``len(services) + len(floating_ips) × len(floating_ports)``
listening descriptors, plus one per open connection (TLS adds none), plus three per event loop
(epoll and the self-pipe). 254 addresses × 3 ports + Keystone = 763 listening descriptors: more
than fits under the common default soft limit of 1024 next to a test suite. ``start`` checks
``RLIMIT_NOFILE`` against the need plus 256 spare and, unless ``raise_nofile_limit=False``, lifts
the soft limit towards the hard one (an unprivileged process may); if that is not enough it
refuses to start with ``EMFILE`` before binding anything. (Measured where this was written:
``ulimit -n`` 20000 soft and hard.)

*Ports.* Ports below 1024 (22) need root or ``CAP_NET_BIND_SERVICE``; ``port_map={22: 2222}``
binds elsewhere and ``ephemeral_ports=True`` binds every port on an ephemeral one. The gate and
the documents always see the service port; :meth:`OpenStackLab.floating_port` and
:attr:`OpenStackLab.listeners` tell where it really listens.
"""

from __future__ import annotations

from .documents import (
    DEFAULT_SERVICE_PORTS,
    KEYSTONE_MEDIA_TYPE,
    KEYSTONE_VERSION_ID,
    Reply,
    glance_versions_document,
    keystone_version_document,
    keystone_versions_document,
    neutron_versions_document,
    nova_version_document,
    nova_versions_document,
    respond,
)
from .gate import ANY, OPEN_GATE, CallableGate, GateLike, OpenGate, PathGate, StaticGate, Verdict, as_gate
from .server import (
    API_SERVICES,
    DEFAULT_FLOATING_PROTOCOLS,
    FLOATING_PROTOCOLS,
    SSH_BANNER,
    Listener,
    OpenStackLab,
    OpenStackLabConfig,
    ThreadedOpenStackLab,
    expand_addresses,
    loopback_address,
    run_in_thread,
    start,
)
from .tls import TlsMaterial, make_tls_material

__all__ = [
    "ANY",
    "API_SERVICES",
    "DEFAULT_FLOATING_PROTOCOLS",
    "DEFAULT_SERVICE_PORTS",
    "FLOATING_PROTOCOLS",
    "KEYSTONE_MEDIA_TYPE",
    "KEYSTONE_VERSION_ID",
    "OPEN_GATE",
    "SSH_BANNER",
    "CallableGate",
    "GateLike",
    "Listener",
    "OpenGate",
    "OpenStackLab",
    "OpenStackLabConfig",
    "PathGate",
    "Reply",
    "StaticGate",
    "ThreadedOpenStackLab",
    "TlsMaterial",
    "Verdict",
    "as_gate",
    "expand_addresses",
    "glance_versions_document",
    "keystone_version_document",
    "keystone_versions_document",
    "loopback_address",
    "make_tls_material",
    "neutron_versions_document",
    "nova_version_document",
    "nova_versions_document",
    "respond",
    "run_in_thread",
    "start",
]
