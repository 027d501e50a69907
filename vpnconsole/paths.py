"""Where vpnconsole keeps its files (DESIGN.md, "Files").

* config: ``$VPNCONSOLE_HOME`` or ``$XDG_CONFIG_HOME/vpnconsole`` — profiles;
* state: ``$VPNCONSOLE_HOME/state`` or ``$XDG_STATE_HOME/vpnconsole`` — per-lab audit logs,
  manifests of what was created on each end, locks, the embedded lab's host keys;
* data: ``$VPNCONSOLE_HOME/data`` or ``$XDG_DATA_HOME/vpnconsole`` — the encrypted file keyring.

Directories are created private (0700): they hold audit records and keyring files.
"""

from __future__ import annotations

import os
from pathlib import Path

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


__all__ = ["config_home", "state_home", "data_home", "private_dir", "lab_state_dir"]
