"""The console's real flow against the embedded lab, driven with Pilot: open the lab → edit a
parameter → save → apply (plan shown, confirmed) → both cards reach up → probe passes → a
hand-made mismatch on the router shows the marker and the verdict → teardown with the typed lab
name → both ends clean.  Real SSH, the real SDK over HTTP, a real keyring file.  The PSK never
appears on any screen along the way."""

from __future__ import annotations

from vpnconsole.lab.runner import LAB_NAME, LabSettings
from vpnconsole.tui.app import build_app

from tests.tui.screen import plain_text, wait_for


async def test_console_flow_against_the_embedded_lab(keyring_store):
    store = keyring_store
    from vpnconsole.tui.dialogs import PlanConfirmScreen, TeardownConfirmScreen
    from vpnconsole.tui.lab_screen import LabScreen
    from vpnconsole.tui.widgets import ParamsTable

    app = build_app(embedded=LabSettings(fast=True, fixed_ports=False), store=store, refresh_interval=1.0)
    screens: list[str] = []
    async with app.run_test(size=(160, 48)) as pilot:
        screens.append(plain_text(app))  # the starting screen, painted before the lab is up
        await wait_for(pilot, lambda: isinstance(app.screen, LabScreen) and app.screen.engine is not None,
                       "the lab screen and its engine")
        screen: LabScreen = app.screen
        lab = app.embedded
        psk = store.get(LAB_NAME, "psk").reveal()
        router = lab.lab.router
        before = lab.call(lambda: router.cli("display current-configuration"))
        await wait_for(pilot, lambda: screen.report is not None, "the first status")
        assert screen.report.verdict.code == "not-configured"
        screens.append(plain_text(app))

        # edit a shared parameter: validated as typed, marked unsaved, saved explicitly
        table = screen.query_one(ParamsTable)
        table.focus()
        table.move_cursor(row=table.get_row_index("ike.lifetime"))
        await pilot.press("enter")
        await pilot.press("ctrl+u", *"50")
        await pilot.pause()
        problems = str(screen.query_one("#edit-problems").render())
        assert "ike.lifetime" in problems and "60" in problems  # the profile core's range message
        await pilot.press("ctrl+u", *"28800", "enter")
        assert screen.session.dirty and "[modified]" in screen.title
        await pilot.press("ctrl+s")
        assert not screen.session.dirty
        assert "lifetime: 28800" in screen.session.path.read_text()

        # apply: the plan of both ends first, secrets masked, then confirmed with y
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, PlanConfirmScreen), "the apply plan")
        plan_text = "\n".join(app.screen.plans.values())
        assert "sa duration 28800" in plan_text and "CreateVpnConnection" in plan_text
        assert psk not in plan_text
        screens.append(plain_text(app))
        await pilot.press("y")
        await wait_for(pilot, lambda: screen.operation is None and screen.report is not None
                       and screen.report.verdict.up, "both ends up", timeout=40)
        assert all(t.phase1 == "up" and t.phase2 == "up" for t in screen.report.h3c.tunnels)
        await wait_for(pilot, lambda: screen.shown_report is screen.report, "the tables to follow")
        assert str(table.get_cell("ike.lifetime", "h3c_live")) == "✓ 28800"
        screens.append(plain_text(app))

        # probe through the tunnel: everything the profile lists answers
        await pilot.press("p")
        await wait_for(pilot, lambda: screen.probe_report is not None and screen.operation is None, "the probe")
        assert screen.probe_report.ok, [c.line() for c in screen.probe_report.failed]
        # every check really ran through the lab's path model (none skipped for an error of ours)
        assert {"api", "tcp", "icmp"} <= {c.kind for c in screen.probe_report.checks}
        assert all(c.ok for c in screen.probe_report.checks if c.kind in ("api", "tcp", "icmp")), \
            [c.line() for c in screen.probe_report.checks if not c.ok]
        screens.append(plain_text(app))

        # a hand-made mismatch on the router: the marker on the row and the verdict name it
        number = screen.engine.h3c.load_manifest()["ike_proposal"]
        edited = lab.call(lambda: router.cli("system-view", f"ike proposal {number}", "dh group5", "return"))
        assert "% " not in edited
        await pilot.press("r")
        await wait_for(pilot, lambda: str(table.get_cell("ike.dh_group", "h3c_live")) == "✗ group5",
                       "the mismatch marker on the DH group row")
        assert str(table.get_cell("ike.dh_group", "ali_live")) == "✓ group14"
        # the running SAs survive the edit (as on a real router) until they are negotiated again
        assert "phase 1 DH group: H3C group5, Alibaba group14" in str(screen.query_one("#verdict").render())
        await pilot.press("n")
        await wait_for(pilot, lambda: screen.operation is None and not screen.report.verdict.up, "the drift verdict")
        assert screen.report.verdict.code == "configured-differently"
        screens.append(plain_text(app))

        # teardown: one key, the plan, the lab name typed; the default is No
        await pilot.press("t")
        await wait_for(pilot, lambda: isinstance(app.screen, TeardownConfirmScreen), "the teardown plan")
        await pilot.press("enter")  # empty = no
        await wait_for(pilot, lambda: app.screen is screen, "the dialog closed without tearing down")
        assert screen.engine.h3c.load_manifest() is not None
        await pilot.press("t")
        await wait_for(pilot, lambda: isinstance(app.screen, TeardownConfirmScreen), "the teardown plan again")
        screens.append(plain_text(app))
        await pilot.press(*LAB_NAME, "enter")
        await wait_for(pilot, lambda: screen.operation is None and screen.report is not None
                       and screen.report.verdict.code == "not-configured", "both ends clean", timeout=40)
        after = lab.call(lambda: router.cli("display current-configuration"))
        assert after == before
        snap = lab.call(lambda: lab.lab.cloud.snapshot("cn-hangzhou"))
        assert not snap.connections and not snap.customer_gateways
        screens.append(plain_text(app))
        log_file = screen.query_one("#log").file
        await pilot.press("q")
    assert app.embedded is None  # the lab was stopped on quit
    for text in screens:
        assert psk not in text
    log = log_file.read_text()
    assert psk not in log and "apply: done" in log
