"""The command palette's provider: the same actions as the keys, and only those valid right now.

It reads the active screen's bindings and asks the screen's ``check_action`` (the same rule that
decides what the footer shows), so the palette never offers "Cancel" when nothing runs or "Apply"
while a teardown is in progress.
"""

from __future__ import annotations

from functools import partial
from typing import Any, Iterator

from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider

# Palette wording for actions whose key label is terse.
HELP = {
    "apply": "Apply the profile to both ends (shows the plan first)",
    "teardown": "Tear down everything vpnconsole made for this lab (typed confirmation)",
    "cancel_operation": "Cancel the running operation at the next safe point",
    "refresh": "Read both ends now",
    "probe": "Probe the OpenStack API and floating IPs through the tunnel",
    "renegotiate": "Reset the SAs on the router and ask Alibaba to negotiate again",
    "diff": "Show profile ↔ H3C ↔ Alibaba differences",
    "edit": "Edit the selected parameter",
    "save": "Save the profile (atomic; previous version kept)",
    "psk": "Set or generate the pre-shared key (stored in the keyring)",
    "labs": "Open the lab picker",
    "keys": "Show all keys",
    "toggle_theme": "Switch between the dark and the light theme",
    "lab_operator": "Embedded lab only: the simulated operator enters the ER checklist on the router",
}


def _actions(screen: Any, app: Any) -> Iterator[tuple[str, str, str]]:
    seen: set[str] = set()
    for owner, bindings in ((screen, getattr(screen, "BINDINGS", [])), (app, getattr(app, "BINDINGS", []))):
        for binding in bindings:
            if not isinstance(binding, Binding) or not binding.description:
                continue
            action = binding.action
            if action in seen:
                continue
            name = action.split("(")[0]
            params: tuple[Any, ...] = ()
            if "(" in action:
                inner = action[action.index("(") + 1:-1].strip()
                params = tuple(p.strip().strip("'\"") for p in inner.split(",") if p.strip())
            check = getattr(owner, "check_action", None)
            if check is not None and not check(name, params):
                continue
            seen.add(action)
            key = app.get_key_display(binding)
            title = f"{binding.description} ({key})"
            yield title, action, HELP.get(name, binding.description)


class ConsoleCommands(Provider):
    async def discover(self) -> Hits:
        screen, app = self.screen, self.app
        for title, action, help_text in _actions(screen, app):
            yield DiscoveryHit(title, partial(self._run, screen, action), help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        screen, app = self.screen, self.app
        for title, action, help_text in _actions(screen, app):
            score = max(matcher.match(title), matcher.match(help_text))
            if score > 0:
                yield Hit(score, matcher.highlight(title), partial(self._run, screen, action), help=help_text)

    async def _run(self, screen: Any, action: str) -> None:
        if action in {b.action for b in getattr(screen, "BINDINGS", []) if isinstance(b, Binding)}:
            await screen.run_action(action)
        else:
            await self.app.run_action(action)
