"""What is sent to the router: an ordered list of lines, each knowing the view it leaves the CLI in.

A line that carries the PSK keeps it as a :class:`~vpnconsole.redact.Secret` part, so printing,
formatting, logging or ``repr`` of a line or a plan shows ``******``; only :meth:`Line.reveal` (or
``script(reveal=True)``) builds the real command, at the last moment.

Views are the Comware view ids of ``h3c-comware-ipsec.md`` §1.1 (``ike-profile-VPNC-LAB-IKEP1``,
``ipsec-policy-isakmp-VPNC-LAB-POL-10``, ``acl-ipv4-adv-3950``…), plus ``"system"`` and ``"user"``.
After a view-entering line the driver confirms the prompt (§6.5): :meth:`Line.prompt` gives the prompt
expected for a sysname (``[MSR1-ike-profile-VPNC-LAB-IKEP1]``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator

from vpnconsole.redact import Secret

USER = "user"
SYSTEM = "system"

Part = str | Secret


class RenderError(ValueError):
    """The profile cannot be rendered for this platform; ``path`` names the profile key at fault."""

    def __init__(self, message: str, path: str | None = None):
        self.path = path
        super().__init__(f"{path}: {message}" if path else message)


@dataclass(frozen=True)
class Line:
    parts: tuple[Part, ...]  # joined with nothing: put the spaces in the str parts
    view: str  # the view the CLI is in after this line
    enters_view: bool = False  # True: confirm the prompt before sending the next line
    indent: int = 0  # for the script text only (sub-commands one space, nested views two)
    step: str = ""  # the object this line belongs to ("acl", "ike-profile:1", "route", "save"…)
    undo: bool = False  # teardown line: "does not exist" answers count as success

    @property
    def has_secret(self) -> bool:
        return any(isinstance(p, Secret) for p in self.parts)

    def text(self, reveal: bool = False) -> str:
        """The command without indentation; secrets masked unless ``reveal``."""
        return "".join(p.reveal() if reveal and isinstance(p, Secret) else str(p) for p in self.parts)

    def reveal(self) -> str:
        """The command exactly as it must be typed on the device (contains the secret)."""
        return self.text(reveal=True)

    def prompt(self, sysname: str) -> str:
        """The prompt the device shows after this line."""
        return view_prompt(self.view, sysname)

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        return f"Line({self.text()!r}, view={self.view!r}{', enters' if self.enters_view else ''})"

    def __format__(self, spec: str) -> str:
        return format(self.text(), spec)

    def __reduce__(self) -> Any:
        if self.has_secret:
            raise TypeError("a line holding a secret cannot be pickled")
        return (Line, (self.parts, self.view, self.enters_view, self.indent, self.step, self.undo))


def view_prompt(view: str, sysname: str) -> str:
    if view == USER:
        return f"<{sysname}>"
    if view == SYSTEM:
        return f"[{sysname}]"
    return f"[{sysname}-{view}]"


@dataclass(frozen=True)
class Manifest:
    """What an apply plan creates (or a teardown plan removes): the record teardown scopes itself to."""

    lab: str
    platform: str
    ike_version: str
    acl: int | None = None
    ike_proposal: int | None = None
    names: tuple[tuple[str, str], ...] = ()  # (kind, name), e.g. ("ike-profile", "VPNC-LAB-IKEP1")
    policy_entries: tuple[tuple[str, int], ...] = ()  # (policy name, seq)
    interface: str | None = None  # where the policy is applied
    nat_acl: int | None = None
    nat_rule_ids: tuple[int, ...] = ()
    routes: tuple[tuple[str, int, str], ...] = ()  # (destination, prefix length, next hop or interface)

    def as_dict(self) -> dict[str, Any]:
        return {
            "lab": self.lab, "platform": self.platform, "ike_version": self.ike_version, "acl": self.acl,
            "ike_proposal": self.ike_proposal, "names": [list(n) for n in self.names],
            "policy_entries": [list(p) for p in self.policy_entries], "interface": self.interface,
            "nat_acl": self.nat_acl, "nat_rule_ids": list(self.nat_rule_ids),
            "routes": [list(r) for r in self.routes],
        }


@dataclass(frozen=True)
class H3CPlan:
    lab: str
    platform: str  # comware7 | comware5
    action: str  # apply | teardown
    lines: tuple[Line, ...]
    manifest: Manifest
    notes: tuple[str, ...] = field(default=())  # things the operator should know (never secret)

    def __iter__(self) -> Iterator[Line]:
        return iter(self.lines)

    def __len__(self) -> int:
        return len(self.lines)

    def commands(self, reveal: bool = False) -> list[str]:
        """The commands in order, without indentation (what a driver sends)."""
        return [line.text(reveal) for line in self.lines]

    def script(self, reveal: bool = False) -> str:
        """The plan as text, one command a line, sub-commands indented; secrets masked by default."""
        return "".join(" " * line.indent + line.text(reveal) + "\n" for line in self.lines)

    @property
    def has_secret(self) -> bool:
        return any(line.has_secret for line in self.lines)

    def steps(self) -> list[tuple[str, list[Line]]]:
        """The lines grouped by object, in order (one block per object, for per-block sending)."""
        out: list[tuple[str, list[Line]]] = []
        for line in self.lines:
            if out and out[-1][0] == line.step:
                out[-1][1].append(line)
            else:
                out.append((line.step, [line]))
        return out

    def __str__(self) -> str:
        return self.script()

    def __repr__(self) -> str:
        return f"H3CPlan({self.lab!r}, {self.platform}, {self.action}, {len(self.lines)} lines)"

    def __reduce__(self) -> Any:
        if self.has_secret:
            raise TypeError("a plan holding a secret cannot be pickled")
        return (H3CPlan, (self.lab, self.platform, self.action, self.lines, self.manifest, self.notes))
