"""A simulated web-managed H3C ER for the embedded lab: GUI pages in, IPsec state out.

The lab's negotiation model (:mod:`vpnconsole.lab.negotiation`) evaluates a simulated Comware
router's live IPsec configuration.  An ER's IPsec stack is of the Comware V5 lineage (ike peer,
ipsec proposal, isakmp policy — the GUI pages map one to one), so the simulated ER *is* a
:class:`~vpnconsole.lab.h3c.SimulatedH3C` in the V5 dialect — but without an SSH server: its only
way in is :meth:`SimulatedER.submit`, a GUI page submitted with its fields in the router's own words.
Each submit validates the words against the ER firmware's option lists (``er`` or ``er-legacy``:
an older build refuses ``DH14 modp2048`` like its drop-down would not offer it), then rebuilds the
V5 configuration from all pages, so a wrong word entered on a page becomes a wrong line the
negotiation model fails on — with Alibaba's log saying why — exactly as on a real ER.

WAN ports: ``WAN1``, ``WAN2``… map to the simulated router's interfaces (``ports``).  Thread safety:
every method takes the router's lock (lock order of the lab: router → cloud → model).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Mapping

from vpnconsole import algorithms as alg
from vpnconsole.algorithms import Kind

#: The GUI pages an ER has for IPsec, by the key the lab uses (the checklist's page ids end in these).
PAGES = ("vif", "ike-proposal", "ike-peer", "ipsec-proposal", "policy")
_PROTOCOLS = {"ESP": "esp", "AH": "ah", "AH+ESP": "ah-esp"}
_ON, _OFF = "开启", "关闭"


class ErGuiError(ValueError):
    """What the ER's web GUI would refuse (an option it does not offer, a missing reference)."""


@dataclass
class SimulatedER:
    """The ER's GUI objects (page → object name → field → GUI word) on top of a V5 simulated router."""

    router: object  # vpnconsole.lab.h3c.SimulatedH3C, dialect v5
    platform: str = "er"  # er | er-legacy: which option lists the firmware has
    ports: Mapping[str, str] = field(default_factory=lambda: {"WAN1": "GigabitEthernet0/1"})
    pages: dict[str, dict[str, dict[str, str]]] = field(default_factory=lambda: {p: {} for p in PAGES})
    _undo: list[str] = field(default_factory=list)
    submits: int = 0

    def __post_init__(self) -> None:
        if not alg.is_er(self.platform):
            raise ValueError(f"{self.platform!r} is not an ER platform")
        self._ike, self._esp = alg.PLATFORMS[self.platform].ike, alg.PLATFORMS[self.platform].esp

    # -- the GUI -----------------------------------------------------------------------------------
    def submit(self, page: str, fields: Mapping[str, str]) -> None:
        """Add (or replace, by name) one object on ``page`` and commit the whole configuration."""
        if page not in PAGES:
            raise ErGuiError(f"the ER has no page {page!r}")
        name = (fields.get("name") or "").strip()
        if not name:
            raise ErGuiError(f"{page}: the name field is empty")
        self._validate(page, name, fields)
        with self.router.lock:  # type: ignore[attr-defined]
            previous = self.pages[page].get(name)
            self.pages[page][name] = {k: str(v) for k, v in fields.items()}
            try:
                self._commit()
            except ErGuiError:
                if previous is None:
                    self.pages[page].pop(name, None)
                else:
                    self.pages[page][name] = previous
                raise
            self.submits += 1

    def delete(self, page: str, name: str) -> bool:
        """Delete one object (what the GUI's 删除 does); False when there was none of that name."""
        with self.router.lock:  # type: ignore[attr-defined]
            gone = self.pages.get(page, {}).pop(name, None) is not None
            if gone:
                self._commit()
            return gone

    def clear(self) -> None:
        with self.router.lock:  # type: ignore[attr-defined]
            for objects in self.pages.values():
                objects.clear()
            self._commit()

    #: the drop-downs of each page: field → (kind, IKE side?, PFS?)
    _CHOICES = {"ike-proposal": {"enc": (Kind.ENCRYPTION, True, False), "auth": (Kind.INTEGRITY, True, False),
                                 "dh": (Kind.DH, True, False)},
                "ipsec-proposal": {"esp_enc": (Kind.ENCRYPTION, False, False),
                                   "esp_auth": (Kind.INTEGRITY, False, False)},
                "policy": {"pfs": (Kind.DH, False, True)}}

    def _validate(self, page: str, name: str, fields: Mapping[str, str]) -> None:
        """What the GUI refuses on submit: a word that is not on this firmware's drop-down."""
        for key, (kind, ike_side, pfs) in self._CHOICES.get(page, {}).items():
            if key in fields:
                self._alg(kind, str(fields[key]), f"{page} {name}", self._ike if ike_side else self._esp, pfs=pfs)
        if page == "ike-peer" and "mode" in fields and fields["mode"] not in alg.ER_IKE_MODES.values():
            raise ErGuiError(f"ike-peer {name}: no negotiation mode {fields['mode']!r} "
                             f"(the ER offers {', '.join(alg.ER_IKE_MODES.values())})")

    # -- words → V5 configuration ------------------------------------------------------------------
    def _alg(self, kind: Kind, word: str, where: str, dialect: alg.Dialect, *, pfs: bool = False) -> alg.Algorithm:
        try:
            return alg.from_spelling(kind, dialect, word, pfs=pfs)
        except alg.UnknownAlgorithm as exc:
            raise ErGuiError(f"{where}: the {alg.PLATFORM_LABELS[self.platform]} offers no {word!r} "
                             f"(it offers {', '.join(exc.allowed)})") from None

    def _lines(self) -> tuple[list[str], list[str]]:
        """(configuration lines, undo lines) for every complete object; incomplete ones are skipped,
        the way an ER simply does not use a policy whose peer does not exist."""
        lines: list[str] = []
        undo: list[str] = []
        vifs = self.pages["vif"]
        props = self.pages["ike-proposal"]
        peers = self.pages["ike-peer"]
        esps = self.pages["ipsec-proposal"]
        peer_ok: dict[str, str] = {}  # peer name → the interface its virtual interface is bound to
        c5i, c5e = alg.Dialect.COMWARE5_IKE, alg.Dialect.COMWARE5_ESP
        for n, (name, p) in enumerate(sorted(peers.items()), 1):
            vif = vifs.get(p.get("vif", ""))
            prop = props.get(p.get("proposal", ""))
            if vif is None or prop is None:
                continue
            itf = self.ports.get(vif.get("bind", "").upper())
            if itf is None:
                raise ErGuiError(f"virtual interface {vif['name']}: the ER has no port {vif.get('bind')!r} "
                                 f"(ports: {', '.join(self.ports)})")
            where = f"IKE安全提议 {prop['name']}"
            enc = self._alg(Kind.ENCRYPTION, prop.get("enc", ""), where, self._ike).spelling(c5i)
            auth = self._alg(Kind.INTEGRITY, prop.get("auth", ""), where, self._ike).spelling(c5i)
            dh = self._alg(Kind.DH, prop.get("dh", ""), where, self._ike).spelling(c5i)
            number = 900 + n
            lines += [f"ike proposal {number}", f" encryption-algorithm {enc}", f" authentication-algorithm {auth}",
                      " authentication-method pre-share", f" dh {dh}",
                      f" sa duration {_int(p.get('lifetime', '86400'), 'IKE对等体 生命周期')}", "quit"]
            undo.append(f"undo ike proposal {number}")
            dpd_on = p.get("dpd") == _ON
            if dpd_on:
                lines += [f"ike dpd {name}-dpd", f" interval-time {_int(p.get('dpd_interval', '10'), 'DPD')}",
                          f" time-out {_int(p.get('dpd_timeout', '30'), 'DPD')}", "quit"]
                undo.append(f"undo ike dpd {name}-dpd")
            modes = {v: k for k, v in alg.ER_IKE_MODES.items()}
            if p.get("mode") not in modes:
                raise ErGuiError(f"IKE对等体 {name}: no negotiation mode {p.get('mode')!r}")
            wan_address = self._address(itf)
            peer_lines = [f"ike peer {name}", f" exchange-mode {modes[p['mode']]}", f" proposal {number}",
                          f" pre-shared-key simple {p.get('psk', '')}", f" remote-address {p.get('peer_address')}",
                          f" local-address {wan_address}"]
            if p.get("local_id_type") == "IP地址" and p.get("local_id") == wan_address:
                peer_lines.append(" id-type ip")
            else:  # any other identity is sent as a name: Alibaba's RemoteId (an address) will not match it
                peer_lines.append(" id-type name")
                lines.append(f"ike local-name {p.get('local_id', '')[:32]}")
                undo.append("undo ike local-name")
            if p.get("nat") == _ON:
                peer_lines.append(" nat traversal")
            if dpd_on:
                peer_lines.append(f" dpd {name}-dpd")
            lines += peer_lines + ["quit"]
            undo.insert(0, f"undo ike peer {name}")
            peer_ok[name] = itf
        for name, e in sorted(esps.items()):
            where = f"IPsec安全提议 {name}"
            protocol = _PROTOCOLS.get(e.get("protocol", "").upper())
            if protocol is None:
                raise ErGuiError(f"{where}: no security protocol {e.get('protocol')!r}")
            enc = self._alg(Kind.ENCRYPTION, e.get("esp_enc", ""), where, self._esp).spelling(c5e)
            auth = self._alg(Kind.INTEGRITY, e.get("esp_auth", ""), where, self._esp).spelling(c5e)
            lines += [f"ipsec proposal {name}", f" transform {protocol}", " encapsulation-mode tunnel",
                      f" esp encryption-algorithm {enc}", f" esp authentication-algorithm {auth}", "quit"]
            undo.insert(0, f"undo ipsec proposal {name}")
        applied: dict[str, str] = {}  # interface → V5 policy name
        for n, (name, pol) in enumerate(sorted(self.pages["policy"].items()), 1):
            itf = peer_ok.get(pol.get("peer", ""))
            if itf is None or pol.get("proposal") not in esps or pol.get("negotiation") != "IKE协商":
                continue
            where = f"IPsec安全策略 {name}"
            local = _net(pol.get("local_subnet", ""), pol.get("local_mask", ""), where)
            peer_net = _net(pol.get("peer_subnet", ""), pol.get("peer_mask", ""), where)
            pfs = self._alg(Kind.DH, pol.get("pfs", ""), where, self._esp, pfs=True).spelling(c5e)
            acl = 3900 + n
            policy = f"ER-{itf.replace('/', '-')}"
            lines += [f"acl number {acl}",
                      f" rule 5 permit ip source {local.network_address} {local.hostmask} destination "
                      f"{peer_net.network_address} {peer_net.hostmask}", "quit",
                      f"ipsec policy {policy} {n * 10} isakmp", f" security acl {acl}", f" ike-peer {pol['peer']}",
                      f" proposal {pol['proposal']}"]
            if pfs:
                lines.append(f" pfs {pfs}")
            lines += [f" sa duration time-based {_int(pol.get('lifetime', '3600'), where)}", "quit"]
            undo.insert(0, f"undo ipsec policy {policy} {n * 10}")
            undo.append(f"undo acl number {acl}")
            applied[itf] = policy
        for itf, policy in applied.items():
            lines += [f"interface {itf}", f" ipsec policy {policy}", "quit"]
            undo[:0] = [f"interface {itf}", f" undo ipsec policy {policy}", "quit"]
        return lines, undo

    def _address(self, itf: str) -> str:
        for i in self.router.config.interfaces.values():  # type: ignore[attr-defined]
            if i.name == itf and i.ip:
                return i.ip[0]
        raise ErGuiError(f"the ER's port for {itf} has no address")

    def _commit(self) -> None:
        lines, undo = self._lines()
        out = self.router.run_config(self._undo) if self._undo else ""  # type: ignore[attr-defined]
        out = self.router.run_config(lines)  # type: ignore[attr-defined]
        if "% " in out:  # the V5 engine refused a line: a bug of this translation, not of the operator
            raise ErGuiError("the simulated ER could not take its configuration: "
                             + "; ".join(x.strip() for x in out.splitlines() if x.strip().startswith("%")))
        self._undo = undo


def _int(word: str, where: str) -> int:
    if not str(word).strip().isdigit():
        raise ErGuiError(f"{where}: {word!r} is not a number")
    return int(word)


def _net(ip: str, mask: str, where: str) -> ipaddress.IPv4Network:
    try:
        return ipaddress.IPv4Network(f"{ip}/{mask}")
    except ValueError as exc:
        raise ErGuiError(f"{where}: {ip}/{mask} is not a network ({exc})") from None


__all__ = ["ErGuiError", "PAGES", "SimulatedER"]
