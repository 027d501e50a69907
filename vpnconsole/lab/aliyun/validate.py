"""Validation rules of the real API (reference §2.2, §2.3.3, §3.4, §6.9).

Error messages never echo a PSK or BGP auth key.
"""

from __future__ import annotations

import ipaddress
import re
import string
from typing import Any

from .errors import ApiError, invalid
from .params import parse_bool, parse_int
from .state import BgpConfig, HealthCheck, IkeConfig, IpsecConfig

__all__ = [
    "ENUMS_NORMAL",
    "ENUMS_NATIONAL",
    "NEGOTIATION_STATUSES",
    "check_subnets",
    "check_cgw_ip",
    "check_psk",
    "check_identity",
    "check_name",
    "check_description",
    "check_gateway_name",
    "parse_asn",
    "parse_ike",
    "parse_ipsec",
    "parse_bgp",
    "parse_health_check",
    "strict_cidr",
]

ENUMS_NORMAL = {
    "IkeVersion": ("ikev1", "ikev2"),
    "IkeMode": ("main", "aggressive"),
    "IkeEncAlg": ("aes", "aes192", "aes256", "des", "3des"),
    "IkeAuthAlg": ("md5", "sha1", "sha256", "sha384", "sha512"),
    "IkePfs": ("group1", "group2", "group5", "group14"),
    "IpsecEncAlg": ("aes", "aes192", "aes256", "des", "3des"),
    "IpsecAuthAlg": ("md5", "sha1", "sha256", "sha384", "sha512"),
    "IpsecPfs": ("disabled", "group1", "group2", "group5", "group14"),
}

# NationalStandard (SM) gateways: sm4/sm3, ikev1 and main mode only.
ENUMS_NATIONAL = {
    **ENUMS_NORMAL,
    "IkeVersion": ("ikev1",),
    "IkeMode": ("main",),
    "IkeEncAlg": ("sm4",),
    "IkeAuthAlg": ("sm3",),
    "IpsecEncAlg": ("sm4",),
    "IpsecAuthAlg": ("sm3",),
}

NEGOTIATION_STATUSES = (
    "ike_sa_not_established",
    "ike_sa_established",
    "ipsec_sa_not_established",
    "ipsec_sa_established",
)

# SDK field comment: letters, digits and ~!`@#$%^&*()_-+={}[]|;:",.<>/?  (no spaces).
# The Terraform copy lists ' instead of "; the sim follows the SDK list, so a
# single quote, a backslash, whitespace or non-ASCII is rejected.
PSK_CHARS = frozenset(string.ascii_letters + string.digits + "~!`@#$%^&*()_-+={}[]|;:\",.<>/?")

_RESERVED_CGW_NETS = [
    ipaddress.ip_network(n)
    for n in ("0.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "224.0.0.0/4", "240.0.0.0/4")
]
_CARRIER_NAT = ipaddress.ip_network("100.64.0.0/10")
_BGP_RESERVED = [ipaddress.ip_network(f"169.254.{i}.0/30") for i in range(7)] + [
    ipaddress.ip_network("169.254.169.252/30")
]


def strict_cidr(value: str) -> ipaddress.IPv4Network | None:
    """A CIDR with zero host bits, or None."""
    if not value or value != value.strip() or "/" not in value:
        return None
    try:
        net = ipaddress.ip_network(value, strict=True)
    except ValueError:
        return None
    return net if isinstance(net, ipaddress.IPv4Network) else None


def check_subnets(param: str, value: str, max_entries: int) -> str:
    """Comma-separated CIDR list without spaces -> 400 IllegalParam.<param>."""
    err = ApiError(400, f"IllegalParam.{param}", f"The specified {param} is invalid.")
    if not value or " " in value:
        raise err
    parts = value.split(",")
    if len(parts) > max_entries or len(set(parts)) != len(parts):
        raise err
    for p in parts:
        if strict_cidr(p) is None:
            raise err
    if "0.0.0.0/0" in parts and len(parts) > 1:
        raise err
    return value


def check_cgw_ip(value: str) -> str:
    err = ApiError(400, "InvalidIpAddress.WrongFormat", "The specified IpAddress is in an invalid format.")
    try:
        ip = ipaddress.IPv4Address(value)
    except ValueError:
        raise err from None
    if str(ip) != value or any(ip in n for n in _RESERVED_CGW_NETS):
        raise err
    return value


def check_psk(param: str, value: Any) -> str:
    if not isinstance(value, str) or not (1 <= len(value) <= 100) or any(c not in PSK_CHARS for c in value):
        raise invalid(param, "The pre-shared key must be 1 to 100 characters: letters, digits and "
                             "~!`@#$%^&*()_-+={}[]|;:\",.<>/? with no spaces.")
    return value


def check_identity(param: str, value: Any) -> str:
    if not isinstance(value, str) or not (1 <= len(value) <= 100) or any(c.isspace() for c in value):
        raise invalid(param, "It must be 1 to 100 characters without spaces.")
    return value


def _bad_prefix(value: str) -> bool:
    return value.lower().startswith(("http://", "https://"))


def check_name(value: str, *, max_len: int = 100) -> str:
    if not (1 <= len(value) <= max_len) or _bad_prefix(value):
        raise ApiError(400, "InvalidName", "The specified name is invalid.")
    return value


def check_description(value: str, *, max_len: int = 100) -> str:
    if not (1 <= len(value) <= max_len) or _bad_prefix(value):
        raise ApiError(400, "InvalidDescription", "The specified description is invalid.")
    return value


_GW_NAME = re.compile(r"^[A-Za-z\u4e00-\u9fa5][A-Za-z0-9\u4e00-\u9fa5_.\-]{1,99}$")


def check_gateway_name(value: str) -> str:
    if not _GW_NAME.match(value) or _bad_prefix(value):
        raise ApiError(400, "InvalidName", "The specified name is invalid.")
    return value


def parse_asn(param: str, value: Any, *, forbid_45104: bool = True) -> int:
    """1..4294967295, two-segment ``a.b`` notation accepted; 45104 is Alibaba's own."""
    s = str(value).strip()
    try:
        if "." in s:
            hi, lo = s.split(".", 1)
            n = parse_int(param, hi, lo=0, hi=65535) * 65536 + parse_int(param, lo, lo=0, hi=65535)
        else:
            n = parse_int(param, s)
    except ApiError:
        raise invalid(param, "The ASN must be an integer from 1 to 4294967295.") from None
    if not (1 <= n <= 4294967295) or (forbid_45104 and n == 45104):
        raise invalid(param, "The ASN must be from 1 to 4294967295 and must not be 45104.")
    return n


def _enum(enums: dict, key: str, value: Any, param: str) -> str:
    if not isinstance(value, str) or value not in enums[key]:
        raise invalid(param, f"Valid values: {', '.join(enums[key])}.")
    return value


def _lifetime(value: Any, param: str) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return parse_int(param, value, lo=0, hi=86400)


_IKE_KEYS = ("IkeVersion", "IkeMode", "IkeEncAlg", "IkeAuthAlg", "IkePfs", "IkeLifetime", "LocalId", "RemoteId", "Psk")
_IPSEC_KEYS = ("IpsecEncAlg", "IpsecAuthAlg", "IpsecPfs", "IpsecLifetime")


def parse_ike(param: str, raw: dict | None, base: IkeConfig, enums: dict) -> IkeConfig:
    """Apply the keys of an IKE config object onto ``base`` (a copy is returned)."""
    cfg = IkeConfig(**vars(base))
    if raw is None:
        return cfg
    if not isinstance(raw, dict):
        raise invalid(param, "It must be an object.")
    for key, value in raw.items():
        if key not in _IKE_KEYS or value is None:
            continue  # unknown keys are ignored, like the real service does with extra JSON keys
        p = f"{param}.{key}"
        if key == "IkeLifetime":
            cfg.ike_lifetime = _lifetime(value, p)
        elif key == "Psk":
            cfg.psk = check_psk(p, value)
        elif key == "LocalId":
            cfg.local_id = check_identity(p, value)
        elif key == "RemoteId":
            cfg.remote_id = check_identity(p, value)
        else:
            attr = {"IkeVersion": "ike_version", "IkeMode": "ike_mode", "IkeEncAlg": "ike_enc_alg",
                    "IkeAuthAlg": "ike_auth_alg", "IkePfs": "ike_pfs"}[key]
            setattr(cfg, attr, _enum(enums, key, value, p))
    return cfg


def parse_ipsec(param: str, raw: dict | None, base: IpsecConfig, enums: dict) -> IpsecConfig:
    cfg = IpsecConfig(**vars(base))
    if raw is None:
        return cfg
    if not isinstance(raw, dict):
        raise invalid(param, "It must be an object.")
    for key, value in raw.items():
        if key not in _IPSEC_KEYS or value is None:
            continue
        p = f"{param}.{key}"
        if key == "IpsecLifetime":
            cfg.ipsec_lifetime = _lifetime(value, p)
        else:
            attr = {"IpsecEncAlg": "ipsec_enc_alg", "IpsecAuthAlg": "ipsec_auth_alg", "IpsecPfs": "ipsec_pfs"}[key]
            setattr(cfg, attr, _enum(enums, key, value, p))
    return cfg


def _ci(raw: dict, key: str) -> Any:
    for k, v in raw.items():
        if k.lower() == key.lower():
            return v
    return None


def check_tunnel_cidr(param: str, value: Any) -> ipaddress.IPv4Network:
    net = strict_cidr(value) if isinstance(value, str) else None
    if (net is None or net.prefixlen != 30 or not net.subnet_of(ipaddress.ip_network("169.254.0.0/16"))
            or net in _BGP_RESERVED):
        raise invalid(param, "It must be a /30 in 169.254.0.0/16 outside the reserved blocks.")
    return net


def parse_bgp(param: str, raw: dict | None, base: BgpConfig, *, enable_default: bool | None = None) -> BgpConfig:
    """BgpConfig (single tunnel, keys EnableBgp/LocalAsn/TunnelCidr/LocalBgpIp) or TunnelBgpConfig."""
    cfg = BgpConfig(**vars(base))
    if raw is None:
        return cfg
    if not isinstance(raw, dict):
        raise invalid(param, "It must be an object.")
    enable = _ci(raw, "EnableBgp")
    if enable is not None:
        cfg.enable_bgp = parse_bool(f"{param}.EnableBgp", str(enable))
    elif enable_default is not None:
        cfg.enable_bgp = enable_default
    asn = _ci(raw, "LocalAsn")
    if asn is not None and asn != "":
        cfg.local_asn = parse_asn(f"{param}.LocalAsn", asn, forbid_45104=False)
    cidr = _ci(raw, "TunnelCidr")
    if cidr is not None:
        cfg.tunnel_cidr = str(check_tunnel_cidr(f"{param}.TunnelCidr", cidr))
    ip = _ci(raw, "LocalBgpIp")
    if ip is not None:
        cfg.local_bgp_ip = str(ip)
    if cfg.enable_bgp:
        if not cfg.tunnel_cidr:
            raise invalid(f"{param}.TunnelCidr", "It is required when BGP is enabled.")
        net = ipaddress.ip_network(cfg.tunnel_cidr)
        try:
            addr = ipaddress.IPv4Address(cfg.local_bgp_ip)
        except ValueError:
            raise invalid(f"{param}.LocalBgpIp", "It must be an address inside TunnelCidr.") from None
        if addr not in net or addr in (net.network_address, net.broadcast_address):
            raise invalid(f"{param}.LocalBgpIp", "It must be an address inside TunnelCidr.")
    return cfg


def parse_health_check(param: str, raw: dict | None, base: HealthCheck) -> HealthCheck:
    """HealthCheckConfig keys are matched case-insensitively (docs: lowercase)."""
    cfg = HealthCheck(**vars(base))
    if raw is None:
        return cfg
    enable = _ci(raw, "enable")
    if enable is not None:
        cfg.enable = parse_bool(f"{param}.enable", str(enable))
    for key in ("dip", "sip"):
        v = _ci(raw, key)
        if v is not None:
            try:
                ipaddress.IPv4Address(str(v))
            except ValueError:
                raise invalid(f"{param}.{key}", "It must be an IPv4 address.") from None
            setattr(cfg, key, str(v))
    for key, lo, hi in (("interval", 1, 3600), ("retry", 1, 100)):
        v = _ci(raw, key)
        if v is not None:
            setattr(cfg, key, parse_int(f"{param}.{key}", str(v), lo=lo, hi=hi))
    pol = _ci(raw, "policy")
    if pol is not None:
        if pol not in ("revoke_route", "reserve_route"):
            raise invalid(f"{param}.policy", "Valid values: revoke_route, reserve_route.")
        cfg.policy = pol
    if cfg.enable and (not cfg.dip or not cfg.sip):
        raise invalid(param, "dip and sip are required when the health check is enabled.")
    return cfg


def overlaps_carrier_nat(net: ipaddress.IPv4Network) -> bool:
    return net.overlaps(_CARRIER_NAT)
