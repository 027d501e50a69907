"""A simulated web-managed H3C ER for the embedded lab (no SSH; configured by an operator action
that follows the rendered checklist).  See :mod:`.router`, :mod:`.operator`, :mod:`.web`."""

from .operator import EntryReport, ErOperator, er_page
from .router import PAGES, ErGuiError, SimulatedER
from .web import ErWebGui

__all__ = ["EntryReport", "ErGuiError", "ErOperator", "ErWebGui", "PAGES", "SimulatedER", "er_page"]
