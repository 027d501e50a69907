"""The H3C end when the router is a web-managed ER: same adapter shape as ``H3CEnd``, honest about
what it cannot do.

An ER (reference h3c §3) has no CLI to push to or read from.  So this adapter:

* ``render()`` returns the ER checklist (:mod:`vpnconsole.h3c.er_checklist`) instead of CLI lines;
* ``apply()`` sends nothing: it records the operator's confirmation ("I have entered it") together
  with the checklist's content hash, and its result's notes say exactly that.  Without a
  confirmation (:meth:`ErEnd.confirm`) it only says what is awaited;
* ``read()`` cannot read the router's configuration or SAs: ``params`` stays None and the facts say
  ``readable: False`` (the verdict then takes tunnel state and negotiation logs from Alibaba instead
  of calling the lab "not configured").  What it *can* check is whether the ER answers: its web GUI
  (TCP to ``onprem.device.host:port``) when a host is set, else an ICMP echo to its WAN address;
* ``teardown()`` removes nothing from the router either: it drops the confirmation record and its
  notes name what to delete by hand (the teardown checklist).

The confirmation record (``er-confirmation.json`` in the lab's state directory) holds the lab, the
checklist hash, the PSK fingerprint and when — never a value of the checklist.
"""

from __future__ import annotations

import asyncio
import getpass
import json
import os
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from vpnconsole.diagnose import End, diff
from vpnconsole.endstate import EndState, Event, EventSink, ignore
from vpnconsole.h3c.er_checklist import (Checklist, ChecklistError, read_back, render_checklist,
                                         render_teardown_checklist)
from vpnconsole.redact import Secret

#: Reachability check: (address, TCP port or None for ICMP, timeout) → True answered, False no
#: answer, None could not check.  Injectable for tests; the default uses sockets / vpnconsole.icmp.
Reach = Callable[[str, "int | None", float], "bool | None"]

CONFIRMATION_FILE = "er-confirmation.json"

# What the console can and cannot know about an ER (the verdict shows these lines).
CHECK_CONFIG = "configuration and SAs: not readable (the ER is web-managed, no CLI)"
CHECK_TUNNEL = "tunnel state and negotiation log: from the Alibaba side"
CHECK_PROBE = "traffic through the tunnel: `vpnconsole probe` (from the jump host)"


class ErEndError(Exception):
    """The checklist cannot be rendered or does not read back as the profile."""


@dataclass
class ErResult:
    """What apply/teardown did on an ER: never anything on the router itself."""

    changed: bool = False  # a new confirmation was recorded (Alibaba should negotiate again)
    confirmed: bool = False  # the operator said the checklist is entered (apply) / removed (teardown)
    checklist_hash: str | None = None
    saved: bool | None = None  # nothing is saved on the router by the console
    lines: list[str] = field(default_factory=list)  # nothing is ever sent
    notes: list[str] = field(default_factory=list)


def default_reach(address: str, port: int | None, timeout: float) -> bool | None:
    """TCP connect to ``address:port``, or one ICMP echo when ``port`` is None (None: ICMP not possible)."""
    if port is not None:
        try:
            with socket.create_connection((address, port), timeout=timeout):
                return True
        except OSError:
            return False

    async def echo() -> bool | None:
        from vpnconsole import icmp

        choice, release = icmp.choose()
        try:
            if choice.fn is None:
                return None
            return await choice.fn(address, timeout)
        finally:
            release()
    try:
        return asyncio.run(echo())
    except (OSError, RuntimeError):
        return None


class ErEnd:
    """The H3C ER of one lab profile (``onprem.device.platform: er | er-legacy``)."""

    def __init__(self, profile: Any, store: Any = None, *, state_dir: str | os.PathLike[str] | None = None,
                 reach: Reach | None = None, confirmed: bool = False, reach_timeout: float | None = None,
                 **_comware_options: Any):
        # Comware-only options (host keys, session logs…) are accepted and ignored: the engine passes
        # the same options whatever the platform.
        self.profile = profile
        self.store = store
        self.lab = profile.name
        self._state_dir = Path(state_dir) if state_dir is not None else None
        self.reach = reach or default_reach
        self.confirmed = confirmed
        self.reach_timeout = reach_timeout if reach_timeout is not None else min(float(profile.probe.timeout_s), 3.0)
        self.last_result: ErResult | None = None
        self.cancel: Any = None

    # -- basics ------------------------------------------------------------------------------------
    @property
    def platform(self) -> str:
        return self.profile.platform

    @property
    def state_dir(self) -> Path:
        if self._state_dir is None:
            from vpnconsole.paths import lab_state_dir

            self._state_dir = lab_state_dir(self.lab)
        self._state_dir.mkdir(parents=True, exist_ok=True)
        return self._state_dir

    @property
    def confirmation_path(self) -> Path:
        return self.state_dir / CONFIRMATION_FILE

    def _psk(self) -> Secret | None:
        return self.store.get(self.lab, "psk") if self.store is not None else None

    def confirm(self, yes: bool = True) -> None:
        """The operator says the checklist is entered (before apply) or removed (before teardown)."""
        self.confirmed = yes

    # -- render ------------------------------------------------------------------------------------
    def checklist(self, psk: Secret | None = None) -> Checklist:
        try:
            return render_checklist(self.profile, psk if psk is not None else self._psk())
        except ChecklistError as exc:
            raise ErEndError(str(exc)) from None

    def teardown_checklist(self) -> Checklist:
        return render_teardown_checklist(self.profile)

    def read_config(self, emit: EventSink = ignore) -> str:
        """Nothing can be read from an ER; the empty text keeps callers of the Comware shape working."""
        return ""

    def render(self, config_text: str = "") -> Checklist:
        """The set-up checklist (the ER's "plan"); ``config_text`` is ignored (there is none)."""
        return self.checklist()

    def load_manifest(self) -> dict[str, Any] | None:
        """The operator's last confirmation, or None."""
        try:
            data = json.loads(self.confirmation_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) and data.get("lab") == self.lab else None

    # -- read --------------------------------------------------------------------------------------
    def _wan_check(self) -> tuple[bool, str]:
        """(reachable, what was checked and what it said)."""
        device = self.profile.onprem.device
        timeout = self.reach_timeout
        if device.host:
            target, port, how = device.host, int(device.port), f"web GUI {device.host}:{device.port} (TCP)"
        elif self.profile.probe.icmp:
            target, port, how = self.profile.onprem.public_ip, None, f"WAN address {self.profile.onprem.public_ip} (ICMP)"
        else:
            return True, "not checked (no onprem.device.host and probe.icmp is off)"
        answer = self.reach(target, port, timeout)
        if answer is None:
            return True, f"{how}: could not check (ICMP not possible from this process)"
        if answer:
            return True, f"{how}: answered"
        extra = "" if port is not None else " (many ERs drop pings on the WAN)"
        return False, f"{how}: no answer within {timeout:g} s{extra}"

    def read(self, emit: EventSink = ignore) -> EndState:
        t0 = time.monotonic()
        reachable, wan = self._wan_check()
        record = self.load_manifest()
        current = None
        try:
            current = self.checklist().content_hash() if self.profile.cloud.gateway_ips else None
        except ErEndError:
            current = None
        confirmed = record is not None
        current_ok = confirmed and current is not None and record.get("checklist_hash") == current
        notes = [CHECK_CONFIG, CHECK_TUNNEL, f"reachability: {wan}"]
        if not confirmed:
            notes.append("the operator has not confirmed entering the ER checklist")
        elif current is not None and not current_ok:
            notes.append("the checklist changed since the operator confirmed it: enter the changes and confirm again")
        facts: dict[str, Any] = {
            "platform": self.platform, "web_managed": True, "readable": False,
            "wan_check": wan, "confirmed": confirmed, "confirmed_current": current_ok,
            "checklist_hash": current, "checks": {"configuration": CHECK_CONFIG, "tunnel": CHECK_TUNNEL,
                                                  "reachability": wan, "probe": CHECK_PROBE},
        }
        errors = () if reachable else (f"the ER did not answer: {wan}",)
        emit(Event(End.H3C, "read", "done", f"ER: {wan}", time.monotonic() - t0))
        return EndState(End.H3C, reachable, None, errors=errors, notes=tuple(notes), facts=facts)

    # -- apply / teardown --------------------------------------------------------------------------
    def _write_record(self, checklist: Checklist) -> None:
        psk = self._psk()
        data = {"lab": self.lab, "platform": self.platform, "checklist_hash": checklist.content_hash(),
                "psk_fingerprint": psk.fingerprint if psk is not None else None,
                "confirmed_at": time.time(), "confirmed_by": _user()}
        from vpnconsole.paths import write_private_json

        write_private_json(self.confirmation_path, data, indent=1)

    def apply(self, plan: Checklist | None = None, emit: EventSink = ignore, *, force: bool = False) -> ErResult:
        """Record the operator's "I have entered it"; nothing is sent to the router (it has no CLI).

        The checklist is first read back and compared with the profile: a checklist that would make
        the ER differ from Alibaba is refused (:class:`ErEndError`) before anyone confirms it."""
        t0 = time.monotonic()
        checklist = plan if isinstance(plan, Checklist) else self.checklist()
        psk = self._psk()
        wanted = self.profile.params(psk.fingerprint if psk is not None else None)
        differences = diff(wanted, read_back(checklist), End.PROFILE, End.H3C, platform=self.platform)
        if differences:
            raise ErEndError("the ER checklist does not match the profile: " + "; ".join(map(str, differences)))
        result = ErResult(checklist_hash=checklist.content_hash())
        self.last_result = result
        if not self.confirmed:
            result.notes.append("nothing was sent to the ER (web-managed, no CLI): enter the checklist "
                                f"(`vpnconsole render {self.lab} --end h3c`), then confirm \"I have entered it\"")
            emit(Event(End.H3C, "checklist", "info", "waiting for the operator to enter the ER checklist",
                       time.monotonic() - t0, data={"checklist_hash": result.checklist_hash}))
            return result
        previous = self.load_manifest()
        result.changed = force or previous is None or previous.get("checklist_hash") != result.checklist_hash
        result.confirmed = True
        self._write_record(checklist)
        result.notes.append(f"nothing was sent to the ER (web-managed, no CLI): the operator confirmed entering "
                            f"checklist {result.checklist_hash}")
        emit(Event(End.H3C, "checklist", "done", f"operator confirmed the ER checklist {result.checklist_hash}",
                   time.monotonic() - t0, data={"checklist_hash": result.checklist_hash}))
        return result

    def teardown(self, emit: EventSink = ignore) -> ErResult:
        """Forget the confirmation; the notes say what to delete on the ER by hand."""
        t0 = time.monotonic()
        checklist = self.teardown_checklist()
        result = ErResult(checklist_hash=checklist.content_hash(), confirmed=self.confirmed)
        self.last_result = result
        had = self.load_manifest() is not None
        self.confirmation_path.unlink(missing_ok=True)
        result.changed = had
        objects = ", ".join(str(s.value) for s in checklist.steps())
        if self.confirmed:
            result.notes.append(f"nothing was removed by the console (the ER has no CLI): the operator confirmed "
                                f"deleting {objects}")
        else:
            result.notes.append(f"nothing was removed from the ER (web-managed, no CLI): delete {objects} by hand "
                                f"(`vpnconsole render {self.lab} --end h3c --teardown`)")
        emit(Event(End.H3C, "checklist", "info", result.notes[-1], time.monotonic() - t0))
        return result


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no passwd entry in a container
        return "?"


__all__ = ["ErEnd", "ErEndError", "ErResult", "default_reach", "CONFIRMATION_FILE"]
