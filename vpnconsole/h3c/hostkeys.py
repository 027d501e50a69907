"""SSH host-key verification against ``~/.ssh/known_hosts`` for the H3C connection.

The paramiko client is given NO host keys; every presented key goes through :class:`KnownHostsPolicy`,
which does the whole check itself so that the three outcomes can be told apart with clear messages:

* known and equal → accepted;
* unknown host → refused, unless ``accept_new`` (then appended to known_hosts) or the
  ``ask(hostname, key_type, fingerprint) -> bool`` callback accepts it (then appended too);
* the host is known with a different key (same or other type) → ALWAYS refused, the message shows
  both fingerprints and the known_hosts line(s) to remove.

paramiko is imported lazily (inside functions): importing this module costs nothing.
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

AskHostKey = Callable[[str, str, str], bool]


def default_known_hosts() -> Path:
    return Path(os.path.expanduser("~")) / ".ssh" / "known_hosts"


def fingerprint(key: Any) -> str:
    """OpenSSH style ``SHA256:…`` fingerprint of a paramiko key."""
    digest = hashlib.sha256(key.asbytes()).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


def host_entry_name(host: str, port: int) -> str:
    """How OpenSSH (and paramiko) name a host in known_hosts."""
    return host if int(port) == 22 else f"[{host}]:{port}"


@dataclass
class KnownEntry:
    lineno: int  # 1-based
    key_type: str
    fingerprint: str
    line: str


def lookup(path: Path, name: str) -> list[KnownEntry]:
    """Every known_hosts entry for ``name`` (plain or hashed host names)."""
    from paramiko.hostkeys import HostKeyEntry, HostKeys, InvalidHostKey

    out: list[KnownEntry] = []
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return out
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#") or line.startswith("@"):
            continue
        try:
            entry = HostKeyEntry.from_line(line, lineno)
        except (InvalidHostKey, Exception):  # unknown key types, junk: not ours to judge
            entry = None
        if entry is None or entry.key is None:
            continue
        for host in entry.hostnames:
            if host.startswith("|1|"):
                hit = HostKeys.hash_host(name, host) == host
            else:
                hit = host == name
            if hit:
                out.append(KnownEntry(lineno, entry.key.get_name(), fingerprint(entry.key), line))
                break
    return out


def append_known_host(path: Path, name: str, key: Any) -> None:
    """Append ``name key`` to known_hosts (creating ~/.ssh 0700 and the file 0600 when missing)."""
    from paramiko.hostkeys import HostKeyEntry

    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.chmod(path.parent, 0o700)
    except OSError:
        pass
    line = HostKeyEntry([name], key).to_line()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as f:
        if f.tell() > 0:
            with open(path, "rb") as r:
                r.seek(-1, os.SEEK_END)
                if r.read(1) != b"\n":
                    f.write("\n")
        f.write(line if line.endswith("\n") else line + "\n")


@dataclass
class Verdict:
    """What the policy decided (read after a failed connect to build the right exception)."""

    status: str = ""  # known | added | unknown-refused | changed | declined
    hostname: str = ""
    key_type: str = ""
    fingerprint: str = ""
    known: list[KnownEntry] = field(default_factory=list)
    message: str = ""


def make_policy(known_hosts: Path, *, accept_new: bool = False, ask: AskHostKey | None = None) -> Any:
    """A paramiko ``MissingHostKeyPolicy`` doing the complete known_hosts check; ``policy.verdict``
    holds the outcome."""
    import paramiko

    class KnownHostsPolicy(paramiko.MissingHostKeyPolicy):
        def __init__(self) -> None:
            self.verdict = Verdict()

        def missing_host_key(self, client: Any, hostname: str, key: Any) -> None:
            v = self.verdict
            v.hostname, v.key_type, v.fingerprint = hostname, key.get_name(), fingerprint(key)
            v.known = lookup(known_hosts, hostname)
            if any(e.fingerprint == v.fingerprint for e in v.known):
                v.status = "known"
                return
            if v.known:
                v.status = "changed"
                lines = ", ".join(str(e.lineno) for e in v.known)
                was = "; ".join(f"{e.key_type} {e.fingerprint}" for e in v.known)
                v.message = (f"HOST KEY CHANGED for {hostname}: the router now presents {v.key_type} {v.fingerprint}, "
                             f"known_hosts ({known_hosts}) has {was}. This may be an attack, or the router was "
                             f"replaced/re-keyed. If you are sure, remove line {lines} of {known_hosts} "
                             f"(ssh-keygen -R '{hostname}' -f {known_hosts}) and connect again.")
                raise paramiko.SSHException(v.message)
            accepted = bool(accept_new)
            if not accepted and ask is not None:
                try:
                    accepted = bool(ask(hostname, v.key_type, v.fingerprint))
                except Exception:  # noqa: BLE001 - a failing callback is a "no"
                    accepted = False
                if not accepted:
                    v.status = "declined"
                    v.message = (f"host key of {hostname} ({v.key_type} {v.fingerprint}) was not accepted; "
                                 "not connecting")
                    raise paramiko.SSHException(v.message)
            if not accepted:
                v.status = "unknown-refused"
                v.message = (f"unknown host key for {hostname}: {v.key_type} {v.fingerprint} is not in {known_hosts}. "
                             "Verify the fingerprint on the router (display public-key local rsa/ecdsa public) and "
                             "accept it (accept the new host key, or add it with ssh-keyscan).")
                raise paramiko.SSHException(v.message)
            append_known_host(known_hosts, hostname, key)
            v.status = "added"

    return KnownHostsPolicy()
