"""The simulated H3C device (:class:`SimulatedH3C`) and its CLI sessions (:class:`CliSession`).

A device holds the running/saved configuration, the runtime SA tables, the log buffer, the clock
and the :class:`~.peer.Peer`. Each SSH shell (or a test) opens a :class:`CliSession`, which is a
byte-stream terminal: :meth:`CliSession.feed` takes raw input (characters, several lines at once,
``\\r``/``\\n``/``\\r\\n`` terminators, backspace, ``?`` help, Tab completion, Ctrl+Z, Ctrl+C) and
returns the output chunks exactly as the device would write them: command echo, output lines
ending ``\\r\\n``, then the prompt without a trailing newline (reference §9.3-4).

Behaviour choices where the reference is not definite [?]:

* a command unknown in a sub-view is retried in system view (parent-view fallback, §9.7); on
  success the session is left in system view (or in the view that command entered);
* ``undo`` of a missing object prints ``The <object> does not exist.`` only when
  ``missing_delete="message"`` (default ``"silent"``);
* ``strict_references=True`` refuses to delete referenced objects with an invented plain-text line;
* Ctrl+Z prints a new line and the user-view prompt; Ctrl+C discards the line being typed;
* with ``echo_wrap=N`` the echo of a long command gets ``\\r\\n`` inserted each time the cursor
  reaches column N (how a terminal-width-unaware device wraps, the reason netmiko disables
  cmd_verify on Comware);
* paging: unless ``screen-length disable`` was sent, ``display`` output longer than the screen
  length (24) stops at ``  ---- More ----``; space = next page, Enter = next line, anything else
  ends the output. The More prompt is erased with ``ESC[16D`` + 16 spaces + ``ESC[16D``;
* terminal monitor (log lines printed asynchronously to the session) is off by default for VTY
  sessions (``terminal monitor`` / ``undo terminal monitor`` toggle it);
* timed rollback (V7 dialect, ``timed_rollback=True``): ``configuration commit delay N`` snapshots
  the running configuration; a second one restarts the timer but keeps the first snapshot [?]. The
  deadline is checked by :meth:`SimulatedH3C.expire` (displays, pings, ``advance()``) and before
  every command line; on expiry the snapshot is restored, IPsec SAs of policies no longer applied
  are dropped, sessions deeper than system view are put back in system view [?] and an (invented)
  ``CFGMAN/4/CFGMAN_ROLLBACK`` line is logged. A reboot cancels the timer.
"""

from __future__ import annotations

import copy
import datetime as _dt
import hashlib
import random
import threading
import time
from dataclasses import dataclass
from typing import Callable, Iterable, Optional, Union

from . import cmd_config as CC
from .cli import CliError, HelpRequest, SemanticError, format_help
from .cmd_exec import common_table, user_table
from .negotiation import Engine
from .peer import DataPacket, DeleteNotice, NullPeer, Peer
from .state import CommitDelay, Config, Interface, Runtime
from .views import USER, Ctx, Table, View, run_line

DEFAULT_VERSIONS = {
    "v7": "7.1.064, Release 0821P16",
    "v7-early": "7.1.049, Release 0106P02",
    "v5": "5.20.106, Release 2516P16",
}

COPYRIGHT_BANNER = [
    "******************************************************************************",
    "* Copyright (c) 2004-2021 New H3C Technologies Co., Ltd. All rights reserved.*",
    "* Without the owner's prior written consent,                                 *",
    "* no decompiling or reverse-engineering shall be allowed.                    *",
    "******************************************************************************",
]

NOISE_MESSAGES = [
    ("IKE", 6, "IKE_P2_SA_TERMINATE", "The IKE phase 2 SA was deleted. Reason: The SA expired."),
    ("SHELL", 5, "SHELL_CMD_MATCHFAIL", "-User=netops-IPAddr=10.0.0.9; Command display foo in view shell "
                                        "failed to be matched. Unrecognized command."),
    ("IKE", 6, "IKE_P1_SA_ESTABLISH_FAIL", "Failed to establish phase 1 SA in main mode IKE_P1_STATE_SEND1 "
                                           "state. Reason: Failed to receive a response. Wrong parameter."),
    ("IFNET", 3, "PHY_UPDOWN", "Physical state on the interface GigabitEthernet0/2 changed to down."),
]

MORE = "  ---- More ----"
MORE_ERASE = "\x1b[16D" + " " * 16 + "\x1b[16D"

PHYSICAL_TYPES = ["GigabitEthernet", "Ten-GigabitEthernet"]
LOGICAL_TYPES = ["LoopBack", "Vlan-interface", "NULL"]
TYPE_ALIASES = {"ge": "GigabitEthernet", "xge": "Ten-GigabitEthernet", "loop": "LoopBack",
                "vlan": "Vlan-interface"}


@dataclass
class DeviceOptions:
    """Everything configurable about the simulated device (see module docstrings for semantics)."""

    dialect: str = "v7"  # v7 | v7-early | v5
    sysname: str = "H3C"
    model: Optional[str] = None  # display version; default MSR3610 (V7) / MSR30-20 (V5)
    version: Optional[str] = None  # "7.1.064, Release 0821P16"
    interfaces: tuple[str, ...] = ("GigabitEthernet0/0", "GigabitEthernet0/1", "GigabitEthernet0/2")
    initial_config: tuple[str, ...] = ()  # system-view lines applied at boot (become the saved config)
    missing_delete: str = "silent"  # silent | message
    strict_references: bool = False
    parent_view_fallback: bool = True
    unknown_linger: float = 60.0  # seconds an Unknown IKE row stays after an unanswered attempt
    seed: int = 0
    answer_next_hops: bool = True  # static-route next hops answer pings
    banner: Union[bool, str] = True  # copyright box at login (or custom text)
    press_enter_gate: bool = False  # "Press Y or ENTER to continue, N to exit."
    paging: bool = True  # sessions start paged (screen-length 24) until "screen-length disable"
    screen_length: int = 24
    latency: float = 0.0  # seconds before each answered line (server side)
    echo_wrap: Optional[int] = None  # e.g. 80
    syslog_noise_every: int = 0  # inject a log line into every Nth command's output
    drop_after: Optional[int] = None  # close the connection after N non-blank command lines
    terminal_monitor: bool = False  # default monitor state of new sessions
    ping_delay: float = 0.0  # fraction of real ping waits actually slept (0 = instant)
    clock: Callable[[], float] = time.time
    local_user: Optional[tuple[str, str]] = None  # rendered as local-user block (name, password)
    timed_rollback: bool = True  # V7 only: configuration commit delay / configuration commit

    def __post_init__(self):
        if self.dialect not in ("v7", "v7-early", "v5"):
            raise ValueError(f"unknown dialect {self.dialect!r}")
        if self.missing_delete not in ("silent", "message"):
            raise ValueError("missing_delete must be 'silent' or 'message'")


USER_PLACEHOLDERS = (
    "archive", "backup", "boot-loader", "cd", "clock", "copy", "delete", "dir", "execute", "fdisk",
    "format", "free", "ftp", "gunzip", "gzip", "install", "lock", "mkdir", "more", "move", "ping6",
    "pwd", "reboot", "rename", "restore", "rmdir", "scheduler", "send", "ssh2", "startup", "super",
    "tar", "telnet", "tftp", "tracert", "tracert6", "undelete",
)
SYSTEM_PLACEHOLDERS = (
    "aaa", "archive", "arp", "bgp", "clock", "configuration", "dhcp", "dns", "domain", "dot1x",
    "ftp", "header", "hotkey", "info-center", "ipv6", "line", "lldp", "local-user", "nat",
    "ntp-service", "ospf", "password-recovery", "public-key", "qos", "radius", "rip", "role",
    "route-policy", "security-zone", "snmp-agent", "ssh", "stp", "telnet", "user-interface", "vlan",
)


class SimulatedH3C:
    """A Comware router: configuration, runtime SA tables, log buffer, clock, peer."""

    def __init__(self, options: Optional[DeviceOptions] = None, peer: Optional[Peer] = None, **overrides):
        if options is None:
            options = DeviceOptions(**overrides)
        elif overrides:
            options = copy.copy(options)
            for k, v in overrides.items():
                setattr(options, k, v)
            options.__post_init__()
        self.options = options
        self.peer: Peer = peer if peer is not None else NullPeer()
        self.lock = threading.RLock()
        self.rng = random.Random(options.seed)
        self.psk_secret = hashlib.sha256(f"h3c-sim-{options.seed}".encode()).digest()
        self._offset = 0.0
        self.boot_time = self.now()
        self.engine = Engine(self)
        # Called (under the device lock) at the end of every expire(): displays, pings, advance().
        # The lab's negotiation model uses it to apply what the far end did meanwhile.
        self.tick_hooks: list[Callable[["SimulatedH3C"], None]] = []
        self._ticking = False
        self.sessions: list["CliSession"] = []
        self._executing: Optional["CliSession"] = None
        self.config = self._factory_config()
        self.runtime = Runtime()
        self.tables = self._build_tables()
        if options.initial_config:
            self.run_config(options.initial_config)
        self.saved_config = copy.deepcopy(self.config)

    # -- construction -------------------------------------------------------------------------
    @property
    def dialect(self) -> str:
        return self.options.dialect

    def _factory_config(self) -> Config:
        cfg = Config(sysname=self.options.sysname)
        cfg.interfaces["null0"] = Interface("NULL0", physical=False)
        for name in self.options.interfaces:
            cfg.interfaces[name.lower()] = Interface(name)
        if self.options.local_user:
            user, pw = self.options.local_user
            h = hashlib.sha512((user + pw).encode()).digest()
            import base64
            cfg.local_users.append((user, "$h$6$" + base64.b64encode(h[:48]).decode()))
        return cfg

    def _build_tables(self) -> dict[str, Table]:
        d = self.dialect
        t: dict[str, Table] = {"user": user_table()}
        t["user"].placeholders = USER_PLACEHOLDERS
        system = CC.system_table(d)
        t["system"] = common_table(system, user=False)
        t["system"].placeholders = SYSTEM_PLACEHOLDERS
        sub = {
            "acl": CC.acl_table(),
            "ike-proposal": CC.ike_proposal_table(d),
            "ipsec-policy": CC.ipsec_policy_table(d),
            "interface": CC.interface_table(d),
        }
        if d == "v5":
            sub.update({"ike-peer": CC.ike_peer_table(), "ike-dpd": CC.ike_dpd_table(),
                        "ipsec-proposal": CC.ipsec_proposal_table()})
        else:
            sub.update({"ike-keychain": CC.ike_keychain_table(), "ike-profile": CC.ike_profile_table(),
                        "transform-set": CC.transform_set_table()})
            if d == "v7":
                sub.update({"ikev2-proposal": CC.ikev2_proposal_table(), "ikev2-policy": CC.ikev2_policy_table(),
                            "ikev2-keychain": CC.ikev2_keychain_table(), "ikev2-peer": CC.ikev2_peer_table(),
                            "ikev2-profile": CC.ikev2_profile_table()})
        for k, tab in sub.items():
            t[k] = common_table(tab, user=False)
        return t

    def version_string(self) -> str:
        return self.options.version or DEFAULT_VERSIONS[self.dialect]

    @property
    def model(self) -> str:
        return self.options.model or ("MSR30-20" if self.dialect == "v5" else "MSR3610")

    # -- clock --------------------------------------------------------------------------------
    def now(self) -> float:
        return self.options.clock() + self._offset

    def wallclock(self) -> _dt.datetime:
        return _dt.datetime.fromtimestamp(self.now())

    # -- timed rollback (V7 configuration commit delay) ----------------------------------------
    @property
    def timed_rollback_enabled(self) -> bool:
        return self.dialect == "v7" and bool(self.options.timed_rollback)

    def start_commit_delay(self, minutes: int) -> None:
        with self.lock:
            now = self.now()
            pending = self.runtime.commit_delay
            snapshot = pending.snapshot if pending is not None else copy.deepcopy(self.config)
            self.runtime.commit_delay = CommitDelay(minutes, now, now + minutes * 60.0, snapshot)

    def commit_configuration(self) -> None:
        with self.lock:
            self.runtime.commit_delay = None

    def check_commit_delay(self) -> bool:
        """Roll back if the commit-delay timer ran out; True when it did."""
        with self.lock:
            pending = self.runtime.commit_delay
            if pending is None or pending.deadline > self.now():
                return False
            self.runtime.commit_delay = None
            self.config = copy.deepcopy(pending.snapshot)
            applied = {(i.name.lower(), i.ipsec_policy.lower()) for i in self.config.interfaces.values()
                       if i.ipsec_policy}
            stale = [sa for sa in self.runtime.ipsec_sas
                     if (sa.interface.lower(), sa.policy.lower()) not in applied]
            self._drop_ipsec(stale, "The IPsec policy configuration changed")
            for s in self.sessions:
                if len(s.views) > 2:
                    del s.views[2:]
            self.log("CFGMAN", 4, "CFGMAN_ROLLBACK",
                     f"The configuration commit delay ({pending.minutes} minutes) expired without "
                     "configuration commit. The running configuration was rolled back.")
            return True

    def advance(self, seconds: float) -> None:
        """Fast-forward the device clock (SA lifetimes, Unknown rows, DPD) and expire state."""
        with self.lock:
            self._offset += seconds
            self.expire()

    # -- interfaces ---------------------------------------------------------------------------
    def interface_types(self) -> list[str]:
        return PHYSICAL_TYPES + LOGICAL_TYPES

    def resolve_interface(self, tname: str, num: str, create: bool = False) -> Optional[str]:
        if not tname:
            return None
        low = tname.lower()
        full = TYPE_ALIASES.get(low)
        if full is None:
            cands = [t for t in self.interface_types() if t.lower().startswith(low)]
            if len(cands) != 1:
                exact = [t for t in cands if t.lower() == low]
                if len(exact) != 1:
                    return None
                cands = exact
            full = cands[0]
        if not num or not all(ch.isdigit() or ch == "/" for ch in num):
            return None
        name = full + num
        itf = self.config.interfaces.get(name.lower())
        if itf is not None:
            return itf.name
        if full in ("LoopBack", "Vlan-interface") and "/" not in num:
            n = int(num)
            if (full == "LoopBack" and n > 1023) or (full == "Vlan-interface" and not 1 <= n <= 4094):
                return None
            if create:
                self.config.interfaces[name.lower()] = Interface(name, physical=False)
            return name
        return None

    def sorted_interfaces(self, cfg: Config) -> list[Interface]:
        def key(i: Interface):
            order = 0 if i.name.upper().startswith("NULL") else (1 if i.physical else 2)
            nums = [int(x) for x in "".join(ch if ch.isdigit() else " " for ch in i.name).split()]
            return (order, i.name.rstrip("0123456789/"), nums)
        return sorted(cfg.interfaces.values(), key=key)

    def neighbor_addresses(self) -> set[str]:
        if not self.options.answer_next_hops:
            return set()
        return {r.nexthop for r in self.config.routes if r.nexthop}

    # -- logging ------------------------------------------------------------------------------
    def format_log(self, module: str, level: int, mnemonic: str, text: str) -> str:
        t = self.wallclock()
        stamp = f"{t.strftime('%b')} {t.day:>2} {t.strftime('%H:%M:%S')}:{t.microsecond // 1000:03d} {t.year}"
        return f"%{stamp} {self.config.sysname} {module}/{level}/{mnemonic}: {text}"

    def log(self, module: str, level: int, mnemonic: str, text: str) -> str:
        line = self.format_log(module, level, mnemonic, text)
        self.runtime.logbuffer.append(line)
        del self.runtime.logbuffer[:-1024]
        for s in list(self.sessions):
            if s.monitor:
                s.deliver_log(line, current=(s is self._executing))
        return line

    # -- SA management ------------------------------------------------------------------------
    def expire(self) -> None:
        with self.lock:
            self.check_commit_delay()
            now = self.now()
            rt = self.runtime
            keep = []
            for s in rt.ike_sas:
                if s.flag == "Unknown":
                    if s.expires is not None and s.expires <= now:
                        continue
                elif s.created + s.lifetime <= now:
                    self.log("IKE", 6, "IKE_P1_SA_TERMINATE",
                             f"The IKE phase 1 SA was deleted. Reason: The SA expired. SA information: "
                             f"Role: {s.role} Local IP: {s.local_ip} Remote IP: {s.remote_ip}")
                    self.peer.notify_delete(DeleteNotice("ike", s.local_ip, s.remote_ip))
                    continue
                elif s.dpd is not None and s.dpd.mode == "periodic":
                    while s.last_dpd + s.dpd.interval <= now:
                        s.last_dpd += s.dpd.interval
                        if not self.peer.deliver(DataPacket("dpd", s.local_ip, s.remote_ip, False,
                                                            s.local_ip, s.remote_ip)):
                            s.flag = "DPD-DEAD"
                            break
                    if s.flag == "DPD-DEAD":
                        self.log("IKE", 6, "IKE_P1_SA_TERMINATE",
                                 f"The IKE phase 1 SA was deleted. Reason: DPD timeout. SA information: "
                                 f"Role: {s.role} Local IP: {s.local_ip} Remote IP: {s.remote_ip}")
                        self._drop_ipsec([sa for sa in rt.ipsec_sas if sa.remote_ip == s.remote_ip], "DPD timeout")
                        continue
                keep.append(s)
            rt.ike_sas = keep
            expired = [sa for sa in rt.ipsec_sas if sa.created + sa.lifetime_s <= now]
            if expired:
                self._drop_ipsec(expired, "The SA expired")
            if self.tick_hooks and not self._ticking:
                self._ticking = True
                try:
                    for hook in list(self.tick_hooks):
                        hook(self)
                finally:
                    self._ticking = False

    def _drop_ipsec(self, sas, reason: str, notify: bool = True) -> None:
        rt = self.runtime
        for sa in sas:
            if sa not in rt.ipsec_sas:
                continue
            rt.ipsec_sas.remove(sa)
            for src, dst, spi in ((sa.local_ip, sa.remote_ip, sa.out_spi), (sa.remote_ip, sa.local_ip, sa.in_spi)):
                self.log("IPSEC", 6, "IPSEC_SA_TERMINATE",
                         f"The IPsec SA was deleted. Reason: {reason}. The SA's source address is {src}, "
                         f"destination address is {dst}, protocol is ESP, and SPI is {spi}.")
            if notify:
                self.peer.notify_delete(DeleteNotice("ipsec", sa.local_ip, sa.remote_ip, (sa.out_spi, sa.in_spi)))

    def install_responder_sa(self, ike, children=()):
        """Install SAs negotiated with the router as responder (see :func:`.negotiation.install_responder`)."""
        from .negotiation import install_responder
        with self.lock:
            return install_responder(self, ike, children)

    def drop_peer_sas(self, remote_ip: str, local_ip: Optional[str] = None,
                      reason: str = "The remote peer deleted the SA",
                      older_than: Optional[tuple[int, int]] = None) -> None:
        """The far end deleted its SAs (delete notification): drop ours without notifying it back.

        ``older_than=(conn_mark, tunnel_mark)`` (``runtime.next_conn_id`` / ``runtime.next_tunnel_id``
        read when the far end deleted) limits the drop to SAs that existed then, so a delete that is
        applied late never removes SAs negotiated afterwards.
        """
        with self.lock:
            rt = self.runtime
            conn_mark, tunnel_mark = older_than if older_than is not None else (None, None)
            mine = lambda s: s.remote_ip == remote_ip and (local_ip is None or s.local_ip == local_ip)  # noqa: E731
            for s in [s for s in rt.ike_sas if mine(s) and (conn_mark is None or s.conn_id < conn_mark)]:
                rt.ike_sas.remove(s)
                if s.flag == "RD":
                    self.log("IKE", 6, "IKE_P1_SA_TERMINATE",
                             f"The IKE phase 1 SA was deleted. Reason: {reason}. SA information: "
                             f"Role: {s.role} Local IP: {s.local_ip} Remote IP: {s.remote_ip}")
            sas = [sa for sa in rt.ipsec_sas if mine(sa) and (tunnel_mark is None or sa.tunnel_id < tunnel_mark)]
            self._drop_ipsec(sas, reason, notify=False)

    def reset_ike_sa(self, conn_id: Optional[int] = None, version: str = "ikev1") -> None:
        with self.lock:
            rt = self.runtime
            gone = [s for s in rt.ike_sas if s.version == version and (conn_id is None or s.conn_id == conn_id)]
            for s in gone:
                rt.ike_sas.remove(s)
                if s.flag == "RD":
                    self.peer.notify_delete(DeleteNotice("ike", s.local_ip, s.remote_ip))
                if version == "ikev2":
                    # IKEv2 child SAs die with their IKE SA
                    self._drop_ipsec([sa for sa in rt.ipsec_sas if sa.ike_conn_id == s.conn_id],
                                     "The IKE SA was deleted")

    def reset_ipsec_sa(self, policy: Optional[str] = None, seq: Optional[int] = None,
                       remote: Optional[str] = None, spi: Optional[int] = None) -> None:
        with self.lock:
            sas = [sa for sa in self.runtime.ipsec_sas
                   if (policy is None or sa.policy.lower() == policy.lower())
                   and (seq is None or sa.seq == seq)
                   and (remote is None or sa.remote_ip == remote)
                   and (spi is None or spi in (sa.in_spi, sa.out_spi))]
            self._drop_ipsec(sas, "The SA was deleted by the reset command")

    def clear_policy_sas(self, name: str, seq: Optional[int] = None, interface: Optional[str] = None) -> None:
        sas = [sa for sa in self.runtime.ipsec_sas if sa.policy.lower() == name.lower()
               and (seq is None or sa.seq == seq) and (interface is None or sa.interface == interface)]
        self._drop_ipsec(sas, "The IPsec policy configuration changed")

    def clear_sas(self, notify_peer: bool = False) -> None:
        """Test hook: drop every IKE/IPsec SA (optionally telling the peer)."""
        with self.lock:
            if notify_peer:
                self.reset_ike_sa(None, "ikev1")
                self.reset_ike_sa(None, "ikev2")
                self.reset_ipsec_sa()
            self.runtime.ike_sas.clear()
            self.runtime.ipsec_sas.clear()

    # -- persistence ----------------------------------------------------------------------------
    def save(self) -> None:
        with self.lock:
            self.saved_config = copy.deepcopy(self.config)

    def erase_saved(self) -> None:
        with self.lock:
            self.saved_config = self._factory_config()

    def reboot(self) -> None:
        """Reload the saved configuration; SAs and sessions' views are lost."""
        with self.lock:
            self.config = copy.deepcopy(self.saved_config)
            self.runtime = Runtime(logbuffer=self.runtime.logbuffer)
            self.boot_time = self.now()
            for s in self.sessions:
                s.views[:] = [USER]

    def ping_sleep(self, count: int, replies, timeout_ms: int) -> None:
        if self.options.ping_delay <= 0:
            return
        total = sum((timeout_ms / 1000.0) if r is None else r / 1000.0 for r in replies)
        time.sleep(total * self.options.ping_delay)

    # -- sessions -----------------------------------------------------------------------------
    def open_session(self, **kw) -> "CliSession":
        s = CliSession(self, **kw)
        with self.lock:
            self.sessions.append(s)
        return s

    def close_session(self, s: "CliSession") -> None:
        with self.lock:
            if s in self.sessions:
                self.sessions.remove(s)

    def run_config(self, lines: Iterable[str]) -> str:
        """Run configuration lines in system view (no echo/paging); returns the raw transcript."""
        s = CliSession(self, greet=False)
        s.paging = False
        out = s.feed("system-view\n" + "".join(line + "\n" for line in lines) + "return\n")
        return "".join(out)

    def cli(self, *lines: str) -> str:
        """Run user-view lines in a fresh unpaged session; returns everything printed (for tests)."""
        s = CliSession(self, greet=False)
        s.paging = False
        return "".join(s.feed("".join(line + "\n" for line in lines)))


class CliSession:
    """One terminal session: line discipline + view stack + paging."""

    def __init__(self, dev: SimulatedH3C, greet: bool = True, username: str = ""):
        self.dev = dev
        o = dev.options
        self.views: list[View] = [USER]
        self.paging = o.paging
        self.screen_length = o.screen_length
        self.monitor = o.terminal_monitor
        self.username = username
        self.closed = False
        self.drop = False
        self.commands = 0
        self.paged = False
        self.writer: Optional[Callable[[str], None]] = None  # async output (server installs it)
        self._line = ""
        self._echoed = 0
        self._col = 0
        self._last_cr = False
        self._esc = 0
        self._more: Optional[list[str]] = None
        self._gate = False
        self._questions: list[tuple[str, Callable]] = []
        self._pending_logs: list[str] = []
        self._greet = greet

    # -- prompt ---------------------------------------------------------------------------------
    def prompt(self) -> str:
        name = self.dev.config.sysname
        v = self.views[-1]
        if v.kind == "user":
            return f"<{name}>"
        if v.kind == "system":
            return f"[{name}]"
        return f"[{name}-{v.label}]"

    def _show_prompt(self) -> str:
        p = self.prompt()
        self._col = len(p)
        return p

    def greeting(self) -> str:
        o = self.dev.options
        out = "\r\n"
        if o.banner:
            lines = COPYRIGHT_BANNER if o.banner is True else str(o.banner).splitlines()
            out += "\r\n".join(lines) + "\r\n\r\n"
        if o.press_enter_gate:
            self._gate = True
            return out + "Press Y or ENTER to continue, N to exit."
        return out + self._show_prompt()

    # -- public API -----------------------------------------------------------------------------
    def ask(self, question: str, callback: Callable[[str, Ctx], None]) -> None:
        self._questions.append((question, callback))

    def deliver_log(self, line: str, current: bool) -> None:
        if current or self.writer is None:
            self._pending_logs.append(line)
            return
        partial = self._line[:self._echoed]
        self.writer("\r\n" + line + "\r\n" + self._show_prompt() + partial)
        self._col += len(partial)

    def feed(self, data: str) -> list[str]:
        """Consume raw terminal input; return output chunks (one per answered line + a remainder)."""
        with self.dev.lock:
            return self._feed(data)

    # -- internals ------------------------------------------------------------------------------
    def _echo(self, text: str) -> str:
        wrap = self.dev.options.echo_wrap
        if not wrap:
            self._col += len(text)
            return text
        out = []
        for ch in text:
            if self._col >= wrap:
                out.append("\r\n")
                self._col = 0
            out.append(ch)
            self._col += 1
        return "".join(out)

    def _feed(self, data: str) -> list[str]:
        chunks: list[str] = []
        buf = ""
        for ch in data:
            if self.closed or self.drop:
                break
            if ch == "\n" and self._last_cr:
                self._last_cr = False
                continue
            self._last_cr = ch == "\r"
            if self._gate:
                if ch in "yY\r\n":
                    self._gate = False
                    buf += "\r\n" + self._show_prompt()
                elif ch in "nN":
                    self.closed = True
                continue
            if self._more is not None:
                buf += self._more_key(ch)
                continue
            if self._esc:
                if self._esc == 1:
                    self._esc = 2 if ch in "[O" else 0
                elif "@" <= ch <= "~":
                    self._esc = 0
                continue
            if ch in "\r\n":
                line = self._line
                buf += self._echo(line[self._echoed:]) + "\r\n"
                self._line, self._echoed = "", 0
                buf += self._execute(line)
                chunks.append(buf)
                buf = ""
                continue
            if ch == "\x1a":  # Ctrl+Z
                self._line, self._echoed = "", 0
                del self.views[1:]
                buf += "\r\n" + self._show_prompt()
            elif ch == "\x03":  # Ctrl+C
                self._line, self._echoed = "", 0
                buf += "\r\n" + self._show_prompt()
            elif ch in "\x7f\x08":
                if self._line:
                    if self._echoed == len(self._line):
                        buf += "\b \b"
                        self._echoed -= 1
                        self._col -= 1
                    self._line = self._line[:-1]
            elif ch == "\x1b":
                self._esc = 1
            elif ch == "?":
                buf += self._echo(self._line[self._echoed:]) + "?"
                self._echoed = len(self._line)
                buf += self._help()
            elif ch == "\t":
                buf += self._echo(self._line[self._echoed:])
                self._echoed = len(self._line)
                buf += self._complete()
            elif ch >= " ":
                self._line += ch
        if not (self.closed or self.drop) and self._echoed < len(self._line) and self._more is None:
            buf += self._echo(self._line[self._echoed:])
            self._echoed = len(self._line)
        if buf:
            chunks.append(buf)
        return chunks

    def _candidates(self, line: str) -> tuple[list[tuple[str, str]], Optional[CliError]]:
        ctx = Ctx(self.dev, self)
        saved = list(self.views)
        try:
            run_line(ctx, line, self.dev.tables, help_mode=True, parent_fallback=False)
        except HelpRequest as h:
            return h.candidates, None
        except CliError as e:
            return [], e
        except SemanticError:
            return [], None
        finally:
            self.views[:] = saved
        return [], None

    def _help(self) -> str:
        cands, err = self._candidates(self._line)
        lines = format_help(cands)
        if err is not None and not cands:
            lines = err.render(len(self.prompt()) )
        out = "\r\n" + "".join(ln + "\r\n" for ln in lines) + "\r\n" + self._show_prompt() + self._line
        self._col += len(self._line)
        return out

    def _complete(self) -> str:
        if not self._line or self._line.endswith(" "):
            return ""
        cands, _ = self._candidates(self._line)
        words = [w for w, _ in cands if not w.startswith("<") and not w.isupper() and w != "X.X.X.X"]
        if len(words) != 1:
            return ""
        partial = self._line.split(" ")[-1]
        suffix = words[0][len(partial):] + " "
        self._line += suffix
        self._echoed = len(self._line)
        return self._echo(suffix)

    def _more_key(self, ch: str) -> str:
        assert self._more is not None
        if ch == " ":
            n = self.screen_length
        elif ch == "\r" or ch == "\n":
            n = 1
        else:
            self._more = None
            return MORE_ERASE + self._finish_output()
        page, rest = self._more[:n], self._more[n:]
        out = MORE_ERASE + "".join(ln + "\r\n" for ln in page)
        if rest:
            self._more = rest
            return out + MORE
        self._more = None
        return out + self._finish_output()

    def _finish_output(self) -> str:
        out = ""
        if self._pending_logs:
            out += "".join(ln + "\r\n" for ln in self._pending_logs)
            self._pending_logs.clear()
        if self._questions:
            q, _ = self._questions[0]
            self._col = len(q.split("\n")[-1])
            return out + q
        return out + self._show_prompt()

    def _execute(self, line: str) -> str:
        dev = self.dev
        if self._questions:
            _, cb = self._questions.pop(0)
            ctx = Ctx(dev, self)
            dev._executing = self
            try:
                cb(line, ctx)
            finally:
                dev._executing = None
            return "".join(ln + "\r\n" for ln in ctx.out) + self._finish_output()
        if not line.strip():
            return self._finish_output()
        self.commands += 1
        dev.check_commit_delay()
        prompt_len = len(self.prompt())
        ctx = Ctx(dev, self)
        self.paged = False
        dev._executing = self
        try:
            err = run_line(ctx, line, dev.tables, parent_fallback=dev.options.parent_view_fallback)
            if err is not None:
                ctx.out = err.render(prompt_len)
        except SemanticError as e:
            ctx.out.extend(e.lines)
        except HelpRequest:  # pragma: no cover - help only in help mode
            pass
        finally:
            dev._executing = None
        lines = ctx.out
        noise = dev.options.syslog_noise_every
        if noise and self.commands % noise == 0:
            mod, lvl, mn, text = NOISE_MESSAGES[(self.commands // noise - 1) % len(NOISE_MESSAGES)]
            logline = dev.format_log(mod, lvl, mn, text)
            dev.runtime.logbuffer.append(logline)
            lines = [logline] + lines
        if dev.options.drop_after is not None and self.commands >= dev.options.drop_after:
            self.drop = True
        if ctx.closed:
            self.closed = True
            return "".join(ln + "\r\n" for ln in lines)
        if self.paging and self.paged and len(lines) > self.screen_length:
            first, rest = lines[:self.screen_length], lines[self.screen_length:]
            self._more = rest
            return "".join(ln + "\r\n" for ln in first) + MORE
        return "".join(ln + "\r\n" for ln in lines) + self._finish_output()
