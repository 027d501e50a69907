"""The lab-only "operator": a person at the ER's web GUI, following the rendered checklist.

On a real ER a person types the checklist into the GUI.  In the embedded lab this class does it:
it walks the checklist page by page and submits each page's fields — the checklist's own GUI words,
the PSK revealed as a person would type it — to the simulated ER.  It does not look at the profile,
so the tunnel comes up only when the checklist itself was right; ``typos`` lets a test (or the
console's lab mode) enter a value differently from the list, the classic mistake of a manual setup.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from vpnconsole.h3c.er_checklist import APPLY, TEARDOWN, Checklist, Page
from vpnconsole.redact import Secret

from .router import SimulatedER

_TEARDOWN_PAGES = {"teardown.ipsec-policy": "policy", "teardown.ipsec-proposal": "ipsec-proposal",
                   "teardown.ike-peer": "ike-peer", "teardown.ike-proposal": "ike-proposal", "teardown.vif": "vif"}


def er_page(page: Page) -> str:
    """The ER GUI page a checklist page is entered on: ``t1.policy2`` → ``policy``."""
    if page.id in _TEARDOWN_PAGES:
        return _TEARDOWN_PAGES[page.id]
    tail = page.id.split(".")[-1]
    return "policy" if tail.startswith("policy") else tail


@dataclass
class EntryReport:
    """What the operator did: pages submitted (page id → ER page), values typed differently."""

    kind: str
    checklist_hash: str
    pages: list[str] = field(default_factory=list)
    typos: dict[str, str] = field(default_factory=dict)  # step id → what was typed instead (never a PSK)


class ErOperator:
    """Enters checklists into one simulated ER (thread-safe: the ER takes the router's lock)."""

    def __init__(self, er: SimulatedER):
        self.er = er
        self.history: list[EntryReport] = []

    def enter(self, checklist: Checklist, *, typos: Mapping[str, str] | None = None) -> EntryReport:
        """Submit every page of a set-up checklist, in order.  ``typos``: step id → the value typed
        instead of the checklist's.  Raises :class:`~vpnconsole.lab.er.router.ErGuiError` where the
        GUI would refuse a value (an option this firmware does not offer)."""
        if checklist.kind != APPLY:
            raise ValueError("enter() takes a set-up checklist; use remove() for a teardown checklist")
        typos = dict(typos or {})
        unknown = set(typos) - set(checklist.step_ids)
        if unknown:
            raise KeyError(f"no such steps: {', '.join(sorted(unknown))}")
        report = EntryReport(APPLY, checklist.content_hash(),
                             typos={k: ("******" if checklist.step(k).secret else v) for k, v in typos.items()})
        for page in checklist.pages:
            fields = {}
            for step in page.steps:
                value = typos.get(step.id, step.value)
                fields[step.id.rsplit(".", 1)[1]] = value.reveal() if isinstance(value, Secret) else str(value)
            self.er.submit(er_page(page), fields)
            report.pages.append(page.id)
        self.history.append(report)
        return report

    def remove(self, checklist: Checklist) -> EntryReport:
        """Delete what a teardown checklist names, page by page."""
        if checklist.kind != TEARDOWN:
            raise ValueError("remove() takes a teardown checklist")
        report = EntryReport(TEARDOWN, checklist.content_hash())
        for page in checklist.pages:
            for step in page.steps:
                self.er.delete(er_page(page), str(step.value))
            report.pages.append(page.id)
        self.history.append(report)
        return report


__all__ = ["EntryReport", "ErOperator", "er_page"]
