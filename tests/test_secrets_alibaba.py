"""Alibaba credentials: the standard chain first (env, aliyun CLI config, credentials.ini), read
without the Alibaba SDK, then the keyring (covered with a real Secret Service in
test_secrets_secretservice.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from vpnconsole import secrets
from vpnconsole.redact import Secret

PROJECT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def clean_chain(monkeypatch):
    for var in ("ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALIBABA_CLOUD_SECURITY_TOKEN",
                "ALIBABA_CLOUD_PROFILE", "ALIBABA_CLOUD_CREDENTIALS_FILE", "ALIBABA_CLOUD_CLI_PROFILE_DISABLED"):
        monkeypatch.delenv(var, raising=False)


def never_open():
    raise AssertionError("the keyring must not be opened when the standard chain has credentials")


def write_cli_config(home: Path, profiles: list[dict], current: str = "default") -> Path:
    path = home / ".aliyun" / "config.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"current": current, "profiles": profiles}))
    return path


def test_environment_comes_first(monkeypatch, isolated_home):
    write_cli_config(isolated_home, [{"name": "default", "mode": "AK", "access_key_id": "LTAIcli",
                                      "access_key_secret": "cli-secret-value"}])
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAIenv")
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "env-secret-value")
    monkeypatch.setenv("ALIBABA_CLOUD_SECURITY_TOKEN", "env-sts-token-value")
    creds = secrets.alibaba_credentials("lab", never_open)
    assert creds.access_key_id == "LTAIenv"
    assert isinstance(creds.access_key_secret, Secret) and creds.access_key_secret.reveal() == "env-secret-value"
    assert creds.security_token.reveal() == "env-sts-token-value"
    assert creds.source.startswith("environment")
    assert "env-secret-value" not in repr(creds) and "env-sts-token" not in repr(creds)


def test_half_an_environment_key_is_an_error(monkeypatch):
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAIenv")
    with pytest.raises(secrets.SecretStoreError, match="ALIBABA_CLOUD_ACCESS_KEY_SECRET is not set"):
        secrets.alibaba_credentials("lab", never_open)


def test_aliyun_cli_profiles(monkeypatch, isolated_home):
    path = write_cli_config(isolated_home, [
        {"name": "default", "mode": "AK", "access_key_id": "LTAIdefault", "access_key_secret": "default-secret"},
        {"name": "sts", "mode": "StsToken", "access_key_id": "STS.id", "access_key_secret": "sts-secret",
         "sts_token": "sts-token"},
        {"name": "role", "mode": "RamRoleArn", "access_key_id": "LTAIrole", "access_key_secret": "role-secret",
         "ram_role_arn": "acs:ram::1:role/x"},
    ])
    creds = secrets.alibaba_credentials("lab", never_open)
    assert (creds.access_key_id, creds.access_key_secret.reveal()) == ("LTAIdefault", "default-secret")
    assert creds.source == f"aliyun CLI profile 'default' ({path})"

    monkeypatch.setenv("ALIBABA_CLOUD_PROFILE", "sts")
    creds = secrets.alibaba_credentials("lab", never_open)
    assert creds.access_key_id == "STS.id" and creds.security_token.reveal() == "sts-token"

    monkeypatch.setenv("ALIBABA_CLOUD_PROFILE", "role")
    with pytest.raises(secrets.SecretStoreError) as err:
        secrets.alibaba_credentials("lab")
    assert "uses mode RamRoleArn" in str(err.value) and "role-secret" not in str(err.value)
    assert "vpnconsole secret set lab alibaba-access-key-id" in str(err.value)

    monkeypatch.setenv("ALIBABA_CLOUD_CLI_PROFILE_DISABLED", "true")
    monkeypatch.setenv("ALIBABA_CLOUD_PROFILE", "default")
    with pytest.raises(secrets.SecretStoreError, match="disabled"):
        secrets.alibaba_credentials("lab")


def test_credentials_ini(monkeypatch, isolated_home):
    ini = isolated_home / ".alibabacloud" / "credentials.ini"
    ini.parent.mkdir()
    ini.write_text("[default]\ntype = access_key\naccess_key_id = LTAIini\naccess_key_secret = ini-secret # note\n"
                   "[other]\ntype = ecs_ram_role\nrole_name = r\n")
    creds = secrets.alibaba_credentials("lab", never_open)
    assert (creds.access_key_id, creds.access_key_secret.reveal()) == ("LTAIini", "ini-secret")
    monkeypatch.setenv("ALIBABA_CLOUD_PROFILE", "other")
    with pytest.raises(secrets.SecretStoreError, match="has type ecs_ram_role"):
        secrets.alibaba_credentials("lab")


def test_nothing_anywhere_says_how_to_configure():
    with pytest.raises(secrets.SecretStoreError) as err:
        secrets.alibaba_credentials("lab-x")
    message = str(err.value)
    assert "ALIBABA_CLOUD_ACCESS_KEY_ID" in message and "aliyun configure" in message
    assert "vpnconsole secret set lab-x alibaba-access-key-id" in message


def test_secrets_module_does_not_import_the_alibaba_sdk():
    code = ("import sys, vpnconsole.secrets, vpnconsole.logs\n"
            "bad = sorted(m for m in sys.modules if m.startswith(('alibabacloud', 'Tea', 'darabonba', 'textual')))\n"
            "print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=PROJECT, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
