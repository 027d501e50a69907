"""Alibaba API answers → canonical :class:`~vpnconsole.params.VpnParams` (the inverse of the plan).

Inputs are response bodies as ``.body.to_map()`` gives them (PascalCase, nested objects; §1.5 of
``alibaba-vpn-api.md``): ``DescribeVpnConnection``, ``DescribeVpnGateway``,
``DescribeCustomerGateway`` (or one ``CustomerGateways.CustomerGateway[]`` item) and
``DownloadVpnConnectionConfig``.

Types are loose (lifetimes and DPD/NAT-T flags come back as ``"86400"``/``"true"`` in tunnel blocks,
ints/bools elsewhere) and any key may be missing; nothing here raises on bad input.  Every oddity
becomes a warning (never containing the PSK) and a value that cannot be mistaken for a good one:

* an algorithm, version, mode or identity that is missing → ``""`` (:data:`UNKNOWN`);
* an algorithm Alibaba spells in a way the vocabulary does not know → its raw spelling (so a diff
  shows exactly what the gateway has, e.g. ``sm4``);
* a lifetime that is missing or not a number → ``-1`` (:data:`UNKNOWN_LIFETIME`);
* a DPD / NAT-T flag that is missing or unreadable → Alibaba's documented default, ``true``;
* a subnet that is not a CIDR → left out.

Orientation: in ``DescribeVpnConnection`` ``LocalSubnet`` is the VPC (cloud) side and ``LocalId``
Alibaba's identity; ``DownloadVpnConnectionConfig`` is written from the customer gateway's point of
view, so there Local/Remote, the subnets and the identities are swapped (§2.4).
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass, field
from typing import Any, Mapping

from vpnconsole import algorithms as alg
from vpnconsole.algorithms import Dialect, Kind
from vpnconsole.params import IkeParams, IpsecParams, TunnelParams, VpnParams, psk_fingerprint

UNKNOWN = ""
UNKNOWN_LIFETIME = -1
_TRUE = {"true", "1", "yes", "on", "enable", "enabled"}
_FALSE = {"false", "0", "no", "off", "disable", "disabled"}


@dataclass
class ReadBack:
    params: VpnParams
    warnings: list[str] = field(default_factory=list)
    dual_tunnel: bool = False


class _Reader:
    def __init__(self) -> None:
        self.warnings: list[str] = []

    def warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)

    def mapping(self, value: Any, where: str, *, required: bool = True) -> Mapping[str, Any]:
        if isinstance(value, Mapping):
            return value
        if isinstance(value, str) and value.strip().startswith("{"):
            # Tolerate a config still in its request form (a JSON string).
            try:
                parsed = json.loads(value)
            except ValueError:
                parsed = None
            if isinstance(parsed, Mapping):
                return parsed
        if value is None:
            if required:
                self.warn(f"{where} is missing")
        else:
            self.warn(f"{where} is not an object ({type(value).__name__})")
        return {}

    def text(self, m: Mapping[str, Any], key: str, where: str, *, required: bool = True) -> str | None:
        value = m.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
        if value is None or value == "":
            if required:
                self.warn(f"{where}.{key} is missing")
        else:
            self.warn(f"{where}.{key} is not text ({type(value).__name__})")
        return None

    def boolean(self, m: Mapping[str, Any], key: str, where: str) -> bool:
        value = m.get(key)
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        if isinstance(value, str):
            folded = value.strip().lower()
            if folded in _TRUE:
                return True
            if folded in _FALSE:
                return False
        if value is None:
            self.warn(f"{where}.{key} is missing; assuming Alibaba's default (true)")
        else:
            self.warn(f"{where}.{key} = {_show(value)} is not a boolean; assuming Alibaba's default (true)")
        return True

    def integer(self, m: Mapping[str, Any], key: str, where: str) -> int:
        value = m.get(key)
        if isinstance(value, bool):
            pass
        elif isinstance(value, int):
            return value
        elif isinstance(value, float) and value.is_integer():
            return int(value)
        elif isinstance(value, str):
            text = value.strip()
            if text.isdigit():
                return int(text)
            try:
                number = float(text)
            except ValueError:
                number = None
            if number is not None and number.is_integer() and number >= 0:
                return int(number)
        if value is None:
            self.warn(f"{where}.{key} is missing")
        else:
            self.warn(f"{where}.{key} = {_show(value)} is not a number of seconds")
        return UNKNOWN_LIFETIME

    def algorithm(self, m: Mapping[str, Any], key: str, where: str, kind: Kind, *, pfs: bool = False) -> str:
        raw = self.text(m, key, where)
        if raw is None:
            return UNKNOWN
        try:
            return alg.from_spelling(kind, Dialect.ALIBABA, raw, pfs=pfs).name
        except alg.UnknownAlgorithm:
            pass
        try:
            found = alg.resolve(kind, raw, pfs=pfs)
        except alg.UnknownAlgorithm:
            self.warn(f"{where}.{key} = {_show(raw)} is not a value this console knows")
            return raw.lower()
        self.warn(f"{where}.{key} = {_show(raw)} is not Alibaba's spelling; read as {found.name}")
        return found.name

    def choice(self, m: Mapping[str, Any], key: str, where: str, options: tuple[str, ...]) -> str:
        raw = self.text(m, key, where)
        if raw is None:
            return UNKNOWN
        if raw.lower() not in options:
            self.warn(f"{where}.{key} = {_show(raw)} is not one of {', '.join(options)}")
        return raw.lower()

    def subnets(self, m: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
        raw = m.get(key)
        if raw is None or raw == "":
            self.warn(f"{where}.{key} is missing")
            return ()
        if isinstance(raw, (list, tuple)):
            items = [str(x) for x in raw]
        elif isinstance(raw, str):
            items = raw.split(",")
        else:
            self.warn(f"{where}.{key} is not a comma-separated list ({type(raw).__name__})")
            return ()
        nets = set()
        for item in items:
            text = item.strip()
            if not text:
                continue
            try:
                nets.add(ipaddress.IPv4Network(text, strict=True))
                continue
            except ValueError:
                pass
            try:
                loose = ipaddress.IPv4Network(text, strict=False)
            except ValueError:
                self.warn(f"{where}.{key}: {_show(text)} is not an IPv4 CIDR; ignored")
                continue
            self.warn(f"{where}.{key}: {text} has host bits set; read as {loose}")
            nets.add(loose)
        return tuple(str(n) for n in sorted(nets))

    def ip(self, m: Mapping[str, Any], key: str, where: str, *, required: bool = True) -> str | None:
        value = self.text(m, key, where, required=required)
        if value is None:
            return None
        try:
            return str(ipaddress.IPv4Address(value))
        except ValueError:
            self.warn(f"{where}.{key} = {_show(value)} is not an IPv4 address")
            return None


def _show(value: Any) -> str:
    """A value for a warning: scalars only (a container might hold the PSK), shortened."""
    if not isinstance(value, (str, int, float, bool)) or value is None:
        return f"({type(value).__name__})"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _tunnel(r: _Reader, ike_raw: Any, ipsec_raw: Any, where: str, *, dpd: bool, nat: bool,
            onprem_ip: str | None, cloud_ip: str | None, swapped: bool = False,
            prefix: str = "") -> TunnelParams:
    """One tunnel from an IkeConfig/IpsecConfig pair (``prefix="Tunnel"``: TunnelIkeConfig/...).
    ``swapped``: the download's point of view (LocalId = the customer gateway's identity)."""
    ike_where, ipsec_where = f"{where}.{prefix}IkeConfig", f"{where}.{prefix}IpsecConfig"
    ike = r.mapping(ike_raw, ike_where)
    ipsec = r.mapping(ipsec_raw, ipsec_where)
    version = r.choice(ike, "IkeVersion", ike_where, alg.IKE_VERSIONS)
    mode = r.choice(ike, "IkeMode", ike_where, alg.IKE_MODES)
    if version == "ikev2":
        mode = "main"  # IKEv2 has no exchange mode; the canonical form says "main"
    local_id = r.text(ike, "LocalId", ike_where)
    remote_id = r.text(ike, "RemoteId", ike_where)
    cloud_id, onprem_id = (remote_id, local_id) if swapped else (local_id, remote_id)
    psk = ike.get("Psk")
    fingerprint = None
    if isinstance(psk, str) and psk:
        fingerprint = psk_fingerprint(psk)
    elif psk is None or psk == "":
        r.warn(f"{ike_where}.Psk is missing")
    else:
        r.warn(f"{ike_where}.Psk is not text")
    return TunnelParams(
        IkeParams(version, mode,
                  r.algorithm(ike, "IkeEncAlg", ike_where, Kind.ENCRYPTION),
                  r.algorithm(ike, "IkeAuthAlg", ike_where, Kind.INTEGRITY),
                  r.algorithm(ike, "IkePfs", ike_where, Kind.DH),
                  r.integer(ike, "IkeLifetime", ike_where), dpd, nat),
        IpsecParams(r.algorithm(ipsec, "IpsecEncAlg", ipsec_where, Kind.ENCRYPTION),
                    r.algorithm(ipsec, "IpsecAuthAlg", ipsec_where, Kind.INTEGRITY),
                    r.algorithm(ipsec, "IpsecPfs", ipsec_where, Kind.DH, pfs=True),
                    r.integer(ipsec, "IpsecLifetime", ipsec_where)),
        onprem_ip, cloud_ip, onprem_id or None, cloud_id or None, fingerprint)


def _tunnel_options(r: _Reader, connection: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    spec = connection.get("TunnelOptionsSpecification")
    if spec is None:
        return []
    items = spec.get("TunnelOptions") if isinstance(spec, Mapping) else spec
    if items is None:
        return []
    if not isinstance(items, list):
        r.warn("TunnelOptionsSpecification.TunnelOptions is not a list")
        return []
    good = [t for t in items if isinstance(t, Mapping)]
    if len(good) != len(items):
        r.warn("TunnelOptionsSpecification.TunnelOptions has entries that are not objects; ignored")
    return good


def _role_order(t: Mapping[str, Any]) -> tuple[int, int]:
    role = str(t.get("Role") or "").lower()
    index = t.get("TunnelIndex")
    try:
        index_n = int(index)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        index_n = 99
    return ({"master": 0, "slave": 1}.get(role, 2), index_n)


def _cgw_ip(r: _Reader, customer_gateway: Mapping[str, Any] | None, cgw_id: str | None, where: str) -> str | None:
    if not customer_gateway:
        r.warn("the customer gateway was not given; the on-prem public IP is unknown")
        return None
    wrapper = customer_gateway.get("CustomerGateways")
    if isinstance(wrapper, Mapping):  # a DescribeCustomerGateways body: pick ours from the list
        items = [c for c in (wrapper.get("CustomerGateway") or []) if isinstance(c, Mapping)] \
            if isinstance(wrapper.get("CustomerGateway"), list) else []
        match = [c for c in items if c.get("CustomerGatewayId") == cgw_id] if cgw_id else items[:1]
        if not match:
            r.warn(f"{where} uses customer gateway {cgw_id}, which is not in the list given; its IP is unknown")
            return None
        customer_gateway = match[0]
    have = customer_gateway.get("CustomerGatewayId")
    if cgw_id and isinstance(have, str) and have and have != cgw_id:
        r.warn(f"{where} uses customer gateway {cgw_id}, but the one given is {have}; its IP is unknown")
        return None
    return r.ip(customer_gateway, "IpAddress", "customer gateway")


def read_connection(connection: Any, gateway: Any = None, customer_gateway: Any = None) -> ReadBack:
    """:func:`params_from_api` with its warnings and the tunnel mode."""
    r = _Reader()
    conn = r.mapping(connection, "DescribeVpnConnection")
    gw = r.mapping(gateway, "DescribeVpnGateway", required=False)
    cgw = r.mapping(customer_gateway, "customer gateway", required=False) or None
    if gateway is None:
        r.warn("the VPN gateway was not given; tunnel IPs come from the connection alone")
    cloud_subnets = r.subnets(conn, "LocalSubnet", "connection")  # VPC side
    onprem_subnets = r.subnets(conn, "RemoteSubnet", "connection")  # on-prem side
    options = _tunnel_options(r, conn)
    tunnels: list[TunnelParams] = []
    if options:
        ordered = sorted(options, key=_role_order)
        roles = [str(t.get("Role") or "").lower() for t in ordered]
        if sorted(roles) != ["master", "slave"]:
            r.warn(f"a dual-tunnel connection should have one master and one slave tunnel; found "
                   f"{', '.join(x or '(no role)' for x in roles)}")
        for n, t in enumerate(ordered):
            role = str(t.get("Role") or "").lower()
            where = f"tunnel {role or n + 1}"
            cloud_ip = r.ip(t, "InternetIp", where, required=False)
            if cloud_ip is None:
                key = "DisasterRecoveryInternetIp" if role == "slave" else "InternetIp"
                cloud_ip = r.ip(gw, key, "gateway", required=bool(gw))
            cgw_id = t.get("CustomerGatewayId") if isinstance(t.get("CustomerGatewayId"), str) else None
            tunnels.append(_tunnel(r, t.get("TunnelIkeConfig"), t.get("TunnelIpsecConfig"), where, prefix="Tunnel",
                                   dpd=r.boolean(t, "EnableDpd", where), nat=r.boolean(t, "EnableNatTraversal", where),
                                   onprem_ip=_cgw_ip(r, cgw, cgw_id, where), cloud_ip=cloud_ip))
    elif conn:
        cloud_ip = r.ip(gw, "InternetIp", "gateway", required=bool(gw)) if gw else None
        if cloud_ip is None:
            cloud_ip = r.ip(conn, "InternetIp", "connection", required=False)
        if gw.get("DisasterRecoveryInternetIp"):
            r.warn("the gateway is dual-tunnel but the connection has no per-tunnel options")
        cgw_id = conn.get("CustomerGatewayId") if isinstance(conn.get("CustomerGatewayId"), str) else None
        tunnels.append(_tunnel(r, conn.get("IkeConfig"), conn.get("IpsecConfig"), "connection",
                               dpd=r.boolean(conn, "EnableDpd", "connection"),
                               nat=r.boolean(conn, "EnableNatTraversal", "connection"),
                               onprem_ip=_cgw_ip(r, cgw, cgw_id, "the connection"), cloud_ip=cloud_ip))
    return ReadBack(VpnParams(tuple(tunnels), onprem_subnets, cloud_subnets), r.warnings, bool(options))


def params_from_api(connection: Any, gateway: Any = None, customer_gateway: Any = None, *,
                    warnings: list[str] | None = None) -> VpnParams:
    """The connection's live parameters in the canonical vocabulary.

    ``connection``: DescribeVpnConnection body; ``gateway``: DescribeVpnGateway body (tunnel IPs);
    ``customer_gateway``: the customer gateway (its ``IpAddress`` is the on-prem public IP).
    Never raises on bad input; problems are appended to ``warnings`` when given.
    """
    result = read_connection(connection, gateway, customer_gateway)
    if warnings is not None:
        warnings.extend(result.warnings)
    return result.params


def read_download(config: Any, connection: Any = None) -> ReadBack:
    """:func:`params_from_download` with its warnings and the tunnel mode."""
    r = _Reader()
    body = r.mapping(config, "DownloadVpnConnectionConfig")
    cfg = body.get("VpnConnectionConfig", body) if isinstance(body, Mapping) else {}
    cfg = r.mapping(cfg, "VpnConnectionConfig")
    conn = r.mapping(connection, "DescribeVpnConnection", required=False)
    # The download is written for the customer gateway: its Local* is on-prem, Remote* the VPC.
    onprem_subnets = r.subnets(cfg, "LocalSubnet", "download")
    cloud_subnets = r.subnets(cfg, "RemoteSubnet", "download")

    options = {str(t.get("TunnelId")): t for t in _tunnel_options(r, conn) if t.get("TunnelId")} if conn else {}
    flags_warned = False

    def flags(source: Mapping[str, Any] | None, where: str) -> tuple[bool, bool]:
        nonlocal flags_warned
        if source:
            return r.boolean(source, "EnableDpd", where), r.boolean(source, "EnableNatTraversal", where)
        if not flags_warned:
            r.warn("the downloaded configuration does not carry DPD / NAT-T; assuming Alibaba's defaults "
                   "(true) — pass the DescribeVpnConnection body to read them")
            flags_warned = True
        return True, True

    tunnels_raw = cfg.get("TunnelsConfig")
    items = tunnels_raw.get("TunnelConfig") if isinstance(tunnels_raw, Mapping) else tunnels_raw
    if items is not None and not isinstance(items, list):
        r.warn("TunnelsConfig.TunnelConfig is not a list")
        items = None
    items = [t for t in (items or []) if isinstance(t, Mapping)]
    tunnels: list[TunnelParams] = []
    if items:
        def order(t: Mapping[str, Any]) -> tuple[int, int]:
            opt = options.get(str(t.get("TunnelId")))
            return _role_order(opt) if opt else (2, 99)
        for n, t in enumerate(sorted(items, key=order) if options else items):
            opt = options.get(str(t.get("TunnelId")))
            role = str((opt or {}).get("Role") or "").lower()
            where = f"download tunnel {role or n + 1}"
            dpd, nat = flags(opt, where)
            tunnels.append(_tunnel(r, t.get("IkeConfig"), t.get("IpsecConfig"), where, dpd=dpd, nat=nat,
                                   onprem_ip=r.ip(t, "Local", where), cloud_ip=r.ip(t, "Remote", where),
                                   swapped=True))
    elif cfg:
        dpd, nat = flags(conn or None, "connection")
        tunnels.append(_tunnel(r, cfg.get("IkeConfig"), cfg.get("IpsecConfig"), "download", dpd=dpd, nat=nat,
                               onprem_ip=r.ip(cfg, "Local", "download"), cloud_ip=r.ip(cfg, "Remote", "download"),
                               swapped=True))
    return ReadBack(VpnParams(tuple(tunnels), onprem_subnets, cloud_subnets), r.warnings, bool(items))


def params_from_download(config: Any, connection: Any = None, *, warnings: list[str] | None = None) -> VpnParams:
    """The parameters in a DownloadVpnConnectionConfig body (Local/Remote and subnets swapped, §2.4).

    The download has no DPD / NAT-T flags: pass the DescribeVpnConnection body as ``connection`` to
    take them (and the master/slave order) from there; otherwise Alibaba's defaults are assumed.
    """
    result = read_download(config, connection)
    if warnings is not None:
        warnings.extend(result.warnings)
    return result.params
