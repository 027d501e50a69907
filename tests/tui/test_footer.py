"""The console's one-line footer (vpnconsole.tui.widgets.ConsoleFooter).

It must show exactly the keys the screen allows now (hidden when ``check_action`` says False,
dimmed when it says None), keep ``?`` and the palette in view at 80 columns, press a key when it is
clicked, and re-render only when the keys it shows change."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Static

from tests.tui.screen import plain_text
from vpnconsole.tui.widgets import ConsoleFooter


class KeysScreen(Screen):
    BINDINGS = [
        Binding("a", "apply", "Apply"),
        Binding("x", "cancel_operation", "Cancel"),
        Binding("t", "teardown", "Teardown"),
        Binding("r", "refresh", "Refresh"),
        Binding("n", "renegotiate", "Renegotiate"),
        Binding("d", "diff", "Diff"),
        Binding("e", "edit", "Edit"),
        Binding("l", "labs", "Labs"),
        Binding("question_mark", "keys", "Keys"),
        Binding("z", "hidden_one", "Hidden", show=False),
    ]
    busy = False

    def compose(self) -> ComposeResult:
        yield Static("body")
        yield ConsoleFooter()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel_operation":
            return True if self.busy else False  # hidden unless an operation runs
        if action in ("apply", "teardown"):
            return None if self.busy else True  # shown dimmed while busy
        return True

    def action_apply(self) -> None:
        self.app.pressed.append("apply")

    def action_keys(self) -> None:
        self.app.pressed.append("keys")


class KeysApp(App):
    def __init__(self) -> None:
        super().__init__()
        self.pressed: list[str] = []

    def on_mount(self) -> None:
        self.push_screen(KeysScreen())


def footer_line(app: App) -> str:
    return plain_text(app).rstrip("\n").splitlines()[-1]


def spans(app: App, text: str) -> list[str]:
    """The styles of the footer's key hint whose text contains ``text``."""
    footer = app.screen.query_one(ConsoleFooter)
    keys = footer.query_one("#footer-keys", Static).visual
    plain = keys.plain
    start = plain.index(text)
    return [str(span.style) for span in keys.spans if span.start <= start < span.end]


async def test_shows_what_is_allowed_now_and_dims_what_is_not():
    app = KeysApp()
    async with app.run_test(size=(160, 10)) as pilot:
        await pilot.pause()
        line = footer_line(app)
        assert "a Apply" in line and "t Teardown" in line and "? Keys" in line and "palette" in line
        assert "Cancel" not in line and "Hidden" not in line
        assert not any("dim" in s for s in spans(app, "Apply"))

        screen = app.screen
        screen.busy = True
        screen.refresh_bindings()
        await pilot.pause()
        line = footer_line(app)
        assert "x Cancel" in line and "a Apply" in line
        assert any("dim" in s for s in spans(app, "Apply"))
        assert not any("dim" in s for s in spans(app, "Cancel"))


async def test_keys_and_palette_stay_in_view_at_80_columns():
    app = KeysApp()
    async with app.run_test(size=(80, 10)) as pilot:
        await pilot.pause()
        line = footer_line(app)
        assert line.rstrip().endswith("^p palette")
        assert "? Keys" in line
        assert "…" in line  # the rest is cut, visibly


async def test_a_click_presses_the_key():
    app = KeysApp()
    async with app.run_test(size=(160, 10)) as pilot:
        await pilot.pause()
        keys = app.screen.query_one("#footer-keys", Static)
        await pilot.click(keys, offset=(keys.visual.plain.index("Apply"), 0))
        await pilot.pause()
        assert app.pressed == ["apply"]
        help_keys = app.screen.query_one("#footer-help", Static)
        await pilot.click(help_keys, offset=(help_keys.visual.plain.index("Keys"), 0))
        await pilot.pause()
        assert app.pressed == ["apply", "keys"]


async def test_rerenders_only_when_the_keys_change():
    app = KeysApp()
    async with app.run_test(size=(160, 10)) as pilot:
        await pilot.pause()
        keys = app.screen.query_one("#footer-keys", Static)
        updates: list[object] = []
        original = keys.update
        keys.update = lambda content="": (updates.append(content), original(content))[1]  # type: ignore[method-assign]
        for _ in range(3):  # bindings signalled, nothing different to show
            app.screen.refresh_bindings()
            await pilot.pause()
        assert updates == []
        app.screen.busy = True
        app.screen.refresh_bindings()
        await pilot.pause()
        assert len(updates) == 1
