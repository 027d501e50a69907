"""Unit tests of the sim's building blocks: decoding, masking, validation, transitions."""

from __future__ import annotations

import json

import pytest
from alibabacloud_tea_openapi.utils import Utils
from hypothesis import given, settings
from hypothesis import strategies as st

from vpnconsole.lab.aliyun import AliyunVpcSim, ManualClock, Timing
from vpnconsole.lab.aliyun.errors import ApiError
from vpnconsole.lab.aliyun.masking import mask_params
from vpnconsole.lab.aliyun.params import ParamReader, parse_bool, unflatten
from vpnconsole.lab.aliyun.state import IkeConfig, RegionState, Task
from vpnconsole.lab.aliyun.validate import ENUMS_NORMAL, PSK_CHARS, check_psk, check_subnets, parse_ike

keys = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", min_size=1, max_size=6)
leaves = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=8)
tree = st.recursive(
    leaves,
    lambda children: st.one_of(st.lists(children, min_size=1, max_size=3),
                               st.dictionaries(keys, children, min_size=1, max_size=3)),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(keys, tree, min_size=1, max_size=3))
def test_unflatten_inverts_sdk_flattening(obj):
    flat = Utils.query(obj)
    for name, value in obj.items():
        if isinstance(value, str):
            assert flat[name] == value
        else:
            assert unflatten(flat, name) == value


def test_unflatten_single_object_and_order():
    flat = {"T.TunnelIkeConfig.IkeLifetime": "100", "T.EnableDpd": "False",
            "L.10.K": "ten", "L.2.K": "two", "L.1.K": "one"}
    assert unflatten(flat, "T") == {"TunnelIkeConfig": {"IkeLifetime": "100"}, "EnableDpd": "False"}
    assert [x["K"] for x in unflatten(flat, "L")] == ["one", "two", "ten"]
    assert unflatten(flat, "Missing") is None


@pytest.mark.parametrize("raw,expected", [("True", True), ("false", False), ("TRUE", True)])
def test_bool_case_insensitive(raw, expected):
    assert parse_bool("X", raw) is expected


def test_bool_rejects_garbage():
    with pytest.raises(ApiError) as ei:
        parse_bool("EnableDpd", "yes")
    assert ei.value.code == "InvalidParameter"


def test_json_param_rules():
    assert ParamReader({"IkeConfig": '{"Psk":"a"}'}).json_object("IkeConfig") == {"Psk": "a"}
    for flat in ({"IkeConfig.Psk": "a"}, {"IkeConfig": "[1]"}, {"IkeConfig": "{"}):
        with pytest.raises(ApiError) as ei:
            ParamReader(flat).json_object("IkeConfig")
        assert ei.value.code == "InvalidParameter"


def test_mask_params():
    flat = {"IkeConfig": json.dumps({"Psk": "s3cr3t", "IkeVersion": "ikev2"}),
            "TunnelOptionsSpecification.1.TunnelIkeConfig.Psk": "s3cr3t2",
            "TunnelOptionsSpecification.TunnelIkeConfig.Psk": "s3cr3t3",
            "BgpConfig": "garbage with s3cr3t4", "IpsecConfig": '{"Psk": "s3cr3t5"', "AuthKey": "s3cr3t6",
            "Name": "visible"}
    out = json.dumps(mask_params(flat))
    assert "s3cr3t" not in out and "visible" in out and "ikev2" in out


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=0, max_size=120))
def test_psk_rule(psk):
    ok = 1 <= len(psk) <= 100 and all(c in PSK_CHARS for c in psk)
    if ok:
        assert check_psk("Psk", psk) == psk
    else:
        with pytest.raises(ApiError) as ei:
            check_psk("Psk", psk)
        assert ei.value.code == "InvalidParameter"
        with pytest.raises(ApiError) as other:
            check_psk("Psk", "another bad psk")
        assert ei.value.message == other.value.message  # the value is never echoed


def test_subnet_rules():
    assert check_subnets("LocalSubnet", "10.0.0.0/8,192.168.1.0/24", 10)
    for bad in ("10.0.0.1/8", "10.0.0.0/8,", "10.0.0.0/8 ", "10.0.0.0/8,10.0.0.0/8", "0.0.0.0/0,10.0.0.0/8",
                ",".join(f"10.{i}.0.0/16" for i in range(11)), "2001:db8::/32"):
        with pytest.raises(ApiError) as ei:
            check_subnets("LocalSubnet", bad, 10)
        assert ei.value.code == "IllegalParam.LocalSubnet"


def test_parse_ike_accepts_string_lifetime_and_ignores_unknown_keys():
    cfg = parse_ike("IkeConfig", {"IkeLifetime": "3600", "Foo": "bar"}, IkeConfig(), ENUMS_NORMAL)
    assert cfg.ike_lifetime == 3600


def test_task_engine_chains_at_exact_times():
    st_ = RegionState("r")
    log = []

    def second(at):
        log.append(("second", at))

    def first(at):
        log.append(("first", at))
        st_.start_task(Task("gateway", "g", at, 10, None, second))

    st_.start_task(Task("gateway", "g", 100.0, 10, None, first))
    st_.settle(105)
    assert log == []
    st_.settle(1000)
    assert log == [("first", 110.0), ("second", 120.0)]


def test_instant_timing_completes_on_next_request():
    sim = AliyunVpcSim(clock=ManualClock(), timing=Timing.instant())
    vpc = sim.add_vpc("cn-shanghai", vswitches=["172.16.1.0/24"])
    gw = sim.add_vpn_gateway("cn-shanghai", vpc.vpc_id, dual_tunnel=False)
    hdr = {"Authorization": "ACS3-HMAC-SHA256 Credential=x,Signature=y"}
    r = sim.handle("ModifyVpnGatewayAttribute", {"RegionId": "cn-shanghai", "VpnGatewayId": gw.vpn_gateway_id,
                                                 "Name": "instant"}, hdr)
    assert r.status == 200
    r = sim.handle("DescribeVpnGateway", {"RegionId": "cn-shanghai", "VpnGatewayId": gw.vpn_gateway_id}, hdr)
    assert r.body["Status"] == "active" and r.body["Name"] == "instant"


def test_seed_validation():
    sim = AliyunVpcSim(clock=ManualClock())
    with pytest.raises(ValueError):
        sim.add_vpc("cn-shanghai", cidr="172.16.0.1/16")
    vpc = sim.add_vpc("cn-shanghai")
    with pytest.raises(ValueError):
        sim.add_vswitch("cn-shanghai", vpc.vpc_id, "10.0.0.0/24")
    with pytest.raises(KeyError):
        sim.region("mars-north-1")
    gw = sim.add_vpn_gateway("cn-shanghai", vpc.vpc_id)  # vSwitches are created when missing
    assert gw.dual_tunnel and gw.vswitch_id != gw.disaster_recovery_vswitch_id
    assert gw.internet_ip.startswith("198.51.100.")
