"""Per-frame helpers of the console: work spread over frames, styles computed once per frame.

* :func:`after_frame` runs a step of a big change a frame later, so that one frame never renders all
  of it (the UI loop must not block for 50 ms).  A timer of the widget, not ``call_after_refresh``:
  Textual queues those on the screen in front at the time, and a dialog opening or closing then
  drops them (a chain of steps stopped half way, measured in the console flow test).
* :class:`FrameStyleCache`: ``DOMNode.rich_style`` walks every ancestor to blend backgrounds and is
  not cached; DataTable and Log ask for it on every line they render (a quarter of a Log's render
  time, measured).  Nothing restyles a widget while it renders one frame, so within one
  ``render_lines`` call the answer is the same.
"""

from __future__ import annotations

from functools import partial
from typing import Any, Callable

__all__ = ["FrameStyleCache", "after_frame", "FRAME_S"]

#: one frame at Textual's default 60 frames a second
FRAME_S = 1 / 60


def after_frame(widget: Any, step: Callable[..., Any], *args: Any) -> None:
    """Run ``step(*args)`` about a frame from now (after the screen was rendered, normally)."""
    widget.set_timer(FRAME_S, partial(step, *args), name="after-frame")


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
