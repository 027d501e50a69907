"""The main screen's building blocks: verdict bar, end cards, the paired parameter table, the log.

Widgets only show what they are given (an engine StatusReport, session rows, engine events); they
never talk to an end.  Tables are updated in place by row key so the cursor and scroll position
survive every refresh.
"""

from __future__ import annotations

import time
from collections import deque
from pathlib import Path
from typing import Any, Callable

from rich.cells import cell_len
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.markup import escape
from textual.widgets import DataTable, RichLog, Static

from vpnconsole.endstate import DOWN, NEGOTIATING, UP, EndState, Event, TunnelState
from vpnconsole.tui.cell_table import CellCachedTable, text_width
from vpnconsole.tui.frames import after_refresh

def sync_rows(table: DataTable, rows: list[tuple[str, tuple[Any, ...]]], *, update_width: bool = False,
              limit: int | None = None) -> bool:
    """Make ``table`` show ``rows`` (row key, cells in column order) in place: rows no longer wanted
    are removed, changed cells updated (text or style), new rows added.  The cursor and the scroll
    position survive, and unchanged cells are not touched.  (routes.py has its own, batched variant
    for tables of 10,000 rows.)

    With ``limit``, at most that many rows are changed (added or updated; removals always happen):
    the caller calls again, a frame later, until it returns ``True`` — everything shown."""
    columns = [c.key for c in table.columns.values()]
    wanted = {key for key, _ in rows}
    for gone in [rk for rk in table.rows if rk.value not in wanted]:
        table.remove_row(gone)
    present = {rk.value for rk in table.rows}
    changed = 0
    for key, cells in rows:
        if key not in present:
            if limit is not None and changed >= limit:
                return False
            table.add_row(*cells, key=key)
            changed += 1
            continue
        touched = False
        for column, value in zip(columns, cells):
            old = table.get_cell(key, column)
            if str(old) != str(value) or getattr(old, "style", None) != getattr(value, "style", None):
                if not touched:
                    if limit is not None and changed >= limit:
                        return False
                    touched = True
                    changed += 1
                table.update_cell(key, column, value, update_width=update_width)
    return True


def _clock(at: float) -> str:
    return time.strftime("%H:%M:%S", time.localtime(at))


def _phase_text(label: str, state: str) -> Text:
    mark = {UP: "✓", DOWN: "✗", NEGOTIATING: "…"}.get(state, "?")
    style = {UP: "green", DOWN: "red", NEGOTIATING: "yellow"}.get(state, "dim")
    return Text.assemble((f"{label} ", "bold"), (f"{mark} {state}", style))


class VerdictBar(Static):
    """The engine's one-line verdict with its first explanation."""

    DEFAULT_CSS = """
    VerdictBar { height: auto; max-height: 4; padding: 0 1; background: $boost; }
    VerdictBar.-up { color: $text-success; }
    VerdictBar.-down { color: $text-error; }
    """

    def show(self, report: Any | None, *, note: str | None = None, hint: str | None = None) -> None:
        self.remove_class("-up", "-down")
        if report is None:
            self.update(Text(note or "reading both ends…", style="italic"))
            return
        verdict = report.verdict
        self.add_class("-up" if verdict.up else "-down")
        text = Text.assemble(("✓ " if verdict.up else "✗ ", "bold"), (verdict.code, "bold"), "  ", verdict.summary)
        extra = [p for p in verdict.problems if p != verdict.summary]
        if extra:
            text.append(f"\n  {extra[0]}" + (f"  (+{len(extra) - 1} more)" if len(extra) > 1 else ""))
        checks = getattr(verdict, "checks", ())
        if checks:  # not every check was possible (a web-managed ER): say which were
            text.append("\n  checks: " + " · ".join(checks), style="italic")
        if hint and not verdict.up:
            text.append(f"\n  {hint}", style="italic")
        self.update(text)


class EndCard(Static):
    """One end's live state: reachability, phase 1/2 per tunnel, SA lifetime left, counters, facts,
    errors, and the last state changes with their time."""

    DEFAULT_CSS = """
    EndCard { height: auto; padding: 0 1; }
    """

    def __init__(self, title: str, **kwargs: Any):
        super().__init__(**kwargs)
        self.title = title
        self.changes: deque[tuple[float, str]] = deque(maxlen=6)
        self._last: dict[str, tuple[str, str]] = {}
        self.state: EndState | None = None
        self.summary_line = ""

    def set_summary(self, line: str) -> None:
        """The per-end fields in one line (host, WAN, public IP / region, gateway, route table)."""
        self.summary_line = line
        self._render_state()

    def show(self, state: EndState | None) -> None:
        if state is not None:
            self._track(state)
        self.state = state
        self._render_state()

    def _track(self, state: EndState) -> None:
        now = state.read_at
        seen = set()
        for t in state.tunnels:
            key = t.cloud_ip or "?"
            seen.add(key)
            prev = self._last.get(key)
            if prev is not None and prev != (t.phase1, t.phase2):
                self.changes.appendleft((now, f"{key}: phase 1 {prev[0]}→{t.phase1}, phase 2 {prev[1]}→{t.phase2}"))
            elif prev is None and self._last:
                self.changes.appendleft((now, f"{key}: appeared (phase 1 {t.phase1}, phase 2 {t.phase2})"))
            self._last[key] = (t.phase1, t.phase2)
        for key in [k for k in self._last if k not in seen]:
            self.changes.appendleft((now, f"{key}: gone"))
            del self._last[key]

    def _render_state(self) -> None:
        lines: list[Text] = [Text(self.title, style="bold underline")]
        if self.summary_line:
            lines.append(Text(self.summary_line, style="dim"))
        state = self.state
        if state is None:
            lines.append(Text("not read yet", style="italic dim"))
        elif not state.reachable:
            lines.append(Text("✗ unreachable", style="bold red"))
            lines.extend(Text(f"  {e}", style="red") for e in state.errors[:2])
        else:
            if state.params is None and not state.tunnels:
                lines.append(Text("nothing of this lab configured", style="yellow"))
            for t in state.tunnels:
                lines.append(self._tunnel_line(t))
                if t.reason and (t.phase1 != UP or t.phase2 != UP):
                    lines.append(Text(f"    {t.reason}", style="yellow"))
            facts = [f"{k} {v}" for k, v in state.facts.items()
                     if k in ("status", "gateway_status", "sysname", "platform", "spec") and v]
            if facts:
                lines.append(Text(" · ".join(facts), style="dim"))
            lines.extend(Text(f"! {e}", style="red") for e in state.errors[:2])
            lines.extend(Text(n, style="dim italic") for n in state.notes[:1])
            lines.append(Text(f"read {_clock(state.read_at)}", style="dim"))
        for at, what in list(self.changes)[:3]:
            lines.append(Text(f"{_clock(at)} {what}", style="cyan"))
        self.update(Text("\n").join(lines))

    @staticmethod
    def _tunnel_line(t: TunnelState) -> Text:
        text = Text(f"{t.cloud_ip or '?'}{f' ({t.role})' if t.role else ''} ")
        text.append_text(_phase_text("P1", t.phase1))
        text.append(" ")
        text.append_text(_phase_text("P2", t.phase2))
        if t.lifetime_left is not None:
            text.append(f" {t.lifetime_left}s left", style="dim")
        if t.packets_out is not None or t.packets_in is not None:
            text.append(f" ↑{t.packets_out or 0} ↓{t.packets_in or 0} pkts", style="dim")
        return text


# -- the paired parameter table -----------------------------------------------------------------------

_WIDE = (("param", "Parameter"), ("profile", "Profile"), ("h3c", "H3C spells"), ("h3c_live", "H3C live"),
         ("ali", "Alibaba spells"), ("ali_live", "Alibaba live"))
_NARROW = (("param", "Parameter"), ("profile", "Profile"), ("h3c_live", "H3C live"), ("ali_live", "Alibaba live"))
#: at 80 columns every column must stay on screen: fixed widths, long values cropped
_NARROW_WIDTHS = {"param": 17, "profile": 15, "h3c_live": 18, "ali_live": 18}


def _cell_width(cell: Any) -> int:
    """The width DataTable gives a cell (a str is markup to it), without its console measuring."""
    width = text_width(cell)
    if width >= 0:
        return width
    text = cell if isinstance(cell, Text) else Text.from_markup(str(cell))
    return max((cell_len(line) for line in text.plain.split("\n")), default=0)


def _live(value: str | None, mismatch: bool, reachable: bool | None) -> Text:
    if value is None:
        return Text("—" if reachable else "?", style="dim")
    if mismatch:
        return Text(f"✗ {value}", style="bold red")
    return Text(f"✓ {value}", style="green")


#: rows of the parameter table changed per frame (see ParamsTable._sync_some)
ROWS_PER_FRAME = 8


class ParamsTable(CellCachedTable):
    """Every editable key of the lab in one table: the shared parameters (one row across both ends),
    the mirrored subnets, then each end's own fields.  Row key = the profile key path."""

    DEFAULT_CSS = """
    ParamsTable { height: 1fr; }
    """

    def __init__(self, **kwargs: Any):
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self.narrow = False
        self._columns_for: bool | None = None
        self._wanted: list[tuple[str, tuple[Any, ...]]] | None = None
        self._sync_scheduled = False
        self._on_settled: list[Callable[[], Any]] = []

    def _ensure_columns(self) -> None:
        if self._columns_for == self.narrow:
            return
        self.clear(columns=True)
        for key, label in (_NARROW if self.narrow else _WIDE):
            self.add_column(label, key=key, width=_NARROW_WIDTHS[key] if self.narrow else None)
        self._columns_for = self.narrow

    def show(self, session: Any, report: Any | None, psk_fingerprint: str | None = None) -> None:
        from vpnconsole.session import ALIBABA_FIELDS, H3C_FIELDS

        self._ensure_columns()
        h3c_ok = None if report is None else report.h3c.reachable
        ali_ok = None if report is None else report.alibaba.reachable
        rows: list[tuple[str, dict[str, Any]]] = []
        # a live value is normally the profile's value with its mark: reserve that much, so the
        # columns keep their width when the ends are first read or the tunnel comes up
        live_floor = 0
        for r in session.param_rows(report, psk_fingerprint):
            live_floor = max(live_floor, cell_len(r.value) + 2)
            label = Text(r.label)
            if r.problems:
                label = Text(f"! {r.label}", style="bold yellow")
            rows.append((r.path, {"param": label, "profile": Text(r.value, style="bold"),
                                  "h3c": r.h3c_spelling, "h3c_live": _live(r.h3c_live, r.h3c_mismatch, h3c_ok),
                                  "ali": r.alibaba_spelling,
                                  "ali_live": _live(r.alibaba_live, r.alibaba_mismatch, ali_ok)}))
        for side, label in (("onprem", "on-prem subnets"), ("cloud", "cloud subnets")):
            subnet_rows = [s for s in session.subnet_rows(report) if s.side == side]
            values = ", ".join(s.subnet for s in subnet_rows)
            h3c_role = subnet_rows[0].h3c_role if subnet_rows else ""
            ali_role = subnet_rows[0].alibaba_role if subnet_rows else ""
            missing_h3c = [s.subnet for s in subnet_rows if s.h3c_live is False]
            missing_ali = [s.subnet for s in subnet_rows if s.alibaba_live is False]
            h3c_live = None if not subnet_rows or subnet_rows[0].h3c_live is None else (
                "missing " + ", ".join(missing_h3c) if missing_h3c else "all present")
            ali_live = None if not subnet_rows or subnet_rows[0].alibaba_live is None else (
                "missing " + ", ".join(missing_ali) if missing_ali else "all present")
            problems = session.problems_for(f"{side}.subnets")
            rows.append((f"{side}.subnets", {
                "param": Text(("! " if problems else "") + label, style="bold yellow" if problems else ""),
                "profile": Text(values, style="bold"), "h3c": f"ACL {h3c_role.split()[-1]}" if h3c_role else "",
                "h3c_live": _live(h3c_live, bool(missing_h3c), h3c_ok), "ali": ali_role,
                "ali_live": _live(ali_live, bool(missing_ali), ali_ok)}))
        for spec in H3C_FIELDS:
            rows.append((spec.path, {"param": Text(f"H3C {spec.label}", style="italic"),
                                     "profile": Text(session.display(spec.path), style="bold"),
                                     "h3c": "", "h3c_live": Text(""), "ali": "", "ali_live": Text("—", style="dim")}))
        for spec in ALIBABA_FIELDS:
            rows.append((spec.path, {"param": Text(f"Alibaba {spec.label}", style="italic"),
                                     "profile": Text(session.display(spec.path), style="bold"),
                                     "h3c": "", "h3c_live": Text("—", style="dim"), "ali": "", "ali_live": Text("")}))
        columns = [c.key.value for c in self.columns.values()]
        self._wanted = [(key, tuple(cells[c] for c in columns)) for key, cells in rows]
        self._fit_columns(self._wanted, {"h3c_live": live_floor, "ali_live": live_floor})
        self._sync_some()

    def _fit_columns(self, rows: list[tuple[str, tuple[Any, ...]]], floors: dict[str, int]) -> None:
        """Set each column's width from all of ``rows`` at once (at least ``floors``), before any
        cell changes: a width change repaints the whole table, so it happens once per show, not
        once for each cell that DataTable would measure as it is updated."""
        if self.narrow:
            return  # fixed widths at 80 columns
        changed = False
        for index, column in enumerate(self.ordered_columns):
            width = max([floors.get(column.key.value, 0), _cell_width(column.label)]
                        + [_cell_width(cells[index]) for _, cells in rows])
            if column.content_width != width:
                column.content_width = width
                changed = True
        if changed:
            self._update_count += 1  # Textual's own line caches do not know widths
            self._require_update_dimensions = True
            self.check_idle()
            self.refresh()

    @property
    def settled(self) -> bool:
        """Every row shows what the last :meth:`show` asked for."""
        return self._wanted is None

    def when_settled(self, callback: Callable[[], Any]) -> None:
        """Call ``callback`` once every row shows what the last :meth:`show` asked for (now, if so)."""
        if self._wanted is None:
            callback()
        else:
            self._on_settled.append(callback)

    def _sync_some(self) -> None:
        # A status refresh right after an apply changes the live values of most rows at once;
        # re-rendering all of them in one frame blocked the UI loop for 40-60 ms.  A few rows per
        # frame instead (an edit changes one row: it shows at once).
        self._sync_scheduled = False
        if self._wanted is None or not self.is_attached:
            return
        if sync_rows(self, self._wanted, limit=ROWS_PER_FRAME):  # widths: _fit_columns
            self._wanted = None
            callbacks, self._on_settled = self._on_settled, []
            for callback in callbacks:
                callback()
        elif not self._sync_scheduled:
            self._sync_scheduled = True
            after_refresh(self, self._sync_some)

    @property
    def selected_path(self) -> str | None:
        if self.row_count == 0:
            return None
        try:
            return self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        except Exception:  # noqa: BLE001 - no cursor yet
            return None


# -- the log ------------------------------------------------------------------------------------------

_TAG_STYLE = {"h3c": "cyan", "alibaba": "magenta", "probe": "blue", "profile": "blue", "console": "white"}


class LogPane(RichLog):
    """Timestamped, tagged by end, redacted; also appended to the lab's log file (0600)."""

    DEFAULT_CSS = """
    LogPane { height: 1fr; }
    """

    def __init__(self, **kwargs: Any):
        super().__init__(markup=False, wrap=True, max_lines=5000, **kwargs)
        self.file: Path | None = None
        self._fh: Any = None
        self.lines_written = 0

    def use_file(self, path: Path | None) -> None:
        """Also append every line to ``path`` (0600), through one line-buffered handle."""
        self._close_file()
        if path is not None:
            from vpnconsole.logs import open_private_file

            try:
                self._fh = open_private_file(path).open("a", encoding="utf-8", buffering=1)
            except OSError:
                path = None
        self.file = path

    def _close_file(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def on_unmount(self) -> None:
        self._close_file()

    def add(self, tag: str, message: str, *, level: str = "info", at: float | None = None) -> None:
        from vpnconsole.redact import redact

        message = redact(message)
        stamp = _clock(at or time.time())
        style = "red" if level == "error" else "yellow" if level in ("retry", "warning") else ""
        line = Text.assemble((stamp, "dim"), " ", (f"{tag:<7}", _TAG_STYLE.get(tag, "")), " ", (message, style))
        self.write(line)
        self.lines_written += 1
        if self._fh is not None:
            try:
                self._fh.write(f"{time.strftime('%Y-%m-%dT%H:%M:%S', time.localtime(at or time.time()))} "
                               f"{tag} {level} {message}\n")
            except OSError:
                pass

    def event(self, event: Event) -> None:
        status = f" [{event.status}]" if event.status else ""
        # adapters announce a step with its own name as the message ("acl", "acl done"): say it once
        message = event.kind if event.message in (event.step, f"{event.step} done") else event.message
        self.add(event.end.value, f"{event.step}: {message}{status}", level=event.kind)


class OperationBar(Static):
    """What is running now: operation, step per end, elapsed time, the cloud's status; when idle, when
    the ends were last read.  Always one line: showing or hiding it would re-lay-out (and repaint) the
    whole screen at the start and end of every operation."""

    DEFAULT_CSS = """
    OperationBar { height: 1; padding: 0 1; color: $text-muted; }
    OperationBar.-running { background: $primary-background; color: $text; }
    """

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.operation: str | None = None
        self.started = 0.0
        self.steps: dict[str, str] = {}

    def begin(self, operation: str) -> None:
        self.operation = operation
        self.started = time.monotonic()
        self.steps = {}
        self.add_class("-running")
        self.tick()

    def event(self, event: Event) -> None:
        if self.operation is None:
            return
        status = f" [{event.status}]" if event.status else ""
        self.steps[event.end.label] = f"{event.step} {event.kind}{status}"
        self.tick()

    def tick(self) -> None:
        if self.operation is None:
            return
        elapsed = time.monotonic() - self.started
        parts = " · ".join(f"{end}: {what}" for end, what in self.steps.items()) or "starting…"
        self.update(Text.assemble((f"{self.operation} ", "bold"), (f"{elapsed:5.1f}s  ", "dim"), parts,
                                  ("   x cancels", "dim italic")))

    def end(self) -> None:
        self.operation = None
        self.remove_class("-running")
        self._idle_text = ""

    def idle(self, text: str) -> None:
        if self.operation is None and text != getattr(self, "_idle_text", None):
            self._idle_text = text
            self.update(text)


class EndPane(Vertical):
    """One end's pane: its card (live state) under its title."""

    DEFAULT_CSS = """
    EndPane { height: auto; border: round $primary; padding: 0; }
    EndPane:focus-within { border: round $accent; }
    """

    def __init__(self, title: str, **kwargs: Any):
        super().__init__(**kwargs)
        self.card = EndCard(title)

    def compose(self) -> ComposeResult:
        yield self.card


class ConsoleFooter(Horizontal):
    """The footer: the keys valid right now, as text (two pieces side by side, on one line).

    Textual's Footer is a widget per key, all recomposed whenever the screen's bindings may have
    changed (an operation starting or ending, a dialog closing): 20-30 widgets mounted at a time, a
    visible stall on the lab screen.  This one renders text, only when the keys it shows change.
    The keys list and the command palette stay on the right at any width (at 80 columns the rest
    is cut with an ellipsis).  A click on a key presses it."""

    DEFAULT_CSS = """
    ConsoleFooter {
        dock: bottom;
        height: 1;
        background: $footer-background;
        color: $footer-foreground;
    }
    ConsoleFooter > Static {
        height: 1;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    ConsoleFooter > #footer-keys { width: 1fr; }
    ConsoleFooter > #footer-help { width: auto; }
    """

    #: keys shown on the right, always visible
    HELP_KEYS = ("question_mark", "ctrl+p")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._shown: tuple[Any, ...] | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="footer-keys")
        yield Static(id="footer-help")

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self.bindings_changed)
        self.bindings_changed(self.screen)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def bindings_changed(self, screen: Any) -> None:
        if not self.is_attached or screen is not self.screen:
            return
        app = self.app
        keys: list[tuple[str, str, str, bool]] = []
        actions: set[str] = set()
        for _node, binding, enabled, _tooltip in screen.active_bindings.values():
            if binding.key == app.COMMAND_PALETTE_BINDING:
                if app.ENABLE_COMMAND_PALETTE:
                    keys.append((binding.key, app.get_key_display(binding), "palette", enabled))
            elif binding.show and binding.action not in actions:  # one entry per action
                actions.add(binding.action)
                keys.append((binding.key, app.get_key_display(binding), binding.description, enabled))
        shown = tuple(keys)
        if shown == self._shown:
            return
        self._shown = shown
        self.query_one("#footer-keys", Static).update(_key_hints([k for k in shown if k[0] not in self.HELP_KEYS]))
        self.query_one("#footer-help", Static).update(_key_hints([k for k in shown if k[0] in self.HELP_KEYS]))


def _key_hints(keys: list[tuple[str, str, str, bool]]) -> Content:
    parts = []
    for key, display, description, enabled in keys:
        # keys are binding names ("a", "ctrl+s", "question_mark"): safe inside the click action
        parts.append(Content.from_markup(
            f"[{'' if enabled else 'dim'} @click=app.simulate_key({key!r})] [b $footer-key-foreground]"
            f"{escape(display)}[/] {escape(description)} [/]"))
    return Content(" ").join(parts)
