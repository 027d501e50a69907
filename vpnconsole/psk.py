"""Pre-shared key rules of both ends, and a generator whose keys both ends accept.

Alibaba (``alibaba-vpn-api.md`` §2.3.3, §3.4): 1–100 characters, no whitespace; the safe character set
is letters, digits and ``~!@#$%^&*()_-+={}[]|;:,.<>/?`` (the docs disagree about quotes, the
backtick and the backslash, so those are refused).  Comware (``h3c-comware-ipsec.md`` §1.3): a ``?``
anywhere on a command line opens context help instead of becoming part of the key, and leading or
trailing spaces cannot be typed.  A PSK that passes :func:`psk_problems` is accepted by both.

Messages never contain the key itself: they may end up in a log or on the screen.
"""

from __future__ import annotations

import secrets
import string

MAX_LENGTH = 100
_SYMBOLS_ALIBABA = "~!@#$%^&*()_-+={}[]|;:,.<>/?"
_SYMBOLS_BOTH = _SYMBOLS_ALIBABA.replace("?", "")
ALLOWED = frozenset(string.ascii_letters + string.digits + _SYMBOLS_BOTH)


def psk_problems(psk: str) -> list[str]:
    """Why this PSK would be refused by either end (empty list: both accept it)."""
    problems: list[str] = []
    if not psk:
        return ["the PSK is empty; Alibaba needs 1–100 characters"]
    if len(psk) > MAX_LENGTH:
        problems.append(f"the PSK has {len(psk)} characters; Alibaba allows at most {MAX_LENGTH}")
    if any(c.isspace() for c in psk):
        problems.append("the PSK contains whitespace; Alibaba refuses spaces and Comware cannot type "
                        "a leading or trailing space")
    if "?" in psk:
        problems.append("the PSK contains '?'; on the Comware CLI '?' opens help instead of being typed")
    bad = {c for c in psk if c not in ALLOWED and not c.isspace() and c != "?"}
    if bad:
        # Name the classes of the offending characters, never the characters: a message may be
        # logged or shown, and each character named is a character of the secret given away.
        classes = sorted({_char_class(c) for c in bad})
        problems.append(f"the PSK contains {', '.join(classes)}, which one end refuses; allowed: "
                        f"letters, digits and {_SYMBOLS_BOTH}")
    return problems


def _char_class(c: str) -> str:
    if c in "'\"`":
        return "quotes or backticks"
    if c == "\\":
        return "a backslash"
    if ord(c) > 127:
        return "non-ASCII characters"
    if not c.isprintable():
        return "control characters"
    return "other symbols"


def generate_psk(length: int = 32) -> str:
    """A strong random PSK that both ends accept.

    Letters and digits plus a few symbols that need no quoting in YAML, shells or the Comware CLI;
    at least one of each class so it also satisfies complexity rules people impose by hand.
    """
    if not 16 <= length <= MAX_LENGTH:
        raise ValueError(f"PSK length must be 16–{MAX_LENGTH}")
    symbols = "-_.+=@%"
    alphabet = string.ascii_letters + string.digits + symbols
    while True:
        psk = "".join(secrets.choice(alphabet) for _ in range(length))
        if (any(c.islower() for c in psk) and any(c.isupper() for c in psk)
                and any(c.isdigit() for c in psk) and any(c in symbols for c in psk)):
            assert not psk_problems(psk)
            return psk
