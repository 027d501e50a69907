"""The audit record of an apply/teardown names every Alibaba API call with the RequestId the API answered
(and the error code of a failed one), never a secret: against the embedded lab (real SDK over HTTP)."""

from __future__ import annotations

import asyncio
import json

import pytest

from vpnconsole.alibaba.gateway import AlibabaEnd
from vpnconsole.lab.runner import LabSettings

from .test_engine_helpers import start_lab


@pytest.fixture
def lab(tmp_path, monkeypatch):
    running, ctx = start_lab(monkeypatch, tmp_path, LabSettings(fast=True, fixed_ports=False))
    try:
        yield ctx
    finally:
        running.close()


def _capture_request_ids(sim, monkeypatch) -> list[tuple[str, str, str | None]]:
    """(RequestId, action, error code) of every answer the simulated API gives, faults included."""
    seen: list[tuple[str, str, str | None]] = []
    handle, error_response = sim.handle, sim.error_response

    def note(request_id, action, code):
        if not any(rid == request_id for rid, _, _ in seen):  # handle() answers its own errors via error_response
            seen.append((request_id, action, code))

    def spy_handle(action, params, headers=None, **kw):
        resp = handle(action, params, headers, **kw)
        note(resp.body.get("RequestId"), action, resp.code)
        return resp

    def spy_error(err, request_id):
        resp = error_response(err, request_id)
        note(request_id, "?", err.code)
        return resp

    monkeypatch.setattr(sim, "handle", spy_handle)
    monkeypatch.setattr(sim, "error_response", spy_error)
    return seen


def _fast_alibaba(ctx):
    # generous timeouts: a read timeout under a loaded test machine would be a (legitimate) retry whose
    # first answer the client never saw, which the exact comparisons below do not allow for
    return AlibabaEnd(ctx.profile, ctx.store, read_timeout=30.0, connect_timeout=10.0, poll_interval=0.05,
                      backoff_base=0.02, backoff_cap=0.1, wait_timeout=60.0, retry_timeout=60.0, max_attempts=8)


def test_apply_and_teardown_records_carry_the_request_ids(lab, monkeypatch):
    ctx = lab
    engine = ctx.engine(alibaba=_fast_alibaba(ctx))
    seen = _capture_request_ids(ctx.cloud, monkeypatch)
    # one throttled write: its RequestId and code must be on record too
    ctx.cloud.faults.throttle("CreateVpnConnection", times=1, retry_after_ms=20)

    result = asyncio.run(engine.apply())
    assert result.ok, result.errors
    ctx.cloud.faults.clear()
    entries = engine.audit.entries()
    apply = next(e for e in entries if e["operation"] == "apply")
    calls = apply["alibaba"]["calls"]
    assert calls and all(set(c) >= {"action", "step", "request_id", "code"} for c in calls)
    ids = [c["request_id"] for c in calls]
    assert all(ids), calls  # every call got an answer with a RequestId
    assert len(set(ids)) == len(ids)  # unique per response
    sim_ids = {rid for rid, _, _ in seen}
    assert set(ids) <= sim_ids  # exactly the ones the API gave out
    # the audit lists the calls of this operation in the order the API answered them
    assert ids == [rid for rid, _, _ in seen]
    writes = [c for c in calls if not c["action"].startswith("Describe")]
    assert any(c["action"] == "CreateVpnConnection" and c["code"] is None for c in writes)
    throttled = [c for c in calls if c["code"] == "Throttling.User"]
    assert [c["action"] for c in throttled] == ["CreateVpnConnection"]
    assert (throttled[0]["request_id"], "?", "Throttling.User") in seen
    assert all(c["code"] is None for c in calls if c not in throttled)

    # the teardown record lists only the calls made since the apply record (no RequestId twice)
    result = asyncio.run(engine.teardown())
    assert result.ok, result.errors
    teardown = next(e for e in engine.audit.entries() if e["operation"] == "teardown")
    t_ids = [c["request_id"] for c in teardown["alibaba"]["calls"]]
    assert t_ids == [rid for rid, _, _ in seen[len(ids):]] and not set(t_ids) & set(ids)
    assert any(c["action"] == "DeleteVpnConnection" for c in teardown["alibaba"]["calls"])

    text = engine.audit.path.read_text()
    assert ctx.psk() not in text and ctx.password() not in text
    for line in text.splitlines():
        json.loads(line)  # one JSON object per line


def test_a_failed_apply_still_records_the_failing_request_id(lab, monkeypatch):
    ctx = lab
    engine = ctx.engine(alibaba=_fast_alibaba(ctx))
    seen = _capture_request_ids(ctx.cloud, monkeypatch)
    ctx.cloud.faults.error(400, "Forbidden.RAM", "no permission", action="CreateCustomerGateway", times=None)
    try:
        result = asyncio.run(engine.apply(ends=("alibaba",)))
    finally:
        ctx.cloud.faults.clear()
    assert "alibaba" in result.errors
    apply = next(e for e in engine.audit.entries() if e["operation"] == "apply")
    failed = [c for c in apply["alibaba"]["calls"] if c["code"] == "Forbidden.RAM"]
    assert failed and failed[-1]["action"] == "CreateCustomerGateway"
    assert (failed[-1]["request_id"], "?", "Forbidden.RAM") in seen
    assert ctx.psk() not in engine.audit.path.read_text()
    asyncio.run(engine.teardown())
