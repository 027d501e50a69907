"""The embedded lab with a web-managed ER: Alibaba applied for real, the checklist entered by the lab's
operator, the tunnel verified from the Alibaba side — and status/probe saying which checks were possible."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from vpnconsole.cli import main
from vpnconsole.engine import Engine
from vpnconsole.h3c.er_end import ErEnd
from vpnconsole.lab.er import ErGuiError
from vpnconsole.lab.runner import LAB_NAME
from vpnconsole.paths import lab_state_dir
from vpnconsole.profile import find_profile, load_profile


@pytest.fixture
def er_lab(start_lab):
    return start_lab(platform="er")


def wait_status(engine: Engine, until, timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    while True:
        report = asyncio.run(engine.status())
        if until(report) or time.monotonic() > deadline:
            return report
        time.sleep(0.2)


def json_out(capsys) -> dict:
    out = capsys.readouterr().out
    return json.loads(out[out.index("{"):])


def test_er_lab_apply_enter_checklist_tunnel_up_honest_status_and_teardown(er_lab, capsys):
    running, store = er_lab
    router = running.lab.router
    before = router.cli("display current-configuration")
    profile = load_profile(find_profile(LAB_NAME))
    assert profile.platform == "er" and profile.onprem.wan_interface == "WAN1"
    psk = store.get(LAB_NAME, "psk").reveal()
    engine = Engine(profile, store)
    assert isinstance(engine.h3c, ErEnd)

    # Nothing yet: the verdict says what it rests on.
    assert main(["status", LAB_NAME, "--json"]) == 4
    data = json_out(capsys)
    assert data["verdict"]["code"] == "not-configured"
    assert any("not readable" in c for c in data["verdict"]["checks"])
    assert any("answered" in c for c in data["verdict"]["checks"])  # the ER's web GUI answers
    assert data["ends"]["h3c"]["facts"]["readable"] is False and data["ends"]["h3c"]["configured"] is False

    # The checklist as the CLI prints it, PSK masked.
    assert main(["render", LAB_NAME, "--end", "h3c"]) == 0
    out = capsys.readouterr().out
    assert "IKE对等体" in out and "DH2 modp1024" in out and psk not in out

    # apply --dry-run shows Alibaba's calls and the ER checklist, sends nothing.
    assert main(["apply", LAB_NAME, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "H3C ER set-up checklist" in out and "CreateVpnConnection" in out and psk not in out
    assert not running.lab.cloud.snapshot("cn-hangzhou").connections

    # Alibaba for real; the operator has entered the checklist; --yes confirms it.
    report = running.er_enter(engine.h3c.checklist())
    assert report.pages[0] == "t1.vif" and report.pages[-1] == "t1.policy1"
    assert main(["apply", LAB_NAME, "--yes"]) == 0
    err = capsys.readouterr().err
    assert "nothing was sent to the ER" in err and "operator confirmed" in err

    report = wait_status(engine, lambda r: r.verdict.up)
    assert report.verdict.up, report.verdict.as_dict()
    assert "seen from Alibaba" in report.verdict.summary
    assert report.alibaba.tunnels[0].phase2 == "up"
    assert main(["status", LAB_NAME]) == 0
    out = capsys.readouterr().out
    assert "check: configuration and SAs: not readable" in out and "check: tunnel state" in out
    assert main(["diff", LAB_NAME]) == 0
    assert "H3C: cannot be read" in capsys.readouterr().err

    # The probe through the tunnel reaches the on-prem OpenStack from the cloud side.
    code = main(["probe", LAB_NAME, "--json"])
    probe = json_out(capsys)
    assert code == 0, probe
    assert probe["summary"]["failed"] == 0 and probe["summary"]["passed"] > 0

    # The PSK never lands in the audit log or a state file.
    for path in lab_state_dir(LAB_NAME).rglob("*"):
        if path.is_file():
            assert psk not in path.read_text(errors="replace"), path
    assert '"operation": "apply"' in engine.audit.path.read_text()

    # Teardown: Alibaba removed for real, the ER by the operator from the teardown checklist.
    assert main(["teardown", LAB_NAME, "--yes"]) == 0
    snap = running.lab.cloud.snapshot("cn-hangzhou")
    assert not snap.connections and not snap.customer_gateways
    running.er_remove(engine.h3c.teardown_checklist())
    assert router.cli("display current-configuration") == before
    assert engine.h3c.load_manifest() is None


def test_a_wrong_entry_shows_as_phase1_down_with_alibabas_reason(er_lab, capsys):
    running, store = er_lab
    profile = load_profile(find_profile(LAB_NAME))
    engine = Engine(profile, store)
    assert asyncio.run(engine.apply(("alibaba",))).ok
    # The operator picks DH5 instead of DH2, then says "I have entered it".
    running.er_enter(engine.h3c.checklist(), typos={"ike-proposal.dh": "DH5 modp1536"})
    engine.h3c.confirm()
    result = asyncio.run(engine.apply())
    assert result.ok and result.renegotiated, result.errors
    report = wait_status(engine, lambda r: "proposal" in (r.alibaba.tunnels[0].reason or "").lower())
    assert report.verdict.code == "phase1-down", report.verdict.as_dict()
    assert "proposal" in report.verdict.summary.lower(), report.verdict.summary
    assert any("tunnel state and negotiation log: from the Alibaba side" in c for c in report.verdict.checks)

    # Entered right this time: the tunnel comes up.
    running.er_enter(engine.h3c.checklist())
    asyncio.run(engine.apply())
    report = wait_status(engine, lambda r: r.verdict.up)
    assert report.verdict.up, report.verdict.as_dict()
    asyncio.run(engine.teardown())


def test_apply_without_confirmation_applies_alibaba_and_waits_for_the_operator(er_lab):
    running, store = er_lab
    engine = Engine(load_profile(find_profile(LAB_NAME)), store)
    result = asyncio.run(engine.apply())
    assert result.ok and result.h3c.confirmed is False and not result.h3c.changed
    assert "enter the checklist" in result.h3c.notes[0]
    report = asyncio.run(engine.status())
    assert not report.verdict.up
    assert "not confirmed" in " ".join(report.verdict.problems)
    asyncio.run(engine.teardown())


def test_old_er_firmware_gui_refuses_dh14(er_lab):
    running, store = er_lab
    from vpnconsole.lab.er import SimulatedER

    er = SimulatedER(running.lab.router, "er-legacy", {"WAN1": "GigabitEthernet0/1"})
    er.submit("vif", {"name": "ipsec0", "bind": "WAN1"})
    with pytest.raises(ErGuiError, match="DH14 modp2048"):
        er.submit("ike-proposal", {"name": "p", "auth": "SHA1", "enc": "AES-128", "dh": "DH14 modp2048"})
    er.submit("ike-peer", {"name": "x", "vif": "ipsec0", "proposal": "p"})  # incomplete: not used
    er.clear()
