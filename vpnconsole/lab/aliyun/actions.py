"""Action registry. Handlers live in ``actions_*.py`` and register with :func:`action`.

A handler takes a :class:`.sim.Ctx` and returns the success body (without
``RequestId``) or raises :class:`.errors.ApiError`. ``write=True`` marks
mutating actions: their ``ClientToken`` is honoured, and they do not count as
status polls.
"""

from __future__ import annotations

from typing import Callable

REGISTRY: dict[str, tuple[Callable, bool]] = {}


def action(name: str, *, write: bool = False) -> Callable[[Callable], Callable]:
    def deco(fn: Callable) -> Callable:
        REGISTRY[name] = (fn, write)
        return fn

    return deco


def page(items: list, number: int, size: int) -> list:
    start = (number - 1) * size
    return items[start:start + size]


def tags_api(tags: list[tuple[str, str]]) -> dict:
    return {"Tag": [{"Key": k, "Value": v} for k, v in tags]}


def match_tags(have: list[tuple[str, str]], want: list[tuple[str, str]]) -> bool:
    d = dict(have)
    return all(k in d and (not v or d[k] == v) for k, v in want)


def dry_run(ctx) -> None:
    """``DryRun=true``: all checks passed -> the 400 ``DryRunOperation`` answer."""
    from .errors import ApiError

    if ctx.p.bool("DryRun", False):
        raise ApiError(400, "DryRunOperation", "Request validation has been passed with DryRun flag set.")


from . import actions_gateway, actions_cgw, actions_connection, actions_routes  # noqa: E402,F401
