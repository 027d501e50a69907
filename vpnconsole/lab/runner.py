"""`vpnconsole lab`: the whole embedded lab in one asyncio loop.

Starts the simulated H3C (SSH), the simulated Alibaba VPC API (HTTP) and the OpenStack side
(Keystone + floating IPs), joins them with the negotiation model, writes a ready lab profile and
puts the lab's router password, a generated PSK and dummy Alibaba keys in the keyring.  Stopping
removes the profile and the keyring entries again; only the router's SSH host key stays (under
the state directory) so `known_hosts` keeps trusting it across lab runs.

Addressing (nothing ever leaves 127.0.0.0/8; the "public" addresses are documentation ranges that
exist only inside the simulators):

    H3C WAN  GigabitEthernet0/1 198.51.100.10/30, next hop 198.51.100.9  (the customer gateway IP)
    H3C LAN  GigabitEthernet0/2 127.0.1.1/24  — the "on-prem" subnet is a loopback /24, because the
             OpenStack endpoints must be real sockets on this machine: Keystone 127.0.1.10,
             floating IPs 127.0.1.100-127.0.1.120
    Alibaba  VPC 172.16.0.0/16 (cloud subnet 172.16.0.0/24), gateway 203.0.113.20 (+ .21 dual)
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets as pysecrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vpnconsole.paths import config_home, private_dir, state_home

log = logging.getLogger("vpnconsole.lab")

LAB_NAME = "lab"
REGION = "cn-hangzhou"
PUBLIC_IP = "198.51.100.10"
NEXT_HOP = "198.51.100.9"
WAN = "GigabitEthernet0/1"
LAN = "GigabitEthernet0/2"
LAN_ADDRESS = "127.0.1.1"
ONPREM_SUBNET = "127.0.1.0/24"
VPC_CIDR = "172.16.0.0/16"
CLOUD_SUBNET = "172.16.0.0/24"
GATEWAY_IPS = ("203.0.113.20", "203.0.113.21")
KEYSTONE_ADDRESS = "127.0.1.10"
FLOATING_FIRST, FLOATING_LAST = "127.0.1.100", "127.0.1.120"
CLOUD_TARGET = "172.16.0.10"
MARKER = "# written by `vpnconsole lab`; removed when the lab stops\n"
SECRET_KINDS = ("psk", "h3c-password", "alibaba-access-key-id", "alibaba-access-key-secret")


class LabError(Exception):
    pass


@dataclass(frozen=True)
class LabSettings:
    platform: str = "comware7"  # comware7 | comware5 | er | er-legacy (web-managed: no SSH, an operator action)
    legacy_ssh: bool = False  # offer only diffie-hellman-group14-sha1 + ssh-rsa, like old Comware
    dual_tunnel: bool = False
    tls: bool = False  # Keystone over HTTPS with a generated CA
    fixed_ports: bool = True  # Keystone on :5000 and floating IPs on :22 (root) / :2222; False: ephemeral
    write_profile: bool = True
    store_secrets: bool = True
    fast: bool = False  # short cloud update windows (tests)


@dataclass
class LabInfo:
    ssh_port: int
    api_endpoint: str
    keystone_url: str
    floating_ips: str
    floating_port: int
    profile_path: Path | None
    gateway_id: str
    username: str
    psk_fingerprint: str
    ca_path: Path | None = None
    extras: dict[str, Any] = field(default_factory=dict)

    def describe(self) -> str:
        router = (f"  H3C router (Comware, SSH)   ssh -p {self.ssh_port} {self.username}@127.0.0.1"
                  if not self.extras.get("web_port") else
                  f"  H3C ER (web GUI, no SSH)    http://127.0.0.1:{self.extras['web_port']}  — configured by "
                  "the lab's operator action from the checklist (`vpnconsole render lab --end h3c`)")
        lines = [
            "vpnconsole lab is running:",
            router,
            f"  Alibaba VPC API             {self.api_endpoint}  (gateway {self.gateway_id}, region {REGION})",
            f"  OpenStack Keystone          {self.keystone_url}",
            f"  floating IPs                {self.floating_ips} (TCP {self.floating_port})",
            f"  lab profile                 {self.profile_path or '(not written)'}",
            f"  PSK                         {self.psk_fingerprint} (in the keyring as {LAB_NAME}/psk)",
        ]
        if self.ca_path:
            lines.append(f"  Keystone CA bundle          {self.ca_path}")
        return "\n".join(lines)


def _bindable(address: str, port: int) -> bool:
    import socket

    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((address, port))
        except OSError:
            return False
    return True


def _free_port(address: str) -> int:
    """A port that is free on ``address`` now (for several listeners that must share one number)."""
    import socket

    with socket.socket() as sock:
        sock.bind((address, 0))
        return sock.getsockname()[1]


class EmbeddedLab:
    """Start, wire and stop the simulators.  One instance per running lab."""

    def __init__(self, settings: LabSettings | None = None, *, store: Any = None):
        self.settings = settings or LabSettings()
        self.store = store  # a vpnconsole.secrets.SecretStore (or a function opening one)
        self.router: Any = None
        self.cloud: Any = None
        self.negotiation: Any = None
        self.openstack: Any = None  # the OpenStackLab (Keystone, floating IPs; icmp_reachable)
        #: platform er/er-legacy: the person at the ER's web GUI (vpnconsole.lab.er.ErOperator):
        #: ``er_operator.enter(checklist)`` configures the simulated ER from a rendered checklist
        self.er_operator: Any = None
        self._servers: list[Any] = []
        self._profile_path: Path | None = None
        self._runtime_dir: Path | None = None
        self._stored_secrets = False
        self._storing: asyncio.Future | None = None
        self.info: LabInfo | None = None

    # -- start

    async def start(self) -> LabInfo:
        try:
            return await self._start()
        except BaseException:
            await self.close()
            raise

    async def _start(self) -> LabInfo:
        from vpnconsole.params import psk_fingerprint
        from vpnconsole.psk import generate_psk

        s = self.settings
        if s.write_profile:
            self._profile_target()  # refuse before anything starts, not after
        password = pysecrets.token_urlsafe(12)
        psk = generate_psk(32)
        username = "admin"
        # Opening the encrypted keyring and each write cost an Argon2 derivation (~0.4 s each): run
        # them in a thread while the simulators are imported and started.
        storing = asyncio.ensure_future(asyncio.to_thread(self._store_secrets, psk, password)) \
            if s.store_secrets else None
        self._storing = storing

        from vpnconsole.lab import openstack
        from vpnconsole.lab.aliyun import AliyunLabServer, AliyunVpcSim, Timing
        from vpnconsole.lab.h3c import DeviceOptions, SimulatedH3C, start_h3c_server
        from vpnconsole.lab.negotiation import Delays, LabNegotiation

        # The cloud: one VPC, one gateway (single or dual tunnel), its system route table.
        timing = Timing.instant() if s.fast else Timing(gateway_update_seconds=2.0, route_entry_seconds=1.5)
        self.cloud = AliyunVpcSim(timing=timing)
        vpc = self.cloud.add_vpc(REGION, cidr=VPC_CIDR, vswitches=[("172.16.0.0/24", f"{REGION}-h"),
                                                                   ("172.16.1.0/24", f"{REGION}-i")])
        gateway = self.cloud.add_vpn_gateway(
            REGION, vpc.vpc_id, dual_tunnel=s.dual_tunnel, internet_ip=GATEWAY_IPS[0],
            dr_internet_ip=GATEWAY_IPS[1] if s.dual_tunnel else None, name="lab-vpn-gateway")

        # The router: WAN towards the Internet, LAN with the OpenStack networks.  A web-managed ER is a
        # V5-lineage IPsec stack without SSH (vpnconsole.lab.er): same simulated router, no CLI server.
        er = s.platform in ("er", "er-legacy")
        dialect = "v5" if s.platform == "comware5" or er else "v7"
        self.router = SimulatedH3C(DeviceOptions(
            dialect=dialect, sysname="ER3200G2" if er else "LAB-R1",
            interfaces=("GigabitEthernet0/0", WAN, LAN),
            initial_config=(
                f"interface {WAN}", f"ip address {PUBLIC_IP} 30", "quit",
                f"interface {LAN}", f"ip address {LAN_ADDRESS} 24", "quit",
                f"ip route-static 0.0.0.0 0 {NEXT_HOP}",
            )))

        self.negotiation = LabNegotiation(self.router, self.cloud, REGION,
                                          delays=Delays.instant() if s.fast else Delays())

        if er:
            from vpnconsole.lab.er import ErOperator, ErWebGui, SimulatedER

            self.er_operator = ErOperator(SimulatedER(self.router, s.platform,
                                                      {"WAN1": WAN, "WAN2": "GigabitEthernet0/0"}))
            h3c = await ErWebGui().start()
        else:
            host_keys = private_dir(state_home() / "lab")
            key_path = host_keys / ("ssh_host_rsa_key" if s.legacy_ssh else "ssh_host_ed25519_key")
            h3c = await start_h3c_server(self.router, username=username, password=password,
                                         host_key_path=str(key_path), legacy=s.legacy_ssh)
        self._servers.append(h3c)
        api = AliyunLabServer(self.cloud)
        await api.start()
        self._servers.append(api)

        self._runtime_dir = private_dir(state_home() / "lab" / f"run-{os.getpid()}")
        ca_path = self._runtime_dir / "keystone-ca.pem" if s.tls else None
        # Every floating IP listens on the same port, so the profile can name it once.  The usual
        # ports may be taken (a jump host's sshd on 0.0.0.0:22): then any free one.
        if s.fixed_ports:
            floating_port = next((p for p in ((22, 2222) if os.geteuid() == 0 else (2222,))
                                  if _bindable(FLOATING_FIRST, p)), 0) or _free_port(FLOATING_FIRST)
            port_map = {} if _bindable(KEYSTONE_ADDRESS, 5000) else {5000: 0}
        else:
            floating_port = _free_port(FLOATING_FIRST)
            port_map = {5000: 0}
        os_lab = await openstack.start(openstack.OpenStackLabConfig(
            api_address=KEYSTONE_ADDRESS, tls=s.tls, ca_path=ca_path,
            floating_ips=(f"{FLOATING_FIRST}-{FLOATING_LAST}",), floating_ports=(22,),
            port_map={**port_map, 22: floating_port}), gate=self.negotiation)
        self._servers.append(os_lab)
        self.openstack = os_lab
        bound_floating = os_lab.floating_port(FLOATING_FIRST, 22)
        keystone_url = f"{os_lab.api_url('keystone')}/v3"

        info = LabInfo(ssh_port=0 if er else h3c.port, api_endpoint=f"http://127.0.0.1:{api.port}", keystone_url=keystone_url,
                       floating_ips=f"{FLOATING_FIRST}-{FLOATING_LAST}", floating_port=bound_floating,
                       profile_path=None, gateway_id=gateway.vpn_gateway_id, username=username,
                       psk_fingerprint=psk_fingerprint(psk), ca_path=ca_path,
                       extras={"platform": s.platform, "web_port": h3c.port} if er else {"platform": s.platform})
        if s.store_secrets:
            await storing
        if s.write_profile:
            info.profile_path = self._write_profile(info)
        self.info = info
        log.info("embedded lab ready: ssh %d, api %s, keystone %s", h3c.port, info.api_endpoint, keystone_url)
        return info

    def _store_secrets(self, psk: str, password: str) -> None:
        if self.store is None:
            raise LabError("no keyring to store the lab's secrets in")
        if callable(self.store):  # a factory: opening the keyring is slow too
            self.store = self.store()
        self._stored_secrets = True
        self.store.set(LAB_NAME, "psk", psk)
        if self.settings.platform not in ("er", "er-legacy"):  # an ER has no login to store
            self.store.set(LAB_NAME, "h3c-password", password)
        self.store.set(LAB_NAME, "alibaba-access-key-id", "LTAI5tLabAccessKey" + pysecrets.token_hex(3))
        self.store.set(LAB_NAME, "alibaba-access-key-secret", pysecrets.token_urlsafe(22))

    def profile_text(self, info: LabInfo) -> str:
        from vpnconsole.profile import dump_profile, parse_profile

        s = self.settings
        er = s.platform in ("er", "er-legacy")
        # The safe common baseline where the router has it (reference §7); old Comware V5 and ERs offer
        # only MD5/SHA-1 and DH 1/2/5, so there the classic AES-128/SHA-1/DH2 set.
        if s.platform == "comware5" or er:
            ike_algs = {"encryption": "aes128", "integrity": "sha1", "dh_group": "group2"}
            ipsec_algs = {"encryption": "aes128", "integrity": "sha1", "pfs": "group2"}
        else:
            ike_algs = {"encryption": "aes256", "integrity": "sha256", "dh_group": "group14"}
            ipsec_algs = {"encryption": "aes256", "integrity": "sha256", "pfs": "group14"}
        gateway_ips = list(GATEWAY_IPS if s.dual_tunnel else GATEWAY_IPS[:1])
        probe: dict[str, Any] = {
            "openstack_api": info.keystone_url,
            "verify_tls": str(info.ca_path) if info.ca_path else True,
            "floating_ips": [info.floating_ips],
            "tcp_ports": [f"{info.floating_port}/ssh"],  # any port number: say it speaks SSH
            "icmp": True,
            "cloud_targets": [] if er else [CLOUD_TARGET],  # an ER has no CLI to ping from
            "timeout_s": 2,
        }
        device: dict[str, Any] = {"host": "127.0.0.1", "port": info.ssh_port, "username": info.username,
                                  "platform": s.platform}
        onprem: dict[str, Any] = {"next_hop": NEXT_HOP, "lan_address": LAN_ADDRESS}
        if er:  # the ER's web GUI answers on loopback; its WAN port is WAN1 (GigabitEthernet0/1 inside)
            device = {"host": "127.0.0.1", "port": info.extras["web_port"], "platform": s.platform}
            onprem = {}
        data = {
            "version": 1, "name": LAB_NAME,
            "description": "the embedded lab (vpnconsole lab): simulated H3C, Alibaba API and OpenStack",
            "onprem": {"device": device, "public_ip": PUBLIC_IP, "wan_interface": "WAN1" if er else WAN,
                       **onprem, "subnets": [ONPREM_SUBNET]},
            "cloud": {"region": REGION, "vpn_gateway_id": info.gateway_id, "subnets": [CLOUD_SUBNET],
                      "endpoint": info.api_endpoint, "gateway_ips": gateway_ips},
            "ike": {"version": "ikev1", "mode": "main", **ike_algs, "lifetime": 86400, "dpd": True,
                    "nat_traversal": True},
            "ipsec": {**ipsec_algs, "lifetime": 86400},
            "probe": probe,
        }
        import yaml

        profile = parse_profile(yaml.safe_dump(data, sort_keys=False), source="lab profile")
        return MARKER + dump_profile(profile)

    def _profile_target(self) -> Path:
        path = config_home() / "profiles" / f"{LAB_NAME}.yaml"
        if path.exists() and not path.read_text(encoding="utf-8", errors="replace").startswith(MARKER):
            raise LabError(f"{path} exists and was not written by `vpnconsole lab`; move it away first "
                           "(the embedded lab's profile is called 'lab')")
        return path

    def _write_profile(self, info: LabInfo) -> Path:
        path = self._profile_target()
        private_dir(path.parent)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(self.profile_text(info), encoding="utf-8")
        os.replace(tmp, path)
        self._profile_path = path
        return path

    # -- stop

    async def close(self) -> None:
        if self._storing is not None:
            # A failed start may leave the keyring writes running: let them finish, then undo them.
            await asyncio.gather(self._storing, return_exceptions=True)
            self._storing = None
        for server in reversed(self._servers):
            try:
                if hasattr(server, "stop"):
                    await server.stop()
                else:
                    await server.close()
            except Exception:  # keep closing the others
                log.exception("stopping %r failed", server)
        self._servers.clear()
        if self._profile_path is not None:
            self._profile_path.unlink(missing_ok=True)
            self._profile_path = None
        if self._runtime_dir is not None:
            for child in self._runtime_dir.iterdir():
                child.unlink(missing_ok=True)
            self._runtime_dir.rmdir()
            self._runtime_dir = None
        if self.store is not None and not callable(self.store) and self._stored_secrets:
            self._stored_secrets = False
            for kind in SECRET_KINDS:
                try:
                    self.store.delete(LAB_NAME, kind)
                except Exception:
                    log.exception("removing %s/%s from the keyring failed", LAB_NAME, kind)


async def serve(settings: LabSettings, store: Any, *, ready: Any = None) -> None:
    """Run the lab until cancelled (SIGINT/SIGTERM in `vpnconsole lab`)."""
    lab = EmbeddedLab(settings, store=store)
    try:
        info = await lab.start()
        if ready is not None:
            ready(info)
        await asyncio.Event().wait()
    finally:
        await asyncio.shield(lab.close())


class ThreadedLab:
    """The lab on an event loop of its own in a daemon thread: for synchronous callers (netmiko,
    the blocking SDK) such as tests and benchmarks.  A context manager; ``close()`` stops it all."""

    def __init__(self, settings: LabSettings | None = None, *, store: Any = None):
        import threading

        self.lab = EmbeddedLab(settings, store=store)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="vpnconsole-lab", daemon=True)

    def start(self, timeout: float = 30.0) -> LabInfo:
        self._thread.start()
        try:
            return asyncio.run_coroutine_threadsafe(self.lab.start(), self._loop).result(timeout)
        except BaseException:
            self._stop_loop(timeout)  # EmbeddedLab.start has already closed what it opened
            raise

    def call(self, fn: Any, timeout: float = 10.0) -> Any:
        """Run ``fn()`` on the lab's loop thread (where the simulators live) and return its result."""
        async def run() -> Any:
            return fn()
        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(timeout)

    def er_enter(self, checklist: Any, *, typos: Any = None, timeout: float = 10.0) -> Any:
        """The lab's operator enters ``checklist`` on the simulated ER (platform er/er-legacy only)."""
        if self.lab.er_operator is None:
            raise LabError("the lab's router is not an ER (start it with platform er)")
        return self.call(lambda: self.lab.er_operator.enter(checklist, typos=typos), timeout)

    def er_remove(self, checklist: Any, *, timeout: float = 10.0) -> Any:
        """The lab's operator deletes what a teardown checklist names on the simulated ER."""
        if self.lab.er_operator is None:
            raise LabError("the lab's router is not an ER (start it with platform er)")
        return self.call(lambda: self.lab.er_operator.remove(checklist), timeout)

    def close(self, timeout: float = 30.0) -> None:
        if not self._thread.is_alive():
            return
        try:
            asyncio.run_coroutine_threadsafe(self.lab.close(), self._loop).result(timeout)
        finally:
            self._stop_loop(timeout)

    def _stop_loop(self, timeout: float) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout)
        self._loop.close()

    def __enter__(self) -> "ThreadedLab":
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
