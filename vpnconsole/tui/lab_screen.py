"""The main screen: one lab, both ends side by side, over the engine.

Everything that talks to an end runs in a worker (the engine already runs the blocking adapters in
threads), so input is never frozen; engine events arrive from those threads and are handed to the
UI loop with ``call_soon_threadsafe``.  Every action here has a command-line twin (DESIGN.md: the
TUI is a thin face): apply/teardown/diff/status/probe/renegotiate/render/secret.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Header, Input, Static, TabbedContent, TabPane

from vpnconsole.endstate import Event
from vpnconsole.tui.frames import after_refresh
from vpnconsole.tui.widgets import ConsoleFooter, EndPane, LogPane, OperationBar, ParamsTable, VerdictBar

#: below this many columns the two end panes stack and the table drops the spelling columns
NARROW_WIDTH = 120
REFRESH_CHOICES = (2.0, 5.0, 10.0, 30.0, 60.0)
#: how long after an apply a tunnel that is down is "still coming up" rather than a finding
SETTLE_S = 30.0


class EditBar(Vertical):
    """The line editor for the selected key: validated as you type with the profile core's messages."""

    DEFAULT_CSS = """
    EditBar { height: auto; display: none; padding: 0 1; background: $boost; }
    EditBar.-editing { display: block; }
    EditBar #edit-problems { color: $text-warning; height: auto; }
    """

    def compose(self) -> ComposeResult:
        yield Static("", id="edit-label")
        yield Input(id="edit-input")
        yield Static("", id="edit-problems")


class LabScreen(Screen):
    """One lab: paired panes, live state, routes, probe, log and every action."""

    BINDINGS = [
        Binding("a", "apply", "Apply"),
        Binding("t", "teardown", "Teardown"),
        Binding("x", "cancel_operation", "Cancel"),
        Binding("r", "refresh", "Refresh"),
        Binding("p", "probe", "Probe"),
        Binding("n", "renegotiate", "Renegotiate"),
        Binding("d", "diff", "Diff"),
        Binding("e", "edit", "Edit"),
        Binding("ctrl+s", "save", "Save"),
        Binding("k", "psk", "PSK"),
        Binding("c", "copy_config('h3c')", "H3C config"),
        Binding("C", "copy_config('alibaba')", "Alibaba plan"),
        Binding("plus,equals_sign", "interval(1)", "Slower", show=False),
        Binding("minus", "interval(-1)", "Faster", show=False),
        Binding("l", "labs", "Labs"),
        Binding("o", "lab_operator", "Lab operator"),
        Binding("1", "tab('tab-params')", "Params", show=False),
        Binding("2", "tab('tab-routes')", "Routes", show=False),
        Binding("3", "tab('tab-probe')", "Probe", show=False),
        Binding("4", "tab('tab-log')", "Log", show=False),
        Binding("5", "tab('tab-checklist')", "Checklist", show=False),
        Binding("escape", "stop_edit", "Stop editing", show=False),
    ]

    def __init__(self, context: Any, **kwargs: Any):
        super().__init__(**kwargs)
        self.context = context  # tui.app.LabContext: session, engine, store, embedded lab
        self.report: Any = None
        self.shown_report: Any = None  # the report every widget shows (tables follow a frame later)
        self.probe_report: Any = None
        self.operation: str | None = None  # planning | apply | teardown | renegotiate | probe, while running
        self.interval = context.refresh_interval
        self._timer: Any = None
        self._status_running = False
        self._editing: str | None = None
        self._narrow: bool | None = None
        self._quiescing = False
        self._applied_at: float | None = None  # monotonic time of the last successful apply
        self._refresh_started = 0.0
        self._recorded_at = 0.0  # when the last known state was last written for the picker
        self._loop: asyncio.AbstractEventLoop | None = None  # set on mount; engine events are posted to it
        self.psk_fingerprint: str | None = None  # of the stored PSK, read in a worker

    # -- layout ----------------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        from vpnconsole.tui.probe_view import ProbeView
        from vpnconsole.tui.routes import RoutesView

        yield Header()
        yield VerdictBar(id="verdict")
        with Horizontal(id="ends"):
            yield EndPane("H3C router", id="h3c-pane")
            yield EndPane("Alibaba VPN gateway", id="alibaba-pane")
        with TabbedContent(id="tabs", initial="tab-checklist" if self.is_er else "tab-params"):
            if self.is_er:
                from vpnconsole.tui.checklist_view import ChecklistView

                with TabPane("ER checklist", id="tab-checklist"):
                    yield ChecklistView(id="checklist")
            with TabPane("Parameters", id="tab-params"):
                yield ParamsTable(id="params")
                yield EditBar(id="editbar")
            with TabPane("Routes", id="tab-routes"):
                yield RoutesView(id="routes")
            with TabPane("Probe", id="tab-probe"):
                yield ProbeView(id="probe")
            with TabPane("Log", id="tab-log"):
                yield LogPane(id="log")
        yield OperationBar(id="operation")
        yield ConsoleFooter()

    def on_mount(self) -> None:
        from vpnconsole.paths import lab_state_dir

        self._loop = asyncio.get_running_loop()
        log = self.query_one(LogPane)
        log.use_file(lab_state_dir(self.session.name) / "console.log")
        log.add("console", f"opened lab {self.session.name} ({self.session.path or 'unsaved'})")
        self._update_title()
        self._layout(self.size.width)
        self._show_profile()
        self.query_one(VerdictBar).show(None, note="reading both ends…")
        # focusing a widget shows its tab: the ER's checklist first, else the parameters
        if self.is_er:
            from textual.widgets import DataTable

            self.query_one("#checklist-table", DataTable).focus()
        else:
            self.query_one(ParamsTable).focus()
        self._timer = self.set_interval(self.interval, self.action_refresh, pause=False)
        self.set_interval(0.5, self._tick)
        self._tick()
        self.action_refresh()

    def on_screen_suspend(self) -> None:
        """Another lab or the picker is on top: stop reading the ends for a screen nobody sees."""
        if self._timer is not None and self.operation is None and not self.app.screen.is_modal:
            self._timer.pause()

    def on_screen_resume(self) -> None:
        if self._timer is not None:
            self._timer.resume()

    def on_resize(self, event: Any) -> None:
        self._layout(event.size.width)

    def _layout(self, width: int) -> None:
        narrow = width < NARROW_WIDTH
        if narrow == self._narrow:
            return
        self._narrow = narrow
        self.set_class(narrow, "-narrow")
        table = self.query_one(ParamsTable)
        table.narrow = narrow
        self._show_profile()

    def engine_ready(self) -> None:
        """The engine was built (in a worker): actions become valid, the first refresh starts."""
        self.log_line("console", f"engine ready: H3C {self.session.display('onprem.device.host')}, Alibaba "
                                 f"{self.session.display('cloud.vpn_gateway_id')}")
        self._changed_state()
        self.load_psk_fingerprint()
        self.action_refresh()
        if self.is_er:
            self.load_checklist()

    @work(group="psk", exclusive=True, exit_on_error=False)
    async def load_psk_fingerprint(self) -> None:
        store = self.context.store
        if store is None:
            return
        try:
            self.psk_fingerprint = await asyncio.to_thread(store.fingerprint, self.session.name, "psk")
        except Exception as exc:  # noqa: BLE001 - a locked or broken keyring is shown, not fatal
            self.log_line("console", f"cannot read the PSK's fingerprint: {exc}", "error")
            return
        self._show_profile()

    @work(group="checklist", exclusive=True, exit_on_error=False)
    async def load_checklist(self) -> None:
        """Render the ER checklist (it needs the gateway's public IPs: discovered when the profile has
        none) and its saved ticks."""
        from vpnconsole.h3c.er_checklist import ChecklistProgress
        from vpnconsole.tui.checklist_view import ChecklistView

        try:
            plans = await self.engine.plans(("h3c",))
        except Exception as exc:  # noqa: BLE001
            self.log_line("h3c", f"cannot render the ER checklist: {exc}", "error")
            return
        checklist = plans.ends.get("h3c")
        if isinstance(checklist, Exception) or checklist is None:
            self.log_line("h3c", f"cannot render the ER checklist: {checklist}", "error")
            return
        progress = await asyncio.to_thread(ChecklistProgress.load, self.session.name, checklist)
        self.query_one(ChecklistView).show(checklist, progress)

    # -- shortcuts ---------------------------------------------------------------------------------------

    @property
    def session(self) -> Any:
        return self.context.session

    @property
    def is_er(self) -> bool:
        """A web-managed ER router: its pane is a checklist, its "apply" the operator's confirmation."""
        return str(self.context.session.value("onprem.device.platform") or "").startswith("er")

    @property
    def engine(self) -> Any:
        return self.context.engine

    def log_line(self, tag: str, message: str, level: str = "info") -> None:
        self.query_one(LogPane).add(tag, message, level=level)

    def _update_title(self) -> None:
        mark = " [modified]" if self.session.dirty else ""
        platform = self.session.value("onprem.device.platform")
        self.title = f"vpnconsole — {self.session.name}{mark}"
        self.sub_title = f"{platform} · refresh {self.interval:g}s" + (f" · {self.operation}…" if self.operation
                                                                        else "")

    def _show_profile(self) -> None:
        self.query_one(ParamsTable).show(self.session, self.report, self.psk_fingerprint)
        s = self.session
        if self.is_er:
            summary = (f"web-managed {s.display('onprem.device.platform')} (checklist) · "
                       f"{s.display('onprem.wan_interface')} {s.display('onprem.public_ip')}")
        else:
            summary = (f"{s.display('onprem.device.username')}@{s.display('onprem.device.host')}:"
                       f"{s.display('onprem.device.port')} {s.display('onprem.device.platform')} · "
                       f"{s.display('onprem.wan_interface')} {s.display('onprem.public_ip')}")
        self.query_one("#h3c-pane", EndPane).card.set_summary(summary)
        self.query_one("#alibaba-pane", EndPane).card.set_summary(
            f"{s.display('cloud.region')} · {s.display('cloud.vpn_gateway_id')}"
            + (f" · {s.display('cloud.route_table_id')}" if s.value("cloud.route_table_id") else ""))
        self._update_title()

    def _tick(self) -> None:
        # right after an apply, read the ends every ~2 s until the tunnel is up: the user is watching
        if (self._applied_at is not None and time.monotonic() - self._applied_at < SETTLE_S
                and self.report is not None and not self.report.verdict.up and self.operation is None
                and time.monotonic() - self._refresh_started > 2.0):
            self.action_refresh()
        bar = self.query_one(OperationBar)
        if bar.operation is None:
            read = time.strftime("%H:%M:%S", time.localtime(self.report.h3c.read_at)) if self.report else "not yet"
            bar.idle(f"ready · both ends read every {self.interval:g} s (+/- to change) · last read {read}"
                     + (" · reading…" if self._status_running else ""))
        bar.tick()

    # -- what is valid now (footer and command palette) --------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        busy = self.operation is not None
        ready = self.engine is not None
        if action == "cancel_operation":
            return self.operation in ("apply", "teardown", "renegotiate", "probe")
        if action in ("apply", "teardown", "renegotiate"):
            return ready and not busy and (action != "apply" or self.session.valid)
        if action == "probe":
            return ready and not busy
        if action in ("refresh", "diff", "copy_config"):
            return ready
        if action == "save":
            return self.session.dirty
        if action == "stop_edit":
            return self._editing is not None
        if action == "edit":
            return not busy
        if action == "psk":
            return self.context.store is not None and not busy
        if action == "lab_operator":  # only the embedded lab's simulated ER has an operator
            lab = self.context.embedded
            return bool(self.is_er and lab is not None and getattr(lab.lab, "er_operator", None) is not None)
        return True

    def _changed_state(self) -> None:
        self._update_title()
        self.refresh_bindings()

    # -- engine events (from worker threads) ---------------------------------------------------------------

    def emit(self, event: Event) -> None:
        """The engine's event sink: may be called from any thread."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        loop.call_soon_threadsafe(self._on_event, event)

    def _on_event(self, event: Event) -> None:
        if not self.is_attached:
            return
        self.query_one(LogPane).event(event)
        self.query_one(OperationBar).event(event)

    # -- refresh -----------------------------------------------------------------------------------------

    async def quiesce(self, timeout: float = 15.0) -> None:
        """Before the app (and an embedded lab) goes away: no new refreshes, the running operation
        cancelled, and the reads in flight finished, so no worker thread is left talking to a closed end."""
        self._quiescing = True
        if self._timer is not None:
            self._timer.stop()
        if self.engine is not None and self.operation is not None:
            self.engine.cancel()
        deadline = asyncio.get_running_loop().time() + timeout
        while (self._status_running or self.operation is not None) and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.05)

    def action_refresh(self) -> None:
        if self.engine is None or self._status_running or self._quiescing:
            return
        self._status_running = True
        self._refresh_started = time.monotonic()
        self.run_worker(self._refresh(), group="status", exit_on_error=False)

    async def _refresh(self) -> None:
        try:
            report = await self.engine.status()
        except Exception as exc:  # noqa: BLE001 - shown, never a crash
            self.log_line("console", f"status failed: {exc}", "error")
            return
        finally:
            self._status_running = False
        self.show_report(report)

    def show_report(self, report: Any) -> None:
        from vpnconsole.session import record_status

        previous = self.report
        self.report = report
        hint = None
        if self._applied_at is not None and time.monotonic() - self._applied_at < SETTLE_S and \
                report.verdict.code in ("phase1-down", "phase2-down"):
            # right after an apply the gateway is still taking the change in and Alibaba has not
            # initiated yet: down is expected for a few seconds, not a diagnosis
            hint = (f"just applied {time.monotonic() - self._applied_at:.0f} s ago: Alibaba negotiates once the "
                    "gateway has taken the change (usually within seconds)")
        self.query_one(VerdictBar).show(report, hint=hint)
        self.query_one("#h3c-pane", EndPane).card.show(report.h3c)
        self.query_one("#alibaba-pane", EndPane).card.show(report.alibaba)
        # The tables follow one frame at a time: repainting the cards, the parameter table and the
        # route tables in one frame stalled the loop for over 100 ms at 160x48.
        after_refresh(self, self._show_tables, report)
        if previous is None or previous.verdict.code != report.verdict.code:
            self.log_line("console", f"verdict: {report.verdict.code} — {report.verdict.summary}",
                          "info" if report.verdict.up else "warning")
        # the picker's "last known state": a small fsync'ed file, written off the UI loop, when the
        # verdict changes and otherwise at most once a minute
        now = time.monotonic()
        if previous is None or previous.verdict.code != report.verdict.code or now - self._recorded_at > 60:
            self._recorded_at = now
            self.run_worker(asyncio.to_thread(record_status, self.session.name, report), group="record",
                            exit_on_error=False)
        self._tick()

    def _show_tables(self, report: Any) -> None:
        if report is not self.report or not self.is_attached:
            return  # a newer report is on its way
        self.query_one(ParamsTable).show(self.session, report, self.psk_fingerprint)
        after_refresh(self, self._show_routes, report)

    def _show_routes(self, report: Any) -> None:
        from vpnconsole.tui.routes import RoutesView

        if report is not self.report or not self.is_attached:
            return
        self.query_one(RoutesView).show(report, onprem_subnets=list(self.session.value("onprem.subnets") or []),
                                        cloud_subnets=list(self.session.value("cloud.subnets") or []))
        # the parameter rows follow a few per frame
        self.query_one(ParamsTable).when_settled(lambda: self._mark_shown(report))

    def _mark_shown(self, report: Any) -> None:
        if report is self.report:
            self.shown_report = report  # every widget now shows it

    def action_interval(self, step: int) -> None:
        choices = REFRESH_CHOICES
        index = min(range(len(choices)), key=lambda i: abs(choices[i] - self.interval))
        self.interval = choices[max(0, min(len(choices) - 1, index + step))]
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_interval(self.interval, self.action_refresh)
        self.notify(f"refreshing every {self.interval:g} s")
        self._update_title()

    # -- editing -----------------------------------------------------------------------------------------

    def action_edit(self) -> None:
        path = self.query_one(ParamsTable).selected_path
        if path is None:
            return
        from vpnconsole.session import ALL_FIELDS, PSK_ROW

        if path == PSK_ROW:  # the PSK lives in the keyring: its own dialog
            if self.check_action("psk", ()):
                self.action_psk()
            return

        spec = ALL_FIELDS[path]
        self._editing = path
        bar = self.query_one(EditBar)
        bar.add_class("-editing")
        allowed = f" (one of: {', '.join(spec.choices)})" if spec.choices else (
            " (comma-separated)" if spec.kind == "list" else "")
        bar.query_one("#edit-label", Static).update(f"{path}{allowed} — Enter keeps, Escape cancels")
        field = bar.query_one("#edit-input", Input)
        if spec.choices:
            from textual.suggester import SuggestFromList

            field.suggester = SuggestFromList(spec.choices, case_sensitive=False)
        else:
            field.suggester = None
        field.value = self.session.display(path)
        field.focus()
        self._show_problems(self.session.problems_for(path))
        self.refresh_bindings()

    @on(ParamsTable.RowSelected)
    def _row_selected(self, event: Any) -> None:
        self.action_edit()

    @on(Input.Changed, "#edit-input")
    def _edit_changed(self, event: Input.Changed) -> None:
        if self._editing is None:
            return
        self._show_problems(self.session.check(self._editing, event.value))

    def _show_problems(self, problems: list[Any]) -> None:
        text = "\n".join(f"{'✗' if p.severity == 'error' else '!'} {p.path}: {p.message}" for p in problems[:4])
        self.query_one("#edit-problems", Static).update(text)

    @on(Input.Submitted, "#edit-input")
    def _edit_submitted(self, event: Input.Submitted) -> None:
        from vpnconsole.session import EditError

        path = self._editing
        if path is None:
            return
        try:
            problems = self.session.set(path, event.value)
        except EditError as exc:
            self.notify(str(exc), severity="error")
            return
        errors = [p for p in problems if p.severity == "error"]
        if errors:
            self.notify(f"{path}: {errors[0].message}", severity="warning", timeout=6)
        self.log_line("profile", f"{path} = {self.session.display(path)}" + (" (invalid)" if errors else ""))
        self.action_stop_edit()
        self._show_profile()
        self._changed_state()

    def action_stop_edit(self) -> None:
        self._editing = None
        self.query_one(EditBar).remove_class("-editing")
        self.query_one(ParamsTable).focus()
        self.refresh_bindings()

    def action_save(self) -> None:
        from vpnconsole.profile import ProfileError

        try:
            path = self.session.save()
        except ProfileError as exc:
            self.notify(f"not saved: {exc.problems[0]}", severity="error", timeout=8)
            return
        self.context.rebuild_engine(self.session.profile)
        self.notify(f"saved {path}")
        self.log_line("profile", f"saved {path}")
        self._changed_state()
        if self.is_er and self.engine is not None:
            self.load_checklist()  # new values: a new checklist (its ticks are dropped)

    # -- tabs ----------------------------------------------------------------------------------------------

    def action_tab(self, tab: str) -> None:
        if tab == "tab-checklist" and not self.is_er:
            return
        self.query_one(TabbedContent).active = tab

    # -- operations ------------------------------------------------------------------------------------------

    def _begin(self, operation: str) -> None:
        self.operation = operation
        self.query_one(OperationBar).begin(operation)
        if operation != "planning":  # planning is brief: keys are checked when pressed anyway, and
            self._changed_state()    # every footer rebuild repaints a row of widgets

    def _end(self) -> None:
        was = self.operation
        self.operation = None
        self.query_one(OperationBar).end()
        if was != "planning":
            self._changed_state()

    def _need_saved(self, what: str) -> bool:
        if self.session.dirty:
            self.notify(f"save the profile first (ctrl+s): {what} uses the saved profile", severity="warning")
            return False
        return True

    def action_apply(self) -> None:
        if self._need_saved("apply"):
            self._apply()

    @work(group="operation", exclusive=True, exit_on_error=False)
    async def _apply(self) -> None:
        from vpnconsole.tui.dialogs import PlanConfirmScreen

        self._begin("planning")
        try:
            plans = await self.engine.plans()
        except Exception as exc:  # noqa: BLE001
            self._end()
            self.notify(f"cannot plan: {exc}", severity="error", timeout=8)
            self.log_line("console", f"cannot plan the apply: {exc}", "error")
            return
        self._end()
        title, label = f"Apply lab {self.session.name}", "Apply"
        if self.is_er:
            from vpnconsole.tui.checklist_view import ChecklistView

            view = self.query_one(ChecklistView)
            left = len(view.progress.remaining) if view.progress is not None else None
            title = (f"Lab {self.session.name}: enter the ER checklist on the router, then confirm"
                     + (f" ({left} steps not ticked off)" if left else ""))
            label = "I have entered it"
        if not await self.app.push_screen_wait(PlanConfirmScreen(title, plans.texts(), confirm_label=label)):
            self.log_line("console", "apply: not confirmed; nothing was sent")
            return
        if self.is_er and hasattr(self.engine.h3c, "confirm"):
            self.engine.h3c.confirm(True)  # the operator's "I have entered it"
        self._begin("apply")
        try:
            result = await self.engine.apply()
        except Exception as exc:  # noqa: BLE001 - e.g. the lab is busy in another console
            self.log_line("console", f"apply failed: {exc}", "error")
            self.notify(f"apply failed: {exc}", severity="error", timeout=8)
            return
        finally:
            self._end()
        if result.ok:
            self._applied_at = time.monotonic()
        self._report_operation(result)
        self.action_refresh()

    def _report_operation(self, result: Any) -> None:
        if result.ok:
            self.log_line("console", f"{result.operation}: done")
            self.notify(f"{result.operation}: done")
        else:
            for end, message in result.errors.items():
                self.log_line(end, f"{result.operation} failed: {message}", "error")
            rolled = " (rolled back)" if result.rolled_back else ""
            self.notify(f"{result.operation} failed{rolled}: " + "; ".join(result.errors.values()),
                        severity="error", timeout=10)
        for end in ("h3c", "alibaba"):  # e.g. what to delete by hand on a web-managed ER
            for note in getattr(getattr(result, end, None), "notes", None) or ():
                self.log_line(end, note)
        for note in result.notes:
            self.log_line("console", note)

    def action_teardown(self) -> None:
        self._teardown()

    @work(group="operation", exclusive=True, exit_on_error=False)
    async def _teardown(self) -> None:
        from vpnconsole.tui.dialogs import TeardownConfirmScreen

        self._begin("planning")
        try:
            plans = await self.engine.plans(teardown=True)
        except Exception as exc:  # noqa: BLE001
            self.notify(f"cannot plan the teardown: {exc}", severity="error")
            return
        finally:
            self._end()
        if not await self.app.push_screen_wait(TeardownConfirmScreen(self.session.name, plans.texts())):
            self.log_line("console", "teardown: not confirmed; nothing was removed")
            return
        self._begin("teardown")
        try:
            result = await self.engine.teardown()
        except Exception as exc:  # noqa: BLE001
            self.log_line("console", f"teardown failed: {exc}", "error")
            self.notify(f"teardown failed: {exc}", severity="error", timeout=8)
            return
        finally:
            self._end()
        self._report_operation(result)
        self.action_refresh()

    def action_renegotiate(self) -> None:
        self._renegotiate()

    @work(group="operation", exclusive=True, exit_on_error=False)
    async def _renegotiate(self) -> None:
        self._begin("renegotiate")
        try:
            result = await self.engine.renegotiate()
        finally:
            self._end()
        self._report_operation(result)
        self.action_refresh()

    def action_cancel_operation(self) -> None:
        if self.operation in ("apply", "teardown", "renegotiate") and self.engine is not None:
            self.engine.cancel()
            self.log_line("console", f"cancelling {self.operation}: stopping at the next safe point", "warning")
            self.notify(f"cancelling {self.operation}…")
        elif self.operation == "probe":
            self.workers.cancel_group(self, "probe")
            self.log_line("console", "probe cancelled", "warning")
            self._end()

    def action_probe(self) -> None:
        self.action_tab("tab-probe")
        self._probe()

    @work(group="probe", exclusive=True, exit_on_error=False)
    async def _probe(self) -> None:
        from vpnconsole.probe import LabProbe
        from vpnconsole.tui.probe_view import ProbeView

        view = self.query_one(ProbeView)
        self._begin("probe")
        try:
            async with LabProbe(self.engine, icmp=self.context.probe_icmp, emit=self.emit) as run:
                view.begin(run.plan())
                async for check in run:
                    view.update(check)
            if run.report is not None:
                view.finish(run.report)
                self.probe_report = run.report
                s = run.report.summary()
                self.notify(f"probe {'passed' if run.report.ok else 'FAILED'}: {s['passed']} passed, "
                            f"{s['failed']} failed", severity="information" if run.report.ok else "error")
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - e.g. ICMP not permitted: one line
            self.log_line("probe", f"the probe could not run: {exc}", "error")
            self.notify(f"the probe could not run: {exc}", severity="error")
        finally:
            self._end()

    def action_diff(self) -> None:
        self._diff()

    @work(group="view", exit_on_error=False)
    async def _diff(self) -> None:
        from vpnconsole.tui.dialogs import TextViewScreen

        report = await self.engine.diff()
        self.show_report(report)
        lines = []
        c = report.comparison
        for title, diffs in (("profile ↔ H3C", c.profile_h3c), ("profile ↔ Alibaba", c.profile_alibaba),
                             ("H3C ↔ Alibaba", c.h3c_alibaba)):
            lines.append(f"{title}: {'same' if not diffs else f'{len(diffs)} difference(s)'}")
            lines.extend(f"  {d}" for d in diffs)
        for state in (report.h3c, report.alibaba):
            if not state.reachable:
                lines.append(f"{state.end.label}: unreachable: {'; '.join(state.errors)}")
            elif state.params is None:
                lines.append(f"{state.end.label}: nothing of lab {self.session.name!r} is configured there")
        await self.app.push_screen_wait(TextViewScreen(f"Diff — {self.session.name}", "\n".join(lines)))

    def action_copy_config(self, end: str) -> None:
        self._copy_config(end)

    @work(group="view", exit_on_error=False)
    async def _copy_config(self, end: str) -> None:
        from vpnconsole.tui.dialogs import TextViewScreen

        try:
            plans = await self.engine.plans((end,))
        except Exception as exc:  # noqa: BLE001
            self.notify(f"cannot render {end}: {exc}", severity="error")
            return
        text = plans.texts()[end]
        title = "H3C configuration" if end == "h3c" else "Alibaba API calls"
        await self.app.push_screen_wait(TextViewScreen(f"{title} — {self.session.name} (secrets masked)", text))

    def action_psk(self) -> None:
        self._psk()

    @work(group="view", exit_on_error=False)
    async def _psk(self) -> None:
        from vpnconsole import secrets
        from vpnconsole.tui.dialogs import PskScreen

        store = self.context.store
        lab = self.session.name
        fingerprint = await asyncio.to_thread(store.fingerprint, lab, "psk")
        result = await self.app.push_screen_wait(PskScreen(lab, fingerprint, store.backend_description()))
        if result is None:
            return
        if result.action == "set":
            fp = await asyncio.to_thread(store.set, lab, "psk", result.secret)
            fp = store.fingerprint(lab, "psk") or fp
        else:
            fp = await asyncio.to_thread(secrets.generate_and_store_psk, store, lab, length=result.length or 32,
                                         replace=True)
        self.psk_fingerprint = fp
        self._show_profile()
        self.log_line("console", f"PSK stored ({fp}); apply both ends to use it")
        self.notify(f"PSK stored: {fp} — apply both ends to use it")
        self.action_refresh()
        if self.is_er:
            self.load_checklist()

    def action_labs(self) -> None:
        self.app.action_labs()

    def action_lab_operator(self) -> None:
        self._lab_operator()

    @work(group="view", exit_on_error=False)
    async def _lab_operator(self) -> None:
        """Lab only: the simulated ER's operator enters the checklist in its web GUI, step by step."""
        from vpnconsole.tui.checklist_view import ChecklistView

        checklist = self.query_one(ChecklistView).checklist
        lab = self.context.embedded
        if checklist is None or lab is None:
            self.notify("the checklist is not rendered yet", severity="warning")
            return
        try:
            await asyncio.to_thread(lab.er_enter, checklist)
        except Exception as exc:  # noqa: BLE001 - the simulated GUI refused a value: shown
            self.log_line("h3c", f"lab operator: the ER refused the checklist: {exc}", "error")
            self.notify(f"the ER refused the checklist: {exc}", severity="error")
            return
        self.log_line("h3c", f"lab operator: entered the ER checklist {checklist.content_hash()} in the web GUI")
        self.notify("lab operator: checklist entered on the simulated ER")
