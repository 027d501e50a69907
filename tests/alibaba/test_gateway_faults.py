"""Faults during apply converge with no duplicate resources; interrupted runs resume with the same
ClientTokens; teardown from every partial state leaves nothing of ours (and nothing else touched)."""

from __future__ import annotations

import pytest

from tests.alibaba.gateway_fixtures import PSK, aliyun_env, any_lab, classic, dual, psk  # noqa: F401
from vpnconsole.alibaba.errors import AlibabaError
from vpnconsole.params import psk_fingerprint

CREATES = ("CreateCustomerGateway", "CreateVpnConnection", "CreateRouteEntry")


def _converged(lab) -> None:
    ours = lab.ours()
    assert len(ours["cgws"]) == 1 and len(ours["connections"]) == 1 and len(ours["routes"]) == 1, ours
    inv = lab.inventory()
    assert len(inv["cgws"]) == 1 and len(inv["connections"]) == 1, inv
    state = lab.end().read()
    assert state.params == lab.profile.params(psk_fingerprint(PSK))


FAULTS = {
    "throttle-retry-after": lambda f, a: f.throttle(a, times=2, retry_after_ms=1500),
    "throttle-plain": lambda f, a: f.throttle(a, times=2),
    "configuring": lambda f, a: f.error(400, "VpnGateway.Configuring", "The specified service is configuring.",
                                        action=a, times=2),
    "unavailable-503": lambda f, a: f.unavailable(a, times=2),
    "500-after-commit": lambda f, a: f.error_after_commit(a),
    "html-502": lambda f, a: f.html_502(a),
    "dropped": lambda f, a: f.drop(a),
    "unknown-error-500": lambda f, a: f.error(500, "UnknownError", action=a),
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
@pytest.mark.parametrize("action", CREATES)
def test_fault_during_apply_converges_without_duplicates(classic, fault, action):
    FAULTS[fault](classic.sim.faults, action)
    end = classic.end()
    end.apply(psk(), classic.sink)
    assert classic.sim.faults.armed == []  # the fault fired
    _converged(classic)
    if fault == "throttle-retry-after":
        assert 1.5 in classic.sleeps  # x-acs-retry-after honoured
    retries = [e for e in classic.events if e.kind in ("retry", "info")]
    assert retries, "a retry or re-read must be reported"


def test_fault_on_dual_connection_create_after_commit(dual):
    dual.sim.faults.error_after_commit("CreateVpnConnection")
    dual.end().apply(psk())
    _converged(dual)
    assert len(dual.tokens("CreateVpnConnection")) == 1


def test_describe_faults_are_retried(classic):
    classic.sim.faults.throttle("DescribeVpnGateway", times=3)
    classic.sim.faults.html_502("DescribeCustomerGateways")
    classic.sim.faults.drop("DescribeRouteEntryList")
    classic.end().apply(psk())
    _converged(classic)


def test_delay_beyond_read_timeout(classic):
    classic.sim.faults.delay(0.8, "CreateVpnConnection")
    end = classic.end(read_timeout=0.3)
    end.apply(psk(), classic.sink)
    import time
    time.sleep(0.8)  # let the delayed original request land (it carries the same ClientToken)
    _converged(classic)
    assert len(classic.tokens("CreateVpnConnection")) == 1


def test_persistent_failure_stops_with_code_and_request_id(classic):
    classic.sim.faults.error(400, "Resource.QuotaFull", "The quota is full.", action="CreateVpnConnection")
    with pytest.raises(AlibabaError) as info:
        classic.end().apply(psk())
    text = str(info.value)
    assert "Resource.QuotaFull" in text and "RequestId" in text and "vpn-connection" in text
    assert PSK not in text
    # what was created so far is recorded, and teardown removes it
    assert classic.manifest()["customer_gateway_created"] is True
    classic.end().teardown()
    assert classic.ours() == {"cgws": [], "connections": [], "routes": []}


def test_retry_bound(classic):
    classic.sim.faults.throttle("CreateCustomerGateway", times=None)
    with pytest.raises(AlibabaError, match="gave up after 4 attempts"):
        classic.end(max_attempts=4).apply(psk())
    classic.sim.faults.clear()


class Interrupt(Exception):
    pass


def _interrupting(lab, k):
    seen = []

    def sink(event):
        seen.append(event)
        if len(seen) == k:
            raise Interrupt(f"interrupted at event {k}: {event.step} {event.kind}")
    return sink


def _count_events(lab) -> int:
    events = []
    lab.end().apply(psk(), events.append)
    lab.end().teardown()
    assert lab.ours() == {"cgws": [], "connections": [], "routes": []}
    return len(events)


def test_interrupted_apply_resumes_with_the_same_tokens(any_lab):
    lab = any_lab
    n = _count_events(lab)
    assert n > 8
    for k in range(1, n):
        tokens_before = {a: lab.tokens(a) for a in CREATES}
        with pytest.raises(Interrupt):
            lab.end().apply(psk(), _interrupting(lab, k))
        nonce = (lab.manifest() or {}).get("nonce")
        result = lab.end().apply(psk())
        assert nonce is None or result.nonce == nonce  # the interrupted run's tokens are reused
        _converged(lab)
        for a in CREATES:  # one logical create → one token, whatever the interruption point
            assert len(lab.tokens(a) - tokens_before[a]) <= 1, (k, a)
        lab.end().teardown()
        assert lab.ours() == {"cgws": [], "connections": [], "routes": []}, k


def test_teardown_from_every_partial_state(any_lab):
    lab = any_lab
    unrelated = lab.sim.add_customer_gateway(lab.region, "192.0.2.77", name="someone-else")
    n = _count_events(lab)
    for k in range(1, n + 1):
        for lose_manifest in (False, True):
            try:
                lab.end().apply(psk(), _interrupting(lab, k))
            except Interrupt:
                pass
            if lose_manifest and (lab.state_dir / "alibaba-manifest.json").exists():
                (lab.state_dir / "alibaba-manifest.json").unlink()
            lab.end().teardown(lab.sink)
            assert lab.ours() == {"cgws": [], "connections": [], "routes": []}, (k, lose_manifest)
            assert lab.manifest() is None
            assert ("192.0.2.77", "someone-else") in lab.inventory()["cgws"]
    assert unrelated.customer_gateway_id


def test_teardown_twice_and_with_nothing_there(classic):
    classic.end().teardown()  # nothing was ever created
    classic.end().apply(psk())
    first = classic.end().teardown()
    assert len(first.deleted) == 3
    second = classic.end().teardown()
    assert second.deleted == []
    assert classic.ours() == {"cgws": [], "connections": [], "routes": []}


def test_teardown_leaves_unrelated_route_entries(classic):
    from vpnconsole.alibaba.plan import Call

    classic.end().apply(psk())
    end = classic.end()
    # someone else's VPC route to another on-prem range through the same gateway
    end._invoke(Call("x", "CreateRouteEntry", {"RegionId": classic.region, "RouteTableId": classic.table_id,
                                               "DestinationCidrBlock": "10.99.0.0/16", "NextHopType": "VpnGateway",
                                               "NextHopId": classic.profile.cloud.vpn_gateway_id,
                                               "RouteEntryName": "manual"}))
    classic.clock.advance(10)
    classic.end().teardown()
    assert classic.inventory()["routes"] == [("10.99.0.0/16", classic.profile.cloud.vpn_gateway_id, "manual")]


def test_stale_manifest_entries_count_as_gone(classic):
    classic.end().apply(psk())
    manifest = classic.manifest()
    classic.end().teardown()
    # a manifest recording objects that no longer exist
    import json
    (classic.state_dir).mkdir(parents=True, exist_ok=True)
    (classic.state_dir / "alibaba-manifest.json").write_text(json.dumps(manifest))
    result = classic.end().teardown()
    assert result.deleted == [] and len(result.already_gone) == 3
