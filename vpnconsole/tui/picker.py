"""The lab picker: the saved per-lab profiles with their last known state; open, new, copy, rename,
delete.  The rules (names, refusing to rename a lab with something applied) live in vpnconsole.labs.
"""

from __future__ import annotations

import time

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Footer, Header, OptionList, Static
from textual.widgets.option_list import Option

from vpnconsole.tui.widgets import sync_rows

PLATFORMS = (("comware7", "Comware V7 router (SSH CLI)"), ("comware5", "Comware V5 router (SSH CLI)"),
             ("er", "ER-series router (web GUI; guided checklist)"),
             ("er-legacy", "ER-series router, older firmware (MD5/SHA1, DH1/2/5 only)"))


def _ago(at: float | None) -> str:
    if not at:
        return ""
    seconds = max(0, int(time.time() - at))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit} ago"
    return f"{seconds}s ago"


class PlatformScreen(ModalScreen["str | None"]):
    """Which router the new lab has: its defaults follow (ER: AES-128, SHA1, DH2)."""

    DEFAULT_CSS = """
    PlatformScreen { align: center middle; }
    PlatformScreen > Vertical { width: 60; max-width: 95%; height: auto; border: round $primary;
                                background: $surface; padding: 0 1; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("The on-premises router of the new lab:")
            yield OptionList(*(Option(label, id=key) for key, label in PLATFORMS), id="platforms")

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


class PickerScreen(Screen):
    BINDINGS = [
        Binding("enter", "open", "Open", show=True),
        Binding("n", "new", "New"),
        Binding("c", "copy", "Copy"),
        Binding("r", "rename", "Rename"),
        Binding("D", "delete", "Delete"),
        Binding("g", "reload", "Reload", show=False),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Labs — saved per-lab profiles", id="picker-title")
        yield DataTable(id="labs", cursor_type="row", zebra_stripes=True)
        yield Static("", id="picker-empty")
        yield Footer()

    def on_mount(self) -> None:
        self.title = "vpnconsole — labs"
        table = self.query_one(DataTable)
        for key, label in (("name", "Lab"), ("platform", "Router"), ("state", "Last known state"),
                           ("applied", "Applied"), ("path", "Profile")):
            table.add_column(label, key=key)
        self.reload()
        table.focus()

    def reload(self) -> None:
        from vpnconsole.labs import list_labs
        from vpnconsole.profile import profile_dirs

        entries = list_labs()
        rows = []
        for e in entries:
            if e.shadowed:
                continue
            if e.last:
                mark = "✓" if e.last.get("up") else "✗"
                state = Text(f"{mark} {e.last.get('code')} ({_ago(e.last.get('at'))})",
                             style="green" if e.last.get("up") else "red")
            else:
                state = Text("never read", style="dim")
            platform = e.platform or Text(f"invalid ({e.problems})", style="yellow")
            rows.append((e.name, (e.name, platform, state, "yes" if e.applied else "", str(e.path))))
        sync_rows(self.query_one(DataTable), rows)
        empty = self.query_one("#picker-empty", Static)
        empty.update("" if entries else "No labs yet: n creates one from a template; searched "
                     + ", ".join(str(d) for d in profile_dirs()))

    def action_reload(self) -> None:
        self.reload()

    @property
    def selected(self) -> str | None:
        table = self.query_one(DataTable)
        if table.row_count == 0:
            return None
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("open", "copy", "rename", "delete"):
            return self.selected is not None
        return True

    @on(DataTable.RowSelected)
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_open()

    def action_open(self) -> None:
        name = self.selected
        if name:
            self.app.open_lab(name)

    @work(exclusive=True, exit_on_error=False)
    async def action_new(self) -> None:
        from vpnconsole.labs import LabFileError, new_lab
        from vpnconsole.tui.dialogs import NameInputScreen, lab_name_problem

        platform = await self.app.push_screen_wait(PlatformScreen())
        if platform is None:
            return
        name = await self.app.push_screen_wait(NameInputScreen("Name of the new lab", validate=lab_name_problem))
        if not name:
            return
        try:
            path = new_lab(name, platform)
        except (LabFileError, Exception) as exc:  # noqa: BLE001 - shown, never a crash
            self.notify(str(exc), severity="error", timeout=8)
            return
        self.notify(f"created {path} from the {platform} template — replace the example values")
        self.reload()
        self.app.open_lab(name)

    @work(exclusive=True, exit_on_error=False)
    async def action_copy(self) -> None:
        from vpnconsole.labs import copy_lab
        from vpnconsole.tui.dialogs import NameInputScreen, lab_name_problem

        source = self.selected
        if source is None:
            return
        name = await self.app.push_screen_wait(NameInputScreen(f"Copy {source} as", initial=f"{source}-copy",
                                                               validate=lab_name_problem))
        if not name:
            return
        try:
            path = copy_lab(source, name)
        except Exception as exc:  # noqa: BLE001
            self.notify(str(exc), severity="error", timeout=8)
            return
        self.notify(f"copied {source} to {path} (the PSK is not copied: set or generate one)")
        self.reload()

    @work(exclusive=True, exit_on_error=False)
    async def action_rename(self) -> None:
        from vpnconsole.labs import rename_lab
        from vpnconsole.tui.dialogs import ConfirmScreen, NameInputScreen, lab_name_problem

        old = self.selected
        if old is None:
            return
        new = await self.app.push_screen_wait(NameInputScreen(f"Rename {old} to", initial=old,
                                                              validate=lab_name_problem))
        if not new or new == old:
            return
        if not await self.app.push_screen_wait(ConfirmScreen(f"Rename lab {old} to {new}?")):
            return
        try:
            path = rename_lab(old, new)
        except Exception as exc:  # noqa: BLE001
            self.notify(str(exc), severity="error", timeout=10)
            return
        self.notify(f"renamed to {path}")
        self.reload()

    @work(exclusive=True, exit_on_error=False)
    async def action_delete(self) -> None:
        from vpnconsole.labs import delete_lab
        from vpnconsole.tui.dialogs import ConfirmScreen

        name = self.selected
        if name is None:
            return
        if not await self.app.push_screen_wait(ConfirmScreen(
                f"Delete lab {name}'s profile and its secrets? (a .bak copy of the profile is kept)",
                yes="Delete", danger=True)):
            return
        try:
            store = await self.app.ensure_store()
        except Exception:  # noqa: BLE001 - the profile can go even when the keyring is locked
            store = None
        try:
            delete_lab(name, store=store)
        except Exception as exc:  # noqa: BLE001
            self.notify(str(exc), severity="error", timeout=10)
            return
        self.notify(f"deleted lab {name}")
        self.reload()


__all__ = ["PickerScreen", "PlatformScreen"]
