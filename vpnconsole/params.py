"""The canonical parameter set both ends must agree on.

A profile produces one (:meth:`vpnconsole.profile.Profile.params`); each end's configuration is read
back into one (``h3c.parse``, ``alibaba.translate``); ``diagnose`` compares any two.  Values are
always canonical names from :mod:`vpnconsole.algorithms`, subnets are canonical CIDR strings in
sorted order, so two sets that mean the same thing compare equal.

Names say which end: ``onprem`` (the H3C) and ``cloud`` (Alibaba), never local/remote — Alibaba's
own API flips those between calls.
"""

from __future__ import annotations

import hashlib
import ipaddress
from dataclasses import dataclass, field
from typing import Iterable


@dataclass(frozen=True)
class IkeParams:
    version: str  # ikev1 | ikev2
    mode: str  # main | aggressive; always "main" for ikev2 (there is no exchange mode)
    encryption: str
    integrity: str
    dh_group: str
    lifetime: int  # seconds
    dpd: bool
    nat_traversal: bool


@dataclass(frozen=True)
class IpsecParams:
    encryption: str
    integrity: str
    pfs: str  # a DH group, or "none"
    lifetime: int  # seconds, time-based


@dataclass(frozen=True)
class TunnelParams:
    """One IKE/IPsec peering between the H3C and one Alibaba public IP."""

    ike: IkeParams
    ipsec: IpsecParams
    onprem_ip: str | None  # the H3C's public address (Alibaba's customer gateway IP)
    cloud_ip: str | None  # this tunnel's Alibaba IP (None: not known yet)
    onprem_id: str | None  # identity the H3C sends = Alibaba RemoteId
    cloud_id: str | None  # identity Alibaba sends = Alibaba LocalId
    # sha256 fingerprint of the PSK, or None where the end does not reveal it (Comware shows only
    # `key cipher ...`).  Never the PSK itself.
    psk_fingerprint: str | None = field(default=None, compare=True)


@dataclass(frozen=True)
class VpnParams:
    """Everything an end is configured with that the other end must mirror."""

    tunnels: tuple[TunnelParams, ...]  # master first; one per Alibaba public IP
    onprem_subnets: tuple[str, ...]  # H3C ACL source = Alibaba RemoteSubnet
    cloud_subnets: tuple[str, ...]  # H3C ACL destination = Alibaba LocalSubnet


def canonical_subnets(values: Iterable[str]) -> tuple[str, ...]:
    """Sorted, de-duplicated canonical CIDR strings (strict: host bits must be zero)."""
    nets = {ipaddress.IPv4Network(str(v)) for v in values}
    return tuple(str(n) for n in sorted(nets))


def psk_fingerprint(psk: str) -> str:
    """What is shown instead of a PSK: ``sha256:`` + 12 hex digits of its SHA-256.

    Short enough to compare by eye across both panes; far too short to help guess the key.
    """
    return "sha256:" + hashlib.sha256(psk.encode("utf-8")).hexdigest()[:12]
