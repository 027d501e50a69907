"""Shared fixtures: every test runs with its own config/state/data homes, so nothing a test does
reaches the real user's profiles or keyring."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

os.environ.setdefault("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")  # never probe ECS metadata

PROJECT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def isolated_home(tmp_path_factory, monkeypatch):
    home = tmp_path_factory.mktemp("home")
    for var, sub in (("XDG_CONFIG_HOME", "config"), ("XDG_STATE_HOME", "state"), ("XDG_DATA_HOME", "data"),
                     ("XDG_CACHE_HOME", "cache")):
        (home / sub).mkdir()
        monkeypatch.setenv(var, str(home / sub))
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("VPNCONSOLE_HOME", raising=False)
    monkeypatch.delenv("VPNCONSOLE_KEYRING_PASSWORD", raising=False)
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND", raising=False)
    # A desktop session's Secret Service must never be touched by a test; the Secret Service
    # tests start a private one (tests/secretservice.py).
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    return home


@pytest.fixture
def example_profiles() -> dict[str, Path]:
    return {p.stem: p for p in sorted((PROJECT / "profiles").glob("*.yaml"))}


@pytest.fixture(autouse=True)
def restore_logging():
    """The CLI configures logging when a test calls ``main()`` in-process; undo it afterwards so one
    test's handlers, levels and warning capture never change what the next test sees."""
    root = logging.getLogger()
    saved = (list(root.handlers), list(root.filters), root.level)
    yield
    for handler in list(root.handlers):
        if handler not in saved[0]:
            root.removeHandler(handler)
            handler.close()
    for flt in list(root.filters):
        if flt not in saved[1]:
            root.removeFilter(flt)
    root.setLevel(saved[2])
    logging.captureWarnings(False)


KEYRING_MASTER = "tests-keyring-master-password"


@pytest.fixture
def keyring_store(tmp_path, monkeypatch):
    """Profiles and state in a temporary VPNCONSOLE_HOME and an unlocked encrypted file keyring (its
    master password in VPNCONSOLE_KEYRING_PASSWORD, as scripts give it)."""
    from vpnconsole import secrets

    monkeypatch.setenv("VPNCONSOLE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("VPNCONSOLE_KEYRING_PASSWORD", KEYRING_MASTER)
    return secrets.open_store()


@pytest.fixture
def start_lab(keyring_store):
    """``start_lab(**settings)`` → (ThreadedLab, store): the embedded lab on its own thread, with short
    cloud windows and free ports unless the settings say otherwise; closed after the test."""
    from vpnconsole.lab.runner import LabSettings, ThreadedLab

    started = []

    def start(**settings):
        settings.setdefault("fast", True)
        settings.setdefault("fixed_ports", False)
        lab = ThreadedLab(LabSettings(**settings), store=keyring_store)
        lab.start()
        started.append(lab)
        return lab, keyring_store

    yield start
    for lab in started:
        lab.close()


@pytest.fixture
def running_lab(start_lab):
    """The default embedded lab (Comware V7, single tunnel) and the store holding its secrets."""
    return start_lab()
