"""The ER checklist of the classic article setup: complete, mirrored, in the ER's words, and — read
back into the canonical type — identical to what Alibaba receives."""

from __future__ import annotations

import pytest

from vpnconsole.diagnose import End, diff
from vpnconsole.h3c.er_checklist import (ChecklistError, ReadBackError, read_back, render_checklist,
                                         render_teardown_checklist)

from .helpers import PSK, alibaba_receives, article, dual

PAGE_ORDER = ["虚接口", "IKE安全提议", "IKE对等体", "IPsec安全提议", "IPsec安全策略"]


def test_article_setup_renders_every_page_in_gui_order():
    checklist = render_checklist(article(), PSK)
    assert [p.title_zh for p in checklist.pages] == PAGE_ORDER
    v = checklist.value
    # the virtual interface rides on the WAN port
    assert (v("t1.vif.name"), v("t1.vif.bind"), v("t1.vif.wan_address")) == ("ipsec0", "WAN1", "198.51.100.10")
    # phase 1 in the ER's own spellings
    assert (v("ike-proposal.auth"), v("ike-proposal.enc"), v("ike-proposal.dh")) == ("SHA1", "AES-128",
                                                                                     "DH2 modp1024")
    assert v("t1.ike-peer.peer_address") == "203.0.113.20"
    assert v("t1.ike-peer.mode") == "主模式"
    assert v("t1.ike-peer.vif") == "ipsec0" and v("t1.ike-peer.proposal") == v("ike-proposal.name")
    assert (v("t1.ike-peer.local_id"), v("t1.ike-peer.peer_id")) == ("198.51.100.10", "203.0.113.20")
    assert (v("t1.ike-peer.lifetime"), v("t1.ike-peer.dpd"), v("t1.ike-peer.nat")) == ("86400", "开启", "开启")
    # phase 2, and the subnets mirrored: local = on-prem, peer = VPC
    assert (v("ipsec-proposal.protocol"), v("ipsec-proposal.esp_auth"), v("ipsec-proposal.esp_enc")) == (
        "ESP", "SHA1", "AES-128")
    assert (v("t1.policy1.local_subnet"), v("t1.policy1.local_mask")) == ("192.168.0.0", "255.255.255.0")
    assert (v("t1.policy1.peer_subnet"), v("t1.policy1.peer_mask")) == ("172.16.0.0", "255.255.255.0")
    assert (v("t1.policy1.pfs"), v("t1.policy1.lifetime")) == ("DH2 modp1024", "86400")
    assert v("t1.policy1.peer") == v("t1.ike-peer.name")
    assert v("t1.policy1.proposal") == v("ipsec-proposal.name")
    # every step has a unique stable id and both labels
    ids = checklist.step_ids
    assert len(ids) == len(set(ids))
    assert all(s.label_zh and s.label_en for s in checklist.steps())
    assert render_checklist(article(), PSK).content_hash() == checklist.content_hash()


def test_read_back_equals_what_alibaba_receives():
    profile = article()
    got = read_back(render_checklist(profile, PSK))
    assert diff(got, alibaba_receives(profile), End.H3C, End.ALIBABA, platform="er") == []
    assert got == profile.params(PSK.fingerprint)


def test_dual_tunnel_gets_one_peer_and_policy_per_alibaba_ip_and_still_reads_back_equal():
    profile = dual(article())
    checklist = render_checklist(profile, PSK)
    assert [p.id for p in checklist.pages] == ["t1.vif", "ike-proposal", "t1.ike-peer", "ipsec-proposal",
                                               "t1.policy1", "t2.vif", "t2.ike-peer", "t2.policy1"]
    assert checklist.value("t2.vif.name") == "ipsec1" and checklist.value("t2.vif.bind") == "WAN1"
    assert checklist.value("t2.ike-peer.peer_address") == "203.0.113.21"
    assert diff(read_back(checklist), alibaba_receives(profile), End.H3C, End.ALIBABA, platform="er") == []


@pytest.mark.parametrize("step_id, wrong, field", [
    ("ike-proposal.dh", "DH5 modp1536", "DH group"),
    ("ike-proposal.auth", "MD5", "integrity"),
    ("t1.ike-peer.mode", "野蛮模式", "negotiation mode"),
    ("t1.policy1.pfs", "NONE", "PFS"),
    ("t1.ike-peer.peer_address", "203.0.113.99", "gateway address"),
    ("t1.policy1.peer_mask", "255.255.0.0", "cloud subnets"),
    ("t1.ike-peer.lifetime", "3600", "lifetime"),
])
def test_a_deliberately_wrong_value_is_caught_by_the_diff(step_id, wrong, field):
    profile = article()
    bad = render_checklist(profile, PSK).with_value(step_id, wrong)
    differences = diff(read_back(bad), alibaba_receives(profile), End.H3C, End.ALIBABA, platform="er")
    assert [d.title for d in differences] == [field], [str(d) for d in differences]


def test_wrong_value_is_named_in_the_ers_words():
    bad = render_checklist(article(), PSK).with_value("ike-proposal.dh", "DH5 modp1536")
    [d] = diff(read_back(bad), alibaba_receives(article()), End.H3C, End.ALIBABA, platform="er")
    assert str(d) == "phase 1 DH group: H3C group5 (dh DH5 modp1536), Alibaba group2"


def test_a_word_the_er_does_not_offer_is_refused_on_read_back():
    bad = render_checklist(article(), PSK).with_value("ike-proposal.auth", "SHA256")
    with pytest.raises(ReadBackError, match="ike-proposal.auth.*MD5, SHA1"):
        read_back(bad)


def test_a_different_psk_shows_as_a_fingerprint_difference():
    from vpnconsole.redact import Secret

    profile = article()
    bad = render_checklist(profile, Secret("another-psk-value-0123456789", "psk"))
    [d] = diff(read_back(bad), alibaba_receives(profile), End.H3C, End.ALIBABA, platform="er")
    assert d.title == "pre-shared key"


def test_markdown_masks_the_psk_unless_revealed():
    checklist = render_checklist(article(), PSK)
    text = checklist.to_markdown()
    assert PSK.reveal() not in text and "******" in text
    assert "| [ ] | 协商模式 | Negotiation mode | `主模式` | `t1.ike-peer.mode` |" in text
    assert "## 3. IKE对等体 (IKE peer) — tunnel 1 → 203.0.113.20" in text
    assert PSK.reveal() in checklist.to_markdown(reveal=True)
    assert "| [x] | 协商模式" in checklist.to_markdown(done={"t1.ike-peer.mode"})
    assert PSK.reveal() not in repr(checklist)


def test_teardown_deletes_in_reverse_dependency_order():
    checklist = render_teardown_checklist(dual(article()))
    assert [p.title_zh for p in checklist.pages] == list(reversed(PAGE_ORDER))
    assert [s.value for s in checklist.pages[0].steps] == ["er3200g2-pol1", "er3200g2-pol2"]
    assert [s.value for s in checklist.pages[-1].steps] == ["ipsec0", "ipsec1"]
    with pytest.raises(ReadBackError):
        read_back(checklist)


def test_multiple_subnet_pairs_get_one_policy_each():
    profile = article()
    profile.onprem.subnets = ["192.168.0.0/24", "192.168.10.0/24"]
    checklist = render_checklist(profile, PSK)
    policies = [p for p in checklist.pages if p.title_zh == "IPsec安全策略"]
    assert [(p.steps[1].value, p.steps[3].value) for p in policies] == [("192.168.0.0", "172.16.0.0"),
                                                                        ("192.168.10.0", "172.16.0.0")]
    assert read_back(checklist).onprem_subnets == ("192.168.0.0/24", "192.168.10.0/24")


def test_not_an_er_or_no_gateway_ip_is_refused():
    profile = article()
    profile.cloud.gateway_ips = []
    with pytest.raises(ChecklistError, match="gateway_ips"):
        render_checklist(profile, PSK)
    with pytest.raises(ChecklistError, match="not a web-managed ER"):
        render_checklist(article(platform="comware7"), PSK)
