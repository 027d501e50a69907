"""A widget's own style, computed once per frame instead of once per line.

``DOMNode.rich_style`` walks every ancestor to blend backgrounds and is not cached; DataTable and Log
ask for it on every line they render (a quarter of a Log's render time, measured).  Nothing restyles
a widget while it renders one frame, so within one ``render_lines`` call the answer is the same.
"""

from __future__ import annotations

from typing import Any

__all__ = ["FrameStyleCache"]


class FrameStyleCache:
    """Mixin (before the widget class): ``rich_style`` computed once per ``render_lines`` call.

    Subclasses may keep more per-frame values in ``self._frame_styles`` (None outside a frame)."""

    _frame_styles: dict[Any, Any] | None = None

    def render_lines(self, crop: Any) -> Any:
        self._frame_styles = {}
        try:
            return super().render_lines(crop)  # type: ignore[misc]
        finally:
            self._frame_styles = None

    @property
    def rich_style(self) -> Any:
        frame = self._frame_styles
        if frame is None:
            return super().rich_style  # type: ignore[misc]
        style = frame.get("widget")
        if style is None:
            style = frame["widget"] = super().rich_style  # type: ignore[misc]
        return style
