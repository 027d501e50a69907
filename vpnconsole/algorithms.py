"""One vocabulary for IPsec algorithms, and how each end spells it.

The seed problem of this project: the router's ``DH2 modp1024`` is Alibaba's ``group2``, Comware's
IKEv1 proposal calls SHA-1 ``sha`` while its ESP transform set calls it ``sha1``, and Comware V5
writes ``aes-cbc 128`` where V7 writes ``aes-cbc-128``.  Every such name is solved once, here:

* each algorithm has ONE canonical name (``aes128``, ``sha1``, ``group2``...);
* :func:`resolve` accepts the aliases people actually type and returns the canonical entry;
* :data:`Dialect` names every place a spelling lives (Comware V7 IKE proposal, V7 IKEv2 proposal,
  V7 ESP transform set, Comware V5 IKE proposal and IPsec proposal, Alibaba's API) and each entry
  knows its spelling there, or that it is not available there.

Sources: ``reference/h3c-comware-ipsec.md`` §1.3, §1.8, §2, §7 and ``reference/alibaba-vpn-api.md``
§2.3.3, §4.2.  Nothing in this module does I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum
from types import MappingProxyType
from typing import Iterable, Mapping


class Kind(str, Enum):
    ENCRYPTION = "encryption"
    INTEGRITY = "integrity"
    DH = "dh"  # an IKE DH group, or a PFS group (where "none" is also allowed)


class Dialect(str, Enum):
    """A place where an algorithm has a spelling of its own."""

    COMWARE7_IKE = "comware7-ike"  # V7 `ike proposal`: encryption-algorithm / authentication-algorithm / dh
    COMWARE7_IKEV2 = "comware7-ikev2"  # V7 `ikev2 proposal`: encryption / integrity / dh
    COMWARE7_ESP = "comware7-esp"  # V7 `ipsec transform-set`: esp ... / pfs
    COMWARE5_IKE = "comware5-ike"  # V5 `ike proposal`
    COMWARE5_ESP = "comware5-esp"  # V5 `ipsec proposal` (+ `pfs` in the V5 policy)
    ER_IKE = "er-ike"  # H3C ER web GUI, page IKE安全提议 (newer G2 builds: adds DH14 modp2048)
    ER_ESP = "er-esp"  # H3C ER web GUI, page IPsec安全提议 (+ PFS on page IPsec安全策略)
    ER_LEGACY_IKE = "er-legacy-ike"  # older ER firmware: MD5/SHA1 and DH1/2/5 only
    ER_LEGACY_ESP = "er-legacy-esp"
    ALIBABA = "alibaba"  # IkeConfig / IpsecConfig values

    @property
    def label(self) -> str:
        return _DIALECT_LABELS[self]


_DIALECT_LABELS = {
    Dialect.COMWARE7_IKE: "Comware V7 IKE proposal",
    Dialect.COMWARE7_IKEV2: "Comware V7 IKEv2 proposal",
    Dialect.COMWARE7_ESP: "Comware V7 transform set",
    Dialect.COMWARE5_IKE: "Comware V5 IKE proposal",
    Dialect.COMWARE5_ESP: "Comware V5 IPsec proposal",
    Dialect.ER_IKE: "H3C ER page IKE安全提议 (IKE proposal)",
    Dialect.ER_ESP: "H3C ER page IPsec安全提议 (IPsec proposal)",
    Dialect.ER_LEGACY_IKE: "older H3C ER firmware, page IKE安全提议 (IKE proposal)",
    Dialect.ER_LEGACY_ESP: "older H3C ER firmware, page IPsec安全提议 (IPsec proposal)",
    Dialect.ALIBABA: "Alibaba IkeConfig/IpsecConfig",
}


def normalize(text: str) -> str:
    """Fold an algorithm name as typed into a comparable key.

    ``"DH2 modp1024"`` → ``"dh2-modp1024"``, ``"AES_128"`` → ``"aes-128"``, ``" SHA1 "`` → ``"sha1"``.
    """
    text = text.strip().lower()
    return re.sub(r"[\s_]+", "-", text)


@dataclass(frozen=True)
class Algorithm:
    kind: Kind
    name: str  # canonical
    label: str  # how people read it: "AES-128-CBC", "DH group 2 (MODP-1024)"
    spellings: Mapping[Dialect, str]  # absent dialect = not available there
    aliases: frozenset[str] = field(default_factory=frozenset)
    weak: bool = False

    def spelling(self, dialect: Dialect) -> str:
        try:
            return self.spellings[dialect]
        except KeyError:
            raise UnsupportedAlgorithm(self, dialect) from None

    def available(self, dialect: Dialect) -> bool:
        return dialect in self.spellings

    def __str__(self) -> str:
        return self.name


class UnknownAlgorithm(ValueError):
    def __init__(self, kind: Kind, value: object, allowed: Iterable[str]):
        self.kind, self.value, self.allowed = kind, value, tuple(allowed)
        super().__init__(f"unknown {kind.value} {value!r}; allowed: {', '.join(self.allowed)}")


class UnsupportedAlgorithm(ValueError):
    def __init__(self, algorithm: Algorithm, dialect: Dialect):
        self.algorithm, self.dialect = algorithm, dialect
        super().__init__(f"{algorithm.label} is not available in {dialect.label}")


def _alg(kind: Kind, name: str, label: str, spellings: dict[Dialect, str], aliases: Iterable[str] = (),
         weak: bool = False) -> Algorithm:
    # Every dialect spelling and the canonical name are aliases too, so a value copied from
    # either end's configuration is understood.
    keys = {normalize(a) for a in aliases} | {normalize(s) for s in spellings.values() if s}
    keys.add(normalize(name))
    return Algorithm(kind, name, label, MappingProxyType(dict(spellings)), frozenset(keys), weak)


C7I, C7V2, C7E = Dialect.COMWARE7_IKE, Dialect.COMWARE7_IKEV2, Dialect.COMWARE7_ESP
C5I, C5E, ALI = Dialect.COMWARE5_IKE, Dialect.COMWARE5_ESP, Dialect.ALIBABA
ERI, ERE, ERLI, ERLE = Dialect.ER_IKE, Dialect.ER_ESP, Dialect.ER_LEGACY_IKE, Dialect.ER_LEGACY_ESP
#: The ER GUI's four dialects: every ER option list is the same on both pages except DH14, which
#: only newer builds offer (reference h3c §3); an algorithm spelled for the ER is offered on all four
#: unless said otherwise.
_ER_ALL = (ERI, ERE, ERLI, ERLE)


def _er(spelling: str, *, legacy: bool = True) -> dict[Dialect, str]:
    """The ER GUI's spelling of an option (the words on its drop-down), on the pages offering it."""
    return {d: spelling for d in (_ER_ALL if legacy else (ERI, ERE))}


def _aes(bits: int, ali: str, extra: Iterable[str] = ()) -> Algorithm:
    return _alg(
        Kind.ENCRYPTION, f"aes{bits}", f"AES-{bits}-CBC",
        {C7I: f"aes-cbc-{bits}", C7V2: f"aes-cbc-{bits}", C7E: f"aes-cbc-{bits}",
         C5I: f"aes-cbc {bits}", C5E: f"aes {bits}", ALI: ali, **_er(f"AES-{bits}")},
        [f"aes-{bits}", f"aes-{bits}-cbc", f"aescbc{bits}", f"aes-cbc{bits}", f"aes{bits}-cbc", *extra],
    )


ENCRYPTIONS: tuple[Algorithm, ...] = (
    # Alibaba's bare "aes" means AES-128; so does Comware V5's bare "aes-cbc".
    _aes(128, "aes", ["aes", "aes-cbc"]),
    _aes(192, "aes192"),
    _aes(256, "aes256"),
    _alg(Kind.ENCRYPTION, "3des", "3DES-CBC",
         {C7I: "3des-cbc", C7V2: "3des-cbc", C7E: "3des-cbc", C5I: "3des-cbc", C5E: "3des", ALI: "3des",
          **_er("3DES")},
         ["des3", "triple-des", "tripledes", "des-ede3-cbc", "3des-168"], weak=True),
    _alg(Kind.ENCRYPTION, "des", "DES-CBC",
         {C7I: "des-cbc", C7V2: "des-cbc", C7E: "des-cbc", C5I: "des-cbc", C5E: "des", ALI: "des", **_er("DES")},
         ["des-56"], weak=True),
)


def _sha2(bits: int) -> Algorithm:
    s = f"sha{bits}"
    # SHA-2 is not offered by (most) Comware V5 releases: V5 lists only md5 | sha.
    return _alg(Kind.INTEGRITY, s, f"HMAC-SHA2-{bits}", {C7I: s, C7V2: s, C7E: s, ALI: s},
                [f"sha-{bits}", f"sha2-{bits}", f"hmac-sha{bits}", f"hmac-sha2-{bits}", f"sha2{bits}"])


INTEGRITIES: tuple[Algorithm, ...] = (
    _alg(Kind.INTEGRITY, "md5", "HMAC-MD5", {C7I: "md5", C7V2: "md5", C7E: "md5", C5I: "md5", C5E: "md5", ALI: "md5",
                                      **_er("MD5")},
         ["hmac-md5", "hmac-md5-96", "md5-96"], weak=True),
    # The trap: Comware's IKEv1 proposal calls SHA-1 "sha", everything else "sha1".
    _alg(Kind.INTEGRITY, "sha1", "HMAC-SHA1",
         {C7I: "sha", C7V2: "sha1", C7E: "sha1", C5I: "sha", C5E: "sha1", ALI: "sha1", **_er("SHA1")},
         ["sha", "sha-1", "hmac-sha1", "hmac-sha1-96", "sha1-96", "hmac-sha"]),
    _sha2(256),
    _sha2(384),
    _sha2(512),
)


def _group(n: int, modp: int) -> Algorithm:
    g = f"group{n}"
    return _alg(
        Kind.DH, g, f"DH group {n} (MODP-{modp})",
        # The ER GUI names a group with its MODP size: "DH2 modp1024" (DH14 only on newer builds).
        {C7I: g, C7V2: g, C7E: f"dh-group{n}", C5I: g, C5E: f"dh-group{n}", ALI: g,
         **_er(f"DH{n} modp{modp}", legacy=n != 14)},
        [str(n), f"dh{n}", f"dh-{n}", f"dh-group{n}", f"dhgroup{n}", f"group-{n}", f"modp{modp}",
         f"modp-{modp}", f"dh{n}-modp{modp}", f"dh-group-{n}", f"dh{n}modp{modp}"],
        weak=n in (1, 2, 5),
    )


DH_GROUPS: tuple[Algorithm, ...] = (_group(1, 768), _group(2, 1024), _group(5, 1536), _group(14, 2048))

#: PFS off.  Comware V7: no `pfs` line in the transform set; V5: none in the policy; Alibaba: "disabled".
PFS_NONE = _alg(Kind.DH, "none", "no PFS", {C7I: "", C7V2: "", C7E: "", C5I: "", C5E: "", ALI: "disabled",
                                             **_er("NONE")},
                ["disabled", "disable", "off", "no", "false", "no-pfs", "nopfs"])

_BY_KIND: dict[Kind, tuple[Algorithm, ...]] = {
    Kind.ENCRYPTION: ENCRYPTIONS,
    Kind.INTEGRITY: INTEGRITIES,
    Kind.DH: DH_GROUPS,
}


def choices(kind: Kind, *, pfs: bool = False) -> tuple[Algorithm, ...]:
    """The algorithms of a kind, canonical order (PFS adds "none")."""
    base = _BY_KIND[kind]
    return base + (PFS_NONE,) if pfs else base


def _index(algs: Iterable[Algorithm]) -> dict[str, Algorithm]:
    table: dict[str, Algorithm] = {}
    for alg in algs:
        for key in alg.aliases:
            previous = table.setdefault(key, alg)
            # An alias that meant two things would make the whole vocabulary a lie.
            assert previous is alg, f"alias {key!r} is ambiguous: {previous.name} / {alg.name}"
    return table


_ALIASES: dict[tuple[Kind, bool], dict[str, Algorithm]] = {
    (kind, pfs): _index(choices(kind, pfs=pfs)) for kind in Kind for pfs in (False, True)
}


def resolve(kind: Kind, value: object, *, pfs: bool = False) -> Algorithm:
    """The canonical algorithm for what a person typed (``"DH2 modp1024"``, ``2``, ``"SHA"``...).

    Raises :class:`UnknownAlgorithm` naming the canonical choices.
    """
    if isinstance(value, bool):
        # YAML reads `pfs: no` / `pfs: off` as False.
        if pfs and value is False:
            return PFS_NONE
        raise UnknownAlgorithm(kind, value, [a.name for a in choices(kind, pfs=pfs)])
    if isinstance(value, int):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise UnknownAlgorithm(kind, value, [a.name for a in choices(kind, pfs=pfs)])
    found = _ALIASES[(kind, pfs)].get(normalize(value))
    if found is None:
        raise UnknownAlgorithm(kind, value, [a.name for a in choices(kind, pfs=pfs)])
    return found


def by_name(kind: Kind, name: str, *, pfs: bool = False) -> Algorithm:
    """The entry for a canonical name (no alias folding: for code, not people)."""
    for alg in choices(kind, pfs=pfs):
        if alg.name == name:
            return alg
    raise UnknownAlgorithm(kind, name, [a.name for a in choices(kind, pfs=pfs)])


def from_spelling(kind: Kind, dialect: Dialect, spelling: str, *, pfs: bool = False) -> Algorithm:
    """Read back an end's own spelling (exact, case-insensitive), e.g. ``("comware7-ike", "sha")``."""
    wanted = spelling.strip().lower()
    for alg in choices(kind, pfs=pfs):
        have = alg.spellings.get(dialect)
        if have is not None and have.lower() == wanted:
            return alg
    raise UnknownAlgorithm(kind, spelling, [a.spellings[dialect] for a in choices(kind, pfs=pfs)
                                            if a.spellings.get(dialect)])


# --- what each end accepts beyond algorithm names -------------------------------------------------

IKE_VERSIONS = ("ikev1", "ikev2")
IKE_MODES = ("main", "aggressive")  # IKEv1 only, on both ends
#: How the ER GUI's IKE对等体 page names the IKEv1 exchange modes (reference h3c §3).
ER_IKE_MODES: Mapping[str, str] = MappingProxyType({"main": "主模式", "aggressive": "野蛮模式"})

#: Inclusive lifetime ranges in seconds, per end.  Alibaba: IkeLifetime / IpsecLifetime 0–86400;
#: Comware: `ike proposal` `sa duration` 60–604800, policy `sa duration time-based` 180–604800.
#: Alibaba's 0 has no Comware equivalent, so the intersection is what a profile may ask for.
#: The ER GUI's ranges are not documented per build [≈]; the Comware V5 ranges (the ER's IPsec stack is
#: of that lineage) are assumed, so a profile never asks for a lifetime an ER could refuse more often.
IKE_LIFETIME_RANGES: Mapping[str, tuple[int, int]] = MappingProxyType(
    {"alibaba": (0, 86400), "comware7": (60, 604800), "comware5": (60, 604800),
     "er": (60, 604800), "er-legacy": (60, 604800)})
#: Comware V7 keeps the IKEv2 SA lifetime in the `ikev2 profile` (`sa duration` 120–86400 s, H3C/HPE
#: IKEv2 command reference), narrower than the IKEv1 proposal's.  V5 has no IKEv2.
IKEV2_LIFETIME_RANGES: Mapping[str, tuple[int, int]] = MappingProxyType(
    {"alibaba": (0, 86400), "comware7": (120, 86400)})
IPSEC_LIFETIME_RANGES: Mapping[str, tuple[int, int]] = MappingProxyType(
    {"alibaba": (0, 86400), "comware7": (180, 604800), "comware5": (180, 604800),
     "er": (180, 604800), "er-legacy": (180, 604800)})


def ike_lifetime_ranges(ike_version: str) -> Mapping[str, tuple[int, int]]:
    return IKEV2_LIFETIME_RANGES if ike_version == "ikev2" else IKE_LIFETIME_RANGES


def lifetime_range(ranges: Mapping[str, tuple[int, int]], platform: str) -> tuple[int, int]:
    """The range both Alibaba and the given Comware platform accept."""
    a_lo, a_hi = ranges["alibaba"]
    h_lo, h_hi = ranges[platform]
    return max(a_lo, h_lo), min(a_hi, h_hi)


@dataclass(frozen=True)
class PlatformDialects:
    """Which dialects a Comware platform uses for the IKE and the ESP side."""

    platform: str
    ike: Dialect  # IKEv1 proposal
    ikev2: Dialect | None  # None: the platform has no IKEv2
    esp: Dialect


PLATFORMS: Mapping[str, PlatformDialects] = MappingProxyType({
    "comware7": PlatformDialects("comware7", C7I, C7V2, C7E),
    "comware5": PlatformDialects("comware5", C5I, None, C5E),
    # Web-managed H3C ER/SOHO routers (reference h3c §3): no CLI, a GUI fill-in checklist instead.
    "er": PlatformDialects("er", ERI, None, ERE),
    "er-legacy": PlatformDialects("er-legacy", ERLI, None, ERLE),
})
#: Platforms configured through the ER web GUI (no Comware CLI over SSH).
ER_PLATFORMS = ("er", "er-legacy")
#: How people name each platform in messages.
PLATFORM_LABELS: Mapping[str, str] = MappingProxyType({
    "comware7": "Comware V7", "comware5": "Comware V5", "er": "H3C ER (web GUI)",
    "er-legacy": "H3C ER with older firmware (web GUI)"})


def is_er(platform: str) -> bool:
    """True for the web-managed ER platforms: they get a checklist, not CLI."""
    return platform in ER_PLATFORMS


def ike_dialect(platform: str, ike_version: str) -> Dialect:
    dialects = PLATFORMS[platform]
    if ike_version == "ikev2":
        if dialects.ikev2 is None:
            raise ValueError(f"{platform} has no IKEv2")
        return dialects.ikev2
    return dialects.ike


@dataclass(frozen=True)
class VocabularyRow:
    """One algorithm across every dialect: what the TUI shows side by side."""

    kind: Kind
    name: str
    label: str
    spellings: Mapping[Dialect, str]  # "" for "no line" (PFS none); missing = not available
    weak: bool


def vocabulary() -> list[VocabularyRow]:
    rows = []
    for kind in Kind:
        for alg in choices(kind, pfs=kind is Kind.DH):
            rows.append(VocabularyRow(kind, alg.name, alg.label, alg.spellings, alg.weak))
    return rows
