"""Where vpnconsole keeps its files (DESIGN.md, "Files").

* config: ``$VPNCONSOLE_HOME`` or ``$XDG_CONFIG_HOME/vpnconsole`` — profiles;
* state: ``$VPNCONSOLE_HOME/state`` or ``$XDG_STATE_HOME/vpnconsole`` — per-lab audit logs,
  manifests of what was created on each end, locks, the embedded lab's host keys;
* data: ``$VPNCONSOLE_HOME/data`` or ``$XDG_DATA_HOME/vpnconsole`` — the encrypted file keyring.

Directories are created private (0700): they hold audit records and keyring files.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from vpnconsole.profile import config_home


def _xdg(var: str, default: str) -> Path:
    return Path(os.environ.get(var) or os.path.join(os.path.expanduser("~"), default))


def state_home() -> Path:
    if home := os.environ.get("VPNCONSOLE_HOME"):
        return Path(home) / "state"
    return _xdg("XDG_STATE_HOME", ".local/state") / "vpnconsole"


def data_home() -> Path:
    if home := os.environ.get("VPNCONSOLE_HOME"):
        return Path(home) / "data"
    return _xdg("XDG_DATA_HOME", ".local/share") / "vpnconsole"


def private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) with mode 0700 for the last component."""
    path.mkdir(parents=True, exist_ok=True)
    try:
        os.chmod(path, 0o700)
    except OSError:
        pass
    return path


def lab_state_dir(lab: str) -> Path:
    return private_dir(state_home() / "labs" / lab)


def write_private_json(path: Path, data: Any, *, indent: int = 2, sort_keys: bool = False) -> Path:
    """Write ``data`` as JSON atomically (temp file, fsync, rename, directory fsync), mode 0600: a
    reader never sees half a file, and a crash leaves the previous version.  Manifests, progress and
    confirmation records all go through here; none of them ever holds a secret."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=indent, sort_keys=sort_keys, ensure_ascii=False)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    try:
        dfd = os.open(path.parent, os.O_RDONLY)
    except OSError:
        return path
    try:
        os.fsync(dfd)
    except OSError:
        pass
    finally:
        os.close(dfd)
    return path


__all__ = ["config_home", "state_home", "data_home", "private_dir", "lab_state_dir", "write_private_json"]
