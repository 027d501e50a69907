"""The console's screens and manners: the lab picker, unsaved changes on quit, the state-aware
footer and command palette, the PSK dialog, the keyring unlock prompt, a new router host key,
the narrow layout and the themes.  The ends are the embedded lab (real SSH, real HTTP)."""

from __future__ import annotations

import pytest

from vpnconsole import secrets
from vpnconsole.lab.runner import LAB_NAME
from vpnconsole.tui.app import build_app

from tests.tui.screen import plain_text, wait_for

MASTER = "tui-screens-master-password"


@pytest.fixture
def lab(running_lab):
    """The lab running beside the console (its profile saved as `lab`), and an unlocked store."""
    return running_lab


def _lab_screen(app):
    from vpnconsole.tui.lab_screen import LabScreen

    return app.screen if isinstance(app.screen, LabScreen) else None


async def _engine_ready(pilot, app):
    """The lab screen, once its engine is built (the ends reachable)."""
    await wait_for(pilot, lambda: _lab_screen(app) is not None and app.screen.engine is not None, "the lab")
    return app.screen


async def test_picker_lists_labs_and_creates_copies_renames_and_deletes(lab):
    from vpnconsole.tui.picker import PickerScreen

    running, store = lab
    app = build_app(store=store, accept_new_host_key=True)
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, PickerScreen), "the picker")
        picker = app.screen
        from textual.widgets import DataTable

        table = picker.query_one(DataTable)
        assert LAB_NAME in {k.value for k in table.rows}
        assert "never read" in str(table.get_cell(LAB_NAME, "state"))

        # copy → a second lab; rename it; delete it (each asks)
        await pilot.press("c")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "NameInputScreen", "the copy name")
        await pilot.press("enter")  # the suggested "lab-copy"
        await wait_for(pilot, lambda: "lab-copy" in {k.value for k in table.rows}, "the copy listed")
        table.move_cursor(row=table.get_row_index("lab-copy"))
        await pilot.press("r")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "NameInputScreen", "the new name")
        await pilot.press("ctrl+u", *"Bad_Name", "enter")
        await pilot.pause()
        assert type(app.screen).__name__ == "NameInputScreen"  # refused: not a lab name
        await pilot.press("ctrl+u", *"lab-two", "enter")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "ConfirmScreen", "the rename question")
        await pilot.press("y")
        await wait_for(pilot, lambda: "lab-two" in {k.value for k in table.rows}, "the renamed lab")
        assert "lab-copy" not in {k.value for k in table.rows}
        table.move_cursor(row=table.get_row_index("lab-two"))
        await pilot.press("D")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "ConfirmScreen", "the delete question")
        await pilot.press("escape")  # the default is No
        await pilot.pause()
        assert "lab-two" in {k.value for k in table.rows}
        await pilot.press("D")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "ConfirmScreen", "the delete question")
        await pilot.press("y")
        await wait_for(pilot, lambda: "lab-two" not in {k.value for k in table.rows}, "the lab deleted")

        # new lab from the ER template: the wizard's ER-safe defaults
        await pilot.press("n")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "PlatformScreen", "the platform choice")
        await pilot.press("down", "down", "enter")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "NameInputScreen", "the lab name")
        await pilot.press(*"branch-er", "enter")
        await wait_for(pilot, lambda: _lab_screen(app) is not None, "the new lab opened")
        session = app.screen.session
        assert session.name == "branch-er" and session.value("onprem.device.platform").startswith("er")
        assert (session.value("ike.encryption"), session.value("ike.integrity"),
                session.value("ike.dh_group")) == ("aes128", "sha1", "group2")
        await pilot.press("l")  # back to the picker
        await wait_for(pilot, lambda: isinstance(app.screen, PickerScreen), "the picker again")
        assert "branch-er" in {k.value for k in app.screen.query_one(DataTable).rows}


async def test_unsaved_changes_are_marked_and_asked_about_on_quit(lab):
    running, store = lab
    app = build_app(LAB_NAME, store=store, accept_new_host_key=True, refresh_interval=30)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await _engine_ready(pilot, app)
        screen.session.set("ike.lifetime", "3600")
        screen._show_profile()
        assert "[modified]" in screen.title
        assert screen.check_action("save", ())
        await pilot.press("q")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "UnsavedChangesScreen", "the question")
        await pilot.press("escape")  # stay
        await pilot.pause()
        assert app.is_running and app.screen is screen
        await pilot.press("q")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "UnsavedChangesScreen", "the question")
        await pilot.press("s")  # save, then quit
        await wait_for(pilot, lambda: not app.is_running, "the app to quit")
    assert "lifetime: 3600" in screen.session.path.read_text()


async def test_footer_and_palette_offer_only_what_is_valid_now(lab):
    from vpnconsole.tui.commands import _actions

    running, store = lab
    app = build_app(LAB_NAME, store=store, accept_new_host_key=True, refresh_interval=30)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await _engine_ready(pilot, app)
        idle = {action for _, action, _ in _actions(screen, app)}
        assert {"apply", "teardown", "probe", "refresh"} <= idle
        assert "cancel_operation" not in idle and "save" not in idle
        screen.operation = "apply"  # as while an apply runs
        screen.refresh_bindings()
        busy = {action for _, action, _ in _actions(screen, app)}
        assert "cancel_operation" in busy and "apply" not in busy and "teardown" not in busy
        await pilot.pause()
        footer = plain_text(app)
        assert "Cancel" in footer
        screen.operation = None
        screen.refresh_bindings()
        await pilot.press("ctrl+p")
        await pilot.pause(0.3)
        await pilot.press(*"tear")
        await pilot.pause(0.5)
        assert "Teardown" in plain_text(app)
        await pilot.press("escape")
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "KeysHelpScreen", "the keys screen")
        text = plain_text(app)
        assert "Teardown" in text and "Renegotiate" in text and "palette" in text


async def test_psk_is_set_in_the_keyring_and_never_shown(lab):
    running, store = lab
    app = build_app(LAB_NAME, store=store, accept_new_host_key=True, refresh_interval=30)
    new_psk = "Fresh-Psk-Value-4711-abcdef"
    async with app.run_test(size=(160, 48)) as pilot:
        await _engine_ready(pilot, app)
        old = store.fingerprint(LAB_NAME, "psk")
        await pilot.press("k")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "PskScreen", "the PSK dialog")
        assert old in plain_text(app)  # the fingerprint, never the key
        from textual.widgets import Input

        inputs = [w for w in app.screen.query(Input) if w.password]
        inputs[0].focus()
        await pilot.press(*new_psk)
        inputs[1].focus()
        await pilot.press(*new_psk)
        shot = plain_text(app)
        await pilot.press("enter")
        await wait_for(pilot, lambda: store.fingerprint(LAB_NAME, "psk") != old, "the new PSK stored")
        await pilot.pause(0.2)
        log = app.screen.query_one("#log")
        assert new_psk not in shot and new_psk not in plain_text(app)
        assert new_psk not in log.file.read_text()
        assert store.get(LAB_NAME, "psk").reveal() == new_psk


async def test_a_new_router_host_key_is_shown_and_accepted(lab):
    from vpnconsole.tui.dialogs import HostKeyScreen

    running, store = lab
    app = build_app(LAB_NAME, store=store, refresh_interval=30)  # no accept_new_host_key: ask
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, HostKeyScreen), "the host key question")
        await pilot.pause(0.2)
        text = plain_text(app)
        assert "SHA256:" in text
        await pilot.press("a")
        await wait_for(pilot, lambda: _lab_screen(app) is not None and app.screen.report is not None, "the status")
        assert app.screen.report.h3c.reachable, app.screen.report.h3c.errors


async def test_the_encrypted_keyring_is_unlocked_with_a_prompt(tmp_path, monkeypatch):
    from vpnconsole.tui.dialogs import UnlockKeyringScreen
    from vpnconsole.tui.picker import PickerScreen

    monkeypatch.setenv("VPNCONSOLE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("VPNCONSOLE_KEYRING_PASSWORD", MASTER)
    secrets.open_store().set("somelab", "psk", "Some-Psk-Value-123456")
    monkeypatch.delenv("VPNCONSOLE_KEYRING_PASSWORD")
    app = build_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, PickerScreen), "the picker")
        worker = app.run_worker(app.ensure_store())
        await wait_for(pilot, lambda: isinstance(app.screen, UnlockKeyringScreen), "the unlock prompt")
        await pilot.press(*"wrong-password", "enter")
        # each try costs one Argon2 derivation (deliberately slow): generous waits under load
        await wait_for(pilot, lambda: isinstance(app.screen, UnlockKeyringScreen)
                       and app.screen.error, "the retry with an error", timeout=60)
        await pilot.press(*MASTER, "enter")
        await wait_for(pilot, lambda: worker.is_finished, "the store", timeout=60)
        assert app.store.get("somelab", "psk").reveal() == "Some-Psk-Value-123456"
        assert MASTER not in plain_text(app)


async def test_narrow_terminal_stacks_the_panes_and_themes_switch(lab, monkeypatch):
    from vpnconsole.tui.widgets import ParamsTable

    running, store = lab
    app = build_app(LAB_NAME, store=store, accept_new_host_key=True, refresh_interval=30)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: _lab_screen(app) is not None and app.screen.report is not None, "the lab")
        screen = app.screen
        assert screen.has_class("-narrow")
        table = screen.query_one(ParamsTable)
        assert [c.key.value for c in table.columns.values()] == ["param", "profile", "h3c_live", "ali_live"]
        text = plain_text(app)
        assert "H3C router" in text and "Alibaba VPN gateway" in text and "Apply" in text
        await pilot.resize_terminal(160, 48)
        await pilot.pause(0.2)
        assert not screen.has_class("-narrow") and len(table.columns) == 6
        assert app.theme == "vpnconsole-dark"
        await pilot.press("ctrl+t")
        assert app.theme == "vpnconsole-light"


def test_no_color_is_respected(monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    assert build_app().no_color


async def test_a_dialog_during_a_spread_update_does_not_stop_it(lab):
    """Big table changes are spread over frames; a dialog opening and closing meanwhile must not
    leave the table half updated (Textual drops ``call_after_refresh`` callbacks queued on a
    dialog that closes: the steps run on timers of the table)."""
    from vpnconsole.tui.dialogs import ConfirmScreen
    from vpnconsole.tui.widgets import ROWS_PER_FRAME, ParamsTable

    running, store = lab
    app = build_app(LAB_NAME, store=store, accept_new_host_key=True, refresh_interval=3600)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for(pilot, lambda: _lab_screen(app) is not None and app.screen.report is not None
                       and app.screen.shown_report is app.screen.report, "the lab's first status, shown")
        screen = app.screen
        table = screen.query_one(ParamsTable)
        rows = table.row_count
        assert rows > 2 * ROWS_PER_FRAME  # several frames of rows
        app.push_screen(ConfirmScreen("meanwhile?"))
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the dialog")
        table.clear()
        table.show(screen.session, screen.report, screen.psk_fingerprint)  # e.g. a status refresh
        assert not table.settled and table.row_count == ROWS_PER_FRAME
        await pilot.press("escape")  # the dialog closes while the rest of the rows are pending
        await wait_for(pilot, lambda: table.settled, "the rest of the rows", timeout=10)
        assert table.row_count == rows


@pytest.fixture
def slow_lab(start_lab):
    """The lab with Alibaba's real update windows (seconds), so an apply is still running when `x` comes."""
    return start_lab(fast=False)


async def test_a_running_apply_is_cancelled_with_x(slow_lab):
    from vpnconsole.tui.dialogs import PlanConfirmScreen

    running, store = slow_lab
    router = running.lab.router
    before = running.call(lambda: router.cli("display current-configuration"))
    app = build_app(LAB_NAME, store=store, accept_new_host_key=True, refresh_interval=30)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for(pilot, lambda: _lab_screen(app) is not None and app.screen.report is not None, "the lab")
        screen = app.screen
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, PlanConfirmScreen), "the plan")
        await pilot.press("y")
        await wait_for(pilot, lambda: screen.operation == "apply", "the apply to start")
        assert screen.check_action("cancel_operation", ()) and not screen.check_action("apply", ())
        await pilot.press("x")
        await wait_for(pilot, lambda: screen.operation is None, "the apply to stop")
        log = screen.query_one("#log").file.read_text()
        assert "cancelling apply" in log and "apply failed: cancelled" in log
        assert screen.check_action("apply", ()) and not screen.check_action("cancel_operation", ())
        # nothing is left that the same apply cannot finish
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, PlanConfirmScreen), "the plan again")
        await pilot.press("y")
        await wait_for(pilot, lambda: screen.operation == "apply", "the second apply")
        await wait_for(pilot, lambda: screen.operation is None, "the second apply to finish", timeout=60)
        assert "console info apply: done" in screen.query_one("#log").file.read_text()
    assert running.call(lambda: router.cli("display current-configuration")) != before
