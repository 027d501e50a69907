"""The saved per-lab profiles as a collection: list with last known state, new, copy, rename, delete.

The console's profile picker and the command line share these rules.  Renaming or deleting a lab
that still has something applied on either end is refused: the objects on the router and in the
cloud carry the lab's name, and its manifests are what teardown removes — tear down first.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vpnconsole.profile import (NAME_RE, Cloud, Device, Ike, Ipsec, OnPrem, Probe, Profile, ProfileError,
                                config_home, find_profile, list_profiles, load_profile, save_profile)
from vpnconsole.templates import defaults_for

MANIFESTS = ("h3c-manifest.json", "alibaba-manifest.json")


class LabFileError(Exception):
    pass


@dataclass(frozen=True)
class LabEntry:
    name: str
    path: Path
    platform: str | None  # None: the profile does not load
    problems: int  # validation errors
    last: dict[str, Any] | None  # record_status(): code, up, summary, at
    applied: bool  # a manifest of either end exists: something of this lab may be live
    shadowed: bool


def applied(lab: str) -> bool:
    from vpnconsole.paths import state_home

    folder = state_home() / "labs" / lab
    return any((folder / name).exists() for name in MANIFESTS)


def list_labs() -> list[LabEntry]:
    from vpnconsole.session import last_status

    out = []
    for entry in list_profiles():
        platform, problems = None, 0
        try:
            platform = load_profile(entry.path).platform
        except ProfileError as exc:
            problems = sum(p.severity == "error" for p in exc.problems)
        out.append(LabEntry(entry.name, entry.path, platform, problems, last_status(entry.name),
                            applied(entry.name), entry.shadowed))
    return out


def _check_name(name: str) -> None:
    if not NAME_RE.match(name):
        raise LabFileError(f"name: {name!r} is not a lab name (1–32 of a-z, 0-9 and '-', starting with a letter "
                           "or digit)")
    try:
        existing = find_profile(name)
    except Exception:  # noqa: BLE001 - not found is what we want
        return
    raise LabFileError(f"name: a lab named {name!r} already exists ({existing})")


def template(name: str, platform: str = "comware7") -> Profile:
    """A new lab's profile: documentation addresses and the platform's defaults (vpnconsole.templates:
    AES-128/SHA1/DH2 where the router offers no better, e.g. an ER).  The example values must be
    replaced before applying."""
    defaults = defaults_for(platform)
    device = {"host": "192.0.2.1", "username": "admin", "port": 22, **defaults.device, "platform": platform}
    return Profile(
        name=name, description="new lab (replace the example values)",
        onprem=OnPrem(Device(**device), "198.51.100.10", defaults.wan_interface, ["192.168.0.0/24"]),
        cloud=Cloud("cn-hangzhou", "vpn-replacewithyourid", ["172.16.0.0/16"]),
        ike=Ike(**defaults.ike), ipsec=Ipsec(**defaults.ipsec),
        probe=Probe(openstack_api="https://192.168.0.10:5000/v3"))


def new_lab(name: str, platform: str = "comware7") -> Path:
    _check_name(name)
    profile = template(name, platform)
    return save_profile(profile, config_home() / "profiles" / f"{name}.yaml")


def copy_lab(source: str, name: str) -> Path:
    _check_name(name)
    profile = load_profile(find_profile(source))
    profile.name = name
    profile.cloud.gateway_ips = list(profile.cloud.gateway_ips)
    return save_profile(profile, config_home() / "profiles" / f"{name}.yaml")


def rename_lab(old: str, new: str) -> Path:
    _check_name(new)
    if applied(old):
        raise LabFileError(f"lab {old!r} has configuration applied on an end (its objects carry the name); "
                           "tear it down before renaming")
    path = find_profile(old)
    profile = load_profile(path)
    profile.name = new
    target = save_profile(profile, path.with_name(f"{new}.yaml"))
    path.unlink()
    return target


def delete_lab(name: str, *, store: Any = None) -> Path:
    """Delete a lab's profile (its previous version stays as .bak) and its secrets in the keyring.
    Its audit log is kept: it is the record of what was done."""
    if applied(name):
        raise LabFileError(f"lab {name!r} has configuration applied on an end; tear it down before deleting "
                           "the profile (teardown needs it)")
    path = find_profile(name)
    shutil.copy2(path, path.with_name(path.name + ".bak"))
    path.unlink()
    if store is not None:
        for kind in ("psk", "h3c-password"):
            try:
                store.delete(name, kind)
            except Exception:  # noqa: BLE001 - a missing entry is fine
                pass
    return path


__all__ = ["LabEntry", "LabFileError", "list_labs", "template", "new_lab", "copy_lab", "rename_lab", "delete_lab",
           "applied"]
