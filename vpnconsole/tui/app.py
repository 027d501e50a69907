"""The console application and the one factory that builds it (the CLI and the tests both use
:func:`build_app`, so what the tests drive is what users run).

Start-up is kept light so the first screen paints at once: the engine (netmiko, the Alibaba SDK),
the keyring and the embedded lab are all opened in workers after the first paint.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, Callable

from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Center, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Header, LoadingIndicator, Static

from vpnconsole.tui.themes import DEFAULT_THEME, load_themes, other_theme


def _console_commands() -> type:
    """The palette's provider, imported when the palette first opens (textual.command is not light)."""
    from vpnconsole.tui.commands import ConsoleCommands

    return ConsoleCommands


@dataclass
class LabContext:
    """What one open lab needs: the edited profile, the secret store, the engine (built in a worker)."""

    session: Any  # vpnconsole.session.LabSession
    store: Any
    engine: Any = None
    refresh_interval: float = 5.0
    probe_icmp: Any = None  # the embedded lab answers ICMP through its tunnel model
    engine_options: dict[str, Any] = field(default_factory=dict)
    make_engine: Callable[..., Any] | None = None
    emit: Callable[[Any], None] | None = None
    embedded: Any = None  # the running embedded lab (ThreadedLab) when this is `vpnconsole lab`

    def build_engine(self, profile: Any) -> Any:
        from vpnconsole.engine import Engine

        factory = self.make_engine or Engine
        return factory(profile, self.store, emit=self.emit, **self.engine_options)

    def rebuild_engine(self, profile: Any) -> None:
        """After a save: the engine works on the saved profile."""
        if self.engine is not None:
            self.engine = self.build_engine(profile)


def _freeze_heap() -> None:
    """Keep the garbage collector from stalling the UI loop.

    Everything loaded so far (Textual, netmiko, the SDK, the lab's simulators) is moved out of the
    collector's view: none of it is garbage, and a full collection over it took ~100 ms.  The
    thresholds are then raised so that full collections of what the console allocates later (render
    caches, strips) stay rare: measured, they still took 60-100 ms each and came every few seconds of
    repainting; young collections stay frequent and cheap, so cyclic garbage is still reclaimed."""
    import gc

    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_YOUNG, GC_MIDDLE, GC_OLD)


#: collector thresholds once the console runs (CPython's defaults: 700, 10, 10)
GC_YOUNG, GC_MIDDLE, GC_OLD = 3_000, 5, 1_000


class StartingScreen(Screen):
    """Shown while the embedded lab starts (about two seconds) — painted before anything heavy loads."""

    def compose(self) -> ComposeResult:
        yield Header()
        with Center(), Vertical(id="starting"):
            yield Static("Starting the embedded lab: a simulated H3C router (SSH), the Alibaba VPC API (HTTP) "
                         "and OpenStack endpoints on loopback…", id="starting-text")
            yield LoadingIndicator()
        yield Footer()


class VpnConsoleApp(App[int]):
    """vpnconsole: one lab profile, an H3C router and an Alibaba VPN gateway made to agree."""

    CSS_PATH = "console.tcss"
    TITLE = "vpnconsole"
    COMMANDS = App.COMMANDS | {_console_commands}
    BINDINGS = [
        Binding("question_mark", "keys", "Keys"),
        Binding("q", "quit", "Quit"),
        Binding("ctrl+t", "toggle_theme", "Theme", show=False),
    ]

    def __init__(self, lab: str | None = None, *, embedded: Any = None, store: Any = None,
                 refresh_interval: float = 5.0, accept_new_host_key: bool = False, probe_icmp: Any = None,
                 make_engine: Callable[..., Any] | None = None, theme: str | None = None,
                 open_store: Callable[..., Any] | None = None):
        super().__init__()
        self.lab_name = lab
        self.embedded_settings = embedded
        self.embedded: Any = None
        self.store = store
        self.refresh_interval = refresh_interval
        self.accept_new_host_key = accept_new_host_key
        self.probe_icmp = probe_icmp
        self.make_engine = make_engine
        self.initial_theme = theme
        self._open_store = open_store
        self.exit_code = 0

    # -- start ---------------------------------------------------------------------------------------

    def on_mount(self) -> None:
        for theme in load_themes():
            self.register_theme(theme)
        self.theme = self.initial_theme or DEFAULT_THEME
        if self.embedded_settings is not None:
            self.push_screen(StartingScreen())
            # after the first paint: the lab's imports (asyncssh, aiohttp, the SDK) would hold the GIL
            self.call_after_refresh(self.start_embedded)
        elif self.lab_name:
            self.open_lab(self.lab_name)
        else:
            self.show_picker()

    def show_picker(self) -> None:
        from vpnconsole.tui.picker import PickerScreen

        if isinstance(self.screen, PickerScreen):
            self.screen.reload()
            return
        self.push_screen(PickerScreen())

    def action_labs(self) -> None:
        self.show_picker()

    async def ensure_store(self) -> Any:
        """The secret store: a configured backend or an unlocked Secret Service as is; the encrypted
        file keyring asks for its master password here (VPNCONSOLE_KEYRING_PASSWORD for scripts)."""
        if self.store is not None:
            return self.store
        if self._open_store is not None:
            self.store = await asyncio.to_thread(self._open_store)
            return self.store
        import os

        from vpnconsole import secrets
        from vpnconsole.tui.dialogs import UnlockKeyringScreen

        choice = await asyncio.to_thread(secrets.select_backend)
        if not choice.needs_password:
            self.store = await asyncio.to_thread(choice.open)
            return self.store
        create = not choice.keyring_exists
        password = os.environ.get(secrets.PASSWORD_ENV)
        if password:
            self.store = await asyncio.to_thread(choice.open, password, create=create)
            return self.store
        error = None
        while True:
            secret = await self.push_screen_wait(UnlockKeyringScreen(str(choice.path), create=create, error=error))
            if secret is None:
                raise secrets.SecretStoreError("the keyring stays locked: no master password given")
            try:
                self.store = await asyncio.to_thread(choice.open, secret.reveal(), create=create)
                return self.store
            except secrets.SecretStoreError as exc:
                error = str(exc) or "wrong master password"

    @work(group="open", exclusive=True, exit_on_error=False)
    async def start_embedded(self) -> None:
        from vpnconsole.lab.runner import LAB_NAME, LabSettings, ThreadedLab

        settings = self.embedded_settings
        if isinstance(settings, dict):  # from the command line: the lab's modules load after the first paint
            settings = LabSettings(**settings)
        try:
            store = await self.ensure_store()
        except Exception as exc:  # noqa: BLE001 - shown, and the picker stays usable
            self.notify(str(exc), severity="error", timeout=15)
            return
        lab = ThreadedLab(settings, store=store)
        try:
            info = await asyncio.to_thread(lab.start)
        except Exception as exc:  # noqa: BLE001
            self.notify(f"the embedded lab could not start: {exc}", severity="error", timeout=15)
            return
        self.embedded = lab
        if self.probe_icmp is None:
            openstack = lab.lab.openstack

            def icmp_through_the_lab(address: str, timeout: float) -> bool:
                # the kernel answers every 127.x ping itself: the lab's path model says what would
                return openstack.icmp_reachable(address)

            self.probe_icmp = icmp_through_the_lab
        # the lab's own router key is trusted on first use: it was just generated on this machine
        self.accept_new_host_key = True
        await self._open(LAB_NAME, replace=True, note=info.describe())

    @work(group="open", exclusive=True, exit_on_error=False)
    async def open_lab(self, name: str) -> None:
        await self._open(name)

    async def _open(self, name: str, *, replace: bool = False, note: str | None = None) -> None:
        from vpnconsole.profile import ProfileError, ProfileNotFound, find_profile, load_profile
        from vpnconsole.session import LabSession
        from vpnconsole.tui.dialogs import ask_host_key_from_thread
        from vpnconsole.tui.lab_screen import LabScreen

        try:
            store = await self.ensure_store()
        except Exception as exc:  # noqa: BLE001
            self.notify(str(exc), severity="error", timeout=15)
            if not self.screen_stack or len(self.screen_stack) <= 1:
                self.show_picker()
            return
        for existing in self.screen_stack:
            if isinstance(existing, LabScreen) and existing.session.name == name and not replace:
                while self.screen is not existing:  # already open: back to it
                    self.pop_screen()
                return
        try:
            path = find_profile(name)
            profile = await asyncio.to_thread(load_profile, path)
        except (ProfileNotFound, ProfileError) as exc:
            self.notify(str(exc), severity="error", timeout=15)
            if len(self.screen_stack) <= 1:
                self.show_picker()
            return
        context = LabContext(LabSession(profile, path), store, refresh_interval=self.refresh_interval,
                             probe_icmp=self.probe_icmp, make_engine=self.make_engine, embedded=self.embedded,
                             engine_options={"accept_new_host_key": self.accept_new_host_key,
                                             "ask_host_key": ask_host_key_from_thread(self)})
        screen = LabScreen(context)
        context.emit = screen.emit
        if replace:
            await self.switch_screen(screen)
        else:
            await self.push_screen(screen)
        if note:
            for line in note.splitlines():
                screen.log_line("console", line)
        try:
            context.engine = await asyncio.to_thread(context.build_engine, profile)
        except Exception as exc:  # noqa: BLE001
            self.notify(f"cannot reach the ends of {name}: {exc}", severity="error", timeout=15)
            return
        _freeze_heap()
        screen.engine_ready()

    # -- keys ------------------------------------------------------------------------------------------

    def action_toggle_theme(self) -> None:
        self.theme = other_theme(self.theme)

    def action_keys(self) -> None:
        from vpnconsole.tui.dialogs import KeysHelpScreen

        rows: list[tuple[str, str]] = []
        seen = set()
        for _node, binding in [(None, b) for b in self.screen.BINDINGS] + [(None, b) for b in self.BINDINGS]:
            if not isinstance(binding, Binding) or binding.key in seen:
                continue
            seen.add(binding.key)
            rows.append((self.get_key_display(binding), binding.description or binding.action))
        rows.append(("ctrl+p", "command palette"))
        self.push_screen(KeysHelpScreen(rows))

    async def action_quit(self) -> None:
        from vpnconsole.tui.lab_screen import LabScreen

        dirty = [s for s in self.screen_stack if isinstance(s, LabScreen) and s.session.dirty]
        if dirty:
            self._quit_dirty(dirty[-1])
            return
        await self._quit_console()

    @work(group="quit", exclusive=True, exit_on_error=False)
    async def _quit_dirty(self, screen: Any) -> None:
        from vpnconsole.tui.dialogs import UnsavedChangesScreen

        answer = await self.push_screen_wait(UnsavedChangesScreen(f"Lab {screen.session.name}'s profile"))
        if answer is None:
            return
        if answer == "save":
            screen.action_save()
            if screen.session.dirty:
                return  # not saved (invalid): stay
        await self._quit_console()

    async def _quit_console(self) -> None:
        await self._close_labs()
        self.exit(self.exit_code)

    async def _close_labs(self) -> None:
        from vpnconsole.tui.lab_screen import LabScreen

        for screen in [s for s in self.screen_stack if isinstance(s, LabScreen)]:
            await screen.quiesce()
        lab, self.embedded = self.embedded, None
        if lab is not None:
            await asyncio.to_thread(lab.close)

    async def _shutdown(self) -> None:
        """Textual's own shutdown hook (however the app ends): stop the lab, then let Textual finish.
        (Overriding it without chaining up skipped Textual's cleanup and replaced the app's return value.)"""
        await self._close_labs()
        await super()._shutdown()


def build_app(lab: str | None = None, *, embedded: Any = None, **options: Any) -> VpnConsoleApp:
    """The console, as `vpnconsole [LAB]`, `vpnconsole lab` and the tests build it."""
    return VpnConsoleApp(lab, embedded=embedded, **options)


def run(lab: str | None = None, **options: Any) -> int:
    app = build_app(lab, **options)
    code = app.run()
    return int(code or 0)


__all__ = ["VpnConsoleApp", "LabContext", "build_app", "run"]
