"""CellCachedTable (vpnconsole/tui/cell_table.py) against Textual's own DataTable.

The subclass keeps its own render caches, keyed on per-cell and per-row versions instead of the
table-wide update counter.  Proven here:

1. What is drawn is right: the same script of operations (cell updates by str keys, by key
   objects and by coordinate, rows removed and added again under the same key, columns added and
   removed, sort, clear and refill, cursor moves, focus, zebra stripes, cursor type, mouse hover,
   theme switches, scrolling, row labels, fixed rows/columns, two-line rows) is played on a plain
   ``DataTable`` and on a ``CellCachedTable`` in apps of the same size; after every step the whole
   screen the compositor produces (text, colours/attributes and the table's ``row``/``column``
   mouse metadata) must be identical, and the step's new text must be on screen and the text it
   replaced gone.
2. The caches work: after one ``update_cell`` only that row's cells reach
   ``DataTable._render_cell`` and only that row reaches ``DataTable._render_line_in_row``, while a
   plain DataTable re-renders every visible cell and line; a restyle (theme) is not served from them.
3. Nothing grows without bound: cell and row versions of rows removed behind ``remove_row``'s
   back (the bulk removal of routes.py) are pruned.

Four defects were found this way and fixed in cell_table.py; their tests stay: a row rendered
after a resize or a column re-measure kept its old width (DataTable's own width-blind caches
answered a miss), an update re-rendered its whole row instead of one cell, and row versions of rows
removed in bulk were never pruned.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from rich.style import Style
from rich.text import Text
from textual import events
from textual.app import App, ComposeResult
from textual.coordinate import Coordinate
from textual.geometry import Offset, Size
from textual.pilot import Pilot, _get_mouse_message_arguments
from textual.strip import Strip
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey, RowKey

from vpnconsole.tui.cell_table import CellCachedTable
from vpnconsole.tui.routes import _BULK_REMOVE, _remove_rows

SIZE = (64, 9)
COLUMNS = (("name", "Name"), ("value", "Value"), ("state", "State"), ("note", "Note"))
ROWS = 6


def cell(row: int, column: str) -> str:
    """Every initial cell holds a distinct token, so a stale one is recognisable on screen (and the
    columns are wide enough for the short tokens the steps write)."""
    return f"{column[:2]}{row:02d}xxxxx"


class TableApp(App[None]):
    def __init__(self, table_cls: type[DataTable], **table_kwargs: Any) -> None:
        super().__init__()
        self.table_cls = table_cls
        self.table_kwargs = table_kwargs

    def compose(self) -> ComposeResult:
        yield self.table_cls(id="t", **self.table_kwargs)


def fill(table: DataTable, rows: int = ROWS, *, label: bool = False) -> None:
    for key, label_text in COLUMNS:
        table.add_column(label_text, key=key)
    for r in range(rows):
        table.add_row(*(cell(r, key) for key, _ in COLUMNS), key=f"r{r}", label=f"L{r}" if label else None)


# -- what the screen shows -----------------------------------------------------------------------------

_TABLE_META = ("row", "column", "out_of_bounds", "fixed")

Line = tuple[tuple[str, str, tuple], ...]


def normalise(strip: Strip) -> Line:
    """A strip as runs of (text, style, table metadata); adjacent segments that look alike are
    merged, so two tables drawing the same thing in differently cut segments still compare equal."""
    runs: list[list[Any]] = []
    for segment in strip:
        if segment.control:
            continue
        style = segment.style or Style.null()
        meta = style.meta
        look = (str(style), tuple((k, meta[k]) for k in _TABLE_META if k in meta))
        if runs and runs[-1][1] == look:
            runs[-1][0] += segment.text
        else:
            runs.append([segment.text, look])
    return tuple((text, look[0], look[1]) for text, look in runs)


def screen(app: App) -> tuple[Line, ...]:
    """The whole screen as the compositor renders it now (through the widgets' line caches)."""
    return tuple(normalise(strip) for strip in app.screen._compositor.render_strips())


def text_of(shot: tuple[Line, ...]) -> str:
    return "\n".join("".join(run[0] for run in line) for line in shot)


# -- driving the apps without wall-clock waits ------------------------------------------------------------


def _pending(app: App, table: DataTable) -> bool:
    screen_ = app.screen
    pumps = [app, screen_, *screen_.walk_children(with_self=False)]
    return (any(pump._message_queue.qsize() for pump in pumps) or bool(table._updated_cells)
            or table._require_update_dimensions or screen_._layout_required or screen_._repaint_required)


async def settle(pilot: Pilot) -> None:
    """Let every queued message be handled, the table's idle work (column widths, row heights) be
    done and the screen lay out and repaint. No wall-clock waits: fast and the same on every run."""
    app = pilot.app
    table = app.query_one("#t", DataTable)
    for _ in range(20):
        await pilot._wait_for_screen()
        app.screen._on_timer_update()  # what Pilot.pause does after its wall-clock wait: layout, repaint
        if not _pending(app, table):
            return
    pytest.fail("the app did not settle")


async def post_keys(pilot: Pilot, *names: str) -> None:
    """The key events Pilot.press sends, each followed by settle() instead of Pilot.press's
    wall-clock idle waits (~60 ms a key). test_cursor_move_renders_only_the_two_rows uses Pilot.press."""
    for name in names:
        event = events.Key(name, None)
        event.set_sender(pilot.app)
        pilot.app.post_message(event)
        await settle(pilot)


def hover(x: int, y: int, expect: Coordinate) -> Callable[[DataTable, Pilot], Awaitable[None]]:
    """The mouse move Pilot.hover sends (to the screen, at ``x, y`` in the table), with settle()
    instead of its wall-clock pauses; checks the table took it."""
    async def action(table: DataTable, pilot: Pilot) -> None:
        app = pilot.app
        event = events.MouseMove(**_get_mouse_message_arguments(table, (x, y)))
        app.mouse_position = Offset(event.x, event.y)
        app.screen._forward_event(event)
        await settle(pilot)
        assert table.hover_coordinate == expect and table._show_hover_cursor
    return action


# -- scripts played on both tables ---------------------------------------------------------------------

Action = Callable[[DataTable, Pilot], Awaitable[None] | None]


@dataclass
class Step:
    name: str
    action: Action
    shows: tuple[str, ...] = ()
    hides: tuple[str, ...] = ()


@dataclass
class Run:
    shots: list[tuple[Line, ...]] = field(default_factory=list)
    text: list[str] = field(default_factory=list)


async def play(table_cls: type[DataTable], steps: list[Step], *, size: tuple[int, int] = SIZE,
               setup: Callable[[DataTable], None] = fill, **table_kwargs: Any) -> Run:
    run = Run()
    app = TableApp(table_cls, **table_kwargs)
    async with app.run_test(size=size) as pilot:
        table = app.query_one("#t", DataTable)
        assert type(table) is table_cls
        setup(table)
        await settle(pilot)
        for step in steps:
            result = step.action(table, pilot)
            if result is not None:
                await result
            await settle(pilot)
            shot = screen(app)
            run.shots.append(shot)
            run.text.append(text_of(shot))
    return run


async def assert_same_drawing(steps: list[Step], **kwargs: Any) -> Run:
    plain = await play(DataTable, steps, **kwargs)
    cached = await play(CellCachedTable, steps, **kwargs)
    for i, step in enumerate(steps):
        assert cached.text[i] == plain.text[i], (f"step {i} {step.name!r}: text differs\n--- DataTable\n"
                                                 f"{plain.text[i]}\n--- CellCachedTable\n{cached.text[i]}")
        for y, (p, c) in enumerate(zip(plain.shots[i], cached.shots[i], strict=True)):
            assert c == p, f"step {i} {step.name!r}: line {y} differs in style or metadata\n{p}\n{c}"
        for token in step.shows:
            assert token in cached.text[i], f"step {i} {step.name!r}: {token!r} not on screen\n{cached.text[i]}"
        for token in step.hides:
            assert token not in cached.text[i], f"step {i} {step.name!r}: stale {token!r} on screen\n{cached.text[i]}"
    # the script really changed what is drawn, styles included
    assert len(set(cached.shots)) > len(steps) // 2
    return cached


def noop(table: DataTable, pilot: Pilot) -> None:
    return None


def keys(*names: str) -> Action:
    async def press(table: DataTable, pilot: Pilot) -> None:
        await post_keys(pilot, *names)
    return press


def do(fn: Callable[[DataTable], Any]) -> Action:
    def action(table: DataTable, pilot: Pilot) -> None:
        fn(table)
    return action


def theme(name: str) -> Action:
    def action(table: DataTable, pilot: Pilot) -> None:
        table.app.theme = name
    return action


def update_by_key_objects(table: DataTable) -> None:
    row_key, column_key = table.coordinate_to_cell_key(Coordinate(3, 2))
    assert isinstance(row_key, RowKey) and isinstance(column_key, ColumnKey)
    table.update_cell(row_key, column_key, Text("RICH32", style="bold red"))


def readd_same_key(table: DataTable) -> None:
    table.remove_row("r5")
    table.add_row("READD-a", "READD-b", "READD-c", "READD-d", key="r5")


def refill(table: DataTable) -> None:
    table.clear()
    for r in range(ROWS):
        table.add_row(*(f"F{r:02d}{key[:2]}" for key, _ in COLUMNS), key=f"r{r}")


def refill_columns(table: DataTable) -> None:
    table.clear(columns=True)
    table.add_column("Alpha", key="name")
    table.add_column("Beta", key="b")
    for r in range(ROWS):
        table.add_row(f"G{r:02d}a-xx", f"G{r:02d}b-xx", key=f"r{r}")


def resize(width: int, height: int) -> Action:
    async def action(table: DataTable, pilot: Pilot) -> None:
        await pilot.resize_terminal(width, height)
        if pilot.app._resize_timer is not None:  # its 1/120 s debounce had not fired yet: fire it now
            pilot.app._check_resize()
        await settle(pilot)
        assert pilot.app.screen.size == Size(width, height) and table.size.width == width
    return action


def readd_last_column(table: DataTable) -> None:
    """The last column removed and added again under its key, at its index and its width."""
    assert table.ordered_columns[-1].key == ColumnKey("extra")
    table.remove_column("extra")
    table.add_column("Extra", key="extra", default="DEF2")


def cursor_type(kind: str) -> Action:
    """Switch the cursor type; "back" restores the one the table started with."""
    def action(table: DataTable, pilot: Pilot) -> None:
        saved = table.__dict__.setdefault("_first_cursor_type", table.cursor_type)
        if kind == "back":
            table.cursor_type = saved
        elif kind == "other":
            table.cursor_type = "cell" if saved == "row" else "row"
        else:
            table.cursor_type = kind
    return action


MAIN_SCRIPT = [
    Step("first paint", noop, shows=(cell(0, "name"), cell(ROWS - 1, "note"))),
    Step("update_cell by str keys", do(lambda t: t.update_cell("r2", "value", "NEWSTR")),
         shows=("NEWSTR",), hides=(cell(2, "value"),)),
    Step("update_cell by RowKey/ColumnKey", do(update_by_key_objects), shows=("RICH32",), hides=(cell(3, "state"),)),
    Step("the same cell again, by str keys", do(lambda t: t.update_cell("r3", "state", "AGAIN32")),
         shows=("AGAIN32",), hides=("RICH32",)),
    Step("update_cell_at", do(lambda t: t.update_cell_at(Coordinate(4, 1), "AT41")),
         shows=("AT41",), hides=(cell(4, "value"),)),
    Step("cursor down", keys("down")),
    Step("cursor down, right", keys("down", "right")),
    Step("update the cell under the cursor", do(lambda t: t.update_cell_at(t.cursor_coordinate, "UNDERCUR")),
         shows=("UNDERCUR",)),
    Step("cursor up", keys("up")),
    Step("update a cell of the row the cursor left", do(lambda t: t.update_cell("r2", "note", "LEFTROW")),
         shows=("LEFTROW",), hides=(cell(2, "note"),)),
    Step("update a cell to the same value", do(lambda t: t.update_cell("r4", "name", cell(4, "name"))),
         shows=(cell(4, "name"),)),
    Step("zebra stripes toggled", do(lambda t: setattr(t, "zebra_stripes", not t.zebra_stripes))),
    Step("update with stripes toggled", do(lambda t: t.update_cell("r0", "value", "ZEBRA0")),
         shows=("ZEBRA0",), hides=(cell(0, "value"),)),
    Step("focus lost", do(lambda t: t.app.set_focus(None))),
    Step("update without focus", do(lambda t: t.update_cell("r1", "value", "BLUR1")), shows=("BLUR1",)),
    Step("focus back", do(lambda t: t.focus())),
    Step("cursor hidden", do(lambda t: setattr(t, "show_cursor", False))),
    Step("cursor shown", do(lambda t: setattr(t, "show_cursor", True))),
    Step("column cursor", cursor_type("column")),
    Step("update with the column cursor", do(lambda t: t.update_cell("r4", "state", "COLCUR")), shows=("COLCUR",)),
    Step("column cursor moves", keys("left")),
    Step("other cursor type (row/cell)", cursor_type("other")),
    Step("update with the other cursor type", do(lambda t: t.update_cell_at(t.cursor_coordinate, "CTYPE")),
         shows=("CTYPE",)),
    Step("cursor type back", cursor_type("back")),
    # r5, the last row, was never updated: added again it gets the same index and the same (zero)
    # cell versions as before, only its row version tells the old cells from the new
    Step("remove_row + add_row under the same key", do(readd_same_key),
         shows=("READD-a", "READD-d"), hides=(cell(5, "name"), cell(5, "value"), cell(5, "state"), cell(5, "note"))),
    Step("update the re-added row", do(lambda t: t.update_cell("r5", "state", "R5NEW")),
         shows=("R5NEW", "READD-a"), hides=("READD-c",)),
    Step("remove a row above others", do(lambda t: t.remove_row("r1")),
         hides=(cell(1, "name"), cell(1, "note"), "BLUR1")),
    Step("update a row that moved up", do(lambda t: t.update_cell("r4", "note", "MOVED4")),
         shows=("MOVED4",), hides=(cell(4, "note"),)),
    Step("cursor down twice", keys("down", "down")),
    Step("add_column with a default", do(lambda t: t.add_column("Extra", key="extra", default="DFLT")),
         shows=("Extra", "DFLT")),
    Step("update the new column", do(lambda t: t.update_cell("r0", "extra", "EXT0")), shows=("EXT0",)),
    Step("the last column removed and added again", do(readd_last_column), shows=("DEF2",), hides=("DFLT", "EXT0")),
    Step("remove_column", do(lambda t: t.remove_column("state")),
         hides=("State", cell(0, "state"), "R5NEW", "AGAIN32")),
    Step("update after the column went", do(lambda t: t.update_cell("r5", "note", "AFTERCOL")),
         shows=("AFTERCOL",), hides=("READD-d",)),
    Step("update_cell widening its column", do(lambda t: t.update_cell("r4", "value", "W" * 28, update_width=True)),
         shows=("W" * 28,), hides=("AT41",)),
    Step("sort descending", do(lambda t: t.sort("name", reverse=True))),
    Step("update after sort", do(lambda t: t.update_cell("r2", "name", "SORTED2")),
         shows=("SORTED2",), hides=(cell(2, "name"),)),
    Step("cursor after sort", keys("down", "left")),
    Step("sort back", do(lambda t: t.sort("name"))),
    Step("light theme", theme("textual-light")),
    Step("update under light theme", do(lambda t: t.update_cell("r3", "note", "LIGHT3")),
         shows=("LIGHT3",), hides=(cell(3, "note"),)),
    Step("cursor under light theme", keys("down")),
    Step("dark theme again", theme("textual-dark")),
    Step("update under dark theme", do(lambda t: t.update_cell("r3", "note", "DARK3")),
         shows=("DARK3",), hides=("LIGHT3",)),
    Step("clear and refill under the same keys", do(refill),
         shows=("F00na", f"F{ROWS - 1:02d}no"),
         hides=("NEWSTR", "UNDERCUR", "READD-a", "MOVED4", "DARK3", "DEF2", "ZEBRA0", "CTYPE")),
    Step("update after refill", do(lambda t: t.update_cell("r3", "value", "POSTFILL")),
         shows=("POSTFILL",), hides=("F03va",)),
    Step("clear columns too and refill", do(refill_columns),
         shows=("Alpha", "Beta", "G00a-xx", f"G{ROWS - 1:02d}b-xx"), hides=("Name", "Value", "F00na", "POSTFILL")),
    Step("update after the full clear", do(lambda t: t.update_cell("r2", "b", "LAST2B")),
         shows=("LAST2B",), hides=("G02b-xx",)),
    Step("cursor at the end", keys("down", "right")),
]


@pytest.mark.parametrize(("cursor_type", "zebra_stripes"),
                         [("cell", False), ("row", True)])
async def test_draws_what_datatable_draws(cursor_type: str, zebra_stripes: bool) -> None:
    """Both start types; the script itself toggles zebra stripes and goes through the column cursor."""
    await assert_same_drawing(MAIN_SCRIPT, cursor_type=cursor_type, zebra_stripes=zebra_stripes)


async def test_row_labels_fixed_rows_and_columns_two_line_rows() -> None:
    def setup(table: DataTable) -> None:
        fill(table, label=True)
        table.add_row("M1\nM2", "V1", "S1", "N1", key="multi", height=2, label="ML")

    steps = [
        Step("first paint", noop, shows=("L0", f"L{ROWS - 1}", "M1", "M2", "ML")),
        Step("update a fixed cell", do(lambda t: t.update_cell("r0", "name", "FIXED0")),
             shows=("FIXED0",), hides=(cell(0, "name"),)),
        Step("update a scrollable cell", do(lambda t: t.update_cell("r4", "state", "SCROLL4")), shows=("SCROLL4",)),
        Step("update the second line of a two-line row", do(lambda t: t.update_cell("multi", "value", "X1\nX2")),
             shows=("X1", "X2"), hides=("V1",)),
        Step("cursor", keys("down", "down", "right")),
        Step("re-added with another label", do(lambda t: (t.remove_row("r2"),
                                                          t.add_row("A", "B", "C", "D", key="r2", label="RELABEL"))),
             shows=("RELABEL",), hides=(cell(2, "name"), "L2 ")),
        Step("sort", do(lambda t: t.sort("state"))),
        Step("update after sort", do(lambda t: t.update_cell("r5", "note", "N5")), shows=("N5",)),
        Step("cursor onto the two-line row", keys("end")),
    ]
    await assert_same_drawing(steps, size=(64, 12), setup=setup, cursor_type="row", zebra_stripes=True,
                              fixed_rows=1, fixed_columns=1)


async def test_mouse_hover() -> None:
    # the header is line 0, so row 3 is line 4; x = 14 is inside the second column ("value")
    steps = [
        Step("first paint", noop),
        Step("hover a cell", hover(14, 4, Coordinate(3, 1))),
        Step("update the hovered cell", do(lambda t: t.update_cell_at(t.hover_coordinate, "HOVERED")),
             shows=("HOVERED",), hides=(cell(3, "value"),)),
        Step("update a cell beside it", do(lambda t: t.update_cell("r3", "state", "BESIDE")), shows=("BESIDE",)),
        Step("hover another row", hover(14, 6, Coordinate(5, 1))),
        Step("update the row left by the mouse", do(lambda t: t.update_cell("r3", "name", "LEFT3")),
             shows=("LEFT3",)),
        Step("the keyboard hides the hover cursor", keys("down", "right")),
    ]
    for cursor_type in ("cell", "row"):
        run = await assert_same_drawing(steps, cursor_type=cursor_type, zebra_stripes=True)
        assert run.shots[1] != run.shots[0], "hovering changed nothing: the hover was not exercised"


async def test_scrolling_shows_updates_made_off_screen() -> None:
    steps = [
        Step("first paint", noop, shows=(cell(0, "name"),), hides=(cell(24, "name"),)),
        Step("update a row off screen", do(lambda t: t.update_cell("r24", "name", "OFFSCREEN"))),
        Step("update a row on screen", do(lambda t: t.update_cell("r1", "name", "ONSCREEN")), shows=("ONSCREEN",)),
        Step("cursor down past the bottom", keys("pagedown", "pagedown", "pagedown"),
             shows=("OFFSCREEN",), hides=(cell(24, "name"), "ONSCREEN")),
        Step("update while scrolled", do(lambda t: t.update_cell("r21", "value", "SCROLLED"))),
        Step("scroll right", do(lambda t: t.scroll_to(x=6, animate=False))),
        Step("update while scrolled right", do(lambda t: t.update_cell("r24", "note", "RIGHT24"))),
        Step("back to the top", keys("ctrl+home", "home"), shows=("ONSCREEN",), hides=("OFFSCREEN",)),
    ]
    run = await assert_same_drawing(steps, size=(40, 9), setup=lambda t: fill(t, rows=30), cursor_type="row",
                                    zebra_stripes=True)
    assert "SCROLLED" in run.text[4] and "RIGHT24" in run.text[6]


async def test_terminal_resize() -> None:
    """Rows follow the table's width (their background and cursor bar reach its right edge). See
    test_rows_follow_a_terminal_resize for a row updated just before the resize."""
    steps = [
        Step("first paint", noop),
        Step("wider terminal", resize(SIZE[0] + 16, SIZE[1])),
        Step("update in the wider terminal", do(lambda t: t.update_cell("r3", "name", "WIDER3")), shows=("WIDER3",)),
        Step("cursor in the wider terminal", keys("down")),
        Step("narrower terminal", resize(SIZE[0] - 8, SIZE[1])),
        Step("update in the narrower terminal", do(lambda t: t.update_cell("r4", "name", "NARROW4")),
             shows=("NARROW4",)),
    ]
    await assert_same_drawing(steps, cursor_type="row", zebra_stripes=True)


async def test_rows_bulk_removed_and_added_again_under_their_keys() -> None:
    """routes.py removes many rows behind remove_row's back; the same keys added again must not show
    the cells the old rows had."""
    gone = [f"r{r}" for r in range(2, 3 + _BULK_REMOVE)]  # more than _BULK_REMOVE: the internal path

    def readd(table: DataTable) -> None:
        for key in gone:
            table.add_row(*(f"B{key}{c[:2]}" for c, _ in COLUMNS), key=key)

    steps = [
        Step("first paint", noop),
        Step("update rows about to go", do(lambda t: [t.update_cell(key, "value", f"OLD{key}") for key in gone]),
             shows=("OLDr2", "OLDr3")),
        Step("bulk removal", do(lambda t: _remove_rows(t, gone)), hides=("OLDr2", "OLDr3", cell(2, "name"))),
        Step("added again", do(readd), shows=("Br2na", "Br3va"), hides=("OLDr2", "OLDr3", cell(2, "name"))),
        Step("update one of them", do(lambda t: t.update_cell("r4", "note", "NEW4")),
             shows=("NEW4",), hides=("Br4no", "OLDr4")),
    ]
    await assert_same_drawing(steps, size=(64, 16), setup=lambda t: fill(t, rows=14), cursor_type="row",
                              zebra_stripes=True)


# -- the caches actually work ----------------------------------------------------------------------------


class Calls:
    def __init__(self) -> None:
        self.cells: Counter[tuple[int, int]] = Counter()
        self.lines: Counter[tuple[Any, int]] = Counter()

    def reset(self) -> None:
        self.cells.clear()
        self.lines.clear()


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Calls:
    """Counts what reaches DataTable's own _render_cell and _render_line_in_row: for a
    CellCachedTable what its caches let through, for a DataTable every call."""
    counter = Calls()
    render_cell, render_line_in_row = DataTable._render_cell, DataTable._render_line_in_row

    def counting_render_cell(self, row_index, column_index, *args, **kwargs):
        counter.cells[(row_index, column_index)] += 1
        return render_cell(self, row_index, column_index, *args, **kwargs)

    def counting_render_line_in_row(self, row_key, line_no, *args, **kwargs):
        counter.lines[(row_key, line_no)] += 1
        return render_line_in_row(self, row_key, line_no, *args, **kwargs)

    monkeypatch.setattr(DataTable, "_render_cell", counting_render_cell)
    monkeypatch.setattr(DataTable, "_render_line_in_row", counting_render_line_in_row)
    return counter


async def repaint_after(table_cls: type[DataTable], calls: Calls, change: Callable[[DataTable], None],
                        **table_kwargs: Any) -> tuple[Line, ...]:
    """Paint the filled table, count nothing of that, make ``change`` and paint again."""
    app = TableApp(table_cls, **table_kwargs)
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one("#t", DataTable)
        fill(table)
        await settle(pilot)
        screen(app)
        assert calls.cells, "the table was never painted"
        calls.reset()
        change(table)
        await settle(pilot)
        return screen(app)


VISIBLE_CELLS = {(-1, c) for c in range(len(COLUMNS))} | {(r, c) for r in range(ROWS) for c in range(len(COLUMNS))}
ROW5 = {(5, c) for c in range(len(COLUMNS))}


def update_one_cell(table: DataTable) -> None:
    table.update_cell("r5", "state", "ONLYME")


@pytest.mark.parametrize("cursor_type", ["cell", "row"])
async def test_one_update_renders_only_its_row(calls: Calls, cursor_type: str) -> None:
    kwargs = {"cursor_type": cursor_type, "zebra_stripes": True}
    plain_shot = await repaint_after(DataTable, calls, update_one_cell, **kwargs)
    plain_cells, plain_lines = Counter(calls.cells), Counter(calls.lines)
    calls.reset()
    shot = await repaint_after(CellCachedTable, calls, update_one_cell, **kwargs)

    assert shot == plain_shot and "ONLYME" in text_of(shot)
    # the baseline is real: a plain DataTable renders every visible cell and line again
    assert set(plain_cells) >= VISIBLE_CELLS
    assert len(plain_lines) == ROWS + 1
    # the cached table: that one row line, once; no cell of another row; the changed cell once
    assert calls.lines == Counter({(RowKey("r5"), 0): 1})
    assert set(calls.cells) <= ROW5 and calls.cells[(5, 2)] == 1
    assert max(calls.cells.values()) == 1


async def test_one_update_renders_only_that_cell(calls: Calls) -> None:
    await repaint_after(CellCachedTable, calls, update_one_cell, cursor_type="cell")
    assert calls.cells == Counter({(5, 2): 1})


async def test_unchanged_rows_are_not_rendered_again(calls: Calls) -> None:
    """Cells of two rows change: only those two rows reach DataTable's rendering, once each."""
    def change(table: DataTable) -> None:
        table.update_cell("r1", "name", "A1")
        table.update_cell("r1", "note", "B1")
        table.update_cell_at(Coordinate(4, 1), "C4")

    shot = await repaint_after(CellCachedTable, calls, change, cursor_type="cell")
    assert {"A1", "B1", "C4"} <= set(text_of(shot).split())
    assert calls.lines == Counter({(RowKey("r1"), 0): 1, (RowKey("r4"), 0): 1})
    assert {row for row, _ in calls.cells} == {1, 4} and max(calls.cells.values()) == 1
    assert {(1, 0), (1, 3), (4, 1)} <= set(calls.cells)


async def test_cursor_move_renders_only_the_two_rows(calls: Calls) -> None:
    app = TableApp(CellCachedTable, cursor_type="row", zebra_stripes=True)
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one("#t", DataTable)
        fill(table)
        await settle(pilot)
        screen(app)
        calls.reset()
        await pilot.press("down")  # the real Pilot path, once
        await settle(pilot)
        screen(app)
        assert table.cursor_coordinate == Coordinate(1, 0)
    assert set(calls.lines) == {(RowKey("r0"), 0), (RowKey("r1"), 0)}


async def test_theme_switch_renders_everything_again(calls: Calls) -> None:
    """The opposite guard: a restyle must not be served from the caches."""
    await repaint_after(CellCachedTable, calls, lambda t: setattr(t.app, "theme", "textual-light"),
                        cursor_type="row")
    assert set(calls.cells) >= VISIBLE_CELLS
    assert len(calls.lines) == ROWS + 1


async def test_styles_are_kept_only_while_a_frame_renders() -> None:
    """rich_style and the row styles are computed once per frame; between frames they follow the
    styles at once (here: a background set without any repaint in between)."""
    app = TableApp(CellCachedTable, zebra_stripes=True)
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one("#t", CellCachedTable)
        fill(table)
        await settle(pilot)
        screen(app)
        before = table.rich_style
        table.styles.background = "red"
        table.styles.color = "yellow"
        assert table.rich_style != before
        assert table.rich_style == DataTable.rich_style.fget(table)
        base = table.rich_style
        assert table._get_row_style(0, base) == DataTable._get_row_style(table, 0, base)


# -- nothing unbounded -------------------------------------------------------------------------------------


async def bulk_cycles(cycles: int, per_cycle: int = 50) -> tuple[CellCachedTable, int]:
    """Each cycle adds ``per_cycle`` rows under new keys, updates all their cells and removes them
    the way routes.py does (behind remove_row's back). Returns the table and the most cell versions
    it ever held."""
    app = TableApp(CellCachedTable)
    async with app.run_test(size=SIZE):
        table = app.query_one("#t", CellCachedTable)
        fill(table, rows=4)
        most = 0
        for cycle in range(cycles):
            keys_ = [f"c{cycle}-{i}" for i in range(per_cycle)]
            for key in keys_:
                table.add_row(*(f"{key}{c}" for c in range(len(COLUMNS))), key=key)
            for key in keys_:
                for column_key, _ in COLUMNS:
                    table.update_cell(key, column_key, "u")
                    most = max(most, cell_versions(table))
            _remove_rows(table, keys_)
            assert len(table.rows) == 4
        return table, most


def cell_versions(table: CellCachedTable) -> int:
    return sum(len(columns) for columns in table._cell_versions.values())


async def test_cell_versions_of_bulk_removed_rows_are_pruned() -> None:
    columns = len(COLUMNS)
    table, most = await bulk_cycles(40, per_cycle=50)
    # 40 × 50 × 4 = 8,000 cells were updated; pruning keeps the versions to those of the rows
    # the table may hold (twice the most it held, 4 + 50, plus an allowance of 1,000 rows)
    bound = (2 * (4 + 50) + 1_000 + 1) * columns
    assert most <= bound
    assert cell_versions(table) <= bound
    assert most < 40 * 50 * columns * 2 // 3
    # pruning keeps the versions of live rows: a live row updated now still counts
    table.update_cell("r1", "name", "x")
    assert ColumnKey("name") in table._cell_versions[RowKey("r1")]
    # remove_row drops a row's versions at once
    table.remove_row("r1")
    assert RowKey("r1") not in table._cell_versions
    assert RowKey("r1") not in table._row_versions
    # and clear() all of them
    table.update_cell("r2", "name", "x")
    table.clear()
    assert not table._cell_versions and not table._row_versions


async def test_row_versions_of_bulk_removed_rows_are_pruned() -> None:
    app = TableApp(CellCachedTable)
    async with app.run_test(size=SIZE):
        table = app.query_one("#t", CellCachedTable)
        fill(table, rows=4)
        for cycle in range(15):  # routes coming and going: 1,500 keys, never more than 104 rows
            keys_ = [f"c{cycle}-{i}" for i in range(100)]
            for key in keys_:
                table.add_row(*(f"{key}{c}" for c in range(len(COLUMNS))), key=key)
            table.update_cell(keys_[0], "name", "u")
            _remove_rows(table, keys_)
        assert len(table.rows) == 4
        # the same allowance update_cell gives _cell_versions, with the most rows the table held
        assert len(table._row_versions) <= 2 * 104 + 1_000


# -- DataTable's own caches answering for CellCachedTable -------------------------------------------------
#
# CellCachedTable delegates a miss to super()._render_line_in_row / super()._render_cell, which first
# look in DataTable's own caches. Those are keyed on _update_count, not on the table's width or its
# column widths. When the width changes before _update_count does, DataTable hands back a line
# rendered for the old width; CellCachedTable files it under the new width, and there it outlives
# the next _update_count bump, which makes a plain DataTable draw everything afresh.


async def test_rows_follow_a_terminal_resize() -> None:
    """The table is painted at its new width before it handles its own Resize event (which is when
    DataTable bumps _update_count), so rows DataTable had rendered since the last bump come back from
    its cache at the old width."""
    steps = [
        Step("first paint", noop),
        Step("update the cursor row", do(lambda t: t.update_cell("r0", "name", "BEFORE0"))),
        Step("wider terminal", resize(SIZE[0] + 16, SIZE[1])),
        Step("update another row", do(lambda t: t.update_cell("r2", "name", "AFTER2"))),
    ]
    kwargs = {"cursor_type": "row", "zebra_stripes": True}
    plain, cached = await play(DataTable, steps, **kwargs), await play(CellCachedTable, steps, **kwargs)
    # only the last step: right after the resize DataTable itself may still show old-width lines
    assert "BEFORE0" in plain.text[-1] and "AFTER2" in plain.text[-1]
    assert cached.text[-1] == plain.text[-1]
    for y, (p, c) in enumerate(zip(plain.shots[-1], cached.shots[-1], strict=True)):
        assert c == p, f"line {y} differs\n{p}\n{c}"


async def widen_before_idle(table_cls: type[DataTable]) -> str:
    app = TableApp(table_cls)
    async with app.run_test(size=(30, 6)) as pilot:
        table = app.query_one("#t", DataTable)
        for key in "abcd":
            table.add_column(key, key=key)
        for r in range(4):
            table.add_row(f"a{r}", "B" * 10 if r == 3 else f"b{r}", f"c{r}", "d" * 12, key=f"r{r}")
        await settle(pilot)
        table.update_cell("r3", "a", "A" * 10, update_width=True)
        # a frame rendered before the table's idle handler re-measures column "a" (a horizontal
        # scrollbar is already there, so the new width does not resize the table)
        app.export_screenshot()
        await settle(pilot)
        table.scroll_to(x=1, animate=False)
        await settle(pilot)
        table.update_cell("r0", "c", "NEW")  # any later change elsewhere: DataTable draws everything afresh
        await settle(pilot)
        return text_of(screen(app))


async def test_row_painted_before_the_column_was_measured_is_redrawn() -> None:
    plain = await widen_before_idle(DataTable)
    assert "AAAAAAAAAA" in plain
    assert await widen_before_idle(CellCachedTable) == plain
