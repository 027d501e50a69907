"""The probe view: every check of a probe run (the OpenStack API, each floating IP's TCP ports and ICMP,
the H3C's pings to the cloud targets), results arriving live, the vantage point of each, and the
explanation of every failure.

A thin view: the app runs :class:`vpnconsole.probe.ProbeRun` in a worker and feeds this widget::

    run = ProbeRun(profile, explainer=…, router=…)
    view.begin(run.plan())            # every row up front, "pending…"
    async for check in run:           # completed checks, as they arrive
        view.update(check)
    view.finish(run.report)           # summary, ICMP method, warnings

Rows are keyed by what the check is (vantage, kind, target, port), not by object identity: the
run plans its checks again when it starts, so the objects passed to :meth:`ProbeView.update` are
not the ones passed to :meth:`ProbeView.begin`.
"""

from __future__ import annotations

from typing import Iterable, Sequence

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.markup import escape
from textual.widget import Widget
from textual.widgets import DataTable, Static

from vpnconsole.probe import H3C, JUMP_HOST, Check, ProbeReport
from vpnconsole.tui.frames import after_refresh

__all__ = ["ProbeView", "check_key", "VANTAGE_LABELS", "PENDING"]

PENDING = "pending…"
VANTAGE_LABELS = {JUMP_HOST: "jump host", H3C: "H3C router"}
_COLUMNS = (("vantage", "from"), ("kind", "check"), ("target", "target"), ("status", "result"),
            ("latency", "latency"), ("detail", "detail"))


def check_key(check: Check) -> str:
    """The stable row key of a check: what it probes and from where."""
    port = "" if check.port is None else str(check.port)
    return f"{check.vantage}|{check.kind}|{check.url or check.target}|{port}"


def _latency(ms: float | None) -> str:
    if ms is None:
        return ""
    return f"{ms:.1f} ms" if ms < 1000 else f"{ms / 1000:.2f} s"


def _outcome(check: Check) -> tuple[str, str]:
    """(status text, component class) of a completed check."""
    if check.ok is True:
        return f"✓ {'open' if check.kind == 'tcp' else check.status}", "probe--ok"
    if check.ok is False:
        return f"✗ {check.status}", "probe--failed"
    return f"– {check.status}", "probe--skipped"


class ProbeView(Widget):
    """Summary line, the table of checks, and the failures with their reasons under it."""

    DEFAULT_CSS = """
    ProbeView {
        layout: vertical;
        height: 1fr;
    }
    ProbeView > .probe-summary {
        height: auto;
        padding: 0 1;
        background: $boost;
    }
    ProbeView > DataTable {
        height: 1fr;
        min-height: 4;
    }
    ProbeView > .probe-why {
        height: auto;
        max-height: 10;
        padding: 0 1;
        border-top: solid $error 50%;
    }
    ProbeView > .probe-why.-empty {
        display: none;
    }
    ProbeView .probe--ok {
        color: $text-success;
    }
    ProbeView .probe--failed {
        color: $text-error;
        text-style: bold;
    }
    ProbeView .probe--skipped {
        color: $text-warning;
    }
    ProbeView .probe--pending {
        color: $text-muted;
        text-style: italic;
    }
    """

    COMPONENT_CLASSES = {"probe--ok", "probe--failed", "probe--skipped", "probe--pending"}

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.checks: dict[str, Check | None] = {}  # by row key, plan order; None: not back yet
        self.report: ProbeReport | None = None
        self._ready = False
        self._queued: list[tuple[str, object]] = []  # calls made before mount, replayed on mount
        self._painted: tuple[Style, ...] | None = None  # the theme styles the status cells carry

    def compose(self) -> ComposeResult:
        yield Static("[$text-muted]No probe run yet[/]", id="probe-summary", classes="probe-summary")
        yield DataTable(id="probe-checks", cursor_type="row", zebra_stripes=True)
        with VerticalScroll(id="probe-why", classes="probe-why -empty"):
            yield Static("", id="probe-why-text")

    def on_mount(self) -> None:
        table = self.table
        for key, label in _COLUMNS:
            table.add_column(label, key=key)
        self._ready = True
        self._painted = self._palette()
        queued, self._queued = self._queued, []
        for method, arg in queued:
            getattr(self, method)(arg)

    @property
    def table(self) -> DataTable:
        return self.query_one("#probe-checks", DataTable)

    # -- the three calls of a run

    def begin(self, checks: Iterable[Check]) -> None:
        """A new run: one row per planned check, all pending (the previous run's rows go)."""
        checks = list(checks)
        if not self._ready:
            self._queued = [("begin", checks)]
            return
        self.report = None
        self.checks = {}
        table = self.table
        with self.app.batch_update():
            table.clear()  # a new run is a new list, not a refresh of the old one
            pending = self._style("probe--pending")
            for check in checks:
                key = check_key(check)
                if key in self.checks:
                    continue
                self.checks[key] = None
                table.add_row(*self._cells(check, Text(PENDING, style=pending, end="")), key=key)
            self._show_why()
            self._summary()

    def update(self, check: Check) -> None:
        """One completed check: its row, in place (added when the plan did not have it)."""
        if not self._ready:
            self._queued.append(("update", check))
            return
        key = check_key(check)
        status, component = _outcome(check)
        cells = self._cells(check, Text(status, style=self._style(component), end=""))
        table = self.table
        with self.app.batch_update():
            if key in self.checks:
                for (column, _), cell in zip(_COLUMNS, cells):
                    if column in ("status", "latency", "detail"):
                        table.update_cell(key, column, cell, update_width=column != "detail")
            else:
                table.add_row(*cells, key=key)
            self.checks[key] = check
            if check.ok is False:
                self._show_why()
            self._summary()

    def finish(self, report: ProbeReport) -> None:
        """The run is over: every row from the report (nothing left pending), then the summary."""
        if not self._ready:
            self._queued.append(("finish", report))
            return
        with self.app.batch_update():
            for check in report.checks:
                if self.checks.get(check_key(check)) is not check:
                    self.update(check)
            self.report = report
            self._show_why()
            self._summary()

    # -- themes

    def notify_style_update(self) -> None:
        super().notify_style_update()
        # The status cells carry Rich styles resolved from the theme: follow a theme switch.
        if self._ready:
            after_refresh(self, self._restyle)

    def _palette(self) -> tuple[Style, ...]:
        return tuple(self._style(c) for c in ("probe--ok", "probe--failed", "probe--skipped", "probe--pending"))

    def _restyle(self) -> None:
        palette = self._palette()
        if palette == self._painted:
            return
        self._painted = palette
        pending = self._style("probe--pending")
        with self.app.batch_update():
            for key, check in self.checks.items():
                if check is None:
                    status = Text(PENDING, style=pending, end="")
                else:
                    text, component = _outcome(check)
                    status = Text(text, style=self._style(component), end="")
                self.table.update_cell(key, "status", status)

    # -- internals

    def _style(self, component: str) -> Style:
        return self.get_component_rich_style(component, partial=True)

    def _cells(self, check: Check, status: Text) -> list[Text]:
        # Text, never str: a str cell is parsed as markup, and a URL or a banner must show verbatim.
        detail = check.detail
        if check.ok is False and check.reasons:
            detail = f"{detail} — see below" if detail else "see below"
        return [Text(VANTAGE_LABELS.get(check.vantage, check.vantage), end=""), Text(check.kind, end=""),
                Text(check.label, end=""), status, Text(_latency(check.latency_ms), end=""),
                Text(detail if status.plain != PENDING else "", end="")]

    def _summary(self) -> None:
        widget = self.query_one("#probe-summary", Static)
        done = [c for c in self.checks.values() if c is not None]
        passed = sum(c.ok is True for c in done)
        failed = sum(c.ok is False for c in done)
        skipped = sum(c.ok is None for c in done)
        counts = f"{passed} passed, {failed} failed, {skipped} skipped"
        vantages = sorted({key.split("|", 1)[0] for key in self.checks}, key=lambda v: v != JUMP_HOST)
        where = "from " + " and ".join(VANTAGE_LABELS.get(v, v) for v in vantages) if vantages else ""
        report = self.report
        if report is None:
            if not self.checks:
                widget.update("[$text-muted]No checks planned: the profile's probe section lists nothing[/]")
                return
            widget.update(f"Probing {len(self.checks)} checks {escape(where)}… "
                          f"{len(done)} done: {escape(counts)}")
            return
        s = report.summary()
        counts = f"{s['passed']} passed, {s['failed']} failed, {s['skipped']} skipped"
        head = "[$text-success]✓ Probe passed[/]" if report.ok else "[$text-error]✗ Probe FAILED[/]"
        lines = [f"{head}: {escape(counts)} in {report.duration_s:.2f} s · ICMP: {escape(report.icmp_method)}"
                 f" · {escape(where)}"]
        lines += [f"[$text-warning]⚠ {escape(w)}[/]" for w in report.warnings]
        widget.update("\n".join(lines))

    def _show_why(self) -> None:
        """Each failed check with its reasons, in plan order (the explanation is the point)."""
        failed = [c for c in self.checks.values() if c is not None and c.ok is False]
        box = self.query_one("#probe-why", VerticalScroll)
        box.set_class(not failed, "-empty")
        lines: list[str] = []
        for check in failed:
            where = VANTAGE_LABELS.get(check.vantage, check.vantage)
            head = f"✗ {check.kind} {check.label} from {where}: {check.status}"
            if check.detail:
                head += f" — {check.detail}"
            lines.append(f"[$text-error]{escape(head)}[/]")
            if check.reasons:
                lines += [f"    • {escape(reason)}" for reason in check.reasons]
            else:
                lines.append("    [$text-muted]• no explanation available[/]")
        self.query_one("#probe-why-text", Static).update("\n".join(lines))

    def failures_text(self) -> Sequence[str]:
        """The failure lines as plain text (for tests and the log pane)."""
        return str(self.query_one("#probe-why-text", Static).render()).splitlines()
