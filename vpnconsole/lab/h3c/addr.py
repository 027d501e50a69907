"""IPv4 helpers shared by the simulated H3C (addresses, masks, wildcards, prefixes)."""

from __future__ import annotations

import ipaddress

__all__ = [
    "is_ip",
    "ip_to_int",
    "int_to_ip",
    "len_to_mask",
    "mask_to_len",
    "wildcard_to_len",
    "len_to_wildcard",
    "in_prefix",
    "network_of",
    "cidr",
]


def is_ip(text: str) -> bool:
    """Strict dotted-quad IPv4 (no leading zeros tricks, 4 octets, 0-255)."""
    parts = text.split(".")
    if len(parts) != 4:
        return False
    for p in parts:
        if not p.isdigit() or len(p) > 3 or int(p) > 255:
            return False
    return True


def ip_to_int(text: str) -> int:
    return int(ipaddress.IPv4Address(text))


def int_to_ip(value: int) -> str:
    return str(ipaddress.IPv4Address(value & 0xFFFFFFFF))


def len_to_mask(plen: int) -> str:
    return int_to_ip((0xFFFFFFFF << (32 - plen)) & 0xFFFFFFFF if plen else 0)


def mask_to_len(mask: str) -> int | None:
    """Prefix length of a contiguous dotted netmask, or None if not contiguous."""
    value = ip_to_int(mask)
    plen = bin(value).count("1")
    if value != ((0xFFFFFFFF << (32 - plen)) & 0xFFFFFFFF if plen else 0):
        return None
    return plen


def len_to_wildcard(plen: int) -> str:
    return int_to_ip(~ip_to_int(len_to_mask(plen)))


def norm_wildcard(wildcard: str) -> str:
    """Comware shows a host wildcard as ``0``."""
    return "0.0.0.0" if wildcard == "0" else wildcard


def wildcard_to_len(wildcard: str) -> int | None:
    """Prefix length of a contiguous wildcard (0.0.0.255 -> 24), None if not contiguous."""
    return mask_to_len(int_to_ip(~ip_to_int(norm_wildcard(wildcard))))


def in_prefix(ip: str, net: str, plen: int) -> bool:
    mask = (0xFFFFFFFF << (32 - plen)) & 0xFFFFFFFF if plen else 0
    return (ip_to_int(ip) & mask) == (ip_to_int(net) & mask)


def matches_wildcard(ip: str, addr: str, wildcard: str) -> bool:
    care = ~ip_to_int(norm_wildcard(wildcard)) & 0xFFFFFFFF
    return (ip_to_int(ip) & care) == (ip_to_int(addr) & care)


def network_of(ip: str, plen: int) -> str:
    mask = (0xFFFFFFFF << (32 - plen)) & 0xFFFFFFFF if plen else 0
    return int_to_ip(ip_to_int(ip) & mask)


def cidr(net: str, plen: int) -> str:
    return f"{network_of(net, plen)}/{plen}"
