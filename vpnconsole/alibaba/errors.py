"""How an Alibaba API failure is classified (reference §1.6, §3.3, §5), without importing the SDK.

:func:`classify` looks at an exception raised by ``alibabacloud_vpc20160428`` (or anything else a
call raised) and says what the executor should do with it:

* ``RETRY`` — the API is busy or rate limiting: ``VpnGateway.Configuring``, ``*.Configuring``,
  ``OperationConflict``, ``TaskConflict``, ``IncorrectRouteEntryStatus``, ``LastTokenProcessing``,
  ``Throttling*`` (honouring ``x-acs-retry-after``), ``ServiceUnavailable`` and every 5xx that is
  not a write (a 5xx on a write is ``AMBIGUOUS``: it may have committed, issue #4808).
* ``AMBIGUOUS`` — the request may or may not have been executed: a transport failure, a timeout,
  a non-JSON answer (HTML 502 from a proxy), a 5xx on a write.  The executor re-reads the state
  before deciding, and retries with the *same* ClientToken.
* ``FATAL`` — anything else: stop and report the code, message and RequestId.

Messages built here never contain request parameters: a transport error's text can carry the
request URL, and for single-tunnel writes the query string holds the PSK, so only the exception
type names are kept.
"""

from __future__ import annotations

from dataclasses import dataclass

from vpnconsole.redact import redact

RETRY, AMBIGUOUS, FATAL = "retry", "ambiguous", "fatal"

#: Codes that mean "busy, try again" (§3.3, terraform's retry lists).
RETRYABLE_CODES = frozenset({
    "VpnGateway.Configuring", "VpnConnection.Configuring", "VpnRouteEntry.Configuring", "Appliance.Configuring",
    "VpnTask.CONFLICT", "TaskConflict", "OperationConflict", "LastTokenProcessing", "IdempotenceProcessing",
    "IncorrectRouteEntryStatus", "IncorrectVpcStatus", "IncorrectVSwitchStatus", "IncorrectInstanceStatus",
    "IncorrectStatus.RouteTableStatus", "IncorrectStatus.VpnGateway", "SystemBusy", "OperationFailed.DistibuteLock",
    "ServiceUnavailable", "UnknownError", "InternalError",
})
#: Codes where the gateway itself is the lock: wait for it to be ``active`` before retrying.
GATEWAY_BUSY_CODES = frozenset({
    "VpnGateway.Configuring", "VpnConnection.Configuring", "VpnRouteEntry.Configuring", "Appliance.Configuring",
    "VpnTask.CONFLICT", "IncorrectStatus.VpnGateway",
})
_BUSY_MESSAGE = "The current status of the resource does not support this operation, please retry again"


@dataclass(frozen=True)
class Failure:
    """What went wrong with one API call, in words that are safe to show."""

    kind: str  # RETRY | AMBIGUOUS | FATAL
    code: str | None  # Alibaba's error code; None for transport failures
    message: str  # Alibaba's message, or the transport failure's type names
    request_id: str | None = None
    status: int | None = None  # HTTP status, when there was an answer
    retry_after: float | None = None  # seconds, from x-acs-retry-after

    @property
    def gateway_busy(self) -> bool:
        return self.code in GATEWAY_BUSY_CODES

    def describe(self) -> str:
        head = self.code or "transport error"
        tail = f" (RequestId {self.request_id})" if self.request_id else ""
        status = f"HTTP {self.status} " if self.status else ""
        return f"{status}{head}: {self.message}{tail}"


class AlibabaError(Exception):
    """An Alibaba API call failed for good.  ``str()`` names the step, the action, the API's code,
    message and RequestId — never a request parameter, never the PSK."""

    def __init__(self, message: str, *, step: str | None = None, action: str | None = None,
                 failure: Failure | None = None):
        super().__init__(message)
        self.step = step
        self.action = action
        self.failure = failure

    @property
    def code(self) -> str | None:
        return self.failure.code if self.failure else None

    @property
    def request_id(self) -> str | None:
        return self.failure.request_id if self.failure else None


class GatewayLockedError(AlibabaError):
    """The VPN gateway cannot be changed (``BusinessStatus == FinancialLocked``: overdue payment)."""


class WaitTimeout(AlibabaError):
    """A wait (gateway back to active, route entry Available, …) did not end in time."""


def _type_chain(exc: BaseException) -> str:
    names: list[str] = []
    seen: set[int] = set()
    node: BaseException | None = exc
    while node is not None and id(node) not in seen and len(names) < 5:
        seen.add(id(node))
        names.append(type(node).__name__)
        inner = getattr(node, "inner_exception", None)
        node = inner if isinstance(inner, BaseException) else (node.__cause__ or node.__context__)
    return " ← ".join(names)


def _message_text(exc: BaseException, code: str | None, request_id: str | None) -> str:
    """Alibaba's own Message (from ``e.data``), else the SDK's ``e.message`` minus its decorations."""
    data = getattr(exc, "data", None)
    if isinstance(data, dict):
        for key in ("Message", "message"):
            if isinstance(data.get(key), str) and data[key]:
                return data[key]
    text = getattr(exc, "message", None)
    if isinstance(text, str) and text:
        # "code: 400, <Message> request id: <id>"
        if text.startswith("code: ") and ", " in text:
            text = text.split(", ", 1)[1]
        if request_id and f" request id: {request_id}" in text:
            text = text.replace(f" request id: {request_id}", "")
        return text.strip()
    return code or type(exc).__name__


def classify(exc: BaseException, *, write: bool, secrets: tuple[str, ...] = ()) -> Failure:
    """Classify an exception raised by one SDK call (``write``: the call changes something)."""
    code = getattr(exc, "code", None)
    code = code if isinstance(code, str) and code else None
    status = getattr(exc, "status_code", None)
    status = status if isinstance(status, int) else None
    request_id = getattr(exc, "request_id", None)
    data = getattr(exc, "data", None)
    if not request_id and isinstance(data, dict):
        request_id = data.get("RequestId") or data.get("requestId")
    request_id = request_id if isinstance(request_id, str) and request_id else None
    retry_after_ms = getattr(exc, "retry_after", None)
    retry_after = retry_after_ms / 1000.0 if isinstance(retry_after_ms, (int, float)) and retry_after_ms > 0 else None

    if code is None and status is None:
        # Transport trouble (refused, reset, timeout, TLS), a non-JSON answer (HTML 502), a credential
        # provider failure.  Only type names: the text may hold the URL, and the URL the PSK.
        names = _type_chain(exc)
        if "credential" in names.lower() or "unable to load credentials" in str(getattr(exc, "message", "")):
            return Failure(FATAL, None, "the Alibaba credentials could not be loaded (" + names + ")")
        return Failure(AMBIGUOUS, None, names)

    message = redact(_message_text(exc, code, request_id), secrets)
    if code and (code.startswith("Throttling") or code == "Rejected.Throttling"):
        return Failure(RETRY, code, message, request_id, status, retry_after)
    if retry_after is not None:
        return Failure(RETRY, code, message, request_id, status, retry_after)
    if status is not None and status >= 500:
        if code == "ServiceUnavailable" and status == 503:
            return Failure(RETRY, code, message, request_id, status)  # refused before doing anything
        return Failure(AMBIGUOUS if write else RETRY, code, message, request_id, status)
    if code in RETRYABLE_CODES or _BUSY_MESSAGE in message:
        return Failure(RETRY, code, message, request_id, status, retry_after)
    return Failure(FATAL, code, message, request_id, status)
