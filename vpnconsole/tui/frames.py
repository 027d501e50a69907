"""Per-frame helpers of the console: work spread over frames, styles computed once per frame.

* :func:`after_refresh` runs the next step of a big change once the screen was refreshed, so that
  one frame never renders all of it (the UI loop must not block for 50 ms).  Textual queues
  ``call_after_refresh`` callbacks on the screen in front at the time and drops them when that
  screen is a dialog that closes (a chain of steps stopped half way, found by the console flow
  test); a timer of the widget runs the step anyway if the callback has not come by then.
* :class:`FrameStyleCache`: ``DOMNode.rich_style`` walks every ancestor to blend backgrounds and is
  not cached; DataTable and Log ask for it on every line they render (a quarter of a Log's render
  time, measured).  Nothing restyles a widget while it renders one frame, so within one
  ``render_lines`` call the answer is the same.
"""

from __future__ import annotations

from typing import Any, Callable

__all__ = ["FrameStyleCache", "after_refresh", "FALLBACK_S"]

#: how long a step waits for the refresh before it runs anyway
FALLBACK_S = 0.25


def after_refresh(widget: Any, step: Callable[..., Any], *args: Any) -> None:
    """Run ``step(*args)`` once, after the next refresh of the screen (or ``FALLBACK_S`` from now,
    should Textual drop the callback)."""
    done = False

    def once() -> None:
        nonlocal done
        if done:
            return
        done = True
        fallback.stop()
        step(*args)

    fallback = widget.set_timer(FALLBACK_S, once, name="after-refresh fallback")
    widget.call_after_refresh(once)


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
