"""The per-lab audit log and the per-lab lock (DESIGN.md, "Files").

Audit: one JSON object per line in ``$XDG_STATE_HOME/vpnconsole/labs/<lab>/audit.jsonl`` (mode
0600): when, who, from where, which profile (its hash), what was sent to which end with secrets
masked, the API RequestIds, and the result.  Records are built from masked data; the redaction
backstop runs over every string in a record anyway before it is written.

Lock: one apply or teardown per lab at a time, across processes.  ``flock`` on a file in the lab's
state directory: the kernel drops it when the holder dies, so a crash never leaves a stale lock;
the file says who holds it, for the message the second console shows.
"""

from __future__ import annotations

import fcntl
import getpass
import hashlib
import json
import os
import socket
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from vpnconsole.paths import lab_state_dir
from vpnconsole.redact import Secret, redact


def profile_hash(profile: Any) -> str:
    """sha256 of the profile as it would be saved (secrets are never in it)."""
    from vpnconsole.profile import dump_profile

    return "sha256:" + hashlib.sha256(dump_profile(profile).encode("utf-8")).hexdigest()


def _jsonable(value: Any) -> Any:
    """Plain JSON data with every string passed through the redaction backstop.

    Redacting the leaves (not the serialized line) keeps the record valid JSON whatever a known
    secret looks like."""
    if isinstance(value, Secret):
        return str(value)  # the mask
    if isinstance(value, dict):
        return {redact(str(k)): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_jsonable(v) for v in value]
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, (int, float, bool)) or value is None:
        return value
    return redact(str(value))


class AuditLog:
    def __init__(self, lab: str, path: Path | None = None):
        self.lab = lab
        self.path = path or lab_state_dir(lab) / "audit.jsonl"

    def record(self, operation: str, **fields: Any) -> dict[str, Any]:
        entry = {"time": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "lab": self.lab, "operation": operation,
                 "user": _user(), "host": socket.gethostname(), "pid": os.getpid()}
        entry.update(_jsonable(fields))
        line = json.dumps(entry, ensure_ascii=False, sort_keys=False)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.fchmod(fd, 0o600)
            os.write(fd, (line + "\n").encode("utf-8"))
        finally:
            os.close(fd)
        return json.loads(line)

    def entries(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        out = []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:
                continue  # a torn last line after a crash: skip it, keep the rest
        return out


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid())


class LabBusy(Exception):
    """Another console is applying or tearing down this lab."""

    def __init__(self, lab: str, holder: dict[str, Any]):
        self.lab, self.holder = lab, holder
        who = ", ".join(f"{k} {holder[k]}" for k in ("operation", "user", "host", "pid", "since") if k in holder)
        super().__init__(f"lab {lab!r} is busy: another console holds its lock ({who or 'unknown holder'}); "
                         "wait for it to finish, or stop it")


@dataclass
class _Held:
    path: Path
    fd: int


@contextmanager
def lab_lock(lab: str, operation: str, *, path: Path | None = None) -> Iterator[None]:
    """Hold the lab's lock for the duration of ``operation``; raise :class:`LabBusy` if taken."""
    lock_path = path or lab_state_dir(lab) / "lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            try:
                holder = json.loads(os.pread(fd, 4096, 0).decode("utf-8") or "{}")
            except (ValueError, OSError):
                holder = {}
            raise LabBusy(lab, holder) from None
        info = {"operation": operation, "user": _user(), "host": socket.gethostname(), "pid": os.getpid(),
                "since": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(info).encode("utf-8"), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
