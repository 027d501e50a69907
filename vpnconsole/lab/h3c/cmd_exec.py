"""Commands available in (almost) every view: display, ping, save, quit, return, plus the user-view
only commands (system-view, reset, screen-length, terminal, debugging).

``reset`` exists only in user view (elsewhere: Unrecognized command, reference §5.11 / §9.8);
``display``/``ping``/``save`` everywhere; ``return`` everywhere except user view.
"""

from __future__ import annotations

import re
import statistics
from typing import Optional

from . import display as D
from .addr import is_ip
from .cli import UNRECOGNIZED, WRONG, CliError, Cursor
from .cmd_config import iface_name_from
from .render import current_configuration, join_blocks, view_block, interface_block
from .views import SYSTEM, Ctx, Table

SAVE_OK = ["Validating file. Please wait...",
           "Saved the current configuration to mainboard device successfully."]


# ---------------------------------------------------------------------------------------------
# display
# ---------------------------------------------------------------------------------------------

def _split_filter(c: Cursor):
    """Cut ``| {begin|exclude|include} REGEX`` off the cursor; return (kind, regex) or None."""
    for k in range(c.i, len(c.toks)):
        if c.toks[k].text == "|":
            sub = Cursor(c.line)
            sub.toks = c.toks[k + 1:]
            kind = sub.kw("begin", "exclude", "include")
            tok = sub.peek()
            if tok is None:
                sub.incomplete()
            regex = c.line[tok.start:].rstrip()
            try:
                compiled = re.compile(regex)
            except re.error:
                raise CliError(WRONG, tok.start)
            c.toks = c.toks[:k]
            return kind, compiled
        if c.toks[k].text.startswith("|"):
            raise CliError(UNRECOGNIZED, c.toks[k].start)
    return None


def apply_filter(lines: list[str], flt) -> list[str]:
    if flt is None:
        return lines
    kind, rx = flt
    if kind == "include":
        return [ln for ln in lines if rx.search(ln)]
    if kind == "exclude":
        return [ln for ln in lines if not rx.search(ln)]
    for i, ln in enumerate(lines):
        if rx.search(ln):
            return lines[i:]
    return []


def h_display(ctx: Ctx, c: Cursor, undo: bool) -> None:
    dev = ctx.dev
    flt = None if c.help_mode else _split_filter(c)
    v5 = dev.dialect == "v5"
    subs = [("version", "System version information"),
            ("current-configuration", "Current configuration"),
            ("saved-configuration", "Saved configuration"),
            ("this", "Configuration of the current view"),
            ("ike", "IKE information"), ("ipsec", "IPsec information"),
            ("acl", "ACL information"), ("ip", "IP information"),
            ("logbuffer", "Log buffer"), ("interface", "Interface information"),
            ("clock", "System clock")]
    if dev.dialect == "v7":
        subs.append(("ikev2", "IKEv2 information"))
    if dev.timed_rollback_enabled:
        subs.append(("configuration", "Configuration management information"))
    sub = c.kw(*subs, cmd=True)
    dev.expire()
    out: list[str]
    if sub == "version":
        c.end()
        out = D.display_version(dev)
    elif sub == "clock":
        c.end()
        out = [dev.wallclock().strftime("%H:%M:%S.") + f"{dev.wallclock().microsecond // 1000:03d} UTC "
               + dev.wallclock().strftime("%a %m/%d/%Y")]
    elif sub == "current-configuration":
        which = c.opt_kw(("interface", "Interface configuration"))
        if which:
            name = iface_name_from(c, ctx)
            c.end()
            itf = ctx.cfg.interfaces.get(name.lower())
            out = join_blocks([interface_block(itf, dev.dialect)]) if itf else []
        else:
            c.end()
            out = current_configuration(dev, ctx.cfg)
    elif sub == "saved-configuration":
        c.end()
        out = current_configuration(dev, dev.saved_config)
    elif sub == "this":
        c.end()
        if ctx.view.kind == "user":
            out = ["#", "return"]
        else:
            out = join_blocks(view_block(dev, ctx.cfg, ctx.view))
    elif sub == "ike":
        items = [("proposal", "IKE proposals"), ("sa", "IKE SAs")]
        if v5:
            items.append(("peer", "IKE peers"))
        what = c.kw(*items, cmd=True)
        if what == "proposal":
            c.end()
            out = D.display_ike_proposal(dev)
        elif what == "peer":
            c.end()
            out = []
            for p in ctx.cfg.ike_peers.values():
                out += [f"   Peer name: {p.name}", f"   Exchange mode: {p.exchange_mode} on phase 1",
                        f"   Pre-shared-key: {'******' if p.psk_cipher else ''}",
                        f"   Proposal: {' '.join(map(str, p.proposals))}",
                        f"   Remote address: {p.remote_address or ''}",
                        f"   NAT traversal: {'Enable' if p.nat_traversal else 'Disable'}",
                        f"   DPD: {p.dpd or ''}", ""]
        else:
            verbose = c.opt_kw("verbose")
            conn = remote = None
            if verbose:
                f = c.opt_kw("connection-id", "remote-address")
                if f == "connection-id":
                    conn = c.int(1, 2000000000)
                elif f == "remote-address":
                    remote = c.ip()
            c.end()
            out = D.display_ike_sa(dev, bool(verbose), conn, remote)
    elif sub == "ikev2":
        what = c.kw(("sa", "IKEv2 SAs"), ("proposal", "IKEv2 proposals"), ("policy", "IKEv2 policies"), cmd=True)
        if what == "sa":
            verbose = c.opt_kw("verbose")
            c.end()
            out = D.display_ikev2_sa(dev, bool(verbose))
        elif what == "proposal":
            c.end()
            out = []
            for p in ctx.cfg.ikev2_proposals.values():
                out += [f"IKEv2 proposal : {p.name}",
                        f"  Encryption: {' '.join(a.upper() for a in p.encryption)}",
                        f"  Integrity: {' '.join(a.upper() for a in p.integrity)}",
                        f"  PRF: {' '.join(a.upper() for a in (p.prf or p.integrity))}",
                        f"  DH Group: {' '.join('MODP' + a[5:] for a in p.dh)}", ""]
            out += ["IKEv2 proposal : default", "  Encryption: AES-CBC-128 3DES-CBC",
                    "  Integrity: SHA1 MD5", "  PRF: SHA1 MD5", "  DH Group: MODP1536/Group5 MODP1024/Group2"]
        else:
            c.end()
            out = []
            for p in ctx.cfg.ikev2_policies.values():
                out += [f"IKEv2 policy : {p.name}", f"  Priority: {p.priority or 100}",
                        f"  Match local address: {p.match_local_address or ''}".rstrip(),
                        f"  Proposal: {' '.join(p.proposals)}".rstrip(), ""]
            while out and out[-1] == "":
                out.pop()
    elif sub == "ipsec":
        items = [("sa", "IPsec SAs"), ("tunnel", "IPsec tunnels"), ("policy", "IPsec policies")]
        items.append(("proposal", "IPsec proposals") if v5 else ("transform-set", "IPsec transform sets"))
        what = c.kw(*items, cmd=True)
        if what == "sa":
            f = c.opt_kw("brief", "count", "policy", "remote", "interface")
            if f == "brief":
                c.end()
                out = D.display_ipsec_sa_brief(dev)
            elif f == "count":
                c.end()
                out = [f"Total IPsec SAs count: {2 * len(dev.runtime.ipsec_sas)}"]
            elif f == "policy":
                name = c.string(63)
                seq = c.opt_int(1, 65535)
                c.end()
                out = D.display_ipsec_sa(dev, D.filter_sas(dev, policy=name, seq=seq))
            elif f == "remote":
                ip = c.ip()
                c.end()
                out = D.display_ipsec_sa(dev, D.filter_sas(dev, remote=ip))
            elif f == "interface":
                name = iface_name_from(c, ctx)
                c.end()
                out = D.display_ipsec_sa(dev, D.filter_sas(dev, interface=name))
            else:
                c.end()
                out = D.display_ipsec_sa(dev, dev.runtime.ipsec_sas)
        elif what == "tunnel":
            f = c.opt_kw("brief", "count", "tunnel-id")
            tid = None
            if f == "tunnel-id":
                tid = c.int(0, 2000000000)
            c.end()
            out = D.display_ipsec_tunnel(dev, f or "all", tid)
        elif what == "policy":
            c.opt_kw("brief")
            name = c.string(63) if not c.at_end else None
            seq = c.opt_int(1, 65535) if name else None
            c.end()
            out = D.display_ipsec_policy(dev, name, seq)
        elif what == "transform-set":
            name = c.string(63) if not c.at_end else None
            c.end()
            out = D.display_transform_set(dev, name)
        else:
            name = c.string(63) if not c.at_end else None
            c.end()
            out = D.display_ipsec_proposal(dev, name)
    elif sub == "acl":
        tok = c.peek()
        if c.opt_kw("all"):
            c.end()
            out = []
            for _, acl in sorted(ctx.cfg.acls.items()):
                if out:
                    out.append("")
                out += D.display_acl(dev, acl)
        else:
            num = c.int(2000, 5999, "ACL number")
            c.end()
            acl = ctx.cfg.acls.get(num)
            out = D.display_acl(dev, acl) if acl else []
            del tok
    elif sub == "ip":
        which = c.kw(("routing-table", "Routing table"), ("interface", "IP interface information"), cmd=True)
        if which == "interface":
            c.kw("brief")
            c.end()
            out = D.display_interface_brief(dev)
        else:
            dest = plen = proto = None
            if c.opt_kw("protocol"):
                proto = c.kw("static", "direct")
            else:
                dest = c.opt_ip("Destination IP address")
                if dest is not None:
                    plen = c.opt_mask_or_len()
            c.end()
            out = D.display_routing_table(dev, dest, plen, proto)
    elif sub == "logbuffer":
        c.end()
        out = D.display_logbuffer(dev)
    elif sub == "configuration":
        c.kw("commit")
        c.kw("delay")
        c.end()
        out = D.display_commit_delay(dev)
    elif sub == "interface":
        c.kw("brief")
        c.end()
        out = D.display_interface_brief(dev)
    else:  # pragma: no cover
        out = []
    ctx.out.extend(apply_filter(out, flt))
    ctx.session.paged = True


# ---------------------------------------------------------------------------------------------
# ping
# ---------------------------------------------------------------------------------------------

def h_ping(ctx: Ctx, c: Cursor, undo: bool) -> None:
    src: Optional[str] = None
    count, size, timeout = 5, 56, 2000
    while True:
        opt = c.opt_kw(("-a", "Source IP address"), ("-c", "Number of echo requests"),
                       ("-s", "Packet size"), ("-t", "Timeout in milliseconds"),
                       ("-m", "Interval between echoes"), ("-q", "Quiet"), ("-f", "Don't fragment"),
                       ("-vpn-instance", "VPN instance"), ("ip", "IPv4"))
        if opt is None:
            break
        if opt == "-a":
            src = c.ip()
        elif opt == "-c":
            count = c.int(1, 4294967295)
        elif opt == "-s":
            size = c.int(20, 8100)
        elif opt == "-t":
            timeout = c.int(0, 65535)
        elif opt == "-m":
            c.int(1, 65535)
        elif opt == "-vpn-instance":
            c.string(31)
    host = c.string(253, desc="IP address or host name")
    c.end()
    dev = ctx.dev
    if not is_ip(host):
        ctx.print(f"Ping {host}: Failed to resolve the host name.")
        return
    count = min(count, 1000)
    res = dev.engine.echo(src, host, count, size)
    dev.ping_sleep(count, res.replies, timeout)
    if dev.dialect == "v5":
        ctx.print(f"  PING {host}: {size}  data bytes, press CTRL_C to break")
        got = []
        for i, r in enumerate(res.replies, 1):
            if r is None:
                ctx.print("    Request time out")
            else:
                got.append(r)
                ctx.print(f"    Reply from {host}: bytes={size} Sequence={i} ttl={res.ttl} time={max(1, round(r))} ms")
        ctx.print("", f"  --- {host} ping statistics ---", f"    {count} packet(s) transmitted",
                  f"    {len(got)} packet(s) received", f"    {100.0 * (count - len(got)) / count:.2f}% packet loss")
        if got:
            ints = [max(1, round(x)) for x in got]
            ctx.print(f"    round-trip min/avg/max = {min(ints)}/{round(sum(ints) / len(ints))}/{max(ints)} ms")
        return
    head = f"Ping {host} ({host})" + (f" from {src}" if src else "") + \
        f": {size} data bytes, press CTRL+C to break"
    ctx.print(head)
    got = []
    for i, r in enumerate(res.replies):
        if r is None:
            ctx.print("Request time out")
        else:
            got.append(r)
            ctx.print(f"{size} bytes from {host}: icmp_seq={i} ttl={res.ttl} time={r:.3f} ms")
    ctx.print("", f"--- Ping statistics for {host} ---",
              f"{count} packet(s) transmitted, {len(got)} packet(s) received, "
              f"{100.0 * (count - len(got)) / count:.1f}% packet loss")
    if got:
        sd = statistics.pstdev(got) if len(got) > 1 else 0.0
        ctx.print(f"round-trip min/avg/max/std-dev = {min(got):.3f}/{sum(got) / len(got):.3f}/{max(got):.3f}/{sd:.3f} ms")


# ---------------------------------------------------------------------------------------------
# save / quit / return / system-view / reset / misc
# ---------------------------------------------------------------------------------------------

def h_save(ctx: Ctx, c: Cursor, undo: bool) -> None:
    force = c.opt_kw(("force", "Save without confirmation"))
    if not force and not c.at_end:
        c.opt_kw("safely")
        if not c.at_end:
            c.string(255)  # file name, accepted and ignored
    c.end()
    if force:
        ctx.dev.save()
        ctx.print(*SAVE_OK)
        return
    sess = ctx.session

    def after_confirm(answer: str, ctx2: Ctx) -> None:
        if answer.strip().lower() not in ("y", "yes"):
            return

        def after_name(_name: str, ctx3: Ctx) -> None:
            ctx3.dev.save()
            ctx3.print(*SAVE_OK)
        sess.ask("Please input the file name(*.cfg)[flash:/startup.cfg]\r\n"
                 "(To leave the existing filename unchanged, press the enter key):", after_name)

    sess.ask("The current configuration will be written to the device. Are you sure? [Y/N]:", after_confirm)


def h_quit(ctx: Ctx, c: Cursor, undo: bool) -> None:
    c.end()
    views = ctx.session.views
    if len(views) == 1:
        ctx.closed = True
        return
    views.pop()


def h_return(ctx: Ctx, c: Cursor, undo: bool) -> None:
    c.end()
    del ctx.session.views[1:]


def h_system_view(ctx: Ctx, c: Cursor, undo: bool) -> None:
    c.end()
    ctx.print("System View: return to User View with Ctrl+Z.")
    ctx.session.views.append(SYSTEM)


def h_screen_length(ctx: Ctx, c: Cursor, undo: bool) -> None:
    if undo:
        c.kw("disable")
        c.end()
        ctx.session.paging = True
        return
    tok = c.peek()
    if c.opt_kw(("disable", "Disable pagination")):
        c.end()
        ctx.session.paging = False
        return
    n = c.int(0, 512, "Number of lines on a screen")
    c.end()
    del tok
    ctx.session.paging = n != 0
    ctx.session.screen_length = n or ctx.session.screen_length


def h_terminal(ctx: Ctx, c: Cursor, undo: bool) -> None:
    what = c.kw(("monitor", "Enable log output to the terminal"), ("debugging", "Debug output"),
                ("logging", "Log output level"))
    if what == "logging":
        c.kw("level")
        c.int(0, 7)
    c.end()
    if what == "monitor":
        ctx.session.monitor = not undo


def h_debugging(ctx: Ctx, c: Cursor, undo: bool) -> None:
    if undo:
        c.kw("all")
        c.end()
        return
    c.kw("ike", "ipsec", "ikev2")
    c.kw("all", "error", "event", "packet")
    c.end()


def h_reset(ctx: Ctx, c: Cursor, undo: bool) -> None:
    dev = ctx.dev
    subs = [("ike", "IKE"), ("ipsec", "IPsec"), ("nat", "NAT"), ("saved-configuration", "Saved configuration")]
    if dev.dialect == "v7":
        subs.append(("ikev2", "IKEv2"))
    what = c.kw(*subs, cmd=True)
    if what == "ike":
        kind = c.kw(("sa", "IKE SAs"), ("statistics", "IKE statistics"), cmd=True)
        conn = None
        if kind == "sa" and c.opt_kw("connection-id"):
            conn = c.int(1, 2000000000)
        c.end()
        if kind == "sa":
            dev.reset_ike_sa(conn)
    elif what == "ikev2":
        c.kw(("sa", "IKEv2 SAs"), cmd=True)
        c.end()
        dev.reset_ike_sa(None, version="ikev2")
    elif what == "ipsec":
        kind = c.kw(("sa", "IPsec SAs"), ("statistics", "IPsec statistics"), cmd=True)
        policy = remote = spi = None
        seq = None
        if kind == "sa":
            f = c.opt_kw("policy", "remote", "spi")
            if f == "policy":
                policy = c.string(63)
                seq = c.opt_int(1, 65535)
            elif f == "remote":
                remote = c.ip()
            elif f == "spi":
                c.ip()
                c.kw("ah", "esp")
                spi = c.int(256, 4294967295)
        c.end()
        if kind == "sa":
            dev.reset_ipsec_sa(policy, seq, remote, spi)
    elif what == "nat":
        c.kw("session")
        c.end()
    else:
        c.end()
        ctx.session.ask("The saved configuration file will be erased. Are you sure? [Y/N]:",
                        lambda a, ctx2: ctx2.dev.erase_saved() if a.strip().lower() in ("y", "yes") else None)


def common_table(table: Table, user: bool) -> Table:
    table.add("display", h_display, undo=False, help="Display current system information")
    table.add("ping", h_ping, undo=False, help="Ping function")
    table.add("save", h_save, undo=False, help="Save current configuration")
    table.add("quit", h_quit, undo=False, help="Exit from current command view")
    if not user:
        table.add("return", h_return, undo=False, help="Exit to User View")
    return table


def user_table() -> Table:
    t = Table()
    common_table(t, user=True)
    t.add("system-view", h_system_view, undo=False, help="Enter the System View")
    t.add("reset", h_reset, undo=False, help="Reset operation")
    t.add("screen-length", h_screen_length, help="Specify the lines displayed on one screen")
    t.add("terminal", h_terminal, help="Set the terminal line characteristics")
    t.add("debugging", h_debugging, help="Enable system debugging functions")
    return t
