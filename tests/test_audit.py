from __future__ import annotations

import json
import multiprocessing
import stat
from pathlib import Path

import pytest

from vpnconsole.audit import AuditLog, LabBusy, lab_lock, profile_hash
from vpnconsole.profile import load_profile
from vpnconsole.redact import Secret

PROJECT = Path(__file__).resolve().parent.parent


def test_audit_records_are_json_lines_with_secrets_masked(tmp_path):
    psk = Secret("Audit-Canary-Psk-123456", "psk")
    log = AuditLog("classic", tmp_path / "audit.jsonl")
    profile = load_profile(PROJECT / "profiles" / "classic.yaml")
    log.record("apply", profile=profile_hash(profile), end="h3c", sent=[f"key simple {psk}", psk],
               request_ids=["req-1"], result="ok")
    log.record("apply", end="alibaba", note=f"raw leak {psk.reveal()}")  # the backstop catches it
    text = (tmp_path / "audit.jsonl").read_text()
    assert "Audit-Canary-Psk-123456" not in text
    first, second = log.entries()
    assert first["sent"] == ["key simple ******", "******"] and first["profile"].startswith("sha256:")
    assert first["user"] and first["operation"] == "apply" and second["note"] == "raw leak ******"
    assert stat.S_IMODE((tmp_path / "audit.jsonl").stat().st_mode) == 0o600


def test_profile_hash_changes_with_the_profile():
    p = load_profile(PROJECT / "profiles" / "classic.yaml")
    before = profile_hash(p)
    p.ike.lifetime = 3600
    assert profile_hash(p) != before


def _hold(path: str, started, release) -> None:
    with lab_lock("classic", "apply", path=Path(path)):
        started.set()
        release.wait(10)


def test_a_second_console_is_refused_while_the_first_holds_the_lock(tmp_path):
    ctx = multiprocessing.get_context("fork")
    started, release = ctx.Event(), ctx.Event()
    proc = ctx.Process(target=_hold, args=(str(tmp_path / "lock"), started, release))
    proc.start()
    try:
        assert started.wait(10)
        with pytest.raises(LabBusy, match="operation apply") as info:
            with lab_lock("classic", "teardown", path=tmp_path / "lock"):
                pass
        assert info.value.holder["pid"] == proc.pid
    finally:
        release.set()
        proc.join(10)
    with lab_lock("classic", "teardown", path=tmp_path / "lock"):  # free again
        assert json.loads((tmp_path / "lock").read_text())["operation"] == "teardown"


def test_the_lock_dies_with_its_holder(tmp_path):
    ctx = multiprocessing.get_context("fork")
    started, release = ctx.Event(), ctx.Event()
    proc = ctx.Process(target=_hold, args=(str(tmp_path / "lock"), started, release))
    proc.start()
    assert started.wait(10)
    proc.kill()
    proc.join(10)
    with lab_lock("classic", "apply", path=tmp_path / "lock"):
        pass


def test_a_secret_that_looks_like_json_syntax_cannot_break_a_record(tmp_path):
    odd = Secret('", "op', "psk")  # not a valid PSK, but the backstop masks whatever it was given
    log = AuditLog("classic", tmp_path / "audit.jsonl")
    log.record("apply", sent=['key "', "op", 'a", "op b'], note={"k": 'x", "op'})
    for line in (tmp_path / "audit.jsonl").read_text().splitlines():
        entry = json.loads(line)
    assert entry["sent"][2] == "a****** b" and entry["note"] == {"k": "x******"}
    assert odd.reveal() not in "".join(entry["sent"]) + entry["note"]["k"]
