"""Secret values that refuse to be shown, and the logging backstop that masks them anyway.

The plan: a secret is carried as a :class:`Secret`, whose ``str``/``repr``/``format`` give only the
mask; code that must send it calls :meth:`Secret.reveal` at the last moment.  The backstop: every
secret ever wrapped is remembered (in this process only), and :class:`RedactingFilter` on the root
logger replaces those strings in every log record, including its arguments and exception text.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Iterable

from vpnconsole.params import psk_fingerprint

MASK = "******"

_known: set[str] = set()
_known_lock = threading.Lock()
_MIN_LEN = 4  # shorter "secrets" would mask ordinary words everywhere


def remember(value: str) -> None:
    """Register a secret string with the logging backstop."""
    if value and len(value) >= _MIN_LEN:
        with _known_lock:
            _known.add(value)


def _forms(value: str) -> set[str]:
    """The ways a secret shows up in text: as is, URL-encoded (query strings logged by urllib3),
    form-encoded, and JSON-escaped (the PSK inside Alibaba's IkeConfig string)."""
    import json
    from urllib.parse import quote, quote_plus

    return {value, quote(value, safe=""), quote_plus(value), json.dumps(value)[1:-1]}


def redact(text: str, extra: Iterable[str] = ()) -> str:
    """Replace every known secret (and ``extra``), in each of its encoded forms, with the mask."""
    with _known_lock:
        values = _known.union(v for v in extra if v)
    forms = sorted({form for value in values for form in _forms(value)}, key=len, reverse=True)
    for form in forms:
        if form in text:
            text = text.replace(form, MASK)
    return text


class Secret:
    """A secret string.  Printing, formatting or logging it shows only :data:`MASK`."""

    __slots__ = ("_value", "kind")

    def __init__(self, value: str, kind: str = "secret"):
        if not isinstance(value, str):
            raise TypeError("a Secret wraps a str")
        self._value = value
        self.kind = kind
        remember(value)

    def reveal(self) -> str:
        return self._value

    @property
    def fingerprint(self) -> str:
        return psk_fingerprint(self._value)

    def __str__(self) -> str:
        return MASK

    def __repr__(self) -> str:
        return f"Secret({self.kind}, {self.fingerprint})"

    def __format__(self, spec: str) -> str:
        return MASK

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __reduce__(self) -> Any:
        # Pickling would write the value somewhere; nothing in vpnconsole needs it.
        raise TypeError("a Secret cannot be pickled")


def reveal(value: Any) -> Any:
    """The plain value of a Secret; anything else unchanged."""
    return value.reveal() if isinstance(value, Secret) else value


class RedactingFilter(logging.Filter):
    """Masks every known secret in a record's message, arguments and exception text."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not break logging
            message = str(record.msg)
        record.msg = redact(message)
        record.args = None
        if record.exc_info:
            formatter = logging.Formatter()
            record.exc_text = redact(formatter.formatException(record.exc_info))
            record.exc_info = None
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def install_log_redaction(logger: logging.Logger | None = None) -> RedactingFilter:
    """Put the filter on the root logger and on every handler it has (idempotent).

    Filters on a logger do not run for records propagated from child loggers, so the filter goes
    on the handlers too; handlers added later get it through :func:`redacting_handler`.
    """
    logger = logger or logging.getLogger()
    existing = next((f for f in logger.filters if isinstance(f, RedactingFilter)), None)
    flt = existing or RedactingFilter()
    if existing is None:
        logger.addFilter(flt)
    for handler in logger.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(flt)
    return flt


def redacting_handler(handler: logging.Handler) -> logging.Handler:
    if not any(isinstance(f, RedactingFilter) for f in handler.filters):
        handler.addFilter(RedactingFilter())
    return handler
