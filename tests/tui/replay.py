"""A replay engine for deterministic console snapshots.

The live embedded lab picks ephemeral ports and timestamps that differ on every run, so the
snapshot tests drive the real console (``build_app``) with ``make_engine=ReplayEngine``: an engine
that answers ``status``/``diff``/``plans`` with fixed, realistic results built from the REAL types —
:class:`vpnconsole.engine.StatusReport` of :class:`~vpnconsole.endstate.EndState` /
:class:`~vpnconsole.endstate.TunnelState` / :class:`~vpnconsole.endstate.Route`, the comparison from
:func:`vpnconsole.diagnose.compare` on :class:`~vpnconsole.params.VpnParams` derived from the real
profile, the verdict from :func:`vpnconsole.verdict.decide`, and plans rendered by the real H3C
renderer and Alibaba planner (secrets masked).

The H3C end is replayed with one field off (``dh group5`` against Alibaba's ``group2``) so the
mismatch marker and the "configured differently" verdict show.
"""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path
from typing import Any

from vpnconsole.diagnose import End, compare
from vpnconsole.endstate import DOWN, EndState, Route, TunnelState, ignore
from vpnconsole.engine import OperationResult, Plans, StatusReport
from vpnconsole.probe import H3C, JUMP_HOST, Check, ProbeReport
from vpnconsole.verdict import decide

PROJECT = Path(__file__).resolve().parents[2]

LAB = "snaplab"
MASTER = "snapshot-master-password"
#: the lab's PSK: stored in the keyring, never on a screen (the tests assert that)
PSK = "Zq7-snapshot-PSK-9c41e0b2d7f3a8"
#: 2026-01-01 00:00:00 UTC: every "read at" clock on the screen (TZ=UTC in the tests)
READ_AT = 1767225600.0
NONCE = "snap0001"


def write_profile(home: Path, name: str = LAB) -> Path:
    """profiles/classic.yaml, renamed to ``name``, in ``$VPNCONSOLE_HOME/profiles``."""
    target = home / "profiles" / f"{name}.yaml"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(PROJECT / "profiles" / "classic.yaml", target)
    text = target.read_text(encoding="utf-8").replace("name: classic", f"name: {name}", 1)
    target.write_text(text, encoding="utf-8")
    return target


def open_store_with_psk(name: str = LAB, psk: str = PSK) -> Any:
    """The encrypted file keyring (``VPNCONSOLE_KEYRING_PASSWORD`` must be set), the PSK stored."""
    from vpnconsole import secrets

    store = secrets.open_store()
    store.set(name, "psk", psk)
    return store


def _replace_ike(params: Any, **changes: Any) -> Any:
    tunnels = tuple(dataclasses.replace(t, ike=dataclasses.replace(t.ike, **changes)) for t in params.tunnels)
    return dataclasses.replace(params, tunnels=tunnels)


def _without_psk(params: Any) -> Any:
    """Comware never shows the key in clear: the H3C's read-back carries no fingerprint."""
    return dataclasses.replace(params, tunnels=tuple(dataclasses.replace(t, psk_fingerprint=None)
                                                      for t in params.tunnels))


def status_report(profile: Any, psk_fingerprint: str | None) -> StatusReport:
    """Both ends configured, the H3C's IKE proposal edited by hand to DH group 5: phase 1 fails."""
    wanted = profile.params(psk_fingerprint)
    h3c_params = _without_psk(_replace_ike(wanted, dh_group="group5"))
    alibaba_params = wanted
    gateway = profile.cloud.vpn_gateway_id
    cloud_ip = profile.cloud.gateway_ips[0]
    wan = profile.onprem.wan_interface
    next_hop = getattr(profile.onprem, "next_hop", None) or "198.51.100.9"
    h3c_routes = [Route("0.0.0.0/0", next_hop, "GE0/1", "Static"),
                  Route("192.168.0.0/24", "192.168.0.1", "GE0/2", "Direct")]
    h3c_routes += [Route(subnet, next_hop, "GE0/1", "Static", ours=True) for subnet in profile.cloud.subnets]
    h3c = EndState(
        End.H3C, True, h3c_params,
        tunnels=(TunnelState(cloud_ip, DOWN, DOWN, detail="no IKE SA", reason="IKE proposal mismatch: "
                             "NO_PROPOSAL_CHOSEN from the peer"),),
        routes=tuple(h3c_routes),
        facts={"sysname": "H3C-branch", "platform": profile.platform},
        read_at=READ_AT)
    vpc_routes = [Route(subnet, gateway, "VpnGateway", "Custom", "Available", True, "vtb-bp1snapshot")
                  for subnet in profile.onprem.subnets]
    vpc_routes += [Route("172.16.0.0/24", "", "", "System", "Available", False, "vtb-bp1snapshot"),
                   Route("100.64.0.0/10", "", "", "System", "Available", False, "vtb-bp1snapshot")]
    vpc_routes += [Route(subnet, "vco-bp1snapshot0001", "VpnConnection", "vpn", "published", True, "vpn-gateway")
                   for subnet in profile.onprem.subnets]
    alibaba = EndState(
        End.ALIBABA, True, alibaba_params,
        tunnels=(TunnelState(cloud_ip, DOWN, DOWN, detail="ike_sa_not_established",
                             reason="NO_PROPOSAL_CHOSEN: the peer offered DH group 5"),),
        routes=tuple(vpc_routes),
        facts={"status": "active", "spec": "10M", "connection": "vco-bp1snapshot0001"},
        read_at=READ_AT)
    comparison = compare(profile.params(psk_fingerprint), h3c.params, alibaba.params, platform=profile.platform)
    verdict = decide(h3c, alibaba, comparison, onprem_subnets=list(profile.onprem.subnets),
                     cloud_subnets=list(profile.cloud.subnets), wan_interface=wan, gateway_id=gateway)
    return StatusReport(h3c, alibaba, comparison, verdict, elapsed=0.42)


def alibaba_manifest(profile: Any) -> Any:
    from vpnconsole.alibaba.translate import AlibabaManifest

    return AlibabaManifest.from_dict({
        "region": profile.cloud.region, "vpn_gateway_id": profile.cloud.vpn_gateway_id,
        "customer_gateway_id": "cgw-bp1snapshot0001", "customer_gateway_created": True,
        "vpn_connection_id": "vco-bp1snapshot0001"})


class ReplayEngine:
    """Engine-shaped: the LabScreen calls ``status``/``diff``/``plans``/``apply``/``teardown``/``cancel``."""

    def __init__(self, profile: Any, store: Any, *, emit: Any = None, **_options: Any):
        self.profile = profile
        self.store = store
        self.emit = emit or ignore
        self.h3c = None
        self.alibaba = None
        self.calls: list[str] = []

    def _psk(self) -> Any:
        return self.store.get(self.profile.name, "psk")

    def cancel(self) -> None:
        self.calls.append("cancel")

    async def status(self) -> StatusReport:
        self.calls.append("status")
        psk = self._psk()
        return status_report(self.profile, psk.fingerprint if psk is not None else None)

    async def diff(self) -> StatusReport:
        return await self.status()

    async def plans(self, ends: tuple[str, ...] = ("h3c", "alibaba"), *, teardown: bool = False) -> Plans:
        from vpnconsole.alibaba import translate
        from vpnconsole.h3c import render

        self.calls.append("plans-teardown" if teardown else "plans")
        out: dict[str, Any] = {}
        if "h3c" in ends:
            out["h3c"] = (render.render_teardown(self.profile) if teardown
                          else render.render_apply(self.profile, self._psk()))
        if "alibaba" in ends:
            out["alibaba"] = (translate.plan_teardown(self.profile, alibaba_manifest(self.profile), nonce=NONCE)
                              if teardown else translate.plan_apply(self.profile, self._psk(), nonce=NONCE))
        return Plans("teardown" if teardown else "apply", out)

    async def apply(self, ends: tuple[str, ...] = ("h3c", "alibaba")) -> OperationResult:
        self.calls.append("apply")
        return OperationResult("apply")

    async def teardown(self, ends: tuple[str, ...] = ("h3c", "alibaba")) -> OperationResult:
        self.calls.append("teardown")
        return OperationResult("teardown")

    async def renegotiate(self) -> OperationResult:
        self.calls.append("renegotiate")
        return OperationResult("renegotiate")


# -- a probe with one failure and its explanation ------------------------------------------------------

def probe_plan(profile: Any) -> list[Check]:
    api = profile.probe.openstack_api
    host = api.split("//", 1)[-1].split("/", 1)[0].split(":")[0]
    return [Check("api", JUMP_HOST, host, 5000, url=api, order=0),
            Check("tcp", JUMP_HOST, "192.168.0.100", 22, order=1),
            Check("icmp", JUMP_HOST, "192.168.0.100", order=2),
            Check("tcp", JUMP_HOST, "192.168.0.101", 22, order=3),
            Check("icmp", JUMP_HOST, "192.168.0.101", order=4),
            Check("router-ping", H3C, "172.16.0.10", order=5)]


def probe_results(plan: list[Check]) -> list[Check]:
    api, tcp100, icmp100, tcp101, icmp101, ping = plan
    r = dataclasses.replace
    return [
        r(api, status="ok", ok=True, latency_ms=41.7, http_status=300, tls_verified=True,
          detail="HTTP 300 · Keystone v3.14"),
        r(tcp100, status="ok", ok=True, latency_ms=3.2, banner="SSH-2.0-OpenSSH_9.6", detail="SSH-2.0-OpenSSH_9.6"),
        r(icmp100, status="ok", ok=True, latency_ms=2.9, sent=3, received=3, detail="3 of 3 echo replies"),
        r(tcp101, status="timeout", ok=False, latency_ms=None, detail="no answer within 2.0 s",
          reasons=["192.168.0.101 answers ping but not TCP 22: a security group or host firewall drops it",
                   "the tunnel itself carries traffic (192.168.0.100:22 from the same vantage answered)"]),
        r(icmp101, status="ok", ok=True, latency_ms=3.4, sent=3, received=3, detail="3 of 3 echo replies"),
        r(ping, status="ok", ok=True, latency_ms=7.8, sent=5, received=5,
          detail="5 of 5 echo replies (ping -a 192.168.0.1)"),
    ]


def probe_report(profile: Any, results: list[Check]) -> ProbeReport:
    return ProbeReport(profile=profile.name, checks=list(results),
                       warnings=["192.168.0.102-192.168.0.120 not probed: the profile's range was cut to 2 "
                                 "addresses for this run"],
                       started_at=READ_AT, duration_s=2.13, timeout_s=2.0, icmp_method="unprivileged ICMP socket")
