"""Themes from ``vpnconsole/themes/*.tcss``: each file sets the Textual theme colours as
``$name: value;`` lines, with ``theme:`` and ``dark:`` in its header comment.

Keeping themes as data files means a user can add one without touching code; the console's
stylesheet refers only to theme variables, so every theme restyles all of it.
"""

from __future__ import annotations

import re
from importlib import resources
from typing import Iterator

from textual.theme import Theme

DEFAULT_THEME = "vpnconsole-dark"
_VAR = re.compile(r"^\s*\$([a-z][a-z0-9-]*)\s*:\s*([^;]+);", re.M)
_HEADER = re.compile(r"^\s*(?:/\*)?\s*(theme|dark)\s*:\s*([^\s*]+)", re.M)
_COLOURS = ("primary", "secondary", "accent", "warning", "error", "success", "foreground", "background",
            "surface", "panel", "boost")


class ThemeFileError(ValueError):
    pass


def parse_theme(text: str, source: str = "<theme>") -> Theme:
    header = dict(_HEADER.findall(text))
    name = header.get("theme")
    if not name:
        raise ThemeFileError(f"{source}: no 'theme: NAME' line in the header comment")
    values = {key: value.strip() for key, value in _VAR.findall(text)}
    if "primary" not in values:
        raise ThemeFileError(f"{source}: $primary is required")
    known = {k: v for k, v in values.items() if k in _COLOURS}
    extra = {k: v for k, v in values.items() if k not in _COLOURS}
    return Theme(name=name, dark=header.get("dark", "true").lower() == "true", variables=extra, **known)


def load_themes() -> Iterator[Theme]:
    folder = resources.files("vpnconsole") / "themes"
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".tcss"):
            yield parse_theme(entry.read_text(encoding="utf-8"), entry.name)


def other_theme(current: str) -> str:
    """Ctrl+T: dark ↔ light."""
    return "vpnconsole-light" if current != "vpnconsole-light" else "vpnconsole-dark"
