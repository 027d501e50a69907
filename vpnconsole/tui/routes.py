"""Routes: the VPC route table, the VPN gateway's own routes and the H3C routing table, under the path
verdict per subnet ("172.16.0.0/16 → VPN gateway ✓", "192.168.10.0/24 missing in VPC route table ✗").

A thin view: the app reads both ends (``Engine.status``) and hands the :class:`StatusReport` to
:meth:`RoutesView.show`; nothing here touches the network or the engine.

Why the diffing: a status refresh arrives every few seconds and a real VPC or router table can hold
thousands of routes. Clearing and refilling a :class:`DataTable` would reset the cursor and scroll
position the user is reading at, and costs a full re-measure of every row; instead each route has a
stable row key (table + destination + next hop) and a refresh touches only the cells that changed,
adds the rows that appeared and removes the ones that went (see ``tests/bench/test_bench_tui_routes.py``
for the 10,000-route timing).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Iterable, Sequence

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.markup import escape
from textual.widget import Widget
from textual.widgets import DataTable, Static
from textual.widgets.data_table import CellKey, RowKey

from vpnconsole.endstate import EndState, Route
from vpnconsole.tui.cell_table import CellCachedTable, text_width
from vpnconsole.tui.frames import after_refresh
from vpnconsole.verdict import route_paths

if TYPE_CHECKING:  # the engine is only a type here: this view never calls it
    from vpnconsole.engine import StatusReport

__all__ = ["RoutesView", "RouteTable", "RefreshStats", "tunnel_routes", "route_key", "VPN_GATEWAY_TABLE", "TUNNEL_MARK", "OURS_MARK"]

VPN_GATEWAY_TABLE = "vpn-gateway"  # Route.table of the VPN gateway's own routes (endstate.Route)
TUNNEL_MARK = "▶"  # the route carries tunnel traffic
OURS_MARK = "*"  # the route was created by vpnconsole for this lab
NO_HOP = "—"
# Above this many removals in one refresh, rows are dropped in one pass (DataTable.remove_row
# re-indexes every remaining row on each call: 100 removals from 10,000 rows would be 1M steps).
_BULK_REMOVE = 8
# New rows beyond this many in one refresh (all tables) are added in batches of this size, one batch
# per tick, so that a first fill of 10,000 routes (~1 s of DataTable.add_row) never freezes input.
ADD_BATCH = 300


# --- which routes carry tunnel traffic (pure, cached: a refresh re-asks for the same CIDRs) -------

@lru_cache(maxsize=1 << 16)
def _net(cidr: str) -> tuple[int, int] | None:
    """(network address as int, prefix length), or None for something that is not an IPv4 CIDR.
    Parsed by hand: ``ipaddress`` takes ~25 µs a network, a quarter second for a first 10,000."""
    address, slash, prefix = cidr.strip().partition("/")
    parts = address.split(".")
    if len(parts) != 4 or not all(p.isdigit() and len(p) <= 3 for p in parts) or (slash and not prefix.isdigit()):
        return None
    length = int(prefix) if slash else 32
    octets = [int(p) for p in parts]
    if length > 32 or any(o > 255 for o in octets):
        return None
    value = (octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]
    mask = (0xFFFFFFFF << (32 - length)) & 0xFFFFFFFF
    return value & mask, length


def tunnel_routes(routes: Sequence[Route], subnets: Iterable[str]) -> set[int]:
    """Indexes of the ``routes`` that carry traffic to ``subnets`` (the far side's subnets):

    * per subnet, the longest-prefix route(s) covering it — the one the end actually uses (all of
      them on equal-cost multipath; a 0.0.0.0/0 counts when nothing more specific exists);
    * every route more specific than a subnet (it carries part of it);
    * routes pointing at a VPN gateway (``vpn-…``) or created by this tool (``ours``).
    """
    targets = [t for t in (_net(str(s)) for s in subnets) if t is not None]
    out: set[int] = set()
    best: dict[int, tuple[int, list[int]]] = {}  # subnet index → (prefix length, route indexes)
    for i, route in enumerate(routes):
        hop = route.next_hop
        if route.ours or (hop is not None and hop.startswith("vpn-")):
            out.add(i)
        net = _net(route.destination)
        if net is None:
            continue
        address, length = net
        # Inlined containment tests (this loop runs over every route on every refresh).
        for j, (target, target_length) in enumerate(targets):
            if length <= target_length:
                shift = 32 - length
                if address >> shift == target >> shift:  # the route covers the subnet
                    current = best.get(j)
                    if current is None or length > current[0]:
                        best[j] = (length, [i])
                    elif length == current[0]:
                        current[1].append(i)
            else:
                shift = 32 - target_length
                if address >> shift == target >> shift:  # more specific than the subnet
                    out.add(i)
    for _, indexes in best.values():
        out.update(indexes)
    return out


def route_key(route: Route) -> str:
    """The stable row key of a route: its table, destination and next hop."""
    return f"{route.table or 'h3c'}|{route.destination}|{route.next_hop or ''}"


# --- the view ------------------------------------------------------------------------------------

@dataclass
class RefreshStats:
    """What one :meth:`RoutesView.show` changed (for tests, the benchmark and the log pane)."""

    added: int = 0
    updated: int = 0  # rows with at least one changed cell
    cells: int = 0  # cells rewritten
    removed: int = 0
    rows: int = 0  # rows in the tables after the refresh, all tables
    queued: int = 0  # new rows still to be added, in batches (see ADD_BATCH)
    seconds: float = 0.0

    def __iadd__(self, other: RefreshStats) -> RefreshStats:
        self.added += other.added
        self.updated += other.updated
        self.cells += other.cells
        self.removed += other.removed
        self.rows += other.rows
        self.queued += other.queued
        return self


Row = tuple[bool, tuple[str, ...]]  # (carries tunnel traffic, cell values as text)


@dataclass
class _Section:
    name: str  # vpc | gateway | h3c: also the widget ids (#vpc-routes, #vpc-heading, #vpc-note)
    title: str
    columns: tuple[tuple[str, str], ...]  # (column key, label)
    end: str  # which end's state feeds it: "alibaba" | "h3c"
    shown: dict[str, Row] = field(default_factory=dict)  # what the DataTable holds, by row key
    pending: dict[str, Row] = field(default_factory=dict)  # new rows waiting for their batch

    @property
    def column_keys(self) -> tuple[str, ...]:
        return tuple(key for key, _ in self.columns)


_ALIBABA_COLUMNS = (("mark", " "), ("destination", "destination"), ("next_hop", "next hop"), ("via", "type"),
                    ("kind", "kind"), ("status", "status"))
_H3C_COLUMNS = (("mark", " "), ("destination", "destination"), ("next_hop", "next hop"), ("via", "interface"),
                ("kind", "proto"))


class RouteTable(CellCachedTable):
    """A DataTable whose cells are one-line :class:`~rich.text.Text` or markup-free str: new rows are
    measured by their text length. DataTable measures every cell of a new row through the console (~70 µs a cell:
    4 s of frozen UI for the first 10,000 routes); for one-line text that is simply ``cell_len``.
    Anything else (labels, multi-line cells, auto height) goes the usual way. Should Textual rename
    the hook, this override is simply not called and the usual (slower) measuring applies."""

    def _update_dimensions(self, new_rows: Iterable[RowKey]) -> None:
        usual: list[RowKey] = []
        try:
            columns = self.ordered_columns
            for row_key in new_rows:
                row, data = self.rows.get(row_key), self._data.get(row_key)
                if row is None or data is None:  # removed before the table went idle
                    continue
                if row.label is not None or row.auto_height or row.height != 1:
                    usual.append(row_key)
                    continue
                for column in columns:
                    width = text_width(data.get(column.key))
                    if width < 0:
                        usual.append(row_key)
                        break
                    if width > column.content_width:
                        column.content_width = width
        except AttributeError:  # internals of another shape: measure everything the usual way
            usual = list(new_rows)
        super()._update_dimensions(usual)  # with the widths known: virtual size, auto-height rows


class RoutesView(Widget):
    """Path verdict lines on top, then three route tables, each with a heading and its row count.

    Call :meth:`show` with each new :class:`~vpnconsole.engine.StatusReport` (or ``None`` when none
    has been read yet); the tables are updated in place by row key.
    """

    DEFAULT_CSS = """
    RoutesView {
        layout: vertical;
        height: 1fr;
    }
    RoutesView > .routes-paths {
        height: auto;
        max-height: 8;
        padding: 0 1;
        overflow-y: auto;
    }
    RoutesView > .routes-heading {
        height: 1;
        padding: 0 1;
        text-style: bold;
        background: $boost;
    }
    RoutesView > .routes-note {
        height: auto;
        padding: 0 1;
        color: $text-muted;
    }
    RoutesView > .routes-note.-error {
        color: $error;
    }
    RoutesView > .routes-note.-hidden {
        display: none;
    }
    RoutesView > DataTable {
        height: 1fr;
        min-height: 3;
    }
    RoutesView > DataTable.-stale {
        opacity: 60%;
    }
    RoutesView .routes--tunnel {
        color: $text-accent;
        text-style: bold;
    }
    RoutesView .routes--mark {
        color: $accent;
        text-style: bold;
    }
    """

    COMPONENT_CLASSES = {"routes--tunnel", "routes--mark"}

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._sections = {
            "vpc": _Section("vpc", "VPC route table", _ALIBABA_COLUMNS, "alibaba"),
            "gateway": _Section("gateway", "VPN gateway routes", _ALIBABA_COLUMNS, "alibaba"),
            "h3c": _Section("h3c", "H3C routing table", _H3C_COLUMNS, "h3c"),
        }
        self.report: StatusReport | None = None
        self.last_refresh = RefreshStats()
        self._args: tuple[Any, Any, Sequence[str] | None, Sequence[str] | None] = (None, None, None, None)
        self._ready = False
        self._styles: tuple[Style, Style] | None = None
        self._draining = False
        self._budget = 0  # rows this refresh may still add right away

    # -- layout

    def compose(self) -> ComposeResult:
        yield Static("", id="route-paths", classes="routes-paths")
        for section in self._sections.values():
            yield Static(section.title, id=f"{section.name}-heading", classes="routes-heading")
            yield Static("", id=f"{section.name}-note", classes="routes-note")
            # Row cursor: the user reads routes, not cells; no zebra stripes so the highlight stands out.
            yield RouteTable(id=f"{section.name}-routes", cursor_type="row", zebra_stripes=False)

    def on_mount(self) -> None:
        for section in self._sections.values():
            table = self.table(section.name)
            for key, label in section.columns:
                table.add_column(label, key=key)
        self._ready = True
        self._apply()  # a show() before mount is kept and applied now

    def table(self, name: str) -> DataTable:
        """The DataTable of section ``vpc``, ``gateway`` or ``h3c``."""
        return self.query_one(f"#{name}-routes", DataTable)

    # -- the one entry point

    def show(self, report: StatusReport | None, profile: Any = None, *, onprem_subnets: Sequence[str] | None = None,
             cloud_subnets: Sequence[str] | None = None) -> RefreshStats:
        """Show ``report`` (``None``: not read yet). The subnets decide which routes are highlighted
        as carrying tunnel traffic; they come from ``profile`` (``onprem.subnets``, ``cloud.subnets``)
        unless given. With a profile, path lines are also worked out when the verdict has none (an end
        not configured yet), from the same pure :func:`vpnconsole.verdict.route_paths`."""
        self.report = report
        self._args = (report, profile, onprem_subnets, cloud_subnets)
        if not self._ready:
            return RefreshStats()
        return self._apply()

    # -- internals

    def _apply(self) -> RefreshStats:
        report, profile, onprem, cloud = self._args
        onprem = list(onprem if onprem is not None else getattr(getattr(profile, "onprem", None), "subnets", []) or [])
        cloud = list(cloud if cloud is not None else getattr(getattr(profile, "cloud", None), "subnets", []) or [])
        started = time.perf_counter()
        stats = RefreshStats()
        self._budget = ADD_BATCH
        self._styles = self._resolve_styles()
        with self.app.batch_update():  # one repaint for the whole refresh, not one per cell
            self._show_paths(report, profile)
            if report is None:
                for section in self._sections.values():
                    self._note(section, f"{'Alibaba' if section.end == 'alibaba' else 'H3C'} not read yet", error=False)
                    self._reset(section)
                    self._heading(section, None)
            else:
                alibaba, h3c = report.alibaba, report.h3c
                stats += self._show_end(self._sections["vpc"], alibaba,
                                        [r for r in alibaba.routes if r.table != VPN_GATEWAY_TABLE], onprem)
                stats += self._show_end(self._sections["gateway"], alibaba,
                                        [r for r in alibaba.routes if r.table == VPN_GATEWAY_TABLE], onprem)
                stats += self._show_end(self._sections["h3c"], h3c, list(h3c.routes), cloud)
        stats.seconds = time.perf_counter() - started
        self.last_refresh = stats
        if self.pending and not self._draining:
            self._draining = True
            self.set_timer(0.005, self._drain)
        return stats

    @property
    def pending(self) -> int:
        """New rows of the last :meth:`show` not in the tables yet (added a batch per tick)."""
        return sum(len(section.pending) for section in self._sections.values())

    def _drain(self) -> None:
        """Add the next batch of waiting rows; again on the next tick until none wait."""
        budget = ADD_BATCH
        with self.app.batch_update():
            for section in self._sections.values():
                if not section.pending or budget <= 0:
                    continue
                table = self.table(section.name)
                batch = list(section.pending.items())[:budget]
                budget -= len(batch)
                for key, row in batch:
                    del section.pending[key]
                    if key not in section.shown:
                        table.add_row(*self._cells(row), key=key)
                        section.shown[key] = row
        if self.pending:
            self.set_timer(0.005, self._drain)
        else:
            self._draining = False

    def _show_paths(self, report: StatusReport | None, profile: Any) -> None:
        widget = self.query_one("#route-paths", Static)
        if report is None:
            widget.update("[$text-muted]Routes not read yet: refresh the status to read both ends[/]")
            return
        lines = list(report.verdict.paths)
        if not lines and profile is not None:
            try:
                lines, _ = route_paths(list(profile.onprem.subnets), list(profile.cloud.subnets), report.h3c,
                                       report.alibaba, wan_interface=profile.onprem.wan_interface,
                                       gateway_id=profile.cloud.vpn_gateway_id)
            except (AttributeError, ValueError):  # a half-edited profile: no paths rather than a crash
                lines = []
        if not lines:
            widget.update(f"[$text-muted]No path verdict: {escape(report.verdict.summary)}[/]")
            return
        legend = f"[$text-muted]{TUNNEL_MARK} carries tunnel traffic · {OURS_MARK} created by vpnconsole[/]"
        widget.update("\n".join([*(_path_markup(line) for line in lines), legend]))

    def _show_end(self, section: _Section, state: EndState, routes: list[Route], subnets: list[str]) -> RefreshStats:
        table = self.table(section.name)
        who = "Alibaba" if section.end == "alibaba" else "H3C"
        if not state.reachable:
            # Keep what was read before (dimmed) rather than blanking the table: the user can still
            # see the last known routes while the end does not answer; the note says why.
            why = "; ".join(state.errors) or "no answer"
            kept = " (showing the routes read before)" if section.shown else ""
            self._note(section, f"{who} unreachable: {why}{kept}", error=True)
            table.add_class("-stale")
            self._heading(section, None)
            return RefreshStats(rows=len(section.shown))
        table.remove_class("-stale")
        rows = self._rows(routes, subnets, status=section.end == "alibaba")
        stats = self._diff(section, table, rows)
        if not rows:
            empty = {"vpc": "no routes read from the VPC route table",
                     "gateway": "the VPN gateway reports no routes of its own",
                     "h3c": "no routes read from the H3C"}[section.name]
            self._note(section, empty, error=False)
        else:
            self._note(section, "", error=False)
        tables = sorted({r.table for r in routes if r.table and r.table != VPN_GATEWAY_TABLE})
        self._heading(section, rows, tables)
        return stats

    def _rows(self, routes: list[Route], subnets: list[str], *, status: bool) -> dict[str, Row]:
        tunnel = tunnel_routes(routes, subnets)
        rows: dict[str, Row] = {}
        for i, route in enumerate(routes):
            key = route_key(route)
            if key in rows:  # the same destination and next hop twice (another interface): keep both
                n = 2
                while f"{key}#{n}" in rows:
                    n += 1
                key = f"{key}#{n}"
            carries = i in tunnel
            mark = (TUNNEL_MARK if carries else "") + (OURS_MARK if route.ours else "")
            values: tuple[str, ...] = (mark, route.destination, route.next_hop or NO_HOP, route.via or "", route.kind or "")
            if status:  # Alibaba's tables have a status column (Pending/Available…)
                values += (route.status or "",)
            rows[key] = (carries, values)
        return rows

    def _diff(self, section: _Section, table: DataTable, rows: dict[str, Row]) -> RefreshStats:
        stats = RefreshStats()
        shown = section.shown
        gone = [key for key in shown if key not in rows]
        if gone:
            # The cursor follows its route when rows above it go (DataTable keeps the index instead).
            cursor = _cursor_key(table)
            _remove_rows(table, gone)
            for key in gone:
                del shown[key]
            stats.removed = len(gone)
            if cursor is not None and cursor in shown:
                index = table.get_row_index(cursor)
                if index != table.cursor_row:
                    table.move_cursor(row=index, animate=False)
        section.pending = {}
        columns = section.column_keys
        widths = [table.columns[key] for key in columns]
        for key, row in rows.items():
            old = shown.get(key)
            if old is None:
                if self._budget > 0:
                    table.add_row(*self._cells(row), key=key)
                    shown[key] = row
                    stats.added += 1
                    self._budget -= 1
                else:
                    section.pending[key] = row
                continue
            if old != row:
                restyle = old[0] != row[0]
                for index, (before, after) in enumerate(zip(old[1], row[1])):
                    if restyle or before != after:
                        cell = self._cell(index, after, row[0])
                        # Only a wider value asks for a re-measure: DataTable's update_width re-measures
                        # the WHOLE column when a value gets narrower (10,000 cells, per updated cell).
                        # Columns therefore never shrink during a refresh, which also keeps them steady.
                        table.update_cell(key, columns[index], cell,
                                          update_width=text_width(cell) > widths[index].content_width)
                        stats.cells += 1
                stats.updated += 1
                shown[key] = row
        stats.rows = len(shown)
        stats.queued = len(section.pending)
        return stats

    def _cells(self, row: Row) -> list[Text | str]:
        carries, values = row
        return [self._cell(index, value, carries) for index, value in enumerate(values)]

    def _cell(self, index: int, value: str, carries: bool) -> Text | str:
        # A plain str where it cannot be mistaken for markup (DataTable parses str cells as markup,
        # and a route value must show verbatim): 10,000 routes × 6 cells as Text objects would be
        # ~200,000 more objects for the garbage collector to walk on every refresh.
        tunnel_style, mark_style = self._styles or (Style(bold=True), Style(bold=True))
        if index == 0:
            return Text(value, style=mark_style, end="")
        if carries:
            return Text(value, style=tunnel_style, end="")
        return value if "[" not in value else Text(value, end="")

    def _reset(self, section: _Section) -> None:
        # Only for "nothing read" (a new report source): a refresh never comes through here.
        section.pending.clear()
        if section.shown:
            self.table(section.name).clear()
            section.shown.clear()
        self.table(section.name).remove_class("-stale")

    def _note(self, section: _Section, text: str, *, error: bool) -> None:
        note = self.query_one(f"#{section.name}-note", Static)
        note.update(escape(text))
        note.set_class(error, "-error")
        note.set_class(not text, "-hidden")

    def _heading(self, section: _Section, rows: dict[str, Row] | None, tables: Sequence[str] = ()) -> None:
        title = section.title + (f" {', '.join(tables)}" if tables else "")
        if rows is None:
            text = title
        else:
            carrying = sum(1 for carries, _ in rows.values() if carries)
            count = f"{len(rows):,} route{'s' if len(rows) != 1 else ''}"
            text = f"{title} · {count}" + (f" · {TUNNEL_MARK} {carrying} carr{'ies' if carrying == 1 else 'y'} tunnel traffic"
                                           if carrying else "")
        self.query_one(f"#{section.name}-heading", Static).update(escape(text))

    # -- themes

    def _resolve_styles(self) -> tuple[Style, Style]:
        return (self.get_component_rich_style("routes--tunnel", partial=True),
                self.get_component_rich_style("routes--mark", partial=True))

    def notify_style_update(self) -> None:
        super().notify_style_update()
        # A theme switch changes the component colours: the Rich styles baked into the highlighted
        # cells must follow. Only the highlighted rows (few) are rewritten, and only on a real change.
        if self._ready and self._styles is not None:
            after_refresh(self, self._restyle)

    def _restyle(self) -> None:
        styles = self._resolve_styles()
        if styles == self._styles:
            return
        self._styles = styles
        with self.app.batch_update():
            for section in self._sections.values():
                table = self.table(section.name)
                columns = section.column_keys
                for key, (carries, values) in section.shown.items():
                    if carries or values[0]:
                        for index, value in enumerate(values):
                            table.update_cell(key, columns[index], self._cell(index, value, carries))


def _path_markup(line: str) -> str:
    """A path line in theme colours: ✓ success, ✗ error, … (pending) warning."""
    if "✗" in line:
        colour = "$error"
    elif line.rstrip().endswith("✓"):
        colour = "$success"
    elif "…" in line:
        colour = "$warning"
    else:
        colour = "$text"
    return f"[{colour}]{escape(line)}[/]"


def _cursor_key(table: DataTable) -> str | None:
    if not table.row_count:
        return None
    try:
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
    except Exception:  # no valid cursor cell (no columns yet)
        return None


def _remove_rows(table: DataTable, keys: list[str]) -> None:
    """Remove ``keys`` from ``table``. A few go through the public ``remove_row``; many go in one
    pass over the DataTable's row index (the same steps ``remove_row`` takes, once instead of per
    row, and only over the rows below the first one removed). Should Textual's internals be of
    another shape, it falls back to ``remove_row``."""
    if len(keys) <= _BULK_REMOVE:
        for key in keys:
            table.remove_row(key)
        return
    try:  # every check before the first change: the index is never left half rewritten
        locations = table._row_locations
        forward: dict[RowKey, int] = locations._forward
        reverse: dict[int, RowKey] = locations._reverse
        gone = [RowKey(key) for key in keys]
        removed = {forward[key] for key in gone}
        if not (isinstance(forward, dict) and isinstance(reverse, dict) and len(removed) == len(gone)
                and len(forward) == len(reverse) == len(table.rows)):
            raise LookupError("unexpected row index")
        data, rows, updated = table._data, table.rows, table._updated_cells
    except Exception:
        for key in keys:
            table.remove_row(key)
        return
    total, shift = len(forward), 0
    for index in range(min(removed), total):
        if index in removed:
            shift += 1
            continue
        key = reverse[index]
        forward[key] = index - shift
        reverse[index - shift] = key
    for index in range(total - shift, total):
        del reverse[index]
    for key in gone:
        del forward[key]
        for column_key in data[key]:
            updated.discard(CellKey(key, column_key))
        del rows[key]
        del data[key]
    table._require_update_dimensions = True
    table.check_idle()
    table.cursor_coordinate = table.cursor_coordinate
    table.hover_coordinate = table.hover_coordinate
    table._update_count += 1
    table.refresh(layout=True)
