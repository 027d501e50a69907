"""System view and configuration sub-view commands (V7, early V7 and V5 dialects).

Every handler parses the whole line first (``c.end()``) and only then mutates the configuration, so
a syntax error never leaves a half-applied command behind.

Messages without a caret (object missing on ``undo``, strict-mode reference refusals, a second IPv4
policy on an interface) are *invented* wording — the reference marks them release-dependent [?];
keep them out of production regexes. They are controlled by ``DeviceOptions.missing_delete``
(``"silent"`` | ``"message"``) and ``DeviceOptions.strict_references``.
"""

from __future__ import annotations

from typing import Optional

from .addr import is_ip, network_of
from .algorithms import (
    AH_AUTH_V7, ESP_AUTH_V7, ESP_ENC_V7, IKE_AUTH_METHODS, IKE_AUTH_V5, IKE_AUTH_V7,
    IKE_AUTH_V7_EARLY, IKE_DH_V5, IKE_DH_V7, IKE_ENC_V7, IKEV2_DH, IKEV2_ENC, IKEV2_INTEG,
    IKEV2_PRF, PFS_V5, PFS_V7, V5_ESP_AUTH,
)
from .cli import UNRECOGNIZED, WRONG, CliError, Cursor, SemanticError
from .state import (
    Acl, AclRule, Dpd, IkeDpdV5, IkeKeychain, IkePeerV5, IkeProfile, IkeProposal, Ikev2Keychain,
    Ikev2Peer, Ikev2Policy, Ikev2Profile, Ikev2Proposal, Interface, IpsecPolicyEntry,
    IpsecProposalV5, KeychainKey, NatOutbound, RemoteIdentity, StaticRoute, TransformSet,
    encrypt_psk, looks_like_cipher,
)
from .views import Ctx, Table, View

NAME_MAX = 63


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------

def missing(ctx: Ctx, what: str) -> None:
    if ctx.dev.options.missing_delete == "message":
        ctx.print(f"The {what} does not exist.")


def refuse_if_referenced(ctx: Ctx, what: str, users: list[str]) -> None:
    if ctx.dev.options.strict_references and users:
        raise SemanticError(f"The {what} is referenced by {users[0]} and cannot be deleted.")


def cipher_of(ctx: Ctx, plain: str) -> str:
    return encrypt_psk(plain, ctx.dev.psk_secret, ctx.dev.rng.randbytes(8))


def parse_key_value(c: Cursor, simple_words=("simple", "cipher"), maxlen: int = 128) -> tuple[str, bool]:
    """``{simple|cipher} KEY`` -> (value, is_cipher)."""
    kind = c.kw(*simple_words)
    tok = c.peek()
    value = c.string(maxlen if kind == simple_words[0] else 256)
    if kind != simple_words[0] and not looks_like_cipher(value):
        raise CliError(WRONG, tok.start)
    return value, kind != simple_words[0]


def parse_dpd(c: Cursor) -> Dpd:
    c.kw("interval")
    interval = c.int(1, 300, "DPD interval in seconds")
    retry = None
    if c.opt_kw("retry"):
        retry = c.int(1, 60, "DPD retry interval in seconds")
    mode = c.kw("on-demand", "periodic")
    c.end()
    return Dpd(interval, retry, mode)


def parse_remote_identity(c: Cursor) -> RemoteIdentity:
    t = c.kw("address", "fqdn", "user-fqdn")
    if t == "address":
        if c.opt_kw("range"):
            low = c.ip()
            high = c.ip()
            c.end()
            return RemoteIdentity("address-range", low, high=high)
        ip = c.ip()
        plen = c.opt_mask_or_len()
        c.end()
        return RemoteIdentity("address", ip, 32 if plen is None else plen)
    name = c.string(255)
    c.end()
    return RemoteIdentity(t, name)


def iface_name_from(c: Cursor, ctx: Ctx, create: bool = False) -> str:
    """``GigabitEthernet0/0`` | ``g0/0`` | ``GigabitEthernet 0/0`` | ``LoopBack0``..."""
    tok = c.peek()
    if c._help_here():
        c._add_help([(t, "") for t in ctx.dev.interface_types()])
        c._raise_help()
    if tok is None:
        c.incomplete()
    c.i += 1
    text = tok.text
    # split alpha part / number part
    j = 0
    while j < len(text) and not text[j].isdigit():
        j += 1
    tname, num = text[:j], text[j:]
    if not num:
        nxt = c.peek()
        if nxt is None:
            c.incomplete()
        num = nxt.text
        c.i += 1
    name = ctx.dev.resolve_interface(tname, num, create=create)
    if name is None:
        raise CliError(WRONG, tok.start)
    return name


def _name(c: Cursor, desc: str = "") -> str:
    return c.string(NAME_MAX, desc=desc)


def _get(d: dict, name: str):
    return d.get(name.lower())


# ---------------------------------------------------------------------------------------------
# system view
# ---------------------------------------------------------------------------------------------

def h_sysname(ctx: Ctx, c: Cursor, undo: bool) -> None:
    if undo:
        c.end()
        ctx.cfg.sysname = "H3C"
        return
    name = c.string(64, desc="Host name")
    c.end()
    ctx.cfg.sysname = name


def _acl_label(ctx: Ctx, acl: Acl) -> str:
    kind = "adv" if acl.kind == "advanced" else "basic"
    if ctx.dev.dialect == "v7":
        return f"acl-ipv4-{kind}-{acl.number}"
    return f"acl-{kind}-{acl.number}"


def h_acl(ctx: Ctx, c: Cursor, undo: bool) -> None:
    kinds = [("advanced", "Advanced ACL"), ("basic", "Basic ACL"), ("number", "Specify an ACL number")] \
        if ctx.dev.dialect == "v7" else [("number", "Specify an ACL number")]
    if undo:
        kinds = kinds + [("all", "All ACLs")]
    kind = c.kw(*kinds, cmd=True)
    if kind == "all":
        c.end()
        ctx.cfg.acls.clear()
        return
    lo, hi = {"advanced": (3000, 3999), "basic": (2000, 2999), "number": (2000, 3999)}[kind]
    number = c.int(lo, hi, "ACL number")
    name = None
    if not undo and c.opt_kw("name"):
        name = c.string(63)
    if not undo and c.opt_kw("match-order"):
        c.kw("auto", "config")
    c.end()
    if undo:
        acl = ctx.cfg.acls.get(number)
        if acl is None:
            missing(ctx, "ACL")
            return
        users = [f"IPsec policy {e.name}" for e in ctx.cfg.ipsec_policies.values() if e.acl == number]
        users += [f"interface {i.name}" for i in ctx.cfg.interfaces.values()
                  if any(n.acl == number for n in i.nat_outbound)]
        refuse_if_referenced(ctx, "ACL", users)
        del ctx.cfg.acls[number]
        return
    acl = ctx.cfg.acls.get(number)
    if acl is None:
        acl = Acl(number, "advanced" if number >= 3000 else "basic", name=name,
                  legacy_syntax=(kind == "number"))
        ctx.cfg.acls[number] = acl
    elif name:
        acl.name = name
    ctx.enter(View("acl", number, _acl_label(ctx, acl)))


def h_ip(ctx: Ctx, c: Cursor, undo: bool) -> None:
    c.kw(("route-static", "Configure a static route"), cmd=True)
    dest = c.ip("Destination IP address")
    plen = c.mask_or_len()
    nexthop = iface = None
    pref = None
    tag = 0
    desc = None
    # next hop or interface
    if undo and c.at_end:
        c.end()
    else:
        nexthop = c.opt_ip("Next hop")
        if nexthop is None:
            iface = iface_name_from(c, ctx)
            nexthop = c.opt_ip("Next hop")
        while True:
            kw = c.opt_kw("preference", "tag", "description")
            if kw is None:
                break
            if kw == "preference":
                pref = c.int(1, 255)
            elif kw == "tag":
                tag = c.int(1, 4294967295)
            else:
                desc = c.text(60)
        c.end()
    dest = network_of(dest, plen)
    routes = ctx.cfg.routes
    if undo:
        before = len(routes)
        ctx.cfg.routes = [r for r in routes if not (
            r.dest == dest and r.plen == plen
            and (nexthop is None or r.nexthop == nexthop)
            and (iface is None or (r.interface or "").lower() == iface.lower())
            and (pref is None or r.preference == pref))]
        if len(ctx.cfg.routes) == before:
            missing(ctx, "static route")
        return
    new = StaticRoute(dest, plen, nexthop, iface, pref or 60, tag, desc)
    for i, r in enumerate(routes):
        if r.key() == new.key():
            routes[i] = new
            return
    routes.append(new)


def h_interface(ctx: Ctx, c: Cursor, undo: bool) -> None:
    name = iface_name_from(c, ctx, create=not undo)
    c.end()
    if undo:
        itf = ctx.cfg.interfaces.get(name.lower())
        if itf is None:
            missing(ctx, "interface")
            return
        if itf.physical:
            raise SemanticError("Physical interfaces cannot be deleted.")
        del ctx.cfg.interfaces[name.lower()]
        return
    ctx.enter(View("interface", name.lower(), name))


# -- ike ---------------------------------------------------------------------------------------

def h_ike(ctx: Ctx, c: Cursor, undo: bool) -> None:
    v5 = ctx.dev.dialect == "v5"
    subs = [("proposal", "Specify an IKE proposal"), ("dpd", "Dead peer detection")]
    if v5:
        subs += [("peer", "Specify an IKE peer"), ("local-name", "Local name of IKE")]
    else:
        subs += [("keychain", "Specify an IKE keychain"), ("profile", "Specify an IKE profile"),
                 ("identity", "Global IKE identity"), ("nat-keepalive", "NAT keepalive interval")]
    sub = c.kw(*subs, cmd=True)
    cfg = ctx.cfg
    if sub == "proposal":
        num = c.int(1, 65535, "IKE proposal number")
        c.end()
        if undo:
            if num not in cfg.ike_proposals:
                missing(ctx, "IKE proposal")
                return
            users = [f"IKE profile {p.name}" for p in cfg.ike_profiles.values() if num in p.proposals]
            users += [f"IKE peer {p.name}" for p in cfg.ike_peers.values() if num in p.proposals]
            refuse_if_referenced(ctx, "IKE proposal", users)
            del cfg.ike_proposals[num]
            return
        cfg.ike_proposals.setdefault(num, IkeProposal(num))
        ctx.enter(View("ike-proposal", num, f"ike-proposal-{num}"))
    elif sub == "keychain":
        name = _name(c, "IKE keychain name")
        c.end()
        if undo:
            if name.lower() not in cfg.ike_keychains:
                missing(ctx, "IKE keychain")
                return
            users = [f"IKE profile {p.name}" for p in cfg.ike_profiles.values()
                     if name.lower() in [k.lower() for k in p.keychains]]
            refuse_if_referenced(ctx, "IKE keychain", users)
            del cfg.ike_keychains[name.lower()]
            return
        kc = cfg.ike_keychains.setdefault(name.lower(), IkeKeychain(name))
        ctx.enter(View("ike-keychain", name.lower(), f"ike-keychain-{kc.name}"))
    elif sub == "profile":
        name = _name(c, "IKE profile name")
        c.end()
        if undo:
            if name.lower() not in cfg.ike_profiles:
                missing(ctx, "IKE profile")
                return
            users = [f"IPsec policy {e.name}" for e in cfg.ipsec_policies.values()
                     if (e.ike_profile or "").lower() == name.lower()]
            refuse_if_referenced(ctx, "IKE profile", users)
            del cfg.ike_profiles[name.lower()]
            return
        p = cfg.ike_profiles.setdefault(name.lower(), IkeProfile(name))
        ctx.enter(View("ike-profile", name.lower(), f"ike-profile-{p.name}"))
    elif sub == "identity":
        if undo:
            c.end()
            cfg.ike_identity = None
            return
        t = c.kw("address", "fqdn", "user-fqdn", "dn")
        value = ""
        if t == "address":
            value = c.ip()
        elif t in ("fqdn", "user-fqdn"):
            value = c.string(255)
        c.end()
        cfg.ike_identity = (t, value)
    elif sub == "nat-keepalive":
        if undo:
            c.end()
            cfg.ike_nat_keepalive = None
            return
        v = c.int(5, 300)
        c.end()
        cfg.ike_nat_keepalive = v
    elif sub == "dpd":
        if v5:
            name = c.string(32, desc="DPD name")
            c.end()
            if undo:
                if name.lower() not in cfg.ike_dpds:
                    missing(ctx, "DPD")
                    return
                users = [f"IKE peer {p.name}" for p in cfg.ike_peers.values()
                         if (p.dpd or "").lower() == name.lower()]
                refuse_if_referenced(ctx, "DPD", users)
                del cfg.ike_dpds[name.lower()]
                return
            d = cfg.ike_dpds.setdefault(name.lower(), IkeDpdV5(name))
            ctx.enter(View("ike-dpd", name.lower(), f"ike-dpd-{d.name}"))
            return
        if undo:
            c.end()
            cfg.ike_dpd = None
            return
        cfg.ike_dpd = parse_dpd(c)
    elif sub == "peer":
        name = c.string(32, desc="IKE peer name")
        c.end()
        if undo:
            if name.lower() not in cfg.ike_peers:
                missing(ctx, "IKE peer")
                return
            users = [f"IPsec policy {e.name}" for e in cfg.ipsec_policies.values()
                     if (e.ike_peer or "").lower() == name.lower()]
            refuse_if_referenced(ctx, "IKE peer", users)
            del cfg.ike_peers[name.lower()]
            return
        p = cfg.ike_peers.setdefault(name.lower(), IkePeerV5(name))
        ctx.enter(View("ike-peer", name.lower(), f"ike-peer-{p.name}"))
    elif sub == "local-name":
        if undo:
            c.end()
            cfg.ike_local_name = None
            return
        v = c.string(32)
        c.end()
        cfg.ike_local_name = v


def h_ikev2(ctx: Ctx, c: Cursor, undo: bool) -> None:
    sub = c.kw(("proposal", "IKEv2 proposal"), ("policy", "IKEv2 policy"),
               ("keychain", "IKEv2 keychain"), ("profile", "IKEv2 profile"),
               ("nat-keepalive", "NAT keepalive interval"), cmd=True)
    cfg = ctx.cfg
    if sub == "nat-keepalive":
        if not undo:
            c.int(5, 3600)
        c.end()
        return
    name = _name(c)
    c.end()
    store, cls, kind = {
        "proposal": (cfg.ikev2_proposals, Ikev2Proposal, "ikev2-proposal"),
        "policy": (cfg.ikev2_policies, Ikev2Policy, "ikev2-policy"),
        "keychain": (cfg.ikev2_keychains, Ikev2Keychain, "ikev2-keychain"),
        "profile": (cfg.ikev2_profiles, Ikev2Profile, "ikev2-profile"),
    }[sub]
    if undo:
        if name.lower() not in store:
            missing(ctx, f"IKEv2 {sub}")
            return
        users: list[str] = []
        if sub == "profile":
            users = [f"IPsec policy {e.name}" for e in cfg.ipsec_policies.values()
                     if (e.ikev2_profile or "").lower() == name.lower()]
        elif sub == "keychain":
            users = [f"IKEv2 profile {p.name}" for p in cfg.ikev2_profiles.values()
                     if (p.keychain or "").lower() == name.lower()]
        elif sub == "proposal":
            users = [f"IKEv2 policy {p.name}" for p in cfg.ikev2_policies.values()
                     if name.lower() in [x.lower() for x in p.proposals]]
        refuse_if_referenced(ctx, f"IKEv2 {sub}", users)
        del store[name.lower()]
        return
    obj = store.setdefault(name.lower(), cls(name))
    ctx.enter(View(kind, name.lower(), f"{kind}-{obj.name}"))


def h_ipsec(ctx: Ctx, c: Cursor, undo: bool) -> None:
    v5 = ctx.dev.dialect == "v5"
    subs = [("policy", "IPsec policy"), ("sa", "IPsec SA")]
    subs += [("proposal", "IPsec proposal")] if v5 else [("transform-set", "IPsec transform set")]
    sub = c.kw(*subs, cmd=True)
    cfg = ctx.cfg
    if sub == "sa":
        c.kw("global-duration")
        kind = c.kw("time-based", "traffic-based")
        if undo:
            c.end()
            if kind == "time-based":
                cfg.ipsec_global_time = 3600
            else:
                cfg.ipsec_global_traffic = 1843200
            return
        if kind == "time-based":
            v = c.int(180, 604800)
            c.end()
            cfg.ipsec_global_time = v
        else:
            v = c.int(2560, 4294967295)
            c.end()
            cfg.ipsec_global_traffic = v
        return
    if sub in ("transform-set", "proposal"):
        name = _name(c)
        c.end()
        store = cfg.transform_sets if sub == "transform-set" else cfg.ipsec_proposals
        if undo:
            if name.lower() not in store:
                missing(ctx, "IPsec transform set" if sub == "transform-set" else "IPsec proposal")
                return
            attr = "transform_sets" if sub == "transform-set" else "proposals"
            users = [f"IPsec policy {e.name}" for e in cfg.ipsec_policies.values()
                     if name.lower() in [x.lower() for x in getattr(e, attr)]]
            refuse_if_referenced(ctx, "IPsec transform set", users)
            del store[name.lower()]
            return
        if sub == "transform-set":
            ts = store.setdefault(name.lower(), TransformSet(name))
            ctx.enter(View("transform-set", name.lower(), f"ipsec-transform-set-{ts.name}"))
        else:
            pr = store.setdefault(name.lower(), IpsecProposalV5(name))
            ctx.enter(View("ipsec-proposal", name.lower(), f"ipsec-proposal-{pr.name}"))
        return
    # policy
    name = _name(c, "IPsec policy name")
    if undo:
        seq = c.opt_int(1, 65535)
        c.end()
        keys = [k for k in cfg.ipsec_policies if k[0] == name.lower() and (seq is None or k[1] == seq)]
        if not keys:
            missing(ctx, "IPsec policy")
            return
        if seq is None or len(cfg.policy_entries(name)) == len(keys):
            users = [f"interface {i.name}" for i in cfg.interfaces_with_policy(name)]
            refuse_if_referenced(ctx, "IPsec policy", users)
        for k in keys:
            del cfg.ipsec_policies[k]
        if not cfg.policy_entries(name):
            # Removing the last entry unbinds the policy from interfaces (V7 behaviour [?]).
            for itf in cfg.interfaces_with_policy(name):
                itf.ipsec_policy = None
            ctx.dev.clear_policy_sas(name)
        else:
            ctx.dev.clear_policy_sas(name, seq)
        return
    seq = c.int(1, 65535, "Sequence number")
    mode = c.opt_kw(("isakmp", "IKE negotiation"), ("manual", "Manual mode"))
    template = None
    if mode == "isakmp" and c.opt_kw("template"):
        template = _name(c)
    c.end()
    key = (name.lower(), seq)
    entry = cfg.ipsec_policies.get(key)
    if entry is None:
        if mode is None:
            c.incomplete()
        if template is not None:
            raise SemanticError("IPsec policy templates are not supported by this simulator.")
        # Comware: all entries of one policy share the spelling of the first one
        first = cfg.policy_entries(name)
        entry = IpsecPolicyEntry(first[0].name if first else name, seq, mode)
        cfg.ipsec_policies[key] = entry
    elif mode is not None and mode != entry.mode:
        raise SemanticError(f"The IPsec policy entry already exists in {entry.mode} mode.")
    ctx.enter(View("ipsec-policy", key, f"ipsec-policy-{entry.mode}-{entry.name}-{seq}"))


def h_configuration(ctx: Ctx, c: Cursor, undo: bool) -> None:
    """V7 timed rollback (reference §1.4 / §6.7): ``configuration commit delay <1-65535>`` snapshots
    the running configuration and starts a timer on the device clock; ``configuration commit``
    cancels it. Disabled (``Unrecognized command``) with ``DeviceOptions.timed_rollback=False``.
    Both are silent on success [?]; ``configuration commit`` without a running timer is a no-op [?]."""
    if not ctx.dev.timed_rollback_enabled:
        raise CliError(UNRECOGNIZED, c.toks[0].start if c.toks else 0)
    c.kw(("commit", "Commit the configuration"), cmd=True)
    if c.opt_kw(("delay", "Roll the configuration back unless committed within the delay")):
        minutes = c.int(1, 65535, "Delay in minutes")
        c.end()
        ctx.dev.start_commit_delay(minutes)
        return
    c.end()
    ctx.dev.commit_configuration()


def system_table(dialect: str) -> Table:
    t = Table()
    if dialect == "v7":
        t.add("configuration", h_configuration, undo=False, help="Configuration management")
    t.add("sysname", h_sysname, help="Specify the device name")
    t.add("acl", h_acl, help="Specify an ACL")
    t.add("interface", h_interface, help="Specify an interface")
    t.add("ip", h_ip, help="Specify IP configuration")
    t.add("ike", h_ike, help="IKE configuration")
    t.add("ipsec", h_ipsec, help="IPsec configuration")
    if dialect != "v5":
        t.add("ikev2", h_ikev2, help="IKEv2 configuration")
    return t


# ---------------------------------------------------------------------------------------------
# ACL view
# ---------------------------------------------------------------------------------------------

def _addr_wild(c: Cursor) -> tuple[Optional[tuple[str, str]], bool]:
    if c.opt_kw(("any", "Any address")):
        return None, True
    addr = c.ip()
    wild = c.wildcard()
    return (addr, wild), False


def h_rule(ctx: Ctx, c: Cursor, undo: bool) -> None:
    acl: Acl = ctx.cfg.acls[ctx.view.key]
    if undo:
        rid = c.int(0, 65534, "Rule ID")
        part = c.opt_kw("comment", "counting", "logging", "source", "destination")
        c.end()
        rule = acl.rules.get(rid)
        if rule is None:
            missing(ctx, "rule")
            return
        if part == "comment":
            rule.comment = None
        elif part == "source":
            rule.source, rule.source_any = None, False
        elif part == "destination":
            rule.destination, rule.destination_any = None, False
        elif part is None:
            del acl.rules[rid]
        return
    rid = c.opt_int(0, 65534, "Rule ID")
    if rid is not None:
        action = c.kw("permit", "deny", "comment")
    else:
        action = c.kw("permit", "deny")
    if action == "comment":
        text = c.text(127)
        c.end()
        if rid not in acl.rules:
            raise SemanticError("The rule does not exist.")
        acl.rules[rid].comment = text
        return
    protocol = ""
    src = dst = None
    src_any = dst_any = False
    extras: set[str] = set()
    if acl.kind == "advanced":
        proto_tok = c.peek()
        if proto_tok is not None and proto_tok.text.isdigit():
            protocol = str(c.int(0, 255, "Protocol number"))
        else:
            protocol = c.kw("ip", "tcp", "udp", "icmp", "gre", "ospf", "igmp")
        while True:
            opt = c.opt_kw("source", "destination", "counting", "logging")
            if opt is None:
                break
            if opt == "source":
                src, src_any = _addr_wild(c)
            elif opt == "destination":
                dst, dst_any = _addr_wild(c)
            else:
                extras.add(opt)
    else:
        while True:
            opt = c.opt_kw("source", "counting", "logging")
            if opt is None:
                break
            if opt == "source":
                src, src_any = _addr_wild(c)
            else:
                extras.add(opt)
    c.end()
    if rid is None:
        rid = acl.next_rule_id()
        if rid > 65534:
            raise SemanticError("Failed to create the rule: no rule ID available.")
    existing = acl.rules.get(rid)
    if existing is not None:
        # Editing an existing rule: given fields replace, others are kept.
        existing.action = action
        existing.protocol = protocol or existing.protocol
        if src is not None or src_any:
            existing.source, existing.source_any = src, src_any
        if dst is not None or dst_any:
            existing.destination, existing.destination_any = dst, dst_any
        return
    acl.rules[rid] = AclRule(rid, action, protocol, src, src_any, dst, dst_any)


def h_description(store_getter):
    def handler(ctx: Ctx, c: Cursor, undo: bool) -> None:
        obj = store_getter(ctx)
        if undo:
            c.end()
            obj.description = None
            return
        text = c.text(127 if not isinstance(obj, StaticRoute) else 80)
        obj.description = text
    return handler


def acl_table() -> Table:
    t = Table()
    t.add("rule", h_rule, help="Specify an ACL rule")
    t.add("description", h_description(lambda ctx: ctx.cfg.acls[ctx.view.key]), help="ACL description")
    return t


# ---------------------------------------------------------------------------------------------
# IKE proposal view
# ---------------------------------------------------------------------------------------------

def ike_proposal_table(dialect: str) -> Table:
    t = Table()
    get = lambda ctx: ctx.cfg.ike_proposals[ctx.view.key]  # noqa: E731

    def h_enc(ctx, c, undo):
        p = get(ctx)
        if undo:
            c.end()
            p.encryption = "des-cbc"
            return
        if dialect == "v5":
            alg = c.kw("des-cbc", "3des-cbc", "aes-cbc")
            if alg == "aes-cbc":
                bits = c.opt_kw("128", "192", "256") or "128"
                alg = f"aes-cbc-{bits}"
        else:
            alg = c.kw(*IKE_ENC_V7)
        c.end()
        p.encryption = alg

    def h_auth(ctx, c, undo):
        p = get(ctx)
        if undo:
            c.end()
            p.authentication = "sha1"
            return
        table = {"v7": IKE_AUTH_V7, "v7-early": IKE_AUTH_V7_EARLY, "v5": IKE_AUTH_V5}[dialect]
        kw = c.kw(*table)
        c.end()
        p.authentication = table[kw]

    def h_method(ctx, c, undo):
        p = get(ctx)
        if undo:
            c.end()
            p.method = "pre-share"
            return
        m = c.kw(*IKE_AUTH_METHODS)
        c.end()
        p.method = m

    def h_dh(ctx, c, undo):
        p = get(ctx)
        if undo:
            c.end()
            p.dh = "group1"
            return
        g = c.kw(*(IKE_DH_V5 if dialect == "v5" else IKE_DH_V7))
        c.end()
        p.dh = g

    def h_sa(ctx, c, undo):
        p = get(ctx)
        c.kw("duration")
        if undo:
            c.end()
            p.duration = 86400
            return
        v = c.int(60, 604800, "IKE SA lifetime in seconds")
        c.end()
        p.duration = v

    t.add("encryption-algorithm", h_enc, help="Specify an encryption algorithm")
    t.add("authentication-algorithm", h_auth, help="Specify an authentication algorithm")
    t.add("authentication-method", h_method, help="Specify an authentication method")
    t.add("dh", h_dh, help="Specify a DH group")
    t.add("sa", h_sa, help="Specify the IKE SA lifetime")
    t.add("description", h_description(get), help="Description")
    return t


# ---------------------------------------------------------------------------------------------
# IKE keychain / profile views (V7)
# ---------------------------------------------------------------------------------------------

def ike_keychain_table() -> Table:
    t = Table()
    get = lambda ctx: ctx.cfg.ike_keychains[ctx.view.key]  # noqa: E731

    def h_psk(ctx, c, undo):
        kc: IkeKeychain = get(ctx)
        kind = c.kw("address", "hostname")
        addr = host = None
        plen = 32
        if kind == "address":
            addr = c.ip()
            m = c.opt_mask_or_len()
            plen = 32 if m is None else m
        else:
            host = c.string(255)
        if undo:
            c.end()
            before = len(kc.keys)
            kc.keys = [k for k in kc.keys if not (k.address == addr and k.hostname == host
                                                  and (addr is None or k.plen == plen))]
            if len(kc.keys) == before:
                missing(ctx, "pre-shared key")
            return
        c.kw("key")
        value, is_cipher = parse_key_value(c)
        c.end()
        cipher = value if is_cipher else cipher_of(ctx, value)
        kc.keys = [k for k in kc.keys if not (k.address == addr and k.hostname == host)]
        kc.keys.append(KeychainKey(addr, plen, host, cipher))

    def h_match(ctx, c, undo):
        kc = get(ctx)
        c.kw("local")
        c.kw("address")
        if undo:
            c.end()
            kc.match_local_address = None
            return
        if c.opt_ip() is not None:
            value = c.toks[c.i - 1].text
        else:
            value = iface_name_from(c, ctx)
        c.end()
        kc.match_local_address = value

    t.add("pre-shared-key", h_psk, help="Specify a pre-shared key")
    t.add("match", h_match, help="Match local address")
    return t


def ike_profile_table() -> Table:
    t = Table()
    get = lambda ctx: ctx.cfg.ike_profiles[ctx.view.key]  # noqa: E731

    def h_keychain(ctx, c, undo):
        p: IkeProfile = get(ctx)
        name = _name(c, "IKE keychain name")
        c.end()
        if undo:
            p.keychains = [k for k in p.keychains if k.lower() != name.lower()]
            return
        if name.lower() in [k.lower() for k in p.keychains]:
            return
        if len(p.keychains) >= 6:
            raise SemanticError("The maximum number of keychains has been reached.")
        p.keychains.append(name)

    def h_mode(ctx, c, undo):
        p = get(ctx)
        if undo:
            c.end()
            p.exchange_mode = "main"
            return
        m = c.kw("main", "aggressive")
        c.end()
        p.exchange_mode = m

    def h_local_identity(ctx, c, undo):
        p = get(ctx)
        if undo:
            c.end()
            p.local_identity = None
            return
        kind = c.kw("address", "fqdn", "user-fqdn", "dn")
        value = ""
        if kind == "address":
            value = c.ip()
        elif kind == "fqdn":
            tok = c.peek()
            value = c.string(255) if tok is not None or c.help_mode else ""
        elif kind == "user-fqdn":
            value = c.string(255)
        c.end()
        p.local_identity = (kind, value)

    def h_match(ctx, c, undo):
        p = get(ctx)
        which = c.kw("remote", "local")
        if which == "local":
            c.kw("address")
            if undo:
                c.end()
                p.match_local_address = None
                return
            if c.opt_ip() is not None:
                value = c.toks[c.i - 1].text
            else:
                value = iface_name_from(c, ctx)
            c.end()
            p.match_local_address = value
            return
        c.kw("identity")
        rid = parse_remote_identity(c)
        if undo:
            p.match_remote = [r for r in p.match_remote if r != rid]
            return
        if rid not in p.match_remote:
            p.match_remote.append(rid)

    def h_proposal(ctx, c, undo):
        p = get(ctx)
        if undo:
            c.end()
            p.proposals = []
            return
        nums = [c.int(1, 65535, "IKE proposal number")]
        while len(nums) < 6:
            n = c.opt_int(1, 65535, "IKE proposal number")
            if n is None:
                break
            nums.append(n)
        c.end()
        p.proposals = nums

    def h_dpd(ctx, c, undo):
        p = get(ctx)
        if undo:
            c.end()
            p.dpd = None
            return
        p.dpd = parse_dpd(c)

    def h_priority(ctx, c, undo):
        p = get(ctx)
        if undo:
            c.end()
            p.priority = None
            return
        v = c.int(1, 65535)
        c.end()
        p.priority = v

    t.add("keychain", h_keychain, help="Specify a keychain")
    t.add("exchange-mode", h_mode, help="Specify the IKE negotiation mode")
    t.add("local-identity", h_local_identity, help="Specify the local ID")
    t.add("match", h_match, help="Match criteria")
    t.add("proposal", h_proposal, help="Specify IKE proposals")
    t.add("dpd", h_dpd, help="Dead peer detection")
    t.add("priority", h_priority, help="Profile priority")
    t.add("description", h_description(get), help="Description")
    return t


# ---------------------------------------------------------------------------------------------
# IPsec transform set / policy views
# ---------------------------------------------------------------------------------------------

def keyword_setting(get, attr: str, default: str, keywords: tuple[str, ...]):
    """A handler for a one-keyword setting of the current object (`protocol esp`,
    `encapsulation-mode tunnel`…); its `undo` form restores Comware's default."""

    def handler(ctx, c, undo):
        obj = get(ctx)
        if undo:
            c.end()
            setattr(obj, attr, default)
            return
        value = c.kw(*keywords)
        c.end()
        setattr(obj, attr, value)

    return handler


def transform_set_table() -> Table:
    t = Table()
    get = lambda ctx: ctx.cfg.transform_sets[ctx.view.key]  # noqa: E731

    h_protocol = keyword_setting(get, "protocol", "esp", ("esp", "ah", "ah-esp"))
    h_encap = keyword_setting(get, "encapsulation", "tunnel", ("tunnel", "transport"))

    def _alg_list(c, algs):
        out = [c.kw(*algs)]
        while True:
            a = c.opt_kw(*algs)
            if a is None:
                break
            if a not in out:
                out.append(a)
        c.end()
        return out

    def h_esp(ctx, c, undo):
        ts = get(ctx)
        which = c.kw("encryption-algorithm", "authentication-algorithm")
        if undo:
            c.end()
            if which == "encryption-algorithm":
                ts.esp_encryption = []
            else:
                ts.esp_authentication = []
            return
        if which == "encryption-algorithm":
            ts.esp_encryption = _alg_list(c, ESP_ENC_V7)
        else:
            ts.esp_authentication = _alg_list(c, ESP_AUTH_V7)

    def h_ah(ctx, c, undo):
        ts = get(ctx)
        c.kw("authentication-algorithm")
        if undo:
            c.end()
            ts.ah_authentication = []
            return
        ts.ah_authentication = _alg_list(c, AH_AUTH_V7)

    def h_pfs(ctx, c, undo):
        ts = get(ctx)
        if undo:
            c.end()
            ts.pfs = None
            return
        g = c.kw(*PFS_V7)
        c.end()
        ts.pfs = g

    def h_esn(ctx, c, undo):
        ts = get(ctx)
        c.kw("enable")
        c.end()
        ts.esn = not undo

    t.add("protocol", h_protocol, help="Specify the security protocol")
    t.add("encapsulation-mode", h_encap, help="Specify the encapsulation mode")
    t.add("esp", h_esp, help="ESP settings")
    t.add("ah", h_ah, help="AH settings")
    t.add("pfs", h_pfs, help="Perfect forward secrecy")
    t.add("esn", h_esn, help="Extended sequence number")
    return t


def ipsec_policy_table(dialect: str) -> Table:
    t = Table()
    get = lambda ctx: ctx.cfg.ipsec_policies[ctx.view.key]  # noqa: E731
    v5 = dialect == "v5"

    def h_security(ctx, c, undo):
        e: IpsecPolicyEntry = get(ctx)
        c.kw("acl")
        if undo:
            c.end()
            e.acl, e.acl_mode = None, "standard"
            return
        if not v5:
            c.opt_kw("ipv6")  # accepted, IPv6 not modelled
        tok = c.peek()
        if not v5 and c.opt_kw("name"):
            name = c.string(63)
            num = next((a.number for a in ctx.cfg.acls.values() if (a.name or "").lower() == name.lower()), None)
            if num is None:
                raise SemanticError("The specified ACL does not exist.")
        else:
            num = c.int(3000, 3999, "Advanced ACL number")
        mode = "standard"
        if not v5:
            mode = c.opt_kw("aggregation", "per-host") or "standard"
        c.end()
        del tok
        e.acl, e.acl_mode = num, mode

    def h_transform_set(ctx, c, undo):
        e = get(ctx)
        if undo:
            name = c.string(63) if not c.at_end else None
            c.end()
            e.transform_sets = [] if name is None else [x for x in e.transform_sets if x.lower() != name.lower()]
            return
        names = [_name(c, "Transform set name")]
        while len(names) < 6 and not c.at_end:
            names.append(_name(c))
        c.end()
        for n in names:
            if n.lower() not in [x.lower() for x in e.transform_sets]:
                if len(e.transform_sets) >= 6:
                    raise SemanticError("The maximum number of transform sets has been reached.")
                e.transform_sets.append(n)

    def h_remote(ctx, c, undo):
        e = get(ctx)
        if undo:
            c.end()
            e.remote_address = None
            return
        tok = c.peek()
        value = c.string(253, desc="Remote IP address or host name")
        c.end()
        if not is_ip(value) and value.replace(".", "").isdigit():
            # digits-and-dots that is not an IP: still accepted as a host name (reference §1.3)
            pass
        del tok
        e.remote_address = value

    def h_local(ctx, c, undo):
        e = get(ctx)
        if undo:
            c.end()
            e.local_address = None
            return
        v = c.ip()
        c.end()
        e.local_address = v

    def h_ike_profile(ctx, c, undo):
        e = get(ctx)
        if undo:
            c.end()
            e.ike_profile = None
            return
        n = _name(c)
        c.end()
        e.ike_profile = n

    def h_ikev2_profile(ctx, c, undo):
        e = get(ctx)
        if undo:
            c.end()
            e.ikev2_profile = None
            return
        n = _name(c)
        c.end()
        e.ikev2_profile = n

    def h_sa(ctx, c, undo):
        e = get(ctx)
        which = c.kw("duration", "idle-time")
        if which == "idle-time":
            if undo:
                c.end()
                e.sa_idle = None
                return
            v = c.int(60, 86400)
            c.end()
            e.sa_idle = v
            return
        kind = c.kw("time-based", "traffic-based")
        if undo:
            c.end()
            if kind == "time-based":
                e.sa_time = None
            else:
                e.sa_traffic = None
            return
        if kind == "time-based":
            v = c.int(180, 604800, "SA lifetime in seconds")
            c.end()
            e.sa_time = v
        else:
            v = c.int(2560, 4294967295, "SA lifetime in kilobytes")
            c.end()
            e.sa_traffic = v

    def h_qos(ctx, c, undo):
        e = get(ctx)
        c.kw("pre-classify")
        c.end()
        e.qos_pre_classify = not undo

    def h_reverse(ctx, c, undo):
        e = get(ctx)
        c.kw("dynamic")
        c.end()
        e.reverse_route = not undo

    def h_ike_peer(ctx, c, undo):
        e = get(ctx)
        if undo:
            c.end()
            e.ike_peer = None
            return
        n = c.string(32)
        c.end()
        e.ike_peer = n

    def h_proposal(ctx, c, undo):
        e = get(ctx)
        if undo:
            c.end()
            e.proposals = []
            return
        names = [_name(c)]
        while len(names) < 6 and not c.at_end:
            names.append(_name(c))
        c.end()
        e.proposals = names

    def h_pfs(ctx, c, undo):
        e = get(ctx)
        if undo:
            c.end()
            e.pfs = None
            return
        g = c.kw(*PFS_V5)
        c.end()
        e.pfs = g

    t.add("security", h_security, help="Specify the ACL")
    t.add("sa", h_sa, help="SA settings")
    t.add("description", h_description(get), help="Description")
    if v5:
        t.add("ike-peer", h_ike_peer, help="Specify the IKE peer")
        t.add("proposal", h_proposal, help="Specify IPsec proposals")
        t.add("pfs", h_pfs, help="Perfect forward secrecy")
    else:
        t.add("transform-set", h_transform_set, help="Specify transform sets")
        t.add("remote-address", h_remote, help="Specify the remote address")
        t.add("local-address", h_local, help="Specify the local address")
        t.add("ike-profile", h_ike_profile, help="Specify the IKE profile")
        t.add("qos", h_qos, help="QoS pre-classify")
        t.add("reverse-route", h_reverse, help="Reverse route injection")
        if dialect == "v7":
            t.add("ikev2-profile", h_ikev2_profile, help="Specify the IKEv2 profile")
    return t


# ---------------------------------------------------------------------------------------------
# interface view
# ---------------------------------------------------------------------------------------------

def interface_table(dialect: str) -> Table:
    t = Table()
    get = lambda ctx: ctx.cfg.interfaces[ctx.view.key]  # noqa: E731

    def h_ip(ctx, c, undo):
        itf: Interface = get(ctx)
        c.kw("address")
        if undo:
            if not c.at_end:
                c.ip()
                c.mask_or_len()
            c.end()
            itf.ip = None
            return
        ip = c.ip()
        plen = c.mask_or_len()
        c.end()
        if plen == 0:
            raise CliError(WRONG, c.toks[c.i - 1].start)
        itf.ip = (ip, plen)

    def h_nat(ctx, c, undo):
        itf = get(ctx)
        c.kw("outbound")
        acl = c.opt_int(2000, 3999, "ACL number")
        group = None
        if not undo and c.opt_kw("address-group"):
            group = c.int(0, 65535)
        c.end()
        if undo:
            before = len(itf.nat_outbound)
            itf.nat_outbound = [n for n in itf.nat_outbound if n.acl != acl]
            if len(itf.nat_outbound) == before:
                missing(ctx, "NAT configuration")
            return
        itf.nat_outbound = [n for n in itf.nat_outbound if n.acl != acl]
        itf.nat_outbound.append(NatOutbound(acl, group))

    def h_ipsec(ctx, c, undo):
        itf = get(ctx)
        if dialect == "v5":
            c.kw(("policy", "Apply an IPsec policy"), cmd=True)
        else:
            c.kw(("apply", "Apply an IPsec policy"), cmd=True)
            c.kw("policy", cmd=True)
        if undo:
            name = c.string(63) if not c.at_end else None
            c.end()
            if itf.ipsec_policy is None or (name and name.lower() != itf.ipsec_policy.lower()):
                missing(ctx, "IPsec policy")
                return
            old = itf.ipsec_policy
            itf.ipsec_policy = None
            ctx.dev.clear_policy_sas(old, interface=itf.name)
            return
        name = _name(c)
        c.end()
        if itf.ipsec_policy and itf.ipsec_policy.lower() != name.lower():
            raise SemanticError("Failed to apply the IPsec policy: another IPv4 IPsec policy "
                                "is already applied to the interface.")
        itf.ipsec_policy = name

    def h_shutdown(ctx, c, undo):
        itf = get(ctx)
        c.end()
        itf.shutdown = not undo

    def h_port(ctx, c, undo):
        c.kw("link-mode")
        c.kw("route", "bridge")
        c.end()

    t.add("ip", h_ip, help="IP configuration")
    t.add("nat", h_nat, help="NAT configuration")
    t.add("ipsec", h_ipsec, help="IPsec configuration")
    t.add("shutdown", h_shutdown, help="Shut down the interface")
    t.add("description", h_description(get), help="Description")
    t.add("port", h_port, help="Port link mode")
    return t


# ---------------------------------------------------------------------------------------------
# IKEv2 views
# ---------------------------------------------------------------------------------------------

def ikev2_proposal_table() -> Table:
    t = Table()
    get = lambda ctx: ctx.cfg.ikev2_proposals[ctx.view.key]  # noqa: E731

    def mk(attr, algs):
        def h(ctx, c, undo):
            p = get(ctx)
            if undo:
                c.end()
                setattr(p, attr, [])
                return
            vals = [c.kw(*algs)]
            while True:
                a = c.opt_kw(*algs)
                if a is None:
                    break
                if a not in vals:
                    vals.append(a)
            c.end()
            setattr(p, attr, vals)
        return h

    t.add("encryption", mk("encryption", IKEV2_ENC), help="Encryption algorithms")
    t.add("integrity", mk("integrity", IKEV2_INTEG), help="Integrity algorithms")
    t.add("prf", mk("prf", IKEV2_PRF), help="PRF algorithms")
    t.add("dh", mk("dh", IKEV2_DH), help="DH groups")
    return t


def ikev2_policy_table() -> Table:
    t = Table()
    get = lambda ctx: ctx.cfg.ikev2_policies[ctx.view.key]  # noqa: E731

    def h_proposal(ctx, c, undo):
        p = get(ctx)
        name = _name(c)
        c.end()
        if undo:
            p.proposals = [x for x in p.proposals if x.lower() != name.lower()]
        elif name.lower() not in [x.lower() for x in p.proposals]:
            p.proposals.append(name)

    def h_priority(ctx, c, undo):
        p = get(ctx)
        if undo:
            c.end()
            p.priority = None
            return
        v = c.int(1, 65535)
        c.end()
        p.priority = v

    def h_match(ctx, c, undo):
        p = get(ctx)
        c.kw("local")
        c.kw("address")
        if undo:
            c.end()
            p.match_local_address = None
            return
        if c.opt_ip() is not None:
            value = c.toks[c.i - 1].text
        else:
            value = iface_name_from(c, ctx)
        c.end()
        p.match_local_address = value

    t.add("proposal", h_proposal, help="Specify an IKEv2 proposal")
    t.add("priority", h_priority, help="Policy priority")
    t.add("match", h_match, help="Match criteria")
    return t


def ikev2_keychain_table() -> Table:
    t = Table()

    def h_peer(ctx, c, undo):
        kc: Ikev2Keychain = ctx.cfg.ikev2_keychains[ctx.view.key]
        name = _name(c, "Peer name")
        c.end()
        if undo:
            if name.lower() not in kc.peers:
                missing(ctx, "peer")
                return
            del kc.peers[name.lower()]
            return
        peer = kc.peers.setdefault(name.lower(), Ikev2Peer(name))
        ctx.enter(View("ikev2-peer", name.lower(), f"{ctx.view.label}-peer-{peer.name}",
                       parent_key=ctx.view.key))

    t.add("peer", h_peer, help="Specify a peer")
    return t


def ikev2_peer_table() -> Table:
    t = Table()
    get = lambda ctx: ctx.cfg.ikev2_keychains[ctx.view.parent_key].peers[ctx.view.key]  # noqa: E731

    def h_address(ctx, c, undo):
        p = get(ctx)
        if undo:
            c.end()
            p.address = None
            return
        ip = c.ip()
        m = c.opt_mask_or_len()
        c.end()
        p.address = (ip, 32 if m is None else m)

    def h_hostname(ctx, c, undo):
        p = get(ctx)
        if undo:
            c.end()
            p.hostname = None
            return
        v = c.string(253)
        c.end()
        p.hostname = v

    def h_identity(ctx, c, undo):
        p = get(ctx)
        if undo:
            c.end()
            p.identity = None
            return
        kind = c.kw("address", "fqdn", "email")
        value = c.ip() if kind == "address" else c.string(255)
        c.end()
        p.identity = (kind, value)

    def h_psk(ctx, c, undo):
        p = get(ctx)
        if undo:
            c.end()
            p.psk_cipher = None
            return
        value, is_cipher = parse_key_value(c, ("plaintext", "ciphertext"))
        c.end()
        p.psk_cipher = value if is_cipher else cipher_of(ctx, value)

    t.add("address", h_address, help="Peer address")
    t.add("hostname", h_hostname, help="Peer host name")
    t.add("identity", h_identity, help="Peer identity")
    t.add("pre-shared-key", h_psk, help="Pre-shared key")
    return t


def ikev2_profile_table() -> Table:
    t = Table()
    get = lambda ctx: ctx.cfg.ikev2_profiles[ctx.view.key]  # noqa: E731

    def h_auth(ctx, c, undo):
        p: Ikev2Profile = get(ctx)
        which = c.kw("local", "remote")
        if undo:
            c.end()
            setattr(p, "auth_" + which, None)
            return
        m = c.kw("pre-share", "rsa-signature", "ecdsa-signature")
        c.end()
        setattr(p, "auth_" + which, m)

    def h_keychain(ctx, c, undo):
        p = get(ctx)
        if undo:
            c.end()
            p.keychain = None
            return
        n = _name(c)
        c.end()
        p.keychain = n

    def h_identity(ctx, c, undo):
        p = get(ctx)
        c.kw("local")
        if undo:
            c.end()
            p.identity_local = None
            return
        kind = c.kw("address", "fqdn", "email")
        value = c.ip() if kind == "address" else c.string(255)
        c.end()
        p.identity_local = (kind, value)

    def h_match(ctx, c, undo):
        p = get(ctx)
        c.kw("remote")
        c.kw("identity")
        rid = parse_remote_identity(c)
        if undo:
            p.match_remote = [r for r in p.match_remote if r != rid]
        elif rid not in p.match_remote:
            p.match_remote.append(rid)

    def h_sa(ctx, c, undo):
        p = get(ctx)
        c.kw("duration")
        if undo:
            c.end()
            p.sa_duration = None
            return
        v = c.int(120, 86400)
        c.end()
        p.sa_duration = v

    def h_dpd(ctx, c, undo):
        p = get(ctx)
        if undo:
            c.end()
            p.dpd = None
            return
        p.dpd = parse_dpd(c)

    t.add("authentication-method", h_auth, help="Authentication method")
    t.add("keychain", h_keychain, help="Specify the keychain")
    t.add("identity", h_identity, help="Local identity")
    t.add("match", h_match, help="Match criteria")
    t.add("sa", h_sa, help="IKEv2 SA lifetime")
    t.add("dpd", h_dpd, help="Dead peer detection")
    return t


# ---------------------------------------------------------------------------------------------
# V5 views
# ---------------------------------------------------------------------------------------------

def ike_peer_table() -> Table:
    t = Table()
    get = lambda ctx: ctx.cfg.ike_peers[ctx.view.key]  # noqa: E731

    def simple(attr, parse, default=None):
        def h(ctx, c, undo):
            p = get(ctx)
            if undo:
                c.end()
                setattr(p, attr, default)
                return
            v = parse(c)
            c.end()
            setattr(p, attr, v)
        return h

    def h_proposal(ctx, c, undo):
        p: IkePeerV5 = get(ctx)
        if undo:
            c.end()
            p.proposals = []
            return
        nums = [c.int(1, 65535)]
        while len(nums) < 6:
            n = c.opt_int(1, 65535)
            if n is None:
                break
            nums.append(n)
        c.end()
        p.proposals = nums

    def h_psk(ctx, c, undo):
        p = get(ctx)
        if undo:
            c.end()
            p.psk_cipher = None
            return
        kind = c.opt_kw("cipher", "simple") or "simple"
        tok = c.peek()
        value = c.string(128 if kind == "simple" else 256)
        c.end()
        if kind == "cipher":
            if not looks_like_cipher(value):
                raise CliError(WRONG, tok.start)
            p.psk_cipher = value
        else:
            p.psk_cipher = cipher_of(ctx, value)

    def h_nat(ctx, c, undo):
        p = get(ctx)
        c.kw("traversal")
        c.end()
        p.nat_traversal = not undo

    t.add("exchange-mode", simple("exchange_mode", lambda c: c.kw("main", "aggressive"), "main"))
    t.add("proposal", h_proposal)
    t.add("pre-shared-key", h_psk)
    t.add("remote-address", simple("remote_address", lambda c: c.ip()))
    t.add("local-address", simple("local_address", lambda c: c.ip()))
    t.add("id-type", simple("id_type", lambda c: c.kw("ip", "name", "user-fqdn"), "ip"))
    t.add("remote-name", simple("remote_name", lambda c: c.string(255)))
    t.add("nat", h_nat)
    t.add("dpd", simple("dpd", lambda c: c.string(32)))
    return t


def ike_dpd_table() -> Table:
    t = Table()
    get = lambda ctx: ctx.cfg.ike_dpds[ctx.view.key]  # noqa: E731

    def mk(attr, lo, hi, default):
        def h(ctx, c, undo):
            d = get(ctx)
            if undo:
                c.end()
                setattr(d, attr, default)
                return
            v = c.int(lo, hi)
            c.end()
            setattr(d, attr, v)
        return h

    t.add("interval-time", mk("interval_time", 1, 300, 10))
    t.add("time-out", mk("time_out", 1, 60, 5))
    return t


def ipsec_proposal_table() -> Table:
    t = Table()
    get = lambda ctx: ctx.cfg.ipsec_proposals[ctx.view.key]  # noqa: E731

    h_transform = keyword_setting(get, "transform", "esp", ("esp", "ah", "ah-esp"))
    h_encap = keyword_setting(get, "encapsulation", "tunnel", ("tunnel", "transport"))

    def h_esp(ctx, c, undo):
        p: IpsecProposalV5 = get(ctx)
        which = c.kw("encryption-algorithm", "authentication-algorithm")
        if undo:
            c.end()
            if which == "encryption-algorithm":
                p.esp_encryption = "des-cbc"
            else:
                p.esp_authentication = "md5"
            return
        if which == "encryption-algorithm":
            alg = c.kw("des", "3des", "aes")
            if alg == "aes":
                bits = c.opt_kw("128", "192", "256") or "128"
                value = f"aes-cbc-{bits}"
            else:
                value = {"des": "des-cbc", "3des": "3des-cbc"}[alg]
            c.end()
            p.esp_encryption = value
        else:
            v = c.kw(*V5_ESP_AUTH)
            c.end()
            p.esp_authentication = v

    t.add("transform", h_transform)
    t.add("encapsulation-mode", h_encap)
    t.add("esp", h_esp)
    return t
