"""Configuration tree and runtime tables of the simulated H3C.

Everything the CLI can configure lives in :class:`Config` (deep-copyable: ``save force`` copies the
running config to the saved one, a reboot copies it back). Runtime state that is *not*
configuration (IKE/IPsec SAs, the log buffer) lives in :class:`Runtime`.

Names of keychains, profiles, transform sets, policies... are case-insensitive on Comware
(reference §1.1): dictionaries are keyed by ``name.lower()`` and each object keeps the spelling used
at creation for display. Dicts preserve creation order, which is the order used when rendering named
objects; numbered objects (ACLs, IKE proposals) render in numeric order.

Pre-shared keys are stored only in the device's reversible ``$c$3$`` cipher form
(:func:`encrypt_psk` / :func:`decrypt_psk`), so a configuration dump can never contain the
plaintext; the negotiation code decrypts on demand. Ciphertext produced by another device (or
garbage) cannot be decrypted and simply behaves as an unknown key.
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass, field
from typing import Optional

# --------------------------------------------------------------------------------------------
# PSK cipher ($c$3$...)
# --------------------------------------------------------------------------------------------

_MAGIC = b"H3CSIM"


def _keystream(secret: bytes, salt: bytes, n: int) -> bytes:
    out = b""
    counter = 0
    while len(out) < n:
        out += hashlib.sha256(secret + salt + counter.to_bytes(4, "big")).digest()
        counter += 1
    return out[:n]


def encrypt_psk(plain: str, secret: bytes, salt: bytes | None = None) -> str:
    """Comware-looking ``$c$3$<base64>`` ciphertext; a fresh salt each time (like the device)."""
    salt = salt if salt is not None else os.urandom(8)
    data = _MAGIC + plain.encode("utf-8")
    ks = _keystream(secret, salt, len(data))
    body = salt + bytes(a ^ b for a, b in zip(data, ks))
    return "$c$3$" + base64.b64encode(body).decode("ascii")


def decrypt_psk(cipher: str, secret: bytes) -> Optional[str]:
    if not cipher.startswith("$c$3$"):
        return None
    try:
        body = base64.b64decode(cipher[5:].encode("ascii"), validate=True)
    except Exception:
        return None
    if len(body) < 8 + len(_MAGIC):
        return None
    salt, enc = body[:8], body[8:]
    data = bytes(a ^ b for a, b in zip(enc, _keystream(secret, salt, len(enc))))
    if not data.startswith(_MAGIC):
        return None
    try:
        return data[len(_MAGIC):].decode("utf-8")
    except UnicodeDecodeError:
        return None


def looks_like_cipher(text: str) -> bool:
    return text.startswith("$c$3$") and len(text) > 8


# --------------------------------------------------------------------------------------------
# Configuration objects
# --------------------------------------------------------------------------------------------

@dataclass
class AclRule:
    id: int
    action: str  # permit | deny
    protocol: str = "ip"  # advanced ACLs: ip | tcp | udp | icmp | <number>; basic ACLs: ""
    source: Optional[tuple[str, str]] = None  # (address, wildcard); None = any / not given
    source_any: bool = False
    destination: Optional[tuple[str, str]] = None
    destination_any: bool = False
    comment: Optional[str] = None
    hits: int = 0


@dataclass
class Acl:
    number: int
    kind: str  # basic | advanced
    name: Optional[str] = None
    description: Optional[str] = None
    rules: dict[int, AclRule] = field(default_factory=dict)
    legacy_syntax: bool = False  # created with "acl number N" (V5 / early V7 rendering)
    step: int = 5

    def ordered_rules(self) -> list[AclRule]:
        return [self.rules[k] for k in sorted(self.rules)]

    def next_rule_id(self) -> int:
        if not self.rules:
            return 0
        return (max(self.rules) // self.step + 1) * self.step


@dataclass
class IkeProposal:
    number: int
    description: Optional[str] = None
    encryption: str = "des-cbc"
    authentication: str = "sha1"
    method: str = "pre-share"
    dh: str = "group1"
    duration: int = 86400


@dataclass
class KeychainKey:
    address: Optional[str]  # peer address (None for hostname keys)
    plen: int = 32
    hostname: Optional[str] = None
    cipher: str = ""


@dataclass
class IkeKeychain:
    name: str
    keys: list[KeychainKey] = field(default_factory=list)
    match_local_address: Optional[str] = None
    description: Optional[str] = None


@dataclass
class Dpd:
    interval: int
    retry: Optional[int]  # None -> default 5
    mode: str  # periodic | on-demand


@dataclass
class RemoteIdentity:
    type: str  # address | address-range | fqdn | user-fqdn
    value: str
    plen: int = 32
    high: Optional[str] = None  # for address range


@dataclass
class IkeProfile:
    name: str
    keychains: list[str] = field(default_factory=list)
    exchange_mode: str = "main"
    local_identity: Optional[tuple[str, str]] = None  # (address|fqdn|user-fqdn|dn, value)
    match_remote: list[RemoteIdentity] = field(default_factory=list)
    proposals: list[int] = field(default_factory=list)
    dpd: Optional[Dpd] = None
    match_local_address: Optional[str] = None
    priority: Optional[int] = None
    description: Optional[str] = None


@dataclass
class TransformSet:
    name: str
    protocol: str = "esp"
    encapsulation: str = "tunnel"
    esp_encryption: list[str] = field(default_factory=list)
    esp_authentication: list[str] = field(default_factory=list)
    ah_authentication: list[str] = field(default_factory=list)
    pfs: Optional[str] = None  # dh-group14 ...
    esn: bool = False

    def complete(self) -> bool:
        if self.protocol in ("esp", "ah-esp"):
            if not self.esp_encryption or not self.esp_authentication:
                # ESP needs both (V7 has no defaults; "null" counts as an encryption choice)
                return False
        if self.protocol in ("ah", "ah-esp") and not self.ah_authentication:
            return False
        return True


@dataclass
class IpsecPolicyEntry:
    name: str
    seq: int
    mode: str = "isakmp"  # isakmp | manual
    description: Optional[str] = None
    acl: Optional[int] = None
    acl_mode: str = "standard"  # standard | aggregation | per-host
    transform_sets: list[str] = field(default_factory=list)
    remote_address: Optional[str] = None
    local_address: Optional[str] = None
    ike_profile: Optional[str] = None
    ikev2_profile: Optional[str] = None
    sa_time: Optional[int] = None
    sa_traffic: Optional[int] = None
    sa_idle: Optional[int] = None
    qos_pre_classify: bool = False
    reverse_route: bool = False
    # V5 only
    ike_peer: Optional[str] = None
    proposals: list[str] = field(default_factory=list)
    pfs: Optional[str] = None


@dataclass
class NatOutbound:
    acl: Optional[int] = None
    address_group: Optional[int] = None


@dataclass
class Interface:
    name: str
    physical: bool = True
    ip: Optional[tuple[str, int]] = None
    description: Optional[str] = None
    shutdown: bool = False
    nat_outbound: list[NatOutbound] = field(default_factory=list)
    ipsec_policy: Optional[str] = None  # V7 "ipsec apply policy" / V5 "ipsec policy"


@dataclass
class StaticRoute:
    dest: str
    plen: int
    nexthop: Optional[str] = None
    interface: Optional[str] = None
    preference: int = 60
    tag: int = 0
    description: Optional[str] = None

    def key(self) -> tuple:
        return (self.dest, self.plen, self.interface or "", self.nexthop or "")


@dataclass
class Ikev2Proposal:
    name: str
    encryption: list[str] = field(default_factory=list)
    integrity: list[str] = field(default_factory=list)
    prf: list[str] = field(default_factory=list)
    dh: list[str] = field(default_factory=list)


@dataclass
class Ikev2Policy:
    name: str
    proposals: list[str] = field(default_factory=list)
    priority: Optional[int] = None
    match_local_address: Optional[str] = None


@dataclass
class Ikev2Peer:
    name: str
    address: Optional[tuple[str, int]] = None
    hostname: Optional[str] = None
    identity: Optional[tuple[str, str]] = None  # (address|fqdn, value)
    psk_cipher: Optional[str] = None


@dataclass
class Ikev2Keychain:
    name: str
    peers: dict[str, Ikev2Peer] = field(default_factory=dict)


@dataclass
class Ikev2Profile:
    name: str
    auth_local: Optional[str] = None
    auth_remote: Optional[str] = None
    keychain: Optional[str] = None
    identity_local: Optional[tuple[str, str]] = None
    match_remote: list[RemoteIdentity] = field(default_factory=list)
    sa_duration: Optional[int] = None
    dpd: Optional[Dpd] = None


# V5 objects ----------------------------------------------------------------------------------

@dataclass
class IkePeerV5:
    name: str
    exchange_mode: str = "main"
    proposals: list[int] = field(default_factory=list)
    psk_cipher: Optional[str] = None
    remote_address: Optional[str] = None
    local_address: Optional[str] = None
    id_type: str = "ip"  # ip | name | user-fqdn
    remote_name: Optional[str] = None
    nat_traversal: bool = False
    dpd: Optional[str] = None


@dataclass
class IkeDpdV5:
    name: str
    interval_time: int = 10
    time_out: int = 5


@dataclass
class IpsecProposalV5:
    name: str
    transform: str = "esp"
    encapsulation: str = "tunnel"
    esp_encryption: str = "des-cbc"
    esp_authentication: str = "md5"


@dataclass
class Config:
    sysname: str = "H3C"
    acls: dict[int, Acl] = field(default_factory=dict)
    ike_proposals: dict[int, IkeProposal] = field(default_factory=dict)
    ike_keychains: dict[str, IkeKeychain] = field(default_factory=dict)
    ike_profiles: dict[str, IkeProfile] = field(default_factory=dict)
    transform_sets: dict[str, TransformSet] = field(default_factory=dict)
    ipsec_policies: dict[tuple[str, int], IpsecPolicyEntry] = field(default_factory=dict)
    interfaces: dict[str, Interface] = field(default_factory=dict)
    routes: list[StaticRoute] = field(default_factory=list)
    ikev2_proposals: dict[str, Ikev2Proposal] = field(default_factory=dict)
    ikev2_policies: dict[str, Ikev2Policy] = field(default_factory=dict)
    ikev2_keychains: dict[str, Ikev2Keychain] = field(default_factory=dict)
    ikev2_profiles: dict[str, Ikev2Profile] = field(default_factory=dict)
    ike_peers: dict[str, IkePeerV5] = field(default_factory=dict)
    ike_dpds: dict[str, IkeDpdV5] = field(default_factory=dict)
    ipsec_proposals: dict[str, IpsecProposalV5] = field(default_factory=dict)
    # globals
    ike_identity: Optional[tuple[str, str]] = None
    ike_nat_keepalive: Optional[int] = None
    ike_dpd: Optional[Dpd] = None
    ike_local_name: Optional[str] = None  # V5
    ipsec_global_time: int = 3600
    ipsec_global_traffic: int = 1843200
    ssh_server_enable: bool = True
    local_users: list[tuple[str, str]] = field(default_factory=list)  # (name, hash)

    # -- lookups ---------------------------------------------------------------------------
    def policy_entries(self, name: str) -> list[IpsecPolicyEntry]:
        low = name.lower()
        return sorted((e for (n, _), e in self.ipsec_policies.items() if n == low), key=lambda e: e.seq)

    def policy_names(self) -> list[str]:
        seen: dict[str, str] = {}
        for (low, _), e in self.ipsec_policies.items():
            seen.setdefault(low, e.name)
        return list(seen.values())

    def interfaces_with_policy(self, name: str) -> list[Interface]:
        return [i for i in self.interfaces.values()
                if i.ipsec_policy and i.ipsec_policy.lower() == name.lower()]


# --------------------------------------------------------------------------------------------
# Runtime (not configuration)
# --------------------------------------------------------------------------------------------

@dataclass
class IkeSa:
    conn_id: int
    version: str  # ikev1 | ikev2
    local_ip: str
    remote_ip: str
    flag: str  # RD | Unknown
    profile: Optional[str]
    created: float
    lifetime: int
    role: str = "Initiator"
    initiator_cookie: str = ""
    responder_cookie: str = ""
    local_id: tuple[str, str] = ("IPV4_ADDR", "")
    remote_id: tuple[str, str] = ("IPV4_ADDR", "")
    method: str = "pre-share"
    authentication: str = "sha1"
    encryption: str = "des-cbc"
    dh: str = "group1"
    exchange_mode: str = "Main"
    nat_detected: bool = False
    expires: Optional[float] = None  # for Unknown rows: when the row vanishes
    dpd: Optional[Dpd] = None
    last_dpd: float = 0.0
    phase2_conn_id: Optional[int] = None  # V5 display: the phase-2 row


@dataclass
class IpsecSa:
    tunnel_id: int
    interface: str
    policy: str
    seq: int
    local_ip: str
    remote_ip: str
    flow_src: tuple[str, str]  # (network, mask)
    flow_dst: tuple[str, str]
    in_spi: int
    out_spi: int
    in_conn: int
    out_conn: int
    encryption: str
    authentication: str
    pfs: Optional[str]
    lifetime_s: int
    lifetime_kb: int
    created: float
    ike_conn_id: int
    version: str = "ikev1"
    nat_t: bool = False
    in_seq: int = 0
    out_seq: int = 0
    in_bytes: int = 0
    out_bytes: int = 0
    protocol: str = "ip"
    role: str = "Initiator"  # Responder: installed by Engine.install_responder (peer-initiated)


@dataclass
class CommitDelay:
    """A running V7 timed rollback (``configuration commit delay MINUTES``, reference §1.4 / §6.7):
    ``snapshot`` is the running configuration from before the command; it is restored when the
    device clock reaches ``deadline`` unless ``configuration commit`` comes first."""

    minutes: int
    started: float
    deadline: float
    snapshot: "Config"


@dataclass
class Runtime:
    ike_sas: list[IkeSa] = field(default_factory=list)
    ipsec_sas: list[IpsecSa] = field(default_factory=list)
    logbuffer: list[str] = field(default_factory=list)
    commit_delay: Optional[CommitDelay] = None  # lost on reboot, like the real timer
    next_conn_id: int = 1
    next_tunnel_id: int = 0
    next_ipsec_conn: int = 4294967296
