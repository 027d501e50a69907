"""Profile → the Comware commands that build (or remove) the tunnel on the H3C.  Pure: no I/O.

Sources: ``h3c-comware-ipsec.md`` §1.2 (V7 sequence), §1.5 (NAT exemption), §1.8 (IKEv2), §2 (V5),
§4 (teardown order and ownership scoping); ``alibaba-vpn-api.md`` §4.3 (dual tunnel: one keychain,
IKE profile and policy entry per Alibaba IP, one ACL, one policy name).

Order of an apply plan (V7, IKEv1)::

    system-view
    acl advanced N            interesting traffic, one rule per onprem × cloud pair (ids 5, 10, …)
    ike proposal P            phase 1
    ike keychain  …KC<i>      PSK per Alibaba IP            ┐ per tunnel i = 1, 2
    ike profile   …IKEP<i>    identities, mode, DPD         ┘
    ipsec transform-set …TS   phase 2 (V7 has no ESP defaults: both algorithms set)
    ipsec policy …POL 10*i isakmp                             per tunnel
    acl advanced NAT          deny rules before the permit (only with onprem.nat_outbound_acl)
    ip route-static …         one per cloud subnet, description = the lab marker
    interface WAN             ipsec apply policy: LAST, the step that changes forwarding
    return
    save force

Names and numbers: :mod:`vpnconsole.h3c.naming`.  Render with ``config=`` (the router's parsed
``display current-configuration``) before sending: numbers then fit the live router and a re-apply
converges; without it the plan uses the lab's default numbers (fine for previews and empty routers).
"""

from __future__ import annotations

import ipaddress
from typing import Any, Iterable

from vpnconsole import algorithms as alg
from vpnconsole.algorithms import Dialect, Kind
from vpnconsole.h3c import naming
from vpnconsole.h3c.naming import LabNames, Numbers
from vpnconsole.h3c.plan import SYSTEM, USER, H3CPlan, Line, Manifest, Part, RenderError
from vpnconsole.params import canonical_subnets
from vpnconsole.psk import psk_problems
from vpnconsole.redact import Secret

__all__ = ["render_apply", "render_teardown", "render_script", "as_manifest", "RenderError", "H3CPlan", "Line", "Manifest",
           "DPD_INTERVAL", "DPD_RETRY", "IKEV2_LIFETIME_RANGE"]

PLATFORMS = ("comware7", "comware5")
DPD_INTERVAL = 10  # seconds between DPD probes (V7 `dpd interval 10 retry 3 periodic`)
DPD_RETRY = 3
V5_DPD_TIMEOUT = 5  # V5 `ike dpd`: time-out
PLACEHOLDER_PSK = "psk-not-shown"
#: `ikev2 profile` `sa duration` on Comware V7 (see algorithms.IKEV2_LIFETIME_RANGES).
IKEV2_LIFETIME_RANGE = alg.IKEV2_LIFETIME_RANGES["comware7"]


# --- line building ---------------------------------------------------------------------------------

class _Builder:
    """Tracks the view stack so every line knows the view it leaves the CLI in and its indentation."""

    def __init__(self) -> None:
        self.lines: list[Line] = []
        self.stack: list[str] = [USER]
        self.step = ""

    @property
    def depth(self) -> int:
        return max(len(self.stack) - 2, 0)  # system view = 0, a sub-view = 1, a nested view = 2

    def cmd(self, *parts: Part, undo: bool = False) -> None:
        self.lines.append(Line(tuple(parts), self.stack[-1], False, self.depth, self.step, undo))

    def enter(self, view: str, *parts: Part) -> None:
        indent = self.depth
        self.stack.append(view)
        self.lines.append(Line(tuple(parts), view, True, indent, self.step))

    def quit(self) -> None:
        self.stack.pop()
        self.lines.append(Line(("quit",), self.stack[-1], False, self.depth, self.step))

    def system_view(self) -> None:
        self.step = "system-view"
        self.stack = [USER, SYSTEM]
        self.lines.append(Line(("system-view",), SYSTEM, True, 0, self.step))

    def finish(self) -> None:
        self.step = "save"
        self.stack = [USER]
        self.lines.append(Line(("return",), USER, False, 0, self.step))
        self.lines.append(Line(("save force",), USER, False, 0, self.step))


# --- checks ------------------------------------------------------------------------------------------

def _platform(profile: Any, platform: str | None) -> str:
    platform = platform or profile.platform
    if platform not in PLATFORMS:
        raise RenderError(f"unknown platform {platform!r}; choose comware7 or comware5", "onprem.device.platform")
    return platform


def _spelling(kind: Kind, name: str, dialect: Dialect, path: str, *, pfs: bool = False) -> str:
    try:
        return alg.by_name(kind, name, pfs=pfs).spelling(dialect)
    except alg.UnknownAlgorithm as exc:
        raise RenderError(str(exc), path) from None
    except alg.UnsupportedAlgorithm as exc:
        offered = [a.name for a in alg.choices(kind, pfs=pfs) if a.available(dialect)]
        raise RenderError(f"{exc}; choose one of: {', '.join(offered)}", path) from None


def _check(profile: Any, platform: str, psk: Secret | None) -> None:
    ike, ipsec = profile.ike, profile.ipsec
    if ike.version not in alg.IKE_VERSIONS:
        raise RenderError(f"{ike.version!r} is not ikev1 or ikev2", "ike.version")
    if ike.version == "ikev2" and platform == "comware5":
        raise RenderError("Comware V5 has no IKEv2; use ikev1 or a Comware V7 router", "ike.version")
    if ike.version == "ikev1" and ike.mode not in alg.IKE_MODES:
        raise RenderError(f"{ike.mode!r} is not main or aggressive", "ike.mode")
    if ike.version == "ikev2" and ike.mode == "aggressive":
        raise RenderError("aggressive mode exists only in IKEv1", "ike.mode")
    if platform == "comware7" and not ike.nat_traversal:
        raise RenderError("Comware V7 negotiates NAT traversal automatically and cannot turn it off; "
                          "set nat_traversal: true", "ike.nat_traversal")
    for path, value, ranges in (("ike.lifetime", ike.lifetime, alg.IKE_LIFETIME_RANGES),
                                ("ipsec.lifetime", ipsec.lifetime, alg.IPSEC_LIFETIME_RANGES)):
        lo, hi = ranges[platform]
        if path == "ike.lifetime" and ike.version == "ikev2":
            lo, hi = IKEV2_LIFETIME_RANGE
        if not isinstance(value, int) or not lo <= value <= hi:
            what = "an IKEv2 profile" if path == "ike.lifetime" and ike.version == "ikev2" else "Comware"
            raise RenderError(f"{value} s is outside what {what} accepts ({lo}–{hi} s)", path)
    if not profile.onprem.subnets:
        raise RenderError("lists no network", "onprem.subnets")
    if not profile.cloud.subnets:
        raise RenderError("lists no network", "cloud.subnets")
    if len(profile.cloud.gateway_ips) > naming.MAX_TUNNELS:
        raise RenderError(f"lists {len(profile.cloud.gateway_ips)} addresses; a gateway has one or two",
                          "cloud.gateway_ips")
    if psk is not None:
        problems = psk_problems(psk.reveal())
        if problems:
            raise RenderError("the PSK cannot be typed on Comware: " + "; ".join(problems), "psk")


def _pairs(profile: Any) -> list[tuple[ipaddress.IPv4Network, ipaddress.IPv4Network]]:
    onprem = [ipaddress.IPv4Network(s) for s in canonical_subnets(profile.onprem.subnets)]
    cloud = [ipaddress.IPv4Network(s) for s in canonical_subnets(profile.cloud.subnets)]
    return [(o, c) for o in onprem for c in cloud]


def _net(net: ipaddress.IPv4Network) -> str:
    """``192.168.10.0 0.0.0.255``: address and wildcard mask (not a netmask)."""
    return f"{net.network_address} {net.hostmask}"


def _numbers(profile: Any, numbers: Numbers | None) -> Numbers:
    pairs = len(_pairs(profile))
    n = numbers or naming.numbers(profile.name, pairs)
    if n.acl not in naming.ACL_RANGE:
        raise RenderError(f"ACL {n.acl} is outside the reserved range 3950–3999", "numbers.acl")
    if n.ike_proposal not in naming.IKE_PROPOSAL_RANGE:
        raise RenderError(f"IKE proposal {n.ike_proposal} is outside the reserved range 950–999",
                          "numbers.ike_proposal")
    nat = profile.onprem.nat_outbound_acl
    if nat is not None:
        if nat == n.acl or nat in naming.ACL_RANGE:
            raise RenderError(f"ACL {nat} is in the range vpnconsole reserves for its own ACLs (3950–3999); "
                              "the NAT ACL must be another advanced ACL", "onprem.nat_outbound_acl")
        if len(n.nat_rule_ids) != pairs or len(set(n.nat_rule_ids)) != pairs:
            raise RenderError(f"{pairs} distinct NAT-exempt rule ids are needed, got {list(n.nat_rule_ids)}",
                              "numbers.nat_rule_ids")
    return n


def _routes(profile: Any) -> list[tuple[ipaddress.IPv4Network, str]]:
    via = profile.onprem.next_hop or profile.onprem.wan_interface
    return [(ipaddress.IPv4Network(s), via) for s in canonical_subnets(profile.cloud.subnets)]


# --- what the router already has (apply with config=) ----------------------------------------------

class _Live:
    """A parsed configuration of the router, seen from one lab: its own objects and everyone else's."""

    def __init__(self, profile: Any, platform: str, config: Any):
        self.config = config
        self.lab = profile.name
        self.platform = platform
        self.owned = _owned_from_config(profile, platform, config)

    def ours(self, obj: Any) -> bool:
        return obj is not None and naming.is_ours(obj, self.lab, platform=self.platform, config=self.config)

    def get(self, table: dict, name: str) -> Any:
        """Our existing object of that name (None when absent or not ours)."""
        obj = table.get(name.upper())
        return obj if self.ours(obj) else None

    def policy(self, name: str, seq: int) -> Any:
        obj = self.config.policies.get((name.upper(), seq))
        return obj if self.ours(obj) else None


def _numbers_from_config(profile: Any, platform: str, live: _Live) -> Numbers:
    """Our numbers as the router has them (re-apply keeps them), else free ones; NAT-exempt ids free in
    the live NAT ACL and below its first foreign permit."""
    config, lab = live.config, profile.name
    ours_acl = [a.number for a in config.acls.values() if a.number is not None and live.ours(a)]
    acl = min(ours_acl) if ours_acl else naming.acl_number(
        lab, {a.number for a in config.acls.values() if a.number is not None})
    ours_prop = [p.number for p in config.ike_proposals.values() if live.ours(p)]
    proposal = min(ours_prop) if ours_prop else naming.ike_proposal_number(lab, set(config.ike_proposals))
    pairs = len(_pairs(profile))
    nat = profile.onprem.nat_outbound_acl
    nat_ids: tuple[int, ...] = naming.choose_nat_rule_ids(pairs)
    if nat is not None:
        nat_acl = config.acl(nat)
        if nat_acl is not None:
            foreign = [r for r in nat_acl.rules.values() if not live.ours(r)]
            permits = [r.id for r in foreign if r.action == "permit"]
            try:
                nat_ids = naming.choose_nat_rule_ids(pairs, taken={r.id for r in foreign},
                                                     below=min(permits) if permits else None)
            except naming.NamingError as exc:
                raise RenderError(f"ACL {nat}: {exc}", "onprem.nat_outbound_acl") from None
    return Numbers(acl, proposal, nat_ids)


def _check_live(profile: Any, live: _Live, nm: LabNames) -> list[str]:
    notes: list[str] = []
    wan = live.config.interface(profile.onprem.wan_interface)
    if wan is not None and wan.applied_policy and not naming.is_our_name(wan.applied_policy, profile.name,
                                                                         "ipsec-policy"):
        raise RenderError(f"{wan.name} already applies IPsec policy {wan.applied_policy}; an interface carries one "
                          "IPv4 policy, and it is not vpnconsole's to replace", "onprem.wan_interface")
    nat = profile.onprem.nat_outbound_acl
    if wan is not None:
        if nat is None and wan.nat_acls:
            notes.append(f"{wan.name} does nat outbound with ACL {', '.join(map(str, wan.nat_acls))}: without "
                         "onprem.nat_outbound_acl the tunnel's traffic gets translated and never matches the policy")
        elif nat is not None and nat not in wan.nat_acls:
            notes.append(f"onprem.nat_outbound_acl is {nat} but {wan.name} does not do nat outbound with it")
    if nat is not None and live.config.acl(nat) is None:
        notes.append(f"ACL {nat} (onprem.nat_outbound_acl) does not exist on the router; it will be created")
    return notes


def _stale(desired: "_Owned", existing: "_Owned") -> "_Owned":
    """Our objects on the router that the new plan no longer builds."""
    def minus(have: list[str], want: list[str]) -> list[str]:
        wanted = {w.upper() for w in want}
        return [h for h in have if h.upper() not in wanted]

    s = _Owned()
    want_iface = {_iface(i) for i, _ in desired.bindings}
    s.bindings = [(i, p) for i, p in existing.bindings if _iface(i) not in want_iface]
    want_entries = {(n.upper(), q) for n, q in desired.entries}
    s.entries = [(n, q) for n, q in existing.entries if (n.upper(), q) not in want_entries]
    for attr in ("transform_sets", "ipsec_proposals", "ike_profiles", "ikev2_profiles", "ike_keychains",
                 "ikev2_keychains", "ikev2_policies", "ikev2_proposals", "ike_peers", "ike_dpds"):
        setattr(s, attr, minus(getattr(existing, attr), getattr(desired, attr)))
    s.ike_proposals = [p for p in existing.ike_proposals if p not in desired.ike_proposals]
    s.acls = [a for a in existing.acls if a not in desired.acls]
    want_nat = {acl: set(ids) for acl, ids in desired.nat_rules}
    s.nat_rules = [(acl, tuple(i for i in ids if i not in want_nat.get(acl, set())))
                   for acl, ids in existing.nat_rules]
    s.nat_rules = [(acl, ids) for acl, ids in s.nat_rules if ids]
    want_routes = {(d, n, _iface(v)) for d, n, v in desired.routes}
    s.routes = [r for r in existing.routes if (r[0], r[1], _iface(r[2])) not in want_routes]
    return s


def _iface(name: str) -> str:
    from vpnconsole.profile import canonical_interface

    return (canonical_interface(name) or name).upper()


# --- apply -------------------------------------------------------------------------------------------

def render_apply(profile: Any, psk: Secret | str, platform: str | None = None, *,
                 numbers: Numbers | None = None, config: Any = None) -> H3CPlan:
    """The complete ordered command list that builds the profile's tunnel(s) on the H3C.

    ``platform`` defaults to ``profile.platform``.  ``numbers`` overrides the lab's ACL, IKE proposal
    and NAT-exempt rule ids.  ``config`` — the router's parsed ``display current-configuration``
    (:func:`vpnconsole.h3c.parse.parse_config`) — makes the plan fit the live router: our existing
    numbers are kept and foreign ones avoided, NAT-exempt ids are chosen free and before the NAT ACL's
    first permit, a WAN that already carries someone else's policy is refused, and a re-apply converges
    (our objects the profile no longer asks for are removed; settings turned off get their ``undo``).
    Raises :class:`RenderError` naming the profile key when the profile cannot be rendered.
    """
    platform = _platform(profile, platform)
    if not isinstance(psk, Secret):
        psk = Secret(psk, "psk")
    _check(profile, platform, psk)
    if not profile.cloud.gateway_ips:
        raise RenderError("is empty: the Alibaba gateway's IPsec address is needed for the keychain, the IKE "
                          "profile and the policy's remote-address; discover it from the gateway or list it",
                          "cloud.gateway_ips")
    nm = naming.names(profile.name)
    live = _Live(profile, platform, config) if config is not None else None
    notes = _check_live(profile, live, nm) if live else []
    if live is not None and numbers is None:
        numbers = _numbers_from_config(profile, platform, live)
    n = _numbers(profile, numbers)
    build = _apply_v5 if platform == "comware5" else _apply_v7
    return build(profile, psk, n, live, notes)


def _acl_block(b: _Builder, profile: Any, n: Numbers, nm: LabNames, v5: bool, live: _Live | None) -> None:
    b.step = "acl"
    if v5:
        b.enter(f"acl-adv-{n.acl}", f"acl number {n.acl}")
    else:
        b.enter(f"acl-ipv4-adv-{n.acl}", f"acl advanced {n.acl}")
    b.cmd(f"description {nm.acl_description}")
    pairs = _pairs(profile)
    wanted = {i * naming.ACL_RULE_STEP for i in range(1, len(pairs) + 1)}
    existing = live.config.acl(n.acl) if live else None
    if existing is not None and live is not None and live.ours(existing):
        for rule_id in sorted(set(existing.rules) - wanted):
            b.cmd(f"undo rule {rule_id}", undo=True)
    for i, (onprem, cloud) in enumerate(pairs, start=1):
        b.cmd(f"rule {i * naming.ACL_RULE_STEP} permit ip source {_net(onprem)} destination {_net(cloud)}")
    b.quit()


def _ike_proposal_block(b: _Builder, profile: Any, n: Numbers, nm: LabNames, dialect: Dialect, v5: bool) -> None:
    ike = profile.ike
    b.step = "ike-proposal"
    b.enter(f"ike-proposal-{n.ike_proposal}", f"ike proposal {n.ike_proposal}")
    if not v5:
        b.cmd(f"description {nm.proposal_description}")
    b.cmd("encryption-algorithm " + _spelling(Kind.ENCRYPTION, ike.encryption, dialect, "ike.encryption"))
    b.cmd("authentication-algorithm " + _spelling(Kind.INTEGRITY, ike.integrity, dialect, "ike.integrity"))
    b.cmd("authentication-method pre-share")
    b.cmd("dh " + _spelling(Kind.DH, ike.dh_group, dialect, "ike.dh_group"))
    b.cmd(f"sa duration {ike.lifetime}")
    b.quit()


def _nat_block(b: _Builder, profile: Any, n: Numbers, nm: LabNames, v5: bool) -> None:
    nat = profile.onprem.nat_outbound_acl
    if nat is None:
        return
    b.step = "nat-exempt"
    if v5:
        b.enter(f"acl-adv-{nat}", f"acl number {nat}")
    else:
        b.enter(f"acl-ipv4-adv-{nat}", f"acl advanced {nat}")
    for rule_id, (onprem, cloud) in zip(n.nat_rule_ids, _pairs(profile)):
        b.cmd(f"rule {rule_id} deny ip source {_net(onprem)} destination {_net(cloud)}")
        b.cmd(f"rule {rule_id} comment {nm.nat_comment}")
    b.quit()


def _finish_apply(b: "_Builder", profile: Any, platform: str, n: Numbers, live: Any, nm: LabNames,
                  names: Any, entries: list, notes: list) -> H3CPlan:
    """The common tail of both dialects: stale objects, NAT exemption, routes, then the binding of
    the policy to the WAN interface last (the one step that changes forwarding), and the plan."""
    v5 = platform == "comware5"
    _stale_lines(b, profile, platform, n, live)
    _nat_block(b, profile, n, nm, v5=v5)
    _route_lines(b, profile, nm)

    wan = profile.onprem.wan_interface
    b.step = "apply"
    b.enter(wan, f"interface {wan}")
    # V7 binds with `ipsec apply policy`, V5 with `ipsec policy` in interface view.
    b.cmd(f"ipsec policy {nm.policy}" if v5 else f"ipsec apply policy {nm.policy}")
    b.quit()
    b.finish()
    return _plan(profile, platform, "apply", b, n, names, entries, notes=notes, live_checked=live is not None)


def _route_lines(b: _Builder, profile: Any, nm: LabNames) -> None:
    b.step = "route"
    for net, via in _routes(profile):
        b.cmd(f"ip route-static {net.network_address} {net.prefixlen} {via} description {nm.route_description}")


def _stale_lines(b: _Builder, profile: Any, platform: str, n: Numbers, live: _Live | None) -> None:
    """Remove what a previous apply of this lab built and this one no longer does (safe order)."""
    if live is None:
        return
    desired = _owned_from_profile(profile, platform, n, None)
    stale = _stale(desired, live.owned)
    _emit_removals(b, stale, platform == "comware5", step_prefix="stale-")


def _match_remote_cleanup(b: _Builder, existing: Any, ip: str, mask: str) -> None:
    """`undo match remote identity …` for identities other than the one this plan sets."""
    for kind, value, old_mask in list(getattr(existing, "match_remote", [])):
        if kind == "address" and value == ip and (old_mask or "") in (mask, "32", "255.255.255.255", ""):
            continue
        tail = f"address {value}" + (f" {old_mask}" if old_mask else "") if kind == "address" else f"{kind} {value}"
        b.cmd(f"undo match remote identity {tail}", undo=True)


def _apply_v7(profile: Any, psk: Secret, n: Numbers, live: _Live | None, notes: list[str]) -> H3CPlan:
    nm = naming.names(profile.name)
    ike, ipsec = profile.ike, profile.ipsec
    dialects = alg.PLATFORMS["comware7"]
    esp = dialects.esp
    tunnels = list(enumerate(profile.cloud.gateway_ips, start=1))
    public_ip = profile.onprem.public_ip
    names: list[tuple[str, str]] = []
    cfg = live.config if live else None

    b = _Builder()
    b.system_view()
    _acl_block(b, profile, n, nm, False, live)

    if ike.version == "ikev1":
        _ike_proposal_block(b, profile, n, nm, dialects.ike, v5=False)
        for i, ip in tunnels:
            b.step = f"ike-keychain:{i}"
            b.enter(f"ike-keychain-{nm.keychain(i)}", f"ike keychain {nm.keychain(i)}")
            old = live.get(cfg.ike_keychains, nm.keychain(i)) if live else None
            for key in (old.keys if old else []):
                if key.address and key.address != ip:
                    b.cmd(f"undo pre-shared-key address {key.address}" + (f" {key.mask}" if key.mask else ""),
                          undo=True)
            b.cmd(f"pre-shared-key address {ip} 255.255.255.255 key simple ", psk)
            b.quit()
            names.append(("ike-keychain", nm.keychain(i)))
        for i, ip in tunnels:
            b.step = f"ike-profile:{i}"
            b.enter(f"ike-profile-{nm.ike_profile(i)}", f"ike profile {nm.ike_profile(i)}")
            old = live.get(cfg.ike_profiles, nm.ike_profile(i)) if live else None
            b.cmd(f"keychain {nm.keychain(i)}")
            b.cmd(f"exchange-mode {ike.mode}")
            b.cmd(f"local-identity address {public_ip}")
            if old is not None:
                _match_remote_cleanup(b, old, ip, "255.255.255.255")
            b.cmd(f"match remote identity address {ip} 255.255.255.255")
            b.cmd(f"proposal {n.ike_proposal}")
            if ike.dpd:
                b.cmd(f"dpd interval {DPD_INTERVAL} retry {DPD_RETRY} periodic")
            elif old is not None and old.dpd is not None:
                b.cmd("undo dpd", undo=True)
            b.quit()
            names.append(("ike-profile", nm.ike_profile(i)))
    else:
        v2 = dialects.ikev2
        assert v2 is not None
        b.step = "ikev2-proposal"
        b.enter(f"ikev2-proposal-{nm.ikev2_proposal}", f"ikev2 proposal {nm.ikev2_proposal}")
        b.cmd("encryption " + _spelling(Kind.ENCRYPTION, ike.encryption, v2, "ike.encryption"))
        integrity = _spelling(Kind.INTEGRITY, ike.integrity, v2, "ike.integrity")
        b.cmd(f"integrity {integrity}")
        b.cmd(f"prf {integrity}")
        b.cmd("dh " + _spelling(Kind.DH, ike.dh_group, v2, "ike.dh_group"))
        b.quit()
        names.append(("ikev2-proposal", nm.ikev2_proposal))
        b.step = "ikev2-policy"
        b.enter(f"ikev2-policy-{nm.ikev2_policy}", f"ikev2 policy {nm.ikev2_policy}")
        b.cmd(f"proposal {nm.ikev2_proposal}")
        b.quit()
        names.append(("ikev2-policy", nm.ikev2_policy))
        for i, ip in tunnels:
            kc, peer = nm.ikev2_keychain(i), nm.ikev2_peer(i)
            b.step = f"ikev2-keychain:{i}"
            b.enter(f"ikev2-keychain-{kc}", f"ikev2 keychain {kc}")
            old = live.get(cfg.ikev2_keychains, kc) if live else None
            for stale_peer in (p.name for p in (old.peers.values() if old else []) if p.name.upper() != peer.upper()):
                b.cmd(f"undo peer {stale_peer}", undo=True)
            b.enter(f"ikev2-keychain-{kc}-peer-{peer}", f"peer {peer}")
            b.cmd(f"address {ip} 32")
            b.cmd(f"identity address {ip}")
            b.cmd("pre-shared-key plaintext ", psk)
            b.quit()
            b.quit()
            names.append(("ikev2-keychain", kc))
        for i, ip in tunnels:
            prof = nm.ikev2_profile(i)
            b.step = f"ikev2-profile:{i}"
            b.enter(f"ikev2-profile-{prof}", f"ikev2 profile {prof}")
            old = live.get(cfg.ikev2_profiles, prof) if live else None
            b.cmd("authentication-method local pre-share")
            b.cmd("authentication-method remote pre-share")
            b.cmd(f"keychain {nm.ikev2_keychain(i)}")
            b.cmd(f"identity local address {public_ip}")
            if old is not None:
                _match_remote_cleanup(b, old, ip, "32")
            b.cmd(f"match remote identity address {ip} 32")
            b.cmd(f"sa duration {ike.lifetime}")
            if ike.dpd:
                b.cmd(f"dpd interval {DPD_INTERVAL} periodic")
            elif old is not None and old.dpd is not None:
                b.cmd("undo dpd", undo=True)
            b.quit()
            names.append(("ikev2-profile", prof))

    b.step = "transform-set"
    b.enter(f"ipsec-transform-set-{nm.transform_set}", f"ipsec transform-set {nm.transform_set}")
    b.cmd("protocol esp")
    b.cmd("encapsulation-mode tunnel")
    b.cmd("esp encryption-algorithm " + _spelling(Kind.ENCRYPTION, ipsec.encryption, esp, "ipsec.encryption"))
    b.cmd("esp authentication-algorithm " + _spelling(Kind.INTEGRITY, ipsec.integrity, esp, "ipsec.integrity"))
    pfs = _spelling(Kind.DH, ipsec.pfs, esp, "ipsec.pfs", pfs=True)
    old_ts = live.get(cfg.transform_sets, nm.transform_set) if live else None
    if pfs:
        b.cmd(f"pfs {pfs}")
    elif old_ts is not None and old_ts.pfs:
        b.cmd("undo pfs", undo=True)
    b.quit()
    names.append(("transform-set", nm.transform_set))

    entries: list[tuple[str, int]] = []
    for i, ip in tunnels:
        seq = 10 * i
        b.step = f"ipsec-policy:{i}"
        b.enter(f"ipsec-policy-isakmp-{nm.policy}-{seq}", f"ipsec policy {nm.policy} {seq} isakmp")
        old = live.policy(nm.policy, seq) if live else None
        b.cmd(f"description {nm.policy_description(i)}")
        b.cmd(f"security acl {n.acl}")
        b.cmd(f"transform-set {nm.transform_set}")
        b.cmd(f"remote-address {ip}")
        if ike.version == "ikev1":
            if old is not None and old.ikev2_profile:
                b.cmd("undo ikev2-profile", undo=True)
            b.cmd(f"ike-profile {nm.ike_profile(i)}")
        else:
            if old is not None and old.ike_profile:
                b.cmd("undo ike-profile", undo=True)
            b.cmd(f"ikev2-profile {nm.ikev2_profile(i)}")
        b.cmd(f"sa duration time-based {ipsec.lifetime}")
        b.quit()
        entries.append((nm.policy, seq))

    return _finish_apply(b, profile, "comware7", n, live, nm, names, entries, notes)


def _apply_v5(profile: Any, psk: Secret, n: Numbers, live: _Live | None, notes: list[str]) -> H3CPlan:
    nm = naming.names(profile.name)
    ike, ipsec = profile.ike, profile.ipsec
    dialects = alg.PLATFORMS["comware5"]
    esp = dialects.esp
    tunnels = list(enumerate(profile.cloud.gateway_ips, start=1))
    names: list[tuple[str, str]] = []
    cfg = live.config if live else None

    b = _Builder()
    b.system_view()
    _acl_block(b, profile, n, nm, True, live)
    _ike_proposal_block(b, profile, n, nm, dialects.ike, v5=True)
    if ike.dpd:
        b.step = "ike-dpd"
        b.enter(f"ike-dpd-{nm.ike_dpd}", f"ike dpd {nm.ike_dpd}")
        b.cmd(f"interval-time {DPD_INTERVAL}")
        b.cmd(f"time-out {V5_DPD_TIMEOUT}")
        b.quit()
        names.append(("ike-dpd", nm.ike_dpd))
    for i, ip in tunnels:
        peer = nm.ike_peer(i)
        b.step = f"ike-peer:{i}"
        b.enter(f"ike-peer-{peer}", f"ike peer {peer}")
        old = live.get(cfg.ike_peers, peer) if live else None
        b.cmd(f"exchange-mode {ike.mode}")
        b.cmd(f"proposal {n.ike_proposal}")
        b.cmd("pre-shared-key simple ", psk)
        b.cmd(f"remote-address {ip}")
        # V5 has no local-identity: with id-type ip the identity sent is the local address.
        b.cmd(f"local-address {profile.onprem.public_ip}")
        if ike.nat_traversal:
            b.cmd("nat traversal")
        elif old is not None and old.nat_traversal:
            b.cmd("undo nat traversal", undo=True)
        if ike.dpd:
            b.cmd(f"dpd {nm.ike_dpd}")
        elif old is not None and old.dpd:
            b.cmd("undo dpd", undo=True)
        b.quit()
        names.append(("ike-peer", peer))

    b.step = "ipsec-proposal"
    b.enter(f"ipsec-proposal-{nm.ipsec_proposal}", f"ipsec proposal {nm.ipsec_proposal}")
    b.cmd("transform esp")
    b.cmd("encapsulation-mode tunnel")
    b.cmd("esp encryption-algorithm " + _spelling(Kind.ENCRYPTION, ipsec.encryption, esp, "ipsec.encryption"))
    b.cmd("esp authentication-algorithm " + _spelling(Kind.INTEGRITY, ipsec.integrity, esp, "ipsec.integrity"))
    b.quit()
    names.append(("ipsec-proposal", nm.ipsec_proposal))

    pfs = _spelling(Kind.DH, ipsec.pfs, esp, "ipsec.pfs", pfs=True)
    entries: list[tuple[str, int]] = []
    for i, _ip in tunnels:
        seq = 10 * i
        b.step = f"ipsec-policy:{i}"
        b.enter(f"ipsec-policy-isakmp-{nm.policy}-{seq}", f"ipsec policy {nm.policy} {seq} isakmp")
        old = live.policy(nm.policy, seq) if live else None
        b.cmd(f"security acl {n.acl}")
        b.cmd(f"ike-peer {nm.ike_peer(i)}")
        b.cmd(f"proposal {nm.ipsec_proposal}")
        if pfs:
            b.cmd(f"pfs {pfs}")
        elif old is not None and old.pfs:
            b.cmd("undo pfs", undo=True)
        b.cmd(f"sa duration time-based {ipsec.lifetime}")
        b.quit()
        entries.append((nm.policy, seq))

    return _finish_apply(b, profile, "comware5", n, live, nm, names, entries, notes)


def _plan(profile: Any, platform: str, action: str, b: _Builder, n: Numbers | None,
          names: Iterable[tuple[str, str]], entries: Iterable[tuple[str, int]],
          routes: Iterable[tuple[str, int, str]] | None = None, nat_acl: int | None = None,
          nat_rule_ids: tuple[int, ...] | None = None, interface: str | None = None,
          acl: int | None = None, ike_proposal: int | None = None, notes: Iterable[str] = (),
          live_checked: bool = True) -> H3CPlan:
    if routes is None:
        routes = [(str(net.network_address), net.prefixlen, via) for net, via in _routes(profile)]
    if nat_acl is None and nat_rule_ids is None:
        nat_acl = profile.onprem.nat_outbound_acl
        nat_rule_ids = tuple(n.nat_rule_ids) if (n and nat_acl is not None) else ()
    use_ike_proposal = profile.ike.version == "ikev1" or platform == "comware5"
    manifest = Manifest(
        lab=profile.name, platform=platform, ike_version=profile.ike.version,
        acl=acl if acl is not None else (n.acl if n else None),
        ike_proposal=ike_proposal if ike_proposal is not None else (
            n.ike_proposal if n and use_ike_proposal else None),
        names=tuple(names), policy_entries=tuple(entries),
        interface=interface if interface is not None else profile.onprem.wan_interface,
        nat_acl=nat_acl, nat_rule_ids=tuple(nat_rule_ids or ()), routes=tuple(routes))
    all_notes = list(notes)
    if action == "apply" and not live_checked:
        all_notes.append("rendered without the router's configuration: the ACL, IKE proposal and NAT rule numbers "
                         "are this lab's defaults; render with config= before sending so they cannot collide")
    if action == "apply":
        if profile.onprem.nat_outbound_acl is not None:
            all_notes.append(f"NAT-exempt rules {', '.join(map(str, manifest.nat_rule_ids))} go into ACL "
                             f"{profile.onprem.nat_outbound_acl}; they must be free there and sort before its first "
                             "permit (rendering with the router's configuration checks that), then "
                             "`reset nat session`")
        if not profile.onprem.next_hop:
            all_notes.append(f"no onprem.next_hop: routes to the cloud subnets point at {profile.onprem.wan_interface}")
        if platform == "comware5":
            all_notes.append("Comware V5 has no local-identity: the ike peer pins local-address to onprem.public_ip, "
                             "which must be an address of the router")
    return H3CPlan(profile.name, platform, action, tuple(b.lines), manifest, tuple(all_notes))


# --- teardown ----------------------------------------------------------------------------------------

def render_teardown(profile: Any, platform: str | None = None, *, config: Any = None,
                    numbers: Numbers | None = None, manifest: Manifest | None = None) -> H3CPlan:
    """The commands that remove what :func:`render_apply` builds, in the safe order of §4.1.

    Without ``config`` the plan removes what the profile would create (``manifest`` from the apply, if
    given, supplies the numbers, NAT rule ids and routes actually used).  With ``config`` (a parsed
    ``display current-configuration``, :class:`vpnconsole.h3c.parse.H3CConfig`) it removes exactly the
    objects found there that pass the ownership check of :mod:`~vpnconsole.h3c.naming` — our names,
    our numbers with our markers, our NAT-exempt rule ids only, our routes — and nothing else.

    With ``config`` AND ``manifest`` (the record :meth:`H3CEnd.apply` keeps, a :class:`Manifest` or its
    ``as_dict()`` form) it removes only objects that are BOTH recorded in the manifest AND recognisable
    on the router.  An object that carries this lab's name or marker but was not recorded, and a
    recorded one that no longer carries them (renamed or reused), are left in place, each with a note.
    """
    platform = _platform(profile, platform)
    naming.check_lab(profile.name)
    if config is not None:
        owned = _owned_from_config(profile, platform, config)
        if manifest is not None:
            owned = _scope_to_manifest(profile, platform, config, owned, as_manifest(manifest))
    else:
        owned = _owned_from_profile(profile, platform, numbers, as_manifest(manifest) if manifest is not None
                                    else None)
    if config is None:
        owned.notes.append("rendered from the profile alone: before sending, re-read the router and render with "
                           "config= so only objects carrying this lab's names and markers are removed")
    return _teardown(profile, platform, owned)


class _Owned:
    def __init__(self) -> None:
        self.bindings: list[tuple[str, str]] = []  # (interface, policy)
        self.entries: list[tuple[str, int]] = []
        self.transform_sets: list[str] = []
        self.ipsec_proposals: list[str] = []  # V5
        self.ike_profiles: list[str] = []
        self.ikev2_profiles: list[str] = []
        self.ike_keychains: list[str] = []
        self.ikev2_keychains: list[str] = []
        self.ikev2_policies: list[str] = []
        self.ikev2_proposals: list[str] = []
        self.ike_peers: list[str] = []  # V5
        self.ike_dpds: list[str] = []  # V5
        self.ike_proposals: list[int] = []
        self.acls: list[int] = []
        self.nat_rules: list[tuple[int, tuple[int, ...]]] = []  # (acl, rule ids)
        self.routes: list[tuple[str, int, str]] = []  # (destination, length, next hop / interface)
        self.notes: list[str] = []


def _owned_from_profile(profile: Any, platform: str, numbers: Numbers | None, manifest: Manifest | None) -> _Owned:
    nm = naming.names(profile.name)
    o = _Owned()
    count = max(1, min(len(profile.cloud.gateway_ips), naming.MAX_TUNNELS))
    tunnels = range(1, count + 1)
    if manifest is not None:
        acl, proposal = manifest.acl, manifest.ike_proposal
        nat_acl, nat_ids = manifest.nat_acl, tuple(manifest.nat_rule_ids)
        routes = list(manifest.routes)
        interface = manifest.interface or profile.onprem.wan_interface
    else:
        n = numbers or naming.numbers(profile.name, len(_pairs(profile)))
        acl, proposal = n.acl, n.ike_proposal
        nat_acl = profile.onprem.nat_outbound_acl
        nat_ids = tuple(n.nat_rule_ids)
        routes = [(str(net.network_address), net.prefixlen, via) for net, via in _routes(profile)]
        interface = profile.onprem.wan_interface
    o.bindings.append((interface, nm.policy))
    o.entries = [(nm.policy, 10 * i) for i in tunnels]
    if platform == "comware5":
        o.ipsec_proposals.append(nm.ipsec_proposal)
        o.ike_peers = [nm.ike_peer(i) for i in tunnels]
        if profile.ike.dpd:
            o.ike_dpds.append(nm.ike_dpd)
        if proposal is not None:
            o.ike_proposals.append(proposal)
    else:
        o.transform_sets.append(nm.transform_set)
        if profile.ike.version == "ikev2":
            o.ikev2_profiles = [nm.ikev2_profile(i) for i in tunnels]
            o.ikev2_keychains = [nm.ikev2_keychain(i) for i in tunnels]
            o.ikev2_policies.append(nm.ikev2_policy)
            o.ikev2_proposals.append(nm.ikev2_proposal)
        else:
            o.ike_profiles = [nm.ike_profile(i) for i in tunnels]
            o.ike_keychains = [nm.keychain(i) for i in tunnels]
            if proposal is not None:
                o.ike_proposals.append(proposal)
    if acl is not None:
        o.acls.append(acl)
    if nat_acl is not None and nat_ids:
        o.nat_rules.append((nat_acl, nat_ids))
    o.routes = routes
    return o


def _owned_from_config(profile: Any, platform: str, config: Any) -> _Owned:
    lab = profile.name
    o = _Owned()

    def ours(obj: Any) -> bool:
        return naming.is_ours(obj, lab, platform=platform, config=config)

    policies = config.policies
    our_entries = sorted(key for key, pol in policies.items() if ours(pol))
    foreign_under_ours = sorted(key for key, pol in policies.items()
                                if naming.is_our_name(pol.name, lab, "ipsec-policy") and not ours(pol))
    for iface in config.interfaces.values():
        if iface.applied_policy and ours(iface):
            if foreign_under_ours:
                o.notes.append(f"{iface.name} keeps policy {iface.applied_policy} applied: it also holds entries "
                               f"without our marker ({', '.join(str(s) for _, s in foreign_under_ours)})")
            else:
                o.bindings.append((iface.name, iface.applied_policy))
    o.entries = [(policies[key].name, key[1]) for key in our_entries]
    o.transform_sets = [t.name for t in config.transform_sets.values() if ours(t)]
    o.ipsec_proposals = [p.name for p in config.ipsec_proposals.values() if ours(p)]
    o.ike_profiles = [p.name for p in config.ike_profiles.values() if ours(p)]
    o.ikev2_profiles = [p.name for p in config.ikev2_profiles.values() if ours(p)]
    o.ike_keychains = [k.name for k in config.ike_keychains.values() if ours(k)]
    o.ikev2_keychains = [k.name for k in config.ikev2_keychains.values() if ours(k)]
    o.ikev2_policies = [p.name for p in config.ikev2_policies.values() if ours(p)]
    o.ikev2_proposals = [p.name for p in config.ikev2_proposals.values() if ours(p)]
    o.ike_peers = [p.name for p in config.ike_peers.values() if ours(p)]
    o.ike_dpds = [d.name for d in config.ike_dpds.values() if ours(d)]
    o.ike_proposals = sorted(p.number for p in config.ike_proposals.values() if ours(p))
    our_acls = [a for a in config.acls.values() if ours(a)]
    o.acls = sorted(a.number for a in our_acls)
    for a in config.acls.values():
        if a in our_acls or a.number is None:
            continue
        ids = tuple(sorted(r.id for r in a.rules.values() if ours(r)))
        if ids:
            o.nat_rules.append((a.number, ids))
    o.routes = [(r.destination, r.length, r.next_hop or r.interface) for r in config.routes
                if ours(r) and (r.next_hop or r.interface)]
    return o


def as_manifest(data: Any) -> Manifest:
    """A :class:`Manifest`, from itself or from its ``as_dict()`` form (the JSON file of the device layer)."""
    if isinstance(data, Manifest):
        return data
    if not isinstance(data, dict):
        raise TypeError(f"not a manifest: {type(data).__name__}")

    def num(value: Any) -> int | None:
        return int(value) if isinstance(value, (int, str)) and str(value).isdigit() else None

    return Manifest(
        lab=str(data.get("lab") or ""), platform=str(data.get("platform") or ""),
        ike_version=str(data.get("ike_version") or ""), acl=num(data.get("acl")),
        ike_proposal=num(data.get("ike_proposal")),
        names=tuple((str(k), str(n)) for k, n in data.get("names") or ()),
        policy_entries=tuple((str(n), int(q)) for n, q in data.get("policy_entries") or ()),
        interface=data.get("interface") or None, nat_acl=num(data.get("nat_acl")),
        nat_rule_ids=tuple(int(i) for i in data.get("nat_rule_ids") or ()),
        routes=tuple((str(d), int(n), str(v)) for d, n, v in data.get("routes") or ()))


_NAME_TABLES = (  # (_Owned attribute, manifest kind, H3CConfig table)
    ("transform_sets", "transform-set", "transform_sets"), ("ipsec_proposals", "ipsec-proposal", "ipsec_proposals"),
    ("ike_profiles", "ike-profile", "ike_profiles"), ("ikev2_profiles", "ikev2-profile", "ikev2_profiles"),
    ("ike_keychains", "ike-keychain", "ike_keychains"), ("ikev2_keychains", "ikev2-keychain", "ikev2_keychains"),
    ("ikev2_policies", "ikev2-policy", "ikev2_policies"), ("ikev2_proposals", "ikev2-proposal", "ikev2_proposals"),
    ("ike_peers", "ike-peer", "ike_peers"), ("ike_dpds", "ike-dpd", "ike_dpds"))

_UNRECORDED = ("carries this lab's marker but this console did not record creating it; left in place — remove it "
               "by hand or re-apply to adopt it")
_UNMARKED = ("is in this console's manifest but no longer carries this lab's name and marker (renamed or reused?); "
             "left in place — check it and remove it by hand if it is no longer needed")


def _scope_to_manifest(profile: Any, platform: str, config: Any, o: _Owned, m: Manifest) -> _Owned:
    """What the router shows as ours (``o``), cut down to what the manifest records; notes for the rest."""
    lab = profile.name
    s = _Owned()
    s.notes = list(o.notes)

    def ours(obj: Any) -> bool:
        return obj is not None and naming.is_ours(obj, lab, platform=platform, config=config)

    def unrecorded(what: str) -> None:
        s.notes.append(f"{what} {_UNRECORDED}")

    def unmarked(what: str) -> None:
        s.notes.append(f"{what} {_UNMARKED}")

    if m.lab and m.lab != lab:  # never the case for a per-lab state dir; refuse to act on someone else's record
        s.notes.append(f"the manifest belongs to lab {m.lab!r}, not {lab!r}: nothing removed")
        return s

    # named objects
    recorded_names = {(kind, name.upper()) for kind, name in m.names}
    for attr, kind, table in _NAME_TABLES:
        for name in getattr(o, attr):
            if (kind, name.upper()) in recorded_names:
                getattr(s, attr).append(name)
            else:
                unrecorded(f"{name} ({kind})")
        live = getattr(config, table, {})
        for k, name in m.names:
            if k == kind:
                obj = live.get(name.upper())
                if obj is not None and not ours(obj):
                    unmarked(f"{name} ({kind})")

    # policy entries
    recorded_entries = {(n.upper(), q) for n, q in m.policy_entries}
    for name, seq in o.entries:
        if (name.upper(), seq) in recorded_entries:
            s.entries.append((name, seq))
        else:
            unrecorded(f"{name} {seq} (ipsec policy entry)")
    for name, seq in m.policy_entries:
        obj = config.policies.get((name.upper(), seq))
        if obj is not None and not ours(obj):
            unmarked(f"{name} {seq} (ipsec policy entry)")

    # the binding: recorded interface, a recorded policy, and no unrecorded entry left under that policy
    recorded_policies = {n.upper() for n, _ in m.policy_entries}
    for iface, policy in o.bindings:
        if not m.interface or _iface(iface) != _iface(m.interface) or policy.upper() not in recorded_policies:
            unrecorded(f"{policy} applied on {iface} (binding)")
        elif any(n.upper() == policy.upper() and (n, q) not in s.entries for n, q in o.entries):
            s.notes.append(f"{iface} keeps policy {policy} applied: it still holds entries this console did not "
                           "record creating")
        else:
            s.bindings.append((iface, policy))

    # numbered objects
    for number in o.ike_proposals:
        if number == m.ike_proposal:
            s.ike_proposals.append(number)
        else:
            unrecorded(f"IKE proposal {number}")
    if m.ike_proposal is not None and m.ike_proposal in config.ike_proposals \
            and not ours(config.ike_proposals[m.ike_proposal]):
        unmarked(f"IKE proposal {m.ike_proposal}")
    for number in o.acls:
        if number == m.acl:
            s.acls.append(number)
        else:
            unrecorded(f"ACL {number}")
    if m.acl is not None and config.acl(m.acl) is not None and not ours(config.acl(m.acl)):
        unmarked(f"ACL {m.acl}")

    # NAT-exempt rules
    recorded_rules = set(m.nat_rule_ids) if m.nat_acl is not None else set()
    for acl, ids in o.nat_rules:
        keep = tuple(i for i in ids if acl == m.nat_acl and i in recorded_rules)
        for i in ids:
            if i not in keep:
                unrecorded(f"rule {i} of ACL {acl} (NAT exemption)")
        if keep:
            s.nat_rules.append((acl, keep))
    nat = config.acl(m.nat_acl) if m.nat_acl is not None else None
    if nat is not None:
        for i in m.nat_rule_ids:
            rule = nat.rules.get(i)
            if rule is not None and not ours(rule):
                unmarked(f"rule {i} of ACL {m.nat_acl} (NAT exemption)")

    # routes
    def route_key(dest: str, length: int, via: str) -> tuple[str, int, str]:
        return str(dest), int(length), _iface(str(via))

    recorded_routes = {route_key(*r) for r in m.routes}
    for route in o.routes:
        if route_key(*route) in recorded_routes:
            s.routes.append(route)
        else:
            unrecorded(f"route {route[0]}/{route[1]} via {route[2]}")
    for r in config.routes:
        via = r.next_hop or r.interface
        if via and route_key(r.destination, r.length, via) in recorded_routes and not ours(r):
            unmarked(f"route {r.destination}/{r.length} via {via}")
    return s


def _emit_removals(b: _Builder, o: _Owned, v5: bool, step_prefix: str = "") -> None:
    """Removal lines in the safe order of §4.1 (V5: §4.1's V5 order): binding, policy entries, transform
    set / IPsec proposal, profiles / peers, keychains, IKEv2 policy and proposal, IKE proposal, ACL, our
    NAT-exempt rules, routes."""
    for iface, policy in o.bindings:
        b.step = step_prefix + "unbind"
        b.enter(iface, f"interface {iface}")
        b.cmd(f"undo ipsec policy {policy}" if v5 else f"undo ipsec apply policy {policy}", undo=True)
        b.quit()

    def undo(step: str, commands: Iterable[str]) -> None:
        for command in commands:
            b.step = step_prefix + step
            b.cmd(command, undo=True)

    undo("ipsec-policy", (f"undo ipsec policy {name} {seq}"
                          for name, seq in sorted(o.entries, key=lambda e: (e[0].upper(), -e[1]))))
    if v5:
        undo("ipsec-proposal", (f"undo ipsec proposal {x}" for x in o.ipsec_proposals))
        undo("ike-peer", (f"undo ike peer {x}" for x in o.ike_peers))
        undo("ike-dpd", (f"undo ike dpd {x}" for x in o.ike_dpds))
    else:
        undo("transform-set", (f"undo ipsec transform-set {x}" for x in o.transform_sets))
        undo("ike-profile", (f"undo ike profile {x}" for x in o.ike_profiles))
        undo("ikev2-profile", (f"undo ikev2 profile {x}" for x in o.ikev2_profiles))
        undo("ike-keychain", (f"undo ike keychain {x}" for x in o.ike_keychains))
        undo("ikev2-keychain", (f"undo ikev2 keychain {x}" for x in o.ikev2_keychains))
        undo("ikev2-policy", (f"undo ikev2 policy {x}" for x in o.ikev2_policies))
        undo("ikev2-proposal", (f"undo ikev2 proposal {x}" for x in o.ikev2_proposals))
    undo("ike-proposal", (f"undo ike proposal {x}" for x in o.ike_proposals))
    undo("acl", (f"undo acl number {x}" if v5 else f"undo acl advanced {x}" for x in o.acls))
    for acl, ids in o.nat_rules:
        b.step = step_prefix + "nat-exempt"
        if v5:
            b.enter(f"acl-adv-{acl}", f"acl number {acl}")
        else:
            b.enter(f"acl-ipv4-adv-{acl}", f"acl advanced {acl}")
        for rule_id in ids:
            b.cmd(f"undo rule {rule_id}", undo=True)
        b.quit()
    undo("route", (f"undo ip route-static {dest} {length} {via}" for dest, length, via in o.routes))


def _teardown(profile: Any, platform: str, o: _Owned) -> H3CPlan:
    b = _Builder()
    b.system_view()
    _emit_removals(b, o, platform == "comware5")
    b.finish()
    names: list[tuple[str, str]] = []
    for kind, items in (("transform-set", o.transform_sets), ("ipsec-proposal", o.ipsec_proposals),
                        ("ike-profile", o.ike_profiles), ("ikev2-profile", o.ikev2_profiles),
                        ("ike-keychain", o.ike_keychains), ("ikev2-keychain", o.ikev2_keychains),
                        ("ikev2-policy", o.ikev2_policies), ("ikev2-proposal", o.ikev2_proposals),
                        ("ike-peer", o.ike_peers), ("ike-dpd", o.ike_dpds)):
        names.extend((kind, name) for name in items)
    nat_acl = o.nat_rules[0][0] if o.nat_rules else None
    nat_ids = tuple(i for _, ids in o.nat_rules for i in ids)
    return _plan(profile, platform, "teardown", b, None, names, o.entries, routes=o.routes,
                 nat_acl=nat_acl, nat_rule_ids=nat_ids,
                 interface=o.bindings[0][0] if o.bindings else "",
                 acl=o.acls[0] if o.acls else None,
                 ike_proposal=o.ike_proposals[0] if o.ike_proposals else None, notes=o.notes)


# --- text ----------------------------------------------------------------------------------------------

def render_script(profile: Any, psk: Secret | None = None, *, platform: str | None = None,
                  teardown: bool = False, reveal: bool = False) -> str:
    """The plan as text for ``vpnconsole render LAB --end h3c`` (masked unless ``reveal``).

    Without a PSK a stand-in is used: the text is masked anyway, so nobody sees the difference.
    """
    if teardown:
        return render_teardown(profile, platform).script(reveal=reveal)
    if psk is None:
        if reveal:
            raise RenderError("no PSK to reveal", "psk")
        psk = Secret(PLACEHOLDER_PSK, "psk")
    return render_apply(profile, psk, platform).script(reveal=reveal)
