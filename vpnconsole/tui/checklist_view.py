"""The H3C pane for a web-managed ER router: the guided checklist instead of CLI.

Each step is one field of one GUI page, with the value to pick in the router's own words, the
Chinese label with the English beside it; the PSK is masked.  Space (or Enter) ticks a step off;
the ticks are saved per lab (``ChecklistProgress``) and dropped when the checklist changes, because
a tick means "this exact value was entered".
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from vpnconsole.tui.widgets import sync_rows


class ChecklistView(Vertical):
    DEFAULT_CSS = """
    ChecklistView { height: 1fr; }
    ChecklistView #checklist-summary { height: auto; padding: 0 1; background: $boost; }
    ChecklistView DataTable { height: 1fr; }
    """
    BINDINGS = [Binding("space", "toggle", "Tick", show=True)]

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.checklist: Any = None
        self.progress: Any = None

    def compose(self) -> ComposeResult:
        yield Static("ER checklist: reading the gateway's addresses…", id="checklist-summary")
        yield DataTable(id="checklist-table", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for key, label in (("done", "✓"), ("page", "Page 页面"), ("field", "Field 字段"), ("value", "Value 值"),
                           ("note", "Note")):
            table.add_column(label, key=key)

    def show(self, checklist: Any, progress: Any) -> None:
        """A (new) checklist and its saved ticks; rows are keyed by step id and updated in place."""
        self.checklist, self.progress = checklist, progress
        rows = []
        for n, page in enumerate(checklist.pages, 1):
            where = f" · T{page.tunnel}" if page.tunnel else ""
            rows.extend((step.id, (self._mark(step.id), f"{n}. {page.title_zh} {page.title_en}{where}",
                                   f"{step.label_zh} · {step.label_en}", Text(step.shown(False), style="bold"),
                                   step.note)) for step in page.steps)
        sync_rows(self.query_one(DataTable), rows)
        self._summary()

    def _mark(self, step_id: str) -> Text:
        done = self.progress is not None and step_id in self.progress.done
        return Text("✓" if done else "☐", style="bold green" if done else "dim")

    def _summary(self) -> None:
        if self.checklist is None:
            return
        total = len(self.checklist.step_ids)
        done = total - len(self.progress.remaining)
        reset = " (the checklist changed: earlier ticks were dropped)" if self.progress.was_reset else ""
        state = "all entered — apply records your confirmation and applies Alibaba" if done == total else \
            "space ticks a step off once it is entered on the router"
        self.query_one("#checklist-summary", Static).update(
            f"ER web GUI checklist {self.checklist.content_hash()}: {done}/{total} steps entered{reset} · {state}")

    def action_toggle(self) -> None:
        table = self.query_one(DataTable)
        if self.progress is None or table.row_count == 0:
            return
        step_id = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        self.progress.toggle(step_id)
        self.progress.save()
        table.update_cell(step_id, "done", self._mark(step_id))
        self._summary()
        if table.cursor_row < table.row_count - 1:
            table.move_cursor(row=table.cursor_row + 1)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_toggle()

    @property
    def complete(self) -> bool:
        return self.progress is not None and self.progress.complete
