"""Shared wiring for the tests of vpnconsole.h3c.device: a lab router behind real SSH, a profile
pointing at it, an encrypted file keyring holding the lab's secrets, an H3CEnd factory."""

from __future__ import annotations

import copy
import ipaddress
from contextlib import contextmanager
from pathlib import Path

from vpnconsole import secrets
from vpnconsole.h3c.device import H3CEnd
from vpnconsole.lab.h3c import H3CServerThread, SimulatedH3C
from vpnconsole.profile import load_profile

PROJECT = Path(__file__).resolve().parents[2]
PSK = "Lab-Psk-2024-Qz7w-Long-Enough-To-Wrap"
PASSWORD = "Router-Pw-9k2!x"
MASTER = "device-test-master-password"
SYSNAME = "EDGE"
FOREIGN = ("acl advanced 3001", " rule 100 permit ip source 192.168.0.0 0.0.0.255", "quit",
           "acl advanced 3100", " description someone else's ACL",
           " rule 5 permit ip source 10.9.0.0 0.0.255.255 destination 10.8.0.0 0.0.255.255", "quit",
           "ike profile OTHER-IKEP", " local-identity address 198.51.100.10", "quit",
           "ip route-static 10.200.0.0 16 198.51.100.9 description unrelated")


def profile(platform: str = "comware7", *, port: int = 22, nat_acl: int | None = None, **changes):
    p = load_profile(PROJECT / "profiles" / "classic.yaml")
    p = copy.deepcopy(p)
    p.onprem.device.platform = platform
    p.onprem.device.host = "127.0.0.1"
    p.onprem.device.port = port
    p.onprem.nat_outbound_acl = nat_acl
    for path, value in changes.items():
        obj = p
        *parents, last = path.split(".")
        for part in parents:
            obj = getattr(obj, part)
        setattr(obj, last, value)
    return p


def router(dialect: str = "v7", extra: tuple[str, ...] = (), nat: bool = False, peer=None, **options) -> SimulatedH3C:
    p = profile()
    on = p.onprem
    wan = ipaddress.IPv4Interface(f"{on.public_ip}/30")
    base = (f"interface {on.wan_interface}", f" ip address {wan.ip} {wan.netmask}",
            *((" nat outbound 3001",) if nat else ()), "quit",
            "interface GigabitEthernet0/0", f" ip address {on.lan_address} 255.255.255.0", "quit",
            f"ip route-static 0.0.0.0 0 {on.next_hop}")
    if nat:  # the ACL must exist before the interface references it
        base = FOREIGN[:3] + base
    return SimulatedH3C(sysname=SYSNAME, dialect=dialect, interfaces=("GigabitEthernet0/0", on.wan_interface),
                        initial_config=base + tuple(extra), peer=peer, **options)


def open_store(tmp_path, monkeypatch, lab: str = "classic"):
    monkeypatch.setenv("VPNCONSOLE_HOME", str(tmp_path / "vpnhome"))
    monkeypatch.setenv("VPNCONSOLE_KEYRING_PASSWORD", MASTER)
    store = secrets.open_store()
    store.set(lab, "psk", PSK)
    store.set(lab, "h3c-password", PASSWORD)
    return store


@contextmanager
def serve(dev: SimulatedH3C, key_path: Path | None = None, legacy: bool = False):
    with H3CServerThread(dev, username="admin", password=PASSWORD, legacy=legacy,
                         host_key_path=str(key_path) if key_path else None) as srv:
        yield srv


def end_for(p, store, tmp_path, **kw) -> H3CEnd:
    kw.setdefault("accept_new_host_key", True)
    kw.setdefault("state_dir", tmp_path / "state")
    return H3CEnd(p, store, **kw)


def running(dev: SimulatedH3C) -> str:
    return dev.cli("display current-configuration")


def saved(dev: SimulatedH3C) -> str:
    return dev.cli("display saved-configuration")
