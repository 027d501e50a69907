"""The console's modal dialogs, driven with Textual's Pilot on a tiny host app.

Each test pushes one dialog, drives it with keys (the console is keyboard first) and checks the
typed result it was dismissed with.  Secret-bearing dialogs are also checked for leaks: the typed
value must not be on the rendered screen, in a validation message, in the result's str/repr, or left
in an input after the dialog is gone.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from textual.app import App
from textual.widgets import Button, Input, Static

from vpnconsole.redact import Secret
from vpnconsole.tui.dialogs import (
    ConfirmScreen,
    HostKeyScreen,
    KeysHelpScreen,
    NameInputScreen,
    PlanConfirmScreen,
    PskResult,
    PskScreen,
    TeardownConfirmScreen,
    TextViewScreen,
    UnlockKeyringScreen,
    UnsavedChangesScreen,
    _split_host,
    ask_host_key_from_thread,
    lab_name_problem,
)

PLANS = {
    "h3c": "system-view\nike proposal 10\n encryption-algorithm aes-cbc-128\n pre-shared-key cipher ******",
    "alibaba": "CreateCustomerGateway(IpAddress=198.51.100.10)\nCreateVpnConnection(Psk=******)",
}
NOT_SET = object()


class Host(App[None]):
    """Pushes one dialog on mount and records what it was dismissed with."""

    def __init__(self, screen_factory) -> None:
        super().__init__()
        self.screen_factory = screen_factory
        self.results: list[Any] = []
        self.dialog = None

    def on_mount(self) -> None:
        self.dialog = self.screen_factory()
        self.push_screen(self.dialog, self.results.append)

    @property
    def result(self) -> Any:
        return self.results[0] if self.results else NOT_SET


def screen_text(app: App) -> str:
    """Everything currently drawn, as plain text."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


async def type_text(pilot, text: str) -> None:
    await pilot.press(*[_key(c) for c in text])


async def fill(pilot, dialog, selector: str, value: str) -> None:
    """Put a value into an input without typing it key by key (Pilot takes ~60 ms a key); the
    Changed message still drives the dialog's live validation exactly as typing does."""
    field = dialog.query_one(selector, Input)
    field.focus()
    field.value = value
    field.cursor_position = len(value)
    await pilot.pause()


def _key(c: str) -> str:
    names = {" ": "space", "-": "minus", "_": "underscore", ".": "full_stop", "!": "exclamation_mark",
             "@": "at", "#": "number_sign", "%": "percent_sign", "+": "plus", "=": "equals_sign",
             "?": "question_mark", "'": "apostrophe", "\\": "backslash", "&": "ampersand", "*": "asterisk"}
    return names.get(c, c)


def dismissed(app: Host) -> bool:
    return bool(app.results)


# --- plan ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
async def test_plan_escape_is_no_and_both_plans_show(size):
    app = Host(lambda: PlanConfirmScreen("Apply lab demo", PLANS))
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        text = screen_text(app)
        assert "ike proposal 10" in text and "CreateCustomerGateway" in text
        assert "H3C router" in text and "Alibaba" in text
        # the focus starts on the plan, not on a button, so Enter cannot apply by accident
        assert not isinstance(app.focused, Button)
        await pilot.press("enter")
        assert not dismissed(app)
        await pilot.press("escape")
    assert app.result is False


async def test_plan_side_by_side_when_wide_stacked_when_narrow():
    for size, side_by_side in (((160, 48), True), ((80, 24), False)):
        app = Host(lambda: PlanConfirmScreen("Apply", PLANS))
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            h3c, ali = app.screen.query_one("#plan-h3c"), app.screen.query_one("#plan-alibaba")
            same_row = h3c.region.y == ali.region.y
            assert same_row is side_by_side
            # the buttons stay visible at 80×24 however long the plan is
            assert app.screen.query_one("#confirm", Button).region.bottom <= size[1]


async def test_plan_y_applies_and_buttons_work():
    app = Host(lambda: PlanConfirmScreen("Apply", PLANS, confirm_label="Apply now"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert "Apply now" in screen_text(app)
        await pilot.press("y")
    assert app.result is True

    app = Host(lambda: PlanConfirmScreen("Apply", PLANS))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.click("#cancel")
    assert app.result is False


async def test_long_plan_stays_usable_at_80x24():
    long_plan = {"h3c": "\n".join(f"line {i} " + "x" * 150 for i in range(300)), "alibaba": "Call()"}
    app = Host(lambda: PlanConfirmScreen("Apply", long_plan))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        pane = app.screen.query_one("#plan-h3c")
        assert pane.max_scroll_y > 0 and pane.max_scroll_x > 0  # both directions scroll, nothing wrapped
        await pilot.press("end")
        assert pane.scroll_y > 0 or pane.scroll_target_y > 0
        await pilot.press("y")
    assert app.result is True


# --- teardown --------------------------------------------------------------------------------------------


async def test_teardown_default_is_no():
    for keys in (["escape"], ["enter"]):  # Escape, or Enter on the empty input
        app = Host(lambda: TeardownConfirmScreen("demo-lab", PLANS))
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            assert "type demo-lab to confirm" in screen_text(app)
            assert app.screen.query_one("#confirm", Button).disabled
            await pilot.press(*keys)
        assert app.result is False


async def test_teardown_wrong_name_never_confirms():
    app = Host(lambda: TeardownConfirmScreen("demo-lab", PLANS))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await type_text(pilot, "demo-la")
        assert app.screen.query_one("#confirm", Button).disabled
        await pilot.press("enter")
        assert not dismissed(app)
        await type_text(pilot, "bx")  # "demo-labx": longer is wrong too
        assert app.screen.query_one("#confirm", Button).disabled
        assert "does not match" in screen_text(app)
        await pilot.press("enter")
        assert not dismissed(app)
        # the disabled button cannot be pressed either
        app.screen.query_one("#confirm", Button).press()
        await pilot.pause()
        assert not dismissed(app)
        await pilot.press("escape")
    assert app.result is False


async def test_teardown_exact_name_confirms():
    app = Host(lambda: TeardownConfirmScreen("demo-lab", PLANS))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert "pre-shared-key cipher ******" in screen_text(app)
        await type_text(pilot, "demo-lab")
        assert not app.screen.query_one("#confirm", Button).disabled
        await pilot.press("enter")
    assert app.result is True

    app = Host(lambda: TeardownConfirmScreen("demo-lab", PLANS))
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        await type_text(pilot, "demo-lab")
        await pilot.click("#confirm")
    assert app.result is True


# --- PSK -------------------------------------------------------------------------------------------------

GOOD_PSK = "Zq7-hunter.Kx9@v"  # letters, digits, symbols both ends accept; no substring of any message


async def _psk_dialog(size=(80, 24), fingerprint: str | None = "sha256:3f9a0011"):
    return Host(lambda: PskScreen("demo-lab", fingerprint, "encrypted file keyring"))


async def test_psk_escape_is_none_and_fingerprint_shown():
    app = await _psk_dialog()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert "sha256:3f9a0011" in screen_text(app)
        await pilot.press("escape")
    assert app.result is None


async def test_psk_set_returns_masked_secret_and_never_shows_it():
    app = await _psk_dialog()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        dialog = app.dialog
        await type_text(pilot, GOOD_PSK)
        assert GOOD_PSK not in screen_text(app)
        assert GOOD_PSK not in app.export_screenshot()
        await pilot.press("enter")  # to the confirm input
        assert app.focused is dialog.query_one("#psk-again", Input)
        await type_text(pilot, GOOD_PSK)
        text = screen_text(app)
        assert GOOD_PSK not in text and "both ends accept" in text
        assert not dialog.query_one("#set", Button).disabled
        inputs = [i for i in dialog.query(Input) if i.password]
        assert len(inputs) == 2 and all(i.value == GOOD_PSK for i in inputs)
        await pilot.press("enter")
    result = app.result
    assert isinstance(result, PskResult) and result.action == "set"
    assert isinstance(result.secret, Secret) and result.secret.reveal() == GOOD_PSK
    for shown in (str(result), repr(result), str(result.secret), repr(result.secret), f"{result.secret}"):
        assert GOOD_PSK not in shown
    # nothing typed lingers in the dialog's inputs
    assert all(i.value == "" for i in inputs)


async def test_psk_mismatch_blocks():
    app = await _psk_dialog()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        dialog = app.dialog
        await fill(pilot, dialog, "#psk", GOOD_PSK)
        await fill(pilot, dialog, "#psk-again", GOOD_PSK[:-1] + "w")
        assert dialog.query_one("#set", Button).disabled
        assert "the two entries differ" in screen_text(app)
        await pilot.press("enter")
        assert not dismissed(app)
        await pilot.press("escape")
    assert app.result is None


@pytest.mark.parametrize("bad, expected", [
    ("Zq7 hunter.Kx9", "whitespace"),
    ("Zq7?hunterKx9", "'?'"),
    ("Zq7'hunterKx9", "quotes or backticks"),
    ("Zq7\\hunterKx9", "a backslash"),
])
async def test_psk_rule_violations_block_and_messages_never_quote_the_value(bad, expected):
    app = await _psk_dialog()
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        dialog = app.dialog
        await fill(pilot, dialog, "#psk", bad)
        await fill(pilot, dialog, "#psk-again", bad)
        problems = str(dialog.query_one("#problems", Static).render())
        assert expected in problems
        assert bad not in problems
        text = screen_text(app)
        assert bad not in text and expected in text
        assert dialog.query_one("#set", Button).disabled
        await pilot.press("enter")
        assert not dismissed(app)
        await pilot.press("escape")
    assert app.result is None


async def test_psk_too_long_blocks():
    app = await _psk_dialog(fingerprint=None)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert "No PSK stored" in screen_text(app)
        dialog = app.dialog
        value = "Ab1-" * 26  # 104 characters
        dialog.query_one("#psk", Input).value = value
        dialog.query_one("#psk-again", Input).value = value
        await pilot.pause()
        assert dialog.query_one("#set", Button).disabled
        assert "at most 100" in screen_text(app)
        assert value not in screen_text(app)


async def test_psk_generate_with_length():
    app = await _psk_dialog()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        dialog = app.dialog
        length = dialog.query_one("#length", Input)
        length.focus()
        length.value = "8"  # below what generate_psk allows
        await pilot.pause()
        assert dialog.query_one("#generate", Button).disabled
        await pilot.press("enter")
        assert not dismissed(app)
        length.value = "48"
        await pilot.pause()
        await pilot.press("enter")
    assert app.result == PskResult("generate", length=48)


# --- keyring unlock --------------------------------------------------------------------------------------

MASTER = "correct-horse-9"


async def test_unlock_escape_is_none_and_error_shown():
    app = Host(lambda: UnlockKeyringScreen("/tmp/keyring.cfg", create=False, error="wrong master password"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        text = screen_text(app)
        assert "wrong master password" in text and "/tmp/keyring.cfg" in text
        await pilot.press("enter")  # empty: nothing to unlock with
        assert not dismissed(app)
        await pilot.press("escape")
    assert app.result is None


async def test_unlock_returns_secret():
    app = Host(lambda: UnlockKeyringScreen("/tmp/keyring.cfg", create=False))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await type_text(pilot, MASTER)
        assert MASTER not in screen_text(app)
        field = app.dialog.query_one("#password", Input)
        await pilot.press("enter")
    assert isinstance(app.result, Secret) and app.result.reveal() == MASTER
    assert MASTER not in repr(app.result) and MASTER not in str(app.result)
    assert field.value == ""


async def test_unlock_create_requires_matching_entries():
    app = Host(lambda: UnlockKeyringScreen("/tmp/keyring.cfg", create=True))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        dialog = app.dialog
        await type_text(pilot, MASTER)
        await pilot.press("enter")  # moves to the repeat field, does not create
        assert not dismissed(app)
        assert app.focused is dialog.query_one("#password-again", Input)
        await type_text(pilot, MASTER + "x")
        assert dialog.query_one("#ok", Button).disabled
        assert "the two entries differ" in screen_text(app)
        await pilot.press("enter")
        assert not dismissed(app)
        await pilot.press("backspace")
        assert not dialog.query_one("#ok", Button).disabled
        assert MASTER not in screen_text(app)
        await pilot.press("enter")
    assert isinstance(app.result, Secret) and app.result.reveal() == MASTER


async def test_unlock_create_requires_minimum_length():
    app = Host(lambda: UnlockKeyringScreen("/tmp/keyring.cfg", create=True))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        dialog = app.dialog
        await fill(pilot, dialog, "#password", "short")
        await fill(pilot, dialog, "#password-again", "short")
        assert dialog.query_one("#ok", Button).disabled
        assert "at least" in screen_text(app)
        await pilot.press("enter")
        assert not dismissed(app)


# --- host keys -------------------------------------------------------------------------------------------

FP = "SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8"


async def test_new_host_key_escape_and_enter_refuse():
    for key in ("escape", "enter"):  # Enter lands on the focused Reject button
        app = Host(lambda: HostKeyScreen("10.0.0.1", 22, "ssh-rsa", FP))
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            assert FP in screen_text(app) and "10.0.0.1" in screen_text(app)
            await pilot.press(key)
        assert app.result is False


async def test_new_host_key_accept():
    app = Host(lambda: HostKeyScreen("10.0.0.1", 22, "ssh-ed25519", FP))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("a")
    assert app.result is True

    app = Host(lambda: HostKeyScreen("10.0.0.1", 22, "ssh-ed25519", FP))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.click("#accept")
    assert app.result is True


async def test_changed_host_key_cannot_be_accepted():
    app = Host(lambda: HostKeyScreen("10.0.0.1", 2222, "ssh-rsa", FP, changed=True))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        dialog = app.dialog
        text = screen_text(app)
        assert "changed" in text and "will not connect" in text
        assert "ssh-keygen -R '[10.0.0.1]:2222'" in text
        assert not dialog.query("#accept")  # no accept button at all
        assert [b.id for b in dialog.query(Button)] == ["close"]
        await pilot.press("a")
        assert not dismissed(app)
        dialog.action_accept()  # even called directly
        await pilot.pause()
        assert not dismissed(app)
        await pilot.press("enter")  # Close
    assert app.result is False


def test_split_host_names_like_paramiko():
    assert _split_host("10.0.0.1") == ("10.0.0.1", 22)
    assert _split_host("[10.0.0.1]:2222") == ("10.0.0.1", 2222)
    assert _split_host("[fe80::1]:830") == ("fe80::1", 830)


class ThreadHost(App[None]):
    """Runs H3CEnd's ask_host_key callback in a worker thread, like the real connection does."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.timeout = timeout
        self.answer: list[bool] = []
        self.done = threading.Event()

    def start_asking(self) -> None:
        ask = ask_host_key_from_thread(self, timeout=self.timeout)

        def worker() -> None:
            self.answer.append(ask("[10.0.0.1]:2222", "ssh-rsa", FP))
            self.done.set()

        self.run_worker(worker, thread=True)


async def _wait_for(predicate, pilot, seconds: float = 5.0) -> None:
    for _ in range(int(seconds / 0.02)):
        if predicate():
            return
        await pilot.pause(0.02)
    raise AssertionError("timed out")


@pytest.mark.parametrize("key, expected", [("a", True), ("escape", False)])
async def test_ask_host_key_from_thread(key, expected):
    app = ThreadHost(timeout=10)
    async with app.run_test(size=(80, 24)) as pilot:
        app.start_asking()
        await _wait_for(lambda: isinstance(app.screen, HostKeyScreen), pilot)
        assert app.screen.port == 2222 and app.screen.host == "10.0.0.1"
        await pilot.press(key)
        await _wait_for(app.done.is_set, pilot)
    assert app.answer == [expected]


async def test_ask_host_key_from_thread_times_out_as_refusal():
    app = ThreadHost(timeout=0.2)
    async with app.run_test(size=(80, 24)) as pilot:
        app.start_asking()
        await _wait_for(app.done.is_set, pilot)
        await pilot.pause()
        assert not isinstance(app.screen, HostKeyScreen)  # the unanswered question was withdrawn
    assert app.answer == [False]


async def test_ask_host_key_from_thread_gives_up_when_the_app_quits():
    app = ThreadHost(timeout=60)
    async with app.run_test(size=(80, 24)) as pilot:
        app.start_asking()
        await _wait_for(lambda: isinstance(app.screen, HostKeyScreen), pilot)
        started = time.monotonic()
    # leaving run_test stops the app and cancels its workers; the waiting thread must not hang
    assert app.done.wait(5) and time.monotonic() - started < 5
    assert app.answer == [False]


def test_ask_host_key_without_running_app_refuses():
    ask = ask_host_key_from_thread(App())
    assert ask("10.0.0.1", "ssh-rsa", FP) is False


# --- text view -------------------------------------------------------------------------------------------


async def test_text_view_copy_and_close():
    copied: list[str] = []
    app = Host(lambda: TextViewScreen("Rendered config · h3c", "a\nb\nc\n", copy_text="one\ntwo"))
    app.copy_to_clipboard = copied.append  # spy: the real one writes OSC 52 to the terminal
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert "Rendered config" in screen_text(app)
        await pilot.press("c")
        await pilot.pause()
        assert copied == ["one\ntwo"]
        assert any("copied 2 lines" in n.message for n in app._notifications)
        assert not dismissed(app)
        await pilot.press("escape")
    assert app.result is None


async def test_text_view_copies_shown_text_by_default():
    copied: list[str] = []
    app = Host(lambda: TextViewScreen("Diff", "only line"))
    app.copy_to_clipboard = copied.append
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        await pilot.press("c", "q")
    assert copied == ["only line"] and app.result is None


# --- small questions -------------------------------------------------------------------------------------


async def test_confirm_screen():
    cases = [(dict(), ["escape"], False), (dict(), ["enter"], True), (dict(danger=True), ["enter"], False),
             (dict(danger=True), ["y"], True), (dict(), ["n"], False)]
    for kwargs, keys, expected in cases:
        app = Host(lambda: ConfirmScreen("Renegotiate the tunnel?", **kwargs))
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            assert "Renegotiate the tunnel?" in screen_text(app)
            await pilot.press(*keys)
        assert app.result is expected, (kwargs, keys)


@pytest.mark.parametrize("keys, expected", [(["escape"], None), (["s"], "save"), (["d"], "discard"),
                                            (["enter"], "save"), (["tab", "enter"], "discard")])
async def test_unsaved_changes(keys, expected):
    app = Host(lambda: UnsavedChangesScreen())
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press(*keys)
    assert app.result == expected


async def test_name_input_validates_live():
    app = Host(lambda: NameInputScreen("New lab", initial="Demo"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        dialog = app.dialog
        assert "lower case" in screen_text(app)
        assert dialog.query_one("#ok", Button).disabled
        await pilot.press("enter")
        assert not dismissed(app)
        await fill(pilot, dialog, "#name", "demo-")
        assert "cannot start or end with '-'" in screen_text(app)
        await type_text(pilot, "2")
        assert not dialog.query_one("#ok", Button).disabled
        await pilot.press("enter")
    assert app.result == "demo-2"


async def test_name_input_custom_validator_and_escape():
    app = Host(lambda: NameInputScreen("Rename", initial="taken",
                                       validate=lambda s: "a lab with that name exists" if s == "taken" else None))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert "a lab with that name exists" in screen_text(app)
        await pilot.press("escape")
    assert app.result is None


def test_lab_name_problem():
    assert lab_name_problem("hypermotion-lab") is None
    assert lab_name_problem("a" * 32) is None
    assert "32" in lab_name_problem("a" * 33)
    assert lab_name_problem("") and lab_name_problem("-x") and lab_name_problem("a_b") and lab_name_problem("Ab")


async def test_keys_help():
    keys = [(f"ctrl+{c}", f"action {c}") for c in "abcdefghijklmnopqrstuvwxyz"] + [("?", "this list")]
    for close in ("escape", "q", "question_mark"):
        app = Host(lambda: KeysHelpScreen(keys))
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            text = screen_text(app)
            assert "ctrl+a" in text and "action a" in text and "close" in text
            await pilot.press(close)
        assert dismissed(app) and app.result is None


async def test_dialogs_render_at_both_sizes_without_errors():
    factories = [
        lambda: PlanConfirmScreen("Apply", PLANS), lambda: TeardownConfirmScreen("demo-lab", PLANS),
        lambda: PskScreen("demo-lab", None, "Secret Service"),
        lambda: UnlockKeyringScreen("/tmp/k.cfg", create=True, error="wrong master password"),
        lambda: HostKeyScreen("r1", 22, "ssh-rsa", FP), lambda: HostKeyScreen("r1", 22, "ssh-rsa", FP, changed=True),
        lambda: TextViewScreen("t", "x"), lambda: ConfirmScreen("q?"), lambda: UnsavedChangesScreen(),
        lambda: NameInputScreen("n"), lambda: KeysHelpScreen([("q", "quit")]),
    ]
    for factory in factories:
        for size in ((80, 24), (160, 48)):
            app = Host(factory)
            async with app.run_test(size=size) as pilot:
                await pilot.pause()
                # every dialog's buttons (if any) are on screen, whatever the terminal size
                for button in app.screen.query(Button):
                    assert button.region.bottom <= size[1] and button.region.right <= size[0]
                await pilot.press("escape")
            assert dismissed(app)
