"""Log redaction through :func:`vpnconsole.logs.configure_logging`: a real file handler, grepped."""

from __future__ import annotations

import io
import logging
import stat
import warnings


from vpnconsole.logs import configure_logging
from vpnconsole.psk import generate_psk
from vpnconsole.redact import MASK, RedactingFilter, Secret


def test_psk_in_message_args_and_exception_is_masked_in_the_file(tmp_path):
    psk = Secret(generate_psk(), "psk")  # remembered by the backstop
    value = psk.reveal()
    log_file = tmp_path / "logs" / "vpnconsole.log"
    stream = io.StringIO()
    configure_logging(logging.DEBUG, log_file, stream=stream)

    # A logger of its own with an explicit level: another test may have tuned "vpnconsole.*" levels.
    log = logging.getLogger("vpnconsole.tests.redaction")
    log.setLevel(logging.DEBUG)
    log.disabled = False
    log.info(f"sending pre-shared-key cipher {value}")  # in the message itself
    log.debug("psk=%s peer=%s", value, "203.0.113.7")  # in the arguments
    log.warning("fields %(psk)s", {"psk": value})  # mapping arguments
    try:
        raise RuntimeError(f"device refused key {value}")
    except RuntimeError:
        log.exception("apply failed")  # in the exception text and traceback
    logging.getLogger().error("root logger: %r", [value])
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        # configure_logging captured warnings; make sure this block sees that capture and not a
        # showwarning that pytest's per-test recorder or an earlier test left in place.
        logging.captureWarnings(False)
        logging.captureWarnings(True)
        warnings.warn(f"a warning quoting {value}")  # captured warnings go through the same handlers

    for handler in logging.getLogger().handlers:
        handler.flush()
    text = log_file.read_text()
    assert value not in text and value not in stream.getvalue()
    assert text.count(MASK) >= 6, text
    assert "device refused key ******" in text and "203.0.113.7" in text
    assert "Traceback" in text
    assert stat.S_IMODE(log_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(log_file.parent.stat().st_mode) == 0o700


def test_configure_logging_is_idempotent_and_tightens_an_existing_file(tmp_path):
    log_file = tmp_path / "existing.log"
    log_file.write_text("")
    log_file.chmod(0o644)
    root = logging.getLogger()
    before = len(root.handlers)
    configure_logging(logging.INFO, log_file, stream=io.StringIO())
    configure_logging(logging.INFO, log_file, stream=io.StringIO())
    assert len(root.handlers) == before + 2
    assert stat.S_IMODE(log_file.stat().st_mode) == 0o600
    assert sum(isinstance(f, RedactingFilter) for f in root.filters) == 1
    assert all(any(isinstance(f, RedactingFilter) for f in h.filters) for h in root.handlers)
