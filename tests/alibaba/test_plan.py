"""The Alibaba request plan: shape, exact values, secrets, ClientTokens, refs, teardown."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from vpnconsole.alibaba.plan import JsonText, Ref, UnresolvedRef, render_call, render_plan
from vpnconsole.alibaba.translate import (IKE_KEYS, IPSEC_KEYS, AlibabaManifest, GatewayFacts, PlanError,
                                          RouteEntryRecord, TranslateError, VpnRouteRecord, client_token, is_owned_name,
                                          manifest_from_results, owner_name, plan_apply, plan_teardown, render,
                                          sdk_method)
from vpnconsole.profile import load_profile
from vpnconsole.redact import MASK, Secret

from .simulate import answers, results_for

PROJECT = Path(__file__).resolve().parents[2]
PSK_TEXT = "Zq8{psk}:[1],x=Tail-77"  # JSON-special characters (no quotes or backslash: refused by the ends)
PSK = Secret(PSK_TEXT, "psk")


def profile(name: str):
    return load_profile(PROJECT / "profiles" / f"{name}.yaml")


def plans():
    out = {}
    for name in ("classic", "hardened", "dual-tunnel"):
        p = profile(name)
        out[f"{name}-apply"] = plan_apply(p, PSK, nonce="t1")
        manifest = manifest_from_results(out[f"{name}-apply"], results_for(out[f"{name}-apply"]))
        out[f"{name}-teardown"] = plan_teardown(p, manifest, nonce="t2")
    return out


def revealed(plan, step):
    return plan.step(step).reveal(results_for(plan))


# --- shape -----------------------------------------------------------------------------------------

def test_classic_is_single_tunnel_with_route_table_discovery():
    plan = plan_apply(profile("classic"), PSK, nonce="t1")
    assert plan.dual_tunnel is False and plan.kind == "apply" and plan.region == "cn-hangzhou"
    assert plan.actions == ["DescribeVpnGateway", "DescribeRouteTableList", "CreateCustomerGateway",
                            "CreateVpnConnection", "CreateRouteEntry"]
    create = plan.step("vpn-connection").params
    assert "TunnelOptionsSpecification" not in create
    assert isinstance(create["IkeConfig"], JsonText) and isinstance(create["IpsecConfig"], JsonText)
    assert create["CustomerGatewayId"] == Ref("customer-gateway", "CustomerGatewayId")
    route = plan.step("vpc-route:192.168.0.0/24").params
    assert route["RouteTableId"] == Ref("discover-route-table", "RouterTableList.RouterTableListType.0.RouteTableId")
    assert plan.step("discover-route-table").params["VpcId"] == Ref("discover-gateway", "VpcId")


def test_hardened_uses_its_route_table_and_routes_every_onprem_subnet():
    plan = plan_apply(profile("hardened"), PSK, nonce="t1")
    assert plan.dual_tunnel is False
    assert plan.actions == ["CreateCustomerGateway", "CreateVpnConnection"] + ["CreateRouteEntry"] * 3
    routes = [c.params for c in plan if c.action == "CreateRouteEntry"]
    assert [r["DestinationCidrBlock"] for r in routes] == ["192.168.0.0/24", "192.168.10.0/24", "192.168.20.0/24"]
    for r in routes:
        assert r["RouteTableId"] == "vtb-uf6hardened001"
        assert r["NextHopType"] == "VpnGateway" and r["NextHopId"] == "vpn-uf6hardened001"
        assert r["RouteEntryName"] == "vpnconsole-hardened" and "vpnconsole lab hardened" in r["Description"]


def test_dual_tunnel_profile_plans_one_master_one_slave_on_one_customer_gateway():
    plan = plan_apply(profile("dual-tunnel"), PSK, nonce="t1")
    assert plan.dual_tunnel is True
    create = revealed(plan, "vpn-connection")
    for key in ("IkeConfig", "IpsecConfig", "CustomerGatewayId", "EnableDpd", "EnableNatTraversal"):
        assert key not in create  # single-tunnel parameters are refused by a dual-tunnel gateway
    tunnels = create["TunnelOptionsSpecification"]
    assert [t["Role"] for t in tunnels] == ["master", "slave"]
    assert {t["CustomerGatewayId"] for t in tunnels} == {"cgw-sim0000000001"}
    assert [t["TunnelIkeConfig"]["LocalId"] for t in tunnels] == ["203.0.113.60", "203.0.113.61"]
    for t in tunnels:
        assert tuple(t["TunnelIkeConfig"]) == IKE_KEYS and tuple(t["TunnelIpsecConfig"]) == IPSEC_KEYS
        assert t["TunnelIkeConfig"]["RemoteId"] == "198.51.100.50"
        assert t["TunnelIkeConfig"]["Psk"] == PSK_TEXT
        assert t["EnableDpd"] is True and t["EnableNatTraversal"] is True
        assert t["TunnelIkeConfig"]["IkeVersion"] == "ikev2" and t["TunnelIkeConfig"]["IkePfs"] == "group14"
        assert t["TunnelIpsecConfig"] == {"IpsecEncAlg": "aes256", "IpsecAuthAlg": "sha256", "IpsecPfs": "group14",
                                          "IpsecLifetime": 86400}


def test_every_call_has_region_id():
    for plan in plans().values():
        for call in plan:
            assert call.params["RegionId"] == plan.region, call


# --- exact values ----------------------------------------------------------------------------------

def test_classic_exact_values():
    plan = plan_apply(profile("classic"), PSK, nonce="t1")
    create = revealed(plan, "vpn-connection")
    assert isinstance(create["IkeConfig"], str) and isinstance(create["IpsecConfig"], str)
    ike, ipsec = json.loads(create["IkeConfig"]), json.loads(create["IpsecConfig"])
    assert list(ike) == list(IKE_KEYS) and list(ipsec) == list(IPSEC_KEYS)  # every key explicit
    assert ike == {"IkeVersion": "ikev1", "IkeMode": "main", "IkeEncAlg": "aes", "IkeAuthAlg": "sha1",
                   "IkePfs": "group2", "IkeLifetime": 86400, "LocalId": "203.0.113.20",
                   "RemoteId": "198.51.100.10", "Psk": PSK_TEXT}
    assert ipsec == {"IpsecEncAlg": "aes", "IpsecAuthAlg": "sha1", "IpsecPfs": "group2", "IpsecLifetime": 86400}
    assert create["LocalSubnet"] == "172.16.0.0/24"  # the VPC side
    assert create["RemoteSubnet"] == "192.168.0.0/24"  # the on-prem side
    assert create["CustomerGatewayId"] == "cgw-sim0000000001"
    assert create["EffectImmediately"] is True and create["AutoConfigRoute"] is True
    assert create["EnableDpd"] is True and create["EnableNatTraversal"] is True
    assert create["VpnGatewayId"] == "vpn-bp1classic0001" and create["Name"] == "vpnconsole-classic"
    cgw = revealed(plan, "customer-gateway")
    assert cgw["IpAddress"] == "198.51.100.10" and cgw["Name"] == "vpnconsole-classic"
    assert cgw["Tags"] == [{"Key": "vpnconsole-lab", "Value": "classic"}]


def test_hardened_exact_values_and_comma_joined_subnets():
    create = revealed(plan_apply(profile("hardened"), PSK, nonce="t1"), "vpn-connection")
    ike, ipsec = json.loads(create["IkeConfig"]), json.loads(create["IpsecConfig"])
    assert (ike["IkeVersion"], ike["IkeMode"], ike["IkeEncAlg"], ike["IkeAuthAlg"], ike["IkePfs"]) == \
        ("ikev2", "main", "aes256", "sha256", "group14")
    assert ipsec == {"IpsecEncAlg": "aes256", "IpsecAuthAlg": "sha256", "IpsecPfs": "group14", "IpsecLifetime": 3600}
    assert create["RemoteSubnet"] == "192.168.0.0/24,192.168.10.0/24,192.168.20.0/24"
    assert create["LocalSubnet"] == "172.16.0.0/16"


def test_pfs_none_is_disabled_and_other_spellings():
    p = profile("classic")
    p = dataclasses.replace(p, ipsec=dataclasses.replace(p.ipsec, pfs="none", encryption="3des", integrity="md5"),
                            ike=dataclasses.replace(p.ike, mode="aggressive", encryption="aes192",
                                                    integrity="sha512", dh_group="group5", dpd=False))
    create = revealed(plan_apply(p, PSK, nonce="t1"), "vpn-connection")
    ike, ipsec = json.loads(create["IkeConfig"]), json.loads(create["IpsecConfig"])
    assert ipsec["IpsecPfs"] == "disabled" and ipsec["IpsecEncAlg"] == "3des" and ipsec["IpsecAuthAlg"] == "md5"
    assert (ike["IkeMode"], ike["IkeEncAlg"], ike["IkeAuthAlg"], ike["IkePfs"]) == \
        ("aggressive", "aes192", "sha512", "group5")
    assert create["EnableDpd"] is False


def test_ikev2_always_sends_main_mode():
    p = profile("hardened")
    p = dataclasses.replace(p, ike=dataclasses.replace(p.ike, mode="aggressive"))
    ike = json.loads(revealed(plan_apply(p, PSK, nonce="t1"), "vpn-connection")["IkeConfig"])
    assert ike["IkeMode"] == "main"


def test_subnets_are_canonical_sorted_without_spaces():
    p = profile("hardened")
    p = dataclasses.replace(p, onprem=dataclasses.replace(p.onprem, subnets=["192.168.20.0/24", "10.1.0.0/16"]),
                            cloud=dataclasses.replace(p.cloud, subnets=["172.17.0.0/16", "172.16.0.0/16"]))
    create = revealed(plan_apply(p, PSK, nonce="t1"), "vpn-connection")
    assert create["RemoteSubnet"] == "10.1.0.0/16,192.168.20.0/24"
    assert create["LocalSubnet"] == "172.16.0.0/16,172.17.0.0/16"


# --- gateway facts decide the tunnel mode ----------------------------------------------------------

def test_gateway_facts_with_disaster_recovery_ip_make_it_dual():
    facts = GatewayFacts("203.0.113.20", "203.0.113.21", "vpc-1", "vtb-system0001", "active")
    plan = plan_apply(profile("classic"), PSK, facts, nonce="t1")
    assert plan.dual_tunnel is True
    assert plan.actions == ["CreateCustomerGateway", "CreateVpnConnection", "CreateRouteEntry"]
    assert plan.step("vpc-route:192.168.0.0/24").params["RouteTableId"] == "vtb-system0001"
    assert any("203.0.113.21" in n for n in plan.notes)  # the profile listed one IP only


def test_gateway_facts_without_dr_ip_make_it_single():
    facts = GatewayFacts.from_api({"InternetIp": "203.0.113.60", "DisasterRecoveryInternetIp": "", "VpcId": "vpc-9",
                                   "Status": "updating"})
    assert facts.dual_tunnel is False and facts.vpc_id == "vpc-9"
    plan = plan_apply(profile("dual-tunnel"), PSK, facts, nonce="t1")
    assert plan.dual_tunnel is False
    assert plan.actions[0] == "DescribeRouteTableList"  # VPC known: only the table is looked up
    assert plan.step("discover-route-table").params["VpcId"] == "vpc-9"
    assert any("updating" in n for n in plan.notes)


def test_profile_route_table_wins_over_discovered_one():
    facts = GatewayFacts("203.0.113.40", None, "vpc-1", "vtb-system0001")
    plan = plan_apply(profile("hardened"), PSK, facts, nonce="t1")
    assert plan.step("vpc-route:192.168.0.0/24").params["RouteTableId"] == "vtb-uf6hardened001"


def test_unknown_gateway_ip_is_a_plan_error():
    p = profile("classic")
    p = dataclasses.replace(p, cloud=dataclasses.replace(p.cloud, gateway_ips=[]))
    with pytest.raises(PlanError, match="gateway_ips"):
        plan_apply(p, PSK, nonce="t1")
    assert plan_apply(p, PSK, GatewayFacts("203.0.113.20"), nonce="t1").dual_tunnel is False


def test_existing_customer_gateway_is_used_not_created():
    plan = plan_apply(profile("dual-tunnel"), PSK, customer_gateway_id="cgw-existing01", nonce="t1")
    assert "CreateCustomerGateway" not in plan.actions
    tunnels = plan.step("vpn-connection").params["TunnelOptionsSpecification"]
    assert [t["CustomerGatewayId"] for t in tunnels] == ["cgw-existing01"] * 2
    manifest = manifest_from_results(plan, results_for(plan))
    assert manifest.customer_gateway_id == "cgw-existing01" and manifest.customer_gateway_created is False
    teardown = plan_teardown(profile("dual-tunnel"), manifest, nonce="t2")
    assert "DeleteCustomerGateway" not in teardown.actions
    assert any("cgw-existing01" in n for n in teardown.notes)


def test_bad_psk_is_refused_without_naming_it():
    for bad in ("has space", "x" * 101, "quote'd", ""):
        with pytest.raises(PlanError) as info:
            plan_apply(profile("classic"), Secret(bad, "psk"), nonce="t1")
        assert bad not in str(info.value) or bad == ""
    with pytest.raises(PlanError):
        plan_apply(profile("classic"), PSK_TEXT, nonce="t1")  # a plain str is refused


# --- secrets ---------------------------------------------------------------------------------------

def test_psk_is_a_secret_inside_the_plan():
    plan = plan_apply(profile("classic"), PSK, nonce="t1")
    assert plan.step("vpn-connection").params["IkeConfig"].fields["Psk"] is PSK
    dual = plan_apply(profile("dual-tunnel"), PSK, nonce="t1")
    for t in dual.step("vpn-connection").params["TunnelOptionsSpecification"]:
        assert t["TunnelIkeConfig"]["Psk"] is PSK


@pytest.mark.parametrize("name", sorted(plans()))
def test_psk_absent_from_every_masked_view(name):
    plan = plans()[name]
    views = [str(plan), repr(plan), render_plan(plan), json.dumps(plan.masked()), render(profile(name.rsplit("-", 1)[0]),
                                                                                         PSK, nonce="t1")]
    for call in plan:
        views += [str(call), repr(call), json.dumps(call.masked()), render_call(call), f"{call}", "%s" % (call,),
                  repr(call.params)]
    for view in views:
        assert PSK_TEXT not in view
    if plan.kind == "apply":
        assert MASK in render_plan(plan) and MASK in json.dumps(plan.masked())
        assert PSK_TEXT in render_plan(plan, reveal=True)


def test_masked_single_tunnel_config_is_the_json_string_with_a_mask():
    call = plan_apply(profile("classic"), PSK, nonce="t1").step("vpn-connection")
    masked = call.masked()
    assert json.loads(masked["IkeConfig"])["Psk"] == MASK
    assert masked["CustomerGatewayId"] == "${customer-gateway.CustomerGatewayId}"


def test_reveal_builds_the_json_string_only_then():
    call = plan_apply(profile("classic"), PSK, nonce="t1").step("vpn-connection")
    wire = call.reveal({"customer-gateway": {"CustomerGatewayId": "cgw-x"}})
    assert json.loads(wire["IkeConfig"])["Psk"] == PSK_TEXT  # JSON-special characters survive
    assert wire["CustomerGatewayId"] == "cgw-x"


# --- ClientTokens ----------------------------------------------------------------------------------

def test_client_tokens_present_short_ascii_unique():
    for plan in plans().values():
        tokens = []
        for call in plan:
            if not call.mutating:
                assert "ClientToken" not in call.params
                continue
            if call.action == "DeleteRouteEntry":  # the API has no ClientToken here
                assert "ClientToken" not in call.params
                continue
            token = call.client_token
            assert token and len(token) <= 64 and token.isascii() and " " not in token
            tokens.append(token)
        assert len(tokens) == len(set(tokens))


def test_client_tokens_stable_for_the_same_operation():
    p = profile("hardened")
    a, b = plan_apply(p, PSK, nonce="n1"), plan_apply(p, Secret(PSK_TEXT, "psk"), nonce="n1")
    assert [c.client_token for c in a] == [c.client_token for c in b]
    c = plan_apply(p, PSK, nonce="n2")
    assert not {x.client_token for x in a} & {x.client_token for x in c}
    fresh1, fresh2 = plan_apply(p, PSK), plan_apply(p, PSK)  # default: a fresh nonce per apply
    assert fresh1.nonce != fresh2.nonce
    assert fresh1.step("vpn-connection").client_token != fresh2.step("vpn-connection").client_token
    assert client_token("lab", "n1", "step") == client_token("lab", "n1", "step")
    assert len(client_token("a" * 32, "zzzzzzzz", "vpc-route:" + "9" * 200)) <= 64


def test_bad_nonce_is_refused():
    for bad in ("", "UPPER", "toolong123", "with-dash"):
        with pytest.raises(PlanError):
            plan_apply(profile("classic"), PSK, nonce=bad)


# --- refs ------------------------------------------------------------------------------------------

def test_refs_point_backwards():
    for plan in plans().values():
        seen: set[str] = set()
        for call in plan:
            for ref in call.refs():
                assert ref.step in seen, (call.step, ref)
            seen.add(call.step)


def test_unresolved_ref_is_an_error_and_paths_reach_into_lists():
    call = plan_apply(profile("classic"), PSK, nonce="t1").step("vpc-route:192.168.0.0/24")
    with pytest.raises(UnresolvedRef):
        call.reveal({})
    with pytest.raises(UnresolvedRef):
        call.reveal({"discover-route-table": {"RouterTableList": {"RouterTableListType": []}}})
    body = {"RouterTableList": {"RouterTableListType": [{"RouteTableId": "vtb-abc"}]}}
    assert call.reveal({"discover-route-table": body})["RouteTableId"] == "vtb-abc"
    ref = Ref("discover-route-table", "RouterTableList.RouterTableListType.0.RouteTableId")
    assert call.reveal({ref: "vtb-direct"})["RouteTableId"] == "vtb-direct"  # Ref → value also works


# --- ownership, manifest, teardown -----------------------------------------------------------------

def test_ownership_marks():
    assert owner_name("lab-1") == "vpnconsole-lab-1" and is_owned_name("vpnconsole-lab-1", "lab-1")
    assert not is_owned_name("vpnconsole-lab-10", "lab-1") and not is_owned_name(None, "lab-1")


def test_manifest_records_what_was_created_and_round_trips():
    plan = plan_apply(profile("hardened"), PSK, nonce="t1")
    results = results_for(plan)
    del results["vpc-route:192.168.10.0/24"]  # adopted (already existed): not ours
    m = manifest_from_results(plan, results)
    assert m.customer_gateway_id == "cgw-sim0000000001" and m.customer_gateway_created
    assert m.vpn_connection_id == "vco-sim0000000001" and m.vpn_gateway_id == "vpn-uf6hardened001"
    assert [r.destination for r in m.route_entries] == ["192.168.0.0/24", "192.168.20.0/24"]
    assert all(r.route_table_id == "vtb-uf6hardened001" and r.route_entry_id for r in m.route_entries)
    assert AlibabaManifest.from_dict(json.loads(json.dumps(m.to_dict()))) == m


def test_manifest_resolves_a_discovered_route_table():
    plan = plan_apply(profile("classic"), PSK, nonce="t1")
    m = manifest_from_results(plan, results_for(plan))
    assert m.route_entries[0].route_table_id == "vtb-sim0000000001"


def test_teardown_order_reverse_dependencies():
    m = AlibabaManifest("cn-shanghai", "vpn-uf6hardened001", "cgw-1", True, "vco-1",
                        [RouteEntryRecord("vtb-1", "192.168.0.0/24", "rte-1"),
                         RouteEntryRecord("vtb-1", "192.168.10.0/24", None, "vpn-uf6hardened001")],
                        [VpnRouteRecord("192.168.0.0/24", "vco-1", 100)])
    plan = plan_teardown(profile("hardened"), m, nonce="t2")
    assert plan.kind == "teardown"
    assert plan.actions == ["DeleteRouteEntry", "DeleteRouteEntry", "DeleteVpnRouteEntry", "DeleteVpnConnection",
                            "DeleteCustomerGateway"]
    first, second = plan.calls[0].params, plan.calls[1].params
    assert first == {"RegionId": "cn-shanghai", "RouteTableId": "vtb-1", "DestinationCidrBlock": "192.168.10.0/24",
                     "NextHopId": "vpn-uf6hardened001"}
    assert second == {"RegionId": "cn-shanghai", "RouteEntryId": "rte-1"}
    vpn_route = plan.calls[2].params
    assert (vpn_route["VpnGatewayId"], vpn_route["RouteDest"], vpn_route["NextHop"], vpn_route["Weight"]) == \
        ("vpn-uf6hardened001", "192.168.0.0/24", "vco-1", 100)
    assert plan.calls[3].params["VpnConnectionId"] == "vco-1"
    assert plan.calls[4].params["CustomerGatewayId"] == "cgw-1"
    assert plan.calls[3].gone_codes and plan.calls[3].wait_for == "vpn-connection-gone"


def test_teardown_keeps_a_customer_gateway_someone_else_uses():
    m = {"region": "cn-hangzhou", "customer_gateway_id": "cgw-1", "customer_gateway_created": True,
         "vpn_connection_id": "vco-1"}
    p = profile("classic")
    assert "DeleteCustomerGateway" in plan_teardown(p, m, cgw_users=["vco-1"], nonce="t2").actions
    kept = plan_teardown(p, m, cgw_users=["vco-1", "vco-other"], nonce="t2")
    assert kept.actions == ["DeleteVpnConnection"] and any("vco-other" in n for n in kept.notes)
    assert "DeleteCustomerGateway" in plan_teardown(p, m, nonce="t2").actions  # unknown users: the API refuses


def test_teardown_deletes_nothing_by_guess():
    plan = plan_teardown(profile("classic"), {}, nonce="t2")
    assert plan.calls == () and plan.notes
    garbage = plan_teardown(profile("classic"), {"route_entries": [{"destination": "1.2.3.0/24"}, "x"],
                                                 "vpn_connection_id": 5}, nonce="t2")
    assert garbage.calls == ()


def test_teardown_of_every_example_removes_exactly_what_apply_created():
    for name, plan in plans().items():
        if plan.kind != "teardown":
            continue
        apply_plan = plans()[name.replace("teardown", "apply")]
        created = [c for c in apply_plan if c.creates]
        assert len(plan.calls) == len(created)
        assert plan.actions[-2:] == ["DeleteVpnConnection", "DeleteCustomerGateway"]


# --- rendering -------------------------------------------------------------------------------------

def test_render_text_shape():
    text = render(profile("classic"), PSK, nonce="t1")
    assert text.startswith("# Alibaba apply plan for lab classic")
    assert "[4] CreateVpnConnection" in text
    assert "    LocalSubnet        = 172.16.0.0/24" in text
    assert '"IkeEncAlg": "aes"' in text and f'"Psk": "{MASK}"' in text
    assert "${customer-gateway.CustomerGatewayId}" in text
    assert "vpnconsole-lab" in text


def test_render_without_a_stored_psk_and_teardown():
    text = render(profile("dual-tunnel"), None, reveal=True, nonce="t1")
    assert MASK in text and "TunnelOptionsSpecification" in text
    assert "nothing to do" in render(profile("classic"), teardown=True, nonce="t1")
    m = {"region": "cn-hangzhou", "vpn_connection_id": "vco-1"}
    assert "DeleteVpnConnection" in render(profile("classic"), teardown=True, manifest=m, nonce="t1")


def test_render_with_results_shows_resolved_values():
    plan = plan_apply(profile("classic"), PSK, nonce="t1")
    text = render_plan(plan, results=results_for(plan))
    assert "cgw-sim0000000001" in text and "${" not in text


def test_sdk_method_names():
    assert sdk_method("CreateVpnConnection") == "create_vpn_connection"
    assert sdk_method("DescribeRouteTableList") == "describe_route_table_list"


def test_simulated_answers_cover_examples():
    # the helper used by the property tests works on every example profile
    for name in ("classic", "hardened", "dual-tunnel"):
        p = profile(name)
        sim = answers(plan_apply(p, PSK, nonce="t1"), p.cloud.gateway_ips)
        assert sim["connection"]["VpnConnectionId"].startswith("vco-")


def test_cli_facing_api():
    """What `vpnconsole render --end alibaba` calls: plan_apply(profile, psk), plan_teardown(profile),
    plan.text(reveal=...), TranslateError."""
    plan = plan_apply(profile("dual-tunnel"), PSK)
    assert plan.text() == render_plan(plan) and PSK_TEXT not in plan.text()
    assert PSK_TEXT in plan.text(reveal=True)
    empty = plan_teardown(profile("classic"))
    assert empty.calls == () and "no manifest" in empty.text()
    assert issubclass(PlanError, TranslateError) and issubclass(TranslateError, ValueError)


def test_gateway_body_is_accepted_as_facts():
    body = {"VpnGatewayId": "vpn-bp1classic0001", "InternetIp": "203.0.113.20",
            "DisasterRecoveryInternetIp": "203.0.113.21", "VpcId": "vpc-1", "Status": "active"}
    plan = plan_apply(profile("classic"), PSK, body, nonce="t1")
    assert plan.dual_tunnel is True and plan.actions[0] == "DescribeRouteTableList"


def test_route_description_keeps_the_mark_within_the_limit():
    p = profile("hardened")
    p = dataclasses.replace(p, name="a" * 32)
    for call in plan_apply(p, PSK, nonce="t1"):
        if call.action == "CreateRouteEntry":
            assert call.params["Description"].startswith("vpnconsole lab " + "a" * 32)
            assert len(call.params["Description"]) <= 256 and len(call.params["RouteEntryName"]) <= 128
        if "Description" in call.params and call.action != "CreateRouteEntry":
            assert len(call.params["Description"]) <= 100
