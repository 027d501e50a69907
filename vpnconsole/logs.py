"""Logging set-up for vpnconsole: stderr and an optional private log file, both behind the redaction
filter (:mod:`vpnconsole.redact`), which is the backstop that keeps secrets out of every log line."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import TextIO

from vpnconsole.redact import RedactingFilter, install_log_redaction

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_MARK = "_vpnconsole_handler"


def open_private_file(path: str | os.PathLike[str]) -> Path:
    """Create ``path`` (mode 0600, parent directory created 0700) or tighten an existing file to 0600."""
    path = Path(path)
    if not path.parent.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        st = os.fstat(fd)
        if st.st_uid == os.geteuid() and st.st_mode & 0o077:
            os.fchmod(fd, 0o600)
    finally:
        os.close(fd)
    return path


def configure_logging(level: int | str = logging.WARNING, file: str | os.PathLike[str] | None = None, *,
                      stream: TextIO | None = None, fmt: str = FORMAT) -> RedactingFilter:
    """Configure the root logger: a handler on ``stream`` (default stderr) and, with ``file``, one
    appending to that file (created 0600).  Installs the redaction filter on the root logger and on
    every handler.  Calling it again replaces the handlers it added before (idempotent)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, _MARK, False):
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)
    formatter = logging.Formatter(fmt)
    handlers: list[logging.Handler] = [logging.StreamHandler(stream if stream is not None else sys.stderr)]
    if file is not None:
        handlers.append(logging.FileHandler(open_private_file(file), mode="a", encoding="utf-8"))
    for handler in handlers:
        handler.setFormatter(formatter)
        setattr(handler, _MARK, True)
        root.addHandler(handler)
    logging.captureWarnings(True)  # warnings go through the same (redacted) handlers
    return install_log_redaction(root)
