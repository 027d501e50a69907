"""`vpnconsole render LAB --end h3c` on an ER profile prints the Markdown checklist (PSK only with --reveal)."""

from __future__ import annotations

import pytest

from vpnconsole import secrets
from vpnconsole.cli import main

from .helpers import PROJECT, PSK

PROFILE = str(PROJECT / "profiles" / "er3200g2.yaml")


@pytest.fixture
def stored_psk(monkeypatch):
    monkeypatch.setenv("VPNCONSOLE_KEYRING_PASSWORD", "er-cli-test-master-password")
    secrets.open_store().set("er3200g2", "psk", PSK.reveal())


def test_render_prints_the_checklist_with_the_psk_masked(stored_psk, capsys):
    assert main(["render", PROFILE, "--end", "h3c"]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("# H3C ER set-up checklist — lab `er3200g2`")
    for page in ("虚接口", "IKE安全提议", "IKE对等体", "IPsec安全提议", "IPsec安全策略"):
        assert f"({page}" in out or f". {page} " in out
    assert "`DH2 modp1024`" in out and "`主模式`" in out and "`******`" in out
    assert PSK.reveal() not in out + err


def test_reveal_prints_the_stored_psk_with_a_warning(stored_psk, capsys):
    assert main(["render", PROFILE, "--end", "h3c", "--reveal"]) == 0
    out, err = capsys.readouterr()
    assert f"`{PSK.reveal()}`" in out and "--reveal" in err


def test_teardown_and_platform_override(stored_psk, capsys):
    assert main(["render", PROFILE, "--end", "h3c", "--teardown"]) == 0
    out = capsys.readouterr().out
    assert "teardown checklist" in out and "`er3200g2-pol1`" in out and PSK.reveal() not in out
    assert main(["render", PROFILE, "--end", "h3c", "--platform", "er-legacy"]) == 0
    assert "older firmware" in capsys.readouterr().out


def test_alibaba_render_of_an_er_profile_is_unchanged(stored_psk, capsys):
    assert main(["render", PROFILE, "--end", "alibaba"]) == 0
    out = capsys.readouterr().out
    assert "CreateVpnConnection" in out and PSK.reveal() not in out
