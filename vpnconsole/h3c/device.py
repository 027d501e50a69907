"""The H3C end, live: one SSH session per operation (apply, read, teardown, reset) over netmiko.

Blocking; meant for a worker thread.  netmiko and paramiko are imported lazily (inside functions).

* connect: netmiko ``hp_comware`` with the profile's host/port/username and the keyring's
  ``h3c-password``; ``~/.ssh/config`` honoured (HostName, Port, ProxyJump/ProxyCommand); host keys
  checked against ``~/.ssh/known_hosts`` by :mod:`vpnconsole.h3c.hostkeys` (unknown → refused unless
  accepted, changed → always refused).  paramiko's own algorithm lists are left alone, so routers
  offering only SHA-1 key exchange / ``ssh-rsa`` keep working with paramiko 4.
* push (h3c-comware-ipsec.md §6.5): every line is written on its own and answered by reading until
  the device's prompt for OUR sysname follows the echo of the line (echo wrapping at 80 columns is
  tolerated: the echo is compared with line breaks removed); the reply is checked with the anchored
  error regex (asynchronous ``%Nov 25 …`` syslog lines never match) and the prompt after EVERY line
  must equal ``line.prompt(sysname)`` (a command that silently ran in the parent view is caught).
  The channel I/O is ours, not netmiko's ``send_config_set``: no fixed 2 s waits, and the PSK never
  passes through netmiko's debug logging.
* on the first error: stop, report the masked line and the device's words, ``return`` to user view,
  roll back what this apply changed (a diff of ``display current-configuration`` before/after, undone
  in dependency order), verify, and do NOT ``save force``.
* apply renders against the parsed live configuration (the renderer converges) and skips blocks the
  router already has, so a second apply sends nothing.
"""

from __future__ import annotations

import io
import ipaddress
import json
import logging
import os
import re
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from vpnconsole.diagnose import End
from vpnconsole.endstate import (DOWN, NEGOTIATING, UP, Cancelled, CancelToken, EndState, Event, EventSink, Route,
                                 TunnelState, ignore)
from vpnconsole.h3c.hostkeys import AskHostKey, default_known_hosts, make_policy
from vpnconsole.h3c.plan import SYSTEM, USER, H3CPlan, Line, view_prompt
from vpnconsole.redact import MASK, Secret

log = logging.getLogger(__name__)

TEMPLATES = Path(__file__).resolve().parent / "templates"
MANIFEST_FILE = "h3c-manifest.json"

#: the five syntactic error classes of §6.6, anchored so syslog lines (``%Nov 25 10:12:01…``) never match
ERROR_RE = re.compile(r"^\s*%\s*(Unrecognized command|Incomplete command|Wrong parameter|Too many parameters|"
                      r"Ambiguous command)\b[^\r\n]*", re.M)
SYSLOG_RE = re.compile(r"^\s*%[A-Z][a-z]{2}\s+\d{1,2}\s+\d\d:\d\d:\d\d")
MISSING_RE = re.compile(r"does not exist|doesn't exist|not exist|no such", re.I)
SOFT_RE = re.compile(r"failed|error|incomplete|does not exist|doesn't exist|not exist", re.I)
SAVE_OK_RE = re.compile(r"successfully", re.I)

#: lines the device does not print in ``display current-configuration`` because they are defaults
DEFAULT_LINES = {"protocol esp", "encapsulation-mode tunnel", "exchange-mode main", "authentication-method pre-share",
                 "transform esp", "authentication-algorithm sha", "sa duration 86400", "interval-time 10",
                 "time-out 5", "dh group1", "encryption-algorithm des-cbc"}


# --- errors --------------------------------------------------------------------------------------------

class DeviceError(Exception):
    """Something on (or on the way to) the router failed.  ``line`` is the masked command text,
    ``device_message`` the device's own words; neither ever holds a secret."""

    def __init__(self, message: str, *, host: str = "", port: int | None = None, line: str | None = None,
                 device_message: str | None = None, line_number: int | None = None, rolled_back: bool | None = None,
                 saved: bool = False):
        self.host, self.port, self.line, self.device_message = host, port, line, device_message
        self.line_number, self.rolled_back, self.saved = line_number, rolled_back, saved
        where = f"{host}:{port}: " if host else ""
        super().__init__(where + message)


class ConnectError(DeviceError):
    """The SSH connection could not be made (or was lost)."""


class AuthError(ConnectError):
    """The router refused the username/password (or no password is stored)."""


class HostKeyError(ConnectError):
    """The router's host key is unknown (and was not accepted) or has CHANGED."""

    def __init__(self, message: str, *, status: str = "", fingerprint: str = "", known: Any = (), **kw: Any):
        self.status, self.fingerprint, self.known = status, fingerprint, list(known)
        super().__init__(message, **kw)


class SessionLost(ConnectError):
    """The session dropped in the middle of an operation."""


class OperationCancelled(Cancelled):
    """The user cancelled an apply; ``rolled_back`` says whether the router is as before."""

    def __init__(self, message: str, *, rolled_back: bool):
        self.rolled_back = rolled_back
        super().__init__(message)


# --- session log that never holds a secret ----------------------------------------------------------------

def _secret_pattern(value: str) -> re.Pattern[str]:
    # the device may wrap a long echo: line breaks can sit between any two characters
    return re.compile(r"[\r\n]*".join(re.escape(ch) for ch in value))


class RedactingSessionLog(io.TextIOBase):
    """A text sink for netmiko's ``session_log`` (and our own channel reads) that masks the secrets
    even when the device wrapped them over two lines or a read split them; holds back the tail that
    could still be the start of a secret."""

    def __init__(self, path: str | os.PathLike[str], secrets: Iterable[str]):
        super().__init__()
        self._secrets = [s for s in secrets if s]
        self._patterns = [_secret_pattern(s) for s in sorted(self._secrets, key=len, reverse=True)]
        self._hold = 2 * max((len(s) for s in self._secrets), default=0) + 8
        self._buf = ""
        fd = os.open(os.fspath(path), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        self._f = os.fdopen(fd, "a", encoding="utf-8")

    def _redact(self, text: str) -> str:
        for pat in self._patterns:
            text = pat.sub(MASK, text)
        return text

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:  # type: ignore[override]
        if isinstance(data, bytes):
            data = data.decode("utf-8", errors="replace")
        self._buf = self._redact(self._buf + data)
        if len(self._buf) > self._hold:
            cut = len(self._buf) - self._hold
            self._f.write(self._buf[:cut])
            self._buf = self._buf[cut:]
        return len(data)

    def flush(self) -> None:
        if not self._f.closed:
            self._f.flush()

    def close(self) -> None:
        if not self._f.closed:
            self._f.write(self._redact(self._buf))
            self._buf = ""
            self._f.close()
        super().close()


# --- the channel ------------------------------------------------------------------------------------------

@dataclass
class Reply:
    output: list[str]  # lines after the echo, before the prompt
    prompt: str

    @property
    def text(self) -> str:
        return "\n".join(self.output)

    def error(self) -> str | None:
        for line in self.output:
            if SYSLOG_RE.match(line):
                continue
            if ERROR_RE.match(line):
                return line.strip()
        return None

    def said(self) -> list[str]:
        """The device's own lines (no syslog noise, no caret lines)."""
        return [ln.strip() for ln in self.output if ln.strip() and not SYSLOG_RE.match(ln) and ln.strip() != "^"]


class Channel:
    """Line-at-a-time I/O on the shell channel of a netmiko connection."""

    def __init__(self, conn: Any, sysname: str, host: str, port: int, slog: RedactingSessionLog | None,
                 timeout: float):
        self.conn = conn
        self.chan = conn.remote_conn
        self.sysname = sysname
        self.host, self.port = host, port
        self.slog = slog
        self.timeout = timeout
        self.sent = 0  # non-blank lines written in this session
        self.last_prompt = ""  # the prompt the device showed last
        s = re.escape(sysname)
        self.prompt_re = re.compile(rf"(?:^|\n)[ \t]*(<{s}>|\[{s}(?:-[^\r\n]*)?\])[ \t]*$")

    def drain(self) -> None:
        self.chan.settimeout(0.0)
        try:
            while self.chan.recv_ready():
                data = self.chan.recv(65536)
                if not data:
                    break
                self._log(data.decode("utf-8", errors="replace"))
        except (socket.timeout, OSError):
            pass

    def _log(self, text: str) -> None:
        if self.slog is not None:
            self.slog.write(text)

    def exchange(self, command: str, *, masked: str | None = None, timeout: float | None = None) -> Reply:
        """Write one line, read until OUR prompt follows its echo."""
        masked = command if masked is None else masked
        timeout = self.timeout if timeout is None else timeout
        try:
            self.chan.sendall((command + "\n").encode("utf-8"))
        except (OSError, EOFError) as exc:
            raise SessionLost(f"the session closed before {masked!r} could be sent ({type(exc).__name__})",
                              host=self.host, port=self.port, line=masked) from None
        self.sent += 1
        want = re.sub(r"\s+", "", command)
        buf = ""
        deadline = time.monotonic() + timeout
        while True:
            m = self.prompt_re.search(buf)
            if m is not None:
                head = buf[:m.start()]
                if want in re.sub(r"\s+", "", head):
                    self.last_prompt = m.group(1)
                    return self._split(head, m.group(1), command)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise DeviceError(f"no prompt from the router within {timeout:.0f} s after {masked!r}",
                                  host=self.host, port=self.port, line=masked)
            self.chan.settimeout(min(remaining, 0.5))
            try:
                data = self.chan.recv(65536)
            except socket.timeout:
                if self.chan.closed or not self.chan.get_transport() or not self.chan.get_transport().is_active():
                    data = b""
                else:
                    continue
            except (OSError, EOFError):
                data = b""
            if not data:
                raise SessionLost(f"the router closed the session after {masked!r} (line {self.sent} of this "
                                  "session); its configuration may be partial: run apply again (it converges) "
                                  "or teardown", host=self.host, port=self.port, line=masked)
            text = data.decode("utf-8", errors="replace")
            self._log(text)
            buf += text

    @staticmethod
    def _split(head: str, prompt: str, command: str) -> Reply:
        lines = head.replace("\r", "").split("\n")
        want = re.sub(r"\s+", "", command)
        acc = ""
        k = len(lines)
        for i, line in enumerate(lines):
            acc += re.sub(r"\s+", "", line)
            if want in acc:
                k = i + 1
                break
        return Reply([ln for ln in lines[k:]], prompt)

    def command(self, command: str, timeout: float | None = None) -> str:
        """A display command: its output text (no echo, no prompt)."""
        return self.command_reply(command, timeout).text

    def command_reply(self, command: str, timeout: float | None = None) -> Reply:
        return self.exchange(command, timeout=timeout)


# --- config text helpers ----------------------------------------------------------------------------------

def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip()).lower()


_MASK_RE = re.compile(r"^(\d+\.\d+\.\d+\.\d+)$")


def _route_key(text: str) -> str | None:
    """``ip route-static D L|M NH …`` → a canonical key (dest/len nexthop description)."""
    tokens = text.split()
    if len(tokens) < 5 or tokens[0] != "ip" or tokens[1] != "route-static":
        return None
    dest, mask, via = tokens[2], tokens[3], tokens[4]
    try:
        length = int(mask) if mask.isdigit() else ipaddress.IPv4Network(f"0.0.0.0/{mask}").prefixlen
    except ValueError:
        return None
    rest = " ".join(tokens[5:])
    return f"route {dest}/{length} {via.lower()} {rest.lower()}".strip()


def _header_key(text: str) -> str:
    t = _norm(text)
    m = re.match(r"acl (?:advanced|number) (\d+)$", t)
    if m:
        return f"acl {m.group(1)}"
    rk = _route_key(text)
    if rk:
        return rk
    return t


@dataclass
class Block:
    header: str  # raw (stripped) text
    lines: list[str] = field(default_factory=list)  # stripped sub-lines, in order
    global_line: bool = False


def config_blocks(text: str) -> dict[str, Block]:
    """``display current-configuration`` → header key → block (global one-liners are blocks of their own)."""
    out: dict[str, Block] = {}
    current: Block | None = None
    for raw in text.replace("\r", "").split("\n"):
        if not raw.strip():
            continue
        if raw.strip() == "#":
            current = None
            continue
        if raw.strip() == "return" and not raw.startswith(" "):
            current = None
            continue
        if not raw.startswith(" "):
            current = Block(raw.strip())
            out[_header_key(raw)] = current
            continue
        if current is None:
            b = Block(raw.strip(), global_line=True)
            out[_header_key(raw)] = b
            continue
        current.lines.append(raw.strip())
    return out


def _line_key(text: str) -> str:
    """What a sub-line sets (lines with the same key replace each other)."""
    t = _norm(text)
    tokens = t.split()
    if not tokens:
        return t
    if tokens[0] == "rule" and len(tokens) > 1:
        return " ".join(tokens[:3]) if len(tokens) > 2 and tokens[2] == "comment" else " ".join(tokens[:2])
    if tokens[0] == "pre-shared-key" and "key" in tokens:
        return " ".join(tokens[:tokens.index("key")])
    if tokens[0] in ("match", "ipsec", "peer", "keychain", "nat") or t.startswith("undo "):
        return t
    if len(tokens) == 1:
        return t
    if tokens[0] in ("sa", "esp", "dpd", "identity", "authentication-method"):
        return " ".join(tokens[:2])
    return tokens[0]


def _undo_sub(text: str) -> str:
    t = text.strip()
    tokens = t.split()
    if tokens[0] == "rule" and len(tokens) > 1:
        return f"undo rule {tokens[1]}"
    if tokens[0] == "pre-shared-key" and "key" in tokens:
        return "undo " + " ".join(tokens[:tokens.index("key")])
    if tokens[0] == "description":
        return "undo description"
    if tokens[0] in ("sa",) and len(tokens) > 2:
        return "undo " + " ".join(tokens[:-1])
    return "undo " + t


_KIND_ORDER = [("ipsec policy", 0), ("ipsec transform-set", 1), ("ipsec proposal", 1), ("ike profile", 2),
               ("ikev2 profile", 2), ("ike peer", 2), ("ike keychain", 3), ("ikev2 keychain", 3), ("ike dpd", 3),
               ("ikev2 policy", 4), ("ikev2 proposal", 5), ("ike proposal", 5), ("acl", 6), ("ip route-static", 7)]


def _kind_rank(header: str) -> int:
    t = _norm(header)
    for prefix, rank in _KIND_ORDER:
        if t.startswith(prefix):
            return rank
    return 8


def _undo_header(header: str) -> str:
    t = header.strip()
    tokens = t.split()
    if tokens[:2] == ["ip", "route-static"]:
        return "undo " + " ".join(tokens[:5])
    if tokens[:2] == ["ipsec", "policy"] and len(tokens) >= 4:
        return f"undo ipsec policy {tokens[2]} {tokens[3]}"
    return "undo " + t


def rollback_lines(before: str, after: str) -> list[str]:
    """The commands (system view, no secrets) that turn configuration ``after`` back into ``before``."""
    b, a = config_blocks(before), config_blocks(after)
    out: list[str] = []
    iface_undo: list[str] = []
    iface_redo: list[str] = []
    changed: list[tuple[str, list[str], list[str]]] = []
    for key, blk in a.items():
        if key not in b or blk.global_line:
            continue
        old = b[key]
        if [_norm(x) for x in old.lines] == [_norm(x) for x in blk.lines]:
            continue
        old_set = {_norm(x) for x in old.lines}
        new_set = {_norm(x) for x in blk.lines}
        removed = [x for x in old.lines if _norm(x) not in new_set]
        removed_keys = {_line_key(x) for x in removed}
        added = [x for x in blk.lines if _norm(x) not in old_set and _line_key(x) not in removed_keys]
        undo = [_undo_sub(x) for x in reversed(added)]
        if _norm(blk.header).startswith("interface "):
            iface_undo += [blk.header] + undo + ["quit"]
            if removed:
                iface_redo += [blk.header] + removed + ["quit"]
        else:
            changed.append((blk.header, undo, removed))
    out += iface_undo
    new = [blk for key, blk in a.items() if key not in b]
    for blk in sorted(new, key=lambda x: _kind_rank(x.header)):
        out.append(_undo_header(blk.header))
    gone = [blk for key, blk in b.items() if key not in a]
    for blk in sorted(gone, key=lambda x: -_kind_rank(x.header)):
        if blk.global_line:
            out.append(blk.header)
        else:
            out += [blk.header] + blk.lines + ["quit"]
    for header, undo, removed in changed:
        out += [header] + undo + removed + ["quit"]
    out += iface_redo
    return out


def config_equal(before: str, after: str) -> bool:
    def norm(text: str) -> dict[str, list[str]]:
        return {k: [_norm(x) for x in v.lines] for k, v in config_blocks(text).items()
                if not k.startswith("version")}
    return norm(before) == norm(after)


# --- the adapter ------------------------------------------------------------------------------------------

@dataclass
class PushResult:
    sent: int = 0  # lines written to the device
    skipped: int = 0  # plan lines the router already had
    saved: bool = False
    changed: bool = False
    timed_rollback: bool | None = None  # None: not probed
    lines: list[str] = field(default_factory=list)  # masked text of the lines sent
    notes: list[str] = field(default_factory=list)


class H3CEnd:
    """The H3C router of one lab profile.  Every public method opens ONE SSH session and closes it."""

    def __init__(self, profile: Any, store: Any = None, *, state_dir: str | os.PathLike[str] | None = None,
                 accept_new_host_key: bool = False, ask_host_key: AskHostKey | None = None,
                 session_log: str | os.PathLike[str] | None = None, known_hosts: str | os.PathLike[str] | None = None,
                 ssh_config: str | os.PathLike[str] | None = None, password: Secret | str | None = None,
                 psk: Secret | str | None = None, conn_timeout: float = 10.0, command_timeout: float = 20.0,
                 save_timeout: float = 100.0, commit_delay_minutes: int = 10, use_timed_rollback: bool = True):
        self.profile = profile
        self.store = store
        self.lab = profile.name
        self._state_dir = Path(state_dir) if state_dir is not None else None
        self.accept_new_host_key = accept_new_host_key
        self.ask_host_key = ask_host_key
        self.session_log = session_log
        self.known_hosts = Path(known_hosts) if known_hosts else None
        self.ssh_config = ssh_config
        self._password = Secret(password, "h3c-password") if isinstance(password, str) else password
        self._psk = Secret(psk, "psk") if isinstance(psk, str) else psk
        self.conn_timeout, self.command_timeout, self.save_timeout = conn_timeout, command_timeout, save_timeout
        self.commit_delay_minutes = commit_delay_minutes
        self.use_timed_rollback = use_timed_rollback
        self.last_result: PushResult | None = None
        self.last_prompt = ""  # where the last session left the CLI (before netmiko's disconnect)
        # Checked before every line pushed (apply and teardown): a cancelled apply is rolled back like
        # a failed line; a cancelled teardown stops between lines and a second teardown finishes it.
        self.cancel: CancelToken | None = None

    # -- basics ------------------------------------------------------------------------------------------
    @property
    def host(self) -> str:
        return self.profile.onprem.device.host

    @property
    def port(self) -> int:
        return int(self.profile.onprem.device.port)

    @property
    def platform(self) -> str:
        return self.profile.platform

    @property
    def state_dir(self) -> Path:
        if self._state_dir is None:
            from vpnconsole.paths import lab_state_dir

            self._state_dir = lab_state_dir(self.lab)
        return self._state_dir

    @property
    def manifest_path(self) -> Path:
        return self.state_dir / MANIFEST_FILE

    def _secret(self, kind: str) -> Secret | None:
        if kind == "psk" and self._psk is not None:
            return self._psk
        if kind == "h3c-password" and self._password is not None:
            return self._password
        if self.store is None:
            return None
        return self.store.get(self.lab, kind)

    def _need(self, kind: str) -> Secret:
        s = self._secret(kind)
        if s is None:
            cls = AuthError if kind == "h3c-password" else DeviceError
            raise cls(f"no {kind} stored for lab {self.lab!r}: run `vpnconsole secret set {self.lab} {kind}`",
                      host=self.host, port=self.port)
        return s

    def _err(self, cls: type[DeviceError], message: str, **kw: Any) -> DeviceError:
        return cls(message, host=self.host, port=self.port, **kw)

    # -- connection --------------------------------------------------------------------------------------
    def _connect(self, emit: EventSink, t0: float) -> tuple[Any, Channel, RedactingSessionLog | None]:
        from netmiko.exceptions import NetmikoAuthenticationException, NetmikoTimeoutException
        from netmiko.hp.hp_comware import HPComwareSSH

        password = self._need("h3c-password")
        secrets = [password.reveal()]
        psk = self._secret("psk")
        if psk is not None:
            secrets.append(psk.reveal())
        known_hosts = self.known_hosts or default_known_hosts()
        policy = make_policy(known_hosts, accept_new=self.accept_new_host_key, ask=self.ask_host_key)

        class _Comware(HPComwareSSH):  # type: ignore[misc, valid-type]
            def _build_ssh_client(self_inner) -> Any:
                import paramiko

                client = paramiko.SSHClient()  # no host keys loaded: the policy checks known_hosts itself
                client.set_missing_host_key_policy(policy)
                return client

        ssh_config = self.ssh_config
        if ssh_config is None:
            default = Path(os.path.expanduser("~")) / ".ssh" / "config"
            ssh_config = str(default) if default.exists() else None
        slog = RedactingSessionLog(self.session_log, secrets) if self.session_log else None
        emit(Event(End.H3C, "connect", "start", f"connecting to {self.host}:{self.port}", time.monotonic() - t0))
        params: dict[str, Any] = dict(
            device_type="hp_comware", host=self.host, port=self.port, username=self.profile.onprem.device.username,
            password=password.reveal(), use_keys=False, allow_agent=False, conn_timeout=self.conn_timeout,
            auth_timeout=self.conn_timeout, banner_timeout=self.conn_timeout, ssh_strict=True,
            system_host_keys=False, alt_host_keys=False, fast_cli=True, session_timeout=self.command_timeout)
        if ssh_config:
            params["ssh_config_file"] = str(ssh_config)
        if slog is not None:
            from netmiko.session_log import SessionLog

            # netmiko's own masking (no_log) in front of ours (which also copes with wrapped echoes)
            params["session_log"] = SessionLog(buffered_io=slog, no_log={  # type: ignore[arg-type]
                "password": password.reveal(), **({"psk": psk.reveal()} if psk else {})})
        try:
            conn = _Comware(**params)
        except NetmikoAuthenticationException:
            if slog:
                slog.close()
            raise self._err(AuthError, f"the router refused user {self.profile.onprem.device.username!r} "
                                       "(wrong username or h3c-password)") from None
        except (NetmikoTimeoutException, Exception) as exc:  # noqa: BLE001
            if slog:
                slog.close()
            v = policy.verdict
            if v.status in ("changed", "unknown-refused", "declined"):
                raise HostKeyError(v.message, host=self.host, port=self.port, status=v.status,
                                   fingerprint=v.fingerprint, known=v.known) from None
            text = _scrub(str(exc), secrets).strip().splitlines()
            detail = next((ln for ln in text if ln.strip() and "Common causes" not in ln), type(exc).__name__)
            raise self._err(ConnectError, f"cannot connect: {detail.strip()}") from None
        sysname = conn.base_prompt
        chan = Channel(conn, sysname, self.host, self.port, slog, self.command_timeout)
        chan.drain()
        note = " (host key added to known_hosts)" if policy.verdict.status == "added" else ""
        emit(Event(End.H3C, "connect", "done", f"connected to {sysname} at {self.host}:{self.port}{note}",
                   time.monotonic() - t0, data={"sysname": sysname, "host_key": policy.verdict.status}))
        return conn, chan, slog

    def _close(self, conn: Any, slog: RedactingSessionLog | None) -> None:
        try:
            conn.disconnect()
        except Exception:  # noqa: BLE001 - the session may already be gone
            try:
                conn.remote_conn_pre.close()
            except Exception:  # noqa: BLE001
                pass
        if slog is not None:
            slog.close()

    def _session(self, emit: EventSink, t0: float):  # noqa: ANN202
        end = self

        class _Ctx:
            def __enter__(self_inner) -> Channel:
                self_inner.conn, self_inner.chan, self_inner.slog = end._connect(emit, t0)
                return self_inner.chan

            def __exit__(self_inner, *exc: Any) -> None:
                end.last_prompt = self_inner.chan.last_prompt
                end._close(self_inner.conn, self_inner.slog)

        return _Ctx()

    # -- read --------------------------------------------------------------------------------------------
    def read(self, emit: EventSink = ignore) -> EndState:
        """One session: version, configuration, IKE/IPsec SAs, routing table → :class:`EndState`."""
        t0 = time.monotonic()
        try:
            with self._session(emit, t0) as ch:
                version = ch.command("display version")
                config_text = ch.command("display current-configuration", timeout=max(self.command_timeout, 60))
                v2 = self.profile.ike.version == "ikev2" and self.platform != "comware5"
                ike_text = ch.command("display ikev2 sa" if v2 else "display ike sa")
                ipsec_text = ch.command("display ipsec sa", timeout=max(self.command_timeout, 60))
                routes_text = ch.command("display ip routing-table", timeout=max(self.command_timeout, 60))
                sysname = ch.sysname
        except DeviceError as exc:
            return EndState(End.H3C, False, None, errors=(str(exc),))
        emit(Event(End.H3C, "read", "done", "read the router", time.monotonic() - t0))
        return self.state_from_texts(sysname, version, config_text, ike_text, ipsec_text, routes_text, v2=v2)

    def state_from_texts(self, sysname: str, version: str, config_text: str, ike_text: str, ipsec_text: str,
                         routes_text: str, *, v2: bool = False) -> EndState:
        from vpnconsole.h3c.parse import parse_config, to_params_report

        errors: list[str] = []
        notes: list[str] = []
        facts: dict[str, Any] = {"sysname": sysname, **version_facts(version)}
        platform = facts.get("platform") or self.platform
        if facts.get("platform") and facts["platform"] != self.platform:
            errors.append(f"the router runs {facts['platform']} but the profile says {self.platform}")
        config = parse_config(config_text, self.lab, platform)
        params = None
        if config.owned(self.lab):
            params, pnotes = to_params_report(config, self.lab, wan_interface=self.profile.onprem.wan_interface)
            notes.extend(pnotes)
            if not params.tunnels:
                params = None
        notes.extend(str(w) for w in getattr(config, "warnings", []))
        tunnels = tunnel_states(self.profile.cloud.gateway_ips, ike_text, ipsec_text, v2=v2)
        routes = route_list(routes_text, config, self.lab, self.profile)
        return EndState(End.H3C, True, params, tuple(tunnels), tuple(routes), tuple(errors), tuple(notes), facts)

    def read_config(self, emit: EventSink = ignore) -> str:
        t0 = time.monotonic()
        with self._session(emit, t0) as ch:
            return ch.command("display current-configuration", timeout=max(self.command_timeout, 60))

    # -- apply -------------------------------------------------------------------------------------------
    def render(self, config_text: str) -> H3CPlan:
        from vpnconsole.h3c.parse import parse_config
        from vpnconsole.h3c.render import render_apply

        psk = self._need("psk")
        return render_apply(self.profile, psk, config=parse_config(config_text, self.lab, self.platform))

    def apply(self, plan: H3CPlan | None = None, emit: EventSink = ignore, *, force: bool = False) -> PushResult:
        """Bring the router to the profile.  Without ``plan`` the plan is rendered in the same session
        against the live configuration (recommended).  ``force`` sends every line, even those the router
        already has.  Raises :class:`DeviceError` (after rolling back) on the first failing line."""
        from vpnconsole.h3c.parse import parse_config
        from vpnconsole.h3c.render import render_apply

        t0 = time.monotonic()
        result = PushResult()
        self.last_result = result
        with self._session(emit, t0) as ch:
            before = ch.command("display current-configuration", timeout=max(self.command_timeout, 60))
            if plan is None:
                psk = self._need("psk")
                plan = render_apply(self.profile, psk, config=parse_config(before, self.lab, self.platform))
                emit(Event(End.H3C, "render", "done", f"rendered {len(plan)} lines against the live configuration",
                           time.monotonic() - t0))
            psk_fp = self._secret("psk").fingerprint if self._secret("psk") else None
            known_fp = (self.load_manifest() or {}).get("psk_fingerprint")
            lines = list(plan.lines) if force else select_lines(plan, before, psk_ok=bool(psk_fp and psk_fp == known_fp))
            result.skipped = len(plan.lines) - len(lines)
            if not [ln for ln in lines if ln.text() not in ("system-view", "return", "save force")]:
                result.skipped = len(plan.lines)
                emit(Event(End.H3C, "apply", "done", "the router already matches the profile: nothing sent",
                           time.monotonic() - t0, data={"sent": 0, "skipped": result.skipped}))
                if not self.manifest_path.exists() and parse_config(before, self.lab, self.platform).owned(self.lab):
                    self._write_manifest(plan, "applied", ch.sysname, psk_fp)
                return result
            self._write_manifest(plan, "applying", ch.sysname, psk_fp)
            try:
                self._push(ch, lines, emit, t0, result, teardown=False)
            except SessionLost:
                raise
            except DeviceError as exc:
                self._recover(ch, before, exc, emit, t0, result)
                raise
            except Cancelled:
                stop = DeviceError("cancelled by the user", host=self.host, port=self.port)
                self._recover(ch, before, stop, emit, t0, result)
                raise OperationCancelled("apply cancelled: " + ("rolled back, the configuration is as before"
                                                                 if stop.rolled_back else "rollback incomplete"),
                                         rolled_back=bool(stop.rolled_back)) from None
            result.changed = True
            self._write_manifest(plan, "applied", ch.sysname, psk_fp)
        emit(Event(End.H3C, "apply", "done", f"applied: {result.sent} lines sent, {result.skipped} already there",
                   time.monotonic() - t0, data={"sent": result.sent, "skipped": result.skipped}))
        return result

    def _recover(self, ch: Channel, before: str, exc: DeviceError, emit: EventSink, t0: float,
                 result: PushResult) -> None:
        """After a failed line: back to user view, undo what this apply changed, verify; never save."""
        why = f"line {exc.line!r} failed: {exc.device_message or exc}" if exc.line else str(exc)
        emit(Event(End.H3C, "rollback", "start", f"{why}; rolling back",
                   time.monotonic() - t0, data={"line": exc.line, "device_message": exc.device_message}))
        try:
            ch.exchange("return")
            after = ch.command("display current-configuration", timeout=max(self.command_timeout, 60))
            undo = rollback_lines(before, after)
            problems: list[str] = []
            if undo:
                problems = self._push_loose(ch, ["system-view", *undo, "return"])
            if result.timed_rollback:
                ch.exchange("system-view")
                ch.exchange("configuration commit")
                ch.exchange("return")
            final = ch.command("display current-configuration", timeout=max(self.command_timeout, 60))
            ok = config_equal(before, final)
            exc.rolled_back = ok
            msg = "rolled back: the configuration is as before" if ok else \
                "rollback incomplete: " + ("; ".join(problems[:3]) or "the configuration differs from before")
            emit(Event(End.H3C, "rollback", "done" if ok else "error", msg, time.monotonic() - t0,
                       data={"lines": len(undo)}))
            if ok:
                self._restore_manifest()
        except DeviceError as err:
            exc.rolled_back = False
            emit(Event(End.H3C, "rollback", "error", f"rollback failed: {err}", time.monotonic() - t0))

    def _push_loose(self, ch: Channel, commands: list[str]) -> list[str]:
        problems = []
        for cmd in commands:
            reply = ch.exchange(cmd)
            err = reply.error()
            if err and (cmd.startswith("acl advanced ") or cmd.startswith("undo acl advanced ")):
                reply = ch.exchange(cmd.replace("acl advanced ", "acl number ", 1))
                err = reply.error()
            if err:
                problems.append(f"{cmd}: {err}")
        return problems

    def _push(self, ch: Channel, lines: list[Line], emit: EventSink, t0: float, result: PushResult, *,
              teardown: bool) -> None:
        """Send ``lines`` one by one with per-line error and prompt checks; raises DeviceError."""
        sysname = ch.sysname
        total = len(lines)
        acl_number = False  # this router wants `acl number` (V5, early V7)
        step = None
        probed = False
        for index, line in enumerate(lines, start=1):
            if self.cancel is not None and self.cancel.cancelled:
                raise Cancelled(f"cancelled before line {index} of {total}")
            masked = line.text()
            command = line.reveal()
            expected = line.prompt(sysname)
            if line.step != step:
                if step is not None:
                    emit(Event(End.H3C, step, "done", f"{step} done", time.monotonic() - t0))
                step = line.step
                emit(Event(End.H3C, step, "start", f"{step}", time.monotonic() - t0,
                           data={"line": index, "of": total}))
            # timed rollback around the step that can cut the management path (V7 only, probed once)
            if (not teardown and not probed and self.use_timed_rollback and line.step == "apply"
                    and line.enters_view and self.platform == "comware7"):
                probed = True
                reply = ch.exchange(f"configuration commit delay {self.commit_delay_minutes}")
                result.timed_rollback = reply.error() is None and reply.prompt == view_prompt(SYSTEM, sysname)
                msg = (f"timed rollback armed ({self.commit_delay_minutes} min)" if result.timed_rollback else
                       "this router has no timed rollback (configuration commit delay): skipped; "
                       "our own undo list covers a failure")
                result.notes.append(msg)
                emit(Event(End.H3C, "timed-rollback", "info", msg, time.monotonic() - t0))
            if acl_number:
                if "acl advanced " in command:
                    command = command.replace("acl advanced ", "acl number ", 1)
                    masked = masked.replace("acl advanced ", "acl number ", 1)
                expected = expected.replace("-acl-ipv4-adv-", "-acl-adv-")
            is_save = command.strip() == "save force"
            reply = ch.exchange(command, masked=masked, timeout=self.save_timeout if is_save else None)
            result.sent += 1
            result.lines.append(masked)
            err = reply.error()
            if err and "acl advanced " in command and err.lower().startswith("% unrecognized"):
                acl_number = True
                command = command.replace("acl advanced ", "acl number ", 1)
                masked = masked.replace("acl advanced ", "acl number ", 1)
                expected = expected.replace("-acl-ipv4-adv-", "-acl-adv-")
                emit(Event(End.H3C, line.step, "retry", f"`acl advanced` unknown here: retrying as {masked!r}",
                           time.monotonic() - t0))
                reply = ch.exchange(command, masked=masked)
                result.sent += 1
                result.lines.append(masked)
                err = reply.error()
            if err:
                raise DeviceError(f"line {index} {masked!r} failed: {err}", host=self.host, port=self.port,
                                  line=masked, device_message=err, line_number=index)
            said = reply.said()
            if said and not is_save:
                if line.undo and any(MISSING_RE.search(s) for s in said):
                    pass  # teardown/cleanup of something already gone: success
                elif any(SOFT_RE.search(s) for s in said):
                    msg = "; ".join(said)
                    raise DeviceError(f"line {index} {masked!r} was refused: {msg}", host=self.host, port=self.port,
                                      line=masked, device_message=msg, line_number=index)
            if reply.prompt.lower() != expected.lower():
                raise DeviceError(f"after line {index} {masked!r} the router is at {reply.prompt}, expected "
                                  f"{expected}", host=self.host, port=self.port, line=masked,
                                  device_message=f"prompt {reply.prompt}", line_number=index)
            if is_save:
                if not SAVE_OK_RE.search(reply.text):
                    raise DeviceError("save force did not report success", host=self.host, port=self.port,
                                      line=masked, device_message="; ".join(said), line_number=index)
                result.saved = True
                emit(Event(End.H3C, "save", "done", "configuration saved", time.monotonic() - t0))
            # close the timed-rollback window right after the binding block is back in system view
            if (result.timed_rollback and line.step == "apply" and line.view == SYSTEM
                    and not line.enters_view):
                reply = ch.exchange("configuration commit")
                if reply.error():
                    raise DeviceError(f"configuration commit failed: {reply.error()}", host=self.host,
                                      port=self.port, line="configuration commit", device_message=reply.error())
                result.timed_rollback = False
                emit(Event(End.H3C, "timed-rollback", "done", "configuration committed", time.monotonic() - t0))
        if step is not None:
            emit(Event(End.H3C, step, "done", f"{step} done", time.monotonic() - t0))

    # -- teardown ----------------------------------------------------------------------------------------
    def teardown(self, emit: EventSink = ignore) -> PushResult:
        """Remove what is ours from the live configuration; idempotent.

        Ours = recorded in the lab's manifest (``state_dir/h3c-manifest.json``) AND carrying this lab's
        name/marker on the router.  Objects with only one of the two are left in place and named in
        ``result.notes`` (and an ``info`` event).  Without a manifest (a lost state directory) the
        name/marker check alone decides, and a note says so."""
        from vpnconsole.h3c.parse import parse_config
        from vpnconsole.h3c.render import render_teardown

        t0 = time.monotonic()
        result = PushResult()
        self.last_result = result
        with self._session(emit, t0) as ch:
            before = ch.command("display current-configuration", timeout=max(self.command_timeout, 60))
            config = parse_config(before, self.lab, self.platform)
            manifest = self.load_manifest()
            if manifest is not None and manifest.get("lab") not in (None, self.lab):
                manifest = None  # not this lab's record: treat as lost
            if manifest is None:
                msg = ("no manifest: removing objects recognised by name and marker only "
                       f"(expected at {self.manifest_path})")
                result.notes.append(msg)
                emit(Event(End.H3C, "teardown", "info", msg, time.monotonic() - t0, data={"manifest": False}))
            plan = render_teardown(self.profile, config=config, manifest=manifest)
            for note in plan.notes:
                result.notes.append(note)
                emit(Event(End.H3C, "teardown", "info", note, time.monotonic() - t0))
            work = [ln for ln in plan.lines if ln.text() not in ("system-view", "return", "save force")]
            if not work:
                emit(Event(End.H3C, "teardown", "done", f"nothing of lab {self.lab} on the router",
                           time.monotonic() - t0, data={"sent": 0}))
                self._delete_manifest()
                return result
            self._push(ch, list(plan.lines), emit, t0, result, teardown=True)
            result.changed = True
        self._delete_manifest()
        emit(Event(End.H3C, "teardown", "done", f"removed: {result.sent} lines sent", time.monotonic() - t0,
                   data={"sent": result.sent}))
        return result

    # -- renegotiate -------------------------------------------------------------------------------------
    def reset_sas(self, emit: EventSink = ignore) -> list[str]:
        """``reset ipsec sa`` / ``reset ike sa`` for our policy and peers (user view)."""
        from vpnconsole.h3c import naming

        t0 = time.monotonic()
        sent: list[str] = []
        with self._session(emit, t0) as ch:
            ch.exchange("return")
            policy = naming.names(self.lab).policy
            v2 = self.profile.ike.version == "ikev2" and self.platform != "comware5"
            commands = [f"reset ipsec sa policy {policy}"]
            ike = ch.command("display ikev2 sa" if v2 else "display ike sa")
            ips = set(self.profile.cloud.gateway_ips)
            for row in (parse_ikev2_sa(ike) if v2 else parse_ike_sa(ike)):
                if row.get("REMOTE", "").split("/")[0] in ips and row.get("CONNECTION_ID"):
                    commands.append(f"reset {'ikev2' if v2 else 'ike'} sa "
                                    f"{'tunnel' if v2 else 'connection-id'} {row['CONNECTION_ID']}")
            for cmd in commands:
                reply = ch.exchange(cmd)
                err = reply.error()
                if err:
                    emit(Event(End.H3C, "reset", "error", f"{cmd}: {err}", time.monotonic() - t0))
                else:
                    sent.append(cmd)
        emit(Event(End.H3C, "reset", "done", f"reset {len(sent)} SA groups", time.monotonic() - t0))
        return sent

    # -- probe -------------------------------------------------------------------------------------------
    def router_session(self, emit: EventSink = ignore) -> "RouterSession":
        """ONE SSH session for many user-view commands (the probe's ``ping -a … TARGET`` to every cloud
        target): connected on the first command, commands serialised, closed by :meth:`RouterSession.close`
        or at the end of a ``with`` block.  Blocking, like every method here; use it from threads."""
        return RouterSession(self, emit)

    # -- manifest ----------------------------------------------------------------------------------------
    def load_manifest(self) -> dict[str, Any] | None:
        try:
            return json.loads(self.manifest_path.read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            return None

    def _write_manifest(self, plan: H3CPlan, status: str, sysname: str, psk_fp: str | None) -> None:
        previous = self.load_manifest()
        if status == "applying":
            self._previous_manifest = previous
        data = plan.manifest.as_dict()
        data.update({"status": status, "host": self.host, "port": self.port, "sysname": sysname,
                     "updated_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                     "psk_fingerprint": psk_fp if status == "applied" else (previous or {}).get("psk_fingerprint")})
        _atomic_json(self.manifest_path, data)

    def _restore_manifest(self) -> None:
        previous = getattr(self, "_previous_manifest", None)
        if previous is None:
            self._delete_manifest()
        else:
            _atomic_json(self.manifest_path, previous)

    def _delete_manifest(self) -> None:
        try:
            self.manifest_path.unlink()
        except FileNotFoundError:
            pass


# --- plan selection: skip blocks the router already has ------------------------------------------------------

class RouterSession:
    """One SSH session to the router shared by several commands (see :meth:`H3CEnd.router_session`).

    ``send_command(command, timeout=None) -> str`` returns the command's output (no echo, no prompt);
    it is thread-safe (one command at a time on the channel) and connects lazily, so a probe opens
    the session only when it has something to ask, and a failure to connect is the answer to the
    first command (a :class:`DeviceError`).  After a failed connect the session stays failed (every
    later command raises the same error instead of connecting again).
    """

    def __init__(self, end: H3CEnd, emit: EventSink = ignore):
        import threading

        self._end = end
        self._emit = emit
        self._lock = threading.Lock()
        self._conn: Any = None
        self._chan: Channel | None = None
        self._slog: RedactingSessionLog | None = None
        self._failed: DeviceError | None = None
        self._closed = False
        self.connects = 0  # how many SSH sessions this object opened (0 or 1)
        self.commands = 0

    def send_command(self, command: str, timeout: float | None = None) -> str:
        with self._lock:
            if self._closed:
                raise self._end._err(DeviceError, "the router session is closed")
            if self._failed is not None:
                raise self._failed
            if self._chan is None:
                try:
                    self._conn, self._chan, self._slog = self._end._connect(self._emit, time.monotonic())
                except DeviceError as exc:
                    self._failed = exc
                    raise
                self.connects += 1
            self.commands += 1
            return self._chan.command(command, timeout=timeout)

    def close(self, wait: float = 2.0) -> None:
        """Disconnect.  A command still running in another thread is cut short after ``wait`` s."""
        got = self._lock.acquire(timeout=wait)
        try:
            self._closed = True
            if self._conn is None:
                return
            if not got:  # unblock the reader: closing the transport ends its recv()
                try:
                    self._conn.remote_conn_pre.close()
                except Exception:  # noqa: BLE001
                    pass
            if self._chan is not None:
                self._end.last_prompt = self._chan.last_prompt
            self._end._close(self._conn, self._slog)
            self._conn = self._chan = self._slog = None
        finally:
            if got:
                self._lock.release()

    def __enter__(self) -> "RouterSession":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _satisfied(line: Line, block: Block | None, psk_ok: bool) -> bool:
    if line.undo:
        return False
    text = line.text()
    if text == "quit":
        return True
    have = {_norm(x) for x in (block.lines if block else [])}
    if line.has_secret:
        if not psk_ok or block is None:
            return False
        prefix = _norm(text.split(MASK)[0])
        prefix = re.sub(r"\b(simple|plaintext|cipher)\s*$", "", prefix).strip()
        return any(h.startswith(prefix) for h in have)
    n = _norm(text)
    if n in have:
        return True
    if n in DEFAULT_LINES:
        key = _line_key(text)
        return not any(_line_key(h) == key for h in have)
    return False


def select_lines(plan: H3CPlan, live_text: str, *, psk_ok: bool = False) -> list[Line]:
    """The plan minus the blocks (and system-level lines) the live configuration already holds."""
    blocks = config_blocks(live_text)
    out: list[Line] = []
    lines = list(plan.lines)
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.view == SYSTEM and line.enters_view is False and not line.undo and line.text() != "quit" \
                and i > 0 and _route_key(line.text()):
            if _header_key(line.text()) in blocks:
                i += 1
                continue
            out.append(line)
            i += 1
            continue
        if line.enters_view and line.view not in (SYSTEM, USER) and i > 0 and lines[i - 1].view == SYSTEM:
            j = i + 1
            while j < len(lines) and lines[j].view != SYSTEM:
                j += 1
            group = lines[i:j + 1]  # header … the quit back to system view
            block = blocks.get(_header_key(line.text()))
            if block is not None and not block.global_line and all(_satisfied(x, block, psk_ok) for x in group[1:]):
                i = j + 1
                continue
            out.extend(group)
            i = j + 1
            continue
        out.append(line)
        i += 1
    return out


# --- parsing displays ----------------------------------------------------------------------------------------

def _textfsm(template: str, text: str) -> list[dict[str, Any]]:
    import textfsm

    with open(TEMPLATES / template, encoding="utf-8") as f:
        fsm = textfsm.TextFSM(f)
    rows = fsm.ParseText(text)
    return [dict(zip(fsm.header, row)) for row in rows]


def parse_ike_sa(text: str) -> list[dict[str, str]]:
    """``display ike sa`` (V7 layouts via our template; V5 layout by regex)."""
    rows: list[dict[str, str]] = []
    try:
        rows = _textfsm("hp_comware_display_ike_sa.textfsm", text)
    except Exception:  # noqa: BLE001 - fall back below
        rows = []
    if rows:
        return rows
    for m in re.finditer(r"^\s*(\d+)\s+(\d+\.\d+\.\d+\.\d+)\s+(\S+)\s+(\d)\s+(\S+)\s*$", text, re.M):
        rows.append({"CONNECTION_ID": m.group(1), "LOCAL": "", "REMOTE": m.group(2), "FLAG": m.group(3),
                     "PHASE": m.group(4), "DOI": m.group(5)})
    return rows


def parse_ikev2_sa(text: str) -> list[dict[str, str]]:
    rows = []
    for m in re.finditer(r"^\s*(\d+)\s+(\S+)\s+(\S+)\s+(\S+)\s*$", text, re.M):
        rows.append({"CONNECTION_ID": m.group(1), "LOCAL": m.group(2), "REMOTE": m.group(3), "FLAG": m.group(4)})
    return rows


def parse_ipsec_sa(text: str) -> list[dict[str, Any]]:
    """``display ipsec sa`` (V7 via our template; V5 lower-case layout by regex)."""
    try:
        rows = _textfsm("hp_comware_display_ipsec_sa.textfsm", text)
    except Exception:  # noqa: BLE001
        rows = []
    if rows:
        return rows
    out = []
    for chunk in re.split(r"\n\s*-+\s*\n\s*IPsec policy name:", text)[1:]:
        def grab(pat: str) -> str:
            m = re.search(pat, chunk, re.M | re.I)
            return m.group(1) if m else ""
        remaining = re.findall(r"sa remaining duration \(kilobytes/sec\):\s*(\S+)", chunk, re.I)
        out.append({"POLICY": grab(r'^\s*"?([^"\s]+)"?'), "REMOTE_ADDR": grab(r"remote address:\s*(\S+)"),
                    "IN_SPI": grab(r"\[inbound ESP SAs\]\s*\n\s*spi:\s*(\d+)"),
                    "OUT_SPI": grab(r"\[outbound ESP SAs\]\s*\n\s*spi:\s*(\d+)"),
                    "IN_REMAINING": remaining[0] if remaining else "",
                    "OUT_REMAINING": remaining[1] if len(remaining) > 1 else "",
                    "IN_SEQ": grab(r"max received sequence-number:\s*(\d+)"),
                    "OUT_SEQ": grab(r"max sent sequence-number:\s*(\d+)"), "STATUS": "Active"})
    return out


def _seconds(remaining: str) -> int | None:
    m = re.match(r"\d+/(\d+)$", remaining or "")
    return int(m.group(1)) if m else None


def tunnel_states(cloud_ips: Iterable[str], ike_text: str, ipsec_text: str, *, v2: bool = False) -> list[TunnelState]:
    ike_rows = parse_ikev2_sa(ike_text) if v2 else parse_ike_sa(ike_text)
    sa_rows = parse_ipsec_sa(ipsec_text)
    out = []
    ips = list(cloud_ips)
    for n, ip in enumerate(ips):
        rows = [r for r in ike_rows if r.get("REMOTE", "").split("/")[0] == ip and r.get("PHASE", "1") == "1"]
        flags = [r.get("FLAG", "") for r in rows]
        if any("RD" in f.split("|") or f == "EST" for f in flags):
            p1, detail = UP, next(f for f in flags if "RD" in f.split("|") or f == "EST")
        elif rows:
            p1, detail = NEGOTIATING, flags[0]
        else:
            p1, detail = DOWN, "no IKE SA"
        sas = [r for r in sa_rows if r.get("REMOTE_ADDR") == ip]
        active = [r for r in sas if r.get("IN_SPI") and r.get("OUT_SPI") and r.get("STATUS", "Active") in ("Active", "")]
        p2 = UP if active else DOWN
        lifetime = packets_in = packets_out = None
        if active:
            lifetime = _seconds(active[0].get("IN_REMAINING") or active[0].get("OUT_REMAINING", ""))
            packets_in = sum(int(r["IN_SEQ"]) for r in active if r.get("IN_SEQ"))
            packets_out = sum(int(r["OUT_SEQ"]) for r in active if r.get("OUT_SEQ"))
        role = (("master", "slave")[n] if len(ips) == 2 else None)
        out.append(TunnelState(ip, p1, p2, detail + (f", {len(active)} IPsec SA pair(s)" if active else ""),
                               role, lifetime, packets_out if active else None, packets_in if active else None,
                               None if p1 == UP else ("phase 1 not established" if p1 == DOWN else "IKE negotiating")))
    return out


_ROUTE_RE = re.compile(r"^(\d+\.\d+\.\d+\.\d+)/(\d+)\s+(\S+)\s+(\d+)\s+(\d+)\s+(\S+)\s+(\S+)\s*$", re.M)


def parse_routes(text: str) -> list[dict[str, str]]:
    """``display ip routing-table`` via ntc-templates (wrapped: the template raises on odd lines), else ours."""
    try:
        from netmiko.utilities import get_structured_data_textfsm

        rows = get_structured_data_textfsm(text, platform="hp_comware", command="display ip routing-table")
        if isinstance(rows, list) and rows and isinstance(rows[0], dict):
            return [{k.lower(): str(v) for k, v in r.items()} for r in rows]
    except Exception:  # noqa: BLE001 - TextFSMError on an unexpected line
        pass
    return [{"network": m.group(1), "prefix_length": m.group(2), "protocol": m.group(3), "distance": m.group(4),
             "metric": m.group(5), "nexthop_ip": m.group(6), "nexthop_if": m.group(7)}
            for m in _ROUTE_RE.finditer(text.replace("\r", ""))]


def route_list(text: str, config: Any, lab: str, profile: Any) -> list[Route]:
    from vpnconsole.h3c import naming

    ours = set()
    for r in getattr(config, "routes", []):
        try:
            if naming.is_ours(r, lab, platform=config.platform, config=config):
                ours.add(f"{r.destination}/{r.length}")
        except Exception:  # noqa: BLE001
            pass
    relevant = [ipaddress.IPv4Network(s) for s in list(profile.cloud.subnets) + list(profile.onprem.subnets)]
    out = []
    for row in parse_routes(text):
        try:
            net = ipaddress.IPv4Network(f"{row['network']}/{row['prefix_length']}", strict=False)
        except (KeyError, ValueError):
            continue
        cidr = str(net)
        if not (net.prefixlen == 0 or cidr in ours or any(net.overlaps(x) for x in relevant)):
            continue
        if net.prefixlen == 32 and row.get("nexthop_if", "").lower().startswith("inloop"):
            continue
        out.append(Route(cidr, row.get("nexthop_ip") or None, row.get("nexthop_if") or None,
                         row.get("protocol", ""), ours=cidr in ours))
    return out


def version_facts(text: str) -> dict[str, Any]:
    facts: dict[str, Any] = {}
    m = re.search(r"Comware Software, Version (\S+?),?\s+Release (\S+)", text)
    if m:
        facts["version"] = f"{m.group(1)}, Release {m.group(2)}"
        facts["platform"] = "comware5" if m.group(1).startswith("5.") else "comware7"
    m = re.search(r"^H3C (\S+) uptime", text, re.M)
    if m:
        facts["model"] = m.group(1)
    return facts


# --- small helpers ---------------------------------------------------------------------------------------------

def _scrub(text: str, secrets: Iterable[str]) -> str:
    for s in secrets:
        if s:
            text = text.replace(s, MASK)
    return text


def _atomic_json(path: Path, data: dict[str, Any]) -> None:
    from vpnconsole.paths import write_private_json

    write_private_json(path, data, sort_keys=True)


__all__ = ["H3CEnd", "PushResult", "DeviceError", "ConnectError", "AuthError", "HostKeyError", "SessionLost",
           "OperationCancelled",
           "RedactingSessionLog", "rollback_lines", "config_blocks", "select_lines", "parse_ike_sa",
           "parse_ipsec_sa", "parse_routes", "tunnel_states", "ERROR_RE"]
