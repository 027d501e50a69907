"""Comware command-line parsing primitives: tokens, keyword abbreviation, errors, help.

A command handler drives a :class:`Cursor` over the tokens of one input line, e.g.::

    c.kw("ike", cmd=True); c.kw("proposal", cmd=True); num = c.int(1, 65535); c.end()

and every primitive raises :class:`CliError` with the Comware error class and the column of the
offending token, so the session can print the exact Comware shape (reference §6.6 / §9.13)::

    [MSR1]ike proposl 950
              ^
     % Unrecognized command found at '^' position.

Classification rules used here (reference §6.6; the exact class per typo is [≈] in the reference):

* a token that matches none of the *command-path* keywords (``ike``, ``proposal``, ``display``...) ->
  ``Unrecognized command``;
* a token that does not fit a *parameter* slot (bad keyword value such as ``dh group3``, a number
  out of range, a malformed IP address or wildcard, a name that is too long) -> ``Wrong parameter``.
  A non-numeric token in an integer slot is also treated as ``Wrong parameter`` [?];
* the line ends while something mandatory is still expected -> ``Incomplete command`` with the caret
  one column past the end of the line (that is where Comware puts it: prompt length + line length + 1);
* the command is complete and an extra token follows that no optional keyword accepts ->
  ``Too many parameters``;
* an abbreviation that is a prefix of several keywords (and equal to none) -> ``Ambiguous command``.

Keywords are case-insensitive and may be abbreviated to any unique prefix; an exact match always
wins over longer keywords that share the prefix (``ike`` vs ``ikev2``).

Context help: when the user types ``?`` the handler is run in *help mode*; the first primitive that
reaches the help position collects its candidates (optional keywords accumulate and parsing goes on,
so ``<cr>`` shows up when the command could end there) and :class:`HelpRequest` is raised.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Sequence

from .addr import is_ip, mask_to_len

UNRECOGNIZED = "Unrecognized command"
INCOMPLETE = "Incomplete command"
WRONG = "Wrong parameter"
TOO_MANY = "Too many parameters"
AMBIGUOUS = "Ambiguous command"

ERROR_CLASSES = (UNRECOGNIZED, INCOMPLETE, WRONG, TOO_MANY, AMBIGUOUS)


class CliError(Exception):
    """A syntactic error at character ``offset`` of the input line."""

    def __init__(self, kind: str, offset: int):
        super().__init__(f"{kind} at {offset}")
        self.kind = kind
        self.offset = offset

    def render(self, prompt_len: int) -> list[str]:
        return [" " * (prompt_len + self.offset) + "^", f" % {self.kind} found at '^' position."]


class SemanticError(Exception):
    """A plain-text refusal (no caret), e.g. object in use. Each line is printed as-is."""

    def __init__(self, *lines: str):
        super().__init__(" ".join(lines))
        self.lines = list(lines)


@dataclass
class HelpRequest(Exception):
    candidates: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class Tok:
    text: str
    start: int


def tokenize(line: str) -> list[Tok]:
    toks: list[Tok] = []
    i, n = 0, len(line)
    while i < n:
        while i < n and line[i] == " ":
            i += 1
        if i >= n:
            break
        j = i
        while j < n and line[j] != " ":
            j += 1
        toks.append(Tok(line[i:j], i))
        i = j
    return toks


_AMBIG = object()


def match_keyword(text: str, words: Iterable[str]):
    """Return the keyword ``text`` selects, None when nothing matches, ``_AMBIG`` when ambiguous."""
    low = text.lower()
    cands = []
    for w in words:
        wl = w.lower()
        if wl == low:
            return w
        if wl.startswith(low):
            cands.append(w)
    if not cands:
        return None
    if len(cands) > 1:
        return _AMBIG
    return cands[0]


class Cursor:
    """Walks the tokens of one line; see the module docstring for the error rules."""

    def __init__(self, line: str, help_mode: bool = False):
        self.line = line
        self.toks = tokenize(line)
        self.i = 0
        self.help_mode = help_mode
        self.help_partial = ""
        self.help_index = len(self.toks)
        if help_mode and line and not line.endswith(" ") and self.toks:
            self.help_partial = self.toks[-1].text
            self.help_index = len(self.toks) - 1
            self.toks = self.toks[:-1]
        self.help_acc: list[tuple[str, str]] = []

    # -- state ---------------------------------------------------------------------------
    @property
    def at_end(self) -> bool:
        return self.i >= len(self.toks)

    def peek(self) -> Tok | None:
        return None if self.at_end else self.toks[self.i]

    def mark(self) -> int:
        return self.i

    def reset(self, mark: int) -> None:
        self.i = mark

    def _help_here(self) -> bool:
        return self.help_mode and self.i == self.help_index

    def _add_help(self, items: Iterable[tuple[str, str]], keywords: bool = True) -> None:
        for word, desc in items:
            if keywords and self.help_partial and not word.lower().startswith(self.help_partial.lower()):
                continue
            if (word, desc) not in self.help_acc:
                self.help_acc.append((word, desc))

    def _raise_help(self):
        raise HelpRequest(list(self.help_acc))

    def incomplete(self):
        if self.help_mode:
            self._raise_help()
        raise CliError(INCOMPLETE, len(self.line.rstrip()) + 1)

    def error(self, kind: str, tok: Tok | None = None):
        if tok is None:
            tok = self.peek()
        if tok is None:
            self.incomplete()
        raise CliError(kind, tok.start)

    # -- keywords ------------------------------------------------------------------------
    @staticmethod
    def _words(words) -> list[tuple[str, str]]:
        out = []
        for w in words:
            if isinstance(w, tuple):
                out.append(w)
            else:
                out.append((w, ""))
        return out

    def kw(self, *words, cmd: bool = False) -> str:
        """Consume one mandatory keyword out of ``words`` (str or (word, help) tuples)."""
        items = self._words(words)
        if self._help_here():
            self._add_help(items)
            self._raise_help()
        tok = self.peek()
        if tok is None:
            self.incomplete()
        m = match_keyword(tok.text, [w for w, _ in items])
        if m is _AMBIG:
            raise CliError(AMBIGUOUS, tok.start)
        if m is None:
            raise CliError(UNRECOGNIZED if cmd else WRONG, tok.start)
        self.i += 1
        return m

    def opt_kw(self, *words) -> str | None:
        """Consume an optional keyword if the next token selects one; None otherwise."""
        items = self._words(words)
        if self._help_here():
            self._add_help(items)
            return None
        tok = self.peek()
        if tok is None:
            return None
        m = match_keyword(tok.text, [w for w, _ in items])
        if m is _AMBIG:
            raise CliError(AMBIGUOUS, tok.start)
        if m is None:
            return None
        self.i += 1
        return m

    def end(self) -> None:
        if self._help_here():
            self._add_help([("<cr>", "")], keywords=False)
            self._raise_help()
        if not self.at_end:
            raise CliError(TOO_MANY, self.toks[self.i].start)

    # -- values --------------------------------------------------------------------------
    def _value(self, label: str, desc: str = "") -> Tok:
        if self._help_here():
            self._add_help([(label, desc)], keywords=False)
            self._raise_help()
        tok = self.peek()
        if tok is None:
            self.incomplete()
        self.i += 1
        return tok

    def int(self, lo: int, hi: int, desc: str = "") -> int:
        tok = self._value(f"INTEGER<{lo}-{hi}>", desc)
        if not tok.text.isdigit() or not (lo <= int(tok.text) <= hi):
            raise CliError(WRONG, tok.start)
        return int(tok.text)

    def opt_int(self, lo: int, hi: int, desc: str = "") -> int | None:
        """An optional integer: consumed only when the next token is all digits."""
        if self._help_here():
            self._add_help([(f"INTEGER<{lo}-{hi}>", desc)], keywords=False)
            return None
        tok = self.peek()
        if tok is None or not tok.text.isdigit():
            return None
        return self.int(lo, hi, desc)

    def ip(self, desc: str = "") -> str:
        tok = self._value("X.X.X.X", desc)
        if not is_ip(tok.text):
            raise CliError(WRONG, tok.start)
        return tok.text

    def opt_ip(self, desc: str = "") -> str | None:
        if self._help_here():
            self._add_help([("X.X.X.X", desc)], keywords=False)
            return None
        tok = self.peek()
        if tok is None or not is_ip(tok.text):
            return None
        self.i += 1
        return tok.text

    def mask_or_len(self, desc: str = "") -> int:
        tok = self._value("INTEGER<0-32>", desc or "Mask length or X.X.X.X mask")
        if tok.text.isdigit():
            v = int(tok.text)
            if v > 32:
                raise CliError(WRONG, tok.start)
            return v
        if is_ip(tok.text):
            plen = mask_to_len(tok.text)
            if plen is not None:
                return plen
        raise CliError(WRONG, tok.start)

    def opt_mask_or_len(self) -> int | None:
        if self._help_here():
            self._add_help([("INTEGER<0-32>", "Mask length"), ("X.X.X.X", "Mask")], keywords=False)
            return None
        tok = self.peek()
        if tok is None:
            return None
        if tok.text.isdigit() or is_ip(tok.text):
            return self.mask_or_len()
        return None

    def wildcard(self) -> str:
        """A wildcard mask; ``0`` (and ``0.0.0.0``) mean a single host and are kept as ``0``."""
        tok = self._value("X.X.X.X", "Wildcard mask (0 for a host)")
        if tok.text in ("0", "0.0.0.0"):
            return "0"
        if not is_ip(tok.text):
            raise CliError(WRONG, tok.start)
        return tok.text

    def string(self, maxlen: int = 63, minlen: int = 1, desc: str = "") -> str:
        tok = self._value(f"STRING<{minlen}-{maxlen}>", desc)
        if not (minlen <= len(tok.text) <= maxlen):
            raise CliError(WRONG, tok.start)
        return tok.text

    def text(self, maxlen: int = 255, desc: str = "") -> str:
        """The rest of the line (descriptions, comments)."""
        tok = self._value(f"TEXT<1-{maxlen}>", desc)
        value = self.line[tok.start:].rstrip()
        if len(value) > maxlen:
            raise CliError(WRONG, tok.start)
        self.i = len(self.toks)
        return value

    def rest_tokens(self) -> list[Tok]:
        out = self.toks[self.i:]
        self.i = len(self.toks)
        return out


def format_help(cands: Sequence[tuple[str, str]]) -> list[str]:
    if not cands:
        return []
    width = max(len(w) for w, _ in cands)
    width = max(width, 13)
    lines = []
    for w, d in cands:
        lines.append(f"  {w:<{width}}  {d}".rstrip())
    return lines
