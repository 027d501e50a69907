"""The lab profile: model, validation, discovery and atomic save.

One YAML file per lab is the single source of truth for both ends.  Validation runs before
anything touches either end and reports every problem at once; each :class:`Problem` names the key
path, the bad value (never a secret) and what is allowed, with the line it came from.

Schema: ``../shared/DESIGN.md`` ("The profile"), plus optional keys the renderers need and a person
may know better than discovery (``onprem.next_hop``, ``onprem.nat_outbound_acl``,
``onprem.lan_address``, ``cloud.gateway_ips``).
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Sequence
from urllib.parse import urlsplit

import yaml

from vpnconsole import algorithms as alg
from vpnconsole.algorithms import Kind
from vpnconsole.params import IkeParams, IpsecParams, TunnelParams, VpnParams, canonical_subnets
from vpnconsole.yamlsource import Located, YamlProblem, load, path_text

SCHEMA_VERSION = 1
NAME_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$")  # 1–32: fits every Comware name
REGION_RE = re.compile(r"^[a-z]{2}(?:-[a-z0-9]+){1,3}$")  # cn-hangzhou, ap-southeast-1, cn-shanghai-finance-1
GATEWAY_ID_RE = re.compile(r"^vpn-[a-z0-9]{8,32}$")
ROUTE_TABLE_ID_RE = re.compile(r"^vtb-[a-z0-9]{8,32}$")
HOSTNAME_RE = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                         r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$")
USERNAME_RE = re.compile(r"^[^\s:@/\\]{1,80}$")

#: Comware interface types, full name first; abbreviations people type map to the full name that
#: `display current-configuration` prints, so the profile and the device compare equal.
INTERFACE_TYPES = {
    "gigabitethernet": "GigabitEthernet", "ge": "GigabitEthernet",
    "ten-gigabitethernet": "Ten-GigabitEthernet", "xge": "Ten-GigabitEthernet",
    "fortygige": "FortyGigE", "hundredgige": "HundredGigE",
    "ethernet": "Ethernet", "eth": "Ethernet",
    "dialer": "Dialer", "vlan-interface": "Vlan-interface", "vlan-int": "Vlan-interface",
    "route-aggregation": "Route-Aggregation", "rago": "Route-Aggregation",
    "serial": "Serial", "s": "Serial", "cellular": "Cellular", "virtual-template": "Virtual-Template",
    "pos": "Pos", "mp-group": "MP-group", "reth": "Reth",
}
INTERFACE_RE = re.compile(r"^([A-Za-z][A-Za-z-]*?)(\d+(?:/\d+){0,3}(?:\.\d+)?)$")
#: An ER's WAN ports are named on its front panel and in its GUI: WAN1, WAN2, … (WAN on one-port models).
ER_WAN_RE = re.compile(r"^wan\s*(\d{0,2})$", re.IGNORECASE)
ER_WEB_PORT = 80  # the ER web GUI's default port (HTTP)

#: Addresses Alibaba refuses for a customer gateway, or that cannot be the address the cloud sees.
_NOT_PUBLIC = [
    (ipaddress.IPv4Network("0.0.0.0/8"), "'this network' (0.0.0.0/8)"),
    (ipaddress.IPv4Network("10.0.0.0/8"), "private (RFC 1918)"),
    (ipaddress.IPv4Network("172.16.0.0/12"), "private (RFC 1918)"),
    (ipaddress.IPv4Network("192.168.0.0/16"), "private (RFC 1918)"),
    (ipaddress.IPv4Network("100.64.0.0/10"), "carrier-grade NAT (100.64.0.0/10)"),
    (ipaddress.IPv4Network("127.0.0.0/8"), "loopback"),
    (ipaddress.IPv4Network("169.254.0.0/16"), "link-local"),
    (ipaddress.IPv4Network("224.0.0.0/4"), "multicast"),
    (ipaddress.IPv4Network("240.0.0.0/4"), "reserved"),
]
#: Comware V5 names `ike peer`, `ike dpd` and `ipsec proposal` with 1–32 characters; ours are
#: "VPNC-<LAB>-PEER1", so a lab on a V5 router may have at most 32 - 11 characters.
V5_MAX_LAB_NAME = 21
MAX_SUBNETS = 10  # per side; Alibaba's limit as enforced by its own provider
MAX_FLOATING_IPS = 4096


# --- the model -------------------------------------------------------------------------------------

@dataclass
class Device:
    """How to reach the router.

    Comware (``comware7``/``comware5``): SSH to ``host``:``port`` as ``username``, all required.
    ER (``er``/``er-legacy``, web-managed, reference h3c §3): there is no CLI, so ``username`` is not
    needed; ``host``/``port`` (optional) name the web GUI (default port 80), whose answer is the only
    sign of life the console can get from the router itself.
    """

    host: str | None
    username: str | None
    port: int = 22
    platform: str = "comware7"  # comware7 | comware5 | er | er-legacy

    @property
    def web_managed(self) -> bool:
        return alg.is_er(self.platform)


@dataclass
class OnPrem:
    device: Device
    public_ip: str
    wan_interface: str
    subnets: list[str]
    next_hop: str | None = None  # WAN next hop for the route to the cloud subnets
    nat_outbound_acl: int | None = None  # the advanced ACL of the WAN's `nat outbound`, if any
    lan_address: str | None = None  # the router's own LAN address (source of `ping -a`)


@dataclass
class Cloud:
    region: str
    vpn_gateway_id: str
    subnets: list[str]
    route_table_id: str | None = None
    endpoint: str | None = None
    gateway_ips: list[str] = field(default_factory=list)  # [master] or [master, slave]; discovered


@dataclass
class Ike:
    version: str = "ikev1"
    mode: str = "main"
    encryption: str = "aes128"
    integrity: str = "sha1"
    dh_group: str = "group2"
    lifetime: int = 86400
    dpd: bool = True
    nat_traversal: bool = True


@dataclass
class Ipsec:
    encryption: str = "aes128"
    integrity: str = "sha1"
    pfs: str = "group2"
    lifetime: int = 86400


#: what a probed TCP port may be declared to speak (``tcp_ports: ["2222/ssh"]``): ``ssh`` waits for the
#: banner, ``http`` for the answer to ``HEAD /``, ``tcp`` takes a connect that is not reset
PORT_PROTOCOLS = ("ssh", "http", "tcp")


@dataclass
class Probe:
    openstack_api: str | None = None
    verify_tls: bool | str = True
    floating_ips: list[str] = field(default_factory=list)
    tcp_ports: list[int] = field(default_factory=lambda: [22])
    icmp: bool = True
    cloud_targets: list[str] = field(default_factory=list)
    timeout_s: float = 2.0
    #: extra http(s) service URLs probed like openstack_api (Nova, Neutron, Glance…)
    api_endpoints: list[str] = field(default_factory=list)
    #: what a port of ``tcp_ports`` speaks, where the profile says (``"2222/ssh"`` → {2222: "ssh"});
    #: saved back as the suffix, so ``tcp_ports`` stays a list of port numbers
    port_protocols: dict[int, str] = field(default_factory=dict)

    def tcp_port_entries(self) -> list[int | str]:
        """``tcp_ports`` as the profile spells them: ``22`` or ``"2222/ssh"``."""
        return [f"{p}/{self.port_protocols[p]}" if p in self.port_protocols else p for p in self.tcp_ports]


@dataclass
class Profile:
    name: str
    onprem: OnPrem
    cloud: Cloud
    ike: Ike = field(default_factory=Ike)
    ipsec: Ipsec = field(default_factory=Ipsec)
    probe: Probe = field(default_factory=Probe)
    description: str = ""
    version: int = SCHEMA_VERSION
    path: Path | None = field(default=None, compare=False)
    warnings: list["Problem"] = field(default_factory=list, compare=False)

    @property
    def platform(self) -> str:
        return self.onprem.device.platform

    @property
    def dual_tunnel(self) -> bool:
        return len(self.cloud.gateway_ips) == 2

    def to_dict(self) -> dict[str, Any]:
        """The profile as it is saved: every key explicit, nothing secret."""
        data = dataclasses.asdict(self)
        data.pop("path")
        data.pop("warnings")
        probe = data["probe"]
        probe["tcp_ports"] = self.probe.tcp_port_entries()
        probe.pop("port_protocols")  # saved as the suffix of its tcp_ports entry
        if not probe["api_endpoints"]:  # optional: older profiles (and their hashes) stay as they were
            probe.pop("api_endpoints")
        ordered = {"version": data.pop("version"), "name": data.pop("name"),
                   "description": data.pop("description")}
        ordered.update(data)
        return ordered

    def params(self, psk_fingerprint: str | None = None) -> VpnParams:
        """What both ends must be configured with, in the canonical vocabulary."""
        ike = IkeParams(self.ike.version, self.ike.mode if self.ike.version == "ikev1" else "main",
                        self.ike.encryption, self.ike.integrity, self.ike.dh_group, self.ike.lifetime,
                        self.ike.dpd, self.ike.nat_traversal)
        ipsec = IpsecParams(self.ipsec.encryption, self.ipsec.integrity, self.ipsec.pfs, self.ipsec.lifetime)
        cloud_ips: Sequence[str | None] = self.cloud.gateway_ips or [None]
        tunnels = tuple(
            TunnelParams(ike, ipsec, self.onprem.public_ip, ip, self.onprem.public_ip, ip, psk_fingerprint)
            for ip in cloud_ips)
        return VpnParams(tunnels, canonical_subnets(self.onprem.subnets), canonical_subnets(self.cloud.subnets))


# --- problems --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Problem:
    path: str  # "onprem.subnets[1]"
    message: str  # says what is wrong and what is allowed
    line: int | None = None
    column: int | None = None
    severity: str = "error"  # error | warning

    def __str__(self) -> str:
        where = ""
        if self.line:
            # A syntax error needs the column to be found; a key path already says where.
            where = f" (line {self.line}, column {self.column})" if self.path == "(yaml)" else f" (line {self.line})"
        return f"{self.path}: {self.message}{where}"

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


class ProfileError(Exception):
    """The profile cannot be used; ``problems`` lists every reason."""

    def __init__(self, problems: list[Problem], source: str | None = None):
        self.problems = problems
        self.source = source
        head = f"{source}: " if source else ""
        n = sum(p.severity == "error" for p in problems)
        super().__init__(head + f"{n} problem{'s' if n != 1 else ''}:\n" + "\n".join(
            f"  {p}" for p in problems if p.severity == "error"))


class ProfileNotFound(Exception):
    pass


# --- reading and validating ------------------------------------------------------------------------

_MISSING = object()


class _Reader:
    """Walks the raw data, collects every problem, never raises on bad input."""

    def __init__(self, located: Located):
        self.located = located
        self.problems: list[Problem] = []
        # Partial facts for the cross checks, kept even when a sibling field is invalid, so that
        # one typo does not hide every other problem.
        self.onprem_nets: list[ipaddress.IPv4Network] = []
        self.cloud_nets: list[ipaddress.IPv4Network] = []
        self.public_ip: str | None = None
        self.gateway_ips: list[str] = []
        self.platform = "comware7"

    def problem(self, path: tuple, message: str, severity: str = "error") -> None:
        line_col = self.located.where(path)
        line, col = line_col if line_col else (None, None)
        self.problems.append(Problem(path_text(path), message, line, col, severity))

    def warn(self, path: tuple, message: str) -> None:
        self.problem(path, message, "warning")

    # -- structure

    def mapping(self, data: Any, path: tuple, allowed: dict[str, str]) -> dict[str, Any]:
        """A mapping whose keys must be in ``allowed`` (name → one-line description)."""
        if data is None:
            return {}
        if not isinstance(data, dict):
            self.problem(path, f"must be a mapping with keys {', '.join(allowed)}; got {_kind(data)}")
            return {}
        for key in data:
            if key not in allowed:
                if key.lower() in {"psk", "password", "secret", "pre_shared_key", "access_key_secret", "key"}:
                    self.problem(path + (key,), "secrets never belong in a profile; store it with "
                                 "`vpnconsole secret set LAB psk|h3c-password` (kept in the keyring)")
                else:
                    hint = _close(key, allowed)
                    self.problem(path + (key,), f"unknown key{hint}; allowed here: {', '.join(allowed)}")
        return data

    def get(self, data: dict, path: tuple, key: str, required: bool = False) -> Any:
        value = data.get(key, _MISSING)
        if value is _MISSING or value is None:
            if required:
                self.problem(path + (key,), "is required")
            return _MISSING
        return value

    # -- scalars

    def string(self, data: dict, path: tuple, key: str, *, required: bool = False, default: Any = None,
               pattern: re.Pattern | None = None, allowed_text: str = "", max_len: int = 200) -> Any:
        value = self.get(data, path, key, required)
        if value is _MISSING:
            return default
        if not isinstance(value, str) or isinstance(value, bool):
            self.problem(path + (key,), f"must be text{_allowed(allowed_text)}; got {_show(value)}")
            return default
        if len(value) > max_len:
            self.problem(path + (key,), f"is {len(value)} characters long; at most {max_len} allowed")
            return default
        if pattern is not None and not pattern.match(value):
            self.problem(path + (key,), f"{_show(value)} is not valid{_allowed(allowed_text)}")
            return default
        return value

    def choice(self, data: dict, path: tuple, key: str, options: Sequence[str], default: str) -> str:
        value = self.get(data, path, key)
        if value is _MISSING:
            return default
        folded = value.strip().lower() if isinstance(value, str) else value
        if folded not in options:
            self.problem(path + (key,), f"{_show(value)} is not allowed; choose one of: {', '.join(options)}")
            return default
        return folded

    def integer(self, data: dict, path: tuple, key: str, lo: int, hi: int, default: Any = None,
                required: bool = False, unit: str = "") -> Any:
        value = self.get(data, path, key, required)
        if value is _MISSING:
            return default
        return self.int_value(value, path + (key,), lo, hi, default, unit)

    def int_value(self, value: Any, path: tuple, lo: int, hi: int, default: Any, unit: str = "") -> Any:
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, str) and value.strip().isdigit():
                value = int(value.strip())
            else:
                self.problem(path, f"must be a whole number from {lo} to {hi}{unit}; got {_show(value)}")
                return default
        if not lo <= value <= hi:
            self.problem(path, f"{value} is out of range; allowed {lo}–{hi}{unit}")
            return default
        return value

    def boolean(self, data: dict, path: tuple, key: str, default: bool) -> bool:
        value = self.get(data, path, key)
        if value is _MISSING:
            return default
        if not isinstance(value, bool):
            self.problem(path + (key,), f"must be true or false; got {_show(value)}")
            return default
        return value

    def ipv4(self, value: Any, path: tuple, what: str = "an IPv4 address") -> ipaddress.IPv4Address | None:
        if not isinstance(value, str):
            self.problem(path, f"must be {what}, like 203.0.113.10; got {_show(value)}")
            return None
        try:
            return ipaddress.IPv4Address(value.strip())
        except ValueError:
            self.problem(path, f"{_show(value)} is not {what} (expected dotted quad like 203.0.113.10)")
            return None

    def str_list(self, data: dict, path: tuple, key: str, *, required: bool = False,
                 max_items: int = 1000) -> list[tuple[tuple, Any]]:
        value = self.get(data, path, key, required)
        if value is _MISSING:
            return []
        if isinstance(value, (str, int)) and not isinstance(value, bool):
            value = [value]  # `subnets: 10.0.0.0/24` means a list of one
        if not isinstance(value, list):
            self.problem(path + (key,), f"must be a list; got {_show(value)}")
            return []
        if required and not value:
            self.problem(path + (key,), "must list at least one entry")
        if len(value) > max_items:
            self.problem(path + (key,), f"lists {len(value)} entries; at most {max_items} allowed")
            return []
        return [(path + (key, i), item) for i, item in enumerate(value)]

    def subnets(self, data: dict, path: tuple, key: str, side: str) -> list[ipaddress.IPv4Network]:
        nets: list[tuple[tuple, ipaddress.IPv4Network]] = []
        for item_path, item in self.str_list(data, path, key, required=True, max_items=MAX_SUBNETS):
            net = self.cidr(item, item_path)
            if net is None:
                continue
            if net.prefixlen == 0:
                self.problem(item_path, f"0.0.0.0/0 selects Alibaba's destination-routing mode, which this "
                             f"console does not build; list the {side} networks themselves")
                continue
            for other_path, other in nets:
                if net == other:
                    self.problem(item_path, f"{net} is listed twice (also at {path_text(other_path)})")
                    break
                if net.overlaps(other):
                    self.problem(item_path, f"{net} overlaps {other} ({path_text(other_path)}); "
                                 "list each network once, without nesting")
                    break
            else:
                nets.append((item_path, net))
        return [n for _, n in nets]

    def cidr(self, value: Any, path: tuple) -> ipaddress.IPv4Network | None:
        if isinstance(value, bool) or not isinstance(value, str):
            self.problem(path, f"must be an IPv4 network in CIDR form like 192.168.10.0/24; got {_show(value)}")
            return None
        text = value.strip()
        if "/" not in text and _is_ipv4(text):
            self.problem(path, f"{_show(value)} has no prefix length; write it as a network like "
                         f"{_suggest_network(text)}")
            return None
        try:
            return ipaddress.IPv4Network(text, strict=True)
        except ValueError as exc:
            try:
                loose = ipaddress.IPv4Network(text, strict=False)
            except ValueError:
                self.problem(path, f"{_show(value)} is not an IPv4 network in CIDR form like 192.168.10.0/24 "
                             f"({exc})")
                return None
            self.problem(path, f"{_show(value)} has host bits set; did you mean {loose}?")
            return None


def _is_ipv4(text: str) -> bool:
    try:
        ipaddress.IPv4Address(text)
        return True
    except ValueError:
        return False


def _kind(value: Any) -> str:
    return {dict: "a mapping", list: "a list", str: "text", bool: "true/false", int: "a number",
            float: "a number", type(None): "nothing"}.get(type(value), type(value).__name__)


def _show(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return _kind(value)
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _allowed(text: str) -> str:
    return f" ({text})" if text else ""


def _close(key: str, allowed: dict[str, str]) -> str:
    import difflib

    match = difflib.get_close_matches(key, list(allowed), n=1, cutoff=0.6)
    return f" (did you mean {match[0]!r}?)" if match else ""


def _suggest_network(text: str) -> str:
    try:
        return str(ipaddress.IPv4Network(f"{text}/24", strict=False))
    except ValueError:
        return "192.168.10.0/24"


def _not_public(addr: ipaddress.IPv4Address) -> str | None:
    for net, why in _NOT_PUBLIC:
        if addr in net:
            return why
    return None


def canonical_interface(name: str) -> str | None:
    """``GE0/1`` → ``GigabitEthernet0/1``; None when it does not look like a Comware interface."""
    m = INTERFACE_RE.match(name.strip())
    if not m:
        return None
    kind = INTERFACE_TYPES.get(m.group(1).lower())
    return f"{kind}{m.group(2)}" if kind else None


_TOP = {"version": "schema version (1)", "name": "lab name", "description": "free text",
        "onprem": "the H3C router", "cloud": "the Alibaba VPN gateway", "ike": "phase 1",
        "ipsec": "phase 2", "probe": "connectivity checks"}
_ONPREM = {"device": "how to reach the router", "public_ip": "WAN address the cloud sees",
           "wan_interface": "interface carrying the policy", "subnets": "on-prem networks",
           "next_hop": "WAN next hop", "nat_outbound_acl": "ACL of the WAN's nat outbound",
           "lan_address": "router LAN address"}
_DEVICE = {"host": "address or name (ER: its web GUI, optional)", "port": "SSH port (ER: web GUI port)",
           "username": "login (not used on ER)", "platform": "comware7 | comware5 | er | er-legacy"}
_CLOUD = {"region": "region id", "vpn_gateway_id": "vpn-…", "route_table_id": "vtb-…", "subnets": "VPC networks",
          "endpoint": "API endpoint override", "gateway_ips": "the gateway's public IPs"}
_IKE = {"version": "ikev1 | ikev2", "mode": "main | aggressive", "encryption": "", "integrity": "",
        "dh_group": "", "lifetime": "seconds", "dpd": "true | false", "nat_traversal": "true | false"}
_IPSEC = {"encryption": "", "integrity": "", "pfs": "", "lifetime": "seconds"}
_PROBE = {"openstack_api": "Keystone URL", "verify_tls": "true | false | CA bundle path",
          "floating_ips": "addresses or ranges a-b",
          "tcp_ports": "ports, optionally with what they speak: 22, \"2222/ssh\", \"8080/http\"",
          "icmp": "true | false", "cloud_targets": "VPC addresses pinged from the H3C", "timeout_s": "seconds",
          "api_endpoints": "more http(s) service URLs (Nova, Neutron, Glance)"}


def validate_data(located: Located, *, source: str | None = None, expected_name: str | None = None) -> Profile:
    """Build a :class:`Profile` from parsed YAML, or raise :class:`ProfileError` with every problem."""
    r = _Reader(located)
    top = r.mapping(located.data, (), _TOP)
    if located.data is None:
        r.problem((), "the profile is empty; start from an example in profiles/")
    version = r.integer(top, (), "version", 1, 1, default=SCHEMA_VERSION)
    name = r.string(top, (), "name", required=True, pattern=NAME_RE, max_len=32,
                    allowed_text="1–32 of a-z, 0-9 and '-', not starting or ending with '-'")
    if name and expected_name and name != expected_name:
        r.warn(("name",), f"the file is named {expected_name!r} but the profile calls itself {name!r}; "
               "the name is the keyring namespace, so keep them the same")
    description = r.string(top, (), "description", default="", max_len=500) or ""

    onprem = _read_onprem(r, r.mapping(top.get("onprem"), ("onprem",), _ONPREM), top)
    cloud = _read_cloud(r, r.mapping(top.get("cloud"), ("cloud",), _CLOUD), top)
    ike = _read_ike(r, r.mapping(top.get("ike"), ("ike",), _IKE))
    ipsec = _read_ipsec(r, r.mapping(top.get("ipsec"), ("ipsec",), _IPSEC))
    probe = _read_probe(r, r.mapping(top.get("probe"), ("probe",), _PROBE))
    if located.data is not None and "onprem" not in top:
        r.problem(("onprem",), "is required (the H3C router: device, public_ip, wan_interface, subnets)")
    if located.data is not None and "cloud" not in top:
        r.problem(("cloud",), "is required (the Alibaba gateway: region, vpn_gateway_id, subnets)")

    _cross_checks(r, ike, ipsec, probe)
    if name and r.platform == "comware5" and len(name) > V5_MAX_LAB_NAME:
        r.problem(("name",), f"is {len(name)} characters; on a Comware V5 router the objects named after the lab "
                  f"(VPNC-<LAB>-PEER1, at most 32 characters) allow at most {V5_MAX_LAB_NAME}")

    errors = [p for p in r.problems if p.severity == "error"]
    if errors or onprem is None or cloud is None or name is None:
        raise ProfileError(r.problems, source)
    return Profile(name=name, onprem=onprem, cloud=cloud, ike=ike, ipsec=ipsec, probe=probe,
                   description=description, version=version,
                   warnings=[p for p in r.problems if p.severity == "warning"])


def _read_onprem(r: _Reader, d: dict, top: dict) -> OnPrem | None:
    p = ("onprem",)
    dev_raw = r.mapping(d.get("device"), p + ("device",), _DEVICE)
    if "device" not in d and "onprem" in top and isinstance(top.get("onprem"), dict):
        r.problem(p + ("device",), "is required (host, username, port, platform)")
    dp = p + ("device",)
    platform = r.choice(dev_raw, dp, "platform", tuple(alg.PLATFORMS), "comware7")
    r.platform = platform
    er = alg.is_er(platform)
    # An ER has no CLI: nothing logs in, so no username; the host (its web GUI) is only checked for an answer.
    host = r.string(dev_raw, dp, "host", required="device" in d and not er, max_len=253)
    if host is not None and not _is_host(host):
        r.problem(dp + ("host",), f"{_show(host)} is neither an IPv4 address nor a host name")
        host = None
    username = r.string(dev_raw, dp, "username", required="device" in d and not er, pattern=USERNAME_RE,
                        allowed_text="1–80 characters, no spaces, ':', '@' or slashes", max_len=80)
    port = r.integer(dev_raw, dp, "port", 1, 65535, default=ER_WEB_PORT if er else 22)

    public_ip = None
    raw_ip = r.get(d, p, "public_ip", required=bool(d) or "onprem" in top)
    if raw_ip is not _MISSING:
        addr = r.ipv4(raw_ip, p + ("public_ip",))
        if addr is not None:
            why = _not_public(addr)
            if why:
                r.problem(p + ("public_ip",), f"{addr} is {why}; it must be the public address the cloud sees "
                          "(behind NAT: the NAT's public address)")
            else:
                public_ip = r.public_ip = str(addr)

    wan = r.string(d, p, "wan_interface", required=bool(d) or "onprem" in top, max_len=64)
    wan_canonical = None
    if wan is not None and er:
        m = ER_WAN_RE.match(wan.strip())
        wan_canonical = f"WAN{m.group(1)}" if m else None
        if wan_canonical is None:
            r.problem(p + ("wan_interface",), f"{_show(wan)} is not an ER WAN port; write it as the GUI names it: "
                      "WAN1, WAN2, … (the port the virtual interface 虚接口 is bound to)")
    elif wan is not None:
        wan_canonical = canonical_interface(wan)
        if wan_canonical is None:
            r.problem(p + ("wan_interface",), f"{_show(wan)} is not a Comware interface name; expected e.g. "
                      "GigabitEthernet0/1, Dialer1, Vlan-interface10 (type followed by its number)")
    subnets = r.subnets(d, p, "subnets", "on-prem") if (d or "onprem" in top) else []
    r.onprem_nets = subnets

    next_hop = None
    if (raw := r.get(d, p, "next_hop")) is not _MISSING:
        a = r.ipv4(raw, p + ("next_hop",))
        next_hop = str(a) if a else None
    nat_acl = r.integer(d, p, "nat_outbound_acl", 2000, 3999)
    if nat_acl is not None and er:
        r.problem(p + ("nat_outbound_acl",), "an ER has no ACL-based `nat outbound` to exempt the tunnel from; "
                  "leave nat_outbound_acl out (the ER's IPsec policy takes its traffic before NAT)")
        nat_acl = None
    if nat_acl is not None and nat_acl < 3000:
        r.problem(p + ("nat_outbound_acl",), f"{nat_acl} is a basic ACL (2000–2999), which matches sources only; "
                  "a NAT exemption for the tunnel needs the destination, so the WAN's nat outbound must use an "
                  "advanced ACL (3000–3999)")
        nat_acl = None
    lan = None
    if (raw := r.get(d, p, "lan_address")) is not _MISSING:
        a = r.ipv4(raw, p + ("lan_address",))
        if a is not None and subnets and not any(a in n for n in subnets):
            r.problem(p + ("lan_address",), f"{a} is not inside onprem.subnets ({', '.join(map(str, subnets))}); "
                      "pings sourced from it would not match the tunnel's ACL")
        lan = str(a) if a else None

    if (not er and None in (host, username)) or None in (public_ip, wan_canonical) or not subnets:
        return None
    return OnPrem(Device(host, username, port, platform), public_ip, wan_canonical, [str(n) for n in subnets],
                  next_hop, nat_acl, lan)


def _is_host(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
        return True
    except ValueError:
        return bool(HOSTNAME_RE.match(text)) and not text.replace(".", "").isdigit()


def _read_cloud(r: _Reader, d: dict, top: dict) -> Cloud | None:
    p = ("cloud",)
    need = bool(d) or "cloud" in top
    region = r.string(d, p, "region", required=need, pattern=REGION_RE, max_len=40,
                      allowed_text="a region id like cn-hangzhou or ap-southeast-1")
    gw = r.string(d, p, "vpn_gateway_id", required=need, pattern=GATEWAY_ID_RE, max_len=40,
                  allowed_text="'vpn-' followed by 8–32 lowercase letters or digits")
    rt = r.string(d, p, "route_table_id", pattern=ROUTE_TABLE_ID_RE, max_len=40,
                  allowed_text="'vtb-' followed by 8–32 lowercase letters or digits; omit it for the VPC's system table")
    subnets = r.subnets(d, p, "subnets", "VPC") if need else []
    r.cloud_nets = subnets
    endpoint = r.string(d, p, "endpoint", max_len=200)
    if endpoint is not None and not _is_endpoint(endpoint):
        r.problem(p + ("endpoint",), f"{_show(endpoint)} is not an API endpoint; expected host[:port] or "
                  "http(s)://host[:port], e.g. vpc.cn-shanghai.aliyuncs.com or http://127.0.0.1:18765")
        endpoint = None
    ips: list[str] = []
    for item_path, item in r.str_list(d, p, "gateway_ips", max_items=2):
        a = r.ipv4(item, item_path)
        if a is None:
            continue
        if why := _not_public(a):
            r.problem(item_path, f"{a} is {why}; a VPN gateway's IPsec address is public")
        elif str(a) in ips:
            r.problem(item_path, f"{a} is listed twice; a dual-tunnel gateway has two different addresses")
        else:
            ips.append(str(a))
    r.gateway_ips = ips
    if None in (region, gw) or not subnets:
        return None
    return Cloud(region, gw, [str(n) for n in subnets], rt, endpoint, ips)


def _is_endpoint(text: str) -> bool:
    url = urlsplit(text if "://" in text else f"//{text}")
    if "://" in text and url.scheme not in ("http", "https"):
        return False
    try:
        port = url.port
    except ValueError:
        return False
    return bool(url.hostname) and _is_host(url.hostname) and url.path in ("", "/") and port != 0


def _algorithm(r: _Reader, d: dict, path: tuple, key: str, kind: Kind, default: str, pfs: bool = False) -> str:
    value = r.get(d, path, key)
    if value is _MISSING:
        return default
    try:
        return alg.resolve(kind, value, pfs=pfs).name
    except alg.UnknownAlgorithm as exc:
        r.problem(path + (key,), f"{_show(value)} is not a known {kind.value}; use one of: "
                  f"{', '.join(exc.allowed)} (aliases such as {_ALIAS_HINT[kind]} are understood)")
        return default


_ALIAS_HINT = {Kind.ENCRYPTION: "aes, aes-cbc-128, AES-256", Kind.INTEGRITY: "sha, SHA1, hmac-sha256",
               Kind.DH: "dh2, 'DH2 modp1024', modp2048, 14"}


def _read_ike(r: _Reader, d: dict) -> Ike:
    p = ("ike",)
    return Ike(
        version=r.choice(d, p, "version", alg.IKE_VERSIONS, "ikev1"),
        mode=r.choice(d, p, "mode", alg.IKE_MODES, "main"),
        encryption=_algorithm(r, d, p, "encryption", Kind.ENCRYPTION, "aes128"),
        integrity=_algorithm(r, d, p, "integrity", Kind.INTEGRITY, "sha1"),
        dh_group=_algorithm(r, d, p, "dh_group", Kind.DH, "group2"),
        lifetime=r.integer(d, p, "lifetime", 0, 10**9, default=86400, unit=" s"),
        dpd=r.boolean(d, p, "dpd", True),
        nat_traversal=r.boolean(d, p, "nat_traversal", True),
    )


def _read_ipsec(r: _Reader, d: dict) -> Ipsec:
    p = ("ipsec",)
    return Ipsec(
        encryption=_algorithm(r, d, p, "encryption", Kind.ENCRYPTION, "aes128"),
        integrity=_algorithm(r, d, p, "integrity", Kind.INTEGRITY, "sha1"),
        pfs=_algorithm(r, d, p, "pfs", Kind.DH, "group2", pfs=True),
        lifetime=r.integer(d, p, "lifetime", 0, 10**9, default=86400, unit=" s"),
    )


def _http_url_ok(text: str) -> bool:
    url = urlsplit(text)
    try:
        url.port
        return url.scheme in ("http", "https") and bool(url.hostname) and _is_host(url.hostname)
    except ValueError:
        return False


def _read_probe(r: _Reader, d: dict) -> Probe:
    p = ("probe",)
    api = r.string(d, p, "openstack_api", max_len=500)
    if api is not None and not _http_url_ok(api):
        r.problem(p + ("openstack_api",), f"{_show(api)} is not an http(s) URL like https://192.168.0.10:5000/v3")
        api = None
    endpoints: list[tuple[tuple, str]] = []
    for item_path, item in r.str_list(d, p, "api_endpoints", max_items=32):
        if isinstance(item, str) and len(item) <= 500 and _http_url_ok(item.strip()):
            endpoints.append((item_path, item.strip()))
        else:
            r.problem(item_path, f"{_show(item)} is not an http(s) URL like http://192.168.0.10:8774/ "
                      "(Nova), :9696/ (Neutron) or :9292/ (Glance)")
    verify: bool | str = True
    if (raw := r.get(d, p, "verify_tls")) is not _MISSING:
        if isinstance(raw, bool):
            verify = raw
        elif isinstance(raw, str) and raw.strip():
            verify = raw
        else:
            r.problem(p + ("verify_tls",), f"must be true, false or the path of a CA bundle; got {_show(raw)}")
    fips = []
    for item_path, item in r.str_list(d, p, "floating_ips", max_items=512):
        if isinstance(item, str) and item.strip():
            fips.append((item_path, item.strip()))
        else:
            r.problem(item_path, f"must be an address or a range like 192.168.10.100-192.168.10.120; got {_show(item)}")
    ports: list[int] = []
    protocols: dict[int, str] = {}
    for item_path, item in r.str_list(d, p, "tcp_ports", max_items=64):
        proto = None
        if isinstance(item, str) and "/" in item:
            number, _, proto = item.partition("/")
            proto = proto.strip().lower()
            if proto not in PORT_PROTOCOLS:
                r.problem(item_path, f"{_show(item)}: {_show(proto)} is not a protocol the probe knows; write "
                          f"PORT/{' | PORT/'.join(PORT_PROTOCOLS)} (e.g. \"2222/ssh\") or just the port")
                continue
            item = number.strip()
        port = r.int_value(item, item_path, 1, 65535, None)
        if port is None:
            continue
        if port in ports:
            r.problem(item_path, f"port {port} is listed twice")
            continue
        ports.append(port)
        if proto is not None:
            protocols[port] = proto
    if "tcp_ports" not in d:
        ports = [22]
    targets = [(ip_path, item) for ip_path, item in r.str_list(d, p, "cloud_targets", max_items=64)]
    timeout = 2.0
    if (raw := r.get(d, p, "timeout_s")) is not _MISSING:
        if isinstance(raw, bool) or not isinstance(raw, (int, float)) or not 0.1 <= raw <= 60:
            r.problem(p + ("timeout_s",), f"must be a number of seconds from 0.1 to 60; got {_show(raw)}")
        else:
            timeout = float(raw)
    probe = Probe(api, verify, [], ports, r.boolean(d, p, "icmp", True), [], timeout, [], protocols)
    # Addresses are checked against the subnets in _cross_checks; keep the raw text and paths.
    probe._raw_floating = fips  # type: ignore[attr-defined]
    probe._raw_targets = targets  # type: ignore[attr-defined]
    probe._raw_endpoints = endpoints  # type: ignore[attr-defined]
    return probe


def parse_range(text: str) -> tuple[ipaddress.IPv4Address, ipaddress.IPv4Address]:
    """``"a-b"`` or ``"a"`` → (first, last); raises ValueError with a message for people."""
    first, sep, last = text.partition("-")
    try:
        lo = ipaddress.IPv4Address(first.strip())
        hi = ipaddress.IPv4Address(last.strip()) if sep else lo
    except ValueError:
        raise ValueError(f"{text!r} is not an IPv4 address or a range like 192.168.10.100-192.168.10.120") from None
    if hi < lo:
        raise ValueError(f"{text!r} runs backwards; write the lower address first ({hi}-{lo})")
    return lo, hi


def expand_targets(entries: Sequence[str]) -> Iterator[ipaddress.IPv4Address]:
    """Every address a list of addresses and ranges names, in order."""
    for entry in entries:
        lo, hi = parse_range(entry)
        for n in range(int(lo), int(hi) + 1):
            yield ipaddress.IPv4Address(n)


def _cross_checks(r: _Reader, ike: Ike, ipsec: Ipsec, probe: Probe) -> None:
    onprem_nets, cloud_nets = r.onprem_nets, r.cloud_nets
    for i, c in enumerate(cloud_nets):
        for o in onprem_nets:
            if c.overlaps(o):
                r.problem(("cloud", "subnets", i), f"{c} overlaps the on-prem network {o}; the two sides of a "
                          "tunnel must not share addresses (traffic would never leave either side)")
    if r.public_ip and r.public_ip in r.gateway_ips:
        r.problem(("cloud", "gateway_ips"), f"{r.public_ip} is also onprem.public_ip; the two ends "
                  "need different public addresses")

    _check_algorithms(r, ike, ipsec, r.platform)

    # Probe targets: traffic only enters the tunnel when its destination is an on-prem subnet.
    scope = ", ".join(map(str, onprem_nets)) or "(none)"
    fips: list[str] = []
    total = 0
    for item_path, text in getattr(probe, "_raw_floating", []):
        try:
            lo, hi = parse_range(text)
        except ValueError as exc:
            r.problem(item_path, str(exc))
            continue
        total += int(hi) - int(lo) + 1
        outside = [a for a in (lo, hi) if onprem_nets and not any(a in n for n in onprem_nets)]
        same_net = any(lo in n and hi in n for n in onprem_nets)
        if outside:
            r.problem(item_path, f"{outside[0]} is outside onprem.subnets ({scope}); its traffic would never "
                      "enter the tunnel, so the probe could not prove anything — add its network to "
                      "onprem.subnets or remove it")
        elif onprem_nets and not same_net:
            r.problem(item_path, f"the range {text} spans more than one of onprem.subnets ({scope}); split it")
        else:
            fips.append(text)
    if total > MAX_FLOATING_IPS:
        r.problem(("probe", "floating_ips"), f"names {total} addresses; at most {MAX_FLOATING_IPS} are probed")
    probe.floating_ips = fips

    targets: list[str] = []
    cloud_scope = ", ".join(map(str, cloud_nets)) or "(none)"
    for item_path, item in getattr(probe, "_raw_targets", []):
        a = r.ipv4(item, item_path)
        if a is None:
            continue
        if cloud_nets and not any(a in n for n in cloud_nets):
            r.problem(item_path, f"{a} is outside cloud.subnets ({cloud_scope}); a ping from the H3C to it would "
                      "not enter the tunnel")
        else:
            targets.append(str(a))
    probe.cloud_targets = targets
    if targets and alg.is_er(r.platform):
        r.warn(("probe", "cloud_targets"), "an ER has no CLI to ping from, so cloud targets cannot be pinged "
               "from the router and will be skipped; ping them from a host in onprem.subnets instead")

    def api_host_inside(path: tuple, url: str) -> bool:
        host = urlsplit(url).hostname or ""
        try:
            addr = ipaddress.IPv4Address(host)
        except ValueError:
            r.warn(path, f"{host!r} is a host name; make sure it resolves on the jump host "
                   f"to an address inside onprem.subnets ({scope}), or the probe will not cross the tunnel")
            return True
        if onprem_nets and not any(addr in n for n in onprem_nets):
            r.problem(path, f"{addr} is outside onprem.subnets ({scope}); its traffic "
                      "would never enter the tunnel — add its network to onprem.subnets or fix the URL")
            return False
        return True

    if probe.openstack_api:
        api_host_inside(("probe", "openstack_api"), probe.openstack_api)
    endpoints: list[str] = []
    for item_path, url in getattr(probe, "_raw_endpoints", []):
        if url in endpoints or url == probe.openstack_api:
            r.problem(item_path, f"{url} is listed twice" + (" (it is probe.openstack_api)"
                                                             if url == probe.openstack_api else ""))
        elif api_host_inside(item_path, url):
            endpoints.append(url)
    probe.api_endpoints = endpoints
    for attr in ("_raw_floating", "_raw_targets", "_raw_endpoints"):
        probe.__dict__.pop(attr, None)
    if probe.verify_tls is False:
        r.warn(("probe", "verify_tls"), "TLS certificates of the OpenStack API will not be verified")
    elif isinstance(probe.verify_tls, str) and not Path(os.path.expanduser(probe.verify_tls)).is_file():
        r.problem(("probe", "verify_tls"), f"CA bundle {probe.verify_tls!r} does not exist; give the path of a "
                  "PEM file, true (system CAs) or false")

    if ike.version == "ikev1" and (len(onprem_nets) > 1 or len(cloud_nets) > 1):
        r.warn(("ike", "version"), "with more than one subnet on a side, IKEv1 negotiates one SA pair per subnet "
               "pair and Alibaba recommends IKEv2; consider ike.version: ikev2")


def _check_algorithms(r: _Reader, ike: Ike, ipsec: Ipsec, platform: str) -> None:
    dialects = alg.PLATFORMS[platform]
    pretty = alg.PLATFORM_LABELS[platform]
    er = alg.is_er(platform)
    if ike.version == "ikev2" and dialects.ikev2 is None:
        r.problem(("ike", "version"), f"{pretty} has no IKEv2"
                  + ("; its IKE pages (IKE安全提议/IKE对等体) speak IKEv1 only — use ikev1" if er
                     else "; use ikev1 or a Comware V7 router"))
        return
    if ike.version == "ikev2" and ike.mode == "aggressive":
        r.problem(("ike", "mode"), "aggressive mode exists only in IKEv1; use mode: main with ikev2 "
                  "(or version: ikev1)")
    if platform == "comware7" and not ike.nat_traversal:
        r.problem(("ike", "nat_traversal"), "Comware V7 negotiates NAT traversal automatically and cannot turn "
                  "it off, so both ends would disagree; set nat_traversal: true")
    ike_dialect = alg.ike_dialect(platform, ike.version)
    checks = [
        (("ike", "encryption"), Kind.ENCRYPTION, ike.encryption, ike_dialect, False),
        (("ike", "integrity"), Kind.INTEGRITY, ike.integrity, ike_dialect, False),
        (("ike", "dh_group"), Kind.DH, ike.dh_group, ike_dialect, False),
        (("ipsec", "encryption"), Kind.ENCRYPTION, ipsec.encryption, dialects.esp, False),
        (("ipsec", "integrity"), Kind.INTEGRITY, ipsec.integrity, dialects.esp, False),
        (("ipsec", "pfs"), Kind.DH, ipsec.pfs, dialects.esp, True),
    ]
    for path, kind, name, dialect, pfs in checks:
        a = alg.by_name(kind, name, pfs=pfs)
        for d in (dialect, alg.Dialect.ALIBABA):
            if not a.available(d) and er and d is dialect:
                offered = [f"{x.spellings[d]} ({x.name})" for x in alg.choices(kind, pfs=pfs)
                           if x.available(d) and x.available(alg.Dialect.ALIBABA)]
                hint = ("; if your ER lists DH14 modp2048 (newer builds), set onprem.device.platform: er"
                        if platform == "er-legacy" and a.name == "group14" else "")
                r.problem(path, f"{a.label} is not offered by the {d.label}; the {pretty} offers only "
                          f"{', '.join(offered)}{hint}")
                break
            if not a.available(d):
                offered = [x.name for x in alg.choices(kind, pfs=pfs) if x.available(d)]
                r.problem(path, f"{a.name} is not available in the {d.label}; both ends must support it — "
                          f"choose one of: {', '.join(offered)}")
                break
        else:
            better = 'aes256' if kind is Kind.ENCRYPTION else 'sha256' if kind is Kind.INTEGRITY else 'group14'
            # No advice the router cannot follow: an old ER's SHA1/DH2 is the best it has.
            if a.weak and a.name != "none" and alg.by_name(kind, better).available(dialect):
                r.warn(path, f"{a.label} is considered weak; prefer {better} where both ends allow it")
    for path, value, ranges in ((("ike", "lifetime"), ike.lifetime, alg.ike_lifetime_ranges(ike.version)),
                                (("ipsec", "lifetime"), ipsec.lifetime, alg.IPSEC_LIFETIME_RANGES)):
        lo, hi = alg.lifetime_range(ranges, platform)
        if not lo <= value <= hi:
            a_lo, a_hi = ranges["alibaba"]
            h_lo, h_hi = ranges[platform]
            where = f"{pretty} IKEv2 profile" if path == ("ike", "lifetime") and ike.version == "ikev2" else pretty
            r.problem(path, f"{value} s is outside what both ends accept: {lo}–{hi} s (Alibaba {a_lo}–{a_hi}, "
                      f"{where} {h_lo}–{h_hi})")


# --- loading, discovery, saving --------------------------------------------------------------------

def parse_profile(text: str, *, source: str | None = None, expected_name: str | None = None) -> Profile:
    """Parse and validate YAML text.  Raises only :class:`ProfileError`."""
    try:
        located = load(text)
    except YamlProblem as exc:
        raise ProfileError([Problem("(yaml)", exc.message, exc.line, exc.column)], source) from None
    return validate_data(located, source=source, expected_name=expected_name)


def load_profile(path: Path) -> Profile:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ProfileError([Problem("(file)", f"cannot read {path}: {exc.strerror}")], str(path)) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProfileError([Problem("(file)", f"not UTF-8 text (byte {exc.start})")], str(path)) from None
    profile = parse_profile(text, source=str(path), expected_name=path.stem)
    profile.path = path
    return profile


def config_home() -> Path:
    """Where the user's profiles live: ``$VPNCONSOLE_HOME`` or ``$XDG_CONFIG_HOME/vpnconsole``."""
    if home := os.environ.get("VPNCONSOLE_HOME"):
        return Path(home)
    xdg = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(xdg) / "vpnconsole"


def profile_dirs() -> list[Path]:
    """Search order for profiles by name: the user's config dir, then ./profiles/."""
    return [config_home() / "profiles", Path.cwd() / "profiles"]


def find_profile(name_or_path: str) -> Path:
    """Resolve a lab name or a path to a profile file."""
    candidate = Path(os.path.expanduser(name_or_path))
    if candidate.suffix in (".yaml", ".yml") or os.sep in name_or_path or candidate.is_file():
        if candidate.is_file():
            return candidate
        raise ProfileNotFound(f"no profile file at {candidate}")
    if not NAME_RE.match(name_or_path):
        raise ProfileNotFound(f"{name_or_path!r} is not a lab name (a-z, 0-9, '-') nor a path to a .yaml file")
    for folder in profile_dirs():
        for suffix in (".yaml", ".yml"):
            path = folder / f"{name_or_path}{suffix}"
            if path.is_file():
                return path
    searched = ", ".join(str(d) for d in profile_dirs())
    raise ProfileNotFound(f"no profile named {name_or_path!r} (searched {searched})")


@dataclass(frozen=True)
class ProfileEntry:
    name: str
    path: Path
    shadowed: bool  # a profile of the same name earlier in the search order wins


def list_profiles() -> list[ProfileEntry]:
    seen: set[str] = set()
    out: list[ProfileEntry] = []
    for folder in profile_dirs():
        if not folder.is_dir():
            continue
        for path in sorted(folder.iterdir()):
            if path.suffix not in (".yaml", ".yml") or not path.is_file() or not NAME_RE.match(path.stem):
                continue
            out.append(ProfileEntry(path.stem, path, path.stem in seen))
            seen.add(path.stem)
    return out


def dump_profile(profile: Profile) -> str:
    header = "# vpnconsole lab profile (secrets live in the keyring, never here)\n"
    return header + yaml.safe_dump(profile.to_dict(), sort_keys=False, allow_unicode=True, width=100)


def save_profile(profile: Profile, path: Path | None = None) -> Path:
    """Write atomically (temp file + fsync + rename); the previous version is kept as ``NAME.yaml.bak``.

    The text is validated before it replaces anything, so a save can never leave a broken profile.
    """
    target = Path(path or profile.path or (config_home() / "profiles" / f"{profile.name}.yaml"))
    text = dump_profile(profile)
    parse_profile(text, source=str(target))  # refuse to write what we could not read back
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        if target.exists():
            # Copy, not rename: the target must exist at every instant for concurrent readers.
            shutil.copy2(target, target.with_name(target.name + ".bak"))
        os.replace(tmp, target)
        _fsync_dir(target.parent)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    profile.path = target
    return target


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)

