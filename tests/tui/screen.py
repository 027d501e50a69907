"""The text on the console's screen, as a person would read it (for assertions and secret scans).

``App.export_screenshot()`` is SVG: spaces become ``&#160;`` and ``<&>`` are escaped, so searching
it directly would miss a PSK containing such characters.  This reads the text runs back out, one
screen line per SVG line (runs on the same y joined), entities decoded."""

from __future__ import annotations

import html
import re
from collections import defaultdict

_TEXT = re.compile(r'<text[^>]*?\sx="([\d.]+)"[^>]*?\sy="([\d.]+)"[^>]*>(.*?)</text>', re.S)


def svg_text(svg: str) -> str:
    lines: dict[float, list[tuple[float, str]]] = defaultdict(list)
    for x, y, body in _TEXT.findall(svg):
        lines[float(y)].append((float(x), html.unescape(re.sub(r"<[^>]+>", "", body)).replace("\xa0", " ")))
    return "\n".join("".join(text for _, text in sorted(runs)) for _, runs in sorted(lines.items()))


def plain_text(app) -> str:
    return svg_text(app.export_screenshot())


async def wait_for(pilot, condition, what: str, timeout: float = 30.0) -> None:
    """Let the app run until ``condition()`` holds; fail naming ``what`` after ``timeout`` seconds.

    With ``pilot`` None it polls with plain sleeps: ``Pilot.pause`` walks every widget, wakes each
    one's message pump and forces a layout and render, 15-45 ms of the UI loop per poll, which a
    benchmark of that loop would measure as the console's own lag."""
    import asyncio
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        if pilot is None:
            await asyncio.sleep(0.05)
        else:
            await pilot.pause(0.05)


def cell_text(table, key: str, column: str) -> str:
    """The text of a DataTable cell (a Text's plain text, or the value as a string)."""
    value = table.get_cell(key, column)
    return getattr(value, "plain", str(value))
