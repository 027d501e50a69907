"""Profile ⇄ Alibaba VPC API: the ordered request plan, SDK request models, and the read-back.

Pure functions, no I/O.  References are to ``shared/reference/alibaba-vpn-api.md``.

**Apply plan** (:func:`plan_apply`), in order:

1. *Discovery* (read-only, only when the VPC route table is not known from the profile or from
   :class:`GatewayFacts`): ``DescribeVpnGateway`` → ``VpcId``, ``DescribeRouteTableList``
   (``RouteTableType=System``) → the system table; later steps refer to it with a :class:`Ref`.
   Reads come first so a failing discovery leaves nothing half-created.
2. ``CreateCustomerGateway`` for ``onprem.public_ip`` — skipped when the caller already knows the
   customer gateway for that IP (``customer_gateway_id=``; §2.2 "look for an existing CGW first").
3. ``CreateVpnConnection``: single-tunnel form (``CustomerGatewayId`` + ``IkeConfig``/``IpsecConfig``
   JSON strings) or dual-tunnel form (``TunnelOptionsSpecification``: exactly one master and one
   slave, same ``CustomerGatewayId``, per-tunnel ``LocalId`` = that tunnel's IP), chosen by the
   gateway (§2.3.1): dual exactly when ``DisasterRecoveryInternetIp`` is known.  Every IKE/IPsec key
   is sent explicitly (Alibaba's defaults differ from H3C's: md5 auth, §4.2), with
   ``EffectImmediately=true`` so the console sees negotiation at once, ``AutoConfigRoute=true``.
4. ``CreateRouteEntry`` in the VPC route table for each on-prem subnet, next hop the VPN gateway.

**VPN gateway route entries: none.**  The profile refuses ``0.0.0.0/0``, so every connection is in
*protected-data-flow* mode (§2.3.2).  With ``AutoConfigRoute=true`` the gateway then adds its own
policy-based routes (source = LocalSubnet, destination = RemoteSubnet, next hop the connection) and
removes them with the connection; ``CreateVpnRouteEntry``/``CreateVpnPbrRouteEntry`` would only
duplicate them (and destination routes are meant for destination-routing mode).  The VPC side still
needs routes: published routes reach only the *system* table, and custom tables never get them
(§2.5), so the plan adds the VPC entries explicitly.  If a system-table entry for the subnet is
already there (e.g. published by the gateway), CreateRouteEntry answers with a duplicate code; the
call lists those in ``adopt_codes``: the route exists, it is *not* ours, and the manifest must not
record it.  Teardown still knows how to delete VPN route entries a manifest records.

**ClientToken**: every create/modify/delete the API allows it on carries
``vpnc-<lab>-<nonce>-<16 hex of sha256(lab, nonce, step)>`` (≤ 63 ASCII characters).  The nonce is
chosen once per plan (random unless given) and kept in :attr:`AlibabaPlan.nonce`: re-executing the
same plan (a retry, or resuming after a crash) reuses every token, so a create that succeeded
server-side while the client saw an error returns the same id instead of a duplicate (§3.2, §5);
a *new* apply gets a new nonce, so it is never answered with a long-deleted object.
``DeleteRouteEntry`` has no ClientToken in the API (SDK 7.2.2); it is idempotent by id anyway
(``InvalidRouteEntry.NotFound`` = done).

**Ownership**: objects we create are named ``vpnconsole-<lab>`` (customer gateway, connection,
route entries), their descriptions say ``vpnconsole lab <lab>``, and the customer gateway and the
connection carry the tag ``vpnconsole-lab=<lab>``.  Teardown deletes only ids recorded in the
manifest (:class:`AlibabaManifest`), never by name; the marks are for people and for recovering
a manifest.

**PSK**: a :class:`~vpnconsole.redact.Secret` inside the plan; in the single-tunnel form it lives in
a :class:`~vpnconsole.alibaba.plan.JsonText`, whose JSON string is only built by ``Call.reveal``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import secrets as _secrets
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from vpnconsole import algorithms as alg
from vpnconsole.algorithms import Dialect, Kind
from vpnconsole.alibaba.plan import (AlibabaPlan, Call, JsonText, Ref, UnresolvedRef, render_call,
                                     render_plan)
from vpnconsole.alibaba.readback import (ReadBack, params_from_api, params_from_download,
                                         read_connection, read_download)
from vpnconsole.params import canonical_subnets
from vpnconsole.psk import psk_problems
from vpnconsole.redact import Secret

__all__ = [
    "AlibabaManifest", "AlibabaPlan", "Call", "GatewayFacts", "JsonText", "PlanError", "ReadBack", "Ref",
    "RouteEntryRecord", "TranslateError", "UnresolvedRef", "VpnRouteRecord", "client_token", "is_owned_name",
    "manifest_from_results", "owner_name", "params_from_api", "params_from_download", "plan_apply",
    "plan_teardown", "read_connection", "read_download", "render", "render_call", "render_plan",
    "sdk_method", "to_sdk_request",
]

TAG_KEY = "vpnconsole-lab"
OWNER_PREFIX = "vpnconsole-"
NONCE_RE = re.compile(r"^[a-z0-9]{1,8}$")

#: The keys of IkeConfig/TunnelIkeConfig and IpsecConfig/TunnelIpsecConfig, in the order sent.
IKE_KEYS = ("IkeVersion", "IkeMode", "IkeEncAlg", "IkeAuthAlg", "IkePfs", "IkeLifetime", "LocalId", "RemoteId",
            "Psk")
IPSEC_KEYS = ("IpsecEncAlg", "IpsecAuthAlg", "IpsecPfs", "IpsecLifetime")

# Step ids of the apply plan.
STEP_DISCOVER_GATEWAY = "discover-gateway"
STEP_DISCOVER_ROUTE_TABLE = "discover-route-table"
STEP_CUSTOMER_GATEWAY = "customer-gateway"
STEP_CONNECTION = "vpn-connection"
STEP_VPC_ROUTE = "vpc-route:"  # + destination CIDR

# Error codes (§3.3).
_CGW_EXISTS = ("InvalidIpAddress.AlreadyExist",)
_CONNECTION_EXISTS = ("InvalidVpnConnection.AlreadyExists",)
_ROUTE_EXISTS = ("RouterEntryConflict.Duplicated", "Duplicated.VpcNextHop", "InvalidCIDRBlock.Duplicate")
_ROUTE_GONE = ("InvalidRouteEntry.NotFound",)
_CONNECTION_GONE = ("InvalidVpnConnectionInstanceId.NotFound",)
_CGW_GONE = ("InvalidCustomerGatewayInstanceId.NotFound",)


class TranslateError(ValueError):
    """A profile cannot be turned into Alibaba requests; the message says why (never a secret)."""


class PlanError(TranslateError):
    """The plan cannot be built; the message says what is missing (never a secret)."""


# --- ownership and tokens ----------------------------------------------------------------------------

def owner_name(lab: str) -> str:
    """The Name our objects carry: ``vpnconsole-<lab>`` (starts with a letter, ≤ 43 characters)."""
    return OWNER_PREFIX + lab


def is_owned_name(name: object, lab: str) -> bool:
    return isinstance(name, str) and name == owner_name(lab)


def _description(lab: str, what: str, limit: int = 100) -> str:
    """``vpnconsole lab <lab>: …`` — the mark leads, so a cut at the API's limit keeps it."""
    return f"vpnconsole lab {lab}: {what}"[:limit]


def new_nonce() -> str:
    return _secrets.token_hex(4)


def client_token(lab: str, nonce: str, step: str) -> str:
    """The ClientToken of one logical operation: the same (lab, nonce, step) always gives the same
    token; ≤ 64 ASCII characters."""
    if not NONCE_RE.match(nonce):
        raise ValueError("a ClientToken nonce is 1–8 lowercase letters or digits")
    digest = hashlib.sha256(f"{lab}\n{nonce}\n{step}".encode("utf-8")).hexdigest()[:16]
    lab_part = re.sub(r"[^a-z0-9-]", "", lab.lower())[:32]
    return f"vpnc-{lab_part}-{nonce}-{digest}"


def _check_nonce(nonce: str | None) -> str:
    if nonce is None:
        return new_nonce()
    if not NONCE_RE.match(nonce):
        raise PlanError(f"nonce {nonce!r} must be 1–8 lowercase letters or digits")
    return nonce


# --- gateway facts -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class GatewayFacts:
    """What is known about the VPN gateway (from DescribeVpnGateway / DescribeRouteTableList, or the
    profile).  ``disaster_recovery_internet_ip`` present ⇔ dual-tunnel gateway (§2.1)."""

    internet_ip: str | None = None
    disaster_recovery_internet_ip: str | None = None
    vpc_id: str | None = None
    route_table_id: str | None = None  # the VPC's system route table, when discovered
    status: str | None = None  # init | provisioning | active | updating | deleting

    @property
    def ips(self) -> tuple[str, ...]:
        return tuple(ip for ip in (self.internet_ip, self.disaster_recovery_internet_ip) if ip)

    @property
    def dual_tunnel(self) -> bool:
        return bool(self.disaster_recovery_internet_ip)

    @classmethod
    def from_profile(cls, profile: Any) -> "GatewayFacts":
        ips = list(profile.cloud.gateway_ips or [])
        return cls(internet_ip=ips[0] if ips else None,
                   disaster_recovery_internet_ip=ips[1] if len(ips) > 1 else None)

    @classmethod
    def from_api(cls, gateway: Mapping[str, Any] | None, route_table_id: str | None = None) -> "GatewayFacts":
        """From a DescribeVpnGateway body (``.body.to_map()``); tolerant of missing keys."""
        g = gateway if isinstance(gateway, Mapping) else {}

        def text(key: str) -> str | None:
            value = g.get(key)
            return value.strip() if isinstance(value, str) and value.strip() else None

        return cls(text("InternetIp"), text("DisasterRecoveryInternetIp"), text("VpcId"), route_table_id,
                   text("Status"))


# --- the apply plan ----------------------------------------------------------------------------------

def _ali(kind: Kind, name: str, *, pfs: bool = False) -> str:
    try:
        return alg.by_name(kind, name, pfs=pfs).spelling(Dialect.ALIBABA)
    except (alg.UnknownAlgorithm, alg.UnsupportedAlgorithm) as exc:
        raise PlanError(str(exc)) from None


def _ike_fields(profile: Any, psk: Secret, local_id: str, remote_id: str) -> dict[str, Any]:
    ike = profile.ike
    version = ike.version
    if version not in alg.IKE_VERSIONS:
        raise PlanError(f"ike.version {version!r}: Alibaba takes {', '.join(alg.IKE_VERSIONS)}")
    mode = ike.mode if version == "ikev1" else "main"  # IKEv2 has no exchange mode; send the default
    if mode not in alg.IKE_MODES:
        raise PlanError(f"ike.mode {mode!r}: Alibaba takes {', '.join(alg.IKE_MODES)}")
    lo, hi = alg.IKE_LIFETIME_RANGES["alibaba"]
    if not isinstance(ike.lifetime, int) or not lo <= ike.lifetime <= hi:
        raise PlanError(f"ike.lifetime {ike.lifetime!r} s: Alibaba takes {lo}–{hi}")
    values = {
        "IkeVersion": version,
        "IkeMode": mode,
        "IkeEncAlg": _ali(Kind.ENCRYPTION, ike.encryption),
        "IkeAuthAlg": _ali(Kind.INTEGRITY, ike.integrity),
        "IkePfs": _ali(Kind.DH, ike.dh_group),  # the phase-1 DH group; "disabled" is not valid here
        "IkeLifetime": ike.lifetime,
        "LocalId": local_id,
        "RemoteId": remote_id,
        "Psk": psk,
    }
    return {k: values[k] for k in IKE_KEYS}


def _ipsec_fields(profile: Any) -> dict[str, Any]:
    ipsec = profile.ipsec
    lo, hi = alg.IPSEC_LIFETIME_RANGES["alibaba"]
    if not isinstance(ipsec.lifetime, int) or not lo <= ipsec.lifetime <= hi:
        raise PlanError(f"ipsec.lifetime {ipsec.lifetime!r} s: Alibaba takes {lo}–{hi}")
    values = {
        "IpsecEncAlg": _ali(Kind.ENCRYPTION, ipsec.encryption),
        "IpsecAuthAlg": _ali(Kind.INTEGRITY, ipsec.integrity),
        "IpsecPfs": _ali(Kind.DH, ipsec.pfs, pfs=True),  # none → "disabled"
        "IpsecLifetime": ipsec.lifetime,
    }
    return {k: values[k] for k in IPSEC_KEYS}


def _subnet_list(values: Iterable[str], what: str) -> tuple[str, ...]:
    try:
        nets = canonical_subnets(values)
    except ValueError as exc:
        raise PlanError(f"{what}: {exc}") from None
    if not nets:
        raise PlanError(f"{what} is empty")
    if "0.0.0.0/0" in nets:
        raise PlanError(f"{what}: 0.0.0.0/0 (destination-routing mode) is not built by this console")
    return nets


def _tags(lab: str) -> list[dict[str, str]]:
    return [{"Key": TAG_KEY, "Value": lab}]


def plan_apply(profile: Any, psk: Secret, gateway: GatewayFacts | Mapping[str, Any] | None = None, *,
               customer_gateway_id: str | None = None, nonce: str | None = None) -> AlibabaPlan:
    """The ordered API calls that bring the Alibaba end to what ``profile`` says.

    ``gateway``: what DescribeVpnGateway (and the route-table lookup) said — :class:`GatewayFacts`, or
    a DescribeVpnGateway body; default: the profile's
    ``cloud.gateway_ips`` (two → dual tunnel).  ``customer_gateway_id``: an existing customer gateway
    for ``onprem.public_ip`` to use instead of creating one (it is then not ours to delete).
    ``nonce``: part of every ClientToken — pass the nonce of an earlier plan to retry *its*
    operations; omitted, a fresh random one.  Raises :class:`PlanError`.
    """
    if not isinstance(psk, Secret):
        raise PlanError("the PSK must be passed as a vpnconsole.redact.Secret")
    problems = psk_problems(psk.reveal())
    if problems:
        raise PlanError("the PSK would be refused: " + "; ".join(problems))
    lab = profile.name
    nonce = _check_nonce(nonce)
    region = profile.cloud.region
    gateway_id = profile.cloud.vpn_gateway_id
    notes: list[str] = []

    if gateway is not None and not isinstance(gateway, GatewayFacts):
        gateway = GatewayFacts.from_api(gateway)
    facts = gateway if gateway is not None else GatewayFacts.from_profile(profile)
    if gateway is not None:
        declared = tuple(profile.cloud.gateway_ips or ())
        if declared and facts.ips and declared != facts.ips:
            notes.append(f"the profile lists gateway IPs {', '.join(declared)} but the gateway has "
                         f"{', '.join(facts.ips)}; planning for the gateway")
        if facts.status and facts.status != "active":
            notes.append(f"the gateway is {facts.status}; every write waits for it to be active")
    if not facts.internet_ip:
        raise PlanError("the VPN gateway's IPsec address is unknown: set cloud.gateway_ips in the profile "
                        "or discover it (DescribeVpnGateway) and pass GatewayFacts")
    dual = facts.dual_tunnel
    onprem_nets = _subnet_list(profile.onprem.subnets, "onprem.subnets")
    cloud_nets = _subnet_list(profile.cloud.subnets, "cloud.subnets")
    public_ip = profile.onprem.public_ip

    def token(step: str) -> str:
        return client_token(lab, nonce, step)

    calls: list[Call] = []

    # 1. discovery of the VPC route table, reads before any write
    route_table: str | Ref | None = profile.cloud.route_table_id or facts.route_table_id
    if route_table is None:
        vpc: str | Ref | None = facts.vpc_id
        if vpc is None:
            calls.append(Call(STEP_DISCOVER_GATEWAY, "DescribeVpnGateway",
                              {"RegionId": region, "VpnGatewayId": gateway_id},
                              summary="find the gateway's VPC"))
            vpc = Ref(STEP_DISCOVER_GATEWAY, "VpcId")
        calls.append(Call(STEP_DISCOVER_ROUTE_TABLE, "DescribeRouteTableList",
                          {"RegionId": region, "VpcId": vpc, "RouteTableType": "System"},
                          summary="find the VPC's system route table"))
        route_table = Ref(STEP_DISCOVER_ROUTE_TABLE, "RouterTableList.RouterTableListType.0.RouteTableId")

    # 2. the customer gateway (the H3C's public IP)
    cgw: str | Ref
    if customer_gateway_id:
        cgw = customer_gateway_id
        notes.append(f"using the existing customer gateway {customer_gateway_id} for {public_ip} "
                     "(not created here, so teardown keeps it)")
    else:
        calls.append(Call(
            STEP_CUSTOMER_GATEWAY, "CreateCustomerGateway",
            {"RegionId": region, "ClientToken": token(STEP_CUSTOMER_GATEWAY), "IpAddress": public_ip,
             "Name": owner_name(lab), "Description": _description(lab, f"H3C {public_ip}"), "Tags": _tags(lab)},
            summary=f"customer gateway for the H3C's public IP {public_ip}",
            creates="customer_gateway", result_id="CustomerGatewayId", adopt_codes=_CGW_EXISTS))
        cgw = Ref(STEP_CUSTOMER_GATEWAY, "CustomerGatewayId")

    # 3. the IPsec connection
    ipsec = _ipsec_fields(profile)
    params: dict[str, Any] = {
        "RegionId": region, "ClientToken": token(STEP_CONNECTION), "VpnGatewayId": gateway_id,
        "Name": owner_name(lab),
        "LocalSubnet": ",".join(cloud_nets),  # the VPC side
        "RemoteSubnet": ",".join(onprem_nets),  # the on-prem side
        "EffectImmediately": True, "AutoConfigRoute": True,
    }
    if dual:
        tunnels = []
        for role, ip in (("master", facts.internet_ip), ("slave", facts.disaster_recovery_internet_ip)):
            tunnels.append({
                "CustomerGatewayId": cgw, "Role": role,
                "EnableDpd": bool(profile.ike.dpd), "EnableNatTraversal": bool(profile.ike.nat_traversal),
                "TunnelIkeConfig": _ike_fields(profile, psk, ip, public_ip),
                "TunnelIpsecConfig": dict(ipsec),
            })
        params["TunnelOptionsSpecification"] = tunnels
        shape = f"dual tunnel: master {facts.internet_ip}, slave {facts.disaster_recovery_internet_ip}"
    else:
        params.update({
            "CustomerGatewayId": cgw,
            "EnableDpd": bool(profile.ike.dpd), "EnableNatTraversal": bool(profile.ike.nat_traversal),
            "IkeConfig": JsonText(_ike_fields(profile, psk, facts.internet_ip, public_ip)),
            "IpsecConfig": JsonText(ipsec),
        })
        shape = f"single tunnel to {facts.internet_ip}"
    params["Tags"] = _tags(lab)
    calls.append(Call(STEP_CONNECTION, "CreateVpnConnection", params,
                      summary=f"IPsec connection, {shape}", creates="vpn_connection", result_id="VpnConnectionId",
                      adopt_codes=_CONNECTION_EXISTS, wait_for="vpn-connection-active"))

    # 4. VPC routes to the on-prem subnets through the VPN gateway
    for net in onprem_nets:
        step = STEP_VPC_ROUTE + net
        calls.append(Call(
            step, "CreateRouteEntry",
            {"RegionId": region, "ClientToken": token(step), "RouteTableId": route_table,
             "DestinationCidrBlock": net, "NextHopType": "VpnGateway", "NextHopId": gateway_id,
             "RouteEntryName": owner_name(lab),
             "Description": _description(lab, f"on-prem {net} via VPN gateway {gateway_id}", 256)},
            summary=f"VPC route {net} → {gateway_id}", creates="route_entry", result_id="RouteEntryId",
            adopt_codes=_ROUTE_EXISTS, wait_for="route-entry-available"))

    return AlibabaPlan(lab, region, "apply", tuple(calls), nonce, dual, tuple(notes))


# --- the manifest and the teardown plan --------------------------------------------------------------

@dataclass(frozen=True)
class RouteEntryRecord:
    """A VPC route entry we created."""

    route_table_id: str
    destination: str
    route_entry_id: str | None = None
    next_hop_id: str | None = None


@dataclass(frozen=True)
class VpnRouteRecord:
    """A VPN gateway destination route we created (the apply plan creates none; see module doc)."""

    route_dest: str
    next_hop: str  # the vco- connection id
    weight: int = 100
    overlay_mode: str | None = None


@dataclass
class AlibabaManifest:
    """What was created on the Alibaba end — teardown removes exactly this.

    ``customer_gateway_id`` may be recorded with ``customer_gateway_created=False`` (an existing CGW
    we only used); everything else listed here was created by us.
    """

    region: str | None = None
    vpn_gateway_id: str | None = None
    customer_gateway_id: str | None = None
    customer_gateway_created: bool = False
    vpn_connection_id: str | None = None
    route_entries: list[RouteEntryRecord] = field(default_factory=list)
    vpn_route_entries: list[VpnRouteRecord] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "AlibabaManifest":
        if isinstance(data, AlibabaManifest):
            return data
        if not isinstance(data, Mapping):
            raise PlanError("the Alibaba manifest must be a mapping")

        def text(key: str) -> str | None:
            v = data.get(key)
            return v if isinstance(v, str) and v else None

        routes = []
        for item in data.get("route_entries") or []:
            if isinstance(item, Mapping) and item.get("route_table_id") and item.get("destination"):
                routes.append(RouteEntryRecord(str(item["route_table_id"]), str(item["destination"]),
                                               item.get("route_entry_id") or None, item.get("next_hop_id") or None))
        vpn_routes = []
        for item in data.get("vpn_route_entries") or []:
            if isinstance(item, Mapping) and item.get("route_dest") and item.get("next_hop"):
                weight = item.get("weight", 100)
                vpn_routes.append(VpnRouteRecord(str(item["route_dest"]), str(item["next_hop"]),
                                                 int(weight) if str(weight).isdigit() else 100,
                                                 item.get("overlay_mode") or None))
        return cls(text("region"), text("vpn_gateway_id"), text("customer_gateway_id"),
                   data.get("customer_gateway_created") is True, text("vpn_connection_id"), routes, vpn_routes)


def manifest_from_results(plan: AlibabaPlan, results: Mapping[str, Mapping[str, Any]],
                          manifest: AlibabaManifest | None = None) -> AlibabaManifest:
    """Record what an executed apply plan created.

    ``results``: step id → response body of every step that *created* its object (leave out steps
    that were adopted via ``adopt_codes`` — those objects are not ours).  Discovery results may be
    included; they resolve refs.  Adds to ``manifest`` when given.
    """
    m = manifest or AlibabaManifest()
    m.region = m.region or plan.region
    for call in plan.calls:
        if call.action == "CreateVpnConnection":
            m.vpn_gateway_id = m.vpn_gateway_id or call.params.get("VpnGatewayId")
            cgw = call.params.get("CustomerGatewayId")
            if cgw is None and call.params.get("TunnelOptionsSpecification"):
                cgw = call.params["TunnelOptionsSpecification"][0].get("CustomerGatewayId")
            if isinstance(cgw, str) and not m.customer_gateway_id:
                m.customer_gateway_id = cgw  # used, not created
        if call.step not in results or call.creates is None:
            continue
        body = results[call.step] or {}
        new_id = body.get(call.result_id) if call.result_id else None
        if call.creates == "customer_gateway" and new_id:
            m.customer_gateway_id, m.customer_gateway_created = new_id, True
        elif call.creates == "vpn_connection" and new_id:
            m.vpn_connection_id = new_id
        elif call.creates == "route_entry":
            try:
                table = call.params["RouteTableId"]
                table = table.resolve(results) if isinstance(table, Ref) else table
            except UnresolvedRef:
                continue
            record = RouteEntryRecord(str(table), call.params["DestinationCidrBlock"], new_id or None,
                                      call.params.get("NextHopId"))
            if record not in m.route_entries:
                m.route_entries.append(record)
    return m


def plan_teardown(profile: Any, manifest: AlibabaManifest | Mapping[str, Any] | None = None, *,
                  cgw_users: Iterable[str] | None = None, nonce: str | None = None) -> AlibabaPlan:
    """Delete what ``manifest`` records, in reverse dependency order: the VPC route entries, VPN route
    entries, the IPsec connection, then the customer gateway — only if we created it and nothing else
    uses it.  ``cgw_users``: ids of the IPsec connections known to reference the customer gateway
    (DescribeVpnConnections(CustomerGatewayId=…)); ``None`` = not looked up, in which case the delete is
    planned and the API itself refuses it while the CGW is in use.  Nothing is ever deleted by name:
    without a manifest (``None``) the plan is empty.
    """
    if manifest is None:
        return AlibabaPlan(profile.name, profile.cloud.region, "teardown", (), _check_nonce(nonce), None,
                           ("no manifest recorded for this lab: vpnconsole created nothing on the Alibaba end "
                            "that it knows of, so nothing would be deleted",))
    m = AlibabaManifest.from_dict(manifest) if not isinstance(manifest, AlibabaManifest) else manifest
    lab = profile.name
    nonce = _check_nonce(nonce)
    region = m.region or profile.cloud.region
    gateway_id = m.vpn_gateway_id or profile.cloud.vpn_gateway_id
    notes: list[str] = []
    if m.region and m.region != profile.cloud.region:
        notes.append(f"the manifest was recorded in {m.region}, the profile now says {profile.cloud.region}; "
                     f"deleting in {m.region}")
    if m.vpn_gateway_id and m.vpn_gateway_id != profile.cloud.vpn_gateway_id:
        notes.append(f"the manifest's gateway {m.vpn_gateway_id} differs from the profile's "
                     f"{profile.cloud.vpn_gateway_id}; deleting what the manifest records")

    def token(step: str) -> str:
        return client_token(lab, nonce, step)

    calls: list[Call] = []
    for r in reversed(m.route_entries):
        step = f"delete-vpc-route:{r.route_table_id}:{r.destination}"
        if r.route_entry_id:
            params: dict[str, Any] = {"RegionId": region, "RouteEntryId": r.route_entry_id}
        else:
            params = {"RegionId": region, "RouteTableId": r.route_table_id, "DestinationCidrBlock": r.destination}
            if r.next_hop_id:
                params["NextHopId"] = r.next_hop_id
        # DeleteRouteEntry takes no ClientToken (the API has none); it is idempotent by id.
        calls.append(Call(step, "DeleteRouteEntry", params, summary=f"VPC route {r.destination} in {r.route_table_id}",
                          gone_codes=_ROUTE_GONE, wait_for="route-entry-gone"))
    for v in reversed(m.vpn_route_entries):
        step = f"delete-vpn-route:{v.route_dest}:{v.next_hop}"
        params = {"RegionId": region, "ClientToken": token(step), "VpnGatewayId": gateway_id,
                  "RouteDest": v.route_dest, "NextHop": v.next_hop, "Weight": v.weight}
        if v.overlay_mode:
            params["OverlayMode"] = v.overlay_mode
        calls.append(Call(step, "DeleteVpnRouteEntry", params, summary=f"VPN route {v.route_dest} → {v.next_hop}",
                          gone_codes=_ROUTE_GONE, wait_for="vpn-route-gone"))
    if m.vpn_connection_id:
        step = "delete-vpn-connection"
        calls.append(Call(step, "DeleteVpnConnection",
                          {"RegionId": region, "ClientToken": token(step), "VpnConnectionId": m.vpn_connection_id},
                          summary=f"IPsec connection {m.vpn_connection_id}", gone_codes=_CONNECTION_GONE,
                          wait_for="vpn-connection-gone"))
    if m.customer_gateway_id:
        others = None if cgw_users is None else sorted(set(cgw_users) - {m.vpn_connection_id})
        if not m.customer_gateway_created:
            notes.append(f"keeping customer gateway {m.customer_gateway_id}: it existed before vpnconsole used it")
        elif others:
            notes.append(f"keeping customer gateway {m.customer_gateway_id}: still used by {', '.join(others)}")
        else:
            step = "delete-customer-gateway"
            calls.append(Call(step, "DeleteCustomerGateway",
                              {"RegionId": region, "ClientToken": token(step),
                               "CustomerGatewayId": m.customer_gateway_id},
                              summary=f"customer gateway {m.customer_gateway_id}", gone_codes=_CGW_GONE))
    if not calls:
        notes.append("the manifest records nothing created on the Alibaba end")
    return AlibabaPlan(lab, region, "teardown", tuple(calls), nonce, None, tuple(notes))


# --- SDK request models (lazy import) ----------------------------------------------------------------

def sdk_method(action: str) -> str:
    """The client method of an action: ``CreateVpnConnection`` → ``create_vpn_connection``."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", action).lower()


def _prune(value: Any) -> Any:
    """A to_map() result without the None values and empty lists the SDK adds for unset fields."""
    if isinstance(value, Mapping):
        return {k: _prune(v) for k, v in value.items() if v is not None and v != []}
    if isinstance(value, list):
        return [_prune(v) for v in value]
    return value


def _diff_keys(a: Any, b: Any, path: str = "") -> list[str]:
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        out = []
        for k in sorted(set(a) | set(b)):
            out += _diff_keys(a.get(k), b.get(k), f"{path}.{k}" if path else k)
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in _diff_keys(x, y, f"{path}[{i}]")]
    return [] if a == b and type(a) is type(b) else [path or "(root)"]


def to_sdk_request(call: Call, resolved_refs: Mapping[Any, Any] | None = None) -> Any:
    """The typed ``<Action>Request`` of ``alibabacloud_vpc20160428.models`` for one call, with refs
    resolved from ``resolved_refs`` (step id → response body map, or Ref → value) and secrets in
    clear.  Imports the SDK lazily.  Raises :class:`UnresolvedRef`, or ``ValueError`` when the model
    would not carry a parameter exactly (names the keys, never the values).

    Do not ``str()`` or log the returned model: DaraModel's ``__str__`` prints its map, PSK included.
    """
    from alibabacloud_vpc20160428 import models as vpc_models  # slow: only when actually sending

    cls = getattr(vpc_models, f"{call.action}Request", None)
    if cls is None:
        raise ValueError(f"the SDK has no {call.action}Request model")
    params = call.reveal(resolved_refs)
    request = cls().from_map(params)
    for attr, value in list(vars(request).items()):
        if isinstance(value, list) and not value:
            setattr(request, attr, None)  # from_map turns absent lists into []: leave them unset, as built
    lost = _diff_keys(_prune(request.to_map()), params)
    if lost:
        raise ValueError(f"{call.action}Request does not carry {', '.join(lost)} as planned")
    return request


def render(profile: Any, psk: Secret | None = None, *, teardown: bool = False,
           manifest: AlibabaManifest | Mapping[str, Any] | None = None, gateway: GatewayFacts | None = None,
           reveal: bool = False, nonce: str | None = None) -> str:
    """Text for ``vpnconsole render LAB --end alibaba [--teardown]``: secrets masked unless ``reveal``.

    Without a PSK (none stored yet) a placeholder stands in; it is not a usable key and is only ever
    shown masked.
    """
    if teardown:
        plan = plan_teardown(profile, manifest, nonce=nonce)
    else:
        if psk is None:
            psk, reveal = Secret("psk-not-set", "psk"), False
        plan = plan_apply(profile, psk, gateway, nonce=nonce)
    return render_plan(plan, reveal=reveal)
