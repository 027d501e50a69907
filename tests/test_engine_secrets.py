"""No secret left behind: after a full cycle through the engine and the CLI (with faults, so error
paths run too), neither the PSK nor the router password appears — raw, URL-encoded or JSON-escaped
— in any file under the state/config/data dirs, the audit log, the netmiko session log, the captured
stdout/stderr, the log records, the progress events or the exception texts."""

from __future__ import annotations

import asyncio
import json
import logging
from urllib.parse import quote, quote_plus

from tests.test_engine_helpers import add_foreign_config, start_lab, wait_up
from vpnconsole.cli import main
from vpnconsole.lab.runner import LAB_NAME, LabSettings


def _forms(secret: str) -> set[str]:
    return {secret, quote(secret, safe=""), quote_plus(secret), json.dumps(secret)[1:-1],
            json.dumps(secret, ensure_ascii=True)[1:-1]}


def test_no_secret_anywhere_after_a_cycle_with_faults(monkeypatch, tmp_path, capfd, caplog):
    caplog.set_level(logging.DEBUG)
    running, ctx = start_lab(monkeypatch, tmp_path, LabSettings(fast=True, fixed_ports=False))
    texts: list[str] = []
    try:
        session_log = tmp_path / "home" / "state" / "netmiko-session.log"
        events = []
        engine = ctx.engine(session_log=session_log, emit=events.append)
        add_foreign_config(ctx, engine)

        # The SSH session dropped mid-push, and Alibaba answering 500 after committing.
        ctx.router.options.drop_after = 15
        ctx.cloud.faults.error_after_commit("CreateVpnConnection")
        try:
            result = asyncio.run(engine.apply())
        finally:
            ctx.router.options.drop_after = None
        texts.extend(result.errors.values())
        assert "h3c" in result.errors and ("CreateVpnConnection", "error_after_commit") in ctx.cloud.faults.history
        result = asyncio.run(engine.apply())
        assert result.ok, result.errors
        report = wait_up(engine)
        assert report.verdict.up, report.verdict.as_dict()
        texts.append(json.dumps(report.as_dict(), ensure_ascii=False))

        # The scripting face too: every command's output is captured by capfd.
        assert main(["diff", LAB_NAME, "--json"]) == 0
        assert main(["status", LAB_NAME, "--json"]) == 0
        assert main(["status", LAB_NAME]) == 0
        assert main(["render", LAB_NAME, "--end", "h3c"]) == 0
        assert main(["render", LAB_NAME, "--end", "alibaba"]) == 0
        assert main(["apply", LAB_NAME, "--yes", "--json"]) == 0

        # A wrong password: the error must not quote the right one (nor the wrong one).
        bad = ctx.engine(password="not-the-password-" + "x" * 8)
        texts.extend(bad.h3c.read().errors)

        result = asyncio.run(engine.teardown())
        assert result.ok, result.errors
        assert main(["teardown", LAB_NAME, "--yes"]) == 0
        psk, password = ctx.psk(), ctx.password()
    finally:
        running.close()

    assert session_log.exists() and session_log.stat().st_size > 0
    out, err = capfd.readouterr()
    texts += [out, err]
    texts += [caplog.text] + [r.getMessage() for r in caplog.records]
    texts += [f"{e.message} {e.data!r} {e.status}" for e in events]
    home = tmp_path / "home"
    files = [p for p in home.rglob("*") if p.is_file()]
    assert any(p.name == "audit.jsonl" for p in files)
    for path in files:
        texts.append(f"{path}: " + path.read_bytes().decode("utf-8", errors="replace"))

    leaks = []
    for name, secret in (("psk", psk), ("h3c-password", password)):
        for form in _forms(secret):
            for text in texts:
                if form in text:
                    where = text[:120].splitlines()[0]
                    leaks.append(f"{name} ({form!r} form) in {where}")
    assert not leaks, leaks
    # And the audit log does record what happened (so the scan above was not of empty files).
    audit = next(p for p in files if p.name == "audit.jsonl").read_text()
    assert '"operation": "apply"' in audit and '"operation": "teardown"' in audit
    assert "CreateVpnConnection" in audit


def test_forms_cover_encodings():
    forms = _forms('a/b+c"d\\e')
    assert "a%2Fb%2Bc%22d%5Ce" in forms and 'a/b+c\\"d\\\\e' in forms
