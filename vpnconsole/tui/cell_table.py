"""A DataTable that repaints only the rows that changed.

Textual's DataTable keys its rendered-cell and rendered-row caches on a table-wide update counter,
so changing one cell re-renders every visible cell of every visible row: 50-60 ms for the 34 × 6
parameter table at 160×48 each time a status refresh changed a live value, more than a frame's
budget.  :class:`CellCachedTable` keeps its own caches, keyed on versions instead: a cell's version
is bumped by ``update_cell`` (and starts afresh when its row is added again under the same key), a
row's by any change to one of its cells, and every key also holds what changes how a cell or row
looks (its position, base style, widths,
whether the cursor or the mouse is on it, the table's pseudo-classes).  Whatever Textual clears its
own caches for (styles, theme, cursor type, zebra stripes, padding …) clears these too.  Within one
frame the table's own style and its row styles are computed once, not once per line (each walks
every ancestor).

Only the public ways of changing cells are tracked (``update_cell``/``update_cell_at``, ``add_row``,
``remove_row``, columns, ``clear``); code that writes ``_data`` directly would need to call
:meth:`CellCachedTable.forget_cells`.
"""

from __future__ import annotations

from itertools import count
from typing import Any

from rich.cells import cell_len
from rich.text import Text
from textual.cache import LRUCache
from textual.coordinate import Coordinate
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey, RowKey

from vpnconsole.tui.frames import FrameStyleCache

__all__ = ["CellCachedTable", "text_width"]

#: rendered cells and row lines kept (DataTable's own caches hold as many)
CELL_CACHE_SIZE = 10_000
ROW_CACHE_SIZE = 1_000


def text_width(cell: object) -> int:
    """Cells of a one-line Text or a markup-free str: their width; anything else: -1 (measure it).

    DataTable measures a cell through the console (~70 µs); for one-line text that is ``cell_len``."""
    if isinstance(cell, Text):
        return -1 if "\n" in cell.plain else cell.cell_len
    if isinstance(cell, str):
        return -1 if "[" in cell or "\n" in cell else cell_len(cell)
    return -1


class CellCachedTable(FrameStyleCache, DataTable):
    """DataTable with a per-cell render cache that survives updates of other cells."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._serials = count(1)
        self._rows_added: dict[RowKey, int] = {}  # a row added again under its key is a new row
        self._row_versions: dict[RowKey, int] = {}  # bumped by any change to the row
        self._cell_versions: dict[RowKey, dict[ColumnKey, int]] = {}
        self._epoch = 0
        self._stable_cells: LRUCache[tuple, Any] = LRUCache(CELL_CACHE_SIZE)
        self._stable_rows: LRUCache[tuple, Any] = LRUCache(ROW_CACHE_SIZE)
        super().__init__(*args, **kwargs)

    # -- what invalidates -----------------------------------------------------------------------------

    def forget_cells(self) -> None:
        """Drop every rendered cell (the next frame renders them all again)."""
        self._epoch += 1
        self._stable_cells.clear()
        self._stable_rows.clear()

    def _clear_caches(self) -> None:
        super()._clear_caches()
        self.forget_cells()

    def notify_style_update(self) -> None:
        self.forget_cells()
        super().notify_style_update()

    def update_cell(self, row_key: RowKey | str, column_key: ColumnKey | str, value: Any, *,
                    update_width: bool = False) -> None:
        super().update_cell(row_key, column_key, value, update_width=update_width)
        # StringKey hashes and compares like its string: one entry whichever form the caller used
        row = RowKey(row_key) if isinstance(row_key, str) else row_key
        column = ColumnKey(column_key) if isinstance(column_key, str) else column_key
        self._cell_versions.setdefault(row, {})[column] = self._row_versions[row] = next(self._serials)
        self._prune()

    def add_row(self, *cells: Any, **kwargs: Any) -> RowKey:
        row_key = super().add_row(*cells, **kwargs)
        self._rows_added[row_key] = self._row_versions[row_key] = next(self._serials)
        self._cell_versions.pop(row_key, None)
        self._prune()
        return row_key

    def remove_row(self, row_key: RowKey | str) -> None:
        super().remove_row(row_key)
        self._forget_row(RowKey(row_key) if isinstance(row_key, str) else row_key)
        # the rows below moved up: their lines are keyed by index, so they simply miss

    def _forget_row(self, row_key: RowKey) -> None:
        self._rows_added.pop(row_key, None)
        self._row_versions.pop(row_key, None)
        self._cell_versions.pop(row_key, None)

    def _prune(self) -> None:
        # rows removed in bulk behind remove_row's back (routes.py): drop their versions too
        rows = self.rows
        if len(self._row_versions) > 2 * len(rows) + 1_000:
            for row_key in [key for key in self._row_versions if key not in rows]:
                self._forget_row(row_key)

    def add_column(self, *args: Any, **kwargs: Any) -> ColumnKey:
        self.forget_cells()
        return super().add_column(*args, **kwargs)

    def remove_column(self, column_key: ColumnKey | str) -> None:
        self.forget_cells()
        super().remove_column(column_key)

    def clear(self, columns: bool = False) -> Any:
        self._rows_added.clear()
        self._row_versions.clear()
        self._cell_versions.clear()
        self.forget_cells()
        return super().clear(columns)

    # -- the cache -----------------------------------------------------------------------------------

    def _render_cell(self, row_index: int, column_index: int, base_style: Any, width: int,
                     cursor: bool = False, hover: bool = False) -> Any:
        if row_index == -1:
            row_key, height = self._header_row_key, self.header_height
        else:
            row_key = self._row_locations.get_key(row_index)
            row = self.rows.get(row_key)
            height = row.height if row is not None else 0
        column_key = self._column_locations.get_key(column_index)
        versions = self._cell_versions.get(row_key)
        key = (self._epoch, row_key, self._rows_added.get(row_key, 0), column_key,
               versions.get(column_key, 0) if versions else 0, row_index, column_index, base_style,
               width, height, cursor, hover, self._show_hover_cursor, self.show_cursor,
               self._pseudo_class_state)
        lines = self._stable_cells.get(key)
        if lines is None:
            # DataTable's own cache must not answer: its key lacks the width, and a frame painted
            # after a resize but before the table's Resize handler would hand back the old width
            self._cell_render_cache.clear()
            lines = super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
            self._stable_cells[key] = lines
        return lines

    def _render_line_in_row(self, row_key: RowKey, line_no: int, base_style: Any, cursor_location: Coordinate,
                            hover_location: Coordinate) -> Any:
        locations = self._row_locations
        row_index = locations.get(row_key) if row_key in locations else -1  # -1: the header
        cursor_type = self.cursor_type
        key = (self._epoch, row_key, self._row_versions.get(row_key, 0), row_index, line_no, base_style,
               _highlight(cursor_location, row_index, cursor_type), _highlight(hover_location, row_index, cursor_type),
               cursor_type, self.show_cursor, self._show_hover_cursor, self._pseudo_class_state, self.size.width,
               tuple(column.get_render_width(self) for column in self.ordered_columns),
               self._row_label_column_width, self._labelled_row_exists and self.show_row_labels,
               self.fixed_columns)
        pair = self._stable_rows.get(key)
        if pair is None:
            self._row_render_cache.clear()  # as in _render_cell: never DataTable's width-blind answer
            pair = super()._render_line_in_row(row_key, line_no, base_style, cursor_location, hover_location)
            self._stable_rows[key] = pair
        return pair

    # -- row styles, once per frame (the table's own: FrameStyleCache) --------------------------------

    def _get_row_style(self, row_index: int, base_style: Any) -> Any:
        frame = self._frame_styles
        if frame is None:
            return super()._get_row_style(row_index, base_style)
        kind = -1 if row_index == -1 else -2 if row_index < self.fixed_rows else row_index % 2
        style = frame.get((kind, base_style))
        if style is None:
            style = frame[(kind, base_style)] = super()._get_row_style(row_index, base_style)
        return style


def _highlight(location: Coordinate, row_index: int, cursor_type: str) -> Any:
    """What of ``location`` (the cursor's or the mouse's) decides how the row ``row_index`` looks."""
    if cursor_type == "row":
        return location.row == row_index
    if cursor_type == "cell":
        return location.column if location.row == row_index else None
    if cursor_type == "column":
        return location.column
    return None
