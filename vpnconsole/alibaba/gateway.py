"""The Alibaba end, live: discover the VPN gateway, apply a plan, read the state, tear it down.

:class:`AlibabaEnd` drives the VPC API through ``alibabacloud-vpc20160428`` (imported lazily, in
:mod:`vpnconsole.alibaba.client`).  Its methods **block**: run them in a worker thread
(``asyncio.to_thread`` / a Textual thread worker).  The SDK's ``*_async`` methods were not used:
every call here sits in a poll/retry loop with an injectable clock and sleep, which keeps tests
deterministic (a :class:`~vpnconsole.lab.aliyun.ManualClock` advanced by the injected sleep) and
the code one path instead of two.

References are to ``shared/reference/alibaba-vpn-api.md``.

**Write protocol** (§3.2): every call of the plan goes through :meth:`AlibabaEnd._invoke`:

* ``ClientToken`` on every create/modify/delete, from the plan's nonce; the nonce is persisted in the
  manifest before the first write and reused by the next run as long as the previous apply did not
  complete, so a resumed run sends the same tokens (a create that had committed returns its id).
* busy / conflict / throttling / 5xx answers (:mod:`vpnconsole.alibaba.errors`) are retried with
  exponential backoff and equal jitter (``x-acs-retry-after`` honoured), bounded by attempts and a
  deadline; a ``VpnGateway.Configuring``-like answer first waits for the gateway to be ``active``.
* an ambiguous failure (timeout, dropped connection, HTML 502, a 5xx on a write) re-reads the state
  (connection by name, customer gateway by IP, route entry by destination) before deciding; found →
  recorded as ours, not found → the same request again with the same token.
* ``adopt_codes`` (it already exists) → looked up and used, *not* recorded as ours; ``gone_codes``
  on deletes → success; anything else → :class:`~vpnconsole.alibaba.errors.AlibabaError` with the
  API's code, message and RequestId (never a parameter value).
* after each write: wait for the gateway to be ``active`` again and the connection ``State ==
  active`` / the VPC route entry ``Available`` / the object gone, emitting progress events.

**Idempotent apply**: before writing, the existing objects are looked up (customer gateway with the
H3C's IP, connection named ``vpnconsole-<lab>``, VPC route entries per destination).  An existing
connection whose parameters differ is *modified* (``ModifyVpnConnectionAttribute`` with the full
IkeConfig/IpsecConfig, or per-tunnel options with ``TunnelId`` and ``Role`` on a dual-tunnel
gateway), never recreated; one that matches is left alone (no write at all).

**Manifest**: ``<state_dir>/alibaba-manifest.json`` (0600, written atomically after every
successful create and every delete): :class:`~vpnconsole.alibaba.translate.AlibabaManifest` plus
``lab``, ``nonce`` and ``complete``.

**Secrets**: the PSK lives in the plan as a :class:`~vpnconsole.redact.Secret`; SDK request models
(whose ``str()`` prints it) are built at the last moment and never logged (only ``Call.masked()``
is).  DescribeVpnConnection returns the PSK in clear: :meth:`AlibabaEnd.read` turns it into a
fingerprint and masks it in the body before anything else sees the body.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import random
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

from vpnconsole.alibaba.errors import (AMBIGUOUS, FATAL, AlibabaError, Failure, GatewayLockedError, WaitTimeout,
                                       classify)
from vpnconsole.alibaba.plan import AlibabaPlan, Call, JsonText, Ref
from vpnconsole.alibaba.translate import (IKE_KEYS, IPSEC_KEYS, TAG_KEY, AlibabaManifest, GatewayFacts,
                                          RouteEntryRecord, client_token, new_nonce, owner_name, plan_apply,
                                          plan_teardown, read_connection, sdk_method, to_sdk_request)
from vpnconsole.diagnose import End
from vpnconsole.endstate import (DOWN, NEGOTIATING, UNKNOWN, UP, Cancelled, CancelToken, EndState, Event,
                                 EventSink, Route, TunnelState, ignore)
from vpnconsole.redact import MASK, Secret, redact

__all__ = ["AlibabaEnd", "AlibabaError", "ApplyResult", "Discovery", "GatewayLockedError", "MANIFEST_NAME",
           "TeardownResult", "WaitTimeout", "reason_from_logs", "tunnel_phases"]

logger = logging.getLogger("vpnconsole.alibaba.gateway")

MANIFEST_NAME = "alibaba-manifest.json"
MANIFEST_VERSION = 1
_PAGE = 50

# Negotiation Status → (phase1, phase2)  (§2.3.5)
_PHASES = {
    "ike_sa_not_established": (DOWN, DOWN),
    "ike_sa_established": (UP, NEGOTIATING),
    "ipsec_sa_not_established": (UP, DOWN),
    "ipsec_sa_established": (UP, UP),
}

#: Phrases of the gateway's racoon/strongSwan-style log lines that name a failure (§2.4), in order
#: of how specific they are; the label is what TunnelState.reason starts with.
_LOG_REASONS: tuple[tuple[str, str], ...] = (
    (r"pre-?shared key|psk mismatch|AUTHENTICATION_FAILED|authentication failed", "PSK mismatch"),
    (r"no proposal chosen|NO_PROPOSAL_CHOSEN|no suitable proposal", "no proposal chosen"),
    (r"INVALID-ID-INFORMATION|identity mismatch|ID mismatch|peer ID", "identity mismatch"),
    (r"exchange mode mismatch|aggressive mode", "exchange mode mismatch"),
    (r"traffic selector|TS_UNACCEPTABLE|no policy found", "traffic selector mismatch"),
    (r"PFS|pfs group", "PFS mismatch"),
    (r"DPD|dead peer|purging all SAs", "dead peer detection"),
    (r"peer not responding|time up|timed out|retransmi", "peer not responding"),
)
_LOG_LINE = re.compile(r"^\S+ \S+ \S+ \[(?P<level>[A-Z]+)\]: (?:(?P<source>[\w.]+:\d+):)?(?P<message>.*)$")


def tunnel_phases(status: str | None) -> tuple[str, str]:
    return _PHASES.get((status or "").strip().lower(), (UNKNOWN, UNKNOWN))


def reason_from_logs(lines: Iterable[str]) -> str | None:
    """The most recent failure a log names, as ``"<label>: <the line's message>"``, or None."""
    found: str | None = None
    for line in lines:
        if not isinstance(line, str):
            continue
        m = _LOG_LINE.match(line.strip())
        level = m.group("level") if m else ""
        message = (m.group("message") if m else line).strip()
        if level in ("DEBUG",):
            continue
        for pattern, label in _LOG_REASONS:
            if re.search(pattern, message, re.IGNORECASE):
                if level in ("ERROR", "WARNING", "") or label != "peer not responding":
                    found = f"{label}: {message}"
                break
    return found


def _scrub(value: Any) -> Any:
    """A response body with every ``Psk`` (and BGP ``AuthKey``) value replaced by the mask."""
    if isinstance(value, Mapping):
        return {k: (MASK if k in ("Psk", "AuthKey") and value[k] else _scrub(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    return value


def _items(body: Mapping[str, Any] | None, outer: str, inner: str) -> list[Mapping[str, Any]]:
    wrapper = (body or {}).get(outer)
    items = wrapper.get(inner) if isinstance(wrapper, Mapping) else wrapper
    return [i for i in items if isinstance(i, Mapping)] if isinstance(items, list) else []


def _norm(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).strip().lower() if value is not None else ""


def _subnet_set(value: Any) -> frozenset[str]:
    if isinstance(value, str):
        return frozenset(x.strip() for x in value.split(",") if x.strip())
    return frozenset()


def _tags(item: Mapping[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key in ("Tags", "Tag"):
        for tag in _items(item, key, "Tag"):
            if isinstance(tag.get("Key"), str):
                out[tag["Key"]] = str(tag.get("Value") or "")
    return out


@dataclass
class Discovery:
    """What :meth:`AlibabaEnd.discover` found (PSK-free)."""

    facts: GatewayFacts
    gateway: dict[str, Any]
    customer_gateway: dict[str, Any] | None = None  # the CGW registered with onprem.public_ip
    connection: dict[str, Any] | None = None  # ours (by manifest id or name), PSK masked
    route_entries: list[dict[str, Any]] = field(default_factory=list)  # of the route table
    notes: list[str] = field(default_factory=list)


@dataclass
class ApplyResult:
    nonce: str
    created: list[str] = field(default_factory=list)  # ids
    modified: list[str] = field(default_factory=list)
    adopted: list[str] = field(default_factory=list)  # existing objects used, not ours
    unchanged: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    api_calls: int = 0
    writes: int = 0
    manifest: AlibabaManifest | None = None

    @property
    def changed(self) -> bool:
        return bool(self.created or self.modified)


@dataclass
class TeardownResult:
    deleted: list[str] = field(default_factory=list)
    already_gone: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    api_calls: int = 0


@dataclass
class _ManifestFile:
    manifest: AlibabaManifest
    nonce: str | None
    complete: bool


class AlibabaEnd:
    """One lab's Alibaba end.

    ``store_or_factory``: a :class:`~vpnconsole.secrets.SecretStore` or a zero-argument callable
    returning one (opened only when the credential chain has nothing, or when the PSK is needed).
    ``state_dir``: where the manifest lives (default :func:`vpnconsole.paths.lab_state_dir`).
    ``clock``/``sleep``: for every wait, backoff and deadline (inject to make tests instant).
    Timeouts are in seconds.  ``client``: an already built SDK client (tests, benchmarks).
    """

    def __init__(self, profile: Any, store_or_factory: Any = None, *, state_dir: str | Path | None = None,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep,
                 connect_timeout: float = 5.0, read_timeout: float = 10.0, poll_interval: float = 3.0,
                 wait_timeout: float = 300.0, retry_timeout: float = 300.0, max_attempts: int = 10,
                 backoff_base: float = 1.0, backoff_cap: float = 20.0, log_minutes: int = 2,
                 cancel: CancelToken | None = None, client: Any = None, rng: random.Random | None = None):
        self.profile = profile
        self.lab: str = profile.name
        self.region: str = profile.cloud.region
        self.gateway_id: str = profile.cloud.vpn_gateway_id
        self._store_or_factory = store_or_factory
        self._state_dir = Path(state_dir) if state_dir is not None else None
        self._clock = clock
        self._sleep = sleep
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.poll_interval = poll_interval
        self.wait_timeout = wait_timeout
        self.retry_timeout = retry_timeout
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.log_minutes = max(1, min(10, int(log_minutes)))
        self.cancel = cancel
        self._client = client
        self._rng = rng or random.Random()
        self._secrets: tuple[str, ...] = ()
        #: every API call made, in order: (action, parameters as masked JSON) — for tests/benchmarks
        self.call_log: list[tuple[str, str]] = []
        #: the same calls, one dict each: ``action``, ``step``, ``request_id`` (the answer's RequestId, also
        #: of an error answer) and ``code`` (the error code when the call failed, else None) — for the audit
        #: log; never a parameter value (those are only in :attr:`call_log`, masked)
        self.call_records: list[dict[str, Any]] = []
        self.last_read_calls: list[tuple[str, str]] = []
        self.last_discovery: Discovery | None = None
        from vpnconsole.alibaba.client import mask_transport_logs

        mask_transport_logs()  # also when a ready-made client is passed in

    # --- plumbing ------------------------------------------------------------------------------------

    @property
    def state_dir(self) -> Path:
        if self._state_dir is None:
            from vpnconsole.paths import lab_state_dir

            self._state_dir = lab_state_dir(self.lab)
        return self._state_dir

    @property
    def manifest_path(self) -> Path:
        return self.state_dir / MANIFEST_NAME

    def _store(self) -> Any:
        if self._store_or_factory is not None and callable(self._store_or_factory) \
                and not hasattr(self._store_or_factory, "get"):
            self._store_or_factory = self._store_or_factory()
        return self._store_or_factory

    @property
    def client(self) -> Any:
        if self._client is None:
            from vpnconsole.alibaba.client import make_client
            from vpnconsole.secrets import alibaba_credentials

            creds = alibaba_credentials(self.lab, self._store_or_factory)
            self._client = make_client(self.region, creds, self.profile.cloud.endpoint,
                                       connect_timeout_ms=int(self.connect_timeout * 1000),
                                       read_timeout_ms=int(self.read_timeout * 1000))
        return self._client

    @property
    def api_calls(self) -> int:
        return len(self.call_log)

    def _check_cancel(self) -> None:
        if self.cancel is not None and self.cancel.cancelled:
            raise Cancelled("cancelled")

    def _event(self, emit: EventSink, step: str, kind: str, message: str, started: float,
               status: str | None = None, **data: Any) -> None:
        emit(Event(End.ALIBABA, step, kind, redact(message, self._secrets), max(0.0, self._clock() - started),
                   status, data))

    def _send(self, call: Call, results: Mapping[Any, Any] | None) -> dict[str, Any]:
        from darabonba.runtime import RuntimeOptions

        masked = json.dumps(call.masked(), sort_keys=True, default=str)
        self.call_log.append((call.action, masked))
        record: dict[str, Any] = {"action": call.action, "step": call.step, "request_id": None, "code": None}
        self.call_records.append(record)
        logger.debug("%s %s %s", call.step, call.action, masked)
        request = to_sdk_request(call, results)
        runtime = RuntimeOptions(connect_timeout=int(self.connect_timeout * 1000),
                                 read_timeout=int(self.read_timeout * 1000), autoretry=False)
        method = getattr(self.client, sdk_method(call.action) + "_with_options")
        try:
            response = method(request, runtime)
        except Exception as exc:
            failure = classify(exc, write=call.mutating, secrets=self._secrets)
            record["request_id"] = failure.request_id
            record["code"] = failure.code or type(exc).__name__
            raise
        finally:
            del request
        body = response.body.to_map() if getattr(response, "body", None) is not None else {}
        request_id = (body or {}).get("RequestId")
        record["request_id"] = request_id if isinstance(request_id, str) and request_id else None
        return body or {}

    def _backoff(self, attempt: int) -> float:
        delay = min(self.backoff_cap, self.backoff_base * (2 ** attempt))
        return delay / 2 + self._rng.uniform(0, delay / 2)

    def _invoke(self, call: Call, results: Mapping[Any, Any] | None = None, *, emit: EventSink = ignore,
                started: float | None = None, lookup: Callable[[], dict[str, Any] | None] | None = None,
                adopt: Callable[[], dict[str, Any] | None] | None = None) -> tuple[dict[str, Any], str]:
        """Send one call with the write protocol.  Returns ``(body, how)``; ``how`` is ``sent``,
        ``recovered`` (an ambiguous failure, and the re-read found the object: it was created by us),
        ``adopted`` (an adopt code: it already existed, not ours) or ``gone`` (a gone code)."""
        from Tea.exceptions import TeaException

        started = self._clock() if started is None else started
        deadline = self._clock() + self.retry_timeout
        attempt = 0
        while True:
            self._check_cancel()
            try:
                return self._send(call, results), "sent"
            except TeaException as exc:
                failure = classify(exc, write=call.mutating, secrets=self._secrets)
            if failure.code and failure.code in call.gone_codes:
                return {}, "gone"
            if failure.code and failure.code in call.adopt_codes:
                found = (adopt or lookup)() if (adopt or lookup) else None
                if found is not None:
                    self._event(emit, call.step, "info", f"{call.action}: {failure.code}; using the existing one",
                                started, request_id=failure.request_id)
                    return found, "adopted"
                raise self._error(call, failure)
            if failure.kind == AMBIGUOUS and call.mutating and lookup is not None:
                found = lookup()
                if found is not None:
                    self._event(emit, call.step, "info",
                                f"{call.action}: {failure.describe()}; it was executed after all", started,
                                request_id=failure.request_id)
                    return found, "recovered"
            if failure.kind == FATAL:
                raise self._error(call, failure)
            if attempt + 1 >= self.max_attempts or self._clock() >= deadline:
                raise self._error(call, failure, f"gave up after {attempt + 1} attempts")
            delay = failure.retry_after if failure.retry_after is not None else self._backoff(attempt)
            self._event(emit, call.step, "retry", f"{call.action}: {failure.describe()}; retrying in {delay:.1f} s",
                        started, request_id=failure.request_id, code=failure.code, attempt=attempt + 1)
            self._sleep(delay)
            attempt += 1
            if failure.gateway_busy:
                self._wait_gateway_active(call.step, emit, started)

    def _error(self, call: Call, failure: Failure, extra: str = "") -> AlibabaError:
        text = f"{call.step}: {call.action} failed: {failure.describe()}" + (f" ({extra})" if extra else "")
        cls = GatewayLockedError if failure.code == "VpnGateway.FinancialLocked" else AlibabaError
        return cls(redact(text, self._secrets), step=call.step, action=call.action, failure=failure)

    def _read(self, action: str, step: str = "read", **params: Any) -> dict[str, Any]:
        body, _ = self._invoke(Call(step, action, {"RegionId": self.region, **params}))
        return body

    def _read_or_none(self, action: str, not_found: tuple[str, ...], **params: Any) -> dict[str, Any] | None:
        try:
            return self._read(action, **params)
        except AlibabaError as exc:
            if exc.code in not_found or (exc.code or "").endswith(".NotFound"):
                return None
            raise

    # --- reads ---------------------------------------------------------------------------------------

    def _describe_gateway(self) -> dict[str, Any]:
        return self._read("DescribeVpnGateway", VpnGatewayId=self.gateway_id)

    def _system_route_table(self, vpc_id: str | None) -> str | None:
        if self.profile.cloud.route_table_id:
            return self.profile.cloud.route_table_id
        if not vpc_id:
            return None
        body = self._read("DescribeRouteTableList", VpcId=vpc_id, RouteTableType="System", PageSize=_PAGE)
        for table in _items(body, "RouterTableList", "RouterTableListType"):
            if table.get("RouteTableType", "System") == "System" and table.get("RouteTableId"):
                return str(table["RouteTableId"])
        return None

    def _customer_gateways(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        page = 1
        while True:
            body = self._read("DescribeCustomerGateways", PageNumber=page, PageSize=_PAGE)
            items = _items(body, "CustomerGateways", "CustomerGateway")
            out += [dict(i) for i in items]
            if len(items) < _PAGE or len(out) >= int(body.get("TotalCount") or 0):
                return out
            page += 1

    def _cgw_by_ip(self) -> dict[str, Any] | None:
        ip = self.profile.onprem.public_ip
        return next((c for c in self._customer_gateways() if c.get("IpAddress") == ip), None)

    def _find_connection(self, known_id: str | None, *, keep_psk: bool = False) -> dict[str, Any] | None:
        """Ours: by the manifest's id, else by name.  PSK masked unless ``keep_psk`` (compare, then drop)."""
        found = None
        for item in self._connections_raw():
            if known_id and item.get("VpnConnectionId") == known_id:
                found = item
                break
            if found is None and item.get("Name") == owner_name(self.lab):
                found = item
        if found is None:
            return None
        return dict(found) if keep_psk else _scrub(found)

    def _connections_raw(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        page = 1
        while True:
            body = self._read("DescribeVpnConnections", VpnGatewayId=self.gateway_id, PageNumber=page,
                              PageSize=_PAGE)
            items = _items(body, "VpnConnections", "VpnConnection")
            out += [dict(i) for i in items]
            if len(items) < _PAGE or len(out) >= int(body.get("TotalCount") or 0):
                return out
            page += 1

    def _route_entries(self, table: str, **filters: Any) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        token: str | None = None
        for _ in range(100):
            params: dict[str, Any] = {"RouteTableId": table, "MaxResult": 100, **filters}
            if token:
                params["NextToken"] = token
            body = self._read("DescribeRouteEntryList", **params)
            out += [dict(i) for i in _items(body, "RouteEntrys", "RouteEntry")]
            token = body.get("NextToken") or None
            if not token:
                break
        return out

    def _entry_next_hop(self, entry: Mapping[str, Any]) -> tuple[str | None, str | None]:
        hops = _items(entry, "NextHops", "NextHop")
        if not hops:
            return None, None
        return (hops[0].get("NextHopId") or None), (hops[0].get("NextHopType") or None)

    def discover(self, emit: EventSink = ignore) -> GatewayFacts:
        """DescribeVpnGateway (status, VPC, tunnel IPs → single/dual), the route table, the customer
        gateway with the H3C's IP, our connection.  Raises :class:`GatewayLockedError` for a
        ``FinancialLocked`` gateway.  Details in :attr:`last_discovery`."""
        return self._discover(emit).facts

    def _discover(self, emit: EventSink = ignore, *, manifest: AlibabaManifest | None = None,
                  started: float | None = None, keep_psk: bool = False) -> Discovery:
        started = self._clock() if started is None else started
        self._event(emit, "discover", "start", f"describing VPN gateway {self.gateway_id}", started)
        gateway = self._describe_gateway()
        business = gateway.get("BusinessStatus")
        if business == "FinancialLocked":
            raise GatewayLockedError(
                f"VPN gateway {self.gateway_id} is FinancialLocked (overdue payment): Alibaba refuses every change "
                "until the account is settled; nothing was changed", step="discover", action="DescribeVpnGateway")
        table = self._system_route_table(gateway.get("VpcId"))
        facts = GatewayFacts.from_api(gateway, table)
        notes: list[str] = []
        declared = tuple(self.profile.cloud.gateway_ips or ())
        if declared and facts.ips and declared != facts.ips:
            notes.append(f"the profile lists gateway IPs {', '.join(declared)}, the gateway has {', '.join(facts.ips)}")
        if gateway.get("IpsecVpn") == "disable":
            notes.append("IPsec-VPN is disabled on this gateway")
        cgw = self._cgw_by_ip()
        connection = self._find_connection(manifest.vpn_connection_id if manifest else None, keep_psk=keep_psk)
        entries = self._route_entries(table) if table else []
        self._event(emit, "discover", "done",
                    f"gateway {facts.status}, {'dual' if facts.dual_tunnel else 'single'} tunnel "
                    f"({', '.join(facts.ips) or 'no IPsec address'})", started, status=facts.status)
        self.last_discovery = Discovery(facts, dict(gateway), cgw, connection, entries, notes)
        return self.last_discovery

    # --- waits ---------------------------------------------------------------------------------------

    def _poll(self, step: str, what: str, emit: EventSink, started: float,
              check: Callable[[], tuple[bool, str | None]]) -> str | None:
        deadline = self._clock() + self.wait_timeout
        while True:
            self._check_cancel()
            done, status = check()
            if done:
                return status
            if self._clock() >= deadline:
                raise WaitTimeout(f"{step}: waited {self.wait_timeout:.0f} s for {what}; it is still {status}",
                                  step=step)
            self._event(emit, step, "progress", f"waiting for {what}", started, status=status)
            self._sleep(self.poll_interval)

    def _wait_gateway_active(self, step: str, emit: EventSink, started: float) -> None:
        def check() -> tuple[bool, str | None]:
            status = self._describe_gateway().get("Status")
            if status in ("deleting",):
                raise AlibabaError(f"{step}: VPN gateway {self.gateway_id} is being deleted", step=step)
            return status == "active", status

        self._poll(step, f"VPN gateway {self.gateway_id} to be active", emit, started, check)

    def _wait(self, call: Call, ident: str | None, emit: EventSink, started: float, table: str | None = None) -> None:
        kind = call.wait_for
        if kind is None:
            return
        step = call.step
        if kind in ("vpn-connection-active", "vpn-connection-gone", "vpn-route-gone"):
            self._wait_gateway_active(step, emit, started)
        if kind == "vpn-connection-active" and ident:
            def active() -> tuple[bool, str | None]:
                body = self._read_or_none("DescribeVpnConnection", ("InvalidVpnConnectionInstanceId.NotFound",),
                                          VpnConnectionId=ident)
                if body is None:
                    raise AlibabaError(f"{step}: connection {ident} disappeared while it was being configured",
                                       step=step)
                return body.get("State") == "active", body.get("State")
            self._poll(step, f"connection {ident} to be active", emit, started, active)
        elif kind == "vpn-connection-gone" and ident:
            def gone() -> tuple[bool, str | None]:
                body = self._read_or_none("DescribeVpnConnection", ("InvalidVpnConnectionInstanceId.NotFound",),
                                          VpnConnectionId=ident)
                return body is None, None if body is None else body.get("State")
            self._poll(step, f"connection {ident} to be deleted", emit, started, gone)
        elif kind in ("route-entry-available", "route-entry-gone") and table:
            want_gone = kind == "route-entry-gone"
            dest = call.params.get("DestinationCidrBlock")

            def entry() -> tuple[bool, str | None]:
                filters = {"RouteEntryId": ident} if ident else {"DestinationCidrBlock": dest}
                found = self._route_entries(table, **filters)
                if want_gone:
                    return not found, found[0].get("Status") if found else None
                if not found:
                    raise AlibabaError(f"{step}: route entry {ident or dest} is missing from {table}", step=step)
                return found[0].get("Status") == "Available", found[0].get("Status")
            self._poll(step, f"route entry {ident or dest} to be {'deleted' if want_gone else 'Available'}",
                       emit, started, entry)

    # --- manifest ------------------------------------------------------------------------------------

    def load_manifest(self) -> AlibabaManifest | None:
        loaded = self._load_manifest()
        return loaded.manifest if loaded else None

    def _load_manifest(self) -> _ManifestFile | None:
        path = self.manifest_path
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise AlibabaError(f"the Alibaba manifest {path} is unreadable ({type(exc).__name__}); move it aside to "
                               "rebuild it from what is recognisably ours") from None
        nonce = data.get("nonce") if isinstance(data.get("nonce"), str) else None
        return _ManifestFile(AlibabaManifest.from_dict(data), nonce, data.get("complete") is True)

    def _save_manifest(self, manifest: AlibabaManifest, nonce: str | None, complete: bool) -> None:
        data = {"version": MANIFEST_VERSION, "lab": self.lab, "nonce": nonce, "complete": complete,
                **manifest.to_dict()}
        from vpnconsole.paths import write_private_json

        write_private_json(self.manifest_path, data)

    def _remove_manifest(self) -> None:
        try:
            self.manifest_path.unlink()
        except FileNotFoundError:
            pass

    # --- apply ---------------------------------------------------------------------------------------

    def _psk(self) -> Secret:
        store = self._store()
        psk = store.get(self.lab, "psk") if store is not None else None
        if psk is None:
            raise AlibabaError(f"no PSK stored for lab {self.lab!r}: `vpnconsole secret set {self.lab} psk` or "
                               f"`vpnconsole secret generate {self.lab}`")
        return psk

    def plan(self, psk: Secret | None = None, *, nonce: str | None = None) -> AlibabaPlan:
        """The apply plan for what is there now (discovery included; reads only)."""
        psk = psk or self._psk()
        loaded = self._load_manifest()
        disc = self._discover(manifest=loaded.manifest if loaded else None)
        cgw = disc.customer_gateway
        return plan_apply(self.profile, psk, disc.facts,
                          customer_gateway_id=cgw.get("CustomerGatewayId") if cgw else None,
                          nonce=nonce or (loaded.nonce if loaded and not loaded.complete else None))

    def apply(self, psk: Secret | AlibabaPlan | None = None, emit: EventSink = ignore, *,
              plan: AlibabaPlan | None = None) -> ApplyResult:
        """Bring the Alibaba end to the profile: create what is missing, modify what differs.

        ``psk``: the PSK (default: from the store), or an already built :class:`AlibabaPlan`
        (its calls are executed with the same create-or-update logic and its nonce)."""
        if isinstance(psk, AlibabaPlan):
            plan, psk = psk, None
        started = self._clock()
        calls_before = len(self.call_log)
        loaded = self._load_manifest()
        manifest = loaded.manifest if loaded else AlibabaManifest()
        manifest.region = manifest.region or self.region
        manifest.vpn_gateway_id = manifest.vpn_gateway_id or self.gateway_id
        if plan is None:
            psk = psk or self._psk()
            self._secrets = (psk.reveal(),)
        disc = self._discover(emit, manifest=manifest, started=started, keep_psk=True)
        live_connection, disc.connection = disc.connection, _scrub(disc.connection) if disc.connection else None
        facts = disc.facts
        if facts.status in ("deleting",):
            raise AlibabaError(f"VPN gateway {self.gateway_id} is being deleted", step="discover")
        cgw = disc.customer_gateway
        cgw_id = str(cgw["CustomerGatewayId"]) if cgw else None
        nonce = plan.nonce if plan is not None else \
            (loaded.nonce if loaded and not loaded.complete and loaded.nonce else new_nonce())
        if plan is None:
            plan = plan_apply(self.profile, psk, facts, customer_gateway_id=cgw_id, nonce=nonce)
        result = ApplyResult(nonce, notes=list(disc.notes) + list(plan.notes))
        if cgw_id:
            ours = (manifest.customer_gateway_id == cgw_id and manifest.customer_gateway_created) or \
                self._owned(cgw)
            manifest.customer_gateway_id, manifest.customer_gateway_created = cgw_id, ours
            (result.unchanged if ours else result.adopted).append(cgw_id)
            if ours:
                result.notes = [n for n in result.notes if not n.startswith("using the existing customer gateway")]
        self._save_manifest(manifest, nonce, complete=False)  # the nonce is on disk before any write

        results: dict[Any, Any] = {}
        table = facts.route_table_id
        entries = {e.get("DestinationCidrBlock"): e for e in disc.route_entries}
        for call in plan.calls:
            self._check_cancel()
            if not call.mutating:
                results[call.step], _ = self._invoke(call, results, emit=emit, started=started)
                continue
            if call.action == "CreateCustomerGateway":
                if cgw_id:
                    results[call.step] = {"CustomerGatewayId": cgw_id}
                    continue
                body, how = self._create(call, results, emit, started, lookup=self._lookup_cgw)
                cgw_id = str(body["CustomerGatewayId"])
                results[call.step] = {"CustomerGatewayId": cgw_id}
                ours = how != "adopted"
                manifest.customer_gateway_id, manifest.customer_gateway_created = cgw_id, ours
                (result.created if ours else result.adopted).append(cgw_id)
                self._save_manifest(manifest, nonce, complete=False)
                self._event(emit, call.step, "done", f"customer gateway {cgw_id}", started, id=cgw_id)
            elif call.action == "CreateVpnConnection":
                self._apply_connection(call, results, manifest, nonce, disc, live_connection, result, emit, started)
                live_connection = None
            elif call.action == "CreateRouteEntry":
                self._apply_route(call, results, manifest, nonce, table, entries, result, emit, started)
            else:
                body, how = self._invoke(call, results, emit=emit, started=started)
                results[call.step] = body
                self._wait(call, None, emit, started, table)
        self._save_manifest(manifest, nonce, complete=True)
        result.manifest = manifest
        result.api_calls = len(self.call_log) - calls_before
        result.writes = sum(1 for a, _ in self.call_log[calls_before:] if not a.startswith("Describe"))
        self._event(emit, "apply", "done",
                    f"created {len(result.created)}, modified {len(result.modified)}, "
                    f"unchanged {len(result.unchanged)}", started, api_calls=result.api_calls)
        return result

    def _owned(self, item: Mapping[str, Any] | None) -> bool:
        if not item:
            return False
        return item.get("Name") == owner_name(self.lab) or _tags(item).get(TAG_KEY) == self.lab

    def _create(self, call: Call, results: Mapping[Any, Any], emit: EventSink, started: float,
                lookup: Callable[[], dict[str, Any] | None]) -> tuple[dict[str, Any], str]:
        self._event(emit, call.step, "start", f"{call.action}: {call.summary or call.step}", started,
                    action=call.action, params=call.masked())
        try:
            return self._invoke(call, results, emit=emit, started=started, lookup=lookup)
        except AlibabaError as exc:
            if exc.code != "IdempotentParameterMismatch" or not call.client_token:
                raise
        # The same token was used before with other parameters (a resumed run whose profile changed):
        # this is a new logical operation, so it gets a new token.
        fresh = dataclasses.replace(call, params={**call.params,
                                                  "ClientToken": client_token(self.lab, new_nonce(), call.step)})
        self._event(emit, call.step, "info", f"{call.action}: parameters changed since the interrupted run; "
                    "sending it as a new operation", started)
        return self._invoke(fresh, results, emit=emit, started=started, lookup=lookup)

    def _lookup_cgw(self) -> dict[str, Any] | None:
        found = self._cgw_by_ip()
        return {"CustomerGatewayId": found["CustomerGatewayId"], **found} if found else None

    def _lookup_connection(self) -> dict[str, Any] | None:
        found = self._find_connection(None)
        return {"VpnConnectionId": found["VpnConnectionId"]} if found else None

    def _apply_connection(self, call: Call, results: dict[Any, Any], manifest: AlibabaManifest, nonce: str,
                          disc: Discovery, live: dict[str, Any] | None, result: ApplyResult, emit: EventSink,
                          started: float) -> None:
        if live is None:
            body, how = self._create(call, results, emit, started, lookup=self._lookup_connection)
            vco = str(body["VpnConnectionId"])
            results[call.step] = {"VpnConnectionId": vco}
            if how == "adopted":
                result.adopted.append(vco)
            else:
                manifest.vpn_connection_id = vco
                result.created.append(vco)
            self._save_manifest(manifest, nonce, complete=False)
            self._event(emit, call.step, "done", f"connection {vco} created", started, id=vco)
            self._wait(call, vco, emit, started)
            return
        vco = str(live["VpnConnectionId"])
        results[call.step] = {"VpnConnectionId": vco}
        if manifest.vpn_connection_id != vco:
            manifest.vpn_connection_id = vco  # named vpnconsole-<lab>: ours
            self._save_manifest(manifest, nonce, complete=False)
        wanted = call.reveal(results)
        try:
            drift = connection_drift(wanted, live)
        finally:
            wanted = live = None  # type: ignore[assignment]  # the PSKs, in clear: gone
        if not drift:
            result.unchanged.append(vco)
            self._event(emit, call.step, "done", f"connection {vco} already matches the profile", started, id=vco)
            return
        modify = self._modify_call(call, vco, nonce, disc)
        self._event(emit, modify.step, "start", f"ModifyVpnConnectionAttribute {vco}: {', '.join(drift)} differ",
                    started, action=modify.action, params=modify.masked(), fields=drift)
        self._invoke(modify, results, emit=emit, started=started)
        result.modified.append(vco)
        self._event(emit, modify.step, "done", f"connection {vco} modified", started, id=vco)
        self._wait(modify, vco, emit, started)

    def _modify_call(self, create: Call, vco: str, nonce: str, disc: Discovery) -> Call:
        p = create.params
        params: dict[str, Any] = {"RegionId": p["RegionId"], "VpnConnectionId": vco, "Name": p.get("Name"),
                                  "LocalSubnet": p["LocalSubnet"], "RemoteSubnet": p["RemoteSubnet"],
                                  "EffectImmediately": p.get("EffectImmediately", True),
                                  "AutoConfigRoute": p.get("AutoConfigRoute", True)}
        if "TunnelOptionsSpecification" in p:
            ids = {}
            for t in _items((disc.connection or {}), "TunnelOptionsSpecification", "TunnelOptions"):
                ids[str(t.get("Role") or "")] = t.get("TunnelId")
            tunnels = []
            for spec in p["TunnelOptionsSpecification"]:
                entry = {"TunnelId": ids.get(spec["Role"]), "Role": spec["Role"],
                         "EnableDpd": spec["EnableDpd"], "EnableNatTraversal": spec["EnableNatTraversal"],
                         "TunnelIkeConfig": dict(spec["TunnelIkeConfig"]),
                         "TunnelIpsecConfig": dict(spec["TunnelIpsecConfig"])}
                if not entry["TunnelId"]:
                    entry.pop("TunnelId")
                tunnels.append(entry)
            params["TunnelOptionsSpecification"] = tunnels
        else:
            params.update({"EnableDpd": p["EnableDpd"], "EnableNatTraversal": p["EnableNatTraversal"],
                           "IkeConfig": JsonText(p["IkeConfig"].fields), "IpsecConfig": JsonText(p["IpsecConfig"].fields)})
        draft = Call("vpn-connection-modify", "ModifyVpnConnectionAttribute", params)
        fingerprints = sorted(s.fingerprint for s in _secrets_in(params))
        digest = hashlib.sha256((json.dumps(draft.masked(), sort_keys=True, default=str)
                                 + "|".join(fingerprints)).encode()).hexdigest()[:12]
        params["ClientToken"] = client_token(self.lab, nonce, f"vpn-connection-modify:{digest}")
        return Call("vpn-connection-modify", "ModifyVpnConnectionAttribute", params,
                    summary=f"update connection {vco} in place", wait_for="vpn-connection-active")

    def _apply_route(self, call: Call, results: dict[Any, Any], manifest: AlibabaManifest, nonce: str,
                     table: str | None, entries: dict[Any, dict[str, Any]], result: ApplyResult,
                     emit: EventSink, started: float) -> None:
        table_id = call.params["RouteTableId"]
        table_id = table_id.resolve(results) if isinstance(table_id, Ref) else table_id
        dest = call.params["DestinationCidrBlock"]
        existing = entries.get(dest)
        if existing is not None:
            hop, _ = self._entry_next_hop(existing)
            rid = existing.get("RouteEntryId") or None
            if hop != self.gateway_id:
                result.notes.append(f"the VPC route table {table_id} already routes {dest} to {hop or 'something else'}"
                                    f", not to {self.gateway_id}; left alone")
                self._event(emit, call.step, "info", result.notes[-1], started)
                return
            if existing.get("RouteEntryName") == owner_name(self.lab) or \
                    any(r.destination == dest and r.route_table_id == table_id for r in manifest.route_entries):
                self._record_route(manifest, table_id, dest, rid)
                result.unchanged.append(rid or dest)
            else:
                result.adopted.append(rid or dest)
            self._save_manifest(manifest, nonce, complete=False)
            if existing.get("Status") != "Available":
                self._wait(call, rid, emit, started, table_id)
            return

        def lookup() -> dict[str, Any] | None:
            found = self._route_entries(str(table_id), DestinationCidrBlock=dest)
            mine = [e for e in found if self._entry_next_hop(e)[0] == self.gateway_id]
            return {"RouteEntryId": mine[0].get("RouteEntryId"), **mine[0]} if mine else None

        body, how = self._create(call, results, emit, started, lookup=lookup)
        rid = body.get("RouteEntryId") or None
        if how == "adopted":
            result.adopted.append(rid or dest)
        else:
            self._record_route(manifest, str(table_id), dest, rid)
            result.created.append(rid or dest)
            self._save_manifest(manifest, nonce, complete=False)
        self._event(emit, call.step, "done", f"VPC route {dest} → {self.gateway_id}", started, id=rid)
        self._wait(call, rid, emit, started, str(table_id))

    def _record_route(self, manifest: AlibabaManifest, table: str, dest: str, rid: str | None) -> None:
        record = RouteEntryRecord(table, dest, rid, self.gateway_id)
        manifest.route_entries = [r for r in manifest.route_entries
                                  if not (r.route_table_id == table and r.destination == dest)] + [record]

    # --- renegotiate ---------------------------------------------------------------------------------

    def renegotiate(self, emit: EventSink = ignore) -> str:
        """Ask the gateway to (re)start negotiation now: ``ModifyVpnConnectionAttribute`` with
        ``EffectImmediately=true`` and nothing else, then wait for the gateway.  Alibaba documents that
        a change with EffectImmediately tears down the SAs and renegotiates; whether a change of
        nothing but that flag does so on every gateway version is not documented — best effort."""
        started = self._clock()
        loaded = self._load_manifest()
        live = self._find_connection(loaded.manifest.vpn_connection_id if loaded else None)
        if live is None:
            raise AlibabaError(f"no connection {owner_name(self.lab)} on {self.gateway_id} to renegotiate")
        vco = str(live["VpnConnectionId"])
        call = Call("renegotiate", "ModifyVpnConnectionAttribute",
                    {"RegionId": self.region, "VpnConnectionId": vco, "EffectImmediately": True,
                     "ClientToken": client_token(self.lab, new_nonce(), "renegotiate")},
                    wait_for="vpn-connection-active")
        self._event(emit, call.step, "start", f"renegotiating {vco}", started)
        self._invoke(call, emit=emit, started=started)
        self._wait(call, vco, emit, started)
        self._event(emit, call.step, "done", f"{vco} renegotiating", started)
        return vco

    # --- read ----------------------------------------------------------------------------------------

    def read(self) -> EndState:
        """The live Alibaba end: parameters (PSK fingerprint only), tunnel states with failure reasons
        from the last minutes of logs, VPC and VPN gateway routes, gateway facts.  Each Describe is
        called at most once (the calls are in :attr:`last_read_calls`)."""
        first = len(self.call_log)
        try:
            return self._read_state()
        except AlibabaError as exc:
            return EndState(End.ALIBABA, False, None, errors=(str(exc),))
        finally:
            self.last_read_calls = self.call_log[first:]

    def _read_state(self) -> EndState:
        loaded = self._load_manifest()
        manifest = loaded.manifest if loaded else None
        gateway = self._describe_gateway()
        table = self._system_route_table(gateway.get("VpcId"))
        facts_obj = GatewayFacts.from_api(gateway, table)
        errors: list[str] = []
        notes: list[str] = []
        if gateway.get("BusinessStatus") == "FinancialLocked":
            errors.append(f"VPN gateway {self.gateway_id} is FinancialLocked (overdue payment): changes are refused")
        if gateway.get("Status") != "active":
            notes.append(f"VPN gateway {self.gateway_id} is {gateway.get('Status')}")

        connection = self._find_connection(manifest.vpn_connection_id if manifest else None, keep_psk=True)
        params = None
        tunnels: list[TunnelState] = []
        vco = None
        cgw_ids: set[str] = set()
        if connection is not None:
            vco = str(connection.get("VpnConnectionId"))
            options = _items(connection, "TunnelOptionsSpecification", "TunnelOptions")
            cgw_ids = {str(t.get("CustomerGatewayId")) for t in options if t.get("CustomerGatewayId")} or \
                ({str(connection["CustomerGatewayId"])} if connection.get("CustomerGatewayId") else set())
            cgw = None
            if cgw_ids:
                cgw = self._read_or_none("DescribeCustomerGateway", ("InvalidCustomerGatewayInstanceId.NotFound",),
                                         CustomerGatewayId=sorted(cgw_ids)[0])
            back = read_connection(connection, gateway, cgw)
            connection = _scrub(connection)  # the PSKs in clear end here: only fingerprints remain
            params = back.params
            notes += back.warnings
            if connection.get("State") not in (None, "active"):
                notes.append(f"connection {vco} is {connection.get('State')}")
            tunnels = self._tunnel_states(vco, connection, options, gateway)
        routes = self._routes(table, manifest)
        facts: dict[str, Any] = {
            "vpn_gateway_id": self.gateway_id, "status": gateway.get("Status"),
            "business_status": gateway.get("BusinessStatus"), "vpc_id": gateway.get("VpcId"),
            "internet_ip": facts_obj.internet_ip, "disaster_recovery_internet_ip": facts_obj.disaster_recovery_internet_ip,
            "dual_tunnel": facts_obj.dual_tunnel, "route_table_id": table, "spec": gateway.get("Spec"),
            "vpn_connection_id": vco, "connection_state": connection.get("State") if connection else None,
            "customer_gateway_id": sorted(cgw_ids)[0] if cgw_ids else None,
            "api_calls": len(self.call_log),
        }
        for r in routes:
            if r.ours and r.status not in (None, "Available", "published", "normal"):
                notes.append(f"route {r.destination} in {r.table} is {r.status}")
        missing = [n for n in self.profile.onprem.subnets
                   if not any(r.destination == n and r.next_hop == self.gateway_id for r in routes if r.table == table)]
        if connection is not None and table and missing:
            errors.append(f"the VPC route table {table} has no route to {', '.join(missing)} via {self.gateway_id}")
        state = EndState(End.ALIBABA, True, params, tuple(tunnels), tuple(routes), tuple(errors),
                         tuple(dict.fromkeys(notes)), facts)
        facts["api_calls"] = len(self.call_log)
        return state

    def _tunnel_states(self, vco: str, connection: Mapping[str, Any], options: list[Mapping[str, Any]],
                       gateway: Mapping[str, Any]) -> list[TunnelState]:
        out: list[TunnelState] = []
        if options:
            ordered = sorted(options, key=lambda t: {"master": 0, "slave": 1}.get(str(t.get("Role")), 2))
            for t in ordered:
                status = t.get("Status")
                lines = self._logs(vco, t.get("TunnelId"))
                p1, p2 = tunnel_phases(status)
                reason = reason_from_logs(lines) if (p1, p2) != (UP, UP) else None
                if t.get("State") not in (None, "active"):
                    p1 = p1 if p1 == UP else NEGOTIATING
                out.append(TunnelState(t.get("InternetIp") or None, p1, p2, str(status or ""),
                                       role=str(t.get("Role") or "") or None, reason=reason))
        else:
            status = connection.get("Status")
            lines = self._logs(vco, None)
            p1, p2 = tunnel_phases(status)
            reason = reason_from_logs(lines) if (p1, p2) != (UP, UP) else None
            out.append(TunnelState(gateway.get("InternetIp") or connection.get("InternetIp") or None, p1, p2,
                                   str(status or ""), reason=reason))
        return out

    def _logs(self, vco: str, tunnel_id: Any) -> list[str]:
        params: dict[str, Any] = {"VpnConnectionId": vco, "MinutePeriod": self.log_minutes, "PageSize": _PAGE}
        if tunnel_id:
            params["TunnelId"] = tunnel_id
        try:
            body = self._read("DescribeVpnConnectionLogs", **params)
        except AlibabaError:
            return []
        data = body.get("Data")
        logs = data.get("Logs") if isinstance(data, Mapping) else None
        return [redact(str(line), self._secrets) for line in logs] if isinstance(logs, list) else []

    def _routes(self, table: str | None, manifest: AlibabaManifest | None) -> list[Route]:
        routes: list[Route] = []
        ours_ids = {r.route_entry_id for r in (manifest.route_entries if manifest else []) if r.route_entry_id}
        onprem = set(self.profile.onprem.subnets)
        if table:
            for e in self._route_entries(table):
                hop, hop_type = self._entry_next_hop(e)
                dest = e.get("DestinationCidrBlock")
                if hop != self.gateway_id and dest not in onprem:
                    continue
                ours = e.get("RouteEntryId") in ours_ids or (e.get("RouteEntryName") == owner_name(self.lab)
                                                             and hop == self.gateway_id)
                routes.append(Route(str(dest), hop, hop_type, str(e.get("Type") or ""), e.get("Status"), ours, table))
        body = self._read("DescribeVpnRouteEntries", VpnGatewayId=self.gateway_id, PageSize=_PAGE)
        recorded = {(v.route_dest, v.next_hop) for v in (manifest.vpn_route_entries if manifest else [])}
        for v in _items(body, "VpnRouteEntries", "VpnRouteEntry"):
            dest, hop = str(v.get("RouteDest")), v.get("NextHop")
            routes.append(Route(dest, hop, "VpnConnection", f"vpn-{v.get('RouteEntryType') or 'custom'}",
                                v.get("State"), (dest, hop) in recorded, "vpn-gateway"))
        return routes

    # --- teardown ------------------------------------------------------------------------------------

    def teardown(self, emit: EventSink = ignore) -> TeardownResult:
        """Delete what the manifest records plus what is recognisably ours (named ``vpnconsole-<lab>``
        or tagged ``vpnconsole-lab=<lab>``), in reverse dependency order; ``*.NotFound`` counts as done.
        The manifest is removed at the end."""
        started = self._clock()
        first = len(self.call_log)
        loaded = self._load_manifest()
        manifest = loaded.manifest if loaded else AlibabaManifest(self.region, self.gateway_id)
        # Deletes are idempotent by id (a gone code is success), so a teardown needs no resumable tokens;
        # a fresh nonce keeps an old token from replaying a stale "deleted" answer.
        nonce = new_nonce()
        result = TeardownResult()
        self._event(emit, "teardown", "start", "looking up what is ours", started)
        self._recognise(manifest, result)
        users: list[str] | None = None
        if manifest.customer_gateway_id and manifest.customer_gateway_created:
            users = [str(c.get("VpnConnectionId")) for c in self._connections_raw_all(manifest.customer_gateway_id)]
        plan = plan_teardown(self.profile, manifest, cgw_users=users, nonce=nonce)
        result.notes += list(plan.notes)
        if manifest.customer_gateway_id and not manifest.customer_gateway_created:
            result.kept.append(manifest.customer_gateway_id)
        for call in plan.calls:
            self._check_cancel()
            self._event(emit, call.step, "start", f"{call.action}: {call.summary or call.step}", started,
                        action=call.action, params=call.masked())
            body, how = self._invoke(call, emit=emit, started=started)
            ident = (call.params.get("RouteEntryId") or call.params.get("VpnConnectionId")
                     or call.params.get("CustomerGatewayId") or call.params.get("RouteDest")
                     or call.params.get("DestinationCidrBlock"))
            table = call.params.get("RouteTableId") or next(
                (r.route_table_id for r in manifest.route_entries if r.route_entry_id == ident), None)
            if how == "gone":
                result.already_gone.append(str(ident))
            else:
                self._wait(call, str(ident) if call.action != "DeleteRouteEntry" or call.params.get("RouteEntryId")
                           else None, emit, started, table)
                result.deleted.append(str(ident))
            self._forget(manifest, call)
            self._save_manifest(manifest, nonce, complete=False)
            self._event(emit, call.step, "done", f"{call.summary or call.step} {'already gone' if how == 'gone' else 'deleted'}",
                        started)
        self._remove_manifest()
        result.api_calls = len(self.call_log) - first
        self._event(emit, "teardown", "done", f"deleted {len(result.deleted)}, already gone {len(result.already_gone)}",
                    started)
        return result

    def _connections_raw_all(self, cgw_id: str) -> list[dict[str, Any]]:
        body = self._read("DescribeVpnConnections", CustomerGatewayId=cgw_id, PageSize=_PAGE)
        return [dict(i) for i in _items(body, "VpnConnections", "VpnConnection")]

    def _recognise(self, manifest: AlibabaManifest, result: TeardownResult) -> None:
        gateway = None
        try:
            gateway = self._describe_gateway()
        except AlibabaError as exc:
            if not (exc.code or "").endswith("NotFound"):
                raise
            result.notes.append(f"VPN gateway {self.gateway_id} does not exist")
        if gateway is not None:
            conn = self._find_connection(manifest.vpn_connection_id)
            if conn is not None and manifest.vpn_connection_id != conn.get("VpnConnectionId"):
                if manifest.vpn_connection_id:
                    result.notes.append(f"connection {manifest.vpn_connection_id} of the manifest is gone; "
                                        f"{conn.get('VpnConnectionId')} carries our name")
                manifest.vpn_connection_id = str(conn["VpnConnectionId"])
            table = self._system_route_table(gateway.get("VpcId"))
            if table:
                for e in self._route_entries(table, RouteEntryName=owner_name(self.lab)):
                    hop, _ = self._entry_next_hop(e)
                    dest = str(e.get("DestinationCidrBlock"))
                    if hop == self.gateway_id and not any(r.route_entry_id == e.get("RouteEntryId")
                                                          for r in manifest.route_entries):
                        manifest.route_entries = [r for r in manifest.route_entries
                                                  if not (r.route_table_id == table and r.destination == dest
                                                          and not r.route_entry_id)]
                        manifest.route_entries.append(RouteEntryRecord(table, dest, e.get("RouteEntryId") or None, hop))
        if not manifest.customer_gateway_id or not manifest.customer_gateway_created:
            for c in self._customer_gateways():
                if self._owned(c) and c.get("IpAddress") == self.profile.onprem.public_ip:
                    manifest.customer_gateway_id, manifest.customer_gateway_created = str(c["CustomerGatewayId"]), True

    def _forget(self, manifest: AlibabaManifest, call: Call) -> None:
        p = call.params
        if call.action == "DeleteRouteEntry":
            manifest.route_entries = [r for r in manifest.route_entries if not (
                (p.get("RouteEntryId") and r.route_entry_id == p.get("RouteEntryId"))
                or (not p.get("RouteEntryId") and r.route_table_id == p.get("RouteTableId")
                    and r.destination == p.get("DestinationCidrBlock")))]
        elif call.action == "DeleteVpnRouteEntry":
            manifest.vpn_route_entries = [v for v in manifest.vpn_route_entries
                                          if not (v.route_dest == p.get("RouteDest") and v.next_hop == p.get("NextHop"))]
        elif call.action == "DeleteVpnConnection":
            manifest.vpn_connection_id = None
        elif call.action == "DeleteCustomerGateway":
            manifest.customer_gateway_id, manifest.customer_gateway_created = None, False


def _secrets_in(value: Any) -> Iterable[Secret]:
    if isinstance(value, Secret):
        yield value
    elif isinstance(value, JsonText):
        yield from _secrets_in(value.fields)
    elif isinstance(value, Mapping):
        for v in value.values():
            yield from _secrets_in(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _secrets_in(v)


def connection_drift(wanted: Mapping[str, Any], live: Mapping[str, Any]) -> list[str]:
    """Names of the fields where a live connection (DescribeVpnConnection(s) item) differs from the
    revealed CreateVpnConnection parameters.  Names only — never values (one of them is the PSK)."""
    out: list[str] = []
    for key in ("LocalSubnet", "RemoteSubnet"):
        if _subnet_set(wanted.get(key)) != _subnet_set(live.get(key)):
            out.append(key)
    if "TunnelOptionsSpecification" in wanted:
        have = {str(t.get("Role")): t for t in _items(live, "TunnelOptionsSpecification", "TunnelOptions")}
        for spec in wanted["TunnelOptionsSpecification"]:
            role = str(spec.get("Role"))
            t = have.get(role)
            if t is None:
                out.append(f"tunnel {role}")
                continue
            for key in ("EnableDpd", "EnableNatTraversal", "CustomerGatewayId"):
                if key in spec and _norm(spec[key]) != _norm(t.get(key)):
                    out.append(f"{role}.{key}")
            for block, keys in (("TunnelIkeConfig", IKE_KEYS), ("TunnelIpsecConfig", IPSEC_KEYS)):
                want_b, have_b = spec.get(block) or {}, t.get(block) or {}
                out += [f"{role}.{block}.{k}" for k in keys
                        if k in want_b and _norm(want_b[k]) != _norm(have_b.get(k))]
    else:
        for key in ("EnableDpd", "EnableNatTraversal", "CustomerGatewayId"):
            if key in wanted and _norm(wanted[key]) != _norm(live.get(key)):
                out.append(key)
        for block, keys in (("IkeConfig", IKE_KEYS), ("IpsecConfig", IPSEC_KEYS)):
            raw = wanted.get(block)
            want_b = json.loads(raw) if isinstance(raw, str) else (raw or {})
            have_b = live.get(block) if isinstance(live.get(block), Mapping) else {}
            out += [f"{block}.{k}" for k in keys if k in want_b and _norm(want_b[k]) != _norm(have_b.get(k))]
    return out
