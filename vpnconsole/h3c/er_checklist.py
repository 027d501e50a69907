"""The H3C ER web GUI as a fill-in checklist: what to enter, page by page, in the router's own words.

Web-managed ER/SOHO routers (ER2200G2, ER3200G2, ER5200G2…) have no Comware CLI over SSH
(reference h3c §3), so nothing can be pushed to them.  What the console *can* do is make the manual
entry mechanical: this module renders the profile into the exact sequence of the ER GUI's pages —
**虚接口 → IKE安全提议 → IKE对等体 → IPsec安全提议 → IPsec安全策略** — field by field, each value
spelled the way the router's drop-down spells it (``DH2 modp1024``, ``主模式``), Chinese label with
the English beside it, and the teardown sequence in reverse.

The profile stays the one source of truth, and the checklist is checked against it the same way
every other end is: :func:`read_back` parses the checklist's GUI words back into the canonical
:class:`~vpnconsole.params.VpnParams`, which ``diagnose.diff`` compares with what Alibaba is sent.
A wrong word on the list is therefore a named difference, not a tunnel that silently stays down.

Model: :class:`Checklist` → :class:`Page` → :class:`Step`; every step has a stable ``id``
(``t1.ike-peer.mode``) for ticking it off (:class:`ChecklistProgress`, persisted per lab and reset
when the checklist's content changes).  The PSK is a :class:`~vpnconsole.redact.Secret` inside its
step: shown as ``******`` unless ``reveal=True``.  No Textual, no I/O except the progress file.

Labels are the common ones of G2 firmware; exact wording varies by build [≈ reference h3c §3].
"""

from __future__ import annotations

import dataclasses
import hashlib
import ipaddress
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator

from vpnconsole import algorithms as alg
from vpnconsole.algorithms import Kind
from vpnconsole.params import IkeParams, IpsecParams, TunnelParams, VpnParams, canonical_subnets
from vpnconsole.redact import MASK, Secret

APPLY, TEARDOWN = "apply", "teardown"

#: GUI words for switches and fixed choices (reference h3c §3; [≈] per build).
ON, OFF = "开启", "关闭"
ID_TYPE_IP = "IP地址"
PROTOCOL_ESP = "ESP"
NEGOTIATION_IKE = "IKE协商"
#: DPD timers: Alibaba's are not user-set (reference h3c §7); these are the ER's usual values [≈].
DPD_INTERVAL, DPD_TIMEOUT = 10, 30

#: Where each page lives in the GUI menu [≈ G2 firmware].
MENU = "VPN → VPN设置"


class ChecklistError(ValueError):
    """The profile cannot be rendered as an ER checklist (not an ER, or gateway IPs unknown)."""


class ReadBackError(ValueError):
    """A checklist value is not something the ER GUI offers (``step_id`` names it)."""

    def __init__(self, step_id: str, message: str):
        self.step_id = step_id
        super().__init__(f"{step_id}: {message}")


@dataclass(frozen=True)
class Step:
    """One field of one GUI page: the value to pick or type, in the router's words."""

    id: str  # stable: "t1.ike-peer.mode"
    label_zh: str  # the GUI's label: "协商模式"
    label_en: str  # "Negotiation mode"
    value: str | Secret  # GUI words: "主模式", "DH2 modp1024"; the PSK as a Secret
    secret: bool = False
    note: str = ""  # why, or what to check

    def shown(self, reveal: bool = False) -> str:
        """The value as printed: a secret is masked unless ``reveal``."""
        if isinstance(self.value, Secret):
            return self.value.reveal() if reveal else MASK
        return self.value

    def hash_value(self) -> str:
        """What the content hash sees: a secret by its fingerprint, never itself."""
        return self.value.fingerprint if isinstance(self.value, Secret) else self.value


@dataclass(frozen=True)
class Page:
    """One GUI page (one object added or deleted there)."""

    id: str  # "t1.ike-peer", "ike-proposal", "teardown.ipsec-policy"
    title_zh: str  # "IKE对等体"
    title_en: str  # "IKE peer"
    action: str  # "新增 (Add)" / "删除 (Delete)"
    steps: tuple[Step, ...]
    tunnel: int | None = None  # 1-based tunnel number; None: shared by every tunnel
    cloud_ip: str | None = None  # the Alibaba address this page is for

    @property
    def menu(self) -> str:
        return f"{MENU} → {self.title_zh}"


@dataclass(frozen=True)
class Checklist:
    """Everything to do on the ER for one lab, in order."""

    lab: str
    platform: str  # er | er-legacy
    kind: str  # apply | teardown
    pages: tuple[Page, ...]
    cloud_ips: tuple[str, ...]  # master first
    notes: tuple[str, ...] = ()

    def steps(self) -> Iterator[Step]:
        for page in self.pages:
            yield from page.steps

    def step(self, step_id: str) -> Step:
        for s in self.steps():
            if s.id == step_id:
                return s
        raise KeyError(step_id)

    def value(self, step_id: str) -> str | Secret:
        return self.step(step_id).value

    @property
    def step_ids(self) -> tuple[str, ...]:
        return tuple(s.id for s in self.steps())

    def with_value(self, step_id: str, value: str | Secret) -> "Checklist":
        """A copy with one step's value replaced (what a typo on the router would look like)."""
        self.step(step_id)  # KeyError for an unknown id
        pages = tuple(dataclasses.replace(p, steps=tuple(dataclasses.replace(s, value=value) if s.id == step_id
                                                         else s for s in p.steps)) for p in self.pages)
        return dataclasses.replace(self, pages=pages)

    def content_hash(self) -> str:
        """``sha256:`` + 16 hex digits over kind, ids and values (the PSK by fingerprint only).

        Progress is reset when this changes: a tick means "this exact value was entered"."""
        data = [self.kind, self.platform, [(s.id, s.hash_value()) for s in self.steps()]]
        digest = hashlib.sha256(json.dumps(data, ensure_ascii=False).encode("utf-8")).hexdigest()
        return "sha256:" + digest[:16]

    def to_markdown(self, reveal: bool = False, done: Iterable[str] = ()) -> str:
        """The checklist for a change ticket; the PSK masked unless ``reveal``; ``done`` ids ticked."""
        ticked = set(done)
        what = "set-up" if self.kind == APPLY else "teardown"
        lines = [f"# H3C ER {what} checklist — lab `{self.lab}`", "",
                 f"- platform: {alg.PLATFORM_LABELS.get(self.platform, self.platform)}",
                 f"- Alibaba tunnel IPs: {', '.join(self.cloud_ips) or '(unknown)'}",
                 f"- checklist: {self.content_hash()} ({sum(1 for _ in self.steps())} steps)", ""]
        if self.kind == APPLY:
            lines.append("Enter these in the ER's web GUI, page by page, in this order. Values are the "
                         "router's own words; pick exactly them.")
        else:
            lines.append("Delete these in the ER's web GUI, in this order (policies before what they use).")
        lines.append("")
        for n, page in enumerate(self.pages, 1):
            where = f" — tunnel {page.tunnel} → {page.cloud_ip}" if page.tunnel else ""
            lines += [f"## {n}. {page.title_zh} ({page.title_en}){where}", "",
                      f"Menu: {page.menu} → {page.action}", "",
                      "| ✓ | 字段 | Field | Value | Step |", "|---|---|---|---|---|"]
            for s in page.steps:
                mark = "[x]" if s.id in ticked else "[ ]"
                value = s.shown(reveal).replace("|", "\\|")
                note = f" — {s.note}" if s.note else ""
                lines.append(f"| {mark} | {s.label_zh} | {s.label_en}{note} | `{value}` | `{s.id}` |")
            lines.append("")
        for note in self.notes:
            lines.append(f"> {note}")
        if self.notes:
            lines.append("")
        return "\n".join(lines)

    def script(self, reveal: bool = False) -> str:
        """Same as :meth:`to_markdown` (the name the CLI's plan printer calls)."""
        return self.to_markdown(reveal=reveal)


# --- names -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ErNames:
    """The names of what the checklist creates on the ER (all carry the lab name, so they are findable)."""

    lab: str

    @property
    def ike_proposal(self) -> str:
        return f"{self.lab}-ike"

    @property
    def ipsec_proposal(self) -> str:
        return f"{self.lab}-esp"

    def virtual_interface(self, tunnel: int) -> str:
        return f"ipsec{tunnel - 1}"

    def peer(self, tunnel: int) -> str:
        return f"{self.lab}-peer{tunnel}"

    def policy(self, tunnel: int, pair: int, pairs: int) -> str:
        return f"{self.lab}-pol{tunnel}" + (f"-{pair}" if pairs > 1 else "")


# --- rendering -------------------------------------------------------------------------------------

def _spell(kind: Kind, name: str, dialect: alg.Dialect, *, pfs: bool = False) -> str:
    a = alg.by_name(kind, name, pfs=pfs)
    if not a.available(dialect):
        raise ChecklistError(f"{a.label} is not offered by the {dialect.label}")
    return a.spelling(dialect)


def _s(page: str, key: str, zh: str, en: str, value: str | Secret, note: str = "") -> Step:
    return Step(f"{page}.{key}", zh, en, value, isinstance(value, Secret), note)


def _mask(net: ipaddress.IPv4Network) -> str:
    return str(net.netmask)


def _pairs(profile: Any) -> list[tuple[ipaddress.IPv4Network, ipaddress.IPv4Network]]:
    """(on-prem, cloud) subnet pairs: an ER policy holds one local and one peer subnet (reference h3c §3)."""
    onprem = [ipaddress.IPv4Network(n) for n in canonical_subnets(profile.onprem.subnets)]
    cloud = [ipaddress.IPv4Network(n) for n in canonical_subnets(profile.cloud.subnets)]
    return [(o, c) for o in onprem for c in cloud]


def _dialects(platform: str) -> tuple[alg.Dialect, alg.Dialect]:
    if not alg.is_er(platform):
        raise ChecklistError(f"platform {platform!r} is not a web-managed ER; render Comware CLI for it instead")
    d = alg.PLATFORMS[platform]
    return d.ike, d.esp


def _cloud_ips(profile: Any, cloud_ips: Iterable[str] | None) -> tuple[str, ...]:
    ips = tuple(cloud_ips if cloud_ips is not None else (profile.cloud.gateway_ips or ()))
    if not ips:
        raise ChecklistError("the VPN gateway's IPsec address is unknown: set cloud.gateway_ips in the profile "
                             "or let the console discover it first")
    return ips


def render_checklist(profile: Any, psk: Secret | None = None, *, cloud_ips: Iterable[str] | None = None
                     ) -> Checklist:
    """The set-up checklist for ``profile`` (platform er | er-legacy).

    ``psk``: the lab's PSK (masked unless revealed); None (a print-out without the key) puts a
    stand-in that says where to get it.  ``cloud_ips``: the gateway's tunnel IPs (master first) when the profile does not list them.
    One virtual interface, IKE peer and IPsec policy per Alibaba tunnel IP; the proposals are shared.
    """
    ike_d, esp_d = _dialects(profile.platform)
    ips = _cloud_ips(profile, cloud_ips)
    names = ErNames(profile.name)
    ike, ipsec = profile.ike, profile.ipsec
    if ike.version != "ikev1":
        raise ChecklistError("the ER's IKE pages speak IKEv1 only; set ike.version: ikev1")
    # Without the PSK (a masked print-out) a stand-in that says where the key is; never a usable key.
    psk_value: str | Secret = psk if psk is not None else Secret(
        f"(the lab's PSK: `vpnconsole render {profile.name} --end h3c --reveal`)", "psk")
    pairs = _pairs(profile)
    pages: list[Page] = []
    ike_page = Page("ike-proposal", "IKE安全提议", "IKE proposal", "新增 (Add)", (
        _s("ike-proposal", "name", "安全提议名称", "Proposal name", names.ike_proposal),
        _s("ike-proposal", "auth", "认证算法", "Authentication algorithm",
           _spell(Kind.INTEGRITY, ike.integrity, ike_d)),
        _s("ike-proposal", "enc", "加密算法", "Encryption algorithm", _spell(Kind.ENCRYPTION, ike.encryption, ike_d)),
        _s("ike-proposal", "dh", "DH组", "DH group", _spell(Kind.DH, ike.dh_group, ike_d)),
    ))
    esp_page = Page("ipsec-proposal", "IPsec安全提议", "IPsec proposal", "新增 (Add)", (
        _s("ipsec-proposal", "name", "安全提议名称", "Proposal name", names.ipsec_proposal),
        _s("ipsec-proposal", "protocol", "安全协议类型", "Security protocol", PROTOCOL_ESP,
           "Alibaba speaks ESP only"),
        _s("ipsec-proposal", "esp_auth", "ESP认证算法", "ESP authentication algorithm",
           _spell(Kind.INTEGRITY, ipsec.integrity, esp_d)),
        _s("ipsec-proposal", "esp_enc", "ESP加密算法", "ESP encryption algorithm",
           _spell(Kind.ENCRYPTION, ipsec.encryption, esp_d)),
    ))
    for n, ip in enumerate(ips, 1):
        vif = f"t{n}.vif"
        pages.append(Page(vif, "虚接口", "Virtual interface", "新增 (Add)", (
            _s(vif, "name", "虚接口名称", "Virtual interface", names.virtual_interface(n),
               "pick this one if free; the peer page must name the same"),
            _s(vif, "bind", "绑定接口", "Bound interface (WAN port)", profile.onprem.wan_interface),
            _s(vif, "wan_address", "WAN口地址 (核对)", "WAN port address (check only)", profile.onprem.public_ip,
               "the address Alibaba sees (its customer gateway); behind NAT the NAT's public address"),
            _s(vif, "description", "描述", "Description", f"vpnconsole {profile.name} tunnel {n}"),
        ), n, ip))
        if n == 1:
            pages.append(ike_page)
        peer = f"t{n}.ike-peer"
        steps = [
            _s(peer, "name", "对等体名称", "Peer name", names.peer(n)),
            _s(peer, "vif", "虚接口", "Virtual interface", names.virtual_interface(n)),
            _s(peer, "peer_address", "对端地址", "Peer address", ip, "Alibaba tunnel IP"),
            _s(peer, "mode", "协商模式", "Negotiation mode", alg.ER_IKE_MODES[ike.mode]),
            _s(peer, "proposal", "安全提议一", "IKE proposal 1", names.ike_proposal),
            _s(peer, "psk", "预共享密钥", "Pre-shared key", psk_value),
            _s(peer, "local_id_type", "本端ID类型", "Local ID type", ID_TYPE_IP),
            _s(peer, "local_id", "本端ID", "Local ID", profile.onprem.public_ip, "= Alibaba RemoteId"),
            _s(peer, "peer_id_type", "对端ID类型", "Peer ID type", ID_TYPE_IP),
            _s(peer, "peer_id", "对端ID", "Peer ID", ip, "= Alibaba LocalId"),
            _s(peer, "lifetime", "生命周期(秒)", "IKE SA lifetime (s)", str(ike.lifetime)),
            _s(peer, "dpd", "DPD", "Dead peer detection", ON if ike.dpd else OFF),
        ]
        if ike.dpd:
            steps += [_s(peer, "dpd_interval", "DPD检测间隔(秒)", "DPD interval (s)", str(DPD_INTERVAL)),
                      _s(peer, "dpd_timeout", "DPD超时时间(秒)", "DPD timeout (s)", str(DPD_TIMEOUT))]
        steps.append(_s(peer, "nat", "NAT穿越", "NAT traversal", ON if ike.nat_traversal else OFF))
        pages.append(Page(peer, "IKE对等体", "IKE peer", "新增 (Add)", tuple(steps), n, ip))
        if n == 1:
            pages.append(esp_page)
        for k, (onprem, cloud) in enumerate(pairs, 1):
            pol = f"t{n}.policy{k}"
            pages.append(Page(pol, "IPsec安全策略", "IPsec policy", "新增 (Add)", (
                _s(pol, "name", "策略名称", "Policy name", names.policy(n, k, len(pairs))),
                _s(pol, "local_subnet", "本地子网IP", "Local subnet", str(onprem.network_address),
                   "on-prem side = Alibaba RemoteSubnet"),
                _s(pol, "local_mask", "本地子网掩码", "Local subnet mask", _mask(onprem)),
                _s(pol, "peer_subnet", "对端子网IP", "Peer subnet", str(cloud.network_address),
                   "VPC side = Alibaba LocalSubnet"),
                _s(pol, "peer_mask", "对端子网掩码", "Peer subnet mask", _mask(cloud)),
                _s(pol, "negotiation", "协商类型", "Negotiation type", NEGOTIATION_IKE),
                _s(pol, "peer", "对等体", "IKE peer", names.peer(n)),
                _s(pol, "proposal", "安全提议", "IPsec proposal", names.ipsec_proposal),
                _s(pol, "pfs", "PFS", "Perfect forward secrecy", _spell(Kind.DH, ipsec.pfs, esp_d, pfs=True)),
                _s(pol, "lifetime", "生命周期(秒)", "IPsec SA lifetime (s)", str(ipsec.lifetime)),
            ), n, ip))
    notes = [
        "Every value must match exactly: Alibaba is configured from the same profile, and the console compares "
        "this list with what Alibaba was sent.",
        f"If your build does not add the route itself, add a static route for {', '.join(profile.cloud.subnets)} "
        f"out of {names.virtual_interface(1)} (路由设置 → 静态路由).",
        "Afterwards choose \"I have entered it\" in the console (or `vpnconsole apply --yes`): the tunnel state "
        "is then checked from the Alibaba side.",
    ]
    if psk is None:
        notes.insert(0, "The PSK is not part of this copy: print it with `--reveal` or read it in the console.")
    if len(ips) > 1:
        notes.append("Dual tunnel: both virtual interfaces are bound to the same WAN port; Alibaba sends through "
                     "the master and fails over to the slave.")
    return Checklist(profile.name, profile.platform, APPLY, tuple(pages), ips, tuple(notes))


def render_teardown_checklist(profile: Any, *, cloud_ips: Iterable[str] | None = None) -> Checklist:
    """What to delete on the ER, in the safe order: policies, IPsec proposal, peers, IKE proposal,
    virtual interfaces (each object only after everything that refers to it)."""
    _dialects(profile.platform)
    ips = tuple(cloud_ips if cloud_ips is not None else (profile.cloud.gateway_ips or ())) or ("?",)
    names = ErNames(profile.name)
    pairs = _pairs(profile)
    tunnels = range(1, len(ips) + 1)

    def page(pid: str, zh: str, en: str, objects: list[str]) -> Page:
        return Page(f"teardown.{pid}", zh, en, "删除 (Delete)", tuple(
            _s(f"teardown.{pid}", str(i), "删除", "Delete", name) for i, name in enumerate(objects, 1)))

    pages = (
        page("ipsec-policy", "IPsec安全策略", "IPsec policy",
             [names.policy(n, k, len(pairs)) for n in tunnels for k in range(1, len(pairs) + 1)]),
        page("ipsec-proposal", "IPsec安全提议", "IPsec proposal", [names.ipsec_proposal]),
        page("ike-peer", "IKE对等体", "IKE peer", [names.peer(n) for n in tunnels]),
        page("ike-proposal", "IKE安全提议", "IKE proposal", [names.ike_proposal]),
        page("vif", "虚接口", "Virtual interface", [names.virtual_interface(n) for n in tunnels]),
    )
    notes = ("Delete only these objects: anything else on the ER is not this lab's.",
             "Remove the static route to the cloud subnets too, if you added one.")
    return Checklist(profile.name, profile.platform, TEARDOWN, pages, ips if ips != ("?",) else (), notes)


# --- reading the checklist back --------------------------------------------------------------------

def _word(checklist: Checklist, step_id: str) -> str:
    value = checklist.value(step_id)
    if isinstance(value, Secret):
        raise ReadBackError(step_id, "is a secret, not a GUI word")
    return value.strip()


def _algorithm(checklist: Checklist, step_id: str, kind: Kind, dialect: alg.Dialect, *, pfs: bool = False) -> str:
    word = _word(checklist, step_id)
    try:
        return alg.from_spelling(kind, dialect, word, pfs=pfs).name
    except alg.UnknownAlgorithm as exc:
        raise ReadBackError(step_id, f"{word!r} is not an option of the {dialect.label}; it offers "
                                     f"{', '.join(exc.allowed)}") from None


def _seconds(checklist: Checklist, step_id: str) -> int:
    word = _word(checklist, step_id)
    if not word.isdigit():
        raise ReadBackError(step_id, f"{word!r} is not a number of seconds")
    return int(word)


def _switch(checklist: Checklist, step_id: str) -> bool:
    word = _word(checklist, step_id)
    if word not in (ON, OFF):
        raise ReadBackError(step_id, f"{word!r} is neither {ON} (on) nor {OFF} (off)")
    return word == ON


def _subnet(checklist: Checklist, ip_id: str, mask_id: str) -> str:
    ip, mask = _word(checklist, ip_id), _word(checklist, mask_id)
    try:
        return str(ipaddress.IPv4Network(f"{ip}/{mask}"))
    except ValueError as exc:
        raise ReadBackError(ip_id, f"{ip}/{mask} is not a network ({exc})") from None


def _mode(checklist: Checklist, step_id: str) -> str:
    word = _word(checklist, step_id)
    for mode, spelled in alg.ER_IKE_MODES.items():
        if word == spelled:
            return mode
    raise ReadBackError(step_id, f"{word!r} is not a negotiation mode; the ER offers "
                                 f"{', '.join(alg.ER_IKE_MODES.values())}")


def read_back(checklist: Checklist) -> VpnParams:
    """The checklist's values as canonical parameters (what the ER will hold once it is entered).

    Parsed from the GUI words alone — not from the profile — so a checklist value that would
    configure the router differently from Alibaba shows up in ``diagnose.diff``.  The PSK becomes its
    fingerprint.  Raises :class:`ReadBackError` for a word the ER does not offer.
    """
    if checklist.kind != APPLY:
        raise ReadBackError("(checklist)", "a teardown checklist configures nothing")
    ike_d, esp_d = _dialects(checklist.platform)
    ike_pid, esp_pid = "ike-proposal", "ipsec-proposal"
    tunnels: list[TunnelParams] = []
    onprem_subnets: set[str] = set()
    cloud_subnets: set[str] = set()
    n = 1
    while any(p.id == f"t{n}.ike-peer" for p in checklist.pages):
        peer = f"t{n}.ike-peer"
        dpd = _switch(checklist, f"{peer}.dpd")
        ike = IkeParams("ikev1", _mode(checklist, f"{peer}.mode"),
                        _algorithm(checklist, f"{ike_pid}.enc", Kind.ENCRYPTION, ike_d),
                        _algorithm(checklist, f"{ike_pid}.auth", Kind.INTEGRITY, ike_d),
                        _algorithm(checklist, f"{ike_pid}.dh", Kind.DH, ike_d),
                        _seconds(checklist, f"{peer}.lifetime"), dpd, _switch(checklist, f"{peer}.nat"))
        policies = [p for p in checklist.pages if p.id.startswith(f"t{n}.policy")]
        if not policies:
            raise ReadBackError(f"t{n}.policy1", "no IPsec policy for this tunnel")
        ipsec_values = set()
        for pol in policies:
            pfs = _algorithm(checklist, f"{pol.id}.pfs", Kind.DH, esp_d, pfs=True)
            ipsec_values.add(IpsecParams(_algorithm(checklist, f"{esp_pid}.esp_enc", Kind.ENCRYPTION, esp_d),
                                         _algorithm(checklist, f"{esp_pid}.esp_auth", Kind.INTEGRITY, esp_d),
                                         pfs, _seconds(checklist, f"{pol.id}.lifetime")))
            onprem_subnets.add(_subnet(checklist, f"{pol.id}.local_subnet", f"{pol.id}.local_mask"))
            cloud_subnets.add(_subnet(checklist, f"{pol.id}.peer_subnet", f"{pol.id}.peer_mask"))
        if len(ipsec_values) > 1:
            raise ReadBackError(policies[1].id, "the policies of one tunnel disagree on PFS or lifetime")
        psk = checklist.value(f"{peer}.psk")
        for id_type in (f"{peer}.local_id_type", f"{peer}.peer_id_type"):
            if _word(checklist, id_type) != ID_TYPE_IP:
                raise ReadBackError(id_type, f"only {ID_TYPE_IP} identities are rendered by the console")
        tunnels.append(TunnelParams(
            ike, ipsec_values.pop(), _word(checklist, f"t{n}.vif.wan_address"), _word(checklist, f"{peer}.peer_address"),
            _word(checklist, f"{peer}.local_id"), _word(checklist, f"{peer}.peer_id"),
            psk.fingerprint if isinstance(psk, Secret) else None))
        n += 1
    return VpnParams(tuple(tunnels), canonical_subnets(onprem_subnets), canonical_subnets(cloud_subnets))


# --- tick-off progress -----------------------------------------------------------------------------

@dataclass
class ChecklistProgress:
    """Which steps of a lab's checklist were ticked off; kept in the lab's state directory.

    A tick means "this exact value was entered on the router", so the ticks are dropped whenever the
    checklist's :meth:`Checklist.content_hash` changes (a profile edit, a new PSK, other gateway IPs).
    """

    lab: str
    kind: str
    checklist_hash: str
    step_ids: tuple[str, ...]
    done: set[str] = field(default_factory=set)
    path: Path | None = None
    was_reset: bool = False  # load() found ticks of another checklist and dropped them

    @staticmethod
    def file_for(lab: str, kind: str = APPLY) -> Path:
        from vpnconsole.paths import lab_state_dir

        return lab_state_dir(lab) / f"er-checklist-{kind}.json"

    @classmethod
    def load(cls, lab: str, checklist: Checklist) -> "ChecklistProgress":
        """The saved ticks for ``checklist`` (none when the file is missing, unreadable or for another
        version of the checklist)."""
        path = cls.file_for(lab, checklist.kind)
        progress = cls(lab, checklist.kind, checklist.content_hash(), checklist.step_ids, set(), path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return progress
        if not isinstance(data, dict):
            return progress
        if data.get("checklist_hash") != progress.checklist_hash:
            progress.was_reset = bool(data.get("done"))
            return progress
        progress.done = {s for s in data.get("done", []) if isinstance(s, str) and s in checklist.step_ids}
        return progress

    def tick(self, step_id: str) -> None:
        if step_id not in self.step_ids:
            raise KeyError(f"no step {step_id!r} in this checklist")
        self.done.add(step_id)

    def untick(self, step_id: str) -> None:
        self.done.discard(step_id)

    def toggle(self, step_id: str) -> bool:
        """Tick or untick; returns the new state."""
        if step_id in self.done:
            self.untick(step_id)
            return False
        self.tick(step_id)
        return True

    @property
    def remaining(self) -> tuple[str, ...]:
        return tuple(s for s in self.step_ids if s not in self.done)

    @property
    def complete(self) -> bool:
        return not self.remaining

    def reset(self) -> None:
        self.done.clear()

    def save(self) -> Path:
        """Write atomically (temp file + rename); the file holds ids and the hash, never a value."""
        path = self.path or self.file_for(self.lab, self.kind)
        data = {"lab": self.lab, "kind": self.kind, "checklist_hash": self.checklist_hash,
                "done": [s for s in self.step_ids if s in self.done]}
        from vpnconsole.paths import write_private_json

        write_private_json(path, data, indent=1)
        self.path = path
        return path


__all__ = ["APPLY", "TEARDOWN", "Checklist", "ChecklistError", "ChecklistProgress", "ErNames", "Page",
           "ReadBackError", "Step", "read_back", "render_checklist", "render_teardown_checklist"]
