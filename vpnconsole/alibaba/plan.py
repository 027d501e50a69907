"""The Alibaba request plan: an ordered list of API calls, SDK-free, secrets kept as :class:`Secret`.

A :class:`Call` is one VPC API request: a step id, the Action name and its parameters with
PascalCase keys exactly as the API takes them.  A parameter value is one of

* a plain ``str`` / ``int`` / ``bool``;
* a :class:`~vpnconsole.redact.Secret` (the PSK) — shown as ``******`` until revealed;
* a :class:`Ref` to a field of an earlier step's response (``Ref("customer-gateway",
  "CustomerGatewayId")``), resolved when the call is executed;
* a :class:`JsonText` — a parameter the API takes as a JSON *string* (single-tunnel ``IkeConfig`` /
  ``IpsecConfig``).  It keeps its fields (including the Secret) and is serialised only when the call
  is masked (display) or revealed (the wire), so the PSK never sits in a plain string before then;
* a ``dict`` / ``list`` of the above (dual-tunnel ``TunnelOptionsSpecification``, ``Tags``).

Three views of a call: :meth:`Call.masked` (JSON-able, secrets ``******``, refs ``${step.Field}``:
for the screen, logs and the audit record), :meth:`Call.reveal` (the real parameters — refs
resolved, secrets in clear, JSON strings built; only to be handed to the SDK) and :func:`render_plan`
(readable text).  Nothing here imports the Alibaba SDK, so ``vpnconsole render`` stays fast.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Iterator, Mapping, Sequence

from vpnconsole.redact import MASK, Secret


class UnresolvedRef(LookupError):
    """A :class:`Ref` whose step has no result yet, or whose result lacks the field."""


@dataclass(frozen=True)
class Ref:
    """A field of an earlier step's response body (as ``.body.to_map()`` gives it).

    ``field`` is a dotted path; list items are addressed by 0-based digits, e.g.
    ``"RouterTableList.RouterTableListType.0.RouteTableId"``.
    """

    step: str
    field: str

    def resolve(self, results: Mapping[Any, Any]) -> Any:
        """The value, from ``results``: step id → response body, or this Ref → its value."""
        if self in results:
            return results[self]
        if self.step not in results:
            raise UnresolvedRef(f"step {self.step!r} has no result yet (needed for {self})")
        node: Any = results[self.step]
        for part in self.field.split("."):
            if isinstance(node, Mapping) and part in node:
                node = node[part]
            elif isinstance(node, Sequence) and not isinstance(node, str) and part.isdigit() \
                    and int(part) < len(node):
                node = node[int(part)]
            else:
                raise UnresolvedRef(f"the result of step {self.step!r} has no {self.field!r}")
        if node is None or node == "":
            raise UnresolvedRef(f"the result of step {self.step!r} has an empty {self.field!r}")
        return node

    def __str__(self) -> str:
        return f"${{{self.step}.{self.field}}}"


class JsonText:
    """A parameter the API takes as a JSON string; built at mask/reveal time (it may hold a Secret)."""

    __slots__ = ("fields",)

    def __init__(self, fields: Mapping[str, Any]):
        self.fields: dict[str, Any] = dict(fields)

    def masked(self) -> str:
        return json.dumps(_masked(self.fields), separators=(",", ":"))

    def reveal(self, results: Mapping[Any, Any] | None = None) -> str:
        return json.dumps(_revealed(self.fields, results or {}), separators=(",", ":"))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, JsonText) and other.fields == self.fields

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"JsonText({self.masked()})"

    __str__ = masked


def _masked(value: Any) -> Any:
    if isinstance(value, Secret):
        return MASK
    if isinstance(value, Ref):
        return str(value)
    if isinstance(value, JsonText):
        return value.masked()
    if isinstance(value, Mapping):
        return {k: _masked(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_masked(v) for v in value]
    return value


def _revealed(value: Any, results: Mapping[Any, Any]) -> Any:
    if isinstance(value, Secret):
        return value.reveal()
    if isinstance(value, Ref):
        return value.resolve(results)
    if isinstance(value, JsonText):
        return value.reveal(results)
    if isinstance(value, Mapping):
        return {k: _revealed(v, results) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_revealed(v, results) for v in value]
    return value


def _refs(value: Any) -> Iterator[Ref]:
    if isinstance(value, Ref):
        yield value
    elif isinstance(value, JsonText):
        yield from _refs(value.fields)
    elif isinstance(value, Mapping):
        for v in value.values():
            yield from _refs(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _refs(v)


#: ``Call.wait_for`` vocabulary: what the executor polls for after the call succeeded (§3.2 step 4).
WAIT_HINTS = {
    "vpn-connection-active": "the VPN gateway back to active, then the connection's State == active",
    "vpn-connection-gone": "the VPN gateway back to active, then DescribeVpnConnection → 404",
    "route-entry-available": "the VPC route entry's Status == Available",
    "route-entry-gone": "the VPC route entry absent from DescribeRouteEntryList",
    "vpn-route-gone": "the VPN gateway back to active, then the VPN route absent",
}


@dataclass(frozen=True, eq=True)
class Call:
    """One API request of a plan."""

    step: str  # unique in its plan: "customer-gateway", "vpn-connection", "vpc-route:192.168.0.0/24"
    action: str  # the API action, e.g. "CreateVpnConnection"
    params: Mapping[str, Any]  # PascalCase keys; values as described in the module docstring
    summary: str = ""  # one line for people
    #: What the call creates, for the manifest: customer_gateway | vpn_connection | route_entry.
    creates: str | None = None
    #: Field of the response body holding the created object's id.
    result_id: str | None = None
    #: Error codes meaning "what this call wants is already there": look it up and adopt it, but do
    #: NOT record it as created by us (teardown must leave it alone).
    adopt_codes: tuple[str, ...] = ()
    #: Error codes that mean success for a delete (already gone).
    gone_codes: tuple[str, ...] = ()
    #: What to wait for after success (a key of :data:`WAIT_HINTS`), or None (synchronous).
    wait_for: str | None = None

    @property
    def client_token(self) -> str | None:
        token = self.params.get("ClientToken")
        return token if isinstance(token, str) else None

    @property
    def mutating(self) -> bool:
        return not self.action.startswith("Describe")

    def refs(self) -> list[Ref]:
        return list(dict.fromkeys(_refs(self.params)))

    def masked(self) -> dict[str, Any]:
        """Parameters for display, logs and audit: secrets ``******``, refs ``${step.Field}``,
        JSON-string parameters as the (masked) string that would be sent."""
        return _masked(self.params)

    def reveal(self, results: Mapping[Any, Any] | None = None) -> dict[str, Any]:
        """The real request parameters: refs resolved from ``results`` (step id → response body
        map, or Ref → value), secrets in clear, JSON-string parameters serialised.  Hand the result
        to the SDK and drop it; never log it."""
        return _revealed(self.params, results or {})

    def __str__(self) -> str:
        return f"{self.step}: {self.action}" + (f" — {self.summary}" if self.summary else "")

    def __repr__(self) -> str:
        return f"Call(step={self.step!r}, action={self.action!r}, params={self.masked()!r})"


@dataclass(frozen=True)
class AlibabaPlan:
    """An ordered list of calls for one lab: ``kind`` is ``apply`` or ``teardown``."""

    lab: str
    region: str
    kind: str
    calls: tuple[Call, ...]
    nonce: str  # part of every ClientToken; keep the plan (or its nonce) to retry the same operations
    dual_tunnel: bool | None = None  # None for teardown plans
    notes: tuple[str, ...] = field(default=())

    def __iter__(self) -> Iterator[Call]:
        return iter(self.calls)

    def __len__(self) -> int:
        return len(self.calls)

    def step(self, step_id: str) -> Call:
        for call in self.calls:
            if call.step == step_id:
                return call
        raise KeyError(step_id)

    @property
    def actions(self) -> list[str]:
        return [c.action for c in self.calls]

    def masked(self) -> list[dict[str, Any]]:
        """JSON-able, secret-free form of the whole plan (for ``--json`` and audit records)."""
        return [{"step": c.step, "action": c.action, "params": c.masked(), "summary": c.summary,
                 "creates": c.creates, "wait_for": c.wait_for} for c in self.calls]

    def text(self, *, reveal: bool = False, results: Mapping[Any, Any] | None = None) -> str:
        """Readable text (:func:`render_plan`): secrets ``******`` unless ``reveal``."""
        return render_plan(self, reveal=reveal, results=results)

    def __str__(self) -> str:
        return render_plan(self)

    def __repr__(self) -> str:
        return (f"AlibabaPlan(lab={self.lab!r}, kind={self.kind!r}, region={self.region!r}, "
                f"nonce={self.nonce!r}, calls={list(self.calls)!r})")


# --- rendering -------------------------------------------------------------------------------------

def _display_value(value: Any, *, reveal: bool, results: Mapping[Any, Any]) -> Any:
    """Like _masked/_revealed, but a Ref that cannot be resolved stays a placeholder, and a JsonText
    is kept as a structure so it can be pretty-printed."""
    if isinstance(value, Secret):
        return value.reveal() if reveal else MASK
    if isinstance(value, Ref):
        try:
            return value.resolve(results)
        except UnresolvedRef:
            return str(value)
    if isinstance(value, JsonText):
        return _JsonShown(_display_value(value.fields, reveal=reveal, results=results))
    if isinstance(value, Mapping):
        return {k: _display_value(v, reveal=reveal, results=results) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_display_value(v, reveal=reveal, results=results) for v in value]
    return value


class _JsonShown(dict):
    pass


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _pretty(value: Any) -> str:
    def plain(v: Any) -> Any:
        if isinstance(v, Mapping):
            return {k: plain(x) for k, x in v.items()}
        if isinstance(v, list):
            return [plain(x) for x in v]
        return v
    return json.dumps(plain(value), indent=2, ensure_ascii=False)


def render_call(call: Call, index: int | None = None, *, reveal: bool = False,
                results: Mapping[Any, Any] | None = None) -> str:
    """One call as a block: the Action, then ``key = value`` lines; JSON configs pretty-printed."""
    head = f"[{index}] " if index is not None else ""
    lines = [f"{head}{call.action}    # step {call.step}" + (f": {call.summary}" if call.summary else "")]
    shown = _display_value(call.params, reveal=reveal, results=results or {})
    width = max((len(k) for k in shown), default=0)
    for key, value in shown.items():
        if isinstance(value, _JsonShown):
            body = _pretty(value).replace("\n", "\n    " + " " * (width + 3))
            lines.append(f"    {key.ljust(width)} = {body}    (sent as a JSON string)")
        elif isinstance(value, (Mapping, list)):
            compact = json.dumps(value, ensure_ascii=False)
            body = compact if len(compact) <= 72 else _pretty(value).replace("\n", "\n    " + " " * (width + 3))
            lines.append(f"    {key.ljust(width)} = {body}")
        else:
            lines.append(f"    {key.ljust(width)} = {_scalar(value)}")
    return "\n".join(lines)


def render_plan(plan: AlibabaPlan, *, reveal: bool = False, results: Mapping[Any, Any] | None = None) -> str:
    """The plan as readable text, one call per block.  Secrets are ``******`` unless ``reveal``."""
    mode = "" if plan.dual_tunnel is None else (", dual-tunnel" if plan.dual_tunnel else ", single-tunnel")
    out = [f"# Alibaba {plan.kind} plan for lab {plan.lab} (region {plan.region}{mode}); "
           f"{len(plan.calls)} call{'s' if len(plan.calls) != 1 else ''}, ClientToken nonce {plan.nonce}"]
    out += [f"# note: {n}" for n in plan.notes]
    if not plan.calls:
        out.append("# nothing to do")
    for i, call in enumerate(plan.calls, 1):
        out.append("")
        out.append(render_call(call, i, reveal=reveal, results=results))
    return "\n".join(out) + "\n"
