"""Defaults for a new profile, per router platform (what the profile wizard pre-fills).

Textual-free so the TUI's wizard, the CLI and tests share one answer.  Why per platform: the safe
common baseline of reference h3c §7 (AES-256, SHA-256, DH14) is what a Comware V7 router and Alibaba
both do well, but a web-managed H3C ER — older firmware above all — offers only MD5/SHA1 and
DH1/2/5 (reference h3c §3), so a wizard that pre-filled SHA-256 there would produce a profile the
validator refuses.  ER and Comware V5 therefore get the classic set every such box has:
AES-128, SHA1, DH2, PFS DH2.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from vpnconsole import algorithms as alg


@dataclass(frozen=True)
class ProfileDefaults:
    """What a new profile of one platform starts with (canonical names, see ``algorithms``)."""

    platform: str
    ike: dict[str, Any]
    ipsec: dict[str, Any]
    device: dict[str, Any]  # onprem.device keys
    wan_interface: str

    def as_dict(self) -> dict[str, Any]:
        return {"platform": self.platform, "ike": dict(self.ike), "ipsec": dict(self.ipsec),
                "device": dict(self.device), "wan_interface": self.wan_interface}


_CLASSIC_IKE = {"version": "ikev1", "mode": "main", "encryption": "aes128", "integrity": "sha1",
                "dh_group": "group2", "lifetime": 86400, "dpd": True, "nat_traversal": True}
_CLASSIC_IPSEC = {"encryption": "aes128", "integrity": "sha1", "pfs": "group2", "lifetime": 86400}
_STRONG_IKE = {**_CLASSIC_IKE, "encryption": "aes256", "integrity": "sha256", "dh_group": "group14"}
_STRONG_IPSEC = {**_CLASSIC_IPSEC, "encryption": "aes256", "integrity": "sha256", "pfs": "group14"}


def defaults_for(platform: str) -> ProfileDefaults:
    """The defaults for a new profile of ``platform`` (comware7 | comware5 | er | er-legacy).

    Raises ValueError for an unknown platform, naming the known ones.
    """
    if platform not in alg.PLATFORMS:
        raise ValueError(f"unknown platform {platform!r}; choose one of: {', '.join(alg.PLATFORMS)}")
    if alg.is_er(platform):
        # No SSH login on an ER; host/port name its web GUI (checked for an answer only).
        return ProfileDefaults(platform, dict(_CLASSIC_IKE), dict(_CLASSIC_IPSEC),
                               {"platform": platform, "port": 80}, "WAN1")
    if platform == "comware5":
        return ProfileDefaults(platform, dict(_CLASSIC_IKE), dict(_CLASSIC_IPSEC),
                               {"platform": platform, "port": 22, "username": "admin"}, "GigabitEthernet0/1")
    return ProfileDefaults(platform, dict(_STRONG_IKE), dict(_STRONG_IPSEC),
                           {"platform": platform, "port": 22, "username": "admin"}, "GigabitEthernet0/1")


__all__ = ["ProfileDefaults", "defaults_for"]
