"""Modal dialogs of the console: plan confirmation, typed teardown confirmation, PSK entry, keyring
unlock, router host-key acceptance, a read-only text view, small questions and the key list.

Every dialog is a :class:`textual.screen.ModalScreen` dismissed with a typed result, and follows the
same manners:

* keyboard first: Escape always dismisses with the *safe* answer (``False`` / ``None``), Tab moves
  between controls, Enter confirms only where confirming is harmless or was made deliberate (a typed
  lab name, a matching repeated password);
* usable at 80×24 (the frame fills the terminal and its content scrolls) and roomy at 160×48;
* colours come from theme variables only, so the dark and light themes and ``NO_COLOR`` just work;
* secrets are never rendered: password inputs show bullets, the PSK screen shows a fingerprint, every
  validation message comes from rules that never quote the value, and secret inputs are emptied
  before the dialog goes away.

Nothing here talks to a router, a cloud or a keyring: the caller does that with the result.  The one
helper that touches threads, :func:`ask_host_key_from_thread`, exists because the H3C end runs in a
worker thread and asks its host-key question from there.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Literal, TypeVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, ScrollableContainer, Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Log, Static

from vpnconsole.redact import Secret
from vpnconsole.tui.frames import FrameStyleCache, after_refresh

if TYPE_CHECKING:
    from textual.app import App

__all__ = [
    "PlanConfirmScreen", "TeardownConfirmScreen", "PskScreen", "PskResult", "UnlockKeyringScreen",
    "HostKeyScreen", "ask_host_key_from_thread", "TextViewScreen", "ConfirmScreen",
    "UnsavedChangesScreen", "NameInputScreen", "KeysHelpScreen", "lab_name_problem",
    "PSK_MIN_GENERATED", "PSK_MAX_GENERATED", "HOST_KEY_TIMEOUT",
]

ResultT = TypeVar("ResultT")

#: bounds of :func:`vpnconsole.psk.generate_psk` (kept here so the dialog does not import it eagerly)
PSK_MIN_GENERATED = 16
PSK_MAX_GENERATED = 100
#: how long a worker thread waits for the host-key answer before refusing the key
HOST_KEY_TIMEOUT = 300.0
#: end names the plan panes know how to title; anything else is shown as given
END_TITLES = {"h3c": "H3C router (Comware commands)", "alibaba": "Alibaba VPN gateway (API calls)"}


# --- the common frame ----------------------------------------------------------------------------------


class Dialog(ModalScreen[ResultT]):
    """A centred frame over an opaque backdrop; Escape dismisses with :attr:`safe_answer`.

    Subclasses compose their content inside :meth:`compose_body` and set ``safe_answer``.
    """

    DEFAULT_CSS = """
    Dialog {
        align: center middle;
        /* opaque: a translucent modal makes Textual re-render the whole lab screen, tinted, behind it
           on every frame (~250 ms at 160x48): the UI loop must stay responsive while a plan is open */
        background: $background;
    }
    Dialog > #frame {
        width: 90%;
        max-width: 120;
        height: auto;
        max-height: 100%;
        border: thick $primary;
        border-title-color: $text;
        border-title-style: bold;
        background: $surface;
        padding: 0 1;
    }
    Dialog > #frame > #body {
        height: auto;
    }
    Dialog > #frame > #actions {
        dock: bottom;
        height: auto;
    }
    Dialog .hint {
        color: $text-muted;
        height: auto;
    }
    Dialog .problem {
        color: $error;
        height: auto;
    }
    Dialog .warning {
        color: $warning;
        height: auto;
    }
    Dialog .ok {
        color: $success;
        height: auto;
    }
    Dialog .buttons {
        height: auto;
        align-horizontal: right;
        margin-top: 1;
    }
    Dialog .buttons Button {
        margin-left: 1;
    }
    /* wide terminals: the two plans side by side, each scrolling on its own */
    Dialog.-wide PlanPanes {
        layout: horizontal;
    }
    Dialog.-plans > #frame {
        height: 100%;
        width: 96%;
        max-width: 200;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel", show=True)]

    #: what Escape (and every "not sure") answers
    safe_answer: ResultT | None = None
    #: the frame's border title
    frame_title: str = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._preset_breakpoint_classes()

    def _preset_breakpoint_classes(self) -> None:
        """Give the screen its breakpoint classes before its first layout.

        Textual sets them on the first Resize, after the screen was laid out and rendered once
        without them; the class change then restyles the whole dialog and lays it out again, in
        the same blocked stretch of the UI loop.  Preset, the Resize finds nothing to change.
        """
        breakpoints = self.HORIZONTAL_BREAKPOINTS
        if not breakpoints:
            return
        try:
            width = self.app.size.width
        except Exception:  # noqa: BLE001 - built outside a running app (a unit test): Textual sets them later
            return
        matched = self._get_breakpoint_classes(width, breakpoints)
        self.update_classes({name: name in matched for _, name in breakpoints}, update=False)

    def compose(self) -> ComposeResult:
        with Vertical(id="frame") as frame:
            frame.border_title = self.frame_title
            yield from self.compose_frame()

    def compose_frame(self) -> ComposeResult:
        """The frame's content: by default a scrolling body followed by the button row."""
        # The buttons are docked at the bottom of the frame so a short terminal shrinks (and
        # scrolls) the body, never hides the buttons.
        with Vertical(id="actions"):
            yield from self.compose_buttons()
        if self.has_class("-plans"):
            # the plan panes fill the frame and scroll on their own: no scrolling body around them
            # (one widget fewer to lay out and paint when the dialog opens)
            yield from self.compose_body()
            return
        with VerticalScroll(id="body"):
            yield from self.compose_body()

    def compose_body(self) -> ComposeResult:
        yield from ()

    def compose_buttons(self) -> ComposeResult:
        yield from ()

    def action_cancel(self) -> None:
        self.finish(self.safe_answer)

    def finish(self, result: ResultT | None) -> None:
        """Dismiss once (a double Enter must not dismiss the screen underneath)."""
        if self.is_active:
            self.forget_secrets()
            self.dismiss(result)

    def forget_secrets(self) -> None:
        """Empty every password input, so a typed secret does not stay in a widget after the dialog."""
        for widget in self.query(Input):
            if widget.password:
                widget.value = ""

    def on_unmount(self) -> None:
        # Also when the screen is removed some other way (app exit, pop_screen by the caller).
        self.forget_secrets()


# --- plans -----------------------------------------------------------------------------------------------


class PlanPanes(Horizontal):
    """The plan of each end, side by side when the terminal is wide, stacked when it is narrow.

    Each pane scrolls on its own (both axes: Comware lines and API calls are not wrapped, so what is
    shown is exactly what will be sent).
    """

    DEFAULT_CSS = """
    PlanPanes {
        height: 1fr;
        layout: vertical;
    }
    PlanPanes > .plan-pane {
        /* stacked (narrow) or side by side (wide), the panes share the frame: both always in view */
        height: 1fr;
        width: 1fr;
        border: round $primary-muted;
        border-title-color: $text;
        padding: 0 1;
        overflow: auto auto;
        /* room for the vertical scrollbar from the start: when it appears (a frame after the
           pane, once Textual knows the pane's height) the text need not be laid out again */
        scrollbar-gutter: stable;
    }
    PlanPanes > .plan-pane:focus {
        border: round $primary;
    }
    """

    def __init__(self, plans: dict[str, str], *, id: str | None = None, focus_first: bool = False) -> None:
        super().__init__(id=id)
        self.plans = plans
        self.focus_first = focus_first  # the first pane takes the focus when it arrives
        self._to_show = list(plans.items())

    @property
    def ready(self) -> bool:
        """Every plan is on screen (they are added one frame after another)."""
        return not self._to_show

    def on_mount(self) -> None:
        # One pane per frame, after the dialog's first frame: a new screen with both plans in it
        # cost 60-80 ms of blocked UI loop in one go at 160x48 (the first render of every line, then
        # a second layout and render once Textual knows which panes need scrollbars); spread out,
        # each frame stays short and the dialog appears at once.
        after_refresh(self, self._show_next)

    def _show_next(self) -> None:
        if not self._to_show or not self.is_attached:
            return
        end, text = self._to_show.pop(0)
        pane = PlanLog(classes="plan-pane", id=f"plan-{_ident(end)}")
        pane.border_title = END_TITLES.get(end, end)
        # write(), not write_lines(): it measures the widest line at once, where write_lines()
        # measures in a thread and the late width lays the dialog out once more; and it keeps the
        # blank lines between the API calls, which write_lines() drops
        pane.write(text.strip("\n") or "(nothing to do)", scroll_end=False)
        self.mount(pane)
        if self.focus_first:
            self.focus_first = False
            pane.focus()  # the plan, never a button: Enter must not confirm by accident
        after_refresh(self, self._show_next)


class PlanLog(FrameStyleCache, Log):
    """One plan, line by line: a Log renders only the lines in view (a whole-plan Static re-rendered
    every line on every frame: hundreds of ms for a long plan) and shows text literally, never as
    markup; its style is computed once per frame, not per line."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(highlight=False, auto_scroll=False, **kwargs)


def _ident(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "-", text) or "x"


class PlanConfirmScreen(Dialog[bool]):
    """Shows the plan of each end, then asks.  Result: ``True`` to apply, ``False`` otherwise.

    ``plans`` maps an end to its plan text, e.g. ``{"h3c": "<Comware commands>", "alibaba": "<API
    calls>"}``; secrets are masked by the caller.  The focus starts on the plan (so arrows scroll it),
    not on a button: applying needs a deliberate ``y`` or the Apply button; Escape/``n`` = ``False``.
    """

    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]
    #: nothing focused until the first plan pane arrives (it takes the focus): never the Apply button
    AUTO_FOCUS = ""
    BINDINGS = [
        Binding("y", "confirm", "Apply", show=True),
        Binding("n", "cancel", "Cancel", show=False),
    ]
    safe_answer = False

    def __init__(self, title: str, plans: dict[str, str], *, confirm_label: str = "Apply") -> None:
        super().__init__(classes="-plans")
        self.frame_title = title
        self.plans = dict(plans)
        self.confirm_label = confirm_label

    def compose_body(self) -> ComposeResult:
        yield PlanPanes(self.plans, id="plans", focus_first=True)

    def compose_buttons(self) -> ComposeResult:
        yield Label(f"y {self.confirm_label.lower()} · Esc/n cancel · Tab next · arrows scroll", classes="hint")
        with Horizontal(classes="buttons"):
            yield Button(self.confirm_label, variant="primary", id="confirm")
            yield Button("Cancel", id="cancel")

    def action_confirm(self) -> None:
        self.finish(True)

    @on(Button.Pressed, "#confirm")
    def _confirm(self) -> None:
        self.finish(True)

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.finish(False)


class TeardownConfirmScreen(Dialog[bool]):
    """Shows the teardown plan of both ends; confirming needs the lab name typed exactly.

    Result ``True`` only when the typed text equals ``lab`` and the user pressed Enter or the
    Tear down button.  Escape, or Enter on an empty input, answers ``False``; Enter on a wrong name
    never confirms (the dialog stays, with the hint, so a typo does not lose the plan view).
    """

    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]
    DEFAULT_CSS = """
    TeardownConfirmScreen > #frame {
        border: thick $error;
    }
    TeardownConfirmScreen #confirm-row {
        height: auto;
    }
    TeardownConfirmScreen #confirm-row Input {
        width: 1fr;
    }
    """
    safe_answer = False

    def __init__(self, lab: str, plans: dict[str, str]) -> None:
        super().__init__(classes="-plans")
        self.lab = lab
        self.plans = dict(plans)
        self.frame_title = f"Tear down lab {lab}"

    def compose_body(self) -> ComposeResult:
        yield Static(
            Content.from_markup(
                "This removes from both ends what vpnconsole created for [b]$lab[/b]:", lab=self.lab
            )
        )
        yield PlanPanes(self.plans, id="plans")

    def compose_buttons(self) -> ComposeResult:
        yield Static(Content.from_markup("Type [b]$lab[/b] to confirm:", lab=self.lab), id="prompt")
        yield Input(placeholder="lab name", id="name", select_on_focus=False)
        yield Label(self._hint(""), id="hint", classes="hint")
        with Horizontal(classes="buttons"):
            yield Button("Tear down", variant="error", id="confirm", disabled=True)
            yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#name", Input).focus()

    def _hint(self, typed: str) -> str:
        if not typed:
            return f"type {self.lab} to confirm · Enter or Esc = no"
        if typed == self.lab:
            return "Enter or Tear down to remove everything listed above · Esc = no"
        return f"does not match: type {self.lab} to confirm · Esc = no"

    @on(Input.Changed, "#name")
    def _changed(self, event: Input.Changed) -> None:
        matches = event.value == self.lab
        self.query_one("#confirm", Button).disabled = not matches
        hint = self.query_one("#hint", Label)
        hint.update(self._hint(event.value))
        hint.set_class(bool(event.value) and not matches, "warning")

    @on(Input.Submitted, "#name")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.value == self.lab:
            self.finish(True)
        elif not event.value:
            self.finish(False)
        else:
            self.app.bell()

    @on(Button.Pressed, "#confirm")
    def _confirm(self) -> None:
        # the button is disabled until the name matches; check again anyway: the name is the gate
        if self.query_one("#name", Input).value == self.lab:
            self.finish(True)

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.finish(False)


# --- secrets ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PskResult:
    """What the PSK dialog decided: store ``secret`` (``action="set"``) or generate a PSK of ``length``
    characters (``action="generate"``).  The repr shows only the Secret's fingerprint."""

    action: Literal["set", "generate"]
    secret: Secret | None = None
    length: int | None = None


def _psk_problems(value: str) -> list[str]:
    # vpnconsole.secrets imports the keyring library; deferred so opening the console stays fast
    from vpnconsole.secrets import value_problems

    return value_problems("psk", value)


class PskScreen(Dialog["PskResult | None"]):
    """Set or generate a lab's PSK.  Result: :class:`PskResult` or ``None`` (cancelled).

    The value is typed twice into masked inputs and checked live against the rules of both ends
    (:func:`vpnconsole.secrets.value_problems`); the messages never contain the value.  The current
    PSK is shown only as its fingerprint.
    """

    DEFAULT_CSS = """
    PskScreen #generate-row {
        height: auto;
    }
    PskScreen #generate-row Input {
        width: 12;
    }
    PskScreen #generate-row Label {
        padding: 1 1 0 0;
    }
    """
    safe_answer = None

    def __init__(self, lab: str, fingerprint: str | None, backend: str) -> None:
        super().__init__()
        self.lab = lab
        self.fingerprint = fingerprint
        self.backend = backend
        self.frame_title = f"Pre-shared key · {lab}"

    def compose_body(self) -> ComposeResult:
        current = (f"Current PSK: {self.fingerprint}" if self.fingerprint
                   else "No PSK stored for this lab yet.")
        yield Static(current, id="current", markup=False)
        yield Static(f"Stored in: {self.backend}", classes="hint", markup=False)
        if self.fingerprint:
            yield Static("Setting or generating a PSK replaces the current one on the next apply.",
                         classes="warning")
        yield Static("New PSK (1–100 letters, digits, symbols; no spaces, quotes, '\\' or '?'):", markup=False)
        yield Input(password=True, id="psk", placeholder="type the PSK")
        yield Input(password=True, id="psk-again", placeholder="type it again")
        yield Static("", id="problems", classes="hint")
        with Horizontal(id="generate-row"):
            yield Label("Or generate one, length:")
            yield Input(str(32), id="length", type="integer", max_length=3, restrict=r"[0-9]*")
            yield Button("Generate", id="generate")

    def compose_buttons(self) -> ComposeResult:
        yield Label("Enter in the second field sets · Tab next · Esc cancel", classes="hint")
        with Horizontal(classes="buttons"):
            yield Button("Set PSK", variant="primary", id="set", disabled=True)
            yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#psk", Input).focus()
        self._validate()

    def _problems(self) -> list[str]:
        """Why the typed pair cannot be stored (never quoting it)."""
        value = self.query_one("#psk", Input).value
        again = self.query_one("#psk-again", Input).value
        if not value:
            return ["type the PSK, then type it again"]
        problems = list(_psk_problems(value))
        if not again:
            problems.append("type the PSK again to confirm it")
        elif again != value:
            problems.append("the two entries differ")
        return problems

    def _validate(self) -> list[str]:
        problems = self._problems()
        value = self.query_one("#psk", Input).value
        out = self.query_one("#problems", Static)
        if problems:
            # defence in depth: a message that quoted the value would be a leak on screen
            shown = [p for p in problems if not (value and value in p)]
            out.update("\n".join(f"✗ {p}" for p in shown) or "✗ the value is not acceptable")
            out.set_classes("problem" if value else "hint")
        else:
            out.update("✓ both ends accept this PSK; the entries match")
            out.set_classes("ok")
        self.query_one("#set", Button).disabled = bool(problems)
        return problems

    def _length(self) -> int | None:
        try:
            length = int(self.query_one("#length", Input).value)
        except ValueError:
            return None
        return length if PSK_MIN_GENERATED <= length <= PSK_MAX_GENERATED else None

    @on(Input.Changed, "#psk, #psk-again")
    def _changed(self) -> None:
        self._validate()

    @on(Input.Changed, "#length")
    def _length_changed(self) -> None:
        self.query_one("#generate", Button).disabled = self._length() is None

    @on(Input.Submitted, "#psk")
    def _first_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.query_one("#psk-again", Input).focus()

    @on(Input.Submitted, "#psk-again")
    def _second_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._set()

    @on(Input.Submitted, "#length")
    def _length_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._generate()

    @on(Button.Pressed, "#set")
    def _set(self) -> None:
        if self._validate():
            self.app.bell()
            return
        secret = Secret(self.query_one("#psk", Input).value, "psk")
        self.finish(PskResult("set", secret=secret))

    @on(Button.Pressed, "#generate")
    def _generate(self) -> None:
        length = self._length()
        if length is None:
            self.notify(f"the length must be {PSK_MIN_GENERATED}–{PSK_MAX_GENERATED}", severity="error")
            return
        self.finish(PskResult("generate", length=length))

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.finish(None)


def _min_master_password() -> int:
    from vpnconsole.keyring_backend import MIN_MASTER_PASSWORD  # deferred: imports the keyring library

    return MIN_MASTER_PASSWORD


class UnlockKeyringScreen(Dialog["Secret | None"]):
    """The encrypted file keyring's master password.  Result: :class:`Secret` or ``None``.

    ``create=True`` (no keyring yet): asked twice, the entries must match and be long enough.
    After a failed unlock the caller opens it again with ``error="wrong master password"``.
    """

    safe_answer = None

    def __init__(self, path: str, *, create: bool, error: str | None = None) -> None:
        super().__init__()
        self.path = str(path)
        self.create = create
        self.error = error
        self.min_length = _min_master_password() if create else 1
        self.frame_title = "Create the encrypted keyring" if create else "Unlock the encrypted keyring"

    def compose_body(self) -> ComposeResult:
        if self.create:
            yield Static("No keyring exists yet; vpnconsole will create an encrypted one at:")
        else:
            yield Static("vpnconsole's secrets are in the encrypted keyring at:")
        yield Static(self.path, markup=False, classes="hint")
        if self.error:
            yield Static(self.error, id="error", classes="problem", markup=False)
        label = "New master password:" if self.create else "Master password:"
        yield Label(label)
        yield Input(password=True, id="password")
        if self.create:
            yield Label("Repeat it:")
            yield Input(password=True, id="password-again")
        yield Static("", id="problems", classes="hint")

    def compose_buttons(self) -> ComposeResult:
        with Horizontal(classes="buttons"):
            yield Button("Create" if self.create else "Unlock", variant="primary", id="ok", disabled=True)
            yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#password", Input).focus()
        self._validate()

    def _problems(self) -> list[str]:
        password = self.query_one("#password", Input).value
        if not password:
            return ["type the master password"]
        if not self.create:
            return []
        problems = []
        if len(password) < self.min_length:
            problems.append(f"a new master password needs at least {self.min_length} characters")
        again = self.query_one("#password-again", Input).value
        if not again:
            problems.append("type it again to confirm it")
        elif again != password:
            problems.append("the two entries differ")
        return problems

    def _validate(self) -> list[str]:
        problems = self._problems()
        out = self.query_one("#problems", Static)
        typed = bool(self.query_one("#password", Input).value)
        out.update("\n".join(f"✗ {p}" for p in problems) if typed else
                   ("Choose a master password; it cannot be recovered." if self.create else ""))
        out.set_classes("problem" if typed and problems else "hint")
        self.query_one("#ok", Button).disabled = bool(problems)
        return problems

    @on(Input.Changed)
    def _changed(self) -> None:
        self._validate()

    @on(Input.Submitted, "#password")
    def _first_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self.create:
            self.query_one("#password-again", Input).focus()
        else:
            self._ok()

    @on(Input.Submitted, "#password-again")
    def _second_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._ok()

    @on(Button.Pressed, "#ok")
    def _ok(self) -> None:
        if self._validate():
            self.app.bell()
            return
        self.finish(Secret(self.query_one("#password", Input).value, "master-password"))

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.finish(None)


# --- host keys -------------------------------------------------------------------------------------------


def _known_hosts_name(host: str, port: int) -> str:
    return host if int(port) == 22 else f"[{host}]:{port}"


class HostKeyScreen(Dialog[bool]):
    """The router's SSH host key, before the first connection.  Result: ``True`` = accept it.

    New key: the fingerprint is shown and the user accepts (``a`` or the Accept button) or rejects
    (Escape, Enter on the focused Reject button).  ``changed=True``: the key differs from the one in
    known_hosts; nothing can be accepted, only closed (``False``), with how to remove the old entry.
    """

    DEFAULT_CSS = """
    HostKeyScreen.-changed > #frame {
        border: thick $error;
    }
    HostKeyScreen #fingerprint {
        text-style: bold;
        padding: 1 0;
    }
    HostKeyScreen #changed-warning {
        color: $error;
        text-style: bold;
    }
    """
    BINDINGS = [Binding("a", "accept", "Accept", show=True)]
    safe_answer = False

    def __init__(self, host: str, port: int, key_type: str, fingerprint: str, *, changed: bool = False,
                 known_hosts: str | None = None) -> None:
        super().__init__()
        self.host = host
        self.port = int(port)
        self.key_type = key_type
        self.fingerprint = fingerprint
        self.changed = changed
        self.known_hosts = known_hosts or "~/.ssh/known_hosts"
        self.frame_title = "Router host key CHANGED" if changed else "New router host key"
        self._withdrawn = False
        if changed:
            self.add_class("-changed")

    def compose_body(self) -> ComposeResult:
        where = f"{self.host} port {self.port}"
        if self.changed:
            yield Static(f"WARNING: the host key of {where} has changed. vpnconsole will not connect.",
                         id="changed-warning", markup=False)
            yield Static("It now presents:", markup=False)
            yield Static(f"{self.key_type} {self.fingerprint}", id="fingerprint", markup=False)
            name = _known_hosts_name(self.host, self.port)
            yield Static(
                "This may be an attack (someone between you and the router), or the router was replaced "
                "or re-keyed. Check the new key with whoever runs the router. Only if you are sure, remove "
                "the old entry and connect again:",
                markup=False,
            )
            yield Static(f"  ssh-keygen -R '{name}' -f {self.known_hosts}", id="remove-hint", markup=False,
                         classes="hint")
        else:
            yield Static(f"vpnconsole has never connected to {where}. Its SSH host key is:", markup=False)
            yield Static(f"{self.key_type} {self.fingerprint}", id="fingerprint", markup=False)
            yield Static(
                "Compare it with the key the router really has (ask whoever runs it, or check on its "
                f"console). Accepting adds it to {self.known_hosts}; later connections are checked against it.",
                markup=False, classes="hint",
            )

    def compose_buttons(self) -> ComposeResult:
        hint = "Esc/Enter close" if self.changed else "a accept · Esc/Enter reject · Tab next"
        yield Label(hint, classes="hint")
        with Horizontal(classes="buttons"):
            if self.changed:
                yield Button("Close", id="close", variant="error")
            else:
                yield Button("Accept", variant="warning", id="accept")
                yield Button("Reject", id="reject")

    def on_mount(self) -> None:
        # Enter on the initially focused button must be the safe answer
        self.query_one("#close" if self.changed else "#reject", Button).focus()

    def action_accept(self) -> None:
        # a changed key can never be accepted from here, nor one whose question timed out
        if not self.changed and not self._withdrawn:
            self.finish(True)

    class Withdraw(Message):
        """Posted (thread-safely) by :func:`ask_host_key_from_thread` when it stopped waiting."""

    def on_host_key_screen_withdraw(self, message: "HostKeyScreen.Withdraw") -> None:
        message.stop()
        self.withdraw()

    def withdraw(self) -> None:
        """The asker stopped waiting (timeout): answer no now, or as soon as this screen is on top
        again when another dialog covers it (only the top screen can be dismissed)."""
        self._withdrawn = True
        self.finish(False)

    def on_screen_resume(self) -> None:
        if self._withdrawn:
            self.finish(False)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "accept" and self.changed:
            return False  # also hides "a Accept" from the footer
        return True

    @on(Button.Pressed, "#accept")
    def _accept(self) -> None:
        self.action_accept()

    @on(Button.Pressed, "#reject, #close")
    def _reject(self) -> None:
        self.finish(False)


_BRACKETED = re.compile(r"^\[(?P<host>.+)\]:(?P<port>\d+)$")


def _split_host(hostname: str) -> tuple[str, int]:
    """paramiko names a host ``host`` (port 22) or ``[host]:port``; the dialog wants both parts."""
    m = _BRACKETED.match(hostname)
    return (m["host"], int(m["port"])) if m else (hostname, 22)


def ask_host_key_from_thread(app: "App[object]", *, timeout: float = HOST_KEY_TIMEOUT,
                             known_hosts: str | None = None) -> Callable[[str, str, str], bool]:
    """A callback for ``H3CEnd(ask_host_key=…)``: ``ask(hostname, key_type, fingerprint) -> bool``.

    Called from the worker thread that connects to the router; it pushes :class:`HostKeyScreen` on the
    app's thread and blocks the worker until the user answers.  No answer within ``timeout`` seconds,
    an app that is not running, or a call from the app's own thread (which would deadlock) all
    refuse the key.  (The changed-key case never reaches the callback: hostkeys refuses it outright.)
    """

    def ask(hostname: str, key_type: str, fingerprint: str) -> bool:
        from textual.worker import NoActiveWorker, get_current_worker

        host, port = _split_host(hostname)
        answered = threading.Event()
        answer: list[bool] = []

        def on_answer(result: bool | None) -> None:
            answer.append(bool(result))
            answered.set()

        try:
            worker = get_current_worker()
        except NoActiveWorker:
            worker = None
        screen = HostKeyScreen(host, port, key_type, fingerprint, known_hosts=known_hosts)
        try:
            app.call_from_thread(app.push_screen, screen, on_answer)
        except Exception:  # noqa: BLE001 - not running / same thread: refusing is the safe answer
            return False
        # Wait in slices, so an app that quits or a worker that is cancelled does not leave this
        # thread (and the SSH connection it holds) hanging until the full timeout.
        deadline = time.monotonic() + timeout
        while not answered.wait(min(0.25, max(0.0, deadline - time.monotonic()))):
            if (time.monotonic() >= deadline or not app.is_running
                    or (worker is not None and worker.is_cancelled)):
                break
        if answered.is_set():
            return answer[0]
        # Nobody answered: take the question away so a late "accept" cannot mislead anyone.
        # post_message, not call_from_thread: it never blocks, even when the app's loop is gone.
        screen.post_message(HostKeyScreen.Withdraw())
        return False

    return ask


# --- text view -------------------------------------------------------------------------------------------


class TextViewScreen(Dialog[None]):
    """A scrollable read-only view (a diff, an end's rendered configuration).  Result: ``None``.

    ``c`` copies ``copy_text`` (or the shown text) to the clipboard through the terminal (OSC 52:
    works over SSH and in tmux with ``set-clipboard on``) and says how many lines were copied.
    """

    DEFAULT_CSS = """
    TextViewScreen > #frame {
        width: 96%;
        max-width: 200;
        height: 100%;
    }
    TextViewScreen #text {
        height: 1fr;
        overflow: auto auto;
    }
    TextViewScreen #text > Static {
        width: auto;
        text-wrap: nowrap;
    }
    """
    BINDINGS = [
        Binding("c", "copy", "Copy", show=True),
        Binding("q", "cancel", "Close", show=False),
    ]

    def __init__(self, title: str, text: str, *, copy_text: str | None = None) -> None:
        super().__init__()
        self.frame_title = title
        self.text = text
        self.copy_text = copy_text

    def compose_frame(self) -> ComposeResult:
        # The text container itself is the scroller (both axes), so it takes the frame's height.
        with Vertical(id="actions"):
            yield Label("c copy · arrows/PgUp/PgDn scroll · Esc/q close", classes="hint")
        with ScrollableContainer(id="text", can_focus=True):
            yield Static(self.text.rstrip("\n") or "(empty)", markup=False)

    def on_mount(self) -> None:
        self.query_one("#text").focus()

    def action_copy(self) -> None:
        text = self.copy_text if self.copy_text is not None else self.text
        self.app.copy_to_clipboard(text)
        lines = len(text.splitlines())
        self.notify(f"copied {lines} line{'s' if lines != 1 else ''} to the clipboard",
                    title=self.frame_title or None)


# --- small questions -------------------------------------------------------------------------------------


class ConfirmScreen(Dialog[bool]):
    """A yes/no question.  Result: ``True`` for yes.  ``y``/``n`` answer directly; Escape = no.

    The focus starts on Yes for harmless questions and on No when ``danger`` (Enter is then a no).
    """

    DEFAULT_CSS = """
    ConfirmScreen > #frame {
        max-width: 72;
    }
    ConfirmScreen.-danger > #frame {
        border: thick $error;
    }
    """
    BINDINGS = [Binding("y", "yes", "Yes", show=False), Binding("n", "cancel", "No", show=False)]
    safe_answer = False

    def __init__(self, question: str, *, yes: str = "Yes", no: str = "No", danger: bool = False,
                 title: str = "") -> None:
        super().__init__()
        self.question = question
        self.yes = yes
        self.no = no
        self.danger = danger
        self.frame_title = title
        if danger:
            self.add_class("-danger")

    def compose_body(self) -> ComposeResult:
        yield Static(self.question, id="question", markup=False)

    def compose_buttons(self) -> ComposeResult:
        with Horizontal(classes="buttons"):
            yield Button(self.yes, variant="error" if self.danger else "primary", id="yes")
            yield Button(self.no, id="no")

    def on_mount(self) -> None:
        self.query_one("#no" if self.danger else "#yes", Button).focus()

    def action_yes(self) -> None:
        self.finish(True)

    @on(Button.Pressed, "#yes")
    def _yes(self) -> None:
        self.finish(True)

    @on(Button.Pressed, "#no")
    def _no(self) -> None:
        self.finish(False)


class UnsavedChangesScreen(Dialog["Literal['save', 'discard'] | None"]):
    """Quit (or switch labs) with unsaved edits.  Result: ``"save"``, ``"discard"`` or ``None`` (stay).

    Focus starts on Save (Enter keeps the edits); ``s``/``d`` answer directly; Escape = stay.
    """

    DEFAULT_CSS = """
    UnsavedChangesScreen > #frame {
        max-width: 72;
    }
    """
    BINDINGS = [Binding("s", "save", "Save", show=False), Binding("d", "discard", "Discard", show=False)]
    safe_answer = None

    def __init__(self, what: str = "The profile", *, title: str = "Unsaved changes") -> None:
        super().__init__()
        self.what = what
        self.frame_title = title

    def compose_body(self) -> ComposeResult:
        yield Static(f"{self.what} has unsaved changes.", markup=False)
        yield Label("s save · d discard · Esc stay", classes="hint")

    def compose_buttons(self) -> ComposeResult:
        with Horizontal(classes="buttons"):
            yield Button("Save", variant="primary", id="save")
            yield Button("Discard", variant="error", id="discard")
            yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#save", Button).focus()

    def action_save(self) -> None:
        self.finish("save")

    def action_discard(self) -> None:
        self.finish("discard")

    @on(Button.Pressed, "#save")
    def _save(self) -> None:
        self.finish("save")

    @on(Button.Pressed, "#discard")
    def _discard(self) -> None:
        self.finish("discard")

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.finish(None)


def lab_name_problem(name: str) -> str | None:
    """Why ``name`` is not a lab name (``None``: fine) — the profile core's rule, said plainly."""
    from vpnconsole.profile import NAME_RE  # deferred: the profile module pulls in YAML

    if not name:
        return "type a name"
    if len(name) > 32:
        return f"{len(name)} characters; a lab name has at most 32"
    if not NAME_RE.match(name):
        if name != name.lower():
            return "lower case only: a-z, 0-9 and '-'"
        if name.startswith("-") or name.endswith("-"):
            return "a lab name cannot start or end with '-'"
        return "only a-z, 0-9 and '-' are allowed"
    return None


class NameInputScreen(Dialog["str | None"]):
    """Ask for a name ("new lab", "rename").  Result: the name, or ``None`` (cancelled).

    ``validate(text)`` returns why the text is not acceptable (``None``: fine); its message is shown
    as the user types, and OK/Enter only work when there is none.  Default: lab-name rules.
    """

    DEFAULT_CSS = """
    NameInputScreen > #frame {
        max-width: 72;
    }
    """
    safe_answer = None

    def __init__(self, title: str, *, initial: str = "", validate: Callable[[str], str | None] | None = None,
                 label: str = "Name:", ok_label: str = "OK") -> None:
        super().__init__()
        self.frame_title = title
        self.initial = initial
        self.validate = validate or lab_name_problem
        self.label = label
        self.ok_label = ok_label

    def compose_body(self) -> ComposeResult:
        yield Label(self.label)
        yield Input(self.initial, id="name")
        yield Static("", id="problem", classes="hint")

    def compose_buttons(self) -> ComposeResult:
        with Horizontal(classes="buttons"):
            yield Button(self.ok_label, variant="primary", id="ok")
            yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#name", Input).focus()
        self._check()

    def _check(self) -> str | None:
        text = self.query_one("#name", Input).value
        try:
            problem = self.validate(text)
        except Exception as exc:  # noqa: BLE001 - a validator bug must not accept the name
            problem = f"cannot check this name: {exc}"
        out = self.query_one("#problem", Static)
        out.update(f"✗ {problem}" if problem else "")
        out.set_classes("problem" if problem and text else "hint")
        self.query_one("#ok", Button).disabled = problem is not None
        return problem

    @on(Input.Changed, "#name")
    def _changed(self) -> None:
        self._check()

    @on(Input.Submitted, "#name")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._ok()

    @on(Button.Pressed, "#ok")
    def _ok(self) -> None:
        if self._check() is None:
            self.finish(self.query_one("#name", Input).value)
        else:
            self.app.bell()

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.finish(None)


# --- keys ------------------------------------------------------------------------------------------------


class KeysHelpScreen(Dialog[None]):
    """``?``: every key of the console and what it does.  Result: ``None``; Escape, ``q`` or ``?`` close."""

    DEFAULT_CSS = """
    KeysHelpScreen > #frame {
        max-width: 90;
    }
    """
    BINDINGS = [Binding("q", "cancel", "Close", show=False), Binding("question_mark", "cancel", "Close", show=False)]

    def __init__(self, bindings: list[tuple[str, str]], *, title: str = "Keys") -> None:
        super().__init__()
        self.bindings = list(bindings)
        self.frame_title = title

    def compose_frame(self) -> ComposeResult:
        # The list is the scroller and takes the focus, so arrows/PgDn scroll it at once.
        width = max((len(k) for k, _ in self.bindings), default=0) + 2
        lines: list[Content] = [
            Content.assemble((key.ljust(width), "bold $accent"), description)
            for key, description in self.bindings
        ]
        body = Content("\n").join(lines) if lines else Content("(no keys)")
        with Vertical(id="actions"):
            yield Label("Esc/q/? close · arrows/PgDn scroll", classes="hint")
        with VerticalScroll(id="body", can_focus=True):
            yield Static(body)

    def on_mount(self) -> None:
        self.query_one("#body").focus()
