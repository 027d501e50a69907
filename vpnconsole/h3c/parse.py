"""Comware configuration text → objects → the canonical :class:`~vpnconsole.params.VpnParams`.  Pure.

Reads two shapes of text with one interpreter:

* ``display current-configuration`` (``h3c-comware-ipsec.md`` §4.2 point 5, §5.9): ``#``-separated
  blocks, a column-0 line opens a block, its sub-commands are indented one space (nested views two),
  V7 prints global one-liners (`` ip route-static …``, `` sysname …``) indented inside their own ``#``
  block, ``return`` ends the text, defaults are omitted and PSKs show only as ``key cipher $c$3$…``;
* a command script as :mod:`vpnconsole.h3c.render` writes it (``system-view``, ``quit``, ``return``,
  ``save force``, sub-commands indented or not, ``key simple <psk>``, ``undo …`` lines), so a pure
  round trip works without a device.

Every object is kept — ours and foreign, known kinds typed and anything else as a generic
:class:`Block` — and each carries ``ours`` (the :func:`vpnconsole.h3c.naming.is_ours` verdict for the
lab).  Nothing here raises on bad text: what cannot be read becomes a :class:`ParseWarning`.

:func:`to_params` then follows the references from the lab's policy (or the policy applied on the
WAN) to the ACL, transform set / IPsec proposal, IKE profile / peer, IKE proposal and keychain, and
returns the canonical parameters; fields the configuration does not say are ``None``.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar, Iterable

from vpnconsole import algorithms as alg
from vpnconsole.algorithms import Dialect, Kind
from vpnconsole.h3c import naming
from vpnconsole.params import IkeParams, IpsecParams, TunnelParams, VpnParams, canonical_subnets, psk_fingerprint
from vpnconsole.redact import MASK, Secret

__all__ = ["parse_config", "to_params", "to_params_report", "wildcard_network", "H3CConfig", "ParseWarning",
           "Block", "Acl",
           "AclRule", "IkeProposal", "IkeKeychain", "KeychainKey", "IkeProfile", "Dpd", "TransformSet",
           "IpsecPolicy", "Interface", "StaticRoute", "Ikev2Proposal", "Ikev2Policy", "Ikev2Keychain",
           "Ikev2Peer", "Ikev2Profile", "IkePeer", "IkeDpd", "IpsecProposal"]

# Comware defaults used when `display current-configuration` omits a line (§1.3, §2).
V7_IKE_DEFAULTS = {"encryption": "des-cbc", "authentication": "sha", "dh": "group1", "duration": 86400}
V5_ESP_DEFAULTS = {"encryption": "des", "authentication": "md5"}
IKEV2_SA_DURATION_DEFAULT = 86400
IPSEC_GLOBAL_DURATION_DEFAULT = 3600  # `ipsec sa global-duration time-based` default


# --- objects -----------------------------------------------------------------------------------------

@dataclass
class ParseWarning:
    line: int  # 1-based line of the text; 0 for warnings about references (to_params)
    message: str
    text: str = ""  # the offending line, with anything secret masked

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line else ""
        return f"{where}{self.message}" + (f" ({self.text!r})" if self.text else "")


@dataclass
class Block:
    """Any block this module does not model (kept verbatim, never ours)."""

    kind: ClassVar[str] = "block"
    header: str
    lines: list[str] = field(default_factory=list)
    line_no: int = 0
    ours: bool = False


@dataclass
class AclRule:
    kind: ClassVar[str] = "acl-rule"
    id: int
    action: str | None = None  # permit | deny (None: only a comment was seen)
    protocol: str | None = None
    source: str | None = None  # CIDR ("0.0.0.0/0" for any); None when absent or unreadable
    destination: str | None = None
    comment: str | None = None
    text: str = ""
    ours: bool = False


@dataclass
class Acl:
    kind: ClassVar[str] = "acl"
    number: int | None
    name: str | None = None
    family: str = "advanced"  # advanced | basic | other
    description: str | None = None
    rules: dict[int, AclRule] = field(default_factory=dict)
    extra: list[str] = field(default_factory=list)
    line_no: int = 0
    ours: bool = False


@dataclass
class IkeProposal:
    kind: ClassVar[str] = "ike-proposal"
    number: int
    description: str | None = None
    encryption: str | None = None  # device spelling, e.g. "aes-cbc-128" (V5 "aes-cbc 128")
    authentication: str | None = None  # "sha" = SHA-1
    auth_method: str | None = None
    dh: str | None = None
    duration: int | None = None
    extra: list[str] = field(default_factory=list)
    line_no: int = 0
    ours: bool = False


@dataclass
class KeychainKey:
    address: str | None = None
    mask: str | None = None  # as written (netmask or length)
    hostname: str | None = None
    secret: Secret | None = None  # from `key simple` (masked in repr)
    cipher: str | None = None  # from `key cipher`

    def matches(self, ip: str | None) -> bool:
        if ip is None or self.address is None:
            return False
        try:
            net = ipaddress.IPv4Network(f"{self.address}/{self.mask or 32}", strict=False)
            return ipaddress.IPv4Address(ip) in net
        except ValueError:
            return self.address == ip


@dataclass
class IkeKeychain:
    kind: ClassVar[str] = "ike-keychain"
    name: str
    keys: list[KeychainKey] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    line_no: int = 0
    ours: bool = False


@dataclass
class Dpd:
    interval: int
    retry: int | None = None
    mode: str | None = None  # periodic | on-demand


@dataclass
class IkeProfile:
    kind: ClassVar[str] = "ike-profile"
    name: str
    keychains: list[str] = field(default_factory=list)
    exchange_mode: str | None = None
    local_identity: tuple[str, str] | None = None  # ("address", ip) | ("fqdn", name) …
    match_remote: list[tuple[str, str, str | None]] = field(default_factory=list)  # (type, value, mask)
    proposals: list[int] = field(default_factory=list)
    dpd: Dpd | None = None
    description: str | None = None
    extra: list[str] = field(default_factory=list)
    line_no: int = 0
    ours: bool = False


@dataclass
class TransformSet:
    kind: ClassVar[str] = "transform-set"
    name: str
    protocol: str | None = None
    encapsulation: str | None = None
    esp_encryption: list[str] = field(default_factory=list)
    esp_authentication: list[str] = field(default_factory=list)
    pfs: str | None = None  # "dh-group2"
    extra: list[str] = field(default_factory=list)
    line_no: int = 0
    ours: bool = False


@dataclass
class IpsecPolicy:
    """One entry ``ipsec policy NAME SEQ isakmp`` (V7 and V5 alike)."""

    kind: ClassVar[str] = "ipsec-policy"
    name: str
    seq: int
    mode: str | None = None  # isakmp | manual
    template: str | None = None
    description: str | None = None
    acl: int | str | None = None  # number, or "name:X"
    transform_sets: list[str] = field(default_factory=list)
    remote_address: str | None = None
    local_address: str | None = None
    ike_profile: str | None = None
    ikev2_profile: str | None = None
    sa_time: int | None = None
    sa_traffic: int | None = None
    ike_peer: str | None = None  # V5
    proposals: list[str] = field(default_factory=list)  # V5 `proposal NAME`
    pfs: str | None = None  # V5
    extra: list[str] = field(default_factory=list)
    line_no: int = 0
    ours: bool = False


@dataclass
class Interface:
    kind: ClassVar[str] = "interface"
    name: str
    addresses: list[tuple[str, str]] = field(default_factory=list)  # (ip, mask as written)
    nat_outbound: list[str] = field(default_factory=list)  # the text after `nat outbound`
    applied_policy: str | None = None
    applied_form: str | None = None  # "apply" (V7 `ipsec apply policy`) | "v5" (`ipsec policy`)
    description: str | None = None
    extra: list[str] = field(default_factory=list)
    line_no: int = 0
    ours: bool = False  # our policy is applied here

    @property
    def nat_acls(self) -> list[int]:
        out = []
        for text in self.nat_outbound:
            first = text.split()[0] if text.split() else ""
            if first.isdigit():
                out.append(int(first))
        return out

    @property
    def primary_ip(self) -> str | None:
        for ip, rest in self.addresses:
            if "sub" not in rest.split():
                return ip
        return None


@dataclass
class StaticRoute:
    kind: ClassVar[str] = "route"
    destination: str
    length: int
    next_hop: str | None = None
    interface: str | None = None
    description: str | None = None
    preference: int | None = None
    vpn_instance: str | None = None
    text: str = ""
    line_no: int = 0
    ours: bool = False

    @property
    def network(self) -> str:
        return f"{self.destination}/{self.length}"


@dataclass
class Ikev2Proposal:
    kind: ClassVar[str] = "ikev2-proposal"
    name: str
    encryption: list[str] = field(default_factory=list)
    integrity: list[str] = field(default_factory=list)
    prf: list[str] = field(default_factory=list)
    dh: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    line_no: int = 0
    ours: bool = False


@dataclass
class Ikev2Policy:
    kind: ClassVar[str] = "ikev2-policy"
    name: str
    proposals: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    line_no: int = 0
    ours: bool = False


@dataclass
class Ikev2Peer:
    kind: ClassVar[str] = "ikev2-peer"
    name: str
    address: str | None = None
    mask: str | None = None
    hostname: str | None = None
    identity: tuple[str, str] | None = None
    secret: Secret | None = None  # `pre-shared-key plaintext`
    cipher: str | None = None  # `pre-shared-key ciphertext`
    extra: list[str] = field(default_factory=list)
    ours: bool = False

    def matches(self, ip: str | None) -> bool:
        return KeychainKey(self.address, self.mask).matches(ip) or (
            ip is not None and self.identity == ("address", ip))


@dataclass
class Ikev2Keychain:
    kind: ClassVar[str] = "ikev2-keychain"
    name: str
    peers: dict[str, Ikev2Peer] = field(default_factory=dict)  # key: upper-case name
    extra: list[str] = field(default_factory=list)
    line_no: int = 0
    ours: bool = False


@dataclass
class Ikev2Profile:
    kind: ClassVar[str] = "ikev2-profile"
    name: str
    auth_local: str | None = None
    auth_remote: str | None = None
    keychains: list[str] = field(default_factory=list)
    identity_local: tuple[str, str] | None = None
    match_remote: list[tuple[str, str, str | None]] = field(default_factory=list)
    sa_duration: int | None = None
    dpd: Dpd | None = None
    extra: list[str] = field(default_factory=list)
    line_no: int = 0
    ours: bool = False


@dataclass
class IkePeer:
    """Comware V5 ``ike peer``."""

    kind: ClassVar[str] = "ike-peer"
    name: str
    exchange_mode: str | None = None
    proposals: list[int] = field(default_factory=list)
    secret: Secret | None = None
    cipher: str | None = None
    remote_address: str | None = None
    local_address: str | None = None
    id_type: str | None = None
    remote_name: str | None = None
    nat_traversal: bool = False
    dpd: str | None = None
    extra: list[str] = field(default_factory=list)
    line_no: int = 0
    ours: bool = False


@dataclass
class IkeDpd:
    """Comware V5 ``ike dpd``."""

    kind: ClassVar[str] = "ike-dpd"
    name: str
    interval: int | None = None
    timeout: int | None = None
    extra: list[str] = field(default_factory=list)
    line_no: int = 0
    ours: bool = False


@dataclass
class IpsecProposal:
    """Comware V5 ``ipsec proposal``."""

    kind: ClassVar[str] = "ipsec-proposal"
    name: str
    transform: str | None = None
    encapsulation: str | None = None
    esp_encryption: str | None = None  # "aes 128"
    esp_authentication: str | None = None
    extra: list[str] = field(default_factory=list)
    line_no: int = 0
    ours: bool = False


@dataclass
class H3CConfig:
    platform: str
    lab: str | None = None
    sysname: str | None = None
    version: str | None = None
    acls: dict[int | str, Acl] = field(default_factory=dict)  # number, or "NAME:X"
    ike_proposals: dict[int, IkeProposal] = field(default_factory=dict)
    ike_keychains: dict[str, IkeKeychain] = field(default_factory=dict)  # keys: upper-case names
    ike_profiles: dict[str, IkeProfile] = field(default_factory=dict)
    transform_sets: dict[str, TransformSet] = field(default_factory=dict)
    policies: dict[tuple[str, int], IpsecPolicy] = field(default_factory=dict)  # (NAME, seq)
    interfaces: dict[str, Interface] = field(default_factory=dict)
    routes: list[StaticRoute] = field(default_factory=list)
    ikev2_proposals: dict[str, Ikev2Proposal] = field(default_factory=dict)
    ikev2_policies: dict[str, Ikev2Policy] = field(default_factory=dict)
    ikev2_keychains: dict[str, Ikev2Keychain] = field(default_factory=dict)
    ikev2_profiles: dict[str, Ikev2Profile] = field(default_factory=dict)
    ike_peers: dict[str, IkePeer] = field(default_factory=dict)
    ike_dpds: dict[str, IkeDpd] = field(default_factory=dict)
    ipsec_proposals: dict[str, IpsecProposal] = field(default_factory=dict)
    ipsec_global_duration: int | None = None
    globals: list[str] = field(default_factory=list)  # global one-liners not modelled
    blocks: list[Block] = field(default_factory=list)  # blocks not modelled (foreign by definition)
    warnings: list[ParseWarning] = field(default_factory=list)
    complete: bool = False  # display text: ended with `return`; script: always True

    # lookups (Comware names are case-insensitive)
    def acl(self, ref: int | str | None) -> Acl | None:
        if ref is None:
            return None
        return self.acls.get(ref if isinstance(ref, int) else ref.upper())

    def interface(self, name: str | None) -> Interface | None:
        return self.interfaces.get(_iface_key(name)) if name else None

    def policy_entries(self, name: str | None) -> list[IpsecPolicy]:
        if not name:
            return []
        return [p for (n, _), p in sorted(self.policies.items()) if n == name.upper()]

    def all_objects(self) -> Iterable[Any]:
        yield from self.acls.values()
        for acl in self.acls.values():
            yield from acl.rules.values()
        for table in (self.ike_proposals, self.ike_keychains, self.ike_profiles, self.transform_sets,
                      self.policies, self.interfaces, self.ikev2_proposals, self.ikev2_policies,
                      self.ikev2_keychains, self.ikev2_profiles, self.ike_peers, self.ike_dpds,
                      self.ipsec_proposals):
            yield from table.values()
        yield from self.routes
        yield from self.blocks

    def owned(self, lab: str | None = None) -> list[Any]:
        """Every object the lab owns (ownership re-checked, so any lab can be asked)."""
        lab = lab or self.lab
        if lab is None:
            return []
        return [o for o in self.all_objects() if naming.is_ours(o, lab, platform=self.platform, config=self)]


# --- helpers -----------------------------------------------------------------------------------------

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_MORE = re.compile(r"\s*-{2,}\s*More\s*-{2,}\s*")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_PROMPT = re.compile(r"^(<[^<>\s]+>|\[[^\[\]\s]+\])(.*)$")
_SECRET_WORDS = re.compile(r"(?i)\b(simple|plaintext|cipher|ciphertext|password|pre-shared-key)\b\s+\S.*$")


def _mask_line(text: str) -> str:
    return _SECRET_WORDS.sub(lambda m: f"{m.group(1)} {MASK}", text)


def _iface_key(name: str | None) -> str:
    if not name:
        return ""
    from vpnconsole.profile import canonical_interface

    return (canonical_interface(name) or name).upper()


def _ip(text: str | None) -> str | None:
    if text is None:
        return None
    try:
        return str(ipaddress.IPv4Address(text))
    except ValueError:
        return None


def _int(text: str | None) -> int | None:
    if text is None or not text.isdigit():
        return None
    return int(text)


def _mask_len(text: str) -> int | None:
    """``255.255.0.0`` or ``16`` → 16; None if neither."""
    if text.isdigit():
        n = int(text)
        return n if 0 <= n <= 32 else None
    try:
        return ipaddress.IPv4Network(f"0.0.0.0/{text}").prefixlen
    except ValueError:
        return None


def wildcard_network(address: str, wildcard: str) -> str | None:
    """``192.168.10.0 0.0.0.255`` → ``192.168.10.0/24``; ``10.0.0.5 0`` (how Comware shows a host) →
    ``10.0.0.5/32``; None for a non-contiguous wildcard."""
    try:
        addr = ipaddress.IPv4Address(address)
        wild = 0 if wildcard == "0" else int(ipaddress.IPv4Address(wildcard))
    except ValueError:
        return None
    if wild & (wild + 1):
        return None
    prefix = 32 - wild.bit_length()
    return str(ipaddress.IPv4Network(f"{addr}/{prefix}", strict=False))


def _rest(text: str, n: int) -> str:
    """The text after the first ``n`` words (original spacing inside preserved)."""
    parts = text.split(None, n)
    return parts[n].strip() if len(parts) > n else ""


def _identity(tokens: list[str]) -> tuple[str, str] | None:
    """``address 1.2.3.4`` / ``fqdn name`` / ``user-fqdn x`` / ``dn`` → (type, value)."""
    if not tokens:
        return None
    kind = tokens[0].lower()
    if kind == "address":
        rest = [t for t in tokens[1:] if t.lower() != "ipv6"]
        return ("address", rest[0]) if rest else None
    if kind in ("fqdn", "user-fqdn", "key-id"):
        return (kind, tokens[1] if len(tokens) > 1 else "")
    return (kind, " ".join(tokens[1:]))


def _match_remote(tokens: list[str]) -> tuple[str, str, str | None] | None:
    """After ``match remote identity``: ``address IP [MASK|LEN]`` / ``address range L H`` / ``fqdn X``."""
    if not tokens:
        return None
    kind = tokens[0].lower()
    if kind == "address":
        rest = [t for t in tokens[1:] if t.lower() != "ipv6"]
        if rest and rest[0].lower() == "range":
            return ("range", " ".join(rest[1:3]), None)
        if not rest:
            return None
        return ("address", rest[0], rest[1] if len(rest) > 1 else None)
    return (kind, " ".join(tokens[1:]), None)


def _dpd(tokens: list[str]) -> Dpd | None:
    """After ``dpd``: ``interval N [retry M] {periodic|on-demand}``."""
    if len(tokens) < 2 or tokens[0].lower() != "interval" or not tokens[1].isdigit():
        return None
    d = Dpd(int(tokens[1]))
    rest = [t.lower() for t in tokens[2:]]
    if "retry" in rest:
        i = rest.index("retry")
        d.retry = _int(rest[i + 1]) if i + 1 < len(rest) else None
    for mode in ("periodic", "on-demand"):
        if mode in rest:
            d.mode = mode
    return d


# --- the interpreter -----------------------------------------------------------------------------------

@dataclass
class _Frame:
    kind: str  # "system" or the object kind ("acl", "ike-profile", …, "block")
    obj: Any
    indent: int
    parent_obj: Any = None


class _Unknown(Exception):
    """A sub-command this module does not model: kept in the object's ``extra``."""


class _Bad(Exception):
    """A known command with unreadable arguments: becomes a warning."""


class _Parser:
    def __init__(self, text: str, lab: str | None, platform: str):
        self.config = H3CConfig(platform=platform, lab=lab)
        self.text = text
        self.stack: list[_Frame] = [_Frame("system", None, -1)]
        self.display = True
        self.returned = False
        self.line_no = 0

    # warnings
    def warn(self, message: str, text: str = "", line: int | None = None) -> None:
        self.config.warnings.append(ParseWarning(self.line_no if line is None else line, message, _mask_line(text)))

    # main loop
    def run(self) -> H3CConfig:
        lines = self.text.split("\n")
        stripped = [ln.strip().lower() for ln in lines]
        self.display = not any(s in ("system-view", "quit") for s in stripped)
        saw_content = False
        for no, raw in enumerate(lines, start=1):
            self.line_no = no
            line = _MORE.sub("", _ANSI.sub("", raw.replace("\r", ""))).expandtabs(1)
            if _CONTROL.search(line):
                self.warn("control characters removed", line)
                line = _CONTROL.sub("", line)
            if not line.strip():
                continue
            try:
                if self.line(line):
                    saw_content = True
            except Exception as exc:  # never a traceback out of the parser
                self.warn(f"line not understood ({type(exc).__name__})", line)
        if self.display:
            self.config.complete = self.returned
            if saw_content and not self.returned:
                self.warn("the configuration does not end with `return`: it looks truncated", line=0)
        else:
            self.config.complete = True
        return self.config

    def line(self, line: str) -> bool:
        ind = len(line) - len(line.lstrip(" "))
        text = line.strip()
        low = text.lower()
        m = _PROMPT.match(text)
        if m:  # an echoed prompt (`<MSR1>display current-configuration`) or a bare prompt
            return False
        if text.startswith("#"):
            self.stack = self.stack[:1]
            return True
        if text.startswith("%") or set(text) <= {"^", " "}:
            self.warn("device error message in the text", text)
            return False
        if self.returned and self.display:
            self.warn("text after `return` ignored", text)
            return False
        if low == "return":
            self.stack = self.stack[:1]
            self.returned = True
            return True
        if low == "quit":
            if len(self.stack) > 1:
                self.stack.pop()
            return True
        if low == "system-view":
            self.stack = self.stack[:1]
            return True
        if low == "save" or low.startswith("save "):
            return True
        if low.startswith("version ") and len(self.stack) == 1:
            self.config.version = text.split(None, 1)[1]
            return True
        self.dispatch(ind, text)
        return True

    def dispatch(self, ind: int, text: str) -> None:
        if self.display:
            while len(self.stack) > 1 and ind <= self.stack[-1].indent:
                self.stack.pop()
        tokens = text.split()
        while True:
            frame = self.stack[-1]
            if frame.kind == "system":
                self.system(ind, text, tokens)
                return
            if frame.kind == "block":
                frame.obj.lines.append(text)
                return
            try:
                handled = self.sub(frame, ind, text, tokens)
            except _Bad as exc:
                self.warn(str(exc) or "malformed command", text)
                return
            if handled:
                return
            if self.is_system_command(tokens):
                self.stack = self.stack[:1]
                continue
            if not self.display and ind <= frame.indent and len(self.stack) > 2:
                self.stack.pop()  # a nested view's unknown line at its parent's level: try the parent
                continue
            extra = getattr(frame.obj, "extra", None)
            if extra is not None:
                extra.append(text)
            return

    # -- system level

    def is_system_command(self, tokens: list[str]) -> bool:
        words = [t.lower() for t in tokens]
        if words and words[0] == "undo":
            words = words[1:]
        if not words:
            return False
        w0 = words[0]
        w1 = words[1] if len(words) > 1 else ""
        if w0 == "acl":
            return True
        if w0 == "interface":
            return len(words) > 1
        if w0 == "ip":
            return w1 == "route-static"
        if w0 == "ike":
            return w1 in ("proposal", "keychain", "profile", "peer", "dpd")
        if w0 == "ikev2":
            return w1 in ("proposal", "policy", "keychain", "profile")
        if w0 == "ipsec":
            if w1 in ("transform-set", "proposal", "policy-template", "profile"):
                return True
            if w1 == "policy":
                return len(words) > 3 and words[3].isdigit()
            if w1 == "sa":
                return True
        if w0 == "sysname":
            return True
        return False

    def system(self, ind: int, text: str, tokens: list[str]) -> None:
        words = [t.lower() for t in tokens]
        if words[0] == "undo":
            if not self.undo_system(tokens[1:], [w for w in words[1:]]):
                self.config.globals.append(text)
            return
        opened = self.open(ind, text, tokens, words)
        if opened:
            return
        if words[0] == "ip" and len(words) > 1 and words[1] == "route-static":
            self.route(text, tokens)
            return
        if words[0] == "sysname" and len(tokens) > 1:
            self.config.sysname = tokens[1]
            self.config.globals.append(text)
            return
        if words[:4] == ["ipsec", "sa", "global-duration", "time-based"] and len(words) > 4:
            if words[4].isdigit():
                self.config.ipsec_global_duration = int(words[4])
            else:
                self.warn("ipsec sa global-duration: not a number", text)
            self.config.globals.append(text)
            return
        if self.display and ind == 0:
            block = Block(text, [], self.line_no)
            self.config.blocks.append(block)
            self.stack.append(_Frame("block", block, 0))
            return
        self.config.globals.append(text)

    def push(self, kind: str, obj: Any, ind: int) -> None:
        self.stack.append(_Frame(kind, obj, ind))

    def open(self, ind: int, text: str, tokens: list[str], words: list[str]) -> bool:
        """Open (or re-enter) the object a view-entering command names."""
        c = self.config
        n = len(words)
        w1 = words[1] if n > 1 else ""
        if words[0] == "acl":
            acl = self.acl_header(text, tokens, words)
            if acl is None:
                return self.generic(ind, text)
            self.push("acl", acl, ind)
            return True
        if words[0] == "interface" and n > 1:
            name = tokens[1]
            key = _iface_key(name)
            obj = c.interfaces.get(key) or c.interfaces.setdefault(key, Interface(name, line_no=self.line_no))
            self.push("interface", obj, ind)
            return True
        if words[0] == "ike" and w1 == "proposal":
            number = _int(words[2]) if n > 2 else None
            if number is None or not 1 <= number <= 65535:
                self.warn("ike proposal: the number must be 1–65535", text)
                return self.generic(ind, text)
            obj = c.ike_proposals.get(number) or c.ike_proposals.setdefault(
                number, IkeProposal(number, line_no=self.line_no))
            self.push("ike-proposal", obj, ind)
            return True
        named: dict[tuple[str, str], tuple[dict, Callable[[str], Any], str]] = {
            ("ike", "keychain"): (c.ike_keychains, lambda s: IkeKeychain(s, line_no=self.line_no), "ike-keychain"),
            ("ike", "profile"): (c.ike_profiles, lambda s: IkeProfile(s, line_no=self.line_no), "ike-profile"),
            ("ike", "peer"): (c.ike_peers, lambda s: IkePeer(s, line_no=self.line_no), "ike-peer"),
            ("ike", "dpd"): (c.ike_dpds, lambda s: IkeDpd(s, line_no=self.line_no), "ike-dpd"),
            ("ipsec", "transform-set"): (c.transform_sets, lambda s: TransformSet(s, line_no=self.line_no),
                                         "transform-set"),
            ("ipsec", "proposal"): (c.ipsec_proposals, lambda s: IpsecProposal(s, line_no=self.line_no),
                                    "ipsec-proposal"),
            ("ikev2", "proposal"): (c.ikev2_proposals, lambda s: Ikev2Proposal(s, line_no=self.line_no),
                                    "ikev2-proposal"),
            ("ikev2", "policy"): (c.ikev2_policies, lambda s: Ikev2Policy(s, line_no=self.line_no), "ikev2-policy"),
            ("ikev2", "keychain"): (c.ikev2_keychains, lambda s: Ikev2Keychain(s, line_no=self.line_no),
                                    "ikev2-keychain"),
            ("ikev2", "profile"): (c.ikev2_profiles, lambda s: Ikev2Profile(s, line_no=self.line_no),
                                   "ikev2-profile"),
        }
        spec = named.get((words[0], w1))
        if spec is not None:
            if n < 3:
                self.warn(f"{words[0]} {w1}: no name", text)
                return self.generic(ind, text)
            table, make, kind = spec
            name = tokens[2]
            obj = table.get(name.upper()) or table.setdefault(name.upper(), make(name))
            self.push(kind, obj, ind)
            return True
        if words[0] == "ipsec" and w1 == "policy" and n > 3 and words[3].isdigit():
            name, seq = tokens[2], int(words[3])
            key = (name.upper(), seq)
            obj = c.policies.get(key)
            if obj is None:
                obj = c.policies[key] = IpsecPolicy(name, seq, line_no=self.line_no)
            if n > 4:
                obj.mode = words[4]
            if n > 6 and words[5] == "template":
                obj.template = tokens[6]
            self.push("ipsec-policy", obj, ind)
            return True
        if words[0] == "ipsec" and w1 in ("policy-template", "profile"):
            return self.generic(ind, text)
        return False

    def generic(self, ind: int, text: str) -> bool:
        block = Block(text, [], self.line_no)
        self.config.blocks.append(block)
        self.push("block", block, ind)
        return True

    def acl_header(self, text: str, tokens: list[str], words: list[str]) -> Acl | None:
        rest = words[1:]
        family = None
        if rest and rest[0] in ("ipv6", "mac", "user", "ipv6-advanced"):
            return None
        if rest and rest[0] in ("advanced", "basic"):
            family = rest[0]
            rest = rest[1:]
        elif rest and rest[0] == "number":
            rest = rest[1:]
        number = None
        name = None
        if rest and rest[0].isdigit():
            number = int(rest[0])
            rest = rest[1:]
        if len(rest) >= 2 and rest[0] == "name":
            name = tokens[len(tokens) - len(rest) + 1]
        if number is None and name is None:
            self.warn("acl: neither a number nor a name", text)
            return None
        if number is not None and not 2000 <= number <= 5999:
            self.warn("acl: number out of range", text)
        if family is None:
            family = "advanced" if number is not None and 3000 <= number <= 3999 else (
                "basic" if number is not None and 2000 <= number <= 2999 else "other")
        key: int | str = number if number is not None else f"NAME:{name.upper()}"  # type: ignore[union-attr]
        acl = self.config.acls.get(key)
        if acl is None:
            acl = self.config.acls[key] = Acl(number, name, family, line_no=self.line_no)
        elif name and not acl.name:
            acl.name = name
        return acl

    def route(self, text: str, tokens: list[str], undo: bool = False) -> None:
        words = [t.lower() for t in tokens]
        i = 2
        vpn = None
        if len(words) > i + 1 and words[i] == "vpn-instance":
            vpn = tokens[i + 1]
            i += 2
        if len(tokens) < i + 2:
            self.warn("ip route-static: destination and mask missing", text)
            return
        dest = _ip(tokens[i])
        length = _mask_len(tokens[i + 1])
        if dest is None or length is None:
            self.warn("ip route-static: unreadable destination or mask", text)
            return
        i += 2
        next_hop = interface = None
        if i < len(tokens) and words[i] not in ("description", "preference", "tag", "permanent"):
            if _ip(tokens[i]):
                next_hop = tokens[i]
                i += 1
            else:
                interface = tokens[i]
                i += 1
                if i < len(tokens) and _ip(tokens[i]):
                    next_hop = tokens[i]
                    i += 1
        description = None
        preference = None
        m = re.search(r"(?i)\sdescription\s+(.*)$", text)
        if m:
            description = m.group(1).strip()
        if "preference" in words[i:]:
            j = words.index("preference", i)
            preference = _int(words[j + 1]) if j + 1 < len(words) else None
        if undo:
            self.config.routes = [
                r for r in self.config.routes
                if not (r.destination == dest and r.length == length and r.vpn_instance == vpn
                        and (next_hop is None or r.next_hop == next_hop)
                        and (interface is None or _iface_key(r.interface) == _iface_key(interface)))]
            return
        route = StaticRoute(dest, length, next_hop, interface, description, preference, vpn, text, self.line_no)
        # The same destination and next hop again replaces the route (its description may change).
        self.config.routes = [r for r in self.config.routes
                              if (r.destination, r.length, r.next_hop, _iface_key(r.interface), r.vpn_instance)
                              != (dest, length, next_hop, _iface_key(interface), vpn)]
        self.config.routes.append(route)

    def undo_system(self, tokens: list[str], words: list[str]) -> bool:
        c = self.config
        if not words:
            return False
        w1 = words[1] if len(words) > 1 else ""
        arg = tokens[2] if len(tokens) > 2 else None
        if words[0] == "acl":
            rest = [w for w in words[1:] if w not in ("advanced", "basic", "number")]
            if rest and rest[0].isdigit():
                c.acls.pop(int(rest[0]), None)
                return True
            if len(rest) > 1 and rest[0] == "name":
                c.acls.pop(f"NAME:{rest[1].upper()}", None)
                return True
            return False
        if words[0] == "ip" and w1 == "route-static":
            self.route("undo " + " ".join(tokens), ["ip", "route-static", *tokens[2:]], undo=True)
            return True
        if words[0] == "ike" and w1 == "proposal" and arg and arg.isdigit():
            c.ike_proposals.pop(int(arg), None)
            return True
        tables = {("ike", "keychain"): c.ike_keychains, ("ike", "profile"): c.ike_profiles,
                  ("ike", "peer"): c.ike_peers, ("ike", "dpd"): c.ike_dpds,
                  ("ipsec", "transform-set"): c.transform_sets, ("ipsec", "proposal"): c.ipsec_proposals,
                  ("ikev2", "proposal"): c.ikev2_proposals, ("ikev2", "policy"): c.ikev2_policies,
                  ("ikev2", "keychain"): c.ikev2_keychains, ("ikev2", "profile"): c.ikev2_profiles}
        table = tables.get((words[0], w1))
        if table is not None and arg:
            table.pop(arg.upper(), None)
            return True
        if words[0] == "ipsec" and w1 == "policy" and arg:
            seq = _int(words[3]) if len(words) > 3 else None
            for key in [k for k in c.policies if k[0] == arg.upper() and (seq is None or k[1] == seq)]:
                del c.policies[key]
            return True
        if words[0] == "interface" and arg is None and len(tokens) > 1:
            c.interfaces.pop(_iface_key(tokens[1]), None)
            return True
        return False

    # -- sub-views

    def sub(self, frame: _Frame, ind: int, text: str, tokens: list[str]) -> bool:
        words = [t.lower() for t in tokens]
        undo = words[0] == "undo"
        if undo:
            tokens, words = tokens[1:], words[1:]
            if not words:
                raise _Bad("undo: nothing to undo")
        handler = getattr(self, "sub_" + frame.kind.replace("-", "_"))
        try:
            return handler(frame, ind, text, tokens, words, undo) is not False
        except _Unknown:
            return False
        except (IndexError, ValueError):
            raise _Bad(f"{frame.kind}: malformed command") from None

    def sub_acl(self, frame: _Frame, ind: int, text: str, tokens: list[str], words: list[str], undo: bool) -> Any:
        acl: Acl = frame.obj
        w0 = words[0]
        if w0 == "description":
            acl.description = None if undo else _rest(text, 1)
            return True
        if w0 != "rule":
            raise _Unknown
        if undo:
            rule_id = _int(words[1]) if len(words) > 1 else None
            if rule_id is None:
                raise _Bad("undo rule: no rule id")
            if len(words) > 2 and words[2] == "comment":
                if rule_id in acl.rules:
                    acl.rules[rule_id].comment = None
            else:
                acl.rules.pop(rule_id, None)
            return True
        i = 1
        rule_id = _int(words[1]) if len(words) > 1 else None
        if rule_id is not None:
            i = 2
        if i < len(words) and words[i] == "comment":
            if rule_id is None:
                raise _Bad("rule comment: no rule id")
            rule = acl.rules.get(rule_id) or acl.rules.setdefault(rule_id, AclRule(rule_id))
            rule.comment = _rest(text, 3)
            return True
        if i >= len(words) or words[i] not in ("permit", "deny"):
            raise _Bad("rule: expected permit or deny")
        if rule_id is None:
            rule_id = (max(acl.rules) // 5 + 1) * 5 if acl.rules else 0
        action = words[i]
        protocol = words[i + 1] if i + 1 < len(words) else None
        rule = AclRule(rule_id, action, protocol, text=text)
        old = acl.rules.get(rule_id)
        if old is not None:
            rule.comment = old.comment
        rest = words[i + 2:]
        orig = tokens[i + 2:]
        for key in ("source", "destination"):
            if key in rest:
                j = rest.index(key)
                value = rest[j + 1] if j + 1 < len(rest) else None
                net: str | None
                if value == "any":
                    net = "0.0.0.0/0"
                elif value is not None and _ip(value) and j + 2 < len(rest):
                    net = wildcard_network(orig[j + 1], orig[j + 2])
                    if net is None:
                        self.warn(f"rule {rule_id}: {key} wildcard {orig[j + 2]} is not contiguous", text)
                elif value is not None and _ip(value):
                    net = f"{value}/32"
                else:
                    net = None
                setattr(rule, key, net)
        acl.rules[rule_id] = rule
        return True

    def sub_ike_proposal(self, frame: _Frame, ind: int, text: str, tokens: list[str], words: list[str],
                         undo: bool) -> Any:
        p: IkeProposal = frame.obj
        w0 = words[0]
        attr = {"description": "description", "encryption-algorithm": "encryption",
                "authentication-algorithm": "authentication", "authentication-method": "auth_method",
                "dh": "dh"}.get(w0)
        if attr is not None:
            value = None if undo else " ".join(_rest(text, 1).split())
            if attr == "description" and not undo:
                value = _rest(text, 1)
            if not undo and not value:
                raise _Bad(f"{w0}: no value")
            setattr(p, attr, value)
            return True
        if w0 == "sa" and len(words) > 1 and words[1] == "duration":
            if undo:
                p.duration = None
                return True
            if len(words) < 3 or not words[2].isdigit():
                raise _Bad("sa duration: not a number")
            p.duration = int(words[2])
            return True
        raise _Unknown

    def sub_ike_keychain(self, frame: _Frame, ind: int, text: str, tokens: list[str], words: list[str],
                         undo: bool) -> Any:
        kc: IkeKeychain = frame.obj
        if words[0] != "pre-shared-key":
            raise _Unknown
        key = KeychainKey()
        i = 1
        if i < len(words) and words[i] == "address":
            if words[i + 1] == "ipv6":
                i += 1
            key.address = tokens[i + 1]
            i += 2
            if i < len(words) and words[i] != "key":
                key.mask = tokens[i]
                i += 1
        elif i < len(words) and words[i] == "hostname":
            key.hostname = tokens[i + 1]
            i += 2
        else:
            raise _Bad("pre-shared-key: address or hostname expected")
        if undo:
            kc.keys = [k for k in kc.keys if not (k.address == key.address and k.hostname == key.hostname)]
            return True
        if i + 1 >= len(words) or words[i] != "key":
            raise _Bad("pre-shared-key: `key simple|cipher VALUE` expected")
        how = words[i + 1]
        value = _rest(text, i + 2)
        if not value:
            raise _Bad("pre-shared-key: empty key")
        if how == "simple":
            key.secret = Secret(value, "psk")
        elif how == "cipher":
            key.cipher = value
        else:
            raise _Bad("pre-shared-key: `simple` or `cipher` expected")
        kc.keys = [k for k in kc.keys if not (k.address == key.address and k.hostname == key.hostname)]
        kc.keys.append(key)
        return True

    def sub_ike_profile(self, frame: _Frame, ind: int, text: str, tokens: list[str], words: list[str],
                        undo: bool) -> Any:
        p: IkeProfile = frame.obj
        w0 = words[0]
        if w0 == "keychain":
            if undo:
                p.keychains = [k for k in p.keychains if len(tokens) > 1 and k.upper() != tokens[1].upper()] \
                    if len(tokens) > 1 else []
            elif tokens[1].upper() not in (k.upper() for k in p.keychains):
                p.keychains.append(tokens[1])
            return True
        if w0 == "exchange-mode":
            p.exchange_mode = None if undo else words[1]
            return True
        if w0 == "local-identity":
            p.local_identity = None if undo else _identity(tokens[1:])
            return True
        if w0 == "match" and len(words) > 2 and words[1] == "remote" and words[2] == "identity":
            ident = _match_remote(tokens[3:])
            if undo:
                p.match_remote = [m for m in p.match_remote if ident is None or m[:2] != ident[:2]]
            elif ident is None:
                raise _Bad("match remote identity: unreadable")
            elif ident not in p.match_remote:
                p.match_remote.append(ident)
            return True
        if w0 == "proposal":
            if undo:
                p.proposals = []
                return True
            nums = [_int(w) for w in words[1:]]
            if not nums or any(x is None for x in nums):
                raise _Bad("proposal: numbers expected")
            p.proposals = [x for x in nums if x is not None]
            return True
        if w0 == "dpd":
            if undo:
                p.dpd = None
                return True
            d = _dpd(words[1:])
            if d is None:
                raise _Bad("dpd: `interval N [retry M] periodic|on-demand` expected")
            p.dpd = d
            return True
        if w0 == "description":
            p.description = None if undo else _rest(text, 1)
            return True
        raise _Unknown

    def sub_transform_set(self, frame: _Frame, ind: int, text: str, tokens: list[str], words: list[str],
                          undo: bool) -> Any:
        t: TransformSet = frame.obj
        w0 = words[0]
        if w0 == "protocol":
            t.protocol = None if undo else words[1]
            return True
        if w0 == "encapsulation-mode":
            t.encapsulation = None if undo else words[1]
            return True
        if w0 == "esp" and len(words) > 1 and words[1] in ("encryption-algorithm", "authentication-algorithm"):
            values = [] if undo else words[2:]
            if not undo and not values:
                raise _Bad(f"esp {words[1]}: no algorithm")
            if words[1] == "encryption-algorithm":
                t.esp_encryption = values
            else:
                t.esp_authentication = values
            return True
        if w0 == "pfs":
            t.pfs = None if undo else words[1]
            return True
        raise _Unknown

    def sub_ipsec_policy(self, frame: _Frame, ind: int, text: str, tokens: list[str], words: list[str],
                         undo: bool) -> Any:
        p: IpsecPolicy = frame.obj
        w0 = words[0]
        if w0 == "description":
            p.description = None if undo else _rest(text, 1)
            return True
        if w0 == "security" and len(words) > 1 and words[1] == "acl":
            if undo:
                p.acl = None
                return True
            rest = [t for t in tokens[2:] if t.lower() != "ipv6"]
            if not rest:
                raise _Bad("security acl: no ACL")
            if rest[0].lower() == "name" and len(rest) > 1:
                p.acl = f"NAME:{rest[1].upper()}"
            elif rest[0].isdigit():
                p.acl = int(rest[0])
            else:
                raise _Bad("security acl: number or `name NAME` expected")
            return True
        if w0 == "transform-set":
            p.transform_sets = [] if undo else tokens[1:]
            if not undo and not p.transform_sets:
                raise _Bad("transform-set: no name")
            return True
        if w0 in ("remote-address", "local-address"):
            value = None
            if not undo:
                rest = [t for t in tokens[1:] if t.lower() != "ipv6"]
                if not rest:
                    raise _Bad(f"{w0}: no address")
                value = rest[0]
            setattr(p, w0.replace("-", "_"), value)
            return True
        if w0 in ("ike-profile", "ikev2-profile", "ike-peer"):
            value = None if undo else tokens[1]
            setattr(p, w0.replace("-", "_"), value)
            return True
        if w0 == "sa" and len(words) > 2 and words[1] == "duration":
            attr = {"time-based": "sa_time", "traffic-based": "sa_traffic"}.get(words[2])
            if attr is None:
                raise _Unknown
            if undo:
                setattr(p, attr, None)
                return True
            if len(words) < 4 or not words[3].isdigit():
                raise _Bad("sa duration: not a number")
            setattr(p, attr, int(words[3]))
            return True
        if w0 == "proposal":  # V5
            p.proposals = [] if undo else tokens[1:]
            return True
        if w0 == "pfs":  # V5
            p.pfs = None if undo else words[1]
            return True
        raise _Unknown

    def sub_interface(self, frame: _Frame, ind: int, text: str, tokens: list[str], words: list[str],
                      undo: bool) -> Any:
        i: Interface = frame.obj
        w0 = words[0]
        if w0 == "ip" and len(words) > 1 and words[1] == "address":
            if undo:
                i.addresses = [a for a in i.addresses if len(tokens) < 3 or a[0] != tokens[2]]
                return True
            if len(tokens) < 3 or _ip(tokens[2]) is None:
                raise _Unknown  # `ip address dhcp-alloc` and friends
            rest = " ".join(tokens[3:])
            if "sub" not in words:
                i.addresses = [a for a in i.addresses if "sub" in a[1].split()]
            i.addresses.append((tokens[2], rest))
            return True
        if w0 == "nat" and len(words) > 1 and words[1] == "outbound":
            if undo:
                tail = " ".join(tokens[2:])
                i.nat_outbound = [n for n in i.nat_outbound if tail and not n.startswith(tail)]
            else:
                i.nat_outbound.append(_rest(text, 2))
            return True
        if w0 == "ipsec" and len(words) > 2 and words[1] == "apply" and words[2] == "policy":
            if undo:
                i.applied_policy = i.applied_form = None
            else:
                i.applied_policy, i.applied_form = tokens[3], "apply"
            return True
        if w0 == "ipsec" and len(words) > 1 and words[1] == "policy":
            if undo:
                i.applied_policy = i.applied_form = None
            else:
                i.applied_policy, i.applied_form = tokens[2], "v5"
            return True
        if w0 == "description":
            i.description = None if undo else _rest(text, 1)
            return True
        raise _Unknown

    def sub_ikev2_proposal(self, frame: _Frame, ind: int, text: str, tokens: list[str], words: list[str],
                           undo: bool) -> Any:
        p: Ikev2Proposal = frame.obj
        attr = {"encryption": "encryption", "integrity": "integrity", "prf": "prf", "dh": "dh"}.get(words[0])
        if attr is None:
            raise _Unknown
        values = [] if undo else words[1:]
        if not undo and not values:
            raise _Bad(f"{words[0]}: no algorithm")
        setattr(p, attr, values)
        return True

    def sub_ikev2_policy(self, frame: _Frame, ind: int, text: str, tokens: list[str], words: list[str],
                         undo: bool) -> Any:
        p: Ikev2Policy = frame.obj
        if words[0] != "proposal":
            raise _Unknown
        if undo:
            p.proposals = [x for x in p.proposals if len(tokens) > 1 and x.upper() != tokens[1].upper()] \
                if len(tokens) > 1 else []
            return True
        for name in tokens[1:]:
            if name.upper() not in (x.upper() for x in p.proposals):
                p.proposals.append(name)
        return True

    def sub_ikev2_keychain(self, frame: _Frame, ind: int, text: str, tokens: list[str], words: list[str],
                           undo: bool) -> Any:
        kc: Ikev2Keychain = frame.obj
        if words[0] != "peer" or len(tokens) < 2:
            raise _Unknown
        if undo:
            kc.peers.pop(tokens[1].upper(), None)
            return True
        peer = kc.peers.get(tokens[1].upper()) or kc.peers.setdefault(tokens[1].upper(), Ikev2Peer(tokens[1]))
        self.stack.append(_Frame("ikev2-peer", peer, ind, kc))
        return True

    def sub_ikev2_peer(self, frame: _Frame, ind: int, text: str, tokens: list[str], words: list[str],
                       undo: bool) -> Any:
        p: Ikev2Peer = frame.obj
        w0 = words[0]
        if w0 == "address":
            if undo:
                p.address = p.mask = None
                return True
            rest = [t for t in tokens[1:] if t.lower() != "ipv6"]
            p.address = rest[0]
            p.mask = rest[1] if len(rest) > 1 else None
            return True
        if w0 == "hostname":
            p.hostname = None if undo else tokens[1]
            return True
        if w0 == "identity":
            p.identity = None if undo else _identity(tokens[1:])
            return True
        if w0 == "pre-shared-key":
            if undo:
                p.secret = p.cipher = None
                return True
            i = 1
            if i < len(words) and words[i] in ("local", "remote"):
                i += 1
            how = words[i]
            value = _rest(text, i + 1)
            if not value:
                raise _Bad("pre-shared-key: empty key")
            if how == "plaintext":
                p.secret, p.cipher = Secret(value, "psk"), None
            elif how == "ciphertext":
                p.secret, p.cipher = None, value
            else:
                raise _Bad("pre-shared-key: `plaintext` or `ciphertext` expected")
            return True
        raise _Unknown

    def sub_ikev2_profile(self, frame: _Frame, ind: int, text: str, tokens: list[str], words: list[str],
                          undo: bool) -> Any:
        p: Ikev2Profile = frame.obj
        w0 = words[0]
        if w0 == "authentication-method" and len(words) > 1:
            value = None if undo else (words[2] if len(words) > 2 else None)
            if words[1] == "local":
                p.auth_local = value
            elif words[1] == "remote":
                p.auth_remote = value
            else:
                raise _Bad("authentication-method: local or remote expected")
            return True
        if w0 == "keychain":
            if undo:
                p.keychains = []
            elif tokens[1].upper() not in (k.upper() for k in p.keychains):
                p.keychains.append(tokens[1])
            return True
        if w0 == "identity" and len(words) > 1 and words[1] == "local":
            p.identity_local = None if undo else _identity(tokens[2:])
            return True
        if w0 == "match" and len(words) > 2 and words[1] == "remote" and words[2] == "identity":
            ident = _match_remote(tokens[3:])
            if undo:
                p.match_remote = [m for m in p.match_remote if ident is None or m[:2] != ident[:2]]
            elif ident is None:
                raise _Bad("match remote identity: unreadable")
            elif ident not in p.match_remote:
                p.match_remote.append(ident)
            return True
        if w0 == "sa" and len(words) > 1 and words[1] == "duration":
            if undo:
                p.sa_duration = None
                return True
            if len(words) < 3 or not words[2].isdigit():
                raise _Bad("sa duration: not a number")
            p.sa_duration = int(words[2])
            return True
        if w0 == "dpd":
            if undo:
                p.dpd = None
                return True
            d = _dpd(words[1:])
            if d is None:
                raise _Bad("dpd: `interval N [retry M] periodic|on-demand` expected")
            p.dpd = d
            return True
        raise _Unknown

    def sub_ike_peer(self, frame: _Frame, ind: int, text: str, tokens: list[str], words: list[str],
                     undo: bool) -> Any:
        p: IkePeer = frame.obj
        w0 = words[0]
        if w0 == "exchange-mode":
            p.exchange_mode = None if undo else words[1]
            return True
        if w0 == "proposal":
            if undo:
                p.proposals = []
                return True
            nums = [_int(w) for w in words[1:]]
            if not nums or any(x is None for x in nums):
                raise _Bad("proposal: numbers expected")
            p.proposals = [x for x in nums if x is not None]
            return True
        if w0 == "pre-shared-key":
            if undo:
                p.secret = p.cipher = None
                return True
            if len(words) > 1 and words[1] in ("simple", "cipher"):
                value = _rest(text, 2)
                how = words[1]
            else:
                value = _rest(text, 1)
                how = "simple"
            if not value:
                raise _Bad("pre-shared-key: empty key")
            if how == "simple":
                p.secret, p.cipher = Secret(value, "psk"), None
            else:
                p.secret, p.cipher = None, value
            return True
        if w0 in ("remote-address", "local-address"):
            value = None if undo else tokens[1]
            setattr(p, w0.replace("-", "_"), value)
            return True
        if w0 == "id-type":
            p.id_type = None if undo else words[1]
            return True
        if w0 == "remote-name":
            p.remote_name = None if undo else tokens[1]
            return True
        if w0 == "nat" and len(words) > 1 and words[1] == "traversal":
            p.nat_traversal = not undo
            return True
        if w0 == "dpd":
            p.dpd = None if undo else tokens[1]
            return True
        raise _Unknown

    def sub_ike_dpd(self, frame: _Frame, ind: int, text: str, tokens: list[str], words: list[str],
                    undo: bool) -> Any:
        d: IkeDpd = frame.obj
        if words[0] == "interval-time":
            d.interval = None if undo else _int(words[1])
            return True
        if words[0] == "time-out":
            d.timeout = None if undo else _int(words[1])
            return True
        raise _Unknown

    def sub_ipsec_proposal(self, frame: _Frame, ind: int, text: str, tokens: list[str], words: list[str],
                           undo: bool) -> Any:
        p: IpsecProposal = frame.obj
        w0 = words[0]
        if w0 == "transform":
            p.transform = None if undo else words[1]
            return True
        if w0 == "encapsulation-mode":
            p.encapsulation = None if undo else words[1]
            return True
        if w0 == "esp" and len(words) > 1 and words[1] in ("encryption-algorithm", "authentication-algorithm"):
            value = None if undo else " ".join(words[2:])
            if not undo and not value:
                raise _Bad(f"esp {words[1]}: no algorithm")
            if words[1] == "encryption-algorithm":
                p.esp_encryption = value
            else:
                p.esp_authentication = value
            return True
        raise _Unknown


def _guess_platform(config: H3CConfig) -> str:
    v5 = bool(config.ike_peers or config.ipsec_proposals or
              any(i.applied_form == "v5" for i in config.interfaces.values()))
    v7 = bool(config.ike_keychains or config.ike_profiles or config.transform_sets or config.ikev2_profiles or
              any(i.applied_form == "apply" for i in config.interfaces.values()))
    if config.version:
        if re.search(r"\b5\.\d", config.version):
            return "comware5"
        if re.search(r"\b[79]\.\d", config.version):
            return "comware7"
    return "comware5" if v5 and not v7 else "comware7"


def parse_config(text: str | bytes, lab: str | None = None, platform: str | None = "comware7") -> H3CConfig:
    """Read ``display current-configuration`` text or a rendered command script.

    ``lab`` stamps each object's ``ours`` flag; ``platform`` (comware7 | comware5, None = guess from the
    text) picks the dialect :func:`to_params` reads algorithms in.  Never raises on bad text: see
    ``H3CConfig.warnings``.
    """
    bad_input: list[ParseWarning] = []
    if isinstance(text, bytes):
        decoded = text.decode("utf-8", errors="replace")
        if "\ufffd" in decoded:
            bad_input.append(ParseWarning(0, "the text is not valid UTF-8; undecodable bytes replaced"))
        text = decoded
    if not isinstance(text, str):
        cfg = H3CConfig(platform=platform or "comware7", lab=lab)
        cfg.warnings.append(ParseWarning(0, f"expected text, got {type(text).__name__}"))
        return cfg
    if lab is not None:
        try:
            naming.check_lab(lab)
        except naming.NamingError:
            bad_input.append(ParseWarning(0, f"{lab!r} is not a lab name; ownership not assessed"))
            lab = None
    parser = _Parser(text, lab, platform if platform in ("comware7", "comware5") else "comware7")
    if platform is not None and platform not in ("comware7", "comware5"):
        bad_input.append(ParseWarning(0, f"unknown platform {platform!r}; read as comware7"))
    config = parser.run()
    if platform is None:
        config.platform = _guess_platform(config)
    config.warnings[:0] = bad_input
    if lab is not None:
        for obj in config.all_objects():
            try:
                obj.ours = naming.is_ours(obj, lab, platform=config.platform, config=config)
            except Exception:  # an odd object must not break the read
                obj.ours = False
    return config


# --- canonical parameters -------------------------------------------------------------------------------

# Spellings a device may print that are not the dialect's own spelling in algorithms.py but mean one
# thing there: Comware V5 prints bare `aes-cbc` (IKE) / `aes` (ESP) for AES-128.
_LENIENT: dict[Dialect, dict[str, str]] = {
    Dialect.COMWARE5_IKE: {"aes-cbc": "aes128"},
    Dialect.COMWARE5_ESP: {"aes": "aes128"},
}


class _Report:
    def __init__(self) -> None:
        self.notes: list[str] = []

    def note(self, message: str) -> None:
        if message not in self.notes:
            self.notes.append(message)

    def canon(self, kind: Kind, dialect: Dialect, spelling: str | None, where: str, *, pfs: bool = False) -> str | None:
        if spelling is None:
            return None
        text = " ".join(spelling.split()).lower()
        try:
            return alg.from_spelling(kind, dialect, text, pfs=pfs).name
        except alg.UnknownAlgorithm:
            pass
        lenient = _LENIENT.get(dialect, {}).get(text)
        if lenient:
            return lenient
        try:
            found = alg.resolve(kind, text, pfs=pfs)
        except alg.UnknownAlgorithm:
            self.note(f"{where}: {spelling!r} is not a known {kind.value} in the {dialect.label}")
            return None
        self.note(f"{where}: {spelling!r} is not how the {dialect.label} spells it; read as {found.name}")
        return found.name


def to_params(config: H3CConfig, lab: str | None = None, *, wan_interface: str | None = None) -> VpnParams:
    """The canonical parameters the router is configured with (None where it does not say)."""
    return to_params_report(config, lab, wan_interface=wan_interface)[0]


def to_params_report(config: H3CConfig, lab: str | None = None, *,
                     wan_interface: str | None = None) -> tuple[VpnParams, list[str]]:
    """:func:`to_params` plus the notes about missing or odd references it met on the way."""
    lab = lab or config.lab
    r = _Report()
    entries = _find_entries(config, lab, wan_interface, r)
    if not entries:
        return VpnParams((), (), ()), r.notes
    v5 = config.platform == "comware5"
    onprem: set[str] = set()
    cloud: set[str] = set()
    seen_acls: set[int | str] = set()
    tunnels = []
    for entry in entries:
        if entry.acl is not None and entry.acl not in seen_acls:
            seen_acls.add(entry.acl)
            acl = config.acl(entry.acl)
            if acl is None:
                r.note(f"policy {entry.name} {entry.seq}: security acl {entry.acl} does not exist")
            else:
                for rule in acl.rules.values():
                    if rule.action != "permit":
                        continue
                    if rule.source is None or rule.destination is None:
                        r.note(f"ACL {entry.acl} rule {rule.id}: source or destination not readable")
                        continue
                    onprem.add(rule.source)
                    cloud.add(rule.destination)
        elif entry.acl is None:
            r.note(f"policy {entry.name} {entry.seq}: no security acl")
        tunnels.append(_tunnel_v5(config, entry, r) if v5 else _tunnel_v7(config, entry, r, lab))
    return VpnParams(tuple(tunnels), canonical_subnets(onprem), canonical_subnets(cloud)), r.notes


def _find_entries(config: H3CConfig, lab: str | None, wan_interface: str | None, r: _Report) -> list[IpsecPolicy]:
    if wan_interface:
        iface = config.interface(wan_interface)
        if iface is not None and iface.applied_policy:
            entries = config.policy_entries(iface.applied_policy)
            if lab:
                ours = [e for e in entries if naming.is_ours(e, lab, platform=config.platform, config=config)]
                entries = ours or entries
            if entries:
                return entries
            r.note(f"{iface.name} applies policy {iface.applied_policy}, which has no entries")
    if lab:
        policy = naming.names(lab).policy
        entries = config.policy_entries(policy)
        if entries:
            return entries
        r.note(f"no policy {policy} in the configuration")
        return []
    applied = [i.applied_policy for i in config.interfaces.values() if i.applied_policy]
    if len(applied) == 1:
        return config.policy_entries(applied[0])
    r.note("no lab given and no single applied policy to follow")
    return []


def _pick_ike_proposal(config: H3CConfig, numbers: list[int], where: str, r: _Report) -> IkeProposal | None:
    if numbers:
        p = config.ike_proposals.get(numbers[0])
        if p is None:
            r.note(f"{where}: proposal {numbers[0]} does not exist (the built-in default would be used)")
            return IkeProposal(0)
        return p
    if config.ike_proposals:
        lowest = min(config.ike_proposals)
        r.note(f"{where}: no proposal listed; every configured proposal is offered, read as {lowest}")
        return config.ike_proposals[lowest]
    r.note(f"{where}: no proposal; the built-in default (DES/SHA1/group 1) is used")
    return IkeProposal(0)


def _ike_from_proposal(p: IkeProposal, dialect: Dialect, where: str, r: _Report) -> tuple[Any, Any, Any, int]:
    d = V7_IKE_DEFAULTS
    enc = r.canon(Kind.ENCRYPTION, dialect, p.encryption or d["encryption"], f"{where} encryption-algorithm")
    integ = r.canon(Kind.INTEGRITY, dialect, p.authentication or d["authentication"],
                    f"{where} authentication-algorithm")
    dh = r.canon(Kind.DH, dialect, p.dh or d["dh"], f"{where} dh")
    if p.auth_method and p.auth_method != "pre-share":
        r.note(f"{where}: authentication-method {p.auth_method}, not pre-share")
    return enc, integ, dh, p.duration if p.duration is not None else d["duration"]


def _address_value(ident: tuple[str, str] | None) -> str | None:
    return ident[1] if ident else None


def _tunnel_v7(config: H3CConfig, entry: IpsecPolicy, r: _Report, lab: str | None) -> TunnelParams:
    where = f"policy {entry.name} {entry.seq}"
    dialects = alg.PLATFORMS["comware7"]
    cloud_ip = entry.remote_address
    onprem_id = cloud_id = fingerprint = None
    enc = integ = dh = None
    lifetime: int | None = None
    dpd = False
    mode = "main"
    if entry.ikev2_profile:
        version = "ikev2"
        prof = config.ikev2_profiles.get(entry.ikev2_profile.upper())
        if prof is None:
            r.note(f"{where}: ikev2-profile {entry.ikev2_profile} does not exist")
        else:
            lifetime = prof.sa_duration if prof.sa_duration is not None else IKEV2_SA_DURATION_DEFAULT
            dpd = prof.dpd is not None
            onprem_id = _address_value(prof.identity_local)
            cloud_id = prof.match_remote[0][1] if prof.match_remote else None
            fingerprint = _ikev2_fingerprint(config, prof, cloud_ip, where, r)
        policy = None
        if lab:
            policy = config.ikev2_policies.get(naming.names(lab).ikev2_policy.upper())
        if policy is None and config.ikev2_policies:
            policy = next(iter(config.ikev2_policies.values()))
        proposal = None
        if policy is None:
            r.note("no ikev2 policy: no IKEv2 proposal is offered")
        elif not policy.proposals:
            r.note(f"ikev2 policy {policy.name} lists no proposal")
        else:
            proposal = config.ikev2_proposals.get(policy.proposals[0].upper())
            if proposal is None:
                r.note(f"ikev2 policy {policy.name}: proposal {policy.proposals[0]} does not exist")
        if proposal is not None:
            v2 = dialects.ikev2
            assert v2 is not None
            w = f"ikev2 proposal {proposal.name}"
            enc = r.canon(Kind.ENCRYPTION, v2, proposal.encryption[0] if proposal.encryption else None,
                          f"{w} encryption")
            integ = r.canon(Kind.INTEGRITY, v2, proposal.integrity[0] if proposal.integrity else None,
                            f"{w} integrity")
            dh = r.canon(Kind.DH, v2, proposal.dh[0] if proposal.dh else None, f"{w} dh")
    else:
        version = "ikev1"
        if not entry.ike_profile:
            r.note(f"{where}: no ike-profile")
        prof1 = config.ike_profiles.get(entry.ike_profile.upper()) if entry.ike_profile else None
        if entry.ike_profile and prof1 is None:
            r.note(f"{where}: ike-profile {entry.ike_profile} does not exist")
        if prof1 is not None:
            mode = prof1.exchange_mode or "main"
            dpd = prof1.dpd is not None
            onprem_id = _address_value(prof1.local_identity)
            cloud_id = prof1.match_remote[0][1] if prof1.match_remote else None
            fingerprint = _keychain_fingerprint(config, prof1, cloud_ip, where, r)
            proposal1 = _pick_ike_proposal(config, prof1.proposals, f"ike profile {prof1.name}", r)
            if proposal1 is not None:
                enc, integ, dh, lifetime = _ike_from_proposal(proposal1, dialects.ike,
                                                              f"ike proposal {proposal1.number}", r)
    esp_enc, esp_auth, pfs = _transform_set(config, entry, where, r)
    onprem_ip = entry.local_address or (onprem_id if _ip(onprem_id) else None) or _applied_ip(config, entry)
    ike = IkeParams(version, mode, enc, integ, dh, lifetime, dpd, True)  # type: ignore[arg-type]
    ipsec = IpsecParams(esp_enc, esp_auth, pfs, _ipsec_lifetime(config, entry))  # type: ignore[arg-type]
    return TunnelParams(ike, ipsec, onprem_ip, cloud_ip, onprem_id, cloud_id, fingerprint)


def _applied_ip(config: H3CConfig, entry: IpsecPolicy) -> str | None:
    for iface in config.interfaces.values():
        if iface.applied_policy and iface.applied_policy.upper() == entry.name.upper():
            return iface.primary_ip
    return None


def _ipsec_lifetime(config: H3CConfig, entry: IpsecPolicy) -> int:
    if entry.sa_time is not None:
        return entry.sa_time
    return config.ipsec_global_duration or IPSEC_GLOBAL_DURATION_DEFAULT


def _transform_set(config: H3CConfig, entry: IpsecPolicy, where: str, r: _Report) -> tuple[Any, Any, Any]:
    if not entry.transform_sets:
        r.note(f"{where}: no transform-set")
        return None, None, None
    ts = config.transform_sets.get(entry.transform_sets[0].upper())
    if ts is None:
        r.note(f"{where}: transform-set {entry.transform_sets[0]} does not exist")
        return None, None, None
    esp = alg.PLATFORMS["comware7"].esp
    w = f"transform-set {ts.name}"
    if ts.protocol not in (None, "esp"):
        r.note(f"{w}: protocol {ts.protocol}; Alibaba uses ESP only")
    if ts.encapsulation not in (None, "tunnel"):
        r.note(f"{w}: encapsulation-mode {ts.encapsulation}; Alibaba uses tunnel mode only")
    if not ts.esp_encryption:
        r.note(f"{w}: no esp encryption-algorithm (the policy is incomplete)")
    if not ts.esp_authentication:
        r.note(f"{w}: no esp authentication-algorithm (the policy is incomplete)")
    enc = r.canon(Kind.ENCRYPTION, esp, ts.esp_encryption[0] if ts.esp_encryption else None,
                  f"{w} esp encryption-algorithm")
    auth = r.canon(Kind.INTEGRITY, esp, ts.esp_authentication[0] if ts.esp_authentication else None,
                   f"{w} esp authentication-algorithm")
    pfs = r.canon(Kind.DH, esp, ts.pfs, f"{w} pfs", pfs=True) if ts.pfs else "none"
    return enc, auth, pfs


def _keychain_fingerprint(config: H3CConfig, prof: IkeProfile, cloud_ip: str | None, where: str,
                          r: _Report) -> str | None:
    keys: list[KeychainKey] = []
    for name in prof.keychains:
        kc = config.ike_keychains.get(name.upper())
        if kc is None:
            r.note(f"ike profile {prof.name}: keychain {name} does not exist")
            continue
        keys.extend(kc.keys)
    if not prof.keychains:
        r.note(f"ike profile {prof.name}: no keychain")
    key = next((k for k in keys if k.matches(cloud_ip)), None)
    if key is None:
        if keys:
            r.note(f"{where}: no pre-shared-key for {cloud_ip} in the profile's keychains")
        return None
    return psk_fingerprint(key.secret.reveal()) if key.secret is not None else None


def _ikev2_fingerprint(config: H3CConfig, prof: Ikev2Profile, cloud_ip: str | None, where: str,
                       r: _Report) -> str | None:
    peers: list[Ikev2Peer] = []
    for name in prof.keychains:
        kc = config.ikev2_keychains.get(name.upper())
        if kc is None:
            r.note(f"ikev2 profile {prof.name}: keychain {name} does not exist")
            continue
        peers.extend(kc.peers.values())
    peer = next((p for p in peers if p.matches(cloud_ip)), None)
    if peer is None:
        if peers:
            r.note(f"{where}: no ikev2 keychain peer for {cloud_ip}")
        return None
    return psk_fingerprint(peer.secret.reveal()) if peer.secret is not None else None


def _tunnel_v5(config: H3CConfig, entry: IpsecPolicy, r: _Report) -> TunnelParams:
    where = f"policy {entry.name} {entry.seq}"
    dialects = alg.PLATFORMS["comware5"]
    enc = integ = dh = None
    lifetime: int | None = None
    mode = "main"
    dpd = nat_t = False
    onprem_id = cloud_id = cloud_ip = fingerprint = local = None
    peer = config.ike_peers.get(entry.ike_peer.upper()) if entry.ike_peer else None
    if entry.ike_peer is None:
        r.note(f"{where}: no ike-peer")
    elif peer is None:
        r.note(f"{where}: ike-peer {entry.ike_peer} does not exist")
    if peer is not None:
        mode = peer.exchange_mode or "main"
        nat_t = peer.nat_traversal
        if peer.dpd:
            dpd = True
            if peer.dpd.upper() not in config.ike_dpds:
                r.note(f"ike peer {peer.name}: ike dpd {peer.dpd} does not exist")
        cloud_ip = peer.remote_address
        cloud_id = peer.remote_name if peer.id_type == "name" else peer.remote_address
        local = peer.local_address or _applied_ip(config, entry)
        onprem_id = local if peer.id_type in (None, "ip") else None
        fingerprint = psk_fingerprint(peer.secret.reveal()) if peer.secret is not None else None
        proposal = _pick_ike_proposal(config, peer.proposals, f"ike peer {peer.name}", r)
        if proposal is not None:
            enc, integ, dh, lifetime = _ike_from_proposal(proposal, dialects.ike, f"ike proposal {proposal.number}", r)
    esp_enc = esp_auth = None
    if not entry.proposals:
        r.note(f"{where}: no ipsec proposal")
    else:
        prop = config.ipsec_proposals.get(entry.proposals[0].upper())
        if prop is None:
            r.note(f"{where}: ipsec proposal {entry.proposals[0]} does not exist")
        else:
            w = f"ipsec proposal {prop.name}"
            esp_enc = r.canon(Kind.ENCRYPTION, dialects.esp, prop.esp_encryption or V5_ESP_DEFAULTS["encryption"],
                              f"{w} esp encryption-algorithm")
            esp_auth = r.canon(Kind.INTEGRITY, dialects.esp,
                               prop.esp_authentication or V5_ESP_DEFAULTS["authentication"],
                               f"{w} esp authentication-algorithm")
    pfs = r.canon(Kind.DH, dialects.esp, entry.pfs, f"{where} pfs", pfs=True) if entry.pfs else "none"
    ike = IkeParams("ikev1", mode, enc, integ, dh, lifetime, dpd, nat_t)  # type: ignore[arg-type]
    ipsec = IpsecParams(esp_enc, esp_auth, pfs, _ipsec_lifetime(config, entry))  # type: ignore[arg-type]
    return TunnelParams(ike, ipsec, local, cloud_ip, onprem_id, cloud_id, fingerprint)
