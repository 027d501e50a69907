"""Snapshot tests (pytest-textual-snapshot) of the console: the main lab screen, the Routes tab, the
Probe tab after a probe with a failure and its explanation, and the teardown dialog — at 80×24 (the
panes stack) and 160×48, in the dark and the light theme: 16 SVGs under ``__snapshots__/``.

Deterministic by construction: the app is the real one (``build_app("snaplab", …)`` on a real
profile and a real encrypted file keyring holding a PSK), but its engine is the replay engine of
``tests/tui/replay.py`` (fixed StatusReports built from the real dataclasses, the real diff and
verdict, plans from the real renderers), clocks are read in UTC, and the probe results are fed to
the real ProbeView.  Regenerate after an intended UI change with::

    .venv/bin/python -m pytest tests/tui/test_snapshots.py --snapshot-update

and look at the changed SVGs before committing them.  The PSK appears in no snapshot and on no
exported screen (the last two tests).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any, Awaitable, Callable

import pytest

from tests.tui import replay
from tests.tui.screen import wait_for
from vpnconsole.tui.app import build_app

SNAPSHOTS = Path(__file__).resolve().parent / "__snapshots__"
SIZES = {"80x24": (80, 24), "160x48": (160, 48)}
THEMES = {"dark": "vpnconsole-dark", "light": "vpnconsole-light"}
VIEWS = ("main", "routes", "probe", "teardown")


@pytest.fixture
def utc():
    """Clock texts ("read 00:00:00") in UTC, whatever the machine's zone."""
    saved = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    yield
    if saved is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = saved
    time.tzset()


@pytest.fixture(scope="module")
def lab_home(tmp_path_factory):
    """One VPNCONSOLE_HOME for the module: the profile and the encrypted keyring with the PSK (creating
    the keyring costs a deliberately slow key derivation, so it is done once)."""
    home = tmp_path_factory.mktemp("snapshots") / "home"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("VPNCONSOLE_HOME", str(home))
        mp.setenv("VPNCONSOLE_KEYRING_PASSWORD", replay.MASTER)
        mp.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
        mp.delenv("PYTHON_KEYRING_BACKEND", raising=False)
        replay.write_profile(home)
        store = replay.open_store_with_psk()
    return home, store


@pytest.fixture
def store(lab_home, monkeypatch, utc):
    home, store = lab_home
    monkeypatch.setenv("VPNCONSOLE_HOME", str(home))
    monkeypatch.setenv("VPNCONSOLE_KEYRING_PASSWORD", replay.MASTER)
    return store


def make_app(store: Any, theme: str) -> Any:
    return build_app(replay.LAB, store=store, make_engine=replay.ReplayEngine, theme=theme,
                     refresh_interval=3600.0)


async def lab_screen_with_report(pilot) -> Any:
    from vpnconsole.tui.lab_screen import LabScreen

    app = pilot.app
    await wait_for(pilot, lambda: isinstance(app.screen, LabScreen) and app.screen.report is not None,
                   "the lab screen with its first status")
    screen = app.screen
    await wait_for(pilot, lambda: not screen._status_running  # noqa: SLF001
                   and screen.shown_report is screen.report, "the status refresh to be shown everywhere")
    return screen


async def show_main(pilot) -> None:
    await lab_screen_with_report(pilot)
    await pilot.pause()


async def show_routes(pilot) -> None:
    await lab_screen_with_report(pilot)
    await pilot.press("2")
    await pilot.pause()


async def show_probe(pilot) -> None:
    from vpnconsole.tui.probe_view import ProbeView

    screen = await lab_screen_with_report(pilot)
    await pilot.press("3")
    view = screen.query_one(ProbeView)
    profile = screen.session.profile
    plan = replay.probe_plan(profile)
    view.begin(plan)
    results = replay.probe_results(plan)
    for check in results:
        view.update(check)
    view.finish(replay.probe_report(profile, results))
    await pilot.pause()
    assert view.report is not None and not view.report.ok


async def show_teardown(pilot) -> None:
    from textual.widgets import Input

    from vpnconsole.tui.dialogs import PlanPanes, TeardownConfirmScreen

    app = pilot.app
    await lab_screen_with_report(pilot)
    await pilot.press("t")
    await wait_for(pilot, lambda: isinstance(app.screen, TeardownConfirmScreen), "the teardown dialog")
    await wait_for(pilot, lambda: app.screen.query_one(PlanPanes).ready, "both plans in the dialog")
    field = app.screen.query_one("#name", Input)
    field.cursor_blink = False  # a blinking cursor would make the snapshot flaky
    await pilot.pause()


RUN_BEFORE: dict[str, Callable[[Any], Awaitable[None]]] = {
    "main": show_main, "routes": show_routes, "probe": show_probe, "teardown": show_teardown}


@pytest.mark.parametrize("theme", list(THEMES))
@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("view", VIEWS)
def test_snapshot(snap_compare, store, view, size, theme):
    app = make_app(store, THEMES[theme])
    assert snap_compare(app, terminal_size=SIZES[size], run_before=RUN_BEFORE[view])


# -- what the snapshots show, checked on the screen text ---------------------------------------------------

EXPECTED = {
    "main": ["vpnconsole — snaplab", "configured-differently", "DH group", "✗ group5"],
    "routes": ["192.168.0.0/24 → VPN gateway ✓", "vpn-bp1classic0001"],
    "probe": ["Probe FAILED", "5 passed, 1 failed", "security group or host firewall"],
    "teardown": ["Tear down lab snaplab", "undo ike proposal", "DeleteVpnConnection", "Type snaplab to confirm"],
}


async def test_psk_on_no_exported_screen(store):
    """Every view, both sizes, both themes: the exported screen shows what the snapshot is about
    and never the PSK."""
    psk = store.get(replay.LAB, "psk").reveal()
    assert psk == replay.PSK
    for theme in THEMES.values():
        for size in SIZES.values():
            for view in VIEWS:
                app = make_app(store, theme)
                async with app.run_test(size=size) as pilot:
                    await RUN_BEFORE[view](pilot)
                    text = app.export_screenshot()
                    plain = "\n".join(str(line) for line in _plain_lines(app))
                assert psk not in text and psk not in plain, (view, size, theme)
                if size == (160, 48):
                    for needle in EXPECTED[view]:
                        assert needle in plain, (view, size, theme, needle)


def _plain_lines(app: Any) -> list[str]:
    """The screen as plain text lines (the SVG splits text into styled spans)."""
    import io

    from rich.console import Console

    width, height = app.size
    console = Console(width=width, height=height, record=True, file=io.StringIO(), legacy_windows=False,
                      safe_box=False, color_system="truecolor", force_terminal=True)
    screen_render = app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)  # noqa: SLF001
    console.print(screen_render)
    return console.export_text(styles=False).splitlines()


def test_psk_in_no_snapshot_file():
    """The committed SVGs: all 16 exist and none contains the PSK (nor its HTML-escaped form)."""
    files = sorted(SNAPSHOTS.rglob("*.svg"))
    names = {f.stem for f in files if f.stem.startswith("test_snapshot[")}
    expected = {f"test_snapshot[{v}-{s}-{t}]" for v in VIEWS for s in SIZES for t in THEMES}
    missing = expected - names
    assert not missing, f"missing snapshots (run with --snapshot-update): {sorted(missing)}"
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert replay.PSK not in text and replay.PSK.replace("-", "&#45;") not in text, path
