"""The console on a web-managed ER lab: the H3C pane is the checklist (ticked off step by step),
"apply" is "I have entered it" with Alibaba applied for real, the tunnel comes up, the verdict says
which checks were possible, and teardown names what to delete by hand."""

from __future__ import annotations

from vpnconsole.lab.runner import LAB_NAME, LabSettings
from vpnconsole.tui.app import build_app

from tests.tui.screen import plain_text, wait_for


async def test_er_checklist_confirmation_and_alibaba_side_verification(keyring_store):
    store = keyring_store
    from textual.widgets import DataTable, TabbedContent

    from vpnconsole.h3c.er_checklist import ChecklistProgress
    from vpnconsole.tui.checklist_view import ChecklistView
    from vpnconsole.tui.dialogs import PlanConfirmScreen, TeardownConfirmScreen
    from vpnconsole.tui.lab_screen import LabScreen

    app = build_app(embedded=LabSettings(fast=True, fixed_ports=False, platform="er"), store=store,
                    refresh_interval=1.0)
    screens = []
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, LabScreen) and app.screen.engine is not None, "the lab")
        screen: LabScreen = app.screen
        psk = store.get(LAB_NAME, "psk").reveal()
        assert screen.query_one(TabbedContent).active == "tab-checklist"
        view = screen.query_one(ChecklistView)
        await wait_for(pilot, lambda: view.checklist is not None, "the checklist")
        table = view.query_one(DataTable)
        assert table.row_count == len(view.checklist.step_ids)
        await wait_for(pilot, lambda: "IKE对等体" in plain_text(app), "the checklist on screen")  # painted a frame later
        text = plain_text(app)
        assert "IKE对等体" in text and "DH2 modp1024" in text and psk not in text
        screens.append(text)

        # tick off two steps: saved per lab, survive a reload
        table.focus()
        await pilot.press("space", "space")
        assert len(view.progress.done) == 2
        again = ChecklistProgress.load(LAB_NAME, view.checklist)
        assert again.done == view.progress.done

        # the lab's operator enters the checklist on the simulated ER, then "I have entered it"
        await pilot.press("o")
        await wait_for(pilot, lambda: "lab operator: entered" in screen.query_one("#log").file.read_text(),
                       "the operator")
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, PlanConfirmScreen), "the confirmation")
        dialog = app.screen
        assert "enter the ER checklist" in dialog.frame_title and dialog.confirm_label == "I have entered it"
        assert "H3C ER set-up checklist" in dialog.plans["h3c"] and psk not in dialog.plans["h3c"]
        await pilot.press("y")
        await wait_for(pilot, lambda: screen.operation is None and screen.report is not None
                       and screen.report.verdict.up, "the tunnel up (seen from Alibaba)", timeout=40)
        verdict = str(screen.query_one("#verdict").render())
        assert "checks:" in verdict and "not readable" in verdict
        screens.append(plain_text(app))

        # the probe through the tunnel
        await pilot.press("p")
        await wait_for(pilot, lambda: screen.probe_report is not None and screen.operation is None, "the probe")
        assert screen.probe_report.ok, [c.line() for c in screen.probe_report.failed]

        # teardown: Alibaba removed for real, the ER's part named for the operator
        await pilot.press("t")
        await wait_for(pilot, lambda: isinstance(app.screen, TeardownConfirmScreen), "the teardown plan")
        assert "teardown checklist" in app.screen.plans["h3c"]
        await pilot.press(*LAB_NAME, "enter")
        await wait_for(pilot, lambda: screen.operation is None and screen.report is not None
                       and not screen.report.verdict.up, "the teardown", timeout=40)
        snap = app.embedded.call(lambda: app.embedded.lab.cloud.snapshot("cn-hangzhou"))
        assert not snap.connections
        log = screen.query_one("#log").file.read_text()
        assert "teardown: done" in log and psk not in log
        screens.append(plain_text(app))
        await pilot.press("q")
    for text in screens:
        assert psk not in text
