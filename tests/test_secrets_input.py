"""Reading a secret from the user: piped stdin, or a real terminal (pty) with echo off."""

from __future__ import annotations

import io
import os
import pty
import select
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given, strategies as st

from vpnconsole.params import psk_fingerprint
from vpnconsole.secrets import read_secret_input, value_problems

PROJECT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("piped, expected", [
    ("Abc-123_value\n", "Abc-123_value"),
    ("Abc-123_value", "Abc-123_value"),
    ("Abc-123_value\r\n", "Abc-123_value"),
    ("  spaced value \n", "  spaced value "),  # only the newline is stripped
])
def test_piped_value_loses_exactly_one_trailing_newline(piped, expected):
    secret = read_secret_input(stdin=io.StringIO(piped), kind="h3c-password")
    assert secret.reveal() == expected and secret.kind == "h3c-password"
    assert str(secret) == "******"


@given(st.text(st.characters(blacklist_characters="\r\n"), min_size=1, max_size=200),
       st.sampled_from(["", "\n", "\r\n"]))
def test_any_single_line_comes_back_unchanged(line, ending):
    assert read_secret_input(stdin=io.StringIO(line + ending)).reveal() == line


@pytest.mark.parametrize("piped, message", [
    ("", "empty value"),
    ("\n", "empty value"),
    ("Abc-123_value\n\n", "more than one line"),
    ("first\nsecond\n", "more than one line"),
    ("x" * 5000, "longer than 4096"),
])
def test_piped_value_errors_never_quote_it(piped, message):
    with pytest.raises(ValueError, match=message) as err:
        read_secret_input(stdin=io.StringIO(piped))
    if piped.strip():
        assert piped.strip()[:10] not in str(err.value)


def test_value_rules_per_kind():
    assert value_problems("h3c-password", "Router pass #1") == []
    assert value_problems("h3c-password", "tab\there")
    assert value_problems("alibaba-access-key-id", "LTAI 5t")
    assert value_problems("psk", "has?question")
    assert value_problems("psk", "Abcdefgh1234-_xyz") == []


def _run_on_pty(code: str, answers: list[str], timeout: float = 20.0) -> str:
    """Run ``code`` in a child whose controlling terminal is a pty; type each answer after a prompt."""
    pid, fd = pty.fork()
    if pid == 0:  # child: becomes a session leader with the pty as its terminal
        os.environ["PYTHONPATH"] = str(PROJECT)
        os.execv(sys.executable, [sys.executable, "-c", code])
    output = b""
    pending = list(answers)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(fd, 4096)
                except OSError:  # EIO: the child closed the terminal
                    break
                if not chunk:
                    break
                output += chunk
                # Answer only once a prompt is the last thing written (getpass turns echo off, and
                # flushes pending input, *before* writing its prompt).
                if pending and output.endswith((b":", b": ")):
                    os.write(fd, pending.pop(0).encode() + b"\n")
    finally:
        os.close(fd)
        _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status), (status, output)
    return output.decode(errors="replace")


CHILD = """
from vpnconsole.secrets import read_secret_input
try:
    value = read_secret_input("Value for lab:", confirm=True)
except ValueError as exc:
    print("ERROR", exc)
else:
    print("FINGERPRINT", value.fingerprint)
"""


def test_terminal_input_is_asked_twice_without_echo():
    value = "Typed-On-A-Tty-42"
    output = _run_on_pty(CHILD, [value, value])
    assert "Value for lab:" in output and "Repeat:" in output
    assert f"FINGERPRINT {psk_fingerprint(value)}" in output
    assert value not in output  # getpass turned echo off


def test_terminal_entries_that_differ_are_refused():
    output = _run_on_pty(CHILD, ["Typed-On-A-Tty-42", "Typed-On-A-Tty-43"])
    assert "ERROR the two entries differ; nothing was stored" in output
    assert "Typed-On-A-Tty" not in output
