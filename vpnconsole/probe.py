"""The probe: does what the tunnel exists for actually work?

From the jump host (vantage ``jump-host``) it checks, concurrently and within about one
``probe.timeout_s``:

* the **OpenStack API** (``probe.openstack_api``, plus any extra service URLs — Nova, Neutron,
  Glance — passed as ``extra_apis``): one ``GET``, its HTTP status, latency and the API versions
  it offers (``{"versions": {"values": [...]}}``, ``{"versions": [...]}`` or ``{"version": {...}}``);
  ``300 Multiple Choices`` is success (Keystone's and Glance's version roots answer with it), so
  are ``401``/``403`` (the service answered; it wants a token). TLS is verified against the system
  CAs, a CA bundle (``verify_tls: /path/ca.pem``), or not at all (``verify_tls: false``, reported
  as a warning). A refused certificate says why ("self-signed certificate in certificate chain").
* every **floating IP** (addresses and ``a-b`` ranges): a TCP connect to each of
  ``probe.tcp_ports``, and an ICMP echo unless ``probe.icmp`` is false. On an SSH port the probe
  waits for the server's banner: a connection that is accepted but never says anything is
  ``no-answer`` — a broken tunnel path (and the embedded lab's BLACKHOLE) looks exactly like that.
  On an HTTP port it sends ``HEAD /`` and waits for a status line. Elsewhere a connect that is not
  reset right away counts as open. A reset at or right after the connect counts as refused.

From the H3C (vantage ``h3c``), through a :class:`RouterPinger` the engine provides over its SSH
session: ``ping -a <onprem.lan_address> -c 5 <target>`` to each ``probe.cloud_targets``; one reply
of five passes (the first echo usually dies while IKE negotiates), a total loss is retried once.

Each failing check gets reasons: what the probe itself can see (the TLS problem, timeout vs
refused, a target outside ``onprem.subnets``) and what an :class:`Explainer` knows from the live
state of both ends (the engine's; against the embedded lab ``LabNegotiation``).

Results stream (``emit`` callback of :class:`~vpnconsole.endstate.Event`, or ``async for`` over
:class:`ProbeRun`) and end in a :class:`ProbeReport`: ``ok`` is true when every check the profile
lists passed (a skipped check, e.g. ICMP that this process may not send, is not a failure but
leaves a warning). :func:`probe_exit_code` gives 5 for a failed probe (DESIGN.md exit codes).

JSON (``ProbeReport.to_json()``), schema version 1
--------------------------------------------------
An object::

    schema_version  1
    profile         lab name
    ok              true when no check failed
    started_at      ISO 8601 UTC
    duration_s      wall time of the probe
    timeout_s       the per-check timeout used
    icmp_method     raw | dgram | ping | injected | none (not possible) | off (profile icmp: false)
    warnings        [text]  (ICMP not possible, TLS not verified, no router session, …)
    summary         {"total": n, "passed": n, "failed": n, "skipped": n}
    checks          [check], in profile order (API, floating IPs in address order with their
                    ports then ICMP, cloud targets)

and every check has every key (``null`` where it does not apply)::

    kind        api | tcp | icmp | router-ping
    vantage     jump-host | h3c
    target      the address (for api: the URL's host)
    port        TCP port, or null (icmp, router-ping)
    url         the URL (api), else null
    status      ok | refused | timeout | no-answer | unreachable | closed | tls-error | http-error |
                error | skipped
    ok          true | false | null (skipped)
    latency_ms  connect (tcp), time to the response headers (api), round trip (icmp), or null
    detail      one line: what was observed
    reasons     [text]: why it failed, most specific first (empty when ok)
    http_status the HTTP status (api), else null
    versions    [{"id", "status", "min_version", "max_version"}] (api), else null
    banner      the SSH banner / HTTP status line received (tcp), else null
    tls_verified true | false (https), else null
    sent, received   echo requests sent and replies received (router-ping, icmp), else null

Statuses: ``timeout`` — the TCP connect itself got no answer; ``no-answer`` — connected, then
silence (no banner, no TLS handshake, no HTTP response) within the timeout; ``refused`` — RST
answering the SYN or right after the connect; ``closed`` — the server closed without the expected
greeting; ``unreachable`` — ICMP/host unreachable or no echo reply.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as _dt
import errno
import inspect
import ipaddress
import json
import logging
import os
import re
import socket
import ssl
import time
from dataclasses import dataclass, field
from typing import Any, AsyncIterator, Awaitable, Callable, Iterable, Mapping, Optional, Protocol, Sequence, Union
from urllib.parse import urlsplit

from vpnconsole import icmp as icmp_mod
from vpnconsole.diagnose import End
from vpnconsole.endstate import Event, EventSink

__all__ = [
    "DEFAULT_PORT_PROTOCOLS",
    "H3C",
    "JUMP_HOST",
    "SCHEMA_VERSION",
    "Check",
    "CliRouterPinger",
    "Explainer",
    "PingStats",
    "ProbeReport",
    "ProbeRun",
    "RouterPinger",
    "StatusExplainer",
    "explain_from_status",
    "parse_comware_ping",
    "parse_versions",
    "probe_exit_code",
    "render_table",
    "run_probe",
]

log = logging.getLogger("vpnconsole.probe")

SCHEMA_VERSION = 1
JUMP_HOST, H3C = "jump-host", "h3c"
EXIT_OK, EXIT_PROBE_FAILED = 0, 5
DEFAULT_CONCURRENCY = 256
LAUNCH_BATCH = 16
ROUTER_PING_COUNT = 5
#: What the probe expects a port to do: ``ssh`` (banner), ``http`` (answers ``HEAD /``), ``tcp``
#: (a connect that is not reset is enough). Ports not listed are ``tcp``.
DEFAULT_PORT_PROTOCOLS: dict[int, str] = {22: "ssh", 2222: "ssh", 80: "http", 8080: "http"}
NO_LAN_ADDRESS = ("onprem.lan_address is not set: the cloud targets are pinged from the H3C with "
                  "`ping -a <LAN address>` (a source inside the tunnel's selectors), so they were skipped; "
                  "set onprem.lan_address to the router's LAN address")
_MAX_HEADER = 64 * 1024
_MAX_BODY = 1024 * 1024

IcmpFn = Callable[[str, float], Union[Awaitable[Optional[bool]], Optional[bool]]]


# --- interfaces the engine (or the lab) implements -------------------------------------------------

class Explainer(Protocol):
    """Why ``target_ip`` (port ``port``, ``None`` for ICMP) is not reachable through the tunnel,
    from the live state of both ends (tunnel phase down, no VPC route, no H3C route, outside the
    selectors…), or ``None`` when it has nothing to say (a list of lines is fine too, most specific
    first). May be sync or async; a sync one is run in a thread (it may take locks).

    Optional: ``explain_router(target_ip)`` — why the H3C's own ping to a cloud target fails (asked
    only when the explainer has it); ``explain_timeout`` — seconds an answer may take (default
    ``max(1, timeout)``; an explainer that reads both live ends needs longer)."""

    def explain(self, target_ip: str, port: Optional[int]) -> Optional[str]: ...


class RouterPinger(Protocol):
    """Pings from the H3C: ``ping -a SOURCE -c COUNT -t TIMEOUT_MS TARGET`` → (sent, received).
    ``timeout`` is per echo, in seconds. Raise on a failure to run the command at all."""

    async def ping(self, source: Optional[str], target: str, count: int, timeout: float) -> tuple[int, int]: ...


@dataclass(frozen=True)
class PingStats:
    sent: int
    received: int
    rtt_min_ms: Optional[float] = None
    rtt_avg_ms: Optional[float] = None
    rtt_max_ms: Optional[float] = None


_STATS_ONE_LINE = re.compile(r"(\d+)\s+packet\(s\)\s+transmitted,\s*(\d+)\s+packet\(s\)\s+received", re.I)
_STATS_SENT = re.compile(r"^\s*(\d+)\s+packet\(s\)\s+transmitted\s*$", re.I | re.M)
_STATS_RECEIVED = re.compile(r"^\s*(\d+)\s+packet\(s\)\s+received\s*$", re.I | re.M)
_RTT = re.compile(r"round-trip\s+min/avg/max(?:/std-dev)?\s*=\s*([\d.]+)/([\d.]+)/([\d.]+)", re.I)
_REPLY = re.compile(r"^\s*(?:\d+ bytes from \S+?:|Reply from \S+?:)", re.I | re.M)


def parse_comware_ping(text: str) -> Optional[PingStats]:
    """The statistics of a Comware ``ping`` (V7 one-line and V5 multi-line forms, reference §5.10).

    ``None`` when the output has no statistics (an error message such as "Failed to resolve").
    When the statistics are cut off, the reply lines are counted instead (sent unknown → None).
    """
    sent = received = None
    m = _STATS_ONE_LINE.search(text)
    if m:
        sent, received = int(m.group(1)), int(m.group(2))
    else:
        s, r = _STATS_SENT.search(text), _STATS_RECEIVED.search(text)
        if s and r:
            sent, received = int(s.group(1)), int(r.group(1))
    if sent is None or received is None:
        return None
    rtt = _RTT.search(text)
    if rtt:
        lo, avg, hi = (float(x) for x in rtt.groups())
        return PingStats(sent, received, lo, avg, hi)
    return PingStats(sent, received)


class CliRouterPinger:
    """A :class:`RouterPinger` over any "send one command, get its output" function — the engine's
    SSH session (``send`` may be sync, it then runs in a thread, or async).

    ``CliRouterPinger(lambda cmd: router.cli(cmd))`` drives the lab's simulated H3C.
    """

    def __init__(self, send: Callable[[str], Union[str, Awaitable[str]]]) -> None:
        self._send = send

    @staticmethod
    def command(source: Optional[str], target: str, count: int, timeout: float) -> str:
        parts = ["ping"]
        if source:
            parts += ["-a", source]
        parts += ["-c", str(count), "-t", str(max(1, int(round(timeout * 1000)))), target]
        return " ".join(parts)

    async def ping(self, source: Optional[str], target: str, count: int, timeout: float) -> tuple[int, int]:
        out = await _call(self._send, self.command(source, target, count, timeout))
        stats = parse_comware_ping(out)
        if stats is None:
            first = next((ln.strip() for ln in out.splitlines() if ln.strip() and not ln.strip().startswith("<")), "")
            raise RuntimeError(f"the router printed no ping statistics: {first[:120] or '(nothing)'}")
        return stats.sent, stats.received


class StatusExplainer:
    """An :class:`Explainer` from the engine's live status of both ends.

    ``status`` is an async callable returning a status report (``Engine.status``: ``.verdict`` with
    ``code``/``summary``/``problems``, ``.h3c``/``.alibaba`` end states).  It is called at most ONCE,
    on the first question, i.e. only when some check failed; every answer of the run comes from that
    one report.  The answers, most specific first:

    * the tunnel is not carrying traffic: "tunnel phase 1 down because PSK mismatch…", the ends
      configured differently, not configured, an end unreachable (the verdict's summary);
    * the target is outside the tunnel selectors an end is configured with;
    * a missing or wrong route on the path there and back ("no VPC route for 192.168.0.0/24…",
      "H3C has no route to 172.16.0.0/16");
    * when none of that: the status says the tunnel is up and routed, so look at the target.
    """

    explain_timeout = 60.0  # reading both ends: an SSH session and a few API calls

    def __init__(self, status: Callable[[], Awaitable[Any]], profile: Any) -> None:
        self._status = status
        self.profile = profile
        self._fut: Optional[asyncio.Future[Any]] = None
        self.error: Optional[str] = None
        self.calls = 0  # how many times the status was read (0 or 1)

    @property
    def asked(self) -> bool:
        return self._fut is not None

    async def report(self) -> Any:
        if self._fut is None:
            self._fut = asyncio.ensure_future(self._read())
        return await asyncio.shield(self._fut)

    @property
    def status_report(self) -> Any:
        """The status report once it has been read (else ``None``)."""
        if self._fut is None or not self._fut.done() or self._fut.cancelled():
            return None
        return self._fut.result()

    async def _read(self) -> Any:
        self.calls += 1
        try:
            return await self._status()
        except Exception as exc:  # no explanation is better than no probe result
            self.error = str(exc) or type(exc).__name__
            log.debug("status for the probe's explanations failed: %r", exc)
            return None

    async def explain(self, target_ip: str, port: Optional[int] = None) -> list[str]:
        report = await self.report()
        if report is None:
            return [f"the live state of the ends could not be read: {self.error}"] if self.error else []
        return explain_from_status(report, self.profile, target_ip, vantage=JUMP_HOST)

    async def explain_router(self, target_ip: str) -> list[str]:
        report = await self.report()
        if report is None:
            return [f"the live state of the ends could not be read: {self.error}"] if self.error else []
        return explain_from_status(report, self.profile, target_ip, vantage=H3C)


def _net_of(address: str, subnets: Iterable[Any]) -> Optional[str]:
    try:
        addr = ipaddress.IPv4Address(address)
    except ValueError:
        return None
    for n in _networks(subnets):
        if addr in n:
            return str(n)
    return None


def explain_from_status(report: Any, profile: Any, target: str, *, vantage: str = JUMP_HOST) -> list[str]:
    """Why ``target`` fails, from one status report (see :class:`StatusExplainer`). Pure.

    ``vantage`` jump-host: ``target`` is on-prem (reached from the cloud side); h3c: ``target`` is a
    cloud address pinged from the router's LAN address."""
    verdict = report.verdict
    code = getattr(verdict, "code", "")
    summary = getattr(verdict, "summary", "") or ""
    problems = [str(p) for p in getattr(verdict, "problems", ()) or ()]
    out: list[str] = []
    if code in ("end-unreachable", "not-configured"):
        return [f"the tunnel cannot be up: {summary}"]
    if code == "configured-differently":
        out.append(f"tunnel down: {summary}")
    elif code in ("phase1-down", "phase2-down"):
        head, sep, why = summary.partition(": ")
        out.append(f"tunnel {head} because {why}" if sep and why else f"tunnel {summary}")

    onprem_subnets = list(getattr(profile.onprem, "subnets", []) or [])
    cloud_subnets = list(getattr(profile.cloud, "subnets", []) or [])
    lan = getattr(profile.onprem, "lan_address", None)
    if vantage == JUMP_HOST:
        onprem_addr, cloud_addr = target, None
    else:
        onprem_addr, cloud_addr = lan, target

    # The selectors each end is live-configured with (the tunnel carries only what they match).
    for state, name in ((getattr(report, "h3c", None), "H3C"), (getattr(report, "alibaba", None), "Alibaba")):
        params = getattr(state, "params", None)
        if params is None:
            continue
        for addr, nets, side in ((onprem_addr, params.onprem_subnets, "on-prem"),
                                 (cloud_addr, params.cloud_subnets, "cloud")):
            if addr and nets and _net_of(addr, nets) is None:
                out.append(f"{addr} is outside the tunnel selectors: {name}'s {side} side is "
                           f"{', '.join(map(str, nets))}")

    # Routes on the way there and back.
    onprem_net = _net_of(onprem_addr, onprem_subnets) if onprem_addr else None
    cloud_net = _net_of(cloud_addr, cloud_subnets) if cloud_addr else None
    for p in problems:
        vpc = p.startswith(("no VPC route for ", "VPC route for "))
        h3c = p.startswith(("H3C has no route to ", "H3C routes "))
        if vpc and (onprem_net is None or f" {onprem_net}" in p):
            out.append(p)
        elif h3c and (cloud_net is None or f" {cloud_net}" in p):
            out.append(p)
    if not out and getattr(verdict, "up", False):
        out.append(f"the live status says the tunnel is up and routed ({summary}): look at {target} itself, "
                   "its security group or a firewall on the way")
    return list(dict.fromkeys(out))


async def _call(fn: Callable[..., Any], *args: Any) -> Any:
    """Call a sync-or-async function without blocking the loop: coroutine functions are awaited,
    plain functions run in a worker thread."""
    if inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(getattr(fn, "__call__", None)):
        return await fn(*args)
    result = await asyncio.to_thread(fn, *args)
    if inspect.isawaitable(result):
        return await result
    return result


# --- results ---------------------------------------------------------------------------------------

@dataclass
class Check:
    """One probe of one target from one vantage point (see the module docstring for the fields)."""

    kind: str  # api | tcp | icmp | router-ping
    vantage: str
    target: str
    port: Optional[int] = None
    url: Optional[str] = None
    status: str = "skipped"
    ok: Optional[bool] = None
    latency_ms: Optional[float] = None
    detail: str = ""
    reasons: list[str] = field(default_factory=list)
    http_status: Optional[int] = None
    versions: Optional[list[dict[str, Any]]] = None
    banner: Optional[str] = None
    tls_verified: Optional[bool] = None
    sent: Optional[int] = None
    received: Optional[int] = None
    order: int = field(default=0, repr=False, compare=False)

    @property
    def label(self) -> str:
        if self.kind == "api":
            return self.url or self.target
        if self.port is not None:
            return f"{self.target}:{self.port}"
        return self.target

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d.pop("order")
        if d["latency_ms"] is not None:
            d["latency_ms"] = round(d["latency_ms"], 3)
        return d

    def line(self) -> str:
        """One line for people (events, logs)."""
        text = f"{self.vantage} {self.kind} {self.label}: {self.status}"
        if self.detail:
            text += f" — {self.detail}"
        if self.reasons and not self.ok:
            text += f" ({'; '.join(self.reasons)})"
        return text


@dataclass
class ProbeReport:
    profile: str
    checks: list[Check]
    warnings: list[str]
    started_at: float
    duration_s: float
    timeout_s: float
    icmp_method: str

    @property
    def failed(self) -> list[Check]:
        return [c for c in self.checks if c.ok is False]

    @property
    def ok(self) -> bool:
        return not self.failed

    def summary(self) -> dict[str, int]:
        return {"total": len(self.checks), "passed": sum(c.ok is True for c in self.checks),
                "failed": sum(c.ok is False for c in self.checks), "skipped": sum(c.ok is None for c in self.checks)}

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "profile": self.profile,
            "ok": self.ok,
            "started_at": _dt.datetime.fromtimestamp(self.started_at, _dt.timezone.utc).isoformat().replace("+00:00", "Z"),
            "duration_s": round(self.duration_s, 3),
            "timeout_s": self.timeout_s,
            "icmp_method": self.icmp_method,
            "warnings": list(self.warnings),
            "summary": self.summary(),
            "checks": [c.to_dict() for c in self.checks],
        }

    def to_json(self, indent: Optional[int] = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)


def probe_exit_code(report: ProbeReport) -> int:
    """0 when everything the profile lists passed, 5 (probe failed) otherwise."""
    return EXIT_OK if report.ok else EXIT_PROBE_FAILED


# --- version documents -----------------------------------------------------------------------------

def parse_versions(doc: Any) -> Optional[list[dict[str, Any]]]:
    """API versions from an OpenStack version document, or ``None`` when it is not one.

    Accepts Keystone's ``{"versions": {"values": [...]}}``, the plain list form
    ``{"versions": [...]}`` (Nova, Neutron, Glance) and a single ``{"version": {...}}``.
    """
    if not isinstance(doc, dict):
        return None
    raw: Any
    if "versions" in doc:
        raw = doc["versions"]
        if isinstance(raw, dict):
            raw = raw.get("values")
    elif "version" in doc:
        raw = [doc["version"]]
    else:
        return None
    if not isinstance(raw, list):
        return None
    out = []
    for v in raw:
        if not isinstance(v, dict) or not isinstance(v.get("id"), str):
            continue
        out.append({"id": v["id"], "status": v.get("status"),
                    "min_version": v.get("min_version") or None, "max_version": v.get("version") or None})
    return out


def _versions_text(versions: Sequence[Mapping[str, Any]]) -> str:
    parts = []
    for v in versions:
        text = v["id"]
        if v.get("status"):
            text += f" ({str(v['status']).lower()})"
        if v.get("max_version"):
            text += f" microversions {v.get('min_version') or '?'}–{v['max_version']}"
        parts.append(text)
    return ", ".join(parts)


# --- HTTP(S) ---------------------------------------------------------------------------------------

class _Stage(Exception):
    """A failed probe step: ``status`` and a line for people (plus reasons the probe can see)."""

    def __init__(self, status: str, detail: str, reasons: Sequence[str] = ()) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.reasons = list(reasons)


def _tls_context(verify: Union[bool, str]) -> ssl.SSLContext:
    if verify is False:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        return ctx
    if isinstance(verify, str):
        path = os.path.expanduser(verify)
        try:
            return ssl.create_default_context(cafile=path)
        except FileNotFoundError:
            raise _Stage("error", f"CA bundle {verify!r} does not exist") from None
        except (ssl.SSLError, OSError) as exc:
            raise _Stage("error", f"CA bundle {verify!r} cannot be loaded: {exc}") from None
    return ssl.create_default_context()


def _tls_problem(exc: ssl.SSLError, verify: Union[bool, str]) -> _Stage:
    if isinstance(exc, ssl.SSLCertVerificationError):
        why = exc.verify_message or exc.reason or str(exc)
        trusted = f"the CA bundle {verify}" if isinstance(verify, str) else "the system CAs"
        hint = ("set probe.verify_tls to the CA bundle that signed it (a PEM path), or false to skip "
                "verification" if not isinstance(verify, str) else
                "is this the CA that signed the server's certificate?")
        return _Stage("tls-error", f"TLS certificate refused: {why} (checked against {trusted})", [hint])
    return _Stage("tls-error", f"TLS handshake failed: {exc.reason or exc}")


@dataclass
class _Response:
    status: int
    reason: str
    headers: dict[str, str]
    body: bytes
    header_ms: float


async def _read_response(reader: asyncio.StreamReader, deadline: float, loop: asyncio.AbstractEventLoop,
                         t0: float, what: str) -> _Response:
    def left() -> float:
        return max(0.0, deadline - loop.time())

    try:
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), left())
    except asyncio.TimeoutError:
        raise _Stage("no-answer", f"connected{what}, but no HTTP response within the timeout") from None
    except asyncio.IncompleteReadError as exc:
        if not exc.partial:
            raise _Stage("closed", f"the server closed the connection{what} without an HTTP response") from None
        raise _Stage("error", "the HTTP response was cut off in its headers") from None
    except asyncio.LimitOverrunError:
        raise _Stage("error", "the HTTP response headers are too long") from None
    header_ms = (loop.time() - t0) * 1000
    lines = head.decode("iso-8859-1").split("\r\n")
    m = re.match(r"HTTP/\d(?:\.\d)?\s+(\d{3})\s*(.*)", lines[0])
    if not m:
        raise _Stage("error", f"not an HTTP response: {lines[0][:80]!r}")
    headers: dict[str, str] = {}
    for ln in lines[1:]:
        if ":" in ln:
            k, _, v = ln.partition(":")
            headers[k.strip().lower()] = v.strip()
    body = b""
    try:
        if headers.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            size_total = 0
            while True:
                size_line = await asyncio.wait_for(reader.readline(), left())
                size = int(size_line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    break
                chunk = await asyncio.wait_for(reader.readexactly(size + 2), left())
                chunks.append(chunk[:-2])
                size_total += size
                if size_total > _MAX_BODY:
                    break
            body = b"".join(chunks)
        elif "content-length" in headers:
            n = min(int(headers["content-length"]), _MAX_BODY)
            body = await asyncio.wait_for(reader.readexactly(n), left())
        else:
            body = await asyncio.wait_for(reader.read(_MAX_BODY), left())
    except asyncio.TimeoutError:
        raise _Stage("no-answer", "the HTTP response body did not arrive within the timeout") from None
    except (asyncio.IncompleteReadError, ValueError):
        pass  # keep what arrived; the status line is what matters
    return _Response(int(m.group(1)), m.group(2), headers, body, header_ms)


async def _http_get(url: str, verify: Union[bool, str], timeout: float) -> tuple[_Response, Optional[bool]]:
    """One ``GET url`` (HTTP/1.1, ``Connection: close``) with every stage under one deadline."""
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    deadline = t0 + timeout
    parts = urlsplit(url)
    host = parts.hostname or ""
    https = parts.scheme == "https"
    port = parts.port or (443 if https else 80)
    ctx = _tls_context(verify) if https else None

    def left() -> float:
        return max(0.0, deadline - loop.time())

    writer: Optional[asyncio.StreamWriter] = None
    try:
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port, limit=_MAX_HEADER), left())
        except asyncio.TimeoutError:
            raise _Stage("timeout", f"no answer to the TCP connect within {timeout:g} s") from None
        except ConnectionRefusedError:
            raise _Stage("refused", "connection refused") from None
        except ConnectionResetError:
            raise _Stage("refused", "connection reset right after connecting (≈ refused)") from None
        except OSError as exc:
            raise _os_error_stage(exc) from None
        what = ""
        if ctx is not None:
            try:
                await asyncio.wait_for(writer.start_tls(ctx, server_hostname=host), left())
            except asyncio.TimeoutError:
                raise _Stage("no-answer", f"TCP connected, but no TLS handshake within {timeout:g} s") from None
            except ssl.SSLError as exc:
                raise _tls_problem(exc, verify) from None
            except (ConnectionResetError, BrokenPipeError):
                raise _Stage("refused", "connection reset during the TLS handshake (≈ refused)") from None
            what = " (TLS ok)"
        hostport = host if parts.port is None else f"{host}:{port}"
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        request = (f"GET {path} HTTP/1.1\r\nHost: {hostport}\r\nAccept: application/json\r\n"
                   "User-Agent: vpnconsole-probe\r\nConnection: close\r\n\r\n")
        try:
            writer.write(request.encode("ascii", "replace"))
            await asyncio.wait_for(writer.drain(), left())
            response = await _read_response(reader, deadline, loop, t0, what)
        except (ConnectionResetError, BrokenPipeError):
            raise _Stage("refused", f"connection reset{what} before an HTTP response (≈ refused)") from None
        except asyncio.TimeoutError:
            raise _Stage("no-answer", "the request could not be sent within the timeout") from None
        return response, (verify is not False) if https else None
    finally:
        if writer is not None:
            writer.transport.abort()


def _os_error_stage(exc: OSError) -> _Stage:
    if exc.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH):
        return _Stage("unreachable", f"no route: {exc.strerror}")
    if isinstance(exc, socket.gaierror):
        return _Stage("error", f"the host name does not resolve on this machine: {exc.strerror or exc}")
    return _Stage("error", f"{exc.strerror or exc}")


# --- the individual checks -------------------------------------------------------------------------

async def _check_api(check: Check, verify: Union[bool, str], timeout: float) -> None:
    assert check.url
    try:
        resp, verified = await _http_get(check.url, verify, timeout)
    except _Stage as st:
        check.status, check.ok, check.detail = st.status, False, st.detail
        check.reasons.extend(st.reasons)
        if check.url.startswith("https:"):
            check.tls_verified = False if st.status == "tls-error" else None
        return
    check.http_status = resp.status
    check.latency_ms = resp.header_ms
    check.tls_verified = verified
    versions = None
    if "json" in resp.headers.get("content-type", "") or resp.body[:1] in (b"{", b"["):
        try:
            versions = parse_versions(json.loads(resp.body.decode("utf-8")))
        except (UnicodeDecodeError, json.JSONDecodeError):
            versions = None
    check.versions = versions
    path = urlsplit(check.url).path
    if 200 <= resp.status < 300 or (resp.status == 300 and (versions is not None or path in ("", "/"))):
        check.status, check.ok = "ok", True
        check.detail = f"HTTP {resp.status}" + (f", versions {_versions_text(versions)}" if versions else "")
    elif resp.status in (401, 403):
        check.status, check.ok = "ok", True
        check.detail = f"HTTP {resp.status}: the API answered and wants a token"
    else:
        check.status, check.ok = "http-error", False
        check.detail = f"HTTP {resp.status} {resp.reason}".strip()
        if 300 <= resp.status < 400 and "location" in resp.headers:
            check.detail += f" → {resp.headers['location']}"


async def _check_tcp(check: Check, protocol: str, timeout: float) -> None:
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    deadline = t0 + timeout
    assert check.port is not None
    writer: Optional[asyncio.StreamWriter] = None
    try:
        try:
            async with asyncio.timeout(timeout):
                reader, writer = await asyncio.open_connection(check.target, check.port)
        except asyncio.TimeoutError:
            raise _Stage("timeout", f"no answer to the TCP connect within {timeout:g} s") from None
        except ConnectionRefusedError:
            raise _Stage("refused", "connection refused") from None
        except ConnectionResetError:
            raise _Stage("refused", "connection reset right after connecting (≈ refused)") from None
        except OSError as exc:
            raise _os_error_stage(exc) from None
        check.latency_ms = (loop.time() - t0) * 1000
        left = max(0.0, deadline - loop.time())
        try:
            if protocol == "ssh":
                try:
                    async with asyncio.timeout(left):
                        line = await reader.readline()
                except TimeoutError:
                    raise _Stage("no-answer", f"TCP connected, but no SSH banner within {timeout:g} s") from None
                if not line:
                    raise _Stage("closed", "the server closed the connection without an SSH banner")
                text = line.decode("utf-8", "replace").strip()
                check.banner = text[:200]
                check.detail = text[:200] if text.startswith("SSH-") else f"answered, but not SSH: {text[:80]!r}"
            elif protocol == "http":
                writer.write(f"HEAD / HTTP/1.0\r\nHost: {check.target}\r\nUser-Agent: vpnconsole-probe\r\n\r\n".encode())
                try:
                    line = await asyncio.wait_for(reader.readline(), left)
                except asyncio.TimeoutError:
                    raise _Stage("no-answer", f"TCP connected, but no HTTP answer within {timeout:g} s") from None
                if not line:
                    raise _Stage("closed", "the server closed the connection without an HTTP answer")
                text = line.decode("iso-8859-1").strip()
                check.banner = text[:200]
                check.detail = text[:200]
            else:
                # A reset right after the accept is a refusal in disguise; give it a moment to arrive.
                settle = min(left, max(0.02, min(0.1, timeout / 10)))
                try:
                    data = await asyncio.wait_for(reader.read(256), settle)
                    check.detail = "open" + (" (closed by the server)" if not data else "")
                except asyncio.TimeoutError:
                    check.detail = "open"
        except (ConnectionResetError, BrokenPipeError):
            raise _Stage("refused", "connection reset right after connecting (≈ refused)") from None
        check.status, check.ok = "ok", True
    except _Stage as st:
        check.status, check.ok, check.detail = st.status, False, st.detail
        check.reasons.extend(st.reasons)
    finally:
        if writer is not None:
            writer.transport.abort()


async def _check_icmp(check: Check, fn: IcmpFn, timeout: float) -> None:
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    try:
        async with asyncio.timeout(timeout + 3.0):
            answered = await _call_icmp(fn, check.target, timeout)
    except TimeoutError:
        answered = False
    except Exception as exc:  # one line, never a traceback
        check.status, check.ok, check.detail = "error", None, f"ICMP echo could not be sent: {exc}"
        return
    check.sent = 1
    if answered is None:
        check.status, check.ok, check.detail = "error", None, "ICMP echo could not be sent"
        return
    check.received = 1 if answered else 0
    if answered:
        check.status, check.ok = "ok", True
        check.latency_ms = (loop.time() - t0) * 1000
        check.detail = "echo reply"
    else:
        check.status, check.ok = "unreachable", False
        check.detail = f"no echo reply within {timeout:g} s"


async def _call_icmp(fn: IcmpFn, address: str, timeout: float) -> Optional[bool]:
    if inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(getattr(fn, "__call__", None)):
        return await fn(address, timeout)  # type: ignore[misc]
    return await _call(fn, address, timeout)


async def _check_router(check: Check, router: RouterPinger, source: Optional[str], count: int,
                        timeout: float) -> None:
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    budget = count * timeout + 10.0
    sent = received = 0
    try:
        for _attempt in range(2):  # total loss: once more (the first echoes die while IKE negotiates)
            s, r = await asyncio.wait_for(router.ping(source, check.target, count, timeout), budget)
            sent, received = sent + s, received + r
            if r:
                break
    except asyncio.TimeoutError:
        check.status, check.ok = "error", False
        check.detail = f"the router's ping did not finish within {budget:g} s"
        return
    except Exception as exc:
        check.status, check.ok = "error", False
        check.detail = f"could not ping from the H3C: {exc}"
        return
    check.sent, check.received = sent, received
    check.latency_ms = (loop.time() - t0) * 1000
    src = f" from {source}" if source else ""
    if received:
        check.status, check.ok = "ok", True
        check.detail = f"{received} of {sent} echoes answered{src}"
    else:
        check.status, check.ok = "unreachable", False
        check.detail = f"0 of {sent} echoes answered{src}"


# --- the run ---------------------------------------------------------------------------------------

def _fd_bound(want: int) -> int:
    """At most ``want`` sockets at once, fewer when the open-file limit is tight."""
    try:
        import resource

        soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft == resource.RLIM_INFINITY:
            return want
        used = len(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else 64
        return max(8, min(want, (soft - used - 32) // 2))
    except (ImportError, OSError, ValueError):
        return want


class ProbeRun:
    """One probe of a profile. ``async for check in run`` yields checks as they finish; afterwards
    :attr:`report` holds the :class:`ProbeReport`. :func:`run_probe` is the one-call form."""

    def __init__(self, profile: Any, *, explainer: Optional[Explainer] = None, router: Optional[RouterPinger] = None,
                 icmp: Union[IcmpFn, str, None] = None, emit: Optional[EventSink] = None,
                 extra_apis: Sequence[str] = (), port_protocols: Optional[Mapping[int, str]] = None,
                 concurrency: int = DEFAULT_CONCURRENCY, router_count: int = ROUTER_PING_COUNT,
                 timeout: Optional[float] = None) -> None:
        self.profile = profile
        self.probe = profile.probe
        self.explainer = explainer
        self.router = router
        self.icmp = icmp
        self.emit = emit
        apis = [*(getattr(self.probe, "api_endpoints", None) or []), *extra_apis]
        self.extra_apis = [u for u in dict.fromkeys(apis) if u != self.probe.openstack_api]
        # What a port speaks: the defaults, then what the profile says ("2222/ssh"), then the caller.
        self.port_protocols = {**DEFAULT_PORT_PROTOCOLS, **(getattr(self.probe, "port_protocols", None) or {}),
                               **(port_protocols or {})}
        self.concurrency = max(1, concurrency)
        self.router_count = router_count
        self.timeout = float(timeout if timeout is not None else self.probe.timeout_s)
        self.warnings: list[str] = []
        self.checks: list[Check] = []
        self.report: Optional[ProbeReport] = None
        self.icmp_method = "off"
        self._explained: dict[tuple[str, str, Optional[int]], asyncio.Future[list[str]]] = {}
        self._onprem_nets = _networks(getattr(profile.onprem, "subnets", []))
        self._t0 = 0.0

    # -- planning

    def plan(self) -> list[Check]:
        """Every check the profile lists, in report order (no network access)."""
        checks: list[Check] = []
        urls = ([self.probe.openstack_api] if self.probe.openstack_api else []) + self.extra_apis
        for url in urls:
            checks.append(Check("api", JUMP_HOST, urlsplit(url).hostname or url, _url_port(url), url=url))
        from vpnconsole.profile import expand_targets

        for addr in dict.fromkeys(str(a) for a in expand_targets(self.probe.floating_ips)):
            for port in self.probe.tcp_ports:
                checks.append(Check("tcp", JUMP_HOST, addr, int(port)))
            if self.probe.icmp:
                checks.append(Check("icmp", JUMP_HOST, addr))
        for target in self.probe.cloud_targets:
            checks.append(Check("router-ping", H3C, str(target)))
        for i, c in enumerate(checks):
            c.order = i
        return checks

    # -- running

    def _event(self, step: str, kind: str, message: str, data: Optional[dict] = None, end: End = End.PROFILE) -> None:
        if self.emit is None:
            return
        try:
            self.emit(Event(end, step, kind, message, time.monotonic() - self._t0, None, data or {}))
        except Exception:  # a broken listener must not break the probe
            log.exception("probe event listener failed")

    async def __aiter__(self) -> AsyncIterator[Check]:
        started = time.time()
        self._t0 = time.monotonic()
        self.checks = checks = self.plan()
        self._event("probe", "start", f"probing {len(checks)} checks (timeout {self.timeout:g} s)",
                    {"checks": len(checks)})
        icmp_fn, release = self._choose_icmp(any(c.kind == "icmp" for c in checks))
        if isinstance(self.probe.verify_tls, bool) and not self.probe.verify_tls and any(
                c.kind == "api" and (c.url or "").startswith("https:") for c in checks):
            self.warn("WARNING: TLS certificates of the OpenStack API are not verified (probe.verify_tls: false)")
        lan = getattr(self.profile.onprem, "lan_address", None)
        if any(c.kind == "router-ping" for c in checks):
            if not lan:
                self.warn(NO_LAN_ADDRESS)
            elif self.router is None and str(getattr(self.profile, "platform", "")).startswith("er"):
                self.warn("cloud targets are pinged from the H3C, and this one is a web-managed ER (no CLI to ping "
                          "from): skipped; the jump host's checks and Alibaba's tunnel state stand in")
            elif self.router is None:
                self.warn("cloud targets are pinged from the H3C, but no router session is available: skipped")
        sockets = asyncio.Semaphore(_fd_bound(self.concurrency))
        queue: asyncio.Queue[Check] = asyncio.Queue()

        async def one(check: Check) -> None:
            try:
                await self._run_check(check, sockets, icmp_fn, lan)
            except Exception as exc:  # pragma: no cover - a bug must still give a result
                log.exception("probe of %s failed", check.label)
                check.status, check.ok, check.detail = "error", False, f"internal error: {exc}"
            if check.ok is False:
                await self._explain(check)
            queue.put_nowait(check)

        tasks: list[asyncio.Future[None]] = []
        try:
            # Started in small batches so that the loop (a TUI, a ticker) gets a turn between them.
            for i in range(0, len(checks), LAUNCH_BATCH):
                tasks.extend(asyncio.ensure_future(one(c)) for c in checks[i:i + LAUNCH_BATCH])
                await asyncio.sleep(0)
            for _ in range(len(tasks)):
                check = await queue.get()
                if self.emit is not None:
                    self._event(f"probe-{check.kind}", "done" if check.ok else "error" if check.ok is False else "info",
                                check.line(), {"check": check.to_dict()}, End.H3C if check.vantage == H3C else End.PROFILE)
                yield check
        finally:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            release()
        self.report = ProbeReport(getattr(self.profile, "name", ""), checks, self.warnings, started,
                                  time.monotonic() - self._t0, self.timeout, self.icmp_method)
        s = self.report.summary()
        self._event("probe", "done" if self.report.ok else "error",
                    f"probe {'passed' if self.report.ok else 'FAILED'}: {s['passed']} passed, {s['failed']} failed, "
                    f"{s['skipped']} skipped in {self.report.duration_s:.2f} s", {"summary": s})

    def warn(self, text: str) -> None:
        if text not in self.warnings:
            self.warnings.append(text)
            self._event("probe", "info", text, {"warning": True})

    def _choose_icmp(self, needed: bool) -> tuple[Optional[IcmpFn], Callable[[], None]]:
        if not self.probe.icmp or not needed:
            self.icmp_method = "off"
            return None, lambda: None
        if callable(self.icmp):
            self.icmp_method = "injected"
            return self.icmp, lambda: None
        choice, release = icmp_mod.choose(self.icmp if isinstance(self.icmp, str) else None)
        self.icmp_method = choice.method
        if not choice.available:
            self.warn(choice.reason + " — TCP results are still reported")
        return choice.fn, release

    async def _run_check(self, check: Check, sockets: asyncio.Semaphore, icmp_fn: Optional[IcmpFn],
                         lan: Optional[str]) -> None:
        if check.kind == "api":
            async with sockets:
                await _check_api(check, self.probe.verify_tls, self.timeout)
        elif check.kind == "tcp":
            assert check.port is not None
            async with sockets:
                await _check_tcp(check, self.port_protocols.get(check.port, "tcp"), self.timeout)
        elif check.kind == "icmp":
            if icmp_fn is None:
                check.status, check.ok, check.detail = "skipped", None, "ICMP not possible"
                return
            async with sockets:
                await _check_icmp(check, icmp_fn, self.timeout)
        elif check.kind == "router-ping":
            if not lan:
                check.status, check.ok, check.detail = "skipped", None, "onprem.lan_address is not set"
                return
            if self.router is None:
                check.status, check.ok, check.detail = "skipped", None, "no router session"
                return
            await _check_router(check, self.router, lan, self.router_count, self.timeout)

    async def _explain(self, check: Check) -> None:
        # What the probe itself can see first: a target the tunnel would never carry.
        if check.vantage == JUMP_HOST and self._onprem_nets:
            try:
                addr = ipaddress.IPv4Address(check.target)
            except ValueError:
                addr = None
            if addr is not None and not any(addr in n for n in self._onprem_nets):
                nets = ", ".join(map(str, self._onprem_nets))
                check.reasons.insert(0, f"{addr} is outside onprem.subnets ({nets}): its traffic does not enter "
                                        "the tunnel")
        if self.explainer is None:
            return
        if check.vantage == JUMP_HOST:
            fn: Optional[Callable[..., Any]] = self.explainer.explain
            args: tuple[Any, ...] = (check.target, check.port)
        else:  # the H3C's own pings: only an explainer that knows that direction is asked
            fn = getattr(self.explainer, "explain_router", None)
            args = (check.target,)
        if fn is None:
            return
        key = (check.vantage, check.target, check.port)
        fut = self._explained.get(key)
        if fut is None:  # one question per target and port; concurrent askers share the answer
            fut = self._explained[key] = asyncio.ensure_future(self._ask_explainer(fn, *args))
        for reason in await asyncio.shield(fut):
            if reason not in check.reasons:
                check.reasons.append(reason)

    async def _ask_explainer(self, fn: Callable[..., Any], *args: Any) -> list[str]:
        budget = getattr(self.explainer, "explain_timeout", None) or max(1.0, self.timeout)
        try:
            answer = await asyncio.wait_for(_call(fn, *args), budget)
        except Exception as exc:
            log.debug("explainer failed for %s: %r", args, exc)
            return []
        if not answer:
            return []
        if isinstance(answer, str):
            return [answer]
        return [str(a) for a in answer if a]


def _url_port(url: str) -> Optional[int]:
    parts = urlsplit(url)
    try:
        return parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return None


def _networks(items: Iterable[Any]) -> list[ipaddress.IPv4Network]:
    out = []
    for s in items or []:
        try:
            out.append(ipaddress.IPv4Network(str(s), strict=False))
        except ValueError:
            continue
    return out


async def run_probe(profile: Any, *, explainer: Optional[Explainer] = None, router: Optional[RouterPinger] = None,
                    icmp: Union[IcmpFn, str, None] = None, emit: Optional[EventSink] = None,
                    **options: Any) -> ProbeReport:
    """Probe everything ``profile.probe`` lists; see the module docstring.

    ``icmp``: an ICMP function ``(address, timeout) -> bool | None`` (sync or async; the lab's
    ``icmp_reachable``), or a method name to force (``raw`` | ``dgram`` | ``ping`` | ``none``),
    or ``None`` to pick the best this process may use. ``options``: ``extra_apis`` (more service
    URLs), ``port_protocols`` (``{2222: "ssh"}``), ``concurrency`` (256), ``router_count`` (5),
    ``timeout`` (overrides ``probe.timeout_s``).
    """
    run = ProbeRun(profile, explainer=explainer, router=router, icmp=icmp, emit=emit, **options)
    async for _check in run:
        pass
    assert run.report is not None
    return run.report


# --- for people ------------------------------------------------------------------------------------

def _ms(v: Optional[float]) -> str:
    if v is None:
        return ""
    return f"{v:.1f} ms" if v < 1000 else f"{v / 1000:.2f} s"


def _result_word(c: Check) -> str:
    if c.ok and c.kind == "tcp":
        return "open"
    return c.status


def render_table(report: ProbeReport, *, compact: bool = True) -> str:
    """The report as a plain-text table. ``compact`` folds runs of consecutive floating IPs with the
    same passing result into one row (``127.0.1.100-127.0.1.120:22  open ×21``)."""
    entries: list[list[Check]] = []  # one row per entry: a single check, or a run of alike ones
    runs: dict[tuple[str, Optional[int]], list[Check]] = {}
    for c in report.checks:
        if compact and c.kind in ("tcp", "icmp"):
            run = runs.get((c.kind, c.port))
            if (run is not None and run[-1].status == c.status and run[-1].detail == c.detail
                    and _follows(run[-1].target, c.target)):
                run.append(c)
                continue
            runs[(c.kind, c.port)] = group = [c]
            entries.append(group)
            continue
        entries.append([c])
    rows: list[tuple[str, str, str, str, str, str]] = []
    why: dict[int, list[str]] = {}
    for group in entries:
        c = group[0]
        if len(group) > 1:
            target = f"{c.target}-{group[-1].target}" + (f":{c.port}" if c.port is not None else "")
            lat = [x.latency_ms for x in group if x.latency_ms is not None]
            rows.append((c.vantage, c.kind, target, f"{_result_word(c)} ×{len(group)}",
                         (_ms(max(lat)) + " max") if lat else "", c.detail))
        else:
            rows.append((c.vantage, c.kind, c.label, _result_word(c), _ms(c.latency_ms), c.detail))
        if c.ok is False and c.reasons:
            alike = all(x.reasons == c.reasons for x in group)
            why[len(rows) - 1] = c.reasons if alike else [
                f"{r} (first of {len(group)}; each one in the JSON)" if c.target not in r else r for r in c.reasons]
    head = ("VANTAGE", "CHECK", "TARGET", "RESULT", "TIME", "DETAIL")
    widths = [max([len(head[k])] + [len(r[k]) for r in rows]) for k in range(5)]
    out = ["  ".join(h.ljust(w) for h, w in zip(head[:5], widths)) + "  " + head[5]]
    for n, r in enumerate(rows):
        out.append(("  ".join(v.ljust(w) for v, w in zip(r[:5], widths)) + "  " + r[5]).rstrip())
        for reason in why.get(n, []):
            out.append(" " * (widths[0] + 2) + "-> " + reason)
    for w in report.warnings:
        out.append(w if w.startswith(("WARNING", "ICMP")) else f"note: {w}")
    s = report.summary()
    verdict = "probe passed" if report.ok else "probe FAILED"
    out.append(f"{verdict}: {s['passed']} passed, {s['failed']} failed, {s['skipped']} skipped "
               f"in {report.duration_s:.2f} s (timeout {report.timeout_s:g} s, ICMP: {report.icmp_method})")
    return "\n".join(out)


def _follows(a: str, b: str) -> bool:
    try:
        return int(ipaddress.IPv4Address(b)) == int(ipaddress.IPv4Address(a)) + 1
    except ValueError:
        return False


def _common(group: Sequence[Check]) -> str:
    details = {x.detail for x in group}
    return details.pop() if len(details) == 1 else ""


# --- a probe of a lab, through its engine ------------------------------------------------------------

class LabProbe:
    """A :class:`ProbeRun` wired to a lab's :class:`~vpnconsole.engine.Engine`: failures explained from
    the live status, cloud targets pinged from the router over ONE SSH session (opened on the first
    ping, closed on exit).  The command line and the console both use it::

        async with LabProbe(engine, icmp=None, emit=print) as run:
            async for check in run: ...
        report = run.report
    """

    def __init__(self, engine: Any, *, icmp: Union[IcmpFn, str, None] = None, emit: Optional[EventSink] = None,
                 **options: Any) -> None:
        self.engine = engine
        self.icmp = icmp
        self.emit = emit
        self.options = options
        self._session: Any = None
        self.run: Optional[ProbeRun] = None

    async def __aenter__(self) -> ProbeRun:
        engine, profile = self.engine, self.engine.profile
        explainer = StatusExplainer(engine.status, profile)
        router = None
        opener = getattr(engine.h3c, "router_session", None)
        if profile.probe.cloud_targets and profile.onprem.lan_address and opener is not None:
            budget = ROUTER_PING_COUNT * profile.probe.timeout_s + 10.0
            lock = asyncio.Lock()

            async def send(command: str) -> str:
                async with lock:  # the session is opened once, by the first ping
                    if self._session is None:
                        self._session = await asyncio.to_thread(opener, engine.emit)
                return await asyncio.to_thread(self._session.send_command, command, timeout=budget)

            router = CliRouterPinger(send)
        self.run = ProbeRun(profile, explainer=explainer, router=router, icmp=self.icmp, emit=self.emit,
                            **self.options)
        return self.run

    async def __aexit__(self, *exc: Any) -> None:
        if self._session is not None:
            session, self._session = self._session, None
            await asyncio.to_thread(session.close)
