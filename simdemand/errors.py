"""Errors a user can act on: each names the file and the field at fault, on one line."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

# A message quotes at most this many characters of a value, a path or a whole line: a 50 MB value
# is cut, not echoed whole.
VALUE_CHARS = 80
PATH_CHARS = 160
LINE_CHARS = 600


def shorten(text: object, limit: int = VALUE_CHARS) -> str:
    """`text` on one line (control characters escaped), cut in the middle past `limit` chars."""
    s = str(text)
    if len(s) <= limit:
        return escape(s)
    keep = max(limit - 24, 8)
    head, tail = s[: keep // 2], s[len(s) - (keep - keep // 2) :]
    return f"{escape(head)}…[{len(s) - keep} chars cut]…{escape(tail)}"


def escape(text: str) -> str:
    """`text` with newlines, tabs and other unprintable characters as backslash escapes."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)


def quoted(value: object, limit: int = VALUE_CHARS) -> str:
    """`repr(value)`, shortened."""
    return shorten(repr(value), limit)


@dataclass(frozen=True)
class FieldError:
    """One problem in an input file: where it is and what is wrong."""

    path: str
    message: str


class InputError(Exception):
    """Bad input found before anything ran; carries one line per problem."""

    def __init__(self, source: str, errors: Sequence[FieldError]) -> None:
        self.source = source
        self.errors = tuple(errors)
        super().__init__("\n".join(self.lines()))

    def lines(self) -> list[str]:
        """Return the problems as `file: dotted.path: message` lines, each one line."""
        source = shorten(self.source, PATH_CHARS)
        return [
            f"{source}: {shorten(e.path, PATH_CHARS)}: {shorten(e.message, LINE_CHARS)}"
            for e in self.errors
        ]


class OutputError(Exception):
    """An output path that cannot be used as asked; its message is one line."""


def single(source: str, path: str, message: str) -> InputError:
    """Return an InputError holding one problem."""
    return InputError(source, [FieldError(path, message)])
