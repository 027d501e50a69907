"""The ownership scheme: how everything vpnconsole creates on an H3C is recognisably its own, per lab.

Teardown must never remove someone else's configuration, and two labs sharing one router must never
touch each other's objects.  Reference: ``h3c-comware-ipsec.md`` §4.2.

**Names** (keychains, IKE profiles, transform sets, policies, IKEv2 objects, V5 peers…) are

    VPNC-<LAB>-<SUFFIX>          e.g. VPNC-HYPERMOTION-LAB-IKEP1

``<LAB>`` is the lab name upper-cased (1–32 of ``[a-z0-9-]``), ``<SUFFIX>`` one of :data:`SUFFIXES`
(never containing ``-``), with the tunnel number 1 or 2 where there is one object per Alibaba IP.
Because the suffix has no hyphen, a name splits back into (lab, suffix) in exactly one way, so the lab
``a`` never claims ``VPNC-A-KC1-KC1`` (which belongs to the lab ``a-kc1``).  Ownership compares the
whole name, case-insensitively (Comware names are), and checks the suffix fits the object kind.
Longest name: 5 + 32 + 1 + 6 = 44 characters (Comware allows 63).

**Numbers** come from reserved ranges: advanced ACL 3950–3999 and IKE proposal 950–999.  Each lab gets
a deterministic slot ``sha256("vpnconsole:" + lab)[:4] mod 50`` — the same number for the same lab
every time, on every machine — and a caller that knows the numbers already used on the device passes
them as ``taken`` to probe the next free slot (linear probing, wrapping inside the range).

**Markers** are stamped where the CLI allows text, and the marker's first word is always the lab tag
``VPNC-<LAB>``: ACL ``description``, IKE proposal ``description`` (V7), IPsec policy ``description``
(V7), ``rule N comment`` on NAT-exempt rules, and the static route ``description`` (exactly the tag,
at most 37 characters: routes allow 60 and no spaces are needed).  A numbered object is ours only
when its number is in the reserved range AND it carries our marker; a named object only when its
whole name is ours (and, for V7 policy entries, the description carries our marker too).

**NAT-exempt rule ids** must sort before the first ``permit`` of the WAN's NAT ACL (§1.5), which only
the live device can tell; :func:`choose_nat_rule_ids` picks them from the rules found there (what
``render_apply(..., config=)`` does), and the pure default is ``1, 2, …`` (the reference's choice,
below a first permit at rule 5).  The same goes for the ACL and proposal numbers: the pure defaults
are right on a router that holds nothing else in the reserved ranges; rendering against the parsed
configuration keeps our existing numbers and steps around foreign ones.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any, Collection, Iterable

TAG_PREFIX = "VPNC"
ACL_RANGE = range(3950, 4000)
IKE_PROPOSAL_RANGE = range(950, 1000)
ACL_RULE_STEP = 5  # interesting-traffic rules: 5, 10, 15, … (one per onprem × cloud subnet pair)
MAX_NAME = 63  # Comware keychain/profile/transform-set/policy names: 1–63, case-insensitive
MAX_ROUTE_DESCRIPTION = 60
MAX_TUNNELS = 2
LAB_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$")

#: object kind (as parse.py names it) → the name suffix it carries; "{n}" is the tunnel number.
SUFFIXES: dict[str, str] = {
    "ike-keychain": "KC{n}",
    "ike-profile": "IKEP{n}",
    "transform-set": "TS",
    "ipsec-policy": "POL",
    "ikev2-proposal": "V2PROP",
    "ikev2-policy": "V2POL",
    "ikev2-keychain": "KC{n}",
    "ikev2-profile": "IKEP{n}",
    "ikev2-peer": "PEER{n}",
    "ike-peer": "PEER{n}",  # V5
    "ike-dpd": "DPD",  # V5
    "ipsec-proposal": "PROP",  # V5
}
_NAME_RE = re.compile(r"^VPNC-(?P<lab>[A-Z0-9][A-Z0-9-]*)-(?P<suffix>[A-Z0-9]+)$")


class NamingError(ValueError):
    pass


def check_lab(lab: str) -> str:
    """The lab name, validated (1–32 of a-z 0-9 '-', not starting or ending with '-')."""
    if not isinstance(lab, str) or not LAB_RE.match(lab):
        raise NamingError(f"lab name {lab!r} is not 1–32 of a-z, 0-9 and '-' (not starting or ending with '-')")
    return lab


def tag(lab: str) -> str:
    """``VPNC-<LAB>``: the first word of every marker and the stem of every name."""
    return f"{TAG_PREFIX}-{check_lab(lab).upper()}"


def _suffix_re(kind: str) -> re.Pattern[str]:
    return re.compile("^" + SUFFIXES[kind].replace("{n}", r"[1-9]") + "$")


_SUFFIX_RES = {kind: _suffix_re(kind) for kind in SUFFIXES}


def split_name(name: str) -> tuple[str, str] | None:
    """``VPNC-MY-LAB-IKEP1`` → ``("my-lab", "IKEP1")``; None for a name outside the scheme."""
    m = _NAME_RE.match(name.strip().upper()) if isinstance(name, str) else None
    if not m or m.group("lab").endswith("-"):
        return None
    return m.group("lab").lower(), m.group("suffix")


def is_our_name(name: str | None, lab: str, kind: str) -> bool:
    """Is ``name`` the name this lab gives to an object of ``kind``? (case-insensitive, whole name)"""
    if not name or kind not in SUFFIXES:
        return False
    parts = split_name(name)
    return parts is not None and parts[0] == check_lab(lab) and bool(_SUFFIX_RES[kind].match(parts[1]))


def has_marker(text: str | None, lab: str) -> bool:
    """Does a description/comment carry this lab's marker (its first word is ``VPNC-<LAB>``)?"""
    if not text:
        return False
    words = text.split()
    return bool(words) and words[0].upper() == tag(lab)


@dataclass(frozen=True)
class LabNames:
    """Every name and marker text a lab uses on the router."""

    lab: str

    def __post_init__(self) -> None:
        check_lab(self.lab)

    @property
    def tag(self) -> str:
        return tag(self.lab)

    def _name(self, kind: str, n: int | None = None) -> str:
        suffix = SUFFIXES[kind]
        if "{n}" in suffix:
            if n is None or not 1 <= n <= 9:
                raise NamingError(f"{kind} needs a tunnel number 1–9")
            suffix = suffix.format(n=n)
        name = f"{self.tag}-{suffix}"
        assert len(name) <= MAX_NAME
        return name

    # IKEv1 (V7)
    def keychain(self, n: int) -> str:
        return self._name("ike-keychain", n)

    def ike_profile(self, n: int) -> str:
        return self._name("ike-profile", n)

    # IPsec (V7 and V5 policy)
    @property
    def transform_set(self) -> str:
        return self._name("transform-set")

    @property
    def policy(self) -> str:
        return self._name("ipsec-policy")

    # IKEv2 (V7)
    @property
    def ikev2_proposal(self) -> str:
        return self._name("ikev2-proposal")

    @property
    def ikev2_policy(self) -> str:
        return self._name("ikev2-policy")

    def ikev2_keychain(self, n: int) -> str:
        return self._name("ikev2-keychain", n)

    def ikev2_profile(self, n: int) -> str:
        return self._name("ikev2-profile", n)

    def ikev2_peer(self, n: int) -> str:
        return self._name("ikev2-peer", n)

    # Comware V5
    def ike_peer(self, n: int) -> str:
        return self._name("ike-peer", n)

    @property
    def ike_dpd(self) -> str:
        return self._name("ike-dpd")

    @property
    def ipsec_proposal(self) -> str:
        return self._name("ipsec-proposal")

    # markers
    @property
    def acl_description(self) -> str:
        return f"{self.tag} vpnconsole interesting traffic"

    @property
    def proposal_description(self) -> str:
        return f"{self.tag} vpnconsole"

    def policy_description(self, n: int) -> str:
        return f"{self.tag} vpnconsole tunnel {n}"

    @property
    def nat_comment(self) -> str:
        return f"{self.tag} nat-exempt"

    @property
    def route_description(self) -> str:
        text = self.tag
        assert len(text) <= MAX_ROUTE_DESCRIPTION and " " not in text
        return text


def names(lab: str) -> LabNames:
    return LabNames(lab)


# --- reserved numbers -------------------------------------------------------------------------------

def slot(lab: str, size: int = 50) -> int:
    """The lab's deterministic slot in a reserved range (stable across runs and machines)."""
    digest = hashlib.sha256(f"vpnconsole:{check_lab(lab)}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % size


def _probe(lab: str, reserved: range, taken: Collection[int]) -> int:
    start = slot(lab, len(reserved))
    for k in range(len(reserved)):
        number = reserved[(start + k) % len(reserved)]
        if number not in taken:
            return number
    raise NamingError(f"every number {reserved.start}–{reserved.stop - 1} is already in use on the device")


def acl_number(lab: str, taken: Collection[int] = ()) -> int:
    """The lab's interesting-traffic ACL (3950–3999); ``taken``: numbers used by others on the device."""
    return _probe(lab, ACL_RANGE, taken)


def ike_proposal_number(lab: str, taken: Collection[int] = ()) -> int:
    """The lab's IKE proposal (950–999)."""
    return _probe(lab, IKE_PROPOSAL_RANGE, taken)


def choose_nat_rule_ids(count: int, taken: Iterable[int] = (), below: int | None = None,
                        start: int = 1) -> tuple[int, ...]:
    """``count`` free rule ids from ``start`` up, all smaller than ``below`` (the first permit's id).

    Raises :class:`NamingError` when they do not fit: the operator must renumber the NAT ACL first.
    """
    used = set(taken)
    out: list[int] = []
    candidate = start
    limit = below if below is not None else 65535
    while len(out) < count and candidate < limit:
        if candidate not in used:
            out.append(candidate)
        candidate += 1
    if len(out) < count:
        raise NamingError(f"{count} NAT-exempt rule id(s) needed below rule {below}, only {len(out)} free; "
                          "renumber the NAT ACL (e.g. `step 10` and re-add) so the deny rules fit before the permit")
    return tuple(out)


@dataclass(frozen=True)
class Numbers:
    """The numbers one render uses.  ``nat_rule_ids``: one per onprem × cloud subnet pair."""

    acl: int
    ike_proposal: int
    nat_rule_ids: tuple[int, ...] = ()


def numbers(lab: str, pairs: int, *, taken_acls: Collection[int] = (), taken_proposals: Collection[int] = (),
            nat_rule_ids: tuple[int, ...] | None = None) -> Numbers:
    """The default numbers for a lab (pure); the device layer passes what it found on the router."""
    nat = tuple(nat_rule_ids) if nat_rule_ids is not None else choose_nat_rule_ids(pairs)
    if len(nat) != pairs:
        raise NamingError(f"{pairs} NAT-exempt rule ids needed, {len(nat)} given")
    return Numbers(acl_number(lab, taken_acls), ike_proposal_number(lab, taken_proposals), nat)


# --- ownership of parsed objects -------------------------------------------------------------------

def is_ours(obj: Any, lab: str, *, platform: str = "comware7", config: Any = None) -> bool:
    """Is a parsed object (from :mod:`vpnconsole.h3c.parse`) this lab's own?

    Numbered objects: reserved number AND marker.  Named objects: the whole name fits the scheme for
    that object kind (and V7 policy entries also carry the marker in their description).  Rules: a
    ``deny`` with our ``comment`` (NAT exemption; the rules of our own ACL go with the ACL).  Routes:
    the ``description`` marker.  Interfaces: the binding is ours when the applied policy is ours.

    Comware V5 has no description on IKE proposals or policies: there a proposal in the reserved range
    is ours only when one of our own ``ike peer`` objects references it (needs ``config``), and a
    policy entry only by its name.
    """
    check_lab(lab)
    kind = getattr(obj, "kind", None)
    if kind == "acl":
        return getattr(obj, "number", None) in ACL_RANGE and has_marker(obj.description, lab)
    if kind == "acl-rule":
        return obj.action == "deny" and has_marker(obj.comment, lab)
    if kind == "ike-proposal":
        if obj.number not in IKE_PROPOSAL_RANGE:
            return False
        if has_marker(obj.description, lab):
            return True
        if obj.description is None and platform == "comware5" and config is not None:
            return any(is_our_name(peer.name, lab, "ike-peer") and obj.number in peer.proposals
                       for peer in config.ike_peers.values())
        return False
    if kind == "ipsec-policy":
        if not is_our_name(obj.name, lab, "ipsec-policy"):
            return False
        if obj.description is None:
            return platform == "comware5"
        return has_marker(obj.description, lab)
    if kind == "route":
        return has_marker(obj.description, lab)
    if kind == "interface":
        return is_our_name(obj.applied_policy, lab, "ipsec-policy")
    if kind in SUFFIXES:
        return is_our_name(obj.name, lab, kind)
    return False
