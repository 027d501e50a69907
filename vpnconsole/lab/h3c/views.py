"""Views (prompt levels), the per-command context, and the command-table dispatcher."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Optional

from .cli import UNRECOGNIZED, CliError, Cursor

if TYPE_CHECKING:  # pragma: no cover
    from .device import CliSession, SimulatedH3C
    from .state import Config


@dataclass
class View:
    """One level of the view stack. ``label`` is the prompt suffix (``ike-profile-X``)."""

    kind: str  # user | system | acl | ike-proposal | ike-keychain | ike-profile | transform-set |
    #            ipsec-policy | interface | ikev2-proposal | ikev2-policy | ikev2-keychain |
    #            ikev2-peer | ikev2-profile | ike-peer | ike-dpd | ipsec-proposal
    key: Any = None
    label: str = ""
    parent_key: Any = None


USER = View("user")
SYSTEM = View("system")


Handler = Callable[["Ctx", Cursor, bool], None]


@dataclass
class Cmd:
    word: str
    handler: Handler
    undo: bool = True
    help: str = ""
    no_plain: bool = False  # only the undo form exists (e.g. "undo" only commands)


class Table(dict):
    """word -> Cmd, plus the synthetic ``undo`` entry.

    ``placeholders`` are real Comware command words this simulator does not implement; they take
    part in abbreviation matching only (so ``d`` is ambiguous in system view as on a real device:
    dhcp, display, dns, domain...). Selecting one yields ``Unrecognized command``.
    """

    placeholders: tuple[str, ...] = ()

    def add(self, word: str, handler: Handler, undo: bool = True, help: str = "") -> None:
        self[word] = Cmd(word, handler, undo, help)


@dataclass
class Ctx:
    dev: "SimulatedH3C"
    session: "CliSession"
    out: list[str] = field(default_factory=list)
    closed: bool = False

    @property
    def cfg(self) -> "Config":
        return self.dev.config

    @property
    def view(self) -> View:
        return self.session.views[-1]

    def enter(self, view: View) -> None:
        self.session.views.append(view)

    def print(self, *lines: str) -> None:
        self.out.extend(lines)


def dispatch(ctx: Ctx, c: Cursor, table: Table) -> None:
    """Match the first word(s) of the line against ``table`` and run the handler."""
    words = [(w, cmd.help) for w, cmd in table.items() if not cmd.no_plain]
    undo_words = [(w, cmd.help) for w, cmd in table.items() if cmd.undo]
    if undo_words:
        words.append(("undo", "Cancel current settings"))
    if not c.help_mode:
        words += [(w, "") for w in table.placeholders if w not in table]
    tok = c.peek()
    word = c.kw(*words, cmd=True)
    if word not in table and word != "undo":
        raise CliError(UNRECOGNIZED, tok.start)
    if word == "undo":
        sub = c.kw(*undo_words, cmd=True)
        table[sub].handler(ctx, c, True)
    else:
        table[word].handler(ctx, c, False)


def run_line(ctx: Ctx, line: str, tables: dict[str, Table], help_mode: bool = False,
             parent_fallback: bool = True) -> Optional[CliError]:
    """Parse and run ``line`` in the session's current view.

    If the current view is a sub-view and the command is unknown there, Comware searches the parent
    (system) view [?, reference §9.7]; a command that succeeds there leaves the session in system
    view (or in the view that command entered). Returns the CliError to print, if any (HelpRequest
    propagates to the caller).
    """
    view = ctx.view
    table = tables[view.kind]
    c = Cursor(line, help_mode)
    try:
        dispatch(ctx, c, table)
        return None
    except CliError as err:
        if not (parent_fallback and view.kind not in ("user", "system") and err.kind == UNRECOGNIZED
                and not help_mode):
            return err
        first_err = err
    # parent-view fallback: pop to system view and retry there
    saved = list(ctx.session.views)
    while ctx.session.views[-1].kind != "system":
        ctx.session.views.pop()
    c2 = Cursor(line)
    try:
        dispatch(ctx, c2, tables["system"])
        return None
    except CliError as err2:
        ctx.session.views[:] = saved
        if err2.kind == UNRECOGNIZED and err2.offset <= first_err.offset:
            return first_err
        return err2
