"""Both ends behind one interface: plan · diff · apply · status · teardown, with events.

The engine owns what spans the two ends: reading them concurrently, the live three-way diff, the
verdict, the per-lab lock and the audit log.  Each end is an adapter with the same shape
(``h3c.device.H3CEnd``, ``alibaba.gateway.AlibabaEnd``: ``read() → EndState``, ``apply``,
``teardown``); both block (netmiko, the synchronous SDK), so they run in worker threads and the
event loop — the TUI's, or the CLI's ``asyncio.run`` — never blocks.  No Textual here.
"""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from vpnconsole.audit import AuditLog, lab_lock, profile_hash
from vpnconsole.diagnose import Comparison, End, compare
from vpnconsole.endstate import Cancelled, EndState, Event, EventSink, ignore
from vpnconsole.verdict import Verdict, decide


@dataclass
class StatusReport:
    h3c: EndState
    alibaba: EndState
    comparison: Comparison
    verdict: Verdict
    elapsed: float

    def as_dict(self) -> dict[str, Any]:
        return {"schema_version": 1, "verdict": self.verdict.as_dict(), "diff": self.comparison.as_dict(),
                "ends": {"h3c": _state_dict(self.h3c), "alibaba": _state_dict(self.alibaba)},
                "elapsed_s": round(self.elapsed, 3)}


def _state_dict(state: EndState) -> dict[str, Any]:
    return {"reachable": state.reachable, "configured": state.params is not None,
            "tunnels": [t.__dict__ for t in state.tunnels],
            "routes": [r.__dict__ for r in state.routes], "errors": list(state.errors), "notes": list(state.notes),
            "facts": {k: v for k, v in state.facts.items() if isinstance(v, (str, int, float, bool, type(None)))}}


@dataclass
class OperationResult:
    """What an apply or a teardown did on each end (None: that end was not asked)."""

    operation: str
    h3c: Any = None
    alibaba: Any = None
    errors: dict[str, str] = field(default_factory=dict)  # end → message
    rolled_back: bool = False
    notes: list[str] = field(default_factory=list)
    renegotiated: bool = False  # apply asked Alibaba to negotiate again once the router was configured

    @property
    def ok(self) -> bool:
        return not self.errors


class CancelFlag:
    """A cancel token both adapters check at their safe points (between lines, between calls, in waits)."""

    def __init__(self) -> None:
        self._event = threading.Event()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def cancel(self) -> None:
        self._event.set()


@dataclass
class Plans:
    """What an apply or a teardown would send to each end: a plan object (``.script()``/``.text()``,
    secrets masked) or the exception that stopped planning that end."""

    operation: str
    ends: dict[str, Any]

    def texts(self) -> dict[str, str]:
        out = {}
        for end, plan in self.ends.items():
            if isinstance(plan, Exception):
                out[end] = f"# cannot plan: {plan}"
            elif hasattr(plan, "script"):  # Comware lines, or an ER checklist (as Markdown)
                out[end] = plan.script(reveal=False)
            else:
                out[end] = plan.text(reveal=False)
        return out


class Engine:
    def __init__(self, profile: Any, store: Any, *, h3c: Any = None, alibaba: Any = None,
                 emit: EventSink = ignore, audit: AuditLog | None = None, **h3c_options: Any):
        from vpnconsole.paths import lab_state_dir

        self.profile = profile
        self.store = store
        self.emit = emit
        state_dir = lab_state_dir(profile.name)
        if h3c is None:
            from vpnconsole.algorithms import is_er

            if is_er(profile.platform):
                # A web-managed ER: no CLI; a checklist the operator enters, verified from the cloud side.
                from vpnconsole.h3c.er_end import ErEnd

                h3c = ErEnd(profile, store, state_dir=state_dir, **h3c_options)
            else:
                from vpnconsole.h3c.device import H3CEnd

                h3c = H3CEnd(profile, store, state_dir=state_dir, **h3c_options)
        if alibaba is None:
            from vpnconsole.alibaba.gateway import AlibabaEnd

            # DescribeVpnGateway allows 600 calls a minute (reference §2.7): polling each wait once a
            # second costs little and shows progress without the 3 s default's dead time.
            alibaba = AlibabaEnd(profile, store, state_dir=state_dir, poll_interval=1.0)
        self.h3c, self.alibaba = h3c, alibaba
        self.audit = audit or AuditLog(profile.name)
        self._cancel = CancelFlag()

    # -- cancelling -----------------------------------------------------------------------------

    def cancel(self) -> None:
        """Ask the running apply/teardown/renegotiate to stop at the next safe point on both ends.
        A cancelled apply rolls the router back; a cancelled teardown is finished by running it again."""
        self._cancel.cancel()

    def _arm(self) -> None:
        """A fresh token for a new operation, handed to both adapters (an adapter without one is not
        cancellable)."""
        self._cancel = CancelFlag()
        for adapter in (self.h3c, self.alibaba):
            if hasattr(adapter, "cancel"):
                adapter.cancel = self._cancel

    # -- reading --------------------------------------------------------------------------------

    async def _read(self, end: End, adapter: Any) -> EndState:
        try:
            return await asyncio.to_thread(adapter.read)
        except Exception as exc:  # an end that cannot be read is a verdict, not a crash
            return EndState(end, False, None, errors=(str(exc) or type(exc).__name__,))

    async def read(self) -> tuple[EndState, EndState]:
        """Both ends, concurrently."""
        return await asyncio.gather(self._read(End.H3C, self.h3c), self._read(End.ALIBABA, self.alibaba))

    def _profile_params(self):
        psk = self.store.get(self.profile.name, "psk") if self.store is not None else None
        return self.profile.params(psk.fingerprint if psk is not None else None)

    async def status(self) -> StatusReport:
        start = time.monotonic()
        h3c, alibaba = await self.read()
        comparison = compare(self._profile_params(), h3c.params, alibaba.params, platform=self.profile.platform)
        verdict = decide(h3c, alibaba, comparison, onprem_subnets=self.profile.onprem.subnets,
                         cloud_subnets=self.profile.cloud.subnets, wan_interface=self.profile.onprem.wan_interface,
                         gateway_id=self.profile.cloud.vpn_gateway_id)
        return StatusReport(h3c, alibaba, comparison, verdict, time.monotonic() - start)

    async def diff(self) -> StatusReport:
        return await self.status()

    # -- changing -------------------------------------------------------------------------------

    def _psk(self):
        psk = self.store.get(self.profile.name, "psk") if self.store is not None else None
        if psk is None:
            raise EngineError(f"no PSK stored for lab {self.profile.name!r}; run `vpnconsole secret generate "
                              f"{self.profile.name}` or `vpnconsole secret set {self.profile.name} psk`")
        return psk

    async def _ensure_gateway_ips(self) -> None:
        """The H3C side needs the gateway's public IPs; discover them when the profile has none."""
        if self.profile.cloud.gateway_ips:
            return
        facts = await asyncio.to_thread(self.alibaba.discover, self.emit)
        ips = list(facts.ips)
        self.profile.cloud.gateway_ips = ips
        self.emit(Event(End.ALIBABA, "discover", "info", f"gateway IPs discovered: {', '.join(ips)}"))

    async def plans(self, ends: tuple[str, ...] = ("h3c", "alibaba"), *, teardown: bool = False) -> Plans:
        """What :meth:`apply` (or :meth:`teardown`) would send, planned against the live ends, both
        concurrently; secrets stay masked in the texts.  An end that cannot be planned carries its
        exception instead of a plan."""
        out: dict[str, Any] = {}
        if "h3c" in ends:
            def h3c_plan() -> Any:
                from vpnconsole.h3c import render

                if teardown and hasattr(self.h3c, "teardown_checklist"):
                    return self.h3c.teardown_checklist()  # a web-managed ER: what to delete by hand
                live = self.h3c.read_config()
                if teardown:
                    from vpnconsole.h3c.parse import parse_config

                    # The same scoping as the real teardown: recorded in the manifest AND ours by name/marker.
                    return render.render_teardown(self.profile, config=parse_config(live, self.profile.name,
                                                                                    self.profile.platform),
                                                  manifest=self.h3c.load_manifest())
                return self.h3c.render(live)
            out["h3c"] = asyncio.to_thread(h3c_plan)
        if "alibaba" in ends and teardown:
            from vpnconsole.alibaba import translate

            out["alibaba"] = asyncio.to_thread(lambda: translate.plan_teardown(
                self.profile, self.alibaba.load_manifest()))
        elif "alibaba" in ends:
            out["alibaba"] = asyncio.to_thread(self.alibaba.plan, self._psk())
        if not teardown and "h3c" in ends:
            await self._ensure_gateway_ips()
        results = await asyncio.gather(*out.values(), return_exceptions=True)
        for outcome in results:
            if isinstance(outcome, BaseException) and not isinstance(outcome, Exception):
                raise outcome
        return Plans("teardown" if teardown else "apply", dict(zip(out, results)))

    async def renegotiate(self) -> OperationResult:
        """Reset the SAs on the router and ask Alibaba to negotiate again, both concurrently."""
        result = OperationResult("renegotiate")
        self._arm()
        jobs = {}
        if hasattr(self.h3c, "reset_sas"):
            jobs["h3c"] = asyncio.to_thread(self.h3c.reset_sas, self.emit)
        jobs["alibaba"] = asyncio.to_thread(self.alibaba.renegotiate, self.emit)
        await _collect(jobs, result)
        result.renegotiated = "alibaba" not in result.errors
        return result

    async def apply(self, ends: tuple[str, ...] = ("h3c", "alibaba")) -> OperationResult:
        psk = self._psk()
        result = OperationResult("apply")
        self._arm()
        with lab_lock(self.profile.name, "apply"):
            await self._ensure_gateway_ips()
            jobs = {}
            if "h3c" in ends:
                jobs["h3c"] = asyncio.to_thread(self.h3c.apply, None, self.emit)
            if "alibaba" in ends:
                jobs["alibaba"] = asyncio.to_thread(self.alibaba.apply, psk, self.emit)
            await _collect(jobs, result)
            # Only when asked for both ends: `--end h3c` must not write to Alibaba.
            if "h3c" in ends and "alibaba" in ends and "h3c" not in result.errors and (
                    getattr(result.h3c, "changed", False) or not self._last_apply_ok()):
                await self._kick(result)
            self._audit(result)
        return result

    def _last_apply_ok(self) -> bool:
        """Did the previous apply of this lab (the audit log's last record) complete?  An interrupted
        one may have left Alibaba waiting for its next retry although both ends are now configured."""
        try:
            last = next((e for e in reversed(self.audit.entries()) if e.get("operation") == "apply"), None)
        except OSError:
            return True
        return last is None or bool(last.get("ok"))

    async def _kick(self, result: OperationResult) -> None:
        """The router just got (new) configuration: ask Alibaba to negotiate now.

        Alibaba initiates as soon as its connection takes effect, which, with both ends applied
        concurrently, is usually before the router has its policy; the failed attempt is then only
        retried after Alibaba's retry interval.  Best effort: a failure is a note, not an error."""
        if "alibaba" in result.errors:
            return
        try:
            await asyncio.to_thread(self.alibaba.renegotiate, self.emit)
        except Cancelled:
            raise
        except Exception as exc:  # noqa: BLE001 - the tunnel will still come up on Alibaba's retry
            result.notes.append(f"could not ask Alibaba to renegotiate now: {exc}")
            try:
                self.emit(Event(End.ALIBABA, "renegotiate", "info", result.notes[-1]))
            except Exception:  # noqa: BLE001 - a listener failing must not lose the audit record
                pass
        else:
            result.renegotiated = True

    async def teardown(self, ends: tuple[str, ...] = ("h3c", "alibaba")) -> OperationResult:
        result = OperationResult("teardown")
        self._arm()
        with lab_lock(self.profile.name, "teardown"):
            jobs = {}
            if "h3c" in ends:
                jobs["h3c"] = asyncio.to_thread(self.h3c.teardown, self.emit)
            if "alibaba" in ends:
                jobs["alibaba"] = asyncio.to_thread(self.alibaba.teardown, self.emit)
            await _collect(jobs, result)
            self._audit(result)
        return result

    def _audit(self, result: OperationResult) -> None:
        fields: dict[str, Any] = {"profile": profile_hash(self.profile), "ok": result.ok, "errors": result.errors}
        if result.notes or result.renegotiated:
            fields["notes"] = list(result.notes) + (["asked Alibaba to renegotiate"] if result.renegotiated else [])
        h3c = result.h3c
        if h3c is not None:
            fields["h3c"] = {"sent": list(getattr(h3c, "lines", [])), "saved": getattr(h3c, "saved", None),
                             "notes": list(getattr(h3c, "notes", []))}
        ali = result.alibaba
        if ali is not None:
            fields["alibaba"] = {k: getattr(ali, k) for k in ("created", "modified", "adopted", "unchanged",
                                                               "deleted", "already_gone", "kept", "notes")
                                 if hasattr(ali, k)}
        # every Alibaba API call since the previous audit record (this operation, and reads in between):
        # action, step, masked parameters, the answer's RequestId and the error code of a failed call.
        # Also when the operation failed (result.alibaba is None then): the failing call's RequestId is
        # what Alibaba support asks for.
        records = getattr(self.alibaba, "call_records", None)
        if isinstance(records, list):
            log = getattr(self.alibaba, "call_log", None)
            params = log if isinstance(log, list) and len(log) == len(records) else None
            total = len(records)
            first = min(getattr(self, "_audited_calls", 0), total)
            self._audited_calls = total
            picked = list(range(first, total))
            if len(picked) > 200:  # keep every write and every failure, then the latest reads
                important = [i for i in picked if records[i].get("code")
                             or not str(records[i].get("action", "")).startswith("Describe")][-200:]
                taken = set(important)
                room = 200 - len(important)
                reads = [i for i in picked if i not in taken][-room:] if room > 0 else []
                picked = sorted(taken.union(reads))
            calls = []
            for i in picked:
                r = records[i]
                entry = {k: r.get(k) for k in ("action", "step", "request_id", "code")}
                if params is not None:
                    entry["params"] = params[i][1]  # masked JSON, as logged
                calls.append(entry)
            if calls:
                fields.setdefault("alibaba", {})["calls"] = calls
        else:
            log = getattr(self.alibaba, "call_log", None)
            if ali is not None and log:  # an adapter without call_records: (action, masked parameters)
                fields["alibaba"]["calls"] = [{"action": a, "params": p} for a, p in log[-200:]]
        self.audit.record(result.operation, **fields)


async def _collect(jobs: dict[str, Any], result: OperationResult) -> None:
    """Run both ends' jobs concurrently; each end's outcome or error lands in ``result``.  An error of
    one end never stops the other; only a non-Exception (KeyboardInterrupt, CancelledError) propagates."""
    outcomes = await asyncio.gather(*jobs.values(), return_exceptions=True)
    for end, outcome in zip(jobs, outcomes):
        if isinstance(outcome, BaseException):
            if not isinstance(outcome, Exception):
                raise outcome
            result.errors[end] = str(outcome) or type(outcome).__name__
            # DeviceError.rolled_back is None when no rollback was attempted (e.g. the session dropped)
            result.rolled_back |= end == "h3c" and bool(getattr(outcome, "rolled_back", False))
        else:
            setattr(result, end, outcome)


class EngineError(Exception):
    pass


def run(coro_factory: Callable[[], Any]) -> Any:
    """Run an engine coroutine from synchronous code (the CLI)."""
    return asyncio.run(coro_factory())
