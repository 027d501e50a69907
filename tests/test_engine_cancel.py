"""Cancelling a running apply or teardown (the console's `x`): both ends stop at a safe point, the
router is rolled back, and nothing is left that a second apply or teardown cannot finish."""

from __future__ import annotations

import asyncio
import threading
import time


from vpnconsole.engine import Engine
from vpnconsole.lab.runner import LAB_NAME
from vpnconsole.profile import find_profile, load_profile


def _engine_cancelling_on(store, step_prefix: str, end: str) -> tuple[Engine, list]:
    """An engine whose event sink cancels the operation at the first event of ``step_prefix``."""
    events: list = []
    holder: dict = {}
    fired = threading.Event()

    def emit(event) -> None:
        events.append(event)
        if not fired.is_set() and event.end.value == end and event.step.startswith(step_prefix):
            fired.set()
            holder["engine"].cancel()

    engine = Engine(load_profile(find_profile(LAB_NAME)), store, emit=emit, accept_new_host_key=True)
    holder["engine"] = engine
    return engine, events


def test_a_cancelled_apply_rolls_the_router_back_and_a_second_apply_finishes(running_lab):
    running, store = running_lab
    router = running.lab.router
    before = running.call(lambda: router.cli("display current-configuration"))
    engine, events = _engine_cancelling_on(store, "ike-proposal", "h3c")
    result = asyncio.run(engine.apply())
    assert not result.ok
    assert "cancelled" in result.errors["h3c"]
    assert result.rolled_back
    assert running.call(lambda: router.cli("display current-configuration")) == before
    assert any(e.step == "rollback" and e.kind == "done" for e in events)

    # nothing half-applied without a way to finish: the same apply again brings the tunnel up
    engine.emit = lambda event: None
    result = asyncio.run(engine.apply())
    assert result.ok, result.errors
    deadline = time.monotonic() + 15
    while not (report := asyncio.run(engine.status())).verdict.up and time.monotonic() < deadline:
        time.sleep(0.2)
    assert report.verdict.up, report.verdict.as_dict()
    assert asyncio.run(engine.teardown()).ok


def test_a_cancelled_teardown_is_finished_by_a_second_teardown(running_lab):
    running, store = running_lab
    router = running.lab.router
    before = running.call(lambda: router.cli("display current-configuration"))
    engine = Engine(load_profile(find_profile(LAB_NAME)), store, accept_new_host_key=True)
    assert asyncio.run(engine.apply()).ok
    cancelling, _ = _engine_cancelling_on(store, "teardown", "alibaba")
    result = asyncio.run(cancelling.teardown())
    assert "alibaba" in result.errors and "cancel" in result.errors["alibaba"].lower()
    result = asyncio.run(engine.teardown())
    assert result.ok, result.errors
    assert running.call(lambda: router.cli("display current-configuration")) == before
    snap = running.call(lambda: running.lab.cloud.snapshot("cn-hangzhou"))
    assert not snap.connections and not snap.customer_gateways
