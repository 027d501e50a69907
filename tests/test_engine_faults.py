"""Faults during apply and teardown, through the engine against the embedded lab: the router's SSH
session dropped mid-push, Alibaba throttling / busy gateway / 5xx / 500-after-commit / timeouts,
the apply interrupted at several points, teardown from partial states, and two applies at once."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
import threading

import pytest

from tests.test_engine_helpers import (MASTER, add_foreign_config, assert_clean_after_teardown, cloud_inventory, start_lab,
                                       wait_up)
from vpnconsole.alibaba.gateway import AlibabaEnd
from vpnconsole.audit import LabBusy, lab_lock
from vpnconsole.lab.runner import CLOUD_SUBNET, LAB_NAME, ONPREM_SUBNET, LabSettings


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    """One lab for the module (starting one costs ~2 s): every test leaves both ends at the baseline,
    and the function fixture below checks that and repairs it if a test failed half-way."""
    mp = pytest.MonkeyPatch()
    tmp = tmp_path_factory.mktemp("faults-lab")
    running, ctx = start_lab(mp, tmp, LabSettings(fast=True, fixed_ports=False))
    try:
        engine = ctx.engine()
        baseline = _baseline(ctx, engine)
        yield ctx, baseline, {"VPNCONSOLE_HOME": str(tmp / "home"),
                              "VPNCONSOLE_KEYRING_PASSWORD": MASTER}
    finally:
        running.close()
        mp.undo()


@pytest.fixture
def lab(shared, monkeypatch):
    ctx, baseline, env = shared
    for key, value in env.items():  # the autouse isolated_home fixture cleared them
        monkeypatch.setenv(key, value)
    ctx.cloud.faults.clear()
    ctx.router.options.drop_after = None
    yield ctx, baseline
    ctx.cloud.faults.clear()
    ctx.router.options.drop_after = None
    if ctx.config() != baseline[0] or cloud_inventory(ctx) != baseline[1]:  # repair for the next test
        asyncio.run(ctx.engine().teardown())


def _fast_alibaba(ctx, **kw):
    """An AlibabaEnd with test-sized backoff and timeouts (the defaults are minutes)."""
    opts = dict(read_timeout=0.6, connect_timeout=1.0, poll_interval=0.05, backoff_base=0.02, backoff_cap=0.1,
                wait_timeout=10.0, retry_timeout=10.0, max_attempts=8)
    opts.update(kw)
    return AlibabaEnd(ctx.profile, ctx.store, **opts)


def _baseline(ctx, engine):
    add_foreign_config(ctx, engine)
    return ctx.config(), cloud_inventory(ctx)


def _assert_converged(ctx, engine, before_cloud):
    report = wait_up(engine)
    assert report.verdict.up, report.verdict.as_dict()
    assert report.comparison.clean, report.comparison.as_dict()
    inv = cloud_inventory(ctx)  # exactly one of each of ours: no duplicates
    assert len(inv["connections"]) == len(before_cloud["connections"]) + 1, inv
    assert len(inv["cgws"]) == len(before_cloud["cgws"]) + 1, inv
    assert sorted(inv["routes"]) == sorted(before_cloud["routes"] + [(ONPREM_SUBNET, "VpnGateway")]), inv


# --- the router's session dropped during the push --------------------------------------------------------

def _apply_commands(ctx, engine) -> int:
    """How many command lines one apply session sends (setup, display, push), measured on a twin lab run."""
    counts = []
    original = ctx.router.open_session

    def counting(**kw):
        s = original(**kw)
        counts.append(s)
        return s
    ctx.router.open_session = counting
    try:
        result = asyncio.run(engine.apply(("h3c",)))
        assert result.ok, result.errors
    finally:
        ctx.router.open_session = original
    return max(s.commands for s in counts)


@pytest.mark.parametrize("fraction", [0.2, 0.5, 0.85])
def test_ssh_drop_during_the_push_then_reapply_converges(lab, fraction):
    ctx, (before_config, before_cloud) = lab
    engine = ctx.engine()
    # Where the push is: count the lines of a full apply, tear it down, then drop part-way through.
    total = _apply_commands(ctx, engine)
    assert asyncio.run(engine.teardown(("h3c",))).ok
    assert ctx.config() == before_config
    drop_at = max(1, int(total * fraction))
    ctx.router.options.drop_after = drop_at
    try:
        result = asyncio.run(engine.apply())
    finally:
        ctx.router.options.drop_after = None
    assert not result.ok and "h3c" in result.errors, (drop_at, total, result)
    assert "alibaba" not in result.errors
    assert not result.renegotiated  # the router was not configured: no point in kicking Alibaba
    message = result.errors["h3c"]
    assert message and "Traceback" not in message
    # Either it rolled back, or the manifest says an apply was under way (resumable).
    manifest = engine.h3c.load_manifest()
    assert result.rolled_back or ctx.config() == before_config or (manifest and manifest["status"] == "applying"), \
        (message, manifest)
    # Status still works on a half-configured router and does not claim "up".
    assert not asyncio.run(engine.status()).verdict.up

    again = asyncio.run(engine.apply())
    assert again.ok, again.errors
    _assert_converged(ctx, engine, before_cloud)
    assert engine.h3c.load_manifest()["status"] == "applied"
    assert asyncio.run(engine.teardown()).ok
    assert_clean_after_teardown(ctx, before_config, before_cloud)


def test_ssh_drop_during_teardown_then_teardown_again_is_clean(lab):
    ctx, (before_config, before_cloud) = lab
    engine = ctx.engine()
    assert asyncio.run(engine.apply()).ok
    ctx.router.options.drop_after = 12
    try:
        result = asyncio.run(engine.teardown())
    finally:
        ctx.router.options.drop_after = None
    assert "h3c" in result.errors, result
    assert asyncio.run(engine.teardown()).ok
    assert_clean_after_teardown(ctx, before_config, before_cloud)


# --- Alibaba faults during apply -------------------------------------------------------------------------

FAULTS = {
    "throttling": lambda f: f.throttle(None, times=4, retry_after_ms=20),
    "gateway-configuring": lambda f: f.error(400, "VpnGateway.Configuring", "The specified service is configuring.",
                                             "CreateVpnConnection", times=2),
    "503": lambda f: (f.unavailable("CreateRouteEntry", times=2), f.unavailable("DescribeVpnConnections")),
    "500-after-commit-cgw": lambda f: f.error_after_commit("CreateCustomerGateway"),
    "500-after-commit-connection": lambda f: f.error_after_commit("CreateVpnConnection"),
    "500-after-commit-route": lambda f: f.error_after_commit("CreateRouteEntry"),
    "timeout-connection": lambda f: f.delay(1.5, "CreateVpnConnection"),
    "timeout-cgw": lambda f: f.delay(1.5, "CreateCustomerGateway"),
    "dropped-connection": lambda f: f.drop("CreateRouteEntry"),
    "html-502": lambda f: f.html_502("CreateVpnConnection"),
}


@pytest.mark.parametrize("fault", list(FAULTS))
def test_alibaba_fault_during_apply_converges_without_duplicates(lab, fault):
    ctx, (before_config, before_cloud) = lab
    engine = ctx.engine(alibaba=_fast_alibaba(ctx))
    FAULTS[fault](ctx.cloud.faults)
    result = asyncio.run(engine.apply())
    fired = list(ctx.cloud.faults.history)
    ctx.cloud.faults.clear()
    assert fired, "the fault never fired"
    if not result.ok:  # a clear error is acceptable; a re-run must then converge
        assert "h3c" not in result.errors and "Traceback" not in result.errors["alibaba"]
        result = asyncio.run(engine.apply())
    assert result.ok, (fault, result.errors)
    _assert_converged(ctx, engine, before_cloud)
    assert asyncio.run(engine.teardown()).ok
    assert_clean_after_teardown(ctx, before_config, before_cloud)


def test_alibaba_faults_during_teardown_still_clean(lab):
    ctx, (before_config, before_cloud) = lab
    engine = ctx.engine(alibaba=_fast_alibaba(ctx))
    assert asyncio.run(engine.apply()).ok
    faults = ctx.cloud.faults
    faults.error_after_commit("DeleteVpnConnection")
    faults.unavailable("DeleteRouteEntry", times=2)
    faults.throttle("DeleteCustomerGateway", times=2, retry_after_ms=20)
    result = asyncio.run(engine.teardown())
    faults.clear()
    if not result.ok:
        result = asyncio.run(engine.teardown())
    assert result.ok, result.errors
    assert_clean_after_teardown(ctx, before_config, before_cloud)


# --- interrupted apply / teardown ------------------------------------------------------------------------

class Interrupt(Exception):
    pass


def _sink_raising_at(k: int):
    seen = []
    lock = threading.Lock()

    def emit(event):
        with lock:
            seen.append(event)
            if len(seen) == k:
                raise Interrupt(f"interrupted at event {k}: {event.end.label} {event.step}")
    return emit, seen


@pytest.mark.parametrize("k", [1, 4, 10, 20])
def test_interrupted_apply_then_teardown_and_reapply(lab, k):
    ctx, (before_config, before_cloud) = lab
    engine = ctx.engine(alibaba=_fast_alibaba(ctx))

    # Interrupted, then torn down from that partial state: both ends as before.
    engine.emit, seen = _sink_raising_at(k)
    result = asyncio.run(engine.apply())
    engine.emit = lambda e: None
    if len(seen) >= k:
        assert not result.ok and any("interrupted at event" in m for m in result.errors.values()), result
    assert asyncio.run(engine.teardown()).ok
    assert_clean_after_teardown(ctx, before_config, before_cloud)

    # Interrupted again, then re-run: converges with nothing duplicated.
    engine.emit, seen = _sink_raising_at(k)
    asyncio.run(engine.apply())
    engine.emit = lambda e: None
    result = asyncio.run(engine.apply())
    assert result.ok, result.errors
    _assert_converged(ctx, engine, before_cloud)
    assert asyncio.run(engine.teardown()).ok
    assert_clean_after_teardown(ctx, before_config, before_cloud)


@pytest.mark.parametrize("k", [3, 8])
def test_interrupted_teardown_then_teardown_again(lab, k):
    ctx, (before_config, before_cloud) = lab
    engine = ctx.engine(alibaba=_fast_alibaba(ctx))
    assert asyncio.run(engine.apply()).ok
    engine.emit, _ = _sink_raising_at(k)
    asyncio.run(engine.teardown())
    engine.emit = lambda e: None
    result = asyncio.run(engine.teardown())
    assert result.ok, result.errors
    assert_clean_after_teardown(ctx, before_config, before_cloud)


# --- one apply at a time ---------------------------------------------------------------------------------

def test_second_engine_is_refused_while_the_first_applies(lab):
    ctx, _ = lab
    first, second = ctx.engine(), ctx.engine()
    refused: list[BaseException] = []
    tried = threading.Lock()  # both ends emit from their own threads: only the first event tries

    def emit(event):
        if tried.acquire(blocking=False):  # from inside the first apply (a worker thread)
            try:
                asyncio.run(second.apply())
            except BaseException as exc:  # noqa: BLE001 - recorded and checked below
                refused.append(exc)
            else:
                refused.append(AssertionError("the second apply was not refused"))
    first.emit = emit
    result = asyncio.run(first.apply())
    assert result.ok, result.errors
    assert len(refused) == 1 and isinstance(refused[0], LabBusy), refused
    assert "apply" in str(refused[0]) and str(__import__("os").getpid()) in str(refused[0])
    # Nothing of the refused apply reached either end: exactly one of each.
    inv = cloud_inventory(ctx)
    assert len(inv["connections"]) == 1 and len(inv["cgws"]) == 2  # ours + the foreign one
    assert asyncio.run(first.teardown()).ok


def test_lock_held_by_another_process_refuses_apply_and_teardown(lab):
    ctx, (before_config, _) = lab
    engine = ctx.engine()
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent("""
            import sys
            from vpnconsole.audit import lab_lock
            with lab_lock(sys.argv[1], "apply"):
                print("held", flush=True)
                sys.stdin.read()
        """), LAB_NAME], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(LabBusy) as info:
            asyncio.run(engine.apply())
        assert f"pid {holder.pid}" in str(info.value) and "apply" in str(info.value)
        with pytest.raises(LabBusy):
            asyncio.run(engine.teardown())
        assert cloud_inventory(ctx)["connections"] == []  # nothing was sent
        assert ctx.config() == before_config
    finally:
        holder.stdin.close()
        holder.wait(10)
    # The holder is gone: the lock is free again (the kernel released it with the process).
    assert asyncio.run(engine.apply()).ok
    assert asyncio.run(engine.teardown()).ok


def test_lock_held_in_another_thread_refuses(lab):
    ctx, _ = lab
    engine = ctx.engine()
    held, release = threading.Event(), threading.Event()

    def hold():
        with lab_lock(LAB_NAME, "teardown"):
            held.set()
            release.wait(10)
    t = threading.Thread(target=hold)
    t.start()
    try:
        assert held.wait(5)
        with pytest.raises(LabBusy, match="teardown"):
            asyncio.run(engine.apply())
    finally:
        release.set()
        t.join()


def test_cli_apply_while_busy_exits_with_a_message(lab, capsys):
    from vpnconsole.cli import main

    with lab_lock(LAB_NAME, "apply"):
        code = main(["apply", LAB_NAME, "--yes", "--accept-new-host-key"])
    assert code == 1
    assert "busy" in capsys.readouterr().err
